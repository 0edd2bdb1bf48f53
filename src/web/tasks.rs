//! Ingest tasks of the server: uploads kept under the data folder and the first-start corpus ingest, run one
//! at a time on a worker thread and recorded in the store (queued → running → done/failed, per-file results).
//! A task found `running` when the server starts again was interrupted and is marked failed; a `queued` one
//! is queued again.

use super::error::{AppError, AppResult};
use crate::ingest::archive::{self, BundleFile, BundleLimits};
use crate::library::Library;
use crate::model::{Access, DocId};
use crate::pipeline::{self, Input, Progress};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl TaskStatus {
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Queued => "排队中",
            TaskStatus::Running => "进行中",
            TaskStatus::Done => "已完成",
            TaskStatus::Failed => "失败",
        }
    }
    pub fn finished(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Failed)
    }
}

/// What a task ingests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    /// Files uploaded through the browser or the API.
    Upload,
    /// The corpus folder, on first start.
    Corpus,
}

/// The outcome of one file of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Not ingested yet.
    Pending,
    /// Ingested (new or changed) and searchable.
    Indexed,
    /// The same bytes were already ingested.
    Unchanged,
    /// A copy of a stored document under another name: recorded as another source of it (its `doc_id`).
    Duplicate,
    /// A proposal table: imported as proposals (the counts in `reason`), not a document.
    Proposals,
    /// The file could not be ingested; see `reason`.
    Failed,
}

impl FileStatus {
    pub fn label(self) -> &'static str {
        match self {
            FileStatus::Pending => "等待",
            FileStatus::Indexed => "已入库",
            FileStatus::Unchanged => "内容未变",
            FileStatus::Duplicate => "与已有文档相同",
            FileStatus::Proposals => "已导入代表建议",
            FileStatus::Failed => "失败",
        }
    }
}

/// One file of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskFile {
    /// The name the file was uploaded under (for the corpus: its path inside the corpus folder).
    pub name: String,
    /// The kept copy's file name inside the uploads folder (uploads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    pub size: u64,
    pub status: FileStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_id: Option<DocId>,
}

/// Counts of a finished task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    pub files: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub articles: usize,
    pub seconds: f64,
    /// Files recorded as another source of a stored document with the same bytes.
    #[serde(default)]
    pub duplicates: usize,
}

/// A task record, as stored and as `GET /api/tasks/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub kind: TaskKind,
    pub status: TaskStatus,
    /// RFC 3339 times.
    pub created: String,
    pub started: Option<String>,
    pub finished: Option<String>,
    /// Files processed so far and in all.
    pub done: usize,
    pub total: usize,
    /// Per-file results (for the corpus: only the files that failed).
    pub files: Vec<TaskFile>,
    pub summary: Option<TaskSummary>,
    /// Why the whole task failed.
    pub error: Option<String>,
    /// Who may read the uploaded documents, as chosen at upload (a sidecar decides otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// The document this upload replaces: removed once the new file is in, kept if it cannot be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Replacement>,
}

/// A document replaced by an upload, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replacement {
    pub doc_id: DocId,
    pub title: String,
    /// Whether it was removed (the new file is in); `None` until the task has run.
    #[serde(default)]
    pub removed: Option<bool>,
}

/// The task being run now and how far it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub task_id: String,
    pub kind: TaskKind,
    pub done: usize,
    pub total: usize,
}

/// A file received in an upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: axum::body::Bytes,
}

/// The task queue: records in the store, one worker thread that runs them in order.
#[derive(Debug)]
pub struct Tasks {
    lib: Arc<Library>,
    queue: Mutex<mpsc::Sender<String>>,
    running: Arc<Mutex<Option<Running>>>,
    /// Tasks queued or running.
    pending: Arc<AtomicU64>,
    counter: AtomicU64,
    unrecorded: Unrecorded,
}

/// Outcomes of tasks the store could not record (a full disk): readers see them from here, and each is
/// written as soon as the store takes it (a restart before that marks the task failed, as it does every task
/// it finds running).
#[derive(Debug, Clone, Default)]
struct Unrecorded(Arc<Mutex<std::collections::BTreeMap<String, Task>>>);

impl Unrecorded {
    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Task>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes what the store takes now and keeps the rest.
    fn retry(&self, store: &crate::store::Store) {
        self.map().retain(|id, task| {
            store
                .put_task(id, task)
                .and_then(|_| store.flush())
                .is_err()
        });
    }
}

fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Bytes of the name part of a stored upload: with the hash prefix and the `.part` of its temporary copy it
/// stays under the 255 bytes a file name may have (a CJK character takes 3).
const STORED_NAME_BYTES: usize = 200;

/// The name under which an upload is kept: a hash prefix and the name, shortened to `STORED_NAME_BYTES` with
/// its extension kept.
fn stored_name(hash: &str, name: &str) -> String {
    let (stem, ext) = split_extension(name);
    let room = STORED_NAME_BYTES.saturating_sub(ext.len());
    let stem = &stem[..stem.floor_char_boundary(room)];
    format!("{}-{stem}{ext}", &hash[..12])
}

/// A name's stem and its extension with the dot (`""` when it has none or one longer than 15 characters).
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 16 => name.split_at(dot),
        _ => (name, ""),
    }
}

/// A file name safe to keep: its last path component, without control characters, at most 120 characters
/// with its extension kept.
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.');
    let (stem, ext) = split_extension(cleaned);
    let stem: String = stem.chars().take(120 - ext.chars().count()).collect();
    let short = format!("{}{ext}", stem.trim_end());
    if short.is_empty() || short == ext {
        "upload".to_string() + ext
    } else {
        short
    }
}

impl Tasks {
    /// Recovers the records of an earlier run and starts the worker thread.
    pub fn start(lib: Arc<Library>) -> crate::error::Result<Arc<Tasks>> {
        let (tx, rx) = mpsc::channel::<String>();
        let tasks = Arc::new(Tasks {
            lib: lib.clone(),
            queue: Mutex::new(tx),
            running: Arc::new(Mutex::new(None)),
            pending: Arc::new(AtomicU64::new(0)),
            counter: AtomicU64::new(0),
            unrecorded: Unrecorded::default(),
        });
        let mut requeue = Vec::new();
        for mut t in lib.store().tasks::<Task>()? {
            match t.status {
                TaskStatus::Running => {
                    t.status = TaskStatus::Failed;
                    t.finished = Some(now());
                    t.error = Some("服务重启，任务被中断 (interrupted by a restart)".into());
                    lib.store().put_task(&t.id, &t)?;
                    tracing::warn!(task = %t.id, "task was interrupted by a restart");
                }
                TaskStatus::Queued => requeue.push(t.id),
                _ => {}
            }
        }
        lib.store().flush()?;
        let worker = WorkerCtx {
            lib,
            running: tasks.running.clone(),
            pending: tasks.pending.clone(),
            unrecorded: tasks.unrecorded.clone(),
        };
        std::thread::Builder::new()
            .name("yusuan-ingest".into())
            .spawn(move || {
                for id in rx {
                    worker.run(&id);
                    worker.pending.fetch_sub(1, Ordering::SeqCst);
                }
            })
            .map_err(|e| crate::error::Error::io("ingest worker thread", e))?;
        for id in requeue {
            tracing::info!(task = %id, "queued task resumed");
            tasks.enqueue(id);
        }
        Ok(tasks)
    }

    fn enqueue(&self, id: String) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        self.send(id);
    }

    /// Sends a task whose slot in `pending` is already counted.
    fn send(&self, id: String) {
        let sent = self
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(id);
        if sent.is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
            tracing::error!("the ingest worker has stopped");
        }
    }

    fn new_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        format!("{}-{n:04}", chrono::Local::now().format("%Y%m%d%H%M%S%3f"))
    }

    fn new_task(&self, kind: TaskKind, files: Vec<TaskFile>) -> Task {
        Task {
            id: self.new_id(),
            kind,
            status: TaskStatus::Queued,
            created: now(),
            started: None,
            finished: None,
            done: 0,
            total: files.len(),
            files,
            summary: None,
            error: None,
            access: None,
            replaces: None,
        }
    }

    /// Queues the ingest of the corpus folder (first start).
    pub fn submit_corpus(&self) -> crate::error::Result<Task> {
        let task = self.new_task(TaskKind::Corpus, Vec::new());
        self.lib.store().put_task(&task.id, &task)?;
        self.lib.store().flush()?;
        self.enqueue(task.id.clone());
        Ok(task)
    }

    /// Keeps uploaded files under the uploads folder and queues their ingest. Blocking. Refused with
    /// `AppError::Busy` when `Config::max_queued_tasks` tasks are queued or running.
    pub fn submit_uploads(&self, uploads: Vec<Upload>, access: Option<Access>) -> AppResult<Task> {
        self.submit(uploads, access, None)
    }

    /// Queues the upload of one file that replaces a document, with the document's access.
    pub fn submit_replacement(
        &self,
        upload: Upload,
        old: &crate::model::Document,
    ) -> AppResult<Task> {
        if archive::is_zip_name(&upload.name) || upload.name.contains(['/', '\\']) {
            return Err(AppError::BadRequest(
                "替换只能用一个文件，不能用压缩包或文件夹 (replace with one file)".into(),
            ));
        }
        let replaces = Replacement {
            doc_id: old.id.clone(),
            title: old.title.clone(),
            removed: None,
        };
        self.submit(vec![upload], Some(old.access), Some(replaces))
    }

    fn submit(
        &self,
        uploads: Vec<Upload>,
        access: Option<Access>,
        replaces: Option<Replacement>,
    ) -> AppResult<Task> {
        if uploads.is_empty() {
            return Err(AppError::BadRequest(
                "没有收到文件，请选择要上传的文件 (no file in the upload)".into(),
            ));
        }
        let cap = self.lib.config.max_queued_tasks as u64;
        // Reserve a slot first, so that concurrent uploads cannot overshoot the cap.
        if self
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < cap).then_some(n + 1)
            })
            .is_err()
        {
            return Err(AppError::Busy(format!(
                "导入任务已满，请稍后再试（最多 {cap} 个任务排队或进行）(too many ingest tasks queued)"
            )));
        }
        match self.keep_uploads(uploads, access, replaces) {
            Ok(task) => {
                self.send(task.id.clone());
                Ok(task)
            }
            Err(e) => {
                self.pending.fetch_sub(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    /// Writes the uploads and their task record (flushed). When any of it fails, the files this request wrote
    /// are removed again: no upload is left without its task.
    fn keep_uploads(
        &self,
        uploads: Vec<Upload>,
        access: Option<Access>,
        replaces: Option<Replacement>,
    ) -> AppResult<Task> {
        let mut written = Vec::new();
        let kept = self.write_uploads(uploads, access, replaces, &mut written);
        if kept.is_err() {
            for path in written {
                // Best effort: a file that cannot be removed is one the next upload of it reuses.
                if path.is_dir() {
                    let _ = std::fs::remove_dir_all(path);
                } else {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        kept
    }

    /// The body of `keep_uploads`; every file and folder it creates is added to `written`. A ZIP archive, and
    /// the files of a folder chosen in the browser (named by their paths inside it), are kept as a folder
    /// with their structure, so that their `manifest.jsonl` and `.meta.json` sidecars apply; an archive that
    /// cannot be read within the limits fails alone, with its reason.
    fn write_uploads(
        &self,
        uploads: Vec<Upload>,
        access: Option<Access>,
        replaces: Option<Replacement>,
        written: &mut Vec<PathBuf>,
    ) -> AppResult<Task> {
        let dir = self.lib.config.uploads_dir();
        std::fs::create_dir_all(&dir).map_err(AppError::internal)?;
        let limits = BundleLimits {
            max_file_bytes: self.lib.config.extract.max_file_bytes,
            ..BundleLimits::default()
        };
        let mut files = Vec::new();
        let mut folder_files = Vec::new();
        for u in uploads {
            if archive::is_zip_name(&u.name) {
                let name = safe_name(&u.name);
                match archive::unzip(&u.bytes, &limits) {
                    Ok(bundle) => {
                        let (stem, _) = split_extension(&name);
                        let label = stem.to_string();
                        files.extend(self.write_bundle(&dir, &name, &label, bundle, written)?);
                    }
                    Err(e) => files.push(TaskFile {
                        name,
                        stored: None,
                        size: u.bytes.len() as u64,
                        status: FileStatus::Failed,
                        reason: Some(e.to_string()),
                        doc_id: None,
                    }),
                }
            } else if archive::safe_relative(&u.name).is_some_and(|p| p.components().count() > 1) {
                // A file of a folder chosen in the browser, named by its path inside the folder. A name that
                // climbs out (`../x`) or is absolute (an old browser's `C:\\…`) is reduced to its file name.
                folder_files.push((u.name, u.bytes.to_vec()));
            } else {
                files.push(self.write_file(&dir, u, written)?);
            }
        }
        if !folder_files.is_empty() {
            let bundle = archive::folder(folder_files, &limits)
                .map_err(|e| AppError::BadRequest(e.to_string()))?;
            // The folder chosen is the first component every path shares; it names the kept folder.
            let top = bundle
                .first()
                .and_then(|f| f.path.components().next())
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .unwrap_or_default();
            let shared = bundle.iter().all(|f| {
                f.path.components().count() > 1
                    && f.path
                        .components()
                        .next()
                        .map(|c| c.as_os_str().to_string_lossy())
                        == Some(top.as_str().into())
            });
            let (label, bundle) = if shared {
                let inner = bundle
                    .into_iter()
                    .map(|f| BundleFile {
                        path: f.path.components().skip(1).collect(),
                        bytes: f.bytes,
                    })
                    .collect();
                (top.clone(), inner)
            } else {
                ("文件夹".to_string(), bundle)
            };
            files.extend(self.write_bundle(&dir, &label, &label, bundle, written)?);
        }
        if files.is_empty() {
            return Err(AppError::BadRequest(
                "没有收到可入库的文件 (no file in the upload)".into(),
            ));
        }
        let mut task = self.new_task(TaskKind::Upload, files);
        task.access = access;
        task.replaces = replaces;
        self.lib.store().put_task(&task.id, &task)?;
        self.lib.store().flush()?;
        tracing::info!(task = %task.id, files = task.total, "upload queued");
        Ok(task)
    }

    /// Keeps one uploaded file under its content-addressed name.
    fn write_file(&self, dir: &Path, u: Upload, written: &mut Vec<PathBuf>) -> AppResult<TaskFile> {
        let name = safe_name(&u.name);
        let hash = blake3::hash(&u.bytes).to_hex();
        let stored = stored_name(&hash, &name);
        let path = dir.join(&stored);
        if !path.exists() {
            let tmp = dir.join(format!(".{stored}.part"));
            written.push(tmp.clone());
            std::fs::write(&tmp, &u.bytes).map_err(AppError::internal)?;
            std::fs::rename(&tmp, &path).map_err(AppError::internal)?;
            written.push(path);
        }
        Ok(TaskFile {
            name,
            stored: Some(stored),
            size: u.bytes.len() as u64,
            status: FileStatus::Pending,
            reason: None,
            doc_id: None,
        })
    }

    /// Keeps a bundle as the folder `<hash>-<label>/` (the same bundle again is the same folder, so its
    /// documents are unchanged); one task file per document in it, named `<shown>/<path>`.
    fn write_bundle(
        &self,
        dir: &Path,
        shown: &str,
        label: &str,
        bundle: Vec<BundleFile>,
        written: &mut Vec<PathBuf>,
    ) -> AppResult<Vec<TaskFile>> {
        let mut hasher = blake3::Hasher::new();
        for f in &bundle {
            let path = f.path.to_string_lossy();
            hasher.update(&(path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update(&(f.bytes.len() as u64).to_le_bytes());
            hasher.update(&f.bytes);
        }
        let folder = stored_name(&hasher.finalize().to_hex(), &safe_name(label));
        let root = dir.join(&folder);
        if !root.exists() {
            let tmp = dir.join(format!(".{folder}.part"));
            let _ = std::fs::remove_dir_all(&tmp);
            written.push(tmp.clone());
            for f in &bundle {
                let path = tmp.join(&f.path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(AppError::internal)?;
                }
                std::fs::write(&path, &f.bytes).map_err(AppError::internal)?;
            }
            std::fs::rename(&tmp, &root).map_err(AppError::internal)?;
            written.push(root);
        }
        Ok(bundle
            .iter()
            .filter(|f| pipeline::is_document_file(&f.path))
            .map(|f| TaskFile {
                name: format!("{shown}/{}", f.path.display()),
                stored: Some(format!("{folder}/{}", f.path.display())),
                size: f.bytes.len() as u64,
                status: FileStatus::Pending,
                reason: None,
                doc_id: None,
            })
            .collect())
    }

    /// A task record with the live progress of a running task.
    pub fn get(&self, id: &str) -> crate::error::Result<Option<Task>> {
        self.unrecorded.retry(self.lib.store());
        if let Some(t) = self.unrecorded.map().get(id) {
            return Ok(Some(t.clone()));
        }
        let Some(mut task) = self.lib.store().get_task::<Task>(id)? else {
            return Ok(None);
        };
        if let Some(r) = self.running()
            && r.task_id == task.id
            && task.status == TaskStatus::Running
        {
            task.done = r.done;
            task.total = r.total;
        }
        Ok(Some(task))
    }

    /// The most recent tasks, newest first.
    pub fn recent(&self, n: usize) -> crate::error::Result<Vec<Task>> {
        self.unrecorded.retry(self.lib.store());
        let mut all = self.lib.store().tasks::<Task>()?;
        let unrecorded = self.unrecorded.map();
        for t in &mut all {
            if let Some(u) = unrecorded.get(&t.id) {
                *t = u.clone();
            }
        }
        all.reverse();
        all.truncate(n);
        Ok(all)
    }

    /// The task being run now.
    pub fn running(&self) -> Option<Running> {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether any task is queued or running.
    pub fn busy(&self) -> bool {
        self.pending.load(Ordering::SeqCst) > 0
    }
}

/// What the worker thread owns.
struct WorkerCtx {
    lib: Arc<Library>,
    running: Arc<Mutex<Option<Running>>>,
    pending: Arc<AtomicU64>,
    unrecorded: Unrecorded,
}

impl WorkerCtx {
    fn set_running(&self, value: Option<Running>) {
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = value;
    }

    fn run(&self, id: &str) {
        let store = self.lib.store();
        let mut task = match store.get_task::<Task>(id) {
            Ok(Some(t)) if t.status == TaskStatus::Queued => t,
            Ok(_) => return,
            Err(e) => {
                tracing::error!(task = id, "cannot read the task record: {e}");
                return;
            }
        };
        task.status = TaskStatus::Running;
        task.started = Some(now());
        if let Err(e) = store.put_task(&task.id, &task).and_then(|_| store.flush()) {
            tracing::error!(task = id, "cannot record the task: {e}");
        }
        self.set_running(Some(Running {
            task_id: task.id.clone(),
            kind: task.kind,
            done: 0,
            total: task.total,
        }));
        tracing::info!(task = id, kind = ?task.kind, "ingest task started");
        let outcome = self.ingest(&mut task);
        self.set_running(None);
        task.finished = Some(now());
        match outcome {
            Ok(()) => {
                task.status = TaskStatus::Done;
                tracing::info!(task = id, summary = ?task.summary, "ingest task done");
            }
            Err(e) => {
                tracing::error!(task = id, "ingest task failed: {e}");
                task.status = TaskStatus::Failed;
                task.error = Some(AppError::from(e).message());
            }
        }
        if let Err(e) = store.put_task(&task.id, &task).and_then(|_| store.flush()) {
            // Not lost: readers see the outcome from memory until the store takes it.
            tracing::error!(task = id, "cannot record the task: {e}");
            self.unrecorded.map().insert(task.id.clone(), task);
        }
    }

    fn ingest(&self, task: &mut Task) -> crate::error::Result<()> {
        let lib = &*self.lib;
        let (inputs, manifests, base): (Vec<Input>, _, PathBuf) = match task.kind {
            TaskKind::Upload => {
                let dir = lib.config.uploads_dir();
                let base = std::fs::canonicalize(&dir).unwrap_or(dir);
                // A kept file, or the folder of a bundle (walked whole, with its sidecars).
                let mut paths: Vec<PathBuf> = task
                    .files
                    .iter()
                    .filter_map(|f| f.stored.as_deref())
                    .map(|s| base.join(s.split('/').next().unwrap_or(s)))
                    .collect();
                paths.sort();
                paths.dedup();
                let (mut inputs, manifests) = pipeline::collect_inputs(&paths)?;
                for input in &mut inputs {
                    input.access = task.access;
                    input.name = task
                        .files
                        .iter()
                        .find(|f| {
                            f.stored
                                .as_ref()
                                .is_some_and(|s| base.join(s) == input.path)
                        })
                        .map(|f| f.name.clone());
                }
                (inputs, manifests, base)
            }
            TaskKind::Corpus => {
                let dir = lib.config.corpus_dir.clone();
                let (mut inputs, manifests) = pipeline::collect_inputs(std::slice::from_ref(&dir))?;
                // Samples an office removed stay out.
                if crate::auth::accounts::settings(lib.store())?.samples_removed {
                    inputs.retain(|i| !crate::samples::is_sample_path(lib, &i.path));
                }
                let base = std::fs::canonicalize(&dir).unwrap_or(dir);
                (inputs, manifests, base)
            }
        };
        task.total = inputs.len();
        let running = self.running.clone();
        let last_log = Mutex::new(Instant::now());
        let progress = move |p: Progress| {
            if let Some(r) = running.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                r.done = p.done;
                r.total = p.total;
            }
            let mut last = last_log.lock().unwrap_or_else(|e| e.into_inner());
            if p.done == p.total || last.elapsed().as_secs_f64() >= 2.0 {
                *last = Instant::now();
                tracing::info!(
                    done = p.done,
                    total = p.total,
                    mb = p.bytes as f64 / 1e6,
                    "正在建立索引"
                );
            }
        };
        let report = pipeline::ingest_inputs(lib, &inputs, &manifests, &progress)?;
        task.done = report.files;
        // Saved searches hear of what came in; a failure there never fails the ingest.
        match crate::collab::alerts::after_ingest(lib, &report.doc_ids) {
            Ok(0) => {}
            Ok(n) => tracing::info!(notices = n, "saved searches told of new documents"),
            Err(e) => tracing::warn!("saved searches were not run: {e}"),
        }
        // Reasons may name the file by its server path: keep only the part below the folder.
        let base_prefix = format!("{}/", base.display());
        let hide_base = |reason: &str| reason.replace(&base_prefix, "");
        let failed_reason = |path: &Path| {
            report
                .failed
                .iter()
                .find(|f| Path::new(&f.path) == path)
                .map(|f| hide_base(&f.reason))
        };
        match task.kind {
            TaskKind::Upload => {
                for f in &mut task.files {
                    if f.status == FileStatus::Failed {
                        // Refused at upload (an archive that could not be read), with its reason.
                        continue;
                    }
                    let Some(input) = f
                        .stored
                        .as_ref()
                        .and_then(|s| inputs.iter().find(|i| i.path == base.join(s)))
                    else {
                        f.status = FileStatus::Failed;
                        f.reason = Some("文件未保存".into());
                        continue;
                    };
                    let table = report
                        .proposal_tables
                        .iter()
                        .find(|(p, _)| Path::new(p) == input.path)
                        .map(|(_, t)| t);
                    if let Some(t) = table {
                        // A proposal table became proposals, not a document.
                        f.status = FileStatus::Proposals;
                        f.reason = Some(format!(
                            "代表建议：新增 {}、更新 {}、未变 {}{}",
                            t.added,
                            t.updated,
                            t.unchanged,
                            if t.errors > 0 {
                                format!("，{} 行有误", t.errors)
                            } else {
                                String::new()
                            }
                        ));
                    } else if let Some(reason) = failed_reason(&input.path) {
                        f.status = FileStatus::Failed;
                        f.reason = Some(reason);
                    } else if let Some(d) = report
                        .duplicates
                        .iter()
                        .find(|d| Path::new(&d.path) == input.path)
                    {
                        f.status = FileStatus::Duplicate;
                        f.reason = Some(format!(
                            "与《{}》内容完全相同，记为该文档的另一来源",
                            d.title
                        ));
                        f.doc_id = Some(d.of.clone());
                    } else {
                        // A file known as another source of a document is that document.
                        let id = lib
                            .store()
                            .source(&input.source)
                            .ok()
                            .flatten()
                            .map(|e| e.id)
                            .unwrap_or_else(|| DocId::from_source(&input.source));
                        f.status = if report.doc_ids.contains(&id) {
                            FileStatus::Indexed
                        } else {
                            FileStatus::Unchanged
                        };
                        f.doc_id = Some(id);
                    }
                }
            }
            TaskKind::Corpus => {
                task.files = report
                    .failed
                    .iter()
                    .map(|f| TaskFile {
                        name: Path::new(&f.path)
                            .strip_prefix(&base)
                            .map(|p| p.display().to_string())
                            .unwrap_or_else(|_| f.path.clone()),
                        stored: None,
                        size: 0,
                        status: FileStatus::Failed,
                        reason: Some(hide_base(&f.reason)),
                        doc_id: None,
                    })
                    .collect();
            }
        }
        task.summary = Some(TaskSummary {
            files: report.files,
            added: report.added,
            updated: report.updated,
            unchanged: report.unchanged,
            failed: report.failed.len(),
            articles: report.articles,
            seconds: report.seconds,
            duplicates: report.duplicates.len(),
        });
        // A replaced document goes once the new file is in (and is another document); otherwise it stays.
        if let Some(r) = &mut task.replaces {
            let new = task
                .files
                .iter()
                .filter(|f| matches!(f.status, FileStatus::Indexed | FileStatus::Unchanged))
                .find_map(|f| f.doc_id.clone());
            r.removed = Some(match new {
                Some(new) if new != r.doc_id => {
                    pipeline::remove(lib, std::slice::from_ref(&r.doc_id))?;
                    true
                }
                Some(_) => true,
                None => false,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_reduced_to_a_safe_base_name() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\docs\\预算法.md"), "预算法.md");
        assert_eq!(safe_name(".hidden"), "hidden");
        assert_eq!(safe_name("a\u{0}b\n.txt"), "ab.txt");
        assert_eq!(safe_name(""), "upload");
        assert_eq!(safe_name("..."), "upload");
        assert_eq!(safe_name(&"字".repeat(300)).chars().count(), 120);
        let long = safe_name(&format!("{}.docx", "字".repeat(300)));
        assert_eq!(long.chars().count(), 120);
        assert!(long.ends_with("字.docx"), "{long}");
    }

    #[test]
    fn stored_names_fit_a_file_name_and_keep_the_extension() {
        let hash = "0123456789abcdef";
        let long = format!("{}.xlsx", "预算执行情况".repeat(20));
        let stored = stored_name(hash, &safe_name(&long));
        assert!(stored.starts_with("0123456789ab-预算"));
        assert!(stored.ends_with(".xlsx"));
        // With the temporary copy's `.` and `.part`, still within the 255 bytes of a file name.
        assert!(stored.len() + 6 <= 255, "{}", stored.len());
        assert_eq!(stored_name(hash, "预算法.md"), "0123456789ab-预算法.md");
        assert_eq!(stored_name(hash, "README"), "0123456789ab-README");
    }
}
