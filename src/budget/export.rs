//! One table as a file to download: CSV (UTF-8 with a byte-order mark, so that spreadsheet programs read the
//! Chinese; cells that a spreadsheet would run as a formula are neutralised) or XLSX.

use super::Table;

/// A cell as `crate::csv_out` writes it (formula-like cells neutralised), except amounts such as "-12.50",
/// which are numbers a spreadsheet must keep as numbers.
fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if super::recognise::parse_amount(text).is_some() {
        std::borrow::Cow::Borrowed(text)
    } else {
        crate::csv_out::neutralise(text)
    }
}

/// The table as CSV: the title and unit lines, then every row (covered cells empty).
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = crate::csv_out::BOM.as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        let mut head = vec![neutralise(&table.title).into_owned()];
        if let Some(u) = &table.unit {
            head.push(neutralise(u).into_owned());
        }
        let _ = w.write_record(&head);
        for row in &table.rows {
            let _ = w.write_record(row.iter().map(|c| neutralise(&c.text).into_owned()));
        }
        let _ = w.flush();
    }
    out
}

/// The table as an XLSX workbook of one sheet: title and unit, then the rows; numbers as numbers.
pub fn xlsx(table: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, &table.title)?;
    if let Some(u) = &table.unit {
        sheet.write_string(1, 0, u)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = (r + 2) as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            let t = cell.text.trim();
            if t.is_empty() {
                continue;
            }
            match super::recognise::parse_amount(t).filter(|_| t.contains('.') || t.contains(',')) {
                Some(v) => sheet.write_number(r, c, v)?,
                None => sheet.write_string(r, c, t)?,
            };
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_bom_and_neutralises_formula_cells_but_not_negative_amounts() {
        let t = Table::from_texts(
            "支出决算表",
            vec![vec![
                "=1+2".into(),
                "-12.50".into(),
                "@SUM(A1)".into(),
                "+x".into(),
                "\tx".into(),
                "行政运行".into(),
            ]],
        );
        let bytes = csv(&t);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert_eq!(line, "'=1+2,-12.50,'@SUM(A1),'+x,'\tx,行政运行");
    }

    #[test]
    fn xlsx_reads_back_with_numbers_as_numbers() {
        let t = Table::from_texts(
            "支出决算表",
            vec![vec![
                "2010602".into(),
                "一般行政管理事务".into(),
                "10.00".into(),
            ]],
        );
        let bytes = xlsx(&t).unwrap();
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let name = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&name).unwrap();
        assert_eq!(range.get_value((2, 2)), Some(&calamine::Data::Float(10.0)));
        assert_eq!(
            range.get_value((2, 0)),
            Some(&calamine::Data::String("2010602".into()))
        );
        assert_eq!(
            range.get_value((0, 0)),
            Some(&calamine::Data::String("支出决算表".into()))
        );
    }
}
