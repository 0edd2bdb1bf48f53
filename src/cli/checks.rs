//! `yusuan check`: the 预警 findings of documents, as a list or as JSON.

use crate::budget::alerts::findings;
use crate::library::Library;
use crate::model::{DocId, Scope};
use crate::outln;
use anyhow::{Result, bail};

/// Prints the findings of each document (`{"doc_id", "findings": [...]}` per document with `--json`).
pub fn check_command(lib: &Library, ids: &[String], json: bool) -> Result<()> {
    let ids: Vec<DocId> = if ids.is_empty() {
        lib.store().doc_ids()?
    } else {
        ids.iter().map(|i| DocId(i.clone())).collect()
    };
    let mut out = Vec::new();
    for id in ids {
        let Some(found) = findings(lib, &id, &Scope::All)? else {
            bail!("没有这个文档：{id}");
        };
        out.push((id, found));
    }
    // Documents without facts have nothing to check and are left out of a whole-library listing.
    if json {
        let docs: Vec<serde_json::Value> = out
            .iter()
            .map(|(id, f)| serde_json::json!({"doc_id": id, "findings": f}))
            .collect();
        let value = if docs.len() == 1 {
            docs.into_iter().next().unwrap_or_default()
        } else {
            serde_json::Value::Array(docs)
        };
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    for (id, found) in &out {
        if found.is_empty() {
            continue;
        }
        let title = lib
            .store()
            .get_meta(id)?
            .map(|d| d.title)
            .unwrap_or_default();
        outln!("{title}（{id}）：{} 条", found.len());
        for f in found {
            let page = f.page.map(|p| format!("第{p}页 ")).unwrap_or_default();
            let cmp = match (&f.expected, &f.found) {
                (Some(e), Some(g)) => format!("（应为 {e}，实为 {g}）"),
                (None, Some(g)) => format!("（{g}）"),
                _ => String::new(),
            };
            outln!(
                "  [{}] {page}{}{cmp} · {}",
                f.severity,
                f.message,
                f.rule_name
            );
            if let Some(q) = &f.quote {
                outln!("      「{q}」");
            }
        }
    }
    Ok(())
}

/// `yusuan bench-checks`: ingest a folder into a scratch data folder, then time its checks.
pub fn bench_checks(
    folder: &std::path::Path,
    work: &std::path::Path,
    corpus: &std::path::Path,
    repeats: usize,
    json: bool,
) -> Result<()> {
    super::budget::empty_scratch(work)?;
    let r = crate::bench::checks::run(folder, work, corpus, repeats)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    outln!(
        "ingested {} documents in {:.2} s (end to end)",
        r.documents,
        r.ingest_seconds
    );
    for (title, findings, ms) in &r.per_document {
        outln!("  {title}: {findings} findings, checked in {ms:.2} ms (median)");
    }
    outln!(
        "the whole 预警 list: {} findings in {:.2} ms (median of {repeats})",
        r.findings,
        r.all_ms
    );
    Ok(())
}
