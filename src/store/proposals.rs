//! Store records of deputy proposals: the proposals, their events, a number index and the reply documents
//! that name a proposal.
//!
//! Key layouts: `proposals`: proposal id → JSON `Proposal`; `proposal_events`: "proposal id \0 seq (u32
//! big-endian)" → JSON `Event`; `proposal_numbers`: "number (u32 big-endian) proposal id" → empty;
//! `proposal_replies`: "number (u32 big-endian) doc id" → JSON `ReplyRef`; `proposal_reply_docs`: doc id →
//! JSON list of numbers (to replace a document's references). The trees are opened on first use.

use super::{Store, decode, encode};
use crate::error::Result;
use crate::model::DocId;
use crate::proposals::model::{Event, Proposal, ProposalId, ProposalNumber, ReplyRef};
use std::collections::BTreeMap;

fn event_prefix(id: &ProposalId) -> Vec<u8> {
    let mut k = id.as_str().as_bytes().to_vec();
    k.push(0);
    k
}

fn event_key(id: &ProposalId, seq: u32) -> Vec<u8> {
    let mut k = event_prefix(id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn number_key(number: ProposalNumber, rest: &str) -> Vec<u8> {
    let mut k = number.0.to_be_bytes().to_vec();
    k.extend_from_slice(rest.as_bytes());
    k
}

impl Store {
    fn proposals_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("proposals")?)
    }

    fn proposal_events_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("proposal_events")?)
    }

    fn proposal_numbers_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("proposal_numbers")?)
    }

    fn proposal_replies_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("proposal_replies")?)
    }

    fn proposal_reply_docs_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("proposal_reply_docs")?)
    }

    /// Stores a proposal, replacing an earlier record with the same id.
    pub fn put_proposal(&self, p: &Proposal) -> Result<()> {
        self.proposals_tree()?.insert(p.id.as_str(), encode(p)?)?;
        self.proposal_numbers_tree()?
            .insert(number_key(p.number, p.id.as_str()), &[])?;
        Ok(())
    }

    pub fn get_proposal(&self, id: &ProposalId) -> Result<Option<Proposal>> {
        match self.proposals_tree()?.get(id.as_str())? {
            Some(v) => Ok(Some(decode(id.as_str().as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    /// Deletes a proposal's record, its events and its number entry (its document is removed apart).
    pub fn delete_proposal(&self, id: &ProposalId) -> Result<()> {
        if let Some(p) = self.get_proposal(id)? {
            self.proposal_numbers_tree()?
                .remove(number_key(p.number, id.as_str()))?;
        }
        let events = self.proposal_events_tree()?;
        for k in events.scan_prefix(event_prefix(id)).keys() {
            events.remove(k?)?;
        }
        self.proposals_tree()?.remove(id.as_str())?;
        Ok(())
    }

    /// Every proposal, in id order.
    pub fn all_proposals(&self) -> Result<Vec<Proposal>> {
        self.proposals_tree()?
            .iter()
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }

    pub fn count_proposals(&self) -> usize {
        self.proposals_tree().map(|t| t.len()).unwrap_or(0)
    }

    /// The ids of the proposals with a number (one per session).
    pub fn proposals_with_number(&self, number: ProposalNumber) -> Result<Vec<ProposalId>> {
        let prefix = number.0.to_be_bytes();
        self.proposal_numbers_tree()?
            .scan_prefix(prefix)
            .keys()
            .map(|k| {
                let k = k?;
                Ok(ProposalId(String::from_utf8_lossy(&k[4..]).to_string()))
            })
            .collect()
    }

    /// A proposal's events in the order they were recorded.
    pub fn events_of(&self, id: &ProposalId) -> Result<Vec<Event>> {
        self.proposal_events_tree()?
            .scan_prefix(event_prefix(id))
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }

    /// Every proposal's events (one scan).
    pub fn all_events(&self) -> Result<BTreeMap<ProposalId, Vec<Event>>> {
        let mut out: BTreeMap<ProposalId, Vec<Event>> = BTreeMap::new();
        for item in self.proposal_events_tree()?.iter() {
            let (k, v) = item?;
            let id = k.split(|b| *b == 0).next().unwrap_or_default();
            out.entry(ProposalId(String::from_utf8_lossy(id).to_string()))
                .or_default()
                .push(decode(&k, &v)?);
        }
        Ok(out)
    }

    /// Replaces a proposal's events.
    pub fn set_events(&self, id: &ProposalId, events: &[Event]) -> Result<()> {
        let tree = self.proposal_events_tree()?;
        for k in tree.scan_prefix(event_prefix(id)).keys() {
            tree.remove(k?)?;
        }
        for (i, e) in events.iter().enumerate() {
            tree.insert(event_key(id, i as u32), encode(e)?)?;
        }
        Ok(())
    }

    /// Appends one event.
    pub fn push_event(&self, id: &ProposalId, event: &Event) -> Result<()> {
        let tree = self.proposal_events_tree()?;
        let next = match tree.scan_prefix(event_prefix(id)).keys().next_back() {
            Some(k) => {
                let k = k?;
                let seq: [u8; 4] = k[k.len() - 4..].try_into().unwrap_or([0; 4]);
                u32::from_be_bytes(seq) + 1
            }
            None => 0,
        };
        tree.insert(event_key(id, next), encode(event)?)?;
        Ok(())
    }

    /// Replaces the proposal references of a document.
    pub fn set_reply_refs(&self, doc: &DocId, refs: &[ReplyRef]) -> Result<()> {
        let docs = self.proposal_reply_docs_tree()?;
        let replies = self.proposal_replies_tree()?;
        if let Some(v) = docs.get(doc.as_str())? {
            let old: Vec<u32> = decode(doc.as_str().as_bytes(), &v)?;
            for n in old {
                replies.remove(number_key(ProposalNumber(n), doc.as_str()))?;
            }
        }
        if refs.is_empty() {
            docs.remove(doc.as_str())?;
            return Ok(());
        }
        let numbers: Vec<u32> = refs.iter().map(|r| r.number.0).collect();
        docs.insert(doc.as_str(), encode(&numbers)?)?;
        for r in refs {
            replies.insert(number_key(r.number, doc.as_str()), encode(r)?)?;
        }
        Ok(())
    }

    /// The documents that name a proposal number.
    pub fn reply_refs(&self, number: ProposalNumber) -> Result<Vec<ReplyRef>> {
        self.proposal_replies_tree()?
            .scan_prefix(number.0.to_be_bytes())
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }
}
