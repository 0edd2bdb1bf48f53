//! The command line while a server runs: a real `yusuan serve` on a scratch data folder, a folder ingested
//! by a command line through it while searches over HTTP go on (their latency before and during the
//! ingest), then the wall time of everyday commands through the server against the same commands in their
//! own process once the server has stopped.

use super::load::{Server, serve};
use super::percentile;
use crate::error::{Error, Result};
use crate::web::client;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct CliOptions {
    /// The yusuan binary.
    pub exe: PathBuf,
    /// The input folder of the server (reference data; its documents are ingested on first start).
    pub corpus: PathBuf,
    /// The folder the command line ingests while searches run (e.g. ../shared/corpus/laws).
    pub folder: PathBuf,
    /// STARD-format questions that the searches ask; a fixed list of budget questions otherwise.
    pub questions: Option<PathBuf>,
    /// Runs of each command.
    pub repeats: usize,
}

/// Latencies of one kind of request, in ms.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub(crate) fn of(mut ms: Vec<f64>) -> Latency {
        ms.sort_by(f64::total_cmp);
        Latency {
            count: ms.len(),
            p50_ms: percentile(&ms, 50.0),
            p95_ms: percentile(&ms, 95.0),
            p99_ms: percentile(&ms, 99.0),
            max_ms: ms.last().copied().unwrap_or(0.0),
        }
    }
}

/// One command's wall time, through the running server and in its own process.
#[derive(Debug, Clone, Serialize)]
pub struct CommandTiming {
    pub command: String,
    pub through_server: Latency,
    pub own_process: Latency,
}

/// The measurements.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CliReport {
    pub folder: String,
    /// The command line's summary of the ingest it ran through the server.
    pub ingest_summary: String,
    pub ingest_seconds: f64,
    /// Searches over HTTP (one at a time) on the idle server before the ingest (the input folder's samples
    /// only).
    pub search_idle: Latency,
    /// The same searches while the command line's ingest runs.
    pub search_during_ingest: Latency,
    /// The same searches once the folder is in.
    pub search_after_ingest: Latency,
    /// Searches that did not answer 200.
    pub search_errors: usize,
    pub commands: Vec<CommandTiming>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// Runs one command line on `data` and returns its standard output and wall time.
fn run_cli(exe: &Path, data: &Path, corpus: &Path, args: &[String]) -> Result<(String, f64)> {
    let start = Instant::now();
    let out = Command::new(exe)
        .arg("--index")
        .arg(data)
        .arg("--corpus")
        .arg(corpus)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(exe, e))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if !out.status.success() {
        return Err(invalid(format!(
            "yusuan {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok((String::from_utf8_lossy(&out.stdout).to_string(), ms))
}

fn questions(opts: &CliOptions) -> Result<Vec<String>> {
    let mut qs = match &opts.questions {
        Some(file) => crate::eval::read_questions(file)?
            .into_iter()
            .map(|q| q.query)
            .take(300)
            .collect(),
        None => Vec::new(),
    };
    if qs.is_empty() {
        qs = [
            "预算调整方案应当在什么时候提交审查",
            "决算草案由谁审计",
            "转移支付 绩效",
            "政府债务 限额",
            "预算公开 时限",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
    }
    Ok(qs)
}

/// One search over HTTP as a staff member; its latency in ms, or `None` if it did not answer 200.
fn search_once(server: &Server, token: &str, q: &str) -> Option<f64> {
    let path = format!(
        "/api/search?q={}&limit=10",
        crate::web::params::encode_component(q)
    );
    let start = Instant::now();
    let r = client::request(
        &server.base,
        "GET",
        &path,
        &[("Authorization", format!("Bearer {token}"))],
        &[],
        Duration::from_secs(60),
    )
    .ok()?;
    (r.status == 200).then(|| start.elapsed().as_secs_f64() * 1e3)
}

/// Every question once, one after another: the latencies, with the failures counted in `errors`.
fn search_all(server: &Server, token: &str, qs: &[String], errors: &mut usize) -> Vec<f64> {
    let mut ms = Vec::new();
    for q in qs {
        match search_once(server, token, q) {
            Some(t) => ms.push(t),
            None => *errors += 1,
        }
    }
    ms
}

/// Runs the benchmark in `work/data` (emptied first, left in place).
pub fn run(opts: &CliOptions, work: &Path) -> Result<CliReport> {
    let data = work.join("data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(work).map_err(|e| Error::io(work, e))?;
    let qs = questions(opts)?;
    let folder = std::path::absolute(&opts.folder).map_err(|e| Error::io(&opts.folder, e))?;
    let mut report = CliReport {
        folder: folder.display().to_string(),
        ..CliReport::default()
    };
    let cli = |args: &[&str]| -> Result<(String, f64)> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        run_cli(&opts.exe, &data, &opts.corpus, &args)
    };
    let mut server = serve(&opts.exe, &data, &opts.corpus)?;
    // The account the searches use, made through the server.
    cli(&["user", "add", "bench-cli", "--role", "staff"])?;
    let (out, _) = cli(&["user", "token", "bench-cli"])?;
    let token = out
        .lines()
        .nth(1)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("no token was printed"))?
        .to_string();

    let mut errors = 0;
    report.search_idle = Latency::of(search_all(&server, &token, &qs, &mut errors));

    // The ingest through the server, in a command line of its own, while one client searches without pause.
    let done = Arc::new(AtomicBool::new(false));
    let ingest = {
        let done = done.clone();
        let (exe, data, corpus) = (opts.exe.clone(), data.clone(), opts.corpus.clone());
        let args = vec!["ingest".to_string(), folder.display().to_string()];
        std::thread::spawn(move || {
            let r = run_cli(&exe, &data, &corpus, &args);
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    let mut during = Vec::new();
    'search: loop {
        for q in &qs {
            if done.load(Ordering::SeqCst) {
                break 'search;
            }
            match search_once(&server, &token, q) {
                Some(ms) => during.push(ms),
                None => errors += 1,
            }
        }
    }
    let (summary, ingest_ms) = ingest
        .join()
        .map_err(|_| invalid("the ingest thread panicked"))??;
    report.ingest_summary = summary.trim().to_string();
    report.ingest_seconds = ingest_ms / 1e3;
    report.search_during_ingest = Latency::of(during);
    report.search_after_ingest = Latency::of(search_all(&server, &token, &qs, &mut errors));
    report.search_errors = errors;

    // Everyday commands: through the server, then in their own process once it has stopped.
    let (found, _) = cli(&["search", &qs[0], "--json", "--limit", "1"])?;
    let first_id = serde_json::from_str::<serde_json::Value>(&found)
        .ok()
        .and_then(|v| v["hits"][0]["id"].as_str().map(str::to_string))
        .ok_or_else(|| invalid("the first question found nothing"))?;
    let commands: Vec<Vec<String>> = vec![
        vec!["status".into()],
        vec!["search".into(), qs[0].clone()],
        vec![
            "search".into(),
            "预算".into(),
            "--unit".into(),
            "document".into(),
        ],
        vec!["show".into(), first_id],
        vec!["proposals".into(), "list".into()],
        vec!["user".into(), "list".into()],
    ];
    let time = |args: &[String]| -> Result<Vec<f64>> {
        (0..opts.repeats.max(1))
            .map(|_| run_cli(&opts.exe, &data, &opts.corpus, args).map(|(_, ms)| ms))
            .collect()
    };
    let mut through = Vec::new();
    for c in &commands {
        through.push(time(c)?);
    }
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(server.child.id() as libc::pid_t, libc::SIGINT);
    }
    let _ = server.child.wait();
    for (c, t) in commands.iter().zip(through) {
        report.commands.push(CommandTiming {
            command: c.join(" "),
            through_server: Latency::of(t),
            own_process: Latency::of(time(c)?),
        });
    }
    Ok(report)
}

/// The report as text.
pub fn render(r: &CliReport) -> String {
    let mut s = format!(
        "ingest of {} through the server: {:.1} s ({})\n",
        r.folder,
        r.ingest_seconds,
        r.ingest_summary.lines().next().unwrap_or("")
    );
    let line = |name: &str, l: &Latency| {
        format!(
            "{name:<34} n {:>5}  p50 {:>7.1} ms  p95 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms\n",
            l.count, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        )
    };
    s.push_str(&line("search over HTTP, idle", &r.search_idle));
    s.push_str(&line(
        "search over HTTP, during the ingest",
        &r.search_during_ingest,
    ));
    s.push_str(&line(
        "search over HTTP, after the ingest",
        &r.search_after_ingest,
    ));
    s.push_str(&format!("search errors: {}\n", r.search_errors));
    s.push_str("command line wall time (p50 / p95), through the running server | own process:\n");
    for c in &r.commands {
        s.push_str(&format!(
            "  {:<40} {:>7.1} / {:>7.1} ms | {:>7.1} / {:>7.1} ms\n",
            c.command,
            c.through_server.p50_ms,
            c.through_server.p95_ms,
            c.own_process.p50_ms,
            c.own_process.p95_ms
        ));
    }
    s
}
