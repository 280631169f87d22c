//! Waiting for a job: polling with backoff, the provider's hints, a real deadline, and progress
//! as a stream of events.

use crate::{Client, Error, Job, JobStatus, Provider, Result, Video};
use futures::Stream;
use std::time::Duration;
use tokio::time::Instant;

/// How to wait for a job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WaitPolicy {
    /// The first delay between polls.
    pub interval: Duration,
    /// The delay grows by this factor after each poll that finds the job unfinished (≥ 1).
    pub backoff: f64,
    /// The longest delay between polls.
    pub max_interval: Duration,
    /// Give up after this long (from the start of the wait) with [`Error::Timeout`]; `None`
    /// waits for ever.
    pub deadline: Option<Duration>,
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
            deadline: Some(Duration::from_secs(30 * 60)),
        }
    }

    /// Fixed polls every `interval`, with a deadline (handy against a simulator).
    pub fn every(interval: Duration, deadline: Duration) -> Self {
        Self { interval, backoff: 1.0, max_interval: interval, deadline: Some(deadline) }
    }
}

/// What happens while waiting.
#[derive(Clone, Debug)]
pub enum WaitEvent {
    /// The status or progress changed.
    Status {
        /// `queued` or `running`.
        status: &'static str,
        /// Percent, when the provider reports it.
        progress: Option<u8>,
        /// Since the wait started.
        elapsed: Duration,
    },
    /// The job succeeded.
    Finished(Box<Video>),
}

struct State {
    client: Client,
    job: Job,
    policy: WaitPolicy,
    start: Instant,
    interval: Duration,
    last: Option<(&'static str, Option<u8>)>,
    sleep: Option<Duration>,
    done: bool,
}

pub(crate) fn events(
    client: Client,
    job: Job,
    policy: WaitPolicy,
) -> impl Stream<Item = Result<WaitEvent>> + Send + 'static {
    let state = State {
        client,
        job,
        interval: policy.interval,
        policy,
        start: Instant::now(),
        last: None,
        sleep: None,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            if let Some(d) = st.sleep.take() {
                tokio::time::sleep(d).await;
            }
            let (status, hint) = match st.client.status_with_hint(&st.job).await {
                Ok(s) => s,
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
            };
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
                JobStatus::Queued | JobStatus::Running { .. } => {}
            }
            let elapsed = st.start.elapsed();
            let name = status.name();
            let progress = status.progress();
            if let Some(deadline) = st.policy.deadline
                && elapsed >= deadline
            {
                st.done = true;
                return Some((Err(Error::Timeout { job, waited: elapsed, last_status: name.to_string() }), st));
            }
            let mut next = hint.map_or(st.interval, |h| h.max(Duration::from_millis(1)));
            st.interval = st.interval.mul_f64(st.policy.backoff.max(1.0)).min(st.policy.max_interval);
            if let Some(deadline) = st.policy.deadline {
                next = next.min(deadline.saturating_sub(elapsed));
            }
            st.sleep = Some(next);
            if st.last != Some((name, progress)) {
                st.last = Some((name, progress));
                tracing::debug!(job = %st.job.short_form(), status = name, ?progress, "status");
                return Some((Ok(WaitEvent::Status { status: name, progress, elapsed }), st));
            }
        }
    })
}
