//! Administration pages and API: accounts (add, disable, enable, reset password, change role), the instance
//! settings, the audit log with filters and CSV / JSON-lines export, and `POST /api/admin/backup`, which
//! writes a consistent backup of the data folder while the server keeps serving (the server holds the
//! folder's lock, so a backup of a served folder goes through here).

use super::AppState;
use super::auth::{form_field, form_pairs};
use super::error::{AppError, AppResult};
use super::pages::{Chrome, PageError, chrome};
use crate::auth::accounts::{self, Settings};
use crate::auth::audit::{self, AuditAction, AuditEntry, AuditFilter};
use crate::auth::{Role, Viewer};
use crate::backup::{self, Manifest};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Entries shown on one audit page.
const AUDIT_PAGE: usize = 200;

/// The routes of this module (all need the admin role: see `auth::required_role`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_page))
        .route("/admin/users", post(add_user))
        .route("/admin/users/{name}", post(change_user))
        .route("/admin/settings", post(save_settings))
        .route("/admin/audit", get(audit_page))
        .route("/admin/audit/export", get(audit_export))
        .route("/api/admin/audit", get(api_audit))
        .route("/api/admin/backup", post(backup_now))
}

/// One account, for the page.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub name: String,
    pub role: &'static str,
    pub deputy: String,
    pub disabled: bool,
    pub must_change: bool,
    pub created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub chrome: Chrome,
    pub users: Vec<UserRow>,
    pub allow_anonymous: bool,
    pub message: Option<String>,
    pub error: Option<String>,
    pub audit_count: usize,
    /// The disk line: data folder, uploads, audit entries, free space.
    pub disk: String,
    pub retention: crate::auth::accounts::AuditRetention,
}

fn field(form: &[(String, String)], k: &str) -> String {
    form_field(form, k).trim().to_string()
}

fn render_admin(
    st: &AppState,
    message: Option<String>,
    error: Option<String>,
) -> AppResult<Response> {
    let store = st.lib.store();
    let users = store
        .list_users()?
        .into_iter()
        .map(|u| UserRow {
            name: u.name,
            role: u.role.label(),
            deputy: u.deputy.unwrap_or_default(),
            disabled: u.disabled,
            must_change: u.must_change,
            created: u.created.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AdminPage {
        chrome: chrome(st, "系统管理", ""),
        users,
        allow_anonymous: st.settings().allow_anonymous,
        message,
        error,
        audit_count: store.count_audit()?,
        disk: st.lib.disk_usage()?.line(),
        retention: st.settings().audit_retention,
    };
    Ok((status, page).into_response())
}

/// Turns an invalid-input error into a message on the page, anything else into an error.
fn outcome(st: &AppState, r: crate::error::Result<String>) -> Result<Response, PageError> {
    match r {
        Ok(msg) => Ok(render_admin(st, Some(msg), None)?),
        Err(crate::error::Error::Invalid(m) | crate::error::Error::NotFound(m)) => {
            Ok(render_admin(st, None, Some(m))?)
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// `GET /admin`.
pub async fn admin_page(State(st): State<AppState>) -> Result<Response, PageError> {
    Ok(render_admin(&st, None, None)?)
}

/// `POST /admin/users`: name, role, deputy name; the one-time password is shown once.
pub async fn add_user(State(st): State<AppState>, body: Bytes) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    let (name, role, deputy) = (
        field(&form, "name"),
        field(&form, "role"),
        field(&form, "deputy"),
    );
    let r = (|| {
        let role = Role::parse(&role)
            .ok_or_else(|| crate::error::Error::Invalid(format!("未知角色 {role}")))?;
        let deputy = Some(deputy.as_str()).filter(|d| !d.is_empty());
        let made = accounts::add_user(st.lib.store(), &name, role, deputy, None)?;
        Ok(format!(
            "已创建用户 {}（{}），一次性密码：{}（只显示这一次，首次登录须修改）",
            made.user.name,
            made.user.role.label(),
            made.one_time_password.unwrap_or_default()
        ))
    })();
    outcome(&st, r)
}

/// `POST /admin/users/{name}`: `action` = disable, enable, reset (a new one-time password) or role.
pub async fn change_user(
    State(st): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    let store = st.lib.store();
    let r = match field(&form, "action").as_str() {
        "disable" if viewer.user.as_deref() == Some(name.as_str()) => Err(
            crate::error::Error::Invalid("不能停用自己的账号 (cannot disable yourself)".into()),
        ),
        "disable" => accounts::set_disabled(store, &name, true).map(|_| format!("已停用 {name}")),
        "enable" => accounts::set_disabled(store, &name, false).map(|_| format!("已启用 {name}")),
        "reset" => accounts::random_password().and_then(|p| {
            accounts::set_password(store, &name, &p, true)
                .map(|_| format!("{name} 的一次性密码：{p}（只显示这一次，登录后须修改）"))
        }),
        "role" => match Role::parse(&field(&form, "role")) {
            Some(role) => {
                let deputy = field(&form, "deputy");
                accounts::set_role(store, &name, role, Some(deputy.as_str()))
                    .map(|_| format!("{name} 的角色已改为 {}", role.label()))
            }
            None => Err(crate::error::Error::Invalid(
                "未知角色 (unknown role)".into(),
            )),
        },
        other => Err(crate::error::Error::Invalid(format!(
            "未知操作 {other:?} (unknown action)"
        ))),
    };
    outcome(&st, r)
}

/// `POST /admin/settings`: `anonymous` = on or absent; `audit_days` and `audit_max_entries` (0: no limit),
/// unchanged when absent.
pub async fn save_settings(State(st): State<AppState>, body: Bytes) -> Result<Response, PageError> {
    let form = form_pairs(&body);
    let mut s = Settings {
        allow_anonymous: field(&form, "anonymous") == "on",
        ..st.settings()
    };
    let number = |k: &str| -> Result<Option<u64>, String> {
        match field(&form, k) {
            v if v.is_empty() => Ok(None),
            v => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{v} 不是非负整数 (not a whole number)")),
        }
    };
    match (number("audit_days"), number("audit_max_entries")) {
        (Ok(days), Ok(max)) => {
            if let Some(d) = days {
                s.audit_retention.days = d.min(u32::MAX as u64) as u32;
            }
            if let Some(m) = max {
                s.audit_retention.max_entries = m;
            }
        }
        (Err(e), _) | (_, Err(e)) => return Ok(render_admin(&st, None, Some(e))?),
    }
    st.save_settings(s).map_err(AppError::from)?;
    let anonymous = if s.allow_anonymous {
        "已允许未登录访客查看公开文件"
    } else {
        "未登录访客已不能查看任何内容"
    };
    Ok(render_admin(
        &st,
        Some(format!(
            "{anonymous}；审计日志{}。",
            s.audit_retention.describe()
        )),
        None,
    )?)
}

/// The audit filter of a query string: `user`, `action`, `since`, `until` (YYYY-MM-DD), `q`.
fn audit_filter(raw: Option<&str>) -> AppResult<AuditFilter> {
    let mut f = AuditFilter::default();
    for (k, v) in form_pairs(raw.unwrap_or("").as_bytes()) {
        let v = v.trim().to_string();
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "user" => f.user = Some(v),
            "action" => {
                f.action = Some(AuditAction::parse(&v).ok_or_else(|| {
                    AppError::BadRequest(format!("未知操作类型 {v} (unknown action)"))
                })?)
            }
            "since" => f.since = Some(day(&v)?),
            "until" => f.until = Some(day(&v)? + chrono::Duration::days(1)),
            "q" => f.text = Some(v),
            _ => {}
        }
    }
    Ok(f)
}

fn day(s: &str) -> AppResult<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| AppError::BadRequest(format!("日期应为 YYYY-MM-DD：{s} (bad date)")))
}

/// One audit entry, for the page.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub time: String,
    pub user: String,
    pub role: &'static str,
    pub action: &'static str,
    pub action_class: &'static str,
    pub target: String,
    pub detail: String,
    pub status: u16,
    pub ip: String,
}

fn audit_row(e: &AuditEntry) -> AuditRow {
    AuditRow {
        time: e
            .time
            .with_timezone(
                &chrono::FixedOffset::east_opt(8 * 3600)
                    .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset")),
            )
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        user: e.user.clone().unwrap_or_else(|| "（未登录）".into()),
        role: e.role.label(),
        action: e.action.label(),
        action_class: match e.action {
            AuditAction::Denied | AuditAction::LoginFailed => "repealed",
            a if a.is_write() => "amended",
            _ => "",
        },
        target: e.target.clone(),
        detail: e.detail.clone(),
        status: e.status,
        ip: e.ip.clone().unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub rows: Vec<AuditRow>,
    pub user: String,
    pub action: String,
    pub since: String,
    pub until: String,
    pub q: String,
    pub actions: Vec<(&'static str, &'static str)>,
    pub export_query: String,
    pub limit: usize,
}

/// `GET /admin/audit`: the newest entries matching the filters.
pub async fn audit_page(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<AuditPage, PageError> {
    let filter = audit_filter(raw.as_deref())?;
    let lib = st.lib.clone();
    let f = filter.clone();
    let entries = tokio::task::spawn_blocking(move || audit::recent(lib.store(), &f, AUDIT_PAGE))
        .await
        .map_err(AppError::from)?
        .map_err(AppError::from)?;
    let pairs = form_pairs(raw.as_deref().unwrap_or("").as_bytes());
    let get = |k: &str| field(&pairs, k);
    Ok(AuditPage {
        chrome: chrome(&st, "审计日志", ""),
        rows: entries.iter().map(audit_row).collect(),
        user: get("user"),
        action: get("action"),
        since: get("since"),
        until: get("until"),
        q: get("q"),
        actions: AuditAction::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        export_query: raw.unwrap_or_default(),
        limit: AUDIT_PAGE,
    })
}

/// `GET /admin/audit/export?format=csv|jsonl&…`: every matching entry, oldest first, as a download.
pub async fn audit_export(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let filter = audit_filter(raw.as_deref())?;
    let format = form_pairs(raw.as_deref().unwrap_or("").as_bytes())
        .into_iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v)
        .unwrap_or_else(|| "csv".into());
    let lib = st.lib.clone();
    let fmt = format.clone();
    let bytes = tokio::task::spawn_blocking(move || -> AppResult<Vec<u8>> {
        let mut out = Vec::new();
        match fmt.as_str() {
            "csv" => audit::export_csv(lib.store(), &filter, &mut out)?,
            "jsonl" => audit::export_jsonl(lib.store(), &filter, &mut out)?,
            f => {
                return Err(AppError::BadRequest(format!(
                    "未知格式 {f}（csv 或 jsonl）(unknown format)"
                )));
            }
        };
        Ok(out)
    })
    .await??;
    let (ctype, ext) = if format == "csv" {
        ("text/csv; charset=utf-8", "csv")
    } else {
        ("application/x-ndjson; charset=utf-8", "jsonl")
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audit.{ext}\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// `GET /api/admin/audit?user=&action=&since=&until=&q=&limit=`: the newest matching entries as JSON.
pub async fn api_audit(
    State(st): State<AppState>,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<Vec<AuditEntry>>> {
    let filter = audit_filter(raw.as_deref())?;
    let limit = match field(
        &form_pairs(raw.as_deref().unwrap_or("").as_bytes()),
        "limit",
    )
    .as_str()
    {
        "" => 100,
        l => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| AppError::BadRequest("limit 应为 1–10000 (bad limit)".into()))?,
    };
    let lib = st.lib.clone();
    let entries =
        tokio::task::spawn_blocking(move || audit::recent(lib.store(), &filter, limit)).await??;
    Ok(Json(entries))
}

/// The body of `POST /api/admin/backup`; empty, or `{"dir": "/absolute/folder"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupIn {
    /// A new or empty folder on the server; `backups/<time>` under the data folder when absent.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

/// The answer: where the backup is and its manifest.
#[derive(Debug, Serialize)]
pub struct BackupOut {
    pub dir: String,
    pub manifest: Manifest,
}

/// `POST /api/admin/backup`.
pub async fn backup_now(
    State(st): State<AppState>,
    viewer: Viewer,
    body: Result<Json<BackupIn>, JsonRejection>,
) -> AppResult<Json<BackupOut>> {
    if !viewer.can(Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let input = match body {
        Ok(Json(b)) => b,
        // No body at all: the server chooses the folder.
        Err(JsonRejection::MissingJsonContentType(_)) => BackupIn::default(),
        Err(e) => {
            return Err(AppError::BadRequest(format!(
                "请求体应为 JSON：{{\"dir\": \"/备份/目录\"}} 或留空；{} (bad body)",
                e.body_text()
            )));
        }
    };
    if let Some(d) = &input.dir
        && !d.is_absolute()
    {
        return Err(AppError::BadRequest(
            "备份目录须为服务器上的绝对路径 (the backup folder must be an absolute path)".into(),
        ));
    }
    let out = st
        .blocking(move |lib| {
            let dir = input
                .dir
                .unwrap_or_else(|| backup::default_dir(&lib.config));
            let manifest = backup::backup(lib, &dir)?;
            Ok(BackupOut {
                dir: dir.display().to_string(),
                manifest,
            })
        })
        .await?;
    Ok(Json(out))
}
