//! `service add|list|rotate-key|revoke-key`: apps and their API keys.

use clap::Subcommand;

use super::open_store;
use crate::configuration::Settings;

/// `service …` commands.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a service; prints its API key and webhook signing secret once.
    Add {
        /// Unique name of the app (letters, digits, '-', '_', '.').
        name: String,
        /// Print exactly {"api_key": "...", "webhook_secret": "..."}.
        #[arg(long)]
        json: bool,
    },
    /// List services and how many keys of each work now.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Issue a new API key; older keys keep working for auth.rotation_grace_secs.
    RotateKey {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke keys at once: all of the service's, or the one starting with --key-prefix.
    RevokeKey {
        name: String,
        /// The first characters of the key to revoke (as shown when it was issued).
        #[arg(long)]
        key_prefix: Option<String>,
    },
}

/// Runs a `service …` command. Returns the process exit code (1: nothing revoked).
pub(super) async fn service(settings: Settings, command: ServiceCommand) -> anyhow::Result<i32> {
    let store = open_store(&settings).await?;
    match command {
        ServiceCommand::Add { name, json } => {
            let creds = store.services().add_service(&name).await?;
            if json {
                println!("{}", serde_json::to_string(&creds)?);
            } else {
                println!("service {name} created");
                println!("api_key:        {}", creds.api_key);
                println!("webhook_secret: {}", creds.webhook_secret);
                println!("Store both now: they are not shown again.");
            }
        }
        ServiceCommand::List { json } => {
            let list = store.services().list_services().await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                println!("{:<32} {:>11}  created", "name", "active keys");
                for s in list {
                    println!(
                        "{:<32} {:>11}  {}",
                        s.name,
                        s.active_keys,
                        crate::lago::time::iso_seconds(s.created_at)
                    );
                }
            }
        }
        ServiceCommand::RotateKey { name, json } => {
            let creds = store
                .services()
                .rotate_key(&name, settings.auth.rotation_grace_secs)
                .await?;
            if json {
                println!("{}", serde_json::json!({"api_key": creds.api_key}));
            } else {
                println!("new api_key: {}", creds.api_key);
                println!(
                    "older keys of {name} keep working for {} s",
                    settings.auth.rotation_grace_secs
                );
            }
        }
        ServiceCommand::RevokeKey { name, key_prefix } => {
            let n = store
                .services()
                .revoke_keys(&name, key_prefix.as_deref())
                .await?;
            println!("revoked {n} key(s) of {name}");
            if n == 0 {
                return Ok(1);
            }
        }
    }
    store.close().await;
    Ok(0)
}
