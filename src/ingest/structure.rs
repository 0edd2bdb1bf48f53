//! Structure of regulations: 编/章/节 headings and 第X条 articles, found line by line in extracted text.

use crate::model::Heading;

/// An article found in a text, before it is given its document's ids and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDraft {
    pub number: u32,
    /// The label as written: 第四十六条, 第十七条之一.
    pub label: String,
    pub path: Vec<String>,
    pub text: String,
    /// Byte offset of the article's first line in the text.
    pub offset: usize,
}

/// The outline and the articles of a text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Structure {
    pub outline: Vec<Heading>,
    pub articles: Vec<ArticleDraft>,
}

/// The value of one Chinese digit (零 and 〇 are 0, 两 is 2).
pub(crate) fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Parses a Chinese or Arabic numeral as used in article numbers: 四十六, 一百零五, 一千二百六十, 46; larger
/// numbers in sections of 万 and 亿 (十二万, 一亿零一千). `None` when the numeral is malformed or too large.
pub fn parse_number(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    // `total` holds the finished 亿 and 万 sections, `section` the current four-digit section, `digit` the digit
    // waiting for its unit.
    let mut total = 0u32;
    let mut section = 0u32;
    let mut digit: Option<u32> = None;
    for c in s.chars() {
        if let Some(d) = cn_digit(c) {
            digit = Some(d);
            continue;
        }
        match c {
            '十' | '百' | '千' => {
                let unit = match c {
                    '十' => 10,
                    '百' => 100,
                    _ => 1000,
                };
                // 十 alone (十五) and after 零 (一千零十) counts one ten; 百 and 千 need their digit.
                let n = match digit {
                    Some(0) | None if unit == 10 => 1,
                    Some(d) => d,
                    None => return None,
                };
                section = section.checked_add(n * unit)?;
            }
            '万' => {
                let value = section.checked_add(digit.unwrap_or(0))?;
                total = total.checked_add(value.checked_mul(10_000)?)?;
                section = 0;
            }
            '亿' => {
                let value = total
                    .checked_add(section)?
                    .checked_add(digit.unwrap_or(0))?;
                total = value.checked_mul(100_000_000)?;
                section = 0;
            }
            _ => return None,
        }
        digit = None;
    }
    total.checked_add(section)?.checked_add(digit.unwrap_or(0))
}

/// Formats a number the way articles are labelled: 46 → 四十六, 105 → 一百零五, 1260 → 一千二百六十; larger
/// numbers in sections of 万 and 亿 (120000 → 十二万). The inverse of `parse_number`.
pub fn format_number(n: u32) -> String {
    if n == 0 {
        return "零".to_string();
    }
    let sections = [
        (n / 100_000_000, "亿"),
        (n / 10_000 % 10_000, "万"),
        (n % 10_000, ""),
    ];
    let mut out = String::new();
    let mut zero_pending = false;
    for (value, name) in sections {
        if value == 0 {
            zero_pending = !out.is_empty();
            continue;
        }
        if !out.is_empty() && (zero_pending || value < 1000) {
            out.push('零');
        }
        zero_pending = false;
        out.push_str(&format_section(value, out.is_empty()));
        out.push_str(name);
    }
    out
}

/// Formats 1..=9999; `leading` drops the 一 of a leading 一十 (十五, but 一百一十).
fn format_section(n: u32, leading: bool) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let mut out = String::new();
    let units = [(1000, "千"), (100, "百"), (10, "十")];
    let mut rest = n;
    let mut zero_pending = false;
    let mut started = false;
    for (value, name) in units {
        let d = rest / value;
        rest %= value;
        if d > 0 {
            if zero_pending {
                out.push('零');
                zero_pending = false;
            }
            if !(value == 10 && d == 1 && !started && leading) {
                out.push_str(DIGITS[d as usize]);
            }
            out.push_str(name);
            started = true;
        } else if started {
            zero_pending = true;
        }
    }
    if rest > 0 {
        if zero_pending {
            out.push('零');
        }
        out.push_str(DIGITS[rest as usize]);
    }
    out
}

const NUMERAL: &str = "零〇一二两三四五六七八九十百千0123456789";

/// Splits `第<numeral><unit>` at the start of `line`; returns (number, unit char, byte length of the prefix).
fn ordinal_prefix(line: &str) -> Option<(u32, char, usize)> {
    let rest = line.strip_prefix('第')?;
    let digits_len: usize = rest
        .chars()
        .take_while(|c| NUMERAL.contains(*c))
        .map(char::len_utf8)
        .sum();
    if digits_len == 0 {
        return None;
    }
    let number = parse_number(&rest[..digits_len])?;
    let unit = rest[digits_len..].chars().next()?;
    Some((number, unit, '第'.len_utf8() + digits_len + unit.len_utf8()))
}

/// If `line` opens an article, its number and label (第四十六条, 第十七条之一).
pub fn article_label(line: &str) -> Option<(u32, String)> {
    let (number, unit, len) = ordinal_prefix(line)?;
    if unit != '条' {
        return None;
    }
    let mut end = len;
    let after = &line[len..];
    if let Some(tail) = after.strip_prefix('之') {
        let n: usize = tail
            .chars()
            .take_while(|c| NUMERAL.contains(*c))
            .map(char::len_utf8)
            .sum();
        if n > 0 {
            end += '之'.len_utf8() + n;
        }
    }
    let next = line[end..].chars().next();
    // An article line is `第X条 text` or `第X条` alone; `第X条的规定…` is a sentence that cites one.
    match next {
        None => Some((number, line[..end].to_string())),
        Some(c) if c.is_whitespace() => Some((number, line[..end].to_string())),
        _ => None,
    }
}

/// If `line` is a structural heading, its depth: 编 1, 章 2, 节 3; named parts (附则, 序言) stand at the level of 章.
pub fn heading_depth(line: &str) -> Option<u8> {
    let line = line.trim();
    if line.chars().count() > 40 {
        return None;
    }
    if let Some((_, unit, len)) = ordinal_prefix(line) {
        let next = line[len..].chars().next();
        let heading_like = next.is_none_or(|c| c.is_whitespace());
        return match unit {
            '编' if heading_like => Some(1),
            '分' if line[len..].starts_with("编") => Some(1),
            '章' if heading_like => Some(2),
            '节' if heading_like => Some(3),
            _ => None,
        };
    }
    matches!(line, "总则" | "附则" | "序言" | "分则" | "附件").then_some(2)
}

/// Finds the outline and articles of a text. Articles must come in a plausible sequence: a line that looks like
/// `第X条 …` but jumps far backwards is part of the previous article (e.g. a quoted amendment).
pub fn parse(text: &str) -> Structure {
    let mut outline: Vec<Heading> = Vec::new();
    let mut articles: Vec<ArticleDraft> = Vec::new();
    let mut open: Option<ArticleDraft> = None;
    let mut offset = 0usize;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches('\n');
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        if let Some(depth) = heading_depth(trimmed) {
            if let Some(a) = open.take() {
                articles.push(a);
            }
            outline.push(Heading {
                depth,
                text: trimmed.trim().to_string(),
                offset: line_start + lead,
            });
            continue;
        }
        if let Some((number, label)) = article_label(trimmed) {
            let plausible = articles
                .last()
                .or(open.as_ref())
                .map(|prev| number + 3 >= prev.number || number == 1)
                .unwrap_or(true);
            if plausible {
                if let Some(a) = open.take() {
                    articles.push(a);
                }
                open = Some(ArticleDraft {
                    number,
                    label,
                    path: current_path(&outline),
                    text: trimmed.trim_end().to_string(),
                    offset: line_start + lead,
                });
                continue;
            }
        }
        if let Some(a) = open.as_mut()
            && !trimmed.trim().is_empty()
        {
            a.text.push('\n');
            a.text.push_str(trimmed.trim_end());
        }
    }
    if let Some(a) = open.take() {
        articles.push(a);
    }
    Structure { outline, articles }
}

/// Longest heading of a report's outline, in characters.
const REPORT_HEADING_CHARS: usize = 40;

/// The outline of a text that is not a statute (a work report, a budget report) from its own numbered
/// headings: `一、…` lines at depth 1 and the leading sentence of `（一）…` paragraphs at depth 2 (also in a
/// report without `一、` lines). The numbers must run in order (一, 二, 三 …; （一） starting again under each
/// 一、), so that an enumeration inside a paragraph does not become a heading.
pub fn report_outline(text: &str) -> Vec<Heading> {
    let mut outline = Vec::new();
    let (mut top, mut sub) = (0u32, 0u32);
    let mut offset = 0usize;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let trimmed = raw.trim_start_matches([' ', '\t', '\u{3000}']);
        let at = line_start + (raw.len() - trimmed.len());
        let line = trimmed.trim_end();
        if let Some((n, rest)) = numbered(line, "", "、")
            && n == top + 1
            && !rest.is_empty()
            && line.chars().count() <= REPORT_HEADING_CHARS
            && !line.contains('。')
        {
            top = n;
            sub = 0;
            outline.push(Heading {
                depth: 1,
                text: line.to_string(),
                offset: at,
            });
        } else if let Some((n, rest)) =
            numbered(line, "（", "）").or_else(|| numbered(line, "(", ")"))
            && n == sub + 1
        {
            let lead = rest.split(['。', '；', '：']).next().unwrap_or("").trim();
            if lead.is_empty() || lead.chars().count() > REPORT_HEADING_CHARS {
                continue;
            }
            sub = n;
            let label = &line[..line.len() - rest.len()];
            outline.push(Heading {
                depth: 2,
                text: format!("{label}{lead}"),
                offset: at,
            });
        }
    }
    outline
}

/// `<open><Chinese numeral><close>rest` at the start of `line`: the number and the rest.
fn numbered<'a>(line: &'a str, open: &str, close: &str) -> Option<(u32, &'a str)> {
    let inner = line.strip_prefix(open)?;
    let digits: usize = inner
        .chars()
        .take_while(|c| "一二三四五六七八九十".contains(*c))
        .map(char::len_utf8)
        .sum();
    if digits == 0 {
        return None;
    }
    let rest = inner[digits..].strip_prefix(close)?;
    Some((parse_number(&inner[..digits])?, rest))
}

/// The chain of enclosing headings at the end of `outline` (outermost first).
fn current_path(outline: &[Heading]) -> Vec<String> {
    let mut path: Vec<&Heading> = Vec::new();
    for h in outline {
        while path.last().is_some_and(|p| p.depth >= h.depth) {
            path.pop();
        }
        path.push(h);
    }
    path.into_iter().map(|h| h.text.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_s_numbered_headings_make_its_outline() {
        let text = "各位代表：\n\n\u{3000}\u{3000}一、2021年工作回顾\n\n\u{3000}\u{3000}过去一年，一、二、三产业协调发展。\n\
            \u{3000}\u{3000}二、2022年经济社会发展总体要求和政策取向\n\n\u{3000}\u{3000}三、对2022年政府工作的建议\n\n\
            \u{3000}\u{3000}（一）继续做好“六稳”、“六保”工作。保就业保民生。\n\u{3000}\u{3000}（三）跳过的编号不是标题。\n\
            \u{3000}\u{3000}（二）深入实施创新驱动发展战略，巩固壮大实体经济根基。推进科技创新。\n\u{3000}\u{3000}五、编号跳过\n";
        let outline = report_outline(text);
        let got: Vec<(u8, &str)> = outline.iter().map(|h| (h.depth, h.text.as_str())).collect();
        assert_eq!(
            got,
            [
                (1, "一、2021年工作回顾"),
                (1, "二、2022年经济社会发展总体要求和政策取向"),
                (1, "三、对2022年政府工作的建议"),
                (2, "（一）继续做好“六稳”、“六保”工作"),
                (2, "（二）深入实施创新驱动发展战略，巩固壮大实体经济根基"),
            ]
        );
        for h in &outline {
            assert!(text[h.offset..].starts_with(&h.text[..3]), "{h:?}");
        }
    }

    #[test]
    fn numbers_round_trip() {
        for (n, s) in [
            (1, "一"),
            (10, "十"),
            (11, "十一"),
            (46, "四十六"),
            (100, "一百"),
            (105, "一百零五"),
            (110, "一百一十"),
            (1260, "一千二百六十"),
            (1001, "一千零一"),
        ] {
            assert_eq!(format_number(n), s, "format {n}");
            assert_eq!(parse_number(s), Some(n), "parse {s}");
        }
        assert_eq!(parse_number("46"), Some(46));
        assert_eq!(parse_number("四x"), None);
        for (n, s) in [
            (10_000, "一万"),
            (10_001, "一万零一"),
            (100_010, "十万零一十"),
            (120_000, "十二万"),
            (100_001_000, "一亿零一千"),
            (u32::MAX, "四十二亿九千四百九十六万七千二百九十五"),
        ] {
            assert_eq!(format_number(n), s, "format {n}");
            assert_eq!(parse_number(s), Some(n), "parse {s}");
        }
        assert_eq!(parse_number("一千零十"), Some(1010));
        assert_eq!(parse_number("百"), None);
        assert_eq!(parse_number("五十亿"), None);
    }

    #[test]
    fn splits_articles_under_headings() {
        let text = "第一编 总则\n第一章 基本规定\n第一条 为了……制定本法。\n第二条 本法适用于：\n（一）甲；\n第二节 细则\n第三条 其他。\n第三条规定的情形除外。\n第三条之一 补充。\n附则\n第四条 本法自公布之日起施行。\n";
        let s = parse(text);
        let labels: Vec<_> = s.articles.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(
            labels,
            ["第一条", "第二条", "第三条", "第三条之一", "第四条"]
        );
        assert_eq!(s.articles[1].text, "第二条 本法适用于：\n（一）甲；");
        assert_eq!(s.articles[2].text, "第三条 其他。\n第三条规定的情形除外。");
        assert_eq!(s.articles[0].path, ["第一编 总则", "第一章 基本规定"]);
        assert_eq!(
            s.articles[2].path,
            ["第一编 总则", "第一章 基本规定", "第二节 细则"]
        );
        assert_eq!(s.articles[4].path, ["第一编 总则", "附则"]);
        assert_eq!(
            &text[s.articles[1].offset..s.articles[1].offset + 9],
            "第二条"
        );
        assert_eq!(s.outline.len(), 4);
    }
}
