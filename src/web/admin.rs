//! Administration over HTTP: `POST /api/admin/backup` writes a consistent backup of the data folder while
//! the server keeps serving (the server holds the folder's lock, so a backup of a served folder goes
//! through here). Administrators only.

use super::AppState;
use super::error::{AppError, AppResult};
use crate::auth::{Role, Viewer};
use crate::backup::{self, Manifest};
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The administration routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/backup", post(backup_now))
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
