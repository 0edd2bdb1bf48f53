//! The demonstration collection (示例): the fictional documents and proposals of the input folder's
//! `samples/`, ingested on first start so that a new office sees every page working. They are marked 示例
//! wherever they are listed, counted for the notices that offer to remove them, and removed whole by one
//! click or command; once removed, the first-start ingest leaves `samples/` out.

use crate::auth::accounts;
use crate::error::Result;
use crate::library::Library;
use crate::model::DocId;
use crate::proposals::model::ProposalId;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The samples a library holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SampleSet {
    /// Documents ingested from `samples/` (reports, rules, replies …).
    pub documents: BTreeSet<DocId>,
    /// Proposals defined by the tables in `samples/`, as those tables have them.
    pub proposals: Vec<ProposalId>,
}

impl SampleSet {
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty() && self.proposals.is_empty()
    }

    /// Whether a document (or a proposal's document) is a sample.
    pub fn has(&self, doc: &DocId) -> bool {
        self.documents.contains(doc)
    }

    /// The line a notice shows: 「7 个示例文档、4 件示例建议」.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        // A proposal's document is counted as the proposal.
        let documents = self.documents.len().saturating_sub(self.proposals.len());
        if documents > 0 {
            parts.push(format!("{documents} 个示例文档"));
        }
        if !self.proposals.is_empty() {
            parts.push(format!("{} 件示例建议", self.proposals.len()));
        }
        parts.join("、")
    }
}

/// The samples folder as sources are recorded (canonical when it exists).
fn folder(lib: &Library) -> PathBuf {
    let dir = lib.config.samples_dir();
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Whether a path lies inside the samples folder.
pub fn is_sample_path(lib: &Library, path: &Path) -> bool {
    path.starts_with(folder(lib))
}

/// The samples the library holds now.
pub fn find(lib: &Library) -> Result<SampleSet> {
    // Pages ask on every view: once an office has removed the samples, nothing is read.
    if accounts::settings(lib.store())?.samples_removed {
        return Ok(SampleSet::default());
    }
    let dir = folder(lib);
    let prefix = format!("{}/", dir.display());
    let mut set = SampleSet::default();
    for (source, id) in lib.store().sources_under(&prefix)? {
        if source.starts_with(&prefix) {
            set.documents.insert(id);
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut tables: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        tables.sort();
        for t in tables {
            for id in crate::proposals::defined_by(lib, &t)? {
                set.documents.insert(crate::proposals::doc_id_of(&id));
                set.proposals.push(id);
            }
        }
    }
    Ok(set)
}

/// What a removal removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Removed {
    pub documents: usize,
    pub proposals: usize,
}

/// Removes every sample and remembers it, so that a later first-start ingest leaves `samples/` out.
pub fn remove(lib: &Library) -> Result<Removed> {
    let set = find(lib)?;
    let proposals = crate::proposals::remove(lib, &set.proposals)?;
    let proposal_docs: BTreeSet<DocId> = set
        .proposals
        .iter()
        .map(crate::proposals::doc_id_of)
        .collect();
    let docs: Vec<DocId> = set
        .documents
        .iter()
        .filter(|d| !proposal_docs.contains(d))
        .cloned()
        .collect();
    let documents = crate::pipeline::remove(lib, &docs)?;
    let mut settings = accounts::settings(lib.store())?;
    settings.samples_removed = true;
    accounts::save_settings(lib.store(), settings)?;
    Ok(Removed {
        documents,
        proposals,
    })
}
