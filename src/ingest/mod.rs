//! Ingest: walk inputs, extract text per format, derive metadata and structure. Pure over its input: no store
//! or index I/O happens here.

pub mod extract;
pub mod metadata;
pub mod structure;
