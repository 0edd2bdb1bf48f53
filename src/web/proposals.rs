//! Deputy proposals over HTTP (JSON): the filtered list with counts (or its CSV/XLSX export), the
//! dashboard, one proposal with its timeline, replies, links and similar proposals, creating proposals,
//! recording events and importing tables. Every handler calls the same library functions as the CLI.
//!
//! Routes: `GET/POST /api/proposals`, `GET /api/proposals/dashboard`, `GET /api/proposals/{id}`,
//! `GET /api/proposals/{id}/similar`, `POST /api/proposals/{id}/events`, `POST /api/proposals/import`.

use super::AppState;
use super::error::{AppError, AppResult};
use super::params::ApiQuery;
use crate::auth::Viewer;
use crate::model::{Date, Scope};
use crate::proposals::export::ExportFormat;
use crate::proposals::import::TableFormat;
use crate::proposals::model::{
    Event, EventKind, Grade, ProposalId, ProposalType, Satisfaction, Status,
};
use crate::proposals::{self, ListFilter};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// The proposal routes, merged into the application's router; `upload_limit` bounds imported tables.
pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/api/proposals", get(list).post(create))
        .route("/api/proposals/dashboard", get(dashboard))
        .route(
            "/api/proposals/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/proposals/{id}", get(show))
        .route("/api/proposals/{id}/similar", get(similar))
        .route("/api/proposals/{id}/events", post(event))
}

/// List parameters as they appear in the URL.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub session: Option<String>,
    pub year: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
    pub delegation: Option<String>,
    pub category: Option<String>,
    pub grade: Option<String>,
    pub satisfaction: Option<String>,
    pub topic: Option<String>,
    /// A deputy who leads or co-signed it.
    pub deputy: Option<String>,
    pub overdue: Option<String>,
    pub due_soon: Option<String>,
    pub key: Option<String>,
    pub q: Option<String>,
    pub offset: Option<usize>,
    pub limit: Option<usize>,
    /// The date that decides what is overdue (default: today).
    pub today: Option<String>,
    /// `csv` or `xlsx` to download the filtered list.
    pub format: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(super) fn parsed<T>(
    v: &Option<String>,
    what: &str,
    f: impl Fn(&str) -> Option<T>,
) -> AppResult<Option<T>> {
    nonempty(v)
        .map(|s| f(s).ok_or_else(|| AppError::BadRequest(format!("无法识别的{what}：{s}"))))
        .transpose()
}

fn flag(v: &Option<String>) -> bool {
    matches!(nonempty(v), Some("1" | "true" | "on" | "yes" | "是"))
}

pub(super) fn today_of(v: &Option<String>) -> AppResult<Date> {
    Ok(parsed(v, "日期", proposals::import::parse_date)?.unwrap_or_else(proposals::today))
}

impl ListQuery {
    /// The typed filter.
    pub fn filter(&self) -> AppResult<ListFilter> {
        Ok(ListFilter {
            session: nonempty(&self.session).map(str::to_string),
            year: parsed(&self.year, "年份", |s| s.parse().ok())?,
            kind: parsed(&self.kind, "类型", ProposalType::parse_loose)?,
            status: parsed(&self.status, "状态", Status::parse)?,
            unit: nonempty(&self.unit).map(str::to_string),
            delegation: nonempty(&self.delegation).map(str::to_string),
            category: nonempty(&self.category).map(str::to_string),
            grade: parsed(&self.grade, "答复类别", Grade::parse_loose)?,
            satisfaction: parsed(&self.satisfaction, "满意度", Satisfaction::parse)?,
            topic: nonempty(&self.topic).map(str::to_string),
            deputy: nonempty(&self.deputy).map(str::to_string),
            overdue: flag(&self.overdue),
            due_soon: flag(&self.due_soon),
            key_supervision: flag(&self.key),
            q: nonempty(&self.q).map(str::to_string),
            offset: self.offset.unwrap_or(0).min(100_000),
            limit: self.limit.unwrap_or(50).clamp(1, 500),
            // The narrowest scope; handlers set the viewer's.
            scope: Default::default(),
        })
    }
}

/// `GET /api/proposals`: the list with counts, or the export with `format=csv|xlsx`.
pub async fn list(
    State(st): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    let mut filter = q.filter()?;
    filter.scope = viewer.scope();
    let today = today_of(&q.today)?;
    if let Some(f) = nonempty(&q.format) {
        let format = ExportFormat::parse(f)
            .ok_or_else(|| AppError::BadRequest(format!("导出格式应为 csv 或 xlsx：{f}")))?;
        let bytes = st
            .blocking(move |lib| Ok(proposals::export(lib, &filter, today, format)?))
            .await?;
        let disposition = format!("attachment; filename=\"proposals.{}\"", format.extension());
        return Ok((
            [
                (header::CONTENT_TYPE, format.content_type().to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response());
    }
    let page = st
        .blocking(move |lib| Ok(proposals::list(lib, &filter, today)?))
        .await?;
    Ok(Json(page).into_response())
}

/// `POST /api/proposals`: one proposal as an object with the import's Chinese keys.
pub async fn create(State(st): State<AppState>, body: axum::body::Bytes) -> AppResult<Response> {
    let record: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("请求体不是 JSON：{e}")))?;
    if !record.is_object() {
        return Err(AppError::BadRequest("请求体应为一个建议对象".into()));
    }
    let id = st
        .blocking(move |lib| Ok(proposals::create(lib, &record)?))
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response())
}

#[derive(Debug, Deserialize)]
pub struct TodayQuery {
    pub today: Option<String>,
}

/// `GET /api/proposals/dashboard`.
pub async fn dashboard(
    State(st): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<TodayQuery>,
) -> AppResult<Json<proposals::Dashboard>> {
    let today = today_of(&q.today)?;
    let scope = viewer.scope();
    let d = st
        .blocking(move |lib| Ok(proposals::dashboard(lib, today, &scope)?))
        .await?;
    Ok(Json(d))
}

/// Resolves an id or a number to one proposal inside `scope` (the newest such session for a bare number);
/// a proposal outside the scope is not found, exactly like a missing one.
pub(super) fn resolve(
    lib: &crate::library::Library,
    key: &str,
    scope: &Scope,
) -> AppResult<ProposalId> {
    for id in proposals::resolve(lib, key)? {
        if lib
            .store()
            .get_proposal(&id)?
            .is_some_and(|p| proposals::visible(&p, scope))
        {
            return Ok(id);
        }
    }
    Err(AppError::NotFound(format!(
        "没有这件建议：{key} (no such proposal)"
    )))
}

/// `GET /api/proposals/{id}`: record, events, state, replies, links, laws and similar proposals.
pub async fn show(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<TodayQuery>,
) -> AppResult<Json<proposals::ProposalView>> {
    let today = today_of(&q.today)?;
    let scope = viewer.scope();
    let v = st
        .blocking(move |lib| {
            let id = resolve(lib, &key, &scope)?;
            proposals::show(lib, &id, today, &scope)?
                .ok_or_else(|| AppError::NotFound(format!("没有这件建议：{id}")))
        })
        .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
pub struct SimilarQuery {
    pub limit: Option<usize>,
}

/// `GET /api/proposals/{id}/similar`.
pub async fn similar(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<SimilarQuery>,
) -> AppResult<Json<proposals::SimilarReport>> {
    let limit = q.limit.unwrap_or(10).clamp(1, 100);
    let scope = viewer.scope();
    let r = st
        .blocking(move |lib| {
            let id = resolve(lib, &key, &scope)?;
            Ok(proposals::similar(lib, &id, limit, &scope)?)
        })
        .await?;
    Ok(Json(r))
}

/// An event as a client sends it.
#[derive(Debug, Deserialize)]
pub struct EventBody {
    pub kind: String,
    pub date: Option<String>,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub note: String,
    pub grade: Option<String>,
    pub text: Option<String>,
    pub satisfaction: Option<String>,
}

/// `POST /api/proposals/{id}/events`: records an event; a refusal is a 400 with the reason.
pub async fn event(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<proposals::lifecycle::State>> {
    let b: EventBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("事件格式不正确：{e}")))?;
    let event = Event {
        kind: EventKind::parse(&b.kind)
            .ok_or_else(|| AppError::BadRequest(format!("无法识别的事件：{}", b.kind)))?,
        date: today_of(&b.date)?,
        actor: b.actor,
        note: b.note,
        grade: parsed(&b.grade, "答复类别", Grade::parse_loose)?,
        text: b.text.filter(|t| !t.trim().is_empty()),
        satisfaction: parsed(&b.satisfaction, "满意度", Satisfaction::parse)?,
    };
    let scope = viewer.scope();
    let s = st
        .blocking(move |lib| {
            let id = resolve(lib, &key, &scope)?;
            Ok(crate::collab::inbox::record_proposal_event(
                lib, &id, event, &viewer,
            )?)
        })
        .await?;
    Ok(Json(s))
}

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// The file name; its extension (.csv, .xlsx, .json) decides the format.
    pub name: Option<String>,
}

/// `POST /api/proposals/import?name=FILE.csv`: the file as the request body.
pub async fn import(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<Json<proposals::ImportReport>> {
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::upload_too_large(st.lib.config.max_upload_bytes)
        } else {
            AppError::BadRequest(format!("请求内容无法读取：{} (bad body)", e.body_text()))
        }
    })?;
    let name = nonempty(&q.name).unwrap_or("upload.csv").to_string();
    let format = TableFormat::of(std::path::Path::new(&name))
        .ok_or_else(|| AppError::BadRequest(format!("只能导入 CSV、XLSX 或 JSON：{name}")))?;
    let r = st
        .blocking(move |lib| Ok(proposals::import_bytes(lib, &name, format, &body)?))
        .await?;
    Ok(Json(r))
}
