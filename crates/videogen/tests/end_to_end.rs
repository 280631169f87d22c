//! Per provider, against videogen-sim: submit, wait, download; the file's sha256 equals the sim's.

mod common;

use common::*;
use futures::StreamExt;
use std::time::Duration;
use videogen::{Client, Error, ImageInput, Provider, VideoRequest, WaitEvent};
use videogen_sim::{Sim, SimConfig};

#[tokio::test]
async fn submit_wait_download_on_every_provider() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let dir = scratch("e2e");
    for provider in Provider::ALL {
        let client = client(&sim, provider);
        let job = client.submit(&request(provider)).await.unwrap_or_else(|e| panic!("{provider}: {e}"));
        assert_eq!(job.provider, provider);
        let video = client.wait(&job, policy()).await.unwrap_or_else(|e| panic!("{provider}: {e}"));
        let path = dir.join(format!("{provider}.mp4"));
        let download = video.download_to(&path).await.unwrap_or_else(|e| panic!("{provider}: {e}"));
        assert_eq!(download.bytes, videogen_sim::FIXTURE_MP4.len() as u64);
        assert_eq!(sha256_file(&path), sim.result_sha256(), "{provider}");
    }
    assert_eq!(files_in(&dir), ["aihubmix.mp4", "openai.mp4", "oxen.mp4", "replicate.mp4", "videodb.mp4"]);
    let counters = sim.counters();
    assert_eq!(counters.create_requests(videogen_sim::Provider::Oxen), 1);
    assert_eq!(counters.create_requests(videogen_sim::Provider::VideoDb), 1);
    assert_eq!(counters.create_requests(videogen_sim::Provider::OpenAi), 1);
    assert_eq!(counters.create_requests(videogen_sim::Provider::AiHubMix), 1);
    assert_eq!(counters.create_requests(videogen_sim::Provider::Replicate), 1);
    sim.stop().await;
}

#[tokio::test]
async fn large_results_and_oxen_sync_in_both_formats() {
    let size = 3 << 20;
    let sim = Sim::start(SimConfig { result_size: Some(size), ..fast_config() }).await.unwrap();
    let dir = scratch("sync");
    let client = client(&sim, Provider::Oxen);
    let url = client.generate_now(&request(Provider::Oxen)).await.unwrap();
    assert!(url.url().is_some());
    // Progress: a first report, pieces in order with the total, a last one once in place.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<videogen::DownloadProgress>::new()));
    let sink = seen.clone();
    url.on_progress(move |p| sink.lock().unwrap().push(p)).download_to(dir.join("url.mp4")).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!((seen[0].bytes, seen[0].done), (0, false), "{:?}", &seen[..2]);
    assert!(seen.len() > 10, "a report per piece of a 3 MiB body: {}", seen.len());
    assert!(seen.windows(2).all(|w| w[0].bytes <= w[1].bytes), "bytes only grow");
    assert!(seen[1..].iter().all(|p| p.total == Some(size)), "the total from Content-Length");
    let last = seen.last().unwrap();
    assert_eq!((last.bytes, last.done), (size, true));
    assert_eq!(seen.iter().filter(|p| p.done).count(), 1);
    let inline =
        client.generate_now(&request(Provider::Oxen).extra("response_format", "b64_json".into())).await.unwrap();
    assert!(inline.url().is_none());
    let d = inline.download_to(dir.join("b64.mp4")).await.unwrap();
    assert_eq!(d.bytes, size);
    assert_eq!(sha256_file(&dir.join("url.mp4")), sim.result_sha256());
    assert_eq!(sha256_file(&dir.join("b64.mp4")), sim.result_sha256());
    sim.stop().await;
}

#[tokio::test]
async fn local_reference_image_goes_multipart_and_veo_is_shaped() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let dir = scratch("multipart");
    let image = dir.join("first_frame.png");
    std::fs::write(&image, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let client = client(&sim, Provider::AiHubMix);
    let sora = VideoRequest::new(Provider::AiHubMix, "sora-2")
        .prompt("A red balloon")
        .duration(4)
        .image(ImageInput::File(image));
    let job = client.submit(&sora).await.unwrap();
    client.wait(&job, policy()).await.unwrap();
    // The simulator refuses what the real veo endpoint refuses (string seconds, i2v); this passes.
    let veo = VideoRequest::new(Provider::AiHubMix, "veo-3.1-generate-preview")
        .prompt("A red balloon")
        .duration(6)
        .aspect_ratio("16:9");
    let job = client.submit(&veo).await.unwrap();
    client.wait(&job, policy()).await.unwrap();
    sim.stop().await;
}

#[tokio::test]
async fn progress_events_and_rules_before_sending() {
    // The sim's `openai-poll-after-ms` hint (100 ms) paces the polls, as openai-python does.
    let sim = Sim::start(SimConfig {
        processing_for: Duration::from_millis(1000),
        openai_poll_after_ms: Some(100),
        ..fast_config()
    })
    .await
    .unwrap();
    let client = client(&sim, Provider::OpenAi);
    let job = client.submit(&request(Provider::OpenAi)).await.unwrap();
    let events: Vec<_> = client.events(&job, policy()).collect().await;
    let progress: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Ok(WaitEvent::Status { progress, .. }) => *progress,
            _ => None,
        })
        .collect();
    assert!(progress.len() >= 2, "progress is reported while running: {events:?}");
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "progress rises: {progress:?}");
    let polls = sim.counters().requests("openai.GetVideo");
    assert!(polls <= 15, "the 100 ms hint paces polling, not the 20 ms interval: {polls} polls");
    assert!(matches!(events.last(), Some(Ok(WaitEvent::Finished(_)))));

    let bad = VideoRequest::new(Provider::OpenAi, "sora-2").prompt("x").duration(5);
    let err = client.submit(&bad).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }) && err.to_string().contains("4, 8, 12"), "{err}");
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::OpenAi), 1, "nothing sent for a broken rule");
    sim.stop().await;
}

#[tokio::test]
async fn cancel_where_the_provider_has_it() {
    let sim = Sim::start(SimConfig { queued_for: Duration::from_secs(30), ..fast_config() }).await.unwrap();
    let oxen = client(&sim, Provider::Oxen);
    let job = oxen.submit(&request(Provider::Oxen)).await.unwrap();
    let status = oxen.cancel(&job).await.unwrap();
    assert!(matches!(status, videogen::JobStatus::Cancelled), "{status:?}");
    let err = oxen.wait(&job, policy()).await.unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    sim.stop().await;

    // A finished job is not "cancelled": cancel reports the state it had reached.
    let sim = Sim::start(fast_config()).await.unwrap();
    let oxen = client(&sim, Provider::Oxen);
    let job = oxen.submit(&request(Provider::Oxen)).await.unwrap();
    oxen.wait(&job, policy()).await.unwrap();
    let status = oxen.cancel(&job).await.unwrap();
    assert!(matches!(status, videogen::JobStatus::Succeeded(_)), "{status:?}");
    let openai = client(&sim, Provider::OpenAi);
    let job = openai.submit(&request(Provider::OpenAi)).await.unwrap();
    assert!(matches!(
        openai.cancel(&job).await,
        Err(Error::Unsupported { operation: videogen::Operation::Cancel, .. })
    ));
    sim.stop().await;
}

#[tokio::test]
async fn deadline_is_real() {
    let sim = Sim::start(SimConfig { queued_for: Duration::from_secs(60), ..fast_config() }).await.unwrap();
    let client = client(&sim, Provider::VideoDb);
    let job = client.submit(&request(Provider::VideoDb)).await.unwrap();
    let err = client
        .wait(&job, videogen::WaitPolicy::every(Duration::from_millis(20), Duration::from_millis(200)))
        .await
        .unwrap_err();
    match err {
        Error::Timeout { job: j, waited, .. } => {
            assert_eq!(*j, job);
            assert!(waited >= Duration::from_millis(200) && waited < Duration::from_secs(5), "{waited:?}");
        }
        other => panic!("{other}"),
    }
    sim.stop().await;
}

#[tokio::test]
async fn unconfigured_provider_is_a_config_error() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let client = client(&sim, Provider::Oxen);
    assert!(matches!(client.submit(&request(Provider::OpenAi)).await, Err(Error::Config { .. })));
    assert!(matches!(Client::builder().build(), Err(Error::Config { .. })));
    sim.stop().await;
}
