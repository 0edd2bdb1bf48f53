//! Comments: posting, editing and removing them, with the notices they cause (mentions, replies, the other
//! side of a consultation), and a target's thread in reading order.

use super::model::{
    Comment, CommentId, MAX_BODY_CHARS, Notice, NoticeKind, Removal, Target, excerpt, mentions,
};
use super::{active_accounts, can_see, participant};
use crate::auth::accounts::User;
use crate::auth::{Role, Viewer};
use crate::error::{Error, Result};
use crate::library::Library;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A comment to post.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub target: Target,
    pub parent: Option<CommentId>,
    pub body: String,
}

/// Direction overrides, which can make a comment read differently from what it holds.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A body as stored: trimmed, control characters other than line breaks dropped, within the limit.
pub fn clean_body(body: &str) -> Result<String> {
    let body: String = body
        .replace("\r\n", "\n")
        .chars()
        .filter(|&c| c == '\n' || !(c.is_control() || is_bidi_control(c)))
        .collect();
    let body = body.trim().to_string();
    if body.is_empty() {
        return Err(Error::Invalid("评论内容不能为空 (empty comment)".into()));
    }
    let n = body.chars().count();
    if n > MAX_BODY_CHARS {
        return Err(Error::Invalid(format!(
            "评论不能超过 {MAX_BODY_CHARS} 字（现有 {n} 字） (comment too long)"
        )));
    }
    Ok(body)
}

/// Posts a comment as `viewer`, sends its notices, and flushes before answering.
pub fn post(lib: &Library, viewer: &Viewer, new: NewComment) -> Result<Comment> {
    let accounts = active_accounts(lib)?;
    let c = write(lib, viewer, new, Utc::now(), &accounts)?;
    lib.store().flush()?;
    Ok(c)
}

/// Writes a comment and its notices without flushing (the caller flushes: `post` at once, the benchmark
/// after each batch of a generated history). `accounts` are the active accounts.
pub fn write(
    lib: &Library,
    viewer: &Viewer,
    new: NewComment,
    now: DateTime<Utc>,
    accounts: &[User],
) -> Result<Comment> {
    let author = participant(viewer)?;
    let body = clean_body(&new.body)?;
    if !can_see(lib, &new.target, viewer)? {
        return Err(Error::NotFound(format!(
            "{}：{}",
            new.target.label(),
            new.target
        )));
    }
    let store = lib.store();
    let parent = match new.parent {
        None => None,
        Some(id) => match store.get_comment(id)? {
            Some(p) if p.target == new.target => Some(p),
            _ => {
                return Err(Error::Invalid(format!(
                    "要回复的评论 {id} 不在这里 (no such comment on this item)"
                )));
            }
        },
    };
    let by_name: HashMap<&str, &User> = accounts.iter().map(|u| (u.name.as_str(), u)).collect();
    let named = mentions(&body, |n| by_name.contains_key(n));
    let _writing = lib.writing();
    let comment = Comment {
        id: CommentId(store.next_id()?),
        target: new.target.clone(),
        parent: parent.as_ref().map(|p| p.id),
        author: author.clone(),
        body,
        mentions: named.clone(),
        created: now,
        edited: None,
        removed: None,
    };
    store.put_comment(&comment)?;
    // One notice per reader, for the strongest reason: a mention, then a reply, then the consultation.
    let mut to: Vec<(String, NoticeKind)> = named
        .iter()
        .map(|n| (n.clone(), NoticeKind::Mention))
        .collect();
    if let Some(p) = &parent {
        to.push((p.author.clone(), NoticeKind::Reply));
    }
    if let Target::Consultation(id) = &comment.target
        && let Some(c) = store.get_consultation(*id)?
    {
        for name in super::consult::other_side(lib, &c, &author, accounts)? {
            to.push((name, NoticeKind::Consultation));
        }
    }
    let mut sent: Vec<String> = Vec::new();
    for (name, kind) in to {
        if name == author || sent.contains(&name) {
            continue;
        }
        let Some(user) = by_name.get(name.as_str()) else {
            continue;
        };
        // Nobody learns of an item through a notice they could not open.
        if !can_see(lib, &comment.target, &user.viewer())? {
            continue;
        }
        store.put_notice(&Notice {
            seq: store.next_id()?,
            to: name.clone(),
            kind,
            target: comment.target.clone(),
            comment: Some(comment.id),
            from: author.clone(),
            text: excerpt(&comment.body, 80),
            at: now,
            read: false,
        })?;
        sent.push(name);
    }
    Ok(comment)
}

/// Replaces the body of one's own comment within the edit window (mentions added by the edit are not
/// notified again; the edit is marked).
pub fn edit(lib: &Library, viewer: &Viewer, id: CommentId, body: &str) -> Result<Comment> {
    let user = participant(viewer)?;
    let mut c = visible_comment(lib, viewer, id)?;
    let now = Utc::now();
    if !c.editable_by(&user, now) {
        return Err(Error::Denied(format!(
            "只有作者可以在发表后 {} 分钟内修改评论 (only the author, within the edit window)",
            super::model::EDIT_MINUTES
        )));
    }
    let body = clean_body(body)?;
    let accounts = active_accounts(lib)?;
    c.mentions = mentions(&body, |n| accounts.iter().any(|u| u.name == n));
    c.body = body;
    c.edited = Some(now);
    let _writing = lib.writing();
    lib.store().put_comment(&c)?;
    lib.store().flush()?;
    Ok(c)
}

/// Removes a comment (its author, or an administrator): its body goes, its place in the thread stays.
pub fn remove(lib: &Library, viewer: &Viewer, id: CommentId) -> Result<Comment> {
    let user = participant(viewer)?;
    let mut c = visible_comment(lib, viewer, id)?;
    if c.author != user && !viewer.can(Role::Admin) {
        return Err(Error::Denied(
            "只有作者或管理员可以删除评论 (only the author or an administrator)".into(),
        ));
    }
    if c.removed.is_none() {
        c.body.clear();
        c.mentions.clear();
        c.removed = Some(Removal {
            by: user,
            at: Utc::now(),
        });
        let _writing = lib.writing();
        lib.store().put_comment(&c)?;
        lib.store().flush()?;
    }
    Ok(c)
}

/// A comment the viewer may see (its target is in the viewer's scope); otherwise not found.
pub fn visible_comment(lib: &Library, viewer: &Viewer, id: CommentId) -> Result<Comment> {
    match lib.store().get_comment(id)? {
        Some(c) if can_see(lib, &c.target, viewer)? => Ok(c),
        _ => Err(Error::NotFound(format!("评论 {id}"))),
    }
}

/// One comment in a thread, with its depth (0 for a comment on the item, 1 for a reply …).
#[derive(Debug, Clone)]
pub struct Threaded {
    pub comment: Comment,
    pub depth: usize,
}

/// The comments on a target in thread order: each comment followed by its replies, oldest first. Not found
/// when the viewer cannot see the target.
pub fn thread(lib: &Library, viewer: &Viewer, target: &Target) -> Result<Vec<Threaded>> {
    if !can_see(lib, target, viewer)? {
        return Err(Error::NotFound(format!("{}：{target}", target.label())));
    }
    Ok(in_thread_order(lib.store().comments_on(target)?))
}

/// Orders comments as a thread (depth-first, oldest first at each level). A reply whose parent is missing
/// is shown at the top level.
pub fn in_thread_order(comments: Vec<Comment>) -> Vec<Threaded> {
    let ids: std::collections::HashSet<CommentId> = comments.iter().map(|c| c.id).collect();
    let mut children: HashMap<Option<CommentId>, Vec<Comment>> = HashMap::new();
    for c in comments {
        let parent = c.parent.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(c);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(Comment, usize)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|c| (c, 0))
        .collect();
    while let Some((c, depth)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(c.id)) {
            stack.extend(kids.into_iter().rev().map(|k| (k, depth + 1)));
        }
        out.push(Threaded { comment: c, depth });
    }
    out
}

/// Limits how often one account posts: at most `per_window` comments in `window`.
#[derive(Debug)]
pub struct PostLimiter {
    window: Duration,
    per_window: usize,
    posts: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Default for PostLimiter {
    /// Twenty comments a minute.
    fn default() -> PostLimiter {
        PostLimiter::new(Duration::from_secs(60), 20)
    }
}

impl PostLimiter {
    pub fn new(window: Duration, per_window: usize) -> PostLimiter {
        PostLimiter {
            window,
            per_window,
            posts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a post by `account`, or refuses it when the account is over its limit.
    pub fn admit(&self, account: &str) -> Result<()> {
        let now = Instant::now();
        let mut map = self.posts.lock().unwrap_or_else(|p| p.into_inner());
        let times = map.entry(account.to_string()).or_default();
        times.retain(|t| now.duration_since(*t) < self.window);
        if times.len() >= self.per_window {
            let wait = self.window - now.duration_since(times[0]);
            return Err(Error::TooOften(format!(
                "每分钟最多发表 {} 条，请 {} 秒后再试",
                self.per_window,
                wait.as_secs() + 1
            )));
        }
        times.push(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: u64, parent: Option<u64>) -> Comment {
        Comment {
            id: CommentId(id),
            target: Target::parse("doc:x").unwrap(),
            parent: parent.map(CommentId),
            author: "a".into(),
            body: "b".into(),
            mentions: vec![],
            created: Utc::now(),
            edited: None,
            removed: None,
        }
    }

    #[test]
    fn threads_put_replies_under_their_parent_and_orphans_on_top() {
        let t = in_thread_order(vec![
            c(1, None),
            c(2, None),
            c(3, Some(1)),
            c(4, Some(3)),
            c(5, Some(1)),
            c(6, Some(99)),
        ]);
        let got: Vec<(u64, usize)> = t.iter().map(|t| (t.comment.id.0, t.depth)).collect();
        assert_eq!(got, vec![(1, 0), (3, 1), (4, 2), (5, 1), (2, 0), (6, 0)]);
    }

    #[test]
    fn bodies_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(clean_body("  a\u{7}b\r\nc \u{202e} ").unwrap(), "ab\nc");
        assert!(clean_body(" \n ").is_err());
        assert!(clean_body(&"字".repeat(MAX_BODY_CHARS + 1)).is_err());
        assert!(clean_body(&"字".repeat(MAX_BODY_CHARS)).is_ok());
    }

    #[test]
    fn the_limiter_refuses_the_post_over_the_limit_per_account() {
        let l = PostLimiter::new(Duration::from_secs(60), 2);
        assert!(l.admit("a").is_ok());
        assert!(l.admit("a").is_ok());
        assert!(matches!(l.admit("a"), Err(Error::TooOften(_))));
        assert!(l.admit("b").is_ok());
    }
}
