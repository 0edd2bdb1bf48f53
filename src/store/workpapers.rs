//! Store records of working collections and saved searches.
//!
//! Key layouts: `workpapers`: id (u64 big-endian) → JSON `Workpaper`; `workpaper_readers`: "grantee key \0
//! id" → empty (the collections an account or role may open, without decoding the others);
//! `saved_searches`: id → JSON `SavedSearch`. The trees are opened on first use.

use super::{Store, decode, encode};
use crate::collab::alerts::SavedSearch;
use crate::collab::model::WorkpaperId;
use crate::collab::workpapers::Workpaper;
use crate::error::Result;

fn reader_key(grantee: &str, id: WorkpaperId) -> Vec<u8> {
    let mut k = grantee.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&id.0.to_be_bytes());
    k
}

impl Store {
    fn workpapers_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("workpapers")?)
    }

    fn workpaper_readers_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("workpaper_readers")?)
    }

    fn saved_searches_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("saved_searches")?)
    }

    /// Stores a collection (new or changed) and who may open it.
    pub fn put_workpaper(&self, w: &Workpaper) -> Result<()> {
        let readers = self.workpaper_readers_tree()?;
        if let Some(old) = self.get_workpaper(w.id)? {
            for r in old.readers() {
                readers.remove(reader_key(&r, w.id))?;
            }
        }
        for r in w.readers() {
            readers.insert(reader_key(&r, w.id), &[])?;
        }
        self.workpapers_tree()?
            .insert(w.id.0.to_be_bytes(), encode(w)?)?;
        Ok(())
    }

    pub fn get_workpaper(&self, id: WorkpaperId) -> Result<Option<Workpaper>> {
        let key = id.0.to_be_bytes();
        match self.workpapers_tree()?.get(key)? {
            Some(v) => Ok(Some(decode(&key, &v)?)),
            None => Ok(None),
        }
    }

    /// Removes a collection and its reader keys.
    pub fn delete_workpaper(&self, w: &Workpaper) -> Result<()> {
        let readers = self.workpaper_readers_tree()?;
        for r in w.readers() {
            readers.remove(reader_key(&r, w.id))?;
        }
        self.workpapers_tree()?.remove(w.id.0.to_be_bytes())?;
        Ok(())
    }

    /// The collections listed under any of these grantee keys (`user:NAME`, `role:ROLE`), each once.
    pub fn workpapers_of(&self, grantees: &[String]) -> Result<Vec<Workpaper>> {
        let readers = self.workpaper_readers_tree()?;
        let mut ids = std::collections::BTreeSet::new();
        for g in grantees {
            let mut prefix = g.as_bytes().to_vec();
            prefix.push(0);
            for kv in readers.scan_prefix(&prefix) {
                let (k, _) = kv?;
                if k.len() == prefix.len() + 8 {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&k[prefix.len()..]);
                    ids.insert(u64::from_be_bytes(b));
                }
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.get_workpaper(WorkpaperId(id))?);
        }
        Ok(out)
    }

    /// How many collections are stored.
    pub fn count_workpapers(&self) -> Result<usize> {
        Ok(self.workpapers_tree()?.len())
    }

    /// Stores a saved search (new or changed).
    pub fn put_saved_search(&self, s: &SavedSearch) -> Result<()> {
        self.saved_searches_tree()?
            .insert(s.id.to_be_bytes(), encode(s)?)?;
        Ok(())
    }

    pub fn remove_saved_search(&self, id: u64) -> Result<()> {
        self.saved_searches_tree()?.remove(id.to_be_bytes())?;
        Ok(())
    }

    /// Every saved search, oldest first.
    pub fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        let mut out = Vec::new();
        for kv in self.saved_searches_tree()?.iter() {
            let (k, v) = kv?;
            out.push(decode(&k, &v)?);
        }
        Ok(out)
    }
}
