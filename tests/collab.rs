//! Working together over real HTTP: comments with mentions and replies, the inbox and its unread count,
//! editing and removing, scope (a restricted item's comments and notices stay with those who may see it),
//! notices of proposal events and deadlines, consultations with cited articles, the posting limit, and the
//! command line.

mod common;

use common::{Server, client_with, restrict, started};
use serde_json::{Value, json};
use yusuan::auth::Role;
use yusuan::auth::accounts::{add_user, create_token};
use yusuan::proposals::import::TableFormat;

struct People {
    server: Server,
    staff: reqwest::blocking::Client,
    deputy: reqwest::blocking::Client,
    other: reqwest::blocking::Client,
    admin: reqwest::blocking::Client,
    law: String,
    rule: String,
}

fn token(state: &yusuan::web::AppState, name: &str) -> String {
    create_token(state.lib.store(), name, None, "tests")
        .unwrap()
        .1
}

fn doc_titled(state: &yusuan::web::AppState, title: &str) -> String {
    let store = state.lib.store();
    let mut ids: Vec<_> = store
        .doc_ids()
        .unwrap()
        .into_iter()
        .filter_map(|id| store.get_meta(&id).unwrap())
        .filter(|d| d.title == title)
        .collect();
    ids.sort_by_key(|d| std::cmp::Reverse(d.version_date));
    ids.first()
        .unwrap_or_else(|| panic!("no document {title}"))
        .id
        .as_str()
        .to_string()
}

fn people(dir: &std::path::Path) -> People {
    common::corpus(dir);
    let state = started(dir);
    let store = state.lib.store();
    add_user(
        store,
        "王工",
        Role::Staff,
        None,
        Some("staff-password-2026"),
    )
    .unwrap();
    add_user(
        store,
        "钱某",
        Role::Deputy,
        Some("钱某"),
        Some("deputy-password-2026"),
    )
    .unwrap();
    add_user(
        store,
        "赵某",
        Role::Deputy,
        Some("赵某"),
        Some("deputy-password-2027"),
    )
    .unwrap();
    let (staff, deputy, other, admin) = (
        client_with(&token(&state, "王工")),
        client_with(&token(&state, "钱某")),
        client_with(&token(&state, "赵某")),
        client_with(&token(&state, "admin")),
    );
    let law = doc_titled(&state, "中华人民共和国示范预算法");
    let rule = doc_titled(&state, "示范监督条例");
    People {
        server: Server::start(state),
        staff,
        deputy,
        other,
        admin,
        law,
        rule,
    }
}

fn post(c: &reqwest::blocking::Client, url: &str, body: Value) -> (u16, Value) {
    let r = c.post(url).json(&body).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn get(c: &reqwest::blocking::Client, url: &str) -> (u16, Value) {
    let r = c.get(url).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn inbox(p: &People, c: &reqwest::blocking::Client) -> Value {
    let (status, v) = get(c, &p.server.url("/api/inbox"));
    assert_eq!(status, 200, "{v}");
    v
}

#[test]
fn mentions_replies_edits_and_removals_reach_the_right_inboxes() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    let target = format!("doc:{}", p.law);
    assert_eq!(inbox(&p, &p.deputy)["unread"], 0);

    // Staff mention the deputy; the body keeps its text, the page escapes it.
    let (status, c) = post(
        &p.staff,
        &p.server.url("/api/comments"),
        json!({"target": target, "body": "请@钱某看一下《示范预算法》第四十六条 https://example.org/a <script>alert(1)</script> @无此人"}),
    );
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["mentions"], json!(["钱某"]));
    let first = c["id"].as_u64().unwrap();
    let d = inbox(&p, &p.deputy);
    assert_eq!(d["unread"], 1, "{d}");
    assert_eq!(d["notices"][0]["kind"], "mention");
    assert_eq!(d["notices"][0]["from"], "王工");
    assert_eq!(d["notices"][0]["title"], "中华人民共和国示范预算法");
    assert_eq!(d["notices"][0]["comment"], first);
    // Nobody else heard of it.
    assert_eq!(inbox(&p, &p.other)["unread"], 0);

    // The deputy's page: the unread count in the header, the comment with a safe link, the mention, the
    // cited article linked, and no markup from the body.
    let html = p
        .deputy
        .get(p.server.url(&format!("/documents/{}", common::enc(&p.law))))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(html.contains("id=\"unread\""), "no unread badge");
    assert!(html.contains(&format!("id=\"c{first}\"")));
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{}",
        &html[html.find("https://example.org/a").unwrap_or(0)..][..200]
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains("<a href=\"https://example.org/a\" rel=\"nofollow noopener noreferrer\"")
    );
    assert!(html.contains("<span class=\"mention\">@钱某</span>"));
    assert!(
        html.contains("class=\"cite\" href=\"/articles/"),
        "the citation is not linked"
    );
    assert!(!html.contains("<span class=\"mention\">@无此人"));

    // The deputy replies; staff are told, the deputy is not told of their own reply.
    let (status, r) = post(
        &p.deputy,
        &p.server.url("/api/comments"),
        json!({"target": target, "parent": first, "body": "收到，已阅。"}),
    );
    assert_eq!(status, 201, "{r}");
    let reply = r["id"].as_u64().unwrap();
    let s = inbox(&p, &p.staff);
    assert_eq!(s["unread"], 1, "{s}");
    assert_eq!(s["notices"][0]["kind"], "reply");
    assert_eq!(s["notices"][0]["from"], "钱某");
    let (_, thread) = get(
        &p.staff,
        &p.server
            .url(&format!("/api/comments?target={}", common::enc(&target))),
    );
    let order: Vec<(u64, u64)> = thread
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_u64().unwrap(), c["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(order, vec![(first, 0), (reply, 1)]);

    // A reply must answer a comment on the same item.
    let (status, _) = post(
        &p.deputy,
        &p.server.url("/api/comments"),
        json!({"target": format!("doc:{}", p.rule), "parent": first, "body": "错位的回复"}),
    );
    assert_eq!(status, 400);

    // Only the author edits, only the author or an administrator removes.
    let edit = |c: &reqwest::blocking::Client, id: u64, body: &str| {
        post(
            c,
            &p.server.url(&format!("/api/comments/{id}")),
            json!({ "body": body }),
        )
        .0
    };
    assert_eq!(edit(&p.deputy, first, "改写别人的评论"), 403);
    assert_eq!(edit(&p.deputy, reply, "收到，已阅，谢谢。"), 200);
    let del = |c: &reqwest::blocking::Client, id: u64| {
        c.delete(p.server.url(&format!("/api/comments/{id}")))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(del(&p.deputy, first), 403);
    assert_eq!(del(&p.admin, first), 200);
    let (_, thread) = get(
        &p.deputy,
        &p.server
            .url(&format!("/api/comments?target={}", common::enc(&target))),
    );
    assert_eq!(thread[0]["removed"], true);
    assert_eq!(thread[0]["body"], "");
    assert_eq!(thread[1]["body"], "收到，已阅，谢谢。");

    // Each change is in the audit log with who made it.
    let audit = yusuan::auth::audit::recent(
        p.server.state.lib.store(),
        &yusuan::auth::audit::AuditFilter::default(),
        1000,
    )
    .unwrap();
    let lines: Vec<String> = audit
        .iter()
        .map(|e| format!("{:?} {} {}", e.user, e.target, e.status))
        .collect();
    for (who, path) in [
        ("王工", "/api/comments".to_string()),
        ("钱某", format!("/api/comments/{reply}")),
        ("admin", format!("/api/comments/{first}")),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("Some(\"{who}\") {path} 200"))
                    || l.contains(&format!("Some(\"{who}\") {path} 201"))),
            "{who} {path} not audited: {lines:#?}"
        );
    }

    // Mark read: the count goes to zero.
    let (status, v) = post(&p.deputy, &p.server.url("/api/inbox/read"), json!({}));
    assert_eq!((status, v["marked"].as_u64()), (200, Some(1)));
    assert_eq!(inbox(&p, &p.deputy)["unread"], 0);
}

#[test]
fn a_restricted_item_keeps_its_comments_and_notices_from_those_who_cannot_see_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    restrict(&p.server.state, &p.rule);
    let target = format!("doc:{}", p.rule);
    let (status, c) = post(
        &p.staff,
        &p.server.url("/api/comments"),
        json!({"target": target, "body": "@钱某 这份内部文件请勿外传"}),
    );
    assert_eq!(status, 201, "{c}");
    // The mention names an account, but the deputy cannot open the item: no notice, no count.
    let d = inbox(&p, &p.deputy);
    assert_eq!(d["unread"], 0, "{d}");
    assert!(d["notices"].as_array().unwrap().is_empty());
    // Its thread answers as if nothing were there, and the deputy cannot post on it.
    let (status, _) = get(
        &p.deputy,
        &p.server
            .url(&format!("/api/comments?target={}", common::enc(&target))),
    );
    assert_eq!(status, 404);
    let (status, _) = post(
        &p.deputy,
        &p.server.url("/api/comments"),
        json!({"target": target, "body": "试试"}),
    );
    assert_eq!(status, 404);
    // A public item's notice that later becomes restricted disappears from the inbox and the count.
    let (status, _) = post(
        &p.staff,
        &p.server.url("/api/comments"),
        json!({"target": format!("doc:{}", p.law), "body": "@钱某 先看这份"}),
    );
    assert_eq!(status, 201);
    assert_eq!(inbox(&p, &p.deputy)["unread"], 1);
    restrict(&p.server.state, &p.law);
    let d = inbox(&p, &p.deputy);
    assert_eq!(d["unread"], 0, "{d}");
    assert!(d["notices"].as_array().unwrap().is_empty());
    // Visitors cannot post at all.
    let anon = reqwest::blocking::Client::new();
    let (status, _) = post(
        &anon,
        &p.server.url("/api/comments"),
        json!({"target": format!("doc:{}", p.law), "body": "匿名"}),
    );
    assert_eq!(status, 401);
}

const HEADER: &str = "编号,届次,年份,类型,标题,内容,领衔代表,联名代表,代表团,分类,主办单位,协办单位,交办日期,办理期限,状态,答复日期,答复内容,答复类别,满意度,重点督办,公开";

#[test]
fn a_deputy_hears_of_events_and_deadlines_on_their_proposals_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    let today = yusuan::proposals::today();
    let (assigned, due) = (
        today - chrono::Duration::days(60),
        today + chrono::Duration::days(5),
    );
    let far = today + chrono::Duration::days(40);
    let csv = format!(
        "{HEADER}\n1001,第十六届人民代表大会第三次会议,2023,建议,关于加大学前教育投入的建议,建议提高学前教育支出占比。,钱某,,东城区代表团,教育,市教育局,,{assigned},{due},办理中,,,,,否,是\n1002,第十六届人民代表大会第三次会议,2023,建议,关于社区养老的建议,建议增加社区养老服务。,赵某,钱某,东城区代表团,民政,市民政局,,{assigned},{far},办理中,,,,,否,是\n"
    );
    let lib = &p.server.state.lib;
    yusuan::proposals::import_bytes(lib, "p.csv", TableFormat::Csv, csv.as_bytes()).unwrap();

    // The deadline sweep tells the lead of the proposal due in 5 days, once; the one due in 40 days waits.
    assert_eq!(
        yusuan::collab::inbox::sweep_deadlines(lib, today).unwrap(),
        1
    );
    assert_eq!(
        yusuan::collab::inbox::sweep_deadlines(lib, today).unwrap(),
        0
    );
    let d = inbox(&p, &p.deputy);
    assert_eq!(d["notices"][0]["kind"], "deadline", "{d}");
    assert_eq!(d["notices"][0]["title"], "关于加大学前教育投入的建议");
    assert_eq!(inbox(&p, &p.other)["unread"], 0);

    // Staff record a reply on the second proposal: its lead and its co-signer hear of it.
    let id = "16-3-1002";
    let (status, v) = post(
        &p.staff,
        &p.server.url(&format!("/api/proposals/{id}/events")),
        json!({"kind": "答复", "date": today.to_string(), "grade": "B", "text": "正在推进。"}),
    );
    assert_eq!(status, 200, "{v}");
    for c in [&p.deputy, &p.other] {
        let n = inbox(&p, c);
        assert_eq!(n["notices"][0]["kind"], "proposal_changed", "{n}");
        assert_eq!(n["notices"][0]["title"], "关于社区养老的建议");
        assert!(n["notices"][0]["text"].as_str().unwrap().contains("已答复"));
    }
    // The lead's own feedback is not sent back to them, but reaches the co-signer.
    let before = inbox(&p, &p.other)["notices"].as_array().unwrap().len();
    let reply = p
        .other
        .post(p.server.url(&format!("/proposals/{id}/feedback")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("satisfaction={}&note=", common::enc("满意")))
        .send()
        .unwrap();
    assert!(reply.status().is_success() || reply.status().is_redirection());
    assert_eq!(
        inbox(&p, &p.other)["notices"].as_array().unwrap().len(),
        before
    );
    let n = inbox(&p, &p.deputy);
    assert!(
        n["notices"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("代表反馈"),
        "{n}"
    );
}

#[test]
fn a_consultation_goes_to_the_staff_and_its_answer_back_to_the_deputy() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    let (status, c) = post(
        &p.deputy,
        &p.server.url("/api/consultations"),
        json!({"title": "预算草案细化到什么程度", "body": "初步审查时，预算草案应当细化到哪一级？"}),
    );
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_u64().unwrap();
    // Every staff account hears of a new question (before anyone has answered).
    for staff in [&p.staff, &p.admin] {
        let s = inbox(&p, staff);
        assert_eq!(s["notices"][0]["kind"], "consultation", "{s}");
        assert_eq!(s["notices"][0]["title"], "预算草案细化到什么程度");
    }
    // Staff answer citing an article: the deputy is told, and the page links the article.
    let (status, _) = post(
        &p.staff,
        &p.server.url("/api/comments"),
        json!({"target": format!("ask:{id}"), "body": "依照《示范预算法》第四十六条，一般公共预算支出按功能分类编列到项。"}),
    );
    assert_eq!(status, 201);
    let d = inbox(&p, &p.deputy);
    assert_eq!(d["notices"][0]["kind"], "consultation", "{d}");
    assert_eq!(d["notices"][0]["from"], "王工");
    let html = p
        .deputy
        .get(p.server.url(&format!("/consultations/{id}")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(html.contains("class=\"cite\" href=\"/articles/"), "{html}");
    // The deputy's follow-up goes to the staff member who answered, not to every staff account.
    let admin_before = inbox(&p, &p.admin)["notices"].as_array().unwrap().len();
    post(
        &p.deputy,
        &p.server.url("/api/comments"),
        json!({"target": format!("ask:{id}"), "body": "明白了，谢谢。"}),
    );
    assert_eq!(inbox(&p, &p.staff)["notices"][0]["from"], "钱某");
    assert_eq!(
        inbox(&p, &p.admin)["notices"].as_array().unwrap().len(),
        admin_before
    );
    // Another deputy neither lists nor opens it.
    let (_, list) = get(&p.other, &p.server.url("/api/consultations"));
    assert_eq!(list, json!([]));
    let (status, _) = get(&p.other, &p.server.url(&format!("/api/consultations/{id}")));
    assert_eq!(status, 404);
    let (_, list) = get(&p.staff, &p.server.url("/api/consultations"));
    assert_eq!(list[0]["answered"], true);
    assert_eq!(list[0]["messages"], 3);
    // Closing it is told to the other side.
    let (status, v) = post(
        &p.deputy,
        &p.server.url(&format!("/api/consultations/{id}/close")),
        json!({"closed": true}),
    );
    assert_eq!((status, v["closed"].as_bool()), (200, Some(true)));
    assert!(
        inbox(&p, &p.staff)["notices"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("已结束")
    );
}

#[test]
fn posting_is_limited_per_account_and_bad_comments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    let target = format!("doc:{}", p.law);
    let url = p.server.url("/api/comments");
    for i in 0..20 {
        let (status, v) = post(
            &p.other,
            &url,
            json!({"target": target, "body": format!("第{i}条")}),
        );
        assert_eq!(status, 201, "{v}");
    }
    let (status, v) = post(&p.other, &url, json!({"target": target, "body": "第21条"}));
    assert_eq!(status, 429, "{v}");
    // Another account is not held back.
    assert_eq!(
        post(&p.deputy, &url, json!({"target": target, "body": "可以"})).0,
        201
    );
    for bad in [
        json!({"target": target, "body": "  "}),
        json!({"target": target, "body": "长".repeat(4001)}),
        json!({"target": "nothing:1", "body": "x"}),
        json!({"target": "doc:no-such-document", "body": "x"}),
    ] {
        let (status, _) = post(&p.deputy, &url, bad.clone());
        assert!(status == 400 || status == 404, "{bad}: {status}");
    }
}

#[test]
fn the_command_line_comments_lists_and_reads_an_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = common::corpus(dir.path());
    let data = dir.path().join("index");
    common::yusuan_ok(&data, &corpus, &["ingest", corpus.to_str().unwrap()]);
    common::yusuan_ok(
        &data,
        &corpus,
        &[
            "user", "add", "钱某", "--role", "deputy", "--deputy", "钱某",
        ],
    );
    common::yusuan_ok(&data, &corpus, &["user", "add", "王工", "--role", "staff"]);
    let lib = yusuan::library::Library::open(common::config(dir.path())).unwrap();
    let id = {
        let store = lib.store();
        store
            .doc_ids()
            .unwrap()
            .into_iter()
            .find(|id| {
                store
                    .get_meta(id)
                    .unwrap()
                    .is_some_and(|d| d.title == "示范监督条例")
            })
            .unwrap()
    };
    drop(lib);
    let target = format!("doc:{}", id.as_str());
    let out = common::yusuan_ok(
        &data,
        &corpus,
        &["comment", "add", &target, "请 @钱某 审阅", "--as", "王工"],
    );
    assert!(out.contains("提到 钱某"), "{out}");
    let out = common::yusuan_ok(&data, &corpus, &["comment", "list", &target]);
    assert!(
        out.contains("王工") && out.contains("请 @钱某 审阅"),
        "{out}"
    );
    let out = common::yusuan_ok(&data, &corpus, &["inbox", "钱某", "--json", "--read"]);
    let v: Value = serde_json::from_str(
        out.lines()
            .take_while(|l| !l.starts_with("已标为已读"))
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    )
    .unwrap();
    assert_eq!(v["unread"], 1, "{out}");
    assert_eq!(v["notices"][0]["kind"], "mention");
    let out = common::yusuan_ok(&data, &corpus, &["inbox", "钱某"]);
    assert!(out.starts_with("钱某：0 条未读"), "{out}");
    let out = common::run_yusuan(&data, &["comment", "add", "doc:none", "x", "--as", "钱某"]);
    assert!(!out.status.success());
}

#[test]
fn staff_mark_the_answering_article_and_later_readers_see_it_beside_a_similar_question() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    let store = p.server.state.lib.store();
    let article = store
        .articles_of(&yusuan::model::DocId(p.law.clone()))
        .unwrap()
        .into_iter()
        .find(|a| a.label == "第四十六条")
        .unwrap();
    let question = "预算草案应当细化到什么程度";
    let url = p.server.url("/api/answers");
    let (status, v) = post(
        &p.staff,
        &url,
        json!({"query": question, "article": article.id.as_str()}),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["name"], "中华人民共和国示范预算法第四十六条");
    assert_eq!(v["by"], "王工");
    // Deputies may neither mark nor read the labelled set.
    let (status, _) = post(
        &p.deputy,
        &url,
        json!({"query": question, "article": article.id.as_str()}),
    );
    assert_eq!(status, 403);
    assert_eq!(get(&p.deputy, &url).0, 403);
    let (_, labelled) = get(&p.staff, &url);
    assert_eq!(
        labelled,
        json!([{"query": question, "relevant": ["中华人民共和国示范预算法第四十六条"]}])
    );
    // The same question typed again is the same question: no second entry.
    post(
        &p.staff,
        &url,
        json!({"query": " 预算草案应当细化到什么程度？", "article": article.id.as_str()}),
    );
    assert_eq!(get(&p.staff, &url).1.as_array().unwrap().len(), 1);

    // A deputy asking a similar question sees it answered, with the article linked; no marking form.
    let page = |c: &reqwest::blocking::Client, q: &str| {
        c.get(p.server.url(&format!("/search?q={}", common::enc(q))))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    let html = page(&p.deputy, "预算草案要细化到什么程度？");
    assert!(
        html.contains("id=\"answered-before\""),
        "no answered questions"
    );
    assert!(html.contains("中华人民共和国示范预算法第四十六条"));
    assert!(!html.contains("这条回答了该问题"));
    // Staff see the mark on the hit of the very question, and the form on the others.
    let html = page(&p.staff, question);
    assert!(html.contains("已标为答案"), "the mark is not shown");
    assert!(html.contains("这条回答了该问题"));
    // An unrelated question shows nothing answered.
    assert!(!page(&p.deputy, "乡村振兴信贷投放").contains("id=\"answered-before\""));
    // Once the law is restricted, the deputy is no longer pointed at it.
    restrict(&p.server.state, &p.law);
    assert!(!page(&p.deputy, "预算草案要细化到什么程度？").contains("id=\"answered-before\""));
    // Taking the mark back.
    let (status, v) = post(
        &p.staff,
        &url,
        json!({"query": question, "article": article.id.as_str(), "on": false}),
    );
    assert_eq!((status, v["removed"].as_bool()), (200, Some(true)));
    assert_eq!(get(&p.staff, &url).1, json!([]));
}
