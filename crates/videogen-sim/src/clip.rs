//! Result videos that look like what was asked: an MP4 of the requested length and aspect ratio
//! (frames scaled down to at most 160 pixels a side, so files stay small), filled with a colour
//! from the job's prompt and id and crossed by a bar that moves once a second, so every job's
//! video differs and a player shows it moving.
//!
//! Encoded with well-kept pure-Rust crates, never by hand: `less-avc` (strawlab; H.264 Baseline,
//! every frame an IDR of uncompressed I_PCM macroblocks, about 23 KB for a 160x90 frame) and
//! `mp4` (alfg/mp4-rust `Mp4Writer`: one AVC track, length-prefixed samples). To bound the size,
//! a clip has at most [`MAX_FRAMES`] frames, each shown for an equal share of the length (a
//! 20-second clip is 12 frames of 1.67 s). The same job always gives the same bytes, so a
//! download resumed with `Range` continues the same file.

use less_avc::ycbcr_image::{DataPlane, Planes, YCbCrImage};
use less_avc::{BitDepth, LessEncoder};
use sha2::{Digest, Sha256};

/// The most frames a clip holds: 12 (about 280 KB at 160x90).
pub const MAX_FRAMES: u32 = 12;
/// The longest side of a clip's frame, in pixels.
pub const MAX_SIDE: u32 = 160;
/// The length of a clip whose request gives none, in seconds (the shortest most models make).
pub const DEFAULT_SECONDS: f64 = 5.0;
/// The longest clip, in seconds.
pub const MAX_SECONDS: f64 = 120.0;

/// What a job's result video looks like.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipSpec {
    /// Its length in seconds.
    pub seconds: f64,
    /// Frame width in pixels (even).
    pub width: u32,
    /// Frame height in pixels (even).
    pub height: u32,
    /// Its colour, red, green, blue.
    pub rgb: [u8; 3],
}

impl ClipSpec {
    /// The clip of a request asking for `seconds` (default [`DEFAULT_SECONDS`]) at an aspect
    /// ratio of `ratio` width to height (default 16:9), coloured from `seed` (the prompt and the
    /// job id).
    pub fn new(seconds: Option<f64>, ratio: Option<(u32, u32)>, seed: &str) -> Self {
        let seconds = seconds.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(DEFAULT_SECONDS).min(MAX_SECONDS);
        let (w, h) = ratio.filter(|(w, h)| *w > 0 && *h > 0 && w / h <= 8 && h / w <= 8).unwrap_or((16, 9));
        let even = |v: f64| ((v / 2.0).round() as u32 * 2).max(16);
        let (width, height) = if w >= h {
            (MAX_SIDE, even(f64::from(MAX_SIDE) * f64::from(h) / f64::from(w)))
        } else {
            (even(f64::from(MAX_SIDE) * f64::from(w) / f64::from(h)), MAX_SIDE)
        };
        let digest = Sha256::digest(seed.as_bytes());
        Self { seconds, width, height, rgb: [digest[0], digest[1], digest[2]] }
    }
}

/// A ratio from `"16:9"`, `"9:16"`, `"1:1"` or a size `"1280x720"`.
pub fn parse_ratio(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once([':', 'x', 'X'])?;
    let (a, b) = (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?);
    (a > 0 && b > 0).then_some((a, b))
}

/// Full-range BT.601 (JPEG) Y, Cb, Cr of `rgb` (less-avc signals full range), each at least 1 so
/// the raw samples never hold `00 00` (no emulation-prevention bytes, constant frame size).
fn ycbcr(rgb: [u8; 3]) -> [u8; 3] {
    let [r, g, b] = rgb.map(f32::from);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    [y, cb, cr].map(|v| v.round().clamp(1.0, 255.0) as u8)
}

/// The planes of one frame, padded to whole macroblocks as less-avc requires.
struct Frame {
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
    luma_stride: usize,
    chroma_stride: usize,
}

impl Frame {
    fn new(width: u32, height: u32) -> Self {
        let (mbs_w, mbs_h) = (width.div_ceil(16) as usize, height.div_ceil(16) as usize);
        let (luma_stride, chroma_stride) = (mbs_w * 16, mbs_w * 8);
        Self {
            y: vec![1; luma_stride * mbs_h * 16],
            u: vec![128; chroma_stride * mbs_h * 8],
            v: vec![128; chroma_stride * mbs_h * 8],
            luma_stride,
            chroma_stride,
        }
    }

    /// The background, then a bar `bar` luma pixels wide from column `x` (both even).
    fn draw(&mut self, background: [u8; 3], bar_colour: [u8; 3], x: usize, bar: usize) {
        self.y.fill(background[0]);
        self.u.fill(background[1]);
        self.v.fill(background[2]);
        for row in self.y.chunks_mut(self.luma_stride) {
            row[x..x + bar].fill(bar_colour[0]);
        }
        for (u, v) in self.u.chunks_mut(self.chroma_stride).zip(self.v.chunks_mut(self.chroma_stride)) {
            u[x / 2..(x + bar) / 2].fill(bar_colour[1]);
            v[x / 2..(x + bar) / 2].fill(bar_colour[2]);
        }
    }

    fn image(&self, width: u32, height: u32) -> YCbCrImage<'_> {
        fn plane(data: &[u8], stride: usize) -> DataPlane<'_> {
            DataPlane { data, stride, bit_depth: BitDepth::Depth8 }
        }
        YCbCrImage {
            planes: Planes::YCbCr((
                plane(&self.y, self.luma_stride),
                plane(&self.u, self.chroma_stride),
                plane(&self.v, self.chroma_stride),
            )),
            width,
            height,
        }
    }
}

/// A bare NAL unit as an MP4 sample: its length (4 bytes, big-endian), then the unit.
fn length_prefixed(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len() + 4);
    out.extend_from_slice(&u32::try_from(nal.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(nal);
    out
}

/// The MP4 of `spec`.
///
/// # Errors
/// The encoder's or the muxer's, as text (not expected for the sizes [`ClipSpec::new`] makes).
pub fn encode(spec: &ClipSpec) -> Result<Vec<u8>, String> {
    const TIMESCALE: u32 = 1000;
    let (width, height) = (spec.width, spec.height);
    let mut frame = Frame::new(width, height);
    let frames = (spec.seconds.ceil() as u32).clamp(2, MAX_FRAMES);
    let ticks = (spec.seconds * f64::from(TIMESCALE)).round().max(1.0) as u64;
    let background = ycbcr(spec.rgb);
    let bar_colour = ycbcr(spec.rgb.map(|c| 255 - c));
    let bar = ((width as usize / 8) & !1).max(2);
    let travel = width as usize - bar;
    let bar_at = |i: u32| (travel * i as usize / (frames as usize - 1)) & !1;

    frame.draw(background, bar_colour, bar_at(0), bar);
    let (initial, mut encoder) = LessEncoder::new(&frame.image(width, height)).map_err(|e| e.to_string())?;
    let config = mp4::Mp4Config {
        major_brand: str::parse("isom").map_err(|e: mp4::Error| e.to_string())?,
        minor_version: 512,
        compatible_brands: ["isom", "iso2", "avc1", "mp41"]
            .iter()
            .map(|b| str::parse(b))
            .collect::<Result<_, mp4::Error>>()
            .map_err(|e| e.to_string())?,
        timescale: TIMESCALE,
    };
    let mut writer =
        mp4::Mp4Writer::write_start(std::io::Cursor::new(Vec::new()), &config).map_err(|e| e.to_string())?;
    writer
        .add_track(&mp4::TrackConfig {
            track_type: mp4::TrackType::Video,
            timescale: TIMESCALE,
            language: "und".into(),
            media_conf: mp4::MediaConfig::AvcConfig(mp4::AvcConfig {
                width: u16::try_from(width).map_err(|e| e.to_string())?,
                height: u16::try_from(height).map_err(|e| e.to_string())?,
                seq_param_set: initial.sps.to_nal_unit(),
                pic_param_set: initial.pps.to_nal_unit(),
            }),
        })
        .map_err(|e| e.to_string())?;
    let mut nal = initial.frame.to_nal_unit();
    for i in 0..frames {
        if i > 0 {
            frame.draw(background, bar_colour, bar_at(i), bar);
            nal = encoder.encode(&frame.image(width, height)).map_err(|e| e.to_string())?.to_nal_unit();
        }
        let (start, end) = (u64::from(i) * ticks / u64::from(frames), u64::from(i + 1) * ticks / u64::from(frames));
        writer
            .write_sample(
                1,
                &mp4::Mp4Sample {
                    start_time: start,
                    duration: u32::try_from(end - start).map_err(|e| e.to_string())?,
                    rendering_offset: 0,
                    // Every less-avc frame is an IDR picture.
                    is_sync: true,
                    bytes: mp4::Bytes::from(length_prefixed(&nal)),
                },
            )
            .map_err(|e| e.to_string())?;
    }
    writer.write_end().map_err(|e| e.to_string())?;
    Ok(writer.into_writer().into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_ratio_and_colours_the_seed() {
        let wide = ClipSpec::new(Some(8.0), parse_ratio("16:9"), "a");
        assert_eq!((wide.width, wide.height, wide.seconds), (160, 90, 8.0));
        let tall = ClipSpec::new(None, parse_ratio("720x1280"), "a");
        assert_eq!((tall.width, tall.height, tall.seconds), (90, 160, DEFAULT_SECONDS));
        assert_eq!(
            (ClipSpec::new(None, parse_ratio("1:1"), "a").width, ClipSpec::new(None, None, "a").height),
            (160, 90)
        );
        assert_ne!(ClipSpec::new(None, None, "a").rgb, ClipSpec::new(None, None, "b").rgb);
        assert_eq!(ClipSpec::new(Some(f64::NAN), parse_ratio("100:1"), "a"), ClipSpec::new(None, None, "a"));
        assert_eq!(ClipSpec::new(Some(1e9), None, "a").seconds, MAX_SECONDS);
    }

    #[test]
    fn a_clip_is_an_mp4_of_its_length_and_the_same_bytes_each_time() {
        let spec = ClipSpec::new(Some(3.0), parse_ratio("9:16"), "seed");
        let bytes = encode(&spec).unwrap();
        assert_eq!(&bytes[4..8], b"ftyp");
        assert_eq!(bytes, encode(&spec).unwrap(), "deterministic: a resumed download continues the same file");
        let long = encode(&ClipSpec::new(Some(MAX_SECONDS), None, "seed")).unwrap();
        assert!(long.len() < 300_000, "{} bytes", long.len());
    }
}
