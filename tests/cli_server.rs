//! The command line while `yusuan serve` runs on the same data folder: real server process, real command
//! lines, real HTTP. Commands go through the server, with the same output as without it.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const EXE: &str = env!("CARGO_BIN_EXE_yusuan");

fn yusuan(data: &Path, cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(EXE);
    cmd.arg("--index")
        .arg(data)
        .arg("--corpus")
        .arg(data.parent().unwrap().join("corpus"))
        .args(args)
        .current_dir(cwd)
        .env("USER", "zhangsan")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn wait_for_documents(base: &str, token: &str, at_least: u64) {
    for _ in 0..600 {
        let v: serde_json::Value = http()
            .get(format!("{base}/api/health"))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if v["status"] == "ok" && v["documents"].as_u64().unwrap_or(0) >= at_least {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the first-start ingest did not finish");
}

#[test]
fn every_command_works_while_the_server_runs_through_the_server_with_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let data = dir.path().join("index");
    let work = dir.path().join("office");
    write(
        &work,
        "新文件/示范绩效条例(2023-05-01).md",
        "# 示范绩效条例\n\n第一条 预算绩效目标应当与预算同步编制。\n\n第二条 绩效评价结果应当作为安排预算的重要依据。\n",
    );
    let server = serve_process(&data, &corpus);

    // The server leaves its address and a credential for its own account only.
    let file = data.join("server.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "server.json is owner-only: {mode:o}");

    // A write: a folder ingested from the command line, named relative to the command line's folder.
    let out = yusuan(&data, &work, &["ingest", "新文件"], None);
    let text = ok(&out);
    assert!(text.contains("新增 1"), "{text}");
    // Accounts and tokens: the password read from the command line's standard input.
    ok(&yusuan(
        &data,
        &work,
        &["user", "add", "zhou", "--role", "staff", "--password-stdin"],
        Some("周的密码足够长一二三四\n"),
    ));
    let token_out = ok(&yusuan(&data, &work, &["user", "token", "zhou"], None));
    let token = token_out.lines().nth(1).unwrap().trim().to_string();
    let me: serde_json::Value = http()
        .get(format!("{}/api/me", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(me["user"], "zhou", "{me}");
    wait_for_documents(&server.base, &token, 5);
    // The server itself sees what the command line ingested.
    let found: serde_json::Value = http()
        .get(format!(
            "{}/api/search?q=绩效评价结果&unit=article",
            server.base
        ))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        found["hits"][0]["title"]
            .as_str()
            .unwrap_or("")
            .contains("示范绩效条例"),
        "{found}"
    );

    // Settings changed on the command line take effect in the running server at once.
    let anonymous = || {
        http()
            .get(format!("{}/api/search?q=预算", server.base))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(anonymous(), reqwest::StatusCode::UNAUTHORIZED);
    ok(&yusuan(
        &data,
        &work,
        &["settings", "--anonymous", "on"],
        None,
    ));
    assert_eq!(anonymous(), reqwest::StatusCode::OK);

    // Reads answer too; failures carry the same message and exit status as without a server.
    let show_id = found["hits"][0]["id"].as_str().unwrap().to_string();
    let through_server = ok(&yusuan(&data, &work, &["show", &show_id, "--json"], None));
    let search_through_server = ok(&yusuan(
        &data,
        &work,
        &["search", "绩效", "目标", "--unit", "article"],
        None,
    ));
    let missing = yusuan(&data, &work, &["show", "没有这个编号"], None);
    assert!(!missing.status.success());
    let missing_err = String::from_utf8_lossy(&missing.stderr).to_string();
    // A backup through the server, into a folder named relative to the command line; restoring it needs the
    // folder to itself and is refused while the server runs, with a word on what to do.
    let backup = ok(&yusuan(&data, &work, &["backup", "备份1"], None));
    assert!(backup.contains("已备份到"), "{backup}");
    assert!(work.join("备份1/manifest.json").exists());
    let restore = yusuan(&data, &work, &["restore", "备份1"], None);
    assert!(!restore.status.success());
    let why = String::from_utf8_lossy(&restore.stderr);
    assert!(why.contains("请先停止服务"), "{why}");

    // The credential is required: none, or a wrong one, is refused.
    for header in [None, Some("0".repeat(64))] {
        let mut req = http()
            .post(format!("{}/api/local/run", server.base))
            .header("content-type", "application/json")
            .body(r#"{"args": ["status"], "cwd": "/", "user": "x"}"#);
        if let Some(h) = header {
            req = req.header("x-yusuan-local", h);
        }
        assert_eq!(req.send().unwrap().status(), 401);
    }

    // The command-line changes are in the audit log under the account that ran them.
    let audit = ok(&yusuan(&data, &work, &["audit", "--format", "jsonl"], None));
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_cli = |needle: &str| {
        lines.iter().any(|e| {
            e["user"] == "(命令行 zhangsan)" && e["target"].as_str().unwrap().contains(needle)
        })
    };
    assert!(by_cli("ingest 新文件"), "{audit}");
    assert!(by_cli("user add zhou"), "{audit}");
    assert!(by_cli("settings --anonymous on"), "{audit}");
    assert!(!audit.contains("周的密码"), "no password in the log");

    // Stopped the way an operator stops it (Ctrl-C), the server removes its file; the same commands then
    // run in this process and print the same.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGINT);
    }
    let mut server = server;
    server.child.wait().unwrap();
    assert!(!file.exists(), "a stopped server leaves no server.json");
    let local = ok(&yusuan(&data, &work, &["show", &show_id, "--json"], None));
    assert_eq!(through_server, local);
    let search_local = ok(&yusuan(
        &data,
        &work,
        &["search", "绩效", "目标", "--unit", "article"],
        None,
    ));
    assert_eq!(search_through_server, search_local);
    let missing_local = yusuan(&data, &work, &["show", "没有这个编号"], None);
    assert_eq!(
        missing_err,
        String::from_utf8_lossy(&missing_local.stderr).to_string()
    );
}

#[test]
fn a_server_killed_without_stopping_leaves_a_file_that_the_command_line_sees_through() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let data = dir.path().join("index");
    let server = serve_process(&data, &corpus);
    let file: PathBuf = data.join("server.json");
    assert!(file.exists());
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(file.exists(), "kill -9 leaves the file behind");
    let out = yusuan(&data, dir.path(), &["status"], None);
    let text = ok(&out);
    assert!(text.contains("文档"), "{text}");
}
