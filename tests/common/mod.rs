//! Fixtures shared by the web and browser suites: small documents written to a temporary folder, and a real
//! server on 127.0.0.1:0 running on its own thread.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use yusuan::config::Config;
use yusuan::web::{self, AppState};

pub const LAW_V1: &str = "# 中华人民共和国示范预算法\n\n1994年3月22日 第八届全国人民代表大会第二次会议通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了规范政府收支行为，强化预算约束，制定本法。\n\n第二条 预算、决算的编制、审查、批准、监督，依照本法规定执行。\n\n## 第四章 预算审查和批准\n\n第四十四条 国务院财政部门应当在每年全国人民代表大会会议举行的四十五日前，将中央预算草案的初步方案提交全国人民代表大会财政经济委员会进行初步审查。\n\n第四十六条 报送各级人民代表大会审查和批准的预算草案应当细化。\n";

pub const LAW_V2: &str = "# 中华人民共和国示范预算法\n\n1994年3月22日 第八届全国人民代表大会第二次会议通过\n\n2018年12月29日 第十三届全国人民代表大会常务委员会第七次会议第二次修正\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了规范政府收支行为，强化预算约束，加强对预算的管理和监督，制定本法。\n\n第二条 预算、决算的编制、审查、批准、监督，以及预算的执行和调整，依照本法规定执行。\n\n## 第四章 预算审查和批准\n\n第四十四条 国务院财政部门应当在每年全国人民代表大会会议举行的四十五日前，将中央预算草案的初步方案提交全国人民代表大会财政经济委员会进行初步审查。\n\n第四十五条 初步审查的结果，依照本法第四十四条的规定报告。\n\n第四十六条 报送各级人民代表大会审查和批准的预算草案应当细化。本级一般公共预算支出，按其功能分类应当编列到项。\n\n第四十七条 国务院应当及时处理待处理的审查意见。\n";

pub const RULE: &str = "# 示范监督条例\n\n2020年1月1日 示范省人民代表大会常务委员会通过\n\n<!-- INFO END -->\n\n第一条 预算审查监督依照《示范预算法》第四十六条的规定进行。\n\n第二条 本条例自公布之日起施行。\n";

pub const REPORT: &str = "2021年政府工作报告\n\n各位代表：\n\n支持中国农业发展银行加大对乡村振兴的信贷投放。\n全年财政赤字率拟按3.2%左右安排。\n";

/// Writes `text` to `dir/rel`, creating folders.
pub fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// A corpus folder with two versions of a law, a rule citing it and a report.
pub fn corpus(dir: &Path) -> PathBuf {
    let c = dir.join("corpus");
    write(&c, "laws/示范预算法(2014-08-31).md", LAW_V1);
    write(&c, "laws/示范预算法(2018-12-29).md", LAW_V2);
    write(&c, "laws/示范监督条例(2020-01-01).md", RULE);
    write(&c, "reports/2021年政府工作报告.txt", REPORT);
    c
}

/// The password of the administrator created on first start in tests.
pub const ADMIN_PASSWORD: &str = "sample-admin-password-2026";

pub fn config(dir: &Path) -> Config {
    let mut c = Config::new(dir.join("index"), dir.join("corpus"));
    c.admin_password = Some(ADMIN_PASSWORD.into());
    c
}

/// A staff member acting in-process (router tests put it on the request as the authenticated viewer).
pub fn staff() -> yusuan::auth::Viewer {
    yusuan::auth::Viewer {
        user: Some("staff-test".into()),
        role: yusuan::auth::Role::Staff,
        deputy: None,
    }
}

/// A deputy acting in-process who owns no document: restricted documents are outside their scope.
pub fn outside_deputy() -> yusuan::auth::Viewer {
    yusuan::auth::Viewer {
        user: Some("d".into()),
        role: yusuan::auth::Role::Deputy,
        deputy: Some("某代表".into()),
    }
}

/// Marks a stored document 内部 (restricted), as staff would.
pub fn restrict(state: &AppState, id: &str) {
    assert!(
        yusuan::pipeline::set_access(
            &state.lib,
            &yusuan::model::DocId(id.to_string()),
            yusuan::model::Access::Restricted
        )
        .unwrap()
    );
}

/// An API token of the first administrator, for tests that talk to a real server over HTTP.
pub fn admin_token(state: &AppState) -> String {
    yusuan::auth::accounts::create_token(state.lib.store(), "admin", None, "tests")
        .unwrap()
        .1
}

/// Starts the state as `yusuan serve` does (first start: the corpus is queued) and waits until idle.
pub fn started(dir: &Path) -> AppState {
    let state = web::start(config(dir)).unwrap();
    wait_idle(&state);
    state
}

/// Waits until no ingest task is queued or running.
pub fn wait_idle(state: &AppState) {
    let start = Instant::now();
    while state.tasks.busy() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "ingest did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A real server on 127.0.0.1:0, running on its own thread until the test process ends.
pub struct Server {
    pub base: String,
    pub state: AppState,
}

impl Server {
    pub fn start(state: AppState) -> Server {
        let (tx, rx) = std::sync::mpsc::channel();
        let serving = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                web::run(listener, serving).await.unwrap();
            });
        });
        let addr = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Server {
            base: format!("http://{addr}"),
            state,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A multipart/form-data body with one part per (field, file name, bytes).
pub fn multipart(boundary: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, name, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// Percent-encodes a URL component.
pub fn enc(s: &str) -> String {
    yusuan::web::params::encode_component(s)
}

/// The tables of one final account's reference grids (`tests/data/final-accounts/<stem>.json`, every cell
/// checked against the rendered pages), continued pages joined into one table as the PDF reader gives them;
/// with the PDF's file name.
pub fn final_account(stem: &str) -> (String, Vec<yusuan::budget::Table>) {
    let path = format!(
        "{}/tests/data/final-accounts/{stem}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut tables: Vec<yusuan::budget::Table> = Vec::new();
    for t in v["tables"].as_array().unwrap() {
        let page = t["page"].as_u64().unwrap() as u32;
        let rows: Vec<Vec<yusuan::budget::Cell>> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| match c.as_str() {
                        Some(s) => yusuan::budget::Cell {
                            text: s.to_string(),
                            page: Some(page),
                            ..yusuan::budget::Cell::default()
                        },
                        None => yusuan::budget::Cell {
                            covered: true,
                            page: Some(page),
                            ..yusuan::budget::Cell::default()
                        },
                    })
                    .collect()
            })
            .collect();
        if t["continued"].as_bool() == Some(true)
            && let Some(last) = tables.last_mut()
        {
            last.rows.extend(rows);
            last.pages = last.pages.map(|(a, _)| (a, page));
            continue;
        }
        tables.push(yusuan::budget::Table {
            title: t["title"].as_str().unwrap().to_string(),
            unit: t["unit"].as_str().map(|u| format!("单位：{u}")),
            pages: Some((page, page)),
            rows,
        });
    }
    let file = v["file"].as_str().unwrap().to_string();
    (file, tables)
}

/// An HTTP client that sends an API token with every request.
pub fn client_with(token: &str) -> reqwest::blocking::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::blocking::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The PDF writer of the generated test files.
#[allow(unused_imports)]
pub use yusuan::bench::hostile::pdf_of;

/// Runs the yusuan binary on the data folder `data` with `args` and returns its output.
pub fn run_yusuan(data: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

/// A response read whole: status, headers and body.
pub struct Reply {
    pub status: axum::http::StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A request through the router without a socket, as `viewer` (put on the request as the authenticated viewer).
pub fn send_as(
    state: &AppState,
    mut req: axum::http::Request<axum::body::Body>,
    viewer: yusuan::auth::Viewer,
) -> Reply {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        req.extensions_mut().insert(viewer);
        let resp = tower::ServiceExt::oneshot(web::router(state.clone()), req)
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    })
}

/// A GET through the router without a socket, as `viewer`.
pub fn get_as(state: &AppState, uri: &str, viewer: yusuan::auth::Viewer) -> Reply {
    let req = axum::http::Request::get(uri)
        .body(axum::body::Body::empty())
        .unwrap();
    send_as(state, req, viewer)
}

/// A POST of a JSON body through the router without a socket, as `viewer`.
pub fn post_json_as(
    state: &AppState,
    uri: &str,
    body: &serde_json::Value,
    viewer: yusuan::auth::Viewer,
) -> Reply {
    let req = axum::http::Request::post(uri)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    send_as(state, req, viewer)
}

/// A real `yusuan serve` process on a free port, killed when dropped.
pub struct Serving {
    pub child: std::process::Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `yusuan serve` on `data` and `corpus` and waits until it prints its address (the corpus ingest of
/// the first start runs in the background); the server's log is drained so that it never blocks.
pub fn serve_process(data: &Path, corpus: &Path) -> Serving {
    serve_process_with(data, corpus, &[])
}

/// `serve_process` with more arguments for `serve` (limits).
pub fn serve_process_with(data: &Path, corpus: &Path, extra: &[&str]) -> Serving {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(data)
        .arg("--corpus")
        .arg(corpus)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .env("YUSUAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("yusuan: ")
                .map(|a| a.trim_end_matches('/').to_string())
        })
        .expect("the server prints its address");
    std::thread::spawn(move || for _ in lines {});
    Serving { child, base }
}

/// Runs the yusuan binary on `data` and `corpus`, asserts that it succeeded, returns its standard output.
pub fn yusuan_ok(data: &Path, corpus: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(data)
        .arg("--corpus")
        .arg(corpus)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "yusuan {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
