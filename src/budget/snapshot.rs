//! The facts columns (`query::Columns`) saved to one file in the data folder and read back when a process
//! first needs them, so that the first money page after a restart does not decode every document's facts
//! from the store again. The file names the store's facts epoch it was built at; a file of another epoch, of
//! another format, cut short or damaged is not read (the columns are then built from the store and saved
//! anew); a checksum at its end covers every byte before it. Reading is bounded by the file's own size: no
//! count in it can make us allocate more than it holds.

use super::query::{Columns, DocEntry, Interner};
use super::recognise::{CodeLevel, Stage, TableKind};
use crate::model::{Access, DocId};
use std::io::{BufWriter, Write};
use std::path::Path;

/// The file's name in the data folder.
pub const FILE: &str = "facts.columns";

const MAGIC: &[u8; 8] = b"YSCOLS02";
const END: &[u8; 8] = b"YSCOLEND";

/// An enum value as its position in `ALL` (255: none).
fn index_of<T: PartialEq + Copy>(all: &[T], v: Option<T>) -> u8 {
    v.and_then(|v| all.iter().position(|x| *x == v))
        .map_or(255, |i| i as u8)
}

/// A checksum of the bytes written, in four lanes of eight bytes (multiply and rotate, as FxHash does, the
/// lanes independent so that the processor runs them side by side): it catches a damaged or overwritten
/// region, not a forgery (the file is the owner's, like the store).
#[derive(Default)]
struct Sum {
    lanes: [u64; 4],
    pending: Vec<u8>,
    len: u64,
}

const K: u64 = 0x517c_c1b7_2722_0a95;

impl Sum {
    fn block(lanes: &mut [u64; 4], b: &[u8]) {
        for (lane, w) in lanes.iter_mut().zip(b.chunks_exact(8)) {
            let w = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            *lane = (lane.rotate_left(5) ^ w).wrapping_mul(K);
        }
    }
    fn update(&mut self, mut b: &[u8]) {
        self.len += b.len() as u64;
        if !self.pending.is_empty() {
            let need = (32 - self.pending.len()).min(b.len());
            self.pending.extend_from_slice(&b[..need]);
            b = &b[need..];
            if self.pending.len() < 32 {
                return;
            }
            let block = std::mem::take(&mut self.pending);
            Self::block(&mut self.lanes, &block);
        }
        let mut blocks = b.chunks_exact(32);
        for block in &mut blocks {
            Self::block(&mut self.lanes, block);
        }
        self.pending.extend_from_slice(blocks.remainder());
    }
    fn finish(mut self) -> u64 {
        let mut tail = std::mem::take(&mut self.pending);
        tail.resize(32, 0);
        Self::block(&mut self.lanes, &tail);
        let mut h = self.len;
        for lane in self.lanes {
            h = (h.rotate_left(5) ^ lane).wrapping_mul(K);
        }
        h
    }
}

fn checksum(b: &[u8]) -> u64 {
    let mut s = Sum::default();
    s.update(b);
    s.finish()
}

struct Out<W: Write>(W, Sum);

impl<W: Write> Out<W> {
    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.1.update(b);
        self.0.write_all(b)
    }
    fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    fn u32(&mut self, v: u32) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    fn text(&mut self, s: &str) -> std::io::Result<()> {
        self.u64(s.len() as u64)?;
        self.bytes(s.as_bytes())
    }
    fn u32s(&mut self, v: &[u32]) -> std::io::Result<()> {
        self.u64(v.len() as u64)?;
        for x in v {
            self.u32(*x)?;
        }
        Ok(())
    }
    fn u8s(&mut self, v: &[u8]) -> std::io::Result<()> {
        self.u64(v.len() as u64)?;
        self.bytes(v)
    }
}

/// Writes the columns with the epoch they were built at, into a temporary file renamed into place.
pub fn save(c: &Columns, epoch: u64, data_dir: &Path) -> std::io::Result<()> {
    let path = data_dir.join(FILE);
    let tmp = data_dir.join(format!("{FILE}.{}.tmp", std::process::id()));
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        // Owner-only, like the store it copies (restricted documents' amounts are in it).
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?
    };
    let mut o = Out(BufWriter::with_capacity(1 << 20, file), Sum::default());
    let written = (|| {
        o.bytes(MAGIC)?;
        o.u64(epoch)?;
        o.u64(c.strings.len() as u64)?;
        for s in c.strings.all() {
            o.text(s)?;
        }
        o.u64(c.docs.len() as u64)?;
        for d in &c.docs {
            o.text(d.id.as_str())?;
            o.bytes(&[index_of(Access::ALL, Some(d.access))])?;
            o.u64(d.owners.len() as u64)?;
            for w in &d.owners {
                o.text(w)?;
            }
            o.u32(d.unit)?;
            o.u32(d.region)?;
            o.u32(d.year.map_or(u32::MAX, |y| y as u32))?;
            o.bytes(&[index_of(Stage::ALL, d.stage)])?;
        }
        o.u32s(&c.doc)?;
        o.u8s(
            &c.table_kind
                .iter()
                .map(|k| index_of(TableKind::ALL, Some(*k)))
                .collect::<Vec<_>>(),
        )?;
        o.u32s(&c.table_title)?;
        o.u32s(&c.table_index)?;
        o.u32s(&c.code)?;
        o.u8s(
            &c.level
                .iter()
                .map(|l| index_of(CodeLevel::ALL, *l))
                .collect::<Vec<_>>(),
        )?;
        o.u8s(&c.flags)?;
        o.u32s(&c.name)?;
        o.u32s(&c.side)?;
        o.u32s(&c.column)?;
        o.u64(c.amount.len() as u64)?;
        for a in &c.amount {
            o.bytes(&a.to_le_bytes())?;
        }
        o.u32s(&c.raw_end)?;
        o.text(&c.raw)?;
        o.u32s(&c.page)?;
        o.u32s(&c.cell.iter().map(|x| x.0).collect::<Vec<_>>())?;
        o.u32s(&c.cell.iter().map(|x| x.1).collect::<Vec<_>>())?;
        o.bytes(END)?;
        let sum = std::mem::take(&mut o.1).finish();
        o.0.write_all(&sum.to_le_bytes())?;
        o.0.flush()
    })();
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// Why a saved file was not read.
#[derive(Debug)]
struct Unreadable(&'static str);

struct In<'a> {
    b: &'a [u8],
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Unreadable> {
        if n > self.b.len() {
            return Err(Unreadable("cut short"));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    fn u64(&mut self) -> Result<u64, Unreadable> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or([0; 8]),
        ))
    }
    fn u32(&mut self) -> Result<u32, Unreadable> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }
    fn u8(&mut self) -> Result<u8, Unreadable> {
        Ok(self.take(1)?[0])
    }
    /// A count of items of `size` bytes each, no larger than what is left.
    fn count(&mut self, size: usize) -> Result<usize, Unreadable> {
        let n = self.u64()?;
        if n.saturating_mul(size as u64) > self.b.len() as u64 {
            return Err(Unreadable("a count beyond the file"));
        }
        Ok(n as usize)
    }
    fn text(&mut self) -> Result<String, Unreadable> {
        let n = self.count(1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| Unreadable("text not UTF-8"))
    }
    fn u32s(&mut self) -> Result<Vec<u32>, Unreadable> {
        let n = self.count(4)?;
        Ok(self
            .take(n * 4)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn f64s(&mut self) -> Result<Vec<f64>, Unreadable> {
        let n = self.count(8)?;
        Ok(self
            .take(n * 8)?
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect())
    }
    fn u8s(&mut self) -> Result<Vec<u8>, Unreadable> {
        let n = self.count(1)?;
        Ok(self.take(n)?.to_vec())
    }
}

fn enum_at<T: Copy>(all: &[T], i: u8) -> Result<Option<T>, Unreadable> {
    match i {
        255 => Ok(None),
        i => all
            .get(i as usize)
            .copied()
            .map(Some)
            .ok_or(Unreadable("an unknown enum value")),
    }
}

/// The columns saved at `epoch`, if the data folder holds a whole file of that epoch.
pub fn load(data_dir: &Path, epoch: u64) -> Option<Columns> {
    use std::io::Read;
    let mut file = std::fs::File::open(data_dir.join(FILE)).ok()?;
    // The format and the epoch first: a file of another epoch is not read whole.
    let mut head = [0u8; 16];
    file.read_exact(&mut head).ok()?;
    if &head[..8] != MAGIC || head[8..] != epoch.to_le_bytes() {
        tracing::info!("the saved facts columns are of another format or epoch");
        return None;
    }
    let size = file.metadata().ok()?.len() as usize;
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(&head);
    file.read_to_end(&mut bytes).ok()?;
    match parse(&bytes, epoch) {
        Ok(c) => Some(c),
        Err(Unreadable(why)) => {
            tracing::info!(why, "the saved facts columns are not used");
            None
        }
    }
}

fn parse(bytes: &[u8], epoch: u64) -> Result<Columns, Unreadable> {
    let Some(split) = bytes.len().checked_sub(8) else {
        return Err(Unreadable("cut short"));
    };
    let (bytes, sum) = bytes.split_at(split);
    // The checksum on the other core while this one reads; nothing read is used unless it matches.
    let (matches, read) = std::thread::scope(|scope| {
        let summing = scope.spawn(|| checksum(bytes).to_le_bytes() == sum);
        let read = read_columns(bytes, epoch);
        (summing.join().unwrap_or(false), read)
    });
    if !matches {
        return Err(Unreadable("the checksum does not match"));
    }
    read
}

fn read_columns(bytes: &[u8], epoch: u64) -> Result<Columns, Unreadable> {
    let mut r = In { b: bytes };
    if r.take(8)? != MAGIC {
        return Err(Unreadable("another format"));
    }
    if r.u64()? != epoch {
        return Err(Unreadable("built at another epoch of the store"));
    }
    let mut strings = Interner::default();
    let n = r.count(8)?;
    for _ in 0..n {
        let s = r.text()?;
        strings.id(&s);
    }
    if strings.len() != n {
        return Err(Unreadable("repeated strings"));
    }
    let n = r.count(8)?;
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let id = DocId(r.text()?);
        let access = enum_at(Access::ALL, r.u8()?)?.ok_or(Unreadable("no access"))?;
        let owners = (0..r.count(8)?)
            .map(|_| r.text())
            .collect::<Result<Vec<_>, _>>()?;
        let unit = r.u32()?;
        let region = r.u32()?;
        let year = match r.u32()? {
            u32::MAX => None,
            y => Some(y as i32),
        };
        let stage = enum_at(Stage::ALL, r.u8()?)?;
        docs.push(DocEntry {
            id,
            access,
            owners,
            unit,
            region,
            year,
            stage,
        });
    }
    let doc = r.u32s()?;
    let table_kind = r
        .u8s()?
        .into_iter()
        .map(|k| enum_at(TableKind::ALL, k)?.ok_or(Unreadable("no table kind")))
        .collect::<Result<Vec<_>, _>>()?;
    let table_title = r.u32s()?;
    let table_index = r.u32s()?;
    let code = r.u32s()?;
    let level = r
        .u8s()?
        .into_iter()
        .map(|l| enum_at(CodeLevel::ALL, l))
        .collect::<Result<Vec<_>, _>>()?;
    let flags = r.u8s()?;
    let name = r.u32s()?;
    let side = r.u32s()?;
    let column = r.u32s()?;
    let amount = r.f64s()?;
    let raw_end = r.u32s()?;
    let raw = r.text()?;
    let page = r.u32s()?;
    let rows = r.u32s()?;
    let cols = r.u32s()?;
    if r.take(8)? != END || !r.b.is_empty() {
        return Err(Unreadable("no end mark"));
    }
    let facts = amount.len();
    let same = [
        doc.len(),
        table_kind.len(),
        table_title.len(),
        table_index.len(),
        code.len(),
        level.len(),
        flags.len(),
        name.len(),
        side.len(),
        column.len(),
        raw_end.len(),
        page.len(),
        rows.len(),
        cols.len(),
    ];
    if same.iter().any(|&l| l != facts) {
        return Err(Unreadable("columns of different lengths"));
    }
    // Every reference must point inside its table, so that no later lookup can go out of bounds.
    let in_strings = |v: &[u32]| {
        v.iter()
            .all(|&i| i == super::query::NONE || (i as usize) < strings.len())
    };
    if doc.iter().any(|&d| d as usize >= docs.len())
        || !in_strings(&table_title)
        || !in_strings(&code)
        || !in_strings(&name)
        || !in_strings(&side)
        || !in_strings(&column)
        || docs.iter().any(|d| !in_strings(&[d.unit, d.region]))
        || raw_end.windows(2).any(|w| w[0] > w[1])
        || raw_end.last().is_some_and(|&e| e as usize > raw.len())
        || raw_end.iter().any(|&e| !raw.is_char_boundary(e as usize))
    {
        return Err(Unreadable("a reference out of range"));
    }
    Ok(Columns::from_parts(
        strings,
        docs,
        super::query::Parts {
            doc,
            table_kind,
            table_title,
            table_index,
            code,
            level,
            flags,
            name,
            side,
            column,
            amount,
            raw_end,
            raw,
            page,
            cell: rows.into_iter().zip(cols).collect(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::generate::Plan;
    use crate::budget::query::{self, FactQuery};
    use crate::budget::testing::generated_library;
    use crate::budget::views::{self, Selection};
    use crate::library::Library;
    use crate::model::Scope;

    fn plan() -> Plan {
        Plan {
            units: 6,
            first_year: 2023,
            last_year: 2024,
            seed: 11,
        }
    }

    /// What a reader gets from the columns: every fact, the money view and a restricted reader's view.
    fn answers(lib: &Library) -> (String, String, String) {
        let all = FactQuery {
            limit: usize::MAX,
            ..FactQuery::default()
        };
        (
            format!("{:?}", query::facts(lib, &all, &Scope::All).unwrap().facts),
            format!(
                "{:?}",
                views::money(lib, &Selection::default(), &Scope::All).unwrap()
            ),
            format!(
                "{:?}",
                views::money(lib, &Selection::default(), &Scope::default()).unwrap()
            ),
        )
    }

    fn reopen(dir: &Path) -> Library {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        Library::open(crate::config::Config::new(dir.join("index"), corpus)).unwrap()
    }

    #[test]
    fn columns_read_back_answer_as_the_store_does_and_expire_with_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, _) = generated_library(dir.path(), plan(), |g, first, doc| {
            if g.unit == first {
                doc.access = Access::Restricted;
            }
            true
        });
        let built = answers(&lib);
        let file = dir.path().join("index").join(FILE);
        assert!(file.exists(), "saved when first built");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        let epoch = lib.store().facts_epoch().unwrap();
        assert!(epoch > 0);
        drop(lib);

        // A new process reads the file (the same answers), without touching the store's facts.
        let bytes = std::fs::read(&file).unwrap();
        assert!(parse(&bytes, epoch).is_ok());
        let lib = reopen(dir.path());
        assert_eq!(answers(&lib), built);
        assert!(
            built.1 != built.2,
            "the restricted unit is outside the public view"
        );

        // A change to the store gives a new epoch: the old file is not read, the new answers come back.
        let mut doc = lib
            .store()
            .doc_ids()
            .unwrap()
            .into_iter()
            .next()
            .map(|id| lib.store().get_document(&id).unwrap().unwrap())
            .unwrap();
        doc.access = Access::Public;
        lib.store().put_document(&doc).unwrap();
        lib.store().flush().unwrap();
        assert_ne!(lib.store().facts_epoch().unwrap(), epoch);
        assert!(parse(&bytes, lib.store().facts_epoch().unwrap()).is_err());
        let changed = answers(&lib);
        drop(lib);
        let lib = reopen(dir.path());
        assert_eq!(answers(&lib), changed);
    }

    /// A library whose columns are built from the store (the saved file moved away and back).
    fn reopen_no_snapshot(dir: &Path) -> Library {
        let file = dir.join("index").join(FILE);
        let aside = dir.join("aside");
        std::fs::rename(&file, &aside).unwrap();
        let lib = reopen(dir);
        query::columns(&lib).unwrap();
        std::fs::rename(&aside, &file).unwrap();
        lib
    }

    /// The bytes of the per-fact columns, from the doc column to the end mark.
    fn tail_len(c: &Columns) -> usize {
        let n = c.amount.len();
        // u32 columns: doc, table_title, table_index, code, name, side, column, raw_end, page, rows, cols;
        // u8 columns: table_kind, level, flags; amounts; raw text; each with its 8-byte count.
        11 * (8 + 4 * n) + 3 * (8 + n) + (8 + 8 * n) + (8 + c.raw.len())
    }

    #[test]
    fn a_damaged_file_is_never_read_and_the_store_answers() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, _) = generated_library(dir.path(), plan(), |_, _, _| true);
        let built = answers(&lib);
        let epoch = lib.store().facts_epoch().unwrap();
        drop(lib);
        let file = dir.path().join("index").join(FILE);
        let good = std::fs::read(&file).unwrap();
        let n = good.len();
        let mut damaged: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("cut short", good[..n / 2].to_vec()),
            ("one byte short", good[..n - 1].to_vec()),
            ("a byte more", [good.clone(), vec![0]].concat()),
            (
                "another format",
                [b"YSCOLS99".to_vec(), good[8..].to_vec()].concat(),
            ),
        ];
        // With the checksum made to fit: a count in the strings section made huge, and the first fact's
        // document pointing past the documents. Neither allocates nor reads out of bounds.
        let resum = |mut v: Vec<u8>| {
            let n = v.len();
            let sum = checksum(&v[..n - 8]);
            v[n - 8..].copy_from_slice(&sum.to_le_bytes());
            v
        };
        let mut huge = good.clone();
        huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        damaged.push(("a huge count", resum(huge)));
        let c = query::columns(&reopen_no_snapshot(dir.path())).unwrap();
        let docs_end = good.len() - 8 - 8 - tail_len(&c);
        let mut far = good.clone();
        // The doc column starts with its count (8 bytes) right after the documents section.
        far[docs_end + 8..docs_end + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        damaged.push(("a reference out of range", resum(far)));
        let mut flipped = good.clone();
        for b in flipped[n - 200..n - 8].iter_mut() {
            *b = 0xFF;
        }
        damaged.push(("overwritten", flipped));
        for (what, bytes) in damaged {
            match parse(&bytes, epoch) {
                Ok(_) => panic!("{what} was read"),
                Err(Unreadable(why)) => match what {
                    "a huge count" => assert_eq!(why, "a count beyond the file"),
                    "a reference out of range" => assert_eq!(why, "a reference out of range"),
                    "another format" => assert_eq!(why, "the checksum does not match"),
                    _ => {}
                },
            }
            std::fs::write(&file, &bytes).unwrap();
            let lib = reopen(dir.path());
            assert_eq!(answers(&lib), built, "{what}");
            drop(lib);
            assert_eq!(std::fs::read(&file).unwrap(), good, "{what}: saved anew");
        }
    }
}
