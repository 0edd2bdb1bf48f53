//! The web edge's error: one `AppError` for every route, mapped to an HTTP status and a safe message in one
//! place. Internal causes are logged here and never sent to clients.

use crate::error::Error;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What went wrong, as a client may be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// A parameter, query or upload is invalid (400).
    BadRequest(String),
    /// The viewer's role may not do this (403). Reading something outside the viewer's scope is
    /// `NotFound`, never this, so that its existence does not leak.
    Forbidden,
    /// The id names nothing (404).
    NotFound(String),
    /// The method is not allowed on this path (405).
    MethodNotAllowed,
    /// Not logged in, or the credentials are not valid (401).
    Unauthorized,
    /// A form came without the token of the session that loaded it (403).
    CsrfRejected,
    /// The request body is over the size limit (413).
    TooLarge(String),
    /// Too much work is queued; try again later (429).
    Busy(String),
    /// The server cannot answer now (503).
    Unavailable(String),
    /// Something failed inside the server (500); the cause has been logged.
    Internal,
}

/// The JSON body of an error: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl AppError {
    /// Logs an internal cause and returns the error a client sees.
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!("internal error: {cause}");
        AppError::Internal
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::CsrfRejected => "csrf",
            AppError::TooLarge(_) => "too_large",
            AppError::Busy(_) => "busy",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal => "internal",
        }
    }

    /// The message shown to the user (Chinese, with the technical detail where it helps).
    pub fn message(&self) -> String {
        match self {
            AppError::BadRequest(m)
            | AppError::NotFound(m)
            | AppError::TooLarge(m)
            | AppError::Busy(m)
            | AppError::Unavailable(m) => m.clone(),
            AppError::Unauthorized => "请先登录 (login required)".into(),
            AppError::Forbidden => "没有权限执行此操作 (forbidden)".into(),
            AppError::CsrfRejected => {
                "表单已过期或来源不明，请刷新页面后重试 (CSRF token missing or wrong)".into()
            }
            AppError::MethodNotAllowed => "不支持该请求方法 (method not allowed)".into(),
            AppError::Internal => {
                "服务器内部错误，详情已记录在服务器日志中 (internal error)".into()
            }
        }
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        match e {
            Error::Query(m) => AppError::BadRequest(format!("查询无效：{m} (invalid query)")),
            Error::Invalid(m) => AppError::BadRequest(format!("输入无效：{m} (invalid input)")),
            Error::NotFound(m) => AppError::NotFound(format!("未找到：{m} (not found)")),
            Error::Denied(m) => {
                tracing::info!("refused: {m}");
                AppError::Forbidden
            }
            Error::TooOften(m) => AppError::Busy(format!("操作过于频繁：{m}")),
            Error::Locked(_) => {
                tracing::error!("{e}");
                AppError::Unavailable("数据目录正被另一个进程使用 (data folder in use)".into())
            }
            Error::Extract { source, .. } => {
                AppError::BadRequest(format!("文件无法解析：{source}"))
            }
            Error::Io { ref source, .. } | Error::Store(sled::Error::Io(ref source))
                if crate::disk::is_full(source) =>
            {
                tracing::error!("{e}");
                AppError::disk_full()
            }
            e @ (Error::Io { .. }
            | Error::Store(_)
            | Error::Index(_)
            | Error::Corrupt { .. }
            | Error::StoreDamaged(_)
            | Error::StoreLost { .. }) => AppError::internal(e),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> AppError {
        AppError::internal(format!("a blocking task failed: {e}"))
    }
}

impl AppError {
    /// The data folder's disk is full: nothing is written until space is freed.
    pub fn disk_full() -> AppError {
        AppError::Unavailable(
            "服务器磁盘空间不足，暂不能写入；请管理员释放空间后再试 (disk full)".into(),
        )
    }

    /// The store met a full disk and takes no more writes until the server is restarted.
    pub fn store_failed() -> AppError {
        AppError::Unavailable(
            "数据存储在磁盘写满时写入失败，暂不能写入；磁盘空间释放后服务会重新打开存储 (the store failed a write; it is opened anew once the disk has room)"
                .into(),
        )
    }

    /// An upload over `limit` bytes.
    pub fn upload_too_large(limit: usize) -> AppError {
        AppError::TooLarge(format!(
            "上传内容超过大小限制（每次最多 {} MiB）(upload too large)",
            limit >> 20
        ))
    }

    /// A request body over `limit` bytes on a route that takes no upload.
    pub fn body_too_large(limit: usize) -> AppError {
        AppError::TooLarge(format!(
            "请求内容超过大小限制（最多 {} KiB）(request body too large)",
            limit >> 10
        ))
    }

    /// A multipart error, with the size limit that applied to the upload.
    pub fn from_multipart(e: axum::extract::multipart::MultipartError, limit: usize) -> AppError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::upload_too_large(limit)
        } else {
            AppError::from(e)
        }
    }
}

impl From<axum::extract::multipart::MultipartError> for AppError {
    fn from(e: axum::extract::multipart::MultipartError) -> AppError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::upload_too_large(super::MAX_UPLOAD_BYTES)
        } else {
            AppError::BadRequest(format!(
                "上传内容无法读取：{} (bad multipart body)",
                e.body_text()
            ))
        }
    }
}

impl From<axum::extract::multipart::MultipartRejection> for AppError {
    fn from(e: axum::extract::multipart::MultipartRejection) -> AppError {
        AppError::BadRequest(format!(
            "请以 multipart/form-data 上传文件：{} (expected a multipart body)",
            e.body_text()
        ))
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(e: axum::extract::rejection::PathRejection) -> AppError {
        AppError::BadRequest(format!("路径参数无效：{} (bad path)", e.body_text()))
    }
}

impl From<axum::extract::rejection::FormRejection> for AppError {
    fn from(e: axum::extract::rejection::FormRejection) -> AppError {
        AppError::BadRequest(format!("表单内容无法读取：{} (bad form)", e.body_text()))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let message = self.message();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: &message,
            },
        };
        (self.status(), Json(body)).into_response()
    }
}

/// The web edge's result type.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_errors_map_to_statuses_and_internal_causes_stay_inside() {
        let io = Error::io(
            "/srv/secret/index/store",
            std::io::Error::other("disk on fire"),
        );
        let e = AppError::from(io);
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        );
        assert!(!e.message().contains("secret") && !e.message().contains("fire"));
        let q = AppError::from(Error::Query("a quotation mark is not closed".into()));
        assert_eq!(q.status(), StatusCode::BAD_REQUEST);
        assert!(q.message().contains("not closed"));
        assert_eq!(
            AppError::from(Error::NotFound("x".into())).status(),
            StatusCode::NOT_FOUND
        );
        let locked = AppError::from(Error::Locked("/srv/secret".into()));
        assert_eq!(locked.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!locked.message().contains("secret"));
    }
}
