//! Oxen.ai: the async queue (default) and the synchronous generate.

use crate::Cost;
use crate::backend::{BoxFuture, Generated, ProviderApi};
use crate::convert::{Call, convert, read_error};
use crate::result::Inline;
use crate::{Error, ImageInput, Job, JobError, JobStatus, Provider, Result, VideoInfo, VideoRequest};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use videogen_oxen::types;
use videogen_transport::ApiAuth;

const P: Provider = Provider::Oxen;

/// The currency of Oxen.ai's `cost` and `pricing` values: US dollars (oxen.ai/pricing quotes
/// its pay-as-you-go model prices in USD; the API's numbers carry no currency of their own).
const OXEN_CURRENCY: &str = "USD";

/// A `cost` (decimal text, `"0.35"`, per the spec's GenerationsShowResponse) in `currency`;
/// `None` when it is not a number.
fn parse_cost(text: &str, currency: &str) -> Option<Cost> {
    Some(Cost { amount: text.trim().parse().ok()?, currency: currency.to_string() })
}

/// A price (a JSON number in `pricing`) as an exact decimal: the shortest text that reads back
/// as the same `f64` (`0.07`, not `0.07000000000000000666`); `None` for NaN or a negative.
fn decimal_of(value: f64) -> Option<rust_decimal::Decimal> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    value.to_string().parse().ok()
}

/// The create body shared by the queue and the synchronous generate (docs.oxen.ai
/// video_generation "Request Parameters").
fn body(request: &VideoRequest) -> Result<Map<String, Value>> {
    if request.size.is_some() {
        return Err(Error::invalid("Oxen.ai takes an aspect ratio (aspect_ratio), not a size"));
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    if let Some(prompt) = &request.prompt {
        body.insert("prompt".into(), json!(prompt));
    }
    if !request.shots.is_empty() {
        let shots: Vec<Value> =
            request.shots.iter().map(|s| json!({"prompt": s.prompt, "duration": s.duration})).collect();
        body.insert("multi_prompt".into(), Value::Array(shots));
    }
    if let Some(d) = request.duration {
        body.insert("duration".into(), json!(d));
    }
    if let Some(r) = &request.aspect_ratio {
        body.insert("aspect_ratio".into(), json!(r));
    }
    if let Some(s) = request.seed {
        body.insert("seed".into(), json!(s));
    }
    let mut urls = Vec::new();
    for image in &request.images {
        match image {
            ImageInput::Url(url) => urls.push(json!(url)),
            ImageInput::File(path) => {
                return Err(Error::invalid(format!(
                    "Oxen.ai takes reference images as URLs (input_image); upload {} and pass its URL",
                    path.display()
                )));
            }
        }
    }
    match urls.len() {
        0 => {}
        1 => {
            body.insert("input_image".into(), urls.remove(0));
        }
        _ => {
            body.insert("input_image".into(), Value::Array(urls));
        }
    }
    if let Some(v) = &request.input_video {
        body.insert("input_video".into(), json!(v));
    }
    if let Some(a) = request.audio {
        body.insert("generate_audio".into(), json!(a));
    }
    for (k, v) in &request.extra {
        body.insert(k.clone(), v.clone());
    }
    Ok(body)
}

fn typed<T: serde::de::DeserializeOwned>(body: Map<String, Value>) -> Result<T> {
    serde_json::from_value(Value::Object(body)).map_err(|e| Error::invalid(format!("Oxen.ai request: {e}")))
}

/// One enqueue: a job per generation the answer lists (`num_generations` > 1 makes several,
/// each paid), in the answer's order.
pub(crate) async fn create(client: &videogen_oxen::Client, request: &VideoRequest) -> Result<Vec<Job>> {
    let body: types::QueueCreateRequest = typed(body(request)?)?;
    let answer = match client.enqueue_generation(&body).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(convert(P, Call::Create { model: &request.model }, e).await),
    };
    if answer.generations.is_empty() {
        return Err(Error::OutcomeUnknown {
            attempt: None,
            source: None,
            provider: P,
            model: request.model.clone(),
            message: "the enqueue answer listed no generation".into(),
            status: Some(200),
            body: serde_json::to_string(&answer).ok(),
        });
    }
    let created_at = chrono::Utc::now();
    Ok(answer
        .generations
        .iter()
        .map(|g| Job {
            provider: P,
            model: request.model.clone(),
            id: g.generation_id.to_string(),
            created_at,
            poll_url: None,
            idempotency_key: None,
        })
        .collect())
}

/// A remix on Oxen.ai: a new generation on the source's model with the finished video as
/// `input_video` (docs.oxen.ai, models taking a video input such as kling-video-o3-omni).
fn remix_request(source: &Job, video: &VideoInfo, prompt: &str) -> Result<VideoRequest> {
    let Some(url) = video.url() else {
        return Err(Error::invalid("the source video has no URL to pass as input_video"));
    };
    Ok(VideoRequest::new(P, source.model.clone()).prompt(prompt).input_video(url))
}

pub(crate) async fn status(client: &videogen_oxen::Client, job: &Job) -> Result<(JobStatus, Option<Duration>)> {
    let (status, result_url, error_message, mut cost) = match client.get_queue_generation(&job.id).await {
        Ok(v) => {
            let row = v.into_inner();
            (row.status, row.result_url, row.error_message, None)
        }
        Err(e) => match read_error(P, e).await {
            // The queue keeps rows for a while only (older docs: 24 h); the generation history
            // keeps them for good. Look there before calling the job not found.
            Error::NotFound { .. } => match client.get_generation(&job.id).await {
                Ok(v) => {
                    let row = v.into_inner().generation;
                    let cost = row.cost.as_deref().and_then(|c| parse_cost(c, OXEN_CURRENCY));
                    (row.status, row.result_url, row.error_message, Some(cost))
                }
                Err(e) => return Err(read_error(P, e).await),
            },
            other => return Err(other),
        },
    };
    let status = match status.as_str() {
        "cancelled" => JobStatus::Cancelled,
        "failed" => {
            JobStatus::Failed(JobError::new(None, error_message.unwrap_or_else(|| "the generation failed".into())))
        }
        "succeeded" => match result_url {
            Some(url) => {
                // The queue row carries no cost; the generation history does (docs.oxen.ai
                // list-past-generations). One more read, once the job is done; without an
                // answer the cost is unknown (`None`), the job still succeeded.
                if cost.is_none() {
                    cost = Some(reported_cost(client, job).await);
                }
                let mut info = VideoInfo::at_url(job, url);
                info.cost = cost.flatten();
                JobStatus::Succeeded(info)
            }
            None => {
                return Err(Error::Decode {
                    provider: P,
                    message: "succeeded without a result_url".into(),
                    body: String::new(),
                    job: None,
                });
            }
        },
        other => JobStatus::unfinished(other, None),
    };
    Ok((status, None))
}

/// The cost the generation history reports for a finished job (docs.oxen.ai
/// list-past-generations); `None` when it does not answer or has none.
pub(crate) async fn reported_cost(client: &videogen_oxen::Client, job: &Job) -> Option<Cost> {
    match client.get_generation(&job.id).await {
        Ok(v) => v.into_inner().generation.cost.as_deref().and_then(|c| parse_cost(c, OXEN_CURRENCY)),
        Err(e) => {
            tracing::debug!(error = %e, "the generation history did not answer; cost unknown");
            None
        }
    }
}

pub(crate) async fn cancel(client: &videogen_oxen::Client, job: &Job) -> Result<()> {
    match client.cancel_queue_generation(&job.id).await {
        Ok(_) => Ok(()),
        Err(e) => Err(read_error(P, e).await),
    }
}

/// The generation history, newest first, every page (`page_size` 1,000, its maximum) up to
/// `limit` (docs.oxen.ai list-past-generations: `page`, `total_pages`).
pub(crate) async fn list(client: &videogen_oxen::Client, limit: usize) -> Result<Vec<crate::JobSummary>> {
    const PAGE: u64 = 1000;
    let mut out = Vec::new();
    for page in 1u64.. {
        let answer = match client
            .list_generations(
                None,
                None,
                None,
                None,
                std::num::NonZeroU64::new(page),
                std::num::NonZeroU64::new(PAGE),
                None,
                None,
            )
            .await
        {
            Ok(v) => v.into_inner(),
            Err(e) => return Err(read_error(P, e).await),
        };
        let got = answer.generations.len();
        out.extend(answer.generations.into_iter().map(|g| crate::JobSummary {
            job: Job {
                provider: P,
                model: g.model_name.clone(),
                id: g.generation_id.to_string(),
                created_at: chrono::DateTime::from_timestamp(g.enqueued_at, 0).unwrap_or_default(),
                poll_url: None,
                idempotency_key: None,
            },
            status: g.status.to_string(),
            prompt: g.extra.get("prompt").and_then(Value::as_str).map(String::from),
            cost: g.cost.as_deref().and_then(|c| parse_cost(c, OXEN_CURRENCY)),
        }));
        let last_page = page as i64 >= answer.total_pages;
        if got == 0 || out.len() >= limit || last_page {
            break;
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// A listed Oxen.ai model in the facade's shape, merged with its rule row.
fn model_of(m: types::Model) -> crate::catalog::Model {
    let pricing = m.pricing.map(|p| crate::catalog::Pricing {
        method: p.method.map(|m| m.to_string()),
        currency: OXEN_CURRENCY.to_string(),
        per_second: p.cost_per_second.and_then(decimal_of),
        per_second_with_audio: p.cost_per_second_with_audio.and_then(decimal_of),
        per_second_by_resolution: p
            .cost_per_second_by_resolution
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| Some((k, decimal_of(v)?.to_string())))
            .collect(),
    });
    let (inputs, outputs) = m.capabilities.map(|c| (c.input, c.output)).unwrap_or_default();
    crate::catalog::Model {
        provider: P,
        rules: crate::catalog::lookup(P, &m.id),
        id: m.id,
        display_name: m.display_name,
        inputs,
        outputs,
        pricing,
        request_schema: m.json_request_schema.or(m.request_schema).map(Value::Object),
        listed: true,
    }
}

/// The video models Oxen.ai lists (`GET /api/ai/models`, or `/search?search=` with a query):
/// those whose outputs include `video` or whose endpoint is `/videos/generate`.
pub(crate) async fn models(client: &videogen_oxen::Client, search: Option<&str>) -> Result<Vec<crate::catalog::Model>> {
    let answer = match search {
        Some(q) => client.search_models(q).await,
        None => client.list_models(None, None, None).await,
    };
    let list = match answer {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(P, e).await),
    };
    Ok(list
        .data
        .into_iter()
        .filter(|m| {
            m.capabilities.as_ref().is_some_and(|c| c.output.iter().any(|o| o == "video"))
                || m.endpoint.as_ref().is_some_and(|e| e.to_string() == "/videos/generate")
        })
        .map(model_of)
        .collect())
}

/// One Oxen.ai model (`GET /api/ai/models/{id}`); `None` when Oxen.ai does not know it (404).
pub(crate) async fn model(client: &videogen_oxen::Client, id: &str) -> Result<Option<crate::catalog::Model>> {
    match client.get_model(id, None).await {
        Ok(v) => Ok(Some(model_of(v.into_inner()))),
        Err(e) => match read_error(P, e).await {
            Error::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// The JSON body a queue create would send for `request`, without `model` and the queue's own
/// fields (`num_generations`, `target_*`): what a model's `request_schema` describes.
pub(crate) fn model_parameters(request: &VideoRequest) -> Result<Value> {
    let mut body = body(request)?;
    for k in ["model", "num_generations", "target_namespace", "target_repo", "target_directory"] {
        body.remove(k);
    }
    Ok(Value::Object(body))
}

/// Finds the base64 text of `"b64_json": "…"` in an answer, without copying it.
fn find_b64(body: &[u8]) -> Option<(usize, usize)> {
    let key = b"\"b64_json\"";
    let at = body.windows(key.len()).position(|w| w == key)? + key.len();
    let mut i = at;
    while i < body.len() && (body[i] as char).is_ascii_whitespace() {
        i += 1;
    }
    if body.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while i < body.len() && (body[i] as char).is_ascii_whitespace() {
        i += 1;
    }
    if body.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let end = start + body[start..].iter().position(|&b| b == b'"')?;
    Some((start, end))
}

pub(crate) async fn generate_now(client: &videogen_oxen::Client, request: &VideoRequest) -> Result<Generated> {
    let body: types::VideoGenerateRequest = typed(body(request)?)?;
    let model = request.model.as_str();
    let response = match client.generate_video_raw(&body).await {
        Ok(r) => r,
        Err(e) => return Err(convert(P, Call::Create { model }, e).await),
    };
    let unknown = |message: String| Error::OutcomeUnknown {
        attempt: None,
        source: None,
        provider: P,
        model: model.to_string(),
        message,
        status: Some(200),
        body: None,
    };
    // One copy of the answer: a b64_json result is decoded from it piece by piece when downloaded.
    let bytes = response
        .bytes()
        .await
        .map_err(|e| unknown(format!("the answer was cut: {}", crate::convert::transport_message(&e))))?;
    let created = chrono::Utc::now();
    let job = Job {
        provider: P,
        model: model.to_string(),
        id: format!("sync-{}", created.timestamp_millis()),
        created_at: created,
        poll_url: None,
        idempotency_key: None,
    };
    if let Some((start, end)) = find_b64(&bytes) {
        return Ok(Generated::Inline(job, Inline { body: bytes, start, end }));
    }
    let answer: types::VideoGenerateResponse =
        serde_json::from_slice(&bytes).map_err(|e| unknown(format!("unreadable answer: {e}")))?;
    let url =
        answer.videos.into_iter().find_map(|v| v.url).ok_or_else(|| unknown("the answer holds no video".into()))?;
    Ok(Generated::At(VideoInfo::at_url(&job, url)))
}

/// Oxen.ai behind the provider interface: its generated client, its key, and its completion
/// stream (opened on first use).
pub(crate) struct Oxen {
    pub(crate) client: videogen_oxen::Client,
    auth: ApiAuth,
    push: Arc<crate::push::Hub>,
}

impl Oxen {
    pub(crate) fn new(key: secrecy::SecretString, base_url: &str, timeout: Duration) -> Result<Self> {
        let auth = ApiAuth::bearer(base_url, key).map_err(crate::providers::config)?;
        let http = videogen_transport::http_client(&auth).map_err(crate::providers::config)?;
        let client = videogen_oxen::Client::with_http_client(http, auth.clone())
            .with_request_timeout(timeout)
            .with_raw_error_responses();
        Ok(Self { client, auth, push: crate::push::Hub::new() })
    }
}

impl ProviderApi for Oxen {
    fn provider(&self) -> Provider {
        P
    }

    fn auth(&self) -> &ApiAuth {
        &self.auth
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn create<'a>(&'a self, request: &'a VideoRequest) -> BoxFuture<'a, Result<Vec<Job>>> {
        Box::pin(create(&self.client, request))
    }

    fn status<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(JobStatus, Option<Duration>)>> {
        Box::pin(status(&self.client, job))
    }

    fn list<'a>(&'a self, limit: usize, _collection: Option<&'a str>) -> BoxFuture<'a, Result<Vec<crate::JobSummary>>> {
        Box::pin(list(&self.client, limit))
    }

    fn cancel<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<()>> {
        Box::pin(cancel(&self.client, job))
    }

    fn remix_request(&self, source: &Job, video: &VideoInfo, prompt: &str) -> Option<Result<VideoRequest>> {
        Some(remix_request(source, video, prompt))
    }

    /// Live from the models API, plus the catalogue's rows it did not list (a search narrows,
    /// so only without one).
    fn models<'a>(&'a self, search: Option<&'a str>) -> BoxFuture<'a, Result<Vec<crate::catalog::Model>>> {
        Box::pin(async move {
            let mut listed = models(&self.client, search).await?;
            if search.is_none() {
                for rules in crate::catalog::all().iter().filter(|m| m.providers.contains(&P) && !m.prefix) {
                    if !listed.iter().any(|m| m.id == rules.id) {
                        listed.push(crate::catalog::Model::from_rules(P, rules));
                    }
                }
            }
            Ok(listed)
        })
    }

    fn model<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<crate::catalog::Model>>> {
        Box::pin(model(&self.client, id))
    }

    fn model_parameters(&self, request: &VideoRequest) -> Result<Option<Value>> {
        model_parameters(request).map(Some)
    }

    fn generate_now<'a>(&'a self, request: &'a VideoRequest) -> BoxFuture<'a, Result<Generated>> {
        Box::pin(generate_now(&self.client, request))
    }

    fn push(&self) -> Option<&Arc<crate::push::Hub>> {
        use progenitor_client::ClientInfo;
        self.push.start(|hub| super::events::spawn(hub, self.client.client().clone(), self.auth.clone()));
        Some(&self.push)
    }

    fn pushed_status<'a>(&'a self, job: &'a Job, completion: crate::push::Completion) -> BoxFuture<'a, JobStatus> {
        Box::pin(async move {
            let mut status = crate::push::status_of(job, completion);
            if let JobStatus::Succeeded(info) = &mut status {
                info.cost = reported_cost(&self.client, job).await;
            }
            status
        })
    }
}

impl crate::convert::ErrorBody for videogen_oxen::types::OxenError {
    fn message(&self) -> Option<String> {
        use videogen_oxen::types::OxenError as E;
        Some(match self {
            E::ErrorEnvelope(e) => match &e.error.detail {
                Some(detail) => format!("{}: {detail}", e.error.title),
                None => e.error.title.clone(),
            },
            E::MessageError(e) => e.error.message.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_costs_are_exact() {
        assert_eq!(decimal_of(0.07).unwrap().to_string(), "0.07");
        assert_eq!((decimal_of(0.07).unwrap() * rust_decimal::Decimal::from(5)).normalize().to_string(), "0.35");
        assert!(decimal_of(f64::NAN).is_none() && decimal_of(-1.0).is_none());
        assert_eq!(parse_cost(" 1.50 ", "USD").unwrap().to_string(), "1.5 USD");
        assert!(parse_cost("free", "USD").is_none());
    }

    #[test]
    fn b64_is_found_in_place() {
        let body = br#"{"created":1,"videos":[{"b64_json" : "AAAA\/BB"}]}"#;
        let (s, e) = find_b64(body).unwrap();
        assert_eq!(&body[s..e], br"AAAA\/BB");
        assert!(find_b64(br#"{"videos":[{"url":"x"}]}"#).is_none());
    }

    #[test]
    fn body_maps_every_field() {
        let request = VideoRequest::new(P, "kling-video-o3-omni")
            .prompt("p")
            .duration(5)
            .aspect_ratio("16:9")
            .seed(3)
            .image(ImageInput::Url("https://a".into()))
            .image(ImageInput::Url("https://b".into()))
            .input_video("https://v")
            .audio(true)
            .extra("resolution", json!("1080p"));
        let b = body(&request).unwrap();
        assert_eq!(
            Value::Object(b),
            json!({"model": "kling-video-o3-omni", "prompt": "p", "duration": 5, "aspect_ratio": "16:9", "seed": 3,
                   "input_image": ["https://a", "https://b"], "input_video": "https://v", "generate_audio": true,
                   "resolution": "1080p"})
        );
        assert!(body(&VideoRequest::new(P, "m").prompt("p").image(ImageInput::File("a.png".into()))).is_err());
    }
}
