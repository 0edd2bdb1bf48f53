//! Search parameters in the URL: parsing a query string (repeatable keys), validating it into a
//! `SearchRequest`, and writing it back so that facet, paging and sort links keep every other parameter.
//! `ApiQuery` reads the typed parameters of the other API routes.

use super::error::{AppError, AppResult};
use crate::config::Config;
use crate::model::{DocKind, Filters, Level, Sort, Unit, Validity};
use crate::search::SearchRequest;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

/// The typed query parameters of an API route: a parameter that does not parse (a `limit` past the largest
/// number) is answered as every API error is, in JSON with 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(e) => Err(AppError::BadRequest(format!(
                "参数无法识别：{} (bad parameter)",
                e.body_text()
            ))),
        }
    }
}

/// Results per page when the URL does not say.
pub const DEFAULT_LIMIT: usize = 20;

/// The repeatable filter parameters, in URL order.
pub const FILTER_KEYS: &[&str] = &["kind", "level", "region", "status", "subject", "topic"];

/// The search parameters exactly as the URL gave them (validated only by `request`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchParams {
    pub q: String,
    pub kind: Vec<String>,
    pub level: Vec<String>,
    pub region: Vec<String>,
    pub status: Vec<String>,
    pub subject: Vec<String>,
    pub topic: Vec<String>,
    /// `2020`, `2018..2022`, `2018..`, `..2010`.
    pub year: Option<String>,
    pub unit: Option<String>,
    pub sort: Option<String>,
    pub offset: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte.
pub fn decode_component(s: &str) -> AppResult<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                // Exactly two hex digits: `from_str_radix` alone would also take a sign (`%+1`).
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => {
                        return Err(AppError::BadRequest(
                            "查询字符串中有无效的 % 转义 (bad percent-encoding)".into(),
                        ));
                    }
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        AppError::BadRequest("查询字符串不是有效的 UTF-8 (query string is not UTF-8)".into())
    })
}

/// Percent-encodes a URL component (everything but unreserved ASCII).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Splits a query string into decoded (key, value) pairs.
pub fn parse_pairs(raw: &str) -> AppResult<Vec<(String, String)>> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((decode_component(k)?, decode_component(v)?))
        })
        .collect()
}

/// A value as JSON to embed in a `<script type="application/json">` element: no `</script>` or `<!--` in
/// it can close the element.
pub fn script_json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    Ok(serde_json::to_string(v)
        .map_err(|e| AppError::internal(format!("chart data: {e}")))?
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

/// A page's URL from its parameters in `keys` order: `get` gives each current value, `changes` sets
/// (`Some`) or clears (`None`) some of them.
pub fn link(
    path: &str,
    keys: &[&str],
    get: impl Fn(&str) -> Option<String>,
    changes: &[(&str, Option<&str>)],
) -> String {
    let q: Vec<String> = keys
        .iter()
        .filter_map(|&k| {
            let v = match changes.iter().find(|(c, _)| *c == k) {
                Some((_, v)) => v.map(str::to_string),
                None => get(k),
            };
            v.map(|v| format!("{k}={}", encode_component(&v)))
        })
        .collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// A URL that surely has a query part, so that `&key=value` can follow.
pub fn with_query(url: String) -> String {
    if url.contains('?') {
        url
    } else {
        format!("{url}?")
    }
}

/// A parameter whose value does not parse, as a 400 naming the key and what it should be.
pub fn bad(key: &str, value: &str, expected: &str) -> AppError {
    AppError::BadRequest(format!(
        "参数 {key} 的值「{value}」无效，应为{expected} (invalid {key})"
    ))
}

fn parse_number(key: &str, value: &Option<String>) -> AppResult<Option<usize>> {
    match value {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map(Some)
            .map_err(|_| bad(key, v, "非负整数")),
    }
}

fn parse_labels<T>(
    key: &str,
    values: &[String],
    parse: impl Fn(&str) -> Option<T>,
    all: &[&str],
) -> AppResult<Vec<T>> {
    values
        .iter()
        .map(|v| parse(v).ok_or_else(|| bad(key, v, &format!("以下之一：{}", all.join("、")))))
        .collect()
}

/// Parses a year filter: `2020`, `2018..2022`, `2018..`, `..2010`.
fn parse_years(value: &str) -> AppResult<(Option<i32>, Option<i32>)> {
    let err = || bad("year", value, "年份或年份区间（如 2020、2018..2022）");
    let one = |t: &str| -> AppResult<Option<i32>> {
        let t = t.trim();
        if t.is_empty() {
            return Ok(None);
        }
        match t.parse::<i32>() {
            Ok(y) if (1000..=9999).contains(&y) => Ok(Some(y)),
            _ => Err(err()),
        }
    };
    match value.split_once("..") {
        Some((a, b)) => {
            let range = (one(a)?, one(b)?);
            if range == (None, None) {
                return Err(err());
            }
            Ok(range)
        }
        None => {
            let y = one(value)?.ok_or_else(err)?;
            Ok((Some(y), Some(y)))
        }
    }
}

impl SearchParams {
    /// Reads the parameters of a query string; unknown keys are ignored, empty values are absent.
    pub fn parse(raw: Option<&str>) -> AppResult<SearchParams> {
        let mut p = SearchParams::default();
        for (k, v) in parse_pairs(raw.unwrap_or(""))? {
            let v = v.trim().to_string();
            if v.is_empty() && k != "q" {
                continue;
            }
            match k.as_str() {
                "q" => p.q = v,
                "year" => p.year = Some(v),
                "unit" => p.unit = Some(v),
                "sort" => p.sort = Some(v),
                "offset" => p.offset = Some(v),
                "page" => p.page = Some(v),
                "limit" => p.limit = Some(v),
                key => {
                    if let Some(list) = p.list_mut(key)
                        && !list.contains(&v)
                    {
                        list.push(v);
                    }
                }
            }
        }
        Ok(p)
    }

    fn list_mut(&mut self, key: &str) -> Option<&mut Vec<String>> {
        match key {
            "kind" => Some(&mut self.kind),
            "level" => Some(&mut self.level),
            "region" => Some(&mut self.region),
            "status" => Some(&mut self.status),
            "subject" => Some(&mut self.subject),
            "topic" => Some(&mut self.topic),
            _ => None,
        }
    }

    /// The values of a repeatable filter parameter.
    pub fn list(&self, key: &str) -> &[String] {
        match key {
            "kind" => &self.kind,
            "level" => &self.level,
            "region" => &self.region,
            "status" => &self.status,
            "subject" => &self.subject,
            "topic" => &self.topic,
            _ => &[],
        }
    }

    /// The page size asked for (default 20).
    pub fn limit(&self) -> AppResult<usize> {
        Ok(parse_number("limit", &self.limit)?.unwrap_or(DEFAULT_LIMIT))
    }

    /// Validates the parameters into a typed request; limits are checked against `config` by `search()`.
    pub fn request(&self, config: &Config) -> AppResult<SearchRequest> {
        let limit = self.limit()?;
        let offset = match (
            parse_number("offset", &self.offset)?,
            parse_number("page", &self.page)?,
        ) {
            (Some(o), _) => o,
            (None, Some(0)) => return Err(bad("page", "0", "从 1 开始的页码")),
            (None, Some(p)) => (p - 1)
                .checked_mul(limit)
                .filter(|o| *o <= config.max_window)
                .ok_or_else(|| {
                    bad(
                        "page",
                        &p.to_string(),
                        &format!("不超过 {} 条结果的页码", config.max_window),
                    )
                })?,
            (None, None) => 0,
        };
        let (year_from, year_to) = match &self.year {
            Some(y) => parse_years(y)?,
            None => (None, None),
        };
        Ok(SearchRequest {
            q: self.q.clone(),
            filters: Filters {
                kinds: parse_labels(
                    "kind",
                    &self.kind,
                    DocKind::parse,
                    &DocKind::ALL.iter().map(|k| k.label()).collect::<Vec<_>>(),
                )?,
                levels: parse_labels(
                    "level",
                    &self.level,
                    Level::parse,
                    &Level::ALL.iter().map(|k| k.label()).collect::<Vec<_>>(),
                )?,
                regions: self.region.clone(),
                year_from,
                year_to,
                validity: parse_labels(
                    "status",
                    &self.status,
                    Validity::parse,
                    &Validity::ALL.iter().map(|k| k.label()).collect::<Vec<_>>(),
                )?,
                subjects: self.subject.clone(),
                topics: self.topic.clone(),
            },
            unit: match &self.unit {
                None => Unit::Best,
                Some(u) => {
                    Unit::parse(u).ok_or_else(|| bad("unit", u, " best、document 或 article"))?
                }
            },
            sort: match self.sort.as_deref() {
                None | Some("relevance") => Sort::Relevance,
                Some("date") => Sort::Date,
                Some(s) => return Err(bad("sort", s, " relevance 或 date")),
            },
            offset,
            limit,
            // The narrowest scope; handlers set the viewer's.
            scope: Default::default(),
        })
    }

    /// The query string of these parameters (without `?`); paging as `page` when it falls on a page.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", &self.q));
        }
        for key in FILTER_KEYS {
            for v in self.list(key) {
                pairs.push((key, v));
            }
        }
        let optional = [
            ("year", &self.year),
            ("unit", &self.unit),
            ("sort", &self.sort),
            ("limit", &self.limit),
            ("offset", &self.offset),
            ("page", &self.page),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `/search?...` for these parameters.
    pub fn url(&self) -> String {
        let q = self.to_query();
        if q.is_empty() {
            "/search".into()
        } else {
            format!("/search?{q}")
        }
    }

    /// The same search from its first page.
    pub fn first_page(&self) -> SearchParams {
        SearchParams {
            offset: None,
            page: None,
            ..self.clone()
        }
    }

    /// The same search narrowed by one more filter value (`year` replaces the range).
    pub fn with_filter(&self, key: &str, value: &str) -> SearchParams {
        let mut p = self.first_page();
        if key == "year" {
            p.year = Some(value.to_string());
        } else if let Some(list) = p.list_mut(key)
            && !list.iter().any(|v| v == value)
        {
            list.push(value.to_string());
        }
        p
    }

    /// The same search without one filter value.
    pub fn without_filter(&self, key: &str, value: &str) -> SearchParams {
        let mut p = self.first_page();
        if key == "year" {
            p.year = None;
        } else if let Some(list) = p.list_mut(key) {
            list.retain(|v| v != value);
        }
        p
    }

    /// The same search with one option (`unit`, `sort`) set; the default value removes it.
    pub fn with_option(&self, key: &str, value: &str) -> SearchParams {
        let mut p = self.first_page();
        let v = Some(value.to_string());
        match key {
            "unit" => p.unit = v.filter(|v| v != "best"),
            "sort" => p.sort = v.filter(|v| v != "relevance"),
            _ => {}
        }
        p
    }

    /// The same search at a 1-based page.
    pub fn at_page(&self, page: usize) -> SearchParams {
        let mut p = self.first_page();
        if page > 1 {
            p.page = Some(page.to_string());
        }
        p
    }

    /// Whether any filter is set.
    pub fn has_filters(&self) -> bool {
        self.year.is_some() || FILTER_KEYS.iter().any(|k| !self.list(k).is_empty())
    }
}

/// Digits grouped by thousands (63727 → 63,727).
pub fn grouped(digits: &str) -> String {
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An amount in 万元 with two decimals and thousands separators (12,345.60).
pub fn wan(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let sign = if v < 0.0 && s != "0.00" { "-" } else { "" };
    format!("{sign}{}.{frac}", grouped(int))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new("/nonexistent/index", "/nonexistent/corpus")
    }

    #[test]
    fn round_trips_repeated_keys_and_chinese() {
        let raw = "q=%E9%A2%84%E7%AE%97+%E8%8D%89%E6%A1%88&kind=%E6%B3%95%E5%BE%8B&kind=%E5%86%B3%E7%AE%97&year=2018..2022&page=2";
        let p = SearchParams::parse(Some(raw)).unwrap();
        assert_eq!(p.q, "预算 草案");
        assert_eq!(p.kind, ["法律", "决算"]);
        let again = SearchParams::parse(Some(&p.to_query())).unwrap();
        assert_eq!(again, p);
        let req = p.request(&config()).unwrap();
        assert_eq!(req.offset, DEFAULT_LIMIT);
        assert_eq!(
            (req.filters.year_from, req.filters.year_to),
            (Some(2018), Some(2022))
        );
        assert_eq!(req.filters.kinds, [DocKind::Law, DocKind::FinalAccount]);
    }

    #[test]
    fn facet_links_add_and_remove_filters_and_reset_paging() {
        let p = SearchParams::parse(Some("q=a&page=3")).unwrap();
        let narrowed = p.with_filter("status", "有效");
        assert_eq!(narrowed.status, ["有效"]);
        assert_eq!(narrowed.page, None);
        assert_eq!(
            narrowed.without_filter("status", "有效").status,
            Vec::<String>::new()
        );
        assert_eq!(p.with_option("sort", "relevance").sort, None);
        assert_eq!(p.at_page(2).page.as_deref(), Some("2"));
    }

    #[test]
    fn bad_values_are_clear_errors() {
        for (raw, needle) in [
            ("kind=%E5%B0%8F%E8%AF%B4", "kind"),
            ("year=20x8", "year"),
            ("year=..", "year"),
            ("page=0", "page"),
            ("page=abc", "page"),
            ("limit=-1", "limit"),
            ("unit=chapter", "unit"),
            ("sort=random", "sort"),
            ("status=%E6%9C%89", "status"),
        ] {
            let err = SearchParams::parse(Some(raw))
                .and_then(|p| p.request(&config()))
                .unwrap_err();
            assert!(
                matches!(&err, AppError::BadRequest(m) if m.contains(needle)),
                "{raw}: {err:?}"
            );
        }
        assert!(SearchParams::parse(Some("q=%FF")).is_err());
        assert!(SearchParams::parse(Some("q=%E9%A2")).is_err());
        assert!(SearchParams::parse(Some("q=%zz")).is_err());
        // Found by tests/fuzz.rs: a sign was taken for a hex digit.
        assert!(SearchParams::parse(Some("q=%+1")).is_err());
        assert!(decode_component("%+A%+f").is_err());
        let huge = format!("page={}", usize::MAX);
        assert!(
            SearchParams::parse(Some(&huge))
                .unwrap()
                .request(&config())
                .is_err()
        );
    }
}
