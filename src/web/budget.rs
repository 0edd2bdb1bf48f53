//! Budget data on the web: `GET /api/facts` (the model of `yusuan facts --json`, computed in the reader's
//! scope) and the CSV and XLSX downloads of one table of a document (`/documents/{id}/tables/{n}.csv|xlsx`).

use super::AppState;
use super::error::{AppError, AppResult};
use super::params::parse_pairs;
use crate::auth::Viewer;
use crate::budget::query::{self, FactList, FactQuery};
use crate::budget::recognise::CodeLevel;
use crate::model::DocId;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The filters of `GET /api/facts`, validated.
fn fact_query(raw: Option<&str>, max_limit: usize) -> AppResult<FactQuery> {
    let mut q = FactQuery {
        limit: 100,
        ..FactQuery::default()
    };
    let bad = |key: &str, v: &str, what: &str| {
        AppError::BadRequest(format!(
            "参数 {key} 的值「{v}」无效，应为{what} (invalid {key})"
        ))
    };
    for (k, v) in parse_pairs(raw.unwrap_or_default())? {
        let text = Some(v.trim().to_string()).filter(|s| !s.is_empty());
        match k.as_str() {
            "doc" => q.doc = text.map(DocId),
            "code" => q.code = text,
            "unit" => q.unit = text,
            "region" => q.region = text,
            "table" => q.table = text,
            "column" => q.column = text,
            "year" => q.year = Some(v.trim().parse().map_err(|_| bad("year", &v, "年份"))?),
            "level" => {
                q.level = Some(CodeLevel::parse(&v).ok_or_else(|| bad("level", &v, "类、款或项"))?)
            }
            "limit" => q.limit = v.trim().parse().map_err(|_| bad("limit", &v, "非负整数"))?,
            "offset" => {
                q.offset = v
                    .trim()
                    .parse()
                    .map_err(|_| bad("offset", &v, "非负整数"))?
            }
            other => {
                return Err(AppError::BadRequest(format!(
                    "未知参数 {other} (unknown parameter)"
                )));
            }
        }
    }
    if q.limit > max_limit {
        return Err(bad(
            "limit",
            &q.limit.to_string(),
            &format!("不超过 {max_limit} 的数"),
        ));
    }
    Ok(q)
}

/// `GET /api/facts`.
pub async fn facts(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<FactList>> {
    let q = fact_query(raw.as_deref(), st.lib.config.max_limit)?;
    let scope = viewer.scope();
    let list = st
        .blocking(move |lib| Ok(query::facts(lib, &q, &scope)?))
        .await?;
    Ok(Json(list))
}

/// A table downloaded as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    Csv,
    Xlsx,
}

impl Download {
    /// `csv` or `xlsx`.
    pub fn parse(ext: &str) -> Option<Download> {
        match ext {
            "csv" => Some(Download::Csv),
            "xlsx" => Some(Download::Xlsx),
            _ => None,
        }
    }
}

impl Download {
    /// The `format` parameter of a money page: none, `csv` or `xlsx`.
    pub fn param(v: &str) -> AppResult<Option<Download>> {
        match v.trim() {
            "" => Ok(None),
            other => Download::parse(other)
                .map(Some)
                .ok_or_else(|| super::params::bad("format", other, "csv 或 xlsx")),
        }
    }
}

/// The `stage` parameter of a money page.
pub fn stage_param(v: Option<&str>) -> AppResult<Option<crate::budget::Stage>> {
    v.map(|s| {
        crate::budget::Stage::parse(s)
            .ok_or_else(|| super::params::bad("stage", s, "预算、调整预算或决算"))
    })
    .transpose()
}

/// The `table` parameter of a money page: a standard table kind.
pub fn table_param(v: Option<&str>) -> AppResult<Option<crate::budget::TableKind>> {
    v.map(|t| {
        crate::budget::TableKind::parse(t)
            .ok_or_else(|| super::params::bad("table", t, "标准表名称，如 支出表"))
    })
    .transpose()
}

/// How a money page shows its rows (`view=table|chart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    #[default]
    Table,
    Chart,
}

impl Show {
    pub fn param(v: &str) -> AppResult<Show> {
        match v.trim() {
            "" | "table" => Ok(Show::Table),
            "chart" => Ok(Show::Chart),
            other => Err(super::params::bad("view", other, "table 或 chart")),
        }
    }
}

/// A table as a download named `<stem>.csv|xlsx` (CSV through the table exporter: formulas neutralised, a BOM
/// for Excel).
pub fn table_file(table: &crate::budget::Table, d: Download, stem: &str) -> AppResult<Response> {
    let (bytes, ext, mime) = match d {
        Download::Csv => (
            crate::budget::export::csv(table),
            "csv",
            "text/csv; charset=utf-8",
        ),
        Download::Xlsx => (
            crate::budget::export::xlsx(table)
                .map_err(|e| AppError::internal(format!("writing a table as XLSX: {e}")))?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let name = format!("{stem}.{ext}");
    if let Ok(v) = HeaderValue::from_str(&super::markup::content_disposition(&name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// `GET /documents/{id}/tables/{file}` where file is `<n>.csv` or `<n>.xlsx` (n from 1).
pub async fn download(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
) -> AppResult<Response> {
    let Path((id, file)) = path?;
    let not_found = || AppError::NotFound("没有这个表格 (no such table)".into());
    let (n, ext) = file.split_once('.').ok_or_else(not_found)?;
    let n: usize = n.parse().map_err(|_| not_found())?;
    let d = Download::parse(ext).ok_or_else(not_found)?;
    let scope = viewer.scope();
    let t = st
        .blocking(move |lib| {
            let tables = query::document_tables(lib, &DocId(id), &scope)?.ok_or_else(not_found)?;
            n.checked_sub(1)
                .and_then(|i| tables.into_iter().nth(i))
                .ok_or_else(not_found)
        })
        .await?;
    let title = if t.title.is_empty() {
        format!("表{n}")
    } else {
        t.title.clone()
    };
    table_file(&t.table, d, &title)
}
