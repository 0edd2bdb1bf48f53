//! Working together: comments on documents, articles, proposals, numbers in tables, findings, consultations
//! and working collections,
//! with @mentions and replies; each account's inbox of notices; deputies' questions to the committee's staff
//! (咨询); working collections (工作底稿) shared, printed and exported; staff marks of the article that
//! answers a search question.
//!
//! Everything is read through the reader's scope: a comment is as visible as its target, and a notice about
//! something its reader cannot see is neither listed nor counted. Every acknowledged change is flushed.

pub mod alerts;
pub mod answers;
pub mod comments;
pub mod consult;
pub mod export;
pub mod inbox;
pub mod model;
pub mod workpapers;

use crate::auth::accounts::User;
use crate::auth::{Role, Viewer};
use crate::error::Result;
use crate::library::Library;
use model::Target;

/// Whether `viewer` may see `target` (and so its comments).
pub fn can_see(lib: &Library, target: &Target, viewer: &Viewer) -> Result<bool> {
    let scope = viewer.scope();
    Ok(match target {
        Target::Document(id) => lib.meta(id, &scope)?.is_some(),
        Target::Article(id) => lib.article(id, &scope)?.is_some(),
        Target::Proposal(id) => lib
            .store()
            .get_proposal(id)?
            .is_some_and(|p| crate::proposals::visible(&p, &scope)),
        Target::Consultation(id) => lib.store().get_consultation(*id)?.is_some_and(|c| {
            viewer.can(Role::Staff) || viewer.user.as_deref() == Some(c.asker.as_str())
        }),
        Target::Workpaper(id) => lib
            .store()
            .get_workpaper(*id)?
            .is_some_and(|w| w.access(viewer).is_some()),
        // A number or a finding is as visible as its document.
        Target::Cell(doc, _) | Target::Finding(doc, _) => lib.meta(doc, &scope)?.is_some(),
    })
}

/// The title of a target as its page shows it; call only after `can_see`.
pub fn title_of(lib: &Library, target: &Target) -> Result<String> {
    let store = lib.store();
    Ok(match target {
        Target::Document(id) => store.get_meta(id)?.map(|d| d.title),
        Target::Article(id) => store.get_article(id)?.map(|a| a.name),
        Target::Proposal(id) => store.get_proposal(id)?.map(|p| p.title),
        Target::Consultation(id) => store.get_consultation(*id)?.map(|c| c.title),
        Target::Workpaper(id) => store.get_workpaper(*id)?.map(|w| w.title),
        Target::Cell(doc, at) => store
            .get_meta(doc)?
            .map(|d| format!("{} 表{}第{}行", d.title, at.table + 1, at.row + 1)),
        Target::Finding(doc, _) => store.get_meta(doc)?.map(|d| format!("{}的预警", d.title)),
    }
    .unwrap_or_else(|| format!("（已不存在的{}）", target.label())))
}

/// The active accounts, for resolving mentions and the recipients of notices.
pub fn active_accounts(lib: &Library) -> Result<Vec<User>> {
    Ok(lib
        .store()
        .list_users()?
        .into_iter()
        .filter(|u| !u.disabled && u.role != Role::Feed)
        .collect())
}

/// Checks that the viewer is a logged-in account that may take part (a deputy or more).
pub(crate) fn participant(viewer: &Viewer) -> Result<String> {
    match &viewer.user {
        Some(name) if viewer.can(Role::Deputy) => Ok(name.clone()),
        _ => Err(crate::error::Error::Denied(
            "登录后才能发表评论或咨询 (log in first)".into(),
        )),
    }
}

/// A comment's body as shown to `viewer`: links, mentions of existing accounts, and the articles it cites
/// that the viewer may open.
pub fn render(
    lib: &Library,
    viewer: &Viewer,
    body: &str,
    accounts: &[User],
) -> Result<Vec<model::Span>> {
    let mut out = Vec::new();
    let scope = viewer.scope();
    for span in model::spans(body, |n| accounts.iter().any(|u| u.name == n)) {
        let model::Span::Text(text) = span else {
            out.push(span);
            continue;
        };
        let mut at = 0;
        for c in crate::search::resolve_citations(lib, &text, &scope)? {
            let Some(article) = c.article else { continue };
            if c.span.start < at {
                continue;
            }
            if c.span.start > at {
                out.push(model::Span::Text(text[at..c.span.start].to_string()));
            }
            out.push(model::Span::Cite {
                text: text[c.span.clone()].to_string(),
                article,
            });
            at = c.span.end;
        }
        if at < text.len() {
            out.push(model::Span::Text(text[at..].to_string()));
        }
    }
    Ok(out)
}
