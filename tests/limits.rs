//! Limits of the web edge, through the router without a socket: each refusal has its status, its code and
//! a Chinese message with the English gist — upload size, body size on every other route, query length,
//! result window and page size, the cap on queued ingest tasks — and the backup endpoint is for
//! administrators only.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;
use yusuan::web::{self, AppState};

struct Reply {
    status: StatusCode,
    body: String,
}

impl Reply {
    /// Asserts a JSON error with this status and code; returns the message.
    fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let v: Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body));
        assert_eq!(v["error"]["code"], code, "{v}");
        v["error"]["message"].as_str().unwrap().to_string()
    }
}

fn send(state: &AppState, req: Request<Body>) -> Reply {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = web::router(state.clone())
            .oneshot(as_staff(req))
            .await
            .unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            body: String::from_utf8_lossy(&body).to_string(),
        }
    })
}

fn get(state: &AppState, uri: &str) -> Reply {
    send(state, Request::get(uri).body(Body::empty()).unwrap())
}

fn post(state: &AppState, uri: &str, content_type: &str, body: Vec<u8>) -> Reply {
    send(
        state,
        Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap(),
    )
}

fn upload(state: &AppState, files: &[(&str, &str, &[u8])]) -> Reply {
    let boundary = "limits-boundary";
    post(
        state,
        "/api/ingest",
        &format!("multipart/form-data; boundary={boundary}"),
        multipart(boundary, files),
    )
}

/// The sample corpus served with small limits.
fn fixture(dir: &Path) -> AppState {
    corpus(dir);
    let mut config = config(dir);
    config.max_query_chars = 20;
    config.max_limit = 5;
    config.max_window = 30;
    config.max_body_bytes = 4 << 10;
    config.max_upload_bytes = 1 << 20;
    config.max_queued_tasks = 1;
    let state = web::start(config).unwrap();
    wait_idle(&state);
    state
}

fn a_document(state: &AppState) -> String {
    let id = state.lib.store().doc_ids().unwrap()[0].clone();
    id.as_str().to_string()
}

#[test]
fn oversized_bodies_are_refused_with_413_on_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let doc = a_document(&state);
    // A JSON body over 4 KiB on a route that takes no upload.
    let big_json = format!(
        "{{\"target\": \"subject:205\", \"action\": \"confirm\", \"by\": \"{}\"}}",
        "字".repeat(3000)
    );
    let m = post(
        &state,
        &format!("/api/documents/{}/links", enc(&doc)),
        "application/json",
        big_json.clone().into_bytes(),
    )
    .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    assert!(
        m.contains("请求内容超过大小限制") && m.contains("4 KiB"),
        "{m}"
    );
    assert!(m.contains("request body too large"), "{m}");
    post(
        &state,
        "/api/proposals",
        "application/json",
        big_json.into_bytes(),
    )
    .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    post(
        &state,
        "/api/admin/backup",
        "application/json",
        vec![b' '; 5000],
    )
    .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // A form on a page route: the error page, with 413.
    let form = format!("op=confirm:subject:205&by={}", "a".repeat(5000));
    let r = post(
        &state,
        &format!("/documents/{}/links", enc(&doc)),
        "application/x-www-form-urlencoded",
        form.into_bytes(),
    );
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("请求内容超过大小限制"), "{}", r.body);
    // The bodies above declare no length and are measured; a declared length is refused unread.
    let r = send(
        &state,
        Request::post(format!("/api/documents/{}/links", enc(&doc)))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, 8 << 10)
            .body(Body::from(vec![b'x'; 8 << 10]))
            .unwrap(),
    );
    r.error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // Small bodies still reach their handlers (this corpus has no subject tree: the handler refuses 205).
    let m = post(
        &state,
        &format!("/api/documents/{}/links", enc(&doc)),
        "application/json",
        br#"{"target": "subject:205", "action": "confirm"}"#.to_vec(),
    )
    .error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(m.contains("205"), "{m}");

    // Uploads have their own, larger limit.
    let fits = vec![b'a'; 64 << 10];
    assert_eq!(
        upload(&state, &[("file", "fits.txt", &fits)]).status,
        StatusCode::ACCEPTED
    );
    wait_idle(&state);
    let big = vec![b'a'; (1 << 20) + 1024];
    let m = upload(&state, &[("file", "big.txt", &big)])
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    assert!(
        m.contains("每次最多 1 MiB") && m.contains("upload too large"),
        "{m}"
    );
}

#[test]
fn proposal_imports_take_bodies_up_to_the_upload_limit_and_bad_parameters_answer_json() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    // A plain CSV body of 64 KiB: over the 4 KiB body limit of other routes, within the 1 MiB upload limit.
    let mut csv = String::from("编号,届次,标题,领衔代表\n");
    let mut n = 0;
    while csv.len() < 64 << 10 {
        n += 1;
        csv.push_str(&format!(
            "{n},第十六届第一次会议,关于加强预算绩效管理的建议{n},王代表\n"
        ));
    }
    let r = post(
        &state,
        "/api/proposals/import?name=p.csv",
        "text/csv",
        csv.into_bytes(),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["rows"], n, "{v}");
    let r = post(
        &state,
        "/api/proposals/import?name=p.csv",
        "text/csv",
        vec![b'x'; (1 << 20) + 1],
    );
    r.error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // A parameter that does not parse is a JSON error like every other.
    let m = get(&state, "/api/proposals?limit=99999999999999999999999")
        .error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(m.contains("limit"), "{m}");
}

#[test]
fn queries_pages_and_windows_over_the_limits_are_400() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let long = "预".repeat(21);
    let m = get(&state, &format!("/api/search?limit=5&q={}", enc(&long)))
        .error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(m.contains("20"), "{m}");
    assert_eq!(
        get(
            &state,
            &format!("/api/search?limit=5&q={}", enc(&"预".repeat(20)))
        )
        .status,
        StatusCode::OK
    );
    let m = get(&state, "/api/search?q=%E9%A2%84%E7%AE%97&limit=6")
        .error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(m.contains('5'), "{m}");
    let m = get(&state, "/api/search?q=%E9%A2%84%E7%AE%97&limit=5&offset=26")
        .error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(m.contains("30"), "{m}");
    assert_eq!(
        get(&state, "/api/search?q=%E9%A2%84%E7%AE%97&limit=5&offset=25").status,
        StatusCode::OK
    );
}

#[test]
fn uploads_beyond_the_task_cap_get_429_until_a_task_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let first = {
        // Holding the write gate keeps the first task from finishing (as a long ingest would).
        let _quiet = state.lib.quiet();
        let first = upload(&state, &[("file", "a.txt", "第一份上传的文件".as_bytes())]);
        assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
        let m = upload(&state, &[("file", "b.txt", "第二份上传的文件".as_bytes())])
            .error(StatusCode::TOO_MANY_REQUESTS, "busy");
        assert!(m.contains("导入任务已满，请稍后再试"), "{m}");
        assert!(m.contains("too many ingest tasks"), "{m}");
        // The refused upload left nothing behind: one task recorded besides the corpus, one file kept.
        assert_eq!(state.tasks.recent(10).unwrap().len(), 2);
        assert_eq!(
            std::fs::read_dir(state.lib.config.uploads_dir())
                .unwrap()
                .count(),
            1
        );
        first
    };
    assert!(first.body.contains("\"id\""));
    wait_idle(&state);
    let again = upload(&state, &[("file", "b.txt", "第二份上传的文件".as_bytes())]);
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    wait_idle(&state);
}

#[test]
fn backups_over_http_are_for_administrators_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let target = dir.path().join("b");
    let m = post(
        &state,
        "/api/admin/backup",
        "application/json",
        serde_json::json!({ "dir": target })
            .to_string()
            .into_bytes(),
    )
    .error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(m, "没有权限执行此操作 (forbidden)");
    assert!(!target.exists());
}

/// The request as made by a logged-in staff member (unless the test set another viewer).
fn as_staff(mut req: Request<Body>) -> Request<Body> {
    if req.extensions().get::<yusuan::auth::Viewer>().is_none() {
        req.extensions_mut().insert(common::staff());
    }
    req
}
