//! 预警 over the library: the findings of one document (its text and stored facts checked against the rule
//! catalog of the corpus folder), computed on demand so that they always follow the current rules and facts, and
//! only within the reader's scope.

use super::checks::{Decision, Finding, Severity, Verdict, check};
use super::facts::DocFacts;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Access, DocId, Document, Scope};
use std::collections::HashMap;
use std::sync::Mutex;

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
            let d = Decision {
                key: key.to_string(),
                verdict,
                note: note.trim().chars().take(2000).collect(),
                by: by.to_string(),
                at: chrono::Local::now().to_rfc3339(),
            };
            lib.store().put_finding_decision(id, &d)?;
            Some(d)
        }
        None => {
            lib.store().remove_finding_decision(id, key)?;
            None
        }
    };
    lib.store().flush()?;
    lib.open_counts().forget(id);
    Ok(decision)
}

/// A document's open findings as the search results show them: who may see it, and how many. `None` for a
/// document without facts.
type Counted = Option<(Access, Vec<String>, usize)>;

/// The open findings of each document, computed once and kept until its facts, its access or a decision on it
/// change (the store's facts generation, and `decide`).
#[derive(Debug, Default)]
pub struct OpenCounts(Mutex<(u64, HashMap<DocId, Counted>)>);

impl OpenCounts {
    fn forget(&self, id: &DocId) {
        if let Ok(mut guard) = self.0.lock() {
            guard.1.remove(id);
        }
    }
}

/// The number of a document's findings that need attention: errors and warnings not dismissed (0 for a
/// document without facts or outside the scope). Kept in memory: search results ask for it on every page.
pub fn open_count(lib: &Library, id: &DocId, scope: &Scope) -> Result<usize> {
    let generation = lib.store().facts_generation();
    let cached = {
        let mut guard = lib
            .open_counts()
            .0
            .lock()
            .map_err(|_| Error::Invalid("the findings cache was poisoned".into()))?;
        if guard.0 != generation {
            *guard = (generation, HashMap::new());
        }
        guard.1.get(id).cloned()
    };
    let counted = match cached {
        Some(c) => c,
        None => {
            let c = count(lib, id)?;
            if let Ok(mut guard) = lib.open_counts().0.lock()
                && guard.0 == generation
            {
                guard.1.insert(id.clone(), c.clone());
            }
            c
        }
    };
    Ok(match counted {
        Some((access, owners, n)) if scope.allows(access, &owners) => n,
        _ => 0,
    })
}

/// Counts a document's open findings (whoever may read them).
fn count(lib: &Library, id: &DocId) -> Result<Counted> {
    let Some(facts) = lib.store().get_facts(id)? else {
        return Ok(None);
    };
    let Some(doc) = lib.store().get_meta(id)? else {
        return Ok(None);
    };
    let open = evaluate(lib, &doc, &facts)?
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .filter(|f| {
            f.decision
                .as_ref()
                .is_none_or(|d| d.verdict != Verdict::Dismissed)
        })
        .count();
    Ok(Some((doc.access, doc.owners, open)))
}

/// The findings of one document with the labels the 预警 list filters and groups by.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocFindings {
    pub doc_id: DocId,
    pub title: String,
    pub unit: Option<String>,
    pub year: Option<i32>,
    pub findings: Vec<Finding>,
}

/// The findings of every document with facts that the scope sees, newest year first, then by title.
pub fn all_findings(lib: &Library, scope: &Scope) -> Result<Vec<DocFindings>> {
    let mut out = Vec::new();
    let mut failure = None;
    lib.store().for_each_facts(|facts| {
        if failure.is_some() {
            return;
        }
        match lib.store().get_meta(&facts.doc_id) {
            Ok(Some(doc)) if scope.sees(&doc) => match evaluate(lib, &doc, &facts) {
                Ok(findings) => out.push(DocFindings {
                    findings,
                    doc_id: doc.id,
                    title: doc.title,
                    unit: facts.issuer.unit.clone(),
                    year: facts.issuer.year,
                }),
                Err(e) => failure = Some(e),
            },
            Ok(_) => {}
            Err(e) => failure = Some(e),
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    out.sort_by(|a, b| b.year.cmp(&a.year).then_with(|| a.title.cmp(&b.title)));
    Ok(out)
}
