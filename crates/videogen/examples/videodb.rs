//! VideoDB: generate a 6-second video, poll its async response, download the stream.
//!
//! `VIDEODB_API_KEY=… cargo run -p videogen --example videodb` uses VideoDB; without the key it
//! runs against a local videogen-sim.

use videogen::{Client, Provider, VideoRequest, WaitPolicy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = match std::env::var("VIDEODB_API_KEY") {
        Ok(_) => None,
        Err(_) => Some(videogen_sim::Sim::start(Default::default()).await?),
    };
    let client = match &sim {
        None => Client::from_env()?,
        Some(sim) => {
            Client::builder().api_key(Provider::VideoDb, "sim").base_url(Provider::VideoDb, sim.base_url()).build()?
        }
    };
    // docs.videodb.io: the duration is a whole number of seconds from 5 to 8.
    let request =
        VideoRequest::new(Provider::VideoDb, "videodb").prompt("A drone flying over a futuristic city").duration(6);
    let job = client.submit(&request).await?;
    println!("started {}", job.short_form());
    let video = client.wait(&job, WaitPolicy::for_provider(Provider::VideoDb)).await?;
    let file = video.download_to("videodb.mp4").await?;
    println!("wrote {} ({} bytes)", file.path.display(), file.bytes);
    Ok(())
}
