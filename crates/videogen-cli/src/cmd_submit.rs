//! `videogen submit`: send a request and print the job handle, without waiting.

use crate::cmd::Run;
use crate::context::{Global, context_within};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::request::RequestArgs;
use crate::waiting::positive_seconds;
use clap::Args;

/// `videogen submit "<prompt>" [--timeout S]`.
#[derive(Args, Debug)]
pub struct Submit {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Give up the create after this many seconds (default: 120, each request's limit). A
    /// create cut by it may have reached the provider: exit 6, look the job up before sending
    /// it again.
    #[arg(long)]
    pub timeout: Option<f64>,
    #[command(flatten)]
    pub budget: crate::budget::BudgetArgs,
}

impl Run for Submit {
    /// Prints the handle (one line of JSON; with `--count N`, one per line); with `--json`,
    /// `{"jobs": [...]}` whatever the count.
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let request = self.request.checked_request()?;
        let limit = self.timeout.map(|t| positive_seconds(t, "timeout")).transpose()?;
        let ctx = context_within(&[self.request.provider()], global, limit).await?;
        let simulated = ctx.simulated(self.request.provider());
        if let Some(report) = self.budget.before_sending(&ctx.client, &request, &self.request, simulated).await? {
            return Ok(report);
        }
        let jobs = if request.outputs()? > 1 {
            ctx.client.submit_many(&request).await?
        } else {
            vec![ctx.client.submit(&request).await?]
        };
        let text = jobs.iter().map(|j| clean(&serde_json::to_string(j).unwrap_or_default())).collect();
        Ok(Report::typed(text, &crate::vocabulary::JobsReport { jobs }))
    }
}
