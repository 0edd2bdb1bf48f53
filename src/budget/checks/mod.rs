//! 预警: consistency checks of one budget or final-account disclosure. Rules over its facts (row totals, 类 = Σ款
//! = Σ项, 合计 = Σ类, the balance of the summary tables, the identities between tables) and over its text (stated
//! amounts, shares and growth rates recomputed, placeholders, template text, unit names). Tolerances know
//! rounding: a difference within the rounding of the summed terms is information, never an error. The rule
//! catalog (ids, severities, message templates, patterns) is data in `corpus/reference/budget-checks.json`.
//! Pure over a document's text and facts.

mod document;
mod explain;
mod tables;
mod text;

use super::facts::{DocFacts, Item};
use super::recognise::TableKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The file of the reference folder that holds the rule catalog.
pub const RULES_FILE: &str = "budget-checks.json";

const BUILTIN: &str = include_str!("../../../corpus/reference/budget-checks.json");

crate::model::label_enum!(
    /// How serious a finding is.
    Severity {
        Error => "错误",
        Warning => "警告",
        Info => "提示",
    }
);

/// One rule of the catalog.
#[derive(Debug, Clone, Deserialize)]
struct RuleDef {
    id: String,
    name: String,
    family: String,
    severity: String,
    message: String,
}

/// The rule catalog: rules with their severities and message templates, and the patterns of the text rules.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: HashMap<String, RuleDef>,
    placeholders: Vec<String>,
    template_phrases: Vec<String>,
    rounding_per_term: f64,
    max_per_rule: usize,
}

#[derive(Deserialize)]
struct RulesFile {
    rules: Vec<RuleDef>,
    placeholders: Vec<String>,
    template_phrases: Vec<String>,
    rounding_per_term: f64,
    /// Findings of one rule kept per document; the rest are counted in one more finding.
    max_per_rule: usize,
}

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("预警规则文件有误：{0}")]
pub struct RulesError(String);

/// The built-in catalog.
impl Default for Rules {
    fn default() -> Rules {
        Rules::builtin()
    }
}

impl Rules {
    /// The catalog shipped with the program.
    pub fn builtin() -> Rules {
        Rules::parse(BUILTIN).expect("the built-in rule catalog is valid")
    }

    /// Parses a catalog; every rule needs a known severity.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = serde_json::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        let mut rules = HashMap::new();
        for r in file.rules {
            if Severity::parse(&r.severity).is_none() {
                return Err(RulesError(format!(
                    "规则 {} 的级别「{}」未知",
                    r.id, r.severity
                )));
            }
            rules.insert(r.id.clone(), r);
        }
        Ok(Rules {
            rules,
            placeholders: file.placeholders,
            template_phrases: file.template_phrases,
            rounding_per_term: file.rounding_per_term,
            max_per_rule: file.max_per_rule.max(1),
        })
    }
}

crate::model::label_enum!(
    /// What the staff decided about a finding.
    Verdict {
        Confirmed => "已确认",
        Dismissed => "已排除",
    }
);

/// A staff decision on one finding, kept apart from the findings so that it survives re-ingest and rule changes
/// (it applies as long as a finding with the same key is found).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `Finding::key` of the finding decided on.
    pub key: String,
    pub verdict: Verdict,
    /// The reason, in the staff member's words.
    #[serde(default)]
    pub note: String,
    /// Who decided (a user name), and when (RFC 3339).
    pub by: String,
    pub at: String,
}

impl Decision {
    /// A decision taken now, its note trimmed and at most 2,000 characters.
    pub fn new(key: &str, verdict: Verdict, note: &str, by: &str) -> Decision {
        Decision {
            key: key.to_string(),
            verdict,
            note: note.trim().chars().take(2000).collect(),
            by: by.to_string(),
            at: chrono::Local::now().to_rfc3339(),
        }
    }
}

impl Verdict {
    /// The verdict a form or API `op` asks for: `confirm`, `dismiss`, or `undo` (no verdict); `None` for
    /// anything else.
    pub fn from_op(op: &str) -> Option<Option<Verdict>> {
        match op {
            "confirm" => Some(Some(Verdict::Confirmed)),
            "dismiss" => Some(Some(Verdict::Dismissed)),
            "undo" => Some(None),
            _ => None,
        }
    }
}

/// The cell of a document's table a finding points at: the table's index among the document's tables and the
/// cell's row and column in it (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CellRef {
    pub table: u32,
    pub row: u32,
    pub col: u32,
}

impl CellRef {
    fn of(item: &Item) -> CellRef {
        CellRef {
            table: item.table,
            row: item.cell.0,
            col: item.cell.1,
        }
    }
}

/// One finding: the rule, its severity, a message, and the evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// A stable key of the finding (its rule and evidence), which decisions refer to.
    pub key: String,
    pub rule: String,
    /// The rule's name in Chinese (占位符, 表间勾稽 …).
    pub rule_name: String,
    pub family: String,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The table cell that holds the amount in question, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<CellRef>,
    /// The sentence or line the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// The staff's decision, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl Finding {
    /// The finding's status as shown: the decision's verdict, or 待核实.
    pub fn status(&self) -> &'static str {
        self.decision
            .as_ref()
            .map_or("待核实", |d| d.verdict.label())
    }
}

/// The key of a finding: a hash of its rule and evidence.
fn finding_key(rule: &str, ev: &Evidence<'_>) -> String {
    let mut h = blake3::Hasher::new();
    for part in [
        Some(rule),
        ev.table.as_deref(),
        ev.row.as_deref(),
        ev.column.as_deref(),
        ev.quote.as_deref(),
        ev.found.as_deref(),
    ] {
        h.update(part.unwrap_or("").as_bytes());
        h.update(b"\0");
    }
    h.finalize().to_hex()[..16].to_string()
}

/// Where a finding points and what it compares; the message is filled from the rule's template.
#[derive(Default)]
struct Evidence<'a> {
    vars: Vec<(&'a str, String)>,
    page: Option<u32>,
    table: Option<String>,
    row: Option<String>,
    column: Option<String>,
    cell: Option<CellRef>,
    quote: Option<String>,
    expected: Option<String>,
    found: Option<String>,
}

/// Collects findings.
struct Report<'r> {
    rules: &'r Rules,
    out: Vec<Finding>,
}

impl Report<'_> {
    fn add(&mut self, rule: &str, ev: Evidence<'_>) {
        let Some(def) = self.rules.rules.get(rule) else {
            return;
        };
        let mut message = def.message.clone();
        for (k, v) in &ev.vars {
            message = message.replace(&format!("{{{k}}}"), v);
        }
        let same = self.out.iter().filter(|f| f.rule == def.id).count();
        if same > self.rules.max_per_rule {
            return;
        }
        if same == self.rules.max_per_rule {
            message = format!("{}（同类发现较多，仅列出前 {} 条）", def.name, same);
        }
        self.out.push(Finding {
            key: finding_key(&def.id, &ev),
            decision: None,
            rule: def.id.clone(),
            rule_name: def.name.clone(),
            family: def.family.clone(),
            severity: Severity::parse(&def.severity).unwrap_or(Severity::Info),
            message,
            page: ev.page,
            table: ev.table,
            row: ev.row,
            column: ev.column,
            cell: ev.cell,
            quote: ev.quote,
            expected: ev.expected,
            found: ev.found,
        });
    }
}

/// Money as printed in the findings.
fn money(v: f64) -> String {
    format!("{v:.2}")
}

impl Report<'_> {
    /// How `total` compares with `parts`, a sum of `terms` printed amounts.
    fn verdict(&self, total: f64, parts: f64, terms: usize) -> Balance {
        verdict(total, parts, terms, self.rules.rounding_per_term)
    }

    /// Reports a balance: nothing when it holds, 提示 within rounding, `rule` otherwise.
    fn settle<'e>(&mut self, rule: &str, outcome: Balance, ev: impl Fn(f64) -> Evidence<'e>) {
        match outcome {
            Balance::Equal => {}
            Balance::Rounding(d) => self.add("rounding", ev(d)),
            Balance::Wrong(d) => self.add(rule, ev(d)),
        }
    }
}

/// How a total compares with the sum of its parts.
enum Balance {
    Equal,
    Rounding(f64),
    Wrong(f64),
}

fn verdict(total: f64, parts: f64, terms: usize, per_term: f64) -> Balance {
    let diff = total - parts;
    if diff.abs() < 1e-6 {
        Balance::Equal
    } else if diff.abs() <= per_term * (terms + 1) as f64 + 1e-9 {
        Balance::Rounding(diff)
    } else {
        Balance::Wrong(diff)
    }
}

/// Checks one document: its facts and its text.
pub fn check(text: &str, facts: &DocFacts, rules: &Rules) -> Vec<Finding> {
    let mut report = Report {
        rules,
        out: Vec::new(),
    };
    let tables = Tables::new(facts);
    tables::row_sums(&tables, &mut report);
    tables::tree_sums(&tables, &mut report);
    tables::total_sums(&tables, &mut report);
    tables::summary_balance(&tables, &mut report);
    tables::cross_tables(&tables, &mut report);
    let text = text::normalise(text);
    text::text_amounts(&text, &tables, &mut report);
    text::text_shares(&text, &tables, &mut report);
    text::text_growth(&text, &mut report);
    text::text_subject_names(&text, &tables, &mut report);
    explain::basic_section(&text, &tables, &mut report);
    explain::comparison_words(&text, &mut report);
    explain::purposes(&text, &tables, &mut report);
    document::check(&text, facts, &mut report);
    // Errors first, then warnings, then information.
    let rank = |f: &Finding| match f.severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    };
    report.out.sort_by_key(rank);
    report.out
}

/// The facts of a document grouped by table.
struct Tables<'a> {
    facts: &'a DocFacts,
    by_table: BTreeMap<u32, Vec<&'a Item>>,
}

impl<'a> Tables<'a> {
    fn new(facts: &'a DocFacts) -> Tables<'a> {
        let mut by_table: BTreeMap<u32, Vec<&Item>> = BTreeMap::new();
        for i in &facts.items {
            by_table.entry(i.table).or_default().push(i);
        }
        Tables { facts, by_table }
    }

    fn kind(&self, t: u32) -> TableKind {
        self.facts
            .tables
            .get(t as usize)
            .map_or(TableKind::Generic, |t| t.kind)
    }

    fn title(&self, t: u32) -> String {
        self.facts
            .tables
            .get(t as usize)
            .map(|t| t.title.clone())
            .unwrap_or_default()
    }

    /// The tables of a kind, with their items.
    fn of_kind(&self, kind: TableKind) -> impl Iterator<Item = (u32, &Vec<&'a Item>)> {
        self.by_table
            .iter()
            .filter(move |(t, _)| self.kind(**t) == kind)
            .map(|(t, items)| (*t, items))
    }

    /// The amount of the first table of `kind` in the row named `row` (a total row when `row` is 合计) and
    /// the column named `column`, with its item.
    fn find(
        &self,
        kind: TableKind,
        side: Option<&str>,
        row: &str,
        column: &str,
    ) -> Option<&'a Item> {
        self.of_kind(kind).find_map(|(_, items)| {
            items.iter().copied().find(|i| {
                side.is_none_or(|s| i.side.as_deref().is_some_and(|d| d.contains(s)))
                    && (if row == "合计" {
                        i.total && !i.name.contains("经费")
                    } else {
                        squeeze(&i.name) == row
                    })
                    && i.column == column
            })
        })
    }
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A cell of a standard table: the table, the side, the row (合计 for the total row) and the column.
type Place<'a> = (TableKind, Option<&'a str>, &'a str, &'a str);

/// Whether a column holds a row's total.
fn is_total_column(name: &str) -> bool {
    matches!(name, "本年收入合计" | "本年支出合计" | "合计")
}

fn tables_title(tables: &Tables<'_>, kind: TableKind) -> String {
    tables
        .of_kind(kind)
        .next()
        .map(|(t, _)| tables.title(t))
        .unwrap_or_else(|| kind.label().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::facts::{FactTable, Issuer};
    use crate::budget::recognise::CodeLevel;
    use crate::model::DocId;

    /// An item of table `t` at `row` in `column`.
    fn item(t: u32, row: u32, code: Option<&str>, name: &str, column: &str, amount: f64) -> Item {
        Item {
            table: t,
            code: code.map(str::to_string),
            economic: code.is_some_and(|c| c.starts_with('3')),
            level: code.and_then(CodeLevel::of),
            total: name == "合计",
            name: name.to_string(),
            side: None,
            column: column.to_string(),
            amount,
            raw: format!("{amount:.2}"),
            page: Some(3),
            cell: (row, 0),
        }
    }

    /// A 支出决算表 with a planted row error (2010601), a planted tree error (201 ≠ 20106) and one difference
    /// within rounding (合计 基本支出).
    fn facts() -> DocFacts {
        let e = |row, code: Option<&str>, name: &str, total: f64, basic: f64, project: f64| {
            vec![
                item(0, row, code, name, "本年支出合计", total),
                item(0, row, code, name, "基本支出", basic),
                item(0, row, code, name, "项目支出", project),
            ]
        };
        let mut items = Vec::new();
        items.extend(e(2, None, "合计", 120.0, 100.01, 20.0));
        items.extend(e(3, Some("201"), "一般公共服务支出", 120.0, 100.0, 20.0));
        items.extend(e(4, Some("20106"), "财政事务", 110.0, 90.0, 20.0));
        items.extend(e(5, Some("2010601"), "行政运行", 110.0, 80.0, 20.0));
        DocFacts {
            doc_id: DocId("d".into()),
            issuer: Issuer {
                unit: Some("上海市普陀区财政局".into()),
                region: Some("上海市普陀区".into()),
                year: Some(2024),
                stage: None,
            },
            tables: vec![FactTable {
                kind: TableKind::Expenditure,
                title: "支出决算表".into(),
                unit: Some("单位：万元".into()),
            }],
            items,
        }
    }

    fn rules_of(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn planted_table_errors_are_found_and_rounding_is_only_information() {
        let found = check("", &facts(), &Rules::builtin());
        let row = found
            .iter()
            .find(|f| f.rule == "row-sum")
            .expect("the row error");
        assert_eq!(row.row.as_deref(), Some("行政运行"));
        assert_eq!(row.expected.as_deref(), Some("100.00"));
        assert_eq!(row.found.as_deref(), Some("110.00"));
        assert_eq!(row.severity, Severity::Error);
        let tree: Vec<&Finding> = found.iter().filter(|f| f.rule == "tree-sum").collect();
        assert!(
            tree.iter()
                .any(|f| f.row.as_deref() == Some("201 一般公共服务支出")
                    && f.column.as_deref() == Some("本年支出合计"))
        );
        assert!(
            tree.iter()
                .all(|f| f.row.as_deref() != Some("20106 财政事务")
                    || f.column.as_deref() != Some("本年支出合计"))
        );
        let rounding = found
            .iter()
            .find(|f| f.rule == "rounding")
            .expect("0.01 is rounding");
        assert_eq!(rounding.severity, Severity::Info);
        assert_eq!(rounding.row.as_deref(), Some("合计"));
        assert!(
            !found
                .iter()
                .any(|f| f.severity == Severity::Error && f.row.as_deref() == Some("合计"))
        );
    }

    #[test]
    fn text_rules_recompute_shares_growth_and_completion() {
        let text = "本年支出合计3000.00万元，其中：基本支出1000.00万元，占33.40%；项目支出2000.00万元，占66.66%。\n\
                    一般公共预算财政拨款支出3000.00万元，主要用于以下方面：\n一般公共服务支出（类）2250.00万元，占75.00%；\
                    卫生健康支出（类）750.00万元，\n占25.10%。\n\
                    单位支出12.00万元，比2023年度增加12.00万元，增长100.00%。\n\
                    收入支出总计150.00万元。与2023年度相比，收入支出总计增加50.00万元，增长33.33%。\n\
                    年初预算为0万元，全年预算为10万元，支出决算为9万元，完成年初预算的90.00%。\n\
                    年初预算为3000.00万元，支出决算为2000.00万元，完成年初预算的66.66%。\n\
                    增加10.00万元，增长5";
        let found = check(text, &facts(), &Rules::builtin());
        let share = |name: &str| {
            found
                .iter()
                .find(|f| f.rule.starts_with("text-share") && f.message.contains(name))
        };
        assert_eq!(
            share("基本支出").map(|f| f.rule.as_str()),
            Some("text-share"),
            "{found:#?}"
        );
        assert_eq!(
            share("项目支出").map(|f| f.rule.as_str()),
            Some("text-share-truncated")
        );
        assert!(share("一般公共服务支出").is_none(), "75.00% is right");
        assert_eq!(
            share("卫生健康支出").map(|f| f.rule.as_str()),
            Some("text-share"),
            "25.10% is wrong"
        );
        assert_eq!(
            rules_of(&found)
                .iter()
                .filter(|r| **r == "text-growth-zero-base")
                .count(),
            1
        );
        let growth = found
            .iter()
            .find(|f| f.rule == "text-growth")
            .expect("50 more than 100 is 50%, not 33.33%");
        assert_eq!(growth.expected.as_deref(), Some("50.00%"));
        assert!(rules_of(&found).contains(&"text-completion-zero-budget"));
        let truncated: Vec<&Finding> = found
            .iter()
            .filter(|f| f.rule == "text-share-truncated")
            .collect();
        assert_eq!(truncated.len(), 2, "{truncated:#?}");
        assert!(
            truncated
                .iter()
                .any(|f| f.message.contains("完成年初预算的66.66%"))
        );
        assert!(rules_of(&found).contains(&"text-percent-sign"));
    }

    #[test]
    fn document_rules_find_placeholders_template_text_and_other_unit_names() {
        let text = "上海市XX局2024年度部门决算\n无政府性基金预算财政拨款收入支出的，仍保留该表格式，并在本表下方作下述说明：\n\
                    上海市财政局2024年度部门决算表\n上海市普陀区财攻局所属单位。。\n纳入上海市普陀区财政局2024年度部门决算编制范围的单位包括：\n\
                    本部门制定了普陀区财政局预算绩效管理办法";
        let found = check(text, &facts(), &Rules::builtin());
        assert_eq!(
            rules_of(&found)
                .iter()
                .filter(|r| **r == "placeholder")
                .count(),
            1
        );
        assert_eq!(
            rules_of(&found)
                .iter()
                .filter(|r| **r == "template-text")
                .count(),
            1,
            "one finding per line"
        );
        assert!(rules_of(&found).contains(&"doubled-punctuation"));
        let names: Vec<&str> = found
            .iter()
            .filter(|f| f.rule == "unit-name")
            .filter_map(|f| f.found.as_deref())
            .collect();
        // Another region is flagged; the unit's own short form (普陀区财政局) is not; a one-character change is
        // only flagged in longer names (a real document's 规划与自然资源局 is tested on the real file).
        assert_eq!(names, ["上海市财政局"]);
    }

    #[test]
    fn subject_names_in_the_text_are_matched_by_name_or_stated_amount() {
        let text = "1、一般公共服务支出（类）财政事务（款）行政运行（项）。支出决算为110.00万元。\n\
                    2、一般公共服务支出（类）财政事务（款）一般行政管理（项）。主要用于：办公。支出决算为110.00万元。\n\
                    3、一般公共服务支出（类）税收事务（款）行政运行（项）。支出决算为110.00万元。";
        let found = check(text, &facts(), &Rules::builtin());
        let names: Vec<(&str, &str)> = found
            .iter()
            .filter(|f| f.rule == "text-subject-name")
            .map(|f| {
                (
                    f.row.as_deref().unwrap_or(""),
                    f.found.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("2010601 行政运行", "一般行政管理"),
                ("20106 财政事务", "税收事务")
            ],
            "the first sentence agrees; the 项 of the second is found by its amount; the 款 of the third by its 项"
        );
    }

    /// A 基本支出表 (人员经费 301 + 303, 公用经费 302) as a second table of `facts()`, a 政府性基金 table without
    /// amounts, and 项 names for purposes.
    fn with_basic_table() -> DocFacts {
        let mut f = facts();
        f.tables.push(FactTable {
            kind: TableKind::GeneralBasic,
            title: "一般公共预算财政拨款基本支出决算表".into(),
            unit: None,
        });
        f.tables.push(FactTable {
            kind: TableKind::FundGrant,
            title: "政府性基金预算财政拨款收入支出决算表".into(),
            unit: None,
        });
        for (row, code, name, amount) in [
            (2, Some("301"), "工资福利支出", 90.0),
            (3, Some("30101"), "基本工资", 60.0),
            (4, Some("30103"), "奖金", 0.0),
            (5, Some("30113"), "住房公积金", 30.0),
            (6, Some("303"), "对个人和家庭的补助", 0.31),
            (7, Some("30309"), "奖励金", 0.31),
            (8, None, "人员经费合计", 90.31),
            (9, Some("302"), "商品和服务支出", 9.69),
            (10, Some("30201"), "办公费", 9.69),
            (11, None, "公用经费合计", 9.69),
        ] {
            let mut i = item(1, row, code, name, "决算数", amount);
            i.total = false;
            f.items.push(i);
        }
        f.items.push(item(
            0,
            6,
            Some("2010602"),
            "一般行政管理事务",
            "本年支出合计",
            0.0,
        ));
        f
    }

    #[test]
    fn the_basic_section_is_checked_against_the_basic_table() {
        let text = "六、一般公共预算财政拨款基本支出决算情况说明\n一般公共预算财政拨款基本支出105.00万元。其中：人员经费\n\
                    95.31万元，主要包括：基本工资、奖金、住房公积金支出、个人农业生产补贴；公用经费9.69万元，主要包括：办公费。";
        let found = check(text, &with_basic_table(), &Rules::builtin());
        let amounts: Vec<(&str, &str)> = found
            .iter()
            .filter(|f| f.rule == "text-amount")
            .map(|f| {
                (
                    f.row.as_deref().unwrap_or(""),
                    f.expected.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            amounts,
            [("人员经费合计", "90.31"), ("基本支出合计", "100.00")],
            "{found:#?}"
        );
        let blank: Vec<&str> = found
            .iter()
            .filter(|f| f.rule == "text-list-blank")
            .filter_map(|f| f.message.split('「').nth(1))
            .collect();
        assert_eq!(
            blank,
            ["奖金」在表中没有金额", "个人农业生产补贴」在表中没有金额"],
            "a zero item and an item the table leaves blank are listed; 住房公积金支出 is 住房公积金"
        );
        let missing: Vec<&str> = found
            .iter()
            .filter(|f| f.rule == "text-list-missing")
            .filter_map(|f| f.row.as_deref())
            .collect();
        assert_eq!(missing, ["30309 奖励金"]);
        assert!(
            found
                .iter()
                .all(|f| f.quote.as_deref().is_none_or(|q| !q.contains("情况说明"))),
            "the heading is not a part of the quoted sentence"
        );
    }

    #[test]
    fn comparison_words_and_purposes_are_checked() {
        let text = "1、一般公共服务支出（类）财政事务（款）行政运行（项）。主要用于：一般行政管理事务支出。\
                    年初预算为0万元，全年预算为120.00万元，支出决算为110.00万元。决算数大于预算数。\n\
                    2、年初预算为10.00万元，支出决算为10.00万元。决算数与预算数基本持平。\n\
                    3、年初预算为10.00万元，支出决算为9.00万元。决算数与预算数持平。\n\
                    4、年初预算为10.00万元，支出决算为9.00万元。决算数小于预算数的主要原因：节约。";
        let found = check(text, &with_basic_table(), &Rules::builtin());
        let words: Vec<&str> = found
            .iter()
            .filter(|f| f.rule == "text-comparison")
            .filter_map(|f| f.found.as_deref())
            .collect();
        assert_eq!(
            words,
            ["大于", "持平"],
            "110 is less than the latest budget (全年 120); 9 is not level with 10"
        );
        let purpose = found
            .iter()
            .find(|f| f.rule == "text-purpose")
            .expect("行政运行 used for another 项");
        assert_eq!(purpose.row.as_deref(), Some("2010602 一般行政管理事务"));
    }

    #[test]
    fn contents_years_and_blank_tables() {
        let text = "上海市普陀区财政局\n目 录\n第二部分 上海市普陀区财政局2024年度部门决算表\n一、支出决算表\n\
                    二、一般公共预算财政拨款基本支出决算表\n三、收入决算表\n第三部分 情况说明\n\
                    一、收入决算表\n上海市普陀区财政局2023年度部门决算\n与2023年度部门决算相比，支出增加。\n\
                    本部门政府性基金预算财政拨款支出12.00万元。";
        let found = check(text, &with_basic_table(), &Rules::builtin());
        let missing: Vec<&str> = found
            .iter()
            .filter(|f| f.rule == "missing-table")
            .filter_map(|f| f.found.as_deref().and(f.expected.as_deref()))
            .collect();
        assert_eq!(missing, ["收入决算表"], "only the contents are read, once");
        let years: Vec<&str> = found
            .iter()
            .filter(|f| f.rule == "year")
            .filter_map(|f| f.quote.as_deref())
            .collect();
        assert_eq!(years, ["上海市普陀区财政局2023年度部门决算"]);
        let blank = found
            .iter()
            .find(|f| f.rule == "blank-table")
            .expect("a fund table without amounts while the text states 12.00");
        assert_eq!(blank.expected.as_deref(), Some("12.00"));
        assert_eq!(blank.severity, Severity::Error);
    }

    #[test]
    fn a_catalog_with_an_unknown_severity_is_refused() {
        let text = BUILTIN.replacen("\"错误\"", "\"严重\"", 1);
        assert!(Rules::parse(&text).is_err());
        assert!(Rules::parse("{").is_err());
    }
}
