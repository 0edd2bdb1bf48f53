//! The command line: argument parsing (clap) and the text or JSON output of each command.

use crate::config::Config;
use crate::library::Library;
use crate::model::{Access, DocId, DocKind, Filters, Level, Scope, Sort, Unit, Validity};
use crate::pipeline::{self, Progress};
use crate::search::{self, SearchRequest, SearchResponse};
use crate::{errln, errout, out, outln};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The `proposals` and `gen` commands.
pub mod budget;
pub mod checks;
/// The `comment`, `inbox` and `consult` commands.
pub mod collab;
/// The `feed`, `execution` and execution generator, evaluation and benchmark commands.
pub mod execution;
pub mod proposals;
/// The `series` commands and `eval macro`.
pub mod series;
/// The `user`, `audit` and `settings` commands.
pub mod users;
pub mod workpapers;

/// yusuan (预算): find the rule, see every document on a budget subject, follow each proposal.
#[derive(Debug, Parser)]
#[command(name = "yusuan", version, about)]
pub struct Cli {
    /// The data folder (store and search index).
    #[arg(long, global = true, default_value = "index", env = "YUSUAN_INDEX")]
    pub index: PathBuf,
    /// The input folder: documents plus reference data (subjects, topics, user dictionary).
    #[arg(long, global = true, default_value = "corpus", env = "YUSUAN_CORPUS")]
    pub corpus: PathBuf,
    #[command(subcommand)]
    pub command: Command,
    /// The running server's library, when the server runs this command for a command line.
    #[arg(skip)]
    pub hosted: Option<Hosted>,
}

/// A running server's open library, lent to a command it runs for a command line.
#[derive(Debug, Clone)]
pub struct Hosted(pub Arc<Library>);

/// A library a command works on: opened by this process, or the running server's.
#[derive(Debug)]
pub enum Opened {
    Own(Box<Library>),
    Server(Arc<Library>),
}

impl std::ops::Deref for Opened {
    type Target = Library;
    fn deref(&self) -> &Library {
        match self {
            Opened::Own(l) => l,
            Opened::Server(l) => l,
        }
    }
}

impl Opened {
    /// Releases what this process opened; on the server's library, flushes only (the server goes on).
    pub fn close(&self) -> Result<()> {
        match self {
            Opened::Own(l) => l.close()?,
            Opened::Server(l) => l.store().flush()?,
        }
        Ok(())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files and folders (Markdown, text, HTML, DOCX, PDF, CSV, XLSX).
    Ingest {
        /// Files or folders; folders are walked, `manifest.jsonl` and `<file>.meta.json` sidecars applied.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search documents and articles.
    Search(SearchArgs),
    /// Remove documents ingested from a path (file or folder), or by document id.
    Remove {
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Mark a document public (公开) or restricted (内部, staff and its owners only); the decision survives
    /// re-ingest.
    Access {
        /// The document id.
        id: String,
        /// `public` or `restricted` (or 公开/内部).
        access: String,
    },
    /// Show a document or an article by id.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Show what the data folder holds.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Measure retrieval quality.
    Eval {
        #[command(subcommand)]
        suite: EvalSuite,
    },
    /// Serve the web pages and the JSON API; on first start, ingest the corpus folder in the background.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// The address readers use, when it differs from `--addr` (behind a proxy). With `https://…` the
        /// session cookies are marked `Secure`.
        #[arg(long)]
        public_url: Option<String>,
        /// Behind a TLS proxy that sets `X-Forwarded-Proto`: requests it marks `https` get `Secure` cookies.
        #[arg(long)]
        trust_forwarded_proto: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Measure speed and memory on a corpus: segmentation, the bare indexing ceiling, full ingest, index
    /// size, peak memory and query latency.
    Bench {
        /// The corpus to ingest (e.g. ../shared/corpus/laws).
        corpus: PathBuf,
        /// Questions for query latency (STARD format).
        #[arg(long)]
        questions: Option<PathBuf>,
        /// Scratch folder (removed afterwards).
        #[arg(long, default_value = "target/bench-scratch")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Load benchmark over HTTP: `yusuan serve` on loopback on the data folder (`--index`, already ingested),
    /// driven by the `wrk` load generator with search and document pages: capacity, the sustainable rate
    /// (p99 under the limit, no errors), twice that rate, and the sustainable rate during an upload.
    BenchLoad {
        /// Questions whose text the search pages ask (STARD format).
        #[arg(long)]
        questions: Option<PathBuf>,
        /// Seconds of each measured phase.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Open connections.
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Files or folders to upload during the last phase (at most --ingest-max files).
        #[arg(long)]
        ingest: Vec<PathBuf>,
        #[arg(long, default_value_t = 2000)]
        ingest_max: usize,
        /// Seconds of the last phase (search while the upload is ingested).
        #[arg(long, default_value_t = 30)]
        ingest_seconds: u64,
        /// The p99 a sustainable rate must stay under, in ms.
        #[arg(long, default_value_t = 200.0)]
        p99_ms: f64,
        /// Also upload generated hostile files (bombs and damaged files of every format) one after another
        /// during a phase at the sustainable rate (as long as --ingest-seconds).
        #[arg(long)]
        hostile: bool,
        /// Scratch folder for the load scripts.
        #[arg(long, default_value = "target/bench-scratch/load")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Command-line benchmark: a server on a scratch data folder; a folder ingested by the command line
    /// through it while searches over HTTP run (their latency idle and during the ingest); then everyday
    /// commands timed through the running server and, after it stops, in their own process.
    BenchCli {
        /// The folder to ingest (e.g. ../shared/corpus/laws).
        folder: PathBuf,
        /// Questions the searches ask (STARD format; the first 300).
        #[arg(long)]
        questions: Option<PathBuf>,
        /// Runs of each command.
        #[arg(long, default_value_t = 10)]
        repeats: usize,
        /// Scratch folder (its data folder is emptied first and left in place).
        #[arg(long, default_value = "target/bench-scratch/cli")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Facts benchmark: generated budgets and final accounts stored until --facts facts, then the in-memory
    /// columns, a filtered facts query and a sum by 类 timed, with the memory they take.
    BenchFacts {
        #[arg(long, default_value_t = 1_000_000)]
        facts: usize,
        /// Scratch data folder (must be empty or missing; left in place).
        #[arg(long, default_value = "target/bench-scratch/facts")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// 预警 benchmark: a folder of budget or final-account documents ingested end to end into a scratch data
    /// folder, then each document's checks and the whole 预警 list timed (median of --repeats runs).
    /// Measure comments and inboxes: generated accounts, documents (three articles each, one in ten
    /// restricted) and a history of comments with replies and mentions; then every inbox and a sample of
    /// threads, in the library and through the web handlers.
    BenchCollab {
        #[arg(long, default_value_t = 200)]
        accounts: usize,
        #[arg(long, default_value_t = 500)]
        documents: usize,
        #[arg(long, default_value_t = 100_000)]
        comments: usize,
        /// Working collections (工作底稿) with 5–40 items each, shared with accounts and roles.
        #[arg(long, default_value_t = 1_000)]
        workpapers: usize,
        /// Scratch data folder (must be empty or missing; left in place).
        #[arg(long, default_value = "target/bench-scratch/collab")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
    BenchChecks {
        /// The folder (e.g. ../shared/corpus/final-accounts).
        folder: PathBuf,
        #[arg(long, default_value_t = 20)]
        repeats: usize,
        /// Scratch data folder (must be empty or missing; left in place).
        #[arg(long, default_value = "target/bench-scratch/checks")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Show a document's links to budget subjects and topics with their evidence; confirm or reject links.
    Links {
        /// A document id, or the path of an ingested file or folder.
        target: String,
        /// Print {"subjects": [{"code", "name", "score", "evidence"}], "topics": [{"id", "name", "score",
        /// "evidence"}]}, strongest first.
        #[arg(long)]
        json: bool,
        /// Also show candidates below the thresholds.
        #[arg(long)]
        all: bool,
        /// Confirm a link: a subject code (205) or a topic id or name; kept whatever its score.
        #[arg(long)]
        confirm: Vec<String>,
        /// Reject a link: a subject code or a topic id or name; it is no longer shown or indexed.
        #[arg(long)]
        reject: Vec<String>,
        /// Withdraw a decision.
        #[arg(long)]
        undo: Vec<String>,
        /// Who decides (recorded with the decision).
        #[arg(long, default_value = "cli", env = "USER")]
        by: String,
    },
    /// Budget facts read from tables: amounts in 万元 labelled with unit, year, stage, table, code, row and
    /// column.
    Facts(budget::FactsArgs),
    /// 预警: check budget and final-account documents (all with facts when no id is given): totals, 类 = Σ款 =
    /// Σ项, the identities between tables, the amounts, shares and growth rates the text states, placeholders,
    /// template text and unit names.
    Check {
        /// Document ids.
        ids: Vec<String>,
        /// Print {"doc_id", "findings": [{"rule", "severity", "message", "page", "table", "row", "column",
        /// "quote", "expected", "found"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Print a document's tables (title, standard table, unit, pages, header rows marked).
    Tables {
        /// The document id.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// 宏观经济分析: import indicator series from tables, list the values read from the work reports.
    Series {
        #[command(subcommand)]
        command: series::SeriesCommand,
    },
    /// 联网 execution data pushed by the finance department: apply a batch file, list the batches.
    Feed {
        #[command(subcommand)]
        command: execution::FeedCommand,
    },
    /// The execution dashboard (by department or unit, by subject) or, with --findings, the pace warnings.
    Execution(execution::ExecArgs),
    /// Execution benchmark: a generated province pushed month by month (--units budget units, about 100 rows
    /// each a month), then the columns, the dashboard, its drill-downs and the pace rules timed.
    BenchExecution {
        #[arg(long, default_value_t = 5000)]
        units: usize,
        #[arg(long, default_value_t = 12)]
        months: u8,
        /// Scratch data folder (must be empty or missing; left in place).
        #[arg(long, default_value = "target/bench-scratch/execution")]
        work: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Deputy proposals (代表建议): import, list, dashboard, show, similar, record events, benchmark.
    Proposals {
        #[command(subcommand)]
        command: proposals::ProposalsCommand,
    },
    /// Comments on a document, article, proposal or consultation: list, add (as an account), remove.
    Comment {
        #[command(subcommand)]
        command: collab::CommentCommand,
    },
    /// An account's notices (mentions, replies, proposal progress, deadlines); `--read` marks them read,
    /// `--deadlines` first sends the notices of proposals due within seven days.
    Inbox {
        account: String,
        #[arg(long)]
        read: bool,
        #[arg(long)]
        deadlines: bool,
        #[arg(long)]
        json: bool,
    },
    /// The staff's marks of the article that answers a question, as labelled questions in the STARD format
    /// (one JSON line per question), for `yusuan eval stard`.
    Answers,
    /// Deputies' questions to the committee's staff (咨询): list, ask.
    Consult {
        #[command(subcommand)]
        command: collab::ConsultCommand,
    },
    /// Working collections (工作底稿): list, new, add, show, share, export (DOCX, PDF, ZIP of originals).
    Workpaper {
        #[command(subcommand)]
        command: workpapers::WorkpaperCommand,
    },
    /// Saved searches whose new documents are announced in the inbox after each ingest: list, add, remove.
    Saved {
        #[command(subcommand)]
        command: workpapers::SavedCommand,
    },
    /// Accounts and API tokens: add, list, disable, enable, passwd, role, token, tokens, revoke.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Export the audit log (who searched, viewed, ingested or changed what) as CSV or JSON lines.
    Audit(users::AuditArgs),
    /// The demonstration samples (示例, from the input folder's samples/): how many are in the data folder;
    /// `--remove` removes them all (and a later first start does not ingest them again).
    Samples {
        #[arg(long)]
        remove: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show or change instance settings.
    Settings {
        /// Whether visitors who are not logged in may read public documents: on or off.
        #[arg(long)]
        anonymous: Option<String>,
        /// Days audit entries are kept (0: no limit); older ones are removed.
        #[arg(long)]
        audit_days: Option<u32>,
        /// Most audit entries kept, the oldest removed first (0: no limit).
        #[arg(long)]
        audit_max_entries: Option<u64>,
    },
    /// Generate clearly marked test data.
    Gen {
        #[command(subcommand)]
        what: proposals::GenCommand,
    },
    /// Recompute the links of every document (after the subject or topic rules changed) and re-index them.
    Relink {
        #[arg(long)]
        json: bool,
    },
    /// Back up the data folder (store, search index, uploaded originals, tasks) into a new or empty folder.
    /// While a server uses the data folder, pass `--server` and the server writes the backup.
    Backup {
        /// The backup folder (on the server's machine with `--server`).
        dir: Option<PathBuf>,
        /// The running server to ask (e.g. http://127.0.0.1:8080); without a folder it chooses
        /// `backups/<time>` under its data folder.
        #[arg(long)]
        server: Option<String>,
        /// An administrator's API token for `--server` (`yusuan user token admin`). A token on the command
        /// line is visible to every user of the machine (`ps`): prefer `YUSUAN_TOKEN` or `--token-file`.
        #[arg(long, env = "YUSUAN_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// A file holding the API token for `--server` (its first line).
        #[arg(long, conflicts_with = "token")]
        token_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup into the data folder (`--index`): every file is verified first, the current data
    /// folder is moved aside (kept as `<folder>.before-restore-<time>`). Refused while the folder is in use.
    Restore {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Extract one PDF and print its text (used to isolate the PDF parser in a child process).
    #[command(hide = true)]
    ExtractPdf { file: PathBuf },
}

/// Limits of the server; each refusal is a clear error with its HTTP status.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest upload request, in MiB (413 above).
    #[arg(long, default_value_t = 64)]
    pub max_upload_mib: usize,
    /// Largest request body of every other route, in KiB (413 above).
    #[arg(long, default_value_t = 1024)]
    pub max_body_kib: usize,
    /// Upload tasks queued or running at once; further uploads get 429.
    #[arg(long, default_value_t = 8)]
    pub max_queued_tasks: usize,
    /// Longest query, in characters (400 above).
    #[arg(long, default_value_t = 500)]
    pub max_query_chars: usize,
    /// Largest page of results (400 above).
    #[arg(long, default_value_t = 200)]
    pub max_limit: usize,
    /// Deepest result reachable by paging, offset + limit (400 above).
    #[arg(long, default_value_t = 10_000)]
    pub max_window: usize,
    /// Address space of each worker process that extracts a PDF, in MiB (the worker fails above).
    #[arg(long, default_value_t = 1024)]
    pub worker_memory_mib: u64,
    /// Free space the data folder's disk must keep, in MiB: below it writes are refused (503) and reading
    /// goes on.
    #[arg(long, default_value_t = 64)]
    pub min_free_mib: u64,
    /// Seconds a client may take to send a request's head before its connection is closed.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,
}

impl LimitArgs {
    /// Puts the limits into a configuration.
    pub fn apply(&self, mut config: Config) -> Config {
        config.max_upload_bytes = self.max_upload_mib << 20;
        config.max_body_bytes = self.max_body_kib << 10;
        config.max_queued_tasks = self.max_queued_tasks;
        config.max_query_chars = self.max_query_chars;
        config.max_limit = self.max_limit;
        config.max_window = self.max_window;
        config.extract.worker.memory_bytes = self.worker_memory_mib << 20;
        config.header_read_timeout = Duration::from_secs(self.header_timeout_secs);
        config.min_free_bytes = self.min_free_mib << 20;
        config
    }
}

#[derive(Debug, Subcommand)]
pub enum EvalSuite {
    /// The execution pace rules against the problems planted in a generated year: recall and precision per
    /// rule as the data stands at the end of June, September and December.
    Execution {
        #[arg(long, default_value_t = 1000)]
        units: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// The metadata of every stored document audited: validity per level, 施行日期 before 公布日期, merged and
    /// near copies, kinds that disagree with their issuer, local norms without a region, reports without a
    /// date, with examples.
    Metadata {
        #[arg(long)]
        json: bool,
    },
    /// Statute retrieval on questions in the STARD format (`{"query", "relevant": [article names]}` per line).
    Stard {
        file: PathBuf,
        /// Evaluate only the first N questions.
        #[arg(long)]
        limit: Option<usize>,
        /// Cross-validate the law prior learned from the questions over K folds (each question held out
        /// once; the prior re-ranks the search's first 300 articles).
        #[arg(long)]
        folds: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Linker quality on a labelled set (JSON lines: {"path", "subjects": [类 codes], "topics": [names]}):
    /// recall@3 of the expected classes and precision/recall of topics.
    Links {
        file: PathBuf,
        /// The folder the labelled paths are relative to.
        #[arg(long, env = "YUSUAN_SHARED", default_value = "../shared")]
        shared: PathBuf,
        /// Ingest into the --index data folder instead of a temporary one.
        #[arg(long)]
        reuse_index: bool,
        /// List every document's expected and found classes and topics.
        #[arg(long)]
        verbose: bool,
        #[arg(long)]
        json: bool,
    },
    /// Macro indicators read from the government work reports, against hand-labelled values (JSON:
    /// `{"reports": [years], "values": [{"report", "indicator", "year", "kind", "value", "upper", "sentence"}]}`):
    /// precision and recall per indicator and overall.
    Macro {
        /// The labels file (e.g. tests/data/macro-labels.json).
        labels: PathBuf,
        /// The folder of the reports (`{year}年政府工作报告.txt`).
        #[arg(long, default_value = "../shared/corpus/reports")]
        reports: PathBuf,
        /// List every wrong, missing and unlabelled value.
        #[arg(long)]
        verbose: bool,
        #[arg(long)]
        json: bool,
    },
    /// Table extraction on reference grids (`{"file", "tables": [{"title", "page", "rows"}]}` per JSON file):
    /// cell accuracy per document and per table, and the extraction time.
    Tables {
        /// The folder of reference files (e.g. tests/data/final-accounts).
        reference: PathBuf,
        /// The folder with the documents the references name.
        #[arg(long)]
        documents: PathBuf,
        /// List every table's figures.
        #[arg(long)]
        verbose: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words, "exact phrases", -exclusions, A OR B, or a question in plain Chinese.
    pub query: Vec<String>,
    /// Print {"total", "hits", "facets"} as JSON.
    #[arg(long)]
    pub json: bool,
    /// Results per page (0: counts and facets only).
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// best (articles of regulations, whole other documents), document or article.
    #[arg(long, default_value = "best")]
    pub unit: String,
    /// relevance or date.
    #[arg(long, default_value = "relevance")]
    pub sort: String,
    /// Document kind (法律, 行政法规, 地方性法规, 司法解释, 部门规章, 预算, 决算, 工作报告, 代表建议, 答复, 政策文件, 其他).
    #[arg(long)]
    pub kind: Vec<String>,
    /// Legal level (宪法, 法律, 行政法规, 司法解释, 部门规章, 地方性法规 ...).
    #[arg(long)]
    pub level: Vec<String>,
    /// Region (上海, 北京 ...).
    #[arg(long)]
    pub region: Vec<String>,
    /// Year or range: 2020, 2018..2022, 2018.., ..2010.
    #[arg(long)]
    pub year: Option<String>,
    /// Validity: 有效, 已修改, 已废止.
    #[arg(long)]
    pub status: Vec<String>,
    /// Budget subject code (a class includes its descendants).
    #[arg(long)]
    pub subject: Vec<String>,
    /// Topic name.
    #[arg(long)]
    pub topic: Vec<String>,
}

impl Command {
    /// Whether the command works on the data folder and can run through a running server (everything but
    /// serving, restoring, benchmarks on scratch folders, generators and evaluations on their own folders).
    pub fn runs_on_server(&self) -> bool {
        match self {
            Command::Ingest { .. }
            | Command::Search(_)
            | Command::Remove { .. }
            | Command::Access { .. }
            | Command::Show { .. }
            | Command::Status { .. }
            | Command::Links { .. }
            | Command::Facts(_)
            | Command::Check { .. }
            | Command::Tables { .. }
            | Command::Series { .. }
            | Command::Feed { .. }
            | Command::Execution(_)
            | Command::User { .. }
            | Command::Comment { .. }
            | Command::Inbox { .. }
            | Command::Consult { .. }
            | Command::Workpaper { .. }
            | Command::Saved { .. }
            | Command::Answers
            | Command::Audit(_)
            | Command::Settings { .. }
            | Command::Samples { .. }
            | Command::Relink { .. }
            | Command::Eval {
                suite: EvalSuite::Stard { .. } | EvalSuite::Metadata { .. },
            } => true,
            Command::Proposals { command } => {
                !matches!(command, proposals::ProposalsCommand::Bench { .. })
            }
            // `--server` already names a server and a token.
            Command::Backup { server, .. } => server.is_none(),
            _ => false,
        }
    }

    /// Whether the command reads its standard input (a password), which is then sent along to a server.
    fn reads_stdin(&self) -> bool {
        matches!(
            self,
            Command::User {
                command: users::UserCommand::Add {
                    password_stdin: true,
                    ..
                } | users::UserCommand::Passwd {
                    password_stdin: true,
                    ..
                },
            }
        )
    }

    /// Makes the paths of a command sent by a command line absolute against the folder it was started in.
    /// A removal or link target is a path only if it names something there (otherwise it is an id).
    pub fn resolve_paths(&mut self, cwd: &Path) {
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = cwd.join(&*p);
            }
        };
        let target = |t: &mut String| {
            let p = cwd.join(&*t);
            if Path::new(t).is_relative() && p.exists() {
                *t = p.to_string_lossy().to_string();
            }
        };
        match self {
            Command::Ingest { paths, .. } => paths.iter_mut().for_each(abs),
            Command::Remove { targets } => targets.iter_mut().for_each(target),
            Command::Links { target: t, .. } => target(t),
            Command::Eval {
                suite: EvalSuite::Stard { file, .. },
            } => abs(file),
            Command::Backup { dir: Some(d), .. } => abs(d),
            Command::Audit(args) => args.out.iter_mut().for_each(abs),
            Command::Series {
                command: series::SeriesCommand::Import { files },
            } => files.iter_mut().for_each(abs),
            Command::Feed {
                command: execution::FeedCommand::Push { file, .. },
            } => abs(file),
            Command::Proposals { command } => match command {
                proposals::ProposalsCommand::Import { files, .. } => files.iter_mut().for_each(abs),
                proposals::ProposalsCommand::List(args) => args.export.iter_mut().for_each(abs),
                _ => {}
            },
            Command::Workpaper {
                command: workpapers::WorkpaperCommand::Export { out, .. },
            } => abs(out),
            _ => {}
        }
    }

    /// Whether the command prints to standard output and may be piped into a reader that stops early.
    pub fn writes_to_pipe(&self) -> bool {
        !matches!(self, Command::Serve { .. })
    }
}

/// Parses a year filter: `2020`, `2018..2022`, `2018..`, `..2010`.
pub fn parse_years(s: &str) -> Result<(Option<i32>, Option<i32>)> {
    let parse = |t: &str| -> Result<Option<i32>> {
        let t = t.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<i32>()
            .map(Some)
            .map_err(|_| anyhow!("「{t}」不是年份 (not a year)"))
    };
    match s.split_once("..") {
        Some((a, b)) => Ok((parse(a)?, parse(b)?)),
        None => {
            let y = parse(s)?;
            Ok((y, y))
        }
    }
}

fn parse_all<T>(
    values: &[String],
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>> {
    values
        .iter()
        .map(|v| parse(v).ok_or_else(|| anyhow!("未知的{what}：{v}")))
        .collect()
}

impl SearchArgs {
    /// The typed request these arguments describe.
    pub fn request(&self) -> Result<SearchRequest> {
        let (year_from, year_to) = match &self.year {
            Some(y) => parse_years(y)?,
            None => (None, None),
        };
        Ok(SearchRequest {
            q: self.query.join(" "),
            filters: Filters {
                kinds: parse_all(&self.kind, "文档类别", DocKind::parse)?,
                levels: parse_all(&self.level, "效力级别", Level::parse)?,
                regions: self.region.clone(),
                year_from,
                year_to,
                validity: parse_all(&self.status, "时效性", Validity::parse)?,
                subjects: self.subject.clone(),
                topics: self.topic.clone(),
            },
            unit: Unit::parse(&self.unit).ok_or_else(|| {
                anyhow!(
                    "未知的检索单位：{}（可用 best、document、article）",
                    self.unit
                )
            })?,
            sort: match self.sort.as_str() {
                "relevance" => Sort::Relevance,
                "date" => Sort::Date,
                s => bail!("未知的排序：{s}（可用 relevance、date）"),
            },
            offset: self.offset,
            limit: self.limit,
            // The command line is a local operator: it sees everything.
            scope: Scope::All,
        })
    }
}

/// The configuration for the CLI's folders, with PDFs extracted in child processes of this binary.
pub fn config(cli: &Cli) -> Config {
    let mut config = Config::new(&cli.index, &cli.corpus);
    if let Ok(exe) = std::env::current_exe() {
        config = config.with_pdf_worker(&exe, Duration::from_secs(60));
    }
    config.admin_password = std::env::var("YUSUAN_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    config
}

/// Runs the command line: through the running server of the data folder when there is one and the command
/// works on the data folder, in this process otherwise.
pub fn run(cli: Cli) -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if cli.command.runs_on_server()
        && let Some(server) = crate::web::local::find_server(&config(&cli).server_file())
        && let Some(result) = forward(&server, &args, &cli)?
    {
        return result;
    }
    let audited = cli.command.audited(&args);
    let store_dir = config(&cli).store_dir();
    // A change is recorded before it is made (a restore, which replaces the log, after). A folder that does
    // not open here (held by another command line, damaged) is left to the command, which then fails on it.
    let begun = match &audited {
        Some((action, target)) if !matches!(cli.command, Command::Restore { .. }) => {
            match crate::store::Store::open(&store_dir) {
                Ok(store) => Some(begin_operator(&store, &operator(), *action, target)?),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let result = run_command(&cli);
    if let Some((action, target)) = audited
        && let Ok(store) = crate::store::Store::open(&store_dir)
    {
        finish_operator(&store, &operator(), action, &target, &result, begun);
    }
    result
}

/// Replaces this server process with a fresh one of the same binary and arguments, which takes over the
/// listening socket `listening`. Returns only on failure.
fn restart_in_place(listening: std::os::fd::RawFd) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let socket = match crate::web::listen::hand_over(listening) {
        Ok(fd) => fd,
        Err(e) => return e,
    };
    // `/proc/self/exe` is this very binary, even when its file was replaced since it started.
    std::process::Command::new("/proc/self/exe")
        .args(std::env::args_os().skip(1))
        .env(crate::web::listen::INHERITED_LISTENER, socket.to_string())
        .exec()
}

/// The operating-system account running this process.
fn operator() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        // SAFETY: `getuid` cannot fail.
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }))
}

/// Sends the command to the running server and prints its output as it comes. `None` when the server does
/// not answer (it is stopping, or its file is stale): the command then runs in this process.
fn forward(
    server: &crate::web::local::ServerFile,
    args: &[String],
    cli: &Cli,
) -> Result<Option<Result<()>>> {
    use crate::web::local::{Line, LocalRun, TOKEN_HEADER};
    let stdin = if cli.command.reads_stdin() {
        Some(crate::console::read_line().context("读取标准输入失败")?)
    } else {
        None
    };
    let req = LocalRun {
        args: args.to_vec(),
        cwd: std::env::current_dir().context("无法确定当前目录")?,
        user: operator(),
        stdout_terminal: std::io::stdout().is_terminal(),
        stderr_terminal: std::io::stderr().is_terminal(),
        stdin,
    };
    let headers = [
        ("Content-Type", "application/json".to_string()),
        (TOKEN_HEADER, server.token.clone()),
    ];
    let mut end: Option<Result<()>> = None;
    let mut on_line = |line: &str| match serde_json::from_str::<Line>(line) {
        Ok(Line::Out(t)) => out!("{t}"),
        Ok(Line::Err(t)) => errout!("{t}"),
        Ok(Line::Done) => end = Some(Ok(())),
        Ok(Line::Failed(chain)) => {
            let mut chain = chain.into_iter().rev();
            let mut e = anyhow!(chain.next().unwrap_or_default());
            for outer in chain {
                e = e.context(outer);
            }
            end = Some(Err(e));
        }
        Err(_) => errln!("{line}"),
    };
    let sent = crate::web::client::request_lines(
        &server.url,
        "/api/local/run",
        &headers,
        &serde_json::to_vec(&req)?,
        &mut on_line,
    );
    match sent {
        // Nothing listens: a stale file; the command runs here (and finds the folder free, or says who holds it).
        Err(crate::error::Error::Io { .. }) if end.is_none() => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("运行中的服务 {} 中断了命令", server.url))),
        Ok(Err(reply)) => {
            let msg = serde_json::from_slice::<serde_json::Value>(&reply.body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| reply.text());
            bail!("运行中的服务 {} 拒绝了命令（{}）：{msg}", server.url, reply.status)
        }
        Ok(Ok(())) => Ok(Some(end.unwrap_or_else(|| {
            Err(anyhow!(
                "运行中的服务 {} 在命令结束前断开了连接 (the server ended the answer before the command ended)",
                server.url
            ))
        }))),
    }
}

/// Runs a command line's command in the running server, on its open library (the server's runner).
pub fn run_hosted(lib: Arc<Library>, req: &crate::web::local::LocalRun) -> Result<()> {
    let mut cli =
        Cli::try_parse_from(std::iter::once("yusuan".to_string()).chain(req.args.iter().cloned()))
            .map_err(|e| anyhow!("{}", e.to_string().trim_end()))?;
    if !cli.command.runs_on_server() {
        bail!(
            "该命令不能由运行中的服务执行，请先停止服务 (this command does not run through a server)"
        );
    }
    cli.command.resolve_paths(&req.cwd);
    cli.index = lib.config.data_dir.clone();
    cli.corpus = lib.config.corpus_dir.clone();
    cli.hosted = Some(Hosted(lib.clone()));
    let audited = cli.command.audited(&req.args);
    let begun = match &audited {
        Some((action, target)) => Some(begin_operator(lib.store(), &req.user, *action, target)?),
        None => None,
    };
    let result = run_command(&cli);
    if let Some((action, target)) = audited {
        finish_operator(lib.store(), &req.user, action, &target, &result, begun);
    }
    result
}

impl Command {
    /// The audit action and line of a command that changes the data folder (ingest, imports, removals,
    /// access, accounts, settings, relink, restore); `None` for reads.
    fn audited(&self, args: &[String]) -> Option<(crate::auth::audit::AuditAction, String)> {
        use crate::auth::audit::AuditAction::{Admin, Change, Ingest};
        let line = args.join(" ");
        let action = match self {
            Command::Ingest { .. } => Ingest,
            Command::Remove { .. } | Command::Access { .. } | Command::Relink { .. } => Change,
            Command::Samples { remove: true, .. } => Change,
            Command::Proposals {
                command: proposals::ProposalsCommand::Import { .. },
            }
            | Command::Series {
                command: series::SeriesCommand::Import { .. },
            }
            | Command::Feed {
                command: execution::FeedCommand::Push { .. },
            } => Ingest,
            Command::Proposals {
                command: proposals::ProposalsCommand::Event { .. },
            }
            | Command::Comment {
                command: collab::CommentCommand::Add { .. } | collab::CommentCommand::Remove { .. },
            }
            | Command::Consult {
                command: collab::ConsultCommand::Ask { .. },
            }
            | Command::Saved {
                command:
                    workpapers::SavedCommand::Add { .. } | workpapers::SavedCommand::Remove { .. },
            } => Change,
            Command::Workpaper { command }
                if !matches!(
                    command,
                    workpapers::WorkpaperCommand::List { .. }
                        | workpapers::WorkpaperCommand::Show { .. }
                        | workpapers::WorkpaperCommand::Export { .. }
                ) =>
            {
                Change
            }
            Command::Inbox {
                read, deadlines, ..
            } if *read || *deadlines => Change,
            Command::User { command }
                if !matches!(
                    command,
                    users::UserCommand::List { .. } | users::UserCommand::Tokens
                ) =>
            {
                Admin
            }
            Command::Settings {
                anonymous,
                audit_days,
                audit_max_entries,
            } if anonymous.is_some() || audit_days.is_some() || audit_max_entries.is_some() => {
                Admin
            }
            Command::Restore { .. } => Admin,
            _ => return None,
        };
        // Passwords never reach the log.
        let line = if matches!(self, Command::User { .. }) {
            args.iter()
                .take_while(|a| !a.contains("password"))
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            line
        };
        Some((action, line))
    }
}

/// The audit entry of a command-line change, under the operating-system account that ran it.
fn operator_entry(
    who: &str,
    action: crate::auth::audit::AuditAction,
    line: &str,
    result: Option<&Result<()>>,
) -> crate::auth::audit::AuditEntry {
    crate::auth::audit::AuditEntry {
        seq: 0,
        time: chrono::Utc::now(),
        user: Some(format!("(命令行 {who})")),
        role: crate::auth::Role::Admin,
        action,
        target: format!("yusuan {line}"),
        detail: match result {
            Some(Err(e)) => format!("失败：{e}"),
            _ => String::new(),
        },
        status: match result {
            Some(Ok(())) => 200,
            Some(Err(_)) => 500,
            None => 0,
        },
        ip: None,
    }
}

/// Records a command-line change before it is made; the command is refused when the log cannot keep it.
fn begin_operator(
    store: &crate::store::Store,
    who: &str,
    action: crate::auth::audit::AuditAction,
    line: &str,
) -> Result<u64> {
    crate::auth::audit::begin(store, operator_entry(who, action, line, None))
        .context("审计日志无法写入，命令未执行 (the audit log cannot be written)")
}

/// Writes the outcome of a command-line change into its entry (`begun`), or a new entry when none was
/// begun (a restore, whose log the command replaced).
fn finish_operator(
    store: &crate::store::Store,
    who: &str,
    action: crate::auth::audit::AuditAction,
    line: &str,
    result: &Result<()>,
    begun: Option<u64>,
) {
    let entry = operator_entry(who, action, line, Some(result));
    let written = match begun {
        Some(seq) => crate::auth::audit::finish(store, seq, entry),
        None => crate::auth::audit::record(store, entry).map(|_| ()),
    };
    if let Err(e) = written {
        errln!("警告：无法在审计日志中写入命令的结果：{e}");
    }
}

fn run_command(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::ExtractPdf { file } => {
            std::process::exit(crate::ingest::extract::pdf_worker(file));
        }
        Command::Serve {
            addr,
            public_url,
            trust_forwarded_proto,
            limits,
        } => {
            if let Some(url) = public_url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                bail!("--public-url 须以 http:// 或 https:// 开头：{url}");
            }
            let mut config = limits.apply(config(cli));
            config.public_url = public_url.clone();
            config.trust_forwarded_proto = *trust_forwarded_proto;
            let runtime = tokio::runtime::Runtime::new().context("无法启动异步运行时")?;
            runtime.block_on(crate::web::serve(
                config,
                addr,
                Some(Arc::new(run_hosted)),
                Some(Arc::new(restart_in_place)),
            ))
        }
        Command::Backup {
            dir,
            server,
            token,
            token_file,
            json,
        } => {
            let token = match token_file {
                Some(file) => Some(
                    std::fs::read_to_string(file)
                        .with_context(|| format!("读取令牌文件 {} 失败", file.display()))?
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                ),
                None => token.clone(),
            };
            backup_command(
                cli,
                dir.as_deref(),
                server.as_deref(),
                token.as_deref(),
                *json,
            )
        }
        Command::Restore { dir, json } => {
            if let Some(server) = crate::web::local::find_server(&config(cli).server_file()) {
                bail!(
                    "数据目录 {} 正由运行中的服务 {} 使用：请先停止服务（Ctrl-C），再恢复备份 (stop the server first)",
                    cli.index.display(),
                    server.url
                );
            }
            let r = crate::backup::restore(dir, &config(cli))
                .with_context(|| format!("恢复 {} 失败", dir.display()))?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                outln!(
                    "已恢复到 {}：文档 {} · 条文 {} · 建议 {}",
                    r.data_dir.display(),
                    r.manifest.documents,
                    r.manifest.articles,
                    r.manifest.proposals
                );
                if let Some(p) = &r.previous {
                    outln!("原数据目录已移至 {}（未删除）", p.display());
                }
            }
            Ok(())
        }
        Command::BenchLoad {
            questions,
            seconds,
            connections,
            ingest,
            ingest_max,
            ingest_seconds,
            p99_ms,
            hostile,
            work,
            json,
        } => {
            let mut files = Vec::new();
            for p in ingest {
                for e in walkdir::WalkDir::new(p).sort_by_file_name() {
                    let e = e.with_context(|| format!("读取 {} 失败", p.display()))?;
                    let name = e.file_name().to_string_lossy().to_string();
                    if e.file_type().is_file()
                        && !name.ends_with(".jsonl")
                        && !name.ends_with(".json")
                    {
                        files.push(e.path().to_path_buf());
                    }
                }
            }
            files.truncate(*ingest_max);
            let opts = crate::bench::load::LoadOptions {
                exe: std::env::current_exe().context("找不到 yusuan 程序文件")?,
                data: cli.index.clone(),
                corpus: cli.corpus.clone(),
                questions: questions.clone(),
                seconds: *seconds,
                connections: *connections,
                ingest: files,
                ingest_seconds: *ingest_seconds,
                p99_limit_ms: *p99_ms,
                hostile: *hostile,
            };
            let r = crate::bench::load::run(&opts, work)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                out!("{}", crate::bench::load::render(&r));
            }
            Ok(())
        }
        Command::BenchCli {
            folder,
            questions,
            repeats,
            work,
            json,
        } => {
            let opts = crate::bench::cli::CliOptions {
                exe: std::env::current_exe().context("找不到 yusuan 程序文件")?,
                corpus: std::path::absolute(&cli.corpus)?,
                folder: folder.clone(),
                questions: questions.clone(),
                repeats: *repeats,
            };
            let r = crate::bench::cli::run(&opts, work)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                out!("{}", crate::bench::cli::render(&r));
            }
            Ok(())
        }
        Command::User { command } => {
            let lib = open(cli)?;
            users::run_user(&lib, command)
        }
        Command::Audit(args) => {
            let lib = open(cli)?;
            users::run_audit(&lib, args)
        }
        Command::Settings {
            anonymous,
            audit_days,
            audit_max_entries,
        } => {
            let lib = open(cli)?;
            users::run_settings(&lib, anonymous.as_deref(), *audit_days, *audit_max_entries)
        }
        Command::Ingest { paths, json } => {
            let lib = open(cli)?;
            let report = ingest_with_progress(&lib, paths)?;
            lib.close()?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
            // Real documents next to the demonstration: ask whether the samples should go.
            let real = paths.iter().any(|p| {
                let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                !crate::samples::is_sample_path(&lib, &p)
                    && !crate::samples::is_sample_path(&lib, &p.join("samples"))
            });
            if real {
                let samples = crate::samples::find(&lib)?;
                if !samples.is_empty() {
                    errln!(
                        "提示：数据目录中仍有示例数据：{}（虚构，仅供演示）。删除它们：yusuan samples --remove",
                        samples.label()
                    );
                }
            }
            Ok(())
        }
        Command::Samples { remove, json } => {
            let lib = open(cli)?;
            if *remove {
                let r = crate::samples::remove(&lib)?;
                lib.close()?;
                if *json {
                    outln!("{}", serde_json::to_string_pretty(&r)?);
                } else {
                    outln!(
                        "已删除示例数据：文档 {} 个、代表建议 {} 件；以后首次启动不再导入 samples/",
                        r.documents,
                        r.proposals
                    );
                }
            } else {
                let set = crate::samples::find(&lib)?;
                if *json {
                    outln!("{}", serde_json::to_string_pretty(&set)?);
                } else if set.is_empty() {
                    outln!("数据目录中没有示例数据");
                } else {
                    outln!("{}（删除：yusuan samples --remove）", set.label());
                }
            }
            Ok(())
        }
        Command::Search(args) => {
            let req = args.request()?;
            let lib = open_for_search(cli, &req.q)?;
            let resp = search::search(&lib, &req)?;
            if args.json {
                outln!("{}", serde_json::to_string_pretty(&resp)?);
            } else {
                print_search(&resp, crate::console::stdout_is_terminal());
            }
            Ok(())
        }
        Command::Remove { targets } => {
            let lib = open(cli)?;
            let mut ids = Vec::new();
            for t in targets {
                let found = pipeline::resolve_targets(&lib, t)?;
                if found.is_empty() {
                    bail!("没有从 {t} 导入过文档，也没有编号为 {t} 的文档");
                }
                ids.extend(found);
            }
            let n = pipeline::remove(&lib, &ids)?;
            lib.close()?;
            outln!("已删除 {n} 个文档");
            Ok(())
        }
        Command::Access { id, access } => {
            let access = Access::parse_any(access).ok_or_else(|| {
                anyhow!("未知的可见范围：{access}（可用 public/公开、restricted/内部）")
            })?;
            let lib = open(cli)?;
            if !pipeline::set_access(&lib, &DocId(id.clone()), access)? {
                bail!("没有编号为 {id} 的文档");
            }
            lib.close()?;
            outln!("{id}: {}", access.label());
            Ok(())
        }
        Command::Show { id, json } => {
            let lib = open(cli)?;
            show(&lib, id, *json)
        }
        Command::Eval {
            suite: EvalSuite::Metadata { json },
        } => {
            let lib = open(cli)?;
            let a = crate::eval::metadata::audit(&lib)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&a)?);
            } else {
                out!("{}", crate::eval::metadata::report(&a));
            }
            Ok(())
        }
        Command::Eval {
            suite:
                EvalSuite::Stard {
                    file,
                    limit,
                    folds,
                    json,
                },
        } => {
            let lib = open(cli)?;
            let mut questions = crate::eval::read_questions(file)?;
            if let Some(n) = limit {
                questions.truncate(*n);
            }
            let started = std::time::Instant::now();
            if let Some(k) = folds {
                let mut ranked = Vec::with_capacity(questions.len());
                for q in &questions {
                    ranked.push(crate::eval::ranked_names(&lib, &q.query, 300)?);
                }
                let cv = crate::eval::prior::cross_validate(&questions, &ranked, *k);
                if *json {
                    outln!("{}", serde_json::to_string_pretty(&cv)?);
                    return Ok(());
                }
                let line = |m: &crate::eval::Metrics| {
                    format!(
                        "Recall@10 {:.3}  Recall@100 {:.3}  MRR@10 {:.3}  nDCG@10 {:.3}",
                        m.recall_at_10, m.recall_at_100, m.mrr_at_10, m.ndcg_at_10
                    )
                };
                for (i, f) in cv.folds.iter().enumerate() {
                    outln!(
                        "fold {} ({} questions, weight {}): search {} | with the law prior {}",
                        i + 1,
                        f.search.questions,
                        f.weight,
                        line(&f.search),
                        line(&f.with_prior)
                    );
                }
                outln!(
                    "held out, all folds: search            {}",
                    line(&cv.search)
                );
                outln!(
                    "held out, all folds: with the law prior {}",
                    line(&cv.with_prior)
                );
                outln!("({:.1} s)", started.elapsed().as_secs_f64());
                return Ok(());
            }
            let m = crate::eval::evaluate(&lib, &questions)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&m)?);
            } else {
                outln!(
                    "questions {}  Recall@10 {:.3}  Recall@100 {:.3}  MRR@10 {:.3}  nDCG@10 {:.3}  ({:.1} s)",
                    m.questions,
                    m.recall_at_10,
                    m.recall_at_100,
                    m.mrr_at_10,
                    m.ndcg_at_10,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::Bench {
            corpus,
            questions,
            work,
            json,
        } => {
            let r = crate::bench::run(&config(cli), corpus, work, questions.as_deref())?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                outln!(
                    "files {} · documents {} · articles {} · text {:.1} MB",
                    r.files,
                    r.documents,
                    r.articles,
                    r.text_mb
                );
                outln!(
                    "segmentation (jieba search mode, 1 thread)   {:>8.1} MB/s",
                    r.segment_mb_per_s
                );
                outln!(
                    "bare index loop (same schema and analyzers)  {:>8.1} MB/s  ({:.1} s)",
                    r.bare_index_mb_per_s,
                    r.bare_index_seconds
                );
                outln!(
                    "full ingest                                  {:>8.1} MB/s  ({:.1} s, {:.0} docs/s)",
                    r.ingest_mb_per_s,
                    r.ingest_seconds,
                    r.ingest_docs_per_s
                );
                outln!(
                    "full ingest / bare loop                      {:>8.2}",
                    r.ingest_vs_bare
                );
                outln!(
                    "index {:.1} MB · store {:.1} MB · peak memory {:.0} MB",
                    r.index_mb,
                    r.store_mb,
                    r.peak_rss_mb
                );
                if r.queries > 0 {
                    outln!(
                        "query latency over {} questions: p50 {:.1} ms · p95 {:.1} ms · p99 {:.1} ms",
                        r.queries,
                        r.query_p50_ms,
                        r.query_p95_ms,
                        r.query_p99_ms
                    );
                }
            }
            Ok(())
        }
        Command::Links {
            target,
            json,
            all,
            confirm,
            reject,
            undo,
            by,
        } => {
            let lib = open(cli)?;
            links_command(&lib, target, *json, *all, (confirm, reject, undo), by)
        }
        Command::BenchCollab {
            accounts,
            documents,
            comments,
            workpapers,
            work,
            json,
        } => collab::bench(
            work,
            &cli.corpus,
            *accounts,
            *documents,
            (*comments, *workpapers),
            *json,
        ),
        Command::BenchChecks {
            folder,
            repeats,
            work,
            json,
        } => checks::bench_checks(folder, work, &cli.corpus, *repeats, *json),
        Command::BenchFacts { facts, work, json } => {
            budget::bench_facts(*facts, work, &cli.corpus, *json)
        }
        Command::Facts(args) => {
            let lib = open(cli)?;
            budget::facts_command(&lib, args)
        }
        Command::Check { ids, json } => {
            let lib = open(cli)?;
            checks::check_command(&lib, ids, *json)
        }
        Command::Tables { id, json } => {
            let lib = open(cli)?;
            budget::tables_command(&lib, id, *json)
        }
        Command::Proposals { command } => proposals::run(command, cli),
        Command::Comment { command } => collab::comment(&*open(cli)?, command),
        Command::Inbox {
            account,
            read,
            deadlines,
            json,
        } => collab::inbox(&*open(cli)?, account, *read, *deadlines, *json),
        Command::Consult { command } => collab::consult(&*open(cli)?, command),
        Command::Workpaper { command } => workpapers::workpaper(&*open(cli)?, command),
        Command::Saved { command } => workpapers::saved(&*open(cli)?, command),
        Command::Answers => collab::answers(&*open(cli)?),
        Command::Series { command } => series::run(command, cli),
        Command::Feed { command } => {
            let lib = open(cli)?;
            execution::feed(&lib, command)
        }
        Command::Execution(args) => {
            let lib = open(cli)?;
            execution::execution(&lib, args)
        }
        Command::BenchExecution {
            units,
            months,
            work,
            json,
        } => execution::bench(work, &cli.corpus, *units, *months, *json),
        Command::Eval {
            suite: EvalSuite::Execution { units, seed, json },
        } => execution::eval_execution(*units, *seed, *json),
        Command::Gen { what } => proposals::gen_command(what),
        Command::Relink { json } => {
            let lib = open(cli)?;
            let tty = crate::console::stderr_is_terminal();
            let progress = move |done: usize, total: usize| {
                if tty {
                    errout!("\r{done} / {total} 个文档");
                    if done == total {
                        errln!();
                    }
                }
            };
            let r = crate::linking::relink(&lib, &progress)?;
            lib.close()?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                outln!(
                    "文档 {} · 科目关联 {} · 专题关联 {} · 新见科目 {} · {:.1} 秒",
                    r.documents,
                    r.subject_links,
                    r.topic_links,
                    r.observed_subjects,
                    r.seconds
                );
            }
            Ok(())
        }
        Command::Eval {
            suite:
                EvalSuite::Links {
                    file,
                    shared,
                    reuse_index,
                    verbose,
                    json,
                },
        } => eval_links(cli, file, shared, *reuse_index, *verbose, *json),
        Command::Eval {
            suite:
                EvalSuite::Tables {
                    reference,
                    documents,
                    verbose,
                    json,
                },
        } => budget::eval_tables(reference, documents, *verbose, *json),
        Command::Eval {
            suite:
                EvalSuite::Macro {
                    labels,
                    reports,
                    verbose,
                    json,
                },
        } => series::eval_macro(cli, labels, reports, *verbose, *json),
        Command::Status { json } => {
            let lib = open(cli)?;
            let disk = lib.disk_usage()?;
            let status = serde_json::json!({
                "documents": lib.store().count_documents(),
                "articles": lib.store().count_articles(),
                "units": lib.index().num_units(),
                "index_bytes": lib.index().size_bytes(),
                "store_bytes": lib.store().size_bytes(),
                "data_bytes": disk.data_bytes,
                "uploads_bytes": disk.uploads_bytes,
                "audit_entries": disk.audit_entries,
                "free_bytes": disk.free_bytes,
            });
            if *json {
                outln!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                outln!(
                    "文档 {} · 条文 {} · 检索单元 {} · 索引 {:.1} MB · 存储 {:.1} MB",
                    status["documents"],
                    status["articles"],
                    status["units"],
                    lib.index().size_bytes() as f64 / 1e6,
                    lib.store().size_bytes() as f64 / 1e6
                );
                outln!("磁盘：{}", disk.line());
            }
            Ok(())
        }
    }
}

fn print_manifest(dir: &str, m: &crate::backup::Manifest) {
    outln!(
        "已备份到 {dir}：文档 {} · 条文 {} · 建议 {} · 文件 {} · {:.1} MB",
        m.documents,
        m.articles,
        m.proposals,
        m.files.len(),
        m.bytes() as f64 / 1e6
    );
}

/// `yusuan backup`: in this process when the data folder is free, through the server's admin endpoint
/// with `--server`.
fn backup_command(
    cli: &Cli,
    dir: Option<&std::path::Path>,
    server: Option<&str>,
    token: Option<&str>,
    json: bool,
) -> Result<()> {
    if let Some(server) = server {
        let body = match dir {
            Some(d) => serde_json::json!({ "dir": std::path::absolute(d)? }),
            None => serde_json::json!({}),
        };
        let (status, text) = http_post_json(server, "/api/admin/backup", &body.to_string(), token)?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("服务返回 {status}，但内容不是 JSON"))?;
        if !(200..300).contains(&status) {
            let msg = value["error"]["message"].as_str().unwrap_or(&text);
            bail!("服务拒绝了备份（{status}）：{msg}");
        }
        if json {
            outln!("{}", serde_json::to_string_pretty(&value)?);
        } else {
            let m: crate::backup::Manifest = serde_json::from_value(value["manifest"].clone())?;
            print_manifest(value["dir"].as_str().unwrap_or(""), &m);
        }
        return Ok(());
    }
    let chosen;
    let dir = match (dir, &cli.hosted) {
        (Some(d), _) => d,
        // The running server chooses, as on its admin page.
        (None, Some(Hosted(lib))) => {
            chosen = crate::backup::default_dir(&lib.config);
            &chosen
        }
        (None, None) => {
            bail!("请指定备份目录：yusuan backup 目录（或由运行中的服务选择：--server 地址）")
        }
    };
    let opened = match &cli.hosted {
        Some(Hosted(lib)) => Ok(Opened::Server(lib.clone())),
        None => Library::open(config(cli)).map(|l| Opened::Own(Box::new(l))),
    };
    let lib = match opened {
        Ok(lib) => lib,
        Err(crate::error::Error::Locked(_)) => bail!(
            "数据目录 {} 正被运行中的服务使用；请通过服务备份：yusuan backup {} --server http://127.0.0.1:端口 (the data folder is in use: back up through the running server)",
            cli.index.display(),
            dir.display()
        ),
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("无法打开数据目录 {}", cli.index.display()))
            );
        }
    };
    let m = crate::backup::backup(&lib, dir)?;
    lib.close()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print_manifest(&dir.display().to_string(), &m);
    }
    Ok(())
}

/// A POST of a JSON body to the server, with an API token if given; returns the status and the body.
fn http_post_json(
    server: &str,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> Result<(u16, String)> {
    let mut headers = vec![("Content-Type", "application/json".to_string())];
    if let Some(t) = token {
        headers.push(("Authorization", format!("Bearer {}", t.trim())));
    }
    let r = crate::web::client::request(
        server,
        "POST",
        path,
        &headers,
        body.as_bytes(),
        Duration::from_secs(3600),
    )
    .with_context(|| format!("无法连接服务 {server}"))?;
    Ok((r.status, r.text()))
}

/// Opens the data folder named on the command line, or lends the server's when the server runs the command.
pub fn open(cli: &Cli) -> Result<Opened> {
    if let Some(Hosted(lib)) = &cli.hosted {
        return Ok(Opened::Server(lib.clone()));
    }
    Library::open(config(cli))
        .map(|l| Opened::Own(Box::new(l)))
        .with_context(|| format!("无法打开数据目录 {}", cli.index.display()))
}

/// `open` for a search of `query`: in its own process, the data folder is opened for that query only
/// (`Library::open_for_search`), which takes a few tens of milliseconds instead of a few hundred.
fn open_for_search(cli: &Cli, query: &str) -> Result<Opened> {
    if let Some(Hosted(lib)) = &cli.hosted {
        return Ok(Opened::Server(lib.clone()));
    }
    Library::open_for_search(config(cli), &[query])
        .map(|l| Opened::Own(Box::new(l)))
        .with_context(|| format!("无法打开数据目录 {}", cli.index.display()))
}

/// Ingests with a progress line on a terminal.
pub fn ingest_with_progress(lib: &Library, paths: &[PathBuf]) -> Result<pipeline::IngestReport> {
    let tty = crate::console::stderr_is_terminal();
    let progress = move |p: Progress| {
        if tty && (p.done.is_multiple_of(25) || p.done == p.total) {
            let mbps = p.bytes as f64 / 1e6 / p.elapsed.as_secs_f64().max(1e-3);
            errout!("\r{} / {} 个文件  {:.1} MB/s ", p.done, p.total, mbps);
            if p.done == p.total {
                errln!();
            }
        }
    };
    let report = pipeline::ingest(lib, paths, &progress)?;
    if let Err(e) = crate::collab::alerts::after_ingest(lib, &report.doc_ids) {
        errln!("保存的检索未能运行：{e}");
    }
    Ok(report)
}

fn print_report(r: &pipeline::IngestReport) {
    outln!(
        "文件 {} · 新增 {} · 更新 {} · 未变 {} · 相同 {} · 失败 {} · 条文 {} · {:.1} MB · {:.1} 秒",
        r.files,
        r.added,
        r.updated,
        r.unchanged,
        r.duplicates.len(),
        r.failed.len(),
        r.articles,
        r.bytes as f64 / 1e6,
        r.seconds
    );
    for d in &r.duplicates {
        outln!("  与已有文档相同: {} = 《{}》({})", d.path, d.title, d.of);
    }
    for f in &r.failed {
        outln!("  失败: {}: {}", f.path, f.reason);
    }
}

fn print_search(resp: &SearchResponse, color: bool) {
    if resp.mode == "question" {
        // Every article shares some word with a question: the count says nothing, the order does.
        outln!("按相关度列出 {} 条", resp.hits.len());
    } else {
        outln!("共 {} 条结果", resp.total);
    }
    for (i, h) in resp.hits.iter().enumerate() {
        let mut tags = vec![h.kind.label().to_string()];
        // Validity belongs to norms, not to reports, budgets or proposals (as on the web page).
        if h.kind.is_regulation() {
            tags.push(h.validity.label().to_string());
        }
        if let Some(y) = h.year {
            tags.push(y.to_string());
        }
        outln!(
            "{:>3}. {}  [{}]  {:.2}",
            resp.offset + i + 1,
            h.name,
            tags.join(" · "),
            h.score
        );
        let mut line = String::new();
        for s in &h.snippet.spans {
            if s.hit && color {
                line.push_str(&format!("\x1b[1;31m{}\x1b[0m", s.text));
            } else if s.hit {
                line.push_str(&format!("【{}】", s.text));
            } else {
                line.push_str(&s.text);
            }
        }
        outln!("     {line}");
        outln!("     id: {}", h.id);
    }
    for f in &resp.facets {
        if f.values.is_empty() {
            continue;
        }
        let values: Vec<String> = f
            .values
            .iter()
            .take(12)
            .map(|v| format!("{} {}", v.value, v.count))
            .collect();
        outln!("{}: {}", f.field.as_str(), values.join(" · "));
    }
}

fn show(lib: &Library, id: &str, json: bool) -> Result<()> {
    use crate::model::{ArticleId, DocId};
    if let Some(a) = lib.store().get_article(&ArticleId(id.to_string()))? {
        if json {
            outln!("{}", serde_json::to_string_pretty(&a)?);
        } else {
            outln!("{}\n{}\n\n{}", a.name, a.path.join(" / "), a.text);
        }
        return Ok(());
    }
    let Some(d) = lib.store().get_document(&DocId(id.to_string()))? else {
        bail!("没有编号为 {id} 的文档或条文");
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&d)?);
    } else {
        outln!(
            "{}\n类别: {} · 效力: {} · 来源: {}",
            d.title,
            d.kind,
            d.validity,
            d.source
        );
        for s in &d.also_sources {
            outln!("  相同文件: {s}");
        }
        for h in &d.history {
            outln!("  {h}");
        }
        outln!("条文 {} 条\n\n{}", d.articles.len(), d.body);
    }
    Ok(())
}

/// Decisions given on the command line: (confirm, reject, undo).
type DecisionArgs<'a> = (&'a [String], &'a [String], &'a [String]);

fn links_command(
    lib: &Library,
    target: &str,
    json: bool,
    all: bool,
    decisions: DecisionArgs,
    by: &str,
) -> Result<()> {
    use crate::link::{Target, Verdict};
    let ids = pipeline::resolve_targets(lib, target)?;
    if ids.is_empty() {
        bail!("没有编号为 {target} 的文档，也没有从它导入过文档");
    }
    let (confirm, reject, undo) = decisions;
    if !(confirm.is_empty() && reject.is_empty() && undo.is_empty()) {
        if ids.len() != 1 {
            bail!("{target} 对应 {} 个文档；请逐个文档作出决定", ids.len());
        }
        let parse = |s: &String| {
            Target::parse(s, lib.reference())
                .ok_or_else(|| anyhow!("「{s}」既不是科目编码，也不是专题"))
        };
        for s in confirm {
            crate::linking::decide(lib, &ids[0], parse(s)?, Verdict::Confirmed, by)?;
        }
        for s in reject {
            crate::linking::decide(lib, &ids[0], parse(s)?, Verdict::Rejected, by)?;
        }
        for s in undo {
            crate::linking::undecide(lib, &ids[0], &parse(s)?)?;
        }
        lib.close()?;
    }
    let mut all_links = Vec::new();
    for id in &ids {
        if let Some(l) = crate::linking::links_of(lib, id, all, &Scope::All)? {
            all_links.push(l);
        }
    }
    if json {
        if let [one] = all_links.as_slice() {
            outln!("{}", serde_json::to_string_pretty(one)?);
        } else {
            outln!("{}", serde_json::to_string_pretty(&all_links)?);
        }
        return Ok(());
    }
    for l in &all_links {
        print_links(l);
    }
    Ok(())
}

fn print_links(l: &crate::linking::DocLinks) {
    use crate::link::{Evidence, Target, Verdict};
    let evidence = |e: &Evidence| -> String {
        let place = if e.in_title {
            "标题".to_string()
        } else {
            e.offsets
                .first()
                .map(|(s, _)| format!("@{s}"))
                .unwrap_or_default()
        };
        let amount = e.amount.map(|a| format!(" {a}")).unwrap_or_default();
        format!(
            "{}「{}」×{}{}{}",
            e.rule.label(),
            e.text,
            e.count,
            amount,
            if place.is_empty() {
                String::new()
            } else {
                format!(" {place}")
            }
        )
    };
    let mark = |t: Target| match l.decision(&t).map(|d| d.verdict) {
        Some(Verdict::Confirmed) => " [已确认]",
        Some(Verdict::Rejected) => " [已否决]",
        None => "",
    };
    outln!("{}  ({})", l.title, l.doc_id);
    outln!("科目:");
    if l.subjects.is_empty() {
        outln!("  (无)");
    }
    for s in &l.subjects {
        let observed = if s.observed { " [新见]" } else { "" };
        outln!(
            "  {} {}  {:.2}{}{}",
            s.code,
            s.name,
            s.score,
            observed,
            mark(Target::Subject(s.code.clone()))
        );
        for e in s.evidence.iter().take(4) {
            outln!("      {}", evidence(e));
        }
    }
    outln!("专题:");
    if l.topics.is_empty() {
        outln!("  (无)");
    }
    for t in &l.topics {
        outln!(
            "  {} ({})  {:.2}{}",
            t.name,
            t.id,
            t.score,
            mark(Target::Topic(t.id.clone()))
        );
        for e in t.evidence.iter().take(4) {
            outln!("      {}", evidence(e));
        }
    }
}

fn eval_links(
    cli: &Cli,
    file: &std::path::Path,
    shared: &std::path::Path,
    reuse: bool,
    verbose: bool,
    json: bool,
) -> Result<()> {
    let labels = crate::linking::eval::read_labels(file)?;
    let temp;
    let lib = if reuse {
        open(cli)?
    } else {
        temp = std::env::temp_dir().join(format!("yusuan-eval-links-{}", std::process::id()));
        let mut config = config(cli);
        config.data_dir = temp.clone();
        Library::open(config)
            .map(|l| Opened::Own(Box::new(l)))
            .with_context(|| format!("无法打开临时数据目录 {}", temp.display()))?
    };
    let result = crate::linking::eval::evaluate(&lib, &labels, shared);
    lib.close()?;
    drop(lib);
    if !reuse {
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("yusuan-eval-links-{}", std::process::id())),
        );
    }
    let m = result?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&m)?);
        return Ok(());
    }
    outln!("标注文档 {} · 未能读入 {}", m.documents, m.missing.len());
    for (p, why) in &m.missing {
        outln!("  未能读入: {p}: {why}");
    }
    outln!("科目类 recall@3（前三个类中含预期类）:");
    for c in &m.classes {
        outln!(
            "  {} {:<14} {:>2}/{:<2}  {:.2}",
            c.class,
            c.name,
            c.found_in_top3,
            c.expected,
            c.recall_at_3
        );
    }
    outln!(
        "  总体 {:.3}（仅前三条关联: {:.3}）",
        m.recall_at_3,
        m.recall_at_3_strict
    );
    outln!("专题 precision / recall:");
    for t in &m.topics {
        outln!(
            "  {:<10} 预期 {:>2} · 给出 {:>2} · 正确 {:>2}  P {:.2}  R {:.2}",
            t.topic,
            t.expected,
            t.predicted,
            t.correct,
            t.precision,
            t.recall
        );
    }
    outln!("  总体 P {:.3}  R {:.3}", m.topic_precision, m.topic_recall);
    if verbose {
        for o in &m.outcomes {
            outln!(
                "{}\n    类 预期 {:?} 得到 {:?}\n    专题 预期 {:?} 得到 {:?}",
                o.path,
                o.expected_classes,
                o.top_classes,
                o.expected_topics,
                o.topics
            );
        }
    }
    Ok(())
}
