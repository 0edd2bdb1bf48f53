//! The linker: a pure function from a document and the reference data to scored links with evidence.
//!
//! Subjects, strongest evidence first:
//! - `CodeInTable`: a subject code with its name in a table row (`2080505 机关事业单位基本养老保险缴费支出`,
//!   `201  06  01  行政运行  1,511.90`). The code's structure is checked against the tree and the names must
//!   agree; an unknown code under a known parent is added as *observed*. Classes are ranked by their amounts.
//! - `LawField`/`TitleTerm`: a field word in the title (教育法 → 205).
//! - `SubjectName`/`Term`: names of subjects and characteristic terms, scored by their density in the text.
//!
//! Topics: include terms (masked where an exclude term contains them), by count and density, title matches
//! weighing more; weak terms only help once strong ones matched; exclude terms in the title, or outnumbering
//! the include terms, veto the topic; a code link to one of the topic's subjects adds to the score.

use crate::link::Reference;
use crate::link::taxonomy::{Level, Taxonomy, class_of, parent_code};
use crate::link::terms::SubjectTerms;
use crate::link::topics::Topics;
use crate::model::{Document, Tags};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The score from which a subject or topic link is kept (shown and indexed).
pub const SUBJECT_THRESHOLD: f64 = 0.1;
pub const TOPIC_THRESHOLD: f64 = 0.45;
/// Content-based subject links kept per document at most, and their floor relative to the best one.
const MAX_CONTENT_SUBJECTS: usize = 5;
const RELATIVE_FLOOR: f64 = 0.4;
/// Offsets kept per evidence item, and evidence items per link.
const MAX_OFFSETS: usize = 5;
const MAX_EVIDENCE: usize = 8;
/// Candidates kept per document (kept or not) so that staff can confirm a weak one.
const MAX_SUBJECT_CANDIDATES: usize = 40;
/// A term's occurrences count up to this many (one repeated word must not dominate).
const COUNT_CAP: usize = 30;

/// Which rule produced a piece of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A subject code and its name in a table row.
    CodeInTable,
    /// A field word in the title of a regulation.
    LawField,
    /// A field word in the title of another document.
    TitleTerm,
    /// The name of a subject in the text.
    SubjectName,
    /// A term characteristic of a subject in the text.
    Term,
    /// A topic's include term in the text.
    TopicInclude,
    /// A topic's include term in the title.
    TopicTitle,
    /// A topic's weak term (counted only with strong ones).
    TopicWeak,
    /// The document is linked by code to one of the topic's subjects.
    TopicSubject,
    /// Staff confirmed the link.
    Confirmed,
}

impl Rule {
    /// A short Chinese description for people.
    pub fn label(self) -> &'static str {
        match self {
            Rule::CodeInTable => "表中科目编码",
            Rule::LawField => "法规领域",
            Rule::TitleTerm => "标题词",
            Rule::SubjectName => "科目名称",
            Rule::Term => "特征词",
            Rule::TopicInclude => "专题词",
            Rule::TopicTitle => "标题专题词",
            Rule::TopicWeak => "专题弱词",
            Rule::TopicSubject => "专题科目",
            Rule::Confirmed => "人工确认",
        }
    }
}

/// One piece of evidence for a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub rule: Rule,
    /// The matched term, or the table row.
    pub text: String,
    /// Occurrences.
    pub count: usize,
    /// Byte ranges of the first occurrences (at most a few), in the body or, with `in_title`, the title.
    pub offsets: Vec<(usize, usize)>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_title: bool,
    /// The amount on the table row, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
}

/// A link from a document to a budget subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectLink {
    pub code: String,
    pub name: String,
    pub score: f64,
    pub evidence: Vec<Evidence>,
    /// Strong enough to be shown and indexed.
    pub kept: bool,
    /// The code is not in the reference tree: it was seen in this document.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub observed: bool,
}

/// A link from a document to a topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicLink {
    pub id: String,
    pub name: String,
    pub score: f64,
    pub evidence: Vec<Evidence>,
    pub kept: bool,
}

/// The links of one document, strongest first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Links {
    pub subjects: Vec<SubjectLink>,
    pub topics: Vec<TopicLink>,
}

impl Links {
    /// The tags of the kept links.
    pub fn tags(&self) -> Tags {
        Tags {
            subjects: self
                .subjects
                .iter()
                .filter(|l| l.kept)
                .map(|l| l.code.clone())
                .collect(),
            topics: self
                .topics
                .iter()
                .filter(|l| l.kept)
                .map(|l| l.name.clone())
                .collect(),
        }
    }

    /// Subjects first seen in this document (code, name).
    pub fn observed(&self) -> impl Iterator<Item = &SubjectLink> {
        self.subjects.iter().filter(|l| l.observed)
    }
}

/// A set of literal terms, each owned by one or more targets, found in one pass (longest term first at
/// each position, without overlaps).
#[derive(Debug)]
struct Dict<O> {
    regex: Option<Regex>,
    index: HashMap<String, usize>,
    terms: Vec<String>,
    owners: Vec<Vec<O>>,
}

impl<O> Default for Dict<O> {
    fn default() -> Self {
        Dict {
            regex: None,
            index: HashMap::new(),
            terms: Vec::new(),
            owners: Vec::new(),
        }
    }
}

impl<O: Clone + PartialEq> Dict<O> {
    fn add(&mut self, term: &str, owner: O) {
        let term = term.trim();
        if term.is_empty() {
            return;
        }
        let i = *self.index.entry(term.to_string()).or_insert_with(|| {
            self.terms.push(term.to_string());
            self.owners.push(Vec::new());
            self.terms.len() - 1
        });
        if !self.owners[i].contains(&owner) {
            self.owners[i].push(owner);
        }
    }

    fn compile(&mut self) {
        if self.terms.is_empty() {
            return;
        }
        let mut sorted: Vec<&String> = self.terms.iter().collect();
        sorted.sort_by_key(|t| std::cmp::Reverse(t.len()));
        let pattern = sorted
            .iter()
            .map(|t| regex::escape(t))
            .collect::<Vec<_>>()
            .join("|");
        // The pattern is escaped literals only; should it ever exceed the size limit the dictionary stays
        // empty rather than failing the whole library.
        self.regex = regex::RegexBuilder::new(&pattern)
            .size_limit(64 << 20)
            .build()
            .ok();
        if self.regex.is_none() {
            tracing::warn!(
                terms = self.terms.len(),
                "a term dictionary could not be compiled"
            );
        }
    }

    /// Occurrences per term: term index → (count, first offsets).
    fn find(&self, text: &str) -> BTreeMap<usize, Hits> {
        let mut out: BTreeMap<usize, Hits> = BTreeMap::new();
        if let Some(re) = &self.regex {
            for m in re.find_iter(text) {
                if let Some(&i) = self.index.get(m.as_str()) {
                    out.entry(i).or_default().push(m.start(), m.end());
                }
            }
        }
        out
    }
}

/// Occurrences of one term.
#[derive(Debug, Clone, Default)]
struct Hits {
    count: usize,
    offsets: Vec<(usize, usize)>,
}

impl Hits {
    fn push(&mut self, start: usize, end: usize) {
        self.count += 1;
        if self.offsets.len() < MAX_OFFSETS {
            self.offsets.push((start, end));
        }
    }
}

/// The compiled dictionaries of a reference.
#[derive(Debug, Default)]
pub(crate) struct Matchers {
    /// Title field words → class codes.
    title: Dict<String>,
    /// Subject names and terms in running text → (code, rule).
    body: Dict<(String, Rule)>,
    include: Dict<usize>,
    weak: Dict<usize>,
    exclude: Dict<usize>,
}

/// Names that say nothing about a subject (they occur under many classes).
fn generic_name(name: &str) -> bool {
    name.starts_with("其他")
        || [
            "行政运行",
            "一般行政管理事务",
            "机关服务",
            "事业运行",
            "信息化建设",
            "安排的支出",
        ]
        .iter()
        .any(|g| name.contains(g))
}

impl Matchers {
    pub(crate) fn build(taxonomy: &Taxonomy, topics: &Topics, terms: &SubjectTerms) -> Matchers {
        let mut m = Matchers::default();
        // Subject names that belong to one class only (219 mirrors other classes' names).
        let mut classes_of_name: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for s in taxonomy.iter() {
            classes_of_name
                .entry(s.name.as_str())
                .or_default()
                .insert(class_of(&s.code));
        }
        for s in taxonomy.iter() {
            let class = class_of(&s.code);
            if class == "219" || generic_name(&s.name) || s.name.chars().count() < 2 {
                continue;
            }
            if classes_of_name
                .get(s.name.as_str())
                .is_some_and(|c| c.len() == 1)
            {
                m.body.add(&s.name, (class.to_string(), Rule::SubjectName));
            }
        }
        for set in terms.iter() {
            for t in &set.title {
                m.title.add(t, set.code.clone());
            }
            for t in &set.terms {
                m.body.add(t, (set.code.clone(), Rule::Term));
            }
        }
        for (i, t) in topics.iter().enumerate() {
            for w in &t.include {
                m.include.add(w, i);
            }
            for w in &t.weak {
                m.weak.add(w, i);
            }
            for w in &t.exclude {
                m.exclude.add(w, i);
            }
        }
        m.title.compile();
        m.body.compile();
        m.include.compile();
        m.weak.compile();
        m.exclude.compile();
        m
    }
}

/// A subject code found in a table row.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeRow {
    pub code: String,
    /// The name as written (may be empty when the table wrapped it to another line).
    pub name: String,
    pub amount: Option<f64>,
    /// Byte range of the row in the text.
    pub start: usize,
    pub end: usize,
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '|' | ',' | '，' | '│' | '\u{3000}')
}

fn parse_amount(token: &str) -> Option<f64> {
    let t: String = token.chars().filter(|&c| c != ',').collect();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    t.parse().ok()
}

/// Reads the rows of a text that start with an expenditure function code (2xx, 2xxxx, 2xxxxxx, or the
/// split form `201 06 01`), with the name and first amount that follow. Nothing is checked against the tree.
pub fn code_rows(text: &str) -> Vec<CodeRow> {
    // (start offset, line without its line break and trailing spaces)
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line.trim_end()));
        offset += line.len();
    }
    let mut out = Vec::new();
    for (n, &(start, line)) in lines.iter().enumerate() {
        let tokens = tokenize(line);
        let Some(&(first_at, first)) = tokens.first() else {
            continue;
        };
        if !first.starts_with('2') || Level::of(first).is_none() {
            continue;
        }
        let mut code = first.to_string();
        let mut next = 1;
        if first.len() == 3 {
            for _ in 0..2 {
                match tokens.get(next) {
                    Some((_, t)) if t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()) => {
                        code.push_str(t);
                        next += 1;
                    }
                    _ => break,
                }
            }
        }
        let mut name = String::new();
        let mut amount = None;
        let mut end = start + line.len();
        let mut finished = read_name_and_amount(&tokens[next..], &mut name, &mut amount);
        // Tables wrap long names onto the next lines, with the amounts after the name's end.
        if !name.is_empty() && amount.is_none() && !finished {
            for &(cont_start, cont) in lines.iter().skip(n + 1).take(3) {
                let cont_tokens = tokenize(cont);
                let Some(&(_, head)) = cont_tokens.first() else {
                    break;
                };
                if head.starts_with(|c: char| c.is_ascii_digit())
                    || !head.chars().any(crate::text::is_cjk)
                {
                    break;
                }
                finished = read_name_and_amount(&cont_tokens, &mut name, &mut amount);
                end = cont_start + cont.len();
                if amount.is_some() || finished {
                    break;
                }
            }
        }
        out.push(CodeRow {
            code,
            name,
            amount,
            start: start + first_at,
            end,
        });
    }
    out
}

/// Splits a line into tokens with their byte offsets.
fn tokenize(line: &str) -> Vec<(usize, &str)> {
    let bytes = line.as_bytes();
    // A comma between a digit and exactly three digits groups thousands (2,112.86); elsewhere it separates.
    let thousands = |i: usize| {
        i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes.len() >= i + 4
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && bytes.get(i + 4).is_none_or(|b| !b.is_ascii_digit())
    };
    let mut tokens = Vec::new();
    let mut tok_start = None;
    for (i, c) in line.char_indices() {
        if is_separator(c) && !(c == ',' && thousands(i)) {
            if let Some(s) = tok_start.take() {
                tokens.push((s, &line[s..i]));
            }
        } else if tok_start.is_none() {
            tok_start = Some(i);
        }
    }
    if let Some(s) = tok_start {
        tokens.push((s, &line[s..]));
    }
    tokens
}

/// Appends the name tokens (consecutive tokens with CJK characters, also when a table spaces out every
/// character) to `name` and reads the first amount after them. Returns true when something else ended the
/// row.
fn read_name_and_amount(
    tokens: &[(usize, &str)],
    name: &mut String,
    amount: &mut Option<f64>,
) -> bool {
    for (_, t) in tokens {
        if amount.is_none() && t.chars().any(crate::text::is_cjk) {
            name.push_str(
                t.trim_matches(|c: char| !crate::text::is_cjk(c) && !"（）()".contains(c)),
            );
        } else if let Some(a) = parse_amount(t) {
            *amount = Some(a);
            return true;
        } else if !name.is_empty() {
            return true;
        }
    }
    false
}

fn normalize_name(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether a name in a document agrees with the tree's name (tables truncate and wrap names).
fn names_agree(found: &str, known: &str) -> bool {
    let (a, b) = (normalize_name(found), normalize_name(known));
    if a == b {
        return true;
    }
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    short.chars().count() >= 2 && long.contains(short.as_str())
}

/// Whether an unknown code's name looks like a subject name (not a unit or a count).
fn plausible_name(name: &str) -> bool {
    name.chars().filter(|&c| crate::text::is_cjk(c)).count() >= 2
        && !name.starts_with([
            '万', '元', '个', '人', '年', '月', '日', '件', '项', '次', '亿', '号',
        ])
}

/// Accepted code evidence of one code: (name, observed, rows).
type CodeEntry = (String, bool, Vec<CodeRow>);

/// Accepted code evidence: code → entry.
fn accept_codes(rows: Vec<CodeRow>, taxonomy: &Taxonomy) -> BTreeMap<String, CodeEntry> {
    let mut found: BTreeMap<String, CodeEntry> = BTreeMap::new();
    if taxonomy.is_empty() {
        return found;
    }
    let mut rows = rows;
    // Parents before children, so that an observed 款 can carry observed 项.
    rows.sort_by_key(|r| (r.code.len(), r.start));
    for row in rows {
        if taxonomy.get(class_of(&row.code)).is_none() {
            continue;
        }
        match taxonomy.get(&row.code) {
            Some(known) => {
                let ok = if row.name.is_empty() {
                    row.code.len() > 3
                } else {
                    names_agree(&row.name, &known.name)
                };
                if ok {
                    found
                        .entry(row.code.clone())
                        .or_insert_with(|| (known.name.clone(), false, Vec::new()))
                        .2
                        .push(row);
                }
            }
            None => {
                let parent_known = parent_code(&row.code).is_some_and(|p| {
                    taxonomy.get(p).is_some()
                        || found.get(p).is_some_and(|f| f.1 || !f.2.is_empty())
                });
                if parent_known && plausible_name(&row.name) {
                    found
                        .entry(row.code.clone())
                        .or_insert_with(|| (row.name.clone(), true, Vec::new()))
                        .2
                        .push(row);
                }
            }
        }
    }
    found
}

fn row_text(text: &str, row: &CodeRow) -> String {
    let s = &text[row.start..row.end];
    let mut out: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.len() > 160 {
        let mut cut = 160;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Links from codes in tables: the most specific codes found, classes ranked by their amounts.
fn code_links(doc: &Document, taxonomy: &Taxonomy) -> Vec<SubjectLink> {
    let found = accept_codes(code_rows(&doc.body), taxonomy);
    if found.is_empty() {
        return Vec::new();
    }
    let max_amount = |rows: &[CodeRow]| {
        rows.iter()
            .filter_map(|r| r.amount)
            .fold(None, |m: Option<f64>, a| Some(m.map_or(a, |m| m.max(a))))
    };
    // Weight of each class: its own row's amount, else the sum over its most general rows, else row counts.
    let mut class_weight: BTreeMap<&str, f64> = BTreeMap::new();
    let any_amount = found
        .values()
        .any(|f| f.2.iter().any(|r| r.amount.is_some()));
    for class in found.keys().map(|c| class_of(c)).collect::<BTreeSet<_>>() {
        let w = if any_amount {
            if let Some(a) = found.get(class).and_then(|f| max_amount(&f.2)) {
                a
            } else {
                let members: Vec<(&String, &CodeEntry)> =
                    found.iter().filter(|(c, _)| class_of(c) == class).collect();
                let min_len = members.iter().map(|(c, _)| c.len()).min().unwrap_or(7);
                members
                    .iter()
                    .filter(|(c, _)| c.len() == min_len)
                    .filter_map(|(_, f)| max_amount(&f.2))
                    .sum()
            }
        } else {
            found
                .iter()
                .filter(|(c, _)| class_of(c) == class)
                .map(|(_, f)| f.2.len() as f64)
                .sum()
        };
        class_weight.insert(class, w.max(0.0));
    }
    let total: f64 = class_weight.values().sum();
    let mut links = Vec::new();
    for (code, (name, observed, rows)) in &found {
        let has_descendant = found
            .keys()
            .any(|c| c.len() > code.len() && c.starts_with(code.as_str()));
        if has_descendant {
            continue;
        }
        let class = class_of(code);
        let share = if total > 0.0 {
            class_weight[class] / total
        } else {
            0.0
        };
        let own = max_amount(rows).unwrap_or(0.0);
        let within = if class_weight[class] > 0.0 {
            (own / class_weight[class]).min(1.0)
        } else {
            0.0
        };
        let score = 0.75 + 0.24 * share + 0.01 * within;
        let mut evidence: Vec<Evidence> = rows
            .iter()
            .take(MAX_EVIDENCE)
            .map(|r| Evidence {
                rule: Rule::CodeInTable,
                text: row_text(&doc.body, r),
                count: 1,
                offsets: vec![(r.start, r.end)],
                in_title: false,
                amount: r.amount,
            })
            .collect();
        if let Some(first) = evidence.first_mut() {
            first.count = rows.len();
        }
        links.push(SubjectLink {
            code: code.clone(),
            name: name.clone(),
            score,
            evidence,
            kept: true,
            observed: *observed,
        });
    }
    links
}

/// Links from the title and running text, one per class.
fn content_links(doc: &Document, r: &Reference) -> Vec<SubjectLink> {
    let m = &r.matchers;
    let chars = doc.body.chars().count() as f64;
    let kchars = chars / 1000.0 + 1.0;
    struct Acc {
        title: Vec<Evidence>,
        body: Vec<Evidence>,
        weight: f64,
    }
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let title_rule = if doc.kind.is_regulation() {
        Rule::LawField
    } else {
        Rule::TitleTerm
    };
    for (i, hits) in m.title.find(&doc.title) {
        for code in &m.title.owners[i] {
            acc.entry(code.clone())
                .or_insert_with(|| Acc {
                    title: vec![],
                    body: vec![],
                    weight: 0.0,
                })
                .title
                .push(Evidence {
                    rule: title_rule,
                    text: m.title.terms[i].clone(),
                    count: hits.count,
                    offsets: hits.offsets.clone(),
                    in_title: true,
                    amount: None,
                });
        }
    }
    for (i, hits) in m.body.find(&doc.body) {
        for (code, rule) in &m.body.owners[i] {
            let w = if *rule == Rule::SubjectName { 2.0 } else { 1.0 };
            let a = acc.entry(code.clone()).or_insert_with(|| Acc {
                title: vec![],
                body: vec![],
                weight: 0.0,
            });
            a.weight += w * hits.count.min(COUNT_CAP) as f64;
            a.body.push(Evidence {
                rule: *rule,
                text: m.body.terms[i].clone(),
                count: hits.count,
                offsets: hits.offsets.clone(),
                in_title: false,
                amount: None,
            });
        }
    }
    let mut links = Vec::new();
    for (code, mut a) in acc {
        let density = a.weight / kchars;
        let title = if a.title.is_empty() { 0.0 } else { 0.3 };
        let score = title + 0.4 * (1.0 - (-density / 3.0).exp());
        a.body
            .sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.text.cmp(&y.text)));
        let mut evidence = a.title;
        evidence.extend(a.body);
        evidence.truncate(MAX_EVIDENCE);
        let name = r.taxonomy.name(&code).unwrap_or_default().to_string();
        links.push(SubjectLink {
            code,
            name,
            score,
            evidence,
            kept: false,
            observed: false,
        });
    }
    links
}

fn by_score_desc<T>(
    score: impl Fn(&T) -> f64,
    key: impl Fn(&T) -> &str,
) -> impl Fn(&T, &T) -> std::cmp::Ordering {
    move |a, b| {
        score(b)
            .total_cmp(&score(a))
            .then_with(|| key(a).cmp(key(b)))
    }
}

/// Links a document to subjects and topics. Every candidate is returned (up to a cap), strongest first;
/// `kept` marks those above the thresholds.
pub fn link(doc: &Document, r: &Reference) -> Links {
    let codes = code_links(doc, &r.taxonomy);
    let table_rows: usize = codes.iter().map(|l| l.evidence.len()).sum();
    let coded_classes: BTreeSet<String> = codes
        .iter()
        .map(|l| class_of(&l.code).to_string())
        .collect();
    let mut content = content_links(doc, r);
    // A document with a subject table is linked by its table; its text only adds classes it lacks.
    content.retain(|l| !coded_classes.contains(&l.code));
    if table_rows >= 3 {
        for l in &mut content {
            l.score *= 0.5;
        }
    }
    content.sort_by(by_score_desc(|l: &SubjectLink| l.score, |l| &l.code));
    let best = content.first().map(|l| l.score).unwrap_or(0.0);
    for (i, l) in content.iter_mut().enumerate() {
        l.kept = i < MAX_CONTENT_SUBJECTS
            && l.score >= SUBJECT_THRESHOLD
            && l.score >= RELATIVE_FLOOR * best;
    }
    let mut subjects = codes;
    subjects.extend(content);
    subjects.sort_by(by_score_desc(|l: &SubjectLink| l.score, |l| &l.code));
    subjects.truncate(MAX_SUBJECT_CANDIDATES.max(subjects.iter().filter(|l| l.kept).count()));
    let topics = topic_links(doc, r, &subjects);
    Links { subjects, topics }
}

fn topic_links(doc: &Document, r: &Reference, subjects: &[SubjectLink]) -> Vec<TopicLink> {
    let m = &r.matchers;
    let kchars = doc.body.chars().count() as f64 / 1000.0 + 1.0;
    // Exclude spans mask the include terms they contain.
    let exclude_title = m.exclude.find(&doc.title);
    let mut masked: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    let mut exclude_count: BTreeMap<usize, usize> = BTreeMap::new();
    let mut vetoed: BTreeSet<usize> = BTreeSet::new();
    if let Some(re) = &m.exclude.regex {
        for mm in re.find_iter(&doc.body) {
            if let Some(&i) = m.exclude.index.get(mm.as_str()) {
                for &t in &m.exclude.owners[i] {
                    masked.entry(t).or_default().push((mm.start(), mm.end()));
                }
            }
        }
    }
    for (t, spans) in &masked {
        exclude_count.insert(*t, spans.len());
    }
    for i in exclude_title.keys() {
        vetoed.extend(m.exclude.owners[*i].iter().copied());
    }
    let linked_codes: BTreeSet<&str> = subjects
        .iter()
        .filter(|l| l.evidence.iter().any(|e| e.rule == Rule::CodeInTable))
        .map(|l| l.code.as_str())
        .collect();
    #[derive(Default)]
    struct Acc {
        strong: usize,
        title: Vec<Evidence>,
        include: Vec<Evidence>,
        weak: Vec<Evidence>,
        weak_count: usize,
    }
    // Terms inside subject table rows are the subjects' evidence, not the topics'.
    let rows: Vec<(usize, usize)> = subjects
        .iter()
        .flat_map(|l| l.evidence.iter())
        .filter(|e| e.rule == Rule::CodeInTable)
        .flat_map(|e| e.offsets.iter().copied())
        .collect();
    let in_row = |s: usize, e: usize| rows.iter().any(|&(rs, re)| rs <= s && e <= re);
    let mut acc: BTreeMap<usize, Acc> = BTreeMap::new();
    if let Some(re) = &m.include.regex {
        let mut per: BTreeMap<(usize, usize), Hits> = BTreeMap::new();
        for mm in re.find_iter(&doc.body) {
            let Some(&i) = m.include.index.get(mm.as_str()) else {
                continue;
            };
            for &t in &m.include.owners[i] {
                let inside_exclude = masked.get(&t).is_some_and(|spans| {
                    spans.iter().any(|&(s, e)| s <= mm.start() && mm.end() <= e)
                });
                if !inside_exclude && !in_row(mm.start(), mm.end()) {
                    per.entry((t, i)).or_default().push(mm.start(), mm.end());
                }
            }
        }
        for ((t, i), hits) in per {
            let a = acc.entry(t).or_default();
            a.strong += hits.count.min(COUNT_CAP);
            a.include.push(Evidence {
                rule: Rule::TopicInclude,
                text: m.include.terms[i].clone(),
                count: hits.count,
                offsets: hits.offsets,
                in_title: false,
                amount: None,
            });
        }
    }
    for (i, hits) in m.include.find(&doc.title) {
        for &t in &m.include.owners[i] {
            acc.entry(t).or_default().title.push(Evidence {
                rule: Rule::TopicTitle,
                text: m.include.terms[i].clone(),
                count: hits.count,
                offsets: hits.offsets.clone(),
                in_title: true,
                amount: None,
            });
        }
    }
    for (i, hits) in m.weak.find(&doc.body) {
        for &t in &m.weak.owners[i] {
            if let Some(a) = acc.get_mut(&t) {
                a.weak_count += hits.count.min(COUNT_CAP);
                a.weak.push(Evidence {
                    rule: Rule::TopicWeak,
                    text: m.weak.terms[i].clone(),
                    count: hits.count,
                    offsets: hits.offsets.clone(),
                    in_title: false,
                    amount: None,
                });
            }
        }
    }
    // The share of a topic among all topic terms of the document: a report that touches every topic gives
    // each a small share, a law on one subject gives it most.
    let all_strong: usize = acc.values().map(|a| a.strong).sum::<usize>().max(1);
    let mut links = Vec::new();
    for (t, a) in acc {
        let Some(topic) = r.topics.iter().nth(t) else {
            continue;
        };
        if !topic.applies_to(doc.kind) || vetoed.contains(&t) {
            continue;
        }
        let title_hit = !a.title.is_empty();
        if a.strong == 0 && !title_hit {
            continue;
        }
        let excluded = exclude_count.get(&t).copied().unwrap_or(0);
        if !title_hit && excluded > a.strong {
            continue;
        }
        let weak = a.weak_count.min(4 * a.strong) as f64;
        let raw = a.strong as f64 + 0.25 * weak;
        let density = raw / kchars;
        let share = a.strong as f64 / all_strong as f64;
        let mut score = 0.35 * (1.0 - (-density / 1.0).exp()) + 0.35 * share;
        if title_hit {
            score += 0.5;
        }
        let subject_codes: Vec<&String> = topic
            .subjects
            .iter()
            .filter(|c| linked_codes.iter().any(|l| l.starts_with(c.as_str())))
            .collect();
        let mut evidence = a.title;
        let mut include = a.include;
        include.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.text.cmp(&y.text)));
        evidence.extend(include);
        if !subject_codes.is_empty() && a.strong > 0 {
            score += 0.1;
            evidence.push(Evidence {
                rule: Rule::TopicSubject,
                text: subject_codes
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                count: subject_codes.len(),
                offsets: vec![],
                in_title: false,
                amount: None,
            });
        }
        let mut weak_ev = a.weak;
        weak_ev.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.text.cmp(&y.text)));
        evidence.extend(weak_ev);
        evidence.truncate(MAX_EVIDENCE);
        let score = score.min(1.0);
        links.push(TopicLink {
            id: topic.id.clone(),
            name: topic.name.clone(),
            score,
            evidence,
            kept: score >= TOPIC_THRESHOLD,
        });
    }
    links.sort_by(by_score_desc(|l: &TopicLink| l.score, |l| &l.id));
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{SubjectTerms, Taxonomy, Topics};
    use crate::model::{DocId, DocKind, Format, Validity};

    const SUBJECTS: &str = "code,name,parent,budget\n\
        201,一般公共服务支出,,一般公共预算\n20106,财政事务,201,一般公共预算\n2010601,行政运行,20106,一般公共预算\n\
        20139,社会工作事务,201,一般公共预算\n\
        205,教育支出,,一般公共预算\n20502,普通教育,205,一般公共预算\n2050202,小学教育,20502,一般公共预算\n\
        208,社会保障和就业支出,,一般公共预算\n20805,行政事业单位养老支出,208,一般公共预算\n\
        2080505,机关事业单位基本养老保险缴费支出,20805,一般公共预算\n\
        210,卫生健康支出,,一般公共预算\n213,农林水支出,,一般公共预算\n";
    const TOPICS: &str = r#"[
        {"id":"rural","name":"乡村振兴","include":["乡村振兴","脱贫攻坚"],"weak":["农业","农村"],
         "exclude":["乡村振兴银行","振兴东北"],"subjects":["213"]},
        {"id":"edu","name":"义务教育","include":["义务教育"],"weak":["学校"],"exclude":["高等教育"],
         "kinds":["法律","预算"],"subjects":["205"]}
    ]"#;
    const TERMS: &str = r#"[
        {"code":"205","title":["教育"],"terms":["学校","教师","学生"]},
        {"code":"210","title":["卫生"],"terms":["医院","医疗"]},
        {"code":"213","title":["农业"],"terms":["农业","农村","农民"]}
    ]"#;

    fn reference() -> Reference {
        let t = Taxonomy::parse(SUBJECTS, "s.csv").unwrap();
        let topics = Topics::parse(TOPICS, "t.json").unwrap();
        let terms = SubjectTerms::parse(TERMS, "x.json", &t).unwrap();
        Reference::new(t, topics, terms)
    }

    fn doc(kind: DocKind, title: &str, body: &str) -> Document {
        Document {
            id: DocId("t".into()),
            source: "t".into(),
            content_hash: String::new(),
            format: Format::Text,
            kind,
            level: None,
            title: title.into(),
            issuer: None,
            doc_number: None,
            published: None,
            effective: None,
            version_date: None,
            region: None,
            year: None,
            validity: Validity::Valid,
            public_validity: None,
            validity_pinned: false,
            expired: false,
            history: vec![],
            body: body.into(),
            also_sources: Vec::new(),
            body_cut_from: None,
            outline: vec![],
            articles: vec![],
            size: 0,
            access: Default::default(),
            owners: Vec::new(),
            tables: Vec::new(),
        }
    }

    #[test]
    fn code_rows_in_table_like_text() {
        let text = "科目编码 科目名称 决算数\n201 一般公共服务支出 2,112.86\n201   06   01   行政运行   1,511.90\n\
                    2080505 机关事业单位基本养老保险缴费支出 160.75\n| 2050202 | 小学教育 | 17022.46 |\n\
                    2024年度部门决算\n208   05   05        160.75\n2013901,行政运行,12.00\n";
        let rows = code_rows(text);
        let got: Vec<(&str, &str, Option<f64>)> = rows
            .iter()
            .map(|r| (r.code.as_str(), r.name.as_str(), r.amount))
            .collect();
        assert_eq!(
            got,
            [
                ("201", "一般公共服务支出", Some(2112.86)),
                ("2010601", "行政运行", Some(1511.90)),
                ("2080505", "机关事业单位基本养老保险缴费支出", Some(160.75)),
                ("2050202", "小学教育", Some(17022.46)),
                ("2080505", "", Some(160.75)),
                ("2013901", "行政运行", Some(12.0)),
            ]
        );
        let r = &rows[1];
        assert_eq!(&text[r.start..r.end], "201   06   01   行政运行   1,511.90");
    }

    #[test]
    fn wrapped_and_spaced_names_are_joined() {
        let text = "2080505 机关事业单位基本养老保\n险缴费支出 6.18 6.18\n2080506 机 关 事 业 单 位\n职 业 年 金 缴 费\n\
                    支出 4.64 4.64\n2080505 机关事业单位基本养老保险缴费\n2080599 其他\n";
        let rows = code_rows(text);
        let got: Vec<(&str, &str, Option<f64>)> = rows
            .iter()
            .map(|r| (r.code.as_str(), r.name.as_str(), r.amount))
            .collect();
        assert_eq!(
            got,
            [
                ("2080505", "机关事业单位基本养老保险缴费支出", Some(6.18)),
                ("2080506", "机关事业单位职业年金缴费支出", Some(4.64)),
                ("2080505", "机关事业单位基本养老保险缴费", None),
                ("2080599", "其他", None),
            ]
        );
        assert!(text[rows[1].start..rows[1].end].ends_with("支出 4.64 4.64"));
    }

    #[test]
    fn codes_are_checked_against_the_tree_and_extend_it() {
        let r = reference();
        let body = "支出决算表\n201 一般公共服务支出 100.00\n2010601 行政运行 60.00\n2013901 行政运行 40.00\n\
                    210 万元\n2059999 教育补贴 5.00\n208 05 05 机关事业单位基本养老保险 30.00\n2080505 小学教育 1.00\n";
        let links = link(&doc(DocKind::FinalAccount, "某局决算", body), &r);
        let codes: Vec<&str> = links
            .subjects
            .iter()
            .filter(|l| l.kept)
            .map(|l| l.code.as_str())
            .collect();
        // 201 (100) outranks 208 (30); 210 万元 is not a subject row; 2059999 has no known parent (20599).
        assert_eq!(codes[..3], ["2010601", "2013901", "2080505"]);
        assert!(!codes.contains(&"210") && !codes.contains(&"2059999"));
        let observed: Vec<&str> = links.observed().map(|l| l.code.as_str()).collect();
        assert_eq!(observed, ["2013901"]);
        let pension = links.subjects.iter().find(|l| l.code == "2080505").unwrap();
        assert_eq!(
            pension.evidence.len(),
            1,
            "the row with a disagreeing name is not evidence"
        );
        assert_eq!(pension.evidence[0].rule, Rule::CodeInTable);
        assert_eq!(pension.evidence[0].amount, Some(30.0));
        let (s, e) = pension.evidence[0].offsets[0];
        assert!(body[s..e].starts_with("208 05 05"));
    }

    #[test]
    fn scoring_order_code_then_title_then_terms() {
        let r = reference();
        let law = doc(
            DocKind::Law,
            "中华人民共和国教育法",
            "学校应当保障学生安全。医院和医疗机构配合。学校",
        );
        let links = link(&law, &r);
        let kept: Vec<&str> = links
            .subjects
            .iter()
            .filter(|l| l.kept)
            .map(|l| l.code.as_str())
            .collect();
        assert_eq!(kept.first(), Some(&"205"));
        let edu = &links.subjects[0];
        assert_eq!(edu.evidence[0].rule, Rule::LawField);
        assert!(edu.evidence[0].in_title);
        let health = links.subjects.iter().find(|l| l.code == "210").unwrap();
        assert!(edu.score > health.score);
        let table = doc(
            DocKind::FinalAccount,
            "教育",
            "2050202 小学教育 10.0\n学校 学校 学校",
        );
        let t = link(&table, &r);
        assert_eq!(t.subjects[0].code, "2050202");
        assert!(t.subjects[0].score > 0.75);
    }

    #[test]
    fn topic_exclude_terms_mask_and_veto() {
        let r = reference();
        let plain = doc(
            DocKind::Budget,
            "报告",
            "推进乡村振兴，巩固脱贫攻坚成果，发展农业农村。乡村振兴",
        );
        let l = link(&plain, &r);
        assert!(
            l.topics.iter().any(|t| t.name == "乡村振兴" && t.kept),
            "{:?}",
            l.topics
        );
        // 乡村振兴银行 contains 乡村振兴 but is not the topic.
        let bank = doc(
            DocKind::Budget,
            "报告",
            "乡村振兴银行开业。乡村振兴银行董事会。农业贷款。",
        );
        assert!(link(&bank, &r).topics.iter().all(|t| t.name != "乡村振兴"));
        // An exclude term in the title vetoes.
        let higher = doc(
            DocKind::Law,
            "高等教育法",
            "义务教育阶段之后的高等教育。义务教育。",
        );
        assert!(link(&higher, &r).topics.is_empty());
        // Kinds restrict a topic.
        let reply = doc(DocKind::Reply, "答复", "义务教育 义务教育 义务教育");
        assert!(link(&reply, &r).topics.is_empty());
        // Weak terms alone do nothing.
        let weak = doc(DocKind::Budget, "报告", "农业农村农业农村");
        assert!(link(&weak, &r).topics.is_empty());
    }
}
