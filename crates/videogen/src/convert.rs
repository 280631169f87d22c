//! Turning the generated clients' errors into [`Error`], with the create-is-never-retried rule.

use crate::error::{ErrorSource, from_status, source_of};
use crate::{Error, Provider};

/// The message inside a provider's typed error body (each provider module implements it for its
/// own error type).
pub(crate) trait ErrorBody: serde::Serialize {
    fn message(&self) -> Option<String>;
}

/// Whether the failed request was a create (never retried; a doubt becomes `OutcomeUnknown`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call<'a> {
    Create { model: &'a str },
    Read,
}

fn lossy(bytes: &[u8]) -> String {
    const MAX: usize = 64 * 1024;
    let cut = &bytes[..bytes.len().min(MAX)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Converts a generated client's error, deciding by the HTTP status first and the body second.
///
/// The generated clients run with raw error responses ([`videogen_transport::ClientState::set_raw_error_responses`]),
/// so every non-2xx answer arrives here as `UnexpectedResponse` with its buffered body:
///
/// - 4xx: a refusal, whatever the body (an HTML page from a proxy, an empty body…): 400/422 →
///   [`Error::InvalidRequest`], 401/403 → [`Error::Auth`], 404 → [`Error::NotFound`], 429 →
///   [`Error::RateLimited`], other → [`Error::Api`]. Nothing was created.
/// - 3xx: [`Error::Redirect`] (API requests follow no redirect off their origin; a create
///   none at all). 1xx and other non-2xx statuses below 400: [`Error::Api`].
/// - On a create, only a transport failure after the connection was made, a 5xx, or an
///   unreadable 2xx is [`Error::OutcomeUnknown`]; a connect failure is [`Error::Transport`]
///   (nothing was sent).
pub(crate) async fn convert<E: ErrorBody + serde::de::DeserializeOwned>(
    provider: Provider,
    call: Call<'_>,
    error: progenitor_client::Error<E>,
) -> Error {
    use progenitor_client::Error as P;
    let unknown = |message: String, status: Option<u16>, body: Option<String>, source: Option<ErrorSource>| match call {
        Call::Create { model } => Ok(Error::OutcomeUnknown {
            attempt: None,
            source,
            provider,
            model: model.to_string(),
            message,
            status,
            body,
        }),
        Call::Read => Err(source),
    };
    match error {
        P::InvalidRequest(message) => Error::invalid(message),
        P::CommunicationError(e) | P::InvalidUpgrade(e) => {
            let message = transport_message(&e);
            if e.is_connect() || e.is_builder() {
                Error::Transport { source: source_of(e), provider, message, job: None }
            } else {
                unknown(message.clone(), None, None, source_of(e)).unwrap_or_else(|source| Error::Transport {
                    source,
                    provider,
                    message,
                    job: None,
                })
            }
        }
        P::ResponseBodyError(e) => {
            let message = transport_message(&e);
            unknown(message.clone(), None, None, source_of(e)).unwrap_or_else(|source| Error::Transport {
                source,
                provider,
                message,
                job: None,
            })
        }
        P::InvalidResponsePayload(bytes, e) => {
            let body = lossy(&bytes);
            let message = e.to_string();
            unknown(format!("unreadable answer: {message}"), None, Some(body.clone()), Some(Box::new(e)))
                .unwrap_or_else(|_| Error::Decode { provider, message, body, job: None })
        }
        P::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let headers = value.headers().clone();
            let body = serde_json::to_vec(&*value).unwrap_or_default();
            classify::<E>(provider, call, status, &headers, &body)
        }
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = match response.extensions().get::<videogen_transport::BufferedBody>() {
                Some(b) => b.0.clone(),
                None => match response.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        let message = transport_message(&e);
                        return match (status, unknown(message.clone(), Some(status), None, source_of(e))) {
                            (200..=299 | 500.., Ok(e)) => e,
                            _ => classify::<E>(provider, call, status, &headers, &[]),
                        };
                    }
                },
            };
            classify::<E>(provider, call, status, &headers, &body)
        }
        P::Custom(message) => Error::Api { provider, status: 0, message, body: String::new(), job: None },
    }
}

/// The error for an answer with `status` (not 2xx-and-decoded), by status first.
fn classify<E: ErrorBody + serde::de::DeserializeOwned>(
    provider: Provider,
    call: Call<'_>,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Error {
    let text = lossy(body);
    let create_model = match call {
        Call::Create { model } => Some(model),
        Call::Read => None,
    };
    if let Some(model) = create_model
        && (400..=599).contains(&status)
    {
        let message = error_message::<E>(body).unwrap_or_default();
        if let Some(gone) = crate::error::model_gone(provider, model, status, &message, &text) {
            return gone;
        }
    }
    match status {
        200..=299 => match create_model {
            Some(model) => Error::OutcomeUnknown {
                attempt: None,
                source: None,
                provider,
                model: model.to_string(),
                message: format!("unexpected answer {status}"),
                status: Some(status),
                body: Some(text),
            },
            None => Error::Decode { provider, message: format!("unexpected answer {status}"), body: text, job: None },
        },
        300..=399 => Error::Redirect {
            provider,
            status,
            location: headers
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            job: None,
        },
        400..=499 => {
            let message = error_message::<E>(body).unwrap_or_else(|| format!("HTTP {status}"));
            from_status(create_model.is_some(), provider, status, headers, message, text)
        }
        500..=599 => {
            let message = error_message::<E>(body).unwrap_or_else(|| format!("HTTP {status}"));
            match create_model {
                Some(model) => Error::OutcomeUnknown {
                    attempt: None,
                    source: None,
                    provider,
                    model: model.to_string(),
                    message,
                    status: Some(status),
                    body: Some(text),
                },
                None => Error::Api { provider, status, message, body: text, job: None },
            }
        }
        // 1xx as a final answer, or a status outside 100–599: a typed error, as the issue of
        // a broken server rather than a doubt about the create.
        _ => Error::Api { provider, status, message: format!("unexpected answer {status}"), body: text, job: None },
    }
}

/// The message of an error body: the provider's typed error, or the usual JSON places.
fn error_message<E: ErrorBody + serde::de::DeserializeOwned>(body: &[u8]) -> Option<String> {
    if let Ok(typed) = serde_json::from_slice::<E>(body)
        && let Some(m) = typed.message()
    {
        return Some(m);
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["/error/message", "/message", "/error/title", "/detail", "/error"]
        .iter()
        .find_map(|p| v.pointer(p).and_then(|m| m.as_str()).map(String::from))
        .filter(|m| !m.is_empty())
}

/// A transport error's message, without the URL (result URLs carry signatures).
pub(crate) fn transport_message(e: &reqwest::Error) -> String {
    let mut message = String::from(if e.is_connect() {
        "connection failed"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed"
    } else if e.is_request() {
        "sending the request failed"
    } else {
        "request failed"
    });
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Converts a generated client's error on a read.
pub(crate) async fn read_error<E: ErrorBody + serde::de::DeserializeOwned>(
    provider: Provider,
    e: progenitor_client::Error<E>,
) -> Error {
    convert(provider, Call::Read, e).await
}
