//! The opened data folder: store, index and analyzer, reconciled on open. Every edge (CLI, web, tests)
//! works through one `Library`.
//!
//! The write gate: every change to the store or the index holds `Library::writing()` (shared) from its first
//! write until its last flush or commit, so that `Library::quiet()` (exclusive, taken by backups) finds store
//! and index at a commit boundary. Functions that write in batches (`pipeline::commit_batch`) take the guard
//! as a parameter instead of acquiring it, because a shared lock taken twice by one thread can deadlock
//! behind a waiting backup.

use crate::config::Config;
use crate::error::Result;
use crate::index::SearchIndex;
use crate::index::analysis::Analyzer;
use crate::link::Reference;
use crate::model::{Article, ArticleId, DocId, Document, Scope};
use crate::store::Store;
use std::mem::ManuallyDrop;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// How long closing the store may take before it is given up.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Proof that the holder may write to the store and the index (the shared side of the write gate).
#[derive(Debug)]
pub struct Writing<'a>(#[allow(dead_code)] RwLockReadGuard<'a, ()>);

/// Proof that no write is in progress and none can start (the exclusive side of the write gate).
#[derive(Debug)]
pub struct Quiet<'a>(#[allow(dead_code)] RwLockWriteGuard<'a, ()>);

/// An opened data folder.
#[derive(Debug)]
pub struct Library {
    pub config: Config,
    /// Closed by `Drop`, with a time limit (see there).
    store: ManuallyDrop<Store>,
    index: SearchIndex,
    reference: Reference,
    proposals: crate::proposals::Cache,
    facts: crate::budget::query::Cache,
    findings_cache: crate::budget::alerts::FindingsCache,
    series: crate::budget::series::view::Cache,
    execution: crate::budget::execution::columns::Cache,
    gate: RwLock<()>,
}

impl Library {
    /// Opens (or creates) the data folder, loads the user dictionary if the corpus has one, and reconciles
    /// the store with the index after any interrupted run.
    pub fn open(config: Config) -> Result<Library> {
        let dict = config.user_dict();
        let analyzer = if dict.exists() {
            Analyzer::with_user_dict(&dict)?
        } else {
            Analyzer::new()
        };
        let reference = Reference::load(&config.reference_dir())?;
        crate::private::owner_only_dir(&config.data_dir)
            .map_err(|e| crate::error::Error::io(&config.data_dir, e))?;
        let store = Store::open(&config.store_dir())?;
        let index = SearchIndex::open(&config.index_dir(), analyzer)?;
        let lib = Library::assemble(config, store, index, reference);
        let reindexed = crate::pipeline::reconcile(&lib)?;
        crate::proposals::reconcile(&lib, &reindexed)?;
        Ok(lib)
    }

    /// A library of its opened parts, with empty caches.
    fn assemble(config: Config, store: Store, index: SearchIndex, reference: Reference) -> Library {
        Library {
            config,
            store: ManuallyDrop::new(store),
            index,
            reference,
            proposals: crate::proposals::Cache::default(),
            facts: crate::budget::query::Cache::default(),
            findings_cache: crate::budget::alerts::FindingsCache::default(),
            series: crate::budget::series::view::Cache::default(),
            execution: crate::budget::execution::columns::Cache::default(),
            gate: RwLock::new(()),
        }
    }

    /// Opens the data folder to answer searches for `texts` (a command line's query): the segmenter knows
    /// only the dictionary words in those texts (`Analyzer::for_texts`) and the store is not reconciled
    /// (its documents are checked against the index through their small state records, not read), so it
    /// opens in a fraction of the time. Nothing may be written through it. A folder a killed run left
    /// unfinished (documents pending or being removed), an index to rebuild, or an index that names a
    /// document the store has no trace of, is opened fully instead: that repairs it, or refuses it.
    pub fn open_for_search(config: Config, texts: &[&str]) -> Result<Library> {
        let dict = config.user_dict();
        // The segmenter and the reference data are read on threads of their own while the store opens.
        let (analyzer, store, reference) = std::thread::scope(|scope| {
            let analyzer =
                scope.spawn(|| Analyzer::for_texts(dict.exists().then_some(dict.as_path()), texts));
            let reference = scope.spawn(|| Reference::load(&config.reference_dir()));
            let store = Store::open(&config.store_dir());
            let failed =
                |what: &str| crate::error::Error::Invalid(format!("{what} could not be loaded"));
            let analyzer = analyzer
                .join()
                .unwrap_or_else(|_| Err(failed("the segmenter")));
            let reference = reference
                .join()
                .unwrap_or_else(|_| Err(failed("the reference data")));
            (analyzer, store, reference)
        });
        let store = store?;
        let Some(analyzer) = analyzer? else {
            drop(store);
            return Library::open(config);
        };
        let (with_state, unfinished) = store.document_states()?;
        if unfinished {
            drop(store);
            return Library::open(config);
        }
        let reference = reference?;
        let index = SearchIndex::open(&config.index_dir(), analyzer)?;
        // An index that must be built again (new, or of another schema) is built by the full open, and a
        // document the index has but the store has no trace of is reported by it (the store lost data).
        if (index.is_empty() && store.has_documents()?)
            || index.doc_ids()?.iter().any(|id| !with_state.contains(id))
        {
            drop((index, store));
            return Library::open(config);
        }
        Ok(Library::assemble(config, store, index, reference))
    }

    /// The name a document's original file is offered under: its file name, without the prefix an upload
    /// was kept under.
    pub fn original_name(&self, source: &str) -> String {
        let file = std::path::Path::new(source);
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let uploads = std::fs::canonicalize(self.config.uploads_dir()).ok();
        if uploads.is_some()
            && file.parent() == uploads.as_deref()
            && let Some((prefix, rest)) = name.split_once('-')
            && prefix.len() == 12
            && prefix.chars().all(|c| c.is_ascii_hexdigit())
        {
            return rest.to_string();
        }
        name
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// The subject tree, topics and subject terms of the corpus's reference folder.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The in-memory snapshot of proposals (lists, counts, similarity).
    pub fn proposal_cache(&self) -> &crate::proposals::Cache {
        &self.proposals
    }

    /// The 预警 findings per document, kept for the 预警 list and the search results' badges (see `budget::alerts`).
    pub fn findings_cache(&self) -> &crate::budget::alerts::FindingsCache {
        &self.findings_cache
    }

    /// The indicator values read from the government work reports (see `budget::series::view`).
    pub fn series_cache(&self) -> &crate::budget::series::view::Cache {
        &self.series
    }

    /// The in-memory columns of budget facts (see `budget::query`).
    /// The execution data as columns (rebuilt after every applied batch).
    pub fn execution_cache(&self) -> &crate::budget::execution::columns::Cache {
        &self.execution
    }

    pub fn facts_cache(&self) -> &crate::budget::query::Cache {
        &self.facts
    }

    /// A whole document with its articles, if it exists and is inside `scope`. A document outside the scope
    /// is answered exactly like a missing one.
    pub fn document(&self, id: &DocId, scope: &Scope) -> Result<Option<Document>> {
        if self.meta(id, scope)?.is_none() {
            return Ok(None);
        }
        Ok(self.store.get_document(id)?.and_then(|d| d.seen_in(scope)))
    }

    /// A document without its articles, if it exists and is inside `scope`, as a reader of that scope sees it.
    pub fn meta(&self, id: &DocId, scope: &Scope) -> Result<Option<Document>> {
        Ok(self.store.get_meta(id)?.and_then(|d| d.seen_in(scope)))
    }

    /// An article with its document (without articles), if both exist and the document is inside `scope`.
    pub fn article(&self, id: &ArticleId, scope: &Scope) -> Result<Option<(Article, Document)>> {
        let Some(article) = self.store.get_article(id)? else {
            return Ok(None);
        };
        Ok(self.meta(&article.doc_id, scope)?.map(|doc| (article, doc)))
    }

    /// How the data folder uses its disk (sizes, audit entries, free space).
    pub fn disk_usage(&self) -> Result<crate::disk::DiskUsage> {
        Ok(crate::disk::DiskUsage {
            data_bytes: crate::disk::folder_bytes(&self.config.data_dir),
            uploads_bytes: crate::disk::folder_bytes(&self.config.uploads_dir()),
            audit_entries: self.store.count_audit()?,
            free_bytes: crate::disk::free_bytes(&self.config.data_dir).ok(),
        })
    }

    /// The shared side of the write gate: hold it while writing (ingest batches, proposal imports and
    /// events, link decisions, removals). Never take it twice on one thread; pass it down instead.
    pub fn writing(&self) -> Writing<'_> {
        Writing(self.gate.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The exclusive side of the write gate: waits until every writer has finished its batch and keeps new
    /// ones waiting while held (for a consistent backup).
    pub fn quiet(&self) -> Quiet<'_> {
        Quiet(self.gate.write().unwrap_or_else(|p| p.into_inner()))
    }

    /// Releases the index writer so that another process can write; the store stays open.
    pub fn close(&self) -> Result<()> {
        self.index.close_writer()?;
        self.store.flush()
    }
}

impl Drop for Library {
    /// Closes the store on a thread and waits at most `CLOSE_TIMEOUT`: sled flushes when its last handle goes,
    /// and after a write failed (a full disk) that flush waits forever. Everything acknowledged was flushed
    /// before it was acknowledged, so a store given up here loses nothing that was promised.
    fn drop(&mut self) {
        // SAFETY: the store is taken once, here, and `self` is not used afterwards.
        let store = unsafe { ManuallyDrop::take(&mut self.store) };
        let (done, closed) = std::sync::mpsc::channel();
        let closing = std::thread::Builder::new()
            .name("closing the store".into())
            .spawn(move || {
                drop(store);
                let _ = done.send(());
            });
        if closing.is_ok() && closed.recv_timeout(CLOSE_TIMEOUT).is_err() {
            tracing::error!(
                data = %self.config.data_dir.display(),
                "the store could not be closed within {} seconds (is the disk full?)",
                CLOSE_TIMEOUT.as_secs()
            );
        }
    }
}
