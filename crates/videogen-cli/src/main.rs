//! `videogen`: generate AI videos from a prompt through Oxen.ai, VideoDB, AIHubMix or an
//! OpenAI-compatible gateway.
//!
//! One module per command (`cmd_*.rs`, each an `Args` type that implements [`cmd::Run`]);
//! `request` holds the request fields `generate`, `submit` and batch lines share, `waiting` what
//! the job commands share, `batch` the journaled batch runner, `exit` the exit codes.

mod batch;
mod budget;
mod cmd;
mod cmd_batch;
mod cmd_cancel;
mod cmd_collections;
mod cmd_delete;
mod cmd_download;
mod cmd_generate;
mod cmd_list;
mod cmd_models;
mod cmd_remix;
mod cmd_schema;
mod cmd_sim;
mod cmd_status;
mod cmd_submit;
mod cmd_wait;
mod context;
mod exit;
mod output;
mod request;
mod vocabulary;
mod waiting;

/// What the unit tests of this binary share.
#[cfg(test)]
mod test_support {
    /// Held by a test that starts a child process and by a test that needs a file lock released
    /// when its holder drops the file. A child gets a copy of every open file between its fork
    /// and its exec (close-on-exec closes them only at the exec), and a `flock` lives as long as
    /// any copy: a journal test re-opening its journal while another test's `ffprobe` was being
    /// started found the lock still held (a CI run on 5a7893f).
    pub static CHILD_PROCESSES: std::sync::Mutex<()> = std::sync::Mutex::new(());
}

use clap::{Parser, Subcommand};
use cmd::Run;
use context::Global;
use exit::CliError;

const EXAMPLES: &str = "\
Examples:
  videogen generate \"A red balloon floating upward through blue sky\" --out balloon.mp4
  videogen generate \"A drone over a city\" --provider videodb --duration 6
  videogen generate \"A paper boat\" --provider aihubmix --model wan2.6-t2v --duration 10 --size 1920x1080
  videogen submit \"A sunset timelapse\" --json > job.json && videogen wait \"$(cat job.json)\" --out sunset.mp4
  videogen generate \"Two cats\" --count 2 --out cats.mp4
  videogen generate \"A paper boat\" --provider aihubmix --variant thumbnail
  videogen batch prompts.jsonl --concurrency 4 --out-dir videos/ --events
  videogen remix openai:video_123 \"The same shot at night\"
  videogen collections create \"Launch videos\"
  videogen models --live --provider oxen --search kling
  videogen models --live --provider oxen --drift
  videogen sim --addr 127.0.0.1:8080
  videogen schema batch-line

Keys: OXEN_API_KEY, VIDEODB_API_KEY, AIHUBMIX_API_KEY, REPLICATE_API_TOKEN (base URLs:
OXEN_BASE_URL, …); an
OpenAI-compatible gateway needs OPENAI_BASE_URL and OPENAI_API_KEY (OpenAI's own Videos API was
shut down on 2026-09-24). With --sim, or with no provider configured at all, the built-in
simulator answers: nothing is generated or billed. Once one provider is configured, using
another that is not is an error (exit 3), never a silent simulator.";

fn after_help() -> String {
    format!("{EXAMPLES}\n\n{}", exit::exit_code_help())
}

/// Generate AI videos through Oxen.ai, VideoDB, AIHubMix, Replicate or an OpenAI-compatible gateway, with one command line.
#[derive(Parser, Debug)]
#[command(name = "videogen", version, after_help = after_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print JSON on standard output instead of text, for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// Log what happens (tracing output on standard error: one line per API request with its
    /// method, path, status and time; RUST_LOG alone turns it on and refines it).
    #[arg(long, short, global = true)]
    verbose: bool,
    /// The log lines' format: text (coloured only on a terminal without NO_COLOR) or json.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Use the built-in simulator of the providers' APIs (nothing is generated or billed).
    #[arg(long, global = true)]
    sim: bool,
    /// Send requests for models the catalogue marks retired (catalogues lag behind providers;
    /// the provider's own answer is still reported). See `videogen models`.
    #[arg(long, global = true)]
    allow_retired: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Submit a request, wait for it with a progress spinner, download the video.
    Generate(cmd_generate::Generate),
    /// Submit a request and print the job handle (JSON with --json), without waiting.
    Submit(cmd_submit::Submit),
    /// Print a job's status (with --json: cost, expiry).
    Status(cmd_status::Status),
    /// Wait for a job to finish; with --out, download the result.
    Wait(cmd_wait::Wait),
    /// Download a finished job's video, thumbnail or spritesheet.
    Download(cmd_download::Download),
    /// List a provider's recent jobs.
    List(cmd_list::List),
    /// Cancel a job (Oxen.ai, Replicate; the others have no cancel).
    Cancel(cmd_cancel::Cancel),
    /// Show the known models and their rules; with --live, the provider's own list.
    Models(cmd_models::Models),
    /// Remix a finished job with a new prompt (OpenAI, AIHubMix, Oxen.ai); prints the new handle.
    Remix(cmd_remix::Remix),
    /// Delete a job's video at the provider (OpenAI, AIHubMix, VideoDB).
    Delete(cmd_delete::Delete),
    /// VideoDB's collections: list (the default), create NAME, delete ID.
    Collections(cmd_collections::Collections),
    /// Run a JSON Lines file of requests, resumable after a crash (see `videogen schema batch-line`).
    Batch(cmd_batch::Batch),
    /// Run the simulator of the providers' APIs in the foreground (point clients at the printed
    /// base URLs with any non-empty key).
    #[command(after_help = videogen_sim::FAULT_HELP)]
    Sim(videogen_sim::ServeArgs),
    /// Print a JSON Schema.
    Schema(cmd_schema::Schema),
    /// Print a shell's completion script: `videogen completions bash > ~/.local/share/bash-completion/completions/videogen`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `videogen man > videogen.1 && man ./videogen.1`.
    Man,
}

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

impl Command {
    async fn run(self, global: Global) -> Result<output::Report, CliError> {
        match self {
            Command::Generate(c) => c.run(global).await,
            Command::Submit(c) => c.run(global).await,
            Command::Status(c) => c.bound.clone().run("the status read", c.run(global)).await,
            Command::Wait(c) => c.run(global).await,
            Command::Download(c) => c.run(global).await,
            Command::List(c) => c.bound.clone().run("the job list read", c.run(global)).await,
            Command::Cancel(c) => {
                c.bound
                    .clone()
                    .run("the cancel (it may have reached the provider: `videogen status` tells)", c.run(global))
                    .await
            }
            Command::Models(c) => c.bound.clone().run("the model list read", c.run(global)).await,
            Command::Remix(c) => c.run(global).await,
            Command::Delete(c) => {
                c.bound.clone().run("the delete (it may have reached the provider)", c.run(global)).await
            }
            Command::Collections(c) => c.bound.clone().run("the collections request", c.run(global)).await,
            Command::Batch(c) => c.run(global).await,
            Command::Sim(c) => c.run(global).await,
            Command::Schema(c) => c.run(global).await,
            Command::Completions { shell } => {
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "videogen", &mut out);
                Ok(output::Report {
                    text: vec![String::from_utf8_lossy(&out).trim_end().to_string()],
                    json: serde_json::Value::Null,
                })
            }
            Command::Man => {
                let mut out = Vec::new();
                clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                    .render(&mut out)
                    .map_err(|e| CliError::failed(format!("the man page: {e}")))?;
                Ok(output::Report {
                    text: vec![String::from_utf8_lossy(&out).trim_end().to_string()],
                    json: serde_json::Value::Null,
                })
            }
        }
    }
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // A usage error is exit 2 like every refusal before sending; with --json it is one
            // JSON value on standard output too, as every other error is.
            if std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--json") {
                let message = e.render().to_string();
                let first = message.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
                let details = message.lines().skip(1).filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
                let report = vocabulary::ErrorReport::new(exit::ExitCode::Usage, first, None, details);
                output::json(&vocabulary::to_json(&report));
            }
            let _ = e.print();
            std::process::exit(exit::ExitCode::Usage as i32);
        }
    };
    let rust_log = std::env::var("RUST_LOG").is_ok_and(|v| !v.trim().is_empty());
    if cli.verbose || rust_log {
        use std::io::IsTerminal;
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,videogen=debug,videogen_transport=debug".into());
        // Colours only for a person at a terminal (https://no-color.org: any NO_COLOR turns them off).
        let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
        match cli.log_format {
            LogFormat::Text => logs.with_ansi(colour).init(),
            LogFormat::Json => logs.json().with_ansi(false).init(),
        }
    }
    let global = Global { json: cli.json, sim: cli.sim, allow_retired: cli.allow_retired };
    request::ALLOW_RETIRED.store(cli.allow_retired, std::sync::atomic::Ordering::Relaxed);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            output::err(&format!("error: cannot start the async runtime: {e}"));
            std::process::exit(exit::ExitCode::Failed as i32);
        }
    };
    match runtime.block_on(cli.command.run(global)) {
        Ok(report) => report.print(global.json),
        Err(e) => {
            output::print_error(&e, global);
            std::process::exit(e.code as i32);
        }
    }
}
