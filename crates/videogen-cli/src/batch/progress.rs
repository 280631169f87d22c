//! What a batch shows while it runs and when it ends: with a terminal on standard error, a live
//! display (indicatif `MultiProgress`: a totals bar with the counts by state, throughput and
//! elapsed time, and a spinner per job in flight); without one, a summary line every
//! [`PLAIN_SUMMARY_EVERY`]; with `--events`, one JSON line per [`LineEvent`] on standard output;
//! at the end, the [`summary`] (done, failed with reasons, unknown, files, reported cost).

use super::Item;
use super::ledger::LineEvent;
use crate::exit::{CliError, ExitCode};
use crate::output::{self, clean};
use crate::vocabulary::{BatchSummary, LineProblem, WrittenFile, totals};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use videogen::{Cost, Decimal};

/// How often the summary line is printed when standard error is not a terminal: 10 seconds.
pub const PLAIN_SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// The most per-job spinners shown at once; the rest are counted in the totals bar.
const MAX_SPINNERS: usize = 12;

/// How a line ended in this run.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Every output is written (`skipped`: in an earlier run); `simulated` when the built-in
    /// simulator made them (their cost is never counted).
    Done { files: Vec<String>, costs: Vec<Cost>, skipped: bool, simulated: bool },
    /// The job failed at the provider (exit 4).
    Failed(String),
    /// The create was refused; nothing was created (the exit code of the error).
    Refused(String, ExitCode),
    /// The create's outcome is unknown (exit 6).
    Unknown(String),
    /// The run stopped following the job; a rerun resumes it (the exit code of the cause: 5
    /// for `--timeout`, 130 for a signal, 1 for the network …).
    Stopped(String, ExitCode),
}

impl Outcome {
    /// The exit code this line's outcome alone would give.
    pub fn code(&self) -> ExitCode {
        match self {
            Outcome::Done { .. } => ExitCode::Done,
            Outcome::Failed(_) => ExitCode::JobFailed,
            Outcome::Refused(_, code) | Outcome::Stopped(_, code) => *code,
            Outcome::Unknown(_) => ExitCode::OutcomeUnknown,
        }
    }
}

/// A batch exits with the first of these codes that one of its lines has (`videogen --help`):
/// an unknown outcome first (a job may exist and be paid for), then configuration, then other
/// failures, a provider's refusal, a bad request, `--timeout`, and a job failed at the provider
/// last. A signal (130, 143) overrides them all.
pub const BATCH_PRECEDENCE: [ExitCode; 7] = [
    ExitCode::OutcomeUnknown,
    ExitCode::Config,
    ExitCode::Failed,
    ExitCode::Refused,
    ExitCode::Usage,
    ExitCode::Timeout,
    ExitCode::JobFailed,
];

#[derive(Default)]
struct Tally {
    done: usize,
    skipped: usize,
    failed: usize,
    refused: usize,
    unknown: usize,
    stopped: usize,
    running: usize,
}

struct Live {
    multi: MultiProgress,
    totals: ProgressBar,
    spinners: Mutex<HashMap<usize, ProgressBar>>,
}

/// The batch's progress reporting.
pub struct Progress {
    live: Option<Live>,
    events: bool,
    started: Instant,
    total: usize,
    tally: Mutex<Tally>,
}

impl Progress {
    /// Progress for `total` lines: live when standard error is a terminal; `events` writes
    /// `--events` JSON lines.
    pub fn new(total: usize, events: bool) -> Arc<Self> {
        let live = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            let totals = multi.add(ProgressBar::new(total as u64));
            totals.set_style(
                ProgressStyle::with_template("{bar:24.green/white} {pos}/{len} done · {msg} [{elapsed_precise}]")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Live { multi, totals, spinners: Mutex::new(HashMap::new()) }
        });
        Arc::new(Self { live, events, started: Instant::now(), total, tally: Mutex::new(Tally::default()) })
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `done` (of all), then running, failed, unknown, throughput, elapsed.
    pub fn summary_line(&self) -> String {
        let t = self.tally();
        let per_minute = self.per_minute(t.done);
        format!(
            "{}/{} done ({} before), {} running, {} failed, {} unknown, {} stopped, {per_minute:.1}/min, {}",
            t.done + t.skipped,
            self.total,
            t.skipped,
            t.running,
            t.failed + t.refused,
            t.unknown,
            t.stopped,
            hms(self.started.elapsed())
        )
    }

    /// Lines done in this run per minute so far.
    fn per_minute(&self, done: usize) -> f64 {
        done as f64 / self.started.elapsed().as_secs_f64().max(1.0) * 60.0
    }

    fn counts_message(&self) -> String {
        let t = self.tally();
        let per_minute = self.per_minute(t.done);
        let mut text = format!("{} running · {} failed", t.running, t.failed + t.refused);
        if t.unknown > 0 {
            text.push_str(&format!(" · {} unknown", t.unknown));
        }
        if t.stopped > 0 {
            text.push_str(&format!(" · {} stopped", t.stopped));
        }
        text.push_str(&format!(" · {per_minute:.0}/min"));
        text
    }

    /// Refreshes the totals (live) or prints the summary line every [`PLAIN_SUMMARY_EVERY`]
    /// (without a terminal), until the returned task is aborted.
    pub fn spawn_ticker(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let progress = self.clone();
        tokio::spawn(async move {
            let every = if progress.live.is_some() { Duration::from_millis(500) } else { PLAIN_SUMMARY_EVERY };
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                ticks.tick().await;
                match &progress.live {
                    Some(live) => live.totals.set_message(progress.counts_message()),
                    None => output::err(&format!("batch: {}", progress.summary_line())),
                }
            }
        })
    }

    /// A line's work starts (a spinner while it is in flight).
    pub fn started(&self, item: &Item) {
        self.tally().running += 1;
        if let Some(live) = &self.live {
            let mut spinners = live.spinners.lock().unwrap_or_else(|p| p.into_inner());
            if spinners.len() < MAX_SPINNERS {
                let bar = live.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner:.green} {prefix:<9} {msg}  [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(format!("line {}", item.number));
                bar.set_message(clean(&item.title()));
                bar.enable_steady_tick(Duration::from_millis(150));
                spinners.insert(item.number, bar);
            }
        }
    }

    /// Something happened to a line: its spinner says so; `--events` prints it.
    pub fn event(&self, item: &Item, event: &LineEvent) {
        if self.events {
            output::json_line(&event_json(item.number, &item.key, event, chrono::Utc::now()));
        }
        let Some(live) = &self.live else { return };
        let spinners = live.spinners.lock().unwrap_or_else(|p| p.into_inner());
        let Some(bar) = spinners.get(&item.number) else { return };
        let message = match event {
            LineEvent::Submitting { .. } => "submitting".to_string(),
            LineEvent::Submitted { jobs } => {
                format!("submitted {}", jobs.iter().map(|j| clean(&j.short_form())).collect::<Vec<_>>().join(" "))
            }
            LineEvent::RateLimited { retry_in_seconds, .. } => {
                format!("rate limited; creating again in {retry_in_seconds:.1} s")
            }
            LineEvent::Status { job, status, progress } => {
                format!("{} {}{}", clean(job), clean(status), progress.map(|p| format!(" {p}%")).unwrap_or_default())
            }
            LineEvent::Done { file, .. } => format!("wrote {}", clean(file)),
            _ => return,
        };
        bar.set_message(message);
    }

    /// A line's work ended: counted, its spinner removed, one line printed above the display
    /// (or on standard error).
    pub fn ended(&self, item: &Item, outcome: &Outcome) {
        {
            let mut t = self.tally();
            if !matches!(outcome, Outcome::Done { skipped: true, .. }) {
                t.running = t.running.saturating_sub(1);
            }
            match outcome {
                Outcome::Done { skipped: true, .. } => t.skipped += 1,
                Outcome::Done { .. } => t.done += 1,
                Outcome::Failed(_) => t.failed += 1,
                Outcome::Refused(..) => t.refused += 1,
                Outcome::Unknown(_) => t.unknown += 1,
                Outcome::Stopped(..) => t.stopped += 1,
            }
        }
        let text = match outcome {
            // Lines done before are told in one line at the end ([`Progress::done_before`]).
            Outcome::Done { skipped: true, .. } => {
                if let Some(live) = &self.live {
                    let t = self.tally();
                    live.totals.set_position((t.done + t.skipped) as u64);
                }
                return;
            }
            Outcome::Done { files, simulated, .. } => format!(
                "line {}: done: {}{}",
                item.number,
                clean(&files.join(", ")),
                if *simulated { " (simulated)" } else { "" }
            ),
            Outcome::Failed(m) => format!("line {}: failed: {}", item.number, clean(m)),
            Outcome::Refused(m, _) => format!("line {}: refused (nothing created): {}", item.number, clean(m)),
            Outcome::Unknown(m) => format!("line {}: outcome unknown: {}", item.number, clean(m)),
            Outcome::Stopped(m, _) => format!("line {}: stopped: {}", item.number, clean(m)),
        };
        match &self.live {
            Some(live) => {
                if let Some(bar) = live.spinners.lock().unwrap_or_else(|p| p.into_inner()).remove(&item.number) {
                    bar.finish_and_clear();
                    live.multi.remove(&bar);
                }
                let t = self.tally();
                live.totals.set_position((t.done + t.skipped) as u64);
                drop(t);
                live.totals.set_message(self.counts_message());
                let _ = live.multi.println(text);
            }
            None => output::err(&text),
        }
    }

    /// Clears the live display.
    pub fn finish(&self) {
        if let Some(live) = &self.live {
            live.totals.finish_and_clear();
            let _ = live.multi.clear();
        }
    }

    /// How many lines have ended so far (done, before or now, failed, refused, unknown, stopped).
    pub fn lines_ended(&self) -> usize {
        let t = self.tally();
        t.done + t.skipped + t.failed + t.refused + t.unknown + t.stopped
    }

    /// One line for every line done by an earlier run (a resumed 1,000-line batch does not list
    /// them one by one), on standard error; nothing when there were none.
    pub fn done_before(&self, out_dir: &Path) {
        let skipped = self.tally().skipped;
        if skipped > 0 {
            output::err(&format!(
                "{skipped} line{} done by an earlier run: kept as written (each listed in {})",
                if skipped == 1 { "" } else { "s" },
                clean(&out_dir.join(super::results::MANIFEST).display().to_string())
            ));
        }
    }

    /// How long the batch has run.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// One line of `batch --events` (its schema: `videogen schema output batch-events`): a line's
/// event, as the journal records it, with the line's number (from 1), its key, and the time
/// the event happened (RFC 3339, UTC, `Z`); a done event's `output` is numbered from 1, as the
/// files are. The lines are built by [`event_json`]; this type is their schema.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
pub struct EventLine {
    /// The line's number in the batch file, from 1.
    pub line: usize,
    /// The line's key (its fingerprint and its repeat number).
    pub key: String,
    /// When the event happened.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The event.
    #[serde(flatten)]
    pub event: LineEvent,
}

/// One `--events` line: the event, tagged with its line, key and time (RFC 3339, UTC, `Z`);
/// a `done` event's `output` is numbered from 1, as the files are (the journal keeps it from 0).
pub fn event_json(line: usize, key: &str, event: &LineEvent, at: chrono::DateTime<chrono::Utc>) -> Value {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        if let LineEvent::Done { output, .. } = event {
            map.insert("output".into(), (output + 1).into());
        }
        map.insert("line".into(), line.into());
        map.insert("key".into(), key.into());
        map.insert("at".into(), at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into());
    }
    value
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The final summary: a table of the counts, the reasons of every line that did not finish, the
/// files written (each with its line, in `written`) and the cost the providers reported (summed
/// per currency; simulated lines never count); and the error that sets the exit code: the first
/// of [`BATCH_PRECEDENCE`] that a line has.
pub fn summary(
    results: &[(usize, Outcome)],
    out_dir: &Path,
    elapsed: Duration,
) -> (Vec<String>, BatchSummary, Option<CliError>) {
    let mut done = 0;
    let mut skipped = 0;
    let mut simulated = 0;
    let mut files = Vec::new();
    let mut written = Vec::new();
    let mut cost: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut without_cost = 0;
    let mut problems: BTreeMap<&str, Vec<LineProblem>> = BTreeMap::new();
    for (line, outcome) in results {
        let mut problem = |kind: &'static str, why: &String| {
            problems.entry(kind).or_default().push(LineProblem {
                line: *line,
                error: why.clone(),
                exit_code: outcome.code() as u8,
            });
        };
        match outcome {
            Outcome::Done { files: f, costs, skipped: s, simulated: sim } => {
                if *s {
                    skipped += 1;
                } else {
                    done += 1;
                }
                if *sim {
                    simulated += 1;
                }
                for (i, file) in f.iter().enumerate() {
                    written.push(WrittenFile { line: *line, output: i + 1, file: file.clone(), simulated: *sim });
                }
                files.extend(f.iter().cloned());
                if costs.is_empty() && !*sim {
                    without_cost += 1;
                }
                for c in costs.iter().filter(|_| !*sim) {
                    *cost.entry(c.currency.clone()).or_default() += c.amount;
                }
            }
            Outcome::Failed(m) => problem("failed", m),
            Outcome::Refused(m, _) => problem("refused", m),
            Outcome::Unknown(m) => problem("unknown", m),
            Outcome::Stopped(m, _) => problem("stopped", m),
        }
    }
    let count = |k: &str| problems.get(k).map_or(0, Vec::len);
    let costs: Vec<Cost> = totals(&cost);
    let shown_dir = clean(&out_dir.display().to_string());
    let mut text = vec![
        format!("{:<10} {:>6}", "done", done + skipped),
        format!("{:<10} {:>6}", "  before", skipped),
        format!("{:<10} {:>6}", "failed", count("failed")),
        format!("{:<10} {:>6}", "refused", count("refused")),
        format!("{:<10} {:>6}", "unknown", count("unknown")),
        format!("{:<10} {:>6}", "stopped", count("stopped")),
        format!("{:<10} {:>6}  in {shown_dir}", "files", files.len()),
        format!(
            "{:<10} {:>6}{}",
            "cost",
            if costs.is_empty() {
                "none reported".to_string()
            } else {
                costs
                    .iter()
                    .map(|c| format!("{} {}", c.amount.normalize(), clean(&c.currency)))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            match without_cost {
                0 => String::new(),
                n => format!("  ({n} done line{} without a reported cost)", if n == 1 { "" } else { "s" }),
            }
        ),
        format!("{:<10} {:>6}", "elapsed", hms(elapsed)),
    ];
    if simulated > 0 {
        text.insert(
            7,
            format!(
                "{:<10} {:>6}  lines made by the built-in simulator: not real videos, no cost",
                "simulated", simulated
            ),
        );
    }
    for (kind, list) in &problems {
        for p in list {
            text.push(format!("{kind} line {}: {}", p.line, clean(&p.error)));
        }
    }
    let take = |k: &str| problems.get(k).cloned().unwrap_or_default();
    let report = BatchSummary {
        event: None,
        done: done + skipped,
        done_before: skipped,
        failed: take("failed"),
        refused: take("refused"),
        unknown: take("unknown"),
        stopped: take("stopped"),
        files,
        written,
        simulated,
        total_cost: costs,
        without_reported_cost: without_cost,
        out_dir: out_dir.display().to_string(),
        elapsed_seconds: elapsed.as_secs_f64(),
        ledger: None,
        error: None,
        exit_code: None,
    };
    let code = BATCH_PRECEDENCE.into_iter().find(|c| results.iter().any(|(_, o)| o.code() == *c));
    let error = code.map(|code| {
        if code == ExitCode::OutcomeUnknown {
            return CliError::new(
                code,
                format!(
                    "{} lines have an unknown outcome (their job may exist and be paid for): a plain rerun looks for them in the job list again and never sends them again; --resubmit-unknown sends them again (may pay twice)",
                    count("unknown")
                ),
            );
        }
        let unfinished = count("failed") + count("refused") + count("stopped");
        let mut hints = Vec::new();
        if count("refused") > 0 {
            hints.push("--retry-failed sends refused creates again");
        }
        if count("failed") > 0 {
            hints.push("--retry-failed-jobs generates failed jobs again (and pays again)");
        }
        if count("stopped") > 0 {
            hints.push("a rerun resumes stopped jobs");
        }
        CliError::new(code, format!("{unfinished} lines did not finish ({})", hints.join("; ")))
    });
    (text, report, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_number_outputs_from_1_and_say_utc_as_z() {
        let done = LineEvent::Done {
            output: 1,
            file: "0007-2.mp4".into(),
            cost: None,
            bytes: Some(10),
            sha256: None,
            simulated: false,
            at: None,
            poster: None,
        };
        let at = "2026-12-06T10:00:00.5Z".parse().unwrap();
        let v = event_json(7, "k#1", &done, at);
        assert_eq!((v["event"].as_str(), v["output"].as_u64(), v["line"].as_u64()), (Some("done"), Some(2), Some(7)));
        assert_eq!(v["at"], "2026-12-06T10:00:00.500Z");
    }
}
