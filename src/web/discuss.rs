//! The discussion pages of a number in a document's table (`/documents/{id}/cells/{tT-rR-cC}`) and of a
//! finding (`/documents/{id}/findings/{key}`): what it is, where it stands, and its comments.

use super::AppState;
use super::collab::{CommentsView, comments_view};
use super::error::AppError;
use super::markup::document_url;
use super::pages::{Chrome, PageError, chrome};
use super::params::wan;
use crate::auth::Viewer;
use crate::collab::model::{CellAt, Target};
use crate::library::Library;
use crate::model::DocId;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};

/// The routes of this module.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/documents/{id}/cells/{cell}", get(cell_page))
        .route("/documents/{id}/findings/{key}", get(finding_page))
}

/// The page a number or a finding is discussed on.
pub fn discuss_url(t: &Target) -> Option<String> {
    let enc = super::params::encode_component;
    match t {
        Target::Cell(doc, at) => Some(format!(
            "/documents/{}/cells/{}",
            enc(doc.as_str()),
            at.anchor()
        )),
        Target::Finding(doc, key) => {
            Some(format!("/documents/{}/findings/{key}", enc(doc.as_str())))
        }
        _ => None,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "discuss.html")]
pub struct DiscussPage {
    pub chrome: Chrome,
    /// 数据 or 预警.
    pub what: &'static str,
    pub heading: String,
    /// Label and value lines.
    pub lines: Vec<(String, String)>,
    pub doc_title: String,
    /// The document page at the number or the findings.
    pub back: String,
    pub comments: CommentsView,
}

fn not_found(what: &str) -> AppError {
    AppError::NotFound(format!("没有这个{what}"))
}

/// The lines of a number's page: its table, row and text as printed, and the fact read from it, if any.
fn cell_lines(
    lib: &Library,
    doc: &DocId,
    at: CellAt,
) -> Result<(String, Vec<(String, String)>), AppError> {
    let c = crate::budget::query::cell_info(lib, doc, at.table, at.row, at.col)?
        .ok_or_else(|| not_found("单元格"))?;
    let heading = match &c.fact {
        Some(f) => format!("{} · {}：{}", f.name, f.column, c.text),
        None if !c.row_label.is_empty() => format!("{}：{}", c.row_label, c.text),
        None => c.text.clone(),
    };
    let mut lines = vec![
        ("表格".to_string(), c.table_title),
        ("所在行".to_string(), c.row_label),
        ("单元格".to_string(), c.text),
    ];
    if let Some(p) = c.page {
        lines.push(("页码".into(), format!("第 {p} 页")));
    }
    if let Some(f) = c.fact {
        lines.push((
            "科目".into(),
            match &f.code {
                Some(code) => format!("{code} {}", f.name),
                None => f.name.clone(),
            },
        ));
        lines.push(("栏目".into(), f.column.clone()));
        lines.push(("金额".into(), format!("{} 万元", wan(f.amount))));
    }
    Ok((heading, lines))
}

/// `GET /documents/{id}/cells/{tT-rR-cC}`: a number in a table, with its comments.
pub async fn cell_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<DiscussPage, PageError> {
    let Path((id, cell)) = path?;
    let at = CellAt::parse(&cell).ok_or_else(|| not_found("单元格"))?;
    let page_chrome = chrome(&st, "数据", "");
    st.blocking(move |lib| {
        let doc_id = DocId(id);
        let doc = lib
            .meta(&doc_id, &viewer.scope())?
            .ok_or_else(|| not_found("文档"))?;
        let (heading, lines) = cell_lines(lib, &doc_id, at)?;
        let target = Target::Cell(doc_id.clone(), at);
        let back = discuss_url(&target).unwrap_or_default();
        Ok(DiscussPage {
            chrome: Chrome {
                title: format!("{} · {heading}", doc.title),
                ..page_chrome
            },
            what: "数据",
            heading,
            lines,
            back: format!("{}#{}", document_url(doc_id.as_str(), ""), at.anchor()),
            doc_title: doc.title,
            comments: comments_view(lib, &viewer, &target, &back)?,
        })
    })
    .await
    .map_err(Into::into)
}

/// `GET /documents/{id}/findings/{key}`: one finding, with its comments.
pub async fn finding_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<DiscussPage, PageError> {
    let Path((id, key)) = path?;
    let page_chrome = chrome(&st, "预警", "");
    st.blocking(move |lib| {
        let doc_id = DocId(id);
        let scope = viewer.scope();
        let doc = lib
            .meta(&doc_id, &scope)?
            .ok_or_else(|| not_found("文档"))?;
        let f = crate::budget::alerts::findings(lib, &doc_id, &scope)?
            .unwrap_or_default()
            .into_iter()
            .find(|f| f.key == key)
            .ok_or_else(|| not_found("预警"))?;
        let mut lines = vec![
            ("规则".to_string(), f.rule_name.clone()),
            ("级别".to_string(), f.severity.label().to_string()),
            ("状态".to_string(), f.status().to_string()),
        ];
        for (k, v) in [
            ("页码", f.page.map(|p| format!("第 {p} 页"))),
            ("表格", f.table.clone()),
            ("行", f.row.clone()),
            ("栏目", f.column.clone()),
            ("应为", f.expected.clone()),
            ("实为", f.found.clone()),
            ("原文", f.quote.clone()),
        ] {
            if let Some(v) = v {
                lines.push((k.to_string(), v));
            }
        }
        let target = Target::Finding(doc_id.clone(), f.key.clone());
        let back = discuss_url(&target).unwrap_or_default();
        Ok(DiscussPage {
            chrome: Chrome {
                title: format!("{} · 预警", doc.title),
                ..page_chrome
            },
            what: "预警",
            heading: f.message,
            lines,
            back: format!("{}#findings", document_url(doc_id.as_str(), "")),
            doc_title: doc.title,
            comments: comments_view(lib, &viewer, &target, &back)?,
        })
    })
    .await
    .map_err(Into::into)
}
