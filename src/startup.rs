//! Builds the running application from [`Settings`]: store, migrations, ingest writer,
//! webhook delivery worker, HTTP server. Tests bind port 0 and read [`Application::port`].

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_service::ServiceFactoryExt;
use actix_web::dev::Server;
use actix_web::dev::{fn_service, AppConfig};
use actix_web::{web, App};
use tracing_actix_web::TracingLogger;

use crate::api::auth::KeyCache;
use crate::api::error::{catch_panics, lago_error_handlers};
use crate::api::head_guard;
use crate::api::state::AppState;
use crate::api::{not_found, routes};
use crate::bridge::Bridge;
use crate::configuration::Settings;
use crate::meter::writer::{spawn_writer, WriterTask};
use crate::meter::Store;
use crate::telemetry::metrics::Metrics;
use crate::telemetry::RedactedRootSpan;
use crate::webhooks::delivery::{spawn_worker, DeliveryConfig, WorkerHandle};

/// A bound, not yet running gateway.
pub struct Application {
    port: u16,
    server: Server,
    writer: WriterTask,
    webhooks: Option<WorkerHandle>,
    store: Store,
    scheduler: tokio::task::JoinHandle<()>,
    rating: tokio::task::JoinHandle<()>,
    watching: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
    shutdown_timeout_secs: u64,
}

impl Application {
    /// Connects the store, applies migrations, starts the ingest writer and binds
    /// `server.bind`.
    ///
    /// # Errors
    /// Store connection or migration failures, or a bind failure.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::connect(&settings.store).await?;
        store.migrate().await?;
        let listener = TcpListener::bind(&settings.server.bind).map_err(|e| {
            anyhow::anyhow!("cannot bind server.bind {}: {e}", settings.server.bind)
        })?;
        Self::with_listener(settings, store, listener)
    }

    /// As [`Application::build`] with a connected, migrated store and a bound listener.
    ///
    /// # Errors
    /// Listener failures.
    pub fn with_listener(
        settings: Settings,
        store: Store,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let metrics = Metrics::new();
        let (ingest, writer) = spawn_writer(
            store.clone(),
            settings.ingest.channel_capacity,
            settings.ingest.max_events_per_commit,
            metrics.ingest.clone(),
        );
        let bridge = Bridge::new(&settings, store.clone());
        bridge.health.register(&metrics.registry)?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let scheduler = bridge.spawn_scheduler(
            Duration::from_secs(settings.watcher.interval_secs),
            stopped.clone(),
        );
        let rating = crate::sync::RatingPush::new(bridge.clone()).spawn(
            Duration::from_secs(settings.rating.interval_secs),
            stopped.clone(),
        );
        let watcher = crate::sync::Watcher::new(bridge.clone(), &settings.watcher);
        let watching = watcher.spawn(Duration::from_secs(settings.watcher.interval_secs), stopped);
        let webhooks = webhook_worker(&settings, &store, &metrics)?;
        let settings = Arc::new(settings);
        let state = web::Data::new(AppState {
            settings: settings.clone(),
            store: store.clone(),
            ingest,
            keys: KeyCache::new(Duration::from_secs(settings.auth.cache_ttl_secs)),
            metrics,
            bridge,
            watcher,
        });
        let server = serve(&settings, state, listener)?;
        Ok(Application {
            port,
            server,
            writer,
            webhooks,
            store,
            scheduler,
            rating,
            watching,
            stop,
            shutdown_timeout_secs: settings.server.shutdown_timeout_secs,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT (or the server handle is stopped), then lets in-flight
    /// requests finish, stops the webhook worker, drains the ingest writer and closes the store.
    ///
    /// # Errors
    /// Server I/O errors.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        // Background loops finish the cycle they are in (bounded by the shutdown timeout).
        let _ = self.stop.send(true);
        let grace = Duration::from_secs(self.shutdown_timeout_secs);
        for (name, handle) in [
            ("scheduler", self.scheduler),
            ("rating push", self.rating),
            ("watcher", self.watching),
        ] {
            if tokio::time::timeout(grace, handle).await.is_err() {
                tracing::warn!(task = name, "did not stop within the shutdown timeout");
            }
        }
        // Let webhook attempts in flight finish (bounded), then stop claiming.
        if let Some(worker) = self.webhooks {
            worker.stop().await;
        }
        // No request is in flight any more: commit what is queued, then stop the writer.
        self.writer.drain().await;
        self.store.close().await;
        tracing::info!("gateway stopped");
        result
    }
}

/// The webhook delivery worker, when `webhooks.worker_enabled`.
fn webhook_worker(
    settings: &Settings,
    store: &Store,
    metrics: &Metrics,
) -> anyhow::Result<Option<WorkerHandle>> {
    if !settings.webhooks.worker_enabled {
        return Ok(None);
    }
    let config = DeliveryConfig::from_settings(&settings.webhooks).map_err(anyhow::Error::msg)?;
    Ok(Some(spawn_worker(
        store.clone(),
        config,
        metrics.webhooks.clone(),
    )))
}

/// The HTTP server on `listener`, not yet awaited: actix-server with actix-web's HTTP/1
/// service, as `HttpServer::listen` builds it, plus the head guard in front (oversized or
/// malformed heads answer Lago's JSON).
fn serve(
    settings: &Settings,
    state: web::Data<AppState>,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let body_limit = settings.server.body_limit_bytes;
    let mut builder =
        actix_server::Server::build().shutdown_timeout(settings.server.shutdown_timeout_secs);
    if settings.server.workers > 0 {
        builder = builder.workers(settings.server.workers);
    }
    let shutdown = builder.graceful_shutdown_signal();
    let addr = listener.local_addr()?;
    let server = builder
        .listen(format!("fusion-billing-{addr}"), listener, move || {
            let app = App::new()
                .wrap_fn(catch_panics)
                .wrap(lago_error_handlers())
                .wrap(TracingLogger::<RedactedRootSpan>::new())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .configure(routes)
                .default_service(web::to(not_found));
            let signal = shutdown.clone();
            let http = actix_http::HttpService::build()
                .graceful_shutdown_signal(move || {
                    let signal = signal.clone();
                    async move { signal.notified().await }
                })
                // `HttpServer`'s defaults: a client gets 1 s to read an early answer (a
                // 413) before the connection closes under it.
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(addr)
                .finish(actix_service::map_config(app, |_| AppConfig::default()))
                .tcp();
            fn_service(|stream| async move {
                head_guard::guard(stream)
                    .await
                    .map_err(actix_http::error::DispatchError::Io)
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}
