//! The library's error types: one enum for the library, one for per-file extraction failures.

use std::path::PathBuf;

/// Why one input file could not be turned into text. Reported per file; never fatal to an ingest run.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The file's extension or content is not a supported format.
    #[error("不支持的文件类型：{0}")]
    Unsupported(String),
    /// The file holds no bytes or no text at all.
    #[error("文件是空的")]
    Empty,
    /// The file is larger than the configured limit.
    #[error("文件有 {size} 字节，超过上限 {limit} 字节")]
    TooLarge { size: u64, limit: u64 },
    /// The bytes could not be decoded as text in any supported encoding.
    #[error("无法识别文字编码：{0}")]
    Encoding(String),
    /// A PDF without a text layer (a scanned image): it needs OCR.
    #[error("PDF 没有文字层（扫描件，需要先做文字识别）")]
    PdfNoText,
    /// The PDF parser failed or panicked on this file.
    #[error("PDF 无法读取：{0}")]
    PdfBroken(String),
    /// The PDF parser did not finish within the time limit.
    #[error("PDF 未能在 {0} 秒内读完")]
    PdfTimeout(u64),
    /// Reading the file would pass a limit of cells, unpacked bytes, nesting depth or time (a "bomb").
    #[error("文件超出读取限制：{0}")]
    OverLimit(String),
    /// A container format (DOCX, XLSX) or markup is damaged.
    #[error("文件已损坏：{0}")]
    Corrupt(String),
    /// Reading the file failed.
    #[error("文件无法读取：{0}")]
    Io(#[from] std::io::Error),
}

/// The library's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The sled store failed.
    #[error("数据存储出错：{0}")]
    Store(#[from] sled::Error),
    /// The tantivy index failed.
    #[error("检索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    /// The data folder is in use by another process.
    #[error(
        "数据目录 {0} 正被另一个 yusuan 进程（通常是运行中的 `yusuan serve`）使用：请先停止它，或通过它的网页和 HTTP API 操作 (the data folder is in use by another yusuan process)"
    )]
    Locked(PathBuf),
    /// The store cannot be read (its checksums fail): nothing in it can be trusted.
    #[error(
        "数据存储 {0} 已损坏，无法读取：请停止使用这个数据目录，用 `yusuan restore` 从备份恢复 (the store is damaged)"
    )]
    StoreDamaged(PathBuf),
    /// The store lacks documents the search index holds: it was damaged (a region lost) or replaced. Nothing
    /// was changed, so that the index still names what is missing.
    #[error(
        "数据存储缺少检索索引中已有的 {missing} 篇文档（如文档 {example}）：存储可能已损坏或被替换。为免丢失数据，未做任何修改；请用 `yusuan restore` 从备份恢复 (the store lost documents the index holds)"
    )]
    StoreLost { missing: usize, example: String },
    /// A stored record could not be decoded (a format from another version, or damage).
    #[error("存储的记录 {key} 无法读取（可能来自其他版本或已损坏）：{reason}")]
    Corrupt { key: String, reason: String },
    /// The user's query could not be understood.
    #[error("查询无效：{0}")]
    Query(String),
    /// Some user input (a parameter, a reference-data line, a sidecar) is invalid.
    #[error("输入无效：{0}")]
    Invalid(String),
    /// The account may not do this (edit another's comment, read another's consultation list).
    #[error("没有权限：{0}")]
    Denied(String),
    /// The account has done this too often in a short time.
    #[error("操作过于频繁：{0}")]
    TooOften(String),
    /// The requested record does not exist.
    #[error("找不到：{0}")]
    NotFound(String),
    /// A file could not be extracted.
    #[error("{path}: {source}")]
    Extract {
        path: String,
        #[source]
        source: ExtractError,
    },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
