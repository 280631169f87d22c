//! The batch's ledger: what each line's work has reached, kept where a crash cannot lose it,
//! before the step it records goes on. This module owns the vocabulary ([`LineEvent`],
//! [`LineState`], [`Written`]) and the interface ([`Ledger`]); two implementations:
//!
//! - **Embedded** (the default): the JSON Lines journal in the output folder
//!   ([`super::journal::EmbeddedLedger`]), one worker (process) per folder, locked against a
//!   second.
//! - **PostgreSQL** (`--ledger postgres://…`, [`super::postgres::PgLedger`]): one ledger shared
//!   by any number of workers on any number of machines; lines are claimed under a lease that a
//!   heartbeat renews, and a dead worker's lines are taken over when its lease runs out.
//!
//! Either way, the runner asks the ledger for its next line ([`Ledger::claim`]), opens each
//! create through it ([`Ledger::begin_create`]: the caps on creates in flight and the pause
//! after a 429 are the ledger's, so every worker sharing it keeps them, and the intent is kept
//! in the same step), keeps each other step ([`Ledger::record`]) and adopts the jobs a lost
//! create made ([`Ledger::adopt`]), never a job another line owns.

use super::Item;
use crate::exit::{CliError, ExitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;
use videogen::{Cost, Job, Provider};

/// A boxed future of a ledger call (the runner holds the ledger as `dyn Ledger`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What happens to a line. The journaled ones are kept in the journal; all of them go to the
/// progress display and to `--events` (one JSON line each, tagged `event`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LineEvent {
    /// Done in an earlier run; nothing to do (not journaled).
    Skipped,
    /// A create is about to be sent (journaled first: a crash after it means "look it up"),
    /// with the `Idempotency-Key` it carries (sent again with a resumed attempt).
    Submitting {
        at: DateTime<Utc>,
        #[serde(default)]
        idempotency_key: Option<String>,
    },
    /// The create returned these jobs (one per output).
    Submitted { jobs: Vec<Job> },
    /// The create was refused with 429 (nothing was created); it is sent again after
    /// `retry_in_seconds` in this run.
    RateLimited { retry_in_seconds: f64, error: String },
    /// The create was refused otherwise, or rate-limited too often: nothing was created;
    /// `--retry-failed` sends it again in a later run.
    Refused {
        error: String,
        /// The exit code of the error (`videogen --help`), which the batch's own exit weighs.
        #[serde(default)]
        exit_code: Option<u8>,
    },
    /// The create's outcome could not be known (`--resubmit-unknown` may pay twice).
    Unknown { error: String },
    /// A job's status changed (not journaled).
    Status {
        job: String,
        status: String,
        #[serde(default)]
        progress: Option<u8>,
    },
    /// Output `output` (0-based) is written to `file` inside the out folder: `bytes` long, with
    /// this SHA-256 (lowercase hex), so a rerun knows whether the file still holds it;
    /// `simulated` when the built-in simulator made it (not a real video, no cost).
    Done {
        output: usize,
        file: String,
        #[serde(default)]
        cost: Option<Cost>,
        #[serde(default)]
        bytes: Option<u64>,
        #[serde(default)]
        sha256: Option<String>,
        #[serde(default)]
        simulated: bool,
        /// When it was put in place (absent in journals written before it was kept).
        #[serde(default)]
        at: Option<DateTime<Utc>>,
        /// The provider's thumbnail, put beside it (the results page's poster).
        #[serde(default)]
        poster: Option<String>,
    },
    /// The job failed at the provider (content policy, cancelled, expired result);
    /// `--retry-failed-jobs` generates it again (and pays again).
    Failed {
        error: String,
        /// The provider refused the content (its moderation), not a fault of the job.
        #[serde(default)]
        content_policy: bool,
    },
    /// The run stopped following the job (timeout, network); it stays submitted and a rerun
    /// resumes it (not journaled).
    Stopped { error: String },
}

impl LineEvent {
    /// Whether the event is kept in the journal.
    pub fn journaled(&self) -> bool {
        !matches!(self, LineEvent::Skipped | LineEvent::Status { .. } | LineEvent::Stopped { .. })
    }
}

/// One output a line wrote, as its ledger recorded it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    /// The file's name inside the out folder.
    pub file: String,
    /// The cost the provider reported for its job.
    pub cost: Option<Cost>,
    /// Its size in bytes (recorded since the journal kept digests).
    pub bytes: Option<u64>,
    /// Its SHA-256, lowercase hex (recorded since the journal kept digests).
    pub sha256: Option<String>,
    /// Made by the built-in simulator: not a real video, no cost.
    pub simulated: bool,
    /// Written by another worker of a shared ledger, in its own folder.
    pub elsewhere: bool,
    /// When it was put in place, when recorded.
    pub at: Option<DateTime<Utc>>,
    /// The provider's thumbnail beside it, when one was placed.
    pub poster: Option<String>,
}

/// What the journal says of one line's work.
#[derive(Clone, Debug, Default)]
pub struct LineState {
    /// When the last create attempt was journaled, if its outcome was never recorded.
    pub submitting_at: Option<DateTime<Utc>>,
    /// The `Idempotency-Key` of the last create attempt.
    pub idempotency_key: Option<String>,
    /// The jobs the create made.
    pub jobs: Vec<Job>,
    /// The outputs written: output index → what was written.
    pub done: HashMap<usize, Written>,
    /// The job failed at the provider.
    pub failed: Option<String>,
    /// The failure was the provider's content-policy refusal.
    pub content_policy: bool,
    /// The create was refused (nothing created): why, and the exit code of that error.
    pub refused: Option<(String, ExitCode)>,
    /// The create's outcome is unknown.
    pub unknown: bool,
}

impl LineState {
    /// The state after `event`.
    pub fn apply(&mut self, event: LineEvent) {
        match event {
            // A new attempt starts from nothing.
            LineEvent::Submitting { at, idempotency_key } => {
                *self = LineState { submitting_at: Some(at), idempotency_key, ..LineState::default() }
            }
            LineEvent::Submitted { jobs } => {
                self.jobs = jobs;
                self.submitting_at = None;
            }
            // Nothing was created.
            LineEvent::RateLimited { .. } => self.submitting_at = None,
            LineEvent::Refused { error, exit_code } => {
                self.submitting_at = None;
                let code = exit_code.and_then(ExitCode::from_u8).unwrap_or(ExitCode::Failed);
                self.refused = Some((error, code));
            }
            LineEvent::Unknown { .. } => self.unknown = true,
            LineEvent::Done { output, file, cost, bytes, sha256, simulated, at, poster } => {
                self.done
                    .insert(output, Written { file, cost, bytes, sha256, simulated, elsewhere: false, at, poster });
            }
            LineEvent::Failed { error, content_policy } => {
                self.failed = Some(error);
                self.content_policy = content_policy;
            }
            LineEvent::Skipped | LineEvent::Status { .. } | LineEvent::Stopped { .. } => {}
        }
    }
}

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
    pub(crate) _permit: Option<OwnedSemaphorePermit>,
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
pub trait Ledger: Send + Sync {
    /// The next line for this worker, or `None` when none is left for it. On a shared ledger
    /// it waits while lines are held by live workers, whose leases may yet run out.
    fn claim(&self) -> BoxFuture<'_, Result<Option<Claimed>, CliError>>;

    /// Keeps `event` of `item` if it is one the ledger keeps ([`LineEvent::journaled`]); the
    /// others are the display's only. The one entry point for every event but `submitting`
    /// (kept by [`Ledger::begin_create`] in the step that opens the create).
    ///
    /// # Errors
    /// A write that failed, or on a shared ledger a line another worker has taken over (its
    /// lease ran out): this worker must stop working on it.
    fn record<'a>(&'a self, item: &'a Item, event: &'a LineEvent) -> BoxFuture<'a, Result<(), CliError>> {
        if !event.journaled() {
            return Box::pin(std::future::ready(Ok(())));
        }
        self.keep(item, event)
    }

    /// Writes a kept event (called by [`Ledger::record`] only).
    fn keep<'a>(&'a self, item: &'a Item, event: &'a LineEvent) -> BoxFuture<'a, Result<(), CliError>>;

    /// Waits until a create for `item` may be sent — no pause after a 429 is running for its
    /// provider, and fewer than the cap of creates are in flight — and keeps the intent
    /// (`submitting`, with `idempotency_key`) before returning.
    fn begin_create<'a>(
        &'a self,
        item: &'a Item,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<CreateSlot, CliError>>;

    /// Pauses every create to `provider` for `wait` (a 429 was answered), for every worker.
    fn rate_limited(&self, provider: Provider, wait: Duration) -> BoxFuture<'_, Result<(), CliError>>;

    /// Takes, in order, up to one candidate per output of `item` that no line owns, and records
    /// them as the line's jobs (`submitted`) in the same step. Returns the jobs taken.
    fn adopt<'a>(&'a self, item: &'a Item, candidates: Vec<Job>) -> BoxFuture<'a, Result<Vec<Job>, CliError>>;

    /// This worker is done with `item` for this run (whatever its outcome).
    fn release<'a>(&'a self, _item: &'a Item) -> BoxFuture<'a, Result<(), CliError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// What the summary says of a shared ledger: the batch, this worker and the time its lines
    /// spent in ledger statements (`None` for the embedded journal).
    fn describe(&self) -> Option<serde_json::Value> {
        None
    }

    /// This worker stops (every line released).
    fn close(&self) -> BoxFuture<'_, Result<(), CliError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}
