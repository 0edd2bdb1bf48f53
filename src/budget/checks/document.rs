//! The rules over a document as a document: placeholders, template instructions left in, doubled punctuation,
//! and the issuing unit's name written otherwise.

use super::{Evidence, Report, squeeze};
use crate::budget::facts::DocFacts;
use crate::budget::recognise::{Catalog, TableKind};
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Placeholders, template instructions, doubled punctuation and unit names that differ from the issuer.
pub(super) fn check(text: &str, facts: &DocFacts, report: &mut Report<'_>) {
    let line_of = |pos: usize| -> String {
        let from = text[..pos].rfind('\n').map_or(0, |p| p + 1);
        let to = text[pos..].find('\n').map_or(text.len(), |p| pos + p);
        text[from..to].chars().take(120).collect()
    };
    let placeholders = report.rules.placeholders.clone();
    let mut seen_lines = BTreeSet::new();
    for p in &placeholders {
        for (pos, _) in text.match_indices(p.as_str()) {
            let line = line_of(pos);
            if seen_lines.insert(line.clone()) {
                report.add(
                    "placeholder",
                    Evidence {
                        vars: vec![("found", p.clone())],
                        quote: Some(line),
                        found: Some(p.clone()),
                        ..Evidence::default()
                    },
                );
            }
        }
    }
    let phrases = report.rules.template_phrases.clone();
    let mut template_lines = BTreeSet::new();
    for p in &phrases {
        for (pos, _) in text.match_indices(p.as_str()) {
            if !template_lines.insert(line_of(pos)) {
                continue;
            }
            report.add(
                "template-text",
                Evidence {
                    quote: Some(line_of(pos)),
                    found: Some(p.clone()),
                    ..Evidence::default()
                },
            );
        }
    }
    static DOUBLED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"。。|，，|、、|；；|：：").expect("valid regex"));
    for m in DOUBLED.find_iter(text) {
        report.add(
            "doubled-punctuation",
            Evidence {
                vars: vec![("found", m.as_str().to_string())],
                quote: Some(line_of(m.start())),
                found: Some(m.as_str().to_string()),
                ..Evidence::default()
            },
        );
    }
    unit_names(text, facts, report, &line_of);
    years(text, facts, report, &line_of);
    contents(text, facts, report);
}

/// A year other than the disclosure's own in its name (2023年度部门决算 in a 2024 disclosure); a comparison with
/// another year (与2023年度相比, 比2023年度) is not one.
fn years(text: &str, facts: &DocFacts, report: &mut Report<'_>, line_of: &dyn Fn(usize) -> String) {
    static YEAR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(\d{4})年度?部门(决算|预算)").expect("valid regex"));
    let Some(own) = facts.issuer.year else { return };
    let mut seen = BTreeSet::new();
    for c in YEAR.captures_iter(text) {
        let m = c.get(0).expect("match");
        let Ok(year) = c[1].parse::<i32>() else {
            continue;
        };
        let before: String = text[..m.start()]
            .chars()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if year == own || before.contains(['与', '比', '较', '同', '和', '及']) {
            continue;
        }
        let line = line_of(m.start());
        if seen.insert(line.clone()) {
            report.add(
                "year",
                Evidence {
                    vars: vec![("found", c[1].to_string()), ("expected", own.to_string())],
                    quote: Some(line),
                    expected: Some(own.to_string()),
                    found: Some(c[1].to_string()),
                    ..Evidence::default()
                },
            );
        }
    }
}

/// The standard tables a table of contents lists, each present among the document's tables; and none of them
/// without amounts where the text states a non-zero amount of that budget.
fn contents(text: &str, facts: &DocFacts, report: &mut Report<'_>) {
    static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[一二三四五六七八九十]+、(.{2,40}表)$").expect("valid regex")
    });
    static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let Some(start) = lines.iter().take(200).position(|l| squeeze(l) == "目录") else {
        return;
    };
    let present: BTreeSet<TableKind> = facts.tables.iter().map(|t| t.kind).collect();
    for line in lines[start + 1..].iter().take(80) {
        if line.starts_with("第三部分") {
            break;
        }
        let Some(c) = ENTRY.captures(line) else {
            continue;
        };
        let kind = CATALOG.kind_of(&c[1]);
        if kind == TableKind::Generic || present.contains(&kind) {
            continue;
        }
        report.add(
            "missing-table",
            Evidence {
                vars: vec![("found", c[1].to_string())],
                quote: Some(line.to_string()),
                expected: Some(c[1].to_string()),
                found: Some("无此表".to_string()),
                ..Evidence::default()
            },
        );
    }
    blank_tables(text, facts, report);
}

/// A table of a budget (政府性基金, 国有资本经营) without any amount while the text states a non-zero amount of it.
fn blank_tables(text: &str, facts: &DocFacts, report: &mut Report<'_>) {
    static STATED: LazyLock<Vec<(TableKind, Regex)>> = LazyLock::new(|| {
        let re = |p: &str| Regex::new(p).expect("valid regex");
        vec![
            (
                TableKind::FundGrant,
                re(
                    r"政府性基金预算财政拨款(?:收入|支出|收入支出)(?:决算)?(?:总计|合计)?(?:为)?(\d[\d,]*(?:\.\d+)?)万元",
                ),
            ),
            (
                TableKind::StateCapitalGrant,
                re(
                    r"国有资本经营预算财政拨款(?:收入|支出|收入支出)(?:决算)?(?:总计|合计)?(?:为)?(\d[\d,]*(?:\.\d+)?)万元",
                ),
            ),
        ]
    });
    let joined = text.replace('\n', "");
    for (kind, re) in STATED.iter() {
        let Some(t) = facts.tables.iter().position(|t| t.kind == *kind) else {
            continue;
        };
        let has_amount = facts
            .items
            .iter()
            .any(|i| i.table as usize == t && i.amount.abs() >= 0.005);
        if has_amount {
            continue;
        }
        let stated = re.captures_iter(&joined).find(|c| {
            c[1].replace(',', "")
                .parse::<f64>()
                .is_ok_and(|v| v >= 0.005)
        });
        if let Some(c) = stated {
            let m = c.get(0).expect("match");
            let title = facts.tables[t].title.clone();
            report.add(
                "blank-table",
                Evidence {
                    vars: vec![("table", title.clone())],
                    table: Some(title),
                    quote: Some(m.as_str().to_string()),
                    expected: Some(c[1].to_string()),
                    found: Some("空表".to_string()),
                    ..Evidence::default()
                },
            );
        }
    }
}

/// The region and its tails made of whole segments (上海市普陀区, 普陀区).
fn region_segments(region: &str) -> Vec<String> {
    let mut out = vec![region.to_string()];
    for (i, c) in region.char_indices() {
        if matches!(c, '省' | '市' | '区' | '县' | '州' | '旗') {
            let rest = &region[i + c.len_utf8()..];
            if !rest.is_empty() {
                out.push(rest.to_string());
            }
        }
    }
    out
}

/// Names of the issuing unit written otherwise: with another region (上海市规划和自然资源局 for 上海市普陀区规划和
/// 自然资源局) or one character changed (规划与自然资源局).
fn unit_names(
    text: &str,
    facts: &DocFacts,
    report: &mut Report<'_>,
    line_of: &dyn Fn(usize) -> String,
) {
    let (Some(unit), Some(region)) = (facts.issuer.unit.as_deref(), facts.issuer.region.as_deref())
    else {
        return;
    };
    let unit_body = unit.strip_prefix("中共").unwrap_or(unit);
    let Some(core) = unit_body.strip_prefix(region) else {
        return;
    };
    let core_chars: Vec<char> = core.chars().collect();
    if core_chars.len() < 3 {
        return;
    }
    let tail: String = core_chars[core_chars.len() - 2..].iter().collect();
    let mut seen = BTreeSet::new();
    for (pos, _) in text.match_indices(tail.as_str()) {
        let end = pos + tail.len();
        // The run of Han characters ending at the tail, at most as long as the unit's name.
        let before: Vec<char> = text[..end]
            .chars()
            .rev()
            .take_while(|c| crate::text::is_cjk(*c))
            .collect();
        if before.len() < core_chars.len() {
            continue;
        }
        let run: String = before.iter().rev().collect();
        let run_chars: Vec<char> = run.chars().collect();
        let candidate_core: String = run_chars[run_chars.len() - core_chars.len()..]
            .iter()
            .collect();
        let prefix: String = run_chars[..run_chars.len() - core_chars.len()]
            .iter()
            .collect();
        let found = if candidate_core == core {
            // The name with its own region, or a part of it (普陀区财政局), is right; another region is not.
            let own = region_segments(region)
                .iter()
                .any(|r| prefix.ends_with(r.as_str()));
            if own || !prefix.ends_with(['省', '市', '区', '县']) {
                continue;
            }
            let chars: Vec<char> = prefix.chars().collect();
            let from = chars.len().saturating_sub(3);
            format!("{}{}", chars[from..].iter().collect::<String>(), core)
        } else {
            let differing = candidate_core
                .chars()
                .zip(core.chars())
                .filter(|(a, b)| a != b)
                .count();
            if differing != 1 || core_chars.len() < 5 {
                continue;
            }
            candidate_core
        };
        if seen.insert(found.clone()) {
            report.add(
                "unit-name",
                Evidence {
                    vars: vec![("found", found.clone()), ("expected", unit.to_string())],
                    quote: Some(line_of(pos)),
                    expected: Some(unit.to_string()),
                    found: Some(found),
                    ..Evidence::default()
                },
            );
        }
    }
}
