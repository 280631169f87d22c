//! The result files: a committed MP4 fixture, optionally grown to any size with a trailing `free`
//! box, served with `Content-Length` and `Range`, streamed, never held in memory.

use crate::faults::FaultApplied;
use crate::faults::FaultKind;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use futures::Stream;
use futures::stream::{self, StreamExt};
use sha2::{Digest, Sha256};

/// The MP4 every job produces: 2 s, 320x180, H.264 (see `fixtures/README.md` for the ffmpeg command).
pub const FIXTURE_MP4: &[u8] = include_bytes!("../fixtures/result.mp4");
/// The first frame as WebP (OpenAI `variant=thumbnail`).
pub const FIXTURE_THUMBNAIL_WEBP: &[u8] = include_bytes!("../fixtures/thumbnail.webp");
/// A 4x2 grid of frames as WebP (OpenAI `variant=spritesheet`).
pub const FIXTURE_SPRITESHEET_WEBP: &[u8] = include_bytes!("../fixtures/spritesheet.webp");

const CHUNK: usize = 64 * 1024;
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// The length in bytes of a result with the `result_size` knob at `size`: the fixture's length
/// when `None` or smaller, else `size` (at least the fixture plus an 8-byte box header).
pub fn result_bytes_len(size: Option<u64>) -> u64 {
    padded_len(FIXTURE_MP4.len() as u64, size)
}

/// The length of a result whose video is `video` bytes, with the `result_size` knob at `size`.
pub(crate) fn padded_len(video: u64, size: Option<u64>) -> u64 {
    match size {
        Some(s) if s > video => s.max(video + 8),
        _ => video,
    }
}

/// The video a job's result holds: with [`crate::ResultVideos::AsRequested`], a clip of the
/// job's requested length and aspect ratio in a colour of its own ([`crate::clip`]); else (and
/// should the clip fail to encode) the fixture.
pub(crate) fn job_video(state: &crate::store::SimState, job: &crate::store::Job) -> Bytes {
    if state.config.result_videos != crate::ResultVideos::AsRequested {
        return Bytes::from_static(FIXTURE_MP4);
    }
    match crate::clip::encode(&job.clip_spec()) {
        Ok(bytes) => Bytes::from(bytes),
        Err(e) => {
            tracing::warn!(job = %job.id, error = %e, "the clip did not encode; the fixture is served");
            Bytes::from_static(FIXTURE_MP4)
        }
    }
}

/// The non-zero head of a result: the video, then the `free` box header when padded.
fn head(video: &[u8], total: u64) -> Vec<u8> {
    let mut head = video.to_vec();
    let pad = total - video.len() as u64;
    if pad == 0 {
        return head;
    }
    if let Ok(small) = u32::try_from(pad) {
        head.extend_from_slice(&small.to_be_bytes());
        head.extend_from_slice(b"free");
    } else {
        // ISO/IEC 14496-12 §4.2: size 1 means a 64-bit `largesize` follows the type.
        head.extend_from_slice(&1u32.to_be_bytes());
        head.extend_from_slice(b"free");
        head.extend_from_slice(&pad.to_be_bytes());
    }
    head
}

/// The bytes `start..end` of a result of `total` bytes holding `video`, as a stream of chunks.
fn range_stream(
    video: &[u8],
    total: u64,
    start: u64,
    end: u64,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<> {
    let head = Bytes::from(head(video, total));
    stream::unfold(start, move |pos| {
        let head = head.clone();
        async move {
            if pos >= end {
                return None;
            }
            let chunk = if pos < head.len() as u64 {
                head.slice(pos as usize..(end.min(head.len() as u64)) as usize)
            } else {
                let n = (end - pos).min(CHUNK as u64) as usize;
                Bytes::from_static(&ZEROS[..n])
            };
            let next = pos + chunk.len() as u64;
            Some((Ok(chunk), next))
        }
    })
}

/// The sha256 (hex) of a result with the `result_size` knob at `size`.
pub fn result_sha256_hex(size: Option<u64>) -> String {
    let total = result_bytes_len(size);
    let mut hasher = Sha256::new();
    let head = head(FIXTURE_MP4, total);
    hasher.update(&head);
    let mut left = total - head.len() as u64;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        hasher.update(&ZEROS[..n]);
        left -= n as u64;
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `bytes` then nothing: the stream never ends (a stalled body).
pub(crate) fn stalled(bytes: Bytes) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    stream::once(async move { Ok(bytes) }).chain(stream::pending())
}

/// `bytes` then an error: the server closes the connection before the announced length. The
/// short pause lets hyper flush what was sent before it aborts the connection.
pub(crate) fn truncated(bytes: Bytes) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    stream::once(async move { Ok(bytes) }).chain(stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Err(std::io::Error::other("simulated truncated body"))
    }))
}

/// Parses a single `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` against `total`.
/// `Ok(None)`: no Range header; `Err(())`: unsatisfiable.
fn parse_range(headers: &HeaderMap, total: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = headers.get(header::RANGE) else { return Ok(None) };
    let spec = value.to_str().map_err(|_| ())?.trim().strip_prefix("bytes=").ok_or(())?;
    if spec.contains(',') {
        return Err(());
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            (total.saturating_sub(n), total)
        }
        (a, "") => (a.parse().map_err(|_| ())?, total),
        (a, b) => {
            let b: u64 = b.parse().map_err(|_| ())?;
            (a.parse().map_err(|_| ())?, b.saturating_add(1).min(total))
        }
    };
    if start >= end || start >= total { Err(()) } else { Ok(Some((start, end))) }
}

/// Serves a whole small file (thumbnails, spritesheets) with its content type.
pub(crate) fn serve_static(bytes: &'static [u8], content_type: &'static str) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], Bytes::from_static(bytes)).into_response()
}

/// Serves the result `video` (padded to `size`) with `Range` support, applying a stall or
/// truncation fault to the body itself (the response is marked so the generic fault layer
/// leaves it alone).
pub(crate) fn serve_mp4(headers: &HeaderMap, video: &[u8], size: Option<u64>, fault: Option<&FaultKind>) -> Response {
    let total = padded_len(video.len() as u64, size);
    let (status, start, end) = match parse_range(headers, total) {
        Ok(None) => (StatusCode::OK, 0, total),
        Ok(Some((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e),
        Err(()) => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{total}"))],
                "requested range not satisfiable",
            )
                .into_response();
        }
    };
    let len = end - start;
    let body = match fault {
        Some(FaultKind::TruncatedBody) => {
            Body::from_stream(range_stream(video, total, start, start + len / 2).chain(truncated(Bytes::new())))
        }
        Some(FaultKind::StallBody) => {
            Body::from_stream(range_stream(video, total, start, start + len / 2).chain(stream::pending()))
        }
        _ => Body::from_stream(range_stream(video, total, start, end)),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {start}-{}/{total}", end - 1)).expect("ASCII"),
        );
    }
    response.extensions_mut().insert(FaultApplied);
    response
}

/// An Oxen `b64_json` answer, `prefix` + base64 of the result + `suffix`, streamed: the encoded
/// result is never held in memory. Returns the body length and the stream.
pub(crate) fn b64_json_body(
    prefix: String,
    video: Bytes,
    size: Option<u64>,
    suffix: &'static str,
) -> (u64, impl Stream<Item = Result<Bytes, std::io::Error>> + Send) {
    let total = padded_len(video.len() as u64, size);
    let encoded = total.div_ceil(3) * 4;
    let len = prefix.len() as u64 + encoded + suffix.len() as u64;
    // Each chunk is cut to a multiple of 3 bytes, so the pieces encode without padding in between;
    // the last 1–2 bytes are encoded (padded) at the end.
    let raw = range_stream(&video, total, 0, total);
    let encoded = raw
        .map(|r| r.map(|b| b.to_vec()))
        .scan(Vec::new(), |carry: &mut Vec<u8>, chunk| {
            let out = match chunk {
                Err(e) => Err(e),
                Ok(bytes) => {
                    carry.extend_from_slice(&bytes);
                    let whole = carry.len() / 3 * 3;
                    Ok(carry.drain(..whole).collect::<Vec<u8>>())
                }
            };
            futures::future::ready(Some(out))
        })
        .map(|r| r.map(|raw| Bytes::from(base64::engine::general_purpose::STANDARD.encode(raw))))
        .chain(stream::once(async move {
            // The bytes `scan` left in its carry: the last `total % 3` of the result.
            let tail = (total % 3) as usize;
            let tail_bytes = if tail == 0 { Vec::new() } else { tail_of(&video, total, tail) };
            Ok(Bytes::from(base64::engine::general_purpose::STANDARD.encode(tail_bytes)))
        }));
    let body = stream::once(async move { Ok(Bytes::from(prefix)) })
        .chain(encoded)
        .chain(stream::once(async move { Ok(Bytes::from_static(suffix.as_bytes())) }));
    (len, body)
}

/// The last `n` bytes of a result of `total` bytes holding `video`.
fn tail_of(video: &[u8], total: u64, n: usize) -> Vec<u8> {
    let head = head(video, total);
    (total - n as u64..total).map(|i| head.get(i as usize).copied().unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(s: impl Stream<Item = Result<Bytes, std::io::Error>>) -> Vec<u8> {
        s.map(|r| r.unwrap()).collect::<Vec<_>>().await.concat()
    }

    #[tokio::test]
    async fn default_result_is_the_fixture() {
        assert_eq!(result_bytes_len(None), FIXTURE_MP4.len() as u64);
        let all = collect(range_stream(FIXTURE_MP4, FIXTURE_MP4.len() as u64, 0, FIXTURE_MP4.len() as u64)).await;
        assert_eq!(all, FIXTURE_MP4);
        assert_eq!(&all[4..8], b"ftyp");
    }

    #[tokio::test]
    async fn padded_result_ends_in_a_free_box_and_hashes_consistently() {
        let size = Some(200_000);
        let total = result_bytes_len(size);
        let all = collect(range_stream(FIXTURE_MP4, total, 0, total)).await;
        assert_eq!(all.len() as u64, total);
        let f = FIXTURE_MP4.len();
        assert_eq!(&all[f + 4..f + 8], b"free");
        assert_eq!(u32::from_be_bytes(all[f..f + 4].try_into().unwrap()) as u64, total - f as u64);
        let hex: String = Sha256::digest(&all).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, result_sha256_hex(size));
        // A range in the middle equals the same slice of the whole.
        let part = collect(range_stream(FIXTURE_MP4, total, 10_000, 150_000)).await;
        assert_eq!(part, all[10_000..150_000]);
    }

    #[test]
    fn huge_results_use_a_64_bit_box() {
        let total = 5 << 30;
        let head = head(FIXTURE_MP4, total);
        let f = FIXTURE_MP4.len();
        assert_eq!(&head[f..f + 8], &[0, 0, 0, 1, b'f', b'r', b'e', b'e']);
        assert_eq!(u64::from_be_bytes(head[f + 8..f + 16].try_into().unwrap()), total - f as u64);
    }

    #[test]
    fn ranges() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_range(&h, 100), Ok(None));
        for (v, want) in [
            ("bytes=0-9", Ok(Some((0, 10)))),
            ("bytes=90-", Ok(Some((90, 100)))),
            ("bytes=-5", Ok(Some((95, 100)))),
            ("bytes=95-200", Ok(Some((95, 100)))),
            ("bytes=100-", Err(())),
            ("bytes=5-2", Err(())),
            ("items=1-2", Err(())),
        ] {
            h.insert(header::RANGE, HeaderValue::from_static(v));
            assert_eq!(parse_range(&h, 100), want, "{v}");
        }
    }

    #[tokio::test]
    async fn b64_body_decodes_to_the_result() {
        use base64::Engine;
        for size in [None, Some(100_001), Some(100_002), Some(300_000)] {
            let (len, stream) = b64_json_body("{\"b64_json\":\"".into(), Bytes::from_static(FIXTURE_MP4), size, "\"}");
            let body = collect(stream).await;
            assert_eq!(body.len() as u64, len);
            let text = std::str::from_utf8(&body).unwrap();
            let b64 = text.strip_prefix("{\"b64_json\":\"").unwrap().strip_suffix("\"}").unwrap();
            let decoded = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
            let hex: String = Sha256::digest(&decoded).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, result_sha256_hex(size), "{size:?}");
        }
    }
}
