//! Hostile files, generated in memory (nothing large is kept in the repository): dimension and cell bombs in
//! workbooks, inflate bombs in a PDF (a page's content, an object stream), a nesting bomb in HTML, text over
//! the per-document cap, a run of a million quotation marks and damaged files. The hostile-input tests upload
//! them, and `yusuan bench-load --hostile` uploads them while it measures the normal requests.

use std::io::{Read, Write};

/// One generated file and what ingest makes of it.
#[derive(Debug, Clone)]
pub struct HostileFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    /// `None`: indexed; `Some(part)`: refused with a reason that contains `part`.
    pub refused: Option<&'static str>,
}

/// The suite: every format's bombs and damaged files.
pub fn files() -> Vec<HostileFile> {
    let mut truncated_xlsx = xlsx_declared_grid();
    truncated_xlsx.truncate(truncated_xlsx.len() / 2);
    let file = |name, bytes, refused| HostileFile {
        name,
        bytes,
        refused,
    };
    vec![
        file("远端单元格.xlsx", xlsx_far_cell(), None),
        file("声明维度.xlsx", xlsx_declared_grid(), None),
        file("单元格过多.xlsx", xlsx_many_cells(2_100_000), Some("cells")),
        file("膨胀.pdf", pdf_inflating_to(300 << 20), Some("inflate")),
        file(
            "对象流膨胀.pdf",
            pdf_object_stream_inflating_to(300 << 20),
            Some("inflate"),
        ),
        file("嵌套.html", html_nesting_bomb(), Some("nested")),
        file("截断.xlsx", truncated_xlsx, Some("已损坏")),
        file(
            "截断.pdf",
            pdf_inflating_to(4 << 10)[..300].to_vec(),
            Some("PDF"),
        ),
        file(
            "乱码.docx",
            b"PK\x03\x04 not really a zip".to_vec(),
            Some("已损坏"),
        ),
        file("超长正文.txt", long_text(), None),
        file("引号.txt", quote_run(1_000_000), None),
        file(
            "远端单元格.xls",
            xls_sheet((2, 2), &[(0, 0, 1.0), (65_535, 65_535, 2.0)]),
            Some("cells"),
        ),
        file(
            "声明维度.xls",
            xls_sheet((0xFFFF_0000, 256), &[(0, 0, 1.0)]),
            Some("cells"),
        ),
        file("重复行.ods", ods_repeated_rows(6_000), Some("cells")),
    ]
}

/// One BIFF record.
fn biff(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut r = typ.to_le_bytes().to_vec();
    r.extend_from_slice(&(data.len() as u16).to_le_bytes());
    r.extend_from_slice(data);
    r
}

/// An XLS workbook (BIFF8 in a compound file) of one sheet named 预算表 whose Dimensions record declares
/// `declared` (rows, columns) and which holds a number at each (row, column, value) of `cells`.
pub fn xls_sheet(declared: (u32, u16), cells: &[(u16, u16, f64)]) -> Vec<u8> {
    let bof = |kind: u16| {
        let mut d = 0x0600u16.to_le_bytes().to_vec();
        d.extend_from_slice(&kind.to_le_bytes());
        d.extend_from_slice(&[0; 12]);
        biff(0x0809, &d)
    };
    let name: Vec<u8> = "预算表".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let bound_sheet = |pos: u32| {
        let mut d = pos.to_le_bytes().to_vec();
        d.extend_from_slice(&[0, 0, 3, 1]);
        d.extend_from_slice(&name);
        biff(0x0085, &d)
    };
    let globals_len = bof(5).len() + bound_sheet(0).len() + 4;
    let mut stream = bof(5);
    stream.extend(bound_sheet(globals_len as u32));
    stream.extend(biff(0x000A, &[]));
    stream.extend(bof(0x10));
    let mut dims = 0u32.to_le_bytes().to_vec();
    dims.extend_from_slice(&declared.0.to_le_bytes());
    dims.extend_from_slice(&0u16.to_le_bytes());
    dims.extend_from_slice(&declared.1.to_le_bytes());
    dims.extend_from_slice(&[0, 0]);
    stream.extend(biff(0x0200, &dims));
    for (row, col, value) in cells {
        let mut d = row.to_le_bytes().to_vec();
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&value.to_le_bytes());
        stream.extend(biff(0x0203, &d));
    }
    stream.extend(biff(0x000A, &[]));
    compound_file("Workbook", stream)
}

/// A compound file (OLE2, 512-byte sectors) holding one stream, padded to 4 KiB so that it lives in regular
/// sectors: the FAT in sector 0, the directory in sector 1, the stream from sector 2.
fn compound_file(name: &str, mut stream: Vec<u8>) -> Vec<u8> {
    const END: u32 = 0xFFFF_FFFE;
    const FREE: u32 = 0xFFFF_FFFF;
    let size = stream.len().max(4096);
    stream.resize(size.div_ceil(512) * 512, 0);
    let sectors = stream.len() / 512;
    assert!(sectors + 2 <= 128, "one FAT sector holds the whole file");
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let put16 =
        |h: &mut Vec<u8>, at: usize, v: u16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    put16(&mut header, 0x18, 0x3E);
    put16(&mut header, 0x1A, 3);
    put16(&mut header, 0x1C, 0xFFFE);
    put16(&mut header, 0x1E, 9);
    put16(&mut header, 0x20, 6);
    let put32 =
        |h: &mut Vec<u8>, at: usize, v: u32| h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put32(&mut header, 0x2C, 1);
    put32(&mut header, 0x30, 1);
    put32(&mut header, 0x38, 4096);
    put32(&mut header, 0x3C, END);
    put32(&mut header, 0x44, END);
    put32(&mut header, 0x4C, 0);
    for i in 1..109 {
        put32(&mut header, 0x4C + 4 * i, FREE);
    }
    let mut fat = vec![FREE; 128];
    fat[0] = 0xFFFF_FFFD;
    fat[1] = END;
    for i in 0..sectors {
        fat[2 + i] = if i + 1 == sectors {
            END
        } else {
            (3 + i) as u32
        };
    }
    let entry = |name: &str, kind: u8, child: u32, start: u32, size: u32| {
        let mut e = vec![0u8; 128];
        let units: Vec<u16> = name.encode_utf16().collect();
        for (i, u) in units.iter().enumerate() {
            e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        e[0x40..0x42].copy_from_slice(&((units.len() as u16 + 1) * 2).to_le_bytes());
        e[0x42] = kind;
        e[0x43] = 1;
        e[0x44..0x48].copy_from_slice(&FREE.to_le_bytes());
        e[0x48..0x4C].copy_from_slice(&FREE.to_le_bytes());
        e[0x4C..0x50].copy_from_slice(&child.to_le_bytes());
        e[0x74..0x78].copy_from_slice(&start.to_le_bytes());
        e[0x78..0x7C].copy_from_slice(&size.to_le_bytes());
        e
    };
    let mut out = header;
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    out.extend(entry("Root Entry", 5, 1, END, 0));
    out.extend(entry(name, 2, FREE, 2, size as u32));
    out.extend(entry("", 0, FREE, 0, 0));
    out.extend(entry("", 0, FREE, 0, 0));
    out.extend(stream);
    out
}

/// An OpenDocument spreadsheet of one sheet whose rows are `rows` (the XML inside `table:table`).
pub fn ods_with_rows(rows: &str) -> Vec<u8> {
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">\
         <office:body><office:spreadsheet><table:table table:name=\"预算表\">{rows}</table:table>\
         </office:spreadsheet></office:body></office:document-content>"
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">\
         <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
         <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
         </manifest:manifest>";
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, options, bytes) in [
        (
            "mimetype",
            stored,
            &b"application/vnd.oasis.opendocument.spreadsheet"[..],
        ),
        ("META-INF/manifest.xml", deflated, manifest.as_bytes()),
        ("content.xml", deflated, content.as_bytes()),
    ] {
        out.start_file(name, options)
            .and_then(|_| Ok(out.write_all(bytes)?))
            .expect("an archive in memory");
    }
    out.finish().expect("an archive in memory").into_inner()
}

/// A sheet of `rows` repeated rows of 16,384 repeated cells holding 1: a few hundred bytes that calamine
/// would expand to `rows` × 16,384 cells.
pub fn ods_repeated_rows(rows: u32) -> Vec<u8> {
    ods_with_rows(&format!(
        "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>重复行预算表</text:p>\
         </table:table-cell></table:table-row>\
         <table:table-row table:number-rows-repeated=\"{rows}\"><table:table-cell office:value-type=\"float\" \
         office:value=\"1\" table:number-columns-repeated=\"16384\"><text:p>1</text:p></table:table-cell>\
         </table:table-row>"
    ))
}

/// A workbook with a title cell at A1 and one cell at the last cell of a sheet, XFD1048576.
pub fn xlsx_far_cell() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write(0, 0, "远端单元格预算表")
        .and_then(|s| s.write(1_048_575, 16_383, "x"))
        .expect("cells inside the sheet's bounds");
    book.save_to_buffer().expect("a workbook in memory")
}

/// Rewrites the parts of a zip archive with `edit` (name, content) → content.
fn rewrite_zip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a workbook just written");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).expect("a part of the workbook");
        let name = part.name().unwrap_or_default().to_string();
        let mut content = Vec::new();
        part.read_to_end(&mut content).expect("a part in memory");
        out.start_file(name.as_str(), options)
            .and_then(|_| Ok(out.write_all(&edit(&name, content))?))
            .expect("an archive in memory");
    }
    out.finish().expect("an archive in memory").into_inner()
}

/// A one-sheet workbook with `title` at A1 and `value` at (row, column).
fn workbook_with(title: &str, at: (u32, u16), value: f64) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .write(0, 0, title)
        .and_then(|s| s.write(at.0, at.1, value))
        .expect("cells inside the sheet's bounds");
    book.save_to_buffer().expect("a workbook in memory")
}

/// A workbook whose sheet declares the whole grid, `A1:XFD1048576`, and holds two cells.
pub fn xlsx_declared_grid() -> Vec<u8> {
    let bytes = workbook_with("声明维度预算表", (1, 1), 12.5);
    rewrite_zip(&bytes, |name, content| {
        if name == "xl/worksheets/sheet1.xml" {
            String::from_utf8_lossy(&content)
                .replace(
                    "<dimension ref=\"A1:B2\"/>",
                    "<dimension ref=\"A1:XFD1048576\"/>",
                )
                .into_bytes()
        } else {
            content
        }
    })
}

/// A workbook of a few hundred kilobytes whose one sheet holds `cells` numeric cells (100 a row).
pub fn xlsx_many_cells(cells: usize) -> Vec<u8> {
    let bytes = workbook_with("多单元格", (1, 0), 1.0);
    rewrite_zip(&bytes, |name, content| {
        if name != "xl/worksheets/sheet1.xml" {
            return content;
        }
        let xml = String::from_utf8_lossy(&content);
        let (Some(start), Some(end)) = (xml.find("<sheetData>"), xml.find("</sheetData>")) else {
            return content;
        };
        let start = start + "<sheetData>".len();
        let mut data = String::with_capacity(cells * 20);
        for row in 0..cells.div_ceil(100) {
            data.push_str(&format!("<row r=\"{}\">", row + 1));
            for _ in 0..100 {
                data.push_str("<c><v>1</v></c>");
            }
            data.push_str("</row>");
        }
        format!("{}{data}{}", &xml[..start], &xml[end..]).into_bytes()
    })
}

/// `head` followed by spaces up to `inflated` bytes, deflated; the inflated content is never held whole.
fn deflated_padding(head: &[u8], inflated: usize) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let spaces = vec![b' '; 1 << 20];
    let mut left = inflated.saturating_sub(head.len());
    let mut write = |bytes: &[u8]| encoder.write_all(bytes).expect("compressing in memory");
    write(head);
    while left > 0 {
        let n = left.min(spaces.len());
        write(&spaces[..n]);
        left -= n;
    }
    encoder.finish().expect("compressing in memory")
}

/// A stream object of deflated `data` with `dict` entries besides its length and filter.
fn flate_stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut object = format!(
        "<< {dict} /Length {} /Filter /FlateDecode >>\nstream\n",
        data.len()
    )
    .into_bytes();
    object.extend_from_slice(data);
    object.extend_from_slice(b"\nendstream");
    object
}

/// The line of text the generated PDFs show.
const PDF_TEXT: &[u8] = b"BT /F1 12 Tf 72 712 Td (Budget report) Tj ET\n";

/// Helvetica as font F1.
const PDF_FONT: &[u8] =
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";

/// A one-page PDF: its content stream (object 4), its font F1 (object 5), then `more` objects.
fn one_page_pdf(content: Vec<u8>, font: Vec<u8>, more: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        content,
        font,
    ];
    objects.extend(more);
    pdf_of(&objects)
}

/// A one-page PDF whose content stream shows a line of text and then inflates to `inflated` bytes of spaces.
pub fn pdf_inflating_to(inflated: usize) -> Vec<u8> {
    let content = flate_stream_object("", &deflated_padding(PDF_TEXT, inflated));
    one_page_pdf(content, PDF_FONT.to_vec(), Vec::new())
}

/// A one-page PDF whose font lives in an object stream that inflates to `inflated` bytes (the parser inflates
/// object streams while it loads the file, before any page is read).
pub fn pdf_object_stream_inflating_to(inflated: usize) -> Vec<u8> {
    let mut head = b"5 0 ".to_vec();
    let first = head.len();
    head.extend_from_slice(PDF_FONT);
    let objects = flate_stream_object(
        &format!("/Type /ObjStm /N 1 /First {first}"),
        &deflated_padding(&head, inflated),
    );
    let content = flate_stream_object("", &deflated_padding(PDF_TEXT, 0));
    one_page_pdf(content, b"null".to_vec(), vec![objects])
}

/// A PDF file of these objects (numbered from 1; the first is the catalog) with a correct xref table.
pub fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// 100,000 nested `<div>` around one word.
pub fn html_nesting_bomb() -> Vec<u8> {
    format!(
        "<html><body>{}嵌套预算{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    )
    .into_bytes()
}

/// A short text with a run of `n` quotation marks between two ideographs (3 bytes each): folding for search
/// must stay linear in such a run.
pub fn quote_run(n: usize) -> Vec<u8> {
    format!("预算说明\n\n一{}二\n", "“".repeat(n)).into_bytes()
}

/// Text over the 4 MiB kept per document: numbered lines of budget prose.
pub fn long_text() -> Vec<u8> {
    let mut text = String::from("超长预算说明\n\n");
    let mut n = 0;
    while text.len() < 6 * 1024 * 1024 {
        n += 1;
        text.push_str(&format!(
            "第{n}行 一般公共预算支出按功能分类编列到项，逐项说明增减原因。\n"
        ));
    }
    text.into_bytes()
}
