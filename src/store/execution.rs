//! Store records of 联网 execution data: the batches pushed (their records and their rows in chunks) and the
//! staff's decisions on pace findings.
//!
//! Key layout, all in the `execution` tree: "b \0 batch id" → JSON `BatchRecord`; "c \0 batch id \0 chunk
//! (6 digits)" → JSON `Chunk`; "f \0 finding key" → JSON `Decision`. A batch's record and chunks are written in one atomic sled batch, so that a batch is
//! either absent or whole.

use super::{Store, decode, encode};
use crate::budget::checks::Decision;
use crate::budget::execution::{BatchRecord, Chunk};
use crate::error::Result;

fn key(kind: u8, parts: &[&str]) -> Vec<u8> {
    let mut k = vec![kind];
    for p in parts {
        k.push(0);
        k.extend_from_slice(p.as_bytes());
    }
    k
}

impl Store {
    fn execution_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("execution")?)
    }

    /// The record of a batch.
    pub fn execution_batch(&self, id: &str) -> Result<Option<BatchRecord>> {
        let k = key(b'b', &[id]);
        self.execution_tree()?
            .get(&k)?
            .map(|v| decode(&k, &v))
            .transpose()
    }

    /// Every batch record, in the order they were received.
    pub fn execution_batches(&self) -> Result<Vec<BatchRecord>> {
        let mut out: Vec<BatchRecord> = self
            .execution_tree()?
            .scan_prefix([b'b', 0])
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| a.at.cmp(&b.at).then(a.order.cmp(&b.order)));
        Ok(out)
    }

    /// Writes a batch's record and its chunks in one atomic step (a rejected batch has none), then flushes.
    pub fn put_execution_batch(&self, record: &BatchRecord, chunks: &[Chunk]) -> Result<()> {
        let tree = self.execution_tree()?;
        let mut batch = sled::Batch::default();
        for (n, chunk) in chunks.iter().enumerate() {
            batch.insert(key(b'c', &[&record.id, &format!("{n:06}")]), encode(chunk)?);
        }
        batch.insert(key(b'b', &[&record.id]), encode(record)?);
        tree.apply_batch(batch)?;
        tree.flush()?;
        Ok(())
    }

    /// The chunks of a batch, in order.
    pub fn execution_chunks(&self, id: &str) -> Result<Vec<Chunk>> {
        let mut prefix = key(b'c', &[id]);
        prefix.push(0);
        self.execution_tree()?
            .scan_prefix(&prefix)
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }

    /// Records a decision on a pace finding, replacing an earlier one.
    pub fn put_pace_decision(&self, decision: &Decision) -> Result<()> {
        let tree = self.execution_tree()?;
        tree.insert(key(b'f', &[&decision.key]), encode(decision)?)?;
        tree.flush()?;
        Ok(())
    }

    /// Withdraws the decision on a pace finding; returns whether there was one.
    pub fn remove_pace_decision(&self, finding: &str) -> Result<bool> {
        let tree = self.execution_tree()?;
        let had = tree.remove(key(b'f', &[finding]))?.is_some();
        tree.flush()?;
        Ok(had)
    }

    /// Every decision on pace findings.
    pub fn pace_decisions(&self) -> Result<Vec<Decision>> {
        self.execution_tree()?
            .scan_prefix([b'f', 0])
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }
}
