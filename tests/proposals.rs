//! Deputy proposals through the library: import (CSV in UTF-8 and GBK, XLSX, JSON) with per-row errors and
//! idempotence, events and refusals, reply documents attached on ingest, proposals found by search,
//! similarity precision and recall on a labelled set, and export round trips.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use yusuan::config::Config;
use yusuan::library::Library;
use yusuan::model::{Date, DocKind, Filters, Scope};
use yusuan::pipeline;
use yusuan::proposals::export::ExportFormat;
use yusuan::proposals::import::TableFormat;
use yusuan::proposals::model::{Event, EventKind, Grade, ProposalId, Satisfaction, Status};
use yusuan::proposals::{self, ListFilter};
use yusuan::search::{self, SearchRequest};

/// The operator's filter: every proposal, public or not.
fn operator() -> ListFilter {
    ListFilter {
        scope: Scope::All,
        ..ListFilter::default()
    }
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn open(data: &Path) -> Library {
    Library::open(Config::new(data, corpus())).unwrap()
}

fn samples() -> PathBuf {
    corpus().join("samples")
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

const HEADER: &str = "编号,届次,年份,类型,标题,内容,领衔代表,联名代表,代表团,分类,主办单位,协办单位,交办日期,办理期限,状态,答复日期,答复内容,答复类别,满意度,重点督办,公开";

fn id(s: &str) -> ProposalId {
    ProposalId(s.to_string())
}

#[test]
fn sample_csv_imports_once_and_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let path = samples().join("proposals.csv");
    let first = proposals::import_file(&lib, &path).unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.added, 12);
    let docs = lib.store().count_documents();
    let second = proposals::import_file(&lib, &path).unwrap();
    assert_eq!((second.added, second.updated, second.unchanged), (0, 0, 12));
    assert_eq!(lib.store().count_proposals(), 12);
    assert_eq!(lib.store().count_documents(), docs);
    // Proposals are documents: searchable and filtered by kind.
    let resp = search::search(
        &lib,
        &SearchRequest {
            q: "学前教育".into(),
            filters: Filters {
                kinds: vec![DocKind::Proposal],
                ..Filters::default()
            },
            limit: 10,
            scope: Scope::All,
            ..SearchRequest::default()
        },
    )
    .unwrap();
    assert!(resp.total >= 3, "{}", resp.total);
    assert!(resp.hits.iter().all(|h| h.kind == DocKind::Proposal));
    // Status comes from the events the row describes.
    let page = proposals::list(&lib, &operator(), day("2025-06-01")).unwrap();
    assert_eq!(page.total, 12);
    let closed = page
        .counts
        .status
        .iter()
        .find(|(k, _)| k == "已办结")
        .unwrap()
        .1;
    assert_eq!(closed, 10);
    assert_eq!(page.counts.overdue, 2);
}

#[test]
fn bad_rows_are_reported_with_lines_and_good_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let csv = format!(
        "{HEADER}\n\
         1,十四届全国人大二次会议,2024,代表建议,关于甲的建议,正文,张某,,北京代表团,财政,财政部,,2024-03-20,,办理中,,,,,否,是\n\
         abc,十四届全国人大二次会议,2024,代表建议,关于乙的建议,,,,,,,,,,,,,,,,\n\
         3,十四届全国人大二次会议,2024,代表建议,关于丙的建议,,,,,,,,2024-13-01,,,,,,,,\n\
         4,十四届全国人大二次会议,2024,代表建议,关于丁的建议,,,,,,,,2024-03-20,,已办结,2024-05-01,已落实,A,很好,,\n\
         5,十四届全国人大二次会议,2024,代表建议,关于戊的建议,,,,,,,,2024-03-20,,已答复,2024-05-01,已落实,A,满意,,\n"
    );
    let r = proposals::import_bytes(&lib, "bad.csv", TableFormat::Csv, csv.as_bytes()).unwrap();
    assert_eq!(r.added, 2);
    let lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5]);
    assert!(r.errors[0].reason.contains("编号"));
    assert!(r.errors[1].reason.contains("交办日期"));
    assert!(r.errors[2].reason.contains("满意度"));
    // A file that is no proposal table at all is an error, not silence.
    assert!(proposals::import_bytes(&lib, "x.csv", TableFormat::Csv, b"a,b\n1,2\n").is_err());
}

#[test]
fn gbk_csv_xlsx_and_json_import() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let csv = format!(
        "{HEADER}\n7,十四届全国人大二次会议,2024,代表建议,关于提高乡村教师补助的建议,乡村教师补助偏低。,王某,,河南代表团,教育,教育部,财政部,2024-03-20,,,,,,,是,是\n"
    );
    let (gbk, _, bad) = encoding_rs::GBK.encode(&csv);
    assert!(!bad);
    let r = proposals::import_bytes(&lib, "gbk.csv", TableFormat::Csv, &gbk).unwrap();
    assert_eq!(r.added, 1, "{:?}", r.errors);
    let p = lib
        .store()
        .get_proposal(&id("14-2-7"))
        .unwrap()
        .expect("imported");
    assert_eq!(p.title, "关于提高乡村教师补助的建议");
    assert_eq!(p.co_units, vec!["财政部"]);
    assert!(p.key_supervision);

    // XLSX written with the export's writer, dates as text.
    let mut row: Vec<String> = "8,十四届全国人大二次会议,2024,政协提案,关于农村污水治理的提案,污水直排。,李某,,,生态环境,生态环境部,,2024-03-20,,已答复,2024-06-01,已安排资金。,B,,否,是"
        .split(',')
        .map(str::to_string)
        .collect();
    // The export's columns end with 督办委员会.
    row.push(String::new());
    let xlsx = yusuan::proposals::export::write(&[row], ExportFormat::Xlsx).unwrap();
    let r = proposals::import_bytes(&lib, "x.xlsx", TableFormat::Xlsx, &xlsx).unwrap();
    assert_eq!(r.added, 1, "{:?}", r.errors);
    let events = lib.store().events_of(&id("14-2-8")).unwrap();
    assert_eq!(events.last().unwrap().grade, Some(Grade::B));

    let json = r#"{"建议": [{"编号": "第9号", "届次": "第十四届全国人民代表大会第二次会议", "年份": 2024,
        "标题": "关于规范专项债券使用的建议", "交办日期": "2024年3月20日", "联名代表": ["甲", "乙"]}]}"#;
    let r = proposals::import_bytes(&lib, "x.json", TableFormat::Json, json.as_bytes()).unwrap();
    assert_eq!(r.added, 1, "{:?}", r.errors);
    assert_eq!(
        proposals::resolve(&lib, "十四届全国人大二次会议 9").unwrap(),
        vec![id("14-2-9")]
    );
}

#[test]
fn events_follow_the_lifecycle_and_refusals_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let csv = format!(
        "{HEADER}\n21,十四届全国人大二次会议,2024,代表建议,关于甲的建议,正文,张某,,,,财政部,,2024-03-20,,,,,,,否,是\n"
    );
    proposals::import_bytes(&lib, "e.csv", TableFormat::Csv, csv.as_bytes()).unwrap();
    let pid = id("14-2-21");
    let today = day("2024-06-25");
    let page = proposals::list(
        &lib,
        &ListFilter {
            overdue: true,
            scope: Scope::All,
            ..ListFilter::default()
        },
        today,
    )
    .unwrap();
    assert_eq!(page.total, 1, "deadline 2024-06-20 has passed");

    let err = proposals::record_event(&lib, &pid, Event::new(EventKind::Close, today, "staff"))
        .unwrap_err();
    assert!(
        err.to_string().contains("只有已答复的建议可以办结"),
        "{err}"
    );
    let s = proposals::record_event(
        &lib,
        &pid,
        Event::new(EventKind::Extend, day("2024-06-01"), "财政部"),
    )
    .unwrap();
    assert_eq!(s.deadline, Some(day("2024-09-20")));
    let page = proposals::list(
        &lib,
        &ListFilter {
            overdue: true,
            scope: Scope::All,
            ..ListFilter::default()
        },
        today,
    )
    .unwrap();
    assert_eq!(page.total, 0, "the extension moved the deadline");
    let reply = Event {
        grade: Some(Grade::C),
        text: Some("拟在下一年度统筹研究。".into()),
        ..Event::new(EventKind::Reply, day("2024-07-01"), "财政部")
    };
    proposals::record_event(&lib, &pid, reply).unwrap();
    let feedback = Event {
        satisfaction: Some(Satisfaction::Unsatisfied),
        ..Event::new(EventKind::Feedback, day("2024-07-05"), "张某")
    };
    proposals::record_event(&lib, &pid, feedback).unwrap();
    let s = proposals::record_event(
        &lib,
        &pid,
        Event::new(EventKind::Reopen, day("2024-07-10"), "代表工委"),
    )
    .unwrap();
    assert_eq!(s.status, Status::Reopened);
    assert_eq!(s.deadline, Some(day("2024-08-10")));
    // The list sees the new status at once, and a reopened library derives the same from the store.
    let page = proposals::list(
        &lib,
        &ListFilter {
            status: Some(Status::Reopened),
            scope: Scope::All,
            ..ListFilter::default()
        },
        today,
    )
    .unwrap();
    assert_eq!(page.total, 1);
    drop(lib);
    let lib = open(dir.path());
    let v = proposals::show(&lib, &pid, today, &Scope::All)
        .unwrap()
        .unwrap();
    assert_eq!(v.state.status, Status::Reopened);
    assert_eq!(v.events.len(), 5);
    // Importing the file again keeps the recorded events.
    let r = proposals::import_bytes(&lib, "e.csv", TableFormat::Csv, csv.as_bytes()).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(lib.store().events_of(&pid).unwrap().len(), 5);
}

#[test]
fn reply_documents_are_attached_whatever_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    // Replies first, proposals after.
    let replies: Vec<PathBuf> = ["答复-第1005号建议.md", "答复-第3008号建议.md"]
        .iter()
        .map(|n| samples().join(n))
        .collect();
    let r = pipeline::ingest(&lib, &replies, &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    // The proposal table goes through ingest too: it becomes proposals, not a table document.
    let r = pipeline::ingest(&lib, &[samples().join("proposals.csv")], &|_| {}).unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert_eq!(lib.store().count_proposals(), 12);
    let today = day("2025-06-01");
    let v = proposals::show(&lib, &id("16-3-1005"), today, &Scope::All)
        .unwrap()
        .unwrap();
    assert_eq!(v.replies.len(), 1, "{:?}", v.replies);
    assert!(v.replies[0].title.contains("第1005号建议"));
    let v = proposals::show(&lib, &id("16-5-3008"), today, &Scope::All)
        .unwrap()
        .unwrap();
    assert_eq!(v.replies.len(), 1);
    // A number from another session does not get the reply.
    let other = format!(
        "{HEADER}\n1005,第十六届人民代表大会第四次会议,2024,代表建议,关于别的事项的建议,,,,,,,,2024-02-20,,,,,,,,\n"
    );
    proposals::import_bytes(&lib, "o.csv", TableFormat::Csv, other.as_bytes()).unwrap();
    let v = proposals::show(&lib, &id("16-4-1005"), today, &Scope::All)
        .unwrap()
        .unwrap();
    assert!(v.replies.is_empty());
}

/// Precision and recall of "same issue" (score ≥ SAME_ISSUE) over all pairs of the labelled set.
#[test]
fn similarity_precision_and_recall_on_the_labelled_set() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(dir.path());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proposals-similar.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let items: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let r = proposals::import_file(&lib, &path).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.added, items.len());
    let label = |number: &str, session: &str| -> String {
        items
            .iter()
            .find(|i| i["编号"] == number && i["届次"] == session)
            .map(|i| i["issue"].as_str().unwrap().to_string())
            .unwrap()
    };
    let snap = proposals::snapshot(&lib).unwrap();
    let mut truth = BTreeSet::new();
    let mut predicted = BTreeSet::new();
    let mut top1_right = 0;
    let mut with_partner = 0;
    for a in &snap.items {
        let la = label(&a.number.0.to_string(), &a.session);
        for b in &snap.items {
            if a.id < b.id && la == label(&b.number.0.to_string(), &b.session) {
                truth.insert((a.id.clone(), b.id.clone()));
            }
        }
        let found = proposals::similar(&lib, &a.id, 50, &Scope::All).unwrap();
        for s in &found.items {
            let pair = if a.id < s.id {
                (a.id.clone(), s.id.clone())
            } else {
                (s.id.clone(), a.id.clone())
            };
            predicted.insert(pair);
        }
        if snap
            .items
            .iter()
            .any(|b| b.id != a.id && label(&b.number.0.to_string(), &b.session) == la)
        {
            with_partner += 1;
            if found
                .items
                .first()
                .is_some_and(|s| label(&s.number.0.to_string(), &s.session) == la)
            {
                top1_right += 1;
            }
        }
    }
    let correct = predicted.intersection(&truth).count();
    let precision = correct as f64 / predicted.len().max(1) as f64;
    let recall = correct as f64 / truth.len() as f64;
    let top1 = top1_right as f64 / with_partner as f64;
    eprintln!(
        "similarity on {} labelled proposals: pairs {} · predicted {} · correct {} · precision {precision:.2} · recall {recall:.2} · top-1 {top1:.2}",
        items.len(),
        truth.len(),
        predicted.len(),
        correct
    );
    assert!(precision >= 0.85, "precision {precision:.2}");
    assert!(recall >= 0.8, "recall {recall:.2}");
    assert!(top1 >= 0.85, "top-1 {top1:.2}");
    // The issue raised three times without an A grade is flagged on its latest proposal.
    let latest = proposals::resolve(&lib, "第十五届人民代表大会第三次会议 318").unwrap();
    let rep = proposals::similar(&lib, &latest[0], 10, &Scope::All).unwrap();
    assert_eq!(rep.times_raised, 3, "{:?}", rep.items);
    assert!(rep.repeated_without_a);
}

#[test]
fn export_round_trip_csv_and_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let lib = open(&dir.path().join("a"));
    proposals::import_file(&lib, &samples().join("proposals.csv")).unwrap();
    let today = day("2025-06-01");
    let filter = ListFilter {
        unit: Some("市教育局".into()),
        scope: Scope::All,
        ..ListFilter::default()
    };
    let before = proposals::filtered(&lib, &filter, today).unwrap();
    assert_eq!(before.len(), 4);
    for (format, table) in [
        (ExportFormat::Csv, TableFormat::Csv),
        (ExportFormat::Xlsx, TableFormat::Xlsx),
    ] {
        let bytes = proposals::export(&lib, &filter, today, format).unwrap();
        let other = open(&dir.path().join(format.extension()));
        let r = proposals::import_bytes(&other, "export", table, &bytes).unwrap();
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let after = proposals::filtered(&other, &operator(), today).unwrap();
        let key = |s: &proposals::Summary| {
            (
                s.id.clone(),
                s.title.clone(),
                s.status,
                s.grade,
                s.satisfaction,
                s.deadline,
                s.key_supervision,
            )
        };
        assert_eq!(
            before.iter().map(key).collect::<Vec<_>>(),
            after.iter().map(key).collect::<Vec<_>>()
        );
        let p = other
            .store()
            .get_proposal(&id("16-3-1020"))
            .unwrap()
            .unwrap();
        assert_eq!(p.co_units, vec!["市人力资源社会保障局", "市财政局"]);
    }
}
