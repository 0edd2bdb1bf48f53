//! Comparison (对比分析): the amounts of one table column as a pivot of two of three dimensions — units,
//! subjects, years — with the third summed over its selection; each cell with the year before and its growth
//! rate (when years are an axis), its share of its column, and for final accounts the budget of the same units,
//! subjects and years beside the actual with the 完成率. Pure queries over the in-memory columns
//! (`query::columns`), inside the reader's `Scope`; one amount per document and code, as in `views`.

use super::query::{self, FactQuery, Matcher, NONE};
use super::recognise::{Stage, TableKind};
use super::views::{Choice, Crumb, DEFAULT_COLUMN, DEFAULT_TABLE};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Scope, label_enum};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

label_enum!(
    /// A dimension of the comparison.
    Dim {
        Unit => "单位",
        Subject => "科目",
        Year => "年度",
    }
);

impl Dim {
    /// The dimension a URL names (`unit`, `subject`, `year`, or the Chinese label).
    pub fn from_key(s: &str) -> Option<Dim> {
        match s.trim() {
            "unit" => Some(Dim::Unit),
            "subject" => Some(Dim::Subject),
            "year" => Some(Dim::Year),
            other => Dim::parse(other),
        }
    }

    /// The URL name.
    pub fn key(self) -> &'static str {
        match self {
            Dim::Unit => "unit",
            Dim::Subject => "subject",
            Dim::Year => "year",
        }
    }
}

/// At most this many rows or columns; the rest are counted, their amounts stay in the totals.
pub const MAX_HEADERS: usize = 300;

/// At most this many years by default (the latest ones).
pub const DEFAULT_YEARS: usize = 10;

/// What to compare; empty fields take their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct PivotSelection {
    /// The dimension down the side.
    pub rows: Dim,
    /// The dimension across the top.
    pub cols: Dim,
    /// The subject: with subjects on an axis, its children are the rows or columns (none: the 类; a 项: the
    /// 项 itself); otherwise the amounts are the subject's own (none: the sum of the 类).
    pub code: Option<String>,
    /// The years (default: the latest `DEFAULT_YEARS` with amounts with years on an axis, else the latest).
    pub years: Vec<i32>,
    /// Parts of unit names, any of which a unit's name contains (default: every unit).
    pub units: Vec<String>,
    /// A part of the region's name.
    pub region: Option<String>,
    /// The stage (default: 决算 where there are final accounts, else 预算, else 调整预算).
    pub stage: Option<Stage>,
    pub table: Option<TableKind>,
    pub column: Option<String>,
}

impl Default for PivotSelection {
    fn default() -> Self {
        PivotSelection {
            rows: Dim::Subject,
            cols: Dim::Year,
            code: None,
            years: Vec::new(),
            units: Vec::new(),
            region: None,
            stage: None,
            table: None,
            column: None,
        }
    }
}

/// A row or column of the pivot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    /// The subject code, the unit's name or the year.
    pub key: String,
    /// What the page prints: `205 教育支出`, the unit, `2024年`.
    pub label: String,
}

/// One cell (or total) of the pivot, in 万元.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PivotCell {
    /// The amount of the selected stage; none when no document has it.
    pub amount: Option<f64>,
    /// The same cell a year earlier (with years on an axis).
    pub previous: Option<f64>,
    /// The growth on the year before, in percent, when that is above zero.
    pub growth: Option<f64>,
    /// The amount in percent of its column's total.
    pub share: Option<f64>,
    /// For final accounts: the 年初预算 of the same cell (the budgets of the same units and years).
    pub budget: Option<f64>,
    /// 完成率: actual in percent of budget, over the units and years that have both a budget and a final
    /// account (a unit without its budget does not inflate it).
    pub rate: Option<f64>,
    /// How many documents the amount sums.
    pub documents: usize,
}

/// A comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pivot {
    pub rows_dim: Dim,
    pub cols_dim: Dim,
    pub rows: Vec<Header>,
    pub cols: Vec<Header>,
    /// `cells[r][c]`.
    pub cells: Vec<Vec<PivotCell>>,
    /// Per row: its total over every column (the omitted ones too).
    pub row_totals: Vec<PivotCell>,
    /// Per column: its total over every row.
    pub col_totals: Vec<PivotCell>,
    pub total: PivotCell,
    /// Rows and columns beyond `MAX_HEADERS` (the smallest units), in the totals but not listed.
    pub omitted_rows: usize,
    pub omitted_cols: usize,
    /// The subject as resolved, from its 类 down.
    pub path: Vec<Crumb>,
    pub years: Vec<i32>,
    pub units: Vec<String>,
    pub region: Option<String>,
    pub stage: Option<Stage>,
    pub table: TableKind,
    pub column: String,
    /// Whether budgets stand beside the actuals (the stage is 决算 and some budget matched).
    pub against_budget: bool,
    /// The years with amounts of the stage, newest first, each with its documents.
    pub year_choices: Vec<Choice<i32>>,
    pub stages: Vec<Choice<Stage>>,
}

/// Sums of one cell while counting.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    amount: Option<f64>,
    budget: Option<f64>,
    paired_amount: f64,
    paired_budget: f64,
    paired: bool,
    documents: usize,
}

impl Acc {
    fn add(&mut self, actual: bool, amount: f64, paired: bool) {
        if actual {
            self.amount = Some(self.amount.unwrap_or(0.0) + amount);
            self.documents += 1;
            if paired {
                self.paired_amount += amount;
                self.paired = true;
            }
        } else {
            self.budget = Some(self.budget.unwrap_or(0.0) + amount);
            if paired {
                self.paired_budget += amount;
                self.paired = true;
            }
        }
    }

    fn merge(&mut self, o: &Acc) {
        if let Some(a) = o.amount {
            self.amount = Some(self.amount.unwrap_or(0.0) + a);
        }
        if let Some(b) = o.budget {
            self.budget = Some(self.budget.unwrap_or(0.0) + b);
        }
        self.paired_amount += o.paired_amount;
        self.paired_budget += o.paired_budget;
        self.paired |= o.paired;
        self.documents += o.documents;
    }

    fn cell(&self, against: bool) -> PivotCell {
        PivotCell {
            amount: self.amount.map(round6),
            budget: against.then_some(self.budget.map(round6)).flatten(),
            rate: (against && self.paired && self.paired_budget > 0.0)
                .then(|| round6(self.paired_amount / self.paired_budget * 100.0)),
            documents: self.documents,
            ..PivotCell::default()
        }
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The comparison of a selection inside a scope.
pub fn pivot(lib: &Library, sel: &PivotSelection, scope: &Scope) -> Result<Pivot> {
    if sel.rows == sel.cols {
        return Err(Error::Invalid(format!(
            "行和列应为不同的维度（都是「{}」）",
            sel.rows.label()
        )));
    }
    let code = sel.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = code
        && !(matches!(c.len(), 3 | 5 | 7) && c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Error::Invalid(format!(
            "科目编码应为 3、5 或 7 位数字：{c}"
        )));
    }
    let on_axis = |d: Dim| sel.rows == d || sel.cols == d;
    let c = query::columns(lib)?;
    let table = sel.table.unwrap_or(DEFAULT_TABLE);
    let column = sel
        .column
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_COLUMN.to_string());
    let m = Matcher::new(
        lib,
        &c,
        &FactQuery {
            table: Some(table.label().to_string()),
            column: Some(column.clone()),
            region: sel.region.clone().filter(|r| !r.trim().is_empty()),
            ..FactQuery::default()
        },
        scope,
    );
    let units: Vec<String> = sel
        .units
        .iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    let region = sel
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    // The documents inside the scope and the region (the matcher's) and the units.
    let chosen: Vec<bool> = c
        .docs
        .iter()
        .enumerate()
        .map(|(d, e)| {
            m.visible[d]
                && e.year.is_some()
                && (units.is_empty()
                    || c.strings
                        .get(e.unit)
                        .is_some_and(|n| units.iter().any(|u| n.contains(u.as_str()))))
        })
        .collect();

    // The codes counted: the subject's children (or the 类) with subjects on an axis, else the subject itself.
    let wanted = |s: &str| match (on_axis(Dim::Subject), code) {
        (true, None) | (false, None) => s.len() == 3,
        (true, Some(p)) if p.len() == 7 => s == p,
        (true, Some(p)) => s.len() == p.len() + 2 && s.starts_with(p),
        (false, Some(p)) => s == p,
    };
    let codes: Vec<u32> = c
        .by_code
        .keys()
        .copied()
        .filter(|&id| {
            c.strings
                .get(id)
                .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()) && wanted(s))
        })
        .collect();

    // One pass over the codes' facts: the first matching fact of each document and code (a table printed
    // twice counts once), kept for the sums below.
    let mut has = vec![false; c.docs.len()];
    let mut hits: Vec<u32> = Vec::new();
    for &id in &codes {
        let mut last_doc = NONE;
        for &i in &c.by_code[&id] {
            let d = c.doc[i as usize];
            if d == last_doc
                || !chosen[d as usize]
                || c.flags[i as usize] & 1 != 0
                || !m.matches(&c, i as usize)
            {
                continue;
            }
            last_doc = d;
            has[d as usize] = true;
            hits.push(i);
        }
    }
    let mut by_stage: HashMap<Stage, usize> = HashMap::new();
    for (d, e) in c.docs.iter().enumerate() {
        if has[d]
            && let Some(s) = e.stage
            && (sel.years.is_empty() || e.year.is_some_and(|y| sel.years.contains(&y)))
        {
            *by_stage.entry(s).or_default() += 1;
        }
    }
    let stage = sel.stage.or_else(|| {
        [Stage::Final, Stage::Budget, Stage::Adjusted]
            .into_iter()
            .find(|s| by_stage.contains_key(s))
    });
    let mut year_docs: HashMap<i32, usize> = HashMap::new();
    for (d, e) in c.docs.iter().enumerate() {
        if has[d]
            && e.stage == stage
            && let Some(y) = e.year
        {
            *year_docs.entry(y).or_default() += 1;
        }
    }
    let mut year_choices: Vec<Choice<i32>> = year_docs
        .iter()
        .map(|(&value, &documents)| Choice { value, documents })
        .collect();
    year_choices.sort_by_key(|c| std::cmp::Reverse(c.value));
    let years: Vec<i32> = if sel.years.is_empty() {
        // Years summed (not an axis) default to the latest one alone.
        let n = if on_axis(Dim::Year) { DEFAULT_YEARS } else { 1 };
        let mut ys: Vec<i32> = year_choices.iter().take(n).map(|y| y.value).collect();
        ys.sort();
        ys
    } else {
        sel.years
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    // With years on an axis, the year before each is read too, for the growth rates.
    let mut read_years: HashSet<i32> = years.iter().copied().collect();
    if on_axis(Dim::Year) {
        read_years.extend(years.iter().map(|y| y - 1));
    }
    let against = stage == Some(Stage::Final);
    let mut budget_pairs: HashSet<(u32, i32)> = HashSet::new();
    let mut final_pairs: HashSet<(u32, i32)> = HashSet::new();
    if against {
        for (d, e) in c.docs.iter().enumerate() {
            if has[d]
                && let Some(y) = e.year
                && e.unit != NONE
            {
                match e.stage {
                    Some(Stage::Budget) => {
                        budget_pairs.insert((e.unit, y));
                    }
                    Some(Stage::Final) => {
                        final_pairs.insert((e.unit, y));
                    }
                    _ => {}
                }
            }
        }
    }
    // Per document: counted as the actual (true), as the budget (false), or not at all; and paired.
    let side: Vec<Option<(bool, bool)>> = c
        .docs
        .iter()
        .enumerate()
        .map(|(d, e)| {
            let y = e.year?;
            if !has[d] || !read_years.contains(&y) {
                return None;
            }
            let paired = budget_pairs.contains(&(e.unit, y)) && final_pairs.contains(&(e.unit, y));
            if e.stage == stage {
                Some((true, paired))
            } else if against && e.stage == Some(Stage::Budget) {
                Some((false, paired))
            } else {
                None
            }
        })
        .collect();

    let key = |dim: Dim, d: usize, code: u32| -> u32 {
        match dim {
            Dim::Unit => c.docs[d].unit,
            Dim::Subject => code,
            Dim::Year => c.docs[d].year.unwrap_or_default() as u32,
        }
    };
    let mut cells: HashMap<(u32, u32), Acc> = HashMap::new();
    let mut budget_seen = false;
    for &i in &hits {
        let i = i as usize;
        let d = c.doc[i] as usize;
        let Some((actual, paired)) = side[d] else {
            continue;
        };
        budget_seen |= !actual;
        let id = c.code[i];
        let (r, k) = (key(sel.rows, d, id), key(sel.cols, d, id));
        cells
            .entry((r, k))
            .or_default()
            .add(actual, c.amount[i], paired);
    }
    let against = against && budget_seen;

    // The headers: years in order, subjects in code order, units by amount (largest first).
    let in_years = |y: u32| years.contains(&(y as i32));
    let mut row_acc: HashMap<u32, Acc> = HashMap::new();
    let mut col_acc: HashMap<u32, Acc> = HashMap::new();
    let mut total = Acc::default();
    let mut prev_rows: HashMap<u32, Acc> = HashMap::new();
    let mut prev_cols: HashMap<u32, Acc> = HashMap::new();
    for (&(r, k), a) in &cells {
        let year_of = |dim: Dim, key: u32| (dim == Dim::Year).then_some(key);
        let outside = [year_of(sel.rows, r), year_of(sel.cols, k)]
            .into_iter()
            .flatten()
            .any(|y| !in_years(y));
        if outside {
            // A year before a shown one, read for the growth rates only.
            if sel.rows == Dim::Year && in_years(r + 1) {
                prev_rows.entry(r + 1).or_default().merge(a);
            }
            if sel.cols == Dim::Year && in_years(k + 1) {
                prev_cols.entry(k + 1).or_default().merge(a);
            }
            continue;
        }
        row_acc.entry(r).or_default().merge(a);
        col_acc.entry(k).or_default().merge(a);
        total.merge(a);
    }
    let order = |dim: Dim, accs: &HashMap<u32, Acc>| -> Vec<u32> {
        let mut keys: Vec<u32> = accs.keys().copied().collect();
        match dim {
            Dim::Year => keys.sort(),
            Dim::Subject => keys.sort_by(|a, b| c.strings.get(*a).cmp(&c.strings.get(*b))),
            Dim::Unit => keys.sort_by(|a, b| {
                let v = |k: &u32| accs[k].amount.unwrap_or(0.0);
                v(b).total_cmp(&v(a))
                    .then_with(|| c.strings.get(*a).cmp(&c.strings.get(*b)))
            }),
        }
        keys
    };
    let mut row_keys = order(sel.rows, &row_acc);
    let mut col_keys = order(sel.cols, &col_acc);
    let omitted_rows = row_keys.len().saturating_sub(MAX_HEADERS);
    let omitted_cols = col_keys.len().saturating_sub(MAX_HEADERS);
    row_keys.truncate(MAX_HEADERS);
    col_keys.truncate(MAX_HEADERS);

    let taxonomy = &lib.reference().taxonomy;
    let header = |dim: Dim, k: u32| match dim {
        Dim::Year => Header {
            key: k.to_string(),
            label: format!("{k}年"),
        },
        Dim::Unit => {
            let name = c.strings.get(k).unwrap_or("未注明单位").to_string();
            Header {
                key: name.clone(),
                label: name,
            }
        }
        Dim::Subject => {
            let code = c.strings.get(k).unwrap_or_default().to_string();
            Header {
                label: format!("{code} {}", c.code_name(taxonomy, &code)),
                key: code,
            }
        }
    };
    // The year before a cell's year, if years are an axis.
    let previous_of = |r: u32, k: u32| -> Option<f64> {
        match (sel.rows, sel.cols) {
            (Dim::Year, _) => cells.get(&(r.checked_sub(1)?, k)).and_then(|a| a.amount),
            (_, Dim::Year) => cells.get(&(r, k.checked_sub(1)?)).and_then(|a| a.amount),
            _ => None,
        }
    };
    let with_growth = |mut cell: PivotCell, previous: Option<f64>| {
        cell.previous = previous.map(round6);
        if let (Some(a), Some(p)) = (cell.amount, cell.previous) {
            cell.growth = (p > 0.0).then(|| round6((a - p) / p * 100.0));
        }
        cell
    };
    let share = |mut cell: PivotCell, of: Option<f64>| {
        if let (Some(a), Some(t)) = (cell.amount, of)
            && t > 0.0
        {
            cell.share = Some(round6(a / t * 100.0));
        }
        cell
    };
    let col_cells: Vec<PivotCell> = col_keys
        .iter()
        .map(|k| {
            let cell = col_acc[k].cell(against);
            let prev = (sel.cols == Dim::Year)
                .then(|| prev_cols.get(k).and_then(|a| a.amount))
                .flatten();
            with_growth(share(cell, total.amount), prev)
        })
        .collect();
    let grid: Vec<Vec<PivotCell>> = row_keys
        .iter()
        .map(|r| {
            col_keys
                .iter()
                .zip(&col_cells)
                .map(|(k, ct)| {
                    let cell = cells.get(&(*r, *k)).map(|a| a.cell(against));
                    let cell = cell.unwrap_or_default();
                    with_growth(share(cell, ct.amount), previous_of(*r, *k))
                })
                .collect()
        })
        .collect();
    let row_cells: Vec<PivotCell> = row_keys
        .iter()
        .map(|r| {
            let cell = row_acc[r].cell(against);
            let prev = (sel.rows == Dim::Year)
                .then(|| prev_rows.get(r).and_then(|a| a.amount))
                .flatten();
            with_growth(share(cell, total.amount), prev)
        })
        .collect();

    let path = super::views::path_of(&c, taxonomy, code);
    let mut stages: Vec<Choice<Stage>> = by_stage
        .into_iter()
        .map(|(value, documents)| Choice { value, documents })
        .collect();
    stages.sort_by_key(|s| s.value);
    Ok(Pivot {
        rows_dim: sel.rows,
        cols_dim: sel.cols,
        rows: row_keys.iter().map(|&k| header(sel.rows, k)).collect(),
        cols: col_keys.iter().map(|&k| header(sel.cols, k)).collect(),
        cells: grid,
        row_totals: row_cells,
        col_totals: col_cells,
        total: total.cell(against),
        omitted_rows,
        omitted_cols,
        path,
        years,
        units,
        region: region.map(str::to_string),
        stage,
        table,
        column,
        against_budget: against,
        year_choices,
        stages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::generate::Plan;
    use crate::budget::testing::generated_library;

    /// A library with generated budgets and final accounts of `units` units over 2022–2024, less the 2024
    /// budget of the first unit (which has its final account): that unit is outside the 完成率.
    fn library(dir: &std::path::Path, units: usize) -> (Library, String) {
        let plan = Plan {
            units,
            first_year: 2022,
            last_year: 2024,
            seed: 7,
        };
        generated_library(dir, plan, |g, first, _| {
            !(g.unit == first && g.year == 2024 && g.stage == Stage::Budget)
        })
    }

    use crate::budget::testing::close;

    /// The shared hand sum, for staff.
    fn fact_sum(
        lib: &Library,
        code: &str,
        year: i32,
        stage: Stage,
        unit: Option<&str>,
    ) -> Option<f64> {
        crate::budget::testing::fact_sum(lib, code, year, stage, unit, &Scope::All)
    }

    /// The units with a final account of a year that has a code.
    fn units_with(lib: &Library, code: &str, year: i32) -> BTreeSet<String> {
        query::facts(
            lib,
            &FactQuery {
                code: Some(code.into()),
                year: Some(year),
                limit: usize::MAX,
                ..FactQuery::default()
            },
            &Scope::All,
        )
        .unwrap()
        .facts
        .into_iter()
        .filter(|f| f.stage == Some(Stage::Final))
        .filter_map(|f| f.unit)
        .collect()
    }

    #[test]
    fn subjects_by_years_are_the_facts_with_growth_share_and_totals() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, _) = library(dir.path(), 12);
        let p = pivot(&lib, &PivotSelection::default(), &Scope::All).unwrap();
        assert_eq!((p.rows_dim, p.cols_dim), (Dim::Subject, Dim::Year));
        assert_eq!(p.stage, Some(Stage::Final));
        assert_eq!(p.years, vec![2022, 2023, 2024]);
        assert_eq!(
            p.cols.iter().map(|h| h.label.as_str()).collect::<Vec<_>>(),
            vec!["2022年", "2023年", "2024年"]
        );
        assert!(p.rows.len() >= 5);
        assert!(p.rows.windows(2).all(|w| w[0].key < w[1].key));
        for (r, h) in p.rows.iter().enumerate() {
            assert_eq!(h.key.len(), 3);
            for (k, y) in p.years.iter().enumerate() {
                let want = fact_sum(&lib, &h.key, *y, Stage::Final, None);
                let cell = p.cells[r][k];
                assert!(
                    close(cell.amount, want),
                    "{} {y}: {cell:?} vs {want:?}",
                    h.key
                );
                if k > 0 {
                    let before = fact_sum(&lib, &h.key, y - 1, Stage::Final, None);
                    assert!(close(cell.previous, before));
                    let (a, b) = (want.unwrap(), before.unwrap());
                    assert!(close(cell.growth, Some((a - b) / b * 100.0)));
                } else {
                    assert_eq!(cell.previous, None, "2021 is not in the library");
                }
            }
        }
        for (k, t) in p.col_totals.iter().enumerate() {
            let sum: f64 = p.cells.iter().map(|r| r[k].amount.unwrap_or(0.0)).sum();
            assert!(close(t.amount, Some(sum)));
            let shares: f64 = p.cells.iter().map(|r| r[k].share.unwrap_or(0.0)).sum();
            assert!((shares - 100.0).abs() < 1e-3, "{shares}");
        }
        for (r, t) in p.row_totals.iter().enumerate() {
            let sum: f64 = p.cells[r].iter().map(|c| c.amount.unwrap_or(0.0)).sum();
            assert!(close(t.amount, Some(sum)));
        }
        let all: f64 = p.col_totals.iter().map(|c| c.amount.unwrap_or(0.0)).sum();
        assert!(close(p.total.amount, Some(all)));
        // The budget stage is its own comparison, with no budget beside it.
        let b = pivot(
            &lib,
            &PivotSelection {
                stage: Some(Stage::Budget),
                ..PivotSelection::default()
            },
            &Scope::All,
        )
        .unwrap();
        assert!(!b.against_budget);
        assert!(b.total.rate.is_none() && b.total.budget.is_none());
        assert!(!close(b.total.amount, p.total.amount));
    }

    #[test]
    fn units_under_a_subject_show_budget_against_actual_only_where_both_exist() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, first) = library(dir.path(), 8);
        let code = "2080505";
        let p = pivot(
            &lib,
            &PivotSelection {
                rows: Dim::Unit,
                cols: Dim::Year,
                code: Some(code.into()),
                ..PivotSelection::default()
            },
            &Scope::All,
        )
        .unwrap();
        assert!(p.against_budget);
        assert_eq!(p.path.last().map(|c| c.code.as_str()), Some(code));
        let all_units = units_with(&lib, code, 2024);
        assert_eq!(p.rows.len(), all_units.len());
        assert!(p.row_totals.windows(2).all(|w| w[0].amount >= w[1].amount));
        let y = p.years.iter().position(|&y| y == 2024).unwrap();
        let mut paired_final = 0.0;
        let mut paired_budget = 0.0;
        for (r, h) in p.rows.iter().enumerate() {
            let cell = p.cells[r][y];
            let actual = fact_sum(&lib, code, 2024, Stage::Final, Some(&h.key));
            let budget = fact_sum(&lib, code, 2024, Stage::Budget, Some(&h.key));
            assert!(close(cell.amount, actual), "{}", h.key);
            assert!(close(cell.budget, budget), "{}", h.key);
            if h.key == first {
                assert_eq!(budget, None);
                assert_eq!(cell.rate, None, "no budget, no 完成率");
            } else {
                let (a, b) = (actual.unwrap(), budget.unwrap());
                assert!(close(cell.rate, Some(a / b * 100.0)));
                paired_final += a;
                paired_budget += b;
            }
        }
        // The year's total rate leaves out the unit without its budget; its amount does not.
        let t = p.col_totals[y];
        assert!(close(t.rate, Some(paired_final / paired_budget * 100.0)));
        let everything = fact_sum(&lib, code, 2024, Stage::Final, None);
        assert!(close(t.amount, everything));

        // Two units by name, subjects across, the latest year summed.
        let other = p.rows.iter().find(|h| h.key != first).unwrap().key.clone();
        let q = pivot(
            &lib,
            &PivotSelection {
                rows: Dim::Unit,
                cols: Dim::Subject,
                units: vec![first.clone(), other.clone()],
                ..PivotSelection::default()
            },
            &Scope::All,
        )
        .unwrap();
        assert_eq!(q.years, vec![2024]);
        assert_eq!(q.rows.len(), 2);
        for (r, h) in q.rows.iter().enumerate() {
            for (k, s) in q.cols.iter().enumerate() {
                let want = fact_sum(&lib, &s.key, 2024, Stage::Final, Some(&h.key));
                assert!(close(q.cells[r][k].amount, want), "{} {}", h.key, s.key);
            }
        }
    }

    #[test]
    fn a_bad_selection_is_refused_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, _) = library(dir.path(), 2);
        let same = PivotSelection {
            rows: Dim::Year,
            cols: Dim::Year,
            ..PivotSelection::default()
        };
        let e = pivot(&lib, &same, &Scope::All).unwrap_err().to_string();
        assert!(e.contains("不同的维度"), "{e}");
        for code in ["20x", "2080", "12345678"] {
            let sel = PivotSelection {
                code: Some(code.into()),
                ..PivotSelection::default()
            };
            assert!(pivot(&lib, &sel, &Scope::All).is_err(), "{code}");
        }
        assert_eq!(Dim::from_key("unit"), Some(Dim::Unit));
        assert_eq!(Dim::from_key("年度"), Some(Dim::Year));
        assert_eq!(Dim::from_key("region"), None);
    }
}
