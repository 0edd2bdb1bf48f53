//! The rules over a document's tables: each row's total, 类 = Σ款 = Σ项, 合计 = Σ类, the summary tables'
//! balance, and the identities between the standard tables.

use super::{
    Balance, CellRef, Evidence, Place, Report, Tables, is_total_column, money, squeeze,
    tables_title,
};
use crate::budget::facts::Item;
use crate::budget::recognise::TableKind;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

/// The evidence of a total row of table `t` that differs from `sum` by `diff`: its table, row, column, page and
/// printed value, with `extra` message variables.
fn total_evidence<'e>(
    tables: &Tables<'_>,
    t: u32,
    total: &Item,
    sum: f64,
    diff: f64,
    extra: Vec<(&'e str, String)>,
) -> Evidence<'e> {
    let mut vars = vec![
        ("table", tables.title(t)),
        ("name", total.name.clone()),
        ("column", total.column.clone()),
        ("diff", money(diff.abs())),
    ];
    vars.extend(extra);
    Evidence {
        vars,
        page: total.page,
        table: Some(tables.title(t)),
        row: Some(total.name.clone()),
        column: Some(total.column.clone()),
        cell: Some(CellRef::of(total)),
        expected: Some(money(sum)),
        found: Some(total.raw.clone()),
        ..Evidence::default()
    }
}

/// Each row's total equals the sum of its other amount columns (收入表, 支出表, 一般公共预算支出表, the
/// 支出 side of the 财政拨款总表).
pub(super) fn row_sums(tables: &Tables<'_>, report: &mut Report<'_>) {
    let kinds = [
        TableKind::Income,
        TableKind::Expenditure,
        TableKind::GeneralExpenditure,
        TableKind::GrantSummary,
    ];
    for (&t, items) in &tables.by_table {
        if !kinds.contains(&tables.kind(t)) {
            continue;
        }
        // The parts a table has anywhere: a row without a cell in a part column holds zero there.
        let mut rows: BTreeMap<(u32, Option<&str>), Vec<&Item>> = BTreeMap::new();
        for i in items {
            rows.entry((i.cell.0, i.side.as_deref()))
                .or_default()
                .push(i);
        }
        for ((_, _), cells) in rows {
            let Some(total) = cells.iter().find(|i| is_total_column(&i.column)) else {
                continue;
            };
            let parts: Vec<&&Item> = cells
                .iter()
                .filter(|i| !is_total_column(&i.column) && !i.column.contains('/'))
                .collect();
            let sum: f64 = parts.iter().map(|i| i.amount).sum();
            // A total with no parts at all has nothing to be rounded from.
            let outcome = match report.verdict(total.amount, sum, parts.len()) {
                Balance::Rounding(d) if parts.is_empty() => Balance::Wrong(d),
                outcome => outcome,
            };
            report.settle("row-sum", outcome, |diff| {
                let extra = vec![
                    ("row", (total.cell.0 + 1).to_string()),
                    ("total", total.column.clone()),
                ];
                total_evidence(tables, t, total, sum, diff, extra)
            });
        }
    }
}

/// 类 = Σ款 and 款 = Σ项 in every column (functional codes), and 30x = Σ30xxx (economic codes).
pub(super) fn tree_sums(tables: &Tables<'_>, report: &mut Report<'_>) {
    for (&t, items) in &tables.by_table {
        let mut codes: BTreeMap<Option<&str>, BTreeSet<&str>> = BTreeMap::new();
        let mut cells: HashMap<(Option<&str>, &str, &str), &Item> = HashMap::new();
        for i in items {
            if let Some(code) = i.code.as_deref() {
                codes.entry(i.side.as_deref()).or_default().insert(code);
                cells.insert((i.side.as_deref(), code, i.column.as_str()), i);
            }
        }
        let columns: BTreeSet<&str> = items.iter().map(|i| i.column.as_str()).collect();
        for (side, set) in &codes {
            for parent in set.iter().filter(|c| c.len() == 3 || c.len() == 5) {
                let children: Vec<&str> = set
                    .iter()
                    .filter(|c| c.len() == parent.len() + 2 && c.starts_with(parent))
                    .copied()
                    .collect();
                if children.is_empty() {
                    continue;
                }
                for column in &columns {
                    let total = cells.get(&(*side, *parent, *column));
                    let sum: f64 = children
                        .iter()
                        .filter_map(|c| cells.get(&(*side, *c, *column)))
                        .map(|i| i.amount)
                        .sum();
                    let amount = total.map_or(0.0, |i| i.amount);
                    let any = total.is_some()
                        || children
                            .iter()
                            .any(|c| cells.contains_key(&(*side, *c, *column)));
                    if !any {
                        continue;
                    }
                    let name = total.map(|i| i.name.clone()).unwrap_or_default();
                    let ev = |diff: f64| Evidence {
                        vars: vec![
                            ("table", tables.title(t)),
                            ("column", column.to_string()),
                            ("code", parent.to_string()),
                            (
                                "name",
                                if name.is_empty() {
                                    parent.to_string()
                                } else {
                                    name.clone()
                                },
                            ),
                            ("diff", money(diff.abs())),
                        ],
                        page: total.and_then(|i| i.page),
                        table: Some(tables.title(t)),
                        row: Some(format!("{parent} {name}").trim().to_string()),
                        column: Some(column.to_string()),
                        expected: Some(money(sum)),
                        found: Some(
                            total.map_or_else(|| "（空白）".to_string(), |i| i.raw.clone()),
                        ),
                        ..Evidence::default()
                    };
                    let outcome = report.verdict(amount, sum, children.len());
                    report.settle("tree-sum", outcome, ev);
                }
            }
        }
    }
}

/// 合计 rows equal the sum of the 类 rows of their side, in every column.
pub(super) fn total_sums(tables: &Tables<'_>, report: &mut Report<'_>) {
    for (&t, items) in &tables.by_table {
        let any_class: BTreeSet<Option<&str>> = items
            .iter()
            .filter(|i| i.code.as_deref().is_some_and(|c| c.len() == 3))
            .map(|i| i.side.as_deref())
            .collect();
        for total in items
            .iter()
            .filter(|i| i.total && !squeeze(&i.name).contains("总计"))
        {
            let side = total.side.as_deref();
            if !any_class.contains(&side) {
                continue;
            }
            // 人员经费 are the classes 301 and 303 of the economic classification, 公用经费 the others.
            let name = squeeze(&total.name);
            let personnel = |code: &str| code == "301" || code == "303";
            let wanted: Box<dyn Fn(&str) -> bool> = if name.contains("人员经费") {
                Box::new(personnel)
            } else if name.contains("公用经费") {
                Box::new(move |c: &str| !personnel(c))
            } else {
                Box::new(|_: &str| true)
            };
            let (sum, n) = items
                .iter()
                .filter(|i| {
                    i.side.as_deref() == side
                        && i.column == total.column
                        && i.code.as_deref().is_some_and(|c| c.len() == 3 && wanted(c))
                })
                .fold((0.0, 0), |(s, n), i| (s + i.amount, n + 1));
            let outcome = report.verdict(total.amount, sum, n);
            report.settle("total-sum", outcome, |diff| {
                total_evidence(tables, t, total, sum, diff, vec![("level", "类".into())])
            });
        }
    }
}

static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[一二三四五六七八九十]+、").expect("valid regex"));

/// The summary tables (收入支出决算总表, 财政拨款收入支出决算总表): on each side 本年…合计 = Σ numbered items,
/// 总计 = 本年…合计 + the 结转/结余 rows, and the two sides' 总计 agree.
pub(super) fn summary_balance(tables: &Tables<'_>, report: &mut Report<'_>) {
    for kind in [TableKind::Summary, TableKind::GrantSummary] {
        for (t, items) in tables.of_kind(kind) {
            let mut by_side: BTreeMap<(Option<&str>, &str), Vec<&Item>> = BTreeMap::new();
            for i in items {
                by_side
                    .entry((i.side.as_deref(), i.column.as_str()))
                    .or_default()
                    .push(i);
            }
            let mut grand: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
            for ((_, column), mut rows) in by_side {
                rows.sort_by_key(|i| i.cell.0);
                let year_total = rows.iter().position(|i| {
                    let n = squeeze(&i.name);
                    n == "本年收入合计" || n == "本年支出合计"
                });
                let grand_total = rows.iter().position(|i| squeeze(&i.name) == "总计");
                if let Some(y) = year_total {
                    let parts: Vec<&&Item> = rows[..y]
                        .iter()
                        .filter(|i| NUMBERED.is_match(&squeeze(&i.name)))
                        .collect();
                    let sum: f64 = parts.iter().map(|i| i.amount).sum();
                    balance(report, tables, t, rows[y], sum, parts.len());
                    if let Some(g) = grand_total.filter(|g| *g > y) {
                        let extra: Vec<&&Item> = rows[y + 1..g]
                            .iter()
                            .filter(|i| {
                                let n = squeeze(&i.name);
                                (n.contains("结转") || n.contains("结余")) && !n.starts_with("其中")
                            })
                            .collect();
                        let sum = rows[y].amount + extra.iter().map(|i| i.amount).sum::<f64>();
                        balance(report, tables, t, rows[g], sum, extra.len() + 1);
                    }
                }
                if let Some(g) = grand_total {
                    grand.entry(column).or_default().push(rows[g]);
                }
            }
            // The first column of each side carries the side's 总计 (决算数 on the left, 合计 on the right).
            let firsts: Vec<&Item> = grand.values().filter_map(|v| v.first().copied()).collect();
            let sides: BTreeMap<Option<&str>, &Item> =
                firsts.iter().map(|i| (i.side.as_deref(), *i)).collect();
            if sides.len() == 2 {
                let v: Vec<&&Item> = sides.values().collect();
                if (v[0].amount - v[1].amount).abs() > 1e-6 {
                    report.add(
                        "summary-balance",
                        Evidence {
                            vars: vec![
                                ("table", tables.title(t)),
                                ("name", "收入总计与支出总计".into()),
                            ],
                            page: v[1].page,
                            table: Some(tables.title(t)),
                            row: Some("总计".into()),
                            expected: Some(v[0].raw.clone()),
                            found: Some(v[1].raw.clone()),
                            ..Evidence::default()
                        },
                    );
                }
            }
        }
    }
}

fn balance(
    report: &mut Report<'_>,
    tables: &Tables<'_>,
    t: u32,
    total: &Item,
    sum: f64,
    terms: usize,
) {
    let outcome = report.verdict(total.amount, sum, terms);
    report.settle("summary-balance", outcome, |diff| {
        total_evidence(tables, t, total, sum, diff, Vec::new())
    });
}

/// The identities between the standard tables of a final account.
pub(super) fn cross_tables(tables: &Tables<'_>, report: &mut Report<'_>) {
    use TableKind::*;
    let pairs: [(&str, Place<'_>, Place<'_>); 5] = [
        (
            "本年收入合计",
            (Summary, Some("收入"), "本年收入合计", "决算数"),
            (Income, None, "合计", "本年收入合计"),
        ),
        (
            "本年支出合计",
            (Summary, Some("支出"), "本年支出合计", "决算数"),
            (Expenditure, None, "合计", "本年支出合计"),
        ),
        (
            "财政拨款收入",
            (Income, None, "合计", "财政拨款收入"),
            (GrantSummary, Some("收入"), "本年收入合计", "决算数"),
        ),
        (
            "一般公共预算财政拨款支出",
            (GeneralExpenditure, None, "合计", "本年支出合计"),
            (
                GrantSummary,
                Some("支出"),
                "本年支出合计",
                "一般公共预算财政拨款",
            ),
        ),
        (
            "基本支出",
            (GeneralExpenditure, None, "合计", "基本支出"),
            (GeneralBasic, None, "", ""),
        ),
    ];
    for (name, a, b) in pairs {
        let Some(x) = tables.find(a.0, a.1, a.2, a.3) else {
            continue;
        };
        let (y_amount, y_raw, y_page, terms) = if b.0 == GeneralBasic {
            // 人员经费合计 + 公用经费合计.
            let totals: Vec<&Item> = tables
                .of_kind(GeneralBasic)
                .flat_map(|(_, items)| items.iter().copied().filter(|i| i.total))
                .collect();
            if totals.is_empty() {
                continue;
            }
            let sum: f64 = totals.iter().map(|i| i.amount).sum();
            (sum, money(sum), totals[0].page, totals.len())
        } else {
            let Some(y) = tables.find(b.0, b.1, b.2, b.3) else {
                continue;
            };
            (y.amount, y.raw.clone(), y.page, 1)
        };
        let title_of = |k: TableKind| tables_title(tables, k);
        let ev = |diff: f64| Evidence {
            vars: vec![
                ("name", name.to_string()),
                ("table", title_of(a.0)),
                ("other", title_of(b.0)),
                ("column", a.3.to_string()),
                ("diff", money(diff.abs())),
            ],
            page: y_page.or(x.page),
            table: Some(title_of(a.0)),
            row: Some(name.to_string()),
            column: Some(a.3.to_string()),
            expected: Some(x.raw.clone()),
            found: Some(y_raw.clone()),
            ..Evidence::default()
        };
        let outcome = report.verdict(x.amount, y_amount, terms);
        report.settle("cross-table", outcome, ev);
    }
}
