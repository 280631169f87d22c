//! `videogen remix <job> "<prompt>"`.

use crate::cmd::Run;
use crate::context::{Global, context_within};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::waiting::parse_job;
use clap::Args;

/// `videogen remix <job> "<prompt>"`.
#[derive(Args, Debug)]
pub struct Remix {
    /// The finished job to remix: its JSON handle or provider:id.
    pub job: String,
    /// The new prompt.
    pub prompt: String,
    /// Give up the remix's create after this many seconds (default: 120, each request's
    /// limit); a create cut by it may have reached the provider (exit 6).
    #[arg(long)]
    pub timeout: Option<f64>,
}

impl Run for Remix {
    /// Submits a remix of a finished job (OpenAI, AIHubMix: `POST /videos/{id}/remix`; Oxen.ai:
    /// a generation with the video as `input_video`); prints the new job's handle, which `wait`
    /// and `download` take.
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let source = parse_job(&self.job)?;
        let limit = self.timeout.map(|t| crate::waiting::positive_seconds(t, "timeout")).transpose()?;
        let ctx = context_within(&[source.provider], global, limit).await?;
        let job = ctx.client.remix(&source, &self.prompt).await?;
        let handle = serde_json::to_string(&job).unwrap_or_default();
        Ok(Report { text: vec![clean(&handle)], json: serde_json::to_value(&job).unwrap_or_default() })
    }
}
