//! yusuan: a knowledge system for people's-congress budget supervision.
//!
//! Data flow: `ingest` turns files into documents (extract → metadata → structure); `link` ties them to budget
//! subjects and topics; `store` (sled) keeps documents and records, `index` (tantivy) makes them searchable;
//! `search` answers typed requests; `web` and `cli` are the edges that call the same library.

pub mod auth;
pub mod backup;
pub mod bench;
pub mod budget;
pub mod cli;
pub mod collab;
pub mod config;
pub mod console;
pub mod csv_out;
pub mod disk;
pub mod error;
pub mod eval;
pub mod index;
pub mod ingest;
pub mod library;
pub mod link;
pub mod linking;
pub mod model;
pub mod pipeline;
pub mod private;
pub mod proposals;
pub mod samples;
pub mod search;
pub mod store;
pub mod text;
pub mod web;
