//! Ingest: walk inputs, extract text per format, derive metadata and structure. Pure over its input: no store
//! or index I/O happens here.

/// Uploaded bundles: ZIP archives and browser folders, read within limits.
pub mod archive;
pub mod extract;
pub mod metadata;
pub mod structure;
