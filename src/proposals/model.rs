//! The typed records of deputy proposals (代表建议): numbers, sessions, kinds, events, grades and statuses.

use crate::model::{Date, DocId, label_enum};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A proposal's number within its session (第1234号 is 1234).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProposalNumber(pub u32);

impl ProposalNumber {
    /// Parses `1234`, `第1234号`, `第 1234 号建议` or `1234号`.
    pub fn parse(s: &str) -> Option<ProposalNumber> {
        let s = crate::text::fold_str(s.trim());
        let s = s.trim_start_matches('第');
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        let rest = s[digits.len()..].trim();
        if digits.is_empty() || !(rest.is_empty() || rest.starts_with('号')) {
            return None;
        }
        digits
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(ProposalNumber)
    }
}

impl fmt::Display for ProposalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第{}号", self.0)
    }
}

/// A congress session (届次) as written, with its term and meeting numbers when they can be read
/// (十四届全国人大二次会议 and 第十四届全国人民代表大会第二次会议 are both term 14, meeting 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    pub name: String,
    pub term: Option<u32>,
    pub meeting: Option<u32>,
}

impl Session {
    /// Reads a session name; the numbers stay empty when the name does not follow the usual pattern.
    pub fn parse(name: &str) -> Session {
        let name = name.trim().to_string();
        let (term, meeting) = match parse_term_meeting(&name) {
            Some((t, m)) => (Some(t), Some(m)),
            None => (None, None),
        };
        Session {
            name,
            term,
            meeting,
        }
    }

    /// A short stable key: `16-3` for the 3rd meeting of the 16th congress, else a hash of the name.
    pub fn key(&self) -> String {
        match (self.term, self.meeting) {
            (Some(t), Some(m)) => format!("{t}-{m}"),
            _ => format!("s{}", &blake3::hash(self.name.as_bytes()).to_hex()[..8]),
        }
    }

    /// Order of sessions: by term and meeting where known.
    pub fn order(&self) -> (u32, u32) {
        (self.term.unwrap_or(0), self.meeting.unwrap_or(0))
    }

    /// Whether two sessions are the same (by numbers when both are known, else by name).
    pub fn same(&self, other: &Session) -> bool {
        match (self.term, self.meeting, other.term, other.meeting) {
            (Some(a), Some(b), Some(c), Some(d)) => a == c && b == d,
            _ => self.name == other.name,
        }
    }
}

/// Parses a Chinese or Arabic number of up to 99 (十六, 二十三, 3).
pub fn chinese_number(s: &str) -> Option<u32> {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c).map(|d| d as u32),
        ['十', c] => digit(*c).map(|d| 10 + d as u32),
        [a, '十'] => digit(*a).map(|d| 10 * d as u32),
        [a, '十', b] => Some(10 * digit(*a)? as u32 + digit(*b)? as u32),
        _ => None,
    }
}

/// Finds `<term>届 … <meeting>次会议` in a text (e.g. 市十六届人大三次会议, 第十六届人民代表大会第三次会议).
pub fn parse_term_meeting(text: &str) -> Option<(u32, u32)> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"([一二三四五六七八九十\d]{1,3})届[^，。；\n]{0,16}?第?([一二三四五六七八九十\d]{1,3})次(?:全体)?会议",
        )
        .expect("static regex")
    });
    let c = RE.captures(text)?;
    Some((chinese_number(&c[1])?, chinese_number(&c[2])?))
}

label_enum!(
    /// The kind of a proposal.
    ProposalType {
        Deputy => "代表建议",
        Cppcc => "政协提案",
        Criticism => "批评和意见",
    }
);

impl ProposalType {
    /// Parses a label or a common short form (建议, 提案, 意见).
    pub fn parse_loose(s: &str) -> Option<ProposalType> {
        let s = s.trim();
        ProposalType::parse(s).or(match s {
            "建议" | "代表建议" | "人大代表建议" => Some(ProposalType::Deputy),
            "提案" | "政协委员提案" => Some(ProposalType::Cppcc),
            "批评" | "意见" | "批评、意见" | "批评意见" => {
                Some(ProposalType::Criticism)
            }
            _ => None,
        })
    }
}

label_enum!(
    /// What happened to a proposal.
    EventKind {
        Assign => "交办",
        Receive => "签收",
        Handle => "办理中",
        Extend => "延期",
        Reply => "答复",
        Feedback => "代表反馈",
        Reopen => "重新办理",
        Close => "办结",
    }
);

label_enum!(
    /// The grade of a reply (答复类别).
    Grade {
        A => "A",
        B => "B",
        C => "C",
        D => "D",
    }
);

impl Grade {
    /// What the grade says: A 已解决, B 正在解决, C 计划解决, D 留作参考.
    pub fn meaning(self) -> &'static str {
        match self {
            Grade::A => "已解决",
            Grade::B => "正在解决",
            Grade::C => "计划解决",
            Grade::D => "留作参考",
        }
    }

    /// Parses `A`, `A类`, `a` or the meaning (已解决).
    pub fn parse_loose(s: &str) -> Option<Grade> {
        let s = crate::text::fold_str(s.trim()).to_uppercase();
        let s = s.trim_end_matches('类');
        Grade::parse(s).or_else(|| Grade::ALL.iter().copied().find(|g| g.meaning() == s))
    }
}

label_enum!(
    /// The deputy's feedback on a reply (满意度).
    Satisfaction {
        Satisfied => "满意",
        Basically => "基本满意",
        Unsatisfied => "不满意",
    }
);

label_enum!(
    /// Where a proposal stands; derived from its events.
    Status {
        Registered => "待交办",
        Assigned => "已交办",
        Received => "已签收",
        Handling => "办理中",
        Replied => "已答复",
        Reopened => "重新办理",
        Closed => "已办结",
    }
);

/// Identifier of a proposal: its session key and number (`16-3-1005`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProposalId(pub String);

impl ProposalId {
    pub fn new(session: &Session, number: ProposalNumber) -> ProposalId {
        ProposalId(format!("{}-{}", session.key(), number.0))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProposalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A proposal as recorded (its history is kept apart as events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: ProposalId,
    pub number: ProposalNumber,
    pub session: Session,
    pub year: i32,
    pub kind: ProposalType,
    pub title: String,
    pub text: String,
    /// The lead deputy (领衔代表).
    pub lead: String,
    /// Co-signers (联名代表).
    pub co_signers: Vec<String>,
    /// The delegation (代表团).
    pub delegation: String,
    pub category: String,
    /// The lead handling unit (主办单位).
    pub lead_unit: String,
    /// Co-handling units (协办单位).
    pub co_units: Vec<String>,
    /// A deadline stated by the source (办理期限); otherwise derived from the assignment date.
    pub deadline: Option<Date>,
    /// 重点督办.
    pub key_supervision: bool,
    /// The committee supervising a key proposal.
    pub supervisor: Option<String>,
    pub public: bool,
    /// Where the record came from (a file name, 生成数据, API).
    pub source: String,
    /// The document that makes the proposal searchable.
    pub doc_id: DocId,
}

impl Proposal {
    /// Whether the record was made by the test-data generator.
    pub fn is_generated(&self) -> bool {
        self.text.starts_with(crate::proposals::generate::GENERATED)
    }
}

/// One step in a proposal's history. Fields beyond kind, date and actor belong to some kinds only: a reply
/// has `grade` and `text`; feedback has `satisfaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub date: Date,
    /// Who did it (a unit, a deputy, staff).
    #[serde(default)]
    pub actor: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// The reply text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<Satisfaction>,
}

impl Event {
    /// An event with only kind, date and actor.
    pub fn new(kind: EventKind, date: Date, actor: impl Into<String>) -> Event {
        Event {
            kind,
            date,
            actor: actor.into(),
            note: String::new(),
            grade: None,
            text: None,
            satisfaction: None,
        }
    }
}

/// A document (a reply) that names a proposal by number (第N号建议), with the session it names, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyRef {
    pub doc_id: DocId,
    pub number: ProposalNumber,
    pub term: Option<u32>,
    pub meeting: Option<u32>,
    pub title: String,
}

impl ReplyRef {
    /// Whether the reference can mean a proposal of `session` (an unnamed session matches any).
    pub fn fits(&self, session: &Session) -> bool {
        match (self.term, self.meeting) {
            (Some(t), Some(m)) => session.term == Some(t) && session.meeting == Some(m),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_in_common_forms() {
        assert_eq!(ProposalNumber::parse("1234"), Some(ProposalNumber(1234)));
        assert_eq!(
            ProposalNumber::parse("第1234号"),
            Some(ProposalNumber(1234))
        );
        assert_eq!(ProposalNumber::parse("第１２号"), Some(ProposalNumber(12)));
        assert_eq!(ProposalNumber::parse("12a"), None);
        assert_eq!(ProposalNumber::parse("0"), None);
        assert_eq!(ProposalNumber::parse(""), None);
    }

    #[test]
    fn sessions_read_term_and_meeting_in_both_forms() {
        let a = Session::parse("十四届全国人大二次会议");
        assert_eq!((a.term, a.meeting), (Some(14), Some(2)));
        let b = Session::parse("第十四届全国人民代表大会第二次会议");
        assert!(a.same(&b));
        assert_eq!(a.key(), "14-2");
        let c = Session::parse("市十六届人大三次会议");
        assert_eq!((c.term, c.meeting), (Some(16), Some(3)));
        let d = Session::parse("春季会议");
        assert_eq!(d.term, None);
        assert!(d.key().starts_with('s'));
        assert_eq!(chinese_number("二十三"), Some(23));
        assert_eq!(chinese_number("十"), Some(10));
        assert_eq!(chinese_number("二十"), Some(20));
    }

    #[test]
    fn loose_labels() {
        assert_eq!(Grade::parse_loose("a类"), Some(Grade::A));
        assert_eq!(Grade::parse_loose("正在解决"), Some(Grade::B));
        assert_eq!(Grade::parse_loose("E"), None);
        assert_eq!(
            ProposalType::parse_loose("建议"),
            Some(ProposalType::Deputy)
        );
        assert_eq!(
            ProposalType::parse_loose("政协提案"),
            Some(ProposalType::Cppcc)
        );
    }
}
