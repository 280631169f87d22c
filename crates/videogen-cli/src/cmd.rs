//! The command trait: every command is a clap `Args` type in its own `cmd_*.rs` module that
//! runs to a [`Report`] (printed as text, or as JSON with `--json`) or a [`CliError`] (printed
//! on standard error, with its exit code).

use crate::context::Global;
use crate::exit::CliError;
use crate::output::Report;

/// One command.
pub(crate) trait Run {
    /// Runs the command. Progress goes to standard error as it happens; the result is the
    /// report, which `main` prints once.
    async fn run(self, global: Global) -> Result<Report, CliError>;
}
