//! 预算执行（联网） through a real server and a real HTTP client: a finance system pushes batches with a token of
//! the role 数据推送 (which can read nothing), a repeated batch changes nothing, a batch with a bad row is refused
//! whole with the row named, and the committee's staff see the dashboard and pace warnings whose numbers are
//! the sums of the rows pushed; deputies see none of it.

mod common;

use common::*;
use reqwest::StatusCode;
use yusuan::auth::Role;
use yusuan::auth::accounts;

/// The test corpus with the project's subject tree and column aliases.
fn corpus_with_reference(dir: &std::path::Path) {
    corpus(dir);
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/reference");
    let to = dir.join("corpus/reference");
    std::fs::create_dir_all(&to).unwrap();
    for f in [
        "subjects.csv",
        "execution-columns.json",
        "execution-rules.json",
    ] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

const HEADER: &str = "预算年度,月份,主管部门,预算单位,功能分类科目编码,功能分类科目名称,经济分类科目编码,资金性质,年初预算数,调整数,指标下达数,本月支出\n";

/// January to `months` of two units of 东湖市教育局: 一中 spends 10 a month of 120, 二中 1 a month of 100.
fn batch(months: u8) -> String {
    let mut s = HEADER.to_string();
    for m in 1..=months {
        s += &format!(
            "2025,{m},东湖市教育局,东湖市第一中学,2050203,初中教育,30201,一般公共预算,120,0,10,10\n"
        );
        s += &format!(
            "2025,{m},东湖市教育局,东湖市第二中学,2050203,初中教育,30201,一般公共预算,100,0,10,1\n"
        );
    }
    s
}

fn push(
    client: &reqwest::blocking::Client,
    base: &str,
    id: &str,
    seq: u64,
    body: String,
) -> (StatusCode, serde_json::Value) {
    let r = client
        .post(format!(
            "{base}/api/feed/batches?id={id}&seq={seq}&format=csv"
        ))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .unwrap();
    let status = r.status();
    (status, r.json().unwrap())
}

fn get_json(client: &reqwest::blocking::Client, url: &str) -> serde_json::Value {
    let r = client.get(url).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().unwrap()
}

#[test]
fn a_finance_system_pushes_batches_and_staff_follow_the_pace() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reference(dir.path());
    let state = started(dir.path());
    let store = state.lib.store();
    accounts::add_user(
        store,
        "finance",
        Role::Feed,
        None,
        Some("finance-password-2026"),
    )
    .unwrap();
    let feed = accounts::create_token(store, "finance", None, "预算执行系统")
        .unwrap()
        .1;
    accounts::add_user(
        store,
        "deputy1",
        Role::Deputy,
        Some("王代表"),
        Some("deputy-password-2026"),
    )
    .unwrap();
    let deputy = accounts::create_token(store, "deputy1", None, "t")
        .unwrap()
        .1;
    let staff = admin_token(&state);
    let server = Server::start(state);
    let base = server.base.clone();
    let feeder = client_with(&feed);
    let staff_client = client_with(&staff);

    // Pushed: three months; the same batch id again changes nothing.
    let (status, v) = push(&feeder, &base, "2025-03-a", 1, batch(3));
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "applied");
    assert_eq!(v["rows"], 6);
    assert_eq!(v["source"], "finance");
    let (status, v) = push(&feeder, &base, "2025-03-a", 1, batch(1));
    assert_eq!(
        (status, v["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );

    // A batch with one bad row (unknown subject) is refused whole, with the row named; nothing of it counts.
    let bad =
        batch(4) + "2025,4,东湖市教育局,东湖市第三中学,9990101,,30201,一般公共预算,50,0,0,50\n";
    let (status, v) = push(&feeder, &base, "2025-04-a", 2, bad);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["outcome"], "rejected");
    assert_eq!(v["errors"][0]["line"], 10);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("未知科目"),
        "{v}"
    );

    // The feed token reads nothing, not even what a visitor may.
    for path in [
        "/api/search?q=预算",
        "/api/money/execution",
        "/api/feed/batches",
        "/money/execution",
    ] {
        let s = feeder.get(format!("{base}{path}")).send().unwrap().status();
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
    }
    // Deputies and visitors see no execution data; nobody without a token may push.
    let d = client_with(&deputy);
    assert_eq!(
        d.get(format!("{base}/api/money/execution"))
            .send()
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = push(&d, &base, "x", 9, batch(1));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let anon = reqwest::blocking::Client::new();
    let r = anon
        .post(format!("{base}/api/feed/batches?id=y&seq=1&format=csv"))
        .body(batch(1))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Staff: the dashboard as of March. 一中 30 of 120, 二中 3 of 100; time line 25%.
    let v = get_json(
        &staff_client,
        &format!("{base}/api/money/execution?year=2025"),
    );
    let d = &v["dashboard"];
    assert_eq!(d["month"], 3);
    assert_eq!(d["total"]["available"], 220.0);
    assert_eq!(d["total"]["executed"], 33.0);
    assert_eq!(d["by"][0]["key"], "东湖市教育局");
    assert_eq!(d["behind"][0]["key"], "东湖市第二中学");
    assert_eq!(d["subjects"][0]["label"], "205 教育支出");
    // 二中 at 3% against 25% is behind the schedule by more than 15 points.
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "behind_schedule");
    assert_eq!(findings[0]["unit"], "东湖市第二中学");
    assert_eq!(findings[0]["subject"], "初中教育");

    // The page, its download and a decision on a finding (二中 is behind as of March).
    let page = staff_client
        .get(format!("{base}/money/execution"))
        .send()
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().unwrap();
    assert!(
        html.contains("东湖市第二中学") && html.contains("执行进度滞后"),
        "{html}"
    );
    let csv = staff_client
        .get(format!("{base}/money/execution?part=by&format=csv"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(csv.contains("东湖市教育局,220.00,0.00,220.00"), "{csv}");
    let v = get_json(&staff_client, &format!("{base}/api/money/execution"));
    let key = v["findings"][0]["key"].as_str().unwrap().to_string();
    let r = staff_client
        .post(format!("{base}/api/money/execution/findings"))
        .json(&serde_json::json!({"key": key, "op": "dismiss", "note": "学期初支出少"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v = get_json(&staff_client, &format!("{base}/api/money/execution"));
    assert_eq!(v["findings"][0]["decision"]["verdict"], "已排除");
    // The 预警 list points staff at them.
    let alerts = staff_client
        .get(format!("{base}/alerts"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        alerts.contains("执行进度预警 1 条，其中待核实 0 条"),
        "{alerts}"
    );

    // A correction for March (a later batch) replaces that unit's month; the sequence gap is reported.
    let fix = format!(
        "{HEADER}2025,3,东湖市教育局,东湖市第二中学,2050203,初中教育,30201,一般公共预算,100,0,10,40\n"
    );
    let (status, v) = push(&feeder, &base, "2025-03-fix", 4, fix);
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["gap"], serde_json::json!([2, 4]));
    let v: serde_json::Value = staff_client
        .get(format!(
            "{base}/api/money/execution?department=东湖市教育局&code=20502"
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["dashboard"]["total"]["executed"], 72.0);
    assert_eq!(v["dashboard"]["by_label"], "预算单位");
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v}");

    // The batch list, newest first: the correction, the refused batch, the first (a duplicate is not a batch).
    let list = get_json(&staff_client, &format!("{base}/api/feed/batches"));
    let statuses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["已入库", "已拒收", "已入库"]);
}

#[test]
fn files_dropped_into_the_inbox_are_applied_or_set_aside_with_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    corpus_with_reference(dir.path());
    let lib = yusuan::library::Library::open(config(dir.path())).unwrap();
    let inbox = lib.config.feed_inbox_dir();
    std::fs::create_dir_all(&inbox).unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let drop = |name: &str, text: &str, settled: bool| {
        let p = inbox.join(name);
        std::fs::write(&p, text).unwrap();
        if settled {
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    };
    drop("2025年3月执行.csv", &batch(3), true);
    let bad = batch(1)
        + "2025,13,东湖市教育局,东湖市第一中学,2050203,初中教育,30201,一般公共预算,1,0,0,1\n";
    drop("2025-04.csv", &bad, true);
    // Still being written: left for the next scan.
    drop("2025-05.csv", &batch(5), false);
    drop("说明.txt", "not a batch", true);
    let handled = yusuan::budget::execution::inbox::scan(&lib).unwrap();
    assert_eq!(handled.len(), 2, "{handled:?}");
    assert!(inbox.join("done/2025年3月执行.csv").exists());
    assert!(inbox.join("rejected/2025-04.csv").exists());
    let errors = std::fs::read_to_string(inbox.join("rejected/2025-04.csv.errors.txt")).unwrap();
    assert!(
        errors.starts_with("第 4 行 月份：月份 13 不在 1–12 之间"),
        "{errors}"
    );
    assert!(inbox.join("2025-05.csv").exists() && inbox.join("说明.txt").exists());
    let batches = lib.store().execution_batches().unwrap();
    assert_eq!(batches.len(), 2);
    let applied = batches
        .iter()
        .find(|b| b.status == yusuan::budget::execution::BatchStatus::Applied)
        .unwrap();
    assert_eq!(
        (applied.source.as_str(), applied.seq, applied.rows),
        ("收件箱", 1, 6)
    );
    let cols = lib.execution_cache().get(lib.store()).unwrap();
    assert_eq!(cols.executed.iter().sum::<f64>(), 33.0);
}
