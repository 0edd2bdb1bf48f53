//! Who is asking and what they may do: the `Viewer` of each request (from an API token, a signed session
//! cookie, or nobody), the access policy of every route, CSRF checks on every form, login and logout with
//! rate limiting, the account page, and the audit record of each request.

use super::AppState;
use super::error::{AppError, AppResult};
use super::pages::{Chrome, PageError, chrome, error_page};
use crate::auth::accounts::{self, Session};
use crate::auth::audit::{self, AuditAction, AuditEntry};
use crate::auth::{Role, Viewer};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::convert::Infallible;
use std::net::SocketAddr;

/// The session cookie.
pub const SESSION_COOKIE: &str = "yusuan_session";
/// The cookie that binds the login form to the browser that loaded it.
pub const LOGIN_COOKIE: &str = "yusuan_login";
/// The form field and header that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Handlers take the request's viewer as an extractor; a request nobody authenticated is anonymous.
impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Viewer, Infallible> {
        Ok(parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .unwrap_or_else(Viewer::anonymous))
    }
}

/// The session a request came with, for pages that show or use its CSRF token.
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Session);

/// How the viewer was established.
#[derive(Debug, Clone)]
enum Credential {
    /// Set inside the process (tests, embedding): trusted as is.
    InProcess,
    /// An `Authorization: Bearer` API token: no cookies, so no CSRF.
    Token,
    /// A session cookie: unsafe methods need the session's CSRF token.
    Cookie(Session),
    None,
}

/// A handler's check that the viewer acts at least in `role`.
pub fn require(viewer: &Viewer, role: Role) -> AppResult<()> {
    if viewer.can(role) {
        Ok(())
    } else if viewer.role == Role::Anonymous {
        Err(AppError::Unauthorized)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The least role a request needs, before the instance setting for anonymous readers is applied: one table
/// for the whole application.
pub fn required_role(method: &Method, path: &str) -> Role {
    let read = method == Method::GET || method == Method::HEAD;
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if matches!(path, "/login" | "/api/health" | "/api/openapi.json") {
        return Role::Anonymous;
    }
    if under("/admin") || under("/api/admin") {
        return Role::Admin;
    }
    if under("/account") || path == "/logout" || path == "/api/me" {
        return Role::Deputy;
    }
    // Working together needs an account: one's inbox, questions, working collections and saved searches,
    // and posting comments (each handler checks that the item is in the reader's scope and what the
    // account may do with a collection).
    if [
        "/inbox",
        "/api/inbox",
        "/consultations",
        "/api/consultations",
        "/workpapers",
        "/api/workpapers",
        "/searches",
        "/api/searches",
    ]
    .iter()
    .any(|p| under(p))
        || (!read && (under("/comments") || under("/api/comments")))
    {
        return Role::Deputy;
    }
    if path == "/api/feed/batches" && !read {
        // A sending system's token, or staff: the handler tells them apart.
        return Role::Feed;
    }
    if under("/ingest") || under("/api/ingest") || under("/tasks") || under("/api/tasks") {
        return Role::Staff;
    }
    if read {
        // Reading: anonymous visitors if the instance allows it (applied by the caller).
        return Role::Anonymous;
    }
    // A deputy's feedback on a reply to their own proposal (the handler checks that it is theirs).
    if path.starts_with("/proposals/") && path.ends_with("/feedback") {
        return Role::Deputy;
    }
    // Every other write (link decisions, proposal events and imports, access changes): staff.
    Role::Staff
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The client's address, when the server knows it.
fn client_address(req: &Request) -> Option<String> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Establishes the viewer of a request from its credentials, and whether the account must first replace a
/// one-time password.
fn identify(st: &AppState, req: &Request) -> AppResult<(Viewer, Credential, bool)> {
    if let Some(v) = req.extensions().get::<Viewer>() {
        return Ok((v.clone(), Credential::InProcess, false));
    }
    let store = st.lib.store();
    if let Some(token) = bearer(req.headers()) {
        return match accounts::token_viewer(store, token)? {
            Some(v) => Ok((v, Credential::Token, false)),
            None => Err(AppError::Unauthorized),
        };
    }
    if let Some(value) = cookie(req.headers(), SESSION_COOKIE)
        && let Some(id) = accounts::verify_signature(&st.cookie_key, value)
        && let Some((session, user)) = accounts::session(store, &id)?
    {
        let mut viewer = user.viewer();
        if user.must_change {
            // Until the one-time password is replaced the account may only change it.
            viewer.role = viewer.role.min(Role::Deputy);
            viewer.deputy = None;
        }
        return Ok((viewer, Credential::Cookie(session), user.must_change));
    }
    Ok((Viewer::anonymous(), Credential::None, false))
}

/// Decoded `application/x-www-form-urlencoded` pairs.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url_decode_pairs(&String::from_utf8_lossy(body))
}

/// The value of a form field as sent (empty when absent).
pub fn form_field(form: &[(String, String)], k: &str) -> String {
    form.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn url_decode_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (
                super::params::decode_component(k).unwrap_or_else(|_| k.to_string()),
                super::params::decode_component(v).unwrap_or_else(|_| v.to_string()),
            )
        })
        .collect()
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// What the audit log keeps of a request: its action, target and detail; `None` for requests not worth a
/// line (health checks, task polling, the layout's own pages).
fn audit_kind(method: &Method, path: &str) -> Option<AuditAction> {
    let read = method == Method::GET || method == Method::HEAD;
    let under = |prefix: &str| path.starts_with(prefix);
    if matches!(
        path,
        "/api/health" | "/api/openapi.json" | "/login" | "/logout" | "/favicon.ico"
    ) {
        return None;
    }
    if under("/admin") || under("/api/admin") {
        return Some(AuditAction::Admin);
    }
    if under("/account") {
        return (!read).then_some(AuditAction::Change);
    }
    if !read {
        return Some(
            if path == "/ingest"
                || path == "/api/ingest"
                || path.ends_with("/import")
                || path == "/api/feed/batches"
            {
                AuditAction::Ingest
            } else {
                AuditAction::Change
            },
        );
    }
    if under("/tasks") || under("/api/tasks") || path == "/ingest" {
        return None;
    }
    if path == "/" || path == "/search" || path == "/api/search" {
        return Some(AuditAction::Search);
    }
    if path.ends_with("/original") || path.contains("/export") {
        return Some(AuditAction::Download);
    }
    Some(AuditAction::View)
}

/// The audit detail of a form or JSON body: its fields without secrets.
fn body_detail(ctype: &str, body: &[u8]) -> String {
    if ctype.starts_with("application/x-www-form-urlencoded") {
        form_pairs(body)
            .into_iter()
            .filter(|(k, _)| k != CSRF_FIELD && !k.contains("password"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    } else if ctype.starts_with("application/json") {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(mut m)) => {
                m.retain(|k, _| !k.contains("password"));
                serde_json::Value::Object(m).to_string()
            }
            Ok(v) => v.to_string(),
            Err(_) => format!("{} bytes", body.len()),
        }
    } else if ctype.starts_with("multipart/") {
        "multipart upload".into()
    } else {
        String::new()
    }
}

fn refuse(err: AppError, path: &str, next_url: &str) -> Response {
    if is_api(path) {
        return err.into_response();
    }
    if err == AppError::Unauthorized {
        let to = format!("/login?next={}", super::params::encode_component(next_url));
        return Redirect::to(&to).into_response();
    }
    error_page(err)
}

/// The policy layer: identifies the viewer, enforces the route's role and the CSRF token, passes the viewer
/// to the handler, fills the account part of pages and writes the audit line.
pub async fn gate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| path.clone());
    let ip = client_address(&req);
    let (viewer, credential, must_change) = match identify(&st, &req) {
        Ok(x) => x,
        Err(e) => return refuse(e, &path, &here),
    };
    // The audit log names the account's own role, also while a one-time password limits what it may do.
    let audited = if must_change {
        match st
            .lib
            .store()
            .get_user(viewer.user.as_deref().unwrap_or(""))
        {
            Ok(Some(u)) => Viewer {
                role: u.role,
                ..viewer.clone()
            },
            _ => viewer.clone(),
        }
    } else {
        viewer.clone()
    };
    let mut req = req;
    let settings = st.settings();
    let mut need = required_role(&method, &path);
    if need == Role::Anonymous
        && !settings.allow_anonymous
        && !matches!(
            path.as_str(),
            "/login" | "/api/health" | "/api/openapi.json"
        )
    {
        need = Role::Deputy;
    }
    if must_change && !matches!(path.as_str(), "/account" | "/account/password" | "/logout") {
        if is_api(&path) {
            return AppError::Forbidden.into_response();
        }
        return Redirect::to("/account").into_response();
    }
    let write = !(method == Method::GET || method == Method::HEAD);
    if let Err(e) = require(&viewer, need) {
        if viewer.role != Role::Anonymous || write {
            record(
                &st,
                audit_entry(
                    &audited,
                    AuditAction::Denied,
                    &path,
                    &format!("{method} needs {need}"),
                    e.status().as_u16(),
                    ip.clone(),
                ),
            );
        }
        return refuse(e, &path, &here);
    }
    // A write on a disk short of space would fail half way: refuse it whole, until space is freed.
    if write && st.lib.config.disk_short().is_some() {
        return refuse(AppError::disk_full(), &path, &here);
    }
    // After a failed flush the store refuses every write: say so instead of failing each one with a 500.
    if write && st.lib.store().write_failed() {
        return refuse(AppError::store_failed(), &path, &here);
    }
    let csrf_denied = || {
        let entry = audit_entry(
            &audited,
            AuditAction::Denied,
            &path,
            "CSRF",
            403,
            ip.clone(),
        );
        record(&st, entry);
        refuse(AppError::CsrfRejected, &path, &here)
    };
    // Read the body of forms and JSON posts: for the CSRF token and the audit line.
    let ctype = content_type(req.headers()).to_string();
    let mut detail = String::new();
    if write && !ctype.starts_with("multipart/") {
        let (parts, body) = req.into_parts();
        let limit = super::body_limit(&st.lib.config, &path);
        let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => {
                return refuse(
                    AppError::TooLarge(format!(
                        "请求内容超过 {} KiB (request body too large)",
                        limit >> 10
                    )),
                    &path,
                    &here,
                );
            }
        };
        detail = body_detail(&ctype, &bytes);
        if let Credential::Cookie(s) = &credential
            && !csrf_ok(s, &parts.headers, &ctype, &bytes, &query)
        {
            return csrf_denied();
        }
        req = Request::from_parts(parts, Body::from(bytes));
    } else if write
        && let Credential::Cookie(s) = &credential
        && !csrf_ok(s, req.headers(), &ctype, &[], &query)
    {
        return csrf_denied();
    }
    if !write {
        detail = url_decode_pairs(&query)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
    }
    if let Credential::Cookie(s) = &credential {
        req.extensions_mut().insert(CurrentSession(s.clone()));
    }
    req.extensions_mut().insert(viewer.clone());
    let kind = audit_kind(&method, &path);
    // A change is recorded before it is made, and not made when the log cannot keep it.
    let begun = match kind {
        Some(action) if write => {
            let entry = audit_entry(&audited, action, &path, &detail, 0, ip.clone());
            match audit::begin(st.lib.store(), entry) {
                Ok(seq) => Some(seq),
                Err(e) => {
                    tracing::error!("audit log: {e}");
                    return refuse(audit_unavailable(), &path, &here);
                }
            }
        }
        _ => None,
    };
    let resp = next.run(req).await;
    // What the handler adds to the audit line (an upload's file names, a batch's id).
    if let Some(AuditNote(note)) = resp.extensions().get::<AuditNote>() {
        if !detail.is_empty() {
            detail.push(' ');
        }
        detail.push_str(note);
    }
    if let Some(action) = kind {
        let entry = audit_entry(&audited, action, &path, &detail, resp.status().as_u16(), ip);
        match begun {
            // The change is made and its entry kept; an outcome that cannot be written leaves the entry
            // saying so, and the answer stands.
            Some(seq) => {
                if let Err(e) = audit::finish(st.lib.store(), seq, entry) {
                    tracing::error!("audit log: the outcome of entry {seq} was not written: {e}");
                }
            }
            // What the audit log cannot keep is not answered: the reader gets no result without its record.
            None => {
                if let Err(e) = audit::record(st.lib.store(), entry) {
                    tracing::error!("audit log: {e}");
                    return refuse(audit_unavailable(), &path, &here);
                }
            }
        }
    }
    let csrf = match &credential {
        Credential::Cookie(s) => Some(s.csrf.as_str()),
        _ => None,
    };
    fill_page(&st, resp, &viewer, csrf).await
}

/// A handler's addition to its request's audit line, put on the response: what was uploaded or pushed, which
/// the gate cannot read from a multipart or raw body.
#[derive(Debug, Clone)]
pub struct AuditNote(pub String);

/// Whether an unsafe request made with a session cookie carries the session's CSRF token: in the header,
/// in the form's field, or (for file uploads, whose body is not read here) in the action URL.
fn csrf_ok(s: &Session, headers: &HeaderMap, ctype: &str, body: &[u8], query: &str) -> bool {
    let want = s.csrf.as_bytes();
    let same = |given: &str| constant_time_eq(given.as_bytes(), want);
    if let Some(h) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return same(h);
    }
    if ctype.starts_with("application/x-www-form-urlencoded") {
        return form_pairs(body)
            .iter()
            .any(|(k, v)| k == CSRF_FIELD && same(v));
    }
    if ctype.starts_with("multipart/") {
        return url_decode_pairs(query)
            .iter()
            .any(|(k, v)| k == CSRF_FIELD && same(v));
    }
    false
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An audit line of a viewer's request.
fn audit_entry(
    viewer: &Viewer,
    action: AuditAction,
    target: &str,
    detail: &str,
    status: u16,
    ip: Option<String>,
) -> AuditEntry {
    AuditEntry {
        seq: 0,
        time: chrono::Utc::now(),
        user: viewer.user.clone(),
        role: viewer.role,
        action,
        target: target.to_string(),
        detail: detail.to_string(),
        status,
        ip,
    }
}

/// Writes the audit line of a refused request (a failure is logged, never shown to the client).
fn record(st: &AppState, entry: AuditEntry) {
    if let Err(e) = audit::record(st.lib.store(), entry) {
        tracing::error!("audit log: {e}");
    }
}

/// The refusal when the audit log could not keep a record.
fn audit_unavailable() -> AppError {
    AppError::Unavailable("审计日志无法写入，本次操作的结果不予提供 (audit log unavailable)".into())
}

/// The placeholder in the layout's header where the account links go.
pub const ACCOUNT_SLOT: &str = "<!--account-->";

/// The header's account links for a viewer (HTML).
fn account_links(viewer: &Viewer, unread: usize) -> String {
    let esc = crate::search::html_escape;
    let mut out = String::new();
    if viewer.can(Role::Staff) {
        out.push_str("<a href=\"/ingest\">上传</a>");
    }
    if viewer.can(Role::Admin) {
        out.push_str("<a href=\"/admin\">管理</a>");
    }
    if viewer.deputy.is_some() {
        out.push_str("<a href=\"/proposals/mine\" id=\"mine\">我的建议</a>");
    }
    if viewer.user.is_some() && viewer.can(Role::Deputy) {
        out.push_str("<a href=\"/workpapers\" id=\"workpapers\">底稿</a>");
        out.push_str("<a href=\"/consultations\" id=\"consult\">咨询</a>");
        match unread {
            0 => out.push_str("<a href=\"/inbox\" id=\"inbox\">消息</a>"),
            n => out.push_str(&format!(
                "<a href=\"/inbox\" id=\"inbox\">消息<span class=\"badge\" id=\"unread\" aria-label=\"{n} 条未读\">{n}</span></a>"
            )),
        }
    }
    match &viewer.user {
        Some(name) => out.push_str(&format!(
            "<a href=\"/account\" id=\"account\" title=\"{}\">{}</a><form method=\"post\" action=\"/logout\" class=\"inline\"><button type=\"submit\" class=\"linkbtn\" id=\"logout\">退出</button></form>",
            viewer.role.label(),
            esc(name)
        )),
        None => out.push_str("<a href=\"/login\" id=\"login\">登录</a>"),
    }
    out
}

/// Fills the account slot of an HTML page and puts the CSRF token into each of its POST forms (as a hidden
/// field, and in the action URL of file-upload forms, whose bodies the policy layer does not read).
async fn fill_page(st: &AppState, resp: Response, viewer: &Viewer, csrf: Option<&str>) -> Response {
    if !super::is_page(resp.headers()) {
        return resp;
    }
    let unread = if viewer.user.is_some() {
        let (lib, v) = (st.lib.clone(), viewer.clone());
        match tokio::task::spawn_blocking(move || crate::collab::inbox::unread_count(&lib, &v))
            .await
        {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                tracing::warn!("unread count: {e}");
                0
            }
            Err(e) => {
                tracing::warn!("unread count: {e}");
                0
            }
        }
    } else {
        0
    };
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return AppError::internal("page body unreadable").into_response();
    };
    let html = String::from_utf8_lossy(&bytes);
    let html = html.replacen(ACCOUNT_SLOT, &account_links(viewer, unread), 1);
    let html = match csrf {
        Some(token) => with_csrf(&html, token),
        None => html,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// Adds the CSRF token to every `<form … method="post" …>` of a page.
pub fn with_csrf(html: &str, token: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` are positions in `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() + 256);
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<form").map(|i| pos + i) {
        out.push_str(&html[pos..i]);
        let Some(end) = lower[i..].find('>').map(|e| i + e) else {
            pos = i;
            break;
        };
        let tag = &html[i..end];
        let tag_lower = &lower[i..end];
        if tag_lower.contains("method=\"post\"") {
            if tag_lower.contains("multipart/form-data") {
                out.push_str(&add_query_to_action(tag, token));
            } else {
                out.push_str(tag);
            }
            out.push('>');
            out.push_str(&format!(
                "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{token}\">"
            ));
        } else {
            out.push_str(tag);
            out.push('>');
        }
        pos = end + 1;
    }
    out.push_str(&html[pos..]);
    out
}

fn add_query_to_action(tag: &str, token: &str) -> String {
    let Some(a) = tag.find("action=\"") else {
        return tag.to_string();
    };
    let start = a + "action=\"".len();
    let Some(len) = tag[start..].find('"') else {
        return tag.to_string();
    };
    let action = &tag[start..start + len];
    let sep = if action.contains('?') { "&amp;" } else { "?" };
    format!(
        "{}{action}{sep}{CSRF_FIELD}={token}{}",
        &tag[..start],
        &tag[start + len..]
    )
}

// ---------------------------------------------------------------------------------------------------------
// Login, logout, account

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub name: String,
    pub error: Option<String>,
    pub form_token: String,
}

/// Where to go after logging in: only an absolute path of this site. Browsers drop tabs and line breaks from a
/// URL (`/\t/evil.example` becomes `//evil.example`, another host) and read `\` as `/`, and a control character
/// cannot go in a `Location` header: any of them sends the reader to `/`.
pub(super) fn safe_next(next: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
    {
        // Non-ASCII characters are percent-encoded: a `Location` header is ASCII.
        let mut out = String::with_capacity(next.len());
        for c in next.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut utf8 = [0u8; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
        out
    } else {
        "/".into()
    }
}

/// A `Set-Cookie` value (made `Secure` on its way out when the request came over HTTPS).
fn cookie_header(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let age = match max_age {
        Some(s) => format!("; Max-Age={s}"),
        None => String::new(),
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The login page. The form token is the browser's login cookie when it has one (so that other requests
/// sent to the login page meanwhile, such as the browser's favicon, do not invalidate an open form), else a
/// new random one.
fn login_page(
    st: &AppState,
    headers: &HeaderMap,
    next: &str,
    name: &str,
    error: Option<String>,
) -> AppResult<Response> {
    let token = match cookie(headers, LOGIN_COOKIE) {
        Some(c) if c.len() == 32 && c.bytes().all(|b| b.is_ascii_hexdigit()) => c.to_string(),
        _ => accounts::random_hex::<16>()?,
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let page = LoginPage {
        chrome: chrome(st, "登录", ""),
        next: safe_next(next),
        name: name.to_string(),
        error,
        form_token: token.clone(),
    };
    let mut resp = (status, page).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(LOGIN_COOKIE, &token, Some(1800)),
    );
    Ok(resp)
}

/// `GET /login`.
pub async fn login_form(
    State(st): State<AppState>,
    headers: HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let next = url_decode_pairs(raw.as_deref().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v)
        .unwrap_or_else(|| "/".into());
    Ok(login_page(&st, &headers, &next, "", None)?)
}

/// `POST /login`: checks the password (rate-limited per name and address), opens a session and sets its
/// signed cookie.
pub async fn login_submit(
    State(st): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    let field = |k: &str| form_field(&form, k);
    let (name, password, next) = (
        field("name").trim().to_string(),
        field("password"),
        field("next"),
    );
    let address = connect
        .map(|c| c.0.0.ip().to_string())
        .unwrap_or_else(|| "local".into());
    let bound = cookie(&headers, LOGIN_COOKIE).is_some_and(|c| {
        !c.is_empty() && constant_time_eq(c.as_bytes(), field("form_token").as_bytes())
    });
    if !bound {
        return Ok(login_page(
            &st,
            &headers,
            &next,
            &name,
            Some("登录表单已过期，请重新输入 (login form expired)".into()),
        )?);
    }
    if let Err(wait) = st.limiter.check(&name, &address) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let anon = Viewer {
            user: Some(name.clone()),
            role: Role::Anonymous,
            deputy: None,
        };
        record(
            &st,
            audit_entry(
                &anon,
                AuditAction::LoginFailed,
                "/login",
                "rate limited",
                429,
                Some(address),
            ),
        );
        let mut resp = login_page(
            &st,
            &headers,
            &next,
            &name,
            Some(format!(
                "登录失败次数过多，请 {minutes} 分钟后再试 (too many failed logins)"
            )),
        )?;
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(resp);
    }
    let lib = st.lib.clone();
    let (n, p) = (name.clone(), password);
    let user = tokio::task::spawn_blocking(move || accounts::verify_login(lib.store(), &n, &p))
        .await
        .map_err(AppError::from)?
        .map_err(AppError::from)?;
    let Some(user) = user else {
        st.limiter.fail(&name, &address);
        let anon = Viewer {
            user: Some(name.clone()),
            role: Role::Anonymous,
            deputy: None,
        };
        record(
            &st,
            audit_entry(
                &anon,
                AuditAction::LoginFailed,
                "/login",
                "",
                401,
                Some(address),
            ),
        );
        return Ok(login_page(
            &st,
            &headers,
            &next,
            &name,
            Some("用户名或密码不正确，或账号已停用 (wrong name or password)".into()),
        )?);
    };
    st.limiter.succeed(&name);
    // The login is recorded before its session exists: a login the audit log cannot keep does not happen.
    let entry = audit_entry(
        &user.viewer(),
        AuditAction::Login,
        "/login",
        "",
        303,
        Some(address),
    );
    if let Err(e) = audit::record(st.lib.store(), entry) {
        tracing::error!("audit log: {e}");
        return Err(audit_unavailable().into());
    }
    let session = accounts::open_session(st.lib.store(), &user).map_err(AppError::from)?;
    let to = if user.must_change {
        "/account".to_string()
    } else {
        safe_next(&next)
    };
    let mut resp = Redirect::to(&to).into_response();
    let signed = accounts::sign(&st.cookie_key, &session.id);
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookie_header(
            SESSION_COOKIE,
            &signed,
            Some(accounts::SESSION_HOURS * 3600),
        ),
    );
    h.append(header::SET_COOKIE, cookie_header(LOGIN_COOKIE, "", Some(0)));
    Ok(resp)
}

/// `POST /logout`.
pub async fn logout(
    State(st): State<AppState>,
    viewer: Viewer,
    session: Option<axum::Extension<CurrentSession>>,
) -> Result<Response, PageError> {
    if let Some(axum::Extension(CurrentSession(s))) = session {
        accounts::close_session(st.lib.store(), &s.id).map_err(AppError::from)?;
        record(
            &st,
            audit_entry(&viewer, AuditAction::Logout, "/logout", "", 303, None),
        );
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(SESSION_COOKIE, "", Some(0)),
    );
    Ok(resp)
}

/// One API token, for the account page.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub role: &'static str,
    pub label: String,
    pub created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub name: String,
    pub role: &'static str,
    pub deputy: String,
    pub must_change: bool,
    pub message: Option<String>,
    pub error: Option<String>,
    pub new_token: Option<String>,
    pub tokens: Vec<TokenRow>,
    pub roles: Vec<(&'static str, &'static str)>,
}

fn account_page(
    st: &AppState,
    viewer: &Viewer,
    message: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
) -> AppResult<Response> {
    let name = viewer.user.clone().ok_or(AppError::Unauthorized)?;
    let store = st.lib.store();
    let user = store.get_user(&name)?.ok_or(AppError::Unauthorized)?;
    let tokens = store
        .list_tokens()?
        .into_iter()
        .filter(|t| t.user == name)
        .map(|t| TokenRow {
            id: t.id,
            role: t.role.label(),
            label: t.label,
            created: t.created.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let roles = Role::ALL
        .iter()
        .filter(|r| **r != Role::Anonymous && **r <= user.role)
        .filter(|r| **r != Role::Feed || user.role == Role::Feed || user.role >= Role::Staff)
        .map(|r| (r.as_str(), r.label()))
        .collect();
    let page = AccountPage {
        chrome: chrome(st, "我的账号", ""),
        name,
        role: user.role.label(),
        deputy: user.deputy.clone().unwrap_or_default(),
        must_change: user.must_change,
        message,
        error,
        new_token,
        tokens,
        roles,
    };
    Ok((status, page).into_response())
}

/// The account page after a form: an invalid input (a short password, a role above the user's) is shown
/// on the page as an error, anything else is an error of its own.
fn account_error(
    st: &AppState,
    viewer: &Viewer,
    e: crate::error::Error,
) -> Result<Response, PageError> {
    match e {
        crate::error::Error::Invalid(msg) => Ok(account_page(st, viewer, None, Some(msg), None)?),
        e => Err(AppError::from(e).into()),
    }
}

/// `GET /account`: change the password, manage API tokens.
pub async fn account(State(st): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    Ok(account_page(&st, &viewer, None, None, None)?)
}

/// `POST /account/password`: the current password and the new one twice.
pub async fn change_password(
    State(st): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    let field = |k: &str| form_field(&form, k);
    let name = viewer.user.clone().ok_or(AppError::Unauthorized)?;
    let (current, new, again) = (
        field("password"),
        field("new_password"),
        field("new_password2"),
    );
    let lib = st.lib.clone();
    let n = name.clone();
    let outcome = tokio::task::spawn_blocking(move || -> crate::error::Result<Option<String>> {
        if accounts::verify_login(lib.store(), &n, &current)?.is_none() {
            return Ok(Some("当前密码不正确 (wrong current password)".into()));
        }
        if new != again {
            return Ok(Some("两次输入的新密码不一致 (passwords differ)".into()));
        }
        if new == current {
            return Ok(Some(
                "新密码不能与当前密码相同 (choose a new password)".into(),
            ));
        }
        accounts::set_password(lib.store(), &n, &new, false)?;
        Ok(None)
    })
    .await
    .map_err(AppError::from)?;
    match outcome {
        Ok(None) => {
            // Changing the password ended every session, this one too: log in again.
            let mut resp = Redirect::to("/login?next=/account").into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(SESSION_COOKIE, "", Some(0)),
            );
            Ok(resp)
        }
        Ok(Some(msg)) => Ok(account_page(&st, &viewer, None, Some(msg), None)?),
        Err(e) => account_error(&st, &viewer, e),
    }
}

/// `POST /account/tokens`: a new API token for the viewer (shown once).
pub async fn create_token(
    State(st): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    let field = |k: &str| form_field(&form, k);
    let name = viewer.user.clone().ok_or(AppError::Unauthorized)?;
    let role = Role::parse(&field("role"));
    match accounts::create_token(st.lib.store(), &name, role, &field("label")) {
        Ok((_, token)) => Ok(account_page(
            &st,
            &viewer,
            Some("已生成新令牌，请立即复制保存，它只显示这一次。".into()),
            None,
            Some(token),
        )?),
        Err(e) => account_error(&st, &viewer, e),
    }
}

/// `POST /account/tokens/{id}/revoke`: revokes one of the viewer's tokens.
pub async fn revoke_token(
    State(st): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    let name = viewer.user.clone().ok_or(AppError::Unauthorized)?;
    let store = st.lib.store();
    match store.get_token(&id).map_err(AppError::from)? {
        Some(t) if t.user == name || viewer.can(Role::Admin) => {
            accounts::revoke_token(store, &id).map_err(AppError::from)?;
            Ok(account_page(
                &st,
                &viewer,
                Some(format!("令牌 {id} 已作废。")),
                None,
                None,
            )?)
        }
        _ => Err(AppError::NotFound(format!("没有令牌 {id} (no such token)")).into()),
    }
}

/// `GET /api/me`: the viewer as the server sees it.
pub async fn me(viewer: Viewer) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "user": viewer.user,
        "role": viewer.role.as_str(),
        "deputy": viewer.deputy,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_post_form_gets_the_token() {
        let html = r#"<form action="/search" method="get"><input></form><form method="post" action="/x"><button></button></form><FORM METHOD="POST" action="/ingest" enctype="multipart/form-data">"#;
        let out = with_csrf(html, "tok");
        assert_eq!(out.matches("name=\"csrf\" value=\"tok\"").count(), 2);
        assert!(out.contains("action=\"/ingest?csrf=tok\""));
        assert!(out.starts_with("<form action=\"/search\" method=\"get\"><input>"));
    }

    #[test]
    fn the_policy_table() {
        assert_eq!(required_role(&Method::GET, "/search"), Role::Anonymous);
        assert_eq!(required_role(&Method::GET, "/admin/audit"), Role::Admin);
        assert_eq!(
            required_role(&Method::POST, "/api/admin/backup"),
            Role::Admin
        );
        assert_eq!(required_role(&Method::GET, "/ingest"), Role::Staff);
        assert_eq!(
            required_role(&Method::POST, "/documents/x/links"),
            Role::Staff
        );
        assert_eq!(
            required_role(&Method::POST, "/proposals/x/events"),
            Role::Staff
        );
        assert_eq!(
            required_role(&Method::POST, "/account/password"),
            Role::Deputy
        );
        assert_eq!(required_role(&Method::GET, "/login"), Role::Anonymous);
        // A path such as /administrator is not under /admin.
        assert_eq!(
            required_role(&Method::GET, "/administrator"),
            Role::Anonymous
        );
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/documents/1"), "/documents/1");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
        assert_eq!(safe_next("/\t/evil.example/"), "/");
        assert_eq!(safe_next("/\n/evil.example/"), "/");
        assert_eq!(safe_next("/a\r\nSet-Cookie: x=1"), "/");
        assert_eq!(safe_next("/a\0b"), "/");
        assert_eq!(safe_next("/\u{85}/x"), "/");
        assert_eq!(
            safe_next("/search?q=预算&page=2"),
            "/search?q=%E9%A2%84%E7%AE%97&page=2"
        );
    }
}
