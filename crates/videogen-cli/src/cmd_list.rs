//! `videogen list`: a provider's recent jobs.

use crate::cmd::Run;
use crate::context::{Global, context, default_provider};
use crate::exit::CliError;
use crate::output::{self, Report, clean};
use clap::Args;
use videogen::Provider;

/// `videogen list [--provider P]`.
#[derive(Args, Debug)]
pub struct List {
    #[command(flatten)]
    pub bound: crate::waiting::Bound,
    /// oxen, videodb, aihubmix, replicate or openai.
    #[arg(long, short)]
    pub provider: Option<Provider>,
}

impl Run for List {
    /// One line per job: `provider:id<TAB>status<TAB>created<TAB>prompt`; JSON: the job
    /// summaries. No jobs: nothing on standard output, a note on standard error.
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let provider = self.provider.unwrap_or_else(default_provider);
        let ctx = context(&[provider], global).await?;
        let jobs = ctx.client.list(provider).await?;
        if jobs.is_empty() && !global.json {
            output::err(&format!("no jobs at {provider}"));
        }
        let text = jobs
            .iter()
            .map(|j| {
                format!(
                    "{}\t{}\t{}\t{}",
                    clean(&j.job.short_form()),
                    clean(&j.status),
                    j.job.created_at.format("%Y-%m-%d %H:%M:%S"),
                    clean(j.prompt.as_deref().unwrap_or(""))
                )
            })
            .collect();
        Ok(Report { text, json: serde_json::to_value(&jobs).unwrap_or_default() })
    }
}
