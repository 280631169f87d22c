//! `videogen-sim --addr 127.0.0.1:PORT`: serve the simulated provider APIs until killed.

use clap::Parser;

/// A local, spec-faithful simulator of the Oxen.ai, VideoDB and OpenAI/AIHubMix video APIs.
///
/// Point a client at http://ADDR (Oxen, VideoDB), http://ADDR/v1 (OpenAI) or
/// http://ADDR/aihubmix/v1 (AIHubMix) with any non-empty API key.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = videogen_sim::FAULT_HELP
)]
struct Args {
    #[command(flatten)]
    serve: videogen_sim::ServeArgs,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    videogen_sim::serve(&args.serve).await
}
