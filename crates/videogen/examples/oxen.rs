//! Oxen.ai: queue a Kling generation, wait, download.
//!
//! `OXEN_API_KEY=… cargo run -p videogen --example oxen` uses Oxen.ai (this costs money);
//! without the key it runs against a local videogen-sim.

use videogen::{Client, Provider, VideoRequest, WaitPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _sim) = match std::env::var("OXEN_API_KEY") {
        Ok(_) => (Client::from_env()?, None),
        Err(_) => {
            let sim = videogen_sim::Sim::start(Default::default()).await?;
            let client =
                Client::builder().api_key(Provider::Oxen, "sim").base_url(Provider::Oxen, sim.base_url()).build()?;
            println!("OXEN_API_KEY is not set: using a local simulator at {}", sim.base_url());
            (client, Some(sim))
        }
    };
    let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video")
        .prompt("A sunset timelapse over the ocean")
        .duration(5)
        .aspect_ratio("16:9");
    let job = client.submit(&request).await?;
    println!("queued {} (resume with: {})", job.short_form(), serde_json::to_string(&job)?);
    let video = client.wait(&job, WaitPolicy::for_provider(Provider::Oxen)).await?;
    let file = video.download_to("oxen.mp4").await?;
    println!("wrote {} ({} bytes)", file.path.display(), file.bytes);
    Ok(())
}
