//! Jobs in simulated time, their eviction, and the request counters.
//!
//! A job's status is computed from the time elapsed since its creation (queued for
//! `queued_for`, then running for `processing_for` with progress rising linearly), so no timer
//! runs per job and 10,000 concurrent jobs cost only their map entries.

use crate::faults::FaultBook;
use crate::{Provider, SimConfig};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// How a job ends when it is not cancelled.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Succeeds,
    Fails { code: String, message: String },
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Running { progress: u8 },
    Succeeded,
    Failed,
    Cancelled,
}

impl Phase {
    pub(crate) fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed | Phase::Cancelled)
    }
}

/// One generation job.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub provider: Provider,
    pub id: String,
    pub model: String,
    pub prompt: Option<String>,
    /// The create request's parameters (Oxen merges them into queue rows).
    pub params: Map<String, Value>,
    pub created: Instant,
    pub created_unix: i64,
    pub queued_for: Duration,
    pub processing_for: Duration,
    pub outcome: Outcome,
    pub cancelled: Option<(Instant, i64)>,
    /// OpenAI: `seconds`, `size`, `remixed_from_video_id` as answered.
    pub seconds: String,
    pub size: String,
    pub remixed_from: Option<String>,
    /// VideoDB: the collection the video lands in.
    pub collection_id: String,
    /// VideoDB: a deleted video answers 404.
    pub deleted: bool,
    /// VideoDB: a renamed video's name.
    pub name: Option<String>,
    /// Replicate: the `Cancel-After` deadline, when the job is cancelled unless finished.
    pub deadline: Option<(Instant, i64)>,
}

impl Job {
    /// What this job's result clip looks like ([`crate::clip`]): the length and aspect ratio its
    /// create asked for (OpenAI's `seconds` and `size`; the others' `duration`, `aspect_ratio`,
    /// `size` or `ratio` parameters), coloured from its prompt and id.
    pub(crate) fn clip_spec(&self) -> crate::clip::ClipSpec {
        let number = |v: &Value| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().trim_end_matches('s').parse().ok(),
            _ => None,
        };
        let seconds = self
            .seconds
            .trim()
            .parse::<f64>()
            .ok()
            .or_else(|| ["duration", "seconds"].iter().find_map(|k| self.params.get(*k).and_then(number)));
        let ratio = crate::clip::parse_ratio(&self.size).or_else(|| {
            ["aspect_ratio", "size", "ratio"]
                .iter()
                .find_map(|k| self.params.get(*k).and_then(Value::as_str).and_then(crate::clip::parse_ratio))
        });
        let seed = format!("{}#{}", self.prompt.as_deref().unwrap_or(""), self.id);
        crate::clip::ClipSpec::new(seconds, ratio, &seed)
    }

    pub(crate) fn new(provider: Provider, id: String, model: String, config: &SimConfig) -> Self {
        Self {
            provider,
            id,
            model,
            prompt: None,
            params: Map::new(),
            created: Instant::now(),
            created_unix: unix_now(),
            queued_for: config.queued_for,
            processing_for: config.processing_for,
            outcome: Outcome::Succeeds,
            cancelled: None,
            seconds: String::new(),
            size: String::new(),
            remixed_from: None,
            collection_id: "default".into(),
            deleted: false,
            name: None,
            deadline: None,
        }
    }

    pub(crate) fn finishes_at(&self) -> Instant {
        self.created + self.queued_for + self.processing_for
    }

    pub(crate) fn phase(&self) -> Phase {
        let now = Instant::now();
        if let Some((at, _)) = self.cancelled
            && at < self.finishes_at()
        {
            return Phase::Cancelled;
        }
        if self.deadline_cut().is_some() {
            return Phase::Cancelled;
        }
        let elapsed = now.saturating_duration_since(self.created);
        if elapsed < self.queued_for {
            Phase::Queued
        } else if elapsed < self.queued_for + self.processing_for {
            let ran = (elapsed - self.queued_for).as_secs_f64();
            let total = self.processing_for.as_secs_f64().max(f64::EPSILON);
            Phase::Running { progress: ((ran / total) * 100.0).clamp(0.0, 99.0) as u8 }
        } else {
            match self.outcome {
                Outcome::Succeeds => Phase::Succeeded,
                Outcome::Fails { .. } => Phase::Failed,
            }
        }
    }

    pub(crate) fn started_unix(&self) -> Option<i64> {
        (!matches!(self.phase(), Phase::Queued) && self.cancelled_before_start().is_none())
            .then(|| self.created_unix + self.queued_for.as_secs() as i64)
    }

    fn cancelled_before_start(&self) -> Option<i64> {
        self.cancelled
            .or(self.deadline_cut())
            .filter(|(at, _)| *at < self.created + self.queued_for)
            .map(|(_, unix)| unix)
    }

    /// The deadline, once it has passed before the job finished (and no cancel came first).
    pub(crate) fn deadline_cut(&self) -> Option<(Instant, i64)> {
        let (at, unix) = self.deadline?;
        let first = self.cancelled.is_none_or(|(c, _)| c > at);
        (first && at <= Instant::now() && at < self.finishes_at()).then_some((at, unix))
    }

    pub(crate) fn completed_unix(&self) -> Option<i64> {
        match self.phase() {
            Phase::Succeeded | Phase::Failed => {
                Some(self.created_unix + (self.queued_for + self.processing_for).as_secs_f64().ceil() as i64)
            }
            Phase::Cancelled => self.cancelled.or(self.deadline_cut()).map(|(_, unix)| unix),
            _ => None,
        }
    }

    /// When the result stops being downloadable (Unix seconds), once the job succeeded.
    pub(crate) fn expires_unix(&self, ttl: Duration) -> Option<i64> {
        (self.phase() == Phase::Succeeded)
            .then(|| self.completed_unix().unwrap_or(self.created_unix) + ttl.as_secs() as i64)
    }

    pub(crate) fn expired(&self, ttl: Duration) -> bool {
        self.phase() == Phase::Succeeded && Instant::now() > self.finishes_at() + ttl
    }

    pub(crate) fn error(&self) -> Option<(&str, &str)> {
        match (&self.outcome, self.phase()) {
            (Outcome::Fails { code, message }, Phase::Failed) => Some((code, message)),
            _ => None,
        }
    }
}

/// Request counters, readable by tests through [`crate::Sim::counters`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    /// Create requests received per provider (Oxen enqueue and sync generate, VideoDB generate,
    /// OpenAI create and remix), including those answered with an injected fault.
    pub create_requests: BTreeMap<Provider, u64>,
    /// Jobs actually created per provider (an Oxen enqueue with `num_generations: 3` creates 3).
    pub jobs_created: BTreeMap<Provider, u64>,
    /// Create requests per `Idempotency-Key` header value.
    pub creates_by_idempotency_key: BTreeMap<String, u64>,
    /// Requests per operation, keyed `<provider>.<operationId>` (e.g. `oxen.enqueue_generation`),
    /// plus `results.download` for result URLs.
    pub requests: BTreeMap<String, u64>,
    /// Faults injected so far.
    pub faults_injected: u64,
    /// Faults injected so far per kind (`rate_limited`, `reset_after_processing`, … as
    /// [`crate::FaultKind::name`] names them).
    pub faults_by_kind: BTreeMap<String, u64>,
    /// Creates answered from an earlier create's saved answer (a repeated `Idempotency-Key`):
    /// received, nothing created.
    pub idempotent_replays: u64,
    /// The first [`CREATE_LOG_CAP`] creates not answered from a saved answer, in the order
    /// received: when (milliseconds since the simulator started) and whether it was refused
    /// with an injected 429.
    pub create_log: Vec<CreateLogEntry>,
}

/// How many creates [`Counters::create_log`] keeps: 10,000 (a long benchmark run's counters stay
/// small).
pub const CREATE_LOG_CAP: usize = 10_000;

/// One create in [`Counters::create_log`].
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CreateLogEntry {
    /// Milliseconds since the simulator started.
    pub at_ms: u64,
    /// Refused with an injected 429.
    pub rate_limited: bool,
}

impl Counters {
    /// Create requests received from `provider`'s clients.
    pub fn create_requests(&self, provider: Provider) -> u64 {
        self.create_requests.get(&provider).copied().unwrap_or(0)
    }
    /// Jobs created for `provider`.
    pub fn jobs_created(&self, provider: Provider) -> u64 {
        self.jobs_created.get(&provider).copied().unwrap_or(0)
    }
    /// Requests received for `operation` (`<provider>.<operationId>`).
    pub fn requests(&self, operation: &str) -> u64 {
        self.requests.get(operation).copied().unwrap_or(0)
    }
}

/// What a create answered, kept per `Idempotency-Key` so a repeated key gets the same answer.
#[derive(Clone, Debug)]
pub(crate) struct SavedAnswer {
    pub status: axum::http::StatusCode,
    pub content_type: Option<axum::http::HeaderValue>,
    pub body: bytes::Bytes,
}

impl SavedAnswer {
    pub(crate) fn into_response(self) -> axum::response::Response {
        let mut response = axum::response::Response::new(axum::body::Body::from(self.body));
        *response.status_mut() = self.status;
        if let Some(ct) = self.content_type {
            response.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct);
        }
        response
    }
}

/// How long an idempotency key is remembered: 24 hours.
pub(crate) const IDEMPOTENCY_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A VideoDB collection.
#[derive(Clone, Debug)]
pub(crate) struct Collection {
    pub id: String,
    pub name: String,
    pub description: String,
    pub is_public: bool,
    pub created_unix: i64,
}

pub(crate) struct Inner {
    jobs: HashMap<String, Job>,
    order: VecDeque<String>,
    pub collections: Vec<Collection>,
    counters: Counters,
    answers: HashMap<(Provider, String), (std::time::Instant, SavedAnswer)>,
    answer_order: VecDeque<(Provider, String)>,
}

/// Everything the handlers share.
pub(crate) struct SimState {
    pub config: SimConfig,
    pub addr: SocketAddr,
    pub faults: Mutex<FaultBook>,
    /// Oxen.ai's completion events (`GET /api/events`): each frame goes to the streams connected
    /// when it is sent, as on the real service (no buffering).
    pub oxen_events: tokio::sync::broadcast::Sender<std::sync::Arc<str>>,
    inner: Mutex<Inner>,
    started: Instant,
}

impl SimState {
    pub(crate) fn new(config: SimConfig, addr: SocketAddr) -> Self {
        let faults = FaultBook::new(config.faults.clone(), config.seed);
        let default_collection = Collection {
            id: "default".into(),
            name: "Default collection".into(),
            description: "Created with the account".into(),
            is_public: false,
            created_unix: unix_now(),
        };
        let mut jobs = HashMap::new();
        let mut order = VecDeque::new();
        let mut collections = vec![default_collection];
        if let Some(file) = &config.state_file {
            let saved = crate::persist::load(file);
            let mut loaded: Vec<Job> = saved.jobs.into_values().map(crate::persist::SavedJob::into_job).collect();
            loaded.sort_by_key(|j| j.created);
            for job in loaded {
                order.push_back(job.id.clone());
                jobs.insert(job.id.clone(), job);
            }
            if let Some(saved) = saved.collections {
                collections = saved.into_iter().map(crate::persist::SavedCollection::into_collection).collect();
            }
        }
        Self {
            config,
            addr,
            faults: Mutex::new(faults),
            oxen_events: tokio::sync::broadcast::channel(4096).0,
            started: Instant::now(),
            inner: Mutex::new(Inner {
                jobs,
                order,
                collections,
                counters: Counters::default(),
                answers: HashMap::new(),
                answer_order: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a simulator bug; keep serving with the data.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Result URLs live on `localhost`, another origin than the API's `127.0.0.1`.
    pub(crate) fn result_url(&self, job_id: &str) -> String {
        // AIHubMix's opaque ids are base64 (`/`, `+`, `=`): percent-encoded in the path.
        let encoded: String = job_id
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("http://localhost:{}/results/{encoded}.mp4", self.addr.port())
    }

    pub(crate) fn counters(&self) -> Counters {
        let mut c = self.lock().counters.clone();
        if let Ok(book) = self.faults.lock() {
            c.faults_injected = book.injected();
            c.faults_by_kind = book.injected_by_kind();
        }
        c
    }

    pub(crate) fn jobs_held(&self) -> usize {
        self.lock().jobs.len()
    }

    pub(crate) fn set_faults(&self, rules: Vec<crate::FaultRule>) {
        if let Ok(mut book) = self.faults.lock() {
            *book = FaultBook::new(rules, self.config.seed);
        }
    }

    pub(crate) fn count_request(&self, provider: Provider, operation: &str) {
        *self.lock().counters.requests.entry(format!("{}.{operation}", provider.as_str())).or_default() += 1;
    }

    pub(crate) fn log_create(&self, rate_limited: bool) {
        let at_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let log = &mut self.lock().counters.create_log;
        if log.len() < CREATE_LOG_CAP {
            log.push(CreateLogEntry { at_ms, rate_limited });
        }
    }

    pub(crate) fn count_download(&self) {
        *self.lock().counters.requests.entry("results.download".into()).or_default() += 1;
    }

    pub(crate) fn count_create(&self, provider: Provider, idempotency_key: Option<&str>) {
        let mut inner = self.lock();
        *inner.counters.create_requests.entry(provider).or_default() += 1;
        if let Some(key) = idempotency_key {
            *inner.counters.creates_by_idempotency_key.entry(key.to_string()).or_default() += 1;
        }
    }

    /// The answer a create with this idempotency key got within the last 24 hours.
    pub(crate) fn idempotent_answer(&self, provider: Provider, key: &str) -> Option<SavedAnswer> {
        if !self.config.honour_idempotency_keys {
            return None;
        }
        let mut inner = self.lock();
        let (at, saved) = inner.answers.get(&(provider, key.to_string()))?;
        let saved = (at.elapsed() < IDEMPOTENCY_WINDOW).then(|| saved.clone())?;
        inner.counters.idempotent_replays += 1;
        Some(saved)
    }

    /// Remembers a create's answer for its idempotency key (the oldest go past the job cap).
    pub(crate) fn remember_answer(&self, provider: Provider, key: &str, saved: SavedAnswer) {
        let cap = self.config.finished_job_cap.max(1);
        let mut inner = self.lock();
        let id = (provider, key.to_string());
        if inner.answers.insert(id.clone(), (std::time::Instant::now(), saved)).is_none() {
            inner.answer_order.push_back(id);
        }
        while inner.answers.len() > cap {
            let Some(old) = inner.answer_order.pop_front() else { break };
            inner.answers.remove(&old);
        }
    }

    /// Stores a new job and evicts the oldest finished jobs beyond the cap.
    pub(crate) fn insert(&self, job: Job) {
        self.persist_job(&job);
        let cap = self.config.finished_job_cap;
        let mut inner = self.lock();
        *inner.counters.jobs_created.entry(job.provider).or_default() += 1;
        inner.order.push_back(job.id.clone());
        inner.jobs.insert(job.id.clone(), job);
        if inner.jobs.len() > cap {
            let mut scanned = 0;
            // Evict finished jobs from the oldest end; unfinished ones go to the back.
            while inner.jobs.len() > cap && scanned < inner.order.len() {
                let Some(id) = inner.order.pop_front() else { break };
                scanned += 1;
                let finished = inner.jobs.get(&id).is_none_or(|j| j.phase().is_terminal());
                if finished {
                    inner.jobs.remove(&id);
                } else {
                    inner.order.push_back(id);
                }
            }
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<Job> {
        if let Some(job) = self.lock().jobs.get(id).cloned() {
            return Some(job);
        }
        // Made by another process sharing the state file since this one started?
        self.refresh();
        self.lock().jobs.get(id).cloned()
    }

    /// Applies `f` to job `id`; `None` when there is no such job.
    pub(crate) fn update<T>(&self, id: &str, f: impl FnOnce(&mut Job) -> T) -> Option<T> {
        self.get(id)?;
        let (result, job) = {
            let mut inner = self.lock();
            let job = inner.jobs.get_mut(id)?;
            let result = f(job);
            (result, job.clone())
        };
        self.persist_job(&job);
        Some(result)
    }

    /// Reads the jobs that other processes sharing [`SimConfig::state_file`] have saved (those
    /// this one does not hold).
    pub(crate) fn refresh(&self) {
        let Some(file) = &self.config.state_file else { return };
        let saved = crate::persist::load(file);
        let mut inner = self.lock();
        for (id, job) in saved.jobs {
            if !inner.jobs.contains_key(&id) {
                inner.order.push_back(id.clone());
                inner.jobs.insert(id, job.into_job());
            }
        }
    }

    /// Writes `job` to the state file, when there is one.
    fn persist_job(&self, job: &Job) {
        if let Some(file) = &self.config.state_file {
            let jobs = vec![crate::persist::SavedJob::of(job)];
            crate::persist::save(file, crate::persist::Change { jobs, collections: None });
        }
    }

    /// Changes the collections with `f`, and saves them when there is a state file.
    pub(crate) fn change_collections<T>(&self, f: impl FnOnce(&mut Vec<Collection>) -> T) -> T {
        let (result, saved) = {
            let mut inner = self.lock();
            let result = f(&mut inner.collections);
            (result, inner.collections.iter().map(crate::persist::SavedCollection::of).collect())
        };
        if let Some(file) = &self.config.state_file {
            crate::persist::save(file, crate::persist::Change { jobs: Vec::new(), collections: Some(saved) });
        }
        result
    }

    /// The jobs of `provider` that pass `keep`, oldest first, as a listing shows them: without
    /// the jobs created within [`crate::SimConfig::list_lag`].
    pub(crate) fn jobs_of(&self, provider: Provider, keep: impl Fn(&Job) -> bool) -> Vec<Job> {
        self.refresh();
        let lag = self.config.list_lag;
        let inner = self.lock();
        let mut jobs: Vec<Job> = inner
            .jobs
            .values()
            .filter(|j| j.provider == provider && j.created.elapsed() >= lag && keep(j))
            .cloned()
            .collect();
        jobs.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        jobs
    }

    pub(crate) fn with_inner<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.lock())
    }
}

/// The store's jobs and collections as the state file keeps them, and back.
mod saved {
    use super::{Collection, Job, Outcome};
    use crate::persist::{SavedCollection, SavedJob, SavedOutcome, from_unix_ms, to_unix_ms};
    use std::time::Duration;

    impl SavedJob {
        pub(crate) fn of(job: &Job) -> Self {
            Self {
                provider: job.provider,
                id: job.id.clone(),
                model: job.model.clone(),
                prompt: job.prompt.clone(),
                params: job.params.clone(),
                created_unix_ms: to_unix_ms(job.created),
                created_unix: job.created_unix,
                queued_ms: job.queued_for.as_millis() as u64,
                processing_ms: job.processing_for.as_millis() as u64,
                outcome: match &job.outcome {
                    Outcome::Succeeds => SavedOutcome::Succeeds,
                    Outcome::Fails { code, message } => {
                        SavedOutcome::Fails { code: code.clone(), message: message.clone() }
                    }
                },
                cancelled: job.cancelled.map(|(at, unix)| (to_unix_ms(at), unix)),
                seconds: job.seconds.clone(),
                size: job.size.clone(),
                remixed_from: job.remixed_from.clone(),
                collection_id: job.collection_id.clone(),
                deleted: job.deleted,
                name: job.name.clone(),
                deadline: job.deadline.map(|(at, unix)| (to_unix_ms(at), unix)),
            }
        }

        pub(crate) fn into_job(self) -> Job {
            Job {
                provider: self.provider,
                id: self.id,
                model: self.model,
                prompt: self.prompt,
                params: self.params,
                created: from_unix_ms(self.created_unix_ms),
                created_unix: self.created_unix,
                queued_for: Duration::from_millis(self.queued_ms),
                processing_for: Duration::from_millis(self.processing_ms),
                outcome: match self.outcome {
                    SavedOutcome::Succeeds => Outcome::Succeeds,
                    SavedOutcome::Fails { code, message } => Outcome::Fails { code, message },
                },
                cancelled: self.cancelled.map(|(ms, unix)| (from_unix_ms(ms), unix)),
                seconds: self.seconds,
                size: self.size,
                remixed_from: self.remixed_from,
                collection_id: self.collection_id,
                deleted: self.deleted,
                name: self.name,
                deadline: self.deadline.map(|(ms, unix)| (from_unix_ms(ms), unix)),
            }
        }
    }

    impl SavedCollection {
        pub(crate) fn of(c: &Collection) -> Self {
            Self {
                id: c.id.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                is_public: c.is_public,
                created_unix: c.created_unix,
            }
        }

        pub(crate) fn into_collection(self) -> Collection {
            Collection {
                id: self.id,
                name: self.name,
                description: self.description,
                is_public: self.is_public,
                created_unix: self.created_unix,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(cap: usize) -> SimConfig {
        SimConfig {
            queued_for: Duration::from_millis(0),
            processing_for: Duration::from_millis(0),
            finished_job_cap: cap,
            ..SimConfig::default()
        }
    }

    #[test]
    fn phases_follow_elapsed_time() {
        let cfg = SimConfig {
            queued_for: Duration::from_secs(100),
            processing_for: Duration::from_secs(100),
            ..SimConfig::default()
        };
        let mut job = Job::new(Provider::Oxen, "a".into(), "m".into(), &cfg);
        assert_eq!(job.phase(), Phase::Queued);
        job.created -= Duration::from_secs(150);
        assert_eq!(job.phase(), Phase::Running { progress: 50 });
        job.created -= Duration::from_secs(100);
        assert_eq!(job.phase(), Phase::Succeeded);
        job.outcome = Outcome::Fails { code: "x".into(), message: "y".into() };
        assert_eq!(job.phase(), Phase::Failed);
        assert_eq!(job.error(), Some(("x", "y")));
    }

    #[test]
    fn finished_jobs_are_evicted_past_the_cap() {
        let state = SimState::new(config(3), "127.0.0.1:1".parse().unwrap());
        for i in 0..10 {
            state.insert(Job::new(Provider::OpenAi, format!("video_{i}"), "sora-2".into(), &state.config));
        }
        assert_eq!(state.jobs_held(), 3);
        assert!(state.get("video_9").is_some() && state.get("video_0").is_none());
        assert_eq!(state.counters().jobs_created(Provider::OpenAi), 10);
    }

    #[test]
    fn unfinished_jobs_are_kept() {
        let mut cfg = config(2);
        cfg.queued_for = Duration::from_secs(3600);
        let state = SimState::new(cfg, "127.0.0.1:1".parse().unwrap());
        for i in 0..5 {
            state.insert(Job::new(Provider::Oxen, format!("j{i}"), "m".into(), &state.config));
        }
        assert_eq!(state.jobs_held(), 5);
    }
}
