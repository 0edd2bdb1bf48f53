//! Working collections (工作底稿): an account collects documents, articles, proposals and searches into a
//! named, ordered list with a note on each, shares it with accounts or roles to read or to edit, and prints
//! it (DOCX, PDF) or takes the original files of its documents as one ZIP.
//!
//! Everything is read through the reader's scope: an item the reader may not open is neither listed, counted
//! nor printed for them, and stays where it is when they reorder the rest. Every change is flushed before it
//! is acknowledged.

use super::export::{Block, Paper};
use super::model::{Notice, NoticeKind, Target, WorkpaperId};
use super::{can_see, participant, title_of};
use crate::auth::{Role, Viewer};
use crate::error::{Error, Result};
use crate::library::Library;
use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::sync::Mutex;

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// The longest note on an item, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The most items in one collection.
pub const MAX_ITEMS: usize = 500;
/// The most shares of one collection.
pub const MAX_SHARES: usize = 50;
/// The most collections one account owns.
pub const MAX_OWNED: usize = 1000;
/// The most bytes of original files in one ZIP (it is built in memory).
pub const MAX_ZIP_BYTES: u64 = 256 << 20;

/// What an item is: something with a page of its own, or a search or view by its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A document, an article, a proposal, a number in a table or a finding.
    Item(Target),
    /// A search or another view of this site (a money table, a comparison), by its local address.
    View { url: String, title: String },
}

impl Entry {
    /// A view's entry, checked: a local address (`/…`, not `//…`) without control characters.
    pub fn view(url: &str, title: &str) -> Result<Entry> {
        let url = url.trim();
        if !url.starts_with('/')
            || url.starts_with("//")
            || url.contains('\\')
            || url.len() > 2000
            || url.chars().any(char::is_control)
        {
            return Err(Error::Invalid(format!(
                "只能收入本系统的检索或页面地址：{} (not a local address)",
                url.chars().take(80).collect::<String>()
            )));
        }
        let title = clean_line(title, MAX_TITLE_CHARS, "标题")
            .unwrap_or_else(|_| url.chars().take(MAX_TITLE_CHARS).collect());
        Ok(Entry::View {
            url: url.to_string(),
            title,
        })
    }

    /// An item's entry: a document, an article, a proposal, a number in a table or a finding.
    pub fn item(target: Target) -> Result<Entry> {
        match target {
            Target::Document(_)
            | Target::Article(_)
            | Target::Proposal(_)
            | Target::Cell(..)
            | Target::Finding(..) => Ok(Entry::Item(target)),
            other => Err(Error::Invalid(format!(
                "{}不能收入工作底稿 (not a document, article, proposal, number or finding)",
                other.label()
            ))),
        }
    }

    /// What kind of item, for people.
    pub fn label(&self) -> &'static str {
        match self {
            Entry::Item(t) => t.label(),
            Entry::View { url, .. } if url.starts_with("/search") => "检索",
            Entry::View { .. } => "页面",
        }
    }
}

/// One item in a collection; `no` stays with it when the order changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub no: u32,
    pub entry: Entry,
    pub note: String,
    pub added_by: String,
    pub added: DateTime<Utc>,
}

/// Who a collection is shared with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Grantee {
    Account(String),
    /// Every account with at least this role.
    Role(Role),
}

impl Grantee {
    /// `user:NAME` or `role:ROLE`, the key of forms and the store.
    pub fn key(&self) -> String {
        match self {
            Grantee::Account(n) => format!("user:{n}"),
            Grantee::Role(r) => format!("role:{}", r.as_str()),
        }
    }

    /// Parses `user:NAME`, `role:ROLE`, or a bare account name.
    pub fn parse(s: &str) -> Option<Grantee> {
        let s = s.trim();
        match s.split_once(':') {
            Some(("role", r)) => Role::parse(r)
                .filter(|r| matches!(r, Role::Deputy | Role::Staff | Role::Admin))
                .map(Grantee::Role),
            Some(("user", n)) if !n.trim().is_empty() => Some(Grantee::Account(n.trim().into())),
            None if !s.is_empty() && s.len() <= 64 => Some(Grantee::Account(s.into())),
            _ => None,
        }
    }

    /// For people: the account's name, or “全体工作人员”.
    pub fn label(&self) -> String {
        match self {
            Grantee::Account(n) => n.clone(),
            Grantee::Role(r) => format!("全体{}", r.label()),
        }
    }
}

impl TryFrom<String> for Grantee {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Grantee, String> {
        Grantee::parse(&s).ok_or_else(|| format!("not a grantee: {s:?}"))
    }
}

impl From<Grantee> for String {
    fn from(g: Grantee) -> String {
        g.key()
    }
}

/// What a share allows; the owner may also share, rename and delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Edit,
    Owner,
}

impl Access {
    pub fn label(self) -> &'static str {
        match self {
            Access::Read => "可阅读",
            Access::Edit => "可编辑",
            Access::Owner => "所有者",
        }
    }

    /// `read` or `edit` (or 可阅读/可编辑).
    pub fn parse(s: &str) -> Option<Access> {
        match s.trim() {
            "read" | "可阅读" => Some(Access::Read),
            "edit" | "可编辑" => Some(Access::Edit),
            _ => None,
        }
    }
}

/// One share of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub to: Grantee,
    pub access: Access,
}

/// A working collection as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workpaper {
    pub id: WorkpaperId,
    pub title: String,
    pub owner: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub items: Vec<Item>,
    pub next_no: u32,
    pub shares: Vec<Share>,
}

impl Workpaper {
    /// What `viewer` may do with it, if anything.
    pub fn access(&self, viewer: &Viewer) -> Option<Access> {
        let me = viewer.user.as_deref()?;
        if !viewer.can(Role::Deputy) {
            return None;
        }
        if me == self.owner {
            return Some(Access::Owner);
        }
        self.shares
            .iter()
            .filter(|s| match &s.to {
                Grantee::Account(n) => n == me,
                Grantee::Role(r) => viewer.can(*r),
            })
            .map(|s| s.access)
            .max()
    }

    /// The grantee keys the store lists it under: the owner and every share.
    pub fn readers(&self) -> Vec<String> {
        let mut out = vec![Grantee::Account(self.owner.clone()).key()];
        out.extend(self.shares.iter().map(|s| s.to.key()));
        out.sort();
        out.dedup();
        out
    }
}

/// A collection as one reader sees it: only the items they may open, and what they may do.
#[derive(Debug, Clone)]
pub struct Opened {
    pub paper: Workpaper,
    pub access: Access,
    /// The visible items with their titles.
    pub items: Vec<(Item, String)>,
}

/// A line in the list of collections.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: WorkpaperId,
    pub title: String,
    pub owner: String,
    pub access: Access,
    /// Items the reader may open.
    pub items: usize,
    pub updated: DateTime<Utc>,
}

/// One change at a time per process: each is a read, a check and a write of one record.
static CHANGING: Mutex<()> = Mutex::new(());

fn clean_line(s: &str, max: usize, what: &str) -> Result<String> {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err(Error::Invalid(format!("{what}不能为空")));
    }
    let n = s.chars().count();
    if n > max {
        return Err(Error::Invalid(format!(
            "{what}不能超过 {max} 字（现有 {n} 字）"
        )));
    }
    Ok(s)
}

fn clean_note(s: &str) -> Result<String> {
    let s: String = s
        .replace("\r\n", "\n")
        .chars()
        .filter(|&c| c == '\n' || !c.is_control())
        .collect();
    let s = s.trim().to_string();
    let n = s.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(Error::Invalid(format!(
            "批注不能超过 {MAX_NOTE_CHARS} 字（现有 {n} 字）"
        )));
    }
    Ok(s)
}

fn not_found(id: WorkpaperId) -> Error {
    Error::NotFound(format!("工作底稿 {id}"))
}

/// The collection with the viewer's access, or not found (also when they have none).
fn load(lib: &Library, viewer: &Viewer, id: WorkpaperId) -> Result<(Workpaper, Access)> {
    let paper = lib
        .store()
        .get_workpaper(id)?
        .ok_or_else(|| not_found(id))?;
    let access = paper.access(viewer).ok_or_else(|| not_found(id))?;
    Ok((paper, access))
}

fn need(access: Access, at_least: Access, what: &str) -> Result<()> {
    if access < at_least {
        return Err(Error::Denied(format!("没有{what}这份工作底稿的权限")));
    }
    Ok(())
}

/// Whether the viewer may open an item.
fn visible(lib: &Library, viewer: &Viewer, entry: &Entry) -> Result<bool> {
    match entry {
        Entry::Item(t) => can_see(lib, t, viewer),
        Entry::View { .. } => Ok(true),
    }
}

fn save(lib: &Library, paper: &Workpaper) -> Result<()> {
    let _writing = lib.writing();
    lib.store().put_workpaper(paper)?;
    lib.store().flush()
}

/// Creates an empty collection owned by the viewer.
pub fn create(lib: &Library, viewer: &Viewer, title: &str) -> Result<Workpaper> {
    let owner = participant(viewer)?;
    let title = clean_line(title, MAX_TITLE_CHARS, "标题")?;
    let _one = CHANGING.lock().unwrap_or_else(|p| p.into_inner());
    let owned = lib
        .store()
        .workpapers_of(&[Grantee::Account(owner.clone()).key()])?
        .into_iter()
        .filter(|p| p.owner == owner)
        .count();
    if owned >= MAX_OWNED {
        return Err(Error::Invalid(format!(
            "每个账号最多 {MAX_OWNED} 份工作底稿"
        )));
    }
    let now = Utc::now();
    let paper = Workpaper {
        id: WorkpaperId(lib.store().next_id()?),
        title,
        owner,
        created: now,
        updated: now,
        items: Vec::new(),
        next_no: 1,
        shares: Vec::new(),
    };
    save(lib, &paper)?;
    Ok(paper)
}

/// The collections the viewer owns or that are shared with them, most recently changed first.
pub fn list(lib: &Library, viewer: &Viewer) -> Result<Vec<Summary>> {
    let Some(me) = viewer.user.clone() else {
        return Ok(Vec::new());
    };
    let mut keys = vec![Grantee::Account(me).key()];
    for r in [Role::Deputy, Role::Staff, Role::Admin] {
        if viewer.can(r) {
            keys.push(Grantee::Role(r).key());
        }
    }
    let mut out = Vec::new();
    // Staff see everything; for a narrower scope each item is looked up once, however many collections
    // hold it.
    let everything = matches!(viewer.scope(), crate::model::Scope::All);
    let mut seen: std::collections::HashMap<Target, bool> = std::collections::HashMap::new();
    for paper in lib.store().workpapers_of(&keys)? {
        let Some(access) = paper.access(viewer) else {
            continue;
        };
        let mut items = 0;
        for i in &paper.items {
            let shown = match &i.entry {
                Entry::Item(t) if !everything => match seen.get(t) {
                    Some(&v) => v,
                    None => {
                        let v = can_see(lib, t, viewer)?;
                        seen.insert(t.clone(), v);
                        v
                    }
                },
                _ => true,
            };
            if shown {
                items += 1;
            }
        }
        out.push(Summary {
            id: paper.id,
            title: paper.title,
            owner: paper.owner,
            access,
            items,
            updated: paper.updated,
        });
    }
    out.sort_by(|a, b| b.updated.cmp(&a.updated).then(b.id.cmp(&a.id)));
    Ok(out)
}

/// The title of an entry as its page shows it.
pub fn entry_title(lib: &Library, entry: &Entry) -> Result<String> {
    match entry {
        Entry::Item(t) => title_of(lib, t),
        Entry::View { title, .. } => Ok(title.clone()),
    }
}

/// Opens a collection as the viewer sees it.
pub fn open(lib: &Library, viewer: &Viewer, id: WorkpaperId) -> Result<Opened> {
    let (paper, access) = load(lib, viewer, id)?;
    let mut items = Vec::new();
    for i in &paper.items {
        if visible(lib, viewer, &i.entry)? {
            items.push((i.clone(), entry_title(lib, &i.entry)?));
        }
    }
    Ok(Opened {
        paper,
        access,
        items,
    })
}

/// Runs one change on a collection the viewer may edit (at least `at_least`), and saves it.
fn change<T>(
    lib: &Library,
    viewer: &Viewer,
    id: WorkpaperId,
    at_least: Access,
    what: &str,
    f: impl FnOnce(&mut Workpaper) -> Result<T>,
) -> Result<T> {
    participant(viewer)?;
    let _one = CHANGING.lock().unwrap_or_else(|p| p.into_inner());
    let (mut paper, access) = load(lib, viewer, id)?;
    need(access, at_least, what)?;
    let out = f(&mut paper)?;
    paper.updated = Utc::now();
    save(lib, &paper)?;
    Ok(out)
}

/// Adds an item at the end, with a note. An item already in the collection is refused.
pub fn add(
    lib: &Library,
    viewer: &Viewer,
    id: WorkpaperId,
    entry: Entry,
    note: &str,
) -> Result<Item> {
    let who = participant(viewer)?;
    let note = clean_note(note)?;
    if !visible(lib, viewer, &entry)? {
        return Err(Error::NotFound(entry.label().to_string()));
    }
    change(lib, viewer, id, Access::Edit, "编辑", |paper| {
        if paper.items.iter().any(|i| i.entry == entry) {
            return Err(Error::Invalid("这一项已在这份工作底稿中".into()));
        }
        if paper.items.len() >= MAX_ITEMS {
            return Err(Error::Invalid(format!("一份工作底稿最多 {MAX_ITEMS} 项")));
        }
        let item = Item {
            no: paper.next_no,
            entry,
            note,
            added_by: who,
            added: Utc::now(),
        };
        paper.next_no += 1;
        paper.items.push(item.clone());
        Ok(item)
    })
}

fn position(paper: &Workpaper, no: u32) -> Result<usize> {
    paper
        .items
        .iter()
        .position(|i| i.no == no)
        .ok_or_else(|| Error::NotFound(format!("工作底稿 {} 的第 {no} 项", paper.id)))
}

/// Replaces an item's note.
pub fn set_note(
    lib: &Library,
    viewer: &Viewer,
    id: WorkpaperId,
    no: u32,
    note: &str,
) -> Result<()> {
    let note = clean_note(note)?;
    change(lib, viewer, id, Access::Edit, "编辑", |paper| {
        let at = position(paper, no)?;
        if !visible(lib, viewer, &paper.items[at].entry)? {
            return Err(Error::NotFound(format!("第 {no} 项")));
        }
        paper.items[at].note = note;
        Ok(())
    })
}

/// Takes an item out.
pub fn remove_item(lib: &Library, viewer: &Viewer, id: WorkpaperId, no: u32) -> Result<()> {
    change(lib, viewer, id, Access::Edit, "编辑", |paper| {
        let at = position(paper, no)?;
        if !visible(lib, viewer, &paper.items[at].entry)? {
            return Err(Error::NotFound(format!("第 {no} 项")));
        }
        paper.items.remove(at);
        Ok(())
    })
}

/// Moves an item one place up or down among the items the viewer sees (the others keep their places).
pub fn move_item(lib: &Library, viewer: &Viewer, id: WorkpaperId, no: u32, up: bool) -> Result<()> {
    change(lib, viewer, id, Access::Edit, "编辑", |paper| {
        let mut seen = Vec::new();
        for (k, i) in paper.items.iter().enumerate() {
            if visible(lib, viewer, &i.entry)? {
                seen.push(k);
            }
        }
        let at = position(paper, no)?;
        let Some(k) = seen.iter().position(|&s| s == at) else {
            return Err(Error::NotFound(format!("第 {no} 项")));
        };
        let other = if up {
            k.checked_sub(1)
        } else {
            Some(k + 1).filter(|&n| n < seen.len())
        };
        if let Some(o) = other {
            paper.items.swap(at, seen[o]);
        }
        Ok(())
    })
}

/// Renames a collection.
pub fn rename(lib: &Library, viewer: &Viewer, id: WorkpaperId, title: &str) -> Result<()> {
    let title = clean_line(title, MAX_TITLE_CHARS, "标题")?;
    change(lib, viewer, id, Access::Edit, "编辑", |paper| {
        paper.title = title;
        Ok(())
    })
}

/// Shares a collection (its owner only), or with `None` stops sharing it. An account told of a new share
/// finds it in its inbox.
pub fn share(
    lib: &Library,
    viewer: &Viewer,
    id: WorkpaperId,
    to: Grantee,
    access: Option<Access>,
) -> Result<()> {
    let me = participant(viewer)?;
    if let Grantee::Account(name) = &to {
        let active = lib
            .store()
            .get_user(name)?
            .is_some_and(|u| !u.disabled && u.role >= Role::Deputy);
        if !active && access.is_some() {
            return Err(Error::Invalid(format!("没有这个账号：{name}")));
        }
        if *name == me {
            return Err(Error::Invalid("不必与自己共享".into()));
        }
    }
    if access == Some(Access::Owner) {
        return Err(Error::Invalid("只能共享为可阅读或可编辑".into()));
    }
    let (title, newly) = change(lib, viewer, id, Access::Owner, "共享", |paper| {
        let before = paper.shares.iter().position(|s| s.to == to);
        let newly = match (before, access) {
            (Some(k), None) => {
                paper.shares.remove(k);
                false
            }
            (Some(k), Some(a)) => {
                let changed = paper.shares[k].access != a;
                paper.shares[k].access = a;
                changed
            }
            (None, Some(a)) => {
                if paper.shares.len() >= MAX_SHARES {
                    return Err(Error::Invalid(format!("最多共享给 {MAX_SHARES} 个对象")));
                }
                paper.shares.push(Share {
                    to: to.clone(),
                    access: a,
                });
                true
            }
            (None, None) => false,
        };
        Ok((paper.title.clone(), newly))
    })?;
    if let (true, Grantee::Account(name), Some(a)) = (newly, &to, access) {
        let store = lib.store();
        let _writing = lib.writing();
        store.put_notice(&Notice {
            seq: store.next_id()?,
            to: name.clone(),
            kind: NoticeKind::Shared,
            target: Target::Workpaper(id),
            comment: None,
            from: me,
            text: format!("《{title}》（{}）", a.label()),
            at: Utc::now(),
            read: false,
        })?;
        store.flush()?;
    }
    Ok(())
}

/// Deletes a collection (its owner or an administrator).
pub fn delete(lib: &Library, viewer: &Viewer, id: WorkpaperId) -> Result<()> {
    participant(viewer)?;
    let _one = CHANGING.lock().unwrap_or_else(|p| p.into_inner());
    let paper = lib
        .store()
        .get_workpaper(id)?
        .ok_or_else(|| not_found(id))?;
    match paper.access(viewer) {
        Some(Access::Owner) => {}
        _ if viewer.can(Role::Admin) => {}
        Some(_) => return Err(Error::Denied("只有所有者或管理员可以删除工作底稿".into())),
        None => return Err(not_found(id)),
    }
    let _writing = lib.writing();
    lib.store().delete_workpaper(&paper)?;
    lib.store().flush()
}

fn date(d: DateTime<Utc>) -> String {
    d.with_timezone(&Local).format("%Y-%m-%d").to_string()
}

/// The page an item is found at, as printed in its source line.
fn item_url(entry: &Entry) -> String {
    match entry {
        Entry::Item(Target::Document(id)) => format!("/documents/{}", id.as_str()),
        Entry::Item(Target::Article(id)) => format!("/articles/{}", id.as_str()),
        Entry::Item(Target::Proposal(id)) => format!("/proposals/{}", id.as_str()),
        Entry::Item(Target::Cell(doc, at)) => {
            format!("/documents/{}/cells/{}", doc.as_str(), at.anchor())
        }
        Entry::Item(Target::Finding(doc, key)) => {
            format!("/documents/{}/findings/{key}", doc.as_str())
        }
        Entry::Item(t) => t.key(),
        Entry::View { url, .. } => url.clone(),
    }
}

/// The most characters of a document's text printed under its heading.
const PRINTED_DOCUMENT_CHARS: usize = 600;

/// A collection as a paper to print, with what the viewer may open: each item's heading, its text (an
/// article's whole text, the start of a document, a proposal's text), the note, and where it comes from.
pub fn printable(lib: &Library, viewer: &Viewer, id: WorkpaperId) -> Result<Paper> {
    let opened = open(lib, viewer, id)?;
    let scope = viewer.scope();
    let store = lib.store();
    let mut blocks = Vec::new();
    for (n, (item, title)) in opened.items.iter().enumerate() {
        let (text, source) = match &item.entry {
            Entry::Item(Target::Article(aid)) => match lib.article(aid, &scope)? {
                Some((a, d)) => (
                    a.text,
                    format!(
                        "{} · {} · {}",
                        d.title,
                        d.validity_in(&scope).label(),
                        d.date().map(|d| d.to_string()).unwrap_or_default()
                    ),
                ),
                None => continue,
            },
            Entry::Item(Target::Document(did)) => match lib.meta(did, &scope)? {
                Some(d) => {
                    let mut t: String = d.body.chars().take(PRINTED_DOCUMENT_CHARS).collect();
                    if d.body.chars().count() > PRINTED_DOCUMENT_CHARS {
                        t.push('…');
                    }
                    let mut src = vec![d.kind.label().to_string()];
                    src.extend(d.issuer.clone());
                    src.extend(d.doc_number.clone());
                    src.extend(d.date().map(|d| d.to_string()));
                    (t, src.join(" · "))
                }
                None => continue,
            },
            Entry::Item(Target::Proposal(pid)) => match store.get_proposal(pid)? {
                Some(p) => (
                    p.text.clone(),
                    format!("{} · 领衔代表 {} · {}", p.session.name, p.lead, p.number),
                ),
                None => continue,
            },
            Entry::Item(Target::Cell(doc, at)) => match lib.meta(doc, &scope)? {
                Some(d) => (cell_text(lib, doc, *at)?, d.title),
                None => continue,
            },
            Entry::Item(Target::Finding(doc, key)) => {
                let Some(d) = lib.meta(doc, &scope)? else {
                    continue;
                };
                let found = crate::budget::alerts::findings(lib, doc, &scope)?
                    .unwrap_or_default()
                    .into_iter()
                    .find(|f| &f.key == key);
                match found {
                    Some(f) => (
                        format!("【{}·{}】{}", f.severity.label(), f.status(), f.message),
                        d.title,
                    ),
                    None => ("（这条预警在规则或数据更新后已不再出现）".into(), d.title),
                }
            }
            Entry::Item(_) => continue,
            Entry::View { .. } => (String::new(), item.entry.label().to_string()),
        };
        blocks.push(Block::Heading(format!("{}. {title}", n + 1)));
        if !text.trim().is_empty() {
            blocks.push(Block::Text(text));
        }
        if !item.note.is_empty() {
            blocks.push(Block::Note(item.note.clone()));
        }
        blocks.push(Block::Source(format!(
            "出处：{source} · {}",
            item_url(&item.entry)
        )));
    }
    Ok(Paper {
        title: opened.paper.title.clone(),
        subtitle: format!(
            "{} 整理 · {} 导出 · 共 {} 项",
            opened.paper.owner,
            date(Utc::now()),
            opened.items.len()
        ),
        blocks,
    })
}

/// A number as printed: its table, its row's labels, the cell, and the amount read from it.
fn cell_text(lib: &Library, doc: &crate::model::DocId, at: super::model::CellAt) -> Result<String> {
    Ok(
        match crate::budget::query::cell_info(lib, doc, at.table, at.row, at.col)? {
            None => "（表格已不在）".into(),
            Some(c) => {
                let amount = c
                    .fact
                    .map(|f| format!("（{} {} 万元）", f.column, f.amount))
                    .unwrap_or_default();
                format!("{}：{} → {}{amount}", c.table_title, c.row_label, c.text)
            }
        },
    )
}

/// What a ZIP of originals holds.
#[derive(Debug, Clone, Default)]
pub struct Originals {
    /// The collection's title.
    pub title: String,
    pub bytes: Vec<u8>,
    pub files: usize,
    /// Items whose original could not be added, with why.
    pub missing: Vec<String>,
}

/// The original files of the collection's documents (an article brings its law's file, once) as one ZIP,
/// numbered in the collection's order, with a list of what could not be included.
pub fn originals_zip(lib: &Library, viewer: &Viewer, id: WorkpaperId) -> Result<Originals> {
    let opened = open(lib, viewer, id)?;
    let scope = viewer.scope();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut out = Originals {
        title: opened.paper.title.clone(),
        ..Originals::default()
    };
    let mut taken: Vec<crate::model::DocId> = Vec::new();
    let mut total: u64 = 0;
    let zip_err = |e: zip::result::ZipError| Error::Invalid(format!("无法生成 ZIP：{e}"));
    for (n, (item, title)) in opened.items.iter().enumerate() {
        let doc = match &item.entry {
            Entry::Item(Target::Document(d)) => lib.meta(d, &scope)?,
            Entry::Item(Target::Article(a)) => lib.article(a, &scope)?.map(|(_, d)| d),
            Entry::Item(Target::Cell(d, _) | Target::Finding(d, _)) => lib.meta(d, &scope)?,
            _ => continue,
        };
        let Some(doc) = doc else { continue };
        if taken.contains(&doc.id) {
            continue;
        }
        taken.push(doc.id.clone());
        let Ok(meta) = std::fs::metadata(&doc.source) else {
            out.missing
                .push(format!("{}. {title}：原始文件已不在服务器上", n + 1));
            continue;
        };
        // The limit is checked before the file is read.
        if total + meta.len() > MAX_ZIP_BYTES {
            out.missing.push(format!(
                "{}. {title}：超过 {} MB 的上限，未收入",
                n + 1,
                MAX_ZIP_BYTES >> 20
            ));
            continue;
        }
        let Ok(bytes) = std::fs::read(&doc.source) else {
            out.missing
                .push(format!("{}. {title}：原始文件无法读取", n + 1));
            continue;
        };
        total += bytes.len() as u64;
        let name = format!("{:03}-{}", n + 1, lib.original_name(&doc.source));
        // Each file keeps its own modification time (local), as an archive tool shows it.
        let stamped = match meta.modified().ok().map(DateTime::<Local>::from) {
            Some(t) => {
                use chrono::{Datelike, Timelike};
                zip::DateTime::from_date_and_time(
                    u16::try_from(t.year()).unwrap_or(1980),
                    t.month() as u8,
                    t.day() as u8,
                    t.hour() as u8,
                    t.minute() as u8,
                    t.second() as u8,
                )
                .map_or(options, |d| options.last_modified_time(d))
            }
            None => options,
        };
        zip.start_file(name, stamped).map_err(zip_err)?;
        zip.write_all(&bytes).map_err(|e| zip_err(e.into()))?;
        out.files += 1;
    }
    if !out.missing.is_empty() {
        zip.start_file("未收入的文件.txt", options)
            .map_err(zip_err)?;
        zip.write_all(out.missing.join("\n").as_bytes())
            .map_err(|e| zip_err(e.into()))?;
    }
    out.bytes = zip.finish().map_err(zip_err)?.into_inner();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(name: &str, role: Role) -> Viewer {
        Viewer {
            user: Some(name.into()),
            role,
            deputy: None,
        }
    }

    fn paper(shares: Vec<Share>) -> Workpaper {
        Workpaper {
            id: WorkpaperId(1),
            title: "t".into(),
            owner: "zhang".into(),
            created: Utc::now(),
            updated: Utc::now(),
            items: vec![],
            next_no: 1,
            shares,
        }
    }

    #[test]
    fn access_is_the_strongest_share_and_nothing_for_strangers() {
        let p = paper(vec![
            Share {
                to: Grantee::Role(Role::Staff),
                access: Access::Read,
            },
            Share {
                to: Grantee::Account("li".into()),
                access: Access::Edit,
            },
        ]);
        assert_eq!(p.access(&viewer("zhang", Role::Staff)), Some(Access::Owner));
        assert_eq!(p.access(&viewer("li", Role::Staff)), Some(Access::Edit));
        assert_eq!(p.access(&viewer("wang", Role::Admin)), Some(Access::Read));
        assert_eq!(p.access(&viewer("qian", Role::Deputy)), None);
        assert_eq!(p.access(&Viewer::anonymous()), None);
        assert_eq!(
            p.readers(),
            vec![
                "role:staff".to_string(),
                "user:li".into(),
                "user:zhang".into()
            ]
        );
    }

    #[test]
    fn grantees_and_views_are_parsed_strictly() {
        assert_eq!(
            Grantee::parse("role:deputy"),
            Some(Grantee::Role(Role::Deputy))
        );
        assert_eq!(Grantee::parse("role:feed"), None);
        assert_eq!(
            Grantee::parse("qian"),
            Some(Grantee::Account("qian".into()))
        );
        assert!(Entry::view("/search?q=预算", "预算").is_ok());
        assert!(Entry::view("//evil.example/x", "x").is_err());
        assert!(Entry::view("https://evil.example/", "x").is_err());
        assert!(Entry::view("/a\nb", "x").is_err());
        assert!(Entry::item(Target::parse("ask:3").unwrap()).is_err());
        assert_eq!(clean_line(" a\u{0}  b ", 10, "标题").unwrap(), "a b");
        assert!(clean_line(&"字".repeat(MAX_TITLE_CHARS + 1), MAX_TITLE_CHARS, "标题").is_err());
    }
}
