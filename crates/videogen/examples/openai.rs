//! An OpenAI-compatible gateway (a LiteLLM proxy, another service that speaks `/v1/videos`): a
//! job with progress events. OpenAI's own Videos API was shut down on 2026-09-24.
//!
//! `OPENAI_BASE_URL=https://gateway.example/v1 OPENAI_API_KEY=… OPENAI_MODEL=<a model it serves>
//! cargo run -p videogen --example openai` uses your gateway; without `OPENAI_BASE_URL` it runs
//! against a local videogen-sim.

use futures::StreamExt;
use videogen::{Client, Provider, VideoRequest, WaitEvent, WaitPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = if std::env::var("OPENAI_BASE_URL").is_ok() {
        None
    } else {
        Some(videogen_sim::Sim::start(Default::default()).await?)
    };
    let client = match &sim {
        Some(sim) => Client::builder()
            .api_key(Provider::OpenAi, "sim")
            .base_url(Provider::OpenAi, sim.openai_base_url())
            .build()?,
        None => Client::from_env()?,
    };
    // A gateway's models are its operator's: there is no default.
    let model = std::env::var("OPENAI_MODEL").unwrap_or_else(|_| "gateway-video-model".into());
    let request = VideoRequest::new(Provider::OpenAi, model)
        .prompt("A paper boat on a rainy street")
        .duration(4)
        .aspect_ratio("9:16");
    let job = client.submit(&request).await?;
    let mut events = std::pin::pin!(client.events(&job, WaitPolicy::for_provider(Provider::OpenAi)));
    while let Some(event) = events.next().await {
        match event? {
            WaitEvent::Status { status, progress, elapsed, .. } => {
                let percent = progress.map(|p| format!(" {p}%")).unwrap_or_default();
                println!("{status}{percent} after {:.1} s", elapsed.as_secs_f64());
            }
            WaitEvent::Retrying { error, retry_in, .. } => {
                println!("poll failed ({error}); next in {:.1} s", retry_in.as_secs_f64());
            }
            WaitEvent::Finished(video) => {
                let file = client.video(&video)?.download_to("openai.mp4").await?;
                println!("wrote {} ({} bytes)", file.path.display(), file.bytes);
            }
            _ => {}
        }
    }
    Ok(())
}
