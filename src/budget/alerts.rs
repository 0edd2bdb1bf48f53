//! 预警 over the library: the findings of one document (its text and stored facts checked against the rule
//! catalog of the corpus folder), computed on demand so that they always follow the current rules and facts, and
//! only within the reader's scope.

use super::checks::{Finding, check};
use crate::error::Result;
use crate::library::Library;
use crate::model::{DocId, Scope};

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
    Ok(Some(check(
        &doc.body,
        &facts,
        &lib.reference().budget_checks,
    )))
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
            Ok(Some(doc)) if scope.sees(&doc) => out.push(DocFindings {
                findings: check(&doc.body, &facts, &lib.reference().budget_checks),
                doc_id: doc.id,
                title: doc.title,
                unit: facts.issuer.unit.clone(),
                year: facts.issuer.year,
            }),
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
