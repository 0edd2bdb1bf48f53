//! PDF: text and tables, read in isolation (a child process or a thread under `catch_unwind`, both with a
//! timeout). pdf-extract gives the text, with a layout pass that joins lines wrapped inside a paragraph and keeps
//! real line breaks; our own page interpreter (`page`, `fonts`) gives positioned glyphs and ruling lines for the
//! table grids, and the text where pdf-extract cannot read a font (predefined CJK CMaps such as GBK-EUC-H).
//!
//! The layout pass records every line with its position. A line is joined to the next one when it is prose
//! (mostly CJK), reaches the right edge of the body text, does not end a sentence, and the next line sits right
//! below it without a deeper indent. Table rows (mostly numbers) and headings (short lines) keep their breaks.

mod fonts;
mod page;

use super::{
    ExtractOptions, Extracted, PDF_EXIT_BROKEN, PDF_EXIT_IO, PDF_EXIT_NO_TEXT, PdfIsolation, Table,
    extracted, inflate, isolate,
};
use crate::budget::grid::{self, PageContent};
use crate::error::ExtractError;
use crate::model::Format;
use crate::text::{clean, is_cjk};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Stack size of the parser thread: deeply nested objects recurse, and a stack overflow cannot be caught.
const THREAD_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Characters that end a sentence or a clause introducing a list: a line ending in one is not joined.
const TERMINAL: &[char] = &['。', '！', '？', '：', '!', '?', ':'];

/// Extracts a PDF with the configured isolation.
pub(super) fn extract(bytes: &[u8], opts: &ExtractOptions) -> Result<Extracted, ExtractError> {
    let raw = match &opts.pdf {
        PdfIsolation::Process(exe) => in_child(exe, bytes, opts)?,
        PdfIsolation::Thread => in_thread(bytes, opts.pdf_timeout)?,
    };
    let mut out = finish(&raw.text)?;
    out.tables = raw.tables;
    Ok(out)
}

/// What the parser gives for one PDF: the raw layout text (before `clean`) and the tables.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Raw {
    text: String,
    tables: Vec<Table>,
}

/// Turns the raw layout text into the extracted document: `clean`, subject codes, the title.
fn finish(raw: &str) -> Result<Extracted, ExtractError> {
    if !meaningful(raw) {
        return Err(ExtractError::PdfNoText);
    }
    let cleaned = clean(raw);
    let mut text = String::with_capacity(cleaned.len());
    for line in cleaned.lines() {
        text.push_str(&join_subject_code(line));
        text.push('\n');
    }
    let title = title(&text);
    Ok(extracted(Format::Pdf, text, title))
}

/// Whether the text holds anything beyond whitespace and page-break characters.
fn meaningful(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Rewrites a table row whose subject code is split into 类/款/项 columns ("201 06 01 行政运行") as one code
/// ("2010601 行政运行").
fn join_subject_code(line: &str) -> std::borrow::Cow<'_, str> {
    static SPLIT_CODE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^(\d{3}) (\d{2})(?: (\d{2}))? (\p{Han})").expect("the pattern is valid")
    });
    SPLIT_CODE.replace(line, "$1$2$3 $4")
}

/// The title: the lines before a table of contents (目录) when it follows within the first lines, otherwise the
/// first line when it is short and not a sentence. Spaces next to CJK characters are dropped.
fn title(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(6)
        .collect();
    let toc = lines.iter().position(|l| squeeze(l) == "目录");
    let parts: &[&str] = match toc {
        Some(n) if (1..=4).contains(&n) => &lines[..n],
        _ => &lines[..lines.len().min(1)],
    };
    let title: String = parts.iter().map(|l| squeeze(l)).collect();
    let chars = title.chars().count();
    ((2..=60).contains(&chars) && !title.contains('。')).then_some(title)
}

/// Drops spaces that touch a non-ASCII character ("2024 年度" → "2024年度", "目 录" → "目录").
fn squeeze(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1).copied();
            if before.is_some_and(|b| !b.is_ascii()) || after.is_some_and(|a| !a.is_ascii()) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Why the in-process parser gave no text.
#[derive(Debug)]
enum Failure {
    /// The parser returned an error.
    Broken(String),
}

/// Parses the PDF in this process: the pages through our interpreter (glyphs and rules → tables), the text
/// through pdf-extract, or from our glyphs where pdf-extract fails. May panic (pdf-extract does on damaged
/// files); our interpreter's panics are contained here so that the text still comes through.
fn parse(bytes: &[u8]) -> Result<Raw, Failure> {
    inflate::check_object_streams(bytes).map_err(Failure::Broken)?;
    let mut doc = lopdf::Document::load_mem(bytes).map_err(|e| Failure::Broken(e.to_string()))?;
    if doc.is_encrypted() {
        doc.decrypt("")
            .map_err(|e| Failure::Broken(format!("encrypted with a password: {e}")))?;
    }
    inflate::check(&doc).map_err(Failure::Broken)?;
    let pages: Vec<(u32, lopdf::ObjectId)> = doc.get_pages().into_iter().collect();
    if pages.is_empty() {
        return Err(Failure::Broken("the document has no pages".into()));
    }
    let contents: Vec<PageContent> = catch_unwind(AssertUnwindSafe(|| {
        let mut interpreter = page::Interpreter::new(&doc);
        pages
            .iter()
            .map(|&(number, id)| interpreter.page(number, id))
            .collect()
    }))
    .unwrap_or_default();
    let tables = catch_unwind(AssertUnwindSafe(|| grid::tables(&contents))).unwrap_or_default();
    let text = match catch_unwind(AssertUnwindSafe(|| layout_text(&doc, &pages))) {
        Ok(Ok(text)) if meaningful(&text) => text,
        outcome => {
            let fallback = glyph_text(&contents);
            if meaningful(&fallback) {
                fallback
            } else {
                match outcome {
                    Ok(Ok(text)) => text,
                    Ok(Err(failure)) => return Err(failure),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        }
    };
    Ok(Raw { text, tables })
}

/// Lays out the text of the pages with pdf-extract.
fn layout_text(doc: &lopdf::Document, pages: &[(u32, lopdf::ObjectId)]) -> Result<String, Failure> {
    let mut layout = Layout::default();
    let mut first_error = None;
    let mut read = 0;
    for &(page, _) in pages {
        // A damaged page is skipped; the others still count.
        match pdf_extract::output_doc_page(doc, &mut layout, page) {
            Ok(()) => read += 1,
            Err(e) => {
                layout.discard_page();
                first_error.get_or_insert_with(|| format!("page {page}: {e}"));
            }
        }
    }
    if read == 0 {
        return Err(Failure::Broken(
            first_error.unwrap_or_else(|| "no page could be read".into()),
        ));
    }
    Ok(layout.text())
}

/// Lays out the text of our interpreter's glyphs, for PDFs whose fonts pdf-extract cannot read.
fn glyph_text(pages: &[PageContent]) -> String {
    let mut layout = Layout::default();
    for page in pages {
        layout.page_height = f64::from(page.height);
        layout.line = None;
        layout.page.clear();
        // Reading order: by line, then left to right.
        let mut glyphs: Vec<&grid::Glyph> = page.glyphs.iter().collect();
        glyphs.sort_by(|a, b| {
            let (ha, hb) = (a.bottom - a.top, b.bottom - b.top);
            let line =
                |g: &grid::Glyph, h: f32| ((g.top + g.bottom) / 2.0 / (h.max(1.0) * 0.5)).round();
            line(a, ha)
                .total_cmp(&line(b, hb))
                .then(a.x0.total_cmp(&b.x0))
        });
        for g in glyphs {
            let size = f64::from(g.bottom - g.top);
            let baseline = f64::from(g.top) + size * 0.85;
            let width = f64::from(g.x1 - g.x0) / size.max(1.0);
            layout.push(f64::from(g.x0), baseline, width, size, &g.text);
        }
        layout.end_current_line();
        layout.pages.push(std::mem::take(&mut layout.page));
    }
    layout.text()
}

/// One line of text as laid out on the page (y grows downwards).
#[derive(Debug, Clone)]
struct Line {
    text: String,
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    /// The widest horizontal gap between two characters, in font sizes: wide gaps separate table cells.
    max_gap: f64,
}

/// An `OutputDev` that records lines with their positions, page by page.
#[derive(Default)]
struct Layout {
    pages: Vec<Vec<Line>>,
    page: Vec<Line>,
    line: Option<Line>,
    page_height: f64,
    last_end: f64,
    last_y: f64,
}

impl Layout {
    /// Ends the current line.
    fn end_current_line(&mut self) {
        if let Some(line) = self.line.take()
            && !line.text.trim().is_empty()
        {
            self.page.push(line);
        }
    }

    /// Drops what was recorded of a page that failed half way.
    fn discard_page(&mut self) {
        self.line = None;
        self.page.clear();
    }

    /// The laid-out text of all pages: joined lines, one per row, pages separated by a blank line.
    fn text(&self) -> String {
        let edge = body_edge(self.pages.iter().flatten());
        let mut out = String::new();
        for page in &self.pages {
            // The first line of the current logical line (a paragraph or a table row, possibly wrapped).
            let mut head = 0;
            for (i, line) in page.iter().enumerate() {
                out.push_str(&collapse_spaces(&line.text));
                let joined = page.get(i + 1).is_some_and(|next| {
                    continues(line, next, edge) || continues_cell(&page[head], line, next)
                });
                if joined {
                    let last = line.text.trim_end().chars().last();
                    let first = page[i + 1].text.trim_start().chars().next();
                    if last.is_some_and(|c| c.is_ascii_alphanumeric())
                        && first.is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        out.push(' ');
                    }
                } else {
                    out.push('\n');
                    head = i + 1;
                }
            }
            out.push('\n');
        }
        out
    }
}

impl OutputDev for Layout {
    fn begin_page(
        &mut self,
        _page: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page_height = media_box.ury - media_box.lly;
        self.line = None;
        self.page.clear();
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.end_current_line();
        self.pages.push(std::mem::take(&mut self.page));
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        // The text matrix scales the font size; the page is flipped so that y grows downwards (as pdf-extract's
        // own plain-text output does).
        let sx = font_size * (trm.m11 + trm.m21);
        let sy = font_size * (trm.m12 + trm.m22);
        let size = (sx * sy).abs().sqrt();
        self.push(trm.m31, self.page_height - trm.m32, width, size, text);
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

impl Layout {
    /// Adds one character (or run) at `x` on the baseline `y` (downwards from the top), `width` in font sizes.
    fn push(&mut self, x: f64, y: f64, width: f64, size: f64, text: &str) {
        let size = if !size.is_finite() || size < 1.0 {
            1.0
        } else {
            size
        };
        if !x.is_finite() || !y.is_finite() {
            return;
        }
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        let end = x + width * size;
        let new_line = match &self.line {
            None => true,
            Some(_) => {
                let dy = (y - self.last_y).abs();
                dy > size * 1.5 || (x < self.last_end && dy > size * 0.5)
            }
        };
        if new_line {
            self.end_current_line();
            self.line = Some(Line {
                text: String::new(),
                x0: x,
                x1: end,
                y,
                size,
                max_gap: 0.0,
            });
        }
        if let Some(line) = &mut self.line {
            let gap = x - self.last_end;
            if !new_line && gap > size * 0.1 {
                line.max_gap = line.max_gap.max(gap / size);
                // Letter-spaced CJK (社 会 保 障) is read as one word; a wider gap still separates cells.
                let last = line.text.chars().last();
                let first = text.chars().next();
                let spaced_cjk =
                    last.is_some_and(is_cjk) && first.is_some_and(is_cjk) && gap < size;
                if !spaced_cjk && !line.text.ends_with(' ') {
                    line.text.push(' ');
                }
            }
            if line.text.trim().is_empty() && !text.trim().is_empty() {
                // The line starts at its first visible character.
                line.x0 = x;
            }
            line.text.push_str(&text);
            line.x1 = line.x1.max(end);
            line.size = line.size.max(size);
        }
        self.last_end = end;
        self.last_y = y;
    }
}

/// The right edge of the body text: the most common right end (in 2-point bins) of long prose lines, which in
/// justified Chinese text all end at the margin. `None` when no two prose lines share an edge.
fn body_edge<'a>(lines: impl Iterator<Item = &'a Line>) -> Option<f64> {
    let mut bins: std::collections::BTreeMap<i64, (usize, f64)> = std::collections::BTreeMap::new();
    for line in lines.filter(|l| is_prose(&l.text) && l.text.chars().count() >= 8) {
        let bin = bins
            .entry((line.x1 / 2.0).round() as i64)
            .or_insert((0, f64::MIN));
        bin.0 += 1;
        bin.1 = bin.1.max(line.x1);
    }
    bins.values()
        .filter(|(count, _)| *count >= 2)
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, x)| *x)
}

/// Whether at least half of the visible characters are CJK ideographs (prose, not a row of figures).
fn is_prose(text: &str) -> bool {
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    let cjk = text.chars().filter(|&c| is_cjk(c)).count();
    visible > 0 && cjk * 2 >= visible
}

/// Whether `next` continues the paragraph of `line` (a wrap, not a real break).
fn continues(line: &Line, next: &Line, edge: Option<f64>) -> bool {
    let Some(edge) = edge else { return false };
    let size = line.size;
    let dy = next.y - line.y;
    let Some(last) = line.text.trim_end().chars().last() else {
        return false;
    };
    let Some(first) = next.text.trim_start().chars().next() else {
        return false;
    };
    is_prose(&line.text)
        && line.max_gap < 1.5
        && line.x1 >= edge - size * 1.2
        && dy > size * 0.5
        && dy < size * 2.6
        && next.x0 <= line.x0 + size * 0.5
        && !TERMINAL.contains(&last)
        && !first.is_whitespace()
}

/// Whether `next` continues a table cell of the subject-coded row that `head` starts ("2080505 机关事业单位基本
/// 养老保险缴" / "费支出 446.11"): the wrapped name sits right below, inside the row, after the code column.
fn continues_cell(head: &Line, line: &Line, next: &Line) -> bool {
    let size = line.size;
    let dy = next.y - line.y;
    let last = line.text.trim_end().chars().last();
    let first = next.text.trim_start().chars().next();
    head.text
        .trim_start()
        .starts_with(|c: char| c.is_ascii_digit())
        && last.is_some_and(is_cjk)
        && first.is_some_and(is_cjk)
        && dy > size * 0.5
        && dy < size * 1.6
        && next.x0 >= head.x0 + size * 2.0
        && next.x0 <= line.x1
}

/// Collapses runs of spaces into one and trims the line.
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Runs the parser on a thread under `catch_unwind`; gives up (abandoning the thread) after `timeout`.
fn in_thread(bytes: &[u8], timeout: Duration) -> Result<Raw, ExtractError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let data = bytes.to_vec();
    std::thread::Builder::new()
        .name("pdf-extract".into())
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| parse(&data)));
            // The receiver is gone when the caller timed out; nothing is left to tell.
            let _ = tx.send(result.map_err(|panic| panic_message(panic.as_ref())));
        })?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(Ok(raw))) => Ok(raw),
        Ok(Ok(Err(Failure::Broken(reason)))) => Err(ExtractError::PdfBroken(reason)),
        Ok(Err(panic)) => Err(ExtractError::PdfBroken(format!(
            "the parser panicked: {panic}"
        ))),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            Err(ExtractError::PdfTimeout(timeout.as_secs()))
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(ExtractError::PdfBroken(
            "the parser thread ended without a result".into(),
        )),
    }
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// A copy of the PDF in the temporary folder for the worker process, removed when dropped.
struct TempPdf(PathBuf);

impl TempPdf {
    fn write(bytes: &[u8]) -> std::io::Result<TempPdf> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("yusuan-pdf-{}-{n}.pdf", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let temp = TempPdf(path);
        file.write_all(bytes)?;
        file.flush()?;
        Ok(temp)
    }
}

impl Drop for TempPdf {
    fn drop(&mut self) {
        // Removal is best effort: the temporary folder is cleaned by the system too.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `<exe> extract-pdf <file>` under the worker limits and reads its stdout; kills it after the timeout.
fn in_child(exe: &Path, bytes: &[u8], opts: &ExtractOptions) -> Result<Raw, ExtractError> {
    let timeout = opts.pdf_timeout;
    let file = TempPdf::write(bytes)?;
    let mut command = Command::new(exe);
    command
        .arg("extract-pdf")
        .arg(&file.0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    isolate::apply(&mut command, opts.worker);
    let mut child = command.spawn()?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    // Both pipes are drained on threads so that a full pipe cannot stall the child.
    let out_reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(mut pipe) = stdout {
            let _ = pipe.read_to_end(&mut out);
        }
        out
    });
    let err_reader = std::thread::spawn(move || {
        let mut err = Vec::new();
        if let Some(pipe) = stderr {
            let _ = pipe.take(64 * 1024).read_to_end(&mut err);
        }
        err
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ExtractError::PdfTimeout(timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let reason = String::from_utf8_lossy(&err)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    match status.code() {
        Some(0) => serde_json::from_slice(&out)
            .map_err(|_| ExtractError::PdfBroken("the worker wrote an unreadable result".into())),
        Some(PDF_EXIT_NO_TEXT) => Err(ExtractError::PdfNoText),
        Some(PDF_EXIT_BROKEN) => Err(ExtractError::PdfBroken(reason)),
        _ if let Some(limit) = isolate::ended_by_limit(status) => {
            Err(ExtractError::OverLimit(limit.to_string()))
        }
        _ => Err(ExtractError::PdfBroken(format!(
            "the worker failed ({status}): {reason}"
        ))),
    }
}

/// The worker process: extracts `path` and writes the raw text and tables to stdout as JSON. See
/// `super::pdf_worker`.
pub(super) fn worker(path: &Path) -> i32 {
    // The process exists for this one file: panics are reported below as one line, not by the default hook.
    std::panic::set_hook(Box::new(|_| {}));
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            return PDF_EXIT_IO;
        }
    };
    match catch_unwind(AssertUnwindSafe(|| parse(&bytes))) {
        Ok(Ok(raw)) if meaningful(&raw.text) => {
            let mut stdout = std::io::stdout().lock();
            let json = serde_json::to_vec(&raw).unwrap_or_default();
            match stdout.write_all(&json).and_then(|()| stdout.flush()) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("cannot write the text: {e}");
                    PDF_EXIT_IO
                }
            }
        }
        Ok(Ok(_)) => {
            eprintln!("the PDF has no text layer");
            PDF_EXIT_NO_TEXT
        }
        Ok(Err(Failure::Broken(reason))) => {
            eprintln!("{}", reason.replace('\n', " "));
            PDF_EXIT_BROKEN
        }
        Err(panic) => {
            eprintln!(
                "the parser panicked: {}",
                panic_message(panic.as_ref()).replace('\n', " ")
            );
            PDF_EXIT_BROKEN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a one-page PDF whose content stream is `content` (Helvetica as /F1), with a correct xref table.
    fn build_pdf(content: &str) -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
             /Resources << /Font << /F1 5 0 R >> >> >>"
                .to_string(),
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len() + 1
            ),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .to_string(),
        ];
        crate::bench::hostile::pdf_of(&objects.map(String::into_bytes))
    }

    fn thread_opts() -> ExtractOptions {
        ExtractOptions {
            pdf: PdfIsolation::Thread,
            pdf_timeout: Duration::from_secs(30),
            ..ExtractOptions::default()
        }
    }

    #[test]
    fn extracts_a_text_pdf() {
        let pdf = build_pdf(
            "BT /F1 24 Tf 72 700 Td (Budget Report) Tj ET\nBT /F1 12 Tf 72 650 Td (Revenue rose.) Tj ET",
        );
        let out = extract(&pdf, &thread_opts()).unwrap();
        assert_eq!(out.format, Format::Pdf);
        assert_eq!(out.text, "Budget Report\nRevenue rose.\n");
        assert_eq!(out.title.as_deref(), Some("Budget Report"));
    }

    #[test]
    fn a_pdf_without_text_has_no_text_layer() {
        let pdf = build_pdf("0 0 m 100 100 l S");
        assert!(matches!(
            extract(&pdf, &thread_opts()),
            Err(ExtractError::PdfNoText)
        ));
    }

    #[test]
    fn damaged_pdfs_are_broken_not_fatal() {
        let mut seed = 0x2545_f491_u32;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        let mut random = b"%PDF-1.4\n".to_vec();
        random.extend_from_slice(&noise);
        assert!(matches!(
            extract(&random, &thread_opts()),
            Err(ExtractError::PdfBroken(_))
        ));
        let whole = build_pdf("BT /F1 12 Tf 72 700 Td (Hello) Tj ET");
        assert!(matches!(
            extract(&whole[..40], &thread_opts()),
            Err(ExtractError::PdfBroken(_))
        ));
    }

    fn line(text: &str, x0: f64, x1: f64, y: f64) -> Line {
        Line {
            text: text.to_string(),
            x0,
            x1,
            y,
            size: 10.0,
            max_gap: 0.0,
        }
    }

    #[test]
    fn layout_joins_wrapped_cjk_lines_and_keeps_breaks() {
        let mut layout = Layout::default();
        layout.pages.push(vec![
            line("一、主要职能", 100.0, 160.0, 100.0),
            line(
                "（一）贯彻执行国家和本市有关财政工作的法律、",
                100.0,
                500.0,
                120.0,
            ),
            line(
                "法规、规章和方针政策；研究拟订本区财政发展战略",
                80.0,
                500.0,
                140.0,
            ),
            line("规划和改革方案。", 80.0, 160.0, 160.0),
            line(
                "（二）承担政府各项财政收支管理的责任研究拟",
                100.0,
                500.0,
                180.0,
            ),
            // Far below: a new block, not a wrap.
            line("订本区财政收支", 80.0, 150.0, 260.0),
            line("2080505 机关事业单位基本养老保险缴", 80.0, 300.0, 280.0),
            line("费支出 446.11 446.11", 140.0, 400.0, 292.0),
            line(
                "2080506 机关事业单位职业年金缴费支出 225.12",
                80.0,
                500.0,
                304.0,
            ),
        ]);
        assert_eq!(
            layout.text(),
            "一、主要职能\n\
             （一）贯彻执行国家和本市有关财政工作的法律、法规、规章和方针政策；研究拟订本区财政发展战略规划和改革方案。\n\
             （二）承担政府各项财政收支管理的责任研究拟\n\
             订本区财政收支\n\
             2080505 机关事业单位基本养老保险缴费支出 446.11 446.11\n\
             2080506 机关事业单位职业年金缴费支出 225.12\n\n"
        );
    }

    #[test]
    fn subject_codes_split_in_columns_are_joined() {
        assert_eq!(
            join_subject_code("201 06 01 行政运行 1,511.90"),
            "2010601 行政运行 1,511.90"
        );
        assert_eq!(join_subject_code("201 06 财政事务"), "20106 财政事务");
        assert_eq!(
            join_subject_code("201 一般公共服务支出"),
            "201 一般公共服务支出"
        );
        assert_eq!(join_subject_code("100 20 30 40"), "100 20 30 40");
    }

    #[test]
    fn titles_span_the_lines_before_the_contents() {
        assert_eq!(
            title("上海市普陀区规划和自然\n资源局\n2024 年度部门决算\n\n目 录\n第一部分\n")
                .as_deref(),
            Some("上海市普陀区规划和自然资源局2024年度部门决算")
        );
        assert_eq!(
            title("关于2024年预算执行情况的报告\n各位代表：\n").as_deref(),
            Some("关于2024年预算执行情况的报告")
        );
        assert_eq!(
            title("本报告说明了全年的预算执行情况，并提出建议。\n"),
            None
        );
    }

    /// Writes an executable shell script standing in for the worker binary.
    fn fake_worker(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("worker.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn child_process_results_map_to_errors() {
        let dir = tempfile::tempdir().unwrap();
        let opts = |exe: PathBuf, secs: u64| ExtractOptions {
            pdf: PdfIsolation::Process(exe),
            pdf_timeout: Duration::from_millis(secs),
            ..ExtractOptions::default()
        };
        let pdf = b"%PDF-1.4 stand-in";
        let ok = fake_worker(
            dir.path(),
            "test \"$1\" = extract-pdf && test -f \"$2\" && printf '{\"text\":\"财政收\\\\n\\\\n入\\\\n\",\"tables\":[]}'",
        );
        assert_eq!(
            extract(pdf, &opts(ok, 10_000)).unwrap().text,
            "财政收\n\n入\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let no_text = fake_worker(dir.path(), "echo 'no text layer' >&2; exit 3");
        assert!(matches!(
            extract(pdf, &opts(no_text, 10_000)),
            Err(ExtractError::PdfNoText)
        ));
        let dir = tempfile::tempdir().unwrap();
        let broken = fake_worker(
            dir.path(),
            "echo 'the parser panicked: index out of bounds' >&2; exit 4",
        );
        match extract(pdf, &opts(broken, 10_000)) {
            Err(ExtractError::PdfBroken(reason)) => {
                assert_eq!(reason, "the parser panicked: index out of bounds")
            }
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let slow = fake_worker(dir.path(), "exec sleep 30");
        let started = Instant::now();
        assert!(matches!(
            extract(pdf, &opts(slow, 300)),
            Err(ExtractError::PdfTimeout(_))
        ));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
