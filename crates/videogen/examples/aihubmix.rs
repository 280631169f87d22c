//! AIHubMix: a Wan 2.6 text-to-video job (AIHubMix's default model), a rule and a retirement
//! refused before anything is sent.
//!
//! `AIHUBMIX_API_KEY=… cargo run -p videogen --example aihubmix` uses AIHubMix; without the key it
//! runs against a local videogen-sim.

use videogen::{Client, Error, Provider, VideoRequest, WaitPolicy, models};

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
    let model = models::default_model(Provider::AiHubMix).unwrap_or("wan2.6-t2v");
    // A rule from the model catalogue fails before anything is sent (and before any charge).
    let wrong = VideoRequest::new(Provider::AiHubMix, model).prompt("A red balloon").duration(20);
    if let Err(Error::InvalidRequest { message, .. }) = client.submit(&wrong).await {
        println!("refused before sending: {message}");
    }
    // So does a model its provider has shut down, with the date and the named replacement.
    let retired = VideoRequest::new(Provider::AiHubMix, "veo-3.1-generate-preview").prompt("A red balloon");
    if let Err(e @ Error::ModelRetired { .. }) = client.submit(&retired).await {
        println!("refused before sending: {e}");
    }
    let request = VideoRequest::new(Provider::AiHubMix, model)
        .prompt("A red balloon floating upward through blue sky")
        .duration(5)
        .size("1920x1080".parse()?);
    let job = client.submit(&request).await?;
    let video = client.wait(&job, WaitPolicy::for_provider(Provider::AiHubMix)).await?;
    let file = video.download_to("aihubmix.mp4").await?;
    println!("wrote {} ({} bytes) for {}", file.path.display(), file.bytes, job.short_form());
    Ok(())
}
