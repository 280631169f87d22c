//! `videogen schema <what>`: a JSON Schema.

use crate::cmd::Run;
use crate::context::Global;
use crate::exit::CliError;
use crate::output::Report;
use crate::request::RequestFields;
use clap::{Args, ValueEnum};

/// `videogen schema batch-line`.
#[derive(Args, Debug)]
pub struct Schema {
    #[arg(value_enum)]
    pub what: SchemaKind,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SchemaKind {
    /// One line of a `videogen batch` file: every field `generate` takes, plus `out`.
    BatchLine,
}

impl Run for Schema {
    /// Prints the schema as JSON (with or without --json).
    async fn run(self, _global: Global) -> Result<Report, CliError> {
        let schema = match self.what {
            SchemaKind::BatchLine => schemars::schema_for!(RequestFields),
        };
        let json = serde_json::to_value(schema).unwrap_or_default();
        Ok(Report { text: vec![crate::output::json_text(&json)], json })
    }
}
