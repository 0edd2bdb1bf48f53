//! Working collections (工作底稿) and saved searches over real HTTP: building a collection, sharing it to
//! read and to edit, each reader's scope (a restricted item is neither listed, counted, reordered nor
//! exported for a deputy), the DOCX, PDF and ZIP exports read back with the product's own extractors, and a
//! saved search that tells its owner of new documents after an upload, once each and within their scope.

mod common;

use common::{Server, client_with, enc, restrict, started};
use serde_json::{Value, json};
use std::io::Read;
use std::time::{Duration, Instant};
use yusuan::auth::Role;
use yusuan::auth::accounts::{add_user, create_token};

struct People {
    server: Server,
    staff: reqwest::blocking::Client,
    deputy: reqwest::blocking::Client,
    law: String,
    rule: String,
    art46: String,
}

fn token(state: &yusuan::web::AppState, name: &str) -> String {
    create_token(state.lib.store(), name, None, "tests")
        .unwrap()
        .1
}

fn doc_titled(state: &yusuan::web::AppState, title: &str) -> yusuan::model::Document {
    let store = state.lib.store();
    let mut docs: Vec<_> = store
        .doc_ids()
        .unwrap()
        .into_iter()
        .filter_map(|id| store.get_meta(&id).unwrap())
        .filter(|d| d.title == title)
        .collect();
    docs.sort_by_key(|d| std::cmp::Reverse(d.version_date));
    docs.into_iter()
        .next()
        .unwrap_or_else(|| panic!("no document {title}"))
}

/// A final-account table whose 行政运行 row does not add up (a finding) beside the laws.
const ACCOUNT: &str = "支出决算表\n,,,单位：万元\n科目编码,科目名称,本年支出合计,基本支出,项目支出\n\
    201,一般公共服务支出,100.00,80.00,20.00\n20106,财政事务,100.00,80.00,20.00\n\
    2010601,行政运行,110.00,80.00,20.00\n,合计,100.00,80.00,20.00\n";

fn people(dir: &std::path::Path) -> People {
    let corpus = common::corpus(dir);
    common::write(
        &corpus,
        "accounts/示范区财政局2024年度部门决算.csv",
        ACCOUNT,
    );
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
    let law = doc_titled(&state, "中华人民共和国示范预算法");
    let rule = doc_titled(&state, "示范监督条例");
    let art46 = store
        .articles_of(&law.id)
        .unwrap()
        .into_iter()
        .find(|a| a.label == "第四十六条")
        .unwrap()
        .id
        .as_str()
        .to_string();
    People {
        staff: client_with(&token(&state, "王工")),
        deputy: client_with(&token(&state, "钱某")),
        law: law.id.as_str().to_string(),
        rule: rule.id.as_str().to_string(),
        art46,
        server: Server::start(state),
    }
}

fn send(r: reqwest::blocking::RequestBuilder) -> (u16, Value) {
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn bytes(c: &reqwest::blocking::Client, url: &str) -> (u16, String, Vec<u8>) {
    let r = c.get(url).send().unwrap();
    let status = r.status().as_u16();
    let disposition = r
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (status, disposition, r.bytes().unwrap().to_vec())
}

fn titles(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

/// Where a document's original file is kept.
fn state_source(p: &People, id: &str) -> String {
    p.server
        .state
        .lib
        .store()
        .get_meta(&yusuan::model::DocId(id.to_string()))
        .unwrap()
        .unwrap()
        .source
}

/// The text the product's own ingest reads out of an exported file.
fn read_back(name: &str, bytes: &[u8]) -> String {
    let opts = yusuan::ingest::extract::ExtractOptions::default();
    yusuan::ingest::extract::extract(std::path::Path::new(name), bytes, &opts)
        .unwrap_or_else(|e| panic!("{name} does not read back: {e}"))
        .text
}

#[test]
fn a_collection_is_built_shared_and_exported_within_each_readers_scope() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    restrict(&p.server.state, &p.rule);
    let api = |path: &str| p.server.url(path);

    // Staff build a collection: an article, the restricted rule, the law, and a search, with notes.
    let (status, w) = send(
        p.staff
            .post(api("/api/workpapers"))
            .json(&json!({"title": "2025年预算初审 <底稿>"})),
    );
    assert_eq!(status, 201, "{w}");
    let id = w["id"].as_u64().unwrap();
    let at = api(&format!("/api/workpapers/{id}"));
    for (item, note) in [
        (
            format!("art:{}", p.art46),
            "细化到项：对照草案 <script>alert(1)</script>",
        ),
        (format!("doc:{}", p.rule), "内部：示范省的条例"),
        (format!("doc:{}", p.law), ""),
    ] {
        let (status, v) = send(
            p.staff
                .post(&at)
                .json(&json!({"action": "add", "item": item, "note": note})),
        );
        assert_eq!(status, 200, "{v}");
    }
    let (status, v) = send(p.staff.post(&at).json(&json!({
        "action": "add", "view": "/search?q=%E9%A2%84%E7%AE%97%E8%8D%89%E6%A1%88", "title": "检索：预算草案"
    })));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 4, "{v}");
    // The same item twice, a foreign address and a consultation are refused.
    for bad in [
        json!({"action": "add", "item": format!("doc:{}", p.law)}),
        json!({"action": "add", "view": "//evil.example/x", "title": "x"}),
        json!({"action": "add", "view": "https://evil.example/", "title": "x"}),
        json!({"action": "add", "item": "ask:1"}),
        json!({"action": "share", "to": "没有这个人", "access": "read"}),
        json!({"action": "fly"}),
    ] {
        let (status, v) = send(p.staff.post(&at).json(&bad));
        assert_eq!(status, 400, "{bad}: {v}");
    }

    // Not shared yet: the deputy does not learn it exists.
    let (status, _) = send(p.deputy.get(&at));
    assert_eq!(status, 404);
    let (_, list) = send(p.deputy.get(api("/api/workpapers")));
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");

    // Shared to read: a notice, and the items the deputy may open (not the restricted rule).
    let (status, v) = send(
        p.staff
            .post(&at)
            .json(&json!({"action": "share", "to": "钱某", "access": "read"})),
    );
    assert_eq!(status, 200, "{v}");
    let (_, inbox) = send(p.deputy.get(api("/api/inbox")));
    let shared: Vec<&Value> = inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "shared")
        .collect();
    assert_eq!(shared.len(), 1, "{inbox}");
    assert_eq!(shared[0]["url"], format!("/workpapers/{id}"));
    let (status, seen) = send(p.deputy.get(&at));
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["access"], "read");
    let t = titles(&seen);
    assert_eq!(t.len(), 3, "{seen}");
    assert!(!t.iter().any(|t| t.contains("示范监督条例")), "{t:?}");
    assert!(seen["shares"].as_array().unwrap().is_empty(), "{seen}");
    let (_, list) = send(p.deputy.get(api("/api/workpapers")));
    assert_eq!(list[0]["items"], 3, "{list}");
    // Reading is not editing, and only the owner shares or deletes.
    let (status, _) = send(
        p.deputy
            .post(&at)
            .json(&json!({"action": "rename", "title": "x"})),
    );
    assert_eq!(status, 403);

    // Shared to edit: the deputy moves the law to the top; the hidden rule keeps its place.
    send(
        p.staff
            .post(&at)
            .json(&json!({"action": "share", "to": "钱某", "access": "edit"})),
    );
    let law_no = seen["items"][1]["no"].as_u64().unwrap();
    assert_eq!(seen["items"][1]["item"], format!("doc:{}", p.law), "{seen}");
    let (status, v) = send(
        p.deputy
            .post(&at)
            .json(&json!({"action": "up", "no": law_no})),
    );
    assert_eq!(status, 200, "{v}");
    let (_, staff_view) = send(p.staff.get(&at));
    let order: Vec<String> = staff_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item"].as_str().unwrap_or("view").to_string())
        .collect();
    assert_eq!(
        order,
        vec![
            format!("doc:{}", p.law),
            format!("doc:{}", p.rule),
            format!("art:{}", p.art46),
            "view".to_string()
        ],
        "the deputy saw [article, law, search]: the law moved up past the article, the hidden rule stayed"
    );
    let (_, deputy_view) = send(p.deputy.get(&at));
    assert_eq!(deputy_view["items"][0]["item"], format!("doc:{}", p.law));
    for bad in [
        json!({"action": "share", "to": "王工", "access": "edit"}),
        json!({"action": "delete"}),
    ] {
        let (status, _) = send(p.deputy.post(&at).json(&bad));
        assert_eq!(status, 403, "{bad}");
    }
    let rule_no = staff_view["items"][1]["no"].as_u64().unwrap();
    let (status, _) = send(
        p.deputy
            .post(&at)
            .json(&json!({"action": "remove", "no": rule_no})),
    );
    assert_eq!(
        status, 404,
        "a hidden item cannot be removed by one who cannot see it"
    );

    // The page escapes what people typed.
    let page = p
        .deputy
        .get(api(&format!("/workpapers/{id}")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("2025年预算初审 &#60;底稿&#62;"), "{page}");
    assert!(page.contains("&#60;script&#62;alert(1)"), "{page}");
    assert!(!page.contains("<script>alert(1)"));
    assert!(!page.contains("示范监督条例"));

    // Exports, as each reader sees it, read back by the product's own extractors.
    let (status, disposition, docx) = bytes(
        &p.deputy,
        &api(&format!("/workpapers/{id}/export?format=docx")),
    );
    assert_eq!(status, 200);
    assert!(disposition.contains("attachment"), "{disposition}");
    let text = read_back("底稿.docx", &docx);
    assert!(
        text.contains("报送各级人民代表大会审查和批准的预算草案应当细化"),
        "{text}"
    );
    assert!(text.contains("批注：细化到项"), "{text}");
    assert!(text.contains("检索：预算草案"), "{text}");
    assert!(!text.contains("示范监督条例"), "{text}");
    let (status, _, pdf) = bytes(
        &p.deputy,
        &api(&format!("/workpapers/{id}/export?format=pdf")),
    );
    assert_eq!(status, 200);
    let text = read_back("底稿.pdf", &pdf);
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(squeezed.contains("预算草案应当细化"), "{text}");
    assert!(squeezed.contains("第1页共1页"), "{text}");
    assert!(!squeezed.contains("示范监督条例"), "{text}");
    let (_, _, staff_pdf) = bytes(
        &p.staff,
        &api(&format!("/workpapers/{id}/export?format=pdf")),
    );
    let staff_text: String = read_back("底稿.pdf", &staff_pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(staff_text.contains("示范监督条例"), "{staff_text}");
    // The ZIP holds the law's file once (the article brings the same file) and, for staff, the rule's.
    let zip_names = |c: &reqwest::blocking::Client| {
        let (status, _, z) = bytes(c, &api(&format!("/workpapers/{id}/export?format=zip")));
        assert_eq!(status, 200);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(z)).unwrap();
        let mut out = Vec::new();
        for k in 0..archive.len() {
            let mut f = archive.by_index(k).unwrap();
            let mut content = String::new();
            f.read_to_string(&mut content).unwrap();
            out.push((f.name().unwrap().to_string(), content));
        }
        out
    };
    let deputy_zip = zip_names(&p.deputy);
    assert_eq!(deputy_zip.len(), 1, "{deputy_zip:?}");
    assert!(
        deputy_zip[0].1.contains("第四十六条 报送各级人民代表大会"),
        "{deputy_zip:?}"
    );
    let staff_zip = zip_names(&p.staff);
    assert_eq!(staff_zip.len(), 2, "{staff_zip:?}");
    assert!(staff_zip.iter().any(|(_, c)| c.contains("# 示范监督条例")));
    let (status, _, _) = bytes(
        &p.deputy,
        &api(&format!("/workpapers/{id}/export?format=exe")),
    );
    assert_eq!(status, 400);

    // An original gone from the server is listed as such; the rest is still there.
    let rule_file = state_source(&p, &p.rule);
    std::fs::remove_file(&rule_file).unwrap();
    let staff_zip = zip_names(&p.staff);
    assert_eq!(staff_zip.len(), 2, "{staff_zip:?}");
    let missing = staff_zip
        .iter()
        .find(|(n, _)| n == "未收入的文件.txt")
        .unwrap_or_else(|| panic!("{staff_zip:?}"));
    assert!(
        missing.1.contains("示范监督条例") && missing.1.contains("原始文件已不在服务器上"),
        "{missing:?}"
    );

    // Unshared, the deputy loses it; deleted, nobody has it.
    send(
        p.staff
            .post(&at)
            .json(&json!({"action": "unshare", "to": "user:钱某"})),
    );
    assert_eq!(send(p.deputy.get(&at)).0, 404);
    assert_eq!(send(p.staff.delete(&at)).0, 204);
    assert_eq!(send(p.staff.get(&at)).0, 404);

    // Every change went through the audit log, with its author.
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
    for line in [
        format!("Some(\"钱某\") /api/workpapers/{id} 200"),
        format!("Some(\"王工\") /api/workpapers/{id} 204"),
        format!("Some(\"钱某\") /workpapers/{id}/export 200"),
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(&line)),
            "{line}: {lines:?}"
        );
    }
}

fn upload(p: &People, name: &str, text: &str, access: &str, expect: &str) {
    let form = reqwest::blocking::multipart::Form::new()
        .text("access", access.to_string())
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(text.as_bytes().to_vec())
                .file_name(name.to_string()),
        );
    let resp = p
        .staff
        .post(p.server.url("/api/ingest"))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let task: Value = resp.json().unwrap();
    let url = p
        .server
        .url(&format!("/api/tasks/{}", task["id"].as_str().unwrap()));
    let started = Instant::now();
    loop {
        let t: Value = p.staff.get(&url).send().unwrap().json().unwrap();
        if t["status"] == "done" || t["status"] == "failed" {
            assert_eq!(t["files"][0]["status"], expect, "{t}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{t}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn saved_notices(p: &People, c: &reqwest::blocking::Client) -> Vec<String> {
    let (_, inbox) = send(c.get(p.server.url("/api/inbox")));
    inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "saved_search")
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_saved_search_tells_its_owner_of_new_documents_once_and_within_scope() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    let url = format!("/search?q={}", enc("绩效评价"));
    for c in [&p.deputy, &p.staff] {
        let (status, v) = send(
            c.post(p.server.url("/api/searches"))
                .json(&json!({"url": url, "title": "绩效评价"})),
        );
        assert_eq!(status, 201, "{v}");
    }
    // Saved twice, kept once; an empty search and another page are refused.
    send(
        p.deputy
            .post(p.server.url("/api/searches"))
            .json(&json!({"url": url})),
    );
    let (_, mine) = send(p.deputy.get(p.server.url("/api/searches")));
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    for bad in [
        "/search",
        "/search?q=",
        "/admin",
        "https://evil.example/search?q=x",
    ] {
        let (status, v) = send(
            p.deputy
                .post(p.server.url("/api/searches"))
                .json(&json!({"url": bad})),
        );
        assert_eq!(status, 400, "{bad}: {v}");
    }

    upload(
        &p,
        "示范绩效评价办法.md",
        "# 示范绩效评价办法\n\n第一条 预算绩效评价结果应当作为安排预算的重要依据。\n",
        "public",
        "indexed",
    );
    upload(
        &p,
        "内部绩效评价报告.md",
        "# 内部绩效评价报告\n\n项目绩效评价发现资金闲置。\n",
        "restricted",
        "indexed",
    );
    upload(
        &p,
        "示范采购办法.md",
        "# 示范采购办法\n\n第一条 政府采购应当公开透明。\n",
        "public",
        "indexed",
    );
    let deputy = saved_notices(&p, &p.deputy);
    assert_eq!(
        deputy,
        vec!["示范绩效评价办法".to_string()],
        "the deputy hears only of what they may open"
    );
    let mut staff = saved_notices(&p, &p.staff);
    staff.sort();
    assert_eq!(
        staff,
        vec![
            "内部绩效评价报告".to_string(),
            "示范绩效评价办法".to_string()
        ]
    );

    // The same file again changes nothing and tells nobody again.
    upload(
        &p,
        "示范绩效评价办法.md",
        "# 示范绩效评价办法\n\n第一条 预算绩效评价结果应当作为安排预算的重要依据。\n",
        "public",
        "unchanged",
    );
    assert_eq!(saved_notices(&p, &p.deputy).len(), 1);

    // Forgotten, it stays quiet.
    let id = mine[0]["id"].as_u64().unwrap();
    let (status, _) = send(
        p.deputy
            .delete(p.server.url(&format!("/api/searches/{id}"))),
    );
    assert_eq!(status, 204);
    upload(
        &p,
        "示范绩效评价细则.md",
        "# 示范绩效评价细则\n\n第一条 绩效评价分为事前、事中和事后。\n",
        "public",
        "indexed",
    );
    assert_eq!(saved_notices(&p, &p.deputy).len(), 1);
    assert_eq!(saved_notices(&p, &p.staff).len(), 3);
}

#[test]
fn the_command_line_builds_shares_exports_a_collection_and_saves_a_search() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = common::corpus(dir.path());
    let data = dir.path().join("index");
    let ok = |args: &[&str]| common::yusuan_ok(&data, &corpus, args);
    ok(&["ingest", corpus.to_str().unwrap()]);
    ok(&[
        "user", "add", "钱某", "--role", "deputy", "--deputy", "钱某",
    ]);
    ok(&["user", "add", "王工", "--role", "staff"]);
    let lib = yusuan::library::Library::open(common::config(dir.path())).unwrap();
    let law = {
        let store = lib.store();
        store
            .doc_ids()
            .unwrap()
            .into_iter()
            .filter_map(|id| store.get_meta(&id).unwrap())
            .find(|d| d.title == "示范监督条例")
            .unwrap()
            .id
    };
    drop(lib);
    let out = ok(&["workpaper", "new", "初审底稿", "--as", "王工"]);
    let id = out
        .trim()
        .strip_prefix("已新建工作底稿 #")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();
    let item = format!("doc:{}", law.as_str());
    let out = ok(&[
        "workpaper",
        "add",
        &id,
        &item,
        "--note",
        "对照第一条",
        "--as",
        "王工",
    ]);
    assert!(out.contains("第 1 项"), "{out}");
    ok(&[
        "workpaper",
        "add",
        &id,
        "/search?q=%E9%A2%84%E7%AE%97",
        "--title",
        "检索：预算",
        "--as",
        "王工",
    ]);
    // Not shared: the deputy is refused; shared: the deputy reads it.
    let refused = common::run_yusuan(&data, &["workpaper", "show", &id, "--as", "钱某"]);
    assert!(!refused.status.success());
    ok(&[
        "workpaper",
        "share",
        &id,
        "钱某",
        "--access",
        "read",
        "--as",
        "王工",
    ]);
    let out = ok(&["workpaper", "show", &id, "--as", "钱某"]);
    assert!(
        out.contains("示范监督条例")
            && out.contains("批注：对照第一条")
            && out.contains("检索：预算"),
        "{out}"
    );
    let file = dir.path().join("初审底稿.docx");
    ok(&[
        "workpaper",
        "export",
        &id,
        "--format",
        "docx",
        "--out",
        file.to_str().unwrap(),
        "--as",
        "钱某",
    ]);
    let text = read_back("初审底稿.docx", &std::fs::read(&file).unwrap());
    assert!(
        text.contains("预算审查监督依照") && text.contains("批注：对照第一条"),
        "{text}"
    );
    let out = ok(&[
        "saved",
        "add",
        "/search?q=%E7%BB%A9%E6%95%88",
        "--as",
        "钱某",
    ]);
    assert!(out.contains("已保存检索"), "{out}");
    let out = ok(&["saved", "list", "--as", "钱某"]);
    assert!(out.contains("绩效"), "{out}");
    let refused = common::run_yusuan(&data, &["saved", "add", "/admin", "--as", "钱某"]);
    assert!(!refused.status.success());
}

#[test]
fn a_number_and_a_finding_have_threads_and_go_into_a_collection_within_scope() {
    let dir = tempfile::tempdir().unwrap();
    let p = people(dir.path());
    let state = &p.server.state;
    let account = state
        .lib
        .store()
        .doc_ids()
        .unwrap()
        .into_iter()
        .find(|id| state.lib.store().tables_of(id).is_ok_and(|t| !t.is_empty()))
        .expect("the account's table is stored");
    let finding =
        yusuan::budget::alerts::findings(&state.lib, &account, &yusuan::model::Scope::All)
            .unwrap()
            .unwrap()
            .into_iter()
            .find(|f| f.row.as_deref().is_some_and(|r| r.contains("行政运行")))
            .expect("行政运行 does not add up");
    let base = format!("/documents/{}", enc(account.as_str()));

    // The document page links the number and the finding to their own pages.
    let page = p
        .deputy
        .get(p.server.url(&base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let cell = regex::Regex::new(r#"/cells/(t\d+-r\d+-c\d+)" title="讨论这个数">110\.00<"#)
        .unwrap()
        .captures(&page)
        .unwrap_or_else(|| panic!("no link on 110.00: {page}"))[1]
        .to_string();
    assert!(
        page.contains(&format!("{base}/findings/{}", finding.key)),
        "{page}"
    );
    let cell_page = p
        .deputy
        .get(p.server.url(&format!("{base}/cells/{cell}")))
        .send()
        .unwrap();
    assert_eq!(cell_page.status(), 200);
    let cell_page = cell_page.text().unwrap();
    for part in [
        "行政运行",
        "2010601",
        "本年支出合计",
        "110.00 万元",
        "支出决算表",
    ] {
        assert!(cell_page.contains(part), "{part}: {cell_page}");
    }
    let finding_page = p
        .deputy
        .get(p.server.url(&format!("{base}/findings/{}", finding.key)))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(finding_page.contains(&finding.message), "{finding_page}");
    for bad in [
        format!("{base}/cells/t9-r1-c1"),
        format!("{base}/cells/t0-r1-c1"),
        format!("{base}/cells/x"),
        format!("{base}/findings/0000000000000000"),
    ] {
        assert_eq!(
            p.deputy.get(p.server.url(&bad)).send().unwrap().status(),
            404,
            "{bad}"
        );
    }

    // Staff discuss the number with the deputy; the notice leads to the number's page.
    let cell_target = format!("cell:{}/{cell}", account.as_str());
    let finding_target = format!("find:{}/{}", account.as_str(), finding.key);
    let (status, v) = send(
        p.staff
            .post(p.server.url("/api/comments"))
            .json(&json!({"target": cell_target, "body": "@钱某 行政运行多出 10 万元，请关注"})),
    );
    assert_eq!(status, 201, "{v}");
    let (status, v) = send(
        p.deputy
            .post(p.server.url("/api/comments"))
            .json(&json!({"target": finding_target, "body": "这条预警是否已向财政局核实？"})),
    );
    assert_eq!(status, 201, "{v}");
    let (_, inbox) = send(p.deputy.get(p.server.url("/api/inbox")));
    assert_eq!(
        inbox["notices"][0]["url"],
        format!("{base}/cells/{cell}"),
        "{inbox}"
    );
    let thread_page = p
        .deputy
        .get(p.server.url(&format!("{base}/cells/{cell}")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        thread_page.contains("行政运行多出 10 万元"),
        "{thread_page}"
    );

    // Both go into a collection and print with what they say.
    let (_, w) = send(
        p.staff
            .post(p.server.url("/api/workpapers"))
            .json(&json!({"title": "决算审查"})),
    );
    let at = p.server.url(&format!("/api/workpapers/{}", w["id"]));
    for item in [&cell_target, &finding_target] {
        let (status, v) = send(
            p.staff
                .post(&at)
                .json(&json!({"action": "add", "item": item})),
        );
        assert_eq!(status, 200, "{v}");
    }
    let (_, _, docx) = bytes(&p.staff, &format!("{at}/export?format=docx"));
    let text = read_back("决算审查.docx", &docx);
    assert!(text.contains("行政运行 → 110.00"), "{text}");
    assert!(text.contains(&finding.message), "{text}");

    // Restricted, the document takes its numbers, findings and their threads out of the deputy's reach.
    restrict(state, account.as_str());
    for url in [
        format!("{base}/cells/{cell}"),
        format!("{base}/findings/{}", finding.key),
    ] {
        assert_eq!(
            p.deputy.get(p.server.url(&url)).send().unwrap().status(),
            404,
            "{url}"
        );
    }
    let (status, _) = send(
        p.deputy.get(
            p.server
                .url(&format!("/api/comments?target={}", enc(&cell_target))),
        ),
    );
    assert_eq!(status, 404);
    let (_, inbox) = send(p.deputy.get(p.server.url("/api/inbox")));
    assert_eq!(inbox["unread"], 0, "{inbox}");
}
