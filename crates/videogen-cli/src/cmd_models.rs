//! `videogen models [--live [--drift]]`: the model catalogue, the provider's own model list, or
//! what the two disagree on.

use crate::cmd::Run;
use crate::context::{Global, context, default_provider};
use crate::exit::{CliError, ExitCode};
use crate::output::{Report, clean};
use clap::Args;
use videogen::catalog::ModelStatus;
use videogen::{Provider, models};

/// `videogen models [--provider P] [--live [--search TEXT] [--drift]]`.
#[derive(Args, Debug)]
pub struct Models {
    /// oxen, videodb, aihubmix, replicate or openai.
    #[arg(long, short)]
    pub provider: Option<Provider>,
    /// Ask the provider for its models now (Oxen.ai: capabilities, pricing, request schema),
    /// merged with the catalogue.
    #[arg(long)]
    pub live: bool,
    /// With --live: only models matching this text (Oxen.ai's model search).
    #[arg(long, requires = "live")]
    pub search: Option<String>,
    /// Compare the provider's live list with the catalogue (implies --live; Oxen.ai): models it
    /// lists that the catalogue lacks, catalogue models it no longer lists, rules that differ.
    /// Exit 7 when anything differs, so a scheduled job can alert.
    #[arg(long, conflicts_with = "search")]
    pub drift: bool,
    #[command(flatten)]
    pub bound: crate::waiting::Bound,
}

impl Run for Models {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        if self.drift {
            return drift(self.provider.unwrap_or(Provider::Oxen), global).await;
        }
        if self.live {
            let provider = self.provider.unwrap_or_else(default_provider);
            let ctx = context(&[provider], global).await?;
            let found = ctx.client.models(provider, self.search.as_deref()).await?;
            let text = found.iter().map(model_line).collect();
            return Ok(Report { text, json: serde_json::to_value(&found).unwrap_or_default() });
        }
        let today = chrono::Utc::now().date_naive();
        let rows: Vec<&models::ModelInfo> =
            models::catalog().iter().filter(|m| self.provider.is_none_or(|p| m.providers.contains(&p))).collect();
        Ok(Report {
            text: rows.iter().map(|m| rule_line(m, today)).collect(),
            json: rows.iter().map(|m| rule_json(m, today)).collect(),
        })
    }
}

/// A catalogue row as JSON: every field of [`models::ModelInfo`], the id as people read it
/// (`model`) and the status on `today`.
fn rule_json(m: &models::ModelInfo, today: chrono::NaiveDate) -> serde_json::Value {
    crate::vocabulary::to_json(&crate::vocabulary::CatalogueRow {
        model: m.display_id(),
        status: m.lifecycle.status_on(today),
        info: m.clone(),
    })
}

fn rule_line(m: &models::ModelInfo, today: chrono::NaiveDate) -> String {
    let providers: Vec<&str> = m.providers.iter().map(|p| p.as_str()).collect();
    let list = |v: &Option<Vec<String>>, none: &str| v.as_ref().map_or(none.to_string(), |s| s.join(", "));
    let yes = |b: bool| if b { "yes" } else { "no" };
    let life = &m.lifecycle;
    let status = match life.status_on(today) {
        ModelStatus::Active => "active".to_string(),
        ModelStatus::Deprecated => format!(
            "DEPRECATED (shuts down {}{})",
            life.shutdown.map_or("on a date not announced".into(), |d| d.to_string()),
            life.replacement.as_ref().map(|r| format!("; use {r}")).unwrap_or_default()
        ),
        ModelStatus::Retired => format!(
            "RETIRED{}{}",
            life.shutdown.map(|d| format!(" since {d}")).unwrap_or_default(),
            life.replacement.as_ref().map(|r| format!("; use {r}")).unwrap_or_default()
        ),
    };
    let mut line = format!(
        "{:<40} {:<16} {status}\n    durations {}; sizes {}; aspect ratios {}; images {}; video input {}; multi-shot {}; audio {}",
        m.display_id(),
        providers.join(","),
        m.durations,
        list(&m.sizes, "none"),
        list(&m.aspect_ratios, "not documented"),
        yes(m.images),
        yes(m.video_input),
        yes(m.multi_shot),
        yes(m.audio),
    );
    if let Some(r) = &m.resolutions {
        line.push_str(&format!("; resolutions {}", r.join(", ")));
    }
    line.push_str(&format!("\n    source ({}): {}", m.read, m.source));
    if life.status != ModelStatus::Active || life.shutdown.is_some() {
        line.push_str(&format!("\n    lifecycle: {}", life.source));
    }
    line
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
        line.push_str("\t(catalogue only)");
    }
    line
}

/// `--drift`: the provider's live list against the catalogue.
async fn drift(provider: Provider, global: Global) -> Result<Report, CliError> {
    if !provider.lists_models_live() {
        return Err(CliError::usage(format!(
            "--drift compares a live model list; {provider} publishes none the API reads (Oxen.ai does)"
        )));
    }
    let ctx = context(&[provider], global).await?;
    let found = ctx.client.models(provider, None).await?;
    let today = chrono::Utc::now().date_naive();
    let report = compare(&found, today);
    let differs = !report.is_empty();
    let mut text = Vec::new();
    for (title, items) in [
        ("listed by the provider, not in the catalogue", &report.new),
        ("in the catalogue (not retired), no longer listed by the provider", &report.gone),
        ("retired in the catalogue, still listed by the provider", &report.revived),
        ("rules that differ from the provider's published schema", &report.rules),
    ] {
        if !items.is_empty() {
            text.push(format!("{title}:"));
            text.extend(items.iter().map(|i| format!("  {}", clean(i))));
        }
    }
    if !differs {
        text.push(format!("{provider}: the live list and the catalogue agree"));
    }
    let json = crate::vocabulary::to_json(&crate::vocabulary::DriftReport {
        provider,
        differs,
        not_in_catalogue: report.new.clone(),
        no_longer_listed: report.gone.clone(),
        retired_but_listed: report.revived.clone(),
        rules_differ: report.rules.clone(),
    });
    if differs {
        let fields = json.clone();
        if global.json {
            crate::output::json(&fields);
        }
        for line in &text {
            crate::output::err(line);
        }
        return Err(CliError::new(
            ExitCode::Drift,
            format!(
                "{provider}'s live model list and videogen's catalogue differ (update src/catalog/{provider}.toml)"
            ),
        )
        .reported_if(global.json));
    }
    Ok(Report { text, json })
}

/// What a live list and the catalogue disagree on (each entry a readable line).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Video models listed that the catalogue lacks.
    pub new: Vec<String>,
    /// Catalogue models (not retired) that the provider no longer lists.
    pub gone: Vec<String>,
    /// Catalogue models marked retired that the provider lists again.
    pub revived: Vec<String>,
    /// Rules (durations, aspect ratios, resolutions) that differ from the published schema.
    pub rules: Vec<String>,
}

impl Drift {
    fn is_empty(&self) -> bool {
        self.new.is_empty() && self.gone.is_empty() && self.revived.is_empty() && self.rules.is_empty()
    }
}

/// Compares `found` (a live list merged with the catalogue by [`videogen::Client::models`]) with
/// the catalogue on `today`.
pub fn compare(found: &[models::Model], today: chrono::NaiveDate) -> Drift {
    let mut d = Drift::default();
    for m in found {
        let status = m.rules.map(|r| r.lifecycle.status_on(today));
        match (m.listed, m.rules) {
            (true, None) => d.new.push(m.id.clone()),
            (true, Some(rules)) if rules.prefix => {
                d.new.push(format!("{} (only the catalogue's {}* rules apply)", m.id, rules.id))
            }
            (true, Some(_)) if status == Some(ModelStatus::Retired) => d.revived.push(m.id.clone()),
            (false, Some(_)) if status != Some(ModelStatus::Retired) => d.gone.push(m.id.clone()),
            _ => {}
        }
        if let (true, Some(rules), Some(schema)) = (m.listed, m.rules, &m.request_schema) {
            d.rules.extend(rule_differences(&m.id, rules, schema));
        }
    }
    d
}

/// The published schema's `duration`, `aspect_ratio` and `resolution` against the row.
fn rule_differences(id: &str, rules: &models::ModelInfo, schema: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let property = |name: &str| schema.pointer(&format!("/properties/{name}"));
    let strings = |v: &serde_json::Value| -> Option<Vec<String>> {
        let mut list: Vec<String> =
            v.get("enum")?.as_array()?.iter().filter_map(|x| x.as_str().map(String::from)).collect();
        list.sort();
        Some(list)
    };
    if let Some(p) = property("duration") {
        let published = match (p.get("enum").and_then(|e| e.as_array()), p.get("minimum"), p.get("maximum")) {
            (Some(values), _, _) => {
                let mut v: Vec<u32> =
                    values.iter().filter_map(|x| x.as_u64()).filter_map(|x| u32::try_from(x).ok()).collect();
                v.sort_unstable();
                Some(models::Durations::OneOf(v))
            }
            (None, Some(min), Some(max)) => match (min.as_u64(), max.as_u64()) {
                (Some(min), Some(max)) => Some(models::Durations::Range {
                    min: u32::try_from(min).unwrap_or(u32::MAX),
                    max: u32::try_from(max).unwrap_or(u32::MAX),
                }),
                _ => None,
            },
            _ => None,
        };
        if let Some(published) = published
            && published != rules.durations
        {
            out.push(format!("{id}: durations: provider {published}, catalogue {}", rules.durations));
        }
    }
    for (name, ours) in [("aspect_ratio", &rules.aspect_ratios), ("resolution", &rules.resolutions)] {
        if let Some(published) = property(name).and_then(strings) {
            let mut ours_sorted = ours.clone().unwrap_or_default();
            ours_sorted.sort();
            if published != ours_sorted {
                out.push(format!(
                    "{id}: {name}: provider [{}], catalogue [{}]",
                    published.join(", "),
                    ours_sorted.join(", ")
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn listed(id: &str, schema: Option<serde_json::Value>) -> models::Model {
        models::Model {
            provider: Provider::Oxen,
            id: id.into(),
            display_name: None,
            inputs: vec![],
            outputs: vec!["video".into()],
            pricing: None,
            request_schema: schema,
            listed: true,
            rules: models::lookup(Provider::Oxen, id),
        }
    }

    #[test]
    fn drift_names_new_gone_revived_and_differing_models() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let schema = json!({"properties": {"duration": {"type": "integer", "enum": [5, 10, 15]},
            "aspect_ratio": {"enum": ["16:9", "9:16", "1:1"]}}});
        let mut gone = listed("ltx-2-5", None);
        gone.listed = false;
        let mut retired_unlisted = listed("openai-sora-2-pro", None);
        retired_unlisted.listed = false;
        let found = vec![
            listed("brand-new-video-model", None),
            listed("kling-video-v2-6-pro-text-to-video", Some(schema)),
            listed("kling-video-o3-pro-reference-to-video", None),
            gone,
            retired_unlisted,
        ];
        let d = compare(&found, today);
        assert_eq!(d.new, ["brand-new-video-model"]);
        assert_eq!(d.gone, ["ltx-2-5"], "a retired model that is not listed is no drift");
        assert_eq!(d.revived, ["kling-video-o3-pro-reference-to-video"]);
        assert_eq!(d.rules.len(), 1, "{:?}", d.rules);
        assert!(d.rules[0].contains("durations: provider 5, 10 or 15 s, catalogue 5 or 10 s"), "{:?}", d.rules);
        // A list that agrees: nothing to report.
        let agree = compare(&[listed("kling-video-o3-omni", None)], today);
        assert!(agree.is_empty(), "{agree:?}");
    }
}
