//! Store records of 预警: staff decisions on findings (confirmed or dismissed, with a note), kept apart from the
//! documents so that they survive re-ingest.
//!
//! Key layout: `finding_decisions`: "doc id \0 finding key" → JSON `Decision`. The tree is opened on first use.

use super::{Store, decode, encode};
use crate::budget::checks::Decision;
use crate::error::Result;
use crate::model::DocId;

fn key(id: &DocId, finding: &str) -> Vec<u8> {
    let mut k = id.as_str().as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(finding.as_bytes());
    k
}

impl Store {
    fn finding_decisions_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("finding_decisions")?)
    }

    /// Records a decision on a finding, replacing an earlier one.
    pub fn put_finding_decision(&self, id: &DocId, decision: &Decision) -> Result<()> {
        self.finding_decisions_tree()?
            .insert(key(id, &decision.key), encode(decision)?)?;
        Ok(())
    }

    /// Withdraws the decision on a finding; returns whether there was one.
    pub fn remove_finding_decision(&self, id: &DocId, finding: &str) -> Result<bool> {
        Ok(self
            .finding_decisions_tree()?
            .remove(key(id, finding))?
            .is_some())
    }

    /// The decisions on a document's findings.
    pub fn finding_decisions_of(&self, id: &DocId) -> Result<Vec<Decision>> {
        let mut prefix = id.as_str().as_bytes().to_vec();
        prefix.push(0);
        self.finding_decisions_tree()?
            .scan_prefix(&prefix)
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }
}
