//! Linker quality on a labelled set: each line names a document (a path relative to a base folder), the
//! subject classes (类) it is expected to be linked to and its expected topics. Reports the recall of each
//! expected class among the classes of a document's top three kept subject links, and the precision and
//! recall of kept topic links, per class, per topic and overall.

use crate::error::Result;
use crate::library::Library;
use crate::link::taxonomy::class_of;
use crate::model::DocId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One labelled document.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Label {
    pub path: String,
    #[serde(default)]
    pub subjects: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub note: String,
}

/// Reads a JSON-lines label file; a malformed line is an error naming the line.
pub fn read_labels(path: &Path) -> Result<Vec<Label>> {
    crate::eval::read_jsonl(path)
}

/// Recall of one class.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClassScore {
    pub class: String,
    pub name: String,
    pub expected: usize,
    pub found_in_top3: usize,
    pub recall_at_3: f64,
}

/// Precision and recall of one topic.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopicScore {
    pub topic: String,
    pub expected: usize,
    pub predicted: usize,
    pub correct: usize,
    pub precision: f64,
    pub recall: f64,
}

/// What the linker gave one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocOutcome {
    pub path: String,
    pub expected_classes: Vec<String>,
    /// The classes of the kept subject links, in rank order, each once.
    pub top_classes: Vec<String>,
    pub expected_topics: Vec<String>,
    pub topics: Vec<String>,
}

/// The evaluation's result.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LinkMetrics {
    pub documents: usize,
    /// Labelled documents that could not be ingested (path and reason).
    pub missing: Vec<(String, String)>,
    pub classes: Vec<ClassScore>,
    /// Expected classes found among the top three classes, over all expected classes.
    pub recall_at_3: f64,
    /// The same, counting only the first three links (not the first three distinct classes).
    pub recall_at_3_strict: f64,
    pub topics: Vec<TopicScore>,
    pub topic_precision: f64,
    pub topic_recall: f64,
    pub outcomes: Vec<DocOutcome>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Ingests the labelled documents (paths relative to `base`) into the library and scores the links.
pub fn evaluate(lib: &Library, labels: &[Label], base: &Path) -> Result<LinkMetrics> {
    let mut m = LinkMetrics {
        documents: labels.len(),
        ..LinkMetrics::default()
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for l in labels {
        let p = base.join(&l.path);
        if p.exists() {
            paths.push(p);
        } else {
            m.missing
                .push((l.path.clone(), "the file does not exist".into()));
        }
    }
    let report = crate::pipeline::ingest(lib, &paths, &|_| {})?;
    for f in &report.failed {
        m.missing.push((f.path.clone(), f.reason.clone()));
    }
    let mut class_expected: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut strict_hits = 0;
    let mut topic_counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for t in lib.reference().topics.iter() {
        topic_counts.insert(t.name.clone(), (0, 0, 0));
    }
    for l in labels {
        let p = base.join(&l.path);
        let Some(id) = source_id(lib, &p)? else {
            continue;
        };
        let Some(links) = lib.store().get_links(&id)? else {
            continue;
        };
        let kept: Vec<&str> = links
            .subjects
            .iter()
            .filter(|s| s.kept)
            .map(|s| s.code.as_str())
            .collect();
        let mut top_classes: Vec<String> = Vec::new();
        for code in &kept {
            let c = class_of(code).to_string();
            if !top_classes.contains(&c) {
                top_classes.push(c);
            }
        }
        let strict: Vec<&str> = kept.iter().take(3).map(|c| class_of(c)).collect();
        for class in &l.subjects {
            let e = class_expected.entry(class.clone()).or_default();
            e.0 += 1;
            if top_classes.iter().take(3).any(|c| c == class) {
                e.1 += 1;
            }
            if strict.contains(&class.as_str()) {
                strict_hits += 1;
            }
        }
        let predicted: Vec<String> = links
            .topics
            .iter()
            .filter(|t| t.kept)
            .map(|t| t.name.clone())
            .collect();
        for t in &l.topics {
            let e = topic_counts.entry(t.clone()).or_default();
            e.0 += 1;
            if predicted.contains(t) {
                e.2 += 1;
            }
        }
        for t in &predicted {
            topic_counts.entry(t.clone()).or_default().1 += 1;
        }
        m.outcomes.push(DocOutcome {
            path: l.path.clone(),
            expected_classes: l.subjects.clone(),
            top_classes,
            expected_topics: l.topics.clone(),
            topics: predicted,
        });
    }
    let (mut expected, mut found) = (0, 0);
    for (class, (e, f)) in class_expected {
        expected += e;
        found += f;
        m.classes.push(ClassScore {
            name: lib
                .reference()
                .taxonomy
                .name(&class)
                .unwrap_or_default()
                .to_string(),
            class,
            expected: e,
            found_in_top3: f,
            recall_at_3: ratio(f, e),
        });
    }
    m.recall_at_3 = ratio(found, expected);
    m.recall_at_3_strict = ratio(strict_hits, expected);
    let (mut te, mut tp, mut tc) = (0, 0, 0);
    for (topic, (e, p, c)) in topic_counts {
        te += e;
        tp += p;
        tc += c;
        m.topics.push(TopicScore {
            topic,
            expected: e,
            predicted: p,
            correct: c,
            precision: ratio(c, p),
            recall: ratio(c, e),
        });
    }
    m.topic_precision = ratio(tc, tp);
    m.topic_recall = ratio(tc, te);
    Ok(m)
}

fn source_id(lib: &Library, path: &Path) -> Result<Option<DocId>> {
    let Ok(canonical) = std::fs::canonicalize(path) else {
        return Ok(None);
    };
    Ok(lib
        .store()
        .source(&canonical.to_string_lossy())?
        .map(|s| s.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.jsonl");
        std::fs::write(
            &p,
            "{\"path\":\"a.md\",\"subjects\":[\"205\"],\"topics\":[]}\n\n{\"path\":1}\n",
        )
        .unwrap();
        let err = read_labels(&p).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        std::fs::write(
            &p,
            "{\"path\":\"a.md\",\"subjects\":[\"205\"],\"topics\":[\"义务教育\"]}\n",
        )
        .unwrap();
        assert_eq!(read_labels(&p).unwrap()[0].topics, ["义务教育"]);
    }
}
