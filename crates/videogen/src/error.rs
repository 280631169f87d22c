//! The one error type of the facade.

use crate::{Job, Provider};
use std::time::Duration;

/// Everything that can go wrong, with the provider's message and raw body where the server
/// answered, and the job handle on every error that follows a successful create.
///
/// API keys never appear in any variant or message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a known rule and was not sent (model capability table, prompt length,
    /// missing prompt…). `message` names the rule and where it comes from.
    #[error("invalid request: {message}")]
    InvalidRequest { message: String },

    /// The client is not set up for this: no API key for the provider, a bad base URL, a provider
    /// left out at compile time.
    #[error("configuration: {message}")]
    Config { message: String },

    /// The provider does not offer this operation (for example, cancel on VideoDB).
    #[error("{provider} does not support {operation}")]
    Unsupported { provider: Provider, operation: &'static str },

    /// 401/403: the key is missing, wrong or not allowed.
    #[error("{provider} refused the API key ({status}): {message}")]
    Auth { provider: Provider, status: u16, message: String, body: String, job: Option<Box<Job>> },

    /// 429: slow down; `retry_after` is the server's `Retry-After`, when it sent one.
    #[error("{provider} rate limit ({retry_after:?}): {message}")]
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

    /// The job ran and failed.
    #[error("job {} on {} failed: {}", job.id, job.provider, error.message)]
    JobFailed { job: Box<Job>, error: crate::JobError },

    /// The job was cancelled.
    #[error("job {} on {} was cancelled", job.id, job.provider)]
    Cancelled { job: Box<Job> },

    /// The wait deadline passed before the job finished. The job goes on at the provider; resume
    /// with the handle.
    #[error("job {} on {} not finished within {waited:?} (last status: {last_status})", job.id, job.provider)]
    Timeout { job: Box<Job>, waited: Duration, last_status: String },

    /// A create request failed after it may have reached the server: the job may exist (and be
    /// billed) or not. No provider documents an idempotency key, so it was **not** retried. Look
    /// for it in the provider's job list before submitting again.
    #[error(
        "{provider}: the create request may or may not have reached the server ({message}); it was not retried to avoid a double charge"
    )]
    OutcomeUnknown { provider: Provider, model: String, message: String, status: Option<u16>, body: Option<String> },

    /// The connection failed (connect, reset, timeout, stalled body).
    #[error("{provider}: transport: {message}")]
    Transport { provider: Provider, message: String, job: Option<Box<Job>> },

    /// The server's answer could not be read as the spec says.
    #[error("{provider}: could not decode the answer: {message}")]
    Decode { provider: Provider, message: String, body: String, job: Option<Box<Job>> },

    /// Any other error answer.
    #[error("{provider} answered {status}: {message}")]
    Api { provider: Provider, status: u16, message: String, body: String, job: Option<Box<Job>> },

    /// The result URL expired (its `expires_at` passed, or the server says so).
    #[error("the result of job {} expired", job.id)]
    Expired { job: Box<Job> },

    /// A download failed a safety check: plain `http://` to a non-loopback host, a size over the
    /// cap, or a length that does not match `Content-Length`.
    #[error("download of job {}: {message}", job.id)]
    Download { job: Box<Job>, message: String },

    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl Error {
    /// Whether trying the same *read* again later may succeed: rate limits, 5xx, transport errors
    /// and unreadable bodies (a cut answer or a proxy's error page). Never true for
    /// [`Error::OutcomeUnknown`]: a create is not retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } | Error::Decode { .. } => true,
            Error::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// The server's `Retry-After`, for [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The job handle, on every error that follows a create.
    pub fn job(&self) -> Option<&Job> {
        match self {
            Error::JobFailed { job, .. }
            | Error::Cancelled { job }
            | Error::Timeout { job, .. }
            | Error::Expired { job }
            | Error::Download { job, .. } => Some(job),
            Error::Auth { job, .. }
            | Error::RateLimited { job, .. }
            | Error::ContentPolicy { job, .. }
            | Error::NotFound { job, .. }
            | Error::Transport { job, .. }
            | Error::Decode { job, .. }
            | Error::Api { job, .. } => job.as_deref(),
            _ => None,
        }
    }

    /// Whether this is a content-policy refusal (at create, or as the job's failure).
    pub fn is_content_policy(&self) -> bool {
        match self {
            Error::ContentPolicy { .. } => true,
            Error::JobFailed { error, .. } => error.content_policy,
            _ => false,
        }
    }

    /// Attaches `job` to an error that can carry one and has none yet.
    pub(crate) fn with_job(mut self, job: &Job) -> Self {
        match &mut self {
            Error::Auth { job: j, .. }
            | Error::RateLimited { job: j, .. }
            | Error::ContentPolicy { job: j, .. }
            | Error::NotFound { job: j, .. }
            | Error::Transport { job: j, .. }
            | Error::Decode { job: j, .. }
            | Error::Api { job: j, .. }
                if j.is_none() =>
            {
                *j = Some(Box::new(job.clone()));
            }
            _ => {}
        }
        self
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidRequest { message: message.into() }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Parses `Retry-After` as seconds (the form providers send; an HTTP date is also accepted).
pub(crate) fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (date.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok()
}

/// Builds the error for an HTTP error answer of `provider`, from its status, headers and body.
pub(crate) fn from_status(
    provider: Provider,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    message: String,
    body: String,
) -> Error {
    match status {
        401 | 403 => Error::Auth { provider, status, message, body, job: None },
        404 => Error::NotFound { provider, message, body, job: None },
        429 => Error::RateLimited { provider, retry_after: parse_retry_after(headers), message, body, job: None },
        _ if crate::job::looks_like_content_policy(&message) => Error::ContentPolicy { provider, message, job: None },
        _ => Error::Api { provider, status, message, body, job: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(reqwest::header::RETRY_AFTER, later.parse().unwrap());
        let d = parse_retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30), "{d:?}");
    }

    #[test]
    fn classification() {
        let h = reqwest::header::HeaderMap::new();
        let e = |s| from_status(Provider::OpenAi, s, &h, "m".into(), "b".into());
        assert!(matches!(e(401), Error::Auth { .. }));
        assert!(matches!(e(404), Error::NotFound { .. }));
        assert!(e(429).is_retryable() && e(503).is_retryable() && !e(400).is_retryable());
        let policy = from_status(Provider::Oxen, 400, &h, "rejected by the content policy".into(), String::new());
        assert!(policy.is_content_policy());
        let unknown = Error::OutcomeUnknown {
            provider: Provider::Oxen,
            model: "m".into(),
            message: "reset".into(),
            status: None,
            body: None,
        };
        assert!(!unknown.is_retryable());
    }
}
