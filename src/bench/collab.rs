//! The working-together benchmark: a generated history of accounts, documents and comments (threads with
//! replies and mentions, some items restricted), then each account's inbox and a sample of threads, read
//! through the library and through the web handlers in-process.

use crate::auth::accounts::User;
use crate::auth::{Role, Viewer};
use crate::collab::comments::{self, NewComment};
use crate::collab::inbox;
use crate::collab::model::{CommentId, Target};
use crate::collab::workpapers::{self as wp, Access as PaperAccess, Entry, Grantee};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Access, DocId};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// What was generated and how fast it reads.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CollabBench {
    pub accounts: usize,
    pub documents: usize,
    pub restricted_documents: usize,
    pub targets: usize,
    pub comments: usize,
    pub notices: usize,
    /// The largest thread.
    pub largest_thread: usize,
    /// Writing the history (comments and their notices, flushed every 2,000).
    pub seed_seconds: f64,
    pub comments_per_s: f64,
    pub store_mb: f64,
    /// `inbox::list` (first 50) and `unread_count`, for every account, in the library.
    pub inbox: super::cli::Latency,
    /// `GET /inbox` (the page) for every account, through the router with its audit line.
    pub inbox_page: super::cli::Latency,
    /// `comments::thread` of sampled items (half of them the largest threads).
    pub thread: super::cli::Latency,
    /// `GET /api/comments?target=` of the same items through the router.
    pub thread_api: super::cli::Latency,
    /// The page of an item with its comments (the 50 busiest and 50 others).
    pub thread_page: super::cli::Latency,
    /// Working collections generated, their items and shares.
    pub workpapers: usize,
    pub workpaper_items: usize,
    pub workpaper_shares: usize,
    pub workpaper_seed_seconds: f64,
    /// `workpapers::list` for every account (items counted within each one's scope).
    pub workpaper_list: super::cli::Latency,
    /// `GET /workpapers` for every account.
    pub workpaper_list_page: super::cli::Latency,
    /// `workpapers::open` of 300 collections by their owners.
    pub workpaper_open: super::cli::Latency,
    /// `GET /workpapers/{id}` of 100 collections by their owners.
    pub workpaper_page: super::cli::Latency,
    /// DOCX and PDF of 50 collections each, by their owners.
    pub export_docx: super::cli::Latency,
    pub export_pdf: super::cli::Latency,
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const PHRASES: &[&str] = &[
    "这一项支出的绩效目标不够具体",
    "请核对与上年决算的口径是否一致",
    "三公经费的压减幅度需要说明",
    "建议在审查报告中单列",
    "转移支付资金的下达进度偏慢",
    "政府债务余额与限额的对比见附表",
    "同意，已记录在审查意见中",
];

fn document(i: usize) -> String {
    format!(
        "# 示例预算管理办法第{i}号\n\n2020年1月1日 示例市人民政府发布\n\n<!-- INFO END -->\n\n第一条 为加强第{i}类预算资金管理，制定本办法。\n\n第二条 预算单位应当按照批准的预算执行，不得擅自调整。\n\n第三条 本办法自发布之日起施行。\n"
    )
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Generates `accounts` accounts (one in ten staff), `documents` documents of three articles (one in ten
/// restricted) and `comments` comments, then measures reading.
pub fn run(
    work: &Path,
    corpus: &Path,
    accounts: usize,
    documents: usize,
    comments: usize,
    workpapers: usize,
) -> Result<CollabBench> {
    let docs_dir = work.join("documents");
    std::fs::create_dir_all(&docs_dir).map_err(|e| Error::io(&docs_dir, e))?;
    for i in 0..documents {
        let p = docs_dir.join(format!("办法{i:05}.md"));
        std::fs::write(&p, document(i)).map_err(|e| Error::io(&p, e))?;
    }
    let lib = Arc::new(Library::open(Config::new(work.join("index"), corpus))?);
    let report = crate::pipeline::ingest(&lib, &[docs_dir], &|_| {})?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let doc_ids: Vec<DocId> = report.doc_ids.clone();
    let mut restricted = std::collections::HashSet::new();
    for (i, id) in doc_ids.iter().enumerate() {
        if i % 10 == 9 {
            crate::pipeline::set_access(&lib, id, Access::Restricted)?;
            restricted.insert(id.clone());
        }
    }
    // Targets: each document and each of its articles.
    let mut targets: Vec<(Target, bool)> = Vec::new();
    for id in &doc_ids {
        let secret = restricted.contains(id);
        targets.push((Target::Document(id.clone()), secret));
        for a in lib.store().articles_of(id)? {
            targets.push((Target::Article(a.id), secret));
        }
    }
    let users: Vec<User> = (0..accounts)
        .map(|i| {
            let staff = i % 10 == 0;
            User {
                name: format!("{}{i:04}", if staff { "staff" } else { "dep" }),
                role: if staff { Role::Staff } else { Role::Deputy },
                deputy: (!staff).then(|| format!("代表{i:04}")),
                // No password: these accounts cannot log in.
                password: String::new(),
                disabled: false,
                must_change: false,
                created: chrono::Utc::now(),
            }
        })
        .collect();
    for u in &users {
        lib.store().put_user(u)?;
    }
    let staff: Vec<&User> = users.iter().filter(|u| u.role == Role::Staff).collect();
    let viewers: Vec<Viewer> = users.iter().map(User::viewer).collect();

    // The history: skewed towards a few busy items; three in ten are replies, one in five names someone.
    let start = Instant::now();
    let base = chrono::Utc::now() - chrono::Duration::days(365);
    let mut on: Vec<Vec<CommentId>> = vec![Vec::new(); targets.len()];
    for i in 0..comments {
        let r = rng.below(1 << 20) as f64 / (1u64 << 20) as f64;
        let t = ((r * r * r) * targets.len() as f64) as usize % targets.len();
        let (target, secret) = &targets[t];
        let author = if *secret {
            let s = staff[rng.below(staff.len())];
            viewers
                .iter()
                .position(|v| v.user.as_deref() == Some(s.name.as_str()))
        } else {
            Some(rng.below(viewers.len()))
        }
        .unwrap_or(0);
        let parent = (!on[t].is_empty() && rng.chance(30)).then(|| on[t][rng.below(on[t].len())]);
        let mut body = PHRASES[rng.below(PHRASES.len())].to_string();
        if rng.chance(20) {
            body = format!("@{} {body}", users[rng.below(users.len())].name);
        }
        let c = comments::write(
            &lib,
            &viewers[author],
            NewComment {
                target: target.clone(),
                parent,
                body,
            },
            base + chrono::Duration::seconds(i as i64 * 300),
            &users,
        )?;
        on[t].push(c.id);
        if i % 2000 == 1999 {
            lib.store().flush()?;
        }
    }
    lib.store().flush()?;
    let seed_seconds = start.elapsed().as_secs_f64();

    let mut out = CollabBench {
        accounts,
        documents: doc_ids.len(),
        restricted_documents: restricted.len(),
        targets: targets.len(),
        comments,
        largest_thread: on.iter().map(Vec::len).max().unwrap_or(0),
        seed_seconds,
        comments_per_s: comments as f64 / seed_seconds.max(1e-9),
        ..CollabBench::default()
    };
    // Working collections: most by staff, some by deputies (of public items only), 5–40 items each with a
    // note on one in three; shared with one to three accounts, one in five with all staff and one in twenty
    // with all deputies. Shares go through `share` (with its notice); items are written directly.
    let start = Instant::now();
    let mut papers: Vec<(crate::collab::model::WorkpaperId, usize)> = Vec::new();
    for k in 0..workpapers {
        let owner = if rng.chance(80) {
            users
                .iter()
                .position(|u| u.name == staff[rng.below(staff.len())].name)
        } else {
            Some(rng.below(users.len()))
        }
        .unwrap_or(0);
        let ov = &viewers[owner];
        let mut paper = wp::create(&lib, ov, &format!("{}年预算审查底稿{k:04}", 2020 + k % 6))?;
        let n = 5 + rng.below(36);
        while paper.items.len() < n {
            let (target, secret) = &targets[rng.below(targets.len())];
            let entry = Entry::Item(target.clone());
            if (*secret && !ov.can(Role::Staff)) || paper.items.iter().any(|i| i.entry == entry) {
                continue;
            }
            paper.items.push(wp::Item {
                no: paper.next_no,
                entry,
                note: if rng.chance(33) {
                    PHRASES[rng.below(PHRASES.len())].to_string()
                } else {
                    String::new()
                },
                added_by: users[owner].name.clone(),
                added: chrono::Utc::now(),
            });
            paper.next_no += 1;
        }
        out.workpaper_items += paper.items.len();
        lib.store().put_workpaper(&paper)?;
        for _ in 0..1 + rng.below(3) {
            let to = rng.below(users.len());
            if to == owner {
                continue;
            }
            let access = if rng.chance(50) {
                PaperAccess::Read
            } else {
                PaperAccess::Edit
            };
            wp::share(
                &lib,
                ov,
                paper.id,
                Grantee::Account(users[to].name.clone()),
                Some(access),
            )?;
            out.workpaper_shares += 1;
        }
        for (role, percent) in [(Role::Staff, 20), (Role::Deputy, 5)] {
            if rng.chance(percent) {
                wp::share(
                    &lib,
                    ov,
                    paper.id,
                    Grantee::Role(role),
                    Some(PaperAccess::Read),
                )?;
                out.workpaper_shares += 1;
            }
        }
        papers.push((paper.id, owner));
    }
    lib.store().flush()?;
    out.workpapers = papers.len();
    out.workpaper_seed_seconds = start.elapsed().as_secs_f64();

    let mut notices = 0;
    let mut times = Vec::new();
    for v in &viewers {
        let t = Instant::now();
        let lines = inbox::list(&lib, v, None, 50)?;
        inbox::unread_count(&lib, v)?;
        times.push(ms(t));
        notices += lib
            .store()
            .notices(v.user.as_deref().unwrap_or(""), None, usize::MAX)?
            .len();
        std::hint::black_box(lines);
    }
    out.notices = notices;
    out.inbox = super::cli::Latency::of(times);

    // Threads: the 50 busiest items and 250 others; read by a staff member.
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(on[i].len()));
    let mut sample: Vec<usize> = order.iter().take(50).copied().collect();
    for _ in 0..250 {
        sample.push(rng.below(targets.len()));
    }
    let reader = Viewer {
        user: Some(staff[0].name.clone()),
        role: Role::Staff,
        deputy: None,
    };
    let mut times = Vec::new();
    for &i in &sample {
        let t = Instant::now();
        std::hint::black_box(comments::thread(&lib, &reader, &targets[i].0)?);
        times.push(ms(t));
    }
    out.thread = super::cli::Latency::of(times);

    // The same through the web handlers (in-process router, with the policy layer and its audit line).
    let state = crate::web::AppState::new(lib.clone())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io(work, e))?;
    let get = |uri: String, viewer: Viewer| -> Result<f64> {
        let router = crate::web::router(state.clone());
        rt.block_on(async move {
            let mut req = axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .map_err(|e| Error::Invalid(e.to_string()))?;
            req.extensions_mut().insert(viewer);
            let t = Instant::now();
            let resp = tower::ServiceExt::oneshot(router, req)
                .await
                .map_err(|e| Error::Invalid(e.to_string()))?;
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(|e| Error::Invalid(e.to_string()))?;
            let took = ms(t);
            if !status.is_success() {
                return Err(Error::Invalid(format!(
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                )));
            }
            Ok(took)
        })
    };
    let mut times = Vec::new();
    for v in &viewers {
        times.push(get("/inbox".into(), v.clone())?);
    }
    out.inbox_page = super::cli::Latency::of(times);
    let mut times = Vec::new();
    for &i in &sample {
        let uri = format!(
            "/api/comments?target={}",
            crate::web::params::encode_component(&targets[i].0.key())
        );
        times.push(get(uri, reader.clone())?);
    }
    out.thread_api = super::cli::Latency::of(times);
    let mut times = Vec::new();
    for &i in sample.iter().take(100) {
        let uri = match &targets[i].0 {
            Target::Document(id) => format!(
                "/documents/{}",
                crate::web::params::encode_component(id.as_str())
            ),
            Target::Article(id) => format!(
                "/articles/{}",
                crate::web::params::encode_component(id.as_str())
            ),
            _ => continue,
        };
        times.push(get(uri, reader.clone())?);
    }
    out.thread_page = super::cli::Latency::of(times);

    let mut times = Vec::new();
    for v in &viewers {
        let t = Instant::now();
        std::hint::black_box(wp::list(&lib, v)?);
        times.push(ms(t));
    }
    out.workpaper_list = super::cli::Latency::of(times);
    let mut times = Vec::new();
    for v in &viewers {
        times.push(get("/workpapers".into(), v.clone())?);
    }
    out.workpaper_list_page = super::cli::Latency::of(times);
    let sample: Vec<(crate::collab::model::WorkpaperId, usize)> = (0..300.min(papers.len() * 3))
        .map(|_| papers[rng.below(papers.len())])
        .collect();
    let mut times = Vec::new();
    for (id, owner) in &sample {
        let t = Instant::now();
        std::hint::black_box(wp::open(&lib, &viewers[*owner], *id)?);
        times.push(ms(t));
    }
    out.workpaper_open = super::cli::Latency::of(times);
    let mut times = Vec::new();
    for (id, owner) in sample.iter().take(100) {
        times.push(get(format!("/workpapers/{id}"), viewers[*owner].clone())?);
    }
    out.workpaper_page = super::cli::Latency::of(times);
    let (mut docx, mut pdf) = (Vec::new(), Vec::new());
    for (id, owner) in sample.iter().take(50) {
        let t = Instant::now();
        let paper = wp::printable(&lib, &viewers[*owner], *id)?;
        std::hint::black_box(crate::collab::export::docx(&paper).map_err(|e| Error::io(work, e))?);
        docx.push(ms(t));
        let t = Instant::now();
        let paper = wp::printable(&lib, &viewers[*owner], *id)?;
        std::hint::black_box(crate::collab::export::pdf(&paper));
        pdf.push(ms(t));
    }
    out.export_docx = super::cli::Latency::of(docx);
    out.export_pdf = super::cli::Latency::of(pdf);
    out.store_mb = crate::disk::folder_bytes(&work.join("index")) as f64 / 1e6;
    drop(state);
    lib.close()?;
    Ok(out)
}
