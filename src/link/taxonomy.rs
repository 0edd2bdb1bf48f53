//! The budget subject tree (政府收支分类科目, 支出功能分类): 类 → 款 → 项 codes with their names, parents and
//! the budget (一般公共预算, 政府性基金预算, 国有资本经营预算, 社会保险基金预算) each belongs to.
//!
//! Loaded from `subjects.csv` (`code,name,parent,budget`); a malformed line is an error naming the line.
//! Codes seen in documents extend the tree as *observed* subjects.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The four budgets of the budget law: a dimension of every subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Budget {
    /// 一般公共预算.
    General,
    /// 政府性基金预算.
    GovernmentFund,
    /// 国有资本经营预算.
    StateCapital,
    /// 社会保险基金预算.
    SocialInsurance,
}

impl Budget {
    pub const ALL: &'static [Budget] = &[
        Budget::General,
        Budget::GovernmentFund,
        Budget::StateCapital,
        Budget::SocialInsurance,
    ];

    /// The Chinese name of the budget.
    pub fn label(self) -> &'static str {
        match self {
            Budget::General => "一般公共预算",
            Budget::GovernmentFund => "政府性基金预算",
            Budget::StateCapital => "国有资本经营预算",
            Budget::SocialInsurance => "社会保险基金预算",
        }
    }

    /// Parses a budget's Chinese name.
    pub fn parse(s: &str) -> Option<Budget> {
        Budget::ALL.iter().copied().find(|b| b.label() == s.trim())
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for Budget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for Budget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Budget::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown budget: {s}")))
    }
}

/// The level of a subject code: 类 (3 digits), 款 (5) or 项 (7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Level {
    Class,
    Section,
    Item,
}

impl Level {
    /// The level of a well-formed code.
    pub fn of(code: &str) -> Option<Level> {
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match code.len() {
            3 => Some(Level::Class),
            5 => Some(Level::Section),
            7 => Some(Level::Item),
            _ => None,
        }
    }

    /// 类, 款 or 项.
    pub fn label(self) -> &'static str {
        match self {
            Level::Class => "类",
            Level::Section => "款",
            Level::Item => "项",
        }
    }
}

/// One subject of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub code: String,
    pub name: String,
    /// The parent's code (None for a 类).
    pub parent: Option<String>,
    pub budget: Budget,
    /// Seen in a document, not in the reference file.
    #[serde(default)]
    pub observed: bool,
}

/// The class (类) code of a code: its first three digits.
pub fn class_of(code: &str) -> &str {
    code.get(..3).unwrap_or(code)
}

/// The parent code of a well-formed code (None for a 类).
pub fn parent_code(code: &str) -> Option<&str> {
    match Level::of(code)? {
        Level::Class => None,
        _ => code.get(..code.len() - 2),
    }
}

/// The subject tree.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    subjects: BTreeMap<String, Subject>,
    children: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct Row {
    code: String,
    name: String,
    parent: String,
    budget: String,
}

impl Taxonomy {
    /// Reads `subjects.csv`.
    pub fn load(path: &Path) -> Result<Taxonomy> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Taxonomy::parse(&text, &path.display().to_string())
    }

    /// Parses the CSV text of a subject tree; `origin` names it in errors. Every line must have a well-formed
    /// code, a name, the parent its code implies (present in the file) and a known budget.
    pub fn parse(text: &str, origin: &str) -> Result<Taxonomy> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let bad = |line: u64, why: String| Error::Invalid(format!("{origin} line {line}: {why}"));
        let headers = reader
            .headers()
            .map_err(|e| bad(1, e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        if headers != ["code", "name", "parent", "budget"] {
            return Err(bad(
                1,
                format!(
                    "expected the header code,name,parent,budget, found {}",
                    headers.join(",")
                ),
            ));
        }
        let mut t = Taxonomy::default();
        let mut lines = BTreeMap::new();
        let header_record = csv::StringRecord::from(headers.clone());
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                bad(line, e.to_string())
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let row: Row = record
                .deserialize(Some(&header_record))
                .map_err(|e| bad(line, e.to_string()))?;
            let Some(level) = Level::of(&row.code) else {
                return Err(bad(
                    line,
                    format!("'{}' is not a 3, 5 or 7 digit subject code", row.code),
                ));
            };
            if row.name.is_empty() {
                return Err(bad(line, format!("subject {} has no name", row.code)));
            }
            let expected_parent = parent_code(&row.code).unwrap_or("");
            if row.parent != expected_parent {
                return Err(bad(
                    line,
                    format!(
                        "subject {} ({}) must have the parent '{}', not '{}'",
                        row.code,
                        level.label(),
                        expected_parent,
                        row.parent
                    ),
                ));
            }
            let Some(budget) = Budget::parse(&row.budget) else {
                return Err(bad(
                    line,
                    format!("unknown budget '{}' for subject {}", row.budget, row.code),
                ));
            };
            if lines.insert(row.code.clone(), line).is_some() {
                return Err(bad(line, format!("subject {} appears twice", row.code)));
            }
            t.subjects.insert(
                row.code.clone(),
                Subject {
                    code: row.code,
                    name: row.name,
                    parent: (!row.parent.is_empty()).then_some(row.parent),
                    budget,
                    observed: false,
                },
            );
        }
        for (code, s) in &t.subjects {
            if let Some(p) = &s.parent
                && !t.subjects.contains_key(p)
            {
                return Err(bad(
                    lines[code],
                    format!("the parent {p} of subject {code} is not in the file"),
                ));
            }
        }
        t.rebuild_children();
        Ok(t)
    }

    fn rebuild_children(&mut self) {
        self.children.clear();
        for s in self.subjects.values() {
            if let Some(p) = &s.parent {
                self.children
                    .entry(p.clone())
                    .or_default()
                    .push(s.code.clone());
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }

    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    pub fn get(&self, code: &str) -> Option<&Subject> {
        self.subjects.get(code)
    }

    pub fn name(&self, code: &str) -> Option<&str> {
        self.subjects.get(code).map(|s| s.name.as_str())
    }

    pub fn parent(&self, code: &str) -> Option<&Subject> {
        self.subjects
            .get(code)?
            .parent
            .as_ref()
            .and_then(|p| self.subjects.get(p))
    }

    /// The direct children of a code, in code order.
    pub fn children(&self, code: &str) -> Vec<&Subject> {
        self.children
            .get(code)
            .map(|c| c.iter().filter_map(|k| self.subjects.get(k)).collect())
            .unwrap_or_default()
    }

    /// The subject and its ancestors, outermost first (empty if the code is unknown).
    pub fn path(&self, code: &str) -> Vec<&Subject> {
        let mut out: Vec<&Subject> = Vec::new();
        let mut cur = self.subjects.get(code);
        while let Some(s) = cur {
            out.push(s);
            cur = s.parent.as_ref().and_then(|p| self.subjects.get(p));
        }
        out.reverse();
        out
    }

    /// Every 类, in code order.
    pub fn classes(&self) -> Vec<&Subject> {
        self.subjects
            .values()
            .filter(|s| s.parent.is_none())
            .collect()
    }

    /// Every subject in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Subject> {
        self.subjects.values()
    }

    /// The subjects of one budget.
    pub fn in_budget(&self, budget: Budget) -> impl Iterator<Item = &Subject> {
        self.subjects.values().filter(move |s| s.budget == budget)
    }

    /// Adds a subject seen in a document when its parent is known and the code is new. Returns whether it
    /// was added.
    pub fn add_observed(&mut self, code: &str, name: &str) -> bool {
        if self.subjects.contains_key(code) || name.trim().is_empty() {
            return false;
        }
        let Some(parent) = parent_code(code) else {
            return false;
        };
        let Some(budget) = self.subjects.get(parent).map(|p| p.budget) else {
            return false;
        };
        self.subjects.insert(
            code.to_string(),
            Subject {
                code: code.to_string(),
                name: name.trim().to_string(),
                parent: Some(parent.to_string()),
                budget,
                observed: true,
            },
        );
        let siblings = self.children.entry(parent.to_string()).or_default();
        siblings.push(code.to_string());
        siblings.sort();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "code,name,parent,budget\n205,教育支出,,一般公共预算\n20502,普通教育,205,一般公共预算\n\
                        2050202,小学教育,20502,一般公共预算\n2050203,初中教育,20502,一般公共预算\n";

    #[test]
    fn parses_a_tree_and_answers_queries() {
        let t = Taxonomy::parse(GOOD, "t.csv").unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t.name("2050202"), Some("小学教育"));
        assert_eq!(t.parent("2050202").map(|s| s.code.as_str()), Some("20502"));
        let kids: Vec<&str> = t
            .children("20502")
            .iter()
            .map(|s| s.code.as_str())
            .collect();
        assert_eq!(kids, ["2050202", "2050203"]);
        let path: Vec<&str> = t.path("2050203").iter().map(|s| s.code.as_str()).collect();
        assert_eq!(path, ["205", "20502", "2050203"]);
        assert_eq!(t.classes().len(), 1);
        assert_eq!(t.in_budget(Budget::General).count(), 4);
    }

    #[test]
    fn malformed_lines_are_errors_naming_the_line() {
        let cases = [
            ("code,name\n205,教育支出\n", "header"),
            (
                "code,name,parent,budget\n2051,教育,,一般公共预算\n",
                "line 2",
            ),
            ("code,name,parent,budget\n205,,,一般公共预算\n", "no name"),
            (
                "code,name,parent,budget\n205,教育支出,,一般公共预算\n20502,普通教育,206,一般公共预算\n",
                "line 3",
            ),
            (
                "code,name,parent,budget\n205,教育支出,,预算外\n",
                "unknown budget",
            ),
            (
                "code,name,parent,budget\n205,教育支出,,一般公共预算\n205,教育,,一般公共预算\n",
                "twice",
            ),
            (
                "code,name,parent,budget\n20502,普通教育,205,一般公共预算\n",
                "not in the file",
            ),
            (
                "code,name,parent,budget\n205,教育支出,一般公共预算\n",
                "line 2",
            ),
        ];
        for (text, want) in cases {
            let err = Taxonomy::parse(text, "t.csv").unwrap_err().to_string();
            assert!(
                err.contains("t.csv") && err.contains(want),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn observed_codes_need_a_known_parent() {
        let mut t = Taxonomy::parse(GOOD, "t.csv").unwrap();
        assert!(t.add_observed("2050299", "其他普通教育支出"));
        assert!(t.get("2050299").unwrap().observed);
        assert!(!t.add_observed("2050299", "again"));
        assert!(!t.add_observed("2060101", "行政运行"));
        assert!(!t.add_observed("206", "科学技术支出"));
        assert_eq!(t.children("20502").len(), 3);
    }
}
