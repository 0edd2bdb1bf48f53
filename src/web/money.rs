//! 资金 on the web: the drill-down 类 → 款 → 项 → units of `budget::views` as a table or an ECharts bar chart
//! (`/money`, the choice kept in the URL with every filter), its CSV and XLSX download, and `GET /api/money`
//! with the same parameters, all computed in the reader's scope.

use super::AppState;
use super::assets::ECHARTS_URL;
use super::budget::{Download, Show, stage_param, table_param};
use super::error::{AppError, AppResult};
use super::pages::{Chrome, LinkView, PageError, chrome};
use super::params::{bad, encode_component, link, parse_pairs, script_json, with_query};
use crate::auth::Viewer;
use crate::budget::views::{self, Amounts, Level, MoneyRow, MoneyView, Selection};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// The 资金 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/money", get(page))
        .route("/api/money", get(api))
}

/// The parameters of `/money` and `/api/money`, as given (kept as text for the links) and as parsed.
#[derive(Debug, Clone, Default)]
struct Params {
    code: Option<String>,
    year: Option<String>,
    compare: Option<String>,
    unit: Option<String>,
    region: Option<String>,
    stage: Option<String>,
    table: Option<String>,
    column: Option<String>,
    /// `economic` for the economic classification.
    class: Option<String>,
    show: Show,
    download: Option<Download>,
}

/// The keys a link carries, in URL order.
const KEYS: [&str; 10] = [
    "class", "code", "year", "compare", "unit", "region", "stage", "table", "column", "view",
];

impl Params {
    fn parse(raw: Option<&str>) -> AppResult<Params> {
        let mut p = Params::default();
        for (k, v) in parse_pairs(raw.unwrap_or_default())? {
            let text = Some(v.trim().to_string()).filter(|s| !s.is_empty());
            match k.as_str() {
                "code" => p.code = text,
                "year" => p.year = text,
                "compare" => p.compare = text,
                "unit" => p.unit = text,
                "region" => p.region = text,
                "stage" => p.stage = text,
                "table" => p.table = text,
                "column" => p.column = text,
                "class" => {
                    p.class = match v.trim() {
                        "" | "functional" => None,
                        "economic" => Some("economic".into()),
                        other => return Err(bad("class", other, "functional 或 economic")),
                    }
                }
                "view" => p.show = Show::param(&v)?,
                "format" => p.download = Download::param(&v)?,
                other => {
                    return Err(AppError::BadRequest(format!(
                        "未知参数 {other} (unknown parameter)"
                    )));
                }
            }
        }
        Ok(p)
    }

    /// The library's selection.
    fn selection(&self) -> AppResult<Selection> {
        let year = |key: &str, v: &Option<String>| -> AppResult<Option<i32>> {
            v.as_deref()
                .map(|y| y.parse::<i32>().map_err(|_| bad(key, y, "年份")))
                .transpose()
        };
        let economic = self.class.is_some();
        if let Some(c) = &self.code {
            let length = matches!(c.len(), 3 | 5) || (c.len() == 7 && !economic);
            if !length || !c.bytes().all(|b| b.is_ascii_digit()) {
                return Err(if economic {
                    bad("code", c, "3 或 5 位经济分类编码")
                } else {
                    bad("code", c, "3、5 或 7 位科目编码")
                });
            }
        }
        Ok(Selection {
            code: self.code.clone(),
            year: year("year", &self.year)?,
            compare: year("compare", &self.compare)?,
            unit: self.unit.clone(),
            region: self.region.clone(),
            stage: stage_param(self.stage.as_deref())?,
            table: table_param(self.table.as_deref())?,
            column: self.column.clone(),
            economic,
        })
    }

    fn get(&self, key: &str) -> Option<String> {
        match key {
            "code" => self.code.clone(),
            "year" => self.year.clone(),
            "compare" => self.compare.clone(),
            "unit" => self.unit.clone(),
            "region" => self.region.clone(),
            "stage" => self.stage.clone(),
            "table" => self.table.clone(),
            "column" => self.column.clone(),
            "class" => self.class.clone(),
            "view" => (self.show == Show::Chart).then(|| "chart".to_string()),
            _ => None,
        }
    }

    /// The page's URL with some keys set (`Some`) or cleared (`None`), the others kept.
    fn url_with(&self, changes: &[(&str, Option<&str>)]) -> String {
        self.url_on("/money", changes)
    }

    fn url_on(&self, path: &str, changes: &[(&str, Option<&str>)]) -> String {
        link(path, &KEYS, |k| self.get(k), changes)
    }
}

/// `GET /api/money`: the view as JSON (`view` and `format` are the page's and are ignored here).
async fn api(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<MoneyView>> {
    let sel = Params::parse(raw.as_deref())?.selection()?;
    let scope = viewer.scope();
    Ok(Json(
        st.blocking(move |lib| Ok(views::money(lib, &sel, &scope)?))
            .await?,
    ))
}

pub(super) use super::params::wan;

pub(super) fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "—".into())
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(v) if v > 0.0 => format!("+{}", wan(v)),
        Some(v) => wan(v),
        None => "—".into(),
    }
}

/// One row as the page prints it.
#[derive(Debug, Clone)]
pub struct RowView {
    pub code: String,
    pub name: String,
    /// Where the name leads: the next level down, or the unit's own view.
    pub url: String,
    pub amount: String,
    pub previous: String,
    pub change: String,
    /// up, down or empty.
    pub trend: &'static str,
    pub growth: String,
    pub share: String,
    /// The share as a bar width (0–100).
    pub bar: u32,
    /// A unit's amount in its document: the cell's URL and what it is (表 · 第 N 页).
    pub source: Option<(String, String)>,
}

impl RowView {
    fn of(r: &MoneyRow, url: String) -> RowView {
        let a = &r.amounts;
        RowView {
            code: r.code.clone().unwrap_or_default(),
            name: r.name.clone(),
            url,
            amount: a.amount.map(wan).unwrap_or_else(|| "—".into()),
            previous: a.previous.map(wan).unwrap_or_else(|| "—".into()),
            change: signed(a.change),
            trend: trend(a),
            growth: percent(a.growth),
            share: percent(r.share),
            bar: r.share.map_or(0, |s| s.clamp(0.0, 100.0).round() as u32),
            source: r.source.as_ref().map(|s| {
                (
                    format!(
                        "{}#{}",
                        super::markup::document_url(s.doc_id.as_str(), ""),
                        s.cell
                    ),
                    match s.page {
                        Some(p) => format!("{} · 第{p}页", s.table),
                        None => s.table.clone(),
                    },
                )
            }),
        }
    }
}

fn trend(a: &Amounts) -> &'static str {
    match a.change {
        Some(c) if c > 0.0 => "up",
        Some(c) if c < 0.0 => "down",
        _ => "",
    }
}

/// The data of the chart, embedded in the page as JSON.
#[derive(Debug, serde::Serialize)]
struct ChartData {
    labels: Vec<String>,
    urls: Vec<String>,
    series: Vec<ChartSeries>,
    axis: &'static str,
    title: String,
    /// Rows left out of the chart (it shows the largest).
    omitted: usize,
}

#[derive(Debug, serde::Serialize)]
struct ChartSeries {
    name: String,
    data: Vec<Option<f64>>,
}

/// At most this many bars; the table keeps every row.
const CHART_ROWS: usize = 40;

#[derive(Template, WebTemplate)]
#[template(path = "money.html")]
pub struct MoneyPage {
    pub chrome: Chrome,
    pub heading: String,
    pub crumbs: Vec<LinkView>,
    pub summary: String,
    pub level: &'static str,
    pub first_column: &'static str,
    pub year_label: String,
    pub compare_label: String,
    pub rows: Vec<RowView>,
    pub total: RowView,
    /// The opened subject's own amount, when the rows do not add up to it.
    pub parent_note: Option<String>,
    pub filters: Vec<FilterView>,
    pub unit: Option<String>,
    pub region: Option<String>,
    pub unit_clear: String,
    /// The hidden fields of the unit form (every other parameter).
    pub hidden: Vec<(String, String)>,
    pub table_url: String,
    pub chart_url: String,
    pub chart: bool,
    pub chart_json: String,
    pub chart_note: Option<String>,
    pub echarts_url: &'static str,
    pub csv_url: String,
    pub xlsx_url: String,
    pub json_url: String,
    /// The same subject, unit, stage and table in the comparison across years and units.
    pub compare_url: String,
}

/// One filter with its values as links.
#[derive(Debug, Clone)]
pub struct FilterView {
    pub label: &'static str,
    pub values: Vec<LinkView>,
}

/// The title of a view, as the page heading and the downloaded table's title.
fn title_of(v: &MoneyView) -> String {
    let mut t = String::new();
    if let Some(y) = v.year {
        t.push_str(&format!("{y}年"));
    }
    if let Some(s) = v.stage {
        t.push_str(s.label());
    }
    t.push_str(&format!("{} · {}", v.table.label(), v.column));
    if v.economic {
        t.push_str(" · 经济分类");
    }
    match v.path.last() {
        Some(c) => t.push_str(&format!(" · {} {} 按{}", c.code, c.name, v.level.label())),
        None => t.push_str(" · 按类"),
    }
    if let Some(u) = &v.unit {
        t.push_str(&format!(" · 单位含「{u}」"));
    }
    if let Some(r) = &v.region {
        t.push_str(&format!(" · 地区含「{r}」"));
    }
    t
}

/// `GET /money`: the page, or its table as `format=csv|xlsx`.
async fn page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref())?;
    let sel = params.selection()?;
    let scope = viewer.scope();
    let v = st
        .blocking(move |lib| Ok(views::money(lib, &sel, &scope)?))
        .await?;
    if let Some(d) = params.download {
        return download(&v, d);
    }
    let year_label = v.year.map_or("本年".into(), |y| format!("{y}年"));
    let compare_label = v.compare.map_or("上年".into(), |y| format!("{y}年"));
    let row_url = |r: &MoneyRow| match (&r.code, v.level) {
        (Some(code), _) => params.url_with(&[("code", Some(code))]),
        (None, _) => params.url_with(&[("code", None), ("unit", Some(&r.name))]),
    };
    let rows: Vec<RowView> = v.rows.iter().map(|r| RowView::of(r, row_url(r))).collect();
    let total = RowView::of(
        &MoneyRow {
            code: None,
            name: "合计".into(),
            source: None,
            amounts: v.total,
            share: v
                .total
                .amount
                .is_some()
                .then_some(100.0)
                .filter(|_| v.parent.is_none()),
        },
        String::new(),
    );
    let parent_note = v.parent.and_then(|p| {
        let differs = match (p.amount, v.total.amount) {
            (Some(a), Some(b)) => (a - b).abs() > 0.005,
            (a, b) => a.is_some() != b.is_some(),
        };
        differs.then(|| {
            format!(
                "表中该科目本身的金额为 {} 万元，与下级合计不同（有的文件未列下级科目）；占比按该科目金额计算。",
                p.amount.map(wan).unwrap_or_else(|| "—".into())
            )
        })
    });
    let mut crumbs = vec![LinkView {
        label: "全部类".into(),
        url: params.url_with(&[("code", None)]),
        active: v.path.is_empty(),
        count: 0,
    }];
    for (i, c) in v.path.iter().enumerate() {
        crumbs.push(LinkView {
            label: format!("{} {}", c.code, c.name),
            url: params.url_with(&[("code", Some(&c.code))]),
            active: i + 1 == v.path.len(),
            count: 0,
        });
    }
    let filters = filters(&v, &params);
    let chart_rows: Vec<&MoneyRow> = v.rows.iter().take(CHART_ROWS).collect();
    let chart = ChartData {
        labels: chart_rows
            .iter()
            .map(|r| match &r.code {
                Some(c) => format!("{c} {}", r.name),
                None => r.name.clone(),
            })
            .collect(),
        urls: chart_rows.iter().map(|r| row_url(r)).collect(),
        series: vec![
            ChartSeries {
                name: year_label.clone(),
                data: chart_rows.iter().map(|r| r.amounts.amount).collect(),
            },
            ChartSeries {
                name: compare_label.clone(),
                data: chart_rows.iter().map(|r| r.amounts.previous).collect(),
            },
        ],
        axis: "万元",
        title: title_of(&v),
        omitted: v.rows.len().saturating_sub(CHART_ROWS),
    };
    let chart_json = script_json(&chart)?;
    let hidden = KEYS
        .iter()
        .filter(|&&k| k != "unit" && k != "region")
        .filter_map(|&k| params.get(k).map(|v| (k.to_string(), v)))
        .collect();
    let mut summary = format!(
        "本级金额来自 {} {} 个文件，对比 {} {} 个文件。金额单位：万元。",
        year_label, v.total.documents, compare_label, v.total.previous_documents
    );
    if v.year.is_none() {
        summary = "没有可用的金额：所选范围内没有带科目编码的预算、决算表格。".into();
    }
    Ok(MoneyPage {
        chrome: chrome(&st, "资金", ""),
        heading: title_of(&v),
        crumbs,
        summary,
        level: v.level.label(),
        first_column: if v.level == Level::Unit {
            "单位"
        } else {
            "科目"
        },
        year_label,
        compare_label,
        rows,
        total,
        parent_note,
        filters,
        unit: v.unit.clone(),
        region: v.region.clone(),
        unit_clear: params.url_with(&[("unit", None), ("region", None)]),
        hidden,
        table_url: params.url_with(&[("view", None)]),
        chart_url: params.url_with(&[("view", Some("chart"))]),
        chart: params.show == Show::Chart,
        chart_note: (chart.omitted > 0).then(|| {
            format!(
                "图中为前 {CHART_ROWS} 项，其余 {} 项见下表。",
                chart.omitted
            )
        }),
        chart_json,
        echarts_url: ECHARTS_URL,
        csv_url: format!("{}&format=csv", with_query(params.url_with(&[]))),
        xlsx_url: format!("{}&format=xlsx", with_query(params.url_with(&[]))),
        json_url: params.url_on("/api/money", &[("view", None)]),
        compare_url: if v.economic {
            String::new()
        } else {
            compare_url(&params, v.level)
        },
    }
    .into_response())
}

/// The comparison of the shown level across years (`/money/compare`): units under a 项, else the subjects.
fn compare_url(p: &Params, level: Level) -> String {
    let mut q = vec![format!(
        "rows={}",
        if level == Level::Unit {
            "unit"
        } else {
            "subject"
        }
    )];
    for (key, value) in [
        ("code", &p.code),
        ("units", &p.unit),
        ("region", &p.region),
        ("stage", &p.stage),
        ("table", &p.table),
        ("column", &p.column),
    ] {
        if let Some(v) = value {
            q.push(format!("{key}={}", encode_component(v)));
        }
    }
    format!("/money/compare?{}", q.join("&"))
}

/// The filters as links: year, stage, table and column, each value with its number of documents.
fn filters(v: &MoneyView, p: &Params) -> Vec<FilterView> {
    let link = |label: String, url: String, active: bool, count: usize| LinkView {
        label,
        url,
        active,
        count: count as u64,
    };
    vec![
        FilterView {
            label: "分类",
            values: [(false, "功能分类"), (true, "经济分类")]
                .into_iter()
                .map(|(economic, label)| {
                    // Another classification starts again from its 类, with its own default table.
                    let class = economic.then_some("economic");
                    link(
                        label.into(),
                        p.url_with(&[
                            ("class", class),
                            ("code", None),
                            ("table", None),
                            ("column", None),
                        ]),
                        v.economic == economic,
                        0,
                    )
                })
                .collect(),
        },
        FilterView {
            label: "年度",
            values: v
                .years
                .iter()
                .map(|y| {
                    let s = y.value.to_string();
                    link(
                        format!("{}年", y.value),
                        p.url_with(&[("year", Some(&s)), ("compare", None)]),
                        v.year == Some(y.value),
                        y.documents,
                    )
                })
                .collect(),
        },
        FilterView {
            label: "阶段",
            values: v
                .stages
                .iter()
                .map(|s| {
                    link(
                        s.value.label().into(),
                        p.url_with(&[("stage", Some(s.value.label()))]),
                        v.stage == Some(s.value),
                        s.documents,
                    )
                })
                .collect(),
        },
        FilterView {
            label: "表",
            values: v
                .tables
                .iter()
                .map(|t| {
                    link(
                        t.value.label().into(),
                        p.url_with(&[("table", Some(t.value.label())), ("column", None)]),
                        v.table == t.value,
                        t.documents,
                    )
                })
                .collect(),
        },
        FilterView {
            label: "栏目",
            values: v
                .columns
                .iter()
                .map(|c| {
                    link(
                        c.value.clone(),
                        p.url_with(&[("column", Some(&c.value))]),
                        v.column == c.value,
                        c.documents,
                    )
                })
                .collect(),
        },
    ]
}

/// The shown table as a file: a title line, the unit, the header, the rows and the total.
fn download(v: &MoneyView, d: Download) -> Result<Response, PageError> {
    let plain = |x: Option<f64>| x.map(|x| format!("{x:.2}")).unwrap_or_default();
    let year = v.year.map_or("本年".into(), |y| format!("{y}年"));
    let compare = v.compare.map_or("上年".into(), |y| format!("{y}年"));
    let first = if v.level == Level::Unit {
        "单位"
    } else {
        "科目编码"
    };
    let mut rows = vec![vec![
        first.to_string(),
        "名称".into(),
        year,
        compare,
        "增减".into(),
        "增长率（%）".into(),
        "占比（%）".into(),
    ]];
    let line = |code: String, name: String, a: &Amounts, share: Option<f64>| {
        vec![
            code,
            name,
            plain(a.amount),
            plain(a.previous),
            plain(a.change),
            plain(a.growth),
            plain(share),
        ]
    };
    for r in &v.rows {
        let (code, name) = match &r.code {
            Some(c) => (c.clone(), r.name.clone()),
            None => (r.name.clone(), String::new()),
        };
        rows.push(line(code, name, &r.amounts, r.share));
    }
    rows.push(line(String::new(), "合计".into(), &v.total, None));
    let mut table = crate::budget::Table::from_texts(title_of(v), rows);
    table.unit = Some("单位：万元".into());
    let name = match v.path.last() {
        Some(c) => format!("资金-{}-{}", c.code, v.level.label()),
        None => "资金-类".to_string(),
    };
    Ok(super::budget::table_file(&table, d, &name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands_with_two_decimals() {
        assert_eq!(wan(1234567.891), "1,234,567.89");
        assert_eq!(wan(-1234.5), "-1,234.50");
        assert_eq!(wan(12.0), "12.00");
        assert_eq!(wan(-0.001), "0.00");
        assert_eq!(signed(Some(5.0)), "+5.00");
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn links_keep_the_other_parameters_and_change_one() {
        let p = Params::parse(Some("year=2024&unit=%E6%95%99%E8%82%B2&view=chart")).unwrap();
        assert_eq!(
            p.url_with(&[("code", Some("205"))]),
            "/money?code=205&year=2024&unit=%E6%95%99%E8%82%B2&view=chart"
        );
        assert_eq!(
            p.url_with(&[("view", None), ("unit", None)]),
            "/money?year=2024"
        );
        assert!(Params::parse(Some("view=pie")).is_err());
        assert!(
            Params::parse(Some("code=20x"))
                .unwrap()
                .selection()
                .is_err()
        );
        assert!(
            Params::parse(Some("table=%E5%90%84%E8%A1%A8"))
                .unwrap()
                .selection()
                .is_err()
        );
    }
}
