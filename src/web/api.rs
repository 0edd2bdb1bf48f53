//! The JSON API. `GET /api/search` takes the search page's parameters and returns the same model as
//! `yusuan search --json`; errors are `{"error": {"code", "message"}}` (see `error`).

use super::error::{AppError, AppResult};
use super::params::SearchParams;
use super::tasks::{Task, Upload};
use super::{AppState, Indexing};
use crate::auth::{Role, Viewer};
use crate::model::{Access, Article, ArticleId, DocId, Document, Scope};
use crate::search::{self, SearchResponse};
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `GET /api/search`.
pub async fn search(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<SearchResponse>> {
    let params = SearchParams::parse(raw.as_deref())?;
    let mut req = params.request(&st.lib.config)?;
    req.scope = viewer.scope();
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

/// The versions of a document's title inside `scope`, oldest first (the document itself included).
pub fn versions(
    lib: &crate::library::Library,
    doc: &Document,
    scope: &Scope,
) -> crate::error::Result<Vec<VersionRef>> {
    let mut out = Vec::new();
    for id in lib.store().ids_with_title(&doc.title)? {
        if let Some(d) = lib.meta(&id, scope)? {
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
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<DocumentOut>> {
    let Path(id) = path?;
    let scope = viewer.scope();
    let out = st
        .blocking(move |lib| {
            let mut doc = lib.document(&DocId(id.clone()), &scope)?.ok_or_else(|| {
                AppError::NotFound(format!("没有 id 为 {id} 的文档 (no such document)"))
            })?;
            if !viewer.can(Role::Staff) {
                // Where the file lies on the server is for staff; others see its name.
                doc.source = source_name(&doc.source);
            }
            let versions = versions(lib, &doc, &scope)?;
            Ok(DocumentOut {
                document: doc,
                versions,
            })
        })
        .await?;
    Ok(Json(out))
}

/// The file name of a document's source path (an upload without its hash prefix).
fn source_name(source: &str) -> String {
    let name = source.rsplit(['/', '\\']).next().unwrap_or(source);
    match name.split_once('-') {
        Some((prefix, rest))
            if prefix.len() == 12 && prefix.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            rest.to_string()
        }
        _ => name.to_string(),
    }
}

/// The body of `POST /api/documents/{id}/access`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AccessIn {
    /// `public` or `restricted` (or 公开/内部).
    pub access: String,
}

/// The answer of `POST /api/documents/{id}/access`.
#[derive(Debug, Clone, Serialize)]
pub struct AccessOut {
    pub id: DocId,
    pub access: Access,
}

/// Sets who may read a document, for staff; anyone else is refused (403) before the document is looked up.
pub fn set_access(
    lib: &crate::library::Library,
    viewer: &Viewer,
    id: &str,
    value: &str,
) -> AppResult<AccessOut> {
    if !viewer.can(Role::Staff) {
        return Err(AppError::Forbidden);
    }
    let access = Access::parse_any(value).ok_or_else(|| {
        AppError::BadRequest(format!(
            "access 只能是 public 或 restricted，收到 {value} (invalid access)"
        ))
    })?;
    let id = DocId(id.to_string());
    if !crate::pipeline::set_access(lib, &id, access)? {
        return Err(AppError::NotFound(format!(
            "没有 id 为 {id} 的文档 (no such document)"
        )));
    }
    Ok(AccessOut { id, access })
}

/// `POST /api/documents/{id}/access` with `{"access": "public|restricted"}` (staff only).
pub async fn document_access(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<AccessIn>, JsonRejection>,
) -> AppResult<Json<AccessOut>> {
    let Path(id) = path?;
    if !viewer.can(Role::Staff) {
        return Err(AppError::Forbidden);
    }
    let Json(input) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "请求体应为 JSON：{{\"access\": \"public|restricted\"}}；{} (bad body)",
            e.body_text()
        ))
    })?;
    let out = st
        .blocking(move |lib| set_access(lib, &viewer, &id, &input.access))
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
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<ArticleOut>> {
    let Path(id) = path?;
    let scope = viewer.scope();
    let out = st
        .blocking(move |lib| {
            let super::markup::ArticleInContext {
                article,
                doc,
                cited,
                links,
                ..
            } = super::markup::article_in_context(lib, &id, &scope)?;
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

/// What a multipart upload carries: its files and the access chosen for them.
#[derive(Debug, Clone)]
pub struct UploadForm {
    pub files: Vec<Upload>,
    /// The `access` field (`public`/`restricted`, or 公开/内部); `None` when absent.
    pub access: Option<Access>,
    /// The `confirm` field of a form that asks for one (replacing a document).
    pub confirm: Option<String>,
}

/// Reads a multipart upload: every part with a file name (empty file inputs are skipped) and the optional
/// `access` and `confirm` fields; `limit` is the body limit that applied, for the message.
pub async fn read_uploads(mut mp: Multipart, limit: usize) -> AppResult<UploadForm> {
    // A folder chosen in the browser arrives as one file per document.
    const MAX_FILES: usize = 5_000;
    let too_large = |e| AppError::from_multipart(e, limit);
    let mut uploads = Vec::new();
    let mut access = None;
    let mut confirm = None;
    while let Some(field) = mp.next_field().await.map_err(too_large)? {
        let Some(name) = field.file_name().map(str::to_string) else {
            if field.name() == Some("confirm") {
                confirm = Some(field.text().await?);
            } else if field.name() == Some("access") {
                let value = field.text().await?;
                if !value.trim().is_empty() {
                    access = Some(Access::parse_any(&value).ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "access 只能是 public 或 restricted，收到 {value} (invalid access)"
                        ))
                    })?);
                }
            }
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
    Ok(UploadForm {
        files: uploads,
        access,
        confirm,
    })
}

/// The audit line of an upload: its task and the names of its files.
pub fn upload_note(task: &super::tasks::Task) -> super::auth::AuditNote {
    let names: Vec<&str> = task.files.iter().map(|f| f.name.as_str()).collect();
    super::auth::AuditNote(format!("任务 {}：{}", task.id, names.join("、")))
}

/// `POST /api/ingest`: multipart files → 202 with the queued task and its `Location`.
pub async fn ingest(
    State(st): State<AppState>,
    mp: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let form = read_uploads(mp?, st.lib.config.max_upload_bytes).await?;
    let tasks = st.tasks.clone();
    let task = tokio::task::spawn_blocking(move || tasks.submit_uploads(form.files, form.access))
        .await??;
    let location = format!("/api/tasks/{}", task.id);
    let note = upload_note(&task);
    let mut resp = (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(task),
    )
        .into_response();
    resp.extensions_mut().insert(note);
    Ok(resp)
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
    /// "ok", "indexing" while an ingest runs, or "disk_full" (with 503) while the data folder's disk is short
    /// of `Config::min_free_bytes`.
    pub status: &'static str,
    /// 「正在建立索引：N / M」 while indexing.
    pub message: String,
    /// The documents and articles the viewer may see; left out for visitors while anonymous reading is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub articles: Option<usize>,
    pub indexing: Option<Indexing>,
    pub version: &'static str,
}

/// `GET /api/health`. The document and article counts are those the viewer may see.
pub async fn health(State(st): State<AppState>, viewer: Viewer) -> AppResult<Response> {
    let indexing = st.indexing();
    let busy = st.tasks.busy();
    let counted = viewer.can(Role::Deputy) || st.settings().allow_anonymous;
    let scope = viewer.scope();
    let counts = if counted {
        Some(
            st.blocking(move |lib| Ok(search::count_units(lib, &scope)?))
                .await?,
        )
    } else {
        None
    };
    // A flush with nothing to write is cheap, and it finds a store that stopped taking writes (a full disk).
    let store_failed = st
        .blocking(|lib| Ok(lib.store().flush().is_err() || lib.store().write_failed()))
        .await?;
    if store_failed {
        let health = Health {
            status: "store_failed",
            message:
                "数据存储写入失败（磁盘曾满），磁盘空间释放后服务会重新打开存储 (the store failed a write)"
                    .into(),
            documents: counts.map(|c| c.0),
            articles: counts.map(|c| c.1),
            indexing,
            version: env!("CARGO_PKG_VERSION"),
        };
        return Ok((StatusCode::SERVICE_UNAVAILABLE, Json(health)).into_response());
    }
    if let Some(free) = st.lib.config.disk_short() {
        let health = Health {
            status: "disk_full",
            message: format!(
                "磁盘空间不足：可用 {} MiB，暂不能写入 (disk full)",
                free >> 20
            ),
            documents: counts.map(|c| c.0),
            articles: counts.map(|c| c.1),
            indexing,
            version: env!("CARGO_PKG_VERSION"),
        };
        return Ok((StatusCode::SERVICE_UNAVAILABLE, Json(health)).into_response());
    }
    Ok(Json(Health {
        status: if busy { "indexing" } else { "ok" },
        message: indexing_message(indexing, busy),
        documents: counts.map(|c| c.0),
        articles: counts.map(|c| c.1),
        indexing,
        version: env!("CARGO_PKG_VERSION"),
    })
    .into_response())
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
