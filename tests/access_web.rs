//! Restricted documents through the router (`oneshot`): an anonymous request is answered about a restricted
//! document exactly as about a missing one (404), and searches, facet counts and health counts leave it out;
//! a request made by staff sees it, may change its access and may upload restricted files.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use yusuan::auth::{Role, Viewer};
use yusuan::web::{self, AppState};

/// A word only the restricted document contains.
const SECRET: &str = "翠鸟甲虫";

const SECRET_LAW: &str = "# 示范保密审计法\n\n2020年1月1日 第十三届全国人民代表大会常务委员会第十五次会议通过\n\n<!-- INFO END -->\n\n第一条 翠鸟甲虫计划中的预算资金，依照本法审计。\n\n第二条 翠鸟甲虫计划的审计结果不予公开。\n";

struct Reply {
    status: StatusCode,
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
}

fn staff() -> Viewer {
    Viewer {
        user: Some("staff".into()),
        role: Role::Staff,
        deputy: None,
    }
}

fn send(state: &AppState, mut req: Request<Body>, viewer: Option<Viewer>) -> Reply {
    if let Some(v) = viewer {
        req.extensions_mut().insert(v);
    }
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
        Reply { status, body }
    })
}

fn get(state: &AppState, uri: &str, viewer: Option<Viewer>) -> Reply {
    send(
        state,
        Request::get(uri).body(Body::empty()).unwrap(),
        viewer,
    )
}

fn post_json(state: &AppState, uri: &str, body: &str, viewer: Option<Viewer>) -> Reply {
    send(
        state,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        viewer,
    )
}

/// The corpus of `common` plus a law marked restricted by its sidecar (with a region of its own).
fn fixture(dir: &Path) -> AppState {
    let c = corpus(dir);
    write(&c, "laws/示范保密审计法.md", SECRET_LAW);
    write(
        &c,
        "laws/示范保密审计法.md.meta.json",
        r#"{"access": "restricted", "region": "甘肃省"}"#,
    );
    let state = started(dir);
    // An instance open to public reading: anonymous visitors read public documents only.
    state
        .save_settings(yusuan::auth::accounts::Settings {
            allow_anonymous: true,
            ..Default::default()
        })
        .unwrap();
    state
}

/// The restricted law's id and the id of its first article, found as staff.
fn secret_ids(state: &AppState) -> (String, String) {
    let r = get(
        state,
        &format!("/api/search?q={}&unit=article", enc(SECRET)),
        Some(staff()),
    )
    .json();
    let hit = &r["hits"][0];
    (
        hit["doc_id"].as_str().unwrap().to_string(),
        hit["id"].as_str().unwrap().to_string(),
    )
}

/// The 404 body of a path with `id` replaced by a placeholder, so that two answers can be compared.
fn masked(reply: &Reply, id: &str) -> String {
    reply.text().replace(id, "ID")
}

#[test]
fn anonymous_requests_get_404_exactly_as_for_a_missing_document() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let (doc, article) = secret_ids(&state);
    let missing_doc = "0000000000000000";
    let missing_article = format!("{missing_doc}-0");
    for (path, missing) in [
        (
            format!("/documents/{doc}"),
            format!("/documents/{missing_doc}"),
        ),
        (
            format!("/api/documents/{doc}"),
            format!("/api/documents/{missing_doc}"),
        ),
        (
            format!("/documents/{doc}/original"),
            format!("/documents/{missing_doc}/original"),
        ),
        (
            format!("/api/documents/{doc}/links"),
            format!("/api/documents/{missing_doc}/links"),
        ),
        (
            format!("/articles/{article}"),
            format!("/articles/{missing_article}"),
        ),
        (
            format!("/api/articles/{article}"),
            format!("/api/articles/{missing_article}"),
        ),
    ] {
        let secret = get(&state, &path, None);
        let absent = get(&state, &missing, None);
        assert_eq!(secret.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(absent.status, StatusCode::NOT_FOUND, "{missing}");
        let id = if path.contains("/articles/") {
            (article.as_str(), missing_article.as_str())
        } else {
            (doc.as_str(), missing_doc)
        };
        assert_eq!(masked(&secret, id.0), masked(&absent, id.1), "{path}");
        assert!(!secret.text().contains(SECRET), "{path}");
        // Staff are answered.
        let seen = get(&state, &path, Some(staff()));
        assert_eq!(seen.status, StatusCode::OK, "{path}: {}", seen.text());
    }
    let page = get(&state, &format!("/documents/{doc}"), Some(staff())).text();
    assert!(page.contains(SECRET));
    assert!(page.contains("id=\"restricted\""), "the 内部 badge");
    assert!(
        page.contains("id=\"access-form\""),
        "staff may change access"
    );
    let public_page = get(&state, "/search?q=%E7%BB%86%E5%8C%96", Some(staff())).text();
    assert!(
        !public_page.contains("tag restricted"),
        "public hits carry no badge"
    );
}

#[test]
fn searches_facets_and_health_leave_the_restricted_document_out() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let r = get(&state, &format!("/api/search?q={}", enc(SECRET)), None).json();
    assert_eq!(r["total"], 0, "{r}");
    let r = get(
        &state,
        &format!("/api/search?q={}", enc(SECRET)),
        Some(staff()),
    )
    .json();
    assert!(r["total"].as_u64().unwrap() > 0);
    assert_eq!(r["hits"][0]["access"], "内部");

    // Browsing: totals and facet counts are those of the four public documents.
    let region = |v: &Value| -> Vec<String> {
        v["facets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["field"] == "region")
            .flat_map(|f| f["values"].as_array().unwrap().clone())
            .map(|x| x["value"].as_str().unwrap().to_string())
            .collect()
    };
    let kind_total = |v: &Value| -> u64 {
        v["facets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["field"] == "kind")
            .flat_map(|f| f["values"].as_array().unwrap().clone())
            .map(|x| x["count"].as_u64().unwrap())
            .sum()
    };
    let public = get(&state, "/api/search?unit=document", None).json();
    let all = get(&state, "/api/search?unit=document", Some(staff())).json();
    assert_eq!(public["total"], 4, "{public}");
    assert_eq!(all["total"], 5);
    assert_eq!(kind_total(&public), 4);
    assert_eq!(kind_total(&all), 5);
    assert!(!region(&public).contains(&"甘肃省".to_string()));
    assert!(region(&all).contains(&"甘肃省".to_string()));
    let page = get(&state, "/search?q=", None).text();
    assert!(!page.contains("甘肃省"));
    assert!(!page.contains("示范保密审计法"));

    let h = get(&state, "/api/health", None).json();
    assert_eq!(h["documents"], 4, "{h}");
    let h = get(&state, "/api/health", Some(staff())).json();
    assert_eq!(h["documents"], 5, "{h}");
}

#[test]
fn only_staff_change_access_and_the_change_shows_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let (doc, _) = secret_ids(&state);
    let uri = format!("/api/documents/{doc}/access");
    // Not logged in: asked to log in; logged in without the role: refused.
    let refused = post_json(&state, &uri, r#"{"access":"public"}"#, None);
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        refused.text()
    );
    assert_eq!(refused.json()["error"]["code"], "unauthorized");
    let deputy = Viewer {
        user: Some("d".into()),
        role: Role::Deputy,
        deputy: Some("钱某".into()),
    };
    let refused = post_json(&state, &uri, r#"{"access":"public"}"#, Some(deputy));
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let form = send(
        &state,
        Request::post(format!("/documents/{doc}/access"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("access=public"))
            .unwrap(),
        None,
    );
    // The page form of a visitor who is not logged in leads to the login page.
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(&state, &format!("/api/documents/{doc}"), None).status,
        StatusCode::NOT_FOUND
    );

    let bad = post_json(&state, &uri, r#"{"access":"secret"}"#, Some(staff()));
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let missing = post_json(
        &state,
        "/api/documents/0000000000000000/access",
        r#"{"access":"public"}"#,
        Some(staff()),
    );
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let ok = post_json(&state, &uri, r#"{"access":"public"}"#, Some(staff()));
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["access"], "公开");
    assert_eq!(
        get(&state, &format!("/api/documents/{doc}"), None).status,
        StatusCode::OK
    );
    let r = get(&state, &format!("/api/search?q={}", enc(SECRET)), None).json();
    assert!(r["total"].as_u64().unwrap() > 0);

    // The page's form sets it back.
    let form = send(
        &state,
        Request::post(format!("/documents/{doc}/access"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("access=restricted"))
            .unwrap(),
        Some(staff()),
    );
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.text());
    let r = get(&state, &format!("/api/search?q={}", enc(SECRET)), None).json();
    assert_eq!(r["total"], 0);
}

/// Waits until an upload task is done.
fn wait(state: &AppState, id: &Value) {
    let task = id.as_str().unwrap();
    let start = Instant::now();
    loop {
        let t = get(state, &format!("/api/tasks/{task}"), Some(staff())).json();
        if t["status"] == "done" {
            return;
        }
        assert_ne!(t["status"], "failed", "{t}");
        assert!(start.elapsed() < Duration::from_secs(60), "{t}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_upload_marked_restricted_is_seen_by_staff_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let boundary = "yusuan-access-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"access\"\r\n\r\nrestricted\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&multipart(
        boundary,
        &[(
            "file",
            "白鹭计划说明.md",
            "# 白鹭计划说明\n\n白鹭计划的资金安排仅供内部参阅。\n".as_bytes(),
        )],
    ));
    let r = send(
        &state,
        Request::post("/api/ingest")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
        Some(staff()),
    );
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    wait(&state, &r.json()["id"]);
    let q = format!("/api/search?q={}", enc("白鹭计划"));
    assert_eq!(get(&state, &q, None).json()["total"], 0);
    let seen = get(&state, &q, Some(staff())).json();
    assert!(seen["total"].as_u64().unwrap() > 0, "{seen}");
    assert_eq!(seen["hits"][0]["access"], "内部");

    // A public upload sent again (same bytes) marked restricted becomes restricted.
    let file = "# 苍鹭计划说明\n\n苍鹭计划的资金安排。\n".as_bytes();
    let public = send(
        &state,
        Request::post("/api/ingest")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(multipart(
                boundary,
                &[("file", "苍鹭计划说明.md", file)],
            )))
            .unwrap(),
        Some(staff()),
    );
    wait(&state, &public.json()["id"]);
    let q = format!("/api/search?q={}", enc("苍鹭计划"));
    assert!(get(&state, &q, None).json()["total"].as_u64().unwrap() > 0);
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"access\"\r\n\r\nrestricted\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&multipart(boundary, &[("file", "苍鹭计划说明.md", file)]));
    let again = send(
        &state,
        Request::post("/api/ingest")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
        Some(staff()),
    );
    wait(&state, &again.json()["id"]);
    assert_eq!(get(&state, &q, None).json()["total"], 0);
    assert!(
        get(&state, &q, Some(staff())).json()["total"]
            .as_u64()
            .unwrap()
            > 0
    );

    // An invalid access value is refused.
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"access\"\r\n\r\nsecret\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&multipart(boundary, &[("file", "x.md", b"# x\n")]));
    let r = send(
        &state,
        Request::post("/api/ingest")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
        Some(staff()),
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
}

#[test]
fn subject_codes_seen_only_in_restricted_tables_stay_out_of_the_public_tree() {
    let dir = tempfile::tempdir().unwrap();
    let c = corpus(dir.path());
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/reference");
    std::fs::create_dir_all(c.join("reference")).unwrap();
    for f in std::fs::read_dir(&reference).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, c.join("reference").join(f.file_name().unwrap())).unwrap();
    }
    let table = format!(
        "某局2023年部门决算\n\n支出决算表\n208 社会保障和就业支出 100.00\n2089977 {SECRET}专项支出 40.00\n"
    );
    write(&c, "accounts/某局2023年部门决算.txt", &table);
    write(
        &c,
        "accounts/某局2023年部门决算.txt.meta.json",
        r#"{"access": "restricted"}"#,
    );
    let state = started(dir.path());
    state
        .save_settings(yusuan::auth::accounts::Settings {
            allow_anonymous: true,
            ..Default::default()
        })
        .unwrap();
    // Staff see the code the restricted table added to the tree.
    let r = get(&state, "/api/subjects/2089977", Some(staff()));
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains(SECRET));
    let children = get(&state, "/api/subjects/20899", Some(staff())).text();
    assert!(children.contains("2089977"), "{children}");
    // Visitors find neither the code nor its name, in the API or on the page.
    assert_eq!(
        get(&state, "/api/subjects/2089977", None).status,
        StatusCode::NOT_FOUND
    );
    for uri in ["/api/subjects/20899", "/subjects/20899", "/subjects/208"] {
        let r = get(&state, uri, None);
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
        assert!(
            !r.text().contains("2089977") && !r.text().contains(SECRET),
            "{uri}: {}",
            r.text()
        );
    }
}

#[test]
fn a_restricted_newer_version_leaves_the_public_one_in_force_for_readers_who_cannot_see_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let versions = get(
        &state,
        &format!(
            "/api/search?q={}&unit=document&sort=date",
            enc("示范预算法")
        ),
        Some(staff()),
    )
    .json();
    let ids: Vec<String> = versions["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["title"] == "中华人民共和国示范预算法")
        .map(|h| h["doc_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{versions}");
    let (newer, older) = (ids[0].clone(), ids[1].clone());
    restrict(&state, &newer);
    let validity_facet = |v: &Value| -> Vec<(String, u64)> {
        v["facets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["field"] == "validity")
            .flat_map(|f| f["values"].as_array().unwrap().clone())
            .map(|x| {
                (
                    x["value"].as_str().unwrap().to_string(),
                    x["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let search = format!("/api/search?q={}&unit=document", enc("示范预算法 细化"));
    let amended_only = format!(
        "/api/search?q={}&unit=document&status={}",
        enc("示范预算法"),
        enc("已修改")
    );
    for reader in [None, Some(outside_deputy())] {
        let who = format!("{reader:?}");
        let d = get(&state, &format!("/api/documents/{older}"), reader.clone()).json();
        assert_eq!(d["validity"], "有效", "{who}");
        let shown: Vec<&str> = d["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["validity"].as_str().unwrap())
            .collect();
        assert_eq!(shown, ["有效"], "{who}: {d}");
        let article = d["articles"][0]["id"].as_str().unwrap();
        let a = get(&state, &format!("/api/articles/{article}"), reader.clone()).json();
        assert_eq!(a["validity"], "有效", "{who}");
        let page = get(&state, &format!("/documents/{older}"), reader.clone()).text();
        assert!(page.contains("有效"), "{who}");
        assert!(!page.contains("已修改"), "{who}: {page}");
        let r = get(&state, &search, reader.clone()).json();
        assert_eq!(r["total"], 1, "{who}: {r}");
        assert_eq!(r["hits"][0]["validity"], "有效", "{who}");
        assert!(
            !validity_facet(&r).iter().any(|(v, _)| v == "已修改"),
            "{who}: {r}"
        );
        let r = get(&state, &amended_only, reader.clone()).json();
        assert_eq!(r["total"], 0, "{who}: {r}");
        let html = get(
            &state,
            &format!("/search?q={}&unit=document", enc("示范预算法 细化")),
            reader.clone(),
        )
        .text();
        assert!(!html.contains("已修改"), "{who}: {html}");
    }
    // Staff see both versions and the older one as amended.
    let d = get(&state, &format!("/api/documents/{older}"), Some(staff())).json();
    assert_eq!(d["validity"], "已修改");
    let r = get(&state, &amended_only, Some(staff())).json();
    assert_eq!(r["total"], 1, "{r}");
    assert!(
        validity_facet(&get(&state, &search, Some(staff())).json()).contains(&("已修改".into(), 1))
    );
    // Made public again, the newer version amends the older one for everybody.
    assert!(
        yusuan::pipeline::set_access(
            &state.lib,
            &yusuan::model::DocId(newer.clone()),
            yusuan::model::Access::Public
        )
        .unwrap()
    );
    let d = get(&state, &format!("/api/documents/{older}"), None).json();
    assert_eq!(d["validity"], "已修改", "{d}");
    let r = get(&state, &amended_only, None).json();
    assert_eq!(r["total"], 1, "{r}");
}
