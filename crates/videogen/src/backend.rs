//! The provider interface: each provider is one module under `providers/` behind [`Backend`],
//! and this module is the only place that matches on providers or knows the cargo features. What
//! each provider can do is [`supports`], and nothing else decides it (the crate docs' table is
//! tested against it).
//!
//! Adding an operation touches this module (its [`Operation`] and one arm per provider that has
//! it), one provider module per provider that has it, and `client.rs` (the public method).

use crate::state::Inner;
use crate::{Error, Job, JobStatus, JobSummary, Provider, Result, Video, VideoInfo, VideoRequest};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use videogen_transport::ApiAuth;

/// What a client can do with a provider; [`crate::Client::supports`] says which provider has which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// Submit a generation and get its job handle ([`crate::Client::submit`]).
    Submit,
    /// One blocking request that returns the video ([`crate::Client::generate_now`]).
    GenerateNow,
    /// Read a job's status, and wait for it ([`crate::Client::status`], [`crate::Client::wait`]).
    Status,
    /// Cancel a job ([`crate::Client::cancel`]).
    Cancel,
    /// List the provider's jobs ([`crate::Client::list`]).
    List,
    /// Download a finished job's video ([`crate::Video::download_to`]).
    Download,
    /// A new job from a finished video and a new prompt ([`crate::Client::remix`]): OpenAI's
    /// and AIHubMix's `POST /videos/{id}/remix`; on Oxen.ai a generation with the finished
    /// video as `input_video`, on models that take one.
    Remix,
    /// Delete a finished job's video at the provider ([`crate::Client::delete`]): OpenAI's and
    /// AIHubMix's `DELETE /videos/{id}`, VideoDB's `DELETE /video/{id}`.
    Delete,
    /// The provider's models, live where it lists them ([`crate::Client::models`]): Oxen.ai's
    /// `GET /api/ai/models` with capabilities, pricing and `json_request_schema`; elsewhere the
    /// model catalogue ([`crate::catalog`]).
    Models,
    /// A cost estimate before submitting, from published prices
    /// ([`crate::Client::estimate_cost`]): Oxen.ai's model `pricing`.
    EstimateCost,
    /// Download a finished video's thumbnail ([`crate::Video::download_variant_to`]): OpenAI's
    /// and AIHubMix's `?variant=thumbnail`, VideoDB's `thumbnail_url`.
    Thumbnail,
    /// Download a finished video's spritesheet: OpenAI's and AIHubMix's `?variant=spritesheet`.
    Spritesheet,
    /// VideoDB's collections: list, create, delete ([`crate::Client::collections`]).
    Collections,
    /// [`Operation::List`] includes jobs that have not finished, so a job whose create answer
    /// was lost can be found while it runs (Oxen.ai's history, `/v1/videos`). VideoDB's list
    /// holds finished videos only: a create in flight is not there until it is done.
    ListUnfinished,
    /// The provider POSTs a finished job's result to a URL of yours
    /// ([`crate::VideoRequest::callback_url`], read with [`crate::webhook::parse`]): VideoDB's
    /// `callback_url`.
    Callback,
    /// The client learns of a job's end from a stream it opens, without polling
    /// ([`crate::ClientBuilder::push_events`], [`crate::WaitPolicy::push`]): Oxen.ai's
    /// `GET /api/events` (`media_generation_completed`).
    CompletionEvents,
}

impl Operation {
    /// Every operation, in the order of the docs' table.
    pub const ALL: [Operation; 16] = [
        Operation::Submit,
        Operation::GenerateNow,
        Operation::Status,
        Operation::Cancel,
        Operation::List,
        Operation::Download,
        Operation::Remix,
        Operation::Delete,
        Operation::Models,
        Operation::EstimateCost,
        Operation::Thumbnail,
        Operation::Spritesheet,
        Operation::Collections,
        Operation::ListUnfinished,
        Operation::Callback,
        Operation::CompletionEvents,
    ];

    /// The name used in [`Error::Unsupported`] and the docs: `submit`, `synchronous generate`,
    /// `status`, `cancel`, `list`, `download`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Submit => "submit",
            Operation::GenerateNow => "synchronous generate",
            Operation::Status => "status",
            Operation::Cancel => "cancel",
            Operation::List => "list",
            Operation::Download => "download",
            Operation::Remix => "remix",
            Operation::Delete => "delete",
            Operation::Models => "models",
            Operation::EstimateCost => "estimate cost",
            Operation::Thumbnail => "thumbnail",
            Operation::Spritesheet => "spritesheet",
            Operation::Collections => "collections",
            Operation::ListUnfinished => "list unfinished jobs",
            Operation::Callback => "callback",
            Operation::CompletionEvents => "completion events",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `provider`'s API has `operation` (whatever this build's cargo features). Sources:
/// Oxen.ai's queue has cancel and a generation history, and a synchronous generate (docs.oxen.ai
/// video_generation); VideoDB lists a collection's videos (each a handle of its own) and has no
/// cancel (its spec and SDK);
/// OpenAI's and AIHubMix's `/v1/videos` list jobs, remix finished videos and have no cancel
/// (OpenAI spec 2.3.0); Oxen.ai remixes through `input_video` (docs.oxen.ai models taking a video)
/// and has no delete of a generation's output (its DELETE cancels a queued job); VideoDB and the
/// `/v1/videos` gateways delete videos. Oxen.ai pushes completions over SSE (docs.oxen.ai
/// async_queue, "Completion Events"); VideoDB POSTs them to a `callback_url` instead.
pub fn supports(provider: Provider, operation: Operation) -> bool {
    match operation {
        Operation::Submit | Operation::Status | Operation::Download | Operation::Models => true,
        Operation::GenerateNow | Operation::Cancel | Operation::EstimateCost | Operation::CompletionEvents => {
            provider == Provider::Oxen
        }
        Operation::Remix => provider != Provider::VideoDb,
        Operation::List => true,
        Operation::Delete | Operation::Thumbnail => provider != Provider::Oxen,
        Operation::Spritesheet => matches!(provider, Provider::OpenAi | Provider::AiHubMix),
        Operation::Collections | Operation::Callback => provider == Provider::VideoDb,
        Operation::ListUnfinished => provider != Provider::VideoDb,
    }
}

/// `operation` on `provider`, or [`Error::Unsupported`].
pub(crate) fn require(provider: Provider, operation: Operation) -> Result<()> {
    if supports(provider, operation) {
        Ok(())
    } else {
        Err(Error::Unsupported { provider, operation: operation.as_str() })
    }
}

/// A callback body for `job` read into its status ([`crate::webhook::parse`]).
#[cfg_attr(not(feature = "videodb"), allow(unused_variables))]
pub(crate) fn parse_callback(job: &Job, body: &[u8]) -> Result<JobStatus> {
    match job.provider {
        #[cfg(feature = "videodb")]
        Provider::VideoDb => crate::providers::videodb::parse_callback(job, body),
        other => Err(Error::Unsupported { provider: other, operation: Operation::Callback.as_str() }),
    }
}

/// One configured provider: its generated client and its origin-bound key.
pub(crate) enum Backend {
    #[cfg(feature = "oxen")]
    Oxen {
        client: videogen_oxen::Client,
        auth: ApiAuth,
        /// Completions from the event stream (`GET /api/events`), opened on first use.
        push: std::sync::Arc<crate::push::Hub>,
    },
    #[cfg(feature = "videodb")]
    VideoDb { client: videogen_videodb::Client, auth: ApiAuth },
    /// OpenAI or AIHubMix (the same API at another base URL).
    #[cfg(feature = "openai")]
    Gateway { provider: Provider, client: videogen_openai::Client, auth: ApiAuth },
}

impl Backend {
    /// Builds `provider`'s client at `base_url` with `key`; each API request gets `timeout`.
    pub(crate) fn new(provider: Provider, key: SecretString, base_url: &str, timeout: Duration) -> Result<Self> {
        #[cfg_attr(not(any(feature = "oxen", feature = "videodb", feature = "openai")), allow(unused_variables))]
        let config = |e: videogen_transport::BuildError| Error::Config { message: e.to_string() };
        match provider {
            #[cfg(feature = "oxen")]
            Provider::Oxen => {
                let auth = ApiAuth::bearer(base_url, key).map_err(config)?;
                let http = videogen_transport::http_client(&auth).map_err(config)?;
                let client = videogen_oxen::Client::with_http_client(http, auth.clone())
                    .with_request_timeout(timeout)
                    .with_raw_error_responses();
                Ok(Backend::Oxen { client, auth, push: crate::push::Hub::new() })
            }
            #[cfg(feature = "videodb")]
            Provider::VideoDb => {
                let auth = ApiAuth::header(base_url, videogen_videodb::API_KEY_HEADER, key).map_err(config)?;
                let http = videogen_transport::http_client(&auth).map_err(config)?;
                let client = videogen_videodb::Client::with_http_client(http, auth.clone())
                    .with_request_timeout(timeout)
                    .with_raw_error_responses();
                Ok(Backend::VideoDb { client, auth })
            }
            #[cfg(feature = "openai")]
            Provider::OpenAi | Provider::AiHubMix => {
                use secrecy::ExposeSecret;
                // Only the gateway may run without a key (ClientBuilder::without_key).
                let auth = if provider == Provider::OpenAi && key.expose_secret().is_empty() {
                    ApiAuth::keyless(base_url).map_err(config)?
                } else {
                    ApiAuth::bearer(base_url, key).map_err(config)?
                };
                let http = videogen_transport::http_client(&auth).map_err(config)?;
                let client = videogen_openai::Client::with_http_client(http, auth.clone())
                    .with_request_timeout(timeout)
                    .with_raw_error_responses();
                Ok(Backend::Gateway { provider, client, auth })
            }
            #[allow(unreachable_patterns)]
            other => {
                Err(Error::Config { message: format!("{other} support was left out at compile time (cargo feature)") })
            }
        }
    }

    /// The origin-bound key.
    pub(crate) fn auth(&self) -> &ApiAuth {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { auth, .. } => auth,
            #[cfg(feature = "videodb")]
            Backend::VideoDb { auth, .. } => auth,
            #[cfg(feature = "openai")]
            Backend::Gateway { auth, .. } => auth,
        }
    }

    /// The provider's push completions, its event connection started on first use (Oxen.ai's
    /// SSE stream); `None` for providers that push nothing a client can subscribe to. Needs a
    /// Tokio runtime.
    pub(crate) fn push(&self) -> Option<&std::sync::Arc<crate::push::Hub>> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, auth, push } => {
                use progenitor_client::ClientInfo;
                push.start(|hub| crate::providers::oxen_events::spawn(hub, client.client().clone(), auth.clone()));
                Some(push)
            }
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The status a pushed completion stands for, with what the event lacks (Oxen.ai: the cost,
    /// from the generation history).
    pub(crate) async fn pushed_status(&self, job: &Job, completion: crate::push::Completion) -> JobStatus {
        #[cfg_attr(not(feature = "oxen"), allow(unused_mut))]
        let mut status = crate::push::status_of(job, completion);
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => {
                if let JobStatus::Succeeded(info) = &mut status {
                    info.cost = crate::providers::oxen::reported_cost(client, job).await;
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        status
    }

    /// One create (no retries here: the client decides what may be re-sent): a job for every
    /// paid output it made (several only for Oxen.ai's `num_generations`).
    pub(crate) async fn create(&self, request: &VideoRequest) -> Result<Vec<Job>> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => crate::providers::oxen::create(client, request).await,
            #[cfg(feature = "videodb")]
            Backend::VideoDb { client, .. } => {
                crate::providers::videodb::create(client, request).await.map(|j| vec![j])
            }
            #[cfg(feature = "openai")]
            Backend::Gateway { client, .. } => crate::providers::openai::create(client, request).await.map(|j| vec![j]),
        }
    }

    /// One status read, and the provider's hint for the next poll.
    pub(crate) async fn status(&self, job: &Job) -> Result<(JobStatus, Option<Duration>)> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => crate::providers::oxen::status(client, job).await,
            #[cfg(feature = "videodb")]
            Backend::VideoDb { client, .. } => crate::providers::videodb::status(client, job).await,
            #[cfg(feature = "openai")]
            Backend::Gateway { client, auth, .. } => crate::providers::openai::status(client, auth, job).await,
        }
    }

    /// The provider's jobs, every page up to `limit` ([`Operation::List`]); VideoDB's videos of
    /// `collection`.
    #[cfg_attr(not(feature = "videodb"), allow(unused_variables))]
    pub(crate) async fn list(&self, limit: usize, collection: Option<&str>) -> Result<Vec<JobSummary>> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => crate::providers::oxen::list(client, limit).await,
            #[cfg(feature = "videodb")]
            Backend::VideoDb { client, .. } => crate::providers::videodb::list(client, collection, limit).await,
            #[cfg(feature = "openai")]
            Backend::Gateway { client, provider, .. } => crate::providers::openai::list(client, *provider, limit).await,
        }
    }

    /// Cancels the job ([`Operation::Cancel`]).
    #[cfg_attr(not(feature = "oxen"), allow(unused_variables))]
    pub(crate) async fn cancel(&self, job: &Job) -> Result<()> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => crate::providers::oxen::cancel(client, job).await,
            #[allow(unreachable_patterns)]
            other => Err(Error::Unsupported { provider: other.provider(), operation: Operation::Cancel.as_str() }),
        }
    }

    /// A new job from the finished `video` of `source` and `prompt` ([`Operation::Remix`]).
    #[cfg_attr(not(feature = "oxen"), allow(unused_variables))]
    pub(crate) async fn remix(&self, source: &Job, video: &VideoInfo, prompt: &str) -> Result<Vec<Job>> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => crate::providers::oxen::remix(client, source, video, prompt).await,
            #[cfg(feature = "openai")]
            Backend::Gateway { client, .. } => {
                crate::providers::openai::remix(client, source, prompt).await.map(|j| vec![j])
            }
            #[allow(unreachable_patterns)]
            other => Err(Error::Unsupported { provider: other.provider(), operation: Operation::Remix.as_str() }),
        }
    }

    /// Deletes the job's video ([`Operation::Delete`]).
    #[cfg_attr(not(any(feature = "videodb", feature = "openai")), allow(unused_variables))]
    pub(crate) async fn delete(&self, job: &Job) -> Result<()> {
        match self {
            #[cfg(feature = "videodb")]
            Backend::VideoDb { client, .. } => crate::providers::videodb::delete(client, job).await,
            #[cfg(feature = "openai")]
            Backend::Gateway { client, .. } => crate::providers::openai::delete(client, job).await,
            #[allow(unreachable_patterns)]
            other => Err(Error::Unsupported { provider: other.provider(), operation: Operation::Delete.as_str() }),
        }
    }

    /// The provider's video models (live from Oxen.ai; from the catalogue elsewhere).
    pub(crate) async fn models(&self, search: Option<&str>) -> Result<Vec<crate::models::Model>> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => {
                let mut listed = crate::providers::oxen::models(client, search).await?;
                // Rule rows the provider did not list (a search narrows, so only without one).
                if search.is_none() {
                    for rules in
                        crate::models::catalog().iter().filter(|m| m.providers.contains(&Provider::Oxen) && !m.prefix)
                    {
                        if !listed.iter().any(|m| m.id == rules.id) {
                            listed.push(crate::models::Model::from_rules(Provider::Oxen, rules));
                        }
                    }
                }
                Ok(listed)
            }
            #[allow(unreachable_patterns)]
            other => {
                let provider = other.provider();
                Ok(crate::models::catalog()
                    .iter()
                    .filter(|m| m.providers.contains(&provider))
                    .filter(|m| search.is_none_or(|q| m.id.contains(q)))
                    .map(|m| crate::models::Model::from_rules(provider, m))
                    .collect())
            }
        }
    }

    /// One model as the provider publishes it (Oxen.ai); `None` where the provider publishes
    /// none or does not know it.
    #[cfg_attr(not(feature = "oxen"), allow(unused_variables))]
    pub(crate) async fn model(&self, id: &str) -> Result<Option<crate::models::Model>> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => crate::providers::oxen::model(client, id).await,
            #[allow(unreachable_patterns)]
            _ => Ok(None),
        }
    }

    /// The model parameters a create would send for `request`, as a published `request_schema`
    /// describes them (Oxen.ai); `None` where no provider schema applies.
    #[cfg_attr(not(feature = "oxen"), allow(unused_variables))]
    pub(crate) fn model_parameters(&self, request: &VideoRequest) -> Result<Option<serde_json::Value>> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { .. } => crate::providers::oxen::model_parameters(request).map(Some),
            #[allow(unreachable_patterns)]
            _ => Ok(None),
        }
    }

    /// The provider's collections ([`Operation::Collections`]).
    pub(crate) async fn collections(&self) -> Result<Vec<crate::Collection>> {
        match self {
            #[cfg(feature = "videodb")]
            Backend::VideoDb { client, .. } => crate::providers::videodb::collections(client).await,
            #[allow(unreachable_patterns)]
            other => Err(Error::Unsupported { provider: other.provider(), operation: Operation::Collections.as_str() }),
        }
    }

    /// Creates a collection ([`Operation::Collections`]).
    #[cfg_attr(not(feature = "videodb"), allow(unused_variables))]
    pub(crate) async fn create_collection(&self, name: &str, description: Option<&str>) -> Result<crate::Collection> {
        match self {
            #[cfg(feature = "videodb")]
            Backend::VideoDb { client, .. } => {
                crate::providers::videodb::create_collection(client, name, description).await
            }
            #[allow(unreachable_patterns)]
            other => Err(Error::Unsupported { provider: other.provider(), operation: Operation::Collections.as_str() }),
        }
    }

    /// Deletes a collection ([`Operation::Collections`]).
    #[cfg_attr(not(feature = "videodb"), allow(unused_variables))]
    pub(crate) async fn delete_collection(&self, id: &str) -> Result<()> {
        match self {
            #[cfg(feature = "videodb")]
            Backend::VideoDb { client, .. } => crate::providers::videodb::delete_collection(client, id).await,
            #[allow(unreachable_patterns)]
            other => Err(Error::Unsupported { provider: other.provider(), operation: Operation::Collections.as_str() }),
        }
    }

    /// The synchronous generate ([`Operation::GenerateNow`]).
    #[cfg_attr(not(feature = "oxen"), allow(unused_variables))]
    pub(crate) async fn generate_now(&self, inner: &Arc<Inner>, request: &VideoRequest) -> Result<Video> {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { client, .. } => crate::providers::oxen::generate_now(client, inner, request).await,
            #[allow(unreachable_patterns)]
            other => Err(Error::Unsupported { provider: other.provider(), operation: Operation::GenerateNow.as_str() }),
        }
    }

    /// The provider this backend serves.
    pub(crate) fn provider(&self) -> Provider {
        match self {
            #[cfg(feature = "oxen")]
            Backend::Oxen { .. } => Provider::Oxen,
            #[cfg(feature = "videodb")]
            Backend::VideoDb { .. } => Provider::VideoDb,
            #[cfg(feature = "openai")]
            Backend::Gateway { provider, .. } => *provider,
        }
    }
}

/// The generated client crates, for their types (the clients themselves:
/// [`crate::Client::oxen`], [`crate::Client::videodb`], [`crate::Client::openai_compatible`]).
pub mod generated {
    /// The `/v1/videos` client generated from `specs/openai/openapi.json` (OpenAI, AIHubMix).
    #[cfg(feature = "openai")]
    pub use videogen_openai as openai;
    /// The Oxen.ai client generated from `specs/oxen/openapi.json`.
    #[cfg(feature = "oxen")]
    pub use videogen_oxen as oxen;
    /// The VideoDB client generated from `specs/videodb/openapi.json`.
    #[cfg(feature = "videodb")]
    pub use videogen_videodb as videodb;
}

/// The generated clients behind the facade, for what it does not cover: configured with the
/// client's keys and base URLs, the same connection pool, no redirects off the API origin, and
/// error answers returned raw (`progenitor_client::Error::UnexpectedResponse` with the whole
/// response, not a decoded error type). Requests through them skip the facade's rules (no
/// idempotency key, no retries, no capability checks). These live here because they are the
/// only public items that depend on the cargo features.
impl crate::Client {
    /// The generated Oxen.ai client (`videogen_oxen::Client`), when Oxen.ai is configured.
    ///
    /// ```
    /// # async fn run(client: &videogen::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// if let Some(oxen) = client.oxen() {
    ///     let queue = oxen.list_queue(None, None, None, None, None, None).await; // any operation of the spec
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "oxen")]
    pub fn oxen(&self) -> Option<&videogen_oxen::Client> {
        match self.inner.backends.get(&Provider::Oxen)? {
            Backend::Oxen { client, .. } => Some(client),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The generated VideoDB client (`videogen_videodb::Client`), when VideoDB is configured.
    #[cfg(feature = "videodb")]
    pub fn videodb(&self) -> Option<&videogen_videodb::Client> {
        match self.inner.backends.get(&Provider::VideoDb)? {
            Backend::VideoDb { client, .. } => Some(client),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The generated `/v1/videos` client (`videogen_openai::Client`) of OpenAI or AIHubMix,
    /// when that provider is configured; `None` for the other providers.
    #[cfg(feature = "openai")]
    pub fn openai_compatible(&self, provider: Provider) -> Option<&videogen_openai::Client> {
        match self.inner.backends.get(&provider)? {
            Backend::Gateway { client, .. } => Some(client),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crate docs' capability table (lib.rs) says exactly what [`supports`] says.
    #[test]
    fn the_documented_capability_table_is_supports() {
        let docs = include_str!("lib.rs");
        let mut rows = 0;
        for line in docs.lines().map(|l| l.trim_start_matches("//!").trim()) {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let Some(op) = Operation::ALL.iter().find(|o| cells.first() == Some(&format!("`{}`", o.as_str()).as_str()))
            else {
                continue;
            };
            rows += 1;
            assert_eq!(cells.len(), 5, "{line}");
            for (provider, cell) in
                [Provider::Oxen, Provider::VideoDb, Provider::OpenAi, Provider::AiHubMix].iter().zip(&cells[1..])
            {
                let documented = cell.starts_with("yes");
                assert_eq!(documented, supports(*provider, *op), "{op} on {provider}: the docs say {cell:?}");
            }
        }
        assert_eq!(rows, Operation::ALL.len(), "one table row per operation");
    }
}
