//! Links as the library keeps and serves them: computed at ingest and stored with the document, staff
//! decisions applied on top, relinking after the rules change, and the views later pages need (a
//! document's links, the subject tree with counts, a topic's documents). Amounts come from budget facts
//! (`budget::query`), not from the links' evidence.

pub mod dossier;
pub mod eval;
pub mod explain;

pub use dossier::{Dossier, DossierFiscal, Section, topic_dossier};

use crate::error::{Error, Result};
use crate::index::IndexQuery;
use crate::library::Library;
use crate::link::decision::{self, Decision, Target, Verdict};
use crate::link::linker::{SubjectLink, TopicLink};
use crate::link::{Budget, Links, Subject, Taxonomy};
use crate::model::{DocId, Document, FacetField, Filters, Scope, Tags, Unit};
use crate::store::ObservedSubject;
use serde::Serialize;
use std::collections::BTreeMap;

/// Computes a document's links, stores them and records the subjects first seen in it. Called at ingest
/// between writing the document and indexing it.
pub fn compute_and_store(lib: &Library, doc: &Document) -> Result<Links> {
    let links = lib.reference().link(doc);
    lib.store().put_links(&doc.id, &links)?;
    for l in links.observed() {
        lib.store().record_observed(&ObservedSubject {
            code: l.code.clone(),
            name: l.name.clone(),
            doc: doc.id.clone(),
        })?;
    }
    Ok(links)
}

/// A document's links with the decisions on them applied (stored links, or computed when missing).
pub(crate) fn effective_links(lib: &Library, doc: &Document) -> Result<Links> {
    let mut links = match lib.store().get_links(&doc.id)? {
        Some(l) => l,
        None => compute_and_store(lib, doc)?,
    };
    let decisions = lib.store().decisions_of(&doc.id)?;
    decision::apply(&mut links, &decisions, lib.reference());
    Ok(links)
}

/// The tags to index for a document: its kept links after decisions.
pub fn tags_for(lib: &Library, doc: &Document) -> Result<Tags> {
    Ok(effective_links(lib, doc)?.tags())
}

/// A document's links as shown to people: the kept ones, strongest first, with the decisions taken.
#[derive(Debug, Clone, Serialize)]
pub struct DocLinks {
    pub doc_id: DocId,
    pub title: String,
    pub subjects: Vec<SubjectLink>,
    pub topics: Vec<TopicLink>,
    pub decisions: Vec<Decision>,
}

impl DocLinks {
    /// The decision taken on a target, if any.
    pub fn decision(&self, target: &Target) -> Option<&Decision> {
        self.decisions.iter().find(|d| &d.target == target)
    }
}

/// The links of a stored document (None if there is no such document or it is outside `scope`). With
/// `all`, candidates below the thresholds are included too.
pub fn links_of(lib: &Library, id: &DocId, all: bool, scope: &Scope) -> Result<Option<DocLinks>> {
    let Some(doc) = lib.store().get_meta(id)?.filter(|d| scope.sees(d)) else {
        return Ok(None);
    };
    let links = effective_links(lib, &doc)?;
    let decisions = lib.store().decisions_of(id)?;
    let confirmed = |t: Target| {
        decisions
            .iter()
            .any(|d| d.target == t && d.verdict == Verdict::Confirmed)
    };
    let mut subjects: Vec<SubjectLink> = links
        .subjects
        .into_iter()
        .filter(|l| all || l.kept)
        .collect();
    let mut topics: Vec<TopicLink> = links.topics.into_iter().filter(|l| all || l.kept).collect();
    // Confirmed links first, then by score.
    subjects.sort_by(|a, b| {
        confirmed(Target::Subject(b.code.clone()))
            .cmp(&confirmed(Target::Subject(a.code.clone())))
            .then(b.score.total_cmp(&a.score))
    });
    topics.sort_by(|a, b| {
        confirmed(Target::Topic(b.id.clone()))
            .cmp(&confirmed(Target::Topic(a.id.clone())))
            .then(b.score.total_cmp(&a.score))
    });
    Ok(Some(DocLinks {
        doc_id: id.clone(),
        title: doc.title,
        subjects,
        topics,
        decisions,
    }))
}

/// Records a person's decision on one link of a document and re-indexes the document (crash-safe, like
/// ingest). The decision survives re-ingest and relinking.
pub fn decide(
    lib: &Library,
    id: &DocId,
    target: Target,
    verdict: Verdict,
    by: &str,
) -> Result<Decision> {
    check_target(lib, &target)?;
    // Read the document under the gate: a batch committed meanwhile must not be overwritten by a stale copy.
    let writing = lib.writing();
    let Some(doc) = lib.store().get_document(id)? else {
        return Err(Error::NotFound(format!("document {id}")));
    };
    let d = Decision::new(target, verdict, by);
    lib.store().put_decision(id, &d)?;
    crate::pipeline::commit_batch(lib, &writing, vec![doc])?;
    Ok(d)
}

/// Withdraws a decision and re-indexes the document; returns whether there was one.
pub fn undecide(lib: &Library, id: &DocId, target: &Target) -> Result<bool> {
    let writing = lib.writing();
    let Some(doc) = lib.store().get_document(id)? else {
        return Err(Error::NotFound(format!("document {id}")));
    };
    let removed = lib.store().remove_decision(id, target)?;
    if removed {
        crate::pipeline::commit_batch(lib, &writing, vec![doc])?;
    }
    Ok(removed)
}

fn check_target(lib: &Library, target: &Target) -> Result<()> {
    match target {
        Target::Subject(code) => {
            if crate::link::taxonomy::Level::of(code).is_none() {
                return Err(Error::Invalid(format!("'{code}' is not a subject code")));
            }
            if lib.reference().taxonomy.get(code).is_none()
                && !observed_codes(lib)?.contains_key(code)
            {
                return Err(Error::Invalid(format!(
                    "subject {code} is neither in the tree nor observed"
                )));
            }
        }
        Target::Topic(id) => {
            if lib.reference().topics.get(id).is_none() {
                return Err(Error::Invalid(format!("no topic has the id {id}")));
            }
        }
    }
    Ok(())
}

fn observed_codes(lib: &Library) -> Result<BTreeMap<String, ObservedSubject>> {
    Ok(lib
        .store()
        .observed_subjects()?
        .into_iter()
        .map(|o| (o.code.clone(), o))
        .collect())
}

/// What a relink run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RelinkReport {
    pub documents: usize,
    /// Kept links after decisions, over all documents.
    pub subject_links: usize,
    pub topic_links: usize,
    pub observed_subjects: usize,
    pub seconds: f64,
}

/// Recomputes the links of every stored document and re-indexes it, in batches and in the crash-safe order
/// of ingest (documents are marked pending before the index changes).
pub fn relink(lib: &Library, progress: &dyn Fn(usize, usize)) -> Result<RelinkReport> {
    let start = std::time::Instant::now();
    let ids = lib.store().doc_ids()?;
    let mut report = RelinkReport::default();
    let batch = lib.config.batch_docs.max(1);
    for chunk in ids.chunks(batch) {
        let mut docs = Vec::with_capacity(chunk.len());
        for id in chunk {
            if let Some(d) = lib.store().get_document(id)? {
                docs.push(d);
            }
        }
        // commit_batch marks the documents pending, recomputes their links with the current rules and
        // re-indexes them.
        report.documents += docs.len();
        crate::pipeline::commit_batch(lib, &lib.writing(), docs)?;
        progress(report.documents, ids.len());
    }
    for id in &ids {
        if let Some(doc) = lib.store().get_meta(id)? {
            let tags = tags_for(lib, &doc)?;
            report.subject_links += tags.subjects.len();
            report.topic_links += tags.topics.len();
        }
    }
    report.observed_subjects = observed_codes(lib)?.len();
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// The reference tree extended with the subjects observed in documents that `scope` sees: a code seen only
/// in restricted documents stays out of the tree of readers who may not read them.
pub fn taxonomy(lib: &Library, scope: &Scope) -> Result<Taxonomy> {
    let mut t = lib.reference().taxonomy.clone();
    let mut observed = visible_observations(lib, scope)?;
    observed.sort_by_key(|o| o.code.len());
    for o in observed {
        t.add_observed(&o.code, &o.name);
    }
    Ok(t)
}

/// The observations made in documents that `scope` sees.
fn visible_observations(lib: &Library, scope: &Scope) -> Result<Vec<ObservedSubject>> {
    let mut seen: BTreeMap<DocId, bool> = BTreeMap::new();
    let mut out = Vec::new();
    for o in lib.store().observed_subjects()? {
        let visible = match seen.get(&o.doc) {
            Some(v) => *v,
            None => {
                let v = lib
                    .store()
                    .get_meta(&o.doc)?
                    .is_some_and(|d| scope.sees(&d));
                seen.insert(o.doc.clone(), v);
                v
            }
        };
        if visible {
            out.push(o);
        }
    }
    Ok(out)
}

/// One node of the subject tree with the number of documents linked to it or its descendants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectNode {
    pub code: String,
    pub name: String,
    pub budget: Budget,
    pub observed: bool,
    pub documents: u64,
    pub has_children: bool,
}

/// The children of `parent` (the classes when None) with counts of the documents in `scope` under `filters`.
pub fn subject_tree(
    lib: &Library,
    parent: Option<&str>,
    filters: &Filters,
    scope: &Scope,
) -> Result<Vec<SubjectNode>> {
    let t = taxonomy(lib, scope)?;
    let nodes = match parent {
        Some(code) => {
            if t.get(code).is_none() {
                return Err(Error::NotFound(format!("subject {code}")));
            }
            t.children(code)
        }
        None => t.classes(),
    };
    let hits = lib.index().search(&IndexQuery {
        filters: filters.clone(),
        unit: Unit::Document,
        limit: 0,
        facets: vec![FacetField::Subject],
        subject_drill: parent.map(str::to_string),
        scope: scope.clone(),
        ..IndexQuery::default()
    })?;
    let counts: BTreeMap<&str, u64> = hits
        .facets
        .iter()
        .filter(|f| f.field == FacetField::Subject)
        .flat_map(|f| f.values.iter().map(|(v, c)| (v.as_str(), *c)))
        .collect();
    Ok(nodes
        .into_iter()
        .map(|s| SubjectNode {
            code: s.code.clone(),
            name: s.name.clone(),
            budget: s.budget,
            observed: s.observed,
            documents: counts.get(s.code.as_str()).copied().unwrap_or(0),
            has_children: !t.children(&s.code).is_empty(),
        })
        .collect())
}

/// One of the four budgets with the number of documents linked to any of its subjects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetCount {
    pub budget: Budget,
    pub documents: u64,
}

/// The topmost subjects of a budget: those without a parent, or whose parent belongs to another budget
/// (政府性基金预算's 20822 sits under 一般公共预算's 208).
fn budget_roots(t: &Taxonomy, budget: Budget) -> Vec<&Subject> {
    t.in_budget(budget)
        .filter(|s| t.parent(&s.code).is_none_or(|p| p.budget != budget))
        .collect()
}

fn count_documents(lib: &Library, filters: Filters, scope: &Scope) -> Result<u64> {
    let hits = lib.index().search(&IndexQuery {
        filters,
        unit: Unit::Document,
        limit: 0,
        scope: scope.clone(),
        ..IndexQuery::default()
    })?;
    Ok(hits.total as u64)
}

/// Documents in `scope` per budget under `filters` (its subject filter is replaced by each budget's
/// subjects). A document linked to subjects of two budgets counts in both.
pub fn budget_counts(lib: &Library, filters: &Filters, scope: &Scope) -> Result<Vec<BudgetCount>> {
    let t = taxonomy(lib, scope)?;
    let mut out = Vec::new();
    for &budget in Budget::ALL {
        let roots: Vec<String> = budget_roots(&t, budget)
            .iter()
            .map(|s| s.code.clone())
            .collect();
        let documents = if roots.is_empty() {
            0
        } else {
            count_documents(
                lib,
                Filters {
                    subjects: roots,
                    ..filters.clone()
                },
                scope,
            )?
        };
        out.push(BudgetCount { budget, documents });
    }
    Ok(out)
}

/// The topmost subjects of one budget with counts of the documents in `scope` under `filters`, in code
/// order.
pub fn budget_subjects(
    lib: &Library,
    budget: Budget,
    filters: &Filters,
    scope: &Scope,
) -> Result<Vec<SubjectNode>> {
    let t = taxonomy(lib, scope)?;
    let roots = budget_roots(&t, budget);
    let mut parents: Vec<Option<&str>> = roots.iter().map(|s| s.parent.as_deref()).collect();
    parents.dedup();
    let mut out = Vec::new();
    for parent in parents {
        for node in subject_tree(lib, parent, filters, scope)? {
            if node.budget == budget && roots.iter().any(|r| r.code == node.code) {
                out.push(node);
            }
        }
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.dedup_by(|a, b| a.code == b.code);
    Ok(out)
}

/// A topic with the number of documents linked to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicCount {
    pub id: String,
    pub name: String,
    pub description: String,
    pub documents: u64,
}

/// Every topic, in the order of the topic file, with counts of the documents in `scope` under `filters`.
pub fn topic_counts(lib: &Library, filters: &Filters, scope: &Scope) -> Result<Vec<TopicCount>> {
    let hits = lib.index().search(&IndexQuery {
        filters: filters.clone(),
        unit: Unit::Document,
        limit: 0,
        facets: vec![FacetField::Topic],
        scope: scope.clone(),
        ..IndexQuery::default()
    })?;
    let counts: BTreeMap<&str, u64> = hits
        .facets
        .iter()
        .filter(|f| f.field == FacetField::Topic)
        .flat_map(|f| f.values.iter().map(|(v, c)| (v.as_str(), *c)))
        .collect();
    Ok(lib
        .reference()
        .topics
        .iter()
        .map(|t| TopicCount {
            id: t.id.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            documents: counts.get(t.name.as_str()).copied().unwrap_or(0),
        })
        .collect())
}
