//! 预警 on the web, through the router without a socket: a CSV final-account table with a planted error is
//! ingested, then its findings through `/api/documents/{id}/findings`, the `/alerts` list with its filters and
//! exports, the document page, and scope (a restricted document's findings are invisible to other readers).

mod common;

use axum::http::StatusCode;
use common::{get_as, post_json_as};
use std::path::Path;
use yusuan::auth::Viewer;
use yusuan::web::AppState;

/// A POST of `body` as JSON: its status.
fn post_json(
    state: &AppState,
    uri: &str,
    body: serde_json::Value,
    viewer: Viewer,
) -> (StatusCode, Vec<u8>) {
    let r = post_json_as(state, uri, &body, viewer);
    (r.status, r.body)
}

fn text(state: &AppState, uri: &str) -> String {
    let r = get_as(state, uri, common::staff());
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    r.text()
}

/// A 支出决算表 whose 行政运行 row does not add up (110.00 ≠ 80.00 + 20.00), and a text line with a placeholder.
const TABLE: &str = "支出决算表\n,,,单位：万元\n科目编码,科目名称,本年支出合计,基本支出,项目支出\n\
    201,一般公共服务支出,100.00,80.00,20.00\n20106,财政事务,100.00,80.00,20.00\n\
    2010601,行政运行,110.00,80.00,20.00\n,合计,100.00,80.00,20.00\n";

#[test]
fn findings_are_listed_filtered_exported_and_scoped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("示范区财政局2024年度部门决算.csv");
    std::fs::write(&file, TABLE).unwrap();
    let lib = yusuan::library::Library::open(yusuan::config::Config::new(
        dir.path().join("index"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
    ))
    .unwrap();
    let r = yusuan::pipeline::ingest(&lib, std::slice::from_ref(&file), &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let st = AppState::new(std::sync::Arc::new(lib)).unwrap();
    let canonical = std::fs::canonicalize(&file).unwrap();
    let id = yusuan::model::DocId::from_source(&canonical.to_string_lossy()).to_string();

    let json: serde_json::Value =
        serde_json::from_str(&text(&st, &format!("/api/documents/{id}/findings"))).unwrap();
    assert_eq!(json["doc_id"], id.as_str());
    let findings = json["findings"].as_array().unwrap();
    let row = findings
        .iter()
        .find(|f| f["rule"] == "row-sum")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(row["severity"], "错误");
    assert_eq!(row["row"], "行政运行");
    assert_eq!(row["expected"], "100.00");
    assert_eq!(row["found"], "110.00");
    assert!(
        findings.iter().any(|f| f["rule"] == "tree-sum"),
        "20106 ≠ 2010601: {json}"
    );

    let page = text(&st, "/alerts");
    assert!(page.contains("行政运行"), "{page}");
    assert!(page.contains("示范区财政局2024年度部门决算"));
    // Filtering by a severity without findings empties the list; the facet keeps its counts.
    let warnings = text(&st, "/alerts?severity=%E8%AD%A6%E5%91%8A");
    assert!(warnings.contains("没有符合条件的发现"), "{warnings}");
    let csv = get_as(&st, "/alerts?format=csv", common::staff()).body;
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "a BOM for spreadsheet programs"
    );
    assert!(String::from_utf8_lossy(&csv).contains("行合计"));
    let header = String::from_utf8_lossy(&csv)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let first = String::from_utf8_lossy(&csv)
        .lines()
        .nth(2)
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        header.split(',').count(),
        first.split(',').count(),
        "one header per column: {header} / {first}"
    );
    // The same rows as a workbook.
    let xlsx = get_as(&st, "/alerts?format=xlsx", common::staff()).body;
    let sheet = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx))
        .ok()
        .and_then(|mut wb| {
            use calamine::Reader;
            let name = wb.sheet_names().first()?.clone();
            wb.worksheet_range(&name).ok()
        })
        .expect("a readable workbook");
    let cells: Vec<String> = sheet.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "行合计"), "{cells:?}");
    assert!(cells.iter().any(|c| c == "核实"));
    // Sorted by rule: the rule names run in order, and the links keep the order.
    let by_rule: serde_json::Value =
        serde_json::from_str(&text(&st, "/api/alerts?sort=rule")).unwrap();
    let names: Vec<&str> = by_rule
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_name"].as_str().unwrap_or(""))
        .collect();
    assert!(names.len() > 1);
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    let sorted_page = text(&st, "/alerts?sort=rule");
    assert!(
        sorted_page.contains("sort=rule"),
        "the facet links keep the order"
    );
    assert_eq!(
        get_as(&st, "/alerts?sort=colour", common::staff()).status,
        StatusCode::BAD_REQUEST
    );
    let listed: serde_json::Value =
        serde_json::from_str(&text(&st, "/api/alerts?rule=%E8%A1%8C%E5%90%88%E8%AE%A1")).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rule"] == "row-sum")
    );
    assert!(!listed.as_array().unwrap().is_empty());
    assert_eq!(
        get_as(&st, "/alerts?format=pdf", common::staff()).status,
        StatusCode::BAD_REQUEST
    );
    let doc_page = text(&st, &format!("/documents/{id}"));
    assert!(
        doc_page.contains("id=\"findings\""),
        "the document page lists its findings"
    );
    // A finding about an amount links to its cell in the table shown on the same page (highlighted as the target).
    let anchor = doc_page
        .split("class=\"small cell-link\" href=\"#")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a finding links to its cell");
    let cell_text = doc_page
        .split(&format!("<td id=\"{anchor}\""))
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split("</td>").next())
        .expect("the cell is on the page");
    // The number is a link to its own page: its text is what the link holds.
    let cell_text = regex::Regex::new("<[^>]*>")
        .unwrap()
        .replace_all(cell_text, "")
        .to_string();
    let api: serde_json::Value =
        serde_json::from_str(&text(&st, &format!("/api/documents/{id}/findings"))).unwrap();
    assert!(
        api["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["cell"]["row"].is_u64() && f["found"] == cell_text.as_str()),
        "the API gives the cell too, and the cell holds the amount found: {cell_text}"
    );

    // Search hits of the document carry a badge with its open findings (two errors here).
    let hits = text(
        &st,
        "/search?q=%E7%A4%BA%E8%8C%83%E5%8C%BA%E8%B4%A2%E6%94%BF%E5%B1%80&unit=document",
    );
    assert!(hits.contains(">预警 2<"), "{hits}");

    // Staff dismiss a finding with a note; the decision shows on the finding, in the list's status facet, and
    // survives re-ingest of the same file; it can be withdrawn. Deputies may not decide.
    let key = row["key"].as_str().unwrap().to_string();
    let url = format!("/api/documents/{id}/findings");
    let (status, body) = post_json(
        &st,
        &url,
        serde_json::json!({"key": key, "op": "dismiss", "note": "已与财政局核实"}),
        common::staff(),
    );
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let decided: serde_json::Value = serde_json::from_str(&text(&st, &url)).unwrap();
    let again = decided["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key.as_str())
        .unwrap();
    assert_eq!(again["decision"]["verdict"], "已排除");
    assert_eq!(again["decision"]["note"], "已与财政局核实");
    assert_eq!(again["decision"]["by"], "staff-test");
    assert!(text(&st, "/alerts?status=%E5%B7%B2%E6%8E%92%E9%99%A4").contains("已与财政局核实"));
    let hits = text(
        &st,
        "/search?q=%E7%A4%BA%E8%8C%83%E5%8C%BA%E8%B4%A2%E6%94%BF%E5%B1%80&unit=document",
    );
    assert!(
        hits.contains(">预警 1<"),
        "a dismissed finding no longer counts: {hits}"
    );
    std::fs::write(&file, format!("{TABLE}\n")).unwrap();
    let r = yusuan::pipeline::ingest(&st.lib, std::slice::from_ref(&file), &|_| {}).unwrap();
    assert_eq!(r.updated, 1, "{r:?}");
    let after: serde_json::Value = serde_json::from_str(&text(&st, &url)).unwrap();
    assert!(
        after["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == key.as_str() && f["decision"]["verdict"] == "已排除")
    );
    let (status, _) = post_json(
        &st,
        &url,
        serde_json::json!({"key": "0000", "op": "confirm"}),
        common::staff(),
    );
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a finding the document does not have"
    );
    let (status, _) = post_json(
        &st,
        &url,
        serde_json::json!({"key": key, "op": "maybe"}),
        common::staff(),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let reader = common::outside_deputy();
    let (status, _) = post_json(
        &st,
        &url,
        serde_json::json!({"key": key, "op": "confirm"}),
        reader,
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_json(
        &st,
        &url,
        serde_json::json!({"key": key, "op": "undo"}),
        common::staff(),
    );
    assert_eq!(status, StatusCode::OK);
    let undone: serde_json::Value = serde_json::from_str(&text(&st, &url)).unwrap();
    assert!(
        undone["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("decision").is_none())
    );

    // Restricted: a deputy who does not own it sees neither the findings nor the list entries.
    common::restrict(&st, &id);
    let deputy = common::outside_deputy();
    assert_eq!(
        get_as(
            &st,
            &format!("/api/documents/{id}/findings"),
            deputy.clone()
        )
        .status,
        StatusCode::NOT_FOUND
    );
    assert!(!get_as(&st, "/alerts", deputy).text().contains("行政运行"));
    assert!(
        text(&st, "/alerts").contains("行政运行"),
        "staff still see it"
    );
}
