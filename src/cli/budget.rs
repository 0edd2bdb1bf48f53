//! The budget commands: `facts` (amounts read from tables, filtered), `tables` (a document's tables),
//! `gen budgets` and `bench-facts`.

use crate::budget::query::{self, FactQuery};
use crate::budget::recognise::CodeLevel;
use crate::library::Library;
use crate::model::{DocId, Scope};
use crate::{errln, outln};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use std::path::{Path, PathBuf};

/// Filters of `yusuan facts` (the same as `GET /api/facts`).
#[derive(Debug, Args)]
pub struct FactsArgs {
    /// A document id.
    #[arg(long)]
    pub doc: Option<String>,
    /// A subject code (2010602) or economic code (30201), exactly.
    #[arg(long)]
    pub code: Option<String>,
    /// A part of the issuing unit's name (财政局).
    #[arg(long)]
    pub unit: Option<String>,
    /// A part of the region's name (普陀区)
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub year: Option<i32>,
    /// A standard table (支出表), any of its titles (支出决算表: of final accounts only; 支出预算表: of budgets)
    /// or a part of a table's title.
    #[arg(long)]
    pub table: Option<String>,
    /// A column (本年支出合计, 基本支出, 项目支出, 决算数 …).
    #[arg(long)]
    pub column: Option<String>,
    /// 类, 款 or 项.
    #[arg(long)]
    pub level: Option<String>,
    /// At most this many facts.
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Print {"total", "facts": [{"doc_id", "unit", "year", "stage", "table", "code", "name", "level",
    /// "column", "amount", "raw", "page", ...}]}.
    #[arg(long)]
    pub json: bool,
}

impl FactsArgs {
    /// The library query these filters ask.
    pub fn query(&self) -> Result<FactQuery> {
        let level = match self.level.as_deref() {
            None => None,
            Some(l) => Some(
                CodeLevel::parse(l)
                    .ok_or_else(|| anyhow!("级次应为 类、款 或 项 (level must be 类, 款 or 项)"))?,
            ),
        };
        Ok(FactQuery {
            doc: self.doc.clone().map(DocId),
            code: self.code.clone(),
            unit: self.unit.clone(),
            region: self.region.clone(),
            year: self.year,
            table: self.table.clone(),
            column: self.column.clone(),
            level,
            offset: self.offset,
            limit: self.limit,
        })
    }
}

/// `yusuan facts`: the command line acts with full scope.
pub fn facts_command(lib: &Library, args: &FactsArgs) -> Result<()> {
    let list = query::facts(lib, &args.query()?, &Scope::All)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for f in &list.facts {
        outln!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.2}\t{}\t第{}页",
            f.unit.as_deref().unwrap_or("-"),
            f.year.map_or("-".into(), |y| y.to_string()),
            f.stage.map_or("-", |s| s.label()),
            f.table,
            f.code.as_deref().unwrap_or("-"),
            f.name,
            f.level.map_or("-", |l| l.label()),
            f.column,
            f.amount,
            f.raw,
            f.page.map_or("-".into(), |p| p.to_string()),
        );
    }
    outln!("共 {} 条（万元）", list.total);
    Ok(())
}

/// `yusuan tables ID`: a document's tables, header rows marked.
pub fn tables_command(lib: &Library, id: &str, json: bool) -> Result<()> {
    let Some(tables) = query::document_tables(lib, &DocId(id.to_string()), &Scope::All)? else {
        bail!("没有编号为 {id} 的文档 (no such document)");
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&tables)?);
        return Ok(());
    }
    if tables.is_empty() {
        outln!("该文档没有表格");
    }
    for t in &tables {
        let pages = match t.pages {
            Some((a, b)) if a == b => format!(" · 第{a}页"),
            Some((a, b)) => format!(" · 第{a}–{b}页"),
            None => String::new(),
        };
        outln!(
            "表{} {}（{}）{}{}",
            t.index + 1,
            t.title,
            t.kind,
            t.unit
                .as_deref()
                .map(|u| format!(" · {u}"))
                .unwrap_or_default(),
            pages
        );
        for (r, row) in t.table.rows.iter().enumerate() {
            let mark = if r < t.header_rows { "表头" } else { "" };
            let cells: Vec<&str> = row
                .iter()
                .map(|c| if c.covered { "〃" } else { c.text.as_str() })
                .collect();
            outln!("{mark}\t{}", cells.join("\t"));
        }
        outln!();
    }
    Ok(())
}

/// The file format of `gen budgets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenFormat {
    /// One workbook per document, one sheet per table.
    Xlsx,
    /// One CSV file per table.
    Csv,
}

/// `yusuan gen budgets`: generated department budgets and final accounts, marked 生成数据.
pub fn gen_budgets(
    units: usize,
    years: &str,
    seed: u64,
    format: GenFormat,
    out: &std::path::Path,
) -> Result<()> {
    use crate::budget::generate::{Plan, generate};
    use anyhow::Context;
    let (first, last) = match years.split_once("..") {
        Some((a, b)) => (a.trim().parse::<i32>(), b.trim().parse::<i32>()),
        None => (years.trim().parse::<i32>(), years.trim().parse::<i32>()),
    };
    let (Ok(first_year), Ok(last_year)) = (first, last) else {
        bail!("年份应写作 2024 或 2015..2024 (years: 2024 or 2015..2024)");
    };
    if first_year > last_year || last_year - first_year > 50 {
        bail!("年份范围无效：{years} (invalid year range)");
    }
    std::fs::create_dir_all(out).with_context(|| format!("无法创建 {}", out.display()))?;
    let plan = Plan {
        units,
        first_year,
        last_year,
        seed,
    };
    let mut files = 0;
    for doc in generate(plan) {
        match format {
            GenFormat::Xlsx => {
                let mut book = rust_xlsxwriter::Workbook::new();
                let number = rust_xlsxwriter::Format::new().set_num_format("0.00");
                for t in &doc.tables {
                    let sheet = book.add_worksheet();
                    sheet.set_name(&t.title)?;
                    for (r, row) in t.rows.iter().enumerate() {
                        for (c, cell) in row.iter().enumerate() {
                            let text = cell.text.as_str();
                            if text.is_empty() {
                                continue;
                            }
                            let (r, c) = (r as u32, c as u16);
                            match crate::budget::recognise::parse_amount(text)
                                .filter(|_| text.contains('.'))
                            {
                                Some(v) => sheet.write_number_with_format(r, c, v, &number)?,
                                None => sheet.write_string(r, c, text)?,
                            };
                        }
                    }
                }
                let path = out.join(format!("{}.xlsx", doc.title));
                book.save(&path)
                    .with_context(|| format!("无法写入 {}", path.display()))?;
                files += 1;
            }
            GenFormat::Csv => {
                for t in &doc.tables {
                    let path = out.join(format!("{}-{}.csv", doc.title, t.title));
                    let mut w = csv::WriterBuilder::new()
                        .flexible(true)
                        .from_path(&path)
                        .with_context(|| format!("无法写入 {}", path.display()))?;
                    for row in &t.rows {
                        w.write_record(row.iter().map(|c| c.text.as_str()))?;
                    }
                    w.flush()?;
                    files += 1;
                }
            }
        }
    }
    errln!("已生成 {files} 个文件（生成数据）: {}", out.display());
    Ok(())
}

/// `yusuan bench-facts`.
/// Refuses a benchmark's scratch folder unless it is empty or missing.
pub fn empty_scratch(work: &std::path::Path) -> Result<()> {
    if work.exists() && std::fs::read_dir(work)?.next().is_some() {
        bail!(
            "{} 不是空目录 (the scratch folder must be empty or missing)",
            work.display()
        );
    }
    Ok(())
}

pub fn bench_facts(
    facts: usize,
    work: &std::path::Path,
    corpus: &std::path::Path,
    json: bool,
) -> Result<()> {
    empty_scratch(work)?;
    let r = crate::bench::facts::run(work, corpus, facts)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    outln!(
        "imported {} facts of {} documents in {:.1} s (store {:.0} MB)",
        r.facts,
        r.documents,
        r.import_seconds,
        r.store_mb
    );
    outln!(
        "columns built in {:.2} s; resident memory {:.0} MB → {:.0} MB (peak {:.0} MB)",
        r.load_seconds,
        r.rss_before_mb,
        r.rss_after_mb,
        r.peak_rss_mb
    );
    outln!(
        "filtered query (code, table, column, year): {} facts in {:.2} ms",
        r.query_hits,
        r.query_ms
    );
    outln!(
        "sum by 类 of all 项 facts (支出表 本年支出合计): {} classes in {:.1} ms; within one city: {:.1} ms",
        r.classes,
        r.sum_ms,
        r.sum_filtered_ms
    );
    outln!(
        "money view by 类: {:.1} ms (p95 {:.1}); units under 2080505: {} units in {:.1} ms (p95 {:.1})",
        r.money_class_ms,
        r.money_class_p95_ms,
        r.money_units,
        r.money_units_ms,
        r.money_units_p95_ms
    );
    outln!(
        "comparison 类 × years: {:.1} ms (p95 {:.1}); {} units × years under 2080505 with 完成率: {:.1} ms (p95 {:.1}); one city's units × 类: {:.1} ms (p95 {:.1})",
        r.pivot_years_ms,
        r.pivot_years_p95_ms,
        r.pivot_units,
        r.pivot_units_ms,
        r.pivot_units_p95_ms,
        r.pivot_city_ms,
        r.pivot_city_p95_ms
    );
    outln!(
        "after a restart: the first money view in {:.0} ms reading the saved columns ({:.0} MB), {:.0} ms building them from the store",
        r.restart_first_view_ms,
        r.saved_mb,
        r.restart_without_file_ms
    );
    Ok(())
}

/// `yusuan eval tables`: extracts each referenced document (in this process, under the PDF time limit) and
/// compares its tables with the reference cells.
pub fn eval_tables(reference: &Path, documents: &Path, verbose: bool, json: bool) -> Result<()> {
    use crate::budget::eval::{DocumentScore, Reference, Score, compare};
    let mut files: Vec<PathBuf> = std::fs::read_dir(reference)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let opts = crate::ingest::extract::ExtractOptions::default();
    let mut results: Vec<(DocumentScore, f64)> = Vec::new();
    let mut total = Score::default();
    for file in files {
        let r: Reference = serde_json::from_slice(&std::fs::read(&file)?)?;
        let path = documents.join(&r.file);
        let bytes = std::fs::read(&path).with_context(|| format!("无法读取 {}", path.display()))?;
        let started = std::time::Instant::now();
        let extracted = crate::ingest::extract::extract(&path, &bytes, &opts)?;
        let seconds = started.elapsed().as_secs_f64();
        let score = compare(&r, &extracted.tables);
        if verbose && !json {
            for t in &extracted.tables {
                let (first, last) = t.pages.unwrap_or_default();
                outln!(
                    "  表「{}」 {} · 第 {first}–{last} 页 · {} 行 × {} 列",
                    t.title,
                    t.unit.as_deref().unwrap_or("无单位"),
                    t.rows.len(),
                    t.width()
                );
            }
        }
        total.add(&score.total);
        results.push((score, seconds));
    }
    if json {
        let docs: Vec<serde_json::Value> = results
            .iter()
            .map(|(s, secs)| serde_json::json!({"score": s, "seconds": secs, "accuracy": s.total.accuracy(), "text_accuracy": s.total.text_accuracy(), "code_accuracy": s.total.code_accuracy()}))
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"documents": docs, "total": total, "accuracy": total.accuracy(), "text_accuracy": total.text_accuracy(), "code_accuracy": total.code_accuracy()})
            )?
        );
        return Ok(());
    }
    let line = |name: &str, s: &Score| {
        outln!(
            "{name}: 单元格 {}/{} ({:.2}%) · 有文字的 {}/{} ({:.2}%) · 科目编码 {}/{} ({:.2}%)",
            s.correct,
            s.cells,
            s.accuracy() * 100.0,
            s.text_correct,
            s.text_cells,
            s.text_accuracy() * 100.0,
            s.codes_correct,
            s.codes,
            s.code_accuracy() * 100.0
        )
    };
    for (score, seconds) in &results {
        line(&format!("{} ({seconds:.2} 秒)", score.file), &score.total);
        if verbose {
            for (title, s) in &score.tables {
                line(&format!("  {title}"), s);
            }
        }
        for m in &score.missing {
            outln!("  未找到：{m}");
        }
        if verbose {
            for e in &score.errors {
                outln!("  {e}");
            }
        }
    }
    line("合计", &total);
    Ok(())
}
