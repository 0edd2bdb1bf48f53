//! Budget facts on the web, through the router without a socket: the real tables of the 财政局 final account
//! (the reference grids of tests/data, written as a workbook) ingested, then `/api/facts`, the subject page of
//! 2010602 (the 16.19 → 10.00 regression), the document page's tables with their downloads, and scope.
//! With YUSUAN_SHARED set, the same regression is checked on the real PDFs.

mod common;

use axum::http::{StatusCode, header};
use std::path::{Path, PathBuf};
use yusuan::web::AppState;

use common::{Reply, get_as};

fn get(state: &AppState, uri: &str) -> Reply {
    get_as(state, uri, common::staff())
}

fn enc(s: &str) -> String {
    common::enc(s)
}

/// Writes the reference grids of one final account as a workbook: one sheet per table, the title and unit as
/// the first rows, covered cells empty (as a spreadsheet program leaves merged cells).
fn workbook(stem: &str, out: &Path) {
    let (_, tables) = common::final_account(stem);
    let mut book = rust_xlsxwriter::Workbook::new();
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(t.title.replace(['“', '”'], "")).unwrap();
        sheet.write_string(0, 0, &t.title).unwrap();
        if let Some(u) = &t.unit {
            sheet.write_string(1, 0, u).unwrap();
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.text.is_empty() {
                    sheet
                        .write_string(r as u32 + 2, c as u16, &cell.text)
                        .unwrap();
                }
            }
        }
    }
    book.save(out).unwrap();
}

fn state(dir: &Path) -> AppState {
    let lib = yusuan::library::Library::open(yusuan::config::Config::new(
        dir.join("index"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
    ))
    .unwrap();
    AppState::new(std::sync::Arc::new(lib)).unwrap()
}

fn doc_id(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap();
    yusuan::model::DocId::from_source(&canonical.to_string_lossy()).to_string()
}

/// Regression: /subjects/2010602 showed 16.19 (the income table's 本年收入合计) for 上海市普陀区财政局; its
/// expenditure tables say 10.00.
#[test]
fn the_finance_bureau_spends_10_on_2010602_and_every_amount_is_labelled() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("上海市普陀区财政局2024年度部门决算.xlsx");
    workbook("caizhengju", &file);
    let st = state(tmp.path());
    let r = yusuan::pipeline::ingest(&st.lib, std::slice::from_ref(&file), &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let id = doc_id(&file);

    let api = get(&st, "/api/subjects/2010602").json();
    let doc = &api["documents"][0];
    assert_eq!(doc["title"], "上海市普陀区财政局2024年度部门决算");
    assert_eq!(doc["amount"], 10.0, "{api}");
    assert_eq!(
        doc["amount_label"],
        "上海市普陀区财政局 · 2024年 · 支出决算表 · 本年支出合计（万元）"
    );
    let page = get(&st, "/subjects/2010602").text();
    assert!(page.contains("支出 10.00 万元"), "{page}");
    assert!(!page.contains("支出 16.19"));
    // The income amount is listed, labelled as what it is, with the row's name as the table writes it (the same as
    // the subject's name, so not marked as different).
    assert!(
        page.contains("<td>收入决算表</td><td>一般行政管理事务</td><td>本年收入合计</td><td class=\"num\"><a href="),
        "{page}"
    );
    assert!(!page.contains("名称不同"));

    // The 三公 dossier (its terms are in the 三公 table) shows the bureau's spending on its subject 201, labelled,
    // with totals per table and column. (Its page used to fail: a term with “” quotes broke the article query.)
    let d = yusuan::linking::dossier::topic_dossier(
        &st.lib,
        "three-public-expenses",
        50,
        &yusuan::model::Scope::All,
    )
    .unwrap();
    let amounts: Vec<(&str, f64, &str, &str, Option<&str>)> = d
        .amounts
        .iter()
        .map(|a| {
            (
                a.code.as_str(),
                a.amount,
                a.table.as_str(),
                a.column.as_str(),
                a.unit.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        amounts,
        vec![(
            "201",
            2106.66,
            "支出决算表",
            "本年支出合计",
            Some("上海市普陀区财政局")
        )]
    );
    assert!(
        d.totals.iter().any(|(c, t)| c == "201"
            && t.column == "本年收入合计"
            && t.amount == 2112.86
            && t.documents == 1),
        "{:?}",
        d.totals
    );
    let topic = get(&st, "/topics/three-public-expenses");
    assert_eq!(topic.status, StatusCode::OK, "{}", topic.text());
    assert!(
        topic
            .text()
            .contains("<td>支出决算表 · 本年支出合计</td><td class=\"num\">2,106.66</td>"),
        "{}",
        topic.text()
    );

    // A 类 row carries its amount too.
    let class = get(&st, "/api/subjects/201").json();
    assert_eq!(class["documents"][0]["amount"], 2106.66, "{class}");

    // The facts API: the same filters as the command line.
    let facts = get(
        &st,
        &format!(
            "/api/facts?code=2010602&table={}&column={}",
            enc("支出决算表"),
            enc("本年支出合计")
        ),
    )
    .json();
    assert_eq!(facts["total"], 1, "{facts}");
    let f = &facts["facts"][0];
    assert_eq!(
        (
            f["doc_id"].as_str(),
            f["unit"].as_str(),
            f["year"].as_i64(),
            f["stage"].as_str()
        ),
        (
            Some(id.as_str()),
            Some("上海市普陀区财政局"),
            Some(2024),
            Some("决算")
        )
    );
    assert_eq!(
        (f["table"].as_str(), f["level"].as_str(), f["raw"].as_str()),
        (Some("支出决算表"), Some("项"), Some("10.00"))
    );
    assert_eq!(f["amount"], 10.0);
    let all = get(&st, &format!("/api/facts?doc={id}&limit=0")).json();
    assert!(all["total"].as_u64().unwrap() > 150, "{all}");
    assert!(all["facts"].as_array().unwrap().is_empty());
    // Every parameter the description documents is one the route takes.
    let spec = get(&st, "/api/openapi.json").json();
    let params = spec["paths"]["/api/facts"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(params.len(), 10);
    for p in params {
        let name = p["name"].as_str().unwrap();
        let value = match name {
            "year" | "limit" | "offset" => "1",
            "level" => "项",
            _ => "x",
        };
        let r = get(&st, &format!("/api/facts?{name}={}", enc(value)));
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
    }
    assert_eq!(
        get(&st, "/api/facts?colum=x").status,
        StatusCode::BAD_REQUEST
    );
    let bad = get(&st, "/api/facts?year=二〇二四");
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("year"));
    assert_eq!(
        get(&st, "/api/facts?limit=100000").status,
        StatusCode::BAD_REQUEST
    );

    // The document page shows the tables, each cell with an anchor, and downloads per table.
    let page = get(&st, &format!("/documents/{id}")).text();
    assert!(page.contains("<h2>表格（10）</h2>"), "{page}");
    assert!(page.contains("id=\"t4\""));
    assert!(page.contains(">支出决算表</a> <span class=\"tag\">支出表</span>"));
    let csv = get(&st, &format!("/documents/{id}/tables/4.csv"));
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"));
    assert!(
        csv.text()
            .contains("201,06,02,一般行政管理事务,10.00,,10.00"),
        "{}",
        csv.text()
    );
    let xlsx = get(&st, &format!("/documents/{id}/tables/4.xlsx"));
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(
        xlsx.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(xlsx.body.starts_with(b"PK"));
    assert_eq!(
        get(&st, &format!("/documents/{id}/tables/99.csv")).status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&st, &format!("/documents/{id}/tables/4.exe")).status,
        StatusCode::NOT_FOUND
    );

    // Restricted: readers outside the scope see no facts, no tables, no downloads.
    common::restrict(&st, &id);
    let deputy = common::outside_deputy();
    let hidden = get_as(&st, "/api/facts?code=2010602", deputy.clone()).json();
    assert_eq!(hidden["total"], 0, "{hidden}");
    assert_eq!(
        get_as(
            &st,
            &format!("/documents/{id}/tables/4.csv"),
            deputy.clone()
        )
        .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !get_as(&st, "/subjects/2010602", deputy)
            .text()
            .contains("10.00")
    );
    assert_eq!(get(&st, "/api/facts?code=2010602").json()["total"], 7);
}

fn shared() -> Option<PathBuf> {
    match std::env::var_os("YUSUAN_SHARED") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!(
                "skipped: set YUSUAN_SHARED to the shared folder to run the real-PDF facts test"
            );
            None
        }
    }
}

/// The same regression on the real PDFs: the finance bureau's spending on 2010602 is 10.00 from its 支出决算表,
/// never the income table's 16.19.
#[test]
fn real_pdfs_never_show_the_income_total_as_spending() {
    let Some(shared) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let st = state(tmp.path());
    let r = yusuan::pipeline::ingest(&st.lib, &[shared.join("corpus/final-accounts")], &|_| {})
        .unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let api = get(&st, "/api/subjects/2010602").json();
    let doc = api["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "上海市普陀区财政局2024年度部门决算")
        .unwrap_or_else(|| panic!("{api}"));
    assert_eq!(doc["amount"], 10.0, "{doc}");
    assert_eq!(
        doc["amount_label"],
        "上海市普陀区财政局 · 2024年 · 支出决算表 · 本年支出合计（万元）"
    );
    let facts = get(&st, "/api/facts?code=2010602&limit=100").json();
    assert_eq!(facts["total"], 7, "{facts}");
}

/// 对比分析 and a dossier's 财政收支 on the real PDFs: units × 类 of the 2024 final accounts, each cell the
/// amount printed in the unit's 支出决算表 (本年支出合计), each row adding up to the table's printed 合计 (the
/// finance bureau prints 2,940.05 where its 类 add up to 2,940.06, a rounding in the document).
#[test]
fn real_final_accounts_compared_by_unit_and_class_and_in_a_dossier() {
    let Some(shared) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let st = state(tmp.path());
    let r = yusuan::pipeline::ingest(&st.lib, &[shared.join("corpus/final-accounts")], &|_| {})
        .unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let p = get(&st, "/api/money/compare?rows=unit&cols=subject").json();
    assert_eq!(p["years"], serde_json::json!([2024]), "{p}");
    assert_eq!(p["stage"], "决算");
    // (unit, [(类, 本年支出合计)], the table's printed 合计)
    type Printed<'a> = (&'a str, &'a [(&'a str, f64)], f64);
    let printed: [Printed; 3] = [
        (
            "上海市普陀区财政局",
            &[
                ("201", 2106.66),
                ("208", 326.72),
                ("210", 60.99),
                ("221", 445.69),
            ],
            2940.05,
        ),
        (
            "中共上海市普陀区委社会工作部",
            &[
                ("201", 264.87),
                ("208", 10.82),
                ("210", 2.71),
                ("221", 29.42),
            ],
            307.82,
        ),
        (
            "上海市普陀区规划和自然资源局",
            &[
                ("208", 754.75),
                ("210", 236.64),
                ("212", 3845.24),
                ("220", 4461.67),
                ("221", 461.08),
            ],
            9759.38,
        ),
    ];
    let rows = p["rows"].as_array().unwrap();
    let cols = p["cols"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        cols.iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["201", "208", "210", "212", "220", "221"]
    );
    for (unit, cells, total) in printed {
        let r = rows.iter().position(|h| h["key"] == unit).unwrap();
        for (k, c) in cols.iter().enumerate() {
            let want = cells
                .iter()
                .find(|(code, _)| c["key"] == *code)
                .map(|(_, v)| *v);
            assert_eq!(
                p["cells"][r][k]["amount"].as_f64(),
                want,
                "{unit} {}",
                c["key"]
            );
        }
        let sum = p["row_totals"][r]["amount"].as_f64().unwrap();
        assert!(
            (sum - total).abs() <= 0.011,
            "{unit}: {sum} vs 合计 {total}"
        );
    }
    // 社会保障和就业支出 over the three units, in the 就业 dossier (its subject 208), whatever the links say.
    let d = get(&st, &format!("/api/topics/{}", enc("就业"))).json();
    let fiscal = d["fiscal"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "208")
        .unwrap_or_else(|| panic!("{d}"));
    assert!((fiscal["pivot"]["total"]["amount"].as_f64().unwrap() - 1092.29).abs() < 1e-6);
    let html = get(&st, &format!("/topics/{}", enc("就业"))).text();
    assert!(
        html.contains("id=\"fiscal-208\"") && html.contains("754.75"),
        "{html}"
    );
}

/// 资金 by the economic classification on the real PDFs: 类 from the 一般公共预算财政拨款基本支出决算表 (301
/// 工资福利支出 = 4,816.14 + 2,082.85 + 95.36), a 类's 款 (30201 办公费 = 84.62 + 21.21 + 3.78), and the units under a
/// 款, each amount as printed.
#[test]
fn real_final_accounts_by_economic_class_down_to_the_units() {
    let Some(shared) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let st = state(tmp.path());
    let r = yusuan::pipeline::ingest(&st.lib, &[shared.join("corpus/final-accounts")], &|_| {})
        .unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let amount_of = |v: &serde_json::Value, key: &str| -> f64 {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == key || r["name"] == key)
            .unwrap_or_else(|| panic!("no {key} in {v}"))["amount"]
            .as_f64()
            .unwrap()
    };
    let top = get(&st, "/api/money?class=economic").json();
    assert_eq!(top["table"], "一般公共预算财政拨款基本支出表", "{top}");
    assert_eq!(top["economic"], true);
    assert!((amount_of(&top, "301") - 6994.35).abs() < 1e-6, "{top}");
    assert!(
        top["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["code"].as_str().unwrap().starts_with('3')),
        "economic codes only: {top}"
    );
    let goods = get(&st, "/api/money?class=economic&code=302").json();
    assert_eq!(goods["level"], "款");
    assert!(
        (amount_of(&goods, "30201") - 109.61).abs() < 1e-6,
        "{goods}"
    );
    let units = get(&st, "/api/money?class=economic&code=30201").json();
    assert_eq!(units["level"], "单位");
    assert_eq!(amount_of(&units, "上海市普陀区规划和自然资源局"), 84.62);
    assert_eq!(amount_of(&units, "上海市普陀区财政局"), 21.21);
    assert_eq!(amount_of(&units, "中共上海市普陀区委社会工作部"), 3.78);
    // Each unit's amount is one click from its cell: the 基本支出决算表 on the page the CLI shows, the cell's
    // anchor on the document page.
    for r in units["rows"].as_array().unwrap() {
        let src = &r["source"];
        assert_eq!(src["table"], "一般公共预算财政拨款基本支出决算表", "{r}");
        let cell = src["cell"].as_str().unwrap();
        let doc = src["doc_id"].as_str().unwrap();
        let page = get(&st, &format!("/documents/{doc}")).text();
        assert!(
            page.contains(&format!("id=\"{cell}\"")),
            "{cell} on the page of {}",
            r["name"]
        );
        let html = get(&st, "/money?class=economic&code=30201").text();
        assert!(html.contains(&format!("#{cell}\"")), "{html}");
    }
    let finance = units["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "上海市普陀区财政局")
        .unwrap();
    assert_eq!(finance["source"]["page"], 16);
    // The page: the classification as a filter, the drill links keep it, no comparison link.
    let html = get(&st, "/money?class=economic").text();
    assert!(
        html.contains("经济分类") && html.contains("href=\"/money?class=economic&#38;code=301\""),
        "{html}"
    );
    assert!(!html.contains("id=\"to-compare\""));
    assert_eq!(
        get(&st, "/api/money?class=economic&code=3010101").status,
        400
    );
    // The functional classification is not mixed with it.
    let functional = get(&st, "/api/money").json();
    assert!(
        functional["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["code"].as_str().unwrap().starts_with('2'))
    );
}
