//! Chinese text analysis: jieba search-mode words and CJK bigrams over the folded text, as tantivy tokenizers.
//!
//! Both views fold the text first (`crate::text::fold`), so full/half-width and traditional/simplified forms
//! match each other, and both report byte offsets into the original text.

use crate::error::{Error, Result};
use crate::text::{Folded, fold, is_cjk};
use jieba_rs::{Jieba, TokenizeMode};
use std::io::BufRead;
use std::path::Path;
use std::sync::{Arc, LazyLock};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The file of query expansions, beside the user dictionary in the reference folder.
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// Words that carry no meaning for retrieval in questions (they are still indexed).
static STOPWORDS: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    [
        "的",
        "了",
        "在",
        "是",
        "和",
        "与",
        "或",
        "及",
        "以及",
        "等",
        "对",
        "对于",
        "从",
        "由",
        "被",
        "把",
        "将",
        "向",
        "为",
        "为了",
        "以",
        "于",
        "之",
        "其",
        "该",
        "这",
        "那",
        "这个",
        "那个",
        "这些",
        "那些",
        "有",
        "没有",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "什么",
        "怎么",
        "怎样",
        "怎么样",
        "如何",
        "哪些",
        "哪个",
        "哪",
        "谁",
        "是否",
        "能否",
        "可否",
        "可以",
        "能",
        "能够",
        "会",
        "要",
        "需要",
        "应该",
        "应",
        "应当",
        "吗？",
        "我",
        "我们",
        "你",
        "你们",
        "他",
        "她",
        "他们",
        "它",
        "自己",
        "一个",
        "个",
        "些",
        "就",
        "都",
        "也",
        "还",
        "又",
        "再",
        "而",
        "并",
        "但",
        "但是",
        "如果",
        "因为",
        "所以",
        "因此",
        "则",
        "即",
        "又",
        "到",
        "去",
        "上",
        "下",
        "中",
        "里",
        "后",
        "前",
        "时",
        "时候",
        "多少",
        "几",
        "请问",
        "问",
        "一下",
        "情况",
        "有关",
        "相关",
        "规定",
        "法律",
        "怎么办",
        "啥",
        "咋",
        "办",
        "算",
        "不",
        "没",
        "得",
        "着",
        "过",
        "让",
        "给",
        "被",
        "所",
        "如",
        "若",
    ]
    .into_iter()
    .collect()
});

/// Whether `word` (folded) is a stopword for question queries.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(word)
}

/// Colloquial words of lay questions that say nothing about the legal matter (pronouns, hedges, question
/// frames): dropped from natural-language questions in addition to `STOPWORDS`.
static QUESTION_STOPWORDS: LazyLock<std::collections::HashSet<&'static str>> =
    LazyLock::new(|| {
        [
            "我的",
            "你的",
            "他的",
            "她的",
            "我家",
            "咱们",
            "人家",
            "别人",
            "某",
            "某人",
            "某某",
            "一些",
            "这样",
            "那样",
            "这种",
            "那种",
            "这么",
            "那么",
            "怎么回事",
            "为什么",
            "为何",
            "是不是",
            "有没有",
            "能不能",
            "可不可以",
            "会不会",
            "要不要",
            "该不该",
            "应不应该",
            "行不行",
            "可以吗",
            "合法吗",
            "违法吗",
            "算不算",
            "属于",
            "是否是",
            "怎么样",
            "如何处理",
            "怎么处理",
            "处理",
            "什么样",
            "哪种",
            "哪儿",
            "哪里",
            "多久",
            "多长",
            "一般",
            "通常",
            "现在",
            "已经",
            "还是",
            "或者",
            "而且",
            "然后",
            "之后",
            "之前",
            "时候",
            "的话",
            "就是",
            "只是",
            "还有",
            "呢？",
            "吗？",
            "想",
            "想要",
            "打算",
            "准备",
            "发现",
            "知道",
            "告诉",
            "觉得",
            "认为",
            "希望",
            "请",
            "您",
            "您好",
            "谢谢",
            "问题",
            "事情",
            "一下",
            "具体",
            "主要",
            "内容",
            "方面",
            "依据",
            "根据",
            "法律规定",
            "规定",
            "条件",
            "情形",
            "怎么",
            "咋办",
            "能否",
            "可否",
            "是否",
            "么",
            "吗",
            "呢",
            "啊",
            "吧",
            "的",
            "了",
            "在",
            "是",
        ]
        .into_iter()
        .collect()
    });

/// Whether `word` (folded) carries no meaning in a natural-language question.
pub fn is_question_stopword(word: &str) -> bool {
    STOPWORDS.contains(word) || QUESTION_STOPWORDS.contains(word)
}

/// Query expansions from everyday words and abbreviations to the words statutes use, kept as data
/// (`synonyms.txt` in the reference folder). Lines: `A B C` (each term expands to the others) or
/// `A => B C` (one way); `#` comments. Terms are folded when loaded.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    map: std::collections::HashMap<String, Vec<String>>,
}

impl Synonyms {
    /// Parses synonym rules; a malformed line is an error naming `origin` and the line.
    pub fn parse(text: &str, origin: &str) -> Result<Synonyms> {
        let mut map: std::collections::HashMap<String, Vec<String>> = Default::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| Error::Invalid(format!("{origin} line {}: {why}: {line}", i + 1));
            let (from, to): (Vec<&str>, Vec<&str>) = match line.split_once("=>") {
                Some((l, r)) => {
                    if r.contains("=>") {
                        return Err(bad("more than one =>"));
                    }
                    (
                        l.split_whitespace().collect(),
                        r.split_whitespace().collect(),
                    )
                }
                None => {
                    let all: Vec<&str> = line.split_whitespace().collect();
                    (all.clone(), all)
                }
            };
            if from.is_empty() || to.is_empty() || (from.len() == 1 && from == to) {
                return Err(bad("a rule needs a term and at least one other term"));
            }
            for t in from.iter().chain(&to) {
                if t.chars().any(|c| !(c.is_alphanumeric() || c == '·')) {
                    return Err(bad("a term may hold only letters and digits"));
                }
            }
            for f in &from {
                let f = crate::text::fold_str(f);
                let entry = map.entry(f.clone()).or_default();
                for t in &to {
                    let t = crate::text::fold_str(t);
                    if t == f {
                        continue;
                    }
                    if !entry.contains(&t) {
                        entry.push(t);
                    }
                }
            }
        }
        Ok(Synonyms { map })
    }

    /// Reads a synonym file (see `parse`).
    pub fn load(path: &Path) -> Result<Synonyms> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Synonyms::parse(&text, &path.display().to_string())
    }

    /// The expansions of a folded word (empty when it has none).
    pub fn expand(&self, word: &str) -> &[String] {
        self.map.get(word).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Number of terms with expansions.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The segmenter: jieba with the default dictionary plus the project's user dictionary.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    synonyms: Arc<Synonyms>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyzer")
    }
}

impl Analyzer {
    /// The default dictionary only.
    pub fn new() -> Analyzer {
        Analyzer {
            jieba: Arc::new(Jieba::new()),
            synonyms: Arc::default(),
        }
    }

    /// The default dictionary plus a user dictionary file (`word [freq] [tag]` per line, `#` comments), and
    /// the query expansions of `synonyms.txt` in the same folder when it exists.
    /// A malformed line in either file is an error naming the file and line.
    pub fn with_user_dict(path: &Path) -> Result<Analyzer> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut jieba = Jieba::new();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| Error::io(path, e))?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let word = parts.next().unwrap_or_default();
            let freq = parts.next().map(|f| f.parse::<usize>());
            let tag = parts.next();
            let bad = |why: &str| {
                Error::Invalid(format!("{} line {}: {why}: {line}", path.display(), i + 1))
            };
            if parts.next().is_some() {
                return Err(bad("more than three fields"));
            }
            if word
                .chars()
                .any(|c| c.is_ascii_punctuation() || "，。、；：？！（）《》".contains(c))
            {
                return Err(bad("punctuation in a word"));
            }
            let freq = match freq {
                Some(Ok(f)) => Some(f),
                Some(Err(_)) => return Err(bad("frequency is not a whole number")),
                None => None,
            };
            jieba.add_word(&crate::text::fold_str(word), freq, tag);
        }
        let synonyms_file = path.with_file_name(SYNONYMS_FILE);
        let synonyms = if synonyms_file.exists() {
            Synonyms::load(&synonyms_file)?
        } else {
            Synonyms::default()
        };
        Ok(Analyzer {
            jieba: Arc::new(jieba),
            synonyms: Arc::new(synonyms),
        })
    }

    /// The same analyzer with other query expansions.
    pub fn with_synonyms(mut self, synonyms: Synonyms) -> Analyzer {
        self.synonyms = Arc::new(synonyms);
        self
    }

    /// The query expansions (from `synonyms.txt` beside the user dictionary, if present).
    pub fn synonyms(&self) -> &Synonyms {
        &self.synonyms
    }

    /// Search-mode words of a folded text as (word, first char index, end char index).
    pub fn words<'a>(&self, folded: &'a str) -> Vec<(&'a str, usize, usize)> {
        self.jieba
            .tokenize(folded, TokenizeMode::Search, true)
            .into_iter()
            .filter(|t| t.word.chars().any(|c| c.is_alphanumeric()))
            .map(|t| (t.word, t.start, t.end))
            .collect()
    }

    /// Default-mode (coarsest) words of a folded text, for deciding what a query's units are.
    pub fn coarse_words<'a>(&self, folded: &'a str) -> Vec<&'a str> {
        self.jieba
            .cut(folded, true)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| w.chars().any(|c| c.is_alphanumeric()))
            .collect()
    }

    /// The tantivy tokenizer for the word view.
    pub fn word_tokenizer(&self) -> WordTokenizer {
        WordTokenizer {
            analyzer: self.clone(),
        }
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

/// A token stream over precomputed tokens.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Words longer than this many bytes are not indexed (tantivy's limit is 65,530).
const MAX_TOKEN_BYTES: usize = 120;

/// jieba search-mode words of the folded text; offsets point into the original text.
#[derive(Clone)]
pub struct WordTokenizer {
    analyzer: Analyzer,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let folded = fold(text);
        let s = folded.as_string();
        let tokens = self
            .analyzer
            .words(&s)
            .into_iter()
            .filter(|(w, _, _)| w.len() <= MAX_TOKEN_BYTES)
            .enumerate()
            .map(|(position, (w, start, end))| Token {
                offset_from: folded.offsets[start],
                offset_to: folded.offsets[end],
                position,
                text: w.to_string(),
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

/// One bigram-view token: its text and the folded char range it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gram {
    pub text: String,
    pub position: usize,
    pub start: usize,
    pub end: usize,
}

/// The bigram view of folded characters: in a CJK run, position i carries the unigram c[i] and the bigram
/// c[i]c[i+1]; a run of ASCII letters and digits is one token; everything else separates tokens.
/// With `query_form`, a CJK run of two or more characters yields only its bigrams (what a phrase needs).
pub fn grams(folded: &Folded, query_form: bool) -> Vec<Gram> {
    let chars = &folded.chars;
    let mut out = Vec::new();
    let mut position = 0usize;
    let mut i = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            let run = &chars[start..i];
            for k in 0..run.len() {
                let single = run.len() == 1;
                if !query_form || single {
                    out.push(Gram {
                        text: run[k].to_string(),
                        position,
                        start: start + k,
                        end: start + k + 1,
                    });
                }
                if k + 1 < run.len() {
                    out.push(Gram {
                        text: run[k..k + 2].iter().collect(),
                        position,
                        start: start + k,
                        end: start + k + 2,
                    });
                }
                // Every character takes a position in both forms, so that what follows a run lines up.
                position += 1;
            }
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() && !is_cjk(chars[i]) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            if text.len() <= MAX_TOKEN_BYTES {
                out.push(Gram {
                    text,
                    position,
                    start,
                    end: i,
                });
            }
            position += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The tantivy tokenizer for the bigram view.
#[derive(Clone, Default)]
pub struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let folded = fold(text);
        let tokens = grams(&folded, false)
            .into_iter()
            .map(|g| Token {
                offset_from: folded.offsets[g.start],
                offset_to: folded.offsets[g.end],
                position: g.position,
                text: g.text,
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(g: &[Gram]) -> Vec<(String, usize)> {
        g.iter().map(|g| (g.text.clone(), g.position)).collect()
    }

    #[test]
    fn bigrams_index_and_query_forms() {
        let f = fold("预算法 第46条");
        let idx = grams(&f, false);
        assert_eq!(
            texts(&idx),
            [
                ("预".into(), 0),
                ("预算".into(), 0),
                ("算".into(), 1),
                ("算法".into(), 1),
                ("法".into(), 2),
                ("第".into(), 3),
                ("46".into(), 4),
                ("条".into(), 5)
            ]
        );
        let q = grams(&fold("预算法"), true);
        assert_eq!(texts(&q), [("预算".into(), 0), ("算法".into(), 1)]);
        let q = grams(&fold("部门决算2024年"), true);
        assert_eq!(
            texts(&q),
            [
                ("部门".into(), 0),
                ("门决".into(), 1),
                ("决算".into(), 2),
                ("2024".into(), 4),
                ("年".into(), 5)
            ]
        );
        let q = grams(&fold("第46条"), true);
        assert_eq!(
            texts(&q),
            [("第".into(), 0), ("46".into(), 1), ("条".into(), 2)]
        );
    }

    #[test]
    fn word_tokens_have_original_byte_offsets() {
        let a = Analyzer::new();
        let text = "ＡＢ國務院預算";
        let mut t = a.word_tokenizer();
        let mut stream = t.token_stream(text);
        let mut seen = Vec::new();
        while stream.advance() {
            let tok = stream.token();
            seen.push((
                tok.text.clone(),
                text[tok.offset_from..tok.offset_to].to_string(),
            ));
        }
        assert!(seen.contains(&("ab".into(), "ＡＢ".into())), "{seen:?}");
        assert!(
            seen.contains(&("国务院".into(), "國務院".into())),
            "{seen:?}"
        );
        assert!(seen.contains(&("预算".into(), "預算".into())), "{seen:?}");
    }

    #[test]
    fn search_mode_finds_inner_words() {
        let a = Analyzer::new();
        let words: Vec<&str> = a
            .words("中国农业发展银行")
            .into_iter()
            .map(|w| w.0)
            .collect();
        assert!(words.contains(&"农业"), "{words:?}");
    }

    #[test]
    fn synonyms_expand_both_ways_and_one_way() {
        let s = Synonyms::parse(
            "# comment\n人大常委会 => 人民代表大会常务委员会\n工资 薪水 劳动报酬\n",
            "test",
        )
        .unwrap();
        assert_eq!(s.expand("人大常委会"), ["人民代表大会常务委员会"]);
        assert!(s.expand("人民代表大会常务委员会").is_empty());
        assert_eq!(s.expand("薪水"), ["工资", "劳动报酬"]);
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn synonyms_reject_malformed_lines() {
        for (text, needle) in [
            ("工资\n", "at least one other term"),
            ("工资 => \n", "at least one other term"),
            ("工资 => 工资\n", "at least one other term"),
            ("a => b => c\n", "more than one =>"),
            ("工资，薪水 劳动报酬\n", "only letters and digits"),
        ] {
            let err = Synonyms::parse(&format!("# v1\n{text}"), "syn.txt")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("syn.txt line 2") && err.contains(needle),
                "{err}"
            );
        }
    }

    #[test]
    fn the_project_synonym_list_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/reference/synonyms.txt");
        let s = Synonyms::load(&path).unwrap();
        assert!(s.len() > 100, "{}", s.len());
    }

    #[test]
    fn question_stopwords_cover_colloquial_frames() {
        for w in ["我", "怎么办", "是不是", "可以吗", "什么"] {
            assert!(is_question_stopword(w), "{w}");
        }
        for w in ["配偶", "工资", "他人"] {
            assert!(!is_question_stopword(w), "{w}");
        }
    }

    #[test]
    fn user_dict_rejects_malformed_lines() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.txt");
        std::fs::write(&good, "# comment\n一般公共预算 20000 n\n三公经费\n").unwrap();
        let a = Analyzer::with_user_dict(&good).unwrap();
        assert_eq!(a.coarse_words("一般公共预算"), ["一般公共预算"]);
        let bad = dir.path().join("bad.txt");
        std::fs::write(&bad, "预算 abc n\n").unwrap();
        let err = Analyzer::with_user_dict(&bad).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
