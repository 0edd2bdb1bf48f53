//! The audit log: who searched, viewed, ingested or changed what, and when. Entries are appended to the
//! store in order; changes are flushed before they are acknowledged, reads within the store's flush interval.

use super::Role;
use super::accounts::AuditRetention;
use crate::error::Result;
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Login,
    LoginFailed,
    Logout,
    Search,
    View,
    Download,
    Ingest,
    Change,
    Admin,
    Denied,
}

impl AuditAction {
    pub const ALL: &'static [AuditAction] = &[
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::Logout,
        AuditAction::Search,
        AuditAction::View,
        AuditAction::Download,
        AuditAction::Ingest,
        AuditAction::Change,
        AuditAction::Admin,
        AuditAction::Denied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Logout => "logout",
            AuditAction::Search => "search",
            AuditAction::View => "view",
            AuditAction::Download => "download",
            AuditAction::Ingest => "ingest",
            AuditAction::Change => "change",
            AuditAction::Admin => "admin",
            AuditAction::Denied => "denied",
        }
    }

    /// The Chinese label shown to administrators.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::Login => "登录",
            AuditAction::LoginFailed => "登录失败",
            AuditAction::Logout => "退出",
            AuditAction::Search => "检索",
            AuditAction::View => "查看",
            AuditAction::Download => "下载",
            AuditAction::Ingest => "导入",
            AuditAction::Change => "修改",
            AuditAction::Admin => "管理",
            AuditAction::Denied => "拒绝访问",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s || a.label() == s)
    }

    /// Whether the entry records a change, which must be on disk before the change is acknowledged.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            AuditAction::Ingest | AuditAction::Change | AuditAction::Admin
        )
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log (assigned when appended).
    #[serde(default)]
    pub seq: u64,
    pub time: DateTime<Utc>,
    /// The account, `None` for an anonymous visitor.
    pub user: Option<String>,
    pub role: Role,
    pub action: AuditAction,
    /// What was acted on: a path, a document id, a user name.
    pub target: String,
    /// The query, the form's fields, the result.
    pub detail: String,
    /// The answer's HTTP status, or 0 outside the web.
    pub status: u16,
    /// The client address, when known.
    pub ip: Option<String>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub action: Option<AuditAction>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Substring of target or detail.
    pub text: Option<String>,
}

impl AuditFilter {
    pub fn matches(&self, e: &AuditEntry) -> bool {
        self.user
            .as_deref()
            .is_none_or(|u| e.user.as_deref() == Some(u))
            && self.action.is_none_or(|a| e.action == a)
            && self.since.is_none_or(|t| e.time >= t)
            && self.until.is_none_or(|t| e.time < t)
            && self
                .text
                .as_deref()
                .is_none_or(|t| e.target.contains(t) || e.detail.contains(t))
    }
}

/// Appends an entry; a change is flushed to disk before returning. Every `PRUNE_EVERY` entries the log is
/// cut to the instance's retention.
pub fn record(store: &Store, mut entry: AuditEntry) -> Result<u64> {
    entry.detail = entry.detail.chars().take(500).collect();
    entry.target = entry.target.chars().take(300).collect();
    let write = entry.action.is_write();
    let seq = store.append_audit(&mut entry)?;
    if seq.is_multiple_of(PRUNE_EVERY) {
        prune(
            store,
            super::accounts::settings(store)?.audit_retention,
            Utc::now(),
        )?;
    }
    if write {
        store.flush()?;
    }
    Ok(seq)
}

/// What an action's entry says until its end is written: if the end cannot be written (the disk filled up
/// during the action), the entry stays like this.
pub const RESULT_UNRECORDED: &str = "（结果未记录）";

/// Records a change before it is made, flushed, so that the log never misses an action that happened: the
/// caller refuses the action when this fails. The entry's status stays 0 and its detail ends with
/// `RESULT_UNRECORDED` until `finish` writes the outcome.
pub fn begin(store: &Store, mut entry: AuditEntry) -> Result<u64> {
    entry.status = 0;
    entry.detail = format!(
        "{}{RESULT_UNRECORDED}",
        entry.detail.chars().take(480).collect::<String>()
    );
    record(store, entry)
}

/// Writes the outcome of an action recorded by `begin` into its entry (`seq`), flushed.
pub fn finish(store: &Store, seq: u64, mut entry: AuditEntry) -> Result<()> {
    entry.seq = seq;
    entry.detail = entry.detail.chars().take(500).collect();
    entry.target = entry.target.chars().take(300).collect();
    store.put_audit(&entry)?;
    store.flush()
}

/// How often (in appended entries) `record` applies the retention.
const PRUNE_EVERY: u64 = 1000;

/// Removes the entries the retention no longer keeps, as of `now`; returns how many.
pub fn prune(store: &Store, retention: AuditRetention, now: DateTime<Utc>) -> Result<usize> {
    let before = (retention.days > 0).then(|| now - chrono::Duration::days(retention.days as i64));
    let keep = (retention.max_entries > 0).then_some(retention.max_entries);
    let removed = store.prune_audit(before, keep)?;
    if removed > 0 {
        store.flush()?;
        tracing::info!(removed, "audit entries past the retention removed");
    }
    Ok(removed)
}

/// The newest entries matching the filter, newest first, at most `limit`.
pub fn recent(store: &Store, filter: &AuditFilter, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut out = Vec::new();
    store.scan_audit_newest_first(|e| {
        if filter.matches(&e) {
            out.push(e);
        }
        out.len() < limit
    })?;
    Ok(out)
}

/// Writes matching entries, oldest first, as CSV (`crate::csv_out`: UTF-8 with BOM, formulas neutralised).
pub fn export_csv(
    store: &Store,
    filter: &AuditFilter,
    out: &mut dyn std::io::Write,
) -> Result<usize> {
    let io = |e: std::io::Error| crate::error::Error::io("audit export", e);
    let mut w = crate::csv_out::CsvOut::new(out).map_err(io)?;
    let csv_err = |e: csv::Error| crate::error::Error::Invalid(format!("audit export: {e}"));
    w.row([
        "序号", "时间", "用户", "角色", "操作", "对象", "详情", "状态", "地址",
    ])
    .map_err(csv_err)?;
    let mut n = 0;
    let mut failure = None;
    store.scan_audit_oldest_first(|e| {
        if !filter.matches(&e) {
            return true;
        }
        let row = [
            e.seq.to_string(),
            e.time.to_rfc3339(),
            e.user.clone().unwrap_or_default(),
            e.role.as_str().to_string(),
            e.action.as_str().to_string(),
            e.target.clone(),
            e.detail.clone(),
            e.status.to_string(),
            e.ip.clone().unwrap_or_default(),
        ];
        if let Err(err) = w.row(&row) {
            failure = Some(err);
            return false;
        }
        n += 1;
        true
    })?;
    if let Some(e) = failure {
        return Err(csv_err(e));
    }
    w.finish().map_err(csv_err)?.flush().map_err(io)?;
    Ok(n)
}

/// Writes matching entries, oldest first, as JSON lines.
pub fn export_jsonl(
    store: &Store,
    filter: &AuditFilter,
    out: &mut dyn std::io::Write,
) -> Result<usize> {
    let mut n = 0;
    let mut failure = None;
    store.scan_audit_oldest_first(|e| {
        if !filter.matches(&e) {
            return true;
        }
        let line = serde_json::to_string(&e).unwrap_or_default();
        if let Err(err) = writeln!(out, "{line}") {
            failure = Some(err);
            return false;
        }
        n += 1;
        true
    })?;
    if let Some(e) = failure {
        return Err(crate::error::Error::io("audit export", e));
    }
    Ok(n)
}
