//! The commands that give the library's remaining operations the same names on the command line:
//! `remix`, `delete`, `collections`, and `models --live`. Each returns a [`Report`].

use crate::output::{Report, clean};
use crate::{CliError, Context};
use clap::{Args, Subcommand};
use serde_json::json;
use videogen::{Job, Provider, models};

/// `videogen remix <job> "<prompt>"`.
#[derive(Args, Debug)]
pub(crate) struct RemixArgs {
    /// The finished job to remix: its JSON handle or provider:id.
    pub job: String,
    /// The new prompt.
    pub prompt: String,
}

/// Submits a remix of a finished job (OpenAI, AIHubMix: `POST /videos/{id}/remix`; Oxen.ai: a
/// generation with the video as `input_video`); prints the new job's handle.
pub(crate) async fn remix(ctx: &Context, source: &Job, prompt: &str) -> Result<Report, CliError> {
    let job = ctx.client.remix(source, prompt).await?;
    let handle = serde_json::to_string(&job).unwrap_or_default();
    Ok(Report { text: vec![clean(&handle)], json: serde_json::to_value(&job).unwrap_or_default() })
}

/// Deletes a job's video at the provider (OpenAI, AIHubMix, VideoDB).
pub(crate) async fn delete(ctx: &Context, job: &Job) -> Result<Report, CliError> {
    ctx.client.delete(job).await?;
    Ok(Report::line(format!("deleted {}", clean(&job.short_form())), json!({"job": job, "deleted": true})))
}

/// `videogen collections [list | create NAME | delete ID]` (VideoDB).
#[derive(Args, Debug)]
pub(crate) struct CollectionsArgs {
    #[command(subcommand)]
    pub action: Option<CollectionsAction>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CollectionsAction {
    /// List the collections (the default).
    List,
    /// Create a collection.
    Create {
        /// Its name.
        name: String,
        /// Its description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a collection (not the default one).
    Delete {
        /// Its id.
        id: String,
    },
}

pub(crate) async fn collections(ctx: &Context, args: &CollectionsArgs) -> Result<Report, CliError> {
    const P: Provider = Provider::VideoDb;
    match args.action.as_ref().unwrap_or(&CollectionsAction::List) {
        CollectionsAction::List => {
            let all = ctx.client.collections(P).await?;
            let text = all
                .iter()
                .map(|c| {
                    let default = if c.is_default { " (default)" } else { "" };
                    format!("{}\t{}{default}", clean(&c.id), clean(c.name.as_deref().unwrap_or("")))
                })
                .collect();
            Ok(Report { text, json: serde_json::to_value(&all).unwrap_or_default() })
        }
        CollectionsAction::Create { name, description } => {
            let made = ctx.client.create_collection(P, name, description.as_deref()).await?;
            Ok(Report::line(
                format!("created {}\t{}", clean(&made.id), clean(made.name.as_deref().unwrap_or(""))),
                serde_json::to_value(&made).unwrap_or_default(),
            ))
        }
        CollectionsAction::Delete { id } => {
            ctx.client.delete_collection(P, id).await?;
            Ok(Report::line(format!("deleted collection {}", clean(id)), json!({"id": id, "deleted": true})))
        }
    }
}

/// The provider's live model list (Oxen.ai: capabilities, pricing, `request_schema`), merged
/// with the rule table.
pub(crate) async fn live_models(ctx: &Context, provider: Provider, search: Option<&str>) -> Result<Report, CliError> {
    let found = ctx.client.models(provider, search).await?;
    let text = found.iter().map(model_line).collect();
    Ok(Report { text, json: serde_json::to_value(&found).unwrap_or_default() })
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
