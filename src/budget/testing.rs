//! What the tests of the money views and comparisons add up by hand from `query::facts`, to hold the views to.

use super::generate::{Generated, Plan, generate};
use super::query::{self, FactQuery};
use super::recognise::Stage;
use crate::library::Library;
use crate::model::Scope;

/// The sum of the facts of a code (or of one unit under it) the way a reader would add them from
/// `query::facts`: the 支出表's 本年支出合计 of the year and stage, the first fact of each document.
pub fn fact_sum(
    lib: &Library,
    code: &str,
    year: i32,
    stage: Stage,
    unit: Option<&str>,
    scope: &Scope,
) -> Option<f64> {
    let list = query::facts(
        lib,
        &FactQuery {
            code: Some(code.into()),
            year: Some(year),
            table: Some("支出表".into()),
            column: Some("本年支出合计".into()),
            limit: usize::MAX,
            ..FactQuery::default()
        },
        scope,
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut sum = None;
    for f in list.facts {
        if f.stage == Some(stage)
            && unit.is_none_or(|u| f.unit.as_deref() == Some(u))
            && seen.insert(f.doc_id.clone())
        {
            sum = Some(sum.unwrap_or(0.0) + f.amount);
        }
    }
    sum
}

pub fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-4,
        (None, None) => true,
        _ => false,
    }
}

/// A library in `dir` holding the generated documents of a plan with their facts (no search index); `edit`
/// may change a document before it is stored, or return false to leave it out. Returns the first unit.
pub fn generated_library(
    dir: &std::path::Path,
    plan: Plan,
    mut edit: impl FnMut(&Generated, &str, &mut crate::model::Document) -> bool,
) -> (Library, String) {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let lib = Library::open(crate::config::Config::new(dir.join("index"), corpus)).unwrap();
    let catalog = lib.reference().budget_tables.clone();
    let mut first = String::new();
    for g in generate(plan) {
        if first.is_empty() {
            first = g.unit.clone();
        }
        let mut doc = g.document();
        if !edit(&g, &first, &mut doc) {
            continue;
        }
        let facts = crate::budget::facts_of(&doc, &doc.tables, &catalog);
        lib.store().put_document(&doc).unwrap();
        lib.store().put_facts(&facts).unwrap();
    }
    lib.store().flush().unwrap();
    (lib, first)
}
