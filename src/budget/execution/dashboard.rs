//! The execution dashboard: for a year as it stands at the end of a month, the budget (年初预算 + 调整),
//! allocations and spending against the time line, by department (or by budget unit within a department), by
//! subject one level below the one chosen (类 → 款 → 项), month by month, and the units furthest behind. Pure
//! over the columns.

use super::Fund;
use super::columns::ExecColumns;
use serde::Serialize;
use std::collections::HashMap;

/// What the dashboard is asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecQuery {
    /// Default: the newest year with data.
    pub year: Option<i32>,
    /// The month the figures stand at (default: the latest with data).
    pub month: Option<u8>,
    /// Part of a region's name.
    pub region: Option<String>,
    /// A department (exact name): its budget units are listed.
    pub department: Option<String>,
    /// A budget unit (exact name).
    pub unit: Option<String>,
    /// A subject code (3, 5 or 7 digits): its children are listed.
    pub code: Option<String>,
    pub fund: Option<Fund>,
}

/// Budget against spending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Progress {
    pub budget: f64,
    pub adjustment: f64,
    /// 年初预算 + 调整.
    pub available: f64,
    pub allocated: f64,
    pub executed: f64,
    /// executed / available, where there is a budget.
    pub progress: Option<f64>,
    /// progress minus the time line (negative: behind).
    pub gap: Option<f64>,
}

impl Progress {
    fn finish(mut self, timeline: f64) -> Progress {
        self.available = self.budget + self.adjustment;
        if self.available > 0.0 {
            let p = self.executed / self.available;
            self.progress = Some(p);
            self.gap = Some(p - timeline);
        }
        self
    }
}

/// One line of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// A department's or unit's name, or a subject code.
    pub key: String,
    /// As shown (a subject's name with its code).
    pub label: String,
    #[serde(flatten)]
    pub progress: Progress,
}

/// One month of the year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MonthPoint {
    pub month: u8,
    pub executed: f64,
    pub allocated: f64,
    pub cumulative: f64,
    /// cumulative / the budget available at the month shown.
    pub progress: Option<f64>,
    pub timeline: f64,
}

/// The dashboard's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dashboard {
    pub years: Vec<i32>,
    pub year: Option<i32>,
    pub month: u8,
    /// The latest month with data in the year.
    pub latest_month: u8,
    /// month / 12.
    pub timeline: f64,
    pub total: Progress,
    /// "部门" or "预算单位".
    pub by_label: &'static str,
    pub by: Vec<Line>,
    /// The subjects one level below the chosen code.
    pub subjects: Vec<Line>,
    pub months: Vec<MonthPoint>,
    /// Budget units furthest behind the time line (with a budget of at least `BEHIND_MIN`).
    pub behind: Vec<Line>,
    /// Entries read.
    pub scanned: usize,
}

/// Units with less budget than this (万元) are not listed among the furthest behind.
pub const BEHIND_MIN: f64 = 10.0;
const BEHIND_LISTED: usize = 10;

#[derive(Default, Clone, Copy)]
struct Acc(Progress);

impl Acc {
    fn add(&mut self, cols: &ExecColumns, i: usize, last: bool) {
        self.0.adjustment += cols.adjustment[i];
        self.0.allocated += cols.allocated[i];
        self.0.executed += cols.executed[i];
        if last {
            self.0.budget += cols.budget[i];
        }
    }
}

/// The subject level one below `code` (3 → 5 → 7; none → 3).
fn child_len(code: Option<&str>) -> usize {
    match code.map(str::len) {
        None => 3,
        Some(3) => 5,
        Some(_) => 7,
    }
}

/// Answers a dashboard query. `name` gives a subject's name.
pub fn dashboard(
    cols: &ExecColumns,
    q: &ExecQuery,
    name: &dyn Fn(&str) -> Option<String>,
) -> Dashboard {
    let years = cols.years();
    let Some(year) = q.year.or_else(|| years.first().copied()) else {
        return Dashboard {
            by_label: "部门",
            ..Dashboard::default()
        };
    };
    let latest = cols.latest_month(year).unwrap_or(0);
    let month = q.month.unwrap_or(latest).clamp(1, 12);
    let timeline = month as f64 / 12.0;
    let range = cols.year_range(year);
    // Which units pass the filters.
    let unit_ok: Vec<bool> = cols
        .units
        .iter()
        .map(|u| {
            q.region
                .as_deref()
                .is_none_or(|r| cols.regions[u.region as usize].contains(r))
                && q.department
                    .as_deref()
                    .is_none_or(|d| cols.departments[u.department as usize] == d)
                && q.unit.as_deref().is_none_or(|n| u.name == n)
        })
        .collect();
    let code_ok: Vec<bool> = cols
        .codes
        .iter()
        .map(|c| q.code.as_deref().is_none_or(|p| c.starts_with(p)))
        .collect();
    let by_unit = q.department.is_some() || q.unit.is_some();
    let sub_len = child_len(q.code.as_deref());
    let mut total = Acc::default();
    let mut by_department = vec![Acc::default(); cols.departments.len()];
    let mut by_units = vec![Acc::default(); cols.units.len()];
    let mut subjects: HashMap<u32, Acc> = HashMap::new();
    let mut months = [(0.0f64, 0.0f64); 12];
    let mut scanned = 0;
    for i in range {
        let u = cols.unit[i] as usize;
        let c = cols.code[i] as usize;
        if !unit_ok[u] || !code_ok[c] || q.fund.is_some_and(|f| cols.fund[i] != f) {
            continue;
        }
        scanned += 1;
        let m = cols.month[i];
        months[m as usize - 1].0 += cols.executed[i];
        months[m as usize - 1].1 += cols.allocated[i];
        if m > month {
            continue;
        }
        let last = !cols.same_series(i, i + 1) || cols.month[i + 1] > month;
        total.add(cols, i, last);
        by_units[u].add(cols, i, last);
        by_department[cols.units[u].department as usize].add(cols, i, last);
        subjects.entry(cols.code[i]).or_default().add(cols, i, last);
    }
    let total = total.0.finish(timeline);
    let by: Vec<Line> = if by_unit {
        lines(by_units.iter().enumerate(), timeline, |i| {
            let n = cols.units[i].name.clone();
            (n.clone(), n)
        })
    } else {
        lines(by_department.iter().enumerate(), timeline, |i| {
            let n = cols.departments[i].clone();
            (n.clone(), n)
        })
    };
    // Subjects summed to the child level.
    let mut grouped: HashMap<String, Acc> = HashMap::new();
    for (c, acc) in subjects {
        let code = &cols.codes[c as usize];
        let k = code[..code.len().min(sub_len)].to_string();
        let e = grouped.entry(k).or_default();
        e.0.budget += acc.0.budget;
        e.0.adjustment += acc.0.adjustment;
        e.0.allocated += acc.0.allocated;
        e.0.executed += acc.0.executed;
    }
    let mut subjects: Vec<Line> = grouped
        .into_iter()
        .map(|(code, acc)| Line {
            label: match name(&code) {
                Some(n) => format!("{code} {n}"),
                None => code.clone(),
            },
            key: code,
            progress: acc.0.finish(timeline),
        })
        .collect();
    subjects.sort_by(|a, b| a.key.cmp(&b.key));
    let mut behind: Vec<Line> = lines(by_units.iter().enumerate(), timeline, |i| {
        let n = cols.units[i].name.clone();
        (n.clone(), n)
    })
    .into_iter()
    .filter(|l| l.progress.available >= BEHIND_MIN && l.progress.gap.is_some())
    .collect();
    behind.sort_by(|a, b| {
        a.progress
            .gap
            .unwrap_or(0.0)
            .total_cmp(&b.progress.gap.unwrap_or(0.0))
            .then_with(|| a.key.cmp(&b.key))
    });
    behind.truncate(BEHIND_LISTED);
    let mut cumulative = 0.0;
    let shown = latest.max(month);
    let months = (1..=shown)
        .map(|m| {
            let (executed, allocated) = months[m as usize - 1];
            cumulative += executed;
            MonthPoint {
                month: m,
                executed,
                allocated,
                cumulative,
                progress: (total.available > 0.0).then(|| cumulative / total.available),
                timeline: m as f64 / 12.0,
            }
        })
        .collect();
    Dashboard {
        years,
        year: Some(year),
        month,
        latest_month: latest,
        timeline,
        total,
        by_label: if by_unit { "预算单位" } else { "部门" },
        by,
        subjects,
        months,
        behind,
        scanned,
    }
}

/// Lines of the accumulators that saw data, largest budget first.
fn lines<'a>(
    accs: impl Iterator<Item = (usize, &'a Acc)>,
    timeline: f64,
    names: impl Fn(usize) -> (String, String),
) -> Vec<Line> {
    let mut out: Vec<Line> = accs
        .filter(|(_, a)| a.0 != Progress::default())
        .map(|(i, a)| {
            let (key, label) = names(i);
            Line {
                key,
                label,
                progress: a.0.finish(timeline),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.progress
            .available
            .total_cmp(&a.progress.available)
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::execution::ExecRow;

    fn r(
        dept: &str,
        unit: &str,
        code: &str,
        month: u8,
        budget: f64,
        adj: f64,
        exec: f64,
    ) -> ExecRow {
        ExecRow {
            year: 2025,
            month,
            region: "东湖市".into(),
            department: dept.into(),
            unit: unit.into(),
            code: code.into(),
            economic: None,
            fund: Fund::General,
            budget,
            adjustment: adj,
            allocated: 0.0,
            executed: exec,
            refund: false,
        }
    }

    fn rows() -> Vec<ExecRow> {
        vec![
            r("教育局", "一中", "2050203", 1, 120.0, 0.0, 10.0),
            r("教育局", "一中", "2050203", 2, 120.0, 30.0, 20.0),
            r("教育局", "一中", "2050203", 3, 130.0, 0.0, 40.0),
            r("教育局", "二中", "2050204", 1, 100.0, 0.0, 1.0),
            r("教育局", "二中", "2050204", 2, 100.0, 0.0, 2.0),
            r("卫健委", "医院", "2100201", 2, 300.0, 0.0, 90.0),
        ]
    }

    #[test]
    fn budgets_count_once_per_series_and_spending_adds_up_to_the_month_asked() {
        let cols = ExecColumns::from_rows(&rows());
        let name = |c: &str| (c == "205").then(|| "教育支出".to_string());
        let d = dashboard(&cols, &ExecQuery::default(), &name);
        assert_eq!((d.year, d.month, d.latest_month), (Some(2025), 3, 3));
        // 年初预算: 一中 as of March 130, 二中 100, 医院 300; 调整 30.
        assert_eq!(d.total.budget, 530.0);
        assert_eq!(d.total.available, 560.0);
        assert_eq!(d.total.executed, 163.0);
        assert_eq!(d.by_label, "部门");
        assert_eq!(d.by[0].key, "卫健委", "largest budget first");
        assert_eq!(d.by[1].key, "教育局");
        assert_eq!(d.by[1].progress.available, 260.0);
        assert_eq!(d.by[1].progress.executed, 73.0);
        assert_eq!(
            d.subjects
                .iter()
                .map(|l| l.label.as_str())
                .collect::<Vec<_>>(),
            ["205 教育支出", "210"]
        );
        assert_eq!(
            d.months.iter().map(|m| m.cumulative).collect::<Vec<_>>(),
            [11.0, 123.0, 163.0]
        );
        // 二中: 3 of 100 by March, the furthest behind.
        assert_eq!(d.behind[0].key, "二中");
        assert!((d.behind[0].progress.gap.unwrap() - (0.03 - 0.25)).abs() < 1e-9);

        let feb = dashboard(
            &cols,
            &ExecQuery {
                month: Some(2),
                department: Some("教育局".into()),
                code: Some("20502".into()),
                ..ExecQuery::default()
            },
            &name,
        );
        assert_eq!(feb.by_label, "预算单位");
        assert_eq!(feb.total.budget, 220.0, "一中 as known in February");
        assert_eq!(feb.total.executed, 33.0);
        assert_eq!(
            feb.subjects
                .iter()
                .map(|l| l.key.as_str())
                .collect::<Vec<_>>(),
            ["2050203", "2050204"]
        );
    }
}
