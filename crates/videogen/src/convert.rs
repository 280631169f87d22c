//! Turning the generated clients' errors into [`Error`], with the create-is-never-retried rule.

use crate::error::from_status;
use crate::{Error, Provider};

/// The message inside a provider's typed error body.
pub(crate) trait ErrorBody: serde::Serialize {
    fn message(&self) -> Option<String>;
}

#[cfg(feature = "oxen")]
impl ErrorBody for videogen_oxen::types::OxenError {
    fn message(&self) -> Option<String> {
        use videogen_oxen::types::OxenError as E;
        Some(match self {
            E::ErrorEnvelope(e) => match &e.error.detail {
                Some(detail) => format!("{}: {detail}", e.error.title),
                None => e.error.title.clone(),
            },
            E::MessageError(e) => e.error.message.clone(),
        })
    }
}

#[cfg(feature = "videodb")]
impl ErrorBody for videogen_videodb::types::Error {
    fn message(&self) -> Option<String> {
        self.message.clone()
    }
}

#[cfg(feature = "openai")]
impl ErrorBody for videogen_openai::types::ErrorResponse {
    fn message(&self) -> Option<String> {
        Some(self.error.message.clone())
    }
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

/// Converts a generated client's error.
///
/// On a create, anything that leaves the outcome in doubt — a connection that failed after it
/// was established, a 5xx (a gateway may have passed the request on), an answer that cannot be
/// read — is [`Error::OutcomeUnknown`]; a connect failure or a 4xx means nothing was created.
pub(crate) async fn convert<E: ErrorBody>(
    provider: Provider,
    call: Call<'_>,
    error: progenitor_client::Error<E>,
) -> Error {
    use progenitor_client::Error as P;
    let unknown = |message: String, status: Option<u16>, body: Option<String>| match call {
        Call::Create { model } => {
            Some(Error::OutcomeUnknown { provider, model: model.to_string(), message, status, body })
        }
        Call::Read => None,
    };
    match error {
        P::InvalidRequest(message) => Error::InvalidRequest { message },
        P::CommunicationError(e) | P::InvalidUpgrade(e) => {
            let message = transport_message(&e);
            if e.is_connect() || e.is_builder() {
                Error::Transport { provider, message, job: None }
            } else {
                unknown(message.clone(), None, None).unwrap_or(Error::Transport { provider, message, job: None })
            }
        }
        P::ResponseBodyError(e) => {
            let message = transport_message(&e);
            unknown(message.clone(), None, None).unwrap_or(Error::Transport { provider, message, job: None })
        }
        P::InvalidResponsePayload(bytes, e) => {
            let body = lossy(&bytes);
            unknown(format!("unreadable answer: {e}"), None, Some(body.clone())).unwrap_or(Error::Decode {
                provider,
                message: e.to_string(),
                body,
                job: None,
            })
        }
        P::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let headers = value.headers().clone();
            let body = serde_json::to_string(&*value).unwrap_or_default();
            let message = value.message().unwrap_or_else(|| body.clone());
            if status >= 500
                && let Some(e) = unknown(message.clone(), Some(status), Some(body.clone()))
            {
                return e;
            }
            from_status(provider, status, &headers, message, body)
        }
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.text().await.map(|t| lossy(t.as_bytes())).unwrap_or_default();
            if status >= 500
                && let Some(e) = unknown(format!("HTTP {status}"), Some(status), Some(body.clone()))
            {
                return e;
            }
            if (200..300).contains(&status) {
                return unknown(format!("unexpected answer {status}"), Some(status), Some(body.clone())).unwrap_or(
                    Error::Decode { provider, message: format!("unexpected answer {status}"), body, job: None },
                );
            }
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .or_else(|| v.get("message"))
                        .or_else(|| v.pointer("/error/title"))
                        .and_then(|m| m.as_str().map(String::from))
                })
                .unwrap_or_else(|| format!("HTTP {status}"));
            from_status(provider, status, &headers, message, body)
        }
        P::Custom(message) => Error::Api { provider, status: 0, message, body: String::new(), job: None },
    }
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
