//! Property-based tests of the parsers: the query language, snippets and text folding, Markdown laws split into
//! articles, proposal tables (CSV and XLSX), PDFs in the worker process, URL parameters and the tokenizers.
//!
//! Case counts are modest so that the suite stays short in CI; `PROPTEST_CASES` raises them for a longer hunt
//! (`PROPTEST_CASES=20000 cargo test --release --test fuzz`). Failing inputs that proptest finds are kept in
//! `tests/fuzz.proptest-regressions` and replayed first on every run; each real bug also has a named test with
//! its minimal input.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use yusuan::config::Config;
use yusuan::error::{Error, ExtractError};
use yusuan::ingest::extract::{ExtractOptions, PdfIsolation, extract};
use yusuan::ingest::structure;
use yusuan::library::Library;
use yusuan::model::{Scope, Sort, Unit};
use yusuan::pipeline;
use yusuan::proposals;
use yusuan::proposals::import::{self, TableFormat};
use yusuan::search::{self, SearchRequest, parse_query, snippet};
use yusuan::text::{clean, fold};
use yusuan::web::params::{SearchParams, decode_component, encode_component};

/// The configuration of one property: `default` cases unless `PROPTEST_CASES` says otherwise; failures are
/// persisted beside this file.
fn config(default: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = default;
    }
    c.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "tests/fuzz.proptest-regressions",
    )));
    c
}

/// Characters that the parsers treat specially, mixed into arbitrary text.
const SPECIALS: &[char] = &[
    '"',
    '“',
    '”',
    '「',
    '」',
    '-',
    '－',
    '—',
    '《',
    '》',
    '第',
    '条',
    '之',
    '一',
    '十',
    '百',
    '千',
    '万',
    '零',
    '四',
    '六',
    '法',
    '预',
    '算',
    '（',
    '）',
    '(',
    ')',
    '？',
    '?',
    '。',
    '，',
    '！',
    ' ',
    '\u{3000}',
    '\n',
    '\r',
    '\t',
    '\0',
    '\u{feff}',
    '\u{200b}',
    'Ａ',
    '１',
    '國',
    '務',
    '院',
    '😀',
    '\u{10ffff}',
    '\u{d7ff}',
    '\u{e000}',
    '\u{fffd}',
    '⺠',
    '⼀',
    'O',
    'R',
    '#',
    '*',
    '[',
    ']',
    '`',
    '%',
    '+',
    '&',
    '=',
    '9',
    '0',
];

/// Text mixing arbitrary characters with the parsers' special ones.
fn messy_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(SPECIALS),
            1 => any::<char>(),
            2 => prop::char::range('\u{4e00}', '\u{4e40}'),
        ],
        0..max,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// Query-like text: words, phrases, exclusions, OR and citations, joined by spaces.
fn query_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        prop::sample::select(vec![
            "预算",
            "决算",
            "人大常委会",
            "审查",
            "OR",
            "-草案",
            "\"一般公共预算\"",
            "“预算”",
            "「审计」",
            "-",
            "\"",
            "《示范预算法》第四十六条",
            "示范预算法第46条",
            "预算法第10000条",
            "《预算法》第一万条",
            "预算法第九千九千九千条",
            "第十七条之一",
            "－预算",
            "ＯＲ",
            "what?",
            "如何审查预算草案？",
        ])
        .prop_map(str::to_string),
        messy_text(12),
    ];
    prop::collection::vec(word, 0..8).prop_map(|ws| ws.join(" "))
}

/// A small library: two versions of a law, a regulation citing it and a report.
fn small_library(dir: &Path) -> Library {
    let write = |rel: &str, text: &str| {
        let p = dir.join("in").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    };
    write(
        "laws/示范预算法(2018-12-29).md",
        "# 中华人民共和国示范预算法\n\n1994年3月22日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 为了规范政府收支行为，强化预算约束，制定本法。\n\n第二条 预算、决算的编制、审查、批准、监督，依照本法规定执行。\n\n第四十六条 报送各级人民代表大会审查和批准的预算草案应当细化。\n\n第四十六条之一 预算草案应当公开。\n",
    );
    write(
        "laws/示范监督条例(2020-01-01).md",
        "# 示范监督条例\n\n<!-- INFO END -->\n\n第一条 预算审查监督依照《示范预算法》第四十六条的规定进行。\n\n第二条 本条例自公布之日起施行。\n",
    );
    write(
        "reports/2021年政府工作报告.txt",
        "2021年政府工作报告\n\n各位代表：\n\n支持中国农业发展银行加大对乡村振兴的信贷投放。\n全年财政赤字率拟按3.2%左右安排。\n",
    );
    let lib = Library::open(Config::new(dir.join("data"), dir.join("corpus"))).unwrap();
    let report = pipeline::ingest(&lib, &[dir.join("in")], &|_| {}).unwrap();
    assert_eq!(report.failed.len(), 0, "{report:?}");
    lib
}

// ---------------------------------------------------------------------------------------------------------
// The query language, search, snippets and folding.

#[test]
fn queries_parse_or_fail_clearly_and_search_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    let strategy = (
        prop_oneof![query_text(), messy_text(40)],
        0usize..40,
        0usize..30,
        prop::sample::select(vec![Unit::Best, Unit::Document, Unit::Article]),
        prop::sample::select(vec![Sort::Relevance, Sort::Date]),
    );
    proptest!(config(256), |((q, offset, limit, unit, sort) in strategy)| {
        match parse_query(&q, 500) {
            Ok(parsed) => {
                for m in parsed.all.iter().flatten().chain(&parsed.none) {
                    let text = match m {
                        yusuan::index::Match::Text(t)
                        | yusuan::index::Match::Phrase(t)
                        | yusuan::index::Match::Question(t) => t,
                    };
                    prop_assert!(!text.trim().is_empty(), "empty term in {parsed:?}");
                }
                prop_assert!(parsed.all.iter().all(|g| !g.is_empty()));
                prop_assert!(!parsed.all.is_empty() || parsed.none.is_empty());
            }
            Err(Error::Query(reason)) => prop_assert!(!reason.is_empty()),
            Err(other) => prop_assert!(false, "not a query error: {other:?}"),
        }
        let req = SearchRequest { q: q.clone(), unit, sort, offset, limit, ..SearchRequest::default() };
        match search::search(&lib, &req) {
            Ok(resp) => {
                prop_assert!(resp.hits.len() <= limit);
                for h in &resp.hits {
                    let _ = h.snippet.to_html();
                }
            }
            Err(Error::Query(_)) => {}
            Err(other) => prop_assert!(false, "search failed on {q:?}: {other:?}"),
        }
        let _ = search::resolve_citations(&lib, &q, &Scope::All).unwrap();
    });
}

#[test]
fn citing_an_article_number_beyond_ten_thousand_is_not_a_panic() {
    // Found by `queries_parse_or_fail_clearly_and_search_never_panics`: the label of 第10000条 could not be
    // written (format_number stopped at 9999), which took the search down.
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    for q in [
        "示范预算法第10000条",
        "《示范预算法》第123456条",
        "示范预算法第4294967295条",
    ] {
        let resp = search::search(
            &lib,
            &SearchRequest {
                q: q.into(),
                limit: 10,
                ..SearchRequest::default()
            },
        )
        .unwrap();
        assert!(resp.hits.iter().all(|h| !h.cited), "{q}");
        let citations = search::resolve_citations(&lib, q, &Scope::All).unwrap();
        assert_eq!(citations.len(), 1, "{q}");
        assert_eq!(citations[0].article, None);
    }
    let cited = search::resolve_citations(&lib, "示范预算法第46条之一", &Scope::All).unwrap();
    assert!(cited[0].article.is_some());
}

#[test]
fn an_offset_near_the_largest_number_is_a_query_error() {
    // Found by `url_parameters_parse_or_are_bad_requests`: `offset + limit` overflowed while checking the window
    // (a panic in debug builds; in release it wrapped around and passed the check).
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    let req = SearchParams::parse(Some("q=%E9%A2%84%E7%AE%97&offset=18446744073709551615"))
        .unwrap()
        .request(&lib.config)
        .unwrap();
    assert!(matches!(search::search(&lib, &req), Err(Error::Query(_))));
}

/// Lines of the small library's documents, as they are stored.
const LIBRARY_LINES: &[&str] = &[
    "第一条 为了规范政府收支行为，强化预算约束，制定本法。",
    "第二条 预算、决算的编制、审查、批准、监督，依照本法规定执行。",
    "第四十六条 报送各级人民代表大会审查和批准的预算草案应当细化。",
    "第四十六条之一 预算草案应当公开。",
    "第一条 预算审查监督依照《示范预算法》第四十六条的规定进行。",
    "第二条 本条例自公布之日起施行。",
    "支持中国农业发展银行加大对乡村振兴的信贷投放。",
    "全年财政赤字率拟按3.2%左右安排。",
];

/// Every quoted substring of a document finds it, and so does every run of two to five CJK characters as a
/// word (a word hidden inside a longer segmented word included).
#[test]
fn every_substring_of_a_document_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    let pick = (
        prop::sample::select(LIBRARY_LINES),
        any::<prop::sample::Index>(),
        1usize..12,
        any::<bool>(),
    );
    proptest!(config(256), |((line, at, len, quoted) in pick)| {
        let chars: Vec<char> = line.chars().collect();
        let cjk: Vec<usize> = (0..chars.len()).filter(|&i| yusuan::text::is_cjk(chars[i])).collect();
        let start = cjk[at.index(cjk.len())];
        let max = if quoted { len } else { len.min(5) };
        let run: String = chars[start..]
            .iter()
            .take(max)
            .take_while(|c| yusuan::text::is_cjk(**c))
            .collect();
        // A single character is searched as a phrase.
        let quoted = quoted || run.chars().count() < 2;
        let q = if quoted { format!("\"{run}\"") } else { run.clone() };
        let resp = search::search(
            &lib,
            &SearchRequest { q: q.clone(), unit: Unit::Document, limit: 10, ..SearchRequest::default() },
        )
        .unwrap();
        prop_assert!(resp.total >= 1, "{q} finds nothing");
        prop_assert!(
            resp.hits.iter().any(|h| h.snippet.plain().contains(&run) || h.title.contains(&run)),
            "{q}: no hit shows it"
        );
    });
}

#[test]
fn queries_longer_than_the_limit_are_refused() {
    proptest!(config(64), |(q in messy_text(300), max in 0usize..100)| {
        let chars = q.trim().chars().count();
        let result = parse_query(&q, max);
        if chars > max {
            prop_assert!(matches!(result, Err(Error::Query(_))));
        }
    });
}

#[test]
fn snippets_stay_inside_the_text() {
    let terms = prop::collection::vec(
        prop_oneof![
            messy_text(4),
            prop::sample::select(vec!["预算", "ab", "国务院", "\n", "条"]).prop_map(str::to_string)
        ],
        0..5,
    );
    proptest!(config(256), |(text in messy_text(400), terms in terms, width in 0usize..200)| {
        let folded_terms: Vec<String> = terms.iter().map(|t| yusuan::text::fold_str(t)).collect();
        let s = snippet(&text, &folded_terms, width);
        let flat = text.replace('\n', " ");
        let body: String = s
            .spans
            .iter()
            .filter(|sp| sp.text != "…")
            .map(|sp| sp.text.as_str())
            .collect();
        prop_assert!(flat.contains(&body), "{body:?} is not a part of {flat:?}");
        prop_assert!(body.chars().count() <= width, "{} chars for width {width}", body.chars().count());
        for sp in s.spans.iter().filter(|sp| sp.hit) {
            prop_assert!(!sp.text.is_empty());
            // A highlight is an occurrence of one of the terms (line breaks are shown as spaces).
            let shown = yusuan::text::fold_str(&sp.text);
            prop_assert!(
                folded_terms.iter().any(|t| t.replace('\n', " ") == shown),
                "{:?} highlighted for {folded_terms:?}", sp.text
            );
        }
        let _ = s.to_html();
    });
}

#[test]
fn fold_offsets_point_into_the_original() {
    proptest!(config(512), |(text in messy_text(200))| {
        let f = fold(&text);
        // One folded character per original one, but for quotation marks joined into a word (三公”经费).
        let kept: std::collections::HashSet<usize> = f.offsets.iter().copied().collect();
        for (i, c) in text.char_indices().filter(|(i, _)| !kept.contains(i)) {
            let folded = yusuan::text::fold_str(&c.to_string());
            prop_assert!(
                folded.chars().all(yusuan::text::is_quote),
                "{c:?} at {i} was dropped from {text:?}"
            );
        }
        prop_assert!(f.chars.len() <= text.chars().count());
        prop_assert_eq!(f.offsets.len(), f.chars.len() + 1);
        prop_assert_eq!(*f.offsets.last().unwrap(), text.len());
        for w in f.offsets.windows(2) {
            prop_assert!(w[0] < w[1]);
        }
        for &o in &f.offsets {
            prop_assert!(text.is_char_boundary(o));
        }
    });
}

#[test]
fn clean_is_idempotent_and_drops_control_characters() {
    proptest!(config(512), |(text in messy_text(200))| {
        let once = clean(&text);
        prop_assert!(!once.chars().any(|c| c.is_control() && c != '\n'), "{once:?}");
        prop_assert!(!once.contains("\n\n\n"));
        prop_assert_eq!(clean(&once), once.clone(), "clean is not idempotent on {:?}", text);
    });
}

#[test]
fn tokenizer_offsets_are_char_boundaries_inside_the_text() {
    use tantivy::tokenizer::{TokenStream, Tokenizer};
    let analyzer = yusuan::index::analysis::Analyzer::new();
    proptest!(config(256), |(text in messy_text(120))| {
        let mut tok = analyzer.word_tokenizer();
        let mut stream = tok.token_stream(&text);
        while stream.advance() {
            let t = stream.token();
            prop_assert!(t.offset_from < t.offset_to && t.offset_to <= text.len(), "{t:?}");
            prop_assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
        }
        let folded = fold(&text);
        for g in yusuan::index::analysis::grams(&folded, false)
            .into_iter()
            .chain(yusuan::index::analysis::grams(&folded, true))
        {
            prop_assert!(g.start < g.end && g.end <= folded.chars.len(), "{g:?}");
        }
    });
}

// ---------------------------------------------------------------------------------------------------------
// Article numbers and Markdown laws.

#[test]
fn article_numbers_round_trip() {
    proptest!(config(1024), |(n in prop_oneof![1u32..10_000, any::<u32>()])| {
        let written = structure::format_number(n);
        prop_assert_eq!(structure::parse_number(&written), Some(n), "{}", written);
    });
}

#[test]
fn numerals_never_panic() {
    let numeral = prop::collection::vec(
        prop::sample::select(
            "零〇一二两三四五六七八九十百千万亿0123456789x"
                .chars()
                .collect::<Vec<_>>(),
        ),
        0..30,
    )
    .prop_map(|cs| cs.into_iter().collect::<String>());
    proptest!(config(1024), |(s in numeral)| {
        let _ = structure::parse_number(&s);
        let line = format!("第{s}条 内容");
        let _ = structure::article_label(&line);
        let _ = structure::heading_depth(&line);
    });
}

/// One generated article.
#[derive(Debug, Clone)]
struct GenArticle {
    /// The number, and the 之N suffix.
    number: u32,
    suffix: Option<u32>,
    arabic: bool,
    /// How the article line is written: plain, as a list item, a block quote or a heading.
    style: u8,
    /// Paragraphs (款) and items (项) of the body.
    body: Vec<String>,
    /// The heading written before the article: 0 a chapter, 1 a section, 2 附则, 3 a stray `### 说明`.
    heading: Option<u8>,
}

impl GenArticle {
    fn label(&self) -> String {
        let n = if self.arabic {
            self.number.to_string()
        } else {
            structure::format_number(self.number)
        };
        match self.suffix {
            Some(k) => format!("第{n}条之{}", structure::format_number(k)),
            None => format!("第{n}条"),
        }
    }
}

/// A law-like Markdown document and the articles it holds.
#[derive(Debug, Clone)]
struct GenLaw {
    markdown: String,
    articles: Vec<GenArticle>,
}

/// Sentences of article bodies, including ones that cite other articles without opening one.
fn body_line() -> impl Strategy<Value = String> {
    let words = prop::collection::vec(
        prop::sample::select(vec![
            "预算",
            "应当",
            "人民代表大会",
            "审查",
            "**批准**",
            "，",
            "。",
            "、",
            "（",
            "）",
            "本法",
            "第三条",
            "规定",
            "`代码`",
            "[链接](https://example.org)",
            "国务院",
            " ",
            "2018年",
            "A",
            "；",
        ]),
        1..12,
    )
    .prop_map(|ws| {
        let line = ws.concat();
        // `第三条 …` at the start of a line opens an article: a body line keeps it inside the sentence.
        if structure::article_label(line.trim_start()).is_some() {
            format!("依照{line}")
        } else {
            line
        }
    });
    prop_oneof![
        4 => words.clone(),
        1 => (1u32..300, words.clone()).prop_map(|(n, w)| format!(
            "第{}条的规定{w}",
            structure::format_number(n)
        )),
        1 => (1u32..300, words.clone()).prop_map(|(n, w)| format!("依照本法第{n}条{w}")),
        2 => (1u32..12, words).prop_map(|(n, w)| format!(
            "（{}）{w}",
            structure::format_number(n)
        )),
    ]
}

fn gen_law() -> impl Strategy<Value = GenLaw> {
    let article = (
        prop::bool::weighted(0.2),
        prop::option::weighted(0.15, 1u32..4),
        prop::bool::weighted(0.1),
        0u8..6,
        prop::collection::vec(body_line(), 0..4),
        prop::option::weighted(0.2, 0u8..4),
        prop::sample::select(vec![" ", " ", "\u{3000}", "\t", "\u{a0}"]),
    );
    (
        1u32..1300,
        prop::collection::vec(article, 1..20),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(start, parts, info, crlf, bom, blank_lines)| {
            let mut md = String::new();
            if bom {
                md.push('\u{feff}');
            }
            md.push_str("# 中华人民共和国示范法\n\n");
            if info {
                md.push_str("1994年3月22日 通过\n\n2018年12月29日 修正\n\n<!-- INFO END -->\n\n");
            }
            let mut number = start;
            let mut chapter = 0;
            let mut articles = Vec::new();
            for (k, (skip, suffix, arabic, style, body, heading, sep)) in
                parts.into_iter().enumerate()
            {
                let suffix = if k == 0 { None } else { suffix };
                // Numbers go up by one, sometimes by two (a repealed article leaves a gap); 之N keeps the number.
                if k > 0 && suffix.is_none() {
                    number += if skip { 2 } else { 1 };
                }
                match heading {
                    Some(0) => {
                        chapter += 1;
                        md.push_str(&format!(
                            "## 第{}章 总则\n\n",
                            structure::format_number(chapter)
                        ));
                    }
                    Some(1) => md.push_str("#### 第一节 一般规定\n\n"),
                    Some(2) => md.push_str("附则\n\n"),
                    Some(_) => md.push_str("### 说明\n\n"),
                    None => {}
                }
                let a = GenArticle {
                    number,
                    suffix,
                    arabic,
                    style,
                    body,
                    heading,
                };
                let label = a.label();
                let first = a.body.first().cloned().unwrap_or_default();
                let head = if first.is_empty() || a.style == 5 {
                    label.clone()
                } else {
                    format!("{label}{sep}{first}")
                };
                let line = match a.style {
                    1 => format!("- {head}"),
                    2 => format!("> {head}"),
                    3 => format!("#### {head}"),
                    4 => format!("  {head}"),
                    _ => head,
                };
                md.push_str(&line);
                md.push('\n');
                let rest = if a.style == 5 {
                    &a.body[..]
                } else {
                    a.body.get(1..).unwrap_or(&[])
                };
                for l in rest {
                    if blank_lines {
                        md.push('\n');
                    }
                    md.push_str(l);
                    md.push('\n');
                }
                md.push('\n');
                articles.push(a);
            }
            if crlf {
                md = md.replace('\n', "\r\n");
            }
            GenLaw {
                markdown: md,
                articles,
            }
        })
}

#[test]
fn markdown_laws_yield_every_article_in_order() {
    // The text an article holds: its lines without markup, blank lines dropped; a stray heading that is not a
    // part of the structure stays in the article before it.
    let expected_text = |law: &GenLaw, i: usize| {
        let a = &law.articles[i];
        let plain = |l: &str| {
            l.replace("**", "")
                .replace('`', "")
                .replace("[链接](https://example.org)", "链接")
                .trim()
                .to_string()
        };
        let mut lines = Vec::new();
        match a.body.first() {
            Some(first) if a.style != 5 => lines.push(plain(&format!("{} {first}", a.label()))),
            _ => lines.push(a.label()),
        }
        let rest = if a.style == 5 {
            &a.body[..]
        } else {
            a.body.get(1..).unwrap_or(&[])
        };
        lines.extend(rest.iter().map(|l| plain(l)));
        if law
            .articles
            .get(i + 1)
            .is_some_and(|n| n.heading == Some(3))
        {
            lines.push("说明".to_string());
        }
        lines.retain(|l| !l.is_empty());
        lines.join("\n")
    };
    proptest!(config(256), |(law in gen_law())| {
        let out = extract(Path::new("law.md"), law.markdown.as_bytes(), &ExtractOptions::default()).unwrap();
        prop_assert_eq!(out.title.as_deref(), Some("中华人民共和国示范法"));
        let s = structure::parse(&out.text);
        let found: Vec<(u32, String)> = s.articles.iter().map(|a| (a.number, a.label.clone())).collect();
        let expected: Vec<(u32, String)> = law.articles.iter().map(|a| (a.number, a.label())).collect();
        prop_assert_eq!(found, expected, "text:\n{}", out.text);
        let mut last = None;
        for a in &s.articles {
            prop_assert!(a.offset < out.text.len());
            prop_assert!(out.text[a.offset..].starts_with(&a.label));
            prop_assert!(a.text.starts_with(&a.label));
            prop_assert!(last.is_none_or(|l| l < a.offset), "offsets not increasing");
            last = Some(a.offset);
        }
        for (i, a) in s.articles.iter().enumerate() {
            prop_assert_eq!(&a.text, &expected_text(&law, i), "text:\n{}", out.text);
        }
        for h in &s.outline {
            prop_assert!(out.text[h.offset..].starts_with(&h.text));
        }
    });
}

#[test]
fn arbitrary_markdown_never_panics() {
    let lines = prop::collection::vec(
        prop_oneof![
            messy_text(30),
            body_line(),
            gen_law().prop_map(|l| l.markdown)
        ],
        0..20,
    )
    .prop_map(|ls| ls.join("\n"));
    proptest!(config(256), |(md in lines)| {
        match extract(Path::new("x.md"), md.as_bytes(), &ExtractOptions::default()) {
            Ok(out) => {
                let s = structure::parse(&out.text);
                for a in &s.articles {
                    prop_assert!(out.text[a.offset..].starts_with(&a.label));
                }
            }
            Err(ExtractError::Empty | ExtractError::Encoding(_)) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    });
}

/// Bytes that look a little like documents of every format: text with markup, tables, zip archives, noise.
fn document_bytes() -> impl Strategy<Value = Vec<u8>> {
    let tags = prop::collection::vec(
        prop_oneof![
            messy_text(12),
            prop::sample::select(vec![
                "<html>",
                "<title>",
                "</title>",
                "<h1>",
                "</h1>",
                "<p>",
                "<br>",
                "<table><tr><td>",
                "</td><td>",
                "<!--",
                "-->",
                "<script>",
                "&amp;",
                "&#x4e00;",
                "&#99999999;",
                ",",
                "\t",
                ";",
                "\"",
                "\r\n",
            ])
            .prop_map(str::to_string),
        ],
        0..30,
    )
    .prop_map(|parts| parts.concat());
    prop_oneof![
        2 => tags.clone().prop_map(String::into_bytes),
        1 => tags.prop_map(|t| encoding_rs::GB18030.encode(&t).0.into_owned()),
        1 => prop::collection::vec(any::<u8>(), 0..800),
        1 => (gen_table(), any::<prop::sample::Index>()).prop_map(|(t, cut)| {
            let (x, _) = t.xlsx();
            x[..cut.index(x.len() + 1)].to_vec()
        }),
        1 => gen_table().prop_map(|t| t.xlsx().0),
    ]
}

#[test]
fn documents_in_every_format_extract_or_fail_clearly() {
    let names = prop::sample::select(vec![
        "a.csv", "a.tsv", "a.xlsx", "a.ods", "a.docx", "a.html", "a.txt", "a.md", "noext", "a.bin",
    ]);
    proptest!(config(256), |(name in names, bytes in document_bytes())| {
        match extract(Path::new(name), &bytes, &ExtractOptions::default()) {
            Ok(out) => {
                prop_assert!(!out.text.trim().is_empty() || !out.tables.is_empty());
                prop_assert!(!out.text.contains('\r') && !out.text.contains('\0'), "{:?}", out.text);
                let s = structure::parse(&out.text);
                for a in &s.articles {
                    prop_assert!(out.text[a.offset..].starts_with(&a.label));
                }
            }
            Err(ExtractError::Io(e)) => prop_assert!(false, "{e}"),
            Err(_) => {}
        }
    });
}

#[test]
fn metadata_is_derived_from_any_path_title_and_text() {
    use yusuan::ingest::metadata;
    let part = prop_oneof![
        messy_text(12),
        prop::sample::select(vec![
            "经济法",
            "地方性法规",
            "上海市",
            "预算法(2018-12-29)",
            "(",
            ")",
            "2018-02-30",
            "2024年13月1日",
            "某财预〔2024〕12号",
            "9999年",
            "自2024年1月1日起施行",
        ])
        .prop_map(str::to_string),
    ];
    let path = prop::collection::vec(part.clone(), 1..4).prop_map(|ps| {
        ps.into_iter()
            .map(|p| p.replace(['/', '\0'], ""))
            .collect::<Vec<_>>()
    });
    proptest!(config(256), |(
        path in path,
        title in prop::option::of(part.clone()),
        history in prop::collection::vec(part.clone(), 0..3),
        text in prop::collection::vec(part, 0..6).prop_map(|p| p.concat()),
    )| {
        let mut p = PathBuf::from("/corpus");
        for c in &path {
            p.push(if c.is_empty() { "x" } else { c });
        }
        p.set_extension("md");
        let m = metadata::derive(&p, title.as_deref(), &history, &text, None, None);
        prop_assert!(!m.title.starts_with(char::is_whitespace) && !m.title.ends_with(char::is_whitespace));
        for h in &history {
            let _ = metadata::parse_date(h);
        }
    });
}

// ---------------------------------------------------------------------------------------------------------
// Proposal tables.

/// One generated data row: cells by canonical column, some valid and some not.
type GenRow = Vec<(import::Column, String)>;

fn cell(col: import::Column) -> BoxedStrategy<String> {
    use import::Column as C;
    let text = || messy_text(10).prop_map(|s| s.replace('\0', ""));
    match col {
        C::Number => prop_oneof![
            (1u32..60).prop_map(|n| n.to_string()),
            (1u32..60).prop_map(|n| format!("第{n}号")),
            Just("0".to_string()),
            Just("x12".to_string()),
            Just(String::new()),
            Just("99999999999".to_string()),
        ]
        .boxed(),
        C::Session => prop::sample::select(vec![
            "十四届全国人大二次会议",
            "第十四届全国人民代表大会第二次会议",
            "市十六届人大三次会议",
            "某会议",
            "",
        ])
        .prop_map(str::to_string)
        .boxed(),
        C::Year => prop_oneof![
            (1940i32..2210).prop_map(|y| y.to_string()),
            Just("2024年".to_string()),
            Just("二〇二四".to_string()),
            Just(String::new()),
        ]
        .boxed(),
        C::Kind => prop::sample::select(vec!["代表建议", "政协提案", "批评和意见", "小说", ""])
            .prop_map(str::to_string)
            .boxed(),
        C::Title => prop_oneof![
            4 => text().prop_map(|t| format!("关于{t}的建议")),
            1 => Just(String::new()),
            1 => Just(format!("关于{}的建议", "长".repeat(5000))),
            1 => Just("关于\"引号\"，逗号\n换行的建议".to_string()),
        ]
        .boxed(),
        C::Assigned | C::Deadline | C::ReplyDate => prop_oneof![
            Just("2024-03-20".to_string()),
            Just("2024/4/1".to_string()),
            Just("2024年5月6日".to_string()),
            Just("20240601".to_string()),
            Just("2024-02-30".to_string()),
            Just("明天".to_string()),
            Just("2024-13-01".to_string()),
            Just(String::new()),
            Just(String::new()),
        ]
        .boxed(),
        C::Status => prop::sample::select(vec![
            "",
            "",
            "待交办",
            "已交办",
            "办理中",
            "已答复",
            "已办结",
            "签收",
            "未知状态",
        ])
        .prop_map(str::to_string)
        .boxed(),
        C::Grade => prop::sample::select(vec!["", "", "A", "B", "C", "D", "E", "A类"])
            .prop_map(str::to_string)
            .boxed(),
        C::Satisfaction => prop::sample::select(vec!["", "", "满意", "基本满意", "不满意", "很好"])
            .prop_map(str::to_string)
            .boxed(),
        C::KeySupervision | C::Public => prop::sample::select(vec!["", "是", "否", "可能"])
            .prop_map(str::to_string)
            .boxed(),
        C::Text | C::ReplyText => prop_oneof![
            3 => text(),
            1 => Just(String::new()),
            1 => Just("长".repeat(40_000)),
        ]
        .boxed(),
        _ => prop_oneof![3 => text(), 1 => Just(String::new())].boxed(),
    }
}

fn gen_row() -> impl Strategy<Value = GenRow> {
    let cols: Vec<_> = import::Column::ALL
        .iter()
        .map(|&c| cell(c).prop_map(move |v| (c, v)))
        .collect();
    cols
}

/// A generated proposal table: header cells (canonical names, aliases, unknown columns) and rows.
#[derive(Debug, Clone)]
struct GenTable {
    header: Vec<String>,
    /// The column of each header cell, `None` for unknown ones.
    columns: Vec<Option<import::Column>>,
    rows: Vec<Vec<String>>,
    /// Whether a note line precedes the header.
    note: bool,
}

fn header_name(col: import::Column, alias: bool) -> String {
    use import::Column as C;
    let alt = match col {
        C::Number => Some("建议编号"),
        C::Session => Some("会议"),
        C::Title => Some("案由"),
        C::LeadUnit => Some("承办单位"),
        C::Satisfaction => Some("满意度*"),
        C::Assigned => Some("交办时间"),
        _ => None,
    };
    match alt {
        Some(a) if alias => a.to_string(),
        _ => col.label().to_string(),
    }
}

fn gen_table() -> impl Strategy<Value = GenTable> {
    (
        prop::collection::vec(gen_row(), 0..12),
        prop::collection::vec(any::<bool>(), import::Column::ALL.len()),
        prop::collection::vec(prop::bool::weighted(0.85), import::Column::ALL.len()),
        Just(()).prop_perturb(|_, mut rng| {
            let mut order: Vec<usize> = (0..import::Column::ALL.len() + 2).collect();
            for i in (1..order.len()).rev() {
                let j = (rng.next_u32() as usize) % (i + 1);
                order.swap(i, j);
            }
            order
        }),
        any::<bool>(),
        prop::collection::vec(0usize..3, 12),
    )
        .prop_map(|(rows, alias, keep, order, note, shape)| {
            let all = import::Column::ALL;
            let mut header = Vec::new();
            let mut columns = Vec::new();
            for &i in &order {
                if i >= all.len() {
                    header.push(if i == all.len() { "备注" } else { "序号" }.to_string());
                    columns.push(None);
                } else if keep[i]
                    || matches!(all[i], import::Column::Number | import::Column::Title)
                {
                    header.push(header_name(all[i], alias[i]));
                    columns.push(Some(all[i]));
                }
            }
            let rows = rows
                .into_iter()
                .enumerate()
                .map(|(r, cells)| {
                    let mut out: Vec<String> = columns
                        .iter()
                        .map(|c| match c {
                            Some(c) => cells
                                .iter()
                                .find(|(k, _)| k == c)
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default(),
                            None => "附注".to_string(),
                        })
                        .collect();
                    // Some rows are short or long.
                    match shape.get(r) {
                        Some(1) => out.truncate(out.len() / 2),
                        Some(2) => out.push("多余".to_string()),
                        _ => {}
                    }
                    out
                })
                .collect();
            GenTable {
                header,
                columns,
                rows,
                note,
            }
        })
}

impl GenTable {
    /// Whether the header names the three required columns.
    fn has_header(&self) -> bool {
        use import::Column as C;
        [C::Number, C::Session, C::Title]
            .iter()
            .all(|c| self.columns.contains(&Some(*c)))
    }

    /// Whether a row counts as data (some non-blank cell under a column).
    fn is_data(row: &[String]) -> bool {
        !row.iter().all(|c| c.trim().is_empty())
    }

    /// The CSV text and the line on which each data row starts.
    fn csv(&self, crlf: bool) -> (String, Vec<usize>) {
        let end = if crlf { "\r\n" } else { "\n" };
        let quote = |c: &str| {
            if c.contains([',', '"', '\n', '\r']) || c.trim() != c {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        };
        let mut text = String::new();
        let mut line = 1;
        if self.note {
            text.push_str("【示例】说明行");
            text.push_str(end);
            line += 1;
        }
        let record =
            |cells: &[String]| cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
        let h = record(&self.header);
        line += h.matches('\n').count() + 1;
        text.push_str(&h);
        text.push_str(end);
        let mut lines = Vec::new();
        for r in &self.rows {
            let rec = record(r);
            if Self::is_data(r) && !rec.is_empty() {
                lines.push(line);
            }
            line += rec.matches('\n').count() + 1;
            text.push_str(&rec);
            text.push_str(end);
        }
        (text, lines)
    }

    /// The XLSX bytes and the sheet row (from 1) of each data row.
    fn xlsx(&self) -> (Vec<u8>, Vec<usize>) {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet();
        let mut row = 0u32;
        if self.note {
            sheet.write_string(row, 0, "【示例】说明行").unwrap();
            row += 1;
        }
        for (c, h) in self.header.iter().enumerate() {
            sheet.write_string(row, c as u16, h).unwrap();
        }
        row += 1;
        let mut lines = Vec::new();
        for r in &self.rows {
            for (c, v) in r.iter().enumerate() {
                if !v.is_empty() {
                    // A cell holds at most 32,767 characters in the format.
                    let v: String = v.chars().take(32_767).collect();
                    sheet.write_string(row, c as u16, &v).unwrap();
                }
            }
            if Self::is_data(r) {
                lines.push(row as usize + 1);
            }
            row += 1;
        }
        (wb.save_to_buffer().unwrap(), lines)
    }
}

fn doc_id(id: &yusuan::proposals::model::ProposalId) -> yusuan::model::DocId {
    yusuan::model::DocId(id.0.clone())
}

/// Every data row is either imported or reported once with its own line.
fn check_rows(
    parsed: Result<import::Parsed, import::TableError>,
    table: &GenTable,
    lines: &[usize],
) -> Result<(), TestCaseError> {
    let parsed = match parsed {
        Err(import::TableError::NoHeader) => {
            prop_assert!(!table.has_header(), "header not found: {:?}", table.header);
            return Ok(());
        }
        Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
        Ok(p) => p,
    };
    prop_assert!(table.has_header());
    prop_assert_eq!(parsed.rows.len() + parsed.errors.len(), lines.len());
    let mut seen: Vec<usize> = parsed
        .rows
        .iter()
        .map(|r| r.line)
        .chain(parsed.errors.iter().map(|e| e.line))
        .collect();
    seen.sort();
    prop_assert_eq!(seen, lines.to_vec());
    for e in &parsed.errors {
        prop_assert!(!e.reason.is_empty());
    }
    let ids: BTreeSet<_> = parsed.rows.iter().map(|r| r.proposal.id.clone()).collect();
    prop_assert_eq!(ids.len(), parsed.rows.len(), "duplicate ids imported");
    Ok(())
}

#[test]
fn csv_proposal_tables_account_for_every_row() {
    proptest!(config(256), |(table in gen_table(), crlf in any::<bool>(), gb in any::<bool>(), bom in any::<bool>())| {
        let (text, lines) = table.csv(crlf);
        let bytes = if gb {
            let (b, _, unmappable) = encoding_rs::GB18030.encode(&text);
            prop_assume!(!unmappable && std::str::from_utf8(&b).is_err());
            b.into_owned()
        } else if bom {
            [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat()
        } else {
            text.into_bytes()
        };
        let parsed = import::parse(TableFormat::Csv, &bytes, "t.csv", &doc_id);
        check_rows(parsed, &table, &lines)?;
    });
}

#[test]
fn xlsx_proposal_tables_account_for_every_row() {
    proptest!(config(64), |(table in gen_table())| {
        let (bytes, lines) = table.xlsx();
        let parsed = import::parse(TableFormat::Xlsx, &bytes, "t.xlsx", &doc_id);
        check_rows(parsed, &table, &lines)?;
    });
}

#[test]
fn json_proposal_lists_account_for_every_item() {
    let item = prop_oneof![
        4 => Just(None),
        1 => prop_oneof![
            Just(serde_json::json!(7)),
            Just(serde_json::json!(null)),
            Just(serde_json::json!("编号")),
            Just(serde_json::json!([1, 2])),
            Just(serde_json::json!({"编号": {"x": 1}, "届次": true, "标题": 3.5})),
            Just(serde_json::json!({"编号": 1e300, "届次": "十四届全国人大二次会议", "标题": "关于甲的建议"})),
        ]
        .prop_map(Some),
    ];
    proptest!(config(256), |(table in gen_table(), odd in prop::collection::vec(item, 12), wrap in any::<bool>())| {
        let mut items = Vec::new();
        for (r, row) in table.rows.iter().enumerate() {
            match &odd[r % odd.len()] {
                Some(v) => items.push(v.clone()),
                None => {
                    let mut o = serde_json::Map::new();
                    for (h, v) in table.header.iter().zip(row) {
                        o.insert(h.clone(), serde_json::Value::String(v.clone()));
                    }
                    items.push(serde_json::Value::Object(o));
                }
            }
        }
        let n = items.len();
        let value = if wrap {
            serde_json::json!({ "proposals": items })
        } else {
            serde_json::Value::Array(items)
        };
        let bytes = serde_json::to_vec(&value).unwrap();
        match import::parse(TableFormat::Json, &bytes, "t.json", &doc_id) {
            Ok(p) => {
                prop_assert_eq!(p.rows.len() + p.errors.len(), n);
                let mut lines: Vec<usize> =
                    p.rows.iter().map(|r| r.line).chain(p.errors.iter().map(|e| e.line)).collect();
                lines.sort();
                prop_assert_eq!(lines, (1..=n).collect::<Vec<_>>());
            }
            Err(import::TableError::NoHeader) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    });
}

#[test]
fn proposal_fields_and_reference_lines_parse_or_are_refused() {
    use yusuan::index::analysis::Synonyms;
    use yusuan::proposals::model::{self, Grade, ProposalNumber, ProposalType, Session};
    let lines = prop::collection::vec(
        prop_oneof![
            messy_text(16),
            prop::sample::select(vec![
                "预算 预算草案",
                "人大 => 人民代表大会",
                "a => b => c",
                "# 注释",
                "=>",
                "x"
            ])
            .prop_map(str::to_string),
        ],
        0..6,
    )
    .prop_map(|ls| ls.join("\n"));
    proptest!(config(512), |(s in messy_text(24), text in lines)| {
        if let Some(n) = ProposalNumber::parse(&s) {
            prop_assert!(n.0 > 0);
        }
        let session = Session::parse(&s);
        prop_assert_eq!(session.term.is_some(), session.meeting.is_some());
        let _ = session.key();
        let _ = model::chinese_number(&s);
        let _ = ProposalType::parse_loose(&s);
        let _ = Grade::parse_loose(&s);
        let _ = import::parse_date(&s);
        let _ = import::Column::from_header(&s);
        let _ = import::split_list(&s);
        match Synonyms::parse(&text, "synonyms.txt") {
            Ok(syn) => {
                for word in text.split_whitespace() {
                    let _ = syn.expand(&yusuan::text::fold_str(word));
                }
            }
            Err(Error::Invalid(m)) => prop_assert!(m.contains("synonyms.txt line "), "{m}"),
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    });
}

/// Imported proposals exported as CSV or XLSX and imported again come back the same.
#[test]
fn exported_proposals_import_the_same() {
    use yusuan::proposals::export::{self, ExportFormat};
    use yusuan::proposals::lifecycle;
    proptest!(config(64), |(table in gen_table(), xlsx in any::<bool>())| {
        let (text, _) = table.csv(false);
        let Ok(first) = import::parse(TableFormat::Csv, text.as_bytes(), "t.csv", &doc_id) else {
            return Ok(());
        };
        let cells: Vec<Vec<String>> = first
            .rows
            .iter()
            .map(|r| {
                let state = lifecycle::derive(&r.events, r.proposal.deadline).unwrap();
                export::cells(&r.proposal, &r.events, &state)
            })
            .collect();
        let (format, table_format) = if xlsx {
            (ExportFormat::Xlsx, TableFormat::Xlsx)
        } else {
            (ExportFormat::Csv, TableFormat::Csv)
        };
        let bytes = match export::write(&cells, format) {
            Ok(b) => b,
            Err(e) => return Err(TestCaseError::fail(format!("export failed: {e}"))),
        };
        let again = import::parse(table_format, &bytes, "t.csv", &doc_id).unwrap();
        prop_assert_eq!(&again.errors, &Vec::new());
        prop_assert_eq!(again.rows.len(), first.rows.len());
        for (a, b) in first.rows.iter().zip(&again.rows) {
            let mut expected = a.clone();
            if xlsx {
                // Texts longer than a spreadsheet cell come back cut, with a mark.
                expected.proposal.text = export::xlsx_cell(&a.proposal.text).into_owned();
                for e in &mut expected.events {
                    if let Some(t) = &e.text {
                        e.text = Some(export::xlsx_cell(t).into_owned());
                    }
                }
            }
            prop_assert_eq!(&expected.proposal, &b.proposal);
            prop_assert_eq!(&expected.events, &b.events);
        }
    });
}

#[test]
fn a_proposal_longer_than_a_spreadsheet_cell_still_exports() {
    // Found by `exported_proposals_import_the_same`: one text over 32,767 characters failed the whole XLSX
    // export.
    use yusuan::proposals::export::{self, ExportFormat, XLSX_CELL_UNITS, XLSX_CUT_MARK};
    let long = format!("{}😀", "长".repeat(40_000));
    let csv =
        format!("编号,届次,标题,内容,年份\n1,十四届全国人大二次会议,关于甲的建议,{long},2024\n");
    let parsed = import::parse(TableFormat::Csv, csv.as_bytes(), "t.csv", &doc_id).unwrap();
    let row = &parsed.rows[0];
    let state = yusuan::proposals::lifecycle::derive(&row.events, None).unwrap();
    let cells = vec![export::cells(&row.proposal, &row.events, &state)];
    let bytes = export::write(&cells, ExportFormat::Xlsx).unwrap();
    let again = import::parse(TableFormat::Xlsx, &bytes, "t.xlsx", &doc_id).unwrap();
    let text = &again.rows[0].proposal.text;
    assert!(text.ends_with(XLSX_CUT_MARK));
    assert!(text.starts_with("长长长"));
    assert!(text.encode_utf16().count() <= XLSX_CELL_UNITS);
    let csv_export = export::write(&cells, ExportFormat::Csv).unwrap();
    assert!(String::from_utf8(csv_export).unwrap().contains(&long));
}

#[test]
fn damaged_tables_are_errors_not_panics() {
    let bytes = prop::collection::vec(any::<u8>(), 0..600);
    proptest!(config(256), |(bytes in bytes, cut in any::<prop::sample::Index>(), table in gen_table())| {
        let (xlsx, _) = table.xlsx();
        let truncated = &xlsx[..cut.index(xlsx.len() + 1)];
        for (format, b) in [
            (TableFormat::Csv, &bytes[..]),
            (TableFormat::Xlsx, &bytes[..]),
            (TableFormat::Json, &bytes[..]),
            (TableFormat::Xlsx, truncated),
        ] {
            let _ = import::parse(format, b, "x", &doc_id);
        }
        let _ = import::is_proposal_table(Path::new("x.csv"), &bytes);
        let _ = import::is_proposal_table(Path::new("x.json"), &bytes);
    });
}

#[test]
fn importing_a_table_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let lib = Library::open(Config::new(dir.path(), corpus)).unwrap();
    proptest!(config(24), |(table in gen_table(), xlsx in any::<bool>())| {
        let (bytes, format) = if xlsx {
            (table.xlsx().0, TableFormat::Xlsx)
        } else {
            (table.csv(false).0.into_bytes(), TableFormat::Csv)
        };
        let first = match proposals::import_bytes(&lib, "t", format, &bytes) {
            Ok(r) => r,
            Err(Error::Invalid(_)) if !table.has_header() => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
        };
        let second = proposals::import_bytes(&lib, "t", format, &bytes).unwrap();
        let imported = first.rows - first.errors.len();
        prop_assert_eq!((second.added, second.updated, second.unchanged), (0, 0, imported));
        prop_assert_eq!(second.errors, first.errors);
    });
}

// ---------------------------------------------------------------------------------------------------------
// PDFs through the worker process.

/// A one-page PDF with a text line, a correct xref table and optionally a CJK (Identity-H) font.
fn build_pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 700 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len() + 1),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    common::pdf_of(&objects.map(String::into_bytes))
}

/// Damaged PDFs: truncated, with bytes overwritten, a header followed by garbage, or random bytes.
fn damaged_pdf() -> impl Strategy<Value = Vec<u8>> {
    let text = "[A-Za-z ]{1,40}";
    prop_oneof![
        (text, any::<prop::sample::Index>()).prop_map(|(t, cut)| {
            let pdf = build_pdf(&t);
            pdf[..cut.index(pdf.len() + 1)].to_vec()
        }),
        (
            text,
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)
        )
            .prop_map(|(t, edits)| {
                let mut pdf = build_pdf(&t);
                for (at, b) in edits {
                    let i = at.index(pdf.len());
                    pdf[i] = b;
                }
                pdf
            }),
        (
            text,
            prop::collection::vec(
                (
                    any::<prop::sample::Index>(),
                    prop::sample::select(vec![
                        "0",
                        "-1",
                        "99999999999",
                        "4294967295",
                        "R",
                        "<<",
                        ">>",
                        "[",
                        "]",
                        "/Type",
                        "/Pages",
                        "/Kids",
                        "obj",
                        "endobj",
                        "stream",
                        "endstream",
                        "1 0 R",
                        "3 0 R",
                        "2 0 R",
                        "()",
                        "(",
                        "/Length",
                        "/Contents",
                        "/Font",
                        "Tj",
                        "TJ",
                        "BT",
                        "ET",
                        "Tf",
                        "1e308",
                        "NaN",
                        "",
                    ]),
                ),
                1..8,
            ),
        )
            .prop_map(|(t, edits)| {
                // Tokens of a valid file replaced by other PDF tokens: wrong numbers, references and operators.
                let pdf = String::from_utf8(build_pdf(&t)).unwrap();
                let mut tokens: Vec<String> = pdf.split(' ').map(str::to_string).collect();
                for (at, token) in edits {
                    let i = at.index(tokens.len());
                    tokens[i] = token.to_string();
                }
                tokens.join(" ").into_bytes()
            }),
        prop::collection::vec(any::<u8>(), 0..2000).prop_map(|garbage| {
            let mut pdf = b"%PDF-1.7\n".to_vec();
            pdf.extend(garbage);
            pdf
        }),
        prop::collection::vec(any::<u8>(), 0..2000),
    ]
}

/// Cases for the PDF property: each starts a process, so one in sixteen of `PROPTEST_CASES`.
fn pdf_config() -> ProptestConfig {
    let mut c = config(16);
    if std::env::var_os("PROPTEST_CASES").is_some() {
        c.cases = (c.cases / 16).max(16);
    }
    c.max_shrink_iters = 64;
    c
}

#[test]
fn damaged_pdfs_in_the_worker_are_clear_errors() {
    let opts = ExtractOptions {
        pdf: PdfIsolation::Process(PathBuf::from(env!("CARGO_BIN_EXE_yusuan"))),
        pdf_timeout: Duration::from_secs(20),
        ..ExtractOptions::default()
    };
    proptest!(pdf_config(), |(bytes in damaged_pdf())| {
        match extract(Path::new("x.pdf"), &bytes, &opts) {
            Ok(out) => prop_assert!(!out.text.trim().is_empty()),
            Err(
                ExtractError::PdfBroken(_)
                | ExtractError::PdfNoText
                | ExtractError::PdfTimeout(_)
                | ExtractError::Empty,
            ) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    });
}

#[test]
fn damaged_pdfs_on_a_parser_thread_are_clear_errors() {
    let opts = ExtractOptions {
        pdf: PdfIsolation::Thread,
        pdf_timeout: Duration::from_secs(20),
        ..ExtractOptions::default()
    };
    proptest!(config(128), |(bytes in damaged_pdf())| {
        match extract(Path::new("x.pdf"), &bytes, &opts) {
            Ok(out) => prop_assert!(!out.text.trim().is_empty()),
            Err(
                ExtractError::PdfBroken(_)
                | ExtractError::PdfNoText
                | ExtractError::PdfTimeout(_)
                | ExtractError::Empty,
            ) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    });
}

#[test]
fn a_whole_generated_pdf_is_read_in_the_worker() {
    let opts = ExtractOptions {
        pdf: PdfIsolation::Process(PathBuf::from(env!("CARGO_BIN_EXE_yusuan"))),
        pdf_timeout: Duration::from_secs(20),
        ..ExtractOptions::default()
    };
    let out = extract(Path::new("x.pdf"), &build_pdf("Budget Report"), &opts).unwrap();
    assert_eq!(out.text, "Budget Report\n");
}

// ---------------------------------------------------------------------------------------------------------
// URL parameters.

/// One `key=value` pair of a query string: numbers near the limits for paging, valid and invalid labels for
/// filters, queries, and malformed escapes.
fn query_pair() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        (0usize..400).prop_map(|n| n.to_string()),
        any::<usize>().prop_map(|n| n.to_string()),
        Just(usize::MAX.to_string()),
        Just((usize::MAX / 20 + 2).to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "",
            " 7 ",
            "1e3",
            "0x10",
            "２０",
            "+5",
            "99999999999999999999999"
        ])
        .prop_map(str::to_string),
    ];
    let label = prop_oneof![
        prop::sample::select(vec![
            "法律",
            "决算",
            "预算",
            "行政法规",
            "有效",
            "已废止",
            "document",
            "article",
            "best",
            "date",
            "relevance",
            "2018..2022",
            "..2010",
            "2018..",
            "..",
            "2020",
            "0",
            "99999",
            "-2020",
            "205",
            "2050202",
            "上海",
            "代表建议",
            "A",
            "满意",
            "是",
            "2024-03-20",
            "2024-02-30",
            "小说",
            "",
        ])
        .prop_map(str::to_string),
        messy_text(8),
    ];
    let filter_keys = prop::sample::select(vec![
        "kind",
        "level",
        "region",
        "status",
        "subject",
        "topic",
        "unit",
        "sort",
        "year",
        "budget",
        "type",
        "grade",
        "satisfaction",
        "overdue",
        "due_soon",
        "today",
        "delegation",
        "category",
        "key",
        "code",
        "column",
        "table",
        "doc",
        "x",
        "",
    ]);
    prop_oneof![
        3 => (prop::sample::select(vec!["offset", "page", "limit"]), number)
            .prop_map(|(k, v)| format!("{k}={}", encode_component(&v))),
        4 => (filter_keys, label).prop_map(|(k, v)| format!("{k}={}", encode_component(&v))),
        2 => query_text().prop_map(|q| format!("q={}", encode_component(&q))),
        1 => prop::sample::select(vec![
            "q", "q=", "=", "&", "q=%", "q=%4", "q=%zz", "q=%FF", "q=%+1", "q=%-1", "q=%E9%A2", "q=+",
            "kind", "page=", "q%20=1", "%71=a",
        ])
        .prop_map(str::to_string),
        1 => messy_text(10),
    ]
}

fn query_string() -> impl Strategy<Value = String> {
    prop::collection::vec(query_pair(), 0..6).prop_map(|pairs| pairs.join("&"))
}

#[test]
fn url_parameters_parse_or_are_bad_requests() {
    use yusuan::web::error::AppError;
    let dir = tempfile::tempdir().unwrap();
    let lib = small_library(dir.path());
    proptest!(config(256), |(raw in prop_oneof![4 => query_string(), 1 => messy_text(40)])| {
        let parsed = match SearchParams::parse(Some(&raw)) {
            Ok(p) => p,
            Err(AppError::BadRequest(m)) => {
                prop_assert!(!m.is_empty());
                return Ok(());
            }
            Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        // Written back, the parameters read the same.
        let again = SearchParams::parse(Some(&parsed.to_query())).unwrap();
        prop_assert_eq!(&again, &parsed);
        match parsed.request(&lib.config) {
            Ok(req) => match search::search(&lib, &req) {
                Ok(_) | Err(Error::Query(_)) => {}
                Err(other) => prop_assert!(false, "{other:?}"),
            },
            Err(AppError::BadRequest(m)) => prop_assert!(!m.is_empty()),
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    });
}

#[test]
fn components_round_trip_and_bad_escapes_are_refused() {
    let junk = prop_oneof![
        "%[^0-9A-Fa-f][0-9A-Fa-f]?",
        "%[0-9A-Fa-f][^0-9A-Fa-f]",
        "%[+-][0-9A-Fa-f]",
        "%[0-9A-Fa-f]?",
    ];
    proptest!(config(512), |(s in messy_text(30), junk in junk)| {
        prop_assert_eq!(decode_component(&encode_component(&s)).unwrap(), s);
        prop_assert!(decode_component(&junk).is_err(), "{junk:?} was accepted");
    });
}

/// Every page and API that reads search or list parameters answers arbitrary query strings with a page, a
/// 400 or a 404: never a panic or a server error.
#[test]
fn routes_answer_arbitrary_query_strings_without_server_errors() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let corpus = common::corpus(dir.path());
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/reference");
    std::fs::create_dir_all(corpus.join("reference")).unwrap();
    for f in std::fs::read_dir(&reference).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, corpus.join("reference").join(f.file_name().unwrap())).unwrap();
    }
    let state = common::started(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let paths = prop::sample::select(vec![
        "/",
        "/search",
        "/api/search",
        "/subjects",
        "/subjects/205",
        "/api/subjects",
        "/api/subjects/205",
        "/api/facts",
        "/topics",
        "/api/topics",
        "/proposals",
        "/api/proposals",
        "/proposals/dashboard",
        "/api/proposals/dashboard",
    ]);
    proptest!(config(256), |(path in paths, raw in query_string())| {
        let Ok(mut req) = Request::get(format!("{path}?{raw}")).body(Body::empty()) else {
            return Ok(());
        };
        // A logged-in staff member: every page is open, so every answer is the page's own.
        req.extensions_mut().insert(common::staff());
        let status = rt.block_on(async {
            let resp = yusuan::web::router(state.clone()).oneshot(req).await.unwrap();
            resp.status()
        });
        prop_assert!(
            status.is_success() || status.as_u16() == 400 || status.as_u16() == 404,
            "{path}?{raw}: {status}"
        );
    });
}
