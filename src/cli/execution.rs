//! `yusuan feed …`, `yusuan execution`, `yusuan gen execution`, `yusuan eval execution` and
//! `yusuan bench-execution`: 联网 execution data from the command line, through the same library calls as the
//! push API and the dashboard.

use crate::budget::execution::dashboard::{ExecQuery, dashboard};
use crate::budget::execution::generate::{self, ExecPlan, Generated};
use crate::budget::execution::parse::Format;
use crate::budget::execution::{Fund, Outcome, Submission, review, submit};
use crate::budget::recognise::MoneyUnit;
use crate::library::Library;
use crate::outln;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Apply a batch file (CSV, XLSX or JSON lines) as the push API does: whole or not at all.
    Push {
        file: PathBuf,
        /// The batch id (default: the file's name without extension).
        #[arg(long)]
        id: Option<String>,
        /// The sender's sequence number.
        #[arg(long)]
        seq: u64,
        /// The sending system (default: 命令行).
        #[arg(long)]
        source: Option<String>,
        /// The unit of the amounts: 元, 万元 or 亿元.
        #[arg(long, default_value = "万元")]
        unit: String,
        #[arg(long)]
        json: bool,
    },
    /// List the batches received, newest first.
    Batches {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[arg(long)]
    pub year: Option<i32>,
    /// The month the figures stand at (default: the latest with data).
    #[arg(long)]
    pub month: Option<u8>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub unit: Option<String>,
    /// A subject code whose children are listed.
    #[arg(long)]
    pub code: Option<String>,
    /// 一般公共预算, 政府性基金预算, 国有资本经营预算 or 社会保险基金预算.
    #[arg(long)]
    pub fund: Option<String>,
    /// List the pace warnings instead of the dashboard.
    #[arg(long)]
    pub findings: bool,
    #[arg(long)]
    pub json: bool,
}

/// Runs a `feed` command.
pub fn feed(lib: &Library, cmd: &FeedCommand) -> Result<()> {
    match cmd {
        FeedCommand::Push {
            file,
            id,
            seq,
            source,
            unit,
            json,
        } => {
            let format = Format::parse(&file.to_string_lossy())
                .ok_or_else(|| anyhow!("{}: 只接受 .csv、.xlsx 或 .jsonl 文件", file.display()))?;
            let unit =
                MoneyUnit::parse(unit).ok_or_else(|| anyhow!("金额单位应为 元、万元 或 亿元"))?;
            let bytes =
                std::fs::read(file).with_context(|| format!("无法读取 {}", file.display()))?;
            let id = id.clone().unwrap_or_else(|| {
                file.file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default()
            });
            let source = source.clone().unwrap_or_else(|| "命令行".into());
            let outcome = submit(
                lib,
                Submission {
                    id,
                    seq: *seq,
                    source: source.clone(),
                    by: source,
                    format,
                    unit,
                    bytes: &bytes,
                },
            )?;
            let r = outcome.record();
            if *json {
                outln!("{}", serde_json::to_string_pretty(r)?);
            } else {
                match &outcome {
                    Outcome::Applied(_) => outln!(
                        "批次 {} 已入库：{} 行，{} 个单位·月份{}",
                        r.id,
                        r.rows,
                        r.covers.len(),
                        if r.warning_count > 0 {
                            format!("，{} 条提醒", r.warning_count)
                        } else {
                            String::new()
                        }
                    ),
                    Outcome::Duplicate(_) => {
                        outln!("批次 {} 此前已入库（{}），未作改动", r.id, r.at)
                    }
                    Outcome::Rejected(_) => {
                        outln!("批次 {} 已拒收：{} 处错误，未作改动", r.id, r.error_count);
                    }
                }
                if let Some((want, got)) = r.gap {
                    outln!("序号不连续：应为 {want}，收到 {got}");
                }
                for e in r.errors.iter().chain(&r.warnings).take(20) {
                    outln!("  第 {} 行 {}：{}", e.line, e.field, e.message);
                }
            }
            if matches!(outcome, Outcome::Rejected(_)) {
                bail!("批次被拒收");
            }
            Ok(())
        }
        FeedCommand::Batches { json } => {
            let mut list = lib.store().execution_batches()?;
            list.reverse();
            if *json {
                outln!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            for b in list {
                outln!(
                    "{}\t{}\t{}\t序号 {}\t{} 行\t{}\t错误 {}\t提醒 {}",
                    b.id,
                    b.at,
                    b.source,
                    b.seq,
                    b.rows,
                    b.status.label(),
                    b.error_count,
                    b.warning_count
                );
            }
            Ok(())
        }
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |p| format!("{:.1}%", p * 100.0))
}

/// Runs `yusuan execution`.
pub fn execution(lib: &Library, a: &ExecArgs) -> Result<()> {
    let fund = match &a.fund {
        Some(f) => Some(Fund::parse(f).ok_or_else(|| anyhow!("资金性质「{f}」未知"))?),
        None => None,
    };
    if a.findings {
        let found: Vec<_> = review::findings(lib, a.year, a.month)?
            .into_iter()
            .filter(|f| {
                a.department.as_deref().is_none_or(|d| f.department == d)
                    && a.unit.as_deref().is_none_or(|u| f.unit == u)
                    && a.code.as_deref().is_none_or(|c| f.code.starts_with(c))
            })
            .collect();
        if a.json {
            outln!("{}", serde_json::to_string_pretty(&found)?);
        } else {
            for f in &found {
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    f.severity.label(),
                    f.rule_name,
                    f.unit,
                    f.code,
                    f.message,
                    f.status()
                );
            }
            outln!("共 {} 条", found.len());
        }
        return Ok(());
    }
    let cols = lib.execution_cache().get(lib.store())?;
    let taxonomy = &lib.reference().taxonomy;
    let name = |c: &str| taxonomy.name(c).map(str::to_string);
    let q = ExecQuery {
        year: a.year,
        month: a.month,
        region: a.region.clone(),
        department: a.department.clone(),
        unit: a.unit.clone(),
        code: a.code.clone(),
        fund,
    };
    let d = dashboard(&cols, &q, &name);
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(());
    }
    let Some(year) = d.year else {
        outln!("还没有预算执行数据");
        return Ok(());
    };
    outln!(
        "{year}年截至{}月：可用预算 {:.2} 万元，累计执行 {:.2} 万元，执行进度 {}，时间进度 {}",
        d.month,
        d.total.available,
        d.total.executed,
        pct(d.total.progress),
        pct(Some(d.timeline))
    );
    for (heading, lines) in [(d.by_label, &d.by), ("科目", &d.subjects)] {
        outln!("\n{heading}\t可用预算\t累计执行\t执行进度");
        for l in lines {
            outln!(
                "{}\t{:.2}\t{:.2}\t{}",
                l.label,
                l.progress.available,
                l.progress.executed,
                pct(l.progress.progress)
            );
        }
    }
    Ok(())
}

/// `yusuan gen execution`: one CSV per month and `planted.jsonl` in `out`.
pub fn gen_execution(units: usize, year: i32, seed: u64, planted: f64, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("无法创建 {}", out.display()))?;
    let g = Generated::new(ExecPlan {
        units,
        year,
        seed,
        planted,
    });
    for m in 1..=12u8 {
        let path = out.join(format!("{year}-{m:02}.csv"));
        std::fs::write(&path, generate::csv(&g.month(m)))
            .with_context(|| format!("无法写入 {}", path.display()))?;
    }
    let mut lines = String::new();
    for p in g.planted() {
        lines.push_str(&serde_json::to_string(&p)?);
        lines.push('\n');
    }
    std::fs::write(out.join("planted.jsonl"), lines)?;
    outln!(
        "{} 个预算单位，每月 {} 行，12 个月写入 {}（生成数据；埋设问题 {} 处，见 planted.jsonl）",
        units,
        g.rows_per_month(),
        out.display(),
        g.planted().len()
    );
    Ok(())
}

/// `yusuan eval execution`: the pace rules against the planted problems of a generated year, per rule, as
/// the data stands at the end of September and of December.
pub fn eval_execution(units: usize, seed: u64, json: bool) -> Result<()> {
    let g = Generated::new(ExecPlan {
        units,
        year: 2025,
        seed,
        planted: 0.03,
    });
    let rows: Vec<_> = (1..=12).flat_map(|m| g.month(m)).collect();
    let cols = crate::budget::execution::ExecColumns::from_rows(&rows);
    let planted = g.planted();
    let rules = crate::budget::execution::pace::PaceRules::default();
    let mut out = Vec::new();
    for month in [6u8, 9, 12] {
        let found = crate::budget::execution::pace::check(&cols, 2025, month, &rules);
        for (rule, s) in generate::score(&planted, &found, month) {
            out.push(serde_json::json!({
                "month": month, "rule": rule, "planted": s.planted, "found": s.found,
                "correct": s.correct, "recall": s.recall(), "precision": s.precision(),
            }));
            if !json {
                outln!(
                    "{month:>2}月 {rule:<17} 埋设 {:>4}  发现 {:>4}  正确 {:>4}  召回 {}  精确 {}",
                    s.planted,
                    s.found,
                    s.correct,
                    s.recall().map_or("—".into(), |v| format!("{v:.3}")),
                    s.precision().map_or("—".into(), |v| format!("{v:.3}"))
                );
            }
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        outln!(
            "{units} 个单位、{} 个埋设问题（生成数据，种子 {seed}）",
            planted.len()
        );
    }
    Ok(())
}

/// `yusuan bench-execution`.
pub fn bench(work: &Path, corpus: &Path, units: usize, months: u8, json: bool) -> Result<()> {
    crate::cli::budget::empty_scratch(work)?;
    let r = crate::bench::execution::run(work, corpus, units, months)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    outln!(
        "{} units, {} rows a month ({:.0} MB CSV): push per month {:?} s (max {:.1} s, {:.0} rows/s); store {:.0} MB",
        r.units,
        r.rows_per_month,
        r.batch_mb,
        r.push_seconds,
        r.push_max_seconds,
        r.rows_per_second,
        r.store_mb
    );
    outln!(
        "columns: {} entries ({:.0} MB) built in {:.2} s; process resident {:.0} MB (peak {:.0} MB)",
        r.entries,
        r.columns_mb,
        r.build_seconds,
        r.rss_after_build_mb,
        r.peak_rss_mb
    );
    outln!(
        "dashboard {:.1} ms (p95 {:.1}); department × 类 {:.1} ms (p95 {:.1}); unit × 款 {:.1} ms (p95 {:.1}); pace rules {:.0} ms, {} findings",
        r.dashboard_ms,
        r.dashboard_p95_ms,
        r.drill_ms,
        r.drill_p95_ms,
        r.unit_ms,
        r.unit_p95_ms,
        r.pace_ms,
        r.findings
    );
    Ok(())
}
