//! Store records of 宏观经济分析: the imported indicator series (the values read from the reports are not
//! stored; they are computed from the documents' text).
//!
//! Key layout: `series`: "indicator \0 year (4 digits) \0 kind" → JSON `SeriesValue`, so that a value imported
//! again for the same indicator, year and kind replaces the earlier one. The tree is opened on first use.

use super::{Store, decode, encode};
use crate::budget::series::SeriesValue;
use crate::error::Result;

fn key(v: &SeriesValue) -> Vec<u8> {
    format!("{}\0{:04}\0{}", v.indicator, v.year, v.kind.label()).into_bytes()
}

impl Store {
    fn series_tree(&self) -> Result<sled::Tree> {
        Ok(self.db.open_tree("series")?)
    }

    /// Stores imported values, each replacing an earlier value of its indicator, year and kind.
    pub fn put_series(&self, values: &[SeriesValue]) -> Result<()> {
        let tree = self.series_tree()?;
        for v in values {
            tree.insert(key(v), encode(v)?)?;
        }
        Ok(())
    }

    /// Every imported value, by indicator, year and kind.
    pub fn series(&self) -> Result<Vec<SeriesValue>> {
        self.series_tree()?
            .iter()
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }
}
