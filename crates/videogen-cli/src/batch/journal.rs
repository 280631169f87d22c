//! The batch journal `<out-dir>/videogen-journal.jsonl`: one JSON line per [`LineEvent`] of a
//! line's work, keyed by the line's fingerprint key, appended and synced to disk before the step
//! it records goes on (`submitting` before a create is sent, `submitted` with the job handles as
//! soon as the create returns). A rerun replays it into a [`LineState`] per key.

use super::Item;
use crate::exit::{CliError, ExitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use videogen::{Cost, Job};

/// What happens to a line. The journaled ones are kept in the journal; all of them go to the
/// progress display and to `--events` (one JSON line each, tagged `event`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LineEvent {
    /// Done in an earlier run; nothing to do (not journaled).
    Skipped,
    /// A create is about to be sent (journaled first: a crash after it means "look it up"),
    /// with the `Idempotency-Key` it carries (sent again with a resumed attempt).
    Submitting {
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idempotency_key: Option<String>,
    },
    /// The create returned these jobs (one per output).
    Submitted { jobs: Vec<Job> },
    /// The create was refused with 429 (nothing was created); it is sent again after
    /// `retry_in_seconds` in this run.
    RateLimited { retry_in_seconds: f64, error: String },
    /// The create was refused otherwise, or rate-limited too often: nothing was created;
    /// `--retry-failed` sends it again in a later run.
    Refused {
        error: String,
        /// The exit code of the error (`videogen --help`), which the batch's own exit weighs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<u8>,
    },
    /// The create's outcome could not be known (`--resubmit-unknown` may pay twice).
    Unknown { error: String },
    /// A job's status changed (not journaled).
    Status {
        job: String,
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        progress: Option<u8>,
    },
    /// Output `output` (0-based) is written to `file` inside the out folder: `bytes` long, with
    /// this SHA-256 (lowercase hex), so a rerun knows whether the file still holds it;
    /// `simulated` when the built-in simulator made it (not a real video, no cost).
    Done {
        output: usize,
        file: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost: Option<Cost>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        simulated: bool,
    },
    /// The job failed at the provider (content policy, cancelled, expired result);
    /// `--retry-failed-jobs` generates it again (and pays again).
    Failed { error: String },
    /// The run stopped following the job (timeout, network); it stays submitted and a rerun
    /// resumes it (not journaled).
    Stopped { error: String },
}

impl LineEvent {
    /// Whether the event is kept in the journal.
    pub fn journaled(&self) -> bool {
        !matches!(self, LineEvent::Skipped | LineEvent::Status { .. } | LineEvent::Stopped { .. })
    }
}

/// One journal line.
#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    line: usize,
    #[serde(flatten)]
    event: LineEvent,
}

/// A line of the first journal format (keyed by line number; read so its jobs are not lost).
#[derive(Deserialize)]
struct RecordV1 {
    line: usize,
    event: String,
    at: Option<DateTime<Utc>>,
    prompt: Option<String>,
    job: Option<Job>,
    file: Option<String>,
    error: Option<String>,
}

/// One output a line wrote, as its ledger recorded it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    /// The file's name inside the out folder.
    pub file: String,
    /// The cost the provider reported for its job.
    pub cost: Option<Cost>,
    /// Its size in bytes (recorded since the journal kept digests).
    pub bytes: Option<u64>,
    /// Its SHA-256, lowercase hex (recorded since the journal kept digests).
    pub sha256: Option<String>,
    /// Made by the built-in simulator: not a real video, no cost.
    pub simulated: bool,
    /// Written by another worker of a shared ledger, in its own folder.
    pub elsewhere: bool,
}

/// What the journal says of one line's work.
#[derive(Clone, Debug, Default)]
pub struct LineState {
    /// When the last create attempt was journaled, if its outcome was never recorded.
    pub submitting_at: Option<DateTime<Utc>>,
    /// The `Idempotency-Key` of the last create attempt.
    pub idempotency_key: Option<String>,
    /// The jobs the create made.
    pub jobs: Vec<Job>,
    /// The outputs written: output index → what was written.
    pub done: HashMap<usize, Written>,
    /// The job failed at the provider.
    pub failed: Option<String>,
    /// The create was refused (nothing created): why, and the exit code of that error.
    pub refused: Option<(String, ExitCode)>,
    /// The create's outcome is unknown.
    pub unknown: bool,
}

impl LineState {
    /// The state after `event`.
    pub fn apply(&mut self, event: LineEvent) {
        match event {
            // A new attempt starts from nothing.
            LineEvent::Submitting { at, idempotency_key } => {
                *self = LineState { submitting_at: Some(at), idempotency_key, ..LineState::default() }
            }
            LineEvent::Submitted { jobs } => {
                self.jobs = jobs;
                self.submitting_at = None;
            }
            // Nothing was created.
            LineEvent::RateLimited { .. } => self.submitting_at = None,
            LineEvent::Refused { error, exit_code } => {
                self.submitting_at = None;
                let code = exit_code.and_then(ExitCode::from_u8).unwrap_or(ExitCode::Failed);
                self.refused = Some((error, code));
            }
            LineEvent::Unknown { .. } => self.unknown = true,
            LineEvent::Done { output, file, cost, bytes, sha256, simulated } => {
                self.done.insert(output, Written { file, cost, bytes, sha256, simulated, elsewhere: false });
            }
            LineEvent::Failed { error } => self.failed = Some(error),
            LineEvent::Skipped | LineEvent::Status { .. } | LineEvent::Stopped { .. } => {}
        }
    }
}

/// The append-only journal.
pub struct Journal {
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Opens (or creates) the journal at `path` and replays it for `items`: each key's state.
    /// Lines of the first format (keyed by line number) count for the item at that line when
    /// its prompt is the one journaled. A line cut by a crash mid-write is skipped.
    pub fn open(path: &Path, items: &[Item]) -> Result<(Self, HashMap<String, LineState>), CliError> {
        let io = |e: std::io::Error| CliError::failed(format!("{}: {e}", path.display()));
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        // One process per journal: a second one would replay a state the first is changing.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(CliError::failed(format!(
                    "{}: another `videogen batch` is running on this folder; the embedded ledger takes one worker per \
                     folder (several workers share a PostgreSQL ledger: --ledger postgres://…)",
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut states: HashMap<String, LineState> = HashMap::new();
        let mut cut = false;
        match std::fs::read_to_string(path) {
            Ok(text) => {
                cut = !text.is_empty() && !text.ends_with('\n');
                let mut v1_keys: HashMap<usize, Option<String>> = HashMap::new();
                for raw in text.lines() {
                    if let Ok(record) = serde_json::from_str::<Record>(raw) {
                        states.entry(record.key).or_default().apply(record.event);
                    } else if let Ok(v1) = serde_json::from_str::<RecordV1>(raw) {
                        if let Some(prompt) = &v1.prompt {
                            let key = items
                                .iter()
                                .find(|i| i.number == v1.line && i.fields.prompt.as_ref() == Some(prompt))
                                .map(|i| i.key.clone());
                            v1_keys.insert(v1.line, key);
                        }
                        let Some(Some(key)) = v1_keys.get(&v1.line) else { continue };
                        let event = match v1.event.as_str() {
                            "submitting" => {
                                LineEvent::Submitting { at: v1.at.unwrap_or_else(Utc::now), idempotency_key: None }
                            }
                            "submitted" => LineEvent::Submitted { jobs: v1.job.into_iter().collect() },
                            "done" => LineEvent::Done {
                                output: 0,
                                file: v1.file.unwrap_or_default(),
                                cost: None,
                                bytes: None,
                                sha256: None,
                                simulated: false,
                            },
                            "failed" => LineEvent::Failed { error: v1.error.unwrap_or_default() },
                            "unknown" => LineEvent::Unknown { error: v1.error.unwrap_or_default() },
                            _ => continue,
                        };
                        states.entry(key.clone()).or_default().apply(event);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        if cut {
            // A record cut by a crash: the next one starts on a line of its own.
            file.write_all(b"\n").map_err(io)?;
        }
        Ok((Self { file: Mutex::new(file) }, states))
    }

    /// Appends `event` for `item` and syncs it to disk (journaled events only).
    pub fn append(&self, item: &Item, event: &LineEvent) -> Result<(), CliError> {
        if !event.journaled() {
            return Ok(());
        }
        let record = Record { key: item.key.clone(), line: item.number, event: event.clone() };
        let mut text = serde_json::to_string(&record).unwrap_or_default();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| CliError::failed(format!("writing the journal: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use videogen::Provider;

    #[test]
    fn replay_follows_the_events_and_reads_the_first_format() {
        let items = super::super::parse("{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n", Provider::Oxen).unwrap();
        let dir = std::env::temp_dir().join(format!("videogen-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let job = Job::from_short_form("oxen:j1").unwrap();
        let v1 = format!(
            "{{\"line\":2,\"event\":\"submitting\",\"prompt\":\"b\"}}\n{{\"line\":2,\"event\":\"submitted\",\"job\":{}}}\n{{\"line\":1,\"event\":\"submitting\",\"prompt\":\"other\"}}\n{{\"line\":1,\"event\":\"done\",\"file\":\"0001.mp4\"}}\n{{\"key\":",
            serde_json::to_string(&job).unwrap()
        );
        std::fs::write(&path, v1).unwrap();
        let (journal, states) = Journal::open(&path, &items).unwrap();
        assert_eq!(states[&items[1].key].jobs, [job], "a v1 job is resumed, not lost");
        assert!(!states.contains_key(&items[0].key), "a v1 line of another prompt is not this line");
        journal.append(&items[0], &LineEvent::Submitting { at: Utc::now(), idempotency_key: None }).unwrap();
        journal.append(&items[0], &LineEvent::RateLimited { retry_in_seconds: 1.0, error: "429".into() }).unwrap();
        journal
            .append(&items[0], &LineEvent::Status { job: "x".into(), status: "queued".into(), progress: None })
            .unwrap();
        journal.append(&items[0], &LineEvent::Refused { error: "429".into(), exit_code: None }).unwrap();
        let err = Journal::open(&path, &items).err().expect("a second process on the same journal is refused").message;
        assert!(err.contains("another `videogen batch`"), "{err}");
        drop(journal);
        let (_, states) = Journal::open(&path, &items).unwrap();
        let a = &states[&items[0].key];
        assert!(a.refused.is_some() && a.submitting_at.is_none() && a.jobs.is_empty(), "{a:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"status\""), "status events are not journaled: {text}");
        let records = text.lines().filter(|l| serde_json::from_str::<Record>(l).is_ok()).count();
        assert_eq!(records, 3, "the cut record did not swallow the next one: {text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
