//! The batch's ledger: what each line's work has reached, kept where a crash cannot lose it,
//! before the step it records goes on. Two kinds, one interface ([`Ledger`]):
//!
//! - **Embedded** (the default): the JSON Lines journal in the output folder
//!   ([`super::journal::Journal`]), one worker (process) per folder, locked against a second.
//! - **PostgreSQL** (`--ledger postgres://…`, [`super::postgres::PgLedger`]): one ledger shared
//!   by any number of workers on any number of machines; lines are claimed under a lease that a
//!   heartbeat renews, and a dead worker's lines are taken over when its lease runs out.
//!
//! Either way, the runner asks the ledger for its next line ([`Ledger::claim`]), opens each
//! create through it ([`Ledger::begin_create`]: the caps on creates in flight and the pause
//! after a 429 are the ledger's, so every worker sharing it keeps them), records each step
//! ([`Ledger::record`]) and adopts the jobs a lost create made ([`Ledger::adopt`]), never a job
//! another line owns.

use super::Item;
use super::journal::{Journal, LineEvent, LineState};
use super::postgres::PgLedger;
use crate::exit::CliError;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use videogen::{Job, Provider};

/// A line claimed for work: its index in the batch's items and what the ledger says of it.
#[derive(Debug)]
pub struct Claimed {
    /// Index into the batch's items.
    pub index: usize,
    /// The line's state so far.
    pub state: LineState,
}

/// Held while a create is in flight; dropping it frees the slot (embedded ledger; on a shared
/// ledger the slot is the line's `submitting` state).
pub struct CreateSlot {
    _permit: Option<OwnedSemaphorePermit>,
    /// When the intent was recorded (the lookup of a lost create starts there).
    pub at: DateTime<Utc>,
}

impl CreateSlot {
    /// A slot without a local permit, opened at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self { _permit: None, at }
    }
}

/// Where the batch keeps its state.
pub enum Ledger {
    /// The journal in the output folder.
    Embedded(Box<EmbeddedLedger>),
    /// A PostgreSQL database shared by many workers.
    Postgres(Box<PgLedger>),
}

impl Ledger {
    /// The next line for this worker, or `None` when none is left for it. On a shared ledger
    /// it waits while lines are held by live workers, whose leases may yet run out.
    pub async fn claim(&self) -> Result<Option<Claimed>, CliError> {
        match self {
            Ledger::Embedded(l) => Ok(l.claim()),
            Ledger::Postgres(l) => l.claim().await,
        }
    }

    /// Records `event` of `item` (journaled events only).
    ///
    /// # Errors
    /// A write that failed, or on a shared ledger a line another worker has taken over (its
    /// lease ran out): this worker must stop working on it.
    pub async fn record(&self, item: &Item, event: &LineEvent) -> Result<(), CliError> {
        if !event.journaled() {
            return Ok(());
        }
        match self {
            Ledger::Embedded(l) => l.record(item, event),
            Ledger::Postgres(l) => l.record(item, event).await,
        }
    }

    /// Waits until a create for `item` may be sent — no pause after a 429 is running for its
    /// provider, and fewer than the cap of creates are in flight — and records the intent
    /// (`submitting`, with `idempotency_key`) before returning.
    pub async fn begin_create(&self, item: &Item, idempotency_key: &str) -> Result<CreateSlot, CliError> {
        match self {
            Ledger::Embedded(l) => l.begin_create(item, idempotency_key).await,
            Ledger::Postgres(l) => l.begin_create(item, idempotency_key).await,
        }
    }

    /// Pauses every create to `provider` for `wait` (a 429 was answered), for every worker.
    pub async fn rate_limited(&self, provider: Provider, wait: Duration) -> Result<(), CliError> {
        match self {
            Ledger::Embedded(l) => {
                l.gate.pause(provider, wait);
                Ok(())
            }
            Ledger::Postgres(l) => l.rate_limited(provider, wait).await,
        }
    }

    /// Takes, in order, up to one candidate per output of `item` that no line owns, and records
    /// them as the line's jobs (`submitted`) in the same step. Returns the jobs taken.
    pub async fn adopt(&self, item: &Item, candidates: Vec<Job>) -> Result<Vec<Job>, CliError> {
        match self {
            Ledger::Embedded(l) => l.adopt(item, candidates),
            Ledger::Postgres(l) => l.adopt(item, candidates).await,
        }
    }

    /// This worker is done with `item` for this run (whatever its outcome).
    pub async fn release(&self, item: &Item) -> Result<(), CliError> {
        match self {
            Ledger::Embedded(_) => Ok(()),
            Ledger::Postgres(l) => l.release(item).await,
        }
    }

    /// What the summary says of a shared ledger: the batch, this worker and the time its lines
    /// spent in ledger statements (`None` for the embedded journal).
    pub fn describe(&self) -> Option<serde_json::Value> {
        match self {
            Ledger::Embedded(_) => None,
            Ledger::Postgres(l) => Some(serde_json::json!({
                "kind": "postgres",
                "batch_id": l.batch_id(),
                "worker": l.worker_id(),
                "statement_seconds": l.busy_time().as_secs_f64(),
            })),
        }
    }

    /// This worker stops (every line released).
    pub async fn close(&self) -> Result<(), CliError> {
        match self {
            Ledger::Embedded(_) => Ok(()),
            Ledger::Postgres(l) => l.close().await,
        }
    }
}

/// The caps of one worker process: a pause per provider after a 429, and at most `cap` creates
/// in flight per provider.
pub struct Gate {
    paused_until: Mutex<HashMap<Provider, Instant>>,
    slots: Mutex<HashMap<Provider, Arc<Semaphore>>>,
    cap: Option<usize>,
}

impl Gate {
    /// A gate allowing `cap` creates in flight per provider (`None`: no cap).
    pub fn new(cap: Option<usize>) -> Self {
        Self { paused_until: Mutex::new(HashMap::new()), slots: Mutex::new(HashMap::new()), cap }
    }

    fn pause(&self, provider: Provider, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        let entry = paused.entry(provider).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// Waits out the provider's pause, then takes a slot.
    async fn enter(&self, provider: Provider) -> Option<OwnedSemaphorePermit> {
        loop {
            let until = self.paused_until.lock().unwrap_or_else(|p| p.into_inner()).get(&provider).copied();
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => break,
            }
        }
        let cap = self.cap?;
        let semaphore = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(provider)
            .or_insert_with(|| Arc::new(Semaphore::new(cap)))
            .clone();
        semaphore.acquire_owned().await.ok()
    }
}

/// The embedded ledger: the journal, the lines in file order, the jobs some line owns.
pub struct EmbeddedLedger {
    journal: Journal,
    queue: Mutex<VecDeque<(usize, LineState)>>,
    /// Jobs some line owns, so a lost create's lookup never adopts another line's job.
    owned: Mutex<HashSet<String>>,
    gate: Gate,
}

impl EmbeddedLedger {
    /// The ledger over `journal` and its replayed `states`, for `items`.
    pub fn new(
        journal: Journal,
        items: &[Item],
        states: &HashMap<String, LineState>,
        max_creates_in_flight: Option<usize>,
    ) -> Self {
        let owned = states.values().flat_map(|s| s.jobs.iter().map(Job::short_form)).collect();
        let queue = items.iter().enumerate().map(|(i, item)| (i, states.get(&item.key).cloned().unwrap_or_default()));
        Self {
            journal,
            queue: Mutex::new(queue.collect()),
            owned: Mutex::new(owned),
            gate: Gate::new(max_creates_in_flight),
        }
    }

    fn claim(&self) -> Option<Claimed> {
        let (index, state) = self.queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front()?;
        Some(Claimed { index, state })
    }

    fn record(&self, item: &Item, event: &LineEvent) -> Result<(), CliError> {
        if let LineEvent::Submitted { jobs } = event {
            self.owned.lock().unwrap_or_else(|p| p.into_inner()).extend(jobs.iter().map(Job::short_form));
        }
        self.journal.append(item, event)
    }

    async fn begin_create(&self, item: &Item, idempotency_key: &str) -> Result<CreateSlot, CliError> {
        let permit = self.gate.enter(item.request.provider).await;
        let at = Utc::now();
        self.journal.append(item, &LineEvent::Submitting { at, idempotency_key: Some(idempotency_key.to_string()) })?;
        Ok(CreateSlot { _permit: permit, at })
    }

    fn adopt(&self, item: &Item, candidates: Vec<Job>) -> Result<Vec<Job>, CliError> {
        let taken: Vec<Job> = {
            let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
            candidates.into_iter().filter(|j| owned.insert(j.short_form())).take(item.outs.len()).collect()
        };
        if !taken.is_empty() {
            self.journal.append(item, &LineEvent::Submitted { jobs: taken.clone() })?;
        }
        Ok(taken)
    }
}
