//! Special topics (专题) as data: named rule sets loaded from `topics.json`, editable without recompiling.
//!
//! A topic has an id, a name, a description, include terms (strong evidence), weak terms (they only help when
//! a strong term matched), exclude terms (they mask the include terms they contain and can veto the topic),
//! related subject codes and the document kinds it applies to (empty: every kind).

use crate::error::{Error, Result};
use crate::link::taxonomy::Level;
use crate::model::DocKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// One topic's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// A stable ASCII id (e.g. `rural-revitalization`).
    pub id: String,
    /// The Chinese name, used in filters and facets (e.g. 乡村振兴).
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub include: Vec<String>,
    #[serde(default)]
    pub weak: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub subjects: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<DocKind>,
}

impl Topic {
    /// Whether the topic's rules apply to documents of this kind.
    pub fn applies_to(&self, kind: DocKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// The topics, in file order.
#[derive(Debug, Clone, Default)]
pub struct Topics {
    list: Vec<Topic>,
}

impl Topics {
    /// Reads `topics.json`.
    pub fn load(path: &Path) -> Result<Topics> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Topics::parse(&text, &path.display().to_string())
    }

    /// Parses a JSON array of topics and checks it: unique non-empty ids and names, at least one include
    /// term, no empty term, well-formed subject codes.
    pub fn parse(text: &str, origin: &str) -> Result<Topics> {
        let list: Vec<Topic> = serde_json::from_str(text).map_err(|e| {
            Error::Invalid(format!(
                "{origin}: line {} column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let mut ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        for t in &list {
            let bad = |why: String| Error::Invalid(format!("{origin}: topic '{}': {why}", t.id));
            if t.id.trim().is_empty()
                || !t
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(
                    "the id must be non-empty ASCII letters, digits, '-' or '_'".into(),
                ));
            }
            if t.name.trim().is_empty() {
                return Err(bad("the name is empty".into()));
            }
            if !ids.insert(t.id.as_str()) {
                return Err(bad("the id appears twice".into()));
            }
            if !names.insert(t.name.as_str()) {
                return Err(bad(format!("the name {} appears twice", t.name)));
            }
            if t.include.is_empty() {
                return Err(bad("it has no include terms".into()));
            }
            if t.include
                .iter()
                .chain(&t.weak)
                .chain(&t.exclude)
                .any(|w| w.trim().is_empty())
            {
                return Err(bad("it has an empty term".into()));
            }
            if let Some(code) = t.subjects.iter().find(|c| Level::of(c).is_none()) {
                return Err(bad(format!("'{code}' is not a subject code")));
            }
        }
        Ok(Topics { list })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Topic> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Topic> {
        self.list.iter().find(|t| t.id == id)
    }

    /// A topic by its id or its name.
    pub fn find(&self, id_or_name: &str) -> Option<&Topic> {
        let key = id_or_name.trim();
        self.list.iter().find(|t| t.id == key || t.name == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_topics() {
        let ok = r#"[{"id":"edu","name":"义务教育","include":["义务教育"],"kinds":["法律"],"subjects":["205"]}]"#;
        let t = Topics::parse(ok, "t.json").unwrap();
        assert_eq!(t.find("义务教育").map(|t| t.id.as_str()), Some("edu"));
        assert!(t.get("edu").unwrap().applies_to(DocKind::Law));
        assert!(!t.get("edu").unwrap().applies_to(DocKind::Reply));
        for (bad, want) in [
            (r#"[{"id":"edu","name":"x","include":[]}]"#, "no include"),
            (
                r#"[{"id":"e du","name":"x","include":["a"]}]"#,
                "id must be",
            ),
            (
                r#"[{"id":"a","name":"x","include":["a"]},{"id":"a","name":"y","include":["b"]}]"#,
                "twice",
            ),
            (
                r#"[{"id":"a","name":"x","include":["a"],"subjects":["20"]}]"#,
                "subject code",
            ),
            (
                r#"[{"id":"a","name":"x","include":["a"],"kinds":["小说"]}]"#,
                "line 1",
            ),
            (
                r#"[{"id":"a","name":"x","include":["a"],"colour":"red"}]"#,
                "unknown field",
            ),
            (
                r#"[{"id":"a","name":"x","include":["a"],"weak":[" "]}]"#,
                "empty term",
            ),
        ] {
            let err = Topics::parse(bad, "t.json").unwrap_err().to_string();
            assert!(err.contains("t.json") && err.contains(want), "{bad}: {err}");
        }
    }
}
