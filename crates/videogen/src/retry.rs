//! Retries with jittered exponential backoff (the `backon` crate), honouring a clamped
//! `Retry-After`: reads (status, list, downloads) on 429, 5xx, transport errors and unreadable
//! answers; creates only when they provably created nothing (429, or a connection that failed
//! before the request was sent).

use crate::{Error, Result};
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// How reads are retried on 429, 5xx, transport errors and unreadable answers, and creates on
/// 429 and connect failures (the only create failures that provably created nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first try (default 4).
    pub max_retries: usize,
    /// The first delay (default 500 ms); it doubles, with jitter, up to `max_delay`. Also the
    /// floor of a `Retry-After` (a `Retry-After: 0` waits this long).
    pub min_delay: Duration,
    /// The longest computed delay (default 30 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured (default [`MAX_RETRY_AFTER`], 5 minutes); a longer
    /// one (say a day) is cut to this. Waits and downloads also cut it to their deadline.
    pub max_retry_after: Duration,
    /// Retries of a create answered 429 (nothing was created); `None` (the default):
    /// `max_retries`. `Some(0)` hands a create's 429 to the caller at once — for a caller that
    /// paces creates itself, such as `videogen batch` workers sharing one pause per provider.
    /// A create whose connection failed before it was sent is retried up to `max_retries`
    /// either way.
    pub max_create_retries: Option<usize>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: MAX_RETRY_AFTER,
            max_create_retries: None,
        }
    }
}

/// The longest `Retry-After` honoured: 5 minutes.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// The delay before the next try: the server's `Retry-After` clamped to
    /// [`Self::min_delay`]..=[`Self::max_retry_after`] when it sent one, else `computed`.
    pub fn delay_for(&self, error: &Error, computed: Duration) -> Duration {
        error.retry_after().map_or(computed, |ra| clamp(ra, self.min_delay, self.max_retry_after))
    }

    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
    }
}

/// Runs a read, retrying retryable errors; a `Retry-After` replaces the computed delay.
pub(crate) async fn read<T, F, Fut>(policy: &RetryPolicy, f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    f.retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|e| may_send_again(Request::Read, e))
        .adjust(|e: &Error, delay| delay.map(|d| policy.delay_for(e, d)))
        .notify(|e: &Error, delay| tracing::warn!(error = %e, ?delay, "retrying read"))
        .await
}

/// What kind of request failed: the one question of [`may_send_again`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// A read (status, list, a download): repeating it changes nothing at the provider.
    Read,
    /// A create: repeating it may pay twice.
    Create,
}

/// The one rule for "may this request be sent again" (async-stripe's `RequestStrategy` shape,
/// table-tested below): a read after a 429, a 5xx, a transport error, an unreadable answer or a
/// body that was not the video; a create only when it provably created nothing (a 429, or a
/// connection that failed before the request was sent). Everything else is final, and a create
/// whose outcome is unknown is never sent again ([`Error::OutcomeUnknown`]).
pub(crate) fn may_send_again(request: Request, error: &Error) -> bool {
    match request {
        Request::Read => error.is_retryable(),
        Request::Create => error.create_not_sent(),
    }
}

/// `value` within `floor..=ceiling` (the floor wins when they cross).
pub(crate) fn clamp(value: Duration, floor: Duration, ceiling: Duration) -> Duration {
    value.min(ceiling).max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Every error class, as a read and as a create: the money rule in one table.
    #[test]
    fn the_send_again_table() {
        let p = Provider::Oxen;
        let api = |status: u16| Error::Api { provider: p, status, message: "x".into(), body: String::new(), job: None };
        let job = Box::new(crate::Job::from_short_form("oxen:j").unwrap());
        let rows: Vec<(&str, Error, bool, bool)> = vec![
            (
                "429",
                Error::RateLimited {
                    provider: p,
                    retry_after: None,
                    message: "slow".into(),
                    body: String::new(),
                    job: None,
                },
                true,
                true,
            ),
            (
                "transport",
                Error::Transport { provider: p, message: "reset".into(), source: None, job: None },
                true,
                true,
            ),
            ("500", api(500), true, false),
            ("503", api(503), true, false),
            ("404", api(404), false, false),
            (
                "unreadable answer",
                Error::Decode { provider: p, message: "eof".into(), body: String::new(), job: None },
                true,
                false,
            ),
            ("not the video", Error::InvalidVideo { job: job.clone(), message: "html".into() }, true, false),
            (
                "outcome unknown",
                Error::OutcomeUnknown {
                    provider: p,
                    model: "m".into(),
                    message: "cut".into(),
                    status: None,
                    body: None,
                    source: None,
                    attempt: None,
                },
                false,
                false,
            ),
            ("invalid request", Error::invalid("bad"), false, false),
            (
                "auth",
                Error::Auth { provider: p, status: 401, message: "no".into(), body: String::new(), job: None },
                false,
                false,
            ),
            (
                "timeout",
                Error::Timeout { job: job.clone(), waited: Duration::ZERO, last_status: "queued".into() },
                false,
                false,
            ),
        ];
        for (name, error, read, create) in rows {
            assert_eq!(may_send_again(Request::Read, &error), read, "{name} as a read");
            assert_eq!(may_send_again(Request::Create, &error), create, "{name} as a create");
        }
    }

    #[tokio::test]
    async fn retries_retryable_errors_then_gives_up() {
        let policy = RetryPolicy {
            max_retries: 2,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        };
        let calls = AtomicUsize::new(0);
        let result: Result<()> = read(&policy, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::Transport { source: None, provider: Provider::Oxen, message: "reset".into(), job: None })
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let result: Result<()> = read(&policy, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::invalid("no"))
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1, "non-retryable errors are not retried");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured() {
        let policy = RetryPolicy {
            max_retries: 1,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        };
        let start = tokio::time::Instant::now();
        let calls = AtomicUsize::new(0);
        let result: Result<u8> = read(&policy, || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(Error::RateLimited {
                    provider: Provider::OpenAi,
                    retry_after: Some(Duration::from_secs(7)),
                    message: String::new(),
                    body: String::new(),
                    job: None,
                })
            } else {
                Ok(1)
            }
        })
        .await;
        assert_eq!(result.unwrap(), 1);
        assert!(start.elapsed() >= Duration::from_secs(7), "{:?}", start.elapsed());
    }

    #[test]
    fn retry_after_is_clamped() {
        let policy = RetryPolicy::default();
        let limited = |secs| Error::RateLimited {
            provider: Provider::Oxen,
            retry_after: Some(Duration::from_secs(secs)),
            message: String::new(),
            body: String::new(),
            job: None,
        };
        assert_eq!(policy.delay_for(&limited(86_400), Duration::ZERO), MAX_RETRY_AFTER);
        assert_eq!(policy.delay_for(&limited(0), Duration::ZERO), policy.min_delay);
        assert_eq!(policy.delay_for(&limited(7), Duration::ZERO), Duration::from_secs(7));
        assert_eq!(policy.delay_for(&Error::invalid("x"), Duration::from_secs(2)), Duration::from_secs(2));
    }
}
