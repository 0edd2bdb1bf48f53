//! PDF fonts for the page interpreter: how a shown string splits into character codes, what each code means
//! (ToUnicode maps, simple encodings, predefined CJK CMaps such as GBK-EUC-H and UniGB-UCS2-H) and how wide it
//! is.

use lopdf::{Dictionary, Document, Object};
use std::collections::HashMap;

/// How a shown string is cut into character codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codes {
    /// One byte per code (simple fonts).
    OneByte,
    /// Two bytes per code (Identity-H/V and other two-byte CMaps).
    TwoBytes,
    /// GB-style EUC: a byte below 0x80 alone, otherwise two bytes (GBK-EUC, GB-EUC, GBpc-EUC).
    Euc,
    /// UTF-16 big-endian (UniGB-UTF16, UniGB-UCS2): two bytes, or four for a surrogate pair.
    Utf16,
}

/// How codes become text when the font has no ToUnicode map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fallback {
    /// The simple font's encoding table.
    Simple,
    /// GBK bytes.
    Gbk,
    /// UTF-16 code units.
    Utf16,
    /// Nothing known (CIDs without a map): the code is dropped.
    None,
}

/// A font as the interpreter needs it.
#[derive(Debug, Clone)]
pub(super) struct Font {
    codes: Codes,
    fallback: Fallback,
    to_unicode: Option<HashMap<u32, String>>,
    encoding: Box<[char; 256]>,
    /// Widths by code (simple fonts) or CID (Type0), in thousandths of the font size.
    widths: HashMap<u32, f32>,
    default_width: f32,
}

/// One decoded character code.
pub(super) struct Code {
    pub text: String,
    pub width: f32,
    pub is_space: bool,
}

impl Font {
    /// A fallback font for a missing or unreadable font resource: one-byte codes, Latin-1, half-width.
    pub(super) fn unknown() -> Font {
        Font {
            codes: Codes::OneByte,
            fallback: Fallback::Simple,
            to_unicode: None,
            encoding: win_ansi(),
            widths: HashMap::new(),
            default_width: 500.0,
        }
    }

    /// Reads a font dictionary.
    pub(super) fn load(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = name(doc, dict, b"Subtype").unwrap_or_default();
        let to_unicode = deref(doc, dict.get(b"ToUnicode").ok())
            .and_then(|o| o.as_stream().ok())
            .and_then(|s| {
                s.decompressed_content()
                    .ok()
                    .or_else(|| Some(s.content.clone()))
            })
            .and_then(|bytes| parse_to_unicode(&bytes));
        if subtype == "Type0" {
            let encoding = name(doc, dict, b"Encoding").unwrap_or_default();
            let (codes, fallback) = cmap_kind(&encoding);
            let descendant = deref(doc, dict.get(b"DescendantFonts").ok())
                .and_then(|o| o.as_array().ok())
                .and_then(|a| a.first())
                .and_then(|o| deref(doc, Some(o)))
                .and_then(|o| o.as_dict().ok());
            let mut widths = HashMap::new();
            let mut default_width = 1000.0;
            if let Some(d) = descendant {
                if let Some(dw) = deref(doc, d.get(b"DW").ok()).and_then(number) {
                    default_width = dw;
                }
                if let Some(w) = deref(doc, d.get(b"W").ok()).and_then(|o| o.as_array().ok()) {
                    cid_widths(doc, w, &mut widths);
                }
            }
            return Font {
                codes,
                fallback: if to_unicode.is_some() {
                    Fallback::None
                } else {
                    fallback
                },
                to_unicode,
                encoding: win_ansi(),
                widths,
                default_width,
            };
        }
        let mut encoding_table = win_ansi();
        match deref(doc, dict.get(b"Encoding").ok()) {
            Some(Object::Name(n)) if n.as_slice() == b"MacRomanEncoding" => {}
            Some(Object::Dictionary(enc)) => {
                if let Some(diff) =
                    deref(doc, enc.get(b"Differences").ok()).and_then(|o| o.as_array().ok())
                {
                    apply_differences(doc, diff, &mut encoding_table);
                }
            }
            _ => {}
        }
        let first = deref(doc, dict.get(b"FirstChar").ok())
            .and_then(number)
            .unwrap_or(0.0) as u32;
        let mut widths = HashMap::new();
        if let Some(w) = deref(doc, dict.get(b"Widths").ok()).and_then(|o| o.as_array().ok()) {
            for (i, o) in w.iter().take(256).enumerate() {
                if let Some(v) = deref(doc, Some(o)).and_then(number) {
                    widths.insert(first + i as u32, v);
                }
            }
        }
        let missing = deref(doc, dict.get(b"FontDescriptor").ok())
            .and_then(|o| o.as_dict().ok())
            .and_then(|fd| deref(doc, fd.get(b"MissingWidth").ok()))
            .and_then(number)
            .filter(|w| *w > 0.0)
            .unwrap_or(500.0);
        Font {
            codes: Codes::OneByte,
            fallback: Fallback::Simple,
            to_unicode,
            encoding: encoding_table,
            widths,
            default_width: missing,
        }
    }

    /// Cuts a shown string into codes and decodes each.
    pub(super) fn decode(&self, bytes: &[u8]) -> Vec<Code> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let len = match self.codes {
                Codes::OneByte => 1,
                Codes::TwoBytes => 2,
                Codes::Euc => {
                    if bytes[i] < 0x80 {
                        1
                    } else {
                        2
                    }
                }
                Codes::Utf16 => {
                    let hi = bytes[i];
                    if (0xD8..=0xDB).contains(&hi) { 4 } else { 2 }
                }
            };
            let end = (i + len).min(bytes.len());
            let raw = &bytes[i..end];
            let code = raw.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            out.push(self.code(code, raw));
            i = end;
        }
        out
    }

    fn code(&self, code: u32, raw: &[u8]) -> Code {
        let mapped = self.to_unicode.as_ref().and_then(|m| m.get(&code)).cloned();
        let text = mapped.unwrap_or_else(|| match self.fallback {
            Fallback::Simple => self.encoding[(code & 0xff) as usize].to_string(),
            Fallback::Gbk => {
                let (s, _, bad) = encoding_rs::GBK.decode(raw);
                if bad { String::new() } else { s.into_owned() }
            }
            Fallback::Utf16 => {
                let units: Vec<u16> = raw
                    .chunks(2)
                    .filter(|c| c.len() == 2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            Fallback::None => String::new(),
        });
        let width = match self.codes {
            // Without the CMap's CIDs the widths are those of the usual CJK fonts: half for one byte.
            Codes::Euc => {
                if raw.len() == 1 {
                    500.0
                } else {
                    self.default_width
                }
            }
            Codes::Utf16 => {
                if text.is_ascii() {
                    500.0
                } else {
                    self.default_width
                }
            }
            _ => self
                .widths
                .get(&code)
                .copied()
                .unwrap_or(self.default_width),
        };
        Code {
            text: text.chars().filter(|c| *c != '\0').collect(),
            width,
            is_space: raw.len() == 1 && raw[0] == 32,
        }
    }
}

/// The code split and fallback of a Type0 font's encoding name.
fn cmap_kind(encoding: &str) -> (Codes, Fallback) {
    let upper = encoding.to_ascii_uppercase();
    if upper.starts_with("IDENTITY") || encoding.is_empty() {
        (Codes::TwoBytes, Fallback::None)
    } else if upper.contains("UCS2") || upper.contains("UTF16") {
        (Codes::Utf16, Fallback::Utf16)
    } else if upper.contains("EUC") || upper.starts_with("GBK") || upper.starts_with("GBT") {
        (Codes::Euc, Fallback::Gbk)
    } else {
        (Codes::TwoBytes, Fallback::None)
    }
}

/// Follows a reference (one level of indirection is all a dictionary entry needs here).
fn deref<'a>(doc: &'a Document, obj: Option<&'a Object>) -> Option<&'a Object> {
    let obj = obj?;
    match obj {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn name(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<String> {
    deref(doc, dict.get(key).ok())
        .and_then(|o| o.as_name().ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
}

/// A number object as f32.
pub(super) fn number(obj: &Object) -> Option<f32> {
    match obj {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// Reads a CIDFont `W` array: `c [w1 w2 ...]` and `c_first c_last w` entries.
fn cid_widths(doc: &Document, w: &[Object], out: &mut HashMap<u32, f32>) {
    let mut i = 0;
    while i < w.len() && out.len() < 65_536 {
        let Some(first) = deref(doc, w.get(i)).and_then(number) else {
            break;
        };
        match deref(doc, w.get(i + 1)) {
            Some(Object::Array(list)) => {
                for (k, o) in list.iter().take(65_536).enumerate() {
                    if let Some(v) = deref(doc, Some(o)).and_then(number) {
                        out.insert(first as u32 + k as u32, v);
                    }
                }
                i += 2;
            }
            Some(o) => {
                let (Some(last), Some(v)) = (number(o), deref(doc, w.get(i + 2)).and_then(number))
                else {
                    break;
                };
                let (first, last) = (first as u32, (last as u32).min(first as u32 + 65_535));
                for c in first..=last {
                    out.insert(c, v);
                }
                i += 3;
            }
            None => break,
        }
    }
}

/// Applies an encoding's `Differences` array (glyph names that are known) to the table.
fn apply_differences(doc: &Document, diff: &[Object], table: &mut [char; 256]) {
    let mut code = 0usize;
    for o in diff {
        match deref(doc, Some(o)) {
            Some(Object::Integer(i)) => code = (*i).clamp(0, 255) as usize,
            Some(Object::Name(n)) => {
                if code < 256
                    && let Some(c) = glyph_char(&String::from_utf8_lossy(n))
                {
                    table[code] = c;
                }
                code += 1;
            }
            _ => {}
        }
    }
}

/// The character of a glyph name: `uniXXXX`, `uXXXX`, single characters and the common Latin names.
fn glyph_char(name: &str) -> Option<char> {
    if let Some(hex) = name.strip_prefix("uni").or_else(|| name.strip_prefix('u'))
        && (4..=6).contains(&hex.len())
        && let Ok(v) = u32::from_str_radix(&hex[..4.min(hex.len())], 16)
    {
        return char::from_u32(v);
    }
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(c);
    }
    const NAMES: &[(&str, char)] = &[
        ("space", ' '),
        ("exclam", '!'),
        ("quotedbl", '"'),
        ("numbersign", '#'),
        ("dollar", '$'),
        ("percent", '%'),
        ("ampersand", '&'),
        ("quotesingle", '\''),
        ("parenleft", '('),
        ("parenright", ')'),
        ("asterisk", '*'),
        ("plus", '+'),
        ("comma", ','),
        ("hyphen", '-'),
        ("period", '.'),
        ("slash", '/'),
        ("zero", '0'),
        ("one", '1'),
        ("two", '2'),
        ("three", '3'),
        ("four", '4'),
        ("five", '5'),
        ("six", '6'),
        ("seven", '7'),
        ("eight", '8'),
        ("nine", '9'),
        ("colon", ':'),
        ("semicolon", ';'),
        ("less", '<'),
        ("equal", '='),
        ("greater", '>'),
        ("question", '?'),
        ("at", '@'),
        ("bracketleft", '['),
        ("backslash", '\\'),
        ("bracketright", ']'),
        ("underscore", '_'),
        ("braceleft", '{'),
        ("bar", '|'),
        ("braceright", '}'),
        ("minus", '-'),
        ("endash", '–'),
        ("emdash", '—'),
    ];
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// WinAnsiEncoding (Latin-1 with the Windows-1252 additions); also the fallback for unknown encodings.
fn win_ansi() -> Box<[char; 256]> {
    let mut table = Box::new(['\0'; 256]);
    for (i, slot) in table.iter_mut().enumerate() {
        let byte = [i as u8];
        let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
        *slot = s.chars().next().unwrap_or('\0');
        if i < 32 {
            *slot = '\0';
        }
    }
    table
}

/// Parses a ToUnicode CMap: `bfchar` and `bfrange` entries (ranges with a start value or an array).
pub(super) fn parse_to_unicode(bytes: &[u8]) -> Option<HashMap<u32, String>> {
    let text = String::from_utf8_lossy(bytes);
    let mut map = HashMap::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("begin") {
        let after = &rest[start + 5..];
        let kind = if after.starts_with("bfchar") {
            1
        } else if after.starts_with("bfrange") {
            2
        } else {
            rest = after;
            continue;
        };
        let body_start = if kind == 1 { 6 } else { 7 };
        let end_tag = if kind == 1 { "endbfchar" } else { "endbfrange" };
        let Some(end) = after.find(end_tag) else {
            break;
        };
        let body = &after[body_start..end];
        let tokens = tokens(body);
        if kind == 1 {
            for pair in tokens.chunks(2) {
                if let [Token::Hex(src), Token::Hex(dst)] = pair {
                    map.insert(code_of(src), utf16_text(dst));
                }
            }
        } else {
            let mut i = 0;
            while i + 2 < tokens.len() {
                match (&tokens[i], &tokens[i + 1], &tokens[i + 2]) {
                    (Token::Hex(lo), Token::Hex(hi), Token::Hex(dst)) => {
                        let (lo, hi) = (code_of(lo), code_of(hi));
                        let base = dst.clone();
                        for (k, c) in (lo..=hi.min(lo + 65_535)).enumerate() {
                            let mut d = base.clone();
                            // The last byte is incremented over the range.
                            if let Some(last) = d.last_mut() {
                                let v = u32::from(*last) + k as u32;
                                *last = (v & 0xff) as u8;
                                if v > 0xff && d.len() >= 2 {
                                    let n = d.len();
                                    d[n - 2] = d[n - 2].wrapping_add((v >> 8) as u8);
                                }
                            }
                            map.insert(c, utf16_text(&d));
                        }
                        i += 3;
                    }
                    (Token::Hex(lo), Token::Hex(hi), Token::Array(list)) => {
                        let lo = code_of(lo);
                        for (k, dst) in list
                            .iter()
                            .enumerate()
                            .take((code_of(hi).saturating_sub(lo) + 1) as usize)
                        {
                            map.insert(lo + k as u32, utf16_text(dst));
                        }
                        i += 3;
                    }
                    _ => i += 1,
                }
            }
        }
        rest = &after[end + end_tag.len()..];
    }
    (!map.is_empty()).then_some(map)
}

#[derive(Debug, Clone)]
enum Token {
    Hex(Vec<u8>),
    Array(Vec<Vec<u8>>),
}

/// Hex strings and arrays of hex strings in a CMap section.
fn tokens(body: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = body.chars().peekable();
    let mut array: Option<Vec<Vec<u8>>> = None;
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                let mut hex = String::new();
                for h in chars.by_ref() {
                    if h == '>' {
                        break;
                    }
                    if h.is_ascii_hexdigit() {
                        hex.push(h);
                    }
                }
                if hex.len() % 2 == 1 {
                    hex.push('0');
                }
                let bytes: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                    .collect();
                match &mut array {
                    Some(a) => a.push(bytes),
                    None => out.push(Token::Hex(bytes)),
                }
            }
            '[' => array = Some(Vec::new()),
            ']' => {
                if let Some(a) = array.take() {
                    out.push(Token::Array(a));
                }
            }
            _ => {}
        }
    }
    out
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
}

/// UTF-16BE bytes as text.
fn utf16_text(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0])
            }
        })
        .collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_unicode_maps_chars_ranges_and_arrays() {
        let cmap = b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0003> <0020> <00B1> <6536> endbfchar\n\
            1 beginbfrange <0010> <0012> <0030> endbfrange\n\
            1 beginbfrange <0020> <0021> [<8D22> <653F>] endbfrange";
        let map = parse_to_unicode(cmap).unwrap();
        assert_eq!(map[&0x03], " ");
        assert_eq!(map[&0xB1], "收");
        assert_eq!(map[&0x11], "1");
        assert_eq!(map[&0x12], "2");
        assert_eq!(map[&0x20], "财");
        assert_eq!(map[&0x21], "政");
    }

    #[test]
    fn predefined_cjk_cmaps_decode_without_a_map() {
        let gbk = Font {
            codes: Codes::Euc,
            fallback: Fallback::Gbk,
            to_unicode: None,
            encoding: win_ansi(),
            widths: HashMap::new(),
            default_width: 1000.0,
        };
        let (bytes, _, _) = encoding_rs::GBK.encode("财政局2024年");
        let codes = gbk.decode(&bytes);
        let text: String = codes.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(text, "财政局2024年");
        assert_eq!(codes[3].width, 500.0);
        assert_eq!(codes[0].width, 1000.0);
        let ucs2 = Font {
            codes: Codes::Utf16,
            fallback: Fallback::Utf16,
            ..gbk
        };
        let bytes: Vec<u8> = "决算".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let text: String = ucs2
            .decode(&bytes)
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(text, "决算");
        assert_eq!(cmap_kind("GBK-EUC-H"), (Codes::Euc, Fallback::Gbk));
        assert_eq!(cmap_kind("GBpc-EUC-V"), (Codes::Euc, Fallback::Gbk));
        assert_eq!(cmap_kind("UniGB-UTF16-H"), (Codes::Utf16, Fallback::Utf16));
        assert_eq!(cmap_kind("Identity-H"), (Codes::TwoBytes, Fallback::None));
    }
}
