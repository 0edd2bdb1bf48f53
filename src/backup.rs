//! Backups of a data folder and their restore: a consistent snapshot taken while the library serves and
//! ingests, a manifest with a checksum per file, and a restore that verifies everything before it replaces
//! anything.
//!
//! A backup holds the write gate exclusively (`Library::quiet`) while it closes the index writer (waiting for
//! merges), dumps the store (`Store::dump_to`) and copies the files of the last index commit; store and index
//! are then at the same commit boundary. Uploaded originals are copied afterwards: an upload is kept before
//! its task is recorded, so every task in the dump finds its file. `manifest.json` is written last; a folder
//! without it is not a backup.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::library::Library;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The manifest format this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's file name inside a backup folder.
pub const MANIFEST: &str = "manifest.json";
const STORE_DUMP: &str = "store.dump";
const INDEX_DIR: &str = "tantivy";
const UPLOADS_DIR: &str = "uploads";

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    /// Relative to the backup folder, with `/` separators.
    pub path: String,
    pub bytes: u64,
    /// BLAKE3 of the content, hex.
    pub blake3: String,
}

/// What a backup holds, written as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// RFC 3339.
    pub created: String,
    pub documents: usize,
    pub articles: usize,
    pub proposals: usize,
    /// Searchable units (documents and articles) in the index.
    pub units: u64,
    pub store_records: u64,
    pub files: Vec<BackupFile>,
    /// The uploads folder the backup was taken from (absolute, with a trailing `/`): uploads are known by their
    /// path, which a restore into another folder rewrites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploads_dir: Option<String>,
}

impl Manifest {
    /// Total bytes of the backup's files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreReport {
    pub manifest: Manifest,
    /// The data folder now holding the restored data.
    pub data_dir: PathBuf,
    /// Where the data folder that was there before was moved (nothing is deleted).
    pub previous: Option<PathBuf>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hasher.finalize().to_hex().to_string()))
}

fn copy_synced(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::copy(from, to).map_err(io(from))?;
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(io(to))
}

/// A new empty folder for a backup: refused if it exists with content, or lies inside the store or index.
fn prepare_target(lib: &Library, dir: &Path) -> Result<PathBuf> {
    crate::private::owner_only_dir(dir).map_err(io(dir))?;
    let dir = std::fs::canonicalize(dir).map_err(io(dir))?;
    if std::fs::read_dir(&dir).map_err(io(&dir))?.next().is_some() {
        return Err(Error::Invalid(format!(
            "备份目录 {} 不是空目录 (the backup folder must be new or empty)",
            dir.display()
        )));
    }
    for inner in [
        lib.config.store_dir(),
        lib.config.index_dir(),
        lib.config.uploads_dir(),
    ] {
        if let Ok(inner) = std::fs::canonicalize(&inner)
            && dir.starts_with(&inner)
        {
            return Err(Error::Invalid(format!(
                "备份目录不能位于 {} 之内 (the backup folder is inside the data it backs up)",
                inner.display()
            )));
        }
    }
    Ok(dir)
}

/// A folder's path as source keys start with it: canonical as far as it exists (the rest as given), with a
/// trailing `/`.
fn folder_prefix(dir: &Path) -> Option<String> {
    let absolute = std::path::absolute(dir).ok()?;
    let mut existing = absolute.as_path();
    while !existing.exists() {
        existing = existing.parent()?;
    }
    let rest = absolute.strip_prefix(existing).ok()?;
    let base = std::fs::canonicalize(existing).ok()?.join(rest);
    Some(format!(
        "{}/",
        base.display().to_string().trim_end_matches('/')
    ))
}

/// Where the server puts a backup when no folder is named: `backups/<time>` under the data folder.
pub fn default_dir(config: &Config) -> PathBuf {
    config
        .data_dir
        .join("backups")
        .join(chrono::Local::now().format("%Y%m%d-%H%M%S%.3f").to_string())
}

/// Backs up the opened library into `dir` (new or empty), consistently even while other threads write.
pub fn backup(lib: &Library, dir: &Path) -> Result<Manifest> {
    let dir = prepare_target(lib, dir)?;
    let (documents, articles, proposals, units, dump) = {
        let _quiet = lib.quiet();
        // No writer runs now; closing the index writer waits for merges, so the committed files stay put.
        lib.index().close_writer()?;
        lib.store().flush()?;
        let dump = lib.store().dump_to(&dir.join(STORE_DUMP))?;
        let index_dir = lib.index().dir().to_path_buf();
        for f in lib.index().committed_files()? {
            copy_synced(&index_dir.join(&f), &dir.join(INDEX_DIR).join(&f))?;
        }
        (
            lib.store().count_documents(),
            lib.store().count_articles(),
            lib.store().count_proposals(),
            lib.index().num_units(),
            dump,
        )
    };
    let uploads = lib.config.uploads_dir();
    if uploads.is_dir() {
        for entry in std::fs::read_dir(&uploads).map_err(io(&uploads))? {
            let entry = entry.map_err(io(&uploads))?;
            let name = entry.file_name();
            // `.name.part` files are uploads still being written.
            if entry.path().is_file() && !name.to_string_lossy().starts_with('.') {
                copy_synced(&entry.path(), &dir.join(UPLOADS_DIR).join(&name))?;
            }
        }
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Invalid(format!("{}: {e}", dir.display())))?;
        // Copies keep the modes of their originals: every folder and file is closed to others here.
        if entry.file_type().is_dir() {
            crate::private::owner_only_dir(entry.path()).map_err(io(entry.path()))?;
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        crate::private::owner_only_file(entry.path()).map_err(io(entry.path()))?;
        let rel = entry
            .path()
            .strip_prefix(&dir)
            .map_err(|e| Error::Invalid(e.to_string()))?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect::<Vec<_>>()
            .join("/");
        let (bytes, blake3) = hash_file(entry.path())?;
        files.push(BackupFile {
            path: rel,
            bytes,
            blake3,
        });
    }
    let manifest = Manifest {
        format: FORMAT_VERSION,
        created: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        documents,
        articles,
        proposals,
        units,
        store_records: dump.records,
        files,
        uploads_dir: folder_prefix(&lib.config.uploads_dir()),
    };
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::Invalid(format!("cannot write the manifest: {e}")))?;
    let tmp = dir.join(".manifest.json.part");
    std::fs::write(&tmp, json).map_err(io(&tmp))?;
    crate::private::owner_only_file(&tmp).map_err(io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, dir.join(MANIFEST)).map_err(io(&dir))?;
    tracing::info!(dir = %dir.display(), documents, proposals, "backup written");
    Ok(manifest)
}

/// Reads a backup's manifest and checks every file it lists (size and checksum). Nothing is changed.
pub fn verify(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        Error::Invalid(format!(
            "{} 不是完整的备份：缺少 manifest.json (not a complete backup: {e})",
            dir.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
        Error::Invalid(format!(
            "备份清单 {} 已损坏 (the backup manifest is damaged: {e})",
            path.display()
        ))
    })?;
    if manifest.format != FORMAT_VERSION {
        return Err(Error::Invalid(format!(
            "备份格式版本 {} 不受支持，本程序读取版本 {FORMAT_VERSION} (unsupported backup format)",
            manifest.format
        )));
    }
    for f in &manifest.files {
        if f.path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(Error::Invalid(format!(
                "备份清单中的路径无效：{} (bad path in the manifest)",
                f.path
            )));
        }
        let p = dir.join(&f.path);
        let (bytes, blake3) = hash_file(&p).map_err(|_| {
            Error::Invalid(format!(
                "备份已损坏：缺少文件 {} (the backup is damaged: a file is missing)",
                f.path
            ))
        })?;
        if bytes != f.bytes || blake3 != f.blake3 {
            return Err(Error::Invalid(format!(
                "备份已损坏：文件 {} 的校验和不符，未做任何恢复 (the backup is damaged: checksum mismatch; nothing was restored)",
                f.path
            )));
        }
    }
    if !manifest.files.iter().any(|f| f.path == STORE_DUMP) {
        return Err(Error::Invalid(
            "备份不完整：缺少存储导出 (the backup has no store dump)".into(),
        ));
    }
    Ok(manifest)
}

/// A sibling path of `dir` with a suffix that does not exist yet.
fn sibling(dir: &Path, what: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "index".into());
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let parent = dir.parent().unwrap_or(Path::new("."));
    let mut n = 0;
    loop {
        let candidate = parent.join(if n == 0 {
            format!("{name}.{what}-{stamp}")
        } else {
            format!("{name}.{what}-{stamp}-{n}")
        });
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

/// Restores the backup in `backup_dir` into `config.data_dir`: verifies every file, builds the data folder
/// beside the target, opens it to check the counts, then moves any existing data folder aside (it is kept)
/// and puts the restored one in its place. Refused while another process uses the data folder.
pub fn restore(backup_dir: &Path, config: &Config) -> Result<RestoreReport> {
    let manifest = verify(backup_dir)?;
    let target = std::path::absolute(&config.data_dir).map_err(io(&config.data_dir))?;
    // Holding the store of the current data folder keeps other processes out until the swap.
    let current = if config.store_dir().exists() {
        Some(crate::store::Store::open(&config.store_dir())?)
    } else {
        None
    };
    let staging = sibling(&target, "restoring");
    let built = (|| -> Result<()> {
        let mut cfg = config.clone();
        cfg.data_dir = staging.clone();
        let (store, _) =
            crate::store::Store::load_dump(&cfg.store_dir(), &backup_dir.join(STORE_DUMP))?;
        // Uploads restored into another folder are known by their new path.
        if let (Some(old), Some(new)) = (
            manifest.uploads_dir.as_deref(),
            folder_prefix(&target.join(UPLOADS_DIR)),
        ) && old != new
        {
            store.move_sources(old, &new)?;
            store.flush()?;
        }
        drop(store);
        for f in &manifest.files {
            let rel = Path::new(&f.path);
            let to = if let Ok(inner) = rel.strip_prefix(INDEX_DIR) {
                cfg.index_dir().join(inner)
            } else if let Ok(inner) = rel.strip_prefix(UPLOADS_DIR) {
                cfg.uploads_dir().join(inner)
            } else {
                continue;
            };
            copy_synced(&backup_dir.join(rel), &to)?;
        }
        std::fs::create_dir_all(cfg.index_dir()).map_err(io(&cfg.index_dir()))?;
        let lib = Library::open(cfg)?;
        let found = (
            lib.store().count_documents(),
            lib.store().count_articles(),
            lib.store().count_proposals(),
            lib.index().num_units(),
        );
        lib.close()?;
        let expected = (
            manifest.documents,
            manifest.articles,
            manifest.proposals,
            manifest.units,
        );
        if found != expected {
            return Err(Error::Invalid(format!(
                "恢复后的数据与备份清单不符：文档/条文/建议/检索单元 {found:?}，清单为 {expected:?} (restored counts differ from the manifest)"
            )));
        }
        Ok(())
    })();
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    drop(current);
    let previous = if target.exists() {
        let aside = sibling(&target, "before-restore");
        std::fs::rename(&target, &aside).map_err(io(&target))?;
        Some(aside)
    } else {
        None
    };
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::rename(&staging, &target).map_err(io(&staging))?;
    tracing::info!(data = %target.display(), previous = ?previous, "backup restored");
    Ok(RestoreReport {
        manifest,
        data_dir: target,
        previous,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_without_a_valid_manifest_are_not_backups() {
        let dir = tempfile::tempdir().unwrap();
        let e = verify(dir.path()).unwrap_err();
        assert!(e.to_string().contains("缺少 manifest.json"), "{e}");
        std::fs::write(dir.path().join(MANIFEST), "{").unwrap();
        let e = verify(dir.path()).unwrap_err();
        assert!(e.to_string().contains("manifest is damaged"), "{e}");
        let manifest = Manifest {
            format: FORMAT_VERSION + 1,
            created: String::new(),
            documents: 0,
            articles: 0,
            proposals: 0,
            units: 0,
            store_records: 0,
            files: Vec::new(),
            uploads_dir: None,
        };
        std::fs::write(
            dir.path().join(MANIFEST),
            serde_json::to_vec(&manifest).unwrap(),
        )
        .unwrap();
        let e = verify(dir.path()).unwrap_err();
        assert!(e.to_string().contains("unsupported backup format"), "{e}");
        let escaping = Manifest {
            format: FORMAT_VERSION,
            files: vec![BackupFile {
                path: "../outside".into(),
                bytes: 0,
                blake3: String::new(),
            }],
            ..manifest
        };
        std::fs::write(
            dir.path().join(MANIFEST),
            serde_json::to_vec(&escaping).unwrap(),
        )
        .unwrap();
        let e = verify(dir.path()).unwrap_err();
        assert!(e.to_string().contains("bad path"), "{e}");
    }
}
