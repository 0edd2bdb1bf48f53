//! Saved searches with alerts: an account saves a search, and after each ingest the documents it brought
//! that the search finds (in the account's own scope) are listed in the account's inbox, each once.

use super::model::{Notice, NoticeKind, Target};
use super::participant;
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{DocId, Filters, Sort, Unit};
use crate::search::{self, SearchRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The most saved searches per account.
pub const MAX_PER_ACCOUNT: usize = 50;
/// The most documents one saved search announces after one ingest (the search itself lists the rest).
pub const MAX_NOTICES_PER_INGEST: usize = 20;

/// A saved search: the words and filters to run, and the address to open it by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSearch {
    pub id: u64,
    pub owner: String,
    pub title: String,
    /// The local address of the search page (`/search?…`).
    pub url: String,
    pub q: String,
    pub filters: Filters,
    pub created: DateTime<Utc>,
}

/// Saves a search for the viewer. The same address saved twice is kept once.
pub fn save(
    lib: &Library,
    viewer: &crate::auth::Viewer,
    title: &str,
    url: &str,
    q: &str,
    filters: Filters,
) -> Result<SavedSearch> {
    let owner = participant(viewer)?;
    let super::workpapers::Entry::View { url, title } = super::workpapers::Entry::view(url, title)?
    else {
        return Err(Error::Invalid("无法保存这个检索".into()));
    };
    if q.trim().is_empty() && filters == Filters::default() {
        return Err(Error::Invalid(
            "请先输入检索词或选择筛选条件再保存 (an empty search)".into(),
        ));
    }
    let store = lib.store();
    let mine: Vec<SavedSearch> = store
        .saved_searches()?
        .into_iter()
        .filter(|s| s.owner == owner)
        .collect();
    if let Some(same) = mine.iter().find(|s| s.url == url) {
        return Ok(same.clone());
    }
    if mine.len() >= MAX_PER_ACCOUNT {
        return Err(Error::Invalid(format!(
            "每个账号最多保存 {MAX_PER_ACCOUNT} 个检索"
        )));
    }
    let s = SavedSearch {
        id: store.next_id()?,
        owner,
        title,
        url,
        q: q.trim().to_string(),
        filters,
        created: Utc::now(),
    };
    let _writing = lib.writing();
    store.put_saved_search(&s)?;
    store.flush()?;
    Ok(s)
}

/// The viewer's saved searches, oldest first.
pub fn list(lib: &Library, viewer: &crate::auth::Viewer) -> Result<Vec<SavedSearch>> {
    let Some(me) = viewer.user.as_deref() else {
        return Ok(Vec::new());
    };
    Ok(lib
        .store()
        .saved_searches()?
        .into_iter()
        .filter(|s| s.owner == me)
        .collect())
}

/// Removes one of the viewer's saved searches.
pub fn remove(lib: &Library, viewer: &crate::auth::Viewer, id: u64) -> Result<()> {
    let me = participant(viewer)?;
    if !list(lib, viewer)?
        .iter()
        .any(|s| s.id == id && s.owner == me)
    {
        return Err(Error::NotFound(format!("保存的检索 {id}")));
    }
    let _writing = lib.writing();
    lib.store().remove_saved_search(id)?;
    lib.store().flush()
}

/// After an ingest: tells each saved search's owner of the new or changed documents it finds, each document
/// once per saved search, at most `MAX_NOTICES_PER_INGEST` per search. Returns the notices sent.
pub fn after_ingest(lib: &Library, docs: &[DocId]) -> Result<usize> {
    if docs.is_empty() {
        return Ok(0);
    }
    let new: HashSet<&DocId> = docs.iter().collect();
    let store = lib.store();
    let mut sent = 0;
    for s in store.saved_searches()? {
        let Some(user) = store.get_user(&s.owner)?.filter(|u| !u.disabled) else {
            continue;
        };
        let req = SearchRequest {
            q: s.q.clone(),
            filters: s.filters.clone(),
            unit: Unit::Document,
            sort: Sort::Relevance,
            offset: 0,
            limit: lib.config.max_limit.min(1000),
            scope: user.viewer().scope(),
        };
        let hits = match search::search(lib, &req) {
            Ok(r) => r.hits,
            Err(e) => {
                tracing::warn!(search = s.id, "a saved search cannot run: {e}");
                continue;
            }
        };
        let mut told = 0;
        for hit in hits.iter().filter(|h| new.contains(&h.doc_id)) {
            if told == MAX_NOTICES_PER_INGEST {
                break;
            }
            let notice = Notice {
                seq: store.next_id()?,
                to: s.owner.clone(),
                kind: NoticeKind::SavedSearch,
                target: Target::Document(hit.doc_id.clone()),
                comment: None,
                from: String::new(),
                text: format!("「{}」", s.title),
                at: Utc::now(),
                read: false,
            };
            let _writing = lib.writing();
            if store.put_notice_once(&notice, &format!("saved:{}:{}", s.id, hit.doc_id.as_str()))? {
                told += 1;
            }
        }
        sent += told;
    }
    if sent > 0 {
        store.flush()?;
    }
    Ok(sent)
}
