//! A cap on what the compressed streams of a PDF inflate to, checked before the parser decompresses them: a few
//! megabytes of deflate can hold gigabytes of content.

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
