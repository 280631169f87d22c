//! The simulator's jobs and collections in a file ([`crate::SimConfig::state_file`]), so a job
//! submitted through one process can be read, waited for and downloaded through a later one
//! (the `videogen` command's offline flow), and processes running at once share what they make.
//!
//! Times are kept as Unix milliseconds and turned back into the running process's clock on load,
//! so a job goes on finishing in wall-clock time while no simulator runs. Every change is written
//! under an exclusive lock on `<file>.lock` (read, merge the changed entries, write a temporary
//! file, rename), so two processes never lose each other's jobs. The file keeps the newest
//! [`MAX_SAVED_JOBS`] jobs. A file that cannot be read is started over (and said so in the log).

use crate::Provider;
use crate::store::{Collection, Job, Outcome};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The most jobs the file keeps (the newest): 10,000.
pub const MAX_SAVED_JOBS: usize = 10_000;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `instant` as Unix milliseconds.
fn to_unix_ms(instant: Instant) -> i64 {
    let now = Instant::now();
    match now.checked_duration_since(instant) {
        Some(ago) => now_ms() - ago.as_millis() as i64,
        None => now_ms() + instant.duration_since(now).as_millis() as i64,
    }
}

/// Unix milliseconds as an instant of this process (a time too far back to express is the
/// earliest it can, which only makes an old job older).
fn from_unix_ms(ms: i64) -> Instant {
    let now = Instant::now();
    let delta = now_ms() - ms;
    if delta >= 0 {
        let ago = Duration::from_millis(delta as u64);
        now.checked_sub(ago).unwrap_or_else(|| {
            // Before this machine's boot: as far back as the clock goes.
            let mut back = ago;
            loop {
                back /= 2;
                if let Some(t) = now.checked_sub(back) {
                    return t;
                }
                if back.is_zero() {
                    return now;
                }
            }
        })
    } else {
        now + Duration::from_millis(delta.unsigned_abs())
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SavedOutcome {
    Succeeds,
    Fails { code: String, message: String },
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SavedJob {
    provider: Provider,
    id: String,
    model: String,
    prompt: Option<String>,
    params: Map<String, Value>,
    created_unix_ms: i64,
    created_unix: i64,
    queued_ms: u64,
    processing_ms: u64,
    outcome: SavedOutcome,
    /// When it was cancelled (Unix ms) and the Unix seconds the API reports.
    cancelled: Option<(i64, i64)>,
    seconds: String,
    size: String,
    remixed_from: Option<String>,
    collection_id: String,
    deleted: bool,
    name: Option<String>,
}

impl SavedJob {
    pub(crate) fn of(job: &Job) -> Self {
        Self {
            provider: job.provider,
            id: job.id.clone(),
            model: job.model.clone(),
            prompt: job.prompt.clone(),
            params: job.params.clone(),
            created_unix_ms: to_unix_ms(job.created),
            created_unix: job.created_unix,
            queued_ms: job.queued_for.as_millis() as u64,
            processing_ms: job.processing_for.as_millis() as u64,
            outcome: match &job.outcome {
                Outcome::Succeeds => SavedOutcome::Succeeds,
                Outcome::Fails { code, message } => {
                    SavedOutcome::Fails { code: code.clone(), message: message.clone() }
                }
            },
            cancelled: job.cancelled.map(|(at, unix)| (to_unix_ms(at), unix)),
            seconds: job.seconds.clone(),
            size: job.size.clone(),
            remixed_from: job.remixed_from.clone(),
            collection_id: job.collection_id.clone(),
            deleted: job.deleted,
            name: job.name.clone(),
        }
    }

    pub(crate) fn into_job(self) -> Job {
        Job {
            provider: self.provider,
            id: self.id,
            model: self.model,
            prompt: self.prompt,
            params: self.params,
            created: from_unix_ms(self.created_unix_ms),
            created_unix: self.created_unix,
            queued_for: Duration::from_millis(self.queued_ms),
            processing_for: Duration::from_millis(self.processing_ms),
            outcome: match self.outcome {
                SavedOutcome::Succeeds => Outcome::Succeeds,
                SavedOutcome::Fails { code, message } => Outcome::Fails { code, message },
            },
            cancelled: self.cancelled.map(|(ms, unix)| (from_unix_ms(ms), unix)),
            seconds: self.seconds,
            size: self.size,
            remixed_from: self.remixed_from,
            collection_id: self.collection_id,
            deleted: self.deleted,
            name: self.name,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SavedCollection {
    id: String,
    name: String,
    description: String,
    is_public: bool,
    created_unix: i64,
}

impl SavedCollection {
    pub(crate) fn of(c: &Collection) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            is_public: c.is_public,
            created_unix: c.created_unix,
        }
    }

    pub(crate) fn into_collection(self) -> Collection {
        Collection {
            id: self.id,
            name: self.name,
            description: self.description,
            is_public: self.is_public,
            created_unix: self.created_unix,
        }
    }
}

/// The file's content.
#[derive(Serialize, Deserialize, Default, Debug)]
pub(crate) struct Saved {
    /// The format's version (1).
    version: u32,
    pub jobs: BTreeMap<String, SavedJob>,
    /// `None`: never changed (the default collection only).
    pub collections: Option<Vec<SavedCollection>>,
}

/// What one change writes.
pub(crate) struct Change {
    pub jobs: Vec<SavedJob>,
    pub collections: Option<Vec<SavedCollection>>,
}

fn lock_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    file.with_file_name(name)
}

/// Runs `f` holding the file's exclusive lock.
fn locked<T>(file: &Path, f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(lock_path(file))?;
    lock.lock()?;
    let result = f();
    let _ = lock.unlock();
    result
}

fn read(file: &Path) -> Saved {
    match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(file = %file.display(), error = %e, "the simulator's state file is unreadable; starting over");
            Saved::default()
        }),
        Err(_) => Saved::default(),
    }
}

/// What the file holds now (empty when there is none).
pub(crate) fn load(file: &Path) -> Saved {
    locked(file, || Ok(read(file))).unwrap_or_else(|e| {
        tracing::warn!(file = %file.display(), error = %e, "the simulator's state file cannot be locked; starting empty");
        Saved::default()
    })
}

/// Merges `change` into the file.
pub(crate) fn save(file: &Path, change: Change) {
    let result = locked(file, || {
        let mut saved = read(file);
        saved.version = 1;
        for job in change.jobs {
            saved.jobs.insert(job.id.clone(), job);
        }
        if change.collections.is_some() {
            saved.collections = change.collections;
        }
        if saved.jobs.len() > MAX_SAVED_JOBS {
            let mut by_age: Vec<(i64, String)> =
                saved.jobs.values().map(|j| (j.created_unix_ms, j.id.clone())).collect();
            by_age.sort();
            for (_, id) in by_age.iter().take(saved.jobs.len() - MAX_SAVED_JOBS) {
                saved.jobs.remove(id);
            }
        }
        let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(format!(".{}.tmp", std::process::id()));
        let temporary = file.with_file_name(name);
        std::fs::write(&temporary, serde_json::to_vec(&saved).map_err(std::io::Error::other)?)?;
        std::fs::rename(&temporary, file)
    });
    if let Err(e) = result {
        tracing::warn!(file = %file.display(), error = %e, "the simulator's state could not be saved");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn times_survive_the_round_trip_within_a_millisecond() {
        let t = Instant::now() - Duration::from_secs(90);
        let back = from_unix_ms(to_unix_ms(t));
        let diff = if back > t { back - t } else { t - back };
        assert!(diff < Duration::from_millis(5), "{diff:?}");
    }

    #[test]
    fn two_writers_keep_each_others_jobs() {
        let dir = std::env::temp_dir().join(format!("videogen-sim-persist-{}", std::process::id()));
        let file = dir.join("state.json");
        let _ = std::fs::remove_dir_all(&dir);
        let config = SimConfig::default();
        let a = Job::new(Provider::Oxen, "a".into(), "m".into(), &config);
        let b = Job::new(Provider::OpenAi, "b".into(), "sora-2".into(), &config);
        save(&file, Change { jobs: vec![SavedJob::of(&a)], collections: None });
        save(&file, Change { jobs: vec![SavedJob::of(&b)], collections: None });
        let saved = load(&file);
        assert_eq!(saved.jobs.keys().collect::<Vec<_>>(), ["a", "b"]);
        let back = saved.jobs["b"].clone().into_job();
        assert_eq!((back.provider, back.model.as_str()), (Provider::OpenAi, "sora-2"));
        std::fs::write(&file, b"{not json").unwrap();
        assert!(load(&file).jobs.is_empty(), "an unreadable file starts over");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
