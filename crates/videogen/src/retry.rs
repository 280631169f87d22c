//! The one retry schedule of the crate: jittered exponential backoff (the `backon` crate), a
//! server's `Retry-After` clamped, a deadline, and one rule for what may be sent again — reads
//! (status, list, downloads) on 429, 5xx, transport errors and unreadable answers; creates only
//! when they provably created nothing (429, or a connection that failed before the request was
//! sent). Reads, creates, downloads, the wait loop and `videogen batch` all take their delays
//! from a [`RetrySchedule`].

use crate::{Error, Result};
use backon::{BackoffBuilder, ExponentialBuilder};
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

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
    /// `max_retries`. `Some(0)` hands a create's 429 to the caller at once. A caller that paces
    /// creates itself (`videogen batch` workers sharing one pause per provider) passes a
    /// [`RateLimitPause`] to [`crate::Client::submit_many_paced`] instead. A create whose
    /// connection failed before it was sent is retried up to `max_retries` either way.
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

    /// The same policy with this many retries after the first try.
    ///
    /// ```
    /// use std::time::Duration;
    /// use videogen::RetryPolicy;
    /// let policy = RetryPolicy::default().max_retries(6).min_delay(Duration::from_secs(1)).max_create_retries(0);
    /// assert_eq!((policy.max_retries, policy.max_create_retries), (6, Some(0)));
    /// ```
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// The same policy with this first delay (also the floor of a `Retry-After`).
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The same policy with this longest computed delay.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The same policy honouring `Retry-After` up to this long.
    pub fn max_retry_after(mut self, ceiling: Duration) -> Self {
        self.max_retry_after = ceiling;
        self
    }

    /// The same policy with this many re-sends of a create answered 429.
    pub fn max_create_retries(mut self, retries: usize) -> Self {
        self.max_create_retries = Some(retries);
        self
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
            // Tries are counted by the schedule; the backoff only grows the delay.
            .with_max_times(usize::MAX)
    }
}

/// Runs a read, retrying retryable errors on a [`RetrySchedule`].
pub(crate) async fn read<T, F, Fut>(policy: &RetryPolicy, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut schedule = RetrySchedule::new(RequestKind::Read, *policy);
    loop {
        let error = match f().await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let Some(delay) = schedule.next_delay(&error) else { return Err(error) };
        tracing::warn!(error = %error, ?delay, "retrying read");
        tokio::time::sleep(delay).await;
    }
}

/// A caller's say in how a create refused with 429 is sent again (nothing was created): for a
/// program that shares one pause per provider among many creates, such as `videogen batch`,
/// whose workers (in one process or many, through a database) all wait out a 429 that one of
/// them got. Given to [`crate::Client::submit_many_paced`]; without one, the library sleeps the
/// [`RetrySchedule`]'s delay itself.
pub trait RateLimitPause: Send + Sync {
    /// `error` (a 429 to `provider`) refused a create that the schedule would send again after
    /// `delay` (the clamped `Retry-After`, or the backoff). Returns once the create may be sent
    /// again (`true`), or `false` to hand the 429 to the caller instead. Called once per 429,
    /// at most the policy's create retries.
    fn rate_limited<'a>(
        &'a self,
        provider: crate::Provider,
        error: &'a Error,
        delay: Duration,
    ) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
}

/// What kind of request failed: the one question of [`RetrySchedule`] (and of the crate's
/// send-again rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestKind {
    /// A read (status, list, a download): repeating it changes nothing at the provider.
    Read,
    /// A create: repeating it may pay twice, so it is sent again only when it provably created
    /// nothing.
    Create,
}

/// The delays between tries of one request: the policy's jittered exponential backoff
/// (`min_delay`, doubling, up to `max_delay`, at most `max_retries` retries; a create's 429s at
/// most `max_create_retries`), a server's `Retry-After` in place of the computed delay (clamped
/// to `min_delay..=max_retry_after`), and every delay cut to the deadline. `None` means the
/// error is final: not one that may be sent again (see [`RequestKind`]), tries spent, or the
/// deadline passed.
///
/// The library's reads, creates, downloads and wait loop use it, and so does `videogen batch`
/// for the creates it paces itself.
///
/// ```
/// use std::time::Duration;
/// use videogen::{Error, RequestKind, RetryPolicy, RetrySchedule};
///
/// let policy = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
/// let mut schedule = RetrySchedule::new(RequestKind::Create, policy);
/// let refused = Error::RateLimited {
///     provider: videogen::Provider::Oxen,
///     retry_after: Some(Duration::from_secs(7)),
///     message: "slow down".into(),
///     body: String::new(),
///     job: None,
/// };
/// assert_eq!(schedule.next_delay(&refused), Some(Duration::from_secs(7)));
/// assert!(schedule.next_delay(&refused).is_some());
/// assert_eq!(schedule.next_delay(&refused), None, "two retries, then final");
/// ```
#[derive(Debug)]
pub struct RetrySchedule {
    kind: RequestKind,
    policy: RetryPolicy,
    /// Built at the first retry, boxed: a waiting job's task is as large as its largest step.
    delays: Option<Box<backon::ExponentialBackoff>>,
    deadline: Option<Instant>,
    /// Retries so far after a create's 429, and after anything else.
    rate_limited: usize,
    others: usize,
}

impl RetrySchedule {
    /// A schedule for one request of `kind` under `policy`, without a deadline.
    pub fn new(kind: RequestKind, policy: RetryPolicy) -> Self {
        Self { kind, policy, delays: None, deadline: None, rate_limited: 0, others: 0 }
    }

    /// The same schedule, every delay cut to the time left before `deadline` (and none after it).
    pub fn until(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The wait before sending the request again after `error`, or `None` when `error` is final.
    pub fn next_delay(&mut self, error: &Error) -> Option<Duration> {
        if !may_send_again(self.kind, error) {
            return None;
        }
        let (count, limit) = if self.kind == RequestKind::Create && matches!(error, Error::RateLimited { .. }) {
            (&mut self.rate_limited, self.policy.max_create_retries.unwrap_or(self.policy.max_retries))
        } else {
            (&mut self.others, self.policy.max_retries)
        };
        if *count >= limit {
            return None;
        }
        *count += 1;
        let policy = &self.policy;
        let computed = self.delays.get_or_insert_with(|| Box::new(policy.backoff().build())).next()?;
        let delay = policy.delay_for(error, computed);
        match self.deadline {
            None => Some(delay),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| delay.min(left))
            }
        }
    }
}

/// The one rule for "may this request be sent again" (async-stripe's `RequestStrategy` shape,
/// table-tested below): a read after a 429, a 5xx, a transport error, an unreadable answer or a
/// body that was not the video; a create only when it provably created nothing (a 429, or a
/// connection that failed before the request was sent). Everything else is final, and a create
/// whose outcome is unknown is never sent again ([`Error::OutcomeUnknown`]).
pub(crate) fn may_send_again(request: RequestKind, error: &Error) -> bool {
    match request {
        RequestKind::Read => error.is_retryable(),
        RequestKind::Create => error.create_not_sent(),
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
            assert_eq!(may_send_again(RequestKind::Read, &error), read, "{name} as a read");
            assert_eq!(may_send_again(RequestKind::Create, &error), create, "{name} as a create");
        }
    }

    fn limited(secs: Option<u64>) -> Error {
        Error::RateLimited {
            provider: Provider::Oxen,
            retry_after: secs.map(Duration::from_secs),
            message: String::new(),
            body: String::new(),
            job: None,
        }
    }

    /// A create counts its 429s against `max_create_retries` and its refused connections against
    /// `max_retries`, separately; a read counts everything against `max_retries`; final errors
    /// get no delay.
    #[test]
    fn a_schedule_counts_each_kind_of_retry() {
        let policy = RetryPolicy { max_retries: 2, max_create_retries: Some(3), ..RetryPolicy::default() };
        let refused =
            || Error::Transport { provider: Provider::Oxen, message: "refused".into(), source: None, job: None };
        let mut create = RetrySchedule::new(RequestKind::Create, policy);
        let delays: Vec<bool> = (0..4).map(|_| create.next_delay(&limited(Some(1))).is_some()).collect();
        assert_eq!(delays, [true, true, true, false], "three 429s, then final");
        assert!(create.next_delay(&refused()).is_some());
        assert!(create.next_delay(&refused()).is_some());
        assert!(create.next_delay(&refused()).is_none(), "two refused connections, then final");
        assert!(create.next_delay(&Error::invalid("no")).is_none());

        let mut read = RetrySchedule::new(RequestKind::Read, policy);
        assert!(read.next_delay(&limited(None)).is_some());
        assert!(read.next_delay(&refused()).is_some());
        assert!(read.next_delay(&limited(None)).is_none(), "a read's retries are all one count");
    }

    /// Computed delays grow from `min_delay` to `max_delay` (jitter adds at most as much again).
    #[test]
    fn computed_delays_grow_within_the_policy() {
        let policy = RetryPolicy {
            max_retries: 10,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
            ..RetryPolicy::default()
        };
        let mut schedule = RetrySchedule::new(RequestKind::Read, policy);
        let delays: Vec<Duration> = (0..8).map(|_| schedule.next_delay(&limited(None)).unwrap()).collect();
        assert!(delays[0] >= Duration::from_millis(100) && delays[0] <= Duration::from_millis(200), "{delays:?}");
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(1600)), "{delays:?}");
        assert!(delays[7] >= Duration::from_millis(800), "{delays:?}");
    }

    /// No delay runs past the deadline, and none is given after it.
    #[tokio::test(start_paused = true)]
    async fn a_deadline_cuts_every_delay() {
        let mut schedule = RetrySchedule::new(RequestKind::Read, RetryPolicy::default())
            .until(Instant::now() + Duration::from_secs(3));
        assert_eq!(schedule.next_delay(&limited(Some(60))), Some(Duration::from_secs(3)));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(schedule.next_delay(&limited(Some(1))), None);
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
