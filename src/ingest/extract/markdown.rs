//! Markdown (the law corpus format): `# ` title, history lines before `<!-- INFO END -->`, headings kept as
//! words on their own line, inline markup reduced to text.

use super::{Extracted, extracted, plain};
use crate::error::ExtractError;
use crate::model::Format;
use crate::text::clean;

/// The marker that ends the history block of a law file.
const INFO_END: &str = "<!-- INFO END -->";

/// Extracts a Markdown file.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let source = clean(&plain::decode(bytes)?);
    let (head, body) = match source.find(INFO_END) {
        Some(i) => (&source[..i], &source[i + INFO_END.len()..]),
        None => ("", source.as_str()),
    };
    let mut title = None;
    let mut history = Vec::new();
    for line in head.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.strip_prefix("# ") {
            Some(t) if title.is_none() => title = Some(inline(t.trim())),
            _ => history.push(inline(line)),
        }
    }
    let mut text = String::with_capacity(body.len());
    let mut in_fence = false;
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            text.push_str(line);
            text.push('\n');
            continue;
        }
        if trimmed.starts_with("<!--") && trimmed.ends_with("-->") {
            continue;
        }
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        let is_heading = (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ');
        if is_heading && hashes == 1 && title.is_none() {
            title = Some(inline(trimmed[1..].trim()));
            continue;
        }
        let content = if is_heading {
            trimmed[hashes..].trim()
        } else {
            strip_block_marker(trimmed)
        };
        text.push_str(&inline(content));
        text.push('\n');
    }
    let mut out = extracted(Format::Markdown, clean(&text), title);
    out.history = history;
    Ok(out)
}

/// Drops a block quote or list marker (`> `, `- `, `* `, `+ `) at the start of a line.
fn strip_block_marker(line: &str) -> &str {
    let mut line = line;
    while let Some(rest) = line.strip_prefix('>') {
        line = rest.trim_start();
    }
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    line
}

/// Reduces inline markup to its text: emphasis markers, code ticks, links `[text](url)` and images.
fn inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '*' | '`' => i += 1,
            '_' if i + 1 < chars.len() && chars[i + 1] == '_' => i += 2,
            '!' if chars.get(i + 1) == Some(&'[') => i += 1,
            '[' => match link_end(&chars, i) {
                Some((label_end, end)) => {
                    out.push_str(&inline(&chars[i + 1..label_end].iter().collect::<String>()));
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// For a `[` at `start`, finds `](...)`: returns the index of `]` and the index after `)`.
fn link_end(chars: &[char], start: usize) -> Option<(usize, usize)> {
    let close = start + chars[start..].iter().position(|&c| c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let paren = close + 1 + chars[close + 1..].iter().position(|&c| c == ')')?;
    Some((close, paren + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_title_history_and_body() {
        let md = "# 中华人民共和国预算法\n\n1994年3月22日 通过\n\n2018年12月29日 第二次修正\n\n<!-- INFO END -->\n\n\
                  ## 第一章 总则\n\n第一条 为了**规范**政府收支行为，见[预算法](https://example.org/a)。\n\n\
                  #### 第一节 一般规定\n\n- 第二条 预算。\n";
        let out = extract(md.as_bytes()).unwrap();
        assert_eq!(out.format, Format::Markdown);
        assert_eq!(out.title.as_deref(), Some("中华人民共和国预算法"));
        assert_eq!(
            out.history,
            vec!["1994年3月22日 通过", "2018年12月29日 第二次修正"]
        );
        assert_eq!(
            out.text,
            "第一章 总则\n\n第一条 为了规范政府收支行为，见预算法。\n\n第一节 一般规定\n\n第二条 预算。\n"
        );
    }

    #[test]
    fn without_info_marker_everything_is_body() {
        let out = extract("# 标题\n\n正文一行\n## 小节\n".as_bytes()).unwrap();
        assert_eq!(out.title.as_deref(), Some("标题"));
        assert!(out.history.is_empty());
        assert_eq!(out.text, "正文一行\n小节\n");
    }
}
