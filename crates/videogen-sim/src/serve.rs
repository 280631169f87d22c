//! The simulator's command line, shared by `videogen-sim` and `videogen sim`: its options, the
//! fault rules' help, and the server loop.

use crate::{FaultRule, Sim, SimConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What `--fault` takes, listed for `--help`.
pub const FAULT_HELP: &str = "\
Fault rules (--fault, repeatable; the first matching rule wins):
  <provider|*>:<operation|*>:<kind>[:<schedule>]
  provider   oxen, videodb, openai, aihubmix, replicate, or * for any
  operation  the spec's operationId (enqueue_generation, get_queue_generation, generate_video,
             get_async_response, createVideo, GetVideo, RetrieveVideoContent, create_model_prediction,
             get_prediction, …), download (result
             URLs), events (Oxen.ai's event stream), or * for any
  kind       429[=SECS]       429 with Retry-After (default 1 s); nothing processed
             500…599          that status with the provider's error body; nothing processed
             reset-before     the connection is reset before the request is processed
             reset-after      processed (a create makes its job), then the connection is reset
             stall            headers and half the body, then nothing more
             truncate         Content-Length of the whole body, half sent, then closed
             malformed-json   a 200 whose JSON is cut in half
             job-fails        on a create: the job runs and fails
             content-policy   on a create: the job fails under the content policy
             gone-when-finished  a status read of a finished job answers 404
  schedule   always (default), first=N, nth=A,B, p=0.25 (seeded by --seed)
Example: --fault 'openai:createVideo:429=2:first=1'";

/// The simulator's options.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// How long new jobs stay queued, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub queued_ms: u64,
    /// How long jobs then run before they finish, in milliseconds.
    #[arg(long, default_value_t = 400)]
    pub processing_ms: u64,
    /// Size of every MP4 result in bytes (default: the 18,177-byte fixture).
    #[arg(long)]
    pub result_size: Option<u64>,
    /// How long results stay downloadable after a job completes, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub result_ttl_secs: u64,
    /// Finished jobs kept before the oldest are forgotten.
    #[arg(long, default_value_t = 50_000)]
    pub finished_job_cap: usize,
    /// A fault rule (repeatable; the rules are listed below).
    #[arg(long = "fault")]
    pub faults: Vec<FaultRule>,
    /// Seed for probabilistic faults.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The `openai-poll-after-ms` hint sent while an OpenAI job runs (0: none).
    #[arg(long, default_value_t = 250)]
    pub openai_poll_after_ms: u64,
    /// Accept only this API key (repeatable); by default any non-empty key is accepted.
    #[arg(long = "api-key")]
    pub api_keys: Vec<String>,
    /// The OpenAI-compatible gateway surface (`/v1/videos`) takes requests without a key, as a
    /// LiteLLM proxy run without authentication does.
    #[arg(long)]
    pub keyless_gateway: bool,
    /// Keep jobs and collections in this JSON file, shared with other simulators started with
    /// it (default: in memory only).
    #[arg(long)]
    pub state_file: Option<PathBuf>,
    /// Ignore the `Idempotency-Key` header, as today's providers do: every create creates.
    #[arg(long)]
    pub ignore_idempotency_keys: bool,
    /// Serve models their providers have shut down (Sora on AIHubMix, Veo previews, Oxen.ai's
    /// unlisted models) as before; by default they are answered as the services answer today.
    #[arg(long)]
    pub serve_retired_models: bool,
    /// The video models Oxen.ai's models endpoint lists (comma-separated; default: the
    /// simulator's list). For drift-report tests.
    #[arg(long, value_delimiter = ',')]
    pub oxen_models: Option<Vec<String>>,
    /// Milliseconds a new job stays out of the job lists (lists that lag behind creates).
    #[arg(long, default_value_t = 0)]
    pub list_lag_ms: u64,
    /// The signing secret of Replicate's webhooks (`whsec_` and base64).
    #[arg(long, default_value = crate::DEFAULT_WEBHOOK_SECRET)]
    pub webhook_secret: String,
    /// Serve the committed 2-second 320x180 fixture for every job instead of a clip of the
    /// job's requested length and aspect ratio in a colour of its own.
    #[arg(long)]
    pub fixture_videos: bool,
}

impl ServeArgs {
    /// The configuration these options stand for.
    pub fn config(&self) -> SimConfig {
        SimConfig {
            queued_for: Duration::from_millis(self.queued_ms),
            processing_for: Duration::from_millis(self.processing_ms),
            result_ttl: Duration::from_secs(self.result_ttl_secs),
            result_size: self.result_size,
            finished_job_cap: self.finished_job_cap,
            faults: self.faults.clone(),
            seed: self.seed,
            api_keys: self.api_keys.clone(),
            keyless_gateway: self.keyless_gateway,
            openai_poll_after_ms: (self.openai_poll_after_ms > 0).then_some(self.openai_poll_after_ms),
            state_file: self.state_file.clone(),
            honour_idempotency_keys: !self.ignore_idempotency_keys,
            serve_retired_models: self.serve_retired_models,
            oxen_models: self.oxen_models.clone(),
            list_lag: Duration::from_millis(self.list_lag_ms),
            webhook_secret: self.webhook_secret.clone(),
            result_videos: if self.fixture_videos {
                crate::ResultVideos::Fixture
            } else {
                crate::ResultVideos::AsRequested
            },
        }
    }
}

/// Serves until Ctrl-C, printing the base URLs (on standard output) once listening.
///
/// # Errors
/// [`crate::SimError::Bind`] when the address cannot be bound; an error installing the Ctrl-C
/// handler.
pub async fn serve(args: &ServeArgs) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let sim = Sim::start_on(args.addr, args.config()).await?;
    println!("videogen-sim listening on {}", sim.base_url());
    println!("  Oxen.ai, VideoDB:  {}", sim.base_url());
    println!("  OpenAI:            {}", sim.openai_base_url());
    println!("  AIHubMix:          {}", sim.aihubmix_base_url());
    println!("  Replicate:         {}", sim.base_url_for(crate::Provider::Replicate));
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
