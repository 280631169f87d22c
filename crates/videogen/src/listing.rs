//! What the providers hold, read through a [`Client`]: their jobs and videos ([`Client::list`],
//! [`Client::find_created`]), models and prices ([`Client::models`], [`Client::estimate_cost`]),
//! and VideoDB's collections.

use crate::operation::Operation;
use crate::providers::require;
use crate::{Client, Error, Provider, Result, VideoRequest, models};
use std::sync::Arc;
use tracing::Instrument;

impl Client {
    /// The video models `provider` offers: Oxen.ai's live list (`GET /api/ai/models`, or
    /// `/api/ai/models/search?search=` with `search`) with capabilities, pricing and
    /// `json_request_schema`, merged with the model catalogue ([`crate::catalog`]: rows it did
    /// not list come last, with `listed: false`); the catalogue alone for VideoDB, gateways and
    /// AIHubMix, whose APIs publish no model list with these facts.
    ///
    /// # Errors
    /// The provider's answer as a typed error.
    pub async fn models(&self, provider: Provider, search: Option<&str>) -> Result<Vec<models::Model>> {
        let inner = &self.inner;
        let backend = inner.backend(provider)?;
        let found = crate::retry::read(&inner.retry, || async {
            let _permit = inner.permit().await;
            backend.models(search).await
        })
        .await?;
        let mut cache = inner.models.lock().expect("not poisoned");
        for m in found.iter().filter(|m| m.listed) {
            cache.insert((provider, m.id.clone()), Arc::new(m.clone()));
        }
        Ok(found)
    }

    /// What `request` would cost, from the model's published prices, per second of video
    /// (duration × rate × `num_generations`), as an exact decimal with its currency: the
    /// provider's own listing where it publishes one (Oxen.ai `pricing`), else the model
    /// catalogue's row (AIHubMix: prices read from its model pages, each with its source and
    /// date; [`crate::catalog`]). `Ok(None)` when no price is published for the model or the
    /// request leaves something open (no duration, a resolution without a price) — never a
    /// guess. The provider charges what it charges: the reported cost of a finished job is
    /// [`crate::VideoInfo::cost`].
    ///
    /// # Errors
    /// [`Error::Unsupported`] on providers without published prices; the models read's errors.
    pub async fn estimate_cost(&self, request: &VideoRequest) -> Result<Option<crate::Cost>> {
        require(request.provider, Operation::EstimateCost)?;
        let model = self.inner.model(request.provider, &request.model).await?;
        let listed = model.as_ref().and_then(|m| m.pricing.as_ref());
        let catalogued = crate::catalog::lookup(request.provider, &request.model).and_then(|m| m.pricing.as_ref());
        Ok(listed.or(catalogued).and_then(|p| p.estimate(request)))
    }

    /// The jobs a create of `request` may have made: the provider's jobs (newest first) with the
    /// request's prompt and model, created since `since` (less a minute, for clocks that
    /// differ). The lookup after [`Error::OutcomeUnknown`], with its `attempt.started_at`. Job
    /// lists lag behind creates: an empty answer right after the attempt proves nothing; look
    /// again later before sending the create again.
    ///
    /// VideoDB lists videos, not jobs: a generation shows up (as its video, `videodb:m-…`, whose
    /// status reads the video) once it has finished, with the prompt as its description
    /// (`GET /video?collection_id=`, the default collection). Until then it is not found.
    ///
    /// # Errors
    /// [`Error::Unsupported`] where the provider lists nothing; [`Error::InvalidRequest`] for a
    /// request with no prompt to match (multi-shot); the list read's errors.
    pub async fn find_created(
        &self,
        request: &VideoRequest,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::JobSummary>> {
        require(request.provider, Operation::List)?;
        let Some(prompt) = request.prompt.as_deref() else {
            return Err(Error::invalid("a multi-shot request has no prompt to match in the provider's list"));
        };
        let since = since - chrono::Duration::seconds(60);
        let mut found: Vec<crate::JobSummary> = self
            .list(request.provider)
            .await?
            .into_iter()
            .filter(|s| {
                s.prompt.as_deref() == Some(prompt) && s.job.model == request.model && s.job.created_at >= since
            })
            .collect();
        found.sort_by_key(|s| std::cmp::Reverse(s.job.created_at));
        Ok(found)
    }

    /// The provider's jobs, newest first, with their prompts and costs where the provider lists
    /// them — every page, up to [`DEFAULT_LIST_LIMIT`] rows: Oxen.ai's generation history,
    /// OpenAI's and AIHubMix's `/v1/videos`, VideoDB's videos of its `default` collection (each
    /// a handle of its own, `videodb:m-…`). Used to find a job whose create answer was lost.
    /// [`Client::list_with`] sets the limit and VideoDB's collection.
    ///
    /// # Errors
    /// The provider's answer as a typed error.
    pub async fn list(&self, provider: Provider) -> Result<Vec<crate::JobSummary>> {
        self.list_with(provider, &ListOptions::default()).await
    }

    /// [`Client::list`] with options: at most `limit` rows (pages are read until then), and for
    /// VideoDB the collection to list.
    ///
    /// # Errors
    /// As [`Client::list`]; [`Error::InvalidRequest`] for a limit of 0.
    pub async fn list_with(&self, provider: Provider, options: &ListOptions) -> Result<Vec<crate::JobSummary>> {
        let span = tracing::info_span!("videogen.list", %provider, limit = options.limit);
        async {
            require(provider, Operation::List)?;
            if options.limit == 0 {
                return Err(Error::invalid("a list limit must be at least 1"));
            }
            let inner = &self.inner;
            let backend = inner.backend(provider)?;
            crate::retry::read(&inner.retry, || async {
                let _permit = inner.permit().await;
                backend.list(options.limit, options.collection.as_deref()).await
            })
            .await
        }
        .instrument(span)
        .await
    }

    /// VideoDB's collections (`GET /collection`), the default one marked.
    ///
    /// # Errors
    /// [`Error::Unsupported`] on other providers; the provider's answer as a typed error.
    pub async fn collections(&self, provider: Provider) -> Result<Vec<crate::Collection>> {
        require(provider, Operation::Collections)?;
        let inner = &self.inner;
        let backend = inner.backend(provider)?;
        crate::retry::read(&inner.retry, || async {
            let _permit = inner.permit().await;
            backend.collections().await
        })
        .await
    }

    /// Creates a VideoDB collection (`POST /collection`); put videos in it with
    /// [`VideoRequest::collection`]. Sent once (not retried).
    ///
    /// # Errors
    /// [`Error::Unsupported`] on other providers; [`Error::InvalidRequest`] for an empty name;
    /// the provider's answer as a typed error.
    pub async fn create_collection(
        &self,
        provider: Provider,
        name: &str,
        description: Option<&str>,
    ) -> Result<crate::Collection> {
        require(provider, Operation::Collections)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("a collection needs a name"));
        }
        let backend = self.inner.backend(provider)?;
        let _permit = self.inner.permit().await;
        backend.create_collection(name, description).await
    }

    /// Deletes a VideoDB collection (`DELETE /collection/{id}`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] on other providers; [`Error::NotFound`] or the provider's answer
    /// as a typed error.
    pub async fn delete_collection(&self, provider: Provider, id: &str) -> Result<()> {
        require(provider, Operation::Collections)?;
        let backend = self.inner.backend(provider)?;
        let _permit = self.inner.permit().await;
        backend.delete_collection(id).await
    }
}

/// The most rows [`Client::list`] returns: 10,000 (pages are read until then).
pub const DEFAULT_LIST_LIMIT: usize = 10_000;

/// Options of [`Client::list_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListOptions {
    /// The most rows to return (default [`DEFAULT_LIST_LIMIT`]); pages are read until then.
    pub limit: usize,
    /// VideoDB: the collection whose videos to list (default `default`). Ignored elsewhere.
    pub collection: Option<String>,
}

impl Default for ListOptions {
    fn default() -> Self {
        Self { limit: DEFAULT_LIST_LIMIT, collection: None }
    }
}
