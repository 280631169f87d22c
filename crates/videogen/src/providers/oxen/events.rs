//! Oxen.ai's completion events: one `GET /api/events` stream (`text/event-stream`) per client,
//! read by a background task into the client's [`Hub`] (docs.oxen.ai async_queue, "Completion
//! Events": `event: media_generation_completed`, `data: {generation_id, status: "succeeded",
//! media_type, model, url}` or `{generation_id, status: "failed", media_type, error}`; a
//! `: keep-alive` comment every 15 s; no buffering; other event types may come and are ignored).
//!
//! Every byte is untrusted: an event block over [`MAX_EVENT_BYTES`] or 45 s without a byte ends
//! the connection; an unreadable event is skipped; 401/403/404/405/410/501, a redirect or a body
//! that is not an event stream mean the stream is not served here, and waits poll. Other failures
//! reconnect with backoff (0.5 s doubling to 60 s, `Retry-After` honoured up to that).

use crate::push::{Completion, Hub};
use futures::StreamExt;
use serde::Deserialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use videogen_transport::ApiAuth;

/// The event that reports a finished generation.
const COMPLETED: &str = "media_generation_completed";

/// The most bytes one event block may take (a completion is well under 4 KiB): 1 MiB.
pub(crate) const MAX_EVENT_BYTES: usize = 1 << 20;

/// No byte for this long ends the connection (the service sends a keep-alive every 15 s): 45 s.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// How long the stream's response headers may take: 30 s.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A connection that lasted this long resets the backoff.
const STABLE: Duration = Duration::from_secs(30);

/// The stream's URL: `/api/events` on the API's origin (base `https://hub.oxen.ai`).
fn events_url(auth: &ApiAuth) -> Option<reqwest::Url> {
    let base = reqwest::Url::parse(auth.base_url()).ok()?;
    let path = format!("{}/api/events", base.path().trim_end_matches('/'));
    let mut url = base;
    url.set_path(&path);
    Some(url)
}

/// Starts the task that keeps `hub` fed; it ends when the hub (the client) is dropped.
pub(crate) fn spawn(hub: Weak<Hub>, http: reqwest::Client, auth: ApiAuth) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(hub, http, auth))
}

/// How one connection ended.
enum End {
    /// Try again after `at_least` (a `Retry-After`) or the backoff.
    Lost { reason: String, at_least: Option<Duration> },
    /// The stream is not served here.
    Unavailable(String),
    /// The client is gone.
    ClientDropped,
}

async fn run(hub: Weak<Hub>, http: reqwest::Client, auth: ApiAuth) {
    let Some(url) = events_url(&auth) else {
        if let Some(hub) = hub.upgrade() {
            hub.unavailable();
        }
        return;
    };
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started = tokio::time::Instant::now();
        let end = connection(&hub, &http, &auth, &url).await;
        let Some(strong) = hub.upgrade() else { return };
        let at_least = match end {
            End::ClientDropped => return,
            End::Unavailable(reason) => {
                tracing::info!(%reason, "Oxen.ai's event stream is not available; waits poll");
                strong.unavailable();
                return;
            }
            End::Lost { reason, at_least } => {
                tracing::debug!(%reason, ?backoff, "Oxen.ai's event stream was lost; reconnecting");
                strong.lost();
                at_least
            }
        };
        drop(strong);
        if started.elapsed() >= STABLE {
            backoff = FIRST_BACKOFF;
        }
        let jitter = Duration::from_millis(u64::from(uuid::Uuid::new_v4().as_bytes()[0]));
        tokio::time::sleep(backoff.max(at_least.unwrap_or_default().min(MAX_BACKOFF)) + jitter).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection: open it, report it, read its events until it ends.
async fn connection(hub: &Weak<Hub>, http: &reqwest::Client, auth: &ApiAuth, url: &reqwest::Url) -> End {
    let mut request = reqwest::Request::new(reqwest::Method::GET, url.clone());
    request
        .headers_mut()
        .insert(reqwest::header::ACCEPT, reqwest::header::HeaderValue::from_static("text/event-stream"));
    auth.prepare(&mut request);
    let response = match tokio::time::timeout(HEADER_TIMEOUT, http.execute(request)).await {
        Err(_) => return End::Lost { reason: "no answer within 30 s".into(), at_least: None },
        Ok(Err(e)) => return End::Lost { reason: e.without_url().to_string(), at_least: None },
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    match status.as_u16() {
        200 => {}
        401 | 403 | 404 | 405 | 410 | 501 => return End::Unavailable(format!("HTTP {status}")),
        300..=399 => return End::Unavailable(format!("HTTP {status} (redirects are not followed)")),
        _ => {
            let at_least = crate::error::parse_retry_after(response.headers());
            return End::Lost { reason: format!("HTTP {status}"), at_least };
        }
    }
    let event_stream = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
    if !event_stream {
        return End::Unavailable("the answer is not an event stream".into());
    }
    match hub.upgrade() {
        Some(hub) => hub.connected(),
        None => return End::ClientDropped,
    };
    let since_event = Arc::new(AtomicUsize::new(0));
    let bytes = futures::stream::unfold((response, since_event.clone()), |(mut response, since_event)| async move {
        let item = match tokio::time::timeout(IDLE_TIMEOUT, response.chunk()).await {
            Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no byte for 45 s")),
            Ok(Err(e)) => Err(std::io::Error::other(e.without_url())),
            Ok(Ok(None)) => return None,
            Ok(Ok(Some(chunk))) => {
                if since_event.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len() > MAX_EVENT_BYTES {
                    Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "an event block over 1 MiB"))
                } else {
                    Ok(chunk)
                }
            }
        };
        Some((item, (response, since_event)))
    });
    let mut events = std::pin::pin!(sse_stream::SseByteStream::new(bytes));
    while let Some(event) = events.next().await {
        since_event.store(0, Ordering::Relaxed);
        let event = match event {
            Ok(e) => e,
            Err(e) => return End::Lost { reason: e.to_string(), at_least: None },
        };
        if event.event.as_deref() != Some(COMPLETED) {
            continue;
        }
        let Some((id, completion)) = event.data.as_deref().and_then(parse_completion) else {
            tracing::debug!(data = ?event.data.as_deref().map(|d| d.chars().take(200).collect::<String>()), "an unreadable completion event; skipped");
            continue;
        };
        match hub.upgrade() {
            Some(hub) => hub.complete(&id, completion),
            None => return End::ClientDropped,
        }
    }
    End::Lost { reason: "the stream ended".into(), at_least: None }
}

/// A `media_generation_completed` event's data: the generation id and how it ended; `None` when
/// it is not the documented shape (the job is then polled as usual).
fn parse_completion(data: &str) -> Option<(String, Completion)> {
    #[derive(Deserialize)]
    struct Data {
        generation_id: String,
        status: String,
        url: Option<String>,
        error: Option<String>,
    }
    let data: Data = serde_json::from_str(data).ok()?;
    if data.generation_id.is_empty() {
        return None;
    }
    let completion = match data.status.as_str() {
        "succeeded" => Completion::Succeeded { url: data.url.filter(|u| !u.trim().is_empty())? },
        "failed" => Completion::Failed { message: data.error.unwrap_or_else(|| "the generation failed".into()) },
        _ => return None,
    };
    Some((data.generation_id, completion))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_in_the_documented_shapes() {
        let ok = r#"{"generation_id":"g1","status":"succeeded","media_type":"video","model":"m","url":"https://hub.oxen.ai/api/repos/x.mp4"}"#;
        assert_eq!(
            parse_completion(ok),
            Some(("g1".into(), Completion::Succeeded { url: "https://hub.oxen.ai/api/repos/x.mp4".into() }))
        );
        let failed = r#"{"generation_id":"g2","status":"failed","media_type":"video","error":"Insufficient credits"}"#;
        assert_eq!(
            parse_completion(failed),
            Some(("g2".into(), Completion::Failed { message: "Insufficient credits".into() }))
        );
        for bad in [
            "",
            "not json",
            r#"{"status":"succeeded","url":"https://x"}"#,
            r#"{"generation_id":"g","status":"succeeded"}"#,
            r#"{"generation_id":"g","status":"succeeded","url":""}"#,
            r#"{"generation_id":"g","status":"cancelled"}"#,
            r#"{"generation_id":"","status":"failed"}"#,
            r#"{"generation_id":7,"status":"failed"}"#,
        ] {
            assert_eq!(parse_completion(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_stream_lives_beside_the_api_on_its_origin() {
        let key = secrecy::SecretString::from("k");
        let url = |base: &str| events_url(&ApiAuth::bearer(base, key.clone()).unwrap()).unwrap().to_string();
        assert_eq!(url("https://hub.oxen.ai"), "https://hub.oxen.ai/api/events");
        assert_eq!(url("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/api/events");
        assert_eq!(url("https://proxy.example/oxen"), "https://proxy.example/oxen/api/events");
    }

    /// Serves `head` and then `body` chunks (repeated `repeat` times) on every connection; the
    /// base URL.
    async fn raw_server(head: &'static str, body: &'static [u8], repeat: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    for _ in 0..repeat {
                        if socket.write_all(body).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        format!("http://{addr}")
    }

    async fn one_connection(base: &str) -> (End, Arc<Hub>) {
        videogen_transport::install_crypto_provider();
        let auth = ApiAuth::bearer(base, secrecy::SecretString::from("k")).unwrap();
        let http = videogen_transport::http_client(&auth).unwrap();
        let hub = Hub::new();
        let url = events_url(&auth).unwrap();
        let end = tokio::time::timeout(Duration::from_secs(20), connection(&Arc::downgrade(&hub), &http, &auth, &url))
            .await
            .expect("the connection ends by itself");
        (end, hub)
    }

    #[tokio::test]
    async fn an_endless_event_block_is_cut_at_the_limit() {
        const LINE: &[u8] =
            b"data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\nevent: media_generation_completed\n";
        // 4 MiB of data lines and never a blank line.
        let base = raw_server(head, LINE, (4 << 20) / LINE.len()).await;
        let (end, hub) = one_connection(&base).await;
        match end {
            End::Lost { reason, .. } => assert!(reason.contains("1 MiB"), "{reason}"),
            _ => panic!("expected the connection to be cut"),
        }
        assert_eq!(hub.link(), crate::push::Link::Connected, "it had connected (the task then reports it lost)");
    }

    #[tokio::test]
    async fn garbage_and_other_events_are_skipped_and_completions_kept() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n\r\n";
        let body = b": keep-alive\n\nevent: deployment_updated\ndata: {\"generation_id\":\"x\",\"status\":\"failed\"}\n\nevent: media_generation_completed\ndata: {not json\n\nevent: media_generation_completed\r\ndata: {\"generation_id\":\"g\",\r\ndata: \"status\":\"succeeded\",\"url\":\"https://r.example/v.mp4\"}\r\n\r\n";
        let base = raw_server(head, body, 1).await;
        let (end, hub) = one_connection(&base).await;
        assert!(matches!(end, End::Lost { .. }), "the stream ended");
        hub.watch("g", 1);
        assert_eq!(
            hub.coverage("g"),
            crate::push::Coverage::Finished(Completion::Succeeded { url: "https://r.example/v.mp4".into() }),
            "the multi-line CRLF event was read"
        );
        hub.watch("x", 1);
        assert_eq!(hub.coverage("x"), crate::push::Coverage::Covered, "another event type is ignored");
    }

    #[tokio::test]
    async fn a_stream_that_is_not_served_is_unavailable() {
        for head in [
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 302 Found\r\nlocation: https://elsewhere.example/\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
        ] {
            let base = raw_server(head, b"", 0).await;
            let (end, _) = one_connection(&base).await;
            assert!(matches!(end, End::Unavailable(_)), "{head}");
        }
        let base =
            raw_server("HTTP/1.1 503 Service Unavailable\r\nretry-after: 7\r\ncontent-length: 0\r\n\r\n", b"", 0).await;
        match one_connection(&base).await.0 {
            End::Lost { at_least, .. } => assert_eq!(at_least, Some(Duration::from_secs(7))),
            _ => panic!("a 503 is tried again"),
        }
    }
}
