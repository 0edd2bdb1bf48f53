//! Ingest runs: extraction on worker threads, then store and index in a crash-safe order, and the
//! reconciliation that repairs an interrupted run when a data folder is opened.
//!
//! Protocol for every batch: mark the documents `Pending` and write them to the store (flush); put their
//! units into the index and commit; mark them `Indexed` (flush). Removal marks `Removing` first. On open,
//! anything `Pending` is re-indexed from the store and anything `Removing` is finished, and index and store
//! are compared, so that a kill at any point leaves nothing invisible and nothing duplicated.

use crate::error::{Error, ExtractError, Result};
use crate::ingest::extract::{self, ExtractOptions};
use crate::ingest::metadata::{self, Manifests};
use crate::ingest::structure;
use crate::library::{Library, Writing};
use crate::model::{Access, Article, ArticleId, DocId, DocKind, Document, Tags, Validity};
use crate::store::DocState;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Progress of an ingest run, reported after each file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub bytes: u64,
    pub elapsed: Duration,
}

/// One file that could not be ingested, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileFailure {
    pub path: String,
    pub reason: String,
}

/// What an ingest run did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IngestReport {
    pub files: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: Vec<FileFailure>,
    /// Articles in the documents added or updated.
    pub articles: usize,
    pub bytes: u64,
    pub seconds: f64,
    /// Ids of the documents added or updated.
    pub doc_ids: Vec<DocId>,
    /// Proposal tables imported as proposals instead of documents: their path and what the import did.
    #[serde(default)]
    pub proposal_tables: Vec<(String, TableImport)>,
    /// New files with exactly the bytes of a stored document (or of one earlier in the same run): recorded
    /// as another source of that document, not as a document of their own.
    #[serde(default)]
    pub duplicates: Vec<Duplicate>,
}

/// A file that is another copy of a document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Duplicate {
    pub path: String,
    /// The document it is a copy of.
    pub of: DocId,
    pub title: String,
}

/// A file to ingest and the key it is known by.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// The source key (canonical path, or the kept copy of an upload).
    pub source: String,
    /// Who may read it, as chosen at upload; a sidecar or manifest may also say, and a stored staff
    /// decision (`set_access`) wins over both.
    pub access: Option<Access>,
    /// The name a reader knows the file by, where it differs from the path's (an upload's own name).
    pub name: Option<String>,
}

/// Whether a walked file is a document (not a sidecar, manifest, README or hidden file).
pub fn is_document_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !(name.starts_with('.')
        || name == "manifest.jsonl"
        || name.ends_with(".meta.json")
        || name == "README.md")
}

/// Expands files and folders into the files to ingest (sorted, folders named `reference` skipped) and loads
/// every folder's manifest.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<(Vec<Input>, Manifests)> {
    let mut manifests = Manifests::default();
    let mut files = BTreeSet::new();
    let mut dirs = BTreeSet::new();
    for p in paths {
        let canonical = std::fs::canonicalize(p).map_err(|e| Error::io(p, e))?;
        if canonical.is_dir() {
            let walker = walkdir::WalkDir::new(&canonical)
                .follow_links(true)
                .sort_by_file_name();
            for entry in walker.into_iter().filter_entry(|e| {
                !(e.file_type().is_dir() && e.depth() > 0 && e.file_name() == "reference")
            }) {
                let entry = entry
                    .map_err(|e| Error::Invalid(format!("walking {}: {e}", canonical.display())))?;
                if entry.file_type().is_dir() {
                    dirs.insert(entry.path().to_path_buf());
                } else if entry.file_type().is_file() && is_document_file(entry.path()) {
                    files.insert(entry.path().to_path_buf());
                }
            }
        } else {
            if let Some(parent) = canonical.parent() {
                dirs.insert(parent.to_path_buf());
            }
            files.insert(canonical);
        }
    }
    for d in &dirs {
        manifests.load_dir(d)?;
    }
    let inputs = files
        .into_iter()
        .map(|path| Input {
            source: path.to_string_lossy().to_string(),
            path,
            access: None,
            name: None,
        })
        .collect();
    Ok((inputs, manifests))
}

/// Turns one file into a document: read, extract, derive metadata, split articles. Pure but for reading
/// the file and its sidecar.
pub fn prepare(
    input: &Input,
    manifests: &Manifests,
    opts: &ExtractOptions,
) -> Result<Document, ExtractError> {
    let (bytes, hash) = read_input(input, opts)?;
    prepare_bytes(input, &bytes, hash, manifests, opts)
}

/// Reads a file within the size limit and hashes it.
fn read_input(input: &Input, opts: &ExtractOptions) -> Result<(Vec<u8>, String), ExtractError> {
    let size = std::fs::metadata(&input.path)?.len();
    if size > opts.max_file_bytes {
        return Err(ExtractError::TooLarge {
            size,
            limit: opts.max_file_bytes,
        });
    }
    let bytes = std::fs::read(&input.path)?;
    let hash = blake3::hash(&bytes).to_hex().to_string();
    Ok((bytes, hash))
}

fn prepare_bytes(
    input: &Input,
    bytes: &[u8],
    content_hash: String,
    manifests: &Manifests,
    opts: &ExtractOptions,
) -> Result<Document, ExtractError> {
    let extracted = extract::extract(&input.path, bytes, opts)?;
    let sidecar = metadata::read_sidecar(&input.path)
        .map_err(|e| ExtractError::Corrupt(format!("sidecar: {e}")))?;
    let m = metadata::derive(
        &input.path,
        extracted.title.as_deref(),
        &extracted.history,
        &extracted.text,
        manifests.get(&input.path),
        sidecar.as_ref(),
    );
    let id = DocId::from_source(&input.source);
    let mut structure = structure::parse(&extracted.text);
    // A text without statute structure is outlined by its own numbered headings (一、 and （一）).
    if structure.outline.is_empty() && structure.articles.is_empty() {
        structure.outline = structure::report_outline(&extracted.text);
    }
    let articles = structure
        .articles
        .into_iter()
        .enumerate()
        .map(|(i, a)| Article {
            id: ArticleId::new(&id, i),
            doc_id: id.clone(),
            number: a.number,
            name: format!("{}{}", m.title, a.label),
            label: a.label,
            path: a.path,
            text: a.text,
            offset: a.offset,
        })
        .collect();
    Ok(Document {
        id,
        source: input.source.clone(),
        content_hash,
        format: extracted.format,
        kind: m.kind.unwrap_or(DocKind::Other),
        level: m.level,
        title: m.title,
        issuer: m.issuer,
        doc_number: m.doc_number,
        published: m.published,
        effective: m.effective,
        version_date: m.version_date,
        region: m.region,
        year: m.year,
        validity: m.validity.unwrap_or(Validity::Valid),
        public_validity: None,
        validity_pinned: sidecar.as_ref().is_some_and(|s| s.validity.is_some()),
        expired: m.expired,
        history: m.history,
        body: extracted.text,
        also_sources: Vec::new(),
        body_cut_from: extracted.cut_from,
        outline: structure.outline,
        articles,
        size: bytes.len() as u64,
        access: input.access.or(m.access).unwrap_or_default(),
        owners: Vec::new(),
        tables: extracted.tables,
    })
}

/// The tags the index needs for a document (budget subjects and topics): its stored links (computed if
/// missing) with staff decisions applied.
fn tags_for(lib: &Library, doc: &Document) -> Result<Tags> {
    crate::linking::tags_for(lib, doc)
}

/// Sets the validity of every version of the titles of `docs` (in the batch or already stored): only the
/// newest is in force, older ones are amended; an expired newest version repeals them all; a pinned validity
/// wins. A public version also gets the validity
/// decided over the public versions alone (what readers outside the staff see). Returns stored documents
/// whose validity changed and must be written again.
fn settle_versions(lib: &Library, docs: &mut [Document]) -> Result<Vec<Document>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, d) in docs.iter().enumerate() {
        if d.kind.is_regulation() {
            groups.entry(d.title.clone()).or_default().push(i);
        }
    }
    let mut changed = Vec::new();
    for (title, members) in groups {
        let batch_ids: BTreeSet<DocId> = members.iter().map(|&i| docs[i].id.clone()).collect();
        let mut stored = Vec::new();
        for id in lib.store().ids_with_title(&title)? {
            if !batch_ids.contains(&id)
                && let Some(d) = lib.store().get_meta(&id)?
                && d.kind.is_regulation()
            {
                stored.push(d);
            }
        }
        let all: Vec<&Document> = members.iter().map(|&i| &docs[i]).chain(&stored).collect();
        let public: Vec<&Document> = all
            .iter()
            .copied()
            .filter(|d| d.access == Access::Public)
            .collect();
        let (decide_all, decide_public) = (Versions::of(&all), Versions::of(&public));
        let decided = |d: &Document| -> (Validity, Option<Validity>) {
            let v = decide_all.validity(d);
            let public = (d.access == Access::Public)
                .then(|| decide_public.validity(d))
                .filter(|p| *p != v);
            (v, public)
        };
        for &i in &members {
            (docs[i].validity, docs[i].public_validity) = decided(&docs[i]);
        }
        for mut d in stored {
            let (v, public) = decided(&d);
            if (v, public) != (d.validity, d.public_validity) {
                (d.validity, d.public_validity) = (v, public);
                d.articles = lib.store().articles_of(&d.id)?;
                d.tables = lib.store().tables_of(&d.id)?;
                changed.push(d);
            }
        }
    }
    Ok(changed)
}

/// What the versions of one title say about each of them.
struct Versions {
    /// The newest version date: files of one title with it are in force (several files with the same date
    /// are parts of one law, such as the books of the 民法典); older dates are amended versions.
    newest: Option<crate::model::Date>,
    /// The newest version is expired: every version is repealed.
    newest_expired: bool,
}

impl Versions {
    fn of(versions: &[&Document]) -> Versions {
        let newest = versions.iter().map(|d| d.version_date).max().flatten();
        Versions {
            newest,
            newest_expired: versions
                .iter()
                .any(|d| d.version_date == newest && d.expired),
        }
    }

    /// A version's validity as the national database of laws names it: the newest version is 有效, or 已废止
    /// when it is marked no longer current (no newer text exists); an older version is 已修改 — its own
    /// "no longer current" mark means only that a newer text replaced it — unless the newest is repealed too.
    fn validity(&self, d: &Document) -> Validity {
        if d.validity_pinned {
            d.validity
        } else if self.newest_expired {
            Validity::Repealed
        } else if d.version_date == self.newest && !d.expired {
            Validity::Valid
        } else if d.version_date == self.newest {
            Validity::Repealed
        } else {
            Validity::Amended
        }
    }
}

/// Writes a batch in the crash-safe order: store (pending, with links) → index commit → store (indexed).
/// The caller holds the write gate for the whole batch.
pub(crate) fn commit_batch(
    lib: &Library,
    _writing: &Writing,
    mut docs: Vec<Document>,
) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    let store = lib.store();
    // Access first: the versions' validity for public readers depends on it.
    for d in docs.iter_mut() {
        crate::proposals::refresh_access(lib, d)?;
        if let Some(access) = store.access_override(&d.id)? {
            d.access = access;
        }
    }
    let extra = settle_versions(lib, &mut docs)?;
    docs.extend(extra);
    for d in &docs {
        store.set_state(&d.id, DocState::Pending)?;
        store.put_document(d)?;
        store.put_facts(&crate::budget::facts_of(
            d,
            &d.tables,
            &lib.reference().budget_tables,
        ))?;
        crate::linking::compute_and_store(lib, d)?;
        crate::proposals::note_references(lib, d)?;
    }
    store.flush()?;
    for d in &docs {
        lib.index().put(d, &tags_for(lib, d)?)?;
    }
    lib.index().commit()?;
    for d in &docs {
        store.set_state(&d.id, DocState::Indexed)?;
    }
    store.flush()
}

/// Ingests files and folders. One bad file is reported in the result and skipped; errors of the store or
/// index abort the run (what was committed before stays consistent).
pub fn ingest(
    lib: &Library,
    paths: &[PathBuf],
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<IngestReport> {
    let (inputs, manifests) = collect_inputs(paths)?;
    ingest_inputs(lib, &inputs, &manifests, progress)
}

/// Ingests already collected inputs (see `collect_inputs`).
pub fn ingest_inputs(
    lib: &Library,
    inputs: &[Input],
    manifests: &Manifests,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<IngestReport> {
    let start = Instant::now();
    let mut report = IngestReport {
        files: inputs.len(),
        ..IngestReport::default()
    };
    // Proposal tables (CSV, XLSX, JSON with the proposal columns) become proposals, not documents.
    let (inputs, tables) = crate::proposals::import_tables(lib, inputs);
    let inputs = &inputs[..];
    for (path, outcome) in tables {
        match outcome {
            Ok(r) => {
                match (r.added, r.updated) {
                    (0, 0) => report.unchanged += 1,
                    (0, _) => report.updated += 1,
                    _ => report.added += 1,
                }
                report.proposal_tables.push((
                    path.clone(),
                    TableImport {
                        added: r.added,
                        updated: r.updated,
                        unchanged: r.unchanged,
                        errors: r.errors.len(),
                    },
                ));
                report.failed.extend(r.errors.iter().map(|e| FileFailure {
                    path: format!("{path} 第{}行", e.line),
                    reason: e.reason.clone(),
                }));
            }
            Err(e) => report.failed.push(FileFailure {
                path,
                reason: e.to_string(),
            }),
        }
    }
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    let opts = &lib.config.extract;
    let store = lib.store();
    type Outcome = (usize, u64, Result<Option<(Document, bool)>, ExtractError>);
    let (tx, rx) = mpsc::sync_channel::<Outcome>(64);
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..workers {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    let outcome = (|| -> Result<Option<(Document, bool)>, ExtractError> {
                        let (bytes, hash) = read_input(input, opts)?;
                        let known = store.source(&input.source).ok().flatten();
                        let existed = known.is_some();
                        // Unchanged bytes are skipped, unless the input asks for another access than the
                        // stored document has (the same file uploaded again as 内部).
                        let same_access = |id: &DocId| {
                            input.access.is_none_or(|a| {
                                store
                                    .get_meta(id)
                                    .ok()
                                    .flatten()
                                    .is_some_and(|d| d.access == a)
                            })
                        };
                        if let Some(k) = &known
                            && k.content_hash == hash
                            && store.state(&k.id).ok().flatten() == Some(DocState::Indexed)
                            && same_access(&k.id)
                        {
                            return Ok(None);
                        }
                        let doc = prepare_bytes(input, &bytes, hash, manifests, opts)?;
                        Ok(Some((doc, existed)))
                    })();
                    let size = std::fs::metadata(&input.path).map(|m| m.len()).unwrap_or(0);
                    if tx.send((i, size, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut batch = Vec::new();
        // Content hashes of the documents of this run, for copies within it.
        let mut seen: HashMap<String, (DocId, String)> = HashMap::new();
        // The copies' sources and their documents, recorded once the run's documents are stored.
        let mut aliases: Vec<(String, DocId)> = Vec::new();
        for (k, (i, size, outcome)) in rx.into_iter().enumerate() {
            let done = k + 1;
            report.bytes += size;
            match outcome {
                Ok(None) => report.unchanged += 1,
                Ok(Some((doc, false))) if let Some((of, title)) = copy_of(store, &seen, &doc)? => {
                    aliases.push((inputs[i].source.clone(), of.clone()));
                    report.duplicates.push(Duplicate {
                        path: inputs[i].path.display().to_string(),
                        of,
                        title,
                    });
                }
                Ok(Some((doc, existed))) => {
                    seen.insert(copy_key(&doc), (doc.id.clone(), doc.title.clone()));
                    if existed {
                        report.updated += 1;
                    } else {
                        report.added += 1;
                    }
                    report.articles += doc.articles.len();
                    report.doc_ids.push(doc.id.clone());
                    batch.push(doc);
                }
                Err(e) => report.failed.push(FileFailure {
                    path: inputs[i].path.display().to_string(),
                    reason: e.to_string(),
                }),
            }
            if batch.len() >= lib.config.batch_docs {
                commit_batch(lib, &lib.writing(), std::mem::take(&mut batch))?;
            }
            progress(Progress {
                done,
                total: inputs.len(),
                bytes: report.bytes,
                elapsed: start.elapsed(),
            });
        }
        commit_batch(lib, &lib.writing(), batch)?;
        // The copies become sources of their documents, now that every document of the run is stored.
        if !aliases.is_empty() {
            let _writing = lib.writing();
            for (source, of) in &aliases {
                store.add_source_alias(source, of)?;
            }
            store.flush()?;
        }
        Ok(())
    })?;
    report.failed.sort_by(|a, b| a.path.cmp(&b.path));
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// What makes two files one document: the same bytes, read as the same title, kind and dates (a manifest or
/// sidecar may give the same text another version date: then it is another version, not a copy).
fn copy_key(doc: &Document) -> String {
    format!(
        "{}|{}|{}|{:?}|{:?}",
        doc.content_hash,
        doc.title,
        doc.kind.label(),
        doc.version_date,
        doc.published
    )
}

/// The document a newly read file is a copy of (the same bytes and metadata under another source), stored or
/// earlier in this run, with its title.
fn copy_of(
    store: &crate::store::Store,
    seen: &HashMap<String, (DocId, String)>,
    doc: &Document,
) -> Result<Option<(DocId, String)>> {
    if let Some((id, title)) = seen.get(&copy_key(doc)) {
        return Ok((*id != doc.id).then(|| (id.clone(), title.clone())));
    }
    Ok(store
        .doc_with_hash(&doc.content_hash)?
        .filter(|d| d.id != doc.id && copy_key(d) == copy_key(doc))
        .map(|d| (d.id, d.title)))
}

/// What an import of a proposal table did (for the task that carried it).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableImport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: usize,
}

/// Removes documents by id, in the crash-safe order, and lets an earlier version of a law come back into
/// force.
pub fn remove(lib: &Library, ids: &[DocId]) -> Result<usize> {
    let writing = lib.writing();
    let store = lib.store();
    let mut docs = Vec::new();
    for id in ids {
        if let Some(d) = store.get_meta(id)? {
            store.set_state(id, DocState::Removing)?;
            docs.push(d);
        }
    }
    store.flush()?;
    for d in &docs {
        lib.index().delete(&d.id)?;
    }
    lib.index().commit()?;
    let mut titles = BTreeSet::new();
    for d in &docs {
        store.delete_document(&d.id)?;
        if d.kind.is_regulation() {
            titles.insert(d.title.clone());
        }
    }
    store.flush()?;
    // Re-settle the remaining versions of the affected laws.
    let mut rest = Vec::new();
    for t in titles {
        if let Some(id) = store.ids_with_title(&t)?.into_iter().next()
            && let Some(d) = store.get_document(&id)?
        {
            rest.push(d);
        }
    }
    commit_batch(lib, &writing, rest)?;
    Ok(docs.len())
}

/// Sets who may read a document, as a stored decision that survives re-ingest and relinking, and rewrites
/// the document in the crash-safe order (store pending → index commit → store indexed). Returns `false` when
/// there is no such document.
pub fn set_access(lib: &Library, id: &DocId, access: Access) -> Result<bool> {
    let _writing = lib.writing();
    let store = lib.store();
    let Some(mut doc) = store.get_document(id)? else {
        return Ok(false);
    };
    store.put_access_override(id, access)?;
    doc.access = access;
    // The other versions of a law may change validity for public readers.
    let mut docs = vec![doc];
    let others = settle_versions(lib, &mut docs)?;
    docs.extend(others);
    for d in &docs {
        store.set_state(&d.id, DocState::Pending)?;
        store.put_document(d)?;
    }
    store.flush()?;
    for d in &docs {
        lib.index().put(d, &tags_for(lib, d)?)?;
    }
    lib.index().commit()?;
    for d in &docs {
        store.set_state(&d.id, DocState::Indexed)?;
    }
    store.flush()?;
    Ok(true)
}

/// Finds the documents ingested from a path (a file or everything under a folder), or with that id.
pub fn resolve_targets(lib: &Library, target: &str) -> Result<Vec<DocId>> {
    if lib.store().get_meta(&DocId(target.to_string()))?.is_some() {
        return Ok(vec![DocId(target.to_string())]);
    }
    let path = std::fs::canonicalize(target)
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_else(|_| {
            std::path::absolute(target)
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_else(|_| target.to_string())
        });
    let mut ids: Vec<DocId> = lib
        .store()
        .sources_under(&path)?
        .into_iter()
        .filter(|(source, _)| {
            source == &path
                || source
                    .strip_prefix(&path)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|(_, id)| id)
        .collect();
    ids.dedup();
    Ok(ids)
}

/// Repairs an interrupted run: finishes removals, re-indexes pending documents, and removes index units
/// whose document the store does not have (and indexes stored documents the index lacks). Returns the ids
/// of the documents indexed again from the store (those an interrupted batch left behind).
pub fn reconcile(lib: &Library) -> Result<Vec<DocId>> {
    let _writing = lib.writing();
    let store = lib.store();
    let removing = store.ids_in_state(DocState::Removing)?;
    let pending = store.ids_in_state(DocState::Pending)?;
    let indexed_ids = lib.index().doc_ids()?;
    let stored: BTreeSet<DocId> = store.doc_ids()?.into_iter().collect();
    let orphans: Vec<&DocId> = indexed_ids
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    let missing: Vec<DocId> = stored
        .iter()
        .filter(|id| !indexed_ids.contains(*id) && !pending.contains(id) && !removing.contains(id))
        .cloned()
        .collect();
    // Every document reaches the index only after the store holds it (flushed, marked pending), and leaves
    // the store only after the index let it go: a document the index has and the store has no trace of means
    // the store lost data. Deleting it from the index too would erase the last record of what was lost.
    if let Some(first) = orphans.first() {
        return Err(Error::StoreLost {
            missing: orphans.len(),
            example: first.as_str().to_string(),
        });
    }
    if removing.is_empty() && pending.is_empty() && missing.is_empty() {
        return Ok(Vec::new());
    }
    let mut repaired = 0;
    for id in &removing {
        lib.index().delete(id)?;
        repaired += 1;
    }
    let mut reput = Vec::new();
    let mut vanished = Vec::new();
    for id in pending.iter().chain(missing.iter()) {
        if let Some(mut d) = store.get_document(id)? {
            // A document stored before access was recorded gets it now, in the store as in the index.
            let before = (d.access, d.owners.clone());
            crate::proposals::refresh_access(lib, &mut d)?;
            if let Some(access) = store.access_override(id)? {
                d.access = access;
            }
            if (d.access, d.owners.clone()) != before {
                store.put_document(&d)?;
                store.flush()?;
            }
            lib.index().put(&d, &tags_for(lib, &d)?)?;
            reput.push(d.id);
        } else {
            // Marked pending but never written: nothing of it may stay in the index.
            lib.index().delete(id)?;
            vanished.push(id.clone());
        }
    }
    lib.index().commit()?;
    for id in removing.iter().chain(vanished.iter()) {
        store.delete_document(id)?;
    }
    for id in &reput {
        store.set_state(id, DocState::Indexed)?;
        repaired += 1;
    }
    store.flush()?;
    tracing::info!(repaired, "reconciled store and index");
    Ok(reput)
}
