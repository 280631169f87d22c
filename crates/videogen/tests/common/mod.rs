//! Helpers shared by the facade's integration tests: a simulator, a client pointed at it, a
//! scratch folder, file hashing.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;
use videogen::{Client, Provider, RetryPolicy, VideoRequest, WaitPolicy};
use videogen_sim::{Sim, SimConfig};

pub const KEY: &str = "sk-videogen-test-0123456789";

/// A quick simulator that still serves the models their providers shut down: these tests hold
/// the wire shapes those models had (Sora's body and variants on AIHubMix, which gateways still
/// speak; Oxen.ai multi-shot). Retirement itself is `tests/retirement.rs`'s, against the default
/// simulator.
pub fn fast_config() -> SimConfig {
    SimConfig {
        queued_for: Duration::from_millis(20),
        processing_for: Duration::from_millis(80),
        serve_retired_models: true,
        ..SimConfig::default()
    }
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 4,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

/// A client of `provider` on `sim` that lets retired models through (see [`fast_config`]).
pub fn client(sim: &Sim, provider: Provider) -> Client {
    Client::builder()
        .allow_retired_models(true)
        .api_key(provider, KEY)
        .base_url(provider, base_url(sim, provider))
        .retry(fast_retry())
        .stall_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_millis(1500))
        .build()
        .unwrap()
}

pub fn base_url(sim: &Sim, provider: Provider) -> String {
    match provider {
        Provider::OpenAi => sim.openai_base_url(),
        Provider::AiHubMix => sim.aihubmix_base_url(),
        Provider::Oxen | Provider::VideoDb => sim.base_url(),
        Provider::Replicate => sim.base_url_for(videogen_sim::Provider::Replicate),
    }
}

pub fn policy() -> WaitPolicy {
    WaitPolicy::every(Duration::from_millis(20), Duration::from_secs(20))
}

/// A request every provider's simulator accepts.
pub fn request(provider: Provider) -> VideoRequest {
    match provider {
        Provider::Oxen => {
            VideoRequest::new(provider, "kling-video-v2-6-pro-text-to-video").prompt("A red balloon").duration(5)
        }
        Provider::VideoDb => VideoRequest::new(provider, "videodb").prompt("A drone over a city").duration(6),
        Provider::AiHubMix => VideoRequest::new(provider, "sora-2").prompt("A red balloon").duration(4),
        Provider::OpenAi => VideoRequest::new(provider, "gateway-video-model").prompt("A red balloon").duration(8),
        Provider::Replicate => {
            VideoRequest::new(provider, "kwaivgi/kling-v3-video").prompt("A red balloon").duration(5)
        }
    }
}

/// A fresh scratch folder under the system temp dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("videogen-test-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap();
    sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The names in `dir` (to prove no partial file was left behind).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The first request a capture listener received (a callback or webhook the simulator sent),
/// waited for up to 10 s.
pub async fn first_request(
    receiver: &videogen_transport::capture::CaptureServer,
) -> videogen_transport::capture::CapturedRequest {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(r) = receiver.requests().await.into_iter().next() {
            return r;
        }
        assert!(tokio::time::Instant::now() < deadline, "no callback or webhook within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A captured request's headers as a `HeaderMap` (what a web server hands its handler).
pub fn headers_of(request: &videogen_transport::capture::CapturedRequest) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    for (k, v) in &request.headers {
        if let (Ok(k), Ok(v)) =
            (reqwest::header::HeaderName::from_bytes(k.as_bytes()), reqwest::header::HeaderValue::from_str(v))
        {
            headers.append(k, v);
        }
    }
    headers
}
