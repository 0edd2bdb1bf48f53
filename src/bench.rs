//! Benchmarks on a real corpus: segmentation speed, the bare indexing ceiling, full ingest throughput,
//! index size, peak memory and query latency.

/// The 预警 benchmark (a folder ingested end to end, then every document checked).
pub mod checks;
/// The command line while a server runs: commands through it, searches during a command-line ingest.
pub mod cli;
/// The working-together benchmark (generated accounts, documents and comments; inbox and thread reads).
pub mod collab;
/// The execution benchmark (a generated province pushed month by month, then the dashboard and pace rules).
pub mod execution;
/// The facts benchmark (generated budgets: import, in-memory columns, filtered query, sum by 类).
pub mod facts;
/// Hostile files generated in memory (bombs and damaged files of every format).
pub mod hostile;
/// The load benchmark over HTTP (a real server under `wrk`).
pub mod load;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::library::Library;
use crate::model::{Tags, Unit};
use crate::pipeline;
use crate::search::{self, SearchRequest};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `yusuan bench` measured.
#[derive(Debug, Clone, Serialize, Default)]
pub struct BenchReport {
    pub files: usize,
    pub documents: usize,
    pub articles: usize,
    /// Bytes of extracted text (the same text every stage below works on).
    pub text_mb: f64,
    /// jieba search-mode segmentation alone, one thread.
    pub segment_mb_per_s: f64,
    /// Indexing already-extracted documents with the same schema and analyzers, no store: the ceiling.
    pub bare_index_mb_per_s: f64,
    pub bare_index_seconds: f64,
    /// The real `ingest` of the files: read, extract, store, index, commit.
    pub ingest_seconds: f64,
    pub ingest_mb_per_s: f64,
    pub ingest_docs_per_s: f64,
    /// ingest MB/s ÷ bare index MB/s.
    pub ingest_vs_bare: f64,
    pub index_mb: f64,
    pub store_mb: f64,
    pub peak_rss_mb: f64,
    pub queries: usize,
    pub query_p50_ms: f64,
    pub query_p95_ms: f64,
    pub query_p99_ms: f64,
}

/// Peak resident memory of this process (VmHWM), in MB.
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Resident memory of this process now (VmRSS), in MB.
pub fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// A memory line of `/proc/self/status` in MB (0 where there is none).
fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs every measurement on `corpus` in a scratch folder under `work` (removed afterwards), with the
/// questions of `questions` (STARD format) for query latency.
pub fn run(
    base: &Config,
    corpus: &Path,
    work: &Path,
    questions: Option<&Path>,
) -> Result<BenchReport> {
    let mut r = BenchReport::default();
    std::fs::create_dir_all(work).map_err(|e| Error::io(work, e))?;
    let scratch = |name: &str| -> PathBuf { work.join(name) };
    let _ = std::fs::remove_dir_all(scratch("bare"));
    let _ = std::fs::remove_dir_all(scratch("full"));

    // Extract once, in memory: the documents both the segmenter and the bare loop work on.
    let (inputs, manifests) = pipeline::collect_inputs(&[corpus.to_path_buf()])?;
    r.files = inputs.len();
    let mut docs = Vec::new();
    for input in &inputs {
        if let Ok(d) = pipeline::prepare(input, &manifests, &base.extract) {
            docs.push(d);
        }
    }
    let text_bytes: usize = docs.iter().map(|d| d.body.len()).sum();
    r.text_mb = text_bytes as f64 / 1e6;
    r.documents = docs.len();
    r.articles = docs.iter().map(|d| d.articles.len()).sum();

    let lib_config = |dir: PathBuf| {
        let mut c = base.clone();
        c.data_dir = dir;
        c
    };
    let probe = Library::open(lib_config(scratch("probe")))?;
    let analyzer = probe.index().analyzer().clone();
    drop(probe);
    let _ = std::fs::remove_dir_all(scratch("probe"));

    let t = Instant::now();
    let mut words = 0usize;
    for d in &docs {
        words += analyzer.words(&crate::text::fold_str(&d.body)).len();
    }
    std::hint::black_box(words);
    r.segment_mb_per_s = r.text_mb / t.elapsed().as_secs_f64();

    let bare = SearchIndex::open(&scratch("bare"), analyzer.clone())?;
    let t = Instant::now();
    for d in &docs {
        bare.put(d, &Tags::default())?;
    }
    bare.commit()?;
    bare.close_writer()?;
    r.bare_index_seconds = t.elapsed().as_secs_f64();
    r.bare_index_mb_per_s = r.text_mb / r.bare_index_seconds;
    drop(bare);
    drop(docs);

    let lib = Library::open(lib_config(scratch("full")))?;
    let t = Instant::now();
    let report = pipeline::ingest(&lib, &[corpus.to_path_buf()], &|_| {})?;
    lib.index().close_writer()?;
    r.ingest_seconds = t.elapsed().as_secs_f64();
    r.ingest_mb_per_s = r.text_mb / r.ingest_seconds;
    r.ingest_docs_per_s = (report.added + report.updated) as f64 / r.ingest_seconds;
    r.ingest_vs_bare = r.ingest_mb_per_s / r.bare_index_mb_per_s;
    r.index_mb = lib.index().size_bytes() as f64 / 1e6;
    r.store_mb = lib.store().size_bytes() as f64 / 1e6;

    if let Some(path) = questions {
        let qs = crate::eval::read_questions(path)?;
        let mut times = Vec::with_capacity(qs.len());
        for q in &qs {
            let req = SearchRequest {
                q: q.query.chars().take(lib.config.max_query_chars).collect(),
                unit: Unit::Best,
                limit: 10,
                scope: crate::model::Scope::All,
                ..SearchRequest::default()
            };
            let t = Instant::now();
            search::search(&lib, &req)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        r.queries = times.len();
        r.query_p50_ms = percentile(&times, 50.0);
        r.query_p95_ms = percentile(&times, 95.0);
        r.query_p99_ms = percentile(&times, 99.0);
    }
    r.peak_rss_mb = peak_rss_mb();
    drop(lib);
    let _ = std::fs::remove_dir_all(scratch("bare"));
    let _ = std::fs::remove_dir_all(scratch("full"));
    Ok(r)
}
