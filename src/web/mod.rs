//! The web edge (axum): server-rendered pages from `templates/`, the JSON API, upload ingest tasks and the
//! first-start corpus ingest. The only module that knows HTTP, JSON and HTML; it calls the same library
//! functions as the CLI, inside `spawn_blocking` because `Library` is synchronous.
//!
//! Routes: pages `/`, `/search`, `/documents/{id}`, `/documents/{id}/original`, `/articles/{id}`, `/ingest`,
//! `/tasks/{id}`, `/subjects`, `/subjects/{code}`, `/topics`, `/topics/{id}`, `POST /documents/{id}/links`,
//! `POST /documents/{id}/access`,
//! `/proposals`, `/proposals/dashboard`, `/proposals/{id}`, `POST /proposals/{id}/events`, `/alerts`, `/money`, `/money/compare`,
//! `/macro`, `/static/echarts.min.js`, `/inbox`, `/consultations[/{id}]`, `POST /comments`;
//! API `/api/search`, `/api/documents/{id}`, `/api/articles/{id}`, `/api/ingest`, `/api/tasks/{id}`,
//! `/api/health`, `/api/openapi.json`, `/api/subjects[/{code}]`, `/api/topics[/{id}]`,
//! `/api/documents/{id}/links`, `POST /api/documents/{id}/access`, `POST /api/admin/backup`, `/api/alerts`,
//! `/api/documents/{id}/findings`, `/api/money`, `/api/money/compare`, `/api/macro`, `/api/comments`,
//! `/api/inbox`, `/api/consultations`.
//!
//! Limits: uploads (`/ingest`, `/api/ingest`, `/api/proposals/import`) up to `Config::max_upload_bytes`,
//! every other body up to `Config::max_body_bytes` (413 above); at most `Config::max_queued_tasks` upload
//! tasks queued or running (429); query length and result window are checked with the parameters (400).

/// Administration: users, instance settings, the audit log and backups.
pub mod admin;
/// 预警: the findings of the consistency checks, listed, filtered and exported.
pub mod alerts;
/// The JSON API handlers and the OpenAPI description.
pub mod api;
/// Static files compiled into the binary (the vendored ECharts).
pub mod assets;
/// Who is asking: the viewer of each request, the access policy, CSRF, login and the account page.
pub mod auth;
/// Budget data: the facts API and the CSV/XLSX downloads of a document's tables.
pub mod budget;
/// A minimal HTTP client for the command line's calls to a running server.
pub mod client;
/// Comments, the inbox and consultations: pages, forms and API.
pub mod collab;
/// 对比分析: units × subjects × years as a pivot, with budget against actual, as table or chart.
pub mod compare;
/// The discussion pages of a number in a table and of a finding.
pub mod discuss;
pub mod error;
/// 预算执行（联网）: the push API, the execution dashboard and its pace warnings.
pub mod execution;
/// `AppError`: statuses and safe messages for every failure, in one place.
/// The landing page `/`: newest documents, proposals near their deadline, 预警, topics, search tips.
pub mod home;
/// Links to budget subjects and topics: the subject tree, topic dossiers, a document's links and decisions.
pub mod links;
/// The accept loop: HTTP/1 connections with a header-read timeout and graceful shutdown.
pub mod listen;
/// Command lines on the server's machine: `server.json` and `POST /api/local/run`.
pub mod local;
/// Turning document text into HTML: highlighted terms, article anchors, citation links.
pub mod markup;
/// 资金: the drill-down 类 → 款 → 项 → units as table or chart, its downloads and JSON.
pub mod money;
/// The HTML page handlers and their templates.
pub mod pages;
/// Search parameters in URLs: parsing, validation and link building.
pub mod params;
/// The proposal pages: list with counts, dashboard, one proposal and its event form.
pub mod proposal_pages;
/// Deputy proposals: list, dashboard, proposal, events and import (JSON API).
pub mod proposals;
/// 宏观经济分析: indicator series from the work reports and imports, as table or chart, CSV and JSON.
pub mod series;
/// Ingest tasks: uploads, the corpus on first start, the worker thread and task records.
pub mod tasks;
/// Working collections (工作底稿) and saved searches.
pub mod workpapers;

use crate::auth::accounts::{self, FirstAdmin, Settings};
use crate::auth::limiter::LoginLimiter;
use crate::config::Config;
use crate::library::Library;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use error::{AppError, AppResult};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tasks::{TaskKind, TaskStatus, Tasks};

/// Largest accepted upload request body by default (`Config::max_upload_bytes`).
pub const MAX_UPLOAD_BYTES: usize = 64 << 20;

/// The routes that take uploads: they have the upload limit instead of the body limit.
const UPLOAD_ROUTES: &[&str] = &[
    "/ingest",
    "/api/ingest",
    "/api/proposals/import",
    "/api/feed/batches",
];

/// The largest request body accepted on `path`: the upload limit on the upload routes, the body limit elsewhere.
fn body_limit(config: &crate::config::Config, path: &str) -> usize {
    if UPLOAD_ROUTES.contains(&path) {
        config.max_upload_bytes
    } else {
        config.max_body_bytes
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub lib: Arc<Library>,
    pub tasks: Arc<Tasks>,
    /// Signs session cookies.
    pub cookie_key: [u8; 32],
    /// Failed logins per name and address.
    pub limiter: Arc<LoginLimiter>,
    /// Comments and questions per account per minute.
    pub posts: Arc<crate::collab::comments::PostLimiter>,
    /// The instance settings, kept in memory and written through to the store.
    settings: Arc<RwLock<Settings>>,
    /// Command lines of the server's account, when the server takes them (`yusuan serve`).
    pub local: Option<local::LocalHost>,
}

/// How far the index is being built, for the banner and `/api/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Indexing {
    pub done: usize,
    pub total: usize,
}

impl AppState {
    /// Wraps an opened library and starts its task worker (recovering tasks of an earlier run).
    pub fn new(lib: Arc<Library>) -> crate::error::Result<AppState> {
        let tasks = Tasks::start(lib.clone())?;
        let cookie_key = accounts::cookie_key(lib.store())?;
        let settings = accounts::settings(lib.store())?;
        Ok(AppState {
            lib,
            tasks,
            cookie_key,
            limiter: Arc::new(LoginLimiter::default()),
            posts: Arc::new(crate::collab::comments::PostLimiter::default()),
            settings: Arc::new(RwLock::new(settings)),
            local: None,
        })
    }

    /// Reads the instance settings again from the store (after a command line changed them).
    pub fn reload_settings(&self) {
        match accounts::settings(self.lib.store()) {
            Ok(s) => *self.settings.write().unwrap_or_else(|p| p.into_inner()) = s,
            Err(e) => tracing::warn!("the settings could not be read again: {e}"),
        }
    }

    /// The instance settings.
    pub fn settings(&self) -> Settings {
        *self.settings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the instance settings (stored before they take effect); the audit log is cut to a shorter
    /// retention at once.
    pub fn save_settings(&self, s: Settings) -> crate::error::Result<()> {
        accounts::save_settings(self.lib.store(), s)?;
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = s;
        crate::auth::audit::prune(self.lib.store(), s.audit_retention, chrono::Utc::now())?;
        Ok(())
    }

    /// The ingest in progress, if any.
    pub fn indexing(&self) -> Option<Indexing> {
        self.tasks.running().map(|r| Indexing {
            done: r.done,
            total: r.total,
        })
    }

    /// Runs blocking library work off the async threads.
    pub async fn blocking<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Library) -> AppResult<T> + Send + 'static,
    {
        let lib = self.lib.clone();
        tokio::task::spawn_blocking(move || f(&lib)).await?
    }
}

/// Opens the data folder and starts the state; on first start (no documents, or the last corpus ingest did
/// not finish) queues the ingest of the corpus folder.
pub fn start(config: Config) -> crate::error::Result<AppState> {
    let admin_password = config.admin_password.clone();
    let lib = Arc::new(Library::open(config)?);
    match accounts::ensure_first_admin(lib.store(), admin_password.as_deref())? {
        FirstAdmin::Exists => {}
        FirstAdmin::FromEnvironment => {
            tracing::info!(
                "first start: administrator {} created",
                accounts::FIRST_ADMIN
            );
        }
        FirstAdmin::OneTime(password) => {
            // Through the console: a server started with its standard error closed goes on.
            crate::errln!(
                "yusuan: 首次启动，已创建管理员账号 {}，一次性密码：{password}\n        (first start: administrator {} created with this one-time password; it must be changed at the first login)",
                accounts::FIRST_ADMIN,
                accounts::FIRST_ADMIN
            );
        }
    }
    let state = AppState::new(lib.clone())?;
    crate::auth::audit::prune(
        lib.store(),
        state.settings().audit_retention,
        chrono::Utc::now(),
    )?;
    let last_corpus = state
        .tasks
        .recent(usize::MAX)?
        .into_iter()
        .find(|t| t.kind == TaskKind::Corpus);
    let unfinished = last_corpus
        .as_ref()
        .is_some_and(|t| t.status != TaskStatus::Done);
    let queued = last_corpus
        .as_ref()
        .is_some_and(|t| t.status == TaskStatus::Queued);
    if (lib.store().count_documents() == 0 || unfinished) && !queued {
        if lib.config.corpus_dir.is_dir() {
            let task = state.tasks.submit_corpus()?;
            tracing::info!(task = %task.id, corpus = %lib.config.corpus_dir.display(), "first start: indexing the corpus");
        } else {
            tracing::warn!(corpus = %lib.config.corpus_dir.display(), "no corpus folder to index");
        }
    }
    Ok(state)
}

/// The whole application: pages, API, limits and request logging.
pub fn router(state: AppState) -> Router {
    let max_upload = state.lib.config.max_upload_bytes;
    let max_body = state.lib.config.max_body_bytes;
    let upload_limit = DefaultBodyLimit::max(max_upload);
    let pages = Router::new()
        .route("/", get(home::page))
        .route("/samples/remove", axum::routing::post(home::remove_samples))
        .route("/search", get(pages::search_page))
        .route("/search/answers", axum::routing::post(pages::answer_form))
        .route("/documents/{id}", get(pages::document_page))
        .route("/documents/{id}/original", get(pages::download))
        .route(
            "/documents/{id}/access",
            axum::routing::post(pages::access_form),
        )
        .route(
            "/documents/{id}/remove",
            axum::routing::post(pages::remove_form),
        )
        .route(
            "/documents/{id}/replace",
            axum::routing::post(pages::replace_form).layer(upload_limit),
        )
        .route("/articles/{id}", get(pages::article_page))
        .route(
            "/ingest",
            get(pages::ingest_page)
                .post(pages::ingest_upload)
                .layer(upload_limit),
        )
        .route("/tasks/{id}", get(pages::task_page))
        .route("/login", get(auth::login_form).post(auth::login_submit))
        .route("/logout", axum::routing::post(auth::logout))
        .route("/account", get(auth::account))
        .route(
            "/account/password",
            axum::routing::post(auth::change_password),
        )
        .route("/account/tokens", axum::routing::post(auth::create_token))
        .route(
            "/account/tokens/{id}/revoke",
            axum::routing::post(auth::revoke_token),
        );
    let api = Router::new()
        .route("/api/search", get(api::search))
        .route("/api/facts", get(budget::facts))
        .route("/documents/{id}/tables/{file}", get(budget::download))
        .route("/api/documents/{id}", get(api::document))
        .route(
            "/api/documents/{id}/access",
            axum::routing::post(api::document_access),
        )
        .route("/api/articles/{id}", get(api::article))
        .route(
            "/api/ingest",
            axum::routing::post(api::ingest).layer(upload_limit),
        )
        .route("/api/tasks/{id}", get(api::task))
        .route("/api/health", get(api::health))
        .route("/api/me", get(auth::me))
        .route("/api/openapi.json", get(api::openapi));
    pages
        .merge(api)
        .merge(proposals::router(max_upload))
        .merge(proposal_pages::router())
        .merge(links::router())
        .merge(collab::routes())
        .merge(workpapers::routes())
        .merge(discuss::routes())
        .merge(admin::router())
        .merge(alerts::router())
        .merge(money::router())
        .merge(compare::router())
        .merge(execution::router(max_upload))
        .merge(series::router())
        .merge(assets::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), auth::gate))
        // A command line's command carries its own credential and audits its own changes.
        .route("/api/local/run", axum::routing::post(local::run))
        .layer(middleware::from_fn_with_state(max_body, limit_body))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            HttpsPolicy::of(&state.lib.config),
            secure_cookies,
        ))
        .layer(middleware::from_fn(log_and_secure))
        .with_state(state)
}

/// 404 for unknown paths: JSON under `/api/`, a page elsewhere.
async fn not_found(req: Request) -> Response {
    let err = AppError::NotFound(format!("没有这个页面：{} (no such path)", req.uri().path()));
    if req.uri().path().starts_with("/api/") {
        axum::response::IntoResponse::into_response(err)
    } else {
        pages::error_page(err)
    }
}

async fn method_not_allowed(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        axum::response::IntoResponse::into_response(AppError::MethodNotAllowed)
    } else {
        pages::error_page(AppError::MethodNotAllowed)
    }
}

/// Refuses a body over `limit` bytes on every route that takes no upload, with 413 and a clear message
/// (JSON under `/api/`, a page elsewhere), before any handler reads it.
async fn limit_body(
    axum::extract::State(limit): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    let path = req.uri().path().to_string();
    if UPLOAD_ROUTES.contains(&path.as_str()) {
        return next.run(req).await;
    }
    let refuse = || {
        let err = AppError::body_too_large(limit);
        if path.starts_with("/api/") {
            err.into_response()
        } else {
            pages::error_page(err)
        }
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return refuse();
    }
    // Without a declared length the body is read here, up to the limit.
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => next.run(Request::from_parts(parts, bytes.into())).await,
        Err(_) => refuse(),
    }
}

/// Whether a response is a page of this site: HTML that is not a downloaded file. Only pages get the page
/// policy and the CSRF tokens; a downloaded original keeps its bytes and its own sandbox policy.
fn is_page(headers: &axum::http::HeaderMap) -> bool {
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let attachment = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("attachment"));
    html && !attachment
}

/// How the server knows that a request reached readers over HTTPS.
#[derive(Debug, Clone, Copy)]
struct HttpsPolicy {
    /// The public address is `https://…`: every request came over HTTPS.
    always: bool,
    /// Believe the proxy's `X-Forwarded-Proto` (set only when a proxy in front of the server writes it).
    trust_forwarded_proto: bool,
}

impl HttpsPolicy {
    fn of(config: &Config) -> HttpsPolicy {
        HttpsPolicy {
            always: config.served_over_https(),
            trust_forwarded_proto: config.trust_forwarded_proto,
        }
    }

    /// Whether the request with these headers reached the reader's browser over HTTPS.
    fn https(&self, headers: &axum::http::HeaderMap) -> bool {
        self.always
            || (self.trust_forwarded_proto
                && headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(',').next())
                    .is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
    }
}

/// Marks every cookie the server sets `Secure` when the request came over HTTPS, so that the browser never
/// sends the session over plain HTTP.
async fn secure_cookies(
    axum::extract::State(policy): axum::extract::State<HttpsPolicy>,
    req: Request,
    next: Next,
) -> Response {
    let https = policy.https(req.headers());
    let mut resp = next.run(req).await;
    if https {
        let headers = resp.headers_mut();
        let cookies: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            let secured = match cookie.to_str() {
                Ok(c)
                    if !c
                        .split(';')
                        .any(|a| a.trim().eq_ignore_ascii_case("secure")) =>
                {
                    HeaderValue::from_str(&format!("{c}; Secure")).unwrap_or(cookie)
                }
                _ => cookie,
            };
            headers.append(header::SET_COOKIE, secured);
        }
    }
    resp
}

/// Logs every request with its server time, adds `Server-Timing` and the security headers of pages.
async fn log_and_secure(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut resp = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = resp.status().as_u16();
    tracing::info!(%method, %path, status, ms = format!("{ms:.1}"), "request");
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.1}")) {
        headers.insert("server-timing", v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if is_page(headers) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
    }
    resp
}

/// Runs the application on a bound listener until Ctrl-C.
pub async fn run(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let header_read_timeout = state.lib.config.header_read_timeout;
    listen::serve(listener, router(state), header_read_timeout, async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await
}

/// Free space a data folder's disk needs before a store that failed a write is opened again (or the
/// configured minimum, if larger).
const RECOVERY_FREE_BYTES: u64 = 16 << 20;

/// Waits until the store has failed a write and the disk has room again, then calls `restart`, which returns
/// only if the process could not be replaced.
fn recover_store(lib: &crate::library::Library, restart: impl Fn() -> std::io::Error) {
    let need = lib.config.min_free_bytes.max(RECOVERY_FREE_BYTES);
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if !lib.store().write_failed() {
            continue;
        }
        match crate::disk::free_bytes(&lib.config.data_dir) {
            Ok(free) if free >= need => {}
            _ => continue,
        }
        tracing::warn!("the disk has room again: restarting to open the store anew");
        crate::errln!("yusuan: 磁盘空间已恢复，服务重新启动以重新打开数据存储");
        let e = restart();
        tracing::error!("the server could not restart itself: {e}");
        crate::errln!("yusuan: 服务无法自行重启（{e}），请手动重启服务");
        return;
    }
}

/// `yusuan serve`: opens the data folder, queues the first-start ingest, serves on `addr`. With a runner,
/// command lines of the same account run their commands through this server while it runs.
///
/// With `restart`, a server whose store failed a write (a full disk) replaces itself with a fresh process
/// once the disk has room again, handing over its listening socket: the store is opened anew, as after a
/// crash, and clients wait instead of being refused.
pub async fn serve(
    config: Config,
    addr: &str,
    runner: Option<local::Runner>,
    restart: Option<listen::Restart>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let index = config.data_dir.display().to_string();
    let server_file = config.server_file();
    let mut state = tokio::task::spawn_blocking(move || start(config))
        .await?
        .with_context(|| format!("opening the data folder {index}"))?;
    let listener = match listen::inherited().context("taking over the listening socket")? {
        Some(listener) => listener,
        None => tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?,
    };
    let local = listener.local_addr()?;
    if let Some(runner) = runner {
        let token = local::new_token().context("making the local credential")?;
        let file = local::ServerFile {
            url: local::loopback_url(local),
            pid: std::process::id(),
            token: token.clone(),
        };
        local::write_server_file(&server_file, &file)
            .with_context(|| format!("writing {}", server_file.display()))?;
        state.local = Some(local::LocalHost { token, runner });
    }
    tracing::info!("serving on http://{local}/");
    crate::errln!("yusuan: http://{local}/");
    // The facts columns are read (or built) while the first visitor logs in, not on their first money page.
    let warm = state.lib.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = crate::budget::query::columns(&warm) {
            tracing::warn!("the facts columns could not be loaded at start: {e}");
        }
    });
    // Execution batches dropped into the data folder's feed-inbox/ are applied every few seconds.
    let inbox = state.lib.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            match crate::budget::execution::inbox::scan(&inbox) {
                Ok(handled) => {
                    for h in handled {
                        tracing::info!(file = %h.file.display(), ok = h.outcome.is_ok(), "feed inbox");
                    }
                }
                Err(e) => tracing::warn!("the feed inbox could not be read: {e}"),
            }
        }
    });
    // Deputies are told of deadlines within seven days: at start, then every hour (once per deadline).
    let deadlines = state.lib.clone();
    std::thread::spawn(move || {
        loop {
            match crate::collab::inbox::sweep_deadlines(&deadlines, crate::proposals::today()) {
                Ok(0) => {}
                Ok(n) => tracing::info!("deadline notices sent: {n}"),
                Err(e) => tracing::warn!("deadline notices: {e}"),
            }
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    });
    let token = state.local.as_ref().map(|h| h.token.clone());
    if let Some(restart) = restart {
        let lib = state.lib.clone();
        let listening = std::os::fd::AsRawFd::as_raw_fd(&listener);
        let (server_file, token) = (server_file.clone(), token.clone());
        std::thread::Builder::new()
            .name("store recovery".into())
            .spawn(move || {
                recover_store(&lib, || {
                    if let Some(token) = &token {
                        local::remove_server_file(&server_file, token);
                    }
                    restart(listening)
                })
            })
            .context("starting the store recovery")?;
    }
    let lib = state.lib.clone();
    let served = run(listener, state).await;
    if let Some(token) = token {
        local::remove_server_file(&server_file, &token);
    }
    served?;
    tokio::task::spawn_blocking(move || lib.close()).await??;
    Ok(())
}
