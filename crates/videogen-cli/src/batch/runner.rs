//! The [`Runner`]: runs each line's work — create (429s retried in this run), wait (each
//! provider at its own interval, or through its completion events), download — journaling
//! every step and reporting it to the progress display.

use super::Item;
use super::journal::{Journal, LineEvent, LineState};
use super::progress::{Outcome, Progress};
use crate::context::Context;
use crate::exit::CliError;
use crate::waiting::{WaitOptions, wait_policy};
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use videogen::{Client, Error, Job, Operation, WaitEvent, WaitPolicy};

/// How often a create refused with 429 is sent again in the same run (after the library's own
/// retries of each): 8 more rounds, each after the clamped `Retry-After` (or 2, 4, 8 … 60 s).
pub const MAX_RATE_LIMITED_ROUNDS: u32 = 8;

/// The shortest wait before a rate-limited create is sent again: 1 second.
const MIN_RATE_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// What a rerun does with lines an earlier run left unfinished.
#[derive(Clone, Debug, Default)]
pub struct RerunOptions {
    /// Send again the creates whose outcome is unknown and cannot be looked up (may pay twice).
    pub resubmit_unknown: bool,
    /// Send again the creates that were refused (nothing was created).
    pub retry_failed: bool,
    /// Generate again the lines whose job failed at the provider (pays again).
    pub retry_failed_jobs: bool,
}

/// Runs a batch's lines.
pub struct Runner {
    ctx: Context,
    journal: Journal,
    progress: Arc<Progress>,
    /// Jobs some line owns, so a lost create's lookup never adopts another line's job.
    claimed: Mutex<HashSet<String>>,
    out_dir: PathBuf,
    wait: WaitOptions,
    rerun: RerunOptions,
}

impl Runner {
    /// A runner writing into `out_dir`.
    pub fn new(
        ctx: Context,
        journal: Journal,
        progress: Arc<Progress>,
        out_dir: PathBuf,
        wait: WaitOptions,
        rerun: RerunOptions,
    ) -> Self {
        Self { ctx, journal, progress, claimed: Mutex::new(HashSet::new()), out_dir, wait, rerun }
    }

    /// Runs every item, `concurrency` at a time; returns each line's outcome.
    pub async fn run(
        &self,
        items: &[Item],
        states: &HashMap<String, LineState>,
        concurrency: usize,
    ) -> Vec<(usize, Outcome)> {
        self.claimed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(states.values().flat_map(|s| s.jobs.iter().map(Job::short_form)));
        futures::stream::iter(items)
            .map(|item| {
                let state = states.get(&item.key).cloned().unwrap_or_default();
                async move { (item.number, self.line(item, state).await) }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await
    }

    async fn line(&self, item: &Item, state: LineState) -> Outcome {
        let done_before =
            (0..item.outs.len()).all(|i| state.done.get(&i).is_some_and(|(file, _)| self.out_dir.join(file).is_file()));
        if done_before {
            self.progress.event(item, &LineEvent::Skipped);
            let mut files: Vec<(usize, String)> = state.done.iter().map(|(i, (f, _))| (*i, f.clone())).collect();
            files.sort();
            let outcome = Outcome::Done {
                files: files.into_iter().map(|(_, f)| f).collect(),
                costs: state.done.values().filter_map(|(_, c)| c.clone()).collect(),
                skipped: true,
            };
            self.progress.ended(item, &outcome);
            return outcome;
        }
        self.progress.started(item);
        let outcome = self.work(item, state).await.unwrap_or_else(|e| Outcome::Stopped(e.message));
        self.progress.ended(item, &outcome);
        outcome
    }

    /// Journals `event` (when it is kept) and shows it.
    fn record(&self, item: &Item, event: LineEvent) -> Result<(), CliError> {
        self.journal.append(item, &event)?;
        self.progress.event(item, &event);
        Ok(())
    }

    async fn work(&self, item: &Item, mut state: LineState) -> Result<Outcome, CliError> {
        if let Some(error) = &state.failed {
            if !self.rerun.retry_failed_jobs {
                return Ok(Outcome::Failed(error.clone()));
            }
            state = LineState::default();
        }
        if let Some(error) = &state.refused {
            if !self.rerun.retry_failed {
                return Ok(Outcome::Refused(error.clone()));
            }
            state = LineState::default();
        }
        let jobs = if !state.jobs.is_empty() {
            state.jobs.clone()
        } else {
            let in_flight = state.submitting_at.is_some() || state.unknown;
            let adopted = if in_flight { self.look_up(item, state.submitting_at).await? } else { Vec::new() };
            if !adopted.is_empty() {
                self.record(item, LineEvent::Submitted { jobs: adopted.clone() })?;
                adopted
            } else if in_flight && !listable(item) && !self.rerun.resubmit_unknown {
                return Ok(Outcome::Unknown(format!(
                    "the create was in flight when the last run stopped and {} has no job list to look it up in",
                    item.request.provider
                )));
            } else {
                match self.create(item).await? {
                    Ok(jobs) => jobs,
                    Err(outcome) => return Ok(outcome),
                }
            }
        };
        self.finish(item, &jobs, &state).await
    }

    /// Sends the create; a 429 (nothing created) is sent again after the clamped `Retry-After`,
    /// up to [`MAX_RATE_LIMITED_ROUNDS`] times.
    async fn create(&self, item: &Item) -> Result<Result<Vec<Job>, Outcome>, CliError> {
        let mut round = 0;
        loop {
            self.record(item, LineEvent::Submitting { at: chrono::Utc::now() })?;
            let client = &self.ctx.client;
            let result = if item.outs.len() > 1 {
                client.submit_many(&item.request).await
            } else {
                client.submit(&item.request).await.map(|j| vec![j])
            };
            match result {
                Ok(jobs) => {
                    self.claimed.lock().unwrap_or_else(|p| p.into_inner()).extend(jobs.iter().map(Job::short_form));
                    self.record(item, LineEvent::Submitted { jobs: jobs.clone() })?;
                    return Ok(Ok(jobs));
                }
                Err(e @ Error::OutcomeUnknown { .. }) => {
                    self.record(item, LineEvent::Unknown { error: e.to_string() })?;
                    return Ok(Err(Outcome::Unknown(e.to_string())));
                }
                Err(e @ Error::RateLimited { .. }) if round < MAX_RATE_LIMITED_ROUNDS => {
                    round += 1;
                    let backoff = Duration::from_secs(2u64.pow(round).min(60));
                    let wait = e.retry_after().unwrap_or(backoff).clamp(MIN_RATE_LIMIT_WAIT, videogen::MAX_RETRY_AFTER);
                    self.record(
                        item,
                        LineEvent::RateLimited { retry_in_seconds: wait.as_secs_f64(), error: e.to_string() },
                    )?;
                    tokio::time::sleep(wait).await;
                }
                // Every other create error created nothing (the library reports a create that
                // may have made a job as OutcomeUnknown).
                Err(e) => {
                    self.record(item, LineEvent::Refused { error: e.to_string() })?;
                    return Ok(Err(Outcome::Refused(e.to_string())));
                }
            }
        }
    }

    /// Waits for each job and downloads its output (outputs written before are kept).
    async fn finish(&self, item: &Item, jobs: &[Job], state: &LineState) -> Result<Outcome, CliError> {
        let provider = item.request.provider;
        let policy = wait_policy(provider, &self.wait, self.ctx.simulated(provider))?;
        let mut files = Vec::new();
        let mut costs = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            if let Some((file, cost)) = state.done.get(&i)
                && self.out_dir.join(file).is_file()
            {
                files.push(file.clone());
                costs.extend(cost.clone());
                continue;
            }
            let out = item.outs.get(i).cloned().unwrap_or_else(|| format!("{:04}-{}.mp4", item.number, i + 1));
            // A partial download of this job (a run killed while downloading) is resumed with Range.
            let result = async {
                let video = self.follow(item, job, policy).await?;
                video.download_to(self.out_dir.join(&out)).await?;
                Ok::<_, Error>(video.cost.clone())
            }
            .await;
            match result {
                Ok(cost) => {
                    self.record(item, LineEvent::Done { output: i, file: out.clone(), cost: cost.clone() })?;
                    files.push(out);
                    costs.extend(cost);
                }
                Err(
                    e @ (Error::JobFailed { .. }
                    | Error::ContentPolicy { .. }
                    | Error::Cancelled { .. }
                    | Error::Expired { .. }),
                ) => {
                    self.record(item, LineEvent::Failed { error: e.to_string() })?;
                    return Ok(Outcome::Failed(e.to_string()));
                }
                // Timeouts, network trouble: the job stays submitted; a rerun resumes it.
                Err(e) => {
                    let error = format!("{e} (rerun to resume job {})", job.short_form());
                    self.record(item, LineEvent::Stopped { error: error.clone() })?;
                    return Ok(Outcome::Stopped(error));
                }
            }
        }
        Ok(Outcome::Done { files, costs, skipped: false })
    }

    /// Waits for `job`, reporting each status change.
    async fn follow(&self, item: &Item, job: &Job, policy: WaitPolicy) -> Result<videogen::Video, Error> {
        let mut events = std::pin::pin!(self.ctx.client.events(job, policy));
        while let Some(event) = events.next().await {
            match event? {
                WaitEvent::Status { status, progress, raw_status, .. } => {
                    let status = raw_status.map_or(status.clone(), |raw| format!("{status} ({raw})"));
                    let _ = self.record(item, LineEvent::Status { job: job.short_form(), status, progress });
                }
                WaitEvent::Finished(video) => return self.ctx.client.video(&video),
                _ => {}
            }
        }
        Err(Error::Timeout { job: Box::new(job.clone()), waited: Duration::ZERO, last_status: "unknown".into() })
    }

    /// Finds the jobs a lost create made: same prompt and model, created since the attempt (with
    /// a minute of clock slack), claimed by no other line; at most one per output. Empty when
    /// the list has none.
    async fn look_up(&self, item: &Item, since: Option<chrono::DateTime<chrono::Utc>>) -> Result<Vec<Job>, CliError> {
        if !listable(item) {
            return Ok(Vec::new());
        }
        let provider = item.request.provider;
        let jobs = self.ctx.client.list(provider).await?;
        let since = since.map(|t| t - chrono::Duration::seconds(60));
        let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
        let found: Vec<Job> = jobs
            .into_iter()
            .rev()
            .filter(|s| {
                s.prompt.is_some()
                    && s.prompt == item.request.prompt
                    && s.job.model == item.request.model
                    && since.is_none_or(|t| s.job.created_at >= t)
                    && !claimed.contains(&s.job.short_form())
            })
            .take(item.outs.len())
            .map(|s| s.job)
            .collect();
        for job in &found {
            claimed.insert(job.short_form());
            tracing::info!(line = item.number, job = %job.short_form(), "adopted the job a lost create made");
        }
        Ok(found)
    }
}

/// Whether a lost create of this line can be looked up in the provider's job list (the list
/// carries prompt and model; a multi-shot line has no prompt to match).
fn listable(item: &Item) -> bool {
    Client::supports(item.request.provider, Operation::ListUnfinished) && item.request.prompt.is_some()
}
