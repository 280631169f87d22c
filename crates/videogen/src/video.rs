//! A finished video and its safe download.

use crate::client::Inner;
use crate::convert::transport_message;
use crate::{Error, Job, Result};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tracing::Instrument;

/// Where the bytes of a video are (some variants go unused when a provider is compiled out).
#[derive(Clone)]
#[cfg_attr(not(all(feature = "oxen", feature = "videodb", feature = "openai")), allow(dead_code))]
pub(crate) enum Source {
    /// A result URL (Oxen `result_url`/`url`, VideoDB `stream_url`).
    Url(String),
    /// OpenAI/AIHubMix `GET {base}/videos/{id}/content` on the API's origin, with the key.
    Content { url: String },
    /// Oxen `b64_json`: the answer's bytes and the range of the base64 text in them.
    Inline { body: Bytes, start: usize, end: usize },
}

/// A finished video: where its bytes are, and how to download them.
#[derive(Clone)]
pub struct Video {
    pub(crate) inner: Arc<Inner>,
    /// The job that made it.
    pub job: Job,
    pub(crate) source: Source,
    /// When the result stops being downloadable, when the provider says.
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Video {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Url(url) => format!("url {}", strip_query(url)),
            Source::Content { url } => format!("content {url}"),
            Source::Inline { start, end, .. } => format!("inline base64 ({} chars)", end - start),
        };
        f.debug_struct("Video")
            .field("job", &self.job)
            .field("source", &source)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// What a download wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// The final file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How many times the transfer was resumed (with `Range`) or restarted.
    pub resumed: u32,
}

/// A temporary file in the destination folder, removed unless committed.
struct TempFile {
    path: PathBuf,
    file: Option<tokio::fs::File>,
}

impl TempFile {
    async fn create(dest: &Path) -> Result<Self> {
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "video".into());
        let unique = format!(
            ".{name}.{}-{}.part",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
        );
        let path = dir.join(unique);
        let file = tokio::fs::File::create(&path).await.map_err(|source| io(&path, source))?;
        Ok(Self { path, file: Some(file) })
    }

    fn file(&mut self) -> &mut tokio::fs::File {
        self.file.as_mut().expect("open until commit")
    }

    async fn truncate(&mut self) -> Result<()> {
        use tokio::io::AsyncSeekExt;
        let path = self.path.clone();
        let file = self.file();
        file.set_len(0).await.map_err(|e| io(&path, e))?;
        file.seek(std::io::SeekFrom::Start(0)).await.map_err(|e| io(&path, e))?;
        Ok(())
    }

    async fn commit(mut self, dest: &Path) -> Result<()> {
        let mut file = self.file.take().expect("open until commit");
        file.flush().await.map_err(|e| io(&self.path, e))?;
        file.sync_all().await.map_err(|e| io(&self.path, e))?;
        drop(file);
        tokio::fs::rename(&self.path, dest).await.map_err(|e| io(dest, e))?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source }
}

/// Whether plain `http://` to this host is allowed (loopback only).
fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

impl Video {
    /// The result URL, when the video is at one (Oxen, VideoDB). It may expire; see `expires_at`.
    pub fn url(&self) -> Option<&str> {
        match &self.source {
            Source::Url(url) => Some(url),
            _ => None,
        }
    }

    /// Downloads the video to `path`.
    ///
    /// Streams to a temporary file in the same folder and renames it to `path` only when
    /// complete, so a partial file never sits under the final name. Checks the length against
    /// `Content-Length`; after a cut or a stall it resumes with `Range` (or starts over when the
    /// server ignores ranges), with the client's retry policy. Refuses plain `http://` except to
    /// loopback, stops past the client's size cap, and sends the API key only to the provider's
    /// own API origin (OpenAI's content endpoint), never to a result host. An inline `b64_json`
    /// result is decoded to the file piece by piece.
    ///
    /// # Errors
    /// [`Error::Expired`], [`Error::Download`] (insecure URL, too large, length mismatch),
    /// [`Error::Io`], or the server's answer as a typed error; each carries the job.
    pub async fn download_to(&self, path: impl AsRef<Path>) -> Result<Download> {
        let path = path.as_ref();
        let span = tracing::info_span!("videogen.download", provider = %self.job.provider, job_id = %self.job.id);
        let result = async {
            match &self.source {
                Source::Inline { body, start, end } => self.write_inline(&body[*start..*end], path).await,
                Source::Url(url) | Source::Content { url } => self.fetch(url, path).await,
            }
        }
        .instrument(span)
        .await;
        result.map_err(|e| e.with_job(&self.job))
    }

    fn fail(&self, message: impl Into<String>) -> Error {
        Error::Download { job: Box::new(self.job.clone()), message: message.into() }
    }

    async fn write_inline(&self, b64: &[u8], path: &Path) -> Result<Download> {
        let mut tmp = TempFile::create(path).await?;
        // JSON may escape `/` as `\/`; skip backslashes, decode in aligned pieces.
        const PIECE: usize = 64 * 1024;
        let mut buf = Vec::with_capacity(PIECE + 4);
        let mut written = 0u64;
        let engine = base64::engine::general_purpose::STANDARD;
        for &b in b64 {
            if b == b'\\' {
                continue;
            }
            buf.push(b);
            if buf.len() == PIECE {
                let bytes = engine.decode(&buf).map_err(|e| self.fail(format!("b64_json does not decode: {e}")))?;
                written += bytes.len() as u64;
                if written > self.inner.max_download_bytes {
                    return Err(self.fail(format!("larger than the cap of {} bytes", self.inner.max_download_bytes)));
                }
                tmp.file().write_all(&bytes).await.map_err(|e| io(path, e))?;
                buf.clear();
            }
        }
        let bytes = engine.decode(&buf).map_err(|e| self.fail(format!("b64_json does not decode: {e}")))?;
        written += bytes.len() as u64;
        tmp.file().write_all(&bytes).await.map_err(|e| io(path, e))?;
        tmp.commit(path).await?;
        Ok(Download { path: path.to_path_buf(), bytes: written, resumed: 0 })
    }

    async fn fetch(&self, url: &str, path: &Path) -> Result<Download> {
        let parsed = reqwest::Url::parse(url).map_err(|e| self.fail(format!("the result URL does not parse: {e}")))?;
        match parsed.scheme() {
            "https" => {}
            "http" if is_loopback(&parsed) => {}
            "http" => return Err(self.fail("refusing a plain http:// result URL to a non-loopback host")),
            other => return Err(self.fail(format!("refusing a {other}:// result URL"))),
        }
        if self.expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(Error::Expired { job: Box::new(self.job.clone()) });
        }
        let auth = self.inner.auth(self.job.provider).cloned();
        let cap = self.inner.max_download_bytes;
        let mut delays = backon::BackoffBuilder::build(self.inner.retry.backoff());
        let mut tmp = TempFile::create(path).await?;
        let mut written: u64 = 0;
        let mut total: Option<u64> = None;
        let mut resumed = 0u32;
        loop {
            let attempt = self.fetch_once(&parsed, auth.as_ref(), &mut tmp, &mut written, &mut total, cap).await;
            match attempt {
                Ok(()) => {
                    if let Some(total) = total
                        && written != total
                    {
                        return Err(self.fail(format!("got {written} bytes, Content-Length said {total}")));
                    }
                    tmp.commit(path).await?;
                    tracing::info!(bytes = written, resumed, "downloaded");
                    return Ok(Download { path: path.to_path_buf(), bytes: written, resumed });
                }
                Err(e) if e.is_retryable() => {
                    let Some(delay) = delays.next() else { return Err(e) };
                    let delay = e.retry_after().unwrap_or(delay);
                    tracing::warn!(error = %e, written, ?delay, "download interrupted; resuming");
                    resumed += 1;
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One request: from byte `written` on (a `Range` request when > 0).
    async fn fetch_once(
        &self,
        url: &reqwest::Url,
        auth: Option<&videogen_transport::ApiAuth>,
        tmp: &mut TempFile,
        written: &mut u64,
        total: &mut Option<u64>,
        cap: u64,
    ) -> Result<()> {
        let provider = self.job.provider;
        let transport = |e: &reqwest::Error| Error::Transport { provider, message: transport_message(e), job: None };
        let mut builder = self.inner.downloads.get(url.clone());
        if *written > 0 {
            builder = builder.header(reqwest::header::RANGE, format!("bytes={written}-"));
        }
        let mut request = builder.build().map_err(|e| transport(&e))?;
        match auth {
            // The key goes only to the provider's own API origin (OpenAI's content endpoint).
            Some(auth) => auth.prepare(&mut request),
            None => {
                request.headers_mut().remove(reqwest::header::AUTHORIZATION);
            }
        }
        let response = self.inner.downloads.execute(request).await.map_err(|e| transport(&e))?;
        let status = response.status().as_u16();
        match status {
            200 => {
                if *written > 0 {
                    // The server ignored the range: start over.
                    tmp.truncate().await?;
                    *written = 0;
                }
                *total = response.content_length();
            }
            206 => {
                let range =
                    response.headers().get(reqwest::header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).unwrap_or("");
                let (start, full) =
                    parse_content_range(range).ok_or_else(|| self.fail(format!("bad Content-Range {range:?}")))?;
                if start != *written {
                    return Err(self.fail(format!("asked for bytes from {written}, got {start}")));
                }
                *total = full.or(*total);
            }
            _ => {
                let headers = response.headers().clone();
                let body = response.text().await.unwrap_or_default();
                // A presigned result URL answers 403 (or 410) once it expired; OpenAI's content
                // endpoint answers an error naming the expiry.
                let past_expiry = self.expires_at.is_some_and(|at| at <= Utc::now());
                let result_url = matches!(self.source, Source::Url(_));
                if matches!(status, 403 | 404 | 410)
                    && (past_expiry || status == 410 || (result_url && status == 403) || body.contains("expired"))
                {
                    return Err(Error::Expired { job: Box::new(self.job.clone()) });
                }
                let message = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str().map(String::from)))
                    .unwrap_or_else(|| format!("HTTP {status} for the result"));
                return Err(crate::error::from_status(provider, status, &headers, message, body));
            }
        }
        if let Some(total) = *total
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
                        provider,
                        message: format!("no data for {:?}", self.inner.stall_timeout),
                        job: None,
                    });
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(transport(&e)),
                Ok(Some(Ok(chunk))) => chunk,
            };
            *written += chunk.len() as u64;
            if *written > cap {
                return Err(self.fail(format!("over the cap of {cap} bytes")));
            }
            tmp.file().write_all(&chunk).await.map_err(|e| io(&tmp.path, e))?;
        }
        if let Some(total) = *total
            && *written < total
        {
            return Err(Error::Transport {
                provider,
                message: format!("the body ended at {written} of {total} bytes"),
                job: None,
            });
        }
        Ok(())
    }
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

    #[test]
    fn loopback_hosts() {
        for (u, want) in [
            ("http://127.0.0.1:1/x", true),
            ("http://localhost/x", true),
            ("http://[::1]/x", true),
            ("http://example.com/x", false),
            ("http://10.0.0.1/x", false),
        ] {
            assert_eq!(is_loopback(&reqwest::Url::parse(u).unwrap()), want, "{u}");
        }
    }
}
