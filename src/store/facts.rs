//! Store records of budget data: the tables of each document (kept apart from the document, like its
//! articles) and the facts read from them.
//!
//! Key layouts: `tables`: "doc id - ordinal (5 digits)" → JSON `Table`; `facts`: doc id → JSON `DocFacts`
//! (the document's labels once, then its amounts); `meta`: "facts_epoch" → u64 (big-endian). The trees are
//! opened on first use. Every change to them, and to a document's access, bumps the store's facts generation
//! so that in-memory views rebuild, and writes a new facts epoch first so that saved copies of them expire.

use super::{Store, decode, encode};
use crate::budget::{DocFacts, Table};
use crate::error::Result;
use crate::model::{Access, DocId};
use std::sync::atomic::Ordering;

/// The key of the facts epoch in the `meta` tree.
const FACTS_EPOCH: &[u8] = b"facts_epoch";

fn table_key(id: &DocId, ordinal: usize) -> String {
    format!("{id}-{ordinal:05}")
}

impl Store {
    fn tables_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("tables")?)
    }

    fn facts_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("facts")?)
    }

    /// Records, before a change to facts, tables or a document, a new facts epoch: a number kept in the store
    /// that a saved copy of the facts columns names, so that a copy older than the store is never read back.
    /// Written before the change, so that a crash can leave a new epoch with old facts, never the reverse.
    pub(super) fn touch_facts(&self) -> Result<()> {
        let id = self.db.generate_id()?;
        self.db
            .open_tree("meta")?
            .insert(FACTS_EPOCH, &id.to_be_bytes())?;
        Ok(())
    }

    /// The facts epoch (see `touch_facts`); 0 in a store that never had one.
    pub fn facts_epoch(&self) -> Result<u64> {
        Ok(self
            .db
            .open_tree("meta")?
            .get(FACTS_EPOCH)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// Marks the facts (or who may read them) as changed.
    pub(super) fn bump_facts(&self) {
        self.facts_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// A number that changes whenever facts, tables or document access change (for caches).
    pub fn facts_generation(&self) -> u64 {
        self.facts_generation.load(Ordering::SeqCst)
    }

    /// Replaces the tables of a document.
    pub(super) fn put_tables(&self, id: &DocId, tables: &[Table]) -> Result<()> {
        self.delete_tables(id)?;
        let tree = self.tables_tree()?;
        for (i, t) in tables.iter().enumerate() {
            tree.insert(table_key(id, i).as_bytes(), encode(t)?)?;
        }
        Ok(())
    }

    pub(super) fn delete_tables(&self, id: &DocId) -> Result<()> {
        let tree = self.tables_tree()?;
        let prefix = format!("{id}-");
        for key in tree.scan_prefix(prefix.as_bytes()).keys() {
            tree.remove(key?)?;
        }
        Ok(())
    }

    /// The tables of a document in order.
    pub fn tables_of(&self, id: &DocId) -> Result<Vec<Table>> {
        let prefix = format!("{id}-");
        let mut out = Vec::new();
        for item in self.tables_tree()?.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item?;
            out.push(decode::<Table>(&k, &v)?);
        }
        Ok(out)
    }

    /// Stores the facts of a document, replacing earlier ones.
    pub fn put_facts(&self, facts: &DocFacts) -> Result<()> {
        self.touch_facts()?;
        let tree = self.facts_tree()?;
        if facts.items.is_empty() && facts.tables.is_empty() {
            tree.remove(facts.doc_id.as_str())?;
        } else {
            tree.insert(facts.doc_id.as_str(), encode(facts)?)?;
        }
        self.bump_facts();
        Ok(())
    }

    /// The facts of a document, if it has any.
    pub fn get_facts(&self, id: &DocId) -> Result<Option<DocFacts>> {
        match self.facts_tree()?.get(id.as_str())? {
            Some(v) => Ok(Some(decode(id.as_str().as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    pub(super) fn delete_facts(&self, id: &DocId) -> Result<()> {
        self.touch_facts()?;
        self.facts_tree()?.remove(id.as_str())?;
        self.bump_facts();
        Ok(())
    }

    /// Calls `f` with the facts of every document, in doc id order.
    pub fn for_each_facts(&self, mut f: impl FnMut(DocFacts)) -> Result<()> {
        for item in self.facts_tree()?.iter() {
            let (k, v) = item?;
            f(decode(&k, &v)?);
        }
        Ok(())
    }

    /// The ids of the documents with facts, in id order, without decoding their facts.
    pub fn fact_doc_ids(&self) -> Result<Vec<DocId>> {
        let mut out = Vec::new();
        for k in self.facts_tree()?.iter().keys() {
            out.push(DocId(String::from_utf8_lossy(&k?).into_owned()));
        }
        Ok(out)
    }

    /// Who may read a document (its access and owners), without decoding the rest of it.
    pub fn access_of(&self, id: &DocId) -> Result<Option<(Access, Vec<String>)>> {
        #[derive(serde::Deserialize)]
        struct Readers {
            #[serde(default)]
            access: Access,
            #[serde(default)]
            owners: Vec<String>,
        }
        match self.docs.get(id.as_str())? {
            Some(v) => {
                let r: Readers = decode(id.as_str().as_bytes(), &v)?;
                Ok(Some((r.access, r.owners)))
            }
            None => Ok(None),
        }
    }

    pub fn count_fact_documents(&self) -> Result<usize> {
        Ok(self.facts_tree()?.len())
    }
}
