//! The `proposals` and `gen` commands: import, list, dashboard, show, similar, record events, export,
//! benchmark, and the generator of test proposals.

use crate::library::Library;
use crate::model::{Date, Scope};
use crate::proposals::export::ExportFormat;
use crate::proposals::model::{
    Event, EventKind, Grade, ProposalId, ProposalType, Satisfaction, Status,
};
use crate::proposals::{self, ListFilter};
use crate::{errln, outln};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum ProposalsCommand {
    /// Import proposal tables (CSV in UTF-8 or GBK, XLSX, JSON) with Chinese headers (编号, 届次, 标题 ...).
    /// Bad rows are reported with their line; importing a file again changes nothing. Rows are written in
    /// batches; `FILE: 已写入 N / M 行` means the first N valid rows are durable.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// List proposals with filters and counts; `--export FILE.csv|FILE.xlsx` writes the filtered list.
    List(ListArgs),
    /// Totals by status, unit, topic and session, with overdue and due-in-14-days warnings.
    Dashboard {
        /// The date that decides what is overdue (default: today).
        #[arg(long)]
        today: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a proposal (by number, `届次 编号`, or id such as 16-3-1005): text, timeline, replies, links.
    Show {
        number: String,
        #[arg(long)]
        today: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Similar proposals (each with number, session, score and reason) and the repeated-issue flag.
    Similar {
        number: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Record an event: 交办, 签收, 办理中, 延期, 答复, 代表反馈, 重新办理, 办结. Refused if it does not fit.
    Event {
        number: String,
        /// The event kind (Chinese label).
        kind: String,
        /// The date (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "cli", env = "USER")]
        actor: String,
        /// Reply grade: A 已解决, B 正在解决, C 计划解决, D 留作参考.
        #[arg(long)]
        grade: Option<String>,
        /// Reply text.
        #[arg(long)]
        text: Option<String>,
        /// Feedback: 满意, 基本满意, 不满意.
        #[arg(long)]
        satisfaction: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Measure import, list, dashboard and similarity times on N generated proposals.
    Bench {
        #[arg(long, default_value_t = 20_000)]
        n: usize,
        /// Scratch folder (removed afterwards).
        #[arg(long, default_value = "target/bench-proposals")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// Generate N realistic proposals (marked 生成数据) as CSV, XLSX or JSON (by the --out extension).
    Proposals {
        n: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (.csv, .xlsx, .json); standard output (CSV) when absent.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The date the data is generated for (default: today).
        #[arg(long)]
        today: Option<String>,
    },
    /// Generate department budgets and final accounts (marked 生成数据): units × years, each year a 部门预算
    /// and a 部门决算 whose tables add up (类 = Σ款 = Σ项, 本年支出合计 = 基本支出 + 项目支出).
    Budgets {
        /// Departments (up to 2,400: ten cities × twelve districts × twenty departments).
        #[arg(long, default_value_t = 20)]
        units: usize,
        /// A year or a range: 2024, 2015..2024.
        #[arg(long, default_value = "2020..2024")]
        years: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_enum, default_value = "xlsx")]
        format: crate::cli::budget::GenFormat,
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate a year of monthly budget execution (marked 生成数据) as one CSV per month, the way a finance
    /// system exports it, with planted pace problems listed in `planted.jsonl`.
    Execution {
        /// Budget units (about 100 rows each a month).
        #[arg(long, default_value_t = 200)]
        units: usize,
        #[arg(long, default_value_t = 2025)]
        year: i32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Share of (unit, item) series with a planted problem.
        #[arg(long, default_value_t = 0.03)]
        planted: f64,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// 届次, e.g. 十四届全国人大二次会议.
    #[arg(long)]
    pub session: Option<String>,
    #[arg(long)]
    pub year: Option<i32>,
    /// 代表建议, 政协提案, 批评和意见.
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// 待交办, 已交办, 已签收, 办理中, 已答复, 重新办理, 已办结.
    #[arg(long)]
    pub status: Option<String>,
    /// A lead or co-handling unit.
    #[arg(long)]
    pub unit: Option<String>,
    #[arg(long)]
    pub delegation: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    /// A, B, C or D.
    #[arg(long)]
    pub grade: Option<String>,
    /// 满意, 基本满意, 不满意.
    #[arg(long)]
    pub satisfaction: Option<String>,
    #[arg(long)]
    pub topic: Option<String>,
    /// A deputy who leads or co-signed (a deputy's own proposals).
    #[arg(long)]
    pub deputy: Option<String>,
    #[arg(long)]
    pub overdue: bool,
    #[arg(long)]
    pub due_soon: bool,
    /// Key supervision (重点督办) only.
    #[arg(long)]
    pub key: bool,
    /// Words in the title or the lead deputy's name.
    #[arg(long)]
    pub q: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long)]
    pub today: Option<String>,
    /// Write the filtered list (all pages) to a .csv or .xlsx file.
    #[arg(long)]
    pub export: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

fn parse_opt<T>(
    v: &Option<String>,
    what: &str,
    f: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    v.as_deref()
        .map(|s| f(s).ok_or_else(|| anyhow!("未知的{what}：{s}")))
        .transpose()
}

fn day(s: &Option<String>) -> Result<Date> {
    match s {
        Some(s) => proposals::import::parse_date(s).ok_or_else(|| anyhow!("「{s}」不是日期")),
        None => Ok(proposals::today()),
    }
}

impl ListArgs {
    pub fn filter(&self) -> Result<ListFilter> {
        Ok(ListFilter {
            session: self.session.clone(),
            year: self.year,
            kind: parse_opt(&self.kind, "建议类别", ProposalType::parse_loose)?,
            status: parse_opt(&self.status, "办理状态", Status::parse)?,
            unit: self.unit.clone(),
            delegation: self.delegation.clone(),
            category: self.category.clone(),
            grade: parse_opt(&self.grade, "答复等级", Grade::parse_loose)?,
            satisfaction: parse_opt(&self.satisfaction, "满意度", Satisfaction::parse)?,
            topic: self.topic.clone(),
            deputy: self.deputy.clone(),
            overdue: self.overdue,
            due_soon: self.due_soon,
            key_supervision: self.key,
            q: self.q.clone(),
            offset: self.offset,
            limit: self.limit,
            scope: Scope::All,
        })
    }
}

/// Finds exactly one proposal.
fn one(lib: &Library, key: &str) -> Result<ProposalId> {
    let found = proposals::resolve(lib, key)?;
    match found.as_slice() {
        [] => bail!("没有编号或号码为 {key} 的建议"),
        [id] => Ok(id.clone()),
        ids => {
            // The newest session wins; say so.
            errln!(
                "{key} 有 {} 件（{}），显示最新届次的一件；用 id 指定其他",
                ids.len(),
                ids.iter()
                    .map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            );
            Ok(ids[0].clone())
        }
    }
}

fn print_counts(label: &str, counts: &[(String, usize)], n: usize) {
    if counts.is_empty() {
        return;
    }
    let parts: Vec<String> = counts
        .iter()
        .take(n)
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    outln!("{label}: {}", parts.join(" · "));
}

/// Runs a `proposals` command.
pub fn run(cmd: &ProposalsCommand, cli: &super::Cli) -> Result<()> {
    let open = || super::open(cli);
    match cmd {
        ProposalsCommand::Import { files, json } => {
            let lib = open()?;
            let mut reports = Vec::new();
            for f in files {
                // Each line is printed only once its rows are stored, indexed and flushed.
                let name = f.display().to_string();
                let progress = |p: proposals::ImportProgress| {
                    if !*json && p.durable < p.total {
                        outln!("{name}: 已写入 {} / {} 行", p.durable, p.total);
                    }
                };
                reports.push(
                    proposals::import_file_with_progress(&lib, f, &progress)
                        .with_context(|| format!("导入 {} 失败", f.display()))?,
                );
            }
            lib.close()?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                for r in &reports {
                    outln!(
                        "{}: 行 {} · 新增 {} · 更新 {} · 未变 {} · 错误 {} · {:.1} 秒",
                        r.file,
                        r.rows,
                        r.added,
                        r.updated,
                        r.unchanged,
                        r.errors.len(),
                        r.seconds
                    );
                    if !r.replaced.is_empty() {
                        let ids: Vec<&str> = r.replaced.iter().map(|id| id.as_str()).collect();
                        outln!(
                            "  更新了已有的建议：{}{}",
                            ids.join("、"),
                            if r.updated > ids.len() { " 等" } else { "" }
                        );
                    }
                    for e in &r.errors {
                        outln!("  {e}");
                    }
                }
            }
            Ok(())
        }
        ProposalsCommand::List(args) => {
            let lib = open()?;
            let filter = args.filter()?;
            let today = day(&args.today)?;
            if let Some(path) = &args.export {
                let format = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .and_then(ExportFormat::parse)
                    .ok_or_else(|| anyhow!("导出文件须为 .csv 或 .xlsx"))?;
                let bytes = proposals::export(&lib, &filter, today, format)?;
                std::fs::write(path, bytes)
                    .with_context(|| format!("无法写入 {}", path.display()))?;
            }
            let page = proposals::list(&lib, &filter, today)?;
            if args.json {
                outln!("{}", serde_json::to_string_pretty(&page)?);
                return Ok(());
            }
            outln!("共 {} 件", page.total);
            for s in &page.items {
                let mut flags = Vec::new();
                if s.overdue {
                    flags.push("逾期");
                }
                if s.due_soon {
                    flags.push("14天内到期");
                }
                if s.key_supervision {
                    flags.push("重点督办");
                }
                if s.generated {
                    flags.push("生成数据");
                }
                outln!(
                    "{}  {}{}  {}  [{}{}] {} {}",
                    s.id,
                    s.session,
                    s.number,
                    s.title,
                    s.status,
                    s.grade.map(|g| format!(" {g}")).unwrap_or_default(),
                    s.lead_unit,
                    flags.join(" ")
                );
            }
            let c = &page.counts;
            print_counts("状态", &c.status, 10);
            print_counts("届次", &c.session, 10);
            print_counts("主办单位", &c.unit, 10);
            print_counts("答复类别", &c.grade, 4);
            print_counts("满意度", &c.satisfaction, 3);
            outln!(
                "逾期 {} · 14天内到期 {} · 重点督办 {}",
                c.overdue,
                c.due_soon,
                c.key_supervision
            );
            Ok(())
        }
        ProposalsCommand::Dashboard { today, json } => {
            let lib = open()?;
            let d = proposals::dashboard(&lib, day(today)?, &Scope::All)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&d)?);
                return Ok(());
            }
            outln!("建议 {} 件（截至 {}）", d.total, d.today);
            print_counts("状态", &d.by_status, 10);
            print_counts("届次", &d.by_session, 10);
            print_counts("主办单位", &d.by_unit, 10);
            print_counts("专题", &d.by_topic, 10);
            outln!(
                "逾期 {} · 14天内到期 {} · 不满意 {} · 重点督办未办结 {}",
                d.overdue_count,
                d.due_soon_count,
                d.unsatisfied_count,
                d.key_open_count
            );
            for s in &d.overdue {
                outln!(
                    "  逾期: {} {} {} 期限 {}",
                    s.id,
                    s.title,
                    s.lead_unit,
                    s.deadline.map(|d| d.to_string()).unwrap_or_default()
                );
            }
            for s in &d.due_soon {
                outln!(
                    "  将到期: {} {} {} 期限 {}",
                    s.id,
                    s.title,
                    s.lead_unit,
                    s.deadline.map(|d| d.to_string()).unwrap_or_default()
                );
            }
            Ok(())
        }
        ProposalsCommand::Show {
            number,
            today,
            json,
        } => {
            let lib = open()?;
            let id = one(&lib, number)?;
            let Some(v) = proposals::show(&lib, &id, day(today)?, &Scope::All)? else {
                bail!("没有编号为 {id} 的建议");
            };
            if *json {
                outln!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            let p = &v.proposal;
            outln!("{}{} {}", p.session.name, p.number, p.title);
            outln!(
                "{} · 领衔 {} · {} · 主办 {} · 状态 {}{}",
                p.kind,
                p.lead,
                p.delegation,
                p.lead_unit,
                v.state.status,
                if v.overdue { "（逾期）" } else { "" }
            );
            outln!("\n{}\n", p.text);
            for e in &v.events {
                let extra = [
                    e.grade.map(|g| format!("{g}类（{}）", g.meaning())),
                    e.satisfaction.map(|s| s.label().to_string()),
                    e.text.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                outln!("  {} {} {} {}", e.date, e.kind, e.actor, extra);
            }
            for r in &v.replies {
                outln!("答复文件: {} ({})", r.title, r.doc_id);
            }
            for l in &v.laws {
                outln!("相关法规: 《{}》", l.name);
            }
            if let Some(links) = &v.links {
                let topics: Vec<&str> = links.topics.iter().map(|t| t.name.as_str()).collect();
                let subjects: Vec<String> = links
                    .subjects
                    .iter()
                    .map(|s| format!("{} {}", s.code, s.name))
                    .collect();
                outln!("科目: {}  专题: {}", subjects.join("、"), topics.join("、"));
            }
            print_similar(&v.similar);
            Ok(())
        }
        ProposalsCommand::Similar {
            number,
            limit,
            json,
        } => {
            let lib = open()?;
            let id = one(&lib, number)?;
            let r = proposals::similar(&lib, &id, *limit, &Scope::All)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print_similar(&r);
            }
            Ok(())
        }
        ProposalsCommand::Event {
            number,
            kind,
            date,
            actor,
            grade,
            text,
            satisfaction,
            note,
        } => {
            let lib = open()?;
            let id = one(&lib, number)?;
            let event = Event {
                kind: EventKind::parse(kind).ok_or_else(|| anyhow!("未知的办理事件：{kind}"))?,
                date: day(date)?,
                actor: actor.clone(),
                note: note.clone(),
                grade: parse_opt(grade, "答复等级", Grade::parse_loose)?,
                text: text.clone(),
                satisfaction: parse_opt(satisfaction, "满意度", Satisfaction::parse)?,
            };
            let state = crate::collab::inbox::record_proposal_event(
                &lib,
                &id,
                event,
                &crate::auth::Viewer::operator(),
            )?;
            lib.close()?;
            outln!(
                "{id}: {}，期限 {}",
                state.status,
                state.deadline.map(|d| d.to_string()).unwrap_or_default()
            );
            Ok(())
        }
        ProposalsCommand::Bench { n, work, json } => {
            let r = proposals::bench::run(&super::config(cli), *n, work)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                outln!("{r}");
            }
            Ok(())
        }
    }
}

fn print_similar(r: &proposals::SimilarReport) {
    outln!(
        "相似建议（本议题第 {} 次提出{}）:",
        r.times_raised,
        if r.repeated_without_a {
            "，三次以上未获A类答复"
        } else {
            ""
        }
    );
    if r.items.is_empty() {
        outln!("  (无)");
    }
    for s in &r.items {
        outln!(
            "  {:.2} {}{} {} [{}{}] {}",
            s.score,
            s.session,
            s.number,
            s.title,
            s.status,
            s.grade.map(|g| format!(" {g}")).unwrap_or_default(),
            s.reason
        );
    }
}

/// Runs a `gen` command.
pub fn gen_command(cmd: &GenCommand) -> Result<()> {
    match cmd {
        GenCommand::Execution {
            units,
            year,
            seed,
            planted,
            out,
        } => crate::cli::execution::gen_execution(*units, *year, *seed, *planted, out),
        GenCommand::Budgets {
            units,
            years,
            seed,
            format,
            out,
        } => crate::cli::budget::gen_budgets(*units, years, *seed, *format, out),
        GenCommand::Proposals {
            n,
            seed,
            out,
            today,
        } => {
            let rows = proposals::generate::rows(*n, *seed, day(today)?);
            let ext = out
                .as_deref()
                .and_then(Path::extension)
                .and_then(|e| e.to_str())
                .unwrap_or("csv")
                .to_ascii_lowercase();
            let bytes = match ext.as_str() {
                "json" => proposals::generate::to_json(&rows).into_bytes(),
                e => proposals::export::write(
                    &rows,
                    ExportFormat::parse(e)
                        .ok_or_else(|| anyhow!("输出文件须为 .csv、.xlsx 或 .json"))?,
                )?,
            };
            match out {
                Some(p) => {
                    std::fs::write(p, bytes)
                        .with_context(|| format!("无法写入 {}", p.display()))?;
                    errln!("已生成 {n} 件建议（生成数据）: {}", p.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
    }
}
