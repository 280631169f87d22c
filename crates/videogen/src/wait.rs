//! Waiting for a job: polling with backoff, the provider's hints, a real deadline, transient
//! errors waited out, and progress as a stream of events.

use crate::retry::clamp;
use crate::state::Inner;
use crate::{Error, Job, JobStatus, Provider, Result, VideoInfo};
use futures::Stream;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The shortest time between two status polls unless a policy says otherwise: 250 ms. No
/// provider hint (`openai-poll-after-ms: 0`, `Retry-After: 0`) makes polls come faster.
pub const DEFAULT_MIN_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// The longest wait a provider's hint (`openai-poll-after-ms`) can ask for between polls: 60 s.
pub const MAX_POLL_HINT: Duration = Duration::from_secs(60);

/// How to wait for a job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WaitPolicy {
    /// The first delay between polls.
    pub interval: Duration,
    /// The delay grows by this factor after each poll that finds the job unfinished (≥ 1).
    pub backoff: f64,
    /// The longest delay between polls.
    pub max_interval: Duration,
    /// The shortest delay between polls, whatever the interval, a provider hint or a
    /// `Retry-After` says (default [`DEFAULT_MIN_POLL_INTERVAL`]).
    pub min_interval: Duration,
    /// Give up after this long (from the start of the wait) with [`Error::Timeout`]; `None`
    /// waits for ever. It bounds everything inside the wait: a status request still in flight
    /// is dropped at the deadline, and no retry sleep or `Retry-After` goes past it.
    pub deadline: Option<Duration>,
    /// End the wait with the error after this many failed polls in a row (429, 5xx, transport
    /// errors, unreadable answers). `None` (the default) waits them out until the deadline,
    /// reporting each as [`WaitEvent::Retrying`].
    pub max_consecutive_errors: Option<u32>,
}

impl WaitPolicy {
    /// The providers' own guidance: Oxen.ai 10 s growing to 30 s (docs: poll video every 10–30 s);
    /// VideoDB 5 s (its SDKs poll every 5 s); AIHubMix 15 s (its guide); OpenAI 1 s, growing to
    /// 10 s, and `openai-poll-after-ms` when sent (openai-python). Deadline 30 minutes.
    pub fn for_provider(provider: Provider) -> Self {
        let (interval, max_interval) = match provider {
            Provider::Oxen => (10, 30),
            Provider::VideoDb => (5, 5),
            Provider::AiHubMix => (15, 15),
            Provider::OpenAi => (1, 10),
        };
        Self {
            interval: Duration::from_secs(interval),
            backoff: 1.5,
            max_interval: Duration::from_secs(max_interval),
            min_interval: DEFAULT_MIN_POLL_INTERVAL,
            deadline: Some(Duration::from_secs(30 * 60)),
            max_consecutive_errors: None,
        }
    }

    /// Fixed polls every `interval`, with a deadline (handy against a simulator). An interval
    /// under [`DEFAULT_MIN_POLL_INTERVAL`] also becomes the floor, since the caller chose it.
    pub fn every(interval: Duration, deadline: Duration) -> Self {
        Self {
            interval,
            backoff: 1.0,
            max_interval: interval,
            min_interval: interval.min(DEFAULT_MIN_POLL_INTERVAL),
            deadline: Some(deadline),
            max_consecutive_errors: None,
        }
    }
}

/// What happens while waiting (more kinds may come: match with a `_` arm).
///
/// `Serialize + Deserialize`, tagged by `event`: `{"event":"status","status":"running",
/// "progress":40,"elapsed_seconds":12.5}`, `{"event":"retrying","error":"…","attempt":2,
/// "retry_in_seconds":4.0,"elapsed_seconds":30.1}`, `{"event":"finished", …the
/// [`VideoInfo`] fields}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WaitEvent {
    /// The status or progress changed.
    Status {
        /// `queued`, `running`, or `unknown` (a status word videogen does not know).
        status: String,
        /// Percent, when the provider reports it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        progress: Option<u8>,
        /// Since the wait started.
        #[serde(rename = "elapsed_seconds", with = "crate::wait::seconds")]
        elapsed: Duration,
        /// The provider's own status word, when `status` is `unknown`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw_status: Option<String>,
    },
    /// A poll failed with a transient error (429, 5xx, transport, unreadable answer); the wait
    /// goes on after `retry_in`.
    Retrying {
        /// The error, as text.
        error: String,
        /// Failed polls in a row so far.
        attempt: u32,
        /// The delay before the next poll.
        #[serde(rename = "retry_in_seconds", with = "crate::wait::seconds")]
        retry_in: Duration,
        /// Since the wait started.
        #[serde(rename = "elapsed_seconds", with = "crate::wait::seconds")]
        elapsed: Duration,
    },
    /// The job succeeded: its video ([`crate::Client::video`] binds it to a client;
    /// [`crate::Client::wait`] returns it bound).
    Finished(Box<VideoInfo>),
}

/// Durations as seconds (a JSON number with a fraction).
pub(crate) mod seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

struct State {
    inner: Arc<Inner>,
    job: Job,
    policy: WaitPolicy,
    start: Instant,
    interval: Duration,
    last: Option<(&'static str, Option<u8>, Option<String>)>,
    sleep: Option<Duration>,
    errors: u32,
    last_status: String,
    done: bool,
}

impl State {
    fn timeout(&mut self) -> Error {
        self.done = true;
        Error::Timeout {
            job: Box::new(self.job.clone()),
            waited: self.start.elapsed(),
            last_status: self.last_status.clone(),
        }
    }

    fn remaining(&self) -> Option<Duration> {
        self.policy.deadline.map(|d| d.saturating_sub(self.start.elapsed()))
    }

    /// `d`, but never past the deadline.
    fn within_deadline(&self, d: Duration) -> Duration {
        self.remaining().map_or(d, |r| d.min(r))
    }
}

pub(crate) fn events(
    inner: Arc<Inner>,
    job: Job,
    policy: WaitPolicy,
) -> impl Stream<Item = Result<WaitEvent>> + Send + 'static {
    let state = State {
        inner,
        job,
        interval: policy.interval.max(policy.min_interval),
        policy,
        start: Instant::now(),
        last: None,
        sleep: None,
        errors: 0,
        last_status: "unknown".into(),
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            if let Some(d) = st.sleep.take() {
                tokio::time::sleep(st.within_deadline(d)).await;
            }
            if st.remaining().is_some_and(|r| r.is_zero()) {
                return Some((Err(st.timeout()), st));
            }
            // One read, no inner retries: this loop retries, within the deadline.
            let read = st.inner.status_once(&st.job);
            let result = match st.remaining() {
                Some(r) => match tokio::time::timeout(r, read).await {
                    Ok(result) => result,
                    Err(_) => return Some((Err(st.timeout()), st)),
                },
                None => read.await,
            };
            let (status, hint) = match result {
                Ok(s) => s,
                Err(e) if e.is_retryable() => {
                    st.errors += 1;
                    if st.policy.max_consecutive_errors.is_some_and(|max| st.errors > max) {
                        st.done = true;
                        return Some((Err(e.with_job(&st.job)), st));
                    }
                    let backoff = st
                        .policy
                        .interval
                        .saturating_mul(1u32 << st.errors.min(6))
                        .min(st.policy.max_interval.max(Duration::from_secs(30)));
                    let delay = e
                        .retry_after()
                        .map_or(backoff, |ra| clamp(ra, st.policy.min_interval, st.inner.retry.max_retry_after));
                    let delay = st.within_deadline(delay.max(st.policy.min_interval));
                    st.sleep = Some(delay);
                    tracing::warn!(job = %st.job.short_form(), error = %e, ?delay, "status poll failed; waiting on");
                    let event = WaitEvent::Retrying {
                        error: e.to_string(),
                        attempt: st.errors,
                        retry_in: delay,
                        elapsed: st.start.elapsed(),
                    };
                    return Some((Ok(event), st));
                }
                Err(e) => {
                    st.done = true;
                    return Some((Err(e.with_job(&st.job)), st));
                }
            };
            st.errors = 0;
            let job = Box::new(st.job.clone());
            match status {
                JobStatus::Succeeded(video) => {
                    st.done = true;
                    return Some((Ok(WaitEvent::Finished(Box::new(video))), st));
                }
                JobStatus::Failed(error) => {
                    st.done = true;
                    return Some((Err(Error::JobFailed { job, error }), st));
                }
                JobStatus::Cancelled => {
                    st.done = true;
                    return Some((Err(Error::Cancelled { job }), st));
                }
                JobStatus::Queued | JobStatus::Running { .. } | JobStatus::Unrecognized { .. } => {}
            }
            let elapsed = st.start.elapsed();
            let name = status.name();
            let progress = status.progress();
            let raw = status.raw_status().map(String::from);
            st.last_status = raw.clone().unwrap_or_else(|| name.to_string());
            let floor = st.policy.min_interval;
            let next = hint.map_or(st.interval, |h| clamp(h, floor, MAX_POLL_HINT)).max(floor);
            st.interval = st.interval.mul_f64(st.policy.backoff.max(1.0)).min(st.policy.max_interval).max(floor);
            st.sleep = Some(next);
            let now = (name, progress, raw.clone());
            if st.last.as_ref() != Some(&now) {
                st.last = Some(now);
                tracing::debug!(job = %st.job.short_form(), status = name, ?progress, "status");
                return Some((
                    Ok(WaitEvent::Status { status: name.to_string(), progress, elapsed, raw_status: raw }),
                    st,
                ));
            }
        }
    })
}
