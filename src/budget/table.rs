//! The one table model every format produces: a grid of cells with the title, unit and pages it was found
//! with. PDFs, XLSX/CSV sheets, DOCX and HTML tables all become `Table`s.

use serde::{Deserialize, Serialize};

/// One cell of a table grid.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Cell {
    /// The cell's text with wrapped lines joined; empty for a blank cell.
    pub text: String,
    /// Set on the cells that a merged (spanning) cell covers; the text stands in the span's top-left cell.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub covered: bool,
    /// The 1-based page the cell is on (PDF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The cell's box on its page in points, origin top left: `[x0, top, x1, bottom]` (PDF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f32; 4]>,
}

impl Cell {
    /// A cell with text and no position.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    /// A cell covered by a merged cell.
    pub fn covered() -> Cell {
        Cell {
            covered: true,
            ..Cell::default()
        }
    }

    /// Whether the cell holds no text (blank or covered).
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// A table found in a document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Table {
    /// The title printed above the table (PDF, DOCX, HTML caption) or the sheet name (XLSX); may be empty.
    pub title: String,
    /// The unit line as printed ("单位：万元"), where the header area has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The 1-based pages the table covers, first and last (PDF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<(u32, u32)>,
    /// The rows, all of the same length; header rows included.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table of plain texts (no positions), as sheets and DOCX tables give them.
    pub fn from_texts(title: impl Into<String>, rows: Vec<Vec<String>>) -> Table {
        Table {
            title: title.into(),
            unit: None,
            pages: None,
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(Cell::text).collect())
                .collect(),
        }
    }

    /// The rows as texts (covered cells as empty strings).
    pub fn texts(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.clone()).collect())
            .collect()
    }

    /// The number of columns (the longest row).
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// The first page of the table (PDF).
    pub fn first_page(&self) -> Option<u32> {
        self.pages.map(|p| p.0)
    }
}
