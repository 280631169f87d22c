//! What to generate.

use crate::Provider;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// A shot's length when a request's JSON gives none: 5 seconds, the shortest shot most Kling
/// multi-shot models take.
pub const DEFAULT_SHOT_SECONDS: u32 = 5;

fn default_shot_seconds() -> u32 {
    DEFAULT_SHOT_SECONDS
}

/// One shot of a multi-shot request (Oxen `multi_prompt`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shot {
    /// What happens in this shot.
    pub prompt: String,
    /// Its length in seconds (JSON: default [`DEFAULT_SHOT_SECONDS`]).
    #[serde(default = "default_shot_seconds")]
    pub duration: u32,
}

/// A reference image: a URL (or data URL) the provider fetches, or a local file uploaded with
/// the request (OpenAI/AIHubMix multipart). In JSON, one string read by [`ImageInput::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ImageInput {
    /// `https://…` or `data:image/png;base64,…`.
    Url(String),
    /// A local image file (PNG, JPEG or WebP).
    File(PathBuf),
}

impl ImageInput {
    /// `http(s)://` and `data:` texts are URLs; anything else is a local path.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("http://") || text.starts_with("https://") || text.starts_with("data:") {
            ImageInput::Url(text.to_string())
        } else {
            ImageInput::File(PathBuf::from(text))
        }
    }
}

impl From<String> for ImageInput {
    fn from(text: String) -> Self {
        ImageInput::parse(&text)
    }
}

impl From<ImageInput> for String {
    fn from(image: ImageInput) -> Self {
        match image {
            ImageInput::Url(url) => url,
            ImageInput::File(path) => path.to_string_lossy().into_owned(),
        }
    }
}

impl JsonSchema for ImageInput {
    fn schema_name() -> String {
        "ImageInput".into()
    }
    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = String::json_schema(generator).into_object();
        schema.metadata().description =
            Some("A reference image: an https:// or data: URL, or a local PNG, JPEG or WebP file's path.".into());
        schema.into()
    }
}

/// A frame size in pixels. In JSON, the string `"WIDTHxHEIGHT"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl TryFrom<String> for Size {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<Size> for String {
    fn from(size: Size) -> Self {
        size.to_string()
    }
}

impl JsonSchema for Size {
    fn schema_name() -> String {
        "Size".into()
    }
    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = String::json_schema(generator).into_object();
        schema.metadata().description = Some("A frame size in pixels, WIDTHxHEIGHT (e.g. 1280x720).".into());
        schema.string().pattern = Some("^[0-9]+[xX][0-9]+$".into());
        schema.into()
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("size {s:?} is not WIDTHxHEIGHT"))?;
        let px = |v: &str| {
            v.trim().parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| format!("size {s:?} is not WIDTHxHEIGHT"))
        };
        Ok(Size { width: px(w)?, height: px(h)? })
    }
}

/// A video to generate. Build it with [`VideoRequest::new`] and the setters.
///
/// It is also a JSON object (`Serialize`, `Deserialize`, `JsonSchema`), the one a job queue can
/// store and the one each line of a `videogen batch` file is (that line adds `out` and `count`
/// and may leave out `provider` and `model`): the fields by their names below, `size` as
/// `"WIDTHxHEIGHT"`, `images` as strings (URL or path), `cancel_after` in whole seconds, unknown
/// fields refused, empty ones left out.
///
/// ```
/// use videogen::{Provider, VideoRequest};
/// let line = r#"{"provider": "oxen", "model": "kling-video-v2-6-pro-text-to-video",
///                "prompt": "A red balloon", "duration": 5, "size": "1280x720"}"#;
/// let request: VideoRequest = serde_json::from_str(line).unwrap();
/// assert_eq!(request.provider, Provider::Oxen);
/// assert_eq!(request.size.map(|s| s.width), Some(1280));
/// assert_eq!(serde_json::to_value(&request).unwrap(), serde_json::from_str::<serde_json::Value>(line).unwrap());
/// ```
///
/// ```
/// use videogen::{Provider, VideoRequest};
/// let request = VideoRequest::new(Provider::AiHubMix, "wan2.6-t2v")
///     .prompt("A red balloon floating upward through blue sky")
///     .duration(8)
///     .size("1280x720".parse().unwrap());
/// assert_eq!(request.duration, Some(8));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VideoRequest {
    /// Where to generate.
    pub provider: Provider,
    /// The model id (for VideoDB, which has one model, any text; `videodb` by convention).
    pub model: String,
    /// The prompt (or use `shots`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Multi-shot: prompt and duration per shot (Oxen models that take `multi_prompt`; none of
    /// Oxen.ai's listed models documents it since the one that did was retired on 2026-07-27).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shots: Vec<Shot>,
    /// Length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// Aspect ratio, e.g. `16:9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<String>,
    /// Frame size in pixels (OpenAI/AIHubMix `size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    /// Random seed, where the model takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Reference images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageInput>,
    /// A reference video URL (Oxen video-to-video models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_video: Option<String>,
    /// Generate an audio track (Oxen `generate_audio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<bool>,
    /// VideoDB: the collection the video lands in (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// Where the provider POSTs the job's result: VideoDB's `callback_url` (read the POST with
    /// [`crate::webhook::parse`]) or Replicate's `webhook` (signed: [`crate::webhook::Verifier`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Replicate: which webhooks to send (`start`, `output`, `logs`, `completed`; its
    /// `webhook_events_filter`); empty: Replicate's default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_events: Vec<String>,
    /// A deadline the provider enforces itself: the job is cancelled when it runs longer than
    /// this from its create, so nobody pays for a job nobody waits for (Replicate's
    /// `Cancel-After`, whole seconds, at least 5; [`crate::Operation::Deadline`]). A provider
    /// without one refuses the request before sending.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "whole_seconds")]
    #[schemars(with = "Option<u64>")]
    pub cancel_after: Option<std::time::Duration>,
    /// Provider parameters passed through as-is, added to the create body last.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
    /// The `Idempotency-Key` the create carries (`None`: a new UUID per submit). Set it to a key
    /// of your own, kept with your record of the work before you submit, when a create whose
    /// answer was lost may be sent again later, by another process: a provider or gateway that
    /// honours the header then answers the first create's job instead of making a second.
    /// No provider documents the header (docs.oxen.ai, docs.videodb.io, platform.openai.com), so
    /// the facade still never re-sends a create on its own unless it provably created nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// `cancel_after` in JSON: whole seconds (rounded up when serialized).
mod whole_seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_u64(d.as_secs() + u64::from(d.subsec_nanos() > 0)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}

impl VideoRequest {
    /// A request for `model` on `provider`; set the prompt (or shots) next.
    pub fn new(provider: Provider, model: impl Into<String>) -> Self {
        Self {
            provider,
            model: model.into(),
            prompt: None,
            shots: Vec::new(),
            duration: None,
            aspect_ratio: None,
            size: None,
            seed: None,
            images: Vec::new(),
            input_video: None,
            audio: None,
            collection: None,
            callback_url: None,
            webhook_events: Vec::new(),
            cancel_after: None,
            extra: Map::new(),
            idempotency_key: None,
        }
    }

    /// Sets the create's `Idempotency-Key` ([`VideoRequest::idempotency_key`]).
    ///
    /// ```
    /// use videogen::{Provider, VideoRequest};
    /// let request = VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video")
    ///     .prompt("A red balloon")
    ///     .idempotency_key("batch-7f3a#12-attempt-1");
    /// assert_eq!(request.idempotency_key.as_deref(), Some("batch-7f3a#12-attempt-1"));
    /// ```
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Sets the prompt.
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Adds a shot (multi-shot).
    pub fn shot(mut self, prompt: impl Into<String>, duration: u32) -> Self {
        self.shots.push(Shot { prompt: prompt.into(), duration });
        self
    }

    /// Sets the length in seconds.
    pub fn duration(mut self, seconds: u32) -> Self {
        self.duration = Some(seconds);
        self
    }

    /// Sets the aspect ratio, e.g. `16:9`.
    pub fn aspect_ratio(mut self, ratio: impl Into<String>) -> Self {
        self.aspect_ratio = Some(ratio.into());
        self
    }

    /// Sets the frame size in pixels.
    pub fn size(mut self, size: Size) -> Self {
        self.size = Some(size);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: i64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Adds a reference image.
    pub fn image(mut self, image: ImageInput) -> Self {
        self.images.push(image);
        self
    }

    /// Sets the reference video URL.
    pub fn input_video(mut self, url: impl Into<String>) -> Self {
        self.input_video = Some(url.into());
        self
    }

    /// Asks for an audio track.
    pub fn audio(mut self, audio: bool) -> Self {
        self.audio = Some(audio);
        self
    }

    /// Sets the VideoDB collection.
    pub fn collection(mut self, id: impl Into<String>) -> Self {
        self.collection = Some(id.into());
        self
    }

    /// VideoDB: the URL VideoDB POSTs the result to when the job finishes (its `callback_url`,
    /// spec `/collection/{id}/generate/video/`). Give each job a URL your server can tell apart
    /// (a path or query token of your own): the payload's shape is VideoDB's async-response
    /// envelope, which [`crate::webhook::parse`] reads for the job you map the URL to. Polling
    /// still works alongside. An `https://` URL (plain `http://` only to loopback).
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Replicate: the webhooks to send to [`VideoRequest::callback_url`] (`start`, `output`,
    /// `logs`, `completed`).
    pub fn webhook_events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.webhook_events = events.into_iter().map(Into::into).collect();
        self
    }

    /// A deadline the provider enforces itself ([`VideoRequest::cancel_after`]): set it to the
    /// longest you will wait, and a job still running then is stopped (and, on Replicate, billed
    /// only for the time it ran).
    ///
    /// ```
    /// use std::time::Duration;
    /// use videogen::{Provider, VideoRequest};
    /// let request = VideoRequest::new(Provider::Replicate, "kwaivgi/kling-v3-video")
    ///     .prompt("A red balloon")
    ///     .cancel_after(Duration::from_secs(600));
    /// assert_eq!(request.cancel_after, Some(Duration::from_secs(600)));
    /// ```
    pub fn cancel_after(mut self, deadline: std::time::Duration) -> Self {
        self.cancel_after = Some(deadline);
        self
    }

    /// Adds a provider parameter, passed through as-is.
    pub fn extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    /// Oxen.ai: make `n` videos from this one request (`num_generations`, 1–4: docs.oxen.ai
    /// async_queue; the spec allows 12, the docs and the service's message say 4). Each is a
    /// paid generation with its own job: submit such a request with
    /// [`crate::Client::submit_many`], which returns a handle for every one.
    pub fn num_generations(self, n: u32) -> Self {
        self.extra("num_generations", Value::from(n))
    }

    /// How many paid outputs this request asks for: `num_generations` (Oxen.ai), else 1.
    ///
    /// # Errors
    /// [`crate::Error::InvalidRequest`] when `num_generations` is not an integer from 1 to 4, or
    /// is set for a provider other than Oxen.ai (the others make one video per request).
    pub fn outputs(&self) -> crate::Result<u32> {
        let Some(value) = self.extra.get("num_generations") else { return Ok(1) };
        if crate::providers::profile(self.provider).max_outputs == 1 {
            return Err(crate::Error::invalid(format!(
                "num_generations is an Oxen.ai parameter; {} makes one video per request",
                self.provider
            )));
        }
        match value.as_u64() {
            Some(n @ 1..=MAX_OXEN_GENERATIONS) => Ok(n as u32),
            _ => Err(crate::Error::invalid(format!(
                "num_generations must be an integer between 1 and {MAX_OXEN_GENERATIONS} (docs.oxen.ai), not {value}"
            ))),
        }
    }
}

/// The most outputs one Oxen.ai request may ask for: 4 (docs.oxen.ai async_queue, "num_generations
/// must be an integer between 1 and 4"; the published spec's maximum of 12 is not what the
/// service accepts per its docs).
pub const MAX_OXEN_GENERATIONS: u64 = 4;

/// The largest local reference image read: 50 MiB. No provider documents a limit for uploaded
/// reference images (OpenAI's `input_reference`, AIHubMix's multipart), so this is the
/// fallback the project uses where none is documented; a larger file is refused before anything
/// is read or sent.
pub const MAX_REFERENCE_IMAGE_BYTES: u64 = 50 << 20;

/// Checks every local reference image before anything is read or sent: it must exist, be a
/// regular file (a symlink to one is fine; `/dev/zero`, a FIFO or a folder is not), hold at
/// most [`MAX_REFERENCE_IMAGE_BYTES`], and be a PNG, JPEG or WebP image by its first bytes (the
/// formats OpenAI's and AIHubMix's `input_reference` take; the file name's extension is not
/// trusted: a text file named `x.png` is refused).
///
/// # Errors
/// [`crate::Error::InvalidRequest`] naming the path and the reason.
pub fn check_local_inputs(request: &VideoRequest) -> crate::Result<()> {
    for image in &request.images {
        if let ImageInput::File(path) = image {
            check_image_file(path)?;
        }
    }
    Ok(())
}

/// The checks of [`check_local_inputs`] for one file; returns its size in bytes.
pub(crate) fn check_image_file(path: &std::path::Path) -> crate::Result<u64> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        crate::Error::invalid(format!(
            "reference image {shown}: {}",
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            }
        ))
    })?;
    if !meta.is_file() {
        return Err(crate::Error::invalid(format!("reference image {shown}: not a regular file")));
    }
    if meta.len() > MAX_REFERENCE_IMAGE_BYTES {
        return Err(crate::Error::invalid(format!(
            "reference image {shown}: {} bytes, over the limit of {MAX_REFERENCE_IMAGE_BYTES} bytes",
            meta.len()
        )));
    }
    let mut head = [0u8; 12];
    let read = {
        use std::io::Read;
        let mut file = std::fs::File::open(path)
            .map_err(|e| crate::Error::invalid(format!("reference image {shown}: cannot be opened: {e}")))?;
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => return Err(crate::Error::invalid(format!("reference image {shown}: {e}"))),
            }
        }
        n
    };
    if image_type(&head[..read]).is_none() {
        return Err(crate::Error::invalid(format!(
            "reference image {shown}: not a PNG, JPEG or WebP image (its first bytes are none of theirs)"
        )));
    }
    Ok(meta.len())
}

/// The media type of an image from its first bytes: `image/png` (`89 50 4E 47 0D 0A 1A 0A`),
/// `image/jpeg` (`FF D8 FF`) or `image/webp` (`RIFF` … `WEBP`); `None` for anything else.
pub(crate) fn image_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_images_parse() {
        assert_eq!("1280x720".parse::<Size>().unwrap(), Size { width: 1280, height: 720 });
        assert!("1280".parse::<Size>().is_err() && "0x5".parse::<Size>().is_err());
        assert_eq!(ImageInput::parse("https://x/a.png"), ImageInput::Url("https://x/a.png".into()));
        assert_eq!(ImageInput::parse("a.png"), ImageInput::File("a.png".into()));
    }

    #[test]
    fn local_images_are_checked_before_reading() {
        let dir = std::env::temp_dir().join(format!("videogen-img-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = dir.join("a.png");
        std::fs::write(&ok, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        let jpeg_named_png = dir.join("b.png");
        std::fs::write(&jpeg_named_png, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
        let webp = dir.join("c.bin");
        std::fs::write(&webp, b"RIFF\x10\0\0\0WEBPVP8 ").unwrap();
        let text = dir.join("notimage.png");
        std::fs::write(&text, b"hello, I am text").unwrap();
        let empty = dir.join("empty.png");
        std::fs::write(&empty, b"").unwrap();
        let with = |p: &str| {
            VideoRequest::new(Provider::OpenAi, "gateway-video-model").prompt("p").image(ImageInput::parse(p))
        };
        for good in [&ok, &jpeg_named_png, &webp] {
            assert!(check_local_inputs(&with(good.to_str().unwrap())).is_ok(), "{}", good.display());
        }
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        for (path, why) in [
            (text, "not a PNG, JPEG or WebP image"),
            (empty, "not a PNG, JPEG or WebP image"),
            (dir.join("missing.png"), "no such file"),
            (dir.clone(), "not a regular file"),
            (std::path::PathBuf::from("/dev/zero"), "not a regular file"),
        ] {
            let err = check_local_inputs(&with(path.to_str().unwrap())).unwrap_err();
            assert!(matches!(err, crate::Error::InvalidRequest { status: None, .. }), "{err:?}");
            assert!(err.to_string().contains(why), "{err}");
        }
        let big = dir.join("big.png");
        std::fs::File::create(&big).unwrap().set_len(MAX_REFERENCE_IMAGE_BYTES + 1).unwrap();
        assert!(check_local_inputs(&with(big.to_str().unwrap())).unwrap_err().to_string().contains("over the limit"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
