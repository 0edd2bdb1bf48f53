//! A law prior learned from labelled questions, measured by cross-validation: which laws a question is
//! about (naive Bayes over the question's character pairs, trained on the laws of the answering articles),
//! added to the search's own order of article hits, with its weight chosen on the training folds only.

use super::{Metrics, Question, average, normalize_name, score_ranking};
use serde::Serialize;
use std::collections::HashMap;

/// The law an article name belongs to: the name without its trailing `第…条`.
pub fn law_of(article: &str) -> &str {
    match article.rfind('第') {
        Some(i) if article[i..].ends_with('条') && i > 0 => &article[..i],
        _ => article,
    }
}

/// The character pairs of a question's Chinese and alphanumeric text, each once.
fn pairs(q: &str) -> Vec<String> {
    let chars: Vec<char> = q.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut out: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
    out.sort();
    out.dedup();
    out
}

/// Which laws questions are about, from labelled questions.
#[derive(Debug, Clone, Default)]
pub struct LawPrior {
    laws: Vec<String>,
    index: HashMap<String, usize>,
    /// Questions per law.
    questions: Vec<u32>,
    /// Pair counts per law, and their totals.
    counts: Vec<HashMap<String, u32>>,
    totals: Vec<u64>,
    vocabulary: usize,
    trained_on: usize,
}

/// Additive smoothing of pair counts.
const ALPHA: f64 = 0.1;
/// The lowest log probability a law gets, so that one unseen law does not sink an article.
const FLOOR: f64 = -9.0;

impl LawPrior {
    /// Learns from questions: each question counts once for each law among its answers.
    pub fn train<'a>(questions: impl IntoIterator<Item = &'a Question>) -> LawPrior {
        let mut p = LawPrior::default();
        let mut vocabulary: std::collections::HashSet<String> = Default::default();
        for q in questions {
            p.trained_on += 1;
            let ps = pairs(&q.query);
            let mut laws: Vec<String> = q
                .relevant
                .iter()
                .map(|r| law_of(&normalize_name(r)).to_string())
                .collect();
            laws.sort();
            laws.dedup();
            for law in laws {
                let k = *p.index.entry(law.clone()).or_insert_with(|| {
                    p.laws.push(law);
                    p.questions.push(0);
                    p.counts.push(HashMap::new());
                    p.totals.push(0);
                    p.laws.len() - 1
                });
                p.questions[k] += 1;
                for pair in &ps {
                    *p.counts[k].entry(pair.clone()).or_insert(0) += 1;
                    p.totals[k] += 1;
                    vocabulary.insert(pair.clone());
                }
            }
        }
        p.vocabulary = vocabulary.len();
        p
    }

    /// The log posterior of each known law for a question (normalised over the known laws).
    pub fn posterior(&self, query: &str) -> HashMap<&str, f64> {
        let ps = pairs(query);
        let n_laws = self.laws.len() as f64;
        let v = self.vocabulary.max(1) as f64;
        let joint: Vec<f64> = (0..self.laws.len())
            .map(|k| {
                let prior =
                    ((self.questions[k] as f64 + 1.0) / (self.trained_on as f64 + n_laws)).ln();
                let denom = self.totals[k] as f64 + ALPHA * v;
                prior
                    + ps.iter()
                        .map(|pair| {
                            let c = self.counts[k].get(pair).copied().unwrap_or(0) as f64;
                            ((c + ALPHA) / denom).ln()
                        })
                        .sum::<f64>()
            })
            .collect();
        let max = joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let norm = max + joint.iter().map(|j| (j - max).exp()).sum::<f64>().ln();
        self.laws
            .iter()
            .zip(joint)
            .map(|(law, j)| (law.as_str(), j - norm))
            .collect()
    }

    /// The search's order re-ranked: each article keeps `-ln(rank + 1)` and gains `weight` times its law's
    /// log posterior (floored); ties keep the search's order.
    pub fn rerank(&self, query: &str, ranked: &[String], weight: f64) -> Vec<String> {
        if weight == 0.0 || self.laws.is_empty() {
            return ranked.to_vec();
        }
        let post = self.posterior(query);
        let mut scored: Vec<(f64, usize)> = ranked
            .iter()
            .enumerate()
            .map(|(r, name)| {
                let p = post.get(law_of(name)).copied().unwrap_or(FLOOR).max(FLOOR);
                (-((r + 1) as f64).ln() + weight * p, r)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, r)| ranked[r].clone()).collect()
    }
}

/// The weights tried on the training folds.
pub const WEIGHTS: &[f64] = &[0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0];

/// Averages the metrics of re-ranked lists cut at 100.
fn metrics(prior: &LawPrior, weight: f64, items: &[(&Question, &Vec<String>)]) -> Metrics {
    average(
        items.iter().map(|(q, ranked)| {
            let mut list = prior.rerank(&q.query, ranked, weight);
            list.truncate(100);
            score_ranking(&list, &q.relevant)
        }),
        items.len(),
    )
}

/// One held-out fold: the search alone and with the prior, and the weight chosen without it.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    pub weight: f64,
    pub search: Metrics,
    pub with_prior: Metrics,
}

/// Cross-validated figures over `folds` folds (question `i` is held out in fold `i % folds`).
#[derive(Debug, Clone, Serialize)]
pub struct CrossValidation {
    pub folds: Vec<Fold>,
    pub search: Metrics,
    pub with_prior: Metrics,
}

fn mean(ms: impl Iterator<Item = Metrics>) -> Metrics {
    let ms: Vec<Metrics> = ms.collect();
    let total: usize = ms.iter().map(|m| m.questions).sum();
    let w = |m: &Metrics| m.questions as f64 / total.max(1) as f64;
    Metrics {
        questions: total,
        recall_at_10: ms.iter().map(|m| m.recall_at_10 * w(m)).sum(),
        recall_at_100: ms.iter().map(|m| m.recall_at_100 * w(m)).sum(),
        mrr_at_10: ms.iter().map(|m| m.mrr_at_10 * w(m)).sum(),
        ndcg_at_10: ms.iter().map(|m| m.ndcg_at_10 * w(m)).sum(),
    }
}

/// Cross-validates the law prior over the search's rankings (`ranked[i]` for `questions[i]`, deeper than
/// 100 so that re-ranking can bring articles into the first 100). The weight of each fold is the one with
/// the best Recall@10 + MRR@10 on a quarter of the other folds, for a prior learned from the rest of them.
pub fn cross_validate(
    questions: &[Question],
    ranked: &[Vec<String>],
    folds: usize,
) -> CrossValidation {
    let folds = folds.clamp(2, questions.len().max(2));
    let mut out = Vec::new();
    for k in 0..folds {
        let (held, train): (Vec<usize>, Vec<usize>) =
            (0..questions.len()).partition(|i| i % folds == k);
        // The weight is chosen on a quarter of the training questions by a prior learned from the other
        // three quarters: a prior scored on its own training questions knows their laws and asks for too
        // much weight.
        let tune: Vec<usize> = train.iter().copied().step_by(4).collect();
        let fit: Vec<usize> = train
            .iter()
            .enumerate()
            .filter(|(j, _)| j % 4 != 0)
            .map(|(_, &i)| i)
            .collect();
        let inner = LawPrior::train(fit.iter().map(|&i| &questions[i]));
        let tune_items: Vec<(&Question, &Vec<String>)> =
            tune.iter().map(|&i| (&questions[i], &ranked[i])).collect();
        let weight = WEIGHTS
            .iter()
            .copied()
            .map(|w| {
                let m = metrics(&inner, w, &tune_items);
                (m.recall_at_10 + m.mrr_at_10, w)
            })
            .fold((f64::NEG_INFINITY, 0.0), |best, x| {
                if x.0 > best.0 { x } else { best }
            })
            .1;
        let prior = LawPrior::train(train.iter().map(|&i| &questions[i]));
        let held_items: Vec<(&Question, &Vec<String>)> =
            held.iter().map(|&i| (&questions[i], &ranked[i])).collect();
        out.push(Fold {
            weight,
            search: metrics(&prior, 0.0, &held_items),
            with_prior: metrics(&prior, weight, &held_items),
        });
    }
    CrossValidation {
        search: mean(out.iter().map(|f| f.search.clone())),
        with_prior: mean(out.iter().map(|f| f.with_prior.clone())),
        folds: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(query: &str, relevant: &[&str]) -> Question {
        Question {
            id: serde_json::Value::Null,
            query: query.into(),
            relevant: relevant.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_law_is_its_article_name_without_the_article() {
        assert_eq!(law_of("民法典第一千零四十二条"), "民法典");
        assert_eq!(law_of("预算法第四十六条"), "预算法");
        assert_eq!(law_of("预算法"), "预算法");
    }

    #[test]
    fn the_prior_learns_which_law_words_point_to_and_moves_its_articles_up() {
        let train = vec![
            q("离婚后孩子归谁抚养", &["民法典第一千零八十四条"]),
            q("离婚财产怎么分割", &["民法典第一千零八十七条"]),
            q("老板拖欠工资怎么办", &["劳动合同法第三十条"]),
            q("老板不签合同", &["劳动合同法第八十二条"]),
        ];
        let p = LawPrior::train(&train);
        let post = p.posterior("离婚时房子怎么分");
        assert!(post["民法典"] > post["劳动合同法"], "{post:?}");
        let ranked: Vec<String> = ["劳动合同法第三十条", "民法典第一千零八十七条"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(p.rerank("离婚时房子怎么分", &ranked, 0.0), ranked);
        assert_eq!(
            p.rerank("离婚时房子怎么分", &ranked, 1.0)[0],
            "民法典第一千零八十七条"
        );
    }

    #[test]
    fn cross_validation_holds_each_question_out_once() {
        let qs: Vec<Question> = (0..10)
            .map(|i| q(&format!("离婚问题{i}"), &["民法典第一千零八十七条"]))
            .collect();
        let ranked: Vec<Vec<String>> = qs
            .iter()
            .map(|_| vec!["劳动合同法第三十条".into(), "民法典第一千零八十七条".into()])
            .collect();
        let cv = cross_validate(&qs, &ranked, 5);
        assert_eq!(cv.folds.len(), 5);
        assert_eq!(cv.search.questions, 10);
        assert!((cv.search.mrr_at_10 - 0.5).abs() < 1e-9);
        assert!(cv.with_prior.mrr_at_10 > 0.99, "{cv:?}");
    }
}
