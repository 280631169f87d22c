//! Waiting for a job: polling with backoff, the provider's hints, a real deadline, transient
//! errors waited out, and progress as a stream of events.

use crate::push::{Coverage, Hub};
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
    /// Learn of the job's end from the provider's pushed events where the client has them
    /// (Oxen.ai's `GET /api/events`, see [`crate::ClientBuilder::push_events`]) instead of
    /// polling (default `true`). A job whose create or last poll happened while the event
    /// connection was up is not polled at all; after a lost connection each job is polled once,
    /// and while the connection is down or not served, polling goes on as without push.
    pub push: bool,
    /// While push covers the job, poll anyway this long after the last poll (default
    /// [`DEFAULT_PUSH_SAFETY_POLL`]), and never less often than a quarter of the deadline (a
    /// 20 s wait looks every 5 s): no event comes for a job cancelled elsewhere (Oxen.ai
    /// pushes none for cancellations; [`crate::Client::cancel`] on this client wakes its waits
    /// itself), and an event may go missing (the stream keeps no buffer).
    pub push_safety_poll: Duration,
}

/// The default [`WaitPolicy::push_safety_poll`]: 60 s (Oxen.ai's polling guidance for video is
/// every 10–30 s).
pub const DEFAULT_PUSH_SAFETY_POLL: Duration = Duration::from_secs(60);

/// The last look before a wait's deadline: 1 s. Every wait reads the status within this long
/// of its deadline (a finished job whose completion event went missing, or that finished after
/// a long poll interval began, is then found instead of reported unfinished); a wait that made
/// no read in that last second reads once more, bounded by it, before it reports
/// [`Error::Timeout`].
pub const FINAL_LOOK: Duration = Duration::from_secs(1);

impl WaitPolicy {
    /// The providers' own guidance: Oxen.ai 10 s growing to 30 s (docs: poll video every 10–30 s);
    /// VideoDB 5 s (its SDKs poll every 5 s); AIHubMix 15 s (its guide); OpenAI 1 s, growing to
    /// 10 s, and `openai-poll-after-ms` when sent (openai-python). Deadline 30 minutes.
    pub fn for_provider(provider: Provider) -> Self {
        let (interval, max_interval) = crate::providers::profile(provider).poll_seconds;
        Self {
            interval: Duration::from_secs(interval),
            backoff: 1.5,
            max_interval: Duration::from_secs(max_interval),
            min_interval: DEFAULT_MIN_POLL_INTERVAL,
            deadline: Some(Duration::from_secs(30 * 60)),
            max_consecutive_errors: None,
            push: true,
            push_safety_poll: DEFAULT_PUSH_SAFETY_POLL,
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
            push: true,
            push_safety_poll: DEFAULT_PUSH_SAFETY_POLL,
        }
    }

    /// The same policy with a deadline: the wait ends with [`Error::Timeout`] this long after it
    /// began (the job goes on at the provider).
    ///
    /// ```
    /// use std::time::Duration;
    /// use videogen::{Provider, WaitPolicy};
    /// let policy = WaitPolicy::for_provider(Provider::Replicate)
    ///     .deadline(Duration::from_secs(600))
    ///     .interval(Duration::from_secs(2))
    ///     .max_consecutive_errors(5);
    /// assert_eq!((policy.deadline, policy.interval), (Some(Duration::from_secs(600)), Duration::from_secs(2)));
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The same policy without a deadline (the wait ends only with the job, or an error).
    pub fn no_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    /// The same policy with this first interval between polls (the longest grows to it when
    /// shorter).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self.max_interval = self.max_interval.max(interval);
        self
    }

    /// The same policy with this longest interval between polls.
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// The same policy with this growth factor of the interval after each unfinished poll
    /// (values under 1 act as 1).
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = factor;
        self
    }

    /// The same policy ending after this many failed polls in a row (by default failed polls are
    /// waited out until the deadline).
    pub fn max_consecutive_errors(mut self, errors: u32) -> Self {
        self.max_consecutive_errors = Some(errors);
        self
    }

    /// The same policy with completion events used (`true`, the default) or not.
    pub fn push(mut self, push: bool) -> Self {
        self.push = push;
        self
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
    /// When to poll next; `None`: now.
    next_poll: Option<Instant>,
    errors: u32,
    /// The delays after failed polls since the last answer (boxed, built at the first failure:
    /// every waiting job holds this state).
    retries: Option<Box<crate::RetrySchedule>>,
    last_status: String,
    done: bool,
    /// The provider's pushed completions and what wakes this wait, when used.
    push: Option<(Arc<Hub>, Arc<tokio::sync::Notify>)>,
    /// Since when push covers the job without a poll (the safety poll counts from here).
    covered_since: Option<Instant>,
    /// When the last status read started or ended.
    last_read: Option<Instant>,
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

    /// The deadline passed: one last status read (bounded by [`FINAL_LOOK`]) that may still find
    /// the job finished, then [`Error::Timeout`] with the status it read.
    async fn expire(&mut self) -> Result<WaitEvent> {
        if self.last_read.is_some_and(|t| t.elapsed() < FINAL_LOOK) {
            return Err(self.timeout());
        }
        self.last_read = Some(Instant::now());
        let read = Box::pin(self.inner.status_once(&self.job));
        if let Ok(Ok((status, _))) = tokio::time::timeout(FINAL_LOOK, read).await {
            if let Some(end) = self.finish(&status) {
                tracing::debug!(job = %self.job.short_form(), status = status.name(), "found at the last look");
                return end;
            }
            self.last_status = status.raw_status().map(String::from).unwrap_or_else(|| status.name().to_string());
        }
        Err(self.timeout())
    }

    /// A pushed completion, read into the job's status (with what the event lacks); the end of
    /// the wait, or `None` when the job is somehow not finished.
    async fn pushed(&mut self, completion: crate::push::Completion) -> Option<Result<WaitEvent>> {
        let inner = self.inner.clone();
        let job = self.job.clone();
        self.last_read = Some(Instant::now());
        let read = Box::pin(async move {
            let backend = inner.backend(job.provider)?;
            let _permit = inner.permit().await;
            Ok::<_, Error>(backend.pushed_status(&job, completion).await)
        });
        let status = match self.by_deadline(read).await {
            None => {
                // The read ran until the deadline: it was the last look.
                self.last_read = Some(Instant::now());
                return Some(Box::pin(self.expire()).await);
            }
            Some(Err(e)) => {
                self.done = true;
                return Some(Err(e.with_job(&self.job)));
            }
            Some(Ok(status)) => status,
        };
        tracing::debug!(job = %self.job.short_form(), status = status.name(), "pushed completion");
        self.finish(&status)
    }

    /// One status read within the deadline: the status and the provider's hint, or the end of the
    /// wait (the deadline's last look, after a read that ran until it).
    async fn read_once(&mut self) -> std::result::Result<Result<(JobStatus, Option<Duration>)>, Result<WaitEvent>> {
        self.last_read = Some(Instant::now());
        let read = Box::pin(self.inner.status_once(&self.job));
        match self.by_deadline(read).await {
            Some(result) => {
                // Answered (or failed) now: a look within the last second needs no other.
                self.last_read = Some(Instant::now());
                Ok(result)
            }
            None => {
                // The read ran until the deadline: it was the last look.
                self.last_read = Some(Instant::now());
                Err(Box::pin(self.expire()).await)
            }
        }
    }

    /// How long push may cover the job without a poll: the policy's safety poll, at most a
    /// quarter of the deadline, at least the poll floor.
    fn safety_poll(&self) -> Duration {
        let quarter = self.policy.deadline.map_or(Duration::MAX, |d| d / 4);
        self.policy.push_safety_poll.min(quarter).max(self.policy.min_interval)
    }

    /// `at`, or earlier when the wait has made no read in its last [`FINAL_LOOK`]: the last look
    /// comes before the deadline.
    fn with_last_look(&self, at: Instant) -> Instant {
        let Some(deadline) = self.policy.deadline.map(|d| self.start + d) else { return at };
        let Some(look) = deadline.checked_sub(FINAL_LOOK) else { return at };
        let looked = self.last_read.is_some_and(|t| t >= look);
        // Due now (or in the past) when the last second began without a read: poll at once.
        if !looked && look < at { look } else { at }
    }

    fn remaining(&self) -> Option<Duration> {
        self.policy.deadline.map(|d| d.saturating_sub(self.start.elapsed()))
    }

    /// `d`, but never past the deadline.
    fn within_deadline(&self, d: Duration) -> Duration {
        self.remaining().map_or(d, |r| d.min(r))
    }

    /// `f` within the deadline; `None` at the deadline.
    async fn by_deadline<T>(&self, f: impl std::future::Future<Output = T>) -> Option<T> {
        match self.remaining() {
            Some(r) => tokio::time::timeout(r, f).await.ok(),
            None => Some(f.await),
        }
    }

    /// The event (or error) a status ends the wait with, `None` while unfinished.
    fn finish(&mut self, status: &JobStatus) -> Option<Result<WaitEvent>> {
        let job = Box::new(self.job.clone());
        let end = match status {
            JobStatus::Succeeded(video) => Ok(WaitEvent::Finished(Box::new(video.clone()))),
            JobStatus::Failed(error) => Err(Error::JobFailed { job, error: error.clone() }),
            JobStatus::Cancelled | JobStatus::Aborted => Err(Error::Cancelled { job }),
            JobStatus::Queued | JobStatus::Running { .. } | JobStatus::Unrecognized { .. } => return None,
        };
        self.done = true;
        if let Some((hub, _)) = &self.push {
            hub.forget(&self.job.id);
        }
        Some(end)
    }
}

pub(crate) fn events(
    inner: Arc<Inner>,
    job: Job,
    policy: WaitPolicy,
) -> impl Stream<Item = Result<WaitEvent>> + Send + 'static {
    // Boxed: `unfold` keeps the state beside the future that owns it while a step runs, so
    // inline it would be stored twice in every waiting job's task.
    let state = Box::new(State {
        inner,
        job,
        interval: policy.interval.max(policy.min_interval),
        policy,
        start: Instant::now(),
        last: None,
        next_poll: None,
        errors: 0,
        retries: None,
        last_status: "unknown".into(),
        done: false,
        push: None,
        covered_since: None,
        last_read: None,
    });
    futures::stream::unfold(state, |mut st| async move {
        if st.policy.push
            && st.push.is_none()
            && !st.done
            && let Some(hub) = st.inner.push(st.job.provider)
        {
            st.push = Some((hub.clone(), hub.waker(&st.job.id)));
        }
        loop {
            if st.done {
                return None;
            }
            if st.remaining().is_some_and(|r| r.is_zero()) {
                let end = Box::pin(st.expire()).await;
                return Some((end, st));
            }
            // A pushed completion ends the wait without a poll; a covered job is not polled
            // until the safety poll is due; a job that lost its cover is polled at once.
            let mut epoch = None;
            if let Some((hub, _)) = st.push.clone() {
                match hub.coverage(&st.job.id) {
                    Coverage::Finished(completion) => {
                        // Boxed: the read and its result live on the heap only while it runs, so
                        // a waiting job's step stays small (100,000 waits: `cargo xtask bench`).
                        if let Some(end) = Box::pin(st.pushed(completion)).await {
                            return Some((end, st));
                        }
                    }
                    Coverage::Covered => {
                        let since = *st.covered_since.get_or_insert_with(Instant::now);
                        let safety = since + st.safety_poll();
                        st.next_poll = Some(st.next_poll.map_or(safety, |at| at.max(safety)));
                        // Followed through events, the job is not polled: say the status its
                        // create answered (a job is covered only when this client enqueued it,
                        // and the queue answers `queued`), so a display shows it at once.
                        if st.last.is_none() {
                            st.last = Some(("queued", None, None));
                            st.last_status = "queued".into();
                            let event = WaitEvent::Status {
                                status: "queued".into(),
                                progress: None,
                                elapsed: st.start.elapsed(),
                                raw_status: None,
                            };
                            return Some((Ok(event), st));
                        }
                    }
                    Coverage::Uncovered => {
                        if st.covered_since.take().is_some() {
                            st.next_poll = None;
                        }
                    }
                }
                epoch = hub.connected_epoch();
            }
            if let Some(at) = st.next_poll.map(|at| st.with_last_look(at))
                && at > Instant::now()
            {
                let until = Instant::now() + st.within_deadline(at - Instant::now());
                match &st.push {
                    Some((_, wake)) => {
                        let wake = wake.clone();
                        // Boxed, as the reads: while it sleeps a job holds the timer on the heap
                        // and its step stays small (measured: 100,000 waits, `cargo xtask bench`).
                        Box::pin(async move {
                            tokio::select! {
                                () = tokio::time::sleep_until(until) => {}
                                () = wake.notified() => {}
                            }
                        })
                        .await
                    }
                    None => Box::pin(tokio::time::sleep_until(until)).await,
                }
                continue;
            }
            st.covered_since = None;
            // One read, no inner retries: this loop retries, within the deadline.
            // Boxed (as the pushed read above): the step's future then holds a pointer, and a
            // waiting job's task stays small (measured by `cargo xtask bench`'s 100,000 jobs).
            let result = match Box::pin(st.read_once()).await {
                Ok(result) => result,
                Err(end) => return Some((end, st)),
            };
            let (status, hint) = match result {
                Ok(s) => s,
                Err(e) if crate::retry::may_send_again(crate::RequestKind::Read, &e) => {
                    st.errors += 1;
                    if st.policy.max_consecutive_errors.is_some_and(|max| st.errors > max) {
                        st.done = true;
                        return Some((Err(e.with_job(&st.job)), st));
                    }
                    // The crate's one schedule, from the poll interval up (doubling, jittered,
                    // to the longest poll interval or 30 s), the `Retry-After` clamped; tries
                    // are bounded by the deadline and `max_consecutive_errors`, not a count.
                    let (policy, inner) = (&st.policy, &st.inner);
                    let retries = st.retries.get_or_insert_with(|| {
                        Box::new(crate::RetrySchedule::new(
                            crate::RequestKind::Read,
                            crate::RetryPolicy {
                                max_retries: usize::MAX,
                                min_delay: policy.interval.max(policy.min_interval),
                                max_delay: policy.max_interval.max(Duration::from_secs(30)),
                                max_retry_after: inner.retry.max_retry_after,
                                max_create_retries: None,
                            },
                        ))
                    });
                    let Some(delay) = retries.next_delay(&e) else {
                        st.done = true;
                        return Some((Err(e.with_job(&st.job)), st));
                    };
                    let delay = st.within_deadline(delay.max(st.policy.min_interval));
                    st.next_poll = Some(Instant::now() + delay);
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
            st.retries = None;
            if let Some(end) = st.finish(&status) {
                return Some((end, st));
            }
            // Unfinished when the poll was made under this connection: its completion will come.
            if let (Some((hub, _)), Some(epoch)) = (&st.push, epoch) {
                hub.watch(&st.job.id, epoch);
            }
            let elapsed = st.start.elapsed();
            let name = status.name();
            let progress = status.progress();
            let raw = status.raw_status().map(String::from);
            st.last_status = raw.clone().unwrap_or_else(|| name.to_string());
            let floor = st.policy.min_interval;
            let next = hint.map_or(st.interval, |h| clamp(h, floor, MAX_POLL_HINT)).max(floor);
            st.interval = st.interval.mul_f64(st.policy.backoff.max(1.0)).min(st.policy.max_interval).max(floor);
            st.next_poll = Some(Instant::now() + next);
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
