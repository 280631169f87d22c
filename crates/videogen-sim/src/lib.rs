//! `videogen-sim`: a local stand-in for the Oxen.ai, VideoDB and OpenAI/AIHubMix (`/v1/videos`)
//! video APIs, so programs and tests can generate "videos" without paying for them.
//!
//! One server answers every operation of `specs/{oxen,videodb,openai}/openapi.json` at each
//! provider's native paths, behaving as the specs and the providers' docs describe: each
//! provider's auth scheme and error envelope, request validation with the documented messages,
//! jobs that move through their statuses in simulated time, real MP4 results at expiring URLs
//! with `Range` support (the committed fixture, or with [`ResultVideos::AsRequested`] a clip of
//! each job's requested length and aspect ratio: [`clip`]), and deterministic fault injection. It is written from the specs and
//! docs, not from the generated clients, so a generation mistake cannot hide on both sides.
//!
//! | provider | base URL of a client pointed at the sim |
//! |---|---|
//! | Oxen.ai | `http://127.0.0.1:PORT` (paths `/api/ai/…`, and the event stream `/api/events`) |
//! | VideoDB | `http://127.0.0.1:PORT` (paths `/collection/…`, `/async-response/…`, `/video/…`) |
//! | OpenAI, AIHubMix | `http://127.0.0.1:PORT/v1` |
//!
//! Result files are served at `http://localhost:PORT/results/…`: the same server under another
//! host name, so a client that must not send its API key to a result host can be tested.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use videogen_sim::{Provider, Sim, SimConfig};
//!
//! let sim = Sim::start(SimConfig::default()).await.unwrap();
//! # let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
//! let answer = reqwest::get(format!("{}/api/ai/models", sim.base_url())).await.unwrap();
//! assert_eq!(answer.status(), 401); // no API key: Oxen's `unauthenticated` envelope
//! assert_eq!(sim.counters().jobs_created(Provider::Oxen), 0);
//! sim.stop().await;
//! # }
//! ```

// Handlers return the provider's error `Response` as their `Err`: the idiomatic axum shape.
#![allow(clippy::result_large_err)]

pub mod clip;
mod faults;
mod http;
mod loopback;
mod media;
mod openai;
mod oxen;
mod persist;
mod replicate;
pub mod retired;
mod serve;
mod server;
mod store;
mod timestamps;
mod videodb;

pub use faults::{FaultKind, FaultRule, Schedule};
pub use media::{FIXTURE_MP4, FIXTURE_SPRITESHEET_WEBP, FIXTURE_THUMBNAIL_WEBP, result_bytes_len, result_sha256_hex};
pub use persist::MAX_SAVED_JOBS;
pub use serve::{FAULT_HELP, ServeArgs, serve};
pub use store::{CREATE_LOG_CAP, Counters, CreateLogEntry};

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The APIs the simulator serves. OpenAI is at `/v1`, AIHubMix at `/aihubmix/v1` (the same
/// routes, its own jobs and fault target).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Oxen.ai (`/api/ai/…`).
    Oxen,
    /// VideoDB (`/collection/…`, `/async-response/…`, `/video/…`).
    VideoDb,
    /// OpenAI (`/v1/videos…`).
    OpenAi,
    /// AIHubMix (`/aihubmix/v1/videos…`): OpenAI's routes, plus the other vendors' body shapes
    /// and answers.
    #[serde(rename = "aihubmix")]
    AiHubMix,
    /// Replicate (`/v1/predictions…`, `/v1/models/…`, `/v1/webhooks/default/secret`; a client's
    /// base URL is `…/v1`, the official Python SDK's the bare origin).
    Replicate,
}

impl Provider {
    /// `oxen`, `videodb`, `openai` or `aihubmix`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Oxen => "oxen",
            Provider::VideoDb => "videodb",
            Provider::OpenAi => "openai",
            Provider::AiHubMix => "aihubmix",
            Provider::Replicate => "replicate",
        }
    }
}

impl std::str::FromStr for Provider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "oxen" => Ok(Provider::Oxen),
            "videodb" => Ok(Provider::VideoDb),
            "openai" => Ok(Provider::OpenAi),
            "aihubmix" => Ok(Provider::AiHubMix),
            "replicate" => Ok(Provider::Replicate),
            other => Err(format!("unknown provider {other:?} (oxen, videodb, openai, aihubmix, replicate)")),
        }
    }
}

/// How the simulator behaves. `Default` gives short jobs, a 1-hour result lifetime, no faults.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// How long a new job stays `queued` (default 100 ms).
    pub queued_for: Duration,
    /// How long it then runs (`processing` / `in_progress`, progress rising 0 → 100) before it
    /// finishes (default 400 ms). An Oxen synchronous generate blocks for `queued_for + processing_for`.
    pub processing_for: Duration,
    /// How long result URLs and OpenAI content stay downloadable after a job completes (default 1 h);
    /// `expires_at` in responses says when.
    pub result_ttl: Duration,
    /// Size in bytes of every MP4 result (`None`: the 18,177-byte fixture). Larger results are the
    /// fixture followed by a `free` box, streamed, never held in memory.
    pub result_size: Option<u64>,
    /// Finished jobs beyond this count are forgotten, oldest first (default 50,000); a forgotten job
    /// answers 404.
    pub finished_job_cap: usize,
    /// Faults to inject, first matching rule wins.
    pub faults: Vec<FaultRule>,
    /// Seed of the random source used by [`Schedule::Probability`] faults.
    pub seed: u64,
    /// The API keys accepted; empty accepts any non-empty key (the default).
    pub api_keys: Vec<String>,
    /// The OpenAI-compatible gateway surface (`/v1/videos`) takes requests without a key, as a
    /// LiteLLM proxy run without authentication does (default `false`: a key is required).
    pub keyless_gateway: bool,
    /// Add `openai-poll-after-ms` to `GET /v1/videos/{id}` answers of unfinished jobs (default 250).
    pub openai_poll_after_ms: Option<u64>,
    /// Keep jobs and collections in this file (JSON), shared by every simulator started with it,
    /// one after another or at once: a job submitted through one process can be read, waited
    /// for and downloaded through a later one, and its time runs on while no simulator does
    /// (default `None`: in memory only). The newest 10,000 jobs are kept.
    pub state_file: Option<std::path::PathBuf>,
    /// Answer a create whose `Idempotency-Key` was seen in the last 24 hours with the first
    /// create's answer, creating nothing (default `true`: the convention a provider adopting
    /// the header would follow). `false` behaves as today's providers document: the header is
    /// ignored and every create creates (docs.oxen.ai, docs.videodb.io, platform.openai.com).
    pub honour_idempotency_keys: bool,
    /// Serve the models their providers have shut down as they were served before (default
    /// `false`: a create for one is answered as the service answers it today — Oxen.ai 404
    /// `Model not found: <id>`, AIHubMix 503 `Incorrect model ID…` for Sora and 404 `… is no
    /// longer available` for Google's shut-down Veo ids; see [`retired`]). For tests of
    /// request shapes only a retired model had (Sora's body on AIHubMix, Oxen.ai multi-shot).
    pub serve_retired_models: bool,
    /// The video models Oxen.ai's models endpoint lists (`None`: the simulator's own list). For
    /// tests of a provider whose list moved on (`videogen models --live --drift`); a create for
    /// a model outside the list is answered `Model not found`.
    pub oxen_models: Option<Vec<String>>,
    /// How long a new job stays out of the providers' job lists (default 0): lists that lag
    /// behind creates, as eventually consistent listings do, for tests of a lost create's lookup.
    pub list_lag: Duration,
    /// The signing secret of Replicate's webhooks (`whsec_` and base64; default
    /// [`DEFAULT_WEBHOOK_SECRET`]): served at `GET /v1/webhooks/default/secret` and used to sign
    /// every delivery (Standard Webhooks).
    pub webhook_secret: String,
    /// What a finished job's video is (default [`ResultVideos::Fixture`]).
    pub result_videos: ResultVideos,
}

/// The simulator's default webhook signing secret: `whsec_` and the base64 of
/// `videogen-sim webhook key!` (25 bytes), a fixed value so tests can verify deliveries.
pub const DEFAULT_WEBHOOK_SECRET: &str = "whsec_dmlkZW9nZW4tc2ltIHdlYmhvb2sga2V5IQ==";

/// What a finished job's video is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResultVideos {
    /// The committed fixture ([`FIXTURE_MP4`]: 2 s, 320x180), the same bytes for every job (the
    /// library's tests compare downloads with it byte for byte).
    #[default]
    Fixture,
    /// A clip of the job's requested length and aspect ratio, in a colour from its prompt and id
    /// ([`clip`]): what `videogen sim` and the command line's built-in simulator serve.
    AsRequested,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            queued_for: Duration::from_millis(100),
            processing_for: Duration::from_millis(400),
            result_ttl: Duration::from_secs(3600),
            result_size: None,
            finished_job_cap: 50_000,
            faults: Vec::new(),
            seed: 0,
            api_keys: Vec::new(),
            keyless_gateway: false,
            openai_poll_after_ms: Some(250),
            state_file: None,
            honour_idempotency_keys: true,
            serve_retired_models: false,
            oxen_models: None,
            list_lag: Duration::ZERO,
            webhook_secret: DEFAULT_WEBHOOK_SECRET.to_string(),
            result_videos: ResultVideos::Fixture,
        }
    }
}

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// A running simulator. Dropping it does not stop it; call [`Sim::stop`].
pub struct Sim {
    addr: SocketAddr,
    state: Arc<store::SimState>,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sim {
    /// Starts on an ephemeral port of 127.0.0.1.
    ///
    /// # Errors
    /// [`SimError::Bind`] when no port can be bound.
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        Self::start_on("127.0.0.1:0".parse().expect("valid address"), config).await
    }

    /// Starts on `addr` (port 0 for an ephemeral one).
    ///
    /// # Errors
    /// [`SimError::Bind`] when `addr` cannot be bound.
    pub async fn start_on(addr: SocketAddr, config: SimConfig) -> Result<Self, SimError> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind { addr, source })?;
        let state = Arc::new(store::SimState::new(config, addr));
        let (shutdown, task) = server::spawn(listener, state.clone());
        Ok(Self { addr, state, shutdown, task })
    }

    /// `http://127.0.0.1:PORT`: the base URL for Oxen and VideoDB clients.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`: the base URL for OpenAI and AIHubMix clients.
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT/aihubmix/v1`: AIHubMix's base URL (its own jobs and faults).
    pub fn aihubmix_base_url(&self) -> String {
        format!("http://{}/aihubmix/v1", self.addr)
    }

    /// The base URL for `provider`.
    pub fn base_url_for(&self, provider: Provider) -> String {
        match provider {
            Provider::OpenAi => self.openai_base_url(),
            Provider::AiHubMix => self.aihubmix_base_url(),
            Provider::Oxen | Provider::VideoDb => self.base_url(),
            Provider::Replicate => self.openai_base_url(),
        }
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of the request counters.
    pub fn counters(&self) -> Counters {
        self.state.counters()
    }

    /// The number of jobs currently held (finished ones are evicted past
    /// [`SimConfig::finished_job_cap`]).
    pub fn jobs_held(&self) -> usize {
        self.state.jobs_held()
    }

    /// Replaces the fault rules (their per-rule counts start over).
    pub fn set_faults(&self, faults: Vec<FaultRule>) {
        self.state.set_faults(faults);
    }

    /// The sha256 (hex) of the MP4 every job produces with this configuration.
    pub fn result_sha256(&self) -> String {
        result_sha256_hex(self.state.config.result_size)
    }

    /// Stops accepting connections and ends open ones.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}
