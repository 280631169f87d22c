//! The client: configuration, submit, status, wait, cancel.

use crate::builder::{ClientBuilder, SCHEMA_CHECK_LIMIT};
use crate::operation::Operation;
use crate::providers::require;
use crate::retry::{RateLimitPause, RequestKind, RetrySchedule};
use crate::state::Inner;
use crate::wait::{WaitEvent, WaitPolicy};
use crate::{Error, Job, JobStatus, Provider, Result, Video, VideoInfo, VideoRequest, models};
use futures::{Stream, StreamExt};
use std::sync::Arc;
use tracing::Instrument;

/// Generates videos through any configured provider.
///
/// Cheap to clone (one shared connection pool per provider). See the crate docs for an example.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let origins: Vec<String> =
            self.inner.backends.iter().map(|(p, b)| format!("{p}: {}", b.auth().base_url())).collect();
        f.debug_struct("Client").field("providers", &origins).field("retry", &self.inner.retry).finish_non_exhaustive()
    }
}

impl Client {
    /// A builder: add providers with [`ClientBuilder::api_key`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for every provider whose key is set: `OXEN_API_KEY`, `VIDEODB_API_KEY`,
    /// `AIHUBMIX_API_KEY`, `REPLICATE_API_TOKEN`; base URLs from `OXEN_BASE_URL`,
    /// `VIDEODB_BASE_URL`, `AIHUBMIX_BASE_URL`, `REPLICATE_BASE_URL` when set. An OpenAI-compatible gateway ([`Provider::OpenAi`]) is
    /// configured by `OPENAI_BASE_URL`, with `OPENAI_API_KEY` when set and keyless
    /// ([`ClientBuilder::without_key`]) when not; `OPENAI_API_KEY` alone (exported for OpenAI's
    /// other APIs) configures nothing, since OpenAI's own Videos API was shut down.
    ///
    /// # Errors
    /// [`Error::Config`] when no provider is configured or a value is invalid.
    pub fn from_env() -> Result<Self> {
        let mut builder = Self::builder();
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        for provider in Provider::ALL {
            let profile = crate::providers::profile(provider);
            let (key, url) = (var(provider.api_key_env()), var(provider.base_url_env()));
            if profile.base_url_required && url.is_none() {
                continue;
            }
            builder = match key {
                Some(key) => builder.api_key(provider, key),
                // A base URL without a key: a keyless gateway.
                None if profile.keyless_allowed && url.is_some() => builder.without_key(provider),
                None => continue,
            };
            if let Some(url) = url {
                builder = builder.base_url(provider, url);
            }
        }
        builder.build()
    }

    /// The configured providers, in [`Provider::ALL`] order.
    pub fn providers(&self) -> Vec<Provider> {
        Provider::ALL.into_iter().filter(|p| self.inner.backends.contains_key(p)).collect()
    }

    /// Whether `provider`'s API has `operation` — the single source of what each provider can
    /// do (the crate docs' table is tested against it). An operation a provider lacks ends in
    /// [`Error::Unsupported`] before anything is sent.
    ///
    /// ```
    /// use videogen::{Client, Operation, Provider};
    /// assert!(Client::supports(Provider::Oxen, Operation::Cancel));
    /// assert!(!Client::supports(Provider::VideoDb, Operation::ListUnfinished));
    /// ```
    pub fn supports(provider: Provider, operation: Operation) -> bool {
        crate::providers::supports(provider, operation)
    }

    /// Submits `request`: checks it against the capability table and its local files, sends
    /// **one** create, and returns the job handle at once, before any waiting.
    ///
    /// Oxen.ai uses its async queue; VideoDB its generate + async response; OpenAI and AIHubMix a
    /// JSON create, or multipart when a reference image is a local file.
    ///
    /// The create carries an `Idempotency-Key` ([`VideoRequest::idempotency_key`], or a new UUID; kept in [`Job::idempotency_key`]). It is
    /// sent again — with the same key, after the client's [`crate::RetryPolicy`] backoff and a clamped
    /// `Retry-After` — only when the first try provably created nothing: a 429, or a connection
    /// that failed before the request was sent. Nothing else is retried.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent (or when the provider refuses it with
    /// 400/422); the provider's answer as a typed error, decided by its HTTP status;
    /// [`Error::Redirect`] for a 3xx (not followed, not re-sent); [`Error::OutcomeUnknown`] when
    /// the create may have reached the server but no readable answer came back (a cut
    /// connection, a 5xx, an unreadable 2xx).
    pub async fn submit(&self, request: &VideoRequest) -> Result<Job> {
        let outputs = request.outputs()?;
        if outputs > 1 {
            return Err(Error::invalid(format!(
                "the request asks for {outputs} paid outputs (num_generations); use Client::submit_many, which returns a handle for each"
            )));
        }
        self.submit_many(request).await.map(Self::only)
    }

    /// Submits a request that may make several paid outputs (Oxen.ai's `num_generations`,
    /// [`VideoRequest::num_generations`]) and returns **one handle per output**, in the
    /// provider's order, so none is left without a handle. One create, with the same rules as
    /// [`Client::submit`]; every handle carries the create's `Idempotency-Key`. Requests for one
    /// output return one handle.
    ///
    /// ```no_run
    /// # async fn run(client: &videogen::Client) -> videogen::Result<()> {
    /// use videogen::{Provider, VideoRequest};
    /// let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video")
    ///     .prompt("A red balloon")
    ///     .num_generations(2);
    /// let jobs = client.submit_many(&request).await?; // two paid generations, two handles
    /// assert_eq!(jobs.len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::submit`]; `num_generations` outside 1–4 or on another provider is
    /// [`Error::InvalidRequest`] before anything is sent.
    pub async fn submit_many(&self, request: &VideoRequest) -> Result<Vec<Job>> {
        self.submit_gated(request, None).await
    }

    /// [`Client::submit_many`], with a 429's wait before the create is sent again handed to
    /// `pause` (which may share it with other creates, or hand the 429 back). The number of such
    /// re-sends is the client's [`crate::RetryPolicy::max_create_retries`].
    ///
    /// # Errors
    /// As [`Client::submit_many`]; a 429 that `pause` hands back is [`Error::RateLimited`].
    pub async fn submit_many_paced(&self, request: &VideoRequest, pause: &dyn RateLimitPause) -> Result<Vec<Job>> {
        self.submit_gated(request, Some(pause)).await
    }

    async fn submit_gated(&self, request: &VideoRequest, pause: Option<&dyn RateLimitPause>) -> Result<Vec<Job>> {
        let span = tracing::info_span!("videogen.submit", provider = %request.provider, model = %request.model, job_id = tracing::field::Empty);
        async {
            require(request.provider, Operation::Submit)?;
            request.outputs()?;
            models::check(request)?;
            self.inner.check_lifecycle(request)?;
            crate::request::check_local_inputs(request)?;
            let backend = self.inner.backend(request.provider)?;
            Box::pin(self.check_published_schema(request)).await?;
            // Boxed: a job's task then holds a pointer while its create is in flight.
            let jobs = Box::pin(
                self.create(request.provider, request.idempotency_key.as_deref(), pause, || backend.create(request)),
            )
            .await
            .map_err(|e| self.inner.model_gone(e))?;
            let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
            tracing::Span::current().record("job_id", ids.join(",").as_str());
            tracing::info!(jobs = ?ids, "submitted");
            Ok(jobs)
        }
        .instrument(span)
        .await
    }

    /// Checks `request` against its model's published `request_schema` (Oxen.ai), read once per
    /// client and model. A provider that publishes none, or a models endpoint that does not
    /// answer, leaves only the catalogue's checks (logged at debug level).
    async fn check_published_schema(&self, request: &VideoRequest) -> Result<()> {
        let backend = self.inner.backend(request.provider)?;
        let Some(parameters) = backend.model_parameters(request)? else { return Ok(()) };
        let read = tokio::time::timeout(SCHEMA_CHECK_LIMIT, self.inner.model(request.provider, &request.model));
        match read.await {
            Ok(Ok(Some(model))) => model.validate_body(&parameters),
            Ok(Ok(None)) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, model = %request.model, "the model's request_schema could not be read; not checked");
                Ok(())
            }
            Err(_) => {
                tracing::debug!(model = %request.model, "the model's request_schema was not read within {SCHEMA_CHECK_LIMIT:?}; not checked");
                Ok(())
            }
        }
    }

    /// Sends one create under one `Idempotency-Key` (`key`, or a new UUID), re-sent on the
    /// client's [`RetrySchedule`] only when it provably created nothing (a 429, or a connection
    /// that failed before the request was sent); a 429's wait goes through `pause` when given.
    async fn create<F, Fut>(
        &self,
        provider: Provider,
        key: Option<&str>,
        pause: Option<&dyn RateLimitPause>,
        create: F,
    ) -> Result<Vec<Job>>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Job>>>,
    {
        // Subscribe before enqueueing (docs.oxen.ai: the stream keeps nothing for later): the
        // connection that is up now will carry these jobs' completions.
        let push = self.inner.push(provider);
        let epoch = match push {
            Some(hub) => Box::pin(hub.ready(crate::push::FIRST_CONNECT_WAIT)).await,
            None => None,
        };
        let key = key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
        let started_at = chrono::Utc::now();
        // Made at the first failure, boxed: a job queued for a permit holds a pointer only.
        let mut schedule: Option<Box<RetrySchedule>> = None;
        let mut jobs = loop {
            let attempt = {
                let _permit = self.inner.permit().await;
                // Boxed: a job queued for a permit (or a waiting job, whose task is as large as
                // its largest step) then holds a pointer, not the request's state.
                videogen_transport::with_idempotency_key(&key, Box::pin(create())).await
            };
            let error = match attempt {
                Ok(jobs) => break Ok(jobs),
                Err(Error::OutcomeUnknown { provider, model, message, status, body, source, .. }) => {
                    let attempt =
                        Some(Box::new(crate::error::CreateAttempt { idempotency_key: key.clone(), started_at }));
                    break Err(Error::OutcomeUnknown { provider, model, message, status, body, source, attempt });
                }
                Err(e) => e,
            };
            let schedule =
                schedule.get_or_insert_with(|| Box::new(RetrySchedule::new(RequestKind::Create, self.inner.retry)));
            let Some(delay) = schedule.next_delay(&error) else { break Err(error) };
            tracing::warn!(error = %error, ?delay, "the create was not taken; sending it again with the same idempotency key");
            match pause.filter(|_| matches!(error, Error::RateLimited { .. })) {
                Some(pause) => {
                    if !pause.rate_limited(provider, &error, delay).await {
                        break Err(error);
                    }
                }
                None => {
                    // Not held across the sleep: a job's task carries no error while it waits.
                    drop(error);
                    tokio::time::sleep(delay).await;
                }
            }
        }?;
        for job in &mut jobs {
            job.idempotency_key = Some(key.clone());
            if let (Some(hub), Some(epoch)) = (push, epoch) {
                hub.watch(&job.id, epoch);
            }
        }
        Ok(jobs)
    }

    /// The one job of a create that asked for one output. A server that made more anyway is
    /// reported with every id (in the log), since each may be paid for.
    fn only(jobs: Vec<Job>) -> Job {
        if jobs.len() > 1 {
            let ids: Vec<String> = jobs.iter().map(Job::short_form).collect();
            tracing::warn!(?ids, "the provider made more jobs than asked for; the handle follows the first");
        }
        jobs.into_iter().next().expect("create answers hold at least one job")
    }

    /// A new job from the finished video of `job` and a new `prompt`: OpenAI's and AIHubMix's
    /// remix (`POST /videos/{id}/remix`), or on Oxen.ai a generation on the same model with the
    /// video as `input_video` (models that take one, such as `kling-video-o3-omni`). Returns the
    /// new job's handle at once, like [`Client::submit`], with the same create rules (one
    /// `Idempotency-Key`, re-sent only when provably not taken).
    ///
    /// # Errors
    /// [`Error::Unsupported`] on VideoDB; [`Error::InvalidRequest`] for an empty prompt, a
    /// source that has not succeeded, or (Oxen) a model that takes no video or a handle without
    /// its model; the status read's and the create's errors as in [`Client::status`] and
    /// [`Client::submit`].
    pub async fn remix(&self, job: &Job, prompt: &str) -> Result<Job> {
        self.remix_with_model(job, prompt, None).await
    }

    /// [`Client::remix`] on another model where the provider remixes through a new generation
    /// (Oxen.ai: `model` must take an `input_video`, such as `kling-video-o3-omni`; the source's
    /// model need not). `None`: the source's model.
    ///
    /// ```no_run
    /// # async fn demo(client: videogen::Client, finished: videogen::Job) -> videogen::Result<()> {
    /// let remixed = client.remix_with_model(&finished, "The same sunset, at dawn", Some("kling-video-o3-omni")).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::remix`]; [`Error::InvalidRequest`] for a `model` on a provider whose remix
    /// call keeps the source's model (OpenAI's and AIHubMix's `POST /videos/{id}/remix` take a
    /// prompt only), or one that takes no video.
    pub async fn remix_with_model(&self, job: &Job, prompt: &str, model: Option<&str>) -> Result<Job> {
        let span = tracing::info_span!("videogen.remix", provider = %job.provider, source = %job.id, job_id = tracing::field::Empty);
        async {
            require(job.provider, Operation::Remix)?;
            if prompt.trim().is_empty() {
                return Err(Error::invalid("a remix needs a prompt"));
            }
            if job.model.is_empty() && model.is_none() {
                return Err(Error::invalid(format!(
                    "the handle {} does not name its model; use the JSON handle from submit",
                    job.short_form()
                )));
            }
            let backend = self.inner.backend(job.provider)?;
            let video = match self.status(job).await? {
                JobStatus::Succeeded(video) => video,
                other => {
                    return Err(Error::invalid(format!(
                        "job {} is {}: only a finished video can be remixed",
                        job.short_form(),
                        other.name()
                    )));
                }
            };
            // A provider that remixes through a new generation (Oxen.ai's `input_video`) hands back
            // the request, checked here like any other; the others have a remix call.
            let jobs = match backend.remix_request(job, &video, prompt) {
                Some(request) => {
                    let mut request = request?;
                    if let Some(model) = model {
                        request.model = model.to_string();
                    }
                    models::check(&request)?;
                    self.create(job.provider, None, None, || backend.create(&request)).await?
                }
                None if model.is_some_and(|m| m != job.model) => {
                    return Err(Error::invalid(format!(
                        "{}'s remix keeps the source's model ({}); it takes a prompt only",
                        job.provider, job.model
                    )));
                }
                None => self.create(job.provider, None, None, || backend.remix(job, &video, prompt)).await?,
            };
            let remixed = Self::only(jobs);
            tracing::Span::current().record("job_id", remixed.id.as_str());
            tracing::info!(job = %remixed.short_form(), "remix submitted");
            Ok(remixed)
        }
        .instrument(span)
        .await
    }

    /// Deletes a finished job's video at the provider: OpenAI's and AIHubMix's
    /// `DELETE /videos/{id}`, VideoDB's `DELETE /video/{id}` (the video the job made).
    ///
    /// # Errors
    /// [`Error::Unsupported`] on Oxen.ai (no delete of an output); [`Error::InvalidRequest`]
    /// when a VideoDB job has no finished video; the provider's answer as a typed error
    /// carrying the job (OpenAI refuses to delete an unfinished video).
    pub async fn delete(&self, job: &Job) -> Result<()> {
        let span = tracing::info_span!("videogen.delete", provider = %job.provider, job_id = %job.id);
        async {
            require(job.provider, Operation::Delete)?;
            let backend = self.inner.backend(job.provider)?;
            let _permit = self.inner.permit().await;
            backend.delete(job).await.map_err(|e| e.with_job(job))
        }
        .instrument(span)
        .await
    }

    /// Oxen.ai's synchronous generate: one request that returns when the video is done (1–15 min
    /// on the real service). With `extra` `response_format: "b64_json"` the MP4 comes inline.
    /// The queue ([`Client::submit`]) is the safer default: a dropped connection here loses the
    /// result (and is reported as [`Error::OutcomeUnknown`]).
    ///
    /// # Errors
    /// As [`Client::submit`]; [`Error::Unsupported`] for other providers.
    pub async fn generate_now(&self, request: &VideoRequest) -> Result<Video> {
        let span = tracing::info_span!("videogen.generate_now", provider = %request.provider, model = %request.model);
        async {
            require(request.provider, Operation::GenerateNow)?;
            models::check(request)?;
            self.inner.check_lifecycle(request)?;
            let backend = self.inner.backend(request.provider)?;
            let _permit = self.inner.permit().await;
            Ok(match backend.generate_now(request).await? {
                crate::backend::Generated::At(info) => Video::new(self.inner.clone(), info),
                crate::backend::Generated::Inline(job, inline) => Video::inline(self.inner.clone(), &job, inline),
            })
        }
        .instrument(span)
        .await
    }

    /// Resumes a job from its handle (for example, one read back from disk in a new process).
    ///
    /// # Errors
    /// [`Error::Config`] when the job's provider is not configured in this client.
    pub fn job(&self, handle: Job) -> Result<JobRef<'_>> {
        self.inner.backend(handle.provider)?;
        Ok(JobRef { client: self, job: handle })
    }

    /// An unsigned callback POSTed for `job` (VideoDB's `callback_url`), confirmed with the
    /// provider: the body must read as the provider's envelope ([`crate::webhook::parse`]), and
    /// then the status returned is the provider's own, from one status read — never the body's.
    /// Anyone who learns the callback URL can POST to it; a forged "done" naming a video of the
    /// forger's becomes whatever the provider says of the job, and no URL from the body is
    /// downloaded.
    ///
    /// # Errors
    /// As [`crate::webhook::parse`] for a body that is not the provider's envelope; as
    /// [`Client::status`] for the read.
    pub async fn confirm_callback(
        &self,
        job: &Job,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<JobStatus> {
        let hinted = crate::webhook::parse(job, headers, body)?;
        let status = self.status(job).await?;
        if hinted.name() != status.name() {
            tracing::debug!(job = %job.short_form(), hinted = hinted.name(), status = status.name(), "the callback's status is not the provider's");
        }
        Ok(status)
    }

    /// The job's status now (one read, retried on 429, 5xx and transport errors).
    ///
    /// # Errors
    /// A typed error carrying the job handle.
    pub async fn status(&self, job: &Job) -> Result<JobStatus> {
        crate::retry::read(&self.inner.retry, || self.inner.status_once(job))
            .await
            .map(|(status, _)| status)
            .map_err(|e| e.with_job(job))
    }

    /// Cancels the job where the provider has a cancel operation (Oxen.ai's queue), then
    /// reads its status back, so the answer is the job's real state: `Cancelled`, or the status
    /// it had already reached (a finished job stays succeeded or failed; cancelling it does
    /// nothing). OpenAI, AIHubMix and VideoDB have no cancel: [`Error::Unsupported`].
    ///
    /// # Errors
    /// [`Error::Unsupported`], or the provider's answer as a typed error carrying the job.
    pub async fn cancel(&self, job: &Job) -> Result<JobStatus> {
        let span = tracing::info_span!("videogen.cancel", provider = %job.provider, job_id = %job.id);
        async {
            require(job.provider, Operation::Cancel)?;
            let backend = self.inner.backend(job.provider)?;
            {
                let _permit = self.inner.permit().await;
                backend.cancel(job).await.map_err(|e| e.with_job(job))?;
            }
            // No event is pushed for a cancellation (docs.oxen.ai): this job's waits poll again.
            if let Some(hub) = self.inner.push(job.provider) {
                hub.uncover(&job.id);
            }
            self.status(job).await
        }
        .instrument(span)
        .await
    }

    /// Waits until the job finishes, polling with backoff and the provider's hints (clamped to
    /// the policy's `min_interval` and at most a minute), up to the policy's deadline; returns
    /// the video. Transient poll errors (429, 5xx, transport, unreadable answers) are waited out
    /// within the deadline; the deadline bounds requests in flight and every sleep.
    ///
    /// # Errors
    /// [`Error::JobFailed`] (or [`Error::ContentPolicy`]), [`Error::Cancelled`],
    /// [`Error::Timeout`] at the deadline, or a non-transient read error (auth, not found…); each
    /// carries the job handle.
    // A plain function, not an `async fn`: an `async fn` keeps its arguments for its whole life,
    // so every waiting job would hold the policy twice (100,000 waits: `cargo xtask bench`).
    #[allow(clippy::manual_async_fn)]
    pub fn wait<'a>(
        &'a self,
        job: &'a Job,
        policy: WaitPolicy,
    ) -> impl std::future::Future<Output = Result<Video>> + Send + 'a {
        self.wait_with(job, policy, |_| {})
    }

    /// [`Client::wait`], telling `on_event` each event on the way — a [`WaitEvent::Status`] for
    /// each change of status or progress, a [`WaitEvent::Retrying`] for each read waited out —
    /// and handing back the video bound to this client. The one wait loop: the `videogen`
    /// command's waits and its batch use it too.
    ///
    /// ```no_run
    /// # async fn run(client: &videogen::Client, job: &videogen::Job) -> videogen::Result<()> {
    /// use videogen::{WaitEvent, WaitPolicy};
    /// let video = client
    ///     .wait_with(job, WaitPolicy::for_provider(job.provider), |event| {
    ///         if let WaitEvent::Status { status, progress, .. } = event {
    ///             eprintln!("{status} {}", progress.map(|p| format!("{p}%")).unwrap_or_default());
    ///         }
    ///     })
    ///     .await?;
    /// video.download_to("out.mp4").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::wait`].
    pub fn wait_with<'a>(
        &'a self,
        job: &'a Job,
        policy: WaitPolicy,
        mut on_event: impl FnMut(&WaitEvent) + Send + 'a,
    ) -> impl std::future::Future<Output = Result<Video>> + Send + 'a {
        // Boxed, and made before the future: a waiting job's task holds a pointer, not the
        // stream's state nor the policy it was made from (100,000 waits: `cargo xtask bench`).
        let mut events = Box::pin(self.events(job, policy));
        async move {
            let started = std::time::Instant::now();
            let mut last_status = String::from("unknown");
            while let Some(event) = events.next().await {
                match event? {
                    WaitEvent::Finished(video) => return Ok(Video::new(self.inner.clone(), *video)),
                    event => {
                        if let WaitEvent::Status { status, .. } = &event {
                            last_status.clone_from(status);
                        }
                        on_event(&event);
                    }
                }
            }
            // The stream ends with Finished or an error; an end without either is its deadline's.
            Err(Error::Timeout { job: Box::new(job.clone()), waited: started.elapsed(), last_status })
        }
    }

    /// The one-call flow: submits `request` (one create, the same rules as [`Client::submit`]),
    /// waits for the job under `policy`, and hands back the finished video bound to this client,
    /// ready to download. `on_event` hears the job's handle first ([`Generation::Submitted`]),
    /// then each wait event ([`Generation::Progress`]) — so a program that stops listening still
    /// has the handle to resume with ([`Client::job`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use videogen::{Client, Generation, Provider, VideoRequest, WaitEvent, WaitPolicy};
    ///
    /// let sim = videogen_sim::Sim::start(Default::default()).await?;
    /// let client = Client::builder().api_key(Provider::Oxen, "sk-test").base_url(Provider::Oxen, sim.base_url()).build()?;
    /// let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video").prompt("A red balloon").duration(5);
    /// let mut told = Vec::new();
    /// let policy = WaitPolicy::for_provider(Provider::Oxen).interval(Duration::from_millis(100)).deadline(Duration::from_secs(30));
    /// let video = client
    ///     .generate(&request, policy, |step| match step {
    ///         Generation::Submitted(job) => told.push(format!("submitted {}", job.short_form())),
    ///         Generation::Progress(WaitEvent::Status { status, .. }) => told.push(status.clone()),
    ///         _ => {}
    ///     })
    ///     .await?;
    /// assert!(told[0].starts_with("submitted oxen:"));
    /// assert_eq!(told[1], "queued"); // followed through completion events, and said at once
    /// let dir = std::env::temp_dir().join(format!("videogen-generate-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// video.download_to(dir.join("balloon.mp4")).await?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # sim.stop().await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Client::submit`] (nothing was created, or [`Error::OutcomeUnknown`]) and, after the
    /// create, as [`Client::wait`] (every error carrying the job). A request for several outputs
    /// is [`Error::InvalidRequest`]: use [`Client::submit_many`] and wait for each.
    pub async fn generate(
        &self,
        request: &VideoRequest,
        policy: WaitPolicy,
        mut on_event: impl FnMut(Generation<'_>) + Send,
    ) -> Result<Video> {
        let job = Box::pin(self.submit(request)).await?;
        on_event(Generation::Submitted(&job));
        self.wait_with(&job, policy, |event| on_event(Generation::Progress(event))).await
    }

    /// Binds a stored [`VideoInfo`] (from [`JobStatus::Succeeded`], [`WaitEvent::Finished`] or
    /// your own storage) to this client, to download it. Sends nothing.
    ///
    /// ```
    /// # fn run(client: &videogen::Client, stored: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let info: videogen::VideoInfo = serde_json::from_str(stored)?;
    /// let video = client.video(&info)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] when the job's provider is not configured; [`Error::InvalidRequest`]
    /// for [`crate::VideoLocation::Inline`] (the bytes were never stored).
    pub fn video(&self, info: &VideoInfo) -> Result<Video> {
        self.inner.backend(info.job.provider)?;
        if info.location == crate::VideoLocation::Inline {
            return Err(Error::invalid(format!(
                "the video of {} came inline in the generate answer; its bytes were not stored",
                info.job.short_form()
            )));
        }
        Ok(Video::new(self.inner.clone(), info.clone()))
    }

    /// Like [`Client::wait`], as a stream of events: a [`WaitEvent::Status`] for each change of
    /// status or progress, then [`WaitEvent::Finished`] (or one error), then the end.
    pub fn events(&self, job: &Job, policy: WaitPolicy) -> impl Stream<Item = Result<WaitEvent>> + Send + 'static {
        crate::wait::events(self.inner.clone(), job.clone(), policy)
    }
}

/// A job bound to a client (from [`Client::job`]).
#[derive(Debug)]
pub struct JobRef<'a> {
    client: &'a Client,
    job: Job,
}

impl JobRef<'_> {
    /// The handle.
    pub fn handle(&self) -> &Job {
        &self.job
    }

    /// See [`Client::status`].
    ///
    /// # Errors
    /// As [`Client::status`].
    pub async fn status(&self) -> Result<JobStatus> {
        self.client.status(&self.job).await
    }

    /// See [`Client::wait`].
    ///
    /// # Errors
    /// As [`Client::wait`].
    pub async fn wait(&self, policy: WaitPolicy) -> Result<Video> {
        self.client.wait(&self.job, policy).await
    }

    /// See [`Client::cancel`].
    ///
    /// # Errors
    /// As [`Client::cancel`].
    pub async fn cancel(&self) -> Result<JobStatus> {
        self.client.cancel(&self.job).await
    }
}

/// What [`Client::generate`] tells on the way.
#[derive(Debug)]
#[non_exhaustive]
pub enum Generation<'a> {
    /// The create was taken: the job's handle (keep it to resume after a crash).
    Submitted(&'a Job),
    /// A wait event: a status, or a read waited out.
    Progress(&'a WaitEvent),
}
