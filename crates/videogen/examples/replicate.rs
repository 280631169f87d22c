//! Replicate: a 5-second Kling video with a deadline Replicate enforces itself (`Cancel-After`),
//! waited for and downloaded; then the webhook secret a server would verify deliveries with.
//!
//! `REPLICATE_API_TOKEN=… cargo run -p videogen --example replicate` uses Replicate; without the
//! token it runs against a local videogen-sim.

use std::time::Duration;
use videogen::{Client, Provider, VideoRequest, WaitPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = match std::env::var("REPLICATE_API_TOKEN") {
        Ok(_) => None,
        Err(_) => Some(videogen_sim::Sim::start(Default::default()).await?),
    };
    let client = match &sim {
        None => Client::from_env()?,
        Some(sim) => Client::builder()
            .api_key(Provider::Replicate, "sim")
            .base_url(Provider::Replicate, sim.base_url_for(videogen_sim::Provider::Replicate))
            .build()?,
    };
    // replicate.com/kwaivgi/kling-v3-video: `prompt` is the only required input; 3–15 s.
    let deadline = Duration::from_secs(15 * 60);
    let request = VideoRequest::new(Provider::Replicate, "kwaivgi/kling-v3-video")
        .prompt("A red balloon floating upward through blue sky")
        .duration(5)
        .aspect_ratio("16:9")
        .cancel_after(deadline); // Replicate stops it if it runs longer: nobody pays for an abandoned job
    let job = client.submit(&request).await?;
    println!("started {}", job.short_form());
    let mut policy = WaitPolicy::for_provider(Provider::Replicate);
    policy.deadline = Some(deadline);
    let video = client.wait(&job, policy).await?;
    let file = video.download_to("replicate.mp4").await?; // outputs are kept one hour
    println!("wrote {} ({} bytes)", file.path.display(), file.bytes);
    if let Some(replicate) = client.replicate() {
        let secret = replicate.get_default_webhook_secret().await?.into_inner();
        let verifier = videogen::webhook::Verifier::new(secret.key.as_deref().unwrap_or_default())?;
        println!("webhook deliveries verify with {verifier:?}");
    }
    if let Some(sim) = sim {
        sim.stop().await;
    }
    Ok(())
}
