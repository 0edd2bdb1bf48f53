//! CSV files written for people: UTF-8 with a byte-order mark (so that Excel on Chinese Windows reads it as
//! UTF-8), and no cell that a spreadsheet would run as a formula.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (after any leading `'`) gets one `'`
//! in front, which spreadsheets show as text; `restore` takes it off again when such a file is imported.

use std::borrow::Cow;
use std::io::Write;

/// The UTF-8 byte-order mark that starts every CSV file we write.
pub const BOM: &str = "\u{feff}";

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` after its leading `'` starts like a formula.
fn looks_like_formula(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// The cell as written: with a `'` in front when it starts like a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if looks_like_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell as it was before `neutralise`.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if looks_like_formula(cell) => rest,
        _ => cell,
    }
}

/// A CSV writer that starts with the BOM and neutralises every cell.
pub struct CsvOut<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    /// Writes the BOM and returns the writer.
    pub fn new(mut out: W) -> std::io::Result<CsvOut<W>> {
        out.write_all(BOM.as_bytes())?;
        Ok(CsvOut {
            inner: csv::Writer::from_writer(out),
        })
    }

    /// Writes one row.
    pub fn row<I, S>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.inner.write_record(
            cells
                .into_iter()
                .map(|c| neutralise(c.as_ref()).into_owned()),
        )
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> csv::Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_restored() {
        for cell in [
            "=HYPERLINK(\"http://evil.example\",\"点击\")",
            "=cmd|' /C calc'!A0",
            "@SUM(A1:A9)",
            "+1",
            "-12.5",
            "\tx",
            "\r=1",
            "'=already quoted",
            "''+twice",
        ] {
            let written = neutralise(cell);
            assert!(written.starts_with('\''), "{cell:?}");
            assert_eq!(restore(&written), cell, "{cell:?}");
        }
        for cell in ["预算", "12.5", "'quoted text", "a=b", ""] {
            assert_eq!(neutralise(cell), cell);
            assert_eq!(restore(cell), cell);
        }
    }

    #[test]
    fn files_start_with_a_bom() {
        let mut w = CsvOut::new(Vec::new()).unwrap();
        w.row(["用户", "详情"]).unwrap();
        w.row(["=1+1", "ok"]).unwrap();
        let bytes = w.finish().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}用户,详情\n'=1+1,ok\n"
        );
    }
}
