//! Faults and recovery: real `yusuan` processes killed with SIGKILL in the middle of a proposal import and
//! of link decisions served over HTTP (everything acknowledged survives; store and index agree), and backups
//! taken while a server ingests, restored into new folders and compared with the original; a damaged backup
//! and a restore into a folder in use are refused.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use yusuan::config::Config;
use yusuan::library::Library;
use yusuan::link::decision::{Target, Verdict};
use yusuan::model::{DocId, DocKind, Filters, Unit};
use yusuan::proposals::import::{self, TableFormat};
use yusuan::proposals::model::ProposalId;
use yusuan::search::{SearchRequest, search};
use yusuan::store::DocState;

const EXE: &str = env!("CARGO_BIN_EXE_yusuan");

fn project_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A corpus folder with the project's reference data (subject tree, topics) and its sample documents.
fn linked_corpus(dir: &Path) -> PathBuf {
    let c = dir.join("corpus");
    for sub in ["reference", "samples"] {
        let from = project_corpus().join(sub);
        std::fs::create_dir_all(c.join(sub)).unwrap();
        for f in std::fs::read_dir(&from).unwrap() {
            let f = f.unwrap().path();
            if f.is_file() {
                std::fs::copy(&f, c.join(sub).join(f.file_name().unwrap())).unwrap();
            }
        }
    }
    c
}

fn yusuan(data: &Path, corpus: &Path) -> Command {
    let mut c = Command::new(EXE);
    c.args([
        "--index",
        data.to_str().unwrap(),
        "--corpus",
        corpus.to_str().unwrap(),
    ]);
    c
}

/// Store and index agree: the same documents, one unit per document and article, nothing pending.
fn assert_consistent(lib: &Library) {
    let stored: BTreeSet<DocId> = lib.store().doc_ids().unwrap().into_iter().collect();
    let indexed = lib.index().doc_ids().unwrap();
    assert_eq!(stored, indexed, "store and index hold the same documents");
    let units = lib.store().count_documents() + lib.store().count_articles();
    assert_eq!(
        lib.index().num_units() as usize,
        units,
        "no missing or duplicate units"
    );
    for state in [DocState::Pending, DocState::Removing] {
        assert!(lib.store().ids_in_state(state).unwrap().is_empty());
    }
}

/// Every proposal record has its document in store and index; every proposal document has its record.
fn assert_proposals_consistent(lib: &Library) {
    let indexed = lib.index().doc_ids().unwrap();
    let records = lib.store().all_proposals().unwrap();
    let record_docs: BTreeSet<DocId> = records.iter().map(|p| p.doc_id.clone()).collect();
    for p in &records {
        assert!(
            indexed.contains(&p.doc_id),
            "proposal {} is not searchable",
            p.id
        );
        assert!(lib.store().get_meta(&p.doc_id).unwrap().is_some());
    }
    for id in lib.store().doc_ids().unwrap() {
        let d = lib.store().get_meta(&id).unwrap().unwrap();
        if d.kind == DocKind::Proposal {
            assert!(
                record_docs.contains(&id),
                "document {id} ({}) has no proposal record",
                d.source
            );
        }
    }
}

fn kill(child: &mut Child) -> bool {
    let alive = child.try_wait().unwrap().is_none();
    if alive {
        // Child::kill sends SIGKILL on Unix.
        child.kill().unwrap();
    }
    child.wait().unwrap();
    alive
}

#[test]
fn a_killed_proposal_import_keeps_every_acknowledged_row_and_completes_on_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let data = dir.path().join("index");
    let csv = dir.path().join("proposals.csv");
    let n = 7000;
    let out = Command::new(EXE)
        .args(["gen", "proposals", &n.to_string(), "--today", "2025-06-01"])
        .arg("--out")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&csv).unwrap();
    let parsed = import::parse(
        TableFormat::Csv,
        &bytes,
        "proposals.csv",
        &yusuan::proposals::doc_id_of,
    )
    .unwrap();
    assert!(parsed.errors.is_empty());
    let ids: Vec<ProposalId> = parsed.rows.iter().map(|r| r.proposal.id.clone()).collect();
    assert_eq!(ids.len(), n);

    let mut acked = 0usize;
    let mut kills = 0;
    for round in 0..3u64 {
        let mut child = yusuan(&data, &corpus)
            .args(["proposals", "import"])
            .arg(&csv)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<usize>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // `FILE: 已写入 N / M 行`: the first N rows are durable.
                if let Some(rest) = line.split("已写入 ").nth(1)
                    && let Some(n) = rest.split(" / ").next()
                {
                    let _ = tx.send(n.trim().parse().unwrap());
                }
            }
        });
        // Wait for a new acknowledgement, then kill somewhere inside the next batch.
        let start = Instant::now();
        while let Ok(n) = rx.recv_timeout(Duration::from_secs(120)) {
            acked = acked.max(n);
            if n > round as usize * 2000 {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(180), "no progress");
        }
        std::thread::sleep(Duration::from_millis(200 + 250 * round));
        if kill(&mut child) {
            kills += 1;
        }
        reader.join().unwrap();
        // Lines printed before the kill were acknowledged too.
        for n in rx.try_iter() {
            acked = acked.max(n);
        }
        let lib = Library::open(Config::new(&data, &corpus)).unwrap();
        for id in &ids[..acked] {
            assert!(
                lib.store().get_proposal(id).unwrap().is_some(),
                "acknowledged proposal {id} was lost (round {round}, {acked} acknowledged)"
            );
        }
        assert_consistent(&lib);
        assert_proposals_consistent(&lib);
        lib.close().unwrap();
    }
    assert!(
        kills > 0,
        "the import finished before any kill: make the table larger"
    );
    assert!(acked >= 2000);

    // Running the import again completes it; a third run changes nothing.
    let out = yusuan(&data, &corpus)
        .args(["proposals", "import"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = yusuan(&data, &corpus)
        .args(["proposals", "import", "--json"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(again.status.success());
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report[0]["unchanged"], n, "{report}");
    assert_eq!(report[0]["added"], 0);
    let lib = Library::open(Config::new(&data, &corpus)).unwrap();
    assert_eq!(lib.store().count_proposals(), n);
    assert_consistent(&lib);
    assert_proposals_consistent(&lib);
    let all = search(
        &lib,
        &SearchRequest {
            filters: Filters {
                kinds: vec![DocKind::Proposal],
                ..Filters::default()
            },
            unit: Unit::Document,
            limit: 0,
            scope: yusuan::model::Scope::All,
            ..SearchRequest::default()
        },
    )
    .unwrap();
    assert_eq!(all.total, n);
}

/// A staff account made with the command line on a data folder no server holds; returns its API token.
fn staff_token(data: &Path, corpus: &Path) -> String {
    let out = yusuan(data, corpus)
        .args(["user", "add", "ops", "--role", "staff"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = yusuan(data, corpus)
        .args(["user", "token", "ops", "--label", "faults"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

/// Starts `yusuan serve` on a free port and returns it with its base URL once the first start is indexed (as
/// the health report, read with `token`, tells: counts are not given to anonymous readers).
fn serve(data: &Path, corpus: &Path, token: &str) -> (Child, String) {
    let mut child = yusuan(data, corpus)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(url) = line.strip_prefix("yusuan: ") {
                let _ = tx.send(url.trim_end_matches('/').to_string());
                sent = true;
            }
        }
    });
    let base = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let client = client_with(token);
    let start = Instant::now();
    loop {
        let health: serde_json::Value = client
            .get(format!("{base}/api/health"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        // Counts are for readers only (anonymous reading is off here): "ok" once the first start is indexed.
        if health["status"] == "ok" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "first start did not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, base)
}

#[test]
fn a_server_killed_during_link_decisions_keeps_every_acknowledged_decision() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = linked_corpus(dir.path());
    let data = dir.path().join("index");
    let token = staff_token(&data, &corpus);
    let (mut server, base) = serve(&data, &corpus, &token);
    let client = client_with(&token);
    let docs: Vec<String> = {
        let r: serde_json::Value = client
            .get(format!("{base}/api/search?unit=document&limit=50&q=预算"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["doc_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(docs.len() >= 3, "{docs:?}");
    // Leaf subjects (项): a filter on one matches that subject only.
    let leaves: Vec<String> = std::fs::read_to_string(corpus.join("reference/subjects.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter(|c| c.len() == 7)
        .map(str::to_string)
        .collect();
    // Every request decides on a pair of its own: (document, subject), confirm or reject.
    let plan: Vec<(String, String, &str)> = leaves
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let action = if i % 3 == 2 { "reject" } else { "confirm" };
            (docs[i % docs.len()].clone(), code.clone(), action)
        })
        .collect();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let sender = {
        let acked = acked.clone();
        let base = base.clone();
        let token = token.clone();
        std::thread::spawn(move || {
            let client = client_with(&token);
            for (doc, code, action) in plan {
                let r = client
                    .post(format!("{base}/api/documents/{}/links", enc(&doc)))
                    .json(&serde_json::json!({
                        "target": format!("subject:{code}"),
                        "action": action,
                    }))
                    .send();
                match r {
                    Ok(r) if r.status().is_success() => {
                        acked.lock().unwrap().push((doc, code, action));
                    }
                    Ok(r) => panic!("decision refused: {} {:?}", r.status(), r.text()),
                    // The server is gone.
                    Err(_) => break,
                }
            }
        })
    };
    let start = Instant::now();
    while acked.lock().unwrap().len() < 25 {
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "decisions are not acknowledged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(kill(&mut server), "the server stopped by itself");
    sender.join().unwrap();
    let acked = acked.lock().unwrap().clone();

    let lib = Library::open(Config::new(&data, &corpus)).unwrap();
    assert_consistent(&lib);
    for (doc, code, action) in &acked {
        let id = DocId(doc.clone());
        let verdict = if *action == "reject" {
            Verdict::Rejected
        } else {
            Verdict::Confirmed
        };
        let decisions = lib.store().decisions_of(&id).unwrap();
        assert!(
            decisions
                .iter()
                .any(|d| d.target == Target::Subject(code.clone()) && d.verdict == verdict),
            "acknowledged decision {action} {code} on {doc} was lost ({} acknowledged)",
            acked.len()
        );
        // The index agrees with the store: a confirmed subject finds the document, a rejected one does not.
        let hits = search(
            &lib,
            &SearchRequest {
                filters: Filters {
                    subjects: vec![code.clone()],
                    ..Filters::default()
                },
                unit: Unit::Document,
                limit: 200,
                scope: yusuan::model::Scope::All,
                ..SearchRequest::default()
            },
        )
        .unwrap();
        let found = hits.hits.iter().any(|h| h.doc_id == id);
        assert_eq!(
            found,
            verdict == Verdict::Confirmed,
            "{action} {code} on {doc}"
        );
    }
    // The store's view of every touched document equals what the index holds for it.
    for doc in acked.iter().map(|(d, _, _)| d).collect::<BTreeSet<_>>() {
        let id = DocId(doc.clone());
        let d = lib.store().get_meta(&id).unwrap().unwrap();
        let tags = yusuan::linking::tags_for(&lib, &d).unwrap();
        for code in &tags.subjects {
            let hits = search(
                &lib,
                &SearchRequest {
                    filters: Filters {
                        subjects: vec![code.clone()],
                        ..Filters::default()
                    },
                    unit: Unit::Document,
                    limit: 200,
                    scope: yusuan::model::Scope::All,
                    ..SearchRequest::default()
                },
            )
            .unwrap();
            assert!(hits.hits.iter().any(|h| h.doc_id == id), "{code} on {doc}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Backup and restore

/// Everything a restored folder must reproduce.
#[derive(Debug, PartialEq)]
struct Contents {
    /// doc id → (content hash, article ids).
    docs: BTreeMap<DocId, (String, Vec<String>)>,
    proposals: Vec<yusuan::proposals::model::Proposal>,
    events: BTreeMap<ProposalId, Vec<yusuan::proposals::model::Event>>,
    decisions: BTreeMap<DocId, Vec<yusuan::link::decision::Decision>>,
}

fn contents(lib: &Library) -> Contents {
    let mut docs = BTreeMap::new();
    let mut decisions = BTreeMap::new();
    for id in lib.store().doc_ids().unwrap() {
        let d = lib.store().get_meta(&id).unwrap().unwrap();
        let articles = lib
            .store()
            .articles_of(&id)
            .unwrap()
            .into_iter()
            .map(|a| format!("{} {}", a.id, a.text))
            .collect();
        docs.insert(id.clone(), (d.content_hash, articles));
        let ds = lib.store().decisions_of(&id).unwrap();
        if !ds.is_empty() {
            decisions.insert(id, ds);
        }
    }
    Contents {
        docs,
        proposals: lib.store().all_proposals().unwrap(),
        events: lib.store().all_events().unwrap(),
        decisions,
    }
}

const QUERIES: &[&str] = &[
    "预算",
    "绩效管理",
    "教育",
    "审查监督",
    "\"预算草案\"",
    "建议 答复",
];

/// (total, hit ids) of each query, by document and by best unit; in rank order if `ordered`, else sorted
/// (the ranking of equal matches may shift with the number of documents).
fn answers(lib: &Library, ordered: bool) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for q in QUERIES {
        for unit in [Unit::Document, Unit::Best] {
            let r = search(
                lib,
                &SearchRequest {
                    q: q.to_string(),
                    unit,
                    limit: 200,
                    scope: yusuan::model::Scope::All,
                    ..SearchRequest::default()
                },
            )
            .unwrap();
            let mut ids: Vec<String> = r.hits.into_iter().map(|h| h.id).collect();
            if !ordered {
                if r.total > ids.len() {
                    // Only the first page is compared: its members may differ; the total may not.
                    ids.clear();
                }
                ids.sort();
            }
            out.push((r.total, ids));
        }
    }
    out
}

/// A real server, and an administrator's API token for it.
fn admin_server(state: yusuan::web::AppState) -> (String, String) {
    let token = yusuan::auth::accounts::create_token(state.lib.store(), "admin", None, "backup")
        .unwrap()
        .1;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            yusuan::web::run(listener, state).await.unwrap();
        });
    });
    let base = format!(
        "http://{}",
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    );
    (base, token)
}

fn restored_config(dir: &Path, name: &str) -> Config {
    Config::new(dir.join(name), dir.join("corpus"))
}

#[test]
fn a_backup_taken_while_the_server_ingests_restores_to_the_same_library() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = linked_corpus(dir.path());
    let mut config = Config::new(dir.path().join("index"), &corpus);
    config.batch_docs = 20;
    let state = yusuan::web::start(config.clone()).unwrap();
    wait_idle(&state);
    let lib = state.lib.clone();
    // Proposals, an event and link decisions besides the corpus.
    let csv = dir.path().join("p.csv");
    let out = Command::new(EXE)
        .args(["gen", "proposals", "300", "--today", "2025-06-01", "--out"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success());
    yusuan::proposals::import_file(&lib, &csv).unwrap();
    let doc = lib.store().doc_ids().unwrap()[0].clone();
    for (code, verdict) in [
        ("2010101", Verdict::Confirmed),
        ("2050201", Verdict::Rejected),
    ] {
        yusuan::linking::decide(&lib, &doc, Target::Subject(code.into()), verdict, "测试员")
            .unwrap();
    }
    let before = contents(&lib);
    let (base, token) = admin_server(state.clone());
    let client = client_with(&token);

    // An upload of many small documents whose words match none of the test queries.
    let files: Vec<(String, String)> = (0..190)
        .map(|i| {
            (
                format!("上传样本{i:03}.md"),
                format!("# 上传样本{i}\n\n第一条 天地玄黄宇宙洪荒，编号{i}。\n\n第二条 日月盈昃辰宿列张，编号{i}。\n"),
            )
        })
        .collect();
    let parts: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(n, t)| ("file", n.as_str(), t.as_bytes()))
        .collect();
    let boundary = "faultsboundary";
    let r = client
        .post(format!("{base}/api/ingest"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(multipart(boundary, &parts))
        .send()
        .unwrap();
    assert_eq!(r.status(), 202);
    let task: serde_json::Value = r.json().unwrap();
    let task_url = format!("{base}/api/tasks/{}", task["id"].as_str().unwrap());
    let start = Instant::now();
    loop {
        let t: serde_json::Value = client.get(&task_url).send().unwrap().json().unwrap();
        if t["status"] == "running" && t["done"].as_u64().unwrap_or(0) > 0 || t["status"] == "done"
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{t}");
        std::thread::sleep(Duration::from_millis(5));
    }
    let during = dir.path().join("backup-during");
    let r = client
        .post(format!("{base}/api/admin/backup"))
        .json(&serde_json::json!({ "dir": during }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text());
    // Files still unread after the backup: the last batch was not committed when it was taken.
    let t: serde_json::Value = client.get(&task_url).send().unwrap().json().unwrap();
    let still_running = t["status"] == "running" && t["done"].as_u64() < t["total"].as_u64();
    wait_idle(&state);
    let after = contents(&lib);
    let uploaded: BTreeSet<&DocId> = after
        .docs
        .keys()
        .filter(|id| !before.docs.contains_key(*id))
        .collect();
    assert_eq!(uploaded.len(), 190);

    // The backup taken during the upload: everything from before, a consistent part of the upload.
    let cfg = restored_config(dir.path(), "restored-during");
    let report = yusuan::backup::restore(&during, &cfg).unwrap();
    assert!(report.previous.is_none());
    let restored = Library::open(cfg).unwrap();
    assert_consistent(&restored);
    let got = contents(&restored);
    for (id, doc) in &got.docs {
        assert_eq!(
            after.docs.get(id),
            Some(doc),
            "{id} differs from the original"
        );
    }
    for id in before.docs.keys() {
        assert!(got.docs.contains_key(id), "{id} is missing from the backup");
    }
    assert_eq!(got.proposals, before.proposals);
    assert_eq!(got.events, before.events);
    assert_eq!(got.decisions, before.decisions);
    let restored_uploads = got.docs.len() - before.docs.len();
    if still_running {
        assert!(
            restored_uploads < 190,
            "the backup was not taken during the upload"
        );
    }
    let marker = search(
        &restored,
        &SearchRequest {
            q: "天地玄黄".into(),
            unit: Unit::Document,
            limit: 0,
            scope: yusuan::model::Scope::All,
            ..SearchRequest::default()
        },
    )
    .unwrap();
    assert_eq!(marker.total, restored_uploads);
    // The queries match none of the uploaded documents: the answers are those of the original.
    assert_eq!(answers(&restored, false), answers(&lib, false));
    drop(restored);

    // A backup through the command line and the server, after the upload: an exact copy.
    let idle = dir.path().join("backup-idle");
    let out = yusuan(&config.data_dir, &corpus)
        .arg("backup")
        .arg(&idle)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the data folder is in use");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--server"), "{err}");
    let out = yusuan(&config.data_dir, &corpus)
        .arg("backup")
        .arg(&idle)
        .args(["--server", &base, "--token", &token])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("已备份到"));
    let target = dir.path().join("restored-idle");
    std::fs::create_dir_all(target.join("old-content")).unwrap();
    let out = yusuan(&target, &corpus)
        .arg("restore")
        .arg(&idle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = Library::open(restored_config(dir.path(), "restored-idle")).unwrap();
    assert_consistent(&restored);
    assert_eq!(contents(&restored), after);
    assert_eq!(answers(&restored, true), answers(&lib, true));
    assert_eq!(restored.store().count_proposals(), before.proposals.len());
    assert!(before.proposals.len() >= 300);
    drop(restored);
    // The folder that was there is kept beside it.
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("restored-idle.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(dir.path().join(&kept[0]).join("old-content").is_dir());

    // A folder no process uses is backed up by the command itself.
    let offline = dir.path().join("backup-offline");
    let out = yusuan(&target, &corpus)
        .args(["backup", "--json"])
        .arg(&offline)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: yusuan::backup::Manifest = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(yusuan::backup::verify(&offline).unwrap(), m);
    assert_eq!(m.documents, after.docs.len());
    assert_eq!(m.proposals, after.proposals.len());

    // Restoring into the folder the server uses is refused.
    let e = yusuan::backup::restore(&idle, &config).unwrap_err();
    assert!(matches!(e, yusuan::error::Error::Locked(_)), "{e}");

    // A damaged backup is refused before anything is written.
    let dump = during.join("store.dump");
    let mut bytes = std::fs::read(&dump).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&dump, bytes).unwrap();
    let cfg = restored_config(dir.path(), "restored-damaged");
    let e = yusuan::backup::restore(&during, &cfg).unwrap_err();
    assert!(e.to_string().contains("store.dump"), "{e}");
    assert!(e.to_string().contains("checksum"), "{e}");
    assert!(!cfg.data_dir.exists());
    let out = yusuan(&cfg.data_dir, &corpus)
        .arg("restore")
        .arg(&during)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("校验和不符"));
}

/// The names and sizes of the files in a folder, to see that nothing was written.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A store that lost documents the search index holds (a region of it gone) is refused by every command with
/// a clear error, and the index, the last record of what was lost, is left as it was; a store whose bytes are
/// zeroed is refused as damaged, at once.
#[test]
fn a_store_that_lost_documents_or_was_zeroed_is_refused_and_nothing_is_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = linked_corpus(dir.path());
    let data = dir.path().join("data");
    let out = yusuan(&data, &corpus)
        .args(["ingest", corpus.join("samples").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pristine = dir.path().join("pristine");
    copy_dir(&data, &pristine);

    // One document's records vanish from the store; the index still has it.
    let lost = {
        let store = yusuan::store::Store::open(&data.join("store")).unwrap();
        let ids = store.doc_ids().unwrap();
        let id = ids[ids.len() / 2].clone();
        store.delete_document(&id).unwrap();
        store.flush().unwrap();
        id
    };
    let index_before = listing(&data.join("tantivy"));
    for args in [vec!["status"], vec!["search", "预算"]] {
        let out = yusuan(&data, &corpus).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(
            err.contains("数据存储缺少检索索引中已有的 1 篇文档") && err.contains(lost.as_str()),
            "{args:?}: {err}"
        );
        assert!(err.contains("yusuan restore"), "{err}");
    }
    assert_eq!(
        listing(&data.join("tantivy")),
        index_before,
        "the index is untouched"
    );

    // A zeroed region of the store's log: a clear error that names the damage, promptly.
    let zeroed = dir.path().join("zeroed");
    copy_dir(&pristine, &zeroed);
    let db = zeroed.join("store/db");
    let mut bytes = std::fs::read(&db).unwrap();
    let n = bytes.len();
    let (from, to) = (n / 10, (n / 10 + 200 * 1024).min(n));
    bytes[from..to].fill(0);
    std::fs::write(&db, bytes).unwrap();
    let started = std::time::Instant::now();
    let mut child = yusuan(&zeroed, &corpus)
        .arg("status")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("status did not end on a zeroed store");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success());
    assert!(
        err.contains("已损坏") || err.contains("数据存储缺少"),
        "{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Every applied execution batch is whole: its stored rows are the rows it reported.
fn assert_batches_whole(lib: &Library) -> usize {
    let mut applied = 0;
    for b in lib.store().execution_batches().unwrap() {
        let rows: usize = lib
            .store()
            .execution_chunks(&b.id)
            .unwrap()
            .iter()
            .map(|c| c.len())
            .sum();
        match b.status {
            yusuan::budget::execution::BatchStatus::Applied => {
                applied += 1;
                assert_eq!(rows, b.rows, "batch {} is not whole", b.id);
            }
            yusuan::budget::execution::BatchStatus::Rejected => assert_eq!(rows, 0),
        }
    }
    applied
}

#[test]
fn a_server_killed_during_an_execution_push_leaves_each_batch_absent_or_whole() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = linked_corpus(dir.path());
    let data = dir.path().join("index");
    let token = staff_token(&data, &corpus);
    let generated = dir.path().join("gen");
    let out = Command::new(EXE)
        .args(["gen", "execution", "--units", "400", "--out"])
        .arg(&generated)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut acknowledged = Vec::new();
    let mut killed_during = 0;
    for (round, delay_ms) in [40u64, 150, 400, 900].into_iter().enumerate() {
        let (mut server, base) = serve(&data, &corpus, &token);
        let body = std::fs::read(generated.join(format!("2025-{:02}.csv", round + 1))).unwrap();
        let id = format!("kill-{round}");
        let url = format!(
            "{base}/api/feed/batches?id={id}&seq={}&format=csv",
            round + 1
        );
        let client = client_with(&token);
        let pushing = std::thread::spawn(move || client.post(url).body(body).send());
        std::thread::sleep(Duration::from_millis(delay_ms));
        assert!(kill(&mut server), "the server stopped by itself");
        match pushing.join().unwrap() {
            Ok(r) if r.status().is_success() => acknowledged.push(id),
            Ok(r) => panic!("push answered {}: {}", r.status(), r.text().unwrap()),
            Err(_) => killed_during += 1,
        }
        let lib = Library::open(Config::new(&data, &corpus)).unwrap();
        assert_batches_whole(&lib);
        for id in &acknowledged {
            let b = lib.store().execution_batch(id).unwrap();
            assert!(b.is_some(), "acknowledged batch {id} is lost");
        }
    }
    assert!(
        killed_during > 0,
        "every push finished before its kill: make the batch larger"
    );
    // After the kills the server takes batches again and the columns build from what was kept.
    let (mut server, base) = serve(&data, &corpus, &token);
    let body = std::fs::read(generated.join("2025-12.csv")).unwrap();
    let r = client_with(&token)
        .post(format!(
            "{base}/api/feed/batches?id=after&seq=12&format=csv"
        ))
        .body(body)
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().unwrap());
    let v: serde_json::Value = client_with(&token)
        .get(format!("{base}/api/money/execution"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["dashboard"]["latest_month"], 12);
    kill(&mut server);
    let lib = Library::open(Config::new(&data, &corpus)).unwrap();
    assert!(assert_batches_whole(&lib) > acknowledged.len());
}

/// A server whose standard error nobody reads any more (`yusuan serve 2>&1 | head -1` after `head` exited, a log
/// collector that died): every write there fails with a broken pipe, and the server goes on serving.
#[test]
fn a_server_whose_log_reader_went_away_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(EXE)
        .arg("--index")
        .arg(dir.path().join("index"))
        .arg("--corpus")
        .arg(&corpus)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        // First start without a password: the one-time password is written to standard error.
        .env_remove("YUSUAN_ADMIN_PASSWORD")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before the server writes its first line.
    drop(child.stderr.take());
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::blocking::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/api/health")).send()
            && r.status() == reqwest::StatusCode::OK
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server died writing to a closed standard error"
        );
        assert!(start.elapsed() < Duration::from_secs(60), "no answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Requests are logged (to the broken pipe) and answered.
    for _ in 0..20 {
        let r = http
            .get(format!("{base}/api/search?q={}", enc("预算")))
            .send()
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        http.get(format!("{base}/api/health"))
            .send()
            .unwrap()
            .status(),
        reqwest::StatusCode::OK
    );
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_server_killed_while_comments_are_posted_keeps_every_acknowledged_comment_and_notice() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = linked_corpus(dir.path());
    let data = dir.path().join("index");
    let token = staff_token(&data, &corpus);
    let out = yusuan(&data, &corpus)
        .args([
            "user", "add", "qian", "--role", "deputy", "--deputy", "钱某",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (mut server, base) = serve(&data, &corpus, &token);
    let client = client_with(&token);
    let r: serde_json::Value = client
        .get(format!("{base}/api/search?unit=document&limit=1&q=预算"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let target = format!("doc:{}", r["hits"][0]["doc_id"].as_str().unwrap());
    let acked = Arc::new(Mutex::new(Vec::new()));
    let sender = {
        let (acked, base, token, target) =
            (acked.clone(), base.clone(), token.clone(), target.clone());
        std::thread::spawn(move || {
            let client = client_with(&token);
            // Twenty: the posting limit of one account per minute.
            for i in 0..20 {
                let r = client
                    .post(format!("{base}/api/comments"))
                    .json(&serde_json::json!({"target": target, "body": format!("第{i}条意见 @qian")}))
                    .send();
                match r {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let v: serde_json::Value = r.json().unwrap();
                        acked.lock().unwrap().push(v["id"].as_u64().unwrap());
                    }
                    Ok(r) => panic!("comment refused: {} {:?}", r.status(), r.text()),
                    Err(_) => break,
                }
            }
        })
    };
    let start = Instant::now();
    while acked.lock().unwrap().len() < 8 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "comments are not acknowledged"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(kill(&mut server), "the server stopped by itself");
    sender.join().unwrap();
    let acked = acked.lock().unwrap().clone();

    let lib = Library::open(Config::new(&data, &corpus)).unwrap();
    let t = yusuan::collab::model::Target::parse(&target).unwrap();
    let kept: BTreeSet<u64> = lib
        .store()
        .comments_on(&t)
        .unwrap()
        .iter()
        .map(|c| c.id.0)
        .collect();
    for id in &acked {
        assert!(
            kept.contains(id),
            "acknowledged comment {id} lost ({kept:?})"
        );
    }
    // Each acknowledged comment's mention reached the deputy's inbox.
    let notices = lib.store().notices("qian", None, 100).unwrap();
    for id in &acked {
        assert!(
            notices.iter().any(|n| n.comment.map(|c| c.0) == Some(*id)),
            "the notice of comment {id} was lost"
        );
    }
}

#[test]
fn a_server_killed_while_a_working_collection_grows_keeps_every_acknowledged_item() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = linked_corpus(dir.path());
    let data = dir.path().join("index");
    let token = staff_token(&data, &corpus);
    let (mut server, base) = serve(&data, &corpus, &token);
    let client = client_with(&token);
    let paper: serde_json::Value = client
        .post(format!("{base}/api/workpapers"))
        .json(&serde_json::json!({"title": "初审底稿"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = paper["id"].as_u64().unwrap();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let sender = {
        let (acked, base, token) = (acked.clone(), base.clone(), token.clone());
        std::thread::spawn(move || {
            let client = client_with(&token);
            for i in 0..400 {
                let r = client
                    .post(format!("{base}/api/workpapers/{id}"))
                    .json(&serde_json::json!({
                        "action": "add", "view": format!("/search?q=第{i}项"), "title": format!("第{i}项"),
                        "note": format!("批注{i}"),
                    }))
                    .send();
                match r {
                    Ok(r) if r.status().as_u16() == 200 => {
                        acked.lock().unwrap().push(format!("第{i}项"));
                    }
                    Ok(r) => panic!("item refused: {} {:?}", r.status(), r.text()),
                    Err(_) => break,
                }
            }
        })
    };
    let start = Instant::now();
    while acked.lock().unwrap().len() < 30 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "items are not acknowledged"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(kill(&mut server), "the server stopped by itself");
    sender.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() < 400, "the server was killed after every item");

    let lib = Library::open(Config::new(&data, &corpus)).unwrap();
    let kept = lib
        .store()
        .get_workpaper(yusuan::collab::model::WorkpaperId(id))
        .unwrap()
        .expect("the acknowledged collection is kept");
    let titles: Vec<String> = kept
        .items
        .iter()
        .map(|i| match &i.entry {
            yusuan::collab::workpapers::Entry::View { title, .. } => title.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    for t in &acked {
        assert!(
            titles.contains(t),
            "acknowledged item {t} lost ({} kept)",
            titles.len()
        );
    }
    // In the order they were added, each with its note.
    assert_eq!(&titles[..acked.len()], &acked[..]);
    assert!(kept.items.iter().all(|i| i.note.starts_with("批注")));
}
