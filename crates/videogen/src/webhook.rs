//! Callbacks: what a provider POSTs to your server when a job finishes, read into the job's
//! status — so a product can learn of a finished job without polling.
//!
//! VideoDB POSTs to the request's `callback_url` ([`crate::VideoRequest::callback_url`]). Its
//! docs and spec give no payload schema; its SDKs handle the same async-response envelope for
//! the poll (`{success, status, data, message}`, `status: "done"` with the video in `data`,
//! or `success: false` with `data.error_code`), which is what [`parse`] reads (and what the
//! simulator sends). The payload names no job you could trust, so give each job a URL you can
//! map back to it (a token in the path or query) and pass that job here.
//!
//! ```
//! use videogen::{Job, JobStatus, webhook};
//! let job = Job::from_short_form("videodb:0f3c2a").unwrap();
//! let body = br#"{"success":true,"status":"done","request_type":"async",
//!   "data":{"id":"m-1","stream_url":"https://stream.videodb.io/v.mp4","thumbnail_url":"https://t.videodb.io/t.jpg"}}"#;
//! let headers = reqwest::header::HeaderMap::new();
//! let JobStatus::Succeeded(video) = webhook::parse(&job, &headers, body).unwrap() else { panic!() };
//! assert_eq!(video.url(), Some("https://stream.videodb.io/v.mp4"));
//! ```

use crate::{Error, Job, JobStatus, Result};

/// The largest callback body read: 1 MiB (an async-response envelope is a few KB).
pub const MAX_CALLBACK_BYTES: usize = 1 << 20;

/// Reads a callback POSTed for `job` (its `headers` and raw `body`) into the job's status:
/// [`JobStatus::Succeeded`] with the video (bind it with [`crate::Client::video`] to download),
/// [`JobStatus::Failed`], or an unfinished status.
///
/// # Errors
/// [`Error::Unsupported`] for a provider without callbacks; [`Error::Decode`] (carrying the job)
/// for a body that is not the provider's envelope, larger than [`MAX_CALLBACK_BYTES`], or sent
/// with a non-JSON `Content-Type`.
pub fn parse(job: &Job, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Result<JobStatus> {
    let decode = |message: String| Error::Decode {
        provider: job.provider,
        message,
        body: String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned(),
        job: Some(Box::new(job.clone())),
    };
    if body.len() > MAX_CALLBACK_BYTES {
        return Err(decode(format!("the callback body is {} bytes, over {MAX_CALLBACK_BYTES}", body.len())));
    }
    if let Some(ct) = headers.get(reqwest::header::CONTENT_TYPE) {
        let ct = String::from_utf8_lossy(ct.as_bytes()).to_ascii_lowercase();
        if !ct.contains("json") {
            return Err(decode(format!("the callback's Content-Type is {ct:?}, not JSON")));
        }
    }
    crate::providers::parse_callback(job, body)
}
