//! `videogen batch <file> --out-dir DIR`: every line of a JSON Lines file generated, resumable
//! after a crash without paying twice (see [`crate::batch`]); with `--ledger postgres://…`, by
//! any number of workers on any number of machines; `videogen batch status` shows a shared
//! batch.

use crate::batch::journal::{EmbeddedLedger, Journal};
use crate::batch::ledger::Ledger;
use crate::batch::postgres::{PgLedger, WorkerOptions};
use crate::batch::progress::{Progress, summary};
use crate::batch::runner::{RerunOptions, Runner, RunnerParts};
use crate::batch::{self};
use crate::cmd::Run;
use crate::context::{ClientOptions, Global, context_with, default_provider};
use crate::exit::CliError;
use crate::output::{self, Report};
use crate::waiting::{WaitOptions, check_out, positive_seconds};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use videogen::Provider;

/// `videogen batch <file> --out-dir DIR`, or `videogen batch status`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Batch {
    #[command(subcommand)]
    pub command: Option<BatchCommand>,
    #[command(flatten)]
    pub run: BatchRun,
}

/// What `videogen batch` does besides running a batch.
#[derive(Subcommand, Debug)]
pub enum BatchCommand {
    /// What a batch has reached: totals by state, failures with reasons, the files written and
    /// where, the reported cost; on a shared ledger also each worker's progress and heartbeat.
    Status(BatchStatus),
    /// Writes the batch's results.jsonl and index.html (the gallery page) in --out-dir again,
    /// from its journal; or prints the results as CSV (--csv) or JSON Lines (--json).
    Report(BatchReport),
}

/// `videogen batch report --out-dir DIR [--ledger URL [--batch-id ID]] [--csv]`.
#[derive(Args, Debug)]
pub struct BatchReport {
    /// The batch's out folder (its journal, videos and results; with --ledger, where this
    /// worker's videos are and the results go).
    #[arg(long)]
    pub out_dir: PathBuf,
    /// Read the batch from this shared ledger (postgres://…) instead of the folder's journal.
    #[arg(long)]
    pub ledger: Option<String>,
    /// The batch's id on the ledger (default: its only batch).
    #[arg(long, requires = "ledger")]
    pub batch_id: Option<String>,
    /// Print the results as CSV (one record per video) on standard output instead of writing
    /// the files.
    #[arg(long)]
    pub csv: bool,
}

impl Run for BatchReport {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let rows = match &self.ledger {
            Some(url) => {
                check_ledger_url(url)?;
                batch::status::result_rows(url, self.batch_id.as_deref(), &self.out_dir).await?.1
            }
            None => batch::results::from_journal(&self.out_dir)?,
        };
        if self.csv {
            print!("{}", batch::results::csv(&rows));
            return Ok(Report::empty());
        }
        if global.json {
            print!("{}", batch::results::manifest(&rows));
            return Ok(Report::empty());
        }
        batch::results::write(&self.out_dir, &rows, false)?;
        let page = self.out_dir.join(batch::results::GALLERY);
        Ok(Report::line(
            format!(
                "wrote {} and {} ({} lines); open file://{}",
                batch::results::MANIFEST,
                batch::results::GALLERY,
                rows.len(),
                output::clean(&std::fs::canonicalize(&page).unwrap_or(page).display().to_string())
            ),
            serde_json::Value::Null,
        ))
    }
}

/// `videogen batch status --ledger URL [--batch-id ID | FILE]` or `--out-dir DIR`.
#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("where").required(true).args(["ledger", "out_dir"]))]
pub struct BatchStatus {
    /// The batch file (its id is derived from its requests, as the workers derive it).
    pub file: Option<PathBuf>,
    /// The shared ledger: a PostgreSQL URL (postgres://user@host/db).
    #[arg(long)]
    pub ledger: Option<String>,
    /// A batch without a shared ledger: its out folder (the journal there; the same totals,
    /// failures and files, in the same JSON shape).
    #[arg(long, conflicts_with_all = ["ledger", "batch_id", "file"])]
    pub out_dir: Option<PathBuf>,
    /// The batch's id (default: the file's, else the only batch in the ledger).
    #[arg(long, conflicts_with = "file")]
    pub batch_id: Option<String>,
    /// The provider for lines that name none, as the workers were given it (with FILE).
    #[arg(long, short)]
    pub provider: Option<Provider>,
    /// The workers' --lease, in seconds: a worker whose last heartbeat is older is shown lost.
    #[arg(long, default_value_t = DEFAULT_LEASE_SECONDS)]
    pub lease: f64,
}

/// A worker's lease on its lines on a shared ledger, by default: 30 seconds.
pub const DEFAULT_LEASE_SECONDS: f64 = 30.0;

/// `videogen batch <file> --out-dir DIR`.
#[derive(Args, Debug)]
pub struct BatchRun {
    /// The batch file: one JSON object per line, with the fields `generate` takes
    /// (`videogen schema batch-line`); `-` reads the lines from standard input (a rerun needs the
    /// same lines again; the journal in --out-dir knows them by their requests).
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// How many lines run at once (in this worker).
    #[arg(long, short, default_value_t = 4)]
    pub concurrency: usize,
    /// Where the videos (and, without --ledger, the journal videogen-journal.jsonl) go.
    #[arg(long, required = true)]
    pub out_dir: Option<PathBuf>,
    /// The provider for lines that name none (default: the first with an API key set, else oxen on the simulator).
    #[arg(long, short)]
    pub provider: Option<Provider>,
    /// Send again the lines whose create was refused in an earlier run (nothing was created then).
    #[arg(long)]
    pub retry_failed: bool,
    /// Generate again the lines whose job failed at the provider in an earlier run (pays again).
    #[arg(long)]
    pub retry_failed_jobs: bool,
    /// Submit again the lines whose create's outcome is unknown and that the provider's job list
    /// did not show within --lookup-window (may pay twice). Without it such a line is never sent
    /// again, by this run, a rerun or a ledger takeover.
    #[arg(long)]
    pub resubmit_unknown: bool,
    /// Seconds a lost create is looked for in the provider's job list before its line is
    /// reported unknown (default 20: lists lag behind creates).
    #[arg(long)]
    pub lookup_window: Option<f64>,
    /// Write one JSON line per event (submitting, submitted, rate_limited, status, done, failed,
    /// …) on standard output, and the summary as the last line.
    #[arg(long)]
    pub events: bool,
    /// Keep the batch's state in this PostgreSQL database (postgres://user@host/db) instead of
    /// the journal in --out-dir: run the same command on several machines and they share the
    /// batch, each line paid for once; a worker that dies is taken over after its --lease.
    #[arg(long)]
    pub ledger: Option<String>,
    /// The batch's id on the shared ledger (default: derived from the file's requests, so the
    /// same file is the same batch on every machine).
    #[arg(long, requires = "ledger")]
    pub batch_id: Option<String>,
    /// Seconds a worker holds its lines on a shared ledger without a heartbeat (renewed every
    /// third of it); a dead worker's lines go to the others this long after it stopped.
    #[arg(long, default_value_t = DEFAULT_LEASE_SECONDS)]
    pub lease: f64,
    /// At most this many creates in flight per provider, across every worker of the ledger.
    #[arg(long)]
    pub max_creates_in_flight: Option<usize>,
    /// Cut each API request at this many seconds (default 120); a create cut by it is looked
    /// up in the provider's job list, never sent again blindly.
    #[arg(long)]
    pub request_timeout: Option<f64>,
    /// Check every line and estimate its cost from the providers' published prices, print the
    /// totals (per provider, with the lines that have no price) and stop: nothing is sent, no
    /// folder or journal is made.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop starting lines when this run's reported costs, plus the estimates of the lines in
    /// flight, plus the next line's estimate would pass AMOUNT (5, 5.50, "5 USD"). A line
    /// without an estimate (no published price) is never started under a budget; the lines not
    /// started are reported "stopped" (exit 2) and a rerun with a larger budget goes on. Lines
    /// done by earlier runs are not counted.
    #[arg(long, value_name = "AMOUNT")]
    pub max_cost: Option<crate::budget::MaxCost>,
    #[command(flatten)]
    pub wait: WaitOptions,
}

impl Run for Batch {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        match self.command {
            Some(BatchCommand::Status(status)) => status.run(global).await,
            Some(BatchCommand::Report(report)) => report.run(global).await,
            None => self.run.run(global).await,
        }
    }
}

impl Run for BatchStatus {
    async fn run(self, _global: Global) -> Result<Report, CliError> {
        let ledger = match (&self.ledger, &self.out_dir) {
            (Some(url), _) => url.clone(),
            (None, Some(dir)) => {
                let rows = batch::results::from_journal(dir)?;
                return Ok(batch::results::status_report(dir, &rows));
            }
            (None, None) => return Err(CliError::usage("batch status takes --ledger URL or --out-dir DIR")),
        };
        check_ledger_url(&ledger)?;
        let lease = positive_seconds(self.lease, "lease")?;
        let batch_id = match (&self.batch_id, &self.file) {
            (Some(id), _) => Some(id.clone()),
            (None, Some(file)) => {
                let items = batch::parse(&read_batch_file(file)?, self.provider.unwrap_or_else(default_provider))?;
                Some(batch::batch_id(&items))
            }
            (None, None) => None,
        };
        batch::status::status(&ledger, batch_id.as_deref(), lease.as_secs_f64()).await
    }
}

/// The batch file's text (a UTF-8 byte order mark, which some editors write, removed); `-` is
/// standard input.
fn read_batch_file(file: &std::path::Path) -> Result<String, CliError> {
    let text = if file == std::path::Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| CliError::usage(format!("standard input: {e}")))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?
    };
    Ok(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text))
}

/// A shared ledger is a PostgreSQL URL.
fn check_ledger_url(url: &str) -> Result<(), CliError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(CliError::usage(
            "--ledger takes a PostgreSQL URL (postgres://user@host/db); without it the batch keeps its journal in --out-dir",
        ))
    }
}

impl Run for BatchRun {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let (Some(file), Some(out_dir)) = (self.file.clone(), self.out_dir.clone()) else {
            return Err(CliError::usage("videogen batch takes the batch file and --out-dir"));
        };
        if self.concurrency == 0 {
            return Err(CliError::usage("--concurrency must be at least 1"));
        }
        let lease = positive_seconds(self.lease, "lease")?;
        let request_timeout = self.request_timeout.map(|t| positive_seconds(t, "request-timeout")).transpose()?;
        if self.max_creates_in_flight == Some(0) {
            return Err(CliError::usage("--max-creates-in-flight must be at least 1"));
        }
        if let Some(url) = &self.ledger {
            check_ledger_url(url)?;
        }
        let text = read_batch_file(&file)?;
        let items = batch::parse(&text, self.provider.unwrap_or_else(default_provider))?;
        if items.is_empty() {
            return Err(CliError::usage(format!(
                "{}: the batch file has no requests (one JSON object per line; see `videogen schema batch-line`)",
                file.display()
            )));
        }
        self.wait.limit()?;
        if self.dry_run {
            return dry_run(&items, global).await;
        }
        std::fs::create_dir_all(&out_dir)
            .map_err(|e| CliError::usage(format!("--out-dir {}: {e}", out_dir.display())))?;
        // Every output path is checked before the first create.
        for out in items.iter().flat_map(|i| &i.outs) {
            // The batch's own files from earlier runs are its to resume (see the journal).
            check_out(&out_dir.join(out), true)?;
        }
        let ledger = match &self.ledger {
            None => self.embedded(&items, &out_dir)?,
            Some(url) => {
                let batch_id = self.batch_id.clone().unwrap_or_else(|| batch::batch_id(&items));
                if batch_id.is_empty() || batch_id.len() > 200 || batch_id.chars().any(char::is_control) {
                    return Err(CliError::usage("--batch-id must be 1 to 200 printable characters"));
                }
                let out_dir = std::fs::canonicalize(&out_dir).unwrap_or(out_dir.clone());
                let options = WorkerOptions {
                    lease,
                    max_creates_in_flight: self.max_creates_in_flight,
                    retry_refused: self.retry_failed,
                    retry_failed_jobs: self.retry_failed_jobs,
                    out_dir,
                };
                let ledger = PgLedger::join(url, &batch_id, &file.to_string_lossy(), &items, options).await?;
                output::err(&format!(
                    "note: batch {batch_id} on the shared ledger, as worker {}",
                    output::clean(ledger.worker_id())
                ));
                Box::new(ledger) as Box<dyn Ledger>
            }
        };
        let mut providers: Vec<Provider> = items.iter().map(|i| i.request.provider).collect();
        providers.sort();
        providers.dedup();
        let client_options = ClientOptions { request_timeout, pace_creates: true, ..ClientOptions::default() };
        let ctx = context_with(&providers, global, &client_options).await?;
        let progress = Progress::new(items.len(), self.events);
        let ticker = progress.spawn_ticker();
        let rerun = RerunOptions {
            resubmit_unknown: self.resubmit_unknown,
            lookup_window: self
                .lookup_window
                .map(|s| if s == 0.0 { Ok(Duration::ZERO) } else { positive_seconds(s, "lookup-window") })
                .transpose()?,
            retry_failed: self.retry_failed,
            retry_failed_jobs: self.retry_failed_jobs,
        };
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let signal = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
        let listener = tokio::spawn(listen_for_stop(stop, signal.clone(), progress.clone()));
        let runner = Runner::new(RunnerParts {
            ctx,
            ledger,
            progress: progress.clone(),
            out_dir: out_dir.clone(),
            wait: self.wait.clone(),
            rerun,
            stop: stopping,
            budget: self.max_cost.clone().map(crate::budget::Budget::new),
        });
        // Without a shared ledger, results.jsonl and index.html follow the journal as lines end.
        let embedded = self.ledger.is_none();
        let ran = if embedded {
            tokio::select! {
                ran = runner.run(&items, self.concurrency) => ran,
                never = keep_results_written(&items, &out_dir, &progress) => match never {},
            }
        } else {
            runner.run(&items, self.concurrency).await
        };
        listener.abort();
        let closed = runner.ledger().close().await;
        ticker.abort();
        progress.finish();
        let mut results = ran?;
        closed?;
        if embedded {
            write_results(&items, &out_dir, false);
        } else if let (Some(url), Some(id)) =
            (&self.ledger, runner.ledger().describe().and_then(|d| d["batch_id"].as_str().map(String::from)))
        {
            // This worker's folder gets the whole batch's results, as the shared ledger has them.
            match batch::status::result_rows(url, Some(&id), &out_dir).await {
                Ok((_, rows)) => {
                    if let Err(e) = batch::results::write(&out_dir, &rows, false) {
                        output::err(&format!("warning: the results page was not written: {}", e.message));
                    }
                }
                Err(e) => output::err(&format!("warning: the results page was not written: {}", e.message)),
            }
        }
        progress.done_before(&out_dir);
        results.sort_by_key(|(n, _)| *n);
        let (text, mut summary, error) = summary(&results, &out_dir, progress.elapsed());
        let error = match signal.load(std::sync::atomic::Ordering::SeqCst) {
            0 => error,
            code => Some(interrupted(code, &results, self.resume_command())),
        };
        summary.ledger = runner.ledger().describe();
        if let Some(e) = &error {
            summary.error = Some(e.message.clone());
            summary.exit_code = Some(e.code as u8);
        }
        let report = if self.events {
            summary.event = Some("summary".into());
            output::json_line(&crate::vocabulary::to_json(&summary));
            Report::empty()
        } else {
            Report::typed(text, &summary)
        };
        match error {
            Some(e) => {
                report.print(global.json);
                Err(e.reported())
            }
            None => Ok(report),
        }
    }
}

/// Rewrites the batch's results.jsonl and index.html from its journal (a failure is a warning:
/// the videos and the journal are what matter).
fn write_results(items: &[batch::Item], out_dir: &std::path::Path, live: bool) {
    let states = match batch::journal::read_states(&out_dir.join(batch::JOURNAL)) {
        Ok(states) => states.into_iter().map(|(key, _, state)| (key, state)).collect(),
        Err(e) => {
            output::err(&format!("warning: the results page was not written: {}", e.message));
            return;
        }
    };
    let rows = batch::results::rows(items, &states, out_dir);
    if let Err(e) = batch::results::write(out_dir, &rows, live) {
        output::err(&format!("warning: the results page was not written: {}", e.message));
    }
}

/// Every [`RESULTS_EVERY`] while the batch runs, when a line has ended since the last time,
/// rewrites its results (the page says it is live and reloads itself). Never returns.
async fn keep_results_written(
    items: &[batch::Item],
    out_dir: &std::path::Path,
    progress: &Progress,
) -> std::convert::Infallible {
    write_results(items, out_dir, true);
    let mut last = progress.lines_ended();
    loop {
        tokio::time::sleep(RESULTS_EVERY).await;
        let now = progress.lines_ended();
        if now != last {
            last = now;
            write_results(items, out_dir, true);
        }
    }
}

/// How often a running batch's results.jsonl and index.html are brought up to date: 2 s.
const RESULTS_EVERY: Duration = Duration::from_secs(2);

/// `batch --dry-run`: every line checked (parsing did), each estimated, the totals printed.
async fn dry_run(items: &[batch::Item], global: Global) -> Result<Report, CliError> {
    let mut providers: Vec<Provider> = items.iter().map(|i| i.request.provider).collect();
    providers.sort();
    providers.dedup();
    let ctx = context_with(&providers, global, &ClientOptions::default()).await?;
    let mut totals = crate::budget::Totals::default();
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let cost = crate::budget::estimate(&ctx.client, &item.request).await?;
        totals.add(item.request.provider, cost.as_ref());
        lines.push(crate::budget::dry_run_line(item.number, &item.request, &item.outs, cost.as_ref()));
    }
    let simulated: Vec<Provider> = providers.into_iter().filter(|p| ctx.simulated(*p)).collect();
    Ok(totals.report(lines, &simulated))
}

/// Waits for SIGINT or SIGTERM: the first asks the batch to stop (no new line or create; jobs
/// in flight are recorded, their waits and downloads end) and remembers the exit code (130 or
/// 143); a second one clears the display and exits at once with that code.
async fn listen_for_stop(
    stop: tokio::sync::watch::Sender<bool>,
    signal: std::sync::Arc<std::sync::atomic::AtomicU8>,
    progress: std::sync::Arc<Progress>,
) {
    use tokio::signal::unix::{SignalKind, signal as unix_signal};
    let (Ok(mut int), Ok(mut term)) = (unix_signal(SignalKind::interrupt()), unix_signal(SignalKind::terminate()))
    else {
        return;
    };
    loop {
        let code = tokio::select! {
            _ = int.recv() => crate::exit::ExitCode::Interrupted,
            _ = term.recv() => crate::exit::ExitCode::Terminated,
        };
        if signal.swap(code as u8, std::sync::atomic::Ordering::SeqCst) != 0 {
            progress.finish();
            output::err("stopped at once by a second signal: the ledger has every job submitted; rerun to resume");
            std::process::exit(code as i32);
        }
        output::err(
            "stopping: no new line or create starts; the jobs in flight are recorded and go on at the provider (a second signal exits at once)",
        );
        let _ = stop.send(true);
    }
}

/// The error of a batch stopped by a signal: exit 130 (SIGINT) or 143 (SIGTERM), with the
/// command that resumes it.
fn interrupted(code: u8, results: &[(usize, batch::progress::Outcome)], resume: String) -> CliError {
    let stopped = results.iter().filter(|(_, o)| matches!(o, batch::progress::Outcome::Stopped(..))).count();
    let code = if code == crate::exit::ExitCode::Terminated as u8 {
        crate::exit::ExitCode::Terminated
    } else {
        crate::exit::ExitCode::Interrupted
    };
    CliError::new(
        code,
        format!("interrupted: {stopped} lines stopped (their jobs go on at the provider); resume with: {resume}"),
    )
}

impl BatchRun {
    /// The command that resumes this batch.
    fn resume_command(&self) -> String {
        let quote =
            |p: &std::path::Path| format!("'{}'", output::clean(&p.display().to_string()).replace('\'', "'\\''"));
        let mut command = String::from("videogen batch");
        if let Some(file) = &self.file {
            command.push_str(&format!(" {}", quote(file)));
        }
        if let Some(dir) = &self.out_dir {
            command.push_str(&format!(" --out-dir {}", quote(dir)));
        }
        if let Some(url) = &self.ledger {
            command.push_str(&format!(" --ledger {}", quote(std::path::Path::new(url))));
        }
        command
    }

    /// The journal in `out_dir`. A line's file is never another's: a taken name is not
    /// replaced but the next free one used ([`batch::files`]), so nothing here refuses a moved,
    /// inserted or edited line.
    fn embedded(&self, items: &[batch::Item], out_dir: &std::path::Path) -> Result<Box<dyn Ledger>, CliError> {
        let (journal, states) = Journal::open(&out_dir.join(batch::JOURNAL), items)?;
        Ok(Box::new(EmbeddedLedger::new(journal, items, &states, self.max_creates_in_flight)))
    }
}
