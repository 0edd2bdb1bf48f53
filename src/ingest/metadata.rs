//! Metadata derived from a document's text and path, overridden by manifest and sidecar files.

use crate::error::{Error, Result};
use crate::model::{Access, Date, DocKind, Level, Metadata, PROVINCES, Validity};
use regex::Regex;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// One line of a folder's `manifest.jsonl` (the format of the laws collection).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ManifestEntry {
    /// Path of the file, relative to the manifest's folder.
    pub path: String,
    pub name: Option<String>,
    pub version_date: Option<String>,
    pub level: Option<String>,
    pub publish: Option<String>,
    pub valid_from: Option<String>,
    #[serde(default)]
    pub expired: bool,
    /// `public`/`restricted` (or 公开/内部).
    #[serde(default, deserialize_with = "access_any")]
    pub access: Option<Access>,
}

/// Reads an access value given as `public`/`restricted` or as its label (公开/内部).
fn access_any<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Access>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s {
        None => Ok(None),
        Some(s) => Access::parse_any(&s).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown access: {s} (public or restricted)"))
        }),
    }
}

/// A `<file>.meta.json` sidecar: every field optional; present fields override derived metadata.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    pub title: Option<String>,
    pub kind: Option<DocKind>,
    pub level: Option<Level>,
    pub issuer: Option<String>,
    pub doc_number: Option<String>,
    pub published: Option<Date>,
    pub effective: Option<Date>,
    pub version_date: Option<Date>,
    pub region: Option<String>,
    pub year: Option<i32>,
    pub validity: Option<Validity>,
    pub expired: Option<bool>,
    /// `public`/`restricted` (or 公开/内部).
    #[serde(default, deserialize_with = "access_any")]
    pub access: Option<Access>,
}

/// The manifests found while walking inputs, keyed by the absolute path of the file they describe.
#[derive(Debug, Default, Clone)]
pub struct Manifests {
    entries: HashMap<PathBuf, ManifestEntry>,
}

impl Manifests {
    /// Reads `manifest.jsonl` in `dir` if present. A malformed line is an error naming the line.
    pub fn load_dir(&mut self, dir: &Path) -> Result<()> {
        let path = dir.join("manifest.jsonl");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&path, e)),
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let entry: ManifestEntry = serde_json::from_str(line)
                .map_err(|e| Error::Invalid(format!("{} line {}: {e}", path.display(), i + 1)))?;
            self.entries.insert(dir.join(&entry.path), entry);
        }
        Ok(())
    }

    /// The manifest entry that describes `file` (an absolute path), if any.
    pub fn get(&self, file: &Path) -> Option<&ManifestEntry> {
        self.entries.get(file)
    }
}

/// Reads `<file>.meta.json` beside `file`, if present.
pub fn read_sidecar(file: &Path) -> Result<Option<Sidecar>> {
    let mut name = file.as_os_str().to_owned();
    name.push(".meta.json");
    let path = PathBuf::from(name);
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| Error::Invalid(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

static DATE_CN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日").expect("valid regex")
});
/// A local people's congress standing committee that made a text, as its header names it (苏州市第十六届人民代表大会
/// 常务委员会第二十一次会议通过; 示范省人民代表大会常务委员会通过). A list such as 省、自治区、直辖市 is not one.
static LOCAL_CONGRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[^、\p{Han}]|\d日)\s*([\p{Han}]{2,10}?(?:省|市|自治区|自治州|州|县|区|旗))(?:第[一二三四五六七八九十百]+届)?人民代表大会常务委员会(?:第[一二三四五六七八九十百]+次会议)?(?:通过|制定|批准|修订|修正|公布|公告)")
        .expect("valid regex")
});

static DATE_ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{4})-(\d{1,2})-(\d{1,2})").expect("valid regex"));
static DOC_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}]{1,12}[〔\[【（(]\s*(\d{4})\s*[〕\]】）)]\s*\d{1,5}\s*号")
        .expect("valid regex")
});
static EFFECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起\s*(?:施行|实施|执行)")
        .expect("valid regex")
});
/// The line under a government work report's title: 「——2016年3月5日在第十二届全国人民代表大会第四次会议上」.
static DELIVERED: LazyLock<Regex> = LazyLock::new(|| {
    // Digits may be set with spaces (——1 9 9 8 年3 月5 日在第九届…).
    Regex::new(
        r"(\d(?:\s?\d){3})\s*年\s*(\d(?:\s?\d)?)\s*月\s*(\d(?:\s?\d)?)\s*日\s*在第.{1,12}?届全国人民代表大会",
    )
        .expect("valid regex")
});
/// A file named for its year and report: 「2015年政府工作报告」.
static REPORT_STEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:19|20)\d{2}年.*报告").expect("valid regex"));
static TITLE_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})\s*年").expect("valid regex"));
static ISSUER_IN_HISTORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:第[一二三四五六七八九十]+届)?([\p{Han}]*?(?:人民代表大会常务委员会|人民代表大会|国务院|最高人民法院|最高人民检察院|[\p{Han}]{2,12}(?:部|委员会|总局|人民政府)))")
        .expect("valid regex")
});

/// Parses a date written as 2018-12-29 or 2018年12月29日.
pub fn parse_date(s: &str) -> Option<Date> {
    let caps = DATE_ISO.captures(s).or_else(|| DATE_CN.captures(s))?;
    let y = caps[1].parse().ok()?;
    let m = caps[2].parse().ok()?;
    let d = caps[3].parse().ok()?;
    Date::from_ymd_opt(y, m, d)
}

/// The level implied by a folder in the laws collection's layout.
fn level_from_path(path: &Path) -> Option<Level> {
    for part in path.iter().rev().filter_map(|p| p.to_str()) {
        let level = match part {
            "宪法" => Level::Constitution,
            "宪法相关法"
            | "民法典"
            | "民法商法"
            | "行政法"
            | "经济法"
            | "社会法"
            | "刑法"
            | "诉讼与非诉讼程序法" => Level::Law,
            "行政法规" => Level::AdminRegulation,
            "司法解释" => Level::JudicialInterpretation,
            "部门规章" => Level::DepartmentRule,
            "地方性法规" => Level::LocalRegulation,
            _ => continue,
        };
        return Some(level);
    }
    None
}

/// The kind a title implies, for documents outside the law collection.
fn kind_from_title(title: &str, text: &str) -> Option<DocKind> {
    let t = title;
    if t.contains("政府工作报告") {
        return Some(DocKind::WorkReport);
    }
    if t.contains("决算") {
        return Some(DocKind::FinalAccount);
    }
    if t.contains("预算") && (t.contains("报告") || t.contains("草案") || t.contains("执行情况"))
    {
        return Some(DocKind::Budget);
    }
    if t.contains("答复") || t.contains("复函") {
        return Some(DocKind::Reply);
    }
    if (t.contains("建议") || t.contains("提案")) && (t.contains('号') || text.contains("领衔"))
    {
        return Some(DocKind::Proposal);
    }
    if t.contains("工作报告") {
        return Some(DocKind::WorkReport);
    }
    if t.contains("司法解释")
        || ((t.contains("最高人民法院") || t.contains("最高人民检察院"))
            && (t.contains("解释") || t.contains("规定")))
    {
        return Some(DocKind::JudicialInterpretation);
    }
    // A 办法 (measures) ends in 法 but is not a law.
    let law_title = t.ends_with('法') && !["办法", "方法", "做法"].iter().any(|w| t.ends_with(w));
    if law_title || t.ends_with("法典") || t.contains("法（") {
        return Some(DocKind::Law);
    }
    if t.ends_with("条例") {
        // A province's, a city's or a county's people's congress makes 地方性法规 (立法法 第八十条, 第八十一条);
        // the State Council makes 行政法规.
        let head: String = text.chars().take(300).collect();
        let local = PROVINCES.iter().any(|r| t.starts_with(r))
            || t.contains("自治")
            || LOCAL_CONGRESS
                .captures(&head)
                .is_some_and(|c| !c[2].ends_with("直辖市"));
        return Some(if local {
            DocKind::LocalRegulation
        } else {
            DocKind::AdminRegulation
        });
    }
    if t.contains("通知")
        || t.contains("意见")
        || t.contains("办法")
        || t.contains("规定")
        || t.contains("方案")
    {
        return Some(DocKind::Policy);
    }
    None
}

fn region_from(path: &Path, title: &str) -> Option<String> {
    for part in path.iter().filter_map(|p| p.to_str()) {
        if let Some(r) = PROVINCES.iter().find(|r| part.starts_with(**r)) {
            return Some(r.to_string());
        }
    }
    PROVINCES
        .iter()
        .find(|r| title.starts_with(**r))
        .map(|r| r.to_string())
}

/// The version date in a file name such as `预算法(2018-12-29).md`.
fn version_from_file_name(path: &Path) -> Option<Date> {
    let stem = path.file_stem()?.to_str()?;
    let inner = stem.rsplit_once('(')?.1.trim_end_matches(')');
    parse_date(inner)
}

/// The title of a government work report: the written title without the spaces set between its characters,
/// when it names its year and is a report; otherwise the file name, when that does.
fn report_title(title: &str, file_stem: &str) -> String {
    let joined: String = title
        .split("——")
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if REPORT_STEM.is_match(&joined) {
        joined
    } else if REPORT_STEM.is_match(file_stem) {
        file_stem.to_string()
    } else {
        title.to_string()
    }
}

/// Derives metadata from the path, the extracted title, history lines and text; then applies the manifest
/// entry and the sidecar, which win over anything derived.
pub fn derive(
    path: &Path,
    title_hint: Option<&str>,
    history: &[String],
    text: &str,
    manifest: Option<&ManifestEntry>,
    sidecar: Option<&Sidecar>,
) -> Metadata {
    let file_stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .map(|s| s.rsplit_once('(').map(|(a, _)| a).unwrap_or(s).to_string())
        .unwrap_or_default();
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let title = title_hint
        .map(str::to_string)
        .filter(|t| !t.trim().is_empty())
        .or_else(|| (!file_stem.is_empty()).then(|| file_stem.clone()))
        .unwrap_or_else(|| first_line.chars().take(60).collect());

    let mut m = Metadata {
        title: title.trim().to_string(),
        history: history.to_vec(),
        ..Metadata::default()
    };
    m.level = level_from_path(path);
    let head: String = text.chars().take(3000).collect();
    m.kind = m
        .level
        .map(Level::kind)
        .or_else(|| kind_from_title(&m.title, &head))
        .or_else(|| kind_from_title(&file_stem, &head));
    m.published = history.iter().find_map(|h| parse_date(h));
    if m.kind == Some(DocKind::WorkReport) {
        // A report's title names its year and body. The first line of some reports is the speaker (国务院总理
        // 李克强), a bare 政府工作报告, or the title set with spaces (2006年政 府 工 作 报 告); the file name says it.
        m.title = report_title(&m.title, &file_stem);
        // Its date is the day it was delivered, written under the title.
        if m.published.is_none() {
            m.published = DELIVERED.captures(&head).and_then(|c| {
                let n = |i: usize| -> Option<u32> {
                    c[i].chars()
                        .filter(|ch| !ch.is_whitespace())
                        .collect::<String>()
                        .parse()
                        .ok()
                };
                Date::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?)
            });
        }
    }
    m.version_date =
        version_from_file_name(path).or_else(|| history.iter().rev().find_map(|h| parse_date(h)));
    // The issuer is named in the first dated line (通过/公布); a title broken over lines before it (中华人民共和国
    // 地方各级人民代表大会 / 和地方各级人民政府组织法) is not an issuer.
    m.issuer = history
        .iter()
        .find(|h| parse_date(h).is_some())
        .and_then(|h| ISSUER_IN_HISTORY.captures(h))
        .map(|c| c[1].to_string())
        .filter(|s| s.chars().count() >= 3);
    m.doc_number = DOC_NUMBER
        .find(&head)
        .map(|d| d.as_str().split_whitespace().collect());
    m.effective = EFFECTIVE.captures(text).and_then(|c| {
        Date::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
    });
    m.year = TITLE_YEAR
        .captures(&m.title)
        .and_then(|c| c[1].parse().ok())
        .or_else(|| {
            TITLE_YEAR
                .captures(&file_stem)
                .and_then(|c| c[1].parse().ok())
        })
        .or_else(|| {
            m.version_date
                .or(m.published)
                .map(|d| chrono::Datelike::year(&d))
        });

    if let Some(e) = manifest {
        // The manifest's name is a short form (预算法 for 中华人民共和国预算法, 总则 for a part of the 民法典):
        // the title written in the file wins.
        if let Some(name) = e.name.as_deref().filter(|n| !n.is_empty())
            && title_hint.is_none_or(|t| t.trim().is_empty())
        {
            m.title = name.to_string();
        }
        if let Some(level) = e.level.as_deref().and_then(Level::parse) {
            m.level = Some(level);
            m.kind = Some(level.kind());
        }
        if let Some(d) = e.version_date.as_deref().and_then(parse_date) {
            m.version_date = Some(d);
        }
        if let Some(d) = e.publish.as_deref().and_then(parse_date) {
            m.published = Some(d);
        }
        if let Some(d) = e.valid_from.as_deref().and_then(parse_date) {
            m.effective = Some(d);
        }
        m.expired = e.expired;
        m.access = e.access.or(m.access);
        if m.year.is_none() {
            m.year = m
                .version_date
                .or(m.published)
                .map(|d| chrono::Datelike::year(&d));
        }
    }
    // A province's or a city's people's government makes 地方政府规章 (立法法 第九十三条), whatever folder they
    // were filed under: a norm filed as 地方性法规, or a 办法/规定 adopted at the government's executive meeting
    // or issued as its order (人民政府令).
    if let Some(issuer) = m.issuer.as_deref()
        && issuer.ends_with("人民政府")
        && !issuer.contains("人民代表大会")
    {
        let adopted = history
            .iter()
            .any(|h| h.contains("常务会议") || h.contains("人民政府令"));
        let rule_title = ["办法", "规定", "细则", "规则"]
            .iter()
            .any(|w| m.title.ends_with(w));
        if m.kind == Some(DocKind::LocalRegulation)
            || (m.kind == Some(DocKind::Policy) && adopted && rule_title)
        {
            m.level = Some(Level::LocalRule);
            m.kind = Some(DocKind::LocalRule);
        }
    }
    // A version takes effect when it is published or later: a 施行 date before that is the original law's
    // (its last article, "本法自2007年1月1日起施行", stays in the amended text) and not this version's, which
    // is then unknown. The original date is still in the text and the history.
    let issued = m.published.max(m.version_date);
    if let (Some(e), Some(p)) = (m.effective, issued)
        && e < p
    {
        m.effective = None;
    }
    m.region = region_from(path, &m.title);
    if let Some(s) = sidecar {
        let s = s.clone();
        if let Some(v) = s.title {
            m.title = v;
        }
        if let Some(v) = s.level {
            m.level = Some(v);
            m.kind = Some(v.kind());
        }
        m.kind = s.kind.or(m.kind);
        m.issuer = s.issuer.or(m.issuer);
        m.doc_number = s.doc_number.or(m.doc_number);
        m.published = s.published.or(m.published);
        m.effective = s.effective.or(m.effective);
        m.version_date = s.version_date.or(m.version_date);
        m.region = s.region.or(m.region);
        m.year = s.year.or(m.year);
        m.validity = s.validity.or(m.validity);
        m.expired = s.expired.unwrap_or(m.expired);
        m.access = s.access.or(m.access);
    }
    if m.expired {
        m.validity = Some(Validity::Repealed);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn law_metadata_from_path_and_history() {
        let history = vec![
            "1994年3月22日 第八届全国人民代表大会第二次会议通过".to_string(),
            "2018年12月29日 第十三届全国人民代表大会常务委员会第七次会议第二次修正".to_string(),
        ];
        let m = derive(
            Path::new("/x/laws/经济法/预算法(2018-12-29).md"),
            Some("中华人民共和国预算法"),
            &history,
            "第一条 为了规范政府收支行为。\n第一百零一条 本法自1995年1月1日起施行。",
            None,
            None,
        );
        assert_eq!(m.title, "中华人民共和国预算法");
        assert_eq!(m.level, Some(Level::Law));
        assert_eq!(m.kind, Some(DocKind::Law));
        assert_eq!(m.published, Date::from_ymd_opt(1994, 3, 22));
        assert_eq!(m.version_date, Date::from_ymd_opt(2018, 12, 29));
        // The 2018 version does not take effect in 1995: that is the original law's date; this version's is
        // unknown from the text.
        assert_eq!(m.effective, None);
        assert_eq!(m.issuer.as_deref(), Some("全国人民代表大会"));
        assert_eq!(m.year, Some(2018));
        // The original version keeps its own.
        let original = derive(
            Path::new("/x/laws/经济法/预算法(1994-03-22).md"),
            Some("中华人民共和国预算法"),
            &history[..1],
            "第一条 为了规范政府收支行为。\n第七十九条 本法自1995年1月1日起施行。",
            None,
            None,
        );
        assert_eq!(original.effective, Date::from_ymd_opt(1995, 1, 1));
    }

    #[test]
    fn manifest_and_sidecar_override() {
        let entry = ManifestEntry {
            path: "a.md".into(),
            name: Some("上海市专利保护条例".into()),
            version_date: None,
            level: Some("地方性法规".into()),
            publish: Some("2020-05-14".into()),
            valid_from: None,
            expired: true,
            access: None,
        };
        let side = Sidecar {
            issuer: Some("上海市人大常委会".into()),
            ..Sidecar::default()
        };
        let m = derive(
            Path::new("/d/a.md"),
            None,
            &[],
            "正文",
            Some(&entry),
            Some(&side),
        );
        assert_eq!(m.title, "上海市专利保护条例");
        let titled = derive(
            Path::new("/d/a.md"),
            Some("上海市专利保护条例（修订）"),
            &[],
            "正文",
            Some(&entry),
            None,
        );
        assert_eq!(titled.title, "上海市专利保护条例（修订）");
        assert_eq!(m.kind, Some(DocKind::LocalRegulation));
        assert_eq!(m.region.as_deref(), Some("上海"));
        assert_eq!(m.validity, Some(Validity::Repealed));
        assert_eq!(m.issuer.as_deref(), Some("上海市人大常委会"));
        assert_eq!(m.published, Date::from_ymd_opt(2020, 5, 14));
    }

    #[test]
    fn a_peoples_governments_rules_are_local_government_rules_whatever_their_folder() {
        let filed_as_regulation = ManifestEntry {
            path: "a.md".into(),
            name: Some("北京市环境噪声污染防治办法".into()),
            version_date: None,
            level: Some("地方性法规".into()),
            publish: None,
            valid_from: None,
            expired: false,
            access: None,
        };
        let history = ["2006年11月17日 北京市人民政府第56次常务会议审议通过".to_string()];
        let m = derive(
            Path::new("/laws/DLC/北京地方法规/地方性法规/北京/北京市环境噪声污染防治办法.md"),
            None,
            &history,
            "第一条 为了防治环境噪声污染，制定本办法。",
            Some(&filed_as_regulation),
            None,
        );
        assert_eq!(m.issuer.as_deref(), Some("北京市人民政府"));
        assert_eq!(
            (m.kind, m.level),
            (Some(DocKind::LocalRule), Some(Level::LocalRule))
        );
        assert_eq!(m.region.as_deref(), Some("北京"));
        // An uploaded 办法 issued as a government's order.
        let m = derive(
            Path::new("/u/苏州市政府投资项目管理办法.docx"),
            None,
            &["2020年5月6日 苏州市人民政府令第150号公布".to_string()],
            "第一条 为了规范政府投资项目管理，制定本办法。",
            None,
            None,
        );
        assert_eq!(m.kind, Some(DocKind::LocalRule));
        // A standing committee's regulation stays 地方性法规, and a government's notice is a policy document.
        let m = derive(
            Path::new(
                "/laws/DLC/河南地方法规/地方性法规/河南/河南省规章设定罚款限额规定(2016-03-29).md",
            ),
            None,
            &["2016年3月29日 河南省第十二届人民代表大会常务委员会第二十次会议通过".to_string()],
            "第一条",
            Some(&ManifestEntry {
                name: Some("河南省规章设定罚款限额规定".into()),
                ..filed_as_regulation.clone()
            }),
            None,
        );
        assert_eq!(m.kind, Some(DocKind::LocalRegulation));
        let m = derive(
            Path::new("/p/关于做好预算公开工作的通知.html"),
            None,
            &["2021年3月1日 某市人民政府办公室印发".to_string()],
            "各区人民政府：",
            None,
            None,
        );
        assert_eq!(m.kind, Some(DocKind::Policy));
    }

    #[test]
    fn report_and_policy_kinds() {
        let m = derive(
            Path::new("/r/2020年政府工作报告.txt"),
            None,
            &[],
            "政府工作报告\n",
            None,
            None,
        );
        assert_eq!(m.kind, Some(DocKind::WorkReport));
        assert_eq!(m.year, Some(2020));
        let m = derive(
            Path::new("/p/notice.html"),
            Some("关于加强预算绩效管理的通知"),
            &[],
            "某财预〔2024〕12号\n各区财政局：",
            None,
            None,
        );
        assert_eq!(m.kind, Some(DocKind::Policy));
        assert_eq!(m.doc_number.as_deref(), Some("某财预〔2024〕12号"));
    }

    #[test]
    fn the_issuer_comes_from_the_first_dated_history_line_not_a_title_broken_over_lines() {
        let history = [
            "中华人民共和国地方各级人民代表大会".to_string(),
            "和地方各级人民政府组织法".to_string(),
            "1979年7月1日 第五届全国人民代表大会第二次会议通过".to_string(),
        ];
        let m = derive(
            Path::new(
                "/x/laws/宪法相关法/地方各级人民代表大会和地方各级人民政府组织法(2022-03-11).md",
            ),
            Some("中华人民共和国地方各级人民代表大会和地方各级人民政府组织法"),
            &history,
            "第一条 为了健全地方各级人民代表大会和地方各级人民政府的组织和工作制度，制定本法。",
            None,
            None,
        );
        assert_eq!(m.issuer.as_deref(), Some("全国人民代表大会"));
    }

    #[test]
    fn a_work_report_is_titled_by_its_year_and_dated_the_day_it_was_delivered() {
        let report = |stem: &str, first: &str| {
            derive(
                Path::new(&format!("reports/{stem}.txt")),
                Some(first),
                &[],
                &format!(
                    "{first}\n\n——2016年3月5日在第十二届全国人民代表大会第四次会议上\n\n各位代表：\n现在，我代表国务院，向大会报告政府工作。\n"
                ),
                None,
                None,
            )
        };
        for (stem, first, want) in [
            (
                "2015年政府工作报告",
                "国务院总理 李克强",
                "2015年政府工作报告",
            ),
            ("2016年政府工作报告", "政府工作报告", "2016年政府工作报告"),
            (
                "2006年政府工作报告",
                "2006年政 府 工 作 报 告",
                "2006年政府工作报告",
            ),
            (
                "1986年政府工作报告",
                "1986年政府工作报告关于第七个五年计划的报告",
                "1986年政府工作报告关于第七个五年计划的报告",
            ),
        ] {
            let m = report(stem, first);
            assert_eq!(m.kind, Some(DocKind::WorkReport), "{stem}");
            assert_eq!(m.title, want);
            assert_eq!(m.published, Date::from_ymd_opt(2016, 3, 5));
        }
        // The 1998 report sets its date with spaces between the digits.
        let m = derive(
            Path::new("reports/1998年政府工作报告.txt"),
            Some("1998年政府工作报告"),
            &[],
            "1998年政府工作报告\n\n\u{3000}\u{3000}——1 9 9 8 年3 月5 日在第九届全国人民代表大会第一次会议上\n\n各位代表：\n",
            None,
            None,
        );
        assert_eq!(m.published, Date::from_ymd_opt(1998, 3, 5));
    }

    #[test]
    fn a_regulation_a_local_congress_made_is_a_local_one() {
        let kind = |title: &str, text: &str| kind_from_title(title, text);
        assert_eq!(
            kind(
                "苏州市预算审查监督条例",
                "（2019年10月31日苏州市第十六届人民代表大会常务委员会第二十一次会议通过）"
            ),
            Some(DocKind::LocalRegulation)
        );
        assert_eq!(
            kind(
                "示范监督条例",
                "2020年1月1日 示范省人民代表大会常务委员会通过"
            ),
            Some(DocKind::LocalRegulation)
        );
        assert_eq!(
            kind(
                "中华人民共和国预算法实施条例",
                "（1995年11月22日中华人民共和国国务院令第186号发布）省、自治区、直辖市人民代表大会常务委员会通过的决议"
            ),
            Some(DocKind::AdminRegulation)
        );
        assert_eq!(
            kind("城市维护建设税暂行条例", "国务院发布"),
            Some(DocKind::AdminRegulation)
        );
    }
}
