//! What a batch reports of each video it wrote: its duration and frame size, read from the MP4's
//! own boxes (ISO/IEC 14496-12: `moov/mvhd` for the timescale and duration, the first
//! `moov/trak/tkhd` with a frame size for width and height). Only the boxes on that path are
//! read (a few kilobytes wherever `moov` sits), never the media data; anything malformed is
//! `None`, never a panic.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// A video's duration and frame size, as its MP4 boxes give them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mp4Info {
    /// The presentation's duration in seconds (`mvhd` duration / timescale).
    pub duration_seconds: f64,
    /// The video track's width in pixels (`tkhd`, 16.16 fixed point, integer part).
    pub width: u32,
    /// The video track's height in pixels.
    pub height: u32,
}

/// The largest `moov` box read: 16 MiB (a 2-hour video's index is a few MiB).
const MAX_MOOV_BYTES: u64 = 16 << 20;

/// Reads `path`'s duration and frame size; `None` when it is not an MP4 this walk understands.
pub fn read(path: &Path) -> Option<Mp4Info> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let moov = find_top_level(&mut file, len, *b"moov")?;
    parse_moov(&moov)
}

/// The payload of the first top-level box of type `kind`.
fn find_top_level(file: &mut std::fs::File, len: u64, kind: [u8; 4]) -> Option<Vec<u8>> {
    let mut at = 0u64;
    while at + 8 <= len {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut head = [0u8; 16];
        file.read_exact(&mut head[..8]).ok()?;
        let mut size = u64::from(u32::from_be_bytes(head[..4].try_into().ok()?));
        let mut header = 8;
        if size == 1 {
            file.read_exact(&mut head[8..16]).ok()?;
            size = u64::from_be_bytes(head[8..16].try_into().ok()?);
            header = 16;
        } else if size == 0 {
            size = len - at;
        }
        if size < header {
            return None;
        }
        if head[4..8] == kind {
            let payload = size - header;
            if payload > MAX_MOOV_BYTES {
                return None;
            }
            let mut buf = vec![0u8; usize::try_from(payload).ok()?];
            file.read_exact(&mut buf).ok()?;
            return Some(buf);
        }
        at = at.checked_add(size)?;
    }
    None
}

/// The child boxes of a payload: (type, payload).
fn children(mut data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    while data.len() >= 8 {
        let size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
        let kind = [data[4], data[5], data[6], data[7]];
        let (header, size) = match size {
            0 => (8, data.len()),
            1 if data.len() >= 16 => {
                let large = u64::from_be_bytes(data[8..16].try_into().unwrap_or_default());
                (16, usize::try_from(large).unwrap_or(usize::MAX))
            }
            s => (8, s),
        };
        if size < header || size > data.len() {
            break;
        }
        out.push((kind, &data[header..size]));
        data = &data[size..];
    }
    out
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

fn parse_moov(moov: &[u8]) -> Option<Mp4Info> {
    let boxes = children(moov);
    let (_, mvhd) = boxes.iter().find(|(k, _)| k == b"mvhd")?;
    // Version 0: 32-bit times and duration; version 1: 64-bit (§8.2.2).
    let (timescale, duration) = match mvhd.first()? {
        0 => (be32(mvhd, 12)?, u64::from(be32(mvhd, 16)?)),
        1 => (be32(mvhd, 20)?, be64(mvhd, 24)?),
        _ => return None,
    };
    if timescale == 0 {
        return None;
    }
    let (width, height) = boxes.iter().filter(|(k, _)| k == b"trak").find_map(|(_, trak)| {
        let (_, tkhd) = children(trak).into_iter().find(|(k, _)| k == b"tkhd")?;
        // The last 8 bytes are width and height, 16.16 fixed point (§8.3.2).
        let at = tkhd.len().checked_sub(8)?;
        let (w, h) = (be32(tkhd, at)? >> 16, be32(tkhd, at + 4)? >> 16);
        (w > 0 && h > 0).then_some((w, h))
    })?;
    Some(Mp4Info { duration_seconds: duration as f64 / f64::from(timescale), width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulators_fixture_reads_as_its_readme_says() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.mp4");
        std::fs::write(&path, videogen_sim::FIXTURE_MP4).unwrap();
        let info = read(&path).unwrap();
        assert_eq!((info.width, info.height), (320, 180));
        assert!((info.duration_seconds - 2.0).abs() < 0.05, "{info:?}");
    }

    /// The simulator's clips read back as asked; where `ffprobe` is installed, it agrees with this
    /// box walk on the duration and the frame size.
    #[test]
    fn simulated_clips_read_as_requested_and_ffprobe_agrees() {
        use videogen_sim::clip::{ClipSpec, encode, parse_ratio};
        let dir = tempfile::tempdir().unwrap();
        for (seconds, ratio, size) in [(8.0, "16:9", (160, 90)), (5.0, "9:16", (90, 160)), (12.0, "1:1", (160, 160))] {
            let path = dir.path().join(format!("{seconds}-{}.mp4", ratio.replace(':', "x")));
            std::fs::write(&path, encode(&ClipSpec::new(Some(seconds), parse_ratio(ratio), "p")).unwrap()).unwrap();
            let info = read(&path).unwrap();
            assert_eq!((info.width, info.height), size, "{ratio}");
            assert!((info.duration_seconds - seconds).abs() < 0.01, "{info:?}");
            let _no_lock_test_meanwhile =
                crate::test_support::CHILD_PROCESSES.lock().unwrap_or_else(|p| p.into_inner());
            let probe = std::process::Command::new("ffprobe")
                .args(["-v", "error", "-show_entries", "format=duration:stream=width,height", "-of", "json"])
                .arg(&path)
                .output();
            match probe {
                Ok(out) if out.status.success() => {
                    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                    let probed: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
                    assert!((probed - info.duration_seconds).abs() < 0.05, "ffprobe {probed} s, box walk {info:?}");
                    assert_eq!(v["streams"][0]["width"].as_u64(), Some(u64::from(info.width)));
                    assert_eq!(v["streams"][0]["height"].as_u64(), Some(u64::from(info.height)));
                }
                Ok(out) => panic!("ffprobe refused the clip: {}", String::from_utf8_lossy(&out.stderr)),
                Err(_) => eprintln!("ffprobe is not installed: the box walk alone was checked"),
            }
        }
    }

    #[test]
    fn malformed_files_are_none_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.mp4");
        let fixture = videogen_sim::FIXTURE_MP4;
        for cut in [0, 7, 8, 100, fixture.len() / 2, fixture.len() - 1] {
            std::fs::write(&path, &fixture[..cut]).unwrap();
            let _ = read(&path);
        }
        for junk in [&b"\x00\x00\x00\x01moov"[..], b"\x00\x00\x00\x08moov", b"\xff\xff\xff\xffmoov\x00"] {
            std::fs::write(&path, junk).unwrap();
            assert_eq!(read(&path), None);
        }
        let mut moov_without_mvhd = 16u32.to_be_bytes().to_vec();
        moov_without_mvhd.extend_from_slice(b"moov\x00\x00\x00\x08free");
        std::fs::write(&path, moov_without_mvhd).unwrap();
        assert_eq!(read(&path), None);
    }
}
