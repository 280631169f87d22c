//! `videogen status <job>`: one status read.

use crate::cmd::Run;
use crate::context::{Global, context};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::vocabulary::{StateWord, StatusReport};
use crate::waiting::parse_job;
use clap::Args;
use videogen::JobStatus;

/// `videogen status <job>`.
#[derive(Args, Debug)]
pub struct Status {
    #[command(flatten)]
    pub bound: crate::waiting::Bound,
    /// The job: its JSON handle (from `submit --json`) or provider:id.
    pub job: String,
}

impl Run for Status {
    /// Text: `<provider:id> <state>[ N%][: detail]`. JSON: `job`, `status` (`queued`, `running`,
    /// `succeeded`, `expired` — succeeded, its result URL past its expiry —, `failed`,
    /// `cancelled`, `unrecognized`), `progress`, `error`, `url`, `provider_status`, `expired`,
    /// `expires_at`, and `cost` (`{amount, currency}`) when the provider reports one.
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let job = parse_job(&self.job)?;
        // A provider:id handle has no creation time of its own: when the provider knows no such
        // job, no handle is printed (it would be an invented one, created "now").
        let short_form = !self.job.trim_start().starts_with('{');
        let ctx = context(&[job.provider], global).await?;
        let status = ctx.client.status(&job).await.map_err(|e| {
            let unknown_job = short_form && matches!(e, videogen::Error::NotFound { .. });
            let mut e = CliError::from(e);
            if unknown_job {
                e.job = None;
                e
            } else {
                e.with_job(&job)
            }
        })?;
        let video = match &status {
            JobStatus::Succeeded(v) => Some(v),
            _ => None,
        };
        let expired = video.is_some_and(|v| v.is_expired());
        let name = if expired { "expired" } else { status.name() };
        let detail = match &status {
            JobStatus::Failed(e) => Some(e.message.clone()),
            JobStatus::Unrecognized { status } => Some(format!("the provider says {status:?}")),
            _ if expired => Some(crate::vocabulary::EXPIRED_URL.to_string()),
            _ => None,
        };
        let cost = video.and_then(|v| v.cost.clone());
        let progress = status.progress().map(|p| format!(" {p}%")).unwrap_or_default();
        let cost_text =
            cost.as_ref().map(|c| format!(" (cost {} {})", c.amount, clean(&c.currency))).unwrap_or_default();
        Ok(Report::line(
            format!(
                "{} {name}{progress}{cost_text}{}",
                clean(&job.short_form()),
                detail.as_ref().map(|d| format!(": {}", clean(d))).unwrap_or_default()
            ),
            crate::vocabulary::to_json(&StatusReport {
                job: job.clone(),
                status: StateWord::of_name(name),
                progress: status.progress(),
                error: detail.clone(),
                url: video.and_then(|v| v.url()).map(str::to_string),
                provider_status: status.raw_status().map(str::to_string),
                expired,
                expires_at: video.and_then(|v| v.expires_at),
                cost,
            }),
        ))
    }
}
