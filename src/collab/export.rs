//! Printable export of a 工作底稿: turns a titled, ordered list of headings, texts, notes and
//! sources into a DOCX (a minimal OOXML package) or a PDF 1.4 file using the STSong-Light CJK font.

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

/// A paper to print: a title, a line under it, and blocks in order.
pub struct Paper {
    /// The title, e.g. "2025年预算审查 工作底稿".
    pub title: String,
    /// The line under the title, e.g. "张三 整理 · 2026-12-03 导出 · 共 5 项".
    pub subtitle: String,
    /// The content, printed in order.
    pub blocks: Vec<Block>,
}

/// One piece of a [`Paper`].
pub enum Block {
    /// An item's heading, e.g. "1. 《中华人民共和国预算法》第四十六条".
    Heading(String),
    /// Body text (an article's text, a document's summary); may contain '\n' = new paragraph.
    Text(String),
    /// The collector's note on the item, printed set off and prefixed "批注：".
    Note(String),
    /// Where it comes from, printed small, e.g. "出处：中华人民共和国预算法 · 有效 · …".
    Source(String),
}

const NOTE_PREFIX: &str = "批注：";

/// Drops characters XML 1.0 cannot carry (controls other than tab and newline, U+FFFE/U+FFFF)
/// and carriage returns.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            c == '\t' || c == '\n' || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
        })
        .collect()
}

/// The non-empty paragraphs of a text, one per line.
fn paragraphs(s: &str) -> Vec<String> {
    clean(s)
        .split('\n')
        .map(|p| p.trim_end().to_string())
        .filter(|p| !p.trim().is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// DOCX
// ---------------------------------------------------------------------------------------------

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Runs for one line of text; tabs become `<w:tab/>`.
fn runs(text: &str, rpr: &str) -> String {
    let mut out = String::new();
    for (i, piece) in text.split('\t').enumerate() {
        if i > 0 {
            out.push_str(&format!("<w:r>{rpr}<w:tab/></w:r>"));
        }
        if !piece.is_empty() {
            out.push_str(&format!(
                "<w:r>{rpr}<w:t xml:space=\"preserve\">{}</w:t></w:r>",
                esc(piece)
            ));
        }
    }
    out
}

fn para(style: &str, body: &str) -> String {
    format!("<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>{body}</w:p>")
}

fn document_xml(paper: &Paper) -> String {
    let mut body = String::new();
    body.push_str(&para(
        "Title",
        &runs(&clean(&paper.title).replace('\n', " "), ""),
    ));
    if !paper.subtitle.trim().is_empty() {
        body.push_str(&para(
            "Subtitle",
            &runs(&clean(&paper.subtitle).replace('\n', " "), ""),
        ));
    }
    for block in &paper.blocks {
        match block {
            Block::Heading(t) => {
                body.push_str(&para("Heading1", &runs(&clean(t).replace('\n', " "), "")))
            }
            Block::Text(t) => {
                for p in paragraphs(t) {
                    body.push_str(&para("BodyText", &runs(&p, "")));
                }
            }
            Block::Note(t) => {
                for (i, p) in paragraphs(t).iter().enumerate() {
                    let mut r = String::new();
                    if i == 0 {
                        r.push_str(&runs(NOTE_PREFIX, "<w:rPr><w:b/></w:rPr>"));
                    }
                    r.push_str(&runs(p, ""));
                    body.push_str(&para("Note", &r));
                }
            }
            Block::Source(t) => {
                body.push_str(&para("Source", &runs(&clean(t).replace('\n', " "), "")))
            }
        }
    }
    format!(
        "{XML_DECL}<w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:body>{body}\
<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rId2\"/>\
<w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
<w:pgMar w:top=\"1440\" w:right=\"1588\" w:bottom=\"1440\" w:left=\"1588\" w:header=\"851\" w:footer=\"851\" w:gutter=\"0\"/>\
</w:sectPr></w:body></w:document>"
    )
}

fn styles_xml() -> String {
    let fonts = |east: &str| {
        format!(
            "<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"{east}\" w:cs=\"Times New Roman\"/>"
        )
    };
    let style = |id: &str, name: &str, ppr: &str, rpr: &str| {
        format!(
            "<w:style w:type=\"paragraph\" w:customStyle=\"{custom}\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>\
<w:basedOn w:val=\"Normal\"/><w:next w:val=\"BodyText\"/><w:qFormat/><w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>",
            custom = if matches!(id, "Title" | "Subtitle" | "Heading1") {
                0
            } else {
                1
            }
        )
    };
    let mut s = format!(
        "{XML_DECL}<w:styles xmlns:w=\"{W_NS}\"><w:docDefaults><w:rPrDefault><w:rPr>{}\
<w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"360\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:jc w:val=\"both\"/></w:pPr></w:style>",
        fonts("宋体")
    );
    s.push_str(&style(
        "Title",
        "Title",
        "<w:keepNext/><w:spacing w:after=\"120\"/><w:jc w:val=\"center\"/>",
        &format!(
            "{}<w:b/><w:sz w:val=\"36\"/><w:szCs w:val=\"36\"/>",
            fonts("黑体")
        ),
    ));
    s.push_str(&style(
        "Subtitle",
        "Subtitle",
        "<w:spacing w:after=\"360\"/><w:jc w:val=\"center\"/>",
        "<w:color w:val=\"595959\"/><w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/>",
    ));
    s.push_str(&style(
        "Heading1",
        "heading 1",
        "<w:keepNext/><w:keepLines/><w:spacing w:before=\"360\" w:after=\"120\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"0\"/>",
        &format!("{}<w:b/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/>", fonts("黑体")),
    ));
    s.push_str(&style(
        "BodyText",
        "正文段落",
        "<w:spacing w:after=\"60\"/><w:ind w:firstLineChars=\"200\" w:firstLine=\"480\"/>",
        "",
    ));
    s.push_str(&style(
        "Note",
        "批注",
        "<w:pBdr><w:left w:val=\"single\" w:sz=\"12\" w:space=\"8\" w:color=\"7F9DB9\"/></w:pBdr>\
<w:spacing w:before=\"60\" w:after=\"60\"/><w:ind w:left=\"420\"/>",
        &format!(
            "{}<w:i/><w:iCs/><w:color w:val=\"1F4E79\"/><w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/>",
            fonts("楷体")
        ),
    ));
    s.push_str(&style(
        "Source",
        "出处",
        "<w:spacing w:after=\"120\" w:line=\"276\" w:lineRule=\"auto\"/><w:jc w:val=\"left\"/>",
        "<w:color w:val=\"7F7F7F\"/><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>",
    ));
    s.push_str(&style(
        "Footer",
        "footer",
        "<w:jc w:val=\"center\"/>",
        "<w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/>",
    ));
    s.push_str("</w:styles>");
    s
}

fn footer_xml() -> String {
    let field = |instr: &str| {
        format!(
            "<w:fldSimple w:instr=\" {instr} \\* MERGEFORMAT \"><w:r><w:t>1</w:t></w:r></w:fldSimple>"
        )
    };
    format!(
        "{XML_DECL}<w:ftr xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:p><w:pPr><w:pStyle w:val=\"Footer\"/><w:jc w:val=\"center\"/></w:pPr>\
<w:r><w:t xml:space=\"preserve\">第 </w:t></w:r>{}<w:r><w:t xml:space=\"preserve\"> 页 共 </w:t></w:r>{}\
<w:r><w:t xml:space=\"preserve\"> 页</w:t></w:r></w:p></w:ftr>",
        field("PAGE"),
        field("NUMPAGES")
    )
}

fn core_xml(title: &str) -> String {
    format!(
        "{XML_DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title></cp:coreProperties>",
        esc(&clean(title).replace('\n', " "))
    )
}

/// Builds the paper as a Word document (.docx) with A4 pages and a page-number footer.
pub fn docx(paper: &Paper) -> std::io::Result<Vec<u8>> {
    let wml = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    let content_types = format!(
        "{XML_DECL}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"{wml}.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"{wml}.styles+xml\"/>\
<Override PartName=\"/word/footer1.xml\" ContentType=\"{wml}.footer+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>"
    );
    let rel_ns = "http://schemas.openxmlformats.org/package/2006/relationships";
    let root_rels = format!(
        "{XML_DECL}<Relationships xmlns=\"{rel_ns}\">\
<Relationship Id=\"rId1\" Type=\"{R_NS}/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>"
    );
    let doc_rels = format!(
        "{XML_DECL}<Relationships xmlns=\"{rel_ns}\">\
<Relationship Id=\"rId1\" Type=\"{R_NS}/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rId2\" Type=\"{R_NS}/footer\" Target=\"footer1.xml\"/>\
</Relationships>"
    );
    let parts = [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", root_rels),
        ("docProps/core.xml", core_xml(&paper.title)),
        ("word/document.xml", document_xml(paper)),
        ("word/styles.xml", styles_xml()),
        ("word/_rels/document.xml.rels", doc_rels),
        ("word/footer1.xml", footer_xml()),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, xml) in parts {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(xml.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

// ---------------------------------------------------------------------------------------------
// PDF layout
// ---------------------------------------------------------------------------------------------

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = 64.0;
const FOOTER_Y: f32 = 30.0;
const FOOTER_SIZE: f32 = 9.0;
/// Characters that may not begin a line.
const NO_LINE_START: &str = "，。、；：？！）」』”’》〉】〕…";
/// How many following lines a heading looks ahead to stay with them.
const KEEP_LOOKAHEAD: usize = 8;

/// The kind of a laid-out line, which decides its type size and look.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Title,
    Subtitle,
    Heading,
    Text,
    Note,
    Source,
}

impl Kind {
    /// Font size, line advance and space before a new paragraph, in points.
    fn metrics(self) -> (f32, f32, f32) {
        match self {
            Kind::Title => (18.0, 27.0, 0.0),
            Kind::Subtitle => (10.0, 15.0, 2.0),
            Kind::Heading => (13.0, 19.5, 14.0),
            Kind::Text => (11.0, 16.5, 3.0),
            Kind::Note => (10.5, 15.75, 4.0),
            Kind::Source => (9.0, 13.5, 3.0),
        }
    }
}

/// Width of a character in half-ems: printable ASCII is half width, everything else full width.
pub(crate) fn half_width(c: char) -> usize {
    if (' '..='~').contains(&c) { 1 } else { 2 }
}

/// Width of a string in half-ems.
pub(crate) fn width(s: &str) -> usize {
    s.chars().map(half_width).sum()
}

/// Breaks one paragraph into lines no wider than `first` (first line) and `rest` half-ems.
/// CJK breaks anywhere, ASCII words stay whole unless longer than a line, and a line does not
/// begin with closing punctuation when a character can be carried down with it.
pub(crate) fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let (first, rest) = (first.max(4), rest.max(4));
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut w = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let mut tok = String::from(c);
        if c.is_ascii_graphic() {
            while let Some(&n) = chars.peek().filter(|n| n.is_ascii_graphic()) {
                tok.push(n);
                chars.next();
            }
        }
        let tw = width(&tok);
        let lim = if lines.is_empty() { first } else { rest };
        if c == ' ' && w == 0 && !lines.is_empty() {
            continue;
        }
        if w + tw <= lim {
            cur.push_str(&tok);
            w += tw;
            continue;
        }
        if c == ' ' {
            lines.push(cur.trim_end().to_string());
            cur.clear();
            w = 0;
            continue;
        }
        if tw > rest || (cur.is_empty() && tw > lim) {
            for ch in tok.chars() {
                let lim = if lines.is_empty() { first } else { rest };
                if w + half_width(ch) > lim && !cur.is_empty() {
                    lines.push(std::mem::take(&mut cur));
                    w = 0;
                }
                cur.push(ch);
                w += half_width(ch);
            }
            continue;
        }
        let mut carry = String::new();
        if NO_LINE_START.contains(c) {
            for _ in 0..3 {
                if cur.chars().count() < 2 {
                    break;
                }
                let Some(last) = cur.pop() else { break };
                if last.is_ascii() {
                    cur.push(last);
                    break;
                }
                carry.insert(0, last);
                if !NO_LINE_START.contains(last) {
                    break;
                }
            }
            if width(&carry) + tw > rest
                || carry
                    .chars()
                    .next()
                    .is_some_and(|f| NO_LINE_START.contains(f))
            {
                cur.push_str(&carry);
                carry.clear();
            }
        }
        lines.push(cur.trim_end().to_string());
        cur = carry;
        cur.push_str(&tok);
        w = width(&cur);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur.trim_end().to_string());
    }
    lines
}

/// One placed line of a page.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) kind: Kind,
    pub(crate) text: String,
    /// Left edge and baseline, in points from the page's lower left corner.
    pub(crate) x: f32,
    pub(crate) y: f32,
    /// The width the line was broken to, in half-ems.
    pub(crate) limit: usize,
}

/// A line before pagination.
struct Row {
    kind: Kind,
    text: String,
    indent: f32,
    limit: usize,
    /// First line of a paragraph: gets the paragraph's space before.
    starts: bool,
    /// Must stay on the same page as the row after it.
    keep: bool,
}

fn push_paragraph(rows: &mut Vec<Row>, kind: Kind, text: &str, indent: f32, first_extra: f32) {
    let (size, _, _) = kind.metrics();
    let avail = PAGE_W - 2.0 * MARGIN - indent;
    let half = |w: f32| ((w * 2.0 / size).floor() as usize).max(4);
    let (first, rest) = (half(avail - first_extra), half(avail));
    for (i, line) in wrap(text, first, rest).into_iter().enumerate() {
        let extra = if i == 0 { first_extra } else { 0.0 };
        rows.push(Row {
            kind,
            text: line,
            indent: indent + extra,
            limit: if i == 0 { first } else { rest },
            starts: i == 0,
            keep: matches!(kind, Kind::Heading | Kind::Title),
        });
    }
}

fn rows_of(paper: &Paper) -> Vec<Row> {
    let mut rows = Vec::new();
    let one_line = |s: &str| clean(s).replace(['\n', '\t'], " ");
    push_paragraph(&mut rows, Kind::Title, &one_line(&paper.title), 0.0, 0.0);
    if !paper.subtitle.trim().is_empty() {
        push_paragraph(
            &mut rows,
            Kind::Subtitle,
            &one_line(&paper.subtitle),
            0.0,
            0.0,
        );
    }
    for block in &paper.blocks {
        match block {
            Block::Heading(t) => push_paragraph(&mut rows, Kind::Heading, &one_line(t), 0.0, 0.0),
            Block::Text(t) => {
                for p in paragraphs(t) {
                    push_paragraph(&mut rows, Kind::Text, &p.replace('\t', "    "), 0.0, 22.0);
                }
            }
            Block::Note(t) => {
                for (i, p) in paragraphs(t).iter().enumerate() {
                    let p = p.replace('\t', "    ");
                    let text = if i == 0 {
                        format!("{NOTE_PREFIX}{p}")
                    } else {
                        p
                    };
                    push_paragraph(&mut rows, Kind::Note, &text, 21.0, 0.0);
                }
            }
            Block::Source(t) => push_paragraph(&mut rows, Kind::Source, &one_line(t), 0.0, 0.0),
        }
    }
    rows
}

/// Lays the paper out into pages of placed lines (footers not included).
pub(crate) fn layout(paper: &Paper) -> Vec<Vec<Line>> {
    let rows = rows_of(paper);
    let top = PAGE_H - MARGIN;
    let mut pages: Vec<Vec<Line>> = vec![Vec::new()];
    let mut y = top;
    let before = |r: &Row| if r.starts { r.kind.metrics().2 } else { 0.0 };
    for (i, row) in rows.iter().enumerate() {
        let (size, lead, _) = row.kind.metrics();
        let mut need = before(row) + lead;
        let mut j = i;
        while rows[j].keep && j + 1 < rows.len() && j - i < KEEP_LOOKAHEAD {
            j += 1;
            need += before(&rows[j]) + rows[j].kind.metrics().1;
        }
        let on_page = pages.last().is_some_and(|p| !p.is_empty());
        if on_page && y - need < BOTTOM {
            pages.push(Vec::new());
            y = top;
        }
        let on_page = pages.last().is_some_and(|p| !p.is_empty());
        if on_page {
            y -= before(row);
        }
        let x = if matches!(row.kind, Kind::Title | Kind::Subtitle) {
            (PAGE_W - width(&row.text) as f32 * size / 2.0) / 2.0
        } else {
            MARGIN + row.indent
        };
        if let Some(page) = pages.last_mut() {
            page.push(Line {
                kind: row.kind,
                text: row.text.clone(),
                x,
                y: y - size,
                limit: row.limit,
            });
        }
        y -= lead;
    }
    pages
}

// ---------------------------------------------------------------------------------------------
// PDF bytes
// ---------------------------------------------------------------------------------------------

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// UTF-16BE hex of a string, as used in `<...>` strings.
fn utf16_hex(s: &str, out: &mut Vec<u8>) {
    for unit in s.encode_utf16() {
        for shift in [12, 8, 4, 0] {
            out.push(HEX[((unit >> shift) & 0xF) as usize]);
        }
    }
}

fn show(out: &mut Vec<u8>, text: &str, size: f32, x: f32, y: f32, skew: bool) {
    let c = if skew { 0.2 } else { 0.0 };
    out.extend_from_slice(format!("BT /F1 {size} Tf 1 0 {c} 1 {x:.2} {y:.2} Tm <").as_bytes());
    utf16_hex(text, out);
    out.extend_from_slice(b"> Tj ET\n");
}

fn page_content(lines: &[Line], n: usize, total: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        debug_assert!(width(&line.text) <= line.limit);
        let (size, _, _) = line.kind.metrics();
        let colour: &[u8] = match line.kind {
            Kind::Subtitle => b"0.35 g\n",
            Kind::Note => b"0.12 0.31 0.47 rg\n",
            Kind::Source => b"0.45 g\n",
            _ => b"0 g\n",
        };
        out.extend_from_slice(colour);
        show(
            &mut out,
            &line.text,
            size,
            line.x,
            line.y,
            line.kind == Kind::Note,
        );
        if line.kind == Kind::Note {
            let x = MARGIN + 10.0;
            out.extend_from_slice(
                format!(
                    "0.5 0.62 0.73 RG 1 w {x:.2} {:.2} m {x:.2} {:.2} l S\n",
                    line.y - 4.0,
                    line.y + size
                )
                .as_bytes(),
            );
        }
    }
    let footer = footer_text(n, total);
    let x = (PAGE_W - width(&footer) as f32 * FOOTER_SIZE / 2.0) / 2.0;
    out.extend_from_slice(b"0 g\n");
    show(&mut out, &footer, FOOTER_SIZE, x, FOOTER_Y, false);
    out
}

fn footer_text(n: usize, total: usize) -> String {
    format!("第 {n} 页 共 {total} 页")
}

/// A ToUnicode CMap mapping each code used (UTF-16BE, as in UniGB-UTF16-H) to itself.
fn to_unicode(used: &BTreeSet<char>) -> Vec<u8> {
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    let mut pairs: Vec<char> = Vec::new();
    for &c in used {
        let Ok(code) = u16::try_from(u32::from(c)) else {
            pairs.push(c);
            continue;
        };
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == code && (*end >> 8) == (code >> 8) => *end = code,
            _ => ranges.push((code, code)),
        }
    }
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
3 begincodespacerange\n<0000> <D7FF>\n<D800DC00> <DBFFDFFF>\n<E000> <FFFF>\nendcodespacerange\n",
    );
    for chunk in ranges.chunks(100) {
        s.push_str(&format!("{} beginbfrange\n", chunk.len()));
        for (a, b) in chunk {
            s.push_str(&format!("<{a:04X}> <{b:04X}> <{a:04X}>\n"));
        }
        s.push_str("endbfrange\n");
    }
    for chunk in pairs.chunks(100) {
        s.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for c in chunk {
            let mut hex = Vec::new();
            utf16_hex(&c.to_string(), &mut hex);
            let hex = String::from_utf8_lossy(&hex);
            s.push_str(&format!("<{hex}> <{hex}>\n"));
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

/// PDF file under construction: bytes plus the offset of each object (id = index + 1).
struct PdfWriter {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl PdfWriter {
    fn object(&mut self, id: usize, body: &[u8]) {
        if self.offsets.len() < id {
            self.offsets.resize(id, 0);
        }
        self.offsets[id - 1] = self.out.len();
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: usize, data: &[u8]) {
        let mut body = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(id, &body);
    }
}

/// Builds the paper as an A4 PDF with the non-embedded Adobe CJK font STSong-Light and a
/// "第 N 页 共 M 页" footer on every page.
pub fn pdf(paper: &Paper) -> Vec<u8> {
    let pages = layout(paper);
    let total = pages.len();
    let mut used: BTreeSet<char> = BTreeSet::new();
    for line in pages.iter().flatten() {
        used.extend(line.text.chars());
    }
    used.extend(footer_text(total, total).chars());
    used.extend("0123456789".chars());

    let mut w = PdfWriter {
        out: b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec(),
        offsets: Vec::new(),
    };
    let first_page = 8;
    let kids: Vec<String> = (0..total)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    w.object(
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {total} >>",
            kids.join(" ")
        )
        .as_bytes(),
    );
    w.object(
        3,
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UTF16-H \
/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>",
    );
    let widths = vec!["500"; 95].join(" ");
    w.object(
        4,
        format!(
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> \
/FontDescriptor 5 0 R /DW 1000 /W [1 [{widths}]] >>"
        )
        .as_bytes(),
    );
    w.object(
        5,
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] \
/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    );
    w.stream(6, &to_unicode(&used));
    let mut info = b"<< /Title <FEFF".to_vec();
    utf16_hex(&clean(&paper.title).replace('\n', " "), &mut info);
    info.extend_from_slice(b"> /Producer (yusuan) >>");
    w.object(7, &info);
    for (i, lines) in pages.iter().enumerate() {
        let id = first_page + 2 * i;
        w.object(
            id,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
/Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                id + 1
            )
            .as_bytes(),
        );
        w.stream(id + 1, &page_content(lines, i + 1, total));
    }
    let xref = w.out.len();
    let size = w.offsets.len() + 1;
    let mut tail = format!("xref\n0 {size}\n0000000000 65535 f \n");
    for off in &w.offsets {
        tail.push_str(&format!("{off:010} 00000 n \n"));
    }
    tail.push_str(&format!(
        "trailer\n<< /Size {size} /Root 1 0 R /Info 7 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ));
    w.out.extend_from_slice(tail.as_bytes());
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const ARTICLE: &str = "各级预算应当遵循统筹兼顾、勤俭节约、量力而行、讲求绩效和收支平衡的原则。各级政府应当建立跨年度预算平衡机制，加强预算绩效管理（含 GDP 与 CPI 指标），提高资金使用效益。";

    fn sample() -> Paper {
        Paper {
            title: "2025年预算审查 <&> 工作底稿\u{1}".into(),
            subtitle: "张三 整理 · 2026-12-03 导出 · 共 2 项".into(),
            blocks: vec![
                Block::Heading("1. 《中华人民共和国预算法》第四十六条".into()),
                Block::Text(format!("{ARTICLE}\n第二段：\"引号\" 'single' a<b & c>d\u{1}\u{7}")),
                Block::Note("重点关注跨年度平衡机制。\n第二段批注。".into()),
                Block::Source("出处：中华人民共和国预算法 · 有效 · 2018-12-29 · /documents/xyz#第四十六条".into()),
                Block::Heading("2. 关于2024年中央决算的报告".into()),
                Block::Text("An English sentence with averyveryverylongwordthatshouldnotbesplitunlessitislongerthanawholelineoftextwhichthisoneisindeedbecauseitkeepsgoingandgoing.".into()),
                Block::Source("出处：/documents/abc".into()),
            ],
        }
    }

    fn long_paper(blocks: usize, chars: usize) -> Paper {
        let text: String = ARTICLE.chars().cycle().take(chars).collect();
        let mut out = Vec::new();
        for i in 0..blocks {
            out.push(if i % 4 == 0 {
                Block::Heading(format!("{}. 第{}条", i / 4 + 1, i))
            } else {
                Block::Text(text.clone())
            });
        }
        Paper {
            title: "长底稿".into(),
            subtitle: String::new(),
            blocks: out,
        }
    }

    fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut parts = Vec::new();
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            parts.push((f.name().unwrap().to_string(), s));
        }
        parts
    }

    fn assert_well_formed(name: &str, xml: &str) {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut depth = 0i64;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::GeneralRef(r)) => {
                    let known = ["amp", "lt", "gt", "quot", "apos"];
                    assert!(known.contains(&&r[..]), "{name}: &{r:?};");
                }
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{name} is not well-formed: {e}"),
            }
        }
        assert_eq!(depth, 0, "{name}: unbalanced tags");
    }

    #[test]
    fn docx_has_all_parts_escaped_and_well_formed() {
        let bytes = docx(&sample()).unwrap();
        let parts = unzip(&bytes);
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        for required in [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/document.xml",
            "word/styles.xml",
            "word/_rels/document.xml.rels",
            "word/footer1.xml",
            "docProps/core.xml",
        ] {
            assert!(names.contains(&required), "missing {required}");
        }
        for (name, xml) in &parts {
            assert!(xml.starts_with("<?xml"), "{name}");
            assert!(
                !xml.contains('\u{1}') && !xml.contains('\u{7}'),
                "control char in {name}"
            );
            assert_well_formed(name, xml);
        }
        let doc = &parts
            .iter()
            .find(|(n, _)| n == "word/document.xml")
            .unwrap()
            .1;
        assert!(doc.contains("2025年预算审查 &lt;&amp;&gt; 工作底稿"));
        assert!(!doc.contains("<&>"));
        assert!(doc.contains("a&lt;b &amp; c&gt;d") && doc.contains("&quot;引号&quot;"));
        assert!(doc.contains("w:w=\"11906\"") && doc.contains("w:h=\"16838\""));
        // Each '\n' of a text is a paragraph of its own.
        assert_eq!(doc.matches("w:val=\"BodyText\"").count(), 3);
        assert!(doc.contains("批注："));
        let footer = &parts
            .iter()
            .find(|(n, _)| n == "word/footer1.xml")
            .unwrap()
            .1;
        assert!(footer.contains("w:instr=\" PAGE ") && footer.contains("w:instr=\" NUMPAGES "));
        let styles = &parts
            .iter()
            .find(|(n, _)| n == "word/styles.xml")
            .unwrap()
            .1;
        assert!(styles.contains("w:eastAsia=\"宋体\"") && styles.contains("w:eastAsia=\"黑体\""));
    }

    /// Text shown on a page, one entry per `Tj`, decoded from the UTF-16BE hex strings.
    fn shown(doc: &lopdf::Document, page: lopdf::ObjectId) -> Vec<String> {
        let content = doc.get_page_content(page).unwrap();
        let content = String::from_utf8(content).unwrap();
        content
            .lines()
            .filter_map(|l| {
                let hex = &l[l.find('<')? + 1..l.find("> Tj")?];
                let units: Vec<u16> = (0..hex.len())
                    .step_by(4)
                    .map(|i| u16::from_str_radix(&hex[i..i + 4], 16).unwrap())
                    .collect();
                Some(String::from_utf16(&units).unwrap())
            })
            .collect()
    }

    #[test]
    fn pdf_short_paper_is_one_page_with_text_in_order() {
        let bytes = pdf(&sample());
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let pages = doc.get_pages();
        assert_eq!(pages.len(), 1);
        let lines = shown(&doc, pages[&1]);
        assert_eq!(lines.last().unwrap(), "第 1 页 共 1 页");
        let joined: String = lines.concat();
        assert!(joined.contains(ARTICLE), "paragraph not in order: {joined}");
        assert!(joined.contains("批注：重点关注跨年度平衡机制。"));
        assert!(!joined.contains('\u{1}'));
        // Through the ToUnicode map, a generic extractor gets the text back too.
        let extracted = doc.extract_text(&[1]).unwrap();
        let squeezed: String = extracted.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(squeezed.contains("第1页共1页"), "{extracted}");
        assert!(squeezed.contains("中华人民共和国预算法"), "{extracted}");
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        let title = doc
            .get_object(info)
            .unwrap()
            .as_dict()
            .unwrap()
            .get(b"Title")
            .unwrap();
        let raw = title.as_str().unwrap();
        assert_eq!(&raw[..2], &[0xFE, 0xFF]);
    }

    #[test]
    fn pdf_long_paper_has_many_pages_each_with_footer() {
        let bytes = pdf(&long_paper(300, 300));
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let pages = doc.get_pages();
        let total = pages.len();
        assert!(total > 10, "only {total} pages");
        for (n, id) in &pages {
            let lines = shown(&doc, *id);
            assert_eq!(lines.last().unwrap(), &format!("第 {n} 页 共 {total} 页"));
            for line in &lines {
                assert!(!line.starts_with('，') && !line.starts_with('。'), "{line}");
            }
        }
        assert_eq!(layout(&long_paper(300, 300)).len(), total);
    }

    #[test]
    fn lines_fit_the_text_width_and_headings_are_not_orphaned() {
        let mut paper = long_paper(300, 300);
        paper.blocks.extend(sample().blocks);
        let pages = layout(&paper);
        for page in &pages {
            for line in page {
                let (size, _, _) = line.kind.metrics();
                assert!(width(&line.text) <= line.limit, "{line:?}");
                let right = line.x + width(&line.text) as f32 * size / 2.0;
                assert!(right <= PAGE_W - MARGIN + 0.01, "{line:?} ends at {right}");
                assert!(line.y >= BOTTOM - 1.0, "{line:?}");
            }
            let last = page.last().unwrap();
            assert_ne!(
                last.kind,
                Kind::Heading,
                "heading alone at the bottom of a page"
            );
        }
        // The English word that fits is never split; the overlong one is.
        let all: Vec<&str> = pages.iter().flatten().map(|l| l.text.as_str()).collect();
        assert!(all.iter().any(|l| l.contains("sentence with")));
    }

    #[test]
    fn wrap_respects_width_words_and_line_start_rules() {
        let text = "预算".repeat(9) + "，。" + &"审查".repeat(30) + "）。";
        let lines = wrap(&text, 20, 20);
        assert_eq!(lines.concat(), text);
        for line in &lines {
            assert!(width(line) <= 20, "{line}");
            assert!(!line.starts_with(|c| NO_LINE_START.contains(c)), "{line}");
        }
        let lines = wrap("hello wonderful world", 12, 12);
        assert_eq!(lines, vec!["hello", "wonderful", "world"]);
        let lines = wrap(&"x".repeat(30), 10, 10);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.len() == 10));
        // Only punctuation cannot be helped, and it still terminates and fits.
        let lines = wrap(&"，".repeat(50), 10, 10);
        assert_eq!(lines.concat(), "，".repeat(50));
        assert!(lines.iter().all(|l| width(l) <= 10));
    }

    #[test]
    fn non_bmp_and_controls_survive_as_text() {
        let paper = Paper {
            title: "𠀀标题".into(),
            subtitle: "x\u{0}y".into(),
            blocks: vec![Block::Text("𠀀字\tz".into())],
        };
        let bytes = pdf(&paper);
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let lines = shown(&doc, doc.get_pages()[&1]);
        assert!(lines.contains(&"xy".to_string()));
        assert!(lines.iter().any(|l| l == "𠀀字    z"));
        assert!(docx(&paper).is_ok());
    }

    #[test]
    fn huge_paper_finishes() {
        let bytes = pdf(&long_paper(2000, 4000));
        assert!(bytes.ends_with(b"%%EOF\n"));
        assert!(docx(&long_paper(2000, 4000)).unwrap().len() > 1000);
    }
}
