//! The tantivy index: the only module that knows its schema and field names. Turns documents into search
//! units (whole documents and articles) and typed queries into tantivy queries.

pub mod analysis;

use crate::error::{Error, Result};
use crate::model::{
    Access, DocId, Document, FacetField, Filters, Level, PROVINCES, Scope, Sort, Tags, Unit,
    Validity, subject_path,
};
use analysis::{Analyzer, BigramTokenizer, grams};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

/// The tokenizers' names are part of the schema: a new name for a changed analysis makes an index written
/// with the old one rebuild itself when it is opened.
const WORDS: &str = "zh_words_2";
const RANK: &str = "rank";
const RANK_PUBLIC: &str = "rank_public";
/// The facet root of the validity public readers see.
const VALIDITY_PUBLIC: &str = "validity_public";

/// The fast field with the ranking prior a reader of this scope ranks by.
fn rank_field(scope: &Scope) -> &'static str {
    match scope {
        Scope::All => RANK,
        Scope::Public { .. } => RANK_PUBLIC,
    }
}

/// The facet root a dimension is filtered and counted under for a reader of this scope: a law's validity
/// has a second value, decided over its public versions, for readers who cannot see restricted ones.
fn facet_root(field: FacetField, scope: &Scope) -> &'static str {
    match (field, scope) {
        (FacetField::Validity, Scope::Public { .. }) => VALIDITY_PUBLIC,
        _ => field.as_str(),
    }
}
const BIGRAMS: &str = "zh_bigrams_2";

/// The schema's fields, built once.
#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    doc_id: Field,
    unit: Field,
    title: Field,
    title_bg: Field,
    body: Field,
    body_bg: Field,
    facets: Field,
    year: Field,
    date: Field,
    rank: Field,
    /// The rank with the validity public readers see (`Document::public_validity`).
    rank_public: Field,
    /// `public` or `restricted`.
    access: Field,
    /// Deputies who may read a restricted document.
    owner: Field,
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let bigrams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(BIGRAMS)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        doc_id: b.add_text_field("doc_id", STRING | STORED),
        unit: b.add_text_field("unit", STRING),
        title: b.add_text_field("title", words.clone()),
        title_bg: b.add_text_field("title_bg", bigrams.clone()),
        body: b.add_text_field("body", words),
        body_bg: b.add_text_field("body_bg", bigrams),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        year: b.add_i64_field("year", INDEXED | FAST),
        date: b.add_i64_field("date", FAST),
        rank: b.add_u64_field(RANK, FAST),
        rank_public: b.add_u64_field(RANK_PUBLIC, FAST),
        access: b.add_text_field("access", STRING),
        owner: b.add_text_field("owner", STRING),
    };
    (b.build(), fields)
}

/// One match condition of a query, in the index's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// A user's word: found wherever it occurs as a substring (also inside longer words); whole-word
    /// occurrences and occurrences in titles rank higher.
    Text(String),
    /// An exact phrase: substring semantics over the folded text.
    Phrase(String),
    /// A natural-language question: ranked by its content words; documents need not contain all of them.
    Question(String),
}

/// A query in the index's terms: every group must match (one of its alternatives), no excluded match may.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexQuery {
    pub all: Vec<Vec<Match>>,
    pub none: Vec<Match>,
    pub filters: Filters,
    pub unit: Unit,
    /// Restrict to these documents (e.g. a document's own articles).
    pub doc_ids: Vec<DocId>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Facet dimensions to count; subject counts are per class, or per child of `subject_drill`.
    pub facets: Vec<FacetField>,
    pub subject_drill: Option<String>,
    /// Unit ids to rank first when they match the filters (cited articles); they count as matches.
    pub pins: Vec<String>,
    /// What the reader may see: a required clause of every query, so that hits, totals and facet counts
    /// stay inside it. The default is the narrowest scope.
    pub scope: Scope,
}

/// The index term of an access value.
fn access_term(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::Restricted => "restricted",
    }
}

/// Candidates ranked in the first pass of a question search.
const QUESTION_DEPTH: usize = 300;
/// Weight of words found inside a longer word of the question (search-mode sub-words).
const SUB_WORD_WEIGHT: f32 = 0.5;
/// Weight of a synonym-list expansion.
const EXPANSION_WEIGHT: f32 = 0.5;
/// Top candidates whose laws count as the question's likely laws, and the boost of their articles.
const LAW_CLUSTER_TOP: usize = 100;
const LAW_CLUSTER_BOOST: f32 = 0.15;

/// The question-mode prior of a rank: laws well ahead of other levels, local regulations (unless the
/// question names a place) and versions no longer in force far behind.
fn question_rank_weight(rank: u64, local_ok: bool) -> f32 {
    let validity = match rank / 10 {
        2 => 1.0,
        1 => 0.49,
        _ => 0.42,
    };
    let level = match rank % 10 {
        3 => 1.5,
        2 => 1.08,
        0 if local_ok => 0.92,
        0 => 0.5,
        _ => 1.0,
    };
    validity * level
}

/// One weighted term of a question.
#[derive(Debug, Clone, PartialEq)]
struct QuestionTerm {
    text: String,
    weight: f32,
}

/// Besides the provinces, words that show a question is about a place and its local rules.
const LOCAL_MARKERS: &[&str] = &[
    "台湾",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "武汉",
    "成都",
    "西安",
    "本省",
    "本市",
    "地方性法规",
];

/// Whether a question names a province, city or local regulations.
fn mentions_place(q: &str) -> bool {
    let folded = crate::text::fold_str(q);
    PROVINCES
        .iter()
        .chain(LOCAL_MARKERS)
        .any(|p| folded.contains(p))
}

/// Whether a hit is a whole document or an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitUnit {
    Document,
    Article,
}

/// One ranked unit.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexHit {
    /// The document id or the article id.
    pub id: String,
    pub doc_id: DocId,
    pub unit: HitUnit,
    pub score: f32,
}

/// Counted values of one facet dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetCounts {
    pub field: FacetField,
    /// (value, count), largest first.
    pub values: Vec<(String, u64)>,
}

/// The result of an index search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexHits {
    pub total: usize,
    pub hits: Vec<IndexHit>,
    pub facets: Vec<FacetCounts>,
}

/// The search index of one data folder.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    writer: Mutex<Option<IndexWriter>>,
    dir: PathBuf,
    threads: usize,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SearchIndex({})", self.dir.display())
    }
}

/// The ranking prior of a document with this validity, stored in the rank fast fields: validity × 10 +
/// level class.
fn rank_of(doc: &Document, validity: Validity) -> u64 {
    let validity = match validity {
        Validity::Valid => 2,
        Validity::Amended => 1,
        Validity::Repealed => 0,
    };
    let level = match doc.level {
        Some(Level::Constitution | Level::Law) => 3,
        Some(
            Level::AdminRegulation | Level::SupervisoryRegulation | Level::JudicialInterpretation,
        ) => 2,
        Some(Level::LocalRegulation | Level::LocalRule) => 0,
        _ => 1,
    };
    validity * 10 + level
}

/// The score multiplier of a rank: versions in force first, national rules slightly before local ones.
fn rank_weight(rank: u64) -> f32 {
    let validity = match rank / 10 {
        2 => 1.0,
        1 => 0.7,
        _ => 0.6,
    };
    let level = match rank % 10 {
        3 => 1.15,
        2 => 1.08,
        0 => 0.92,
        _ => 1.0,
    };
    validity * level
}

fn facet(root: &str, value: &str) -> Facet {
    Facet::from_path([root, value])
}

impl SearchIndex {
    /// Opens or creates the index in `dir`, registering the analyzers.
    pub fn open(dir: &Path, analyzer: Analyzer) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let (schema, fields) = build_schema();
        let mmap = MmapDirectory::open(dir)
            .map_err(|e| Error::Invalid(format!("{}: {e}", dir.display())))?;
        let index = match Index::open_or_create(mmap, schema.clone()) {
            Ok(index) => index,
            // An index written with another schema (an older version) is dropped; opening the library then
            // indexes every stored document again (see `pipeline::reconcile`).
            Err(tantivy::TantivyError::SchemaError(reason)) => {
                tracing::warn!(dir = %dir.display(), %reason, "the index schema changed: rebuilding");
                std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                let mmap = MmapDirectory::open(dir)
                    .map_err(|e| Error::Invalid(format!("{}: {e}", dir.display())))?;
                Index::create(mmap, schema, tantivy::IndexSettings::default())?
            }
            Err(e) => return Err(e.into()),
        };
        index
            .tokenizers()
            .register(WORDS, analyzer.word_tokenizer());
        index.tokenizers().register(BIGRAMS, BigramTokenizer);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(1, 4);
        Ok(SearchIndex {
            index,
            reader,
            fields,
            analyzer,
            writer: Mutex::new(None),
            dir: dir.to_path_buf(),
            threads,
        })
    }

    /// Whether the index holds no unit at all (new, or just rebuilt for another schema).
    pub fn is_empty(&self) -> bool {
        self.reader.searcher().num_docs() == 0
    }

    /// The analyzer the index was opened with.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        // A segmenter that knows only some texts' words would index documents with the wrong words.
        if self.analyzer.is_scoped() {
            return Err(Error::Invalid(
                "this index was opened to answer one query and cannot be written".into(),
            ));
        }
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let w = self
                .index
                .writer_with_num_threads(self.threads, 64 * 1024 * 1024 * self.threads)
                .map_err(|e| match e {
                    tantivy::TantivyError::LockFailure(..) => Error::Locked(self.dir.clone()),
                    e => Error::Index(e),
                })?;
            *guard = Some(w);
        }
        f(guard.as_mut().expect("writer was just created"))
    }

    /// Builds the tantivy documents (the document unit and one unit per article) for `doc`.
    fn units(&self, doc: &Document, tags: &Tags) -> Vec<TantivyDocument> {
        let f = self.fields;
        let mut common = TantivyDocument::default();
        common.add_text(f.doc_id, doc.id.as_str());
        common.add_facet(f.facets, facet(FacetField::Kind.as_str(), doc.kind.label()));
        if let Some(level) = doc.level {
            common.add_facet(f.facets, facet(FacetField::Level.as_str(), level.label()));
        }
        if let Some(region) = &doc.region {
            common.add_facet(f.facets, facet(FacetField::Region.as_str(), region));
        }
        if let Some(year) = doc.year {
            common.add_facet(
                f.facets,
                facet(FacetField::Year.as_str(), &year.to_string()),
            );
            common.add_i64(f.year, year as i64);
        }
        let public = Scope::default();
        for scope in [&Scope::All, &public] {
            let root = facet_root(FacetField::Validity, scope);
            common.add_facet(f.facets, facet(root, doc.validity_in(scope).label()));
        }
        for code in &tags.subjects {
            let mut path = vec![FacetField::Subject.as_str().to_string()];
            path.extend(subject_path(code));
            common.add_facet(f.facets, Facet::from_path(path));
        }
        for topic in &tags.topics {
            common.add_facet(f.facets, facet(FacetField::Topic.as_str(), topic));
        }
        let date = doc
            .date()
            .map(|d| {
                chrono::Datelike::year(&d) as i64 * 10000 + chrono::Datelike::ordinal(&d) as i64
            })
            .unwrap_or(0);
        common.add_i64(f.date, date);
        common.add_u64(f.rank, rank_of(doc, doc.validity_in(&Scope::All)));
        common.add_u64(f.rank_public, rank_of(doc, doc.validity_in(&public)));
        common.add_text(f.access, access_term(doc.access));
        for owner in &doc.owners {
            common.add_text(f.owner, owner);
        }

        let mut out = Vec::with_capacity(doc.articles.len() + 1);
        let mut whole = common.clone();
        whole.add_text(f.id, doc.id.as_str());
        whole.add_text(f.unit, "doc");
        if doc.articles.is_empty() {
            whole.add_text(f.unit, "leaf");
        }
        let mut title = doc.title.clone();
        if let Some(n) = &doc.doc_number {
            title.push(' ');
            title.push_str(n);
        }
        whole.add_text(f.title, &title);
        whole.add_text(f.title_bg, &title);
        whole.add_text(f.body, &doc.body);
        whole.add_text(f.body_bg, &doc.body);
        out.push(whole);
        for a in &doc.articles {
            let mut u = common.clone();
            u.add_text(f.id, a.id.as_str());
            u.add_text(f.unit, "art");
            u.add_text(f.unit, "leaf");
            u.add_text(f.title, &a.name);
            u.add_text(f.title_bg, &a.name);
            let body = if a.path.is_empty() {
                a.text.clone()
            } else {
                format!("{}\n{}", a.path.join(" "), a.text)
            };
            u.add_text(f.body, &body);
            u.add_text(f.body_bg, &body);
            out.push(u);
        }
        out
    }

    /// Replaces the units of `doc` (deleting any earlier ones). Visible after `commit`.
    pub fn put(&self, doc: &Document, tags: &Tags) -> Result<()> {
        let units = self.units(doc, tags);
        self.with_writer(|w| {
            w.delete_term(Term::from_field_text(self.fields.doc_id, doc.id.as_str()));
            for u in units {
                w.add_document(u)?;
            }
            Ok(())
        })
    }

    /// Deletes every unit of a document. Visible after `commit`.
    pub fn delete(&self, id: &DocId) -> Result<()> {
        self.with_writer(|w| {
            w.delete_term(Term::from_field_text(self.fields.doc_id, id.as_str()));
            Ok(())
        })
    }

    /// Makes all changes durable and visible.
    pub fn commit(&self) -> Result<()> {
        self.with_writer(|w| {
            w.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Drops uncommitted changes.
    pub fn rollback(&self) -> Result<()> {
        self.with_writer(|w| {
            w.rollback()?;
            Ok(())
        })
    }

    /// Waits for merges and releases the writer (and its lock).
    pub fn close_writer(&self) -> Result<()> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = guard.take() {
            w.wait_merging_threads()?;
        }
        Ok(())
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files of the last commit, relative to the index folder: `meta.json` and the existing files of
    /// every segment it names. Call with the writer closed, so that no merge replaces them meanwhile.
    pub fn committed_files(&self) -> Result<Vec<PathBuf>> {
        let metas = self.index.load_metas()?;
        let mut segments: Vec<PathBuf> = metas
            .list_segment_files()
            .into_iter()
            .filter(|f| self.dir.join(f).is_file())
            .collect();
        segments.sort();
        let mut files = vec![PathBuf::from("meta.json")];
        files.extend(segments);
        Ok(files)
    }

    /// The ids of all documents that have units in the index (for reconciliation with the store).
    pub fn doc_ids(&self) -> Result<std::collections::BTreeSet<DocId>> {
        let searcher = self.reader.searcher();
        let mut ids = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.doc_id)?;
            let mut terms = inverted
                .terms()
                .stream()
                .map_err(tantivy::TantivyError::from)?;
            let alive = segment.alive_bitset();
            while terms.advance() {
                let term = String::from_utf8_lossy(terms.key()).to_string();
                // In a segment without deletions every term has a live document.
                if alive.is_none() {
                    ids.insert(DocId(term));
                    continue;
                }
                // A deleted document's term stays in the dictionary until merge: check live postings.
                let t = Term::from_field_text(self.fields.doc_id, &term);
                if let Some(mut postings) = inverted
                    .read_postings(&t, IndexRecordOption::Basic)
                    .map_err(tantivy::TantivyError::from)?
                {
                    use tantivy::DocSet;
                    loop {
                        let d = postings.doc();
                        if d == tantivy::TERMINATED {
                            break;
                        }
                        if alive.is_none_or(|a| a.is_alive(d)) {
                            ids.insert(DocId(term.clone()));
                            break;
                        }
                        postings.advance();
                    }
                }
            }
        }
        Ok(ids)
    }

    /// Number of searchable units.
    pub fn num_units(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Size of the index files in bytes.
    pub fn size_bytes(&self) -> u64 {
        walkdir::WalkDir::new(&self.dir)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum()
    }

    fn term_query(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        ))
    }

    /// Exact-substring match of `text` in one bigram field; None when `text` has no indexable characters.
    fn substring_query(&self, field: Field, text: &str) -> Option<Box<dyn Query>> {
        let folded = crate::text::fold(text);
        let grams = grams(&folded, true);
        match grams.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                Term::from_field_text(field, &grams[0].text),
                IndexRecordOption::WithFreqs,
            ))),
            _ => {
                let terms = grams
                    .iter()
                    .map(|g| (g.position, Term::from_field_text(field, &g.text)))
                    .collect();
                Some(Box::new(PhraseQuery::new_with_offset(terms)))
            }
        }
    }

    /// A match in the title or body bigram view, the title weighted up.
    fn substring_anywhere(&self, text: &str) -> Option<Box<dyn Query>> {
        let body = self.substring_query(self.fields.body_bg, text)?;
        let title = self.substring_query(self.fields.title_bg, text)?;
        Some(Box::new(BooleanQuery::new(vec![
            (Occur::Should, body),
            (Occur::Should, Box::new(BoostQuery::new(title, 2.0))),
        ])))
    }

    /// The folded search-mode words of `text` that carry meaning.
    fn content_words(&self, text: &str) -> Vec<String> {
        let folded = crate::text::fold_str(text);
        let mut words: Vec<String> = self
            .analyzer
            .words(&folded)
            .into_iter()
            .map(|(w, _, _)| w.to_string())
            .filter(|w| !analysis::is_stopword(w))
            .collect();
        words.dedup();
        words
    }

    /// The weighted terms of a natural-language question: content words (search mode, question stopwords
    /// dropped; words inside longer words weigh less) and their expansions from the synonym list.
    fn question_terms(&self, q: &str) -> Vec<QuestionTerm> {
        let folded = crate::text::fold_str(q);
        let coarse = self.analyzer.coarse_words(&folded);
        let mut terms: Vec<QuestionTerm> = Vec::new();
        let push = |terms: &mut Vec<QuestionTerm>, text: &str, weight: f32| {
            if let Some(e) = terms.iter_mut().find(|e| e.text == text) {
                e.weight = e.weight.max(weight);
            } else {
                terms.push(QuestionTerm {
                    text: text.to_string(),
                    weight,
                });
            }
        };
        for (w, _, _) in self.analyzer.words(&folded) {
            if !analysis::is_question_stopword(w) {
                let weight = if coarse.contains(&w) {
                    1.0
                } else {
                    SUB_WORD_WEIGHT
                };
                push(&mut terms, w, weight);
            }
        }
        let mut sources: Vec<String> = coarse.iter().map(|w| w.to_string()).collect();
        sources.extend(terms.iter().map(|t| t.text.clone()));
        sources.dedup();
        for w in &sources {
            for e in self.analyzer.synonyms().expand(w) {
                for (x, _, _) in self.analyzer.words(e) {
                    if !analysis::is_question_stopword(x) {
                        push(&mut terms, x, EXPANSION_WEIGHT);
                    }
                }
            }
        }
        terms
    }

    fn match_query(&self, m: &Match) -> Option<Box<dyn Query>> {
        let f = self.fields;
        match m {
            Match::Phrase(p) => self.substring_anywhere(p),
            Match::Text(t) => {
                let required = self.substring_anywhere(t)?;
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, required)];
                for w in self.content_words(t) {
                    clauses.push((Occur::Should, self.term_query(f.body, &w)));
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(self.term_query(f.title, &w), 2.0)),
                    ));
                }
                Some(Box::new(BooleanQuery::new(clauses)))
            }
            Match::Question(q) => {
                // Article titles (law name + label) are left out: a law's name matching a question word
                // lifts every article of that law alike and buries the one that answers it.
                let terms = self.question_terms(q);
                if terms.is_empty() {
                    return self.substring_anywhere(q);
                }
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
                    .iter()
                    .map(|t| -> (Occur, Box<dyn Query>) {
                        (
                            Occur::Should,
                            Box::new(BoostQuery::new(self.term_query(f.body, &t.text), t.weight)),
                        )
                    })
                    .collect();
                // A long query that is a document's title (or part of it) still finds that document first.
                let whole = q.trim().trim_end_matches(['？', '?', '。']);
                if let Some(title) = self.substring_query(f.title_bg, whole) {
                    clauses.push((Occur::Should, Box::new(BoostQuery::new(title, 20.0))));
                }
                Some(Box::new(BooleanQuery::new(clauses)))
            }
        }
    }

    fn filter_clauses(&self, q: &IndexQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let facet_any = |field: FacetField, values: Vec<String>| -> Option<Box<dyn Query>> {
            if values.is_empty() {
                return None;
            }
            let terms: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let facet = if field == FacetField::Subject {
                        let mut path = vec![field.as_str().to_string()];
                        path.extend(subject_path(v));
                        Facet::from_path(path)
                    } else {
                        facet(facet_root(field, &q.scope), v)
                    };
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_facet(f.facets, &facet),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            Some(Box::new(BooleanQuery::new(terms)))
        };
        let fl = &q.filters;
        let dims = [
            (
                FacetField::Kind,
                fl.kinds.iter().map(|k| k.label().to_string()).collect(),
            ),
            (
                FacetField::Level,
                fl.levels.iter().map(|k| k.label().to_string()).collect(),
            ),
            (FacetField::Region, fl.regions.clone()),
            (
                FacetField::Validity,
                fl.validity.iter().map(|k| k.label().to_string()).collect(),
            ),
            (FacetField::Subject, fl.subjects.clone()),
            (FacetField::Topic, fl.topics.clone()),
        ];
        for (field, values) in dims {
            if let Some(query) = facet_any(field, values) {
                out.push((Occur::Must, query));
            }
        }
        if fl.year_from.is_some() || fl.year_to.is_some() {
            let lower = fl
                .year_from
                .map(|y| Bound::Included(Term::from_field_i64(f.year, y as i64)))
                .unwrap_or(Bound::Unbounded);
            let upper = fl
                .year_to
                .map(|y| Bound::Included(Term::from_field_i64(f.year, y as i64)))
                .unwrap_or(Bound::Unbounded);
            out.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        let unit = match q.unit {
            Unit::Best => "leaf",
            Unit::Document => "doc",
            Unit::Article => "art",
        };
        out.push((Occur::Must, self.term_query(f.unit, unit)));
        if let Some(scope) = self.scope_query(&q.scope) {
            out.push((Occur::Must, scope));
        }
        if !q.doc_ids.is_empty() {
            let ids = q
                .doc_ids
                .iter()
                .map(|id| (Occur::Should, self.term_query(f.doc_id, id.as_str())))
                .collect();
            out.push((Occur::Must, Box::new(BooleanQuery::new(ids))));
        }
        out
    }

    /// The clause that keeps a query inside a reader's scope; `None` for the full scope.
    fn scope_query(&self, scope: &Scope) -> Option<Box<dyn Query>> {
        let f = self.fields;
        match scope {
            Scope::All => None,
            Scope::Public { deputy } => {
                let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(
                    Occur::Should,
                    self.term_query(f.access, access_term(Access::Public)),
                )];
                if let Some(d) = deputy {
                    any.push((Occur::Should, self.term_query(f.owner, d)));
                }
                Some(Box::new(BooleanQuery::new(any)))
            }
        }
    }

    /// Translates a typed query into a tantivy query.
    fn build(&self, q: &IndexQuery) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut any_text = false;
        for group in &q.all {
            let alts: Vec<(Occur, Box<dyn Query>)> = group
                .iter()
                .filter_map(|m| self.match_query(m))
                .map(|q| (Occur::Should, q))
                .collect();
            if alts.is_empty() {
                // A group with nothing indexable (only punctuation) cannot match anything.
                return Box::new(EmptyQuery);
            }
            any_text = true;
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(alts))));
        }
        for m in &q.none {
            if let Some(query) = self.match_query(m) {
                clauses.push((Occur::MustNot, query));
            }
        }
        let filters = self.filter_clauses(q);
        if !any_text {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let mut all: Vec<(Occur, Box<dyn Query>)> = if q.pins.is_empty() {
            clauses
        } else {
            let mut either: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Should, Box::new(BooleanQuery::new(clauses)))];
            for id in &q.pins {
                let pin = Box::new(ConstScoreQuery::new(
                    self.term_query(self.fields.id, id),
                    1.0e4,
                ));
                either.push((Occur::Should, pin));
            }
            vec![(Occur::Must, Box::new(BooleanQuery::new(either)))]
        };
        // Filters do not score.
        for (occur, query) in filters {
            all.push((occur, Box::new(ConstScoreQuery::new(query, 0.0))));
        }
        Box::new(BooleanQuery::new(all))
    }

    /// The stored unit id and document id of a hit.
    fn stored_ids(
        &self,
        searcher: &tantivy::Searcher,
        addr: tantivy::DocAddress,
    ) -> Result<(String, String)> {
        let stored: TantivyDocument = searcher.doc(addr)?;
        let get = |field: Field| {
            stored
                .get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        Ok((get(self.fields.id), get(self.fields.doc_id)))
    }

    /// Question search: a wide first pass by the question's weighted terms and the question-mode rank
    /// prior, then a second pass that lifts articles of the laws most of the best candidates come from.
    fn search_question(&self, q: &IndexQuery, question: &str) -> Result<IndexHits> {
        let searcher = self.reader.searcher();
        let query = self.build(q);
        let depth = (q.offset + q.limit.max(1)).max(QUESTION_DEPTH);
        let local_ok = mentions_place(question);
        let rank_name = rank_field(&q.scope);
        let collector =
            TopDocs::with_limit(depth).tweak_score(move |segment: &tantivy::SegmentReader| {
                let rank = segment
                    .fast_fields()
                    .u64(rank_name)
                    .ok()
                    .map(|c| c.first_or_default_col(21));
                move |doc: tantivy::DocId, score: tantivy::Score| {
                    let r = rank.as_ref().map(|c| c.get_val(doc)).unwrap_or(21);
                    score * question_rank_weight(r, local_ok)
                }
            });
        let mut facet_collector = FacetCollector::for_field("facets");
        for field in &q.facets {
            facet_collector.add_facet(Facet::from_path([facet_root(*field, &q.scope)]));
        }
        let (total, docs, facet_counts) =
            searcher.search(&query, &(Count, collector, facet_collector))?;
        // (score, unit id, document id), best first.
        let mut scored: Vec<(f32, String, String)> = Vec::with_capacity(docs.len());
        for (score, addr) in &docs {
            let (id, doc_id) = self.stored_ids(&searcher, *addr)?;
            scored.push((*score, id, doc_id));
        }
        if let Some(best) = scored.first().map(|s| s.0).filter(|s| *s > 0.0) {
            let mut mass: std::collections::HashMap<String, f32> = Default::default();
            for s in scored.iter().take(LAW_CLUSTER_TOP) {
                *mass.entry(s.2.clone()).or_default() += s.0 / best;
            }
            let max = mass.values().copied().fold(0f32, f32::max);
            if max > 0.0 {
                for s in scored.iter_mut() {
                    if let Some(m) = mass.get(&s.2) {
                        s.0 *= 1.0 + LAW_CLUSTER_BOOST * m / max;
                    }
                }
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let hits = scored
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|(score, id, doc_id)| IndexHit {
                unit: if id == doc_id {
                    HitUnit::Document
                } else {
                    HitUnit::Article
                },
                id,
                doc_id: DocId(doc_id),
                score,
            })
            .collect();
        let facets = self.facet_values(q, &facet_counts);
        Ok(IndexHits {
            total,
            hits,
            facets,
        })
    }

    /// Runs a query: exact total, one page of hits and the requested facet counts.
    pub fn search(&self, q: &IndexQuery) -> Result<IndexHits> {
        let question = q.all.iter().flatten().find_map(|m| match m {
            Match::Question(text) => Some(text.clone()),
            _ => None,
        });
        if let Some(question) = question
            && q.sort == Sort::Relevance
            && q.subject_drill.is_none()
            && q.unit != Unit::Document
        {
            return self.search_question(q, &question);
        }
        let searcher = self.reader.searcher();
        let query = self.build(q);
        let mut facet_collector = FacetCollector::for_field("facets");
        for field in &q.facets {
            match (field, &q.subject_drill) {
                (FacetField::Subject, Some(code)) => {
                    let mut path = vec![field.as_str().to_string()];
                    path.extend(subject_path(code));
                    facet_collector.add_facet(Facet::from_path(path));
                }
                _ => facet_collector.add_facet(Facet::from_path([facet_root(*field, &q.scope)])),
            }
        }
        let limit = q.limit.max(1);
        let rank_name = rank_field(&q.scope);
        let top = TopDocs::with_limit(limit).and_offset(q.offset);
        let (total, docs, facet_counts) = match q.sort {
            Sort::Relevance => {
                let collector = top.tweak_score(move |segment: &tantivy::SegmentReader| {
                    let rank = segment
                        .fast_fields()
                        .u64(rank_name)
                        .ok()
                        .map(|c| c.first_or_default_col(21));
                    move |doc: tantivy::DocId, score: tantivy::Score| {
                        let r = rank.as_ref().map(|c| c.get_val(doc)).unwrap_or(21);
                        score * rank_weight(r)
                    }
                });
                let (total, docs, facets) =
                    searcher.search(&query, &(Count, collector, facet_collector))?;
                (total, docs, facets)
            }
            Sort::Date => {
                let collector = top.order_by_fast_field::<i64>("date", Order::Desc);
                let (total, docs, facets) =
                    searcher.search(&query, &(Count, collector, facet_collector))?;
                let docs = docs
                    .into_iter()
                    .map(|(d, a)| (d.unwrap_or(0) as f32, a))
                    .collect();
                (total, docs, facets)
            }
        };
        let mut hits = Vec::new();
        if q.limit > 0 {
            for (score, addr) in docs {
                let stored: TantivyDocument = searcher.doc(addr)?;
                let id = stored
                    .get_first(self.fields.id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let doc_id = stored
                    .get_first(self.fields.doc_id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let unit = if id == doc_id {
                    HitUnit::Document
                } else {
                    HitUnit::Article
                };
                hits.push(IndexHit {
                    id: id.to_string(),
                    doc_id: DocId(doc_id.to_string()),
                    unit,
                    score,
                });
            }
        }
        let facets = self.facet_values(q, &facet_counts);
        Ok(IndexHits {
            total,
            hits,
            facets,
        })
    }

    fn facet_values(
        &self,
        q: &IndexQuery,
        facet_counts: &tantivy::collector::FacetCounts,
    ) -> Vec<FacetCounts> {
        let mut facets = Vec::new();
        for field in &q.facets {
            let root = match (field, &q.subject_drill) {
                (FacetField::Subject, Some(code)) => {
                    let mut path = vec![field.as_str().to_string()];
                    path.extend(subject_path(code));
                    Facet::from_path(path)
                }
                _ => Facet::from_path([facet_root(*field, &q.scope)]),
            };
            let mut values: Vec<(String, u64)> = facet_counts
                .get(root.to_path_string().as_str())
                .map(|(facet, count)| {
                    let last = facet
                        .to_path()
                        .last()
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    (last, count)
                })
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            facets.push(FacetCounts {
                field: *field,
                values,
            });
        }
        facets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_with_another_schema_is_rebuilt_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Schema::builder();
        b.add_text_field("old", STRING | STORED);
        let old = Index::create_in_dir(dir.path(), b.build()).unwrap();
        let mut w: IndexWriter = old.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut doc = TantivyDocument::default();
        doc.add_text(old.schema().get_field("old").unwrap(), "x");
        w.add_document(doc).unwrap();
        w.commit().unwrap();
        drop(w);
        drop(old);
        let index = SearchIndex::open(dir.path(), Analyzer::new()).unwrap();
        assert_eq!(index.num_units(), 0);
        assert!(index.doc_ids().unwrap().is_empty());
    }
}
