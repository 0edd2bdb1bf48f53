//! 宏观经济分析: indicator series by year. Values are read from the State Council government work reports
//! (`extract`: pure over a report's text, with the indicators, their aliases and sentence patterns as data in
//! `corpus/reference/macro-indicators.json`) and imported from CSV or XLSX tables (`import`); `view` joins both
//! inside a reader's scope, and `eval` measures the extraction against hand-labelled values.
//!
//! The report values are computed on demand from the stored text (and kept in memory until a document changes),
//! not stored at ingest: a changed pattern file then takes effect at the next start without re-ingesting.

pub mod eval;
pub mod extract;
pub mod import;
pub mod view;

use serde::{Deserialize, Serialize};
use std::fmt;

/// The file of the reference folder that holds the indicators and their patterns.
pub const INDICATORS_FILE: &str = "macro-indicators.json";

const BUILTIN: &str = include_str!("../../../corpus/reference/macro-indicators.json");

crate::model::label_enum!(
    /// Whether a value is what a year was to reach or what it reached.
    Kind {
        Target => "目标",
        Outcome => "实际",
    }
);

/// One indicator of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Indicator {
    /// A stable identifier (gdp_growth).
    pub id: String,
    /// Its Chinese name (国内生产总值增长率).
    pub name: String,
    /// The unit every value is given in (%, 亿元, 万人, 万吨).
    pub unit: String,
    /// Values outside [min, max] are not taken (a five-year total is not one year's value).
    pub min: f64,
    pub max: f64,
    /// Words that, right before a match, make it another indicator (中央财政赤字 is not 财政赤字).
    #[serde(default)]
    pub not_after: Vec<String>,
    /// Sentence patterns with placeholders (see the file's `about`).
    pub patterns: Vec<String>,
}

/// The indicator catalog and the words that place a sentence in time.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    pub indicators: Vec<Indicator>,
    /// A sentence with one of these (before the value) states a target.
    pub target_words: Vec<String>,
    /// A sentence with one of these (before the value) states an outcome, even in a year's plan.
    pub outcome_words: Vec<String>,
    /// The report's own year (今年).
    pub this_year: Vec<String>,
    /// The year before the report (去年).
    pub last_year: Vec<String>,
    /// A year right after one of these is compared with, not spoken of (比上年, 比2010年).
    pub compare_before_year: Vec<String>,
    /// Words of several years (五年, 年均, 累计): a value after them in its sentence is no single year's.
    pub skip_words: Vec<String>,
    /// Sections about a five-year plan.
    pub skip_sections: Vec<String>,
    /// Sections that review the year before.
    pub review_sections: Vec<String>,
}

/// A catalog that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("宏观经济指标文件有误：{0}")]
pub struct CatalogError(String);

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog::builtin()
    }
}

impl Catalog {
    /// The catalog shipped with the program.
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN).expect("the built-in indicator catalog is valid")
    }

    /// Parses a catalog; every pattern must compile.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let catalog: Catalog =
            serde_json::from_str(text).map_err(|e| CatalogError(e.to_string()))?;
        for ind in &catalog.indicators {
            for p in &ind.patterns {
                extract::compile(p).map_err(|e| CatalogError(format!("{}: {e}", ind.id)))?;
            }
        }
        Ok(catalog)
    }

    /// The indicator with this id or name.
    pub fn indicator(&self, key: &str) -> Option<&Indicator> {
        let key = key.trim();
        self.indicators
            .iter()
            .find(|i| i.id == key || i.name == key)
    }
}

/// One value of a series: what an indicator was (or was to be) in a year, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesValue {
    /// The indicator's id, or for an imported series its name as the file gives it.
    pub indicator: String,
    pub year: i32,
    pub kind: Kind,
    pub value: f64,
    /// The upper end of a range (6%－6.5%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// 左右, 以上, 以内 … as written after the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    pub unit: String,
    pub source: Source,
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// A sentence of a report: the document, its title and year, the sentence as written and its byte offset.
    Report {
        doc_id: String,
        title: String,
        report_year: i32,
        sentence: String,
        offset: usize,
    },
    /// A row of an imported file (its name and line).
    Import { file: String, line: usize },
}
