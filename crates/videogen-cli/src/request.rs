//! What to generate, as the command line (`generate`, `submit`) and a batch line give it: one
//! [`RequestFields`] shape, one conversion to a [`VideoRequest`] with the same checks for both,
//! and the fingerprint that identifies a batch line's work.

use crate::context::{default_model, default_provider};
use crate::exit::CliError;
use clap::Args;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use videogen::{Provider, Size, VideoRequest};

pub use videogen::DEFAULT_SHOT_SECONDS;

/// One shot of a multi-shot request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShotFields {
    /// What happens in this shot.
    pub prompt: String,
    /// Its length in seconds (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
}

/// One line of a `videogen batch` file (`videogen schema batch-line`), and what `generate`'s and
/// `submit`'s flags fill: the library's [`VideoRequest`] JSON (the same names and shapes, read by
/// its own `Deserialize`), with `provider` and `model` optional (the command's defaults) and two
/// fields of the batch's own, `count` and `out`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestFields {
    /// What to generate (or give `shots`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Multi-shot: a prompt and a length per shot, instead of `prompt` (Oxen.ai multi-shot models).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shots: Vec<ShotFields>,
    /// oxen, videodb, aihubmix, replicate or openai (default: the command's --provider).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The model id (default per provider).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// Aspect ratio, e.g. "16:9".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<String>,
    /// Frame size in pixels, "WIDTHxHEIGHT".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Random seed, where the model takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Reference images: URLs or local files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// A reference video URL (Oxen.ai video-to-video models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_video: Option<String>,
    /// Generate an audio track (true) or not (false), where the model has the switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<bool>,
    /// VideoDB: the collection the video lands in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// Where the provider POSTs the result (https://): VideoDB's callback_url, Replicate's
    /// webhook (signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Replicate: which webhooks to send (start, output, logs, completed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_events: Vec<String>,
    /// How many videos (Oxen.ai num_generations, 1–4); each is a paid job with its own file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Provider parameters passed through as-is.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
    /// Batch lines only: the output file name inside --out-dir (default: the line number,
    /// e.g. "0007.mp4"; with count, "0007-2.mp4" for the second video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<String>,
}

/// `--allow-retired`: requests for retired models are sent (set once by `main`).
pub static ALLOW_RETIRED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Refuses a retired model (unless `--allow-retired`) with its date and replacement, and prints
/// one line on standard error, once per model, for a deprecated one.
fn check_lifecycle(request: &VideoRequest) -> Result<(), String> {
    static TOLD: std::sync::Mutex<Vec<(Provider, String)>> = std::sync::Mutex::new(Vec::new());
    let today = chrono::Utc::now().date_naive();
    match videogen::models::check_lifecycle(request.provider, &request.model, today) {
        Ok(Some(notice)) => {
            let mut told = TOLD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let key = (request.provider, request.model.clone());
            if !told.contains(&key) {
                crate::output::err(&format!("warning: {}", crate::output::clean(&notice.to_string())));
                told.push(key);
            }
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(_) if ALLOW_RETIRED.load(std::sync::atomic::Ordering::Relaxed) => Ok(()),
        Err(e) => Err(format!("field model: {e} (--allow-retired sends it anyway)")),
    }
}

impl RequestFields {
    /// The provider: the line's own, else `default`.
    ///
    /// # Errors
    /// `field provider: …` when it names no provider.
    pub fn provider(&self, default: Provider) -> Result<Provider, String> {
        match &self.provider {
            Some(p) => p.parse::<Provider>().map_err(|e| format!("field provider: {e}")),
            None => Ok(default),
        }
    }

    /// The request, with every check that can fail before anything is sent: the model's rules,
    /// local reference images, the output count. Errors name the field (`field size: …`) or the
    /// rule (`rule: …`).
    pub fn build(&self, default: Provider) -> Result<VideoRequest, String> {
        let provider = self.provider(default)?;
        let model = match &self.model {
            Some(m) => m.clone(),
            None => default_model(provider)?.to_string(),
        };
        if self.duration == Some(0) || self.shots.iter().any(|s| s.duration == Some(0)) {
            return Err("field duration: must be at least 1 second".into());
        }
        // The line is the library's `VideoRequest` JSON plus `out` and `count`: read it as one.
        let mut line = match serde_json::to_value(self).map_err(|e| e.to_string())? {
            Value::Object(map) => map,
            _ => return Err("a request is a JSON object".into()),
        };
        line.remove("out");
        line.remove("count");
        line.insert("provider".into(), Value::from(provider.as_str()));
        line.insert("model".into(), Value::from(model));
        let mut request: VideoRequest = serde_path_to_error::deserialize(Value::Object(line))
            .map_err(|e| format!("field {}: {}", e.path(), e.inner()))?;
        if request.extra.contains_key("multi_prompt") {
            return Err("field extra: multi_prompt is the shots field (give shots, not extra.multi_prompt)".into());
        }
        match self.count {
            None | Some(1) => {}
            Some(n) if provider.max_outputs() == 1 => {
                return Err(format!(
                    "field count: {provider} makes one video per request; {n} needs {n} requests (Oxen.ai makes up to 4 from one)"
                ));
            }
            Some(n) => request = request.num_generations(n),
        }
        request.outputs().map_err(|e| format!("field count: {e}"))?;
        videogen::models::check(&request).map_err(|e| format!("rule: {e}"))?;
        check_lifecycle(&request)?;
        videogen::check_local_inputs(&request).map_err(|e| format!("field images: {e}"))?;
        Ok(request)
    }

    /// A fingerprint of the whole request as it will be sent — provider and model resolved,
    /// every field, not the output name: an edited line is new work, an unchanged one is the
    /// same work. 16 hex digits of SHA-256.
    pub fn fingerprint(&self, default: Provider) -> Result<String, String> {
        let provider = self.provider(default)?;
        let mut resolved = self.clone();
        resolved.provider = Some(provider.as_str().to_string());
        resolved.model = Some(match &self.model {
            Some(m) => m.clone(),
            None => default_model(provider)?.to_string(),
        });
        resolved.out = None;
        for shot in &mut resolved.shots {
            shot.duration = Some(shot.duration.unwrap_or(DEFAULT_SHOT_SECONDS));
        }
        if resolved.count == Some(1) {
            resolved.count = None;
        }
        let text = serde_json::to_string(&resolved).map_err(|e| e.to_string())?;
        let digest = Sha256::digest(text.as_bytes());
        Ok(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
    }
}

/// `generate`'s and `submit`'s request flags.
#[derive(Args, Debug, Clone)]
pub struct RequestArgs {
    /// What to generate (or give --shot).
    #[arg(required_unless_present = "shots")]
    pub prompt: Option<String>,
    /// One shot of a multi-shot video, "TEXT" or "SECONDS=TEXT", e.g. "5=A clock showing 10:05"
    /// (repeatable; 5 seconds when none is given; Oxen.ai multi-shot models). Only digits then
    /// `=` at the very start are a length: a colon or `=` inside the text is text.
    #[arg(long = "shot", value_name = "[SECONDS=]TEXT", conflicts_with = "prompt")]
    pub shots: Vec<String>,
    /// oxen, videodb, aihubmix, replicate or openai (default: the first with an API key set, else
    /// oxen on the simulator).
    #[arg(long, short)]
    pub provider: Option<Provider>,
    /// Model id (default per provider: kling-video-v2-6-pro-text-to-video, videodb, wan2.6-t2v,
    /// kwaivgi/kling-v3-video; an OpenAI-compatible gateway has none). `videogen models` lists
    /// the catalogue.
    #[arg(long, short)]
    pub model: Option<String>,
    /// Length in seconds.
    #[arg(long, short)]
    pub duration: Option<u32>,
    /// Aspect ratio, e.g. 16:9.
    #[arg(long, conflicts_with = "size")]
    pub aspect_ratio: Option<String>,
    /// Frame size in pixels, WIDTHxHEIGHT.
    #[arg(long)]
    pub size: Option<Size>,
    /// Random seed, where the model takes one (negative values too: --seed -5).
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<i64>,
    /// Reference image: a URL or a local file (repeatable).
    #[arg(long = "image")]
    pub images: Vec<String>,
    /// A reference video URL (Oxen.ai video-to-video models).
    #[arg(long, value_name = "URL")]
    pub input_video: Option<String>,
    /// Generate an audio track, where the model has the switch.
    #[arg(long, overrides_with = "no_audio")]
    pub audio: bool,
    /// Generate no audio track, where the model has the switch.
    #[arg(long, overrides_with = "audio")]
    pub no_audio: bool,
    /// VideoDB: the collection the video lands in.
    #[arg(long)]
    pub collection: Option<String>,
    /// Where the provider POSTs the result when the job finishes (https://): VideoDB's
    /// callback_url, Replicate's webhook (signed; verify it with the library's
    /// webhook::Verifier).
    #[arg(long, value_name = "URL", visible_alias = "webhook-url")]
    pub callback_url: Option<String>,
    /// Replicate: a webhook to send (start, output, logs, completed; repeatable; default:
    /// Replicate's).
    #[arg(long = "webhook-event", value_name = "EVENT", requires = "callback_url")]
    pub webhook_events: Vec<String>,
    /// How many videos (Oxen.ai, 1–4): one paid job, handle and file each.
    #[arg(long, value_name = "N")]
    pub count: Option<u32>,
    /// A provider parameter passed as-is, KEY=VALUE (VALUE read as JSON when it parses, else as
    /// text; repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub extra: Vec<String>,
}

impl RequestArgs {
    /// The provider: `--provider`, else the default.
    pub fn provider(&self) -> Provider {
        self.provider.unwrap_or_else(default_provider)
    }

    /// The flags as a batch line's fields.
    pub fn fields(&self) -> Result<RequestFields, CliError> {
        let mut extra = Map::new();
        for pair in &self.extra {
            let (key, value) =
                pair.split_once('=').ok_or_else(|| CliError::usage(format!("--extra {pair:?} is not KEY=VALUE")))?;
            let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
            extra.insert(key.to_string(), value);
        }
        Ok(RequestFields {
            prompt: self.prompt.clone(),
            shots: self.shots.iter().map(|s| parse_shot(s)).collect(),
            provider: Some(self.provider().as_str().to_string()),
            model: self.model.clone(),
            duration: self.duration,
            aspect_ratio: self.aspect_ratio.clone(),
            size: self.size.map(|s| s.to_string()),
            seed: self.seed,
            images: self.images.clone(),
            input_video: self.input_video.clone(),
            audio: if self.audio {
                Some(true)
            } else if self.no_audio {
                Some(false)
            } else {
                None
            },
            collection: self.collection.clone(),
            callback_url: self.callback_url.clone(),
            webhook_events: self.webhook_events.clone(),
            count: self.count,
            extra,
            out: None,
        })
    }

    /// The request, checked (exit 2 before anything is sent).
    pub fn checked_request(&self) -> Result<VideoRequest, CliError> {
        self.fields()?.build(self.provider()).map_err(|e| CliError::usage(flag_names(&e)))
    }
}

/// `"[SECONDS=]TEXT"`: a length in seconds when the text starts with digits and `=` (an `s`
/// after the digits is allowed: `"5s=…"`); everything else is the shot's text, colons and all.
pub fn parse_shot(text: &str) -> ShotFields {
    if let Some((secs, prompt)) = text.split_once('=') {
        let digits = secs.trim().strip_suffix('s').unwrap_or(secs.trim());
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(duration) = digits.parse()
        {
            return ShotFields { prompt: prompt.trim_start().to_string(), duration: Some(duration) };
        }
    }
    ShotFields { prompt: text.to_string(), duration: None }
}

/// A field error as the command line says it (`field images: …` → `--image: …`, without the
/// library's `invalid request: ` prefix inside).
fn flag_names(message: &str) -> String {
    let message = message.strip_prefix("rule: ").unwrap_or(message);
    let Some((field, why)) = message.strip_prefix("field ").and_then(|rest| rest.split_once(':')) else {
        return message.to_string();
    };
    let flag = match field {
        "images" => "image",
        "shots" => "shot",
        other => other,
    };
    let why = why.trim_start();
    format!("--{}: {}", flag.replace('_', "-"), why.strip_prefix("invalid request: ").unwrap_or(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shots_parse_with_and_without_seconds() {
        assert_eq!(parse_shot("4=a dog: running"), ShotFields { prompt: "a dog: running".into(), duration: Some(4) });
        assert_eq!(parse_shot("5s= a dog"), ShotFields { prompt: "a dog".into(), duration: Some(5) });
        let clock = "A clock showing 10:05";
        assert_eq!(parse_shot(clock), ShotFields { prompt: clock.into(), duration: None }, "a colon is text");
        assert_eq!(parse_shot("a dog: running:4"), ShotFields { prompt: "a dog: running:4".into(), duration: None });
        assert_eq!(parse_shot("x=5"), ShotFields { prompt: "x=5".into(), duration: None }, "= inside the text");
        assert_eq!(parse_shot("no time"), ShotFields { prompt: "no time".into(), duration: None });
        assert_eq!(parse_shot("99999999999=a"), ShotFields { prompt: "99999999999=a".into(), duration: None });
    }

    #[test]
    fn the_fingerprint_covers_every_field_and_resolved_defaults() {
        let base = RequestFields { prompt: Some("a".into()), ..Default::default() };
        let fp = |f: &RequestFields| f.fingerprint(Provider::Oxen).unwrap();
        let explicit = RequestFields {
            provider: Some("oxen".into()),
            model: Some(default_model(Provider::Oxen).unwrap().into()),
            out: Some("x.mp4".into()),
            ..base.clone()
        };
        assert_eq!(fp(&base), fp(&explicit), "defaults resolved, out ignored");
        assert_ne!(fp(&base), fp(&RequestFields { duration: Some(10), ..base.clone() }));
        assert_ne!(fp(&base), fp(&RequestFields { audio: Some(false), ..base.clone() }));
        assert_ne!(fp(&base), base.fingerprint(Provider::AiHubMix).unwrap(), "the default provider counts");
        assert!(base.fingerprint(Provider::OpenAi).unwrap_err().contains("--model"), "a gateway has no default model");
        assert_eq!(fp(&base).len(), 16);
    }

    #[test]
    fn a_batch_line_is_the_library_request_plus_count_and_out() {
        let schema = |s: schemars::schema::RootSchema| serde_json::to_value(s).unwrap();
        let line = schema(schemars::schema_for!(RequestFields));
        let request = schema(schemars::schema_for!(VideoRequest));
        let props = |v: &Value| v["properties"].as_object().unwrap().clone();
        let (line_props, request_props) = (props(&line), props(&request));
        let mut names: Vec<_> = line_props.keys().filter(|k| !request_props.contains_key(*k)).collect();
        names.sort();
        assert_eq!(names, ["count", "out"], "the line adds only count and out");
        assert!(
            request_props.keys().all(|k| line_props.contains_key(k) || k == "cancel_after" || k == "idempotency_key")
        );
        // Every field the line shares reads into the library's type: a full line builds.
        let full = r#"{"prompt": "a", "provider": "oxen", "duration": 5, "aspect_ratio": "16:9", "seed": -3,
            "audio": false, "extra": {"x": 1}, "count": 2, "out": "a.mp4"}"#;
        let fields: RequestFields = serde_json::from_str(full).unwrap();
        let built = fields.build(Provider::Oxen).unwrap();
        assert_eq!((built.seed, built.audio, built.outputs().unwrap()), (Some(-3), Some(false), 2));
        let shots: VideoRequest = serde_json::from_str(
            r#"{"provider": "oxen", "model": "m", "shots": [{"prompt": "a"}, {"prompt": "b", "duration": 7}]}"#,
        )
        .unwrap();
        assert_eq!(shots.shots.iter().map(|s| s.duration).collect::<Vec<_>>(), [DEFAULT_SHOT_SECONDS, 7]);
        let typo = serde_json::from_str::<RequestFields>(r#"{"prompt": "a", "sizee": "1x1"}"#).unwrap_err();
        assert!(typo.to_string().contains("unknown field `sizee`"), "{typo}");
        let bad = RequestFields { size: Some("big".into()), prompt: Some("a".into()), ..Default::default() };
        assert!(bad.build(Provider::Oxen).unwrap_err().starts_with("field size: "));
    }

    #[test]
    fn multi_prompt_in_extra_and_counts_elsewhere_are_refused() {
        let f = RequestFields {
            prompt: Some("a".into()),
            extra: serde_json::from_str(r#"{"multi_prompt": []}"#).unwrap(),
            ..Default::default()
        };
        assert!(f.build(Provider::Oxen).unwrap_err().contains("shots"));
        let f = RequestFields { prompt: Some("a".into()), count: Some(2), ..Default::default() };
        assert!(f.build(Provider::AiHubMix).unwrap_err().contains("one video per request"));
        assert!(f.build(Provider::Oxen).is_ok());
        assert!(RequestFields { count: Some(5), ..f }.build(Provider::Oxen).unwrap_err().contains("between 1 and 4"));
    }
}
