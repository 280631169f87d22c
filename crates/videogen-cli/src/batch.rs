//! `videogen batch`: a JSON Lines file of requests, run with bounded concurrency, resumable
//! after a crash without paying twice.
//!
//! The journal `<out-dir>/videogen-journal.jsonl` gets one line per event, written and synced to
//! disk before the step it records goes on: `submitting` before a create is sent, `submitted`
//! (with the job handle) as soon as the create returns, then `done` (with the file) or `failed`,
//! or `unknown` when a create's outcome could not be known. A rerun reads it:
//! - `done` lines are skipped; `failed` ones are reported again, not resubmitted;
//! - `submitted` lines resume: wait and download, no new create;
//! - a line whose create was in flight when the process died (`submitting` or `unknown`, with no
//!   `submitted`) is looked up in the provider's job list (Oxen.ai's history and OpenAI's and
//!   AIHubMix's `/v1/videos` list carry the prompt and model): a job with the same prompt and
//!   model, created since the attempt and claimed by no other line, is adopted; when the list
//!   has none, the create never reached the provider and the line is submitted again. Where no
//!   list can tell (VideoDB), the line is reported as outcome-unknown and submitted again only
//!   with `--resubmit-unknown`.

use crate::output::clean;
use crate::{CliError, Context, WaitOptions, context, default_model, default_provider, key_set, wait_policy};
use clap::Args;
use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use videogen::{Error, ImageInput, Job, Provider, VideoRequest};

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// The batch file: one JSON object per line (`videogen schema batch-line`).
    file: PathBuf,
    /// How many jobs run at once.
    #[arg(long, short, default_value_t = 4)]
    concurrency: usize,
    /// Where the videos and the journal go.
    #[arg(long)]
    out_dir: PathBuf,
    /// The provider for lines that name none (default: the first with an API key set, else oxen on the simulator).
    #[arg(long, short)]
    provider: Option<Provider>,
    /// Submit again the lines whose create's outcome is unknown and cannot be looked up (may pay twice).
    #[arg(long)]
    resubmit_unknown: bool,
    #[command(flatten)]
    wait: WaitOptions,
}

/// One line of a batch file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchLine {
    /// What to generate.
    pub prompt: String,
    /// oxen, videodb, aihubmix or openai (default: the command's --provider).
    pub provider: Option<String>,
    /// The model id (default per provider).
    pub model: Option<String>,
    /// Length in seconds.
    pub duration: Option<u32>,
    /// Aspect ratio, e.g. "16:9".
    pub aspect_ratio: Option<String>,
    /// Frame size in pixels, "WIDTHxHEIGHT".
    pub size: Option<String>,
    /// Random seed, where the model takes one.
    pub seed: Option<i64>,
    /// Reference images: URLs or local files.
    #[serde(default)]
    pub images: Vec<String>,
    /// The output file name inside --out-dir (default: the line number, e.g. "0007.mp4").
    pub out: Option<String>,
    /// Provider parameters passed through as-is.
    #[serde(default)]
    pub extra: Map<String, Value>,
}

/// A parsed, checked line.
#[derive(Debug)]
struct Item {
    number: usize,
    line: BatchLine,
    request: VideoRequest,
    out: String,
}

/// Parses every line; all bad lines are reported at once with their number and field.
fn parse(text: &str, default: Provider) -> Result<Vec<Item>, CliError> {
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(raw);
        let line: BatchLine = match serde_path_to_error::deserialize(&mut de) {
            Ok(l) => l,
            Err(e) => {
                let field = e.path().to_string();
                let field = if field == "." { String::new() } else { format!(", field {field}") };
                // serde's own "at line 1 column N" counts within the line; the line number says more.
                let inner = e.inner().to_string();
                let inner = inner.split(" at line ").next().unwrap_or(&inner).to_string();
                problems.push(format!("line {number}{field}: {inner}"));
                continue;
            }
        };
        match item(number, line, default) {
            Ok(item) => items.push(item),
            Err(e) => problems.push(format!("line {number}, {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(CliError::usage(format!("the batch file has bad lines:\n  {}", problems.join("\n  "))));
    }
    let mut outs = HashSet::new();
    for i in &items {
        if !outs.insert(i.out.clone()) {
            return Err(CliError::usage(format!("line {}: out {:?} is used twice", i.number, i.out)));
        }
    }
    Ok(items)
}

fn item(number: usize, line: BatchLine, default: Provider) -> Result<Item, String> {
    let provider = match &line.provider {
        Some(p) => p.parse::<Provider>().map_err(|e| format!("field provider: {e}"))?,
        None => default,
    };
    let model = line.model.clone().unwrap_or_else(|| default_model(provider).to_string());
    let mut request = VideoRequest::new(provider, model).prompt(line.prompt.clone());
    request.duration = line.duration;
    request.aspect_ratio = line.aspect_ratio.clone();
    request.size = match &line.size {
        Some(s) => Some(s.parse().map_err(|e| format!("field size: {e}"))?),
        None => None,
    };
    request.seed = line.seed;
    request.images = line.images.iter().map(|i| ImageInput::parse(i)).collect();
    request.extra = line.extra.clone();
    videogen::models::check(&request).map_err(|e| format!("rule: {e}"))?;
    // Local images are checked now, with the rest of the file, not when the line runs.
    videogen::check_local_inputs(&request).map_err(|e| format!("field images: {e}"))?;
    let out = line.out.clone().unwrap_or_else(|| format!("{number:04}.mp4"));
    if out.contains('/') || out.contains('\\') || out.starts_with('.') {
        return Err(format!("field out: {out:?} must be a plain file name"));
    }
    Ok(Item { number, line, request, out })
}

/// What the journal says of one line.
#[derive(Clone, Debug, Default)]
struct LineState {
    submitting_at: Option<chrono::DateTime<chrono::Utc>>,
    job: Option<Job>,
    done: Option<String>,
    failed: Option<String>,
    unknown: bool,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    line: usize,
    event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job: Option<Job>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What a journal says: each line's state, and the prompt each line was submitted with.
struct Replay {
    states: BTreeMap<usize, LineState>,
    prompts: BTreeMap<usize, String>,
}

/// The append-only journal; each entry is synced to disk before the caller goes on.
struct Journal {
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Opens (or creates) the journal; returns it with each line's state and the prompt each
    /// line was submitted with.
    fn open(path: &Path) -> Result<(Self, Replay), CliError> {
        let io = |e: std::io::Error| CliError { code: 1, message: format!("{}: {e}", path.display()), job: None };
        let mut states: BTreeMap<usize, LineState> = BTreeMap::new();
        let mut prompts = BTreeMap::new();
        if let Ok(text) = std::fs::read_to_string(path) {
            for raw in text.lines() {
                // A line cut by a crash in the middle of a write is ignored.
                let Ok(entry) = serde_json::from_str::<Entry>(raw) else { continue };
                let state = states.entry(entry.line).or_default();
                match entry.event.as_str() {
                    "submitting" => {
                        state.submitting_at = entry.at;
                        state.unknown = false;
                        if let Some(p) = entry.prompt {
                            prompts.insert(entry.line, p);
                        }
                    }
                    "submitted" => state.job = entry.job,
                    "done" => state.done = entry.file,
                    "failed" => state.failed = entry.error,
                    "unknown" => state.unknown = true,
                    _ => {}
                }
            }
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        Ok((Self { file: Mutex::new(file) }, Replay { states, prompts }))
    }

    fn append(&self, entry: &Entry) -> Result<(), CliError> {
        let mut text = serde_json::to_string(entry).unwrap_or_default();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(text.as_bytes()).and_then(|()| file.sync_data()).map_err(|e| CliError {
            code: 1,
            message: format!("writing the journal: {e}"),
            job: None,
        })
    }
}

fn entry(line: usize, event: &str) -> Entry {
    Entry { line, event: event.into(), at: None, prompt: None, job: None, file: None, error: None }
}

/// How a line ended in this run.
enum Ended {
    Done,
    Failed(String),
    Unknown(String),
}

pub async fn run(args: BatchArgs, force_sim: bool, json: bool) -> Result<(), CliError> {
    if args.concurrency == 0 {
        return Err(CliError::usage("--concurrency must be at least 1"));
    }
    let text =
        std::fs::read_to_string(&args.file).map_err(|e| CliError::usage(format!("{}: {e}", args.file.display())))?;
    // A UTF-8 byte order mark (some editors write one) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let default = args.provider.unwrap_or_else(default_provider);
    let items = parse(text, default)?;
    if items.is_empty() {
        return Err(CliError::usage(format!(
            "{}: the batch file has no requests (one JSON object per line; see `videogen schema batch-line`)",
            args.file.display()
        )));
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| CliError::usage(format!("--out-dir {}: {e}", args.out_dir.display())))?;
    // Every output path is checked before the first create.
    for item in &items {
        crate::check_out(&args.out_dir.join(&item.out))?;
    }
    let (journal, Replay { states, prompts }) = Journal::open(&args.out_dir.join("videogen-journal.jsonl"))?;
    for item in &items {
        if let Some(p) = prompts.get(&item.number)
            && *p != item.line.prompt
        {
            return Err(CliError::usage(format!(
                "line {}: the journal in {} belongs to another batch file (its prompt differs); use another --out-dir",
                item.number,
                args.out_dir.display()
            )));
        }
    }
    let mut providers: Vec<Provider> = items.iter().map(|i| i.request.provider).collect();
    providers.sort();
    providers.dedup();
    let simulated = force_sim || providers.iter().any(|p| !key_set(*p));
    let ctx = Arc::new(context(&providers, force_sim).await?);
    let claimed: Arc<Mutex<HashSet<String>>> =
        Arc::new(Mutex::new(states.values().filter_map(|s| s.job.as_ref().map(|j| j.short_form())).collect()));
    let journal = Arc::new(journal);
    let results: Vec<(usize, Ended)> = futures::stream::iter(items)
        .map(|item| {
            let state = states.get(&item.number).cloned().unwrap_or_default();
            let ctx = ctx.clone();
            let journal = journal.clone();
            let claimed = claimed.clone();
            let out_dir = args.out_dir.clone();
            let wait = args.wait.clone();
            let resubmit_unknown = args.resubmit_unknown;
            async move {
                let number = item.number;
                let ended =
                    run_line(&ctx, &journal, &claimed, item, state, &out_dir, &wait, simulated, resubmit_unknown).await;
                let ended = match ended {
                    Ok(e) => e,
                    Err(e) => Ended::Failed(e.message),
                };
                match &ended {
                    Ended::Done => crate::output::err(&format!("line {number}: done")),
                    Ended::Failed(m) => crate::output::err(&format!("line {number}: failed: {}", clean(m))),
                    Ended::Unknown(m) => crate::output::err(&format!("line {number}: outcome unknown: {}", clean(m))),
                }
                (number, ended)
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let done = results.iter().filter(|(_, e)| matches!(e, Ended::Done)).count();
    let failed: Vec<Value> = results
        .iter()
        .filter_map(|(n, e)| if let Ended::Failed(m) = e { Some(json!({"line": n, "error": m})) } else { None })
        .collect();
    let unknown: Vec<Value> = results
        .iter()
        .filter_map(|(n, e)| if let Ended::Unknown(m) = e { Some(json!({"line": n, "error": m})) } else { None })
        .collect();
    if json {
        crate::print_json(&json!({"done": done, "failed": failed, "unknown": unknown, "out_dir": args.out_dir}));
    } else {
        crate::output::out(&format!(
            "{done} done, {} failed, {} outcome unknown ({})",
            failed.len(),
            unknown.len(),
            clean(&args.out_dir.display().to_string())
        ));
    }
    if !unknown.is_empty() {
        return Err(CliError {
            code: 6,
            message: format!(
                "{} lines have an unknown outcome; rerun with --resubmit-unknown to submit them again (may pay twice)",
                unknown.len()
            ),
            job: None,
        });
    }
    if !failed.is_empty() {
        return Err(CliError { code: 1, message: format!("{} lines failed", failed.len()), job: None });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn run_line(
    ctx: &Context,
    journal: &Journal,
    claimed: &Mutex<HashSet<String>>,
    item: Item,
    state: LineState,
    out_dir: &Path,
    wait: &WaitOptions,
    simulated: bool,
    resubmit_unknown: bool,
) -> Result<Ended, CliError> {
    let path = out_dir.join(&item.out);
    if state.done.is_some() && path.exists() {
        return Ok(Ended::Done);
    }
    if let Some(error) = state.failed {
        return Ok(Ended::Failed(error));
    }
    let provider = item.request.provider;
    let job = match state.job {
        Some(job) => job,
        None => {
            let in_flight = state.submitting_at.is_some() || state.unknown;
            let adopted = if in_flight { look_up(ctx, claimed, &item, state.submitting_at).await? } else { None };
            match adopted {
                Some(job) => {
                    journal.append(&Entry { job: Some(job.clone()), ..entry(item.number, "submitted") })?;
                    job
                }
                None => {
                    let listable = videogen::Client::supports(provider, videogen::Operation::ListUnfinished);
                    if in_flight && !listable && !resubmit_unknown {
                        return Ok(Ended::Unknown(format!(
                            "the create was in flight when the last run stopped and {provider} has no job list to check"
                        )));
                    }
                    journal.append(&Entry {
                        at: Some(chrono::Utc::now()),
                        prompt: Some(item.line.prompt.clone()),
                        ..entry(item.number, "submitting")
                    })?;
                    match ctx.client.submit(&item.request).await {
                        Ok(job) => {
                            journal.append(&Entry { job: Some(job.clone()), ..entry(item.number, "submitted") })?;
                            claimed.lock().unwrap_or_else(|p| p.into_inner()).insert(job.short_form());
                            job
                        }
                        Err(e @ Error::OutcomeUnknown { .. }) => {
                            journal.append(&Entry { error: Some(e.to_string()), ..entry(item.number, "unknown") })?;
                            return Ok(Ended::Unknown(e.to_string()));
                        }
                        Err(e) => {
                            journal.append(&Entry { error: Some(e.to_string()), ..entry(item.number, "failed") })?;
                            return Ok(Ended::Failed(e.to_string()));
                        }
                    }
                }
            }
        }
    };
    let policy = wait_policy(provider, wait, simulated)?;
    // A partial download of this job (a run killed while downloading) is resumed with Range.
    let result = async {
        let video = ctx.client.wait(&job, policy).await?;
        video.download_to(&path).await
    }
    .await;
    match result {
        Ok(file) => {
            journal.append(&Entry { file: Some(item.out.clone()), ..entry(item.number, "done") })?;
            let _ = file;
            Ok(Ended::Done)
        }
        Err(
            e @ (Error::JobFailed { .. }
            | Error::ContentPolicy { .. }
            | Error::Cancelled { .. }
            | Error::Expired { .. }),
        ) => {
            journal.append(&Entry { error: Some(e.to_string()), ..entry(item.number, "failed") })?;
            Ok(Ended::Failed(e.to_string()))
        }
        // Timeouts, network trouble: the job stays `submitted`; a rerun resumes it.
        Err(e) => Ok(Ended::Failed(format!("{e} (rerun to resume job {})", job.short_form()))),
    }
}

/// Finds the job a lost create made: same prompt and model, created since the attempt (with a
/// minute of clock slack), claimed by no other line. `Ok(None)` when the list has none.
async fn look_up(
    ctx: &Context,
    claimed: &Mutex<HashSet<String>>,
    item: &Item,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<Job>, CliError> {
    let provider = item.request.provider;
    if !videogen::Client::supports(provider, videogen::Operation::ListUnfinished) {
        return Ok(None);
    }
    let jobs = ctx.client.list(provider).await?;
    let since = since.map(|t| t - chrono::Duration::seconds(60));
    let mut claimed = claimed.lock().unwrap_or_else(|p| p.into_inner());
    let found = jobs.into_iter().rev().find(|s| {
        s.prompt.as_deref() == Some(item.line.prompt.as_str())
            && s.job.model == item.request.model
            && since.is_none_or(|t| s.job.created_at >= t)
            && !claimed.contains(&s.job.short_form())
    });
    Ok(found.map(|s| {
        claimed.insert(s.job.short_form());
        tracing::info!(line = item.number, job = %s.job.short_form(), "adopted the job a lost create made");
        s.job
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_name_their_number_and_field() {
        let text = "{\"prompt\": \"ok\"}\n\n{\"prompt\": 5}\n{\"prompt\": \"x\", \"duraton\": 5}\n{\"prompt\": \"x\", \"size\": \"big\"}\n";
        let err = parse(text, Provider::Oxen).unwrap_err().message;
        assert!(err.contains("line 3, field prompt: invalid type"), "{err}");
        assert!(err.contains("line 4") && err.contains("duraton"), "{err}");
        assert!(err.contains("line 5, field size"), "{err}");
        assert!(!err.contains("line 1") && !err.contains("column"), "{err}");
    }

    #[test]
    fn rules_are_checked_per_line() {
        let text = "{\"prompt\": \"x\", \"provider\": \"openai\", \"duration\": 5}\n";
        let err = parse(text, Provider::Oxen).unwrap_err().message;
        assert!(err.contains("line 1, rule") && err.contains("4, 8, 12"), "{err}");
        let ok = parse("{\"prompt\": \"x\", \"out\": \"a.mp4\"}\n{\"prompt\": \"y\"}\n", Provider::Oxen).unwrap();
        assert_eq!(ok.iter().map(|i| i.out.as_str()).collect::<Vec<_>>(), ["a.mp4", "0002.mp4"]);
        assert!(parse("{\"prompt\": \"x\", \"out\": \"../a.mp4\"}\n", Provider::Oxen).is_err());
    }
}
