//! OpenAI and AIHubMix `/v1/videos`, shaped per model family.

use crate::client::{Backend, Inner, read_error};
use crate::convert::{Call, convert};
use crate::models::{Family, family, has_local_file, size_for_ratio};
use crate::video::Source;
use crate::{Error, ImageInput, Job, JobError, JobStatus, Provider, Result, Video, VideoRequest};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use videogen_openai::types;

fn backend(inner: &Inner, provider: Provider) -> Result<&Backend<videogen_openai::Client>> {
    let b = if provider == Provider::OpenAi { inner.openai.as_ref() } else { inner.aihubmix.as_ref() };
    b.ok_or_else(|| Inner::not_configured(provider))
}

/// The size to send: the request's, or the one its aspect ratio stands for (Sora and Veo take no
/// aspect ratio; AIHubMix: "Sora rejects aspect_ratio").
fn size(request: &VideoRequest, fam: Family) -> Result<Option<String>> {
    if let Some(s) = request.size {
        return Ok(Some(s.to_string()));
    }
    match (&request.aspect_ratio, fam) {
        (Some(r), Family::Sora | Family::Veo) => size_for_ratio(r).map(|s| Some(s.to_string())).ok_or_else(|| {
            Error::invalid(format!("{} takes aspect ratios 16:9 or 9:16 (sent as a size); got {r}", request.model))
        }),
        _ => Ok(None),
    }
}

/// The JSON create body for the model's family (AIHubMix adapter `video.ts`).
fn json_body(request: &VideoRequest, fam: Family) -> Result<Map<String, Value>> {
    if !request.shots.is_empty() || request.input_video.is_some() {
        return Err(Error::invalid("the /v1/videos API takes neither multi-shot requests nor a reference video"));
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
        if fam == Family::Sora {
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
        body.insert("input_reference".into(), if fam == Family::Sora { json!({"image_url": url}) } else { json!(url) });
    }
    for (k, v) in &request.extra {
        body.insert(k.clone(), v.clone());
    }
    Ok(body)
}

fn content_type_of(path: &std::path::Path) -> Result<&'static str> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => Ok("image/png"),
        Some("jpg" | "jpeg") => Ok("image/jpeg"),
        Some("webp") => Ok("image/webp"),
        _ => Err(Error::invalid(format!("{}: reference images must be .png, .jpg, .jpeg or .webp", path.display()))),
    }
}

async fn multipart_body(request: &VideoRequest, fam: Family) -> Result<videogen_openai::CreateVideoMultipart> {
    let Some(ImageInput::File(path)) = request.images.first() else {
        return Err(Error::invalid("a multipart create needs a local reference image"));
    };
    let content_type = content_type_of(path)?;
    let bytes = crate::request::read_image_file(path).await?;
    let prompt = request.prompt.clone().unwrap_or_default();
    let prompt =
        types::CreateVideoMultipartBodyPrompt::try_from(prompt).map_err(|e| Error::invalid(format!("prompt: {e}")))?;
    let mut body = videogen_openai::CreateVideoMultipart::new(prompt);
    body.model = Some(types::VideoModel(request.model.clone()));
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), String::from);
    let mut extra: Vec<(String, String)> = Vec::new();
    if let Some(d) = request.duration {
        match serde_json::from_value::<types::VideoSeconds>(json!(d.to_string())) {
            Ok(s) if fam == Family::Sora => body.seconds = Some(s),
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

pub(crate) async fn create(inner: &Inner, request: &VideoRequest) -> Result<Job> {
    let provider = request.provider;
    let b = backend(inner, provider)?;
    let fam = family(provider, &request.model);
    let model = request.model.as_str();
    let answer = if has_local_file(request) {
        let body = multipart_body(request, fam).await?;
        b.client.create_video_multipart(body).await
    } else {
        let body: types::CreateVideoJsonBody = serde_json::from_value(Value::Object(json_body(request, fam)?))
            .map_err(|e| Error::invalid(format!("/v1/videos request: {e}")))?;
        b.client.create_video(&body).await
    };
    let video = match answer {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(convert(provider, Call::Create { model }, e).await),
    };
    Ok(Job {
        provider,
        model: model.to_string(),
        id: video.id,
        created_at: chrono::Utc::now(),
        poll_url: None,
        idempotency_key: None,
    })
}

pub(crate) async fn list(inner: &Inner, provider: Provider) -> Result<Vec<crate::JobSummary>> {
    let b = backend(inner, provider)?;
    let page = match b.client.list_videos(None, Some(100), Some(types::OrderEnum::Desc)).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(provider, e).await),
    };
    Ok(page
        .data
        .into_iter()
        .map(|v| crate::JobSummary {
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
        })
        .collect())
}

pub(crate) async fn status(inner: &Arc<Inner>, job: &Job) -> Result<(JobStatus, Option<Duration>)> {
    let b = backend(inner, job.provider)?;
    let answer = match b.client.get_video(&job.id).await {
        Ok(v) => v,
        Err(e) => return Err(read_error(job.provider, e).await),
    };
    // openai-python's poll helper sleeps `openai-poll-after-ms` when the server sends it.
    let hint = answer
        .headers()
        .get("openai-poll-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis);
    let video = answer.into_inner();
    let progress = video.progress.map(|p| p.clamp(0, 100) as u8);
    let status = match video.status.as_str() {
        "completed" => {
            let url = format!("{}/videos/{}/content", b.auth.base_url(), progenitor_client::encode_path(&job.id));
            let expires_at = video.expires_at.and_then(|t| chrono::DateTime::from_timestamp(t, 0));
            JobStatus::Succeeded(Video {
                inner: inner.clone(),
                job: job.clone(),
                source: Source::Content { url },
                expires_at,
            })
        }
        "failed" => {
            let (code, message) =
                video.error.map_or((None, "the video generation failed".to_string()), |e| (Some(e.code), e.message));
            JobStatus::Failed(JobError::new(code, message))
        }
        other => JobStatus::unfinished(other, progress),
    };
    Ok((status, hint))
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
            Value::Object(json_body(&sora, Family::Sora).unwrap()),
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
        assert!(json_body(&VideoRequest::new(Provider::OpenAi, "sora-2").prompt("p").seed(1), Family::Sora).is_err());
    }
}
