//! The series of a library: the values read from every government work report the reader may see (computed
//! from the stored text and kept in memory until a document changes) joined with the imported series, by
//! indicator, year and kind; and the import of a series table into the store.

use super::extract::Extractor;
use super::import::{self, Imported};
use super::{Catalog, Kind, SeriesValue, Source};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Access, DocKind, Scope};
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A value read from a report, with who may read the report.
#[derive(Debug, Clone)]
struct Read {
    value: SeriesValue,
    access: Access,
    owners: Vec<String>,
}

/// The values read from the reports, for one state of the store.
#[derive(Debug, Default)]
pub struct Cache(Mutex<Option<(u64, Arc<Vec<Read>>)>>);

/// Whether a document is a State Council government work report with a year.
fn is_report(title: &str) -> bool {
    title.contains("政府工作报告")
}

/// The values of every report, read again when documents changed since the last reading.
fn report_values(lib: &Library) -> Result<Arc<Vec<Read>>> {
    let store = lib.store();
    let mut guard = lib
        .series_cache()
        .0
        .lock()
        .map_err(|_| Error::Invalid("the series cache was poisoned".into()))?;
    let generation = store.facts_generation();
    if let Some((g, values)) = guard.as_ref()
        && *g == generation
    {
        return Ok(values.clone());
    }
    let catalog = &lib.reference().macro_indicators;
    let extractor = Extractor::new(catalog);
    let mut out = Vec::new();
    for (title, id) in store.all_titles()? {
        if !is_report(&title) {
            continue;
        }
        let Some(doc) = store.get_meta(&id)? else {
            continue;
        };
        let (DocKind::WorkReport, Some(year), None) = (doc.kind, doc.year, &doc.region) else {
            continue;
        };
        for value in extractor.extract(&doc.body, year, (id.as_str(), &doc.title)) {
            out.push(Read {
                value,
                access: doc.access,
                owners: doc.owners.clone(),
            });
        }
    }
    let out = Arc::new(out);
    *guard = Some((generation, out.clone()));
    Ok(out)
}

/// Which values to show; empty fields do not restrict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Indicator ids or names; none: the first indicator with values.
    pub indicators: Vec<String>,
    pub kind: Option<Kind>,
    pub from: Option<i32>,
    pub to: Option<i32>,
}

/// An indicator as a choice, with its number of values in the reader's scope.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorChoice {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub values: usize,
    /// Read from the reports (false: imported only).
    pub extracted: bool,
}

/// One value as the page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub indicator: String,
    pub name: String,
    pub year: i32,
    pub kind: Kind,
    pub value: f64,
    pub upper: Option<f64>,
    pub qualifier: Option<String>,
    pub unit: String,
    pub source: Source,
}

/// The 宏观经济分析 view.
#[derive(Debug, Clone, Serialize)]
pub struct MacroView {
    /// The indicators shown (ids).
    pub selected: Vec<String>,
    pub kind: Option<Kind>,
    pub from: Option<i32>,
    pub to: Option<i32>,
    /// The values, by indicator (in the order selected), year and kind (目标 before 实际).
    pub rows: Vec<Row>,
    /// Every indicator with values, catalog indicators first.
    pub indicators: Vec<IndicatorChoice>,
}

/// The view for a selection, inside the reader's scope. An indicator neither in the catalog nor imported is
/// an error (`Error::Query`).
pub fn macro_view(lib: &Library, sel: &Selection, scope: &Scope) -> Result<MacroView> {
    let catalog = &lib.reference().macro_indicators;
    let mut all: Vec<SeriesValue> = report_values(lib)?
        .iter()
        .filter(|r| scope.allows(r.access, &r.owners))
        .map(|r| r.value.clone())
        .collect();
    let extracted: std::collections::HashSet<String> =
        all.iter().map(|v| v.indicator.clone()).collect();
    all.extend(lib.store().series()?);
    let indicators = choices(catalog, &all, &extracted);
    let mut selected = Vec::new();
    for key in &sel.indicators {
        let id = catalog
            .indicator(key)
            .map(|i| i.id.clone())
            .or_else(|| {
                indicators
                    .iter()
                    .find(|c| c.id == key.trim())
                    .map(|c| c.id.clone())
            })
            .ok_or_else(|| Error::Query(format!("没有指标「{key}」")))?;
        if !selected.contains(&id) {
            selected.push(id);
        }
    }
    if selected.is_empty()
        && let Some(first) = indicators.iter().find(|c| c.values > 0)
    {
        selected.push(first.id.clone());
    }
    let mut rows: Vec<Row> = all
        .into_iter()
        .filter(|v| selected.contains(&v.indicator))
        .filter(|v| sel.kind.is_none_or(|k| v.kind == k))
        .filter(|v| sel.from.is_none_or(|y| v.year >= y))
        .filter(|v| sel.to.is_none_or(|y| v.year <= y))
        .map(|v| Row {
            name: name_of(catalog, &v.indicator),
            indicator: v.indicator,
            year: v.year,
            kind: v.kind,
            value: v.value,
            upper: v.upper,
            qualifier: v.qualifier,
            unit: v.unit,
            source: v.source,
        })
        .collect();
    // An imported value stands beside the report's, imported first where both give one year and kind.
    rows.sort_by(|a, b| {
        let pos = |r: &Row| selected.iter().position(|s| *s == r.indicator);
        (
            pos(a),
            a.year,
            a.kind,
            matches!(a.source, Source::Report { .. }),
        )
            .cmp(&(
                pos(b),
                b.year,
                b.kind,
                matches!(b.source, Source::Report { .. }),
            ))
    });
    Ok(MacroView {
        selected,
        kind: sel.kind,
        from: sel.from,
        to: sel.to,
        rows,
        indicators,
    })
}

fn name_of(catalog: &Catalog, id: &str) -> String {
    catalog
        .indicator(id)
        .map_or_else(|| id.to_string(), |i| i.name.clone())
}

fn choices(
    catalog: &Catalog,
    all: &[SeriesValue],
    extracted: &std::collections::HashSet<String>,
) -> Vec<IndicatorChoice> {
    let count = |id: &str| all.iter().filter(|v| v.indicator == id).count();
    let mut out: Vec<IndicatorChoice> = catalog
        .indicators
        .iter()
        .map(|i| IndicatorChoice {
            id: i.id.clone(),
            name: i.name.clone(),
            unit: i.unit.clone(),
            values: count(&i.id),
            extracted: extracted.contains(&i.id),
        })
        .collect();
    for v in all {
        if !out.iter().any(|c| c.id == v.indicator) {
            out.push(IndicatorChoice {
                id: v.indicator.clone(),
                name: v.indicator.clone(),
                unit: v.unit.clone(),
                values: count(&v.indicator),
                extracted: false,
            });
        }
    }
    out
}

/// Imports a series table into the store (under the write gate, flushed before returning): the rows taken and
/// the rows refused with their reasons.
pub fn import_file(lib: &Library, path: &Path) -> Result<Imported> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let imported = import::parse(path, &bytes, &lib.reference().macro_indicators)
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    let _writing = lib.writing();
    lib.store().put_series(&imported.values)?;
    lib.store().flush()?;
    Ok(imported)
}
