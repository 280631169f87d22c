//! Keeping the API key out of Debug output, error messages, logs and result hosts.
//!
//! Alone in its test binary: `tracing`'s per-callsite interest cache is shared by the process, so
//! a test running beside it on another thread could hide events from this test's subscriber.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use videogen::{Client, Error, Job, Provider};
use videogen_sim::Sim;
use videogen_transport::capture::{CannedResponse, CaptureServer};

/// A `tracing` writer that keeps everything written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_stays_out_of_debug_errors_logs_and_result_hosts() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // The simulator accepts only another key: every call is refused.
    let sim =
        Sim::start(videogen_sim::SimConfig { api_keys: vec!["another-key".into()], ..fast_config() }).await.unwrap();
    let mut messages = Vec::new();
    for provider in Provider::ALL {
        let client = client(&sim, provider);
        messages.push(format!("{client:?}"));
        let err = client.submit(&request(provider)).await.unwrap_err();
        assert!(matches!(err, Error::Auth { status: 401, .. }), "{provider}: {err:?}");
        messages.push(format!("{err}"));
        messages.push(format!("{err:?}"));
    }
    let builder = Client::builder().api_key(Provider::Oxen, KEY);
    messages.push(format!("{builder:?}"));
    messages.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());
    for text in &messages {
        assert!(!text.contains(KEY), "the key leaked into: {text}");
    }
    assert!(messages.last().unwrap().contains("videogen.submit"), "spans were captured");
    sim.stop().await;

    // A result URL on another host gets no Authorization header; the API host does.
    let result_host = CaptureServer::start(CannedResponse {
        status: 200,
        headers: vec![("content-type".into(), "video/mp4".into())],
        body: videogen_sim::FIXTURE_MP4.to_vec(),
    })
    .await;
    let result_url = format!("{}/results/video.mp4?sig=abc", result_host.base_url().replace("127.0.0.1", "localhost"));
    let row = serde_json::json!({
        "generation_id": "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e", "model_name": "m", "media_type": "video",
        "status": "succeeded", "enqueued_at": 1, "result_url": result_url
    });
    let api = CaptureServer::start(CannedResponse::json(200, &row.to_string())).await;
    let client =
        Client::builder().api_key(Provider::Oxen, KEY).base_url(Provider::Oxen, api.base_url()).build().unwrap();
    let job: Job = serde_json::from_value(serde_json::json!({
        "provider": "oxen", "model": "m", "id": "9b2f0f3e-8f4a-4c55-9d0b-6a1f2b3c4d5e", "created_at": "2026-11-21T10:00:00Z"
    }))
    .unwrap();
    let videogen::JobStatus::Succeeded(video) = client.status(&job).await.unwrap() else { panic!("not succeeded") };
    let dir = scratch("secrets");
    client.video(&video).unwrap().download_to(dir.join("v.mp4")).await.unwrap();
    let api_request = api.requests().await.remove(0);
    assert_eq!(api_request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    let result_request = result_host.requests().await.remove(0);
    assert_eq!(result_request.target, "/results/video.mp4?sig=abc");
    assert_eq!(result_request.header("authorization"), None, "no key to a result host");
    assert!(!format!("{video:?}").contains("sig=abc"), "Debug hides the URL's signature");
}
