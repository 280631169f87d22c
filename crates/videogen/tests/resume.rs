//! Resuming a job from its serialized handle in a fresh client.

mod common;

use common::*;
use videogen::{Job, Provider};
use videogen_sim::Sim;

#[tokio::test]
async fn a_job_resumes_from_its_handle_in_a_fresh_client() {
    let sim = Sim::start(fast_config()).await.unwrap();
    let dir = scratch("resume");
    for provider in Provider::ALL {
        let saved = {
            let first = client(&sim, provider);
            let job = first.submit(&request(provider)).await.unwrap();
            serde_json::to_string(&job).unwrap()
            // `first` is dropped here, as in a crashed process.
        };
        let handle: Job = serde_json::from_str(&saved).unwrap();
        let second = client(&sim, provider);
        let video = second.job(handle).unwrap().wait(policy()).await.unwrap();
        let path = dir.join(format!("{provider}.mp4"));
        video.download_to(&path).await.unwrap();
        assert_eq!(sha256_file(&path), sim.result_sha256());
    }
    let c = sim.counters();
    assert_eq!(
        c.create_requests(videogen_sim::Provider::OpenAi) + c.create_requests(videogen_sim::Provider::AiHubMix),
        2,
        "resuming sends no create"
    );
    assert_eq!(c.create_requests(videogen_sim::Provider::Oxen) + c.create_requests(videogen_sim::Provider::VideoDb), 2);
    sim.stop().await;
}
