//! Export of a filtered proposal list as CSV or XLSX, with the same Chinese headers the import reads, so
//! that an exported file can be imported again.

use super::import::Column;
use super::lifecycle::State;
use super::model::{Event, EventKind, Proposal, Status};
use crate::error::{Error, Result};

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// One proposal's cells in `Column::ALL` order.
pub fn cells(p: &Proposal, events: &[Event], state: &State) -> Vec<String> {
    let reply = events.iter().rev().find(|e| e.kind == EventKind::Reply);
    let date = |d: Option<crate::model::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    // Receive and Handle collapse into the status column; an import of the export restores them.
    let status = match state.status {
        Status::Registered => String::new(),
        s => s.label().to_string(),
    };
    Column::ALL
        .iter()
        .map(|c| match c {
            Column::Number => p.number.0.to_string(),
            Column::Session => p.session.name.clone(),
            Column::Year => p.year.to_string(),
            Column::Kind => p.kind.label().to_string(),
            Column::Title => p.title.clone(),
            Column::Text => p.text.clone(),
            Column::Lead => p.lead.clone(),
            Column::CoSigners => p.co_signers.join("、"),
            Column::Delegation => p.delegation.clone(),
            Column::Category => p.category.clone(),
            Column::LeadUnit => p.lead_unit.clone(),
            Column::CoUnits => p.co_units.join("、"),
            Column::Assigned => date(state.assigned),
            Column::Deadline => date(p.deadline),
            Column::Status => status.clone(),
            Column::ReplyDate => date(reply.map(|r| r.date)),
            Column::ReplyText => reply.and_then(|r| r.text.clone()).unwrap_or_default(),
            Column::Grade => state
                .grade
                .map(|g| g.label().to_string())
                .unwrap_or_default(),
            Column::Satisfaction => state
                .satisfaction
                .map(|s| s.label().to_string())
                .unwrap_or_default(),
            Column::KeySupervision => if p.key_supervision { "是" } else { "否" }.to_string(),
            Column::Public => if p.public { "是" } else { "否" }.to_string(),
            Column::Supervisor => p.supervisor.clone().unwrap_or_default(),
        })
        .collect()
}

/// The most UTF-16 code units an XLSX cell holds.
pub const XLSX_CELL_UNITS: usize = 32_767;

/// Marks the end of a cell cut to the XLSX limit.
pub const XLSX_CUT_MARK: &str = "…（超出单元格上限，已截断）";

/// A cell as an XLSX cell holds it: a longer text (a long proposal or reply) is cut and ends with
/// `XLSX_CUT_MARK` instead of failing the whole export. The CSV export keeps every character.
pub fn xlsx_cell(v: &str) -> std::borrow::Cow<'_, str> {
    if v.encode_utf16().count() <= XLSX_CELL_UNITS {
        return std::borrow::Cow::Borrowed(v);
    }
    let room = XLSX_CELL_UNITS - XLSX_CUT_MARK.encode_utf16().count();
    let mut out = String::new();
    let mut units = 0;
    for c in v.chars() {
        units += c.len_utf16();
        if units > room {
            break;
        }
        out.push(c);
    }
    out.push_str(XLSX_CUT_MARK);
    std::borrow::Cow::Owned(out)
}

/// Writes the rows (cells in `Column::ALL` order) in a format.
pub fn write(rows: &[Vec<String>], format: ExportFormat) -> Result<Vec<u8>> {
    let headers: Vec<&str> = Column::ALL.iter().map(|c| c.label()).collect();
    match format {
        ExportFormat::Csv => {
            let fail = |e: csv::Error| Error::Invalid(format!("CSV export: {e}"));
            let mut w = crate::csv_out::CsvOut::new(Vec::new())
                .map_err(|e| Error::Invalid(format!("CSV export: {e}")))?;
            w.row(&headers).map_err(fail)?;
            for r in rows {
                w.row(r).map_err(fail)?;
            }
            w.finish().map_err(fail)
        }
        ExportFormat::Xlsx => {
            let fail = |e: rust_xlsxwriter::XlsxError| Error::Invalid(format!("XLSX export: {e}"));
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            sheet.set_name("代表建议").map_err(fail)?;
            for (c, h) in headers.iter().enumerate() {
                sheet.write_string(0, c as u16, *h).map_err(fail)?;
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    if !v.is_empty() {
                        sheet
                            .write_string(r as u32 + 1, c as u16, xlsx_cell(v))
                            .map_err(fail)?;
                    }
                }
            }
            book.save_to_buffer().map_err(fail)
        }
    }
}
