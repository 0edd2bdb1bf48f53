//! The facts benchmark: generated department budgets and final accounts (`budget::generate`) stored as
//! documents with their tables and facts until a number of facts is reached, then the in-memory columns
//! built from the store, a filtered facts query, a sum by 类, the money views (by 类, units under a 项) and
//! the comparisons (类 by year, units by year, one city's units by 类) timed, with the memory they take.

use crate::budget::generate::{self, Plan};
use crate::budget::pivot::{self, Dim, PivotSelection};
use crate::budget::query::{self, FactQuery};
use crate::budget::recognise::CodeLevel;
use crate::budget::views::{self, Selection};
use crate::config::Config;
use crate::error::Result;
use crate::library::Library;
use crate::model::Scope;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What `yusuan bench-facts` measured.
#[derive(Debug, Clone, Serialize, Default)]
pub struct FactsBench {
    pub documents: usize,
    pub facts: usize,
    /// Generating, recognising and storing (documents, tables, facts), flushed.
    pub import_seconds: f64,
    pub store_mb: f64,
    /// Building the in-memory columns from the store.
    pub load_seconds: f64,
    /// Resident memory before and after the columns were built, in MB.
    pub rss_before_mb: f64,
    pub rss_after_mb: f64,
    /// A filtered query (one code, one table, one column, one year): facts found and median time.
    pub query_hits: usize,
    pub query_ms: f64,
    /// The sum by 类 of every 项 fact of the 支出表's 本年支出合计: classes and median time.
    pub classes: usize,
    pub sum_ms: f64,
    /// The same sum with a unit filter (one city).
    pub sum_filtered_ms: f64,
    /// The money view by 类 (`budget::views`, the default selection): median and 95th percentile of 20 runs.
    pub money_class_ms: f64,
    pub money_class_p95_ms: f64,
    /// The money view of the units under one 项 every unit has (2080505): units, median and p95.
    pub money_units: usize,
    pub money_units_ms: f64,
    pub money_units_p95_ms: f64,
    /// The comparison (`budget::pivot`) of the 类 by year over every year: median and p95.
    pub pivot_years_ms: f64,
    pub pivot_years_p95_ms: f64,
    /// The comparison of every unit by year under 2080505 with budget against actual: units, median and p95.
    pub pivot_units: usize,
    pub pivot_units_ms: f64,
    pub pivot_units_p95_ms: f64,
    /// The comparison of the units of one city by 类, the latest year: median and p95.
    pub pivot_city_ms: f64,
    pub pivot_city_p95_ms: f64,
    /// The columns saved for the next start (`budget::snapshot`): the file's size.
    pub saved_mb: f64,
    /// As after a restart (the columns forgotten): reading the saved columns back and the first money view by
    /// 类, in ms; then the same with the file gone (built from the store).
    pub restart_first_view_ms: f64,
    pub restart_without_file_ms: f64,
    pub peak_rss_mb: f64,
}

fn median_ms(mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// The median and the 95th percentile of 20 runs, in ms.
fn p95_ms(mut f: impl FnMut() -> Result<()>) -> Result<(f64, f64)> {
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[times.len() * 95 / 100]))
}

/// Runs the benchmark in `work` (an empty or missing folder, left in place) until `target` facts are stored.
pub fn run(work: &Path, corpus: &Path, target: usize) -> Result<FactsBench> {
    let lib = Library::open(Config::new(work, corpus))?;
    let store = lib.store();
    let catalog = lib.reference().budget_tables.clone();
    let mut report = FactsBench::default();
    let started = Instant::now();
    // About 130 facts a document: 2,400 units over ten years give three million.
    let plan = Plan {
        units: 2400,
        first_year: 2015,
        last_year: 2024,
        seed: 1,
    };
    for g in generate::generate(plan) {
        if report.facts >= target {
            break;
        }
        let doc = g.document();
        let facts = crate::budget::facts_of(&doc, &doc.tables, &catalog);
        report.facts += facts.items.len();
        report.documents += 1;
        store.put_document(&doc)?;
        store.put_facts(&facts)?;
        if report.documents.is_multiple_of(500) {
            store.flush()?;
        }
    }
    store.flush()?;
    report.import_seconds = started.elapsed().as_secs_f64();
    report.store_mb = store.size_bytes() as f64 / 1e6;

    report.rss_before_mb = crate::bench::rss_mb();
    let t = Instant::now();
    let columns = query::columns(&lib)?;
    report.load_seconds = t.elapsed().as_secs_f64();
    report.rss_after_mb = crate::bench::rss_mb();
    drop(columns);

    let filtered = FactQuery {
        code: Some("2080505".into()),
        table: Some("支出决算表".into()),
        column: Some("本年支出合计".into()),
        year: Some(2020),
        limit: 100,
        ..FactQuery::default()
    };
    let mut hits = 0;
    report.query_ms = median_ms(|| {
        hits = query::facts(&lib, &filtered, &Scope::All)?.total;
        Ok(())
    })?;
    report.query_hits = hits;
    let by_class = FactQuery {
        table: Some("支出表".into()),
        column: Some("本年支出合计".into()),
        level: Some(CodeLevel::Item),
        ..FactQuery::default()
    };
    let mut classes = 0;
    report.sum_ms = median_ms(|| {
        classes = query::sum_by_class(&lib, &by_class, &Scope::All)?.len();
        Ok(())
    })?;
    report.classes = classes;
    let in_city = FactQuery {
        unit: Some("东湖市".into()),
        ..by_class
    };
    report.sum_filtered_ms = median_ms(|| {
        query::sum_by_class(&lib, &in_city, &Scope::Public { deputy: None })?;
        Ok(())
    })?;
    (report.money_class_ms, report.money_class_p95_ms) = p95_ms(|| {
        views::money(&lib, &Selection::default(), &Scope::Public { deputy: None })?;
        Ok(())
    })?;
    let units = Selection {
        code: Some("2080505".into()),
        ..Selection::default()
    };
    let mut n = 0;
    (report.money_units_ms, report.money_units_p95_ms) = p95_ms(|| {
        n = views::money(&lib, &units, &Scope::Public { deputy: None })?
            .rows
            .len();
        Ok(())
    })?;
    report.money_units = n;
    let public = Scope::Public { deputy: None };
    (report.pivot_years_ms, report.pivot_years_p95_ms) = p95_ms(|| {
        pivot::pivot(&lib, &PivotSelection::default(), &public)?;
        Ok(())
    })?;
    let by_unit = PivotSelection {
        rows: Dim::Unit,
        cols: Dim::Year,
        code: Some("2080505".into()),
        ..PivotSelection::default()
    };
    (report.pivot_units_ms, report.pivot_units_p95_ms) = p95_ms(|| {
        let p = pivot::pivot(&lib, &by_unit, &public)?;
        n = p.rows.len() + p.omitted_rows;
        Ok(())
    })?;
    report.pivot_units = n;
    let city = PivotSelection {
        rows: Dim::Unit,
        cols: Dim::Subject,
        units: vec!["东湖市".into()],
        ..PivotSelection::default()
    };
    (report.pivot_city_ms, report.pivot_city_p95_ms) = p95_ms(|| {
        pivot::pivot(&lib, &city, &public)?;
        Ok(())
    })?;
    let file = lib.config.data_dir.join(crate::budget::snapshot::FILE);
    report.saved_mb = std::fs::metadata(&file).map_or(0.0, |m| m.len() as f64 / 1e6);
    let first_view = || -> Result<f64> {
        lib.facts_cache().forget();
        let t = Instant::now();
        views::money(&lib, &Selection::default(), &public)?;
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    };
    report.restart_first_view_ms = first_view()?;
    std::fs::remove_file(&file).map_err(|e| crate::error::Error::io(&file, e))?;
    report.restart_without_file_ms = first_view()?;
    report.peak_rss_mb = crate::bench::peak_rss_mb();
    Ok(report)
}
