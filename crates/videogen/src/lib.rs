//! Generate AI videos through **Oxen.ai**, **VideoDB**, **AIHubMix** and **OpenAI** with one API.
//!
//! One request type ([`VideoRequest`]), one job handle ([`Job`]), one status ([`JobStatus`]), one
//! error ([`Error`]), over clients generated from each provider's OpenAPI spec, with the lifecycle
//! rules that keep paid jobs safe:
//!
//! - **One create per submit.** No provider documents an idempotency key, so a create is never
//!   retried; when it fails after it may have reached the server you get
//!   [`Error::OutcomeUnknown`], not a second charge.
//! - **The handle first.** [`Client::submit`] returns the [`Job`] as soon as the provider accepted
//!   it, before any waiting; it is `Serialize + Deserialize`, and [`Client::job`] resumes it in
//!   another process. Every error after a create carries it.
//! - **Waits that end.** [`Client::wait`] polls with backoff, honours `Retry-After` and
//!   `openai-poll-after-ms`, and stops at a real deadline; [`Client::events`] streams progress.
//! - **Rules before money.** Known per-model rules (durations, sizes, inputs; [`models::MODELS`],
//!   each with its source) fail before anything is sent, naming the rule.
//! - **Safe downloads.** [`Video::download_to`] streams to a temporary file and renames it when
//!   complete, checks the length, resumes with `Range`, caps the size, refuses plain `http://`
//!   except to loopback, and never sends an API key to a result host.
//! - **Secrets stay secret.** Keys never appear in `Debug`, `Display`, logs or errors.
//!
//! ```no_run
//! use videogen::{Client, Provider, VideoRequest, WaitPolicy};
//!
//! # async fn run() -> Result<(), videogen::Error> {
//! let client = Client::from_env()?; // OXEN_API_KEY, VIDEODB_API_KEY, AIHUBMIX_API_KEY, OPENAI_API_KEY
//! let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video")
//!     .prompt("A red balloon floating upward through blue sky")
//!     .duration(5);
//! let job = client.submit(&request).await?;            // one create; the handle comes back at once
//! std::fs::write("job.json", serde_json::to_vec(&job).unwrap()).unwrap(); // resumable after a crash
//! let video = client.wait(&job, WaitPolicy::for_provider(job.provider)).await?;
//! video.download_to("balloon.mp4").await?;
//! # Ok(()) }
//! ```
//!
//! The same flow runs offline against `videogen-sim`, a local simulator of all four APIs:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use videogen::{Client, Provider, VideoRequest, WaitPolicy};
//!
//! let sim = videogen_sim::Sim::start(Default::default()).await?;
//! let client = Client::builder()
//!     .api_key(Provider::OpenAi, "sk-test")
//!     .base_url(Provider::OpenAi, sim.openai_base_url())
//!     .build()?;
//! let request = VideoRequest::new(Provider::OpenAi, "sora-2").prompt("A red balloon").duration(4);
//! let job = client.submit(&request).await?;
//! let video = client.wait(&job, WaitPolicy::every(Duration::from_millis(50), Duration::from_secs(10))).await?;
//! let dir = std::env::temp_dir().join(format!("videogen-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let file = video.download_to(dir.join("balloon.mp4")).await?;
//! assert_eq!(file.bytes, videogen_sim::FIXTURE_MP4.len() as u64);
//! # std::fs::remove_dir_all(&dir)?;
//! # sim.stop().await;
//! # Ok(()) }
//! ```
//!
//! What each provider cannot do, and how it shows:
//!
//! | | Oxen.ai | VideoDB | OpenAI | AIHubMix |
//! |---|---|---|---|---|
//! | cancel | yes | [`Error::Unsupported`] | [`Error::Unsupported`] | [`Error::Unsupported`] |
//! | progress % | no (`None`) | no (`None`) | yes | yes (Sora) |
//! | reference images | URLs | no ([`Error::InvalidRequest`]) | URL or local file | per family (veo: none) |
//! | multi-shot | models that take `multi_prompt` | no | no | no |
//! | synchronous generate | [`Client::generate_now`] | no | no | no |

mod client;
mod convert;
mod error;
mod job;
pub mod models;
mod provider;
mod request;
mod retry;
mod video;
mod wait;

#[cfg(feature = "openai")]
mod openai;
#[cfg(feature = "oxen")]
mod oxen;
#[cfg(feature = "videodb")]
mod videodb;

pub use client::{
    Client, ClientBuilder, DEFAULT_DOWNLOAD_HEADER_TIMEOUT, DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_STALL_TIMEOUT, JobRef,
};
pub use error::{Error, Result};
pub use job::{Job, JobError, JobStatus, JobSummary};
pub use provider::Provider;
pub use request::{ImageInput, MAX_REFERENCE_IMAGE_BYTES, Shot, Size, VideoRequest, check_local_inputs};
pub use retry::{MAX_RETRY_AFTER, RetryPolicy};
pub use secrecy::SecretString;
pub use video::{Download, MAX_DOWNLOAD_REDIRECTS, Video, check_output_path, partial_path};
pub use wait::{DEFAULT_MIN_POLL_INTERVAL, MAX_POLL_HINT, WaitEvent, WaitPolicy};
