//! Uploaded bundles of documents: a ZIP archive, or the files of a folder chosen in the browser, become a
//! list of relative paths and their bytes — read within limits of entries and bytes, names decoded (UTF-8,
//! or GBK as Windows writes them), unsafe paths (absolute, `..`) refused, system clutter skipped.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Limits of one bundle.
#[derive(Debug, Clone, Copy)]
pub struct BundleLimits {
    /// Files at most.
    pub max_files: usize,
    /// Bytes of all files together, once unpacked.
    pub max_bytes: u64,
    /// Bytes of one file, once unpacked.
    pub max_file_bytes: u64,
}

impl Default for BundleLimits {
    fn default() -> Self {
        BundleLimits {
            max_files: 10_000,
            max_bytes: 1 << 30,
            max_file_bytes: 64 << 20,
        }
    }
}

/// Why a bundle was refused (whole: nothing of it is kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("不是可读的 ZIP 压缩包：{0} (not a readable ZIP archive)")]
    NotZip(String),
    #[error("压缩包中的路径不安全：{0} (unsafe path in the archive)")]
    UnsafePath(String),
    #[error("文件过多：超过 {0} 个 (too many files)")]
    TooManyFiles(usize),
    #[error("解压后超过 {0} MiB (too large once unpacked)")]
    TooLarge(u64),
    #[error("{0} 解压后超过 {1} MiB (a file too large once unpacked)")]
    FileTooLarge(String, u64),
    #[error("两个文件的路径相同：{0} (two files with the same path)")]
    Duplicate(String),
    #[error("压缩包中没有文件 (the archive holds no file)")]
    Empty,
}

/// A file of a bundle: its path inside the bundle (relative, normal components only) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Whether a name is a ZIP archive by its extension.
pub fn is_zip_name(name: &str) -> bool {
    name.to_lowercase().ends_with(".zip")
}

/// Files that archivers and desktops add and nobody means to upload.
fn is_clutter(path: &Path) -> bool {
    path.components().any(|c| {
        let s = c.as_os_str().to_string_lossy();
        s == "__MACOSX" || s == ".DS_Store" || s == "Thumbs.db" || s == "desktop.ini"
    })
}

/// A relative path made of normal components, or `None` for an absolute path, `..`, a drive or nothing.
pub fn safe_relative(name: &str) -> Option<PathBuf> {
    let name = name.replace('\\', "/");
    let mut out = PathBuf::new();
    for c in Path::new(&name).components() {
        match c {
            Component::Normal(s) => {
                let s = s.to_string_lossy();
                // A Windows drive (C:) or a name with control characters is not a path we write.
                if s.contains(':') || s.chars().any(char::is_control) || s.len() > 255 {
                    return None;
                }
                out.push(&*s);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The name of a ZIP entry: UTF-8 when it is valid UTF-8 (or so flagged), GBK otherwise, as the archivers of
/// Chinese Windows write it.
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
    }
}

/// Reads every file of a ZIP archive within `limits`. Folders, clutter and empty names are skipped.
pub fn unzip(bytes: &[u8], limits: &BundleLimits) -> Result<Vec<BundleFile>, BundleError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| BundleError::NotZip(e.to_string()))?;
    if archive.len() > limits.max_files.saturating_mul(2) {
        // Directory entries count too, but not without bound.
        return Err(BundleError::TooManyFiles(limits.max_files));
    }
    let mut files: Vec<BundleFile> = Vec::new();
    let mut total = 0u64;
    let mib = |b: u64| b >> 20;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| BundleError::NotZip(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry_name(entry.name_raw());
        let path = safe_relative(&name).ok_or_else(|| BundleError::UnsafePath(name.clone()))?;
        if is_clutter(&path) {
            continue;
        }
        if files.len() >= limits.max_files {
            return Err(BundleError::TooManyFiles(limits.max_files));
        }
        // The declared size may lie: read at most one byte past each limit and judge what was read.
        let room = limits
            .max_file_bytes
            .min(limits.max_bytes.saturating_sub(total));
        let mut data = Vec::new();
        (&mut entry)
            .take(room + 1)
            .read_to_end(&mut data)
            .map_err(|e| BundleError::NotZip(format!("{name}: {e}")))?;
        let n = data.len() as u64;
        if n > limits.max_file_bytes {
            return Err(BundleError::FileTooLarge(name, mib(limits.max_file_bytes)));
        }
        total += n;
        if total > limits.max_bytes {
            return Err(BundleError::TooLarge(mib(limits.max_bytes)));
        }
        files.push(BundleFile { path, bytes: data });
    }
    check_unique(&files)?;
    if files.is_empty() {
        return Err(BundleError::Empty);
    }
    Ok(files)
}

/// The files of a folder chosen in the browser (each named by its path inside the folder), checked as a
/// bundle.
pub fn folder(
    files: Vec<(String, Vec<u8>)>,
    limits: &BundleLimits,
) -> Result<Vec<BundleFile>, BundleError> {
    if files.len() > limits.max_files {
        return Err(BundleError::TooManyFiles(limits.max_files));
    }
    let mut out = Vec::new();
    let mut total = 0u64;
    for (name, bytes) in files {
        let path = safe_relative(&name).ok_or(BundleError::UnsafePath(name))?;
        total += bytes.len() as u64;
        if total > limits.max_bytes {
            return Err(BundleError::TooLarge(limits.max_bytes >> 20));
        }
        if !is_clutter(&path) {
            out.push(BundleFile { path, bytes });
        }
    }
    check_unique(&out)?;
    Ok(out)
}

fn check_unique(files: &[BundleFile]) -> Result<(), BundleError> {
    let mut seen = std::collections::BTreeSet::new();
    for f in files {
        if !seen.insert(&f.path) {
            return Err(BundleError::Duplicate(f.path.display().to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, bytes) in entries {
                w.start_file(std::str::from_utf8(name).unwrap(), opts)
                    .unwrap();
                w.write_all(bytes).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn a_zip_keeps_its_folders_and_skips_clutter() {
        let bytes = zip_of(&[
            ("法规/预算法.md".as_bytes(), "# 预算法".as_bytes()),
            ("法规/预算法.md.meta.json".as_bytes(), b"{}"),
            (b"__MACOSX/._x", b"junk"),
            (b"manifest.jsonl", b""),
        ]);
        let files = unzip(&bytes, &BundleLimits::default()).unwrap();
        let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "法规/预算法.md",
                "法规/预算法.md.meta.json",
                "manifest.jsonl"
            ]
        );
        assert_eq!(files[0].bytes, "# 预算法".as_bytes());
    }

    #[test]
    fn gbk_names_written_by_windows_are_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("决算/2024年部门决算.pdf");
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(entry_name(&gbk), "决算/2024年部门决算.pdf");
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "a/../../b",
            "C:/x.md",
            "",
            "a/\u{7}b",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
        assert_eq!(safe_relative("a\\b.md"), Some(PathBuf::from("a/b.md")));
        assert_eq!(safe_relative("./a/b.md"), Some(PathBuf::from("a/b.md")));
        let bytes = zip_of(&[(b"../escape.md", b"x")]);
        assert!(matches!(
            unzip(&bytes, &BundleLimits::default()),
            Err(BundleError::UnsafePath(_))
        ));
    }

    #[test]
    fn a_zip_bomb_is_refused_by_what_it_unpacks_to() {
        let big = vec![b'0'; 3 << 20];
        let bytes = zip_of(&[(b"a.txt", &big), (b"b.txt", &big)]);
        assert!(bytes.len() < 100_000, "compresses well: {}", bytes.len());
        let limits = BundleLimits {
            max_files: 10,
            max_bytes: 5 << 20,
            max_file_bytes: 4 << 20,
        };
        assert_eq!(unzip(&bytes, &limits), Err(BundleError::TooLarge(5)));
        let limits = BundleLimits {
            max_file_bytes: 1 << 20,
            ..limits
        };
        assert!(matches!(
            unzip(&bytes, &limits),
            Err(BundleError::FileTooLarge(..))
        ));
        let limits = BundleLimits {
            max_files: 1,
            max_bytes: 1 << 30,
            max_file_bytes: 1 << 30,
        };
        assert_eq!(unzip(&bytes, &limits), Err(BundleError::TooManyFiles(1)));
        assert!(matches!(
            unzip(b"not a zip", &BundleLimits::default()),
            Err(BundleError::NotZip(_))
        ));
    }

    #[test]
    fn a_browser_folder_is_checked_like_an_archive() {
        let files = folder(
            vec![
                ("材料/a.md".into(), b"a".to_vec()),
                ("材料/.DS_Store".into(), b"x".to_vec()),
            ],
            &BundleLimits::default(),
        )
        .unwrap();
        assert_eq!(files.len(), 1);
        assert!(matches!(
            folder(
                vec![("材料/a.md".into(), vec![]), ("材料/a.md".into(), vec![])],
                &BundleLimits::default()
            ),
            Err(BundleError::Duplicate(_))
        ));
    }
}
