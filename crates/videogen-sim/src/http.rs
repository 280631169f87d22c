//! What every route shares: counting, fault injection, auth, and the providers' error bodies.

use crate::faults::FaultKind;
use crate::store::SimState;
use crate::{Provider, media};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;

/// The connection a request arrived on; `reset` makes the server drop it with a TCP RST.
#[derive(Clone)]
pub(crate) struct Conn {
    pub kill: Arc<tokio::sync::Notify>,
}

impl Conn {
    /// Resets the connection; never returns (the connection task drops this request).
    pub(crate) async fn reset(&self) -> Response {
        self.kill.notify_one();
        std::future::pending::<Response>().await
    }
}

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

/// Oxen.ai's structured envelope (docs: `{"error":{"type","title","detail"},"status":"error","status_message":<type>}`).
pub(crate) fn oxen_envelope(status: StatusCode, kind: &str, title: &str, detail: Option<&str>) -> Response {
    let mut error = json!({"type": kind, "title": title});
    if let Some(detail) = detail {
        error["detail"] = json!(detail);
    }
    json_response(status, &json!({"error": error, "status": "error", "status_message": kind}))
}

/// Oxen.ai's plain envelope (docs: `{"error":{"message":"…"}}`).
pub(crate) fn oxen_message(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"error": {"message": message}}))
}

/// VideoDB's `Error` schema: `{success: false, message, error_code}`.
pub(crate) fn videodb_error(status: StatusCode, message: &str, code: &str) -> Response {
    json_response(status, &json!({"success": false, "message": message, "error_code": code}))
}

/// OpenAI's `ErrorResponse`: `{error: {type, message, param, code}}`.
pub(crate) fn openai_error(
    status: StatusCode,
    kind: &str,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    json_response(status, &json!({"error": {"type": kind, "message": message, "param": param, "code": code}}))
}

/// Replicate's problem details (`application/problem+json`, `{title, detail, status}`; the
/// Python SDK's `ReplicateError` reads them).
pub(crate) fn replicate_problem(status: StatusCode, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = json!({"title": title, "detail": detail, "status": status.as_u16()});
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// The provider's body for an injected 429 or 5xx.
fn fault_error(provider: Provider, status: StatusCode) -> Response {
    let rate = status == StatusCode::TOO_MANY_REQUESTS;
    match provider {
        // Oxen's chat docs list `429 Rate limit exceeded`; 5xx uses the envelope's unknown_error.
        Provider::Oxen if rate => oxen_message(status, "Rate limit exceeded"),
        Provider::Oxen => oxen_envelope(status, "unknown_error", "Internal server error", None),
        Provider::VideoDb if rate => videodb_error(status, "Too many requests", "RATE_LIMITED"),
        Provider::VideoDb => videodb_error(status, "Internal server error", "INTERNAL_ERROR"),
        Provider::OpenAi | Provider::AiHubMix if rate => openai_error(
            status,
            "requests",
            "Rate limit reached for requests. Please try again later.",
            None,
            Some("rate_limit_exceeded"),
        ),
        Provider::OpenAi | Provider::AiHubMix => {
            openai_error(status, "server_error", "The server had an error while processing your request.", None, None)
        }
        // replicate.com/docs/topics/predictions/rate-limits: the throttle text.
        Provider::Replicate if rate => {
            replicate_problem(status, "Request was throttled. Your rate limit resets in ~1s.")
        }
        Provider::Replicate => replicate_problem(status, "Internal server error"),
    }
}

/// Checks the provider's auth header; a missing, empty or (when keys are configured) unknown key
/// gets the provider's 401 body. The key is never echoed.
fn check_auth(state: &SimState, provider: Provider, headers: &HeaderMap) -> Result<(), Response> {
    let key = match provider {
        Provider::VideoDb => headers.get("x-access-token").and_then(|v| v.to_str().ok()).map(str::trim),
        Provider::Oxen | Provider::OpenAi | Provider::AiHubMix | Provider::Replicate => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim),
    };
    let valid = key.is_some_and(|k| {
        !k.is_empty() && (state.config.api_keys.is_empty() || state.config.api_keys.iter().any(|a| a == k))
    });
    let missing = key.is_none_or(str::is_empty);
    if valid || (missing && provider == Provider::OpenAi && state.config.keyless_gateway) {
        return Ok(());
    }
    Err(match provider {
        Provider::Oxen => oxen_envelope(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Unauthenticated",
            Some(if missing { "Missing API key: send Authorization: Bearer <key>" } else { "Invalid API key" }),
        ),
        Provider::VideoDb => videodb_error(
            StatusCode::UNAUTHORIZED,
            if missing { "Missing x-access-token header" } else { "Invalid API key" },
            "UNAUTHORIZED",
        ),
        Provider::OpenAi | Provider::AiHubMix if missing => openai_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            None,
            None,
        ),
        Provider::OpenAi | Provider::AiHubMix => openai_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Incorrect API key provided.",
            None,
            Some("invalid_api_key"),
        ),
        Provider::Replicate => {
            replicate_problem(StatusCode::UNAUTHORIZED, "You did not pass a valid authentication token")
        }
    })
}

/// What kind of operation a route is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// An API operation that creates a job (counted as a create request).
    Create,
    /// Any other API operation.
    Other,
    /// A result URL: no API key expected (a presigned link), counted as `results.download`.
    Download,
}

/// Runs one API request: counts it, injects the fault its rule picks, checks auth, runs the
/// handler `f` (which gets the state and the fault, for job-level faults), and applies body-level
/// faults.
pub(crate) async fn run<F, Fut>(
    state: Arc<SimState>,
    provider: Provider,
    operation: &'static str,
    op: Op,
    conn: &Conn,
    headers: &HeaderMap,
    f: F,
) -> Response
where
    F: FnOnce(Arc<SimState>, Option<FaultKind>) -> Fut,
    Fut: Future<Output = Response>,
{
    if op == Op::Download {
        state.count_download();
    } else {
        state.count_request(provider, operation);
    }
    let idempotency_key = if op == Op::Create {
        headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty()).map(String::from)
    } else {
        None
    };
    if op == Op::Create {
        state.count_create(provider, idempotency_key.as_deref());
        // A key seen within 24 h answers what its first create answered, and creates nothing
        // (the Stripe/IETF draft convention, which a provider adopting the header would follow).
        if let Some(key) = &idempotency_key
            && let Some(saved) = state.idempotent_answer(provider, key)
        {
            return saved.into_response();
        }
    }
    let fault = state.faults.lock().ok().and_then(|mut book| book.pick(provider, operation));
    if op == Op::Create {
        state.log_create(matches!(fault, Some(FaultKind::RateLimited { .. })));
    }
    tracing::debug!(provider = provider.as_str(), operation, ?fault, "request");
    match fault {
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            let mut response = fault_error(provider, StatusCode::TOO_MANY_REQUESTS);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return response;
        }
        Some(FaultKind::ServerError { status }) => {
            return fault_error(provider, StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
        Some(FaultKind::ResetBeforeResponse) => return conn.reset().await,
        _ => {}
    }
    if op != Op::Download
        && let Err(response) = check_auth(&state, provider, headers)
    {
        return response;
    }
    let response = f(state.clone(), fault.clone()).await;
    let response = match &idempotency_key {
        // Remembered before any body fault: a create whose answer is then lost still has one.
        // Oxen's synchronous generate streams whole videos: not kept.
        Some(key)
            if response.status().is_success() && !(provider == Provider::Oxen && operation == "generate_video") =>
        {
            let (parts, body) = response.into_parts();
            match axum::body::to_bytes(body, 1 << 20).await {
                Ok(bytes) => {
                    let saved = crate::store::SavedAnswer {
                        status: parts.status,
                        content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
                        body: bytes.clone(),
                    };
                    state.remember_answer(provider, key, saved);
                    Response::from_parts(parts, Body::from(bytes))
                }
                Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "simulator: create answer too large").into_response(),
            }
        }
        _ => response,
    };
    apply_body_fault(fault, response, conn).await
}

/// Applies the faults that act on a response body.
pub(crate) async fn apply_body_fault(fault: Option<FaultKind>, response: Response, conn: &Conn) -> Response {
    if response.extensions().get::<crate::faults::FaultApplied>().is_some() {
        return response;
    }
    match fault {
        Some(FaultKind::ResetAfterProcessing) => conn.reset().await,
        Some(kind @ (FaultKind::MalformedJson | FaultKind::StallBody | FaultKind::TruncatedBody)) => {
            let (mut parts, body) = response.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
                return (StatusCode::INTERNAL_SERVER_ERROR, "simulator: body too large for a body fault")
                    .into_response();
            };
            let half = bytes.slice(..bytes.len() / 2);
            match kind {
                FaultKind::MalformedJson => {
                    parts.status = StatusCode::OK;
                    parts.headers.remove(header::CONTENT_LENGTH);
                    Response::from_parts(parts, Body::from(half))
                }
                FaultKind::StallBody => {
                    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                    Response::from_parts(parts, Body::from_stream(media::stalled(half)))
                }
                _ => {
                    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                    Response::from_parts(parts, Body::from_stream(media::truncated(half)))
                }
            }
        }
        _ => response,
    }
}

/// Parses a JSON request body into an object; `Err` is the reason, for the provider's 400.
pub(crate) fn parse_json_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, String> {
    if body.is_empty() {
        return Err("We could not parse the JSON body of your request: the body is empty.".into());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("The request body must be a JSON object.".into()),
        Err(e) => Err(format!("We could not parse the JSON body of your request: {e}")),
    }
}
