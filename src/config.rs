//! Configuration: paths, limits and extraction options, built once at the edge and passed down.

use crate::ingest::extract::{ExtractOptions, PdfIsolation};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything the library needs to know about where things are and how far to go.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data folder (`index/` by default): store, search index and uploaded originals.
    pub data_dir: PathBuf,
    /// The input folder (`corpus/` by default): documents plus reference data under `reference/`.
    pub corpus_dir: PathBuf,
    pub extract: ExtractOptions,
    /// Documents per store/index commit during ingest.
    pub batch_docs: usize,
    /// Longest accepted query, in characters.
    pub max_query_chars: usize,
    /// Largest page of results.
    pub max_limit: usize,
    /// Deepest result offset (offset + limit).
    pub max_window: usize,
    /// The password of the administrator created on first start (`YUSUAN_ADMIN_PASSWORD`); without it a
    /// one-time password is generated and printed.
    pub admin_password: Option<String>,
    /// Largest upload request body, in bytes (the web edge answers 413 above it).
    pub max_upload_bytes: usize,
    /// Largest request body of every route but uploads, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Upload tasks queued or running at once; the web edge answers 429 to further uploads.
    pub max_queued_tasks: usize,
    /// The address readers use (`https://…` behind a TLS proxy): cookies are then marked `Secure`.
    pub public_url: Option<String>,
    /// A TLS proxy in front of the server sets `X-Forwarded-Proto`: a request it marks `https` gets `Secure`
    /// cookies. Off by default, since a client could send the header itself.
    pub trust_forwarded_proto: bool,
    /// Free space the data folder's file system must keep: below it the server reports `disk_full` and
    /// refuses writes (503).
    pub min_free_bytes: u64,
    /// How long a client may take to send a request's head (request line and headers) before the server
    /// closes the connection; also how long an idle kept-alive connection stays open.
    pub header_read_timeout: Duration,
}

impl Config {
    /// Defaults for a data folder and a corpus folder.
    pub fn new(data_dir: impl Into<PathBuf>, corpus_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            corpus_dir: corpus_dir.into(),
            extract: ExtractOptions::default(),
            batch_docs: 400,
            max_query_chars: 500,
            max_limit: 200,
            max_window: 10_000,
            admin_password: None,
            max_upload_bytes: 64 << 20,
            max_body_bytes: 1 << 20,
            max_queued_tasks: 8,
            public_url: None,
            trust_forwarded_proto: false,
            min_free_bytes: 64 << 20,
            header_read_timeout: Duration::from_secs(10),
        }
    }

    /// Extract PDFs in child processes of `exe` (the yusuan binary), killed after `timeout` of wall-clock time
    /// and stopped by the kernel after as much CPU time.
    pub fn with_pdf_worker(mut self, exe: &Path, timeout: Duration) -> Config {
        self.extract.pdf = PdfIsolation::Process(exe.to_path_buf());
        self.extract.pdf_timeout = timeout;
        self.extract.worker.cpu = timeout;
        self
    }

    /// Whether readers reach the server over HTTPS (its public address says so).
    pub fn served_over_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }

    /// Whether the data folder's file system has less free space than `min_free_bytes`, and how much it has.
    pub fn disk_short(&self) -> Option<u64> {
        crate::disk::free_bytes(&self.data_dir)
            .ok()
            .filter(|free| *free < self.min_free_bytes)
    }

    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("tantivy")
    }

    /// The folder a finance system exporting files drops execution batches into (`feed-inbox/`).
    pub fn feed_inbox_dir(&self) -> PathBuf {
        self.data_dir.join("feed-inbox")
    }

    /// Where a running server leaves its address and the credential for command lines of its owner
    /// (`server.json`, owner-only, removed when the server stops).
    pub fn server_file(&self) -> PathBuf {
        self.data_dir.join("server.json")
    }

    /// Where uploaded originals are kept.
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// The fictional demonstration documents and proposals inside the corpus (the 示例 collection).
    pub fn samples_dir(&self) -> PathBuf {
        self.corpus_dir.join("samples")
    }

    /// The reference data folder inside the corpus (not ingested as documents).
    pub fn reference_dir(&self) -> PathBuf {
        self.corpus_dir.join("reference")
    }

    /// The jieba user dictionary.
    pub fn user_dict(&self) -> PathBuf {
        self.reference_dir().join("userdict.txt")
    }
}
