//! Generate AI videos through **Oxen.ai**, **VideoDB**, **AIHubMix**, **Replicate** and
//! OpenAI-compatible gateways with one API.
//!
//! One request type ([`VideoRequest`]), one job handle ([`Job`]), one status ([`JobStatus`]), one
//! error ([`Error`]), over clients generated from each provider's OpenAPI spec, with the lifecycle
//! rules that keep paid jobs safe:
//!
//! - **One create per submit.** No provider documents an idempotency key, so a create that may
//!   have reached the server is never sent again: a cut connection, a 5xx or an unreadable 2xx is
//!   [`Error::OutcomeUnknown`], not a second charge. A create that provably made nothing (a 429,
//!   or a connection that failed before the request was sent) is sent again with the same
//!   `Idempotency-Key` ([`Job::idempotency_key`]) within the [`RetryPolicy`]. The outcome is
//!   decided by the HTTP status first: any 4xx is a refusal, whatever its body (an HTML page
//!   from a proxy is still a 403, [`Error::Auth`]).
//! - **No redirects that cost money or keys.** API requests follow no redirect, except a `GET`'s
//!   within the API's own origin (at most 5): a create answered 307 is [`Error::Redirect`] and is
//!   not re-posted. Result downloads follow at most [`MAX_DOWNLOAD_REDIRECTS`], each hop
//!   `https://` (plain `http://` to loopback only), and the key goes only while every hop so far
//!   stayed on the API's origin — once one leaves, no later hop gets it, even one that comes back.
//! - **The handle first.** [`Client::submit`] returns the [`Job`] as soon as the provider accepted
//!   it, before any waiting; it is `Serialize + Deserialize`, and [`Client::job`] resumes it in
//!   another process. Every error after a create carries it ([`Error::job`]), local I/O errors
//!   included.
//! - **Waits that end.** [`Client::wait`] polls with backoff and honours `Retry-After` and
//!   `openai-poll-after-ms`, clamped to a floor ([`WaitPolicy::min_interval`], 250 ms by default)
//!   and a ceiling; transient errors (429, 5xx, transport, unreadable answers, unknown status
//!   words) are waited out and reported as [`WaitEvent::Retrying`]; the deadline bounds requests
//!   in flight and every sleep, and ends in [`Error::Timeout`] carrying the job.
//!   [`Client::events`] streams progress. Oxen.ai jobs are not polled at all: one event stream
//!   per client (`GET /api/events`), opened before the first create and reopened with backoff,
//!   reports their end ([`WaitPolicy::push`]); a job is polled once after a lost stream, and
//!   polling takes over where the stream is not served.
//! - **Rules before money.** Known per-model rules (durations, sizes, inputs; the [`catalog`],
//!   each with its source), a model's retirement ([`Error::ModelRetired`], from the catalogue's
//!   dates) and local inputs (a reference image must be a regular file of at most
//!   [`MAX_REFERENCE_IMAGE_BYTES`]) fail before anything is sent, naming the rule; a program can
//!   check an output path before paying with [`check_output_path`].
//! - **Safe downloads.** [`Video::download_to`] streams to a partial file named from the job
//!   ([`partial_path`]) and renames it into place only when it is complete and is a video (not
//!   empty, not HTML or JSON, an MP4 whose boxes fit the file, or WebM); it replaces only a
//!   regular file, resumes with `Range` — across processes too —, caps the size, and bounds the
//!   time for headers, each read and the whole transfer.
//! - **Secrets stay secret.** Keys never appear in `Debug`, `Display`, logs or errors.
//!
//! What is not promised: when a create's answer is lost ([`Error::OutcomeUnknown`]) the job may
//! exist; look it up ([`Client::list`]) before submitting again. Server text inside error
//! messages is kept as sent: escape it before printing it to a terminal (the `videogen` command
//! does).
//!
//! ```no_run
//! use videogen::{Client, Provider, VideoRequest, WaitPolicy};
//!
//! # async fn run() -> Result<(), videogen::Error> {
//! let client = Client::from_env()?; // OXEN_API_KEY, VIDEODB_API_KEY, AIHUBMIX_API_KEY, REPLICATE_API_TOKEN, …
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
//! The same flow runs offline against `videogen-sim`, a local simulator of all five APIs:
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
//! let request = VideoRequest::new(Provider::OpenAi, "gateway-video-model").prompt("A red balloon").duration(4);
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
//! The whole surface, one line each (an operation a provider lacks is [`Error::Unsupported`]):
//!
//! ```no_run
//! # async fn tour(client: videogen::Client) -> videogen::Result<()> {
//! use videogen::{ListOptions, Operation, Provider, Variant, VideoInfo, VideoRequest, WaitPolicy, webhook};
//!
//! let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video")
//!     .prompt("A red balloon floating upward")
//!     .duration(5);
//! let price = client.estimate_cost(&request).await?;       // Option<Cost>, from the model's published pricing
//! let job = client.submit(&request).await?;                // one create, one handle, at once
//! let both = client.submit_many(&request.clone().num_generations(2)).await?; // a handle per paid output
//! let status = client.status(&job).await?;                 // JobStatus: Serialize + Deserialize
//! let video = client.wait(&job, WaitPolicy::for_provider(job.provider)).await?; // or client.events(…); Oxen.ai: pushed, not polled
//! video.download_to("balloon.mp4").await?;                 // checked, resumable, keys stay home
//! let cost = video.cost.clone();                           // what the provider charged (Oxen.ai)
//! let stored: String = serde_json::to_string(video.info()).unwrap();
//! let later = client.video(&serde_json::from_str::<VideoInfo>(&stored).unwrap())?; // download later
//! if videogen::Client::supports(job.provider, Operation::Thumbnail) {
//!     video.download_variant_to(Variant::Thumbnail, "balloon.webp").await?; // OpenAI, AIHubMix, VideoDB
//! }
//! let remixed = client.remix(&job, "The same balloon, at night").await?; // OpenAI, AIHubMix, Oxen.ai
//! client.cancel(&remixed).await?;                          // Oxen.ai; the job's real state comes back
//! if videogen::Client::supports(job.provider, Operation::Delete) {
//!     client.delete(&remixed).await?;                      // OpenAI, AIHubMix, VideoDB
//! }
//! let rows = client.list_with(Provider::Oxen, &ListOptions { limit: 500, collection: None }).await?;
//! let models = client.models(Provider::Oxen, Some("kling")).await?; // live: pricing, request_schema
//! let collections = client.collections(Provider::VideoDb).await?;   // VideoDB: list, create, delete
//! # let (headers, body) = (reqwest::header::HeaderMap::new(), Vec::<u8>::new());
//! let finished = client.confirm_callback(&job, &headers, &body).await?; // a VideoDB callback, confirmed
//! let signed = webhook::Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?.verify(Provider::Replicate, &headers, &body); // Replicate
//! let oxen = client.oxen();                                // the generated client, for the rest
//! # Ok(()) }
//! ```
//!
//! What each provider can do ([`Client::supports`] with an [`Operation`] says the same, and a
//! test keeps this table equal to it); an operation marked "no" ends in [`Error::Unsupported`]
//! before anything is sent:
//!
//! | operation | Oxen.ai | VideoDB | OpenAI | AIHubMix | Replicate |
//! |---|---|---|---|---|---|
//! | `submit` | yes (async queue) | yes | yes | yes | yes (`owner/name`, input checked against the model's published schema) |
//! | `synchronous generate` | yes ([`Client::generate_now`]) | no | no | no | no |
//! | `status` | yes (queue, then generation history) | yes | yes | yes | yes (`aborted`: [`JobStatus::Aborted`]) |
//! | `cancel` | yes (returns the job's real state) | no | no | no | yes |
//! | `list` | yes (generation history) | yes (a collection's finished videos) | yes | yes | yes (cursor pages) |
//! | `callback` | no | yes (`callback_url`, unsigned: [`Client::confirm_callback`]) | no | no | yes (`webhook`, signed: [`webhook::Verifier`]) |
//! | `completion events` | yes (SSE `GET /api/events`: waits without polling) | no | no | no | no |
//! | `list unfinished jobs` | yes | no (finished videos only) | yes | yes | yes |
//! | `download` | yes | yes | yes | yes | yes (kept 1 hour) |
//! | `remix` | yes (`input_video`, on models that take a video) | no | yes | yes | no |
//! | `delete` | no | yes (the video) | yes | yes | no |
//! | `models` | yes (live: capabilities, pricing, `json_request_schema`) | yes (catalogue) | yes (catalogue) | yes (catalogue) | yes (catalogue; each model's `Input` schema live) |
//! | `estimate cost` | yes (model `pricing`) | no | no | yes (catalogued prices) | no |
//! | `thumbnail` | no | yes (`thumbnail_url`) | yes (`variant=thumbnail`) | yes (Sora; `variant=thumbnail`) | no |
//! | `collections` | no | yes (list, create, delete) | no | no | no |
//! | `spritesheet` | no | no | yes (`variant=spritesheet`) | yes (Sora; `variant=spritesheet`) | no |
//! | `deadline` | no | no | no | no | yes (`Cancel-After`, [`VideoRequest::cancel_after`]) |
//!
//! And what the requests and answers carry:
//!
//! | | Oxen.ai | VideoDB | OpenAI | AIHubMix | Replicate |
//! |---|---|---|---|---|---|
//! | progress % | no (`None`) | no (`None`) | yes | yes (Sora) | no (`None`) |
//! | reference images | URLs | no ([`Error::InvalidRequest`]) | URL or local file | per family: Sora URL or file; wan, jimeng, seedance, DashScope URLs; veo none | one first frame: URL, or a local file up to 256 KiB |
//! | multi-shot | models that take `multi_prompt` | no | no | no | no |
//!
//! # How the crate is built
//!
//! Each provider is one module, `providers/<name>/`: its profile (the operations its API has,
//! its poll guidance, its default model and request rules, each with its source) and its
//! implementation of one private trait, `ProviderApi` (optional operations default to
//! [`Error::Unsupported`]). `providers/mod.rs` holds the table of profiles, [`Client::supports`]
//! and the one constructor, and is with the generated-client accessors the only place the cargo
//! features appear. The rest is shared: the vocabulary ([`Operation`], [`Job`], [`VideoInfo`],
//! [`catalog`]), the client and its builder, one wait loop ([`Client::wait_with`]), and the
//! download engine (partial files, output checks, content sniffing) behind [`Video`].

/// The README's Rust examples, compiled by `cargo test --doc` as they are written (a README
/// example that stops compiling fails the tests).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;

mod backend;
mod builder;
pub mod catalog;
mod client;
mod convert;
mod cost;
mod download;
mod error;
mod job;
mod listing;
pub mod models;
mod operation;
mod provider;
mod providers;
mod push;
mod request;
mod result;
mod retry;
mod state;
mod video;
mod wait;
pub mod webhook;

pub use builder::{
    ClientBuilder, DEFAULT_DOWNLOAD_HEADER_TIMEOUT, DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_REQUEST_TIMEOUT, DEFAULT_STALL_TIMEOUT, SCHEMA_CHECK_LIMIT,
};
pub use client::{Client, Generation, JobRef};
pub use cost::Cost;
pub use download::{MAX_DOWNLOAD_REDIRECTS, check_output_path, partial_path, place_without_replacing};
pub use error::{CreateAttempt, Error, ErrorContext, ErrorSource, Result};
pub use job::{Collection, Job, JobError, JobStatus, JobSummary, looks_like_content_policy};
pub use listing::{DEFAULT_LIST_LIMIT, ListOptions};
pub use operation::Operation;
pub use provider::Provider;
pub use providers::generated;
pub use request::{
    DEFAULT_SHOT_SECONDS, ImageInput, MAX_OXEN_GENERATIONS, MAX_REFERENCE_IMAGE_BYTES, Shot, Size, VideoRequest,
    check_local_inputs,
};
pub use result::{Download, DownloadProgress, Variant, VideoInfo, VideoLocation};
pub use retry::{MAX_RETRY_AFTER, RateLimitPause, RequestKind, RetryPolicy, RetrySchedule};
pub use rust_decimal::Decimal;

/// The HTTP types public signatures take, so a program needs no `reqwest` or `http` dependency
/// of its own to call them ([`Client::confirm_callback`], [`webhook::parse`],
/// [`webhook::Verifier::verify`] take the request's [`http::HeaderMap`]): reqwest 0.13's own
/// re-exports of the `http` crate's types.
pub mod http {
    pub use reqwest::StatusCode;
    pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
}
pub use secrecy::SecretString;
pub use video::Video;
pub use wait::{DEFAULT_MIN_POLL_INTERVAL, DEFAULT_PUSH_SAFETY_POLL, FINAL_LOOK, MAX_POLL_HINT, WaitEvent, WaitPolicy};
