//! The proposal benchmark (`yusuan proposals bench --n 20000`): import time of N generated proposals (store,
//! links and index), the first snapshot build, list and dashboard times, and similarity time per proposal.

use super::{ListFilter, export, generate};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::Scope;
use crate::proposals::model::Status;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What the benchmark measured (times in milliseconds unless named seconds).
#[derive(Debug, Clone, Serialize)]
pub struct ProposalBench {
    pub proposals: usize,
    pub import_seconds: f64,
    pub import_errors: usize,
    /// Building the in-memory snapshot (summaries and similarity index) after the import.
    pub snapshot_ms: f64,
    pub list_p50_ms: f64,
    pub list_p95_ms: f64,
    pub dashboard_p50_ms: f64,
    pub dashboard_p95_ms: f64,
    pub similar_p50_ms: f64,
    pub similar_p95_ms: f64,
    pub similar_queries: usize,
    pub export_csv_ms: f64,
}

impl std::fmt::Display for ProposalBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "import {} generated proposals: {:.1} s ({} row errors)",
            self.proposals, self.import_seconds, self.import_errors
        )?;
        writeln!(f, "snapshot build (first list): {:.0} ms", self.snapshot_ms)?;
        writeln!(
            f,
            "list with filters and counts: p50 {:.1} ms · p95 {:.1} ms",
            self.list_p50_ms, self.list_p95_ms
        )?;
        writeln!(
            f,
            "dashboard: p50 {:.1} ms · p95 {:.1} ms",
            self.dashboard_p50_ms, self.dashboard_p95_ms
        )?;
        writeln!(
            f,
            "similar proposals ({} queries): p50 {:.2} ms · p95 {:.2} ms",
            self.similar_queries, self.similar_p50_ms, self.similar_p95_ms
        )?;
        write!(f, "CSV export of all: {:.0} ms", self.export_csv_ms)
    }
}

fn percentile(times: &mut [f64], p: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i.min(times.len() - 1)]
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Runs the benchmark in a scratch data folder `work` (removed before and after) with the reference data
/// of `config`'s corpus.
pub fn run(config: &Config, n: usize, work: &Path) -> Result<ProposalBench> {
    let _ = std::fs::remove_dir_all(work);
    let mut config = config.clone();
    config.data_dir = work.to_path_buf();
    let result = measure(config, n);
    let _ = std::fs::remove_dir_all(work);
    result
}

fn measure(config: Config, n: usize) -> Result<ProposalBench> {
    let lib = Library::open(config)?;
    let today = super::today();
    let rows = generate::rows(n, 42, today);
    let csv = export::write(&rows, export::ExportFormat::Csv)?;
    let start = Instant::now();
    let report = super::import_bytes(&lib, "bench.csv", super::import::TableFormat::Csv, &csv)?;
    let import_seconds = start.elapsed().as_secs_f64();
    if report.added == 0 && n > 0 {
        return Err(Error::Invalid("the benchmark imported nothing".into()));
    }
    let start = Instant::now();
    let snap = super::snapshot(&lib)?;
    let snapshot_ms = ms(start);
    // Benchmarks measure the operator's view: every proposal.
    let operator = ListFilter {
        scope: Scope::All,
        ..ListFilter::default()
    };
    let filters = [
        operator.clone(),
        ListFilter {
            status: Some(Status::Handling),
            ..operator.clone()
        },
        ListFilter {
            overdue: true,
            ..operator.clone()
        },
        ListFilter {
            unit: Some("市财政局".into()),
            year: Some(chrono::Datelike::year(&today)),
            ..operator.clone()
        },
        ListFilter {
            q: Some("学前教育".into()),
            ..operator.clone()
        },
        ListFilter {
            key_supervision: true,
            offset: 20,
            ..operator.clone()
        },
    ];
    let mut list_times = Vec::new();
    for _ in 0..10 {
        for f in &filters {
            let start = Instant::now();
            super::list(&lib, f, today)?;
            list_times.push(ms(start));
        }
    }
    let mut dash_times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        super::dashboard(&lib, today, &Scope::All)?;
        dash_times.push(ms(start));
    }
    let mut sim_times = Vec::new();
    let mut rng = generate::Rng::new(9);
    for _ in 0..200.min(snap.items.len()) {
        let id = snap.items[rng.below(snap.items.len())].id.clone();
        let start = Instant::now();
        super::similar(&lib, &id, 10, &Scope::All)?;
        sim_times.push(ms(start));
    }
    let start = Instant::now();
    super::export(
        &lib,
        &ListFilter::default(),
        today,
        export::ExportFormat::Csv,
    )?;
    let export_csv_ms = ms(start);
    lib.close()?;
    Ok(ProposalBench {
        proposals: report.added,
        import_seconds,
        import_errors: report.errors.len(),
        snapshot_ms,
        list_p50_ms: percentile(&mut list_times, 0.5),
        list_p95_ms: percentile(&mut list_times, 0.95),
        dashboard_p50_ms: percentile(&mut dash_times, 0.5),
        dashboard_p95_ms: percentile(&mut dash_times, 0.95),
        similar_queries: sim_times.len(),
        similar_p50_ms: percentile(&mut sim_times, 0.5),
        similar_p95_ms: percentile(&mut sim_times, 0.95),
        export_csv_ms,
    })
}
