//! A cap on what the compressed streams of a PDF inflate to, checked before the parser decompresses them: a few
//! megabytes of deflate can hold gigabytes of content. Object streams, which the parser inflates while it
//! loads the file, are measured in the raw bytes first; the other streams once the file is loaded.

use pdf_extract::{Document, Object};
use std::io::Read;

/// Bytes that the Flate streams of one PDF (images left aside: the text parser never decodes them) may inflate
/// to, together.
pub(super) const MAX_INFLATED_BYTES: u64 = 256 * 1024 * 1024;

/// Inflates every Flate stream that is not an image into nothing, counting, and refuses the document when the
/// total passes `MAX_INFLATED_BYTES`. Streams that do not inflate are left to the parser to report.
pub(super) fn check(doc: &Document) -> Result<(), String> {
    let mut total = 0u64;
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let is_image = stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|name| name == b"Image");
        let flate = stream
            .filters()
            .is_ok_and(|filters| filters.first() == Some(&&b"FlateDecode"[..]));
        if is_image || !flate {
            continue;
        }
        let remaining = MAX_INFLATED_BYTES - total;
        let mut decoder =
            flate2::read::ZlibDecoder::new(stream.content.as_slice()).take(remaining + 1);
        total += std::io::copy(&mut decoder, &mut std::io::sink()).unwrap_or(0);
        if total > MAX_INFLATED_BYTES {
            return Err(format!(
                "its streams inflate to more than {} MiB",
                MAX_INFLATED_BYTES / (1024 * 1024)
            ));
        }
    }
    Ok(())
}

/// Measures the object streams (`/Type /ObjStm`) of a PDF's raw bytes, which the parser inflates while it
/// loads the file, and refuses the file when they inflate past `MAX_INFLATED_BYTES` together. Linear in the
/// file's size; a stream that is not deflate is left to the parser.
pub(super) fn check_object_streams(bytes: &[u8]) -> Result<(), String> {
    let mut total = 0u64;
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"/ObjStm") {
        let dict = at + found;
        // The stream's data follows the next `stream` keyword (after the dictionary), up to `endstream`.
        let Some(keyword) = find(&bytes[dict..], b"stream") else {
            break;
        };
        let mut data = dict + keyword + b"stream".len();
        if bytes.get(data) == Some(&b'\r') {
            data += 1;
        }
        if bytes.get(data) == Some(&b'\n') {
            data += 1;
        }
        let end = find(&bytes[data..], b"endstream").map_or(bytes.len(), |n| data + n);
        let remaining = MAX_INFLATED_BYTES - total;
        let mut decoder = flate2::read::ZlibDecoder::new(&bytes[data..end]).take(remaining + 1);
        total += std::io::copy(&mut decoder, &mut std::io::sink()).unwrap_or(0);
        if total > MAX_INFLATED_BYTES {
            return Err(format!(
                "its object streams inflate to more than {} MiB",
                MAX_INFLATED_BYTES / (1024 * 1024)
            ));
        }
        at = end.max(dict + 1);
    }
    Ok(())
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
