//! Secrets at rest: the data folder and backups are for their owner alone, a backup carries no session and
//! no cookie key, a restored instance signs with a new key, and `backup --server` takes its token from a
//! file.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use yusuan::auth::accounts;

/// Every file and folder under `root` (and `root` itself) whose mode lets anyone but the owner in.
fn open_to_others(root: &Path) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.metadata().unwrap().permissions().mode() & 0o077 != 0)
        .map(|e| {
            format!(
                "{} {:o}",
                e.path().display(),
                e.metadata().unwrap().permissions().mode()
            )
        })
        .collect()
}

#[test]
fn the_command_line_writes_the_data_folder_and_backups_for_their_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let data = dir.path().join("data");
    let out = run_yusuan(&data, &["ingest", corpus.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(open_to_others(&data), Vec::<String>::new());
    let backup = dir.path().join("backup");
    let out = run_yusuan(&data, &["backup", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(open_to_others(&backup), Vec::<String>::new());
}

#[test]
fn a_data_folder_made_open_is_closed_again_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let data = dir.path().join("index");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let state = started(dir.path());
    let mode = std::fs::metadata(&data).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    drop(state);
}

#[test]
fn backups_hold_no_session_and_no_cookie_key_and_a_restore_signs_with_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let state = started(dir.path());
    let store = state.lib.store();
    let key = accounts::cookie_key(store).unwrap();
    let admin = store.get_user("admin").unwrap().unwrap();
    let session = accounts::open_session(store, &admin).unwrap();
    state
        .tasks
        .submit_uploads(
            vec![yusuan::web::tasks::Upload {
                name: "上传的预算说明.md".into(),
                bytes: "# 上传的预算说明\n\n星河湾水利工程预算说明。\n"
                    .as_bytes()
                    .to_vec()
                    .into(),
            }],
            None,
        )
        .unwrap();
    wait_idle(&state);
    let backup = dir.path().join("backup");
    yusuan::backup::backup(&state.lib, &backup).unwrap();
    // Files copied from the data folder keep no mode of their originals.
    assert_eq!(open_to_others(&backup), Vec::<String>::new());
    let dump = std::fs::read(backup.join("store.dump")).unwrap();
    let contains = |needle: &[u8]| dump.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(session.id.as_bytes()), "a session in the dump");
    assert!(!contains(&key), "the cookie key in the dump");
    assert!(contains(b"admin"), "accounts stay in the dump");

    let mut restored = config(dir.path());
    restored.data_dir = dir.path().join("restored");
    yusuan::backup::restore(&backup, &restored).unwrap();
    let state2 = yusuan::web::start(restored).unwrap();
    let store2 = state2.lib.store();
    assert!(store2.get_user("admin").unwrap().is_some());
    assert_eq!(accounts::session(store2, &session.id).unwrap(), None);
    assert_ne!(accounts::cookie_key(store2).unwrap(), key);
    // The upload restored into the other folder is known by its new path, and downloads from there.
    let uploads = std::fs::canonicalize(state2.lib.config.uploads_dir()).unwrap();
    let upload = store2
        .doc_ids()
        .unwrap()
        .into_iter()
        .filter_map(|id| store2.get_meta(&id).unwrap())
        .find(|d| d.title == "上传的预算说明")
        .expect("the upload was restored");
    assert!(
        Path::new(&upload.source).starts_with(&uploads),
        "{} is not under {}",
        upload.source,
        uploads.display()
    );
    assert!(Path::new(&upload.source).is_file());
}

#[test]
fn backup_over_http_takes_its_token_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let state = started(dir.path());
    let token = admin_token(&state);
    let server = Server::start(state);
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let target = dir.path().join("b");
    let out = run_yusuan(
        &dir.path().join("unused"),
        &[
            "backup",
            target.to_str().unwrap(),
            "--server",
            &server.base,
            "--token-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(target.join("manifest.json").is_file());
}
