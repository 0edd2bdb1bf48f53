//! The load benchmark: a real `yusuan serve` process on loopback driven by the `wrk` load generator with a
//! mix of search pages and document pages (as a logged-in staff member, through an API token). Phases: the
//! closed-loop capacity; the sustainable rate (the highest tried rate whose p99 stays under 200 ms without
//! errors); twice that rate for the whole duration (errors, latency, the server's memory); the sustainable
//! rate while an upload is being ingested; and with `--hostile` the sustainable rate while the generated
//! hostile files (bombs and damaged files of every format) are uploaded one after another.

use crate::auth::Role;
use crate::auth::accounts;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::web::client;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The yusuan binary that serves.
    pub exe: PathBuf,
    /// A data folder that already holds the documents (e.g. after `yusuan ingest ../shared/corpus/laws`).
    pub data: PathBuf,
    pub corpus: PathBuf,
    /// STARD-format questions: their text is what the search pages ask.
    pub questions: Option<PathBuf>,
    /// Seconds of each measured phase.
    pub seconds: u64,
    /// Open connections of the load generator.
    pub connections: usize,
    /// Files uploaded during the last phase (in tasks of at most `MAX_UPLOAD_FILES`, one after another).
    pub ingest: Vec<PathBuf>,
    /// Seconds of the last phase.
    pub ingest_seconds: u64,
    /// The p99 a sustainable rate must stay under, in ms.
    pub p99_limit_ms: f64,
    /// Upload the generated hostile files (`bench::hostile`) during a phase at the sustainable rate.
    pub hostile: bool,
}

/// One phase's figures, from wrk's own latency histogram.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Phase {
    pub name: String,
    pub connections: usize,
    /// The paced rate asked for; `None` for a closed loop (as fast as it answers).
    pub target_rps: Option<f64>,
    pub seconds: f64,
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Socket errors (connect, read, write, timeout) and answers with status ≥ 400.
    pub errors: u64,
    pub non_2xx: u64,
    /// The server's resident memory at the start, end and peak of the phase, in MB.
    pub rss_start_mb: f64,
    pub rss_end_mb: f64,
    pub rss_peak_mb: f64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LoadReport {
    pub documents: usize,
    pub urls: usize,
    pub search_urls: usize,
    pub document_urls: usize,
    pub connections: usize,
    pub capacity_rps: f64,
    pub sustainable_rps: f64,
    pub phases: Vec<Phase>,
    /// Documents the upload during the last phase added, and how long its task took.
    pub ingest_files: usize,
    pub ingest_seconds: f64,
    pub ingest_status: String,
    /// The hostile files uploaded during their phase (`--hostile`) and what became of each.
    pub hostile: Vec<HostileUpload>,
}

/// One hostile file uploaded during the load: its task's outcome and how long it took.
#[derive(Debug, Clone, Serialize, Default)]
pub struct HostileUpload {
    pub name: String,
    pub bytes: usize,
    pub status: String,
    pub seconds: f64,
}

/// Files per upload request the server accepts.
const MAX_UPLOAD_FILES: usize = 200;

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// A staff token and the URLs to request, from the data folder (which no server may hold yet).
fn prepare(opts: &LoadOptions) -> Result<(String, Vec<String>, usize, usize, usize)> {
    let lib = Library::open(Config::new(&opts.data, &opts.corpus))?;
    let store = lib.store();
    if store.get_user("load-bench")?.is_none() {
        accounts::add_user(store, "load-bench", Role::Staff, None, None)?;
    }
    let (_, token) = accounts::create_token(store, "load-bench", None, "load benchmark")?;
    let ids = store.doc_ids()?;
    let documents = ids.len();
    let step = (ids.len() / 2000).max(1);
    let docs: Vec<String> = ids
        .iter()
        .step_by(step)
        .map(|id| format!("/documents/{id}"))
        .collect();
    let mut searches = Vec::new();
    if let Some(q) = &opts.questions {
        let rows: Vec<serde_json::Value> = crate::eval::read_jsonl(q)?;
        for r in rows.iter().take(2000) {
            if let Some(text) = r["query"].as_str().or(r["question"].as_str()) {
                let text: String = text.chars().take(120).collect();
                searches.push(format!(
                    "/search?q={}",
                    crate::web::params::encode_component(&text)
                ));
            }
        }
    }
    for w in [
        "预算",
        "决算",
        "转移支付",
        "政府债务",
        "教育支出",
        "审查批准",
        "预算草案",
        "绩效",
    ] {
        searches.push(format!(
            "/search?q={}",
            crate::web::params::encode_component(w)
        ));
    }
    lib.close()?;
    let (n_search, n_docs) = (searches.len(), docs.len());
    // Half searches, half documents, interleaved.
    let mut urls = Vec::new();
    let n = n_search.max(n_docs);
    for i in 0..n {
        urls.push(searches[i % n_search].clone());
        if n_docs > 0 {
            urls.push(docs[i % n_docs].clone());
        }
    }
    Ok((token, urls, documents, n_search, n_docs))
}

/// The Lua script that makes wrk request the URLs in random order with the token, paced to `delay_ms`
/// between requests on each connection, and print its figures as JSON at the end.
fn script(urls: &[String], token: &str, delay_ms: f64) -> String {
    let list: Vec<String> = urls
        .iter()
        .map(|u| format!("\"{}\"", u.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!(
        r#"local urls = {{{list}}}
local headers = {{ ["Authorization"] = "Bearer {token}" }}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(os.time() + (seed or 0) * 7919)
end
function request()
  return wrk.format("GET", urls[math.random(#urls)], headers)
end
{delay}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\nRESULT {{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"#,
        list = list.join(","),
        delay = if delay_ms > 0.0 {
            format!("function delay()\n  return {delay_ms:.3}\nend")
        } else {
            String::new()
        }
    )
}

/// Resident memory of a process, in MB.
pub(super) fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// A `yusuan serve` process of a benchmark, killed when dropped.
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("127.0.0.1:0", e))?;
    Ok(l.local_addr()
        .map_err(|e| Error::io("127.0.0.1:0", e))?
        .port())
}

fn start_server(opts: &LoadOptions) -> Result<Server> {
    serve(&opts.exe, &opts.data, &opts.corpus)
}

/// Starts `yusuan serve` on a free loopback port and waits until it is healthy and idle.
pub(super) fn serve(exe: &Path, data: &Path, corpus: &Path) -> Result<Server> {
    let port = free_port()?;
    let child = Command::new(exe)
        .arg("--index")
        .arg(data)
        .arg("--corpus")
        .arg(corpus)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(exe, e))?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let start = Instant::now();
    loop {
        if let Ok(r) = client::request(
            &server.base,
            "GET",
            "/api/health",
            &[],
            &[],
            Duration::from_secs(5),
        ) && r.status == 200
            && r.text().contains("\"ok\"")
        {
            return Ok(server);
        }
        if start.elapsed() > Duration::from_secs(120) {
            return Err(invalid("the server did not come up within two minutes"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What every phase shares: the server, the scratch folder, the URLs, the token and the connections.
struct Driver<'a> {
    server: &'a Server,
    work: &'a Path,
    urls: &'a [String],
    token: &'a str,
    connections: usize,
}

impl Driver<'_> {
    /// Runs wrk for one phase while sampling the server's memory.
    fn phase(&self, name: &str, seconds: u64, target_rps: Option<f64>) -> Result<Phase> {
        run_phase(self, name, seconds, target_rps)
    }
}

fn run_phase(d: &Driver, name: &str, seconds: u64, target_rps: Option<f64>) -> Result<Phase> {
    let Driver {
        server,
        work,
        urls,
        token,
        connections,
    } = *d;
    // A paced phase opens enough connections that each sends at most five requests a second: the pause
    // between requests (≥ 200 ms) then dominates the answer time, so the offered rate holds until the
    // server saturates, and an overloaded server shows as queueing (latency) rather than as a lower rate.
    let connections = match target_rps {
        Some(r) => connections.max((r / 5.0).ceil() as usize),
        None => connections,
    };
    let delay_ms = target_rps.map_or(0.0, |r| 1000.0 * connections as f64 / r);
    let lua = work.join(format!("{name}.lua"));
    std::fs::write(&lua, script(urls, token, delay_ms)).map_err(|e| Error::io(&lua, e))?;
    let pid = server.child.id();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak: f64 = 0.0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(rss_mb(pid));
                std::thread::sleep(Duration::from_millis(250));
            }
            peak
        })
    };
    let rss_start = rss_mb(pid);
    let out = Command::new("wrk")
        .arg("-t2")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(&lua)
        .arg(&server.base)
        .output()
        .map_err(|e| {
            invalid(format!(
                "cannot run wrk ({e}); install it (Debian: apt-get install wrk)"
            ))
        })?;
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0.0);
    let rss_end = rss_mb(pid);
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| {
            invalid(format!(
                "wrk gave no result: {}{}",
                text,
                String::from_utf8_lossy(&out.stderr)
            ))
        })?;
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| invalid(format!("wrk result {json}: {e}")))?;
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let secs = n("duration_us") as f64 / 1e6;
    Ok(Phase {
        name: name.to_string(),
        connections,
        target_rps,
        seconds: secs,
        requests: n("requests"),
        rps: n("requests") as f64 / secs.max(1e-9),
        p50_ms: n("p50") as f64 / 1000.0,
        p90_ms: n("p90") as f64 / 1000.0,
        p99_ms: n("p99") as f64 / 1000.0,
        max_ms: n("max") as f64 / 1000.0,
        errors: n("connect") + n("read") + n("write") + n("timeout") + n("status"),
        non_2xx: n("status"),
        rss_start_mb: rss_start,
        rss_end_mb: rss_end,
        rss_peak_mb: peak.max(rss_start).max(rss_end),
    })
}

/// A multipart body with one part per (file name, bytes).
fn multipart(boundary: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, bytes) in files {
        let name = name.replace('"', "_");
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// The files of a batch with their names, read from disk.
fn read_files(files: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).map_err(|e| Error::io(f, e))?;
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            Ok((name, bytes))
        })
        .collect()
}

/// Uploads one batch of files as one task and waits until it ends: the task's status (`done`, `failed`,
/// `unfinished` after half an hour, or why the upload was refused) and its seconds.
fn upload_and_wait(base: &str, token: &str, files: &[(String, Vec<u8>)]) -> Result<(String, f64)> {
    let boundary = "yusuan-load-benchmark";
    let start = Instant::now();
    let r = client::request(
        base,
        "POST",
        "/api/ingest",
        &[
            (
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ),
            ("Authorization", format!("Bearer {token}")),
        ],
        &multipart(boundary, files),
        Duration::from_secs(600),
    )?;
    if r.status != 202 {
        return Ok((format!("upload refused: {} {}", r.status, r.text()), 0.0));
    }
    let task: serde_json::Value =
        serde_json::from_slice(&r.body).map_err(|e| invalid(format!("task answer: {e}")))?;
    let id = task["id"].as_str().unwrap_or_default().to_string();
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let t = client::request(
            base,
            "GET",
            &format!("/api/tasks/{id}"),
            &[("Authorization", format!("Bearer {token}"))],
            &[],
            Duration::from_secs(30),
        )?;
        let v: serde_json::Value = serde_json::from_slice(&t.body).unwrap_or_default();
        let secs = start.elapsed().as_secs_f64();
        match v["status"].as_str().unwrap_or("") {
            "done" => {
                // A file the task refused is named with its reason.
                let file = &v["files"][0];
                return Ok(match file["status"].as_str() {
                    Some("failed") => (
                        format!("refused: {}", file["reason"].as_str().unwrap_or("")),
                        secs,
                    ),
                    _ => ("done".into(), secs),
                });
            }
            "failed" => return Ok(("failed".into(), secs)),
            _ if start.elapsed() > Duration::from_secs(1800) => {
                return Ok(("unfinished".into(), secs));
            }
            _ => {}
        }
    }
}

/// Runs the benchmark (needs `wrk` on the PATH).
pub fn run(opts: &LoadOptions, work: &Path) -> Result<LoadReport> {
    std::fs::create_dir_all(work).map_err(|e| Error::io(work, e))?;
    let (token, urls, documents, search_urls, document_urls) = prepare(opts)?;
    if urls.is_empty() {
        return Err(invalid("the data folder holds nothing to request"));
    }
    let server = start_server(opts)?;
    let c = opts.connections;
    let mut report = LoadReport {
        documents,
        urls: urls.len(),
        search_urls,
        document_urls,
        connections: c,
        ..LoadReport::default()
    };
    let driver = Driver {
        server: &server,
        work,
        urls: &urls,
        token: &token,
        connections: c,
    };
    let phase = |name: &str, secs: u64, rate: Option<f64>| driver.phase(name, secs, rate);
    // Warm the caches, then the closed-loop capacity.
    phase("warm-up", 10, None)?;
    let capacity = phase("capacity", opts.seconds.min(30), None)?;
    report.capacity_rps = capacity.rps;
    report.phases.push(capacity.clone());
    // The sustainable rate: start at 70% of capacity, step down until p99 and errors are fine.
    let mut rate = (capacity.rps * 0.7).max(1.0);
    let mut sustainable = None;
    for _ in 0..5 {
        let p = phase("sustainable", opts.seconds, Some(rate))?;
        let ok = p.errors == 0 && p.p99_ms < opts.p99_limit_ms;
        report.phases.push(p);
        if ok {
            sustainable = Some(rate);
            break;
        }
        rate *= 0.75;
    }
    let rate = sustainable.ok_or_else(|| {
        invalid("no rate tried kept p99 under the limit without errors (see the phases)")
    });
    let rate = match rate {
        Ok(r) => r,
        Err(_) => return Ok(report),
    };
    report.sustainable_rps = rate;
    report
        .phases
        .push(phase("twice-sustainable", opts.seconds, Some(2.0 * rate))?);
    // Recovery: the sustainable rate right after the overload.
    report
        .phases
        .push(phase("after-overload", opts.seconds.min(20), Some(rate))?);
    if !opts.ingest.is_empty() {
        let files = opts.ingest.clone();
        report.ingest_files = files.len();
        let base = server.base.clone();
        let token2 = token.clone();
        let uploader = std::thread::spawn(move || -> Result<(f64, String)> {
            let start = Instant::now();
            // One task per batch of at most MAX_UPLOAD_FILES files, one after another.
            for batch in files.chunks(MAX_UPLOAD_FILES) {
                let (status, _) = upload_and_wait(&base, &token2, &read_files(batch)?)?;
                if status != "done" {
                    return Ok((start.elapsed().as_secs_f64(), status));
                }
            }
            Ok((start.elapsed().as_secs_f64(), "done".into()))
        });
        report.phases.push(phase(
            "sustainable-during-ingest",
            opts.ingest_seconds,
            Some(rate),
        )?);
        let (secs, status) = uploader
            .join()
            .map_err(|_| invalid("the upload thread failed"))??;
        report.ingest_seconds = secs;
        report.ingest_status = status;
    }
    if opts.hostile {
        let base = server.base.clone();
        let token2 = token.clone();
        // The hostile files, one task each, one after another, while the normal requests go on.
        let uploader = std::thread::spawn(move || -> Result<Vec<HostileUpload>> {
            let mut out = Vec::new();
            for f in super::hostile::files() {
                let bytes = f.bytes.len();
                let (status, seconds) =
                    upload_and_wait(&base, &token2, &[(f.name.to_string(), f.bytes)])?;
                out.push(HostileUpload {
                    name: f.name.to_string(),
                    bytes,
                    status,
                    seconds,
                });
            }
            Ok(out)
        });
        report.phases.push(phase(
            "sustainable-hostile-uploads",
            opts.ingest_seconds,
            Some(rate),
        )?);
        report.hostile = uploader
            .join()
            .map_err(|_| invalid("the upload thread failed"))??;
        // The server still answers once every hostile file was handled.
        report
            .phases
            .push(phase("after-hostile", opts.seconds.min(20), Some(rate))?);
    }
    Ok(report)
}

/// The report as text.
pub fn render(r: &LoadReport) -> String {
    let mut out = format!(
        "{} documents; {} URLs ({} searches, {} document pages); {} connections\ncapacity (closed loop): {:.1} requests/s; sustainable (p99 under the limit, no errors): {:.1} requests/s\n\n",
        r.documents,
        r.urls,
        r.search_urls,
        r.document_urls,
        r.connections,
        r.capacity_rps,
        r.sustainable_rps
    );
    out.push_str("phase                      conns  target/s  got/s  requests  p50 ms  p90 ms  p99 ms  max ms  errors  RSS start/end/peak MB\n");
    for p in &r.phases {
        out.push_str(&format!(
            "{:<26} {:>5} {:>9} {:>6.1} {:>9} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7}  {:.0}/{:.0}/{:.0}\n",
            p.name,
            p.connections,
            p.target_rps
                .map(|t| format!("{t:.1}"))
                .unwrap_or_else(|| "max".into()),
            p.rps,
            p.requests,
            p.p50_ms,
            p.p90_ms,
            p.p99_ms,
            p.max_ms,
            p.errors,
            p.rss_start_mb,
            p.rss_end_mb,
            p.rss_peak_mb
        ));
    }
    if r.ingest_files > 0 {
        out.push_str(&format!(
            "\nupload of {} files during the last phase (tasks of up to 200 files): {} after {:.1} s\n",
            r.ingest_files, r.ingest_status, r.ingest_seconds
        ));
    }
    if !r.hostile.is_empty() {
        out.push_str("\nhostile uploads during their phase (one task each):\n");
        for h in &r.hostile {
            out.push_str(&format!(
                "  {:<16} {:>9} bytes  {:>6.1} s  {}\n",
                h.name, h.bytes, h.seconds, h.status
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_paces_and_quotes() {
        let s = script(&["/search?q=\"a\"".into()], "tok", 40.0);
        assert!(s.contains(r#""/search?q=\"a\"""#));
        assert!(s.contains("return 40.000"));
        assert!(s.contains("Bearer tok"));
        assert!(!script(&["/".into()], "t", 0.0).contains("function delay"));
    }
}
