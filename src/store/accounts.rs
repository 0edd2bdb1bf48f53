//! Store records of accounts and the audit log.
//!
//! Key layouts: `users`: name → JSON `User`; `sessions`: session id → JSON `Session`; `tokens`: token id →
//! JSON `ApiToken`; `audit`: sequence (u64 big-endian) → JSON `AuditEntry`; `settings`: `"instance"` → JSON
//! `Settings`, `"cookie_key"` → 32 bytes. The trees are opened on first use.

use super::{Store, decode, encode};
use crate::auth::accounts::{ApiToken, Session, Settings, User};
use crate::auth::audit::AuditEntry;
use crate::error::Result;
use chrono::{DateTime, Utc};

/// The sequence number of an audit key.
fn seq_of(key: &[u8]) -> u64 {
    key.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

impl Store {
    fn users_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("users")?)
    }
    fn sessions_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("sessions")?)
    }
    fn tokens_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("tokens")?)
    }
    fn audit_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("audit")?)
    }
    fn settings_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("settings")?)
    }

    pub fn get_user(&self, name: &str) -> Result<Option<User>> {
        match self.users_tree()?.get(name.as_bytes())? {
            Some(v) => Ok(Some(decode(name.as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    pub fn put_user(&self, user: &User) -> Result<()> {
        self.users_tree()?
            .insert(user.name.as_bytes(), encode(user)?)?;
        Ok(())
    }

    /// All accounts, by name.
    pub fn list_users(&self) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for item in self.users_tree()?.iter() {
            let (k, v) = item?;
            out.push(decode(&k, &v)?);
        }
        Ok(out)
    }

    pub fn count_users(&self) -> Result<usize> {
        Ok(self.users_tree()?.len())
    }

    pub fn put_session(&self, s: &Session) -> Result<()> {
        self.sessions_tree()?.insert(s.id.as_bytes(), encode(s)?)?;
        Ok(())
    }

    pub fn get_session(&self, id: &str) -> Result<Option<Session>> {
        match self.sessions_tree()?.get(id.as_bytes())? {
            Some(v) => Ok(Some(decode(id.as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    pub fn delete_session(&self, id: &str) -> Result<()> {
        self.sessions_tree()?.remove(id.as_bytes())?;
        Ok(())
    }

    /// Ends every session of a user (password change, account disabled).
    pub fn delete_sessions_of(&self, user: &str) -> Result<()> {
        let tree = self.sessions_tree()?;
        for item in tree.iter() {
            let (k, v) = item?;
            let s: Session = decode(&k, &v)?;
            if s.user == user {
                tree.remove(k)?;
            }
        }
        Ok(())
    }

    pub fn put_token(&self, t: &ApiToken) -> Result<()> {
        self.tokens_tree()?.insert(t.id.as_bytes(), encode(t)?)?;
        Ok(())
    }

    pub fn get_token(&self, id: &str) -> Result<Option<ApiToken>> {
        match self.tokens_tree()?.get(id.as_bytes())? {
            Some(v) => Ok(Some(decode(id.as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    /// Whether a token existed.
    pub fn delete_token(&self, id: &str) -> Result<bool> {
        Ok(self.tokens_tree()?.remove(id.as_bytes())?.is_some())
    }

    pub fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut out = Vec::new();
        for item in self.tokens_tree()?.iter() {
            let (k, v) = item?;
            out.push(decode(&k, &v)?);
        }
        Ok(out)
    }

    /// Appends an audit entry under the next sequence number, which it also sets on the entry.
    pub fn append_audit(&self, entry: &mut AuditEntry) -> Result<u64> {
        let seq = self.db.generate_id()?;
        entry.seq = seq;
        self.audit_tree()?
            .insert(seq.to_be_bytes(), encode(entry)?)?;
        Ok(seq)
    }

    /// Writes an entry under its own sequence number (the outcome of an action recorded before it ran).
    pub fn put_audit(&self, entry: &AuditEntry) -> Result<()> {
        self.audit_tree()?
            .insert(entry.seq.to_be_bytes(), encode(entry)?)?;
        Ok(())
    }

    /// Visits audit entries newest first while `visit` returns true.
    pub fn scan_audit_newest_first(&self, mut visit: impl FnMut(AuditEntry) -> bool) -> Result<()> {
        for item in self.audit_tree()?.iter().rev() {
            let (k, v) = item?;
            if !visit(decode(&k, &v)?) {
                break;
            }
        }
        Ok(())
    }

    /// Visits audit entries oldest first while `visit` returns true.
    pub fn scan_audit_oldest_first(&self, mut visit: impl FnMut(AuditEntry) -> bool) -> Result<()> {
        for item in self.audit_tree()?.iter() {
            let (k, v) = item?;
            if !visit(decode(&k, &v)?) {
                break;
            }
        }
        Ok(())
    }

    /// Removes audit entries from the oldest on: those older than `before`, and as many more as needed to keep
    /// at most `keep` (when given). Returns how many were removed.
    pub fn prune_audit(&self, before: Option<DateTime<Utc>>, keep: Option<u64>) -> Result<usize> {
        let tree = self.audit_tree()?;
        // Sequence numbers only grow, so first and last bound the count from above; count exactly only when
        // that bound is over the limit.
        let over = match keep {
            Some(keep) => {
                let span = match (tree.first()?, tree.last()?) {
                    (Some((a, _)), Some((b, _))) => seq_of(&b).saturating_sub(seq_of(&a)) + 1,
                    _ => 0,
                };
                if span > keep {
                    (tree.len() as u64).saturating_sub(keep)
                } else {
                    0
                }
            }
            None => 0,
        };
        let mut removed = 0usize;
        for item in tree.iter() {
            let (k, v) = item?;
            let old = match before {
                Some(t) => decode::<AuditEntry>(&k, &v)?.time < t,
                None => false,
            };
            if !old && removed as u64 >= over {
                break;
            }
            tree.remove(k)?;
            removed += 1;
        }
        Ok(removed)
    }

    pub fn count_audit(&self) -> Result<usize> {
        Ok(self.audit_tree()?.len())
    }

    pub fn get_settings(&self) -> Result<Option<Settings>> {
        match self.settings_tree()?.get(b"instance")? {
            Some(v) => Ok(Some(decode(b"instance", &v)?)),
            None => Ok(None),
        }
    }

    pub fn put_settings(&self, s: &Settings) -> Result<()> {
        self.settings_tree()?.insert(b"instance", encode(s)?)?;
        Ok(())
    }

    /// The key that signs session cookies, if one was made.
    pub fn get_secret(&self) -> Result<Option<[u8; 32]>> {
        Ok(self
            .settings_tree()?
            .get(b"cookie_key")?
            .and_then(|v| <[u8; 32]>::try_from(v.as_ref()).ok()))
    }

    pub fn put_secret(&self, key: &[u8; 32]) -> Result<()> {
        self.settings_tree()?.insert(b"cookie_key", &key[..])?;
        Ok(())
    }
}
