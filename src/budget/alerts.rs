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
