//! The budget commands as a user runs them: `gen budgets` (XLSX and CSV), `ingest`, `facts --json` with
//! filters, `tables`. The generated documents come back through extraction and recognition with every
//! amount and every identity intact.

mod common;

use common::yusuan_ok;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn run(index: &Path, args: &[&str]) -> String {
    yusuan_ok(
        index,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        args,
    )
}

fn facts(index: &Path, args: &[&str]) -> Value {
    let mut all = vec!["facts", "--json", "--limit", "100000"];
    all.extend_from_slice(args);
    serde_json::from_str(&run(index, &all)).unwrap()
}

#[test]
fn generated_budgets_round_trip_through_ingest_into_facts_that_add_up() {
    let tmp = tempfile::tempdir().unwrap();
    let (xlsx, csv, index) = (
        tmp.path().join("xlsx"),
        tmp.path().join("csv"),
        tmp.path().join("index"),
    );
    let generate = |format: &str, out: &Path| {
        run(
            &index,
            &[
                "gen",
                "budgets",
                "--units",
                "3",
                "--years",
                "2023..2024",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
        )
    };
    generate("xlsx", &xlsx);
    generate("csv", &csv);
    assert_eq!(std::fs::read_dir(&xlsx).unwrap().count(), 3 * 2 * 2);
    assert_eq!(std::fs::read_dir(&csv).unwrap().count(), 3 * 2 * 2 * 2);
    for name in std::fs::read_dir(&xlsx).unwrap() {
        assert!(
            name.unwrap()
                .file_name()
                .to_string_lossy()
                .contains("（生成数据）")
        );
    }
    run(
        &index,
        &["ingest", xlsx.to_str().unwrap(), csv.to_str().unwrap()],
    );

    // Each document's 支出表 adds up: 类 = Σ款 = Σ项, 合计 = Σ类, 本年支出合计 = 基本支出 + 项目支出.
    let all = facts(&index, &["--table", "支出表"]);
    let list = all["facts"].as_array().unwrap();
    assert_eq!(all["total"].as_u64().unwrap() as usize, list.len());
    let mut cells: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for f in list {
        let key = (
            f["doc_id"].as_str().unwrap().to_string(),
            f["code"].as_str().unwrap_or("合计").to_string(),
            f["column"].as_str().unwrap().to_string(),
        );
        assert!(f["year"].as_i64().is_some() && f["unit"].as_str().unwrap().starts_with("示例省"));
        cells.insert(key, (f["amount"].as_f64().unwrap() * 100.0).round() as i64);
    }
    let mut checked = 0;
    for ((doc, code, column), amount) in &cells {
        if column == "本年支出合计" {
            let part = |c: &str| {
                cells
                    .get(&(doc.clone(), code.clone(), c.to_string()))
                    .copied()
                    .unwrap_or(0)
            };
            assert_eq!(*amount, part("基本支出") + part("项目支出"), "{doc} {code}");
        }
        let children: Vec<i64> = cells
            .iter()
            .filter(|((d, c, col), _)| {
                d == doc
                    && col == column
                    && if code == "合计" {
                        c.len() == 3
                    } else {
                        c.len() == code.len() + 2 && c.starts_with(code.as_str())
                    }
            })
            .map(|(_, a)| *a)
            .collect();
        if !children.is_empty() {
            assert_eq!(
                *amount,
                children.iter().sum::<i64>(),
                "{doc} {code} {column}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");

    // The XLSX and the CSV of one document give the same facts.
    let v = facts(
        &index,
        &[
            "--code",
            "2080505",
            "--year",
            "2024",
            "--table",
            "支出决算表",
        ],
    );
    let mut both: Vec<(String, String, f64)> = v["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["unit"].as_str().unwrap().to_string(),
                f["column"].as_str().unwrap().to_string(),
                f["amount"].as_f64().unwrap(),
            )
        })
        .collect();
    both.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(
        both.len(),
        3 * 3 * 2,
        "three units, three columns, from XLSX and CSV: {both:?}"
    );
    for pair in both.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }

    // `tables` prints a document's tables with their header rows marked.
    let doc = list[0]["doc_id"].as_str().unwrap();
    let printed = run(&index, &["tables", doc]);
    assert!(printed.contains("（支出表） · 单位：万元"), "{printed}");
    assert!(printed.contains("表头\t科目编码\t科目名称"), "{printed}");
}
