//! `videogen`: generate AI videos from a prompt through Oxen.ai, VideoDB, AIHubMix or OpenAI.

mod batch;
mod library;
mod output;

use clap::{Args, Parser, Subcommand, ValueEnum};
use output::clean;
use std::path::{Path, PathBuf};
use std::time::Duration;
use videogen::{Client, Error, ImageInput, Job, JobStatus, Provider, Size, VideoRequest, WaitEvent, WaitPolicy};

const EXAMPLES: &str = "\
Examples:
  videogen generate \"A red balloon floating upward through blue sky\" --out balloon.mp4
  videogen generate \"A drone over a city\" --provider videodb --duration 6
  videogen generate \"A paper boat\" --provider aihubmix --model veo-3.1-generate-preview --duration 8 --size 1920x1080
  videogen submit \"A sunset timelapse\" --json > job.json && videogen wait \"$(cat job.json)\" --out sunset.mp4
  videogen batch prompts.jsonl --concurrency 4 --out-dir videos/
  videogen remix openai:video_123 \"The same shot at night\"
  videogen collections create \"Launch videos\"
  videogen models --live --provider oxen --search kling
  videogen sim --addr 127.0.0.1:8080
  videogen schema batch-line

Keys: OXEN_API_KEY, VIDEODB_API_KEY, AIHUBMIX_API_KEY, OPENAI_API_KEY (base URLs: OXEN_BASE_URL, …).
With no key for the chosen provider, or with --sim, the built-in simulator answers: nothing is
generated or billed.

Exit codes: 0 done; 1 failed (API, network, download, redirect); 2 bad arguments, request or output
path (nothing was sent); 3 configuration or authentication; 4 the job failed (content policy
included) or was cancelled; 5 the --timeout passed (the job goes on; a partial download is kept);
6 a create's outcome is unknown (look the job up before resubmitting); 130 interrupted (the job
goes on; the command to resume is printed). After a create, every error also prints `job: <handle>`.";

/// Generate AI videos through Oxen.ai, VideoDB, AIHubMix or OpenAI, with one command line.
#[derive(Parser, Debug)]
#[command(name = "videogen", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print JSON on standard output instead of text, for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// Log what happens (tracing output on standard error; RUST_LOG refines it).
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Use the built-in simulator of the providers' APIs (nothing is generated or billed).
    #[arg(long, global = true)]
    sim: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Submit a request, wait for it with a progress bar, download the video.
    Generate(Generate),
    /// Submit a request and print the job handle (JSON with --json), without waiting.
    Submit(RequestArgs),
    /// Print a job's status.
    Status(JobArg),
    /// Wait for a job to finish; with --out, download the video.
    Wait(WaitArgs),
    /// Download a finished job's video.
    Download(DownloadArgs),
    /// List a provider's recent jobs.
    List(ProviderArg),
    /// Cancel a job (Oxen.ai only; the others have no cancel).
    Cancel(JobArg),
    /// Show the known models and their rules; with --live, the provider's own list.
    Models(ModelsArgs),
    /// Remix a finished job with a new prompt (OpenAI, AIHubMix, Oxen.ai); prints the new handle.
    Remix(library::RemixArgs),
    /// Delete a job's video at the provider (OpenAI, AIHubMix, VideoDB).
    Delete(JobArg),
    /// VideoDB's collections: list (the default), create NAME, delete ID.
    Collections(library::CollectionsArgs),
    /// Run a JSON Lines file of requests, resumable after a crash (see `videogen schema batch-line`).
    Batch(batch::BatchArgs),
    /// Run the simulator of the providers' APIs in the foreground (point clients at the printed
    /// base URLs with any non-empty key).
    #[command(after_help = videogen_sim::FAULT_HELP)]
    Sim(videogen_sim::ServeArgs),
    /// Print a JSON Schema.
    Schema {
        #[arg(value_enum)]
        what: SchemaKind,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SchemaKind {
    /// One line of a `videogen batch` file.
    BatchLine,
}

#[derive(Args, Debug, Clone)]
struct RequestArgs {
    /// What to generate.
    prompt: String,
    /// oxen, videodb, aihubmix or openai (default: the first with an API key set, else oxen on the simulator).
    #[arg(long, short)]
    provider: Option<Provider>,
    /// Model id (default per provider: kling-video-v2-6-pro-text-to-video, videodb, sora-2, sora-2).
    #[arg(long, short)]
    model: Option<String>,
    /// Length in seconds.
    #[arg(long, short)]
    duration: Option<u32>,
    /// Aspect ratio, e.g. 16:9.
    #[arg(long, conflicts_with = "size")]
    aspect_ratio: Option<String>,
    /// Frame size in pixels, WIDTHxHEIGHT.
    #[arg(long)]
    size: Option<Size>,
    /// Random seed, where the model takes one (negative values too: --seed -5).
    #[arg(long, allow_negative_numbers = true)]
    seed: Option<i64>,
    /// Reference image: a URL or a local file (repeatable).
    #[arg(long = "image")]
    images: Vec<String>,
}

#[derive(Args, Debug)]
struct Generate {
    #[command(flatten)]
    request: RequestArgs,
    /// Where to write the MP4 (default: videogen-JOBID.mp4).
    #[arg(long, short)]
    out: Option<PathBuf>,
    #[command(flatten)]
    wait: WaitOptions,
}

#[derive(Args, Debug, Clone)]
struct WaitOptions {
    /// Seconds between status polls (default: the provider's guidance).
    #[arg(long)]
    poll_interval: Option<f64>,
    /// Give up after this many seconds, waiting and downloading together (default: 1800 for the
    /// wait, 7200 for the download); the job goes on, a partial download is kept for a resume.
    #[arg(long)]
    timeout: Option<f64>,
}

#[derive(Args, Debug)]
struct JobArg {
    /// The job: its JSON handle (from `submit --json`) or provider:id.
    job: String,
}

#[derive(Args, Debug)]
struct WaitArgs {
    /// The job: its JSON handle or provider:id.
    job: String,
    /// Download the video here when it is done.
    #[arg(long, short)]
    out: Option<PathBuf>,
    #[command(flatten)]
    wait: WaitOptions,
}

#[derive(Args, Debug)]
struct DownloadArgs {
    /// The job: its JSON handle or provider:id.
    job: String,
    /// Where to write the MP4 (default: videogen-JOBID.mp4).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Give up the download after this many seconds (default 7200); the partial file is kept
    /// and the same command resumes it.
    #[arg(long)]
    timeout: Option<f64>,
}

#[derive(Args, Debug)]
struct ModelsArgs {
    /// oxen, videodb, aihubmix or openai.
    #[arg(long, short)]
    provider: Option<Provider>,
    /// Ask the provider for its models now (Oxen.ai: capabilities, pricing, request_schema),
    /// merged with the rule table.
    #[arg(long)]
    live: bool,
    /// With --live: only models matching this text (Oxen.ai's model search).
    #[arg(long, requires = "live")]
    search: Option<String>,
}

#[derive(Args, Debug)]
struct ProviderArg {
    /// oxen, videodb, aihubmix or openai.
    #[arg(long, short)]
    provider: Option<Provider>,
}

/// A failure with its exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub code: i32,
    pub message: String,
    pub job: Option<Box<Job>>,
}

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self { code: 2, message: message.into(), job: None }
    }
}

/// The exit code for a library error (see EXAMPLES).
pub(crate) fn exit_code(e: &Error) -> i32 {
    match e {
        Error::InvalidRequest { .. } => 2,
        Error::Config { .. } | Error::Auth { .. } => 3,
        Error::JobFailed { .. } | Error::ContentPolicy { .. } | Error::Cancelled { .. } => 4,
        Error::Timeout { .. } => 5,
        Error::OutcomeUnknown { .. } => 6,
        _ => 1,
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        Self { code: exit_code(&e), job: e.job().map(|j| Box::new(j.clone())), message: e.to_string() }
    }
}

impl CliError {
    /// Attaches `job` when the error has none (every error after a create carries the job).
    pub(crate) fn with_job(mut self, job: &Job) -> Self {
        if self.job.is_none() {
            self.job = Some(Box::new(job.clone()));
        }
        self
    }
}

/// Checks an output path before anything is paid for (exit 2 when it cannot take the file).
pub(crate) fn check_out(path: &Path) -> Result<(), CliError> {
    videogen::check_output_path(path).map(|_| ()).map_err(CliError::from)
}

/// The client to use, and the simulator behind it when there is one.
pub(crate) struct Context {
    pub client: Client,
    _sim: Option<videogen_sim::Sim>,
}

pub(crate) fn key_set(provider: Provider) -> bool {
    std::env::var(provider.api_key_env()).is_ok_and(|k| !k.trim().is_empty())
}

/// The provider to use when none is given: the first with a key set, else Oxen (on the simulator).
pub(crate) fn default_provider() -> Provider {
    Provider::ALL.into_iter().find(|p| key_set(*p)).unwrap_or(Provider::Oxen)
}

pub(crate) fn default_model(provider: Provider) -> &'static str {
    match provider {
        Provider::Oxen => "kling-video-v2-6-pro-text-to-video",
        Provider::VideoDb => "videodb",
        Provider::AiHubMix | Provider::OpenAi => "sora-2",
    }
}

/// Where the built-in simulator keeps its jobs between runs: `$VIDEOGEN_SIM_STATE` when set,
/// else `videogen/sim-state.json` in the user's cache folder (`~/.cache` on Linux,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows); `None` (memory only) when there is
/// no cache folder.
pub(crate) fn sim_state_file() -> Option<PathBuf> {
    match std::env::var_os("VIDEOGEN_SIM_STATE") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => dirs::cache_dir().map(|d| d.join("videogen").join("sim-state.json")),
    }
}

/// A client for `providers`: the real APIs where keys are set, the in-process simulator for the
/// rest (or for all with `--sim`), saying so in one line.
pub(crate) async fn context(providers: &[Provider], force_sim: bool) -> Result<Context, CliError> {
    context_within(providers, force_sim, None).await
}

/// [`context`], with every API request and every `Retry-After` sleep cut to `limit` (a
/// command's `--timeout`), so no single step outlives the command's deadline.
pub(crate) async fn context_within(
    providers: &[Provider],
    force_sim: bool,
    limit: Option<Duration>,
) -> Result<Context, CliError> {
    let simulated: Vec<Provider> = providers.iter().copied().filter(|p| force_sim || !key_set(*p)).collect();
    let mut builder = Client::builder();
    let mut sim = None;
    if !simulated.is_empty() {
        let config = videogen_sim::SimConfig {
            queued_for: Duration::from_millis(300),
            processing_for: Duration::from_millis(2000),
            // Jobs outlive this process: `submit` now, `wait`/`download` in a later one.
            state_file: sim_state_file(),
            ..Default::default()
        };
        let s = videogen_sim::Sim::start(config).await.map_err(|e| CliError {
            code: 1,
            message: e.to_string(),
            job: None,
        })?;
        for p in &simulated {
            let base = match p {
                Provider::OpenAi => s.openai_base_url(),
                Provider::AiHubMix => s.aihubmix_base_url(),
                Provider::Oxen | Provider::VideoDb => s.base_url(),
            };
            builder = builder.api_key(*p, "videogen-sim").base_url(*p, base);
        }
        let names: Vec<&str> = simulated.iter().map(|p| p.as_str()).collect();
        let why = if force_sim { "--sim".to_string() } else { format!("no {} set", simulated[0].api_key_env()) };
        output::err(&format!(
            "note: {why}: using the built-in simulator for {} (nothing is generated or billed)",
            names.join(", ")
        ));
        sim = Some(s);
    }
    for p in providers.iter().filter(|p| !simulated.contains(p)) {
        let key = std::env::var(p.api_key_env()).unwrap_or_default();
        builder = builder.api_key(*p, key.trim().to_string());
        if let Ok(url) = std::env::var(p.base_url_env())
            && !url.trim().is_empty()
        {
            builder = builder.base_url(*p, url.trim());
        }
    }
    if let Some(limit) = limit {
        builder = builder.request_timeout(limit.min(videogen::DEFAULT_REQUEST_TIMEOUT)).retry(videogen::RetryPolicy {
            max_retry_after: limit.min(videogen::MAX_RETRY_AFTER),
            ..videogen::RetryPolicy::default()
        });
    }
    Ok(Context { client: builder.build()?, _sim: sim })
}

impl RequestArgs {
    pub(crate) fn provider(&self) -> Provider {
        self.provider.unwrap_or_else(default_provider)
    }

    fn to_request(&self) -> VideoRequest {
        let provider = self.provider();
        let mut r =
            VideoRequest::new(provider, self.model.clone().unwrap_or_else(|| default_model(provider).to_string()))
                .prompt(self.prompt.clone());
        r.duration = self.duration;
        r.aspect_ratio = self.aspect_ratio.clone();
        r.size = self.size;
        r.seed = self.seed;
        r.images = self.images.iter().map(|i| ImageInput::parse(i)).collect();
        r
    }

    /// The request, with its local files checked (exit 2 before anything is sent).
    fn checked_request(&self) -> Result<VideoRequest, CliError> {
        if self.duration == Some(0) {
            return Err(CliError::usage("--duration must be at least 1 second"));
        }
        let request = self.to_request();
        videogen::check_local_inputs(&request)?;
        Ok(request)
    }
}

/// A flag's value in seconds, which must be a positive number.
fn positive_seconds(value: f64, flag: &str) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError::usage(format!("--{flag} must be a positive number of seconds")))
}

pub(crate) fn wait_policy(provider: Provider, options: &WaitOptions, simulated: bool) -> Result<WaitPolicy, CliError> {
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

pub(crate) fn parse_job(text: &str) -> Result<Job, CliError> {
    let text = text.trim();
    if text.starts_with('{') {
        serde_json::from_str(text).map_err(|e| CliError::usage(format!("the job handle is not valid JSON: {e}")))
    } else {
        Job::from_short_form(text).map_err(|e| CliError::usage(format!("{e}; give the JSON handle or provider:id")))
    }
}

fn default_out(job: &Job) -> PathBuf {
    let id: String =
        job.id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    PathBuf::from(format!("videogen-{}.mp4", id.chars().take(48).collect::<String>()))
}

pub(crate) fn print_json(value: &serde_json::Value) {
    output::json(value);
}

/// How to say that a job goes on, and the command that resumes it.
fn interrupted(job: &Job, json: bool, simulated: bool, command: &str, out: Option<&Path>) -> ! {
    let handle = serde_json::to_string(job).unwrap_or_default();
    if json {
        print_json(&serde_json::json!({"interrupted": true, "job": job}));
    }
    let place = if simulated { "the built-in simulator".to_string() } else { job.provider.to_string() };
    output::err(&format!(
        "interrupted: job {} goes on at {place}.\nresume with: videogen {command} '{}'{}",
        clean(&job.short_form()),
        clean(&handle),
        out.map(|p| format!(" --out '{}'", clean(&p.display().to_string()))).unwrap_or_default()
    ));
    std::process::exit(130);
}

/// Waits for `job` with a progress bar (hidden with --json or when stderr is not a terminal);
/// Ctrl-C stops waiting and prints how to resume.
async fn wait_with_progress(
    client: &Client,
    job: &Job,
    policy: WaitPolicy,
    json: bool,
    out_hint: Option<&PathBuf>,
    simulated: bool,
) -> Result<videogen::Video, CliError> {
    use futures::StreamExt;
    let bar = if json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner:.green} {prefix} {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_prefix(clean(&job.short_form()));
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut events = std::pin::pin!(client.events(job, policy));
    let result = loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(WaitEvent::Status { status, progress, raw_status, .. })) => {
                    let word = raw_status.map_or(status.to_string(), |raw| format!("{status} ({})", clean(&raw)));
                    bar.set_message(match progress { Some(p) => format!("{word} {p}%"), None => word });
                }
                Some(Ok(WaitEvent::Retrying { error, retry_in, .. })) => {
                    bar.set_message(format!("retrying in {:.1} s after: {}", retry_in.as_secs_f64(), clean(&error)));
                }
                Some(Ok(WaitEvent::Finished(video))) => break client.video(&video).map_err(CliError::from),
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(CliError::from(e)),
                None => break Err(CliError { code: 1, message: "the wait ended without a result".into(), job: Some(Box::new(job.clone())) }),
            },
            _ = tokio::signal::ctrl_c() => {
                bar.finish_and_clear();
                interrupted(job, json, simulated, "wait", out_hint.map(PathBuf::as_path));
            }
        }
    };
    bar.finish_and_clear();
    result.map_err(|e| e.with_job(job))
}

/// Downloads `video` to `out` within `limit` (the client's default when `None`). Ctrl-C stops
/// within a second: the partial file stays under a name derived from the job, and
/// `videogen download <handle> --out <out>` resumes it with `Range`.
async fn download(
    video: &videogen::Video,
    out: &Path,
    json: bool,
    limit: Option<Duration>,
    simulated: bool,
) -> Result<(), CliError> {
    let job = &video.job;
    let transfer = async {
        match limit {
            Some(limit) => video.download_to_within(out, limit).await,
            None => video.download_to(out).await,
        }
    };
    let file = tokio::select! {
        file = transfer => file.map_err(|e| CliError::from(e).with_job(job))?,
        _ = tokio::signal::ctrl_c() => {
            interrupted(job, json, simulated, "download", Some(out));
        }
    };
    if json {
        print_json(
            &serde_json::json!({"job": job, "file": file.path, "bytes": file.bytes, "resumed_from": file.resumed_from}),
        );
    } else {
        let resumed =
            if file.resumed_from > 0 { format!(", resumed from byte {}", file.resumed_from) } else { String::new() };
        output::out(&format!("{} ({} bytes{resumed})", clean(&file.path.display().to_string()), file.bytes));
    }
    Ok(())
}

impl WaitOptions {
    /// `--timeout` as a duration.
    fn limit(&self) -> Result<Option<Duration>, CliError> {
        self.timeout.map(|t| positive_seconds(t, "timeout")).transpose()
    }
}

/// What is left of `--timeout` after `started`, for the download (`None`: no `--timeout`).
fn time_left(options: &WaitOptions, started: std::time::Instant) -> Option<Duration> {
    let total = Duration::try_from_secs_f64(options.timeout?).ok()?;
    Some(total.saturating_sub(started.elapsed()).max(Duration::from_millis(1)))
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let json = cli.json;
    match cli.command {
        Command::Generate(g) => {
            let provider = g.request.provider();
            let simulated = cli.sim || !key_set(provider);
            let request = g.request.checked_request()?;
            // Every output path is checked before the create: a bad one costs nothing.
            match &g.out {
                Some(out) => check_out(out)?,
                None => check_out(Path::new("videogen-output.mp4"))?,
            }
            let ctx = context_within(&[provider], cli.sim, g.wait.limit()?).await?;
            let policy = wait_policy(provider, &g.wait, simulated)?;
            let started = std::time::Instant::now();
            let job = ctx.client.submit(&request).await?;
            if !json {
                output::err(&format!("submitted {}", clean(&job.short_form())));
            }
            let out = g.out.clone().unwrap_or_else(|| default_out(&job));
            let video = wait_with_progress(&ctx.client, &job, policy, json, Some(&out), simulated).await?;
            download(&video, &out, json, time_left(&g.wait, started), simulated).await
        }
        Command::Submit(r) => {
            let request = r.checked_request()?;
            let ctx = context(&[r.provider()], cli.sim).await?;
            let job = ctx.client.submit(&request).await?;
            if json {
                print_json(&serde_json::to_value(&job).unwrap_or_default());
            } else {
                output::out(&clean(&serde_json::to_string(&job).unwrap_or_default()));
            }
            Ok(())
        }
        Command::Status(a) => {
            let job = parse_job(&a.job)?;
            let ctx = context(&[job.provider], cli.sim).await?;
            let status = ctx.client.status(&job).await?;
            let expired = matches!(&status, JobStatus::Succeeded(v) if v.is_expired());
            let name = if expired { "expired" } else { status.name() };
            let (detail, url) = match &status {
                JobStatus::Failed(e) => (Some(e.message.clone()), None),
                JobStatus::Succeeded(v) => (None, v.url().map(String::from)),
                JobStatus::Unrecognized { status } => (Some(format!("the provider says {status:?}")), None),
                _ => (None, None),
            };
            if json {
                print_json(&serde_json::json!({
                    "job": job, "status": name, "progress": status.progress(), "error": detail, "url": url,
                    "provider_status": status.raw_status(), "expired": expired,
                }));
            } else {
                let progress = status.progress().map(|p| format!(" {p}%")).unwrap_or_default();
                output::out(&format!(
                    "{} {name}{progress}{}",
                    clean(&job.short_form()),
                    detail.map(|d| format!(": {}", clean(&d))).unwrap_or_default()
                ));
            }
            Ok(())
        }
        Command::Wait(w) => {
            let job = parse_job(&w.job)?;
            if let Some(out) = &w.out {
                check_out(out).map_err(|e| e.with_job(&job))?;
            }
            let simulated = cli.sim || !key_set(job.provider);
            let ctx = context_within(&[job.provider], cli.sim, w.wait.limit()?).await?;
            let policy = wait_policy(job.provider, &w.wait, simulated)?;
            let started = std::time::Instant::now();
            let video = wait_with_progress(&ctx.client, &job, policy, json, w.out.as_ref(), simulated).await?;
            match w.out {
                Some(out) => download(&video, &out, json, time_left(&w.wait, started), simulated).await,
                None => {
                    if json {
                        print_json(&serde_json::json!({"job": job, "status": "succeeded", "url": video.url()}));
                    } else {
                        output::out(&format!(
                            "{} succeeded{}",
                            clean(&job.short_form()),
                            video.url().map(|u| format!(": {}", clean(u))).unwrap_or_default()
                        ));
                    }
                    Ok(())
                }
            }
        }
        Command::Download(d) => {
            let job = parse_job(&d.job)?;
            let out = d.out.clone().unwrap_or_else(|| default_out(&job));
            check_out(&out).map_err(|e| e.with_job(&job))?;
            let limit = d.timeout.map(|t| positive_seconds(t, "timeout")).transpose()?;
            let simulated = cli.sim || !key_set(job.provider);
            let ctx = context_within(&[job.provider], cli.sim, limit).await?;
            match ctx.client.status(&job).await? {
                JobStatus::Succeeded(video) => download(&ctx.client.video(&video)?, &out, json, limit, simulated).await,
                other => Err(CliError {
                    code: 1,
                    message: format!("job {} is {}, not finished", job.short_form(), other.name()),
                    job: Some(Box::new(job)),
                }),
            }
        }
        Command::List(p) => {
            let provider = p.provider.unwrap_or_else(default_provider);
            let ctx = context(&[provider], cli.sim).await?;
            let jobs = ctx.client.list(provider).await?;
            if json {
                print_json(&serde_json::to_value(&jobs).unwrap_or_default());
            } else {
                if jobs.is_empty() {
                    output::err(&format!("no jobs at {provider}"));
                }
                for j in &jobs {
                    output::out(&format!(
                        "{}\t{}\t{}\t{}",
                        clean(&j.job.short_form()),
                        clean(&j.status),
                        j.job.created_at.format("%Y-%m-%d %H:%M:%S"),
                        clean(j.prompt.as_deref().unwrap_or(""))
                    ));
                }
            }
            Ok(())
        }
        Command::Cancel(a) => {
            let job = parse_job(&a.job)?;
            let ctx = context(&[job.provider], cli.sim).await?;
            let status = ctx.client.cancel(&job).await?;
            let cancelled = matches!(status, JobStatus::Cancelled);
            if json {
                print_json(&serde_json::json!({"job": job, "cancelled": cancelled, "status": status.name()}));
            } else if cancelled {
                output::out(&format!("cancelled {}", clean(&job.short_form())));
            } else {
                output::out(&format!("{} is {}; cancel had nothing to stop", clean(&job.short_form()), status.name()));
            }
            if cancelled || !status.is_terminal() {
                Ok(())
            } else {
                Err(CliError {
                    code: 1,
                    message: format!("job {} had already {}", job.short_form(), status.name()),
                    job: Some(Box::new(job)),
                })
            }
        }
        Command::Remix(r) => {
            let source = parse_job(&r.job)?;
            let ctx = context(&[source.provider], cli.sim).await?;
            library::remix(&ctx, &source, &r.prompt).await?.print(json);
            Ok(())
        }
        Command::Delete(a) => {
            let job = parse_job(&a.job)?;
            let ctx = context(&[job.provider], cli.sim).await?;
            library::delete(&ctx, &job).await?.print(json);
            Ok(())
        }
        Command::Collections(c) => {
            let ctx = context(&[Provider::VideoDb], cli.sim).await?;
            library::collections(&ctx, &c).await?.print(json);
            Ok(())
        }
        Command::Models(p) if p.live => {
            let provider = p.provider.unwrap_or_else(default_provider);
            let ctx = context(&[provider], cli.sim).await?;
            library::live_models(&ctx, provider, p.search.as_deref()).await?.print(json);
            Ok(())
        }
        Command::Models(p) => {
            let rows: Vec<&videogen::models::ModelInfo> = videogen::models::MODELS
                .iter()
                .filter(|m| p.provider.is_none_or(|pr| m.providers.contains(&pr)))
                .collect();
            if json {
                let list: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|m| serde_json::json!({
                        "providers": m.providers, "model": if m.prefix { format!("{}*", m.id) } else { m.id.to_string() },
                        "durations": m.durations.to_string(), "sizes": m.sizes, "aspect_ratios": m.aspect_ratios,
                        "images": m.images, "video_input": m.video_input, "multi_shot": m.multi_shot, "audio": m.audio,
                        "source": m.source}))
                    .collect();
                print_json(&serde_json::Value::Array(list));
            } else {
                for m in rows {
                    let providers: Vec<&str> = m.providers.iter().map(|p| p.as_str()).collect();
                    let id = if m.id.is_empty() {
                        "(any)".to_string()
                    } else if m.prefix {
                        format!("{}*", m.id)
                    } else {
                        m.id.to_string()
                    };
                    let sizes = m.sizes.map_or("none".to_string(), |s| s.join(", "));
                    let ratios = m.aspect_ratios.map_or("not documented".to_string(), |r| r.join(", "));
                    let yes = |b: bool| if b { "yes" } else { "no" };
                    output::out(&format!(
                        "{id:<40} {:<16} durations {}; sizes {sizes}; aspect ratios {ratios}; images {}; multi-shot {}\n    source: {}",
                        providers.join(","),
                        m.durations,
                        yes(m.images),
                        yes(m.multi_shot),
                        m.source
                    ));
                }
            }
            Ok(())
        }
        Command::Batch(b) => batch::run(b, cli.sim, json).await,
        Command::Sim(args) => {
            videogen_sim::serve(&args).await.map_err(|e| CliError { code: 1, message: e.to_string(), job: None })
        }
        Command::Schema { what: SchemaKind::BatchLine } => {
            print_json(&serde_json::to_value(schemars::schema_for!(batch::BatchLine)).unwrap_or_default());
            Ok(())
        }
    }
}

fn main() {
    let cli = Cli::parse();
    if cli.verbose {
        let filter =
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,videogen=debug".into());
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            output::err(&format!("error: cannot start the async runtime: {e}"));
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        if json {
            print_json(&serde_json::json!({"error": e.message, "exit_code": e.code, "job": e.job}));
        }
        output::err(&format!("error: {}", clean(&e.message)));
        if let Some(job) = &e.job {
            output::err(&format!("job: {}", clean(&serde_json::to_string(job).unwrap_or_default())));
        }
        std::process::exit(e.code);
    }
}
