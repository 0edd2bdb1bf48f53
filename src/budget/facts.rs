//! Facts: one amount of one cell of a recognised table, labelled with the document's issuing unit (部门/单位),
//! region, year and stage, the table, the row (subject code and level, economic code, total or label) and the
//! normalised column, in 万元 with the raw cell text, page and cell position beside it. Pure over a document's
//! metadata and tables.

use super::Table;
use super::recognise::{
    Catalog, CodeKind, CodeLevel, ColumnRole, RowKey, Stage, TableKind, parse_amount, recognise,
};
use crate::model::{DocId, DocKind, Document};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Who a document's tables speak for: the issuing unit, its region, the year and the stage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Issuer {
    /// The department or unit (上海市普陀区财政局).
    pub unit: Option<String>,
    /// The region (上海市普陀区).
    pub region: Option<String>,
    pub year: Option<i32>,
    pub stage: Option<Stage>,
}

static TITLE_UNIT_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:附件\s*\d*\s*[:：]\s*)?(\S+?)\s*((?:19|20)\d{2})\s*年(?:度)?\s*(?:部门|单位)?\s*(?:调整)?(?:预算|决算)")
        .expect("valid regex")
});
static TITLE_YEAR_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:附件\s*\d*\s*[:：]\s*)?((?:19|20)\d{2})\s*年(?:度)?\s*(\S+?)\s*(?:部门|单位)?\s*(?:调整)?(?:预算|决算)")
        .expect("valid regex")
});
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})\s*年").expect("valid regex"));

/// The region an organisation's name starts with: up to three segments each ending in 省, 自治区, 市, 州, 区,
/// 县 or 旗 (上海市普陀区财政局 → 上海市普陀区; 中共上海市普陀区委社会工作部 → 上海市普陀区).
pub fn region_of(name: &str) -> Option<String> {
    let name = name.strip_prefix("中共").unwrap_or(name);
    let chars: Vec<char> = name.chars().collect();
    let is_suffix = |c: char| matches!(c, '省' | '市' | '州' | '区' | '县' | '旗');
    let mut end = 0;
    let mut segments = 0;
    while segments < 3 {
        let mut i = end;
        // 1 to 6 characters of a place name, then its suffix (自治区 counts as one).
        while i < chars.len() && i - end < 7 && !is_suffix(chars[i]) {
            i += 1;
        }
        if i >= chars.len() || i == end || !is_suffix(chars[i]) {
            break;
        }
        end = i + 1;
        segments += 1;
    }
    (segments > 0).then(|| chars[..end].iter().collect())
}

impl Issuer {
    /// Reads the unit, region, year and stage from a document's title and metadata ("上海市普陀区财政局2024年度
    /// 部门决算" → 上海市普陀区财政局, 上海市普陀区, 2024, 决算).
    pub fn of(doc: &Document) -> Issuer {
        let title = doc.title.trim();
        let unit = TITLE_UNIT_FIRST
            .captures(title)
            .map(|c| c[1].to_string())
            .or_else(|| TITLE_YEAR_FIRST.captures(title).map(|c| c[2].to_string()))
            .filter(|u| u.chars().count() >= 2)
            .or_else(|| doc.issuer.clone());
        let year = YEAR
            .captures(title)
            .and_then(|c| c[1].parse().ok())
            .or(doc.year);
        let region = unit
            .as_deref()
            .and_then(region_of)
            .or_else(|| doc.region.clone());
        let stage = Stage::from_title(title).or(match doc.kind {
            DocKind::FinalAccount => Some(Stage::Final),
            DocKind::Budget => Some(Stage::Budget),
            _ => None,
        });
        Issuer {
            unit,
            region,
            year,
            stage,
        }
    }
}

/// A table facts were read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactTable {
    pub kind: TableKind,
    pub title: String,
    /// The unit as printed ("单位：万元").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// One amount of a table, without the document-level labels (kept once per document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Index into `DocFacts::tables`.
    #[serde(rename = "t")]
    pub table: u32,
    /// The subject code (digits), where the row has one.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Economic (经济分类) rather than functional code.
    #[serde(rename = "e", default, skip_serializing_if = "std::ops::Not::not")]
    pub economic: bool,
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub level: Option<CodeLevel>,
    /// A 合计/总计 row.
    #[serde(rename = "s", default, skip_serializing_if = "std::ops::Not::not")]
    pub total: bool,
    /// The row's name or label.
    #[serde(rename = "n")]
    pub name: String,
    /// The side label of a two-sided table (收入, 支出).
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    /// The normalised column name.
    #[serde(rename = "k")]
    pub column: String,
    /// The amount in 万元.
    #[serde(rename = "a")]
    pub amount: f64,
    /// The cell text as printed.
    #[serde(rename = "r")]
    pub raw: String,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Row and column of the cell in the table's grid.
    #[serde(rename = "x")]
    pub cell: (u32, u32),
}

/// The facts of one document: its labels once, its tables, and every amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocFacts {
    pub doc_id: DocId,
    pub issuer: Issuer,
    pub tables: Vec<FactTable>,
    pub items: Vec<Item>,
}

/// One fact with all its labels, as the command line and the API show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    pub doc_id: DocId,
    pub unit: Option<String>,
    pub region: Option<String>,
    pub year: Option<i32>,
    pub stage: Option<Stage>,
    /// The table's title as printed.
    pub table: String,
    /// The standard table it is (其他表格 when not recognised).
    pub table_kind: TableKind,
    /// The table's index among the document's tables (for its page and downloads).
    pub table_index: u32,
    pub code: Option<String>,
    pub name: String,
    pub level: Option<CodeLevel>,
    pub economic: bool,
    pub total: bool,
    pub side: Option<String>,
    pub column: String,
    /// 万元.
    pub amount: f64,
    pub raw: String,
    pub page: Option<u32>,
    pub row: u32,
    pub col: u32,
}

impl DocFacts {
    /// The facts with their labels.
    pub fn facts(&self) -> impl Iterator<Item = Fact> + '_ {
        self.items.iter().map(move |i| {
            let t = self.tables.get(i.table as usize);
            Fact {
                doc_id: self.doc_id.clone(),
                unit: self.issuer.unit.clone(),
                region: self.issuer.region.clone(),
                year: self.issuer.year,
                stage: self.issuer.stage,
                table: t.map(|t| t.title.clone()).unwrap_or_default(),
                table_kind: t.map_or(TableKind::Generic, |t| t.kind),
                table_index: i.table,
                code: i.code.clone(),
                name: i.name.clone(),
                level: i.level,
                economic: i.economic,
                total: i.total,
                side: i.side.clone(),
                column: i.column.clone(),
                amount: i.amount,
                raw: i.raw.clone(),
                page: i.page,
                row: i.cell.0,
                col: i.cell.1,
            }
        })
    }
}

/// The facts of a document's tables.
pub fn facts_of(doc: &Document, tables: &[Table], catalog: &Catalog) -> DocFacts {
    let mut issuer = Issuer::of(doc);
    let mut out = DocFacts {
        doc_id: doc.id.clone(),
        issuer: Issuer::default(),
        tables: Vec::new(),
        items: Vec::new(),
    };
    for (ti, table) in tables.iter().enumerate() {
        let rec = recognise(table, catalog);
        if issuer.stage.is_none() {
            issuer.stage = rec.stage;
        }
        out.tables.push(FactTable {
            kind: rec.kind,
            title: rec.title.clone(),
            unit: rec.unit_raw.clone(),
        });
        let factor = rec.unit.to_wanyuan();
        for row in &rec.rows {
            let side = &rec.sides[row.side];
            let (code, economic, level) = match &row.key {
                RowKey::Code { code, kind, level } => (
                    Some(code.clone()),
                    *kind == CodeKind::Economic,
                    Some(*level),
                ),
                _ => (None, false, None),
            };
            for c in side.first..=side.last {
                let col = &rec.columns[c];
                if col.role != ColumnRole::Amount {
                    continue;
                }
                let Some(cell) = table.rows[row.index].get(c) else {
                    continue;
                };
                let Some(v) = parse_amount(&cell.text) else {
                    continue;
                };
                out.items.push(Item {
                    table: ti as u32,
                    code: code.clone(),
                    economic,
                    level,
                    total: row.key == RowKey::Total,
                    name: row.name.clone(),
                    side: side.label.clone(),
                    column: col.name.clone(),
                    amount: round6(v * factor),
                    raw: cell.text.trim().to_string(),
                    page: cell.page.or_else(|| table.first_page()),
                    cell: (row.index as u32, c as u32),
                });
            }
        }
    }
    out.issuer = issuer;
    out
}

/// Rounds to six decimals (a 元 amount in 万元 has at most six), so that 12.3 元 is 0.00123 and not
/// 0.0012300000000000002.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
