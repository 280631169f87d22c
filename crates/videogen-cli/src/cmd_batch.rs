//! `videogen batch <file> --out-dir DIR`: every line of a JSON Lines file generated, resumable
//! after a crash without paying twice (see [`crate::batch`]).

use crate::batch::journal::Journal;
use crate::batch::progress::{Progress, summary};
use crate::batch::runner::{RerunOptions, Runner};
use crate::batch::{self};
use crate::cmd::Run;
use crate::context::{Global, context, default_provider};
use crate::exit::CliError;
use crate::output::{self, Report};
use crate::waiting::{WaitOptions, check_out};
use clap::Args;
use std::collections::HashMap;
use std::path::PathBuf;
use videogen::Provider;

/// `videogen batch <file> --out-dir DIR`.
#[derive(Args, Debug)]
pub struct Batch {
    /// The batch file: one JSON object per line, with the fields `generate` takes
    /// (`videogen schema batch-line`).
    pub file: PathBuf,
    /// How many lines run at once.
    #[arg(long, short, default_value_t = 4)]
    pub concurrency: usize,
    /// Where the videos and the journal (videogen-journal.jsonl) go.
    #[arg(long)]
    pub out_dir: PathBuf,
    /// The provider for lines that name none (default: the first with an API key set, else oxen on the simulator).
    #[arg(long, short)]
    pub provider: Option<Provider>,
    /// Send again the lines whose create was refused in an earlier run (nothing was created then).
    #[arg(long)]
    pub retry_failed: bool,
    /// Generate again the lines whose job failed at the provider in an earlier run (pays again).
    #[arg(long)]
    pub retry_failed_jobs: bool,
    /// Submit again the lines whose create's outcome is unknown and cannot be looked up (may pay twice).
    #[arg(long)]
    pub resubmit_unknown: bool,
    /// Write one JSON line per event (submitting, submitted, rate_limited, status, done, failed,
    /// …) on standard output, and the summary as the last line.
    #[arg(long)]
    pub events: bool,
    #[command(flatten)]
    pub wait: WaitOptions,
}

impl Run for Batch {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        if self.concurrency == 0 {
            return Err(CliError::usage("--concurrency must be at least 1"));
        }
        let text = std::fs::read_to_string(&self.file)
            .map_err(|e| CliError::usage(format!("{}: {e}", self.file.display())))?;
        // A UTF-8 byte order mark (some editors write one) is not part of the first line.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let items = batch::parse(text, self.provider.unwrap_or_else(default_provider))?;
        if items.is_empty() {
            return Err(CliError::usage(format!(
                "{}: the batch file has no requests (one JSON object per line; see `videogen schema batch-line`)",
                self.file.display()
            )));
        }
        self.wait.limit()?;
        std::fs::create_dir_all(&self.out_dir)
            .map_err(|e| CliError::usage(format!("--out-dir {}: {e}", self.out_dir.display())))?;
        // Every output path is checked before the first create.
        for out in items.iter().flat_map(|i| &i.outs) {
            check_out(&self.out_dir.join(out))?;
        }
        let (journal, states) = Journal::open(&self.out_dir.join("videogen-journal.jsonl"), &items)?;
        // A file a line of this batch wrote in an earlier run is never overwritten by another line.
        let mut owners: HashMap<&str, usize> = HashMap::new();
        for item in &items {
            for (file, _) in states.get(&item.key).map(|s| s.done.values().collect::<Vec<_>>()).unwrap_or_default() {
                owners.insert(file.as_str(), item.number);
            }
        }
        for item in &items {
            // A line done before writes nothing; the others must not write over another's video.
            if states.get(&item.key).is_some_and(|s| s.done.len() == item.outs.len()) {
                continue;
            }
            for out in &item.outs {
                if let Some(owner) = owners.get(out.as_str()).filter(|n| **n != item.number) {
                    return Err(CliError::usage(format!(
                        "line {}: {out} holds the video of line {owner} from an earlier run; give line {} an \"out\" of its own",
                        item.number, item.number
                    )));
                }
            }
        }
        let mut providers: Vec<Provider> = items.iter().map(|i| i.request.provider).collect();
        providers.sort();
        providers.dedup();
        let ctx = context(&providers, global).await?;
        let progress = Progress::new(items.len(), self.events);
        let ticker = progress.spawn_ticker();
        let rerun = RerunOptions {
            resubmit_unknown: self.resubmit_unknown,
            retry_failed: self.retry_failed,
            retry_failed_jobs: self.retry_failed_jobs,
        };
        let runner = Runner::new(ctx, journal, progress.clone(), self.out_dir.clone(), self.wait.clone(), rerun);
        let mut results = runner.run(&items, &states, self.concurrency).await;
        ticker.abort();
        progress.finish();
        results.sort_by_key(|(n, _)| *n);
        let (mut report, error) = summary(&results, &self.out_dir, progress.elapsed());
        if let (Some(e), serde_json::Value::Object(map)) = (&error, &mut report.json) {
            map.insert("error".into(), e.message.clone().into());
            map.insert("exit_code".into(), (e.code as u8).into());
        }
        if self.events {
            if let serde_json::Value::Object(map) = &mut report.json {
                map.insert("event".into(), "summary".into());
            }
            output::json_line(&report.json);
            report = Report::empty();
        }
        match error {
            Some(e) => {
                report.print(global.json);
                Err(e.reported())
            }
            None => Ok(report),
        }
    }
}
