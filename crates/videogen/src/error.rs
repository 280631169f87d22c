//! The one error type of the facade.

use crate::{Job, Provider};
use std::time::Duration;

/// Everything that can go wrong, with the provider's message and raw body where the server
/// answered, and the job handle on every error that follows a successful create.
///
/// API keys never appear in any variant or message. Messages quote server text as it came;
/// a program that prints them to a terminal should escape control characters (the `videogen`
/// command does).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a rule: either a known rule checked before sending (model capability
    /// table, prompt length, a missing or oversized reference image…; `status` is `None` and
    /// nothing was sent), or the provider refused it with 400 or 422 (`status` and `body` hold
    /// its answer; nothing was created).
    #[error("invalid request: {message}")]
    InvalidRequest { message: String, status: Option<u16>, body: Option<String> },

    /// The client is not set up for this: no API key for the provider, a bad base URL, a provider
    /// left out at compile time.
    #[error("configuration: {message}")]
    Config { message: String },

    /// The model is retired: shut down by its provider. Either the model catalogue says so
    /// ([`crate::models::check_lifecycle`]; refused before anything is sent, unless the client
    /// allows retired models with [`crate::ClientBuilder::allow_retired_models`]) or the
    /// provider's answer to a create did (`reason` quotes it; nothing was created).
    #[error(
        "{provider} model {model} is retired{}{} ({reason})",
        since.map(|d| format!(" since {d}")).unwrap_or_default(),
        replacement.as_ref().map(|r| format!("; use {r} instead")).unwrap_or_default()
    )]
    ModelRetired {
        provider: Provider,
        model: String,
        /// The shutdown date, when known.
        since: Option<chrono::NaiveDate>,
        /// The provider's named replacement, when there is one.
        replacement: Option<String>,
        /// Where this comes from: the catalogue's source, or the provider's answer.
        reason: String,
    },

    /// The provider answered a create with its documented "no such model" error (Oxen.ai 404
    /// `Model not found: <name>`; AIHubMix 503 `Incorrect model ID…`; OpenAI 404
    /// `model_not_found`; a LiteLLM proxy 400 `Invalid model name passed in model=…`). Nothing
    /// was created. A model the catalogue knows as retired is [`Error::ModelRetired`] instead.
    #[error("{provider} does not know the model {model}: {message}")]
    ModelNotFound { provider: Provider, model: String, message: String, status: u16, body: String },

    /// The provider does not offer this operation (for example, cancel on VideoDB).
    #[error("{provider} does not support {operation}")]
    Unsupported { provider: Provider, operation: crate::Operation },

    /// 401/403: the key is missing, wrong or not allowed.
    #[error("{provider} refused the API key ({status}): {message}")]
    Auth { provider: Provider, status: u16, message: String, body: String, job: Option<Box<Job>> },

    /// 429: slow down; `retry_after` is the server's `Retry-After`, when it sent a readable one.
    #[error("{provider} rate limit{}: {message}", retry_after.map(|d| format!(" (retry after {})", seconds(d))).unwrap_or_default())]
    RateLimited {
        provider: Provider,
        retry_after: Option<Duration>,
        message: String,
        body: String,
        job: Option<Box<Job>>,
    },

    /// The provider refused the prompt or inputs under its content policy (at create, or as the
    /// job's failure).
    #[error("{provider} content policy: {message}")]
    ContentPolicy { provider: Provider, message: String, job: Option<Box<Job>> },

    /// 404: the job (or model, or result) is not there, for example a finished job the provider
    /// no longer keeps.
    #[error("{provider}: not found: {message}")]
    NotFound { provider: Provider, message: String, body: String, job: Option<Box<Job>> },

    /// The API answered with a redirect (3xx) that was not followed: API requests follow no
    /// redirect except a `GET`'s within the API's own origin (at most 5). For a create this means
    /// the provider did not take it, and it was **not** sent again.
    #[error("{provider} answered {status} (a redirect to {}), which API requests do not follow", location.as_deref().map(strip_query).unwrap_or("nowhere"))]
    Redirect { provider: Provider, status: u16, location: Option<String>, job: Option<Box<Job>> },

    /// The job ran and failed.
    #[error("job {} on {} failed: {}", job.id, job.provider, error.message)]
    JobFailed { job: Box<Job>, error: crate::JobError },

    /// The job was cancelled.
    #[error("job {} on {} was cancelled", job.id, job.provider)]
    Cancelled { job: Box<Job> },

    /// A deadline passed: the wait's (the job goes on at the provider; resume with the handle)
    /// or a download's time limit (`last_status` is then `downloading`; the partial file is kept
    /// and a later download resumes it).
    #[error("job {} on {} not finished within {} (last status: {last_status})", job.id, job.provider, seconds(*waited))]
    Timeout { job: Box<Job>, waited: Duration, last_status: String },

    /// A create request failed after it may have reached the server: the job may exist (and be
    /// billed) or not. It was **not** retried (no provider documents an idempotency key). Look
    /// for it before submitting again: [`crate::Client::find_created`] with the request and
    /// `attempt.started_at` returns the provider's jobs that match.
    #[error(
        "{provider}: the create request may or may not have reached the server ({message}); it was not retried to avoid a double charge"
    )]
    OutcomeUnknown {
        provider: Provider,
        model: String,
        message: String,
        status: Option<u16>,
        body: Option<String>,
        /// When the create was sent and under which `Idempotency-Key` (set by
        /// [`crate::Client::submit`] and [`crate::Client::submit_many`]).
        attempt: Option<Box<CreateAttempt>>,
        /// The transport error underneath, when there was one (its URL removed).
        #[source]
        source: Option<ErrorSource>,
    },

    /// The connection failed (connect, reset, timeout, stalled body).
    #[error("{provider}: transport: {message}")]
    Transport {
        provider: Provider,
        message: String,
        /// The transport error underneath, when there was one (a `reqwest::Error` with its URL
        /// removed: result URLs carry signatures).
        #[source]
        source: Option<ErrorSource>,
        job: Option<Box<Job>>,
    },

    /// The server's answer could not be read as the spec says.
    #[error("{provider}: could not decode the answer: {message}")]
    Decode { provider: Provider, message: String, body: String, job: Option<Box<Job>> },

    /// Any other error answer.
    #[error("{provider} answered {status}: {message}")]
    Api { provider: Provider, status: u16, message: String, body: String, job: Option<Box<Job>> },

    /// The result URL expired (its `expires_at` passed, or the server says so).
    #[error("the result of job {} expired", job.id)]
    Expired { job: Box<Job> },

    /// A download failed a safety check: a plain `http://` or other non-https URL to a
    /// non-loopback host (at any redirect hop), too many redirects, a size over the cap, a
    /// length that does not match `Content-Length`, or a destination that is not a regular file.
    #[error("download of job {}: {message}", job.id)]
    Download { job: Box<Job>, message: String },

    /// The downloaded body is not a video (empty, an HTML or JSON page, no ISO-BMFF `ftyp` box
    /// or WebM header at the start). It never becomes the file; retryable.
    #[error("download of job {}: the answer is not a video: {message}", job.id)]
    InvalidVideo { job: Box<Job>, message: String },

    /// A signed webhook was refused ([`crate::webhook::Verifier`]): forged, stale, replayed,
    /// oversized or missing its headers. Answer it with an error status; nothing in it was read.
    #[error("{provider} webhook refused: {reason}")]
    WebhookRejected { provider: Provider, reason: crate::webhook::Rejection },

    /// A local file could not be read or written. `path` is the path the caller gave (never a
    /// temporary file's); `job` is set when a job had been created.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error, job: Option<Box<Job>> },
}

/// A create whose outcome is unknown: when it was sent and under which key, to look the job up
/// ([`crate::Client::find_created`]) or to send it again with the same key where a provider
/// honours one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreateAttempt {
    /// The create's `Idempotency-Key`.
    pub idempotency_key: String,
    /// When the create was first sent (UTC).
    pub started_at: chrono::DateTime<chrono::Utc>,
}

/// What an [`Error`] carries besides its own message ([`Error::context`]): the shared fields of
/// every variant, in one view.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErrorContext<'a> {
    /// The provider whose error it is (`None` for configuration and request errors made before a
    /// provider was chosen, and for local I/O before a job).
    pub provider: Option<Provider>,
    /// The job handle: on every error that follows a create.
    pub job: Option<&'a Job>,
    /// The HTTP status of the provider's answer, where one came.
    pub status: Option<u16>,
    /// The body of the provider's answer (at most 64 KiB), where one came.
    pub body: Option<&'a str>,
}

/// Where an error keeps its job ([`Error::with_job`]).
enum JobSlot<'a> {
    Open(&'a mut Option<Box<Job>>),
    Held,
    None,
}

/// The error underneath a [`Error::Transport`] or [`Error::OutcomeUnknown`], for
/// [`std::error::Error::source`].
pub type ErrorSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `e` as an [`ErrorSource`], without its URL.
pub(crate) fn source_of(e: reqwest::Error) -> Option<ErrorSource> {
    Some(Box::new(e.without_url()))
}

/// `3.0 s`, `0.25 s`: durations in user-facing messages.
pub(crate) fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 { format!("{s:.0} s") } else { format!("{:.2} s", s).replace(".00 s", " s") }
}

/// A URL without its query and fragment (result URLs carry signatures).
pub(crate) fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

impl Error {
    /// Whether trying the same *read* again later may succeed: rate limits, 5xx, transport errors,
    /// unreadable bodies (a cut answer or a proxy's error page) and downloads that were not a
    /// video. Never true for [`Error::OutcomeUnknown`]: a create is not retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } | Error::Decode { .. } | Error::InvalidVideo { .. } => {
                true
            }
            Error::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// The server's `Retry-After`, for [`Error::RateLimited`] (as sent; callers clamp it).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// What this error carries besides its own message, as one view: the provider, the job
    /// handle (on every error that follows a create), and the provider's raw answer (its HTTP
    /// status and body) where there was one. One exhaustive match: a new variant must say what
    /// it carries, so "every error after a create carries the job" is checked by the compiler.
    ///
    /// ```
    /// let e = videogen::Error::Cancelled { job: Box::new(videogen::Job::from_short_form("oxen:j1").unwrap()) };
    /// let context = e.context();
    /// assert_eq!(context.provider, Some(videogen::Provider::Oxen));
    /// assert_eq!(context.job.map(|j| j.id.as_str()), Some("j1"));
    /// assert_eq!((context.status, context.body), (None, None));
    /// ```
    pub fn context(&self) -> ErrorContext<'_> {
        let none = ErrorContext { provider: None, job: None, status: None, body: None };
        let held = |job: &Job| Some(job.provider);
        match self {
            Error::InvalidRequest { status, body, .. } => {
                ErrorContext { status: *status, body: body.as_deref(), ..none }
            }
            Error::Config { .. } => none,
            Error::ModelRetired { provider, .. } | Error::Unsupported { provider, .. } => {
                ErrorContext { provider: Some(*provider), ..none }
            }
            Error::WebhookRejected { provider, .. } => ErrorContext { provider: Some(*provider), ..none },
            Error::ModelNotFound { provider, status, body, .. } => {
                ErrorContext { provider: Some(*provider), status: Some(*status), body: Some(body), ..none }
            }
            Error::OutcomeUnknown { provider, status, body, .. } => {
                ErrorContext { provider: Some(*provider), status: *status, body: body.as_deref(), job: None }
            }
            Error::Auth { provider, status, body, job, .. } | Error::Api { provider, status, body, job, .. } => {
                ErrorContext { provider: Some(*provider), job: job.as_deref(), status: Some(*status), body: Some(body) }
            }
            Error::RateLimited { provider, body, job, .. }
            | Error::NotFound { provider, body, job, .. }
            | Error::Decode { provider, body, job, .. } => {
                ErrorContext { provider: Some(*provider), job: job.as_deref(), status: None, body: Some(body) }
            }
            Error::ContentPolicy { provider, job, .. } | Error::Transport { provider, job, .. } => {
                ErrorContext { provider: Some(*provider), job: job.as_deref(), ..none }
            }
            Error::Redirect { provider, status, job, .. } => {
                ErrorContext { provider: Some(*provider), job: job.as_deref(), status: Some(*status), body: None }
            }
            Error::JobFailed { job, .. }
            | Error::Cancelled { job }
            | Error::Timeout { job, .. }
            | Error::Expired { job }
            | Error::Download { job, .. }
            | Error::InvalidVideo { job, .. } => ErrorContext { provider: held(job), job: Some(job), ..none },
            Error::Io { job, .. } => {
                ErrorContext { provider: job.as_deref().map(|j| j.provider), job: job.as_deref(), ..none }
            }
        }
    }

    /// The job handle, on every error that follows a create (see [`Error::context`]).
    pub fn job(&self) -> Option<&Job> {
        self.context().job
    }

    /// The provider, where the error is one's (see [`Error::context`]).
    pub fn provider(&self) -> Option<Provider> {
        self.context().provider
    }

    /// The HTTP status of the provider's answer, where one came (see [`Error::context`]).
    pub fn status(&self) -> Option<u16> {
        self.context().status
    }

    /// The body of the provider's answer (at most 64 KiB), where one came (see
    /// [`Error::context`]).
    pub fn body(&self) -> Option<&str> {
        self.context().body
    }

    /// Whether this is a content-policy refusal (at create, or as the job's failure).
    pub fn is_content_policy(&self) -> bool {
        match self {
            Error::ContentPolicy { .. } => true,
            Error::JobFailed { error, .. } => error.content_policy,
            _ => false,
        }
    }

    /// Whether a create that ended in this error provably created nothing, so it may be sent
    /// again: a 429, or a connection that failed before any byte of the request was sent.
    pub(crate) fn create_not_sent(&self) -> bool {
        matches!(self, Error::RateLimited { .. } | Error::Transport { .. })
    }

    /// Where the job goes in this error: a slot that may still be empty, a job it always holds,
    /// or none (an error that comes before any job, or whose job is unknowable). Exhaustive, as
    /// [`Error::context`].
    fn job_slot(&mut self) -> JobSlot<'_> {
        match self {
            Error::Auth { job, .. }
            | Error::RateLimited { job, .. }
            | Error::ContentPolicy { job, .. }
            | Error::NotFound { job, .. }
            | Error::Redirect { job, .. }
            | Error::Transport { job, .. }
            | Error::Decode { job, .. }
            | Error::Api { job, .. }
            | Error::Io { job, .. } => JobSlot::Open(job),
            Error::JobFailed { .. }
            | Error::Cancelled { .. }
            | Error::Timeout { .. }
            | Error::Expired { .. }
            | Error::Download { .. }
            | Error::InvalidVideo { .. } => JobSlot::Held,
            // Before any job (a refused or unchecked request, the configuration), or a create
            // whose job is what is unknown.
            Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::ModelRetired { .. }
            | Error::ModelNotFound { .. }
            | Error::Unsupported { .. }
            | Error::OutcomeUnknown { .. }
            | Error::WebhookRejected { .. } => JobSlot::None,
        }
    }

    /// Attaches `job` to an error that can carry one and has none yet.
    pub(crate) fn with_job(mut self, job: &Job) -> Self {
        if let JobSlot::Open(slot) = self.job_slot()
            && slot.is_none()
        {
            *slot = Some(Box::new(job.clone()));
        }
        self
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidRequest { message: message.into(), status: None, body: None }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Parses `Retry-After`: delay-seconds (digits; a huge value saturates, callers clamp it) or an
/// HTTP-date (a past date is zero). Anything else — negative, fractional, garbage — is `None`.
pub(crate) fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((date.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

/// The documented answers to a create for a model that is gone or unknown, as
/// [`Error::ModelRetired`] (the answer says the model is no longer available) or
/// [`Error::ModelNotFound`]; `None` for every other answer. Only creates are read this way: a
/// 404 on a status read is about the job, never the model.
///
/// Sources: Oxen.ai `inference-api/overview.mdx` (404 `{"error": {"message": "Model not found:
/// <name>"}}`); AIHubMix `FAQs/HTTP-Codes` (503 "Incorrect model ID. Please request to view the
/// model page…"); Google's NOT_FOUND for a shut-down Veo id, as relays pass it on ("… is no
/// longer available", docs.apiyi.com 2026-10-25); LiteLLM `proxy/route_llm_request.py` (400
/// "/videos: Invalid model name passed in model=<name>"); OpenAI's `model_not_found` code.
pub(crate) fn model_gone(provider: Provider, model: &str, status: u16, message: &str, body: &str) -> Option<Error> {
    let says = |needle: &str| message.contains(needle) || body.contains(needle);
    let retired = matches!(status, 400 | 404 | 410) && says("is no longer available");
    if retired {
        return Some(Error::ModelRetired {
            provider,
            model: model.to_string(),
            since: None,
            replacement: None,
            reason: format!("{provider} answered {status}: {message}"),
        });
    }
    let not_found = match status {
        404 => says("Model not found") || says("model_not_found"),
        400 => says("Invalid model name passed in model=") || says("model_not_found"),
        503 => message.starts_with("Incorrect model ID"),
        _ => false,
    };
    not_found.then(|| Error::ModelNotFound {
        provider,
        model: model.to_string(),
        message: message.to_string(),
        status,
        body: body.to_string(),
    })
}

/// Builds the error for an HTTP error answer of `provider`, from its status, headers and body:
/// the status decides (400/422 → InvalidRequest on a create, 401/403 → Auth, 404 → NotFound, 429
/// → RateLimited, others → Api), whatever the body looks like; a message naming the content
/// policy makes it ContentPolicy. A 400/422 on a read is Api (it carries the job).
pub(crate) fn from_status(
    create: bool,
    provider: Provider,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    message: String,
    body: String,
) -> Error {
    match status {
        401 | 403 => Error::Auth { provider, status, message, body, job: None },
        // A create that finds no route is most often a base URL without its path stem (`/v1`).
        404 if create => Error::NotFound {
            message: format!(
                "{message} (nothing was created; is the base URL right? {} — {})",
                if provider.base_url_required() {
                    "a gateway's ends with its API path, such as http://localhost:4000/v1".to_string()
                } else {
                    format!("{provider}'s is {}", provider.default_base_url())
                },
                provider.base_url_env()
            ),
            provider,
            body,
            job: None,
        },
        404 => Error::NotFound { provider, message, body, job: None },
        429 => Error::RateLimited { provider, retry_after: parse_retry_after(headers), message, body, job: None },
        _ if crate::job::looks_like_content_policy(&message) => Error::ContentPolicy { provider, message, job: None },
        400 | 422 if create => Error::InvalidRequest {
            message: format!("{provider} refused the request ({status}): {message}"),
            status: Some(status),
            body: Some(body),
        },
        _ => Error::Api { provider, status, message, body, job: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every variant: its context, and whether `with_job` gives it the job (every error
    /// that can follow a create ends up carrying it; errors before any job stay without).
    #[test]
    fn every_variant_says_what_it_carries() {
        let p = Provider::Replicate;
        let job = Job::from_short_form("replicate:p1").unwrap();
        let held = || Box::new(job.clone());
        let io = || std::io::Error::other("disk");
        let variants: Vec<(Error, bool)> = vec![
            (Error::InvalidRequest { message: "m".into(), status: Some(422), body: Some("b".into()) }, false),
            (Error::Config { message: "m".into() }, false),
            (
                Error::ModelRetired {
                    provider: p,
                    model: "m".into(),
                    since: None,
                    replacement: None,
                    reason: "r".into(),
                },
                false,
            ),
            (
                Error::ModelNotFound {
                    provider: p,
                    model: "m".into(),
                    message: "m".into(),
                    status: 404,
                    body: "b".into(),
                },
                false,
            ),
            (Error::Unsupported { provider: p, operation: crate::Operation::Remix }, false),
            (Error::Auth { provider: p, status: 401, message: "m".into(), body: "b".into(), job: None }, true),
            (
                Error::RateLimited { provider: p, retry_after: None, message: "m".into(), body: "b".into(), job: None },
                true,
            ),
            (Error::ContentPolicy { provider: p, message: "m".into(), job: None }, true),
            (Error::NotFound { provider: p, message: "m".into(), body: "b".into(), job: None }, true),
            (Error::Redirect { provider: p, status: 307, location: None, job: None }, true),
            (Error::JobFailed { job: held(), error: crate::JobError::new(None, "x".into()) }, true),
            (Error::Cancelled { job: held() }, true),
            (Error::Timeout { job: held(), waited: Duration::ZERO, last_status: "s".into() }, true),
            (
                Error::OutcomeUnknown {
                    provider: p,
                    model: "m".into(),
                    message: "m".into(),
                    status: Some(502),
                    body: None,
                    attempt: None,
                    source: None,
                },
                false,
            ),
            (Error::Transport { provider: p, message: "m".into(), source: None, job: None }, true),
            (Error::Decode { provider: p, message: "m".into(), body: "b".into(), job: None }, true),
            (Error::Api { provider: p, status: 500, message: "m".into(), body: "b".into(), job: None }, true),
            (Error::Expired { job: held() }, true),
            (Error::Download { job: held(), message: "m".into() }, true),
            (Error::InvalidVideo { job: held(), message: "m".into() }, true),
            (Error::WebhookRejected { provider: p, reason: crate::webhook::Rejection::BadSignature }, false),
            (Error::Io { path: "x".into(), source: io(), job: None }, true),
        ];
        for (error, after_a_create) in variants {
            let name = format!("{error:?}");
            let before = error.context();
            assert!(
                before.status.is_none() || before.provider.is_some() || name.starts_with("InvalidRequest"),
                "{name}"
            );
            let with = error.with_job(&job);
            assert_eq!(with.job().is_some(), after_a_create, "{name}");
            if after_a_create {
                assert_eq!(with.provider(), Some(p), "{name}");
                assert_eq!(with.job(), Some(&job), "{name}");
            }
        }
        let api = Error::Api { provider: p, status: 503, message: "m".into(), body: "busy".into(), job: None };
        assert_eq!((api.status(), api.body()), (Some(503), Some("busy")));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(reqwest::header::RETRY_AFTER, later.parse().unwrap());
        let d = parse_retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30), "{d:?}");
        for (garbage, want) in [
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
            ("99999999999999999999999", Some(Duration::from_secs(u64::MAX))),
            ("Mon, 01 Jan 2001 00:00:00 GMT", Some(Duration::ZERO)),
        ] {
            h.insert(reqwest::header::RETRY_AFTER, garbage.parse().unwrap());
            assert_eq!(parse_retry_after(&h), want, "{garbage:?}");
        }
    }

    #[test]
    fn messages_have_no_debug_text() {
        let e = Error::RateLimited {
            provider: Provider::Oxen,
            retry_after: Some(Duration::from_secs(5)),
            message: "slow down".into(),
            body: String::new(),
            job: None,
        };
        assert_eq!(e.to_string(), "oxen rate limit (retry after 5 s): slow down");
        assert_eq!(seconds(Duration::from_millis(250)), "0.25 s");
        assert_eq!(seconds(Duration::from_secs(3)), "3 s");
    }

    #[test]
    fn classification() {
        let h = reqwest::header::HeaderMap::new();
        let e = |s| from_status(true, Provider::OpenAi, s, &h, "m".into(), "b".into());
        assert!(matches!(e(401), Error::Auth { .. }));
        assert!(matches!(e(404), Error::NotFound { .. }));
        assert!(e(429).is_retryable() && e(503).is_retryable() && !e(400).is_retryable());
        assert!(matches!(e(400), Error::InvalidRequest { status: Some(400), .. }));
        assert!(matches!(e(422), Error::InvalidRequest { status: Some(422), .. }));
        assert!(matches!(e(403), Error::Auth { status: 403, .. }));
        assert!(matches!(e(418), Error::Api { status: 418, .. }));
        let read = from_status(false, Provider::OpenAi, 400, &h, "m".into(), "b".into());
        assert!(matches!(read, Error::Api { status: 400, .. }), "{read:?}");
        let gone = |p, s, m: &str| model_gone(p, "m", s, m, "");
        assert!(matches!(gone(Provider::Oxen, 404, "Model not found: m"), Some(Error::ModelNotFound { .. })));
        assert!(matches!(
            gone(Provider::AiHubMix, 503, "Incorrect model ID. Please request"),
            Some(Error::ModelNotFound { .. })
        ));
        assert!(matches!(
            gone(Provider::AiHubMix, 404, "models/m is no longer available"),
            Some(Error::ModelRetired { .. })
        ));
        assert!(matches!(
            gone(
                Provider::OpenAi,
                400,
                "{'error': '/videos: Invalid model name passed in model=m. Call `/v1/models`'}"
            ),
            Some(Error::ModelNotFound { status: 400, .. })
        ));
        // Other answers are not read as a model's absence: a plain 404, a 503 that says otherwise.
        assert!(gone(Provider::Oxen, 404, "not found").is_none());
        assert!(gone(Provider::AiHubMix, 503, "Rate limited by provider").is_none());
        let policy = from_status(true, Provider::Oxen, 400, &h, "rejected by the content policy".into(), String::new());
        assert!(policy.is_content_policy());
        let unknown = Error::OutcomeUnknown {
            attempt: None,
            source: None,
            provider: Provider::Oxen,
            model: "m".into(),
            message: "reset".into(),
            status: None,
            body: None,
        };
        assert!(!unknown.is_retryable());
    }
}
