//! DOCX: paragraphs (`w:p`) become lines of their `w:t` runs, tables (`w:tbl`) become `Table`s and tab-joined
//! lines; the title comes from `docProps/core.xml` or the first Title/Heading 1 paragraph.

use super::{Extracted, Table, extracted};
use crate::error::ExtractError;
use crate::model::Format;
use crate::text::clean;
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use std::io::Read;

/// The largest XML part read from the archive (guards against zip bombs).
const MAX_PART_BYTES: u64 = 256 * 1024 * 1024;

/// Paragraph styles whose first occurrence names the document.
const TITLE_STYLES: &[&str] = &["title", "heading1", "1", "标题", "标题1"];

/// Extracts a DOCX file.
pub(super) fn extract(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ExtractError::Corrupt(format!("not a readable zip archive: {e}")))?;
    let document = read_part(&mut archive, "word/document.xml")?
        .ok_or_else(|| ExtractError::Corrupt("word/document.xml is missing".into()))?;
    let body = parse_document(&document)?;
    let core_title = match read_part(&mut archive, "docProps/core.xml") {
        Ok(Some(core)) => core_title(&core),
        _ => None,
    };
    let title = core_title.or(body.styled_title);
    let mut text = body.lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    let mut out = extracted(Format::Docx, text, title);
    out.tables = body.tables;
    Ok(out)
}

/// Reads one part of the archive as UTF-8; `None` when the part does not exist.
fn read_part<R: std::io::Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Option<String>, ExtractError> {
    let file = match archive.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ExtractError::Corrupt(format!("{name}: {e}"))),
    };
    let mut bytes = Vec::new();
    file.take(MAX_PART_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| ExtractError::Corrupt(format!("{name}: {e}")))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| ExtractError::Corrupt(format!("{name} is not UTF-8")))
}

/// What the main document part yields.
struct Body {
    lines: Vec<String>,
    tables: Vec<Table>,
    styled_title: Option<String>,
}

/// Walks `word/document.xml`. Nested tables are flattened into the cell of the outermost table.
fn parse_document(xml: &str) -> Result<Body, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut body = Body {
        lines: Vec::new(),
        tables: Vec::new(),
        styled_title: None,
    };
    let mut paragraph = String::new();
    let mut style = String::new();
    let mut in_text = false;
    let mut table_depth = 0usize;
    let mut table = Table::default();
    let mut row: Vec<crate::budget::Cell> = Vec::new();
    let mut cell = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Corrupt(format!("word/document.xml: {e}")))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "p" => {
                    paragraph.clear();
                    style.clear();
                }
                "tbl" => table_depth += 1,
                _ => open_empty(&e, &mut paragraph, &mut style),
            },
            Event::Empty(e) => open_empty(&e, &mut paragraph, &mut style),
            Event::Text(t) if in_text => paragraph.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => paragraph.push_str(&t),
            Event::GeneralRef(r) if in_text => push_ref(&mut paragraph, &r),
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    let text = clean(&paragraph);
                    let text = text.trim();
                    if table_depth > 0 {
                        if !cell.is_empty() && !text.is_empty() {
                            cell.push(' ');
                        }
                        cell.push_str(&text.replace('\n', " "));
                    } else if !text.is_empty() {
                        if body.styled_title.is_none()
                            && TITLE_STYLES.contains(&style.to_lowercase().as_str())
                        {
                            body.styled_title = Some(text.replace('\n', " "));
                        }
                        body.lines.push(text.to_string());
                    }
                    paragraph.clear();
                }
                "tc" if table_depth == 1 => {
                    row.push(crate::budget::Cell::text(std::mem::take(&mut cell)))
                }
                "tr" if table_depth == 1 => {
                    if row.iter().any(|c| !c.is_blank()) {
                        let texts: Vec<&str> = row.iter().map(|c| c.text.as_str()).collect();
                        body.lines.push(texts.join("\t"));
                        table.rows.push(std::mem::take(&mut row));
                    }
                    row.clear();
                }
                "tbl" => {
                    table_depth = table_depth.saturating_sub(1);
                    if table_depth == 0 && !table.rows.is_empty() {
                        body.tables.push(std::mem::take(&mut table));
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(body)
}

/// Handles run content elements: tabs, breaks and the paragraph style.
fn open_empty(e: &BytesStart<'_>, paragraph: &mut String, style: &mut String) {
    match e.local_name().as_ref() {
        "tab" => paragraph.push('\t'),
        "br" | "cr" => paragraph.push('\n'),
        "pStyle" => {
            if let Some(val) = attribute(e, "val") {
                *style = val;
            }
        }
        _ => {}
    }
}

/// The value of the attribute whose local name is `name`.
fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key: &str = a.key.as_ref();
        let local = key.rsplit(':').next().unwrap_or(key);
        (local == name)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .ok()
            })
            .flatten()
    })
}

/// Appends an entity or character reference.
fn push_ref(out: &mut String, r: &BytesRef<'_>) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(r) {
        out.push_str(s);
    }
}

/// The `dc:title` of `docProps/core.xml`, when present and not empty.
fn core_title(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut inside = false;
    let mut title = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == "title" => inside = true,
            Event::End(e) if e.local_name().as_ref() == "title" => break,
            Event::Text(t) if inside => title.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if inside => push_ref(&mut title, &r),
            Event::Eof => break,
            _ => {}
        }
    }
    let title = clean(&title).trim().to_string();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::io::Write;

    /// Builds a DOCX archive from a body XML fragment and an optional core title.
    pub(in crate::ingest::extract) fn build_docx(body: &str, core_title: Option<&str>) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", options).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
        zip.start_file("word/document.xml", options).unwrap();
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document \
             xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
        );
        zip.write_all(doc.as_bytes()).unwrap();
        if let Some(title) = core_title {
            zip.start_file("docProps/core.xml", options).unwrap();
            let core = format!(
                "<?xml version=\"1.0\"?><cp:coreProperties xmlns:cp=\"x\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
                 <dc:title>{title}</dc:title></cp:coreProperties>"
            );
            zip.write_all(core.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const BODY: &str = "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t>关于预算</w:t></w:r>\
        <w:r><w:t xml:space=\"preserve\">执行情况 &amp; 审查</w:t></w:r></w:p>\
        <w:p><w:r><w:t>科目</w:t><w:tab/><w:t>金额</w:t><w:br/><w:t>第二行</w:t></w:r></w:p>\
        <w:tbl><w:tr><w:tc><w:p><w:r><w:t>2010101</w:t></w:r></w:p></w:tc>\
        <w:tc><w:p><w:r><w:t>行政运行</w:t></w:r></w:p></w:tc></w:tr>\
        <w:tr><w:tc><w:p><w:r><w:t>合计</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12.5</w:t></w:r></w:p>\
        <w:p><w:r><w:t>万元</w:t></w:r></w:p></w:tc></w:tr></w:tbl>\
        <w:p><w:r><w:t>结束</w:t></w:r></w:p>";

    #[test]
    fn extracts_paragraphs_tables_and_styled_title() {
        let out = extract(&build_docx(BODY, None)).unwrap();
        assert_eq!(out.format, Format::Docx);
        assert_eq!(out.title.as_deref(), Some("关于预算执行情况 & 审查"));
        assert_eq!(
            out.text,
            "关于预算执行情况 & 审查\n科目 金额\n第二行\n2010101\t行政运行\n合计\t12.5 万元\n结束\n"
        );
        assert_eq!(
            out.tables,
            vec![Table::from_texts(
                "",
                vec![
                    vec!["2010101".to_string(), "行政运行".to_string()],
                    vec!["合计".to_string(), "12.5 万元".to_string()],
                ],
            )]
        );
    }

    #[test]
    fn core_title_wins() {
        let out = extract(&build_docx(BODY, Some("2024年部门预算"))).unwrap();
        assert_eq!(out.title.as_deref(), Some("2024年部门预算"));
    }

    #[test]
    fn damaged_archives_are_corrupt() {
        let mut bytes = build_docx(BODY, None);
        bytes.truncate(bytes.len() / 2);
        assert!(matches!(extract(&bytes), Err(ExtractError::Corrupt(_))));
        assert!(matches!(
            extract(b"PK\x03\x04 not really a zip"),
            Err(ExtractError::Corrupt(_))
        ));
    }
}
