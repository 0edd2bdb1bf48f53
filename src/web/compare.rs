//! 对比分析 on the web: the pivot of `budget::pivot` (units × subjects × years, any two on the axes) as a table
//! or an ECharts chart (`/money/compare`, every choice in the URL), showing the amount, the growth on the year
//! before, the share, the budget or the 完成率; its CSV and XLSX download, and `GET /api/money/compare` with
//! the same parameters, all computed in the reader's scope.

use super::AppState;
use super::assets::ECHARTS_URL;
use super::budget::{Download, Show, stage_param, table_param};
use super::error::{AppError, AppResult};
use super::money::{percent, wan};
use super::pages::{Chrome, LinkView, PageError, chrome};
use super::params::{bad, link, parse_pairs, script_json, with_query};
use crate::auth::Viewer;
use crate::budget::pivot::{self, Dim, Pivot, PivotCell, PivotSelection};
use crate::budget::recognise::TableKind;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// The 对比分析 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/money/compare", get(page))
        .route("/api/money/compare", get(api))
}

/// What each cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Measure {
    #[default]
    Amount,
    Growth,
    Share,
    Budget,
    Rate,
}

impl Measure {
    const ALL: [Measure; 5] = [
        Measure::Amount,
        Measure::Growth,
        Measure::Share,
        Measure::Budget,
        Measure::Rate,
    ];

    fn key(self) -> &'static str {
        match self {
            Measure::Amount => "amount",
            Measure::Growth => "growth",
            Measure::Share => "share",
            Measure::Budget => "budget",
            Measure::Rate => "rate",
        }
    }

    fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.key() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::Amount => "金额",
            Measure::Growth => "比上年增长",
            Measure::Share => "占比",
            Measure::Budget => "年初预算",
            Measure::Rate => "完成率",
        }
    }

    /// The unit of the shown values.
    fn unit(self) -> &'static str {
        match self {
            Measure::Amount | Measure::Budget => "万元",
            _ => "%",
        }
    }

    fn of(self, c: &PivotCell) -> Option<f64> {
        match self {
            Measure::Amount => c.amount,
            Measure::Growth => c.growth,
            Measure::Share => c.share,
            Measure::Budget => c.budget,
            Measure::Rate => c.rate,
        }
    }

    /// The value as the page prints it.
    fn show(self, c: &PivotCell) -> String {
        match (self.unit(), self.of(c)) {
            (_, None) => "—".into(),
            ("万元", Some(v)) => wan(v),
            (_, v) => percent(v),
        }
    }
}

/// The parameters of `/money/compare`, as given (for the links) and as parsed.
#[derive(Debug, Clone, Default)]
struct Params {
    rows: Option<String>,
    cols: Option<String>,
    code: Option<String>,
    years: Option<String>,
    units: Option<String>,
    region: Option<String>,
    stage: Option<String>,
    table: Option<String>,
    column: Option<String>,
    measure: Measure,
    show: Show,
    download: Option<Download>,
}

/// The keys a link carries, in URL order.
const KEYS: [&str; 11] = [
    "rows", "cols", "code", "years", "units", "region", "stage", "table", "column", "measure",
    "view",
];

/// At most this many years in a range (`2000-2030`).
const MAX_YEARS: usize = 50;

/// Years as a list (`2022,2024`) or a range (`2015-2024`).
fn parse_years(s: &str) -> AppResult<Vec<i32>> {
    let mut out = Vec::new();
    for part in s
        .split([',', '，', '、', ' '])
        .filter(|p| !p.trim().is_empty())
    {
        let year = |y: &str| {
            y.trim()
                .trim_end_matches('年')
                .parse::<i32>()
                .ok()
                .filter(|y| (1949..=2100).contains(y))
                .ok_or_else(|| bad("years", s, "年份列表（如 2023,2024）或范围（如 2015-2024）"))
        };
        match part.split_once(['-', '–', '~', '至']) {
            Some((a, b)) => {
                let (a, b) = (year(a)?, year(b)?);
                if b < a || (b - a) as usize >= MAX_YEARS {
                    return Err(bad("years", s, &format!("不超过 {MAX_YEARS} 年的范围")));
                }
                out.extend(a..=b);
            }
            None => out.push(year(part)?),
        }
        if out.len() > MAX_YEARS {
            return Err(bad("years", s, &format!("不超过 {MAX_YEARS} 个年份")));
        }
    }
    Ok(out)
}

impl Params {
    fn parse(raw: Option<&str>) -> AppResult<Params> {
        let mut p = Params::default();
        for (k, v) in parse_pairs(raw.unwrap_or_default())? {
            let text = Some(v.trim().to_string()).filter(|s| !s.is_empty());
            match k.as_str() {
                "rows" => p.rows = text,
                "cols" => p.cols = text,
                "code" => p.code = text,
                "years" => p.years = text,
                "units" => p.units = text,
                "region" => p.region = text,
                "stage" => p.stage = text,
                "table" => p.table = text,
                "column" => p.column = text,
                "measure" => {
                    p.measure = match v.trim() {
                        "" => Measure::Amount,
                        m => Measure::parse(m).ok_or_else(|| {
                            bad("measure", m, "amount、growth、share、budget 或 rate")
                        })?,
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

    fn selection(&self) -> AppResult<PivotSelection> {
        let dim = |key: &str, v: &Option<String>, default: Dim| -> AppResult<Dim> {
            v.as_deref().map_or(Ok(default), |s| {
                Dim::from_key(s).ok_or_else(|| bad(key, s, "unit、subject 或 year"))
            })
        };
        let rows = dim("rows", &self.rows, Dim::Subject)?;
        let cols = dim(
            "cols",
            &self.cols,
            if rows == Dim::Year {
                Dim::Subject
            } else {
                Dim::Year
            },
        )?;
        if rows == cols {
            return Err(bad("cols", cols.key(), "与行不同的维度"));
        }
        if let Some(c) = &self.code
            && !(matches!(c.len(), 3 | 5 | 7) && c.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad("code", c, "3、5 或 7 位科目编码"));
        }
        Ok(PivotSelection {
            rows,
            cols,
            code: self.code.clone(),
            years: self
                .years
                .as_deref()
                .map(parse_years)
                .transpose()?
                .unwrap_or_default(),
            units: self
                .units
                .as_deref()
                .map(|u| {
                    u.split([',', '，', '、'])
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .take(pivot::MAX_HEADERS)
                        .collect()
                })
                .unwrap_or_default(),
            region: self.region.clone(),
            stage: stage_param(self.stage.as_deref())?,
            table: table_param(self.table.as_deref())?,
            column: self.column.clone(),
        })
    }

    fn get(&self, key: &str) -> Option<String> {
        match key {
            "rows" => self.rows.clone(),
            "cols" => self.cols.clone(),
            "code" => self.code.clone(),
            "years" => self.years.clone(),
            "units" => self.units.clone(),
            "region" => self.region.clone(),
            "stage" => self.stage.clone(),
            "table" => self.table.clone(),
            "column" => self.column.clone(),
            "measure" => (self.measure != Measure::Amount).then(|| self.measure.key().to_string()),
            "view" => (self.show == Show::Chart).then(|| "chart".to_string()),
            _ => None,
        }
    }

    /// The URL with some keys set (`Some`) or cleared (`None`), the others kept.
    fn url_on(&self, path: &str, changes: &[(&str, Option<&str>)]) -> String {
        link(path, &KEYS, |k| self.get(k), changes)
    }

    fn url_with(&self, changes: &[(&str, Option<&str>)]) -> String {
        self.url_on("/money/compare", changes)
    }
}

/// `GET /api/money/compare`: the pivot as JSON (`view`, `measure` and `format` are the page's).
async fn api(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<Pivot>> {
    let sel = Params::parse(raw.as_deref())?.selection()?;
    let scope = viewer.scope();
    Ok(Json(
        st.blocking(move |lib| Ok(pivot::pivot(lib, &sel, &scope)?))
            .await?,
    ))
}

/// A header of the table, with where it leads.
#[derive(Debug, Clone)]
pub struct HeadView {
    pub label: String,
    pub url: Option<String>,
}

/// One row as the page prints it.
#[derive(Debug, Clone)]
pub struct GridRow {
    pub head: HeadView,
    pub cells: Vec<CellView>,
    pub total: CellView,
}

#[derive(Debug, Clone)]
pub struct CellView {
    pub text: String,
    /// What a pointer over the cell tells: every figure of the cell.
    pub detail: String,
    /// up, down or empty (by the growth).
    pub trend: &'static str,
}

impl CellView {
    fn of(m: Measure, c: &PivotCell) -> CellView {
        let mut detail = Vec::new();
        if let Some(a) = c.amount {
            detail.push(format!("金额 {} 万元", wan(a)));
        }
        if let Some(p) = c.previous {
            detail.push(format!("上年 {} 万元", wan(p)));
        }
        if c.growth.is_some() {
            detail.push(format!("增长 {}", percent(c.growth)));
        }
        if c.share.is_some() {
            detail.push(format!("占比 {}", percent(c.share)));
        }
        if let Some(b) = c.budget {
            detail.push(format!("年初预算 {} 万元", wan(b)));
        }
        if c.rate.is_some() {
            detail.push(format!("完成率 {}", percent(c.rate)));
        }
        if c.documents > 0 {
            detail.push(format!("{} 个文件", c.documents));
        }
        CellView {
            text: m.show(c),
            detail: detail.join("；"),
            trend: match c.growth {
                Some(g) if g > 0.0 && m == Measure::Growth => "up",
                Some(g) if g < 0.0 && m == Measure::Growth => "down",
                _ => "",
            },
        }
    }
}

/// The chart's data, embedded in the page as JSON.
#[derive(Debug, serde::Serialize)]
struct ChartData {
    /// line (years along the axis) or bar.
    kind: &'static str,
    labels: Vec<String>,
    urls: Vec<Option<String>>,
    series: Vec<ChartSeries>,
    axis: String,
    omitted: usize,
}

#[derive(Debug, serde::Serialize)]
struct ChartSeries {
    name: String,
    data: Vec<Option<f64>>,
}

/// At most this many categories and series in the chart; the table keeps all.
const CHART_ROWS: usize = 40;
const CHART_SERIES: usize = 12;

#[derive(Template, WebTemplate)]
#[template(path = "compare.html")]
pub struct ComparePage {
    pub chrome: Chrome,
    pub heading: String,
    pub summary: String,
    pub crumbs: Vec<LinkView>,
    pub axes: Vec<(&'static str, Vec<LinkView>)>,
    pub swap_url: String,
    pub filters: Vec<(&'static str, Vec<LinkView>)>,
    pub measures: Vec<LinkView>,
    pub hidden: Vec<(String, String)>,
    pub years: String,
    pub units: String,
    pub region: String,
    pub corner: String,
    pub cols: Vec<HeadView>,
    pub rows: Vec<GridRow>,
    pub totals: Vec<CellView>,
    pub grand: CellView,
    pub omitted: Option<String>,
    pub unit_label: &'static str,
    pub table_url: String,
    pub chart_url: String,
    pub chart: bool,
    pub chart_json: String,
    pub echarts_url: &'static str,
    pub csv_url: String,
    pub xlsx_url: String,
    pub json_url: String,
}

/// The title of a pivot: what is compared, in which measure.
fn title_of(p: &Pivot, m: Measure) -> String {
    let mut t = String::new();
    if let Some(s) = p.stage {
        t.push_str(s.label());
    }
    t.push_str(&format!("{} · {}", p.table.label(), p.column));
    match p.path.last() {
        Some(c) => t.push_str(&format!(" · {} {}", c.code, c.name)),
        None => t.push_str(" · 全部科目"),
    }
    t.push_str(&format!(
        " · {}×{} · {}",
        p.rows_dim.label(),
        p.cols_dim.label(),
        m.label()
    ));
    if p.rows_dim != Dim::Year
        && p.cols_dim != Dim::Year
        && let [y] = p.years.as_slice()
    {
        t.push_str(&format!(" · {y}年"));
    }
    if !p.units.is_empty() {
        t.push_str(&format!(" · 单位含「{}」", p.units.join("、")));
    }
    if let Some(r) = &p.region {
        t.push_str(&format!(" · 地区含「{r}」"));
    }
    t
}

/// `GET /money/compare`: the page, or its table as `format=csv|xlsx`.
async fn page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref())?;
    let sel = params.selection()?;
    let scope = viewer.scope();
    let p = st
        .blocking(move |lib| Ok(pivot::pivot(lib, &sel, &scope)?))
        .await?;
    // Budget and 完成率 exist for final accounts only.
    let measure = if !p.against_budget && matches!(params.measure, Measure::Budget | Measure::Rate)
    {
        Measure::Amount
    } else {
        params.measure
    };
    if let Some(d) = params.download {
        return download(&p, measure, d);
    }
    let head_url = |dim: Dim, key: &str| -> Option<String> {
        match dim {
            Dim::Subject if key.len() < 7 => Some(params.url_with(&[("code", Some(key))])),
            Dim::Unit => Some(params.url_with(&[("units", Some(key))])),
            _ => None,
        }
    };
    let rows: Vec<GridRow> = p
        .rows
        .iter()
        .zip(&p.cells)
        .zip(&p.row_totals)
        .map(|((h, cells), total)| GridRow {
            head: HeadView {
                label: h.label.clone(),
                url: head_url(p.rows_dim, &h.key),
            },
            cells: cells.iter().map(|c| CellView::of(measure, c)).collect(),
            total: CellView::of(measure, total),
        })
        .collect();
    let cols: Vec<HeadView> = p
        .cols
        .iter()
        .map(|h| HeadView {
            label: h.label.clone(),
            url: head_url(p.cols_dim, &h.key),
        })
        .collect();

    let link = |label: String, url: String, active: bool| LinkView {
        label,
        url,
        active,
        count: 0,
    };
    let mut crumbs = vec![link(
        "全部类".into(),
        params.url_with(&[("code", None)]),
        p.path.is_empty(),
    )];
    for (i, c) in p.path.iter().enumerate() {
        crumbs.push(link(
            format!("{} {}", c.code, c.name),
            params.url_with(&[("code", Some(&c.code))]),
            i + 1 == p.path.len(),
        ));
    }
    let axis_links = |key: &'static str, current: Dim, other: Dim| -> Vec<LinkView> {
        Dim::ALL
            .iter()
            .filter(|&&d| d != other)
            .map(|&d| {
                link(
                    d.label().into(),
                    params.url_with(&[(key, Some(d.key()))]),
                    d == current,
                )
            })
            .collect()
    };
    let axes = vec![
        ("行", axis_links("rows", p.rows_dim, p.cols_dim)),
        ("列", axis_links("cols", p.cols_dim, p.rows_dim)),
    ];
    let swap_url = params.url_with(&[
        ("rows", Some(p.cols_dim.key())),
        ("cols", Some(p.rows_dim.key())),
    ]);
    let mut filters = vec![(
        "阶段",
        p.stages
            .iter()
            .map(|s| {
                link(
                    format!("{}（{}）", s.value.label(), s.documents),
                    params.url_with(&[("stage", Some(s.value.label())), ("measure", None)]),
                    p.stage == Some(s.value),
                )
            })
            .collect::<Vec<_>>(),
    )];
    filters.push((
        "预算",
        [
            TableKind::Expenditure,
            TableKind::GeneralExpenditure,
            TableKind::FundGrant,
            TableKind::StateCapitalGrant,
        ]
        .iter()
        .map(|&k| {
            let label = match k {
                TableKind::Expenditure => "全部支出",
                TableKind::GeneralExpenditure => "一般公共预算",
                TableKind::FundGrant => "政府性基金预算",
                _ => "国有资本经营预算",
            };
            link(
                label.into(),
                params.url_with(&[("table", Some(k.label())), ("column", None)]),
                p.table == k,
            )
        })
        .collect(),
    ));
    let measures = Measure::ALL
        .iter()
        .filter(|m| p.against_budget || !matches!(m, Measure::Budget | Measure::Rate))
        .map(|m| {
            link(
                m.label().into(),
                params.url_with(&[("measure", Some(m.key()))]),
                *m == measure,
            )
        })
        .collect();
    let hidden = KEYS
        .iter()
        .filter(|&&k| !matches!(k, "years" | "units" | "region"))
        .filter_map(|&k| params.get(k).map(|v| (k.to_string(), v)))
        .collect();

    // The chart: rows along the axis, columns as series (a line when years run along the axis).
    let chart_rows = p.rows.len().min(CHART_ROWS);
    let chart = ChartData {
        kind: if p.rows_dim == Dim::Year {
            "line"
        } else {
            "bar"
        },
        labels: p.rows[..chart_rows]
            .iter()
            .map(|h| h.label.clone())
            .collect(),
        urls: p.rows[..chart_rows]
            .iter()
            .map(|h| head_url(p.rows_dim, &h.key))
            .collect(),
        series: p
            .cols
            .iter()
            .enumerate()
            .take(CHART_SERIES)
            .map(|(k, h)| ChartSeries {
                name: h.label.clone(),
                data: p.cells[..chart_rows]
                    .iter()
                    .map(|r| measure.of(&r[k]))
                    .collect(),
            })
            .collect(),
        axis: format!("{}（{}）", measure.label(), measure.unit()),
        omitted: p.rows.len() - chart_rows + p.cols.len().saturating_sub(CHART_SERIES),
    };
    let chart_json = script_json(&chart)?;
    let omitted = (p.omitted_rows + p.omitted_cols > 0 || chart.omitted > 0).then(|| {
        let mut parts = Vec::new();
        if p.omitted_rows + p.omitted_cols > 0 {
            parts.push(format!(
                "表中列出前 {} 行、{} 列，另有 {} 行、{} 列未列出（已计入合计）",
                p.rows.len(),
                p.cols.len(),
                p.omitted_rows,
                p.omitted_cols
            ));
        }
        if chart.omitted > 0 && params.show == Show::Chart {
            parts.push(format!(
                "图中为前 {CHART_ROWS} 个类目、前 {CHART_SERIES} 个系列"
            ));
        }
        format!("{}。", parts.join("；"))
    });
    let mut summary = format!("共 {} 个文件的金额；金额单位：万元。", p.total.documents);
    if p.against_budget {
        summary.push_str(
            "决算数旁列出同一单位、科目、年度的年初预算；完成率只计同时有预算和决算的单位。",
        );
    }
    if p.rows.is_empty() {
        summary = "没有可用的金额：所选范围内没有带科目编码的预算、决算表格。".into();
    }
    let heading = title_of(&p, measure);
    Ok(ComparePage {
        chrome: chrome(&st, "对比分析", ""),
        summary,
        crumbs,
        axes,
        swap_url,
        filters,
        measures,
        hidden,
        years: params
            .years
            .clone()
            .unwrap_or_else(|| match (p.years.first(), p.years.last()) {
                (Some(a), Some(b)) if a != b => format!("{a}-{b}"),
                (Some(a), _) => a.to_string(),
                _ => String::new(),
            }),
        units: params.units.clone().unwrap_or_default(),
        region: params.region.clone().unwrap_or_default(),
        corner: format!("{} \\ {}", p.rows_dim.label(), p.cols_dim.label()),
        cols,
        rows,
        totals: p
            .col_totals
            .iter()
            .map(|c| CellView::of(measure, c))
            .collect(),
        grand: CellView::of(measure, &p.total),
        omitted,
        unit_label: measure.unit(),
        table_url: params.url_with(&[("view", None)]),
        chart_url: params.url_with(&[("view", Some("chart"))]),
        chart: params.show == Show::Chart,
        chart_json,
        echarts_url: ECHARTS_URL,
        csv_url: format!("{}&format=csv", with_query(params.url_with(&[]))),
        xlsx_url: format!("{}&format=xlsx", with_query(params.url_with(&[]))),
        json_url: params.url_on("/api/money/compare", &[("view", None), ("measure", None)]),
        heading,
    }
    .into_response())
}

/// The shown grid as a file: a title line, the unit, the header, the rows with their totals, the column totals.
fn download(p: &Pivot, m: Measure, d: Download) -> Result<Response, PageError> {
    let plain = |c: &PivotCell| m.of(c).map(|x| format!("{x:.2}")).unwrap_or_default();
    let mut header = vec![format!("{} \\ {}", p.rows_dim.label(), p.cols_dim.label())];
    header.extend(p.cols.iter().map(|h| h.label.clone()));
    header.push("合计".into());
    let mut rows = vec![header];
    for ((h, cells), t) in p.rows.iter().zip(&p.cells).zip(&p.row_totals) {
        let mut line = vec![h.label.clone()];
        line.extend(cells.iter().map(plain));
        line.push(plain(t));
        rows.push(line);
    }
    let mut line = vec!["合计".to_string()];
    line.extend(p.col_totals.iter().map(plain));
    line.push(plain(&p.total));
    rows.push(line);
    let mut table = crate::budget::Table::from_texts(title_of(p, m), rows);
    table.unit = Some(format!("单位：{}", m.unit()));
    let name = match p.path.last() {
        Some(c) => format!("对比-{}-{}", c.code, m.label()),
        None => format!("对比-{}", m.label()),
    };
    Ok(super::budget::table_file(&table, d, &name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_lists_or_bounded_ranges() {
        assert_eq!(parse_years("2022,2024").unwrap(), vec![2022, 2024]);
        assert_eq!(
            parse_years("2020-2023").unwrap(),
            vec![2020, 2021, 2022, 2023]
        );
        assert_eq!(parse_years("2023年、2024年").unwrap(), vec![2023, 2024]);
        assert!(parse_years("1900-2100").is_err(), "too long a range");
        assert!(parse_years("2024-2020").is_err());
        assert!(parse_years("明年").is_err());
    }

    #[test]
    fn parameters_are_checked_and_links_change_one_of_them() {
        let p = Params::parse(Some("rows=unit&code=205&measure=rate&view=chart")).unwrap();
        let s = p.selection().unwrap();
        assert_eq!((s.rows, s.cols), (Dim::Unit, Dim::Year));
        assert_eq!(
            p.url_with(&[("code", Some("20502"))]),
            "/money/compare?rows=unit&code=20502&measure=rate&view=chart"
        );
        for bad in [
            "rows=year&cols=year",
            "rows=region",
            "measure=sum",
            "code=2050",
            "stage=执行",
            "years=2000-2090",
            "foo=1",
        ] {
            let r = Params::parse(Some(bad)).and_then(|p| p.selection());
            assert!(r.is_err(), "{bad}");
        }
    }
}
