//! The README's whole-surface tour, run as written against the simulator. The text between the
//! markers is the README's block, character for character (the first test checks it), so the
//! README shows what runs here.
#![allow(unused_variables)]

mod common;

use common::*;
use videogen::{Client, JobStatus, Provider};
use videogen_sim::{Sim, SimConfig};
use videogen_transport::capture::{CannedResponse, CaptureServer};

// README-TOUR-BEGIN
async fn tour(client: videogen::Client) -> videogen::Result<()> {
    use videogen::{ListOptions, Operation, Provider, Variant, VideoInfo, VideoRequest, WaitPolicy};

    let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video")
        .prompt("A red balloon floating upward")
        .duration(5);
    let price = client.estimate_cost(&request).await?; // Option<Cost>, from the model's published pricing
    let job = client.submit(&request).await?; // one create, one handle, at once
    let made =
        client.generate(&request, WaitPolicy::for_provider(Provider::Oxen), |step| eprintln!("{step:?}")).await?; // submit + wait, telling each step
    let both = client.submit_many(&request.clone().num_generations(2)).await?; // a handle per paid output
    let status = client.status(&job).await?; // JobStatus: Serialize + Deserialize
    let video = client.wait(&job, WaitPolicy::for_provider(job.provider)).await?; // or client.events(…); Oxen.ai: pushed, not polled
    let video = video.on_progress(|p| eprintln!("{} of {:?} bytes", p.bytes, p.total)); // download progress
    video.download_to("balloon.mp4").await?; // checked, resumable, keys stay home
    let cost = video.cost.clone(); // what the provider charged (Oxen.ai)
    let stored: String = serde_json::to_string(video.info()).unwrap();
    let later = client.video(&serde_json::from_str::<VideoInfo>(&stored).unwrap())?; // download later
    if videogen::Client::supports(job.provider, Operation::Thumbnail) {
        video.download_variant_to(Variant::Thumbnail, "balloon.webp").await?; // OpenAI, AIHubMix, VideoDB
    }
    let remixed = client.remix_with_model(&job, "The same balloon, at night", Some("kling-video-o3-omni")).await?; // OpenAI, AIHubMix (same model), Oxen.ai
    client.cancel(&remixed).await?; // Oxen.ai, Replicate; the job's real state comes back
    if videogen::Client::supports(job.provider, Operation::Delete) {
        client.delete(&remixed).await?; // OpenAI, AIHubMix, VideoDB
    }
    let rows = client.list_with(Provider::Oxen, &ListOptions { limit: 500, collection: None }).await?;
    let models = client.models(Provider::Oxen, Some("kling")).await?; // live: pricing, request_schema
    let collections = client.collections(Provider::VideoDb).await?; // VideoDB: list, create, delete
    let deadline = VideoRequest::new(Provider::Replicate, "kwaivgi/kling-v3-video")
        .prompt("A kite")
        .cancel_after(std::time::Duration::from_secs(600)); // Replicate stops it at 10 minutes (Cancel-After)
    let line = serde_json::to_string(&deadline).unwrap(); // a request is JSON: a job queue's row, a batch line
    let oxen = client.oxen(); // the generated client, for the rest
    Ok(())
}

// A callback your web server received for `job`: Replicate's signed webhook, or VideoDB's unsigned one.
async fn on_callback(
    client: &videogen::Client,
    job: &videogen::Job,
    headers: &videogen::http::HeaderMap,
    body: &[u8],
) -> videogen::Result<videogen::JobStatus> {
    if job.provider == videogen::Provider::Replicate {
        let verifier = videogen::webhook::Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?; // GET /v1/webhooks/default/secret
        let delivery = verifier.verify(job.provider, headers, body)?; // signature, age, replay: then the job and its status
        return Ok(delivery.status);
    }
    client.confirm_callback(job, headers, body).await // a hint only: the status comes from the provider
}
// README-TOUR-END

/// The Standard Webhooks secret the README's verifier holds.
const README_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[test]
fn the_readme_shows_the_tour_that_runs_here() {
    let readme = include_str!("../../../README.md");
    let start = readme.find("```rust,no_run\nasync fn tour(").expect("the README's tour") + "```rust,no_run\n".len();
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    let this = include_str!("readme_tour.rs");
    let begin = this.find("// README-TOUR-BEGIN\n").unwrap() + "// README-TOUR-BEGIN\n".len();
    let here = &this[begin..this.find("// README-TOUR-END").unwrap()];
    assert_eq!(shown, here, "the README's tour and the one this test runs differ: copy the README's block here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_tour_runs_against_the_simulator() {
    let sim = Sim::start(SimConfig { webhook_secret: README_SECRET.into(), ..fast_config() }).await.unwrap();
    let mut builder = Client::builder().retry(fast_retry());
    for provider in [Provider::Oxen, Provider::VideoDb, Provider::Replicate] {
        builder = builder.api_key(provider, KEY).base_url(provider, base_url(&sim, provider));
    }
    let client = builder.build().unwrap();
    // The tour writes balloon.mp4 where it runs.
    let dir = scratch("readme-tour");
    std::env::set_current_dir(&dir).unwrap();
    tour(client.clone()).await.unwrap();
    assert!(std::fs::read(dir.join("balloon.mp4")).unwrap().starts_with(&[0, 0, 0]), "balloon.mp4 written");

    // Its callback handler, on a signed Replicate webhook and an unsigned VideoDB callback.
    let receiver = CaptureServer::start(CannedResponse::json(200, "{}")).await;
    let hook = format!("{}/hooks", receiver.base_url());
    let job =
        client.submit(&request(Provider::Replicate).callback_url(&hook).webhook_events(["completed"])).await.unwrap();
    let delivered = first_request(&receiver).await;
    let status = on_callback(&client, &job, &headers_of(&delivered), &delivered.body).await.unwrap();
    assert!(matches!(status, JobStatus::Succeeded(_)), "{status:?}");
    let forged = on_callback(&client, &job, &headers_of(&delivered), b"{\"status\": \"succeeded\"}").await;
    assert!(matches!(forged, Err(videogen::Error::WebhookRejected { .. })), "{forged:?}");

    let receiver = CaptureServer::start(CannedResponse::json(200, "{}")).await;
    let job =
        client.submit(&request(Provider::VideoDb).callback_url(format!("{}/cb", receiver.base_url()))).await.unwrap();
    client.wait(&job, policy()).await.unwrap();
    let delivered = first_request(&receiver).await;
    let status = on_callback(&client, &job, &headers_of(&delivered), &delivered.body).await.unwrap();
    assert!(matches!(status, JobStatus::Succeeded(_)), "{status:?}");
    sim.stop().await;
}
