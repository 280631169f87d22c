//! `videogen models [--live]`: the rule table, or the provider's own model list.

use crate::cmd::Run;
use crate::context::{Global, context, default_provider};
use crate::exit::CliError;
use crate::output::{Report, clean};
use clap::Args;
use serde_json::json;
use videogen::{Provider, models};

/// `videogen models [--provider P] [--live [--search TEXT]]`.
#[derive(Args, Debug)]
pub struct Models {
    /// oxen, videodb, aihubmix or openai.
    #[arg(long, short)]
    pub provider: Option<Provider>,
    /// Ask the provider for its models now (Oxen.ai: capabilities, pricing, request_schema),
    /// merged with the rule table.
    #[arg(long)]
    pub live: bool,
    /// With --live: only models matching this text (Oxen.ai's model search).
    #[arg(long, requires = "live")]
    pub search: Option<String>,
}

impl Run for Models {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        if self.live {
            let provider = self.provider.unwrap_or_else(default_provider);
            let ctx = context(&[provider], global).await?;
            let found = ctx.client.models(provider, self.search.as_deref()).await?;
            let text = found.iter().map(model_line).collect();
            return Ok(Report { text, json: serde_json::to_value(&found).unwrap_or_default() });
        }
        let rows: Vec<&models::ModelInfo> =
            models::MODELS.iter().filter(|m| self.provider.is_none_or(|p| m.providers.contains(&p))).collect();
        Ok(Report {
            text: rows.iter().map(|m| rule_line(m)).collect(),
            json: rows.iter().map(|m| rule_json(m)).collect(),
        })
    }
}

fn model_id(m: &models::ModelInfo) -> String {
    if m.id.is_empty() {
        "(any)".to_string()
    } else if m.prefix {
        format!("{}*", m.id)
    } else {
        m.id.to_string()
    }
}

fn rule_json(m: &models::ModelInfo) -> serde_json::Value {
    json!({
        "providers": m.providers, "model": if m.prefix { format!("{}*", m.id) } else { m.id.to_string() },
        "durations": m.durations.to_string(), "sizes": m.sizes, "aspect_ratios": m.aspect_ratios,
        "images": m.images, "video_input": m.video_input, "multi_shot": m.multi_shot, "audio": m.audio,
        "source": m.source,
    })
}

fn rule_line(m: &models::ModelInfo) -> String {
    let providers: Vec<&str> = m.providers.iter().map(|p| p.as_str()).collect();
    let sizes = m.sizes.map_or("none".to_string(), |s| s.join(", "));
    let ratios = m.aspect_ratios.map_or("not documented".to_string(), |r| r.join(", "));
    let yes = |b: bool| if b { "yes" } else { "no" };
    format!(
        "{:<40} {:<16} durations {}; sizes {sizes}; aspect ratios {ratios}; images {}; video input {}; multi-shot {}; audio {}\n    source: {}",
        model_id(m),
        providers.join(","),
        m.durations,
        yes(m.images),
        yes(m.video_input),
        yes(m.multi_shot),
        yes(m.audio),
        m.source
    )
}

fn model_line(m: &models::Model) -> String {
    let price = m.pricing.as_ref().and_then(|p| Some(format!("{} {}/s", p.per_second?, clean(&p.currency))));
    let mut line = format!("{}\t{}", m.provider, clean(&m.id));
    if let Some(name) = &m.display_name {
        line.push_str(&format!("\t{}", clean(name)));
    }
    if !m.inputs.is_empty() {
        line.push_str(&format!("\tinputs {}", clean(&m.inputs.join(","))));
    }
    if let Some(price) = price {
        line.push_str(&format!("\t{price}"));
    }
    if m.request_schema.is_some() {
        line.push_str("\trequest_schema");
    }
    if !m.listed {
        line.push_str("\t(rule table only)");
    }
    line
}
