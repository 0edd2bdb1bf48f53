//! The `workpaper` and `saved` commands: working collections (工作底稿) — list, create, add, show, share,
//! export — and saved searches, each acting as a named account within its scope.

use super::collab::viewer_of;
use crate::collab::alerts;
use crate::collab::export;
use crate::collab::model::{Target, WorkpaperId};
use crate::collab::workpapers::{self as wp, Access, Entry, Grantee};
use crate::library::Library;
use crate::outln;
use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum WorkpaperCommand {
    /// The collections an account owns or that are shared with it.
    List {
        #[arg(long = "as")]
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Create an empty collection.
    New {
        title: String,
        #[arg(long = "as")]
        account: String,
    },
    /// Add an item (`doc:ID`, `art:ID`, `prop:ID`) or a search address (`/search?q=…`) with a note.
    Add {
        id: u64,
        item: String,
        #[arg(long, default_value = "")]
        note: String,
        /// The title of a search address (its words by default).
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long = "as")]
        account: String,
    },
    /// A collection's items in order, as the account sees them.
    Show {
        id: u64,
        #[arg(long = "as")]
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Share with an account or a role (`role:staff`, `role:deputy`) to read or edit; `--access none` stops.
    Share {
        id: u64,
        to: String,
        /// read, edit or none.
        #[arg(long, default_value = "read")]
        access: String,
        #[arg(long = "as")]
        account: String,
    },
    /// Write the collection as DOCX or PDF, or its originals as a ZIP.
    Export {
        id: u64,
        /// docx, pdf or zip.
        #[arg(long, default_value = "docx")]
        format: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long = "as")]
        account: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SavedCommand {
    /// An account's saved searches.
    List {
        #[arg(long = "as")]
        account: String,
    },
    /// Save a search by its address (`/search?q=…&kind=…`); new documents it finds are announced in the
    /// account's inbox after each ingest.
    Add {
        url: String,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long = "as")]
        account: String,
    },
    /// Forget a saved search.
    Remove {
        id: u64,
        #[arg(long = "as")]
        account: String,
    },
}

fn entry(item: &str, title: &str) -> Result<Entry> {
    if item.starts_with('/') {
        let title = if title.is_empty() { item } else { title };
        return Ok(Entry::view(item, title)?);
    }
    let t = Target::parse(item).ok_or_else(|| {
        anyhow!(
            "无法识别条目：{item}（应为 doc:文档ID、art:条文ID、prop:建议ID 或 /search?… 地址）"
        )
    })?;
    Ok(Entry::item(t)?)
}

pub fn workpaper(lib: &Library, cmd: &WorkpaperCommand) -> Result<()> {
    match cmd {
        WorkpaperCommand::List { account, json } => {
            let list = wp::list(lib, &viewer_of(lib, account)?)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            if list.is_empty() {
                outln!("（没有工作底稿）");
            }
            for s in list {
                outln!(
                    "#{} {} · {} · {} · {} 项 · {}",
                    s.id,
                    s.title,
                    s.owner,
                    s.access.label(),
                    s.items,
                    s.updated.format("%Y-%m-%d %H:%M")
                );
            }
        }
        WorkpaperCommand::New { title, account } => {
            let p = wp::create(lib, &viewer_of(lib, account)?, title)?;
            outln!("已新建工作底稿 #{} {}", p.id, p.title);
        }
        WorkpaperCommand::Add {
            id,
            item,
            note,
            title,
            account,
        } => {
            let i = wp::add(
                lib,
                &viewer_of(lib, account)?,
                WorkpaperId(*id),
                entry(item, title)?,
                note,
            )?;
            outln!("已加入工作底稿 #{id}：第 {} 项", i.no);
        }
        WorkpaperCommand::Show { id, account, json } => {
            let o = wp::open(lib, &viewer_of(lib, account)?, WorkpaperId(*id))?;
            if *json {
                let items: Vec<_> = o
                    .items
                    .iter()
                    .map(|(i, title)| serde_json::json!({"no": i.no, "entry": i.entry, "title": title, "note": i.note}))
                    .collect();
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "id": o.paper.id, "title": o.paper.title, "owner": o.paper.owner,
                        "access": o.access, "items": items,
                    }))?
                );
                return Ok(());
            }
            outln!(
                "#{} {}（{}，{}）",
                o.paper.id,
                o.paper.title,
                o.paper.owner,
                o.access.label()
            );
            for (k, (i, title)) in o.items.iter().enumerate() {
                outln!("{:>3}. [{}] {title}", k + 1, i.entry.label());
                if !i.note.is_empty() {
                    outln!("     批注：{}", i.note.replace('\n', "\n     "));
                }
            }
        }
        WorkpaperCommand::Share {
            id,
            to,
            access,
            account,
        } => {
            let grantee = Grantee::parse(to).ok_or_else(|| anyhow!("无法识别共享对象：{to}"))?;
            let level = match access.as_str() {
                "none" => None,
                a => Some(
                    Access::parse(a)
                        .ok_or_else(|| anyhow!("权限只能是 read、edit 或 none：{a}"))?,
                ),
            };
            wp::share(
                lib,
                &viewer_of(lib, account)?,
                WorkpaperId(*id),
                grantee.clone(),
                level,
            )?;
            match level {
                Some(a) => outln!("已共享给 {}（{}）", grantee.label(), a.label()),
                None => outln!("已取消与 {} 的共享", grantee.label()),
            }
        }
        WorkpaperCommand::Export {
            id,
            format,
            out,
            account,
        } => {
            let viewer = viewer_of(lib, account)?;
            let id = WorkpaperId(*id);
            let bytes = match format.as_str() {
                "docx" => export::docx(&wp::printable(lib, &viewer, id)?)?,
                "pdf" => export::pdf(&wp::printable(lib, &viewer, id)?),
                "zip" => {
                    let z = wp::originals_zip(lib, &viewer, id)?;
                    for m in &z.missing {
                        outln!("未收入：{m}");
                    }
                    z.bytes
                }
                other => return Err(anyhow!("导出格式只能是 docx、pdf 或 zip：{other}")),
            };
            std::fs::write(out, &bytes).with_context(|| format!("无法写入 {}", out.display()))?;
            outln!("已导出 {}（{} 字节）", out.display(), bytes.len());
        }
    }
    Ok(())
}

pub fn saved(lib: &Library, cmd: &SavedCommand) -> Result<()> {
    match cmd {
        SavedCommand::List { account } => {
            let list = alerts::list(lib, &viewer_of(lib, account)?)?;
            if list.is_empty() {
                outln!("（没有保存的检索）");
            }
            for s in list {
                outln!("#{} {} {}", s.id, s.title, s.url);
            }
        }
        SavedCommand::Add {
            url,
            title,
            account,
        } => {
            let viewer = viewer_of(lib, account)?;
            let s =
                crate::web::workpapers::saved_from_url(lib, &viewer, url, title).map_err(|e| {
                    match e {
                        crate::web::error::AppError::BadRequest(m)
                        | crate::web::error::AppError::NotFound(m) => anyhow!(m),
                        other => anyhow!("无法保存检索：{other:?}"),
                    }
                })?;
            outln!("已保存检索 #{} {}", s.id, s.title);
        }
        SavedCommand::Remove { id, account } => {
            alerts::remove(lib, &viewer_of(lib, account)?, *id)?;
            outln!("已删除保存的检索 #{id}");
        }
    }
    Ok(())
}
