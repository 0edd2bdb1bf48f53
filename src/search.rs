//! Search: parses the query language, resolves article citations, runs the index query and builds hits with
//! highlighted snippets and facet counts. The CLI's `search` and `GET /api/search` both call `search`.

use crate::error::{Error, Result};
use crate::index::{FacetCounts, HitUnit, IndexQuery, Match};
use crate::library::Library;
use crate::model::{
    Access, ArticleId, DocId, DocKind, FacetField, Filters, Level, Scope, Sort, Unit, Validity,
};
use crate::text::fold;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// A search as the user asked it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchRequest {
    pub q: String,
    pub filters: Filters,
    pub unit: Unit,
    pub sort: Sort,
    pub offset: usize,
    /// 0 asks for counts and facets only.
    pub limit: usize,
    /// What the reader may see: hits, totals, facet counts, snippets and resolved citations stay inside it.
    /// The default is the narrowest scope (public documents only).
    pub scope: Scope,
}

/// One piece of a snippet: plain text or a highlighted match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub text: String,
    pub hit: bool,
}

/// A passage of a unit's text around the query's matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    pub spans: Vec<Span>,
}

impl Snippet {
    /// HTML with matches in `<mark>`; all text escaped.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        for s in &self.spans {
            if s.hit {
                out.push_str("<mark>");
                out.push_str(&html_escape(&s.text));
                out.push_str("</mark>");
            } else {
                out.push_str(&html_escape(&s.text));
            }
        }
        out
    }

    /// Plain text without markers.
    pub fn plain(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Serialize for Snippet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_html())
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The article id for article hits, the document id otherwise.
    pub id: String,
    pub doc_id: DocId,
    pub unit: &'static str,
    pub kind: DocKind,
    pub level: Option<Level>,
    pub title: String,
    /// The article's name (中华人民共和国预算法第四十六条) or the document's title.
    pub name: String,
    /// The article label (第四十六条) for article hits.
    pub article: Option<String>,
    pub validity: Validity,
    pub region: Option<String>,
    pub year: Option<i32>,
    pub date: Option<crate::model::Date>,
    pub doc_number: Option<String>,
    /// Who may read the document (公开/内部).
    pub access: Access,
    pub score: f32,
    /// Whether the query cited this article by name.
    pub cited: bool,
    pub snippet: Snippet,
}

/// Counts of one facet dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facet {
    pub field: FacetField,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResponse {
    /// Exact number of matching units.
    pub total: usize,
    pub offset: usize,
    pub hits: Vec<SearchHit>,
    pub facets: Vec<Facet>,
    /// How the query was understood: "keywords", "question" or "browse".
    pub mode: &'static str,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedQuery {
    pub all: Vec<Vec<Match>>,
    pub none: Vec<Match>,
}

impl ParsedQuery {
    fn mode(&self) -> &'static str {
        if self.all.is_empty() {
            "browse"
        } else if self
            .all
            .iter()
            .flatten()
            .any(|m| matches!(m, Match::Question(_)))
        {
            "question"
        } else {
            "keywords"
        }
    }

    /// The strings to highlight (folded).
    fn highlight_terms(&self, lib: &Library) -> Vec<String> {
        let mut terms = Vec::new();
        for m in self.all.iter().flatten() {
            match m {
                Match::Text(t) | Match::Phrase(t) => terms.push(crate::text::fold_str(t)),
                Match::Question(q) => {
                    let folded = crate::text::fold_str(q);
                    for w in lib.index().analyzer().coarse_words(&folded) {
                        if !crate::index::analysis::is_stopword(w) && w.chars().count() >= 2 {
                            terms.push(w.to_string());
                        }
                    }
                }
            }
        }
        terms.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        terms.dedup();
        terms
    }
}

const QUESTION_WORDS: &[&str] = &[
    "什么",
    "怎么",
    "如何",
    "哪些",
    "哪个",
    "是否",
    "能否",
    "可否",
    "为什么",
    "怎样",
    "多少",
    "谁",
    "吗",
    "呢",
    "应当",
    "可以",
    "需要",
    "要求",
];

/// Whether a query without operators reads as a natural-language question rather than keywords.
fn is_question(q: &str) -> bool {
    let chars = q.chars().count();
    q.contains('？')
        || q.contains('?')
        || chars >= 12
        || (chars >= 6 && QUESTION_WORDS.iter().any(|w| q.contains(w)))
}

/// Whether a query has words outside its quotation marks as well as inside (a quoted term within a sentence,
/// not a query of phrases).
fn quotes_inside_words(q: &str) -> bool {
    let mut inside = false;
    let mut outside_words = false;
    for c in q.chars() {
        match c {
            '"' => inside = !inside,
            '“' | '「' => inside = true,
            '”' | '」' => inside = false,
            c if !inside && c.is_alphanumeric() => outside_words = true,
            _ => {}
        }
    }
    outside_words
}

/// Parses the query language: words (all required), "quoted phrases" (exact), -exclusions, `A OR B`.
/// A query without any operator that reads as a question becomes one `Question`.
pub fn parse_query(q: &str, max_chars: usize) -> Result<ParsedQuery> {
    let q = q.trim();
    if q.chars().count() > max_chars {
        return Err(Error::Query(format!(
            "the query is longer than {max_chars} characters"
        )));
    }
    if q.is_empty() {
        return Ok(ParsedQuery::default());
    }
    let has_operators = q.contains(['"', '“', '”', '「', '」'])
        || q.split_whitespace()
            .any(|w| w == "OR" || w.starts_with('-'));
    // A sentence (question mark or Chinese sentence punctuation) may quote words and break lines without
    // becoming a keyword query: only ASCII quotes, 「」 and the OR/- operators make it one.
    let sentence = q.contains(['？', '?', '。', '，', '！'])
        && !q.contains(['"', '「', '」'])
        && !q
            .split_whitespace()
            .any(|w| w == "OR" || (w.starts_with('-') && w.chars().count() > 1));
    let plain = !has_operators && !q.contains(char::is_whitespace);
    // A question that quotes a term inside itself (什么是“明知他人利用信息网络实施犯罪”) quotes it for emphasis,
    // not as exact-phrase syntax: one unbroken sentence with words outside the quotes.
    let quoting = has_operators
        && !q.contains(char::is_whitespace)
        && !q.contains('-')
        && quotes_inside_words(q);
    if (plain || sentence || quoting) && is_question(q) {
        return Ok(ParsedQuery {
            all: vec![vec![Match::Question(q.to_string())]],
            none: vec![],
        });
    }
    // Tokenise: (negated, is_phrase, text) and OR markers.
    #[derive(Debug)]
    enum Tok {
        Item(bool, Match),
        Or,
    }
    let mut toks = Vec::new();
    let chars: Vec<char> = q.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let negated = c == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace();
        if negated {
            i += 1;
        }
        let open = chars[i];
        if matches!(open, '"' | '“' | '「') {
            let close = match open {
                '“' => ['”', '"'],
                '「' => ['」', '」'],
                _ => ['"', '”'],
            };
            let start = i + 1;
            let Some(len) = chars[start..].iter().position(|c| close.contains(c)) else {
                return Err(Error::Query("a quotation mark is not closed".into()));
            };
            let phrase: String = chars[start..start + len].iter().collect();
            if phrase.trim().is_empty() {
                return Err(Error::Query(
                    "an empty phrase \"\" searches for nothing".into(),
                ));
            }
            toks.push(Tok::Item(negated, Match::Phrase(phrase.trim().to_string())));
            i = start + len + 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '"' | '“' | '「')
        {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if word == "OR" && !negated {
            toks.push(Tok::Or);
        } else if word.chars().any(|c| c.is_alphanumeric()) {
            toks.push(Tok::Item(negated, Match::Text(word)));
        } else if negated {
            return Err(Error::Query(
                "'-' must be followed by a word or a phrase".into(),
            ));
        }
    }
    let mut parsed = ParsedQuery::default();
    let mut pending_or = false;
    for (k, t) in toks.iter().enumerate() {
        match t {
            Tok::Or => {
                let prev_ok = k > 0 && matches!(toks[k - 1], Tok::Item(false, _));
                let next_ok = matches!(toks.get(k + 1), Some(Tok::Item(false, _)));
                if !prev_ok || !next_ok {
                    return Err(Error::Query(
                        "OR must stand between two words or phrases".into(),
                    ));
                }
                pending_or = true;
            }
            Tok::Item(true, m) => parsed.none.push(m.clone()),
            Tok::Item(false, m) => {
                if pending_or {
                    if let Some(group) = parsed.all.last_mut() {
                        group.push(m.clone());
                    }
                    pending_or = false;
                } else {
                    parsed.all.push(vec![m.clone()]);
                }
            }
        }
    }
    if parsed.all.is_empty() && !parsed.none.is_empty() {
        return Err(Error::Query(
            "a query cannot consist only of exclusions".into(),
        ));
    }
    Ok(parsed)
}

static CITATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"《?([\p{Han}（）()]{1,40}?(?:法|条例|规定|办法|细则|解释|决定|规则|准则|章程|宪法))》?\s*第\s*([零〇一二两三四五六七八九十百千0-9]+)\s*条(?:之([一二三四五六七八九十]+))?")
        .expect("valid regex")
});

/// A citation of an article in a query, resolved to the article.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub law: String,
    pub number: u32,
    pub article: Option<ArticleId>,
    /// Byte range of the citation in the text it was found in.
    pub span: std::ops::Range<usize>,
}

/// Finds article citations (《预算法》第四十六条, 预算法第46条) in text and resolves them to stored articles
/// of documents inside `scope`, preferring the version in force.
pub fn resolve_citations(lib: &Library, text: &str, scope: &Scope) -> Result<Vec<Citation>> {
    let mut out = Vec::new();
    for caps in CITATION.captures_iter(text) {
        let law = caps[1].trim_start_matches('《').to_string();
        let Some(number) = crate::ingest::structure::parse_number(&caps[2]) else {
            continue;
        };
        let suffix = caps.get(3).map(|m| format!("之{}", m.as_str()));
        let article = find_article(lib, &law, number, suffix.as_deref(), scope)?;
        let span = caps.get(0).map_or(0..0, |m| m.range());
        out.push(Citation {
            law,
            number,
            article,
            span,
        });
    }
    Ok(out)
}

fn find_article(
    lib: &Library,
    law: &str,
    number: u32,
    suffix: Option<&str>,
    scope: &Scope,
) -> Result<Option<ArticleId>> {
    let store = lib.store();
    let mut candidates = Vec::new();
    for title in [law.to_string(), format!("中华人民共和国{law}")] {
        candidates.extend(store.ids_with_title(&title)?);
    }
    // Prefer the version in force, then the newest; a law may be split into several files (民法典).
    let mut docs = Vec::new();
    for id in candidates {
        if let Some(d) = lib.meta(&id, scope)? {
            let rank = match d.validity {
                Validity::Valid => 2,
                Validity::Amended => 1,
                Validity::Repealed => 0,
            };
            docs.push((std::cmp::Reverse((rank, d.version_date)), id));
        }
    }
    docs.sort();
    let label = format!(
        "第{}条{}",
        crate::ingest::structure::format_number(number),
        suffix.unwrap_or("")
    );
    for (_, id) in docs {
        if let Some(a) = store
            .articles_of(&id)?
            .into_iter()
            .find(|a| a.label == label)
        {
            return Ok(Some(a.id));
        }
    }
    Ok(None)
}

/// The folded strings a query highlights, for pages that show whole texts.
pub fn highlight_terms(lib: &Library, q: &str) -> Result<Vec<String>> {
    Ok(parse_query(q, lib.config.max_query_chars)?.highlight_terms(lib))
}

/// Bytes of a hit's text searched for a snippet: the work per hit stays bounded however long the text is.
const SNIPPET_SCAN_BYTES: usize = 64 * 1024;
/// Matches weighed when choosing the snippet's window.
const SNIPPET_MAX_MATCHES: usize = 200;

/// Builds a snippet of at most `width` characters of `text` around the best cluster of `terms` (folded),
/// looking at the first `SNIPPET_SCAN_BYTES` of the text only.
pub fn snippet(text: &str, terms: &[String], width: usize) -> Snippet {
    let text = &text[..text.floor_char_boundary(SNIPPET_SCAN_BYTES)];
    let folded = fold(text);
    let chars = &folded.chars;
    let mut matches: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, term index)
    for (ti, term) in terms.iter().enumerate() {
        let t: Vec<char> = term.chars().collect();
        if t.is_empty() || t.len() > chars.len() {
            continue;
        }
        let mut i = 0;
        while i + t.len() <= chars.len() {
            if chars[i] == t[0] && chars[i..i + t.len()] == t[..] {
                matches.push((i, i + t.len(), ti));
                i += t.len();
                if matches.len() >= SNIPPET_MAX_MATCHES {
                    break;
                }
            } else {
                i += 1;
            }
        }
    }
    matches.sort();
    // Pick the window start that covers the most distinct terms, then the most matches.
    let mut best_start = 0usize;
    let mut best_score = (0usize, 0usize);
    for &(s, _, _) in &matches {
        let ws = s.saturating_sub(width / 5);
        let we = ws + width;
        let inside: Vec<&(usize, usize, usize)> =
            matches.iter().filter(|m| m.0 >= ws && m.1 <= we).collect();
        let mut distinct: Vec<usize> = inside.iter().map(|m| m.2).collect();
        distinct.sort();
        distinct.dedup();
        let score = (distinct.len(), inside.len());
        if score > best_score {
            best_score = score;
            best_start = ws;
        }
    }
    let start = best_start.min(chars.len());
    // Where the text of the folded characters before `to` ends (quotation marks joined into a word lie
    // between one character's end and the next one's start).
    let end_of = |to: usize| match to.checked_sub(1) {
        Some(last) => {
            let b = folded.offsets[last];
            b + text[b..].chars().next().map_or(0, char::len_utf8)
        }
        None => folded.offsets[0],
    };
    // `width` counts the characters shown, joined quotation marks included.
    let mut end = (start + width).min(chars.len());
    while end > start && text[folded.offsets[start]..end_of(end)].chars().count() > width {
        end -= 1;
    }
    let mut spans = Vec::new();
    let push = |from: usize, to: usize, hit: bool, spans: &mut Vec<Span>| {
        if from < to {
            let text = text[from..to].replace('\n', " ");
            spans.push(Span { text, hit });
        }
    };
    if start > 0 {
        spans.push(Span {
            text: "…".into(),
            hit: false,
        });
    }
    let (mut cursor, mut cursor_byte) = (start, folded.offsets[start]);
    for &(s, e, _) in matches.iter().filter(|m| m.0 >= start && m.1 <= end) {
        if s < cursor {
            continue;
        }
        push(cursor_byte, folded.offsets[s], false, &mut spans);
        push(folded.offsets[s], end_of(e), true, &mut spans);
        (cursor, cursor_byte) = (e, end_of(e));
    }
    push(cursor_byte, end_of(end).max(cursor_byte), false, &mut spans);
    if end < chars.len() {
        spans.push(Span {
            text: "…".into(),
            hit: false,
        });
    }
    Snippet { spans }
}

/// Validates paging against the configured limits.
fn check_window(lib: &Library, req: &SearchRequest) -> Result<()> {
    let c = &lib.config;
    if req.limit > c.max_limit {
        return Err(Error::Query(format!(
            "limit must be at most {}",
            c.max_limit
        )));
    }
    // An offset near usize::MAX must be refused, not wrap around (or overflow) into a small number.
    if req.offset.saturating_add(req.limit) > c.max_window {
        return Err(Error::Query(format!(
            "offset + limit must be at most {}",
            c.max_window
        )));
    }
    if let (Some(a), Some(b)) = (req.filters.year_from, req.filters.year_to)
        && a > b
    {
        return Err(Error::Query(format!("the year range {a}..{b} is empty")));
    }
    Ok(())
}

/// Runs a search.
pub fn search(lib: &Library, req: &SearchRequest) -> Result<SearchResponse> {
    check_window(lib, req)?;
    let parsed = parse_query(&req.q, lib.config.max_query_chars)?;
    let citations = resolve_citations(lib, &req.q, &req.scope)?;
    let pins: Vec<String> = citations
        .iter()
        .filter_map(|c| c.article.as_ref().map(|a| a.0.clone()))
        .collect();
    let query = IndexQuery {
        all: parsed.all.clone(),
        none: parsed.none.clone(),
        filters: req.filters.clone(),
        unit: req.unit,
        doc_ids: Vec::new(),
        sort: req.sort,
        offset: req.offset,
        limit: req.limit,
        facets: FacetField::ALL.to_vec(),
        subject_drill: None,
        pins: if req.unit == Unit::Document {
            Vec::new()
        } else {
            pins.clone()
        },
        scope: req.scope.clone(),
    };
    let found = lib.index().search(&query)?;
    let terms = parsed.highlight_terms(lib);
    let mut hits = Vec::with_capacity(found.hits.len());
    for h in found.hits {
        // The index query kept to the scope; the store's record is checked again all the same.
        let Some(doc) = lib.meta(&h.doc_id, &req.scope)? else {
            continue;
        };
        let (name, article, text) = match h.unit {
            HitUnit::Article => match lib.store().get_article(&ArticleId(h.id.clone()))? {
                Some(a) => (a.name, Some(a.label), a.text),
                None => continue,
            },
            HitUnit::Document => (doc.title.clone(), None, doc.body.clone()),
        };
        hits.push(SearchHit {
            cited: pins.contains(&h.id),
            id: h.id,
            doc_id: h.doc_id,
            unit: match h.unit {
                HitUnit::Article => "article",
                HitUnit::Document => "document",
            },
            kind: doc.kind,
            level: doc.level,
            title: doc.title.clone(),
            name,
            article,
            validity: doc.validity,
            region: doc.region.clone(),
            year: doc.year,
            date: doc.version_date.or(doc.published).or(doc.effective),
            doc_number: doc.doc_number.clone(),
            access: doc.access,
            score: h.score,
            snippet: snippet(&text, &terms, 160),
        });
    }
    Ok(SearchResponse {
        total: found.total,
        offset: req.offset,
        hits,
        facets: found.facets.into_iter().map(facet_out).collect(),
        mode: parsed.mode(),
    })
}

/// The number of documents and of articles inside `scope`.
pub fn count_units(lib: &Library, scope: &Scope) -> Result<(usize, usize)> {
    let count = |unit: Unit| -> Result<usize> {
        Ok(lib
            .index()
            .search(&IndexQuery {
                unit,
                limit: 0,
                scope: scope.clone(),
                ..IndexQuery::default()
            })?
            .total)
    };
    Ok((count(Unit::Document)?, count(Unit::Article)?))
}

fn facet_out(f: FacetCounts) -> Facet {
    Facet {
        field: f.field,
        values: f
            .values
            .into_iter()
            .map(|(value, count)| FacetValue { value, count })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> Result<ParsedQuery> {
        parse_query(q, 500)
    }

    #[test]
    fn parses_words_phrases_exclusions_and_or() {
        let q = p(r#"预算 "人大常委会" -草案 决算 OR 审计"#).unwrap();
        assert_eq!(
            q.all,
            vec![
                vec![Match::Text("预算".into())],
                vec![Match::Phrase("人大常委会".into())],
                vec![Match::Text("决算".into()), Match::Text("审计".into())],
            ]
        );
        assert_eq!(q.none, vec![Match::Text("草案".into())]);
    }

    #[test]
    fn questions_are_recognised() {
        let q = p("预算草案应当在什么时候提交人大常委会审查？").unwrap();
        assert!(matches!(q.all[0][0], Match::Question(_)));
        let q = p("一般公共预算").unwrap();
        assert_eq!(q.all, vec![vec![Match::Text("一般公共预算".into())]]);
        // Sentences keep question semantics despite quotation marks and line breaks.
        for text in [
            "如何判断合同是不是“名为保理实为借贷”？",
            "保管人未出具提货单的，承担违约责任吗？\n向第三人放货",
        ] {
            let q = p(text).unwrap();
            assert!(matches!(q.all[0][0], Match::Question(_)), "{text}");
        }
        // ASCII quotes and operators still make keyword queries.
        let q = p("\"名为保理\" 借贷？").unwrap();
        assert_eq!(q.all[0], vec![Match::Phrase("名为保理".into())]);
        // A question quoting a term within itself, with curly or straight quotes, stays a question.
        for text in [
            "什么是“明知他人利用信息网络实施犯罪”",
            "什么是\"明知他人利用信息网络实施犯罪\"",
            "「预算调整方案」应当在什么时候提交审查",
        ] {
            let q = p(text).unwrap();
            assert!(matches!(q.all[0][0], Match::Question(_)), "{text}");
        }
        // A phrase alone, however long, and a phrase beside other words are exact-phrase syntax.
        let q = p("“中华人民共和国预算法实施条例全文”").unwrap();
        assert_eq!(
            q.all[0],
            vec![Match::Phrase("中华人民共和国预算法实施条例全文".into())]
        );
        let q = p("预算法“第四十六条”").unwrap();
        assert_eq!(q.all[1], vec![Match::Phrase("第四十六条".into())]);
    }

    #[test]
    fn malformed_queries_are_clear_errors() {
        for (q, needle) in [
            ("\"预算", "not closed"),
            ("OR 预算", "OR must stand"),
            ("预算 OR", "OR must stand"),
            ("-预算", "only of exclusions"),
            ("\"\"", "empty phrase"),
        ] {
            let err = p(q).unwrap_err().to_string();
            assert!(err.contains(needle), "{q}: {err}");
        }
        assert!(parse_query(&"字".repeat(501), 500).is_err());
    }

    #[test]
    fn snippet_highlights_and_escapes() {
        let s = snippet(
            "第一条 <预算>草案由國務院提出。",
            &["预算".into(), "国务院".into()],
            100,
        );
        assert_eq!(
            s.to_html(),
            "第一条 &lt;<mark>预算</mark>&gt;草案由<mark>國務院</mark>提出。"
        );
        let long = format!("{}预算{}", "甲".repeat(300), "乙".repeat(300));
        let s = snippet(&long, &["预算".into()], 50);
        assert!(s.plain().starts_with('…') && s.plain().ends_with('…'));
        assert!(s.spans.iter().any(|x| x.hit && x.text == "预算"));
    }

    #[test]
    fn snippet_work_is_bounded_per_hit() {
        // A match past the scanned part is not looked for: the snippet shows the text's beginning.
        let far = format!("{}预算", "甲".repeat(SNIPPET_SCAN_BYTES));
        let s = snippet(&far, &["预算".into()], 50);
        assert!(s.spans.iter().all(|x| !x.hit));
        assert!(s.plain().starts_with("甲甲"));
        // A text full of matches still gives a snippet with matches highlighted.
        let dense = "预算".repeat(1_000_000);
        let s = snippet(&dense, &["预算".into()], 50);
        assert!(s.spans.iter().filter(|x| x.hit).count() >= 20);
    }
}
