//! The web edge: every route through the router without a socket (`oneshot`), bad parameters and oversized
//! uploads included; then a real server over HTTP (first-start indexing, upload, search); and, with
//! YUSUAN_SHARED set, the search page's server time on the real 经济法 laws.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use yusuan::search::{SearchRequest, search};
use yusuan::web::tasks::{Task, TaskKind, TaskStatus};
use yusuan::web::{self, AppState};

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
    /// Asserts a JSON error with this status and code; returns the message.
    fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text());
        let v = self.json();
        assert_eq!(v["error"]["code"], code, "{v}");
        v["error"]["message"].as_str().unwrap().to_string()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn send(state: &AppState, req: Request<Body>) -> Reply {
    rt().block_on(async {
        let resp = web::router(state.clone())
            .oneshot(as_staff(req))
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

fn get(state: &AppState, uri: &str) -> Reply {
    send(state, Request::get(uri).body(Body::empty()).unwrap())
}

fn post_files(state: &AppState, uri: &str, files: &[(&str, &str, &[u8])]) -> Reply {
    let boundary = "yusuan-test-boundary";
    send(
        state,
        Request::post(uri)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(multipart(boundary, files)))
            .unwrap(),
    )
}

fn fixture(dir: &Path) -> AppState {
    corpus(dir);
    started(dir)
}

/// Finds the id of the newest version of the sample law through the API.
fn law_id(state: &AppState) -> String {
    let r = get(
        state,
        &format!(
            "/api/search?q={}&unit=document&status={}",
            enc("细化"),
            enc("有效")
        ),
    )
    .json();
    r["hits"][0]["doc_id"].as_str().unwrap().to_string()
}

fn article_id(state: &AppState, q: &str) -> String {
    let r = get(state, &format!("/api/search?q={}&unit=article", enc(q))).json();
    r["hits"][0]["id"].as_str().unwrap().to_string()
}

fn wait_task(state: &AppState, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let t = get(state, &format!("/api/tasks/{id}")).json();
        if t["status"] == "done" || t["status"] == "failed" {
            return t;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "task did not finish: {t}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn first_start_indexes_the_corpus_and_health_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let h = get(&state, "/api/health");
    assert_eq!(h.status, StatusCode::OK);
    let h = h.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["documents"], 4);
    assert!(h["indexing"].is_null());
    let tasks = state.tasks.recent(10).unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0].kind, tasks[0].status),
        (TaskKind::Corpus, TaskStatus::Done)
    );
    assert_eq!(tasks[0].summary.as_ref().unwrap().added, 4);
    // A second start finds documents and queues nothing.
    drop(state);
}

#[test]
fn api_search_returns_the_cli_model() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let r = get(&state, &format!("/api/search?q={}", enc("功能分类")));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("application/json"));
    let req = SearchRequest {
        q: "功能分类".into(),
        limit: 20,
        ..SearchRequest::default()
    };
    let expected: Value =
        serde_json::from_str(&serde_json::to_string(&search(&state.lib, &req).unwrap()).unwrap())
            .unwrap();
    assert_eq!(r.json(), expected);
    assert_eq!(
        expected["hits"][0]["name"],
        "中华人民共和国示范预算法第四十六条"
    );
    assert!(
        expected["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>功能分类</mark>")
    );
}

#[test]
fn api_search_filters_sorts_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let all = get(
        &state,
        &format!("/api/search?q={}&unit=document", enc("预算")),
    )
    .json();
    assert_eq!(all["total"], 3, "{all}");
    let valid = get(
        &state,
        &format!(
            "/api/search?q={}&unit=document&status={}",
            enc("预算"),
            enc("有效")
        ),
    )
    .json();
    assert_eq!(valid["total"], 2, "{valid}");
    let old = get(
        &state,
        &format!("/api/search?q={}&unit=document&year=2014", enc("预算")),
    )
    .json();
    assert_eq!(old["total"], 1);
    assert_eq!(old["hits"][0]["validity"], "已修改");
    let by_date = get(
        &state,
        &format!("/api/search?q={}&unit=document&sort=date", enc("预算")),
    )
    .json();
    let years: Vec<i64> = by_date["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2020, 2018, 2014]);
    let page2 = get(
        &state,
        &format!(
            "/api/search?q={}&unit=document&sort=date&limit=1&page=2",
            enc("预算")
        ),
    )
    .json();
    assert_eq!(
        (page2["offset"].as_i64(), page2["hits"][0]["year"].as_i64()),
        (Some(1), Some(2018))
    );
    let kinds = get(
        &state,
        &format!(
            "/api/search?q={}&kind={}&kind={}",
            enc("预算"),
            enc("工作报告"),
            enc("法律")
        ),
    )
    .json();
    assert!(kinds["total"].as_u64().unwrap() >= 1);
    // Facets come with counts.
    let kind_facet = all["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "validity")
        .unwrap();
    assert!(
        kind_facet["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "有效" && v["count"] == 2)
    );
}

#[test]
fn api_search_refuses_bad_parameters_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    for (query, needle) in [
        (format!("kind={}", enc("小说")), "kind"),
        (format!("status={}", enc("有")), "status"),
        ("year=20x8".to_string(), "year"),
        ("year=2022..2018".to_string(), "2022..2018"),
        ("page=0".to_string(), "page"),
        ("limit=abc".to_string(), "limit"),
        ("limit=100000".to_string(), "limit"),
        ("offset=99999999".to_string(), "offset"),
        ("unit=chapter".to_string(), "unit"),
        ("sort=random".to_string(), "sort"),
        (format!("q={}", enc("\"预算")), "not closed"),
        (format!("q={}", "%E5%AD%97".repeat(600)), "longer"),
        ("q=%ZZ".to_string(), "%"),
        ("q=%FF%FE".to_string(), "UTF-8"),
    ] {
        let r = get(&state, &format!("/api/search?{query}"));
        let message = r.error(StatusCode::BAD_REQUEST, "bad_request");
        assert!(message.contains(needle), "{query}: {message}");
    }
}

#[test]
fn search_page_shows_highlights_facets_paging_and_keeps_state_in_links() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let r = get(&state, &format!("/search?q={}&limit=2", enc("预算")));
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(
        r.header("content-security-policy")
            .contains("default-src 'none'")
    );
    let html = r.text();
    assert!(html.contains("<mark>预算</mark>"), "{html}");
    assert!(html.contains("class=\"facets\""));
    // Facet links add a filter and keep the query and the page size; paging links keep everything.
    let facet = format!(
        "/search?q={}&#38;status={}&#38;limit=2",
        enc("预算"),
        enc("有效")
    );
    assert!(html.contains(&facet), "{facet} not in page");
    assert!(html.contains(&format!("/search?q={}&#38;limit=2&#38;page=2", enc("预算"))));
    assert!(html.contains("value=\"预算\""));
    // With a filter: the chip removes it, the form keeps it.
    let html = get(
        &state,
        &format!("/search?q={}&status={}", enc("预算"), enc("已修改")),
    )
    .text();
    assert!(html.contains("时效性：已修改 ✕"), "{html}");
    assert!(html.contains("<input type=\"hidden\" name=\"status\" value=\"已修改\">"));
    assert!(html.contains(&format!("href=\"/search?q={}\"", enc("预算"))));
    // The document/article toggle and date sort.
    let html = get(
        &state,
        &format!("/search?q={}&unit=document&sort=date", enc("预算")),
    )
    .text();
    assert!(html.contains("class=\"on\" aria-current=\"true\">按文档</a>"));
    assert!(html.contains("class=\"on\" aria-current=\"true\">日期</a>"));
    // An empty query browses the library; the landing page lists the newest documents, and a `/` with a query
    // (an old link) answers as the search page.
    assert!(
        get(&state, "/search")
            .text()
            .contains("中华人民共和国示范预算法")
    );
    let home = get(&state, "/");
    assert_eq!(home.status, StatusCode::OK);
    let html = home.text();
    assert!(html.contains("id=\"home-recent\""), "{html}");
    assert!(html.contains("中华人民共和国示范预算法"), "{html}");
    assert!(html.contains("收录 4 篇文件"), "{html}");
    let old = get(&state, &format!("/?q={}", enc("预算")));
    assert_eq!(old.status, StatusCode::OK);
    assert!(old.text().contains("条结果") && !old.text().contains("home-recent"));
}

#[test]
fn search_page_refuses_bad_parameters_with_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let r = get(&state, &format!("/search?q=x&kind={}", enc("小说")));
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(
        r.text().contains("参数 kind 的值「小说」无效"),
        "{}",
        r.text()
    );
    let r = get(&state, "/search?limit=5000");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[test]
fn document_page_has_metadata_toc_anchors_versions_and_highlights() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = law_id(&state);
    let r = get(&state, &format!("/documents/{id}?q={}", enc("细化")));
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("<h1 id=\"title\">中华人民共和国示范预算法"),
        "{html}"
    );
    assert!(html.contains("id=\"第四十六条\""));
    assert!(html.contains("<mark>细化</mark>"));
    assert!(
        html.contains("href=\"#h2\">第四章 预算审查和批准</a>"),
        "{html}"
    );
    assert!(html.contains("id=\"versions\""));
    assert!(html.contains("2018-12-29（本版本）"));
    assert!(html.contains(">2014-08-31</a>"));
    assert!(html.contains("第二次修正"));
    // Citations inside articles link to the cited article.
    let cited = get(
        &state,
        &format!(
            "/api/search?q={}&unit=article&status={}",
            enc("国务院财政部门应当在每年"),
            enc("有效")
        ),
    )
    .json()["hits"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        html.contains(&format!(
            "<a class=\"cite\" href=\"/articles/{cited}?q={}\">本法第四十四条</a>",
            enc("细化")
        )),
        "{html}"
    );
    // Without a query nothing is highlighted.
    assert!(
        !get(&state, &format!("/documents/{id}"))
            .text()
            .contains("<mark>")
    );
    // A law shows its validity; a work report is neither in force nor repealed and shows no badge.
    assert!(
        html.contains("<span class=\"tag valid\">有效</span>"),
        "{html}"
    );
    let report = get(
        &state,
        &format!("/api/search?q={}&unit=document", enc("政府工作报告")),
    )
    .json();
    let report = report["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "工作报告")
        .unwrap_or_else(|| panic!("{report}"))["doc_id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = get(&state, &format!("/documents/{report}")).text();
    assert!(page.contains("<h1 id=\"title\">"));
    for badge in ["有效</span>", "已修改</span>", "已废止</span>"] {
        assert!(!page.contains(&format!("\">{badge}")), "{badge}");
    }
    let missing = get(&state, "/documents/0000000000000000");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing
            .text()
            .contains("没有 id 为 0000000000000000 的文档")
    );
}

#[test]
fn api_documents_and_articles_return_json() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = law_id(&state);
    let d = get(&state, &format!("/api/documents/{id}"));
    assert_eq!(d.status, StatusCode::OK);
    let d = d.json();
    assert_eq!(d["title"], "中华人民共和国示范预算法");
    assert_eq!(d["validity"], "有效");
    assert_eq!(d["articles"].as_array().unwrap().len(), 6);
    assert_eq!(d["versions"].as_array().unwrap().len(), 2);
    get(&state, "/api/documents/nope").error(StatusCode::NOT_FOUND, "not_found");

    let a = get(
        &state,
        &format!("/api/articles/{}", article_id(&state, "初步审查的结果")),
    );
    assert_eq!(a.status, StatusCode::OK);
    let a = a.json();
    assert_eq!(a["label"], "第四十五条");
    assert_eq!(a["citations"][0]["text"], "依照本法第四十四条");
    let cited = a["citations"][0]["article"].as_str().unwrap();
    let target = get(&state, &format!("/api/articles/{cited}")).json();
    assert_eq!(target["name"], "中华人民共和国示范预算法第四十四条");
    assert_eq!(target["doc_id"], id);
    get(&state, "/api/articles/nope-1").error(StatusCode::NOT_FOUND, "not_found");
}

#[test]
fn article_page_links_citations_to_the_cited_articles() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    // A citation of another law by name.
    let rule_article = article_id(&state, "审查监督依照");
    let html = get(
        &state,
        &format!("/articles/{rule_article}?q={}", enc("审查")),
    )
    .text();
    let newest46 = get(
        &state,
        &format!(
            "/api/search?q={}&unit=article&status={}",
            enc("功能分类"),
            enc("有效")
        ),
    )
    .json();
    let target = newest46["hits"][0]["id"].as_str().unwrap();
    assert!(
        html.contains(&format!(
            "<a class=\"cite\" href=\"/articles/{target}?q={}\">",
            enc("审查")
        )),
        "{html}"
    );
    assert!(html.contains("<mark>审查</mark>"));
    assert!(html.contains("示范监督条例</a> › 第一条"), "{html}");
    // A reference to the same law (本法第四十四条) links inside it.
    let html = get(
        &state,
        &format!("/articles/{}", article_id(&state, "初步审查的结果")),
    )
    .text();
    assert!(html.contains(">本法第四十四条</a>"), "{html}");
    assert!(html.contains("rel=\"prev\""));
    assert_eq!(
        get(&state, "/articles/nope-3").status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn original_files_download_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = law_id(&state);
    let r = get(&state, &format!("/documents/{id}/original"));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, LAW_V2.as_bytes());
    let cd = r.header("content-disposition");
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(
        cd.contains(&format!(
            "filename*=UTF-8''{}",
            enc("示范预算法(2018-12-29).md")
        )),
        "{cd}"
    );
    std::fs::remove_file(dir.path().join("corpus/laws/示范预算法(2018-12-29).md")).unwrap();
    let gone = get(&state, &format!("/documents/{id}/original"));
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(
        !gone.text().contains(dir.path().to_str().unwrap()),
        "a server path leaked"
    );
    assert_eq!(
        get(&state, "/documents/nope/original").status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn api_upload_becomes_a_task_and_then_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let text = "2023年示范市决算报告\n\n示范市全年一般公共预算收入完成情况良好，蓝鲸湾港口建设资金到位。\n";
    let r = post_files(
        &state,
        "/api/ingest",
        &[
            ("file", "../示范决算.txt", text.as_bytes()),
            ("file", "空白.txt", b""),
            ("file", "压缩包.docx", b"PK\x03\x04 not really a zip"),
        ],
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let task = r.json();
    let id = task["id"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), format!("/api/tasks/{id}"));
    assert_eq!(task["files"][0]["name"], "示范决算.txt");
    let done = wait_task(&state, &id);
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["files"][0]["status"], "indexed");
    assert_eq!(done["files"][1]["status"], "failed");
    assert!(
        done["files"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("文件是空的"),
        "{done}"
    );
    assert_eq!(done["files"][2]["status"], "failed", "{done}");
    assert!(
        !done.to_string().contains(dir.path().to_str().unwrap()),
        "a server path leaked: {done}"
    );
    let doc = done["files"][0]["doc_id"].as_str().unwrap();
    let hits = get(&state, &format!("/api/search?q={}", enc("蓝鲸湾"))).json();
    assert_eq!(hits["hits"][0]["doc_id"], doc);
    // The original is kept under uploads/ and downloads under its uploaded name.
    let orig = get(&state, &format!("/documents/{doc}/original"));
    assert_eq!(orig.body, text.as_bytes());
    assert!(
        orig.header("content-disposition")
            .contains(&enc("示范决算.txt"))
    );
    let kept: Vec<_> = std::fs::read_dir(state.lib.config.uploads_dir())
        .unwrap()
        .collect();
    assert_eq!(kept.len(), 3);
    // The same bytes again are recognised as unchanged.
    let again = post_files(
        &state,
        "/api/ingest",
        &[("file", "示范决算.txt", text.as_bytes())],
    )
    .json();
    let again = wait_task(&state, again["id"].as_str().unwrap());
    assert_eq!(again["files"][0]["status"], "unchanged");
}

#[test]
fn uploads_that_are_oversized_empty_or_not_multipart_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let big = vec![b'a'; web::MAX_UPLOAD_BYTES + 1024];
    let r = post_files(&state, "/api/ingest", &[("file", "big.txt", &big)]);
    let message = r.error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    assert!(message.contains("64 MiB"), "{message}");
    let page = post_files(&state, "/ingest", &[("file", "big.txt", &big)]);
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.text().contains("文件过大"));
    post_files(&state, "/api/ingest", &[]).error(StatusCode::BAD_REQUEST, "bad_request");
    post_files(&state, "/api/ingest", &[("file", "", b"")])
        .error(StatusCode::BAD_REQUEST, "bad_request");
    let r = send(
        &state,
        Request::post("/api/ingest")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    );
    r.error(StatusCode::BAD_REQUEST, "bad_request");
    // Nothing was queued or kept.
    assert_eq!(state.tasks.recent(10).unwrap().len(), 1);
    assert!(
        !state.lib.config.uploads_dir().exists()
            || std::fs::read_dir(state.lib.config.uploads_dir())
                .unwrap()
                .count()
                == 0
    );
}

#[test]
fn upload_form_redirects_to_the_task_page() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let page = get(&state, "/ingest");
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("enctype=\"multipart/form-data\""));
    let r = post_files(
        &state,
        "/ingest",
        &[(
            "file",
            "海豚湾.md",
            "# 海豚湾报告\n\n海豚湾建设。\n".as_bytes(),
        )],
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header("location");
    assert!(location.starts_with("/tasks/"), "{location}");
    wait_idle(&state);
    let html = get(&state, &location).text();
    assert!(html.contains("已完成"), "{html}");
    assert!(html.contains("海豚湾.md"));
    assert!(html.contains("已入库"));
    assert!(!html.contains("http-equiv=\"refresh\""));
    assert!(get(&state, "/ingest").text().contains(&location));
    assert_eq!(get(&state, "/tasks/nope").status, StatusCode::NOT_FOUND);
    get(&state, "/api/tasks/nope").error(StatusCode::NOT_FOUND, "not_found");
}

/// A ZIP archive of (path, bytes), deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

const PERF_RULE: &str = "# 示范绩效条例\n\n第一条 预算绩效目标应当与预算同步编制。\n\n第二条 绩效评价结果应当作为安排预算的重要依据。\n";

#[test]
fn a_zip_upload_keeps_its_folders_and_sidecars_and_a_bad_archive_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let zip = zip_of(&[
        ("预算材料/法规/示范绩效条例.md", PERF_RULE.as_bytes()),
        (
            "预算材料/法规/示范绩效条例.md.meta.json",
            r#"{"access": "restricted", "region": "甘肃省"}"#.as_bytes(),
        ),
        (
            "预算材料/报告/说明.txt",
            "关于海豚湾绩效评价的说明\n\n海豚湾项目绩效良好。\n".as_bytes(),
        ),
        ("__MACOSX/预算材料/._说明.txt", b"junk"),
    ]);
    let r = post_files(&state, "/api/ingest", &[("file", "材料.zip", &zip)]);
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let names: Vec<String> = r.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "材料.zip/预算材料/法规/示范绩效条例.md",
            "材料.zip/预算材料/报告/说明.txt"
        ],
        "one line per document; the sidecar and the clutter are not documents"
    );
    wait_idle(&state);
    let task = get(&state, &r.header("location")).json();
    for f in task["files"].as_array().unwrap() {
        assert_eq!(f["status"], "indexed", "{task}");
    }
    // The sidecar inside the archive applied to its document.
    let rule = task["files"][0]["doc_id"].as_str().unwrap();
    let doc = get(&state, &format!("/api/documents/{rule}")).json();
    assert_eq!(doc["access"], "内部", "{doc}");
    assert_eq!(doc["region"], "甘肃省");
    assert!(doc["title"].as_str().unwrap().contains("示范绩效条例"));
    // The same archive again: nothing new.
    let again = post_files(&state, "/api/ingest", &[("file", "材料.zip", &zip)]);
    wait_idle(&state);
    let task = get(&state, &again.header("location")).json();
    for f in task["files"].as_array().unwrap() {
        assert_eq!(f["status"], "unchanged", "{task}");
    }

    // An archive that climbs out of its folder, and a bomb, fail alone; the other file of the request is kept.
    let escape = zip_of(&[("../../逃逸.md", b"# x")]);
    let bomb = zip_of(&[("大.txt", &vec![b'0'; 80 << 20])]);
    let r = post_files(
        &state,
        "/api/ingest",
        &[
            ("file", "逃逸.zip", &escape),
            ("file", "炸弹.zip", &bomb),
            (
                "file",
                "海豚湾补充.md",
                "# 海豚湾补充\n\n补充说明。\n".as_bytes(),
            ),
        ],
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    wait_idle(&state);
    let task = get(&state, &r.header("location")).json();
    let files = task["files"].as_array().unwrap();
    assert_eq!(files[0]["status"], "failed");
    assert!(
        files[0]["reason"].as_str().unwrap().contains("路径不安全"),
        "{task}"
    );
    assert_eq!(files[1]["status"], "failed");
    assert!(
        files[1]["reason"].as_str().unwrap().contains("MiB"),
        "{task}"
    );
    assert_eq!(files[2]["status"], "indexed", "{task}");
    let data = dir.path().join("index");
    assert!(!data.join("逃逸.md").exists() && !dir.path().join("逃逸.md").exists());
}

#[test]
fn a_folder_chosen_in_the_browser_is_kept_as_a_folder_with_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    // Chromium names each file of a chosen folder by its path inside the folder.
    let r = post_files(
        &state,
        "/ingest",
        &[
            ("file", "调研材料/示范绩效条例.md", PERF_RULE.as_bytes()),
            (
                "file",
                "调研材料/二级/内部报告.txt",
                "关于海豚湾审计整改的内部报告\n\n整改到位。\n".as_bytes(),
            ),
            (
                "file",
                "调研材料/manifest.jsonl",
                "{\"path\": \"二级/内部报告.txt\", \"access\": \"内部\"}\n".as_bytes(),
            ),
        ],
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    wait_idle(&state);
    let id = r
        .header("location")
        .trim_start_matches("/tasks/")
        .to_string();
    let task = get(&state, &format!("/api/tasks/{id}")).json();
    let files = task["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["调研材料/示范绩效条例.md", "调研材料/二级/内部报告.txt"]
    );
    for f in files {
        assert_eq!(f["status"], "indexed", "{task}");
    }
    let report = get(
        &state,
        &format!("/api/documents/{}", files[1]["doc_id"].as_str().unwrap()),
    )
    .json();
    assert_eq!(
        report["access"], "内部",
        "the folder's manifest applied: {report}"
    );
    let rule = get(
        &state,
        &format!("/api/documents/{}", files[0]["doc_id"].as_str().unwrap()),
    )
    .json();
    assert_eq!(rule["access"], "公开");
    // A name that climbs out of the folder is only a file name, kept inside the uploads like any other.
    let r = post_files(
        &state,
        "/api/ingest",
        &[
            ("file", "调研材料/a.md", b"# a"),
            ("file", "调研材料/../../逃逸.md", b"# b"),
        ],
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let names: Vec<String> = r.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["逃逸.md", "调研材料/a.md"]);
    assert!(!dir.path().join("逃逸.md").exists() && !dir.path().join("index/逃逸.md").exists());
}

/// Posts one file and a `confirm` field, as the document page's replace form does.
fn post_replacement(state: &AppState, uri: &str, name: &str, bytes: &[u8], confirm: &str) -> Reply {
    let boundary = "yusuan-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"confirm\"\r\n\r\n{confirm}\r\n"
    )
    .into_bytes();
    body.extend(multipart(boundary, &[("file", name, bytes)]));
    send(
        state,
        Request::post(uri)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
    )
}

#[test]
fn a_document_is_replaced_from_its_page_only_once_the_new_file_is_in() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let r = post_files(
        &state,
        "/api/ingest",
        &[(
            "file",
            "海豚湾.md",
            "# 海豚湾报告\n\n海豚湾建设进展顺利。\n".as_bytes(),
        )],
    );
    wait_idle(&state);
    let task = get(&state, &r.header("location")).json();
    let old = task["files"][0]["doc_id"].as_str().unwrap().to_string();
    // Staff make it 内部 first: the replacement keeps that.
    yusuan::pipeline::set_access(
        &state.lib,
        &yusuan::model::DocId(old.clone()),
        yusuan::model::Access::Restricted,
    )
    .unwrap();
    let page = get(&state, &format!("/documents/{old}")).text();
    assert!(
        page.contains("id=\"replace-form\""),
        "staff see the replace form"
    );
    let url = format!("/documents/{old}/replace");

    // Not confirmed: refused, nothing changes.
    let r = post_replacement(&state, &url, "海豚湾修订.md", b"# x", "");
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    // A file that cannot be read: the old document stays, and the task says so.
    let r = post_replacement(&state, &url, "海豚湾修订.pdf", b"%PDF-1.4 broken", "替换");
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    wait_idle(&state);
    let html = get(&state, &r.header("location")).text();
    assert!(
        html.contains("新文件未能入库，原文档《海豚湾报告》保留未变"),
        "{html}"
    );
    assert_eq!(
        get(&state, &format!("/api/documents/{old}")).status,
        StatusCode::OK
    );

    // A good file: in, then the old one goes; the new one keeps 内部.
    let r = post_replacement(
        &state,
        &url,
        "海豚湾修订.md",
        "# 海豚湾报告（修订）\n\n海豚湾二期已经竣工。\n".as_bytes(),
        "替换",
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    wait_idle(&state);
    let html = get(&state, &r.header("location")).text();
    assert!(html.contains("已替换原文档《海豚湾报告》"), "{html}");
    assert_eq!(
        get(&state, &format!("/api/documents/{old}")).status,
        StatusCode::NOT_FOUND
    );
    let id = r
        .header("location")
        .trim_start_matches("/tasks/")
        .to_string();
    let task = get(&state, &format!("/api/tasks/{id}")).json();
    let new = task["files"][0]["doc_id"].as_str().unwrap();
    let doc = get(&state, &format!("/api/documents/{new}")).json();
    assert!(
        doc["body"].as_str().unwrap().contains("二期已经竣工"),
        "{doc}"
    );
    assert_eq!(doc["access"], "内部");
    assert_eq!(task["replaces"]["removed"], true);
    // The audit log names the replaced document.
    let audit = yusuan::auth::audit::recent(
        state.lib.store(),
        &yusuan::auth::audit::AuditFilter::default(),
        50,
    )
    .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.detail.contains(&format!("替换文档 {old}"))),
        "{audit:?}"
    );
}

#[test]
fn a_task_running_at_a_restart_is_marked_failed_and_queued_ones_run() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    {
        let state = started(dir.path());
        let mut running: Task = state.tasks.recent(1).unwrap().remove(0);
        running.id = "20000101000000000-0001".into();
        running.status = TaskStatus::Running;
        running.summary = None;
        state.lib.store().put_task(&running.id, &running).unwrap();
        let mut queued = running.clone();
        queued.id = "20000101000000000-0002".into();
        queued.status = TaskStatus::Queued;
        state.lib.store().put_task(&queued.id, &queued).unwrap();
        state.lib.store().flush().unwrap();
        state.lib.close().unwrap();
    }
    // Wait until the worker thread of the first state has let go of the library.
    let start = Instant::now();
    let state = loop {
        match web::start(config(dir.path())) {
            Ok(s) => break s,
            Err(e) => {
                assert!(start.elapsed() < Duration::from_secs(30), "{e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    wait_idle(&state);
    let t = get(&state, "/api/tasks/20000101000000000-0001").json();
    assert_eq!(t["status"], "failed");
    assert!(
        t["error"]
            .as_str()
            .unwrap()
            .contains("interrupted by a restart")
    );
    let q = get(&state, "/api/tasks/20000101000000000-0002").json();
    assert_eq!(q["status"], "done", "{q}");
}

#[test]
fn unknown_paths_and_methods_answer_in_kind() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    get(&state, "/api/nothing").error(StatusCode::NOT_FOUND, "not_found");
    let page = get(&state, "/nothing");
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text().contains("没有这个页面"));
    let r = send(
        &state,
        Request::post("/api/search").body(Body::empty()).unwrap(),
    );
    r.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let spec = get(&state, "/api/openapi.json").json();
    assert!(spec["paths"]["/api/search"]["get"].is_object());
    assert!(spec["paths"]["/api/ingest"]["post"].is_object());
    assert!(
        get(&state, "/api/health")
            .header("server-timing")
            .starts_with("app;dur=")
    );
}

#[test]
fn real_server_indexes_on_first_start_then_serves_uploads_and_searches() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let state = web::start(config(dir.path())).unwrap();
    let token = admin_token(&state);
    let server = Server::start(state);
    let http = client_with(&token);
    // The server answers while the corpus is indexed, and reports progress.
    let start = Instant::now();
    loop {
        let h: Value = http
            .get(server.url("/api/health"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if h["status"] == "ok" {
            assert_eq!(h["documents"], 4, "{h}");
            break;
        }
        assert!(
            h["message"].as_str().unwrap().starts_with("正在建立索引"),
            "{h}"
        );
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(20));
    }
    let page = http
        .get(server.url(&format!("/search?q={}", enc("细化"))))
        .send()
        .unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    assert!(page.text().unwrap().contains("<mark>细化</mark>"));
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes("星河湾水利工程预算说明。".as_bytes().to_vec())
            .file_name("星河湾.txt"),
    );
    let r = http
        .post(server.url("/api/ingest"))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let start = Instant::now();
    loop {
        let t: Value = http
            .get(server.url(&location))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if t["status"] == "done" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{t}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let r: Value = http
        .get(server.url(&format!("/api/search?q={}", enc("星河湾"))))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["total"], 1, "{r}");
    let bad = http.get(server.url("/api/search?limit=x")).send().unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
}

/// The search page's server time on the real laws (needs YUSUAN_SHARED).
#[test]
fn search_pages_on_real_laws_are_fast() {
    let Ok(shared) = std::env::var("YUSUAN_SHARED") else {
        eprintln!("YUSUAN_SHARED is not set: skipping the suite on real laws");
        return;
    };
    let laws = Path::new(&shared).join("corpus/laws/经济法");
    let dir = tempfile::tempdir().unwrap();
    let config = yusuan::config::Config::new(dir.path().join("index"), &laws);
    let state = web::start(config).unwrap();
    wait_idle(&state);
    assert!(state.lib.store().count_documents() > 50);
    let queries = [
        "预算",
        "预算草案",
        "税收",
        "\"中国人民银行\"",
        "企业所得税的税率是多少",
        "法律责任",
    ];
    let mut times = Vec::new();
    for round in 0..3 {
        for q in queries {
            for extra in ["", "&unit=document", "&sort=date&page=2"] {
                let r = get(&state, &format!("/search?q={}{extra}", enc(q)));
                assert_eq!(r.status, StatusCode::OK, "{q}");
                assert!(r.text().contains("条结果"));
                if round > 0 {
                    let ms: f64 = r
                        .header("server-timing")
                        .trim_start_matches("app;dur=")
                        .parse()
                        .unwrap();
                    times.push(ms);
                }
            }
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    eprintln!(
        "search page server time on 经济法: median {median:.1} ms, worst {worst:.1} ms ({} pages)",
        times.len()
    );
    assert!(median < 100.0, "median {median:.1} ms");
    // A real law's page: anchors for every article.
    let id = get(
        &state,
        &format!("/api/search?q={}&unit=document&limit=1", enc("预算法")),
    )
    .json()["hits"][0]["doc_id"]
        .as_str()
        .unwrap()
        .to_string();
    let html = get(&state, &format!("/documents/{id}")).text();
    assert!(html.contains("id=\"第一条\""));
}

/// The request as made by a logged-in staff member (unless the test set another viewer).
fn as_staff<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    if req.extensions().get::<yusuan::auth::Viewer>().is_none() {
        req.extensions_mut().insert(common::staff());
    }
    req
}

/// The `/api` paths the router serves, read from the `.route("/api/…"` registrations of `src/web/`.
fn routed_api_paths() -> std::collections::BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut out = std::collections::BTreeSet::new();
    for f in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap_or_default();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let t = rest.trim_start();
            if let Some(path) = t.strip_prefix("\"/api/")
                && let Some(end) = path.find('"')
            {
                out.insert(format!("/api/{}", &path[..end]));
            }
        }
    }
    out
}

#[test]
fn every_api_route_is_documented_and_the_document_is_valid_openapi() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let state = started(dir.path());
    let spec = get(&state, "/api/openapi.json").json();
    let document: openapiv3::OpenAPI =
        serde_json::from_value(spec.clone()).expect("a valid OpenAPI 3.0 document");
    assert_eq!(document.openapi, "3.0.3");
    let documented: std::collections::BTreeSet<String> =
        spec["paths"].as_object().unwrap().keys().cloned().collect();
    let routed = routed_api_paths();
    assert!(routed.len() >= 30, "{routed:?}");
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "served but not documented"
    );
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "documented but not served"
    );
    // Every documented method answers on its path (a handler's answer, not the router's 404 or 405).
    for (path, item) in spec["paths"].as_object().unwrap() {
        let uri = path.replace("{id}", "x").replace("{code}", "201");
        for method in item.as_object().unwrap().keys() {
            if path == "/api/admin/backup" {
                continue;
            }
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header("content-type", "application/x-unknown")
                .body(Body::empty())
                .unwrap();
            let r = send_as(&state, req, admin_viewer());
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !(r.status == StatusCode::NOT_FOUND && r.text().contains("没有这个页面")),
                "{method} {path} is not served"
            );
        }
    }
}

fn admin_viewer() -> yusuan::auth::Viewer {
    yusuan::auth::Viewer {
        user: Some("admin".into()),
        role: yusuan::auth::Role::Admin,
        deputy: None,
    }
}

#[test]
fn staff_remove_a_document_from_its_page_after_confirming_and_the_earlier_version_returns() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = law_id(&state);
    let form = |confirm: &str| {
        Request::post(format!("/documents/{id}/remove"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("confirm={}", enc(confirm))))
            .unwrap()
    };
    // The page offers the form to staff only.
    let page = send_as(
        &state,
        Request::get(format!("/documents/{id}"))
            .body(Body::empty())
            .unwrap(),
        staff(),
    );
    assert!(page.text().contains("id=\"remove-form\""));
    // A deputy may not; staff must type 删除.
    assert_eq!(
        send_as(&state, form("删除"), outside_deputy()).status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send_as(&state, form("好"), staff()).status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&state, &format!("/api/documents/{id}")).status,
        StatusCode::OK
    );
    let r = send_as(&state, form("删除"), staff());
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.headers.get("location").unwrap(), "/");
    assert_eq!(
        get(&state, &format!("/api/documents/{id}")).status,
        StatusCode::NOT_FOUND
    );
    // The earlier version of the law is the one in force now.
    let now = law_id(&state);
    assert_ne!(now, id);
}

#[test]
fn an_uploaded_proposal_table_is_reported_as_proposals_under_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let csv = "编号,届次,年份,类型,标题,内容,领衔代表,主办单位,状态,公开\n\
        2001,第十六届人民代表大会第四次会议,2024,建议,关于完善社区养老服务的建议,内容,王五,市民政局,待交办,是\n";
    let r = post_files(
        &state,
        "/api/ingest",
        &[("files", "新建议.csv", csv.as_bytes())],
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let done = wait_task(&state, &id);
    let file = &done["files"][0];
    assert_eq!(file["status"], "proposals", "{done}");
    assert!(
        file["reason"].as_str().unwrap().contains("新增 1"),
        "{done}"
    );
    assert!(
        file.get("doc_id").is_none(),
        "no document page to link to: {done}"
    );
    assert_eq!(done["summary"]["added"], 1);
    // The proposal names the file as it was uploaded, not the kept copy.
    let p = get(&state, "/api/proposals/2001").json();
    assert_eq!(p["proposal"]["source"], "新建议.csv", "{p}");
    // The task page links the file to the proposals, not to a missing document.
    let page = get(&state, &format!("/tasks/{id}")).text();
    assert!(
        page.contains("href=\"/proposals\"") && page.contains("已导入代表建议"),
        "{page}"
    );
}

#[test]
fn a_file_uploaded_that_was_ingested_from_a_folder_is_the_same_document() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let report = || {
        get(
            &state,
            &format!("/api/search?q={}&unit=document", enc("政府工作报告")),
        )
        .json()
    };
    assert_eq!(report()["total"], 1);
    let folder_id = report()["hits"][0]["doc_id"].as_str().unwrap().to_string();
    let bytes = std::fs::read(dir.path().join("corpus/reports/2021年政府工作报告.txt")).unwrap();
    let r = post_files(
        &state,
        "/api/ingest",
        &[("files", "2021年政府工作报告.txt", &bytes)],
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let done = wait_task(&state, &id);
    let file = &done["files"][0];
    assert_eq!(file["status"], "duplicate", "{done}");
    assert_eq!(file["doc_id"], folder_id.as_str(), "{done}");
    assert_eq!(done["summary"]["duplicates"], 1, "{done}");
    assert_eq!(done["summary"]["added"], 0, "{done}");
    assert_eq!(report()["total"], 1);
    // The task page links the file to the document; the document page says it has another file.
    let page = get(&state, &format!("/tasks/{id}")).text();
    assert!(page.contains("与已有文档相同"), "{page}");
    let doc = get(&state, &format!("/documents/{folder_id}")).text();
    assert!(doc.contains("另有 1 份内容完全相同的文件"), "{doc}");
}

#[test]
fn a_report_s_page_has_a_table_of_contents_from_its_own_headings() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let report = "2022年政府工作报告\n\n各位代表：\n\n\u{3000}\u{3000}一、2021年工作回顾\n\n\u{3000}\u{3000}过去一年经济保持恢复发展。\n\n\u{3000}\u{3000}二、2022年政府工作任务\n\n\u{3000}\u{3000}（一）继续做好“六稳”、“六保”工作。稳字当头。\n\n\u{3000}\u{3000}（二）深化重点领域改革。更大激发市场主体活力。\n";
    let r = post_files(
        &state,
        "/api/ingest",
        &[("files", "2022年政府工作报告.txt", report.as_bytes())],
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let task = r.json()["id"].as_str().unwrap().to_string();
    let done = wait_task(&state, &task);
    let id = done["files"][0]["doc_id"].as_str().unwrap().to_string();
    let page = get(&state, &format!("/documents/{id}")).text();
    for (anchor, text) in [
        ("h1", "一、2021年工作回顾"),
        ("h2", "二、2022年政府工作任务"),
        ("h3", "（一）继续做好“六稳”、“六保”工作"),
        ("h4", "（二）深化重点领域改革"),
    ] {
        assert!(
            page.contains(&format!("<a href=\"#{anchor}\">{text}</a>")),
            "{anchor} {text}: {page}"
        );
    }
    assert!(
        page.contains("<p class=\"heading d1\" id=\"h1\">一、2021年工作回顾</p>"),
        "{page}"
    );
    assert!(
        page.contains("<p class=\"heading d2\" id=\"h3\">（一）继续做好"),
        "{page}"
    );
}
