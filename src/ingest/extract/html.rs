//! HTML: charset detection (including `<meta charset=gbk>`), title from `<title>` or the first `<h1>`, body text
//! with block elements on their own lines; scripts, styles and navigation dropped. Tables become `Table`s with
//! their merged cells (`rowspan`, `colspan`) and their caption or the heading before them as the title.

use super::{Extracted, Table, extracted, plain};
use crate::budget::Cell;
use crate::error::ExtractError;
use crate::model::Format;
use crate::text::clean;
use scraper::{Html, Node, Selector};

/// Elements whose content is never text of the document.
const SKIPPED: &[&str] = &[
    "script", "style", "nav", "noscript", "template", "head", "svg", "iframe", "object", "button",
    "select",
];

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "address",
    "hr",
    "form",
    "fieldset",
    "caption",
    "body",
];

/// Deepest element nesting read. The HTML parser's work per element grows with the depth of the open elements,
/// so a file of 100,000 nested `<div>` takes it minutes; within this depth any file is parsed in time linear in
/// its size.
pub(super) const MAX_DEPTH: usize = 1_000;

/// Elements that never hold content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];

/// Elements whose end tag may be left out: the parser closes them by itself, so they do not nest without end.
const IMPLIED_END: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rb",
    "rt", "rtc", "rp", "colgroup", "caption", "html", "head", "body",
];

/// Elements whose content is raw text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// Extracts an HTML file.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let source = decode(bytes)?;
    let depth = nesting_depth(&source, MAX_DEPTH);
    if depth > MAX_DEPTH {
        return Err(ExtractError::OverLimit(format!(
            "elements nested more than {MAX_DEPTH} deep"
        )));
    }
    let document = Html::parse_document(&source);
    let mut title = first_text(&document, "title").or_else(|| first_text(&document, "h1"));
    let mut raw = String::with_capacity(source.len() / 2);
    let mut pre_depth = 0usize;
    // An explicit stack (node, closing) instead of recursion: deeply nested markup cannot overflow the stack.
    let mut stack = vec![(document.tree.root(), false)];
    while let Some((node, closing)) = stack.pop() {
        if closing {
            if let Node::Element(el) = node.value()
                && BLOCKS.contains(&el.name())
            {
                raw.push('\n');
                if el.name() == "pre" {
                    pre_depth = pre_depth.saturating_sub(1);
                }
            }
            continue;
        }
        match node.value() {
            Node::Element(el) => {
                let name = el.name();
                if SKIPPED.contains(&name) {
                    continue;
                }
                if name == "br" {
                    raw.push('\n');
                } else if name == "td" || name == "th" {
                    raw.push('\t');
                } else if BLOCKS.contains(&name) {
                    raw.push('\n');
                    if name == "pre" {
                        pre_depth += 1;
                    }
                }
            }
            Node::Text(text) => {
                if pre_depth > 0 {
                    raw.push_str(text);
                } else {
                    push_collapsed(&mut raw, text);
                }
                continue;
            }
            Node::Document | Node::Fragment => {}
            _ => continue,
        }
        stack.push((node, true));
        let children: Vec<_> = node.children().collect();
        stack.extend(children.into_iter().rev().map(|child| (child, false)));
    }
    // Lines are trimmed of the spaces left by markup indentation.
    let lines: Vec<&str> = raw.lines().map(|l| l.trim_matches([' ', '\t'])).collect();
    let text = clean(&lines.join("\n"));
    if title.as_deref().is_some_and(str::is_empty) {
        title = None;
    }
    let mut out = extracted(Format::Html, text, title);
    out.tables = tables(&document);
    Ok(out)
}

/// Cells of one HTML table at most; a larger table is cut there.
const MAX_TABLE_CELLS: usize = 200_000;
/// The largest `rowspan` or `colspan` honoured.
const MAX_SPAN: usize = 1_000;

/// The outermost tables of the document as grids: spanned cells are `covered`, the text stands in the span's
/// top-left cell.
fn tables(document: &Html) -> Vec<Table> {
    let (Ok(tables), Ok(rows), Ok(cells)) = (
        Selector::parse("table"),
        Selector::parse("tr"),
        Selector::parse("td, th"),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for table in document.select(&tables) {
        // Nested tables are read as the text of their cell.
        if table
            .ancestors()
            .any(|a| a.value().as_element().is_some_and(|e| e.name() == "table"))
        {
            continue;
        }
        let mut grid: Vec<Vec<Option<Cell>>> = Vec::new();
        let mut used = 0usize;
        for (r, tr) in table
            .select(&rows)
            .filter(|tr| {
                tr.ancestors()
                    .find(|a| a.value().as_element().is_some_and(|e| e.name() == "table"))
                    .map(|a| a.id())
                    == Some(table.id())
            })
            .enumerate()
        {
            if grid.len() <= r {
                grid.resize_with(r + 1, Vec::new);
            }
            let mut c = 0;
            for td in tr
                .select(&cells)
                .filter(|td| td.parent().map(|p| p.id()) == Some(tr.id()))
            {
                while grid[r].get(c).is_some_and(Option::is_some) {
                    c += 1;
                }
                let span = |name: &str| {
                    td.value()
                        .attr(name)
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, MAX_SPAN)
                };
                let (rowspan, colspan) = (span("rowspan"), span("colspan"));
                used += rowspan * colspan;
                if used > MAX_TABLE_CELLS {
                    break;
                }
                let text = element_text(&td);
                for dr in 0..rowspan {
                    if grid.len() <= r + dr {
                        grid.resize_with(r + dr + 1, Vec::new);
                    }
                    let row = &mut grid[r + dr];
                    if row.len() < c + colspan {
                        row.resize(c + colspan, None);
                    }
                    for dc in 0..colspan {
                        row[c + dc] = Some(if dr == 0 && dc == 0 {
                            Cell::text(text.trim())
                        } else {
                            Cell::covered()
                        });
                    }
                }
                c += colspan;
            }
        }
        let width = grid.iter().map(Vec::len).max().unwrap_or(0);
        if width == 0 {
            continue;
        }
        let rows: Vec<Vec<Cell>> = grid
            .into_iter()
            .map(|r| {
                let mut r: Vec<Cell> = r.into_iter().map(Option::unwrap_or_default).collect();
                r.resize(width, Cell::default());
                r
            })
            .filter(|r| r.iter().any(|c| !c.is_blank()))
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push(Table {
            title: table_title(&table),
            rows,
            ..Table::default()
        });
    }
    out
}

/// A table's title: its `<caption>`, else the short text just before it (a heading or a paragraph naming a 表).
fn table_title(table: &scraper::ElementRef<'_>) -> String {
    if let Some(caption) = table
        .children()
        .filter_map(scraper::ElementRef::wrap)
        .find(|e| e.value().name() == "caption")
    {
        return element_text(&caption);
    }
    let before = table
        .prev_siblings()
        .filter_map(scraper::ElementRef::wrap)
        .next()
        .map(|e| element_text(&e))
        .unwrap_or_default();
    let n = before.chars().count();
    if (2..=40).contains(&n) && (before.contains('表') || n <= 20) {
        before
    } else {
        String::new()
    }
}

/// The deepest nesting of elements in `source` as a parser would open them, counted in one pass over the tags
/// (comments and raw text skipped; void elements and elements with implied end tags not counted); stops
/// counting past `limit`.
fn nesting_depth(source: &str, limit: usize) -> usize {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut at = 0usize;
    while let Some(offset) = next_byte(&bytes[at..], b'<') {
        let start = at + offset + 1;
        if bytes[start..].starts_with(b"!--") {
            at = find(bytes, start, b"-->").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = start + usize::from(closing);
        let name_end = name_start
            + bytes[name_start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
        if name_end == name_start {
            // `<!doctype`, `<?xml`, `< 3`: not an element.
            at = start;
            continue;
        }
        let name = source[name_start..name_end].to_ascii_lowercase();
        let tag_end =
            next_byte(&bytes[name_end..], b'>').map_or(bytes.len(), |end| name_end + end + 1);
        at = tag_end;
        let counted = !VOID.contains(&name.as_str()) && !IMPLIED_END.contains(&name.as_str());
        if closing {
            if counted {
                depth = depth.saturating_sub(1);
            }
        } else if RAW_TEXT.contains(&name.as_str()) {
            let end_tag = format!("</{name}");
            at = find_ignore_case(bytes, at, end_tag.as_bytes()).unwrap_or(bytes.len());
        } else if counted && !bytes[..tag_end].ends_with(b"/>") {
            depth += 1;
            deepest = deepest.max(depth);
            if deepest > limit {
                break;
            }
        }
    }
    deepest
}

/// The offset of the first `byte` in `bytes`.
fn next_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    bytes.iter().position(|b| *b == byte)
}

/// The offset of `needle` in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The offset of `needle` (ASCII, lower case) in `bytes` at or after `from`, ignoring ASCII case.
fn find_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

/// Appends HTML text with runs of whitespace collapsed to one space.
fn push_collapsed(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_ascii_whitespace() {
            if !out.ends_with([' ', '\n', '\t']) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// The whitespace-collapsed text of the first element matching `selector`, if any.
fn first_text(document: &Html, selector: &str) -> Option<String> {
    let selector = Selector::parse(selector).ok()?;
    let element = document.select(&selector).next()?;
    Some(element_text(&element))
}

/// The text of an element with runs of whitespace collapsed, normalised with `clean`.
fn element_text(element: &scraper::ElementRef<'_>) -> String {
    let text: Vec<&str> = element.text().collect();
    let text = clean(
        &text
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    );
    text.trim().to_string()
}

/// Decodes HTML bytes: a BOM or valid UTF-8 first, then the charset the document declares, then GB18030.
fn decode(bytes: &[u8]) -> Result<String, ExtractError> {
    if encoding_rs::Encoding::for_bom(bytes).is_some() {
        return plain::decode(bytes);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    if let Some(encoding) = declared_charset(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if had_errors {
            return Err(ExtractError::Encoding(format!(
                "invalid bytes for the declared charset {}",
                encoding.name()
            )));
        }
        return Ok(text.into_owned());
    }
    plain::decode(bytes)
}

/// The encoding named by `charset=` in the first few kilobytes, if encoding_rs knows it.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let label: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    encoding_rs::Encoding::for_label(label.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_blocks_and_drops_scripts() {
        let html = "<html><head><title> 关于2024年预算的报告 </title><style>p{}</style></head><body>\
                    <nav>首页 | 新闻</nav><h1>报告</h1><p>各位代表：<br>现在我 <b>报告</b>。</p>\
                    <script>var x = 1;</script><table><tr><td>科目</td><td>金额</td></tr></table></body></html>";
        let out = extract(html.as_bytes()).unwrap();
        assert_eq!(out.format, Format::Html);
        assert_eq!(out.title.as_deref(), Some("关于2024年预算的报告"));
        assert_eq!(out.text, "报告\n\n各位代表：\n现在我 报告。\n\n科目 金额\n");
    }

    #[test]
    fn tables_keep_merged_cells_and_their_title() {
        let html = "<html><body><p>支出决算表</p><table>\
            <tr><th rowspan=\"2\">科目名称</th><th colspan=\"2\">本年支出</th></tr>\
            <tr><th>基本支出</th><th>项目支出</th></tr>\
            <tr><td>行政运行</td><td>10.00</td><td></td></tr>\
            <tr><td>合计<table><tr><td>内</td></tr></table></td><td>10.00</td><td>0</td></tr>\
            </table><table><caption>三公经费</caption><tr><td>合计</td><td>0.95</td></tr></table></body></html>";
        let out = extract(html.as_bytes()).unwrap();
        assert_eq!(out.tables.len(), 2, "the nested table is part of its cell");
        let t = &out.tables[0];
        assert_eq!(t.title, "支出决算表");
        assert_eq!(
            t.texts(),
            vec![
                vec!["科目名称", "本年支出", ""],
                vec!["", "基本支出", "项目支出"],
                vec!["行政运行", "10.00", ""],
                vec!["合计 内", "10.00", "0"],
            ]
        );
        assert!(t.rows[0][2].covered && t.rows[1][0].covered);
        assert!(!t.rows[2][2].covered, "a blank cell is blank, not covered");
        assert_eq!(out.tables[1].title, "三公经费");
        let huge = "<table><tr><td rowspan=\"99999999\" colspan=\"99999999\">x</td></tr></table>";
        let out = extract(huge.as_bytes()).unwrap();
        assert!(
            out.tables
                .iter()
                .all(|t| t.rows.len() * t.width() <= MAX_TABLE_CELLS)
        );
    }

    #[test]
    fn decodes_declared_gbk_and_falls_back_to_h1() {
        let html = "<html><head><meta charset=\"gb2312\"></head><body><h1>预算审查</h1><div>财政收入</div></body></html>";
        let (gbk, _, _) = encoding_rs::GBK.encode(html);
        let out = extract(&gbk).unwrap();
        assert_eq!(out.title.as_deref(), Some("预算审查"));
        assert_eq!(out.text, "预算审查\n\n财政收入\n");
    }

    #[test]
    fn nesting_is_counted_like_a_parser_opens_elements() {
        assert_eq!(nesting_depth("<div><b>x</b><div>y</div></div>", 100), 2);
        // Void elements, implied end tags, comments and raw text do not nest.
        assert_eq!(
            nesting_depth(
                "<p>a<p>b<li>c<br><img src=x><!-- <div><div> --><script>'<div>'</script><x/>",
                100
            ),
            0
        );
        assert_eq!(nesting_depth(&"<div>".repeat(50), 100), 50);
        assert_eq!(nesting_depth(&"<span>".repeat(5000), 100), 101);
    }

    #[test]
    fn deeply_nested_html_is_refused_quickly() {
        let html = format!(
            "<html><body>{}预算{}</body></html>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let started = std::time::Instant::now();
        assert!(matches!(
            extract(html.as_bytes()),
            Err(ExtractError::OverLimit(_))
        ));
        // The parser took 37 seconds on this file; counting takes milliseconds. The bound only catches a hang.
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let within = format!(
            "<div>{}预算{}</div>",
            "<div>".repeat(MAX_DEPTH - 2),
            "</div>".repeat(MAX_DEPTH - 2)
        );
        assert_eq!(extract(within.as_bytes()).unwrap().text.trim(), "预算");
    }
}
