//! Pace warnings over execution data: for each budget unit, subject and fund, its months up to the month the
//! data stands at are checked by rules kept as data (`corpus/reference/execution-rules.json`): behind the time
//! schedule (with an allowance for capital spending), spending without a budget, spending above budget plus
//! adjustments, large adjustments, December spending above a share of the year, a large balance at the year's
//! end, and a month that jumps far above the others. Each finding carries its evidence. Pure over the columns.

use super::Fund;
use super::columns::ExecColumns;
use crate::budget::checks::{Decision, Severity};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// The file of the reference folder that holds the pace rules.
pub const RULES_FILE: &str = "execution-rules.json";

const BUILTIN: &str = include_str!("../../../corpus/reference/execution-rules.json");

crate::model::label_enum!(
    /// The pace rules.
    PaceRule {
        BehindSchedule => "behind_schedule",
        NoBudget => "no_budget",
        Overspent => "overspent",
        LargeAdjustment => "large_adjustment",
        YearEndRush => "year_end_rush",
        CarryOver => "carry_over",
        MonthJump => "month_jump",
    }
);

/// One rule as configured.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleDef {
    pub id: String,
    pub name: String,
    severity: String,
    message: String,
    /// Percentage points below the time schedule that are tolerated (behind_schedule).
    #[serde(default)]
    pub margin: f64,
    /// Extra points for series mostly on capital economic codes (behind_schedule).
    #[serde(default)]
    pub capital_allowance: f64,
    /// A share (0–1) the rule compares with.
    #[serde(default)]
    pub share: f64,
    /// A factor (month_jump).
    #[serde(default)]
    pub factor: f64,
    /// Amounts (万元) below which the rule says nothing.
    #[serde(default)]
    pub min_amount: f64,
}

#[derive(Deserialize)]
struct RulesFile {
    rules: Vec<RuleDef>,
}

/// The pace rules in force.
#[derive(Debug, Clone)]
pub struct PaceRules {
    rules: HashMap<PaceRule, (RuleDef, Severity)>,
}

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("执行预警规则文件有误：{0}")]
pub struct PaceRulesError(String);

impl Default for PaceRules {
    fn default() -> PaceRules {
        PaceRules::parse(BUILTIN).expect("the built-in pace rules are valid")
    }
}

impl PaceRules {
    pub fn parse(text: &str) -> Result<PaceRules, PaceRulesError> {
        let file: RulesFile =
            serde_json::from_str(text).map_err(|e| PaceRulesError(e.to_string()))?;
        let mut rules = HashMap::new();
        for r in file.rules {
            let id = PaceRule::parse(&r.id)
                .ok_or_else(|| PaceRulesError(format!("未知规则 {}", r.id)))?;
            let severity = Severity::parse(&r.severity).ok_or_else(|| {
                PaceRulesError(format!("规则 {} 的级别「{}」未知", r.id, r.severity))
            })?;
            rules.insert(id, (r, severity));
        }
        Ok(PaceRules { rules })
    }

    pub fn get(&self, rule: PaceRule) -> Option<&RuleDef> {
        self.rules.get(&rule).map(|(d, _)| d)
    }
}

/// One pace finding with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaceFinding {
    /// Stable over the months of a year: rule, year, unit, subject and fund.
    pub key: String,
    pub rule: PaceRule,
    pub rule_name: String,
    pub severity: Severity,
    pub message: String,
    pub year: i32,
    /// The month the data stands at.
    pub month: u8,
    pub unit: String,
    pub department: String,
    pub region: String,
    pub code: String,
    /// The subject's name, where the subject tree has it (filled in by `review`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    pub fund: Fund,
    /// The months the finding is about.
    pub months: Vec<u8>,
    /// The numbers behind the finding, labelled.
    pub evidence: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl PaceFinding {
    /// 待核实, or the decision's verdict.
    pub fn status(&self) -> &'static str {
        self.decision
            .as_ref()
            .map_or("待核实", |d| d.verdict.label())
    }
}

fn key(rule: PaceRule, year: i32, unit: &str, code: &str, fund: Fund) -> String {
    let text = format!("{}\0{year}\0{unit}\0{code}\0{}", rule.label(), fund.label());
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

fn money(v: f64) -> String {
    format!("{v:.2}")
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// One series: the months of a unit, subject and fund up to the month checked.
struct Series {
    /// Per month (index 0 = January): executed, adjustment; `None` when the month has no row.
    executed: [Option<f64>; 12],
    adjustment: f64,
    budget: f64,
    capital_executed: f64,
    capital_budget: f64,
}

/// Checks every series of a year as it stands at the end of `month`.
pub fn check(cols: &ExecColumns, year: i32, month: u8, rules: &PaceRules) -> Vec<PaceFinding> {
    let mut out = Vec::new();
    let range = cols.year_range(year);
    let mut i = range.start;
    while i < range.end {
        let start = i;
        let mut s = Series {
            executed: [None; 12],
            adjustment: 0.0,
            budget: 0.0,
            capital_executed: 0.0,
            capital_budget: 0.0,
        };
        let mut has = false;
        loop {
            let m = cols.month[i];
            if m <= month {
                has = true;
                s.executed[m as usize - 1] = Some(cols.executed[i]);
                s.adjustment += cols.adjustment[i];
                // The budget as known in the latest month.
                s.budget = cols.budget[i];
                s.capital_executed += cols.capital_executed[i];
                s.capital_budget = cols.capital_budget[i];
            }
            i += 1;
            if !cols.same_series(start, i) {
                break;
            }
        }
        if has {
            series_findings(cols, start, year, month, &s, rules, &mut out);
        }
    }
    out
}

fn series_findings(
    cols: &ExecColumns,
    at: usize,
    year: i32,
    month: u8,
    s: &Series,
    rules: &PaceRules,
    out: &mut Vec<PaceFinding>,
) {
    let unit = &cols.units[cols.unit[at] as usize];
    let code = &cols.codes[cols.code[at] as usize];
    let fund = cols.fund[at];
    let executed: f64 = s.executed.iter().flatten().sum();
    let available = s.budget + s.adjustment;
    let timeline = month as f64 / 12.0;
    let mut add = |rule: PaceRule, months: Vec<u8>, vars: Vec<(&str, String)>| {
        let Some((def, severity)) = rules.rules.get(&rule) else {
            return;
        };
        let mut message = def.message.clone();
        for (k, v) in &vars {
            message = message.replace(&format!("{{{k}}}"), v);
        }
        out.push(PaceFinding {
            key: key(rule, year, &unit.name, code, fund),
            rule,
            rule_name: def.name.clone(),
            severity: *severity,
            message,
            year,
            month,
            unit: unit.name.clone(),
            department: cols.departments[unit.department as usize].clone(),
            region: cols.regions[unit.region as usize].clone(),
            code: code.clone(),
            subject: String::new(),
            fund,
            months,
            evidence: vars
                .into_iter()
                .map(|(k, v)| (label(k).to_string(), v))
                .collect(),
            decision: None,
        });
    };
    let upto: Vec<u8> = (1..=month).collect();
    let base = |extra: Vec<(&'static str, String)>| {
        let mut v = vec![
            ("month", month.to_string()),
            ("executed", money(executed)),
            ("available", money(available)),
        ];
        v.extend(extra);
        v
    };
    if let Some(r) = rules.get(PaceRule::NoBudget)
        && available <= 0.0
        && executed >= r.min_amount.max(0.005)
    {
        add(PaceRule::NoBudget, upto.clone(), base(vec![]));
        return;
    }
    if available <= 0.0 {
        return;
    }
    if let Some(r) = rules.get(PaceRule::Overspent)
        && executed > available * (1.0 + r.share) + 0.005
        && executed - available >= r.min_amount
    {
        add(PaceRule::Overspent, upto.clone(), base(vec![]));
    }
    if let Some(r) = rules.get(PaceRule::LargeAdjustment)
        && s.budget > 0.0
        && s.adjustment.abs() > s.budget * r.share
        && s.adjustment.abs() >= r.min_amount
    {
        add(
            PaceRule::LargeAdjustment,
            upto.clone(),
            vec![
                ("adjustment", money(s.adjustment)),
                ("budget", money(s.budget)),
                ("share", pct(s.adjustment.abs() / s.budget)),
            ],
        );
    }
    let progress = executed / available;
    if month < 12
        && let Some(r) = rules.get(PaceRule::BehindSchedule)
        && available >= r.min_amount
    {
        let capital = s.capital_budget > available * 0.5;
        let allowance = if capital { r.capital_allowance } else { 0.0 };
        if progress < timeline - r.margin - allowance {
            add(
                PaceRule::BehindSchedule,
                upto.clone(),
                base(vec![
                    ("progress", pct(progress)),
                    ("timeline", pct(timeline)),
                    ("margin", pct(r.margin + allowance)),
                ]),
            );
        }
    }
    if month == 12 {
        if let Some(r) = rules.get(PaceRule::YearEndRush)
            && let Some(december) = s.executed[11]
            && executed >= r.min_amount
            && december > executed * r.share
        {
            add(
                PaceRule::YearEndRush,
                vec![12],
                vec![
                    ("december", money(december)),
                    ("executed", money(executed)),
                    ("share", pct(december / executed)),
                ],
            );
        }
        let balance = available - executed;
        if let Some(r) = rules.get(PaceRule::CarryOver)
            && balance > available * r.share
            && balance >= r.min_amount
        {
            add(
                PaceRule::CarryOver,
                upto.clone(),
                base(vec![
                    ("balance", money(balance)),
                    ("share", pct(balance / available)),
                ]),
            );
        }
    }
    if let Some(r) = rules.get(PaceRule::MonthJump) {
        // December is the year-end rule's; a jump is a month far above the median of the others.
        let months: Vec<(u8, f64)> = s.executed[..11]
            .iter()
            .enumerate()
            .filter_map(|(m, v)| v.map(|v| (m as u8 + 1, v)))
            .collect();
        if months.len() >= 4 {
            let (jm, jv) = months
                .iter()
                .copied()
                .fold((0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
            let mut others: Vec<f64> = months
                .iter()
                .filter(|(m, _)| *m != jm)
                .map(|(_, v)| *v)
                .collect();
            others.sort_by(|a, b| a.total_cmp(b));
            let median = others[others.len() / 2];
            if jv >= r.min_amount && median > 0.0 && jv > median * r.factor {
                add(
                    PaceRule::MonthJump,
                    vec![jm],
                    vec![
                        ("jump_month", jm.to_string()),
                        ("jump", money(jv)),
                        ("median", money(median)),
                        ("factor", format!("{:.1}", jv / median)),
                    ],
                );
            }
        }
    }
}

/// The Chinese label of an evidence variable.
fn label(var: &str) -> &'static str {
    match var {
        "month" => "截至月份",
        "executed" => "累计执行（万元）",
        "available" => "可用预算（万元）",
        "progress" => "执行进度",
        "timeline" => "时间进度",
        "margin" => "容许差距",
        "adjustment" => "调整（万元）",
        "budget" => "年初预算（万元）",
        "share" => "占比",
        "december" => "12月支出（万元）",
        "balance" => "年末未支出（万元）",
        "jump_month" => "突增月份",
        "jump" => "当月支出（万元）",
        "median" => "其他月份中位数（万元）",
        "factor" => "倍数",
        _ => "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::execution::ExecRow;
    use crate::budget::execution::columns::ExecColumns;

    fn series(unit: &str, budget: f64, monthly: &[f64], adjust_in_march: f64) -> Vec<ExecRow> {
        monthly
            .iter()
            .enumerate()
            .map(|(m, e)| ExecRow {
                year: 2025,
                month: m as u8 + 1,
                region: String::new(),
                department: "部门".into(),
                unit: unit.into(),
                code: "2050203".into(),
                economic: None,
                fund: Fund::General,
                budget,
                adjustment: if m == 2 { adjust_in_march } else { 0.0 },
                allocated: 0.0,
                executed: *e,
                refund: false,
            })
            .collect()
    }

    fn rules_at(rows: &[ExecRow], month: u8) -> Vec<(String, PaceRule, Vec<u8>)> {
        let cols = ExecColumns::from_rows(rows);
        let mut out: Vec<_> = check(&cols, 2025, month, &PaceRules::default())
            .into_iter()
            .map(|f| (f.unit, f.rule, f.months))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn each_rule_fires_on_its_own_pattern_with_the_months_as_evidence() {
        let even = [10.0; 12];
        let mut rows = series("正常", 125.0, &even, 0.0);
        rows.extend(series("滞后", 125.0, &[2.0; 12], 0.0));
        rows.extend(series("无预算", 0.0, &even, 0.0));
        rows.extend(series("超支", 100.0, &[10.0; 12], 0.0));
        rows.extend(series("大调整", 100.0, &[12.0; 12], 50.0));
        let mut rush = [4.0; 12];
        rush[11] = 60.0;
        rows.extend(series("突击", 110.0, &rush, 0.0));
        let mut jump = [5.0; 12];
        jump[4] = 40.0;
        rows.extend(series("突增", 110.0, &jump, 0.0));
        let at6 = rules_at(&rows, 6);
        let s = |u: &str, r: PaceRule, m: Vec<u8>| (u.to_string(), r, m);
        assert_eq!(
            at6,
            vec![
                s("大调整", PaceRule::LargeAdjustment, (1..=6).collect()),
                s("无预算", PaceRule::NoBudget, (1..=6).collect()),
                s("滞后", PaceRule::BehindSchedule, (1..=6).collect()),
                // Little spent before December is behind in June.
                s("突击", PaceRule::BehindSchedule, (1..=6).collect()),
                s("突增", PaceRule::MonthJump, vec![5]),
            ]
        );
        let at12 = rules_at(&rows, 12);
        assert!(
            at12.contains(&s("超支", PaceRule::Overspent, (1..=12).collect())),
            "{at12:?}"
        );
        assert!(
            at12.contains(&s("突击", PaceRule::YearEndRush, vec![12])),
            "{at12:?}"
        );
        assert!(
            at12.contains(&s("滞后", PaceRule::CarryOver, (1..=12).collect())),
            "{at12:?}"
        );
        assert!(!at12.iter().any(|f| f.0 == "正常"), "{at12:?}");
    }

    #[test]
    fn the_message_and_evidence_carry_the_numbers() {
        let rows = series("滞后", 120.0, &[2.0; 6], 0.0);
        let cols = ExecColumns::from_rows(&rows);
        let f = &check(&cols, 2025, 6, &PaceRules::default())[0];
        assert_eq!(
            f.message,
            "截至6月执行 12.00 万元，占可用预算 120.00 万元的 10.0%，低于时间进度 50.0% 超过 15.0%"
        );
        assert!(
            f.evidence
                .contains(&("执行进度".to_string(), "10.0%".to_string()))
        );
        // A capital series gets its allowance: 30% at June is within 50% − 15% − 10%, not within 50% − 15%.
        let mut capital = series("基建", 120.0, &[6.0; 6], 0.0);
        for r in &mut capital {
            r.economic = Some("31001".into());
        }
        let cols = ExecColumns::from_rows(&capital);
        assert!(check(&cols, 2025, 6, &PaceRules::default()).is_empty());
        for r in &mut capital {
            r.economic = Some("30201".into());
        }
        let cols = ExecColumns::from_rows(&capital);
        assert_eq!(check(&cols, 2025, 6, &PaceRules::default()).len(), 1);
    }
}
