//! The rules over a document's text against its tables: stated totals, shares, growth and completion rates
//! recomputed to the precision written, and subject names against the table's names for the same codes.

use super::{CellRef, Evidence, Place, Report, Tables, is_total_column, squeeze, tables_title};
use crate::budget::recognise::TableKind;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The text with line breaks inside sentences removed and spaces around digits dropped ("2024 年" → "2024年").
pub(super) fn normalise(text: &str) -> String {
    static SPACES: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[ \t\u{3000}]+").expect("valid regex"));
    let joined: String = text.lines().map(str::trim).collect::<Vec<_>>().join("\n");
    let without = SPACES.replace_all(&joined, "");
    without.into_owned()
}

/// The text with the line breaks of the page layout removed: a line runs on into the next unless it ends a
/// sentence (。) or is a heading (六、…情况说明, （三）…), so that a sentence broken across lines reads whole and a
/// heading stays apart from the paragraph after it.
pub(super) fn flow(text: &str) -> String {
    static HEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)[^。]*$")
            .expect("valid regex")
    });
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if HEADING.is_match(line) && !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(line);
        if line.ends_with('。') || HEADING.is_match(line) {
            out.push('\n');
        }
    }
    out
}

/// A number as written (2,995.39).
pub(super) const NUM: &str = r"(\d[\d,]*(?:\.\d+)?)";

pub(super) fn parse_num(s: &str) -> Option<f64> {
    s.replace(',', "").parse().ok()
}

/// The sentence (between 。 or line breaks) around a byte range.
pub(super) fn sentence_at(text: &str, start: usize, end: usize) -> String {
    let from = text[..start].rfind(['。', '\n']).map_or(0, |p| {
        p + text[p..].chars().next().map_or(1, char::len_utf8)
    });
    let to = text[end..]
        .find(['。', '\n'])
        .map_or(text.len(), |p| end + p);
    text[from..to].trim().to_string()
}

/// Totals the text states, compared with the tables.
pub(super) fn text_amounts(text: &str, tables: &Tables<'_>, report: &mut Report<'_>) {
    use TableKind::*;
    static PATTERNS: LazyLock<Vec<(Regex, Place<'static>, &'static str)>> = LazyLock::new(|| {
        let re = |p: &str| Regex::new(&p.replace("NUM", NUM)).expect("valid regex");
        vec![
            (
                re(r"(?:^|[^拨款])收入支出总计NUM万元"),
                (Summary, Some("收入"), "总计", "决算数"),
                "收入支出总计",
            ),
            (
                re(r"财政拨款收入支出总计NUM万元"),
                (GrantSummary, Some("收入"), "总计", "决算数"),
                "财政拨款收入支出总计",
            ),
            (
                re(r"本年收入合计NUM万元"),
                (Income, None, "合计", "本年收入合计"),
                "本年收入合计",
            ),
            (
                re(r"本年支出合计NUM万元"),
                (Expenditure, None, "合计", "本年支出合计"),
                "本年支出合计",
            ),
        ]
    });
    for (re, (kind, side, row, column), name) in PATTERNS.iter() {
        let Some(item) = tables.find(*kind, *side, row, column) else {
            continue;
        };
        for c in re.captures_iter(text) {
            let m = c.get(1).expect("one group");
            let Some(v) = parse_num(m.as_str()) else {
                continue;
            };
            if (v - item.amount).abs() > 0.005 + 1e-9 {
                report.add(
                    "text-amount",
                    Evidence {
                        vars: vec![
                            ("name", name.to_string()),
                            ("table", tables_title(tables, *kind)),
                        ],
                        page: item.page,
                        cell: Some(CellRef::of(item)),
                        table: Some(tables_title(tables, *kind)),
                        row: Some(row.to_string()),
                        column: Some(column.to_string()),
                        quote: Some(sentence_at(text, m.start(), m.end())),
                        expected: Some(item.raw.clone()),
                        found: Some(m.as_str().to_string()),
                    },
                );
            }
        }
    }
}

/// Whether `stated` (with its decimals) is the percentage `part / base` given that both amounts were rounded
/// to cents: `Some(true)` rounded right, `Some(false)` truncated, `None` wrong.
fn percent_matches(stated: &str, part: f64, base: f64) -> Option<bool> {
    let decimals = stated.split('.').nth(1).map_or(0, str::len) as i32;
    let value: f64 = stated.parse().ok()?;
    let scale = 10f64.powi(decimals);
    let exact = part / base * 100.0;
    let lo = (part - 0.005).max(0.0) / (base + 0.005) * 100.0;
    let hi = (part + 0.005) / (base - 0.005).max(1e-9) * 100.0;
    let eq = |a: f64, b: f64| (a - b).abs() < 0.5 / scale / 10.0;
    let rounded_lo = (lo * scale).round() / scale;
    let rounded_hi = (hi * scale).round() / scale;
    if value >= rounded_lo - 1e-9 && value <= rounded_hi + 1e-9 {
        return Some(true);
    }
    eq((exact * scale).trunc() / scale, value).then_some(false)
}

/// Shares (占 P%) recomputed from the amounts of their sentence.
pub(super) fn text_shares(text: &str, tables: &Tables<'_>, report: &mut Report<'_>) {
    static AMOUNT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!("{NUM}万元")).expect("valid regex"));
    static SHARE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(r"([\p{{Han}}（）()]{{0,30}}?){NUM}万元[，,]?占([\p{{Han}}]{{0,12}}?的)?(\d+(?:\.\d+)?)%")).expect("valid regex")
    });
    // A line ending in a colon or a comma continues on the next one (主要用于以下方面：\n一般公共服务支出…).
    static CONTINUED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([：，；、,])\n").expect("valid regex"));
    let joined = CONTINUED.replace_all(text, "$1");
    for sentence in joined.split(['。', '\n']) {
        // The base of the shares: the first amount of the sentence, unless it is itself a share.
        let base_in_sentence = AMOUNT.captures(sentence).and_then(|c| {
            let m = c.get(1)?;
            let rest = &sentence[m.end()..];
            let rest = rest.strip_prefix("万元").unwrap_or(rest);
            if rest.trim_start_matches(['，', ',']).starts_with('占') {
                return None;
            }
            Some((m.start(), parse_num(m.as_str())?))
        });
        for c in SHARE.captures_iter(sentence) {
            let (Some(name), Some(amount), Some(pct)) = (c.get(1), c.get(2), c.get(4)) else {
                continue;
            };
            let Some(part) = parse_num(amount.as_str()) else {
                continue;
            };
            let named = c
                .get(3)
                .map(|m| m.as_str().trim_end_matches('的').to_string());
            let base = match named.as_deref() {
                Some("本年支出合计") => tables
                    .find(TableKind::Expenditure, None, "合计", "本年支出合计")
                    .map(|i| i.amount),
                Some("本年收入合计") => tables
                    .find(TableKind::Income, None, "合计", "本年收入合计")
                    .map(|i| i.amount),
                Some(_) => None,
                None => base_in_sentence
                    .filter(|(start, _)| *start < amount.start())
                    .map(|(_, v)| v),
            };
            let Some(base) = base.filter(|b| *b > 0.0) else {
                continue;
            };
            let label = name
                .as_str()
                .trim_start_matches(['：', '；', '，', ':'])
                .to_string();
            let label = if label.is_empty() {
                amount.as_str().to_string()
            } else {
                label
            };
            let ev = |expected: f64| Evidence {
                vars: vec![("name", label.clone())],
                quote: Some(sentence.trim().to_string()),
                expected: Some(format!("{expected:.2}%")),
                found: Some(format!("{}%", pct.as_str())),
                ..Evidence::default()
            };
            match percent_matches(pct.as_str(), part, base) {
                Some(true) => {}
                Some(false) => report.add("text-share-truncated", ev(part / base * 100.0)),
                None => report.add("text-share", ev(part / base * 100.0)),
            }
        }
    }
}

/// Growth rates (增加 N 万元，增长 P%) recomputed from the current amount stated just before and the change.
pub(super) fn text_growth(text: &str, report: &mut Report<'_>) {
    static GROWTH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(增加|减少){NUM}万元[，,]?(增长|下降)(\d+(?:\.\d+)?)(%?)"
        ))
        .expect("valid regex")
    });
    static AMOUNT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"(增加|减少)?{NUM}万元")).expect("valid regex"));
    static ZERO_BUDGET: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"年初预算(?:数)?为0(?:\.0+)?万元[^。]{0,80}?完成年初预算的(\d+(?:\.\d+)?)%")
            .expect("valid regex")
    });
    for c in GROWTH.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let quote = sentence_at(text, whole.start(), whole.end());
        let (Some(dir), Some(change), Some(pct), Some(sign)) =
            (c.get(1), c.get(2), c.get(4), c.get(5))
        else {
            continue;
        };
        if sign.as_str().is_empty() {
            report.add(
                "text-percent-sign",
                Evidence {
                    quote: Some(quote.clone()),
                    found: Some(pct.as_str().to_string()),
                    expected: Some(format!("{}%", pct.as_str())),
                    ..Evidence::default()
                },
            );
        }
        let Some(change_v) = parse_num(change.as_str()) else {
            continue;
        };
        // The current amount: the last amount before the change (within the paragraph) that is not a change.
        let window_start = whole.start().saturating_sub(300);
        let window_start = (window_start..whole.start())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(whole.start());
        let current = AMOUNT
            .captures_iter(&text[window_start..whole.start()])
            .filter(|a| a.get(1).is_none())
            .filter_map(|a| parse_num(a.get(2)?.as_str()))
            .last();
        let Some(current) = current else { continue };
        let prior = if dir.as_str() == "增加" {
            current - change_v
        } else {
            current + change_v
        };
        if prior.abs() <= 0.005 {
            report.add(
                "text-growth-zero-base",
                Evidence {
                    quote: Some(quote),
                    found: Some(format!("{}%", pct.as_str())),
                    ..Evidence::default()
                },
            );
            continue;
        }
        if prior < 0.0 {
            continue;
        }
        match percent_matches(pct.as_str(), change_v, prior) {
            Some(true) => {}
            Some(false) => report.add(
                "text-share-truncated",
                Evidence {
                    vars: vec![(
                        "name",
                        format!("{}{}", c.get(3).map_or("", |m| m.as_str()), pct.as_str()),
                    )],
                    quote: Some(quote),
                    expected: Some(format!("{:.2}%", change_v / prior * 100.0)),
                    found: Some(format!("{}%", pct.as_str())),
                    ..Evidence::default()
                },
            ),
            None => report.add(
                "text-growth",
                Evidence {
                    quote: Some(quote),
                    expected: Some(format!("{:.2}%", change_v / prior * 100.0)),
                    found: Some(format!("{}%", pct.as_str())),
                    ..Evidence::default()
                },
            ),
        }
    }
    static COMPLETION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"年初预算(?:数)?为{NUM}万元[^。]{{0,60}}?决算(?:数)?为{NUM}万元[^。]{{0,20}}?完成(?:年初)?预算(?:数)?的(\d+(?:\.\d+)?)%"
        ))
        .expect("valid regex")
    });
    for c in COMPLETION.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let (Some(budget), Some(actual)) = (parse_num(&c[1]), parse_num(&c[2])) else {
            continue;
        };
        if budget <= 0.005 {
            continue;
        }
        let ev = |rule: &str, report: &mut Report<'_>| {
            report.add(
                rule,
                Evidence {
                    vars: vec![("name", format!("完成年初预算的{}%", &c[3]))],
                    quote: Some(sentence_at(text, whole.start(), whole.end())),
                    expected: Some(format!("{:.2}%", actual / budget * 100.0)),
                    found: Some(format!("{}%", &c[3])),
                    ..Evidence::default()
                },
            )
        };
        match percent_matches(&c[3], actual, budget) {
            Some(true) => {}
            Some(false) => ev("text-share-truncated", report),
            None => ev("text-completion", report),
        }
    }
    for c in ZERO_BUDGET.captures_iter(text) {
        let whole = c.get(0).expect("match");
        report.add(
            "text-completion-zero-budget",
            Evidence {
                quote: Some(sentence_at(text, whole.start(), whole.end())),
                found: Some(format!("{}%", &c[1])),
                ..Evidence::default()
            },
        );
    }
}

/// Subject names in the text (X（类）Y（款）Z（项）) against the names the table gives the same codes. The code is
/// found by name; a name the table does not have is matched by the amount the sentence states (支出决算为 N 万元)
/// or, for a 款, by the 项 below it.
pub(super) fn text_subject_names(text: &str, tables: &Tables<'_>, report: &mut Report<'_>) {
    static PATH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"([\p{Han}]{2,30})（类）([\p{Han}]{2,30})（款）([\p{Han}]{2,30})（项）")
            .expect("valid regex")
    });
    static ACTUAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"决算(?:数)?为{NUM}万元")).expect("valid regex"));
    // Names and amounts by code, from the 一般公共预算 expenditure table (the text's section), else the 支出表.
    let source = [TableKind::GeneralExpenditure, TableKind::Expenditure]
        .into_iter()
        .find_map(|k| tables.of_kind(k).next());
    let Some((t, items)) = source else { return };
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    let mut amounts: BTreeMap<&str, f64> = BTreeMap::new();
    for i in items.iter() {
        if let Some(code) = i.code.as_deref().filter(|_| !i.economic) {
            names.insert(code, i.name.as_str());
            if is_total_column(&i.column) {
                amounts.insert(code, i.amount);
            }
        }
    }
    let joined = text.replace('\n', "");
    let by_name = |prefix: &str, len: usize, name: &str| -> Option<&str> {
        names
            .iter()
            .find(|(c, n)| c.len() == len && c.starts_with(prefix) && squeeze(n) == name)
            .map(|(c, _)| *c)
    };
    for c in PATH.captures_iter(&joined) {
        let whole = c.get(0).expect("match");
        let (class, section, item) = (&c[1], &c[2], &c[3]);
        let Some(class_code) = by_name("", 3, class) else {
            continue;
        };
        let tail: String = joined[whole.end()..].chars().take(120).collect();
        let stated = ACTUAL.captures(&tail).and_then(|a| parse_num(&a[1]));
        // The 项: by name under the class, else the one child of the class with the stated amount.
        let item_code = by_name(class_code, 7, item).or_else(|| {
            let stated = stated?;
            let matching: Vec<&str> = amounts
                .iter()
                .filter(|(c, a)| {
                    c.len() == 7 && c.starts_with(class_code) && (**a - stated).abs() < 0.005
                })
                .map(|(c, _)| *c)
                .collect();
            (matching.len() == 1).then(|| matching[0])
        });
        let section_code = by_name(class_code, 5, section).or_else(|| item_code.map(|c| &c[..5]));
        let mut flag = |code: &str, written: &str| {
            let Some(name) = names.get(code) else { return };
            if squeeze(name) == written {
                return;
            }
            report.add(
                "text-subject-name",
                Evidence {
                    vars: vec![
                        ("found", written.to_string()),
                        ("code", code.to_string()),
                        ("expected", name.to_string()),
                    ],
                    table: Some(tables.title(t)),
                    row: Some(format!("{code} {name}")),
                    quote: Some(sentence_at(&joined, whole.start(), whole.end())),
                    expected: Some(name.to_string()),
                    found: Some(written.to_string()),
                    page: items
                        .iter()
                        .find(|i| i.code.as_deref() == Some(code))
                        .and_then(|i| i.page),
                    ..Evidence::default()
                },
            );
        };
        if let Some(code) = section_code {
            flag(code, section);
        }
        if let Some(code) = item_code {
            flag(code, item);
        }
    }
}
