//! Recognition and facts on the reference cell grids of the four real final-account PDFs
//! (`tests/data/final-accounts/*.json`, every cell checked against the rendered pages): table kinds, sides,
//! columns, codes, units, the issuing unit, and the identities between rows and columns that hold in the
//! published tables (类 = Σ款 = Σ项, 本年支出合计 = 基本支出 + 项目支出).

mod common;

use std::collections::BTreeMap;
use yusuan::budget::facts::{DocFacts, Fact};
use yusuan::budget::recognise::{CodeLevel, RowKey, TableKind};
use yusuan::budget::{Catalog, Table, facts_of};
use yusuan::model::{DocId, DocKind, Document, Format, Validity};

const STEMS: &[&str] = &["caizhengju", "guihuaziyuan", "shegongbu", "moban"];

fn reference(stem: &str) -> (String, Vec<Table>) {
    common::final_account(stem)
}

fn document(file: &str) -> Document {
    Document {
        id: DocId(file.chars().take(8).collect()),
        source: file.to_string(),
        content_hash: String::new(),
        format: Format::Pdf,
        kind: DocKind::FinalAccount,
        level: None,
        title: file.trim_end_matches(".pdf").to_string(),
        issuer: None,
        doc_number: None,
        published: None,
        effective: None,
        version_date: None,
        region: None,
        year: None,
        validity: Validity::Valid,
        public_validity: None,
        validity_pinned: false,
        expired: false,
        history: vec![],
        body: String::new(),
        outline: vec![],
        articles: vec![],
        size: 0,
        access: Default::default(),
        owners: vec![],
        tables: vec![],
        also_sources: Vec::new(),
        body_cut_from: None,
    }
}

fn facts(stem: &str) -> (Vec<Table>, DocFacts) {
    let (file, tables) = reference(stem);
    let f = facts_of(&document(&file), &tables, &Catalog::builtin());
    (tables, f)
}

fn of_kind(f: &DocFacts, kind: TableKind) -> Vec<Fact> {
    f.facts().filter(|x| x.table_kind == kind).collect()
}

#[test]
fn the_nine_tables_of_each_final_account_are_recognised_and_the_unit_list_is_kept_as_generic() {
    let nine = [
        TableKind::Summary,
        TableKind::Income,
        TableKind::Expenditure,
        TableKind::GrantSummary,
        TableKind::GeneralExpenditure,
        TableKind::GeneralBasic,
        TableKind::ThreePublic,
        TableKind::FundGrant,
        TableKind::StateCapitalGrant,
    ];
    for stem in STEMS {
        let (_, f) = facts(stem);
        let kinds: Vec<TableKind> = f.tables.iter().map(|t| t.kind).collect();
        assert_eq!(kinds[0], TableKind::Generic, "{stem}: {:?}", f.tables[0]);
        assert_eq!(&kinds[1..], &nine, "{stem}");
        assert!(f.tables.iter().all(|t| t.unit.as_deref() != Some("")));
    }
}

#[test]
fn issuing_unit_region_year_and_stage_come_from_the_title() {
    let cases = [
        (
            "caizhengju",
            Some("上海市普陀区财政局"),
            Some("上海市普陀区"),
            Some(2024),
        ),
        (
            "guihuaziyuan",
            Some("上海市普陀区规划和自然资源局"),
            Some("上海市普陀区"),
            Some(2024),
        ),
        (
            "shegongbu",
            Some("中共上海市普陀区委社会工作部"),
            Some("上海市普陀区"),
            Some(2024),
        ),
        ("moban", None, None, None),
    ];
    for (stem, unit, region, year) in cases {
        let (_, f) = facts(stem);
        assert_eq!(f.issuer.unit.as_deref(), unit, "{stem}");
        assert_eq!(f.issuer.region.as_deref(), region, "{stem}");
        assert_eq!(f.issuer.year, year, "{stem}");
        assert_eq!(f.issuer.stage.map(|s| s.label()), Some("决算"), "{stem}");
    }
}

/// Regression: /subjects/2010602 showed the income table's 16.19 for 一般行政管理事务; the expenditure
/// tables say 10.00.
#[test]
fn general_administration_2010602_spends_10_and_its_income_16_19_stays_an_income_column() {
    let (_, f) = facts("caizhengju");
    let row: Vec<(TableKind, String, f64)> = f
        .facts()
        .filter(|x| x.code.as_deref() == Some("2010602"))
        .map(|x| (x.table_kind, x.column.clone(), x.amount))
        .collect();
    let get = |k: TableKind, c: &str| {
        row.iter()
            .filter(|(tk, col, _)| *tk == k && col == c)
            .map(|r| r.2)
            .collect::<Vec<_>>()
    };
    assert_eq!(get(TableKind::Expenditure, "本年支出合计"), vec![10.0]);
    assert_eq!(get(TableKind::Expenditure, "项目支出"), vec![10.0]);
    assert_eq!(
        get(TableKind::Expenditure, "基本支出"),
        Vec::<f64>::new(),
        "a blank cell is no fact"
    );
    assert_eq!(
        get(TableKind::GeneralExpenditure, "本年支出合计"),
        vec![10.0]
    );
    assert_eq!(get(TableKind::Income, "本年收入合计"), vec![16.19]);
    assert_eq!(get(TableKind::Income, "财政拨款收入"), vec![10.0]);
    assert_eq!(get(TableKind::Income, "其他收入"), vec![6.19]);
    assert!(
        row.iter()
            .filter(|r| r.0 != TableKind::Income)
            .all(|r| r.2 != 16.19),
        "{row:?}"
    );
    let one = f
        .facts()
        .find(|x| x.code.as_deref() == Some("2010602") && x.table_kind == TableKind::Expenditure)
        .unwrap();
    assert_eq!(one.name, "一般行政管理事务");
    assert_eq!(one.level, Some(CodeLevel::Item));
    assert_eq!(one.raw, "10.00");
    assert_eq!(one.page, Some(10));
    assert_eq!(one.unit.as_deref(), Some("上海市普陀区财政局"));
}

fn amounts(facts: &[Fact], column: &str) -> BTreeMap<String, f64> {
    facts
        .iter()
        .filter(|x| x.column == column)
        .filter_map(|x| x.code.clone().map(|c| (c, x.amount)))
        .collect()
}

/// Each parent code equals the sum of its children, where it has children in the table.
fn assert_tree_sums(label: &str, by_code: &BTreeMap<String, f64>) -> usize {
    let mut checked = 0;
    for (code, amount) in by_code {
        let children: Vec<f64> = by_code
            .iter()
            .filter(|(c, _)| c.len() == code.len() + 2 && c.starts_with(code.as_str()))
            .map(|(_, a)| *a)
            .collect();
        if children.is_empty() {
            continue;
        }
        let sum: f64 = children.iter().sum();
        assert!(
            (sum - amount).abs() <= 0.021,
            "{label}: {code} = {amount}, children sum to {sum}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn class_equals_the_sum_of_its_sections_and_items_in_every_coded_table() {
    let mut checked = 0;
    for stem in STEMS {
        let (_, f) = facts(stem);
        for (kind, column) in [
            (TableKind::Income, "本年收入合计"),
            (TableKind::Expenditure, "本年支出合计"),
            (TableKind::Expenditure, "基本支出"),
            (TableKind::GeneralExpenditure, "本年支出合计"),
            (TableKind::GeneralExpenditure, "项目支出"),
            (TableKind::GeneralBasic, "决算数"),
        ] {
            checked += assert_tree_sums(
                &format!("{stem} {kind} {column}"),
                &amounts(&of_kind(&f, kind), column),
            );
        }
    }
    assert!(checked > 60, "only {checked} parents checked");
}

#[test]
fn total_equals_basic_plus_project_on_every_expenditure_row() {
    let mut rows = 0;
    for stem in STEMS {
        let (_, f) = facts(stem);
        for kind in [TableKind::Expenditure, TableKind::GeneralExpenditure] {
            let facts = of_kind(&f, kind);
            let total = amounts(&facts, "本年支出合计");
            let basic = amounts(&facts, "基本支出");
            let project = amounts(&facts, "项目支出");
            for (code, t) in &total {
                let sum = basic.get(code).unwrap_or(&0.0) + project.get(code).unwrap_or(&0.0);
                assert!(
                    (sum - t).abs() <= 0.021,
                    "{stem} {kind} {code}: {t} vs {sum}"
                );
                rows += 1;
            }
            // The 合计 row is the sum of the classes.
            let classes: f64 = facts
                .iter()
                .filter(|x| x.column == "本年支出合计" && x.level == Some(CodeLevel::Class))
                .map(|x| x.amount)
                .sum();
            if let Some(t) = facts.iter().find(|x| x.total && x.column == "本年支出合计") {
                assert!(
                    (t.amount - classes).abs() <= 0.021,
                    "{stem} {kind}: 合计 {} vs {classes}",
                    t.amount
                );
            }
        }
    }
    assert!(rows > 50, "{rows}");
}

#[test]
fn two_sided_summaries_keep_each_side_to_itself() {
    let (_, f) = facts("caizhengju");
    let summary = of_kind(&f, TableKind::Summary);
    let find = |side: &str, name: &str| {
        summary
            .iter()
            .filter(|x| x.side.as_deref() == Some(side) && x.name == name)
            .map(|x| (x.column.clone(), x.amount))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        find("收入", "一、一般公共预算财政拨款收入"),
        vec![("决算数".to_string(), 2940.05)]
    );
    assert_eq!(
        find("支出", "一、一般公共服务支出"),
        vec![("决算数".to_string(), 2106.66)]
    );
    assert_eq!(find("收入", "总计"), vec![("决算数".to_string(), 2995.39)]);
    assert_eq!(find("支出", "总计"), vec![("决算数".to_string(), 2995.39)]);
    assert!(summary.iter().filter(|x| x.name == "总计").all(|x| x.total));
    // The grant summary: four amount columns on the 支出 side.
    let grant = of_kind(&f, TableKind::GrantSummary);
    let housing: Vec<(String, f64)> = grant
        .iter()
        .filter(|x| x.name == "十九、住房保障支出")
        .map(|x| (x.column.clone(), x.amount))
        .collect();
    assert_eq!(
        housing,
        vec![
            ("合计".to_string(), 445.69),
            ("一般公共预算财政拨款".to_string(), 445.69)
        ]
    );
    // The economic table is two-sided too, without side labels, and its codes are economic.
    let basic = of_kind(&f, TableKind::GeneralBasic);
    assert!(
        basic
            .iter()
            .all(|x| x.economic && x.code.is_some() || x.total)
    );
    let office = basic
        .iter()
        .find(|x| x.code.as_deref() == Some("30201"))
        .unwrap();
    assert_eq!(
        (office.name.as_str(), office.amount, office.level),
        ("办公费", 21.21, Some(CodeLevel::Section))
    );
}

#[test]
fn three_public_columns_are_named_by_their_merged_headers() {
    let (_, f) = facts("caizhengju");
    let three: Vec<(String, f64)> = of_kind(&f, TableKind::ThreePublic)
        .into_iter()
        .map(|x| (x.column, x.amount))
        .collect();
    assert_eq!(
        three,
        vec![
            ("合计/年初预算数".to_string(), 0.95),
            ("公务接待费/年初预算数".to_string(), 0.95)
        ]
    );
    let (_, g) = facts("guihuaziyuan");
    let names: Vec<String> = of_kind(&g, TableKind::ThreePublic)
        .into_iter()
        .map(|x| x.column)
        .collect();
    assert_eq!(names.len(), 12);
    assert!(
        names.contains(&"因公出国（境）费/决算数".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"公务用车购置及运行维护费/公务用车运行维护费/决算数".to_string()),
        "{names:?}"
    );
}

#[test]
fn every_seven_digit_code_of_the_expenditure_tables_is_an_item_row() {
    let catalog = Catalog::builtin();
    for stem in STEMS {
        let (_, tables) = reference(stem);
        let t = tables.iter().find(|t| t.title == "支出决算表").unwrap();
        // Codes as the grid shows them: one column or 类|款|项 parts.
        let mut expected = std::collections::BTreeSet::new();
        for row in &t.rows {
            let joined: String = row
                .iter()
                .take(3)
                .map(|c| c.text.as_str())
                .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
                .collect();
            if joined.len() == 7 {
                expected.insert(joined);
            }
        }
        let got: std::collections::BTreeSet<String> = yusuan::budget::recognise(t, &catalog)
            .rows
            .into_iter()
            .filter_map(|r| match r.key {
                RowKey::Code {
                    code,
                    level: CodeLevel::Item,
                    ..
                } => Some(code),
                _ => None,
            })
            .collect();
        assert!(!expected.is_empty(), "{stem}");
        assert_eq!(got, expected, "{stem}");
    }
}

/// The facts of a document as a comparable multiset: (table kind, code or row name, side, column, cents).
fn fact_keys(f: &DocFacts) -> Vec<(String, String, String, String, i64)> {
    let mut keys: Vec<_> = f
        .facts()
        .map(|x| {
            (
                x.table_kind.label().to_string(),
                x.code.clone().unwrap_or_else(|| x.name.clone()),
                x.side.clone().unwrap_or_default(),
                x.column.clone(),
                (x.amount * 100.0).round() as i64,
            )
        })
        .collect();
    keys.sort();
    keys
}

/// End to end on the real PDFs (with YUSUAN_SHARED): the facts read from each PDF's own tables are exactly the
/// facts of its reference grids.
#[test]
fn real_pdfs_give_the_same_facts_as_their_reference_grids() {
    let Some(shared) = std::env::var_os("YUSUAN_SHARED").map(std::path::PathBuf::from) else {
        eprintln!(
            "skipped: set YUSUAN_SHARED to the shared folder to compare facts from the real PDFs"
        );
        return;
    };
    let catalog = Catalog::builtin();
    for stem in STEMS {
        let (file, tables) = reference(stem);
        let path = shared.join("corpus/final-accounts").join(&file);
        let bytes = std::fs::read(&path).unwrap();
        let extracted = yusuan::ingest::extract::extract(
            &path,
            &bytes,
            &yusuan::ingest::extract::ExtractOptions::default(),
        )
        .unwrap();
        let doc = document(&file);
        let from_pdf = fact_keys(&facts_of(&doc, &extracted.tables, &catalog));
        let from_reference = fact_keys(&facts_of(&doc, &tables, &catalog));
        let missing: Vec<_> = from_reference
            .iter()
            .filter(|k| !from_pdf.contains(k))
            .collect();
        let extra: Vec<_> = from_pdf
            .iter()
            .filter(|k| !from_reference.contains(k))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{stem}: {} facts from the PDF, {} from the reference; missing {missing:?}; extra {extra:?}",
            from_pdf.len(),
            from_reference.len()
        );
    }
}

/// On the real PDFs (with YUSUAN_SHARED): the final accounts write “三公”经费 with the quotes inside the word;
/// a search for 三公经费 finds all four of them, and the snippet shows the text as written.
#[test]
fn a_search_for_a_word_finds_it_written_with_quotes_inside() {
    let Some(shared) = std::env::var_os("YUSUAN_SHARED").map(std::path::PathBuf::from) else {
        eprintln!("skipped: set YUSUAN_SHARED to search the real final accounts");
        return;
    };
    use yusuan::search::{SearchRequest, search};
    let dir = tempfile::tempdir().unwrap();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let lib = yusuan::library::Library::open(yusuan::config::Config::new(
        dir.path().join("data"),
        corpus,
    ))
    .unwrap();
    let folder = shared.join("corpus/final-accounts");
    let (inputs, manifests) =
        yusuan::pipeline::collect_inputs(std::slice::from_ref(&folder)).unwrap();
    yusuan::pipeline::ingest_inputs(&lib, &inputs, &manifests, &|_| {}).unwrap();
    for q in ["三公经费", "“三公”经费", "三公经费支出决算"] {
        let r = search(
            &lib,
            &SearchRequest {
                q: q.into(),
                unit: yusuan::model::Unit::Document,
                limit: 10,
                ..SearchRequest::default()
            },
        )
        .unwrap();
        assert_eq!(r.total, 4, "{q}: {:?}", r.hits);
        let snippet: String = r.hits[0]
            .snippet
            .spans
            .iter()
            .map(|s| s.text.as_str())
            .collect();
        assert!(snippet.contains("“三公”经费"), "{q}: {snippet}");
    }
}
