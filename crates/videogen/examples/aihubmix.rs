//! AIHubMix: a Veo text-to-video job (numeric seconds, a Veo size), shaped per family.
//!
//! `AIHUBMIX_API_KEY=… cargo run -p videogen --example aihubmix` uses AIHubMix; without the key it
//! runs against a local videogen-sim.

use videogen::{Client, Error, Provider, VideoRequest, WaitPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = if std::env::var("AIHUBMIX_API_KEY").is_err() {
        Some(videogen_sim::Sim::start(Default::default()).await?)
    } else {
        None
    };
    let client = match &sim {
        Some(sim) => Client::builder()
            .api_key(Provider::AiHubMix, "sim")
            .base_url(Provider::AiHubMix, sim.aihubmix_base_url())
            .build()?,
        None => Client::from_env()?,
    };
    // A rule from the capability table fails before anything is sent (and before any charge).
    let wrong = VideoRequest::new(Provider::AiHubMix, "veo-3.1-generate-preview").prompt("A red balloon").duration(5);
    if let Err(Error::InvalidRequest { message, .. }) = client.submit(&wrong).await {
        println!("refused before sending: {message}");
    }
    let request = VideoRequest::new(Provider::AiHubMix, "veo-3.1-generate-preview")
        .prompt("A red balloon floating upward through blue sky")
        .duration(8)
        .size("1920x1080".parse()?);
    let job = client.submit(&request).await?;
    let video = client.wait(&job, WaitPolicy::for_provider(Provider::AiHubMix)).await?;
    let file = video.download_to("aihubmix.mp4").await?;
    println!("wrote {} ({} bytes) for {}", file.path.display(), file.bytes, job.short_form());
    Ok(())
}
