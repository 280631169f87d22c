//! After `Error::OutcomeUnknown` the caller is not alone: the error carries the create's
//! idempotency key and start time, and `Client::find_created` finds the job it made.

mod common;

use common::*;
use videogen::{Error, Provider};
use videogen_sim::{FaultKind, FaultRule, Schedule, Sim, SimConfig};

#[tokio::test]
async fn a_lost_create_carries_its_attempt_and_is_found() {
    for provider in [Provider::Oxen, Provider::OpenAi] {
        let (sim_provider, operation) = match provider {
            Provider::Oxen => (videogen_sim::Provider::Oxen, "enqueue_generation"),
            _ => (videogen_sim::Provider::OpenAi, "createVideo"),
        };
        let rule =
            FaultRule::new(sim_provider, operation, FaultKind::ResetAfterProcessing).schedule(Schedule::First(1));
        let sim = Sim::start(SimConfig { faults: vec![rule], ..fast_config() }).await.unwrap();
        let client = client(&sim, provider);
        let request = request(provider).prompt(format!("a lost create on {provider}"));
        let before = chrono::Utc::now();
        let err = client.submit(&request).await.unwrap_err();
        let Error::OutcomeUnknown { attempt: Some(attempt), .. } = &err else { panic!("{provider}: {err:?}") };
        assert!(attempt.started_at >= before - chrono::Duration::seconds(1), "{attempt:?}");
        assert_eq!(attempt.idempotency_key.len(), 36, "a UUID: {attempt:?}");
        let found = client.find_created(&request, attempt.started_at).await.unwrap();
        assert_eq!(found.len(), 1, "{provider}: the job the lost create made: {found:?}");
        assert_eq!(found[0].job.model, request.model);
        // Another prompt, or a time after the job, finds nothing.
        let other = request.clone().prompt("another prompt");
        assert!(client.find_created(&other, attempt.started_at).await.unwrap().is_empty());
        let later = chrono::Utc::now() + chrono::Duration::minutes(5);
        assert!(client.find_created(&request, later).await.unwrap().is_empty());
        sim.stop().await;
    }
}

/// VideoDB lists videos, not jobs: a lost create's generation is found once it has finished
/// (as its video, whose status reads succeeded), never declared unfindable.
#[tokio::test]
async fn a_lost_videodb_create_is_found_once_its_video_is_finished() {
    let rule = FaultRule::new(videogen_sim::Provider::VideoDb, "generate_video", FaultKind::ResetAfterProcessing)
        .schedule(Schedule::First(1));
    let sim = Sim::start(SimConfig { faults: vec![rule], ..fast_config() }).await.unwrap();
    let client = client(&sim, Provider::VideoDb);
    let request = request(Provider::VideoDb).prompt("a lost VideoDB create");
    let err = client.submit(&request).await.unwrap_err();
    let Error::OutcomeUnknown { attempt: Some(attempt), .. } = &err else { panic!("{err:?}") };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let found = loop {
        let found = client.find_created(&request, attempt.started_at).await.unwrap();
        if !found.is_empty() || std::time::Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(matches!(client.status(&found[0].job).await.unwrap(), videogen::JobStatus::Succeeded(_)));
    let other = request.clone().prompt("another prompt");
    assert!(client.find_created(&other, attempt.started_at).await.unwrap().is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn find_created_says_where_it_cannot_look() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    let shots = videogen::VideoRequest::new(Provider::Oxen, "kling-video-o3-omni").shot("a", 5).shot("b", 5);
    let err = client.find_created(&shots, chrono::Utc::now()).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest { status: None, .. }),
        "a multi-shot request has no prompt to match: {err:?}"
    );
}
