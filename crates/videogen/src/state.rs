//! What a client's operations share: the configured providers, the download client, limits and
//! the cap on requests in flight. The provider modules, downloads and waits use this; none of them
//! imports the client module.

use crate::backend::ProviderApi;
use crate::retry::RetryPolicy;
use crate::{Error, Job, JobStatus, Provider, Result};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use videogen_transport::ApiAuth;

pub(crate) struct Inner {
    /// The configured providers.
    pub backends: BTreeMap<Provider, Box<dyn ProviderApi>>,
    /// For result URLs: sends no key except to a provider's own API origin.
    pub downloads: reqwest::Client,
    pub retry: RetryPolicy,
    pub max_download_bytes: u64,
    pub stall_timeout: Duration,
    pub download_timeout: Duration,
    pub download_header_timeout: Duration,
    /// Caps the API requests in flight (and so the open connections) across all jobs.
    pub permits: Arc<tokio::sync::Semaphore>,
    /// Models read from providers (for their `request_schema` and pricing), read once per client.
    pub models: std::sync::Mutex<std::collections::HashMap<(Provider, String), Arc<crate::models::Model>>>,
    /// Whether to use the providers' completion event streams ([`crate::ClientBuilder::push_events`]).
    pub push_events: bool,
    /// The day the catalogue's dates are compared with; `None`: today (UTC).
    pub today: Option<chrono::NaiveDate>,
    /// Whether retired models are sent anyway ([`crate::ClientBuilder::allow_retired_models`]).
    pub allow_retired_models: bool,
    /// The deprecated models already warned about (once per client and model).
    pub deprecations_told: std::sync::Mutex<std::collections::HashSet<(Provider, String)>>,
}

impl Inner {
    /// Waits for a slot among the API requests in flight.
    pub(crate) async fn permit(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.permits.acquire().await.expect("the semaphore is never closed")
    }

    pub(crate) fn not_configured(provider: Provider) -> Error {
        Error::Config {
            message: format!(
                "{provider} is not configured: set {} (and optionally {}) or use Client::builder().api_key(Provider::{provider:?}, …)",
                provider.api_key_env(),
                provider.base_url_env()
            ),
        }
    }

    /// The day the catalogue's dates are compared with.
    pub(crate) fn today(&self) -> chrono::NaiveDate {
        self.today.unwrap_or_else(|| chrono::Utc::now().date_naive())
    }

    /// Refuses a retired model (unless allowed) and warns once about a deprecated one.
    pub(crate) fn check_lifecycle(&self, request: &crate::VideoRequest) -> Result<()> {
        match crate::models::check_lifecycle(request.provider, &request.model, self.today()) {
            Ok(Some(notice)) => {
                let first = self
                    .deprecations_told
                    .lock()
                    .expect("not poisoned")
                    .insert((request.provider, request.model.clone()));
                if first {
                    tracing::warn!(provider = %request.provider, model = %request.model, "{notice}");
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) if self.allow_retired_models => {
                tracing::warn!(error = %e, "sending a request for a retired model (allowed by the client)");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// A provider's "no such model" answer to a create, as [`Error::ModelRetired`] when the
    /// catalogue knows the model as retired (with its date and replacement).
    pub(crate) fn model_gone(&self, e: Error) -> Error {
        let Error::ModelNotFound { provider, model, message, status, .. } = &e else { return e };
        match crate::models::check_lifecycle(*provider, model, self.today()) {
            Err(Error::ModelRetired { since, replacement, reason, .. }) => Error::ModelRetired {
                provider: *provider,
                model: model.clone(),
                since,
                replacement,
                reason: format!("{provider} answered {status}: {message}; {reason}"),
            },
            _ => e,
        }
    }

    /// `provider`'s backend, or a configuration error.
    pub(crate) fn backend(&self, provider: Provider) -> Result<&dyn ProviderApi> {
        self.backends.get(&provider).map(|b| &**b).ok_or_else(|| Self::not_configured(provider))
    }

    /// The origin-bound key of `provider`, when configured.
    pub(crate) fn auth(&self, provider: Provider) -> Option<&ApiAuth> {
        self.backends.get(&provider).map(|b| b.auth())
    }

    /// `provider`'s published `model` (cached for the client's life); `None` when the provider
    /// publishes none or does not know it.
    pub(crate) async fn model(&self, provider: Provider, model: &str) -> Result<Option<Arc<crate::models::Model>>> {
        let key = (provider, model.to_string());
        if let Some(found) = self.models.lock().expect("not poisoned").get(&key) {
            return Ok(Some(found.clone()));
        }
        let backend = self.backend(provider)?;
        let found = {
            let _permit = self.permit().await;
            Box::pin(backend.model(model)).await?
        };
        Ok(found.map(|m| {
            let m = Arc::new(m);
            self.models.lock().expect("not poisoned").insert(key, m.clone());
            m
        }))
    }

    /// `provider`'s push completions when this client uses them (the connection is started on
    /// first use); `None` otherwise. Needs a Tokio runtime.
    pub(crate) fn push(&self, provider: Provider) -> Option<&Arc<crate::push::Hub>> {
        if !self.push_events {
            return None;
        }
        self.backends.get(&provider)?.push()
    }

    /// One status read, no retries (the wait loop retries within its deadline).
    pub(crate) async fn status_once(self: &Arc<Self>, job: &Job) -> Result<(JobStatus, Option<Duration>)> {
        let span = tracing::debug_span!("videogen.status", provider = %job.provider, job_id = %job.id);
        async {
            let backend = self.backend(job.provider)?;
            let _permit = self.permit().await;
            // Boxed: a waiting job's task then holds a pointer, not the request's state, while it
            // waits for a permit or sleeps between polls (100,000 waits in one process).
            Box::pin(backend.status(job)).await.map_err(|e| e.with_job(job))
        }
        .instrument(span)
        .await
    }
}
