//! `videogen download <job>`: download a finished job's video (or thumbnail or spritesheet),
//! resuming a partial file.

use crate::cmd::Run;
use crate::context::{Global, context_within};
use crate::exit::CliError;
use crate::output::Report;
use crate::waiting::check_variant;
use crate::waiting::{VariantArg, check_out, default_out, download, parse_job, positive_seconds};
use clap::Args;
use std::path::PathBuf;
use videogen::JobStatus;

/// `videogen download <job> [--variant …] [--out FILE]`.
#[derive(Args, Debug)]
pub struct Download {
    /// The job: its JSON handle or provider:id.
    pub job: String,
    /// Where to write the file (default: videogen-JOBID.mp4, or videogen-JOBID-thumbnail.webp …);
    /// `-` writes it to standard output once downloaded and checked.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// The video, or its thumbnail or spritesheet.
    #[arg(long, value_enum, default_value_t = VariantArg::Video)]
    pub variant: VariantArg,
    /// Give up the download after this many seconds (default 7200); the partial file is kept
    /// and the same command resumes it.
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Replace an existing output file (by default an existing file is refused before anything
    /// is sent, and one that appears while the job runs is kept).
    #[arg(long)]
    pub force: bool,
}

impl Run for Download {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let job = parse_job(&self.job)?;
        let out = self.out.clone().unwrap_or_else(|| default_out(&job, self.variant));
        check_out(&out, self.force).map_err(|e| e.with_job(&job))?;
        check_variant(job.provider, self.variant).map_err(|e| e.with_job(&job))?;
        let limit = self.timeout.map(|t| positive_seconds(t, "timeout")).transpose()?;
        let ctx = context_within(&[job.provider], global, limit).await?;
        let simulated = ctx.simulated(job.provider);
        match ctx.client.status(&job).await.map_err(|e| CliError::from(e).with_job(&job))? {
            JobStatus::Succeeded(video) => {
                download(&ctx.client.video(&video)?, self.variant, &out, global, limit, simulated, self.force).await
            }
            other => {
                Err(CliError::failed(format!("job {} is {}, not finished", job.short_form(), other.name()))
                    .with_job(&job))
            }
        }
    }
}
