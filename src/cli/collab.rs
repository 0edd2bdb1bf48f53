//! The `comment`, `inbox` and `consult` commands: comments on an item, an account's inbox, deputies'
//! questions to the staff, and the deadline notices.

use crate::auth::Viewer;
use crate::collab::comments::{self, NewComment};
use crate::collab::model::{CommentId, Target};
use crate::collab::{consult, inbox};
use crate::library::Library;
use crate::outln;
use anyhow::{Result, anyhow};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum CommentCommand {
    /// The comments on an item in thread order: `doc:ID`, `art:ID`, `prop:ID` or `ask:N`.
    List {
        target: String,
        #[arg(long)]
        json: bool,
    },
    /// Post a comment as an account (`@name` notifies an account).
    Add {
        target: String,
        text: String,
        /// The account that writes it.
        #[arg(long = "as")]
        author: String,
        /// The comment this answers.
        #[arg(long)]
        reply_to: Option<u64>,
    },
    /// Remove a comment (as its author or an administrator).
    Remove {
        id: u64,
        #[arg(long = "as")]
        by: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsultCommand {
    /// The consultations an account may see (all for staff).
    List {
        #[arg(long = "as")]
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Ask the staff a question as an account.
    Ask {
        title: String,
        text: String,
        #[arg(long = "as")]
        account: String,
    },
}

/// The viewer of an active account named on the command line.
pub(super) fn viewer_of(lib: &Library, name: &str) -> Result<Viewer> {
    let user = lib
        .store()
        .get_user(name)?
        .ok_or_else(|| anyhow!("没有这个账号：{name}"))?;
    if user.disabled {
        return Err(anyhow!("账号 {name} 已停用"));
    }
    Ok(user.viewer())
}

fn target(key: &str) -> Result<Target> {
    Target::parse(key).ok_or_else(|| {
        anyhow!(
            "无法识别评论对象：{key}（应为 doc:文档ID、art:条文ID、prop:建议ID 或 ask:咨询编号）"
        )
    })
}

pub fn comment(lib: &Library, cmd: &CommentCommand) -> Result<()> {
    match cmd {
        CommentCommand::List { target: t, json } => {
            let thread = comments::thread(lib, &Viewer::operator(), &target(t)?)?;
            if *json {
                let out: Vec<_> = thread
                    .iter()
                    .map(|x| {
                        serde_json::json!({
                            "id": x.comment.id.0, "parent": x.comment.parent.map(|p| p.0),
                            "depth": x.depth, "author": x.comment.author, "body": x.comment.body,
                            "created": x.comment.created, "removed": x.comment.removed.is_some(),
                        })
                    })
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(());
            }
            if thread.is_empty() {
                outln!("（没有评论）");
            }
            for x in thread {
                let c = &x.comment;
                let indent = "  ".repeat(x.depth);
                let body = if c.removed.is_some() {
                    "（已删除）".to_string()
                } else {
                    c.body.replace('\n', &format!("\n{indent}  "))
                };
                outln!(
                    "{indent}#{} {} {}\n{indent}  {body}",
                    c.id,
                    c.author,
                    c.created.format("%Y-%m-%d %H:%M")
                );
            }
            Ok(())
        }
        CommentCommand::Add {
            target: t,
            text,
            author,
            reply_to,
        } => {
            let viewer = viewer_of(lib, author)?;
            let c = comments::post(
                lib,
                &viewer,
                NewComment {
                    target: target(t)?,
                    parent: reply_to.map(CommentId),
                    body: text.clone(),
                },
            )?;
            let named = if c.mentions.is_empty() {
                String::new()
            } else {
                format!("，提到 {}", c.mentions.join("、"))
            };
            outln!("已发表评论 #{}{named}", c.id);
            Ok(())
        }
        CommentCommand::Remove { id, by } => {
            let viewer = viewer_of(lib, by)?;
            let c = comments::remove(lib, &viewer, CommentId(*id))?;
            outln!("已删除评论 #{}", c.id);
            Ok(())
        }
    }
}

/// `yusuan inbox NAME`: the account's notices; `--read` marks them read; `--deadlines` first sends the
/// notices of proposals due within seven days.
pub fn inbox(lib: &Library, account: &str, read: bool, deadlines: bool, json: bool) -> Result<()> {
    if deadlines {
        let n = inbox::sweep_deadlines(lib, crate::proposals::today())?;
        outln!("办理期限提醒：新发 {n} 条");
    }
    let viewer = viewer_of(lib, account)?;
    let lines = inbox::list(lib, &viewer, None, 100)?;
    let unread = inbox::unread_count(lib, &viewer)?;
    if json {
        let out: Vec<_> = lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "seq": l.notice.seq, "kind": l.notice.kind, "target": l.notice.target.key(),
                    "title": l.title, "from": l.notice.from, "text": l.notice.text,
                    "at": l.notice.at, "read": l.notice.read,
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"unread": unread, "notices": out}))?
        );
    } else {
        outln!("{account}：{unread} 条未读");
        for l in &lines {
            outln!(
                "{} {} {} {} · {}《{}》 {}",
                if l.notice.read { " " } else { "●" },
                l.notice.at.format("%Y-%m-%d %H:%M"),
                l.notice.from,
                l.notice.kind.label(),
                l.notice.target.label(),
                l.title,
                l.notice.text
            );
        }
    }
    if read {
        let n = inbox::mark_read(lib, &viewer, None)?;
        outln!("已标为已读：{n} 条");
    }
    Ok(())
}

pub fn consult(lib: &Library, cmd: &ConsultCommand) -> Result<()> {
    match cmd {
        ConsultCommand::List { account, json } => {
            let viewer = viewer_of(lib, account)?;
            let list = consult::list(lib, &viewer)?;
            if *json {
                let out: Vec<_> = list
                    .iter()
                    .map(|l| {
                        serde_json::json!({
                            "id": l.consultation.id.0, "title": l.consultation.title,
                            "asker": l.consultation.asker, "created": l.consultation.created,
                            "closed": l.consultation.closed, "messages": l.messages, "answered": l.answered,
                        })
                    })
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(());
            }
            for l in list {
                let c = &l.consultation;
                let state = if c.closed {
                    "已结束"
                } else if l.answered {
                    "已答复"
                } else {
                    "待答复"
                };
                outln!(
                    "ask:{} {} {} {} 留言 {}",
                    c.id,
                    state,
                    c.asker,
                    c.title,
                    l.messages
                );
            }
            Ok(())
        }
        ConsultCommand::Ask {
            title,
            text,
            account,
        } => {
            let viewer = viewer_of(lib, account)?;
            let (c, _) = consult::ask(lib, &viewer, title, text)?;
            outln!("已提出咨询 ask:{}", c.id);
            Ok(())
        }
    }
}

/// `yusuan bench-collab`: the working-together benchmark on a scratch folder.
pub fn bench(
    work: &std::path::Path,
    corpus: &std::path::Path,
    accounts: usize,
    documents: usize,
    (comments, workpapers): (usize, usize),
    json: bool,
) -> Result<()> {
    super::budget::empty_scratch(work)?;
    let r = crate::bench::collab::run(work, corpus, accounts, documents, comments, workpapers)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    outln!(
        "{} accounts, {} documents ({} restricted), {} items; {} comments and {} notices written in {:.1} s ({:.0} comments/s); largest thread {}; store {:.0} MB",
        r.accounts,
        r.documents,
        r.restricted_documents,
        r.targets,
        r.comments,
        r.notices,
        r.seed_seconds,
        r.comments_per_s,
        r.largest_thread,
        r.store_mb
    );
    outln!(
        "{} working collections with {} items and {} shares, written in {:.1} s",
        r.workpapers,
        r.workpaper_items,
        r.workpaper_shares,
        r.workpaper_seed_seconds
    );
    for (name, l) in [
        ("inbox (library, first 50 + unread)", &r.inbox),
        ("GET /inbox (page)", &r.inbox_page),
        ("thread (library)", &r.thread),
        ("GET /api/comments (thread)", &r.thread_api),
        ("GET the item's page with comments", &r.thread_page),
        ("workpapers list (library)", &r.workpaper_list),
        ("GET /workpapers (page)", &r.workpaper_list_page),
        ("workpaper open (library)", &r.workpaper_open),
        ("GET /workpapers/{id} (page)", &r.workpaper_page),
        ("export DOCX", &r.export_docx),
        ("export PDF", &r.export_pdf),
    ] {
        outln!(
            "{name:<36} n {:>4}  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
            l.count,
            l.p50_ms,
            l.p95_ms,
            l.p99_ms,
            l.max_ms
        );
    }
    Ok(())
}

/// `yusuan answers`: the staff's marks as STARD lines.
pub fn answers(lib: &Library) -> Result<()> {
    for q in crate::collab::answers::labelled(lib)? {
        outln!(
            "{}",
            serde_json::json!({"query": q.query, "relevant": q.relevant})
        );
    }
    Ok(())
}
