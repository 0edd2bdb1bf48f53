//! Free space where the data folder lies: a server short of it reports so in its health and refuses writes
//! with a clear 503 before a write half fails, and takes writes again once space is freed.

use std::path::Path;

/// Bytes available to this process on the file system holding `path` (the nearest existing ancestor).
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let mut at = path;
    while !at.exists() {
        at = at.parent().unwrap_or(Path::new("/"));
    }
    let c = std::ffi::CString::new(at.as_os_str().as_encoded_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a valid NUL-terminated path and `stat` points to writable memory of the right size.
    if unsafe { libc::statvfs(c.as_ptr(), stat.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: statvfs succeeded and filled the structure.
    let stat = unsafe { stat.assume_init() };
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Whether an error is a full disk (ENOSPC, or EDQUOT for a quota), also when wrapped by sled.
pub fn is_full(e: &std::io::Error) -> bool {
    let full = |e: &std::io::Error| matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT));
    full(e)
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<std::io::Error>())
            .is_some_and(full)
}

/// Bytes of all files under `dir`, folders included (0 when it does not exist).
pub fn folder_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// How a data folder uses its disk: shown by `yusuan status` and on the admin page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiskUsage {
    /// Everything in the data folder: store, search index, uploaded originals.
    pub data_bytes: u64,
    /// The uploaded originals.
    pub uploads_bytes: u64,
    pub audit_entries: usize,
    /// Free space of the data folder's file system, when it can be read.
    pub free_bytes: Option<u64>,
}

impl DiskUsage {
    /// One line in Chinese: 数据目录 · 上传原件 · 审计记录 · 可用空间.
    pub fn line(&self) -> String {
        let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
        format!(
            "数据目录 {} · 上传原件 {} · 审计记录 {} 条 · 可用空间 {}",
            mb(self.data_bytes),
            mb(self.uploads_bytes),
            self.audit_entries,
            self.free_bytes.map_or("未知".to_string(), mb)
        )
    }
}
