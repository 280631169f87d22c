//! The result vocabulary: where a finished video is ([`VideoLocation`], [`VideoInfo`]), which
//! of its files to fetch ([`Variant`]) and what a download wrote ([`Download`]). Plain data,
//! serializable; a [`crate::Video`] binds a [`VideoInfo`] to a client to download it.

use crate::Job;
use crate::error::strip_query;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where the bytes of a finished video are, as stored in [`VideoInfo::location`]. `Debug`
/// leaves out a URL's query (a presigned URL's signature is a credential).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VideoLocation {
    /// A result URL on a result host (Oxen.ai `result_url`, VideoDB `stream_url`, a gateway's
    /// `video_url`): downloaded without the API key. It may expire (presigned).
    ResultUrl {
        /// The URL as the provider sent it.
        url: String,
    },
    /// The provider's content endpoint on its API origin (OpenAI and AIHubMix
    /// `GET {base}/videos/{id}/content`), downloaded with the key.
    ContentEndpoint {
        /// `{base}/videos/{id}/content`.
        url: String,
    },
    /// The bytes came inline in the answer (Oxen.ai's synchronous generate with `b64_json`):
    /// only the [`crate::Video`] that holds them can write them; a stored `VideoInfo` cannot.
    Inline,
}

impl std::fmt::Debug for VideoLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VideoLocation::ResultUrl { url } => f.debug_struct("ResultUrl").field("url", &strip_query(url)).finish(),
            VideoLocation::ContentEndpoint { url } => {
                f.debug_struct("ContentEndpoint").field("url", &strip_query(url)).finish()
            }
            VideoLocation::Inline => f.write_str("Inline"),
        }
    }
}

/// What is known of a finished video, as plain data: `Serialize + Deserialize` with the field
/// names below (stable; new optional fields may be added), so a product stores it as it is and
/// downloads later with [`crate::Client::video`].
///
/// ```
/// let json = r#"{"job":{"provider":"oxen","model":"kling-video-v2-6-pro-text-to-video",
///   "id":"9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e","created_at":"2026-11-21T10:00:00Z"},
///   "location":{"kind":"result_url","url":"https://results.example/v.mp4"}}"#;
/// let info: videogen::VideoInfo = serde_json::from_str(json).unwrap();
/// assert!(info.expires_at.is_none() && info.cost.is_none());
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoInfo {
    /// The job that made it.
    pub job: Job,
    /// Where its bytes are.
    pub location: VideoLocation,
    /// When the result stops being downloadable, when the provider says (OpenAI `expires_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// A still image of the video at a URL, when the provider gives one (VideoDB
    /// `thumbnail_url`). OpenAI's and AIHubMix's thumbnails come from their content endpoint:
    /// [`crate::Video::download_variant_to`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// The provider's id of the video, when it differs from the job's (VideoDB `m-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_id: Option<String>,
    /// What the provider charged for the job, when it says (Oxen.ai `cost` in its generation
    /// history); `None` when it does not say — never estimated here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::Cost>,
}

impl std::fmt::Debug for VideoInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoInfo")
            .field("job", &self.job)
            .field("location", &self.location)
            .field("expires_at", &self.expires_at)
            .field("thumbnail_url", &self.thumbnail_url.as_deref().map(strip_query))
            .field("video_id", &self.video_id)
            .field("cost", &self.cost)
            .finish()
    }
}

impl VideoInfo {
    /// A video at a result URL.
    pub(crate) fn at_url(job: &Job, url: impl Into<String>) -> Self {
        Self::new(job, VideoLocation::ResultUrl { url: url.into() })
    }

    pub(crate) fn new(job: &Job, location: VideoLocation) -> Self {
        Self { job: job.clone(), location, expires_at: None, thumbnail_url: None, video_id: None, cost: None }
    }

    /// The result URL, when the video is at one (Oxen, VideoDB, gateway families that name
    /// one). It may expire; see `expires_at`.
    pub fn url(&self) -> Option<&str> {
        match &self.location {
            VideoLocation::ResultUrl { url } => Some(url),
            _ => None,
        }
    }

    /// Whether the provider's `expires_at` has passed (the result can no longer be downloaded).
    pub fn is_expired(&self) -> bool {
        self.expires_at.is_some_and(|at| at <= Utc::now())
    }
}

/// Which file of a finished video to download ([`crate::Video::download_variant_to`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Variant {
    /// The video itself (MP4 or WebM).
    #[default]
    Video,
    /// A still image of it: OpenAI's and AIHubMix's `GET /videos/{id}/content?variant=thumbnail`
    /// (WebP), VideoDB's `thumbnail_url`.
    Thumbnail,
    /// A grid of frames: OpenAI's and AIHubMix's `?variant=spritesheet` (WebP per the spec;
    /// JPEG per OpenAI's docs — both are accepted).
    Spritesheet,
}

impl Variant {
    /// `video`, `thumbnail`, `spritesheet` (OpenAI's `variant` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Video => "video",
            Variant::Thumbnail => "thumbnail",
            Variant::Spritesheet => "spritesheet",
        }
    }
}

/// An Oxen.ai `b64_json` answer: its bytes and the range of the base64 text in them (unused
/// when Oxen.ai is compiled out).
#[derive(Clone)]
#[cfg_attr(not(feature = "oxen"), allow(dead_code))]
pub(crate) struct Inline {
    pub body: Bytes,
    pub start: usize,
    pub end: usize,
}

/// How far a download has come: reported by a [`crate::Video`] given
/// [`crate::Video::on_progress`], once when the transfer starts (with the bytes resumed from an
/// earlier partial file), after each piece written, and once the file is checked and in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadProgress {
    /// Bytes in the partial file so far (a restart, when the server ignores `Range` or sent
    /// something other than the video, starts again from 0).
    pub bytes: u64,
    /// The whole file's size in bytes, when the server said (`Content-Length`,
    /// `Content-Range`).
    pub total: Option<u64>,
    /// The file is complete, checked and in place (the last report).
    pub done: bool,
}

/// What a download wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// The final file (the path given, or the regular file a symlink there points at).
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How many times the transfer was resumed (with `Range`) or restarted in this call.
    pub resumed: u32,
    /// Bytes already on disk from an earlier, interrupted download of the same job (the
    /// partial file of [`crate::partial_path`]), resumed with `Range` rather than fetched again.
    pub resumed_from: u64,
}
