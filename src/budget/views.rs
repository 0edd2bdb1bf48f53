//! Money views: what the 资金 pages and `GET /api/money` show. For a selection (year and a year to compare
//! with, unit, stage, table kind, column) the amounts by 类, a 类's by 款, a 款's by 项, and a 项's by the units
//! that spend under it, each with the year before, the change, the growth rate and the share of its parent.
//! Pure queries over the in-memory columns (`query::columns`), inside the reader's `Scope`; every amount is
//! the sum of the facts it stands for, one per document and code.

use super::query::{self, Columns, FactQuery, Matcher, NONE};
use super::recognise::{Stage, TableKind};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::Scope;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The column shown when the selection names none.
pub const DEFAULT_COLUMN: &str = "本年支出合计";

/// The column of a view that takes the first column a table has for each code (the economic classification's
/// default).
pub const ANY_COLUMN: &str = "各栏目";

/// The table kind read when the selection names none: the 支出表 (支出决算表 and 支出预算表).
pub const DEFAULT_TABLE: TableKind = TableKind::Expenditure;

/// What to show; empty fields take their defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// The subject to open: none for the 类, a 类 (3 digits) for its 款, a 款 (5) for its 项, a 项 (7) for its
    /// units.
    pub code: Option<String>,
    /// The year shown (default: the latest year with amounts).
    pub year: Option<i32>,
    /// The year compared with (default: the year before).
    pub compare: Option<i32>,
    /// A part of the issuing unit's name.
    pub unit: Option<String>,
    /// A part of the region's name (东湖市, 普陀区).
    pub region: Option<String>,
    /// The stage (default: 决算 where the year has final accounts, else 预算, else 调整预算).
    pub stage: Option<Stage>,
    /// The table kind (default: 支出表).
    pub table: Option<TableKind>,
    /// The column, by its normalised name or an alias (default: 本年支出合计; for the economic classification
    /// any column, the first a table has for a code).
    pub column: Option<String>,
    /// The economic classification (支出经济分类: 301 工资福利支出 → 30101 基本工资 → units) instead of the
    /// functional one; its default table is the 一般公共预算财政拨款基本支出表.
    pub economic: bool,
}

/// What the rows of a view are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    #[serde(rename = "类")]
    Class,
    #[serde(rename = "款")]
    Section,
    #[serde(rename = "项")]
    Item,
    #[serde(rename = "单位")]
    Unit,
}

impl Level {
    /// The Chinese label (类, 款, 项, 单位).
    pub fn label(self) -> &'static str {
        match self {
            Level::Class => "类",
            Level::Section => "款",
            Level::Item => "项",
            Level::Unit => "单位",
        }
    }
}

/// An amount in the year shown and in the year compared with, in 万元.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Amounts {
    /// The year shown (none when no document of that year has the row).
    pub amount: Option<f64>,
    /// The year compared with.
    pub previous: Option<f64>,
    /// amount − previous, when both are there.
    pub change: Option<f64>,
    /// The change in percent of the previous amount, when that is above zero.
    pub growth: Option<f64>,
    /// How many documents the amount of the year shown sums (for a total: the documents of all its rows).
    pub documents: usize,
    /// How many documents the previous amount sums.
    pub previous_documents: usize,
}

impl Amounts {
    fn add(&mut self, current: bool, amount: f64) {
        let (slot, n) = if current {
            (&mut self.amount, &mut self.documents)
        } else {
            (&mut self.previous, &mut self.previous_documents)
        };
        *slot = Some(slot.unwrap_or(0.0) + amount);
        *n += 1;
    }

    /// Rounds the sums and derives the change and the growth rate.
    fn finish(mut self) -> Amounts {
        self.amount = self.amount.map(round6);
        self.previous = self.previous.map(round6);
        if let (Some(a), Some(p)) = (self.amount, self.previous) {
            self.change = Some(round6(a - p));
            self.growth = (p > 0.0).then(|| round6((a - p) / p * 100.0));
        }
        self
    }
}

/// One row of a view: a subject (类, 款 or 项) or a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoneyRow {
    /// The subject code; none for a unit.
    pub code: Option<String>,
    /// The subject's or the unit's name.
    pub name: String,
    #[serde(flatten)]
    pub amounts: Amounts,
    /// The amount in percent of the parent's (of the total at the 类 level), in the year shown.
    pub share: Option<f64>,
    /// Where a unit's amount of the year shown is printed (when one document gives it).
    pub source: Option<Source>,
}

/// A cell of a document's tables that an amount is read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub doc_id: crate::model::DocId,
    /// The table's title as printed.
    pub table: String,
    pub page: Option<u32>,
    /// The cell's anchor on the document page (`t3-r7-c5`).
    pub cell: String,
}

impl Source {
    fn of(f: &super::facts::Fact) -> Source {
        Source {
            doc_id: f.doc_id.clone(),
            table: f.table.clone(),
            page: f.page,
            cell: format!("t{}-r{}-c{}", f.table_index + 1, f.row + 1, f.col + 1),
        }
    }
}

/// A subject on the way down (类, 款, 项).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crumb {
    pub code: String,
    pub name: String,
}

/// A value of a filter with the number of documents it has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice<T> {
    pub value: T,
    pub documents: usize,
}

/// A view: the rows of one level with their total, the selection as resolved, and the choices of each filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoneyView {
    pub level: Level,
    /// The subjects from the 类 down to the one opened (empty at the 类 level).
    pub path: Vec<Crumb>,
    pub year: Option<i32>,
    pub compare: Option<i32>,
    pub stage: Option<Stage>,
    pub table: TableKind,
    /// The column shown (`ANY_COLUMN` when any).
    pub column: String,
    pub economic: bool,
    pub unit: Option<String>,
    pub region: Option<String>,
    pub rows: Vec<MoneyRow>,
    /// The sum of the rows.
    pub total: Amounts,
    /// The opened subject's own amounts (its row in the tables), which the shares are taken of; none at the
    /// 类 level.
    pub parent: Option<Amounts>,
    pub years: Vec<Choice<i32>>,
    pub stages: Vec<Choice<Stage>>,
    pub tables: Vec<Choice<TableKind>>,
    pub columns: Vec<Choice<String>>,
}

/// Rounds to six decimals (a 元 amount in 万元 has at most six), so that sums do not show float noise.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The level a code opens and the length of the codes of its rows (economic codes have two levels).
fn level_of(code: Option<&str>, economic: bool) -> Result<(Level, usize)> {
    match (code.map(str::len), economic) {
        (None, _) => Ok((Level::Class, 3)),
        (Some(3), _) => Ok((Level::Section, 5)),
        (Some(5), false) => Ok((Level::Item, 7)),
        (Some(5), true) => Ok((Level::Unit, 5)),
        (Some(7), false) => Ok((Level::Unit, 7)),
        (_, false) => Err(Error::Invalid(format!(
            "科目编码应为 3、5 或 7 位数字：{}",
            code.unwrap_or_default()
        ))),
        (_, true) => Err(Error::Invalid(format!(
            "经济分类编码应为 3 或 5 位数字：{}",
            code.unwrap_or_default()
        ))),
    }
}

/// The view of a selection inside a scope.
pub fn money(lib: &Library, sel: &Selection, scope: &Scope) -> Result<MoneyView> {
    let code = sel.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if code.is_some_and(|c| !c.bytes().all(|b| b.is_ascii_digit())) {
        return Err(Error::Invalid(format!(
            "科目编码应为数字：{}",
            code.unwrap_or_default()
        )));
    }
    let economic = sel.economic;
    let (level, row_len) = level_of(code, economic)?;
    let c = query::columns(lib)?;
    let table = sel.table.unwrap_or(if economic {
        TableKind::GeneralBasic
    } else {
        DEFAULT_TABLE
    });
    let column = sel
        .column
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| (!economic).then(|| DEFAULT_COLUMN.to_string()));
    let unit = sel.unit.clone().filter(|u| !u.trim().is_empty());
    let region = sel.region.clone().filter(|r| !r.trim().is_empty());
    // The scope, the unit, the table kind and the column, as the facts query reads them.
    let m = Matcher::new(
        lib,
        &c,
        &FactQuery {
            unit: unit.clone(),
            region: region.clone(),
            table: Some(table.label().to_string()),
            column: column.clone(),
            ..FactQuery::default()
        },
        scope,
    );
    let filters = Filters::of(&c, &m, table, sel);
    // A fact of the classification shown: economic codes or subject codes.
    let of_class = |i: usize| (c.flags[i] & 1 != 0) == economic;
    let year = filters.year;
    let stage = filters.stage;
    let compare = sel.compare.or(year.map(|y| y - 1));
    // Which side of the comparison a document is on, if any.
    let side: Vec<Option<bool>> = c
        .docs
        .iter()
        .map(|d| {
            if d.stage != stage || d.year.is_none() {
                None
            } else if d.year == year {
                Some(true)
            } else if d.year == compare {
                Some(false)
            } else {
                None
            }
        })
        .collect();

    // The codes of the rows (or the 项 itself at the unit level), and the opened code.
    let wanted = |s: &str| match (level, code) {
        (Level::Class, _) => s.len() == 3,
        (Level::Unit, Some(p)) => s == p,
        (_, Some(p)) => s.len() == row_len && s.starts_with(p),
        _ => false,
    };
    // Per row: its amounts, its name, and (units only) the fact of the year shown, to cite.
    let mut rows: BTreeMap<u32, (Amounts, u32, Option<usize>)> = BTreeMap::new();
    let mut parent = Amounts::default();
    // The documents the rows sum: bit 0 in the year shown, bit 1 in the year compared with.
    let mut contributing = vec![0u8; c.docs.len()];
    let parent_id = code.and_then(|p| c.strings.find(p));
    let mut visit = |code_id: u32, into_parent: bool| {
        let Some(positions) = c.by_code.get(&code_id) else {
            return;
        };
        let mut last_doc = NONE;
        for &i in positions {
            let i = i as usize;
            let d = c.doc[i];
            // One amount per document and code: the first matching fact (a table printed twice counts once).
            if d == last_doc || !of_class(i) {
                continue;
            }
            let Some(current) = side[d as usize] else {
                continue;
            };
            if !m.matches(&c, i) {
                continue;
            }
            last_doc = d;
            if into_parent {
                parent.add(current, c.amount[i]);
            } else {
                contributing[d as usize] |= if current { 1 } else { 2 };
                let key = if level == Level::Unit {
                    c.docs[d as usize].unit
                } else {
                    code_id
                };
                let e = rows
                    .entry(key)
                    .or_insert((Amounts::default(), c.name[i], None));
                e.0.add(current, c.amount[i]);
                if current && level == Level::Unit && e.2.is_none() {
                    e.2 = Some(i);
                }
            }
        }
    };
    for (&id, _) in c.by_code.iter() {
        if c.strings.get(id).is_some_and(wanted) {
            visit(id, false);
        }
    }
    if level != Level::Class
        && let Some(p) = parent_id
    {
        visit(p, true);
    }
    let parent = (level != Level::Class).then(|| parent.finish());

    let taxonomy = &lib.reference().taxonomy;
    let mut out: Vec<MoneyRow> = rows
        .into_iter()
        .map(|(key, (amounts, name, cited))| {
            let amounts = amounts.finish();
            if level == Level::Unit {
                MoneyRow {
                    code: None,
                    name: c.strings.get(key).unwrap_or("未注明").to_string(),
                    amounts,
                    share: None,
                    // A unit with one document in the year shown: the cell its amount stands in.
                    source: cited
                        .filter(|_| amounts.documents == 1)
                        .map(|i| Source::of(&c.fact(i))),
                }
            } else {
                let code = c.strings.get(key).unwrap_or_default().to_string();
                let name = taxonomy
                    .name(&code)
                    .map(str::to_string)
                    .unwrap_or_else(|| c.strings.get(name).unwrap_or_default().to_string());
                MoneyRow {
                    code: Some(code),
                    name,
                    amounts,
                    share: None,
                    source: None,
                }
            }
        })
        .collect();
    let mut total = Amounts::default();
    for r in &out {
        if let Some(a) = r.amounts.amount {
            total.amount = Some(total.amount.unwrap_or(0.0) + a);
        }
        if let Some(p) = r.amounts.previous {
            total.previous = Some(total.previous.unwrap_or(0.0) + p);
        }
    }
    total.documents = contributing.iter().filter(|&&b| b & 1 != 0).count();
    total.previous_documents = contributing.iter().filter(|&&b| b & 2 != 0).count();
    let total = total.finish();
    let base = match &parent {
        Some(p) => p.amount,
        None => total.amount,
    };
    for r in &mut out {
        r.share = match (r.amounts.amount, base) {
            (Some(a), Some(b)) if b > 0.0 => Some(round6(a / b * 100.0)),
            _ => None,
        };
    }
    if level != Level::Unit {
        out.sort_by(|a, b| a.code.cmp(&b.code));
    } else {
        out.sort_by(|a, b| {
            b.amounts
                .amount
                .unwrap_or(0.0)
                .total_cmp(&a.amounts.amount.unwrap_or(0.0))
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    let path = path_of(&c, taxonomy, code);
    Ok(MoneyView {
        level,
        path,
        year,
        compare,
        stage,
        table,
        column: column.unwrap_or_else(|| ANY_COLUMN.to_string()),
        economic,
        unit,
        region,
        rows: out,
        total,
        parent,
        years: filters.years,
        stages: filters.stages,
        tables: filters.tables,
        columns: filters.columns,
    })
}

/// The subjects from the 类 down to `code` (empty without one), each with its name.
pub(super) fn path_of(
    c: &Columns,
    taxonomy: &crate::link::taxonomy::Taxonomy,
    code: Option<&str>,
) -> Vec<Crumb> {
    let Some(code) = code else {
        return Vec::new();
    };
    [3, 5, 7]
        .iter()
        .filter(|&&n| n <= code.len())
        .map(|&n| Crumb {
            code: code[..n].to_string(),
            name: c.code_name(taxonomy, &code[..n]),
        })
        .collect()
}

/// The resolved year and stage and the choices of each filter, from one pass over the facts.
struct Filters {
    year: Option<i32>,
    stage: Option<Stage>,
    years: Vec<Choice<i32>>,
    stages: Vec<Choice<Stage>>,
    tables: Vec<Choice<TableKind>>,
    columns: Vec<Choice<String>>,
}

impl Filters {
    fn of(c: &Columns, m: &Matcher, table: TableKind, sel: &Selection) -> Filters {
        // Per document: whether it has a subject amount in the table and column, which table kinds hold its
        // subject amounts (a bit per kind), and which columns its tables of the selected kind have.
        let mut matching = vec![false; c.docs.len()];
        let mut kinds = vec![0u32; c.docs.len()];
        let mut columns: Vec<Vec<u32>> = vec![Vec::new(); c.docs.len()];
        for i in 0..c.len() {
            let d = c.doc[i] as usize;
            if !m.visible[d] || c.code[i] == NONE || (c.flags[i] & 1 != 0) != sel.economic {
                continue;
            }
            let k = c.table_kind[i];
            kinds[d] |= 1 << (k as u32);
            if k == table {
                if !columns[d].contains(&c.column[i]) {
                    columns[d].push(c.column[i]);
                }
                if !matching[d] && m.matches(c, i) {
                    matching[d] = true;
                }
            }
        }
        let docs = || {
            c.docs
                .iter()
                .enumerate()
                .filter(|(d, doc)| matching[*d] && doc.year.is_some() && doc.stage.is_some())
                .map(|(_, doc)| doc)
        };
        let year = sel.year.or_else(|| {
            docs()
                .filter(|d| sel.stage.is_none_or(|s| d.stage == Some(s)))
                .filter_map(|d| d.year)
                .max()
        });
        let stage = sel.stage.or_else(|| {
            [Stage::Final, Stage::Budget, Stage::Adjusted]
                .into_iter()
                .find(|s| docs().any(|d| d.year == year && d.stage == Some(*s)))
        });
        let mut by_year: BTreeMap<i32, usize> = BTreeMap::new();
        let mut by_stage: BTreeMap<Stage, usize> = BTreeMap::new();
        for d in docs() {
            if d.stage == stage
                && let Some(y) = d.year
            {
                *by_year.entry(y).or_default() += 1;
            }
            if d.year == year
                && let Some(s) = d.stage
            {
                *by_stage.entry(s).or_default() += 1;
            }
        }
        // The tables and columns of the documents of the year and stage.
        let here = |d: &super::query::DocEntry| d.year == year && d.stage == stage;
        let mut tables: Vec<Choice<TableKind>> = TableKind::ALL
            .iter()
            .map(|&k| Choice {
                value: k,
                documents: c
                    .docs
                    .iter()
                    .zip(&kinds)
                    .filter(|(d, bits)| here(d) && *bits & (1 << (k as u32)) != 0)
                    .count(),
            })
            .filter(|t| t.documents > 0)
            .collect();
        tables.sort_by_key(|t| t.value);
        let mut per_column: HashMap<u32, usize> = HashMap::new();
        for (d, cols) in c.docs.iter().zip(&columns) {
            if here(d) {
                for &k in cols {
                    *per_column.entry(k).or_default() += 1;
                }
            }
        }
        let mut cols: Vec<Choice<String>> = per_column
            .into_iter()
            .filter_map(|(k, n)| {
                c.strings.get(k).map(|name| Choice {
                    value: name.to_string(),
                    documents: n,
                })
            })
            .collect();
        cols.sort_by(|a, b| b.documents.cmp(&a.documents).then(a.value.cmp(&b.value)));
        Filters {
            year,
            stage,
            years: by_year
                .iter()
                .rev()
                .map(|(&value, &documents)| Choice { value, documents })
                .collect(),
            stages: by_stage
                .into_iter()
                .map(|(value, documents)| Choice { value, documents })
                .collect(),
            tables,
            columns: cols,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::generate::Plan;
    use crate::budget::testing::generated_library;
    use crate::model::Access;

    /// A library with generated budgets and final accounts of `units` units over 2023–2024; the 2024 final
    /// account of the first unit is restricted and has its 支出表 printed twice.
    fn library(dir: &std::path::Path, units: usize) -> (Library, String) {
        let plan = Plan {
            units,
            first_year: 2023,
            last_year: 2024,
            seed: 3,
        };
        generated_library(dir, plan, |g, first, doc| {
            if g.unit == first && g.year == 2024 && g.stage == Stage::Final {
                doc.access = Access::Restricted;
                doc.tables.push(doc.tables[0].clone());
            }
            true
        })
    }

    use crate::budget::testing::{close, fact_sum};

    #[test]
    fn every_level_sums_its_facts_once_per_document_with_the_year_before() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, restricted_unit) = library(dir.path(), 24);
        let all = Scope::All;
        let top = money(&lib, &Selection::default(), &all).unwrap();
        assert_eq!(top.level, Level::Class);
        assert_eq!(
            (top.year, top.compare, top.stage),
            (Some(2024), Some(2023), Some(Stage::Final))
        );
        assert_eq!(
            (top.table, top.column.as_str()),
            (TableKind::Expenditure, "本年支出合计")
        );
        assert_eq!(top.total.documents, 24);
        assert_eq!(top.total.previous_documents, 24);
        assert!(top.rows.len() >= 5, "{:?}", top.rows);
        assert!(
            top.rows.windows(2).all(|w| w[0].code < w[1].code),
            "in code order"
        );
        assert!(
            top.tables
                .iter()
                .any(|t| t.value == TableKind::GeneralExpenditure)
        );
        assert_eq!(
            top.years.iter().map(|y| y.value).collect::<Vec<_>>(),
            vec![2024, 2023]
        );
        let mut shares = 0.0;
        for r in &top.rows {
            let code = r.code.as_deref().unwrap();
            let a = fact_sum(&lib, code, 2024, Stage::Final, None, &all);
            let p = fact_sum(&lib, code, 2023, Stage::Final, None, &all);
            assert!(
                close(r.amounts.amount, a),
                "{code}: {:?} vs {a:?}",
                r.amounts
            );
            assert!(
                close(r.amounts.previous, p),
                "{code}: {:?} vs {p:?}",
                r.amounts
            );
            let (a, p) = (a.unwrap(), p.unwrap());
            assert!(close(r.amounts.change, Some(a - p)));
            assert!(close(r.amounts.growth, Some((a - p) / p * 100.0)));
            shares += r.share.unwrap();
        }
        assert!((shares - 100.0).abs() < 1e-4, "{shares}");

        // The first unit's final account has its 支出表 twice: its facts are there twice, the view counts
        // them once (the fact sums above took the first of each document too).
        let class = top.rows[0].code.clone().unwrap();
        let doubled = query::facts(
            &lib,
            &FactQuery {
                code: Some("2080505".into()),
                year: Some(2024),
                table: Some("支出表".into()),
                column: Some("本年支出合计".into()),
                unit: Some(restricted_unit.clone()),
                limit: usize::MAX,
                ..FactQuery::default()
            },
            &all,
        )
        .unwrap();
        let finals: Vec<_> = doubled
            .facts
            .iter()
            .filter(|f| f.stage == Some(Stage::Final))
            .collect();
        assert_eq!(finals.len(), 2, "the table printed twice");

        // Down: 类 → 款 → 项 → units; each level's rows are its facts, and add up to the level above.
        let mut sel = Selection {
            code: Some(class.clone()),
            ..Selection::default()
        };
        let mut above = top.rows[0].amounts;
        for level in [Level::Section, Level::Item, Level::Unit] {
            let v = money(&lib, &sel, &all).unwrap();
            assert_eq!(v.level, level);
            assert_eq!(v.path.last().unwrap().code, sel.code.clone().unwrap());
            assert!(!v.path.last().unwrap().name.is_empty());
            assert!(close(v.parent.unwrap().amount, above.amount));
            assert!(
                close(v.total.amount, above.amount),
                "{level:?}: Σ rows = parent"
            );
            assert!(close(v.total.previous, above.previous));
            for r in &v.rows {
                let (code, unit) = match level {
                    Level::Unit => (sel.code.clone().unwrap(), Some(r.name.as_str())),
                    _ => (r.code.clone().unwrap(), None),
                };
                let a = fact_sum(&lib, &code, 2024, Stage::Final, unit, &all);
                assert!(
                    close(r.amounts.amount, a),
                    "{level:?} {}: {:?} vs {a:?}",
                    r.name,
                    r.amounts
                );
                let p = fact_sum(&lib, &code, 2023, Stage::Final, unit, &all);
                assert!(close(r.amounts.previous, p));
            }
            if level == Level::Unit {
                assert!(
                    v.rows
                        .windows(2)
                        .all(|w| w[0].amounts.amount >= w[1].amounts.amount)
                );
                break;
            }
            let next = v
                .rows
                .iter()
                .max_by(|a, b| a.amounts.amount.partial_cmp(&b.amounts.amount).unwrap())
                .unwrap();
            above = next.amounts;
            sel.code = next.code.clone();
        }

        // The other table kind names the same amounts; the budget stage has its own.
        let general = money(
            &lib,
            &Selection {
                table: Some(TableKind::GeneralExpenditure),
                ..Selection::default()
            },
            &all,
        )
        .unwrap();
        assert!(close(general.total.amount, top.total.amount));
        let budget = money(
            &lib,
            &Selection {
                stage: Some(Stage::Budget),
                ..Selection::default()
            },
            &all,
        )
        .unwrap();
        assert_eq!(budget.stage, Some(Stage::Budget));
        assert!(!close(budget.total.amount, top.total.amount));
    }

    #[test]
    fn a_restricted_document_is_outside_a_public_reader_s_amounts() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, restricted_unit) = library(dir.path(), 6);
        let public = Scope::default();
        let sel = Selection {
            code: Some("2080505".into()),
            ..Selection::default()
        };
        let staff = money(&lib, &sel, &Scope::All).unwrap();
        let outside = money(&lib, &sel, &public).unwrap();
        assert!(staff.rows.iter().any(|r| r.name == restricted_unit));
        let hidden = outside
            .rows
            .iter()
            .find(|r| r.name == restricted_unit)
            .expect("its 2023 account is public");
        assert_eq!(hidden.amounts.amount, None, "{hidden:?}");
        assert!(hidden.amounts.previous.is_some());
        let theirs = fact_sum(
            &lib,
            "2080505",
            2024,
            Stage::Final,
            Some(&restricted_unit),
            &Scope::All,
        )
        .unwrap();
        assert!(close(
            outside.total.amount,
            staff.total.amount.map(|a| a - theirs)
        ));
        assert_eq!(outside.total.documents + 1, staff.total.documents);
        assert!(
            money(
                &lib,
                &Selection {
                    code: Some("20x".into()),
                    ..Selection::default()
                },
                &public
            )
            .is_err()
        );
        assert!(
            money(
                &lib,
                &Selection {
                    code: Some("2080".into()),
                    ..Selection::default()
                },
                &public
            )
            .is_err()
        );
    }

    #[test]
    fn a_region_narrows_every_amount_to_its_units() {
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan {
            units: 40,
            first_year: 2023,
            last_year: 2024,
            seed: 5,
        };
        // The region of each unit, as its name begins (示例省东湖市城关区教育局 → 示例省东湖市城关区).
        let mut regions = std::collections::BTreeMap::new();
        let (lib, _) = generated_library(dir.path(), plan, |g, _, _| {
            let r = crate::budget::facts::region_of(&g.unit).expect("a region in the name");
            regions.insert(g.unit.clone(), r);
            true
        });
        let distinct: std::collections::BTreeSet<&String> = regions.values().collect();
        assert!(distinct.len() >= 2, "{distinct:?}");
        let all = money(&lib, &Selection::default(), &Scope::All).unwrap();
        let mut sum = 0.0;
        let mut documents = 0;
        for region in distinct {
            let theirs: Vec<&String> = regions
                .iter()
                .filter(|(_, r)| *r == region)
                .map(|(u, _)| u)
                .collect();
            let v = money(
                &lib,
                &Selection {
                    region: Some(region.clone()),
                    ..Selection::default()
                },
                &Scope::All,
            )
            .unwrap();
            assert_eq!(v.region.as_ref(), Some(region));
            assert_eq!(
                v.total.documents,
                theirs.len(),
                "{region}: one final account per unit"
            );
            sum += v.total.amount.unwrap();
            documents += v.total.documents;
            let units = money(
                &lib,
                &Selection {
                    code: Some("2080505".into()),
                    region: Some(region.clone()),
                    ..Selection::default()
                },
                &Scope::All,
            )
            .unwrap();
            assert!(
                units.rows.iter().all(|r| regions[&r.name] == *region),
                "{region}"
            );
            for r in &units.rows {
                let want = fact_sum(
                    &lib,
                    "2080505",
                    2024,
                    Stage::Final,
                    Some(&r.name),
                    &Scope::All,
                );
                assert!(close(r.amounts.amount, want));
            }
        }
        assert!(close(Some(sum), all.total.amount));
        assert_eq!(documents, all.total.documents);
        let none = money(
            &lib,
            &Selection {
                region: Some("没有这个地区".into()),
                ..Selection::default()
            },
            &Scope::All,
        )
        .unwrap();
        assert!(none.rows.is_empty() && none.total.amount.is_none());
    }
}
