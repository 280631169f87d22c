//! OpenAI and AIHubMix `/v1/videos`, shaped per model family.

use crate::MAX_REFERENCE_IMAGE_BYTES;
use crate::backend::{BoxFuture, ProviderApi};
use crate::catalog::Family;
use crate::convert::{Call, convert, read_error};
use crate::{Error, ImageInput, Job, JobError, JobStatus, Provider, Result, VideoInfo, VideoLocation, VideoRequest};
use serde_json::{Map, Value, json};
use std::time::Duration;
use videogen_openai::types;
use videogen_transport::ApiAuth;

/// The size to send: the request's, or the one its aspect ratio stands for (Sora and Veo take no
/// aspect ratio; AIHubMix: "Sora rejects aspect_ratio").
fn size(request: &VideoRequest, fam: Family) -> Result<Option<String>> {
    if let Some(s) = request.size {
        return Ok(Some(s.to_string()));
    }
    match (&request.aspect_ratio, fam) {
        (Some(r), Family::OpenAi | Family::Veo) => size_for_ratio(r).map(|s| Some(s.to_string())).ok_or_else(|| {
            Error::invalid(format!("{} takes aspect ratios 16:9 or 9:16 (sent as a size); got {r}", request.model))
        }),
        _ => Ok(None),
    }
}

/// The image URLs of a passthrough family (they take no uploaded files).
fn image_urls(request: &VideoRequest) -> Result<Vec<&str>> {
    request
        .images
        .iter()
        .map(|i| match i {
            ImageInput::Url(url) => Ok(url.as_str()),
            ImageInput::File(path) => Err(Error::invalid(format!(
                "{} takes reference images as URLs; upload {} and pass its URL",
                request.model,
                path.display()
            ))),
        })
        .collect()
}

/// Seedance's body (AIHubMix adapter `video.ts`, "seedance"): the prompt as a text content item,
/// images as `image_url` items with their role (first frame, last frame, then references), the
/// aspect ratio as `ratio`.
fn seedance_body(request: &VideoRequest) -> Result<Map<String, Value>> {
    if request.size.is_some() {
        return Err(Error::invalid(format!(
            "{} takes an aspect ratio and a resolution (extra \"resolution\": 480p|720p|1080p), not a size",
            request.model
        )));
    }
    let prompt = request.prompt.clone().unwrap_or_default();
    let mut content = vec![json!({"type": "text", "text": prompt})];
    for (i, url) in image_urls(request)?.into_iter().enumerate() {
        let role = match i {
            0 => "first_frame",
            1 => "last_frame",
            _ => "reference_image",
        };
        content.push(json!({"type": "image_url", "image_url": {"url": url}, "role": role}));
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("prompt".into(), json!(prompt));
    body.insert("content".into(), Value::Array(content));
    if let Some(d) = request.duration {
        body.insert("duration".into(), json!(d));
    }
    if let Some(r) = &request.aspect_ratio {
        body.insert("ratio".into(), json!(r));
    }
    if let Some(seed) = request.seed {
        body.insert("seed".into(), json!(seed));
    }
    if let Some(audio) = request.audio {
        body.insert("generate_audio".into(), json!(audio));
    }
    for (k, v) in &request.extra {
        body.insert(k.clone(), v.clone());
    }
    Ok(body)
}

/// DashScope's body (AIHubMix adapter `video.ts`, "dashscope"): `input {prompt, media}` and
/// `parameters {duration, aspect_ratio, seed, …}`; `extra` keys go into `parameters`.
fn dashscope_body(request: &VideoRequest) -> Result<Map<String, Value>> {
    if request.size.is_some() || request.audio.is_some() {
        return Err(Error::invalid(format!(
            "{} takes an aspect ratio and a resolution (extra \"resolution\": 720P|1080P), neither a size nor an audio switch",
            request.model
        )));
    }
    let media: Vec<Value> = image_urls(request)?
        .into_iter()
        .enumerate()
        .map(|(i, url)| json!({"type": if i == 0 { "first_frame" } else { "last_frame" }, "url": url}))
        .collect();
    if media.len() > 2 {
        return Err(Error::invalid(format!("{} takes at most a first and a last frame", request.model)));
    }
    let mut input = Map::new();
    input.insert("prompt".into(), json!(request.prompt.clone().unwrap_or_default()));
    if !media.is_empty() {
        input.insert("media".into(), Value::Array(media));
    }
    let mut parameters = Map::new();
    if let Some(d) = request.duration {
        parameters.insert("duration".into(), json!(d));
    }
    if let Some(r) = &request.aspect_ratio {
        parameters.insert("aspect_ratio".into(), json!(r));
    }
    if let Some(seed) = request.seed {
        parameters.insert("seed".into(), json!(seed));
    }
    for (k, v) in &request.extra {
        parameters.insert(k.clone(), v.clone());
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("input".into(), Value::Object(input));
    body.insert("parameters".into(), Value::Object(parameters));
    Ok(body)
}

/// The JSON create body for the model's family (AIHubMix adapter `video.ts`).
fn json_body(request: &VideoRequest, fam: Family) -> Result<Map<String, Value>> {
    if !request.shots.is_empty() || request.input_video.is_some() {
        return Err(Error::invalid("the /v1/videos API takes neither multi-shot requests nor a reference video"));
    }
    match fam {
        Family::Seedance => return seedance_body(request),
        Family::Dashscope => return dashscope_body(request),
        _ => {}
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("prompt".into(), json!(request.prompt.clone().unwrap_or_default()));
    if let Some(d) = request.duration {
        // Sora: a string "4"|"8"|"12"; Veo: a number; generic: as Sora.
        body.insert("seconds".into(), if fam == Family::Veo { json!(d) } else { json!(d.to_string()) });
    }
    if let Some(s) = size(request, fam)? {
        body.insert("size".into(), json!(s));
    }
    if fam == Family::Generic
        && let Some(r) = &request.aspect_ratio
    {
        body.insert("aspect_ratio".into(), json!(r));
    }
    if let Some(seed) = request.seed {
        if fam == Family::OpenAi {
            return Err(Error::invalid("Sora takes no seed (unknown parameters are refused)"));
        }
        body.insert("seed".into(), json!(seed));
    }
    if let Some(audio) = request.audio {
        if fam != Family::Generic {
            return Err(Error::invalid(format!("{} takes no audio switch", request.model)));
        }
        body.insert("generate_audio".into(), json!(audio));
    }
    if let Some(ImageInput::Url(url)) = request.images.first() {
        // Sora: an object {image_url}; a bare string gets a 400. wan and others: the bare URL.
        body.insert(
            "input_reference".into(),
            if fam == Family::OpenAi { json!({"image_url": url}) } else { json!(url) },
        );
    }
    for (k, v) in &request.extra {
        body.insert(k.clone(), v.clone());
    }
    Ok(body)
}

async fn multipart_body(request: &VideoRequest, fam: Family) -> Result<videogen_openai::CreateVideoMultipart> {
    let Some(ImageInput::File(path)) = request.images.first() else {
        return Err(Error::invalid("a multipart create needs a local reference image"));
    };
    let bytes = read_image_file(path).await?;
    // The type its bytes say (read_image_file refuses anything else), never its name's.
    let content_type = crate::request::image_type(&bytes)
        .ok_or_else(|| Error::invalid(format!("reference image {}: not a PNG, JPEG or WebP image", path.display())))?;
    let prompt = request.prompt.clone().unwrap_or_default();
    let prompt =
        types::CreateVideoMultipartBodyPrompt::try_from(prompt).map_err(|e| Error::invalid(format!("prompt: {e}")))?;
    let mut body = videogen_openai::CreateVideoMultipart::new(prompt);
    body.model = Some(types::VideoModel(request.model.clone()));
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), String::from);
    let mut extra: Vec<(String, String)> = Vec::new();
    if let Some(d) = request.duration {
        match serde_json::from_value::<types::VideoSeconds>(json!(d.to_string())) {
            Ok(s) if fam == Family::OpenAi => body.seconds = Some(s),
            _ => extra.push(("seconds".into(), d.to_string())),
        }
    }
    if let Some(s) = size(request, fam)? {
        match serde_json::from_value::<types::VideoSize>(json!(s)) {
            Ok(size) => body.size = Some(size),
            Err(_) => extra.push(("size".into(), s)),
        }
    }
    for (k, v) in json_body(request, fam)? {
        if !["model", "prompt", "seconds", "size", "input_reference"].contains(&k.as_str()) {
            extra.push((k, text(&v)));
        }
    }
    body.extra = extra;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "reference".into());
    body.input_reference =
        Some(videogen_openai::InputReferenceFile { bytes: bytes.into(), file_name, content_type: content_type.into() });
    Ok(body)
}

pub(crate) async fn create(client: &videogen_openai::Client, request: &VideoRequest) -> Result<Job> {
    let provider = request.provider;
    let fam = (super::super::profile(provider).family)(&request.model);
    let model = request.model.as_str();
    let id = if has_local_file(request) {
        if fam != Family::OpenAi {
            image_urls(request)?;
        }
        let body = multipart_body(request, fam).await?;
        match client.create_video_multipart(body).await {
            Ok(v) => v.into_inner().id,
            Err(e) => return Err(convert(provider, Call::Create { model }, e).await),
        }
    } else if matches!(fam, Family::OpenAi | Family::Veo) {
        let body: types::CreateVideoJsonBody = serde_json::from_value(Value::Object(json_body(request, fam)?))
            .map_err(|e| Error::invalid(format!("/v1/videos request: {e}")))?;
        match client.create_video(&body).await {
            Ok(v) => v.into_inner().id,
            Err(e) => return Err(convert(provider, Call::Create { model }, e).await),
        }
    } else {
        // The gateway passes each vendor's native body through; the spec does not model them.
        let body = Value::Object(json_body(request, fam)?);
        let answer = match client.create_video_value(&body).await {
            Ok(v) => v.into_inner(),
            Err(e) => return Err(convert(provider, Call::Create { model }, e).await),
        };
        match answer.get("id").or_else(|| answer.get("task_id")).and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                return Err(Error::OutcomeUnknown {
                    attempt: None,
                    source: None,
                    provider,
                    model: model.to_string(),
                    message: "the create answer holds no id".into(),
                    status: Some(200),
                    body: Some(answer.to_string()),
                });
            }
        }
    };
    Ok(Job {
        provider,
        model: model.to_string(),
        id,
        created_at: chrono::Utc::now(),
        poll_url: None,
        idempotency_key: None,
    })
}

/// `POST /videos/{id}/remix` with the new prompt; the new job keeps the source's model.
pub(crate) async fn remix(client: &videogen_openai::Client, source: &Job, prompt: &str) -> Result<Job> {
    let provider = source.provider;
    let prompt = types::CreateVideoRemixBodyPrompt::try_from(prompt.to_string())
        .map_err(|e| Error::invalid(format!("remix prompt: {e}")))?;
    let body = types::CreateVideoRemixBody { prompt };
    let video = match client.create_video_remix(&source.id, &body).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(convert(provider, Call::Create { model: &source.model }, e).await),
    };
    Ok(Job {
        provider,
        model: video.model.map(|m| m.0).unwrap_or_else(|| source.model.clone()),
        id: video.id,
        created_at: chrono::Utc::now(),
        poll_url: None,
        idempotency_key: None,
    })
}

/// `DELETE /videos/{id}`.
pub(crate) async fn delete(client: &videogen_openai::Client, job: &Job) -> Result<()> {
    match client.delete_video(&job.id).await {
        Ok(answer) if answer.deleted => Ok(()),
        Ok(_) => Err(Error::Api {
            provider: job.provider,
            status: 200,
            message: "the provider answered deleted: false".into(),
            body: String::new(),
            job: None,
        }),
        Err(e) => Err(read_error(job.provider, e).await),
    }
}

/// `GET /videos`, newest first, every page (`limit` 100, its maximum; `after` the last id while
/// `has_more`) up to `limit`.
pub(crate) async fn list(
    client: &videogen_openai::Client,
    provider: Provider,
    limit: usize,
) -> Result<Vec<crate::JobSummary>> {
    let mut out: Vec<crate::JobSummary> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = match client.list_videos(after.as_deref(), Some(100), Some(types::OrderEnum::Desc)).await {
            Ok(v) => v.into_inner(),
            Err(e) => return Err(read_error(provider, e).await),
        };
        let next = page.data.last().map(|v| v.id.clone());
        out.extend(page.data.into_iter().map(|v| crate::JobSummary {
            job: Job {
                provider,
                model: v.model.map(|m| m.0).unwrap_or_default(),
                id: v.id,
                created_at: v.created_at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).unwrap_or_default(),
                poll_url: None,
                idempotency_key: None,
            },
            status: match v.status.as_str() {
                "in_progress" => "running".to_string(),
                "completed" => "succeeded".to_string(),
                other => other.to_string(),
            },
            prompt: v.prompt,
            cost: None,
        }));
        // A server that says "more" but gives no new cursor would loop for ever: stop there.
        if !page.has_more || out.len() >= limit || next.is_none() || next == after {
            break;
        }
        after = next;
    }
    out.truncate(limit);
    Ok(out)
}

/// Where a finished job's video is, in the answer of a passthrough family: the URL fields
/// AIHubMix's adapter normaliser looks for (`video_url`, `url`, `output_url`, the same under
/// `data`, `unsigned_urls[0]`; `aihubmix-media-adapters` `src/adapters/video.ts`).
fn result_url(answer: &Value) -> Option<String> {
    let direct = ["video_url", "url", "output_url"];
    direct
        .iter()
        .find_map(|k| answer.get(*k))
        .or_else(|| direct.iter().find_map(|k| answer.pointer(&format!("/data/{k}"))))
        .or_else(|| answer.pointer("/unsigned_urls/0"))
        .and_then(Value::as_str)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(String::from)
}

pub(crate) async fn status(
    client: &videogen_openai::Client,
    auth: &videogen_transport::ApiAuth,
    job: &Job,
) -> Result<(JobStatus, Option<Duration>)> {
    let answer = match client.get_video_value(&job.id).await {
        Ok(v) => v,
        Err(e) => return Err(read_error(job.provider, e).await),
    };
    // openai-python's poll helper sleeps `openai-poll-after-ms` when the server sends it.
    let hint = answer
        .headers()
        .get("openai-poll-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis);
    let video = answer.into_inner();
    let decode = |message: &str| Error::Decode {
        provider: job.provider,
        message: message.to_string(),
        body: video.to_string().chars().take(64 * 1024).collect(),
        job: None,
    };
    if !video.is_object() {
        return Err(decode("the answer is not a JSON object"));
    }
    let Some(word) = video.get("status").and_then(Value::as_str) else {
        return Err(decode("the answer has no status"));
    };
    let progress = video.get("progress").and_then(Value::as_f64).map(|p| p.clamp(0.0, 100.0) as u8);
    let status = match word {
        "completed" | "succeeded" => {
            let expires_at =
                video.get("expires_at").and_then(Value::as_i64).and_then(|t| chrono::DateTime::from_timestamp(t, 0));
            // A passthrough family's answer may name the result URL; otherwise the content
            // endpoint on the API origin serves it (with the key).
            let mut info = match result_url(&video) {
                Some(url) => VideoInfo::at_url(job, url),
                None => VideoInfo::new(job, VideoLocation::ContentEndpoint { url: content_url(auth, &job.id) }),
            };
            info.expires_at = expires_at;
            JobStatus::Succeeded(info)
        }
        "failed" => {
            let error = video.get("error");
            let code = error.and_then(|e| e.get("code")).and_then(Value::as_str).map(String::from);
            let message = error
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("the video generation failed")
                .to_string();
            JobStatus::Failed(JobError::new(code, message))
        }
        other => JobStatus::unfinished(other, progress),
    };
    Ok((status, hint))
}

/// `{base}/videos/{id}/content`: where OpenAI and AIHubMix serve a finished video (and its
/// `variant`s) on the API origin.
pub(crate) fn content_url(auth: &videogen_transport::ApiAuth, id: &str) -> String {
    format!("{}/videos/{}/content", auth.base_url(), progenitor_client::encode_path(id))
}

/// Maps an aspect ratio to the size the Sora/Veo families take for it (landscape 1280x720,
/// portrait 720x1280).
pub(crate) fn size_for_ratio(ratio: &str) -> Option<&'static str> {
    match ratio {
        "16:9" => Some("1280x720"),
        "9:16" => Some("720x1280"),
        _ => None,
    }
}

/// Whether the request uploads a local file (OpenAI/AIHubMix then use multipart).
pub(crate) fn has_local_file(request: &VideoRequest) -> bool {
    request.images.iter().any(|i| matches!(i, crate::ImageInput::File(_)))
}

/// Reads a checked reference image, never more than [`MAX_REFERENCE_IMAGE_BYTES`] (the file may
/// have grown since it was checked). Only the multipart create (OpenAI/AIHubMix) uploads files.
pub(crate) async fn read_image_file(path: &std::path::Path) -> crate::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    crate::request::check_image_file(path)?;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| crate::Error::invalid(format!("reference image {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_REFERENCE_IMAGE_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| crate::Error::invalid(format!("reference image {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_REFERENCE_IMAGE_BYTES {
        return Err(crate::Error::invalid(format!(
            "reference image {}: over the limit of {MAX_REFERENCE_IMAGE_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// A `/v1/videos` API behind the provider interface (an OpenAI-compatible gateway or AIHubMix):
/// its generated client and its key (none for a keyless gateway).
pub(crate) struct Gateway {
    provider: Provider,
    pub(crate) client: videogen_openai::Client,
    auth: ApiAuth,
}

impl Gateway {
    pub(crate) fn new(
        provider: Provider,
        key: secrecy::SecretString,
        base_url: &str,
        timeout: Duration,
    ) -> Result<Self> {
        use secrecy::ExposeSecret;
        // Only a provider whose profile allows it runs without a key (ClientBuilder::without_key).
        let auth = if provider.keyless_allowed() && key.expose_secret().is_empty() {
            ApiAuth::keyless(base_url)
        } else {
            ApiAuth::bearer(base_url, key)
        }
        .map_err(crate::providers::config)?;
        let http = videogen_transport::http_client(&auth).map_err(crate::providers::config)?;
        let client = videogen_openai::Client::with_http_client(http, auth.clone())
            .with_request_timeout(timeout)
            .with_raw_error_responses();
        Ok(Self { provider, client, auth })
    }
}

impl ProviderApi for Gateway {
    fn provider(&self) -> Provider {
        self.provider
    }

    fn auth(&self) -> &ApiAuth {
        &self.auth
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn create<'a>(&'a self, request: &'a VideoRequest) -> BoxFuture<'a, Result<Vec<Job>>> {
        Box::pin(async move { create(&self.client, request).await.map(|j| vec![j]) })
    }

    fn status<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(JobStatus, Option<Duration>)>> {
        Box::pin(status(&self.client, &self.auth, job))
    }

    fn list<'a>(&'a self, limit: usize, _collection: Option<&'a str>) -> BoxFuture<'a, Result<Vec<crate::JobSummary>>> {
        Box::pin(list(&self.client, self.provider, limit))
    }

    fn remix<'a>(&'a self, source: &'a Job, _video: &'a VideoInfo, prompt: &'a str) -> BoxFuture<'a, Result<Vec<Job>>> {
        Box::pin(async move { remix(&self.client, source, prompt).await.map(|j| vec![j]) })
    }

    fn delete<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<()>> {
        Box::pin(delete(&self.client, job))
    }
}

impl crate::convert::ErrorBody for videogen_openai::types::ErrorResponse {
    fn message(&self) -> Option<String> {
        Some(self.error.message.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Size;

    #[test]
    fn family_shapes() {
        let sora = VideoRequest::new(Provider::AiHubMix, "sora-2")
            .prompt("p")
            .duration(8)
            .aspect_ratio("16:9")
            .image(ImageInput::Url("https://i".into()));
        assert_eq!(
            Value::Object(json_body(&sora, Family::OpenAi).unwrap()),
            json!({"model": "sora-2", "prompt": "p", "seconds": "8", "size": "1280x720", "input_reference": {"image_url": "https://i"}})
        );
        let veo = VideoRequest::new(Provider::AiHubMix, "veo-3.1-generate-preview")
            .prompt("p")
            .duration(6)
            .size(Size { width: 1920, height: 1080 });
        assert_eq!(
            Value::Object(json_body(&veo, Family::Veo).unwrap()),
            json!({"model": "veo-3.1-generate-preview", "prompt": "p", "seconds": 6, "size": "1920x1080"})
        );
        let wan =
            VideoRequest::new(Provider::AiHubMix, "wan2.5-i2v").prompt("p").image(ImageInput::Url("https://i".into()));
        assert_eq!(json_body(&wan, Family::Generic).unwrap()["input_reference"], json!("https://i"));
        assert!(json_body(&VideoRequest::new(Provider::OpenAi, "sora-2").prompt("p").seed(1), Family::OpenAi).is_err());
        let seedance = VideoRequest::new(Provider::AiHubMix, "doubao-seedance-1-0-pro-250528")
            .prompt("p")
            .duration(5)
            .aspect_ratio("16:9")
            .image(ImageInput::Url("https://first".into()))
            .extra("resolution", json!("720p"));
        assert_eq!(
            Value::Object(json_body(&seedance, Family::Seedance).unwrap()),
            json!({"model": "doubao-seedance-1-0-pro-250528", "prompt": "p", "duration": 5, "ratio": "16:9",
                   "resolution": "720p", "content": [{"type": "text", "text": "p"},
                   {"type": "image_url", "image_url": {"url": "https://first"}, "role": "first_frame"}]})
        );
        let dashscope = VideoRequest::new(Provider::AiHubMix, "wan2.7-i2v")
            .prompt("p")
            .duration(5)
            .image(ImageInput::Url("https://first".into()))
            .extra("resolution", json!("720P"));
        assert_eq!(
            Value::Object(json_body(&dashscope, Family::Dashscope).unwrap()),
            json!({"model": "wan2.7-i2v", "input": {"prompt": "p", "media": [{"type": "first_frame", "url": "https://first"}]},
                   "parameters": {"duration": 5, "resolution": "720P"}})
        );
        let local =
            VideoRequest::new(Provider::AiHubMix, "wan2.7-i2v").prompt("p").image(ImageInput::File("a.png".into()));
        assert!(json_body(&local, Family::Dashscope).is_err());
        let urls = json!({"id": "x", "status": "completed", "data": {"video_url": "https://cdn/v.mp4"}});
        assert_eq!(result_url(&urls).as_deref(), Some("https://cdn/v.mp4"));
        assert_eq!(result_url(&json!({"unsigned_urls": ["https://u/1.mp4"]})).as_deref(), Some("https://u/1.mp4"));
        assert_eq!(result_url(&json!({"id": "video_1", "status": "completed"})), None);
    }
}
