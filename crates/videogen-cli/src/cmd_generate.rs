//! `videogen generate`: submit a request, wait with a progress spinner, download the result —
//! one job and one file per output (`--count`), or Oxen.ai's synchronous generate (`--now`).

use crate::cmd::Run;
use crate::context::{Global, context_within};
use crate::exit::CliError;
use crate::output::{self, Report, clean};
use crate::request::RequestArgs;
use crate::vocabulary::{ErrorReport, FailedOutput, Output, OutputsReport};
use crate::waiting::{
    VariantArg, WaitOptions, check_out, default_out, download, download_file, numbered, wait_policy, wait_with_progress,
};
use clap::Args;
use std::path::{Path, PathBuf};
use videogen::{Client, Job, Operation};

/// `videogen generate "<prompt>" [--out FILE]`.
#[derive(Args, Debug)]
pub struct Generate {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Where to write the file (default: videogen-JOBID.mp4; with --count N, FILE's name gets
    /// -1 … -N before its extension); `-` writes the video to standard output once it is
    /// downloaded and checked (the report goes to standard error).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// What to download when the job is done: the video, or its thumbnail or spritesheet.
    #[arg(long, value_enum, default_value_t = VariantArg::Video)]
    pub variant: VariantArg,
    /// Oxen.ai's synchronous generate: one request that answers when the video is done (no job
    /// to resume if the connection drops; the queue is the safer default).
    #[arg(long)]
    pub now: bool,
    /// With --now: the video comes inline in the answer (Oxen.ai response_format b64_json).
    #[arg(long, requires = "now")]
    pub b64: bool,
    /// Replace an existing output file (by default an existing file is refused before anything
    /// is sent, and one that appears while the job runs is kept).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub budget: crate::budget::BudgetArgs,
    #[command(flatten)]
    pub wait: WaitOptions,
}

/// The file for output `index` (0-based) of `count`: `out` itself for one output, else `out`
/// with `-N` before its extension; the job's default name when there is no `out`.
fn nth_out(out: Option<&Path>, index: usize, count: usize, job: &Job, variant: VariantArg) -> PathBuf {
    match out {
        Some(out) => numbered(out, index, count),
        None => default_out(job, variant),
    }
}

impl Run for Generate {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let provider = self.request.provider();
        let mut request = self.request.checked_request()?;
        // A provider that enforces deadlines stops the job when this command would stop waiting
        // for it (Replicate's Cancel-After): nobody pays for a job nobody waits for.
        if let Some(limit) = self.wait.limit()?
            && Client::supports(provider, Operation::Deadline)
            && request.cancel_after.is_none()
        {
            request = request.cancel_after(limit);
        }
        let count = request.outputs()? as usize;
        if self.now && count > 1 {
            return Err(CliError::usage("--now makes one video; drop --count or drop --now"));
        }
        crate::waiting::check_variant(provider, self.variant)?;
        if self.now && !Client::supports(provider, Operation::GenerateNow) {
            return Err(videogen::Error::Unsupported { provider, operation: Operation::GenerateNow }.into());
        }
        // Every output path is checked before the create: a bad one costs nothing.
        if self.out.as_deref().is_some_and(crate::waiting::is_stdout) && count > 1 {
            return Err(CliError::usage("--out - writes one video to standard output; drop --count or name a file"));
        }
        match &self.out {
            Some(out) => (0..count).try_for_each(|i| check_out(&numbered(out, i, count), self.force))?,
            // The default names (from the job id, checked again before writing) go in the current folder.
            None => check_out(Path::new("videogen-output.mp4"), true)?,
        }
        let ctx = context_within(&[provider], global, self.wait.limit()?).await?;
        let simulated = ctx.simulated(provider);
        if let Some(report) = self.budget.before_sending(&ctx.client, &request, &self.request, simulated).await? {
            return Ok(report);
        }
        let started = std::time::Instant::now();
        if self.now {
            if self.b64 {
                request = request.extra("response_format", serde_json::Value::from("b64_json"));
            }
            if !global.json {
                output::err("generating with Oxen.ai's synchronous generate (the answer comes when the video is done)");
            }
            let video = ctx.client.generate_now(&request).await?;
            let out = nth_out(self.out.as_deref(), 0, 1, &video.job, self.variant);
            return download(&video, self.variant, &out, global, self.wait.time_left(started), simulated, self.force)
                .await;
        }
        let jobs =
            if count > 1 { ctx.client.submit_many(&request).await? } else { vec![ctx.client.submit(&request).await?] };
        // Every paid job's handle is said at once (with --json too when there are several: an
        // interruption names only the job being waited on).
        if !global.json || jobs.len() > 1 {
            for job in &jobs {
                output::err(&format!("submitted {}", clean(&job.short_form())));
            }
        }
        let policy = wait_policy(provider, &self.wait, simulated)?;
        let mut text = Vec::new();
        let mut outputs = Vec::new();
        let mut failures: Vec<CliError> = Vec::new();
        if let Ok(mut pending) = crate::waiting::PENDING.lock() {
            pending.extend(
                jobs.iter()
                    .enumerate()
                    .map(|(i, job)| (job.clone(), nth_out(self.out.as_deref(), i, jobs.len(), job, self.variant))),
            );
        }
        for (i, job) in jobs.iter().enumerate() {
            let out = nth_out(self.out.as_deref(), i, jobs.len(), job, self.variant);
            let time_left = || self.wait.time_left(started);
            if crate::waiting::is_stdout(&out) {
                // One output (checked above), whose report goes to standard error.
                let video = wait_with_progress(&ctx.client, job, policy, global, Some(&out), simulated).await?;
                return download(&video, self.variant, &out, global, time_left(), simulated, self.force)
                    .await
                    .map_err(|e| e.with_job(job));
            }
            let result = async {
                let video = wait_with_progress(&ctx.client, job, policy, global, Some(&out), simulated).await?;
                download_file(&video, self.variant, &out, i + 1, global, time_left(), simulated, self.force).await
            }
            .await;
            if let Ok(mut pending) = crate::waiting::PENDING.lock() {
                pending.retain(|(j, _)| j != job);
            }
            match result {
                Ok((line, file)) => {
                    text.push(line);
                    outputs.push(Output::File(file));
                }
                // The other outputs go on; every failed one is reported with its handle.
                Err(e) => {
                    let e = e.with_job(job);
                    outputs.push(Output::Failed(FailedOutput { output: i + 1, error: ErrorReport::of(&e) }));
                    failures.push(e);
                }
            }
        }
        // One JSON object whatever the count: a file or an error per output; every error with
        // its job on standard error, and the exit code of the last.
        let report = Report::typed(text, &OutputsReport { outputs });
        let Some(last) = failures.pop() else { return Ok(report) };
        report.print(global.json);
        for e in &failures {
            // Their JSON is in the report already: standard error only.
            crate::output::print_error(e, Global { json: false, ..global });
        }
        Err(last.reported())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_outputs_get_numbered_names() {
        let job = Job::from_short_form("oxen:j/1").unwrap();
        assert_eq!(nth_out(Some(Path::new("d/a.mp4")), 1, 3, &job, VariantArg::Video), Path::new("d/a-2.mp4"));
        assert_eq!(nth_out(Some(Path::new("a.mp4")), 0, 1, &job, VariantArg::Video), Path::new("a.mp4"));
        assert_eq!(nth_out(None, 0, 2, &job, VariantArg::Thumbnail), Path::new("videogen-j-1-thumbnail.webp"));
    }
}
