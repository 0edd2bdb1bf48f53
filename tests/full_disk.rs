//! Full disks: a data folder that ran out of space opens again by itself once there is room, and every command
//! ends with a clear error while there is none. The real full-disk cases run on a small tmpfs mounted here
//! (skipped with a message where mounting is not allowed).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_unfinished_store_snapshot_left_by_a_full_disk_does_not_stop_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let data = dir.path().join("data");
    let out = run_yusuan(&data, &["ingest", corpus.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    // What a snapshot cut short by ENOSPC leaves behind.
    std::fs::write(
        data.join("store").join("snap.00000000FFFFFFFF.generating"),
        b"",
    )
    .unwrap();
    let out = run_yusuan(&data, &["status"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("文档 4"), "{}", text(&out));
    // The status says how the disk is used.
    assert!(text(&out).contains("可用空间"), "{}", text(&out));
    assert!(!data.join("store/snap.00000000FFFFFFFF.generating").exists());
}

/// A tmpfs of `mib` MiB mounted on a new folder under `dir`, unmounted when dropped; `None` where this process
/// may not mount.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, mib: u64) -> Option<Tmpfs> {
        let at = dir.join("small-disk");
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: mounting a tmpfs is not allowed here");
            return None;
        }
        Some(Tmpfs(at))
    }

    fn resize(&self, mib: u64) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={mib}m")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Text files of about `mib` MiB in all, in a new folder.
fn bulk(dir: &Path, mib: usize) -> PathBuf {
    let folder = dir.join("bulk");
    std::fs::create_dir_all(&folder).unwrap();
    let line = "一般公共预算支出按功能分类编列到项，逐项说明增减原因，预算草案初步审查意见。\n";
    for i in 0..mib {
        let body = format!("第{i}号预算说明\n\n{}", line.repeat((1 << 20) / line.len()));
        std::fs::write(folder.join(format!("说明{i}.txt")), body).unwrap();
    }
    folder
}

#[test]
fn a_full_disk_fails_the_ingest_clearly_and_the_folder_opens_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(dir.path(), 24) else {
        return;
    };
    let files = bulk(dir.path(), 60);
    let data = disk.0.join("data");
    // The ingest fails and ends (closing a store whose writes failed used to wait forever).
    let ingest = spawn_quiet(&data, &["ingest", files.to_str().unwrap()]);
    let status = wait_with_timeout(ingest, Duration::from_secs(300))
        .expect("the ingest did not end on a full disk");
    assert!(status.code().is_some_and(|c| c != 0), "{status}");
    // While the disk is full every command ends, with an error.
    for _ in 0..2 {
        let status = wait_with_timeout(spawn_quiet(&data, &["status"]), Duration::from_secs(120))
            .expect("status did not end on a full disk");
        assert!(status.code().is_some(), "{status}");
    }
    disk.resize(400);
    let out = run_yusuan(&data, &["status"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run_yusuan(&data, &["search", "预算草案", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// Starts a yusuan command with its output discarded.
fn spawn_quiet(data: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(data)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for a child, killing it after `limit`; its exit status if it ended by itself.
fn wait_with_timeout(
    mut child: std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server whose data folder is on a 100 MiB tmpfs (keeping `min_free` bytes free), with an administrator's
/// client; `None` where mounting is not allowed.
fn serve_on_tmpfs(dir: &Path, min_free: u64) -> Option<(Tmpfs, Server, reqwest::blocking::Client)> {
    let disk = Tmpfs::mount(dir, 100)?;
    corpus(dir);
    let mut config = config(dir);
    config.data_dir = disk.0.join("data");
    config.min_free_bytes = min_free;
    let state = yusuan::web::start(config).unwrap();
    wait_idle(&state);
    let token = admin_token(&state);
    let server = Server::start(state);
    Some((disk, server, client_with(&token)))
}

#[test]
fn a_server_short_of_disk_says_so_refuses_writes_with_503_and_takes_them_once_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let Some((disk, server, http)) = serve_on_tmpfs(dir.path(), 32 << 20) else {
        return;
    };
    let health = || http.get(server.url("/api/health")).send().unwrap();
    let upload = |name: &str, text: &str| {
        http.post(server.url("/api/ingest"))
            .header("content-type", "multipart/form-data; boundary=full-disk")
            .body(multipart("full-disk", &[("file", name, text.as_bytes())]))
            .send()
            .unwrap()
    };
    assert_eq!(health().status(), reqwest::StatusCode::OK);

    // Fill the disk until less than the required free space is left.
    let free = yusuan::disk::free_bytes(&disk.0).unwrap();
    let filler = disk.0.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..(free.saturating_sub(8 << 20) >> 20) {
            std::io::Write::write_all(&mut f, &chunk).unwrap();
        }
    }
    let r = health();
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["status"], "disk_full", "{v}");
    let r = upload("满盘.txt", "磁盘已满时上传的预算说明。");
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["error"]["code"], "unavailable", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("磁盘空间不足"),
        "{v}"
    );
    // Reading goes on.
    let r = http
        .get(server.url(&format!("/api/search?q={}", enc("预算草案"))))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);

    // Space returns: the server is healthy and takes the upload.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(health().status(), reqwest::StatusCode::OK);
    let r = upload("空间恢复.txt", "空间恢复后上传的星河湾预算说明。");
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    wait_idle(&server.state);
    let found: serde_json::Value = http
        .get(server.url(&format!("/api/search?q={}", enc("星河湾"))))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(found["total"], 1, "{found}");
}

/// Fills `dir`'s disk to the last byte; returns the filler to remove when space is to return.
fn fill_completely(dir: &Path) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    for size in [1 << 20, 1 << 12, 1] {
        let chunk = vec![0u8; size];
        while f.write_all(&chunk).is_ok() {}
    }
    let _ = f.sync_all();
    filler
}

#[test]
fn a_task_whose_outcome_the_full_disk_refused_is_shown_finished_not_running_forever() {
    let dir = tempfile::tempdir().unwrap();
    // No margin: writes go ahead until the disk itself refuses them.
    let Some((disk, server, http)) = serve_on_tmpfs(dir.path(), 0) else {
        return;
    };
    // An upload that takes a while to ingest: an archive of 3,000 short documents.
    let zip = {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            for i in 0..3000 {
                w.start_file(format!("材料/第{i}号说明.txt"), opts).unwrap();
                w.write_all(
                    format!(
                        "第{i}号预算执行情况说明\n\n项目{i}的资金已经拨付，绩效目标基本完成。\n"
                    )
                    .as_bytes(),
                )
                .unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    };
    let r = http
        .post(server.url("/api/ingest"))
        .header("content-type", "multipart/form-data; boundary=full-disk")
        .body(multipart("full-disk", &[("file", "材料.zip", &zip)]))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let id = r.json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = || -> String {
        http.get(server.url(&format!("/api/tasks/{id}")))
            .send()
            .unwrap()
            .json::<serde_json::Value>()
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let start = std::time::Instant::now();
    while status() == "queued" {
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(5));
    }
    // The disk fills up while the task runs: the ingest fails, and so does writing its outcome.
    let filler = fill_completely(&disk.0);
    let start = std::time::Instant::now();
    let finished = loop {
        let s = status();
        if s != "running" {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the task still shows running"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(finished == "failed" || finished == "done", "{finished}");
    // The store keeps the failed write: health says so, and writes are refused with a clear 503.
    let health = http.get(server.url("/api/health")).send().unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = health.json().unwrap();
    assert_eq!(v["status"], "store_failed", "{v}");
    let r = http
        .post(server.url("/api/ingest"))
        .header("content-type", "multipart/form-data; boundary=full-disk")
        .body(multipart(
            "full-disk",
            &[("file", "再传.txt", "再上传一份预算说明。".as_bytes())],
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().unwrap().contains("暂不能写入"));
    // Space returns. The outcome stays shown; it is written as soon as the store takes writes again (the
    // store keeps refusing them after a write failed, until it is opened again, and the next open records a
    // task it finds running as failed).
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(status(), finished);
}

#[test]
fn a_server_whose_store_failed_a_write_opens_it_anew_once_the_disk_has_room_on_the_same_address() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(dir.path(), 100) else {
        return;
    };
    let corpus = corpus(dir.path());
    let data = disk.0.join("data");
    // No margin: writes go ahead until the disk itself refuses them.
    let mut server = serve_process_with(&data, &corpus, &["--min-free-mib", "0"]);
    let url = |path: &str| format!("{}{path}", server.base);
    let token = yusuan_ok(&data, &corpus, &["user", "token", "admin"]);
    let http = client_with(token.lines().nth(1).unwrap().trim());
    let health = || -> Option<(reqwest::StatusCode, serde_json::Value)> {
        let r = http.get(url("/api/health")).send().ok()?;
        Some((r.status(), r.json().ok()?))
    };
    let start = std::time::Instant::now();
    while !health().is_some_and(|(s, v)| s.is_success() && v["documents"] == 4) {
        assert!(start.elapsed() < Duration::from_secs(60), "{:?}", health());
        std::thread::sleep(Duration::from_millis(100));
    }
    let upload = |name: &str, text: &str| {
        http.post(url("/api/ingest"))
            .header("content-type", "multipart/form-data; boundary=full-disk")
            .body(multipart("full-disk", &[("file", name, text.as_bytes())]))
            .send()
            .unwrap()
    };

    // The disk fills up: writes go on until the store fails one (every write is recorded in the audit log,
    // flushed, before it is made).
    let filler = fill_completely(&disk.0);
    for i in 0..500 {
        upload(&format!("满盘{i}.txt"), "磁盘已满时上传的预算说明。");
        if health().is_some_and(|(_, v)| v["status"] == "store_failed") {
            break;
        }
    }
    let (status, v) = health().unwrap();
    assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["status"], "store_failed", "{v}");
    let r = upload("再传.txt", "再上传一份预算说明。");
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().unwrap().contains("暂不能写入"));

    // Space returns: the same process, on the same address, opens its store anew and takes writes again.
    std::fs::remove_file(&filler).unwrap();
    let start = std::time::Instant::now();
    while !health().is_some_and(|(s, v)| s.is_success() && v["status"] == "ok") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the server did not recover: {:?}",
            health()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server process ended"
    );
    let r = http
        .post(url("/api/ingest"))
        .header("content-type", "multipart/form-data; boundary=full-disk")
        .body(multipart(
            "full-disk",
            &[(
                "file",
                "空间恢复.txt",
                "空间恢复后上传的星河湾预算说明。".as_bytes(),
            )],
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let start = std::time::Instant::now();
    loop {
        let found: serde_json::Value = http
            .get(url(&format!("/api/search?q={}", enc("星河湾"))))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if found["total"] == 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{found}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The upload refused while the store could not write left nothing behind: no file, no document.
    let found: serde_json::Value = http
        .get(url(&format!("/api/search?q={}", enc("再上传一份"))))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(found["total"], 0, "{found}");
    let mut names = Vec::new();
    let mut stack = vec![data.join("uploads")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                names.push(e.file_name().to_string_lossy().to_string());
            }
        }
    }
    assert!(!names.iter().any(|n| n.contains("再传")), "{names:?}");
    // The upload after the recovery has its audit line, begun before it was made and completed after.
    let log: Vec<serde_json::Value> = http
        .get(url("/api/admin/audit?limit=10000"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let line = log
        .iter()
        .find(|e| e["detail"].as_str().unwrap().contains("空间恢复.txt"))
        .unwrap_or_else(|| panic!("{log:?}"));
    assert_eq!(line["target"], "/api/ingest", "{line}");
    assert_eq!(line["status"], 202, "{line}");
    assert!(!line["detail"].as_str().unwrap().contains("结果未记录"));
    // The command line finds the restarted server (its file written anew) and runs through it.
    let status = yusuan_ok(&data, &corpus, &["status"]);
    assert!(status.contains("文档"), "{status}");
    assert!(server.child.try_wait().unwrap().is_none());
}
