//! `videogen collections [list | create NAME | delete ID]` (VideoDB).

use crate::cmd::Run;
use crate::context::{Global, context};
use crate::exit::CliError;
use crate::output::{Report, clean};
use crate::vocabulary::{CollectionDeleted, StateWord};
use clap::{Args, Subcommand};
use videogen::Provider;

/// `videogen collections [list | create NAME | delete ID]` (VideoDB).
#[derive(Args, Debug)]
pub struct Collections {
    #[command(flatten)]
    pub bound: crate::waiting::Bound,
    #[command(subcommand)]
    pub action: Option<CollectionsAction>,
}

#[derive(Subcommand, Debug)]
pub enum CollectionsAction {
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

impl Run for Collections {
    async fn run(self, global: Global) -> Result<Report, CliError> {
        let ctx = context(&[Provider::VideoDb], global).await?;
        const P: Provider = Provider::VideoDb;
        match self.action.as_ref().unwrap_or(&CollectionsAction::List) {
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
                let report = CollectionDeleted { collection: id.clone(), status: StateWord::Deleted };
                Ok(Report::typed(vec![format!("deleted collection {}", clean(id))], &report))
            }
        }
    }
}
