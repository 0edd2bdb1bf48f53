//! The 预警 benchmark: a folder of budget and final-account documents ingested end to end into a temporary data
//! folder (extraction, tables, facts, links, index), then the checks of each document and of the whole library
//! timed (median of repeated runs).

use crate::budget::alerts;
use crate::config::Config;
use crate::error::Result;
use crate::library::Library;
use crate::model::Scope;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What `yusuan bench-checks` measured.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ChecksBench {
    pub documents: usize,
    /// Ingest of the folder, end to end, flushed and committed.
    pub ingest_seconds: f64,
    /// Per document: its title, its findings and the median time to check it.
    pub per_document: Vec<(String, usize, f64)>,
    /// Checking every document of the library (the 预警 list), median.
    pub all_ms: f64,
    pub findings: usize,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

/// Ingests `folder` into `work` (a fresh data folder) with the reference data of `corpus`, then times the checks
/// `repeats` times.
pub fn run(folder: &Path, work: &Path, corpus: &Path, repeats: usize) -> Result<ChecksBench> {
    let lib = Library::open(Config::new(work.join("index"), corpus))?;
    let started = Instant::now();
    let report = crate::pipeline::ingest(&lib, &[folder.to_path_buf()], &|_| {})?;
    let mut out = ChecksBench {
        ingest_seconds: started.elapsed().as_secs_f64(),
        ..ChecksBench::default()
    };
    let repeats = repeats.max(1);
    for id in &report.doc_ids {
        let title = lib
            .store()
            .get_meta(id)?
            .map(|d| d.title)
            .unwrap_or_default();
        let mut samples = Vec::with_capacity(repeats);
        let mut count = 0;
        for _ in 0..repeats {
            let t = Instant::now();
            count = alerts::findings(&lib, id, &Scope::All)?.map_or(0, |f| f.len());
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        out.per_document.push((title, count, median(samples)));
    }
    out.documents = out.per_document.len();
    let mut samples = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t = Instant::now();
        let all = alerts::all_findings(&lib, &Scope::All)?;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        out.findings = all.iter().map(|d| d.findings.len()).sum();
    }
    out.all_ms = median(samples);
    lib.close()?;
    Ok(out)
}
