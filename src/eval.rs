//! Retrieval quality evaluation on statute-retrieval questions (the STARD format): Recall@k, MRR@10, nDCG@10;
//! the cross-validated law prior (`prior`); the metadata audit of a collection (`metadata`).

pub mod metadata;
pub mod prior;

use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::Unit;
use crate::search::{self, SearchRequest};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One question with the names of its relevant articles.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Question {
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub id: serde_json::Value,
    pub query: String,
    pub relevant: Vec<String>,
}

/// Reads a JSON-lines question file; a malformed line is an error naming the line.
pub fn read_questions(path: &Path) -> Result<Vec<Question>> {
    read_jsonl(path)
}

/// Reads a JSON-lines file of records; blank lines are skipped, a malformed line is an error naming the line.
pub fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| Error::Invalid(format!("{} line {}: {e}", path.display(), i + 1)))
        })
        .collect()
}

/// Article names are compared without a leading 中华人民共和国 and without spaces.
pub fn normalize_name(name: &str) -> String {
    let n: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    n.strip_prefix("中华人民共和国")
        .map(str::to_string)
        .unwrap_or(n)
}

/// Metrics over a question set.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Metrics {
    pub questions: usize,
    pub recall_at_10: f64,
    pub recall_at_100: f64,
    pub mrr_at_10: f64,
    pub ndcg_at_10: f64,
}

/// Scores one ranked list of (normalised, de-duplicated) names against the relevant names.
pub fn score_ranking(ranked: &[String], relevant: &[String]) -> (f64, f64, f64, f64) {
    let rel: Vec<String> = relevant.iter().map(|r| normalize_name(r)).collect();
    let found_at = |k: usize| {
        rel.iter()
            .filter(|r| ranked.iter().take(k).any(|n| n == *r))
            .count() as f64
    };
    let n = rel.len().max(1) as f64;
    let r10 = found_at(10) / n;
    let r100 = found_at(100) / n;
    let mrr = ranked
        .iter()
        .take(10)
        .position(|name| rel.contains(name))
        .map(|p| 1.0 / (p as f64 + 1.0))
        .unwrap_or(0.0);
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .filter(|(_, name)| rel.contains(name))
        .map(|(i, _)| 1.0 / ((i as f64) + 2.0).log2())
        .sum();
    let idcg: f64 = (0..rel.len().min(10))
        .map(|i| 1.0 / ((i as f64) + 2.0).log2())
        .sum();
    let ndcg = if idcg > 0.0 { dcg / idcg } else { 0.0 };
    (r10, r100, mrr, ndcg)
}

/// Averages per-question scores (Recall@10, Recall@100, MRR@10, nDCG@10) over `n` questions.
pub fn average(scores: impl Iterator<Item = (f64, f64, f64, f64)>, n: usize) -> Metrics {
    let mut m = Metrics {
        questions: n,
        ..Metrics::default()
    };
    for (r10, r100, mrr, ndcg) in scores {
        m.recall_at_10 += r10;
        m.recall_at_100 += r100;
        m.mrr_at_10 += mrr;
        m.ndcg_at_10 += ndcg;
    }
    let d = n.max(1) as f64;
    m.recall_at_10 /= d;
    m.recall_at_100 /= d;
    m.mrr_at_10 /= d;
    m.ndcg_at_10 /= d;
    m
}

/// Runs every question as an article search and averages the metrics.
pub fn evaluate(lib: &Library, questions: &[Question]) -> Result<Metrics> {
    let mut scores = Vec::with_capacity(questions.len());
    for q in questions {
        let ranked = ranked_names(lib, &q.query, 100)?;
        scores.push(score_ranking(&ranked, &q.relevant));
    }
    Ok(average(scores.into_iter(), questions.len()))
}

/// The normalised article names returned for a query, best first, each name once (versions of one law
/// share article names).
pub fn ranked_names(lib: &Library, query: &str, depth: usize) -> Result<Vec<String>> {
    let q: String = query.chars().take(lib.config.max_query_chars).collect();
    let page = lib.config.max_limit.max(1);
    let mut names: Vec<String> = Vec::new();
    let mut offset = 0;
    while offset < depth {
        let req = SearchRequest {
            q: q.clone(),
            unit: Unit::Article,
            offset,
            limit: page.min(depth - offset),
            scope: crate::model::Scope::All,
            ..SearchRequest::default()
        };
        let resp = search::search(lib, &req)?;
        let n_hits = resp.hits.len();
        for h in resp.hits {
            let n = normalize_name(&h.name);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        if n_hits < req.limit {
            break;
        }
        offset += req.limit;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_a_ranking() {
        let ranked: Vec<String> = ["民法典第一条", "民法典第五十四条", "个体工商户条例第二条"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rel = vec![
            "中华人民共和国民法典第五十四条".to_string(),
            "个体工商户条例第二条".to_string(),
        ];
        let (r10, r100, mrr, ndcg) = score_ranking(&ranked, &rel);
        assert_eq!(r10, 1.0);
        assert_eq!(r100, 1.0);
        assert_eq!(mrr, 0.5);
        let expected = (1.0 / 3f64.log2() + 1.0 / 4f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((ndcg - expected).abs() < 1e-9);
        let (r10, _, mrr, _) = score_ranking(&[], &rel);
        assert_eq!((r10, mrr), (0.0, 0.0));
    }
}
