//! `videogen delete <job>`.

use crate::cmd::Run;
use crate::context::{Global, context};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::vocabulary::{StateWord, StatusReport};
use crate::waiting::parse_job;
use clap::Args;

/// `videogen delete <job>`.
#[derive(Args, Debug)]
pub struct Delete {
    #[command(flatten)]
    pub bound: crate::waiting::Bound,
    /// The job: its JSON handle or provider:id.
    pub job: String,
}

impl Run for Delete {
    /// Deletes a job's video at the provider (OpenAI, AIHubMix, VideoDB).
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let job = parse_job(&self.job)?;
        let ctx = context(&[job.provider], global).await?;
        ctx.client.delete(&job).await.map_err(|e| CliError::from(e).with_job(&job))?;
        let report = StatusReport::bare(&job, StateWord::Deleted);
        Ok(Report::typed(vec![format!("deleted {}", clean(&job.short_form()))], &report))
    }
}
