//! `videogen submit`: send a request and print the job handle, without waiting.

use crate::cmd::Run;
use crate::context::{Global, context};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::request::RequestArgs;

impl Run for RequestArgs {
    /// Prints the handle (one line of JSON; with `--count N`, one per line, or a JSON array with
    /// `--json`).
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let request = self.checked_request()?;
        let ctx = context(&[self.provider()], global).await?;
        let jobs = if request.outputs()? > 1 {
            ctx.client.submit_many(&request).await?
        } else {
            vec![ctx.client.submit(&request).await?]
        };
        let text = jobs.iter().map(|j| clean(&serde_json::to_string(j).unwrap_or_default())).collect();
        let json = if jobs.len() == 1 {
            serde_json::to_value(&jobs[0]).unwrap_or_default()
        } else {
            serde_json::to_value(&jobs).unwrap_or_default()
        };
        Ok(Report { text, json })
    }
}
