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
pub(crate) fn to_unix_ms(instant: Instant) -> i64 {
    let now = Instant::now();
    match now.checked_duration_since(instant) {
        Some(ago) => now_ms() - ago.as_millis() as i64,
        None => now_ms() + instant.duration_since(now).as_millis() as i64,
    }
}

/// Unix milliseconds as an instant of this process (a time too far back to express is the
/// earliest it can, which only makes an old job older).
pub(crate) fn from_unix_ms(ms: i64) -> Instant {
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
pub(crate) enum SavedOutcome {
    Succeeds,
    Fails { code: String, message: String },
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SavedJob {
    pub(crate) provider: Provider,
    pub(crate) id: String,
    pub(crate) model: String,
    pub(crate) prompt: Option<String>,
    pub(crate) params: Map<String, Value>,
    pub(crate) created_unix_ms: i64,
    pub(crate) created_unix: i64,
    pub(crate) queued_ms: u64,
    pub(crate) processing_ms: u64,
    pub(crate) outcome: SavedOutcome,
    /// When it was cancelled (Unix ms) and the Unix seconds the API reports.
    pub(crate) cancelled: Option<(i64, i64)>,
    pub(crate) seconds: String,
    pub(crate) size: String,
    pub(crate) remixed_from: Option<String>,
    pub(crate) collection_id: String,
    pub(crate) deleted: bool,
    pub(crate) name: Option<String>,
    /// Replicate's `Cancel-After` deadline (Unix ms) and its Unix seconds.
    #[serde(default)]
    pub(crate) deadline: Option<(i64, i64)>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SavedCollection {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) is_public: bool,
    pub(crate) created_unix: i64,
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
    use crate::store::Job;

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
