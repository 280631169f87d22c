//! VideoDB: collections, `POST /collection/{id}/generate/video/`, `GET /async-response/{id}` and
//! videos, as `specs/videodb/openapi.json`, docs.videodb.io and the official SDKs describe them.
//!
//! Decisions where the sources leave room (also in the issue note):
//! - Generate answers `request_type: "sync"` with an absolute `output_url` on the simulator; with a
//!   `callback_url` it answers `request_type: "async"`, and when the job finishes it POSTs the
//!   async-response envelope (the poll's answer, `request_type: "async"`) to that URL once — to
//!   loopback URLs only (anything else is not called: the simulator reaches no other host). The
//!   docs give no callback schema; the SDKs read this envelope for the poll.
//! - Poll results are flat `{success, status, data}` (the SDKs also accept a `response` wrapper).
//! - `stream_url` is the MP4 result URL (the real service returns an HLS playlist).

use crate::faults::FaultKind;
use crate::http::{Conn, Op, json_response, parse_json_object, run, videodb_error};
use crate::store::{Collection, Job, Outcome, Phase, SimState, unix_now};
use crate::{Provider, media};
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const P: Provider = Provider::VideoDb;

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/collection", get(list_collections).post(create_collection))
        .route("/collection/{collection_id}", get(get_collection).patch(update_collection).delete(delete_collection))
        // The spec's path has a trailing slash; the Python SDK posts without one.
        .route("/collection/{collection_id}/generate/video", post(generate_video))
        .route("/async-response/{response_id}", get(get_async_response))
        .route("/video", get(list_videos))
        .route("/video/{video_id}", get(get_video).patch(update_video).delete(delete_video))
        .route("/video/{video_id}/stream", post(create_video_stream))
}

fn bad_request(message: &str) -> Response {
    videodb_error(StatusCode::BAD_REQUEST, message, "INVALID_REQUEST")
}

fn not_found(message: &str) -> Response {
    videodb_error(StatusCode::NOT_FOUND, message, "NOT_FOUND")
}

fn collection_json(c: &Collection) -> Value {
    json!({"id": c.id, "name": c.name, "description": c.description, "is_public": c.is_public,
           "owner": "u-sim", "created_at": crate::timestamps::rfc3339(c.created_unix)})
}

/// The job behind a video id: video `m-<hex>` belongs to async job `job-<hex>`.
fn job_id_of_video(video_id: &str) -> Option<String> {
    video_id.strip_prefix("m-").map(|hex| format!("job-{hex}"))
}

fn video_json(state: &SimState, job: &Job) -> Value {
    let hex = job.id.trim_start_matches("job-");
    let seconds = job.params.get("duration").and_then(Value::as_i64).unwrap_or(5);
    json!({
        "id": format!("m-{hex}"),
        "name": job.name.clone().unwrap_or_else(|| job.prompt.clone().unwrap_or_default().chars().take(60).collect()),
        "description": job.prompt.clone().unwrap_or_default(),
        "collection_id": job.collection_id,
        "length": seconds as f64,
        "size": media::padded_len(media::job_video(state, job).len() as u64, state.config.result_size) as f64,
        "stream_url": state.result_url(&job.id),
        "player_url": format!("https://console.videodb.io/player?url={}", state.result_url(&job.id)),
        "thumbnail_url": state.result_url(&job.id).replace(".mp4", ".webp"),
        "created_at": crate::timestamps::rfc3339(job.created_unix),
    })
}

/// A finished, not deleted video.
fn video(state: &SimState, video_id: &str) -> Option<Job> {
    let job = state.get(&job_id_of_video(video_id)?)?;
    (job.provider == P && job.phase() == Phase::Succeeded && !job.deleted).then_some(job)
}

async fn list_collections(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
) -> Response {
    run(state, P, "list_collections", Op::Other, &conn, &headers, |st, _| async move {
        let collections: Vec<Value> = st.with_inner(|i| i.collections.iter().map(collection_json).collect());
        json_response(
            StatusCode::OK,
            &json!({"success": true, "data": {"collections": collections, "default_collection": "default"}}),
        )
    })
    .await
}

/// The optional fields of a collection create or update body.
type CollectionFields = (Option<String>, Option<String>, Option<bool>);

fn collection_fields(body: &Map<String, Value>) -> Result<CollectionFields, Response> {
    let string = |k: &str| match body.get(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad_request(&format!("{k} must be a string"))),
    };
    let is_public = match body.get("is_public") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad_request("is_public must be a boolean")),
    };
    Ok((string("name")?, string("description")?, is_public))
}

async fn create_collection(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, P, "create_collection", Op::Other, &conn, &headers, |st, _| async move {
        let body = match parse_json_object(&body) {
            Ok(b) => b,
            Err(e) => return bad_request(&e),
        };
        let (name, description, is_public) = match collection_fields(&body) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let c = Collection {
            id: format!("c-{}", uuid::Uuid::new_v4().simple()),
            name: name.unwrap_or_else(|| "Untitled collection".into()),
            description: description.unwrap_or_default(),
            is_public: is_public.unwrap_or(false),
            created_unix: unix_now(),
        };
        let json = collection_json(&c);
        st.change_collections(|all| all.push(c));
        json_response(StatusCode::OK, &json!({"success": true, "data": json}))
    })
    .await
}

async fn get_collection(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "get_collection", Op::Other, &conn, &headers, |st, _| async move {
        match st.with_inner(|i| i.collections.iter().find(|c| c.id == id).map(collection_json)) {
            Some(c) => json_response(StatusCode::OK, &json!({"success": true, "data": c})),
            None => not_found("Collection not found"),
        }
    })
    .await
}

async fn update_collection(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    run(state, P, "update_collection", Op::Other, &conn, &headers, |st, _| async move {
        let body = match parse_json_object(&body) {
            Ok(b) => b,
            Err(e) => return bad_request(&e),
        };
        let (name, description, is_public) = match collection_fields(&body) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let updated = st.change_collections(|all| {
            let c = all.iter_mut().find(|c| c.id == id)?;
            if let Some(n) = name {
                c.name = n;
            }
            if let Some(d) = description {
                c.description = d;
            }
            if let Some(p) = is_public {
                c.is_public = p;
            }
            Some(collection_json(c))
        });
        match updated {
            Some(c) => json_response(StatusCode::OK, &json!({"success": true, "data": c})),
            None => not_found("Collection not found"),
        }
    })
    .await
}

async fn delete_collection(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "delete_collection", Op::Other, &conn, &headers, |st, _| async move {
        if id == "default" {
            return bad_request("The default collection cannot be deleted");
        }
        let removed = st.change_collections(|all| {
            let before = all.len();
            all.retain(|c| c.id != id);
            before != all.len()
        });
        if removed {
            json_response(StatusCode::OK, &json!({"success": true, "message": "Collection deleted"}))
        } else {
            not_found("Collection not found")
        }
    })
    .await
}

async fn generate_video(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(collection_id): Path<String>,
    body: Bytes,
) -> Response {
    run(state, P, "generate_video", Op::Create, &conn, &headers, |st, fault| async move {
        let body = match parse_json_object(&body) {
            Ok(b) => b,
            Err(e) => return bad_request(&e),
        };
        if !st.with_inner(|i| i.collections.iter().any(|c| c.id == collection_id)) {
            return not_found("Collection not found");
        }
        let Some(prompt) = body.get("prompt").and_then(Value::as_str).filter(|p| !p.trim().is_empty()) else {
            return bad_request("prompt is required");
        };
        // docs.videodb.io: "Duration must be an integer between 5 and 8 seconds inclusive".
        match body.get("duration") {
            None => {}
            Some(d) if d.as_i64().is_some_and(|d| (5..=8).contains(&d)) => {}
            Some(_) => return bad_request("Duration must be an integer between 5 and 8 seconds inclusive"),
        }
        // videodb-python `Collection.generate_video` always sends the key, null when unset.
        let callback = match body.get("callback_url") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return bad_request("callback_url must be a string"),
        };
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let mut job = Job::new(P, format!("job-{hex}"), "videodb-generate".into(), &st.config);
        job.prompt = Some(prompt.to_string());
        job.params = body.clone();
        job.collection_id = collection_id;
        job.outcome = match fault {
            Some(FaultKind::JobFails) => {
                Outcome::Fails { code: "GENERATION_FAILED".into(), message: "Video generation failed".into() }
            }
            Some(FaultKind::ContentPolicy) => Outcome::Fails {
                code: "CONTENT_POLICY".into(),
                message: "Video generation failed: the prompt violates the content policy".into(),
            },
            _ => Outcome::Succeeds,
        };
        let id = job.id.clone();
        let finishes_at = job.finishes_at();
        st.insert(job);
        if let Some(url) = callback.clone().filter(|u| crate::loopback::is_loopback_url(u)) {
            tokio::spawn(deliver_callback(st.clone(), id.clone(), url, finishes_at));
        }
        json_response(
            StatusCode::OK,
            &json!({
                "success": true, "status": "processing",
                "request_type": if callback.is_some() { "async" } else { "sync" },
                "data": {"id": id, "output_url": format!("{}/async-response/{id}", st.api_base())},
            }),
        )
    })
    .await
}

/// The async-response envelope of a job (the poll's answer).
fn async_response(st: &SimState, job: &Job, request_type: &str) -> Value {
    match job.phase() {
        Phase::Succeeded => {
            json!({"success": true, "status": "done", "request_type": request_type, "data": video_json(st, job)})
        }
        Phase::Failed => {
            let (code, message) = job.error().unwrap_or(("GENERATION_FAILED", "Video generation failed"));
            json!({"success": false, "status": "failed", "message": message, "data": {"error_code": code}})
        }
        _ => json!({"success": true, "status": "processing", "request_type": request_type, "data": {}}),
    }
}

/// POSTs a finished job's envelope to its `callback_url` once, when it finishes (no key; 5 s).
/// Counted as `videodb.callback_delivered` (a 2xx answer) or `videodb.callback_failed`.
async fn deliver_callback(st: Arc<SimState>, id: String, url: String, finishes_at: std::time::Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(finishes_at) + std::time::Duration::from_millis(5)).await;
    let Some(job) = st.get(&id) else { return };
    if !job.phase().is_terminal() {
        return;
    }
    let body = async_response(&st, &job, "async").to_string();
    let sent = tokio::time::timeout(std::time::Duration::from_secs(5), crate::loopback::post(&url, &body, &[])).await;
    let delivered = matches!(sent, Ok(Ok(status)) if (200..300).contains(&status));
    st.count_request(P, if delivered { "callback_delivered" } else { "callback_failed" });
}

async fn get_async_response(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "get_async_response", Op::Other, &conn, &headers, |st, fault| async move {
        let Some(job) = st.get(&id).filter(|j| j.provider == P) else { return not_found("Response not found") };
        let phase = job.phase();
        if fault == Some(FaultKind::GoneWhenFinished) && phase.is_terminal() {
            return not_found("Response not found");
        }
        json_response(StatusCode::OK, &async_response(&st, &job, "sync"))
    })
    .await
}

async fn list_videos(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    run(state, P, "list_videos", Op::Other, &conn, &headers, |st, _| async move {
        let int = |k: &str, default: u64, max: u64| match q.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| bad_request(&format!("{k} must be an integer from 0 to {max}"))),
        };
        let (page, count) = match (int("page_index", 0, u64::MAX), int("count", 50, 5000)) {
            (Ok(p), Ok(c)) => (p, c),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        let collection = q.get("collection_id").cloned().unwrap_or_else(|| "default".into());
        let videos: Vec<Value> = st
            .jobs_of(P, |j| j.collection_id == collection && j.phase() == Phase::Succeeded && !j.deleted)
            .iter()
            .skip(page.saturating_mul(count) as usize)
            .take(count as usize)
            .map(|j| video_json(&st, j))
            .collect();
        json_response(StatusCode::OK, &json!({"success": true, "data": {"videos": videos}}))
    })
    .await
}

async fn get_video(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "get_video", Op::Other, &conn, &headers, |st, _| async move {
        match video(&st, &id) {
            Some(job) => json_response(StatusCode::OK, &json!({"success": true, "data": video_json(&st, &job)})),
            None => not_found("Video not found"),
        }
    })
    .await
}

async fn update_video(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    run(state, P, "update_video", Op::Other, &conn, &headers, |st, _| async move {
        let body = match parse_json_object(&body) {
            Ok(b) => b,
            Err(e) => return bad_request(&e),
        };
        let name = match body.get("name") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return bad_request("name must be a string"),
        };
        let Some(job) = video(&st, &id) else { return not_found("Video not found") };
        if let Some(name) = name {
            st.update(&job.id, |j| j.name = Some(name));
        }
        let job = st.get(&job.id).unwrap_or(job);
        json_response(StatusCode::OK, &json!({"success": true, "data": video_json(&st, &job)}))
    })
    .await
}

async fn delete_video(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "delete_video", Op::Other, &conn, &headers, |st, _| async move {
        let Some(job) = video(&st, &id) else { return not_found("Video not found") };
        st.update(&job.id, |j| j.deleted = true);
        json_response(StatusCode::OK, &json!({"success": true, "message": "Video deleted"}))
    })
    .await
}

async fn create_video_stream(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    run(state, P, "create_video_stream", Op::Other, &conn, &headers, |st, _| async move {
        let body = match parse_json_object(&body) {
            Ok(b) => b,
            Err(e) => return bad_request(&e),
        };
        for (k, allowed) in [("format", &["mp4", "webm", "hls"][..]), ("quality", &["low", "medium", "high"][..])] {
            if let Some(v) = body.get(k)
                && !v.is_null()
                && !v.as_str().is_some_and(|s| allowed.contains(&s))
            {
                return bad_request(&format!("{k} must be one of {}", allowed.join(", ")));
            }
        }
        // The SDKs' body (videodb-python `Video.generate_stream`): `timeline` as [[start, end], …]
        // in seconds (or null), and `length` the video's length in seconds.
        match body.get("timeline") {
            None | Some(Value::Null) => {}
            Some(Value::Array(segments)) => {
                let ok = segments.iter().all(|seg| {
                    seg.as_array().is_some_and(|pair| {
                        pair.len() == 2
                            && pair.iter().all(|x| x.as_f64().is_some_and(|x| x >= 0.0))
                            && pair[0].as_f64() <= pair[1].as_f64()
                    })
                });
                if !ok {
                    return bad_request("timeline must be a list of [start, end] pairs in seconds");
                }
            }
            Some(_) => return bad_request("timeline must be a list of [start, end] pairs in seconds"),
        }
        if let Some(v) = body.get("length")
            && !v.is_null()
            && !v.as_f64().is_some_and(|x| x >= 0.0)
        {
            return bad_request("length must be a number of seconds");
        }
        match video(&st, &id) {
            Some(job) => {
                json_response(StatusCode::OK, &json!({"success": true, "data": {"stream_url": st.result_url(&job.id)}}))
            }
            None => not_found("Video not found"),
        }
    })
    .await
}
