//! 预警 on the web: the list of findings across documents with filters and facet counts, its CSV and JSON
//! export, and `GET /api/documents/{id}/findings` (the model of `yusuan check ID --json`), all computed in the
//! reader's scope.

use super::AppState;
use super::budget::Download;
use super::error::{AppError, AppResult};
use super::pages::{Chrome, FacetView, LinkView, PageError, chrome};
use super::params::{encode_component, parse_pairs};
use crate::auth::Viewer;
use crate::budget::alerts::{self, DocFindings};
use crate::budget::checks::{Decision, Finding, Verdict};
use crate::model::DocId;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection};
use axum::extract::{Form, Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The 预警 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list_page))
        .route("/api/alerts", get(list_api))
        .route(
            "/api/documents/{id}/findings",
            get(document_findings).post(decide_api),
        )
        .route("/documents/{id}/findings", axum::routing::post(decide_form))
}

/// A decision on a finding: `op` is confirm, dismiss or undo.
#[derive(Debug, serde::Deserialize)]
pub struct DecisionIn {
    pub key: String,
    pub op: String,
    #[serde(default)]
    pub note: String,
}

/// Applies a decision in the viewer's name.
async fn apply(
    st: &AppState,
    viewer: Viewer,
    id: String,
    input: DecisionIn,
) -> AppResult<Option<Decision>> {
    let verdict = Verdict::from_op(&input.op).ok_or_else(|| {
        AppError::BadRequest(format!(
            "操作「{}」无效，应为 confirm、dismiss 或 undo (bad op)",
            input.op
        ))
    })?;
    let scope = viewer.scope();
    let by = viewer.actor();
    st.blocking(move |lib| {
        Ok(alerts::decide(
            lib,
            &DocId(id),
            &scope,
            &input.key,
            verdict,
            &input.note,
            &by,
        )?)
    })
    .await
}

/// `POST /documents/{id}/findings`: the form on the document page; back to its findings.
async fn decide_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<DecisionIn>, FormRejection>,
) -> Result<Response, PageError> {
    let Path(id) = path?;
    let Form(input) = form?;
    apply(&st, viewer, id.clone(), input).await?;
    Ok(Redirect::to(&format!("/documents/{}#findings", encode_component(&id))).into_response())
}

/// `POST /api/documents/{id}/findings`: `{"key", "op", "note"}` → the decision (null after undo).
async fn decide_api(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<DecisionIn>, JsonRejection>,
) -> AppResult<Json<Option<Decision>>> {
    let Path(id) = path?;
    let Json(input) = body.map_err(|e| {
        AppError::BadRequest(format!("请求内容无法读取：{} (bad JSON)", e.body_text()))
    })?;
    Ok(Json(apply(&st, viewer, id, input).await?))
}

/// `GET /api/documents/{id}/findings`: `{"doc_id", "findings": [...]}`.
async fn document_findings(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<serde_json::Value>> {
    let Path(id) = path?;
    let scope = viewer.scope();
    let id = DocId(id);
    let found = st
        .blocking({
            let id = id.clone();
            move |lib| Ok(alerts::findings(lib, &id, &scope)?)
        })
        .await?
        .ok_or_else(|| AppError::NotFound("没有这个文档 (no such document)".into()))?;
    Ok(Json(serde_json::json!({"doc_id": id, "findings": found})))
}

/// The filters of the 预警 list.
#[derive(Debug, Clone, Default)]
struct Filter {
    severity: Option<String>,
    rule: Option<String>,
    unit: Option<String>,
    year: Option<String>,
    status: Option<String>,
    format: Option<String>,
    sort: Sort,
}

/// The order of the list's rows (`sort=` in the URL).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Sort {
    /// Errors first, then warnings, then information; within a severity by document.
    #[default]
    Severity,
    Document,
    Rule,
    Unit,
    /// Newest year first.
    Year,
    Status,
}

impl Sort {
    const ALL: [(Sort, &'static str, &'static str); 6] = [
        (Sort::Severity, "severity", "级别"),
        (Sort::Document, "document", "文档"),
        (Sort::Rule, "rule", "规则"),
        (Sort::Unit, "unit", "单位"),
        (Sort::Year, "year", "年度"),
        (Sort::Status, "status", "核实"),
    ];

    fn parse(v: &str) -> AppResult<Sort> {
        Sort::ALL
            .iter()
            .find(|(_, key, _)| *key == v)
            .map(|(s, _, _)| *s)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "sort 只能是 severity、document、rule、unit、year 或 status，不是「{v}」 (bad sort)"
                ))
            })
    }

    fn key(self) -> &'static str {
        Sort::ALL
            .iter()
            .find(|(s, _, _)| *s == self)
            .map_or("severity", |(_, k, _)| k)
    }
}

impl Filter {
    fn parse(raw: Option<&str>) -> AppResult<Filter> {
        let mut f = Filter::default();
        for (k, v) in parse_pairs(raw.unwrap_or_default())? {
            let v = Some(v.trim().to_string()).filter(|s| !s.is_empty());
            match k.as_str() {
                "severity" => f.severity = v,
                "rule" => f.rule = v,
                "unit" => f.unit = v,
                "year" => f.year = v,
                "status" => f.status = v,
                "format" => f.format = v,
                "sort" => f.sort = v.as_deref().map_or(Ok(Sort::default()), Sort::parse)?,
                other => {
                    return Err(AppError::BadRequest(format!(
                        "未知参数 {other} (unknown parameter)"
                    )));
                }
            }
        }
        Ok(f)
    }

    /// Whether a finding of a document passes the filter, leaving out one dimension (for its facet counts).
    fn keeps(&self, d: &DocFindings, f: &Finding, except: Option<&str>) -> bool {
        let on = |dim: &str, want: &Option<String>, have: &str| {
            except == Some(dim) || want.as_deref().is_none_or(|w| w == have)
        };
        on("severity", &self.severity, f.severity.label())
            && on("status", &self.status, f.status())
            && on("rule", &self.rule, &f.rule_name)
            && on("unit", &self.unit, d.unit.as_deref().unwrap_or("未注明"))
            && on(
                "year",
                &self.year,
                &d.year
                    .map(|y| y.to_string())
                    .unwrap_or_else(|| "未注明".into()),
            )
    }

    /// The list's URL with one dimension set (or cleared).
    fn url_with(&self, dim: &str, value: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, v) in [
            ("severity", &self.severity),
            ("rule", &self.rule),
            ("unit", &self.unit),
            ("year", &self.year),
            ("status", &self.status),
        ] {
            let v = if k == dim {
                value.map(str::to_string)
            } else {
                v.clone()
            };
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        let sort = if dim == "sort" {
            value.map(str::to_string)
        } else {
            (self.sort != Sort::default()).then(|| self.sort.key().to_string())
        };
        if let Some(sort) = sort {
            pairs.push(("sort", sort));
        }
        let q: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if q.is_empty() {
            "/alerts".into()
        } else {
            format!("/alerts?{}", q.join("&"))
        }
    }
}

/// One row of the list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub doc_id: String,
    pub title: String,
    pub unit: String,
    pub year: String,
    #[serde(flatten)]
    pub finding: Finding,
}

/// The rows that pass the filter, and the facet counts of each dimension.
fn rows_and_facets(docs: &[Arc<DocFindings>], filter: &Filter) -> (Vec<Row>, Vec<FacetView>) {
    let mut rows = Vec::new();
    for d in docs {
        for f in &d.findings {
            if filter.keeps(d, f, None) {
                rows.push(Row {
                    doc_id: d.doc_id.to_string(),
                    title: d.title.clone(),
                    unit: d.unit.clone().unwrap_or_else(|| "未注明".into()),
                    year: d
                        .year
                        .map(|y| y.to_string())
                        .unwrap_or_else(|| "未注明".into()),
                    finding: f.clone(),
                });
            }
        }
    }
    let rank = |r: &Row| match r.finding.severity.label() {
        "错误" => 0,
        "警告" => 1,
        _ => 2,
    };
    // The chosen order, then severity, then document (a stable sort keeps the findings' own order within one).
    rows.sort_by(|a, b| {
        let first = match filter.sort {
            Sort::Severity => std::cmp::Ordering::Equal,
            Sort::Document => a.title.cmp(&b.title),
            Sort::Rule => a.finding.rule_name.cmp(&b.finding.rule_name),
            Sort::Unit => a.unit.cmp(&b.unit),
            Sort::Year => b.year.cmp(&a.year),
            Sort::Status => a.finding.status().cmp(b.finding.status()),
        };
        first
            .then(rank(a).cmp(&rank(b)))
            .then_with(|| a.title.cmp(&b.title))
    });
    let dims: [(&'static str, &str, &Option<String>); 5] = [
        ("级别", "severity", &filter.severity),
        ("核实", "status", &filter.status),
        ("规则", "rule", &filter.rule),
        ("单位", "unit", &filter.unit),
        ("年度", "year", &filter.year),
    ];
    let mut facets = Vec::new();
    for (label, dim, current) in dims {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for d in docs {
            for f in &d.findings {
                if !filter.keeps(d, f, Some(dim)) {
                    continue;
                }
                let value = match dim {
                    "severity" => f.severity.label().to_string(),
                    "rule" => f.rule_name.clone(),
                    "status" => f.status().to_string(),
                    "unit" => d.unit.clone().unwrap_or_else(|| "未注明".into()),
                    _ => d
                        .year
                        .map(|y| y.to_string())
                        .unwrap_or_else(|| "未注明".into()),
                };
                *counts.entry(value).or_default() += 1;
            }
        }
        let mut values: Vec<LinkView> = counts
            .into_iter()
            .map(|(v, count)| {
                let active = current.as_deref() == Some(v.as_str());
                LinkView {
                    url: filter.url_with(dim, if active { None } else { Some(&v) }),
                    label: v,
                    active,
                    count,
                }
            })
            .collect();
        let order = |l: &str| {
            ["错误", "警告", "提示"]
                .iter()
                .position(|s| *s == l)
                .unwrap_or(3)
        };
        values.sort_by(|a, b| {
            order(&a.label)
                .cmp(&order(&b.label))
                .then(b.count.cmp(&a.count))
                .then_with(|| a.label.cmp(&b.label))
        });
        facets.push(FacetView {
            label,
            values,
            more: Vec::new(),
        });
    }
    (rows, facets)
}

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
pub struct AlertsPage {
    pub chrome: Chrome,
    pub rows: Vec<Row>,
    pub facets: Vec<FacetView>,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    pub csv_url: String,
    pub xlsx_url: String,
    pub json_url: String,
    pub clear_url: Option<String>,
    /// The orders the list can take: label, URL, whether it is the current one.
    pub sorts: Vec<LinkView>,
    /// For staff: the pace warnings over the execution data (undecided, all), listed on the execution page.
    pub execution: Option<(usize, usize)>,
}

/// `GET /alerts`: the list, or its export with `format=csv|json`.
async fn list_page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let filter = Filter::parse(raw.as_deref())?;
    let scope = viewer.scope();
    let staff = viewer.can(crate::auth::Role::Staff);
    let (docs, execution) = st
        .blocking(move |lib| {
            let execution = if staff {
                let pace = crate::budget::execution::review::findings(lib, None, None)?;
                (!pace.is_empty()).then(|| {
                    (
                        pace.iter().filter(|f| f.decision.is_none()).count(),
                        pace.len(),
                    )
                })
            } else {
                None
            };
            Ok((alerts::all_findings(lib, &scope)?, execution))
        })
        .await?;
    let (rows, facets) = rows_and_facets(&docs, &filter);
    match filter.format.as_deref() {
        Some("csv") => return download(&rows, Download::Csv),
        Some("xlsx") => return download(&rows, Download::Xlsx),
        Some("json") => return Ok(Json(&rows).into_response()),
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "format 只能是 csv、xlsx 或 json，不是「{other}」 (bad format)"
            ))
            .into());
        }
        None => {}
    }
    let base = filter.url_with("", None);
    let sep = if base.contains('?') { '&' } else { '?' };
    let filtered = [
        &filter.severity,
        &filter.rule,
        &filter.unit,
        &filter.year,
        &filter.status,
    ]
    .iter()
    .any(|v| v.is_some());
    Ok(AlertsPage {
        execution,
        chrome: chrome(&st, "预警", ""),
        documents: docs.iter().filter(|d| !d.findings.is_empty()).count(),
        errors: rows
            .iter()
            .filter(|r| r.finding.severity.label() == "错误")
            .count(),
        warnings: rows
            .iter()
            .filter(|r| r.finding.severity.label() == "警告")
            .count(),
        csv_url: format!("{base}{sep}format=csv"),
        xlsx_url: format!("{base}{sep}format=xlsx"),
        sorts: Sort::ALL
            .iter()
            .map(|(s, key, label)| LinkView {
                url: filter.url_with("sort", Some(key)),
                label: label.to_string(),
                active: *s == filter.sort,
                count: 0,
            })
            .collect(),
        json_url: format!("{base}{sep}format=json"),
        clear_url: filtered.then(|| "/alerts".to_string()),
        rows,
        facets,
    }
    .into_response())
}

/// `GET /api/alerts`: the rows of the list as JSON, with the same filters.
async fn list_api(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<Vec<Row>>> {
    let filter = Filter::parse(raw.as_deref())?;
    let scope = viewer.scope();
    let docs = st
        .blocking(move |lib| Ok(alerts::all_findings(lib, &scope)?))
        .await?;
    Ok(Json(rows_and_facets(&docs, &filter).0))
}

/// The rows as a CSV or XLSX download.
fn download(rows: &[Row], d: Download) -> Result<Response, PageError> {
    let header = [
        "级别", "核实", "规则", "说明", "文档", "单位", "年度", "页", "表", "行", "列", "原文",
        "应为", "实为",
    ];
    let mut texts = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for r in rows {
        let f = &r.finding;
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        texts.push(vec![
            f.severity.label().to_string(),
            f.status().to_string(),
            f.rule_name.clone(),
            f.message.clone(),
            r.title.clone(),
            r.unit.clone(),
            r.year.clone(),
            f.page.map(|p| p.to_string()).unwrap_or_default(),
            o(&f.table),
            o(&f.row),
            o(&f.column),
            o(&f.quote),
            o(&f.expected),
            o(&f.found),
        ]);
    }
    let table = crate::budget::Table::from_texts("预警", texts);
    Ok(super::budget::table_file(&table, d, "预警")?)
}
