//! What the known models accept, with the document each rule comes from. A request that breaks a
//! known rule fails before anything is sent; a model not in the table passes through with a
//! warning.

use crate::{Error, Provider, VideoRequest};

/// How a model's durations are constrained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durations {
    /// Exactly these values, in seconds.
    OneOf(&'static [u32]),
    /// Any whole number of seconds in `min..=max`.
    Range { min: u32, max: u32 },
    /// Not documented.
    Unknown,
}

impl std::fmt::Display for Durations {
    /// `4, 8 or 12 s`, `3–15 s`, or `not documented`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Durations::OneOf(values) => {
                let (last, rest) = values.split_last().map_or((None, &[][..]), |(l, r)| (Some(l), r));
                let rest: Vec<String> = rest.iter().map(u32::to_string).collect();
                match (rest.is_empty(), last) {
                    (_, None) => write!(f, "none"),
                    (true, Some(l)) => write!(f, "{l} s"),
                    (false, Some(l)) => write!(f, "{} or {l} s", rest.join(", ")),
                }
            }
            Durations::Range { min, max } => write!(f, "{min}–{max} s"),
            Durations::Unknown => write!(f, "not documented"),
        }
    }
}

/// The wire family of an OpenAI-style model (AIHubMix adapter `src/adapters/video.ts`): Sora takes
/// `seconds` as a string and `input_reference` as an object; Veo takes numeric `seconds` and is
/// text-to-video only on AIHubMix; the rest are passed through in the generic shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Oxen models.
    Oxen,
    /// VideoDB's generator.
    VideoDb,
    /// OpenAI Sora (`sora-*`).
    Sora,
    /// Google Veo on AIHubMix (`veo-*`).
    Veo,
    /// wan and jimeng on AIHubMix: `{model, prompt, seconds, size?, input_reference?}` with a
    /// bare-string `input_reference` (AIHubMix adapter `video.ts`, "generic").
    Generic,
    /// ByteDance Seedance on AIHubMix (`doubao-seedance-*`): `{model, prompt, duration,
    /// content: [{type: text}, {type: image_url, image_url: {url}, role}], ratio, seed,
    /// generate_audio, resolution}` (AIHubMix adapter `video.ts`, "seedance").
    Seedance,
    /// Alibaba DashScope on AIHubMix (`happyhorse-*`, `wan2.7-i2v`): `{model, input: {prompt,
    /// media: [{type: first_frame|last_frame, url}]}, parameters: {duration, resolution,
    /// aspect_ratio, seed}}` (AIHubMix adapter `video.ts`, "dashscope").
    Dashscope,
}

/// One row of the capability table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelInfo {
    /// The providers that serve it.
    pub providers: &'static [Provider],
    /// The model id, or an id prefix when `prefix` is true.
    pub id: &'static str,
    pub prefix: bool,
    pub family: Family,
    pub durations: Durations,
    /// Allowed `WIDTHxHEIGHT` sizes; `None` when the model takes no size.
    pub sizes: Option<&'static [&'static str]>,
    /// Allowed aspect ratios; `None` when not documented.
    pub aspect_ratios: Option<&'static [&'static str]>,
    /// Whether it takes reference images, a reference video, multi-shot, audio.
    pub images: bool,
    pub video_input: bool,
    pub multi_shot: bool,
    pub audio: bool,
    /// The longest prompt in characters, when documented.
    pub max_prompt_chars: Option<usize>,
    /// The document the row comes from.
    pub source: &'static str,
}

const OPENAI: &[Provider] = &[Provider::OpenAi, Provider::AiHubMix];
const SORA_SIZES: &[&str] = &["720x1280", "1280x720", "1024x1792", "1792x1024"];

/// The known models.
pub const MODELS: &[ModelInfo] = &[
    ModelInfo {
        providers: &[Provider::Oxen],
        id: "kling-video-o3-pro-reference-to-video",
        prefix: false,
        family: Family::Oxen,
        durations: Durations::Range { min: 3, max: 15 },
        sizes: None,
        aspect_ratios: Some(&["16:9", "9:16", "1:1"]),
        images: true,
        video_input: false,
        multi_shot: true,
        audio: true,
        max_prompt_chars: Some(512),
        source: "docs.oxen.ai Kling O3 Pro reference-to-video walkthrough: prompt ≤ 512, shots 1–15 s, total 3–15 s, aspect 16:9|9:16|1:1",
    },
    ModelInfo {
        providers: &[Provider::Oxen],
        id: "kling-video-o3-omni",
        prefix: false,
        family: Family::Oxen,
        durations: Durations::Range { min: 3, max: 15 },
        sizes: None,
        aspect_ratios: None,
        images: true,
        video_input: true,
        multi_shot: false,
        audio: true,
        max_prompt_chars: None,
        source: "docs.oxen.ai models/kling-video-o3-omni: duration 3–15, input_image[], input_video, generate_audio",
    },
    ModelInfo {
        providers: &[Provider::Oxen],
        id: "kling-video-v2-6-pro-text-to-video",
        prefix: false,
        family: Family::Oxen,
        durations: Durations::Unknown,
        sizes: None,
        aspect_ratios: Some(&["16:9", "9:16", "1:1"]),
        images: false,
        video_input: false,
        multi_shot: false,
        audio: true,
        max_prompt_chars: None,
        source: "docs.oxen.ai video_generation reference: text-to-video example model; aspect ratios 16:9, 9:16, 1:1",
    },
    ModelInfo {
        providers: &[Provider::VideoDb],
        id: "",
        prefix: true,
        family: Family::VideoDb,
        durations: Durations::Range { min: 5, max: 8 },
        sizes: None,
        aspect_ratios: None,
        images: false,
        video_input: false,
        multi_shot: false,
        audio: false,
        max_prompt_chars: None,
        source: "docs.videodb.io Generate Video with AI: duration an integer between 5 and 8 seconds inclusive; prompt only",
    },
    ModelInfo {
        providers: OPENAI,
        id: "sora-",
        prefix: true,
        family: Family::Sora,
        durations: Durations::OneOf(&[4, 8, 12]),
        sizes: Some(SORA_SIZES),
        aspect_ratios: Some(&["16:9", "9:16"]),
        images: true,
        video_input: false,
        multi_shot: false,
        audio: false,
        max_prompt_chars: Some(32_000),
        source: "OpenAI openapi.yaml 2.3.0 CreateVideoJsonBody (seconds 4|8|12, four sizes, prompt ≤ 32000); AIHubMix: sora rejects aspect_ratio, so it maps to size. OpenAI scheduled the Sora API's shutdown for 2026-09-24 (openai-python 3.51)",
    },
    ModelInfo {
        providers: &[Provider::AiHubMix],
        id: "veo-",
        prefix: true,
        family: Family::Veo,
        durations: Durations::OneOf(&[4, 6, 8]),
        sizes: Some(&["1280x720", "720x1280", "1920x1080", "1080x1920"]),
        aspect_ratios: Some(&["16:9", "9:16"]),
        images: false,
        video_input: false,
        multi_shot: false,
        audio: false,
        max_prompt_chars: None,
        source: "AIHubMix aihubmix-media-adapters video.ts (numeric seconds, sizes, text-to-video only) and Video-Gen guide (veo 4/6/8 s)",
    },
    ModelInfo {
        providers: &[Provider::AiHubMix],
        id: "wan2.7-i2v",
        prefix: false,
        family: Family::Dashscope,
        durations: Durations::OneOf(&[5, 10]),
        sizes: None,
        aspect_ratios: None,
        images: true,
        video_input: false,
        multi_shot: false,
        audio: false,
        max_prompt_chars: None,
        source: "AIHubMix aihubmix-media-adapters video.ts (wan2.7-i2v takes the dashscope body: input.media first_frame/last_frame, parameters) and Video-Gen guide (wan 5/10 s)",
    },
    ModelInfo {
        providers: &[Provider::AiHubMix],
        id: "happyhorse-",
        prefix: true,
        family: Family::Dashscope,
        durations: Durations::Unknown,
        sizes: None,
        aspect_ratios: None,
        images: true,
        video_input: false,
        multi_shot: false,
        audio: false,
        max_prompt_chars: None,
        source: "AIHubMix aihubmix-media-adapters video.ts (happyhorse-* take the dashscope body; resolution 720P|1080P; durations not documented)",
    },
    ModelInfo {
        providers: &[Provider::AiHubMix],
        id: "doubao-seedance-",
        prefix: true,
        family: Family::Seedance,
        durations: Durations::Unknown,
        sizes: None,
        aspect_ratios: None,
        images: true,
        video_input: false,
        multi_shot: false,
        audio: true,
        max_prompt_chars: None,
        source: "AIHubMix aihubmix-media-adapters video.ts (seedance body: content[] with first_frame/last_frame/reference_image images, ratio, resolution 480p|720p|1080p, generate_audio; durations not documented)",
    },
    ModelInfo {
        providers: &[Provider::AiHubMix],
        id: "jimeng-",
        prefix: true,
        family: Family::Generic,
        durations: Durations::Unknown,
        sizes: None,
        aspect_ratios: None,
        images: true,
        video_input: false,
        multi_shot: false,
        audio: false,
        max_prompt_chars: None,
        source: "AIHubMix aihubmix-media-adapters video.ts (jimeng-* take the generic body; durations not documented)",
    },
    ModelInfo {
        providers: &[Provider::AiHubMix],
        id: "wan",
        prefix: true,
        family: Family::Generic,
        durations: Durations::OneOf(&[5, 10]),
        sizes: None,
        aspect_ratios: None,
        images: true,
        video_input: false,
        multi_shot: false,
        audio: false,
        max_prompt_chars: None,
        source: "AIHubMix Video-Gen guide (wan 5/10 s) and adapter (generic body)",
    },
];

/// The table row for `model` on `provider`, if known.
pub fn lookup(provider: Provider, model: &str) -> Option<&'static ModelInfo> {
    MODELS
        .iter()
        .find(|m| m.providers.contains(&provider) && if m.prefix { model.starts_with(m.id) } else { model == m.id })
}

/// The wire family of `model` on `provider`.
pub fn family(provider: Provider, model: &str) -> Family {
    match provider {
        Provider::Oxen => Family::Oxen,
        Provider::VideoDb => Family::VideoDb,
        Provider::OpenAi | Provider::AiHubMix => lookup(provider, model).map_or(
            if model.starts_with("sora") {
                Family::Sora
            } else if model.starts_with("veo") {
                Family::Veo
            } else if model.contains("seedance") {
                Family::Seedance
            } else if model.starts_with("happyhorse") {
                Family::Dashscope
            } else {
                Family::Generic
            },
            |m| m.family,
        ),
    }
}

fn list(values: &[u32]) -> String {
    values.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Checks `request` against the table and the rules every request follows. Unknown models get a
/// `tracing` warning and only the general rules.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the broken rule and its source.
pub fn check(request: &VideoRequest) -> Result<(), Error> {
    let model = request.model.trim();
    if model.is_empty() && request.provider != Provider::VideoDb {
        return Err(Error::invalid("a model is required"));
    }
    let has_prompt = request.prompt.as_deref().is_some_and(|p| !p.trim().is_empty());
    if has_prompt && !request.shots.is_empty() {
        return Err(Error::invalid(
            "give a prompt or shots, not both (Oxen: \"Cannot provide both 'prompt' and 'multi_prompt'\")",
        ));
    }
    if !has_prompt && request.shots.is_empty() {
        return Err(Error::invalid("a prompt (or shots) is required"));
    }
    if request.aspect_ratio.is_some() && request.size.is_some() {
        return Err(Error::invalid("give an aspect ratio or a size, not both"));
    }
    if let Some(url) = &request.callback_url {
        if request.provider != Provider::VideoDb {
            return Err(Error::invalid(format!(
                "callback_url is VideoDB's; {} has none in its API (wait for the job instead)",
                request.provider
            )));
        }
        let why = match reqwest::Url::parse(url) {
            Ok(parsed) => crate::video::insecure_scheme(&parsed),
            Err(e) => Some(format!("it does not parse: {e}")),
        };
        if let Some(why) = why {
            return Err(Error::invalid(format!(
                "callback_url {url:?} must be https:// (plain http:// only to a loopback host): {why}"
            )));
        }
    }
    let Some(info) = lookup(request.provider, model) else {
        tracing::warn!(provider = %request.provider, model, "model not in videogen's capability table: sending the request unchecked");
        return Ok(());
    };
    let rule = |what: String| Error::invalid(format!("{what} (source: {})", info.source));
    let name = if model.is_empty() { request.provider.as_str() } else { model };
    if let (Some(max), Some(prompt)) = (info.max_prompt_chars, request.prompt.as_deref()) {
        let n = prompt.chars().count();
        if n > max {
            return Err(rule(format!("{name} takes prompts of at most {max} characters; this one has {n}")));
        }
    }
    if !request.shots.is_empty() && !info.multi_shot {
        return Err(rule(format!("{name} does not take multi-shot requests")));
    }
    let total: u32 = if request.shots.is_empty() {
        request.duration.unwrap_or(0)
    } else {
        request.shots.iter().map(|s| s.duration).sum()
    };
    if request.duration.is_some() || !request.shots.is_empty() {
        match info.durations {
            Durations::OneOf(values) if !values.contains(&total) => {
                return Err(rule(format!("{name} takes durations of {} seconds; got {total}", list(values))));
            }
            Durations::Range { min, max } if !(min..=max).contains(&total) => {
                let what = if request.shots.is_empty() { "duration" } else { "total shot duration" };
                return Err(rule(format!("{name} takes a {what} of {min} to {max} seconds; got {total}")));
            }
            _ => {}
        }
    }
    if let Some(size) = request.size {
        match info.sizes {
            None => return Err(rule(format!("{name} does not take a size"))),
            Some(sizes) if !sizes.contains(&size.to_string().as_str()) => {
                return Err(rule(format!("{name} takes sizes {}; got {size}", sizes.join(", "))));
            }
            _ => {}
        }
    }
    if let (Some(ratio), Some(ratios)) = (request.aspect_ratio.as_deref(), info.aspect_ratios)
        && !ratios.contains(&ratio)
    {
        return Err(rule(format!("{name} takes aspect ratios {}; got {ratio}", ratios.join(", "))));
    }
    if !request.images.is_empty() && !info.images {
        return Err(rule(format!("{name} does not take reference images")));
    }
    if info.family == Family::Sora && request.images.len() > 1 {
        return Err(rule(format!("{name} takes one reference image (input_reference)")));
    }
    if request.input_video.is_some() && !info.video_input {
        return Err(rule(format!("{name} does not take a reference video")));
    }
    if request.audio == Some(true) && !info.audio {
        return Err(rule(format!("{name} does not generate audio")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageInput, Size};

    fn req(provider: Provider, model: &str) -> VideoRequest {
        VideoRequest::new(provider, model).prompt("A red balloon")
    }

    #[test]
    fn rules_name_themselves_and_their_source() {
        let e = check(&req(Provider::OpenAi, "sora-2").duration(5)).unwrap_err().to_string();
        assert!(e.contains("4, 8, 12") && e.contains("got 5") && e.contains("source:"), "{e}");
        let e = check(&req(Provider::AiHubMix, "veo-3.1-generate-preview").size(Size { width: 1024, height: 1792 }))
            .unwrap_err()
            .to_string();
        assert!(e.contains("1920x1080"), "{e}");
        let e = check(&req(Provider::VideoDb, "videodb").duration(9)).unwrap_err().to_string();
        assert!(e.contains("5 to 8"), "{e}");
        let multi =
            VideoRequest::new(Provider::Oxen, "kling-video-o3-pro-reference-to-video").shot("a", 10).shot("b", 6);
        assert!(check(&multi).unwrap_err().to_string().contains("total shot duration of 3 to 15 seconds; got 16"));
        assert!(
            check(&req(Provider::AiHubMix, "veo-3.0-generate-preview").image(ImageInput::Url("https://x".into())))
                .is_err()
        );
    }

    #[test]
    fn valid_and_unknown_models_pass() {
        check(&req(Provider::OpenAi, "sora-2-pro").duration(12).size(Size { width: 1792, height: 1024 })).unwrap();
        check(&req(Provider::AiHubMix, "veo-3.1-fast-generate-preview").duration(6)).unwrap();
        check(&req(Provider::Oxen, "some-new-model").duration(99)).unwrap();
        check(&req(Provider::VideoDb, "").duration(6)).unwrap();
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(Durations::OneOf(&[4, 8, 12]).to_string(), "4, 8 or 12 s");
        assert_eq!(Durations::Range { min: 5, max: 8 }.to_string(), "5–8 s");
        assert_eq!(Durations::Unknown.to_string(), "not documented");
    }

    #[test]
    fn general_rules() {
        assert!(check(&VideoRequest::new(Provider::Oxen, "m")).is_err());
        assert!(check(&req(Provider::Oxen, "m").shot("b", 5)).is_err());
        assert!(
            check(&req(Provider::OpenAi, "sora-2").aspect_ratio("16:9").size(Size { width: 1, height: 1 })).is_err()
        );
        assert_eq!(family(Provider::AiHubMix, "veo-2.0-generate-001"), Family::Veo);
        assert_eq!(family(Provider::AiHubMix, "wan2.5-t2v"), Family::Generic);
        assert_eq!(family(Provider::AiHubMix, "wan2.7-i2v"), Family::Dashscope);
        assert_eq!(family(Provider::AiHubMix, "happyhorse-1.0-i2v"), Family::Dashscope);
        assert_eq!(family(Provider::AiHubMix, "doubao-seedance-1-0-pro-250528"), Family::Seedance);
        assert_eq!(family(Provider::AiHubMix, "jimeng-3.0-pro"), Family::Generic);
    }
}

/// A model as the provider lists it (Oxen.ai `GET /api/ai/models`, `/search`, `/{id}`), merged
/// with its row of the rule table ([`MODELS`]) when it has one. From [`crate::Client::models`].
///
/// `Serialize + Deserialize` with these field names (the rule row is not serialized).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    /// Where it runs.
    pub provider: Provider,
    /// The id to put in [`VideoRequest::new`].
    pub id: String,
    /// The provider's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// What it takes (`text`, `image`, `video`), as the provider lists it; empty when unlisted.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// What it makes (`video`, `image`, `text`).
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Its published prices, when the provider publishes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// The JSON Schema of its model-specific parameters, when the provider publishes one (Oxen
    /// `request_schema`). [`crate::Client::submit`] validates a request's body against it before
    /// sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_schema: Option<serde_json::Value>,
    /// Whether the provider listed it just now (`false`: it comes only from the rule table).
    pub listed: bool,
    /// Its row of the rule table, when it has one.
    #[serde(skip)]
    pub rules: Option<&'static ModelInfo>,
}

/// A model's published prices, per second of video made (Oxen.ai `pricing` with method
/// `per_video_output_second`; other methods keep only `method`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pricing {
    /// The provider's pricing method (`per_video_output_second`, `time`, `token`, `per_image`).
    pub method: Option<String>,
    /// The ISO 4217 currency of every amount here.
    pub currency: String,
    /// Per second of video.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub per_second: Option<rust_decimal::Decimal>,
    /// Per second of video with generated audio.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub per_second_with_audio: Option<rust_decimal::Decimal>,
    /// Per second of video, by resolution (`480p`, `1080p`…).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub per_second_by_resolution: std::collections::BTreeMap<String, String>,
}

impl Pricing {
    /// What `request` would cost at these prices: seconds (the request's `duration`, or its
    /// shots' total) × the rate (by the `resolution` extra when prices are per resolution, with
    /// audio when `audio(true)` and an audio rate is published) × its outputs
    /// (`num_generations`). `None` when anything needed is unknown — a duration the request
    /// does not give, a resolution without a price, a method that is not per second — never a
    /// guess.
    pub fn estimate(&self, request: &VideoRequest) -> Option<crate::Cost> {
        if self.method.as_deref() != Some("per_video_output_second") {
            return None;
        }
        let seconds = match request.duration {
            Some(d) => d,
            None if !request.shots.is_empty() => request.shots.iter().map(|s| s.duration).sum(),
            None => return None,
        };
        let resolution = request.extra.get("resolution").and_then(serde_json::Value::as_str);
        let rate = match resolution {
            Some(r) if !self.per_second_by_resolution.is_empty() => {
                self.per_second_by_resolution.get(r)?.parse::<rust_decimal::Decimal>().ok()?
            }
            _ if request.audio == Some(true) => self.per_second_with_audio?,
            _ => self.per_second?,
        };
        let outputs = request.outputs().ok()?;
        // Checked: a price near Decimal's ceiling from a hostile server is `None`, not a panic.
        let amount = rate
            .checked_mul(rust_decimal::Decimal::from(seconds))?
            .checked_mul(rust_decimal::Decimal::from(outputs))?;
        Some(crate::Cost { amount: amount.normalize(), currency: self.currency.clone() })
    }
}

impl Model {
    /// A model known only from the rule table.
    pub(crate) fn from_rules(provider: Provider, rules: &'static ModelInfo) -> Self {
        Self {
            provider,
            id: rules.id.to_string(),
            display_name: None,
            inputs: Vec::new(),
            outputs: vec!["video".into()],
            pricing: None,
            request_schema: None,
            listed: false,
            rules: Some(rules),
        }
    }

    /// Checks `body` (the JSON the provider would receive, without `model`) against
    /// [`Model::request_schema`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the first failing field (its JSON pointer) and why.
    pub fn validate_body(&self, body: &serde_json::Value) -> Result<(), Error> {
        let Some(schema) = &self.request_schema else { return Ok(()) };
        let validator = match jsonschema::validator_for(schema) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(model = %self.id, error = %e, "the model's request_schema does not compile; not checked");
                return Ok(());
            }
        };
        let errors: Vec<String> = validator
            .iter_errors(body)
            .take(5)
            .map(|e| {
                let at = e.instance_path().to_string();
                let field =
                    if at.is_empty() { "the body".to_string() } else { at.trim_start_matches('/').replace('/', ".") };
                format!("{field}: {e}")
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "{} {}: the request breaks the model's published request_schema: {}",
                self.provider,
                self.id,
                errors.join("; ")
            )))
        }
    }
}

#[cfg(test)]
mod pricing_tests {
    use super::*;

    #[test]
    fn an_estimate_never_overflows_into_a_panic() {
        let pricing = Pricing {
            method: Some("per_video_output_second".into()),
            currency: "USD".into(),
            per_second: Some(rust_decimal::Decimal::MAX),
            ..Pricing::default()
        };
        let request = VideoRequest::new(Provider::Oxen, "m").prompt("p").duration(10);
        assert_eq!(pricing.estimate(&request), None);
        let fair = Pricing { per_second: Some("0.07".parse().unwrap()), ..pricing };
        assert_eq!(fair.estimate(&request).map(|c| c.amount.to_string()), Some("0.7".into()));
    }
}
