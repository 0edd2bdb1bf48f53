//! Receiving execution data: a batch is read and validated whole, then applied whole (its record and rows in
//! one atomic write, flushed before the answer) or refused whole with its errors, and recorded either way. A
//! batch id seen before changes nothing; a gap in a sender's sequence numbers is reported. Sending systems push
//! with API tokens of the role 数据推送 (feed), which may push and nothing else.

use super::parse::{self, Format};
use super::{BatchRecord, BatchStatus, Chunk, RowIssue};
use crate::budget::recognise::MoneyUnit;
use crate::error::{Error, Result};
use crate::library::Library;

/// Rows per stored chunk.
const CHUNK_ROWS: usize = 20_000;
/// Errors and warnings kept in a batch's record (all are counted).
const KEPT_ISSUES: usize = 200;

/// A batch as received.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    /// The sender's batch id: 1–64 letters, digits, `.`, `_` or `-`.
    pub id: String,
    pub seq: u64,
    /// The sending system.
    pub source: String,
    /// Who pushed it (for the record).
    pub by: String,
    pub format: Format,
    /// The unit of the amounts (元, 万元 or 亿元).
    pub unit: MoneyUnit,
    pub bytes: &'a [u8],
}

/// What became of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Applied now.
    Applied(BatchRecord),
    /// Seen before (applied then); nothing changed.
    Duplicate(BatchRecord),
    /// Refused whole: nothing applied; the record says why.
    Rejected(BatchRecord),
}

impl Outcome {
    pub fn record(&self) -> &BatchRecord {
        match self {
            Outcome::Applied(r) | Outcome::Duplicate(r) | Outcome::Rejected(r) => r,
        }
    }
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn keep(mut issues: Vec<RowIssue>) -> (Vec<RowIssue>, usize) {
    let n = issues.len();
    issues.truncate(KEPT_ISSUES);
    (issues, n)
}

/// Reads, validates and applies (or refuses) a batch.
pub fn submit(lib: &Library, s: Submission<'_>) -> Result<Outcome> {
    if !valid_id(&s.id) {
        return Err(Error::Invalid(
            "批次号须为 1–64 个字母、数字、点、下划线或连字符".into(),
        ));
    }
    let _writing = lib.writing();
    let store = lib.store();
    if let Some(earlier) = store.execution_batch(&s.id)?
        && earlier.status == BatchStatus::Applied
    {
        return Ok(Outcome::Duplicate(earlier));
    }
    let reference = lib.reference();
    let parsed = parse::parse(
        s.format,
        s.bytes,
        &reference.execution_columns,
        s.unit,
        &reference.taxonomy,
    );
    let earlier = store.execution_batches()?;
    let applied: Vec<&BatchRecord> = earlier
        .iter()
        .filter(|b| b.status == BatchStatus::Applied)
        .collect();
    let last_seq = applied
        .iter()
        .filter(|b| b.source == s.source)
        .map(|b| b.seq)
        .max();
    let mut record = BatchRecord {
        id: s.id.clone(),
        source: s.source.clone(),
        seq: s.seq,
        by: s.by.clone(),
        at: chrono::Local::now().to_rfc3339(),
        status: BatchStatus::Rejected,
        rows: 0,
        chunks: 0,
        order: applied.iter().map(|b| b.order).max().map_or(1, |o| o + 1),
        covers: Vec::new(),
        errors: Vec::new(),
        error_count: 0,
        warnings: Vec::new(),
        warning_count: 0,
        gap: last_seq.filter(|l| s.seq != l + 1).map(|l| (l + 1, s.seq)),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            record.errors = vec![RowIssue {
                line: 0,
                field: String::new(),
                message: e.to_string(),
            }];
            record.error_count = 1;
            store.put_execution_batch(&record, &[])?;
            return Ok(Outcome::Rejected(record));
        }
    };
    record.rows = parsed.rows.len() + parsed.errors.len();
    (record.warnings, record.warning_count) = keep(parsed.warnings);
    if !parsed.errors.is_empty() {
        (record.errors, record.error_count) = keep(parsed.errors);
        store.put_execution_batch(&record, &[])?;
        return Ok(Outcome::Rejected(record));
    }
    let mut covers: Vec<(i32, u8, String)> = parsed
        .rows
        .iter()
        .map(|r| (r.year, r.month, r.unit.clone()))
        .collect();
    covers.sort();
    covers.dedup();
    record.covers = covers;
    let chunks: Vec<Chunk> = parsed.rows.chunks(CHUNK_ROWS).map(Chunk::pack).collect();
    record.chunks = chunks.len() as u32;
    record.status = BatchStatus::Applied;
    store.put_execution_batch(&record, &chunks)?;
    lib.execution_cache().invalidate();
    Ok(Outcome::Applied(record))
}
