//! Store records of working together: comments, consultations and each account's inbox.
//!
//! Key layouts: `comments`: id (u64 big-endian) → JSON `Comment`; `comment_targets`: "target key \0 id" →
//! empty (a target's thread in order); `consultations`: id → JSON `Consultation`; `inbox`: "account \0 seq"
//! → JSON `Notice`; `inbox_unread`: "account \0 seq" → target key (the unread count without decoding);
//! `inbox_once`: "account \0 reason" → empty (a notice sent once, such as a deadline's); `answers`:
//! "question key \0 article id" → JSON `Answer`. Ids come from sled's monotonic counter. The trees are opened
//! on first use.

use super::{Store, decode, encode};
use crate::collab::answers::Answer;
use crate::collab::model::{Comment, CommentId, Consultation, ConsultationId, Notice, Target};
use crate::error::Result;
use crate::model::ArticleId;

fn prefixed(prefix: &str, n: u64) -> Vec<u8> {
    let mut k = prefix.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&n.to_be_bytes());
    k
}

fn prefix_of(s: &str) -> Vec<u8> {
    let mut k = s.as_bytes().to_vec();
    k.push(0);
    k
}

fn tail_u64(key: &[u8]) -> u64 {
    let n = key.len();
    let mut b = [0u8; 8];
    if n >= 8 {
        b.copy_from_slice(&key[n - 8..]);
    }
    u64::from_be_bytes(b)
}

impl Store {
    fn comments_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("comments")?)
    }

    fn comment_targets_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("comment_targets")?)
    }

    fn consultations_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("consultations")?)
    }

    fn inbox_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("inbox")?)
    }

    fn inbox_unread_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("inbox_unread")?)
    }

    fn inbox_once_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("inbox_once")?)
    }

    /// A new number for a comment, consultation or notice (increasing, never reused).
    pub fn next_id(&self) -> Result<u64> {
        Ok(self.db.generate_id()? + 1)
    }

    /// Stores a comment (new or changed).
    pub fn put_comment(&self, c: &Comment) -> Result<()> {
        self.comments_tree()?
            .insert(c.id.0.to_be_bytes(), encode(c)?)?;
        self.comment_targets_tree()?
            .insert(prefixed(&c.target.key(), c.id.0), &[])?;
        Ok(())
    }

    pub fn get_comment(&self, id: CommentId) -> Result<Option<Comment>> {
        let key = id.0.to_be_bytes();
        match self.comments_tree()?.get(key)? {
            Some(v) => Ok(Some(decode(&key, &v)?)),
            None => Ok(None),
        }
    }

    /// The comments on a target, oldest first.
    pub fn comments_on(&self, target: &Target) -> Result<Vec<Comment>> {
        let tree = self.comments_tree()?;
        let mut out = Vec::new();
        for k in self
            .comment_targets_tree()?
            .scan_prefix(prefix_of(&target.key()))
            .keys()
        {
            let id = tail_u64(&k?);
            if let Some(v) = tree.get(id.to_be_bytes())? {
                out.push(decode(&id.to_be_bytes(), &v)?);
            }
        }
        Ok(out)
    }

    /// How many comments a target has (removed ones included: they keep their place).
    pub fn count_comments_on(&self, target: &Target) -> Result<usize> {
        Ok(self
            .comment_targets_tree()?
            .scan_prefix(prefix_of(&target.key()))
            .count())
    }

    pub fn count_comments(&self) -> Result<usize> {
        Ok(self.comments_tree()?.len())
    }

    pub fn put_consultation(&self, c: &Consultation) -> Result<()> {
        self.consultations_tree()?
            .insert(c.id.0.to_be_bytes(), encode(c)?)?;
        Ok(())
    }

    pub fn get_consultation(&self, id: ConsultationId) -> Result<Option<Consultation>> {
        let key = id.0.to_be_bytes();
        match self.consultations_tree()?.get(key)? {
            Some(v) => Ok(Some(decode(&key, &v)?)),
            None => Ok(None),
        }
    }

    /// Every consultation, newest first.
    pub fn consultations(&self) -> Result<Vec<Consultation>> {
        let mut out = Vec::new();
        for kv in self.consultations_tree()?.iter().rev() {
            let (k, v) = kv?;
            out.push(decode(&k, &v)?);
        }
        Ok(out)
    }

    /// Adds a notice to its account's inbox, unread.
    pub fn put_notice(&self, n: &Notice) -> Result<()> {
        let key = prefixed(&n.to, n.seq);
        self.inbox_tree()?.insert(&key, encode(n)?)?;
        if !n.read {
            self.inbox_unread_tree()?
                .insert(key, n.target.key().as_bytes())?;
        }
        Ok(())
    }

    /// Sends a notice only if none was sent for this account and reason before; whether it was sent.
    pub fn put_notice_once(&self, n: &Notice, reason: &str) -> Result<bool> {
        let key = prefix_of(&n.to)
            .into_iter()
            .chain(reason.bytes())
            .collect::<Vec<u8>>();
        let first = self
            .inbox_once_tree()?
            .compare_and_swap(key, None as Option<&[u8]>, Some(&[] as &[u8]))?
            .is_ok();
        if first {
            self.put_notice(n)?;
        }
        Ok(first)
    }

    /// An account's notices, newest first, at most `limit`, older than `before` when given.
    pub fn notices(&self, account: &str, before: Option<u64>, limit: usize) -> Result<Vec<Notice>> {
        let tree = self.inbox_tree()?;
        let start = prefix_of(account);
        let end = prefixed(account, before.unwrap_or(u64::MAX));
        let mut out = Vec::new();
        for kv in tree.range(start..end).rev() {
            let (k, v) = kv?;
            out.push(decode(&k, &v)?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// An account's unread notices as (seq, target key), newest first.
    pub fn unread(&self, account: &str) -> Result<Vec<(u64, String)>> {
        let mut out = Vec::new();
        for kv in self
            .inbox_unread_tree()?
            .scan_prefix(prefix_of(account))
            .rev()
        {
            let (k, v) = kv?;
            out.push((tail_u64(&k), String::from_utf8_lossy(&v).into_owned()));
        }
        Ok(out)
    }

    /// Marks notices read (all of the account's when `seqs` is `None`); how many changed.
    pub fn mark_read(&self, account: &str, seqs: Option<&[u64]>) -> Result<usize> {
        let inbox = self.inbox_tree()?;
        let unread = self.inbox_unread_tree()?;
        let keys: Vec<Vec<u8>> = match seqs {
            Some(s) => s.iter().map(|&n| prefixed(account, n)).collect(),
            None => unread
                .scan_prefix(prefix_of(account))
                .keys()
                .map(|k| k.map(|k| k.to_vec()))
                .collect::<std::result::Result<_, _>>()?,
        };
        let mut changed = 0;
        for key in keys {
            if unread.remove(&key)?.is_none() {
                continue;
            }
            if let Some(v) = inbox.get(&key)? {
                let mut n: Notice = decode(&key, &v)?;
                n.read = true;
                inbox.insert(&key, encode(&n)?)?;
            }
            changed += 1;
        }
        Ok(changed)
    }

    fn answers_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("answers")?)
    }

    fn answer_key(question: &str, article: &ArticleId) -> Vec<u8> {
        let mut k = prefix_of(question);
        k.extend_from_slice(article.as_str().as_bytes());
        k
    }

    /// Keeps a mark (replacing the same question's mark of the same article).
    pub fn put_answer(&self, question: &str, a: &Answer) -> Result<()> {
        self.answers_tree()?
            .insert(Self::answer_key(question, &a.article), encode(a)?)?;
        Ok(())
    }

    pub fn remove_answer(&self, question: &str, article: &ArticleId) -> Result<()> {
        self.answers_tree()?
            .remove(Self::answer_key(question, article))?;
        Ok(())
    }

    /// Every mark, by question.
    pub fn answers(&self) -> Result<Vec<Answer>> {
        let mut out = Vec::new();
        for kv in self.answers_tree()?.iter() {
            let (k, v) = kv?;
            out.push(decode(&k, &v)?);
        }
        Ok(out)
    }
}
