//! The download engine: a finished video's bytes to a file, safely. Streams into a partial file
//! named from the job (resumed with `Range` across tries and processes), follows redirects hop
//! by hop (the key only on the API's origin), checks what arrived (length, a video's or an
//! image's first bytes, an MP4's box walk), and puts the file in place only when complete and
//! checked, without replacing anything when asked ([`crate::Video::no_overwrite`]). It takes a
//! [`Transfer`] (what to fetch and under which limits), not a client-bound `Video`.

use crate::convert::transport_message;
use crate::error::source_of;
use crate::result::{Download, Inline, Variant, VideoInfo, VideoLocation};
use crate::state::Inner;
use crate::{Error, Job, Result};
use base64::Engine;
use futures::StreamExt;
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

mod partial;
mod sniff;

pub(crate) use partial::Partial;
pub use partial::{check_output_path, partial_path, place_without_replacing};
use partial::{exists, resolve_output};
use sniff::{mp4_boxes_fit, not_a_video, not_an_image};

/// The most redirects a result download follows: 10. Each hop must be `https://` (or plain
/// `http://` to a loopback host), and the API key goes only while every hop so far stayed on
/// the provider's API origin.
pub const MAX_DOWNLOAD_REDIRECTS: usize = 10;

/// The first bytes of a file kept to check what it is.
pub(crate) const HEAD_BYTES: usize = 12;

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Where a transfer stands across tries.
struct Progress {
    partial: Partial,
    total: Option<u64>,
    content_type: Option<String>,
}

/// One download: what to fetch and where the limits come from.
pub(crate) struct Transfer<'a> {
    /// The client's shared state: the download connection pool, caps, retry policy, keys.
    pub inner: &'a Inner,
    pub job: &'a Job,
    pub info: &'a VideoInfo,
    /// The bytes of an inline answer (Oxen.ai's `b64_json`), when held.
    pub inline: Option<&'a Inline>,
    pub variant: Variant,
    /// Whether the final file may replace one at the path.
    pub replace: bool,
    /// Told how far the transfer has come ([`crate::Video::on_progress`]).
    pub progress: Option<&'a (dyn Fn(crate::DownloadProgress) + Send + Sync)>,
}

impl Transfer<'_> {
    fn report(&self, bytes: u64, total: Option<u64>, done: bool) {
        if let Some(report) = self.progress {
            report(crate::DownloadProgress { bytes, total, done });
        }
    }

    /// Downloads to `path` within `limit` (see [`crate::Video::download_to`]).
    pub(crate) async fn run(&self, path: &Path, limit: Duration) -> Result<Download> {
        if !self.replace && std::fs::symlink_metadata(path).is_ok() {
            return Err(Error::Io { path: path.display().to_string(), source: exists(path), job: None });
        }
        let target = resolve_output(path).map_err(|p| Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(p.kind, p.message),
            job: None,
        })?;
        match (&self.info.location, self.inline) {
            (VideoLocation::Inline, Some(i)) => self.write_inline(&i.body[i.start..i.end], path, &target).await,
            (VideoLocation::Inline, None) => {
                Err(self
                    .fail("the video's bytes came inline in the generate answer and were not kept; generate it again"))
            }
            (VideoLocation::ResultUrl { url } | VideoLocation::ContentEndpoint { url }, _) => {
                self.fetch(url, path, &target, limit).await
            }
        }
    }

    fn fail(&self, message: impl Into<String>) -> Error {
        Error::Download { job: Box::new(self.job.clone()), message: message.into() }
    }

    fn io(&self, path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), source, job: Some(Box::new(self.job.clone())) }
    }

    async fn open_partial(&self, path: &Path, target: &Path) -> Result<Partial> {
        let partial = match self.variant {
            Variant::Video => partial_path(target, self.job),
            other => {
                // A variant's partial file must never be resumed as the video's, or the reverse.
                let mut job = self.job.clone();
                job.id = format!("{}.{}", job.id, other.as_str());
                partial_path(target, &job)
            }
        };
        Partial::open(&partial).await.map_err(|e| self.io(path, e))
    }

    async fn write_inline(&self, b64: &[u8], path: &Path, target: &Path) -> Result<Download> {
        let mut partial = self.open_partial(path, target).await?;
        partial.reset().await.map_err(|e| self.io(path, e))?;
        // JSON may escape `/` as `\/`; skip backslashes, decode in aligned pieces.
        const PIECE: usize = 64 * 1024;
        let mut buf = Vec::with_capacity(PIECE + 4);
        let engine = base64::engine::general_purpose::STANDARD;
        let cap = self.inner.max_download_bytes;
        let result: Result<()> = async {
            for (i, &b) in b64.iter().enumerate() {
                if b != b'\\' {
                    buf.push(b);
                }
                if buf.len() == PIECE || (i + 1 == b64.len() && !buf.is_empty()) {
                    let bytes = engine.decode(&buf).map_err(|e| self.fail(format!("b64_json does not decode: {e}")))?;
                    if partial.written + bytes.len() as u64 > cap {
                        return Err(self.fail(format!("larger than the cap of {cap} bytes")));
                    }
                    partial.write(&bytes).await.map_err(|e| self.io(path, e))?;
                    buf.clear();
                }
            }
            self.check_video(&mut partial, None).await
        }
        .await;
        if let Err(e) = result {
            partial.remove().await;
            return Err(e);
        }
        let bytes = partial.written;
        partial.commit(target, self.replace).await.map_err(|e| self.io(path, e))?;
        self.report(bytes, Some(bytes), true);
        Ok(Download { path: target.to_path_buf(), bytes, resumed: 0, resumed_from: 0 })
    }

    async fn fetch(&self, url: &str, path: &Path, target: &Path, limit: Duration) -> Result<Download> {
        let parsed = reqwest::Url::parse(url).map_err(|e| self.fail(format!("the result URL does not parse: {e}")))?;
        self.check_scheme(&parsed)?;
        let start = tokio::time::Instant::now();
        let deadline = start + limit;
        let mut transfer =
            Progress { partial: self.open_partial(path, target).await?, total: None, content_type: None };
        if self.info.is_expired() {
            transfer.partial.remove().await;
            return Err(Error::Expired { job: Box::new(self.job.clone()) });
        }
        let resumed_from = transfer.partial.written;
        self.report(resumed_from, None, false);
        let mut schedule = crate::RetrySchedule::new(crate::RequestKind::Read, self.inner.retry).until(deadline);
        let mut resumed = 0u32;
        loop {
            let attempt = match tokio::time::timeout_at(deadline, self.fetch_once(&parsed, path, &mut transfer)).await {
                Ok(attempt) => attempt,
                Err(_) => {
                    return Err(Error::Timeout {
                        job: Box::new(self.job.clone()),
                        waited: start.elapsed(),
                        last_status: "downloading".into(),
                    });
                }
            };
            let attempt = match attempt {
                Ok(()) => self.check_video(&mut transfer.partial, transfer.content_type.as_deref()).await,
                Err(e) => Err(e),
            };
            match attempt {
                Ok(()) => {
                    let bytes = transfer.partial.written;
                    transfer.partial.commit(target, self.replace).await.map_err(|e| self.io(path, e))?;
                    self.report(bytes, Some(bytes), true);
                    tracing::info!(bytes, resumed, resumed_from, "downloaded");
                    return Ok(Download { path: target.to_path_buf(), bytes, resumed, resumed_from });
                }
                Err(e) if crate::retry::may_send_again(crate::RequestKind::Read, &e) => {
                    if matches!(e, Error::InvalidVideo { .. }) {
                        // Never resume on top of a body that was not the video.
                        transfer.partial.reset().await.map_err(|err| self.io(path, err))?;
                        transfer.total = None;
                    }
                    let Some(delay) = schedule.next_delay(&e) else {
                        if matches!(e, Error::InvalidVideo { .. }) {
                            transfer.partial.remove().await;
                        }
                        return Err(e);
                    };
                    tracing::warn!(error = %e, written = transfer.partial.written, ?delay, "download interrupted; resuming");
                    resumed += 1;
                    tokio::time::sleep(delay).await;
                }
                Err(e) => {
                    // Nothing a later resume could use.
                    transfer.partial.remove().await;
                    return Err(e);
                }
            }
        }
    }

    /// Whether a finished body is a video: [`not_a_video`], then for an MP4 the box walk of
    /// [`mp4_boxes_fit`] (on the flushed partial file).
    async fn check_video(&self, partial: &mut Partial, content_type: Option<&str>) -> Result<()> {
        let invalid = |message: String| Error::InvalidVideo { job: Box::new(self.job.clone()), message };
        if self.variant != Variant::Video {
            return match not_an_image(&partial.head, content_type) {
                Some(reason) => Err(invalid(reason)),
                None => Ok(()),
            };
        }
        if let Some(reason) = not_a_video(&partial.head, content_type) {
            return Err(invalid(reason));
        }
        if partial.head.len() >= 8 && &partial.head[4..8] == b"ftyp" {
            partial.file.flush().await.map_err(|e| self.io(&partial.path, e))?;
            let at = partial.path.clone();
            let fit =
                tokio::task::spawn_blocking(move || mp4_boxes_fit(&at)).await.unwrap_or_else(|e| Err(e.to_string()));
            fit.map_err(invalid)?;
        }
        Ok(())
    }

    /// `https://`, or plain `http://` to loopback; nothing else.
    fn check_scheme(&self, url: &reqwest::Url) -> Result<()> {
        videogen_transport::insecure_scheme(url).map_or(Ok(()), |why| Err(self.fail(why)))
    }

    /// One request (after its redirects): from byte `written` on (a `Range` request when > 0).
    async fn fetch_once(&self, start: &reqwest::Url, path: &Path, t: &mut Progress) -> Result<()> {
        let provider = self.job.provider;
        let transport = |e: reqwest::Error| Error::Transport {
            provider,
            message: transport_message(&e),
            source: source_of(e),
            job: None,
        };
        let auth = self.inner.auth(provider);
        let mut url = start.clone();
        let mut keyed = true;
        let mut hops = 0usize;
        let response = loop {
            self.check_scheme(&url)?;
            // The key goes only while every hop so far stayed on the API's origin.
            keyed = keyed && auth.is_some_and(|a| a.is_api_origin(&url));
            let mut builder = self.inner.downloads.get(url.clone());
            if t.partial.written > 0 {
                builder = builder.header(reqwest::header::RANGE, format!("bytes={}-", t.partial.written));
            }
            let mut request = builder.build().map_err(transport)?;
            if keyed && let Some(auth) = auth {
                auth.prepare(&mut request);
            }
            let header_timeout = self.inner.download_header_timeout;
            let response = match tokio::time::timeout(header_timeout, self.inner.downloads.execute(request)).await {
                Ok(r) => r.map_err(transport)?,
                Err(_) => {
                    return Err(Error::Transport {
                        source: None,
                        provider,
                        message: format!("no response headers within {}", crate::error::seconds(header_timeout)),
                        job: None,
                    });
                }
            };
            let status = response.status().as_u16();
            if !is_redirect(status) {
                break response;
            }
            hops += 1;
            if hops > MAX_DOWNLOAD_REDIRECTS {
                return Err(self.fail(format!("more than {MAX_DOWNLOAD_REDIRECTS} redirects")));
            }
            url = videogen_transport::redirect_target(response.url(), response.headers())
                .ok_or_else(|| self.fail(format!("a {status} redirect without a usable Location")))?;
        };
        let status = response.status().as_u16();
        match status {
            200 => {
                if t.partial.written > 0 {
                    // The server ignored the range: start over.
                    t.partial.reset().await.map_err(|e| self.io(path, e))?;
                }
                t.total = response.content_length();
            }
            206 => {
                let range =
                    response.headers().get(reqwest::header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).unwrap_or("");
                let parsed = parse_content_range(range);
                match parsed {
                    Some((start, full)) if start == t.partial.written => t.total = full.or(t.total),
                    _ => {
                        // A range we did not ask for: start over rather than stitch the wrong bytes.
                        t.partial.reset().await.map_err(|e| self.io(path, e))?;
                        t.total = None;
                        return Err(Error::Transport {
                            source: None,
                            provider,
                            message: format!("the server sent another range ({range:?}); starting over"),
                            job: None,
                        });
                    }
                }
            }
            416 if t.partial.written > 0 => {
                // The partial file does not fit this result: start over.
                t.partial.reset().await.map_err(|e| self.io(path, e))?;
                t.total = None;
                return Err(Error::Transport {
                    source: None,
                    provider,
                    message: "the server cannot resume from the partial file; starting over".into(),
                    job: None,
                });
            }
            _ => {
                let headers = response.headers().clone();
                let body = read_capped(response, 64 * 1024).await;
                // A presigned result URL answers 403 (or 410) once it expired; OpenAI's content
                // endpoint answers an error naming the expiry.
                let result_url = matches!(self.info.location, VideoLocation::ResultUrl { .. });
                if matches!(status, 403 | 404 | 410)
                    && (self.info.is_expired()
                        || status == 410
                        || (result_url && status == 403)
                        || body.contains("expired"))
                {
                    return Err(Error::Expired { job: Box::new(self.job.clone()) });
                }
                let message = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str().map(String::from)))
                    .unwrap_or_else(|| format!("HTTP {status} for the result"));
                if matches!(status, 401 | 403) {
                    // The result host refused this URL (a signed URL gone bad, a forbidden
                    // object): a failed download, not the client's configuration.
                    return Err(self.fail(format!(
                        "the result URL was refused with HTTP {status} ({}); a status read gives a fresh URL",
                        message.chars().take(200).collect::<String>()
                    )));
                }
                return Err(crate::error::from_status(false, provider, status, &headers, message, body));
            }
        }
        t.content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let cap = self.inner.max_download_bytes;
        if let Some(total) = t.total
            && total > cap
        {
            return Err(self.fail(format!("the file is {total} bytes, over the cap of {cap}")));
        }
        let mut stream = response.bytes_stream();
        loop {
            let next = tokio::time::timeout(self.inner.stall_timeout, stream.next()).await;
            let chunk = match next {
                Err(_) => {
                    return Err(Error::Transport {
                        source: None,
                        provider,
                        message: format!("no data for {}", crate::error::seconds(self.inner.stall_timeout)),
                        job: None,
                    });
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(transport(e)),
                Ok(Some(Ok(chunk))) => chunk,
            };
            if t.partial.written + chunk.len() as u64 > cap {
                return Err(self.fail(format!("over the cap of {cap} bytes")));
            }
            t.partial.write(&chunk).await.map_err(|e| self.io(path, e))?;
            self.report(t.partial.written, t.total, false);
        }
        if let Some(total) = t.total
            && t.partial.written != total
        {
            return Err(Error::Transport {
                source: None,
                provider,
                message: format!("the body ended at {} of {total} bytes", t.partial.written),
                job: None,
            });
        }
        Ok(())
    }
}

/// Up to `cap` bytes of an error answer, as text (a broken body gives what arrived).
async fn read_capped(mut response: reqwest::Response, cap: usize) -> String {
    let mut body = Vec::new();
    while body.len() < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(cap - body.len())]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// Parses `bytes START-END/TOTAL` (TOTAL may be `*`).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 10-19/100"), Some((10, Some(100))));
        assert_eq!(parse_content_range("bytes 10-19/*"), Some((10, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
