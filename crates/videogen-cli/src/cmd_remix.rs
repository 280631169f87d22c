//! `videogen remix <job> "<prompt>"`.

use crate::cmd::Run;
use crate::context::{Global, context};
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
}

impl Run for Remix {
    /// Submits a remix of a finished job (OpenAI, AIHubMix: `POST /videos/{id}/remix`; Oxen.ai:
    /// a generation with the video as `input_video`); prints the new job's handle, which `wait`
    /// and `download` take.
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let source = parse_job(&self.job)?;
        let ctx = context(&[source.provider], global).await?;
        let job = ctx.client.remix(&source, &self.prompt).await?;
        let handle = serde_json::to_string(&job).unwrap_or_default();
        Ok(Report { text: vec![clean(&handle)], json: serde_json::to_value(&job).unwrap_or_default() })
    }
}
