//! Every fault kind does what its docs say, and counters tell creates apart from jobs.

use serde_json::{Value, json};
use std::time::Duration;
use videogen_sim::{FaultKind, FaultRule, Provider, Schedule, Sim, SimConfig};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn sim(faults: Vec<FaultRule>) -> Sim {
    Sim::start(SimConfig {
        queued_for: Duration::from_millis(10),
        processing_for: Duration::from_millis(50),
        faults,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn create(http: &reqwest::Client, sim: &Sim) -> reqwest::RequestBuilder {
    http.post(format!("{}/videos", sim.openai_base_url())).bearer_auth("k").json(&json!({"prompt": "A red balloon"}))
}

#[tokio::test]
async fn rate_limit_and_server_errors_use_the_provider_bodies() {
    let sim = sim(vec![
        FaultRule::new(Provider::OpenAi, "createVideo", FaultKind::RateLimited { retry_after_secs: 3 })
            .schedule(Schedule::First(1)),
        FaultRule::new(Provider::Oxen, "list_queue", FaultKind::ServerError { status: 503 }),
    ])
    .await;
    let http = http();
    let limited = create(&http, &sim).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    assert_eq!(limited.json::<Value>().await.unwrap()["error"]["code"], "rate_limit_exceeded");
    assert_eq!(create(&http, &sim).send().await.unwrap().status(), 200, "first=1 fires once");
    let unavailable = http.get(format!("{}/api/ai/queue", sim.base_url())).bearer_auth("k").send().await.unwrap();
    assert_eq!(unavailable.status(), 503);
    assert_eq!(unavailable.json::<Value>().await.unwrap()["status_message"], "unknown_error");
    let c = sim.counters();
    assert_eq!((c.create_requests(Provider::OpenAi), c.jobs_created(Provider::OpenAi), c.faults_injected), (2, 1, 2));
    sim.stop().await;
}

#[tokio::test]
async fn resets_before_and_after_processing() {
    let sim = sim(vec![
        FaultRule::new(Provider::OpenAi, "createVideo", FaultKind::ResetBeforeResponse)
            .schedule(Schedule::Nth(vec![1])),
        FaultRule::new(Provider::OpenAi, "createVideo", FaultKind::ResetAfterProcessing)
            .schedule(Schedule::Nth(vec![2])),
    ])
    .await;
    let http = http();
    let before = create(&http, &sim).send().await.unwrap_err();
    assert!(!before.is_timeout(), "{before}");
    assert_eq!(sim.counters().jobs_created(Provider::OpenAi), 0, "reset before: nothing was created");
    let after = create(&http, &sim).header("idempotency-key", "k-2").send().await.unwrap_err();
    assert!(!after.is_timeout(), "{after}");
    let c = sim.counters();
    assert_eq!(c.jobs_created(Provider::OpenAi), 1, "reset after: the job exists although no answer came");
    assert_eq!(c.create_requests(Provider::OpenAi), 2);
    assert_eq!(c.creates_by_idempotency_key["k-2"], 1);
    let list: Value = http
        .get(format!("{}/videos", sim.openai_base_url()))
        .bearer_auth("k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "the create that lost its answer is listed");
    sim.stop().await;
}

#[tokio::test]
async fn stalled_truncated_and_malformed_bodies() {
    let sim = sim(vec![
        FaultRule::new(Provider::OpenAi, "ListVideos", FaultKind::StallBody).schedule(Schedule::Nth(vec![1])),
        FaultRule::new(Provider::OpenAi, "ListVideos", FaultKind::TruncatedBody).schedule(Schedule::Nth(vec![2])),
        FaultRule::new(Provider::OpenAi, "ListVideos", FaultKind::MalformedJson).schedule(Schedule::Nth(vec![3])),
    ])
    .await;
    let http = http();
    let list = || http.get(format!("{}/videos", sim.openai_base_url())).bearer_auth("k");
    let stalled = list().send().await.unwrap();
    assert_eq!(stalled.status(), 200);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), stalled.bytes()).await.is_err(),
        "the body never completes"
    );
    let truncated = list().send().await.unwrap();
    assert!(truncated.bytes().await.is_err(), "the body ends before Content-Length");
    let malformed = list().send().await.unwrap();
    assert_eq!(malformed.status(), 200);
    assert!(serde_json::from_slice::<Value>(&malformed.bytes().await.unwrap()).is_err());
    assert_eq!(list().send().await.unwrap().status(), 200, "the fourth request is clean");
    sim.stop().await;
}

async fn wait_terminal(http: &reqwest::Client, url: &str, auth: (&str, &str)) -> (u16, Value) {
    for _ in 0..200 {
        let r = http.get(url).header(auth.0, auth.1).send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        let s = body["status"].as_str().unwrap_or_default();
        if status != 200 || ["succeeded", "failed", "cancelled", "completed", "done"].contains(&s) {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{url} never finished");
}

#[tokio::test]
async fn failed_and_content_policy_jobs_per_provider() {
    let sim = sim(vec![
        FaultRule::new(Provider::OpenAi, "createVideo", FaultKind::ContentPolicy).schedule(Schedule::Nth(vec![1])),
        FaultRule::new(Provider::OpenAi, "createVideo", FaultKind::JobFails).schedule(Schedule::Nth(vec![2])),
        FaultRule::new(Provider::Oxen, "enqueue_generation", FaultKind::ContentPolicy),
        FaultRule::new(Provider::VideoDb, "generate_video", FaultKind::JobFails),
    ])
    .await;
    let http = http();
    let bearer = ("authorization", "Bearer k");
    for expected in ["moderation_blocked", "internal_error"] {
        let v: Value = create(&http, &sim).send().await.unwrap().json().await.unwrap();
        let (_, done) =
            wait_terminal(&http, &format!("{}/videos/{}", sim.openai_base_url(), v["id"].as_str().unwrap()), bearer)
                .await;
        assert_eq!((done["status"].as_str(), done["error"]["code"].as_str()), (Some("failed"), Some(expected)));
    }
    let q: Value = http
        .post(format!("{}/api/ai/queue", sim.base_url()))
        .bearer_auth("k")
        .json(&json!({"model": "kling-video-v2-6-pro-text-to-video", "prompt": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = q["generations"][0]["generation_id"].as_str().unwrap();
    let (_, row) = wait_terminal(&http, &format!("{}/api/ai/queue/{id}", sim.base_url()), bearer).await;
    assert_eq!(row["status"], "failed");
    assert!(row["error_message"].as_str().unwrap().contains("content policy"));
    let g: Value = http
        .post(format!("{}/collection/default/generate/video/", sim.base_url()))
        .header("x-access-token", "k")
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, result) = wait_terminal(&http, g["data"]["output_url"].as_str().unwrap(), ("x-access-token", "k")).await;
    assert_eq!((result["success"].as_bool(), result["status"].as_str()), (Some(false), Some("failed")));
    sim.stop().await;
}

#[tokio::test]
async fn finished_jobs_can_be_gone_and_results_expire() {
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(10),
        processing_for: Duration::from_millis(30),
        result_ttl: Duration::from_millis(200),
        faults: vec![FaultRule::new(Provider::OpenAi, "GetVideo", FaultKind::GoneWhenFinished)],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = http();
    let v: Value = create(&http, &sim).send().await.unwrap().json().await.unwrap();
    let url = format!("{}/videos/{}", sim.openai_base_url(), v["id"].as_str().unwrap());
    let (status, body) = wait_terminal(&http, &url, ("authorization", "Bearer k")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("video_not_found")));
    let content = format!("{url}/content");
    assert_eq!(http.get(&content).bearer_auth("k").send().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let expired = http.get(&content).bearer_auth("k").send().await.unwrap();
    assert_eq!(expired.status(), 404);
    assert_eq!(expired.json::<Value>().await.unwrap()["error"]["code"], "video_expired");
    sim.stop().await;
}

#[tokio::test]
async fn truncated_download_resumes_with_range_to_the_right_bytes() {
    let size = 1 << 20;
    let sim = Sim::start(SimConfig {
        queued_for: Duration::ZERO,
        processing_for: Duration::ZERO,
        result_size: Some(size),
        faults: vec![FaultRule::new(Provider::Oxen, "download", FaultKind::TruncatedBody).schedule(Schedule::First(1))],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = http();
    let q: Value = http
        .post(format!("{}/api/ai/queue", sim.base_url()))
        .bearer_auth("k")
        .json(&json!({"model": "kling-video-v2-6-pro-text-to-video", "prompt": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = q["generations"][0]["generation_id"].as_str().unwrap();
    let (_, row) =
        wait_terminal(&http, &format!("{}/api/ai/queue/{id}", sim.base_url()), ("authorization", "Bearer k")).await;
    let url = row["result_url"].as_str().unwrap();

    use futures::StreamExt;
    let first = http.get(url).send().await.unwrap();
    assert_eq!(first.content_length(), Some(size));
    let mut got = Vec::new();
    let mut stream = first.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        got.extend_from_slice(&chunk);
    }
    assert!((got.len() as u64) < size, "the first download is cut");
    let rest = http.get(url).header("range", format!("bytes={}-", got.len())).send().await.unwrap();
    assert_eq!(rest.status(), 206);
    got.extend_from_slice(&rest.bytes().await.unwrap());
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(&got).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, sim.result_sha256());
    sim.stop().await;
}

#[tokio::test]
async fn ten_thousand_concurrent_jobs_are_held_and_finish() {
    let sim = Sim::start(SimConfig {
        queued_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(200),
        finished_job_cap: 20_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let http = http();
    let base = sim.openai_base_url();
    let ids: Vec<String> = futures::stream::iter(0..10_000)
        .map(|i| {
            let http = http.clone();
            let base = base.clone();
            async move {
                let v: Value = http
                    .post(format!("{base}/videos"))
                    .bearer_auth("k")
                    .json(&json!({"prompt": format!("job {i}")}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                v["id"].as_str().unwrap().to_string()
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    use futures::StreamExt;
    assert_eq!(sim.jobs_held(), 10_000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last: Value = http
        .get(format!("{base}/videos/{}", ids.last().unwrap()))
        .bearer_auth("k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(last["status"], "completed");
    assert_eq!(sim.counters().jobs_created(Provider::OpenAi), 10_000);
    sim.stop().await;
}
