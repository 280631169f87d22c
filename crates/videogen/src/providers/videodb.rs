//! VideoDB: generate video, then poll its async response.

use crate::convert::{Call, convert, read_error};
use crate::{Error, Job, JobError, JobStatus, Provider, Result, VideoInfo, VideoRequest};
use serde_json::{Map, Value};
use std::time::Duration;
use videogen_videodb::types;

const P: Provider = Provider::VideoDb;

pub(crate) async fn create(client: &videogen_videodb::Client, request: &VideoRequest) -> Result<Job> {
    if request.aspect_ratio.is_some()
        || request.seed.is_some()
        || request.input_video.is_some()
        || request.audio.is_some()
    {
        return Err(Error::invalid(
            "VideoDB's generate video takes a prompt and a duration only (spec /collection/{id}/generate/video/)",
        ));
    }
    if let Some(key) = request.extra.keys().next() {
        return Err(Error::invalid(format!("VideoDB's generate video takes no extra parameters (got {key:?})")));
    }
    let body = types::GenerateVideoBody {
        prompt: request.prompt.clone().unwrap_or_default(),
        duration: request.duration.map(i64::from),
        callback_url: None,
    };
    let collection = request.collection.as_deref().unwrap_or("default");
    let model = if request.model.is_empty() { "videodb" } else { request.model.as_str() };
    let answer = match client.generate_video(collection, &body).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(convert(P, Call::Create { model }, e).await),
    };
    let data = answer.data.as_ref();
    match (answer.success, data.and_then(|d| d.id.clone())) {
        (Some(false), _) => Err(Error::Api {
            provider: P,
            status: 200,
            message: answer.message.clone().unwrap_or_else(|| "generate video failed".into()),
            body: serde_json::to_string(&answer).unwrap_or_default(),
            job: None,
        }),
        (_, Some(id)) => Ok(Job {
            provider: P,
            model: model.to_string(),
            id,
            created_at: chrono::Utc::now(),
            poll_url: data.and_then(|d| d.output_url.clone()),
            idempotency_key: None,
        }),
        (_, None) => Err(Error::OutcomeUnknown {
            provider: P,
            model: model.to_string(),
            message: "the generate answer holds no job id".into(),
            status: Some(200),
            body: serde_json::to_string(&answer).ok(),
        }),
    }
}

/// The poll result's fields, whether flat or in the `response` wrapper (videodb-python
/// `_http_client.py`).
fn unwrap(result: types::AsyncResult) -> (Option<bool>, Option<String>, Map<String, Value>, Option<String>) {
    match result.response {
        Some(w) => (w.success.or(result.success), w.status.or(result.status), w.data, w.message.or(result.message)),
        None => (result.success, result.status, result.data, result.message),
    }
}

pub(crate) async fn status(client: &videogen_videodb::Client, job: &Job) -> Result<(JobStatus, Option<Duration>)> {
    // `output_url` is `<api>/async-response/<id>`; the generated operation polls the same path.
    let result = match client.get_async_response(&job.id).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(P, e).await),
    };
    let (success, status, data, message) = unwrap(result);
    let status = status.unwrap_or_default();
    if success == Some(false) || status == "failed" {
        let code = data.get("error_code").and_then(Value::as_str).map(String::from);
        return Ok((
            JobStatus::Failed(JobError::new(code, message.unwrap_or_else(|| "video generation failed".into()))),
            None,
        ));
    }
    if status == "done" {
        let Some(url) = data.get("stream_url").and_then(Value::as_str) else {
            return Err(Error::Decode {
                provider: P,
                message: "done without a stream_url".into(),
                body: Value::Object(data).to_string(),
                job: None,
            });
        };
        let mut info = VideoInfo::at_url(job, url);
        info.thumbnail_url = data.get("thumbnail_url").and_then(Value::as_str).map(String::from);
        info.video_id = data.get("id").and_then(Value::as_str).map(String::from);
        return Ok((JobStatus::Succeeded(info), None));
    }
    // "processing", "in progress" (SDKs), "pending" (docs prose): not done yet; any other word
    // is kept as sent and waited on, as for every provider.
    Ok((JobStatus::unfinished(&status, None), None))
}

impl crate::convert::ErrorBody for videogen_videodb::types::Error {
    fn message(&self) -> Option<String> {
        self.message.clone()
    }
}

/// Deletes the video a finished job made: its id (`m-…`) is in the job's async response
/// (`data.id`), then `DELETE /video/{id}`.
pub(crate) async fn delete(client: &videogen_videodb::Client, job: &Job) -> Result<()> {
    let result = match client.get_async_response(&job.id).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(P, e).await),
    };
    let (_, status, data, _) = unwrap(result);
    let Some(video_id) = data.get("id").and_then(Value::as_str).filter(|_| status.as_deref() == Some("done")) else {
        return Err(Error::invalid(format!("job {} has no finished video to delete", job.short_form())));
    };
    let video_id = types::DeleteVideoVideoId::try_from(video_id.to_string())
        .map_err(|e| Error::invalid(format!("video id {video_id:?}: {e}")))?;
    match client.delete_video(&video_id).await {
        Ok(_) => Ok(()),
        Err(e) => Err(read_error(P, e).await),
    }
}
