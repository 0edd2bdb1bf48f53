//! Cell grids from PDF pages: ruling lines (stroked segments and thin filled rectangles) are snapped and joined,
//! cells are found between their intersections, and the positioned glyphs are placed into the cells. Tables
//! continued on the next page are joined, and the title and unit are read from the lines above a table.
//!
//! Pure geometry over what a page interpreter reports: no PDF parsing happens here.

use super::table::{Cell, Table};
use std::collections::BTreeMap;

/// Lines closer than this (in points) are one line after snapping.
const SNAP: f32 = 3.0;
/// Collinear segments with a gap up to this are joined.
const JOIN: f32 = 3.0;
/// How far a segment may stop short of another and still meet it.
const MEET: f32 = 1.5;
/// Rectangles thinner than this are lines, not areas.
const THIN: f32 = 2.5;
/// Cells smaller than this in either direction are slivers between doubled lines.
const MIN_CELL: f32 = 2.0;
/// How far above a table its title and unit are looked for.
const HEADER_BAND: f32 = 120.0;

/// One glyph (or short run) of text with its box; y grows downwards from the top of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub text: String,
    pub x0: f32,
    pub x1: f32,
    pub top: f32,
    pub bottom: f32,
}

impl Glyph {
    fn cx(&self) -> f32 {
        (self.x0 + self.x1) / 2.0
    }
    fn cy(&self) -> f32 {
        (self.top + self.bottom) / 2.0
    }
    fn height(&self) -> f32 {
        (self.bottom - self.top).max(1.0)
    }
}

/// What a page holds: its size, glyphs and drawn segments (y grows downwards).
#[derive(Debug, Clone, Default)]
pub struct PageContent {
    /// 1-based page number.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    pub glyphs: Vec<Glyph>,
    /// Axis-aligned segments drawn on the page: stroked lines and rectangle edges.
    pub segments: Vec<Segment>,
}

/// An axis-aligned segment from a stroked path or a rectangle edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Segment {
    /// The segments a filled rectangle contributes: its centre line when thin, its four edges otherwise.
    pub fn from_rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Vec<Segment> {
        let (x0, x1) = (x0.min(x1), x0.max(x1));
        let (y0, y1) = (y0.min(y1), y0.max(y1));
        let (w, h) = (x1 - x0, y1 - y0);
        if w <= THIN && h <= THIN {
            return Vec::new();
        }
        if h <= THIN {
            let y = (y0 + y1) / 2.0;
            return vec![Segment {
                x0,
                y0: y,
                x1,
                y1: y,
            }];
        }
        if w <= THIN {
            let x = (x0 + x1) / 2.0;
            return vec![Segment {
                x0: x,
                y0,
                x1: x,
                y1,
            }];
        }
        vec![
            Segment { x0, y0, x1, y1: y0 },
            Segment { x0, y0: y1, x1, y1 },
            Segment { x0, y0, x1: x0, y1 },
            Segment { x0: x1, y0, x1, y1 },
        ]
    }
}

/// A horizontal or vertical line after snapping: `at` is its y (horizontal) or x (vertical), `from..to` its
/// extent along the other axis.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Line {
    at: f32,
    from: f32,
    to: f32,
}

/// Splits segments into horizontal and vertical lines; slanted ones are dropped.
fn split(segments: &[Segment]) -> (Vec<Line>, Vec<Line>) {
    let mut h = Vec::new();
    let mut v = Vec::new();
    for s in segments {
        if ![s.x0, s.x1, s.y0, s.y1].iter().all(|c| c.is_finite()) {
            continue;
        }
        let (dx, dy) = ((s.x1 - s.x0).abs(), (s.y1 - s.y0).abs());
        if dy <= 1.0 && dx > 1.0 {
            h.push(Line {
                at: (s.y0 + s.y1) / 2.0,
                from: s.x0.min(s.x1),
                to: s.x0.max(s.x1),
            });
        } else if dx <= 1.0 && dy > 1.0 {
            v.push(Line {
                at: (s.x0 + s.x1) / 2.0,
                from: s.y0.min(s.y1),
                to: s.y0.max(s.y1),
            });
        }
    }
    (h, v)
}

/// Snaps lines whose positions lie within `SNAP` of each other to their mean, then joins collinear lines that
/// overlap or nearly touch.
fn snap_and_join(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| a.at.total_cmp(&b.at));
    let mut groups: Vec<Vec<Line>> = Vec::new();
    for line in lines {
        match groups.last_mut() {
            Some(g) if line.at - g[0].at <= SNAP => g.push(line),
            _ => groups.push(vec![line]),
        }
    }
    let mut out = Vec::new();
    for mut g in groups {
        let at = g.iter().map(|l| l.at).sum::<f32>() / g.len() as f32;
        g.sort_by(|a, b| a.from.total_cmp(&b.from));
        let mut current: Option<Line> = None;
        for l in g {
            match &mut current {
                Some(c) if l.from <= c.to + JOIN => c.to = c.to.max(l.to),
                _ => {
                    if let Some(c) = current.take() {
                        out.push(c);
                    }
                    current = Some(Line {
                        at,
                        from: l.from,
                        to: l.to,
                    });
                }
            }
        }
        out.extend(current);
    }
    out
}

/// Whether `line` covers `pos` (with the meeting tolerance).
fn covers(line: &Line, pos: f32) -> bool {
    pos >= line.from - MEET && pos <= line.to + MEET
}

/// A cell found between ruling lines, in page coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f32,
    top: f32,
    x1: f32,
    bottom: f32,
}

/// Whether some line at `at` covers the whole extent `from..to`.
fn spans(lines: &[Line], at: f32, from: f32, to: f32) -> bool {
    lines
        .iter()
        .any(|l| (l.at - at).abs() <= MEET && covers(l, from) && covers(l, to))
}

/// Finds the cells: for each intersection, the smallest rectangle to the right and below whose four sides are
/// drawn.
fn cells(h: &[Line], v: &[Line]) -> Vec<Rect> {
    // Intersections as (y, x), grouped by row.
    let mut points: BTreeMap<i64, Vec<f32>> = BTreeMap::new();
    let key = |y: f32| (y * 10.0).round() as i64;
    for hl in h {
        for vl in v {
            if covers(hl, vl.at) && covers(vl, hl.at) {
                points.entry(key(hl.at)).or_default().push(vl.at);
            }
        }
    }
    for xs in points.values_mut() {
        xs.sort_by(f32::total_cmp);
        xs.dedup_by(|a, b| (*a - *b).abs() <= MEET);
    }
    let rows: Vec<(f32, &Vec<f32>)> = points
        .iter()
        .map(|(k, xs)| (*k as f32 / 10.0, xs))
        .collect();
    let mut out = Vec::new();
    for (i, &(top, xs)) in rows.iter().enumerate() {
        for (j, &x0) in xs.iter().enumerate() {
            // The nearest right neighbour joined by a horizontal line for which a row below closes the box:
            // both verticals reach it and a horizontal line runs along it. A merged cell skips the
            // intersections where the lines of the cells above it end.
            let found = xs[j + 1..]
                .iter()
                .filter(|&&x1| x1 - x0 >= MIN_CELL && spans(h, top, x0, x1))
                .find_map(|&x1| {
                    rows[i + 1..]
                        .iter()
                        .find(|(bottom, bxs)| {
                            *bottom - top >= MIN_CELL
                                && bxs.iter().any(|&x| (x - x0).abs() <= MEET)
                                && bxs.iter().any(|&x| (x - x1).abs() <= MEET)
                                && spans(v, x0, top, *bottom)
                                && spans(v, x1, top, *bottom)
                                && spans(h, *bottom, x0, x1)
                        })
                        .map(|&(bottom, _)| (x1, bottom))
                });
            if let Some((x1, bottom)) = found {
                out.push(Rect {
                    x0,
                    top,
                    x1,
                    bottom,
                });
            }
        }
    }
    out
}

/// Groups cells into tables: cells that share an edge or a corner belong to one table.
fn group(cells: Vec<Rect>) -> Vec<Vec<Rect>> {
    let n = cells.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let touch = |a: &Rect, b: &Rect| {
        a.x0 <= b.x1 + MEET
            && b.x0 <= a.x1 + MEET
            && a.top <= b.bottom + MEET
            && b.top <= a.bottom + MEET
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cells[a].top.total_cmp(&cells[b].top));
    for (oi, &a) in order.iter().enumerate() {
        for &b in &order[oi + 1..] {
            if cells[b].top > cells[a].bottom + MEET {
                break;
            }
            if touch(&cells[a], &cells[b]) {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                parent[ra] = rb;
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<Rect>> = BTreeMap::new();
    for (i, c) in cells.into_iter().enumerate() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(c);
    }
    let mut out: Vec<Vec<Rect>> = groups.into_values().filter(|g| g.len() >= 2).collect();
    out.sort_by(|a, b| top_of(a).total_cmp(&top_of(b)));
    out
}

fn top_of(cells: &[Rect]) -> f32 {
    cells.iter().map(|c| c.top).fold(f32::INFINITY, f32::min)
}

/// Sorted distinct positions (within the meeting tolerance).
fn distinct(mut values: Vec<f32>) -> Vec<f32> {
    values.sort_by(f32::total_cmp);
    values.dedup_by(|a, b| (*a - *b).abs() <= MEET);
    values
}

/// The index of the position nearest to `v`.
fn index_of(positions: &[f32], v: f32) -> usize {
    positions
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - v).abs().total_cmp(&(b.1 - v).abs()))
        .map(|(i, _)| i)
        .unwrap_or(0)
}

/// The text of glyphs in reading order: lines by their centres, wrapped lines joined; a space only between
/// two Latin letters or digits separated by a visible gap.
fn text_of(mut glyphs: Vec<&Glyph>) -> String {
    glyphs.sort_by(|a, b| a.cy().total_cmp(&b.cy()));
    let mut lines: Vec<Vec<&Glyph>> = Vec::new();
    for g in glyphs {
        match lines.last_mut() {
            Some(line) if (g.cy() - line[0].cy()).abs() <= line[0].height() * 0.5 => line.push(g),
            _ => lines.push(vec![g]),
        }
    }
    let mut out = String::new();
    for mut line in lines {
        line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        let mut last: Option<&Glyph> = None;
        for g in line {
            if let Some(prev) = last {
                let gap = g.x0 - prev.x1;
                let ascii_pair = prev
                    .text
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                    && g.text
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphanumeric());
                if ascii_pair && gap > g.height() * 0.25 {
                    out.push(' ');
                }
            }
            out.push_str(&g.text);
            last = Some(g);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table found on one page, before continued tables are joined.
#[derive(Debug, Clone)]
struct PageTable {
    page: u32,
    top: f32,
    bottom: f32,
    /// Column boundaries, left to right.
    columns: Vec<f32>,
    title: Option<String>,
    unit: Option<String>,
    rows: Vec<Vec<Cell>>,
}

/// Builds the grid of one group of cells and fills it with the glyphs inside.
fn grid(page: u32, cells: &[Rect], glyphs: &[Glyph]) -> PageTable {
    let xs = distinct(cells.iter().flat_map(|c| [c.x0, c.x1]).collect());
    let ys = distinct(cells.iter().flat_map(|c| [c.top, c.bottom]).collect());
    let (cols, nrows) = (xs.len().saturating_sub(1), ys.len().saturating_sub(1));
    let mut rows = vec![vec![Cell::covered(); cols]; nrows];
    let mut inside: Vec<Vec<&Glyph>> = vec![Vec::new(); cells.len()];
    for g in glyphs {
        let (cx, cy) = (g.cx(), g.cy());
        if let Some(i) = cells
            .iter()
            .position(|c| cx >= c.x0 && cx <= c.x1 && cy >= c.top && cy <= c.bottom)
        {
            inside[i].push(g);
        }
    }
    for (c, glyphs) in cells.iter().zip(inside) {
        let (ci, ri) = (index_of(&xs, c.x0), index_of(&ys, c.top));
        let (ce, re) = (index_of(&xs, c.x1), index_of(&ys, c.bottom));
        if ci >= cols || ri >= nrows {
            continue;
        }
        rows[ri][ci] = Cell {
            text: text_of(glyphs),
            covered: false,
            page: Some(page),
            bbox: Some([c.x0, c.top, c.x1, c.bottom]),
        };
        for (r, row) in rows.iter_mut().enumerate().take(re.max(ri + 1)).skip(ri) {
            for (k, cell) in row.iter_mut().enumerate().take(ce.max(ci + 1)).skip(ci) {
                if (r, k) != (ri, ci) {
                    *cell = Cell::covered();
                }
            }
        }
    }
    PageTable {
        page,
        top: ys.first().copied().unwrap_or(0.0),
        bottom: ys.last().copied().unwrap_or(0.0),
        columns: xs,
        title: None,
        unit: None,
        rows,
    }
}

/// Lines of text (glyphs grouped by their centres) outside every table, top to bottom.
fn free_lines(glyphs: &[&Glyph]) -> Vec<(f32, f32, String)> {
    let mut sorted: Vec<&Glyph> = glyphs.to_vec();
    sorted.sort_by(|a, b| a.cy().total_cmp(&b.cy()));
    let mut lines: Vec<Vec<&Glyph>> = Vec::new();
    for g in sorted {
        match lines.last_mut() {
            Some(line) if (g.cy() - line[0].cy()).abs() <= line[0].height() * 0.5 => line.push(g),
            _ => lines.push(vec![g]),
        }
    }
    lines
        .into_iter()
        .map(|line| {
            let top = line.iter().map(|g| g.top).fold(f32::INFINITY, f32::min);
            let bottom = line
                .iter()
                .map(|g| g.bottom)
                .fold(f32::NEG_INFINITY, f32::max);
            let mut line = line;
            line.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            let text: String = line.iter().map(|g| g.text.as_str()).collect();
            (
                top,
                bottom,
                text.split_whitespace().collect::<Vec<_>>().join(""),
            )
        })
        .filter(|(_, _, t)| !t.is_empty())
        .collect()
}

/// Reads the title and the unit from the free lines above a table (down to the previous table's bottom): the
/// unit from a line such as 单位：万元, the title from the nearest line that names a table (…表) or is a short
/// heading, and is not a sentence or a table number (a section number such as 二、 is dropped).
fn header(lines: &[(f32, f32, String)], above: f32, top: f32) -> (Option<String>, Option<String>) {
    static UNIT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?:金额)?单位[：:](?:人民币)?(?:千|万|亿)?元")
            .expect("the pattern is valid")
    });
    static NUMBERING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、．])")
            .expect("the pattern is valid")
    });
    let band = lines
        .iter()
        .filter(|(t, b, _)| *b <= top + MEET && *t >= above.max(top - HEADER_BAND))
        .map(|(_, _, s)| s.as_str());
    let mut unit = None;
    let mut title = None;
    for line in band.collect::<Vec<_>>().into_iter().rev() {
        let rest = match UNIT.find(line) {
            Some(m) => {
                if unit.is_none() {
                    unit = Some(line[m.start()..].to_string());
                }
                &line[..m.start()]
            }
            None => line,
        };
        let rest = NUMBERING.replace(rest, "");
        let chars = rest.chars().count();
        let sentence = rest.ends_with(['：', ':', '。', '；']);
        // A title names a table (…表) or is a short heading; longer lines are wrapped prose.
        let limit = if rest.contains('表') { 40 } else { 16 };
        if title.is_none() && (2..=limit).contains(&chars) && !sentence && !is_table_number(&rest) {
            title = Some(rest.to_string());
        }
    }
    (title, unit)
}

/// A table's number line such as 公开01表 or 表1, not its title.
fn is_table_number(line: &str) -> bool {
    let stripped: String = line
        .chars()
        .filter(|c| !c.is_ascii_digit() && !c.is_whitespace())
        .collect();
    matches!(stripped.as_str(), "公开表" | "表" | "附表" | "部门公开表")
}

/// Finds the tables of one page.
fn page_tables(page: &PageContent) -> Vec<PageTable> {
    let (h, v) = split(&page.segments);
    let (h, v) = (snap_and_join(h), snap_and_join(v));
    let groups = group(cells(&h, &v));
    let mut tables: Vec<PageTable> = groups
        .iter()
        .map(|g| grid(page.number, g, &page.glyphs))
        .filter(|t| !t.rows.is_empty() && t.columns.len() >= 2)
        .collect();
    let outside: Vec<&Glyph> = page
        .glyphs
        .iter()
        .filter(|g| {
            !tables.iter().any(|t| {
                g.cy() >= t.top
                    && g.cy() <= t.bottom
                    && g.cx() >= t.columns[0]
                    && g.cx() <= *t.columns.last().unwrap_or(&0.0)
            })
        })
        .collect();
    let lines = free_lines(&outside);
    let mut above = 0.0;
    for t in &mut tables {
        let (title, unit) = header(&lines, above, t.top);
        t.title = title;
        t.unit = unit;
        above = t.bottom;
    }
    tables
}

/// Whether `next` (first on its page) continues `prev` (last on the previous page): no title of its own (or the
/// same title), the same number of columns at about the same places.
fn continues(prev: &PageTable, next: &PageTable) -> bool {
    if next.page != prev.page + 1 || prev.columns.len() != next.columns.len() {
        return false;
    }
    let same_title = match (&next.title, &prev.title) {
        (None, _) => true,
        (Some(a), Some(b)) => a == b,
        (Some(_), None) => false,
    };
    same_title
        && prev
            .columns
            .iter()
            .zip(&next.columns)
            .all(|(a, b)| (a - b).abs() <= SNAP * 2.0)
}

/// The tables of a document's pages, continued tables joined (repeated header rows dropped).
pub fn tables(pages: &[PageContent]) -> Vec<Table> {
    let mut out: Vec<(PageTable, u32)> = Vec::new();
    for page in pages {
        let found = page_tables(page);
        for (i, t) in found.into_iter().enumerate() {
            if i == 0
                && let Some((prev, last)) = out.last_mut()
                && *last + 1 == t.page
                && continues(
                    &PageTable {
                        page: *last,
                        ..prev.clone()
                    },
                    &t,
                )
            {
                let repeated = t
                    .rows
                    .iter()
                    .zip(&prev.rows)
                    .take_while(|(a, b)| same_texts(a, b))
                    .count();
                prev.rows.extend(t.rows.into_iter().skip(repeated));
                *last = t.page;
                continue;
            }
            let page = t.page;
            out.push((t, page));
        }
    }
    out.into_iter()
        .map(|(t, last)| Table {
            title: t.title.unwrap_or_default(),
            unit: t.unit,
            pages: Some((t.page, last)),
            rows: t.rows,
        })
        .collect()
}

/// Whether two rows hold the same texts (a repeated header).
fn same_texts(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| x.text == y.text)
        && a.iter().any(|c| !c.is_blank())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyph(text: &str, x: f32, y: f32) -> Glyph {
        let w = 5.0 * text.chars().count() as f32;
        Glyph {
            text: text.to_string(),
            x0: x,
            x1: x + w,
            top: y - 8.0,
            bottom: y,
        }
    }

    fn hline(y: f32, x0: f32, x1: f32) -> Segment {
        Segment {
            x0,
            y0: y,
            x1,
            y1: y,
        }
    }

    fn vline(x: f32, y0: f32, y1: f32) -> Segment {
        Segment {
            x0: x,
            y0,
            x1: x,
            y1,
        }
    }

    /// A 3×3 grid at x 100/200/300/400 and y 100/120/140/160, with a header cell merged over two columns.
    fn page() -> PageContent {
        let mut segments = vec![
            hline(100.0, 100.0, 400.0),
            hline(120.0, 100.0, 400.0),
            hline(140.0, 100.0, 400.0),
            hline(160.0, 100.0, 400.0),
            vline(100.0, 100.0, 160.0),
            vline(400.0, 100.0, 160.0),
            // The line between columns 2 and 3 stops below the merged header.
            vline(300.0, 120.0, 160.0),
        ];
        // The middle vertical drawn as a thin filled rectangle, as Word does.
        segments.extend(Segment::from_rect(199.6, 100.0, 200.4, 160.0));
        PageContent {
            number: 3,
            width: 595.0,
            height: 842.0,
            glyphs: vec![
                glyph("支出决算表", 200.0, 70.0),
                glyph("单位：万元", 330.0, 92.0),
                glyph("项目", 110.0, 115.0),
                glyph("金额", 250.0, 115.0),
                glyph("行政运行", 110.0, 135.0),
                glyph("10.00", 210.0, 135.0),
                glyph("事业运行", 110.0, 155.0),
                glyph("1,511.90", 310.0, 155.0),
            ],
            segments,
        }
    }

    #[test]
    fn a_ruled_grid_becomes_cells_with_merged_and_blank_cells() {
        let tables = tables(&[page()]);
        assert_eq!(tables.len(), 1);
        let t = &tables[0];
        assert_eq!(t.title, "支出决算表");
        assert_eq!(t.unit.as_deref(), Some("单位：万元"));
        assert_eq!(t.pages, Some((3, 3)));
        assert_eq!(
            t.texts(),
            vec![
                vec!["项目", "金额", ""],
                vec!["行政运行", "10.00", ""],
                vec!["事业运行", "", "1,511.90"],
            ]
        );
        assert!(t.rows[0][2].covered, "the header spans two columns");
        assert!(!t.rows[1][2].covered, "a blank cell stays a blank cell");
        assert_eq!(t.rows[1][1].bbox, Some([200.0, 120.0, 300.0, 140.0]));
    }

    #[test]
    fn a_table_continued_on_the_next_page_is_joined_without_its_repeated_header() {
        let first = page();
        let mut second = page();
        second.number = 4;
        // No title on the continuation; the header row repeats.
        second
            .glyphs
            .retain(|g| !g.text.contains('表') && !g.text.contains("单位"));
        for g in &mut second.glyphs {
            if g.text == "行政运行" {
                g.text = "其他支出".into();
            }
        }
        let tables = tables(&[first, second]);
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].pages, Some((3, 4)));
        let names: Vec<String> = tables[0].rows.iter().map(|r| r[0].text.clone()).collect();
        assert_eq!(
            names,
            ["项目", "行政运行", "事业运行", "其他支出", "事业运行"]
        );
    }

    #[test]
    fn wrapped_cell_text_is_joined_and_words_keep_their_spaces() {
        let glyphs = [
            glyph("机关事业单位基本养老保险缴", 10.0, 10.0),
            glyph("费支出", 10.0, 22.0),
        ];
        assert_eq!(
            text_of(glyphs.iter().collect()),
            "机关事业单位基本养老保险缴费支出"
        );
        let words = [glyph("Total", 10.0, 10.0), glyph("2024", 50.0, 10.0)];
        assert_eq!(text_of(words.iter().collect()), "Total 2024");
    }

    #[test]
    fn slanted_and_broken_segments_make_no_table() {
        let page = PageContent {
            number: 1,
            segments: vec![
                Segment {
                    x0: 0.0,
                    y0: 0.0,
                    x1: 100.0,
                    y1: 100.0,
                },
                Segment {
                    x0: f32::NAN,
                    y0: 0.0,
                    x1: 1.0,
                    y1: 0.0,
                },
                hline(10.0, 0.0, 50.0),
            ],
            ..PageContent::default()
        };
        assert!(tables(&[page]).is_empty());
    }
}
