//! `videogen sim`: the simulator of the providers' APIs in the foreground, so an installed
//! `videogen` has it.

use crate::cmd::Run;
use crate::context::Global;
use crate::exit::CliError;
use crate::output::Report;

impl Run for videogen_sim::ServeArgs {
    /// Serves until Ctrl-C; prints its base URLs on start.
    async fn run(self, _global: Global) -> Result<Report, CliError> {
        videogen_sim::serve(&self).await.map_err(|e| CliError::failed(e.to_string()))?;
        Ok(Report::empty())
    }
}
