//! Budget tables and facts through the library: written with the document on ingest, replaced on re-ingest,
//! removed with the document, kept in store dumps, and read only inside the reader's scope.

use std::path::{Path, PathBuf};
use yusuan::budget::query::{self, FactQuery};
use yusuan::budget::recognise::TableKind;
use yusuan::config::Config;
use yusuan::library::Library;
use yusuan::model::{DocId, Scope};
use yusuan::pipeline;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn expenditure_csv(primary: &str) -> String {
    format!(
        "支出决算表\n,,,单位：万元\n科目编码,科目名称,本年支出合计,基本支出,项目支出\n\
         205,教育支出,{primary},10.00,20.00\n20502,普通教育,{primary},10.00,20.00\n\
         2050202,小学教育,{primary},10.00,20.00\n,合计,{primary},10.00,20.00\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn ingest(lib: &Library, p: &Path) {
    let r = pipeline::ingest(lib, &[p.to_path_buf()], &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
}

fn list(lib: &Library, q: FactQuery, scope: &Scope) -> Vec<(String, String, f64)> {
    query::facts(lib, &FactQuery { limit: 1000, ..q }, scope)
        .unwrap()
        .facts
        .into_iter()
        .map(|f| (f.unit.unwrap_or_default(), f.column, f.amount))
        .collect()
}

fn by_code(code: &str) -> FactQuery {
    FactQuery {
        code: Some(code.into()),
        ..FactQuery::default()
    }
}

#[test]
fn facts_follow_their_document_through_ingest_reingest_removal_dump_and_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let lib = Library::open(Config::new(tmp.path().join("index"), corpus())).unwrap();

    let open_file = write(
        &files,
        "上海市示例区教育局2024年度部门决算.csv",
        &expenditure_csv("30.00"),
    );
    ingest(&lib, &open_file);
    let unit = "上海市示例区教育局".to_string();
    assert_eq!(
        list(&lib, by_code("2050202"), &Scope::default()),
        vec![
            (unit.clone(), "本年支出合计".into(), 30.0),
            (unit.clone(), "基本支出".into(), 10.0),
            (unit.clone(), "项目支出".into(), 20.0),
        ]
    );
    let id = DocId::from_source(&std::fs::canonicalize(&open_file).unwrap().to_string_lossy());
    assert_eq!(lib.store().tables_of(&id).unwrap().len(), 1);
    let f = query::facts(
        &lib,
        &FactQuery {
            limit: 10,
            ..by_code("205")
        },
        &Scope::All,
    )
    .unwrap();
    assert_eq!(f.total, 3);
    assert_eq!(
        (f.facts[0].year, f.facts[0].table_kind),
        (Some(2024), TableKind::Expenditure)
    );
    assert_eq!(f.facts[0].stage.map(|s| s.label()), Some("决算"));
    assert_eq!(f.facts[0].region.as_deref(), Some("上海市示例区"));

    // Re-ingest a changed file: its facts are replaced, not added.
    write(
        &files,
        "上海市示例区教育局2024年度部门决算.csv",
        &expenditure_csv("31.00"),
    );
    ingest(&lib, &open_file);
    let q = FactQuery {
        column: Some("本年支出合计".into()),
        ..by_code("2050202")
    };
    assert_eq!(
        list(&lib, q.clone(), &Scope::All),
        vec![(unit.clone(), "本年支出合计".into(), 31.0)]
    );
    assert_eq!(lib.store().tables_of(&id).unwrap().len(), 1);

    // The same disclosure again (another copy of the file) is the same document, and counts once.
    std::fs::create_dir_all(files.join("again")).unwrap();
    let copy = write(
        &files.join("again"),
        "上海市示例区教育局2024年度部门决算.csv",
        &expenditure_csv("31.00"),
    );
    ingest(&lib, &copy);
    assert_eq!(list(&lib, q.clone(), &Scope::All).len(), 1);
    assert_eq!(
        lib.store().get_meta(&id).unwrap().unwrap().also_sources,
        vec![
            std::fs::canonicalize(&copy)
                .unwrap()
                .to_string_lossy()
                .to_string()
        ]
    );
    assert_eq!(spending_total(&lib), (31.0, 1));
    // The same disclosure in other bytes (saved again with a blank line more) is another document, and
    // still counts once in a subject's totals.
    std::fs::create_dir_all(files.join("resaved")).unwrap();
    let resaved = write(
        &files.join("resaved"),
        "上海市示例区教育局2024年度部门决算.csv",
        &format!("{}\n", expenditure_csv("31.00")),
    );
    ingest(&lib, &resaved);
    assert_eq!(list(&lib, q.clone(), &Scope::All).len(), 2);
    assert_eq!(spending_total(&lib), (31.0, 1));
    pipeline::remove(
        &lib,
        &[DocId::from_source(
            &std::fs::canonicalize(&resaved).unwrap().to_string_lossy(),
        )],
    )
    .unwrap();

    // A restricted document's facts are seen by staff only.
    let secret = write(
        &files,
        "上海市示例区保密局2024年度部门决算.csv",
        &expenditure_csv("50.00"),
    );
    write(
        &files,
        "上海市示例区保密局2024年度部门决算.csv.meta.json",
        r#"{"access": "restricted"}"#,
    );
    ingest(&lib, &secret);
    assert_eq!(list(&lib, q.clone(), &Scope::All).len(), 2);
    assert_eq!(
        list(&lib, q.clone(), &Scope::default()),
        vec![(unit.clone(), "本年支出合计".into(), 31.0)]
    );
    let public_sums = query::sum_by_class(&lib, &q, &Scope::default()).unwrap();
    assert_eq!(public_sums.get("205").map(|s| s.1), Some(1));
    let filtered = FactQuery {
        unit: Some("保密局".into()),
        ..q.clone()
    };
    assert!(list(&lib, filtered.clone(), &Scope::default()).is_empty());
    assert_eq!(list(&lib, filtered, &Scope::All).len(), 1);

    // A dump of the store carries tables and facts.
    let dump = tmp.path().join("store.dump");
    lib.store().dump_to(&dump).unwrap();
    let (copy, _) = yusuan::store::Store::load_dump(&tmp.path().join("copy"), &dump).unwrap();
    assert_eq!(copy.tables_of(&id).unwrap().len(), 1);
    assert_eq!(
        copy.get_facts(&id).unwrap().map(|f| f.items.len()),
        Some(12)
    );
    drop(copy);

    // Removing the document removes its tables and facts.
    pipeline::remove(&lib, std::slice::from_ref(&id)).unwrap();
    assert!(lib.store().tables_of(&id).unwrap().is_empty());
    assert!(lib.store().get_facts(&id).unwrap().is_none());
    assert!(list(&lib, q.clone(), &Scope::default()).is_empty());
    assert_eq!(list(&lib, q, &Scope::All).len(), 1);
}

/// The amount and document count of 本年支出合计 on subject 2050202, as everyone sees it.
fn spending_total(lib: &yusuan::library::Library) -> (f64, usize) {
    let amounts = query::subject_amounts(lib, "2050202", None, &Scope::All).unwrap();
    let total = amounts
        .totals
        .iter()
        .find(|t| t.column == "本年支出合计")
        .unwrap();
    (total.amount, total.documents)
}
