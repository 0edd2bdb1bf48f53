//! The demonstration collection (示例) of the shipped input folder: marked wherever it is listed, offered
//! for removal once real files come in, removed whole by one click, and not ingested again.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use yusuan::config::Config;
use yusuan::web::{self, AppState};

/// A data folder in `dir` over the project's own input folder (samples and reference data).
fn shipped(dir: &Path) -> Config {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut c = Config::new(dir.join("index"), corpus);
    c.admin_password = Some(ADMIN_PASSWORD.into());
    c
}

fn start(dir: &Path) -> AppState {
    let state = web::start(shipped(dir)).unwrap();
    wait_idle(&state);
    state
}

fn page(state: &AppState, uri: &str) -> String {
    get_as(state, uri, staff()).text()
}

fn remove(state: &AppState) -> Reply {
    let req = axum::http::Request::post("/samples/remove")
        .body(axum::body::Body::empty())
        .unwrap();
    send_as(state, req, staff())
}

#[test]
fn samples_are_marked_offered_for_removal_after_a_real_upload_and_removed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let state = start(dir.path());
    let set = yusuan::samples::find(&state.lib).unwrap();
    assert!(
        !set.proposals.is_empty(),
        "the shipped samples hold proposals"
    );
    let home = page(&state, "/");
    assert!(home.contains("id=\"samples-notice\""), "{home}");
    assert!(home.contains(&set.label()), "{home}");
    assert!(
        home.contains("id=\"remove-samples\""),
        "staff get the button"
    );
    // Deputies see the notice, not the button.
    let deputy = get_as(&state, "/", outside_deputy()).text();
    assert!(!deputy.contains("id=\"remove-samples\""));
    // Search results and document pages mark the samples.
    let results = page(&state, "/search?q=%E9%A2%84%E7%AE%97");
    assert!(results.contains("class=\"tag sample\""), "{results}");
    let any = set.documents.iter().next().unwrap().clone();
    assert!(page(&state, &format!("/documents/{any}")).contains("id=\"sample\""));

    // A real file comes in: its task page asks whether the samples should go.
    let boundary = "b0undary";
    let req = axum::http::Request::post("/ingest")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from(multipart(
            boundary,
            &[(
                "file",
                "某区2025年预算执行情况的报告.txt",
                "某区2025年预算执行情况的报告\n\n一般公共预算收入完成年度预算的百分之一百零二。\n"
                    .as_bytes(),
            )],
        )))
        .unwrap();
    let r = send_as(&state, req, staff());
    assert_eq!(r.status, 303, "{}", r.text());
    wait_idle(&state);
    let location = r.headers["location"].to_str().unwrap().to_string();
    let task = page(&state, &location);
    assert!(task.contains("id=\"remove-samples\""), "{task}");

    // One click: every sample goes, documents and proposals; the real file stays.
    let before = state.lib.store().count_documents();
    let r = remove(&state);
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(yusuan::samples::find(&state.lib).unwrap().is_empty());
    assert_eq!(
        state.lib.store().count_documents(),
        before - set.documents.len()
    );
    assert_eq!(state.lib.store().count_proposals(), 0);
    let home = page(&state, "/");
    assert!(!home.contains("id=\"samples-notice\""));
    let found = page(
        &state,
        "/search?q=%E4%B8%80%E8%88%AC%E5%85%AC%E5%85%B1%E9%A2%84%E7%AE%97%E6%94%B6%E5%85%A5",
    );
    assert!(found.contains("某区2025年预算执行情况的报告"), "{found}");
    assert!(!found.contains("示例市"), "{found}");
    // Who removed them is in the audit log.
    let audit = yusuan::auth::audit::recent(
        state.lib.store(),
        &yusuan::auth::audit::AuditFilter::default(),
        20,
    )
    .unwrap();
    assert!(
        audit.iter().any(|e| e.detail.contains("删除示例数据")),
        "{audit:?}"
    );
}

#[test]
fn removed_samples_do_not_come_back_at_the_next_first_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let state = start(dir.path());
        assert!(state.lib.store().count_documents() > 0);
        assert_eq!(remove(&state).status, 303);
        // Nothing is left, so the next start is a first start again.
        assert_eq!(state.lib.store().count_documents(), 0);
        state.lib.close().unwrap();
    }
    let state = start(dir.path());
    assert!(yusuan::samples::find(&state.lib).unwrap().is_empty());
    assert_eq!(state.lib.store().count_documents(), 0);
    assert_eq!(state.lib.store().count_proposals(), 0);
    state.lib.close().unwrap();
}
