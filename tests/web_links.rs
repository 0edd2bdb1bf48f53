//! The web side of links to budget subjects and topics, through the router without a socket: the subject tree
//! and its drill-down, topics and dossiers, search filters by subject and topic, a document's links with
//! their evidence, and the staff's decisions (form and JSON), bad parameters and malformed posts included.
//! With YUSUAN_SHARED set, real final accounts show up under 208.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tower::ServiceExt;
use yusuan::web::{self, AppState};

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// Asserts an error of this status; JSON errors must carry the message, pages the heading.
    fn error(&self, status: StatusCode) -> &str {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body
    }
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
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
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).to_string(),
        }
    })
}

fn get(state: &AppState, uri: &str) -> Reply {
    send(state, Request::get(uri).body(Body::empty()).unwrap())
}

fn post_form(state: &AppState, uri: &str, body: &str) -> Reply {
    send(
        state,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
}

fn post_json(state: &AppState, uri: &str, body: &str) -> Reply {
    send(
        state,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
}

fn project_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A corpus folder with the project's reference data (subject tree, topics) and its sample documents.
fn linked_corpus(dir: &Path) -> PathBuf {
    let c = dir.join("corpus");
    for sub in ["reference", "samples"] {
        let from = project_corpus().join(sub);
        std::fs::create_dir_all(c.join(sub)).unwrap();
        for f in std::fs::read_dir(&from).unwrap() {
            let f = f.unwrap().path();
            if f.is_file() {
                std::fs::copy(&f, c.join(sub).join(f.file_name().unwrap())).unwrap();
            }
        }
    }
    c
}

fn fixture(dir: &Path) -> AppState {
    linked_corpus(dir);
    started(dir)
}

/// The id of the first document hit of a search.
fn doc_id(state: &AppState, q: &str) -> String {
    let r = get(state, &format!("/api/search?q={}&unit=document", enc(q))).json();
    r["hits"][0]["doc_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no hit for {q}: {r}"))
        .to_string()
}

fn titles(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn subject_tree_counts_every_level_and_drills_down_to_documents() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());

    let top = get(&state, "/api/subjects").json();
    let budgets: Vec<&str> = top["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["budget"].as_str().unwrap())
        .collect();
    assert_eq!(
        budgets,
        [
            "一般公共预算",
            "政府性基金预算",
            "国有资本经营预算",
            "社会保险基金预算"
        ]
    );
    let class = |code: &str| {
        top["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .unwrap_or_else(|| panic!("{code} missing"))
            .clone()
    };
    assert_eq!(class("205")["name"], "教育支出");
    let edu_count = class("205")["documents"].as_u64().unwrap();
    assert!(edu_count >= 2, "{}", class("205"));

    // The class page lists as many documents as the class count and the search with subject=205.
    let edu = get(&state, "/api/subjects/205").json();
    assert_eq!(edu["total"].as_u64(), Some(edu_count));
    let search = get(&state, "/api/search?subject=205&unit=document").json();
    assert_eq!(search["total"].as_u64(), Some(edu_count));
    assert!(titles(&edu["documents"]).contains(&"示例市教育局2024年部门决算".to_string()));
    let general = edu["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "20502")
        .unwrap();
    assert!(general["documents"].as_u64().unwrap() >= 1);
    assert_eq!(
        edu["path"][0]["code"], "205",
        "the path starts at the class: {edu}"
    );

    // The 项 page gives what the final account spent on it (its 决算数, not the 年初预算数 beside it), labelled.
    let primary = get(&state, "/api/subjects/2050202").json();
    let table = primary["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "示例市教育局2024年部门决算")
        .unwrap();
    assert_eq!(table["amount"], 17022.46);
    assert!(
        table["amount_label"]
            .as_str()
            .unwrap()
            .contains("决算数（万元）"),
        "{table}"
    );
    let totals = primary["amounts"]["totals"].as_array().unwrap();
    assert!(
        totals
            .iter()
            .any(|t| t["column"] == "年初预算数" && t["amount"] == 16800.0 && t["documents"] == 1),
        "{totals:?}"
    );
    assert_eq!(primary["path"].as_array().unwrap().len(), 3);

    // Pages: tree with budgets, drill-down with children, documents and a search link.
    let page = get(&state, "/subjects");
    assert_eq!(page.status, StatusCode::OK);
    for want in ["政府性基金预算", "href=\"/subjects/205\"", "教育支出"] {
        assert!(page.body.contains(want), "{want}");
    }
    let page = get(&state, "/subjects/20502");
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("示例市教育局2024年部门决算"));
    assert!(page.body.contains("href=\"/subjects/2050202\""));
    assert!(
        page.body
            .contains("/search?subject=20502&#38;unit=document")
    );
    let page = get(&state, "/subjects/2050202").body;
    assert!(
        page.contains("支出 17,022.46 万元"),
        "amounts of the subject's own rows"
    );
    assert!(page.contains("id=\"fact-totals\""));
    let fund = get(
        &state,
        &format!("/subjects?budget={}", enc("政府性基金预算")),
    );
    assert_eq!(fund.status, StatusCode::OK);
    assert!(
        fund.body.contains("21208"),
        "a fund subject under a general class"
    );
    // Filters narrow the counts.
    let finals = get(&state, &format!("/api/subjects/205?kind={}", enc("决算"))).json();
    assert!(finals["total"].as_u64().unwrap() < edu_count);

    // Bad input: a clear error, as a page or as JSON.
    assert!(
        get(&state, "/subjects/abc")
            .error(StatusCode::BAD_REQUEST)
            .contains("不是科目编码")
    );
    assert!(
        get(&state, "/subjects/999")
            .error(StatusCode::NOT_FOUND)
            .contains("没有编码为 999 的科目")
    );
    let api404 = get(&state, "/api/subjects/999");
    assert_eq!(api404.status, StatusCode::NOT_FOUND);
    assert_eq!(api404.json()["error"]["code"], "not_found");
    assert!(
        get(&state, "/subjects?budget=x")
            .error(StatusCode::BAD_REQUEST)
            .contains("budget")
    );
    assert!(
        get(&state, "/subjects/205?page=0")
            .error(StatusCode::BAD_REQUEST)
            .contains("page")
    );
    assert!(
        get(&state, "/api/subjects/205?page=999999")
            .error(StatusCode::BAD_REQUEST)
            .contains("页码过大")
    );
    // Found by tests/fuzz.rs: the offset of a page near usize::MAX overflowed.
    for path in ["/subjects/205", "/api/subjects/205"] {
        assert!(
            get(&state, &format!("{path}?page={}", usize::MAX))
                .error(StatusCode::BAD_REQUEST)
                .contains("页码过大")
        );
    }
    assert!(
        get(&state, "/api/subjects?kind=x")
            .error(StatusCode::BAD_REQUEST)
            .contains("kind")
    );
}

#[test]
fn search_filters_and_facets_by_subject_and_topic() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let all = get(&state, "/api/search?unit=document&limit=0").json();
    let topic_facet = all["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "topic")
        .unwrap()
        .clone();
    let (name, count) = (
        topic_facet["values"][0]["value"]
            .as_str()
            .unwrap()
            .to_string(),
        topic_facet["values"][0]["count"].as_u64().unwrap(),
    );
    let by_name = get(
        &state,
        &format!("/api/search?unit=document&topic={}", enc(&name)),
    )
    .json();
    assert_eq!(by_name["total"].as_u64(), Some(count));
    // A topic may be named by its id too.
    let id = get(&state, "/api/topics")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let by_id = get(&state, &format!("/api/search?unit=document&topic={id}")).json();
    assert_eq!(by_id["total"], by_name["total"]);

    // Facet counts follow the query: with subject=205 every topic count is at most the 205 total.
    let edu = get(&state, "/api/search?unit=document&subject=205").json();
    let edu_total = edu["total"].as_u64().unwrap();
    for f in edu["facets"].as_array().unwrap() {
        for v in f["values"].as_array().unwrap() {
            assert!(v["count"].as_u64().unwrap() <= edu_total, "{f}");
        }
    }
    // A class includes its descendants: 20502 is a subset of 205.
    let general = get(&state, "/api/search?unit=document&subject=20502").json();
    assert!(general["total"].as_u64().unwrap() <= edu_total);
    assert!(general["total"].as_u64().unwrap() >= 1);

    // The page labels subjects with their names, as facets and as active filters.
    let page = get(&state, "/search?subject=205");
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("科目：205 教育支出"),
        "active filter chip"
    );
    assert!(page.body.contains("<h3>科目</h3>") && page.body.contains("<h3>专题</h3>"));

    for bad in ["subject=20x", "subject=12", "topic=no-such-topic"] {
        let r = get(&state, &format!("/api/search?{bad}"));
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "bad_request");
        assert_eq!(
            get(&state, &format!("/search?{bad}")).status,
            StatusCode::BAD_REQUEST
        );
    }
}

#[test]
fn topics_list_with_counts_and_a_dossier_groups_documents_on_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let topics = get(&state, "/api/topics").json();
    let oversight = topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "npc-budget-oversight")
        .unwrap()
        .clone();
    assert!(oversight["documents"].as_u64().unwrap() >= 1, "{oversight}");

    let d = get(&state, "/api/topics/npc-budget-oversight").json();
    assert_eq!(d["name"], "人大预算审查监督");
    assert!(!d["description"].as_str().unwrap().is_empty());
    assert_eq!(d["total"], oversight["documents"]);
    let sections: Vec<&str> = d["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[0].as_str().unwrap())
        .collect();
    assert!(!sections.is_empty());
    let listed: usize = d["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[1].as_array().unwrap().len())
        .sum();
    assert_eq!(listed as u64, d["total"].as_u64().unwrap());
    assert!(
        d["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "201")
    );
    // By name as well as by id.
    let by_name = get(&state, &format!("/api/topics/{}", enc("人大预算审查监督"))).json();
    assert_eq!(by_name["id"], "npc-budget-oversight");

    let page = get(&state, "/topics/npc-budget-oversight");
    assert_eq!(page.status, StatusCode::OK);
    for want in [
        "政策法规",
        "财政收支",
        "人大监督",
        "绩效与审计",
        "id=\"timeline\"",
        "201 一般公共服务支出",
    ] {
        assert!(page.body.contains(want), "{want}");
    }
    let list = get(&state, "/topics");
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("href=\"/topics/npc-budget-oversight\""));

    assert!(
        get(&state, "/topics/no-such")
            .error(StatusCode::NOT_FOUND)
            .contains("没有「no-such」这个专题")
    );
    assert_eq!(
        get(&state, "/api/topics/no-such").json()["error"]["code"],
        "not_found"
    );
    assert_eq!(
        get(&state, "/api/topics?year=20").status,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn document_links_show_evidence_and_staff_decisions_survive_reingest() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = doc_id(&state, "示例市教育局2024年部门决算");
    let links = get(&state, &format!("/api/documents/{id}/links")).json();
    let first = &links["subjects"][0];
    assert_eq!(first["key"], "subject:2050202", "{links}");
    assert!(
        first["why"][0]
            .as_str()
            .unwrap()
            .starts_with("表中科目行「2050202 小学教育")
    );
    assert!(first["decision"].is_null());
    let all = get(&state, &format!("/api/documents/{id}/links?all=true")).json();
    assert!(
        all["subjects"].as_array().unwrap().len() >= links["subjects"].as_array().unwrap().len()
    );

    let page = get(&state, &format!("/documents/{id}"));
    assert!(page.body.contains("id=\"links\""));
    assert!(page.body.contains("value=\"reject:subject:2050202\""));
    assert!(page.body.contains("依据：表中科目行"));
    // A deputy sees the links and their evidence, but not the buttons or the candidates they cannot use.
    let seen = common::get_as(
        &state,
        &format!("/documents/{id}"),
        common::outside_deputy(),
    );
    assert_eq!(seen.status, StatusCode::OK);
    let seen = seen.text();
    assert!(seen.contains("依据：表中科目行"), "{seen}");
    assert!(!seen.contains("value=\"reject:"), "{seen}");
    assert!(!seen.contains("value=\"confirm:"), "{seen}");
    assert!(!seen.contains("以当前账号的名义确认或否决"));
    assert!(!seen.contains("id=\"link-candidates\""));

    // Reject through the form: a redirect back to the links, the decision shown and applied to search.
    let r = post_form(
        &state,
        &format!("/documents/{id}/links"),
        &format!("op={}", enc("reject:subject:2050202")),
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/documents/{id}#links"));
    let page = get(&state, &format!("/documents/{id}"));
    assert!(
        page.body.contains("已否决 · staff-test"),
        "the decision is shown with the account that made it"
    );
    assert!(page.body.contains("value=\"undo:subject:2050202\""));
    let found = get(&state, "/api/search?unit=document&subject=2050202").json();
    assert!(
        !found.to_string().contains(&id),
        "a rejected link is not indexed"
    );

    // Confirm a topic through the API: the decision bears the account's name.
    let target = "topic:compulsory-education";
    let after = post_json(
        &state,
        &format!("/api/documents/{id}/links"),
        &format!(r#"{{"target": "{target}", "action": "confirm"}}"#),
    );
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    let topic = after.json()["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == target)
        .unwrap()
        .clone();
    assert_eq!(topic["decision"]["by"], "staff-test");
    assert_eq!(topic["decision"]["verdict"], "confirmed");

    // The file changes and is ingested again: both decisions stay.
    let file = dir
        .path()
        .join("corpus/samples/示例市教育局2024年部门决算.csv");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n备注,本表为示例\n");
    std::fs::write(&file, text).unwrap();
    let r = yusuan::pipeline::ingest(&state.lib, std::slice::from_ref(&file), &|_| {}).unwrap();
    assert_eq!(r.updated, 1, "{r:?}");
    let page = get(&state, &format!("/documents/{id}"));
    assert!(page.body.contains("已否决 · staff-test"));
    assert!(page.body.contains("已确认 · staff-test"));
    let edu = get(
        &state,
        "/api/search?unit=document&topic=compulsory-education",
    )
    .json();
    assert!(
        edu.to_string().contains(&id),
        "the confirmed topic is indexed"
    );

    // Undo brings the rejected link back.
    let r = post_form(
        &state,
        &format!("/documents/{id}/links"),
        "op=undo%3Asubject%3A2050202",
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let found = get(&state, "/api/search?unit=document&subject=2050202").json();
    assert!(found.to_string().contains(&id));
}

#[test]
fn malformed_decisions_get_clear_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = doc_id(&state, "示例市教育局2024年部门决算");
    let uri = format!("/documents/{id}/links");
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (String::new(), StatusCode::BAD_REQUEST, "操作「」无效"),
        (
            "op=explode".into(),
            StatusCode::BAD_REQUEST,
            "操作「explode」无效",
        ),
        ("op=reject".into(), StatusCode::BAD_REQUEST, "无效"),
        (
            "op=reject%3Asubject%3A99x".into(),
            StatusCode::BAD_REQUEST,
            "不是科目编码或专题",
        ),
        (
            "op=reject%3Asubject%3A999".into(),
            StatusCode::BAD_REQUEST,
            "输入无效",
        ),
        (
            "op=confirm%3Atopic%3Anope".into(),
            StatusCode::BAD_REQUEST,
            "不是科目编码或专题",
        ),
        ("op=%FF".into(), StatusCode::BAD_REQUEST, "无效"),
    ];
    for (body, status, want) in &cases {
        let r = post_form(&state, &uri, body);
        assert_eq!(r.status, *status, "{body}: {}", r.body);
        assert!(r.body.contains(want), "{body}: {}", r.body);
        assert!(r.body.contains("<h1>"), "an error page for {body}");
    }
    // Not a form at all.
    let r = send(
        &state,
        Request::post(&uri)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("op=reject:subject:205"))
            .unwrap(),
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("表单内容无法读取"));
    // No such document.
    let r = post_form(&state, "/documents/nope/links", "op=reject%3Asubject%3A205");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The same through the API.
    let api = format!("/api/documents/{id}/links");
    for body in [
        "",
        "{",
        r#"{"target": "subject:205"}"#,
        r#"{"target": "subject:205", "action": "maybe"}"#,
        r#"{"target": "subject:205", "action": "reject", "colour": "red"}"#,
        r#"{"target": "nowhere", "action": "reject"}"#,
    ] {
        let r = post_json(&state, &api, body);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "bad_request", "{body}");
    }
    let r = post_json(
        &state,
        "/api/documents/nope/links",
        r#"{"target": "205", "action": "reject"}"#,
    );
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&state, "/api/documents/nope/links").status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&state, &format!("{api}?all=maybe")).status,
        StatusCode::BAD_REQUEST
    );
    // Nothing was decided.
    let links = get(&state, &format!("{api}?all=true")).json();
    assert!(!links.to_string().contains("\"decision\":{"), "{links}");
}

/// The shared folder with the real documents, or None (and a printed line) when `YUSUAN_SHARED` is unset.
fn shared() -> Option<PathBuf> {
    match std::env::var_os("YUSUAN_SHARED") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            println!(
                "skipped: set YUSUAN_SHARED to the shared folder to run the real-data web link test"
            );
            None
        }
    }
}

#[test]
fn real_final_accounts_are_listed_under_208() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("corpus");
    std::fs::create_dir_all(&c).unwrap();
    let state = AppState::new(std::sync::Arc::new(
        yusuan::library::Library::open(yusuan::config::Config::new(
            dir.path().join("index"),
            project_corpus(),
        ))
        .unwrap(),
    ))
    .unwrap();
    let laws = shared.join("corpus/laws/社会法");
    let inputs = vec![
        shared.join("corpus/final-accounts"),
        laws.join("就业促进法(2015-04-24).md"),
        laws.join("劳动法(2018-12-29).md"),
    ];
    let r = yusuan::pipeline::ingest(&state.lib, &inputs, &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let page = get(&state, "/subjects/208");
    assert_eq!(page.status, StatusCode::OK);
    for name in [
        "上海市普陀区财政局2024年度部门决算",
        "中共上海市普陀区委社会工作部2024年度部门决算",
    ] {
        assert!(page.body.contains(name), "{name} under 208");
    }
    let api = get(&state, "/api/subjects/208").json();
    assert!(api["total"].as_u64().unwrap() >= 3, "{api}");
    assert!(
        api["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "20805" && c["documents"].as_u64().unwrap() >= 1)
    );
}

/// The request as made by a logged-in staff member (unless the test set another viewer).
fn as_staff<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    if req.extensions().get::<yusuan::auth::Viewer>().is_none() {
        req.extensions_mut().insert(common::staff());
    }
    req
}
