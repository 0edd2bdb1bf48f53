//! Evidence put into words for people: why a document is linked to a subject or topic, in Chinese, with the
//! place in the document where the evidence was found (「匹配「义务教育」×12，见第二章第五条」).

use crate::link::{Evidence, Rule};
use crate::model::Document;

/// Where a byte offset of the body falls: the article of a regulation (with the number of its chapter), or
/// the nearest heading before it.
pub fn place_of(doc: &Document, offset: usize) -> Option<String> {
    if let Some(a) = doc.articles.iter().rev().find(|a| a.offset <= offset) {
        let chapter = a
            .path
            .last()
            .and_then(|c| c.split_whitespace().next())
            .unwrap_or("");
        return Some(format!("{chapter}{}", a.label));
    }
    doc.outline
        .iter()
        .rev()
        .find(|h| h.offset <= offset)
        .map(|h| h.text.clone())
}

/// An amount as written in budget tables: thousands separated, two decimals.
pub fn format_amount(amount: f64) -> String {
    let fixed = format!("{:.2}", amount.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

/// One piece of evidence as a sentence, e.g. 「匹配「义务教育」×12，见第二章第五条」 or 「法规领域：教育（标题）」.
pub fn describe(doc: &Document, e: &Evidence) -> String {
    let times = if e.count > 1 {
        format!(" ×{}", e.count)
    } else {
        String::new()
    };
    let mut s = match e.rule {
        Rule::CodeInTable => format!("表中科目行「{}」", e.text),
        Rule::LawField => format!("法规领域：{}", e.text),
        Rule::TitleTerm => format!("标题词「{}」", e.text),
        Rule::SubjectName => format!("出现科目名称「{}」{times}", e.text),
        Rule::Term => format!("匹配「{}」{times}", e.text),
        Rule::TopicInclude => format!("匹配专题词「{}」{times}", e.text),
        Rule::TopicTitle => format!("标题含专题词「{}」", e.text),
        Rule::TopicWeak => format!("辅助词「{}」{times}", e.text),
        Rule::TopicSubject => format!("本文档关联专题科目 {}", e.text),
        Rule::Confirmed => return format!("由「{}」人工确认", e.text),
    };
    if let Some(a) = e.amount {
        s.push_str(&format!("，数额 {}", format_amount(a)));
    }
    if e.in_title {
        if !matches!(e.rule, Rule::TitleTerm | Rule::TopicTitle) {
            s.push_str("（标题）");
        }
    } else if e.rule != Rule::CodeInTable
        && let Some(p) = e.offsets.first().and_then(|(at, _)| place_of(doc, *at))
    {
        s.push_str(&format!("，见{p}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Article, ArticleId, DocId, Heading};

    fn evidence(rule: Rule, text: &str, count: usize, at: Option<usize>) -> Evidence {
        Evidence {
            rule,
            text: text.into(),
            count,
            offsets: at.map(|a| vec![(a, a + 3)]).unwrap_or_default(),
            in_title: false,
            amount: None,
        }
    }

    fn law() -> Document {
        let id = DocId("d".into());
        let article = |n: u32, label: &str, chapter: &str, offset: usize| Article {
            id: ArticleId::new(&id, n as usize),
            doc_id: id.clone(),
            number: n,
            label: label.into(),
            name: format!("示例法{label}"),
            path: vec![chapter.into()],
            text: String::new(),
            offset,
        };
        let mut doc: Document = serde_json::from_value(serde_json::json!({
            "id": "d", "source": "", "content_hash": "", "format": "markdown", "kind": "法律",
            "level": null, "title": "示例教育法", "issuer": null, "doc_number": null, "published": null,
            "effective": null, "version_date": null, "region": null, "year": null, "validity": "有效",
            "expired": false, "history": [], "body": "", "outline": [], "articles": [], "size": 0
        }))
        .unwrap();
        doc.outline = vec![Heading {
            depth: 2,
            text: "第一章 总则".into(),
            offset: 10,
        }];
        doc.articles = vec![
            article(1, "第一条", "第一章 总则", 20),
            article(5, "第五条", "第二章 义务教育", 200),
        ];
        doc
    }

    #[test]
    fn evidence_reads_as_chinese_with_its_place() {
        let doc = law();
        assert_eq!(
            describe(&doc, &evidence(Rule::Term, "义务教育", 12, Some(250))),
            "匹配「义务教育」 ×12，见第二章第五条"
        );
        assert_eq!(
            describe(&doc, &evidence(Rule::SubjectName, "教育支出", 1, Some(15))),
            "出现科目名称「教育支出」，见第一章 总则"
        );
        let mut field = evidence(Rule::LawField, "教育", 1, None);
        field.in_title = true;
        assert_eq!(describe(&doc, &field), "法规领域：教育（标题）");
        let mut row = evidence(Rule::CodeInTable, "2050202 小学教育 16800.00", 1, Some(5));
        row.amount = Some(16800.0);
        assert_eq!(
            describe(&doc, &row),
            "表中科目行「2050202 小学教育 16800.00」，数额 16,800.00"
        );
        assert_eq!(
            describe(&doc, &evidence(Rule::Confirmed, "张三", 1, None)),
            "由「张三」人工确认"
        );
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(format_amount(0.0), "0.00");
        assert_eq!(format_amount(999.5), "999.50");
        assert_eq!(format_amount(1234567.891), "1,234,567.89");
        assert_eq!(format_amount(-1200.0), "-1,200.00");
    }
}
