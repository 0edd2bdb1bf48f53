//! Bounded workbook reading: the cells of XLSX and XLSB sheets are read one at a time (never as the rectangle a
//! sheet declares or spans), counted, and refused past a limit of cells, unpacked bytes or time.
//!
//! A sheet that declares `A1:XFD1048576`, or holds one cell at `XFD1048576`, would make a range of 17 billion
//! cells; read here it is two cells in two rows. Rows are sparse: only rows with cells are returned.

use crate::error::ExtractError;
use calamine::{Data, Reader, Sheets};
use std::io::Cursor;
use std::time::{Duration, Instant};

/// Cells with a value, over all sheets read from one workbook.
pub(crate) const MAX_CELLS: usize = 2_000_000;
/// Cells of the rows as returned (a row spans from the sheet's first used column to its own last cell).
pub(crate) const MAX_GRID: usize = 4_000_000;
/// Bytes of all parts of the archive once unpacked (as the archive declares them).
pub(crate) const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
/// Time to read one workbook.
pub(crate) const MAX_TIME: Duration = Duration::from_secs(60);

/// One sheet: its name and its rows with cells, each row with its index (from 0) in the sheet. A row's cells
/// start at the sheet's first used column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sheet {
    pub name: String,
    pub rows: Vec<(u32, Vec<Data>)>,
}

/// Reads the first `max_sheets` sheets of a workbook (XLSX, XLSM, XLSB, XLS or ODS) within the limits above.
pub(crate) fn read_sheets(bytes: &[u8], max_sheets: usize) -> Result<Vec<Sheet>, ExtractError> {
    check_unpacked_size(bytes)?;
    // calamine builds every sheet of these two formats whole when it opens them: measure them first.
    check_ods(bytes)?;
    super::xls::check(bytes, MAX_CELLS, MAX_GRID)?;
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("workbook: {e}")))?;
    let mut budget = Budget {
        cells: 0,
        deadline: Instant::now() + MAX_TIME,
    };
    let names: Vec<String> = workbook
        .sheet_names()
        .into_iter()
        .take(max_sheets)
        .collect();
    let mut sheets = Vec::with_capacity(names.len());
    for name in names {
        let corrupt =
            |e: &dyn std::fmt::Display| ExtractError::Corrupt(format!("sheet {name}: {e}"));
        let cells = match &mut workbook {
            Sheets::Xlsx(book) => {
                let mut reader = book
                    .worksheet_cells_reader(&name)
                    .map_err(|e| corrupt(&e))?;
                budget.collect(|| reader.next_cell().map_err(|e| corrupt(&e)))?
            }
            Sheets::Xlsb(book) => {
                let mut reader = book
                    .worksheet_cells_reader(&name)
                    .map_err(|e| corrupt(&e))?;
                budget.collect(|| reader.next_cell().map_err(|e| corrupt(&e)))?
            }
            // XLS and ODS readers hold whole sheets once opened; `check_ods` and `xls::check` bounded them.
            other => {
                let range = other.worksheet_range(&name).map_err(|e| corrupt(&e))?;
                let mut used = range.used_cells();
                budget.collect(|| {
                    Ok(used
                        .next()
                        .map(|(r, c, v)| calamine::Cell::new((r as u32, c as u32), v.clone())))
                })?
            }
        };
        sheets.push(Sheet {
            name,
            rows: rows(cells)?,
        });
    }
    Ok(sheets)
}

/// A cell with a value: its (row, column) and the value.
type PlacedCell = ((u32, u32), Data);

/// What reading one workbook may still spend.
struct Budget {
    cells: usize,
    deadline: Instant,
}

impl Budget {
    /// Collects the non-empty cells `next` yields, as `((row, column), value)`, within the budget.
    fn collect<T>(
        &mut self,
        mut next: impl FnMut() -> Result<Option<calamine::Cell<T>>, ExtractError>,
    ) -> Result<Vec<PlacedCell>, ExtractError>
    where
        T: calamine::CellType + Into<Data> + Clone,
    {
        let mut cells = Vec::new();
        while let Some(cell) = next()? {
            let value: Data = cell.get_value().clone().into();
            if value == Data::Empty {
                continue;
            }
            self.cells += 1;
            if self.cells > MAX_CELLS {
                return Err(ExtractError::OverLimit(format!(
                    "more than {MAX_CELLS} cells"
                )));
            }
            if self.cells.is_multiple_of(4096) && Instant::now() > self.deadline {
                return Err(ExtractError::OverLimit(format!(
                    "not read within {} seconds",
                    MAX_TIME.as_secs()
                )));
            }
            cells.push((cell.get_position(), value));
        }
        Ok(cells)
    }
}

/// Arranges cells into sparse rows that start at the first used column, refusing a grid over `MAX_GRID`.
fn rows(mut cells: Vec<PlacedCell>) -> Result<Vec<(u32, Vec<Data>)>, ExtractError> {
    cells.sort_by_key(|(pos, _)| *pos);
    let Some(first_col) = cells.iter().map(|((_, c), _)| *c).min() else {
        return Ok(Vec::new());
    };
    // The grid size is checked before any row is built.
    let mut grid = 0usize;
    let mut last: Option<(u32, u32)> = None;
    for ((row, col), _) in &cells {
        let width = (col - first_col) as usize + 1;
        match last {
            Some((r, w)) if r == *row => grid += width - w as usize,
            _ => grid += width,
        }
        last = Some((*row, width as u32));
        if grid > MAX_GRID {
            return Err(ExtractError::OverLimit(format!(
                "rows spanning more than {MAX_GRID} cells"
            )));
        }
    }
    let mut out: Vec<(u32, Vec<Data>)> = Vec::new();
    for ((row, col), value) in cells {
        if out.last().is_none_or(|(r, _)| *r != row) {
            out.push((row, Vec::new()));
        }
        let cells = &mut out.last_mut().expect("a row was pushed").1;
        let index = (col - first_col) as usize;
        if cells.len() <= index {
            cells.resize(index + 1, Data::Empty);
        }
        cells[index] = value;
    }
    Ok(out)
}

/// Refuses an archive whose parts declare more than `MAX_UNPACKED_BYTES` (a zip bomb); other files pass.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), ExtractError> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        let Ok(part) = archive.by_index_raw(i) else {
            continue;
        };
        total = total.saturating_add(part.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(ExtractError::OverLimit(format!(
                "more than {} MiB unpacked",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

/// Refuses an OpenDocument spreadsheet whose sheets calamine would build past the limits: it expands repeated
/// rows and cells (`table:number-rows-repeated`, `table:number-columns-repeated`) and fills each sheet's
/// rectangle from its first to its last cell with a value. Measured by streaming `content.xml`; other files
/// pass.
fn check_ods(bytes: &[u8]) -> Result<(), ExtractError> {
    use quick_xml::events::{BytesStart, Event};
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let damaged = |e: &dyn std::fmt::Display| ExtractError::Corrupt(format!("ODS content: {e}"));
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let repeats = |e: &BytesStart, name: &str| -> u64 {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse().ok())
            .unwrap_or(1)
    };
    let (mut buf, mut skip) = (Vec::new(), Vec::new());
    let mut sheet = OdsSheet::default();
    let mut row: Option<OdsRow> = None;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| damaged(&e))?;
        match &event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                sheet = OdsSheet::default();
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                row = Some(OdsRow {
                    repeats: repeats(e, "table:number-rows-repeated"),
                    ..OdsRow::default()
                });
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(r) = row.take() {
                    sheet.add(r)?;
                }
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                sheet.add(OdsRow {
                    repeats: repeats(e, "table:number-rows-repeated"),
                    ..OdsRow::default()
                })?;
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let has_children = matches!(event, Event::Start(_));
                let valued = has_children
                    || e.try_get_attribute("office:value-type")
                        .ok()
                        .flatten()
                        .is_some()
                    || e.try_get_attribute("table:formula")
                        .ok()
                        .flatten()
                        .is_some();
                let n = repeats(e, "table:number-columns-repeated");
                if let Some(r) = row.as_mut() {
                    r.cell(n, valued);
                }
                if has_children {
                    let name = e.name().as_ref().to_string();
                    skip.clear();
                    reader
                        .read_to_end_into(quick_xml::name::QName(&name), &mut skip)
                        .map_err(|e| damaged(&e))?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// The widest row calamine keeps, and the most rows of one sheet (as it caps them).
const ODS_MAX_COLUMNS: u64 = 16_384;
const ODS_MAX_ROWS: u64 = 1_048_576;

/// One `table:table-row` as calamine reads it.
#[derive(Debug, Default)]
struct OdsRow {
    repeats: u64,
    /// Columns so far, counting repeats.
    width: u64,
    /// The first and last column with a value.
    used: Option<(u64, u64)>,
}

impl OdsRow {
    fn cell(&mut self, repeats: u64, valued: bool) {
        let n = repeats.min(ODS_MAX_COLUMNS.saturating_sub(self.width));
        if valued && n > 0 {
            let (first, last) = (self.width, self.width + n - 1);
            self.used = Some(match self.used {
                Some((f, _)) => (f, last),
                None => (first, last),
            });
        }
        self.width += n;
    }
}

/// What calamine will allocate for one sheet, as its rows arrive.
#[derive(Debug, Default)]
struct OdsSheet {
    rows: u64,
    /// Cells calamine holds before building the range: each row up to its last value.
    raw: u64,
    /// Rows from the first with a value to the last, and the columns used over them.
    first_row: Option<u64>,
    last_row: u64,
    columns: Option<(u64, u64)>,
}

impl OdsSheet {
    fn add(&mut self, row: OdsRow) -> Result<(), ExtractError> {
        let repeats = row.repeats.min(ODS_MAX_ROWS.saturating_sub(self.rows));
        if let Some((first, last)) = row.used
            && repeats > 0
        {
            self.raw += last + 1;
            self.first_row.get_or_insert(self.rows);
            self.last_row = self.rows + repeats - 1;
            self.columns = Some(match self.columns {
                Some((f, l)) => (f.min(first), l.max(last)),
                None => (first, last),
            });
        }
        self.rows += repeats;
        let grid = match (self.first_row, self.columns) {
            (Some(first), Some((f, l))) => (self.last_row - first + 1) * (l - f + 1),
            _ => 0,
        };
        if grid.max(self.raw) > MAX_GRID as u64 {
            return Err(ExtractError::OverLimit(format!(
                "a sheet spanning more than {MAX_GRID} cells"
            )));
        }
        Ok(())
    }
}
