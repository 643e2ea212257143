//! `serve` (the gateway, or against the built-in simulator with `--odoo-sim`) and
//! `healthcheck` (probes `GET /health`).

use crate::configuration::Settings;
use crate::startup::Application;

/// Runs the gateway until it is stopped. Returns 2 when no Odoo is configured (and no
/// `--odoo-sim`).
pub(super) async fn serve(mut settings: Settings, odoo_sim: bool) -> anyhow::Result<i32> {
    crate::telemetry::init(&settings.log);
    // Kept alive for the life of the gateway.
    let _simulator = if odoo_sim {
        if settings.odoo.is_configured() {
            anyhow::bail!("--odoo-sim and odoo.url are both set: use one or the other");
        }
        let sim = crate::odoo_sim::spawn(crate::odoo_sim::SimOptions {
            seed_demo: true,
            ..Default::default()
        })
        .await?;
        settings.odoo.url = sim.base_url();
        settings.odoo.database = "odoo".into();
        settings.odoo.login = "admin".into();
        settings.odoo.password = "admin".into();
        tracing::warn!(
            odoo_url = %settings.odoo.url,
            "USING THE BUILT-IN ODOO SIMULATOR: in-memory, demo data, forgotten on exit; \
             nothing here reaches a real Odoo"
        );
        Some(sim)
    } else {
        if !settings.odoo.is_configured() {
            eprintln!(
                "fusion-billing serve: no Odoo configured, refusing to start.\n\
                 Set the Odoo to bill through:\n  \
                 FUSION__ODOO__URL=https://odoo.example.com\n  \
                 FUSION__ODOO__DATABASE=<database>\n  \
                 FUSION__ODOO__LOGIN=<user login>\n  \
                 FUSION__ODOO__PASSWORD=<API key of that user>\n\
                 (or the [odoo] section of a --config file), check them with \
                 `fusion-billing odoo check`,\n\
                 or try the gateway against the built-in simulator: fusion-billing serve --odoo-sim"
            );
            return Ok(2);
        }
        None
    };
    let app = Application::build(settings.clone()).await?;
    tracing::info!(
        port = app.port(),
        bind = %settings.server.bind,
        store = if settings.store.url.starts_with("sqlite:") { "sqlite" } else { "postgres" },
        "fusion-billing listening"
    );
    eprintln!(
        "fusion-billing listening on http://127.0.0.1:{port}\n\
         create an app key (works at once, no restart) with:\n  \
         fusion-billing service add my-app --json\n  \
         (from a source checkout: cargo run --release -- service add my-app --json)\n\
         then point a Lago client at http://127.0.0.1:{port} with that key",
        port = app.port()
    );
    app.run_until_stopped().await?;
    Ok(0)
}

/// Probes `GET /health` at server.bind: 0 when healthy, 1 when not.
pub(super) async fn healthcheck(settings: &Settings) -> anyhow::Result<i32> {
    let bind = settings
        .server
        .bind
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    let resp = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?
        .get(format!("http://{bind}/health"))
        .send()
        .await;
    match resp {
        Ok(r) if r.status().is_success() => Ok(0),
        Ok(r) => {
            eprintln!("unhealthy: HTTP {}", r.status());
            Ok(1)
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            Ok(1)
        }
    }
}
