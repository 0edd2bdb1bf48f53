//! The execution data in memory: the rows that count (for each year, month and budget unit, those of the
//! latest batch that sent it), summed over economic codes into one row per unit, subject, fund and month, as
//! columns sorted by year, unit, subject, fund and month, so that a unit's series of months is contiguous.
//! Rebuilt from the store after every applied batch, on first use.

use super::{BatchStatus, ExecRow, Fund, is_capital};
use crate::error::Result;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A budget unit: its name, its department and region (indices into `departments` and `regions`).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitInfo {
    pub name: String,
    pub department: u32,
    pub region: u32,
}

/// The execution data as columns (one entry per unit × subject × fund × month).
#[derive(Debug, Default)]
pub struct ExecColumns {
    pub units: Vec<UnitInfo>,
    pub departments: Vec<String>,
    pub regions: Vec<String>,
    pub codes: Vec<String>,
    pub year: Vec<i32>,
    pub month: Vec<u8>,
    pub unit: Vec<u32>,
    pub code: Vec<u32>,
    pub fund: Vec<Fund>,
    pub budget: Vec<f64>,
    pub adjustment: Vec<f64>,
    pub allocated: Vec<f64>,
    pub executed: Vec<f64>,
    /// The part of `executed` and of `budget` on capital economic codes.
    pub capital_executed: Vec<f64>,
    pub capital_budget: Vec<f64>,
    /// Applied batches and the rows that count.
    pub batches: usize,
    pub rows: usize,
}

#[derive(Default, Clone, Copy)]
struct Agg {
    budget: f64,
    adjustment: f64,
    allocated: f64,
    executed: f64,
    capital_executed: f64,
    capital_budget: f64,
}

/// Interns names.
#[derive(Default)]
struct Names {
    ids: HashMap<String, u32>,
    list: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(i) = self.ids.get(name) {
            return *i;
        }
        let i = self.list.len() as u32;
        self.list.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        i
    }
}

impl ExecColumns {
    /// Builds the columns from the stored batches.
    pub fn build(store: &Store) -> Result<ExecColumns> {
        let mut applied: Vec<_> = store
            .execution_batches()?
            .into_iter()
            .filter(|b| b.status == BatchStatus::Applied)
            .collect();
        applied.sort_by_key(|b| b.order);
        // The batch that counts for each (year, month, unit): the latest.
        let mut live: HashMap<(i32, u8, &str), u64> = HashMap::new();
        for b in &applied {
            for (y, m, u) in &b.covers {
                live.insert((*y, *m, u.as_str()), b.order);
            }
        }
        let mut builder = Builder::default();
        for b in &applied {
            if !b
                .covers
                .iter()
                .any(|(y, m, u)| live.get(&(*y, *m, u.as_str())) == Some(&b.order))
            {
                continue;
            }
            builder.batches += 1;
            for chunk in store.execution_chunks(&b.id)? {
                for r in chunk.rows() {
                    if live.get(&(r.year, r.month, r.unit.as_str())) == Some(&b.order) {
                        builder.add(&r);
                    }
                }
            }
        }
        Ok(builder.finish())
    }

    /// Columns of rows that all count (for tests and measurements).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a ExecRow>) -> ExecColumns {
        let mut builder = Builder::default();
        for r in rows {
            builder.add(r);
        }
        builder.finish()
    }

    pub fn len(&self) -> usize {
        self.year.len()
    }

    pub fn is_empty(&self) -> bool {
        self.year.is_empty()
    }

    /// The years with data, newest first.
    pub fn years(&self) -> Vec<i32> {
        let mut y = self.year.clone();
        y.dedup();
        y.sort_unstable_by(|a, b| b.cmp(a));
        y.dedup();
        y
    }

    /// The range of entries of a year (entries are sorted by year first).
    pub fn year_range(&self, year: i32) -> std::ops::Range<usize> {
        let start = self.year.partition_point(|y| *y < year);
        let end = self.year.partition_point(|y| *y <= year);
        start..end
    }

    /// The latest month with data in a year.
    pub fn latest_month(&self, year: i32) -> Option<u8> {
        self.month[self.year_range(year)].iter().copied().max()
    }

    /// Whether entry `i + 1` continues the series (unit, subject, fund) of entry `i`.
    pub fn same_series(&self, i: usize, j: usize) -> bool {
        j < self.len()
            && self.year[i] == self.year[j]
            && self.unit[i] == self.unit[j]
            && self.code[i] == self.code[j]
            && self.fund[i] == self.fund[j]
    }

    /// Approximate memory held, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.len() * (4 + 1 + 4 + 4 + 1 + 6 * 8)
            + self.units.iter().map(|u| u.name.len() + 32).sum::<usize>()
            + self.codes.iter().map(|c| c.len() + 24).sum::<usize>()
    }
}

/// Sums rows into entries.
#[derive(Default)]
struct Builder {
    units: Names,
    departments: Names,
    regions: Names,
    codes: Names,
    unit_info: Vec<(u32, u32)>,
    sums: HashMap<(i32, u32, u32, Fund, u8), Agg>,
    rows: usize,
    batches: usize,
}

impl Builder {
    fn add(&mut self, r: &ExecRow) {
        self.rows += 1;
        let u = self.units.id(&r.unit);
        let d = self.departments.id(&r.department);
        let g = self.regions.id(&r.region);
        if u as usize == self.unit_info.len() {
            self.unit_info.push((d, g));
        } else {
            self.unit_info[u as usize] = (d, g);
        }
        let c = self.codes.id(&r.code);
        let a = self
            .sums
            .entry((r.year, u, c, r.fund, r.month))
            .or_default();
        a.budget += r.budget;
        a.adjustment += r.adjustment;
        a.allocated += r.allocated;
        a.executed += r.executed;
        if r.economic.as_deref().is_some_and(is_capital) {
            a.capital_executed += r.executed;
            a.capital_budget += r.budget;
        }
    }

    fn finish(self) -> ExecColumns {
        let codes = self.codes;
        let mut keys: Vec<_> = self.sums.into_iter().collect();
        keys.sort_by(|a, b| {
            let (ka, kb) = (&a.0, &b.0);
            (ka.0, ka.1, &codes.list[ka.2 as usize], ka.3, ka.4).cmp(&(
                kb.0,
                kb.1,
                &codes.list[kb.2 as usize],
                kb.3,
                kb.4,
            ))
        });
        let mut cols = ExecColumns {
            units: self
                .units
                .list
                .into_iter()
                .zip(self.unit_info)
                .map(|(name, (department, region))| UnitInfo {
                    name,
                    department,
                    region,
                })
                .collect(),
            departments: self.departments.list,
            regions: self.regions.list,
            codes: codes.list,
            batches: self.batches,
            rows: self.rows,
            ..ExecColumns::default()
        };
        for ((year, unit, code, fund, month), a) in keys {
            cols.year.push(year);
            cols.month.push(month);
            cols.unit.push(unit);
            cols.code.push(code);
            cols.fund.push(fund);
            cols.budget.push(a.budget);
            cols.adjustment.push(a.adjustment);
            cols.allocated.push(a.allocated);
            cols.executed.push(a.executed);
            cols.capital_executed.push(a.capital_executed);
            cols.capital_budget.push(a.capital_budget);
        }
        cols
    }
}

/// The columns, built on first use after every change.
#[derive(Debug, Default)]
pub struct Cache {
    generation: AtomicU64,
    built: Mutex<Option<(u64, Arc<ExecColumns>)>>,
}

impl Cache {
    /// Marks the columns stale (a batch was applied).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The current columns, built if stale.
    pub fn get(&self, store: &Store) -> Result<Arc<ExecColumns>> {
        let mut guard = self.built.lock().unwrap_or_else(|p| p.into_inner());
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some((g, cols)) = guard.as_ref()
            && *g == generation
        {
            return Ok(cols.clone());
        }
        let cols = Arc::new(ExecColumns::build(store)?);
        *guard = Some((generation, cols.clone()));
        Ok(cols)
    }
}
