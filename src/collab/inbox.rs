//! Each account's inbox: the notices it was sent, as its reader may see them now, the unread count for the
//! header, marking read, and the notices the proposal workflow sends (a new event on one's proposal, a
//! deadline within seven days).

use super::can_see;
use super::model::{Notice, NoticeKind, Target};
use crate::auth::Viewer;
use crate::auth::accounts::User;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::Date;
use crate::proposals::lifecycle::State;
use crate::proposals::model::{Event, ProposalId, Status};
use chrono::Utc;
use std::collections::HashMap;

/// How many days before a deadline a deputy is told.
pub const DEADLINE_NOTICE_DAYS: i64 = 7;

/// A notice with the title of what it is about.
#[derive(Debug, Clone)]
pub struct Line {
    pub notice: Notice,
    pub title: String,
}

/// Remembers, within one request, which targets the reader may see.
struct Seen<'a> {
    lib: &'a Library,
    viewer: &'a Viewer,
    known: HashMap<String, bool>,
}

impl Seen<'_> {
    fn sees(&mut self, key: &str) -> Result<bool> {
        if let Some(&b) = self.known.get(key) {
            return Ok(b);
        }
        let b = match Target::parse(key) {
            Some(t) => can_see(self.lib, &t, self.viewer)?,
            None => false,
        };
        self.known.insert(key.to_string(), b);
        Ok(b)
    }
}

fn account(viewer: &Viewer) -> Result<&str> {
    viewer
        .user
        .as_deref()
        .ok_or_else(|| Error::Denied("登录后才能查看消息 (log in first)".into()))
}

/// The viewer's notices, newest first: at most `limit`, older than `before` when given. Notices about
/// what the viewer cannot see (now) are left out.
pub fn list(
    lib: &Library,
    viewer: &Viewer,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<Line>> {
    let me = account(viewer)?;
    let mut seen = Seen {
        lib,
        viewer,
        known: HashMap::new(),
    };
    let mut out = Vec::new();
    let mut cursor = before;
    // Read in pages until `limit` visible notices are found or the inbox ends.
    loop {
        let page = lib.store().notices(me, cursor, limit.max(20))?;
        let done = page.len() < limit.max(20);
        for n in page {
            cursor = Some(n.seq);
            if seen.sees(&n.target.key())? {
                let title = super::title_of(lib, &n.target)?;
                out.push(Line { notice: n, title });
                if out.len() >= limit {
                    return Ok(out);
                }
            }
        }
        if done {
            return Ok(out);
        }
    }
}

/// How many of the viewer's notices are unread (about what they can see). 0 when not logged in.
pub fn unread_count(lib: &Library, viewer: &Viewer) -> Result<usize> {
    let Some(me) = viewer.user.as_deref() else {
        return Ok(0);
    };
    let mut seen = Seen {
        lib,
        viewer,
        known: HashMap::new(),
    };
    let mut n = 0;
    for (_, key) in lib.store().unread(me)? {
        if seen.sees(&key)? {
            n += 1;
        }
    }
    Ok(n)
}

/// Marks the viewer's notices read: the ones named, or all.
pub fn mark_read(lib: &Library, viewer: &Viewer, seqs: Option<&[u64]>) -> Result<usize> {
    let me = account(viewer)?;
    let _writing = lib.writing();
    let n = lib.store().mark_read(me, seqs)?;
    lib.store().flush()?;
    Ok(n)
}

/// The accounts of the deputies who lead or co-signed a proposal.
fn owners_accounts(lib: &Library, id: &ProposalId) -> Result<Vec<User>> {
    let Some(p) = lib.store().get_proposal(id)? else {
        return Ok(Vec::new());
    };
    let owners = crate::proposals::proposal_owners(&p);
    Ok(super::active_accounts(lib)?
        .into_iter()
        .filter(|u| u.deputy.as_ref().is_some_and(|d| owners.contains(d)))
        .collect())
}

/// Records a proposal event (as `proposals::record_event`) and tells the deputies whose proposal it is,
/// except the one who recorded it.
pub fn record_proposal_event(
    lib: &Library,
    id: &ProposalId,
    event: Event,
    by: &Viewer,
) -> Result<State> {
    let text = if event.note.is_empty() {
        event.kind.label().to_string()
    } else {
        format!("{}：{}", event.kind.label(), event.note)
    };
    let state = crate::proposals::record_event(lib, id, event)?;
    let target = Target::Proposal(id.clone());
    let from = by.actor();
    let _writing = lib.writing();
    let store = lib.store();
    for user in owners_accounts(lib, id)? {
        if by.user.as_deref() == Some(user.name.as_str()) {
            continue;
        }
        store.put_notice(&Notice {
            seq: store.next_id()?,
            to: user.name,
            kind: NoticeKind::ProposalChanged,
            target: target.clone(),
            comment: None,
            from: from.clone(),
            text: super::model::excerpt(&format!("{text}（现为{}）", state.status.label()), 80),
            at: Utc::now(),
            read: false,
        })?;
    }
    store.flush()?;
    Ok(state)
}

/// Tells the deputies of every proposal still owed a reply whose deadline falls within seven days of
/// `today`, once per proposal and deadline. Returns how many notices were sent.
pub fn sweep_deadlines(lib: &Library, today: Date) -> Result<usize> {
    let snap = crate::proposals::snapshot(lib)?;
    let accounts = super::active_accounts(lib)?;
    let store = lib.store();
    let mut sent = 0;
    let _writing = lib.writing();
    for s in &snap.items {
        let Some(deadline) = s.deadline else { continue };
        let days = (deadline - today).num_days();
        let owed = matches!(
            s.status,
            Status::Assigned | Status::Received | Status::Handling | Status::Reopened
        );
        if !(owed && (0..=DEADLINE_NOTICE_DAYS).contains(&days)) {
            continue;
        }
        for user in accounts
            .iter()
            .filter(|u| u.deputy.as_ref().is_some_and(|d| s.owners.contains(d)))
        {
            let notice = Notice {
                seq: store.next_id()?,
                to: user.name.clone(),
                kind: NoticeKind::Deadline,
                target: Target::Proposal(s.id.clone()),
                comment: None,
                from: "(系统)".into(),
                text: format!("{} 办理期限 {deadline}，还有 {days} 天", s.lead_unit),
                at: Utc::now(),
                read: false,
            };
            if store.put_notice_once(&notice, &format!("deadline {} {deadline}", s.id))? {
                sent += 1;
            }
        }
    }
    store.flush()?;
    Ok(sent)
}
