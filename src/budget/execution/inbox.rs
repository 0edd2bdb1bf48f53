//! The watched inbox for offices whose finance system exports files instead of pushing: every batch file
//! (`.csv`, `.xlsx`, `.jsonl`) dropped into `<data>/feed-inbox/` and left unchanged for a few seconds is applied
//! as a batch (its id the file's name, its sequence the next of the source 收件箱) and moved to `done/`, or,
//! refused, to `rejected/` beside a `.errors.txt` naming every row in error. Files over the upload limit are
//! refused unread.

use super::parse::Format;
use super::{BatchStatus, Outcome, Submission, submit};
use crate::budget::recognise::MoneyUnit;
use crate::error::{Error, Result};
use crate::library::Library;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The source recorded for batches from the inbox.
pub const SOURCE: &str = "收件箱";
/// A file must be this old (unchanged) before it is read: the exporting system may still be writing it.
const SETTLED: Duration = Duration::from_secs(3);

/// What became of one file.
#[derive(Debug)]
pub struct Handled {
    pub file: PathBuf,
    pub outcome: std::result::Result<Outcome, String>,
}

fn move_to(file: &Path, sub: &str) -> Result<PathBuf> {
    let dir = file
        .parent()
        .ok_or_else(|| Error::Invalid("no parent".into()))?
        .join(sub);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let to = dir.join(file.file_name().unwrap_or_default());
    std::fs::rename(file, &to).map_err(|e| Error::io(&to, e))?;
    Ok(to)
}

/// Applies every settled batch file in the inbox, oldest first.
pub fn scan(lib: &Library) -> Result<Vec<Handled>> {
    let dir = lib.config.feed_inbox_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let now = SystemTime::now();
    let mut files: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let path = e.path();
            let modified = meta.modified().ok()?;
            (meta.is_file()
                && Format::parse(&path.to_string_lossy()).is_some()
                && now.duration_since(modified).unwrap_or_default() >= SETTLED)
                .then_some((modified, path))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for (_, file) in files {
        let outcome = apply(lib, &file);
        let sub = match &outcome {
            Ok(Outcome::Applied(_) | Outcome::Duplicate(_)) => "done",
            _ => "rejected",
        };
        let moved = move_to(&file, sub)?;
        let errors = match &outcome {
            Ok(Outcome::Rejected(r)) => Some(
                r.errors
                    .iter()
                    .map(|e| format!("第 {} 行 {}：{}", e.line, e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("\n")
                    + &format!("\n共 {} 处错误\n", r.error_count),
            ),
            Err(e) => Some(format!("{e}\n")),
            _ => None,
        };
        if let Some(text) = errors {
            let mut name = moved.as_os_str().to_owned();
            name.push(".errors.txt");
            std::fs::write(&name, text).map_err(|e| Error::io(PathBuf::from(&name), e))?;
        }
        out.push(Handled {
            file: moved,
            outcome,
        });
    }
    Ok(out)
}

fn apply(lib: &Library, file: &Path) -> std::result::Result<Outcome, String> {
    let format = Format::parse(&file.to_string_lossy()).ok_or("未知格式")?;
    let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len();
    if size > lib.config.max_upload_bytes as u64 {
        return Err(format!(
            "文件 {} MB 超过上限 {} MB，请分批导出",
            size >> 20,
            lib.config.max_upload_bytes >> 20
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let id: String = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let seq = lib
        .store()
        .execution_batches()
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|b| b.source == SOURCE && b.status == BatchStatus::Applied)
        .map(|b| b.seq)
        .max()
        .unwrap_or(0)
        + 1;
    submit(
        lib,
        Submission {
            id,
            seq,
            source: SOURCE.into(),
            by: SOURCE.into(),
            format,
            unit: MoneyUnit::Wanyuan,
            bytes: &bytes,
        },
    )
    .map_err(|e| e.to_string())
}
