//! One module per provider. Each owns two things:
//!
//! - its [`Profile`] (always compiled, whatever the cargo features): the operations its API has,
//!   its poll guidance, its default model and its request rules, with their sources;
//! - its implementation of [`crate::backend::ProviderApi`] in `api.rs` (compiled with its cargo
//!   feature): the request shapes, the answers' decoding, the provider's own behaviour.
//!
//! This module is the only place that names every provider: [`profile`] (the table of profiles,
//! read by [`supports`] and the `Provider` facts), [`connect`] (the one constructor),
//! [`parse_callback`] and the generated-client accessors (`Client::oxen` …). The cargo features
//! stay here and in the provider modules' `api.rs` declarations.
//!
//! **Adding a provider** is: a generated crate (`cargo xtask regen`), one module here (its
//! profile and its `api.rs`), one arm in [`profile`], [`connect`] and `Provider`'s own tables
//! (name, key variable, base URL), and its catalogue rows (`catalog/<name>.toml`). **Adding an
//! operation** is: the [`Operation`] and its docs-table row, a default method on
//! [`crate::backend::ProviderApi`] (returning `Unsupported`), the override and profile entry in
//! each provider that has it, and the public method on `Client`.

pub(crate) mod openai;
pub(crate) mod oxen;
pub(crate) mod replicate;
pub(crate) mod videodb;

use crate::backend::ProviderApi;
use crate::catalog::Family;
use crate::operation::Operation;
use crate::{Error, Job, JobStatus, Provider, Result};
use secrecy::SecretString;
use std::time::Duration;

/// What the facade knows of a provider whatever this build's cargo features.
#[derive(Debug)]
pub(crate) struct Profile {
    /// The operations its API has ([`crate::Client::supports`]).
    pub operations: &'static [Operation],
    /// Its poll guidance: the first interval and the longest, in seconds
    /// ([`crate::WaitPolicy::for_provider`]).
    pub poll_seconds: (u64, u64),
    /// The model used when none is given ([`crate::models::default_model`]); `None` where the
    /// models are someone else's (a gateway's operator's).
    pub default_model: Option<&'static str>,
    /// Whether a request must name a model (VideoDB's one generator takes none).
    pub model_required: bool,
    /// Whether the catalogue lists its models (false for a gateway: its models are its
    /// operator's, and one the catalogue does not know is the normal case).
    pub catalogued: bool,
    /// The most paid outputs one create may ask for (`num_generations`); 1 where each request
    /// makes one video.
    pub max_outputs: u32,
    /// The wire family of a model ([`crate::models::family`]).
    pub family: fn(&str) -> Family,
    /// Whether it needs a base URL of the user's (a gateway's is its operator's): without one
    /// the environment configures nothing ([`crate::Client::from_env`]).
    pub base_url_required: bool,
    /// Whether it may run without a key ([`crate::ClientBuilder::without_key`]).
    pub keyless_allowed: bool,
    /// Whether its API lists its models (with their schemas and prices), so a client reads them
    /// live ([`crate::Client::models`]); elsewhere the catalogue is the list.
    pub live_models: bool,
    /// Why a base URL cannot serve it, if it cannot (OpenAI's own API, shut down).
    pub refuse_base_url: fn(&str) -> Option<&'static str>,
}

/// `provider`'s profile.
pub(crate) fn profile(provider: Provider) -> &'static Profile {
    match provider {
        Provider::Oxen => &oxen::PROFILE,
        Provider::VideoDb => &videodb::PROFILE,
        Provider::OpenAi => &openai::GATEWAY,
        Provider::AiHubMix => &openai::AIHUBMIX,
        Provider::Replicate => &replicate::PROFILE,
    }
}

/// `provider`'s implementation at `base_url` with `key`; each API request gets `timeout`.
///
/// # Errors
/// [`Error::Config`] for a bad key or base URL, or a provider left out at compile time.
#[cfg_attr(
    not(all(feature = "oxen", feature = "videodb", feature = "openai", feature = "replicate")),
    allow(unused_variables)
)]
pub(crate) fn connect(
    provider: Provider,
    key: SecretString,
    base_url: &str,
    timeout: Duration,
) -> Result<Box<dyn ProviderApi>> {
    match provider {
        #[cfg(feature = "oxen")]
        Provider::Oxen => Ok(Box::new(oxen::Oxen::new(key, base_url, timeout)?)),
        #[cfg(feature = "videodb")]
        Provider::VideoDb => Ok(Box::new(videodb::VideoDb::new(key, base_url, timeout)?)),
        #[cfg(feature = "openai")]
        Provider::OpenAi | Provider::AiHubMix => Ok(Box::new(openai::Gateway::new(provider, key, base_url, timeout)?)),
        #[cfg(feature = "replicate")]
        Provider::Replicate => Ok(Box::new(replicate::Replicate::new(key, base_url, timeout)?)),
        #[allow(unreachable_patterns)]
        other => {
            Err(Error::Config { message: format!("{other} support was left out at compile time (cargo feature)") })
        }
    }
}

/// A callback body for `job` read into its status ([`crate::webhook::parse`]): VideoDB's, and
/// Replicate's webhook body (the prediction).
#[cfg_attr(not(all(feature = "videodb", feature = "replicate")), allow(unused_variables))]
pub(crate) fn parse_callback(job: &Job, body: &[u8]) -> Result<JobStatus> {
    match job.provider {
        #[cfg(feature = "videodb")]
        Provider::VideoDb => videodb::parse_callback(job, body),
        #[cfg(feature = "replicate")]
        Provider::Replicate => replicate::parse_callback(job, body),
        other => Err(Error::Unsupported { provider: other, operation: Operation::Callback }),
    }
}

/// The job a signed callback body is about (Replicate's prediction: its id and model).
#[cfg_attr(not(feature = "replicate"), allow(unused_variables))]
pub(crate) fn job_of_callback(provider: Provider, body: &[u8]) -> Result<Job> {
    match provider {
        #[cfg(feature = "replicate")]
        Provider::Replicate => replicate::job_of_callback(body),
        other => Err(Error::Unsupported { provider: other, operation: Operation::Callback }),
    }
}

/// The map from a configuration error of the transport to the facade's.
#[cfg_attr(
    not(any(feature = "oxen", feature = "videodb", feature = "openai", feature = "replicate")),
    allow(dead_code)
)]
pub(crate) fn config(e: videogen_transport::BuildError) -> Error {
    Error::Config { message: e.to_string() }
}

/// Whether `provider`'s API has `operation` (whatever this build's cargo features): its
/// profile's list, with the sources in each provider module (`providers/<name>/mod.rs`).
pub fn supports(provider: Provider, operation: Operation) -> bool {
    crate::providers::profile(provider).operations.contains(&operation)
}

/// `operation` on `provider`, or [`Error::Unsupported`].
pub(crate) fn require(provider: Provider, operation: Operation) -> Result<()> {
    if supports(provider, operation) { Ok(()) } else { Err(Error::Unsupported { provider, operation }) }
}

/// What each provider is, from its profile (the `Provider` enum itself is only names and
/// variables).
impl Provider {
    /// The model used when a request names none: an active catalogue model (Oxen.ai
    /// `kling-video-v2-6-pro-text-to-video`, VideoDB `videodb`, AIHubMix `wan2.6-t2v`, Replicate
    /// `kwaivgi/kling-v3-video`), or
    /// `None` for an OpenAI-compatible gateway, whose models are its operator's. Same as
    /// [`crate::models::default_model`].
    ///
    /// ```
    /// use videogen::Provider;
    /// assert_eq!(Provider::AiHubMix.default_model(), Some("wan2.6-t2v"));
    /// assert_eq!(Provider::OpenAi.default_model(), None);
    /// ```
    pub fn default_model(self) -> Option<&'static str> {
        crate::providers::profile(self).default_model
    }

    /// Whether the provider needs a base URL of the user's: an OpenAI-compatible gateway (its
    /// URL is its operator's; `OPENAI_BASE_URL`). Without one the environment configures nothing.
    pub fn base_url_required(self) -> bool {
        crate::providers::profile(self).base_url_required
    }

    /// Whether the provider's API lists its video models (Oxen.ai's `GET /api/ai/models`, with
    /// schemas and prices), so [`crate::Client::models`] reads them live; elsewhere the model
    /// catalogue is the list.
    pub fn lists_models_live(self) -> bool {
        crate::providers::profile(self).live_models
    }

    /// Whether the provider may be used without an API key
    /// ([`crate::ClientBuilder::without_key`]): only a gateway, which may run without auth.
    pub fn keyless_allowed(self) -> bool {
        crate::providers::profile(self).keyless_allowed
    }

    /// The most paid outputs one request may ask for ([`crate::VideoRequest::num_generations`]):
    /// 4 on Oxen.ai ([`crate::MAX_OXEN_GENERATIONS`]), 1 elsewhere (one video per request).
    pub fn max_outputs(self) -> u32 {
        crate::providers::profile(self).max_outputs
    }
}

/// The generated client crates, for their types (the clients themselves:
/// [`crate::Client::oxen`], [`crate::Client::videodb`], [`crate::Client::openai_compatible`],
/// [`crate::Client::replicate`]).
pub mod generated {
    /// The `/v1/videos` client generated from `specs/openai/openapi.json` (OpenAI, AIHubMix).
    #[cfg(feature = "openai")]
    pub use videogen_openai as openai;
    /// The Oxen.ai client generated from `specs/oxen/openapi.json`.
    #[cfg(feature = "oxen")]
    pub use videogen_oxen as oxen;
    /// The Replicate client generated from `specs/replicate/openapi.json`.
    #[cfg(feature = "replicate")]
    pub use videogen_replicate as replicate;
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
        let api = self.inner.backends.get(&Provider::Oxen)?;
        api.as_any().downcast_ref::<crate::providers::oxen::Oxen>().map(|o| &o.client)
    }

    /// The generated VideoDB client (`videogen_videodb::Client`), when VideoDB is configured.
    #[cfg(feature = "videodb")]
    pub fn videodb(&self) -> Option<&videogen_videodb::Client> {
        let api = self.inner.backends.get(&Provider::VideoDb)?;
        api.as_any().downcast_ref::<crate::providers::videodb::VideoDb>().map(|v| &v.client)
    }

    /// The generated `/v1/videos` client (`videogen_openai::Client`) of OpenAI or AIHubMix,
    /// when that provider is configured; `None` for the other providers.
    #[cfg(feature = "openai")]
    pub fn openai_compatible(&self, provider: Provider) -> Option<&videogen_openai::Client> {
        let api = self.inner.backends.get(&provider)?;
        api.as_any().downcast_ref::<crate::providers::openai::Gateway>().map(|g| &g.client)
    }

    /// The generated Replicate client (`videogen_replicate::Client`), when Replicate is
    /// configured.
    #[cfg(feature = "replicate")]
    pub fn replicate(&self) -> Option<&videogen_replicate::Client> {
        let api = self.inner.backends.get(&Provider::Replicate)?;
        api.as_any().downcast_ref::<crate::providers::replicate::Replicate>().map(|r| &r.client)
    }
}
