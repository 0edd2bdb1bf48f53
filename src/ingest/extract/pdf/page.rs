//! A PDF page interpreter: runs a page's content stream (and the forms it draws) and reports every glyph with
//! its box and every axis-aligned segment that is stroked or filled, for the table grid
//! (`crate::budget::grid`) and as a text fallback where pdf-extract cannot read a font.

use super::fonts::{Font, number};
use crate::budget::grid::{Glyph, PageContent, Segment};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;

/// Forms drawn inside forms deeper than this are skipped (cycles and bombs).
const MAX_FORM_DEPTH: usize = 6;
/// Operations run per page at most; a page beyond it is cut off there.
const MAX_OPERATIONS: usize = 2_000_000;
/// Glyphs and segments kept per page at most.
const MAX_ITEMS: usize = 400_000;

/// An affine matrix `[a b c d e f]`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    /// `self × other` (apply self first, then other).
    fn then(&self, o: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    fn translate(x: f32, y: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, x, y])
    }
}

/// The graphics state the interpreter tracks.
#[derive(Debug, Clone)]
struct State {
    ctm: Matrix,
    /// Whether the fill colour is white (white fills are backgrounds, not lines).
    white_fill: bool,
    char_spacing: f32,
    word_spacing: f32,
    scale: f32,
    leading: f32,
    rise: f32,
    font: Option<usize>,
    size: f32,
}

impl Default for State {
    fn default() -> State {
        State {
            ctm: Matrix::IDENTITY,
            white_fill: false,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
            font: None,
            size: 0.0,
        }
    }
}

/// One path under construction: rectangles and polylines in user space.
#[derive(Debug, Default)]
struct Path {
    /// Subpaths as point lists (already in device space).
    subpaths: Vec<Vec<(f32, f32)>>,
    /// Rectangles (device space corners) drawn with `re`.
    rects: Vec<[(f32, f32); 4]>,
}

/// Interprets the pages of a document.
pub(super) struct Interpreter<'a> {
    doc: &'a Document,
    fonts: Vec<Font>,
    font_ids: HashMap<ObjectId, usize>,
}

impl<'a> Interpreter<'a> {
    pub(super) fn new(doc: &'a Document) -> Interpreter<'a> {
        Interpreter {
            doc,
            fonts: Vec::new(),
            font_ids: HashMap::new(),
        }
    }

    /// Interprets one page. Errors in the content are tolerated: what was drawn before them is kept.
    pub(super) fn page(&mut self, page_number: u32, id: ObjectId) -> PageContent {
        let doc = self.doc;
        let page = doc.get_dictionary(id).ok();
        let media = page
            .and_then(|p| inherited(doc, p, b"MediaBox"))
            .and_then(|o| o.as_array().ok())
            .map(|a| {
                a.iter()
                    .filter_map(|o| deref(doc, o).and_then(number))
                    .collect::<Vec<f32>>()
            })
            .filter(|v| v.len() == 4)
            .unwrap_or_else(|| vec![0.0, 0.0, 612.0, 792.0]);
        let (x0, y0, x1, y1) = (
            media[0].min(media[2]),
            media[1].min(media[3]),
            media[0].max(media[2]),
            media[1].max(media[3]),
        );
        let mut out = PageContent {
            number: page_number,
            width: x1 - x0,
            height: y1 - y0,
            ..PageContent::default()
        };
        // Device space: origin at the top left, y downwards.
        let flip = Matrix([1.0, 0.0, 0.0, -1.0, -x0, y1]);
        let resources = page
            .and_then(|p| inherited(doc, p, b"Resources"))
            .and_then(|o| o.as_dict().ok());
        let content = doc.get_page_content(id).unwrap_or_default();
        let mut budget = MAX_OPERATIONS;
        self.run(&content, resources, flip, &mut out, 0, &mut budget);
        out
    }

    /// Runs a content stream with its resources under the matrix `base`.
    fn run(
        &mut self,
        content: &[u8],
        resources: Option<&'a Dictionary>,
        base: Matrix,
        out: &mut PageContent,
        depth: usize,
        budget: &mut usize,
    ) {
        let Ok(ops) = lopdf::content::Content::decode(content) else {
            return;
        };
        let mut gs = State {
            ctm: base,
            ..State::default()
        };
        let mut stack: Vec<State> = Vec::new();
        let mut path = Path::default();
        let mut current: Option<(f32, f32)> = None;
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        for op in &ops.operations {
            if *budget == 0 || out.glyphs.len() + out.segments.len() >= MAX_ITEMS {
                return;
            }
            *budget -= 1;
            let n = |i: usize| op.operands.get(i).and_then(number).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" if stack.len() < 64 => stack.push(gs.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        gs = s;
                    }
                }
                "cm" => {
                    let m = Matrix([n(0), n(1), n(2), n(3), n(4), n(5)]);
                    gs.ctm = m.then(&gs.ctm);
                }
                "g" => gs.white_fill = n(0) >= 0.99,
                "rg" => gs.white_fill = n(0) >= 0.99 && n(1) >= 0.99 && n(2) >= 0.99,
                "k" => gs.white_fill = n(0) <= 0.01 && n(1) <= 0.01 && n(2) <= 0.01 && n(3) <= 0.01,
                "sc" | "scn" => {
                    let vals: Vec<f32> = op.operands.iter().filter_map(number).collect();
                    gs.white_fill = match vals.len() {
                        1 | 3 => vals.iter().all(|v| *v >= 0.99),
                        4 => vals.iter().all(|v| *v <= 0.01),
                        _ => false,
                    };
                }
                "cs" => gs.white_fill = false,
                // Paths.
                "m" => {
                    let p = gs.ctm.apply(n(0), n(1));
                    path.subpaths.push(vec![p]);
                    current = Some((n(0), n(1)));
                }
                "l" => {
                    let p = gs.ctm.apply(n(0), n(1));
                    match path.subpaths.last_mut() {
                        Some(sp) => sp.push(p),
                        None => path.subpaths.push(vec![p]),
                    }
                    current = Some((n(0), n(1)));
                }
                "c" | "v" | "y" => {
                    // Curves are not rules: the subpath is broken there.
                    let k = op.operands.len();
                    if k >= 2 {
                        let (x, y) = (n(k - 2), n(k - 1));
                        path.subpaths.push(vec![gs.ctm.apply(x, y)]);
                        current = Some((x, y));
                    }
                }
                "h" => {
                    if let Some(sp) = path.subpaths.last_mut()
                        && let Some(&first) = sp.first()
                    {
                        sp.push(first);
                    }
                    let _ = current;
                }
                "re" => {
                    let (x, y, w, h) = (n(0), n(1), n(2), n(3));
                    path.rects.push([
                        gs.ctm.apply(x, y),
                        gs.ctm.apply(x + w, y),
                        gs.ctm.apply(x + w, y + h),
                        gs.ctm.apply(x, y + h),
                    ]);
                    current = Some((x, y));
                }
                "S" | "s" => {
                    emit_stroke(&path, op.operator == "s", out);
                    path = Path::default();
                }
                "f" | "F" | "f*" => {
                    if !gs.white_fill {
                        emit_fill(&path, out);
                    }
                    path = Path::default();
                }
                "B" | "B*" | "b" | "b*" => {
                    emit_stroke(&path, op.operator.starts_with('b'), out);
                    if !gs.white_fill {
                        emit_fill(&path, out);
                    }
                    path = Path::default();
                }
                "n" => path = Path::default(),
                // Text.
                "BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                "Tc" => gs.char_spacing = n(0),
                "Tw" => gs.word_spacing = n(0),
                "Tz" => gs.scale = n(0) / 100.0,
                "TL" => gs.leading = n(0),
                "Ts" => gs.rise = n(0),
                "Tf" => {
                    gs.size = n(1);
                    gs.font = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .map(|name| self.font(resources, name));
                }
                "Td" => {
                    tlm = Matrix::translate(n(0), n(1)).then(&tlm);
                    tm = tlm;
                }
                "TD" => {
                    gs.leading = -n(1);
                    tlm = Matrix::translate(n(0), n(1)).then(&tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = Matrix([n(0), n(1), n(2), n(3), n(4), n(5)]);
                    tm = tlm;
                }
                "T*" => {
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator == "'" || op.operator == "\"" {
                        if op.operator == "\"" {
                            gs.word_spacing = n(0);
                            gs.char_spacing = n(1);
                        }
                        tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                        tm = tlm;
                    }
                    let Some(font) = gs.font else { continue };
                    match op.operands.last() {
                        Some(Object::String(bytes, _)) => {
                            self.show(font, bytes, &gs, &mut tm, out);
                        }
                        Some(Object::Array(items)) if op.operator == "TJ" => {
                            for item in items {
                                match item {
                                    Object::String(bytes, _) => {
                                        self.show(font, bytes, &gs, &mut tm, out)
                                    }
                                    other => {
                                        if let Some(adj) = number(other) {
                                            let tx = -adj / 1000.0 * gs.size * gs.scale;
                                            tm = Matrix::translate(tx, 0.0).then(&tm);
                                        }
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                "Do" => {
                    if depth >= MAX_FORM_DEPTH {
                        continue;
                    }
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    let Some((form, form_resources, matrix)) = self.form(resources, name) else {
                        continue;
                    };
                    let base = matrix.then(&gs.ctm);
                    self.run(
                        &form,
                        form_resources.or(resources),
                        base,
                        out,
                        depth + 1,
                        budget,
                    );
                }
                _ => {}
            }
        }
    }

    /// Places the glyphs of one shown string and advances the text matrix.
    fn show(&self, font: usize, bytes: &[u8], gs: &State, tm: &mut Matrix, out: &mut PageContent) {
        let font = &self.fonts[font];
        for code in font.decode(bytes) {
            let trm = Matrix([gs.size * gs.scale, 0.0, 0.0, gs.size, 0.0, gs.rise])
                .then(tm)
                .then(&gs.ctm);
            let advance = code.width / 1000.0;
            let (x, y) = trm.apply(0.0, 0.0);
            let (x_end, _) = trm.apply(advance, 0.0);
            // The glyph's height in device space: the length of the transformed unit vector (0, 1).
            let (ux, uy) = trm.apply(0.0, 1.0);
            let height = ((ux - x).powi(2) + (uy - y).powi(2)).sqrt();
            let text: String = code.text.chars().filter(|c| !c.is_control()).collect();
            if !text.trim().is_empty()
                && x.is_finite()
                && y.is_finite()
                && height.is_finite()
                && height > 0.0
            {
                out.glyphs.push(Glyph {
                    text,
                    x0: x.min(x_end),
                    x1: x.max(x_end).max(x + 0.1),
                    top: y - height * 0.85,
                    bottom: y + height * 0.15,
                });
            }
            let mut tx = advance * gs.size + gs.char_spacing;
            if code.is_space {
                tx += gs.word_spacing;
            }
            *tm = Matrix::translate(tx * gs.scale, 0.0).then(tm);
        }
    }

    /// The font named in the resources, loaded once per object.
    fn font(&mut self, resources: Option<&'a Dictionary>, name: &[u8]) -> usize {
        let doc = self.doc;
        let entry = resources
            .and_then(|r| r.get(b"Font").ok())
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok())
            .and_then(|fonts| fonts.get(name).ok());
        let id = entry.and_then(|o| o.as_reference().ok());
        if let Some(id) = id
            && let Some(&i) = self.font_ids.get(&id)
        {
            return i;
        }
        let font = entry
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok())
            .map(|d| Font::load(doc, d))
            .unwrap_or_else(Font::unknown);
        self.fonts.push(font);
        let i = self.fonts.len() - 1;
        if let Some(id) = id {
            self.font_ids.insert(id, i);
        }
        i
    }

    /// A form XObject's content, resources and matrix; images and broken forms give `None`.
    fn form(
        &self,
        resources: Option<&'a Dictionary>,
        name: &[u8],
    ) -> Option<(Vec<u8>, Option<&'a Dictionary>, Matrix)> {
        let doc = self.doc;
        let stream = resources?
            .get(b"XObject")
            .ok()
            .and_then(|o| deref(doc, o))?
            .as_dict()
            .ok()?
            .get(name)
            .ok()
            .and_then(|o| deref(doc, o))?
            .as_stream()
            .ok()?;
        if stream.dict.get(b"Subtype").and_then(|o| o.as_name()).ok()? != b"Form" {
            return None;
        }
        let content = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let res = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok());
        let m: Vec<f32> = stream
            .dict
            .get(b"Matrix")
            .ok()
            .and_then(|o| o.as_array().ok())
            .map(|a| a.iter().filter_map(number).collect())
            .unwrap_or_default();
        let matrix = if m.len() == 6 {
            Matrix([m[0], m[1], m[2], m[3], m[4], m[5]])
        } else {
            Matrix::IDENTITY
        };
        Some((content, res, matrix))
    }
}

/// Follows one reference.
fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    match obj {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

/// A page attribute, inherited from the page tree where the page lacks it.
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..32 {
        if let Ok(o) = node.get(key) {
            return deref(doc, o);
        }
        node = node
            .get(b"Parent")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok())?;
    }
    None
}

/// The axis-aligned pieces of a stroked path.
fn emit_stroke(path: &Path, close: bool, out: &mut PageContent) {
    for sp in &path.subpaths {
        for w in sp.windows(2) {
            out.segments.push(segment(w[0], w[1]));
        }
        if close && sp.len() > 2 {
            out.segments.push(segment(sp[sp.len() - 1], sp[0]));
        }
    }
    for r in &path.rects {
        for i in 0..4 {
            out.segments.push(segment(r[i], r[(i + 1) % 4]));
        }
    }
}

/// The rules of a filled path: thin rectangles become lines, larger ones their edges (cell shading).
fn emit_fill(path: &Path, out: &mut PageContent) {
    for r in &path.rects {
        push_box(r, out);
    }
    // A filled closed subpath of four or five points that is an axis-aligned box, as some producers draw rules.
    for sp in &path.subpaths {
        if (4..=5).contains(&sp.len()) {
            let xs: Vec<f32> = sp.iter().map(|p| p.0).collect();
            let ys: Vec<f32> = sp.iter().map(|p| p.1).collect();
            let distinct = |v: &[f32]| {
                let mut d: Vec<f32> = v.to_vec();
                d.sort_by(f32::total_cmp);
                d.dedup_by(|a, b| (*a - *b).abs() < 0.01);
                d.len()
            };
            if distinct(&xs) <= 2 && distinct(&ys) <= 2 {
                let corners = [sp[0], sp[1], sp[2], sp[3]];
                push_box(&corners, out);
            }
        }
    }
}

fn push_box(r: &[(f32, f32); 4], out: &mut PageContent) {
    let xs = r.map(|p| p.0);
    let ys = r.map(|p| p.1);
    let (x0, x1) = (
        xs.iter().copied().fold(f32::INFINITY, f32::min),
        xs.iter().copied().fold(f32::NEG_INFINITY, f32::max),
    );
    let (y0, y1) = (
        ys.iter().copied().fold(f32::INFINITY, f32::min),
        ys.iter().copied().fold(f32::NEG_INFINITY, f32::max),
    );
    out.segments.extend(Segment::from_rect(x0, y0, x1, y1));
}

fn segment(a: (f32, f32), b: (f32, f32)) -> Segment {
    Segment {
        x0: a.0,
        y0: a.1,
        x1: b.0,
        y1: b.1,
    }
}
