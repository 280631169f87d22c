//! `videogen cancel <job>` (Oxen.ai).

use crate::cmd::Run;
use crate::context::{Global, context};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::vocabulary::{StateWord, StatusReport};
use crate::waiting::parse_job;
use clap::Args;
use videogen::JobStatus;

/// `videogen cancel <job>`.
#[derive(Args, Debug)]
pub struct Cancel {
    #[command(flatten)]
    pub bound: crate::waiting::Bound,
    /// The job: its JSON handle or provider:id.
    pub job: String,
}

impl Run for Cancel {
    /// Exit 0 when the job was cancelled (or is still running), 1 when it had already ended.
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let job = parse_job(&self.job)?;
        let ctx = context(&[job.provider], global).await?;
        let status = ctx.client.cancel(&job).await.map_err(|e| CliError::from(e).with_job(&job))?;
        let cancelled = matches!(status, JobStatus::Cancelled);
        let text = if cancelled {
            format!("cancelled {}", clean(&job.short_form()))
        } else {
            format!("{} is {}; cancel had nothing to stop", clean(&job.short_form()), status.name())
        };
        if cancelled || !status.is_terminal() {
            let report = StatusReport {
                progress: status.progress(),
                provider_status: status.raw_status().map(str::to_string),
                ..StatusReport::bare(&job, StateWord::of_name(status.name()))
            };
            Ok(Report::typed(vec![text], &report))
        } else {
            // With --json, one JSON value: the error, which says the state the job ended in.
            if !global.json {
                crate::output::out(&text);
            }
            Err(CliError::failed(format!("job {} had already {}", job.short_form(), status.name())).with_job(&job))
        }
    }
}
