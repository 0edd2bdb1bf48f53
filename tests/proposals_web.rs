//! The proposal API through the router without a socket: import a table, list with filters and counts,
//! export, one proposal with its timeline and similar proposals, events (accepted and refused), creation,
//! and errors for bad parameters and unknown proposals.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;
use yusuan::web::{self, AppState};

fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = web::router(state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        (status, body)
    })
}

fn json(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let (status, body) = send(state, req);
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, v)
}

fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    json(state, Request::get(uri).body(Body::empty()).unwrap())
}

fn post(state: &AppState, uri: &str, body: Vec<u8>) -> (StatusCode, Value) {
    json(
        state,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap(),
    )
}

#[test]
fn proposal_api_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    // An empty corpus folder with the project's reference data next to it is enough here.
    std::fs::create_dir_all(dir.path().join("corpus")).unwrap();
    let state = common::started(dir.path());
    let csv =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/samples/proposals.csv"))
            .unwrap();
    let (s, r) = post(
        &state,
        "/api/proposals/import?name=proposals.csv",
        csv.clone(),
    );
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["added"], 12);
    let (_, r) = post(&state, "/api/proposals/import?name=proposals.csv", csv);
    assert_eq!(r["unchanged"], 12, "importing twice changes nothing");

    let (s, page) = get(
        &state,
        "/api/proposals?unit=%E5%B8%82%E6%95%99%E8%82%B2%E5%B1%80&today=2025-06-01",
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 4, "{page}");
    assert!(page["counts"]["status"].as_array().unwrap().len() >= 2);
    let (_, overdue) = get(&state, "/api/proposals?overdue=1&today=2025-06-01");
    assert_eq!(overdue["total"], 2);

    let (s, bytes) = send(
        &state,
        Request::get("/api/proposals?format=csv&year=2023")
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("编号,届次"));
    assert_eq!(text.lines().count(), 5, "header and four 2023 proposals");

    let (s, v) = get(&state, "/api/proposals/16-5-3001?today=2025-06-01");
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["proposal"]["number"], 3001);
    assert_eq!(v["state"]["status"], "办理中");
    assert!(v["similar"]["items"].as_array().unwrap().len() >= 2);
    let (_, sim) = get(&state, "/api/proposals/3001/similar");
    assert_eq!(sim["id"], "16-5-3001");
    assert!(
        sim["items"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("共同词")
    );

    // Refused, then accepted.
    let (s, e) = post(
        &state,
        "/api/proposals/16-5-3001/events",
        r#"{"kind": "办结", "date": "2025-06-01"}"#.as_bytes().to_vec(),
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("已答复"),
        "{e}"
    );
    let (s, st) = post(
        &state,
        "/api/proposals/16-5-3001/events",
        r#"{"kind": "答复", "date": "2025-06-01", "actor": "市教育局", "grade": "B", "text": "已纳入预算编制。"}"#
            .as_bytes()
            .to_vec(),
    );
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["status"], "已答复");

    let (s, c) = post(
        &state,
        "/api/proposals",
        r#"{"编号": "4001", "届次": "第十六届人民代表大会第六次会议", "年份": 2026, "标题": "关于测试接口的建议", "交办日期": "2026-03-01"}"#
            .as_bytes()
            .to_vec(),
    );
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["id"], "16-6-4001");
    let (s, _) = post(
        &state,
        "/api/proposals",
        r#"{"标题": "缺编号"}"#.as_bytes().to_vec(),
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (s, _) = get(&state, "/api/proposals/99-9-1");
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(&state, "/api/proposals?status=%E4%B9%B1");
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, d) = get(&state, "/api/proposals/dashboard?today=2025-06-01");
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["total"], 13);
}
