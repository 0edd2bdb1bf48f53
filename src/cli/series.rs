//! The `series` commands (import a series table, list the values of indicators) and `eval macro`.

use super::{Cli, open};
use crate::budget::series::{self, Source, view};
use crate::model::Scope;
use crate::outln;
use anyhow::Result;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum SeriesCommand {
    /// Import series from CSV or XLSX tables (columns 年份, 指标, 数值, 单位, optional 类型 目标/实际); a value
    /// for the same indicator, year and kind replaces the earlier one.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the values of indicators (ids or names; the first indicator with values when none is given), read
    /// from the government work reports and imported.
    List {
        indicators: Vec<String>,
        /// 目标 or 实际.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: &SeriesCommand, cli: &Cli) -> Result<()> {
    match command {
        SeriesCommand::Import { files } => {
            let lib = open(cli)?;
            let mut failed = false;
            for file in files {
                let imported = view::import_file(&lib, file)?;
                outln!(
                    "{}: 已导入 {} 个数值",
                    file.display(),
                    imported.values.len()
                );
                for e in &imported.errors {
                    failed = true;
                    outln!("  第 {} 行：{}", e.line, e.reason);
                }
            }
            lib.close()?;
            if failed {
                anyhow::bail!("有的行未导入（见上）");
            }
            Ok(())
        }
        SeriesCommand::List {
            indicators,
            kind,
            json,
        } => {
            let lib = open(cli)?;
            let kind = kind
                .as_deref()
                .map(|k| {
                    series::Kind::parse(k).ok_or_else(|| anyhow::anyhow!("类型应为 目标 或 实际"))
                })
                .transpose()?;
            let v = view::macro_view(
                &lib,
                &view::Selection {
                    indicators: indicators.clone(),
                    kind,
                    ..Default::default()
                },
                &Scope::All,
            )?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            for r in &v.rows {
                let upper = r.upper.map(|u| format!("–{u}")).unwrap_or_default();
                let source = match &r.source {
                    Source::Report {
                        title, sentence, ..
                    } => format!("《{title}》：{sentence}"),
                    Source::Import { file, line } => format!("{file} 第 {line} 行"),
                };
                outln!(
                    "{} {} {} {}{upper}{}{} · {source}",
                    r.name,
                    r.year,
                    r.kind,
                    r.value,
                    r.unit,
                    r.qualifier.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
    }
}

/// `yusuan eval macro`: precision and recall of the values read from the labelled reports.
pub fn eval_macro(
    cli: &Cli,
    labels: &Path,
    reports: &Path,
    verbose: bool,
    json: bool,
) -> Result<()> {
    let reference = crate::link::Reference::load(&cli.corpus.join("reference"))?;
    let labels = series::eval::load_labels(labels)?;
    let e = series::eval::evaluate(&labels, reports, &reference.macro_indicators)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    let name = |id: &str| {
        reference
            .macro_indicators
            .indicator(id)
            .map_or(id.to_string(), |i| i.name.clone())
    };
    let line = |label: String, s: &series::eval::Score| {
        outln!(
            "{label}: 标注 {} · 抽取 {} · 正确 {} · 准确率 {:.3} · 召回率 {:.3}",
            s.labelled,
            s.extracted,
            s.correct,
            s.precision(),
            s.recall()
        )
    };
    for s in &e.indicators {
        line(name(&s.indicator), s);
    }
    line(
        format!("合计（{} 份报告）", labels.reports.len()),
        &e.overall,
    );
    if verbose {
        for m in &e.misses {
            let show = |v: Option<f64>| v.map_or("—".to_string(), |v| v.to_string());
            outln!(
                "  {}年报告 {} {} {}：标注 {} · 抽取 {} · {}",
                m.report,
                name(&m.indicator),
                m.year,
                m.kind,
                show(m.labelled),
                show(m.extracted),
                m.sentence
            );
        }
    }
    Ok(())
}
