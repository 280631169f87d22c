//! VideoDB's `callback_url`: the simulator POSTs the finished job's envelope to a loopback URL,
//! `webhook::parse` reads it into the job's status, and the video downloads — with no status
//! poll at all. `Unsupported` on the providers without callbacks.

mod common;

use common::*;
use videogen::{Client, Error, JobStatus, Operation, Provider, VideoRequest, webhook};
use videogen_transport::capture::{CannedResponse, CaptureServer};

#[tokio::test]
async fn a_videodb_callback_is_delivered_and_parsed_without_polling() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let receiver = CaptureServer::start(CannedResponse::json(200, "{}")).await;
    let client = client(&sim, Provider::VideoDb);
    assert!(Client::supports(Provider::VideoDb, Operation::Callback));
    // A token of ours in the URL maps the callback back to the job.
    let token = "line-7";
    let request = VideoRequest::new(Provider::VideoDb, "videodb")
        .prompt("A drone over a city")
        .duration(6)
        .callback_url(format!("{}/hooks/videodb/{token}", receiver.base_url()));
    let job = client.submit(&request).await.unwrap();
    let delivered = first_request(&receiver).await;
    assert_eq!((delivered.method.as_str(), delivered.target.as_str()), ("POST", "/hooks/videodb/line-7"));
    assert_eq!(delivered.header("authorization"), None);
    let headers = headers_of(&delivered);
    let JobStatus::Succeeded(info) = webhook::parse(&job, &headers, &delivered.body).unwrap() else {
        panic!("succeeded: {}", String::from_utf8_lossy(&delivered.body))
    };
    assert_eq!(info.job, job);
    assert!(info.video_id.as_deref().is_some_and(|id| id.starts_with("m-")));
    let dir = scratch("callback");
    client.video(&info).unwrap().download_to(dir.join("v.mp4")).await.unwrap();
    assert_eq!(sha256_file(&dir.join("v.mp4")), sim.result_sha256());
    let counters = sim.counters();
    assert_eq!(counters.requests("videodb.get_async_response"), 0, "no status poll at all");
    assert_eq!(counters.requests("videodb.callback_delivered"), 1);
    let _ = std::fs::remove_dir_all(dir);

    // Bad callbacks are typed errors carrying the job, never a panic.
    let json = {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::CONTENT_TYPE, "application/json".parse().unwrap());
        h
    };
    for body in [&b"<html>"[..], b"", b"[1,2]", b"{\"status\": 5}"] {
        let err = webhook::parse(&job, &json, body).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }) && err.job() == Some(&job), "{body:?}: {err:?}");
    }
    let mut html = reqwest::header::HeaderMap::new();
    html.insert(reqwest::header::CONTENT_TYPE, "text/html".parse().unwrap());
    assert!(matches!(webhook::parse(&job, &html, &delivered.body), Err(Error::Decode { .. })));
    let huge = vec![b' '; webhook::MAX_CALLBACK_BYTES + 1];
    assert!(matches!(webhook::parse(&job, &json, &huge), Err(Error::Decode { .. })));
    let failed = br#"{"success": false, "status": "failed", "message": "Video generation failed", "data": {"error_code": "GENERATION_FAILED"}}"#;
    assert!(
        matches!(webhook::parse(&job, &json, failed), Ok(JobStatus::Failed(e)) if e.code.as_deref() == Some("GENERATION_FAILED"))
    );
}

#[tokio::test]
async fn callbacks_are_refused_where_the_provider_has_none() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    for provider in [Provider::Oxen, Provider::OpenAi, Provider::AiHubMix] {
        assert!(!Client::supports(provider, Operation::Callback));
        let client = client(&sim, provider);
        let err = client.submit(&request(provider).callback_url("https://example.com/hook")).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { status: None, .. }), "{provider}: {err:?}");
        let job = videogen::Job::from_short_form(&format!("{provider}:x")).unwrap();
        let parsed = webhook::parse(&job, &reqwest::header::HeaderMap::new(), b"{}");
        assert!(
            matches!(parsed, Err(Error::Unsupported { operation: videogen::Operation::Callback, .. })),
            "{provider}"
        );
    }
    let videodb = client(&sim, Provider::VideoDb);
    for url in ["http://example.com/hook", "http://localhost.example.com/hook", "ftp://127.0.0.1/hook", "not a url"] {
        let refused = videodb.submit(&request(Provider::VideoDb).callback_url(url)).await;
        assert!(matches!(refused, Err(Error::InvalidRequest { status: None, .. })), "{url}: {refused:?}");
    }
    let counters = sim.counters();
    assert_eq!(counters.jobs_created(videogen_sim::Provider::VideoDb), 0);
    assert_eq!(counters.jobs_created(videogen_sim::Provider::Oxen), 0);
}
