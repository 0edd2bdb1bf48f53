//! Text extraction per format (Markdown, plain text in any common encoding, HTML, DOCX, PDF, CSV, XLSX).
//!
//! `extract` checks size and emptiness, detects the format and hands the bytes to the format's module. Every
//! module returns text normalised with `crate::text::clean`, one paragraph or heading per line.

mod docx;
mod html;
mod inflate;
mod isolate;
mod markdown;
mod pdf;
mod plain;
mod sheets;
mod table;
mod xls;

pub use isolate::WorkerLimits;
pub(crate) use plain::decode as decode_text;
pub(crate) use sheets::read_sheets;

use crate::error::ExtractError;
use crate::model::Format;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How PDFs are extracted: the parser can panic or loop forever on damaged files.
#[derive(Debug, Clone)]
pub enum PdfIsolation {
    /// Run `<exe> extract-pdf <file>` as a child process and kill it after the timeout (safest).
    Process(PathBuf),
    /// Run the parser on a thread with `catch_unwind`; give up (abandon the thread) after the timeout.
    Thread,
}

/// Options for extraction, built once from the configuration.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub pdf: PdfIsolation,
    pub pdf_timeout: Duration,
    /// Memory and CPU limits of each worker process.
    pub worker: WorkerLimits,
    /// Files larger than this are refused.
    pub max_file_bytes: u64,
    /// Extracted text kept per document, indexed and shown; the rest is cut (the original stays downloadable).
    pub max_text_bytes: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            pdf: PdfIsolation::Thread,
            pdf_timeout: Duration::from_secs(30),
            worker: WorkerLimits::default(),
            max_file_bytes: 64 * 1024 * 1024,
            max_text_bytes: 4 * 1024 * 1024,
        }
    }
}

pub use crate::budget::Table;

/// What extraction yields for one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub format: Format,
    /// The plain text, one paragraph or heading per line; headings keep their words (第一章 总则) but lose
    /// markup. Normalised with `crate::text::clean`.
    pub text: String,
    /// A title found by the format itself (Markdown `# `, HTML `<title>`/`<h1>`, DOCX title style).
    pub title: Option<String>,
    /// History lines (adoption and amendment dates) that precede the body, e.g. before `<!-- INFO END -->`.
    pub history: Vec<String>,
    pub tables: Vec<Table>,
    /// When the text was cut at `ExtractOptions::max_text_bytes`: the length of the whole text in bytes.
    pub cut_from: Option<u64>,
}

/// Detects the format from the file name (and content where the name says nothing).
pub fn detect_format(path: &Path, bytes: &[u8]) -> Result<Format, ExtractError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let by_name = match ext.as_str() {
        "md" | "markdown" => Some(Format::Markdown),
        "txt" | "text" => Some(Format::Text),
        "html" | "htm" | "xhtml" => Some(Format::Html),
        "docx" => Some(Format::Docx),
        "pdf" => Some(Format::Pdf),
        "csv" | "tsv" => Some(Format::Csv),
        "xlsx" | "xlsm" | "xls" | "ods" => Some(Format::Xlsx),
        _ => None,
    };
    if let Some(format) = by_name {
        return Ok(format);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return match zip_kind(bytes) {
            Some(format) => Ok(format),
            None => Err(ExtractError::Unsupported(format!(
                "a zip archive ({})",
                path.display()
            ))),
        };
    }
    if plain::decode(bytes).is_ok() {
        let head: String = String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .take(15)
            .collect::<String>()
            .to_ascii_lowercase();
        if head.starts_with("<!doctype html") || head.starts_with("<html") {
            return Ok(Format::Html);
        }
        return Ok(Format::Text);
    }
    Err(ExtractError::Unsupported(if ext.is_empty() {
        "binary content without a known file extension".to_string()
    } else {
        format!(".{ext}")
    }))
}

/// Tells a DOCX from an XLSX by the parts inside the zip archive.
fn zip_kind(bytes: &[u8]) -> Option<Format> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    if archive.index_for_name("word/document.xml").is_some() {
        Some(Format::Docx)
    } else if archive.index_for_name("xl/workbook.xml").is_some() {
        Some(Format::Xlsx)
    } else {
        None
    }
}

/// Extracts the text of one file.
pub fn extract(
    path: &Path,
    bytes: &[u8],
    opts: &ExtractOptions,
) -> Result<Extracted, ExtractError> {
    let size = bytes.len() as u64;
    if size > opts.max_file_bytes {
        return Err(ExtractError::TooLarge {
            size,
            limit: opts.max_file_bytes,
        });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ExtractError::Empty);
    }
    let format = detect_format(path, bytes)?;
    let mut extracted = match format {
        Format::Markdown => markdown::extract(bytes)?,
        Format::Text => plain::extract(bytes)?,
        Format::Html => html::extract(bytes)?,
        Format::Docx => docx::extract(bytes)?,
        Format::Pdf => pdf::extract(bytes, opts)?,
        Format::Csv => table::extract_csv(bytes)?,
        Format::Xlsx => table::extract_workbook(bytes)?,
    };
    if extracted.text.trim().is_empty() && extracted.tables.is_empty() {
        return Err(ExtractError::Empty);
    }
    cut_text(&mut extracted, opts.max_text_bytes);
    Ok(extracted)
}

/// Cuts the text after the last whole line within `limit` bytes (or within a character when a line is longer)
/// and records the length it had.
fn cut_text(extracted: &mut Extracted, limit: usize) {
    let full = extracted.text.len();
    if full <= limit {
        return;
    }
    let within = extracted.text.floor_char_boundary(limit);
    let end = extracted.text[..within]
        .rfind('\n')
        .map_or(within, |newline| newline + 1);
    extracted.text.truncate(end);
    extracted.cut_from = Some(full as u64);
}

/// Exit code of `pdf_worker` when the PDF was read but holds no text layer.
pub const PDF_EXIT_NO_TEXT: i32 = 3;
/// Exit code of `pdf_worker` when the PDF could not be parsed (an error or a panic in the parser).
pub const PDF_EXIT_BROKEN: i32 = 4;
/// Exit code of `pdf_worker` when the file could not be read.
pub const PDF_EXIT_IO: i32 = 5;

/// The body of the hidden `extract-pdf FILE` command: extracts one PDF in this process and writes its raw text
/// (before `clean`) and tables to stdout as JSON. Returns the exit code: 0 on success, `PDF_EXIT_NO_TEXT`, `PDF_EXIT_BROKEN` or
/// `PDF_EXIT_IO` with a one-line reason on stderr otherwise.
pub fn pdf_worker(path: &Path) -> i32 {
    pdf::worker(path)
}

/// Builds an `Extracted` value.
fn extracted(format: Format, text: String, title: Option<String>) -> Extracted {
    Extracted {
        format,
        text,
        title,
        history: Vec::new(),
        tables: Vec::new(),
        cut_from: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_by_name_and_content() {
        let detect = |name: &str, bytes: &[u8]| detect_format(Path::new(name), bytes).unwrap();
        assert_eq!(detect("a.MD", b""), Format::Markdown);
        assert_eq!(detect("a.htm", b""), Format::Html);
        assert_eq!(detect("a.xls", b""), Format::Xlsx);
        assert_eq!(detect("a.tsv", b""), Format::Csv);
        assert_eq!(detect("noext", b"%PDF-1.7\n"), Format::Pdf);
        assert_eq!(detect("noext", "预算报告".as_bytes()), Format::Text);
        assert_eq!(
            detect("page", b"\n <!DOCTYPE html><html></html>"),
            Format::Html
        );
        let docx = docx::tests::build_docx("<w:p/>", None);
        assert_eq!(detect("upload.bin", &docx), Format::Docx);
        assert!(matches!(
            detect_format(
                Path::new("a.exe"),
                &[0x4d, 0x5a, 0x90, 0x00, 0xff, 0xfe, 0x80]
            ),
            Err(ExtractError::Unsupported(_))
        ));
    }

    #[test]
    fn refuses_empty_large_and_unknown_files() {
        let opts = ExtractOptions {
            max_file_bytes: 8,
            ..ExtractOptions::default()
        };
        assert!(matches!(
            extract(Path::new("a.txt"), b"", &opts),
            Err(ExtractError::Empty)
        ));
        assert!(matches!(
            extract(Path::new("a.txt"), b" \r\n\t ", &opts),
            Err(ExtractError::Empty)
        ));
        assert!(matches!(
            extract(Path::new("a.md"), "\u{3000}\n".as_bytes(), &opts),
            Err(ExtractError::Empty)
        ));
        assert!(matches!(
            extract(Path::new("a.txt"), b"123456789", &opts),
            Err(ExtractError::TooLarge { size: 9, limit: 8 })
        ));
        assert!(matches!(
            extract(Path::new("blob"), &[0xff, 0x00, 0xfe], &opts),
            Err(ExtractError::Unsupported(_))
        ));
        assert!(matches!(
            extract(Path::new("a.txt"), &[b'a', 0xff, 0x80], &opts),
            Err(ExtractError::Encoding(_))
        ));
    }

    #[test]
    fn long_text_is_cut_at_a_line_within_the_limit() {
        let opts = ExtractOptions {
            max_text_bytes: 20,
            ..ExtractOptions::default()
        };
        let out = extract(
            Path::new("a.txt"),
            "第一行预算\n第二行决算\n第三行".as_bytes(),
            &opts,
        )
        .unwrap();
        assert_eq!(out.text, "第一行预算\n");
        assert_eq!(out.cut_from, Some(42));
        // A single long line is cut inside, at a character boundary.
        let out = extract(Path::new("a.txt"), "预".repeat(10).as_bytes(), &opts).unwrap();
        assert_eq!(out.text, "预".repeat(6));
        let short = extract(Path::new("a.txt"), "预算".as_bytes(), &opts).unwrap();
        assert_eq!(short.cut_from, None);
    }

    #[test]
    fn extracts_utf16_text_with_a_title() {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(
            "关于2023年决算的报告\r\n\r\n各位代表："
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        );
        let out = extract(Path::new("r.txt"), &bytes, &ExtractOptions::default()).unwrap();
        assert_eq!(out.format, Format::Text);
        assert_eq!(out.title.as_deref(), Some("关于2023年决算的报告"));
        assert_eq!(out.text, "关于2023年决算的报告\n\n各位代表：\n");
    }
}
