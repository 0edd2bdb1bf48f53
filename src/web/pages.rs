//! The HTML pages: search, document, article, ingest and task, rendered from `templates/` (one base layout).
//! Handlers gather view models here; templates only loop and print.

use super::AppState;
use super::api::{self, indexing_message};
use super::error::{AppError, AppResult};
use super::markup::{self, Block};
use super::params::{FILTER_KEYS, SearchParams, encode_component};
use super::tasks::{FileStatus, Task, TaskKind, TaskStatus};
use crate::auth::{Role, Viewer};
use crate::model::{Access, ArticleId, DocId, DocKind, Document, FacetField, Validity};
use crate::search::{self, SearchRequest, SearchResponse};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::PathRejection;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::time::{Duration, Instant};

/// What the base layout needs: the page title, the header's query and the indexing banner.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub title: String,
    pub q: String,
    pub banner: Option<String>,
}

/// The layout's chrome for a page: its title, the header's query and the indexing banner.
pub fn chrome(st: &AppState, title: impl Into<String>, q: &str) -> Chrome {
    let busy = st.tasks.busy();
    let indexing = st.indexing();
    Chrome {
        title: title.into(),
        q: q.to_string(),
        banner: (busy || indexing.is_some()).then(|| indexing_message(indexing, busy)),
    }
}

/// An error shown as a page (the API's errors are JSON).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.0)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
}

/// The error page for `err`, with its status.
pub fn error_page(err: AppError) -> Response {
    let status = err.status();
    let heading = match status {
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::BAD_REQUEST => "请求有误",
        StatusCode::PAYLOAD_TOO_LARGE => "文件过大",
        StatusCode::METHOD_NOT_ALLOWED => "不支持的请求",
        StatusCode::UNAUTHORIZED => "需要登录",
        StatusCode::FORBIDDEN => "没有权限",
        StatusCode::TOO_MANY_REQUESTS => "请求过多",
        StatusCode::SERVICE_UNAVAILABLE => "暂时无法服务",
        StatusCode::FORBIDDEN => "没有权限",
        StatusCode::TOO_MANY_REQUESTS => "请稍后再试",
        _ => "出错了",
    };
    let page = ErrorPage {
        chrome: Chrome {
            title: heading.into(),
            ..Chrome::default()
        },
        status: status.as_u16(),
        heading,
        message: err.message(),
    };
    (status, page).into_response()
}

type PageResult<T> = Result<T, PageError>;

// ---------------------------------------------------------------------------------------------------------
// Search

/// A link that narrows, widens or reorders the search.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub label: String,
    pub url: String,
    pub active: bool,
    pub count: u64,
}

/// One facet dimension with its values.
#[derive(Debug, Clone)]
pub struct FacetView {
    pub label: &'static str,
    pub values: Vec<LinkView>,
    /// Values beyond the first few, shown folded.
    pub more: Vec<LinkView>,
}

/// One result.
#[derive(Debug, Clone)]
pub struct HitView {
    pub name: String,
    pub url: String,
    pub article_url: Option<String>,
    pub tags: Vec<String>,
    pub validity: &'static str,
    pub validity_class: &'static str,
    pub snippet: String,
    pub cited: bool,
    /// Marked 内部 (restricted).
    pub restricted: bool,
    /// 预警 findings of the document that need attention (errors and warnings not dismissed).
    pub alerts: usize,
    /// The document's findings section.
    pub alerts_url: String,
    /// A demonstration document (示例).
    pub sample: bool,
    /// Staff, for an article hit of a question: the article's id for the 这条回答了该问题 form.
    pub answer_id: Option<String>,
    /// Already marked as answering this question.
    pub answered: bool,
}

/// A question answered before, beside the results of a similar one.
#[derive(Debug, Clone)]
pub struct AnsweredView {
    pub query: String,
    pub url: String,
    pub articles: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub chrome: Chrome,
    pub total: usize,
    /// The total as printed (1,234).
    pub total_shown: String,
    /// A question: its results are ranked by relevance and many match only some words, so no total is shown.
    pub question: bool,
    pub first: usize,
    pub last: usize,
    pub ms: String,
    pub mode: &'static str,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetView>,
    pub active: Vec<LinkView>,
    pub clear_url: Option<String>,
    pub units: Vec<LinkView>,
    pub sorts: Vec<LinkView>,
    pub pages: Vec<LinkView>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Hidden inputs that keep filters when the query is edited.
    pub hidden: Vec<(String, String)>,
    /// The question the 这条回答了该问题 forms mark (staff, with a query).
    pub answer_q: Option<String>,
    /// The page to come back to after marking.
    pub back: String,
    /// 已解答的类似问题.
    pub answered_before: Vec<AnsweredView>,
    /// For a logged-in account with a query or filters: the page that adds this search to a working
    /// collection (the search itself is `back`, which 保存检索 saves).
    pub collect_url: Option<String>,
}

fn facet_key(f: FacetField) -> &'static str {
    match f {
        FacetField::Kind => "kind",
        FacetField::Level => "level",
        FacetField::Region => "region",
        FacetField::Year => "year",
        FacetField::Validity => "status",
        FacetField::Subject => "subject",
        FacetField::Topic => "topic",
    }
}

fn key_label(key: &str) -> &'static str {
    match key {
        "kind" => "类别",
        "level" => "效力级别",
        "region" => "地区",
        "year" => "年份",
        "status" => "时效性",
        "subject" => "科目",
        "topic" => "专题",
        _ => "",
    }
}

/// A facet value as shown: subjects with their names (「205 教育支出」).
fn facet_label(
    key: &str,
    value: &str,
    subject_names: &std::collections::BTreeMap<String, String>,
) -> String {
    match subject_names.get(value) {
        Some(name) if key == "subject" => format!("{value} {name}"),
        _ => value.to_string(),
    }
}

/// The validity badge (label, CSS class) of a document of a kind: norms only (laws, regulations, rules, judicial
/// interpretations); a work report, a budget or a proposal is neither in force nor repealed, and shows none.
fn badge(kind: DocKind, v: Validity) -> (&'static str, &'static str) {
    if kind.is_regulation() {
        (v.label(), validity_class(v))
    } else {
        ("", "")
    }
}

fn validity_class(v: Validity) -> &'static str {
    match v {
        Validity::Valid => "valid",
        Validity::Amended => "amended",
        Validity::Repealed => "repealed",
    }
}

/// `GET /` and `GET /search`.
pub async fn search_page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> PageResult<SearchPage> {
    let start = Instant::now();
    let params = SearchParams::parse(raw.as_deref())?;
    let mut req = params.request(&st.lib.config)?;
    req.scope = viewer.scope();
    super::links::check_link_filters(&st.lib, &mut req.filters)?;
    let run = req.clone();
    let staff = viewer.can(Role::Staff);
    let member = viewer.user.is_some() && viewer.can(Role::Deputy);
    let (resp, names) = st
        .blocking(move |lib| {
            let resp = search::search(lib, &run)?;
            let names = super::links::subject_names(lib, &resp, &run.filters, &run.scope)?;
            let mut alerts = std::collections::BTreeMap::new();
            for h in &resp.hits {
                if !alerts.contains_key(&h.doc_id) {
                    let n = crate::budget::alerts::open_count(lib, &h.doc_id, &run.scope)?;
                    alerts.insert(h.doc_id.clone(), n);
                }
            }
            let samples = if resp.hits.is_empty() {
                crate::samples::SampleSet::default()
            } else {
                crate::samples::find(lib)?
            };
            let answered = if run.q.trim().is_empty() {
                Vec::new()
            } else {
                crate::collab::answers::similar(lib, &run.q, &run.scope, 3)?
            };
            let key = crate::collab::answers::question_key(&run.q);
            let marked = if staff && !key.is_empty() {
                crate::collab::answers::all(lib)?
                    .into_iter()
                    .filter(|a| crate::collab::answers::question_key(&a.query) == key)
                    .map(|a| a.article.0)
                    .collect()
            } else {
                Default::default()
            };
            Ok((
                resp,
                Labels {
                    names,
                    alerts,
                    samples,
                    answered,
                    marked,
                    staff,
                    member,
                },
            ))
        })
        .await?;
    let chrome = chrome(
        &st,
        if params.q.is_empty() {
            "检索".into()
        } else {
            params.q.clone()
        },
        &params.q,
    );
    Ok(search_view(
        chrome,
        &params,
        &req,
        resp,
        &names,
        st.lib.config.max_window,
        start.elapsed(),
    ))
}

/// What the result list shows beside the hits: subject names for facets and filters, open findings by document.
struct Labels {
    names: std::collections::BTreeMap<String, String>,
    alerts: std::collections::BTreeMap<crate::model::DocId, usize>,
    /// The demonstration documents (示例) among everything.
    samples: crate::samples::SampleSet,
    /// Questions answered before that are like this one.
    answered: Vec<crate::collab::answers::Answered>,
    /// For staff: the articles marked as answering this very question.
    marked: std::collections::HashSet<String>,
    staff: bool,
    /// A logged-in account, which may save the search or collect it into a working collection.
    member: bool,
}

fn search_view(
    chrome: Chrome,
    params: &SearchParams,
    req: &SearchRequest,
    resp: SearchResponse,
    labels: &Labels,
    max_window: usize,
    took: Duration,
) -> SearchPage {
    let q = params.q.as_str();
    let hits = resp
        .hits
        .iter()
        .map(|h| {
            let doc_url = markup::document_url(h.doc_id.as_str(), q);
            let (url, article_url) = match &h.article {
                Some(label) => (
                    format!("{doc_url}#{label}"),
                    Some(markup::article_url(&ArticleId(h.id.clone()), q)),
                ),
                None => (doc_url, None),
            };
            let mut tags = vec![h.kind.label().to_string()];
            if let Some(l) = h.level
                && l.label() != h.kind.label()
            {
                tags.push(l.label().to_string());
            }
            if let Some(r) = &h.region {
                tags.push(r.clone());
            }
            if let Some(d) = h.date {
                tags.push(d.format("%Y-%m-%d").to_string());
            } else if let Some(y) = h.year {
                tags.push(format!("{y}年"));
            }
            if let Some(n) = &h.doc_number {
                tags.push(n.clone());
            }
            HitView {
                name: h.name.clone(),
                url,
                article_url,
                tags,
                validity: badge(h.kind, h.validity).0,
                validity_class: badge(h.kind, h.validity).1,
                snippet: h.snippet.to_html(),
                cited: h.cited,
                restricted: h.access == Access::Restricted,
                alerts: labels.alerts.get(&h.doc_id).copied().unwrap_or(0),
                sample: labels.samples.has(&h.doc_id),
                alerts_url: format!("{}#findings", markup::document_url(h.doc_id.as_str(), "")),
                answer_id: (labels.staff && h.article.is_some() && !q.trim().is_empty())
                    .then(|| h.id.clone()),
                answered: labels.marked.contains(&h.id),
            }
        })
        .collect();
    let mut facets = Vec::new();
    for f in &resp.facets {
        let key = facet_key(f.field);
        let mut values: Vec<_> = f.values.iter().filter(|v| v.count > 0).collect();
        if values.is_empty() {
            continue;
        }
        if f.field == FacetField::Year {
            values.sort_by(|a, b| b.value.cmp(&a.value));
        }
        let links: Vec<LinkView> = values
            .iter()
            .map(|v| {
                let active = if key == "year" {
                    params.year.as_deref() == Some(v.value.as_str())
                } else {
                    params.list(key).contains(&v.value)
                };
                let target = if active {
                    params.without_filter(key, &v.value)
                } else {
                    params.with_filter(key, &v.value)
                };
                LinkView {
                    label: facet_label(key, &v.value, &labels.names),
                    url: target.url(),
                    active,
                    count: v.count,
                }
            })
            .collect();
        let shown = if f.field == FacetField::Year { 8 } else { 10 };
        let (values, more) = if links.len() > shown + 2 {
            let mut v = links;
            let more = v.split_off(shown);
            (v, more)
        } else {
            (links, Vec::new())
        };
        facets.push(FacetView {
            label: key_label(key),
            values,
            more,
        });
    }
    let mut active = Vec::new();
    for key in FILTER_KEYS {
        for v in params.list(key) {
            active.push(LinkView {
                label: format!("{}：{}", key_label(key), facet_label(key, v, &labels.names)),
                url: params.without_filter(key, v).url(),
                active: true,
                count: 0,
            });
        }
    }
    if let Some(y) = &params.year {
        active.push(LinkView {
            label: format!("年份：{y}"),
            url: params.without_filter("year", y).url(),
            active: true,
            count: 0,
        });
    }
    let clear_url = params.has_filters().then(|| {
        SearchParams {
            q: params.q.clone(),
            unit: params.unit.clone(),
            sort: params.sort.clone(),
            limit: params.limit.clone(),
            ..SearchParams::default()
        }
        .url()
    });
    let option = |key: &str, value: &str, label: &str, current: bool| LinkView {
        label: label.into(),
        url: params.with_option(key, value).url(),
        active: current,
        count: 0,
    };
    let units = vec![
        option("unit", "best", "自动", req.unit == crate::model::Unit::Best),
        option(
            "unit",
            "article",
            "按条文",
            req.unit == crate::model::Unit::Article,
        ),
        option(
            "unit",
            "document",
            "按文档",
            req.unit == crate::model::Unit::Document,
        ),
    ];
    let sorts = vec![
        option(
            "sort",
            "relevance",
            "相关度",
            req.sort == crate::model::Sort::Relevance,
        ),
        option("sort", "date", "日期", req.sort == crate::model::Sort::Date),
    ];
    // Paging by pages of `limit`; an offset that is not on a page boundary still gets prev/next.
    let limit = req.limit.max(1);
    let reachable = resp.total.min(max_window);
    let page_count = reachable.div_ceil(limit).max(1);
    let current = req.offset / limit + 1;
    let page_link = |n: usize| LinkView {
        label: n.to_string(),
        url: params.at_page(n).url(),
        active: n == current,
        count: 0,
    };
    let mut pages = Vec::new();
    if req.limit > 0 && page_count > 1 {
        let lo = current.saturating_sub(3).max(1);
        let hi = (current + 3).min(page_count);
        if lo > 1 {
            pages.push(page_link(1));
        }
        for n in lo..=hi {
            pages.push(page_link(n));
        }
        if hi < page_count {
            pages.push(page_link(page_count));
        }
    }
    let prev = (req.limit > 0 && current > 1).then(|| params.at_page(current - 1).url());
    let next = (req.limit > 0 && current < page_count && req.offset + req.limit < reachable)
        .then(|| params.at_page(current + 1).url());
    let mut hidden = Vec::new();
    for key in FILTER_KEYS {
        for v in params.list(key) {
            hidden.push((key.to_string(), v.clone()));
        }
    }
    for (k, v) in [
        ("year", &params.year),
        ("unit", &params.unit),
        ("sort", &params.sort),
        ("limit", &params.limit),
    ] {
        if let Some(v) = v {
            hidden.push((k.to_string(), v.clone()));
        }
    }
    let shown = resp.hits.len();
    SearchPage {
        chrome,
        total: resp.total,
        total_shown: super::params::grouped(&resp.total.to_string()),
        question: resp.mode == "question",
        first: if shown == 0 { 0 } else { req.offset + 1 },
        last: req.offset + shown,
        ms: format!("{:.0}", took.as_secs_f64() * 1000.0),
        mode: match resp.mode {
            "question" => "按问题理解：结果按内容词的相关度排列，不要求包含全部词语。",
            _ => "",
        },
        hits,
        facets,
        active,
        clear_url,
        units,
        sorts,
        pages,
        prev,
        next,
        hidden,
        answer_q: (labels.staff && !q.trim().is_empty()).then(|| q.to_string()),
        back: format!("/search?{}", params.to_query()),
        collect_url: (labels.member && (!q.trim().is_empty() || params.has_filters())).then(|| {
            format!(
                "/workpapers/collect?view={}&title={}",
                encode_component(&format!("/search?{}", params.first_page().to_query())),
                encode_component(if q.trim().is_empty() {
                    "检索"
                } else {
                    q.trim()
                })
            )
        }),
        answered_before: labels
            .answered
            .iter()
            .map(|a| AnsweredView {
                query: a.query.clone(),
                url: format!("/search?q={}", super::params::encode_component(&a.query)),
                articles: a
                    .articles
                    .iter()
                    .map(|(id, name)| (name.clone(), markup::article_url(id, "")))
                    .collect(),
            })
            .collect(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    pub q: String,
    pub article: String,
    /// `0` takes the mark back.
    pub on: String,
    pub back: String,
}

/// `POST /search/answers` (staff): marks an article as answering the question, or with `on=0` takes the
/// mark back, and returns to the results.
pub async fn answer_form(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<axum::Form<AnswerForm>, axum::extract::rejection::FormRejection>,
) -> PageResult<Response> {
    let axum::Form(form) = form?;
    let on = form.on.trim() != "0";
    let (q, article) = (form.q.clone(), ArticleId(form.article.trim().to_string()));
    st.blocking(move |lib| {
        Ok(crate::collab::answers::mark(
            lib, &viewer, &q, &article, on,
        )?)
    })
    .await?;
    let back = super::auth::safe_next(if form.back.is_empty() {
        "/search"
    } else {
        &form.back
    });
    Ok(Redirect::to(&back).into_response())
}

// ---------------------------------------------------------------------------------------------------------
// Document

/// One version of the law in the timeline.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub date: String,
    pub url: String,
    pub current: bool,
    pub validity: &'static str,
    pub validity_class: &'static str,
}

/// An entry of the table of contents.
#[derive(Debug, Clone)]
pub struct TocEntry {
    pub depth: u8,
    pub anchor: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "document.html")]
pub struct DocumentPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub validity: &'static str,
    pub validity_class: &'static str,
    pub meta: Vec<(&'static str, String)>,
    pub history: Vec<String>,
    pub versions: Vec<VersionView>,
    pub toc: Vec<TocEntry>,
    pub preamble: String,
    pub blocks: Vec<Block>,
    /// The body as paragraphs, for documents without articles.
    pub body: String,
    /// Said when the text was cut at the extraction limit: how much is shown of how much.
    pub cut_note: Option<String>,
    pub download_url: String,
    pub q: String,
    pub back_url: Option<String>,
    /// The subjects and topics the document is linked to, with the staff's form.
    pub links: super::links::LinksView,
    /// Comments on the document.
    pub comments: super::collab::CommentsView,
    /// Marked 内部 (restricted).
    pub restricted: bool,
    /// A demonstration document (示例).
    pub sample: bool,
    /// Where staff post the access form; `None` for viewers who may not change it.
    pub access_url: Option<String>,
    /// Staff: the form that removes the document (not a proposal's, which belongs to its record).
    pub remove_url: Option<String>,
    /// Staff: the form that replaces the document by a new file (as for removal).
    pub replace_url: Option<String>,
    /// The document's tables.
    pub tables: Vec<TableHtml>,
    /// The 预警 findings of its facts and text.
    pub findings: Vec<crate::budget::checks::Finding>,
    /// Where staff post decisions on findings; `None` for other viewers.
    pub findings_url: Option<String>,
    /// `/documents/{id}`: the base of the discussion pages of its numbers and findings.
    pub base_url: String,
}

/// One cell of a table as shown: its text, spans and anchor (`t2-r5-c3`).
#[derive(Debug, Clone)]
pub struct CellHtml {
    pub text: String,
    pub rowspan: usize,
    pub colspan: usize,
    pub id: String,
    pub numeric: bool,
    /// 第N页, where the cell's page is known.
    pub page: String,
}

/// A table of a document as shown: header and body rows, unit, pages and downloads.
#[derive(Debug, Clone)]
pub struct TableHtml {
    pub anchor: String,
    pub title: String,
    pub kind: &'static str,
    pub unit: String,
    pub pages: String,
    pub head: Vec<Vec<CellHtml>>,
    pub body: Vec<Vec<CellHtml>>,
    pub csv_url: String,
    pub xlsx_url: String,
}

/// The tables of a document as HTML views (merged cells as spans, covered cells left out).
fn tables_html(views: Vec<crate::budget::query::TableView>, id: &str) -> Vec<TableHtml> {
    use crate::budget::recognise::{TableKind, parse_amount, spans};
    views
        .into_iter()
        .map(|v| {
            let n = v.index + 1;
            let spans = spans(&v.table.rows);
            let mut head = Vec::new();
            let mut body = Vec::new();
            for (r, row) in v.table.rows.iter().enumerate() {
                let cells: Vec<CellHtml> = row
                    .iter()
                    .enumerate()
                    .filter_map(|(c, cell)| {
                        let (rowspan, colspan) = spans.get(r)?.get(c).copied().flatten()?;
                        Some(CellHtml {
                            text: cell.text.clone(),
                            rowspan,
                            colspan,
                            id: format!("t{n}-r{}-c{}", r + 1, c + 1),
                            numeric: parse_amount(&cell.text).is_some(),
                            page: cell.page.map(|p| format!("第{p}页")).unwrap_or_default(),
                        })
                    })
                    .collect();
                if r < v.header_rows {
                    head.push(cells);
                } else {
                    body.push(cells);
                }
            }
            let base = format!(
                "/documents/{}/tables/{n}",
                super::params::encode_component(id)
            );
            TableHtml {
                anchor: format!("t{n}"),
                title: if v.title.is_empty() {
                    format!("表{n}")
                } else {
                    v.title
                },
                kind: if v.kind == TableKind::Generic {
                    ""
                } else {
                    v.kind.label()
                },
                unit: v.unit.unwrap_or_default(),
                pages: match v.pages {
                    Some((a, b)) if a == b => format!("第{a}页"),
                    Some((a, b)) => format!("第{a}–{b}页"),
                    None => String::new(),
                },
                head,
                body,
                csv_url: format!("{base}.csv"),
                xlsx_url: format!("{base}.xlsx"),
            }
        })
        .collect()
}

fn query_only(raw: Option<&str>) -> PageResult<String> {
    Ok(SearchParams::parse(raw)?.q)
}

fn highlight_terms(lib: &crate::library::Library, q: &str) -> Vec<String> {
    if q.trim().is_empty() {
        return Vec::new();
    }
    search::highlight_terms(lib, q).unwrap_or_default()
}

fn doc_meta(doc: &Document) -> Vec<(&'static str, String)> {
    let date = |d: Option<crate::model::Date>| d.map(|d| d.format("%Y年%-m月%-d日").to_string());
    let mut meta = vec![("类别", Some(doc.kind.label().to_string()))];
    meta.push(("效力级别", doc.level.map(|l| l.label().to_string())));
    meta.push(("制定机关", doc.issuer.clone()));
    meta.push(("文号", doc.doc_number.clone()));
    meta.push(("公布日期", date(doc.published)));
    meta.push(("施行日期", date(doc.effective)));
    meta.push(("版本日期", date(doc.version_date)));
    meta.push(("地区", doc.region.clone()));
    meta.push(("年度", doc.year.map(|y| y.to_string())));
    meta.push(("时效性", Some(doc.validity.label().to_string())));
    if !doc.articles.is_empty() {
        meta.push(("条文", Some(format!("{} 条", doc.articles.len()))));
    }
    meta.push((
        "原始文件",
        Some(format!("{} · {}", doc.format.label(), human_size(doc.size))),
    ));
    if !doc.also_sources.is_empty() {
        meta.push((
            "相同文件",
            Some(format!(
                "另有 {} 份内容完全相同的文件，已合并为本文档",
                doc.also_sources.len()
            )),
        ));
    }
    meta.into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else if bytes >= 1 << 10 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} 字节")
    }
}

/// `GET /documents/{id}`.
pub async fn document_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> PageResult<DocumentPage> {
    let Path(id) = path?;
    let q = query_only(raw.as_deref())?;
    let mut page_chrome = chrome(&st, "", &q);
    let scope = viewer.scope();
    let staff = viewer.can(Role::Staff);
    let page = st
        .blocking(move |lib| {
            let doc = lib.document(&DocId(id.clone()), &scope)?.ok_or_else(|| {
                AppError::NotFound(format!("没有 id 为 {id} 的文档 (no such document)"))
            })?;
            let terms = highlight_terms(lib, &q);
            let versions = api::versions(lib, &doc, &scope)?
                .into_iter()
                .map(|v| VersionView {
                    date: v
                        .version_date
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_else(|| "日期不详".into()),
                    url: markup::document_url(v.id.as_str(), &q),
                    current: v.id == doc.id,
                    validity: v.validity.label(),
                    validity_class: validity_class(v.validity),
                })
                .collect::<Vec<_>>();
            let toc = doc
                .outline
                .iter()
                .enumerate()
                .map(|(i, h)| TocEntry {
                    depth: h.depth.clamp(1, 3),
                    anchor: format!("h{}", i + 1),
                    text: h.text.clone(),
                })
                .collect();
            let structured = !doc.articles.is_empty();
            let preamble = if structured {
                let history: Vec<&str> = doc.history.iter().map(String::as_str).collect();
                let text: String = markup::preamble(&doc)
                    .lines()
                    .map(str::trim)
                    .filter(|l| {
                        let plain = l.trim_start_matches('#').trim();
                        !plain.is_empty() && plain != doc.title && !history.contains(&plain)
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                markup::paragraphs(&text, &terms)
            } else {
                String::new()
            };
            let mut links = super::links::links_view(lib, &doc, &scope)?;
            links.can_decide = staff;
            let comments = super::collab::comments_view(
                lib,
                &viewer,
                &crate::collab::model::Target::Document(doc.id.clone()),
                &markup::document_url(doc.id.as_str(), ""),
            )?;
            let tables = crate::budget::query::document_tables(lib, &doc.id, &scope)?
                .map(|t| tables_html(t, doc.id.as_str()))
                .unwrap_or_default();
            let findings =
                crate::budget::alerts::findings(lib, &doc.id, &scope)?.unwrap_or_default();
            Ok(DocumentPage {
                chrome: Chrome::default(),
                links,
                comments,
                tables,
                findings_url: staff.then(|| {
                    format!(
                        "/documents/{}/findings",
                        super::params::encode_component(doc.id.as_str())
                    )
                }),
                findings,
                base_url: format!(
                    "/documents/{}",
                    super::params::encode_component(doc.id.as_str())
                ),
                restricted: doc.access == Access::Restricted,
                sample: crate::samples::find(lib)?.has(&doc.id),
                access_url: staff.then(|| {
                    format!(
                        "/documents/{}/access",
                        super::params::encode_component(doc.id.as_str())
                    )
                }),
                remove_url: (staff && doc.kind != DocKind::Proposal).then(|| {
                    format!(
                        "/documents/{}/remove",
                        super::params::encode_component(doc.id.as_str())
                    )
                }),
                replace_url: (staff && doc.kind != DocKind::Proposal).then(|| {
                    format!(
                        "/documents/{}/replace",
                        super::params::encode_component(doc.id.as_str())
                    )
                }),
                id: doc.id.to_string(),
                title: doc.title.clone(),
                validity: badge(doc.kind, doc.validity).0,
                validity_class: badge(doc.kind, doc.validity).1,
                meta: doc_meta(&doc),
                history: doc.history.clone(),
                versions: if versions.len() > 1 {
                    versions
                } else {
                    Vec::new()
                },
                toc,
                preamble,
                blocks: if structured {
                    let links_of = |text: &str| match search::resolve_citations(lib, text, &scope) {
                        Ok(cited) => markup::citation_links(text, &cited, &doc.articles),
                        Err(e) => {
                            tracing::warn!("resolving citations: {e}");
                            Vec::new()
                        }
                    };
                    markup::regulation_blocks(&doc, &terms, &q, &links_of)
                } else {
                    Vec::new()
                },
                body: if structured {
                    String::new()
                } else {
                    markup::outlined_paragraphs(&doc.body, &doc.outline, &terms)
                },
                cut_note: doc.body_cut_from.map(|full| {
                    format!(
                        "正文过长：此处只显示并检索前 {} KB（全文约 {} KB），完整内容请下载原始文件。",
                        doc.body.len() / 1024,
                        full / 1024
                    )
                }),
                download_url: format!(
                    "/documents/{}/original",
                    super::params::encode_component(doc.id.as_str())
                ),
                back_url: (!q.is_empty()).then(|| {
                    SearchParams {
                        q: q.clone(),
                        ..SearchParams::default()
                    }
                    .url()
                }),
                q,
            })
        })
        .await?;
    page_chrome.title = page.title.clone();
    Ok(DocumentPage {
        chrome: page_chrome,
        ..page
    })
}

/// The document id and the posted form of a staff-only form on the document page.
fn staff_form<T>(
    viewer: &Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<axum::Form<T>, axum::extract::rejection::FormRejection>,
) -> AppResult<(String, T)> {
    let Path(id) = path?;
    if !viewer.can(Role::Staff) {
        return Err(AppError::Forbidden);
    }
    let axum::Form(form) = form?;
    Ok((id, form))
}

/// The access form on the document page.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AccessForm {
    pub access: String,
}

/// `POST /documents/{id}/access`: the document page's access form (staff only); redirects back.
pub async fn access_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<axum::Form<AccessForm>, axum::extract::rejection::FormRejection>,
) -> PageResult<Response> {
    let (id, form) = staff_form(&viewer, path, form)?;
    let doc = id.clone();
    st.blocking(move |lib| api::set_access(lib, &viewer, &doc, &form.access))
        .await?;
    Ok(Redirect::to(&format!(
        "/documents/{}",
        super::params::encode_component(&id)
    ))
    .into_response())
}

/// The removal form on the document page: `confirm` must be 删除.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    pub confirm: String,
}

/// `POST /documents/{id}/remove`: removes a document from store and index (staff, after typing 删除 to
/// confirm; the audit log keeps who and which); an earlier version of a law comes back into force. A proposal's
/// document stays with its record. Answers with the landing page.
pub async fn remove_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<axum::Form<RemoveForm>, axum::extract::rejection::FormRejection>,
) -> PageResult<Response> {
    let (id, form) = staff_form(&viewer, path, form)?;
    if form.confirm.trim() != "删除" {
        return Err(AppError::BadRequest(
            "请在确认框中输入「删除」后再提交 (not confirmed)".into(),
        )
        .into());
    }
    let doc = DocId(id);
    st.blocking(move |lib| {
        let Some(meta) = lib.store().get_meta(&doc)? else {
            return Err(AppError::NotFound("没有这个文档 (no such document)".into()));
        };
        if meta.kind == DocKind::Proposal {
            return Err(AppError::BadRequest(
                "代表建议的文档随建议记录保存，不能单独删除".into(),
            ));
        }
        crate::pipeline::remove(lib, std::slice::from_ref(&doc))?;
        Ok(())
    })
    .await?;
    Ok(Redirect::to("/").into_response())
}

/// `POST /documents/{id}/replace` (multipart: one `file`, `confirm` = 替换): queues the new file with the
/// document's access; the task removes the old document once the new one is in, and keeps it if the file
/// cannot be read. Answers with the task page.
pub async fn replace_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    mp: Result<Multipart, MultipartRejection>,
) -> PageResult<Response> {
    super::auth::require(&viewer, Role::Staff)?;
    let Path(id) = path?;
    let form = api::read_uploads(mp?, st.lib.config.max_upload_bytes).await?;
    if form.confirm.as_deref().map(str::trim) != Some("替换") {
        return Err(AppError::BadRequest(
            "请在确认框中输入「替换」后再提交 (not confirmed)".into(),
        )
        .into());
    }
    let mut files = form.files;
    if files.len() != 1 {
        return Err(
            AppError::BadRequest("请选择一个用来替换的文件 (choose one file)".into()).into(),
        );
    }
    let upload = files.remove(0);
    let doc = DocId(id);
    let tasks = st.tasks.clone();
    let task = st
        .blocking(move |lib| {
            let Some(meta) = lib.store().get_meta(&doc)? else {
                return Err(AppError::NotFound("没有这个文档 (no such document)".into()));
            };
            if meta.kind == DocKind::Proposal {
                return Err(AppError::BadRequest(
                    "代表建议的文档随建议记录保存，不能单独替换".into(),
                ));
            }
            tasks.submit_replacement(upload, &meta)
        })
        .await?;
    let mut resp = Redirect::to(&format!("/tasks/{}", task.id)).into_response();
    let note = api::upload_note(&task);
    resp.extensions_mut().insert(super::auth::AuditNote(format!(
        "替换文档 {}：{}",
        task.replaces
            .as_ref()
            .map(|r| r.doc_id.as_str())
            .unwrap_or(""),
        note.0
    )));
    Ok(resp)
}

/// The MIME type of an original file, by extension.
fn mime_of(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        _ => "application/octet-stream",
    }
}

/// `GET /documents/{id}/original`: the file the document was ingested from.
pub async fn download(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
) -> PageResult<Response> {
    let Path(id) = path?;
    let scope = viewer.scope();
    let (name, bytes) = st
        .blocking(move |lib| {
            let doc = lib.meta(&DocId(id.clone()), &scope)?.ok_or_else(|| {
                AppError::NotFound(format!("没有 id 为 {id} 的文档 (no such document)"))
            })?;
            let file = std::path::PathBuf::from(&doc.source);
            let bytes = std::fs::read(&file).map_err(|e| {
                tracing::warn!(source = %doc.source, "original file unavailable: {e}");
                AppError::NotFound("原始文件已不在服务器上 (the original file is gone)".into())
            })?;
            Ok((lib.original_name(&doc.source), bytes))
        })
        .await?;
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime_of(&name)),
    );
    // Always an attachment, never a page of this site: the bytes as stored, in a sandbox without scripts or
    // forms should a browser show it all the same.
    let disposition = HeaderValue::from_str(&markup::content_disposition(&name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------------------
// Article

#[derive(Template, WebTemplate)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub chrome: Chrome,
    pub name: String,
    pub label: String,
    pub doc_title: String,
    pub doc_url: String,
    pub anchor_url: String,
    pub path: Vec<String>,
    pub text: String,
    pub validity: &'static str,
    pub validity_class: &'static str,
    pub prev: Option<(String, String)>,
    pub next: Option<(String, String)>,
    /// Cited words and the article page they lead to.
    pub citations: Vec<(String, Option<String>)>,
    /// Comments on the article.
    pub comments: super::collab::CommentsView,
}

/// `GET /articles/{id}`.
pub async fn article_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> PageResult<ArticlePage> {
    let Path(id) = path?;
    let q = query_only(raw.as_deref())?;
    let page_chrome = chrome(&st, "", &q);
    let scope = viewer.scope();
    let page = st
        .blocking(move |lib| {
            let markup::ArticleInContext {
                article,
                doc,
                own,
                links,
                ..
            } = markup::article_in_context(lib, &id, &scope)?;
            let terms = highlight_terms(lib, &q);
            let citations = links
                .iter()
                .map(|l| {
                    (
                        article.text[l.span.clone()].to_string(),
                        Some(markup::article_url(&l.target, &q)),
                    )
                })
                .collect();
            let pos = own.iter().position(|a| a.id == article.id);
            let neighbour = |i: Option<usize>| {
                i.and_then(|i| own.get(i))
                    .map(|a| (a.label.clone(), markup::article_url(&a.id, &q)))
            };
            let doc_url = markup::document_url(doc.id.as_str(), &q);
            let comments = super::collab::comments_view(
                lib,
                &viewer,
                &crate::collab::model::Target::Article(article.id.clone()),
                &markup::article_url(&article.id, ""),
            )?;
            Ok(ArticlePage {
                comments,
                chrome: Chrome::default(),
                name: article.name.clone(),
                label: article.label.clone(),
                doc_title: doc.title.clone(),
                anchor_url: format!("{doc_url}#{}", article.label),
                doc_url,
                path: article.path.clone(),
                text: markup::linked_paragraphs(&article.text, &terms, &links, &q),
                validity: doc.validity.label(),
                validity_class: validity_class(doc.validity),
                prev: neighbour(pos.and_then(|p| p.checked_sub(1))),
                next: neighbour(pos.map(|p| p + 1)),
                citations,
            })
        })
        .await?;
    Ok(ArticlePage {
        chrome: Chrome {
            title: page.name.clone(),
            ..page_chrome
        },
        ..page
    })
}

// ---------------------------------------------------------------------------------------------------------
// Ingest and tasks

/// A task in a list.
#[derive(Debug, Clone)]
pub struct TaskRow {
    pub url: String,
    pub created: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub summary: String,
}

fn status_class(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Queued => "queued",
        TaskStatus::Running => "running",
        TaskStatus::Done => "valid",
        TaskStatus::Failed => "repealed",
    }
}

fn task_summary(t: &Task) -> String {
    match &t.summary {
        Some(s) => format!(
            "{} 个文件：新增 {}，更新 {}，未变 {}，{}失败 {}；条文 {} 条；用时 {:.1} 秒",
            s.files,
            s.added,
            s.updated,
            s.unchanged,
            if s.duplicates > 0 {
                format!("与已有文档相同 {}，", s.duplicates)
            } else {
                String::new()
            },
            s.failed,
            s.articles,
            s.seconds
        ),
        None if t.status == TaskStatus::Running => format!("{} / {} 个文件", t.done, t.total),
        None => format!("{} 个文件", t.total),
    }
}

fn task_row(t: &Task) -> TaskRow {
    TaskRow {
        url: format!("/tasks/{}", t.id),
        created: t.created.replace('T', " ").chars().take(19).collect(),
        kind: match t.kind {
            TaskKind::Upload => "上传",
            TaskKind::Corpus => "语料库",
        },
        status: t.status.label(),
        status_class: status_class(t.status),
        summary: task_summary(t),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "ingest.html")]
pub struct IngestPage {
    pub chrome: Chrome,
    pub max_mb: usize,
    pub max_file_mb: u64,
    pub tasks: Vec<TaskRow>,
}

/// `GET /ingest`.
pub async fn ingest_page(State(st): State<AppState>) -> PageResult<IngestPage> {
    let tasks = st.tasks.clone();
    let recent = tokio::task::spawn_blocking(move || tasks.recent(20)).await??;
    Ok(IngestPage {
        chrome: chrome(&st, "上传文件", ""),
        max_mb: st.lib.config.max_upload_bytes >> 20,
        max_file_mb: st.lib.config.extract.max_file_bytes >> 20,
        tasks: recent.iter().map(task_row).collect(),
    })
}

/// `POST /ingest`: the upload form; answers with a redirect to the task's page.
pub async fn ingest_upload(
    State(st): State<AppState>,
    mp: Result<Multipart, MultipartRejection>,
) -> PageResult<Response> {
    let form = api::read_uploads(mp?, st.lib.config.max_upload_bytes).await?;
    let tasks = st.tasks.clone();
    let task = tokio::task::spawn_blocking(move || tasks.submit_uploads(form.files, form.access))
        .await??;
    let mut resp = Redirect::to(&format!("/tasks/{}", task.id)).into_response();
    resp.extensions_mut().insert(api::upload_note(&task));
    Ok(resp)
}

/// One file of a task, for the page.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub name: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub reason: String,
    pub doc_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "task.html")]
pub struct TaskPage {
    pub chrome: Chrome,
    pub row: TaskRow,
    pub id: String,
    pub finished: bool,
    pub percent: usize,
    pub done: usize,
    pub total: usize,
    pub error: Option<String>,
    pub files: Vec<FileRow>,
    /// What became of the document the upload replaces.
    pub replaced: Option<String>,
    /// After an upload: the demonstration samples still in the library, offered for removal.
    pub samples: Option<String>,
    pub staff: bool,
}

/// `GET /tasks/{id}`: progress and per-file results; refreshes itself until the task has finished.
pub async fn task_page(
    State(st): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> PageResult<TaskPage> {
    let Path(id) = path?;
    let tasks = st.tasks.clone();
    let lookup = id.clone();
    let task = tokio::task::spawn_blocking(move || tasks.get(&lookup))
        .await??
        .ok_or_else(|| AppError::NotFound(format!("没有 id 为 {id} 的任务 (no such task)")))?;
    // Real files are in: ask whether the demonstration samples should go.
    let samples = if task.kind == TaskKind::Upload && task.status.finished() {
        let set = st.blocking(|lib| Ok(crate::samples::find(lib)?)).await?;
        (!set.is_empty()).then(|| set.label())
    } else {
        None
    };
    let files = task
        .files
        .iter()
        .map(|f| FileRow {
            name: f.name.clone(),
            status: f.status.label(),
            status_class: match f.status {
                FileStatus::Indexed | FileStatus::Proposals => "valid",
                FileStatus::Unchanged | FileStatus::Duplicate => "amended",
                FileStatus::Failed => "repealed",
                FileStatus::Pending => "queued",
            },
            reason: f.reason.clone().unwrap_or_default(),
            doc_url: if f.status == FileStatus::Proposals {
                Some("/proposals".to_string())
            } else {
                f.doc_id
                    .as_ref()
                    .map(|d| markup::document_url(d.as_str(), ""))
            },
        })
        .collect();
    Ok(TaskPage {
        chrome: chrome(&st, "入库任务", ""),
        row: task_row(&task),
        id: task.id.clone(),
        finished: task.status.finished(),
        percent: (task.done * 100)
            .checked_div(task.total)
            .unwrap_or(if task.status.finished() { 100 } else { 0 }),
        done: task.done,
        total: task.total,
        error: task.error.clone(),
        files,
        replaced: task.replaces.as_ref().map(|r| match r.removed {
            Some(true) => format!("已替换原文档《{}》：原文档已删除。", r.title),
            Some(false) => format!("新文件未能入库，原文档《{}》保留未变。", r.title),
            None => format!("入库完成后将替换原文档《{}》。", r.title),
        }),
        samples,
        // Only staff reach the task pages.
        staff: true,
    })
}
