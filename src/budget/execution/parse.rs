//! Reading a batch: rows of JSON lines, CSV or XLSX become execution rows. Columns are found by their names as
//! finance systems export them (aliases kept as data in `corpus/reference/execution-columns.json`); every row is
//! validated (dates, units, subject codes against the subject tree and their names, funds, amounts) and each
//! problem names its row. Pure over the bytes, the aliases and the subject tree.

use super::{ExecRow, Fund, RowIssue};
use crate::budget::facts::region_of;
use crate::budget::recognise::{MoneyUnit, parse_amount, squeeze};
use crate::link::taxonomy::Taxonomy;
use crate::proposals::import::{TableFormat, raw_rows};
use serde::Deserialize;
use std::collections::HashMap;

/// The file of the reference folder that holds the column aliases.
pub const COLUMNS_FILE: &str = "execution-columns.json";

const BUILTIN: &str = include_str!("../../../corpus/reference/execution-columns.json");

/// A field of an execution row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Year,
    Month,
    Date,
    Region,
    Department,
    Unit,
    Code,
    Name,
    Economic,
    Fund,
    Budget,
    Adjustment,
    Allocated,
    Executed,
    Refund,
}

impl Field {
    /// The name shown in messages.
    pub fn label(self) -> &'static str {
        match self {
            Field::Year => "年度",
            Field::Month => "月份",
            Field::Date => "日期",
            Field::Region => "地区",
            Field::Department => "部门",
            Field::Unit => "预算单位",
            Field::Code => "功能分类科目编码",
            Field::Name => "科目名称",
            Field::Economic => "经济分类科目编码",
            Field::Fund => "资金性质",
            Field::Budget => "年初预算",
            Field::Adjustment => "调整",
            Field::Allocated => "下达",
            Field::Executed => "执行",
            Field::Refund => "退回标志",
        }
    }
}

/// The column aliases and the row limit of a batch.
#[derive(Debug, Clone)]
pub struct Aliases {
    map: HashMap<String, Field>,
    pub max_rows: usize,
}

#[derive(Deserialize)]
struct AliasFile {
    columns: HashMap<Field, Vec<String>>,
    max_rows: usize,
}

/// An alias file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("执行数据列名文件有误：{0}")]
pub struct AliasError(String);

impl Default for Aliases {
    fn default() -> Aliases {
        Aliases::parse(BUILTIN).expect("the built-in column aliases are valid")
    }
}

fn normal(header: &str) -> String {
    squeeze(header).to_lowercase()
}

impl Aliases {
    pub fn parse(text: &str) -> Result<Aliases, AliasError> {
        let file: AliasFile = serde_json::from_str(text).map_err(|e| AliasError(e.to_string()))?;
        let mut map = HashMap::new();
        for (field, names) in file.columns {
            for n in names {
                if let Some(other) = map.insert(normal(&n), field)
                    && other != field
                {
                    return Err(AliasError(format!(
                        "列名「{n}」同时指向 {} 和 {}",
                        other.label(),
                        field.label()
                    )));
                }
            }
        }
        Ok(Aliases {
            map,
            max_rows: file.max_rows.max(1),
        })
    }

    /// The field a column header names.
    pub fn field(&self, header: &str) -> Option<Field> {
        self.map.get(&normal(header)).copied()
    }
}

/// The formats a batch may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
    Xlsx,
}

impl Format {
    /// By a name (`jsonl`, `csv`, `xlsx`), a content type or a file extension.
    pub fn parse(text: &str) -> Option<Format> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.rsplit(['.', '/']).next().unwrap_or(&t).to_string();
        match t.split(';').next().unwrap_or("").trim() {
            "jsonl" | "ndjson" | "json" | "x-ndjson" | "jsonlines" => Some(Format::JsonLines),
            "csv" | "tsv" => Some(Format::Csv),
            "xlsx" | "sheet" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Rows read from a batch, with the problems found. A batch with any error is not applied.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<ExecRow>,
    pub errors: Vec<RowIssue>,
    pub warnings: Vec<RowIssue>,
}

/// A batch that cannot be read at all (no rows to speak of).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("无法读取：{0}")]
    Unreadable(String),
    #[error("缺少必需的列：{0}（可用的列名见 execution-columns.json）")]
    MissingColumns(String),
    #[error("一批最多 {0} 行，请分批推送")]
    TooManyRows(usize),
    #[error("没有数据行")]
    Empty,
}

/// Reads a batch. `unit` is the money unit the amounts are in (they are stored in 万元).
pub fn parse(
    format: Format,
    bytes: &[u8],
    aliases: &Aliases,
    unit: MoneyUnit,
    taxonomy: &Taxonomy,
) -> Result<Parsed, ParseError> {
    let records = match format {
        Format::JsonLines => json_lines(bytes, aliases)?,
        Format::Csv | Format::Xlsx => {
            let table = if format == Format::Csv {
                TableFormat::Csv
            } else {
                TableFormat::Xlsx
            };
            let rows = raw_rows(table, bytes).map_err(|e| ParseError::Unreadable(e.to_string()))?;
            table_records(rows, aliases)?
        }
    };
    if records.len() > aliases.max_rows {
        return Err(ParseError::TooManyRows(aliases.max_rows));
    }
    if records.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut parsed = Parsed::default();
    let mut seen: HashMap<RowKey, usize> = HashMap::new();
    for (line, cells) in records {
        let get = |f: Field| cells.get(&f).map(|s| s.trim()).unwrap_or("");
        match row(&get, line, unit, taxonomy, &mut parsed.warnings) {
            Ok(r) => {
                let key = (
                    r.year,
                    r.month,
                    r.unit.clone(),
                    r.code.clone(),
                    r.economic.clone(),
                    r.fund,
                );
                if let Some(first) = seen.insert(key, line) {
                    parsed.errors.push(RowIssue {
                        line,
                        field: String::new(),
                        message: format!("与第 {first} 行是同一单位、同一月份、同一科目，重复"),
                    });
                    continue;
                }
                parsed.rows.push(r);
            }
            Err(issue) => parsed.errors.push(issue),
        }
    }
    Ok(parsed)
}

type Cells = HashMap<Field, String>;

/// What makes two rows of a batch the same row: year, month, unit, code, economic code and fund.
type RowKey = (i32, u8, String, String, Option<String>, Fund);

/// Finds the header row (the first naming a unit, a subject code and the month or date) and maps later rows.
fn table_records(
    rows: Vec<(usize, Vec<String>)>,
    aliases: &Aliases,
) -> Result<Vec<(usize, Cells)>, ParseError> {
    let mut columns: Option<Vec<Option<Field>>> = None;
    let mut out = Vec::new();
    for (line, cells) in rows {
        match &columns {
            None => {
                let fields: Vec<Option<Field>> = cells.iter().map(|c| aliases.field(c)).collect();
                let has = |f: Field| fields.contains(&Some(f));
                if has(Field::Unit) && has(Field::Code) {
                    required(&|f| has(f))?;
                    columns = Some(fields);
                }
            }
            Some(fields) => {
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let mut map = Cells::new();
                for (f, c) in fields.iter().zip(cells) {
                    if let Some(f) = f {
                        map.insert(*f, c);
                    }
                }
                out.push((line, map));
            }
        }
    }
    if columns.is_none() {
        return Err(ParseError::MissingColumns(
            "预算单位、功能分类科目编码".into(),
        ));
    }
    Ok(out)
}

/// Checks that the columns a row needs are there: year and month (or a date), unit, code, and 执行.
fn required(has: &dyn Fn(Field) -> bool) -> Result<(), ParseError> {
    let mut missing = Vec::new();
    if !has(Field::Date) {
        for f in [Field::Year, Field::Month] {
            if !has(f) {
                missing.push(f.label());
            }
        }
    }
    for f in [Field::Unit, Field::Code, Field::Executed] {
        if !has(f) {
            missing.push(f.label());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ParseError::MissingColumns(missing.join("、")))
    }
}

/// JSON lines: one object per line, keys named as the columns are.
fn json_lines(bytes: &[u8], aliases: &Aliases) -> Result<Vec<(usize, Cells)>, ParseError> {
    let max_rows = aliases.max_rows;
    let text = crate::ingest::extract::decode_text(bytes)
        .map_err(|e| ParseError::Unreadable(e.to_string()))?;
    let mut out = Vec::new();
    let mut checked = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() >= max_rows {
            return Err(ParseError::TooManyRows(max_rows));
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| ParseError::Unreadable(format!("第 {} 行不是 JSON：{e}", i + 1)))?;
        let serde_json::Value::Object(obj) = value else {
            return Err(ParseError::Unreadable(format!(
                "第 {} 行不是 JSON 对象",
                i + 1
            )));
        };
        let mut cells = Cells::new();
        for (k, v) in obj {
            let Some(f) = aliases.field(&k) else { continue };
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                serde_json::Value::Bool(b) => if b { "1" } else { "" }.to_string(),
                other => other.to_string(),
            };
            cells.insert(f, text);
        }
        if !checked {
            required(&|f| cells.contains_key(&f))?;
            checked = true;
        }
        out.push((i + 1, cells));
    }
    Ok(out)
}

fn issue(line: usize, field: Field, message: String) -> RowIssue {
    RowIssue {
        line,
        field: field.label().to_string(),
        message,
    }
}

/// A year and month from a date (2025-03-31, 2025/3, 2025年3月, 202503).
fn year_month(text: &str) -> Option<(i32, u8)> {
    let digits: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    match digits.as_slice() {
        [y, m, ..] if y.len() == 4 => Some((y.parse().ok()?, m.parse().ok()?)),
        [ym] if ym.len() >= 6 => Some((ym[..4].parse().ok()?, ym[4..6].parse().ok()?)),
        _ => None,
    }
}

/// One row, validated.
fn row<'a>(
    get: &dyn Fn(Field) -> &'a str,
    line: usize,
    unit: MoneyUnit,
    taxonomy: &Taxonomy,
    warnings: &mut Vec<RowIssue>,
) -> Result<ExecRow, RowIssue> {
    let (year, month) = if get(Field::Year).is_empty() && !get(Field::Date).is_empty() {
        year_month(get(Field::Date)).ok_or_else(|| {
            issue(
                line,
                Field::Date,
                format!("日期「{}」无法识别", get(Field::Date)),
            )
        })?
    } else {
        let year = get(Field::Year)
            .trim_end_matches('年')
            .parse::<i32>()
            .map_err(|_| {
                issue(
                    line,
                    Field::Year,
                    format!("年度「{}」不是年份", get(Field::Year)),
                )
            })?;
        let month_text = get(Field::Month);
        let month = month_text
            .trim_end_matches('月')
            .trim_start_matches('0')
            .parse::<u8>()
            .or_else(|_| year_month(month_text).map(|(_, m)| m).ok_or(()))
            .map_err(|_| issue(line, Field::Month, format!("月份「{month_text}」无法识别")))?;
        (year, month)
    };
    if !(1990..=2100).contains(&year) {
        return Err(issue(line, Field::Year, format!("年度 {year} 超出范围")));
    }
    if !(1..=12).contains(&month) {
        return Err(issue(
            line,
            Field::Month,
            format!("月份 {month} 不在 1–12 之间"),
        ));
    }
    let unit_name = squeeze(get(Field::Unit));
    if unit_name.is_empty() {
        return Err(issue(line, Field::Unit, "预算单位为空".into()));
    }
    if unit_name.chars().count() > 100 {
        return Err(issue(line, Field::Unit, "预算单位名称超过 100 字".into()));
    }
    let department = match squeeze(get(Field::Department)) {
        d if d.is_empty() => unit_name.clone(),
        d if d.chars().count() > 100 => {
            return Err(issue(line, Field::Department, "部门名称超过 100 字".into()));
        }
        d => d,
    };
    let region = match squeeze(get(Field::Region)) {
        r if r.is_empty() => region_of(&department)
            .or_else(|| region_of(&unit_name))
            .unwrap_or_default(),
        r => r.chars().take(50).collect(),
    };
    let code = get(Field::Code).replace([' ', '　'], "");
    if !code.chars().all(|c| c.is_ascii_digit()) || ![3, 5, 7].contains(&code.len()) {
        return Err(issue(
            line,
            Field::Code,
            format!("科目编码「{code}」应为 3、5 或 7 位数字（类、款、项）"),
        ));
    }
    if !taxonomy.is_empty() {
        match taxonomy.get(&code) {
            Some(subject) => {
                let name = squeeze(get(Field::Name));
                if !name.is_empty() && name != squeeze(&subject.name) {
                    return Err(issue(
                        line,
                        Field::Name,
                        format!(
                            "科目 {code} 的名称「{name}」与科目表不一致（应为「{}」）",
                            subject.name
                        ),
                    ));
                }
            }
            None if taxonomy.get(&code[..3]).is_none() => {
                return Err(issue(
                    line,
                    Field::Code,
                    format!("未知科目：{code}（科目表中没有类 {}）", &code[..3]),
                ));
            }
            None => warnings.push(issue(
                line,
                Field::Code,
                format!("科目 {code} 不在科目表中（类 {} 已知），已接收", &code[..3]),
            )),
        }
    }
    let economic = match get(Field::Economic).replace([' ', '　'], "") {
        e if e.is_empty() => None,
        e if e.chars().all(|c| c.is_ascii_digit()) && [3, 5].contains(&e.len()) => Some(e),
        e => {
            return Err(issue(
                line,
                Field::Economic,
                format!("经济分类编码「{e}」应为 3 或 5 位数字"),
            ));
        }
    };
    let fund = Fund::from_name(get(Field::Fund)).ok_or_else(|| {
        issue(
            line,
            Field::Fund,
            format!("资金性质「{}」未知", get(Field::Fund)),
        )
    })?;
    let refund = matches!(
        get(Field::Refund).to_lowercase().as_str(),
        "1" | "是" | "y" | "yes" | "true" | "退回" | "冲销"
    );
    let amount = |f: Field| -> Result<f64, RowIssue> {
        let text = get(f);
        if text.is_empty() || text == "-" || text == "—" {
            return Ok(0.0);
        }
        let v = parse_amount(text)
            .ok_or_else(|| issue(line, f, format!("{}「{text}」不是金额", f.label())))?
            * unit.to_wanyuan();
        if !v.is_finite() || v.abs() > 1e10 {
            return Err(issue(line, f, format!("{}「{text}」超出范围", f.label())));
        }
        if v < 0.0 && !refund && f != Field::Adjustment {
            return Err(issue(
                line,
                f,
                format!("{}为负数（{text}），而未标明退回或冲销", f.label()),
            ));
        }
        Ok(v)
    };
    let r = ExecRow {
        year,
        month,
        region,
        department,
        unit: unit_name,
        code,
        economic,
        fund,
        budget: amount(Field::Budget)?,
        adjustment: amount(Field::Adjustment)?,
        allocated: amount(Field::Allocated)?,
        executed: amount(Field::Executed)?,
        refund,
    };
    let available = r.budget + r.adjustment;
    if r.budget > 0.0 && r.executed > available + 0.005 {
        warnings.push(issue(
            line,
            Field::Executed,
            format!(
                "本月执行 {:.2} 万元超过年初预算与本月调整之和 {:.2} 万元",
                r.executed, available
            ),
        ));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::parse(
            "code,name,parent,budget\n205,教育支出,,一般公共预算\n20502,普通教育,205,一般公共预算\n2050203,初中教育,20502,一般公共预算\n",
            "test",
        )
        .unwrap()
    }

    fn read(text: &str) -> Result<Parsed, ParseError> {
        parse(
            Format::Csv,
            text.as_bytes(),
            &Aliases::default(),
            MoneyUnit::Wanyuan,
            &taxonomy(),
        )
    }

    #[test]
    fn rows_are_read_by_their_chinese_column_names() {
        let p = read(
            "预算年度,月份,主管部门,预算单位,功能分类科目编码,功能分类科目名称,经济分类科目编码,资金性质,年初预算数,调整数,指标下达数,本月支出\n\
             2025,3月,东湖市教育局,东湖市第一中学,2050203,初中教育,30201,一般公共预算,\"1,200.00\",-50,100,98.5\n",
        )
        .unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let r = &p.rows[0];
        assert_eq!((r.year, r.month), (2025, 3));
        assert_eq!(r.unit, "东湖市第一中学");
        assert_eq!(r.region, "东湖市");
        assert_eq!(r.economic.as_deref(), Some("30201"));
        assert_eq!(
            (r.budget, r.adjustment, r.allocated, r.executed),
            (1200.0, -50.0, 100.0, 98.5)
        );
    }

    #[test]
    fn each_bad_row_is_named_with_its_line_and_field() {
        let p = read(
            "年度,月份,预算单位,科目编码,科目名称,执行,资金性质\n\
             2025,3,甲单位,2050203,初中教育,10,\n\
             2025,13,乙单位,2050203,,10,\n\
             2025,3,丙单位,9990101,,10,\n\
             2025,3,丁单位,2050203,小学教育,10,\n\
             2025,3,戊单位,2050203,,-10,\n\
             2025,3,甲单位,2050203,,11,\n\
             2025,3,己单位,2050203,,1,专户\n",
        )
        .unwrap();
        let lines: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (3, "月份"),
                (4, "功能分类科目编码"),
                (5, "科目名称"),
                (6, "执行"),
                (7, ""),
                (8, "资金性质")
            ],
            "{:?}",
            p.errors
        );
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn a_refund_may_be_negative_and_overspending_a_month_is_a_warning() {
        let p = read(
            "年度,月份,预算单位,科目编码,年初预算,执行,退回标志\n\
             2025,3,甲单位,2050203,100,-5,是\n\
             2025,4,甲单位,2050203,100,130,\n",
        )
        .unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, 3);
    }

    #[test]
    fn json_lines_and_amounts_in_yuan() {
        let text = "{\"year\":2025,\"month\":\"2025-06\",\"unit\":\"甲单位\",\"code\":\"2050203\",\"executed\":123456}\n";
        let p = parse(
            Format::JsonLines,
            text.as_bytes(),
            &Aliases::default(),
            MoneyUnit::Yuan,
            &taxonomy(),
        )
        .unwrap();
        assert_eq!(p.rows[0].month, 6);
        assert!((p.rows[0].executed - 12.3456).abs() < 1e-9);
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused_whole() {
        assert!(matches!(
            read("预算单位,科目编码\n甲,2050203\n"),
            Err(ParseError::MissingColumns(m)) if m.contains("执行") && m.contains("月份")
        ));
        assert_eq!(
            read("a,b\n1,2\n").unwrap_err(),
            ParseError::MissingColumns("预算单位、功能分类科目编码".into())
        );
    }
}
