//! A finished video and its safe download.

use crate::convert::transport_message;
use crate::error::{source_of, strip_query};
use crate::result::{Download, Inline, Variant, VideoInfo, VideoLocation};
use crate::state::Inner;
use crate::{Error, Job, Result};
use base64::Engine;
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
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
}

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
        Self { inner, info, inline: None, variant: Variant::Video, replace: true }
    }

    #[cfg_attr(not(feature = "oxen"), allow(dead_code))]
    pub(crate) fn inline(inner: Arc<Inner>, job: &Job, inline: Inline) -> Self {
        Self {
            inner,
            info: VideoInfo::new(job, VideoLocation::Inline),
            inline: Some(inline),
            variant: Variant::Video,
            replace: true,
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
}

/// The most redirects a result download follows: 10. Each hop must be `https://` (or plain
/// `http://` to a loopback host), and the API key goes only while every hop so far stayed on
/// the provider's API origin.
pub const MAX_DOWNLOAD_REDIRECTS: usize = 10;

/// The first bytes of a file kept to check what it is.
const HEAD_BYTES: usize = 12;

/// The partial file a download of `job` to `dest` writes to: a hidden file in `dest`'s folder
/// whose name comes from the job alone (`.videogen-<provider>-<id>.part`), so a later download
/// of the same job into the same folder — in this process or another, after Ctrl-C or a crash —
/// resumes it with `Range`. It is renamed to `dest` only when complete and checked.
pub fn partial_path(dest: &Path, job: &Job) -> PathBuf {
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let safe: String = job
        .id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    // A short hash of the whole id keeps long or unusual ids apart after the cut above.
    let mut hash: u32 = 0x811c_9dc5;
    for b in job.id.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    dir.join(format!(".videogen-{}-{safe}-{hash:08x}.part", job.provider))
}

/// Why an output path cannot take a download.
struct PathProblem {
    kind: std::io::ErrorKind,
    message: String,
}

fn problem(kind: std::io::ErrorKind, message: impl Into<String>) -> PathProblem {
    PathProblem { kind, message: message.into() }
}

/// The longest file name this checks for (bytes): most Unix file systems' `NAME_MAX`.
const NAME_MAX: usize = 255;

/// The file a download to `path` will replace, after the checks of [`check_output_path`].
fn resolve_output(path: &Path) -> std::result::Result<PathBuf, PathProblem> {
    use std::io::ErrorKind as K;
    let name = path.file_name().ok_or_else(|| problem(K::InvalidInput, "not a file name"))?;
    if name.len() > NAME_MAX {
        return Err(problem(K::InvalidFilename, format!("the file name is longer than {NAME_MAX} bytes")));
    }
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(path) {
            Ok(target) if target.is_file() => std::fs::canonicalize(path)
                .map_err(|e| problem(e.kind(), format!("cannot resolve the symlink: {e}")))?,
            Ok(target) if target.is_dir() => return Err(problem(K::IsADirectory, "is a symlink to a folder")),
            Ok(_) => {
                return Err(problem(K::InvalidInput, "is a symlink to a device, FIFO or socket, not a regular file"));
            }
            Err(_) => return Err(problem(K::NotFound, "is a symlink to nothing")),
        },
        Ok(meta) if meta.is_dir() => return Err(problem(K::IsADirectory, "is a folder")),
        Ok(meta) if !meta.is_file() => {
            return Err(problem(K::InvalidInput, "is a device, FIFO or socket, not a regular file"));
        }
        Ok(_) => path.to_path_buf(),
        Err(e) if e.kind() == K::NotFound => path.to_path_buf(),
        Err(e) => return Err(problem(e.kind(), e.to_string())),
    };
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(problem(K::NotADirectory, format!("{} is not a folder", dir.display()))),
        Err(e) if e.kind() == K::NotFound => {
            return Err(problem(K::NotFound, format!("the folder {} does not exist", dir.display())));
        }
        Err(e) => return Err(problem(e.kind(), format!("the folder {}: {e}", dir.display()))),
    }
    // Writable? Creating a file is the only answer that holds for root, ACLs and read-only mounts.
    // (tempfile: an unnamed file where the system has them (Linux O_TMPFILE), so a process killed
    // here leaves nothing in the folder; elsewhere a random name unlinked at once.)
    if let Err(e) = tempfile::tempfile_in(dir) {
        return Err(problem(e.kind(), format!("cannot write in the folder {}: {e}", dir.display())));
    }
    Ok(target)
}

/// Checks, before anything is paid for, that a download could be written to `path`: its folder
/// exists and is writable, its name fits (≤ 255 bytes), and it is nothing or a regular file (a
/// symlink to a regular file is followed; a folder, device, FIFO, socket, or a symlink to one,
/// is refused). Returns the file that would be replaced.
///
/// [`Video::download_to`] makes the same checks; a program calls this before
/// [`crate::Client::submit`] so a bad path costs nothing (the `videogen` command does).
///
/// # Errors
/// [`Error::InvalidRequest`] naming `path` and the reason.
pub fn check_output_path(path: impl AsRef<Path>) -> Result<PathBuf> {
    let path = path.as_ref();
    resolve_output(path).map_err(|p| Error::invalid(format!("output {}: {}", path.display(), p.message)))
}

/// How many bytes of a download are gathered before they are handed to the file: 256 KiB.
/// Each write of a `tokio::fs::File` is a round trip through the blocking thread pool, so a
/// body's chunks (typically 8–16 KiB each) are written in batches, not one by one.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// The longest bytes stay in the write buffer: 1 second. A slow download reaches the partial
/// file at least this often, so a process stopped mid-download (Ctrl-C, a kill) keeps nearly
/// all it received for the resume.
const WRITE_BUFFER_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// The partial file being written: appended to, resumable, renamed into place when complete.
/// `written` counts the bytes taken, buffered or on disk; every path that reads the file or
/// hands it on (commit, reset) writes the buffer out first.
struct Partial {
    path: PathBuf,
    file: tokio::io::BufWriter<tokio::fs::File>,
    written: u64,
    head: Vec<u8>,
    /// When the buffer was last written out.
    flushed_at: std::time::Instant,
}

impl Partial {
    /// Opens (or creates) the partial file, keeping what an earlier run wrote: one trip to the
    /// blocking pool for the look, the open, the size and the first bytes.
    async fn open(path: &Path) -> std::io::Result<Self> {
        let owned = path.to_path_buf();
        let (file, written, head) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            use std::io::{Read, Seek};
            // Our own hidden name: anything there that is not a regular file is not ours to follow.
            if let Ok(meta) = std::fs::symlink_metadata(&owned)
                && !meta.is_file()
            {
                std::fs::remove_file(&owned)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
            let mut file = options.open(&owned)?;
            let written = file.metadata()?.len();
            let mut head = vec![0; HEAD_BYTES.min(written as usize)];
            file.read_exact(&mut head)?;
            file.seek(std::io::SeekFrom::End(0))?;
            Ok((file, written, head))
        })
        .await
        .map_err(std::io::Error::other)??;
        let file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, tokio::fs::File::from_std(file));
        Ok(Self { path: path.to_path_buf(), file, written, head, flushed_at: std::time::Instant::now() })
    }

    async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk).await?;
        if self.flushed_at.elapsed() >= WRITE_BUFFER_AGE {
            self.file.flush().await?;
            self.flushed_at = std::time::Instant::now();
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.written += chunk.len() as u64;
        Ok(())
    }

    async fn reset(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncSeekExt;
        self.file.flush().await?;
        self.file.get_mut().set_len(0).await?;
        self.file.seek(std::io::SeekFrom::Start(0)).await?;
        self.written = 0;
        self.head.clear();
        Ok(())
    }

    /// Writes out the buffer, then fsync, rename to `target`, fsync the folder, in one trip to
    /// the blocking pool.
    /// With `replace` false the file is put in place without replacing anything: a hard link
    /// (which fails when `target` exists), then the partial name removed; on a file system
    /// without hard links, a rename after a look (a file that appears between the two is the
    /// only one replaced). A refused commit keeps the partial file.
    async fn commit(mut self, target: &Path, replace: bool) -> std::io::Result<()> {
        self.file.flush().await?;
        let file = self.file.into_inner().into_std().await;
        let (from, to) = (self.path, target.to_path_buf());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            file.sync_all()?;
            drop(file);
            if replace {
                std::fs::rename(&from, &to)?;
            } else {
                match std::fs::hard_link(&from, &to) {
                    Ok(()) => std::fs::remove_file(&from)?,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists(&to)),
                    Err(_) if std::fs::symlink_metadata(&to).is_ok() => return Err(exists(&to)),
                    Err(_) => std::fs::rename(&from, &to)?,
                }
            }
            if let Some(dir) = to.parent().filter(|p| !p.as_os_str().is_empty())
                && let Ok(dir) = std::fs::File::open(dir)
            {
                let _ = dir.sync_all();
            }
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)?
    }

    async fn remove(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

/// The error of a download that would replace `path` (see [`Video::no_overwrite`]).
fn exists(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} exists and is kept (nothing is written over it)", path.display()),
    )
}

/// Why `head` (the first bytes of a finished body) with `content_type` is not a video, if it is
/// not: empty; an HTML, JSON or other text page; or neither an ISO-BMFF `ftyp` box (MP4, MOV —
/// OpenAI's `video/mp4`, Oxen's and VideoDB's MP4 results) nor a WebM/Matroska header.
fn not_a_video(head: &[u8], content_type: Option<&str>) -> Option<String> {
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
fn not_an_image(head: &[u8], content_type: Option<&str>) -> Option<String> {
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
fn mp4_boxes_fit(path: &Path) -> std::result::Result<(), String> {
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

/// Why `url` may not be used, if it may not: anything but `https://`, or plain `http://` to a
/// loopback host. The rule for result URLs, their redirects and callback URLs.
pub(crate) fn insecure_scheme(url: &reqwest::Url) -> Option<String> {
    match url.scheme() {
        "https" => None,
        "http" if is_loopback(url) => None,
        "http" => Some("refusing a plain http:// URL to a non-loopback host".into()),
        other => Some(format!("refusing a {other}: URL")),
    }
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

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Where a transfer stands across tries.
struct Transfer {
    partial: Partial,
    total: Option<u64>,
    content_type: Option<String>,
}

impl Video {
    /// Downloads the video to `path`, within the client's download time limit
    /// ([`crate::ClientBuilder::download_timeout`], default 2 hours).
    ///
    /// - Streams to the partial file of [`partial_path`] and renames it to `path` only when
    ///   complete and checked: the length matches `Content-Length`/`Content-Range`, and the body
    ///   is a video (not empty, not an HTML or JSON page, an MP4 `ftyp` box or WebM header at the
    ///   start). A bad body never becomes the file ([`Error::InvalidVideo`], retried).
    /// - Resumes with `Range` after a cut or a stall (per-read [`crate::ClientBuilder::stall_timeout`]),
    ///   and across processes: a partial file left by an interrupted download of the same job is
    ///   continued ([`Download::resumed_from`]). Starts over when the server ignores ranges.
    /// - Follows at most [`MAX_DOWNLOAD_REDIRECTS`] redirects, checking every hop: `https://`
    ///   only (plain `http://` to loopback), and the API key only while every hop so far stayed
    ///   on the provider's API origin (OpenAI's content endpoint) — never to a result host.
    /// - Waits at most [`crate::ClientBuilder::download_header_timeout`] for each response's
    ///   headers; `Retry-After` is clamped to the retry policy's ceiling and the time left.
    /// - Replaces only a regular file or nothing ([`check_output_path`]); stops past the
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
        crate::operation::require(self.job.provider, operation)?;
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
        let result = async {
            if !self.replace && std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::Io { path: path.display().to_string(), source: exists(path), job: None });
            }
            let target = resolve_output(path).map_err(|p| Error::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(p.kind, p.message),
                job: None,
            })?;
            match (&self.info.location, &self.inline) {
                (VideoLocation::Inline, Some(i)) => self.write_inline(&i.body[i.start..i.end], path, &target).await,
                (VideoLocation::Inline, None) => Err(self
                    .fail("the video's bytes came inline in the generate answer and were not kept; generate it again")),
                (VideoLocation::ResultUrl { url } | VideoLocation::ContentEndpoint { url }, _) => {
                    self.fetch(url, path, &target, limit).await
                }
            }
        }
        .instrument(span)
        .await;
        result.map_err(|e| e.with_job(&self.job))
    }

    fn fail(&self, message: impl Into<String>) -> Error {
        Error::Download { job: Box::new(self.job.clone()), message: message.into() }
    }

    fn io(&self, path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.display().to_string(), source, job: Some(Box::new(self.job.clone())) }
    }

    async fn open_partial(&self, path: &Path, target: &Path) -> Result<Partial> {
        let partial = match self.variant {
            Variant::Video => partial_path(target, &self.job),
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
        Ok(Download { path: target.to_path_buf(), bytes, resumed: 0, resumed_from: 0 })
    }

    async fn fetch(&self, url: &str, path: &Path, target: &Path, limit: Duration) -> Result<Download> {
        let parsed = reqwest::Url::parse(url).map_err(|e| self.fail(format!("the result URL does not parse: {e}")))?;
        self.check_scheme(&parsed)?;
        let start = tokio::time::Instant::now();
        let deadline = start + limit;
        let mut transfer =
            Transfer { partial: self.open_partial(path, target).await?, total: None, content_type: None };
        if self.is_expired() {
            transfer.partial.remove().await;
            return Err(Error::Expired { job: Box::new(self.job.clone()) });
        }
        let resumed_from = transfer.partial.written;
        let mut delays = backon::BackoffBuilder::build(self.inner.retry.backoff());
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
                    tracing::info!(bytes, resumed, resumed_from, "downloaded");
                    return Ok(Download { path: target.to_path_buf(), bytes, resumed, resumed_from });
                }
                Err(e) if e.is_retryable() => {
                    if matches!(e, Error::InvalidVideo { .. }) {
                        // Never resume on top of a body that was not the video.
                        transfer.partial.reset().await.map_err(|err| self.io(path, err))?;
                        transfer.total = None;
                    }
                    let Some(computed) = delays.next() else {
                        if matches!(e, Error::InvalidVideo { .. }) {
                            transfer.partial.remove().await;
                        }
                        return Err(e);
                    };
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    let delay = self.inner.retry.delay_for(&e, computed).min(left);
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
        insecure_scheme(url).map_or(Ok(()), |why| Err(self.fail(why)))
    }

    /// One request (after its redirects): from byte `written` on (a `Range` request when > 0).
    async fn fetch_once(&self, start: &reqwest::Url, path: &Path, t: &mut Transfer) -> Result<()> {
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
                    && (self.is_expired() || status == 410 || (result_url && status == 403) || body.contains("expired"))
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
