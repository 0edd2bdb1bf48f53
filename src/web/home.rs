//! The landing page `/`: what an office opens the day with, within the reader's scope: the newest documents,
//! proposals past or near their deadline, the 预警 waiting for a decision, the topics, and how to search. A `/`
//! with a query answers as the search page, as old links expect.

use super::AppState;
use super::pages::{Chrome, PageError, chrome};
use crate::auth::{Role, Viewer};
use crate::budget::checks::Severity;
use crate::model::{Filters, Sort, Unit};
use crate::proposals::ListFilter;
use crate::search::{SearchRequest, search};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};

/// A document or proposal as listed.
pub struct Item {
    pub title: String,
    pub url: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub documents: String,
    pub recent: Vec<Item>,
    pub overdue: Vec<Item>,
    pub due_soon: Vec<Item>,
    pub overdue_total: usize,
    pub due_soon_total: usize,
    /// 预警 of documents not yet decided (errors, warnings), and of the execution data (staff).
    pub alerts: (usize, usize),
    pub pace: Option<usize>,
    pub topics: Vec<(String, String)>,
    pub staff: bool,
    /// The demonstration samples still in the library (「8 个示例文档、12 件示例建议」).
    pub samples: Option<String>,
}

const LISTED: usize = 8;

/// `GET /`.
pub async fn page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if raw.as_deref().is_some_and(|q| !q.is_empty()) {
        // An old link (`/?q=…`): the search page, as it used to be.
        return Ok(super::pages::search_page(State(st), viewer, RawQuery(raw))
            .await
            .into_response());
    }
    let scope = viewer.scope();
    let staff = viewer.can(Role::Staff);
    let chrome = chrome(&st, "首页", "");
    let page = st
        .blocking(move |lib| {
            let resp = search(
                lib,
                &SearchRequest {
                    q: String::new(),
                    filters: Filters::default(),
                    unit: Unit::Document,
                    sort: Sort::Date,
                    offset: 0,
                    limit: LISTED,
                    scope: scope.clone(),
                },
            )?;
            let samples = crate::samples::find(lib)?;
            let recent = resp
                .hits
                .iter()
                .map(|h| Item {
                    title: h.title.clone(),
                    url: format!("/documents/{}", h.doc_id),
                    note: [
                        samples.has(&h.doc_id).then(|| "示例".to_string()),
                        Some(h.kind.label().to_string()),
                        h.date.map(|d| d.to_string()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                })
                .collect();
            let today = crate::proposals::today();
            let proposals = |overdue: bool| -> crate::error::Result<(Vec<Item>, usize)> {
                let filter = ListFilter {
                    overdue,
                    due_soon: !overdue,
                    limit: 5,
                    scope: scope.clone(),
                    ..ListFilter::default()
                };
                let list = crate::proposals::list(lib, &filter, today)?;
                let items = list
                    .items
                    .iter()
                    .map(|p| Item {
                        title: format!("{} 第{}号 {}", p.session, p.number, p.title),
                        url: format!(
                            "/proposals/{}",
                            super::params::encode_component(p.id.as_str())
                        ),
                        note: format!(
                            "{} · {}{}",
                            p.lead_unit,
                            p.status.label(),
                            p.deadline
                                .map(|d| format!(" · 期限 {d}"))
                                .unwrap_or_default()
                        ),
                    })
                    .collect();
                Ok((items, list.total))
            };
            let (overdue, overdue_total) = proposals(true)?;
            let (due_soon, due_soon_total) = proposals(false)?;
            let mut alerts = (0, 0);
            for d in crate::budget::alerts::all_findings(lib, &scope)? {
                for f in &d.findings {
                    if f.decision.is_some() {
                        continue;
                    }
                    match f.severity {
                        Severity::Error => alerts.0 += 1,
                        Severity::Warning => alerts.1 += 1,
                        Severity::Info => {}
                    }
                }
            }
            let pace = if staff {
                let found = crate::budget::execution::review::findings(lib, None, None)?;
                let open = found.iter().filter(|f| f.decision.is_none()).count();
                (!found.is_empty()).then_some(open)
            } else {
                None
            };
            let topics = lib
                .reference()
                .topics
                .iter()
                .map(|t| (t.id.clone(), t.name.clone()))
                .collect();
            Ok(HomePage {
                chrome,
                documents: super::params::grouped(&resp.total.to_string()),
                recent,
                overdue,
                due_soon,
                overdue_total,
                due_soon_total,
                alerts,
                pace,
                topics,
                staff,
                samples: (!samples.is_empty()).then(|| samples.label()),
            })
        })
        .await?;
    Ok(page.into_response())
}

/// `POST /samples/remove` (staff): removes the demonstration samples, documents and proposals, and keeps
/// them out of later first-start ingests; back to the landing page.
pub async fn remove_samples(
    State(st): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    crate::web::auth::require(&viewer, Role::Staff)?;
    let removed = st.blocking(|lib| Ok(crate::samples::remove(lib)?)).await?;
    st.reload_settings();
    let mut resp = axum::response::Redirect::to("/").into_response();
    resp.extensions_mut()
        .insert(crate::web::auth::AuditNote(format!(
            "删除示例数据：文档 {} 个、代表建议 {} 件",
            removed.documents, removed.proposals
        )));
    Ok(resp)
}
