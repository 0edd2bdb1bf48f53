//! The extraction measured against hand-labelled values: for each labelled report, every value the labels
//! give of a catalog indicator (the labels of a report are complete: each value the report states for its own
//! year or the year before), precision and recall per indicator and overall. A value counts as found when the
//! indicator, year, kind, value and upper end agree.

use super::extract::Extractor;
use super::{Catalog, Kind, SeriesValue};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The labels file.
#[derive(Debug, Clone, Deserialize)]
pub struct Labels {
    /// The reports labelled, by year (file `{year}年政府工作报告.txt`).
    pub reports: Vec<i32>,
    pub values: Vec<Label>,
}

/// One value read off a report by hand.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub report: i32,
    pub indicator: String,
    pub year: i32,
    pub kind: Kind,
    pub value: f64,
    #[serde(default)]
    pub upper: Option<f64>,
    /// The sentence as written, for the reader of the file.
    #[serde(default)]
    pub sentence: String,
}

/// Counts of one indicator (or of all).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    pub indicator: String,
    pub labelled: usize,
    pub extracted: usize,
    pub correct: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.extracted)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.correct, self.labelled)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// A wrong or missing value, for reading.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub report: i32,
    pub indicator: String,
    pub year: i32,
    pub kind: Kind,
    /// What the labels say (None: extracted but not labelled).
    pub labelled: Option<f64>,
    /// What was extracted (None: not found).
    pub extracted: Option<f64>,
    pub sentence: String,
}

/// The result of an evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub indicators: Vec<Score>,
    pub overall: Score,
    pub misses: Vec<Miss>,
}

/// Reads a labels file.
pub fn load_labels(path: &Path) -> Result<Labels> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
}

type Key = (i32, String, i32, Kind);

/// Extracts the labelled reports found in `reports` (text files named `{year}年政府工作报告.txt`) and scores
/// the values against the labels.
pub fn evaluate(labels: &Labels, reports: &Path, catalog: &Catalog) -> Result<Evaluation> {
    let extractor = Extractor::new(catalog);
    let mut found: BTreeMap<Key, SeriesValue> = BTreeMap::new();
    for &year in &labels.reports {
        let path = reports.join(format!("{year}年政府工作报告.txt"));
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let text = crate::text::clean(&String::from_utf8_lossy(&bytes));
        for v in extractor.extract(&text, year, ("", "")) {
            found.insert((year, v.indicator.clone(), v.year, v.kind), v);
        }
    }
    let mut labelled: BTreeMap<Key, &Label> = BTreeMap::new();
    for l in &labels.values {
        if catalog.indicator(&l.indicator).is_none() {
            return Err(Error::Invalid(format!("未知指标 {}", l.indicator)));
        }
        labelled.insert((l.report, l.indicator.clone(), l.year, l.kind), l);
    }
    let mut scores: BTreeMap<String, Score> = catalog
        .indicators
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                Score {
                    indicator: i.id.clone(),
                    ..Score::default()
                },
            )
        })
        .collect();
    let mut misses = Vec::new();
    let same = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(1.0);
    for (key, l) in &labelled {
        let s = scores.entry(key.1.clone()).or_default();
        s.labelled += 1;
        let got = found.get(key);
        let right = got.is_some_and(|v| {
            same(v.value, l.value)
                && match (v.upper, l.upper) {
                    (None, None) => true,
                    (Some(a), Some(b)) => same(a, b),
                    _ => false,
                }
        });
        if right {
            s.correct += 1;
        } else {
            misses.push(Miss {
                report: key.0,
                indicator: key.1.clone(),
                year: key.2,
                kind: key.3,
                labelled: Some(l.value),
                extracted: got.map(|v| v.value),
                sentence: got.map_or_else(|| l.sentence.clone(), sentence_of),
            });
        }
    }
    for (key, v) in &found {
        scores.entry(key.1.clone()).or_default().extracted += 1;
        if !labelled.contains_key(key) {
            misses.push(Miss {
                report: key.0,
                indicator: key.1.clone(),
                year: key.2,
                kind: key.3,
                labelled: None,
                extracted: Some(v.value),
                sentence: sentence_of(v),
            });
        }
    }
    let mut overall = Score {
        indicator: "全部".into(),
        ..Score::default()
    };
    for s in scores.values() {
        overall.labelled += s.labelled;
        overall.extracted += s.extracted;
        overall.correct += s.correct;
    }
    let order = |id: &str| catalog.indicators.iter().position(|i| i.id == id);
    let mut indicators: Vec<Score> = scores.into_values().collect();
    indicators.sort_by_key(|s| order(&s.indicator));
    Ok(Evaluation {
        indicators,
        overall,
        misses,
    })
}

fn sentence_of(v: &SeriesValue) -> String {
    match &v.source {
        super::Source::Report { sentence, .. } => sentence.clone(),
        super::Source::Import { file, line } => format!("{file}:{line}"),
    }
}
