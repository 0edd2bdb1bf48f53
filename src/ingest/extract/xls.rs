//! Measures an XLS workbook before calamine opens it: calamine builds every sheet whole on opening, with room
//! for the rectangle each sheet declares (its Dimensions record) and then the rectangle from its first to its
//! last cell, so two cells at A1 and at row 65536, column 65536 make a range of four billion cells. The
//! compound file is read here (header, FAT, directory, the `Workbook` stream) and the BIFF records of each
//! sheet are counted, without building anything.

use crate::error::ExtractError;

const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// A sector number that ends a chain, and the first of the special values.
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const MAX_REGULAR_SECTOR: u32 = 0xFFFF_FFFA;

fn damaged(what: &str) -> ExtractError {
    ExtractError::Corrupt(format!("XLS workbook: {what}"))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Refuses a compound-file workbook whose sheets would make calamine build more than `max_grid` cells in one
/// range or hold more than `max_cells` cells in all; a file that is not a compound file passes.
pub(super) fn check(bytes: &[u8], max_cells: usize, max_grid: usize) -> Result<(), ExtractError> {
    if !bytes.starts_with(&SIGNATURE) {
        return Ok(());
    }
    let file = Compound::read(bytes).ok_or_else(|| damaged("unreadable compound file"))?;
    let stream = match file.stream("Workbook").or_else(|| file.stream("Book")) {
        // calamine says what is missing.
        None => return Ok(()),
        Some(None) => return Err(damaged("unreadable Workbook stream")),
        Some(Some(stream)) => stream,
    };
    let over = |what: String| Err(ExtractError::OverLimit(what));
    let mut cells = 0u64;
    for pos in sheet_positions(&stream) {
        let sheet = measure_sheet(stream.get(pos..).unwrap_or_default());
        if sheet.declared > max_grid as u64 {
            return over(format!("a sheet declaring more than {max_grid} cells"));
        }
        if sheet.spanned() > max_grid as u64 {
            return over(format!("a sheet spanning more than {max_grid} cells"));
        }
        cells += sheet.cells;
        if cells > max_cells as u64 {
            return over(format!("more than {max_cells} cells"));
        }
    }
    Ok(())
}

/// The BIFF records of a stream: (type, data), as long as they are whole.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        let typ = u16_at(rest, 0)?;
        let len = u16_at(rest, 2)? as usize;
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((typ, data))
    })
}

/// Where each sheet's records start: the BoundSheet8 records of the workbook globals.
fn sheet_positions(stream: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    for (typ, data) in records(stream) {
        match typ {
            0x0085 => out.extend(u32_at(data, 0).map(|p| p as usize)),
            0x000A => break,
            _ => {}
        }
    }
    out
}

/// What one sheet's records would make calamine allocate.
#[derive(Debug, Default)]
struct SheetSize {
    /// Cells of the declared rectangle (calamine reserves room for them).
    declared: u64,
    cells: u64,
    /// The rectangle of the cells: (first row, last row, first column, last column).
    bounds: Option<(u32, u32, u32, u32)>,
}

impl SheetSize {
    fn place(&mut self, row: u32, first_col: u32, last_col: u32) {
        self.cells += u64::from(last_col.saturating_sub(first_col)) + 1;
        self.bounds = Some(match self.bounds {
            Some((r0, r1, c0, c1)) => (
                r0.min(row),
                r1.max(row),
                c0.min(first_col),
                c1.max(last_col),
            ),
            None => (row, row, first_col, last_col),
        });
    }

    fn spanned(&self) -> u64 {
        self.bounds.map_or(0, |(r0, r1, c0, c1)| {
            u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
        })
    }
}

/// Counts one sheet's cells as calamine reads them: up to its EOF, skipping nested substreams (charts).
fn measure_sheet(stream: &[u8]) -> SheetSize {
    let mut size = SheetSize::default();
    let mut seen_bof = false;
    let mut depth = 0usize;
    for (typ, data) in records(stream) {
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let at = |i| u16_at(data, i).map(u32::from);
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            0x0200 => size.declared = size.declared.max(declared(data)),
            // Number, Label, RString, BoolErr, RK, LabelSst, Formula: one cell at (row, column).
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(row), Some(col)) = (at(0), at(2)) {
                    size.place(row, col, col);
                }
            }
            // MulRk: a row, its first column, the last column in the record's last two bytes.
            0x00BD => {
                if let (Some(row), Some(first), Some(last)) =
                    (at(0), at(2), data.len().checked_sub(2).and_then(at))
                {
                    size.place(row, first, last.max(first));
                }
            }
            _ => {}
        }
    }
    size
}

/// The cells of a Dimensions record's rectangle, as calamine computes it (a reversed rectangle would wrap
/// around in its arithmetic, so it counts as unbounded).
fn declared(data: &[u8]) -> u64 {
    let (first_row, last_row, first_col, last_col) = match data.len() {
        10 => (
            u16_at(data, 0).map(u32::from),
            u16_at(data, 2).map(u32::from),
            u16_at(data, 4),
            u16_at(data, 6),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u16_at(data, 8),
            u16_at(data, 10),
        ),
        _ => return 0,
    };
    let (Some(rf), Some(rl), Some(cf), Some(cl)) = (first_row, last_row, first_col, last_col)
    else {
        return 0;
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    if rl < 1 || cl < 1 {
        return 1;
    }
    if rl - 1 < rf || cl - 1 < cf {
        return u64::MAX;
    }
    u64::from(rl - rf) * u64::from(cl - cf)
}

/// Streams under this size live in the mini stream (calamine does not read the header's cutoff).
const MINI_CUTOFF: u64 = 4096;

/// A compound file (OLE2) read just far enough to get its streams, the way calamine finds them.
struct Compound<'a> {
    bytes: &'a [u8],
    sector: usize,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    /// The root's mini stream (empty without a mini FAT).
    mini_stream: Vec<u8>,
    /// (name, start sector, size) of every directory entry, the root first.
    entries: Vec<(String, u32, u64)>,
}

impl<'a> Compound<'a> {
    fn read(bytes: &'a [u8]) -> Option<Compound<'a>> {
        let sector = match u16_at(bytes, 0x1E)? {
            9 => 512,
            12 => 4096,
            _ => return None,
        };
        if u16_at(bytes, 0x20)? != 6 || bytes.len() < sector {
            return None;
        }
        let mut file = Compound {
            bytes,
            sector,
            fat: Vec::new(),
            mini_fat: Vec::new(),
            mini_stream: Vec::new(),
            entries: Vec::new(),
        };
        // The FAT's sectors: 109 in the header, the rest in a chain of DIFAT sectors.
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|i| u32_at(bytes, 0x4C + 4 * i))
            .collect();
        let mut difat = u32_at(bytes, 0x44)?;
        let per = sector / 4;
        let mut hops = 0;
        while difat <= MAX_REGULAR_SECTOR {
            let s = file.sector_bytes(difat)?;
            fat_sectors.extend((0..per - 1).filter_map(|i| u32_at(s, 4 * i)));
            difat = u32_at(s, 4 * (per - 1))?;
            hops += 1;
            if hops > bytes.len() / sector {
                return None;
            }
        }
        for &s in fat_sectors.iter().filter(|s| **s <= MAX_REGULAR_SECTOR) {
            let data = file.sector_bytes(s)?;
            file.fat
                .extend((0..per).filter_map(|i| u32_at(data, 4 * i)));
        }
        let directory = file.chain(&file.fat, u32_at(bytes, 0x30)?, None, None)?;
        for entry in directory.chunks_exact(128) {
            let units: Vec<u16> = (0..32).filter_map(|i| u16_at(entry, 2 * i)).collect();
            let name = String::from_utf16_lossy(&units);
            let name = name.split('\0').next().unwrap_or_default().to_string();
            let size = if sector == 512 {
                u64::from(u32_at(entry, 0x78)?)
            } else {
                u64::from_le_bytes(entry.get(0x78..0x80)?.try_into().ok()?)
            };
            file.entries.push((name, u32_at(entry, 0x74)?, size));
        }
        let (_, root_start, root_size) = file.entries.first()?.clone();
        let mini_fat_sectors = u32_at(bytes, 0x40)? as u64;
        if mini_fat_sectors > 0 {
            file.mini_stream = file.chain(&file.fat, root_start, Some(root_size), None)?;
            let mini_fat = file.chain(
                &file.fat,
                u32_at(bytes, 0x3C)?,
                Some(mini_fat_sectors.saturating_mul(sector as u64)),
                None,
            )?;
            file.mini_fat = (0..mini_fat.len() / 4)
                .filter_map(|i| u32_at(&mini_fat, 4 * i))
                .collect();
        }
        Some(file)
    }

    fn sector_bytes(&self, n: u32) -> Option<&'a [u8]> {
        let start = (n as usize + 1).checked_mul(self.sector)?;
        let end = start.checked_add(self.sector)?.min(self.bytes.len());
        self.bytes.get(start..end)
    }

    /// The bytes of a chain of sectors (of 64-byte mini sectors of `mini` when given), up to `size`. A chain
    /// longer than its table (a loop) is damage.
    fn chain(
        &self,
        table: &[u32],
        start: u32,
        size: Option<u64>,
        mini: Option<&[u8]>,
    ) -> Option<Vec<u8>> {
        let unit = if mini.is_some() { 64 } else { self.sector };
        let limit = size.map_or(usize::MAX, |s| s.min(usize::MAX as u64) as usize);
        let mut out = Vec::new();
        let mut at = start;
        let mut hops = 0usize;
        while at != END_OF_CHAIN && out.len() < limit {
            hops += 1;
            if at > MAX_REGULAR_SECTOR || hops > table.len() + 1 {
                return None;
            }
            let data = match mini {
                Some(m) => m.get(at as usize * unit..(at as usize + 1) * unit)?,
                None => self.sector_bytes(at)?,
            };
            out.extend_from_slice(&data[..data.len().min(limit - out.len())]);
            at = *table.get(at as usize)?;
        }
        Some(out)
    }

    /// A stream by name (the first entry with it, in any case): `None` when there is none, `Some(None)` when
    /// its chain cannot be read.
    fn stream(&self, name: &str) -> Option<Option<Vec<u8>>> {
        let (_, start, size) = self
            .entries
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))?;
        Some(if *size < MINI_CUTOFF {
            self.chain(&self.mini_fat, *start, Some(*size), Some(&self.mini_stream))
        } else {
            self.chain(&self.fat, *start, Some(*size), None)
        })
    }
}
