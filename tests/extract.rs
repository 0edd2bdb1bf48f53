//! Extraction on the real corpus in the shared data folder (`YUSUAN_SHARED`), skipped when it is not set.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use yusuan::error::ExtractError;
use yusuan::ingest::extract::{ExtractOptions, Extracted, PdfIsolation, extract};
use yusuan::model::Format;

/// The shared data folder, or `None` (with a note) when the tests run without it.
fn shared() -> Option<PathBuf> {
    let Some(shared) = std::env::var_os("YUSUAN_SHARED") else {
        eprintln!("skipped: YUSUAN_SHARED not set");
        return None;
    };
    Some(PathBuf::from(shared))
}

fn run(path: &Path, opts: &ExtractOptions) -> Result<Extracted, ExtractError> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    extract(path, &bytes, opts)
}

fn thread_opts() -> ExtractOptions {
    ExtractOptions {
        pdf: PdfIsolation::Thread,
        pdf_timeout: Duration::from_secs(120),
        ..ExtractOptions::default()
    }
}

#[test]
fn law_markdown_has_title_history_and_articles() {
    let Some(shared) = shared() else { return };
    let out = run(
        &shared.join("corpus/laws/经济法/预算法(2018-12-29).md"),
        &thread_opts(),
    )
    .unwrap();
    assert_eq!(out.format, Format::Markdown);
    assert_eq!(out.title.as_deref(), Some("中华人民共和国预算法"));
    assert_eq!(out.history.len(), 3, "{:?}", out.history);
    assert!(out.history[0].starts_with("1994年3月22日"));
    assert!(
        out.text.starts_with("第一章 总则\n"),
        "{}",
        &out.text[..100]
    );
    assert!(out.text.contains("\n第四十六条 "));
    assert!(!out.text.contains('#'));
    assert!(
        !out.text.contains("中华人民共和国预算法\n"),
        "the title is not repeated in the text"
    );
}

#[test]
fn report_text_has_title_and_body() {
    let Some(shared) = shared() else { return };
    let out = run(
        &shared.join("corpus/reports/1957年政府工作报告.txt"),
        &thread_opts(),
    )
    .unwrap();
    assert_eq!(out.format, Format::Text);
    assert_eq!(out.title.as_deref(), Some("1957年国务院政府工作报告"));
    assert!(out.text.contains("第一届全国人民代表大会第四次会议"));
    let salutation = run(
        &shared.join("corpus/reports/2017年政府工作报告.txt"),
        &thread_opts(),
    )
    .unwrap();
    assert_eq!(salutation.title, None, "各位代表： is not a title");
}

/// Phrases each final account must yield: its title, words of the prose, and subject-coded table rows.
const FINAL_ACCOUNTS: &[(&str, &str, &[&str])] = &[
    (
        "上海市普陀区财政局2024年度部门决算.pdf",
        "上海市普陀区财政局2024年度部门决算",
        &[
            "部门决算",
            "研究拟订本区财政发展战略、规划、政策和改革方案并组织实施。",
            "2010601 行政运行 1,511.90 1,511.89 0.01",
            "2010608 财政委托业务支出",
        ],
    ),
    (
        "上海市普陀区规划和自然资源局2024年度部门决算.pdf",
        "上海市普陀区规划和自然资源局2024年度部门决算",
        &[
            "部门决算",
            "履行全民所有自然资源资产所有者职责和所有国土空间用途管制职责。",
            "2080501 行政单位离退休 54.53 54.53",
            "2101101 行政单位医疗",
        ],
    ),
    (
        "中共上海市普陀区委社会工作部2024年度部门决算.pdf",
        "中共上海市普陀区委社会工作部2024年度部门决算",
        &[
            "部门决算",
            "2013901 行政运行 51.32 51.32",
            "2013999 其他社会工作事务支出 202.24 202.24",
        ],
    ),
    (
        "附件2：部门决算模板.pdf",
        "上海市XX局2024年度部门决算",
        &["部门决算", "2050205 高等教育"],
    ),
];

#[test]
fn final_account_pdfs_yield_text_titles_and_subject_rows() {
    let Some(shared) = shared() else { return };
    for (file, title, phrases) in FINAL_ACCOUNTS {
        let started = Instant::now();
        let out = run(
            &shared.join("corpus/final-accounts").join(file),
            &thread_opts(),
        )
        .unwrap();
        eprintln!(
            "{file}: {} bytes of text in {:?}",
            out.text.len(),
            started.elapsed()
        );
        assert_eq!(out.format, Format::Pdf);
        assert_eq!(out.title.as_deref(), Some(*title), "{file}");
        for phrase in *phrases {
            assert!(out.text.contains(phrase), "{file}: missing {phrase:?}");
        }
        assert!(!out.text.contains("\n\n\n"));
    }
}

#[test]
fn final_account_pdf_in_a_worker_process() {
    let Some(shared) = shared() else { return };
    let opts = ExtractOptions {
        pdf: PdfIsolation::Process(PathBuf::from(env!("CARGO_BIN_EXE_yusuan"))),
        pdf_timeout: Duration::from_secs(120),
        ..ExtractOptions::default()
    };
    let path =
        shared.join("corpus/final-accounts/中共上海市普陀区委社会工作部2024年度部门决算.pdf");
    let in_child = run(&path, &opts).unwrap();
    let in_thread = run(&path, &thread_opts()).unwrap();
    assert_eq!(in_child, in_thread);
}

/// Every cell of every table of the four real final accounts, through the worker process, against the reference
/// grids in tests/data/final-accounts (checked against the rendered pages).
#[test]
fn final_account_tables_match_the_reference_cells() {
    use yusuan::budget::eval::{Reference, compare};
    let Some(shared) = shared() else { return };
    let opts = ExtractOptions {
        pdf: PdfIsolation::Process(PathBuf::from(env!("CARGO_BIN_EXE_yusuan"))),
        pdf_timeout: Duration::from_secs(120),
        ..ExtractOptions::default()
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/final-accounts");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let reference: Reference = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let out = run(
            &shared.join("corpus/final-accounts").join(&reference.file),
            &opts,
        )
        .unwrap();
        let score = compare(&reference, &out.tables);
        assert!(
            score.missing.is_empty(),
            "{}: {:?}",
            reference.file,
            score.missing
        );
        assert!(
            score.total.accuracy() >= 0.995,
            "{}: cell accuracy {:.4} ({:?})",
            reference.file,
            score.total.accuracy(),
            score.tables
        );
        assert_eq!(
            score.total.codes_correct, score.total.codes,
            "{}: every subject code",
            reference.file
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// A hex string of the GBK bytes of `text`, as a WPS-made content stream shows it.
fn gbk(text: &str) -> String {
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("<{hex}>")
}

/// A PDF as WPS writes it with a predefined CMap: a Type0 font with /Encoding /GBK-EUC-H and no ToUnicode,
/// and a table whose borders are thin filled rectangles (`re f*`) with one blank cell.
fn gbk_table_pdf() -> Vec<u8> {
    let mut content = String::new();
    content.push_str(&format!(
        "BT /F2 14 Tf 220 770 Td {} Tj ET\n",
        gbk("支出决算表")
    ));
    content.push_str(&format!(
        "BT /F2 9 Tf 420 742 Td {} Tj ET\n",
        gbk("单位：万元")
    ));
    content.push_str("0 g\n");
    for y in [735.0, 715.0, 695.0, 675.0] {
        content.push_str(&format!("100 {y} 400 0.5 re f*\n"));
    }
    for x in [100.0, 250.0, 375.0, 500.0] {
        content.push_str(&format!("{x} 675 0.5 60.5 re f*\n"));
    }
    let cells = [
        (105, 720, "科目名称"),
        (255, 720, "本年支出合计"),
        (380, 720, "基本支出"),
        (105, 700, "一般行政管理事务"),
        (255, 700, "10.00"),
        (105, 680, "行政运行"),
        (255, 680, "1,511.90"),
        (380, 680, "1,511.90"),
    ];
    for (x, y, text) in cells {
        content.push_str(&format!("BT /F2 9 Tf {x} {y} Td {} Tj ET\n", gbk(text)));
    }
    let objects: Vec<Vec<u8>> = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F2 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len() + 1),
        "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /GBK-EUC-H /DescendantFonts [6 0 R] >>"
            .to_string(),
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /SimSun /CIDSystemInfo << /Registry (Adobe) \
         /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 >>"
            .to_string(),
        "<< /Type /FontDescriptor /FontName /SimSun /Flags 6 /FontBBox [0 -141 1000 859] /ItalicAngle 0 \
         /Ascent 859 /Descent -141 /CapHeight 683 /StemV 80 >>"
            .to_string(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    common::pdf_of(&objects)
}

/// A PDF whose font uses a predefined CJK CMap (GBK-EUC-H, as WPS writes it) gives its text and its table, on
/// the parser thread and through the worker process.
#[test]
fn a_gbk_euc_h_pdf_gives_its_text_and_its_table() {
    let process = ExtractOptions {
        pdf: PdfIsolation::Process(PathBuf::from(env!("CARGO_BIN_EXE_yusuan"))),
        pdf_timeout: Duration::from_secs(120),
        ..ExtractOptions::default()
    };
    for opts in [thread_opts(), process] {
        let out = extract(Path::new("wps.pdf"), &gbk_table_pdf(), &opts).unwrap();
        assert!(out.text.contains("支出决算表"), "{}", out.text);
        assert!(out.text.contains("一般行政管理事务"), "{}", out.text);
        assert_eq!(out.tables.len(), 1, "{:?}", out.tables);
        let t = &out.tables[0];
        assert_eq!(t.title, "支出决算表");
        assert_eq!(t.unit.as_deref(), Some("单位：万元"));
        assert_eq!(t.pages, Some((1, 1)));
        assert_eq!(
            t.texts(),
            vec![
                vec!["科目名称", "本年支出合计", "基本支出"],
                vec!["一般行政管理事务", "10.00", ""],
                vec!["行政运行", "1,511.90", "1,511.90"],
            ]
        );
    }
}
