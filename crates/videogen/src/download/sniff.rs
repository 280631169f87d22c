//! What a finished body is, by its first bytes and structure: a video (an MP4's `ftyp` box walk,
//! WebM), an image (PNG, JPEG, WebP), or a page that is neither.

use std::path::Path;

/// Why `head` (the first bytes of a finished body) with `content_type` is not a video, if it is
/// not: empty; an HTML, JSON or other text page; or neither an ISO-BMFF `ftyp` box (MP4, MOV —
/// OpenAI's `video/mp4`, Oxen's and VideoDB's MP4 results) nor a WebM/Matroska header.
pub(crate) fn not_a_video(head: &[u8], content_type: Option<&str>) -> Option<String> {
    if head.is_empty() {
        return Some("the body is empty".into());
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.starts_with("text/") || ct.contains("json") || ct.contains("html") || ct.contains("xml") {
        return Some(format!("it is {}", ct.split(';').next().unwrap_or("").trim()));
    }
    let mp4 = head.len() >= 8 && &head[4..8] == b"ftyp";
    let webm = head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]);
    if mp4 || webm {
        return None;
    }
    let shown: String = head.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
    Some(format!("it starts with bytes {shown}, not an MP4 ftyp box or a WebM header"))
}

/// Why `head` with `content_type` is not an image, if it is not: empty, a text page, or none of
/// WebP (`RIFF….WEBP`), JPEG (`FF D8 FF`) and PNG (`89 50 4E 47 0D 0A 1A 0A`).
pub(crate) fn not_an_image(head: &[u8], content_type: Option<&str>) -> Option<String> {
    if head.is_empty() {
        return Some("the body is empty".into());
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.starts_with("text/") || ct.contains("json") || ct.contains("html") || ct.contains("xml") {
        return Some(format!("it is {}", ct.split(';').next().unwrap_or("").trim()));
    }
    let webp = head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP";
    let jpeg = head.starts_with(&[0xFF, 0xD8, 0xFF]);
    let png = head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    if webp || jpeg || png {
        return None;
    }
    let shown: String = head.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
    Some(format!("it starts with bytes {shown}, not a WebP, JPEG or PNG image"))
}

/// Walks the top-level ISO-BMFF boxes of a finished MP4: every box must be at least its header
/// long and end inside the file, and the last must end exactly at the end of the file. A body
/// cut short (say by a `Content-Length` smaller than the video) fails here, however whole it
/// looked to HTTP. ISO/IEC 14496-12 §4.2: a 32-bit size, 1 for a 64-bit size after the type,
/// 0 for "to the end of the file".
pub(crate) fn mp4_boxes_fit(path: &Path) -> std::result::Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut at = 0u64;
    for _ in 0..100_000 {
        if at == len {
            return Ok(());
        }
        if len - at < 8 {
            return Err(format!("{} stray bytes after the last box", len - at));
        }
        let mut header = [0u8; 16];
        file.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        let n = if len - at >= 16 { 16 } else { 8 };
        file.read_exact(&mut header[..n]).map_err(|e| e.to_string())?;
        let kind: String = header[4..8].iter().map(|&b| if b.is_ascii_graphic() { b as char } else { '?' }).collect();
        let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
            0 => len - at,
            1 if n == 16 => u64::from_be_bytes([
                header[8], header[9], header[10], header[11], header[12], header[13], header[14], header[15],
            ]),
            1 => return Err(format!("the {kind} box has no room for its 64-bit size")),
            small => u64::from(small),
        };
        if size < 8 {
            return Err(format!("the {kind} box claims {size} bytes"));
        }
        if size > len - at {
            return Err(format!(
                "the {kind} box needs {size} bytes from byte {at}, but the file ends {} bytes later (cut short)",
                len - at
            ));
        }
        at += size;
    }
    Err("more than 100,000 top-level boxes".into())
}
