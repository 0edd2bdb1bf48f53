//! Owner-only files: the data folder and backups hold the cookie key, password hashes and restricted
//! documents, so the process creates its files for its owner alone and keeps those folders closed to others.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Makes every file and folder this process creates from now on readable by its owner only (umask 077). Call
/// once at start-up, before any thread exists.
pub fn restrict_process() {
    // SAFETY: `umask` only sets the process's file mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and its parents) if needed and makes it accessible to its owner only (0700), which closes
/// everything inside it to other users whatever their own modes.
pub fn owner_only_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Makes `file` readable and writable by its owner only (0600).
pub fn owner_only_file(file: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
}
