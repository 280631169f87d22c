//! `videogen-sim --addr 127.0.0.1:PORT`: serve the simulated provider APIs until killed.

use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;
use videogen_sim::{FaultRule, Sim, SimConfig};

/// A local, spec-faithful simulator of the Oxen.ai, VideoDB and OpenAI/AIHubMix video APIs.
///
/// Point a client at http://ADDR (Oxen, VideoDB) or http://ADDR/v1 (OpenAI, AIHubMix) with any
/// non-empty API key.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  videogen-sim --addr 127.0.0.1:8080\n  videogen-sim --processing-ms 5000 --fault 'openai:createVideo:429=2:first=1'"
)]
struct Args {
    /// Address to listen on (port 0: any free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// How long new jobs stay queued, in milliseconds.
    #[arg(long, default_value_t = 100)]
    queued_ms: u64,
    /// How long jobs then run before they finish, in milliseconds.
    #[arg(long, default_value_t = 400)]
    processing_ms: u64,
    /// Size of every MP4 result in bytes (default: the 18,177-byte fixture).
    #[arg(long)]
    result_size: Option<u64>,
    /// How long results stay downloadable after a job completes, in seconds.
    #[arg(long, default_value_t = 3600)]
    result_ttl_secs: u64,
    /// Finished jobs kept before the oldest are forgotten.
    #[arg(long, default_value_t = 50_000)]
    finished_job_cap: usize,
    /// A fault rule, `<provider|*>:<operation|*>:<kind>[:<schedule>]` (repeatable); see the crate docs.
    #[arg(long = "fault")]
    faults: Vec<FaultRule>,
    /// Seed for probabilistic faults.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The `openai-poll-after-ms` hint sent while an OpenAI job runs (0: none).
    #[arg(long, default_value_t = 250)]
    openai_poll_after_ms: u64,
    /// Accept only this API key (repeatable); by default any non-empty key is accepted.
    #[arg(long = "api-key")]
    api_keys: Vec<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = SimConfig {
        queued_for: Duration::from_millis(args.queued_ms),
        processing_for: Duration::from_millis(args.processing_ms),
        result_ttl: Duration::from_secs(args.result_ttl_secs),
        result_size: args.result_size,
        finished_job_cap: args.finished_job_cap,
        faults: args.faults,
        seed: args.seed,
        api_keys: args.api_keys,
        openai_poll_after_ms: (args.openai_poll_after_ms > 0).then_some(args.openai_poll_after_ms),
    };
    let sim = Sim::start_on(args.addr, config).await?;
    println!("videogen-sim listening on {}", sim.base_url());
    println!("  Oxen.ai, VideoDB:  {}", sim.base_url());
    println!("  OpenAI, AIHubMix:  {}", sim.openai_base_url());
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
