//! What the job commands share: reading a job handle, the wait options and policy, waiting with
//! a progress spinner, downloading with a resume on Ctrl-C, and the default file names.

use crate::context::Global;
use crate::exit::{CliError, ExitCode};
use crate::output::{self, Report, clean};
use crate::vocabulary::{ErrorReport, FileReport, Output, OutputsReport, StateWord, StatusReport};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use videogen::{Client, Job, Provider, Variant, WaitEvent, WaitPolicy};

/// `--poll-interval` and `--timeout`.
#[derive(Args, Debug, Clone, Default)]
pub struct WaitOptions {
    /// Seconds between status polls (default: the provider's guidance; Oxen.ai jobs are followed
    /// through its completion events where it serves them).
    #[arg(long)]
    pub poll_interval: Option<f64>,
    /// Give up after this many seconds, waiting and downloading together (default: 1800 for the
    /// wait, 7200 for the download); the job goes on, a partial download is kept for a resume.
    #[arg(long)]
    pub timeout: Option<f64>,
}

impl WaitOptions {
    /// `--timeout` as a duration.
    pub fn limit(&self) -> Result<Option<Duration>, CliError> {
        self.timeout.map(|t| positive_seconds(t, "timeout")).transpose()
    }

    /// What is left of `--timeout` after `started`, for the download (`None`: no `--timeout`).
    pub fn time_left(&self, started: Instant) -> Option<Duration> {
        let total = Duration::try_from_secs_f64(self.timeout?).ok()?;
        Some(total.saturating_sub(started.elapsed()).max(Duration::from_millis(1)))
    }
}

/// How long a command that makes one request (or a few) may take before it gives up: 60 s.
/// Retries, `Retry-After` sleeps and a held connection all count.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// `--timeout` of the commands that read or change one thing (status, list, cancel, delete,
/// models --live, collections).
#[derive(Args, Debug, Clone, Default)]
pub struct Bound {
    /// Give up after this many seconds (default 60), retries and Retry-After included: exit 5.
    #[arg(long)]
    pub timeout: Option<f64>,
}

impl Bound {
    /// `--timeout`, or [`DEFAULT_COMMAND_TIMEOUT`].
    pub fn limit(&self) -> Result<Duration, CliError> {
        Ok(self.timeout.map(|t| positive_seconds(t, "timeout")).transpose()?.unwrap_or(DEFAULT_COMMAND_TIMEOUT))
    }

    /// `work` within the limit: past it, exit 5 saying what may or may not have happened.
    pub async fn run<T>(
        &self,
        what: &str,
        work: impl std::future::Future<Output = Result<T, CliError>>,
    ) -> Result<T, CliError> {
        let limit = self.limit()?;
        match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(CliError::new(
                crate::exit::ExitCode::Timeout,
                format!(
                    "{what} did not finish within {} s (the provider held the connection or asked to retry later); rerun, or give a longer --timeout",
                    limit.as_secs_f64()
                ),
            )),
        }
    }
}

/// What to download: the video, or its thumbnail or spritesheet (library `Variant`).
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VariantArg {
    /// The video (MP4).
    #[default]
    Video,
    /// A still image (OpenAI, AIHubMix: WebP; VideoDB: its thumbnail_url).
    Thumbnail,
    /// A grid of frames (OpenAI, AIHubMix).
    Spritesheet,
}

impl VariantArg {
    pub fn variant(self) -> Variant {
        match self {
            VariantArg::Video => Variant::Video,
            VariantArg::Thumbnail => Variant::Thumbnail,
            VariantArg::Spritesheet => Variant::Spritesheet,
        }
    }

    /// The file extension of the default file name.
    fn extension(self) -> &'static str {
        match self {
            VariantArg::Video => "mp4",
            VariantArg::Thumbnail | VariantArg::Spritesheet => "webp",
        }
    }
}

/// A flag's value in seconds, which must be a positive number.
pub fn positive_seconds(value: f64, flag: &str) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError::usage(format!("--{flag} must be a positive number of seconds")))
}

/// The wait policy for `provider`: the provider's guidance (quick polls on the simulator), or
/// `--poll-interval`, with `--timeout` as the deadline.
pub fn wait_policy(provider: Provider, options: &WaitOptions, simulated: bool) -> Result<WaitPolicy, CliError> {
    let mut policy = WaitPolicy::for_provider(provider);
    if simulated {
        policy.interval = Duration::from_millis(200);
        policy.max_interval = Duration::from_millis(500);
    }
    if let Some(i) = options.poll_interval {
        policy.interval = positive_seconds(i, "poll-interval")?;
        policy.max_interval = policy.max_interval.max(policy.interval);
        policy.backoff = 1.0;
    }
    if let Some(t) = options.timeout {
        policy.deadline = Some(positive_seconds(t, "timeout")?);
    }
    Ok(policy)
}

/// A job from its JSON handle (a line of `submit`'s output), `submit --json`'s report when it
/// holds one job, or its short form `provider:id`.
pub fn parse_job(text: &str) -> Result<Job, CliError> {
    let text = text.trim();
    if text.starts_with('{') {
        // `submit --json`'s and `remix --json`'s whole report, when it holds one job.
        #[derive(serde::Deserialize)]
        struct Jobs {
            jobs: Vec<serde_json::Value>,
        }
        if let Ok(Jobs { jobs }) = serde_json::from_str::<Jobs>(text) {
            return match <[serde_json::Value; 1]>::try_from(jobs) {
                Ok([job]) => serde_json::from_value(job)
                    .map_err(|e| CliError::usage(format!("the job handle in \"jobs\" is not valid: {e}"))),
                Err(jobs) => Err(CliError::usage(format!(
                    "the report holds {} jobs; give one of them (jq '.jobs[0]')",
                    jobs.len()
                ))),
            };
        }
        serde_json::from_str(text).map_err(|e| CliError::usage(format!("the job handle is not valid JSON: {e}")))
    } else {
        Job::from_short_form(text).map_err(|e| CliError::usage(format!("{e}; give the JSON handle or provider:id")))
    }
}

/// `videogen-<job id>.mp4` (or `-thumbnail.webp`, `-spritesheet.webp`), the id cut to 48 safe
/// characters.
pub fn default_out(job: &Job, variant: VariantArg) -> PathBuf {
    let id: String =
        job.id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    let id: String = id.chars().take(48).collect();
    match variant {
        VariantArg::Video => PathBuf::from(format!("videogen-{id}.mp4")),
        other => PathBuf::from(format!("videogen-{id}-{}.{}", other.variant().as_str(), other.extension())),
    }
}

/// `out` for one output; `out` with `-N` (N = `index` + 1) before its extension for several.
pub fn numbered(out: &Path, index: usize, count: usize) -> PathBuf {
    if count == 1 {
        return out.to_path_buf();
    }
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match out.extension() {
        Some(ext) => format!("{stem}-{}.{}", index + 1, ext.to_string_lossy()),
        None => format!("{stem}-{}", index + 1),
    };
    out.with_file_name(name)
}

/// Checks an output path before anything is paid for (exit 2 when it cannot take the file, or
/// when a file is already there and `force` is off: this run never writes over what it did not
/// write).
pub fn check_out(path: &Path, force: bool) -> Result<(), CliError> {
    if is_stdout(path) {
        return Ok(());
    }
    videogen::check_output_path(path).map_err(CliError::from)?;
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(CliError::usage(format!(
            "output {} already exists; nothing was sent (pass --force to replace it, or choose another --out)",
            path.display()
        )));
    }
    Ok(())
}

/// The other paid jobs a command still waits for (every output of `generate --count N`) with
/// their output files: an interruption reports them all, not only the one being waited on.
pub static PENDING: std::sync::Mutex<Vec<(Job, PathBuf)>> = std::sync::Mutex::new(Vec::new());

/// Resolves at the first SIGINT (Ctrl-C) or SIGTERM (a supervisor's stop) with the exit code it
/// means: 130 or 143. Never resolves where the signals cannot be listened to.
pub async fn stop_signal() -> ExitCode {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => ExitCode::Interrupted,
        _ = term.recv() => ExitCode::Terminated,
    }
}

/// Says that the job (and every other [`PENDING`] job) goes on and the command that resumes
/// each, then exits with `code` (130 for SIGINT, 143 for SIGTERM).
pub fn interrupted(job: &Job, global: Global, simulated: bool, command: &str, out: Option<&Path>, code: ExitCode) -> ! {
    let mut jobs: Vec<(Job, Option<PathBuf>)> = vec![(job.clone(), out.map(Path::to_path_buf))];
    let pending = PENDING.lock().map(|p| p.clone()).unwrap_or_default();
    jobs.extend(pending.into_iter().filter(|(j, _)| j != job).map(|(j, o)| (j, Some(o))));
    let place = if simulated { "the built-in simulator".to_string() } else { job.provider.to_string() };
    let what =
        if jobs.len() == 1 { format!("job {}", clean(&job.short_form())) } else { format!("{} jobs", jobs.len()) };
    let message = format!("interrupted: {what} go on at {place}.");
    let resume: Vec<String> = jobs
        .iter()
        .map(|(j, out)| {
            // The first job resumes with the interrupted command; the others with `wait`.
            let command = if j == job { command } else { "wait" };
            format!(
                "resume with: videogen {command} '{}'{}",
                serde_json::to_string(j).unwrap_or_default(),
                out.as_ref().map(|p| format!(" --out '{}'", p.display())).unwrap_or_default()
            )
        })
        .collect();
    if global.json {
        let mut report = ErrorReport::new(code, message.clone(), Some(job.clone()), resume.clone());
        report.jobs = jobs.iter().map(|(j, _)| j.clone()).collect();
        output::json(&crate::vocabulary::to_json(&report));
    }
    output::err(&message);
    for line in &resume {
        output::err(&clean(line));
    }
    std::process::exit(code as i32);
}

/// Waits for `job` with a spinner on standard error (hidden with --json or without a terminal);
/// Ctrl-C clears the spinner, stops waiting and prints how to resume.
pub async fn wait_with_progress(
    client: &Client,
    job: &Job,
    policy: WaitPolicy,
    global: Global,
    out_hint: Option<&Path>,
    simulated: bool,
) -> Result<videogen::Video, CliError> {
    use std::io::IsTerminal;
    // Without a terminal there is no spinner: each change of status is a line, and a long wait
    // says it is still waiting every STEADY_STATUS_EVERY (a log or CI job shows progress).
    let plain = !global.json && !std::io::stderr().is_terminal();
    let last = std::sync::Arc::new(std::sync::Mutex::new(String::from("waiting")));
    let steady = plain.then(|| {
        let (last, job, started) = (last.clone(), clean(&job.short_form()), std::time::Instant::now());
        tokio::spawn(async move {
            let mut ticks =
                tokio::time::interval_at(tokio::time::Instant::now() + STEADY_STATUS_EVERY, STEADY_STATUS_EVERY);
            loop {
                ticks.tick().await;
                let now = last.lock().map(|l| l.clone()).unwrap_or_default();
                output::err(&format!("{job}: still {now} after {} s", started.elapsed().as_secs()));
            }
        })
    });
    let bar =
        if global.json || plain { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner:.green} {prefix} {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_prefix(clean(&job.short_form()));
    bar.enable_steady_tick(Duration::from_millis(120));
    // A line when the status word changes (progress alone goes into the steady line).
    let told = std::sync::Mutex::new(String::new());
    let tell = |message: String| {
        if plain {
            let word = message.split(' ').next().unwrap_or_default().to_string();
            if let Ok(mut told) = told.lock()
                && *told != word
            {
                output::err(&format!("{}: {message}", clean(&job.short_form())));
                *told = word;
            }
            if let Ok(mut l) = last.lock() {
                *l = message;
            }
        } else {
            bar.set_message(message);
        }
    };
    let show = |event: &WaitEvent| match event {
        WaitEvent::Status { status, progress, raw_status, .. } => {
            let word = raw_status.as_ref().map_or(status.to_string(), |raw| format!("{status} ({})", clean(raw)));
            tell(match progress {
                Some(p) => format!("{word} {p}%"),
                None => word,
            });
        }
        WaitEvent::Retrying { error, retry_in, .. } => {
            tell(format!("retrying in {:.1} s after: {}", retry_in.as_secs_f64(), clean(error)));
        }
        _ => {}
    };
    let result = tokio::select! {
        video = client.wait_with(job, policy, show) => video.map_err(CliError::from),
        code = stop_signal() => {
            bar.finish_and_clear();
            interrupted(job, global, simulated, "wait", out_hint, code);
        }
    };
    bar.finish_and_clear();
    if let Some(steady) = steady {
        steady.abort();
    }
    result.map_err(|e| e.with_job(job))
}

/// The report of a wait that ended with the video (not downloaded): the handle, the result URL,
/// its expiry and the cost; `expired` as `status` says it when the URL is already past its expiry.
pub fn succeeded(job: &Job, video: &videogen::Video) -> Report {
    let expired = video.info().is_expired();
    let report = StatusReport {
        progress: Some(100),
        error: expired.then(|| crate::vocabulary::EXPIRED_URL.to_string()),
        url: video.url().map(str::to_string),
        expired,
        expires_at: video.expires_at,
        cost: video.cost.clone(),
        ..StatusReport::bare(job, if expired { StateWord::Expired } else { StateWord::Succeeded })
    };
    Report::typed(
        vec![format!(
            "{} {}{}",
            clean(&job.short_form()),
            if expired { "expired (the result URL is past its expiry; generate it again)" } else { "succeeded" },
            video.url().map(|u| format!(": {}", clean(u))).unwrap_or_default()
        )],
        &report,
    )
}

/// How often a wait without a terminal says it is still waiting: every 30 seconds.
pub const STEADY_STATUS_EVERY: Duration = Duration::from_secs(30);

/// `--out -`: the video goes to standard output.
pub fn is_stdout(out: &Path) -> bool {
    out == Path::new("-")
}

/// `--out -`: downloads into a private temporary folder with every check of a file download
/// (length, video bytes, resumes), then copies the finished, checked file to standard output
/// (nothing reaches it before the whole video is checked) and prints the report on standard
/// error, so standard output holds the video's bytes alone.
async fn download_to_stdout(
    video: &videogen::Video,
    variant: VariantArg,
    global: Global,
    limit: Option<Duration>,
    simulated: bool,
) -> Result<Report, CliError> {
    let job = &video.job;
    let folder = tempfile::tempdir().map_err(|e| CliError::failed(format!("a temporary folder: {e}")).with_job(job))?;
    let file = folder.path().join(format!("video.{}", variant.extension()));
    let (_, mut written) = download_file(video, variant, &file, 1, global, limit, simulated, true).await?;
    let copied = tokio::task::spawn_blocking(move || {
        let mut from = std::fs::File::open(&file)?;
        let mut stdout = std::io::stdout().lock();
        let n = std::io::copy(&mut from, &mut stdout)?;
        std::io::Write::flush(&mut stdout).map(|()| n)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    let bytes = copied.map_err(|e| CliError::failed(format!("standard output: {e}")).with_job(job))?;
    written.file = "-".into();
    if global.json {
        let report = OutputsReport { outputs: vec![Output::File(written)] };
        crate::output::err(&crate::vocabulary::to_json(&report).to_string());
    } else {
        crate::output::err(&format!(
            "wrote {bytes} bytes to standard output{}",
            if simulated { " (simulated)" } else { "" }
        ));
    }
    Ok(Report::empty())
}

/// Downloads `variant` of `video` to `out` within `limit` (the client's default when `None`).
/// Ctrl-C stops within a second: the partial file stays under a name derived from the job, and
/// `videogen download <handle> --out <out>` resumes it with `Range`.
pub async fn download(
    video: &videogen::Video,
    variant: VariantArg,
    out: &Path,
    global: Global,
    limit: Option<Duration>,
    simulated: bool,
    force: bool,
) -> Result<Report, CliError> {
    if is_stdout(out) {
        return download_to_stdout(video, variant, global, limit, simulated).await;
    }
    let (text, file) = download_file(video, variant, out, 1, global, limit, simulated, force).await?;
    Ok(Report::typed(vec![text], &OutputsReport { outputs: vec![Output::File(file)] }))
}

/// Downloads `variant` of `video` to the file `out` (as [`download`]) as output number `output`
/// (from 1) of its command: the line of text and the [`FileReport`].
#[allow(clippy::too_many_arguments)]
pub async fn download_file(
    video: &videogen::Video,
    variant: VariantArg,
    out: &Path,
    output: usize,
    global: Global,
    limit: Option<Duration>,
    simulated: bool,
    force: bool,
) -> Result<(String, FileReport), CliError> {
    let job = &video.job;
    // Checked before the create too; a file that appeared while the job ran is not replaced.
    if !force && std::fs::symlink_metadata(out).is_ok() {
        return Err(CliError::failed(format!(
            "output {} appeared while the job ran and is kept; the video waits at the provider: videogen download '{}' --out OTHER.mp4",
            out.display(),
            clean(&job.short_form())
        ))
        .with_job(job));
    }
    // Without --force the file is put in place without replacing one that appears meanwhile.
    let video = if force { video.clone() } else { video.clone().no_overwrite() };
    // Bytes of total on a terminal (the library's download progress events); nothing otherwise.
    use std::io::IsTerminal;
    let bar = if global.json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} downloading {bytes}{msg} ({bytes_per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        )
    };
    let video = {
        let bar = bar.clone();
        video.on_progress(move |p| {
            if let Some(total) = p.total {
                bar.set_message(format!(" of {}", indicatif::HumanBytes(total)));
            }
            bar.set_position(p.bytes);
        })
    };
    let transfer = async {
        match limit {
            Some(limit) => video.download_variant_to_within(variant.variant(), out, limit).await,
            None => video.download_variant_to(variant.variant(), out).await,
        }
    };
    let file = tokio::select! {
        file = transfer => file,
        code = stop_signal() => {
            bar.finish_and_clear();
            interrupted(job, global, simulated, "download", Some(out), code);
        }
    };
    bar.finish_and_clear();
    let file = file.map_err(|e| CliError::from(e).with_job(job))?;
    let resumed =
        if file.resumed_from > 0 { format!(", resumed from byte {}", file.resumed_from) } else { String::new() };
    // A simulated video is marked as such, and its cost (the simulator's figure) is no cost.
    let (mark, cost) = if simulated {
        (" (simulated by the built-in simulator: not a real video, no cost)", None)
    } else {
        ("", video.cost.clone())
    };
    let report = FileReport {
        output,
        job: job.clone(),
        file: file.path.display().to_string(),
        bytes: file.bytes,
        resumed_from: file.resumed_from,
        variant: variant.variant(),
        cost,
        simulated,
    };
    Ok((format!("{} ({} bytes{resumed}){mark}", clean(&file.path.display().to_string()), file.bytes), report))
}
/// Refuses a variant the provider cannot give before anything is paid for.
pub fn check_variant(provider: videogen::Provider, variant: VariantArg) -> Result<(), CliError> {
    let operation = match variant {
        VariantArg::Video => return Ok(()),
        VariantArg::Thumbnail => videogen::Operation::Thumbnail,
        VariantArg::Spritesheet => videogen::Operation::Spritesheet,
    };
    if videogen::Client::supports(provider, operation) {
        Ok(())
    } else {
        Err(videogen::Error::Unsupported { provider, operation }.into())
    }
}
