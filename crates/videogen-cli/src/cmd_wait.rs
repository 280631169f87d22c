//! `videogen wait <job>`: wait for a job with a progress spinner; with `--out`, download it.

use crate::cmd::Run;
use crate::context::{Global, context_within};
use crate::exit::CliError;
use crate::output::Report;
use crate::waiting::check_variant;
use crate::waiting::{VariantArg, WaitOptions, check_out, download, parse_job, wait_policy, wait_with_progress};
use clap::Args;
use std::path::PathBuf;

/// `videogen wait <job> [--out FILE]`.
#[derive(Args, Debug)]
pub struct Wait {
    /// The job: its JSON handle or provider:id.
    pub job: String,
    /// Download the result here when it is done (`-`: to standard output, once checked).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// With --out: the video, or its thumbnail or spritesheet.
    #[arg(long, value_enum, default_value_t = VariantArg::Video, requires = "out")]
    pub variant: VariantArg,
    /// Replace an existing output file (by default an existing file is refused before anything
    /// is sent, and one that appears while the job runs is kept).
    #[arg(long, requires = "out")]
    pub force: bool,
    #[command(flatten)]
    pub wait: WaitOptions,
}

impl Run for Wait {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let job = parse_job(&self.job)?;
        if let Some(out) = &self.out {
            check_out(out, self.force).map_err(|e| e.with_job(&job))?;
        }
        check_variant(job.provider, self.variant).map_err(|e| e.with_job(&job))?;
        let ctx = context_within(&[job.provider], global, self.wait.limit()?).await?;
        let simulated = ctx.simulated(job.provider);
        let policy = wait_policy(job.provider, &self.wait, simulated)?;
        let started = std::time::Instant::now();
        let video = wait_with_progress(&ctx.client, &job, policy, global, self.out.as_deref(), simulated).await?;
        match &self.out {
            Some(out) => {
                download(&video, self.variant, out, global, self.wait.time_left(started), simulated, self.force).await
            }
            None => Ok(crate::waiting::succeeded(&job, &video)),
        }
    }
}
