//! `import nexacloud`: the legacy import (see [`crate::import`]).

use clap::Subcommand;

use crate::configuration::Settings;

/// `import …` commands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import NexaCloud's users, subscriptions and deployments (import.nexacloud_dsn) as
    /// customers and draft shadow subscriptions. Exit code 1 when a record failed.
    Nexacloud {
        /// The service (app) the customers belong to, e.g. hosting.
        #[arg(long)]
        service: String,
        /// Check reachability, tables, columns and row counts; import nothing.
        #[arg(long, conflicts_with = "dry_run")]
        test_connection: bool,
        /// Compute and report everything; write nothing (neither Odoo nor the store).
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an `import …` command. Returns the process exit code.
pub(super) async fn import(settings: &Settings, command: ImportCommand) -> anyhow::Result<i32> {
    let ImportCommand::Nexacloud {
        service,
        test_connection,
        dry_run,
        json,
    } = command;
    let mode = if test_connection {
        crate::import::Mode::TestConnection
    } else if dry_run {
        crate::import::Mode::DryRun
    } else {
        crate::import::Mode::Run
    };
    crate::import::nexacloud(settings, &service, mode, json).await
}
