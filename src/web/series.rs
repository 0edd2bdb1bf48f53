//! 宏观经济分析 on the web: the indicator series of `budget::series::view` (read from the government work
//! reports, and imported) as a table with each value's source sentence linked to its report, or as an ECharts
//! line or bar chart with the table below (`/macro`, the choices in the URL), its CSV download, and
//! `GET /api/macro` with the same parameters, all in the reader's scope.

use super::AppState;
use super::assets::ECHARTS_URL;
use super::error::{AppError, AppResult};
use super::pages::{Chrome, LinkView, PageError, chrome};
use super::params::{bad, encode_component, parse_pairs};
use crate::auth::Viewer;
use crate::budget::series::view::{self, MacroView, Row, Selection};
use crate::budget::series::{Kind, Source};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// The 宏观经济分析 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/macro", get(page))
        .route("/api/macro", get(api))
}

/// The parameters of `/macro` and `/api/macro`.
#[derive(Debug, Clone, Default)]
struct Params {
    indicators: Vec<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    chart: bool,
    bars: bool,
    download: Option<super::budget::Download>,
}

impl Params {
    fn parse(raw: Option<&str>) -> AppResult<Params> {
        let mut p = Params::default();
        for (k, v) in parse_pairs(raw.unwrap_or_default())? {
            let v = v.trim().to_string();
            let text = Some(v.clone()).filter(|s| !s.is_empty());
            match k.as_str() {
                "indicator" => p.indicators.extend(text),
                "kind" => p.kind = text,
                "from" => p.from = text,
                "to" => p.to = text,
                "view" => {
                    p.chart = match v.as_str() {
                        "" | "table" => false,
                        "chart" => true,
                        other => return Err(bad("view", other, "table 或 chart")),
                    }
                }
                "chart" => {
                    p.bars = match v.as_str() {
                        "" | "line" => false,
                        "bar" => true,
                        other => return Err(bad("chart", other, "line 或 bar")),
                    }
                }
                "format" => p.download = super::budget::Download::param(&v)?,
                other => {
                    return Err(AppError::BadRequest(format!(
                        "未知参数 {other} (unknown parameter)"
                    )));
                }
            }
        }
        Ok(p)
    }

    fn selection(&self) -> AppResult<Selection> {
        let year = |key: &str, v: &Option<String>| -> AppResult<Option<i32>> {
            v.as_deref()
                .map(|y| y.parse::<i32>().map_err(|_| bad(key, y, "年份")))
                .transpose()
        };
        Ok(Selection {
            indicators: self.indicators.clone(),
            kind: self
                .kind
                .as_deref()
                .map(|k| Kind::parse(k).ok_or_else(|| bad("kind", k, "目标 或 实际")))
                .transpose()?,
            from: year("from", &self.from)?,
            to: year("to", &self.to)?,
        })
    }

    /// The page's URL for these indicators and this view, the other choices kept.
    fn url(&self, indicators: &[String], chart: bool, bars: bool) -> String {
        let mut q: Vec<String> = indicators
            .iter()
            .map(|i| format!("indicator={}", encode_component(i)))
            .collect();
        for (k, v) in [("kind", &self.kind), ("from", &self.from), ("to", &self.to)] {
            if let Some(v) = v {
                q.push(format!("{k}={}", encode_component(v)));
            }
        }
        if chart {
            q.push("view=chart".into());
        }
        if bars {
            q.push("chart=bar".into());
        }
        if q.is_empty() {
            "/macro".into()
        } else {
            format!("/macro?{}", q.join("&"))
        }
    }
}

/// `GET /api/macro`: the view as JSON.
async fn api(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<MacroView>> {
    let sel = Params::parse(raw.as_deref())?.selection()?;
    let scope = viewer.scope();
    Ok(Json(
        st.blocking(move |lib| Ok(view::macro_view(lib, &sel, &scope)?))
            .await?,
    ))
}

/// A value as written: 5.5（左右）, 6–6.5.
fn shown(r: &Row) -> String {
    let mut s = number(r.value);
    if let Some(u) = r.upper {
        s.push('–');
        s.push_str(&number(u));
    }
    s
}

fn number(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One row as the page prints it.
#[derive(Debug, Clone)]
pub struct RowView {
    pub year: i32,
    pub name: String,
    pub kind: &'static str,
    pub value: String,
    pub qualifier: String,
    pub unit: String,
    /// The sentence or the imported file and line.
    pub source: String,
    /// The report's page, at the sentence (empty for an imported value).
    pub url: String,
    pub report: String,
}

impl RowView {
    fn of(r: &Row) -> RowView {
        let (source, url, report) = match &r.source {
            Source::Report {
                doc_id,
                title,
                sentence,
                ..
            } => {
                let start: String = sentence.chars().take(24).collect();
                (
                    sentence.clone(),
                    format!(
                        "/documents/{}#:~:text={}",
                        encode_component(doc_id),
                        encode_component(&start)
                    ),
                    title.clone(),
                )
            }
            Source::Import { file, line } => (
                format!("导入：{file} 第 {line} 行"),
                String::new(),
                String::new(),
            ),
        };
        RowView {
            year: r.year,
            name: r.name.clone(),
            kind: r.kind.label(),
            value: shown(r),
            qualifier: r.qualifier.clone().unwrap_or_default(),
            unit: r.unit.clone(),
            source,
            url,
            report,
        }
    }
}

/// The data of the chart, embedded in the page as JSON: one series per indicator and kind over the years.
#[derive(Debug, serde::Serialize)]
struct ChartData {
    years: Vec<i32>,
    series: Vec<ChartSeries>,
    /// The units of the value axes (at most two: left and right).
    axes: Vec<String>,
    bars: bool,
}

#[derive(Debug, serde::Serialize)]
struct ChartSeries {
    name: String,
    axis: usize,
    data: Vec<Option<f64>>,
}

fn chart_data(v: &MacroView, bars: bool) -> (ChartData, Vec<String>) {
    let mut years: Vec<i32> = v.rows.iter().map(|r| r.year).collect();
    years.sort_unstable();
    years.dedup();
    let mut axes: Vec<String> = Vec::new();
    let mut left_out = Vec::new();
    let mut series: Vec<ChartSeries> = Vec::new();
    for id in &v.selected {
        for kind in Kind::ALL {
            let rows: Vec<&Row> = v
                .rows
                .iter()
                .filter(|r| &r.indicator == id && r.kind == *kind)
                .collect();
            let Some(first) = rows.first() else {
                continue;
            };
            let axis = match axes.iter().position(|u| *u == first.unit) {
                Some(a) => a,
                None if axes.len() < 2 => {
                    axes.push(first.unit.clone());
                    axes.len() - 1
                }
                None => {
                    left_out.push(first.name.clone());
                    continue;
                }
            };
            let data = years
                .iter()
                .map(|y| rows.iter().find(|r| r.year == *y).map(|r| r.value))
                .collect();
            series.push(ChartSeries {
                name: format!("{}（{}，{}）", first.name, kind.label(), first.unit),
                axis,
                data,
            });
        }
    }
    left_out.dedup();
    (
        ChartData {
            years,
            series,
            axes,
            bars,
        },
        left_out,
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "macro.html")]
pub struct MacroPage {
    pub chrome: Chrome,
    pub heading: String,
    pub summary: String,
    /// Each indicator as a link that adds it to or takes it from the selection.
    pub choices: Vec<LinkView>,
    pub kinds: Vec<LinkView>,
    pub rows: Vec<RowView>,
    pub table_url: String,
    pub chart_url: String,
    pub line_url: String,
    pub bar_url: String,
    pub chart: bool,
    pub bars: bool,
    pub chart_json: String,
    pub chart_note: Option<String>,
    pub echarts_url: &'static str,
    pub csv_url: String,
    pub xlsx_url: String,
    pub json_url: String,
}

fn heading(v: &MacroView) -> String {
    let names: Vec<String> = v
        .indicators
        .iter()
        .filter(|c| v.selected.contains(&c.id))
        .map(|c| format!("{}（{}）", c.name, c.unit))
        .collect();
    if names.is_empty() {
        "宏观经济指标".into()
    } else {
        names.join("、")
    }
}

/// `GET /macro`: the page, or its table as `format=csv|xlsx`.
async fn page(
    State(st): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref())?;
    let sel = params.selection()?;
    let scope = viewer.scope();
    let v = st
        .blocking(move |lib| Ok(view::macro_view(lib, &sel, &scope)?))
        .await?;
    if let Some(d) = params.download {
        return Ok(download(&v, d)?);
    }
    let selected = v.selected.clone();
    let choices = v
        .indicators
        .iter()
        .map(|c| {
            let on = selected.contains(&c.id);
            let next: Vec<String> = if on {
                selected.iter().filter(|s| **s != c.id).cloned().collect()
            } else {
                selected.iter().cloned().chain([c.id.clone()]).collect()
            };
            LinkView {
                label: c.name.clone(),
                url: params.url(&next, params.chart, params.bars),
                active: on,
                count: c.values as u64,
            }
        })
        .collect();
    let kinds = [None, Some(Kind::Target), Some(Kind::Outcome)]
        .into_iter()
        .map(|k| {
            let p = Params {
                kind: k.map(|k| k.label().to_string()),
                ..params.clone()
            };
            LinkView {
                label: k.map_or("全部", |k| k.label()).into(),
                url: p.url(&selected, params.chart, params.bars),
                active: v.kind == k,
                count: 0,
            }
        })
        .collect();
    let (chart, left_out) = chart_data(&v, params.bars);
    let chart_json = super::params::script_json(&chart)?;
    let reports = v
        .rows
        .iter()
        .filter(|r| matches!(r.source, Source::Report { .. }))
        .count();
    let summary = if v.rows.is_empty() {
        "所选指标没有数值：政府工作报告中未读到，也没有导入。".into()
    } else {
        format!(
            "共 {} 个数值：{} 个读自政府工作报告（每个数值附原句），{} 个为导入数据。目标为当年报告提出的预期目标，实际为次年报告所述的完成情况。",
            v.rows.len(),
            reports,
            v.rows.len() - reports
        )
    };
    let plain = super::params::with_query(params.url(&selected, false, false));
    let csv_url = format!("{plain}&format=csv");
    let xlsx_url = format!("{plain}&format=xlsx");
    let json_url = params
        .url(&selected, false, false)
        .replacen("/macro", "/api/macro", 1);
    Ok(MacroPage {
        chrome: chrome(&st, "宏观经济分析", ""),
        heading: heading(&v),
        summary,
        choices,
        kinds,
        rows: v.rows.iter().map(RowView::of).collect(),
        table_url: params.url(&selected, false, params.bars),
        chart_url: params.url(&selected, true, params.bars),
        line_url: params.url(&selected, true, false),
        bar_url: params.url(&selected, true, true),
        chart: params.chart,
        bars: params.bars,
        chart_json,
        chart_note: (!left_out.is_empty())
            .then(|| format!("图中最多两种单位；{} 只列在表中。", left_out.join("、"))),
        echarts_url: ECHARTS_URL,
        csv_url,
        xlsx_url,
        json_url,
    }
    .into_response())
}

/// The shown table as CSV: year, indicator, kind, value, upper end, qualifier, unit, source.
fn download(v: &MacroView, d: super::budget::Download) -> AppResult<Response> {
    let mut rows = vec![
        [
            "年份",
            "指标",
            "类型",
            "数值",
            "区间上限",
            "限定",
            "单位",
            "来源",
            "原文",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in &v.rows {
        let (source, sentence) = match &r.source {
            Source::Report {
                title, sentence, ..
            } => (title.clone(), sentence.clone()),
            Source::Import { file, line } => (format!("{file} 第 {line} 行"), String::new()),
        };
        rows.push(vec![
            r.year.to_string(),
            r.name.clone(),
            r.kind.label().into(),
            number(r.value),
            r.upper.map(number).unwrap_or_default(),
            r.qualifier.clone().unwrap_or_default(),
            r.unit.clone(),
            source,
            sentence,
        ]);
    }
    let table = crate::budget::Table::from_texts(format!("宏观经济分析 · {}", heading(v)), rows);
    super::budget::table_file(&table, d, "宏观经济指标")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_choices_and_bad_values_are_refused() {
        let p = Params::parse(Some("indicator=cpi&kind=%E7%9B%AE%E6%A0%87&view=chart")).unwrap();
        assert_eq!(
            p.url(&["cpi".into(), "gdp_growth".into()], true, true),
            "/macro?indicator=cpi&indicator=gdp_growth&kind=%E7%9B%AE%E6%A0%87&view=chart&chart=bar"
        );
        assert_eq!(p.selection().unwrap().kind, Some(Kind::Target));
        assert!(Params::parse(Some("view=pie")).is_err());
        assert!(Params::parse(Some("from=x")).unwrap().selection().is_err());
        assert!(Params::parse(Some("kind=x")).unwrap().selection().is_err());
        assert_eq!(number(8.1), "8.1");
        assert_eq!(number(36500.0), "36500");
    }
}
