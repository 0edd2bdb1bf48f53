//! Budget data: the tables of budget and final-account disclosures (`table`), their cell grids recovered from
//! PDF pages (`grid`), and what later stages build on them. Pure over its input: no store or index I/O.

pub mod eval;
pub mod grid;
pub mod table;

pub use table::{Cell, Table};
