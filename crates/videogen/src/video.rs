//! A finished video bound to its client ([`Video`]): the data ([`VideoInfo`]) plus the
//! connections to fetch it; its downloads run in [`crate::download`].

use crate::error::strip_query;
use crate::result::{Download, Inline, Variant, VideoInfo, VideoLocation};
use crate::state::Inner;
use crate::{Error, Job, Result};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// A finished video bound to its client, ready to download: a [`VideoInfo`] (reachable through
/// `Deref`, so `video.job` and `video.expires_at` read its fields) plus the connections to
/// fetch it. Get one from [`crate::Client::wait`], or from a stored `VideoInfo` with
/// [`crate::Client::video`].
#[derive(Clone)]
pub struct Video {
    pub(crate) inner: Arc<Inner>,
    info: VideoInfo,
    inline: Option<Inline>,
    /// Which file this downloads (a variant is a copy with its own location).
    variant: Variant,
    /// Whether a download may replace an existing file (see [`Video::no_overwrite`]).
    replace: bool,
    /// Told how far each download has come ([`Video::on_progress`]).
    progress: Option<ProgressFn>,
}

/// A download's progress callback.
pub(crate) type ProgressFn = Arc<dyn Fn(crate::DownloadProgress) + Send + Sync>;

impl std::ops::Deref for Video {
    type Target = VideoInfo;
    fn deref(&self) -> &VideoInfo {
        &self.info
    }
}

impl std::fmt::Debug for Video {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let location = match &self.info.location {
            VideoLocation::ResultUrl { url } => format!("url {}", strip_query(url)),
            VideoLocation::ContentEndpoint { url } => format!("content {url}"),
            VideoLocation::Inline => match &self.inline {
                Some(i) => format!("inline base64 ({} chars)", i.end - i.start),
                None => "inline (bytes not held)".into(),
            },
        };
        f.debug_struct("Video")
            .field("job", &self.info.job)
            .field("location", &location)
            .field("expires_at", &self.info.expires_at)
            .field("cost", &self.info.cost)
            .finish()
    }
}

impl Video {
    pub(crate) fn new(inner: Arc<Inner>, info: VideoInfo) -> Self {
        Self { inner, info, inline: None, variant: Variant::Video, replace: true, progress: None }
    }

    #[cfg_attr(not(feature = "oxen"), allow(dead_code))]
    pub(crate) fn inline(inner: Arc<Inner>, job: &Job, inline: Inline) -> Self {
        Self {
            inner,
            info: VideoInfo::new(job, VideoLocation::Inline),
            inline: Some(inline),
            variant: Variant::Video,
            replace: true,
            progress: None,
        }
    }

    /// The data part, to store.
    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// The data part, to store.
    pub fn into_info(self) -> VideoInfo {
        self.info
    }

    /// This video, downloading only to a path where nothing exists: each download checks
    /// before it starts and puts the finished file in place without replacing anything (a hard
    /// link, then the partial file removed; a file that appeared meanwhile is kept). A program
    /// that must never write over a user's file (the `videogen` command without `--force`, its
    /// batch always) downloads through this.
    ///
    /// ```no_run
    /// # async fn f(video: videogen::Video) -> videogen::Result<()> {
    /// match video.no_overwrite().download_to("out.mp4").await {
    ///     Err(videogen::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
    ///         // out.mp4 was there: kept as it was; the partial file stays for a download elsewhere.
    ///     }
    ///     other => { other?; }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn no_overwrite(mut self) -> Self {
        self.replace = false;
        self
    }

    /// This video, telling `report` how far each of its downloads has come (bytes written, the
    /// total when the server gives it, and a last report once the file is in place): for a
    /// progress bar on long downloads. Called from the download's task, so keep it quick.
    ///
    /// ```no_run
    /// # async fn f(video: videogen::Video) -> videogen::Result<()> {
    /// let video = video.on_progress(|p| match p.total {
    ///     Some(total) => eprintln!("{} of {total} bytes", p.bytes),
    ///     None => eprintln!("{} bytes", p.bytes),
    /// });
    /// video.download_to("out.mp4").await?;
    /// # Ok(()) }
    /// ```
    pub fn on_progress(mut self, report: impl Fn(crate::DownloadProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(report));
        self
    }
}

impl Video {
    /// Downloads the video to `path`, within the client's download time limit
    /// ([`crate::ClientBuilder::download_timeout`], default 2 hours).
    ///
    /// - Streams to the partial file of [`crate::partial_path`] and renames it to `path` only when
    ///   complete and checked: the length matches `Content-Length`/`Content-Range`, and the body
    ///   is a video (not empty, not an HTML or JSON page, an MP4 `ftyp` box or WebM header at the
    ///   start). A bad body never becomes the file ([`Error::InvalidVideo`], retried).
    /// - Resumes with `Range` after a cut or a stall (per-read [`crate::ClientBuilder::stall_timeout`]),
    ///   and across processes: a partial file left by an interrupted download of the same job is
    ///   continued ([`Download::resumed_from`]). Starts over when the server ignores ranges.
    /// - Follows at most [`crate::MAX_DOWNLOAD_REDIRECTS`] redirects, checking every hop: `https://`
    ///   only (plain `http://` to loopback), and the API key only while every hop so far stayed
    ///   on the provider's API origin (OpenAI's content endpoint) — never to a result host.
    /// - Waits at most [`crate::ClientBuilder::download_header_timeout`] for each response's
    ///   headers; `Retry-After` is clamped to the retry policy's ceiling and the time left.
    /// - Replaces only a regular file or nothing ([`crate::check_output_path`]); stops past the
    ///   client's size cap. An inline `b64_json` result is decoded to the file piece by piece.
    ///
    /// # Errors
    /// [`Error::Expired`], [`Error::Download`] (insecure URL or redirect, too many redirects, too
    /// large, length mismatch), [`Error::InvalidVideo`], [`Error::Timeout`] at the time limit
    /// (the partial file is kept for a resume), [`Error::Io`] naming `path`, or the server's
    /// answer as a typed error; each carries the job.
    pub async fn download_to(&self, path: impl AsRef<Path>) -> Result<Download> {
        self.download_to_within(path, self.inner.download_timeout).await
    }

    /// Downloads a variant of the video to `path`: its thumbnail or spritesheet (OpenAI and
    /// AIHubMix `?variant=`, with the key, on the API origin; VideoDB's `thumbnail_url`, without
    /// it), or the video itself. Same safety as [`Video::download_to`] (partial file named from
    /// the job and variant, checks before the rename): an image must be WebP, JPEG or PNG.
    ///
    /// # Errors
    /// [`Error::Unsupported`] where the provider has no such variant (Oxen.ai has none; VideoDB
    /// no spritesheet — [`crate::Client::supports`] with [`crate::Operation::Thumbnail`] or
    /// [`crate::Operation::Spritesheet`]); [`Error::InvalidRequest`] when this video came
    /// without one (a gateway family that answers with a result URL); otherwise as
    /// [`Video::download_to`].
    pub async fn download_variant_to(&self, variant: Variant, path: impl AsRef<Path>) -> Result<Download> {
        self.download_variant_to_within(variant, path, self.inner.download_timeout).await
    }

    /// [`Video::download_variant_to`] with its own time limit for this call, as
    /// [`Video::download_to_within`] (the `videogen` command gives it what is left of `--timeout`).
    ///
    /// # Errors
    /// As [`Video::download_variant_to`]; [`Error::Timeout`] at `limit` (the partial file is kept
    /// for a resume).
    pub async fn download_variant_to_within(
        &self,
        variant: Variant,
        path: impl AsRef<Path>,
        limit: Duration,
    ) -> Result<Download> {
        let operation = match variant {
            Variant::Video => return self.download_to_within(path, limit).await,
            Variant::Thumbnail => crate::Operation::Thumbnail,
            Variant::Spritesheet => crate::Operation::Spritesheet,
        };
        crate::providers::require(self.job.provider, operation)?;
        let location = match (&self.info.location, variant) {
            (VideoLocation::ContentEndpoint { url }, _) => {
                VideoLocation::ContentEndpoint { url: format!("{url}?variant={}", variant.as_str()) }
            }
            (_, Variant::Thumbnail) if self.info.thumbnail_url.is_some() => {
                VideoLocation::ResultUrl { url: self.info.thumbnail_url.clone().unwrap_or_default() }
            }
            _ => {
                return Err(Error::invalid(format!(
                    "the provider gave no {} for the video of {}",
                    variant.as_str(),
                    self.job.short_form()
                )));
            }
        };
        let mut copy = self.clone();
        copy.info.location = location;
        copy.inline = None;
        copy.variant = variant;
        copy.download_to_within(path, limit).await
    }

    /// [`Video::download_to`] with its own time limit for this call (the `videogen` command
    /// gives the download what is left of `--timeout`).
    ///
    /// # Errors
    /// As [`Video::download_to`].
    pub async fn download_to_within(&self, path: impl AsRef<Path>, limit: Duration) -> Result<Download> {
        let path = path.as_ref();
        let span = tracing::info_span!("videogen.download", provider = %self.job.provider, job_id = %self.job.id);
        let transfer = crate::download::Transfer {
            inner: &self.inner,
            job: &self.info.job,
            info: &self.info,
            inline: self.inline.as_ref(),
            variant: self.variant,
            replace: self.replace,
            progress: self.progress.as_deref(),
        };
        let result = transfer.run(path, limit).instrument(span).await;
        result.map_err(|e| e.with_job(&self.job))
    }
}
