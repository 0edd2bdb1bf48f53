//! Indicator values read from the text of one government work report: pure over the text, the report's year
//! and the catalog.
//!
//! The text is read section by section (一、二、… headings), paragraph by paragraph and sentence by sentence
//! (。；！？). A sentence's values are placed in time by, in order: a year written in it before the value
//! (2004年、一九八九年; not one compared with, as in 比上年, 比1980年), 今年 (the report's year, a target), 去年 (the
//! year before, an outcome), the paragraph of the year's main targets (今年…主要预期目标是：…), and the section:
//! a review section (2021年工作回顾) states the year before's outcomes. A value after words of several years (五年,
//! 年均, 累计) and sections about a five-year plan give nothing. A target word before the value (目标, 计划, 拟)
//! makes it a target, an outcome word (实际) an outcome.

use super::{Catalog, Indicator, Kind, SeriesValue, Source};
use regex::Regex;
use std::sync::LazyLock;

/// An Arabic number or a number in Chinese numerals.
const NUM: &str = r"[0-9]+(?:\.[0-9]+)?|[零〇○一二两三四五六七八九十百千万点]+";

/// The regular expression a placeholder stands for. Named groups: `v` the value, `v2` the upper end of a
/// range, `u` the unit as written, `q` the qualifier after it, `p` a word before the value (超过, 约).
fn placeholder(name: &str) -> Option<String> {
    let value = format!(r"(?P<p>超过|突破|不超过|约|近)?(?:百分之)?(?P<v>{NUM})");
    let upper = format!(r"(?:(?:-|~|至|到|—)(?:百分之)?(?P<v2>{NUM}))?");
    let q = r"(?P<q>左右|以上|以内|以下|多)?";
    Some(match name {
        "pct" => format!(r"{value}(?P<u>%)?{upper}%?{q}"),
        "yi" => format!(r"{value}{upper}(?P<u>万亿元|亿元){q}"),
        "wanren" => format!(r"{value}(?P<u>多万人|万人){q}"),
        "grain" => format!(r"{value}(?P<u>万亿斤|亿斤|亿公斤|万吨)(?P<q>左右|以上|多)?"),
        _ => return None,
    })
}

/// Compiles a catalog pattern with its placeholders.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    static SLOT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{(\w+)\}").expect("valid"));
    let mut err = None;
    let expanded = SLOT.replace_all(pattern, |c: &regex::Captures<'_>| {
        placeholder(&c[1]).unwrap_or_else(|| {
            err = Some(format!("未知占位符 {{{}}}", &c[1]));
            String::new()
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    Regex::new(&expanded).map_err(|e| e.to_string())
}

/// A Chinese digit; ○ (a circle) stands for 〇 in older texts.
fn cn_digit(c: char) -> Option<u32> {
    crate::ingest::structure::cn_digit(if c == '○' { '〇' } else { c })
}

/// Parses a number in Arabic digits or Chinese numerals (百分之十一点八 → 11.8, 一万一千一百七十 → 11170).
pub fn parse_number(s: &str) -> Option<f64> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| cn_digit(c).map(u64::from);
    let (int, frac) = match s.split_once('点') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut current: Option<u64> = None;
    let mut seen = false;
    for c in int.chars() {
        seen = true;
        if let Some(d) = digit(c) {
            // Digits written one by one (一九八九) read positionally.
            current = Some(match current {
                Some(v) if v > 0 => v * 10 + d,
                _ => d,
            });
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => {
                section += current.take().unwrap_or(0);
                total += section * 10_000;
                section = 0;
                continue;
            }
            _ => return None,
        };
        section += current.take().unwrap_or(1) * unit;
    }
    let mut value = (total + section + current.unwrap_or(0)) as f64;
    if !seen && frac.is_none() {
        return None;
    }
    if let Some(f) = frac {
        let mut scale = 0.1;
        for c in f.chars() {
            value += digit(c)? as f64 * scale;
            scale /= 10.0;
        }
    }
    Some(value)
}

/// A year written in Chinese numerals digit by digit (一九八九) or in digits.
fn parse_year(s: &str) -> Option<i32> {
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digits: Option<String> = s
        .chars()
        .map(|c| {
            let d = cn_digit(c)?;
            // 两 is no digit of a year.
            (c != '两').then(|| char::from_digit(d, 10)).flatten()
        })
        .collect();
    digits?.parse().ok()
}

/// The sentence as matched: full-width digits and signs made half-width, spaces dropped.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '％' => '%',
            '－' | '–' => '-',
            '～' => '~',
            c => c,
        })
        .collect()
}

/// A compiled catalog.
#[derive(Debug)]
pub struct Extractor<'a> {
    catalog: &'a Catalog,
    patterns: Vec<(&'a Indicator, Vec<Regex>)>,
}

/// What a section of a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Before the first heading, or a section that reviews the year before.
    Review,
    /// A five-year plan, or several years: nothing is read.
    Skip,
    /// Anything else: only sentences that say their year.
    Other,
}

/// A match before it is placed in time.
struct Found<'a> {
    indicator: &'a Indicator,
    at: usize,
    value: f64,
    upper: Option<f64>,
    qualifier: Option<String>,
}

impl<'a> Extractor<'a> {
    pub fn new(catalog: &'a Catalog) -> Extractor<'a> {
        let patterns = catalog
            .indicators
            .iter()
            .map(|i| {
                let res = i.patterns.iter().filter_map(|p| compile(p).ok()).collect();
                (i, res)
            })
            .collect();
        Extractor { catalog, patterns }
    }

    /// Every value the report states, in text order, with at most one value per indicator, year and kind (the
    /// first one stated).
    pub fn extract(&self, text: &str, report_year: i32, doc: (&str, &str)) -> Vec<SeriesValue> {
        let mut out: Vec<SeriesValue> = Vec::new();
        let mut section = Section::Review;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let para = line.trim();
            if para.is_empty() {
                continue;
            }
            if let Some(heading) = heading(para) {
                section = self.section_of(heading, report_year);
                continue;
            }
            let mut targets_from: Option<usize> = None;
            // A year set by 今年 or 去年 in an earlier sentence of the paragraph.
            let mut carried: Option<(i32, Kind)> = None;
            let mut pos = 0;
            for sentence in para.split_inclusive(['。', '；', '！', '？', ';']) {
                let here = pos;
                pos += sentence.len();
                let folded = fold(sentence);
                if section != Section::Skip
                    && targets_from.is_none()
                    && self.opens_targets(&folded, report_year)
                {
                    targets_from = Some(here);
                }
                let context = Context {
                    report_year,
                    section,
                    in_targets: targets_from.is_some(),
                    carried,
                };
                let at = start + (line.len() - line.trim_start().len()) + here;
                if section != Section::Review
                    && let Some(cue) = self.spoken_year(&folded, folded.len(), report_year)
                {
                    carried = Some(cue);
                }
                for f in self.find(&folded) {
                    let Some((year, kind)) = self.place(&folded, f.at, &context) else {
                        continue;
                    };
                    // An outcome is a value, not a bound or an approximation.
                    if kind == Kind::Outcome && (f.qualifier.is_some() || f.upper.is_some()) {
                        continue;
                    }
                    if out
                        .iter()
                        .any(|v| v.indicator == f.indicator.id && v.year == year && v.kind == kind)
                    {
                        continue;
                    }
                    out.push(SeriesValue {
                        indicator: f.indicator.id.clone(),
                        year,
                        kind,
                        value: f.value,
                        upper: f.upper,
                        qualifier: f.qualifier,
                        unit: f.indicator.unit.clone(),
                        source: Source::Report {
                            doc_id: doc.0.to_string(),
                            title: doc.1.to_string(),
                            report_year,
                            sentence: sentence.trim().to_string(),
                            offset: at,
                        },
                    });
                }
            }
        }
        out
    }

    fn section_of(&self, heading: &str, report_year: i32) -> Section {
        let c = self.catalog;
        let last = report_year - 1;
        let years = years_in(&fold(heading));
        // A section on the report's own year is read, even when it names a plan (做好1996年的工作，为“九五”…).
        if c.skip_sections.iter().any(|w| heading.contains(w.as_str()))
            && !years.iter().any(|&(_, y)| y == report_year)
        {
            return Section::Skip;
        }
        if c.review_sections
            .iter()
            .any(|w| heading.contains(w.as_str()))
            && (years.is_empty() || years.iter().all(|&(_, y)| y == last))
        {
            return Section::Review;
        }
        Section::Other
    }

    /// Whether a sentence opens the list of the year's main targets (今年…预期目标是：).
    fn opens_targets(&self, s: &str, report_year: i32) -> bool {
        let this_year = self
            .catalog
            .this_year
            .iter()
            .any(|w| s.contains(w.as_str()))
            || years_in(s).iter().any(|&(_, y)| y == report_year);
        this_year
            && ["预期目标", "主要目标", "宏观调控目标", "计划要求"]
                .iter()
                .any(|w| s.contains(w))
    }

    /// The indicator values matched in a folded sentence, the first match of each indicator.
    fn find(&self, s: &str) -> Vec<Found<'a>> {
        let mut found = Vec::new();
        for (ind, patterns) in &self.patterns {
            for re in patterns {
                for c in re.captures_iter(s) {
                    let m = c.get(0).expect("whole match");
                    // Words of several years up to the value (五年来…, 年均…); what follows it may compare.
                    let upto = &s[..m.end()];
                    if self
                        .catalog
                        .skip_words
                        .iter()
                        .any(|w| upto.contains(w.as_str()))
                    {
                        continue;
                    }
                    if ind
                        .not_after
                        .iter()
                        .any(|w| s[..m.start()].ends_with(w.as_str()))
                    {
                        continue;
                    }
                    let Some(f) = self.found(ind, &c, m.start()) else {
                        continue;
                    };
                    if !found
                        .iter()
                        .any(|x: &Found<'_>| x.indicator.id == ind.id && x.at == f.at)
                    {
                        found.push(f);
                    }
                }
            }
        }
        found.sort_by_key(|f| f.at);
        found
    }

    fn found(&self, ind: &'a Indicator, c: &regex::Captures<'_>, at: usize) -> Option<Found<'a>> {
        let text = c.get(0)?.as_str();
        let unit = c.name("u").map_or("", |m| m.as_str());
        let qualifier = c.name("q").map(|m| m.as_str().to_string());
        if qualifier.as_deref() == Some("多") || unit.starts_with('多') {
            return None;
        }
        if ind.unit == "%" && !(text.contains('%') || text.contains("百分之")) {
            return None;
        }
        let scale = match unit {
            "万亿元" => 10_000.0,
            "亿元" | "万人" | "万吨" | "%" | "" => 1.0,
            "万亿斤" => 50_000.0,
            "亿斤" => 5.0,
            "亿公斤" => 10.0,
            _ => return None,
        };
        let value = round(parse_number(c.name("v")?.as_str())? * scale);
        let upper = match c.name("v2") {
            Some(m) => Some(round(parse_number(m.as_str())? * scale)),
            None => None,
        };
        if value < ind.min || value > ind.max || upper.is_some_and(|u| u < value || u > ind.max) {
            return None;
        }
        let qualifier = match (c.name("p").map(|m| m.as_str()), qualifier) {
            (Some("超过" | "突破"), None) => Some("以上".to_string()),
            (Some("不超过"), None) => Some("以内".to_string()),
            (Some(_), None) => Some("左右".to_string()),
            (_, q) => q,
        };
        Some(Found {
            indicator: ind,
            at,
            value,
            upper,
            qualifier,
        })
    }

    /// 今年 (a target of the report's year) or 去年 (an outcome of the year before) spoken before byte `at`, not
    /// compared with (比上年).
    fn spoken_year(&self, s: &str, at: usize, report_year: i32) -> Option<(i32, Kind)> {
        let c = self.catalog;
        let before = &s[..at];
        let spoken = |words: &[String]| {
            words.iter().any(|w| {
                before.match_indices(w.as_str()).any(|(p, _)| {
                    !c.compare_before_year
                        .iter()
                        .any(|cw| before[..p].ends_with(cw.as_str()))
                })
            })
        };
        if spoken(&c.this_year) {
            Some((report_year, Kind::Target))
        } else if spoken(&c.last_year) {
            Some((report_year - 1, Kind::Outcome))
        } else {
            None
        }
    }

    /// The year and kind of a value at byte `at` of a folded sentence, or None when the sentence does not say.
    fn place(&self, s: &str, at: usize, cx: &Context) -> Option<(i32, Kind)> {
        let c = self.catalog;
        let report_year = cx.report_year;
        let before = &s[..at];
        let has = |words: &[String]| words.iter().any(|w| before.contains(w.as_str()));
        let outcome_word = has(&c.outcome_words);
        let target_word = has(&c.target_words);
        let kind_or = |default: Kind| {
            if outcome_word {
                Kind::Outcome
            } else if target_word {
                Kind::Target
            } else {
                default
            }
        };
        // A target is the report's year's; an outcome the year before's.
        let fits = |year: i32, kind: Kind| match kind {
            Kind::Target => (year == report_year).then_some((year, kind)),
            Kind::Outcome => (year < report_year).then_some((year, kind)),
        };
        // A year written before the value, not one compared with.
        let year = years_in(before)
            .into_iter()
            .rev()
            .find(|&(p, _)| {
                !c.compare_before_year
                    .iter()
                    .any(|w| before[..p].ends_with(w.as_str()))
            })
            .map(|(_, y)| y);
        if let Some(y) = year {
            if !(report_year - 2..=report_year).contains(&y) {
                return None;
            }
            let default = if y == report_year {
                Kind::Target
            } else {
                Kind::Outcome
            };
            return fits(y, kind_or(default));
        }
        match self.spoken_year(s, at, report_year) {
            Some((y, Kind::Target)) => return fits(y, kind_or(Kind::Target)),
            Some((y, Kind::Outcome)) => return fits(y, Kind::Outcome),
            None => {}
        }
        if cx.section == Section::Skip {
            return None;
        }
        if cx.in_targets {
            return fits(report_year, kind_or(Kind::Target));
        }
        if let Some((y, kind)) = cx.carried {
            return fits(
                y,
                if kind == Kind::Target {
                    kind_or(kind)
                } else {
                    kind
                },
            );
        }
        if cx.section == Section::Review && !target_word {
            return Some((report_year - 1, Kind::Outcome));
        }
        None
    }
}

/// Where a sentence stands in its report.
struct Context {
    report_year: i32,
    section: Section,
    /// In the paragraph of the year's main targets, after it opened.
    in_targets: bool,
    /// The year an earlier sentence of the paragraph spoke of (今年, 去年).
    carried: Option<(i32, Kind)>,
}

/// Rounds away the noise of a unit conversion (1.37 × 50,000).
fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// The years written in a folded text (2004年, 一九八九年), with their byte positions.
fn years_in(s: &str) -> Vec<(usize, i32)> {
    static YEAR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"((?:19|20)[0-9]{2}|[一二][九〇○零][零〇○一二三四五六七八九]{2})年")
            .expect("valid")
    });
    YEAR.captures_iter(s)
        .filter_map(|c| {
            let m = c.get(1)?;
            let y = parse_year(m.as_str())?;
            // 2004年度 or a range 2016-2020年 is not one year spoken of.
            let prev = s[..m.start()].chars().next_back();
            (!matches!(prev, Some('-' | '~' | '至' | '到' | '—'))).then_some((m.start(), y))
        })
        .collect()
}

/// The title of a section heading (一、2021年工作回顾), if the paragraph is one.
fn heading(para: &str) -> Option<&str> {
    let (num, rest) = para.split_once('、')?;
    let numeral = !num.is_empty()
        && num.chars().count() <= 3
        && num.chars().all(|c| {
            matches!(
                c,
                '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
            )
        });
    (numeral && rest.chars().count() <= 40 && !rest.contains('。')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Indicator, year, kind, value, upper end and qualifier.
    type Value = (String, i32, Kind, f64, Option<f64>, Option<String>);

    fn run(text: &str, year: i32) -> Vec<Value> {
        let catalog = Catalog::builtin();
        Extractor::new(&catalog)
            .extract(text, year, ("d", "t"))
            .into_iter()
            .map(|v| (v.indicator, v.year, v.kind, v.value, v.upper, v.qualifier))
            .collect()
    }

    fn one(text: &str, year: i32) -> Value {
        let all = run(text, year);
        assert_eq!(all.len(), 1, "{text}: {all:?}");
        all.into_iter().next().unwrap()
    }

    #[test]
    fn chinese_numerals_read_as_numbers() {
        assert_eq!(parse_number("十一点八"), Some(11.8));
        assert_eq!(parse_number("三点九"), Some(3.9));
        assert_eq!(parse_number("八"), Some(8.0));
        assert_eq!(parse_number("四百零二"), Some(402.0));
        assert_eq!(parse_number("一万一千一百七十"), Some(11170.0));
        assert_eq!(parse_number("12.5"), Some(12.5));
        assert_eq!(parse_year("一九八一"), Some(1981));
        assert_eq!(parse_year("一九八○"), Some(1980));
    }

    #[test]
    fn the_review_states_last_years_outcome_and_the_plan_this_years_target() {
        let text = "一、2021年工作回顾\n——经济保持恢复发展。国内生产总值达到114万亿元，增长8.1%。城镇新增就业1269万人，城镇调查失业率平均为5.1%。居民消费价格上涨0.9%。\n二、2022年经济社会发展总体要求和政策取向\n今年发展主要预期目标是：国内生产总值增长5.5%左右；城镇新增就业1100万人以上，城镇调查失业率全年控制在5.5%以内；居民消费价格涨幅3%左右。\n";
        let all = run(text, 2022);
        let get = |id: &str, k: Kind| {
            all.iter()
                .find(|v| v.0 == id && v.2 == k)
                .map(|v| (v.1, v.3, v.5.clone()))
        };
        assert_eq!(get("gdp_growth", Kind::Outcome), Some((2021, 8.1, None)));
        assert_eq!(
            get("gdp_growth", Kind::Target),
            Some((2022, 5.5, Some("左右".into())))
        );
        assert_eq!(get("urban_jobs", Kind::Outcome), Some((2021, 1269.0, None)));
        assert_eq!(
            get("urban_jobs", Kind::Target),
            Some((2022, 1100.0, Some("以上".into())))
        );
        assert_eq!(get("cpi", Kind::Outcome), Some((2021, 0.9, None)));
        assert_eq!(
            get("cpi", Kind::Target),
            Some((2022, 3.0, Some("左右".into())))
        );
        assert_eq!(
            get("surveyed_unemployment", Kind::Outcome),
            Some((2021, 5.1, None))
        );
    }

    #[test]
    fn amounts_in_wan_yi_become_yi_yuan() {
        assert_eq!(
            one("今年拟安排地方政府专项债券3.65万亿元。", 2022),
            (
                "local_special_bonds".into(),
                2022,
                Kind::Target,
                36500.0,
                None,
                None
            )
        );
        let all = run(
            "三、2016年重点工作\n今年拟安排财政赤字2.18万亿元，比去年增加5600亿元，赤字率提高到3%。其中，中央财政赤字1.4万亿元，地方财政赤字7800亿元。\n",
            2016,
        );
        assert!(all.contains(&("deficit".into(), 2016, Kind::Target, 21800.0, None, None)));
        assert!(all.contains(&("deficit_ratio".into(), 2016, Kind::Target, 3.0, None, None)));
        assert!(all.contains(&(
            "central_deficit".into(),
            2016,
            Kind::Target,
            14000.0,
            None,
            None
        )));
        // 地方财政赤字 is not the national deficit.
        assert_eq!(all.iter().filter(|v| v.0 == "deficit").count(), 1);
        assert_eq!(
            one("同时发行1万亿元抗疫特别国债。", 2020).3,
            10000.0,
            "特别国债 before its name"
        );
    }

    #[test]
    fn qualifiers_and_ranges_are_kept() {
        assert_eq!(
            one(
                "今年经济社会发展的主要预期目标是：国内生产总值增长6%-6.5%；",
                2019
            ),
            (
                "gdp_growth".into(),
                2019,
                Kind::Target,
                6.0,
                Some(6.5),
                None
            )
        );
        assert_eq!(
            one("今年赤字率拟按3.6%以上安排。", 2020).5,
            Some("以上".into())
        );
        // A target word in an outcome: 左右 is never an outcome.
        assert!(run("一、2020年工作回顾\n城镇调查失业率控制在5.5%以内。\n", 2021).is_empty());
    }

    #[test]
    fn old_reports_in_chinese_numerals_with_explicit_years() {
        assert_eq!(
            one(
                "一九八九年国民生产总值15677亿元，比上年增长百分之三点九。",
                1990
            ),
            ("gnp_growth".into(), 1989, Kind::Outcome, 3.9, None, None)
        );
        assert_eq!(
            one(
                "国家计划要求今年的国民生产总值比上年增长百分之五，工业总产值增长百分之六。",
                1990
            ),
            ("gnp_growth".into(), 1990, Kind::Target, 5.0, None, None)
        );
        // A year compared with is not the year spoken of; several years give nothing.
        assert!(
            run(
                "国民生产总值达到一万一千一百七十亿元，比一九八○年增长百分之四十四。",
                1986
            )
            .is_empty()
        );
        assert!(run("过去五年，国内生产总值年均增长7.1%。", 2018).is_empty());
    }

    #[test]
    fn grain_in_jin_and_tonnes_becomes_ten_thousand_tonnes() {
        assert_eq!(one("粮食产量1.37万亿斤，创历史新高。", 2022).3, 68500.0);
        assert_eq!(one("去年粮食产量达到54641万吨。", 2011).3, 54641.0);
        assert_eq!(one("粮食总产量达到8000亿斤。", 1990).3, 40000.0);
    }

    #[test]
    fn five_year_sections_are_skipped() {
        let text = "二、“十三五”时期发展成就和“十四五”时期主要目标任务\n城镇新增就业超过6000万人。国内生产总值增长6%。\n三、2021年重点工作\n今年发展主要预期目标是：国内生产总值增长6%以上。\n";
        assert_eq!(
            run(text, 2021),
            vec![(
                "gdp_growth".into(),
                2021,
                Kind::Target,
                6.0,
                None,
                Some("以上".into())
            )]
        );
    }
}
