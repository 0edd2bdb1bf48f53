//! The proposal pages: the filtered list with counts per filter value and export links (`/proposals`),
//! the dashboard with overdue and due-soon warnings (`/proposals/dashboard`), one proposal with its
//! timeline, replies, links and similar proposals (`/proposals/{id}`), and the form that records an event
//! (`POST /proposals/{id}/events`, redirecting back; a refused event is shown on the page with a 400).
//!
//! The logic lives in `crate::proposals`; this module reads the URL or the form, calls it and renders.

use super::AppState;
use super::error::{AppError, AppResult};
use super::markup::document_url;
use super::pages::{Chrome, FacetView, LinkView, PageError, chrome};
use super::params::{encode_component, parse_pairs};
use super::proposals::{ListQuery, parsed, resolve, today_of};
use crate::auth::Viewer;
use crate::link::{Target, Verdict};
use crate::proposals::model::{Event, EventKind, Grade, Satisfaction};
use crate::proposals::{self, ListCounts, Summary};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

/// The page routes of proposals.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/proposals", get(list_page))
        .route("/proposals/dashboard", get(dashboard_page))
        .route("/proposals/{id}", get(proposal_page))
        .route("/proposals/{id}/events", axum::routing::post(event_form))
        .route("/proposals/mine", get(mine_page))
        .route(
            "/proposals/{id}/feedback",
            axum::routing::post(feedback_form),
        )
}

/// Proposals per page of the list.
const PAGE_SIZE: usize = 30;
/// The last page number accepted.
const MAX_PAGE: usize = 3000;
/// Facet values shown before 「更多」.
const FACET_SHOWN: usize = 8;
/// Longest accepted actor name.
const MAX_ACTOR_CHARS: usize = 40;
/// Longest accepted note or reply text.
const MAX_TEXT_CHARS: usize = 20_000;

/// The list filters kept in the URL, in URL order, with their labels.
const KEYS: &[(&str, &str)] = &[
    ("q", "标题或代表"),
    ("session", "届次"),
    ("year", "年份"),
    ("type", "类型"),
    ("status", "状态"),
    ("unit", "承办单位"),
    ("delegation", "代表团"),
    ("category", "类别"),
    ("grade", "答复类别"),
    ("satisfaction", "满意度"),
    ("topic", "专题"),
    ("deputy", "代表"),
    ("overdue", "已逾期"),
    ("due_soon", "14 天内到期"),
    ("key", "重点督办"),
];

fn key_label(key: &str) -> &'static str {
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

fn is_flag(key: &str) -> bool {
    matches!(key, "overdue" | "due_soon" | "key")
}

fn date_str(d: Option<crate::model::Date>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `/proposals/{id}` for a proposal id.
pub fn proposal_url(id: &str) -> String {
    format!("/proposals/{}", encode_component(id))
}

// ---------------------------------------------------------------------------------------------------------
// The list

/// The list's query string: filters (empty values dropped, the last of a repeated key wins), page, today.
#[derive(Debug, Clone, Default)]
struct ListParams {
    pairs: Vec<(&'static str, String)>,
    page: usize,
    today: Option<String>,
}

impl ListParams {
    fn parse(raw: Option<&str>) -> AppResult<ListParams> {
        let mut p = ListParams {
            page: 1,
            ..ListParams::default()
        };
        for (k, v) in parse_pairs(raw.unwrap_or(""))? {
            let v = v.trim().to_string();
            if v.is_empty() {
                continue;
            }
            if k == "page" {
                p.page = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "参数 page 的值「{v}」无效，应为 1 到 {MAX_PAGE} 的页码 (invalid page)"
                        ))
                    })?;
            } else if k == "today" {
                p.today = Some(v);
            } else if let Some(&(key, _)) = KEYS.iter().find(|(x, _)| *x == k) {
                p.pairs.retain(|(x, _)| *x != key);
                p.pairs.push((key, v));
            }
        }
        p.pairs
            .sort_by_key(|(k, _)| KEYS.iter().position(|(x, _)| x == k));
        Ok(p)
    }

    fn get(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    fn query(&self) -> ListQuery {
        ListQuery {
            session: self.get("session"),
            year: self.get("year"),
            kind: self.get("type"),
            status: self.get("status"),
            unit: self.get("unit"),
            delegation: self.get("delegation"),
            category: self.get("category"),
            grade: self.get("grade"),
            satisfaction: self.get("satisfaction"),
            topic: self.get("topic"),
            deputy: self.get("deputy"),
            overdue: self.get("overdue"),
            due_soon: self.get("due_soon"),
            key: self.get("key"),
            q: self.get("q"),
            offset: Some((self.page - 1) * PAGE_SIZE),
            limit: Some(PAGE_SIZE),
            today: self.today.clone(),
            format: None,
        }
    }

    /// The URL of `path` with these filters, changed by `set` / `remove`, on `page`.
    fn url(
        &self,
        path: &str,
        set: Option<(&str, &str)>,
        remove: Option<&str>,
        page: usize,
    ) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut set_done = false;
        for (k, v) in &self.pairs {
            if Some(*k) == remove {
                continue;
            }
            match set {
                Some((sk, sv)) if sk == *k => {
                    parts.push(format!("{k}={}", encode_component(sv)));
                    set_done = true;
                }
                _ => parts.push(format!("{k}={}", encode_component(v))),
            }
        }
        if let Some((sk, sv)) = set
            && !set_done
        {
            parts.push(format!("{sk}={}", encode_component(sv)));
        }
        if let Some(t) = &self.today {
            parts.push(format!("today={}", encode_component(t)));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }

    /// The link of a filter value: on if it is off, off if it is on.
    fn toggle(&self, key: &str, value: &str) -> (String, bool) {
        let active = self.get(key).as_deref() == Some(value);
        let url = if active {
            self.url("/proposals", None, Some(key), 1)
        } else {
            self.url("/proposals", Some((key, value)), None, 1)
        };
        (url, active)
    }
}

/// A proposal in a list.
#[derive(Debug, Clone)]
pub struct ProposalRow {
    pub url: String,
    pub title: String,
    pub number: String,
    pub session: String,
    pub status: &'static str,
    pub tags: Vec<String>,
    pub deadline: String,
    pub overdue: bool,
    pub due_soon: bool,
}

fn row(s: &Summary) -> ProposalRow {
    let mut tags = vec![s.kind.label().to_string()];
    if !s.lead.is_empty() {
        tags.push(format!("领衔：{}", s.lead));
    }
    if !s.lead_unit.is_empty() {
        tags.push(format!("主办：{}", s.lead_unit));
    }
    if let Some(g) = s.grade {
        tags.push(format!("{}类（{}）", g.label(), g.meaning()));
    }
    if let Some(x) = s.satisfaction {
        tags.push(x.label().to_string());
    }
    if s.key_supervision {
        tags.push("重点督办".into());
    }
    ProposalRow {
        url: proposal_url(s.id.as_str()),
        title: s.title.clone(),
        number: s.number.to_string(),
        session: s.session.clone(),
        status: s.status.label(),
        tags,
        deadline: date_str(s.deadline),
        overdue: s.overdue,
        due_soon: s.due_soon,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "proposals.html")]
pub struct ListPageView {
    pub chrome: Chrome,
    pub q: String,
    pub hidden: Vec<(String, String)>,
    pub total: usize,
    pub first: usize,
    pub last: usize,
    pub rows: Vec<ProposalRow>,
    pub facets: Vec<FacetView>,
    pub active: Vec<LinkView>,
    pub clear_url: Option<String>,
    pub csv_url: String,
    pub xlsx_url: String,
    pub page: usize,
    pub pages: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
}

fn facet(
    p: &ListParams,
    key: &'static str,
    label: &'static str,
    counts: &[(String, usize)],
) -> FacetView {
    let mut values: Vec<LinkView> = counts
        .iter()
        .map(|(v, n)| {
            let (url, active) = p.toggle(key, v);
            LinkView {
                label: v.clone(),
                url,
                active,
                count: *n as u64,
            }
        })
        .collect();
    // The active value stays visible even when it is not among the first.
    if let Some(i) = values.iter().position(|v| v.active)
        && i >= FACET_SHOWN
    {
        let v = values.remove(i);
        values.insert(0, v);
    }
    let more = if values.len() > FACET_SHOWN {
        values.split_off(FACET_SHOWN)
    } else {
        Vec::new()
    };
    FacetView {
        label,
        values,
        more,
    }
}

fn facets(p: &ListParams, c: &ListCounts) -> Vec<FacetView> {
    let mut out = Vec::new();
    let flags: Vec<(String, usize)> = [
        ("overdue", c.overdue),
        ("due_soon", c.due_soon),
        ("key", c.key_supervision),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    let mut warn = FacetView {
        label: "督办提醒",
        values: flags
            .iter()
            .map(|(k, n)| {
                let (url, active) = p.toggle(k, "1");
                LinkView {
                    label: key_label(k).to_string(),
                    url,
                    active,
                    count: *n as u64,
                }
            })
            .collect(),
        more: Vec::new(),
    };
    warn.values.retain(|v| v.count > 0 || v.active);
    if !warn.values.is_empty() {
        out.push(warn);
    }
    for (key, counts) in [
        ("status", &c.status),
        ("session", &c.session),
        ("year", &c.year),
        ("type", &c.kind),
        ("unit", &c.unit),
        ("delegation", &c.delegation),
        ("category", &c.category),
        ("grade", &c.grade),
        ("satisfaction", &c.satisfaction),
        ("topic", &c.topic),
    ] {
        if !counts.is_empty() {
            out.push(facet(p, key, key_label(key), counts));
        }
    }
    out
}

/// `GET /proposals`: the filtered list with counts per filter value.
pub async fn list_page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<ListPageView, PageError> {
    let p = ListParams::parse(raw.as_deref())?;
    let query = p.query();
    let mut filter = query.filter()?;
    filter.scope = viewer.scope();
    let today = today_of(&query.today)?;
    let list = st
        .blocking(move |lib| Ok(proposals::list(lib, &filter, today)?))
        .await?;
    let pages = list.total.div_ceil(PAGE_SIZE).max(1);
    let rows: Vec<ProposalRow> = list.items.iter().map(row).collect();
    let first = if rows.is_empty() { 0 } else { list.offset + 1 };
    let active: Vec<LinkView> = p
        .pairs
        .iter()
        .map(|(k, v)| LinkView {
            label: if is_flag(k) {
                key_label(k).to_string()
            } else {
                format!("{}：{v}", key_label(k))
            },
            url: p.url("/proposals", None, Some(k), 1),
            active: true,
            count: 0,
        })
        .collect();
    let export = |f: &str| p.url("/api/proposals", Some(("format", f)), None, 1);
    Ok(ListPageView {
        chrome: chrome(&st, "代表建议", ""),
        q: p.get("q").unwrap_or_default(),
        hidden: p
            .pairs
            .iter()
            .filter(|(k, _)| *k != "q")
            .map(|(k, v)| (k.to_string(), v.clone()))
            .chain(p.today.iter().map(|t| ("today".to_string(), t.clone())))
            .collect(),
        total: list.total,
        first,
        last: list.offset + rows.len(),
        rows,
        facets: facets(&p, &list.counts),
        clear_url: (!active.is_empty()).then(|| match &p.today {
            Some(t) => format!("/proposals?today={}", encode_component(t)),
            None => "/proposals".to_string(),
        }),
        active,
        csv_url: export("csv"),
        xlsx_url: export("xlsx"),
        page: p.page,
        pages,
        prev: (p.page > 1).then(|| p.url("/proposals", None, None, p.page - 1)),
        next: (p.page < pages).then(|| p.url("/proposals", None, None, p.page + 1)),
    })
}

// ---------------------------------------------------------------------------------------------------------
// The dashboard

/// A count with the link to the list it stands for.
#[derive(Debug, Clone)]
pub struct CountLink {
    pub label: String,
    pub url: String,
    pub count: usize,
    /// Width of the bar, percent of the largest count.
    pub bar: usize,
}

fn count_links(key: &str, counts: &[(String, usize)], today: &Option<String>) -> Vec<CountLink> {
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let p = ListParams {
        today: today.clone(),
        page: 1,
        ..ListParams::default()
    };
    counts
        .iter()
        .map(|(v, n)| CountLink {
            label: if v.is_empty() {
                "（未填）".into()
            } else {
                v.clone()
            },
            url: p.url("/proposals", Some((key, v)), None, 1),
            count: *n,
            bar: n * 100 / max,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "proposals_dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub today: String,
    pub total: usize,
    pub overdue_count: usize,
    pub due_soon_count: usize,
    pub unsatisfied_count: usize,
    pub key_open_count: usize,
    pub list_url: String,
    pub overdue_url: String,
    pub due_soon_url: String,
    /// (heading, element id, counts).
    pub groups: Vec<(&'static str, &'static str, Vec<CountLink>)>,
    pub overdue: Vec<ProposalRow>,
    pub due_soon: Vec<ProposalRow>,
}

/// `GET /proposals/dashboard`: totals and warnings.
pub async fn dashboard_page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<DashboardPage, PageError> {
    let mut today_param = None;
    for (k, v) in parse_pairs(raw.as_deref().unwrap_or(""))? {
        if k == "today" && !v.trim().is_empty() {
            today_param = Some(v.trim().to_string());
        }
    }
    let today = today_of(&today_param)?;
    let scope = viewer.scope();
    let d = st
        .blocking(move |lib| Ok(proposals::dashboard(lib, today, &scope)?))
        .await?;
    let base = ListParams {
        today: today_param.clone(),
        page: 1,
        ..ListParams::default()
    };
    Ok(DashboardPage {
        chrome: chrome(&st, "代表建议办理情况", ""),
        today: date_str(Some(d.today)),
        total: d.total,
        overdue_count: d.overdue_count,
        due_soon_count: d.due_soon_count,
        unsatisfied_count: d.unsatisfied_count,
        key_open_count: d.key_open_count,
        list_url: base.url("/proposals", None, None, 1),
        overdue_url: base.url("/proposals", Some(("overdue", "1")), None, 1),
        due_soon_url: base.url("/proposals", Some(("due_soon", "1")), None, 1),
        groups: vec![
            (
                "按办理状态",
                "by-status",
                count_links("status", &d.by_status, &today_param),
            ),
            (
                "按承办单位",
                "by-unit",
                count_links("unit", &d.by_unit, &today_param),
            ),
            (
                "按专题",
                "by-topic",
                count_links("topic", &d.by_topic, &today_param),
            ),
            (
                "按届次",
                "by-session",
                count_links("session", &d.by_session, &today_param),
            ),
        ],
        overdue: d.overdue.iter().map(row).collect(),
        due_soon: d.due_soon.iter().map(row).collect(),
    })
}

// ---------------------------------------------------------------------------------------------------------
// One proposal and its event form

/// The event form as posted; every field is text so that a bad value can be explained.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub grade: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub satisfaction: String,
}

impl EventForm {
    /// The event the form describes, or what is wrong with it.
    fn event(&self) -> Result<Event, String> {
        let kind = EventKind::parse(self.kind.trim()).ok_or_else(|| {
            if self.kind.trim().is_empty() {
                "请选择要记录的事件。".to_string()
            } else {
                format!("无法识别的事件「{}」。", self.kind.trim())
            }
        })?;
        let date = match self.date.trim() {
            "" => proposals::today(),
            d => proposals::import::parse_date(d)
                .ok_or_else(|| format!("日期「{d}」无法识别，应写作 2025-06-01。"))?,
        };
        let actor = self.actor.trim();
        if actor.is_empty() {
            return Err("请填写办理人或单位的名称。".into());
        }
        if actor.chars().count() > MAX_ACTOR_CHARS || actor.chars().any(char::is_control) {
            return Err(format!(
                "办理人或单位最多 {MAX_ACTOR_CHARS} 个字，且不能含控制字符。"
            ));
        }
        for (what, v) in [("备注", &self.note), ("答复内容", &self.text)] {
            if v.chars().count() > MAX_TEXT_CHARS {
                return Err(format!("{what}最多 {MAX_TEXT_CHARS} 个字。"));
            }
        }
        let grade = parsed(&Some(self.grade.clone()), "答复类别", Grade::parse_loose)
            .map_err(|e| e.message())?;
        let satisfaction = parsed(
            &Some(self.satisfaction.clone()),
            "满意度",
            Satisfaction::parse,
        )
        .map_err(|e| e.message())?;
        Ok(Event {
            kind,
            date,
            actor: actor.to_string(),
            note: self.note.trim().to_string(),
            grade,
            text: Some(self.text.trim().to_string()).filter(|t| !t.is_empty()),
            satisfaction,
        })
    }
}

/// An event of the timeline.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub date: String,
    pub kind: &'static str,
    pub actor: String,
    pub note: String,
    pub grade: String,
    pub satisfaction: String,
    pub text: Vec<String>,
}

/// A similar proposal.
#[derive(Debug, Clone)]
pub struct SimilarRow {
    pub url: String,
    pub title: String,
    pub session: String,
    pub number: String,
    pub score: String,
    pub reason: String,
    pub status: &'static str,
    pub grade: String,
    pub satisfaction: String,
    pub earlier: bool,
}

/// What a deputy posts about a reply to their own proposal.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeedbackForm {
    #[serde(default)]
    pub satisfaction: String,
    #[serde(default)]
    pub note: String,
}

/// The feedback form shown to a deputy who leads or co-signed the proposal, once it has a reply.
#[derive(Debug, Clone)]
pub struct FeedbackView {
    pub post_url: String,
    pub satisfactions: Vec<&'static str>,
    pub values: FeedbackForm,
    pub error: Option<String>,
}

/// A form that was posted and refused, shown again with the reason.
#[derive(Debug, Clone)]
pub enum Posted {
    Event(EventForm, String),
    Feedback(FeedbackForm, String),
}

/// The event form: choices, the values to show again and the message of a refusal.
#[derive(Debug, Clone)]
pub struct FormView {
    pub post_url: String,
    pub kinds: Vec<&'static str>,
    pub grades: Vec<(&'static str, &'static str)>,
    pub satisfactions: Vec<&'static str>,
    pub values: EventForm,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "proposal.html")]
pub struct ProposalPage {
    pub chrome: Chrome,
    /// Comments on the proposal.
    pub comments: super::collab::CommentsView,
    /// Other proposals the number given in the URL also names (other sessions): label and link.
    pub same_number: Vec<(String, String)>,
    pub title: String,
    pub number: String,
    pub session: String,
    pub status: &'static str,
    pub tags: Vec<String>,
    pub warnings: Vec<String>,
    pub repeated: Option<String>,
    pub meta: Vec<(&'static str, String)>,
    pub paragraphs: Vec<String>,
    pub document_url: String,
    pub events: Vec<EventRow>,
    /// (title, URL).
    pub replies: Vec<(String, String)>,
    /// (name, URL if the law is stored).
    pub laws: Vec<(String, Option<String>)>,
    /// (label, URL).
    pub subjects: Vec<(String, String)>,
    pub topics: Vec<(String, String)>,
    pub similar: Vec<SimilarRow>,
    /// Whether the reader may record events (staff): the form is shown only then.
    pub can_record: bool,
    pub form: FormView,
    pub feedback: Option<FeedbackView>,
}

fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Builds the proposal page; `form` carries the posted values and the message of a refused event.
async fn proposal_view(
    st: &AppState,
    key: String,
    today: crate::model::Date,
    posted: Option<Posted>,
    viewer: &Viewer,
) -> Result<ProposalPage, PageError> {
    let scope = viewer.scope();
    let who = viewer.clone();
    let (v, same_number, comments) = st
        .blocking(move |lib| {
            let id = resolve(lib, &key, &scope)?;
            // A bare number that several sessions use: the newest is shown, the others listed.
            let mut same_number = Vec::new();
            if id.as_str() != key.trim() {
                for other in proposals::resolve(lib, &key)? {
                    if other == id {
                        continue;
                    }
                    if let Some(p) = lib.store().get_proposal(&other)?
                        && proposals::visible(&p, &scope)
                    {
                        same_number.push((
                            format!("{} 第{}号：{}", p.session.name, p.number, p.title),
                            proposal_url(other.as_str()),
                        ));
                    }
                }
            }
            let v = proposals::show(lib, &id, today, &scope)?
                .ok_or_else(|| AppError::NotFound(format!("没有这件建议：{id}")))?;
            let comments = super::collab::comments_view(
                lib,
                &who,
                &crate::collab::model::Target::Proposal(id.clone()),
                &proposal_url(id.as_str()),
            )?;
            Ok((v, same_number, comments))
        })
        .await?;
    let p = &v.proposal;
    let s = &v.state;
    let mut tags = vec![p.kind.label().to_string(), format!("{}年", p.year)];
    if p.key_supervision {
        tags.push("重点督办".into());
    }
    if !p.public {
        tags.push("不公开".into());
    }
    let mut warnings = Vec::new();
    if v.overdue {
        warnings.push(format!(
            "已逾期：办理期限为 {}，尚未答复。",
            date_str(s.deadline)
        ));
    } else if v.due_soon {
        warnings.push(format!(
            "即将到期：办理期限为 {}（14 天内）。",
            date_str(s.deadline)
        ));
    }
    if s.satisfaction == Some(Satisfaction::Unsatisfied) {
        warnings.push("代表对最近一次答复不满意。".into());
    }
    let repeated = v.similar.repeated_without_a.then(|| {
        format!(
            "同一问题已被提出 {} 次（含本件），历次答复均未达到 A 类（已解决）。",
            v.similar.times_raised
        )
    });
    let mut meta: Vec<(&'static str, String)> = vec![
        ("编号", p.number.to_string()),
        ("届次", p.session.name.clone()),
        ("状态", s.status.label().to_string()),
    ];
    let mut put = |k: &'static str, v: String| {
        if !v.trim().is_empty() {
            meta.push((k, v));
        }
    };
    put("领衔代表", p.lead.clone());
    put("附议代表", p.co_signers.join("、"));
    put("代表团", p.delegation.clone());
    put("类别", p.category.clone());
    put("主办单位", p.lead_unit.clone());
    put("协办单位", p.co_units.join("、"));
    put("交办日期", date_str(s.assigned));
    put(
        "办理期限",
        match s.deadline {
            Some(d) if s.extended => format!("{}（已延期）", d.format("%Y-%m-%d")),
            d => date_str(d),
        },
    );
    put("答复日期", date_str(s.replied));
    put(
        "答复类别",
        s.grade
            .map(|g| format!("{}类（{}）", g.label(), g.meaning()))
            .unwrap_or_default(),
    );
    put(
        "满意度",
        s.satisfaction
            .map(|x| x.label().to_string())
            .unwrap_or_default(),
    );
    put("督办领导", p.supervisor.clone().unwrap_or_default());
    put("来源", p.source.clone());
    let events = v
        .events
        .iter()
        .map(|e| EventRow {
            date: date_str(Some(e.date)),
            kind: e.kind.label(),
            actor: e.actor.clone(),
            note: e.note.clone(),
            grade: e
                .grade
                .map(|g| format!("{}类（{}）", g.label(), g.meaning()))
                .unwrap_or_default(),
            satisfaction: e
                .satisfaction
                .map(|x| x.label().to_string())
                .unwrap_or_default(),
            text: e.text.as_deref().map(paragraphs).unwrap_or_default(),
        })
        .collect();
    let (mut subjects, mut topics) = (Vec::new(), Vec::new());
    if let Some(l) = &v.links {
        let rejected = |t: Target| {
            l.decision(&t)
                .is_some_and(|d| d.verdict == Verdict::Rejected)
        };
        for x in &l.subjects {
            if x.kept && !rejected(Target::Subject(x.code.clone())) {
                subjects.push((
                    format!("{} {}", x.code, x.name),
                    format!("/subjects/{}", encode_component(&x.code)),
                ));
            }
        }
        for x in &l.topics {
            if x.kept && !rejected(Target::Topic(x.id.clone())) {
                topics.push((
                    x.name.clone(),
                    format!("/topics/{}", encode_component(&x.id)),
                ));
            }
        }
    }
    let mut similar: Vec<SimilarRow> = v
        .similar
        .items
        .iter()
        .map(|x| SimilarRow {
            url: proposal_url(x.id.as_str()),
            title: x.title.clone(),
            session: x.session.clone(),
            number: x.number.to_string(),
            score: format!("{:.0}%", (x.score * 100.0).clamp(0.0, 100.0)),
            reason: x.reason.clone(),
            status: x.status.label(),
            grade: x
                .grade
                .map(|g| format!("{}类", g.label()))
                .unwrap_or_default(),
            satisfaction: x
                .satisfaction
                .map(|s| s.label().to_string())
                .unwrap_or_default(),
            earlier: x.earlier,
        })
        .collect();
    similar.sort_by_key(|x| !x.earlier);
    let (mut values, mut error) = (
        EventForm {
            date: date_str(Some(today)),
            ..EventForm::default()
        },
        None,
    );
    let (mut feedback_values, mut feedback_error) = (FeedbackForm::default(), None);
    match posted {
        Some(Posted::Event(f, e)) => (values, error) = (f, Some(e)),
        Some(Posted::Feedback(f, e)) => (feedback_values, feedback_error) = (f, Some(e)),
        None => {}
    }
    // Feedback is asked for once per reply: while the newest reply has none.
    let last = |kind: EventKind| v.events.iter().rposition(|e| e.kind == kind);
    let awaiting = last(EventKind::Reply) > last(EventKind::Feedback);
    let feedback =
        ((awaiting || feedback_error.is_some()) && is_author(viewer, p)).then(|| FeedbackView {
            post_url: format!("{}/feedback", proposal_url(p.id.as_str())),
            satisfactions: Satisfaction::ALL.iter().map(|s| s.label()).collect(),
            values: feedback_values,
            error: feedback_error,
        });
    Ok(ProposalPage {
        same_number,
        chrome: chrome(st, p.title.clone(), ""),
        title: p.title.clone(),
        number: p.number.to_string(),
        session: p.session.name.clone(),
        status: s.status.label(),
        tags,
        warnings,
        repeated,
        meta,
        paragraphs: paragraphs(&p.text),
        document_url: document_url(p.doc_id.as_str(), ""),
        events,
        replies: v
            .replies
            .iter()
            .map(|r| (r.title.clone(), document_url(r.doc_id.as_str(), "")))
            .collect(),
        laws: v
            .laws
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    l.doc_id.as_ref().map(|d| document_url(d.as_str(), "")),
                )
            })
            .collect(),
        subjects,
        topics,
        similar,
        can_record: viewer.can(crate::auth::Role::Staff),
        feedback,
        comments,
        form: FormView {
            post_url: format!("{}/events", proposal_url(p.id.as_str())),
            kinds: EventKind::ALL.iter().map(|k| k.label()).collect(),
            grades: Grade::ALL
                .iter()
                .map(|g| (g.label(), g.meaning()))
                .collect(),
            satisfactions: Satisfaction::ALL.iter().map(|s| s.label()).collect(),
            values,
            error,
        },
    })
}

/// `GET /proposals/{id}` (an id such as `16-5-3001`, or a number for the newest session).
pub async fn proposal_page(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<ProposalPage, PageError> {
    let Path(key) = path?;
    let mut today = None;
    for (k, v) in parse_pairs(raw.as_deref().unwrap_or(""))? {
        if k == "today" && !v.trim().is_empty() {
            today = Some(v.trim().to_string());
        }
    }
    let today = today_of(&today)?;
    proposal_view(&st, key, today, None, &viewer).await
}

/// Whether the viewer is a deputy who leads or co-signed the proposal.
fn is_author(viewer: &Viewer, p: &crate::proposals::model::Proposal) -> bool {
    viewer
        .deputy
        .as_ref()
        .is_some_and(|d| proposals::proposal_owners(p).contains(d))
}

/// `GET /proposals/mine`: the proposals the signed-in deputy leads or co-signed (我的建议), as the list
/// filtered by the deputy's name.
pub async fn mine_page(viewer: Viewer) -> Result<Response, PageError> {
    match viewer.deputy.as_deref() {
        Some(name) => Ok(
            Redirect::to(&format!("/proposals?deputy={}", encode_component(name))).into_response(),
        ),
        None if viewer.user.is_none() => {
            Ok(Redirect::to("/login?next=%2Fproposals%2Fmine").into_response())
        }
        None => Err(AppError::BadRequest(
            "当前账号没有关联代表姓名，无法列出“我的建议” (the account is not a deputy)".into(),
        )
        .into()),
    }
}

/// `POST /proposals/{id}/feedback`: a deputy who leads or co-signed the proposal records their satisfaction
/// with its reply, as the proposal's 代表反馈 event; a refused feedback shows the page again with the reason.
pub async fn feedback_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<FeedbackForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Path(key) = path?;
    let Form(form) = form?;
    let Some(deputy) = viewer.deputy.clone() else {
        return Err(AppError::Forbidden.into());
    };
    let satisfaction = Satisfaction::parse(form.satisfaction.trim());
    let note: String = form.note.trim().chars().take(500).collect();
    let (k, scope, v) = (key.clone(), viewer.scope(), viewer.clone());
    let outcome = st
        .blocking(move |lib| {
            let id = resolve(lib, &k, &scope)?;
            let p = lib
                .store()
                .get_proposal(&id)?
                .ok_or_else(|| AppError::NotFound(format!("没有这件建议：{id}")))?;
            if !is_author(&v, &p) {
                return Err(AppError::Forbidden);
            }
            let Some(satisfaction) = satisfaction else {
                return Ok(Err("请选择满意、基本满意或不满意。".to_string()));
            };
            let event = Event {
                satisfaction: Some(satisfaction),
                note,
                ..Event::new(EventKind::Feedback, proposals::today(), deputy)
            };
            match crate::collab::inbox::record_proposal_event(lib, &id, event, &v) {
                Ok(_) => Ok(Ok(id)),
                Err(crate::error::Error::Invalid(why)) => Ok(Err(why)),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    match outcome {
        Ok(id) => {
            Ok(Redirect::to(&format!("{}#timeline", proposal_url(id.as_str()))).into_response())
        }
        Err(why) => {
            let posted = Some(Posted::Feedback(form, why));
            let page = proposal_view(&st, key, proposals::today(), posted, &viewer).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

/// `POST /proposals/{id}/events`: records the event and goes back to the timeline; a refused or invalid
/// event shows the proposal page again with the reason and the typed values (status 400).
pub async fn event_form(
    State(st): State<AppState>,
    viewer: Viewer,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<EventForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Path(key) = path?;
    let Form(form) = form?;
    let outcome = match form.event() {
        Err(why) => Err(why),
        Ok(event) => {
            let k = key.clone();
            let scope = viewer.scope();
            let by = viewer.clone();
            st.blocking(move |lib| {
                let id = resolve(lib, &k, &scope)?;
                match crate::collab::inbox::record_proposal_event(lib, &id, event, &by) {
                    Ok(_) => Ok(Ok(id)),
                    Err(crate::error::Error::Invalid(why)) => Ok(Err(why)),
                    Err(e) => Err(e.into()),
                }
            })
            .await?
        }
    };
    match outcome {
        Ok(id) => {
            Ok(Redirect::to(&format!("{}#timeline", proposal_url(id.as_str()))).into_response())
        }
        Err(why) => {
            let posted = Some(Posted::Event(form, why));
            let page = proposal_view(&st, key, proposals::today(), posted, &viewer).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}
