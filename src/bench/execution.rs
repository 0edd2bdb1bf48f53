//! The execution benchmark: a generated province (`budget::execution::generate`) pushed month by month as CSV
//! batches through the same path the push API takes (read, validated, applied whole and flushed), then the
//! columns built, the dashboard and its drill-downs and the pace rules timed, with the memory they take.

use super::{peak_rss_mb, rss_mb};
use crate::budget::execution::dashboard::{ExecQuery, dashboard};
use crate::budget::execution::generate::{self, ExecPlan, Generated};
use crate::budget::execution::parse::Format;
use crate::budget::execution::{Outcome, Submission, pace, submit};
use crate::budget::recognise::MoneyUnit;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::library::Library;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What `yusuan bench-execution` measured.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ExecBench {
    pub units: usize,
    pub rows_per_month: usize,
    pub months: u8,
    pub batch_mb: f64,
    /// Each month's push (read, validate, store, flush), in seconds.
    pub push_seconds: Vec<f64>,
    pub push_max_seconds: f64,
    pub rows_per_second: f64,
    pub store_mb: f64,
    /// Building the columns from the store after the last push.
    pub build_seconds: f64,
    pub entries: usize,
    /// The columns' own size, and the whole process's resident memory (which includes the store's cache).
    pub columns_mb: f64,
    pub rss_after_build_mb: f64,
    /// The dashboard (the whole province, latest month): median and p95 of 20 runs, in ms.
    pub dashboard_ms: f64,
    pub dashboard_p95_ms: f64,
    /// One department's units under one 类.
    pub drill_ms: f64,
    pub drill_p95_ms: f64,
    /// One unit down to its 项.
    pub unit_ms: f64,
    pub unit_p95_ms: f64,
    /// The pace rules over the year.
    pub pace_ms: f64,
    pub findings: usize,
    pub peak_rss_mb: f64,
}

fn p95_ms(mut f: impl FnMut()) -> (f64, f64) {
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

/// Runs the benchmark in `work` (an empty or missing folder, left in place).
pub fn run(work: &Path, corpus: &Path, units: usize, months: u8) -> Result<ExecBench> {
    let lib = Library::open(Config::new(work, corpus))?;
    let g = Generated::new(ExecPlan {
        units,
        year: 2025,
        seed: 1,
        planted: 0.02,
    });
    let mut r = ExecBench {
        units,
        rows_per_month: g.rows_per_month(),
        months,
        ..ExecBench::default()
    };
    let mut rows_total = 0usize;
    let mut push_total = 0.0;
    for m in 1..=months.clamp(1, 12) {
        let rows = g.month(m);
        let bytes = generate::csv(&rows);
        rows_total += rows.len();
        drop(rows);
        r.batch_mb = r.batch_mb.max(bytes.len() as f64 / 1e6);
        let t = Instant::now();
        let outcome = submit(
            &lib,
            Submission {
                id: format!("bench-2025-{m:02}"),
                seq: m as u64,
                source: generate::SOURCE.into(),
                by: "bench".into(),
                format: Format::Csv,
                unit: MoneyUnit::Wanyuan,
                bytes: &bytes,
            },
        )?;
        let s = t.elapsed().as_secs_f64();
        if let Outcome::Rejected(rec) = &outcome {
            return Err(Error::Invalid(format!(
                "generated batch refused: {:?}",
                rec.errors.first()
            )));
        }
        push_total += s;
        r.push_seconds.push((s * 100.0).round() / 100.0);
    }
    r.push_max_seconds = r.push_seconds.iter().copied().fold(0.0, f64::max);
    r.rows_per_second = rows_total as f64 / push_total.max(1e-9);
    r.store_mb = lib.store().size_bytes() as f64 / 1e6;
    let t = Instant::now();
    let cols = lib.execution_cache().get(lib.store())?;
    r.build_seconds = t.elapsed().as_secs_f64();
    r.entries = cols.len();
    r.columns_mb = cols.memory_bytes() as f64 / 1e6;
    r.rss_after_build_mb = rss_mb();
    let taxonomy = &lib.reference().taxonomy;
    let name = |c: &str| taxonomy.name(c).map(str::to_string);
    (r.dashboard_ms, r.dashboard_p95_ms) = p95_ms(|| {
        std::hint::black_box(dashboard(&cols, &ExecQuery::default(), &name));
    });
    let dept = cols.departments.get(5).cloned();
    (r.drill_ms, r.drill_p95_ms) = p95_ms(|| {
        let q = ExecQuery {
            department: dept.clone(),
            code: Some("208".into()),
            ..ExecQuery::default()
        };
        std::hint::black_box(dashboard(&cols, &q, &name));
    });
    let unit = cols.units.get(7).map(|u| u.name.clone());
    (r.unit_ms, r.unit_p95_ms) = p95_ms(|| {
        let q = ExecQuery {
            unit: unit.clone(),
            code: Some("20805".into()),
            ..ExecQuery::default()
        };
        std::hint::black_box(dashboard(&cols, &q, &name));
    });
    let t = Instant::now();
    let found = pace::check(
        &cols,
        2025,
        months.clamp(1, 12),
        &lib.reference().execution_rules,
    );
    r.pace_ms = t.elapsed().as_secs_f64() * 1000.0;
    r.findings = found.len();
    r.peak_rss_mb = peak_rss_mb();
    Ok(r)
}
