//! Oxen.ai's completion events (`GET /api/events`): a wait learns of the end from the stream
//! the client opened before its create, with no status poll, counted by the simulator; a lost
//! stream is reopened and the job polled once; a stream that is not served leaves polling.

mod common;

use common::*;
use std::time::Duration;
use videogen::{Error, Provider, WaitPolicy};
use videogen_sim::{FaultKind, FaultRule, Schedule, Sim, SimConfig};

fn slow_config(processing: Duration) -> SimConfig {
    SimConfig { queued_for: Duration::from_millis(50), processing_for: processing, ..SimConfig::default() }
}

/// Polls every 100 ms unless push says otherwise.
fn eager_policy() -> WaitPolicy {
    WaitPolicy::every(Duration::from_millis(100), Duration::from_secs(30))
}

#[tokio::test]
async fn a_pushed_completion_ends_the_wait_without_a_status_poll() {
    let sim = Sim::start(slow_config(Duration::from_millis(1500))).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    let jobs = client.submit_many(&request(Provider::Oxen).num_generations(2)).await.unwrap();
    assert_eq!(jobs.len(), 2);
    let dir = scratch("push");
    for (i, job) in jobs.iter().enumerate() {
        let video = client.wait(job, eager_policy()).await.unwrap();
        assert_eq!(video.job, *job);
        // The event carries no cost; the generation history does (one read).
        assert_eq!(video.cost.as_ref().map(|c| c.amount.to_string()), Some("0.35".into()));
        let path = dir.join(format!("{i}.mp4"));
        video.download_to(&path).await.unwrap();
        assert_eq!(sha256_file(&path), sim.result_sha256());
    }
    let counters = sim.counters();
    assert_eq!(counters.requests("oxen.get_queue_generation"), 0, "no status poll at all");
    assert_eq!(counters.requests("oxen.events"), 1, "one stream for all of the client's jobs");
    assert_eq!(counters.requests("oxen.event_sent"), 2);
    assert_eq!(counters.requests("oxen.get_generation"), 2, "one cost read per finished job");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_pushed_failure_ends_the_wait_with_the_providers_reason() {
    let sim = Sim::start(slow_config(Duration::from_millis(300))).await.unwrap();
    sim.set_faults(vec![FaultRule::new(videogen_sim::Provider::Oxen, "enqueue_generation", FaultKind::JobFails)]);
    let client = client(&sim, Provider::Oxen);
    let job = client.submit(&request(Provider::Oxen)).await.unwrap();
    match client.wait(&job, eager_policy()).await {
        Err(Error::JobFailed { job: failed, error }) => {
            assert_eq!(*failed, job);
            assert!(error.message.contains("failed to generate"), "{}", error.message);
        }
        other => panic!("expected JobFailed, got {other:?}"),
    }
    assert_eq!(sim.counters().requests("oxen.get_queue_generation"), 0);
}

#[tokio::test]
async fn a_lost_stream_is_reopened_and_the_job_polled_once_then_pushed() {
    // The first stream closes as soon as it opened: the job's cover is lost, so the wait polls
    // (every 100 ms) until the client has reconnected (0.5–0.8 s), then once more under the new
    // stream, and then only the event ends it. Polling alone would take about 30 polls.
    let sim = Sim::start(slow_config(Duration::from_secs(3))).await.unwrap();
    sim.set_faults(vec![
        FaultRule::new(videogen_sim::Provider::Oxen, "events", FaultKind::ResetAfterProcessing)
            .schedule(Schedule::First(1)),
    ]);
    let client = client(&sim, Provider::Oxen);
    let job = client.submit(&request(Provider::Oxen)).await.unwrap();
    let started = std::time::Instant::now();
    client.wait(&job, eager_policy()).await.unwrap();
    let counters = sim.counters();
    let polls = counters.requests("oxen.get_queue_generation");
    assert_eq!(counters.requests("oxen.events"), 2, "reopened once");
    assert!((1..=15).contains(&polls), "polled while the stream was down, then not: {polls} polls");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_stream_that_keeps_failing_leaves_polling_as_it_was() {
    let sim = Sim::start(slow_config(Duration::from_millis(600))).await.unwrap();
    sim.set_faults(vec![FaultRule::new(
        videogen_sim::Provider::Oxen,
        "events",
        FaultKind::ServerError { status: 503 },
    )]);
    let client = client(&sim, Provider::Oxen);
    let job = client.submit(&request(Provider::Oxen)).await.unwrap();
    client.wait(&job, eager_policy()).await.unwrap();
    let counters = sim.counters();
    assert!(counters.requests("oxen.get_queue_generation") >= 2, "polled");
    assert!(counters.requests("oxen.events") >= 1);
}

#[tokio::test]
async fn push_can_be_turned_off_per_client_and_per_wait() {
    let sim = Sim::start(slow_config(Duration::from_millis(300))).await.unwrap();
    let off = videogen::Client::builder()
        .api_key(Provider::Oxen, KEY)
        .base_url(Provider::Oxen, sim.base_url())
        .push_events(false)
        .build()
        .unwrap();
    let job = off.submit(&request(Provider::Oxen)).await.unwrap();
    off.wait(&job, eager_policy()).await.unwrap();
    assert_eq!(sim.counters().requests("oxen.events"), 0, "no stream opened");
    assert!(sim.counters().requests("oxen.get_queue_generation") >= 1);

    let on = client(&sim, Provider::Oxen);
    let job = on.submit(&request(Provider::Oxen)).await.unwrap();
    let before = sim.counters().requests("oxen.get_queue_generation");
    on.wait(&job, WaitPolicy { push: false, ..eager_policy() }).await.unwrap();
    assert!(sim.counters().requests("oxen.get_queue_generation") > before, "this wait polled");
}

#[tokio::test]
async fn a_job_from_another_process_is_polled_first_then_pushed() {
    // A handle stored by another process: its completion may have come before this client
    // connected, so the wait polls once, then waits for the event.
    let sim = Sim::start(slow_config(Duration::from_secs(2))).await.unwrap();
    let job = {
        let other = client(&sim, Provider::Oxen);
        other.submit(&request(Provider::Oxen)).await.unwrap()
    };
    let client = client(&sim, Provider::Oxen);
    client.wait(&job, eager_policy()).await.unwrap();
    let polls = sim.counters().requests("oxen.get_queue_generation");
    assert!((1..=3).contains(&polls), "one poll (or a couple while connecting), then the event: {polls}");
}

/// A stream that stays connected but never carries the job's event (keep-alives only, as when
/// an unbuffered stream drops it): the safety poll, a quarter of the deadline here, finds the
/// finished job long before the deadline.
#[tokio::test]
async fn a_stream_that_drops_the_event_is_backed_by_polls_scaled_to_the_deadline() {
    let rule = FaultRule::new(videogen_sim::Provider::Oxen, "events", FaultKind::StallBody);
    let sim = Sim::start(SimConfig { faults: vec![rule], ..slow_config(Duration::from_millis(500)) }).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    let job = client.submit(&request(Provider::Oxen)).await.unwrap();
    let started = std::time::Instant::now();
    let video = client.wait(&job, WaitPolicy::every(Duration::from_millis(100), Duration::from_secs(8))).await;
    assert!(video.is_ok(), "{video:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "found by a safety poll, not at the deadline");
    assert!(sim.counters().requests("oxen.get_queue_generation") >= 1);
}

/// Every wait reads the status once more before it reports a timeout: a job that finished after
/// the last poll is found, not reported as unfinished.
#[tokio::test]
async fn a_wait_looks_once_more_before_it_gives_up() {
    let config = SimConfig {
        queued_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(300),
        openai_poll_after_ms: None,
        ..SimConfig::default()
    };
    let sim = Sim::start(config).await.unwrap();
    let client = client(&sim, Provider::OpenAi);
    let job = client.submit(&request(Provider::OpenAi)).await.unwrap();
    // Polled at once (queued), then not again before the 1.5 s deadline: the last look finds it.
    let policy = WaitPolicy::every(Duration::from_secs(10), Duration::from_millis(1500));
    let video = client.wait(&job, policy).await;
    assert!(video.is_ok(), "{video:?}");
    assert_eq!(sim.counters().requests("openai.GetVideo"), 2, "the first poll and the last look");
    // Still unfinished at the last look: a timeout that names the status it read.
    let slow = Sim::start(SimConfig { processing_for: Duration::from_secs(30), ..SimConfig::default() }).await.unwrap();
    let client = common::client(&slow, Provider::OpenAi);
    let job = client.submit(&request(Provider::OpenAi)).await.unwrap();
    let err =
        client.wait(&job, WaitPolicy::every(Duration::from_secs(10), Duration::from_millis(800))).await.unwrap_err();
    assert!(matches!(&err, Error::Timeout { last_status, .. } if last_status != "unknown"), "{err:?}");
}
