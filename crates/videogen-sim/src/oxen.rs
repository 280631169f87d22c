//! Oxen.ai: `/api/ai/videos/generate`, `/api/ai/queue[/{id}]`, `/api/ai/generations[/{id}]`,
//! `/api/ai/models[/{id},/search]`, as `specs/oxen/openapi.json` and docs.oxen.ai describe them.
//!
//! Decisions where the docs leave room (also in the issue note):
//! - Enqueue checks the model, `num_generations` (1–4, the docs' rule and message; the spec says
//!   ≤ 12) and the JSON types of the spec's fields, and answers 400; the model-level rules
//!   (`prompt` xor `multi_prompt`, Kling O3's 15 s total) are checked when the job runs, which then
//!   fails with the documented message, as the docs say enqueue does.
//! - Sync generate answers those model-level errors at once, 400 with `{"error":{"message"}}`.

use crate::faults::FaultKind;
use crate::http::{Conn, Op, json_response, oxen_envelope, oxen_message, parse_json_object, run};
use crate::store::{Job, Outcome, Phase, SimState, unix_now};
use crate::{Provider, media};
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const P: Provider = Provider::Oxen;
const STATUSES: [&str; 5] = ["queued", "processing", "succeeded", "failed", "cancelled"];
/// The namespace jobs are billed to when the request names none.
const USER: &str = "sim-user";
const USER_ID: &str = "5f0c4f4e-3c1d-4a57-9d7e-0a1b2c3d4e5f";

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/api/ai/videos/generate", axum::routing::post(generate_video))
        .route("/api/ai/queue", get(list_queue).post(enqueue_generation))
        .route("/api/ai/queue/{generation_id}", get(get_queue_generation).delete(cancel_queue_generation))
        .route("/api/ai/generations", get(list_generations))
        .route("/api/ai/generations/{generation_id}", get(get_generation))
        .route("/api/ai/models", get(list_models))
        .route("/api/ai/models/search", get(search_models))
        .route("/api/ai/models/{id}", get(get_model))
        .route("/api/events", get(events))
}

/// The video models the simulator knows: (id, display name, developer, inputs), from Oxen.ai's
/// model reference (Oxen-AI/docs 6a8add48 `inference-api/reference/model-references.mdx`). The
/// ones Oxen.ai no longer lists ([`crate::retired::OXEN`]) come last and are served only with
/// [`crate::SimConfig::serve_retired_models`].
const MODELS: &[(&str, &str, &str, &[&str])] = &[
    ("kling-video-v2-6-pro-text-to-video", "Kling 2.6 Pro - Text to Video", "Kling", &["text"]),
    ("kling-video-o3-omni", "Kling O3 Omni", "Kling", &["text", "image", "video"]),
    ("ltx-2-5", "LTX 2.5", "Lightricks", &["text", "image", "audio"]),
    ("minimax-h3-max-text-to-video", "MiniMax H3 Max - Text to Video", "MiniMax", &["text"]),
    ("happyhorse-1_1-t2v", "Happy Horse 1.1 - Text to Video", "Alibaba", &["text"]),
    ("wan-v3-0-video-prime", "Wan 3.0 Video Prime", "Alibaba", &["text", "image", "video", "audio"]),
    ("gemini-omni-1-1-flash", "Gemini Omni 1.1 Flash", "Google", &["text", "image", "video"]),
    ("kling-video-o3-pro-reference-to-video", "Kling O3 Pro Reference to Video", "Kling", &["text", "image"]),
    ("openai-sora-2-pro", "Sora 2 Pro", "OpenAI", &["text", "image"]),
];

/// Whether Oxen.ai lists `id` now, on this simulator.
fn listed(state: &SimState, id: &str) -> bool {
    match &state.config.oxen_models {
        Some(ids) => ids.iter().any(|m| m == id),
        None => {
            MODELS.iter().any(|m| m.0 == id)
                && (state.config.serve_retired_models || !crate::retired::OXEN.contains(&id))
        }
    }
}

/// The ids the models endpoint lists.
fn listed_ids(state: &SimState) -> Vec<String> {
    match &state.config.oxen_models {
        Some(ids) => ids.clone(),
        None => MODELS.iter().map(|m| m.0.to_string()).filter(|id| listed(state, id)).collect(),
    }
}

/// The simulated price per second of video, in US dollars; the history's `cost` is
/// `duration × this`.
pub(crate) const COST_PER_SECOND: f64 = 0.07;

/// Model `pricing` (the spec's `Model.pricing`): per second of video, plus an audio rate for
/// v2.6 and per-resolution rates for the O3 models (prices invented for the simulator).
fn pricing(id: &str) -> Value {
    match id {
        "kling-video-v2-6-pro-text-to-video" => json!({"method": "per_video_output_second",
            "cost_per_second": COST_PER_SECOND, "cost_per_second_with_audio": 0.14}),
        "kling-video-o3-omni" | "kling-video-o3-pro-reference-to-video" => json!({"method": "per_video_output_second",
            "cost_per_second": COST_PER_SECOND, "cost_per_second_by_resolution": {"720p": 0.084, "1080p": 0.112}}),
        _ => json!({"method": "per_video_output_second", "cost_per_second": COST_PER_SECOND}),
    }
}

/// A published request schema for O3 Omni and the retired O3 Pro, from their pages
/// (docs.oxen.ai kling-video-o3-omni, kling_o3_pro_reference_to_video): prompt ≤ 512 characters,
/// durations 3–15 s, three aspect ratios, `cfg_scale` 0–1 (the last one the simulator's own, so
/// a test can break a rule only the schema knows). The others publish none (`null`). Served as
/// `json_request_schema`, the name Oxen.ai's model pages now use, and as the older
/// `request_schema` that its models overview documents.
fn request_schema(id: &str) -> Value {
    match id {
        "kling-video-o3-omni" | "kling-video-o3-pro-reference-to-video" => json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "maxLength": 512},
                "duration": {"type": "integer", "minimum": 3, "maximum": 15},
                "aspect_ratio": {"type": "string", "enum": ["16:9", "9:16", "1:1"]},
                "negative_prompt": {"type": "string"},
                "cfg_scale": {"type": "number", "minimum": 0, "maximum": 1},
                "input_image": {"type": "array", "items": {"type": "string"}}
            }
        }),
        _ => Value::Null,
    }
}

fn model_json(state: &SimState, id: &str) -> Option<Value> {
    if !listed(state, id) {
        return None;
    }
    let (name, developer, inputs): (&str, &str, &[&str]) =
        MODELS.iter().find(|m| m.0 == id).map_or((id, "Oxen", &["text"]), |m| (m.1, m.2, m.3));
    Some(json!({
        "id": id, "object": "model", "created": 1_767_225_600, "owned_by": "oxen",
        "display_name": name, "model_type": "base", "endpoint": "/videos/generate",
        "capabilities": {"input": inputs, "output": ["video"]},
        "pricing": pricing(id),
        "deployments": [], "developer": {"name": developer, "logo": null},
        "description": format!("{name} (simulated)"), "fine_tuning": null, "request_schema": request_schema(id),
        "json_request_schema": request_schema(id),
    }))
}

fn invalid(title: &str) -> Response {
    oxen_envelope(StatusCode::BAD_REQUEST, "invalid_params", title, None)
}

fn not_found(title: &str) -> Response {
    oxen_envelope(StatusCode::NOT_FOUND, "resource_not_found", title, None)
}

/// Checks the JSON types of the fields the spec declares for generate and enqueue.
fn check_types(body: &Map<String, Value>) -> Result<(), String> {
    let is = |v: &Value, t: &str| match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "shots" => v.as_array().is_some_and(|shots| {
            shots.iter().all(|s| {
                s.get("prompt").is_some_and(Value::is_string)
                    && s.get("duration").is_none_or(|d| d.is_i64() || d.is_u64())
            })
        }),
        "image" => v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        "format" => matches!(v.as_str(), Some("url" | "b64_json")),
        _ => true,
    };
    let fields = [
        ("model", "string", false),
        ("prompt", "string", false),
        ("duration", "integer", true),
        ("aspect_ratio", "string", true),
        ("seed", "integer", true),
        ("multi_prompt", "shots", false),
        ("input_image", "image", false),
        ("input_video", "string", false),
        ("generate_audio", "boolean", false),
        ("response_format", "format", false),
        ("target_namespace", "string", true),
        ("target_repo", "string", true),
        ("target_directory", "string", true),
    ];
    for (name, t, nullable) in fields {
        match body.get(name) {
            None => {}
            Some(Value::Null) if nullable => {}
            Some(v) if is(v, t) => {}
            Some(_) => {
                let want = match t {
                    "shots" => "an array of {prompt, duration}",
                    "image" => "a string or an array of strings",
                    "format" => "\"url\" or \"b64_json\"",
                    other => other,
                };
                return Err(format!("{name} must be {want}"));
            }
        }
    }
    Ok(())
}

/// The model-level rule the job would break, with the provider's message (docs.oxen.ai).
fn model_error(body: &Map<String, Value>) -> Option<String> {
    let has_prompt = body.get("prompt").is_some_and(|p| !p.is_null());
    let shots = body.get("multi_prompt").and_then(Value::as_array);
    if has_prompt && shots.is_some() {
        return Some(
            "Getting model response error: 422 - Value error, Cannot provide both 'prompt' and 'multi_prompt'.".into(),
        );
    }
    if !has_prompt && shots.is_none_or(|s| s.is_empty()) {
        return Some(
            "Getting model response error: 422 - Value error, Either 'prompt' or 'multi_prompt' must be provided."
                .into(),
        );
    }
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default();
    if model.starts_with("kling-video-o3")
        && let Some(shots) = shots
    {
        // Kling O3 walkthrough: per-shot duration 1–15 (default 5), total 3–15 s.
        let total: i64 = shots.iter().map(|s| s.get("duration").and_then(Value::as_i64).unwrap_or(5)).sum();
        if total > 15 {
            return Some(format!("Total shot duration ({total}s) exceeds maximum allowed (15s)."));
        }
    }
    None
}

fn failure_for(fault: Option<&FaultKind>) -> Option<Outcome> {
    match fault {
        Some(FaultKind::JobFails) => Some(Outcome::Fails {
            code: "model_error".into(),
            message: "Getting model response error: 500 - The model failed to generate the video.".into(),
        }),
        Some(FaultKind::ContentPolicy) => Some(Outcome::Fails {
            code: "content_policy".into(),
            message: "Getting model response error: 400 - The request was rejected by the model's content policy (content moderation).".into(),
        }),
        _ => None,
    }
}

fn new_job(state: &SimState, body: &Map<String, Value>, fault: Option<&FaultKind>) -> Job {
    let model = body.get("model").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut job = Job::new(P, uuid::Uuid::new_v4().to_string(), model, &state.config);
    job.prompt = body.get("prompt").and_then(Value::as_str).map(String::from);
    job.params = body.clone();
    if let Some(outcome) = failure_for(fault) {
        job.outcome = outcome;
    } else if let Some(message) = model_error(body) {
        job.outcome = Outcome::Fails { code: "invalid_params".into(), message };
    }
    job
}

fn status_str(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued => "queued",
        Phase::Running { .. } => "processing",
        Phase::Succeeded => "succeeded",
        Phase::Failed => "failed",
        Phase::Cancelled => "cancelled",
    }
}

/// A queue row (`QueueGenerationResponse`), the request parameters merged in at the top level.
fn row(state: &SimState, job: &Job) -> Value {
    let phase = job.phase();
    let param = |k: &str| job.params.get(k).cloned().unwrap_or(Value::Null);
    let mut row = json!({
        "generation_id": job.id, "model_name": job.model, "media_type": "video",
        "status": status_str(phase), "enqueued_at": job.created_unix,
        "started_at": job.started_unix(), "completed_at": job.completed_unix(),
        "result_url": (phase == Phase::Succeeded).then(|| state.result_url(&job.id)),
        "error_message": job.error().map(|(_, m)| m),
        "target_namespace": param("target_namespace"), "target_repo": param("target_repo"),
        "target_directory": param("target_directory"),
    });
    let map = row.as_object_mut().expect("an object");
    for (k, v) in &job.params {
        if !map.contains_key(k) && k != "model" && k != "num_generations" && k != "response_format" {
            map.insert(k.clone(), v.clone());
        }
    }
    row
}

/// A history row: a queue row plus cost and user fields.
fn history_row(state: &SimState, job: &Job) -> Value {
    let mut row = row(state, job);
    let seconds = job.params.get("duration").and_then(Value::as_i64).unwrap_or(5);
    row["cost"] = match job.phase() {
        Phase::Succeeded => json!(format!("{:.2}", seconds as f64 * COST_PER_SECOND)),
        _ => Value::Null,
    };
    row["user_id"] = json!(USER_ID);
    row["username"] = json!(USER);
    row["user_image"] = Value::Null;
    row
}

/// Query filters shared by the queue and history lists; `Err` is the 400 for a bad enum value.
fn filters(q: &HashMap<String, String>) -> Result<impl Fn(&Job) -> bool + use<>, Response> {
    if let Some(s) = q.get("status")
        && !STATUSES.contains(&s.as_str())
    {
        return Err(invalid(&format!("status must be one of {}", STATUSES.join(", "))));
    }
    if let Some(m) = q.get("media_type")
        && m != "image"
        && m != "video"
    {
        return Err(invalid("media_type must be image or video"));
    }
    let q = q.clone();
    Ok(move |job: &Job| {
        let param = |k: &str| job.params.get(k).and_then(Value::as_str).map(String::from);
        q.get("model").is_none_or(|m| *m == job.model)
            && q.get("media_type").is_none_or(|m| m == "video")
            && q.get("status").is_none_or(|s| s == status_str(job.phase()))
            && q.get("namespace").is_none_or(|n| *n == param("target_namespace").unwrap_or_else(|| USER.into()))
            && q.get("repo").is_none_or(|r| Some(r.clone()) == param("target_repo"))
            && q.get("folder").is_none_or(|f| Some(f.clone()) == param("target_directory"))
    })
}

/// The checks generate and enqueue share: a JSON object, the spec's field types, a known model.
fn create_body(state: &SimState, body: &Bytes) -> Result<Map<String, Value>, Response> {
    let body = parse_json_object(body).map_err(|e| invalid(&e))?;
    check_types(&body).map_err(|e| invalid(&e))?;
    let Some(model) = body.get("model").and_then(Value::as_str) else { return Err(invalid("model is required")) };
    if !listed(state, model) {
        // docs.oxen.ai: "Model not found: <name>"; the status is undocumented, 404 as for GET /models/{id}.
        return Err(oxen_message(StatusCode::NOT_FOUND, &format!("Model not found: {model}")));
    }
    Ok(body)
}

async fn generate_video(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, P, "generate_video", Op::Create, &conn, &headers, |st, fault| async move {
        let body = match create_body(&st, &body) {
            Ok(b) => b,
            Err(r) => return r,
        };
        if let Some(message) = model_error(&body) {
            return oxen_message(StatusCode::BAD_REQUEST, &message);
        }
        let job = new_job(&st, &body, fault.as_ref());
        st.insert(job.clone());
        // Synchronous: the request blocks until the job finishes (1–15 min on the real service).
        tokio::time::sleep(job.queued_for + job.processing_for).await;
        if let Some((_, message)) = job.error() {
            return oxen_message(StatusCode::BAD_REQUEST, message);
        }
        let created = unix_now();
        let model = job.model.clone();
        if body.get("response_format").and_then(Value::as_str) == Some("b64_json") {
            let prefix = format!(r#"{{"created":{created},"model":{},"videos":[{{"b64_json":""#, json!(model));
            let (len, stream) =
                media::b64_json_body(prefix, media::job_video(&st, &job), st.config.result_size, "\"}]}");
            let mut response = Response::new(Body::from_stream(stream));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            return response;
        }
        json_response(
            StatusCode::OK,
            &json!({"created": created, "model": model, "videos": [{"url": st.result_url(&job.id)}]}),
        )
    })
    .await
}

async fn enqueue_generation(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, P, "enqueue_generation", Op::Create, &conn, &headers, |st, fault| async move {
        let body = match create_body(&st, &body) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let n = match body.get("num_generations") {
            None => 1,
            Some(v) => match v.as_u64() {
                Some(n @ 1..=4) => n,
                _ => return invalid("num_generations must be an integer between 1 and 4"),
            },
        };
        let generations: Vec<Value> = (0..n)
            .map(|_| {
                let job = new_job(&st, &body, fault.as_ref());
                let id = job.id.clone();
                let finishes_at = job.finishes_at();
                st.insert(job);
                tokio::spawn(announce_completion(st.clone(), id.clone(), finishes_at));
                json!({"generation_id": id, "status": "queued"})
            })
            .collect();
        json_response(StatusCode::OK, &json!({"generations": generations}))
    })
    .await
}

/// Sends the job's `media_generation_completed` event when it finishes (docs.oxen.ai
/// async_queue "Completion Events": succeeded with `model` and `url`, or failed with `error`; none
/// for a cancelled job). Counted as `oxen.event_sent` when at least one stream was connected.
async fn announce_completion(st: Arc<SimState>, id: String, finishes_at: std::time::Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(finishes_at) + std::time::Duration::from_millis(5)).await;
    let Some(job) = st.get(&id) else { return };
    let data = match job.phase() {
        Phase::Succeeded => json!({"generation_id": job.id, "status": "succeeded", "media_type": "video",
            "model": job.model, "url": st.result_url(&job.id)}),
        Phase::Failed => json!({"generation_id": job.id, "status": "failed", "media_type": "video",
            "error": job.error().map(|(_, m)| m).unwrap_or("the generation failed")}),
        _ => return,
    };
    let frame: Arc<str> = format!("event: media_generation_completed\ndata: {data}\n\n").into();
    if st.oxen_events.send(frame).is_ok() {
        st.count_request(P, "event_sent");
    }
}

/// `GET /api/events`: Oxen.ai's user event stream (`text/event-stream`, `: keep-alive` every
/// 15 s). The fault `reset-after` on operation `events` accepts the stream and then closes it at
/// once, so a client's reconnection and its polling fallback can be tested; `stall` keeps it
/// open with keep-alives only (every job event lost, as an unbuffered stream loses them), so a
/// client's safety polls and last look can be tested.
async fn events(State(state): State<Arc<SimState>>, Extension(conn): Extension<Conn>, headers: HeaderMap) -> Response {
    run(state, P, "events", Op::Other, &conn, &headers, |st, fault| async move {
        let rx = st.oxen_events.subscribe();
        let frames = if fault == Some(FaultKind::ResetAfterProcessing) {
            futures::stream::iter([Ok(Bytes::from_static(b": closing\n\n"))]).boxed()
        } else if fault == Some(FaultKind::StallBody) {
            let keep_alive = std::time::Duration::from_secs(15);
            let ticks = tokio::time::interval(keep_alive);
            futures::stream::unfold(ticks, |mut ticks| async move {
                ticks.tick().await;
                Some((Ok::<_, std::convert::Infallible>(Bytes::from_static(b": keep-alive\n\n")), ticks))
            })
            .boxed()
        } else {
            let keep_alive = std::time::Duration::from_secs(15);
            let ticks = tokio::time::interval_at(tokio::time::Instant::now() + keep_alive, keep_alive);
            futures::stream::unfold((rx, ticks), |(mut rx, mut ticks)| async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    let frame = tokio::select! {
                        received = rx.recv() => match received {
                            Ok(frame) => Bytes::copy_from_slice(frame.as_bytes()),
                            // A slow reader loses events, as on the real (unbuffered) stream.
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => return None,
                        },
                        _ = ticks.tick() => Bytes::from_static(b": keep-alive\n\n"),
                    };
                    return Some((Ok::<_, std::convert::Infallible>(frame), (rx, ticks)));
                }
            })
            .boxed()
        };
        let mut response = Response::new(Body::from_stream(frames));
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response.extensions_mut().insert(crate::faults::FaultApplied);
        response
    })
    .await
}

async fn list_queue(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    run(state, P, "list_queue", Op::Other, &conn, &headers, |st, _| async move {
        let keep = match filters(&q) {
            Ok(f) => f,
            Err(r) => return r,
        };
        // Without a status filter only active rows (queued, processing) are listed (docs).
        let active_only = !q.contains_key("status");
        let rows: Vec<Value> = st
            .jobs_of(P, |j| keep(j) && (!active_only || !j.phase().is_terminal()))
            .iter()
            .map(|j| row(&st, j))
            .collect();
        json_response(StatusCode::OK, &json!({"count": rows.len(), "generations": rows}))
    })
    .await
}

async fn get_queue_generation(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "get_queue_generation", Op::Other, &conn, &headers, |st, fault| async move {
        match st.get(&id).filter(|j| j.provider == P) {
            Some(job) if fault == Some(FaultKind::GoneWhenFinished) && job.phase().is_terminal() => {
                not_found("Generation not found")
            }
            Some(job) => json_response(StatusCode::OK, &row(&st, &job)),
            None => not_found("Generation not found"),
        }
    })
    .await
}

async fn cancel_queue_generation(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "cancel_queue_generation", Op::Other, &conn, &headers, |st, _| async move {
        // Cancelling a finished job has no effect; the row is kept with status cancelled (docs).
        let found = st.update(&id, |job| {
            if job.provider == P && !job.phase().is_terminal() {
                job.cancelled = Some((std::time::Instant::now(), unix_now()));
            }
            job.provider == P
        });
        match found {
            Some(true) => json_response(StatusCode::OK, &json!({"status": "success", "generation_id": id})),
            _ => not_found("Generation not found"),
        }
    })
    .await
}

async fn list_generations(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    run(state, P, "list_generations", Op::Other, &conn, &headers, |st, _| async move {
        let keep = match filters(&q) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let number = |k: &str, default: u64, max: u64| match q.get(k) {
            None => Ok(default),
            // Any positive integer is a valid page; one past u64 is simply past the last page.
            Some(v)
                if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && !v.trim_start_matches('0').is_empty() =>
            {
                let n = v.parse::<u64>().unwrap_or(u64::MAX);
                if n <= max { Ok(n) } else { Err(invalid(&format!("{k} must be an integer between 1 and {max}"))) }
            }
            Some(_) => Err(invalid(&format!("{k} must be an integer between 1 and {max}"))),
        };
        let (page, page_size) = match (number("page", 1, u64::MAX), number("page_size", 50, 1000)) {
            (Ok(p), Ok(s)) => (p, s),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        let mut jobs = st.jobs_of(P, keep);
        jobs.reverse(); // newest first
        let total = jobs.len() as u64;
        let skip = (page - 1).saturating_mul(page_size);
        let rows: Vec<Value> =
            jobs.iter().skip(skip as usize).take(page_size as usize).map(|j| history_row(&st, j)).collect();
        let cost: f64 = jobs.iter().filter_map(|j| history_row(&st, j)["cost"].as_str()?.parse::<f64>().ok()).sum();
        json_response(
            StatusCode::OK,
            &json!({
                "count": rows.len(), "generations": rows, "page_number": page, "page_size": page_size,
                "total_entries": total, "total_pages": total.div_ceil(page_size),
                "total_cost": (cost > 0.0).then(|| format!("{cost:.2}")),
            }),
        )
    })
    .await
}

async fn get_generation(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, P, "get_generation", Op::Other, &conn, &headers, |st, _| async move {
        match st.get(&id).filter(|j| j.provider == P) {
            Some(job) => json_response(
                StatusCode::OK,
                &json!({"generation": history_row(&st, &job), "status": "success", "status_message": "resource_found"}),
            ),
            None => not_found("Generation not found"),
        }
    })
    .await
}

async fn list_models(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    run(state, P, "list_models", Op::Other, &conn, &headers, |st, _| async move {
        let data: Vec<Value> = listed_ids(&st)
            .iter()
            .filter_map(|id| model_json(&st, id))
            .filter(|m| {
                q.get("developer_name")
                    .is_none_or(|d| m["developer"]["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(d)))
            })
            // No simulated model is fine-tunable, so no model offers an `action`.
            .filter(|_| !q.contains_key("action"))
            .collect();
        json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
    })
    .await
}

async fn search_models(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    run(state, P, "search_models", Op::Other, &conn, &headers, |st, _| async move {
        let Some(term) = q.get("search") else { return invalid("search is required") };
        let term = term.to_ascii_lowercase();
        let data: Vec<Value> = listed_ids(&st)
            .iter()
            .filter_map(|id| model_json(&st, id))
            .filter(|m| {
                let text = |k: &str| m[k].as_str().unwrap_or_default().to_ascii_lowercase();
                text("id").contains(&term) || text("display_name").contains(&term)
            })
            .collect();
        json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
    })
    .await
}

async fn get_model(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    run(state, P, "get_model", Op::Other, &conn, &headers, |st, _| async move {
        if q.get("deployment_status").is_some_and(|d| d != "live") {
            return invalid("deployment_status must be live");
        }
        match model_json(&st, &id) {
            Some(model) => json_response(StatusCode::OK, &model),
            None => not_found(&format!("Model not found: {id}")),
        }
    })
    .await
}
