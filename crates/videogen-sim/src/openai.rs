//! OpenAI (`/v1`) and AIHubMix (`/aihubmix/v1`) `/videos`: create (JSON and multipart), list,
//! retrieve, delete, content and remix, as `specs/openai/openapi.json`, openai-python and
//! AIHubMix's docs and adapter describe them. The two share the routes' code but not their jobs
//! (each lists and finds only its own) nor their fault target (`openai:…`, `aihubmix:…`).
//!
//! Model families are told apart by the model id (AIHubMix adapter `src/adapters/video.ts`):
//! - `sora-*`: `seconds` a string "4" | "8" | "12", `size` one of the four OpenAI sizes,
//!   `input_reference` an object `{image_url}` or `{file_id}` (a bare string is refused), and any
//!   other key refused ("Unknown parameter", as AIHubMix documents for `aspect_ratio`).
//! - `veo-*`: `seconds` a number 4 | 6 | 8, `size` one of 1280x720, 720x1280, 1920x1080, 1080x1920,
//!   text-to-video only (the gateway rejects `input_reference`).
//! - `doubao-seedance-*`: `content` items (text; `image_url {url}` with role first_frame |
//!   last_frame | reference_image), `duration`, `resolution` 480p | 720p | 1080p.
//! - `happyhorse-*`, `wan2.7-i2v` (DashScope): `input {prompt, media [{type first_frame |
//!   last_frame, url}]}`, `parameters {resolution 720P | 1080P, duration}`.
//! - anything else (wan, jimeng, …): the generic body, `input_reference` a URL string or object.
//!
//! Answers: Sora and Veo in OpenAI's `VideoResource` shape; on AIHubMix the other vendors with an
//! opaque base64-JSON `id` and the extra `duration`, `width`, `height` (and `video_url` once
//! completed) that providers.md §4 shows. Decisions where the sources leave room (also in the
//! issue notes): `variant=spritesheet` is served as `image/webp` (the spec's only image type);
//! content of an unfinished job is a 400, of an expired one a 404 `video_expired`.

use crate::faults::FaultKind;
use crate::http::{Conn, Op, json_response, openai_error, parse_json_object, run};
use crate::store::{Job, Outcome, Phase, SimState};
use crate::{Provider, media};
use axum::Router;
use axum::extract::{Extension, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The provider a route serves: OpenAI at `/v1`, AIHubMix at `/aihubmix/v1` (its own job store
/// and fault target `aihubmix:<operation>`).
const fn gateway(aihubmix: bool) -> Provider {
    if aihubmix { Provider::AiHubMix } else { Provider::OpenAi }
}
const SORA_SECONDS: [&str; 3] = ["4", "8", "12"];
const SORA_SIZES: [&str; 4] = ["720x1280", "1280x720", "1024x1792", "1792x1024"];
const VEO_SECONDS: [i64; 3] = [4, 6, 8];
const VEO_SIZES: [&str; 4] = ["1280x720", "720x1280", "1920x1080", "1080x1920"];

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/v1/videos", post(create_video::<false>).get(list_videos::<false>))
        .route("/v1/videos/{video_id}", get(get_video::<false>).delete(delete_video::<false>))
        .route("/v1/videos/{video_id}/content", get(retrieve_video_content::<false>))
        .route("/v1/videos/{video_id}/remix", post(create_video_remix::<false>))
        .route("/aihubmix/v1/videos", post(create_video::<true>).get(list_videos::<true>))
        .route("/aihubmix/v1/videos/{video_id}", get(get_video::<true>).delete(delete_video::<true>))
        .route("/aihubmix/v1/videos/{video_id}/content", get(retrieve_video_content::<true>))
        .route("/aihubmix/v1/videos/{video_id}/remix", post(create_video_remix::<true>))
}

/// AIHubMix's id for a non-OpenAI vendor's task: base64 of a JSON object naming the model and
/// the vendor's task (the guide's `"eyJtb2RlbCI6…"`, which decodes to `{"model":…`).
fn opaque_id(model: &str) -> String {
    use base64::Engine;
    let inner = json!({"model": model, "task_id": uuid::Uuid::new_v4().to_string()});
    base64::engine::general_purpose::STANDARD.encode(inner.to_string())
}

fn invalid(message: &str, param: Option<&str>, code: Option<&str>) -> Response {
    openai_error(StatusCode::BAD_REQUEST, "invalid_request_error", message, param, code)
}

fn not_found(id: &str) -> Response {
    openai_error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        &format!("Video with id '{id}' not found."),
        Some("video_id"),
        Some("video_not_found"),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Sora,
    Veo,
    /// AIHubMix "seedance" (`doubao-seedance-*`).
    Seedance,
    /// AIHubMix "dashscope" (`happyhorse-*`, `wan2.7-i2v`).
    Dashscope,
    /// Everything else (wan, jimeng…): AIHubMix's "generic" body.
    Other,
}

fn family(model: &str) -> Family {
    if model.starts_with("sora") {
        Family::Sora
    } else if model.starts_with("veo") {
        Family::Veo
    } else if model.contains("seedance") {
        Family::Seedance
    } else if model.starts_with("happyhorse") || model == "wan2.7-i2v" {
        Family::Dashscope
    } else {
        Family::Other
    }
}

/// A create or remix body, whether it came as JSON or multipart.
struct Body {
    fields: Map<String, Value>,
    /// Multipart sends every field as text: `seconds` "8" is then fine for veo.
    multipart: bool,
    /// A multipart `input_reference` file part was present.
    file_reference: bool,
}

async fn read_body(request: Request) -> Result<Body, Response> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| invalid(&format!("Could not parse the multipart body: {e}"), None, None))?;
        let mut body = Body { fields: Map::new(), multipart: true, file_reference: false };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err(invalid(&format!("Could not parse the multipart body: {e}"), None, None)),
            };
            let name = field.name().unwrap_or_default().to_string();
            let is_file = field.file_name().is_some();
            let bytes =
                field.bytes().await.map_err(|e| invalid(&format!("Could not read part {name}: {e}"), None, None))?;
            if name == "input_reference" && is_file {
                if bytes.is_empty() {
                    return Err(invalid("input_reference is an empty file.", Some("input_reference"), None));
                }
                body.file_reference = true;
            } else {
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| invalid(&format!("Part {name} is not UTF-8 text."), Some(&name), None))?;
                // `input_reference` as a text part carries the JSON object form; official SDKs
                // send an object's keys as form-data fields `input_reference[image_url]`
                // (openai-python `_files`/`_qs` multipart flattening, openai-node `toFormData`).
                if let Some((outer, inner)) = name.strip_suffix(']').and_then(|n| n.split_once('[')) {
                    let slot = body.fields.entry(outer.to_string()).or_insert_with(|| Value::Object(Map::new()));
                    match slot {
                        Value::Object(map) => {
                            map.insert(inner.to_string(), Value::String(text));
                        }
                        _ => {
                            return Err(invalid(
                                &format!("{outer} is given both as a value and as an object."),
                                Some(outer),
                                None,
                            ));
                        }
                    }
                    continue;
                }
                let value = if name == "input_reference" {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                } else {
                    Value::String(text)
                };
                body.fields.insert(name, value);
            }
        }
        Ok(body)
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), 64 << 20)
            .await
            .map_err(|e| invalid(&format!("Could not read the body: {e}"), None, None))?;
        let fields = parse_json_object(&bytes).map_err(|e| invalid(&e, None, None))?;
        Ok(Body { fields, multipart: false, file_reference: false })
    }
}

fn check_prompt(fields: &Map<String, Value>) -> Result<String, Response> {
    match fields.get("prompt") {
        Some(Value::String(p)) if (1..=32_000).contains(&p.chars().count()) => Ok(p.clone()),
        Some(Value::String(_)) => Err(invalid(
            "Invalid 'prompt': string length must be between 1 and 32000.",
            Some("prompt"),
            Some("invalid_value"),
        )),
        Some(_) => Err(invalid("Invalid type for 'prompt': expected a string.", Some("prompt"), Some("invalid_type"))),
        None => {
            Err(invalid("Missing required parameter: 'prompt'.", Some("prompt"), Some("missing_required_parameter")))
        }
    }
}

/// Validates a create body; returns (model, prompt, seconds, size) as answered in `VideoResource`.
fn validate_create(body: &Body) -> Result<(String, String, String, String), Response> {
    let f = &body.fields;
    let model = match f.get("model") {
        None => "sora-2".to_string(),
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(_) => {
            return Err(invalid("Invalid 'model': expected a non-empty string.", Some("model"), Some("invalid_type")));
        }
    };
    match family(&model) {
        Family::Seedance => return validate_seedance(model, f),
        Family::Dashscope => return validate_dashscope(model, f),
        _ => {}
    }
    let prompt = check_prompt(f)?;
    let seconds_text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match family(&model) {
        Family::Sora => {
            if let Some(k) =
                f.keys().find(|k| !["model", "prompt", "input_reference", "seconds", "size"].contains(&k.as_str()))
            {
                return Err(invalid(&format!("Unknown parameter: '{k}'."), Some(k), Some("unknown_parameter")));
            }
            let seconds = match f.get("seconds") {
                None => "4".to_string(),
                Some(Value::String(s)) if SORA_SECONDS.contains(&s.as_str()) => s.clone(),
                Some(Value::String(_)) => {
                    return Err(invalid(
                        "Invalid value for 'seconds': expected one of '4', '8', '12'.",
                        Some("seconds"),
                        Some("invalid_value"),
                    ));
                }
                Some(_) => {
                    return Err(invalid(
                        "Invalid type for 'seconds': expected one of '4', '8', '12' as a string.",
                        Some("seconds"),
                        Some("invalid_type"),
                    ));
                }
            };
            let size = match f.get("size") {
                None => "720x1280".to_string(),
                Some(Value::String(s)) if SORA_SIZES.contains(&s.as_str()) => s.clone(),
                Some(_) => {
                    return Err(invalid(
                        &format!("Invalid value for 'size': expected one of {}.", SORA_SIZES.join(", ")),
                        Some("size"),
                        Some("invalid_value"),
                    ));
                }
            };
            match f.get("input_reference") {
                None => {}
                Some(Value::Object(r)) => {
                    let url = r.get("image_url").map(Value::is_string);
                    let file = r.get("file_id").map(Value::is_string);
                    let ok = matches!((url, file), (Some(true), None) | (None, Some(true)))
                        && r.keys().all(|k| k == "image_url" || k == "file_id");
                    if !ok {
                        return Err(invalid(
                            "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'.",
                            Some("input_reference"),
                            Some("invalid_value"),
                        ));
                    }
                }
                Some(_) => {
                    return Err(invalid(
                        "Invalid type for 'input_reference': expected an object with 'image_url' or 'file_id', or a file.",
                        Some("input_reference"),
                        Some("invalid_type"),
                    ));
                }
            }
            Ok((model, prompt, seconds, size))
        }
        Family::Veo => {
            if body.file_reference || f.contains_key("input_reference") {
                return Err(invalid(
                    "Image-to-video is not supported for veo models on this endpoint.",
                    Some("input_reference"),
                    Some("unsupported_parameter"),
                ));
            }
            let seconds = match f.get("seconds") {
                None => 8,
                Some(Value::Number(n)) if n.as_i64().is_some_and(|s| VEO_SECONDS.contains(&s)) => {
                    n.as_i64().unwrap_or(8)
                }
                Some(Value::String(s))
                    if body.multipart && s.parse::<i64>().is_ok_and(|s| VEO_SECONDS.contains(&s)) =>
                {
                    s.parse().unwrap_or(8)
                }
                Some(_) => {
                    return Err(invalid(
                        "Invalid 'seconds' for veo: expected the number 4, 6 or 8.",
                        Some("seconds"),
                        Some("invalid_value"),
                    ));
                }
            };
            let size = match f.get("size") {
                None => "1280x720".to_string(),
                Some(Value::String(s)) if VEO_SIZES.contains(&s.as_str()) => s.clone(),
                Some(_) => {
                    return Err(invalid(
                        &format!("Invalid 'size' for veo: expected one of {}.", VEO_SIZES.join(", ")),
                        Some("size"),
                        Some("invalid_value"),
                    ));
                }
            };
            Ok((model, prompt, seconds.to_string(), size))
        }
        Family::Seedance | Family::Dashscope => unreachable!("checked above"),
        Family::Other => {
            // AIHubMix's generic body: wan takes a bare-string input_reference (adapter video.ts).
            if let Some(r) = f.get("input_reference")
                && !(r.is_string() || r.is_object())
            {
                return Err(invalid(
                    "Invalid type for 'input_reference': expected a URL string or an object.",
                    Some("input_reference"),
                    Some("invalid_type"),
                ));
            }
            if let Some(v) = f.get("seconds")
                && seconds_text(v).is_none()
            {
                return Err(invalid("Invalid type for 'seconds'.", Some("seconds"), Some("invalid_type")));
            }
            let seconds = f.get("seconds").and_then(seconds_text).unwrap_or_else(|| "5".into());
            let size = f.get("size").and_then(Value::as_str).unwrap_or("1280x720").to_string();
            Ok((model, prompt, seconds, size))
        }
    }
}

fn positive_integer(v: Option<&Value>, name: &str) -> Result<Option<i64>, Response> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|d| d > 0) => Ok(n.as_i64()),
        Some(_) => Err(invalid(
            &format!("Invalid '{name}': expected a positive integer of seconds."),
            Some(name),
            Some("invalid_value"),
        )),
    }
}

fn one_of(v: Option<&Value>, name: &str, allowed: &[&str]) -> Result<(), Response> {
    match v {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(_) => Err(invalid(
            &format!("Invalid '{name}': expected one of {}.", allowed.join(", ")),
            Some(name),
            Some("invalid_value"),
        )),
    }
}

fn prompt_text(v: Option<&Value>) -> Result<String, Response> {
    let mut f = Map::new();
    if let Some(v) = v {
        f.insert("prompt".into(), v.clone());
    }
    check_prompt(&f)
}

/// AIHubMix "seedance" (adapter video.ts): `content` items `{type: text, text}` and
/// `{type: image_url, image_url: {url}, role: first_frame|last_frame|reference_image}`; the
/// prompt top-level or as the text item; `duration` seconds; `resolution` 480p|720p|1080p.
fn validate_seedance(model: String, f: &Map<String, Value>) -> Result<(String, String, String, String), Response> {
    let items = match f.get("content") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(invalid("Invalid 'content': expected an array.", Some("content"), Some("invalid_type"))),
    };
    let mut text = None;
    for item in &items {
        match item.get("type").and_then(Value::as_str) {
            Some("text") => text = item.get("text").cloned(),
            Some("image_url") => {
                let url_ok = item.pointer("/image_url/url").and_then(Value::as_str).is_some_and(|u| !u.is_empty());
                let role_ok = item.get("role").is_none_or(|r| {
                    r.as_str().is_some_and(|r| ["first_frame", "last_frame", "reference_image"].contains(&r))
                });
                if !url_ok || !role_ok {
                    return Err(invalid(
                        "Invalid 'content' image: expected {type: image_url, image_url: {url}, role: first_frame|last_frame|reference_image}.",
                        Some("content"),
                        Some("invalid_value"),
                    ));
                }
            }
            _ => {
                return Err(invalid(
                    "Invalid 'content' item: type must be text or image_url.",
                    Some("content"),
                    Some("invalid_value"),
                ));
            }
        }
    }
    let prompt = prompt_text(f.get("prompt").or(text.as_ref()))?;
    let duration = positive_integer(f.get("duration"), "duration")?.unwrap_or(5);
    one_of(f.get("resolution"), "resolution", &["480p", "720p", "1080p"])?;
    Ok((model, prompt, duration.to_string(), "1280x720".into()))
}

/// AIHubMix "dashscope" (adapter video.ts): `input {prompt, media: [{type: first_frame|last_frame,
/// url}]}`, `parameters {resolution: 720P|1080P, duration, …}`.
fn validate_dashscope(model: String, f: &Map<String, Value>) -> Result<(String, String, String, String), Response> {
    let Some(Value::Object(input)) = f.get("input") else {
        return Err(invalid(
            "Missing required parameter: 'input' (an object with the prompt).",
            Some("input"),
            Some("missing_required_parameter"),
        ));
    };
    let prompt = prompt_text(input.get("prompt"))?;
    match input.get("media") {
        None | Some(Value::Null) => {}
        Some(Value::Array(media))
            if media.iter().all(|m| {
                m.get("type").and_then(Value::as_str).is_some_and(|t| t == "first_frame" || t == "last_frame")
                    && m.get("url").and_then(Value::as_str).is_some_and(|u| !u.is_empty())
            }) => {}
        Some(_) => {
            return Err(invalid(
                "Invalid 'input.media': expected [{type: first_frame|last_frame, url}].",
                Some("input.media"),
                Some("invalid_value"),
            ));
        }
    }
    let empty = Map::new();
    let parameters = match f.get("parameters") {
        None => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => {
            return Err(invalid("Invalid 'parameters': expected an object.", Some("parameters"), Some("invalid_type")));
        }
    };
    one_of(parameters.get("resolution"), "parameters.resolution", &["720P", "1080P"])?;
    let duration = positive_integer(parameters.get("duration"), "parameters.duration")?.unwrap_or(5);
    Ok((model, prompt, duration.to_string(), "1280x720".into()))
}

fn status_str(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued => "queued",
        Phase::Running { .. } => "in_progress",
        Phase::Succeeded => "completed",
        // The Videos API has no cancel; a cancelled job cannot occur here.
        Phase::Failed | Phase::Cancelled => "failed",
    }
}

fn video_json(state: &SimState, job: &Job) -> Value {
    let phase = job.phase();
    let progress = match phase {
        Phase::Queued => 0,
        Phase::Running { progress } => progress,
        _ => 100,
    };
    let mut v = json!({
        "id": job.id, "object": "video", "model": job.model, "status": status_str(phase), "progress": progress,
        "created_at": job.created_unix, "completed_at": job.completed_unix(),
        "expires_at": job.expires_unix(state.config.result_ttl), "prompt": job.prompt,
        "size": job.size, "seconds": job.seconds, "remixed_from_video_id": job.remixed_from,
        "error": job.error().map(|(code, message)| json!({"code": code, "message": message})),
    });
    // AIHubMix, other vendors (providers.md §4): extra duration, width and height, and the
    // result URL the adapter's normaliser reads.
    if job.provider == Provider::AiHubMix
        && !matches!(family(&job.model), Family::Sora | Family::Veo)
        && let Some(map) = v.as_object_mut()
    {
        let (w, h) = job
            .size
            .split_once('x')
            .map_or((1280, 720), |(w, h)| (w.parse().unwrap_or(1280), h.parse().unwrap_or(720)));
        map.insert("duration".into(), json!(job.seconds.parse::<i64>().unwrap_or(5)));
        map.insert("width".into(), json!(w));
        map.insert("height".into(), json!(h));
        if phase == Phase::Succeeded {
            map.insert("video_url".into(), json!(state.result_url(&job.id)));
        }
    }
    v
}

/// `GET /v1/videos/{id}` answers carry the SDK's poll hint while the job runs.
fn with_poll_hint(state: &SimState, job: &Job, mut response: Response) -> Response {
    if let Some(ms) = state.config.openai_poll_after_ms
        && !job.phase().is_terminal()
    {
        response.headers_mut().insert("openai-poll-after-ms", HeaderValue::from(ms));
    }
    response
}

fn outcome_for(fault: Option<&FaultKind>) -> Outcome {
    match fault {
        Some(FaultKind::JobFails) => Outcome::Fails {
            code: "internal_error".into(),
            message: "Video generation failed due to an internal error.".into(),
        },
        Some(FaultKind::ContentPolicy) => Outcome::Fails {
            code: "moderation_blocked".into(),
            message: "Your request was blocked by our moderation system.".into(),
        },
        _ => Outcome::Succeeds,
    }
}

fn new_job(
    provider: Provider,
    state: &SimState,
    model: String,
    prompt: String,
    seconds: String,
    size: String,
    fault: Option<&FaultKind>,
) -> Job {
    let id = if provider == Provider::AiHubMix && !matches!(family(&model), Family::Sora | Family::Veo) {
        opaque_id(&model)
    } else {
        format!("video_{}", uuid::Uuid::new_v4().simple())
    };
    let mut job = Job::new(provider, id, model, &state.config);
    job.prompt = Some(prompt);
    job.seconds = seconds;
    job.size = size;
    job.outcome = outcome_for(fault);
    job
}

async fn create_video<const AIH: bool>(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    run(state, gateway(AIH), "createVideo", Op::Create, &conn, &headers, |st, fault| async move {
        let body = match read_body(request).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        let (model, prompt, seconds, size) = match validate_create(&body) {
            Ok(v) => v,
            Err(r) => return r,
        };
        if AIH
            && !st.config.serve_retired_models
            && let Some((status, message)) = crate::retired::aihubmix(&model)
        {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
            let code = if status == StatusCode::NOT_FOUND { "model_not_found" } else { "model_not_available" };
            return openai_error(status, "invalid_request_error", &message, Some("model"), Some(code));
        }
        let mut job = new_job(gateway(AIH), &st, model, prompt, seconds, size, fault.as_ref());
        job.params = body.fields;
        let json = video_json(&st, &job);
        st.insert(job);
        json_response(StatusCode::OK, &json)
    })
    .await
}

async fn create_video_remix<const AIH: bool>(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    run(state, gateway(AIH), "CreateVideoRemix", Op::Create, &conn, &headers, |st, fault| async move {
        let body = match read_body(request).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        let prompt = match check_prompt(&body.fields) {
            Ok(p) => p,
            Err(r) => return r,
        };
        if let Some(k) = body.fields.keys().find(|k| *k != "prompt") {
            return invalid(&format!("Unknown parameter: '{k}'."), Some(k), Some("unknown_parameter"));
        }
        let Some(source) = st.get(&id).filter(|j| j.provider == gateway(AIH) && !j.deleted) else {
            return not_found(&id);
        };
        if source.phase() != Phase::Succeeded {
            return invalid("Only completed videos can be remixed.", Some("video_id"), Some("invalid_state"));
        }
        let mut job = new_job(
            gateway(AIH),
            &st,
            source.model.clone(),
            prompt,
            source.seconds.clone(),
            source.size.clone(),
            fault.as_ref(),
        );
        job.remixed_from = Some(source.id.clone());
        let json = video_json(&st, &job);
        st.insert(job);
        json_response(StatusCode::OK, &json)
    })
    .await
}

async fn list_videos<const AIH: bool>(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    run(state, gateway(AIH), "ListVideos", Op::Other, &conn, &headers, |st, _| async move {
        let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
            None => 20,
            Some(Ok(l)) if l <= 100 => l,
            Some(_) => {
                return invalid(
                    "Invalid 'limit': expected an integer between 0 and 100.",
                    Some("limit"),
                    Some("invalid_value"),
                );
            }
        };
        let descending = match q.get("order").map(String::as_str) {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => {
                return invalid("Invalid 'order': expected 'asc' or 'desc'.", Some("order"), Some("invalid_value"));
            }
        };
        let mut jobs = st.jobs_of(gateway(AIH), |j| !j.deleted);
        if descending {
            jobs.reverse();
        }
        let start = match q.get("after") {
            None => 0,
            Some(after) => match jobs.iter().position(|j| j.id == *after) {
                Some(i) => i + 1,
                None => {
                    return invalid(
                        &format!("No video found with id '{after}' for 'after'."),
                        Some("after"),
                        Some("invalid_value"),
                    );
                }
            },
        };
        let page: Vec<&Job> = jobs.iter().skip(start).take(limit).collect();
        let has_more = start + page.len() < jobs.len();
        let data: Vec<Value> = page.iter().map(|j| video_json(&st, j)).collect();
        json_response(
            StatusCode::OK,
            &json!({"object": "list", "data": data, "first_id": page.first().map(|j| &j.id),
                    "last_id": page.last().map(|j| &j.id), "has_more": has_more}),
        )
    })
    .await
}

async fn get_video<const AIH: bool>(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, gateway(AIH), "GetVideo", Op::Other, &conn, &headers, |st, fault| async move {
        match st.get(&id).filter(|j| j.provider == gateway(AIH) && !j.deleted) {
            Some(job) if fault == Some(FaultKind::GoneWhenFinished) && job.phase().is_terminal() => not_found(&id),
            Some(job) => with_poll_hint(&st, &job, json_response(StatusCode::OK, &video_json(&st, &job))),
            None => not_found(&id),
        }
    })
    .await
}

async fn delete_video<const AIH: bool>(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    run(state, gateway(AIH), "DeleteVideo", Op::Other, &conn, &headers, |st, _| async move {
        let Some(job) = st.get(&id).filter(|j| j.provider == gateway(AIH) && !j.deleted) else { return not_found(&id) };
        if !matches!(job.phase(), Phase::Succeeded | Phase::Failed) {
            return invalid("Only completed or failed videos can be deleted.", Some("video_id"), Some("invalid_state"));
        }
        st.update(&id, |j| j.deleted = true);
        json_response(StatusCode::OK, &json!({"object": "video.deleted", "deleted": true, "id": id}))
    })
    .await
}

async fn retrieve_video_content<const AIH: bool>(
    State(state): State<Arc<SimState>>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let request_headers = headers.clone();
    run(state, gateway(AIH), "RetrieveVideoContent", Op::Other, &conn, &headers, |st, fault| async move {
        let variant = q.get("variant").map(String::as_str).unwrap_or("video");
        if !["video", "thumbnail", "spritesheet"].contains(&variant) {
            return invalid(
                "Invalid 'variant': expected 'video', 'thumbnail' or 'spritesheet'.",
                Some("variant"),
                Some("invalid_value"),
            );
        }
        let Some(job) = st.get(&id).filter(|j| j.provider == gateway(AIH) && !j.deleted) else { return not_found(&id) };
        let phase = job.phase();
        if phase != Phase::Succeeded {
            return invalid(
                &format!("Video '{id}' is not ready: its status is {}.", status_str(phase)),
                Some("video_id"),
                Some("video_not_ready"),
            );
        }
        if job.expired(st.config.result_ttl) {
            return openai_error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                &format!("The assets of video '{id}' have expired."),
                Some("video_id"),
                Some("video_expired"),
            );
        }
        match variant {
            "thumbnail" => media::serve_static(media::FIXTURE_THUMBNAIL_WEBP, "image/webp"),
            "spritesheet" => media::serve_static(media::FIXTURE_SPRITESHEET_WEBP, "image/webp"),
            _ => {
                media::serve_mp4(&request_headers, &media::job_video(&st, &job), st.config.result_size, fault.as_ref())
            }
        }
    })
    .await
}
