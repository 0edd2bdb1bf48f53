//! Typed domain model shared by every stage: documents, articles, metadata enums and identifiers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable identifier of a document: derived from its source key, so re-ingesting the same path keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocId(pub String);

impl DocId {
    /// The id of the document ingested from `source` (a canonical path or an upload key).
    pub fn from_source(source: &str) -> DocId {
        let hash = blake3::hash(source.as_bytes());
        DocId(hash.to_hex()[..16].to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifier of an article: its document id and its ordinal within the document (`<doc>-<ordinal>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArticleId(pub String);

impl ArticleId {
    pub fn new(doc: &DocId, ordinal: usize) -> ArticleId {
        ArticleId(format!("{}-{}", doc.0, ordinal))
    }
    /// The document this article belongs to.
    pub fn doc_id(&self) -> DocId {
        DocId(self.0.split('-').next().unwrap_or_default().to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Declares a closed set of Chinese labels as an enum with `label()`, `parse()`, `ALL` and serde as the label.
macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The Chinese label shown to users and used in filters.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            /// Parses a label (exact match).
            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() { $($label => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.label())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown {}: {s}", stringify!($name))))
            }
        }
    };
}
pub(crate) use label_enum;

label_enum!(
    /// What a document is, for filtering and for the linker's rules.
    DocKind {
        Law => "法律",
        AdminRegulation => "行政法规",
        LocalRegulation => "地方性法规",
        JudicialInterpretation => "司法解释",
        DepartmentRule => "部门规章",
        LocalRule => "地方政府规章",
        Budget => "预算",
        FinalAccount => "决算",
        WorkReport => "工作报告",
        Proposal => "代表建议",
        Reply => "答复",
        Policy => "政策文件",
        Other => "其他",
    }
);

impl DocKind {
    /// Whether documents of this kind are statutes split into articles and versioned.
    pub fn is_regulation(self) -> bool {
        matches!(
            self,
            DocKind::Law
                | DocKind::AdminRegulation
                | DocKind::LocalRegulation
                | DocKind::JudicialInterpretation
                | DocKind::DepartmentRule
                | DocKind::LocalRule
        )
    }
}

label_enum!(
    /// The legal hierarchy level (效力级别) of a regulation.
    Level {
        Constitution => "宪法",
        Law => "法律",
        AdminRegulation => "行政法规",
        SupervisoryRegulation => "监察法规",
        JudicialInterpretation => "司法解释",
        DepartmentRule => "部门规章",
        LocalRegulation => "地方性法规",
        LocalRule => "地方政府规章",
        Other => "其他",
    }
);

impl Level {
    /// The document kind that corresponds to this level.
    pub fn kind(self) -> DocKind {
        match self {
            Level::Constitution | Level::Law => DocKind::Law,
            Level::AdminRegulation | Level::SupervisoryRegulation => DocKind::AdminRegulation,
            Level::JudicialInterpretation => DocKind::JudicialInterpretation,
            Level::DepartmentRule => DocKind::DepartmentRule,
            Level::LocalRule => DocKind::LocalRule,
            Level::LocalRegulation => DocKind::LocalRegulation,
            Level::Other => DocKind::Policy,
        }
    }
}

label_enum!(
    /// Whether a document is in force.
    Validity {
        Valid => "有效",
        Amended => "已修改",
        Repealed => "已废止",
    }
);

label_enum!(
    /// The source format a document was extracted from.
    Format {
        Markdown => "markdown",
        Text => "text",
        Html => "html",
        Docx => "docx",
        Pdf => "pdf",
        Csv => "csv",
        Xlsx => "xlsx",
    }
);

/// A calendar date (used for publication, effect and version dates).
pub type Date = chrono::NaiveDate;

/// A structural heading of a regulation (编/章/节) with the byte offset where it starts in the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heading {
    /// 1 for 编, 2 for 章 and named parts (附则), 3 for 节.
    pub depth: u8,
    pub text: String,
    pub offset: usize,
}

/// One article (第X条) of a regulation: its own search unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: ArticleId,
    pub doc_id: DocId,
    /// The article's number (46 for 第四十六条).
    pub number: u32,
    /// The label as written, e.g. 第四十六条 (or 第四十六条之一).
    pub label: String,
    /// `<law title><label>`, e.g. 中华人民共和国预算法第四十六条.
    pub name: String,
    /// The enclosing headings, outermost first (e.g. ["第四章 预算审查和批准"]).
    pub path: Vec<String>,
    /// The article's text including its label.
    pub text: String,
    /// Byte offset of the article in the document body.
    pub offset: usize,
}

/// Metadata of a document, derived from its text and path and overridden by sidecars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Metadata {
    pub title: String,
    pub kind: Option<DocKind>,
    pub level: Option<Level>,
    /// Issuing body (制定机关/发文机关).
    pub issuer: Option<String>,
    /// 文号, e.g. 常办秘字〔2017〕144号.
    pub doc_number: Option<String>,
    pub published: Option<Date>,
    pub effective: Option<Date>,
    /// The date that identifies this version of a law.
    pub version_date: Option<Date>,
    pub region: Option<String>,
    pub year: Option<i32>,
    pub validity: Option<Validity>,
    /// Who may read it, when a manifest or sidecar says so.
    pub access: Option<Access>,
    /// Marked expired by a manifest or sidecar.
    pub expired: bool,
    /// History lines (adoption and amendments) before the body.
    pub history: Vec<String>,
}

label_enum! {
    /// Who may read a document or a proposal.
    #[derive(Default)]
    Access { #[default] Public => "公开", Restricted => "内部" }
}

impl Access {
    /// Parses the label or its English name (`public`, `restricted`), as sidecars and forms may give either.
    pub fn parse_any(s: &str) -> Option<Access> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" | "open" => Some(Access::Public),
            "restricted" | "internal" | "private" => Some(Access::Restricted),
            other => Access::parse(other),
        }
    }
}

/// What one reader may see. Every search, page, count and snippet is computed inside one scope, so that a
/// restricted document cannot leak through totals or facets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Staff and administrators: everything.
    All,
    /// Public documents, plus the restricted ones owned by the named deputy (their own proposals).
    Public { deputy: Option<String> },
}

/// The narrowest scope (anonymous: public documents only), so that a forgotten scope never widens a view.
impl Default for Scope {
    fn default() -> Scope {
        Scope::Public { deputy: None }
    }
}

impl Scope {
    /// Whether a document or proposal with this access and these owners is visible in the scope.
    pub fn allows(&self, access: Access, owners: &[String]) -> bool {
        match self {
            Scope::All => true,
            Scope::Public { deputy } => {
                access == Access::Public
                    || deputy
                        .as_deref()
                        .is_some_and(|d| owners.iter().any(|o| o == d))
            }
        }
    }

    /// Whether a document is visible in the scope.
    pub fn sees(&self, doc: &Document) -> bool {
        self.allows(doc.access, &doc.owners)
    }
}

/// A document as stored: metadata, full text, outline and articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocId,
    /// Canonical source path or upload key.
    pub source: String,
    /// Other files with exactly the same bytes (the same law in two folders, a file uploaded again): one
    /// document that knows all its sources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_sources: Vec<String>,
    /// blake3 of the source bytes; a changed hash means a new version of the file.
    pub content_hash: String,
    pub format: Format,
    pub kind: DocKind,
    pub level: Option<Level>,
    pub title: String,
    pub issuer: Option<String>,
    pub doc_number: Option<String>,
    pub published: Option<Date>,
    pub effective: Option<Date>,
    pub version_date: Option<Date>,
    pub region: Option<String>,
    pub year: Option<i32>,
    pub validity: Validity,
    /// The validity readers outside the staff see (`Scope::Public`), decided over the public versions of the
    /// title only, so that a restricted newer version does not show a public one as 已修改 to readers who
    /// cannot see it. `None`: the same as `validity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_validity: Option<Validity>,
    /// Set when a sidecar states the validity: version grouping then leaves it alone.
    #[serde(default)]
    pub validity_pinned: bool,
    pub expired: bool,
    pub history: Vec<String>,
    /// The extracted text, cut at the configured limit (see `body_cut_from`).
    pub body: String,
    /// When the extracted text was longer than the limit: its whole length in bytes. Only `body` is indexed and
    /// shown; the original file holds the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_cut_from: Option<u64>,
    pub outline: Vec<Heading>,
    pub articles: Vec<Article>,
    /// Size of the source file in bytes.
    pub size: u64,
    /// Who may read it (public unless marked restricted).
    #[serde(default)]
    pub access: Access,
    /// Deputies who may read it even when restricted (the authors of a proposal).
    #[serde(default)]
    pub owners: Vec<String>,
    /// The tables found in it (budget tables become facts); the store keeps them apart, like articles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<crate::budget::Table>,
}

impl Document {
    /// The validity a reader with this scope sees.
    pub fn validity_in(&self, scope: &Scope) -> Validity {
        match scope {
            Scope::All => self.validity,
            Scope::Public { .. } => self.public_validity.unwrap_or(self.validity),
        }
    }

    /// The document as a reader with this scope sees it (its validity decided over the versions the reader
    /// may see), or `None` outside the scope.
    pub fn seen_in(mut self, scope: &Scope) -> Option<Document> {
        if !scope.sees(&self) {
            return None;
        }
        self.validity = self.validity_in(scope);
        self.public_validity = None;
        Some(self)
    }

    /// The most meaningful date of the document for sorting (version, publication, effect, year).
    pub fn date(&self) -> Option<Date> {
        self.version_date
            .or(self.published)
            .or(self.effective)
            .or_else(|| self.year.and_then(|y| Date::from_ymd_opt(y, 1, 1)))
    }
}

/// Which search units a request covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// The finest unit of each document: articles of regulations, whole documents otherwise.
    #[default]
    Best,
    /// Whole documents only.
    Document,
    /// Articles only.
    Article,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "best" | "" => Some(Unit::Best),
            "document" | "doc" => Some(Unit::Document),
            "article" | "art" => Some(Unit::Article),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Best => "best",
            Unit::Document => "document",
            Unit::Article => "article",
        }
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

/// Filters on metadata; empty lists mean no restriction. Several values of one field are alternatives.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Filters {
    pub kinds: Vec<DocKind>,
    pub levels: Vec<Level>,
    pub regions: Vec<String>,
    /// Inclusive year range; either end may be open.
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub validity: Vec<Validity>,
    /// Budget subject codes; a class includes its descendants.
    pub subjects: Vec<String>,
    /// Topic names.
    pub topics: Vec<String>,
}

/// The facet dimensions whose counts a search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FacetField {
    Kind,
    Level,
    Region,
    Year,
    Validity,
    Subject,
    Topic,
}

impl FacetField {
    pub const ALL: &'static [FacetField] = &[
        FacetField::Kind,
        FacetField::Level,
        FacetField::Region,
        FacetField::Year,
        FacetField::Validity,
        FacetField::Subject,
        FacetField::Topic,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FacetField::Kind => "kind",
            FacetField::Level => "level",
            FacetField::Region => "region",
            FacetField::Year => "year",
            FacetField::Validity => "validity",
            FacetField::Subject => "subject",
            FacetField::Topic => "topic",
        }
    }
}

/// Budget subjects and topics a document is linked to, as the index needs them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tags {
    /// Subject codes (any level); the index adds their ancestors.
    pub subjects: Vec<String>,
    /// Topic names.
    pub topics: Vec<String>,
}

/// The ancestors of a subject code and the code itself, outermost first: 2050203 → [205, 20502, 2050203].
pub fn subject_path(code: &str) -> Vec<String> {
    let mut path = Vec::new();
    for len in [3, 5, 7] {
        if code.len() >= len && code.is_char_boundary(len) {
            path.push(code[..len].to_string());
        }
    }
    if path.last().map(String::as_str) != Some(code) {
        path.push(code.to_string());
    }
    path
}

/// Provinces and province-level cities, for the region of local documents.
pub const PROVINCES: &[&str] = &[
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
];
