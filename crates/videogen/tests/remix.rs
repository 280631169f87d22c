//! Remix on every provider that has it, against the simulator, and `Unsupported` elsewhere.

mod common;

use common::*;
use videogen::{Client, Error, Job, Operation, Provider, VideoRequest};

#[tokio::test]
async fn remix_makes_a_new_job_from_a_finished_video() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    let dir = scratch("remix");
    for (provider, model) in
        [(Provider::OpenAi, "sora-2"), (Provider::AiHubMix, "sora-2"), (Provider::Oxen, "kling-video-o3-omni")]
    {
        assert!(Client::supports(provider, Operation::Remix));
        let client = client(&sim, provider);
        let seconds = if provider == Provider::Oxen { 5 } else { 8 };
        let source =
            client.submit(&VideoRequest::new(provider, model).prompt("A red balloon").duration(seconds)).await.unwrap();
        // An unfinished source is refused before anything is sent.
        let early = client.remix(&source, "at night").await;
        if let Err(e) = &early {
            assert!(matches!(e, Error::InvalidRequest { status: None, .. }), "{provider}: {e:?}");
        }
        let before = sim.counters();
        client.wait(&source, policy()).await.unwrap();
        let remixed = match early {
            Ok(job) => job, // the source had already finished on the fast simulator
            Err(_) => {
                client.remix(&source, "The same balloon, at night").await.unwrap_or_else(|e| panic!("{provider}: {e}"))
            }
        };
        assert_ne!(remixed.id, source.id, "{provider}");
        assert_eq!((remixed.provider, remixed.model.as_str()), (provider, model), "{provider}");
        assert!(remixed.idempotency_key.is_some(), "{provider}");
        let video = client.wait(&remixed, policy()).await.unwrap_or_else(|e| panic!("{provider}: {e}"));
        let path = dir.join(format!("{provider}-remix.mp4"));
        video.download_to(&path).await.unwrap();
        assert_eq!(sha256_file(&path), sim.result_sha256(), "{provider}");
        let sim_provider = match provider {
            Provider::Oxen => videogen_sim::Provider::Oxen,
            Provider::AiHubMix => videogen_sim::Provider::AiHubMix,
            _ => videogen_sim::Provider::OpenAi,
        };
        assert_eq!(
            sim.counters().jobs_created(sim_provider),
            before.jobs_created(sim_provider) + 1,
            "{provider}: one new job"
        );
        if provider == Provider::Oxen {
            // Oxen's remix is a generation with the finished video as input_video.
            let row: serde_json::Value = reqwest::Client::new()
                .get(format!("{}/api/ai/queue/{}", sim.base_url(), remixed.id))
                .bearer_auth("k")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(row["input_video"].as_str(), video_url_of(&client, &source).await.as_deref(), "{row}");
        }
    }
    sim.stop().await;
}

async fn video_url_of(client: &Client, job: &Job) -> Option<String> {
    match client.status(job).await.ok()? {
        videogen::JobStatus::Succeeded(v) => v.url().map(String::from),
        _ => None,
    }
}

#[tokio::test]
async fn remix_is_refused_where_it_cannot_work() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    // VideoDB has no remix.
    let videodb = client(&sim, Provider::VideoDb);
    let job = videodb.submit(&request(Provider::VideoDb)).await.unwrap();
    assert!(!Client::supports(Provider::VideoDb, Operation::Remix));
    assert!(matches!(
        videodb.remix(&job, "again").await,
        Err(Error::Unsupported { operation: videogen::Operation::Remix, .. })
    ));
    // An Oxen model that takes no video input: refused before the create.
    let oxen = client(&sim, Provider::Oxen);
    let job = oxen.submit(&request(Provider::Oxen)).await.unwrap();
    oxen.wait(&job, policy()).await.unwrap();
    let creates = sim.counters().create_requests(videogen_sim::Provider::Oxen);
    let err = oxen.remix(&job, "again").await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { status: None, .. }), "{err:?}");
    // A short-form handle does not name its model.
    let short = Job::from_short_form(&job.short_form()).unwrap();
    assert!(matches!(oxen.remix(&short, "again").await, Err(Error::InvalidRequest { .. })));
    assert!(matches!(oxen.remix(&job, "  ").await, Err(Error::InvalidRequest { .. })));
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::Oxen), creates, "nothing was sent");
    sim.stop().await;
}
