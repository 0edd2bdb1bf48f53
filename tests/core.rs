//! Ingest and search on small documents written by the tests: formats through the whole pipeline, Chinese
//! substring and phrase semantics, citations, versions, idempotent re-ingest, removal and kill recovery.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use yusuan::config::Config;
use yusuan::library::Library;
use yusuan::model::{DocKind, Filters, Unit, Validity};
use yusuan::pipeline;
use yusuan::search::{SearchRequest, search};

const BUDGET_LAW_V1: &str = "# 中华人民共和国示范预算法\n\n1994年3月22日 第八届全国人民代表大会第二次会议通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了规范政府收支行为，强化预算约束，制定本法。\n\n第二条 预算、决算的编制、审查、批准、监督，依照本法规定执行。\n\n## 第四章 预算审查和批准\n\n第四十四条 国务院财政部门应当在每年全国人民代表大会会议举行的四十五日前，将中央预算草案的初步方案提交全国人民代表大会财政经济委员会进行初步审查。\n\n第四十六条 报送各级人民代表大会审查和批准的预算草案应当细化。\n";

const BUDGET_LAW_V2: &str = "# 中华人民共和国示范预算法\n\n1994年3月22日 第八届全国人民代表大会第二次会议通过\n\n2018年12月29日 第十三届全国人民代表大会常务委员会第七次会议第二次修正\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了规范政府收支行为，强化预算约束，加强对预算的管理和监督，制定本法。\n\n第二条 预算、决算的编制、审查、批准、监督，以及预算的执行和调整，依照本法规定执行。\n\n## 第四章 预算审查和批准\n\n第四十四条 国务院财政部门应当在每年全国人民代表大会会议举行的四十五日前，将中央预算草案的初步方案提交全国人民代表大会财政经济委员会进行初步审查。\n\n第四十六条 报送各级人民代表大会审查和批准的预算草案应当细化。本级一般公共预算支出，按其功能分类应当编列到项。\n\n第四十七条 国务院应当及时处理待处理的审查意见。\n";

const REPORT: &str = "2021年政府工作报告\n\n各位代表：\n\n支持中国农业发展银行加大对乡村振兴的信贷投放。\n全年财政赤字率拟按3.2%左右安排。\n";

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn open(data: &Path) -> Library {
    Library::open(Config::new(data.join("index"), data.join("corpus"))).unwrap()
}

fn req(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_string(),
        limit: 20,
        ..SearchRequest::default()
    }
}

fn names(lib: &Library, r: SearchRequest) -> Vec<String> {
    search(lib, &r)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.name)
        .collect()
}

fn noop(_: pipeline::Progress) {}

/// A corpus of two versions of a law and a report.
fn sample(dir: &Path) -> Library {
    write(dir, "in/laws/示范预算法(2014-08-31).md", BUDGET_LAW_V1);
    write(dir, "in/laws/示范预算法(2018-12-29).md", BUDGET_LAW_V2);
    write(dir, "in/reports/2021年政府工作报告.txt", REPORT);
    let lib = open(dir);
    let report = pipeline::ingest(&lib, &[dir.join("in")], &noop).unwrap();
    assert_eq!((report.added, report.failed.len()), (3, 0), "{report:?}");
    lib
}

#[test]
fn articles_are_units_named_after_their_law() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    let r = search(&lib, &req("功能分类")).unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].name, "中华人民共和国示范预算法第四十六条");
    assert_eq!(r.hits[0].article.as_deref(), Some("第四十六条"));
    assert!(
        r.hits[0]
            .snippet
            .to_html()
            .contains("<mark>功能分类</mark>")
    );
    // Document units hold whole texts.
    let docs = names(
        &lib,
        SearchRequest {
            unit: Unit::Document,
            ..req("功能分类")
        },
    );
    assert_eq!(docs, ["中华人民共和国示范预算法"]);
}

#[test]
fn words_inside_longer_words_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    assert_eq!(names(&lib, req("农业")), ["2021年政府工作报告"]);
    let hits = names(&lib, req("处理"));
    assert_eq!(hits, ["中华人民共和国示范预算法第四十七条"]);
    // A phrase that crosses word boundaries is an exact substring.
    assert_eq!(names(&lib, req("\"发展银行加大\"")), ["2021年政府工作报告"]);
    assert!(names(&lib, req("\"银行发展\"")).is_empty());
    // A phrase whose Chinese run is followed by digits lines up with the indexed positions.
    assert_eq!(
        names(&lib, req("\"财政赤字率拟按3.2%\"")),
        ["2021年政府工作报告"]
    );
    // Traditional and full-width forms match.
    assert_eq!(names(&lib, req("農業")), ["2021年政府工作报告"]);
    assert_eq!(names(&lib, req("３.２％")).len(), 1);
}

#[test]
fn exclusion_and_or() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    let with = search(&lib, &req("预算草案")).unwrap().total;
    let without = search(&lib, &req("预算草案 -细化")).unwrap().total;
    assert!(with > without, "{with} {without}");
    let either = names(&lib, req("赤字率 OR 功能分类"));
    assert_eq!(either.len(), 2, "{either:?}");
}

#[test]
fn only_the_newest_version_is_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    let all = search(
        &lib,
        &SearchRequest {
            unit: Unit::Document,
            filters: Filters {
                kinds: vec![DocKind::Law],
                ..Filters::default()
            },
            ..req("")
        },
    )
    .unwrap();
    assert_eq!(all.total, 2);
    let mut v: Vec<(Option<i32>, Validity)> =
        all.hits.iter().map(|h| (h.year, h.validity)).collect();
    v.sort();
    assert_eq!(
        v,
        [
            (Some(2014), Validity::Amended),
            (Some(2018), Validity::Valid)
        ]
    );
    // The version in force ranks first for the same text.
    let r = search(&lib, &req("初步审查")).unwrap();
    assert_eq!(r.hits[0].validity, Validity::Valid);
    let facet = r
        .facets
        .iter()
        .find(|f| f.field.as_str() == "validity")
        .unwrap();
    assert_eq!(facet.values.len(), 2);
}

#[test]
fn citations_resolve_to_the_article_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    for q in [
        "《示范预算法》第四十六条",
        "示范预算法第46条",
        "中华人民共和国示范预算法第四十六条 细化",
    ] {
        let r = search(&lib, &req(q)).unwrap();
        let first = &r.hits[0];
        assert!(first.cited, "{q}");
        assert_eq!(first.name, "中华人民共和国示范预算法第四十六条", "{q}");
        assert_eq!(first.validity, Validity::Valid, "{q}");
    }
}

#[test]
fn questions_rank_the_governing_article() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    let r = search(&lib, &req("预算草案的初步方案应当在什么时候提交审查？")).unwrap();
    assert_eq!(r.mode, "question");
    assert_eq!(r.hits[0].name, "中华人民共和国示范预算法第四十四条");
}

#[test]
fn reingest_is_idempotent_and_changes_replace() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    let units = lib.index().num_units();
    let again = pipeline::ingest(&lib, &[dir.path().join("in")], &noop).unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(lib.index().num_units(), units);
    write(
        dir.path(),
        "in/reports/2021年政府工作报告.txt",
        "2021年政府工作报告\n\n稳定粮食生产。\n",
    );
    let changed = pipeline::ingest(&lib, &[dir.path().join("in")], &noop).unwrap();
    assert_eq!(
        (changed.added, changed.updated, changed.unchanged),
        (0, 1, 2)
    );
    assert!(names(&lib, req("农业")).is_empty());
    assert_eq!(names(&lib, req("粮食")), ["2021年政府工作报告"]);
    assert_eq!(lib.index().num_units(), units);
}

#[test]
fn removing_the_newest_version_restores_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    let newest = dir.path().join("in/laws/示范预算法(2018-12-29).md");
    let ids = pipeline::resolve_targets(&lib, newest.to_str().unwrap()).unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(pipeline::remove(&lib, &ids).unwrap(), 1);
    let r = search(
        &lib,
        &SearchRequest {
            unit: Unit::Document,
            ..req("示范预算法")
        },
    )
    .unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].validity, Validity::Valid);
    assert!(names(&lib, req("待处理")).is_empty());
    // Removing a folder removes everything under it.
    let ids = pipeline::resolve_targets(&lib, dir.path().join("in").to_str().unwrap()).unwrap();
    assert_eq!(ids.len(), 2);
    pipeline::remove(&lib, &ids).unwrap();
    assert_eq!(lib.index().num_units(), 0);
    assert_eq!(lib.store().count_documents(), 0);
}

#[test]
fn bad_files_are_reported_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/empty.txt", "");
    write(
        dir.path(),
        "in/broken.pdf",
        "%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage",
    );
    write(dir.path(), "in/ok.md", BUDGET_LAW_V2);
    let gbk = encoding_rs::GBK
        .encode("预算执行情况的报告：教育支出增长百分之八。\n")
        .0;
    std::fs::write(dir.path().join("in/gbk.txt"), &gbk).unwrap();
    let lib = open(dir.path());
    let r = pipeline::ingest(&lib, &[dir.path().join("in")], &noop).unwrap();
    assert_eq!(r.added, 2, "{r:?}");
    let failed: Vec<&str> = r
        .failed
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(failed, ["broken.pdf", "empty.txt"]);
    assert!(r.failed.iter().all(|f| !f.reason.is_empty()));
    assert_eq!(names(&lib, req("教育支出")).len(), 1);
}

#[test]
fn malformed_queries_and_paging_limits_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let lib = sample(dir.path());
    for q in ["\"预算", "OR", "-预算"] {
        assert!(search(&lib, &req(q)).is_err(), "{q}");
    }
    let too_deep = SearchRequest {
        offset: 20_000,
        ..req("预算")
    };
    assert!(search(&lib, &too_deep).is_err());
    let counts_only = search(
        &lib,
        &SearchRequest {
            limit: 0,
            ..req("预算")
        },
    )
    .unwrap();
    assert!(counts_only.hits.is_empty() && counts_only.total > 0);
}

/// Store and index agree: every stored document has units, no unit lacks a document.
fn assert_consistent(lib: &Library) {
    let stored: std::collections::BTreeSet<_> =
        lib.store().doc_ids().unwrap().into_iter().collect();
    let indexed = lib.index().doc_ids().unwrap();
    assert_eq!(stored, indexed);
    let units = lib.store().count_documents() + lib.store().count_articles();
    assert_eq!(
        lib.index().num_units() as usize,
        units,
        "one unit per document and article, no duplicates"
    );
}

#[test]
fn a_killed_ingest_leaves_store_and_index_in_agreement() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..1500 {
        let body: String = (1..=20)
            .map(|n| {
                format!(
                    "第{}条 第{i}号示例规定的第{n}项内容，涉及预算绩效管理与政府采购。\n\n",
                    yusuan::ingest::structure::format_number(n)
                )
            })
            .collect();
        write(
            dir.path(),
            &format!("in/law{i:04}.md"),
            &format!("# 示例规定{i}\n\n{body}"),
        );
    }
    let exe = env!("CARGO_BIN_EXE_yusuan");
    let data = dir.path().join("index");
    let mut kills = 0;
    for delay_ms in [300u64, 900, 1600] {
        let mut child = Command::new(exe)
            .args([
                "--index",
                data.to_str().unwrap(),
                "--corpus",
                dir.path().join("corpus").to_str().unwrap(),
            ])
            .args(["ingest", dir.path().join("in").to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        let lib = open(dir.path());
        assert_consistent(&lib);
    }
    assert!(
        kills > 0,
        "ingest finished before any kill: make the corpus larger"
    );
    // A full run afterwards completes the corpus without duplicates.
    let lib = open(dir.path());
    let r = pipeline::ingest(&lib, &[dir.path().join("in")], &noop).unwrap();
    assert!(r.failed.is_empty());
    assert_eq!(lib.store().count_documents(), 1500);
    assert_consistent(&lib);
    assert_eq!(
        search(
            &lib,
            &SearchRequest {
                unit: Unit::Document,
                ..req("预算绩效")
            }
        )
        .unwrap()
        .total,
        1500
    );
}

/// The laws collection marks a version `expired` when it is no longer the current text: an older version of a
/// law that was amended is 已修改, not 已废止; a law whose newest version is marked is 已废止 in every version.
#[test]
fn an_amended_law_s_older_version_is_amended_and_only_a_law_without_a_current_text_is_repealed() {
    let dir = tempfile::tempdir().unwrap();
    let laws = dir.path().join("laws");
    std::fs::create_dir_all(&laws).unwrap();
    let text = |title: &str| {
        format!(
            "# {title}\n\n第一条 为了规范预算审查监督，制定本法。\n\n第二条 本法自公布之日起施行。\n"
        )
    };
    let files = [
        ("示范监督法", "2015-03-15", true),
        ("示范监督法", "2023-03-13", false),
        ("示范旧条例", "2010-01-01", true),
        ("示范撤销法", "2008-06-01", true),
        ("示范撤销法", "2012-06-01", true),
    ];
    let mut manifest = String::new();
    for (name, date, expired) in files {
        let file = format!("{name}({date}).md");
        std::fs::write(laws.join(&file), text(name)).unwrap();
        manifest.push_str(&format!(
            "{{\"path\": \"{file}\", \"name\": \"{name}\", \"version_date\": \"{date}\", \"level\": \"法律\", \"publish\": \"{date}\", \"expired\": {expired}}}\n"
        ));
    }
    std::fs::write(laws.join("manifest.jsonl"), manifest).unwrap();
    let lib = open(dir.path());
    let r = pipeline::ingest(&lib, &[laws], &noop).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let mut got: Vec<(String, Option<i32>, Validity)> = lib
        .store()
        .doc_ids()
        .unwrap()
        .iter()
        .map(|id| {
            let d = lib.store().get_meta(id).unwrap().unwrap();
            (
                d.title,
                d.version_date.map(|v| chrono::Datelike::year(&v)),
                d.validity,
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("示范撤销法".to_string(), Some(2008), Validity::Repealed),
            ("示范撤销法".to_string(), Some(2012), Validity::Repealed),
            ("示范旧条例".to_string(), Some(2010), Validity::Repealed),
            ("示范监督法".to_string(), Some(2015), Validity::Amended),
            ("示范监督法".to_string(), Some(2023), Validity::Valid),
        ]
    );
}

/// The same law in two folders (as 居民身份证法 is in 宪法相关法 and 行政法) and the same file again later: one
/// document that knows every source; a removed document takes its sources with it.
#[test]
fn the_same_bytes_in_two_places_are_one_document_that_knows_both() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "in/宪法相关法/示范预算法(2018-12-29).md", BUDGET_LAW_V2);
    write(d, "in/行政法/示范预算法(2018-12-29).md", BUDGET_LAW_V2);
    write(d, "in/reports/2021年政府工作报告.txt", REPORT);
    let lib = open(d);
    let report = pipeline::ingest(&lib, &[d.join("in")], &noop).unwrap();
    assert_eq!(
        (report.added, report.duplicates.len(), report.failed.len()),
        (2, 1, 0),
        "{report:?}"
    );
    let docs = |q: &str| {
        search(
            &lib,
            &SearchRequest {
                unit: Unit::Document,
                ..req(q)
            },
        )
        .unwrap()
    };
    let found = docs("示范预算法");
    assert_eq!(found.total, 1, "{:?}", found.hits);
    let id = yusuan::model::DocId(found.hits[0].id.clone());
    assert_eq!(report.duplicates[0].of, id);
    let doc = lib.store().get_meta(&id).unwrap().unwrap();
    assert_eq!(doc.also_sources.len(), 1, "{doc:?}");
    assert_ne!(doc.also_sources[0], doc.source);
    // Every article once.
    let hits = names(&lib, req("本级一般公共预算支出按其功能分类应当编列到项"));
    assert_eq!(
        hits.iter()
            .filter(|n| n.ends_with("示范预算法第四十六条"))
            .count(),
        1,
        "{hits:?}"
    );

    // A third copy, ingested later from elsewhere, joins the same document; ingesting again changes nothing.
    write(d, "later/示范预算法.md", BUDGET_LAW_V2);
    let later = pipeline::ingest(&lib, &[d.join("later")], &noop).unwrap();
    assert_eq!((later.added, later.duplicates.len()), (0, 1), "{later:?}");
    assert_eq!(
        lib.store()
            .get_meta(&id)
            .unwrap()
            .unwrap()
            .also_sources
            .len(),
        2
    );
    let again = pipeline::ingest(&lib, &[d.join("in"), d.join("later")], &noop).unwrap();
    assert_eq!(
        (
            again.added,
            again.updated,
            again.unchanged,
            again.duplicates.len()
        ),
        (0, 0, 4, 0),
        "{again:?}"
    );
    assert_eq!(docs("示范预算法").total, 1);

    // A copy whose bytes change becomes a document of its own (an edited file is another text).
    write(
        d,
        "later/示范预算法.md",
        &BUDGET_LAW_V2.replace("国务院应当及时处理", "国务院应当按期处理"),
    );
    let edited = pipeline::ingest(&lib, &[d.join("later")], &noop).unwrap();
    assert_eq!(edited.duplicates.len(), 0, "{edited:?}");
    assert_eq!(docs("按期处理").total, 1);
    let sources = lib.store().get_meta(&id).unwrap().unwrap().also_sources;
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert!(sources[0].contains("行政法") || sources[0].contains("宪法相关法"));

    // Removing the document removes it with its sources; the next ingest brings it back once.
    assert_eq!(docs("示范预算法").total, 2);
    assert_eq!(
        pipeline::remove(&lib, std::slice::from_ref(&id)).unwrap(),
        1
    );
    assert!(lib.store().get_meta(&id).unwrap().is_none());
    assert_eq!(docs("示范预算法").total, 1);
    let back = pipeline::ingest(&lib, &[d.join("in")], &noop).unwrap();
    assert_eq!((back.added, back.duplicates.len()), (1, 1), "{back:?}");
    assert_eq!(docs("示范预算法").total, 2);
}

/// The metadata audit counts what it is asked to: merged copies, near copies (same title and dates, other
/// bytes), and a people's government's norm labelled 地方性法规.
#[test]
fn the_metadata_audit_counts_copies_near_copies_and_kinds_that_disagree_with_their_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "in/a/示范预算法(2018-12-29).md", BUDGET_LAW_V2);
    write(d, "in/b/示范预算法(2018-12-29).md", BUDGET_LAW_V2);
    write(
        d,
        "in/c/示范预算法(2018-12-29).md",
        &BUDGET_LAW_V2.replace("加强对预算的管理", "加强预算的管理"),
    );
    write(
        d,
        "in/local/示例市噪声防治办法.md",
        "# 示例市噪声防治办法\n\n示例市人民政府令第1号\n\n第一条 为了防治噪声污染，根据有关法律，制定本办法。\n",
    );
    let sidecar = "{\"kind\": \"地方性法规\", \"level\": \"地方性法规\", \"issuer\": \"示例市人民政府\", \"region\": \"示例市\"}";
    write(d, "in/local/示例市噪声防治办法.md.meta.json", sidecar);
    let lib = open(d);
    let report = pipeline::ingest(&lib, &[d.join("in")], &noop).unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    let a = yusuan::eval::metadata::audit(&lib).unwrap();
    assert_eq!(a.documents, 3, "{a:?}");
    assert_eq!((a.merged_copies, a.merged_files), (1, 1), "{a:?}");
    assert_eq!((a.near_copy_groups, a.near_copy_documents), (1, 2), "{a:?}");
    assert_eq!(a.kind_issuer_mismatches, 1, "{a:?}");
    assert_eq!(a.examples["类别与制定机关不符"], ["示例市噪声防治办法"]);
    let text = yusuan::eval::metadata::report(&a);
    assert!(
        text.contains("近似重复组（同标题同日期、内容不同） 1"),
        "{text}"
    );
}

#[test]
fn a_library_opened_for_one_query_answers_it_as_the_full_library_and_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "in/laws/示范预算法(2014-08-31).md",
        BUDGET_LAW_V1,
    );
    write(
        dir.path(),
        "in/laws/示范预算法(2018-12-29).md",
        BUDGET_LAW_V2,
    );
    write(dir.path(), "in/reports/2021年政府工作报告.txt", REPORT);
    // The project's corpus folder: its user dictionary and query expansions apply.
    let config = || {
        Config::new(
            dir.path().join("index"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        )
    };
    let lib = Library::open(config()).unwrap();
    pipeline::ingest(&lib, &[dir.path().join("in")], &noop).unwrap();
    let queries = [
        "预算草案应当细化到什么程度",
        "一般公共预算支出按功能分类编列到项",
        "乡村振兴 信贷",
        "\"财政赤字率\"",
        "初步审查 -决算",
        "國務院財政部門",
        "预算法第四十六条",
        "赤字率 OR 信贷投放",
    ];
    let hits = |lib: &Library, q: &str| -> Vec<(String, String)> {
        search(lib, &req(q))
            .unwrap()
            .hits
            .into_iter()
            .map(|h| (h.name, format!("{:.6}", h.score)))
            .collect()
    };
    let full: Vec<_> = queries.iter().map(|q| hits(&lib, q)).collect();
    assert!(
        full.iter().filter(|h| !h.is_empty()).count() >= 6,
        "{full:?}"
    );
    drop(lib);
    for (q, want) in queries.iter().zip(&full) {
        let scoped = Library::open_for_search(config(), &[q]).unwrap();
        assert!(scoped.index().analyzer().is_scoped());
        assert_eq!(&hits(&scoped, q), want, "{q}");
        // It refuses to index anything (its segmenter knows only the query's words).
        let id = scoped.store().doc_ids().unwrap()[0].clone();
        let doc = scoped.store().get_document(&id).unwrap().unwrap();
        assert!(scoped.index().put(&doc, &Default::default()).is_err());
    }
    // An index to build again (lost, or of another schema) is built by a full open, and answers the same.
    std::fs::remove_dir_all(config().index_dir()).unwrap();
    let lib = Library::open_for_search(config(), &[queries[0]]).unwrap();
    assert!(!lib.index().analyzer().is_scoped());
    // (Rebuilt, the index orders documents of equal score by their new places.)
    let (mut got, mut want) = (hits(&lib, queries[0]), full[0].clone());
    got.sort();
    want.sort();
    assert_eq!(got, want);
}
