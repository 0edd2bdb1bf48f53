//! The rules over the explanations of a disclosure (情况说明) against its tables: the 基本支出 section's amounts
//! and its lists of items (人员经费主要包括…) against the 一般公共预算财政拨款基本支出表, comparison words (决算数小于
//! 预算数, 持平) against the amounts they compare, and a 项's stated purpose (主要用于…) that names another 项.

use super::text::{NUM, flow, parse_num, sentence_at};
use super::{CellRef, Evidence, Report, Tables, money, squeeze};
use crate::budget::facts::Item;
use crate::budget::recognise::TableKind;
use regex::Regex;
use std::sync::LazyLock;

/// The two groups of a 基本支出 table: 人员经费 (301 工资福利, 303 对个人和家庭的补助) and 公用经费 (the rest).
#[derive(Clone, Copy, PartialEq)]
enum Group {
    Personnel,
    Public,
}

impl Group {
    fn label(self) -> &'static str {
        match self {
            Group::Personnel => "人员经费",
            Group::Public => "公用经费",
        }
    }

    fn of(code: &str) -> Group {
        if code.starts_with("301") || code.starts_with("303") {
            Group::Personnel
        } else {
            Group::Public
        }
    }
}

/// A name compared without spaces, quotes and a trailing 支出 (其他社会保障缴费支出 = 其他社会保障缴费).
fn item_key(name: &str) -> String {
    let s: String = squeeze(name)
        .chars()
        .filter(|c| !matches!(c, '“' | '”' | '"' | '（' | '）' | '(' | ')'))
        .collect();
    s.strip_suffix("支出").map(str::to_string).unwrap_or(s)
}

/// The 基本支出 section: 一般公共预算财政拨款基本支出 N 万元。其中：人员经费 N 万元，主要包括：…；公用经费 N 万元，
/// 主要包括：…。 The amounts against the table's 人员经费合计 and 公用经费合计 (and their sum), the lists against
/// the table's items with an amount.
pub(super) fn basic_section(text: &str, tables: &Tables<'_>, report: &mut Report<'_>) {
    static SECTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"一般公共预算财政拨款基本支出(?:决算)?(?:为)?{NUM}万元[。，,；]?其中[：:]人员经费(?:为)?{NUM}万元[，,]?(?:主要包括[：:]([^；;。]*))?[；;，,]公用经费(?:为)?{NUM}万元[，,]?(?:主要包括[：:]([^；;。]*))?"
        ))
        .expect("valid regex")
    });
    let Some((t, items)) = tables.of_kind(TableKind::GeneralBasic).next() else {
        return;
    };
    let title = tables.title(t);
    let total_row = |name: &str| items.iter().find(|i| squeeze(&i.name) == name).copied();
    let joined = flow(text);
    for c in SECTION.captures_iter(&joined) {
        let whole = c.get(0).expect("match");
        let quote = sentence_at(&joined, whole.start(), whole.end());
        let personnel = total_row("人员经费合计");
        let public = total_row("公用经费合计");
        // The stated amounts against the table: each group's total row, and the section's total against their sum.
        let stated = [
            (
                c.get(2),
                personnel.map(|i| (i.amount, i.raw.clone(), i.page, Some(CellRef::of(i)))),
                "人员经费",
                1,
            ),
            (
                c.get(4),
                public.map(|i| (i.amount, i.raw.clone(), i.page, Some(CellRef::of(i)))),
                "公用经费",
                1,
            ),
            (
                c.get(1),
                personnel.zip(public).map(|(p, q)| {
                    (
                        p.amount + q.amount,
                        money(p.amount + q.amount),
                        p.page,
                        None,
                    )
                }),
                "基本支出",
                2,
            ),
        ];
        for (m, expected, name, terms) in stated {
            let (Some(m), Some((amount, raw, page, cell))) = (m, expected) else {
                continue;
            };
            let Some(v) = parse_num(m.as_str()) else {
                continue;
            };
            let ev = |_: f64| Evidence {
                vars: vec![
                    ("name", format!("一般公共预算财政拨款{name}")),
                    ("table", title.clone()),
                ],
                page,
                table: Some(title.clone()),
                row: Some(format!("{name}合计")),
                column: Some("决算数".to_string()),
                cell,
                quote: Some(quote.clone()),
                expected: Some(raw.clone()),
                found: Some(m.as_str().to_string()),
            };
            let outcome = report.verdict(amount, v, terms);
            report.settle("text-amount", outcome, ev);
        }
        for (list, group) in [(c.get(3), Group::Personnel), (c.get(5), Group::Public)] {
            if let Some(list) = list {
                compare_list(list.as_str(), group, &quote, items, &title, report);
            }
        }
    }
}

/// A list of items (基本工资、津贴补贴…) against the table's items of the group: an item listed whose amount is
/// blank or zero, and an item with an amount that the list leaves out.
fn compare_list(
    list: &str,
    group: Group,
    quote: &str,
    items: &[&Item],
    title: &str,
    report: &mut Report<'_>,
) {
    let listed: Vec<String> = list
        .split(['、', '，', ','])
        .map(|s| s.trim().trim_end_matches('等'))
        .filter(|s| !s.is_empty())
        .map(item_key)
        .collect();
    if listed.len() < 2 {
        return;
    }
    // The group's items at the 款 level (5-digit economic codes).
    let of_group: Vec<&Item> = items
        .iter()
        .copied()
        .filter(|i| {
            i.economic
                && i.code
                    .as_deref()
                    .is_some_and(|c| c.len() == 5 && Group::of(c) == group)
        })
        .collect();
    if of_group.is_empty() {
        return;
    }
    let ev = |name: &str, item: Option<&Item>, expected: String, found: String| Evidence {
        vars: vec![
            ("group", group.label().to_string()),
            ("name", name.to_string()),
        ],
        page: item.and_then(|i| i.page),
        cell: item.map(CellRef::of),
        table: Some(title.to_string()),
        row: Some(item.map_or(name.to_string(), |i| {
            format!("{} {}", i.code.as_deref().unwrap_or(""), i.name)
        })),
        column: item.map(|i| i.column.clone()),
        quote: Some(quote.to_string()),
        expected: Some(expected),
        found: Some(found),
    };
    for name in &listed {
        let item = of_group
            .iter()
            .find(|i| item_key(&i.name) == *name)
            .copied();
        if item.is_none_or(|i| i.amount.abs() < 0.005) {
            // A name that is not an item of the table at all may be a wording of the text's own: only names the
            // table has, or names of the other group, are judged.
            let known = item.is_some()
                || items.iter().any(|i| item_key(&i.name) == *name)
                || economic_names().iter().any(|n| item_key(n) == *name);
            if known {
                let found = item.map_or_else(|| "无".to_string(), |i| i.raw.clone());
                report.add(
                    "text-list-blank",
                    ev(name, item, "0 或空白".to_string(), found),
                );
            }
        }
    }
    for item in of_group.iter().filter(|i| i.amount.abs() >= 0.005) {
        if !listed.contains(&item_key(&item.name)) {
            report.add(
                "text-list-missing",
                ev(
                    &item.name,
                    Some(item),
                    item.raw.clone(),
                    "未列出".to_string(),
                ),
            );
        }
    }
}

/// The names of the economic classification's 款 of 人员经费 and 公用经费, for lists whose table leaves blank rows
/// out (a blank 个人农业生产补贴 has no fact).
fn economic_names() -> &'static [&'static str] {
    &[
        "基本工资",
        "津贴补贴",
        "奖金",
        "伙食补助费",
        "绩效工资",
        "机关事业单位基本养老保险缴费",
        "职业年金缴费",
        "职工基本医疗保险缴费",
        "公务员医疗补助缴费",
        "其他社会保障缴费",
        "住房公积金",
        "医疗费",
        "其他工资福利支出",
        "离休费",
        "退休费",
        "退职（役）费",
        "抚恤金",
        "生活补助",
        "救济费",
        "医疗费补助",
        "助学金",
        "奖励金",
        "个人农业生产补贴",
        "代缴社会保险费",
        "其他对个人和家庭的补助",
        "办公费",
        "印刷费",
        "咨询费",
        "手续费",
        "水费",
        "电费",
        "邮电费",
        "取暖费",
        "物业管理费",
        "差旅费",
        "因公出国（境）费用",
        "维修（护）费",
        "租赁费",
        "会议费",
        "培训费",
        "公务接待费",
        "专用材料费",
        "被装购置费",
        "专用燃料费",
        "劳务费",
        "委托业务费",
        "工会经费",
        "福利费",
        "公务用车运行维护费",
        "其他交通费用",
        "税金及附加费用",
        "其他商品和服务支出",
        "办公设备购置",
        "专用设备购置",
        "信息网络及软件购置更新",
        "公务用车购置",
    ]
}

/// Comparison words against the two amounts they compare: 年初预算为 A 万元，支出决算为 B 万元。决算数小于（大于）
/// 预算数 / 决算数与预算数（基本）持平.
pub(super) fn comparison_words(text: &str, report: &mut Report<'_>) {
    static COMPARE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(年初|全年)预算(?:数)?为{NUM}万元[^。预]{{0,40}}?决算(?:数)?为{NUM}万元[^。]{{0,30}}?。?决算数(?:(小于|大于|低于|高于|少于|多于)(?:年初|全年)?预算数|(?:与|同|和)(?:年初|全年)?预算数(基本)?持平)"
        ))
        .expect("valid regex")
    });
    let joined = flow(text);
    for c in COMPARE.captures_iter(&joined) {
        let whole = c.get(0).expect("match");
        let (Some(budget), Some(actual)) = (parse_num(&c[2]), parse_num(&c[3])) else {
            continue;
        };
        let diff = actual - budget;
        let (word, holds) = match c.get(4).map(|m| m.as_str()) {
            Some(w @ ("小于" | "低于" | "少于")) => (w.to_string(), diff < -0.005),
            Some(w) => (w.to_string(), diff > 0.005),
            None if c.get(5).is_some() => (
                "基本持平".to_string(),
                diff.abs() <= budget.abs() * 0.01 + 0.005,
            ),
            None => ("持平".to_string(), diff.abs() <= 0.005),
        };
        if holds {
            continue;
        }
        let expected = if diff.abs() <= 0.005 {
            "持平"
        } else if diff < 0.0 {
            "小于"
        } else {
            "大于"
        };
        report.add(
            "text-comparison",
            Evidence {
                vars: vec![("found", word.clone()), ("expected", expected.to_string())],
                quote: Some(sentence_at(&joined, whole.start(), whole.end())),
                expected: Some(format!("决算数{expected}预算数（{} 与 {}）", &c[3], &c[2])),
                found: Some(word),
                ..Evidence::default()
            },
        );
    }
}

/// The text from the start of the line at `start` through `end`, on one line.
fn line_through(text: &str, start: usize, end: usize) -> String {
    let from = text[..start].rfind('\n').map_or(0, |p| p + 1);
    text[from..end].replace('\n', "")
}

/// A 项's stated purpose that names another 项 of the table and not its own (住房公积金（项）。主要用于：事业单位
/// 医疗保险支出).
pub(super) fn purposes(text: &str, tables: &Tables<'_>, report: &mut Report<'_>) {
    static PURPOSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"（款）([\p{Han}]{2,30})（项）[。，,]?\n?主要用于[：:]([^。\n]{2,120})")
            .expect("valid regex")
    });
    let source = [TableKind::GeneralExpenditure, TableKind::Expenditure]
        .into_iter()
        .find_map(|k| tables.of_kind(k).next());
    let Some((t, items)) = source else { return };
    let names: Vec<(&str, String)> = items
        .iter()
        .filter(|i| !i.economic && i.code.as_deref().is_some_and(|c| c.len() == 7))
        .filter_map(|i| Some((i.code.as_deref()?, item_key(&i.name))))
        .collect();
    let joined = flow(text);
    for c in PURPOSE.captures_iter(&joined) {
        let own = item_key(&c[1]);
        let purpose: String = squeeze(&c[2]);
        if purpose.contains(own.as_str()) {
            continue;
        }
        // Another 项 named in the purpose (four characters at least, and not a part of the 项's own name).
        let other = names.iter().find(|(_, n)| {
            n.chars().count() >= 4
                && *n != own
                && !own.contains(n.as_str())
                && purpose.contains(n.as_str())
        });
        let Some((code, name)) = other else { continue };
        let whole = c.get(0).expect("match");
        report.add(
            "text-purpose",
            Evidence {
                vars: vec![("item", c[1].to_string()), ("other", name.clone())],
                table: Some(tables.title(t)),
                row: Some(format!("{code} {name}")),
                quote: Some(line_through(&joined, whole.start(), whole.end())),
                expected: Some(format!("{}的用途", &c[1])),
                found: Some(c[2].to_string()),
                ..Evidence::default()
            },
        );
    }
}
