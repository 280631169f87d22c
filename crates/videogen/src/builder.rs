//! [`ClientBuilder`]: keys, base URLs and limits, checked when the client is built; and the
//! defaults of those limits.

use crate::retry::RetryPolicy;
use crate::state::Inner;
use crate::{Client, Error, Provider, Result};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    keys: BTreeMap<Provider, SecretString>,
    base_urls: BTreeMap<Provider, String>,
    retry: RetryPolicy,
    max_download_bytes: Option<u64>,
    stall_timeout: Option<Duration>,
    download_timeout: Option<Duration>,
    download_header_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    max_concurrent_requests: Option<usize>,
    no_push_events: bool,
    today: Option<chrono::NaiveDate>,
    allow_retired_models: bool,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("providers", &self.keys.keys().collect::<Vec<_>>())
            .field("base_urls", &self.base_urls)
            .finish_non_exhaustive()
    }
}

/// How long the optional check of a request against its model's published schema may take
/// before the create goes without it: 10 s (far below a create's own limit, so a models endpoint
/// that holds the connection cannot double a submit's time).
pub const SCHEMA_CHECK_LIMIT: Duration = Duration::from_secs(10);

/// Default cap on a downloaded file: 16 GiB.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 16 << 30;
/// Default time a download may go without receiving a byte before it is resumed: 60 s.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Default cap on API requests in flight at once, across all jobs of a client: 256. Each needs a
/// connection (HTTP/1.1); 10,000 jobs waiting at once share them.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
/// Default time limit of one whole download, resumes included: 2 hours.
pub const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
/// Default time a download request may take to get its response headers (connect and TLS
/// included): 60 s. A host that accepts the connection and never answers is given up on then
/// (and retried within the download's time limit).
pub const DEFAULT_DOWNLOAD_HEADER_TIMEOUT: Duration = Duration::from_secs(60);
/// Default total timeout of one API request (create, status, cancel): 120 s. Oxen's synchronous
/// generate has none (it can take 15 minutes).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

impl ClientBuilder {
    /// Configures `provider` with `api_key` (at its default base URL unless [`Self::base_url`]).
    pub fn api_key(mut self, provider: Provider, api_key: impl Into<SecretString>) -> Self {
        self.keys.insert(provider, api_key.into());
        self
    }

    /// Configures `provider` without an API key, at its [`Self::base_url`]. Only an
    /// OpenAI-compatible gateway ([`Provider::OpenAi`]) may run without one (a LiteLLM proxy
    /// without authentication): its requests carry no `Authorization` header. For any other
    /// provider [`Self::build`] fails with [`Error::Config`] (their APIs require a key).
    pub fn without_key(mut self, provider: Provider) -> Self {
        self.keys.insert(provider, SecretString::from(String::new()));
        self
    }

    /// Points `provider` at another base URL, such as a running `videogen-sim`
    /// (`http://127.0.0.1:PORT`, or `…/v1` for OpenAI and AIHubMix).
    pub fn base_url(mut self, provider: Provider, url: impl Into<String>) -> Self {
        self.base_urls.insert(provider, url.into());
        self
    }

    /// How reads (status polls, downloads) are retried.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The largest file [`crate::Video::download_to`] writes, in bytes (default 16 GiB).
    pub fn max_download_bytes(mut self, bytes: u64) -> Self {
        self.max_download_bytes = Some(bytes);
        self
    }

    /// How long a download may receive nothing before it is cut and resumed (default 60 s).
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = Some(timeout);
        self
    }

    /// The time limit of one whole download, resumes and retries included (default 2 hours).
    /// [`crate::Video::download_to_within`] sets another for one call. When it passes, the download
    /// ends with [`Error::Timeout`] and the partial file is kept for a later resume.
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.download_timeout = Some(timeout);
        self
    }

    /// How long a download request may wait for its response headers, connect and TLS included
    /// (default 60 s).
    pub fn download_header_timeout(mut self, timeout: Duration) -> Self {
        self.download_header_timeout = Some(timeout);
        self
    }

    /// The total timeout of one API request (default 120 s; not applied to Oxen's synchronous
    /// generate). A create cut by it is [`Error::OutcomeUnknown`]; a status read is retried.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The most API requests (creates, status reads, lists, cancels) in flight at once across all
    /// jobs of this client (default 256, at least 1). Downloads are not counted.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.max_concurrent_requests = Some(n.max(1));
        self
    }

    /// Whether the client opens the providers' completion event streams (default `true`):
    /// Oxen.ai's `GET /api/events`, one connection per client, opened before its first create
    /// and kept (reconnecting with backoff) while the client lives. With it, [`Client::wait`] and
    /// [`Client::events`] learn of an Oxen.ai job's end without polling ([`crate::WaitPolicy::push`]).
    /// A program that only submits and exits can turn it off to save the connection.
    pub fn push_events(mut self, enabled: bool) -> Self {
        self.no_push_events = !enabled;
        self
    }

    /// The day the model catalogue's dates are compared with (default: today, UTC, at each
    /// request). For tests, and for a program that wants a fixed day.
    pub fn today(mut self, day: chrono::NaiveDate) -> Self {
        self.today = Some(day);
        self
    }

    /// Whether requests for a model the catalogue marks retired are sent anyway (default
    /// `false`: they end in [`Error::ModelRetired`] before anything is sent). Catalogues lag
    /// behind providers: this lets a program through when a provider still serves a model the
    /// catalogue has retired. The provider's own answer is still read as a typed error.
    pub fn allow_retired_models(mut self, allow: bool) -> Self {
        self.allow_retired_models = allow;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty key, a bad base URL, a provider compiled out, no provider
    /// at all, or [`Provider::OpenAi`] at OpenAI's own API (shut down on 2026-09-24: give the
    /// base URL of an OpenAI-compatible gateway).
    pub fn build(self) -> Result<Client> {
        let config = |e: videogen_transport::BuildError| Error::Config { message: e.to_string() };
        if self.keys.is_empty() {
            return Err(Error::Config {
                message:
                    "no provider configured: set one of OXEN_API_KEY, VIDEODB_API_KEY, AIHUBMIX_API_KEY, REPLICATE_API_TOKEN, OPENAI_BASE_URL"
                        .into(),
            });
        }
        let timeout = self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let mut backends = BTreeMap::new();
        for (provider, key) in self.keys {
            let base =
                self.base_urls.get(&provider).cloned().unwrap_or_else(|| provider.default_base_url().to_string());
            if let Some(why) = (crate::providers::profile(provider).refuse_base_url)(&base) {
                return Err(Error::Config { message: why.to_string() });
            }
            backends.insert(provider, crate::providers::connect(provider, key, &base, timeout)?);
        }
        let inner = Inner {
            backends,
            downloads: downloads_client().map_err(config)?,
            retry: self.retry,
            max_download_bytes: self.max_download_bytes.unwrap_or(DEFAULT_MAX_DOWNLOAD_BYTES),
            stall_timeout: self.stall_timeout.unwrap_or(DEFAULT_STALL_TIMEOUT),
            download_timeout: self.download_timeout.unwrap_or(DEFAULT_DOWNLOAD_TIMEOUT),
            download_header_timeout: self.download_header_timeout.unwrap_or(DEFAULT_DOWNLOAD_HEADER_TIMEOUT),
            permits: Arc::new(tokio::sync::Semaphore::new(
                self.max_concurrent_requests.unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS),
            )),
            models: Default::default(),
            push_events: !self.no_push_events,
            today: self.today,
            allow_retired_models: self.allow_retired_models,
            deprecations_told: Default::default(),
        };
        Ok(Client { inner: Arc::new(inner) })
    }
}

fn downloads_client() -> std::result::Result<reqwest::Client, videogen_transport::BuildError> {
    videogen_transport::install_crypto_provider();
    Ok(reqwest::Client::builder()
        .user_agent(videogen_transport::USER_AGENT)
        .connect_timeout(videogen_transport::CONNECT_TIMEOUT)
        .tcp_keepalive(Duration::from_secs(60))
        // Redirects are followed hop by hop in video.rs, which checks the scheme and decides
        // about the key at every hop.
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}
