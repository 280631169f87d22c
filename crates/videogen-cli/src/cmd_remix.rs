//! `videogen remix <job> "<prompt>" [--model M] [--wait] [--out FILE]`.

use crate::cmd::Run;
use crate::context::{Global, context_within};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::waiting::{VariantArg, WaitOptions, check_out, download, parse_job, wait_policy, wait_with_progress};
use clap::Args;
use std::path::PathBuf;

/// `videogen remix <job> "<prompt>"`.
#[derive(Args, Debug)]
pub struct Remix {
    /// The finished job to remix: its JSON handle or provider:id.
    pub job: String,
    /// The new prompt.
    pub prompt: String,
    /// The model of the new job, where the provider remixes through a new generation (Oxen.ai:
    /// one that takes an input video, such as kling-video-o3-omni; default: the source's).
    /// OpenAI-compatible remixes keep the source's model.
    #[arg(long, short)]
    pub model: Option<String>,
    /// Wait for the new job (a progress spinner; without a terminal, a line per status).
    #[arg(long)]
    pub wait: bool,
    /// Wait for the new job and download its video here (implies --wait).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Replace an existing output file (by default an existing file is refused before anything
    /// is sent).
    #[arg(long, requires = "out")]
    pub force: bool,
    #[command(flatten)]
    pub waiting: WaitOptions,
}

impl Run for Remix {
    /// Submits a remix of a finished job (OpenAI, AIHubMix: `POST /videos/{id}/remix`; Oxen.ai:
    /// a generation with the video as `input_video`); prints the new job's handle, which `wait`
    /// and `download` take, or with `--wait`/`--out` waits for it (and downloads it).
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let source = parse_job(&self.job)?;
        if let Some(out) = &self.out {
            check_out(out, self.force)?;
        }
        let ctx = context_within(&[source.provider], global, self.waiting.limit()?).await?;
        let simulated = ctx.simulated(source.provider);
        let policy = wait_policy(source.provider, &self.waiting, simulated)?;
        let started = std::time::Instant::now();
        let job = ctx.client.remix_with_model(&source, &self.prompt, self.model.as_deref()).await?;
        if !self.wait && self.out.is_none() {
            let handle = serde_json::to_string(&job).unwrap_or_default();
            return Ok(Report::typed(vec![clean(&handle)], &crate::vocabulary::JobsReport { jobs: vec![job] }));
        }
        crate::output::err(&format!("submitted {}", clean(&job.short_form())));
        let video = wait_with_progress(&ctx.client, &job, policy, global, self.out.as_deref(), simulated)
            .await
            .map_err(|e| e.with_job(&job))?;
        match &self.out {
            Some(out) => {
                download(&video, VariantArg::Video, out, global, self.waiting.time_left(started), simulated, self.force)
                    .await
                    .map_err(|e| e.with_job(&job))
            }
            None => Ok(crate::waiting::succeeded(&job, &video)),
        }
    }
}
