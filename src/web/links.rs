//! Links to budget subjects and special topics on the web: the subject tree (`/subjects`, drilled down by
//! `/subjects/{code}`, the four budgets as a dimension), the topics and their dossiers (`/topics`,
//! `/topics/{id}`), the links section of a document page with the staff's confirm / reject / undo form
//! (`POST /documents/{id}/links`), and the same as JSON under `/api/`.
//!
//! The link logic lives in `crate::linking`; this module validates input, calls it and renders.

use super::AppState;
use super::error::{AppError, AppResult};
use super::pages::{Chrome, PageError, chrome};
use super::params::{SearchParams, encode_component, parse_pairs};
use crate::auth::Viewer;
use crate::library::Library;
use crate::link::taxonomy::Level;
use crate::link::{Budget, Decision, Evidence, Subject, Target, Verdict};
use crate::linking::{self, BudgetCount, Dossier, Section, SubjectNode, TopicCount};
use crate::model::{Date, DocId, DocKind, Document, Filters, Scope, Sort, Unit};
use crate::search::{self, SearchRequest};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection};
use axum::extract::{Form, Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The pages and API routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(subjects_page))
        .route("/subjects/{code}", get(subject_page))
        .route("/topics", get(topics_page))
        .route("/topics/{id}", get(topic_page))
        .route("/documents/{id}/links", axum::routing::post(decide_form))
        .route("/api/subjects", get(api_subjects))
        .route("/api/subjects/{code}", get(api_subject))
        .route("/api/topics", get(api_topics))
        .route("/api/topics/{id}", get(api_topic))
        .route("/api/documents/{id}/links", get(api_links).post(api_decide))
}

/// Documents listed per page of a subject.
const SUBJECT_PAGE: usize = 20;
/// Documents listed in a topic dossier at most.
const DOSSIER_LIMIT: usize = 200;

// ---------------------------------------------------------------------------------------------------------
// Input

/// Checks the subject and topic filters of a search: codes must be 3, 5 or 7 digits; a topic may be given by
/// its id or its name and is replaced by its name.
pub fn check_link_filters(lib: &Library, filters: &mut Filters) -> AppResult<()> {
    for code in &filters.subjects {
        check_code(code)?;
    }
    for topic in &mut filters.topics {
        match lib.reference().topics.find(topic) {
            Some(t) => *topic = t.name.clone(),
            None => {
                return Err(AppError::BadRequest(format!(
                    "参数 topic 的值「{topic}」不是已知的专题 (unknown topic)"
                )));
            }
        }
    }
    Ok(())
}

fn check_code(code: &str) -> AppResult<()> {
    if Level::of(code).is_none() {
        return Err(AppError::BadRequest(format!(
            "「{code}」不是科目编码，应为 3、5 或 7 位数字 (not a subject code)"
        )));
    }
    Ok(())
}

/// The filters of a query string (its search parameters) and the `budget` and `page` it asks for.
struct Browse {
    params: SearchParams,
    filters: Filters,
    budget: Option<Budget>,
    page: usize,
    /// What the viewer may see: every count and list is computed inside it.
    scope: Scope,
}

fn browse(lib: &Library, raw: Option<&str>, scope: Scope) -> AppResult<Browse> {
    let mut params = SearchParams::parse(raw)?;
    let mut budget = None;
    for (k, v) in parse_pairs(raw.unwrap_or(""))? {
        if k == "budget" && !v.trim().is_empty() {
            budget = Some(Budget::parse(&v).ok_or_else(|| {
                let all: Vec<&str> = Budget::ALL.iter().map(|b| b.label()).collect();
                AppError::BadRequest(format!(
                    "参数 budget 的值「{v}」无效，应为以下之一：{} (invalid budget)",
                    all.join("、")
                ))
            })?);
        }
    }
    let page = match params.page.take() {
        None => 1,
        Some(p) => p
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "参数 page 的值「{p}」无效，应为从 1 开始的页码 (invalid page)"
                ))
            })?,
    };
    params.q.clear();
    let mut filters = params.request(&lib.config)?.filters;
    check_link_filters(lib, &mut filters)?;
    Ok(Browse {
        params,
        filters,
        budget,
        page,
        scope,
    })
}

/// What to do with a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Confirm,
    Reject,
    Undo,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        match s.trim() {
            "confirm" => Some(Action::Confirm),
            "reject" => Some(Action::Reject),
            "undo" => Some(Action::Undo),
            _ => None,
        }
    }
}

/// The body of `POST /api/documents/{id}/links`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// `subject:205`, `topic:rural-revitalization` (a bare code or a topic name works too).
    pub target: String,
    pub action: Action,
}

/// The links form: the pressed button's `op` (`reject:subject:205`).
#[derive(Debug, Clone, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub op: String,
}

/// Applies a decision in the name of the viewer's account.
fn apply_decision(lib: &Library, id: &DocId, input: &DecisionIn, viewer: &Viewer) -> AppResult<()> {
    let scope = viewer.scope();
    if lib.meta(id, &scope)?.is_none() {
        return Err(no_document(id));
    }
    let target = Target::parse(&input.target, lib.reference()).ok_or_else(|| {
        AppError::BadRequest(format!(
            "「{}」不是科目编码或专题 (unknown link target)",
            input.target
        ))
    })?;
    let by = viewer.actor();
    match input.action {
        Action::Confirm => {
            linking::decide(lib, id, target, Verdict::Confirmed, &by)?;
        }
        Action::Reject => {
            linking::decide(lib, id, target, Verdict::Rejected, &by)?;
        }
        Action::Undo => {
            linking::undecide(lib, id, &target)?;
        }
    }
    Ok(())
}

fn no_document(id: &DocId) -> AppError {
    AppError::NotFound(format!("没有 id 为 {id} 的文档 (no such document)"))
}

// ---------------------------------------------------------------------------------------------------------
// Data shared by the pages and the API

/// The subject tree's top: the budgets with counts and the classes (or one budget's topmost subjects).
#[derive(Debug, Clone, Serialize)]
pub struct SubjectsOut {
    pub budgets: Vec<BudgetCount>,
    pub budget: Option<Budget>,
    pub subjects: Vec<SubjectNode>,
}

fn subjects_data(lib: &Library, b: &Browse) -> AppResult<SubjectsOut> {
    Ok(SubjectsOut {
        budgets: linking::budget_counts(lib, &b.filters, &b.scope)?,
        budget: b.budget,
        subjects: match b.budget {
            Some(budget) => linking::budget_subjects(lib, budget, &b.filters, &b.scope)?,
            None => linking::subject_tree(lib, None, &b.filters, &b.scope)?,
        },
    })
}

/// A document under a subject, with what its tables say it spends on the subject (万元).
#[derive(Debug, Clone, Serialize)]
pub struct SubjectDoc {
    pub doc_id: DocId,
    pub title: String,
    pub kind: DocKind,
    pub year: Option<i32>,
    pub date: Option<Date>,
    /// 万元, from the document's facts (see `budget::query::headline`).
    pub amount: Option<f64>,
    /// Where the amount comes from: 单位 · 年度 · 表 · 栏目（万元）.
    pub amount_label: Option<String>,
}

/// One subject: where it sits, its children with counts and a page of its documents (newest first).
#[derive(Debug, Clone, Serialize)]
pub struct SubjectOut {
    pub subject: Subject,
    /// The subject and its ancestors, outermost first.
    pub path: Vec<Subject>,
    pub children: Vec<SubjectNode>,
    /// Documents linked to the subject or its descendants.
    pub total: usize,
    pub offset: usize,
    pub documents: Vec<SubjectDoc>,
    /// Every amount the tables of the reader's documents give for this code, and the totals per table and
    /// column (each document once).
    pub amounts: crate::budget::query::SubjectAmounts,
}

fn subject_data(lib: &Library, code: &str, b: &Browse) -> AppResult<SubjectOut> {
    check_code(code)?;
    let tree = linking::taxonomy(lib, &b.scope)?;
    let subject = tree
        .get(code)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("没有编码为 {code} 的科目 (no such subject)")))?;
    let offset = (b.page - 1).saturating_mul(SUBJECT_PAGE);
    if offset >= lib.config.max_window {
        return Err(AppError::BadRequest(format!(
            "页码过大：最多列出前 {} 篇文档 (page too far)",
            lib.config.max_window
        )));
    }
    let found = search::search(
        lib,
        &SearchRequest {
            filters: Filters {
                subjects: vec![code.to_string()],
                ..b.filters.clone()
            },
            unit: Unit::Document,
            sort: Sort::Date,
            offset,
            limit: SUBJECT_PAGE,
            scope: b.scope.clone(),
            ..SearchRequest::default()
        },
    )?;
    let amounts = crate::budget::query::subject_amounts(lib, code, None, &b.scope)?;
    let mut documents = Vec::new();
    for h in found.hits {
        let fact = crate::budget::query::headline(&amounts.facts, &h.doc_id);
        documents.push(SubjectDoc {
            doc_id: h.doc_id,
            title: h.title,
            kind: h.kind,
            year: h.year,
            date: h.date,
            amount: fact.as_ref().map(|f| f.amount),
            amount_label: fact.as_ref().map(crate::budget::query::label),
        });
    }
    Ok(SubjectOut {
        path: tree.path(code).into_iter().cloned().collect(),
        children: linking::subject_tree(lib, Some(code), &b.filters, &b.scope)?,
        subject,
        total: found.total,
        offset,
        documents,
        amounts,
    })
}

/// One link of a document as shown: its target, strength, the evidence in words and the decision on it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkOut {
    pub target: Target,
    /// `subject:205` or `topic:rural-revitalization`.
    pub key: String,
    /// 「205 教育支出」 or 「乡村振兴」.
    pub label: String,
    pub score: f64,
    /// Shown and indexed.
    pub kept: bool,
    /// A subject code not in the reference tree, seen in this document.
    pub observed: bool,
    pub decision: Option<Decision>,
    /// The evidence as sentences (「匹配「义务教育」 ×12，见第二章第五条」).
    pub why: Vec<String>,
    pub evidence: Vec<Evidence>,
}

/// A document's links: the kept ones and those a person decided on, or with `all` every candidate.
#[derive(Debug, Clone, Serialize)]
pub struct DocLinksOut {
    pub doc_id: DocId,
    pub title: String,
    pub subjects: Vec<LinkOut>,
    pub topics: Vec<LinkOut>,
}

/// Evidence sentences shown per link at most.
const MAX_WHY: usize = 4;

/// The links of a document inside `scope` with the evidence put into words.
pub fn links_data(
    lib: &Library,
    doc: &Document,
    all: bool,
    scope: &Scope,
) -> AppResult<DocLinksOut> {
    let links =
        linking::links_of(lib, &doc.id, true, scope)?.ok_or_else(|| no_document(&doc.id))?;
    let out = |target: Target,
               label: String,
               score: f64,
               kept: bool,
               observed: bool,
               evidence: &[Evidence]| {
        let decision = links.decision(&target).cloned();
        (all || kept || decision.is_some()).then(|| LinkOut {
            key: target.key(),
            target,
            label,
            score,
            kept,
            observed,
            decision,
            why: evidence
                .iter()
                .take(MAX_WHY)
                .map(|e| linking::explain::describe(doc, e))
                .collect(),
            evidence: evidence.to_vec(),
        })
    };
    let subjects = links
        .subjects
        .iter()
        .filter_map(|l| {
            out(
                Target::Subject(l.code.clone()),
                format!("{} {}", l.code, l.name),
                l.score,
                l.kept,
                l.observed,
                &l.evidence,
            )
        })
        .collect();
    let mut topics: Vec<LinkOut> = links
        .topics
        .iter()
        .filter_map(|l| {
            out(
                Target::Topic(l.id.clone()),
                l.name.clone(),
                l.score,
                l.kept,
                false,
                &l.evidence,
            )
        })
        .collect();
    // A rejected topic without evidence is no longer among the links; keep showing the decision.
    for d in &links.decisions {
        let shown = |list: &[LinkOut]| list.iter().any(|l| l.target == d.target);
        if let Target::Topic(id) = &d.target
            && !shown(&topics)
            && let Some(t) = lib.reference().topics.get(id)
        {
            topics.push(LinkOut {
                target: d.target.clone(),
                key: d.target.key(),
                label: t.name.clone(),
                score: 0.0,
                kept: d.verdict == Verdict::Confirmed,
                observed: false,
                decision: Some(d.clone()),
                why: Vec::new(),
                evidence: Vec::new(),
            });
        }
    }
    Ok(DocLinksOut {
        doc_id: doc.id.clone(),
        title: doc.title.clone(),
        subjects,
        topics,
    })
}

fn load_document(lib: &Library, id: &str, scope: &Scope) -> AppResult<Document> {
    let id = DocId(id.to_string());
    lib.document(&id, scope)?.ok_or_else(|| no_document(&id))
}

fn find_topic(lib: &Library, id: &str) -> AppResult<String> {
    lib.reference()
        .topics
        .find(id)
        .map(|t| t.id.clone())
        .ok_or_else(|| AppError::NotFound(format!("没有「{id}」这个专题 (no such topic)")))
}

// ---------------------------------------------------------------------------------------------------------
// JSON API

/// `GET /api/subjects?budget=&<search filters>`.
pub async fn api_subjects(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<SubjectsOut>> {
    let out = st
        .blocking(move |lib| subjects_data(lib, &browse(lib, raw.as_deref(), viewer.scope())?))
        .await?;
    Ok(Json(out))
}

/// `GET /api/subjects/{code}?page=&<search filters>`.
pub async fn api_subject(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<SubjectOut>> {
    let Path(code) = path?;
    let out = st
        .blocking(move |lib| {
            subject_data(lib, &code, &browse(lib, raw.as_deref(), viewer.scope())?)
        })
        .await?;
    Ok(Json(out))
}

/// `GET /api/topics?<search filters>`.
pub async fn api_topics(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<Vec<TopicCount>>> {
    let out = st
        .blocking(move |lib| {
            let b = browse(lib, raw.as_deref(), viewer.scope())?;
            Ok(linking::topic_counts(lib, &b.filters, &b.scope)?)
        })
        .await?;
    Ok(Json(out))
}

/// `GET /api/topics/{id}`: the dossier (the id or the name of the topic).
pub async fn api_topic(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> AppResult<Json<Dossier>> {
    let Path(id) = path?;
    let out = st
        .blocking(move |lib| {
            let id = find_topic(lib, &id)?;
            Ok(linking::topic_dossier(
                lib,
                &id,
                DOSSIER_LIMIT,
                &viewer.scope(),
            )?)
        })
        .await?;
    Ok(Json(out))
}

/// `GET /api/documents/{id}/links?all=true`.
pub async fn api_links(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<DocLinksOut>> {
    let Path(id) = path?;
    let mut all = false;
    for (k, v) in parse_pairs(raw.as_deref().unwrap_or(""))? {
        if k == "all" {
            all = match v.as_str() {
                "true" | "1" | "" => true,
                "false" | "0" => false,
                _ => {
                    return Err(AppError::BadRequest(format!(
                        "参数 all 的值「{v}」无效，应为 true 或 false (invalid all)"
                    )));
                }
            }
        }
    }
    let out = st
        .blocking(move |lib| {
            let scope = viewer.scope();
            links_data(lib, &load_document(lib, &id, &scope)?, all, &scope)
        })
        .await?;
    Ok(Json(out))
}

/// `POST /api/documents/{id}/links` with `{"target", "action"}`, decided in the name of the viewer's account:
/// the document's links afterwards.
pub async fn api_decide(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<DecisionIn>, JsonRejection>,
) -> AppResult<Json<DocLinksOut>> {
    let Path(id) = path?;
    let Json(input) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "请求体应为 JSON：{{\"target\": \"subject:205\", \"action\": \"confirm|reject|undo\"}}；{} (bad body)",
            e.body_text()
        ))
    })?;
    let out = st
        .blocking(move |lib| {
            let scope = viewer.scope();
            apply_decision(lib, &DocId(id.clone()), &input, &viewer)?;
            links_data(lib, &load_document(lib, &id, &scope)?, false, &scope)
        })
        .await?;
    Ok(Json(out))
}

// ---------------------------------------------------------------------------------------------------------
// Pages

/// A row of a count list: a subject, a budget or a topic.
#[derive(Debug, Clone)]
pub struct CountRow {
    pub code: String,
    pub label: String,
    pub note: String,
    pub url: String,
    pub count: u64,
    /// Width of the count bar, 0–100.
    pub bar: u64,
    pub active: bool,
}

fn bars(rows: &mut [CountRow]) {
    let max = rows.iter().map(|r| r.count).max().unwrap_or(0).max(1);
    for r in rows {
        r.bar = (r.count * 100).div_ceil(max);
    }
}

/// The query string of the browse filters (with a leading `?`), or nothing.
fn filter_query(params: &SearchParams, extra: &[(&str, &str)]) -> String {
    let mut q = params.to_query();
    for (k, v) in extra {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!("{k}={}", encode_component(v)));
    }
    if q.is_empty() { q } else { format!("?{q}") }
}

fn subject_url(code: &str, params: &SearchParams) -> String {
    format!("/subjects/{code}{}", filter_query(params, &[]))
}

fn node_rows(nodes: &[SubjectNode], params: &SearchParams, with_budget: bool) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = nodes
        .iter()
        .map(|n| CountRow {
            code: n.code.clone(),
            label: n.name.clone(),
            note: [
                with_budget.then(|| n.budget.label().to_string()),
                n.observed.then(|| "新见科目".to_string()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
            url: subject_url(&n.code, params),
            count: n.documents,
            bar: 0,
            active: false,
        })
        .collect();
    bars(&mut rows);
    rows
}

#[derive(Template, WebTemplate)]
#[template(path = "subjects.html")]
pub struct SubjectsPage {
    pub chrome: Chrome,
    pub budgets: Vec<CountRow>,
    pub all_url: String,
    pub all_active: bool,
    pub heading: String,
    pub rows: Vec<CountRow>,
    pub filters: Vec<String>,
}

fn filter_labels(params: &SearchParams) -> Vec<String> {
    let mut out: Vec<String> = ["kind", "level", "region", "status", "topic"]
        .iter()
        .flat_map(|k| params.list(k).iter().cloned())
        .collect();
    if let Some(y) = &params.year {
        out.push(format!("{y}年"));
    }
    out
}

/// `GET /subjects`: the classes (or one budget's subjects) with document counts.
pub async fn subjects_page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<SubjectsPage, PageError> {
    let (b, data) = st
        .blocking(move |lib| {
            let b = browse(lib, raw.as_deref(), viewer.scope())?;
            let data = subjects_data(lib, &b)?;
            Ok((b, data))
        })
        .await?;
    let mut budgets: Vec<CountRow> = data
        .budgets
        .iter()
        .map(|c| CountRow {
            code: String::new(),
            label: c.budget.label().to_string(),
            note: String::new(),
            url: format!(
                "/subjects{}",
                filter_query(&b.params, &[("budget", c.budget.label())])
            ),
            count: c.documents,
            bar: 0,
            active: b.budget == Some(c.budget),
        })
        .collect();
    bars(&mut budgets);
    Ok(SubjectsPage {
        chrome: chrome(&st, "预算科目", ""),
        all_url: format!("/subjects{}", filter_query(&b.params, &[])),
        all_active: b.budget.is_none(),
        heading: match b.budget {
            Some(budget) => format!("{}的科目", budget.label()),
            None => "支出功能分类科目（类）".into(),
        },
        rows: node_rows(&data.subjects, &b.params, b.budget.is_none()),
        budgets,
        filters: filter_labels(&b.params),
    })
}

/// A document in a list.
#[derive(Debug, Clone)]
pub struct DocRow {
    pub title: String,
    pub url: String,
    pub tags: Vec<String>,
    pub amount: Option<String>,
    /// Where the amount comes from (单位 · 年度 · 表 · 栏目（万元）).
    pub amount_label: String,
}

/// A name without spaces, for comparing names as tables print them.
fn squeezed(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

/// One amount a table gives for a subject, as the subject page lists it.
#[derive(Debug, Clone)]
pub struct FactRow {
    pub unit: String,
    pub year: String,
    pub table: String,
    pub column: String,
    pub amount: String,
    pub title: String,
    /// The cell on the document page (`/documents/{id}#t3-r7-c5`).
    pub url: String,
    /// The row's name as the table writes it.
    pub name: String,
    /// Whether that name differs from the subject's name in the tree.
    pub renamed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "subject.html")]
pub struct SubjectPage {
    pub chrome: Chrome,
    pub code: String,
    pub name: String,
    pub tags: Vec<String>,
    pub crumbs: Vec<(String, String)>,
    pub children: Vec<CountRow>,
    pub total: usize,
    pub first: usize,
    pub last: usize,
    pub documents: Vec<DocRow>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub search_url: String,
    pub filters: Vec<String>,
    /// The amounts of the subject's own rows in every table, and their totals per table and column.
    pub facts: Vec<FactRow>,
    /// (table, column, total, documents).
    pub totals: Vec<(String, String, String, usize)>,
}

/// `GET /subjects/{code}`: a subject's children with counts and its documents.
pub async fn subject_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<SubjectPage, PageError> {
    let Path(code) = path?;
    let (b, data) = st
        .blocking(move |lib| {
            let b = browse(lib, raw.as_deref(), viewer.scope())?;
            let data = subject_data(lib, &code, &b)?;
            Ok((b, data))
        })
        .await?;
    let s = &data.subject;
    let mut tags = Vec::new();
    if let Some(level) = Level::of(&s.code) {
        tags.push(level.label().to_string());
    }
    tags.push(s.budget.label().to_string());
    if s.observed {
        tags.push("新见科目（文档中出现，参考科目表中没有）".into());
    }
    let mut crumbs = vec![(
        "预算科目".to_string(),
        format!("/subjects{}", filter_query(&b.params, &[])),
    )];
    for p in &data.path {
        if p.code != s.code {
            crumbs.push((
                format!("{} {}", p.code, p.name),
                subject_url(&p.code, &b.params),
            ));
        }
    }
    let documents = data
        .documents
        .iter()
        .map(|d| {
            let mut tags = vec![d.kind.label().to_string()];
            if let Some(y) = d.year {
                tags.push(format!("{y}年"));
            } else if let Some(date) = d.date {
                tags.push(date.format("%Y-%m-%d").to_string());
            }
            DocRow {
                title: d.title.clone(),
                url: super::markup::document_url(d.doc_id.as_str(), ""),
                tags,
                amount: d.amount.map(linking::explain::format_amount),
                amount_label: d.amount_label.clone().unwrap_or_default(),
            }
        })
        .collect::<Vec<_>>();
    let mut titles = std::collections::BTreeMap::new();
    for d in &data.documents {
        titles.insert(d.doc_id.clone(), d.title.clone());
    }
    let facts = data
        .amounts
        .facts
        .iter()
        .map(|f| FactRow {
            unit: f.unit.clone().unwrap_or_else(|| "—".into()),
            year: f.year.map_or("—".into(), |y| y.to_string()),
            table: if f.table.is_empty() {
                f.table_kind.label().to_string()
            } else {
                f.table.clone()
            },
            column: f.column.clone(),
            renamed: !f.name.is_empty() && squeezed(&f.name) != squeezed(&s.name),
            name: f.name.clone(),
            amount: linking::explain::format_amount(f.amount),
            title: titles
                .get(&f.doc_id)
                .cloned()
                .unwrap_or_else(|| f.doc_id.to_string()),
            url: format!(
                "{}#t{}-r{}-c{}",
                super::markup::document_url(f.doc_id.as_str(), ""),
                f.table_index + 1,
                f.row + 1,
                f.col + 1
            ),
        })
        .collect();
    let totals = data
        .amounts
        .totals
        .iter()
        .map(|t| {
            (
                t.table.label().to_string(),
                t.column.clone(),
                linking::explain::format_amount(t.amount),
                t.documents,
            )
        })
        .collect();
    let page_url = |n: usize| {
        let page = n.to_string();
        let extra: Vec<(&str, &str)> = if n > 1 { vec![("page", &page)] } else { vec![] };
        format!("/subjects/{}{}", s.code, filter_query(&b.params, &extra))
    };
    let reachable = data.total.min(st.lib.config.max_window);
    let search = SearchParams {
        subject: vec![s.code.clone()],
        unit: Some("document".into()),
        ..b.params.clone()
    };
    Ok(SubjectPage {
        chrome: chrome(&st, format!("{} {}", s.code, s.name), ""),
        code: s.code.clone(),
        name: s.name.clone(),
        tags,
        crumbs,
        children: node_rows(&data.children, &b.params, false),
        total: data.total,
        first: if documents.is_empty() {
            0
        } else {
            data.offset + 1
        },
        last: data.offset + documents.len(),
        prev: (b.page > 1).then(|| page_url(b.page - 1)),
        next: (data.offset + SUBJECT_PAGE < reachable).then(|| page_url(b.page + 1)),
        documents,
        search_url: search.url(),
        filters: filter_labels(&b.params),
        facts,
        totals,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "topics.html")]
pub struct TopicsPage {
    pub chrome: Chrome,
    pub rows: Vec<CountRow>,
}

/// `GET /topics`: every topic with its number of documents.
pub async fn topics_page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<TopicsPage, PageError> {
    let (b, topics) = st
        .blocking(move |lib| {
            let b = browse(lib, raw.as_deref(), viewer.scope())?;
            let topics = linking::topic_counts(lib, &b.filters, &b.scope)?;
            Ok((b, topics))
        })
        .await?;
    let mut rows: Vec<CountRow> = topics
        .into_iter()
        .map(|t| CountRow {
            url: format!("/topics/{}{}", t.id, filter_query(&b.params, &[])),
            code: t.id,
            label: t.name,
            note: t.description,
            count: t.documents,
            bar: 0,
            active: false,
        })
        .collect();
    bars(&mut rows);
    Ok(TopicsPage {
        chrome: chrome(&st, "专题", ""),
        rows,
    })
}

/// A dossier section with its documents.
#[derive(Debug, Clone)]
pub struct SectionView {
    pub id: &'static str,
    pub label: &'static str,
    pub documents: Vec<DocRow>,
}

/// An entry of the dossier's timeline.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub when: String,
    pub title: String,
    pub url: String,
    pub section: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "topic.html")]
pub struct TopicPage {
    pub chrome: Chrome,
    pub name: String,
    pub description: String,
    pub total: usize,
    pub years: String,
    pub search_url: String,
    /// (name, URL of the article, snippet HTML).
    pub articles: Vec<(String, String, String)>,
    /// (code and name, URL, documents).
    pub subjects: Vec<(String, String, u64)>,
    /// (year, unit, subject, table · column, amount in 万元, document title, URL of the cell).
    pub amounts: Vec<(String, String, String, String, String, String, String)>,
    /// (subject, table, column, total in 万元, documents).
    pub totals: Vec<(String, String, String, String, usize)>,
    pub sections: Vec<SectionView>,
    pub timeline: Vec<TimelineRow>,
    /// The topic's subjects' amounts by unit and year, from every budget and final account.
    pub fiscal: Vec<FiscalView>,
    /// Whether 财政收支 shows charts (`?view=chart`) rather than tables.
    pub fiscal_chart: bool,
    pub fiscal_table_url: String,
    pub fiscal_chart_url: String,
    pub echarts_url: &'static str,
}

/// One subject of a dossier's 财政收支: units × years.
#[derive(Debug, Clone)]
pub struct FiscalView {
    /// The element id (`fiscal-205`).
    pub id: String,
    pub label: String,
    /// What the amounts are (stage, table, column).
    pub what: String,
    pub years: Vec<String>,
    /// (unit, amount per year, total).
    pub rows: Vec<(String, Vec<String>, String)>,
    pub totals: Vec<String>,
    pub total: String,
    /// Units beyond the listed ones (in the totals).
    pub more: usize,
    pub compare_url: String,
    /// Years along the axis, the total and the largest units as lines.
    pub chart_json: String,
}

/// Units listed per subject in a dossier (the comparison page lists all).
const FISCAL_UNITS: usize = 10;
/// Units drawn as lines beside the total.
const FISCAL_LINES: usize = 5;

fn fiscal_view(f: &linking::DossierFiscal) -> Result<FiscalView, PageError> {
    use super::params::wan;
    let p = &f.pivot;
    let show = |v: Option<f64>| v.map(wan).unwrap_or_else(|| "—".into());
    let rows = p
        .rows
        .iter()
        .zip(&p.cells)
        .zip(&p.row_totals)
        .take(FISCAL_UNITS)
        .map(|((h, cells), t)| {
            (
                h.label.clone(),
                cells.iter().map(|c| show(c.amount)).collect(),
                show(t.amount),
            )
        })
        .collect();
    let mut series = vec![serde_json::json!({
        "name": "合计",
        "data": p.col_totals.iter().map(|c| c.amount).collect::<Vec<_>>(),
    })];
    for (h, cells) in p.rows.iter().zip(&p.cells).take(FISCAL_LINES) {
        series.push(serde_json::json!({
            "name": h.label,
            "data": cells.iter().map(|c| c.amount).collect::<Vec<_>>(),
        }));
    }
    let chart = serde_json::json!({
        "title": format!("{} {}", f.code, f.name),
        "labels": p.cols.iter().map(|h| h.label.clone()).collect::<Vec<_>>(),
        "series": series,
    });
    let chart_json = super::params::script_json(&chart)?;
    Ok(FiscalView {
        id: format!("fiscal-{}", f.code),
        label: format!("{} {}", f.code, f.name),
        what: format!(
            "{}{} · {}",
            p.stage.map(|s| s.label()).unwrap_or_default(),
            p.table.label(),
            p.column
        ),
        years: p.cols.iter().map(|h| h.label.clone()).collect(),
        rows,
        totals: p.col_totals.iter().map(|c| show(c.amount)).collect(),
        total: show(p.total.amount),
        more: (p.rows.len() + p.omitted_rows).saturating_sub(FISCAL_UNITS),
        compare_url: format!("/money/compare?rows=unit&code={}", f.code),
        chart_json,
    })
}

fn section_id(s: Section) -> &'static str {
    match s {
        Section::Policy => "policy",
        Section::Fiscal => "fiscal",
        Section::Supervision => "supervision",
        Section::Outcome => "outcome",
    }
}

/// `GET /topics/{id}`: the topic's dossier.
pub async fn topic_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<TopicPage, PageError> {
    let Path(id) = path?;
    // `view=chart` shows 财政收支 as charts; other parameters are not the page's.
    let mut fiscal_chart = false;
    for (k, v) in super::params::parse_pairs(raw.as_deref().unwrap_or_default())? {
        match (k.as_str(), v.trim()) {
            ("view", "chart") => fiscal_chart = true,
            ("view", "" | "table") => fiscal_chart = false,
            ("view", other) => {
                return Err(AppError::BadRequest(format!(
                    "参数 view 的值「{other}」无效，应为table 或 chart (invalid view)"
                ))
                .into());
            }
            (other, _) => {
                return Err(
                    AppError::BadRequest(format!("未知参数 {other} (unknown parameter)")).into(),
                );
            }
        }
    }
    let d = st
        .blocking(move |lib| {
            let id = find_topic(lib, &id)?;
            Ok(linking::topic_dossier(
                lib,
                &id,
                DOSSIER_LIMIT,
                &viewer.scope(),
            )?)
        })
        .await?;
    let doc_url = |id: &DocId| super::markup::document_url(id.as_str(), "");
    let sections = Section::ALL
        .iter()
        .map(|s| SectionView {
            id: section_id(*s),
            label: s.label(),
            documents: d
                .sections
                .iter()
                .find(|(x, _)| x == s)
                .map(|(_, list)| {
                    list.iter()
                        .map(|e| DocRow {
                            title: e.title.clone(),
                            url: doc_url(&e.doc_id),
                            tags: [
                                Some(e.kind.label().to_string()),
                                e.year.map(|y| format!("{y}年")),
                            ]
                            .into_iter()
                            .flatten()
                            .collect(),
                            amount: None,
                            amount_label: String::new(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let timeline = d
        .timeline()
        .into_iter()
        .map(|e| TimelineRow {
            when: e
                .date
                .map(|x| x.format("%Y-%m-%d").to_string())
                .or(e.year.map(|y| format!("{y}年")))
                .unwrap_or_else(|| "日期不详".into()),
            title: e.title.clone(),
            url: doc_url(&e.doc_id),
            section: e.section.label(),
        })
        .collect();
    let years = match (d.years.last(), d.years.first()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b} 年"),
        (Some(a), _) => format!("{a} 年"),
        _ => String::new(),
    };
    Ok(TopicPage {
        chrome: chrome(&st, d.name.clone(), ""),
        search_url: SearchParams {
            topic: vec![d.name.clone()],
            ..SearchParams::default()
        }
        .url(),
        articles: d
            .articles
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    super::markup::article_url(&crate::model::ArticleId(a.id.clone()), ""),
                    a.snippet.clone(),
                )
            })
            .collect(),
        subjects: d
            .subjects
            .iter()
            .map(|s| {
                (
                    format!("{} {}", s.code, s.name),
                    format!("/subjects/{}", s.code),
                    s.documents,
                )
            })
            .collect(),
        amounts: d
            .amounts
            .iter()
            .map(|a| {
                (
                    a.year.map(|y| y.to_string()).unwrap_or_else(|| "—".into()),
                    a.unit.clone().unwrap_or_else(|| "—".into()),
                    format!("{} {}", a.code, a.name),
                    format!("{} · {}", a.table, a.column),
                    linking::explain::format_amount(a.amount),
                    a.title.clone(),
                    format!("{}#{}", doc_url(&a.doc_id), a.cell),
                )
            })
            .collect(),
        totals: d
            .totals
            .iter()
            .map(|(code, t)| {
                (
                    code.clone(),
                    t.table.label().to_string(),
                    t.column.clone(),
                    linking::explain::format_amount(t.amount),
                    t.documents,
                )
            })
            .collect(),
        fiscal: d.fiscal.iter().map(fiscal_view).collect::<Result<_, _>>()?,
        fiscal_chart,
        fiscal_table_url: format!("/topics/{}#fiscal", encode_component(&d.id)),
        fiscal_chart_url: format!("/topics/{}?view=chart#fiscal", encode_component(&d.id)),
        echarts_url: super::assets::ECHARTS_URL,
        name: d.name,
        description: d.description,
        total: d.total,
        years,
        sections,
        timeline,
    })
}

// ---------------------------------------------------------------------------------------------------------
// The links section of a document page

/// One link as the document page shows it.
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub key: String,
    pub label: String,
    pub url: String,
    pub score: String,
    pub why: String,
    pub kept: bool,
    pub observed: bool,
    /// 「已确认」/「已否决」 with who and when.
    pub decision: Option<String>,
    pub rejected: bool,
}

/// The links section of a document page.
#[derive(Debug, Clone, Default)]
pub struct LinksView {
    pub post_url: String,
    pub subjects: Vec<LinkRow>,
    pub topics: Vec<LinkRow>,
    /// Weaker candidates a person may confirm.
    pub candidates: Vec<LinkRow>,
    /// Whether the reader may confirm and reject links (staff): the buttons and the candidates are shown
    /// only then.
    pub can_decide: bool,
}

/// Candidates offered for confirmation at most.
const MAX_CANDIDATES: usize = 12;

fn link_row(l: &LinkOut) -> LinkRow {
    let url = match &l.target {
        Target::Subject(code) => format!("/subjects/{code}"),
        Target::Topic(id) => format!("/topics/{id}"),
    };
    LinkRow {
        key: l.key.clone(),
        label: l.label.clone(),
        url,
        score: format!("{:.0}%", (l.score * 100.0).clamp(0.0, 100.0)),
        why: l.why.join("；"),
        kept: l.kept,
        observed: l.observed,
        decision: l.decision.as_ref().map(|d| {
            let verdict = match d.verdict {
                Verdict::Confirmed => "已确认",
                Verdict::Rejected => "已否决",
            };
            let when = chrono::DateTime::parse_from_rfc3339(&d.at)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            format!("{verdict} · {} · {when}", d.by)
        }),
        rejected: l
            .decision
            .as_ref()
            .is_some_and(|d| d.verdict == Verdict::Rejected),
    }
}

/// The links section for a document page.
pub fn links_view(lib: &Library, doc: &Document, scope: &Scope) -> AppResult<LinksView> {
    let all = links_data(lib, doc, true, scope)?;
    let shown = |l: &&LinkOut| l.kept || l.decision.is_some();
    let candidates = all
        .subjects
        .iter()
        .chain(&all.topics)
        .filter(|l| !shown(l))
        .take(MAX_CANDIDATES)
        .map(link_row)
        .collect();
    Ok(LinksView {
        post_url: format!("/documents/{}/links", encode_component(doc.id.as_str())),
        subjects: all.subjects.iter().filter(shown).map(link_row).collect(),
        topics: all.topics.iter().filter(shown).map(link_row).collect(),
        candidates,
        can_decide: false,
    })
}

/// `POST /documents/{id}/links`: the links form; redirects back to the document's links section.
pub async fn decide_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Path(id) = path?;
    let Form(form) = form?;
    let (action, target) = form
        .op
        .split_once(':')
        .and_then(|(a, t)| Action::parse(a).map(|a| (a, t.to_string())))
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "表单中的操作「{}」无效，应为 confirm、reject 或 undo 加上科目或专题 (bad op)",
                form.op
            ))
        })?;
    let input = DecisionIn { target, action };
    let doc = id.clone();
    st.blocking(move |lib| apply_decision(lib, &DocId(doc), &input, &viewer))
        .await?;
    Ok(Redirect::to(&format!("/documents/{}#links", encode_component(&id))).into_response())
}

/// The names of the subjects a search shows (facet values and active filters), by code.
pub fn subject_names(
    lib: &Library,
    resp: &search::SearchResponse,
    filters: &Filters,
    scope: &Scope,
) -> AppResult<std::collections::BTreeMap<String, String>> {
    let tree = linking::taxonomy(lib, scope)?;
    let codes = resp
        .facets
        .iter()
        .filter(|f| f.field == crate::model::FacetField::Subject)
        .flat_map(|f| f.values.iter().map(|v| v.value.as_str()))
        .chain(filters.subjects.iter().map(String::as_str));
    Ok(codes
        .filter_map(|c| tree.name(c).map(|n| (c.to_string(), n.to_string())))
        .collect())
}
