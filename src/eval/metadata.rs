//! The metadata audit: counts of what a legal librarian checks first in a collection (validity per level, a
//! 施行日期 before the 公布日期, copies, kinds that disagree with their issuer, local norms without a region,
//! reports without a date), with examples, over every stored document.

use crate::error::Result;
use crate::library::Library;
use crate::model::{DocKind, Document, Level};
use serde::Serialize;
use std::collections::BTreeMap;

/// Examples kept per problem.
const EXAMPLES: usize = 5;

/// What the audit found.
#[derive(Debug, Default, Serialize)]
pub struct MetadataAudit {
    pub documents: usize,
    /// Documents per kind (类别).
    pub kinds: BTreeMap<String, usize>,
    /// Norms per level (效力级别) and validity, as 「法律 · 有效」.
    pub validity_by_level: BTreeMap<String, usize>,
    /// Norms without a level.
    pub norms_without_level: usize,
    /// Documents whose 施行日期 is before their 公布日期.
    pub effective_before_published: usize,
    /// Documents that hold other files with exactly their bytes, and how many such files.
    pub merged_copies: usize,
    pub merged_files: usize,
    /// Groups of documents with the same title, kind and dates but other bytes (near copies), and their
    /// documents.
    pub near_copy_groups: usize,
    pub near_copy_documents: usize,
    /// Norms whose kind disagrees with their issuer: a local people's congress (standing committee) that is
    /// not 地方性法规, or a people's government whose norm is 地方性法规.
    pub kind_issuer_mismatches: usize,
    /// 地方性法规 and 地方政府规章 without a region.
    pub local_without_region: usize,
    /// Work reports without a date.
    pub reports_without_date: usize,
    /// Up to five titles per problem.
    pub examples: BTreeMap<&'static str, Vec<String>>,
}

impl MetadataAudit {
    fn example(&mut self, problem: &'static str, title: &str) {
        let list = self.examples.entry(problem).or_default();
        if list.len() < EXAMPLES {
            list.push(title.to_string());
        }
    }
}

/// Whether a norm's kind disagrees with its issuer.
fn kind_disagrees_with_issuer(doc: &Document) -> bool {
    let Some(issuer) = doc.issuer.as_deref() else {
        return false;
    };
    let local_congress = issuer.contains("人民代表大会") && !issuer.contains("全国人民代表大会");
    let government = issuer.contains("人民政府");
    (local_congress && doc.kind != DocKind::LocalRegulation)
        || (government && !local_congress && doc.kind == DocKind::LocalRegulation)
}

/// Audits the metadata of every stored document.
pub fn audit(lib: &Library) -> Result<MetadataAudit> {
    let store = lib.store();
    let mut out = MetadataAudit::default();
    let mut groups: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for id in store.doc_ids()? {
        let Some(doc) = store.get_meta(&id)? else {
            continue;
        };
        out.documents += 1;
        *out.kinds.entry(doc.kind.label().to_string()).or_default() += 1;
        if doc.kind.is_regulation() {
            match doc.level {
                Some(level) => {
                    *out.validity_by_level
                        .entry(format!("{} · {}", level.label(), doc.validity.label()))
                        .or_default() += 1
                }
                None => {
                    out.norms_without_level += 1;
                    out.example("无效力级别", &doc.title);
                }
            }
            if kind_disagrees_with_issuer(&doc) {
                out.kind_issuer_mismatches += 1;
                out.example("类别与制定机关不符", &doc.title);
            }
            let local = doc.kind == DocKind::LocalRegulation || doc.level == Some(Level::LocalRule);
            if local && doc.region.is_none() {
                out.local_without_region += 1;
                out.example("无地区", &doc.title);
            }
        }
        if let (Some(effective), Some(published)) = (doc.effective, doc.published)
            && effective < published
        {
            out.effective_before_published += 1;
            out.example("施行早于公布", &doc.title);
        }
        if !doc.also_sources.is_empty() {
            out.merged_copies += 1;
            out.merged_files += doc.also_sources.len();
            out.example("合并了相同文件", &doc.title);
        }
        if doc.kind == DocKind::WorkReport && doc.published.is_none() {
            out.reports_without_date += 1;
            out.example("工作报告无日期", &doc.title);
        }
        let key = format!(
            "{}|{}|{:?}|{:?}",
            doc.title,
            doc.kind.label(),
            doc.version_date,
            doc.published
        );
        let group = groups.entry(key).or_insert_with(|| (doc.title, Vec::new()));
        group.1.push(doc.content_hash);
    }
    for (title, hashes) in groups.values_mut() {
        let documents = hashes.len();
        hashes.sort();
        hashes.dedup();
        if hashes.len() > 1 {
            out.near_copy_groups += 1;
            out.near_copy_documents += documents;
            out.example("近似重复", title);
        }
    }
    Ok(out)
}

/// The audit as lines for the command line.
pub fn report(a: &MetadataAudit) -> String {
    let mut s = format!("文档 {}\n类别：", a.documents);
    let kinds: Vec<String> = a.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    s.push_str(&kinds.join(" · "));
    s.push_str("\n效力级别 · 时效性：\n");
    for (k, n) in &a.validity_by_level {
        s.push_str(&format!("  {k} {n}\n"));
    }
    let lines = [
        ("无效力级别的规范", a.norms_without_level),
        ("施行日期早于公布日期", a.effective_before_published),
        ("合并了相同文件的文档", a.merged_copies),
        ("被合并的相同文件", a.merged_files),
        ("近似重复组（同标题同日期、内容不同）", a.near_copy_groups),
        ("近似重复组中的文档", a.near_copy_documents),
        ("类别与制定机关不符", a.kind_issuer_mismatches),
        ("无地区的地方性法规和地方政府规章", a.local_without_region),
        ("无日期的工作报告", a.reports_without_date),
    ];
    for (label, n) in lines {
        s.push_str(&format!("{label} {n}\n"));
    }
    for (problem, titles) in &a.examples {
        s.push_str(&format!("例（{problem}）：{}\n", titles.join("、")));
    }
    s
}
