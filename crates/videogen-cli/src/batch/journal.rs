//! The batch journal `<out-dir>/videogen-journal.jsonl`: one JSON line per [`LineEvent`] of a
//! line's work, keyed by the line's fingerprint key, appended and synced to disk before the step
//! it records goes on (`submitting` before a create is sent, `submitted` with the job handles as
//! soon as the create returns). A rerun replays it into a [`LineState`] per key.

use super::Item;
use super::ledger::{BoxFuture, Claimed, CreateSlot, Ledger, LineEvent, LineState};
use crate::exit::CliError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use videogen::{Job, Provider};

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

/// Reads the journal at `path` without locking or changing it: each key's line number (as last
/// journaled) and state, for `batch status --out-dir` and the results manifest while a batch
/// runs. Lines of the first journal format are not read (they name no key); a line cut by a
/// crash is skipped.
///
/// # Errors
/// The journal could not be read (absent: no batch ran in that folder).
pub fn read_states(path: &Path) -> Result<Vec<(String, usize, LineState)>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "{}: {}",
            path.display(),
            if e.kind() == std::io::ErrorKind::NotFound {
                "no batch journal here (was --out-dir the batch's?)".to_string()
            } else {
                e.to_string()
            }
        ))
    })?;
    let mut states: HashMap<String, (usize, LineState)> = HashMap::new();
    for raw in text.lines() {
        if let Ok(record) = serde_json::from_str::<Record>(raw) {
            let entry = states.entry(record.key).or_default();
            entry.0 = record.line;
            entry.1.apply(record.event);
        }
    }
    let mut out: Vec<(String, usize, LineState)> = states.into_iter().map(|(k, (n, s))| (k, n, s)).collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
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
                                at: None,
                                poster: None,
                            },
                            "failed" => {
                                LineEvent::Failed { error: v1.error.unwrap_or_default(), content_policy: false }
                            }
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

    /// Appends `event` for `item` and syncs it to disk.
    pub fn append(&self, item: &Item, event: &LineEvent) -> Result<(), CliError> {
        let record = Record { key: item.key.clone(), line: item.number, event: event.clone() };
        let mut text = serde_json::to_string(&record).unwrap_or_default();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| CliError::failed(format!("writing the journal: {e}")))
    }
}

/// The caps of one worker process: a pause per provider after a 429, and at most `cap` creates
/// in flight per provider.
pub struct Gate {
    paused_until: Mutex<HashMap<Provider, Instant>>,
    slots: Mutex<HashMap<Provider, Arc<Semaphore>>>,
    cap: Option<usize>,
}

impl Gate {
    /// A gate allowing `cap` creates in flight per provider (`None`: no cap).
    pub fn new(cap: Option<usize>) -> Self {
        Self { paused_until: Mutex::new(HashMap::new()), slots: Mutex::new(HashMap::new()), cap }
    }

    fn pause(&self, provider: Provider, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        let entry = paused.entry(provider).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// Waits out the provider's pause, then takes a slot.
    async fn enter(&self, provider: Provider) -> Option<OwnedSemaphorePermit> {
        loop {
            let until = self.paused_until.lock().unwrap_or_else(|p| p.into_inner()).get(&provider).copied();
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => break,
            }
        }
        let cap = self.cap?;
        let semaphore = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(provider)
            .or_insert_with(|| Arc::new(Semaphore::new(cap)))
            .clone();
        semaphore.acquire_owned().await.ok()
    }
}

/// The embedded ledger: the journal, the lines in file order, the jobs some line owns.
pub struct EmbeddedLedger {
    journal: Journal,
    queue: Mutex<VecDeque<(usize, LineState)>>,
    /// Jobs some line owns, so a lost create's lookup never adopts another line's job.
    owned: Mutex<HashSet<String>>,
    gate: Gate,
}

impl EmbeddedLedger {
    /// The ledger over `journal` and its replayed `states`, for `items`.
    pub fn new(
        journal: Journal,
        items: &[Item],
        states: &HashMap<String, LineState>,
        max_creates_in_flight: Option<usize>,
    ) -> Self {
        let owned = states.values().flat_map(|s| s.jobs.iter().map(Job::short_form)).collect();
        let queue = items.iter().enumerate().map(|(i, item)| (i, states.get(&item.key).cloned().unwrap_or_default()));
        Self {
            journal,
            queue: Mutex::new(queue.collect()),
            owned: Mutex::new(owned),
            gate: Gate::new(max_creates_in_flight),
        }
    }

    fn next(&self) -> Option<Claimed> {
        let (index, state) = self.queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front()?;
        Some(Claimed { index, state })
    }

    fn write(&self, item: &Item, event: &LineEvent) -> Result<(), CliError> {
        if let LineEvent::Submitted { jobs } = event {
            self.owned.lock().unwrap_or_else(|p| p.into_inner()).extend(jobs.iter().map(Job::short_form));
        }
        self.journal.append(item, event)
    }

    async fn open_create(&self, item: &Item, idempotency_key: &str) -> Result<CreateSlot, CliError> {
        let permit = self.gate.enter(item.request.provider).await;
        let at = Utc::now();
        self.journal.append(item, &LineEvent::Submitting { at, idempotency_key: Some(idempotency_key.to_string()) })?;
        Ok(CreateSlot { _permit: permit, at })
    }

    fn take(&self, item: &Item, candidates: Vec<Job>) -> Result<Vec<Job>, CliError> {
        let taken: Vec<Job> = {
            let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
            candidates.into_iter().filter(|j| owned.insert(j.short_form())).take(item.outs.len()).collect()
        };
        if !taken.is_empty() {
            self.journal.append(item, &LineEvent::Submitted { jobs: taken.clone() })?;
        }
        Ok(taken)
    }
}

impl Ledger for EmbeddedLedger {
    fn claim(&self) -> BoxFuture<'_, Result<Option<Claimed>, CliError>> {
        Box::pin(std::future::ready(Ok(self.next())))
    }

    fn keep<'a>(&'a self, item: &'a Item, event: &'a LineEvent) -> BoxFuture<'a, Result<(), CliError>> {
        Box::pin(std::future::ready(self.write(item, event)))
    }

    fn begin_create<'a>(
        &'a self,
        item: &'a Item,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<CreateSlot, CliError>> {
        Box::pin(self.open_create(item, idempotency_key))
    }

    fn rate_limited(&self, provider: Provider, wait: Duration) -> BoxFuture<'_, Result<(), CliError>> {
        self.gate.pause(provider, wait);
        Box::pin(std::future::ready(Ok(())))
    }

    fn adopt<'a>(&'a self, item: &'a Item, candidates: Vec<Job>) -> BoxFuture<'a, Result<Vec<Job>, CliError>> {
        Box::pin(std::future::ready(self.take(item, candidates)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use videogen::Provider;

    #[test]
    fn replay_follows_the_events_and_reads_the_first_format() {
        // No child process is started meanwhile: it would hold a copy of the locked journal.
        let _no_child_meanwhile = crate::test_support::CHILD_PROCESSES.lock().unwrap_or_else(|p| p.into_inner());
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
        // Through the ledger, which keeps only the kept events.
        let ledger = EmbeddedLedger::new(journal, &items, &states, None);
        let record = |event: LineEvent| futures::executor::block_on(ledger.record(&items[0], &event)).unwrap();
        record(LineEvent::Submitting { at: Utc::now(), idempotency_key: None });
        record(LineEvent::RateLimited { retry_in_seconds: 1.0, error: "429".into() });
        record(LineEvent::Status { job: "x".into(), status: "queued".into(), progress: None });
        record(LineEvent::Refused { error: "429".into(), exit_code: None });
        let err = Journal::open(&path, &items).err().expect("a second process on the same journal is refused").message;
        assert!(err.contains("another `videogen batch`"), "{err}");
        drop(ledger);
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
