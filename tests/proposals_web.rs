//! The proposal API through the router without a socket: import a table, list with filters and counts,
//! export, one proposal with its timeline and similar proposals, events (accepted and refused), creation,
//! and errors for bad parameters and unknown proposals.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;
use yusuan::auth::{Role, Viewer};
use yusuan::web::{self, AppState};

/// These suites work as committee staff (imports, events, every proposal); what other readers see of
/// proposals that are not public is tested in `access`.
fn as_staff(mut req: Request<Body>) -> Request<Body> {
    req.extensions_mut().insert(Viewer {
        user: Some("staff".into()),
        role: Role::Staff,
        deputy: None,
    });
    req
}

fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Vec<u8>) {
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
    // A byte-order mark first, so that Excel reads the file as UTF-8.
    assert!(text.starts_with("\u{feff}编号,届次"));
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

fn page(state: &AppState, uri: &str) -> (StatusCode, String) {
    let (s, body) = send(state, Request::get(uri).body(Body::empty()).unwrap());
    (s, String::from_utf8(body).unwrap())
}

fn post_form(state: &AppState, uri: &str, body: &[u8]) -> (StatusCode, String, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_vec()))
            .unwrap();
        let resp = web::router(state.clone())
            .oneshot(as_staff(req))
            .await
            .unwrap();
        let status = resp.status();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, location, String::from_utf8(body.to_vec()).unwrap())
    })
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", common::enc(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// A started library with the sample proposals imported.
fn with_sample_proposals(dir: &Path) -> AppState {
    std::fs::create_dir_all(dir.join("corpus")).unwrap();
    let state = common::started(dir);
    let csv =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/samples/proposals.csv"))
            .unwrap();
    let (s, r) = post(&state, "/api/proposals/import?name=proposals.csv", csv);
    assert_eq!(s, StatusCode::OK, "{r}");
    state
}

#[test]
fn proposal_pages_list_dashboard_proposal_and_event_form() {
    let dir = tempfile::tempdir().unwrap();
    let state = with_sample_proposals(dir.path());

    // The list: every proposal, counts per filter value, export links, the nav link.
    let (s, html) = page(&state, "/proposals?today=2025-06-01");
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains(r#"<a href="/proposals">代表建议</a>"#),
        "nav link"
    );
    assert!(html.contains("共 <b>12</b> 件"), "{html}");
    assert!(
        html.contains(r#"<span>市教育局</span><span class="n">4</span>"#),
        "unit counts"
    );
    assert!(html.contains(r#"<span>已逾期</span><span class="n">2</span>"#));
    assert!(html.contains("/api/proposals?format=csv"));
    assert!(html.contains("/api/proposals?format=xlsx"));

    // Filters combine, stay in the URL of every link and can be removed one by one.
    let edu = common::enc("市教育局");
    let (s, html) = page(
        &state,
        &format!("/proposals?unit={edu}&overdue=1&today=2025-06-01"),
    );
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("共 <b>1</b> 件"), "{html}");
    assert!(html.contains("关于建立学前教育经费稳定增长机制的建议"));
    assert!(!html.contains("关于推进城镇老旧小区改造资金多元筹措的建议"));
    assert!(html.contains("承办单位：市教育局 ✕"));
    assert!(html.contains("已逾期 ✕"));
    assert!(
        html.contains(&format!(
            "/api/proposals?unit={edu}&#38;overdue=1&#38;format=csv"
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"href="/proposals?unit={edu}&#38;today=2025-06-01""#
        )),
        "removing the overdue filter keeps the unit"
    );
    let (s, html) = page(
        &state,
        "/proposals?status=%E5%B7%B2%E5%8A%9E%E7%BB%93&year=2023",
    );
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("共 <b>4</b> 件"), "{html}");

    // A page past the end is empty, not an error; bad values are explained.
    let (s, html) = page(&state, "/proposals?page=2");
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("这一页没有建议"));
    for bad in [
        "/proposals?page=0",
        "/proposals?page=abc",
        "/proposals?status=%E4%B9%B1",
        "/proposals?year=abc",
        "/proposals?grade=E",
        "/proposals?today=yesterday",
        "/proposals?unit=%FF",
    ] {
        let (s, html) = page(&state, bad);
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert!(html.contains("请求有误"), "{bad}: {html}");
    }

    // The dashboard.
    let (s, html) = page(&state, "/proposals/dashboard?today=2025-06-01");
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("建议总数<b>12</b>"));
    assert!(html.contains("已逾期<b>2</b>"));
    assert!(html.contains("逾期未答复（2 件）"));
    assert!(html.contains("关于推进城镇老旧小区改造资金多元筹措的建议"));
    assert!(html.contains("按承办单位") && html.contains("按届次") && html.contains("按专题"));
    let (_, html) = page(&state, "/proposals/dashboard?today=2025-05-15");
    assert!(html.contains("14 天内到期（2 件）"), "{html}");
    assert!(html.contains("逾期未答复（0 件）"));
    let (s, _) = page(&state, "/proposals/dashboard?today=bad");
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // One proposal: text, metadata, timeline, similar earlier proposals, the repeated-issue flag.
    let (s, html) = page(&state, "/proposals/16-5-3001?today=2025-06-01");
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains(r#"<h1 id="title">关于建立学前教育经费稳定增长机制的建议</h1>"#));
    assert!(html.contains("<dt>主办单位</dt><dd>市教育局</dd>"));
    assert!(html.contains("<dt>编号</dt><dd>第3001号</dd>"), "{html}");
    assert!(html.contains("已逾期：办理期限为 2025-05-24"));
    assert!(html.contains("同一问题已被提出 3 次"), "{html}");
    assert!(
        html.contains("关于加大学前教育经费投入的建议"),
        "similar 1005"
    );
    assert!(html.contains("<span class=\"tag\">往届</span>"));
    assert!(html.contains("相似度 "));
    assert!(html.contains("<b>交办</b>"), "timeline");
    let (s, html) = page(&state, "/proposals/99-9-1");
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("没有这件建议"));
    let (s, _) = page(&state, "/proposals/16-5-3001?today=x");
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // A refused event is shown on the page with its reason and the typed values.
    let url = "/proposals/16-5-3001/events";
    let (s, _, html) = post_form(
        &state,
        url,
        &form(&[
            ("kind", "办结"),
            ("date", "2025-06-01"),
            ("actor", "市人大常委会办公厅"),
        ]),
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("未能记录"), "{html}");
    assert!(html.contains("当前状态：办理中"), "{html}");
    assert!(html.contains(r#"value="市人大常委会办公厅""#));
    // Invalid values and malformed posts are explained, never a crash.
    let (s, _, html) = post_form(&state, url, &form(&[("kind", "办结"), ("actor", "")]));
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("请填写办理人或单位"));
    let (s, _, html) = post_form(
        &state,
        url,
        &form(&[("kind", "答复"), ("date", "2025-13-45"), ("actor", "甲")]),
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("日期「2025-13-45」无法识别"));
    let (s, _, html) = post_form(&state, url, &form(&[("kind", "飞走"), ("actor", "甲")]));
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("无法识别的事件「飞走」"));
    let (s, _, html) = post_form(&state, url, b"kind=%FF%FE&actor=\xff");
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("无法识别的事件"), "{html}");
    let (s, body) = send(
        &state,
        Request::post(url)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("kind=签收"))
            .unwrap(),
    );
    let html = String::from_utf8(body).unwrap();
    assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("表单内容无法读取"), "{html}");
    let (s, _, html) = post_form(
        &state,
        "/proposals/99-9-1/events",
        &form(&[("kind", "签收"), ("actor", "甲")]),
    );
    assert_eq!(s, StatusCode::NOT_FOUND, "{html}");

    // An accepted event redirects back to the timeline (a bare number finds the proposal).
    let (s, location, _) = post_form(
        &state,
        "/proposals/3001/events",
        &form(&[
            ("kind", "答复"),
            ("date", "2025-06-01"),
            ("actor", "市教育局"),
            ("grade", "B"),
            ("text", "已将学前教育经费纳入中期财政规划。"),
        ]),
    );
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(location, "/proposals/16-5-3001#timeline");
    let (_, html) = page(&state, "/proposals/16-5-3001?today=2025-06-02");
    assert!(
        html.contains(r#"<span class="tag" id="status">已答复</span>"#),
        "{html}"
    );
    assert!(html.contains("<p>已将学前教育经费纳入中期财政规划。</p>"));
    assert!(!html.contains("已逾期："));
}

#[test]
fn a_number_several_sessions_use_shows_the_newest_and_lists_the_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("corpus")).unwrap();
    let state = common::started(dir.path());
    let csv = "编号,届次,年份,类型,标题,内容,领衔代表,主办单位,状态,公开\n\
        1005,第十六届人民代表大会第三次会议,2023,建议,关于加大学前教育经费投入的建议,内容一,张三,市教育局,待交办,是\n\
        1005,第十六届人民代表大会第四次会议,2024,建议,关于改善农村公路养护的建议,内容二,李四,市交通运输局,待交办,是\n";
    let (s, r) = post(
        &state,
        "/api/proposals/import?name=p.csv",
        csv.as_bytes().to_vec(),
    );
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["added"], 2, "{r}");
    let (s, body) = send(
        &state,
        Request::get("/proposals/1005").body(Body::empty()).unwrap(),
    );
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8_lossy(&body);
    assert!(
        html.contains("关于改善农村公路养护的建议"),
        "the newest session is shown"
    );
    assert!(html.contains("id=\"same-number\""), "{html}");
    assert!(
        html.contains("关于加大学前教育经费投入的建议"),
        "the other is listed"
    );
    // Asked by its full id, a proposal shows no such list.
    let (_, list) = get(&state, "/api/proposals?q=%E5%AD%A6%E5%89%8D");
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let (_, body) = send(
        &state,
        Request::get(format!("/proposals/{id}"))
            .body(Body::empty())
            .unwrap(),
    );
    let html = String::from_utf8_lossy(&body);
    assert!(
        html.contains("关于加大学前教育经费投入的建议") && !html.contains("id=\"same-number\"")
    );
}

#[test]
fn an_import_says_what_it_replaces_and_generated_rows_never_replace_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    let state = with_sample_proposals(dir.path());
    let header = "编号,届次,年份,类型,标题,内容,领衔代表,主办单位,状态,公开\n";
    let row = |text: &str| {
        format!(
            "{header}1005,第十六届人民代表大会第三次会议,2023,建议,关于加大学前教育投入的建议（修改）,{text},张三,市教育局,待交办,是\n"
        )
    };
    // A generated row with the number and session of a real proposal is refused, and the real one kept.
    let (_, r) = post(
        &state,
        "/api/proposals/import?name=gen.csv",
        row("【生成数据】虚构内容").into_bytes(),
    );
    assert_eq!(
        (r["added"].as_u64(), r["updated"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    assert!(
        r["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("生成数据不会覆盖"),
        "{r}"
    );
    let (_, p) = get(&state, "/api/proposals/1005");
    assert_eq!(
        p["proposal"]["title"], "关于加大学前教育经费投入的建议",
        "{p}"
    );
    // A real correction replaces it, and the report names it.
    let (_, r) = post(
        &state,
        "/api/proposals/import?name=fix.csv",
        row("修改后的内容").into_bytes(),
    );
    assert_eq!(r["updated"], 1, "{r}");
    assert_eq!(r["replaced"][0], p["proposal"]["id"], "{r}");
}

/// A POST of a form through the router as `viewer`: status, redirect target and body.
fn post_form_as(
    state: &AppState,
    uri: &str,
    body: &[u8],
    viewer: Viewer,
) -> (StatusCode, String, String) {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .unwrap();
    let r = common::send_as(state, req, viewer);
    let location = r
        .headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status, location, r.text())
}

fn deputy(name: &str) -> Viewer {
    Viewer {
        user: Some(format!("user-{name}")),
        role: Role::Deputy,
        deputy: Some(name.into()),
    }
}

#[test]
fn a_deputy_sees_their_own_proposals_and_records_feedback_on_a_reply_but_not_staff_events() {
    let dir = tempfile::tempdir().unwrap();
    let state = with_sample_proposals(dir.path());
    let url = "/proposals/16-5-3001";
    // 钱某 co-signed 16-5-3001 (led by 赵某某), which is in hand and not yet answered.
    let qian = deputy("钱某");
    let html = common::get_as(&state, url, qian.clone()).text();
    assert!(html.contains("关于"), "{html}");
    assert!(
        !html.contains("记录办理事件"),
        "staff-only form shown to a deputy: {html}"
    );
    assert!(!html.contains("id=\"feedback\""), "no reply yet: {html}");
    assert!(html.contains("href=\"/proposals/mine\""), "{html}");
    // Staff see the event form and record the reply.
    let (_, staff_html) = page(&state, url);
    assert!(staff_html.contains("记录办理事件"));
    assert!(!staff_html.contains("id=\"feedback\""));
    let (s, _, html) = post_form(
        &state,
        &format!("{url}/events"),
        &form(&[
            ("kind", "答复"),
            ("date", "2025-06-01"),
            ("actor", "市财政局"),
            ("grade", "B"),
            ("text", "正在研究提高补助标准。"),
        ]),
    );
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");

    // Now the co-signer has the feedback form; an empty choice is explained, a choice is recorded.
    let html = common::get_as(&state, url, qian.clone()).text();
    assert!(html.contains("id=\"feedback\""), "{html}");
    let (s, _, html) = post_form_as(
        &state,
        &format!("{url}/feedback"),
        &form(&[("satisfaction", "")]),
        qian.clone(),
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("请选择满意、基本满意或不满意"), "{html}");
    let (s, location, html) = post_form_as(
        &state,
        &format!("{url}/feedback"),
        &form(&[("satisfaction", "不满意"), ("note", "答复未说明资金安排")]),
        qian.clone(),
    );
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(location, format!("{url}#timeline"));
    let (_, v) = get(&state, "/api/proposals/16-5-3001");
    let events = v["events"].as_array().unwrap();
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "代表反馈", "{v}");
    assert_eq!(last["actor"], "钱某");
    assert_eq!(last["satisfaction"], "不满意");
    assert_eq!(last["note"], "答复未说明资金安排");
    // The form is gone once the reply has its feedback; a second one posted anyway is refused with the
    // lifecycle's reason.
    let html = common::get_as(&state, url, qian.clone()).text();
    assert!(!html.contains("id=\"feedback\""), "{html}");
    let (s, _, html) = post_form_as(
        &state,
        &format!("{url}/feedback"),
        &form(&[("satisfaction", "满意")]),
        qian.clone(),
    );
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("这次答复已有代表反馈"), "{html}");

    // A deputy who did not sign it cannot give feedback (and cannot see it: it is not public), nor can a
    // deputy record a staff event.
    let (s, _, _) = post_form_as(
        &state,
        &format!("{url}/feedback"),
        &form(&[("satisfaction", "满意")]),
        deputy("陈某某"),
    );
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    let (s, _, _) = post_form_as(
        &state,
        &format!("{url}/events"),
        &form(&[("kind", "办结"), ("actor", "钱某")]),
        qian.clone(),
    );
    assert_eq!(s, StatusCode::FORBIDDEN);
    // On a public proposal another deputy can read but not answer for the signers.
    let (s, _, _) = post_form_as(
        &state,
        "/proposals/16-3-1005/feedback",
        &form(&[("satisfaction", "满意")]),
        deputy("陈某某"),
    );
    assert_eq!(s, StatusCode::FORBIDDEN);

    // 我的建议: the proposals the deputy leads or co-signed.
    let r = common::get_as(&state, "/proposals/mine", qian.clone());
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(to, format!("/proposals?deputy={}", common::enc("钱某")));
    let html = common::get_as(&state, &to, qian.clone()).text();
    // 钱某 leads 1012 and co-signed 1005, 2003, 2010 and 3001.
    assert!(html.contains("共 <b>5</b> 件"), "{html}");
    let (_, all) = get(
        &state,
        &format!("/api/proposals?deputy={}", common::enc("钱某")),
    );
    assert_eq!(all["total"], 5, "{all}");
}
