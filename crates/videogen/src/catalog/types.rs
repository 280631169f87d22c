//! The catalogue's types: what a model accepts ([`ModelInfo`], [`Durations`], [`Family`]) and a
//! model as a provider lists it ([`Model`], [`Pricing`]). Plain data with its lookups; the rules
//! that use it are [`crate::models`]'.

use crate::{Error, Provider, VideoRequest};

/// How a model's durations are constrained.
///
/// Serialized as a list of seconds (`[4, 8, 12]`), a range (`{"min": 3, "max": 15}`) or `null`
/// (not documented).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Durations {
    /// Exactly these values, in seconds.
    OneOf(Vec<u32>),
    /// Any whole number of seconds in `min..=max`.
    Range {
        /// Shortest, in seconds.
        min: u32,
        /// Longest, in seconds.
        max: u32,
    },
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

/// The wire family of a model: which body shape its provider takes (AIHubMix adapter
/// `src/adapters/video.ts` for the AIHubMix families).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Oxen models.
    Oxen,
    /// VideoDB's generator.
    VideoDb,
    /// OpenAI's `/v1/videos` body (`CreateVideoBody`: `seconds` a string, `size`,
    /// `input_reference` an object): what Sora took on AIHubMix, and what every model on an
    /// OpenAI-compatible gateway ([`Provider::OpenAi`]) takes, whatever its name.
    #[serde(rename = "openai")]
    OpenAi,
    /// Google Veo on AIHubMix (`veo-*`): numeric `seconds`, text-to-video only.
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
    /// A Replicate model: `{input: {prompt, duration, aspect_ratio, seed, <its first-frame
    /// input>, …}}`, the input checked against the model's published `Input` schema.
    Replicate,
}

/// One row of the model catalogue ([`crate::catalog`]): a model (or an id prefix) with its rules,
/// price, lifecycle and sources. `Serialize` (the `videogen models --json` shape).
#[derive(Clone, Debug, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ModelInfo {
    /// The providers that serve it.
    pub providers: Vec<Provider>,
    /// The model id, or an id prefix when `prefix` is true.
    pub id: String,
    /// Whether `id` is a prefix: the row covers every id that starts with it.
    pub prefix: bool,
    /// Its wire family.
    pub family: Family,
    /// What it makes from what (`text-to-video`, `image-to-video`, `reference-to-video`,
    /// `video-edit`…), when recorded.
    pub kind: Option<String>,
    /// Allowed durations.
    pub durations: Durations,
    /// Allowed `WIDTHxHEIGHT` sizes; `None` when the model takes no size.
    pub sizes: Option<Vec<String>>,
    /// Allowed aspect ratios; `None` when not documented.
    pub aspect_ratios: Option<Vec<String>>,
    /// Allowed resolutions (as the provider spells them); `None` when not documented.
    pub resolutions: Option<Vec<String>>,
    /// Whether it takes reference images.
    pub images: bool,
    /// Whether it takes a reference video.
    pub video_input: bool,
    /// Whether it takes multi-shot requests.
    pub multi_shot: bool,
    /// Whether it can generate audio.
    pub audio: bool,
    /// The longest prompt in characters, when documented.
    pub max_prompt_chars: Option<usize>,
    /// Model-specific request fields the provider documents, passed through with
    /// [`VideoRequest::extra`] (for example Oxen.ai's `resolution`, `fps`, `camera_motion`).
    pub fields: Vec<String>,
    /// Its published price per second, when the catalogue records one.
    pub pricing: Option<Pricing>,
    /// Status, dates and replacement.
    pub lifecycle: crate::catalog::Lifecycle,
    /// The document the rules come from.
    pub source: String,
    /// The day the sources were read.
    pub read: chrono::NaiveDate,
}

impl ModelInfo {
    /// The id as people read it: `(any)` for VideoDB's model-less row, `veo-*` for a prefix.
    pub fn display_id(&self) -> String {
        if self.id.is_empty() {
            "(any)".to_string()
        } else if self.prefix {
            format!("{}*", self.id)
        } else {
            self.id.clone()
        }
    }
}

/// The catalogue row for `model` on `provider`, if known: the exact id, else the longest
/// matching prefix.
pub fn lookup(provider: Provider, model: &str) -> Option<&'static ModelInfo> {
    super::all().iter().find(|m| {
        m.providers.contains(&provider) && if m.prefix { model.starts_with(m.id.as_str()) } else { model == m.id }
    })
}

/// A model as the provider lists it (Oxen.ai `GET /api/ai/models`, `/search`, `/{id}`), merged
/// with its row of the catalogue ([`crate::catalog`]) when it has one. From [`crate::Client::models`].
///
/// `Serialize + Deserialize` with these field names (the rule row is not serialized).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
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
    /// The JSON Schema of its model-specific parameters, when the provider publishes one (Oxen.ai
    /// `json_request_schema`, or the older `request_schema`). [`crate::Client::submit`] validates a request's body against it before
    /// sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_schema: Option<serde_json::Value>,
    /// Whether the provider listed it just now (`false`: it comes only from the catalogue).
    pub listed: bool,
    /// Its row of the catalogue, when it has one.
    #[serde(skip)]
    pub rules: Option<&'static ModelInfo>,
}

/// A model's published prices, per second of video made (Oxen.ai `pricing` with method
/// `per_video_output_second`; other methods keep only `method`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Pricing {
    /// The provider's pricing method (`per_video_output_second`, `time`, `token`, `per_image`).
    pub method: Option<String>,
    /// The ISO 4217 currency of every amount here.
    pub currency: String,
    /// Per second of video.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    #[schemars(with = "Option<String>")]
    pub per_second: Option<rust_decimal::Decimal>,
    /// Per second of video with generated audio.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    #[schemars(with = "Option<String>")]
    pub per_second_with_audio: Option<rust_decimal::Decimal>,
    /// Per second of video, by resolution (`480p`, `1080p`…).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub per_second_by_resolution: std::collections::BTreeMap<String, String>,
}

impl Pricing {
    /// What `request` would cost at these prices: seconds (the request's `duration`, or its
    /// shots' total) × the rate (by resolution when prices are per resolution: the `resolution`
    /// extra, else the `size`'s shorter side as `720p`, matched without regard to case; with
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
        let resolution = match request.extra.get("resolution").and_then(serde_json::Value::as_str) {
            Some(r) => Some(r.to_string()),
            None => request.size.map(|s| format!("{}p", s.width.min(s.height))),
        };
        let rate = match resolution {
            Some(r) if !self.per_second_by_resolution.is_empty() => {
                let (_, rate) = self.per_second_by_resolution.iter().find(|(k, _)| k.eq_ignore_ascii_case(&r))?;
                rate.parse::<rust_decimal::Decimal>().ok()?
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
    /// A model known only from the catalogue.
    pub(crate) fn from_rules(provider: Provider, rules: &'static ModelInfo) -> Self {
        Self {
            provider,
            id: rules.id.to_string(),
            display_name: None,
            inputs: Vec::new(),
            outputs: vec!["video".into()],
            pricing: rules.pricing.clone(),
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
    fn aihubmix_prices_estimate_by_resolution_or_size_and_never_guess() {
        let estimate = |request: VideoRequest| {
            lookup(request.provider, &request.model)?.pricing.as_ref()?.estimate(&request).map(|c| c.to_string())
        };
        let horse = VideoRequest::new(Provider::AiHubMix, "happyhorse-1.1-t2v").prompt("p").duration(5);
        let at = |r: &str| horse.clone().extra("resolution", serde_json::Value::from(r));
        assert_eq!(estimate(at("720P")).as_deref(), Some("0.6975 USD"));
        assert_eq!(estimate(at("720p")).as_deref(), Some("0.6975 USD"), "resolutions match without regard to case");
        assert_eq!(estimate(at("1080P")), None, "a price the page disagrees with itself on is not recorded");
        assert_eq!(estimate(horse.clone()), None, "no resolution, no estimate");
        let wan = VideoRequest::new(Provider::AiHubMix, "wan3.0-video").prompt("p").duration(8);
        assert_eq!(estimate(wan.clone().size("1280x720".parse().unwrap())).as_deref(), Some("0.676 USD"));
        assert_eq!(estimate(wan.clone().size("1080x1920".parse().unwrap())).as_deref(), Some("1.352 USD"));
        assert_eq!(estimate(wan.size("640x640".parse().unwrap())), None);
        assert_eq!(estimate(VideoRequest::new(Provider::AiHubMix, "wan2.6-t2v").prompt("p").duration(5)), None);
    }

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
