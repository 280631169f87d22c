//! Replicate through the facade, against the simulator: the whole flow, the model's published
//! input schema checked before paying, cancel, server-side deadlines (`Cancel-After`), cursor
//! pages, and signed webhooks (Standard Webhooks) verified end to end and refused when forged,
//! replayed, stale or oversized.

mod common;

use common::*;
use reqwest::header::{HeaderMap, HeaderValue};
use std::time::Duration;
use videogen::webhook::{Rejection, Verifier};
use videogen::{Client, Error, JobStatus, Operation, Provider, VideoRequest, webhook};
use videogen_sim::{Sim, SimConfig};
use videogen_transport::capture::{CannedResponse, CaptureServer};

const P: Provider = Provider::Replicate;
const SIM: videogen_sim::Provider = videogen_sim::Provider::Replicate;

#[tokio::test]
async fn a_replicate_video_is_made_waited_for_and_downloaded() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, P);
    let dir = scratch("replicate-flow");
    let request =
        VideoRequest::new(P, "kwaivgi/kling-v3-video").prompt("A red balloon").duration(5).aspect_ratio("9:16");
    let job = client.submit(&request).await.unwrap();
    assert_eq!((job.provider, job.model.as_str()), (P, "kwaivgi/kling-v3-video"));
    let video = client.wait(&job, policy()).await.unwrap();
    assert!(video.info().expires_at.is_some(), "Replicate keeps outputs an hour: {:?}", video.info());
    let file = video.download_to(dir.join("balloon.mp4")).await.unwrap();
    assert_eq!(sha256_file(&file.path), sim.result_sha256());

    // A second submit to the same model reads its published schema no more.
    client.submit(&request).await.unwrap();
    let counters = sim.counters();
    assert_eq!(counters.requests("replicate.get_model"), 1, "the model's schema is read once per client");
    assert_eq!(counters.jobs_created(SIM), 2);

    // The published schema refuses what the catalogue cannot know, before anything is sent.
    let bad = request.clone().extra("negative_prompt", serde_json::json!(5));
    let err = client.submit(&bad).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { status: None, .. }), "{err:?}");
    assert!(err.to_string().contains("negative_prompt"), "{err}");
    // And the catalogue's rules (kling-v2.5-turbo-pro: 5 or 10 seconds) before even that.
    let err = client.submit(&VideoRequest::new(P, "kwaivgi/kling-v2.5-turbo-pro").prompt("x").duration(7)).await;
    assert!(matches!(err, Err(Error::InvalidRequest { status: None, .. })), "{err:?}");
    assert_eq!(sim.counters().create_requests(SIM), 2, "refused requests were never sent");

    // A model Replicate does not know is its 404, typed; a malformed id never leaves.
    let err = client.submit(&VideoRequest::new(P, "nobody/no-such-video").prompt("x")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. } | Error::ModelNotFound { .. }), "{err:?}");
    let err = client.submit(&VideoRequest::new(P, "kling").prompt("x")).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { status: None, .. }), "{err:?}");

    // The catalogue's models, each looked up live with its published input schema.
    let models = client.models(P, None).await.unwrap();
    assert_eq!(models.len(), 4, "{models:?}");
    assert!(models.iter().all(|m| m.listed && m.request_schema.is_some()), "{models:?}");
    sim.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_replicate_job_is_cancelled_and_lists_come_in_cursor_pages() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, P);
    assert!(Client::supports(P, Operation::Cancel));
    let slow = client.submit(&VideoRequest::new(P, "videogen-sim/slow-video").prompt("A slow balloon")).await.unwrap();
    client.cancel(&slow).await.unwrap();
    assert_eq!(client.status(&slow).await.unwrap(), JobStatus::Cancelled);
    let err = client.wait(&slow, policy()).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");

    // 104 more predictions: two pages of 100 and one of 5, newest first.
    for i in 0..104 {
        client.submit(&request(P).prompt(format!("balloon {i}"))).await.unwrap();
    }
    let rows = client.list_with(P, &videogen::ListOptions { limit: 1000, collection: None }).await.unwrap();
    assert_eq!(rows.len(), 105);
    assert_eq!(rows[0].prompt.as_deref(), Some("balloon 103"));
    assert_eq!(rows.last().unwrap().job.id, slow.id);
    assert_eq!(sim.counters().requests("replicate.list_predictions"), 2);
    let few = client.list_with(P, &videogen::ListOptions { limit: 3, collection: None }).await.unwrap();
    assert_eq!(few.len(), 3);
    sim.stop().await;
}

/// `cancel_after` has the provider stop a job nobody will wait for: `Cancel-After` on the
/// create (whole seconds, at least 5). Running at its deadline, the job ends `canceled`; still
/// queued, `aborted` (never ran, not billed). Providers without a deadline refuse the request.
#[tokio::test]
async fn a_deadline_stops_the_job_at_the_provider() {
    let running = Sim::start(fast_config()).await.unwrap();
    let queued = Sim::start(SimConfig { queued_for: Duration::from_secs(60), ..fast_config() }).await.unwrap();
    let request =
        VideoRequest::new(P, "videogen-sim/slow-video").prompt("A slow balloon").cancel_after(Duration::from_secs(3));
    let (a, b) = (client(&running, P), client(&queued, P));
    let (ran, waited) = tokio::join!(a.submit(&request), b.submit(&request));
    let (ran, waited) = (ran.unwrap(), waited.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(matches!(a.status(&ran).await.unwrap(), JobStatus::Running { .. }));
    tokio::time::sleep(Duration::from_millis(5300)).await;
    assert_eq!(a.status(&ran).await.unwrap(), JobStatus::Cancelled, "cut at 5 s (3 s asked, 5 s the least)");
    assert_eq!(b.status(&waited).await.unwrap(), JobStatus::Aborted);
    assert_eq!(running.counters().requests("replicate.deadline_cancels"), 1);
    assert_eq!(queued.counters().requests("replicate.deadline_cancels"), 1);

    let oxen = client(&running, Provider::Oxen);
    let refused = oxen.submit(&request_with_deadline(Provider::Oxen)).await;
    assert!(matches!(refused, Err(Error::InvalidRequest { status: None, .. })), "{refused:?}");
    running.stop().await;
    queued.stop().await;
}

fn request_with_deadline(provider: Provider) -> VideoRequest {
    request(provider).cancel_after(Duration::from_secs(60))
}

/// Standard Webhooks' published vectors (standard-webhooks: libraries/python/tests
/// test_webhooks.py `test_sign_function`; libraries/rust/src/lib.rs `test_sign`).
#[test]
fn the_standard_webhooks_test_vectors_verify() {
    let a = Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let body = br#"{"test": 2432232314}"#;
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    assert!(a.check_signature(id, 1_614_265_330, body, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    // One character off, another id, another time, another body: no.
    assert!(!a.check_signature(id, 1_614_265_330, body, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="));
    assert!(!a.check_signature("msg_other", 1_614_265_330, body, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    assert!(!a.check_signature(id, 1_614_265_331, body, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    assert!(!a.check_signature(id, 1_614_265_330, b"{}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    // Several signatures in one header (a key rotation): any valid v1 entry passes; other
    // versions and garbage are ignored.
    assert!(a.check_signature(
        id,
        1_614_265_330,
        body,
        "v2,abc v1,bm90IGl0 v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= junk"
    ));
    assert!(!a.check_signature(id, 1_614_265_330, body, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));

    let b = Verifier::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    assert!(b.check_signature(
        "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        1_649_367_553,
        br#"{"email":"test@example.com","username":"test_user"}"#,
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    ));
    for bad in ["whsec_", "whsec_***", "", "not base64!"] {
        assert!(matches!(Verifier::new(bad), Err(Error::Config { .. })), "{bad:?}");
    }
}

/// The simulator signs and delivers a prediction's webhooks; the verifier checks one and reads
/// the job and its status from it, then refuses it replayed, forged, stale or oversized — each
/// with its typed reason — and never panics on what a sender controls.
#[tokio::test]
async fn a_signed_webhook_is_verified_end_to_end_and_forgeries_are_refused() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let receiver = CaptureServer::start(CannedResponse::json(200, "{}")).await;
    let client = client(&sim, P);
    let request =
        request(P).callback_url(format!("{}/hooks/replicate", receiver.base_url())).webhook_events(["completed"]);
    let job = client.submit(&request).await.unwrap();
    let delivered = first_request(&receiver).await;
    assert_eq!(delivered.header("authorization"), None, "no key goes to a webhook");
    let headers = headers_of(&delivered);
    let verifier = Verifier::new(videogen_sim::DEFAULT_WEBHOOK_SECRET).unwrap();
    let delivery = verifier.verify(P, &headers, &delivered.body).unwrap();
    assert_eq!(delivery.job.id, job.id);
    assert_eq!(delivery.message_id, delivered.header("webhook-id").unwrap());
    let JobStatus::Succeeded(info) = delivery.status else { panic!("{:?}", delivery.status) };
    let dir = scratch("replicate-webhook");
    client.video(&info).unwrap().download_to(dir.join("v.mp4")).await.unwrap();
    assert_eq!(sha256_file(&dir.join("v.mp4")), sim.result_sha256());
    let _ = std::fs::remove_dir_all(dir);
    assert_eq!(sim.counters().requests("replicate.webhook_delivered"), 1);

    let rejected = |result: videogen::Result<webhook::Delivery>| match result {
        Err(Error::WebhookRejected { provider: Provider::Replicate, reason }) => reason,
        other => panic!("{other:?}"),
    };
    // The same message again: a replay.
    assert!(matches!(rejected(verifier.verify(P, &headers, &delivered.body)), Rejection::Replayed { .. }));
    // Once forgotten (the handler failed), the redelivery is taken again.
    verifier.forget(&delivery.message_id);
    assert!(verifier.verify(P, &headers, &delivered.body).is_ok());
    // A body changed in flight (a forged result URL): the signature no longer matches.
    let fresh = Verifier::new(videogen_sim::DEFAULT_WEBHOOK_SECRET).unwrap();
    let forged = String::from_utf8(delivered.body.clone()).unwrap().replace("http://localhost", "https://evil.example");
    assert_ne!(forged.as_bytes(), &delivered.body[..]);
    assert_eq!(rejected(fresh.verify(P, &headers, forged.as_bytes())), Rejection::BadSignature);
    // Signed with another secret.
    let other = Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(rejected(other.verify(P, &headers, &delivered.body)), Rejection::BadSignature);
    // Stale, or from the future, beyond 5 minutes.
    let sent: i64 = delivered.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!(matches!(
        rejected(fresh.verify_at(P, &headers, &delivered.body, sent + 301)),
        Rejection::OutsideTolerance { skew_seconds: 301 }
    ));
    assert!(matches!(
        rejected(fresh.verify_at(P, &headers, &delivered.body, sent - 301)),
        Rejection::OutsideTolerance { skew_seconds: -301 }
    ));
    // Oversized, or missing a header, or a timestamp that is not a number.
    let huge = vec![b' '; webhook::MAX_CALLBACK_BYTES + 1];
    assert!(matches!(rejected(fresh.verify(P, &headers, &huge)), Rejection::TooLarge { .. }));
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut cut = headers.clone();
        cut.remove(name);
        assert_eq!(rejected(fresh.verify(P, &cut, &delivered.body)), Rejection::MissingHeader(name));
    }
    let mut garbled = headers.clone();
    garbled.insert("webhook-timestamp", HeaderValue::from_static("yesterday"));
    assert_eq!(rejected(fresh.verify(P, &garbled, &delivered.body)), Rejection::BadTimestamp);
    // Only Replicate signs its webhooks.
    assert!(matches!(fresh.verify(Provider::VideoDb, &headers, &delivered.body), Err(Error::Unsupported { .. })));
    sim.stop().await;
}

/// A receiver that keeps failing gets the same message again, with the same `webhook-id`.
#[tokio::test]
async fn a_failed_delivery_is_sent_again_with_the_same_id() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let receiver = CaptureServer::start(CannedResponse::json(500, "{}")).await;
    let client = client(&sim, P);
    let request =
        request(P).callback_url(format!("{}/hooks/replicate", receiver.base_url())).webhook_events(["completed"]);
    client.submit(&request).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while sim.counters().requests("replicate.webhook_failed") == 0 {
        assert!(tokio::time::Instant::now() < deadline, "{:?}", sim.counters().requests);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = receiver.requests().await;
    assert_eq!(got.len(), 4, "the first try and 3 more");
    let ids: std::collections::BTreeSet<_> = got.iter().map(|r| r.header("webhook-id").unwrap().to_string()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(sim.counters().requests("replicate.webhook_redelivered"), 3);
    sim.stop().await;
}

/// VideoDB's callbacks are unsigned: a forged "done" naming another video is only a hint; the
/// confirmed status is the provider's, and the forger's URL is never the result.
#[tokio::test]
async fn a_forged_unsigned_callback_never_becomes_the_result() {
    let sim = Sim::start(SimConfig { processing_for: Duration::from_secs(30), ..fast_config() }).await.unwrap();
    let client = client(&sim, Provider::VideoDb);
    let job = client.submit(&request(Provider::VideoDb)).await.unwrap();
    let forged =
        br#"{"success":true,"status":"done","data":{"id":"m-evil","stream_url":"https://evil.example/v.mp4"}}"#;
    let mut json = HeaderMap::new();
    json.insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Read alone, the body claims success with the forger's URL...
    assert!(matches!(webhook::parse(&job, &json, forged), Ok(JobStatus::Succeeded(_))));
    // ...confirmed, it is what VideoDB says: still running.
    let confirmed = client.confirm_callback(&job, &json, forged).await.unwrap();
    assert!(matches!(confirmed, JobStatus::Queued | JobStatus::Running { .. }), "{confirmed:?}");
    assert!(sim.counters().requests("videodb.get_async_response") >= 1);
    sim.stop().await;
}
