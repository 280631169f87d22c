//! Delete on every provider that has it, against the simulator, and `Unsupported` on Oxen.ai.

mod common;

use common::*;
use videogen::{Client, Error, Operation, Provider};

#[tokio::test]
async fn delete_removes_a_finished_video() {
    let sim = videogen_sim::Sim::start(fast_config()).await.unwrap();
    for provider in [Provider::OpenAi, Provider::AiHubMix] {
        assert!(Client::supports(provider, Operation::Delete));
        let client = client(&sim, provider);
        let job = client.submit(&request(provider)).await.unwrap();
        client.wait(&job, policy()).await.unwrap();
        client.delete(&job).await.unwrap_or_else(|e| panic!("{provider}: {e}"));
        // The provider no longer has it.
        let err = client.status(&job).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { job: Some(_), .. }), "{provider}: {err:?}");
    }
    // VideoDB: the video the job made is deleted (its id comes from the job's async response).
    let videodb = client(&sim, Provider::VideoDb);
    let job = videodb.submit(&request(Provider::VideoDb)).await.unwrap();
    videodb.wait(&job, policy()).await.unwrap();
    let http = reqwest::Client::new();
    let poll: serde_json::Value = http
        .get(format!("{}/async-response/{}", sim.base_url(), job.id))
        .header("x-access-token", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let video_id = poll["data"]["id"].as_str().unwrap().to_string();
    let video_status = || async {
        http.get(format!("{}/video/{video_id}", sim.base_url()))
            .header("x-access-token", "k")
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(video_status().await, 200);
    videodb.delete(&job).await.unwrap();
    assert_eq!(video_status().await, 404);
    sim.stop().await;
}

#[tokio::test]
async fn delete_is_refused_where_it_cannot_work() {
    let sim = videogen_sim::Sim::start(videogen_sim::SimConfig {
        queued_for: std::time::Duration::from_secs(30),
        ..fast_config()
    })
    .await
    .unwrap();
    let oxen = client(&sim, Provider::Oxen);
    let job = oxen.submit(&request(Provider::Oxen)).await.unwrap();
    assert!(!Client::supports(Provider::Oxen, Operation::Delete));
    assert!(matches!(oxen.delete(&job).await, Err(Error::Unsupported { operation: videogen::Operation::Delete, .. })));
    // An unfinished OpenAI video: the provider refuses, the error carries the job.
    let openai = client(&sim, Provider::OpenAi);
    let job = openai.submit(&request(Provider::OpenAi)).await.unwrap();
    let err = openai.delete(&job).await.unwrap_err();
    assert_eq!(err.job(), Some(&job), "{err:?}");
    // An unfinished VideoDB job has no video yet.
    let videodb = client(&sim, Provider::VideoDb);
    let job = videodb.submit(&request(Provider::VideoDb)).await.unwrap();
    assert!(matches!(videodb.delete(&job).await, Err(Error::InvalidRequest { status: None, .. })));
    sim.stop().await;
}
