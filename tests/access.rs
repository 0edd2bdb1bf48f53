//! Restricted documents and the reader's scope, through the library: a restricted document (or a proposal
//! that is not public) must not show in hits, totals, facet counts, snippets, resolved citations, subject and
//! topic counts or proposal lists of a reader outside its scope, while staff see everything. The counts of
//! a public reader are compared with those of a data folder that never held the restricted documents.

use std::path::{Path, PathBuf};
use yusuan::config::Config;
use yusuan::library::Library;
use yusuan::linking;
use yusuan::model::{Access, DocId, FacetField, Filters, Scope, Unit};
use yusuan::pipeline;
use yusuan::proposals::{self, ListFilter};
use yusuan::search::{self, SearchRequest, SearchResponse};

/// A word only the restricted documents contain.
const SECRET: &str = "翠鸟甲虫";

const PUBLIC_LAW: &str = "# 示范财政监督法\n\n2019年1月1日 第十三届全国人民代表大会常务委员会第七次会议通过\n\n<!-- INFO END -->\n\n第一条 为了加强义务教育经费保障，规范乡村振兴资金的使用，制定本法。\n\n第二条 教育支出的预算审查依照本法执行。\n";

const SECRET_LAW: &str = "# 示范保密审计法\n\n2020年1月1日 第十三届全国人民代表大会常务委员会第十五次会议通过\n\n<!-- INFO END -->\n\n第一条 翠鸟甲虫计划中的义务教育经费和乡村振兴资金，依照本法审计。\n\n第二条 翠鸟甲虫计划的教育支出不予公开。\n";

const PUBLIC_REPORT: &str = "2023年示例市预算执行情况的报告\n\n全年教育支出增长百分之五，义务教育经费保障机制进一步完善，乡村振兴衔接资金足额拨付。\n";

const SECRET_REPORT: &str = "2023年示例市内部审计情况的报告\n\n翠鸟甲虫项目的义务教育经费存在挪用，乡村振兴资金拨付迟缓，教育支出绩效偏低。\n";

const PROPOSAL_HEADER: &str = "编号,届次,年份,类型,标题,内容,领衔代表,联名代表,代表团,分类,主办单位,协办单位,交办日期,办理期限,状态,答复日期,答复内容,答复类别,满意度,重点督办,公开";

fn proposal_row(
    number: u32,
    title: &str,
    text: &str,
    lead: &str,
    co: &str,
    public: bool,
) -> String {
    format!(
        "{number},第十六届人民代表大会第三次会议,2023,建议,{title},{text},{lead},{co},东城区代表团,教育,市教育局,,2023-02-20,2023-05-20,办理中,,,,,否,{}",
        if public { "是" } else { "否" }
    )
}

fn public_proposal() -> String {
    proposal_row(
        1001,
        "关于加大学前教育投入的建议",
        "建议提高学前教育支出占比。",
        "赵某",
        "",
        true,
    )
}

fn restricted_proposals() -> Vec<String> {
    vec![
        proposal_row(
            1002,
            "关于翠鸟甲虫项目审计的建议",
            "翠鸟甲虫项目的义务教育经费应当专项审计。",
            "钱某",
            "孙某、周某",
            false,
        ),
        proposal_row(
            1003,
            "关于白鹭计划经费的建议",
            "白鹭计划的经费安排应当向人大报告。",
            "李某",
            "",
            false,
        ),
    ]
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn open(data: &Path) -> Library {
    Library::open(Config::new(data, corpus())).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// Writes the documents into `dir`: the public ones always, the restricted ones (a law marked by its
/// sidecar, a report marked by the folder's manifest) and the restricted proposals when `with_restricted`.
fn documents(dir: &Path, with_restricted: bool) -> PathBuf {
    write(dir, "示范财政监督法.md", PUBLIC_LAW);
    write(dir, "2023年示例市预算执行情况的报告.txt", PUBLIC_REPORT);
    let mut rows = vec![public_proposal()];
    if with_restricted {
        write(dir, "示范保密审计法.md", SECRET_LAW);
        write(
            dir,
            "示范保密审计法.md.meta.json",
            r#"{"access": "restricted", "region": "甘肃省", "year": 2031, "level": "法律"}"#,
        );
        write(dir, "2023年示例市内部审计情况的报告.txt", SECRET_REPORT);
        write(
            dir,
            "manifest.jsonl",
            "{\"path\": \"2023年示例市内部审计情况的报告.txt\", \"access\": \"内部\"}\n",
        );
        rows.extend(restricted_proposals());
    }
    write(
        dir,
        "proposals.csv",
        &format!("{PROPOSAL_HEADER}\n{}\n", rows.join("\n")),
    );
    dir.to_path_buf()
}

fn ingest(lib: &Library, dir: &Path) {
    let r = pipeline::ingest(lib, &[dir.to_path_buf()], &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
}

/// A library holding public and restricted documents, and one that never held the restricted ones.
struct Fixture {
    _tmp: tempfile::TempDir,
    lib: Library,
    plain: Library,
    docs: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let docs = documents(&tmp.path().join("docs"), true);
    let lib = open(&tmp.path().join("data"));
    ingest(&lib, &docs);
    let plain_docs = documents(&tmp.path().join("plain-docs"), false);
    let plain = open(&tmp.path().join("plain-data"));
    ingest(&plain, &plain_docs);
    Fixture {
        _tmp: tmp,
        lib,
        plain,
        docs,
    }
}

fn anonymous() -> Scope {
    Scope::Public { deputy: None }
}

fn deputy(name: &str) -> Scope {
    Scope::Public {
        deputy: Some(name.into()),
    }
}

fn run(lib: &Library, q: &str, unit: Unit, scope: Scope) -> SearchResponse {
    search::search(
        lib,
        &SearchRequest {
            q: q.into(),
            unit,
            limit: 50,
            scope,
            ..SearchRequest::default()
        },
    )
    .unwrap()
}

/// Every facet as (field, [(value, count)]).
fn facets(resp: &SearchResponse) -> Vec<(FacetField, Vec<(String, u64)>)> {
    resp.facets
        .iter()
        .map(|f| {
            (
                f.field,
                f.values
                    .iter()
                    .map(|v| (v.value.clone(), v.count))
                    .collect(),
            )
        })
        .collect()
}

fn id_of(lib: &Library, path: &Path) -> DocId {
    pipeline::resolve_targets(lib, &path.to_string_lossy())
        .unwrap()
        .remove(0)
}

#[test]
fn sidecar_manifest_and_proposal_access_are_recorded() {
    let f = fixture();
    let get = |name: &str| {
        f.lib
            .store()
            .get_meta(&id_of(&f.lib, &f.docs.join(name)))
            .unwrap()
            .unwrap()
    };
    assert_eq!(get("示范保密审计法.md").access, Access::Restricted);
    assert_eq!(
        get("2023年示例市内部审计情况的报告.txt").access,
        Access::Restricted
    );
    assert_eq!(get("示范财政监督法.md").access, Access::Public);
    let snap = proposals::snapshot(&f.lib).unwrap();
    let secret = snap.items.iter().find(|s| s.number.0 == 1002).unwrap();
    let doc = f.lib.store().get_meta(&secret.doc_id).unwrap().unwrap();
    assert_eq!(doc.access, Access::Restricted);
    assert_eq!(doc.owners, vec!["钱某", "孙某", "周某"]);
}

#[test]
fn a_public_reader_finds_nothing_restricted() {
    let f = fixture();
    for unit in [Unit::Best, Unit::Document, Unit::Article] {
        let resp = run(&f.lib, SECRET, unit, anonymous());
        assert_eq!(resp.total, 0, "{unit:?}: {:?}", resp.hits);
        assert!(resp.hits.is_empty());
        assert!(
            facets(&resp).iter().all(|(_, v)| v.is_empty()),
            "{:?}",
            resp.facets
        );
        // Staff find them.
        let all = run(&f.lib, SECRET, unit, Scope::All);
        assert!(all.total > 0, "{unit:?}");
    }
    // A question goes through the law-cluster second pass: still nothing restricted.
    let q = "翠鸟甲虫计划的义务教育经费应当怎样审计？";
    let resp = run(&f.lib, q, Unit::Best, anonymous());
    assert_eq!(resp.mode, "question");
    for h in &resp.hits {
        let doc = f.lib.store().get_meta(&h.doc_id).unwrap().unwrap();
        assert_eq!(doc.access, Access::Public, "{}", h.name);
        assert!(!h.snippet.plain().contains(SECRET), "{}", h.name);
    }
    assert!(
        run(&f.lib, q, Unit::Best, Scope::All)
            .hits
            .iter()
            .any(|h| h.snippet.plain().contains(SECRET))
    );
}

#[test]
fn totals_and_facet_counts_equal_those_of_a_folder_without_the_restricted_documents() {
    let f = fixture();
    for q in ["", "义务教育", "教育支出", "乡村振兴"] {
        for unit in [Unit::Best, Unit::Document, Unit::Article] {
            let public = run(&f.lib, q, unit, anonymous());
            let plain = run(&f.plain, q, unit, Scope::All);
            assert_eq!(public.total, plain.total, "{q:?} {unit:?}");
            assert_eq!(facets(&public), facets(&plain), "{q:?} {unit:?}");
            // The restricted documents do count for staff: the comparison above can fail.
            let staff = run(&f.lib, q, unit, Scope::All);
            assert!(staff.total > public.total, "{q:?} {unit:?}");
        }
    }
    // The restricted law's region and year show for staff only.
    let staff = run(&f.lib, "", Unit::Document, Scope::All);
    let has = |resp: &SearchResponse, field: FacetField, value: &str| {
        facets(resp)
            .iter()
            .any(|(fl, v)| *fl == field && v.iter().any(|(x, _)| x == value))
    };
    assert!(has(&staff, FacetField::Region, "甘肃省"));
    assert!(has(&staff, FacetField::Year, "2031"));
    let public = run(&f.lib, "", Unit::Document, anonymous());
    assert!(!has(&public, FacetField::Region, "甘肃省"));
    assert!(!has(&public, FacetField::Year, "2031"));
    // A filter on the restricted region finds nothing for the public.
    let filtered = search::search(
        &f.lib,
        &SearchRequest {
            filters: Filters {
                regions: vec!["甘肃省".into()],
                ..Filters::default()
            },
            limit: 10,
            ..SearchRequest::default()
        },
    )
    .unwrap();
    assert_eq!(filtered.total, 0);
}

#[test]
fn snippets_of_shared_words_never_show_restricted_text() {
    let f = fixture();
    for q in ["义务教育", "乡村振兴", "教育支出"] {
        let public = run(&f.lib, q, Unit::Best, anonymous());
        assert!(public.total > 0, "{q}");
        for h in &public.hits {
            assert!(!h.snippet.plain().contains(SECRET), "{q}: {}", h.name);
            assert!(
                !h.title.contains("保密") && !h.title.contains("内部"),
                "{q}: {}",
                h.title
            );
        }
        let staff = run(&f.lib, q, Unit::Best, Scope::All);
        assert!(
            staff
                .hits
                .iter()
                .any(|h| h.snippet.plain().contains(SECRET)),
            "{q}"
        );
    }
}

#[test]
fn citations_of_a_restricted_law_do_not_resolve_outside_the_scope() {
    let f = fixture();
    let text = "依照《示范保密审计法》第一条办理";
    let public = search::resolve_citations(&f.lib, text, &anonymous()).unwrap();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].article, None);
    let staff = search::resolve_citations(&f.lib, text, &Scope::All).unwrap();
    assert!(staff[0].article.is_some());
    // A public law's citation resolves for everyone.
    let open = search::resolve_citations(&f.lib, "《示范财政监督法》第一条", &anonymous()).unwrap();
    assert!(open[0].article.is_some());
    // Searching the citation pins nothing restricted.
    let resp = run(&f.lib, "《示范保密审计法》第一条", Unit::Best, anonymous());
    assert!(resp.hits.iter().all(|h| !h.cited), "{:?}", resp.hits);
    assert!(resp.hits.iter().all(|h| !h.name.contains("保密")));
    let staff = run(&f.lib, "《示范保密审计法》第一条", Unit::Best, Scope::All);
    assert!(staff.hits.first().is_some_and(|h| h.cited));
}

#[test]
fn subject_and_topic_counts_are_computed_inside_the_scope() {
    let f = fixture();
    let none = Filters::default();
    let tree =
        |lib: &Library, scope: &Scope| linking::subject_tree(lib, None, &none, scope).unwrap();
    let counts = |nodes: Vec<linking::SubjectNode>| -> Vec<(String, u64)> {
        nodes.into_iter().map(|n| (n.code, n.documents)).collect()
    };
    assert_eq!(
        counts(tree(&f.lib, &anonymous())),
        counts(tree(&f.plain, &Scope::All))
    );
    let edu = |lib: &Library, scope: &Scope| {
        linking::subject_tree(lib, Some("205"), &none, scope)
            .map(counts)
            .unwrap_or_default()
    };
    assert_eq!(edu(&f.lib, &anonymous()), edu(&f.plain, &Scope::All));
    let topics = |lib: &Library, scope: &Scope| -> Vec<(String, u64)> {
        linking::topic_counts(lib, &none, scope)
            .unwrap()
            .into_iter()
            .map(|t| (t.id, t.documents))
            .collect()
    };
    assert_eq!(topics(&f.lib, &anonymous()), topics(&f.plain, &Scope::All));
    let budgets = |lib: &Library, scope: &Scope| -> Vec<u64> {
        linking::budget_counts(lib, &none, scope)
            .unwrap()
            .into_iter()
            .map(|b| b.documents)
            .collect()
    };
    assert_eq!(
        budgets(&f.lib, &anonymous()),
        budgets(&f.plain, &Scope::All)
    );
    // The restricted documents are linked: staff counts are higher.
    let total = |v: Vec<(String, u64)>| v.iter().map(|x| x.1).sum::<u64>();
    assert!(total(topics(&f.lib, &Scope::All)) > total(topics(&f.lib, &anonymous())));
    assert!(total(counts(tree(&f.lib, &Scope::All))) > total(counts(tree(&f.lib, &anonymous()))));
    // Topic dossiers list and count only what the reader may see.
    let mut grew = false;
    for topic in ["compulsory-education", "rural-revitalization"] {
        let public = linking::topic_dossier(&f.lib, topic, 50, &anonymous()).unwrap();
        let plain = linking::topic_dossier(&f.plain, topic, 50, &Scope::All).unwrap();
        assert_eq!(public.total, plain.total, "{topic}");
        let subjects =
            |d: &linking::Dossier| -> Vec<u64> { d.subjects.iter().map(|s| s.documents).collect() };
        assert_eq!(subjects(&public), subjects(&plain), "{topic}");
        for (_, list) in &public.sections {
            for e in list {
                let doc = f.lib.store().get_meta(&e.doc_id).unwrap().unwrap();
                assert_eq!(doc.access, Access::Public, "{topic}: {}", e.title);
            }
        }
        for a in &public.articles {
            assert!(!a.snippet.contains(SECRET), "{topic}: {}", a.name);
        }
        let staff = linking::topic_dossier(&f.lib, topic, 50, &Scope::All).unwrap();
        grew |= staff.total > public.total;
    }
    assert!(grew, "the restricted documents are in a dossier for staff");
}

#[test]
fn deputies_see_their_own_restricted_proposals_only() {
    let f = fixture();
    let today = proposals::import::parse_date("2023-06-01").unwrap();
    let list = |scope: Scope| {
        proposals::list(
            &f.lib,
            &ListFilter {
                scope,
                ..ListFilter::default()
            },
            today,
        )
        .unwrap()
    };
    let numbers = |scope: Scope| -> Vec<u32> {
        let mut n: Vec<u32> = list(scope).items.iter().map(|s| s.number.0).collect();
        n.sort();
        n
    };
    assert_eq!(numbers(anonymous()), vec![1001]);
    assert_eq!(numbers(deputy("钱某")), vec![1001, 1002]);
    assert_eq!(numbers(deputy("周某")), vec![1001, 1002], "a co-signer");
    assert_eq!(numbers(deputy("李某")), vec![1001, 1003]);
    assert_eq!(numbers(Scope::All), vec![1001, 1002, 1003]);
    // Counts are those of the visible set.
    let page = list(anonymous());
    assert_eq!(page.total, 1);
    let counted: usize = page.counts.status.iter().map(|(_, n)| n).sum();
    assert_eq!(counted, 1);
    // The default filter is the narrowest scope.
    assert_eq!(
        proposals::list(&f.lib, &ListFilter::default(), today)
            .unwrap()
            .total,
        1
    );
    let dash = |scope: Scope| proposals::dashboard(&f.lib, today, &scope).unwrap();
    assert_eq!(dash(anonymous()).total, 1);
    assert_eq!(dash(deputy("钱某")).total, 2);
    assert_eq!(dash(Scope::All).total, 3);
    let status_sum = |d: proposals::Dashboard| d.by_status.iter().map(|(_, n)| n).sum::<usize>();
    assert_eq!(status_sum(dash(anonymous())), 1);
    // Show and similar: another deputy's restricted proposal is not found.
    let snap = proposals::snapshot(&f.lib).unwrap();
    let id = |n: u32| {
        snap.items
            .iter()
            .find(|s| s.number.0 == n)
            .unwrap()
            .id
            .clone()
    };
    assert!(
        proposals::show(&f.lib, &id(1002), today, &deputy("李某"))
            .unwrap()
            .is_none()
    );
    assert!(
        proposals::show(&f.lib, &id(1002), today, &anonymous())
            .unwrap()
            .is_none()
    );
    assert!(
        proposals::show(&f.lib, &id(1002), today, &deputy("钱某"))
            .unwrap()
            .is_some()
    );
    assert!(proposals::similar(&f.lib, &id(1002), 10, &deputy("李某")).is_err());
    assert!(proposals::similar(&f.lib, &id(1002), 10, &deputy("孙某")).is_ok());
    // The export holds the visible rows only.
    let export = |scope: Scope| {
        let bytes = proposals::export(
            &f.lib,
            &ListFilter {
                scope,
                ..ListFilter::default()
            },
            today,
            proposals::export::ExportFormat::Csv,
        )
        .unwrap();
        String::from_utf8(bytes).unwrap()
    };
    assert!(!export(anonymous()).contains(SECRET));
    assert!(export(deputy("钱某")).contains(SECRET));
    assert!(!export(deputy("李某")).contains(SECRET));
    // Proposals are documents: search follows the same scope.
    assert_eq!(run(&f.lib, "白鹭计划", Unit::Best, anonymous()).total, 0);
    assert_eq!(run(&f.lib, "白鹭计划", Unit::Best, deputy("钱某")).total, 0);
    assert!(run(&f.lib, "白鹭计划", Unit::Best, deputy("李某")).total > 0);
}

#[test]
fn default_search_request_has_the_narrowest_scope() {
    assert_eq!(SearchRequest::default().scope, anonymous());
    assert_eq!(ListFilter::default().scope, anonymous());
    let f = fixture();
    let resp = search::search(
        &f.lib,
        &SearchRequest {
            q: SECRET.into(),
            limit: 10,
            ..SearchRequest::default()
        },
    )
    .unwrap();
    assert_eq!(resp.total, 0);
}

#[test]
fn a_stored_access_decision_survives_reingest_and_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = documents(&tmp.path().join("docs"), true);
    let data = tmp.path().join("data");
    let lib = open(&data);
    ingest(&lib, &docs);
    let law = id_of(&lib, &docs.join("示范财政监督法.md"));
    let secret = id_of(&lib, &docs.join("示范保密审计法.md"));
    assert!(run(&lib, "示范财政监督法", Unit::Document, anonymous()).total > 0);

    assert!(pipeline::set_access(&lib, &law, Access::Restricted).unwrap());
    assert!(pipeline::set_access(&lib, &secret, Access::Public).unwrap());
    assert!(!pipeline::set_access(&lib, &DocId("no-such-id".into()), Access::Public).unwrap());
    let visible = |lib: &Library| -> (usize, usize) {
        (
            run(lib, "示范财政监督法", Unit::Document, anonymous()).total,
            run(lib, SECRET, Unit::Document, anonymous()).total,
        )
    };
    assert_eq!(visible(&lib), (0, 1));

    // A changed file is ingested again: the decision wins over the file and its sidecar.
    write(
        &docs,
        "示范财政监督法.md",
        &format!("{PUBLIC_LAW}\n第三条 本法自公布之日起施行。\n"),
    );
    write(
        &docs,
        "示范保密审计法.md",
        &format!("{SECRET_LAW}\n第三条 本法自公布之日起施行。\n"),
    );
    let r = pipeline::ingest(&lib, std::slice::from_ref(&docs), &|_| {}).unwrap();
    assert_eq!(r.updated, 2, "{r:?}");
    assert_eq!(visible(&lib), (0, 1));
    assert_eq!(
        lib.store().get_meta(&law).unwrap().unwrap().access,
        Access::Restricted
    );
    // Relinking rewrites every document: the decision stays.
    linking::relink(&lib, &|_, _| {}).unwrap();
    assert_eq!(visible(&lib), (0, 1));
    lib.close().unwrap();
    drop(lib);
    let lib = open(&data);
    assert_eq!(visible(&lib), (0, 1));
    assert!(run(&lib, "示范财政监督法", Unit::Document, Scope::All).total > 0);
}

#[test]
fn a_proposal_document_stored_without_access_gets_it_when_reindexed() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = documents(&tmp.path().join("docs"), true);
    let data = tmp.path().join("data");
    let lib = open(&data);
    ingest(&lib, &docs);
    let snap = proposals::snapshot(&lib).unwrap();
    let doc_id = snap
        .items
        .iter()
        .find(|s| s.number.0 == 1003)
        .unwrap()
        .doc_id
        .clone();
    // As a data folder written before access was recorded holds it: public, no owners, to be re-indexed.
    let mut legacy = lib.store().get_document(&doc_id).unwrap().unwrap();
    legacy.access = Access::Public;
    legacy.owners = Vec::new();
    lib.store()
        .set_state(&doc_id, yusuan::store::DocState::Pending)
        .unwrap();
    lib.store().put_document(&legacy).unwrap();
    lib.close().unwrap();
    drop(lib);
    let lib = open(&data);
    let stored = lib.store().get_meta(&doc_id).unwrap().unwrap();
    assert_eq!(stored.access, Access::Restricted);
    assert_eq!(stored.owners, vec!["李某"]);
    assert_eq!(run(&lib, "白鹭计划", Unit::Best, anonymous()).total, 0);
    assert!(run(&lib, "白鹭计划", Unit::Best, deputy("李某")).total > 0);
    assert!(lib.meta(&doc_id, &anonymous()).unwrap().is_none());
}
