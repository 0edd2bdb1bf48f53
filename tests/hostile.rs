//! Hostile input, generated here (nothing large is committed): dimension and cell bombs in workbooks, inflate
//! bombs in PDFs, nesting bombs in HTML, oversized text, very long file names and malformed files of every
//! format — through the library, the command line and a real server, which answers its health and a search
//! after each. The worker process limits are checked on real child processes.

mod common;

use common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use yusuan::bench::hostile::{
    html_nesting_bomb, long_text, ods_repeated_rows, ods_with_rows, pdf_inflating_to,
    pdf_object_stream_inflating_to, xls_sheet, xlsx_declared_grid, xlsx_far_cell, xlsx_many_cells,
};
use yusuan::error::ExtractError;
use yusuan::ingest::extract::{ExtractOptions, PdfIsolation, WorkerLimits, extract};

/// Options with PDFs in worker processes of the yusuan binary.
fn worker_opts() -> ExtractOptions {
    ExtractOptions {
        pdf: PdfIsolation::Process(PathBuf::from(env!("CARGO_BIN_EXE_yusuan"))),
        pdf_timeout: Duration::from_secs(60),
        ..ExtractOptions::default()
    }
}

fn over_limit(result: Result<yusuan::ingest::extract::Extracted, ExtractError>) -> String {
    match result {
        Err(ExtractError::OverLimit(reason)) => reason,
        other => panic!("expected a refusal over a limit, got {other:?}"),
    }
}

#[test]
fn a_cell_at_xfd1048576_is_two_cells_not_a_grid() {
    let out = extract(Path::new("far.xlsx"), &xlsx_far_cell(), &worker_opts()).unwrap();
    assert!(
        out.text.contains("远端单元格预算表"),
        "{}",
        &out.text[..100]
    );
    assert_eq!(out.tables[0].rows.len(), 2);
    assert_eq!(out.tables[0].rows[1].len(), 16_384);
    assert_eq!(out.tables[0].rows[1][16_383].text, "x");
}

#[test]
fn a_declared_whole_sheet_dimension_allocates_nothing() {
    let bytes = xlsx_declared_grid();
    let out = extract(Path::new("declared.xlsx"), &bytes, &worker_opts()).unwrap();
    assert_eq!(out.text, "Sheet1\n声明维度预算表\n\t12.5\n");
}

#[test]
fn workbooks_over_the_cell_limit_are_refused() {
    let bytes = xlsx_many_cells(2_100_000);
    assert!(bytes.len() < 2 << 20, "{}", bytes.len());
    let reason = over_limit(extract(Path::new("cells.xlsx"), &bytes, &worker_opts()));
    assert!(reason.contains("cells"), "{reason}");
}

#[test]
fn xls_and_ods_sheets_are_measured_before_calamine_builds_them() {
    // Small files of both formats are read: the generators write what calamine reads.
    let xls = xls_sheet((2, 2), &[(0, 0, 12.5), (1, 1, 3.75)]);
    let out = extract(Path::new("小表.xls"), &xls, &worker_opts()).unwrap();
    assert!(
        out.text.contains("12.5") && out.text.contains("3.75"),
        "{}",
        out.text
    );
    let ods = ods_with_rows(
        "<table:table-row><table:table-cell office:value-type=\"float\" office:value=\"7.25\">\
         <text:p>7.25</text:p></table:table-cell></table:table-row>",
    );
    let out = extract(Path::new("小表.ods"), &ods, &worker_opts()).unwrap();
    assert!(out.text.contains("7.25"), "{}", out.text);
    // Two cells at A1 and at row 65536, column 65536 would make a range of four billion cells.
    let far = xls_sheet((2, 2), &[(0, 0, 1.0), (65_535, 65_535, 2.0)]);
    let reason = over_limit(extract(Path::new("far.xls"), &far, &worker_opts()));
    assert!(reason.contains("spanning"), "{reason}");
    // A declared rectangle calamine would reserve room for.
    let declared = xls_sheet((0xFFFF_0000, 256), &[(0, 0, 1.0)]);
    let reason = over_limit(extract(
        Path::new("declared.xls"),
        &declared,
        &worker_opts(),
    ));
    assert!(reason.contains("declaring"), "{reason}");
    // Repeated rows of repeated cells: a few hundred bytes, 98 million cells once expanded.
    let repeated = ods_repeated_rows(6_000);
    assert!(repeated.len() < 4096, "{}", repeated.len());
    let reason = over_limit(extract(
        Path::new("repeated.ods"),
        &repeated,
        &worker_opts(),
    ));
    assert!(reason.contains("spanning"), "{reason}");
    // Just under the bound, the same sheet is read.
    let out = extract(
        Path::new("fits.ods"),
        &ods_repeated_rows(20),
        &worker_opts(),
    )
    .unwrap();
    assert!(out.text.contains("重复行预算表"));
}

#[test]
fn pdf_streams_inflating_past_the_cap_are_refused_in_the_worker() {
    let bomb = pdf_inflating_to(300 << 20);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    match extract(Path::new("bomb.pdf"), &bomb, &worker_opts()) {
        Err(ExtractError::PdfBroken(reason)) => {
            assert!(reason.contains("inflate to more than 256 MiB"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pdf_object_streams_inflating_past_the_cap_are_refused_before_the_parser_loads_them() {
    let bomb = pdf_object_stream_inflating_to(300 << 20);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    match extract(Path::new("objstm.pdf"), &bomb, &worker_opts()) {
        Err(ExtractError::PdfBroken(reason)) => {
            assert!(
                reason.contains("object streams inflate to more than 256 MiB"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A small object stream is read.
    let small = pdf_object_stream_inflating_to(4 << 10);
    let out = extract(Path::new("objstm-small.pdf"), &small, &worker_opts()).unwrap();
    assert!(out.text.contains("Budget report"), "{}", out.text);
}

#[test]
fn the_pdf_worker_fails_at_its_memory_limit_and_the_caller_lives_on() {
    // 200 MiB of content passes the inflate cap; the parser needs several times that, over a 256 MiB limit.
    let heavy = pdf_inflating_to(200 << 20);
    let opts = ExtractOptions {
        worker: WorkerLimits {
            memory_bytes: 256 << 20,
            cpu: Duration::from_secs(60),
        },
        ..worker_opts()
    };
    let reason = over_limit(extract(Path::new("heavy.pdf"), &heavy, &opts));
    assert!(reason.contains("memory"), "{reason}");
    // A small PDF still goes through a worker under the same limit.
    let small = pdf_inflating_to(1 << 10);
    let out = extract(Path::new("small.pdf"), &small, &opts).unwrap();
    assert!(out.text.contains("Budget report"), "{}", out.text);
}

#[test]
fn the_pdf_worker_is_stopped_at_its_cpu_limit() {
    let dir = tempfile::tempdir().unwrap();
    // A worker that spins: the kernel ends it after one second of CPU, long before the wall-clock timeout.
    let spin = write(dir.path(), "spin.sh", "#!/bin/sh\nwhile :; do :; done\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&spin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let opts = ExtractOptions {
        pdf: PdfIsolation::Process(spin),
        pdf_timeout: Duration::from_secs(120),
        worker: WorkerLimits {
            memory_bytes: 1 << 30,
            cpu: Duration::from_secs(1),
        },
        ..ExtractOptions::default()
    };
    let started = Instant::now();
    let reason = over_limit(extract(
        Path::new("spin.pdf"),
        &pdf_inflating_to(1 << 10),
        &opts,
    ));
    assert!(reason.contains("CPU"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn html_nested_100000_deep_is_refused_at_once() {
    let started = Instant::now();
    let reason = over_limit(extract(
        Path::new("deep.html"),
        &html_nesting_bomb(),
        &ExtractOptions::default(),
    ));
    assert!(reason.contains("nested"), "{reason}");
    // Parsing this file took 37 seconds; the bound only catches a return to that.
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// The files of the hostile suite, each with what becomes of it: `None` indexed, `Some(reason part)` refused.
fn hostile_files() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    yusuan::bench::hostile::files()
        .into_iter()
        .map(|f| (f.name, f.bytes, f.refused))
        .collect()
}

/// The peak resident memory of this process (the server runs on its threads), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[test]
fn the_server_keeps_serving_through_every_hostile_upload() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let config = config(dir.path()).with_pdf_worker(
        Path::new(env!("CARGO_BIN_EXE_yusuan")),
        Duration::from_secs(60),
    );
    let state = yusuan::web::start(config).unwrap();
    wait_idle(&state);
    let token = admin_token(&state);
    let server = Server::start(state);
    let http = client_with(&token);
    let alive = |after: &str| {
        let health: Value = http
            .get(server.url("/api/health"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(
            health["documents"].as_u64().unwrap() >= 4,
            "{after}: {health}"
        );
        let found: Value = http
            .get(server.url(&format!("/api/search?q={}", enc("预算草案"))))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(found["total"].as_u64().unwrap() >= 1, "{after}: {found}");
    };
    for (name, bytes, refused) in hostile_files() {
        let started = Instant::now();
        let form = reqwest::blocking::multipart::Form::new().part(
            "file",
            reqwest::blocking::multipart::Part::bytes(bytes).file_name(name),
        );
        let resp = http
            .post(server.url("/api/ingest"))
            .multipart(form)
            .send()
            .unwrap();
        assert_eq!(resp.status(), reqwest::StatusCode::ACCEPTED, "{name}");
        let task: Value = resp.json().unwrap();
        let url = server.url(&format!("/api/tasks/{}", task["id"].as_str().unwrap()));
        let task = loop {
            let t: Value = http.get(&url).send().unwrap().json().unwrap();
            if t["status"] == "done" || t["status"] == "failed" {
                break t;
            }
            assert!(started.elapsed() < Duration::from_secs(300), "{name}: {t}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let file = &task["files"][0];
        match refused {
            None => assert_eq!(file["status"], "indexed", "{name}: {task}"),
            Some(part) => {
                assert_eq!(file["status"], "failed", "{name}: {task}");
                let reason = file["reason"].as_str().unwrap();
                assert!(reason.contains(part), "{name}: {reason}");
            }
        }
        alive(name);
        eprintln!(
            "{name}: {:.1} s, peak RSS of the test process (server and file generator) {} MiB",
            started.elapsed().as_secs_f64(),
            peak_rss_mib()
        );
    }
    // The long text is cut for the index and the page, and downloads whole.
    let id = server
        .state
        .lib
        .store()
        .doc_ids()
        .unwrap()
        .into_iter()
        .find(|id| {
            server
                .state
                .lib
                .store()
                .get_meta(id)
                .unwrap()
                .is_some_and(|d| d.title == "超长预算说明")
        })
        .expect("the long text was indexed");
    let doc: Value = http
        .get(server.url(&format!("/api/documents/{}", enc(id.as_str()))))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let body = doc["body"].as_str().unwrap();
    assert!(
        body.len() <= 4 << 20 && body.len() > 4_000_000,
        "{}",
        body.len()
    );
    assert_eq!(
        doc["body_cut_from"].as_u64().unwrap(),
        long_text().len() as u64
    );
    let page = http
        .get(server.url(&format!("/documents/{}", enc(id.as_str()))))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("正文过长"), "the page says the text was cut");
    let original = http
        .get(server.url(&format!("/documents/{}/original", enc(id.as_str()))))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    assert_eq!(original.len(), long_text().len());
}

#[test]
fn a_long_cjk_file_name_is_stored_shortened_with_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let state = started_with_corpus(dir.path());
    let token = admin_token(&state);
    let server = Server::start(state);
    let long = format!(
        "{}.md",
        "关于二〇二四年市级一般公共预算支出执行情况的报告".repeat(5)
    );
    assert!(long.chars().count() > 78);
    let form = reqwest::blocking::multipart::Form::new()
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(
                "# 短名称文件\n\n财政收入稳定增长。\n".as_bytes().to_vec(),
            )
            .file_name("短名称.md"),
        )
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(
                "# 长名称文件\n\n星河湾水利工程预算说明。\n"
                    .as_bytes()
                    .to_vec(),
            )
            .file_name(long.clone()),
        );
    let resp = reqwest::blocking::Client::new()
        .post(server.url("/api/ingest"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::ACCEPTED);
    wait_idle(&server.state);
    let uploads: Vec<String> = std::fs::read_dir(server.state.lib.config.uploads_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(uploads.len(), 2, "{uploads:?}");
    assert!(
        uploads.iter().all(|n| n.ends_with(".md") && n.len() < 255),
        "{uploads:?}"
    );
    let found: Value = reqwest::blocking::Client::new()
        .get(server.url(&format!("/api/search?q={}", enc("星河湾"))))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(found["total"], 1, "{found}");
}

/// The sample corpus, indexed on a first start.
fn started_with_corpus(dir: &Path) -> yusuan::web::AppState {
    corpus(dir);
    started(dir)
}

#[test]
fn the_command_line_reports_hostile_files_and_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    std::fs::create_dir_all(&input).unwrap();
    write(&input, "正常.md", "# 正常文件\n\n预算草案应当细化。\n");
    for (name, bytes, _) in hostile_files() {
        std::fs::write(input.join(name), bytes).unwrap();
    }
    let index = dir.path().join("index");
    let out = Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(&index)
        .arg("ingest")
        .arg(&input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some(), "ended by a signal: {stderr}");
    for (name, _, refused) in hostile_files() {
        if refused.is_some() {
            assert!(
                stdout.contains(name) || stderr.contains(name),
                "{name}: {stdout}{stderr}"
            );
        }
    }
    let search = Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(&index)
        .args(["search", "预算草案", "--json"])
        .output()
        .unwrap();
    assert!(
        search.status.success(),
        "{}",
        String::from_utf8_lossy(&search.stderr)
    );
    let found: Value = serde_json::from_slice(&search.stdout).unwrap();
    assert_eq!(found["total"], 1, "{found}");
}

/// `yusuan serve` on a free port of loopback with the sample corpus and these extra flags; the child and its
/// address (`127.0.0.1:PORT`).
fn serve_binary(dir: &Path, flags: &[&str]) -> (std::process::Child, String) {
    corpus(dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(dir.join("index"))
        .arg("--corpus")
        .arg(dir.join("corpus"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(flags)
        .env("YUSUAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut addr = None;
    for line in lines.by_ref() {
        if let Some(a) = line.unwrap().strip_prefix("yusuan: http://") {
            addr = Some(a.trim().trim_end_matches('/').to_string());
            break;
        }
    }
    let addr = addr.expect("the server prints its address");
    // The log goes on being read, so that the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

#[test]
fn half_sent_request_heads_are_disconnected_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve_binary(dir.path(), &["--header-timeout-secs", "1"]);
    let opened = Instant::now();
    // 300 clients that never finish their request: two thirds send half a head, the rest nothing at all.
    let mut held: Vec<std::net::TcpStream> = (0..300)
        .map(|i| {
            let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
            if i % 3 != 0 {
                tcp.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    .unwrap();
            }
            tcp
        })
        .collect();
    // Meanwhile a reader is served.
    let login = reqwest::blocking::get(format!("http://{addr}/login")).unwrap();
    assert_eq!(login.status(), reqwest::StatusCode::OK);
    assert!(login.text().unwrap().contains("登录"));
    // Each held connection is closed by the server: reading ends (EOF or reset) instead of waiting on.
    for (i, tcp) in held.iter_mut().enumerate() {
        tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut buf = [0u8; 512];
        let closed = loop {
            match tcp.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
                Err(_) => break false,
            }
        };
        assert!(
            closed,
            "connection {i} still open {:.1} s after it was opened",
            opened.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "300 held connections closed within {:.1} s (timeout 1 s)",
        opened.elapsed().as_secs_f64()
    );
    // A head that arrives in time is answered, and the server still serves afterwards.
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    tcp.write_all(b"Connection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    child.kill().unwrap();
    child.wait().unwrap();
}
