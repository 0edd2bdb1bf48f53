//! A generated year of monthly execution (marked 生成数据) for demonstrations, benchmarks and measuring the pace
//! rules: the generated departments of the budget generator, each with budget units, each unit with functional
//! items (项) × economic codes, a seasonal spending shape (capital items slower in spring), and a share of
//! (unit, item) series with a planted pace problem whose kind is recorded. `score` compares the pace findings
//! with what was planted, rule by rule.

use super::pace::{PaceFinding, PaceRule};
use super::{ExecRow, Fund};
use crate::budget::generate::{COMMON_ITEMS, department, department_count, subjects};
use crate::proposals::generate::Rng;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The source every generated batch names.
pub const SOURCE: &str = "生成数据（示例）";

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct ExecPlan {
    pub units: usize,
    pub year: i32,
    pub seed: u64,
    /// Share of (unit, item) series with a planted problem.
    pub planted: f64,
}

/// A planted problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Problem {
    /// Spending at 40% of the usual pace all year (behind in autumn, a large balance at the end).
    Behind,
    /// Spending without any budget.
    NoBudget,
    /// Budget raised by half in February (spending follows).
    Adjust,
    /// Little spent until December, then most of the year's money.
    Rush,
    /// One month far above the others.
    Jump,
    /// 30% more spent than the budget over the year.
    Overspend,
}

impl Problem {
    const ALL: [Problem; 6] = [
        Problem::Behind,
        Problem::NoBudget,
        Problem::Adjust,
        Problem::Rush,
        Problem::Jump,
        Problem::Overspend,
    ];

    /// The rules that should fire for a series with this problem, as the data stands at the end of `month`.
    pub fn expected(self, month: u8) -> &'static [PaceRule] {
        match (self, month) {
            (Problem::Behind, 12) => &[PaceRule::CarryOver],
            (Problem::Behind, _) => &[PaceRule::BehindSchedule],
            (Problem::NoBudget, _) => &[PaceRule::NoBudget],
            (Problem::Adjust, _) => &[PaceRule::LargeAdjustment],
            (Problem::Rush, 12) => &[PaceRule::YearEndRush],
            (Problem::Rush, _) => &[PaceRule::BehindSchedule],
            (Problem::Jump, 12) => &[PaceRule::MonthJump],
            (Problem::Jump, _) => &[PaceRule::MonthJump],
            (Problem::Overspend, 12) => &[PaceRule::Overspent],
            (Problem::Overspend, _) => &[],
        }
    }
}

/// Usual monthly shares of a year's spending (January to December), and the slower one of capital items.
const SHAPE: [f64; 12] = [
    0.05, 0.06, 0.08, 0.08, 0.08, 0.10, 0.08, 0.08, 0.10, 0.08, 0.09, 0.12,
];
const CAPITAL_SHAPE: [f64; 12] = [
    0.02, 0.03, 0.05, 0.07, 0.08, 0.10, 0.09, 0.09, 0.10, 0.10, 0.11, 0.16,
];
const BASIC_ECONOMIC: &[&str] = &[
    "30101", "30102", "30103", "30107", "30108", "30112", "30201", "30205", "30207", "30211",
    "30213", "30228", "30231", "30239",
];
const PROJECT_ECONOMIC: &[&str] = &[
    "30201", "30202", "30211", "30213", "30226", "30227", "30299",
];
const CAPITAL_ECONOMIC: &[&str] = &["31002", "31003", "31005", "31007"];

/// One economic line of a series: its code and its annual budget in hundredths of 万元.
struct Line {
    economic: &'static str,
    budget: i64,
}

/// A (unit, item) series.
struct Series {
    code: String,
    capital: bool,
    lines: Vec<Line>,
    problem: Option<Problem>,
    /// The year's spending against budget (0.90–0.96).
    ratio: f64,
    seed: u64,
}

struct Unit {
    name: String,
    department: String,
    region: String,
    series: Vec<Series>,
}

/// The generated data: units and their series; rows come out a month at a time.
pub struct Generated {
    plan: ExecPlan,
    units: Vec<Unit>,
}

/// A planted problem, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Plant {
    pub problem: Problem,
    pub unit: String,
    pub code: String,
}

impl Generated {
    /// Generates the units, series and planted problems of a plan.
    pub fn new(plan: ExecPlan) -> Generated {
        let (items, _) = subjects();
        let mut rng = Rng::new(plan.seed);
        let per_department = plan.units.div_ceil(department_count()).max(2);
        let departments = plan.units.div_ceil(per_department);
        let mut units = Vec::new();
        for d in 0..departments {
            let (dept, region, classes) = department(d);
            for j in 0..per_department {
                if units.len() >= plan.units {
                    break;
                }
                let name = if j == 0 {
                    format!("{dept}机关")
                } else {
                    format!("{dept}所属第{j}事业单位")
                };
                let mut own: Vec<&String> = items
                    .iter()
                    .filter(|(c, _)| classes.iter().any(|k| c.starts_with(k)))
                    .map(|(c, _)| c)
                    .collect();
                let n = own.len().min(5 + rng.below(8));
                let mut chosen: Vec<String> = Vec::new();
                while chosen.len() < n && !own.is_empty() {
                    let k = rng.below(own.len());
                    chosen.push(own.swap_remove(k).clone());
                }
                chosen.extend(COMMON_ITEMS.iter().map(|c| c.to_string()));
                chosen.sort();
                chosen.dedup();
                let series = chosen
                    .into_iter()
                    .map(|code| {
                        let basic = code.ends_with("01") || COMMON_ITEMS.contains(&code.as_str());
                        let capital = !basic && rng.chance(0.2);
                        let pool = if basic {
                            BASIC_ECONOMIC
                        } else if capital {
                            CAPITAL_ECONOMIC
                        } else {
                            PROJECT_ECONOMIC
                        };
                        let k = (4 + rng.below(pool.len())).min(pool.len());
                        let start = rng.below(pool.len() - k + 1);
                        let lines: Vec<Line> = pool[start..start + k]
                            .iter()
                            .map(|e| Line {
                                economic: e,
                                budget: 100 + rng.below(40_000) as i64,
                            })
                            .collect();
                        let total: i64 = lines.iter().map(|l| l.budget).sum();
                        // Problems only where the amounts pass the rules' thresholds.
                        let problem = (total >= 10_000 && rng.chance(plan.planted))
                            .then(|| Problem::ALL[rng.below(Problem::ALL.len())]);
                        Series {
                            code,
                            capital,
                            lines,
                            problem,
                            ratio: 0.90 + rng.below(7) as f64 / 100.0,
                            seed: rng.next_u64(),
                        }
                    })
                    .collect();
                units.push(Unit {
                    name,
                    department: dept.clone(),
                    region: region.clone(),
                    series,
                });
            }
        }
        Generated { plan, units }
    }

    /// The planted problems.
    pub fn planted(&self) -> Vec<Plant> {
        let mut out = Vec::new();
        for u in &self.units {
            for s in &u.series {
                if let Some(problem) = s.problem {
                    out.push(Plant {
                        problem,
                        unit: u.name.clone(),
                        code: s.code.clone(),
                    });
                }
            }
        }
        out
    }

    /// The rows of one month (1–12).
    pub fn month(&self, month: u8) -> Vec<ExecRow> {
        let m = month as usize - 1;
        let mut rows = Vec::new();
        for u in &self.units {
            for s in &u.series {
                let shape = if s.capital { &CAPITAL_SHAPE } else { &SHAPE };
                let mut rng = Rng::new(s.seed ^ (month as u64).wrapping_mul(0x2545_F491));
                for line in &s.lines {
                    let budget = line.budget as f64 / 100.0;
                    let noise = 0.9 + rng.below(21) as f64 / 100.0;
                    let mut share = shape[m] * s.ratio * noise;
                    let mut row_budget = budget;
                    let mut adjustment = 0.0;
                    match s.problem {
                        Some(Problem::Behind) => share *= 0.4,
                        Some(Problem::NoBudget) => row_budget = 0.0,
                        Some(Problem::Adjust) => {
                            share *= 1.5;
                            if month == 2 {
                                adjustment = budget * 0.5;
                            }
                        }
                        Some(Problem::Rush) => {
                            share = if month == 12 {
                                0.50
                            } else {
                                shape[m] * 0.45 / (1.0 - shape[11]) * noise
                            }
                        }
                        Some(Problem::Jump) => share = if month == 5 { 0.48 } else { share * 0.5 },
                        Some(Problem::Overspend) => share *= 1.3,
                        None => {}
                    }
                    let executed = cents(budget * share);
                    let allocated = cents(budget * if month <= 10 { 0.1 } else { 0.0 });
                    rows.push(ExecRow {
                        year: self.plan.year,
                        month,
                        region: u.region.clone(),
                        department: u.department.clone(),
                        unit: u.name.clone(),
                        code: s.code.clone(),
                        economic: Some(line.economic.to_string()),
                        fund: Fund::General,
                        budget: cents(row_budget),
                        adjustment: cents(adjustment),
                        allocated,
                        executed,
                        refund: false,
                    });
                }
            }
        }
        rows
    }

    /// Rows per month.
    pub fn rows_per_month(&self) -> usize {
        self.units
            .iter()
            .flat_map(|u| &u.series)
            .map(|s| s.lines.len())
            .sum()
    }
}

fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Rows as CSV with the column names finance systems use.
pub fn csv(rows: &[ExecRow]) -> Vec<u8> {
    let mut out = String::with_capacity(rows.len() * 120);
    out.push_str("预算年度,月份,行政区划,主管部门,预算单位,功能分类科目编码,经济分类科目编码,资金性质,年初预算数,调整数,指标下达数,本月支出\n");
    for r in rows {
        use std::fmt::Write;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{:.2},{:.2},{:.2},{:.2}",
            r.year,
            r.month,
            r.region,
            r.department,
            r.unit,
            r.code,
            r.economic.as_deref().unwrap_or(""),
            r.fund.label(),
            r.budget,
            r.adjustment,
            r.allocated,
            r.executed
        );
    }
    out.into_bytes()
}

/// Recall and precision of one rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleScore {
    pub planted: usize,
    pub found: usize,
    pub correct: usize,
}

impl RuleScore {
    pub fn recall(&self) -> Option<f64> {
        (self.planted > 0).then(|| self.correct as f64 / self.planted as f64)
    }
    pub fn precision(&self) -> Option<f64> {
        (self.found > 0).then(|| self.correct as f64 / self.found as f64)
    }
}

/// Compares the findings at the end of `month` with what was planted, per rule.
pub fn score(
    planted: &[Plant],
    findings: &[PaceFinding],
    month: u8,
) -> BTreeMap<&'static str, RuleScore> {
    let mut truth: HashSet<(PaceRule, &str, &str)> = HashSet::new();
    for p in planted {
        for rule in p.problem.expected(month) {
            truth.insert((*rule, &p.unit, &p.code));
        }
    }
    let mut out: BTreeMap<&'static str, RuleScore> = BTreeMap::new();
    for t in &truth {
        out.entry(t.0.label()).or_default().planted += 1;
    }
    for f in findings {
        let s = out.entry(f.rule.label()).or_default();
        s.found += 1;
        if truth.contains(&(f.rule, f.unit.as_str(), f.code.as_str())) {
            s.correct += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::execution::columns::ExecColumns;
    use crate::budget::execution::pace::{PaceRules, check};

    #[test]
    fn the_pace_rules_find_what_was_planted_and_little_else() {
        let g = Generated::new(ExecPlan {
            units: 300,
            year: 2025,
            seed: 7,
            planted: 0.05,
        });
        let rows: Vec<ExecRow> = (1..=12).flat_map(|m| g.month(m)).collect();
        assert_eq!(rows.len(), g.rows_per_month() * 12);
        let cols = ExecColumns::from_rows(&rows);
        let planted = g.planted();
        assert!(planted.len() > 60, "{} planted", planted.len());
        let rules = PaceRules::default();
        for month in [9, 12] {
            let found = check(&cols, 2025, month, &rules);
            for (rule, s) in score(&planted, &found, month) {
                eprintln!("{month}月 {rule}: {s:?}");
                if s.planted > 0 {
                    assert!(s.recall().unwrap() >= 0.95, "{month}月 {rule}: {s:?}");
                }
                if s.found > 0 {
                    assert!(s.precision().unwrap() >= 0.9, "{month}月 {rule}: {s:?}");
                }
            }
        }
    }
}
