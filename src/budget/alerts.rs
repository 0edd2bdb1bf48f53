//! 预警 over the library: the findings of one document (its text and stored facts checked against the rule
//! catalog of the corpus folder), computed on demand so that they always follow the current rules and facts, and
//! only within the reader's scope.

use super::checks::{Decision, Finding, Severity, Verdict, check};
use super::facts::DocFacts;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Access, DocId, Document, Scope};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The findings of a document, or `None` when it does not exist or lies outside the scope.
pub fn findings(lib: &Library, id: &DocId, scope: &Scope) -> Result<Option<Vec<Finding>>> {
    let Some(doc) = lib.store().get_meta(id)? else {
        return Ok(None);
    };
    if !scope.sees(&doc) {
        return Ok(None);
    }
    let Some(facts) = lib.store().get_facts(id)? else {
        return Ok(Some(Vec::new()));
    };
    Ok(Some(evaluate(lib, &doc, &facts)?))
}

/// The checks of a document's text and facts, with the staff's decisions on them.
fn evaluate(lib: &Library, doc: &Document, facts: &DocFacts) -> Result<Vec<Finding>> {
    let mut found = check(&doc.body, facts, &lib.reference().budget_checks);
    apply_decisions(lib, &doc.id, &mut found)?;
    Ok(found)
}

/// Puts the stored decisions on the findings they name.
fn apply_decisions(lib: &Library, id: &DocId, found: &mut [Finding]) -> Result<()> {
    let decisions = lib.store().finding_decisions_of(id)?;
    if decisions.is_empty() {
        return Ok(());
    }
    for f in found.iter_mut() {
        f.decision = decisions.iter().find(|d| d.key == f.key).cloned();
    }
    Ok(())
}

/// Confirms or dismisses a finding of a document (with a note), or withdraws the decision (`verdict` `None`).
/// The finding must be one the document has now. Flushed before it returns.
pub fn decide(
    lib: &Library,
    id: &DocId,
    scope: &Scope,
    key: &str,
    verdict: Option<Verdict>,
    note: &str,
    by: &str,
) -> Result<Option<Decision>> {
    let Some(found) = findings(lib, id, scope)? else {
        return Err(Error::NotFound(format!("document {id}")));
    };
    if !found.iter().any(|f| f.key == key) {
        return Err(Error::Invalid(format!("该文档没有编号为 {key} 的预警")));
    }
    let _writing = lib.writing();
    let decision = match verdict {
        Some(verdict) => {
            let d = Decision::new(key, verdict, note, by);
            lib.store().put_finding_decision(id, &d)?;
            Some(d)
        }
        None => {
            lib.store().remove_finding_decision(id, key)?;
            None
        }
    };
    lib.store().flush()?;
    lib.findings_cache().forget(id);
    Ok(decision)
}

/// A document's findings as the 预警 list and the search results' badges show them, with who may see them and the
/// labels the list groups by. `None` for a document without facts.
type Cached = Option<Arc<DocFindings>>;

/// The findings of each document, computed once and kept until its facts, its access or a decision on it change
/// (the store's facts generation, and `decide`): the search results ask for a count on every page and the 预警
/// list for every document's findings.
#[derive(Debug, Default)]
pub struct FindingsCache(Mutex<(u64, HashMap<DocId, Cached>)>);

impl FindingsCache {
    fn forget(&self, id: &DocId) {
        if let Ok(mut guard) = self.0.lock() {
            guard.1.remove(id);
        }
    }
}

/// A document's findings, from the cache or computed (and kept).
fn cached(lib: &Library, id: &DocId) -> Result<Cached> {
    let generation = lib.store().facts_generation();
    {
        let mut guard = lib
            .findings_cache()
            .0
            .lock()
            .map_err(|_| Error::Invalid("the findings cache was poisoned".into()))?;
        if guard.0 != generation {
            *guard = (generation, HashMap::new());
        }
        if let Some(c) = guard.1.get(id) {
            return Ok(c.clone());
        }
    }
    let c = compute(lib, id)?;
    if let Ok(mut guard) = lib.findings_cache().0.lock()
        && guard.0 == generation
    {
        guard.1.insert(id.clone(), c.clone());
    }
    Ok(c)
}

/// The number of a document's findings that need attention: errors and warnings not dismissed (0 for a
/// document without facts or outside the scope).
pub fn open_count(lib: &Library, id: &DocId, scope: &Scope) -> Result<usize> {
    Ok(match cached(lib, id)? {
        Some(d) if scope.allows(d.access, &d.owners) => d
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .filter(|f| {
                f.decision
                    .as_ref()
                    .is_none_or(|d| d.verdict != Verdict::Dismissed)
            })
            .count(),
        _ => 0,
    })
}

/// Checks a document (whoever may read it).
fn compute(lib: &Library, id: &DocId) -> Result<Cached> {
    let Some(facts) = lib.store().get_facts(id)? else {
        return Ok(None);
    };
    let Some(doc) = lib.store().get_meta(id)? else {
        return Ok(None);
    };
    let findings = evaluate(lib, &doc, &facts)?;
    Ok(Some(Arc::new(DocFindings {
        findings,
        doc_id: doc.id,
        title: doc.title,
        unit: facts.issuer.unit.clone(),
        year: facts.issuer.year,
        access: doc.access,
        owners: doc.owners,
    })))
}

/// The findings of one document with the labels the 预警 list filters and groups by.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocFindings {
    pub doc_id: DocId,
    pub title: String,
    pub unit: Option<String>,
    pub year: Option<i32>,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    access: Access,
    #[serde(skip)]
    owners: Vec<String>,
}

/// The findings of every document with facts that the scope sees, newest year first, then by title.
pub fn all_findings(lib: &Library, scope: &Scope) -> Result<Vec<Arc<DocFindings>>> {
    let mut out = Vec::new();
    for id in lib.store().fact_doc_ids()? {
        if let Some(d) = cached(lib, &id)?
            && scope.allows(d.access, &d.owners)
        {
            out.push(d);
        }
    }
    out.sort_by(|a, b| b.year.cmp(&a.year).then_with(|| a.title.cmp(&b.title)));
    Ok(out)
}
