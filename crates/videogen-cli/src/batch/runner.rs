//! The [`Runner`]: takes lines from the [`Ledger`] and runs each one's work — create (429s
//! retried in this run, a lost answer looked up in the provider's job list), wait (each
//! provider at its own interval, or through its completion events), download — recording every
//! step in the ledger and reporting it to the progress display.

use super::Item;
use super::files;
use super::ledger::{Ledger, LineEvent, LineState, Written};
use super::progress::{Outcome, Progress};
use crate::context::Context;
use crate::exit::{CliError, ExitCode};
use crate::output;
use crate::waiting::{WaitOptions, wait_policy};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use videogen::{Client, Error, Job, Operation, WaitEvent, WaitPolicy};

/// How often a create refused with 429 is sent again in the same run: 12 more rounds, each
/// after the library's retry schedule (the clamped `Retry-After`, or the backoff; at least
/// 1 s), during which every create of the ledger to that provider waits ([`LinePause`]).
pub const MAX_RATE_LIMITED_ROUNDS: usize = 12;

/// The shortest wait before a rate-limited create is sent again: 1 second.
const MIN_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// The longest a line waits for its video's thumbnail (the results page's poster): 30 s.
const POSTER_WITHIN: Duration = Duration::from_secs(30);

/// How long a lost create is looked for in the provider's job list before its line is reported
/// unknown: 20 s (`--lookup-window`). Lists lag behind creates, so one empty look proves nothing.
pub const DEFAULT_LOOKUP_WINDOW: Duration = Duration::from_secs(20);

/// What a rerun does with lines an earlier run left unfinished.
#[derive(Clone, Debug, Default)]
pub struct RerunOptions {
    /// Send again the creates whose outcome is unknown and that the job list did not show within
    /// the look-up window (may pay twice: no provider documents honouring an idempotency key).
    pub resubmit_unknown: bool,
    /// How long a lost create is looked for in the job list ([`DEFAULT_LOOKUP_WINDOW`] when
    /// `None`).
    pub lookup_window: Option<Duration>,
    /// Send again the creates that were refused (nothing was created).
    pub retry_failed: bool,
    /// Generate again the lines whose job failed at the provider (pays again).
    pub retry_failed_jobs: bool,
}

/// What a [`Runner`] runs with.
pub struct RunnerParts {
    /// The client, and which providers are simulated.
    pub ctx: Context,
    /// Where the lines' states are kept.
    pub ledger: Box<dyn Ledger>,
    /// The display and `--events`.
    pub progress: Arc<Progress>,
    /// Where the videos go.
    pub out_dir: PathBuf,
    /// The waits' bounds and intervals.
    pub wait: WaitOptions,
    /// What a rerun does with earlier lines.
    pub rerun: RerunOptions,
    /// `true` once the batch is asked to stop (SIGINT or SIGTERM).
    pub stop: tokio::sync::watch::Receiver<bool>,
    /// `--max-cost`: the run's budget, checked before each create.
    pub budget: Option<crate::budget::Budget>,
}

/// Runs a batch's lines.
pub struct Runner {
    ctx: Context,
    ledger: Box<dyn Ledger>,
    progress: Arc<Progress>,
    out_dir: PathBuf,
    wait: WaitOptions,
    rerun: RerunOptions,
    /// `true` once the batch is asked to stop (SIGINT or SIGTERM): no new line or create starts,
    /// and waits and downloads end with their job recorded.
    stop: tokio::sync::watch::Receiver<bool>,
    budget: Option<crate::budget::Budget>,
}

impl Runner {
    /// A runner of `parts`.
    pub fn new(parts: RunnerParts) -> Self {
        let RunnerParts { ctx, ledger, progress, out_dir, wait, rerun, stop, budget } = parts;
        Self { ctx, ledger, progress, out_dir, wait, rerun, stop, budget }
    }

    /// Whether the batch was asked to stop.
    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves when the batch is asked to stop (never, if it is not).
    async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|s| *s).await;
        if !*stop.borrow() {
            std::future::pending::<()>().await;
        }
    }

    /// The ledger the runner records in.
    pub fn ledger(&self) -> &dyn Ledger {
        &*self.ledger
    }

    /// Runs the lines the ledger hands out, `concurrency` at a time, until it has none left for
    /// this worker; returns each line's outcome.
    ///
    /// # Errors
    /// The ledger could not be read (the lines taken so far stay recorded).
    pub async fn run(&self, items: &[Item], concurrency: usize) -> Result<Vec<(usize, Outcome)>, CliError> {
        let results = Mutex::new(Vec::new());
        let lane = || async {
            while !self.stopping()
                && let Some(claimed) = self.ledger.claim().await?
            {
                let item = &items[claimed.index];
                let outcome = self.line(item, claimed.state).await;
                self.ledger.release(item).await?;
                results.lock().unwrap_or_else(|p| p.into_inner()).push((item.number, outcome));
            }
            Ok::<_, CliError>(())
        };
        let lanes = futures::future::join_all((0..concurrency).map(|_| lane())).await;
        match lanes.into_iter().find_map(Result::err) {
            Some(e) => Err(e),
            None => Ok(results.into_inner().unwrap_or_else(|p| p.into_inner())),
        }
    }

    /// Whether an output recorded as written still holds the line's video: the same bytes in
    /// this folder ([`files::holds`]), or written by another worker of a shared ledger.
    async fn holds(&self, written: &Written) -> bool {
        let (dir, written) = (self.out_dir.clone(), written.clone());
        tokio::task::spawn_blocking(move || files::holds(&dir, &written)).await.unwrap_or(false)
    }

    async fn line(&self, item: &Item, state: LineState) -> Outcome {
        // Which recorded outputs still hold their bytes: read once, here, for the whole line.
        let mut held = vec![false; item.outs.len()];
        for (i, held) in held.iter_mut().enumerate() {
            match state.done.get(&i) {
                Some(written) if self.holds(written).await => *held = true,
                // Changed since: the line is not done, and the file is not ours to replace.
                Some(written) if std::fs::symlink_metadata(self.out_dir.join(&written.file)).is_ok() => {
                    output::err(&format!(
                        "line {}: {} no longer holds the video this batch wrote there; it is kept, and the video is written under a free name",
                        item.number,
                        output::clean(&written.file)
                    ));
                }
                // Recorded but absent (a run stopped before putting it in place), or never written.
                Some(_) | None => {}
            }
        }
        if held.iter().all(|h| *h) {
            // A run stopped after putting a file in place, before removing its staged copy.
            for i in 0..item.outs.len() {
                let staged = self.out_dir.join(files::staging_name(&item.key, i));
                let _ = std::fs::remove_file(files::poster_staging(&staged));
                let _ = std::fs::remove_file(staged);
            }
            self.progress.event(item, &LineEvent::Skipped);
            let mut written: Vec<(usize, &Written)> = state.done.iter().map(|(i, w)| (*i, w)).collect();
            written.sort_by_key(|(i, _)| *i);
            let outcome = Outcome::Done {
                files: written.iter().map(|(_, w)| w.file.clone()).collect(),
                costs: written.iter().filter(|(_, w)| !w.simulated).filter_map(|(_, w)| w.cost.clone()).collect(),
                skipped: true,
                simulated: written.iter().any(|(_, w)| w.simulated),
            };
            self.progress.ended(item, &outcome);
            return outcome;
        }
        self.progress.started(item);
        let outcome = self.work(item, state, &held).await.unwrap_or_else(|e| Outcome::Stopped(e.message, e.code));
        self.progress.ended(item, &outcome);
        outcome
    }

    /// Records `event` in the ledger (when it is kept) and shows it.
    async fn record(&self, item: &Item, event: LineEvent) -> Result<(), CliError> {
        self.ledger.record(item, &event).await?;
        self.progress.event(item, &event);
        Ok(())
    }

    async fn work(&self, item: &Item, mut state: LineState, held: &[bool]) -> Result<Outcome, CliError> {
        if let Some(error) = &state.failed {
            if !self.rerun.retry_failed_jobs {
                return Ok(Outcome::Failed(error.clone()));
            }
            state = LineState::default();
        }
        if let Some((error, code)) = &state.refused {
            if !self.rerun.retry_failed {
                return Ok(Outcome::Refused(error.clone(), *code));
            }
            state = LineState::default();
        }
        let jobs = if !state.jobs.is_empty() {
            state.jobs.clone()
        } else {
            let in_flight = state.submitting_at.is_some() || state.unknown;
            let adopted = if in_flight { self.look_up_within(item, state.submitting_at).await? } else { Vec::new() };
            if !adopted.is_empty() {
                adopted
            } else if in_flight && !self.rerun.resubmit_unknown {
                // Never taken as proof that nothing was created: the job may exist and be paid
                // for. Only the user's explicit --resubmit-unknown sends the create again.
                let why = if listable(item) {
                    let lag = if Client::supports(item.request.provider, Operation::ListUnfinished) {
                        "lists lag"
                    } else {
                        "it lists a video once it is finished"
                    };
                    format!(
                        "the create's answer was lost and {}'s list did not show the job within {} s ({lag})",
                        item.request.provider,
                        self.lookup_window().as_secs_f64()
                    )
                } else {
                    format!(
                        "the create was in flight when the last run stopped and {} has no job list to look it up in",
                        item.request.provider
                    )
                };
                return Ok(Outcome::Unknown(format!(
                    "{why}; look with `videogen list -p {}`, rerun to look again, or --resubmit-unknown to create it again (may pay twice)",
                    item.request.provider
                )));
            } else if self.stopping() {
                return Ok(Outcome::Stopped(
                    "interrupted before its create was sent; rerun to generate it".into(),
                    ExitCode::Interrupted,
                ));
            } else {
                // A create resumed after a lost answer carries the first one's idempotency key.
                let key = if in_flight { state.idempotency_key.clone() } else { None };
                let key = key.unwrap_or_else(new_idempotency_key);
                // --max-cost: the line's estimate is reserved before anything is sent.
                let reservation = match &self.budget {
                    Some(budget) => {
                        let estimate = crate::budget::estimate(&self.ctx.client, &item.request).await?;
                        match budget.reserve(estimate.as_ref()) {
                            Ok(reservation) => Some((budget, reservation)),
                            Err(why) => return Ok(Outcome::Stopped(why, ExitCode::Usage)),
                        }
                    }
                    None => None,
                };
                let settle = |reported: Option<&[videogen::Cost]>, released: bool| {
                    if let Some((budget, reservation)) = reservation {
                        budget.settle(reservation, reported, released);
                    }
                };
                let jobs = match self.create(item, &key).await {
                    Ok(Ok(jobs)) => jobs,
                    Ok(Err(outcome)) => {
                        // A refused create made nothing: its share is released.
                        settle(None, matches!(outcome, Outcome::Refused(..)));
                        return Ok(outcome);
                    }
                    Err(e) => {
                        settle(None, false);
                        return Err(e);
                    }
                };
                let outcome = self.finish(item, &jobs, &state, held).await;
                settle(
                    match &outcome {
                        Ok(Outcome::Done { costs, simulated: false, .. }) => Some(costs.as_slice()),
                        _ => None,
                    },
                    false,
                );
                return outcome;
            }
        };
        self.finish(item, &jobs, &state, held).await
    }

    /// Sends the create under `idempotency_key` once the ledger lets it go (the intent is
    /// recorded first). A 429 (nothing created) is sent again by the library on its retry
    /// schedule, up to [`MAX_RATE_LIMITED_ROUNDS`] times, its wait going through the ledger
    /// ([`LinePause`]: every worker's creates to that provider pause). A lost answer is looked
    /// up in the provider's job list at once; it is never sent again in this run.
    async fn create(&self, item: &Item, idempotency_key: &str) -> Result<Result<Vec<Job>, Outcome>, CliError> {
        let request = item.request.clone().idempotency_key(idempotency_key);
        let slot = self.ledger.begin_create(item, idempotency_key).await?;
        let started = slot.at;
        self.progress
            .event(item, &LineEvent::Submitting { at: slot.at, idempotency_key: Some(idempotency_key.to_string()) });
        let pause =
            LinePause { runner: self, item, idempotency_key, slot: Mutex::new(Some(slot)), failed: Mutex::new(None) };
        let result = self.ctx.client.submit_many_paced(&request, &pause).await;
        let LinePause { slot, failed, .. } = pause;
        drop(slot);
        if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        match result {
            Ok(jobs) => {
                self.record(item, LineEvent::Submitted { jobs: jobs.clone() }).await?;
                Ok(Ok(jobs))
            }
            Err(e @ Error::OutcomeUnknown { .. }) => {
                self.record(item, LineEvent::Unknown { error: e.to_string() }).await?;
                let adopted = self.look_up_within(item, Some(started)).await.unwrap_or_else(|l| {
                    tracing::warn!(error = %l.full_text(), "the job list could not be read");
                    Vec::new()
                });
                if !adopted.is_empty() {
                    return Ok(Ok(adopted));
                }
                Ok(Err(Outcome::Unknown(e.to_string())))
            }
            // Every other create error created nothing (the library reports a create that may
            // have made a job as OutcomeUnknown); a 429 here is one past the last round.
            Err(e) => {
                let code = ExitCode::of(&e);
                self.record(item, LineEvent::Refused { error: e.to_string(), exit_code: Some(code as u8) }).await?;
                Ok(Err(Outcome::Refused(e.to_string(), code)))
            }
        }
    }

    /// Waits for each job and downloads its output (outputs written before and still `held` are
    /// kept).
    async fn finish(&self, item: &Item, jobs: &[Job], state: &LineState, held: &[bool]) -> Result<Outcome, CliError> {
        let provider = item.request.provider;
        let policy = wait_policy(provider, &self.wait, self.ctx.simulated(provider))?;
        let simulated = self.ctx.simulated(provider);
        let mut files = Vec::new();
        let mut costs = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            if let Some(written) = state.done.get(&i)
                && held.get(i).copied().unwrap_or(false)
            {
                files.push(written.file.clone());
                costs.extend(written.cost.clone().filter(|_| !written.simulated));
                continue;
            }
            let preferred = item.outs.get(i).cloned().unwrap_or_else(|| format!("{:04}-{}.mp4", item.number, i + 1));
            let staging = self.out_dir.join(files::staging_name(&item.key, i));
            // A partial download of this job (a run killed while downloading) is resumed with Range.
            let work = async {
                // A run stopped between recording the file and putting it in place left it staged.
                if let Some(written) = state.done.get(&i)
                    && let Some((bytes, sha256)) = staged(&staging, written).await
                {
                    return Ok((written.cost.clone(), bytes, sha256, None));
                }
                let video = self.follow(item, job, policy).await?;
                // The staging name is this line's own: a stale file there is replaced.
                video.download_to(&staging).await?;
                let (bytes, sha256) = digest(&staging).await.map_err(|source| Error::Io {
                    path: staging.display().to_string(),
                    source,
                    job: Some(Box::new(job.clone())),
                })?;
                // The provider's thumbnail, for the results page's poster (best effort: the
                // video is what the line is for).
                let poster = if Client::supports(item.request.provider, Operation::Thumbnail) {
                    let at = files::poster_staging(&staging);
                    // At most POSTER_WITHIN: a thumbnail never holds up the line for long.
                    match video.download_variant_to_within(videogen::Variant::Thumbnail, &at, POSTER_WITHIN).await {
                        Ok(_) => Some(at),
                        Err(e) => {
                            tracing::debug!(error = %e, "no thumbnail for the results page");
                            None
                        }
                    }
                } else {
                    None
                };
                Ok::<_, Error>((video.cost.clone(), bytes, sha256, poster))
            };
            let result = tokio::select! {
                result = work => result,
                () = self.stopped() => {
                    // The job goes on at the provider; the ledger has it, and a rerun resumes it.
                    let error = format!("interrupted; the job goes on at the provider (rerun to resume job {})", job.short_form());
                    self.record(item, LineEvent::Stopped { error: error.clone() }).await?;
                    return Ok(Outcome::Stopped(error, ExitCode::Interrupted));
                }
            };
            match result {
                Ok((cost, bytes, sha256, poster)) => {
                    let placed = self
                        .place(item, i, &staging, &preferred, cost.clone(), bytes, sha256, simulated, poster.as_deref())
                        .await?;
                    let out = match placed {
                        Ok(out) => out,
                        Err(e) => {
                            let error = format!("{e} (rerun to write it; job {})", job.short_form());
                            self.record(item, LineEvent::Stopped { error: error.clone() }).await?;
                            return Ok(Outcome::Stopped(error, ExitCode::Failed));
                        }
                    };
                    files.push(out);
                    // A simulated job's cost is the simulator's figure, never money.
                    costs.extend(cost.filter(|_| !simulated));
                }
                Err(
                    e @ (Error::JobFailed { .. }
                    | Error::ContentPolicy { .. }
                    | Error::Cancelled { .. }
                    | Error::Expired { .. }),
                ) => {
                    let content_policy = match &e {
                        Error::ContentPolicy { .. } => true,
                        Error::JobFailed { error, .. } => error.content_policy,
                        _ => false,
                    };
                    self.record(item, LineEvent::Failed { error: e.to_string(), content_policy }).await?;
                    return Ok(Outcome::Failed(e.to_string()));
                }
                // Timeouts, network trouble: the job stays submitted; a rerun resumes it.
                Err(e) => {
                    let error = format!("{e} (rerun to resume job {})", job.short_form());
                    self.record(item, LineEvent::Stopped { error: error.clone() }).await?;
                    return Ok(Outcome::Stopped(error, ExitCode::of(&e)));
                }
            }
        }
        Ok(Outcome::Done { files, costs, skipped: false, simulated })
    }

    /// Puts the staged output in place under `preferred`, or the next free name when that one
    /// is taken, then records it (name, size, SHA-256): put there without replacing anything (a
    /// hard link, refused when the name exists), recorded once it is there, so the ledger never
    /// says "done" for a file that is not in place (a shared ledger hands a done line to no
    /// worker again). A run stopped between the two finds the line not done, downloads the
    /// video again and adopts the file at its name, which holds these very bytes.
    #[allow(clippy::too_many_arguments)]
    async fn place(
        &self,
        item: &Item,
        output: usize,
        staging: &Path,
        preferred: &str,
        cost: Option<videogen::Cost>,
        bytes: u64,
        sha256: String,
        simulated: bool,
        poster: Option<&Path>,
    ) -> Result<Result<String, std::io::Error>, CliError> {
        let mut placed = None;
        for attempt in 0..16 {
            // The line's own name holding these very bytes (put there by a worker that lost its
            // lease meanwhile, or by a run stopped before it recorded them) is the file.
            if attempt == 0 && same_bytes(&self.out_dir.join(preferred), bytes, &sha256).await {
                placed = Some(preferred.to_string());
                break;
            }
            let Some(out) = files::free_name(&self.out_dir, preferred) else { break };
            let (from, to) = (staging.to_path_buf(), self.out_dir.join(&out));
            let linked = tokio::task::spawn_blocking(move || videogen::place_without_replacing(&from, &to))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            match linked {
                Ok(()) => {
                    placed = Some(out);
                    break;
                }
                // The same bytes there already (this line's output, put in place by a worker that
                // lost its lease meanwhile): that is the file.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if same_bytes(&self.out_dir.join(&out), bytes, &sha256).await {
                        placed = Some(out);
                        break;
                    }
                    // Another file appeared at that name meanwhile: kept; the next free name is used.
                }
                Err(e) => return Ok(Err(e)),
            }
        }
        let Some(out) = placed else {
            return Ok(Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("no free name left beside {preferred}"),
            )));
        };
        // The provider's thumbnail beside it (the results page's poster), never over a file.
        let poster = match poster {
            Some(staged) => {
                let (dir, out, staged) = (self.out_dir.clone(), out.clone(), staged.to_path_buf());
                tokio::task::spawn_blocking(move || files::place_poster(&dir, &out, &staged)).await.unwrap_or(None)
            }
            None => None,
        };
        let done = LineEvent::Done {
            output,
            file: out.clone(),
            cost,
            bytes: Some(bytes),
            sha256: Some(sha256),
            simulated,
            at: Some(chrono::Utc::now()),
            poster,
        };
        self.record(item, done).await?;
        let _ = tokio::fs::remove_file(staging).await;
        Ok(Ok(out))
    }

    /// Waits for `job`, reporting each status change.
    async fn follow(&self, item: &Item, job: &Job, policy: WaitPolicy) -> Result<videogen::Video, Error> {
        self.ctx
            .client
            .wait_with(job, policy, |event| {
                if let WaitEvent::Status { status, progress, raw_status, .. } = event {
                    let status = raw_status.as_ref().map_or(status.clone(), |raw| format!("{status} ({raw})"));
                    let progress = *progress;
                    self.progress.event(item, &LineEvent::Status { job: job.short_form(), status, progress });
                }
            })
            .await
    }

    fn lookup_window(&self) -> Duration {
        self.rerun.lookup_window.unwrap_or(DEFAULT_LOOKUP_WINDOW)
    }

    /// [`Runner::look_up`], again after 1, 2, 4 … s while the list shows nothing, until the
    /// look-up window has passed: a job list lags behind creates.
    async fn look_up_within(
        &self,
        item: &Item,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<Job>, CliError> {
        if !listable(item) {
            return Ok(Vec::new());
        }
        let window = self.lookup_window();
        let started = std::time::Instant::now();
        let mut pause = Duration::from_secs(1);
        loop {
            let found = self.look_up(item, since).await?;
            let left = window.saturating_sub(started.elapsed());
            if !found.is_empty() || left.is_zero() || self.stopping() {
                return Ok(found);
            }
            // A stop request ends the look: the line stays unknown, and a rerun looks again.
            tokio::select! {
                () = tokio::time::sleep(pause.min(left)) => {}
                () = self.stopped() => {}
            }
            pause = (pause * 2).min(Duration::from_secs(8));
        }
    }

    /// Finds the jobs a lost create made — same prompt and model, created since the attempt
    /// (with a minute of clock slack), owned by no line of the ledger; at most one per output —
    /// and records them as the line's jobs. Empty when the list has none.
    async fn look_up(&self, item: &Item, since: Option<chrono::DateTime<chrono::Utc>>) -> Result<Vec<Job>, CliError> {
        if !listable(item) {
            return Ok(Vec::new());
        }
        // The library's lookup (same prompt and model, created since the attempt), oldest first.
        let since = since.unwrap_or(chrono::DateTime::UNIX_EPOCH);
        let found = self.ctx.client.find_created(&item.request, since).await?;
        let candidates: Vec<Job> = found.into_iter().rev().map(|s| s.job).collect();
        let found = self.ledger.adopt(item, candidates).await?;
        for job in &found {
            tracing::info!(line = item.number, job = %job.short_form(), "adopted the job a lost create made");
        }
        if !found.is_empty() {
            self.progress.event(item, &LineEvent::Submitted { jobs: found.clone() });
        }
        Ok(found)
    }
}

/// The size and SHA-256 of the file at `path` (read on the blocking pool).
async fn digest(path: &Path) -> std::io::Result<(u64, String)> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || files::digest(&path)).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

/// [`files::same_bytes`], on the blocking pool.
async fn same_bytes(path: &Path, bytes: u64, sha256: &str) -> bool {
    let (path, sha256) = (path.to_path_buf(), sha256.to_string());
    tokio::task::spawn_blocking(move || files::same_bytes(&path, bytes, &sha256)).await.unwrap_or(false)
}

/// The size and SHA-256 of the staged file when it is the output `written` records (a run
/// stopped after recording it, before putting it in place).
async fn staged(staging: &Path, written: &Written) -> Option<(u64, String)> {
    let (bytes, sha256) = (written.bytes?, written.sha256.clone()?);
    same_bytes(staging, bytes, &sha256).await.then_some((bytes, sha256))
}

/// A new `Idempotency-Key` for a create attempt (a UUID v4, as the facade makes its own).
fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether a lost create of this line can be looked up in the provider's list (the list
/// carries prompt and model; a multi-shot line has no prompt to match). VideoDB's lists only
/// finished videos: its lost creates are found once finished ([`Client::find_created`]).
fn listable(item: &Item) -> bool {
    Client::supports(item.request.provider, Operation::List) && item.request.prompt.is_some()
}

/// A line's say in its create's 429s ([`videogen::RateLimitPause`]): records the refusal,
/// pauses the provider's creates for every worker of the ledger, then waits for the line's turn
/// (which records the intent again). A ledger error stops the create; the runner returns it.
struct LinePause<'a> {
    runner: &'a Runner,
    item: &'a Item,
    idempotency_key: &'a str,
    /// The create's slot in the ledger, renewed for each round.
    slot: Mutex<Option<super::ledger::CreateSlot>>,
    failed: Mutex<Option<CliError>>,
}

impl LinePause<'_> {
    async fn round(&self, provider: videogen::Provider, error: &Error, delay: Duration) -> Result<(), CliError> {
        let wait = delay.max(MIN_RATE_LIMIT_WAIT);
        let (runner, item) = (self.runner, self.item);
        runner
            .record(item, LineEvent::RateLimited { retry_in_seconds: wait.as_secs_f64(), error: error.to_string() })
            .await?;
        drop(self.slot.lock().unwrap_or_else(|p| p.into_inner()).take());
        runner.ledger.rate_limited(provider, wait).await?;
        // The next round waits here, with every other create to this provider.
        let slot = runner.ledger.begin_create(item, self.idempotency_key).await?;
        runner.progress.event(
            item,
            &LineEvent::Submitting { at: slot.at, idempotency_key: Some(self.idempotency_key.to_string()) },
        );
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(slot);
        Ok(())
    }
}

impl videogen::RateLimitPause for LinePause<'_> {
    fn rate_limited<'a>(
        &'a self,
        provider: videogen::Provider,
        error: &'a Error,
        delay: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>> {
        Box::pin(async move {
            match self.round(provider, error, delay).await {
                Ok(()) => true,
                Err(e) => {
                    *self.failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    false
                }
            }
        })
    }
}
