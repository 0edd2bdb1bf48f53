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
    /// The expansions of every term that occurs in `text` (folded): all a query of that text can be
    /// expanded with.
    pub fn expansions_within<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> {
        self.map
            .iter()
            .filter(move |(k, _)| text.contains(k.as_str()))
            .flat_map(|(_, v)| v.iter().map(String::as_str))
    }

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
    /// Built for a few texts only (`for_texts`).
    scoped: bool,
}

/// jieba's default dictionary, the file the jieba crate embeds (`word freq tag` per line; MIT licence, from
/// the jieba project), read by `Analyzer::for_texts`. Kept uncompressed: reading it costs no inflating.
static DEFAULT_DICT: &[u8] = include_bytes!("jieba-dict.txt");

/// The first characters of words (a bitmap of the Basic Multilingual Plane), to pass over most dictionary
/// lines without decoding or hashing them.
struct Prefixes(Vec<u64>);

impl Prefixes {
    fn new() -> Prefixes {
        Prefixes(vec![0; (1 << 16) / 64])
    }
    /// The code of the word's first character from its UTF-8 bytes (past the plane: one shared slot).
    fn key(word: &[u8]) -> usize {
        match word {
            [a, ..] if *a < 0x80 => usize::from(*a),
            [a, b, ..] if *a < 0xE0 => (usize::from(a & 0x1F) << 6) | usize::from(b & 0x3F),
            [a, b, c, ..] if *a < 0xF0 => {
                (usize::from(a & 0x0F) << 12) | (usize::from(b & 0x3F) << 6) | usize::from(c & 0x3F)
            }
            _ => 0xFFFF,
        }
    }
    fn insert(&mut self, word: &[u8]) {
        let k = Self::key(word);
        self.0[k >> 6] |= 1 << (k & 63);
    }
    fn may_hold(&self, word: &[u8]) -> bool {
        let k = Self::key(word);
        self.0[k >> 6] & (1 << (k & 63)) != 0
    }
}

/// The longest dictionary word considered, in characters.
const MAX_WORD_CHARS: usize = 40;

/// A dictionary entry no folded text contains (private-use characters), carrying the frequency of the
/// words left out so that jieba's total stays that of the whole dictionary.
const FILLER: &str = "\u{F8F0}\u{F8F1}\u{F8F2}\u{F8F3}\u{F8F4}\u{F8F5}";

/// One line of a user dictionary, folded.
struct UserWord {
    word: String,
    freq: Option<usize>,
    tag: Option<String>,
}

/// Reads a user dictionary file (`word [freq] [tag]` per line, `#` comments); a malformed line is an error
/// naming the file and line.
fn read_user_dict(path: &Path) -> Result<Vec<UserWord>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
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
        let bad =
            |why: &str| Error::Invalid(format!("{} line {}: {why}: {line}", path.display(), i + 1));
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
        out.push(UserWord {
            word: crate::text::fold_str(word),
            freq,
            tag: tag.map(str::to_string),
        });
    }
    Ok(out)
}

/// The query expansions of `synonyms.txt` beside a user dictionary, when it exists.
fn synonyms_beside(user_dict: &Path) -> Result<Synonyms> {
    let file = user_dict.with_file_name(SYNONYMS_FILE);
    if file.exists() {
        Synonyms::load(&file)
    } else {
        Ok(Synonyms::default())
    }
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
            scoped: false,
        }
    }

    /// The default dictionary plus a user dictionary file (`word [freq] [tag]` per line, `#` comments), and
    /// the query expansions of `synonyms.txt` in the same folder when it exists.
    /// A malformed line in either file is an error naming the file and line.
    pub fn with_user_dict(path: &Path) -> Result<Analyzer> {
        let mut jieba = Jieba::new();
        for w in read_user_dict(path)? {
            jieba.add_word(&w.word, w.freq, w.tag.as_deref());
        }
        Ok(Analyzer {
            jieba: Arc::new(jieba),
            synonyms: Arc::new(synonyms_beside(path)?),
            scoped: false,
        })
    }

    /// A segmenter that cuts `texts`, and every part of them, exactly as the full one (the default dictionary
    /// plus `user_dict`) does, built only from the dictionary words that occur in them: jieba's choices
    /// depend on the words inside the text and on the dictionary's total frequency, which is kept by one
    /// filler entry that no text contains. It loads in a few milliseconds instead of a hundred, for a
    /// command that segments only its own query; it must never index a document (`is_scoped`). `None` when
    /// a user word has no frequency (jieba would derive it from the whole dictionary).
    pub fn for_texts(user_dict: Option<&Path>, texts: &[&str]) -> Result<Option<Analyzer>> {
        let user = match user_dict {
            Some(p) => read_user_dict(p)?,
            None => Vec::new(),
        };
        if user.iter().any(|w| w.freq.is_none()) {
            return Ok(None);
        }
        let synonyms = match user_dict {
            Some(p) => synonyms_beside(p)?,
            None => Synonyms::default(),
        };
        // Every piece of text jieba may be given: the texts as written and folded, and the expansions.
        let mut sources: Vec<String> = Vec::new();
        for t in texts {
            sources.push(t.to_string());
            sources.push(crate::text::fold_str(t));
        }
        let expansions: Vec<String> = sources
            .iter()
            .flat_map(|t| synonyms.expansions_within(t).map(str::to_string))
            .collect();
        sources.extend(expansions);
        let mut parts: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut prefixes = Prefixes::new();
        for s in &sources {
            let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            for (k, &a) in bounds.iter().enumerate() {
                prefixes.insert(&s.as_bytes()[a..]);
                for &b in bounds.iter().skip(k + 1).take(MAX_WORD_CHARS) {
                    parts.insert(&s[a..b]);
                }
            }
        }
        let user_words: std::collections::HashSet<&str> =
            user.iter().map(|w| w.word.as_str()).collect();
        for w in &user_words {
            prefixes.insert(w.as_bytes());
        }
        // As `Jieba::new` reads its dictionary: every line counts towards the total.
        let mut total: usize = 0;
        let mut kept: Vec<(&str, usize)> = Vec::new();
        let mut freq_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for line in DEFAULT_DICT.split(|&b| b == b'\n') {
            let mut fields = line
                .split(|&b| b == b' ' || b == b'\t' || b == b'\r')
                .filter(|f| !f.is_empty());
            let Some(word) = fields.next() else { continue };
            let freq = fields.next().map_or(0, |f| {
                f.iter()
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0usize, |n, b| n * 10 + usize::from(b - b'0'))
            });
            total += freq;
            if !prefixes.may_hold(word) {
                continue;
            }
            let Ok(word) = std::str::from_utf8(word) else {
                continue;
            };
            if parts.contains(word) {
                kept.push((word, freq));
            }
            if user_words.contains(word) {
                freq_of.insert(word, freq);
            }
        }
        // As `add_word` does for each user word in order: a known word's frequency is replaced.
        let mut user_kept: Vec<(&str, usize)> = Vec::new();
        for w in &user {
            let f = w.freq.unwrap_or(0);
            match freq_of.insert(w.word.as_str(), f) {
                Some(old) => total = total + f - old,
                None => total += f,
            }
            if parts.contains(w.word.as_str()) {
                user_kept.push((w.word.as_str(), f));
            }
        }
        // The kept words with their final frequencies (a user word's replaces the default one).
        let mut words: Vec<(&str, usize)> = Vec::new();
        let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for &(word, f) in kept.iter().chain(user_kept.iter()) {
            match at.get(word) {
                Some(&i) => words[i].1 = f,
                None => {
                    at.insert(word, words.len());
                    words.push((word, f));
                }
            }
        }
        let mut jieba = Jieba::empty();
        let mut dict = String::new();
        let mut sum = 0;
        for (word, f) in &words {
            sum += f;
            dict.push_str(&format!("{word} {f}\n"));
        }
        jieba
            .load_dict(&mut std::io::Cursor::new(dict))
            .map_err(|e| Error::Invalid(format!("dictionary: {e}")))?;
        if total > sum {
            jieba.add_word(FILLER, Some(total - sum), None);
        }
        Ok(Some(Analyzer {
            jieba: Arc::new(jieba),
            synonyms: Arc::new(synonyms),
            scoped: true,
        }))
    }

    /// Whether this analyzer only knows the words of some texts (`for_texts`).
    pub fn is_scoped(&self) -> bool {
        self.scoped
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

    /// Sentences of every kind the search meets: statute text, questions in lay words, budget terms of the
    /// user dictionary, numbers, Latin letters, traditional characters, words the dictionary lacks.
    const SENTENCES: &[&str] = &[
        "第四十六条 报送各级人民代表大会审查和批准的预算草案应当细化。本级一般公共预算支出，按其功能分类应当编列到项；按其经济性质分类，基本支出应当编列到款。",
        "国务院财政部门应当在每年全国人民代表大会会议举行的四十五日前，将中央预算草案的初步方案提交全国人民代表大会财政经济委员会进行初步审查。",
        "老板拖欠工资三个月不发，我能不能直接辞职并要求经济补偿？",
        "离婚后孩子的抚养费一般按照什么标准支付",
        "政府性基金预算、国有资本经营预算和社会保险基金预算的三公经费与转移支付",
        "全年财政赤字率拟按3.2%左右安排，发行4S店专项债券3.65万亿元",
        "國務院財政部門應當及時處理審查意見",
        "什么是“明知他人利用信息网络实施犯罪”",
        "翠鸟甲虫计划的义务教育经费",
        "ABC公司的Q3财报",
    ];

    #[test]
    fn a_segmenter_for_some_texts_cuts_them_and_their_parts_as_the_full_one() {
        let user = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/reference/userdict.txt");
        let full = Analyzer::with_user_dict(&user).unwrap();
        let plain = Analyzer::new();
        for s in SENTENCES {
            let f = crate::text::fold_str(s);
            let scoped = Analyzer::for_texts(Some(&user), &[s]).unwrap().unwrap();
            assert!(scoped.is_scoped() && !full.is_scoped());
            assert_eq!(scoped.words(&f), full.words(&f), "{s}");
            assert_eq!(scoped.coarse_words(&f), full.coarse_words(&f), "{s}");
            // A part of the text (a query word cut again, a phrase) is cut the same too.
            let half: String = f.chars().skip(f.chars().count() / 3).collect();
            assert_eq!(scoped.words(&half), full.words(&half), "{half}");
            let bare = Analyzer::for_texts(None, &[s]).unwrap().unwrap();
            assert_eq!(bare.words(&f), plain.words(&f), "{s}");
        }
        // Not knowing a text's words shows: a text it was not built for is cut differently.
        let other = crate::text::fold_str(SENTENCES[2]);
        let scoped = Analyzer::for_texts(Some(&user), &[SENTENCES[0]])
            .unwrap()
            .unwrap();
        assert_ne!(scoped.words(&other), full.words(&other));
    }

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
