//! Cell accuracy of extracted tables against a reference: every cell of every ruled table of a document, page by
//! page, as checked against the rendered pages (`tests/data/final-accounts/*.json`).

use super::table::Table;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A reference document: its file name and the cell grid of each table, one entry per page.
#[derive(Debug, Clone, Deserialize)]
pub struct Reference {
    pub file: String,
    pub tables: Vec<ReferenceGrid>,
}

/// The grid of one table on one page; `None` marks a cell covered by a merged cell.
#[derive(Debug, Clone, Deserialize)]
pub struct ReferenceGrid {
    pub title: String,
    pub page: u32,
    #[serde(default)]
    pub continued: bool,
    pub unit: Option<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// A row of cell texts, `None` for a covered cell.
type GridRow = Vec<Option<String>>;

/// Counts for one table or one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    /// Reference cells, and how many the extraction got right (text, blank or covered alike).
    pub cells: usize,
    pub correct: usize,
    /// Reference cells with text, and how many of those are right.
    pub text_cells: usize,
    pub text_correct: usize,
    /// Cells holding a subject code (3, 5 or 7 digits, or a 2-digit 款/项 part), and how many are right.
    pub codes: usize,
    pub codes_correct: usize,
    /// Reference rows repeated from the table's header on a continuation page (the extraction drops them).
    pub repeated_header_rows: usize,
}

impl Score {
    /// Adds another score's counts.
    pub fn add(&mut self, o: &Score) {
        self.cells += o.cells;
        self.correct += o.correct;
        self.text_cells += o.text_cells;
        self.text_correct += o.text_correct;
        self.codes += o.codes;
        self.codes_correct += o.codes_correct;
        self.repeated_header_rows += o.repeated_header_rows;
    }

    /// Share of reference cells extracted exactly.
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.cells)
    }

    /// Share of reference cells with text extracted exactly.
    pub fn text_accuracy(&self) -> f64 {
        ratio(self.text_correct, self.text_cells)
    }

    /// Share of subject-code cells extracted exactly.
    pub fn code_accuracy(&self) -> f64 {
        ratio(self.codes_correct, self.codes)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The result for one document: overall and per table title.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DocumentScore {
    pub file: String,
    pub total: Score,
    pub tables: BTreeMap<String, Score>,
    /// Reference grids for which no extracted table covered the page.
    pub missing: Vec<String>,
    /// The wrong cells: where, what the reference says and what was extracted (the first 100).
    pub errors: Vec<String>,
}

/// A cell's text for comparison: without whitespace.
fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_code(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit()) && matches!(s.len(), 2 | 3 | 5 | 7)
}

/// Compares the extracted tables of one document with its reference.
pub fn compare(reference: &Reference, tables: &[Table]) -> DocumentScore {
    let mut out = DocumentScore {
        file: reference.file.clone(),
        ..DocumentScore::default()
    };
    // Extracted rows by page: each row belongs to the page of its first positioned cell.
    let mut rows_by_page: BTreeMap<u32, Vec<(usize, GridRow)>> = BTreeMap::new();
    let mut first_rows: Vec<Vec<Vec<Option<String>>>> = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        let grid: Vec<Vec<Option<String>>> = t
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| (!c.covered).then(|| norm(&c.text)))
                    .collect()
            })
            .collect();
        first_rows.push(grid.clone());
        for (row, cells) in t.rows.iter().zip(grid) {
            if let Some(page) = row.iter().find_map(|c| c.page).or(t.first_page()) {
                rows_by_page.entry(page).or_default().push((ti, cells));
            }
        }
    }
    for grid in &reference.tables {
        let mut score = Score::default();
        let mine: Vec<&(usize, Vec<Option<String>>)> = rows_by_page
            .get(&grid.page)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        if mine.is_empty() {
            out.missing.push(format!("{} p{}", grid.title, grid.page));
        }
        // A continuation page may repeat the header rows, which the extraction drops: those reference rows are
        // matched against the table's first rows instead.
        let table = mine.first().map(|(ti, _)| *ti);
        let mut repeated = 0;
        if grid.continued
            && let Some(ti) = table
        {
            while repeated < grid.rows.len()
                && first_rows[ti]
                    .get(repeated)
                    .is_some_and(|r| *r == grid.rows[repeated])
                && mine
                    .get(repeated)
                    .is_none_or(|(_, r)| *r != grid.rows[repeated])
            {
                repeated += 1;
            }
        }
        score.repeated_header_rows = repeated;
        for (ri, row) in grid.rows.iter().enumerate() {
            let extracted: Option<&Vec<Option<String>>> = if ri < repeated {
                table.and_then(|ti| first_rows[ti].get(ri))
            } else {
                mine.get(ri - repeated).map(|(_, r)| r)
            };
            for (ci, cell) in row.iter().enumerate() {
                let got = extracted.and_then(|r| r.get(ci));
                let right = match (cell, got) {
                    (None, Some(None)) => true,
                    (Some(text), Some(Some(g))) => norm(text) == *g,
                    _ => false,
                };
                score.cells += 1;
                score.correct += usize::from(right);
                if !right && out.errors.len() < 100 {
                    out.errors.push(format!(
                        "{} p{} 行{} 列{}: 应为 {:?}，得到 {:?}",
                        grid.title,
                        grid.page,
                        ri + 1,
                        ci + 1,
                        cell,
                        got
                    ));
                }
                if let Some(text) = cell
                    && !text.is_empty()
                {
                    score.text_cells += 1;
                    score.text_correct += usize::from(right);
                    if is_code(text) {
                        score.codes += 1;
                        score.codes_correct += usize::from(right);
                    }
                }
            }
        }
        out.total.add(&score);
        out.tables
            .entry(grid.title.clone())
            .or_default()
            .add(&score);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::table::Cell;

    fn cell(text: &str, page: u32) -> Cell {
        Cell {
            text: text.into(),
            page: Some(page),
            ..Cell::default()
        }
    }

    #[test]
    fn counts_right_and_wrong_cells_and_codes() {
        let reference: Reference = serde_json::from_str(
            r#"{"file":"a.pdf","tables":[
                {"title":"支出决算表","page":2,"continued":false,"unit":"万元",
                 "rows":[["项目",null,"合计"],["2010602","一般行政管理事务","10.00"]]},
                {"title":"支出决算表","page":3,"continued":true,"unit":"万元",
                 "rows":[["项目",null,"合计"],["2010601","行政运行",""]]}]}"#,
        )
        .unwrap();
        let table = Table {
            title: "支出决算表".into(),
            unit: None,
            pages: Some((2, 3)),
            rows: vec![
                vec![cell("项目", 2), Cell::covered(), cell("合计", 2)],
                vec![
                    cell("2010602", 2),
                    cell("一般行政 管理事务", 2),
                    cell("16.19", 2),
                ],
                vec![cell("2010601", 3), cell("行政运行", 3), cell("", 3)],
            ],
        };
        let score = compare(&reference, &[table]);
        assert_eq!(score.total.cells, 12);
        assert_eq!(score.total.correct, 11, "16.19 is wrong, the rest right");
        assert_eq!(score.total.repeated_header_rows, 1);
        assert_eq!(score.total.codes, 2);
        assert_eq!(score.total.codes_correct, 2);
        assert!(score.missing.is_empty());
        let none = compare(&reference, &[]);
        assert_eq!(none.total.correct, 0);
        assert_eq!(none.missing.len(), 2);
    }
}
