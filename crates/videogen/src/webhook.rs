//! Callbacks: what a provider POSTs to your server when a job finishes, read into the job's
//! status — so a product can learn of a finished job without polling.
//!
//! **Signed callbacks (Replicate).** Replicate signs every webhook as Standard Webhooks do
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`; HMAC-SHA256 over
//! `"{id}.{timestamp}.{body}"` with the base64-decoded `whsec_` secret; replicate.com/docs/topics/
//! webhooks/verify-webhook, github.com/standard-webhooks/standard-webhooks spec). A
//! [`Verifier`] checks the signature (in constant time, any of several in the header), the
//! timestamp (within 5 minutes either way), the size, and refuses a message id it has already
//! accepted; it returns the job and its status from the signed body. Get the secret once with
//! `GET /v1/webhooks/default/secret` (the generated client's `get_default_webhook_secret`).
//!
//! ```
//! use videogen::webhook::Verifier;
//! // Standard Webhooks' published test vector.
//! let verifier = Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
//! let ok = verifier.check_signature(
//!     "msg_p5jXN8AQM9LWM0D4loKWxJek",
//!     1_614_265_330,
//!     br#"{"test": 2432232314}"#,
//!     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
//! );
//! assert!(ok);
//! ```
//!
//! **Unsigned callbacks (VideoDB).** Anyone who learns or guesses the URL can POST one, so its
//! body is a hint, not a result: [`crate::Client::confirm_callback`] reads the job's status from
//! the provider once and returns that (a forged "done" with a URL of the forger's becomes the
//! provider's real status, and no URL from the body is ever downloaded). [`parse`] reads the body
//! alone, for a program that checks the sender some other way.
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

use crate::{Error, Job, JobStatus, Provider, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

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

/// How far a signed webhook's timestamp may be from now, either way: 5 minutes (every Standard
/// Webhooks reference library: `libraries/rust/src/lib.rs` `TOLERANCE_IN_SECONDS = 5 * 60`).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a signed webhook was refused ([`Error::WebhookRejected`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// A Standard Webhooks header is missing or not text: `webhook-id`, `webhook-timestamp` or
    /// `webhook-signature`.
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not whole Unix seconds.
    BadTimestamp,
    /// The timestamp is further from now than the tolerance (`skew_seconds`: now minus it): a
    /// stale delivery, or a replay of an old one.
    OutsideTolerance {
        /// Now minus the timestamp, in seconds (negative: from the future).
        skew_seconds: i64,
    },
    /// No `v1` signature in the header matches the body.
    BadSignature,
    /// This message id was accepted before (a replay; redeliveries carry the same id).
    Replayed {
        /// The `webhook-id`.
        id: String,
    },
    /// The body is over [`MAX_CALLBACK_BYTES`].
    TooLarge {
        /// Its size.
        bytes: usize,
    },
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::MissingHeader(h) => write!(f, "the {h} header is missing"),
            Rejection::BadTimestamp => f.write_str("webhook-timestamp is not Unix seconds"),
            Rejection::OutsideTolerance { skew_seconds } => {
                write!(f, "the timestamp is {skew_seconds} s from now, outside the tolerance")
            }
            Rejection::BadSignature => f.write_str("no signature matches the body"),
            Rejection::Replayed { id } => write!(f, "message {id} was already accepted"),
            Rejection::TooLarge { bytes } => write!(f, "the body is {bytes} bytes, over {MAX_CALLBACK_BYTES}"),
        }
    }
}

/// What a verified webhook says: its message id, the job it is about, and the job's status.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The `webhook-id`: the same on every redelivery of one message (use it to act once).
    pub message_id: String,
    /// The job, from the signed body.
    pub job: Job,
    /// Its status, from the signed body (bind a [`JobStatus::Succeeded`]'s video with
    /// [`crate::Client::video`] to download it).
    pub status: JobStatus,
}

/// Verifies Replicate's signed webhooks (Standard Webhooks) and refuses replays.
///
/// ```
/// # fn handle(headers: &reqwest::header::HeaderMap, body: &[u8]) -> videogen::Result<()> {
/// use videogen::webhook::Verifier;
/// // The secret from `GET /v1/webhooks/default/secret`, kept with your configuration.
/// let verifier = Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// let delivery = verifier.verify(videogen::Provider::Replicate, headers, body)?;
/// println!("{} is {}", delivery.job.short_form(), delivery.status.name());
/// # Ok(()) }
/// ```
pub struct Verifier {
    key: Vec<u8>,
    tolerance: Duration,
    /// Message ids accepted, with when (Unix seconds), kept for twice the tolerance: an older
    /// replay is refused by its timestamp.
    seen: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("tolerance", &self.tolerance).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `secret` (`whsec_` and base64, as Replicate gives it; the prefix is
    /// optional), with the [`DEFAULT_TOLERANCE`].
    ///
    /// # Errors
    /// [`Error::Config`] when the secret is not base64 or is empty.
    pub fn new(secret: &str) -> Result<Self> {
        use base64::Engine;
        let text = secret.trim();
        let text = text.strip_prefix("whsec_").unwrap_or(text);
        let key = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::Config { message: "the webhook secret is not `whsec_` and base64".into() })?;
        Ok(Self { key, tolerance: DEFAULT_TOLERANCE, seen: Mutex::new(HashMap::new()) })
    }

    /// The same verifier with another timestamp tolerance.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Whether `signatures` (the `webhook-signature` header: space-separated `v1,<base64>`
    /// entries) holds one that signs `id`, `timestamp` and `body`. Constant-time comparison;
    /// entries of other versions are ignored.
    pub fn check_signature(&self, id: &str, timestamp: i64, body: &[u8], signatures: &str) -> bool {
        use base64::Engine;
        use hmac::{KeyInit, Mac};
        signatures.split(' ').filter_map(|entry| entry.strip_prefix("v1,")).any(|encoded| {
            let Ok(given) = base64::engine::general_purpose::STANDARD.decode(encoded) else { return false };
            let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key) else { return false };
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            mac.verify_slice(&given).is_ok()
        })
    }

    /// Verifies a delivery for `provider` (its `headers` and raw `body`, as received) at the
    /// current time, and reads it: the job and its status. The message id is remembered; the
    /// same id again is refused ([`Rejection::Replayed`]) — answer a redelivery of a message
    /// you have already handled with 2xx without calling this, or call [`Verifier::forget`]
    /// when you could not handle it.
    ///
    /// # Errors
    /// [`Error::WebhookRejected`] for a missing header, a bad or stale timestamp, a signature
    /// that does not match, a replay or an oversized body; [`Error::Unsupported`] for a
    /// provider whose webhooks are not signed; [`Error::Decode`] for a signed body that is not
    /// a prediction.
    pub fn verify(&self, provider: Provider, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Result<Delivery> {
        self.verify_at(provider, headers, body, chrono::Utc::now().timestamp())
    }

    /// [`Verifier::verify`] at `now` (Unix seconds).
    ///
    /// # Errors
    /// As [`Verifier::verify`].
    pub fn verify_at(
        &self,
        provider: Provider,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<Delivery> {
        if provider != Provider::Replicate {
            return Err(Error::Unsupported { provider, operation: crate::Operation::Callback });
        }
        let reject = |reason: Rejection| Error::WebhookRejected { provider, reason };
        if body.len() > MAX_CALLBACK_BYTES {
            return Err(reject(Rejection::TooLarge { bytes: body.len() }));
        }
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or(reject(Rejection::MissingHeader(name)))
        };
        let (id, timestamp, signatures) =
            (header("webhook-id")?, header("webhook-timestamp")?, header("webhook-signature")?);
        let timestamp: i64 = timestamp.parse().map_err(|_| reject(Rejection::BadTimestamp))?;
        let skew = now.saturating_sub(timestamp);
        if skew.unsigned_abs() > self.tolerance.as_secs() {
            return Err(reject(Rejection::OutsideTolerance { skew_seconds: skew }));
        }
        if !self.check_signature(id, timestamp, body, signatures) {
            return Err(reject(Rejection::BadSignature));
        }
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let keep = self.tolerance.as_secs() as i64 * 2;
            seen.retain(|_, at| now.saturating_sub(*at) <= keep);
            if seen.contains_key(id) {
                return Err(reject(Rejection::Replayed { id: id.to_string() }));
            }
            seen.insert(id.to_string(), now);
        }
        let job = crate::providers::job_of_callback(provider, body)?;
        let status = crate::providers::parse_callback(&job, body)?;
        Ok(Delivery { message_id: id.to_string(), job, status })
    }

    /// Forgets an accepted message id, so its redelivery is verified again (for a delivery you
    /// could not handle and answered with an error).
    pub fn forget(&self, message_id: &str) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).remove(message_id);
    }
}
