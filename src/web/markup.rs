//! Document text as HTML: lines with the query's terms in `<mark>`, article anchors, and citations linked to
//! the cited article. Everything is escaped here; templates insert the result with `|safe`.

use crate::model::{Article, ArticleId, Document};
use crate::search::{Citation, html_escape, snippet};

/// One line of text as HTML with `terms` (folded) highlighted.
pub fn highlight_line(line: &str, terms: &[String]) -> String {
    if terms.is_empty() || line.is_empty() {
        return html_escape(line);
    }
    // A window wide enough for the whole line starts at its beginning.
    let width = line.chars().count().saturating_mul(5).saturating_add(5);
    snippet(line, terms, width).to_html()
}

/// Text of several lines as `<p>` paragraphs with highlights; blank lines are dropped.
pub fn paragraphs(text: &str, terms: &[String]) -> String {
    outlined_paragraphs(text, &[], terms)
}

/// `paragraphs` for a text with an outline (a report's own headings): a heading's paragraph carries its
/// anchor (`h1`, `h2` … as in the table of contents) and its depth as a class.
pub fn outlined_paragraphs(
    text: &str,
    outline: &[crate::model::Heading],
    terms: &[String],
) -> String {
    let mut out = String::new();
    let mut offset = 0usize;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let at = start + (raw.len() - raw.trim_start().len());
        match outline.iter().position(|h| h.offset == at) {
            Some(i) => out.push_str(&format!(
                "<p class=\"heading d{}\" id=\"h{}\">",
                outline[i].depth.clamp(1, 3),
                i + 1
            )),
            None => out.push_str("<p>"),
        }
        out.push_str(&highlight_line(line, terms));
        out.push_str("</p>\n");
    }
    out
}

/// A citation found in a text and the article it leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Byte range of the linked words.
    pub span: std::ops::Range<usize>,
    pub target: ArticleId,
}

/// Links for citations in `text`: named laws resolved by `search::resolve_citations`, and references to
/// "本法/本条例…第X条" resolved inside `own` (the articles of the text's own document).
pub fn citation_links(text: &str, citations: &[Citation], own: &[Article]) -> Vec<Link> {
    const SELF_REFS: &[&str] = &[
        "本法",
        "本条例",
        "本规定",
        "本办法",
        "本细则",
        "本规则",
        "本决定",
        "本解释",
    ];
    let mut links = Vec::new();
    for c in citations {
        if c.span.end > text.len()
            || !text.is_char_boundary(c.span.start)
            || !text.is_char_boundary(c.span.end)
        {
            continue;
        }
        let matched = &text[c.span.clone()];
        if let Some(target) = &c.article {
            links.push(Link {
                span: c.span.clone(),
                target: target.clone(),
            });
        } else if let Some((pos, _)) = SELF_REFS
            .iter()
            .filter_map(|r| matched.rfind(r).map(|p| (p, r)))
            .max()
        {
            let label = format!("第{}条", crate::ingest::structure::format_number(c.number));
            let suffix = matched
                .rfind('之')
                .map(|p| &matched[p..])
                .filter(|s| !s.ends_with('条'));
            let wanted = match suffix {
                Some(s) => format!("{label}{s}"),
                None => label,
            };
            if let Some(a) = own.iter().find(|a| a.label == wanted) {
                links.push(Link {
                    span: c.span.start + pos..c.span.end,
                    target: a.id.clone(),
                });
            }
        }
    }
    links.sort_by_key(|l| l.span.start);
    links.dedup_by(|b, a| b.span.start < a.span.end);
    links
}

/// Text as paragraphs with highlights and citation links (`links` as byte ranges of `text`).
pub fn linked_paragraphs(text: &str, terms: &[String], links: &[Link], query: &str) -> String {
    linked_lines(text, terms, links, query)
        .iter()
        .map(|l| format!("<p>{l}</p>\n"))
        .collect()
}

/// The non-blank lines of `text` as HTML with highlights and citation links.
pub fn linked_lines(text: &str, terms: &[String], links: &[Link], query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let end = start + line.len();
        let mut html = String::new();
        let mut cursor = start;
        for l in links
            .iter()
            .filter(|l| l.span.start >= start && l.span.end <= end)
        {
            html.push_str(&highlight_line(&text[cursor..l.span.start], terms));
            html.push_str(&format!(
                "<a class=\"cite\" href=\"{}\">{}</a>",
                html_escape(&article_url(&l.target, query)),
                highlight_line(&text[l.span.clone()], terms)
            ));
            cursor = l.span.end;
        }
        html.push_str(&highlight_line(&text[cursor..end], terms));
        out.push(html.trim().to_string());
    }
    out
}

/// The URL of an article's page, carrying the query for highlighting.
pub fn article_url(id: &ArticleId, query: &str) -> String {
    with_query(
        &format!("/articles/{}", super::params::encode_component(id.as_str())),
        query,
    )
}

/// The URL of a document's page, carrying the query for highlighting.
pub fn document_url(id: &str, query: &str) -> String {
    with_query(
        &format!("/documents/{}", super::params::encode_component(id)),
        query,
    )
}

fn with_query(path: &str, query: &str) -> String {
    if query.trim().is_empty() {
        path.to_string()
    } else {
        format!("{path}?q={}", super::params::encode_component(query))
    }
}

/// One block of a regulation's page, in text order: a heading (anchor `h1`, `h2`…) or an article (anchor =
/// its label, e.g. 第四十六条).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub heading: bool,
    /// 1 for 编, 2 for 章, 3 for 节 (headings only).
    pub depth: u8,
    pub anchor: String,
    /// The article's id (articles only).
    pub id: String,
    /// The heading text or the article label.
    pub label: String,
    /// The article's text without its label, as HTML (articles only).
    pub html: String,
}

/// The headings and articles of a regulation with the query's terms highlighted and the citations that
/// `links_of` finds in an article's text (without its label) linked.
pub fn regulation_blocks(
    doc: &Document,
    terms: &[String],
    query: &str,
    links_of: &dyn Fn(&str) -> Vec<Link>,
) -> Vec<Block> {
    let mut items: Vec<(usize, Block)> = Vec::new();
    for (i, h) in doc.outline.iter().enumerate() {
        items.push((
            h.offset,
            Block {
                heading: true,
                depth: h.depth.clamp(1, 3),
                anchor: format!("h{}", i + 1),
                id: String::new(),
                label: h.text.clone(),
                html: String::new(),
            },
        ));
    }
    for a in &doc.articles {
        let body = a
            .text
            .strip_prefix(a.label.as_str())
            .unwrap_or(&a.text)
            .trim_start();
        let html = linked_lines(body, terms, &links_of(body), query).join("<br>");
        items.push((
            a.offset,
            Block {
                heading: false,
                depth: 0,
                anchor: a.label.clone(),
                id: a.id.to_string(),
                label: a.label.clone(),
                html,
            },
        ));
    }
    items.sort_by_key(|(offset, b)| (*offset, !b.heading));
    items.into_iter().map(|(_, b)| b).collect()
}

/// The text before the first heading or article (title and history lines are shown elsewhere).
pub fn preamble(doc: &Document) -> &str {
    let first = doc
        .outline
        .iter()
        .map(|h| h.offset)
        .chain(doc.articles.iter().map(|a| a.offset))
        .min()
        .unwrap_or(doc.body.len());
    doc.body.get(..first).unwrap_or("")
}

/// A `Content-Disposition` value for downloading a file under `name` (RFC 6266 with a UTF-8 form).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        super::params::encode_component(name)
    )
}

/// An article with its law, the law's other articles, and the citations in its text linked where possible.
pub struct ArticleInContext {
    pub article: Article,
    pub doc: Document,
    pub own: Vec<Article>,
    pub cited: Vec<Citation>,
    pub links: Vec<Link>,
}

/// Loads an article for the article page and `GET /api/articles/{id}`; an article of a document outside
/// `scope` is answered exactly like a missing one.
pub fn article_in_context(
    lib: &crate::library::Library,
    id: &str,
    scope: &crate::model::Scope,
) -> super::error::AppResult<ArticleInContext> {
    use super::error::AppError;
    let (article, doc) = lib
        .article(&ArticleId(id.to_string()), scope)?
        .ok_or_else(|| AppError::NotFound(format!("没有 id 为 {id} 的条文 (no such article)")))?;
    let own = lib.store().articles_of(&doc.id)?;
    let cited = crate::search::resolve_citations(lib, &article.text, scope)?;
    let links = citation_links(&article.text, &cited, &own);
    Ok(ArticleInContext {
        article,
        doc,
        own,
        cited,
        links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DocId;

    fn article(label: &str, ordinal: usize) -> Article {
        let doc = DocId("d".into());
        Article {
            id: ArticleId::new(&doc, ordinal),
            doc_id: doc,
            number: 0,
            label: label.into(),
            name: String::new(),
            path: vec![],
            text: String::new(),
            offset: 0,
        }
    }

    #[test]
    fn highlights_whole_lines_and_escapes() {
        let html = highlight_line("甲<乙>预算草案，预算调整", &["预算".into()]);
        assert_eq!(
            html,
            "甲&lt;乙&gt;<mark>预算</mark>草案，<mark>预算</mark>调整"
        );
        assert!(!highlight_line(&"长".repeat(3000), &["预算".into()]).contains('…'));
    }

    #[test]
    fn own_law_references_link_inside_the_document() {
        let text = "依照本法第四十四条的规定，适用《示范法》第二条。";
        let start = text.find("依照").unwrap();
        let end = text.find("的规定").unwrap();
        let c = vec![
            Citation {
                law: "依照本法".into(),
                number: 44,
                article: None,
                span: start..end,
            },
            Citation {
                law: "示范法".into(),
                number: 2,
                article: Some(ArticleId("x-1".into())),
                span: text.find("《").unwrap()..text.find("。").unwrap(),
            },
        ];
        let own = vec![article("第四十三条", 0), article("第四十四条", 1)];
        let links = citation_links(text, &c, &own);
        assert_eq!(links.len(), 2);
        assert_eq!(&text[links[0].span.clone()], "本法第四十四条");
        assert_eq!(links[0].target, ArticleId("d-1".into()));
        let html = linked_paragraphs(text, &[], &links, "");
        assert!(
            html.contains("<a class=\"cite\" href=\"/articles/d-1\">本法第四十四条</a>"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/articles/x-1\">《示范法》第二条</a>"),
            "{html}"
        );
    }

    #[test]
    fn downloads_name_the_file_in_ascii_and_utf8() {
        assert_eq!(
            content_disposition("预算法 \"v2\".md"),
            "attachment; filename=\"___ _v2_.md\"; filename*=UTF-8''%E9%A2%84%E7%AE%97%E6%B3%95%20%22v2%22.md"
        );
    }
}
