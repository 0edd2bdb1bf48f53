//! The records of working together: what a comment is about, comments, consultations and notices, and the
//! plain-text body of a comment cut into text, links and @mentions for display.

use crate::model::{ArticleId, DocId};
use crate::proposals::model::ProposalId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest comment body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
/// The longest consultation title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// How long after posting its author may still edit a comment.
pub const EDIT_MINUTES: i64 = 30;

/// What a comment is about. Its key (`doc:…`, `art:…`, `prop:…`, `ask:…`) names it in forms, URLs and the
/// store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    Document(DocId),
    Article(ArticleId),
    Proposal(ProposalId),
    /// A deputy's question to the committee's staff (咨询).
    Consultation(ConsultationId),
    /// A working collection (工作底稿).
    Workpaper(WorkpaperId),
    /// A number in one of a document's tables (a budget fact where the table is a budget table).
    Cell(DocId, CellAt),
    /// A finding of the checks on a document (预警), by its stable key.
    Finding(DocId, String),
}

/// A cell of a document's tables, counted from 0; written `t1-r2-c3` (from 1) as in the page's anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellAt {
    pub table: u32,
    pub row: u32,
    pub col: u32,
}

impl CellAt {
    /// `t1-r2-c3`: the cell's anchor on the document page.
    pub fn anchor(&self) -> String {
        format!("t{}-r{}-c{}", self.table + 1, self.row + 1, self.col + 1)
    }

    /// Reads an anchor `tT-rR-cC` (each from 1).
    pub fn parse(s: &str) -> Option<CellAt> {
        let mut parts = s.split('-');
        let mut num = |prefix: char| -> Option<u32> {
            let p = parts.next()?.strip_prefix(prefix)?;
            let n: u32 = p.parse().ok()?;
            n.checked_sub(1)
        };
        let at = CellAt {
            table: num('t')?,
            row: num('r')?,
            col: num('c')?,
        };
        parts.next().is_none().then_some(at)
    }
}

impl Target {
    pub fn key(&self) -> String {
        match self {
            Target::Document(id) => format!("doc:{}", id.as_str()),
            Target::Article(id) => format!("art:{}", id.as_str()),
            Target::Proposal(id) => format!("prop:{}", id.as_str()),
            Target::Consultation(id) => format!("ask:{}", id.0),
            Target::Workpaper(id) => format!("wp:{}", id.0),
            Target::Cell(doc, at) => format!("cell:{}/{}", doc.as_str(), at.anchor()),
            Target::Finding(doc, key) => format!("find:{}/{key}", doc.as_str()),
        }
    }

    /// Parses a key; `None` for anything else.
    pub fn parse(key: &str) -> Option<Target> {
        let (kind, rest) = key.trim().split_once(':')?;
        if rest.is_empty() || rest.len() > 512 {
            return None;
        }
        Some(match kind {
            "doc" => Target::Document(DocId(rest.to_string())),
            "art" => Target::Article(ArticleId(rest.to_string())),
            "prop" => Target::Proposal(ProposalId(rest.to_string())),
            "ask" => Target::Consultation(ConsultationId(rest.parse().ok()?)),
            "wp" => Target::Workpaper(WorkpaperId(rest.parse().ok()?)),
            "cell" => {
                let (doc, at) = rest.rsplit_once('/')?;
                Target::Cell(DocId(doc.to_string()), CellAt::parse(at)?)
            }
            "find" => {
                let (doc, key) = rest.rsplit_once('/')?;
                if doc.is_empty()
                    || key.is_empty()
                    || key.len() > 64
                    || !key.chars().all(|c| c.is_ascii_hexdigit())
                {
                    return None;
                }
                Target::Finding(DocId(doc.to_string()), key.to_string())
            }
            _ => return None,
        })
    }

    /// What kind of thing it is, for people.
    pub fn label(&self) -> &'static str {
        match self {
            Target::Document(_) => "文档",
            Target::Article(_) => "条文",
            Target::Proposal(_) => "代表建议",
            Target::Consultation(_) => "咨询",
            Target::Workpaper(_) => "工作底稿",
            Target::Cell(..) => "数据",
            Target::Finding(..) => "预警",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl TryFrom<String> for Target {
    type Error = String;
    fn try_from(s: String) -> Result<Target, String> {
        Target::parse(&s).ok_or_else(|| format!("not a comment target: {s:?}"))
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.key()
    }
}

/// A comment's number (unique in the data folder, increasing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommentId(pub u64);

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A consultation's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConsultationId(pub u64);

/// The number of a working collection (工作底稿).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkpaperId(pub u64);

impl fmt::Display for WorkpaperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for ConsultationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who removed a comment, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A comment: plain text by an account about a target, possibly a reply to another comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    pub target: Target,
    pub parent: Option<CommentId>,
    pub author: String,
    pub body: String,
    /// The accounts named with @ that exist.
    pub mentions: Vec<String>,
    pub created: DateTime<Utc>,
    pub edited: Option<DateTime<Utc>>,
    /// Set when removed: the body is then empty and the comment stays as a place in its thread.
    pub removed: Option<Removal>,
}

impl Comment {
    /// Whether `user` may still edit it (its author, within the edit window, not removed).
    pub fn editable_by(&self, user: &str, now: DateTime<Utc>) -> bool {
        self.removed.is_none()
            && self.author == user
            && now - self.created <= chrono::Duration::minutes(EDIT_MINUTES)
    }
}

/// A deputy's question to the committee's staff; the thread of answers is the comments on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub id: ConsultationId,
    pub title: String,
    /// The account that asked.
    pub asker: String,
    pub created: DateTime<Utc>,
    /// Closed by staff or the asker once answered.
    pub closed: bool,
}

/// Why a notice was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Someone named the account with @.
    Mention,
    /// Someone answered the account's comment.
    Reply,
    /// A proposal the account leads or co-signed has a new event.
    ProposalChanged,
    /// A proposal of the account's is due within seven days.
    Deadline,
    /// A deputy asked the staff a question (to staff), or the thread of the account's question moved.
    Consultation,
    /// New documents match a saved search.
    SavedSearch,
    /// A working collection was shared with the reader.
    Shared,
}

impl NoticeKind {
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::Mention => "提到了你",
            NoticeKind::Reply => "回复了你",
            NoticeKind::ProposalChanged => "建议办理进展",
            NoticeKind::Deadline => "办理期限将到",
            NoticeKind::Consultation => "咨询",
            NoticeKind::SavedSearch => "保存的检索有新文档",
            NoticeKind::Shared => "共享了工作底稿",
        }
    }
}

/// One line of an account's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub seq: u64,
    pub to: String,
    pub kind: NoticeKind,
    pub target: Target,
    pub comment: Option<CommentId>,
    /// The account (or the system) that caused it.
    pub from: String,
    /// A short line: the comment's beginning, the event, the deadline.
    pub text: String,
    pub at: DateTime<Utc>,
    pub read: bool,
}

/// A piece of a comment's body as shown: text, a safe link, or a mention of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Span {
    Text(String),
    /// An `http://` or `https://` address (no other scheme becomes a link).
    Link(String),
    /// `@name` of an existing account (without the @).
    Mention(String),
    /// A cited article found in the library (《预算法》第四十九条).
    Cite {
        text: String,
        article: ArticleId,
    },
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The account named by an `@` at the start of `after` (the text after the @): the longest run of name
/// characters, or its longest beginning, that `is_account` knows (Chinese has no space after a name:
/// `@钱某请看` names 钱某).
fn mention_at(after: &str, is_account: &impl Fn(&str) -> bool) -> Option<String> {
    let run: Vec<char> = after
        .chars()
        .take_while(|&c| name_char(c))
        .take(32)
        .collect();
    (1..=run.len())
        .rev()
        .map(|n| run[..n].iter().collect::<String>())
        .find(|name| is_account(name))
}

/// The accounts named as `@name` in a body, in order, without repeats.
pub fn mentions(body: &str, is_account: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, c) in body.char_indices() {
        if (c == '@' || c == '＠')
            && let Some(name) = mention_at(&body[i + c.len_utf8()..], &is_account)
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

/// Cuts a body into spans: links for http(s) addresses, mentions for `@name` where `is_account(name)`, text
/// for the rest. Nothing in it is HTML: the page escapes every span.
pub fn spans(body: &str, is_account: impl Fn(&str) -> bool) -> Vec<Span> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        let lower_starts = |p: &str| {
            rest.get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        };
        if lower_starts("http://") || lower_starts("https://") {
            let end = rest
                .char_indices()
                .find(|&(_, c)| c.is_whitespace() || !c.is_ascii() || matches!(c, '<' | '>' | '"'))
                .map_or(rest.len(), |(i, _)| i);
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '\'']);
            if url.len() > "https://".len() {
                if !text.is_empty() {
                    out.push(Span::Text(std::mem::take(&mut text)));
                }
                out.push(Span::Link(url.to_string()));
                rest = &rest[url.len()..];
                continue;
            }
        }
        if c == '@' || c == '＠' {
            let after = &rest[c.len_utf8()..];
            if let Some(name) = mention_at(after, &is_account) {
                if !text.is_empty() {
                    out.push(Span::Text(std::mem::take(&mut text)));
                }
                rest = &after[name.len()..];
                out.push(Span::Mention(name));
                continue;
            }
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !text.is_empty() {
        out.push(Span::Text(text));
    }
    out
}

/// The first `n` characters of a body, on one line, for a notice.
pub fn excerpt(body: &str, n: usize) -> String {
    let one: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one.chars().take(n).collect();
    if one.chars().count() > n {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip_and_refuse_anything_else() {
        for key in ["doc:abc", "art:abc#12", "prop:2024-001", "ask:7"] {
            assert_eq!(Target::parse(key).unwrap().key(), key);
        }
        for bad in ["", "doc:", "x:1", "ask:seven", "nothing"] {
            assert!(Target::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn mentions_are_the_longest_known_names_kept_once() {
        let known = |n: &str| ["钱某", "zhang.san", "钱"].contains(&n);
        assert_eq!(
            mentions("请@钱某请看，@zhang.san和 @钱某 再议 @ @李某", known),
            vec!["钱某".to_string(), "zhang.san".to_string()]
        );
    }

    #[test]
    fn only_http_links_and_known_accounts_become_spans() {
        let s = spans(
            "见 https://example.org/a?b=1. 和 javascript:alert(1) @钱某 @nobody <b>",
            |n| n == "钱某",
        );
        assert_eq!(
            s,
            vec![
                Span::Text("见 ".into()),
                Span::Link("https://example.org/a?b=1".into()),
                Span::Text(". 和 javascript:alert(1) ".into()),
                Span::Mention("钱某".into()),
                Span::Text(" @nobody <b>".into()),
            ]
        );
    }
}
