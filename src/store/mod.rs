//! The sled store: the only module that knows key layouts and encodings. Holds documents, articles, the
//! source-path map, the per-document indexing state and ingest tasks; budget tables and facts (`facts.rs`);
//! imported indicator series (`series.rs`); 联网 execution batches (`execution.rs`).

use crate::error::{Error, Result};
use crate::model::{Access, Article, ArticleId, DocId, Document};
use serde::{Serialize, de::DeserializeOwned};
use std::path::{Path, PathBuf};

mod accounts;
mod collab;
mod dump;
mod execution;
mod facts;
mod findings;
mod links;
mod proposals;
mod series;
mod workpapers;
pub use dump::DumpCounts;
pub use links::ObservedSubject;

/// Where a document stands between store and index (see `pipeline` for the protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocState {
    /// Written to the store; its index units may be missing or stale.
    Pending,
    /// Store and index agree.
    Indexed,
    /// Being removed: its index units may still exist.
    Removing,
}

impl DocState {
    fn byte(self) -> u8 {
        match self {
            DocState::Pending => b'P',
            DocState::Indexed => b'I',
            DocState::Removing => b'R',
        }
    }
    fn from_byte(b: u8) -> Option<DocState> {
        match b {
            b'P' => Some(DocState::Pending),
            b'I' => Some(DocState::Indexed),
            b'R' => Some(DocState::Removing),
            _ => None,
        }
    }
}

/// What the store remembers of a source file: its document and the hash of the bytes last ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub id: DocId,
    pub content_hash: String,
}

/// The sled database of one data folder.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// doc id → Document (articles omitted).
    docs: sled::Tree,
    /// article id → Article.
    articles: sled::Tree,
    /// source key → "doc id \t content hash".
    sources: sled::Tree,
    /// "title \0 doc id" → empty: versions of one title.
    titles: sled::Tree,
    /// doc id → one state byte.
    states: sled::Tree,
    /// task id → JSON record.
    tasks: sled::Tree,
    /// content hash → doc id: the document stored with those exact bytes.
    hashes: sled::Tree,
    dir: PathBuf,
    /// Bumped on every change to facts, tables or access (see `facts.rs`).
    facts_generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// A flush failed: sled refuses every later write until the data folder is opened again.
    write_failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.dir.display())
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::Invalid(format!("cannot encode record: {e}")))
}

fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
        key: String::from_utf8_lossy(key).to_string(),
        reason: e.to_string(),
    })
}

fn title_key(title: &str, id: &DocId) -> Vec<u8> {
    let mut k = title.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(id.as_str().as_bytes());
    k
}

/// Whether opening failed because another process holds the database's lock (sled wraps the OS error
/// `EWOULDBLOCK` in an error of its own).
fn is_lock_conflict(io: &std::io::Error) -> bool {
    let would_block = |e: &std::io::Error| {
        e.kind() == std::io::ErrorKind::WouldBlock || e.raw_os_error() == Some(libc::EWOULDBLOCK)
    };
    would_block(io)
        || io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<std::io::Error>())
            .is_some_and(would_block)
        || io.to_string().contains("could not acquire lock")
}

/// Removes the snapshot files sled had not finished writing (`snap.*.generating`); returns whether there were
/// any.
fn remove_unfinished_snapshots(dir: &Path) -> Result<bool> {
    let mut removed = false;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("snap.") && name.ends_with(".generating") {
            tracing::warn!(file = %path.display(), "removing an unfinished store snapshot");
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            removed = true;
        }
    }
    Ok(removed)
}

impl Store {
    /// Opens or creates the store in `dir`. Fails with `Error::Locked` if another process holds it.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let open = || {
            sled::Config::new().path(dir).open().map_err(|e| match e {
                sled::Error::Io(io) if is_lock_conflict(&io) => Error::Locked(dir.to_path_buf()),
                e => Error::Store(e),
            })
        };
        let db = match open() {
            // A snapshot that a full disk stopped half way is left as `snap.*.generating` (empty, or cut
            // short), which sled then reads as damage. It is never the store's only copy of anything: sled
            // renames a snapshot into place only once it is complete. Having the lock (a corruption, not a
            // lock conflict), remove such leftovers and open again.
            Err(Error::Store(sled::Error::Corruption { .. }))
                if remove_unfinished_snapshots(dir)? =>
            {
                open()?
            }
            Err(Error::Store(sled::Error::Corruption { .. })) => {
                return Err(Error::StoreDamaged(dir.to_path_buf()));
            }
            other => other?,
        };
        let store = Store {
            hashes: db.open_tree("hashes")?,
            docs: db.open_tree("docs")?,
            articles: db.open_tree("articles")?,
            sources: db.open_tree("sources")?,
            titles: db.open_tree("titles")?,
            states: db.open_tree("states")?,
            tasks: db.open_tree("tasks")?,
            db,
            dir: dir.to_path_buf(),
            facts_generation: Default::default(),
            write_failed: Default::default(),
        };
        store.fill_hashes()?;
        Ok(store)
    }

    /// Builds the content-hash map from the source map when a store written before it existed has none.
    fn fill_hashes(&self) -> Result<()> {
        if !self.hashes.is_empty() || self.sources.is_empty() {
            return Ok(());
        }
        for item in self.sources.iter() {
            let (_, v) = item?;
            let v = String::from_utf8_lossy(&v);
            if let Some((id, hash)) = v.split_once('\t')
                && !hash.is_empty()
            {
                self.remember_hash(hash, &DocId(id.to_string()))?;
            }
        }
        Ok(())
    }

    /// The document stored with exactly these bytes (without its articles and tables), if any.
    pub fn doc_with_hash(&self, hash: &str) -> Result<Option<Document>> {
        let Some(v) = self.hashes.get(hash.as_bytes())? else {
            return Ok(None);
        };
        let id = DocId(String::from_utf8_lossy(&v).to_string());
        Ok(self.get_meta(&id)?.filter(|d| d.content_hash == hash))
    }

    /// Records `id` as the document with the bytes `hash` unless another one already is.
    fn remember_hash(&self, hash: &str, id: &DocId) -> Result<()> {
        // An existing entry stays: the result of the swap says so and is not an error.
        let _ = self.hashes.compare_and_swap(
            hash.as_bytes(),
            None as Option<&[u8]>,
            Some(id.as_str().as_bytes()),
        )?;
        Ok(())
    }

    /// Removes the entry of `hash` if it names `id` (its document is gone or has other bytes now).
    fn forget_hash(&self, hash: &str, id: &DocId) -> Result<()> {
        if self.hashes.get(hash.as_bytes())?.as_deref() == Some(id.as_str().as_bytes()) {
            self.hashes.remove(hash.as_bytes())?;
        }
        Ok(())
    }

    /// Records `source` as another file of document `id` with the same bytes: the source maps to the
    /// document, which lists it. Returns `false` when there is no such document.
    pub fn add_source_alias(&self, source: &str, id: &DocId) -> Result<bool> {
        let Some(mut meta) = self.get_meta(id)? else {
            return Ok(false);
        };
        if meta.source != source && !meta.also_sources.iter().any(|s| s == source) {
            meta.also_sources.push(source.to_string());
            self.docs.insert(id.as_str(), encode(&meta)?)?;
        }
        self.sources.insert(
            source.as_bytes(),
            format!("{}\t{}", id, meta.content_hash).as_bytes(),
        )?;
        Ok(true)
    }

    /// Writes everything to disk. Call before acknowledging a write.
    pub fn flush(&self) -> Result<()> {
        if let Err(e) = self.db.flush() {
            self.write_failed
                .store(true, std::sync::atomic::Ordering::SeqCst);
            return Err(e.into());
        }
        Ok(())
    }

    /// Whether a flush has failed since the store was opened (a full disk): its writes are refused until the
    /// data folder is opened again.
    pub fn write_failed(&self) -> bool {
        self.write_failed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stores a document with its articles and tables, replacing any earlier version with the same id.
    pub fn put_document(&self, doc: &Document) -> Result<()> {
        let mut meta = doc.clone();
        if let Some(old) = self.get_meta(&doc.id)? {
            self.titles.remove(title_key(&old.title, &old.id))?;
            self.delete_articles(&doc.id)?;
            // The other files of the same bytes stay known while the bytes are the same.
            if old.content_hash == doc.content_hash {
                for s in old.also_sources {
                    if !meta.also_sources.contains(&s) {
                        meta.also_sources.push(s);
                    }
                }
            } else {
                self.forget_hash(&old.content_hash, &doc.id)?;
            }
        }
        self.touch_facts()?;
        meta.articles = Vec::new();
        meta.tables = Vec::new();
        self.docs.insert(doc.id.as_str(), encode(&meta)?)?;
        for a in &doc.articles {
            self.articles.insert(a.id.as_str(), encode(a)?)?;
        }
        self.put_tables(&doc.id, &doc.tables)?;
        self.bump_facts();
        // A file that was another copy of a document and now has bytes of its own leaves that document.
        if let Some(entry) = self.source(&doc.source)?
            && entry.id != doc.id
            && let Some(mut copy_of) = self.get_meta(&entry.id)?
        {
            copy_of.also_sources.retain(|s| *s != doc.source);
            self.docs.insert(entry.id.as_str(), encode(&copy_of)?)?;
        }
        self.sources.insert(
            doc.source.as_str(),
            format!("{}\t{}", doc.id, doc.content_hash).as_bytes(),
        )?;
        self.titles.insert(title_key(&doc.title, &doc.id), &[])?;
        self.remember_hash(&doc.content_hash, &doc.id)?;
        Ok(())
    }

    fn delete_articles(&self, id: &DocId) -> Result<()> {
        let prefix = format!("{}-", id);
        for key in self.articles.scan_prefix(prefix.as_bytes()).keys() {
            self.articles.remove(key?)?;
        }
        Ok(())
    }

    /// Removes a document, its articles and its source entry.
    pub fn delete_document(&self, id: &DocId) -> Result<()> {
        if let Some(old) = self.get_meta(id)? {
            self.titles.remove(title_key(&old.title, id))?;
            for source in std::iter::once(&old.source).chain(&old.also_sources) {
                if let Some(entry) = self.source(source)?
                    && entry.id == *id
                {
                    self.sources.remove(source.as_bytes())?;
                }
            }
            self.forget_hash(&old.content_hash, id)?;
        }
        self.delete_articles(id)?;
        self.delete_tables(id)?;
        self.delete_facts(id)?;
        self.docs.remove(id.as_str())?;
        self.states.remove(id.as_str())?;
        self.delete_links(id)?;
        Ok(())
    }

    /// A document without its articles and tables (metadata, body and outline).
    pub fn get_meta(&self, id: &DocId) -> Result<Option<Document>> {
        match self.docs.get(id.as_str())? {
            Some(bytes) => Ok(Some(decode(id.as_str().as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// A whole document with its articles and tables in order.
    pub fn get_document(&self, id: &DocId) -> Result<Option<Document>> {
        let Some(mut doc) = self.get_meta(id)? else {
            return Ok(None);
        };
        doc.articles = self.articles_of(id)?;
        doc.tables = self.tables_of(id)?;
        Ok(Some(doc))
    }

    /// The articles of a document in order.
    pub fn articles_of(&self, id: &DocId) -> Result<Vec<Article>> {
        let prefix = format!("{}-", id);
        let mut articles = Vec::new();
        for item in self.articles.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item?;
            articles.push(decode::<Article>(&k, &v)?);
        }
        articles.sort_by_key(|a| {
            a.id.as_str()
                .rsplit('-')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
        });
        Ok(articles)
    }

    pub fn get_article(&self, id: &ArticleId) -> Result<Option<Article>> {
        match self.articles.get(id.as_str())? {
            Some(bytes) => Ok(Some(decode(id.as_str().as_bytes(), &bytes)?)),
            None => Ok(None),
        }
    }

    /// What was last ingested from a source key.
    pub fn source(&self, source: &str) -> Result<Option<SourceEntry>> {
        let Some(v) = self.sources.get(source.as_bytes())? else {
            return Ok(None);
        };
        let s = String::from_utf8_lossy(&v);
        let (id, hash) = s.split_once('\t').unwrap_or((&s, ""));
        Ok(Some(SourceEntry {
            id: DocId(id.to_string()),
            content_hash: hash.to_string(),
        }))
    }

    /// Source keys that start with `prefix` (e.g. a folder), with their documents.
    pub fn sources_under(&self, prefix: &str) -> Result<Vec<(String, DocId)>> {
        let mut out = Vec::new();
        for item in self.sources.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item?;
            let v = String::from_utf8_lossy(&v);
            let id = v.split('\t').next().unwrap_or_default().to_string();
            out.push((String::from_utf8_lossy(&k).to_string(), DocId(id)));
        }
        Ok(out)
    }

    /// Moves the source keys under the folder prefix `from` to lie under `to`, in the source index and in the
    /// documents (after a restore into another data folder, uploads are known by their new path); returns
    /// how many moved.
    pub fn move_sources(&self, from: &str, to: &str) -> Result<usize> {
        let mut moved = 0;
        for (source, id) in self.sources_under(from)? {
            let new = format!("{to}{}", &source[from.len()..]);
            if let Some(entry) = self.sources.remove(source.as_bytes())? {
                self.sources.insert(new.as_bytes(), entry)?;
            }
            if let Some(mut meta) = self.get_meta(&id)? {
                if meta.source == source {
                    meta.source = new;
                } else if let Some(s) = meta.also_sources.iter_mut().find(|s| **s == source) {
                    *s = new;
                }
                self.docs.insert(id.as_str(), encode(&meta)?)?;
            }
            moved += 1;
        }
        Ok(moved)
    }

    /// The ids of every document stored under `title` (the versions of one law).
    pub fn ids_with_title(&self, title: &str) -> Result<Vec<DocId>> {
        let mut prefix = title.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for key in self.titles.scan_prefix(&prefix).keys() {
            let key = key?;
            out.push(DocId(
                String::from_utf8_lossy(&key[prefix.len()..]).to_string(),
            ));
        }
        Ok(out)
    }

    /// Titles that start with `prefix`, with their documents (for resolving short law names).
    pub fn titles_with_prefix(&self, prefix: &str) -> Result<Vec<(String, DocId)>> {
        let mut out = Vec::new();
        for key in self.titles.scan_prefix(prefix.as_bytes()).keys() {
            let key = key?;
            let s = String::from_utf8_lossy(&key);
            if let Some((title, id)) = s.split_once('\0') {
                out.push((title.to_string(), DocId(id.to_string())));
            }
        }
        Ok(out)
    }

    /// Every title with its documents.
    pub fn all_titles(&self) -> Result<Vec<(String, DocId)>> {
        self.titles_with_prefix("")
    }

    pub fn set_state(&self, id: &DocId, state: DocState) -> Result<()> {
        self.states.insert(id.as_str(), &[state.byte()])?;
        Ok(())
    }

    pub fn state(&self, id: &DocId) -> Result<Option<DocState>> {
        Ok(self
            .states
            .get(id.as_str())?
            .and_then(|v| v.first().copied().and_then(DocState::from_byte)))
    }

    /// Documents in a given state.
    pub fn ids_in_state(&self, state: DocState) -> Result<Vec<DocId>> {
        let mut out = Vec::new();
        for item in self.states.iter() {
            let (k, v) = item?;
            if v.first().copied() == Some(state.byte()) {
                out.push(DocId(String::from_utf8_lossy(&k).to_string()));
            }
        }
        Ok(out)
    }

    /// The ids of the documents with a state (every stored document has one: it is written before the
    /// document and removed with it), and whether any is pending or being removed (a run was interrupted),
    /// in one pass over the small state records.
    pub fn document_states(&self) -> Result<(std::collections::BTreeSet<DocId>, bool)> {
        let mut ids = std::collections::BTreeSet::new();
        let mut unfinished = false;
        for item in self.states.iter() {
            let (k, v) = item?;
            unfinished |= v.first().copied() != Some(DocState::Indexed.byte());
            ids.insert(DocId(String::from_utf8_lossy(&k).to_string()));
        }
        Ok((ids, unfinished))
    }

    /// Every stored document id.
    pub fn doc_ids(&self) -> Result<Vec<DocId>> {
        self.docs
            .iter()
            .keys()
            .map(|k| Ok(DocId(String::from_utf8_lossy(&k?).to_string())))
            .collect()
    }

    /// Whether any document is stored (without counting them).
    pub fn has_documents(&self) -> Result<bool> {
        Ok(self.docs.first()?.is_some())
    }

    pub fn count_documents(&self) -> usize {
        self.docs.len()
    }

    pub fn count_articles(&self) -> usize {
        self.articles.len()
    }

    /// Stores a task record as JSON.
    pub fn put_task<T: Serialize>(&self, id: &str, task: &T) -> Result<()> {
        self.tasks.insert(id.as_bytes(), encode(task)?)?;
        Ok(())
    }

    pub fn get_task<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>> {
        match self.tasks.get(id.as_bytes())? {
            Some(v) => Ok(Some(decode(id.as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    /// All task records, oldest id first.
    pub fn tasks<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.tasks
            .iter()
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }

    fn access_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("access_overrides")?)
    }

    /// Records a staff decision on who may read a document (kept apart from the document, so that it
    /// survives re-ingest and relinking). Key layout: `access_overrides`: doc id → `public`/`restricted`.
    pub fn put_access_override(&self, id: &DocId, access: Access) -> Result<()> {
        let value = match access {
            Access::Public => "public",
            Access::Restricted => "restricted",
        };
        self.access_tree()?.insert(id.as_str(), value.as_bytes())?;
        Ok(())
    }

    /// The staff decision on who may read a document, if any.
    pub fn access_override(&self, id: &DocId) -> Result<Option<Access>> {
        Ok(self
            .access_tree()?
            .get(id.as_str())?
            .and_then(|v| Access::parse_any(&String::from_utf8_lossy(&v))))
    }

    /// Size of the store on disk in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}
