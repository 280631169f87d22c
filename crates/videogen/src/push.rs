//! Completions pushed by a provider instead of polled: what a provider's event connection
//! (Oxen.ai's SSE stream, `providers/oxen.rs`) has seen, for the wait loop (`wait.rs`) to read.
//!
//! The rule that keeps waits correct: a push stream has no buffer (docs.oxen.ai async_queue,
//! "Completion Events": anything sent before a client connects is lost), so a job counts as
//! *covered* only when the connection that is up now was already up before the job's create was
//! sent, or before a status poll found the job unfinished. A covered job is waited for without
//! polling (save a slow safety poll); any other job is polled, and a poll made while connected
//! makes it covered. A lost connection uncovers every job: each is polled once after the
//! reconnection, then covered again.

// Only Oxen.ai pushes completions to a stream a client opens today.
#![cfg_attr(not(feature = "oxen"), allow(dead_code))]

use crate::JobStatus;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long a create waits for the first connection of a client's event stream before it is
/// sent anyway (its job then starts uncovered and is polled once): 5 s.
pub(crate) const FIRST_CONNECT_WAIT: Duration = Duration::from_secs(5);

/// The most jobs a client remembers for push (submitted or waited on); the oldest are forgotten
/// beyond it (a wait on one of those polls first): 1,000,000, about 100 MB at most.
const MAX_WATCHED: usize = 1_000_000;

/// Completions of jobs not (yet) watched, kept for a job whose create answer comes after its
/// completion event: the last 4,096.
const MAX_UNCLAIMED: usize = 4096;

/// How a job ended, as a push event says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Completion {
    /// Finished with a result URL.
    Succeeded { url: String },
    /// Failed, with the provider's reason.
    Failed { message: String },
}

/// The state of a client's event connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// Not started yet.
    Idle,
    /// The first connection is being made.
    Connecting,
    /// Connected: events flow.
    Connected,
    /// Between connections (lost or refused for a while): waits poll.
    Retrying,
    /// The provider does not serve the stream here (401/403/404/405, not an event stream): waits
    /// poll, and no reconnection is tried for this client.
    Unavailable,
}

/// What push knows of one job.
#[derive(Debug, PartialEq)]
pub(crate) enum Coverage {
    /// Its completion came.
    Finished(Completion),
    /// The connection up now would carry its completion: wait without polling.
    Covered,
    /// Poll it.
    Uncovered,
}

struct Watched {
    /// The connection under which the job is covered (0: none; connections count from 1).
    epoch: u64,
    completion: Option<Completion>,
    /// Wakes the job's waiters on its completion or a lost connection.
    wake: Arc<Notify>,
}

impl Watched {
    fn new() -> Self {
        Self { epoch: 0, completion: None, wake: Arc::new(Notify::new()) }
    }
}

struct State {
    link: Link,
    /// Counts successful connections; the current one is `epoch` while `link` is `Connected`.
    epoch: u64,
    watched: HashMap<String, Watched>,
    /// Watched ids, oldest first (may hold forgotten ones; pruned as it grows).
    order: VecDeque<String>,
    unclaimed: HashMap<String, Completion>,
    unclaimed_order: VecDeque<String>,
}

impl State {
    /// The entry of `id`, made when missing (the oldest entries go beyond [`MAX_WATCHED`]).
    fn entry(&mut self, id: &str) -> &mut Watched {
        if !self.watched.contains_key(id) {
            let mut watched = Watched::new();
            watched.completion = self.unclaimed.remove(id);
            self.watched.insert(id.to_string(), watched);
            self.order.push_back(id.to_string());
            while self.watched.len() > MAX_WATCHED {
                let Some(old) = self.order.pop_front() else { break };
                self.watched.remove(&old);
            }
            if self.order.len() > 2 * self.watched.len() + 1024 {
                let watched = &self.watched;
                self.order.retain(|i| watched.contains_key(i));
            }
        }
        self.watched.get_mut(id).expect("just inserted")
    }

    fn wake_all(&self) {
        for w in self.watched.values() {
            w.wake.notify_one();
        }
    }
}

/// One client's push state for one provider, shared by its connection task and its waits.
pub(crate) struct Hub {
    state: Mutex<State>,
    /// Bumped when the connection's state changes (for [`Hub::ready`]).
    link_changes: watch::Sender<u64>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

impl Hub {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                link: Link::Idle,
                epoch: 0,
                watched: HashMap::new(),
                order: VecDeque::new(),
                unclaimed: HashMap::new(),
                unclaimed_order: VecDeque::new(),
            }),
            link_changes: watch::channel(0).0,
            task: Mutex::new(None),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_link(&self, link: Link) -> u64 {
        let epoch = {
            let mut st = self.lock();
            if link == Link::Connected {
                st.epoch += 1;
            }
            st.link = link;
            if link != Link::Connected {
                // Every covered job may have lost its event: wake its waiters to poll.
                st.wake_all();
            }
            st.epoch
        };
        self.link_changes.send_modify(|n| *n = n.wrapping_add(1));
        epoch
    }

    /// Starts the connection task once (`spawn` gets a weak handle: the task ends when the
    /// client is dropped). Needs a Tokio runtime.
    pub(crate) fn start<F>(self: &Arc<Self>, spawn: F)
    where
        F: FnOnce(std::sync::Weak<Hub>) -> tokio::task::JoinHandle<()>,
    {
        let mut task = self.task.lock().unwrap_or_else(|p| p.into_inner());
        if task.is_none() {
            self.lock().link = Link::Connecting;
            *task = Some(spawn(Arc::downgrade(self)).abort_handle());
        }
    }

    pub(crate) fn link(&self) -> Link {
        self.lock().link
    }

    /// The current connection's number, when connected.
    pub(crate) fn connected_epoch(&self) -> Option<u64> {
        let st = self.lock();
        (st.link == Link::Connected).then_some(st.epoch)
    }

    /// Waits up to `within` while the first connection is being made; the connection's number
    /// when connected.
    pub(crate) async fn ready(&self, within: Duration) -> Option<u64> {
        let mut changes = self.link_changes.subscribe();
        let wait = async {
            while matches!(self.link(), Link::Connecting | Link::Idle) {
                if changes.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(within, wait).await;
        self.connected_epoch()
    }

    /// What wakes a waiter of `id`: its completion, or a lost connection.
    pub(crate) fn waker(&self, id: &str) -> Arc<Notify> {
        self.lock().entry(id).wake.clone()
    }

    /// Covers `id` under connection `epoch` (taken before its create was sent, or before a poll
    /// found it unfinished). A completion that came before the job was watched is claimed.
    pub(crate) fn watch(&self, id: &str, epoch: u64) {
        let mut st = self.lock();
        let w = st.entry(id);
        w.epoch = w.epoch.max(epoch);
    }

    /// What push knows of `id`.
    pub(crate) fn coverage(&self, id: &str) -> Coverage {
        let st = self.lock();
        match st.watched.get(id) {
            Some(Watched { completion: Some(c), .. }) => Coverage::Finished(c.clone()),
            Some(w) if st.link == Link::Connected && w.epoch == st.epoch => Coverage::Covered,
            _ => Coverage::Uncovered,
        }
    }

    /// Uncovers `id` and wakes its waiters to poll (after a cancellation, which pushes no
    /// event).
    pub(crate) fn uncover(&self, id: &str) {
        if let Some(w) = self.lock().watched.get_mut(id) {
            w.epoch = 0;
            w.wake.notify_one();
        }
    }

    /// Forgets `id` (its wait ended). Another wait on it polls first.
    pub(crate) fn forget(&self, id: &str) {
        self.lock().watched.remove(id);
    }

    // The connection task's side.

    /// A connection is up; its number.
    pub(crate) fn connected(&self) -> u64 {
        self.set_link(Link::Connected)
    }

    /// The connection is gone; another is tried (every watched job is uncovered).
    pub(crate) fn lost(&self) {
        self.set_link(Link::Retrying);
    }

    /// The provider does not serve the stream; waits poll for the rest of the client's life.
    pub(crate) fn unavailable(&self) {
        self.set_link(Link::Unavailable);
    }

    /// A completion event for `id`.
    pub(crate) fn complete(&self, id: &str, completion: Completion) {
        let mut st = self.lock();
        if let Some(w) = st.watched.get_mut(id) {
            w.completion = Some(completion);
            w.wake.notify_one();
            return;
        }
        if st.unclaimed.insert(id.to_string(), completion).is_none() {
            st.unclaimed_order.push_back(id.to_string());
        }
        while st.unclaimed.len() > MAX_UNCLAIMED {
            let Some(old) = st.unclaimed_order.pop_front() else { break };
            st.unclaimed.remove(&old);
        }
        if st.unclaimed_order.len() > 2 * MAX_UNCLAIMED {
            let State { unclaimed, unclaimed_order, .. } = &mut *st;
            unclaimed_order.retain(|i| unclaimed.contains_key(i));
        }
    }
}

/// The status a completion stands for (the provider module adds what the event lacks, such as
/// the cost).
pub(crate) fn status_of(job: &crate::Job, completion: Completion) -> JobStatus {
    match completion {
        Completion::Succeeded { url } => JobStatus::Succeeded(crate::VideoInfo::at_url(job, url)),
        Completion::Failed { message } => JobStatus::Failed(crate::JobError::new(None, message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    #[test]
    fn coverage_follows_the_connection_the_job_was_watched_under() {
        let hub = Hub::new();
        let wake = hub.waker("a");
        assert_eq!(hub.coverage("a"), Coverage::Uncovered, "nothing connected");
        let first = hub.connected();
        assert_eq!(hub.coverage("a"), Coverage::Uncovered, "watched before this connection");
        hub.watch("a", first);
        assert_eq!(hub.coverage("a"), Coverage::Covered);
        hub.lost();
        assert_eq!(hub.coverage("a"), Coverage::Uncovered, "events may have been lost");
        tokio_test_notified(&wake);
        let second = hub.connected();
        assert_eq!(hub.coverage("a"), Coverage::Uncovered, "a poll must come first");
        hub.watch("a", second);
        assert_eq!(hub.coverage("a"), Coverage::Covered);
        hub.complete("a", Completion::Failed { message: "no".into() });
        tokio_test_notified(&wake);
        assert_eq!(hub.coverage("a"), Coverage::Finished(Completion::Failed { message: "no".into() }));
        hub.forget("a");
        assert_eq!(hub.coverage("a"), Coverage::Uncovered);
    }

    #[test]
    fn a_completion_before_the_create_answer_is_claimed() {
        let hub = Hub::new();
        let epoch = hub.connected();
        hub.complete("fast", Completion::Succeeded { url: "https://r/x.mp4".into() });
        hub.watch("fast", epoch);
        assert_eq!(hub.coverage("fast"), Coverage::Finished(Completion::Succeeded { url: "https://r/x.mp4".into() }));
        for i in 0..MAX_UNCLAIMED + 10 {
            hub.complete(&format!("other-{i}"), Completion::Failed { message: String::new() });
        }
        let st = hub.lock();
        assert!(st.unclaimed.len() <= MAX_UNCLAIMED, "unclaimed completions are bounded");
        assert!(st.unclaimed_order.len() <= 2 * MAX_UNCLAIMED + 1);
    }

    /// `wake` holds a wake-up (a completion or a lost connection notified it).
    fn tokio_test_notified(wake: &Notify) {
        let notified = wake.notified();
        let mut notified = std::pin::pin!(notified);
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(notified.as_mut().poll(&mut cx).is_ready(), "the waiter was woken");
    }

    #[tokio::test]
    async fn ready_returns_when_the_first_connection_settles() {
        let hub = Hub::new();
        hub.lock().link = Link::Connecting;
        let waiter = {
            let hub = hub.clone();
            tokio::spawn(async move { hub.ready(Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        let epoch = hub.connected();
        assert_eq!(waiter.await.unwrap(), Some(epoch));
        hub.unavailable();
        assert_eq!(hub.ready(Duration::from_secs(5)).await, None, "unavailable: no wait");
    }
}
