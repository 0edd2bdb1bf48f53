//! A topic's dossier: everything the library holds on one special topic, grouped the way a budget committee
//! reads it — policies and regulations (with the articles that matter most), the fiscal side (the topic's
//! subjects and the amounts tables give for them by year), congress supervision, and outcomes (performance
//! and audit) — plus one timeline of all of it.

use super::{effective_links, taxonomy};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Date, DocId, DocKind, Filters, Scope, Sort, Unit};
use crate::search::{self, SearchRequest};
use chrono::Datelike;
use serde::Serialize;

/// The parts of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// Laws, regulations, rules and policy documents.
    Policy,
    /// Budgets and final accounts.
    Fiscal,
    /// Work reports, reviews, deputies' proposals and the replies to them.
    Supervision,
    /// Performance evaluations and audit documents.
    Outcome,
}

impl Section {
    pub const ALL: &'static [Section] = &[
        Section::Policy,
        Section::Fiscal,
        Section::Supervision,
        Section::Outcome,
    ];

    /// The Chinese heading.
    pub fn label(self) -> &'static str {
        match self {
            Section::Policy => "政策法规",
            Section::Fiscal => "财政收支",
            Section::Supervision => "人大监督",
            Section::Outcome => "绩效与审计",
        }
    }

    /// The section of a document, by its title (performance and audit documents) and else its kind.
    pub fn of(kind: DocKind, title: &str) -> Section {
        const OUTCOME_WORDS: &[&str] = &["审计", "绩效评价", "绩效自评", "绩效报告", "评价报告"];
        if !kind.is_regulation() && OUTCOME_WORDS.iter().any(|w| title.contains(w)) {
            return Section::Outcome;
        }
        if kind.is_regulation() || kind == DocKind::Policy {
            Section::Policy
        } else if matches!(kind, DocKind::Budget | DocKind::FinalAccount) {
            Section::Fiscal
        } else {
            Section::Supervision
        }
    }
}

/// A document in a dossier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierEntry {
    pub doc_id: DocId,
    pub title: String,
    pub kind: DocKind,
    pub section: Section,
    /// The version, publication or effect date, where the document has one.
    pub date: Option<Date>,
    pub year: Option<i32>,
    /// The score of the document's link to the topic (0 when a person confirmed it without evidence).
    pub score: f64,
}

/// An article of a regulation in the topic, most relevant first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierArticle {
    pub id: String,
    pub doc_id: DocId,
    pub name: String,
    /// A passage with the topic's terms marked (`<mark>`), HTML-escaped.
    pub snippet: String,
}

/// One of the topic's subjects, with the number of documents linked to it or its descendants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierSubject {
    pub code: String,
    pub name: String,
    pub documents: u64,
}

/// What a topic document's tables say it spends on one of the topic's subjects (from its facts, see
/// `budget::query::headline`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierAmount {
    pub year: Option<i32>,
    pub doc_id: DocId,
    pub title: String,
    /// The issuing unit (部门).
    pub unit: Option<String>,
    pub code: String,
    pub name: String,
    /// The table's title and the column the amount stands in.
    pub table: String,
    pub column: String,
    /// 万元.
    pub amount: f64,
    /// The cell's anchor on the document page (`t3-r7-c5`).
    pub cell: String,
}

/// One of the topic's subjects in every budget and final account of the library: its amounts by unit (rows)
/// and year (columns), from `budget::pivot`, whether or not the documents are linked to the topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierFiscal {
    pub code: String,
    pub name: String,
    pub pivot: crate::budget::pivot::Pivot,
}

/// A topic's dossier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dossier {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Documents linked to the topic (all of them, though at most `limit` are listed).
    pub total: usize,
    /// The listed documents by section, in `Section::ALL` order, newest first within a section; empty
    /// sections are left out.
    pub sections: Vec<(Section, Vec<DossierEntry>)>,
    /// The regulations' articles that matter most for the topic.
    pub articles: Vec<DossierArticle>,
    pub subjects: Vec<DossierSubject>,
    /// Newest year first, then code order.
    pub amounts: Vec<DossierAmount>,
    /// Per subject code: totals per table and column over the topic's documents (each document once).
    pub totals: Vec<(String, crate::budget::query::ColumnTotal)>,
    /// Years with documents, newest first.
    pub years: Vec<i32>,
    /// The topic's subjects with amounts, by unit and year (subjects no table names are left out).
    pub fiscal: Vec<DossierFiscal>,
}

impl Dossier {
    /// Every listed document on one timeline, newest first (undated ones last).
    pub fn timeline(&self) -> Vec<&DossierEntry> {
        let mut all: Vec<&DossierEntry> = self.sections.iter().flat_map(|(_, e)| e).collect();
        let key = |e: &DossierEntry| {
            e.date
                .or_else(|| e.year.and_then(|y| Date::from_ymd_opt(y, 1, 1)))
        };
        all.sort_by(|a, b| {
            key(b)
                .is_some()
                .cmp(&key(a).is_some())
                .then(key(b).cmp(&key(a)))
                .then_with(|| a.title.cmp(&b.title))
        });
        all
    }
}

/// Articles listed in a dossier at most.
const MAX_ARTICLES: usize = 8;

/// The dossier of a topic (by id or name), listing at most `limit` documents, all inside `scope`.
pub fn topic_dossier(lib: &Library, topic: &str, limit: usize, scope: &Scope) -> Result<Dossier> {
    let Some(t) = lib.reference().topics.find(topic) else {
        return Err(Error::NotFound(format!("topic {topic}")));
    };
    let filters = Filters {
        topics: vec![t.name.clone()],
        ..Filters::default()
    };
    let docs = search::search(
        lib,
        &SearchRequest {
            filters: filters.clone(),
            unit: Unit::Document,
            sort: Sort::Date,
            limit: limit.min(lib.config.max_window),
            scope: scope.clone(),
            ..SearchRequest::default()
        },
    )?;
    let mut entries = Vec::new();
    let mut years = std::collections::BTreeSet::new();
    let mut amounts = Vec::new();
    for h in &docs.hits {
        let Some(doc) = lib.store().get_meta(&h.doc_id)? else {
            continue;
        };
        let score = effective_links(lib, &doc)?
            .topics
            .iter()
            .find(|l| l.id == t.id)
            .map(|l| l.score)
            .unwrap_or(0.0);
        if let Some(y) = doc.year {
            years.insert(y);
        }
        entries.push(DossierEntry {
            section: Section::of(doc.kind, &doc.title),
            date: doc.version_date.or(doc.published).or(doc.effective),
            doc_id: doc.id.clone(),
            title: doc.title.clone(),
            kind: doc.kind,
            year: doc.year,
            score,
        });
    }
    let mut sections = Vec::new();
    for s in Section::ALL {
        let mut list: Vec<DossierEntry> = entries
            .iter()
            .filter(|e| e.section == *s)
            .cloned()
            .collect();
        if list.is_empty() {
            continue;
        }
        list.sort_by(|a, b| {
            (b.date.map(|d| d.year()).or(b.year), b.date)
                .cmp(&(a.date.map(|d| d.year()).or(a.year), a.date))
                .then_with(|| a.title.cmp(&b.title))
        });
        sections.push((*s, list));
    }
    let listed: Vec<DocId> = entries.iter().map(|e| e.doc_id.clone()).collect();
    let mut totals = Vec::new();
    for code in &t.subjects {
        let found = crate::budget::query::subject_amounts(lib, code, Some(&listed), scope)?;
        for e in &entries {
            if let Some(f) = crate::budget::query::headline(&found.facts, &e.doc_id) {
                amounts.push(DossierAmount {
                    year: f.year.or(e.year),
                    doc_id: e.doc_id.clone(),
                    title: e.title.clone(),
                    unit: f.unit.clone(),
                    code: code.clone(),
                    name: f.name.clone(),
                    table: f.table.clone(),
                    column: f.column.clone(),
                    amount: f.amount,
                    cell: format!("t{}-r{}-c{}", f.table_index + 1, f.row + 1, f.col + 1),
                });
            }
        }
        totals.extend(found.totals.into_iter().map(|x| (code.clone(), x)));
    }
    amounts.sort_by(|a, b| {
        b.year
            .cmp(&a.year)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.title.cmp(&b.title))
    });
    let tree = taxonomy(lib, scope)?;
    let mut subjects = Vec::new();
    for code in &t.subjects {
        let found = search::search(
            lib,
            &SearchRequest {
                filters: Filters {
                    subjects: vec![code.clone()],
                    ..Filters::default()
                },
                unit: Unit::Document,
                limit: 0,
                scope: scope.clone(),
                ..SearchRequest::default()
            },
        )?;
        subjects.push(DossierSubject {
            code: code.clone(),
            name: tree.name(code).unwrap_or_default().to_string(),
            documents: found.total as u64,
        });
    }
    let mut fiscal = Vec::new();
    for s in &subjects {
        let pivot = crate::budget::pivot::pivot(
            lib,
            &crate::budget::pivot::PivotSelection {
                rows: crate::budget::pivot::Dim::Unit,
                cols: crate::budget::pivot::Dim::Year,
                code: Some(s.code.clone()),
                ..Default::default()
            },
            scope,
        )?;
        if !pivot.rows.is_empty() {
            fiscal.push(DossierFiscal {
                code: s.code.clone(),
                name: s.name.clone(),
                pivot,
            });
        }
    }
    Ok(Dossier {
        fiscal,
        id: t.id.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
        total: docs.total,
        sections,
        articles: key_articles(lib, &t.include, filters, scope)?,
        subjects,
        amounts,
        totals,
        years: years.into_iter().rev().collect(),
    })
}

/// The articles of the topic's regulations ranked by the topic's include terms.
fn key_articles(
    lib: &Library,
    terms: &[String],
    filters: Filters,
    scope: &Scope,
) -> Result<Vec<DossierArticle>> {
    let mut q = String::new();
    for term in terms {
        // Quotation marks of any kind inside a term would end the phrase early (“三公”经费).
        let quoted = format!("\"{}\"", term.replace(['"', '“', '”', '「', '」'], ""));
        let next = if q.is_empty() {
            quoted
        } else {
            format!("{q} OR {quoted}")
        };
        if next.chars().count() > lib.config.max_query_chars {
            break;
        }
        q = next;
    }
    let found = search::search(
        lib,
        &SearchRequest {
            q,
            filters,
            unit: Unit::Article,
            limit: MAX_ARTICLES,
            scope: scope.clone(),
            ..SearchRequest::default()
        },
    )?;
    Ok(found
        .hits
        .into_iter()
        .map(|h| DossierArticle {
            id: h.id,
            doc_id: h.doc_id,
            name: h.name,
            snippet: h.snippet.to_html(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_fall_into_sections_by_kind_and_title() {
        assert_eq!(Section::of(DocKind::Law, "示例审计法"), Section::Policy);
        assert_eq!(
            Section::of(DocKind::Policy, "关于加强预算绩效管理的通知"),
            Section::Policy
        );
        assert_eq!(
            Section::of(DocKind::FinalAccount, "2024年部门决算"),
            Section::Fiscal
        );
        assert_eq!(
            Section::of(
                DocKind::WorkReport,
                "2024年度本级预算执行和其他财政收支的审计工作报告"
            ),
            Section::Outcome
        );
        assert_eq!(
            Section::of(DocKind::Other, "2024年项目绩效评价报告"),
            Section::Outcome
        );
        assert_eq!(
            Section::of(DocKind::Proposal, "关于加大学前教育投入的建议"),
            Section::Supervision
        );
    }
}
