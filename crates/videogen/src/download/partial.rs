//! The partial files and output paths of downloads: where an interrupted download is kept for a
//! resume ([`crate::partial_path`], [`Partial`]), and which output paths can take a download
//! ([`check_output_path`]).

use super::HEAD_BYTES;
use crate::{Error, Job, Result};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The partial file a download of `job` to `dest` writes to: a hidden file in `dest`'s folder
/// whose name comes from the job alone (`.videogen-<provider>-<id>.part`), so a later download
/// of the same job into the same folder — in this process or another, after Ctrl-C or a crash —
/// resumes it with `Range`. It is renamed to `dest` only when complete and checked.
pub fn partial_path(dest: &Path, job: &Job) -> PathBuf {
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let safe: String = job
        .id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    // A short hash of the whole id keeps long or unusual ids apart after the cut above.
    let mut hash: u32 = 0x811c_9dc5;
    for b in job.id.bytes() {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    dir.join(format!(".videogen-{}-{safe}-{hash:08x}.part", job.provider))
}

/// Why an output path cannot take a download.
pub(crate) struct PathProblem {
    pub(crate) kind: std::io::ErrorKind,
    pub(crate) message: String,
}

fn problem(kind: std::io::ErrorKind, message: impl Into<String>) -> PathProblem {
    PathProblem { kind, message: message.into() }
}

/// The longest file name this checks for (bytes): most Unix file systems' `NAME_MAX`.
const NAME_MAX: usize = 255;

/// The file a download to `path` will replace, after the checks of [`check_output_path`].
pub(crate) fn resolve_output(path: &Path) -> std::result::Result<PathBuf, PathProblem> {
    use std::io::ErrorKind as K;
    let name = path.file_name().ok_or_else(|| problem(K::InvalidInput, "not a file name"))?;
    if name.len() > NAME_MAX {
        return Err(problem(K::InvalidFilename, format!("the file name is longer than {NAME_MAX} bytes")));
    }
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(path) {
            Ok(target) if target.is_file() => std::fs::canonicalize(path)
                .map_err(|e| problem(e.kind(), format!("cannot resolve the symlink: {e}")))?,
            Ok(target) if target.is_dir() => return Err(problem(K::IsADirectory, "is a symlink to a folder")),
            Ok(_) => {
                return Err(problem(K::InvalidInput, "is a symlink to a device, FIFO or socket, not a regular file"));
            }
            Err(_) => return Err(problem(K::NotFound, "is a symlink to nothing")),
        },
        Ok(meta) if meta.is_dir() => return Err(problem(K::IsADirectory, "is a folder")),
        Ok(meta) if !meta.is_file() => {
            return Err(problem(K::InvalidInput, "is a device, FIFO or socket, not a regular file"));
        }
        Ok(_) => path.to_path_buf(),
        Err(e) if e.kind() == K::NotFound => path.to_path_buf(),
        Err(e) => return Err(problem(e.kind(), e.to_string())),
    };
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(problem(K::NotADirectory, format!("{} is not a folder", dir.display()))),
        Err(e) if e.kind() == K::NotFound => {
            return Err(problem(K::NotFound, format!("the folder {} does not exist", dir.display())));
        }
        Err(e) => return Err(problem(e.kind(), format!("the folder {}: {e}", dir.display()))),
    }
    // Writable? Creating a file is the only answer that holds for root, ACLs and read-only mounts.
    // (tempfile: an unnamed file where the system has them (Linux O_TMPFILE), so a process killed
    // here leaves nothing in the folder; elsewhere a random name unlinked at once.)
    if let Err(e) = tempfile::tempfile_in(dir) {
        return Err(problem(e.kind(), format!("cannot write in the folder {}: {e}", dir.display())));
    }
    Ok(target)
}

/// Checks, before anything is paid for, that a download could be written to `path`: its folder
/// exists and is writable, its name fits (≤ 255 bytes), and it is nothing or a regular file (a
/// symlink to a regular file is followed; a folder, device, FIFO, socket, or a symlink to one,
/// is refused). Returns the file that would be replaced.
///
/// [`crate::Video::download_to`] makes the same checks; a program calls this before
/// [`crate::Client::submit`] so a bad path costs nothing (the `videogen` command does).
///
/// # Errors
/// [`Error::InvalidRequest`] naming `path` and the reason.
pub fn check_output_path(path: impl AsRef<Path>) -> Result<PathBuf> {
    let path = path.as_ref();
    resolve_output(path).map_err(|p| Error::invalid(format!("output {}: {}", path.display(), p.message)))
}

/// How many bytes of a download are gathered before they are handed to the file: 256 KiB.
/// Each write of a `tokio::fs::File` is a round trip through the blocking thread pool, so a
/// body's chunks (typically 8–16 KiB each) are written in batches, not one by one.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// The longest bytes stay in the write buffer: 1 second. A slow download reaches the partial
/// file at least this often, so a process stopped mid-download (Ctrl-C, a kill) keeps nearly
/// all it received for the resume.
const WRITE_BUFFER_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// The partial file being written: appended to, resumable, renamed into place when complete.
/// `written` counts the bytes taken, buffered or on disk; every path that reads the file or
/// hands it on (commit, reset) writes the buffer out first.
pub(crate) struct Partial {
    pub(crate) path: PathBuf,
    pub(crate) file: tokio::io::BufWriter<tokio::fs::File>,
    pub(crate) written: u64,
    pub(crate) head: Vec<u8>,
    /// When the buffer was last written out.
    flushed_at: std::time::Instant,
}

impl Partial {
    /// Opens (or creates) the partial file, keeping what an earlier run wrote: one trip to the
    /// blocking pool for the look, the open, the size and the first bytes.
    pub(crate) async fn open(path: &Path) -> std::io::Result<Self> {
        let owned = path.to_path_buf();
        let (file, written, head) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            use std::io::{Read, Seek};
            // Our own hidden name: anything there that is not a regular file is not ours to follow.
            if let Ok(meta) = std::fs::symlink_metadata(&owned)
                && !meta.is_file()
            {
                std::fs::remove_file(&owned)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
            let mut file = options.open(&owned)?;
            let written = file.metadata()?.len();
            let mut head = vec![0; HEAD_BYTES.min(written as usize)];
            file.read_exact(&mut head)?;
            file.seek(std::io::SeekFrom::End(0))?;
            Ok((file, written, head))
        })
        .await
        .map_err(std::io::Error::other)??;
        let file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, tokio::fs::File::from_std(file));
        Ok(Self { path: path.to_path_buf(), file, written, head, flushed_at: std::time::Instant::now() })
    }

    pub(crate) async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk).await?;
        if self.flushed_at.elapsed() >= WRITE_BUFFER_AGE {
            self.file.flush().await?;
            self.flushed_at = std::time::Instant::now();
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.written += chunk.len() as u64;
        Ok(())
    }

    pub(crate) async fn reset(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncSeekExt;
        self.file.flush().await?;
        self.file.get_mut().set_len(0).await?;
        self.file.seek(std::io::SeekFrom::Start(0)).await?;
        self.written = 0;
        self.head.clear();
        Ok(())
    }

    /// Writes out the buffer, then fsync, rename to `target`, fsync the folder, in one trip to
    /// the blocking pool.
    /// With `replace` false the file is put in place without replacing anything: a hard link
    /// (which fails when `target` exists), then the partial name removed; on a file system
    /// without hard links, a rename after a look (a file that appears between the two is the
    /// only one replaced). A refused commit keeps the partial file.
    pub(crate) async fn commit(mut self, target: &Path, replace: bool) -> std::io::Result<()> {
        self.file.flush().await?;
        let file = self.file.into_inner().into_std().await;
        let (from, to) = (self.path, target.to_path_buf());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            file.sync_all()?;
            drop(file);
            if !replace {
                return place_without_replacing(&from, &to);
            }
            std::fs::rename(&from, &to)?;
            sync_folder(&to);
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)?
    }

    pub(crate) async fn remove(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

/// Puts the finished file `from` at `to` without replacing anything there, as downloads through
/// [`crate::Video::no_overwrite`] do last: a hard link (refused when `to` exists, even if it
/// appeared a moment ago), then `from` removed, then the folder synced; on a file system without
/// hard links, a rename after a look. For a program that writes a finished file itself and must
/// not clobber the user's (the `videogen` batch records each output before putting it in place).
///
/// # Errors
/// `std::io::ErrorKind::AlreadyExists` when `to` is taken (`from` is kept); the file system's
/// error otherwise.
pub fn place_without_replacing(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from)?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists(to)),
        Err(_) if std::fs::symlink_metadata(to).is_ok() => return Err(exists(to)),
        Err(_) => std::fs::rename(from, to)?,
    }
    sync_folder(to);
    Ok(())
}

/// Syncs the folder of `path`, so a rename or link into it survives a crash (best effort).
fn sync_folder(path: &Path) {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

/// The error of a download that would replace `path` (see [`crate::Video::no_overwrite`]).
pub(crate) fn exists(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} exists and is kept (nothing is written over it)", path.display()),
    )
}
