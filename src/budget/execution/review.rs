//! The pace findings of the library: the rules of the reference folder over the current execution data, with
//! the staff's decisions (confirmed or dismissed, with a note) kept apart so that they outlive new batches.

use super::pace::{self, PaceFinding};
use crate::budget::checks::{Decision, Verdict};
use crate::error::{Error, Result};
use crate::library::Library;

/// The findings of a year as the data stands at the end of `month` (default: the newest year, its latest
/// month), with decisions; errors first, then by department, unit and subject.
pub fn findings(lib: &Library, year: Option<i32>, month: Option<u8>) -> Result<Vec<PaceFinding>> {
    let cols = lib.execution_cache().get(lib.store())?;
    let Some(year) = year.or_else(|| cols.years().first().copied()) else {
        return Ok(Vec::new());
    };
    let Some(latest) = cols.latest_month(year) else {
        return Ok(Vec::new());
    };
    let month = month.unwrap_or(latest).clamp(1, 12);
    let mut found = pace::check(&cols, year, month, &lib.reference().execution_rules);
    let taxonomy = &lib.reference().taxonomy;
    for f in found.iter_mut() {
        if let Some(name) = taxonomy.name(&f.code) {
            f.subject = name.to_string();
        }
    }
    let decisions = lib.store().pace_decisions()?;
    if !decisions.is_empty() {
        for f in found.iter_mut() {
            f.decision = decisions.iter().find(|d| d.key == f.key).cloned();
        }
    }
    found.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.department.cmp(&b.department))
            .then_with(|| a.unit.cmp(&b.unit))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    Ok(found)
}

/// Confirms or dismisses a pace finding (with a note), or withdraws the decision (`verdict` `None`). The
/// finding must be one the current data gives (at any month of its year). Flushed before it returns.
pub fn decide(
    lib: &Library,
    key: &str,
    verdict: Option<Verdict>,
    note: &str,
    by: &str,
) -> Result<Option<Decision>> {
    let cols = lib.execution_cache().get(lib.store())?;
    let exists = cols.years().into_iter().any(|y| {
        cols.latest_month(y).is_some_and(|latest| {
            (1..=latest).any(|m| {
                pace::check(&cols, y, m, &lib.reference().execution_rules)
                    .iter()
                    .any(|f| f.key == key)
            })
        })
    });
    if !exists {
        return Err(Error::Invalid(format!("没有编号为 {key} 的执行预警")));
    }
    let _writing = lib.writing();
    match verdict {
        Some(verdict) => {
            let d = Decision::new(key, verdict, note, by);
            lib.store().put_pace_decision(&d)?;
            Ok(Some(d))
        }
        None => {
            lib.store().remove_pace_decision(key)?;
            Ok(None)
        }
    }
}
