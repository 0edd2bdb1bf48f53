//! Staff marks that an article answers a question (这条回答了该问题): stored with who marked it, exported as
//! labelled questions in the STARD format (`{"query", "relevant": [article names]}`) for evaluation and
//! training, and offered to later readers as 已解答的类似问题 beside the results of a similar question.

use crate::auth::{Role, Viewer};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{ArticleId, Scope};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The longest question kept, in characters.
pub const MAX_QUESTION_CHARS: usize = 200;

/// One mark: this article answers this question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The question as asked (trimmed).
    pub query: String,
    pub article: ArticleId,
    /// The article's name (中华人民共和国预算法第四十六条).
    pub name: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The key a question is kept under: folded, with spaces and punctuation dropped, so that the same question
/// typed again finds its marks.
pub fn question_key(query: &str) -> String {
    crate::text::fold_str(query)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn clean_question(query: &str) -> Result<String> {
    let q: String = query.chars().filter(|c| !c.is_control()).collect();
    let q = q.trim().to_string();
    if question_key(&q).is_empty() {
        return Err(Error::Invalid("问题不能为空 (empty question)".into()));
    }
    if q.chars().count() > MAX_QUESTION_CHARS {
        return Err(Error::Invalid(format!(
            "问题不能超过 {MAX_QUESTION_CHARS} 字 (question too long)"
        )));
    }
    Ok(q)
}

/// Marks (or with `on == false` unmarks) an article as answering a question; staff only. Flushed before
/// it returns.
pub fn mark(
    lib: &Library,
    viewer: &Viewer,
    query: &str,
    article: &ArticleId,
    on: bool,
) -> Result<Option<Answer>> {
    if !viewer.can(Role::Staff) {
        return Err(Error::Denied(
            "只有工作人员可以标注答案 (staff only)".into(),
        ));
    }
    let query = clean_question(query)?;
    let Some((a, _)) = lib.article(article, &viewer.scope())? else {
        return Err(Error::NotFound(format!("条文 {}", article.as_str())));
    };
    let key = question_key(&query);
    let _writing = lib.writing();
    let store = lib.store();
    let out = if on {
        let answer = Answer {
            query,
            article: a.id.clone(),
            name: a.name.clone(),
            by: viewer.actor(),
            at: Utc::now(),
        };
        store.put_answer(&key, &answer)?;
        Some(answer)
    } else {
        store.remove_answer(&key, article)?;
        None
    };
    store.flush()?;
    Ok(out)
}

/// Every mark, by question key.
pub fn all(lib: &Library) -> Result<Vec<Answer>> {
    lib.store().answers()
}

/// The marks as labelled questions, one per question: `{"query", "relevant": [names]}` (the STARD format
/// that `yusuan eval stard` reads).
pub fn labelled(lib: &Library) -> Result<Vec<crate::eval::Question>> {
    let mut by_key: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for a in all(lib)? {
        let e = by_key
            .entry(question_key(&a.query))
            .or_insert_with(|| (a.query.clone(), Vec::new()));
        if !e.1.contains(&a.name) {
            e.1.push(a.name);
        }
    }
    Ok(by_key
        .into_values()
        .map(|(query, relevant)| crate::eval::Question {
            id: serde_json::Value::Null,
            query,
            relevant,
        })
        .collect())
}

/// A question answered before, with the articles that answer it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub query: String,
    /// How alike the questions are (0–1; 1 for the same question).
    pub likeness: f64,
    pub articles: Vec<(ArticleId, String)>,
}

fn bigrams(key: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = key.chars().collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Questions answered before that are like `query` (their character pairs overlap by at least a third),
/// most alike first, at most `n`, with only the articles the reader may open.
pub fn similar(lib: &Library, query: &str, scope: &Scope, n: usize) -> Result<Vec<Answered>> {
    let key = question_key(query);
    let mine = bigrams(&key);
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    let mut groups: BTreeMap<String, Answered> = BTreeMap::new();
    for a in all(lib)? {
        let k = question_key(&a.query);
        let likeness = if k == key {
            1.0
        } else {
            let theirs = bigrams(&k);
            let common = mine.intersection(&theirs).count() as f64;
            common / (mine.len() + theirs.len()) as f64 * 2.0
        };
        if likeness < 1.0 / 3.0 || lib.article(&a.article, scope)?.is_none() {
            continue;
        }
        let g = groups.entry(k).or_insert_with(|| Answered {
            query: a.query.clone(),
            likeness,
            articles: Vec::new(),
        });
        g.articles.push((a.article, a.name));
    }
    let mut out: Vec<Answered> = groups.into_values().collect();
    out.sort_by(|a, b| b.likeness.total_cmp(&a.likeness));
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_typed_again_has_the_same_key() {
        assert_eq!(
            question_key("老板拖欠工资， 怎么办？"),
            question_key("老板拖欠工资怎么办")
        );
        assert!(question_key(" ？！ ").is_empty());
    }
}
