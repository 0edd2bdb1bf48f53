//! The JSON API. `GET /api/search` takes the search page's parameters and returns the same model as
//! `yusuan search --json`; errors are `{"error": {"code", "message"}}` (see `error`).

use super::error::{AppError, AppResult};
use super::params::SearchParams;
use super::tasks::{Task, Upload};
use super::{AppState, Indexing};
use crate::model::{Article, ArticleId, DocId, Document};
use crate::search::{self, SearchResponse};
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::PathRejection;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `GET /api/search`.
pub async fn search(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<SearchResponse>> {
    let params = SearchParams::parse(raw.as_deref())?;
    let mut req = params.request(&st.lib.config)?;
    super::links::check_link_filters(&st.lib, &mut req.filters)?;
    let resp = st
        .blocking(move |lib| Ok(search::search(lib, &req)?))
        .await?;
    Ok(Json(resp))
}

/// Another version of the same law.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionRef {
    pub id: DocId,
    pub title: String,
    pub version_date: Option<crate::model::Date>,
    pub validity: crate::model::Validity,
}

/// The versions of a document's title, oldest first (the document itself included).
pub fn versions(
    lib: &crate::library::Library,
    doc: &Document,
) -> crate::error::Result<Vec<VersionRef>> {
    let mut out = Vec::new();
    for id in lib.store().ids_with_title(&doc.title)? {
        if let Some(d) = lib.store().get_meta(&id)? {
            out.push(VersionRef {
                id: d.id.clone(),
                title: d.title.clone(),
                version_date: d.version_date.or(d.date()),
                validity: d.validity,
            });
        }
    }
    out.sort_by(|a, b| (a.version_date, &a.id).cmp(&(b.version_date, &b.id)));
    Ok(out)
}

/// A document with its articles and the versions of the same law.
#[derive(Debug, Serialize)]
pub struct DocumentOut {
    #[serde(flatten)]
    pub document: Document,
    pub versions: Vec<VersionRef>,
}

/// `GET /api/documents/{id}`.
pub async fn document(
    State(st): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<DocumentOut>> {
    let Path(id) = path?;
    let out = st
        .blocking(move |lib| {
            let doc = lib
                .store()
                .get_document(&DocId(id.clone()))?
                .ok_or_else(|| {
                    AppError::NotFound(format!("没有 id 为 {id} 的文档 (no such document)"))
                })?;
            let versions = versions(lib, &doc)?;
            Ok(DocumentOut {
                document: doc,
                versions,
            })
        })
        .await?;
    Ok(Json(out))
}

/// A citation inside an article.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitationOut {
    /// The cited words as written.
    pub text: String,
    /// The cited article, when it is in the library.
    pub article: Option<ArticleId>,
}

/// An article with its document's title and the citations it contains.
#[derive(Debug, Serialize)]
pub struct ArticleOut {
    #[serde(flatten)]
    pub article: Article,
    pub title: String,
    pub validity: crate::model::Validity,
    pub citations: Vec<CitationOut>,
}

/// `GET /api/articles/{id}`.
pub async fn article(
    State(st): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<ArticleOut>> {
    let Path(id) = path?;
    let out = st
        .blocking(move |lib| {
            let super::markup::ArticleInContext {
                article,
                doc,
                cited,
                links,
                ..
            } = super::markup::article_in_context(lib, &id)?;
            let citations = cited
                .iter()
                .map(|c| CitationOut {
                    text: article
                        .text
                        .get(c.span.clone())
                        .unwrap_or_default()
                        .to_string(),
                    article: links
                        .iter()
                        .find(|l| l.span.end == c.span.end && l.span.start >= c.span.start)
                        .map(|l| l.target.clone()),
                })
                .collect();
            Ok(ArticleOut {
                title: doc.title,
                validity: doc.validity,
                article,
                citations,
            })
        })
        .await?;
    Ok(Json(out))
}

/// Reads the files of a multipart upload (every part with a file name; empty file inputs are skipped);
/// `limit` is the body limit that applied, for the message.
pub async fn read_uploads(mut mp: Multipart, limit: usize) -> AppResult<Vec<Upload>> {
    const MAX_FILES: usize = 200;
    let too_large = |e| AppError::from_multipart(e, limit);
    let mut uploads = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(too_large)? {
        let Some(name) = field.file_name().map(str::to_string) else {
            continue;
        };
        let bytes = field.bytes().await.map_err(too_large)?;
        if name.is_empty() && bytes.is_empty() {
            continue;
        }
        if uploads.len() == MAX_FILES {
            return Err(AppError::BadRequest(format!(
                "一次最多上传 {MAX_FILES} 个文件 (too many files)"
            )));
        }
        uploads.push(Upload { name, bytes });
    }
    Ok(uploads)
}

/// `POST /api/ingest`: multipart files → 202 with the queued task and its `Location`.
pub async fn ingest(
    State(st): State<AppState>,
    mp: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let uploads = read_uploads(mp?, st.lib.config.max_upload_bytes).await?;
    let tasks = st.tasks.clone();
    let task = tokio::task::spawn_blocking(move || tasks.submit_uploads(uploads)).await??;
    let location = format!("/api/tasks/{}", task.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(task),
    )
        .into_response())
}

/// `GET /api/tasks/{id}`.
pub async fn task(
    State(st): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<Task>> {
    let Path(id) = path?;
    let tasks = st.tasks.clone();
    let task = tokio::task::spawn_blocking(move || tasks.get(&id).map(|t| (id, t)))
        .await?
        .map_err(AppError::from)?;
    match task {
        (_, Some(t)) => Ok(Json(t)),
        (id, None) => Err(AppError::NotFound(format!(
            "没有 id 为 {id} 的任务 (no such task)"
        ))),
    }
}

/// The answer of `GET /api/health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// "ok", or "indexing" while an ingest runs.
    pub status: &'static str,
    /// 「正在建立索引：N / M」 while indexing.
    pub message: String,
    pub documents: usize,
    pub articles: usize,
    pub indexing: Option<Indexing>,
    pub version: &'static str,
}

/// `GET /api/health`.
pub async fn health(State(st): State<AppState>) -> Json<Health> {
    let indexing = st.indexing();
    let busy = st.tasks.busy();
    Json(Health {
        status: if busy { "indexing" } else { "ok" },
        message: indexing_message(indexing, busy),
        documents: st.lib.store().count_documents(),
        articles: st.lib.store().count_articles(),
        indexing,
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// 「正在建立索引：N / M」 while indexing, 「就绪」 otherwise.
pub fn indexing_message(indexing: Option<Indexing>, busy: bool) -> String {
    match indexing {
        Some(i) => format!("正在建立索引：{} / {}", i.done, i.total),
        None if busy => "正在建立索引：准备中".into(),
        None => "就绪".into(),
    }
}

/// `GET /api/openapi.json`: the API described in OpenAPI 3.
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
