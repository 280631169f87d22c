//! The batch's files: it never writes over a file it has not recorded as that line's output.
//!
//! - A line's default name carries its number and the start of its request's fingerprint
//!   (`0001-3fa9c2d1.mp4`), so two batch files, an edited line or a moved one never pick the
//!   same name for different work.
//! - A name that is taken (by anything: another batch's video, the user's file, an earlier
//!   version of an edited line) is never replaced: the output goes to the next free name
//!   (`0001-3fa9c2d1.2.mp4`, `.3`, …), and the download itself puts the file in place without
//!   replacing one that appeared meanwhile ([`videogen::place_without_replacing`]).
//! - Each written file's size and SHA-256 go into the ledger; a rerun counts a line done only
//!   while its files still hold those bytes ([`holds`]).

use super::ledger::Written;
use std::io::Read;
use std::path::Path;

/// The size and SHA-256 (lowercase hex) of the file at `path`, read in 1 MiB pieces.
///
/// # Errors
/// The file could not be read.
pub fn digest(path: &Path) -> std::io::Result<(u64, String)> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)?;
    let mut hash = sha2::Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hash.finalize().iter().map(|b| format!("{b:02x}")).collect()))
}

/// Whether `path` is a regular file of `bytes` bytes with this SHA-256 (the size is compared
/// first, so a file of another size is not read).
pub fn same_bytes(path: &Path, bytes: u64, sha256: &str) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes)
        && digest(path).is_ok_and(|(_, d)| d.eq_ignore_ascii_case(sha256))
}

/// Whether `written` is still in `dir` as it was written: a regular file of the recorded size
/// and SHA-256 (records from before digests were kept: a regular file). An output another
/// worker of a shared ledger wrote, in its own folder, counts as written.
pub fn holds(dir: &Path, written: &Written) -> bool {
    if written.elsewhere {
        return true;
    }
    let path = dir.join(&written.file);
    match (written.bytes, &written.sha256) {
        (Some(bytes), Some(sha256)) => same_bytes(&path, bytes, sha256),
        (bytes, _) => std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && bytes.is_none_or(|b| b == m.len())),
    }
}

/// The hidden name a line's output is downloaded to before it is recorded and put in place:
/// `.videogen-batch-<key>-<output>.mp4`, the line's own (its key's `#` made `-`), so a stale file
/// there is the line's and may be replaced.
pub fn staging_name(key: &str, output: usize) -> String {
    let safe: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!(".videogen-batch-{safe}-{output}.mp4")
}

/// Where a line's output's thumbnail is downloaded before it is put in place: its staging
/// name with `.poster` instead of `.mp4`.
pub fn poster_staging(staging: &Path) -> std::path::PathBuf {
    staging.with_extension("poster")
}

/// Puts the staged thumbnail `staged` beside the video `file` in `dir` as `<stem>-poster.<ext>`
/// (the extension from its first bytes: WebP, JPEG or PNG), without replacing anything; the
/// staged copy is removed either way. `None` when it is not one of those images or the name is
/// taken (a file of someone else's is never replaced; the page shows no poster then).
pub fn place_poster(dir: &Path, file: &str, staged: &Path) -> Option<String> {
    let head = std::fs::read(staged).ok().map(|b| b.into_iter().take(12).collect::<Vec<u8>>()).unwrap_or_default();
    let ext = if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("webp")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if head.starts_with(b"\x89PNG") {
        Some("png")
    } else {
        None
    };
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let placed = ext.and_then(|ext| {
        let name = format!("{stem}-poster.{ext}");
        videogen::place_without_replacing(staged, &dir.join(&name)).ok().map(|()| name)
    });
    let _ = std::fs::remove_file(staged);
    placed
}

/// `preferred` if nothing is at that name in `dir`, else the first free one of
/// `stem.2.ext`, `stem.3.ext`, … (`None` after 9,999 taken names).
pub fn free_name(dir: &Path, preferred: &str) -> Option<String> {
    let taken = |name: &str| std::fs::symlink_metadata(dir.join(name)).is_ok();
    if !taken(preferred) {
        return Some(preferred.to_string());
    }
    let (stem, ext) = match preferred.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (preferred, String::new()),
    };
    (2..10_000).map(|n| format!("{stem}.{n}{ext}")).find(|name| !taken(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_is_never_reused_and_a_changed_file_is_not_held() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_name(dir.path(), "0001-ab.mp4").as_deref(), Some("0001-ab.mp4"));
        std::fs::write(dir.path().join("0001-ab.mp4"), b"precious").unwrap();
        assert_eq!(free_name(dir.path(), "0001-ab.mp4").as_deref(), Some("0001-ab.2.mp4"));
        std::fs::write(dir.path().join("0001-ab.2.mp4"), b"x").unwrap();
        assert_eq!(free_name(dir.path(), "0001-ab.mp4").as_deref(), Some("0001-ab.3.mp4"));
        std::os::unix::fs::symlink("nowhere", dir.path().join("v")).unwrap();
        assert_eq!(free_name(dir.path(), "v").as_deref(), Some("v.2"), "a dangling symlink is taken too");

        let (bytes, sha256) = digest(&dir.path().join("0001-ab.mp4")).unwrap();
        assert_eq!(bytes, 8);
        assert_eq!(sha256, "157fc55121ab2c59852c35d78aca98d840047e5d9668c423e4d3b146e1577901");
        let written =
            Written { file: "0001-ab.mp4".into(), bytes: Some(bytes), sha256: Some(sha256), ..Written::default() };
        assert!(holds(dir.path(), &written));
        std::fs::write(dir.path().join("0001-ab.mp4"), b"PRECIOUS").unwrap();
        assert!(!holds(dir.path(), &written), "same size, other bytes: not the line's video");
        std::fs::write(dir.path().join("0001-ab.mp4"), b"precious!").unwrap();
        assert!(!holds(dir.path(), &written), "other size");
        std::fs::remove_file(dir.path().join("0001-ab.mp4")).unwrap();
        assert!(!holds(dir.path(), &written), "removed");
        assert!(holds(dir.path(), &Written { elsewhere: true, ..written }), "another worker's folder");
    }

    #[test]
    fn a_poster_goes_beside_its_video_under_a_free_name_only() {
        let dir = tempfile::tempdir().unwrap();
        let staged = dir.path().join(".x.poster");
        let webp = videogen_sim::FIXTURE_THUMBNAIL_WEBP;
        std::fs::write(&staged, webp).unwrap();
        assert_eq!(place_poster(dir.path(), "0001-ab.mp4", &staged).as_deref(), Some("0001-ab-poster.webp"));
        assert!(!staged.exists(), "the staged copy is gone");
        std::fs::write(&staged, webp).unwrap();
        assert_eq!(place_poster(dir.path(), "0001-ab.mp4", &staged), None, "a taken name is never replaced");
        std::fs::write(&staged, b"<html>not an image</html>").unwrap();
        assert_eq!(place_poster(dir.path(), "0002-cd.mp4", &staged), None);
        assert!(!dir.path().join("0002-cd-poster.webp").exists());
    }
}
