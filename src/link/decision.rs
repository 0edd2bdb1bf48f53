//! Staff decisions on links: a link confirmed or rejected by a person, kept apart from the computed links so
//! that it survives re-ingest and relinking, and applied on top of them.

use crate::link::Reference;
use crate::link::linker::{Evidence, Links, Rule, SubjectLink, TopicLink};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a decision is about: a subject code or a topic id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Target {
    Subject(String),
    Topic(String),
}

impl Target {
    /// `subject:205` or `topic:rural-revitalization`.
    pub fn key(&self) -> String {
        match self {
            Target::Subject(c) => format!("subject:{c}"),
            Target::Topic(t) => format!("topic:{t}"),
        }
    }

    /// Parses a key; a bare 3/5/7-digit code is a subject, anything else a topic id or name.
    pub fn parse(s: &str, reference: &Reference) -> Option<Target> {
        let s = s.trim();
        if let Some(code) = s.strip_prefix("subject:") {
            return crate::link::taxonomy::Level::of(code)
                .map(|_| Target::Subject(code.to_string()));
        }
        let topic = s.strip_prefix("topic:").unwrap_or(s);
        if crate::link::taxonomy::Level::of(topic).is_some() {
            return Some(Target::Subject(topic.to_string()));
        }
        reference
            .topics
            .find(topic)
            .map(|t| Target::Topic(t.id.clone()))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Confirmed or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Confirmed,
    Rejected,
}

/// A person's decision on one link of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub target: Target,
    pub verdict: Verdict,
    /// Who decided (a user name).
    pub by: String,
    /// When, as RFC 3339.
    pub at: String,
}

impl Decision {
    pub fn new(target: Target, verdict: Verdict, by: &str) -> Decision {
        Decision {
            target,
            verdict,
            by: by.to_string(),
            at: chrono::Local::now().to_rfc3339(),
        }
    }
}

/// Applies decisions to computed links: rejected links are dropped from the kept ones, confirmed links are
/// kept whatever their score (and added when the linker did not find them).
pub fn apply(links: &mut Links, decisions: &[Decision], reference: &Reference) {
    for d in decisions {
        let evidence = || Evidence {
            rule: Rule::Confirmed,
            text: d.by.clone(),
            count: 1,
            offsets: vec![],
            in_title: false,
            amount: None,
        };
        match (&d.target, d.verdict) {
            (Target::Subject(code), v) => match links.subjects.iter_mut().find(|l| &l.code == code)
            {
                Some(l) => {
                    l.kept = v == Verdict::Confirmed;
                    if v == Verdict::Confirmed {
                        l.evidence.insert(0, evidence());
                    }
                }
                None if v == Verdict::Confirmed => links.subjects.push(SubjectLink {
                    code: code.clone(),
                    name: reference
                        .taxonomy
                        .name(code)
                        .unwrap_or_default()
                        .to_string(),
                    score: 0.0,
                    evidence: vec![evidence()],
                    kept: true,
                    observed: false,
                }),
                None => {}
            },
            (Target::Topic(id), v) => match links.topics.iter_mut().find(|l| &l.id == id) {
                Some(l) => {
                    l.kept = v == Verdict::Confirmed;
                    if v == Verdict::Confirmed {
                        l.evidence.insert(0, evidence());
                    }
                }
                None if v == Verdict::Confirmed => {
                    if let Some(t) = reference.topics.get(id) {
                        links.topics.push(TopicLink {
                            id: id.clone(),
                            name: t.name.clone(),
                            score: 0.0,
                            evidence: vec![evidence()],
                            kept: true,
                        });
                    }
                }
                None => {}
            },
        }
    }
}
