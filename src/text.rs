//! Text normalisation shared by extraction, indexing, querying and highlighting.
//!
//! Two layers: `clean` repairs extracted text once (it becomes the stored text); `fold` maps a text to its
//! search form (half-width, lower case, simplified Chinese) character by character, so that every folded
//! character points back to a byte offset in the original.

use unicode_normalization::UnicodeNormalization;

/// Kangxi and CJK radical code points that some PDF producers emit instead of the ordinary ideographs.
const RADICAL_FIXES: &[(char, char)] = &[
    ('⺠', '民'),
    ('⻓', '长'),
    ('⻔', '门'),
    ('⻢', '马'),
    ('⻛', '风'),
    ('⻉', '贝'),
    ('⻋', '车'),
    ('⻅', '见'),
    ('⻘', '青'),
    ('⻝', '食'),
    ('⻜', '飞'),
    ('⻚', '页'),
    ('⼀', '一'),
    ('⼆', '二'),
    ('⼈', '人'),
    ('⼊', '入'),
    ('⼒', '力'),
    ('⼤', '大'),
    ('⼯', '工'),
    ('⽀', '支'),
    ('⽂', '文'),
    ('⽅', '方'),
    ('⽇', '日'),
    ('⽉', '月'),
    ('⽔', '水'),
    ('⾦', '金'),
    ('⾏', '行'),
    ('⾯', '面'),
];

/// Whether `c` is a CJK ideograph (the characters indexed as bigrams).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3007)
}

/// Repairs extracted text: NFKC (full-width letters and digits become ASCII, compatibility ideographs become
/// ordinary ones), radical code points mapped to ideographs, control characters dropped, line ends unified,
/// trailing spaces trimmed and runs of blank lines collapsed. Chinese punctuation (，。（）) is kept as written.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = RADICAL_FIXES
            .iter()
            .find(|(from, _)| *from == c)
            .map(|(_, to)| *to)
            .unwrap_or(c);
        match c {
            '\r' => continue,
            '\t' => out.push(' '),
            '\u{3000}' => out.push(' '),
            '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' => continue,
            c if c.is_control() && c != '\n' => continue,
            // Keep Chinese full-width punctuation; NFKC would turn （，：； into ASCII.
            '，' | '。' | '、' | '；' | '：' | '？' | '！' | '（' | '）' | '“' | '”' | '‘'
            | '’' | '《' | '》' | '〔' | '〕' | '【' | '】' | '…' | '—' | '·' => {
                out.push(c)
            }
            c if c.is_ascii() || is_cjk(c) => out.push(c),
            c => out.extend(std::iter::once(c).nfkc()),
        }
    }
    let mut result = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            if blank == 1 && !result.is_empty() {
                result.push('\n');
            }
            continue;
        }
        blank = 0;
        result.push_str(line);
        result.push('\n');
    }
    while result.ends_with("\n\n") {
        result.pop();
    }
    result
}

/// The search form of one character: ASCII lower case, full-width forms to half-width, ideographic space to
/// space. (Traditional-to-simplified conversion is done on whole strings by `fold`.)
fn fold_char(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => {
            let half = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
            half.to_ascii_lowercase()
        }
        c => c.to_ascii_lowercase(),
    }
}

/// A folded text: the search form of a text and, for each folded character, the byte offset of the original
/// character it came from.
#[derive(Debug, Clone)]
pub struct Folded {
    pub chars: Vec<char>,
    /// `offsets[i]` is the byte offset in the original text of `chars[i]`; one extra entry holds the length.
    pub offsets: Vec<usize>,
}

impl Folded {
    /// The folded text as a string.
    pub fn as_string(&self) -> String {
        self.chars.iter().collect()
    }
}

/// Folds `text` to its search form, keeping one folded character per original character.
/// Traditional characters become simplified where the conversion keeps the character count.
pub fn fold(text: &str) -> Folded {
    let mut chars = Vec::with_capacity(text.len() / 2);
    let mut offsets = Vec::with_capacity(text.len() / 2 + 1);
    for (i, c) in text.char_indices() {
        chars.push(fold_char(c));
        offsets.push(i);
    }
    offsets.push(text.len());
    // The conversion also maps non-ideographs (「」 → “”), so any non-ASCII text goes through it: gated on
    // ideographs alone, 「 folded one way inside a Chinese sentence and another way on its own.
    if chars.iter().any(|c| !c.is_ascii()) {
        let s: String = chars.iter().collect();
        let simplified = zhconv::zhconv(&s, zhconv::Variant::ZhHans);
        if simplified != s {
            let simp: Vec<char> = simplified.chars().collect();
            if simp.len() == chars.len() {
                chars = simp;
            } else {
                // Rare phrase conversions change the length: fall back to character by character.
                for c in chars.iter_mut() {
                    if *c as u32 >= 0x4E00 {
                        let one = zhconv::zhconv(&c.to_string(), zhconv::Variant::ZhHans);
                        let mut it = one.chars();
                        if let (Some(s), None) = (it.next(), it.next()) {
                            *c = s;
                        }
                    }
                }
            }
        }
    }
    join_quoted_words(&mut chars, &mut offsets);
    Folded { chars, offsets }
}

/// Whether a character is a quotation mark (after folding: “ ” ‘ ’ " ' 「 」 『 』).
pub fn is_quote(c: char) -> bool {
    matches!(
        c,
        '“' | '”' | '‘' | '’' | '"' | '\'' | '「' | '」' | '『' | '』'
    )
}

/// Drops the quotation marks that stand between two ideographs, so that a word written with part of it in
/// quotes (财政拨款“三公”经费) matches the word written plainly (三公经费), in the index and in queries alike.
/// The offsets of the remaining characters are kept, so snippets still show the text as written.
fn join_quoted_words(chars: &mut Vec<char>, offsets: &mut Vec<usize>) {
    if !chars.iter().copied().any(is_quote) {
        return;
    }
    // Whether the nearest character that is not a quotation mark, before and after each position, is an
    // ideograph: two linear passes, so that a run of quotation marks costs no more than its length.
    let mut cjk_before = vec![false; chars.len()];
    let mut last = false;
    for (i, &c) in chars.iter().enumerate() {
        cjk_before[i] = last;
        if !is_quote(c) {
            last = is_cjk(c);
        }
    }
    let mut drop = vec![false; chars.len()];
    let mut next = false;
    for (i, &c) in chars.iter().enumerate().rev() {
        if is_quote(c) {
            drop[i] = cjk_before[i] && next;
        } else {
            next = is_cjk(c);
        }
    }
    let mut k = 0;
    chars.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    let mut k = 0;
    offsets.retain(|_| {
        k += 1;
        drop.get(k - 1) != Some(&true)
    });
}

/// Folds a string and returns only the search form (for queries and dictionary terms).
pub fn fold_str(text: &str) -> String {
    fold(text).as_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_repairs_radicals_and_width() {
        assert_eq!(
            clean("人⺠代表\r\n\n\n\nＡＢＣ１２３"),
            "人民代表\n\nABC123\n"
        );
        assert_eq!(clean("预算，（一）"), "预算，（一）\n");
    }

    #[test]
    fn fold_maps_width_case_and_traditional() {
        let f = fold("預算ＡＢ法");
        assert_eq!(f.as_string(), "预算ab法");
        assert_eq!(f.offsets, vec![0, 3, 6, 9, 12, 15]);
        assert_eq!(fold_str("國務院"), "国务院");
    }

    #[test]
    fn quotation_marks_inside_a_word_do_not_split_it() {
        let text = "财政拨款“三公”经费支出";
        let f = fold(text);
        assert_eq!(f.as_string(), "财政拨款三公经费支出");
        // Offsets still point into the text as written: each character keeps its own (a span ends where the
        // next kept character starts), the last one is the length.
        assert_eq!(&text[f.offsets[4]..f.offsets[6]], "三公”");
        assert_eq!(&text[f.offsets[4]..f.offsets[8]], "三公”经费");
        assert_eq!(f.offsets.last(), Some(&text.len()));
        assert_eq!(f.offsets.len(), f.chars.len() + 1);
        // Quotes around a whole phrase, or beside punctuation and Latin letters, stay.
        assert_eq!(fold_str("“三公”经费"), "“三公经费");
        assert_eq!(fold_str("所谓“三公”，是指"), "所谓三公”,是指");
        assert_eq!(fold_str("the \"budget\" law"), "the \"budget\" law");
        assert_eq!(fold_str("「预算」法"), format!("{}预算法", fold_str("「")));
    }

    #[test]
    fn punctuation_folds_the_same_alone_and_in_a_sentence() {
        // Found by tests/fuzz.rs: 「 folded to “ next to an ideograph but stayed 「 on its own.
        assert_eq!(
            fold("「一").chars[0],
            fold_str("「").chars().next().unwrap()
        );
        assert_eq!(
            fold_str("「」"),
            fold("「预算」").as_string().replace("预算", "")
        );
    }
}
