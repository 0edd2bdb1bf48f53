//! 预算执行（联网） on the web: `POST /api/feed/batches` for the finance department's system (a token of the role
//! 数据推送, or staff), the list of batches, the execution dashboard `/money/execution` (progress against the
//! time line by department or unit, by subject, month by month, the units furthest behind, pace warnings with
//! confirm and dismiss) and its JSON, CSV and XLSX. Execution data is for the committee's staff.

use super::AppState;
use super::budget::Download;
use super::error::{AppError, AppResult};
use super::pages::{Chrome, LinkView, PageError, chrome};
use super::params::{bad, grouped, link, parse_pairs, script_json, wan};
use crate::auth::{Role, Viewer};
use crate::budget::checks::Verdict;
use crate::budget::execution::dashboard::{Dashboard, ExecQuery, Line, dashboard};
use crate::budget::execution::pace::PaceFinding;
use crate::budget::execution::parse::Format;
use crate::budget::execution::{BatchRecord, BatchStatus, Fund, Outcome, Submission, review};
use crate::budget::recognise::MoneyUnit;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// The execution routes; a batch may be as large as an upload.
pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/feed/batches",
            get(batches_api)
                .post(push)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/money/execution", get(page))
        .route("/api/money/execution", get(api))
        .route("/money/execution/findings", post(decide_form))
        .route("/api/money/execution/findings", post(decide_api))
}

fn staff_only(viewer: &Viewer) -> AppResult<()> {
    if viewer.can(Role::Staff) {
        Ok(())
    } else if viewer.user.is_none() {
        Err(AppError::Unauthorized)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A batch record as answered: without the list of units it replaced.
fn summary(r: &BatchRecord) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("covers");
        o.insert("units_months".into(), r.covers.len().into());
    }
    v
}

/// `POST /api/feed/batches?id=…&seq=…[&format=csv|jsonl|xlsx][&unit=元|万元|亿元]`: the body is the batch.
async fn push(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    if viewer.role != Role::Feed && !viewer.can(Role::Staff) {
        return Err(if viewer.user.is_none() {
            AppError::Unauthorized
        } else {
            AppError::Forbidden
        });
    }
    let pairs = parse_pairs(raw.as_deref().unwrap_or(""))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let id = get("id").ok_or_else(|| AppError::BadRequest("缺少批次号 id (missing id)".into()))?;
    let seq_text =
        get("seq").ok_or_else(|| AppError::BadRequest("缺少序号 seq (missing seq)".into()))?;
    let seq: u64 = seq_text
        .parse()
        .map_err(|_| bad("seq", &seq_text, "非负整数"))?;
    let format = match get("format") {
        Some(f) => Format::parse(&f).ok_or_else(|| bad("format", &f, "jsonl、csv 或 xlsx"))?,
        None => headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(Format::parse)
            .ok_or_else(|| {
                AppError::BadRequest(
                    "请用 format=jsonl|csv|xlsx 或 Content-Type 说明格式 (unknown format)".into(),
                )
            })?,
    };
    let unit = match get("unit") {
        Some(u) => MoneyUnit::parse(&u).ok_or_else(|| bad("unit", &u, "元、万元或亿元"))?,
        None => MoneyUnit::Wanyuan,
    };
    let by = viewer.actor();
    let outcome = st
        .blocking(move |lib| {
            Ok(crate::budget::execution::submit(
                lib,
                Submission {
                    id,
                    seq,
                    source: by.clone(),
                    by,
                    format,
                    unit,
                    bytes: &body,
                },
            )?)
        })
        .await?;
    if matches!(outcome, Outcome::Applied(_)) {
        // The dashboard's columns are rebuilt now, not on the next reader's first view.
        let lib = st.lib.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = lib.execution_cache().get(lib.store()) {
                tracing::warn!("the execution columns could not be built: {e}");
            }
        });
    }
    let (status, word) = match &outcome {
        Outcome::Applied(_) => (StatusCode::OK, "applied"),
        Outcome::Duplicate(_) => (StatusCode::OK, "duplicate"),
        Outcome::Rejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
    };
    let r = outcome.record();
    let note = super::auth::AuditNote(format!(
        "批次 {} 序号 {}：{word}，{} 行，错误 {}",
        r.id, r.seq, r.rows, r.error_count
    ));
    let mut v = summary(r);
    if let Some(o) = v.as_object_mut() {
        o.insert("outcome".into(), word.into());
    }
    let mut resp = (status, Json(v)).into_response();
    resp.extensions_mut().insert(note);
    Ok(resp)
}

/// `GET /api/feed/batches`: every batch record, newest first.
async fn batches_api(
    State(st): State<AppState>,
    viewer: Viewer,
) -> AppResult<Json<serde_json::Value>> {
    staff_only(&viewer)?;
    let mut records = st
        .blocking(|lib| Ok(lib.store().execution_batches()?))
        .await?;
    records.reverse();
    Ok(Json(serde_json::Value::Array(
        records.iter().map(summary).collect(),
    )))
}

/// The dashboard's parameters.
#[derive(Debug, Default)]
struct Params {
    query: ExecQuery,
    part: Part,
    download: Option<Download>,
}

/// Which table a download holds.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum Part {
    #[default]
    By,
    Subjects,
    Months,
    Findings,
}

const KEYS: &[&str] = &[
    "year",
    "month",
    "fund",
    "region",
    "department",
    "unit",
    "code",
];

impl Params {
    fn parse(raw: Option<&str>) -> AppResult<Params> {
        let mut p = Params::default();
        for (k, v) in parse_pairs(raw.unwrap_or(""))? {
            let v = v.trim().to_string();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "year" => {
                    p.query.year = Some(
                        v.parse()
                            .ok()
                            .filter(|y| (1990..=2100).contains(y))
                            .ok_or_else(|| bad("year", &v, "年份"))?,
                    )
                }
                "month" => {
                    p.query.month = Some(
                        v.parse()
                            .ok()
                            .filter(|m| (1..=12).contains(m))
                            .ok_or_else(|| bad("month", &v, "1–12"))?,
                    )
                }
                "fund" => {
                    p.query.fund =
                        Some(Fund::parse(&v).ok_or_else(|| {
                            bad("fund", &v, "一般公共预算、政府性基金预算等资金性质")
                        })?)
                }
                "region" => p.query.region = Some(v.chars().take(50).collect()),
                "department" => p.query.department = Some(v.chars().take(100).collect()),
                "unit" => p.query.unit = Some(v.chars().take(100).collect()),
                "code" => {
                    if !v.chars().all(|c| c.is_ascii_digit()) || ![3, 5, 7].contains(&v.len()) {
                        return Err(bad("code", &v, "3、5 或 7 位科目编码"));
                    }
                    p.query.code = Some(v)
                }
                "format" => p.download = Download::param(&v)?,
                "part" => {
                    p.part = match v.as_str() {
                        "by" => Part::By,
                        "subjects" => Part::Subjects,
                        "months" => Part::Months,
                        "findings" => Part::Findings,
                        _ => return Err(bad("part", &v, "by、subjects、months 或 findings")),
                    }
                }
                _ => {}
            }
        }
        Ok(p)
    }

    fn get(&self, k: &str) -> Option<String> {
        let q = &self.query;
        match k {
            "year" => q.year.map(|y| y.to_string()),
            "month" => q.month.map(|m| m.to_string()),
            "fund" => q.fund.map(|f| f.label().to_string()),
            "region" => q.region.clone(),
            "department" => q.department.clone(),
            "unit" => q.unit.clone(),
            "code" => q.code.clone(),
            _ => None,
        }
    }

    fn url_on(&self, path: &str, changes: &[(&str, Option<&str>)]) -> String {
        link(path, KEYS, |k| self.get(k), changes)
    }

    fn url_with(&self, changes: &[(&str, Option<&str>)]) -> String {
        self.url_on("/money/execution", changes)
    }
}

/// The dashboard and the findings within its filters.
struct Answer {
    dash: Dashboard,
    findings: Vec<PaceFinding>,
    batches: Vec<BatchRecord>,
    rows: usize,
}

async fn answer(st: &AppState, q: ExecQuery) -> AppResult<Answer> {
    st.blocking(move |lib| {
        let cols = lib.execution_cache().get(lib.store())?;
        let taxonomy = &lib.reference().taxonomy;
        let name = |c: &str| taxonomy.name(c).map(str::to_string);
        let dash = dashboard(&cols, &q, &name);
        let findings = match dash.year {
            Some(y) => review::findings(lib, Some(y), Some(dash.month))?
                .into_iter()
                .filter(|f| {
                    q.region.as_deref().is_none_or(|r| f.region.contains(r))
                        && q.department.as_deref().is_none_or(|d| f.department == d)
                        && q.unit.as_deref().is_none_or(|u| f.unit == u)
                        && q.code.as_deref().is_none_or(|c| f.code.starts_with(c))
                        && q.fund.is_none_or(|x| f.fund == x)
                })
                .collect(),
            None => Vec::new(),
        };
        let batches = lib.store().execution_batches()?;
        Ok(Answer {
            dash,
            findings,
            batches,
            rows: cols.rows,
        })
    })
    .await
}

/// `GET /api/money/execution`: the dashboard and its pace findings as JSON.
async fn api(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<serde_json::Value>> {
    staff_only(&viewer)?;
    let p = Params::parse(raw.as_deref())?;
    let a = answer(&st, p.query).await?;
    Ok(Json(serde_json::json!({
        "dashboard": a.dash,
        "findings": a.findings,
        "batches": a.batches.iter().filter(|b| b.status == BatchStatus::Applied).count(),
        "rows": a.rows,
    })))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |p| format!("{:.1}%", p * 100.0))
}

/// A line of a table as shown.
pub struct LineView {
    pub label: String,
    pub url: String,
    pub budget: String,
    pub adjustment: String,
    pub available: String,
    pub allocated: String,
    pub executed: String,
    pub progress: String,
    pub gap: String,
    /// The progress bar's width (0–100) and the time line's position.
    pub bar: u32,
    pub behind: bool,
}

impl LineView {
    fn of(l: &Line, url: String, margin: f64) -> LineView {
        let p = &l.progress;
        LineView {
            label: l.label.clone(),
            url,
            budget: wan(p.budget),
            adjustment: wan(p.adjustment),
            available: wan(p.available),
            allocated: wan(p.allocated),
            executed: wan(p.executed),
            progress: pct(p.progress),
            gap: p.gap.map_or("—".into(), |g| format!("{:+.1}", g * 100.0)),
            bar: p
                .progress
                .map_or(0, |v| (v * 100.0).clamp(0.0, 100.0).round() as u32),
            behind: p.gap.is_some_and(|g| g < -margin),
        }
    }
}

pub struct FindingView {
    pub key: String,
    pub severity: &'static str,
    pub rule_name: String,
    pub where_: String,
    pub message: String,
    pub months: String,
    pub status: &'static str,
    pub decided: bool,
    pub note: String,
    pub url: String,
}

pub struct BatchView {
    pub id: String,
    pub source: String,
    pub at: String,
    pub rows: usize,
    pub status: &'static str,
    pub problems: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "execution.html")]
pub struct ExecutionPage {
    pub chrome: Chrome,
    pub heading: String,
    pub summary: String,
    pub empty: bool,
    pub crumbs: Vec<LinkView>,
    pub years: Vec<LinkView>,
    pub months: Vec<LinkView>,
    pub funds: Vec<LinkView>,
    pub region: String,
    pub hidden: Vec<(String, String)>,
    pub by_label: &'static str,
    pub by: Vec<LineView>,
    pub subjects: Vec<LineView>,
    pub behind: Vec<LineView>,
    pub total: LineView,
    pub month_rows: Vec<(String, String, String, String, String)>,
    pub findings: Vec<FindingView>,
    pub findings_total: usize,
    pub batches: Vec<BatchView>,
    pub chart_json: String,
    pub echarts_url: &'static str,
    pub csv_url: String,
    pub xlsx_url: String,
    pub json_url: String,
    pub findings_csv_url: String,
    pub here: String,
}

#[derive(serde::Serialize)]
struct ChartData {
    months: Vec<String>,
    executed: Vec<f64>,
    progress: Vec<Option<f64>>,
    timeline: Vec<f64>,
}

/// Findings listed on the page (all are in the CSV and the JSON).
const FINDINGS_SHOWN: usize = 200;
/// Points behind the time line marked in the tables.
const MARGIN: f64 = 0.15;

async fn page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    staff_only(&viewer)?;
    let p = Params::parse(raw.as_deref())?;
    let a = answer(&st, p.query.clone()).await?;
    let d = &a.dash;
    if let Some(dl) = p.download {
        return Ok(download(&a, p.part, dl)?);
    }
    let year = d.year;
    let by_url = |l: &Line| {
        if d.by_label == "部门" {
            p.url_with(&[("department", Some(&l.key)), ("unit", None)])
        } else {
            p.url_with(&[("unit", Some(&l.key))])
        }
    };
    let by =
        d.by.iter()
            .map(|l| LineView::of(l, by_url(l), MARGIN))
            .collect();
    let subjects = d
        .subjects
        .iter()
        .map(|l| {
            let url = if l.key.len() < 7 && Some(&l.key) != p.query.code.as_ref() {
                p.url_with(&[("code", Some(&l.key))])
            } else {
                String::new()
            };
            LineView::of(l, url, MARGIN)
        })
        .collect();
    let behind = d
        .behind
        .iter()
        .map(|l| LineView::of(l, p.url_with(&[("unit", Some(&l.key))]), MARGIN))
        .collect();
    let total = LineView::of(
        &Line {
            key: String::new(),
            label: "合计".into(),
            progress: d.total,
        },
        String::new(),
        MARGIN,
    );
    let mut crumbs = vec![LinkView {
        label: "全部部门".into(),
        url: p.url_with(&[("department", None), ("unit", None)]),
        active: p.query.department.is_none() && p.query.unit.is_none(),
        count: 0,
    }];
    if let Some(dep) = &p.query.department {
        crumbs.push(LinkView {
            label: dep.clone(),
            url: p.url_with(&[("unit", None)]),
            active: p.query.unit.is_none(),
            count: 0,
        });
    }
    if let Some(u) = &p.query.unit {
        crumbs.push(LinkView {
            label: u.clone(),
            url: p.url_with(&[]),
            active: true,
            count: 0,
        });
    }
    let code_path: Vec<String> = p
        .query
        .code
        .as_deref()
        .map(|c| {
            [3, 5, 7]
                .iter()
                .filter(|n| **n <= c.len())
                .map(|n| c[..*n].to_string())
                .collect()
        })
        .unwrap_or_default();
    crumbs.push(LinkView {
        label: "全部科目".into(),
        url: p.url_with(&[("code", None)]),
        active: code_path.is_empty(),
        count: 0,
    });
    for (i, c) in code_path.iter().enumerate() {
        crumbs.push(LinkView {
            label: c.clone(),
            url: p.url_with(&[("code", Some(c))]),
            active: i + 1 == code_path.len(),
            count: 0,
        });
    }
    let years = d
        .years
        .iter()
        .map(|y| LinkView {
            label: format!("{y}年"),
            url: p.url_with(&[("year", Some(&y.to_string())), ("month", None)]),
            active: Some(*y) == year,
            count: 0,
        })
        .collect();
    let months = (1..=d.latest_month)
        .map(|m| LinkView {
            label: format!("{m}月"),
            url: p.url_with(&[("month", Some(&m.to_string()))]),
            active: m == d.month,
            count: 0,
        })
        .collect();
    let mut funds = vec![LinkView {
        label: "全部".into(),
        url: p.url_with(&[("fund", None)]),
        active: p.query.fund.is_none(),
        count: 0,
    }];
    funds.extend(Fund::ALL.iter().map(|f| LinkView {
        label: f.label().into(),
        url: p.url_with(&[("fund", Some(f.label()))]),
        active: p.query.fund == Some(*f),
        count: 0,
    }));
    let month_rows = d
        .months
        .iter()
        .map(|m| {
            (
                format!("{}月", m.month),
                wan(m.executed),
                wan(m.cumulative),
                pct(m.progress),
                pct(Some(m.timeline)),
            )
        })
        .collect();
    let chart = ChartData {
        months: d.months.iter().map(|m| format!("{}月", m.month)).collect(),
        executed: d.months.iter().map(|m| round2(m.executed)).collect(),
        progress: d
            .months
            .iter()
            .map(|m| m.progress.map(|v| round2(v * 100.0)))
            .collect(),
        timeline: d
            .months
            .iter()
            .map(|m| round2(m.timeline * 100.0))
            .collect(),
    };
    let here = p.url_with(&[]);
    let findings = a
        .findings
        .iter()
        .take(FINDINGS_SHOWN)
        .map(|f| FindingView {
            key: f.key.clone(),
            severity: f.severity.label(),
            rule_name: f.rule_name.clone(),
            where_: format!("{} · {} {} · {}", f.unit, f.code, f.subject, f.fund.label()),
            message: f.message.clone(),
            months: months_label(&f.months),
            status: f.status(),
            decided: f.decision.is_some(),
            note: f
                .decision
                .as_ref()
                .map(|d| format!("{}（{}）", d.note, d.by))
                .unwrap_or_default(),
            url: p.url_with(&[
                ("department", Some(&f.department)),
                ("unit", Some(&f.unit)),
                ("code", Some(&f.code)),
            ]),
        })
        .collect();
    let applied: Vec<&BatchRecord> = a
        .batches
        .iter()
        .filter(|b| b.status == BatchStatus::Applied)
        .collect();
    let summary = match year {
        Some(y) => format!(
            "{y}年截至{}月：时间进度 {}，支出进度 {}。数据来自 {} 个批次、{} 行（{}）。",
            d.month,
            pct(Some(d.timeline)),
            pct(d.total.progress),
            applied.len(),
            grouped(&a.rows.to_string()),
            {
                let mut sources: Vec<&str> = applied.iter().map(|b| b.source.as_str()).collect();
                sources.sort_unstable();
                sources.dedup();
                format!("来源：{}", sources.join("、"))
            }
        ),
        None => "还没有收到预算执行数据。".into(),
    };
    let batches = a
        .batches
        .iter()
        .rev()
        .take(8)
        .map(|b| BatchView {
            id: b.id.clone(),
            source: b.source.clone(),
            at: b.at.chars().take(19).collect::<String>().replace('T', " "),
            rows: b.rows,
            status: b.status.label(),
            problems: match (b.error_count, b.warning_count) {
                (0, 0) => String::new(),
                (0, w) => format!("{w} 条提醒"),
                (e, 0) => format!("{e} 处错误：{}", first_issue(b)),
                (e, w) => format!("{e} 处错误、{w} 条提醒：{}", first_issue(b)),
            },
        })
        .collect();
    let hidden = KEYS
        .iter()
        .filter(|k| **k != "region")
        .filter_map(|k| p.get(k).map(|v| (k.to_string(), v)))
        .collect();
    let download_url = |part: &str, f: &str| {
        super::params::with_query(p.url_with(&[])) + &format!("&part={part}&format={f}")
    };
    let heading = match (&p.query.unit, &p.query.department) {
        (Some(u), _) => format!("预算执行 · {u}"),
        (None, Some(dep)) => format!("预算执行 · {dep}"),
        _ => "预算执行（联网）".into(),
    };
    Ok(ExecutionPage {
        chrome: chrome(&st, heading.clone(), ""),
        heading,
        summary,
        empty: year.is_none(),
        crumbs,
        years,
        months,
        funds,
        region: p.query.region.clone().unwrap_or_default(),
        hidden,
        by_label: d.by_label,
        by,
        subjects,
        behind,
        total,
        month_rows,
        findings_total: a.findings.len(),
        findings,
        batches,
        chart_json: script_json(&chart)?,
        echarts_url: super::assets::ECHARTS_URL,
        csv_url: download_url("by", "csv"),
        xlsx_url: download_url("by", "xlsx"),
        json_url: p.url_on("/api/money/execution", &[]),
        findings_csv_url: download_url("findings", "csv"),
        here,
    }
    .into_response())
}

/// Months as read: 1–9月 when they run on, else 3月、5月.
fn months_label(months: &[u8]) -> String {
    match months {
        [] => String::new(),
        [m] => format!("{m}月"),
        [first, .., last] if months.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{first}–{last}月")
        }
        _ => months
            .iter()
            .map(|m| format!("{m}月"))
            .collect::<Vec<_>>()
            .join("、"),
    }
}

fn first_issue(b: &BatchRecord) -> String {
    b.errors
        .first()
        .map(|e| {
            if e.line > 0 {
                format!("第 {} 行 {}", e.line, e.message)
            } else {
                e.message.clone()
            }
        })
        .unwrap_or_default()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A table of the dashboard as CSV or XLSX.
fn download(a: &Answer, part: Part, d: Download) -> AppResult<Response> {
    let dash = &a.dash;
    let year = dash.year.map_or(String::new(), |y| format!("{y}年"));
    let progress_header = || {
        vec![
            "年初预算".to_string(),
            "调整".into(),
            "可用预算".into(),
            "下达".into(),
            "累计执行".into(),
            "执行进度(%)".into(),
            "与时间进度差(百分点)".into(),
        ]
    };
    let progress_cells = |l: &Line| {
        let p = &l.progress;
        vec![
            format!("{:.2}", p.budget),
            format!("{:.2}", p.adjustment),
            format!("{:.2}", p.available),
            format!("{:.2}", p.allocated),
            format!("{:.2}", p.executed),
            p.progress
                .map_or(String::new(), |v| format!("{:.1}", v * 100.0)),
            p.gap.map_or(String::new(), |v| format!("{:.1}", v * 100.0)),
        ]
    };
    let (title, rows, stem) = match part {
        Part::By | Part::Subjects => {
            let (first, lines, stem) = if part == Part::By {
                (dash.by_label.to_string(), &dash.by, "预算执行-单位")
            } else {
                ("科目".to_string(), &dash.subjects, "预算执行-科目")
            };
            let mut rows = vec![std::iter::once(first).chain(progress_header()).collect()];
            for l in lines {
                rows.push(
                    std::iter::once(l.label.clone())
                        .chain(progress_cells(l))
                        .collect::<Vec<String>>(),
                );
            }
            (
                format!("{year}截至{}月预算执行情况", dash.month),
                rows,
                stem,
            )
        }
        Part::Months => {
            let mut rows = vec![vec![
                "月份".to_string(),
                "当月执行".into(),
                "累计执行".into(),
                "执行进度(%)".into(),
                "时间进度(%)".into(),
            ]];
            for m in &dash.months {
                rows.push(vec![
                    format!("{}月", m.month),
                    format!("{:.2}", m.executed),
                    format!("{:.2}", m.cumulative),
                    m.progress
                        .map_or(String::new(), |v| format!("{:.1}", v * 100.0)),
                    format!("{:.1}", m.timeline * 100.0),
                ]);
            }
            (format!("{year}逐月执行"), rows, "预算执行-逐月")
        }
        Part::Findings => {
            let mut rows = vec![vec![
                "级别".to_string(),
                "规则".into(),
                "部门".into(),
                "预算单位".into(),
                "科目".into(),
                "科目名称".into(),
                "资金性质".into(),
                "月份".into(),
                "说明".into(),
                "状态".into(),
            ]];
            for f in &a.findings {
                rows.push(vec![
                    f.severity.label().to_string(),
                    f.rule_name.clone(),
                    f.department.clone(),
                    f.unit.clone(),
                    f.code.clone(),
                    f.subject.clone(),
                    f.fund.label().to_string(),
                    f.months
                        .iter()
                        .map(|m| m.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    f.message.clone(),
                    f.status().to_string(),
                ]);
            }
            (
                format!("{year}截至{}月执行预警", dash.month),
                rows,
                "预算执行-预警",
            )
        }
    };
    let mut table = crate::budget::Table::from_texts(title, rows);
    if part != Part::Findings {
        table.unit = Some("单位：万元".into());
    }
    super::budget::table_file(&table, d, stem)
}

/// A decision on a pace finding: `op` is confirm, dismiss or undo; `back` the page to return to.
#[derive(Debug, serde::Deserialize)]
pub struct DecisionIn {
    pub key: String,
    pub op: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub back: String,
}

async fn apply(
    st: &AppState,
    viewer: &Viewer,
    input: &DecisionIn,
) -> AppResult<Option<crate::budget::checks::Decision>> {
    staff_only(viewer)?;
    let verdict = Verdict::from_op(&input.op)
        .ok_or_else(|| bad("op", &input.op, "confirm、dismiss 或 undo"))?;
    let by = viewer.actor();
    let key = input.key.clone();
    let note = input.note.clone();
    st.blocking(move |lib| Ok(review::decide(lib, &key, verdict, &note, &by)?))
        .await
}

async fn decide_form(
    State(st): State<AppState>,
    viewer: Viewer,
    form: Result<Form<DecisionIn>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(input) = form?;
    apply(&st, &viewer, &input).await?;
    // Only back to the dashboard itself.
    let back = if input.back.starts_with("/money/execution") && !input.back.contains("//") {
        input.back.clone()
    } else {
        "/money/execution".into()
    };
    Ok(Redirect::to(&format!("{back}#findings")).into_response())
}

async fn decide_api(
    State(st): State<AppState>,
    viewer: Viewer,
    body: Result<Json<DecisionIn>, JsonRejection>,
) -> AppResult<Json<Option<crate::budget::checks::Decision>>> {
    let Json(input) = body.map_err(|e| {
        AppError::BadRequest(format!("请求内容无法读取：{} (bad JSON)", e.body_text()))
    })?;
    Ok(Json(apply(&st, &viewer, &input).await?))
}
