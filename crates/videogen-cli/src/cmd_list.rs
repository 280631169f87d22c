//! `videogen list`: a provider's recent jobs.

use crate::cmd::Run;
use crate::context::{Global, context, default_provider};
use crate::exit::CliError;
use crate::output::{self, Report, clean};
use clap::Args;
use videogen::Provider;

/// `videogen list [--provider P] [--limit N] [--collection ID]`.
#[derive(Args, Debug)]
pub struct List {
    #[command(flatten)]
    pub bound: crate::waiting::Bound,
    /// oxen, videodb, aihubmix, replicate or openai.
    #[arg(long, short)]
    pub provider: Option<Provider>,
    /// The most jobs to list, newest first (every page is read until then).
    #[arg(long, default_value_t = videogen::DEFAULT_LIST_LIMIT, value_name = "N")]
    pub limit: usize,
    /// VideoDB: the collection whose videos to list (default: `default`).
    #[arg(long, value_name = "ID")]
    pub collection: Option<String>,
}

impl Run for List {
    /// One line per job: `provider:id<TAB>status<TAB>created<TAB>prompt`; JSON: the job
    /// summaries. No jobs: nothing on standard output, a note on standard error.
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let provider = self.provider.unwrap_or_else(default_provider);
        if self.limit == 0 {
            return Err(CliError::usage("--limit must be at least 1"));
        }
        if self.collection.is_some() && !videogen::Client::supports(provider, videogen::Operation::Collections) {
            return Err(CliError::usage(format!("--collection is VideoDB's; {provider} has no collections")));
        }
        let ctx = context(&[provider], global).await?;
        let options = videogen::ListOptions { limit: self.limit, collection: self.collection.clone() };
        let jobs = ctx.client.list_with(provider, &options).await?;
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
