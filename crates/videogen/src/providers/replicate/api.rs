//! Replicate: a prediction on an official model (`POST /models/{owner}/{name}/predictions`) or
//! a version (`POST /predictions`), read with `GET /predictions/{id}` until it ends.

use crate::backend::{BoxFuture, ProviderApi};
use crate::convert::{Call, convert, read_error};
use crate::{Error, ImageInput, Job, JobError, JobStatus, Provider, Result, VideoInfo, VideoRequest};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use videogen_replicate::types;
use videogen_transport::ApiAuth;

const P: Provider = Provider::Replicate;

/// The shortest `Cancel-After` Replicate takes: 5 seconds (spec `parameters_cancel_after_header`).
pub(crate) const MIN_CANCEL_AFTER: Duration = Duration::from_secs(5);

/// How long Replicate keeps an API prediction's output: 1 hour (replicate.com/docs/topics/
/// predictions/data-retention; the spec's `predictions.get`), after which `output` is null and
/// `data_removed` true.
const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The largest local image sent inline as a `data:` URL: 256 KiB (the spec's `input`: "use a
/// data URL for files of 256 kb or less"; larger files belong at an HTTPS URL).
const MAX_DATA_URL_BYTES: u64 = 256 * 1024;

/// The events `webhook_events_filter` takes (spec `schemas_prediction_request`).
const WEBHOOK_EVENTS: &[&str] = &["start", "output", "logs", "completed"];

/// Replicate behind the provider interface: its generated client, its key, and the first-frame
/// input of each model whose published schema was read.
pub(crate) struct Replicate {
    pub(crate) client: videogen_replicate::Client,
    auth: ApiAuth,
    first_frame: Mutex<HashMap<String, String>>,
}

impl Replicate {
    pub(crate) fn new(key: secrecy::SecretString, base_url: &str, timeout: Duration) -> Result<Self> {
        let auth = ApiAuth::bearer(base_url, key).map_err(crate::providers::config)?;
        let http = videogen_transport::http_client(&auth).map_err(crate::providers::config)?;
        let client = videogen_replicate::Client::with_http_client(http, auth.clone())
            .with_request_timeout(timeout)
            .with_raw_error_responses();
        Ok(Self { client, auth, first_frame: Mutex::new(HashMap::new()) })
    }

    /// The input that takes the first frame for `model`: its schema's, else the docs'.
    fn first_frame_input(&self, model: &str) -> String {
        let known = self.first_frame.lock().unwrap_or_else(|p| p.into_inner()).get(model).cloned();
        known.unwrap_or_else(|| super::first_frame_input(model).to_string())
    }

    /// The model's `input` for `request`: prompt, duration, aspect ratio, seed, first frame,
    /// audio, then `extra` (passed through as-is, last).
    fn input(&self, request: &VideoRequest) -> Result<Map<String, Value>> {
        if !request.shots.is_empty() {
            return Err(Error::invalid(
                "Replicate's video models take one prompt here: shots are not mapped to any model's own multi-shot input",
            ));
        }
        if request.size.is_some() {
            return Err(Error::invalid(
                "Replicate's video models take an aspect ratio (and a resolution through extra), not a size",
            ));
        }
        if request.input_video.is_some() {
            return Err(Error::invalid(
                "a reference video goes through extra, under the model's own input name (its schema: videogen models --live)",
            ));
        }
        if request.images.len() > 1 {
            return Err(Error::invalid(
                "one image (the first frame); a model's other image inputs go through extra under their own names",
            ));
        }
        let mut input = Map::new();
        if let Some(prompt) = &request.prompt {
            input.insert("prompt".into(), prompt.clone().into());
        }
        if let Some(d) = request.duration {
            input.insert("duration".into(), d.into());
        }
        if let Some(a) = &request.aspect_ratio {
            input.insert("aspect_ratio".into(), a.clone().into());
        }
        if let Some(s) = request.seed {
            input.insert("seed".into(), s.into());
        }
        if let Some(a) = request.audio {
            input.insert("generate_audio".into(), a.into());
        }
        if let Some(image) = request.images.first() {
            input.insert(self.first_frame_input(&request.model), image_value(image)?.into());
        }
        for (k, v) in &request.extra {
            input.insert(k.clone(), v.clone());
        }
        Ok(input)
    }
}

/// An image as Replicate takes it: a URL, or a small local file as a `data:` URL.
fn image_value(image: &ImageInput) -> Result<String> {
    match image {
        ImageInput::Url(url) => Ok(url.clone()),
        ImageInput::File(path) => {
            use base64::Engine;
            let bytes = crate::request::check_image_file(path)?;
            if bytes > MAX_DATA_URL_BYTES {
                return Err(Error::invalid(format!(
                    "{}: {bytes} bytes; Replicate takes local images up to {MAX_DATA_URL_BYTES} bytes inline (a data: URL), larger ones at an https:// URL",
                    path.display()
                )));
            }
            let data = std::fs::read(path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
                job: None,
            })?;
            let mime = crate::request::image_type(&data).unwrap_or("application/octet-stream");
            Ok(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(&data)))
        }
    }
}

/// `owner/name` (an official model) or `owner/name:<version>` (a version).
fn split_model(model: &str) -> Result<(&str, &str, Option<&str>)> {
    let (path, version) = match model.split_once(':') {
        Some((path, version)) if !version.is_empty() => (path, Some(version)),
        _ => (model, None),
    };
    match path.split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((owner, name, version))
        }
        _ => Err(Error::invalid(format!(
            "Replicate models are `owner/name` (or `owner/name:version`), for example kwaivgi/kling-v3-video; got {model:?}"
        ))),
    }
}

/// `request`'s webhook events as the spec's enum `E` (each create body has its own);
/// `VideoRequest::webhook_events` without a URL is refused earlier, with the request's rules.
fn webhook_events<E: std::str::FromStr>(request: &VideoRequest) -> Result<Vec<E>> {
    let parse = |event: &String| {
        event.parse().map_err(|_| {
            Error::invalid(format!("webhook event {event:?}: Replicate sends {}", WEBHOOK_EVENTS.join(", ")))
        })
    };
    request.webhook_events.iter().map(parse).collect()
}

/// `Cancel-After` for a deadline: whole seconds, rounded up, at least [`MIN_CANCEL_AFTER`].
pub(crate) fn cancel_after(deadline: Duration) -> String {
    let seconds = deadline.as_secs() + u64::from(deadline.subsec_nanos() > 0);
    format!("{}s", seconds.max(MIN_CANCEL_AFTER.as_secs()))
}

async fn create(this: &Replicate, request: &VideoRequest) -> Result<Job> {
    let (owner, name, version) = split_model(&request.model)?;
    let input = this.input(request)?;
    let deadline = request.cancel_after.map(cancel_after);
    let model = request.model.as_str();
    // No `Prefer: wait`: a create held open for up to a minute is a create more likely to be cut
    // before its answer, which would leave it ambiguous (OutcomeUnknown). The job is polled.
    let answer = match version {
        None => {
            let body = types::SchemasPredictionRequest {
                input,
                stream: None,
                webhook: request.callback_url.clone(),
                webhook_events_filter: webhook_events(request)?,
            };
            this.client.create_model_prediction(owner, name, deadline.as_deref(), None, &body).await
        }
        Some(version) => {
            let body = types::SchemasVersionPredictionRequest {
                input,
                stream: None,
                version: version.to_string(),
                webhook: request.callback_url.clone(),
                webhook_events_filter: webhook_events(request)?,
            };
            this.client.create_prediction(deadline.as_deref(), None, &body).await
        }
    };
    let prediction = match answer {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(convert(P, Call::Create { model }, e).await),
    };
    if prediction.id.is_empty() {
        return Err(Error::OutcomeUnknown {
            attempt: None,
            source: None,
            provider: P,
            model: model.to_string(),
            message: "the create answer holds no prediction id".into(),
            status: None,
            body: serde_json::to_string(&prediction).ok(),
        });
    }
    Ok(Job {
        provider: P,
        model: model.to_string(),
        id: prediction.id.clone(),
        created_at: prediction.created_at,
        poll_url: Some(prediction.urls.get.clone()),
        idempotency_key: None,
    })
}

/// The first output URL: `output` is one URL string for the video models, or a list of them.
fn output_url(output: &Value) -> Option<&str> {
    match output {
        Value::String(url) => Some(url),
        Value::Array(items) => items.iter().find_map(Value::as_str),
        _ => None,
    }
}

/// The status a prediction stands for (a read, or a webhook's body).
fn status_of(job: &Job, p: &types::SchemasPredictionResponse) -> Result<JobStatus> {
    use types::SchemasPredictionResponseStatus as S;
    Ok(match p.status {
        S::Starting => JobStatus::Queued,
        S::Processing => JobStatus::Running { progress: None },
        S::Failed => {
            JobStatus::Failed(JobError::new(None, p.error.clone().unwrap_or_else(|| "the prediction failed".into())))
        }
        S::Canceled => JobStatus::Cancelled,
        S::Aborted => JobStatus::Aborted,
        S::Succeeded => {
            if p.data_removed {
                return Err(Error::Expired { job: Box::new(job.clone()) });
            }
            let Some(url) = output_url(&p.output) else {
                return Err(Error::Decode {
                    provider: P,
                    message: "succeeded without an output URL".into(),
                    body: p.output.to_string(),
                    job: Some(Box::new(job.clone())),
                });
            };
            if let Value::Array(items) = &p.output
                && items.len() > 1
            {
                tracing::debug!(job = %job.short_form(), outputs = items.len(), "the prediction made several files; the handle follows the first");
            }
            let mut info = VideoInfo::at_url(job, url);
            info.expires_at = p.completed_at.map(|at| at + RETENTION);
            JobStatus::Succeeded(info)
        }
    })
}

async fn status(client: &videogen_replicate::Client, job: &Job) -> Result<(JobStatus, Option<Duration>)> {
    let prediction = match client.get_prediction(&job.id).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(P, e).await),
    };
    Ok((status_of(job, &prediction)?, None))
}

/// The `cursor` of a page's `next` URL (`…/predictions?cursor=cD0y…`).
fn cursor_of(next: &str) -> Option<String> {
    let url = reqwest::Url::parse(next).ok()?;
    url.query_pairs().find(|(k, _)| k == "cursor").map(|(_, v)| v.into_owned())
}

/// The account's predictions, newest first, every page (`cursor`) up to `limit`.
async fn list(client: &videogen_replicate::Client, limit: usize) -> Result<Vec<crate::JobSummary>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    // A bound on pages, whatever `next` says (a server that loops would not end the list).
    for _ in 0..10_000 {
        let page = match client.list_predictions(None, None, cursor.as_deref(), None).await {
            Ok(v) => v.into_inner(),
            Err(e) => return Err(read_error(P, e).await),
        };
        for p in page.results {
            let job = Job {
                provider: P,
                model: p.model.clone(),
                id: p.id.clone(),
                created_at: p.created_at,
                poll_url: Some(p.urls.get.clone()),
                idempotency_key: None,
            };
            out.push(crate::JobSummary {
                job,
                status: p.status.to_string(),
                prompt: p.input.get("prompt").and_then(Value::as_str).map(String::from),
                cost: None,
            });
            if out.len() >= limit {
                return Ok(out);
            }
        }
        let next = page.next.as_deref().and_then(cursor_of);
        if next.is_none() || next == cursor {
            break;
        }
        cursor = next;
    }
    Ok(out)
}

/// A webhook body (the prediction, as `GET /predictions/{id}` answers it) read into `job`'s
/// status. The body must be `job`'s prediction.
pub(crate) fn parse_callback(job: &Job, body: &[u8]) -> Result<JobStatus> {
    let prediction: types::SchemasPredictionResponse = serde_json::from_slice(body).map_err(|e| Error::Decode {
        provider: P,
        message: format!("the webhook body is not a Replicate prediction: {e}"),
        body: String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned(),
        job: Some(Box::new(job.clone())),
    })?;
    if prediction.id != job.id {
        return Err(Error::Decode {
            provider: P,
            message: format!("the webhook is for prediction {:?}, not {}", prediction.id, job.id),
            body: String::new(),
            job: Some(Box::new(job.clone())),
        });
    }
    status_of(job, &prediction).map_err(|e| e.with_job(job))
}

/// The job a (signed) webhook body is about: its prediction's id and model.
pub(crate) fn job_of_callback(body: &[u8]) -> Result<Job> {
    #[derive(serde::Deserialize)]
    struct Head {
        id: String,
        model: String,
        created_at: chrono::DateTime<chrono::Utc>,
    }
    let head: Head = serde_json::from_slice(body).map_err(|e| Error::Decode {
        provider: P,
        message: format!("the webhook body is not a Replicate prediction: {e}"),
        body: String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned(),
        job: None,
    })?;
    Ok(Job {
        provider: P,
        model: head.model,
        id: head.id,
        created_at: head.created_at,
        poll_url: None,
        idempotency_key: None,
    })
}

/// The model's published `Input` schema (its latest version's `openapi_schema`), with the
/// version's components beside it so its `$ref`s resolve.
fn input_schema(model: &types::SchemasModelResponse) -> Option<Value> {
    let openapi = model.latest_version.as_ref()?.get("openapi_schema")?;
    let components = openapi.get("components")?;
    components.pointer("/schemas/Input")?;
    Some(serde_json::json!({"$ref": "#/components/schemas/Input", "components": components}))
}

impl ProviderApi for Replicate {
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
        Box::pin(async move { create(self, request).await.map(|j| vec![j]) })
    }

    fn status<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(JobStatus, Option<Duration>)>> {
        Box::pin(status(&self.client, job))
    }

    fn list<'a>(&'a self, limit: usize, _collection: Option<&'a str>) -> BoxFuture<'a, Result<Vec<crate::JobSummary>>> {
        Box::pin(list(&self.client, limit))
    }

    fn cancel<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match self.client.cancel_prediction(&job.id).await {
                Ok(_) => Ok(()),
                Err(e) => Err(read_error(P, e).await),
            }
        })
    }

    /// The catalogue's Replicate models, each looked up (`GET /models/{owner}/{name}`, at once):
    /// with its published `Input` schema when Replicate has it, else the catalogue's row alone
    /// (`listed: false`: gone, or renamed, since the row was read). Replicate's own model list
    /// is every public model of every kind, so it is not read.
    fn models<'a>(&'a self, search: Option<&'a str>) -> BoxFuture<'a, Result<Vec<crate::catalog::Model>>> {
        Box::pin(async move {
            let rows: Vec<&'static crate::catalog::ModelInfo> = crate::catalog::all()
                .iter()
                .filter(|m| m.providers.contains(&P) && !m.prefix)
                .filter(|m| search.is_none_or(|q| m.id.contains(q)))
                .collect();
            let found = futures::future::join_all(rows.iter().map(|row| self.model(&row.id))).await;
            rows.into_iter()
                .zip(found)
                .map(|(row, found)| Ok(found?.unwrap_or_else(|| crate::catalog::Model::from_rules(P, row))))
                .collect()
        })
    }

    fn model<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<crate::catalog::Model>>> {
        Box::pin(async move {
            let (owner, name, _) = split_model(id)?;
            let model = match self.client.get_model(owner, name).await {
                Ok(v) => v.into_inner(),
                Err(e) => {
                    return match read_error(P, e).await {
                        Error::NotFound { .. } => Ok(None),
                        other => Err(other),
                    };
                }
            };
            let schema = input_schema(&model);
            if let Some(properties) = schema.as_ref().and_then(|s| s.pointer("/components/schemas/Input/properties"))
                && let Some(field) = ["start_image", "first_frame_image", "image", "input_image"]
                    .into_iter()
                    .find(|f| properties.get(*f).is_some())
            {
                self.first_frame.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), field.to_string());
            }
            let rules = crate::catalog::lookup(P, id);
            Ok(Some(crate::catalog::Model {
                provider: P,
                id: id.to_string(),
                display_name: model.description.clone().filter(|d| !d.is_empty()),
                inputs: Vec::new(),
                outputs: vec!["video".into()],
                pricing: None,
                request_schema: schema,
                listed: true,
                rules,
            }))
        })
    }

    fn model_parameters(&self, request: &VideoRequest) -> Result<Option<Value>> {
        self.input(request).map(|input| Some(Value::Object(input)))
    }
}

impl crate::convert::ErrorBody for types::Problem {
    fn message(&self) -> Option<String> {
        self.detail.clone().or_else(|| self.title.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_becomes_cancel_after_in_whole_seconds_of_at_least_five() {
        assert_eq!(cancel_after(Duration::from_secs(3)), "5s");
        assert_eq!(cancel_after(Duration::from_millis(90_100)), "91s");
        assert_eq!(cancel_after(Duration::from_secs(1800)), "1800s");
    }

    #[test]
    fn models_are_owner_slash_name() {
        assert_eq!(split_model("kwaivgi/kling-v3-video").unwrap(), ("kwaivgi", "kling-v3-video", None));
        assert_eq!(split_model("a/b:0123").unwrap(), ("a", "b", Some("0123")));
        for bad in ["kling", "/x", "a/", "a/b/c", ""] {
            assert!(split_model(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_cursor_comes_from_the_next_url() {
        assert_eq!(cursor_of("https://api.replicate.com/v1/predictions?cursor=cD0yMDIy").as_deref(), Some("cD0yMDIy"));
        assert_eq!(cursor_of("https://api.replicate.com/v1/predictions"), None);
    }
}
