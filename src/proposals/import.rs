//! Reading proposal tables: CSV (UTF-8 or GB18030), XLSX and JSON with Chinese column headers. Every row is
//! validated on its own; a bad row becomes a `RowError` with its line and reason, good rows go on. Pure: no
//! store or index I/O (see `proposals::import_bytes` for writing).

use super::lifecycle;
use super::model::{
    Event, EventKind, Grade, Proposal, ProposalId, ProposalNumber, ProposalType, Satisfaction,
    Session, Status,
};
use crate::ingest::extract::read_sheets;
use crate::model::{Date, DocId, label_enum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

label_enum!(
    /// A column of a proposal table; the label is the canonical header (used for export too).
    Column {
        Number => "编号",
        Session => "届次",
        Year => "年份",
        Kind => "类型",
        Title => "标题",
        Text => "内容",
        Lead => "领衔代表",
        CoSigners => "联名代表",
        Delegation => "代表团",
        Category => "分类",
        LeadUnit => "主办单位",
        CoUnits => "协办单位",
        Assigned => "交办日期",
        Deadline => "办理期限",
        Status => "状态",
        ReplyDate => "答复日期",
        ReplyText => "答复内容",
        Grade => "答复类别",
        Satisfaction => "满意度",
        KeySupervision => "重点督办",
        Public => "公开",
        Supervisor => "督办委员会",
    }
);

impl Column {
    /// Maps a header cell to a column: the canonical name or a common variant.
    pub fn from_header(header: &str) -> Option<Column> {
        let h: String = crate::text::fold_str(header)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '*' && *c != '\u{feff}')
            .collect();
        Column::parse(&h).or(match h.as_str() {
            "建议编号" | "提案编号" | "序号编号" | "建议号" => Some(Column::Number),
            "会议" | "届次会议" | "会次" => Some(Column::Session),
            "年度" => Some(Column::Year),
            "建议类型" | "类别" => Some(Column::Kind),
            "建议标题" | "题目" | "案由" => Some(Column::Title),
            "建议内容" | "正文" => Some(Column::Text),
            "领衔人" | "提出人" | "代表" => Some(Column::Lead),
            "附议代表" | "联名人" => Some(Column::CoSigners),
            "所在代表团" => Some(Column::Delegation),
            "内容分类" | "所属分类" => Some(Column::Category),
            "主办" | "承办单位" => Some(Column::LeadUnit),
            "协办" | "会办单位" => Some(Column::CoUnits),
            "交办时间" => Some(Column::Assigned),
            "办理时限" | "答复期限" => Some(Column::Deadline),
            "办理状态" => Some(Column::Status),
            "答复时间" => Some(Column::ReplyDate),
            "答复意见" | "答复" => Some(Column::ReplyText),
            "办理结果" | "答复分类" => Some(Column::Grade),
            "代表满意度" | "反馈意见" | "代表反馈" => Some(Column::Satisfaction),
            "是否重点督办" => Some(Column::KeySupervision),
            "是否公开" | "公开属性" => Some(Column::Public),
            "督办单位" => Some(Column::Supervisor),
            _ => None,
        })
    }
}

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The line of a CSV file, the row of a sheet or the position in a JSON array (from 1).
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第{}行：{}", self.line, self.reason)
    }
}

/// A valid row: the proposal and the events its columns describe.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: usize,
    pub proposal: Proposal,
    pub events: Vec<Event>,
}

/// What a file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
}

/// Why a whole file could not be read as a proposal table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is neither CSV, XLSX nor JSON")]
    Format,
    #[error("the text could not be decoded: {0}")]
    Encoding(String),
    #[error("the file is damaged: {0}")]
    Corrupt(String),
    #[error("no header row names the columns 编号, 届次 and 标题")]
    NoHeader,
    /// The workbook could not be read, or reading it would pass a limit.
    #[error("{0}")]
    Workbook(String),
}

/// The source formats of proposal tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
    Json,
}

impl TableFormat {
    /// The format by file extension.
    pub fn of(path: &Path) -> Option<TableFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" => Some(TableFormat::Csv),
            "xlsx" | "xls" | "xlsm" | "ods" => Some(TableFormat::Xlsx),
            "json" => Some(TableFormat::Json),
            _ => None,
        }
    }
}

type Cells = BTreeMap<Column, String>;

/// Decodes text: UTF-8 (with or without BOM), else GB18030 if it decodes without errors.
fn decode(bytes: &[u8]) -> Result<String, TableError> {
    crate::ingest::extract::decode_text(bytes).map_err(|e| TableError::Encoding(e.to_string()))
}

/// Rows of raw cells with their line numbers (CSV in UTF-8 or GB18030, comma or tab; the first sheet of a
/// workbook, read within the workbook limits). Also read by the series import.
pub(crate) fn raw_rows(
    format: TableFormat,
    bytes: &[u8],
) -> Result<Vec<(usize, Vec<String>)>, TableError> {
    match format {
        TableFormat::Csv => {
            let text = decode(bytes)?;
            let delimiter = if text.lines().take(5).any(|l| l.contains('\t'))
                && !text.lines().take(5).any(|l| l.contains(','))
            {
                b'\t'
            } else {
                b','
            };
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(text.as_bytes());
            let mut out = Vec::new();
            let mut lines = LineCounter::new(&text);
            for record in reader.records() {
                let record = record.map_err(|e| TableError::Corrupt(format!("CSV: {e}")))?;
                let byte = record.position().map(|p| p.byte() as usize).unwrap_or(0);
                out.push((
                    lines.line_at(byte),
                    record
                        .iter()
                        .map(|c| crate::csv_out::restore(c.trim()).to_string())
                        .collect(),
                ));
            }
            Ok(out)
        }
        TableFormat::Xlsx => {
            use calamine::Data;
            let sheets = read_sheets(bytes, 1).map_err(|e| TableError::Workbook(e.to_string()))?;
            let Some(sheet) = sheets.into_iter().next() else {
                return Ok(Vec::new());
            };
            Ok(sheet
                .rows
                .into_iter()
                .map(|(row, cells)| {
                    let cells = cells
                        .iter()
                        .map(|c| match c {
                            Data::Empty => String::new(),
                            Data::String(s) => s.trim().to_string(),
                            Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                            Data::DateTime(dt) => {
                                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                                format!("{y:04}-{m:02}-{d:02}")
                            }
                            Data::DateTimeIso(s) => s.trim().to_string(),
                            other => other.to_string(),
                        })
                        .collect();
                    (row as usize + 1, cells)
                })
                .collect())
        }
        TableFormat::Json => Err(TableError::Format),
    }
}

/// The line numbers of records, counted from their byte offsets. The CSV reader's own line numbers are one short
/// after CRLF line ends: the record's position then points at the `\n` that ends the previous line.
struct LineCounter<'a> {
    text: &'a [u8],
    /// Bytes counted so far, and the number of `\n` among them.
    counted: usize,
    newlines: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            counted: 0,
            newlines: 0,
        }
    }

    /// The line (from 1) of the record starting at `byte`: line ends before its first cell are skipped. Offsets
    /// must not decrease between calls.
    fn line_at(&mut self, byte: usize) -> usize {
        let mut start = byte.min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let from = self.counted.min(start);
        self.newlines += self.text[from..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.counted = start;
        self.newlines + 1
    }
}

/// Finds the header row (the first row naming 编号, 届次 and 标题) and maps every later row to cells.
fn table_cells(rows: Vec<(usize, Vec<String>)>) -> Result<Vec<(usize, Cells)>, TableError> {
    let mut columns: Option<Vec<Option<Column>>> = None;
    let mut out = Vec::new();
    for (line, cells) in rows {
        match &columns {
            None => {
                let mapped: Vec<Option<Column>> =
                    cells.iter().map(|c| Column::from_header(c)).collect();
                let has = |c: Column| mapped.contains(&Some(c));
                if has(Column::Number) && has(Column::Title) && has(Column::Session) {
                    columns = Some(mapped);
                }
            }
            Some(cols) => {
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let mut row = Cells::new();
                for (col, cell) in cols.iter().zip(cells) {
                    if let Some(col) = col
                        && !cell.trim().is_empty()
                    {
                        row.insert(*col, cell.trim().to_string());
                    }
                }
                out.push((line, row));
            }
        }
    }
    if columns.is_none() {
        return Err(TableError::NoHeader);
    }
    Ok(out)
}

fn json_cells(bytes: &[u8]) -> Result<Vec<(usize, Cells)>, TableError> {
    let text = decode(bytes)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| TableError::Corrupt(format!("JSON: {e}")))?;
    let items = match value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(mut o) => match ["建议", "proposals", "data"]
            .iter()
            .find_map(|k| o.remove(*k))
        {
            Some(serde_json::Value::Array(a)) => a,
            _ => return Err(TableError::NoHeader),
        },
        _ => return Err(TableError::NoHeader),
    };
    let mut out = Vec::new();
    let mut any_header = false;
    for (i, item) in items.into_iter().enumerate() {
        let mut row = Cells::new();
        if let serde_json::Value::Object(o) = item {
            for (k, v) in o {
                let Some(col) = Column::from_header(&k) else {
                    continue;
                };
                any_header = true;
                let s = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => if b { "是" } else { "否" }.to_string(),
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string).unwrap_or(x.to_string()))
                        .collect::<Vec<_>>()
                        .join("、"),
                    other => other.to_string(),
                };
                if !s.trim().is_empty() {
                    row.insert(col, s.trim().to_string());
                }
            }
        }
        out.push((i + 1, row));
    }
    if !any_header && !out.is_empty() {
        return Err(TableError::NoHeader);
    }
    Ok(out)
}

/// Whether a file is a proposal table (by extension and header), without parsing its rows.
pub fn is_proposal_table(path: &Path, bytes: &[u8]) -> bool {
    let Some(format) = TableFormat::of(path) else {
        return false;
    };
    match format {
        TableFormat::Json => {
            // Cheap check on the first object's keys.
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
            head.trim_start().starts_with(['[', '{'])
                && head.contains("\"编号\"")
                && head.contains("\"标题\"")
                && json_cells(bytes).is_ok()
        }
        TableFormat::Csv => {
            let head = &bytes[..bytes.len().min(8192)];
            // Cut at the last newline so that a multi-byte character is not split.
            let cut = head
                .iter()
                .rposition(|b| *b == b'\n')
                .map(|i| &head[..i])
                .unwrap_or(head);
            let Ok(text) = decode(cut) else {
                return false;
            };
            text.lines().take(5).any(|l| {
                let cols: Vec<Option<Column>> =
                    l.split([',', '\t']).map(Column::from_header).collect();
                [Column::Number, Column::Session, Column::Title]
                    .iter()
                    .all(|c| cols.contains(&Some(*c)))
            })
        }
        TableFormat::Xlsx => raw_rows(format, bytes)
            .map(|rows| table_cells(rows.into_iter().take(5).collect()).is_ok())
            .unwrap_or(false),
    }
}

/// Parses a proposal table. `source` is recorded on each proposal (e.g. the file name).
pub fn parse(
    format: TableFormat,
    bytes: &[u8],
    source: &str,
    doc_id_of: &dyn Fn(&ProposalId) -> DocId,
) -> Result<Parsed, TableError> {
    let rows = match format {
        TableFormat::Json => json_cells(bytes)?,
        _ => table_cells(raw_rows(format, bytes)?)?,
    };
    let mut parsed = Parsed::default();
    let mut seen: BTreeMap<ProposalId, usize> = BTreeMap::new();
    for (line, cells) in rows {
        match row(&cells, source, doc_id_of) {
            Ok((proposal, events)) => {
                if let Some(first) = seen.get(&proposal.id) {
                    parsed.errors.push(RowError {
                        line,
                        reason: format!(
                            "{}{}与第{first}行重复",
                            proposal.session.name, proposal.number
                        ),
                    });
                    continue;
                }
                seen.insert(proposal.id.clone(), line);
                parsed.rows.push(Row {
                    line,
                    proposal,
                    events,
                });
            }
            Err(reason) => parsed.errors.push(RowError { line, reason }),
        }
    }
    Ok(parsed)
}

/// Parses a date: 2024-03-20, 2024/3/20, 2024.3.20, 2024年3月20日, 20240320.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = crate::text::fold_str(s.trim());
    let s = s.split([' ', 'T']).next().unwrap_or_default();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Date::parse_from_str(s, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    Date::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

fn parse_bool(s: &str) -> Option<bool> {
    match crate::text::fold_str(s.trim()).to_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" | "重点督办" | "公开" | "主动公开" | "依申请公开" => {
            Some(true)
        }
        "否" | "n" | "no" | "false" | "0" | "不公开" | "" => Some(false),
        _ => None,
    }
}

fn parse_status(s: &str) -> Option<Status> {
    let s = s.trim();
    Status::parse(s).or(match s {
        "交办" => Some(Status::Assigned),
        "未交办" => Some(Status::Registered),
        "签收" => Some(Status::Received),
        "正在办理" | "办理" => Some(Status::Handling),
        "答复" | "已回复" => Some(Status::Replied),
        "办结" | "已完成" | "完成" => Some(Status::Closed),
        _ => None,
    })
}

/// Splits a list cell (names or units) on Chinese and ASCII separators.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(['、', '，', ',', '；', ';', '/', '|', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Actor recorded on events derived from an imported row.
pub const IMPORT_ACTOR: &str = "导入";

fn row(
    c: &Cells,
    source: &str,
    doc_id_of: &dyn Fn(&ProposalId) -> DocId,
) -> Result<(Proposal, Vec<Event>), String> {
    let get = |col: Column| c.get(&col).map(String::as_str).unwrap_or("");
    let date = |col: Column| -> Result<Option<Date>, String> {
        let v = get(col);
        if v.is_empty() {
            return Ok(None);
        }
        parse_date(v)
            .map(Some)
            .ok_or_else(|| format!("{}「{v}」不是日期", col.label()))
    };
    let number_raw = get(Column::Number);
    if number_raw.is_empty() {
        return Err("缺少编号".into());
    }
    let number = ProposalNumber::parse(number_raw)
        .ok_or_else(|| format!("编号「{number_raw}」不是建议编号（如 1234 或 第1234号）"))?;
    let session_raw = get(Column::Session);
    if session_raw.is_empty() {
        return Err("缺少届次".into());
    }
    let session = Session::parse(session_raw);
    let title = get(Column::Title).to_string();
    if title.is_empty() {
        return Err("缺少标题".into());
    }
    let assigned = date(Column::Assigned)?;
    let deadline = date(Column::Deadline)?;
    let reply_date = date(Column::ReplyDate)?;
    let year = match get(Column::Year) {
        "" => assigned
            .map(|d| chrono::Datelike::year(&d))
            .ok_or("缺少年份（也没有交办日期）")?,
        y => y
            .trim_end_matches('年')
            .parse::<i32>()
            .ok()
            .filter(|y| (1949..=2200).contains(y))
            .ok_or_else(|| format!("年份「{y}」不是年份"))?,
    };
    let kind = match get(Column::Kind) {
        "" => ProposalType::Deputy,
        k => ProposalType::parse_loose(k)
            .ok_or_else(|| format!("类型「{k}」不是代表建议、政协提案或批评和意见"))?,
    };
    let grade = match get(Column::Grade) {
        "" => None,
        g => Some(Grade::parse_loose(g).ok_or_else(|| format!("答复类别「{g}」不是 A/B/C/D"))?),
    };
    let satisfaction = match get(Column::Satisfaction) {
        "" => None,
        s => Some(
            Satisfaction::parse(s)
                .ok_or_else(|| format!("满意度「{s}」不是满意、基本满意或不满意"))?,
        ),
    };
    let flag = |col: Column, default: bool| -> Result<bool, String> {
        match get(col) {
            "" => Ok(default),
            v => parse_bool(v).ok_or_else(|| format!("{}「{v}」应为是或否", col.label())),
        }
    };
    let key_supervision = flag(Column::KeySupervision, false)?;
    let public = flag(Column::Public, true)?;
    let stated = match get(Column::Status) {
        "" => None,
        s => Some(parse_status(s).ok_or_else(|| format!("状态「{s}」无法识别"))?),
    };
    let reply_text = get(Column::ReplyText);
    let has_reply = reply_date.is_some() || grade.is_some() || !reply_text.is_empty();
    let target = stated.unwrap_or(if has_reply {
        Status::Replied
    } else if assigned.is_some() {
        Status::Assigned
    } else {
        Status::Registered
    });

    // The events the row describes, in lifecycle order.
    let mut events = Vec::new();
    let ev = |kind, date| Event::new(kind, date, IMPORT_ACTOR);
    if target != Status::Registered {
        let a = assigned.ok_or_else(|| format!("状态为{target}，但缺少交办日期"))?;
        events.push(ev(EventKind::Assign, a));
        if matches!(target, Status::Received | Status::Handling) {
            events.push(ev(EventKind::Receive, a));
        }
        if target == Status::Handling {
            events.push(ev(EventKind::Handle, a));
        }
    } else if has_reply {
        return Err("状态为待交办，却有答复".into());
    }
    let replied = matches!(target, Status::Replied | Status::Reopened | Status::Closed);
    if replied {
        let d = reply_date.ok_or_else(|| format!("状态为{target}，但缺少答复日期"))?;
        let g = grade.ok_or_else(|| format!("状态为{target}，但缺少答复类别"))?;
        events.push(Event {
            grade: Some(g),
            text: Some(if reply_text.is_empty() {
                "（导入时未提供答复内容）".to_string()
            } else {
                reply_text.to_string()
            }),
            ..ev(EventKind::Reply, d)
        });
        if let Some(s) = satisfaction {
            events.push(Event {
                satisfaction: Some(s),
                ..ev(EventKind::Feedback, d)
            });
        }
        match target {
            Status::Reopened => events.push(ev(EventKind::Reopen, d)),
            Status::Closed => events.push(ev(EventKind::Close, d)),
            _ => {}
        }
    } else if has_reply || satisfaction.is_some() {
        return Err(format!("状态为{target}，却有答复或满意度"));
    }
    if let Err((_, refusal)) = lifecycle::derive(&events, deadline) {
        return Err(refusal.to_string());
    }
    let id = ProposalId::new(&session, number);
    let proposal = Proposal {
        doc_id: doc_id_of(&id),
        id,
        number,
        session,
        year,
        kind,
        title,
        text: get(Column::Text).to_string(),
        lead: get(Column::Lead).to_string(),
        co_signers: split_list(get(Column::CoSigners)),
        delegation: get(Column::Delegation).to_string(),
        category: get(Column::Category).to_string(),
        lead_unit: get(Column::LeadUnit).to_string(),
        co_units: split_list(get(Column::CoUnits)),
        deadline,
        key_supervision,
        supervisor: Some(get(Column::Supervisor).to_string()).filter(|s| !s.is_empty()),
        public,
        source: source.to_string(),
    };
    Ok((proposal, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_id(id: &ProposalId) -> DocId {
        DocId(id.0.clone())
    }

    const HEADER: &str = "编号,届次,年份,类型,标题,内容,领衔代表,联名代表,代表团,分类,主办单位,协办单位,交办日期,办理期限,状态,答复日期,答复内容,答复类别,满意度,重点督办,公开";

    fn csv(rows: &[&str]) -> Vec<u8> {
        let mut s = format!("【示例文档】说明行\n{HEADER}\n");
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s.into_bytes()
    }

    #[test]
    fn headers_map_by_chinese_names_and_variants() {
        assert_eq!(Column::from_header("编号"), Some(Column::Number));
        assert_eq!(Column::from_header(" 建议编号 "), Some(Column::Number));
        assert_eq!(Column::from_header("承办单位"), Some(Column::LeadUnit));
        assert_eq!(Column::from_header("满意度*"), Some(Column::Satisfaction));
        assert_eq!(Column::from_header("备注"), None);
    }

    #[test]
    fn rows_are_validated_one_by_one_with_lines() {
        let bytes = csv(&[
            "1,十四届全国人大二次会议,2024,代表建议,关于甲的建议,内容,张某,李某、王某,北京代表团,财政,财政部,,2024-03-20,,办理中,,,,,是,是",
            "x12,十四届全国人大二次会议,2024,代表建议,关于乙的建议,,,,,,,,,,,,,,,,",
            "3,,2024,代表建议,关于丙的建议,,,,,,,,,,,,,,,,",
            "4,十四届全国人大二次会议,2024,代表建议,关于丁的建议,,,,,,,,2024-03-20,,已办结,2024-05-01,已解决,E,,,",
            "5,十四届全国人大二次会议,2024,代表建议,关于戊的建议,,,,,,,,2024-03-20,,已办结,2024-05-01,答复,A,满意,否,否",
            "6,十四届全国人大二次会议,2024,代表建议,关于己的建议,,,,,,,,2024-03-20,,已办结,,,,,,",
            "1,十四届全国人大二次会议,2024,代表建议,关于甲的建议,,,,,,,,,,,,,,,,",
        ]);
        let p = parse(TableFormat::Csv, &bytes, "t.csv", &doc_id).unwrap();
        let lines: Vec<usize> = p.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 7]);
        let errors: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.line, e.reason.as_str()))
            .collect();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(errors[0].0, 4);
        assert!(errors[0].1.contains("编号"));
        assert!(errors[1].1.contains("届次"));
        assert!(errors[2].1.contains("答复类别"));
        assert!(errors[3].1.contains("答复日期"));
        assert!(errors[4].1.contains("重复"));
        let first = &p.rows[0];
        assert_eq!(first.proposal.co_signers, vec!["李某", "王某"]);
        assert!(first.proposal.key_supervision);
        assert_eq!(first.events.len(), 3);
        let state = lifecycle::derive(&first.events, None).unwrap();
        assert_eq!(state.status, Status::Handling);
        let closed = lifecycle::derive(&p.rows[1].events, None).unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert_eq!(closed.satisfaction, Some(Satisfaction::Satisfied));
        assert!(!p.rows[1].proposal.public);
    }

    #[test]
    fn crlf_files_report_the_lines_of_their_rows() {
        // Found by tests/fuzz.rs: after CRLF line ends every row was reported one line too early.
        let text = format!(
            "{HEADER}\r\n1,十四届全国人大二次会议,2024,代表建议,关于甲的建议\r\n\r\n\
             x,十四届全国人大二次会议,2024,代表建议,关于乙的建议\r\n\
             \"3\",十四届全国人大二次会议,2024,代表建议,\"关于\r\n丙的建议\"\r\n\
             0,十四届全国人大二次会议,2024,代表建议,关于丁的建议\r\n"
        );
        let p = parse(TableFormat::Csv, text.as_bytes(), "t.csv", &doc_id).unwrap();
        let rows: Vec<usize> = p.rows.iter().map(|r| r.line).collect();
        let errors: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!((rows, errors), (vec![2, 5], vec![4, 7]));
    }

    #[test]
    fn dates_in_common_forms() {
        let d = Date::from_ymd_opt(2024, 3, 5).unwrap();
        for s in [
            "2024-03-05",
            "2024/3/5",
            "2024年3月5日",
            "20240305",
            "2024.3.5",
        ] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("明天"), None);
    }

    #[test]
    fn a_file_without_the_header_is_refused() {
        let r = parse(TableFormat::Csv, "a,b,c\n1,2,3\n".as_bytes(), "x", &doc_id);
        assert_eq!(r.unwrap_err(), TableError::NoHeader);
        assert!(!is_proposal_table(Path::new("x.csv"), b"a,b\n1,2\n"));
        assert!(is_proposal_table(Path::new("x.csv"), &csv(&[])));
    }

    #[test]
    fn json_objects_with_chinese_keys() {
        let json = r#"[{"编号": 7, "届次": "十四届全国人大二次会议", "年份": 2024, "标题": "关于庚的建议",
            "联名代表": ["甲", "乙"], "交办日期": "2024-03-20", "重点督办": true},
            {"编号": "七", "届次": "十四届全国人大二次会议", "标题": "坏编号"}]"#;
        let p = parse(TableFormat::Json, json.as_bytes(), "x.json", &doc_id).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].proposal.co_signers, vec!["甲", "乙"]);
        assert!(p.rows[0].proposal.key_supervision);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 2);
    }
}
