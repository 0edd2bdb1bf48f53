//! Working together on the web: the comments section of document, article and proposal pages, the inbox
//! (`/inbox`), consultations (`/consultations`), their forms, and the JSON API under `/api/comments`,
//! `/api/inbox` and `/api/consultations`.

use super::AppState;
use super::auth::safe_next;
use super::error::{AppError, AppResult};
use super::pages::{Chrome, PageError, chrome};
use super::params::{ApiQuery, encode_component};
use crate::auth::accounts::User;
use crate::auth::{Role, Viewer};
use crate::collab::comments::{self, NewComment, Threaded};
use crate::collab::model::{
    Comment, CommentId, Consultation, ConsultationId, EDIT_MINUTES, Notice, Span, Target,
};
use crate::collab::{self, consult, inbox};
use crate::library::Library;
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

/// The routes of this module.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/comments", post(post_form))
        .route("/comments/{id}/edit", post(edit_form))
        .route("/comments/{id}/remove", post(remove_form))
        .route("/inbox", get(inbox_page))
        .route("/inbox/open", post(open_notice))
        .route("/inbox/read", post(read_all))
        .route("/consultations", get(consultations_page).post(ask_form))
        .route("/consultations/{id}", get(consultation_page))
        .route("/consultations/{id}/close", post(close_form))
        .route("/api/comments", get(api_thread).post(api_post))
        .route(
            "/api/comments/{id}",
            axum::routing::delete(api_remove).post(api_edit),
        )
        .route("/api/inbox", get(api_inbox))
        .route("/api/inbox/read", post(api_read))
        .route("/api/consultations", get(api_consultations).post(api_ask))
        .route("/api/consultations/{id}", get(api_consultation))
        .route("/api/consultations/{id}/close", post(api_close))
        .route("/api/answers", get(api_answers).post(api_mark))
}

/// The page a target is shown on.
pub fn target_url(t: &Target) -> String {
    match t {
        Target::Document(id) => super::markup::document_url(id.as_str(), ""),
        Target::Article(id) => super::markup::article_url(id, ""),
        Target::Proposal(id) => super::proposal_pages::proposal_url(id.as_str()),
        Target::Consultation(id) => format!("/consultations/{id}"),
        Target::Workpaper(id) => format!("/workpapers/{id}"),
        Target::Cell(..) | Target::Finding(..) => {
            super::discuss::discuss_url(t).unwrap_or_else(|| "/".into())
        }
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

// ---------------------------------------------------------------------------------------------------------
// The comments section

/// A piece of a comment as the page prints it (every piece escaped).
#[derive(Debug, Clone)]
pub struct SpanView {
    /// `text`, `link`, `mention` or `cite`.
    pub kind: &'static str,
    pub text: String,
    pub url: String,
}

fn span_views(spans: Vec<Span>) -> Vec<SpanView> {
    spans
        .into_iter()
        .map(|s| match s {
            Span::Text(text) => SpanView {
                kind: "text",
                text,
                url: String::new(),
            },
            Span::Link(url) => SpanView {
                kind: "link",
                text: url.clone(),
                url,
            },
            Span::Mention(name) => SpanView {
                kind: "mention",
                text: format!("@{name}"),
                url: String::new(),
            },
            Span::Cite { text, article } => SpanView {
                kind: "cite",
                text,
                url: super::markup::article_url(&article, ""),
            },
        })
        .collect()
}

/// One comment as shown.
#[derive(Debug, Clone)]
pub struct CommentView {
    pub id: u64,
    pub author: String,
    pub when: String,
    pub edited: bool,
    /// Who removed it, when it was removed.
    pub removed: Option<String>,
    pub spans: Vec<SpanView>,
    /// Indentation steps (replies of replies stop indenting after four).
    pub depth: usize,
    pub reply_to: Option<String>,
    pub can_edit: bool,
    pub can_remove: bool,
    pub body: String,
}

/// The comments section of a page.
#[derive(Debug, Clone, Default)]
pub struct CommentsView {
    pub target: String,
    /// The page to come back to after posting.
    pub back: String,
    pub items: Vec<CommentView>,
    /// Logged-in readers may post; visitors see a link to log in.
    pub can_post: bool,
    pub login_url: String,
    pub edit_minutes: i64,
    /// For a logged-in reader of a document, article, proposal, number or finding: the page that adds it to
    /// a working collection.
    pub collect: Option<String>,
}

fn comment_views(
    lib: &Library,
    viewer: &Viewer,
    thread: Vec<Threaded>,
    accounts: &[User],
) -> AppResult<Vec<CommentView>> {
    let now = Utc::now();
    let authors: std::collections::HashMap<CommentId, String> = thread
        .iter()
        .map(|t| (t.comment.id, t.comment.author.clone()))
        .collect();
    let me = viewer.user.clone().unwrap_or_default();
    let mut out = Vec::with_capacity(thread.len());
    for Threaded { comment: c, depth } in thread {
        let spans = if c.removed.is_some() {
            Vec::new()
        } else {
            span_views(collab::render(lib, viewer, &c.body, accounts)?)
        };
        out.push(CommentView {
            id: c.id.0,
            when: when(c.created),
            edited: c.edited.is_some(),
            removed: c
                .removed
                .as_ref()
                .map(|r| format!("该评论已由 {} 于 {} 删除", r.by, when(r.at))),
            spans,
            depth: depth.min(4),
            reply_to: c.parent.and_then(|p| authors.get(&p).cloned()),
            can_edit: !me.is_empty() && c.editable_by(&me, now),
            can_remove: c.removed.is_none()
                && !me.is_empty()
                && (c.author == me || viewer.can(Role::Admin)),
            body: c.body,
            author: c.author,
        });
    }
    Ok(out)
}

/// The comments section for `target` as `viewer` sees it (call where the target is known to be visible).
pub fn comments_view(
    lib: &Library,
    viewer: &Viewer,
    target: &Target,
    back: &str,
) -> AppResult<CommentsView> {
    let thread = comments::thread(lib, viewer, target)?;
    let accounts = collab::active_accounts(lib)?;
    Ok(CommentsView {
        target: target.key(),
        back: back.to_string(),
        items: comment_views(lib, viewer, thread, &accounts)?,
        can_post: viewer.user.is_some() && viewer.can(Role::Deputy),
        login_url: format!("/login?next={}", encode_component(back)),
        edit_minutes: EDIT_MINUTES,
        collect: (viewer.user.is_some()
            && viewer.can(Role::Deputy)
            && matches!(
                target,
                Target::Document(_)
                    | Target::Article(_)
                    | Target::Proposal(_)
                    | Target::Cell(..)
                    | Target::Finding(..)
            ))
        .then(|| super::workpapers::collect_url(target)),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    pub target: String,
    pub parent: String,
    pub body: String,
    pub back: String,
}

fn parse_target(key: &str) -> AppResult<Target> {
    Target::parse(key).ok_or_else(|| AppError::BadRequest(format!("无法识别评论对象：{key}")))
}

fn parse_parent(s: &str) -> AppResult<Option<CommentId>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(|n| Some(CommentId(n)))
        .map_err(|_| AppError::BadRequest(format!("无法识别要回复的评论：{s}")))
}

fn back_to(back: &str, target: &Target, anchor: &str) -> Redirect {
    let base = if back.trim().is_empty() {
        target_url(target)
    } else {
        safe_next(back.trim())
    };
    let base = base.split('#').next().unwrap_or("/").to_string();
    Redirect::to(&format!("{base}#{anchor}"))
}

/// `POST /comments`: posts a comment or reply and goes back to it.
pub async fn post_form(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<Form<CommentForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form?;
    let target = parse_target(&form.target)?;
    let new = NewComment {
        target: target.clone(),
        parent: parse_parent(&form.parent)?,
        body: form.body,
    };
    st.posts.admit(&viewer.actor())?;
    let v = viewer.clone();
    let c = st
        .blocking(move |lib| Ok(comments::post(lib, &v, new)?))
        .await?;
    Ok(back_to(&form.back, &target, &format!("c{}", c.id)).into_response())
}

/// `POST /comments/{id}/edit`: the author replaces the text within the edit window.
pub async fn edit_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
    form: Result<Form<CommentForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Path(id) = path?;
    let Form(form) = form?;
    let v = viewer.clone();
    let c = st
        .blocking(move |lib| Ok(comments::edit(lib, &v, CommentId(id), &form.body)?))
        .await?;
    Ok(back_to("", &c.target, &format!("c{}", c.id)).into_response())
}

/// `POST /comments/{id}/remove`: its author or an administrator removes it.
pub async fn remove_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
) -> Result<Response, PageError> {
    let Path(id) = path?;
    let v = viewer.clone();
    let c = st
        .blocking(move |lib| Ok(comments::remove(lib, &v, CommentId(id))?))
        .await?;
    Ok(back_to("", &c.target, &format!("c{}", c.id)).into_response())
}

// ---------------------------------------------------------------------------------------------------------
// The inbox

/// One notice as shown.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub seq: u64,
    pub kind: &'static str,
    pub from: String,
    pub title: String,
    pub what: &'static str,
    pub text: String,
    pub when: String,
    pub read: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub chrome: Chrome,
    pub notices: Vec<NoticeView>,
    pub unread: usize,
    pub older_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

const INBOX_PAGE: usize = 50;

/// `GET /inbox`: the viewer's notices, newest first, fifty a page.
pub async fn inbox_page(
    State(st): State<AppState>,
    viewer: Viewer,
    q: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<InboxPage, PageError> {
    let Query(q) = q.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let page_chrome = chrome(&st, "消息", "");
    let v = viewer.clone();
    let (lines, unread) = st
        .blocking(move |lib| {
            Ok((
                inbox::list(lib, &v, q.before, INBOX_PAGE)?,
                inbox::unread_count(lib, &v)?,
            ))
        })
        .await?;
    let older_url = (lines.len() == INBOX_PAGE)
        .then(|| {
            lines
                .last()
                .map(|l| format!("/inbox?before={}", l.notice.seq))
        })
        .flatten();
    Ok(InboxPage {
        chrome: page_chrome,
        unread,
        older_url,
        notices: lines
            .into_iter()
            .map(|l| NoticeView {
                seq: l.notice.seq,
                kind: l.notice.kind.label(),
                from: l.notice.from,
                what: l.notice.target.label(),
                title: l.title,
                text: l.notice.text,
                when: when(l.notice.at),
                read: l.notice.read,
            })
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OpenForm {
    pub seq: u64,
}

/// `POST /inbox/open`: marks a notice read and opens what it is about, at the comment.
pub async fn open_notice(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<Form<OpenForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form?;
    let v = viewer.clone();
    let notice: Notice = st
        .blocking(move |lib| {
            let me = v.user.clone().unwrap_or_default();
            let found = lib
                .store()
                .notices(&me, Some(form.seq.saturating_add(1)), 1)?
                .into_iter()
                .find(|n| n.seq == form.seq)
                .ok_or_else(|| AppError::NotFound(format!("没有这条消息：{}", form.seq)))?;
            if !collab::can_see(lib, &found.target, &v)? {
                return Err(AppError::NotFound(format!("没有这条消息：{}", form.seq)));
            }
            inbox::mark_read(lib, &v, Some(&[form.seq]))?;
            Ok(found)
        })
        .await?;
    let url = target_url(&notice.target);
    Ok(match notice.comment {
        Some(c) => Redirect::to(&format!("{url}#c{c}")),
        None => Redirect::to(&url),
    }
    .into_response())
}

/// `POST /inbox/read`: marks every notice read.
pub async fn read_all(State(st): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    st.blocking(move |lib| Ok(inbox::mark_read(lib, &viewer, None)?))
        .await?;
    Ok(Redirect::to("/inbox").into_response())
}

// ---------------------------------------------------------------------------------------------------------
// Consultations

/// A consultation in a list.
#[derive(Debug, Clone)]
pub struct ConsultationRow {
    pub id: u64,
    pub title: String,
    pub asker: String,
    pub when: String,
    pub messages: usize,
    pub answered: bool,
    pub closed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "consultations.html")]
pub struct ConsultationsPage {
    pub chrome: Chrome,
    pub rows: Vec<ConsultationRow>,
    pub staff: bool,
}

/// `GET /consultations`: staff see every question, a deputy their own, with the form to ask.
pub async fn consultations_page(
    State(st): State<AppState>,
    viewer: Viewer,
) -> Result<ConsultationsPage, PageError> {
    let page_chrome = chrome(&st, "咨询", "");
    let v = viewer.clone();
    let list = st.blocking(move |lib| Ok(consult::list(lib, &v)?)).await?;
    Ok(ConsultationsPage {
        chrome: page_chrome,
        staff: viewer.can(Role::Staff),
        rows: list
            .into_iter()
            .map(|l| ConsultationRow {
                id: l.consultation.id.0,
                title: l.consultation.title,
                asker: l.consultation.asker,
                when: when(l.consultation.created),
                messages: l.messages,
                answered: l.answered,
                closed: l.consultation.closed,
            })
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AskForm {
    pub title: String,
    pub body: String,
}

/// `POST /consultations`: asks the staff a question and opens its thread.
pub async fn ask_form(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<Form<AskForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form?;
    st.posts.admit(&viewer.actor())?;
    let (c, _) = st
        .blocking(move |lib| Ok(consult::ask(lib, &viewer, &form.title, &form.body)?))
        .await?;
    Ok(Redirect::to(&format!("/consultations/{}", c.id)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "consultation.html")]
pub struct ConsultationPage {
    pub chrome: Chrome,
    pub id: u64,
    pub title: String,
    pub asker: String,
    pub when: String,
    pub closed: bool,
    pub comments: CommentsView,
}

/// `GET /consultations/{id}`: the question and its answers, with the reply form.
pub async fn consultation_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
) -> Result<ConsultationPage, PageError> {
    let Path(id) = path?;
    let page_chrome = chrome(&st, "咨询", "");
    let (c, comments) = st
        .blocking(move |lib| {
            let target = Target::Consultation(ConsultationId(id));
            if !collab::can_see(lib, &target, &viewer)? {
                return Err(AppError::NotFound(format!("没有这件咨询：{id}")));
            }
            let c = lib
                .store()
                .get_consultation(ConsultationId(id))?
                .ok_or_else(|| AppError::NotFound(format!("没有这件咨询：{id}")))?;
            let view = comments_view(lib, &viewer, &target, &format!("/consultations/{id}"))?;
            Ok((c, view))
        })
        .await?;
    Ok(ConsultationPage {
        chrome: Chrome {
            title: c.title.clone(),
            ..page_chrome
        },
        id: c.id.0,
        title: c.title,
        asker: c.asker,
        when: when(c.created),
        closed: c.closed,
        comments,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    /// `1` closes, `0` reopens.
    pub closed: String,
}

/// `POST /consultations/{id}/close`: closes (or with `closed=0` reopens) a consultation.
pub async fn close_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<u64>, PathRejection>,
    form: Result<Form<CloseForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Path(id) = path?;
    let Form(form) = form?;
    let closed = form.closed.trim() != "0";
    st.blocking(move |lib| {
        Ok(consult::set_closed(
            lib,
            &viewer,
            ConsultationId(id),
            closed,
        )?)
    })
    .await?;
    Ok(Redirect::to(&format!("/consultations/{id}")).into_response())
}

// ---------------------------------------------------------------------------------------------------------
// JSON API

/// A comment in the API.
#[derive(Debug, Serialize)]
pub struct CommentOut {
    pub id: u64,
    pub target: String,
    pub parent: Option<u64>,
    pub depth: usize,
    pub author: String,
    /// Empty when removed.
    pub body: String,
    pub mentions: Vec<String>,
    pub created: DateTime<Utc>,
    pub edited: Option<DateTime<Utc>>,
    pub removed: bool,
}

fn comment_out(c: Comment, depth: usize) -> CommentOut {
    CommentOut {
        id: c.id.0,
        target: c.target.key(),
        parent: c.parent.map(|p| p.0),
        depth,
        author: c.author,
        body: c.body,
        mentions: c.mentions,
        created: c.created,
        edited: c.edited,
        removed: c.removed.is_some(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ThreadQuery {
    pub target: String,
}

/// `GET /api/comments?target=KEY`: a target's comments in thread order.
pub async fn api_thread(
    State(st): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<ThreadQuery>,
) -> AppResult<Json<Vec<CommentOut>>> {
    let target = parse_target(&q.target)?;
    let thread = st
        .blocking(move |lib| Ok(comments::thread(lib, &viewer, &target)?))
        .await?;
    Ok(Json(
        thread
            .into_iter()
            .map(|t| comment_out(t.comment, t.depth))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct CommentBody {
    pub target: String,
    #[serde(default)]
    pub parent: Option<u64>,
    pub body: String,
}

pub(super) fn json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> AppResult<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest(format!("请求内容格式不正确：{e}")))
}

/// `POST /api/comments`: posts a comment (201 with the comment).
pub async fn api_post(
    State(st): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let b: CommentBody = json(&body)?;
    let new = NewComment {
        target: parse_target(&b.target)?,
        parent: b.parent.map(CommentId),
        body: b.body,
    };
    st.posts.admit(&viewer.actor())?;
    let c = st
        .blocking(move |lib| Ok(comments::post(lib, &viewer, new)?))
        .await?;
    Ok((StatusCode::CREATED, Json(comment_out(c, 0))).into_response())
}

#[derive(Debug, Deserialize)]
pub struct EditBody {
    pub body: String,
}

/// `POST /api/comments/{id}`: the author replaces the body within the edit window.
pub async fn api_edit(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(id): Path<u64>,
    body: axum::body::Bytes,
) -> AppResult<Json<CommentOut>> {
    let b: EditBody = json(&body)?;
    let c = st
        .blocking(move |lib| Ok(comments::edit(lib, &viewer, CommentId(id), &b.body)?))
        .await?;
    Ok(Json(comment_out(c, 0)))
}

/// `DELETE /api/comments/{id}`: its author or an administrator removes it.
pub async fn api_remove(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(id): Path<u64>,
) -> AppResult<Json<CommentOut>> {
    let c = st
        .blocking(move |lib| Ok(comments::remove(lib, &viewer, CommentId(id))?))
        .await?;
    Ok(Json(comment_out(c, 0)))
}

/// A notice in the API.
#[derive(Debug, Serialize)]
pub struct NoticeOut {
    pub seq: u64,
    pub kind: crate::collab::model::NoticeKind,
    pub target: String,
    pub title: String,
    pub url: String,
    pub comment: Option<u64>,
    pub from: String,
    pub text: String,
    pub at: DateTime<Utc>,
    pub read: bool,
}

#[derive(Debug, Serialize)]
pub struct InboxOut {
    pub unread: usize,
    pub notices: Vec<NoticeOut>,
}

/// `GET /api/inbox?before=SEQ&limit=N`: the viewer's notices, newest first, and the unread count.
pub async fn api_inbox(
    State(st): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> AppResult<Json<InboxOut>> {
    let limit = q.limit.unwrap_or(INBOX_PAGE).clamp(1, 500);
    let (lines, unread) = st
        .blocking(move |lib| {
            Ok((
                inbox::list(lib, &viewer, q.before, limit)?,
                inbox::unread_count(lib, &viewer)?,
            ))
        })
        .await?;
    Ok(Json(InboxOut {
        unread,
        notices: lines
            .into_iter()
            .map(|l| NoticeOut {
                seq: l.notice.seq,
                kind: l.notice.kind,
                url: target_url(&l.notice.target),
                target: l.notice.target.key(),
                title: l.title,
                comment: l.notice.comment.map(|c| c.0),
                from: l.notice.from,
                text: l.notice.text,
                at: l.notice.at,
                read: l.notice.read,
            })
            .collect(),
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReadBody {
    /// The notices to mark read; all when absent.
    #[serde(default)]
    pub seqs: Option<Vec<u64>>,
}

/// `POST /api/inbox/read`: marks notices read (`{"seqs": [..]}`, or all with `{}`).
pub async fn api_read(
    State(st): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let b: ReadBody = if body.is_empty() {
        ReadBody::default()
    } else {
        json(&body)?
    };
    let n = st
        .blocking(move |lib| Ok(inbox::mark_read(lib, &viewer, b.seqs.as_deref())?))
        .await?;
    Ok(Json(serde_json::json!({ "marked": n })))
}

/// A consultation in the API.
#[derive(Debug, Serialize)]
pub struct ConsultationOut {
    pub id: u64,
    pub title: String,
    pub asker: String,
    pub created: DateTime<Utc>,
    pub closed: bool,
    pub messages: usize,
    pub answered: bool,
}

fn consultation_out(c: Consultation, messages: usize, answered: bool) -> ConsultationOut {
    ConsultationOut {
        id: c.id.0,
        title: c.title,
        asker: c.asker,
        created: c.created,
        closed: c.closed,
        messages,
        answered,
    }
}

/// `GET /api/consultations`: every consultation for staff, one's own otherwise.
pub async fn api_consultations(
    State(st): State<AppState>,
    viewer: Viewer,
) -> AppResult<Json<Vec<ConsultationOut>>> {
    let list = st
        .blocking(move |lib| Ok(consult::list(lib, &viewer)?))
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|l| consultation_out(l.consultation, l.messages, l.answered))
            .collect(),
    ))
}

/// `POST /api/consultations` `{"title", "body"}`: asks the staff a question (201).
pub async fn api_ask(
    State(st): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let b: AskForm = json(&body)?;
    st.posts.admit(&viewer.actor())?;
    let (c, _) = st
        .blocking(move |lib| Ok(consult::ask(lib, &viewer, &b.title, &b.body)?))
        .await?;
    Ok((StatusCode::CREATED, Json(consultation_out(c, 1, false))).into_response())
}

#[derive(Debug, Serialize)]
pub struct ConsultationThreadOut {
    pub consultation: ConsultationOut,
    pub comments: Vec<CommentOut>,
}

/// `GET /api/consultations/{id}`: the question and its thread.
pub async fn api_consultation(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(id): Path<u64>,
) -> AppResult<Json<ConsultationThreadOut>> {
    let (c, thread) = st
        .blocking(move |lib| {
            let target = Target::Consultation(ConsultationId(id));
            let thread = comments::thread(lib, &viewer, &target)?;
            let c = lib
                .store()
                .get_consultation(ConsultationId(id))?
                .ok_or_else(|| AppError::NotFound(format!("没有这件咨询：{id}")))?;
            Ok((c, thread))
        })
        .await?;
    let answered = thread.iter().any(|t| t.comment.author != c.asker);
    let messages = thread.len();
    Ok(Json(ConsultationThreadOut {
        consultation: consultation_out(c, messages, answered),
        comments: thread
            .into_iter()
            .map(|t| comment_out(t.comment, t.depth))
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct CloseBody {
    pub closed: bool,
}

/// `POST /api/consultations/{id}/close` `{"closed": true|false}`.
pub async fn api_close(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(id): Path<u64>,
    body: axum::body::Bytes,
) -> AppResult<Json<ConsultationOut>> {
    let b: CloseBody = json(&body)?;
    let c = st
        .blocking(move |lib| {
            Ok(consult::set_closed(
                lib,
                &viewer,
                ConsultationId(id),
                b.closed,
            )?)
        })
        .await?;
    Ok(Json(consultation_out(c, 0, false)))
}

/// `GET /api/answers` (staff): the staff's marks as labelled questions, `[{"query", "relevant": [names]}]`
/// (the STARD format that `yusuan eval stard` reads).
pub async fn api_answers(
    State(st): State<AppState>,
    viewer: Viewer,
) -> AppResult<Json<Vec<crate::eval::Question>>> {
    super::auth::require(&viewer, Role::Staff)?;
    let list = st
        .blocking(|lib| Ok(crate::collab::answers::labelled(lib)?))
        .await?;
    Ok(Json(list))
}

#[derive(Debug, Deserialize)]
pub struct MarkBody {
    pub query: String,
    pub article: String,
    /// `false` takes the mark back.
    #[serde(default = "yes")]
    pub on: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/answers` `{"query", "article", "on"}` (staff): marks an article as answering a question.
pub async fn api_mark(
    State(st): State<AppState>,
    viewer: Viewer,
    body: axum::body::Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let b: MarkBody = json(&body)?;
    let article = crate::model::ArticleId(b.article.trim().to_string());
    let marked = st
        .blocking(move |lib| {
            Ok(crate::collab::answers::mark(
                lib, &viewer, &b.query, &article, b.on,
            )?)
        })
        .await?;
    Ok(Json(match marked {
        Some(a) => {
            serde_json::json!({"query": a.query, "article": a.article, "name": a.name, "by": a.by, "at": a.at})
        }
        None => serde_json::json!({"removed": true}),
    }))
}
