//! 资金 on the web, through the router without a socket: hand-written 支出决算表 (CSV) of two units over two
//! years and a restricted third, ingested; then `/api/money` at every level against `/api/facts`, the growth
//! rate, the units under a 项, the page as table and as chart, the CSV and XLSX downloads, the vendored
//! ECharts, and what a reader outside the restricted document sees.

mod common;

use axum::http::{StatusCode, header};
use serde_json::Value;
use std::path::Path;
use yusuan::auth::Viewer;
use yusuan::web::AppState;

use common::{Reply, get_as};

/// The body as JSON, after checking the status is 200.
fn ok(r: Reply) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn get(state: &AppState, uri: &str) -> Reply {
    get_as(state, uri, common::staff())
}

const HEAD: &str = "支出决算表\n,,,,单位：万元\n科目编码,科目名称,本年支出合计,基本支出,项目支出\n";

/// (file name, rows) of the final accounts: 教育局 and 财政局 in 2023 and 2024, 审计局 in 2024 (restricted).
fn tables() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "示范区教育局2024年度部门决算.csv",
            "205,教育支出,500.00,300.00,200.00\n20502,普通教育,500.00,300.00,200.00\n\
             2050202,小学教育,300.00,200.00,100.00\n2050203,初中教育,200.00,100.00,100.00\n\
             208,社会保障和就业支出,50.00,50.00,0.00\n20805,行政事业单位养老支出,50.00,50.00,0.00\n\
             2080505,机关事业单位基本养老保险缴费支出,50.00,50.00,0.00\n,合计,550.00,350.00,200.00\n",
        ),
        (
            "示范区教育局2023年度部门决算.csv",
            "205,教育支出,400.00,250.00,150.00\n20502,普通教育,400.00,250.00,150.00\n\
             2050202,小学教育,250.00,150.00,100.00\n2050203,初中教育,150.00,100.00,50.00\n\
             208,社会保障和就业支出,40.00,40.00,0.00\n20805,行政事业单位养老支出,40.00,40.00,0.00\n\
             2080505,机关事业单位基本养老保险缴费支出,40.00,40.00,0.00\n,合计,440.00,290.00,150.00\n",
        ),
        (
            "示范区财政局2024年度部门决算.csv",
            "201,一般公共服务支出,300.00,200.00,100.00\n20106,财政事务,300.00,200.00,100.00\n\
             2010601,行政运行,300.00,200.00,100.00\n205,教育支出,100.00,0.00,100.00\n\
             20502,普通教育,100.00,0.00,100.00\n2050202,小学教育,100.00,0.00,100.00\n\
             ,合计,400.00,200.00,200.00\n",
        ),
        (
            "示范区财政局2023年度部门决算.csv",
            "201,一般公共服务支出,250.00,200.00,50.00\n20106,财政事务,250.00,200.00,50.00\n\
             2010601,行政运行,250.00,200.00,50.00\n205,教育支出,80.00,0.00,80.00\n\
             20502,普通教育,80.00,0.00,80.00\n2050202,小学教育,80.00,0.00,80.00\n\
             ,合计,330.00,200.00,130.00\n",
        ),
        (
            "示范区审计局2024年度部门决算.csv",
            "205,教育支出,1000.00,0.00,1000.00\n20502,普通教育,1000.00,0.00,1000.00\n\
             2050202,小学教育,1000.00,0.00,1000.00\n,合计,1000.00,0.00,1000.00\n",
        ),
    ]
}

fn library(dir: &Path) -> AppState {
    let mut files = Vec::new();
    for (name, rows) in tables() {
        let file = dir.join(name);
        std::fs::write(&file, format!("{HEAD}{rows}")).unwrap();
        files.push(file);
    }
    std::fs::write(
        dir.join("示范区审计局2024年度部门决算.csv.meta.json"),
        r#"{"access": "restricted"}"#,
    )
    .unwrap();
    let lib = yusuan::library::Library::open(yusuan::config::Config::new(
        dir.join("index"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
    ))
    .unwrap();
    let r = yusuan::pipeline::ingest(&lib, &files, &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    AppState::new(std::sync::Arc::new(lib)).unwrap()
}

/// The sum of `/api/facts` for a code, year and unit (the 支出表's 本年支出合计), as the reader sees it.
fn facts_sum(st: &AppState, viewer: &Viewer, code: &str, year: i32, unit: Option<&str>) -> f64 {
    let mut uri = format!(
        "/api/facts?code={code}&year={year}&table={}&column={}&limit=200",
        common::enc("支出表"),
        common::enc("本年支出合计")
    );
    if let Some(u) = unit {
        uri.push_str(&format!("&unit={}", common::enc(u)));
    }
    let list = ok(get_as(st, &uri, viewer.clone()));
    list["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["amount"].as_f64().unwrap())
        .sum()
}

fn amount(row: &Value, key: &str) -> f64 {
    row[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} of {row}"))
}

fn row<'a>(view: &'a Value, key: &str) -> &'a Value {
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == key || r["name"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {view}"))
}

#[test]
fn drill_down_amounts_equal_the_facts_with_growth_units_downloads_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    let st = library(dir.path());
    let staff = common::staff();

    // The 类: the latest year and its final accounts, compared with the year before.
    let top = ok(get(&st, "/api/money"));
    assert_eq!(top["level"], "类");
    assert_eq!(top["year"], 2024);
    assert_eq!(top["compare"], 2023);
    assert_eq!(top["stage"], "决算");
    assert_eq!(top["table"], "支出表");
    assert_eq!(top["column"], "本年支出合计");
    assert_eq!(top["total"]["documents"], 3);
    assert_eq!(top["total"]["previous_documents"], 2);
    let codes: Vec<&str> = top["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["201", "205", "208"]);
    for code in ["201", "205", "208"] {
        let r = row(&top, code);
        assert_eq!(
            amount(r, "amount"),
            facts_sum(&st, &staff, code, 2024, None),
            "{code}"
        );
        assert_eq!(
            amount(r, "previous"),
            facts_sum(&st, &staff, code, 2023, None),
            "{code}"
        );
    }
    let edu = row(&top, "205");
    assert_eq!(edu["name"], "教育支出");
    assert_eq!(amount(edu, "amount"), 1600.0);
    assert_eq!(amount(edu, "previous"), 480.0);
    assert_eq!(amount(edu, "change"), 1120.0);
    assert!((amount(edu, "growth") - 233.333333).abs() < 1e-5, "{edu}");
    assert!((amount(edu, "share") - 1600.0 / 1950.0 * 100.0).abs() < 1e-5);
    assert_eq!(amount(&top["total"], "amount"), 1950.0);

    // 类 → 款 → 项 → units.
    let section = ok(get(&st, "/api/money?code=205"));
    assert_eq!(section["level"], "款");
    assert_eq!(amount(row(&section, "20502"), "amount"), 1600.0);
    assert_eq!(amount(&section["parent"], "amount"), 1600.0);
    let items = ok(get(&st, "/api/money?code=20502"));
    assert_eq!(items["level"], "项");
    for code in ["2050202", "2050203"] {
        let r = row(&items, code);
        assert_eq!(
            amount(r, "amount"),
            facts_sum(&st, &staff, code, 2024, None)
        );
        assert_eq!(
            amount(r, "previous"),
            facts_sum(&st, &staff, code, 2023, None)
        );
    }
    assert_eq!(amount(row(&items, "2050202"), "amount"), 1400.0);
    assert!((amount(row(&items, "2050203"), "growth") - 100.0 / 3.0).abs() < 1e-5);
    let path: Vec<&str> = items["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["205", "20502"]);
    let units = ok(get(&st, "/api/money?code=2050202"));
    assert_eq!(units["level"], "单位");
    let names: Vec<&str> = units["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["示范区审计局", "示范区教育局", "示范区财政局"],
        "largest first"
    );
    for unit in &names {
        let r = row(&units, unit);
        assert_eq!(
            amount(r, "amount"),
            facts_sum(&st, &staff, "2050202", 2024, Some(unit))
        );
    }
    let school = row(&units, "示范区教育局");
    // Its amount's cell, one click away: the 支出决算表's 小学教育 row, 本年支出合计 column.
    let cell = school["source"]["cell"].as_str().unwrap();
    let doc = school["source"]["doc_id"].as_str().unwrap();
    assert_eq!(school["source"]["table"], "支出决算表");
    assert!(
        get(&st, &format!("/documents/{doc}"))
            .text()
            .contains(&format!("id=\"{cell}\""))
    );
    assert_eq!(amount(school, "previous"), 250.0);
    assert_eq!(amount(school, "growth"), 20.0);
    assert!(row(&units, "示范区审计局")["previous"].is_null());
    assert!(row(&units, "示范区审计局")["growth"].is_null());

    // The page: breadcrumbs, drill links keeping the filters, the table; the chart with its data and the
    // vendored script.
    let page = get(&st, "/money?code=20502&year=2024");
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("id=\"crumbs\""));
    assert!(
        html.contains("href=\"/money?code=205&#38;year=2024\""),
        "{html}"
    );
    assert!(html.contains("href=\"/money?code=2050202&#38;year=2024\""));
    assert!(html.contains("小学教育") && html.contains("1,400.00"));
    assert!(
        !html.contains("echarts.min.js"),
        "the table view loads no chart"
    );
    let chart = get(&st, "/money?code=20502&year=2024&view=chart").text();
    assert!(chart.contains("id=\"chart\""));
    assert!(chart.contains("/static/echarts.min.js"));
    assert!(
        chart.contains("id=\"money-table\""),
        "the table stays below the chart"
    );
    let data = chart
        .split("<script type=\"application/json\" id=\"money-data\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap();
    let data: Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["axis"], "万元");
    assert_eq!(data["labels"][0], "2050202 小学教育");
    assert_eq!(data["series"][0]["data"][0], 1400.0);
    assert_eq!(data["series"][1]["name"], "2023年");
    assert!(
        data["urls"][0].as_str().unwrap().contains("view=chart"),
        "drilling from the chart keeps the chart"
    );
    let js = get(&st, "/static/echarts.min.js");
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.len() > 500_000);
    assert!(
        js.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    // Downloads of the shown table.
    let csv = get(&st, "/money?code=20502&format=csv");
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"));
    let text = csv.text();
    assert!(
        text.contains("2050202,小学教育,1400.00,330.00,1070.00"),
        "{text}"
    );
    assert!(text.contains(",合计,1600.00,480.00,1120.00"), "{text}");
    assert!(
        csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let xlsx = get(&st, "/money?code=2050202&format=xlsx");
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.body)).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    assert_eq!(
        range.get_value((3, 0)),
        Some(&calamine::Data::String("示范区审计局".into()))
    );
    assert_eq!(
        range.get_value((3, 2)),
        Some(&calamine::Data::Float(1000.0))
    );

    // The region a unit's name begins with (示范区): all of it; another region: nothing.
    let here = ok(get(
        &st,
        &format!("/api/money?region={}", common::enc("示范区")),
    ));
    assert_eq!(amount(&here["total"], "amount"), 1950.0);
    let elsewhere = ok(get(
        &st,
        &format!("/api/money?region={}", common::enc("别处")),
    ));
    assert!(
        elsewhere["rows"].as_array().unwrap().is_empty(),
        "{elsewhere}"
    );

    let spec = ok(get(&st, "/api/openapi.json"));
    assert!(spec["paths"]["/api/money"]["get"]["parameters"].is_array());

    // Bad parameters are refused with a message.
    for bad in [
        "/api/money?code=20x",
        "/api/money?stage=x",
        "/money?view=pie",
        "/money?format=pdf",
        "/api/money?x=1",
    ] {
        assert_eq!(get(&st, bad).status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // Outside the restricted document: its amounts are not in any level, nor its unit under the 项.
    let reader = common::outside_deputy();
    let top = ok(get_as(&st, "/api/money", reader.clone()));
    let edu = row(&top, "205");
    assert_eq!(amount(edu, "amount"), 600.0);
    assert_eq!(
        amount(edu, "amount"),
        facts_sum(&st, &reader, "205", 2024, None)
    );
    assert_eq!(amount(edu, "growth"), 25.0);
    assert_eq!(top["total"]["documents"], 2);
    let units = ok(get_as(&st, "/api/money?code=2050202", reader.clone()));
    assert!(!units.to_string().contains("审计局"), "{units}");
    let csv = get_as(&st, "/money?code=2050202&format=csv", reader).text();
    assert!(!csv.contains("审计局") && !csv.contains("1000.00"), "{csv}");
}

/// The 2024 budget of 教育局 (支出预算表), for the 完成率 beside its final account.
const BUDGET: (&str, &str) = (
    "示范区教育局2024年度部门预算.csv",
    "支出预算表\n,,,,单位：万元\n科目编码,科目名称,本年支出合计,基本支出,项目支出\n\
     205,教育支出,400.00,250.00,150.00\n20502,普通教育,400.00,250.00,150.00\n\
     2050202,小学教育,250.00,150.00,100.00\n2050203,初中教育,150.00,100.00,50.00\n\
     ,合计,400.00,250.00,150.00\n",
);

/// The sum of `/api/facts` of the final accounts (the 支出决算表) for a code and year.
fn final_sum(st: &AppState, code: &str, year: i32) -> f64 {
    let uri = format!(
        "/api/facts?code={code}&year={year}&table={}&column={}&limit=200",
        common::enc("支出决算表"),
        common::enc("本年支出合计")
    );
    ok(get(st, &uri))["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["amount"].as_f64().unwrap())
        .sum()
}

fn cell<'a>(pivot: &'a Value, row: &str, col: &str) -> &'a Value {
    let find = |headers: &Value, key: &str| {
        headers
            .as_array()
            .unwrap()
            .iter()
            .position(|h| h["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {headers}"))
    };
    let r = find(&pivot["rows"], row);
    let c = find(&pivot["cols"], col);
    &pivot["cells"][r][c]
}

#[test]
fn comparison_of_units_subjects_and_years_with_budget_against_actual_downloads_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(BUDGET.0), BUDGET.1).unwrap();
    let st = library(dir.path());
    // The budget file is in the folder but ingested on its own.
    let lib = st.lib.clone();
    let r = yusuan::pipeline::ingest(&lib, &[dir.path().join(BUDGET.0)], &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);

    // Subjects × years (the default): every cell is the facts' sum, with growth and share.
    let p = ok(get(&st, "/api/money/compare"));
    assert_eq!(
        (p["rows_dim"].as_str(), p["cols_dim"].as_str()),
        (Some("科目"), Some("年度"))
    );
    assert_eq!(p["stage"], "决算");
    assert_eq!(p["years"], serde_json::json!([2023, 2024]));
    for code in ["201", "205", "208"] {
        for year in [2023, 2024] {
            let c = cell(&p, code, &year.to_string());
            assert_eq!(
                c["amount"].as_f64().unwrap_or(0.0),
                final_sum(&st, code, year),
                "{code} {year}"
            );
        }
    }
    let edu = cell(&p, "205", "2024");
    assert_eq!(amount(edu, "previous"), 480.0);
    assert!((amount(edu, "growth") - 233.333333).abs() < 1e-5, "{edu}");
    assert!((amount(edu, "share") - 1600.0 / 1950.0 * 100.0).abs() < 1e-5);
    // Final accounts: the 2024 budget beside the actual; the 完成率 counts 教育局 only (the one unit with both).
    assert_eq!(p["against_budget"], true);
    assert_eq!(amount(edu, "budget"), 400.0);
    assert!(
        (amount(edu, "rate") - 500.0 / 400.0 * 100.0).abs() < 1e-6,
        "{edu}"
    );
    assert!(
        cell(&p, "201", "2024")["rate"].is_null(),
        "财政局 has no budget"
    );

    // Units × years under a 项, and units × subjects of one year.
    let u = ok(get(&st, "/api/money/compare?rows=unit&code=2050202"));
    assert_eq!(amount(cell(&u, "示范区教育局", "2024"), "amount"), 300.0);
    assert_eq!(amount(cell(&u, "示范区教育局", "2024"), "budget"), 250.0);
    assert_eq!(amount(cell(&u, "示范区教育局", "2024"), "rate"), 120.0);
    assert_eq!(amount(cell(&u, "示范区教育局", "2024"), "growth"), 20.0);
    let first: Vec<&str> = u["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        first,
        ["示范区审计局", "示范区教育局", "示范区财政局"],
        "largest first"
    );
    let s = ok(get(
        &st,
        &format!(
            "/api/money/compare?rows=unit&cols=subject&years=2023&units={}",
            common::enc("教育局,财政局")
        ),
    ));
    assert_eq!(s["years"], serde_json::json!([2023]));
    assert_eq!(s["rows"].as_array().unwrap().len(), 2);
    assert_eq!(amount(cell(&s, "示范区财政局", "201"), "amount"), 250.0);
    assert_eq!(amount(cell(&s, "示范区教育局", "205"), "amount"), 400.0);
    assert!(cell(&s, "示范区财政局", "208")["amount"].is_null());

    // The page as table and as chart; the rate as the shown measure; downloads.
    let html = get(&st, "/money/compare?rows=unit&code=2050202&measure=rate").text();
    assert!(
        html.contains("id=\"compare-table\"") && html.contains("120.0%"),
        "{html}"
    );
    assert!(!html.contains("echarts.min.js"));
    let chart = get(
        &st,
        "/money/compare?rows=year&cols=unit&code=2050202&view=chart",
    )
    .text();
    let data = chart
        .split("<script type=\"application/json\" id=\"compare-data\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap();
    let data: Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["kind"], "line", "years along the axis");
    assert_eq!(data["labels"], serde_json::json!(["2023年", "2024年"]));
    assert_eq!(data["axis"], "金额（万元）");
    let csv = get(&st, "/money/compare?rows=unit&code=2050202&format=csv");
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text();
    assert!(text.contains("示范区教育局,250.00,300.00,550.00"), "{text}");
    assert!(text.contains("合计,330.00,1400.00,1730.00"), "{text}");
    let xlsx = get(&st, "/money/compare?format=xlsx&measure=growth");
    assert_eq!(xlsx.status, StatusCode::OK);
    let spec = ok(get(&st, "/api/openapi.json"));
    assert!(spec["paths"]["/api/money/compare"]["get"]["parameters"].is_array());
    for bad in [
        "/api/money/compare?rows=year&cols=year",
        "/api/money/compare?rows=region",
        "/api/money/compare?years=1800",
        "/money/compare?measure=sum",
        "/money/compare?view=pie",
    ] {
        assert_eq!(get(&st, bad).status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // The 义务教育 dossier's 财政收支: its subjects' amounts by unit and year, table or chart.
    let topic = get(&st, &format!("/topics/{}", common::enc("义务教育")));
    assert_eq!(topic.status, StatusCode::OK);
    let html = topic.text();
    assert!(html.contains("id=\"fiscal-2050202\""), "{html}");
    assert!(html.contains("1,400.00"));
    let charts = get(
        &st,
        &format!("/topics/{}?view=chart", common::enc("义务教育")),
    )
    .text();
    assert!(charts.contains("class=\"fiscal-chart\"") && charts.contains("echarts.min.js"));
    assert_eq!(
        get(
            &st,
            &format!("/topics/{}?view=pie", common::enc("义务教育"))
        )
        .status,
        StatusCode::BAD_REQUEST
    );

    // Outside the restricted 审计局 account: neither its unit nor its amount.
    let reader = common::outside_deputy();
    let u = ok(get_as(
        &st,
        "/api/money/compare?rows=unit&code=2050202",
        reader.clone(),
    ));
    assert!(!u.to_string().contains("审计局"), "{u}");
    assert_eq!(amount(&u["total"], "amount"), 730.0);
    let topic = get_as(&st, &format!("/topics/{}", common::enc("义务教育")), reader).text();
    assert!(!topic.contains("审计局"));
}
