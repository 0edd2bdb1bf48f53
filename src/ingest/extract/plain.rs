//! Plain text: encoding detection (UTF-8, UTF-16 with BOM, GB18030/GBK) and a simple title guess.

use super::extracted;
use crate::error::ExtractError;
use crate::model::Format;
use crate::text::clean;

/// Decodes text bytes: a BOM decides first (UTF-8, UTF-16 LE/BE); then valid UTF-8 wins; otherwise GB18030 is
/// accepted only if it decodes without a single error. Anything else is an `Encoding` error.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, ExtractError> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(ExtractError::Encoding(format!(
                "invalid {} after its byte order mark",
                encoding.name()
            )));
        }
        return Ok(text.into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.contains('\0') {
            return Err(ExtractError::Encoding(
                "NUL bytes in text (UTF-16 without a byte order mark?)".into(),
            ));
        }
        return Ok(text.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors || text.contains('\0') {
        return Err(ExtractError::Encoding(
            "neither UTF-8, UTF-16 with a byte order mark nor GB18030".into(),
        ));
    }
    Ok(text.into_owned())
}

/// Extracts a plain text file.
pub(super) fn extract(bytes: &[u8]) -> Result<super::Extracted, ExtractError> {
    let text = clean(&decode(bytes)?);
    let title = guess_title(&text);
    Ok(extracted(Format::Text, text, title))
}

/// The first non-empty line when it looks like a title: short, without sentence punctuation, not a salutation
/// or a dateline. A trailing "——date and occasion" part is cut off.
pub(super) fn guess_title(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = match line.find("——") {
        Some(i) if i > 0 => line[..i].trim(),
        _ => line,
    };
    let chars = line.chars().count();
    let sentence = line.contains(['。', '；', '！', '？', '，'])
        || line.ends_with(['：', ':', '、'])
        || line.starts_with("新华社");
    if (2..=50).contains(&chars) && !sentence {
        Some(line.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_bom_and_utf16() {
        let text = "预算法\n第一条";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom).unwrap(), text);
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap(), text);
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(&be).unwrap(), text);
    }

    #[test]
    fn decodes_gbk_without_bom() {
        let text = "关于2023年中央决算的报告\n各位代表：";
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(decode(&gbk).unwrap(), text);
    }

    #[test]
    fn rejects_undecodable_bytes() {
        // 0x80 alone is invalid in UTF-8, and 0xFF is never a GB18030 lead byte.
        assert!(matches!(
            decode(&[b'a', 0xFF, 0x80, 0xFF]),
            Err(ExtractError::Encoding(_))
        ));
    }

    #[test]
    fn guesses_titles() {
        assert_eq!(
            guess_title(
                "1957年国务院政府工作报告——1957年6月26日在第一届全国人民代表大会第四次会议上\n正文"
            ),
            Some("1957年国务院政府工作报告".into())
        );
        assert_eq!(guess_title("\n各位代表：\n现在"), None);
        assert_eq!(guess_title("3月5日，国务院总理在会议上作报告。"), None);
    }
}
