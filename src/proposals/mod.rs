//! Deputy proposals (代表建议): records with a typed history, imported from tables, indexed as documents,
//! listed and counted for supervision, and compared with earlier proposals on the same issue.
//!
//! Data flow: `import` parses a table into proposals and events (pure); `import_bytes` writes them to the
//! store and indexes each proposal as a document of kind 代表建议 through `pipeline::commit_batch`, so search,
//! facets and linking apply. Reply documents that name 第N号建议 are noted at ingest (`note_references`) and
//! found again by number and session. Lists, the dashboard and similarity read an in-memory `Snapshot`
//! that is rebuilt after imports and patched after events.

pub mod bench;
pub mod export;
pub mod generate;
pub mod import;
pub mod lifecycle;
pub mod model;
pub mod similar;

use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Access, Date, DocId, DocKind, Document, Format, Scope, Validity};
use import::{RowError, TableFormat};
use lifecycle::State;
use model::{
    Event, Grade, Proposal, ProposalId, ProposalNumber, ProposalType, ReplyRef, Satisfaction,
    Session, Status,
};
use serde::Serialize;
use similar::{Item, SimIndex};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Rows per durable batch (one index commit and one flush) when importing proposals.
const IMPORT_BATCH: usize = 2000;

/// A proposal as lists and counts need it: its record, its derived state and its topics.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: ProposalId,
    pub number: ProposalNumber,
    pub session: String,
    #[serde(skip)]
    pub session_order: (u32, u32),
    pub year: i32,
    pub kind: ProposalType,
    pub title: String,
    pub lead: String,
    pub delegation: String,
    pub category: String,
    pub lead_unit: String,
    pub co_units: Vec<String>,
    pub key_supervision: bool,
    pub public: bool,
    /// The lead and co-signers, who may read it when it is not public.
    #[serde(skip)]
    pub owners: Vec<String>,
    pub generated: bool,
    pub doc_id: DocId,
    pub status: Status,
    pub assigned: Option<Date>,
    pub deadline: Option<Date>,
    pub extended: bool,
    pub replied: Option<Date>,
    pub grade: Option<Grade>,
    pub satisfaction: Option<Satisfaction>,
    pub topics: Vec<String>,
    /// Set by lists for their `today`.
    pub overdue: bool,
    pub due_soon: bool,
}

impl Summary {
    fn new(p: &Proposal, state: &State, topics: Vec<String>) -> Summary {
        Summary {
            id: p.id.clone(),
            number: p.number,
            session: p.session.name.clone(),
            session_order: p.session.order(),
            year: p.year,
            kind: p.kind,
            title: p.title.clone(),
            lead: p.lead.clone(),
            delegation: p.delegation.clone(),
            category: p.category.clone(),
            lead_unit: p.lead_unit.clone(),
            co_units: p.co_units.clone(),
            key_supervision: p.key_supervision,
            public: p.public,
            owners: proposal_owners(p),
            generated: p.is_generated(),
            doc_id: p.doc_id.clone(),
            status: state.status,
            assigned: state.assigned,
            deadline: state.deadline,
            extended: state.extended,
            replied: state.replied,
            grade: state.grade,
            satisfaction: state.satisfaction,
            topics,
            overdue: false,
            due_soon: false,
        }
    }

    /// Whether the proposal is visible in a reader's scope.
    pub fn visible(&self, scope: &Scope) -> bool {
        scope.allows(access_of(self.public), &self.owners)
    }

    fn state(&self) -> State {
        State {
            status: self.status,
            assigned: self.assigned,
            deadline: self.deadline,
            extended: self.extended,
            replied: self.replied,
            grade: self.grade,
            satisfaction: self.satisfaction,
            reopened: 0,
            last: None,
        }
    }

    fn at(mut self, today: Date) -> Summary {
        let s = self.state();
        self.overdue = s.overdue(today);
        self.due_soon = s.due_soon(today);
        self
    }
}

/// Everything lists, counts and similarity read, built from the store once and kept in memory.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub items: Vec<Summary>,
    slots: HashMap<ProposalId, usize>,
    sim: Arc<SimIndex>,
}

/// The library's cached snapshot; emptied by imports, patched by events.
#[derive(Debug, Default)]
pub struct Cache(Mutex<Option<Arc<Snapshot>>>);

impl Cache {
    fn clear(&self) {
        if let Ok(mut g) = self.0.lock() {
            *g = None;
        }
    }
}

/// The topics a proposal's document is linked to (kept links after decisions).
fn topics_of(lib: &Library, doc: &DocId) -> Result<Vec<String>> {
    Ok(match lib.store().get_links(doc)? {
        Some(links) => links
            .topics
            .into_iter()
            .filter(|t| t.kept)
            .map(|t| t.name)
            .collect(),
        None => Vec::new(),
    })
}

/// The current snapshot (built on first use after a change).
pub fn snapshot(lib: &Library) -> Result<Arc<Snapshot>> {
    let cache = lib.proposal_cache();
    let mut guard = cache
        .0
        .lock()
        .map_err(|_| Error::Invalid("the proposal cache was poisoned".into()))?;
    if let Some(s) = guard.as_ref() {
        return Ok(s.clone());
    }
    let proposals = lib.store().all_proposals()?;
    let mut events = lib.store().all_events()?;
    let mut items = Vec::with_capacity(proposals.len());
    let mut sim_items = Vec::with_capacity(proposals.len());
    for p in &proposals {
        let evs = events.remove(&p.id).unwrap_or_default();
        let state = lifecycle::derive(&evs, p.deadline)
            .unwrap_or_else(|(i, _)| lifecycle::derive(&evs[..i], p.deadline).unwrap_or_default());
        let topics = topics_of(lib, &p.doc_id)?;
        sim_items.push(Item {
            id: p.id.clone(),
            title: p.title.clone(),
            text: p.text.clone(),
            topics: topics.clone(),
        });
        items.push(Summary::new(p, &state, topics));
    }
    let sim = Arc::new(SimIndex::build(lib.index().analyzer(), &sim_items));
    let slots = items
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();
    let snap = Arc::new(Snapshot { items, slots, sim });
    *guard = Some(snap.clone());
    Ok(snap)
}

/// Replaces one summary in the cached snapshot (after an event); the similarity index is shared.
fn patch_snapshot(lib: &Library, summary: Summary) {
    let Ok(mut guard) = lib.proposal_cache().0.lock() else {
        return;
    };
    let Some(snap) = guard.as_ref() else { return };
    let Some(&i) = snap.slots.get(&summary.id) else {
        *guard = None;
        return;
    };
    let mut items = snap.items.clone();
    items[i] = summary;
    *guard = Some(Arc::new(Snapshot {
        items,
        slots: snap.slots.clone(),
        sim: snap.sim.clone(),
    }));
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub rows: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The proposals an import changed that were there before (the first `REPLACED_LISTED`), so that the
    /// reader sees what was replaced.
    pub replaced: Vec<ProposalId>,
    pub errors: Vec<RowError>,
    pub seconds: f64,
}

/// Replaced proposals named in an import's report.
pub const REPLACED_LISTED: usize = 200;

/// The document id of a proposal.
pub fn doc_id_of(id: &ProposalId) -> DocId {
    DocId::from_source(&doc_source(id))
}

fn doc_source(id: &ProposalId) -> String {
    format!("proposal:{id}")
}

/// The access of a proposal: public ones may be read by anyone, the others by staff and their authors.
pub fn access_of(public: bool) -> Access {
    if public {
        Access::Public
    } else {
        Access::Restricted
    }
}

/// Whether a proposal is visible in a reader's scope.
pub fn visible(p: &Proposal, scope: &Scope) -> bool {
    scope.allows(access_of(p.public), &proposal_owners(p))
}

/// The deputies who may read a proposal that is not public: its lead and its co-signers.
pub fn proposal_owners(p: &Proposal) -> Vec<String> {
    std::iter::once(p.lead.clone())
        .chain(p.co_signers.iter().cloned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Gives a proposal's document the access of its proposal record (public or not, its authors as owners),
/// so that a document stored before access was recorded is indexed with it. Other documents are left alone.
pub fn refresh_access(lib: &Library, doc: &mut Document) -> Result<()> {
    if doc.kind != DocKind::Proposal {
        return Ok(());
    }
    let Some(id) = doc.source.strip_prefix("proposal:") else {
        return Ok(());
    };
    if let Some(p) = lib.store().get_proposal(&ProposalId(id.to_string()))? {
        doc.access = access_of(p.public);
        doc.owners = proposal_owners(&p);
    }
    Ok(())
}

/// The searchable document of a proposal: kind 代表建议, body = title + text.
pub fn document_of(p: &Proposal, format: Format, assigned: Option<Date>) -> Document {
    let body = format!("{}\n{}", p.title, p.text);
    let hash = blake3::hash(
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            body,
            p.year,
            p.lead,
            p.session.name,
            p.number,
            p.public,
            p.co_signers.join("、")
        )
        .as_bytes(),
    );
    Document {
        id: p.doc_id.clone(),
        source: doc_source(&p.id),
        content_hash: hash.to_hex().to_string(),
        format,
        kind: DocKind::Proposal,
        level: None,
        title: p.title.clone(),
        issuer: Some(p.lead.clone()).filter(|s| !s.is_empty()),
        doc_number: Some(format!("{}{}", p.session.name, p.number)),
        published: assigned,
        effective: None,
        version_date: None,
        region: None,
        year: Some(p.year),
        validity: Validity::Valid,
        public_validity: None,
        validity_pinned: false,
        expired: false,
        history: Vec::new(),
        size: body.len() as u64,
        access: access_of(p.public),
        owners: proposal_owners(p),
        tables: Vec::new(),
        body,
        also_sources: Vec::new(),
        body_cut_from: None,
        outline: Vec::new(),
        articles: Vec::new(),
    }
}

/// Imports a proposal table file (CSV, XLSX or JSON by extension).
pub fn import_file(lib: &Library, path: &Path) -> Result<ImportReport> {
    import_file_with_progress(lib, path, &|_| {})
}

/// Imports a proposal table file, reporting after each durable batch (see `import_bytes_with_progress`).
pub fn import_file_with_progress(
    lib: &Library,
    path: &Path,
    progress: &dyn Fn(ImportProgress),
) -> Result<ImportReport> {
    let format = TableFormat::of(path).ok_or_else(|| {
        Error::Invalid(format!(
            "{}: proposal tables are CSV, XLSX or JSON",
            path.display()
        ))
    })?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    import_bytes_with_progress(lib, &name, format, &bytes, progress)
}

/// How far an import is: the first `durable` valid rows of the table (in file order) are stored, indexed
/// and flushed; a crash from now on loses none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    pub durable: usize,
    pub total: usize,
}

/// Imports a table: valid rows are written (idempotently, by session and number), invalid rows reported.
pub fn import_bytes(
    lib: &Library,
    name: &str,
    format: TableFormat,
    bytes: &[u8],
) -> Result<ImportReport> {
    import_bytes_with_progress(lib, name, format, bytes, &|_| {})
}

/// A row ready to be written: its record, its events and, when its text changed, its document.
struct RowWrite {
    proposal: Proposal,
    events: Vec<Event>,
    doc: Option<Document>,
}

/// Writes one batch of rows in the crash-safe order: their documents through `commit_batch` (store pending
/// → index commit → store indexed), then the proposal records and events, flushed. A proposal record is
/// therefore never stored without its searchable document.
fn write_rows(lib: &Library, mut rows: Vec<RowWrite>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let writing = lib.writing();
    let docs = rows.iter_mut().filter_map(|r| r.doc.take()).collect();
    crate::pipeline::commit_batch(lib, &writing, docs)?;
    for r in &rows {
        lib.store().put_proposal(&r.proposal)?;
        lib.store().set_events(&r.proposal.id, &r.events)?;
    }
    lib.store().flush()
}

/// Imports a table in batches of `IMPORT_BATCH` rows; after each batch is durable, `progress` is called.
pub fn import_bytes_with_progress(
    lib: &Library,
    name: &str,
    format: TableFormat,
    bytes: &[u8],
    progress: &dyn Fn(ImportProgress),
) -> Result<ImportReport> {
    let start = std::time::Instant::now();
    let parsed = import::parse(format, bytes, name, &doc_id_of)
        .map_err(|e| Error::Invalid(format!("{name}: {e}")))?;
    let mut report = ImportReport {
        file: name.to_string(),
        rows: parsed.rows.len() + parsed.errors.len(),
        errors: parsed.errors,
        ..ImportReport::default()
    };
    let doc_format = match format {
        TableFormat::Csv => Format::Csv,
        TableFormat::Xlsx => Format::Xlsx,
        TableFormat::Json => Format::Text,
    };
    let store = lib.store();
    let total = parsed.rows.len();
    let mut batch = Vec::new();
    let mut changed = false;
    for (done, row) in parsed.rows.into_iter().enumerate() {
        let id = row.proposal.id.clone();
        let old = store.get_proposal(&id)?;
        // Generated test data never replaces a real proposal that has the same session and number.
        if let Some(o) = &old
            && !o.is_generated()
            && row.proposal.is_generated()
        {
            report.errors.push(RowError {
                line: row.line,
                reason: format!(
                    "{}第{}号已有真实记录，生成数据不会覆盖它",
                    o.session.name, o.number
                ),
            });
            continue;
        }
        let old_events = store.events_of(&id)?;
        let events = if old_events.iter().all(|e| e.actor == import::IMPORT_ACTOR) {
            row.events
        } else {
            // Events recorded by people stay; the row adds what they lack.
            let mut merged = old_events.clone();
            for e in row.events {
                if !merged.iter().any(|m| m.kind == e.kind && m.date == e.date) {
                    merged.push(e);
                }
            }
            merged.sort_by_key(|e| e.date);
            if let Err((_, r)) = lifecycle::derive(&merged, row.proposal.deadline) {
                report.errors.push(RowError {
                    line: row.line,
                    reason: format!("与已记录的办理事件冲突：{r}"),
                });
                continue;
            }
            merged
        };
        let same = old.as_ref().is_some_and(|o| {
            let mut o = o.clone();
            o.source = row.proposal.source.clone();
            o == row.proposal
        });
        // The record alone is not enough: its document must be stored too (it always is when the record
        // was written by this version; an older import may have stopped between the two).
        let doc_stored = store.get_meta(&row.proposal.doc_id)?.is_some();
        if same && events == old_events && doc_stored {
            report.unchanged += 1;
        } else {
            if old.is_some() {
                report.updated += 1;
                if report.replaced.len() < REPLACED_LISTED {
                    report.replaced.push(id.clone());
                }
            } else {
                report.added += 1;
            }
            changed = true;
            let state = lifecycle::derive(&events, row.proposal.deadline).unwrap_or_default();
            let doc = (!same || !doc_stored)
                .then(|| document_of(&row.proposal, doc_format, state.assigned));
            batch.push(RowWrite {
                proposal: row.proposal,
                events,
                doc,
            });
        }
        if (done + 1) % IMPORT_BATCH == 0 {
            write_rows(lib, std::mem::take(&mut batch))?;
            progress(ImportProgress {
                durable: done + 1,
                total,
            });
        }
    }
    write_rows(lib, batch)?;
    progress(ImportProgress {
        durable: total,
        total,
    });
    report.errors.sort_by_key(|e| e.line);
    if changed {
        lib.proposal_cache().clear();
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// Removes proposal documents whose record was never written (an import stopped between the two; the next
/// import writes both again), so that every proposal document has its record. Run when a library opens,
/// with the documents the store reconciliation indexed again (an unflushed batch may have left a document
/// without its source entry, so the source scan alone could miss it).
pub fn reconcile(lib: &Library, reindexed: &[DocId]) -> Result<usize> {
    let prefix = doc_source(&ProposalId(String::new()));
    let mut candidates: BTreeMap<DocId, String> = lib
        .store()
        .sources_under(&prefix)?
        .into_iter()
        .map(|(source, doc)| (doc, source))
        .collect();
    for id in reindexed {
        if let Some(d) = lib.store().get_meta(id)?
            && d.kind == DocKind::Proposal
            && d.source.starts_with(&prefix)
        {
            candidates.insert(d.id, d.source);
        }
    }
    let mut orphans = Vec::new();
    for (doc, source) in candidates {
        let id = ProposalId(source[prefix.len()..].to_string());
        if lib.store().get_proposal(&id)?.is_none() {
            orphans.push(doc);
        }
    }
    if orphans.is_empty() {
        return Ok(0);
    }
    tracing::info!(
        count = orphans.len(),
        "removing proposal documents without a record"
    );
    crate::pipeline::remove(lib, &orphans)
}

/// Removes proposals: their records and events first (flushed), then their documents. A run stopped between
/// the two leaves documents without records, which the next open removes (`reconcile`). Returns how many
/// records were removed.
pub fn remove(lib: &Library, ids: &[ProposalId]) -> Result<usize> {
    let mut docs = Vec::new();
    {
        let _writing = lib.writing();
        for id in ids {
            if let Some(p) = lib.store().get_proposal(id)? {
                lib.store().delete_proposal(id)?;
                docs.push(p.doc_id);
            }
        }
        lib.store().flush()?;
    }
    lib.proposal_cache().clear();
    crate::pipeline::remove(lib, &docs)?;
    Ok(docs.len())
}

/// The proposals a table file defines that are stored as it has them (same title and text): those a later
/// import of other data has not replaced.
pub fn defined_by(lib: &Library, path: &std::path::Path) -> Result<Vec<ProposalId>> {
    let Some(format) = TableFormat::of(path) else {
        return Ok(Vec::new());
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if !import::is_proposal_table(path, &bytes) {
        return Ok(Vec::new());
    }
    let Ok(parsed) = import::parse(format, &bytes, "", &doc_id_of) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in parsed.rows {
        if let Some(p) = lib.store().get_proposal(&row.proposal.id)?
            && p.title == row.proposal.title
            && p.text == row.proposal.text
        {
            out.push(p.id);
        }
    }
    Ok(out)
}

/// Creates or updates one proposal from an object with the import's Chinese keys (as `POST
/// /api/proposals` receives it). A refused row is an `Invalid` error with its reason.
pub fn create(lib: &Library, record: &serde_json::Value) -> Result<ProposalId> {
    let body = serde_json::to_vec(&[record])
        .map_err(|e| Error::Invalid(format!("cannot read the record: {e}")))?;
    let parsed = import::parse(TableFormat::Json, &body, "API", &doc_id_of)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    if let Some(e) = parsed.errors.first() {
        return Err(Error::Invalid(e.reason.clone()));
    }
    let Some(row) = parsed.rows.first() else {
        return Err(Error::Invalid("no proposal in the request".into()));
    };
    let id = row.proposal.id.clone();
    let report = import_bytes(lib, "API", TableFormat::Json, &body)?;
    if let Some(e) = report.errors.first() {
        return Err(Error::Invalid(e.reason.clone()));
    }
    Ok(id)
}

/// Records an event after checking it against the lifecycle; a refusal is an `Invalid` error with the
/// reason. Returns the new state.
pub fn record_event(lib: &Library, id: &ProposalId, event: Event) -> Result<State> {
    let writing = lib.writing();
    let Some(p) = lib.store().get_proposal(id)? else {
        return Err(Error::NotFound(format!("proposal {id}")));
    };
    let events = lib.store().events_of(id)?;
    let state = lifecycle::derive(&events, p.deadline).map_err(|(i, r)| Error::Corrupt {
        key: format!("proposal {id} event {i}"),
        reason: r.to_string(),
    })?;
    let next = state
        .apply(&event, p.deadline)
        .map_err(|r| Error::Invalid(r.to_string()))?;
    lib.store().push_event(id, &event)?;
    lib.store().flush()?;
    drop(writing);
    let topics = topics_of(lib, &p.doc_id)?;
    patch_snapshot(lib, Summary::new(&p, &next, topics));
    Ok(next)
}

/// Finds proposals by id (`16-3-1005`), number (`1005`, `第1005号`) or `<session> <number>`; newest session
/// first.
pub fn resolve(lib: &Library, key: &str) -> Result<Vec<ProposalId>> {
    let key = key.trim();
    if lib
        .store()
        .get_proposal(&ProposalId(key.to_string()))?
        .is_some()
    {
        return Ok(vec![ProposalId(key.to_string())]);
    }
    let (session, number) = match key.rsplit_once(char::is_whitespace) {
        Some((s, n)) => (Some(Session::parse(s)), n),
        None => (None, key),
    };
    let Some(number) = ProposalNumber::parse(number) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for id in lib.store().proposals_with_number(number)? {
        if let Some(p) = lib.store().get_proposal(&id)?
            && session.as_ref().is_none_or(|s| s.same(&p.session))
        {
            found.push(p);
        }
    }
    found.sort_by_key(|p| std::cmp::Reverse(p.session.order()));
    Ok(found.into_iter().map(|p| p.id).collect())
}

/// Filters of the proposal list; empty fields do not restrict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub session: Option<String>,
    pub year: Option<i32>,
    pub kind: Option<ProposalType>,
    pub status: Option<Status>,
    /// A lead or co-handling unit.
    pub unit: Option<String>,
    pub delegation: Option<String>,
    pub category: Option<String>,
    pub grade: Option<Grade>,
    pub satisfaction: Option<Satisfaction>,
    pub topic: Option<String>,
    /// A deputy who leads or co-signed it (我的建议).
    pub deputy: Option<String>,
    pub overdue: bool,
    pub due_soon: bool,
    pub key_supervision: bool,
    /// Words in the title.
    pub q: Option<String>,
    pub offset: usize,
    pub limit: usize,
    /// What the reader may see; lists and counts are computed inside it. The default is the narrowest.
    pub scope: Scope,
}

/// Counts of one dimension, largest first.
pub type Counts = Vec<(String, usize)>;

/// A page of the list with the counts of the filtered set.
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    pub total: usize,
    pub offset: usize,
    pub items: Vec<Summary>,
    pub counts: ListCounts,
}

/// Counts of the filtered set per dimension (for facets).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ListCounts {
    pub status: Counts,
    pub session: Counts,
    pub year: Counts,
    pub kind: Counts,
    pub unit: Counts,
    pub delegation: Counts,
    pub category: Counts,
    pub grade: Counts,
    pub satisfaction: Counts,
    pub topic: Counts,
    pub overdue: usize,
    pub due_soon: usize,
    pub key_supervision: usize,
}

fn counted<K: ToString>(map: impl IntoIterator<Item = (K, usize)>) -> Counts {
    let mut v: Counts = map.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

impl ListFilter {
    /// The session filter read once (numbers compare, whatever the spelling).
    fn session_order(&self) -> Option<Option<(u32, u32)>> {
        self.session.as_ref().map(|x| {
            let s = Session::parse(x);
            s.term.map(|_| s.order())
        })
    }

    fn accepts(&self, s: &Summary, today: Date, session: Option<Option<(u32, u32)>>) -> bool {
        let st = s.state();
        s.visible(&self.scope)
            && self.session.as_ref().is_none_or(|x| {
                s.session == *x || session.flatten().is_some_and(|o| o == s.session_order)
            })
            && self.year.is_none_or(|y| s.year == y)
            && self.kind.is_none_or(|k| s.kind == k)
            && self.status.is_none_or(|x| s.status == x)
            && self
                .unit
                .as_ref()
                .is_none_or(|u| s.lead_unit == *u || s.co_units.contains(u))
            && self.delegation.as_ref().is_none_or(|d| s.delegation == *d)
            && self.category.as_ref().is_none_or(|c| s.category == *c)
            && self.grade.is_none_or(|g| s.grade == Some(g))
            && self.satisfaction.is_none_or(|x| s.satisfaction == Some(x))
            && self.topic.as_ref().is_none_or(|t| s.topics.contains(t))
            && self.deputy.as_ref().is_none_or(|d| s.owners.contains(d))
            && (!self.overdue || st.overdue(today))
            && (!self.due_soon || st.due_soon(today))
            && (!self.key_supervision || s.key_supervision)
            && self.q.as_ref().is_none_or(|q| {
                q.split_whitespace()
                    .all(|w| s.title.contains(w) || s.lead.contains(w))
            })
    }
}

/// Every proposal the filter accepts, newest session first, then by number.
pub fn filtered(lib: &Library, filter: &ListFilter, today: Date) -> Result<Vec<Summary>> {
    let snap = snapshot(lib)?;
    let session = filter.session_order();
    let mut out: Vec<Summary> = snap
        .items
        .iter()
        .filter(|s| filter.accepts(s, today, session))
        .map(|s| s.clone().at(today))
        .collect();
    out.sort_by(|a, b| {
        b.session_order
            .cmp(&a.session_order)
            .then(a.number.cmp(&b.number))
    });
    Ok(out)
}

/// A page of the filtered list with counts per dimension. `today` decides what is overdue.
pub fn list(lib: &Library, filter: &ListFilter, today: Date) -> Result<ListPage> {
    let snap = snapshot(lib)?;
    let mut counts: [HashMap<&str, usize>; 9] = Default::default();
    let mut years: HashMap<i32, usize> = HashMap::new();
    let mut c = ListCounts::default();
    let mut matched: Vec<&Summary> = Vec::new();
    let session = filter.session_order();
    for s in snap
        .items
        .iter()
        .filter(|s| filter.accepts(s, today, session))
    {
        let st = s.state();
        *counts[0].entry(s.status.label()).or_default() += 1;
        *counts[1].entry(&s.session).or_default() += 1;
        *years.entry(s.year).or_default() += 1;
        *counts[2].entry(s.kind.label()).or_default() += 1;
        *counts[3].entry(&s.lead_unit).or_default() += 1;
        *counts[4].entry(&s.delegation).or_default() += 1;
        *counts[5].entry(&s.category).or_default() += 1;
        if let Some(g) = s.grade {
            *counts[6].entry(g.label()).or_default() += 1;
        }
        if let Some(x) = s.satisfaction {
            *counts[7].entry(x.label()).or_default() += 1;
        }
        for t in &s.topics {
            *counts[8].entry(t).or_default() += 1;
        }
        c.overdue += st.overdue(today) as usize;
        c.due_soon += st.due_soon(today) as usize;
        c.key_supervision += s.key_supervision as usize;
        matched.push(s);
    }
    let [
        status,
        session,
        kind,
        unit,
        delegation,
        category,
        grade,
        satisfaction,
        topic,
    ] = counts;
    c.status = counted(status);
    c.session = counted(session);
    c.year = counted(years.into_iter().map(|(y, n)| (y.to_string(), n)));
    c.kind = counted(kind);
    c.unit = counted(unit);
    c.delegation = counted(delegation);
    c.category = counted(category);
    c.grade = counted(grade);
    c.satisfaction = counted(satisfaction);
    c.topic = counted(topic);
    c.unit.retain(|(k, _)| !k.is_empty());
    c.delegation.retain(|(k, _)| !k.is_empty());
    c.category.retain(|(k, _)| !k.is_empty());
    let total = matched.len();
    let limit = if filter.limit == 0 { 50 } else { filter.limit };
    let page: Vec<Summary> = if filter.offset == 0 && limit < total {
        // Partial selection of the first page instead of sorting everything.
        let key = |s: &&Summary| (std::cmp::Reverse(s.session_order), s.number);
        matched.select_nth_unstable_by_key(limit, key);
        matched.truncate(limit);
        matched.sort_by_key(key);
        matched.into_iter().map(|s| s.clone().at(today)).collect()
    } else {
        matched.sort_by_key(|s| (std::cmp::Reverse(s.session_order), s.number));
        matched
            .into_iter()
            .skip(filter.offset)
            .take(limit)
            .map(|s| s.clone().at(today))
            .collect()
    };
    Ok(ListPage {
        total,
        offset: filter.offset,
        items: page,
        counts: c,
    })
}

/// The dashboard: totals by status, unit, topic and session, with overdue and due-soon warnings.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub today: Date,
    pub total: usize,
    pub by_status: Counts,
    pub by_unit: Counts,
    pub by_topic: Counts,
    pub by_session: Counts,
    pub by_grade: Counts,
    pub by_satisfaction: Counts,
    pub overdue_count: usize,
    pub due_soon_count: usize,
    pub unsatisfied_count: usize,
    pub key_open_count: usize,
    /// The most overdue proposals (earliest deadline first), at most 20.
    pub overdue: Vec<Summary>,
    /// Proposals due within 14 days (earliest deadline first), at most 20.
    pub due_soon: Vec<Summary>,
}

/// The dashboard of the proposals visible in `scope`.
pub fn dashboard(lib: &Library, today: Date, scope: &Scope) -> Result<Dashboard> {
    let page = list(
        lib,
        &ListFilter {
            limit: 1,
            scope: scope.clone(),
            ..ListFilter::default()
        },
        today,
    )?;
    let snap = snapshot(lib)?;
    let mut overdue: Vec<&Summary> = Vec::new();
    let mut due_soon: Vec<&Summary> = Vec::new();
    let mut key_open = 0;
    for s in snap.items.iter().filter(|s| s.visible(scope)) {
        let st = s.state();
        if st.overdue(today) {
            overdue.push(s);
        } else if st.due_soon(today) {
            due_soon.push(s);
        }
        key_open += (s.key_supervision && st.open()) as usize;
    }
    let (overdue_count, due_soon_count) = (overdue.len(), due_soon.len());
    let top = |mut v: Vec<&Summary>| -> Vec<Summary> {
        v.sort_by_key(|s| (s.deadline, s.number));
        v.into_iter()
            .take(20)
            .map(|s| s.clone().at(today))
            .collect()
    };
    let c = page.counts;
    let unsatisfied_count = c
        .satisfaction
        .iter()
        .find(|(k, _)| k == Satisfaction::Unsatisfied.label())
        .map(|(_, n)| *n)
        .unwrap_or(0);
    let mut by_session = c.session;
    by_session.sort_by_key(|(name, _)| std::cmp::Reverse(Session::parse(name).order()));
    Ok(Dashboard {
        today,
        total: page.total,
        by_status: Status::ALL
            .iter()
            .map(|s| {
                let n = c
                    .status
                    .iter()
                    .find(|(k, _)| k == s.label())
                    .map(|(_, n)| *n);
                (s.label().to_string(), n.unwrap_or(0))
            })
            .collect(),
        by_unit: c.unit.into_iter().take(20).collect(),
        by_topic: c.topic,
        by_session,
        by_grade: c.grade,
        by_satisfaction: c.satisfaction,
        overdue_count,
        due_soon_count,
        unsatisfied_count,
        key_open_count: key_open,
        overdue: top(overdue),
        due_soon: top(due_soon),
    })
}

/// A proposal similar to another, with what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarProposal {
    pub id: ProposalId,
    pub number: ProposalNumber,
    pub session: String,
    pub year: i32,
    pub title: String,
    pub score: f32,
    pub reason: String,
    pub shared_terms: Vec<String>,
    pub status: Status,
    pub grade: Option<Grade>,
    pub satisfaction: Option<Satisfaction>,
    /// The latest reply text, if any.
    pub reply: Option<String>,
    pub earlier: bool,
}

/// Similar proposals and whether the issue keeps coming back.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarReport {
    pub id: ProposalId,
    pub items: Vec<SimilarProposal>,
    /// How many times the issue was raised up to this proposal's session (this one included).
    pub times_raised: usize,
    /// Raised three or more times without an A grade.
    pub repeated_without_a: bool,
}

/// The proposals most similar to `id` (score ≥ `SAME_ISSUE`), earlier sessions first in importance; only
/// proposals visible in `scope` are considered (one outside it is not found).
pub fn similar(
    lib: &Library,
    id: &ProposalId,
    limit: usize,
    scope: &Scope,
) -> Result<SimilarReport> {
    let snap = snapshot(lib)?;
    let Some(&slot) = snap
        .slots
        .get(id)
        .filter(|&&i| snap.items[i].visible(scope))
    else {
        return Err(Error::NotFound(format!("proposal {id}")));
    };
    let me = &snap.items[slot];
    let in_scope = |other: &ProposalId| {
        snap.slots
            .get(other)
            .is_some_and(|&i| snap.items[i].visible(scope))
    };
    let found = snap
        .sim
        .similar(id, limit.max(1), similar::SAME_ISSUE, &in_scope);
    let mut items = Vec::with_capacity(found.len());
    for f in found {
        let Some(&i) = snap.slots.get(&f.id) else {
            continue;
        };
        let s = &snap.items[i];
        let reply = lib
            .store()
            .events_of(&s.id)?
            .into_iter()
            .rev()
            .find_map(|e| e.text);
        items.push(SimilarProposal {
            id: s.id.clone(),
            number: s.number,
            session: s.session.clone(),
            year: s.year,
            title: s.title.clone(),
            score: f.score,
            reason: f.reason(),
            shared_terms: f.terms,
            status: s.status,
            grade: s.grade,
            satisfaction: s.satisfaction,
            reply,
            earlier: s.session_order < me.session_order,
        });
    }
    // One proposal per earlier session counts as the issue raised again.
    let mut sessions: Vec<(u32, u32)> = items
        .iter()
        .filter(|s| s.earlier)
        .map(|s| Session::parse(&s.session).order())
        .collect();
    sessions.sort();
    sessions.dedup();
    let times_raised = sessions.len() + 1;
    let any_a = me.grade == Some(Grade::A)
        || items
            .iter()
            .filter(|s| s.earlier)
            .any(|s| s.grade == Some(Grade::A));
    Ok(SimilarReport {
        id: id.clone(),
        items,
        times_raised,
        repeated_without_a: times_raised >= 3 && !any_a,
    })
}

/// A reply document attached to a proposal.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyDoc {
    pub doc_id: DocId,
    pub title: String,
}

/// A law a proposal or its replies cite by name, resolved to a stored document where possible.
#[derive(Debug, Clone, Serialize)]
pub struct LawRef {
    pub name: String,
    pub doc_id: Option<DocId>,
}

/// Everything the proposal page and `proposals show` print.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub proposal: Proposal,
    pub events: Vec<Event>,
    pub state: State,
    pub overdue: bool,
    pub due_soon: bool,
    pub replies: Vec<ReplyDoc>,
    pub links: Option<crate::linking::DocLinks>,
    pub laws: Vec<LawRef>,
    pub similar: SimilarReport,
}

/// A proposal with its history, replies, links and similar proposals; `None` when it does not exist or is
/// outside `scope` (the two are not told apart).
pub fn show(
    lib: &Library,
    id: &ProposalId,
    today: Date,
    scope: &Scope,
) -> Result<Option<ProposalView>> {
    let Some(p) = lib.store().get_proposal(id)?.filter(|p| visible(p, scope)) else {
        return Ok(None);
    };
    let events = lib.store().events_of(id)?;
    let state = lifecycle::derive(&events, p.deadline)
        .unwrap_or_else(|(i, _)| lifecycle::derive(&events[..i], p.deadline).unwrap_or_default());
    let replies = replies_of(lib, &p, scope)?;
    let links = crate::linking::links_of(lib, &p.doc_id, false, scope)?;
    let mut texts = vec![p.title.clone(), p.text.clone()];
    texts.extend(events.iter().filter_map(|e| e.text.clone()));
    for r in &replies {
        if let Some(d) = lib.store().get_meta(&r.doc_id)? {
            texts.push(d.body);
        }
    }
    let laws = cited_laws(lib, &texts, scope)?;
    let similar = similar(lib, id, 10, scope)?;
    Ok(Some(ProposalView {
        overdue: state.overdue(today),
        due_soon: state.due_soon(today),
        proposal: p,
        events,
        state,
        replies,
        links,
        laws,
        similar,
    }))
}

/// The reply documents visible in `scope` that name this proposal's number and fit its session.
pub fn replies_of(lib: &Library, p: &Proposal, scope: &Scope) -> Result<Vec<ReplyDoc>> {
    let mut out = Vec::new();
    for r in lib.store().reply_refs(p.number)? {
        if !r.fits(&p.session) || r.doc_id == p.doc_id {
            continue;
        }
        if let Some(d) = lib.store().get_meta(&r.doc_id)?
            && scope.sees(&d)
        {
            out.push(ReplyDoc {
                doc_id: d.id,
                title: d.title,
            });
        }
    }
    Ok(out)
}

/// Law names in 《》 resolved against stored titles (also with the 中华人民共和国 prefix).
fn cited_laws(lib: &Library, texts: &[String], scope: &Scope) -> Result<Vec<LawRef>> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"《([^《》]{2,40}?(?:法|条例|办法|规定|决定|细则))》")
            .expect("static regex")
    });
    let mut names: Vec<String> = Vec::new();
    for t in texts {
        for c in RE.captures_iter(t) {
            let n = c[1].to_string();
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let mut out = Vec::new();
    for name in names {
        let mut doc_id = None;
        for candidate in [name.clone(), format!("中华人民共和国{name}")] {
            let mut found = None;
            for id in lib.store().ids_with_title(&candidate)? {
                if lib.store().get_meta(&id)?.is_some_and(|d| scope.sees(&d)) {
                    found = Some(id);
                    break;
                }
            }
            if found.is_some() {
                doc_id = found;
                break;
            }
        }
        out.push(LawRef { name, doc_id });
    }
    Ok(out)
}

/// Notes which proposals a reply document names (第N号建议), so that it is attached to them. Called at
/// ingest for every committed document; other kinds forget earlier references.
pub fn note_references(lib: &Library, doc: &Document) -> Result<()> {
    if doc.kind == DocKind::Proposal {
        // Its links may have changed (relink, decisions): topics in the snapshot are stale.
        lib.proposal_cache().clear();
        return Ok(());
    }
    let refs = if doc.kind == DocKind::Reply || doc.title.contains("答复") {
        references_in(doc)
    } else {
        Vec::new()
    };
    lib.store().set_reply_refs(&doc.id, &refs)
}

/// The proposal numbers a reply names, with the session named in its title (or opening).
pub fn references_in(doc: &Document) -> Vec<ReplyRef> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"第\s*(\d{1,6})\s*号(?:代表)?(?:建议|提案|意见)").expect("static regex")
    });
    let head: String = doc.body.chars().take(600).collect();
    let session =
        model::parse_term_meeting(&doc.title).or_else(|| model::parse_term_meeting(&head));
    let mut out: Vec<ReplyRef> = Vec::new();
    for text in [&doc.title, &head] {
        for c in RE.captures_iter(text) {
            let Ok(n) = c[1].parse::<u32>() else { continue };
            if out.iter().any(|r| r.number.0 == n) {
                continue;
            }
            out.push(ReplyRef {
                doc_id: doc.id.clone(),
                number: ProposalNumber(n),
                term: session.map(|s| s.0),
                meeting: session.map(|s| s.1),
                title: doc.title.clone(),
            });
        }
    }
    out
}

/// Splits proposal tables off a list of ingest inputs and imports them; returns the other inputs and the
/// import reports (or the file's error).
pub fn import_tables(
    lib: &Library,
    inputs: &[crate::pipeline::Input],
) -> (
    Vec<crate::pipeline::Input>,
    Vec<(String, Result<ImportReport>)>,
) {
    let mut rest = Vec::new();
    let mut reports = Vec::new();
    for input in inputs {
        if TableFormat::of(&input.path).is_none() {
            rest.push(input.clone());
            continue;
        }
        let Ok(bytes) = std::fs::read(&input.path) else {
            rest.push(input.clone());
            continue;
        };
        if !import::is_proposal_table(&input.path, &bytes) {
            rest.push(input.clone());
            continue;
        }
        let format = TableFormat::of(&input.path).unwrap_or(TableFormat::Csv);
        // The name the reader knows the file by (an upload's own name, not its kept copy's).
        let name = input.name.clone().unwrap_or_else(|| {
            input
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        });
        reports.push((
            input.path.display().to_string(),
            import_bytes(lib, &name, format, &bytes),
        ));
    }
    (rest, reports)
}

/// The filtered list (all pages, inside the filter's scope) as CSV or XLSX with the import's headers.
pub fn export(
    lib: &Library,
    filter: &ListFilter,
    today: Date,
    format: export::ExportFormat,
) -> Result<Vec<u8>> {
    let mut rows = Vec::new();
    for s in filtered(lib, filter, today)? {
        let Some(p) = lib.store().get_proposal(&s.id)? else {
            continue;
        };
        let events = lib.store().events_of(&s.id)?;
        let state = lifecycle::derive(&events, p.deadline).unwrap_or_else(|(i, _)| {
            lifecycle::derive(&events[..i], p.deadline).unwrap_or_default()
        });
        rows.push(export::cells(&p, &events, &state));
    }
    export::write(&rows, format)
}

/// Today's date on this machine.
pub fn today() -> Date {
    chrono::Local::now().date_naive()
}

/// Counts of proposals per value of `key` over a snapshot (for benchmarks and tests).
pub fn count_by(snap: &Snapshot, key: impl Fn(&Summary) -> String) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in &snap.items {
        *m.entry(key(s)).or_default() += 1;
    }
    m
}
