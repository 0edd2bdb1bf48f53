//! Characteristic terms of budget subjects, loaded from `subject-terms.json`: per subject code, the words that
//! mark a law's field in its title (教育法 → 205) and the terms whose density in a text points to the subject.

use crate::error::{Error, Result};
use crate::link::taxonomy::Taxonomy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The terms of one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectTermSet {
    pub code: String,
    /// Words that, in a title, name the field of a law or document.
    #[serde(default)]
    pub title: Vec<String>,
    /// Terms characteristic of the subject in running text.
    #[serde(default)]
    pub terms: Vec<String>,
}

/// Terms of every subject that has some.
#[derive(Debug, Clone, Default)]
pub struct SubjectTerms {
    list: Vec<SubjectTermSet>,
}

impl SubjectTerms {
    /// Reads the file; every code must be in the taxonomy (when it is not empty).
    pub fn load(path: &Path, taxonomy: &Taxonomy) -> Result<SubjectTerms> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        SubjectTerms::parse(&text, &path.display().to_string(), taxonomy)
    }

    pub fn parse(text: &str, origin: &str, taxonomy: &Taxonomy) -> Result<SubjectTerms> {
        let list: Vec<SubjectTermSet> = serde_json::from_str(text).map_err(|e| {
            Error::Invalid(format!(
                "{origin}: line {} column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let mut seen = BTreeSet::new();
        for s in &list {
            let bad =
                |why: String| Error::Invalid(format!("{origin}: subject '{}': {why}", s.code));
            if !taxonomy.is_empty() && taxonomy.get(&s.code).is_none() {
                return Err(bad("the code is not in the subject tree".into()));
            }
            if !seen.insert(s.code.as_str()) {
                return Err(bad("the code appears twice".into()));
            }
            if s.title.iter().chain(&s.terms).any(|t| t.trim().is_empty()) {
                return Err(bad("it has an empty term".into()));
            }
        }
        Ok(SubjectTerms { list })
    }

    pub fn iter(&self) -> impl Iterator<Item = &SubjectTermSet> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_must_be_known_and_unique() {
        let t = Taxonomy::parse(
            "code,name,parent,budget\n205,教育支出,,一般公共预算\n",
            "s.csv",
        )
        .unwrap();
        assert!(
            SubjectTerms::parse(
                r#"[{"code":"205","title":["教育"],"terms":["学校"]}]"#,
                "x",
                &t
            )
            .is_ok()
        );
        for (bad, want) in [
            (
                r#"[{"code":"206","terms":["科技"]}]"#,
                "not in the subject tree",
            ),
            (r#"[{"code":"205"},{"code":"205"}]"#, "twice"),
            (r#"[{"code":"205","terms":[""]}]"#, "empty term"),
            (r#"{"code":"205"}"#, "line 1"),
        ] {
            let err = SubjectTerms::parse(bad, "x.json", &t)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{bad}: {err}");
        }
    }
}
