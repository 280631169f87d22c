//! VideoDB: generate video, then poll its async response.

use crate::backend::{BoxFuture, ProviderApi};
use crate::convert::{Call, convert, read_error};
use crate::{Error, Job, JobError, JobStatus, Provider, Result, VideoInfo, VideoRequest};
use serde_json::{Map, Value};
use std::time::Duration;
use videogen_transport::ApiAuth;
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
        callback_url: request.callback_url.clone(),
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
            attempt: None,
            source: None,
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

/// A finished video as a handle: a listed video (`m-…`) is its own job ([`crate::Client::list`]).
fn video_info(job: &Job, video: &types::Video) -> Option<VideoInfo> {
    let mut info = VideoInfo::at_url(job, video.stream_url.clone()?);
    info.thumbnail_url = video.thumbnail_url.clone();
    info.video_id = video.id.clone();
    Some(info)
}

/// The videos of `collection` (default `default`), newest pages first as VideoDB orders them,
/// every page (`GET /video?collection_id=&page_index=&count=`, count ≤ 5,000 per its spec) up to
/// `limit`. Each row's handle is the video itself (`videodb:m-…`): its status reads the video.
pub(crate) async fn list(
    client: &videogen_videodb::Client,
    collection: Option<&str>,
    limit: usize,
) -> Result<Vec<crate::JobSummary>> {
    const PAGE: usize = 5000;
    let collection = collection.unwrap_or("default");
    let mut out = Vec::new();
    for page in 0i64.. {
        let count = PAGE.min(limit - out.len());
        let answer = match client.list_videos(Some(collection), Some(count as i64), Some(page)).await {
            Ok(v) => v.into_inner(),
            Err(e) => return Err(read_error(P, e).await),
        };
        let videos = answer.data.map(|d| d.videos).unwrap_or_default();
        let got = videos.len();
        for v in videos {
            let Some(id) = v.id.clone() else { continue };
            out.push(crate::JobSummary {
                job: Job {
                    provider: P,
                    model: "videodb".into(),
                    id,
                    created_at: v.created_at.unwrap_or_default(),
                    poll_url: None,
                    idempotency_key: None,
                },
                status: "succeeded".into(),
                prompt: v.description.clone().filter(|d| !d.is_empty()),
                cost: None,
            });
        }
        if got < count || out.len() >= limit {
            break;
        }
    }
    out.truncate(limit);
    Ok(out)
}

pub(crate) async fn status(client: &videogen_videodb::Client, job: &Job) -> Result<(JobStatus, Option<Duration>)> {
    if job.id.starts_with("m-") {
        // A video handle (from a list): the video is finished by definition.
        let id = types::GetVideoVideoId::try_from(job.id.clone())
            .map_err(|e| Error::invalid(format!("video id {:?}: {e}", job.id)))?;
        let answer = match client.get_video(&id, None).await {
            Ok(v) => v.into_inner(),
            Err(e) => return Err(read_error(P, e).await),
        };
        return match answer.data.as_ref().and_then(|v| video_info(job, v)) {
            Some(info) => Ok((JobStatus::Succeeded(info), None)),
            None => Err(Error::Decode {
                provider: P,
                message: "the video has no stream_url".into(),
                body: serde_json::to_string(&answer).unwrap_or_default(),
                job: None,
            }),
        };
    }
    // `output_url` is `<api>/async-response/<id>`; the generated operation polls the same path.
    let result = match client.get_async_response(&job.id).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(P, e).await),
    };
    Ok((status_of(job, result)?, None))
}

/// The status an async response (a poll answer, or the same envelope POSTed to a
/// `callback_url`) stands for.
fn status_of(job: &Job, result: types::AsyncResult) -> Result<JobStatus> {
    let (success, status, data, message) = unwrap(result);
    let status = status.unwrap_or_default();
    if success == Some(false) || status == "failed" {
        let code = data.get("error_code").and_then(Value::as_str).map(String::from);
        return Ok(JobStatus::Failed(JobError::new(code, message.unwrap_or_else(|| "video generation failed".into()))));
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
        return Ok(JobStatus::Succeeded(info));
    }
    // "processing", "in progress" (SDKs), "pending" (docs prose): not done yet; any other word
    // is kept as sent and waited on, as for every provider.
    Ok(JobStatus::unfinished(&status, None))
}

/// A callback VideoDB POSTed to a job's `callback_url`: its async-response envelope.
pub(crate) fn parse_callback(job: &Job, body: &[u8]) -> Result<JobStatus> {
    let result: types::AsyncResult = serde_json::from_slice(body).map_err(|e| Error::Decode {
        provider: P,
        message: format!("the callback is not VideoDB's async-response envelope: {e}"),
        body: String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned(),
        job: Some(Box::new(job.clone())),
    })?;
    status_of(job, result).map_err(|e| e.with_job(job))
}

/// VideoDB behind the provider interface: its generated client and its key.
pub(crate) struct VideoDb {
    pub(crate) client: videogen_videodb::Client,
    auth: ApiAuth,
}

impl VideoDb {
    pub(crate) fn new(key: secrecy::SecretString, base_url: &str, timeout: Duration) -> Result<Self> {
        let auth =
            ApiAuth::header(base_url, videogen_videodb::API_KEY_HEADER, key).map_err(crate::providers::config)?;
        let http = videogen_transport::http_client(&auth).map_err(crate::providers::config)?;
        let client = videogen_videodb::Client::with_http_client(http, auth.clone())
            .with_request_timeout(timeout)
            .with_raw_error_responses();
        Ok(Self { client, auth })
    }
}

impl ProviderApi for VideoDb {
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
        Box::pin(async move { create(&self.client, request).await.map(|j| vec![j]) })
    }

    fn status<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(JobStatus, Option<Duration>)>> {
        Box::pin(status(&self.client, job))
    }

    fn list<'a>(&'a self, limit: usize, collection: Option<&'a str>) -> BoxFuture<'a, Result<Vec<crate::JobSummary>>> {
        Box::pin(list(&self.client, collection, limit))
    }

    fn delete<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<()>> {
        Box::pin(delete(&self.client, job))
    }

    fn collections(&self) -> BoxFuture<'_, Result<Vec<crate::Collection>>> {
        Box::pin(collections(&self.client))
    }

    fn create_collection<'a>(
        &'a self,
        name: &'a str,
        description: Option<&'a str>,
    ) -> BoxFuture<'a, Result<crate::Collection>> {
        Box::pin(create_collection(&self.client, name, description))
    }

    fn delete_collection<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(delete_collection(&self.client, id))
    }
}

impl crate::convert::ErrorBody for videogen_videodb::types::Error {
    fn message(&self) -> Option<String> {
        self.message.clone()
    }
}

/// Deletes the video a finished job made: its id (`m-…`) is in the job's async response
/// (`data.id`), then `DELETE /video/{id}`.
pub(crate) async fn delete(client: &videogen_videodb::Client, job: &Job) -> Result<()> {
    if job.id.starts_with("m-") {
        return delete_video(client, &job.id).await;
    }
    let result = match client.get_async_response(&job.id).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(P, e).await),
    };
    let (_, status, data, _) = unwrap(result);
    let Some(video_id) = data.get("id").and_then(Value::as_str).filter(|_| status.as_deref() == Some("done")) else {
        return Err(Error::invalid(format!("job {} has no finished video to delete", job.short_form())));
    };
    delete_video(client, video_id).await
}

async fn delete_video(client: &videogen_videodb::Client, video_id: &str) -> Result<()> {
    let video_id = types::DeleteVideoVideoId::try_from(video_id.to_string())
        .map_err(|e| Error::invalid(format!("video id {video_id:?}: {e}")))?;
    match client.delete_video(&video_id).await {
        Ok(_) => Ok(()),
        Err(e) => Err(read_error(P, e).await),
    }
}

fn collection_of(c: types::Collection, default: Option<&str>) -> Option<crate::Collection> {
    let id = c.id?;
    Some(crate::Collection {
        is_default: default == Some(id.as_str()) || id == "default",
        id,
        name: c.name,
        description: c.description,
    })
}

/// `GET /collection`.
pub(crate) async fn collections(client: &videogen_videodb::Client) -> Result<Vec<crate::Collection>> {
    let answer = match client.list_collections().await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(read_error(P, e).await),
    };
    let data = answer.data.unwrap_or_default();
    let default = data.default_collection.clone();
    Ok(data.collections.into_iter().filter_map(|c| collection_of(c, default.as_deref())).collect())
}

/// `POST /collection` with `{name, description}`.
pub(crate) async fn create_collection(
    client: &videogen_videodb::Client,
    name: &str,
    description: Option<&str>,
) -> Result<crate::Collection> {
    let body = types::CreateCollectionBody {
        name: Some(name.to_string()),
        description: description.map(String::from),
        is_public: None,
    };
    let answer = match client.create_collection(&body).await {
        Ok(v) => v.into_inner(),
        Err(e) => return Err(convert(P, Call::Create { model: "collection" }, e).await),
    };
    answer.data.and_then(|c| collection_of(c, None)).ok_or_else(|| Error::Decode {
        provider: P,
        message: "the created collection has no id".into(),
        body: String::new(),
        job: None,
    })
}

/// `DELETE /collection/{id}`.
pub(crate) async fn delete_collection(client: &videogen_videodb::Client, id: &str) -> Result<()> {
    match client.delete_collection(id).await {
        Ok(_) => Ok(()),
        Err(e) => Err(read_error(P, e).await),
    }
}
