//! The provider interface: [`ProviderApi`], one implementation per provider module
//! (`providers/<name>/api.rs`), held by the client as `Box<dyn ProviderApi>`. Optional
//! operations default to [`Error::Unsupported`]; what each provider has is its profile's
//! ([`crate::operation::supports`]). No code outside the provider modules matches on a provider
//! for behaviour (the `Provider` enum's own tables and `providers/mod.rs`'s constructor aside).

use crate::operation::Operation;
use crate::result::Inline;
use crate::{Error, Job, JobStatus, JobSummary, Provider, Result, VideoInfo, VideoRequest};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use videogen_transport::ApiAuth;

/// A boxed future of a provider call (the trait is used as `dyn`; a waiting job's task holds a
/// pointer, not the request's state).
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a synchronous generate answered: where the video is, or its bytes inline (only Oxen.ai
/// has one).
#[cfg_attr(not(feature = "oxen"), allow(dead_code))]
pub(crate) enum Generated {
    /// At a result URL.
    At(VideoInfo),
    /// Base64 inside the answer (Oxen.ai's `b64_json`), decoded when downloaded.
    Inline(Job, Inline),
}

/// `operation` is not `provider`'s, as a ready future.
fn unsupported<'a, T: Send + 'a>(provider: Provider, operation: Operation) -> BoxFuture<'a, Result<T>> {
    Box::pin(std::future::ready(Err(Error::Unsupported { provider, operation })))
}

/// One configured provider: the operations of its API. The required ones are every provider's;
/// the others default to [`Error::Unsupported`] (or, for models, to the catalogue's rows).
pub(crate) trait ProviderApi: Send + Sync + 'static {
    /// The provider it serves.
    fn provider(&self) -> Provider;

    /// Its origin-bound key.
    fn auth(&self) -> &ApiAuth;

    /// Itself, for the typed accessors of the generated clients ([`crate::Client::oxen`] …).
    fn as_any(&self) -> &dyn std::any::Any;

    /// One create (no retries here: the client decides what may be re-sent): a job for every
    /// paid output it made (several only for Oxen.ai's `num_generations`).
    fn create<'a>(&'a self, request: &'a VideoRequest) -> BoxFuture<'a, Result<Vec<Job>>>;

    /// One status read, and the provider's hint for the next poll.
    fn status<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(JobStatus, Option<Duration>)>>;

    /// The provider's jobs, every page up to `limit` ([`Operation::List`]); VideoDB's videos of
    /// `collection`.
    fn list<'a>(&'a self, limit: usize, collection: Option<&'a str>) -> BoxFuture<'a, Result<Vec<JobSummary>>>;

    /// Cancels the job ([`Operation::Cancel`]).
    fn cancel<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<()>> {
        unsupported(self.provider(), Operation::Cancel)
    }

    /// A new job from the finished `video` of `source` and `prompt` ([`Operation::Remix`]).
    fn remix<'a>(
        &'a self,
        _source: &'a Job,
        _video: &'a VideoInfo,
        _prompt: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Job>>> {
        unsupported(self.provider(), Operation::Remix)
    }

    /// The request a remix is, where the provider remixes through a new generation (Oxen.ai: the
    /// source's model with the finished video as `input_video`); `None` where it has a remix
    /// call of its own ([`ProviderApi::remix`]).
    fn remix_request(&self, _source: &Job, _video: &VideoInfo, _prompt: &str) -> Option<Result<VideoRequest>> {
        None
    }

    /// Deletes the job's video ([`Operation::Delete`]).
    fn delete<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<()>> {
        unsupported(self.provider(), Operation::Delete)
    }

    /// The provider's video models: by default the catalogue's rows ([`crate::catalog`]);
    /// live where the provider lists them (Oxen.ai).
    fn models<'a>(&'a self, search: Option<&'a str>) -> BoxFuture<'a, Result<Vec<crate::catalog::Model>>> {
        let provider = self.provider();
        Box::pin(std::future::ready(Ok(crate::catalog::all()
            .iter()
            .filter(|m| m.providers.contains(&provider))
            .filter(|m| search.is_none_or(|q| m.id.contains(q)))
            .map(|m| crate::catalog::Model::from_rules(provider, m))
            .collect())))
    }

    /// One model as the provider publishes it (Oxen.ai); `None` where the provider publishes
    /// none or does not know it.
    fn model<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<Option<crate::catalog::Model>>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    /// The model parameters a create would send for `request`, as a published `request_schema`
    /// describes them (Oxen.ai); `None` where no provider schema applies.
    fn model_parameters(&self, _request: &VideoRequest) -> Result<Option<serde_json::Value>> {
        Ok(None)
    }

    /// The provider's collections ([`Operation::Collections`]).
    fn collections(&self) -> BoxFuture<'_, Result<Vec<crate::Collection>>> {
        unsupported(self.provider(), Operation::Collections)
    }

    /// Creates a collection ([`Operation::Collections`]).
    fn create_collection<'a>(
        &'a self,
        _name: &'a str,
        _description: Option<&'a str>,
    ) -> BoxFuture<'a, Result<crate::Collection>> {
        unsupported(self.provider(), Operation::Collections)
    }

    /// Deletes a collection ([`Operation::Collections`]).
    fn delete_collection<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<()>> {
        unsupported(self.provider(), Operation::Collections)
    }

    /// The synchronous generate ([`Operation::GenerateNow`]): where the video is (the client
    /// binds it).
    fn generate_now<'a>(&'a self, _request: &'a VideoRequest) -> BoxFuture<'a, Result<Generated>> {
        unsupported(self.provider(), Operation::GenerateNow)
    }

    /// The provider's push completions, its event connection started on first use (Oxen.ai's
    /// SSE stream); `None` for providers that push nothing a client can subscribe to. Needs a
    /// Tokio runtime.
    fn push(&self) -> Option<&std::sync::Arc<crate::push::Hub>> {
        None
    }

    /// The status a pushed completion stands for, with what the event lacks (Oxen.ai: the
    /// cost, from the generation history).
    fn pushed_status<'a>(&'a self, job: &'a Job, completion: crate::push::Completion) -> BoxFuture<'a, JobStatus> {
        Box::pin(std::future::ready(crate::push::status_of(job, completion)))
    }
}
