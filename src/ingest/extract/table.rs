//! Tables: CSV (encoding detection and delimiter sniffing) and workbooks (XLSX, XLS, ODS via calamine). Each
//! sheet becomes a `Table`; the text holds one line per row with cells joined by a tab.

use super::{Extracted, Table, extracted, plain, sheets};
use crate::error::ExtractError;
use crate::model::Format;
use crate::text::clean;
use calamine::Data;

/// Delimiters tried when sniffing a CSV file.
const DELIMITERS: [u8; 3] = [b',', b'\t', b';'];

/// Extracts a CSV file as one table.
pub(super) fn extract_csv(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let source = plain::decode(bytes)?;
    let delimiter = sniff_delimiter(&source);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(source.as_bytes());
    let mut table = Table::default();
    let mut text = String::with_capacity(source.len());
    for record in reader.records() {
        let record = record.map_err(|e| ExtractError::Corrupt(format!("CSV: {e}")))?;
        push_row(
            &mut table,
            &mut text,
            record.iter().map(cell_text).collect(),
        );
    }
    let mut out = extracted(Format::Csv, text, None);
    if !table.rows.is_empty() {
        out.tables.push(table);
    }
    Ok(out)
}

/// Extracts a workbook: one table per non-empty sheet, the sheet name as a heading line before its rows. Read
/// within the limits of `sheets`.
pub(super) fn extract_workbook(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let mut text = String::new();
    let mut tables = Vec::new();
    for sheet in sheets::read_sheets(bytes, usize::MAX)? {
        let mut table = Table {
            title: cell_text(&sheet.name),
            ..Table::default()
        };
        let mut sheet_text = String::new();
        for (_, row) in &sheet.rows {
            push_row(
                &mut table,
                &mut sheet_text,
                row.iter().map(data_text).collect(),
            );
        }
        if table.rows.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&table.title);
        text.push('\n');
        text.push_str(&sheet_text);
        tables.push(table);
    }
    let mut out = extracted(Format::Xlsx, text, None);
    out.tables = tables;
    Ok(out)
}

/// Adds a row (without its trailing empty cells) to the table and as a tab-joined line to the text; fully
/// empty rows are skipped.
fn push_row(table: &mut Table, text: &mut String, mut row: Vec<String>) {
    while row.last().is_some_and(String::is_empty) {
        row.pop();
    }
    if row.is_empty() {
        return;
    }
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            text.push('\t');
        }
        text.push_str(cell);
    }
    text.push('\n');
    table
        .rows
        .push(row.into_iter().map(crate::budget::Cell::text).collect());
}

/// A cell's text, normalised with `clean`, on one line.
fn cell_text(raw: &str) -> String {
    let trimmed = raw.trim();
    if trimmed.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return trimmed.to_string();
    }
    let cleaned = clean(trimmed);
    cleaned.trim().replace('\n', " ")
}

/// The text of a workbook cell.
fn data_text(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => cell_text(s),
        other => cell_text(&other.to_string()),
    }
}

/// Picks the delimiter that occurs most consistently in the first lines (outside quotes); comma by default.
fn sniff_delimiter(source: &str) -> u8 {
    let lines: Vec<&str> = source
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (0usize, b',');
    for delimiter in DELIMITERS {
        let counts = lines
            .iter()
            .map(|line| count_outside_quotes(line, delimiter));
        let score = counts.min().unwrap_or(0);
        if score > best.0 {
            best = (score, delimiter);
        }
    }
    best.1
}

/// Counts `delimiter` bytes in `line` that are not inside double quotes.
fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    let mut count = 0;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn csv_in_gbk_with_semicolons_and_quotes() {
        let source =
            "科目编码;科目名称;决算数\n2010101;行政运行;\"1,511.90\"\n\n2080505;\"养老;保险\";3\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(source);
        let out = extract_csv(&gbk).unwrap();
        assert_eq!(out.format, Format::Csv);
        assert_eq!(
            out.tables[0].texts(),
            rows(&[
                &["科目编码", "科目名称", "决算数"],
                &["2010101", "行政运行", "1,511.90"],
                &["2080505", "养老;保险", "3"]
            ])
        );
        assert_eq!(
            out.text,
            "科目编码\t科目名称\t决算数\n2010101\t行政运行\t1,511.90\n2080505\t养老;保险\t3\n"
        );
    }

    #[test]
    fn csv_sniffs_tabs_and_commas() {
        assert_eq!(sniff_delimiter("a\tb,c\td\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("a,b;c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("单列\n"), b',');
    }

    #[test]
    fn xlsx_sheets_become_tables() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("收入决算表").unwrap();
        sheet.write(0, 0, "科目编码").unwrap();
        sheet.write(0, 1, "科目名称").unwrap();
        sheet.write(0, 2, "决算数").unwrap();
        sheet.write(1, 0, "2013901").unwrap();
        sheet.write(1, 1, "行政运行").unwrap();
        sheet.write(1, 2, 51.32).unwrap();
        book.add_worksheet().set_name("空表").unwrap();
        let sheet = book.add_worksheet().set_name("说明").unwrap();
        sheet.write(2, 1, "单位：万元").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let out = extract_workbook(&bytes).unwrap();
        assert_eq!(out.format, Format::Xlsx);
        assert_eq!(out.tables.len(), 2);
        assert_eq!(out.tables[0].title, "收入决算表");
        assert_eq!(
            out.tables[0].texts(),
            rows(&[
                &["科目编码", "科目名称", "决算数"],
                &["2013901", "行政运行", "51.32"]
            ])
        );
        assert_eq!(out.tables[1].title, "说明");
        assert_eq!(out.tables[1].texts(), rows(&[&["单位：万元"]]));
        assert_eq!(
            out.text,
            "收入决算表\n科目编码\t科目名称\t决算数\n2013901\t行政运行\t51.32\n\n说明\n单位：万元\n"
        );
    }

    #[test]
    fn damaged_workbook_is_corrupt() {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write(0, 0, "x").unwrap();
        let mut bytes = book.save_to_buffer().unwrap();
        bytes.truncate(bytes.len() / 3);
        assert!(matches!(
            extract_workbook(&bytes),
            Err(ExtractError::Corrupt(_))
        ));
    }

    #[test]
    fn large_csv_is_linear() {
        let mut source = String::from("编码,名称,金额\n");
        while source.len() < 20 * 1024 * 1024 {
            source.push_str("2010101,行政运行（一般公共服务）,1511.90\n");
        }
        let started = std::time::Instant::now();
        let out = extract_csv(source.as_bytes()).unwrap();
        assert!(out.tables[0].rows.len() > 300_000);
        // A quadratic build would take minutes; a debug build of the linear one takes a few seconds.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{:?}",
            started.elapsed()
        );
    }
}
