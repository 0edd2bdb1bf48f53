//! The budget commands: `facts` (amounts read from tables, filtered), `tables` (a document's tables),
//! `gen budgets` and `bench-facts`.

use crate::budget::query::{self, FactQuery};
use crate::budget::recognise::CodeLevel;
use crate::library::Library;
use crate::model::{DocId, Scope};
use anyhow::{Result, anyhow, bail};
use clap::Args;

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
    #[arg(long)]
    pub year: Option<i32>,
    /// A standard table (支出表, or any of its titles: 支出决算表) or a part of a table's title.
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
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for f in &list.facts {
        println!(
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
    println!("共 {} 条（万元）", list.total);
    Ok(())
}

/// `yusuan tables ID`: a document's tables, header rows marked.
pub fn tables_command(lib: &Library, id: &str, json: bool) -> Result<()> {
    let Some(tables) = query::document_tables(lib, &DocId(id.to_string()), &Scope::All)? else {
        bail!("没有编号为 {id} 的文档 (no such document)");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&tables)?);
        return Ok(());
    }
    if tables.is_empty() {
        println!("该文档没有表格");
    }
    for t in &tables {
        let pages = match t.pages {
            Some((a, b)) if a == b => format!(" · 第{a}页"),
            Some((a, b)) => format!(" · 第{a}–{b}页"),
            None => String::new(),
        };
        println!(
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
            println!("{mark}\t{}", cells.join("\t"));
        }
        println!();
    }
    Ok(())
}
