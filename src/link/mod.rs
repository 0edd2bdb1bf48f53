//! Links from documents to budget subjects and special topics: the reference data (subject tree, topic rules,
//! characteristic terms of subjects) and the pure linker that turns a document into scored links with evidence.
//!
//! Nothing here touches the store or the index; `crate::linking` does that.

pub mod decision;
pub mod linker;
pub mod taxonomy;
pub mod terms;
pub mod topics;

use crate::error::Result;
use std::path::Path;

pub use decision::{Decision, Target, Verdict};
pub use linker::{Evidence, Links, Rule, SubjectLink, TopicLink};
pub use taxonomy::{Budget, Subject, Taxonomy};
pub use terms::SubjectTerms;
pub use topics::{Topic, Topics};

/// File names of the reference data inside the reference folder.
pub const SUBJECTS_FILE: &str = "subjects.csv";
pub const TOPICS_FILE: &str = "topics.json";
pub const SUBJECT_TERMS_FILE: &str = "subject-terms.json";

/// The reference data the linker works with, loaded once and compiled for matching.
#[derive(Debug, Default)]
pub struct Reference {
    pub taxonomy: Taxonomy,
    pub topics: Topics,
    pub terms: SubjectTerms,
    /// The standard budget tables and column names (`budget-tables.json`; the built-in catalog without it).
    pub budget_tables: crate::budget::Catalog,
    /// The 预警 rule catalog (`budget-checks.json`; the built-in catalog without it).
    pub budget_checks: crate::budget::checks::Rules,
    /// The macro indicators read from the work reports (`macro-indicators.json`; the built-in catalog without it).
    pub macro_indicators: crate::budget::series::Catalog,
    /// The column names of pushed execution data (`execution-columns.json`; built-in without it).
    pub execution_columns: crate::budget::execution::parse::Aliases,
    /// The pace rules over execution data (`execution-rules.json`; built-in without it).
    pub execution_rules: crate::budget::execution::pace::PaceRules,
    matchers: linker::Matchers,
}

impl Reference {
    /// Loads the reference folder. A missing file gives an empty part (no subjects, no topics); a malformed
    /// file is an error.
    pub fn load(dir: &Path) -> Result<Reference> {
        let subjects = dir.join(SUBJECTS_FILE);
        let taxonomy = if subjects.exists() {
            Taxonomy::load(&subjects)?
        } else {
            Taxonomy::default()
        };
        let topics_file = dir.join(TOPICS_FILE);
        let topics = if topics_file.exists() {
            Topics::load(&topics_file)?
        } else {
            Topics::default()
        };
        let terms_file = dir.join(SUBJECT_TERMS_FILE);
        let terms = if terms_file.exists() {
            SubjectTerms::load(&terms_file, &taxonomy)?
        } else {
            SubjectTerms::default()
        };
        let mut reference = Reference::new(taxonomy, topics, terms);
        let catalog = dir.join(crate::budget::recognise::CATALOG_FILE);
        if catalog.exists() {
            reference.budget_tables = crate::budget::Catalog::load(&catalog)
                .map_err(|e| crate::error::Error::Invalid(e.to_string()))?;
        }
        let checks = dir.join(crate::budget::checks::RULES_FILE);
        if checks.exists() {
            let text = std::fs::read_to_string(&checks)
                .map_err(|e| crate::error::Error::io(&checks, e))?;
            reference.budget_checks = crate::budget::checks::Rules::parse(&text)
                .map_err(|e| crate::error::Error::Invalid(format!("{}: {e}", checks.display())))?;
        }
        let indicators = dir.join(crate::budget::series::INDICATORS_FILE);
        if indicators.exists() {
            let text = std::fs::read_to_string(&indicators)
                .map_err(|e| crate::error::Error::io(&indicators, e))?;
            reference.macro_indicators =
                crate::budget::series::Catalog::parse(&text).map_err(|e| {
                    crate::error::Error::Invalid(format!("{}: {e}", indicators.display()))
                })?;
        }
        let columns = dir.join(crate::budget::execution::parse::COLUMNS_FILE);
        if columns.exists() {
            let text = std::fs::read_to_string(&columns)
                .map_err(|e| crate::error::Error::io(&columns, e))?;
            reference.execution_columns = crate::budget::execution::parse::Aliases::parse(&text)
                .map_err(|e| crate::error::Error::Invalid(format!("{}: {e}", columns.display())))?;
        }
        let rules = dir.join(crate::budget::execution::pace::RULES_FILE);
        if rules.exists() {
            let text =
                std::fs::read_to_string(&rules).map_err(|e| crate::error::Error::io(&rules, e))?;
            reference.execution_rules = crate::budget::execution::pace::PaceRules::parse(&text)
                .map_err(|e| crate::error::Error::Invalid(format!("{}: {e}", rules.display())))?;
        }
        Ok(reference)
    }

    /// Builds a reference from its parts.
    pub fn new(taxonomy: Taxonomy, topics: Topics, terms: SubjectTerms) -> Reference {
        let matchers = linker::Matchers::build(&taxonomy, &topics, &terms);
        Reference {
            taxonomy,
            topics,
            terms,
            budget_tables: crate::budget::Catalog::builtin(),
            budget_checks: crate::budget::checks::Rules::builtin(),
            macro_indicators: crate::budget::series::Catalog::builtin(),
            execution_columns: Default::default(),
            execution_rules: Default::default(),
            matchers,
        }
    }

    /// Links a document (see `linker::link`).
    pub fn link(&self, doc: &crate::model::Document) -> Links {
        linker::link(doc, self)
    }
}
