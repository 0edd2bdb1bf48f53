//! Working collections and saved searches on the web: the list (`/workpapers`), one collection's page with
//! its forms, the page that adds an item (`/workpapers/collect`), the exports (DOCX, PDF, ZIP of originals),
//! saving a search from the search page, and the JSON API under `/api/workpapers` and `/api/searches`.

use super::AppState;
use super::collab::{CommentsView, comments_view, json, target_url};
use super::error::{AppError, AppResult};
use super::pages::{Chrome, PageError, chrome};
use super::params::{SearchParams, encode_component};
use crate::auth::Viewer;
use crate::collab::alerts::{self, SavedSearch};
use crate::collab::model::{Target, WorkpaperId};
use crate::collab::workpapers::{self as wp, Access, Entry, Grantee, Opened, Summary};
use crate::collab::{self, export};
use crate::library::Library;
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

/// The routes of this module.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/workpapers", get(list_page).post(create_form))
        .route("/workpapers/collect", get(collect_page).post(collect_form))
        .route("/workpapers/{id}", get(paper_page).post(change_form))
        .route("/workpapers/{id}/export", get(export_file))
        .route("/searches/save", post(save_search_form))
        .route("/searches/{id}/remove", post(remove_search_form))
        .route("/api/workpapers", get(api_list).post(api_create))
        .route(
            "/api/workpapers/{id}",
            get(api_open).post(api_change).delete(api_delete),
        )
        .route("/api/workpapers/{id}/export", get(export_file))
        .route("/api/searches", get(api_searches).post(api_save_search))
        .route(
            "/api/searches/{id}",
            axum::routing::delete(api_remove_search),
        )
}

fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

fn entry_url(e: &Entry) -> String {
    match e {
        Entry::Item(t) => target_url(t),
        Entry::View { url, .. } => url.clone(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Pages

/// A collection in the list.
#[derive(Debug, Clone)]
pub struct PaperRow {
    pub id: u64,
    pub title: String,
    pub owner: String,
    pub access: &'static str,
    pub items: usize,
    pub when: String,
}

fn paper_row(s: Summary) -> PaperRow {
    PaperRow {
        id: s.id.0,
        title: s.title,
        owner: s.owner,
        access: s.access.label(),
        items: s.items,
        when: when(s.updated),
    }
}

/// A saved search in the list.
#[derive(Debug, Clone)]
pub struct SearchRow {
    pub id: u64,
    pub title: String,
    pub url: String,
    pub when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "workpapers.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub papers: Vec<PaperRow>,
    pub searches: Vec<SearchRow>,
    pub logged_in: bool,
}

/// `GET /workpapers`: the viewer's collections and those shared with them, and their saved searches.
pub async fn list_page(State(st): State<AppState>, viewer: Viewer) -> Result<ListPage, PageError> {
    let page_chrome = chrome(&st, "工作底稿", "");
    let v = viewer.clone();
    let (papers, searches) = st
        .blocking(move |lib| Ok((wp::list(lib, &v)?, alerts::list(lib, &v)?)))
        .await?;
    Ok(ListPage {
        chrome: page_chrome,
        papers: papers.into_iter().map(paper_row).collect(),
        searches: searches
            .into_iter()
            .map(|s| SearchRow {
                id: s.id,
                title: s.title,
                url: s.url,
                when: when(s.created),
            })
            .collect(),
        logged_in: viewer.user.is_some(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateForm {
    pub title: String,
}

/// `POST /workpapers`: a new, empty collection.
pub async fn create_form(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<Form<CreateForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form?;
    let p = st
        .blocking(move |lib| Ok(wp::create(lib, &viewer, &form.title)?))
        .await?;
    Ok(Redirect::to(&format!("/workpapers/{}", p.id)).into_response())
}

/// One item as its collection's page shows it.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub no: u32,
    pub pos: usize,
    pub kind: &'static str,
    pub title: String,
    pub url: String,
    pub note: String,
    pub added_by: String,
    pub when: String,
}

/// One share as its owner sees it.
#[derive(Debug, Clone)]
pub struct ShareView {
    pub key: String,
    pub label: String,
    pub access: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "workpaper.html")]
pub struct PaperPage {
    pub chrome: Chrome,
    pub id: u64,
    pub title: String,
    pub owner: String,
    pub access: &'static str,
    pub can_edit: bool,
    pub is_owner: bool,
    pub items: Vec<ItemView>,
    pub shares: Vec<ShareView>,
    pub comments: CommentsView,
}

fn item_views(o: &Opened) -> Vec<ItemView> {
    o.items
        .iter()
        .enumerate()
        .map(|(k, (i, title))| ItemView {
            no: i.no,
            pos: k + 1,
            kind: i.entry.label(),
            title: title.clone(),
            url: entry_url(&i.entry),
            note: i.note.clone(),
            added_by: i.added_by.clone(),
            when: when(i.added),
        })
        .collect()
}

/// `GET /workpapers/{id}`: the collection, its items in order with their notes, and its forms.
pub async fn paper_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
) -> Result<PaperPage, PageError> {
    let Path(id) = path?;
    let page_chrome = chrome(&st, "工作底稿", "");
    let (o, comments) = st
        .blocking(move |lib| {
            let o = wp::open(lib, &viewer, WorkpaperId(id))?;
            let back = format!("/workpapers/{id}");
            let c = comments_view(lib, &viewer, &Target::Workpaper(WorkpaperId(id)), &back)?;
            Ok((o, c))
        })
        .await?;
    Ok(PaperPage {
        chrome: Chrome {
            title: o.paper.title.clone(),
            ..page_chrome
        },
        id,
        items: item_views(&o),
        title: o.paper.title.clone(),
        owner: o.paper.owner.clone(),
        access: o.access.label(),
        can_edit: o.access >= Access::Edit,
        is_owner: o.access == Access::Owner,
        shares: if o.access == Access::Owner {
            o.paper
                .shares
                .iter()
                .map(|s| ShareView {
                    key: s.to.key(),
                    label: s.to.label(),
                    access: s.access.label(),
                })
                .collect()
        } else {
            Vec::new()
        },
        comments,
    })
}

/// A change to a collection, from its page's forms or the API.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    /// `note`, `remove`, `up`, `down`, `rename`, `share`, `unshare`, `delete` or `add`.
    pub action: String,
    pub no: u32,
    pub note: String,
    pub title: String,
    /// For `share`/`unshare`: an account name, `user:NAME` or `role:deputy|staff|admin`.
    pub to: String,
    /// For `share`: `read` or `edit`.
    pub access: String,
    /// For `add`: a document, article or proposal key (`doc:…`, `art:…`, `prop:…`) …
    pub item: String,
    /// … or a local address of a search or view.
    pub view: String,
}

/// Applies one change; `Ok(false)` when the collection is gone (deleted).
fn apply(lib: &Library, viewer: &Viewer, id: WorkpaperId, f: ChangeForm) -> AppResult<bool> {
    let grantee = || {
        Grantee::parse(&f.to)
            .ok_or_else(|| AppError::BadRequest(format!("无法识别共享对象：{}", f.to)))
    };
    match f.action.as_str() {
        "note" => wp::set_note(lib, viewer, id, f.no, &f.note)?,
        "remove" => wp::remove_item(lib, viewer, id, f.no)?,
        "up" | "down" => wp::move_item(lib, viewer, id, f.no, f.action == "up")?,
        "rename" => wp::rename(lib, viewer, id, &f.title)?,
        "share" => {
            let access = Access::parse(&f.access)
                .ok_or_else(|| AppError::BadRequest("请选择可阅读或可编辑".into()))?;
            wp::share(lib, viewer, id, grantee()?, Some(access))?
        }
        "unshare" => wp::share(lib, viewer, id, grantee()?, None)?,
        "delete" => {
            wp::delete(lib, viewer, id)?;
            return Ok(false);
        }
        "add" => {
            wp::add(
                lib,
                viewer,
                id,
                entry_of(&f.item, &f.view, &f.title)?,
                &f.note,
            )?;
        }
        other => {
            return Err(AppError::BadRequest(format!("无法识别的操作：{other}")));
        }
    }
    Ok(true)
}

fn entry_of(item: &str, view: &str, title: &str) -> AppResult<Entry> {
    if !item.trim().is_empty() {
        let t = Target::parse(item)
            .ok_or_else(|| AppError::BadRequest(format!("无法识别的条目：{item}")))?;
        return Ok(Entry::item(t)?);
    }
    Ok(Entry::view(view, title)?)
}

/// `POST /workpapers/{id}`: one change from the page's forms, then back to the page (or the list).
pub async fn change_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
    form: Result<Form<ChangeForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Path(id) = path?;
    let Form(form) = form?;
    let anchor = if form.no > 0 {
        format!("#i{}", form.no)
    } else {
        String::new()
    };
    let kept = st
        .blocking(move |lib| apply(lib, &viewer, WorkpaperId(id), form))
        .await?;
    Ok(if kept {
        Redirect::to(&format!("/workpapers/{id}{anchor}"))
    } else {
        Redirect::to("/workpapers")
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CollectQuery {
    pub item: String,
    pub view: String,
    pub title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "collect.html")]
pub struct CollectPage {
    pub chrome: Chrome,
    pub item: String,
    pub view: String,
    pub view_title: String,
    pub what: &'static str,
    pub title: String,
    pub back: String,
    pub papers: Vec<PaperRow>,
}

/// `GET /workpapers/collect?item=KEY` or `?view=URL&title=…`: choose the collection to add it to.
pub async fn collect_page(
    State(st): State<AppState>,
    viewer: Viewer,
    q: Result<Query<CollectQuery>, QueryRejection>,
) -> Result<CollectPage, PageError> {
    let Query(q) = q.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let page_chrome = chrome(&st, "加入工作底稿", "");
    if viewer.user.is_none() {
        return Err(AppError::Unauthorized.into());
    }
    let entry = entry_of(&q.item, &q.view, &q.title)?;
    let checked = entry.clone();
    let (title, papers) = st
        .blocking(move |lib| {
            let entry = checked;
            let visible = match &entry {
                Entry::Item(t) => collab::can_see(lib, t, &viewer)?,
                Entry::View { .. } => true,
            };
            if !visible {
                return Err(AppError::NotFound(entry.label().into()));
            }
            let papers: Vec<Summary> = wp::list(lib, &viewer)?
                .into_iter()
                .filter(|p| p.access >= Access::Edit)
                .collect();
            Ok((wp::entry_title(lib, &entry)?, papers))
        })
        .await?;
    Ok(CollectPage {
        chrome: page_chrome,
        what: entry.label(),
        back: entry_url(&entry),
        view_title: match &entry {
            Entry::View { title, .. } => title.clone(),
            Entry::Item(_) => String::new(),
        },
        item: q.item,
        view: match &entry {
            Entry::View { url, .. } => url.clone(),
            Entry::Item(_) => String::new(),
        },
        title,
        papers: papers.into_iter().map(paper_row).collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CollectForm {
    /// A collection's number, or empty for a new one named `new_title`.
    pub paper: String,
    pub new_title: String,
    pub item: String,
    pub view: String,
    pub view_title: String,
    pub note: String,
}

/// `POST /workpapers/collect`: adds the item to the chosen (or a new) collection and opens it.
pub async fn collect_form(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<Form<CollectForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(f) = form?;
    let entry = entry_of(&f.item, &f.view, &f.view_title)?;
    let id = st
        .blocking(move |lib| {
            let id = match f.paper.trim() {
                "" | "new" => wp::create(lib, &viewer, &f.new_title)?.id,
                n => WorkpaperId(
                    n.parse()
                        .map_err(|_| AppError::BadRequest(format!("无法识别工作底稿：{n}")))?,
                ),
            };
            let item = wp::add(lib, &viewer, id, entry, &f.note)?;
            Ok((id, item.no))
        })
        .await?;
    Ok(Redirect::to(&format!("/workpapers/{}#i{}", id.0, id.1)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    /// `docx` (the default), `pdf` or `zip`.
    pub format: String,
}

/// `GET /workpapers/{id}/export?format=docx|pdf|zip`: the collection printed, or its originals.
pub async fn export_file(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
    q: Result<Query<ExportQuery>, QueryRejection>,
) -> AppResult<Response> {
    let Path(id) = path?;
    let Query(q) = q.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let format = match q.format.trim() {
        "" | "docx" => "docx",
        "pdf" => "pdf",
        "zip" => "zip",
        other => {
            return Err(AppError::BadRequest(format!(
                "导出格式只能是 docx、pdf 或 zip：{other}"
            )));
        }
    };
    let (title, bytes) = st
        .blocking(move |lib| {
            let id = WorkpaperId(id);
            if format == "zip" {
                let z = wp::originals_zip(lib, &viewer, id)?;
                return Ok((z.title, z.bytes));
            }
            let paper = wp::printable(lib, &viewer, id)?;
            let bytes = if format == "pdf" {
                export::pdf(&paper)
            } else {
                export::docx(&paper).map_err(|e| {
                    tracing::error!("cannot write a DOCX: {e}");
                    AppError::Internal
                })?
            };
            Ok((paper.title, bytes))
        })
        .await?;
    let mime = match format {
        "zip" => "application/zip",
        "pdf" => "application/pdf",
        _ => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    };
    let name = if format == "zip" {
        format!("{title}-原件.zip")
    } else {
        format!("{title}.{format}")
    };
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&super::markup::content_disposition(&name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------------------
// Saved searches

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SaveSearchForm {
    /// The search page's address (`/search?…`).
    pub url: String,
    pub title: String,
}

/// Reads a search address into what a saved search runs, and saves it for the viewer.
pub fn saved_from_url(
    lib: &Library,
    viewer: &Viewer,
    url: &str,
    title: &str,
) -> AppResult<SavedSearch> {
    let url = url.trim();
    let query = url
        .strip_prefix("/search")
        .filter(|rest| rest.is_empty() || rest.starts_with('?'))
        .ok_or_else(|| AppError::BadRequest(format!("只能保存检索页的地址：{url}")))?;
    let params = SearchParams::parse(query.strip_prefix('?'))?;
    let req = params.request(&lib.config)?;
    let title = if title.trim().is_empty() {
        req.q.clone()
    } else {
        title.to_string()
    };
    Ok(alerts::save(
        lib,
        viewer,
        &title,
        &params.first_page().url(),
        &req.q,
        req.filters,
    )?)
}

/// `POST /searches/save`: saves the search shown on the search page and goes back to it.
pub async fn save_search_form(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<Form<SaveSearchForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(f) = form?;
    st.blocking(move |lib| saved_from_url(lib, &viewer, &f.url, &f.title))
        .await?;
    Ok(Redirect::to("/workpapers#searches").into_response())
}

/// `POST /searches/{id}/remove`: forgets a saved search.
pub async fn remove_search_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
) -> Result<Response, PageError> {
    let Path(id) = path?;
    st.blocking(move |lib| Ok(alerts::remove(lib, &viewer, id)?))
        .await?;
    Ok(Redirect::to("/workpapers#searches").into_response())
}

// ---------------------------------------------------------------------------------------------------------
// JSON API

/// An item in the API.
#[derive(Debug, Serialize)]
pub struct ItemOut {
    pub no: u32,
    pub kind: &'static str,
    /// `doc:…`, `art:…` or `prop:…` for an item; absent for a view.
    pub item: Option<String>,
    pub title: String,
    pub url: String,
    pub note: String,
    pub added_by: String,
    pub added: DateTime<Utc>,
}

/// A collection in the API.
#[derive(Debug, Serialize)]
pub struct PaperOut {
    pub id: u64,
    pub title: String,
    pub owner: String,
    pub access: Access,
    pub updated: DateTime<Utc>,
    pub items: Vec<ItemOut>,
    /// Its shares (for its owner only).
    pub shares: Vec<ShareOut>,
}

#[derive(Debug, Serialize)]
pub struct ShareOut {
    pub to: String,
    pub access: Access,
}

fn paper_out(o: Opened) -> PaperOut {
    PaperOut {
        id: o.paper.id.0,
        title: o.paper.title.clone(),
        owner: o.paper.owner.clone(),
        access: o.access,
        updated: o.paper.updated,
        shares: if o.access == Access::Owner {
            o.paper
                .shares
                .iter()
                .map(|s| ShareOut {
                    to: s.to.key(),
                    access: s.access,
                })
                .collect()
        } else {
            Vec::new()
        },
        items: o
            .items
            .into_iter()
            .map(|(i, title)| ItemOut {
                no: i.no,
                kind: i.entry.label(),
                item: match &i.entry {
                    Entry::Item(t) => Some(t.key()),
                    Entry::View { .. } => None,
                },
                url: entry_url(&i.entry),
                title,
                note: i.note,
                added_by: i.added_by,
                added: i.added,
            })
            .collect(),
    }
}

/// `GET /api/workpapers`: the viewer's collections and those shared with them.
pub async fn api_list(State(st): State<AppState>, viewer: Viewer) -> AppResult<Json<Vec<Summary>>> {
    Ok(Json(
        st.blocking(move |lib| Ok(wp::list(lib, &viewer)?)).await?,
    ))
}

/// `POST /api/workpapers` `{"title"}`: a new collection (201).
pub async fn api_create(
    State(st): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let b: CreateForm = json(&body)?;
    let o = st
        .blocking(move |lib| {
            let p = wp::create(lib, &viewer, &b.title)?;
            Ok(wp::open(lib, &viewer, p.id)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(paper_out(o))).into_response())
}

/// `GET /api/workpapers/{id}`: one collection as the viewer sees it.
pub async fn api_open(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
) -> AppResult<Json<PaperOut>> {
    let Path(id) = path?;
    let o = st
        .blocking(move |lib| Ok(wp::open(lib, &viewer, WorkpaperId(id))?))
        .await?;
    Ok(Json(paper_out(o)))
}

/// `POST /api/workpapers/{id}` with a change (`{"action": "add", "item": "art:…", "note": …}` …): the
/// collection after it.
pub async fn api_change(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let Path(id) = path?;
    let b: ChangeForm = json(&body)?;
    let o = st
        .blocking(move |lib| {
            if !apply(lib, &viewer, WorkpaperId(id), b)? {
                return Ok(None);
            }
            Ok(Some(wp::open(lib, &viewer, WorkpaperId(id))?))
        })
        .await?;
    Ok(match o {
        Some(o) => Json(paper_out(o)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// `DELETE /api/workpapers/{id}`: deletes it (its owner or an administrator; 204).
pub async fn api_delete(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
) -> AppResult<StatusCode> {
    let Path(id) = path?;
    st.blocking(move |lib| Ok(wp::delete(lib, &viewer, WorkpaperId(id))?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/searches`: the viewer's saved searches.
pub async fn api_searches(
    State(st): State<AppState>,
    viewer: Viewer,
) -> AppResult<Json<Vec<SavedSearch>>> {
    Ok(Json(
        st.blocking(move |lib| Ok(alerts::list(lib, &viewer)?))
            .await?,
    ))
}

/// `POST /api/searches` `{"url": "/search?…", "title"}`: saves a search (201).
pub async fn api_save_search(
    State(st): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let b: SaveSearchForm = json(&body)?;
    let s = st
        .blocking(move |lib| saved_from_url(lib, &viewer, &b.url, &b.title))
        .await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// `DELETE /api/searches/{id}`: forgets a saved search (204).
pub async fn api_remove_search(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
) -> AppResult<StatusCode> {
    let Path(id) = path?;
    st.blocking(move |lib| Ok(alerts::remove(lib, &viewer, id)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The link that adds an item to a collection, for the pages of documents, articles and proposals.
pub fn collect_url(t: &Target) -> String {
    format!("/workpapers/collect?item={}", encode_component(&t.key()))
}
