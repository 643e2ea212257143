//! `odoo check` and `odoo setup-automation`: talk to the configured Odoo.

use clap::Subcommand;

use crate::configuration::Settings;

/// `odoo …` commands.
#[derive(Debug, Subcommand)]
pub enum OdooCommand {
    /// Connect, authenticate, and verify that Odoo has what the gateway needs
    /// (modules, models and fields, CAD, a 13 % sale tax). Exit code 1 when not.
    Check,
    /// Create (or update) the Odoo automation rules that nudge the gateway when a customer
    /// invoice or a subscription changes: POST {watcher.public_url}/odoo/nudge?token=….
    /// Needs watcher.public_url and watcher.nudge_token, and Settings rights in Odoo.
    SetupAutomation,
}

/// Runs an `odoo …` command. Returns the process exit code (2: Odoo not configured).
pub(super) async fn odoo(settings: &Settings, command: OdooCommand) -> anyhow::Result<i32> {
    match command {
        OdooCommand::Check => check(settings).await,
        OdooCommand::SetupAutomation => setup_automation(settings).await,
    }
}

/// `odoo check`: prints the report; 0 when Odoo has what the gateway needs, 1 when not.
async fn check(settings: &Settings) -> anyhow::Result<i32> {
    if !settings.odoo.is_configured() {
        eprintln!(
            "no Odoo configured: set odoo.url, odoo.database, odoo.login and odoo.password \
             (FUSION__ODOO__URL, FUSION__ODOO__DATABASE, FUSION__ODOO__LOGIN, FUSION__ODOO__PASSWORD)"
        );
        return Ok(2);
    }
    let report = crate::odoo::check::check(&settings.odoo).await;
    println!("{report}");
    Ok(if report.is_ok() { 0 } else { 1 })
}

/// `odoo setup-automation`: creates or updates the automation rules that nudge the gateway.
async fn setup_automation(settings: &Settings) -> anyhow::Result<i32> {
    let w = &settings.watcher;
    if !settings.odoo.is_configured() || w.public_url.is_empty() || w.nudge_token.is_empty() {
        eprintln!(
            "odoo setup-automation needs the Odoo settings (FUSION__ODOO__URL, …), \
             watcher.public_url (FUSION__WATCHER__PUBLIC_URL, how Odoo reaches this gateway) \
             and watcher.nudge_token (FUSION__WATCHER__NUDGE_TOKEN, a long random secret)"
        );
        return Ok(2);
    }
    let url = format!(
        "{}/odoo/nudge?token={}",
        w.public_url.trim_end_matches('/'),
        w.nudge_token
    );
    let client = match crate::odoo::OdooClient::connect(&settings.odoo).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot connect to Odoo: {e}");
            return Ok(1);
        }
    };
    match crate::odoo::automation::setup(&client, &url).await {
        Ok(report) => {
            for line in report {
                println!("{line}");
            }
            println!(
                "Odoo now nudges {}/odoo/nudge (token not shown)",
                w.public_url.trim_end_matches('/')
            );
            Ok(0)
        }
        Err(e) => {
            eprintln!("setting up the automation rules failed: {e}");
            Ok(1)
        }
    }
}
