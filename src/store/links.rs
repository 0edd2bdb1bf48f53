//! Store records of the linker: the computed links of each document, staff decisions on links (kept apart
//! so that they survive re-ingest and relinking) and subjects observed in documents.
//!
//! Key layouts: `links`: doc id → JSON `Links`; `link_decisions`: "doc id \0 target key" → JSON `Decision`;
//! `observed_subjects`: "code \0 doc id" → JSON `ObservedSubject` (stores written before observations were
//! kept per document have "code" keys; their records read the same). The trees are opened on first use.

use super::{Store, decode, encode};
use crate::error::Result;
use crate::link::{Decision, Links, Target};
use crate::model::DocId;
use serde::{Deserialize, Serialize};

/// A subject code seen in a document but absent from the reference tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedSubject {
    pub code: String,
    pub name: String,
    /// The document it was seen in.
    pub doc: DocId,
}

fn decision_key(id: &DocId, target: &Target) -> Vec<u8> {
    let mut k = id.as_str().as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(target.key().as_bytes());
    k
}

impl Store {
    fn links_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("links")?)
    }

    fn decisions_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("link_decisions")?)
    }

    fn observed_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("observed_subjects")?)
    }

    /// Stores the computed links of a document, replacing earlier ones.
    pub fn put_links(&self, id: &DocId, links: &Links) -> Result<()> {
        self.links_tree()?.insert(id.as_str(), encode(links)?)?;
        Ok(())
    }

    /// The computed links of a document (before decisions), if it has been linked.
    pub fn get_links(&self, id: &DocId) -> Result<Option<Links>> {
        match self.links_tree()?.get(id.as_str())? {
            Some(v) => Ok(Some(decode(id.as_str().as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    /// Forgets the computed links of a document (its decisions stay).
    pub fn delete_links(&self, id: &DocId) -> Result<()> {
        self.links_tree()?.remove(id.as_str())?;
        Ok(())
    }

    /// Records a decision on one link, replacing an earlier decision on the same target.
    pub fn put_decision(&self, id: &DocId, decision: &Decision) -> Result<()> {
        self.decisions_tree()?
            .insert(decision_key(id, &decision.target), encode(decision)?)?;
        Ok(())
    }

    /// Withdraws a decision; returns whether there was one.
    pub fn remove_decision(&self, id: &DocId, target: &Target) -> Result<bool> {
        Ok(self
            .decisions_tree()?
            .remove(decision_key(id, target))?
            .is_some())
    }

    /// The decisions on a document's links.
    pub fn decisions_of(&self, id: &DocId) -> Result<Vec<Decision>> {
        let mut prefix = id.as_str().as_bytes().to_vec();
        prefix.push(0);
        self.decisions_tree()?
            .scan_prefix(&prefix)
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }

    /// Every decision with its document.
    pub fn all_decisions(&self) -> Result<Vec<(DocId, Decision)>> {
        self.decisions_tree()?
            .iter()
            .map(|item| {
                let (k, v) = item?;
                let id = k.split(|&b| b == 0).next().unwrap_or_default();
                Ok((
                    DocId(String::from_utf8_lossy(id).to_string()),
                    decode(&k, &v)?,
                ))
            })
            .collect()
    }

    /// Records a subject seen in a document, once per document (so that each reader's tree holds only the
    /// codes seen in documents the reader may see); returns whether the pair is new.
    pub fn record_observed(&self, subject: &ObservedSubject) -> Result<bool> {
        let tree = self.observed_tree()?;
        let mut key = subject.code.as_bytes().to_vec();
        key.push(0);
        key.extend_from_slice(subject.doc.as_str().as_bytes());
        let fresh = tree
            .compare_and_swap(key, None as Option<&[u8]>, Some(encode(subject)?))?
            .is_ok();
        Ok(fresh)
    }

    /// Every observation of a subject in a document, in code order (a code seen in several documents comes
    /// once per document).
    pub fn observed_subjects(&self) -> Result<Vec<ObservedSubject>> {
        self.observed_tree()?
            .iter()
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }
}
