//! Command lines on the server's machine while it runs: the server leaves its address and a credential in
//! the data folder (`server.json`, owner-only), and runs the commands it is sent on its open library,
//! streaming their output back line by line (`POST /api/local/run`).

use super::AppState;
use crate::console::{Capture, Piece};
use crate::library::Library;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The header that carries the credential of `server.json`.
pub const TOKEN_HEADER: &str = "x-yusuan-local";

/// What a running server leaves in its data folder for command lines of the same account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerFile {
    /// `http://127.0.0.1:port`: always a loopback address, whatever the server listens on.
    pub url: String,
    pub pid: u32,
    pub token: String,
}

/// A command sent by a command line: its arguments (after the program name), the folder it was started in
/// (relative paths are relative to it), who ran it, its terminals and, for commands that read it, its
/// standard input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalRun {
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub user: String,
    #[serde(default)]
    pub stdout_terminal: bool,
    #[serde(default)]
    pub stderr_terminal: bool,
    #[serde(default)]
    pub stdin: Option<String>,
}

/// One line of the streamed answer (JSON lines): output as it is written, then how the command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Line {
    Out(String),
    Err(String),
    /// The command succeeded.
    Done,
    /// The command failed: the error and its causes, outermost first.
    Failed(Vec<String>),
}

/// Runs a command line on the server's library (given by the command line's module, which the web does
/// not know).
pub type Runner = Arc<dyn Fn(Arc<Library>, &LocalRun) -> anyhow::Result<()> + Send + Sync>;

/// What the server needs to take commands: the credential it wrote and the runner.
#[derive(Clone)]
pub struct LocalHost {
    pub token: String,
    pub runner: Runner,
}

impl std::fmt::Debug for LocalHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalHost")
    }
}

/// A new random credential.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The address a command line on this machine reaches a server listening on `addr` at.
pub fn loopback_url(addr: std::net::SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    format!("http://{ip}:{}", addr.port())
}

/// Writes `server.json` (owner-only, replaced whole).
pub fn write_server_file(path: &Path, file: &ServerFile) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(file)?)?;
    crate::private::owner_only_file(&tmp)?;
    std::fs::rename(&tmp, path)
}

/// Removes `server.json` if it is still this server's (a later server may have replaced it).
pub fn remove_server_file(path: &Path, token: &str) {
    if read_server_file(path).is_some_and(|f| f.token == token) {
        let _ = std::fs::remove_file(path);
    }
}

fn read_server_file(path: &Path) -> Option<ServerFile> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The running server of a data folder, if one left its file and its process is alive (a server killed
/// without stopping leaves a file behind that names a dead process).
pub fn find_server(path: &Path) -> Option<ServerFile> {
    let file = read_server_file(path)?;
    let pid = libc::pid_t::try_from(file.pid).ok()?;
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let alive = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    alive.then_some(file)
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn refused(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": { "code": status.as_u16(), "message": message } })),
    )
        .into_response()
}

/// `POST /api/local/run`: runs a command line's command, with the credential of `server.json` only.
pub async fn run(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let given = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A server started without a runner (in tests, embedded) takes no credential at all.
    let Some(host) = st.local.clone().filter(|h| same_secret(given, &h.token)) else {
        return refused(
            StatusCode::UNAUTHORIZED,
            "本机命令行凭据无效 (the local credential is wrong)",
        );
    };
    let req: LocalRun = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                &format!("命令格式错误：{e} (malformed command)"),
            );
        }
    };
    // Bounded: a command line that reads slowly slows the command down instead of filling the server's memory
    // (an audit export can be hundreds of megabytes).
    let (tx, rx) = tokio::sync::mpsc::channel::<Line>(256);
    let lib = st.lib.clone();
    tokio::task::spawn_blocking(move || {
        let out = tx.clone();
        let capture = Capture {
            send: Box::new(move |p| {
                // A command line that went away stops reading; the command still finishes.
                let _ = out.blocking_send(match p {
                    Piece::Out(t) => Line::Out(t),
                    Piece::Err(t) => Line::Err(t),
                });
            }),
            stdout_terminal: req.stdout_terminal,
            stderr_terminal: req.stderr_terminal,
            stdin: req.stdin.clone(),
        };
        let result = crate::console::capture(capture, || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (host.runner)(lib, &req)))
        });
        // Settings the command changed take effect now.
        st.reload_settings();
        let end = match result {
            Ok(Ok(())) => Line::Done,
            Ok(Err(e)) => Line::Failed(e.chain().map(|c| c.to_string()).collect()),
            Err(_) => Line::Failed(vec![
                "命令在服务中意外中止 (the command panicked in the server)".into(),
            ]),
        };
        let _ = tx.blocking_send(end);
    });
    let lines = futures_util::stream::unfold(rx, |mut rx| async move {
        let line = rx.recv().await?;
        let mut text = serde_json::to_string(&line).unwrap_or_default();
        text.push('\n');
        Some((Ok::<_, std::convert::Infallible>(Bytes::from(text)), rx))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
        Body::from_stream(lines),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_for_a_command_line_is_loopback_when_the_server_listens_everywhere() {
        assert_eq!(
            loopback_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            loopback_url("[::]:9000".parse().unwrap()),
            "http://[::1]:9000"
        );
        assert_eq!(
            loopback_url("127.0.0.1:81".parse().unwrap()),
            "http://127.0.0.1:81"
        );
    }

    #[test]
    fn a_server_file_naming_a_dead_process_is_not_a_running_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.json");
        let mut file = ServerFile {
            url: "http://127.0.0.1:1".into(),
            pid: std::process::id(),
            token: "t".into(),
        };
        write_server_file(&path, &file).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");
        assert!(find_server(&path).is_some());
        // A process that has exited (and been reaped) is not alive.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        file.pid = child.id();
        child.wait().unwrap();
        write_server_file(&path, &file).unwrap();
        assert!(find_server(&path).is_none());
        // Only the server that wrote it removes it.
        remove_server_file(&path, "another");
        assert!(path.exists());
        remove_server_file(&path, "t");
        assert!(!path.exists());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }
}
