//! `videogen schema <what>`: a JSON Schema (draft 7): of a batch line, or of a command's
//! `--json` output.

use crate::cmd::Run;
use crate::context::Global;
use crate::exit::CliError;
use crate::output::Report;
use crate::request::RequestFields;
use crate::vocabulary::OutputOf;
use clap::{Args, Subcommand};

/// `videogen schema batch-line`, `videogen schema output <command>`.
#[derive(Args, Debug)]
pub struct Schema {
    #[command(subcommand)]
    pub what: SchemaKind,
}

#[derive(Subcommand, Debug)]
pub enum SchemaKind {
    /// One line of a `videogen batch` file: every field `generate` takes, plus `out`.
    BatchLine,
    /// What `videogen <command> --json` prints (or, when it fails, its error: every schema
    /// includes it); `error` alone is the error's.
    Output {
        /// The command.
        #[arg(value_enum)]
        command: OutputOf,
    },
}

impl Run for Schema {
    /// Prints the schema as JSON (with or without --json).
    async fn run(self, _global: Global) -> Result<Report, CliError> {
        let json = match self.what {
            SchemaKind::BatchLine => serde_json::to_value(schemars::schema_for!(RequestFields)),
            SchemaKind::Output { command } => serde_json::to_value(crate::vocabulary::output_schema(command)),
        }
        .unwrap_or_default();
        Ok(Report { text: vec![crate::output::json_text(&json)], json })
    }
}
