//! Consultations (咨询): a deputy asks the committee's staff a question; the thread of answers is the
//! comments on it. Staff see every consultation, a deputy their own.

use super::comments::{NewComment, post};
use super::model::{
    Comment, Consultation, ConsultationId, MAX_TITLE_CHARS, Notice, NoticeKind, Target, excerpt,
};
use super::{active_accounts, participant};
use crate::auth::accounts::User;
use crate::auth::{Role, Viewer};
use crate::error::{Error, Result};
use crate::library::Library;
use chrono::Utc;

/// Asks a question: the consultation and its first comment; every staff account is notified.
pub fn ask(
    lib: &Library,
    viewer: &Viewer,
    title: &str,
    body: &str,
) -> Result<(Consultation, Comment)> {
    let asker = participant(viewer)?;
    let title: String = title
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string();
    if title.is_empty() {
        return Err(Error::Invalid(
            "请写明咨询的主题 (a title is needed)".into(),
        ));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(Error::Invalid(format!(
            "主题不能超过 {MAX_TITLE_CHARS} 字 (title too long)"
        )));
    }
    super::comments::clean_body(body)?;
    let store = lib.store();
    let c = Consultation {
        id: ConsultationId(store.next_id()?),
        title,
        asker,
        created: Utc::now(),
        closed: false,
    };
    {
        let _writing = lib.writing();
        store.put_consultation(&c)?;
    }
    // The question's text is the thread's first comment; posting it notifies the staff.
    let first = post(
        lib,
        viewer,
        NewComment {
            target: Target::Consultation(c.id),
            parent: None,
            body: body.to_string(),
        },
    )?;
    Ok((c, first))
}

/// Who hears of a new comment in a consultation besides those it names: the asker when staff write; when
/// the asker writes, the staff who have answered in the thread, or every staff account before anyone has.
pub(crate) fn other_side(
    lib: &Library,
    c: &Consultation,
    author: &str,
    accounts: &[User],
) -> Result<Vec<String>> {
    if author != c.asker {
        return Ok(vec![c.asker.clone()]);
    }
    let staff = |name: &str| {
        accounts
            .iter()
            .any(|u| u.name == name && u.role >= Role::Staff)
    };
    let mut answered: Vec<String> = Vec::new();
    for x in lib.store().comments_on(&Target::Consultation(c.id))? {
        if x.author != c.asker && staff(&x.author) && !answered.contains(&x.author) {
            answered.push(x.author);
        }
    }
    if answered.is_empty() {
        answered = accounts
            .iter()
            .filter(|u| u.role >= Role::Staff)
            .map(|u| u.name.clone())
            .collect();
    }
    Ok(answered)
}

/// A consultation as lists show it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub consultation: Consultation,
    pub messages: usize,
    /// Whether someone other than the asker has written in it.
    pub answered: bool,
}

/// The consultations a viewer may see, newest first: all for staff, their own for others.
pub fn list(lib: &Library, viewer: &Viewer) -> Result<Vec<Listed>> {
    let me = participant(viewer)?;
    let mut out = Vec::new();
    for c in lib.store().consultations()? {
        if !viewer.can(Role::Staff) && c.asker != me {
            continue;
        }
        let comments = lib.store().comments_on(&Target::Consultation(c.id))?;
        out.push(Listed {
            answered: comments.iter().any(|x| x.author != c.asker),
            messages: comments.len(),
            consultation: c,
        });
    }
    Ok(out)
}

/// Closes or reopens a consultation (its asker or staff); the other side is told.
pub fn set_closed(
    lib: &Library,
    viewer: &Viewer,
    id: ConsultationId,
    closed: bool,
) -> Result<Consultation> {
    let me = participant(viewer)?;
    let target = Target::Consultation(id);
    let mut c = match lib.store().get_consultation(id)? {
        Some(c) if super::can_see(lib, &target, viewer)? => c,
        _ => return Err(Error::NotFound(format!("咨询 {id}"))),
    };
    if c.closed == closed {
        return Ok(c);
    }
    c.closed = closed;
    let accounts = active_accounts(lib)?;
    let _writing = lib.writing();
    let store = lib.store();
    store.put_consultation(&c)?;
    for name in other_side(lib, &c, &me, &accounts)? {
        if name == me {
            continue;
        }
        store.put_notice(&Notice {
            seq: store.next_id()?,
            to: name,
            kind: NoticeKind::Consultation,
            target: target.clone(),
            comment: None,
            from: me.clone(),
            text: excerpt(
                &format!(
                    "{}：{}",
                    if closed { "已结束" } else { "重新打开" },
                    c.title
                ),
                80,
            ),
            at: Utc::now(),
            read: false,
        })?;
    }
    store.flush()?;
    Ok(c)
}
