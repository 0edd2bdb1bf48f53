//! 联网 budget execution: what the finance department's system pushes month by month (预算下达, 调整, 执行 by
//! department, budget unit and functional subject), received as whole batches (`feed`), read from JSON lines,
//! CSV or XLSX with column names mapped by aliases kept as data (`parse`), held in memory as columns for the
//! dashboard (`columns`, `dashboard`), and checked for pace (`pace`: rules as data, findings with evidence).
//! `generate` makes a realistic year with planted pace problems, and measures how many the rules find.
//!
//! What a row means: the amounts of one budget unit, one functional subject (项), one economic code where given
//! and one fund in one month. 年初预算 is the year's budget as known that month (the latest month's figure
//! counts); 调整, 下达 and 执行 are that month's own amounts (a year's total is their sum). A batch replaces,
//! for every (year, month, budget unit) it contains, all the rows that unit had for that month: a finance system
//! that re-sends a month sends the unit's whole month again.

pub mod columns;
pub mod dashboard;
pub mod feed;
pub mod generate;
pub mod inbox;
pub mod pace;
pub mod parse;
pub mod review;

use crate::model::label_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use columns::ExecColumns;
pub use feed::{Outcome, Submission, submit};

label_enum!(
    /// The budget a row's money belongs to (资金性质).
    Fund {
        General => "一般公共预算",
        GovFund => "政府性基金预算",
        StateCapital => "国有资本经营预算",
        SocialInsurance => "社会保险基金预算",
    }
);

impl Fund {
    /// A fund as finance systems name it (一般公共预算, 政府性基金, 国资经营, 社保基金 …).
    pub fn from_name(text: &str) -> Option<Fund> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if t.is_empty() || t.contains("一般") || t.contains("公共预算") {
            Some(Fund::General)
        } else if t.contains("政府性基金") {
            Some(Fund::GovFund)
        } else if t.contains("国有资本") || t.contains("国资") {
            Some(Fund::StateCapital)
        } else if t.contains("社会保险") || t.contains("社保") {
            Some(Fund::SocialInsurance)
        } else {
            None
        }
    }

    fn index(self) -> u8 {
        Fund::ALL.iter().position(|f| *f == self).unwrap_or(0) as u8
    }

    fn from_index(i: u8) -> Fund {
        Fund::ALL.get(i as usize).copied().unwrap_or(Fund::General)
    }
}

/// One row of execution data, amounts in 万元.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecRow {
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 行政区划 (may be empty).
    pub region: String,
    /// 主管部门.
    pub department: String,
    /// 预算单位.
    pub unit: String,
    /// Functional subject code: 类 (3 digits), 款 (5) or 项 (7).
    pub code: String,
    /// Economic code (301, 30101 …), where given.
    pub economic: Option<String>,
    pub fund: Fund,
    /// 年初预算 (the year's, as known this month).
    pub budget: f64,
    /// 调整 this month.
    pub adjustment: f64,
    /// 下达 this month.
    pub allocated: f64,
    /// 执行 (spent) this month.
    pub executed: f64,
    /// A refund or write-back (退回/冲销): negative amounts allowed.
    pub refund: bool,
}

/// Whether an economic code is a capital one (309 资本性支出(基本建设), 310 资本性支出): such spending follows
/// construction seasons, and the pace rule gives it an allowance.
pub fn is_capital(economic: &str) -> bool {
    economic.starts_with("309") || economic.starts_with("310")
}

crate::model::label_enum!(
    /// What became of a batch.
    BatchStatus {
        Applied => "已入库",
        Rejected => "已拒收",
    }
);

/// A problem with one row of a batch: the row (line of the file, from 1), the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowIssue {
    pub line: usize,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
    pub message: String,
}

/// The record of a batch: who sent it, when, what it held and what was wrong with it. Kept for applied and for
/// rejected batches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// The sender's batch id (unique per instance).
    pub id: String,
    /// The sending system (the feed credential's name, or the operator).
    pub source: String,
    /// The sender's sequence number.
    pub seq: u64,
    /// Who pushed it, and when (RFC 3339).
    pub by: String,
    pub at: String,
    pub status: BatchStatus,
    pub rows: usize,
    /// Rows stored per chunk and the number of chunks (0 for a rejected batch).
    pub chunks: u32,
    /// The order in which applied batches count (later replaces earlier).
    pub order: u64,
    /// (year, month, budget unit) replaced by this batch.
    #[serde(default)]
    pub covers: Vec<(i32, u8, String)>,
    /// The first errors (a batch with any is rejected whole) and how many there were.
    #[serde(default)]
    pub errors: Vec<RowIssue>,
    #[serde(default)]
    pub error_count: usize,
    /// The first warnings (kept: the rows are applied) and how many there were.
    #[serde(default)]
    pub warnings: Vec<RowIssue>,
    #[serde(default)]
    pub warning_count: usize,
    /// A gap in the sender's sequence: the number expected and the one received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<(u64, u64)>,
}

/// Rows as stored: a chunk of a batch, with the names (regions, departments, units) kept once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    #[serde(rename = "n")]
    names: Vec<String>,
    #[serde(rename = "r")]
    rows: Vec<Packed>,
}

/// year, month, region, department, unit (indices into the chunk's names), code, economic code, fund, budget,
/// adjustment, allocated, executed, refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Packed(
    i32,
    u8,
    u32,
    u32,
    u32,
    String,
    Option<String>,
    u8,
    f64,
    f64,
    f64,
    f64,
    bool,
);

impl Chunk {
    /// Packs rows.
    pub fn pack(rows: &[ExecRow]) -> Chunk {
        let mut chunk = Chunk::default();
        let mut ids: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut id = |names: &mut Vec<String>, name: &str| -> u32 {
            if let Some(i) = ids.get(name) {
                return *i;
            }
            let i = names.len() as u32;
            names.push(name.to_string());
            ids.insert(name.to_string(), i);
            i
        };
        for r in rows {
            let region = id(&mut chunk.names, &r.region);
            let department = id(&mut chunk.names, &r.department);
            let unit = id(&mut chunk.names, &r.unit);
            chunk.rows.push(Packed(
                r.year,
                r.month,
                region,
                department,
                unit,
                r.code.clone(),
                r.economic.clone(),
                r.fund.index(),
                r.budget,
                r.adjustment,
                r.allocated,
                r.executed,
                r.refund,
            ));
        }
        chunk
    }

    /// The rows of a chunk (names out of range read as empty).
    pub fn rows(&self) -> impl Iterator<Item = ExecRow> + '_ {
        let name = |i: u32| self.names.get(i as usize).cloned().unwrap_or_default();
        self.rows.iter().map(move |p| ExecRow {
            year: p.0,
            month: p.1,
            region: name(p.2),
            department: name(p.3),
            unit: name(p.4),
            code: p.5.clone(),
            economic: p.6.clone(),
            fund: Fund::from_index(p.7),
            budget: p.8,
            adjustment: p.9,
            allocated: p.10,
            executed: p.11,
            refund: p.12,
        })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str, code: &str, executed: f64) -> ExecRow {
        ExecRow {
            year: 2025,
            month: 3,
            region: "东湖市".into(),
            department: "东湖市教育局".into(),
            unit: unit.into(),
            code: code.into(),
            economic: Some("30201".into()),
            fund: Fund::GovFund,
            budget: 120.5,
            adjustment: -3.0,
            allocated: 10.0,
            executed,
            refund: executed < 0.0,
        }
    }

    #[test]
    fn a_chunk_gives_back_its_rows_with_names_kept_once() {
        let rows = vec![
            row("东湖市第一中学", "2050203", 8.25),
            row("东湖市第二中学", "2050203", -1.5),
            row("东湖市第一中学", "2050204", 0.0),
        ];
        let chunk = Chunk::pack(&rows);
        assert_eq!(chunk.names.len(), 4, "{:?}", chunk.names);
        let bytes = serde_json::to_vec(&chunk).unwrap();
        let back: Chunk = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.rows().collect::<Vec<_>>(), rows);
    }

    #[test]
    fn funds_are_read_as_finance_systems_name_them() {
        assert_eq!(Fund::from_name("政府性基金"), Some(Fund::GovFund));
        assert_eq!(Fund::from_name("国资经营预算"), Some(Fund::StateCapital));
        assert_eq!(Fund::from_name("社保基金"), Some(Fund::SocialInsurance));
        assert_eq!(Fund::from_name(""), Some(Fund::General));
        assert_eq!(Fund::from_name("专户资金"), None);
    }
}
