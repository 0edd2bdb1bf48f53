//! Questions asked of the facts (the facts command, `GET /api/facts`, subject pages and dossiers): filtered
//! lists, sums by 类, totals per column. The facts of every document are held in memory as columns (one
//! vector per field, strings interned), rebuilt from the store whenever its facts generation changes, and
//! every answer is computed inside the reader's `Scope`.

use super::facts::{DocFacts, Fact};
use super::recognise::{CodeLevel, Stage, TableKind};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{Access, DocId, Scope};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The id of an absent string.
pub(super) const NONE: u32 = u32::MAX;

/// Strings kept once.
#[derive(Debug, Default)]
pub(super) struct Interner {
    strings: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    pub(super) fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.into());
        self.ids.insert(s.into(), i);
        i
    }
    fn opt(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE, |s| self.id(s))
    }
    pub(super) fn get(&self, i: u32) -> Option<&str> {
        self.strings.get(i as usize).map(|s| &**s)
    }
    pub(super) fn find(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
    pub(super) fn len(&self) -> usize {
        self.strings.len()
    }
    /// Every string, in id order.
    pub(super) fn all(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(|s| &**s)
    }
}

#[derive(Debug)]
pub(super) struct DocEntry {
    pub(super) id: DocId,
    pub(super) access: Access,
    pub(super) owners: Vec<String>,
    pub(super) unit: u32,
    pub(super) region: u32,
    pub(super) year: Option<i32>,
    pub(super) stage: Option<Stage>,
}

/// Every fact of the store as columns.
#[derive(Debug, Default)]
pub struct Columns {
    generation: u64,
    pub(super) strings: Interner,
    pub(super) docs: Vec<DocEntry>,
    pub(super) doc: Vec<u32>,
    pub(super) table_kind: Vec<TableKind>,
    pub(super) table_title: Vec<u32>,
    pub(super) table_index: Vec<u32>,
    pub(super) code: Vec<u32>,
    pub(super) level: Vec<Option<CodeLevel>>,
    /// Bit 0: economic code; bit 1: a total row.
    pub(super) flags: Vec<u8>,
    pub(super) name: Vec<u32>,
    pub(super) side: Vec<u32>,
    pub(super) column: Vec<u32>,
    pub(super) amount: Vec<f64>,
    pub(super) raw_end: Vec<u32>,
    pub(super) raw: String,
    pub(super) page: Vec<u32>,
    pub(super) cell: Vec<(u32, u32)>,
    /// The positions of each code's facts, in order (a query by code reads only these).
    pub(super) by_code: HashMap<u32, Vec<u32>>,
}

/// The per-fact columns of `Columns`, as read back from a saved file.
pub(super) struct Parts {
    pub(super) doc: Vec<u32>,
    pub(super) table_kind: Vec<TableKind>,
    pub(super) table_title: Vec<u32>,
    pub(super) table_index: Vec<u32>,
    pub(super) code: Vec<u32>,
    pub(super) level: Vec<Option<CodeLevel>>,
    pub(super) flags: Vec<u8>,
    pub(super) name: Vec<u32>,
    pub(super) side: Vec<u32>,
    pub(super) column: Vec<u32>,
    pub(super) amount: Vec<f64>,
    pub(super) raw_end: Vec<u32>,
    pub(super) raw: String,
    pub(super) page: Vec<u32>,
    pub(super) cell: Vec<(u32, u32)>,
}

impl Columns {
    /// Columns from their parts (checked by the reader), with the positions of each code rebuilt.
    pub(super) fn from_parts(strings: Interner, docs: Vec<DocEntry>, p: Parts) -> Columns {
        // Positions gathered by string id first (a vector, not a hash per fact).
        let mut positions: Vec<Vec<u32>> = vec![Vec::new(); strings.len()];
        for (i, &code) in p.code.iter().enumerate() {
            if let Some(v) = positions.get_mut(code as usize) {
                v.push(i as u32);
            }
        }
        let by_code: HashMap<u32, Vec<u32>> = positions
            .into_iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(id, v)| (id as u32, v))
            .collect();
        Columns {
            generation: 0,
            strings,
            docs,
            doc: p.doc,
            table_kind: p.table_kind,
            table_title: p.table_title,
            table_index: p.table_index,
            code: p.code,
            level: p.level,
            flags: p.flags,
            name: p.name,
            side: p.side,
            column: p.column,
            amount: p.amount,
            raw_end: p.raw_end,
            raw: p.raw,
            page: p.page,
            cell: p.cell,
            by_code,
        }
    }

    /// A code's name: the subject tree's, else the name the code's first fact gives.
    pub(super) fn code_name(
        &self,
        taxonomy: &crate::link::taxonomy::Taxonomy,
        code: &str,
    ) -> String {
        taxonomy
            .name(code)
            .or_else(|| {
                self.strings
                    .find(code)
                    .and_then(|id| self.by_code.get(&id))
                    .and_then(|ps| ps.first())
                    .and_then(|&i| self.strings.get(self.name[i as usize]))
            })
            .unwrap_or_default()
            .to_string()
    }

    /// The number of facts.
    pub fn len(&self) -> usize {
        self.amount.len()
    }

    pub fn is_empty(&self) -> bool {
        self.amount.is_empty()
    }

    /// Adds the facts of one document, with who may read it.
    pub fn push(&mut self, facts: &DocFacts, access: Access, owners: Vec<String>) {
        let d = self.docs.len() as u32;
        let unit = self.strings.opt(facts.issuer.unit.as_deref());
        let region = self.strings.opt(facts.issuer.region.as_deref());
        self.docs.push(DocEntry {
            id: facts.doc_id.clone(),
            access,
            owners,
            unit,
            region,
            year: facts.issuer.year,
            stage: facts.issuer.stage,
        });
        let titles: Vec<u32> = facts
            .tables
            .iter()
            .map(|t| self.strings.id(&t.title))
            .collect();
        for i in &facts.items {
            let t = i.table as usize;
            let code = self.strings.opt(i.code.as_deref());
            if code != NONE {
                self.by_code
                    .entry(code)
                    .or_default()
                    .push(self.doc.len() as u32);
            }
            self.doc.push(d);
            self.table_kind
                .push(facts.tables.get(t).map_or(TableKind::Generic, |t| t.kind));
            self.table_title
                .push(titles.get(t).copied().unwrap_or(NONE));
            self.table_index.push(i.table);
            self.code.push(code);
            self.level.push(i.level);
            self.flags
                .push(u8::from(i.economic) | (u8::from(i.total) << 1));
            self.name.push(self.strings.id(&i.name));
            self.side.push(self.strings.opt(i.side.as_deref()));
            self.column.push(self.strings.id(&i.column));
            self.amount.push(i.amount);
            self.raw.push_str(&i.raw);
            self.raw_end.push(self.raw.len() as u32);
            self.page.push(i.page.unwrap_or(0));
            self.cell.push(i.cell);
        }
    }

    fn text(&self, i: u32) -> Option<String> {
        self.strings.get(i).map(str::to_string)
    }

    /// The fact at position `i`.
    pub(super) fn fact(&self, i: usize) -> Fact {
        let d = &self.docs[self.doc[i] as usize];
        let start = if i == 0 {
            0
        } else {
            self.raw_end[i - 1] as usize
        };
        Fact {
            doc_id: d.id.clone(),
            unit: self.text(d.unit),
            region: self.text(d.region),
            year: d.year,
            stage: d.stage,
            table: self.text(self.table_title[i]).unwrap_or_default(),
            table_kind: self.table_kind[i],
            table_index: self.table_index[i],
            code: self.text(self.code[i]),
            name: self.text(self.name[i]).unwrap_or_default(),
            level: self.level[i],
            economic: self.flags[i] & 1 != 0,
            total: self.flags[i] & 2 != 0,
            side: self.text(self.side[i]),
            column: self.text(self.column[i]).unwrap_or_default(),
            amount: self.amount[i],
            raw: self.raw[start..self.raw_end[i] as usize].to_string(),
            page: (self.page[i] > 0).then_some(self.page[i]),
            row: self.cell[i].0,
            col: self.cell[i].1,
        }
    }
}

/// The facts view of a library (built on first use after a change).
#[derive(Debug, Default)]
pub struct Cache(Mutex<Option<Arc<Columns>>>);

impl Cache {
    /// Forgets the columns, as a new process would not have them (the next use reads the saved file).
    pub fn forget(&self) {
        if let Ok(mut g) = self.0.lock() {
            *g = None;
        }
    }
}

/// The current columns, rebuilt from the store if its facts changed since they were built.
pub fn columns(lib: &Library) -> Result<Arc<Columns>> {
    let store = lib.store();
    let mut guard = lib
        .facts_cache()
        .0
        .lock()
        .map_err(|_| Error::Invalid("the facts cache was poisoned".into()))?;
    let generation = store.facts_generation();
    if let Some(c) = guard.as_ref()
        && c.generation == generation
    {
        return Ok(c.clone());
    }
    // The first use in this process: the columns saved at the store's current facts epoch, if there are.
    let epoch = store.facts_epoch()?;
    let data_dir = &lib.config.data_dir;
    if guard.is_none()
        && let Some(mut cols) = super::snapshot::load(data_dir, epoch)
    {
        cols.generation = generation;
        let cols = Arc::new(cols);
        *guard = Some(cols.clone());
        return Ok(cols);
    }
    let mut cols = Columns {
        generation,
        ..Columns::default()
    };
    let mut failure = None;
    store.for_each_facts(|f| {
        if failure.is_some() {
            return;
        }
        match store.access_of(&f.doc_id) {
            Ok(Some((access, owners))) => cols.push(&f, access, owners),
            Ok(None) => {}
            Err(e) => failure = Some(e),
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    // Saved for the next process, unless the store changed while they were built (the epoch was read first).
    if store.facts_epoch()? == epoch
        && let Err(e) = super::snapshot::save(&cols, epoch, data_dir)
    {
        tracing::warn!("the facts columns could not be saved: {e}");
    }
    let cols = Arc::new(cols);
    *guard = Some(cols.clone());
    Ok(cols)
}

/// Which facts to list; empty fields do not restrict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactQuery {
    pub doc: Option<DocId>,
    /// A subject or economic code, exactly.
    pub code: Option<String>,
    /// A part of the issuing unit's name.
    pub unit: Option<String>,
    /// A part of the region's name.
    pub region: Option<String>,
    pub year: Option<i32>,
    /// A table: its kind (支出表), any title naming that kind (支出决算表: then of final accounts only), or a
    /// part of its title.
    pub table: Option<String>,
    /// A column: its normalised name or an alias of it (合计 in the tables that call 本年支出合计 so).
    pub column: Option<String>,
    pub level: Option<CodeLevel>,
    pub offset: usize,
    /// At most this many facts (0: only the total).
    pub limit: usize,
}

/// Facts found, with the number of all matches.
#[derive(Debug, Clone, Serialize)]
pub struct FactList {
    pub total: usize,
    pub facts: Vec<Fact>,
}

/// The per-fact test of a query, resolved against the interned strings once.
pub(super) struct Matcher {
    /// Per document: inside the scope and the query's document, year and unit.
    pub(super) visible: Vec<bool>,
    code: Option<u32>,
    column: Option<Vec<u32>>,
    table_kind: Option<TableKind>,
    table_titles: Option<Vec<u32>>,
    level: Option<CodeLevel>,
    impossible: bool,
}

impl Matcher {
    pub(super) fn new(lib: &Library, c: &Columns, q: &FactQuery, scope: &Scope) -> Matcher {
        let catalog = &lib.reference().budget_tables;
        // A table named with its stage (支出决算表, 支出预算表) asks for documents of that stage.
        let table_stage = q
            .table
            .as_deref()
            .filter(|t| {
                TableKind::parse(t.trim()).is_none() && catalog.kind_of(t) != TableKind::Generic
            })
            .and_then(Stage::from_title);
        let visible = c
            .docs
            .iter()
            .map(|d| {
                scope.allows(d.access, &d.owners)
                    && q.doc.as_ref().is_none_or(|id| *id == d.id)
                    && q.year.is_none_or(|y| d.year == Some(y))
                    && table_stage.is_none_or(|s| d.stage == Some(s))
                    && q.unit.as_deref().is_none_or(|u| {
                        c.strings
                            .get(d.unit)
                            .is_some_and(|name| name.contains(u.trim()))
                    })
                    && q.region.as_deref().is_none_or(|r| {
                        c.strings
                            .get(d.region)
                            .is_some_and(|name| name.contains(r.trim()))
                    })
            })
            .collect();
        let mut impossible = false;
        let code = q.code.as_deref().map(|code| {
            c.strings.find(code.trim()).unwrap_or_else(|| {
                impossible = true;
                NONE
            })
        });
        let column = q.column.as_deref().map(|col| {
            let col = super::recognise::squeeze(col);
            let normal = catalog.normalise_column(&col);
            c.strings
                .strings
                .iter()
                .enumerate()
                .filter(|(_, s)| &***s == col.as_str() || &***s == normal.as_str())
                .map(|(i, _)| i as u32)
                .collect::<Vec<_>>()
        });
        let (table_kind, table_titles) = match q.table.as_deref().map(super::recognise::squeeze) {
            None => (None, None),
            Some(t) => match TableKind::parse(&t) {
                Some(k) => (Some(k), None),
                None => match catalog.kind_of(&t) {
                    TableKind::Generic => (
                        None,
                        Some(
                            c.strings
                                .strings
                                .iter()
                                .enumerate()
                                .filter(|(_, s)| super::recognise::squeeze(s).contains(&t))
                                .map(|(i, _)| i as u32)
                                .collect(),
                        ),
                    ),
                    k => (Some(k), None),
                },
            },
        };
        Matcher {
            visible,
            code,
            column,
            table_kind,
            table_titles,
            level: q.level,
            impossible,
        }
    }

    pub(super) fn matches(&self, c: &Columns, i: usize) -> bool {
        self.visible[c.doc[i] as usize]
            && self.code.is_none_or(|x| c.code[i] == x)
            && self.level.is_none_or(|l| c.level[i] == Some(l))
            && self.table_kind.is_none_or(|k| c.table_kind[i] == k)
            && self
                .column
                .as_ref()
                .is_none_or(|cols| cols.contains(&c.column[i]))
            && self
                .table_titles
                .as_ref()
                .is_none_or(|ts| ts.contains(&c.table_title[i]))
    }
}

/// The facts matching a query inside a scope, in document then table order.
pub fn facts(lib: &Library, q: &FactQuery, scope: &Scope) -> Result<FactList> {
    let c = columns(lib)?;
    let m = Matcher::new(lib, &c, q, scope);
    let mut total = 0;
    let mut facts = Vec::new();
    if !m.impossible {
        let mut visit = |i: usize| {
            if m.matches(&c, i) {
                if total >= q.offset && facts.len() < q.limit {
                    facts.push(c.fact(i));
                }
                total += 1;
            }
        };
        match m.code {
            Some(code) => c
                .by_code
                .get(&code)
                .into_iter()
                .flatten()
                .for_each(|&i| visit(i as usize)),
            None => (0..c.len()).for_each(visit),
        }
    }
    Ok(FactList { total, facts })
}

/// The sum of the matching facts by 类 (the first three digits of their codes), with how many facts each
/// sum has; facts without a code are left out.
pub fn sum_by_class(
    lib: &Library,
    q: &FactQuery,
    scope: &Scope,
) -> Result<BTreeMap<String, (f64, usize)>> {
    let c = columns(lib)?;
    let m = Matcher::new(lib, &c, q, scope);
    let mut by_code: HashMap<u32, (f64, usize)> = HashMap::new();
    if !m.impossible {
        for i in 0..c.len() {
            if c.code[i] != NONE && m.matches(&c, i) {
                let e = by_code.entry(c.code[i]).or_default();
                e.0 += c.amount[i];
                e.1 += 1;
            }
        }
    }
    let mut out: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for (code, (sum, n)) in by_code {
        let code = c.strings.get(code).unwrap_or_default();
        let class = code.get(..3).unwrap_or(code).to_string();
        let e = out.entry(class).or_default();
        e.0 += sum;
        e.1 += n;
    }
    Ok(out)
}

/// The total of one column of one standard table over documents, each document counted once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnTotal {
    pub table: TableKind,
    pub column: String,
    /// 万元.
    pub amount: f64,
    pub documents: usize,
}

/// The amounts tables give for one subject code: each disclosure's facts for it, and the totals per table and
/// column (a document that repeats the row, or a disclosure stored twice, counts once).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SubjectAmounts {
    pub facts: Vec<Fact>,
    pub totals: Vec<ColumnTotal>,
}

/// Facts for a subject code, inside a scope, optionally for some documents only.
pub fn subject_amounts(
    lib: &Library,
    code: &str,
    docs: Option<&[DocId]>,
    scope: &Scope,
) -> Result<SubjectAmounts> {
    let list = facts(
        lib,
        &FactQuery {
            code: Some(code.to_string()),
            limit: usize::MAX,
            ..FactQuery::default()
        },
        scope,
    )?;
    let mut seen = std::collections::BTreeSet::new();
    let mut facts = Vec::new();
    for f in list.facts {
        if docs.is_some_and(|ds| !ds.contains(&f.doc_id)) || f.economic {
            continue;
        }
        // One amount per disclosure, table kind and column: a disclosure is its unit's year and stage (the same
        // final account ingested as PDF and as XLSX counts once), or the document where the unit is unknown.
        let disclosure = match &f.unit {
            Some(u) => (u.clone(), f.year, f.stage),
            None => (f.doc_id.to_string(), None, None),
        };
        if seen.insert((disclosure, f.table_kind, f.column.clone())) {
            facts.push(f);
        }
    }
    let mut totals: BTreeMap<(TableKind, String), (f64, usize)> = BTreeMap::new();
    for f in &facts {
        let e = totals.entry((f.table_kind, f.column.clone())).or_default();
        e.0 += f.amount;
        e.1 += 1;
    }
    Ok(SubjectAmounts {
        facts,
        totals: totals
            .into_iter()
            .map(|((table, column), (amount, documents))| ColumnTotal {
                table,
                column,
                amount: (amount * 100.0).round() / 100.0,
                documents,
            })
            .collect(),
    })
}

/// The amount to show for a document under a subject: what it spends on it. The 支出表's 本年支出合计 first,
/// then the 一般公共预算财政拨款支出表's; in other tables the 决算数 of a final account or the 年初预算数 of a
/// budget. Never an income table or an income column, never an economic code.
pub fn headline(facts: &[Fact], doc: &DocId) -> Option<Fact> {
    let of_doc = || {
        facts.iter().filter(|f| {
            f.doc_id == *doc
                && !f.economic
                && f.table_kind != TableKind::Income
                && !f.column.contains("收入")
                && f.side.as_deref() != Some("收入")
        })
    };
    let preferred = match of_doc().next().and_then(|f| f.stage) {
        Some(Stage::Budget) => ["年初预算数", "决算数"],
        _ => ["决算数", "年初预算数"],
    };
    [TableKind::Expenditure, TableKind::GeneralExpenditure]
        .iter()
        .find_map(|k| of_doc().find(|f| f.table_kind == *k && f.column == "本年支出合计"))
        .or_else(|| {
            preferred
                .iter()
                .find_map(|c| of_doc().find(|f| f.column == *c))
        })
        .cloned()
}

/// How an amount is labelled wherever it is shown: 单位 · 年度 · 表 · 栏目 (万元).
pub fn label(f: &Fact) -> String {
    let mut parts = Vec::new();
    if let Some(u) = &f.unit {
        parts.push(u.clone());
    }
    if let Some(y) = f.year {
        parts.push(format!("{y}年"));
    }
    parts.push(if f.table.is_empty() {
        f.table_kind.label().to_string()
    } else {
        f.table.clone()
    });
    parts.push(f.column.clone());
    format!("{}（万元）", parts.join(" · "))
}

/// A document's table with what recognition made of it, as the `tables` command and the document page show
/// it.
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    /// The table's index among the document's tables.
    pub index: usize,
    pub title: String,
    pub kind: TableKind,
    /// The unit as printed.
    pub unit: Option<String>,
    /// First and last page (PDF).
    pub pages: Option<(u32, u32)>,
    /// Rows before the body (title and unit rows of a sheet, then the header).
    pub header_rows: usize,
    /// The normalised name of each column (empty for code, name and other columns).
    pub columns: Vec<String>,
    pub table: super::Table,
}

/// The tables of a document inside a scope (`None` for a document outside it or missing).
pub fn document_tables(lib: &Library, id: &DocId, scope: &Scope) -> Result<Option<Vec<TableView>>> {
    if lib.meta(id, scope)?.is_none() {
        return Ok(None);
    }
    let catalog = &lib.reference().budget_tables;
    Ok(Some(
        lib.store()
            .tables_of(id)?
            .into_iter()
            .enumerate()
            .map(|(index, table)| {
                let r = super::recognise(&table, catalog);
                TableView {
                    index,
                    title: r.title.clone(),
                    kind: r.kind,
                    unit: r.unit_raw.clone(),
                    pages: table.pages,
                    header_rows: r.body_start(),
                    columns: r.columns.iter().map(|c| c.name.clone()).collect(),
                    table,
                }
            })
            .collect(),
    ))
}

/// One cell of a document's tables with what surrounds it: the table's title, the labels before it in its
/// row, its text and page, and the fact read from it where it holds one.
#[derive(Debug, Clone)]
pub struct CellInfo {
    pub table_title: String,
    pub row_label: String,
    pub text: String,
    pub page: Option<u32>,
    pub fact: Option<super::facts::Fact>,
}

/// The cell at `table`, `row`, `col` (from 0) of a document's tables; `None` when there is no such cell.
/// The caller checks the reader's scope.
pub fn cell_info(
    lib: &Library,
    id: &DocId,
    table: u32,
    row: u32,
    col: u32,
) -> Result<Option<CellInfo>> {
    let tables = lib.store().tables_of(id)?;
    let Some(t) = tables.get(table as usize) else {
        return Ok(None);
    };
    let Some(cells) = t.rows.get(row as usize) else {
        return Ok(None);
    };
    let Some(cell) = cells.get(col as usize) else {
        return Ok(None);
    };
    let label: Vec<&str> = cells
        .iter()
        .take(col as usize)
        .map(|c| c.text.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let fact = lib.store().get_facts(id)?.and_then(|f| {
        f.facts()
            .find(|f| f.table_index == table && f.row == row && f.col == col)
    });
    Ok(Some(CellInfo {
        table_title: match super::recognise(t, &lib.reference().budget_tables).title {
            title if !title.trim().is_empty() => title,
            _ => format!("表{}", table + 1),
        },
        row_label: label.join(" · "),
        text: cell.text.clone(),
        page: cell.page.or(t.pages.map(|p| p.0)),
        fact,
    }))
}
