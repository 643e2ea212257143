//! `odoo-sim`: a stand-alone Odoo 19 simulator (see `fusion_billing::odoo_sim`).
//!
//! ```text
//! odoo-sim --bind 127.0.0.1:8069 [--database odoo] [--login admin] [--password admin]
//!          [--api-key KEY] [--without-subscriptions] [--demo]
//! ```
//! Control routes for black-box tests live under `/__sim/` (see `odoo_sim::server`).

use clap::Parser;
use fusion_billing::odoo_sim::{spawn, SimOptions};
use std::net::SocketAddr;

/// Command-line options.
#[derive(Parser, Debug)]
#[command(name = "odoo-sim", about = "Odoo 19 JSON-RPC / JSON-2 simulator")]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8069")]
    bind: SocketAddr,
    /// Database name.
    #[arg(long, default_value = "odoo")]
    database: String,
    /// Admin login.
    #[arg(long, default_value = "admin")]
    login: String,
    /// Admin password.
    #[arg(long, default_value = "admin")]
    password: String,
    /// API key for /json/2 bearer auth (defaults to the password).
    #[arg(long)]
    api_key: Option<String>,
    /// Simulate a database without the enterprise sale_subscription module.
    #[arg(long)]
    without_subscriptions: bool,
    /// Seed a small demo catalogue.
    #[arg(long)]
    demo: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let a = Args::parse();
    let sim = spawn(SimOptions {
        database: a.database,
        login: a.login,
        password: a.password,
        api_key: a.api_key,
        with_subscriptions: !a.without_subscriptions,
        seed_demo: a.demo,
        bind: a.bind,
    })
    .await?;
    println!("odoo-sim listening on {}", sim.base_url());
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
