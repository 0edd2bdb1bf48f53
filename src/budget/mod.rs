//! Budget data: the tables of budget and final-account disclosures (`table`), their cell grids recovered from
//! PDF pages (`grid`), which standard table each is with its columns and rows (`recognise`), and the labelled
//! amounts read from them (`facts`): all pure over their input. `query` answers questions over the facts of a
//! library (held in memory as columns, within the reader's scope, and saved to a file by `snapshot` for the next start), and `views` the drill-down of the money pages
//! over the same columns, and `pivot` the comparison of units, subjects and years (with budget against
//! actual). `execution` receives the finance department's monthly execution data (联网) and warns on pace. `series` holds the macro indicators by year (宏观经济分析): read from the government
//! work reports and imported from tables.

pub mod alerts;
pub mod checks;
pub mod eval;
pub mod execution;
pub mod export;
pub mod facts;
pub mod generate;
pub mod grid;
pub mod pivot;
pub mod query;
pub mod recognise;
pub mod series;
pub mod snapshot;
pub mod table;
#[cfg(test)]
mod testing;
pub mod views;

pub use facts::{DocFacts, Fact, Issuer, facts_of};
pub use recognise::{Catalog, Recognised, Stage, TableKind, recognise};
pub use table::{Cell, Table};
