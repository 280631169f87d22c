//! The command's `--json` vocabulary: one type per report, each with its JSON Schema
//! (`videogen schema output <command>` prints a command's), so a script reads every command the
//! same way:
//!
//! - a command that writes files says so in `{"outputs": [...]}` (one [`FileReport`] per file,
//!   numbered from 1 as the files are; an output that failed is a [`FailedOutput`] in its
//!   place), whatever the count: `generate`, `download`, `wait --out`, `remix --out`;
//! - a command that creates jobs without waiting says `{"jobs": [...]}` ([`JobsReport`]):
//!   `submit`, `remix`;
//! - a command about one job's state says a [`StatusReport`]: `status`, `wait`, `remix --wait`,
//!   `cancel`, `delete`;
//! - an error, an interruption included, is an [`ErrorReport`] on standard output (and a line on
//!   standard error);
//! - money is a [`videogen::Cost`] (`{"amount": "0.35", "currency": "USD"}`: the amount a
//!   decimal string, exact, as the library serializes it), or `null` when unknown; totals are a
//!   list of them, one per currency (`total_cost`, `total_estimate`);
//! - times are RFC 3339 in UTC with `Z`; counts, bytes and seconds are JSON numbers; a field
//!   that is unknown is `null`, never left out.

use crate::exit::{CliError, ExitCode};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use schemars::schema::RootSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use videogen::{Cost, Job, Variant};

/// An error, as `--json` prints it on standard output (every error: clap's usage errors, a
/// failed job, a refusal, an interruption).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ErrorReport {
    /// What went wrong, in one sentence (also on standard error, after `error: `).
    pub error: String,
    /// The process's exit code (see `videogen --help`).
    pub exit_code: u8,
    /// The exit code's class: `failed`, `usage`, `config`, `job_failed`, `timeout`,
    /// `outcome_unknown`, `drift`, `refused`, `interrupted` or `terminated`.
    pub kind: ExitKind,
    /// The job the error is about, when there is one: a paid job is never lost to an error.
    pub job: Option<Job>,
    /// Every job that goes on at the provider (an interruption names each one still pending);
    /// empty otherwise.
    pub jobs: Vec<Job>,
    /// More lines: the usage, the commands that resume each job.
    pub details: Vec<String>,
}

/// [`ExitCode`]'s class as a word, in JSON.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExitKind {
    /// Exit 0.
    Done,
    /// Exit 1.
    Failed,
    /// Exit 2.
    Usage,
    /// Exit 3.
    Config,
    /// Exit 4.
    JobFailed,
    /// Exit 5.
    Timeout,
    /// Exit 6.
    OutcomeUnknown,
    /// Exit 7.
    Drift,
    /// Exit 8.
    Refused,
    /// Exit 130.
    Interrupted,
    /// Exit 143.
    Terminated,
}

impl From<ExitCode> for ExitKind {
    fn from(code: ExitCode) -> Self {
        match code {
            ExitCode::Done => Self::Done,
            ExitCode::Failed => Self::Failed,
            ExitCode::Usage => Self::Usage,
            ExitCode::Config => Self::Config,
            ExitCode::JobFailed => Self::JobFailed,
            ExitCode::Timeout => Self::Timeout,
            ExitCode::OutcomeUnknown => Self::OutcomeUnknown,
            ExitCode::Drift => Self::Drift,
            ExitCode::Refused => Self::Refused,
            ExitCode::Interrupted => Self::Interrupted,
            ExitCode::Terminated => Self::Terminated,
        }
    }
}

impl ErrorReport {
    /// The report of `e`.
    pub fn of(e: &CliError) -> Self {
        Self::new(e.code, e.message.clone(), e.job.as_deref().cloned(), e.details.clone())
    }

    /// An error of class `code`.
    pub fn new(code: ExitCode, error: String, job: Option<Job>, details: Vec<String>) -> Self {
        Self { error, exit_code: code as u8, kind: code.into(), job, jobs: Vec::new(), details }
    }
}

/// One file a command wrote.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FileReport {
    /// Which output of the command it is, from 1 (the `-N` of `--out a.mp4 --count N`'s names).
    pub output: usize,
    /// The job it came from.
    pub job: Job,
    /// Where it is (`-`: it went to standard output).
    pub file: String,
    /// Its length, in bytes.
    pub bytes: u64,
    /// The byte a resumed download went on from (0: downloaded whole).
    pub resumed_from: u64,
    /// What was downloaded: `video`, `thumbnail` or `spritesheet`.
    pub variant: Variant,
    /// What the provider reported the job cost; `null` when it reports none, and for a
    /// simulated video.
    pub cost: Option<Cost>,
    /// Made by the built-in simulator: not a real video, nothing paid.
    pub simulated: bool,
}

/// An output that did not become a file, in the place of its [`FileReport`].
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FailedOutput {
    /// Which output it is, from 1.
    pub output: usize,
    /// The error (its `job` is the output's job).
    #[serde(flatten)]
    pub error: ErrorReport,
}

/// One output of a command that writes files: the file, or why there is none.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    /// Written.
    File(FileReport),
    /// Not written.
    Failed(FailedOutput),
}

/// What `generate`, `download`, `wait --out` and `remix --out` wrote: one entry per output,
/// in order, whatever the count.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OutputsReport {
    /// Each output, from 1.
    pub outputs: Vec<Output>,
}

/// The jobs a command created and did not wait for (`submit`, `remix`): their handles, which
/// `status`, `wait`, `download` and `remix` take (so does this whole report when it holds one).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct JobsReport {
    /// The handles, in the order of the outputs.
    pub jobs: Vec<Job>,
}

/// A job's state word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateWord {
    /// Waiting at the provider.
    Queued,
    /// Being made.
    Running,
    /// Made: `url` is its result.
    Succeeded,
    /// Made, and its result URL is past `expires_at`: generate it again.
    Expired,
    /// Failed at the provider: `error` says why.
    Failed,
    /// Cancelled.
    Cancelled,
    /// A state this version does not know: `provider_status` is the provider's own word.
    Unrecognized,
    /// Deleted at the provider (`delete`).
    Deleted,
}

impl StateWord {
    /// The word of a [`videogen::JobStatus::name`].
    pub fn of_name(name: &str) -> Self {
        match name {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "expired" => Self::Expired,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "deleted" => Self::Deleted,
            _ => Self::Unrecognized,
        }
    }
}

/// The `error` of a job whose result URL is past its expiry (`"status": "expired"`).
pub const EXPIRED_URL: &str = "the result URL has expired; generate it again";

/// One job's state: what `status`, `wait` (without `--out`), `remix --wait`, `cancel` and
/// `delete` print.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StatusReport {
    /// The job.
    pub job: Job,
    /// Its state.
    pub status: StateWord,
    /// Its progress, 0 to 100, when the provider reports one.
    pub progress: Option<u8>,
    /// Why it failed, or what its state means.
    pub error: Option<String>,
    /// The result URL of a finished job (it may expire: `expires_at`).
    pub url: Option<String>,
    /// The provider's own state word, as it sent it.
    pub provider_status: Option<String>,
    /// Whether the result URL is past its expiry.
    pub expired: bool,
    /// When the result URL expires, when the provider says.
    pub expires_at: Option<DateTime<Utc>>,
    /// What the job cost, when the provider reports it.
    pub cost: Option<Cost>,
}

impl StatusReport {
    /// A job in state `status`, with nothing else known.
    pub fn bare(job: &Job, status: StateWord) -> Self {
        Self {
            job: job.clone(),
            status,
            progress: None,
            error: None,
            url: None,
            provider_status: None,
            expired: false,
            expires_at: None,
            cost: None,
        }
    }
}

/// A VideoDB collection `collections delete` removed.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CollectionDeleted {
    /// Its id.
    pub collection: String,
    /// Always `deleted`.
    pub status: StateWord,
}

/// What `collections` prints: the list, the created collection, or the deleted one.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
pub enum CollectionsOutput {
    /// `collections` (`list`).
    List(Vec<videogen::Collection>),
    /// `collections create`.
    Created(videogen::Collection),
    /// `collections delete`.
    Deleted(CollectionDeleted),
}

/// One model of the catalogue as `models --json` prints it: its rules, as people write its id,
/// and its status today.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CatalogueRow {
    /// The id as people read it: `(any)` for a provider's any-model row, `prefix*` for a prefix.
    pub model: String,
    /// Its status today (its lifecycle's status is the one on the day the source was read).
    pub status: videogen::catalog::ModelStatus,
    /// Every field of the catalogue's row.
    #[serde(flatten)]
    pub info: videogen::models::ModelInfo,
}

/// What `models --drift` prints: where the provider's live list and the catalogue differ.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DriftReport {
    /// The provider.
    pub provider: videogen::Provider,
    /// Whether anything differs (exit 7 when it does).
    pub differs: bool,
    /// Listed by the provider, not in the catalogue.
    pub not_in_catalogue: Vec<String>,
    /// In the catalogue (not retired), no longer listed.
    pub no_longer_listed: Vec<String>,
    /// Retired in the catalogue, still listed.
    pub retired_but_listed: Vec<String>,
    /// Rules that differ from the provider's published schema.
    pub rules_differ: Vec<String>,
}

/// What `models` prints: the catalogue's rows, the provider's live list (`--live`), or the
/// drift between them (`--drift`).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
pub enum ModelsOutput {
    /// The catalogue.
    Catalogue(Vec<CatalogueRow>),
    /// `--live`.
    Live(Vec<videogen::models::Model>),
    /// `--drift`.
    Drift(DriftReport),
}

/// `generate --dry-run`, `submit --dry-run`: what would be sent, its checks and its estimate.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DryRunReport {
    /// Always `true`.
    pub dry_run: bool,
    /// Always `false`: nothing was sent.
    pub sent: bool,
    /// Always `passed` (a failed check exits 2 with an [`ErrorReport`]).
    pub checks: String,
    /// The provider.
    pub provider: videogen::Provider,
    /// The model.
    pub model: String,
    /// How many videos it would make.
    pub outputs: u32,
    /// The request's fields, as a batch line writes them.
    #[schemars(with = "crate::request::RequestFields")]
    pub request: serde_json::Value,
    /// The estimate from the provider's published prices; `null` when none is published.
    pub estimate: Option<Cost>,
    /// The provider is the built-in simulator (an estimate from its API is the simulator's figure;
    /// one from the catalogue is the published price).
    pub simulated: bool,
}

/// One line of a batch `--dry-run`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DryRunLine {
    /// Its line number in the file, from 1.
    pub line: usize,
    /// Its provider.
    pub provider: videogen::Provider,
    /// Its model.
    pub model: String,
    /// The files it would write, in the output folder.
    pub files: Vec<String>,
    /// Its estimate; `null` when no price is published.
    pub estimate: Option<Cost>,
}

/// A provider's part of a batch `--dry-run`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ProviderEstimate {
    /// Its lines.
    pub lines: usize,
    /// How many of them have no published price.
    pub without_price: usize,
    /// The estimate of the others, one per currency.
    pub total_estimate: Vec<Cost>,
}

/// `batch --dry-run`: every line checked, estimated, nothing sent.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct BatchDryRunReport {
    /// Always `true`.
    pub dry_run: bool,
    /// Always `false`.
    pub sent: bool,
    /// The lines checked.
    pub lines: usize,
    /// How many have no published price.
    pub without_price: usize,
    /// The estimate of the others, one per currency.
    pub total_estimate: Vec<Cost>,
    /// Per provider.
    pub by_provider: BTreeMap<String, ProviderEstimate>,
    /// Some provider is the built-in simulator.
    pub simulated: bool,
    /// Each line.
    pub requests: Vec<DryRunLine>,
}

/// A line of a batch that did not finish, in its summary.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LineProblem {
    /// Its line number, from 1.
    pub line: usize,
    /// Why.
    pub error: String,
    /// The exit code it stands for.
    pub exit_code: u8,
}

/// A file a batch run wrote (or found from an earlier run).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct WrittenFile {
    /// Its line, from 1.
    pub line: usize,
    /// Which of the line's outputs, from 1.
    pub output: usize,
    /// Its name in `out_dir`.
    pub file: String,
    /// Made by the built-in simulator.
    pub simulated: bool,
}

/// The summary a `batch` run ends with (with `--events`, its last line, with `"event":
/// "summary"`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct BatchSummary {
    /// Always `summary`, with `--events`; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Lines done (this run's and earlier runs').
    pub done: usize,
    /// Of them, done by an earlier run.
    pub done_before: usize,
    /// Lines whose job failed at the provider.
    pub failed: Vec<LineProblem>,
    /// Lines the provider refused (nothing created).
    pub refused: Vec<LineProblem>,
    /// Lines whose create's outcome is unknown.
    pub unknown: Vec<LineProblem>,
    /// Lines stopped (interrupted, timed out): a rerun resumes them.
    pub stopped: Vec<LineProblem>,
    /// Every file, by name in `out_dir`.
    pub files: Vec<String>,
    /// Every file with its line and output.
    pub written: Vec<WrittenFile>,
    /// How many done lines the built-in simulator made.
    pub simulated: usize,
    /// What the providers reported, one per currency (simulated lines never count).
    pub total_cost: Vec<Cost>,
    /// Done lines whose provider reported no cost.
    pub without_reported_cost: usize,
    /// The output folder.
    pub out_dir: String,
    /// The run's time, in seconds.
    pub elapsed_seconds: f64,
    /// The shared ledger, with `--ledger`: `kind`, `batch_id`, `worker`, `statement_seconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<serde_json::Value>,
    /// Why the run exits non-zero, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The exit code, when non-zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
}

/// A worker of a shared ledger, in `batch status`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct WorkerReport {
    /// Its id.
    pub worker: String,
    /// Its host.
    pub host: String,
    /// Its process id.
    pub pid: i32,
    /// Its output folder.
    pub out_dir: String,
    /// Lines it finished.
    pub lines_done: i32,
    /// Lines it holds now.
    pub lines_held: i64,
    /// Seconds since its last heartbeat.
    pub last_heartbeat_seconds_ago: f64,
    /// `alive`, `stopped` or `lost` (no heartbeat within the lease).
    pub state: String,
}

/// A line that did not finish, in `batch status`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StatusFailure {
    /// Its line, from 1.
    pub line: i64,
    /// `failed`, `refused` or `unknown`.
    pub state: String,
    /// Why.
    pub error: Option<String>,
    /// The provider's content policy refused it.
    pub content_policy: bool,
}

/// A file of a batch, in `batch status`: where it is.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StatusFile {
    /// Its line, from 1.
    pub line: i64,
    /// Which of the line's outputs, from 1.
    pub output: usize,
    /// Its name.
    pub file: Option<String>,
    /// The folder it is in.
    pub out_dir: Option<String>,
    /// The host of that folder (a shared ledger's workers); `null` for the embedded journal.
    pub host: Option<String>,
    /// The worker that wrote it; `null` for the embedded journal.
    pub worker: Option<String>,
}

/// `batch status`: a batch's state, from a shared ledger or a folder's journal.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct BatchStatusReport {
    /// The batch's id in the ledger; `null` for a folder's journal.
    pub batch_id: Option<String>,
    /// The batch file it was started from, when known.
    pub file: Option<String>,
    /// When the ledger first saw it.
    pub created_at: Option<DateTime<Utc>>,
    /// Its lines.
    pub lines: i64,
    /// Lines per state (`pending`, `submitted`, `done`, `failed`, `refused`, `unknown`, …).
    pub totals: BTreeMap<String, i64>,
    /// Lines held by a worker now.
    pub in_flight: i64,
    /// The workers (a shared ledger's).
    pub workers: Vec<WorkerReport>,
    /// Lines that did not finish.
    pub failures: Vec<StatusFailure>,
    /// Every file.
    pub files: Vec<StatusFile>,
    /// What the providers reported, one per currency.
    pub total_cost: Vec<Cost>,
}

/// Totals per currency as a list of [`Cost`], amounts normalized (`0.7`, not `0.70`).
pub fn totals(by_currency: &BTreeMap<String, videogen::Decimal>) -> Vec<Cost> {
    by_currency.iter().map(|(c, a)| Cost { amount: a.normalize(), currency: c.clone() }).collect()
}

/// `value` as JSON (every type here serializes without error).
pub fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// The commands whose `--json` output has a schema: `videogen schema output <command>`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputOf {
    /// `{"outputs": [...]}`, or a dry run's report.
    Generate,
    /// `{"jobs": [...]}`, or a dry run's report.
    Submit,
    /// A job's state.
    Status,
    /// A job's state, or `{"outputs": [...]}` with `--out`.
    Wait,
    /// `{"outputs": [...]}`.
    Download,
    /// The provider's jobs.
    List,
    /// A job's state.
    Cancel,
    /// The catalogue, the live list or the drift.
    Models,
    /// `{"jobs": [...]}`, a job's state (`--wait`) or `{"outputs": [...]}` (`--out`).
    Remix,
    /// A job's state (`deleted`).
    Delete,
    /// The collections, the one created or the one deleted.
    Collections,
    /// The run's summary, or a dry run's report.
    Batch,
    /// One line of `batch --events` (JSON Lines; the last is the summary).
    BatchEvents,
    /// `batch status`.
    BatchStatus,
    /// One line of `batch report --json` (JSON Lines: results.jsonl's rows).
    BatchReport,
    /// Every error.
    Error,
}

/// A command's success output and the error output, as one schema: `anyOf` them.
fn either<T: JsonSchema>(title: &str) -> RootSchema {
    use schemars::schema::{Metadata, SchemaObject, SubschemaValidation};
    let mut generator = schemars::r#gen::SchemaSettings::draft07().into_generator();
    let ok = generator.subschema_for::<T>();
    let error = generator.subschema_for::<ErrorReport>();
    RootSchema {
        meta_schema: generator.settings().meta_schema.clone(),
        schema: SchemaObject {
            metadata: Some(Box::new(Metadata {
                title: Some(title.to_string()),
                description: Some(
                    "The command's output or, when it exits non-zero, an error (ErrorReport); \
                     see `videogen schema output error`."
                        .into(),
                ),
                ..Default::default()
            })),
            subschemas: Some(Box::new(SubschemaValidation { any_of: Some(vec![ok, error]), ..Default::default() })),
            ..Default::default()
        },
        definitions: generator.take_definitions(),
    }
}

/// What a command that writes files prints (or, on a dry run, what it would send).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
enum GenerateOutput {
    Outputs(OutputsReport),
    DryRun(DryRunReport),
}

#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
enum SubmitOutput {
    Jobs(JobsReport),
    DryRun(DryRunReport),
}

#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
enum WaitOutput {
    Status(StatusReport),
    Outputs(OutputsReport),
}

#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
enum RemixOutput {
    Jobs(JobsReport),
    Status(StatusReport),
    Outputs(OutputsReport),
}

#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
enum BatchOutput {
    Summary(BatchSummary),
    DryRun(BatchDryRunReport),
}

#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // a schema only: never built
enum EventsOutput {
    Event(crate::batch::progress::EventLine),
    Summary(BatchSummary),
}

/// The JSON Schema (draft 7) of `command`'s `--json` output.
pub fn output_schema(command: OutputOf) -> RootSchema {
    match command {
        OutputOf::Generate => either::<GenerateOutput>("videogen generate --json"),
        OutputOf::Submit => either::<SubmitOutput>("videogen submit --json"),
        OutputOf::Status => either::<StatusReport>("videogen status --json"),
        OutputOf::Wait => either::<WaitOutput>("videogen wait --json"),
        OutputOf::Download => either::<OutputsReport>("videogen download --json"),
        OutputOf::List => either::<Vec<videogen::JobSummary>>("videogen list --json"),
        OutputOf::Cancel => either::<StatusReport>("videogen cancel --json"),
        OutputOf::Models => either::<ModelsOutput>("videogen models --json"),
        OutputOf::Remix => either::<RemixOutput>("videogen remix --json"),
        OutputOf::Delete => either::<StatusReport>("videogen delete --json"),
        OutputOf::Collections => either::<CollectionsOutput>("videogen collections --json"),
        OutputOf::Batch => either::<BatchOutput>("videogen batch --json"),
        OutputOf::BatchEvents => either::<EventsOutput>("videogen batch --events (one line)"),
        OutputOf::BatchStatus => either::<BatchStatusReport>("videogen batch status --json"),
        OutputOf::BatchReport => either::<crate::batch::results::ResultRow>("videogen batch report --json (one line)"),
        OutputOf::Error => {
            schemars::r#gen::SchemaSettings::draft07().into_generator().into_root_schema_for::<ErrorReport>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    fn validator(command: OutputOf) -> jsonschema::Validator {
        let schema = serde_json::to_value(output_schema(command)).unwrap();
        jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{command:?}: {e}"))
    }

    /// Every schema compiles; the old shapes this vocabulary replaced are refused by it, and
    /// the reports the commands build are accepted.
    #[test]
    fn schemas_take_the_reports_and_refuse_the_old_shapes() {
        for command in OutputOf::value_variants() {
            validator(*command);
        }
        let job = Job::from_short_form("oxen:j1").unwrap();
        let file = FileReport {
            output: 1,
            job: job.clone(),
            file: "a.mp4".into(),
            bytes: 10,
            resumed_from: 0,
            variant: Variant::Video,
            cost: Some(Cost { amount: "0.35".parse().unwrap(), currency: "USD".into() }),
            simulated: false,
        };
        let failed = FailedOutput {
            output: 2,
            error: ErrorReport::new(ExitCode::JobFailed, "it failed".into(), Some(job.clone()), Vec::new()),
        };
        let outputs = to_json(&OutputsReport { outputs: vec![Output::File(file.clone()), Output::Failed(failed)] });
        let generate = validator(OutputOf::Generate);
        assert!(generate.is_valid(&outputs), "{outputs}");
        assert!(!generate.is_valid(&to_json(&file)), "one output is not the bare object any more");
        assert!(!generate.is_valid(&serde_json::json!([to_json(&file)])), "nor an array");
        let mut interrupted = ErrorReport::new(ExitCode::Interrupted, "interrupted".into(), Some(job.clone()), vec![]);
        interrupted.jobs = vec![job.clone()];
        let error = validator(OutputOf::Error);
        assert!(error.is_valid(&to_json(&interrupted)));
        assert!(!error.is_valid(&serde_json::json!({"interrupted": true, "job": job, "exit_code": 130})));
        let submit = validator(OutputOf::Submit);
        assert!(submit.is_valid(&to_json(&JobsReport { jobs: vec![job.clone()] })));
        assert!(!submit.is_valid(&to_json(&job)), "a bare handle is not submit's report");
        let deleted = to_json(&StatusReport::bare(&job, StateWord::Deleted));
        assert!(validator(OutputOf::Delete).is_valid(&deleted));
        assert!(!validator(OutputOf::Delete).is_valid(&serde_json::json!({"job": job, "deleted": true})));
        let mut bad_cost = to_json(&file);
        bad_cost["cost"]["amount"] = serde_json::json!(0.35);
        assert!(!generate.is_valid(&serde_json::json!({"outputs": [bad_cost]})), "an amount is a decimal string");
    }

    /// Every `ExitCode` has its word, as the error report's `kind`.
    #[test]
    fn every_exit_code_has_a_kind() {
        for code in ExitCode::ALL {
            let kind = serde_json::to_value(ExitKind::from(code)).unwrap();
            assert!(kind.as_str().is_some_and(|k| !k.is_empty()), "{code:?}");
        }
        assert_eq!(serde_json::to_value(ExitKind::from(ExitCode::OutcomeUnknown)).unwrap(), "outcome_unknown");
    }
}
