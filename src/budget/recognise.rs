//! Which standard table a grid is (title aliases kept as data in `corpus/reference/budget-tables.json`), its
//! money unit, its header and body rows, its sides (收入 | 支出 side by side), its columns with normalised
//! names, and the key of every body row (a subject code with its level, an economic code, a total or a label).
//! Pure over one `Table`; an unrecognised table is kept as a generic one, never dropped.

use super::Table;
use crate::model::label_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The file of the reference folder that holds the catalog.
pub const CATALOG_FILE: &str = "budget-tables.json";

const BUILTIN: &str = include_str!("../../corpus/reference/budget-tables.json");

label_enum!(
    /// The standard tables of department budgets and final accounts and of government budget reports, named
    /// without their stage (收入决算表 and 收入预算表 are both 收入表).
    TableKind {
        Summary => "收入支出总表",
        Income => "收入表",
        Expenditure => "支出表",
        GrantSummary => "财政拨款收入支出总表",
        GeneralExpenditure => "一般公共预算财政拨款支出表",
        GeneralBasic => "一般公共预算财政拨款基本支出表",
        ThreePublic => "财政拨款三公经费支出表",
        FundGrant => "政府性基金预算财政拨款收入支出表",
        StateCapitalGrant => "国有资本经营预算财政拨款支出表",
        GovGeneral => "一般公共预算收支表",
        GovFund => "政府性基金收支表",
        GovStateCapital => "国有资本经营收支表",
        GovSocialInsurance => "社会保险基金收支表",
        Generic => "其他表格",
    }
);

label_enum!(
    /// The stage of a budget document or table.
    Stage {
        Budget => "预算",
        Adjusted => "调整预算",
        Final => "决算",
    }
);

impl Stage {
    /// The stage a title names (调整预算 before 预算; 决算 wins over 预算 in "预算执行情况和决算").
    pub fn from_title(title: &str) -> Option<Stage> {
        if title.contains("决算") {
            Some(Stage::Final)
        } else if title.contains("调整预算") || title.contains("预算调整") {
            Some(Stage::Adjusted)
        } else if title.contains("预算") {
            Some(Stage::Budget)
        } else {
            None
        }
    }
}

/// The money unit of a table. Amounts are stored in 万元.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyUnit {
    Yuan,
    Wanyuan,
    Yiyuan,
}

impl MoneyUnit {
    /// The unit a unit line or header names ("单位：万元", "金额单位：元", "（亿元）").
    pub fn parse(text: &str) -> Option<MoneyUnit> {
        if text.contains("亿元") {
            Some(MoneyUnit::Yiyuan)
        } else if text.contains("万元") {
            Some(MoneyUnit::Wanyuan)
        } else if text.contains('元') {
            Some(MoneyUnit::Yuan)
        } else {
            None
        }
    }

    /// The factor that turns an amount in this unit into 万元.
    pub fn to_wanyuan(self) -> f64 {
        match self {
            MoneyUnit::Yuan => 0.0001,
            MoneyUnit::Wanyuan => 1.0,
            MoneyUnit::Yiyuan => 10_000.0,
        }
    }
}

/// Whether a subject code is of the functional classification (支出功能分类, income classes) or the
/// economic one (经济分类, 301 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CodeKind {
    Function,
    Economic,
}

label_enum!(
    /// The level of a subject code: 类 (3 digits), 款 (5), 项 (7).
    CodeLevel {
        Class => "类",
        Section => "款",
        Item => "项",
    }
);

impl CodeLevel {
    /// The level of a code of 3, 5 or 7 digits.
    pub fn of(code: &str) -> Option<CodeLevel> {
        match code.len() {
            3 => Some(CodeLevel::Class),
            5 => Some(CodeLevel::Section),
            7 => Some(CodeLevel::Item),
            _ => None,
        }
    }
}

/// What a body row is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKey {
    /// A subject row: its code (digits only), classification and level.
    Code {
        code: String,
        kind: CodeKind,
        level: CodeLevel,
    },
    /// A 合计/总计 row.
    Total,
    /// A row named by its label only (一、一般公共预算财政拨款收入 …).
    Label,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    /// (Part of) the subject code: one column, or 类 | 款 | 项.
    Code,
    /// The row's name (科目名称, 项目).
    Name,
    /// Amounts.
    Amount,
    /// Anything else (序号, 备注 …).
    Other,
}

/// A column of a recognised table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub role: ColumnRole,
    /// The side (0 for a one-sided table) the column belongs to.
    pub side: usize,
    /// The header texts above the column, outermost first (merged cells repeated, side label and headers
    /// spanning every amount column left out).
    pub path: Vec<String>,
    /// The normalised name (本年支出合计, 基本支出, 因公出国（境）费/决算数 …); empty for non-amount columns.
    pub name: String,
}

/// One side of a table (收入 or 支出 in a two-sided table; the whole width otherwise).
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// The label over the side, where the header has one (收入, 支出).
    pub label: Option<String>,
    pub first: usize,
    pub last: usize,
}

/// A body row of one side.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The index of the row in `Table::rows`.
    pub index: usize,
    pub side: usize,
    pub key: RowKey,
    /// The row's name (科目名称 or label), spaces removed.
    pub name: String,
}

/// A table with its meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub kind: TableKind,
    /// The title as printed (or as found in the first rows of a sheet).
    pub title: String,
    /// The stage the title names.
    pub stage: Option<Stage>,
    /// The unit as printed ("单位：万元"); 万元 is assumed where none is given.
    pub unit_raw: Option<String>,
    pub unit: MoneyUnit,
    /// Rows before the header (a title or unit line inside a sheet).
    pub preamble: usize,
    /// The number of header rows after the preamble.
    pub header_rows: usize,
    pub columns: Vec<Column>,
    pub sides: Vec<Side>,
    pub rows: Vec<Row>,
}

impl Recognised {
    /// The index of the first body row in `Table::rows`.
    pub fn body_start(&self) -> usize {
        self.preamble + self.header_rows
    }
}

/// The catalog of standard tables and column names.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// (alias without spaces and quotes, kind), longest alias first.
    tables: Vec<(String, TableKind)>,
    /// alias → normalised column name.
    columns: BTreeMap<String, String>,
    /// (kind, header) → normalised column name, where a table names a column its own way.
    table_columns: BTreeMap<(TableKind, String), String>,
}

/// A catalog file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct CatalogError {
    pub file: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct CatalogFile {
    tables: Vec<TableEntry>,
    columns: Vec<ColumnEntry>,
    #[serde(default)]
    table_columns: Vec<TableColumnEntry>,
}

#[derive(Deserialize)]
struct TableEntry {
    kind: String,
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct ColumnEntry {
    name: String,
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct TableColumnEntry {
    kind: String,
    column: String,
    name: String,
}

/// A title or header text without whitespace and quotation marks, for matching.
pub fn squeeze(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '“' | '”' | '"' | '‘' | '’' | '\'' | '「' | '」')
        })
        .collect()
}

impl Catalog {
    /// The catalog shipped with the program (the same file as in `corpus/reference`).
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN, "budget-tables.json").unwrap_or_default()
    }

    /// Reads a catalog file.
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|e| CatalogError {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Catalog::parse(&text, &path.display().to_string())
    }

    /// Parses a catalog; an unknown table kind is an error.
    pub fn parse(text: &str, file: &str) -> Result<Catalog, CatalogError> {
        let err = |reason: String| CatalogError {
            file: file.to_string(),
            reason,
        };
        let raw: CatalogFile = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        let kind =
            |k: &str| TableKind::parse(k).ok_or_else(|| err(format!("unknown table kind {k}")));
        let mut tables = Vec::new();
        for t in &raw.tables {
            let k = kind(&t.kind)?;
            tables.extend(t.aliases.iter().map(|a| (squeeze(a), k)));
        }
        tables.sort_by_key(|(a, _)| std::cmp::Reverse(a.chars().count()));
        let columns = raw
            .columns
            .iter()
            .flat_map(|c| c.aliases.iter().map(|a| (squeeze(a), c.name.clone())))
            .collect();
        let mut table_columns = BTreeMap::new();
        for c in &raw.table_columns {
            table_columns.insert((kind(&c.kind)?, squeeze(&c.column)), c.name.clone());
        }
        Ok(Catalog {
            tables,
            columns,
            table_columns,
        })
    }

    /// The standard table a title names (the longest alias it contains), or `Generic`.
    pub fn kind_of(&self, title: &str) -> TableKind {
        let t = squeeze(title);
        self.tables
            .iter()
            .find(|(alias, _)| t.contains(alias.as_str()))
            .map_or(TableKind::Generic, |(_, k)| *k)
    }

    /// The normalised name of a column header written on its own ("本年支出/小计", "预算数").
    pub fn normalise_column(&self, header: &str) -> String {
        let h = squeeze(header);
        self.columns.get(&h).cloned().unwrap_or(h)
    }

    /// Whether a header path, joined, is a known column name.
    fn knows_path(&self, path: &[String]) -> bool {
        path.len() > 1 && self.columns.contains_key(&path.join("/"))
    }

    /// The normalised name of a column from its header path.
    fn column_name(&self, kind: TableKind, path: &[String]) -> String {
        if path.is_empty() {
            return String::new();
        }
        let joined = path.join("/");
        if let Some(n) = self.table_columns.get(&(kind, joined.clone())) {
            return n.clone();
        }
        if let Some(n) = self.columns.get(&joined) {
            return n.clone();
        }
        let leaf = path.last().map(String::as_str).unwrap_or_default();
        let leaf = self
            .table_columns
            .get(&(kind, leaf.to_string()))
            .or_else(|| self.columns.get(leaf))
            .map_or(leaf, String::as_str);
        let mut parts: Vec<&str> = path[..path.len() - 1].iter().map(String::as_str).collect();
        parts.push(leaf);
        parts.join("/")
    }
}

/// An amount as printed ("2,940.05", "-12.5", "（3.00）"), or `None` for text, a blank or a dash.
pub fn parse_amount(text: &str) -> Option<f64> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
        .collect();
    let (neg, t) = match t
        .strip_prefix(['(', '（'])
        .and_then(|s| s.strip_suffix([')', '）']))
    {
        Some(inner) => (true, inner.to_string()),
        None => (false, t),
    };
    if t.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if !t
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')))
    {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// The digits of a code cell ("2010601", "201 06 01"), if it is one.
fn code_digits(text: &str) -> Option<String> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (!t.is_empty() && t.len() <= 9 && t.chars().all(|c| c.is_ascii_digit())).then_some(t)
}

/// Whether a body cell holds an amount-like number (with a decimal point or separator, or a plain number in
/// a column that is not a code column).
fn looks_numeric(text: &str) -> bool {
    parse_amount(text).is_some()
}

fn is_code_header(h: &str) -> bool {
    matches!(h, "类" | "款" | "项") || h.contains("编码") || h.ends_with("分类") || h == "代码"
}

fn is_name_header(h: &str) -> bool {
    h.contains("名称") || h == "项目" || h == "科目" || h.ends_with("项目") && h.len() <= 12
}

fn is_total_name(name: &str) -> bool {
    let n = name.trim_start_matches(['一', '二', '、']);
    n.starts_with("合计")
        || n.starts_with("总计")
        || n.ends_with("合计")
        || n.ends_with("总计")
        || n == "小计"
}

/// The owner of each covered cell: a text cell spans right over covered cells, then down over rows whose
/// cells under the whole span are covered; cells already claimed stop a span. Returns, per cell, the (row,
/// col) whose text stands for it.
fn owners(rows: &[Vec<super::Cell>], width: usize) -> Vec<Vec<(usize, usize)>> {
    let n = rows.len();
    let covered = |r: usize, c: usize| rows[r].get(c).is_some_and(|x| x.covered);
    let mut own: Vec<Vec<Option<(usize, usize)>>> = vec![vec![None; width]; n];
    for r in 0..n {
        for c in 0..width {
            if covered(r, c) || own[r][c].is_some() {
                continue;
            }
            own[r][c] = Some((r, c));
            let mut w = 1;
            while c + w < width && covered(r, c + w) && own[r][c + w].is_none() {
                w += 1;
            }
            let mut h = 1;
            while r + h < n && (c..c + w).all(|cc| covered(r + h, cc) && own[r + h][cc].is_none()) {
                h += 1;
            }
            for row in own.iter_mut().skip(r).take(h) {
                for cell in row.iter_mut().skip(c).take(w) {
                    cell.get_or_insert((r, c));
                }
            }
        }
    }
    own.into_iter()
        .enumerate()
        .map(|(r, row)| {
            row.into_iter()
                .enumerate()
                .map(|(c, o)| o.unwrap_or((r, c)))
                .collect()
        })
        .collect()
}

/// The spans of a grid's merged cells, as HTML needs them: per cell `Some((rowspan, colspan))` for a cell that
/// shows its text, `None` for a cell a merged cell covers.
pub fn spans(rows: &[Vec<super::Cell>]) -> Vec<Vec<Option<(usize, usize)>>> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut padded: Vec<Vec<super::Cell>> = rows.to_vec();
    for r in &mut padded {
        r.resize(width, super::Cell::default());
    }
    let own = owners(&padded, width);
    let mut out = vec![vec![None; width]; padded.len()];
    for (r, row) in own.iter().enumerate() {
        for (c, &(or, oc)) in row.iter().enumerate() {
            if let Some(Some((h, w))) = out
                .get_mut(or)
                .and_then(|x: &mut Vec<Option<(usize, usize)>>| x.get_mut(oc))
            {
                *h = (*h).max(r - or + 1);
                *w = (*w).max(c - oc + 1);
            } else if (or, oc) == (r, c) {
                out[r][c] = Some((1, 1));
            }
        }
    }
    out
}

/// What a column holds, from its header path, else from its body cells. A column without a header whose
/// cells are whole numbers next to a code column continues the code (款 | 项 parts of a sheet whose merged
/// header cells were lost).
fn column_role(path: &[String], body: &[String], left: Option<ColumnRole>) -> ColumnRole {
    let leaf = path.last().map(String::as_str).unwrap_or_default();
    // The innermost header that names a code or a name decides (a 合计 label under 科目编码 is still the
    // code column).
    for h in path.iter().rev() {
        if is_code_header(h) {
            return ColumnRole::Code;
        }
        if is_name_header(h) {
            return ColumnRole::Name;
        }
    }
    if leaf.contains("序号") || leaf.contains("备注") || leaf.contains("说明") {
        return ColumnRole::Other;
    }
    // Ratios are not amounts (为预算%, 增长率, 比重).
    if leaf.contains(['%', '％'])
        || leaf.ends_with('率')
        || leaf.contains("比重")
        || leaf.contains("百分比")
    {
        return ColumnRole::Other;
    }
    let cells: Vec<&String> = body.iter().filter(|t| !t.is_empty()).collect();
    let numeric = cells.iter().filter(|t| looks_numeric(t)).count();
    let whole: Vec<&&String> = cells.iter().filter(|t| code_digits(t).is_some()).collect();
    let code_like = !whole.is_empty()
        && whole.len() * 2 >= cells.len()
        && cells.iter().all(|t| !t.contains('.') && !t.contains(','))
        && whole.iter().all(|t| matches!(t.len(), 2 | 3 | 5 | 7));
    if leaf.is_empty() && code_like && (left == Some(ColumnRole::Code) || left.is_none()) {
        ColumnRole::Code
    } else if cells.is_empty() || numeric * 2 >= cells.len() {
        ColumnRole::Amount
    } else {
        ColumnRole::Name
    }
}

/// Recognises a table with a catalog.
pub fn recognise(table: &Table, catalog: &Catalog) -> Recognised {
    let width = table.width();
    let mut rows: Vec<Vec<super::Cell>> = table.rows.clone();
    for r in &mut rows {
        r.resize(width, super::Cell::default());
    }
    let text = |r: usize, c: usize| squeeze(&rows[r][c].text);
    let nonblank = |r: usize| (0..width).filter(|&c| !rows[r][c].is_blank()).count();

    // A sheet may carry its title and unit line as its first rows.
    let mut title = table.title.trim().to_string();
    let mut unit_raw = table.unit.clone();
    let mut preamble = 0;
    while preamble < rows.len() && nonblank(preamble) <= 1 && width > 1 {
        let line = (0..width)
            .map(|c| rows[preamble][c].text.trim().to_string())
            .find(|t| !t.is_empty())
            .unwrap_or_default();
        if line.is_empty() {
            preamble += 1;
            continue;
        }
        if line.contains("单位") && MoneyUnit::parse(&line).is_some() {
            unit_raw.get_or_insert(line);
        } else if line.contains('表') || squeeze(&line) == squeeze(&title) {
            // The title written above the table (a sheet's name may say less, or nothing).
            if catalog.kind_of(&title) == TableKind::Generic {
                title = line;
            }
        } else {
            break;
        }
        preamble += 1;
    }
    let kind = catalog.kind_of(&title);

    // Header rows: up to the last row with text before the first row holding a number.
    let first_numeric = (preamble..rows.len())
        .find(|&r| (0..width).any(|c| looks_numeric(&rows[r][c].text)))
        .unwrap_or(rows.len());
    let header_end = (preamble..first_numeric)
        .rev()
        .find(|&r| nonblank(r) > 0 || (0..width).any(|c| rows[r][c].covered))
        .map_or(preamble, |r| r + 1);
    let header_rows = header_end - preamble;
    let header = &rows[preamble..header_end];
    let own = owners(header, width);
    let paths: Vec<Vec<String>> = (0..width)
        .map(|c| {
            let mut p: Vec<String> = Vec::new();
            for (r, row) in own.iter().enumerate() {
                let (orow, ocol) = row[c];
                let t = squeeze(&header[orow][ocol].text);
                let _ = r;
                if !t.is_empty() && p.last() != Some(&t) {
                    p.push(t);
                }
            }
            p
        })
        .collect();

    // Column units written in headers ("金额（万元）").
    for p in &paths {
        for h in p {
            if unit_raw.is_none()
                && (h.contains("（万元）")
                    || h.contains("(万元)")
                    || h.contains("（元）")
                    || h.contains("(元)"))
            {
                unit_raw = Some(h.clone());
            }
        }
    }
    let strip_unit = |h: &str| -> String {
        let mut s = h.to_string();
        for u in ["（万元）", "(万元)", "（元）", "(元)", "（亿元）", "(亿元)"] {
            s = s.replace(u, "");
        }
        s
    };
    let paths: Vec<Vec<String>> = paths
        .into_iter()
        .map(|p| {
            p.iter()
                .map(|h| strip_unit(h))
                .filter(|h| !h.is_empty())
                .collect()
        })
        .collect();

    // Roles: by the innermost header, else by the body.
    let body: Vec<usize> = (header_end..rows.len()).collect();
    let mut roles: Vec<ColumnRole> = Vec::with_capacity(width);
    for (c, path) in paths.iter().enumerate() {
        let role = column_role(
            path,
            &body.iter().map(|&r| text(r, c)).collect::<Vec<_>>(),
            roles.last().copied(),
        );
        roles.push(role);
    }

    // Sides: a code or name column after an amount column starts a new side.
    let mut sides: Vec<Side> = Vec::new();
    let mut seen_amount = false;
    for (c, role) in roles.iter().enumerate() {
        let label_col = matches!(role, ColumnRole::Code | ColumnRole::Name);
        if sides.is_empty() || (label_col && seen_amount) {
            sides.push(Side {
                label: None,
                first: c,
                last: c,
            });
            seen_amount = false;
        }
        if let Some(s) = sides.last_mut() {
            s.last = c;
        }
        seen_amount |= *role == ColumnRole::Amount;
    }
    if sides.len() > 1 {
        for s in &mut sides {
            let top: Vec<Option<&String>> = (s.first..=s.last).map(|c| paths[c].first()).collect();
            if let Some(Some(t)) = top.first()
                && top.iter().all(|x| *x == Some(*t))
            {
                s.label = Some((*t).clone());
            }
        }
    }

    let mut columns = Vec::with_capacity(width);
    for (si, s) in sides.iter().enumerate() {
        let amount_cols: Vec<usize> = (s.first..=s.last)
            .filter(|&c| roles[c] == ColumnRole::Amount)
            .collect();
        for c in s.first..=s.last {
            let mut p: Vec<String> = paths[c].clone();
            if s.label.is_some() && p.first() == s.label.as_ref() {
                p.remove(0);
            }
            if roles[c] == ColumnRole::Amount && amount_cols.len() > 1 && !catalog.knows_path(&p) {
                // Drop headers that span every amount column of the side (a caption such as 财政拨款“三公”经费),
                // unless the whole path is a known name (本年支出/小计).
                p.retain(|h| !amount_cols.iter().all(|&a| paths[a].contains(h)));
            }
            let name = if roles[c] == ColumnRole::Amount {
                catalog.column_name(kind, &p)
            } else {
                String::new()
            };
            columns.push(Column {
                role: roles[c],
                side: si,
                path: p,
                name,
            });
        }
    }

    // Body rows per side.
    let header_texts: Vec<String> = header
        .iter()
        .flatten()
        .map(|c| squeeze(&c.text))
        .filter(|t| !t.is_empty())
        .collect();
    let mut out_rows = Vec::new();
    for (si, s) in sides.iter().enumerate() {
        let code_cols: Vec<usize> = (s.first..=s.last)
            .filter(|&c| roles[c] == ColumnRole::Code)
            .collect();
        let name_col = (s.first..=s.last).find(|&c| roles[c] == ColumnRole::Name);
        let economic = kind == TableKind::GeneralBasic
            || code_cols
                .iter()
                .chain(name_col.iter())
                .any(|&c| paths[c].iter().any(|h| h.contains("经济")));
        let mut carry = String::new();
        for &r in &body {
            let cells: Vec<String> = (s.first..=s.last).map(|c| text(r, c)).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            // A header repeated on a continued page.
            if cells
                .iter()
                .all(|t| t.is_empty() || (!looks_numeric(t) && header_texts.contains(t)))
            {
                continue;
            }
            // The name, or where the name cell is covered (合计 written across code and name), the first
            // label text of the side.
            let name = name_col
                .map(|c| text(r, c))
                .filter(|t| !t.is_empty())
                .or_else(|| {
                    code_cols.iter().map(|&c| text(r, c)).find(|t| {
                        !t.is_empty()
                            && code_digits(t).is_none()
                            && !matches!(t.as_str(), "类" | "款" | "项")
                    })
                })
                .unwrap_or_default();
            let code = split_code(
                &code_cols.iter().map(|&c| text(r, c)).collect::<Vec<_>>(),
                &carry,
            );
            let key = match code {
                Some(code) => match CodeLevel::of(&code) {
                    Some(level) => {
                        carry = code.clone();
                        RowKey::Code {
                            code,
                            kind: if economic {
                                CodeKind::Economic
                            } else {
                                CodeKind::Function
                            },
                            level,
                        }
                    }
                    None => RowKey::Label,
                },
                None if is_total_name(&name) => RowKey::Total,
                None => RowKey::Label,
            };
            out_rows.push(Row {
                index: r,
                side: si,
                key,
                name,
            });
        }
    }

    Recognised {
        kind,
        stage: Stage::from_title(&title),
        title,
        unit: unit_raw
            .as_deref()
            .and_then(MoneyUnit::parse)
            .unwrap_or(MoneyUnit::Wanyuan),
        unit_raw,
        preamble,
        header_rows,
        columns,
        sides,
        rows: out_rows,
    }
}

/// The code of a row from its code cells: one cell ("2010601", "201 06 01") or 类 | 款 | 项 parts ("201",
/// "06", "01"; a part may repeat the whole code so far, "201" "20106"; a blank 类 takes the previous row's).
fn split_code(parts: &[String], carry: &str) -> Option<String> {
    let digits: Vec<Option<String>> = parts.iter().map(|p| code_digits(p)).collect();
    if digits.iter().all(Option::is_none) {
        return None;
    }
    if parts
        .iter()
        .zip(&digits)
        .any(|(p, d)| !p.is_empty() && d.is_none())
    {
        return None;
    }
    let mut code = String::new();
    for (i, d) in digits.iter().enumerate() {
        let Some(d) = d else {
            continue;
        };
        // Leading parts left blank: the code continues the previous row's.
        if code.is_empty() && i == 1 && carry.len() >= 3 && d.len() == 2 {
            code = carry[..3].to_string();
        } else if code.is_empty() && i == 2 && carry.len() >= 5 && d.len() == 2 {
            code = carry[..5].to_string();
        }
        if !code.is_empty() && d.starts_with(&code) {
            code = d.clone();
        } else {
            code.push_str(d);
        }
    }
    Some(code)
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeKind::Function => "功能分类",
            CodeKind::Economic => "经济分类",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Cell;

    fn grid(title: &str, rows: &[&[Option<&str>]]) -> Table {
        Table {
            title: title.into(),
            unit: None,
            pages: None,
            rows: rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Some(t) => Cell::text(*t),
                            None => Cell::covered(),
                        })
                        .collect()
                })
                .collect(),
        }
    }

    fn keys(r: &Recognised) -> Vec<(String, Option<String>)> {
        r.rows
            .iter()
            .map(|row| match &row.key {
                RowKey::Code { code, level, .. } => {
                    (row.name.clone(), Some(format!("{code}{}", level.label())))
                }
                RowKey::Total => (row.name.clone(), Some("合计".into())),
                RowKey::Label => (row.name.clone(), None),
            })
            .collect()
    }

    #[test]
    fn titles_are_matched_by_their_longest_alias_and_unknown_titles_stay_generic() {
        let c = Catalog::builtin();
        assert_eq!(
            c.kind_of("一般公共预算财政拨款基本支出决算表"),
            TableKind::GeneralBasic
        );
        assert_eq!(c.kind_of("表3 支出决算表"), TableKind::Expenditure);
        assert_eq!(
            c.kind_of("财政拨款“三公”经费支出决算表"),
            TableKind::ThreePublic
        );
        assert_eq!(c.kind_of("2025年部门收支预算总表"), TableKind::Summary);
        assert_eq!(c.kind_of("财政拨款收支预算总表"), TableKind::GrantSummary);
        assert_eq!(
            c.kind_of("2024年社会保险基金预算收支表"),
            TableKind::GovSocialInsurance
        );
        assert_eq!(c.kind_of("部门决算单位构成"), TableKind::Generic);
        assert_eq!(
            Stage::from_title("2025年部门收支预算总表"),
            Some(Stage::Budget)
        );
        assert_eq!(
            Stage::from_title("2024年区级调整预算表"),
            Some(Stage::Adjusted)
        );
    }

    #[test]
    fn codes_in_one_column_split_over_three_or_written_with_spaces_give_the_same_code_and_level() {
        let c = Catalog::builtin();
        let one = grid(
            "支出决算表",
            &[
                &[Some("科目编码"), Some("科目名称"), Some("本年支出合计")],
                &[Some("201"), Some("一般公共服务支出"), Some("10.00")],
                &[Some("20106"), Some("财政事务"), Some("10.00")],
                &[Some("201 06 02"), Some(" 一般行政管理事务"), Some("10.00")],
            ],
        );
        let split = grid(
            "支出决算表",
            &[
                &[
                    Some("类"),
                    Some("款"),
                    Some("项"),
                    Some("科目名称"),
                    Some("本年支出合计"),
                ],
                &[
                    Some("201"),
                    Some(""),
                    Some(""),
                    Some("一般公共服务支出"),
                    Some("10.00"),
                ],
                &[
                    Some("201"),
                    Some("06"),
                    Some(""),
                    Some("财政事务"),
                    Some("10.00"),
                ],
                &[
                    Some(""),
                    Some(""),
                    Some("02"),
                    Some("一般行政管理事务"),
                    Some("10.00"),
                ],
            ],
        );
        let expect = vec![
            ("一般公共服务支出".to_string(), Some("201类".to_string())),
            ("财政事务".to_string(), Some("20106款".to_string())),
            (
                "一般行政管理事务".to_string(),
                Some("2010602项".to_string()),
            ),
        ];
        assert_eq!(keys(&recognise(&one, &c)), expect);
        assert_eq!(keys(&recognise(&split, &c)), expect);
        assert_eq!(
            split_code(&["201".into(), "20106".into(), "2010602".into()], ""),
            Some("2010602".into())
        );
    }

    #[test]
    fn wrapped_and_merged_headers_name_columns_and_a_yuan_table_is_scaled() {
        let c = Catalog::builtin();
        let mut t = grid(
            "政府性基金预算财政拨款收入支出决算表",
            &[
                &[Some("项目"), None, Some("本年支出"), None, None],
                &[
                    Some("科目编码"),
                    Some("科目名称"),
                    Some("小计"),
                    Some("基本\n支出"),
                    Some("项目支出"),
                ],
                &[
                    Some("2120801"),
                    Some("征地和拆迁补偿支出"),
                    Some("12,345.00"),
                    Some(""),
                    Some("12,345.00"),
                ],
            ],
        );
        t.unit = Some("单位：元".into());
        let r = recognise(&t, &c);
        assert_eq!(r.unit, MoneyUnit::Yuan);
        assert_eq!(r.header_rows, 2);
        let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["", "", "本年支出合计", "基本支出", "项目支出"]);
        assert_eq!(r.columns[0].role, ColumnRole::Code);
        assert_eq!(r.columns[1].role, ColumnRole::Name);
    }

    #[test]
    fn a_sheet_with_title_and_unit_rows_ragged_rows_and_a_repeated_header() {
        let c = Catalog::builtin();
        let t = Table::from_texts(
            "Sheet1",
            vec![
                vec!["2024年收入决算表".into()],
                vec!["".into(), "".into(), "单位：万元".into()],
                vec![
                    "科目编码".into(),
                    "科目名称".into(),
                    "本年收入合计".into(),
                    "财政拨款收入".into(),
                ],
                vec![
                    "201".into(),
                    "一般公共服务支出".into(),
                    "5.00".into(),
                    "5.00".into(),
                ],
                vec![
                    "科目编码".into(),
                    "科目名称".into(),
                    "本年收入合计".into(),
                    "财政拨款收入".into(),
                ],
                vec!["205".into(), "教育支出".into(), "7.50".into()],
                vec!["".into(), "合计".into(), "12.50".into(), "5.00".into()],
            ],
        );
        let r = recognise(&t, &c);
        assert_eq!(r.kind, TableKind::Income);
        assert_eq!(r.title, "2024年收入决算表");
        assert_eq!(r.unit_raw.as_deref(), Some("单位：万元"));
        assert_eq!((r.preamble, r.header_rows), (2, 1));
        assert_eq!(
            keys(&r),
            vec![
                ("一般公共服务支出".into(), Some("201类".into())),
                ("教育支出".into(), Some("205类".into())),
                ("合计".into(), Some("合计".into())),
            ]
        );
    }

    #[test]
    fn ratio_columns_of_a_government_report_table_are_not_amounts() {
        let c = Catalog::builtin();
        let t = Table::from_texts(
            "2024年一般公共预算收支决算表",
            vec![
                vec![
                    "项目".into(),
                    "预算数".into(),
                    "决算数".into(),
                    "为预算%".into(),
                    "比上年增长率".into(),
                ],
                vec![
                    "一般公共服务支出".into(),
                    "1,000.00".into(),
                    "950.00".into(),
                    "95.0".into(),
                    "3.2".into(),
                ],
            ],
        );
        let r = recognise(&t, &c);
        assert_eq!(r.kind, TableKind::GovGeneral);
        assert_eq!(r.stage, Some(Stage::Final));
        let roles: Vec<ColumnRole> = r.columns.iter().map(|c| c.role).collect();
        assert_eq!(
            roles,
            vec![
                ColumnRole::Name,
                ColumnRole::Amount,
                ColumnRole::Amount,
                ColumnRole::Other,
                ColumnRole::Other
            ]
        );
        let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["", "年初预算数", "决算数", "", ""]);
    }

    #[test]
    fn amounts_parse_separators_negatives_and_refuse_text_and_dashes() {
        assert_eq!(parse_amount("2,940.05"), Some(2940.05));
        assert_eq!(parse_amount(" -12.5 "), Some(-12.5));
        assert_eq!(parse_amount("（3.00）"), Some(-3.0));
        assert_eq!(parse_amount("-"), None);
        assert_eq!(parse_amount("—"), None);
        assert_eq!(parse_amount(""), None);
        assert_eq!(parse_amount("合计"), None);
        assert_eq!(parse_amount("1.2.3"), None);
    }
}
