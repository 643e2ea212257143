//! The group-commit ingest writer.
//!
//! Handlers validate, then hand a job (one request's events or counters) to a bounded
//! channel through [`IngestHandle`]. One writer task takes every job waiting (up to
//! `ingest.max_events_per_commit` items), writes them in **one** transaction with
//! `INSERT … ON CONFLICT DO NOTHING`, commits, and only then answers each job. While a
//! commit runs the next jobs queue up, so batches grow with load without any linger
//! timer. A full channel is refused at once ([`IngestError::Busy`] → 429 + `Retry-After`),
//! so memory stays bounded. The writer stops after the last [`IngestHandle`] is dropped
//! and every queued job has been committed and answered (graceful drain on SIGTERM).

use std::time::Instant;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::events::{
    insert_counters_in_tx, insert_events_in_tx, ItemOutcome, NewEvent, StoredCounter, StoredEvent,
};
use super::group_insert;
use super::store::{Store, StoreError};
use crate::dispatch;
use crate::telemetry::metrics::IngestMetrics;

/// The result of one job: an outcome per item, in request order. When `conflict` is true
/// nothing of the job was stored (all-or-nothing).
#[derive(Debug, Clone)]
pub struct JobResult<T> {
    pub outcomes: Vec<ItemOutcome<T>>,
    pub conflict: bool,
}

type Reply<T> = oneshot::Sender<Result<JobResult<T>, StoreError>>;

enum Job {
    Events {
        service_id: i64,
        events: Vec<NewEvent>,
        reply: Reply<StoredEvent>,
    },
    Counters {
        service_id: i64,
        counters: Vec<StoredCounter>,
        reply: Reply<StoredCounter>,
    },
}

impl Job {
    fn len(&self) -> usize {
        match self {
            Job::Events { events, .. } => events.len(),
            Job::Counters { counters, .. } => counters.len(),
        }
    }
}

/// Why a job was not written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The channel is full: the client should retry after a moment (429).
    #[error("ingest queue is full")]
    Busy,
    /// The writer has stopped (shutdown).
    #[error("ingest writer stopped")]
    Stopped,
    /// The commit failed; nothing of the job was stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends jobs to the writer. Cheap to clone; the writer ends when all clones are dropped.
#[derive(Clone)]
pub struct IngestHandle {
    tx: mpsc::Sender<Job>,
    metrics: IngestMetrics,
}

impl IngestHandle {
    /// Stores one request's events; answers after the commit.
    ///
    /// # Errors
    /// [`IngestError::Busy`] when the queue is full, [`IngestError::Stopped`] on shutdown,
    /// [`IngestError::Store`] when the commit failed.
    pub async fn write_events(
        &self,
        service_id: i64,
        events: Vec<NewEvent>,
    ) -> Result<JobResult<StoredEvent>, IngestError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Events {
            service_id,
            events,
            reply,
        })?;
        rx.await
            .map_err(|_| IngestError::Stopped)?
            .map_err(Into::into)
    }

    /// Stores one request's pushed counters; answers after the commit.
    ///
    /// # Errors
    /// As [`IngestHandle::write_events`].
    pub async fn write_counters(
        &self,
        service_id: i64,
        counters: Vec<StoredCounter>,
    ) -> Result<JobResult<StoredCounter>, IngestError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Counters {
            service_id,
            counters,
            reply,
        })?;
        rx.await
            .map_err(|_| IngestError::Stopped)?
            .map_err(Into::into)
    }

    fn submit(&self, job: Job) -> Result<(), IngestError> {
        let r = self.tx.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IngestError::Busy,
            mpsc::error::TrySendError::Closed(_) => IngestError::Stopped,
        });
        self.metrics
            .channel_depth
            .set((self.tx.max_capacity() - self.tx.capacity()) as i64);
        r
    }

    /// Jobs waiting for the writer now.
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

/// The running writer task.
pub struct WriterTask {
    stop: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl WriterTask {
    /// Refuses new jobs ([`IngestError::Stopped`]), commits and answers every job already
    /// queued, then returns. Call after the HTTP server has stopped taking requests.
    pub async fn drain(self) {
        let _ = self.stop.send(true);
        let _ = self.join.await;
    }
}

/// Starts the writer task on `store`. Returns the handle for handlers and the task; the
/// task ends after [`WriterTask::drain`] or once every handle is dropped, in both cases
/// after committing what is queued.
pub fn spawn_writer(
    store: Store,
    channel_capacity: usize,
    max_items_per_commit: usize,
    metrics: IngestMetrics,
) -> (IngestHandle, WriterTask) {
    let (tx, rx) = mpsc::channel(channel_capacity);
    let (stop, stop_rx) = watch::channel(false);
    let handle = IngestHandle {
        tx,
        metrics: metrics.clone(),
    };
    let join = tokio::spawn(run(store, rx, stop_rx, max_items_per_commit, metrics));
    (handle, WriterTask { stop, join })
}

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Job>,
    mut stop: watch::Receiver<bool>,
    max_items: usize,
    metrics: IngestMetrics,
) {
    loop {
        let first = tokio::select! {
            job = rx.recv() => job,
            _ = stop.changed() => {
                // No new jobs; the ones already queued are still received below.
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = first else { break };
        let mut items = first.len();
        let mut group = vec![first];
        while items < max_items {
            match rx.try_recv() {
                Ok(job) => {
                    items += job.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        metrics.channel_depth.set(rx.len() as i64);
        let started = Instant::now();
        let result = commit_group(&store, &group).await;
        metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        metrics.commit_items.observe(items as f64);
        match result {
            Ok(results) => {
                for (job, res) in group.into_iter().zip(results) {
                    answer(job, Ok(res), &metrics);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = group.len(), "ingest commit failed");
                let msg = e.to_string();
                for job in group {
                    answer(job, Err(StoreError::CommitFailed(msg.clone())), &metrics);
                }
            }
        }
    }
    tracing::info!("ingest writer drained and stopped");
}

/// Per-job results of a committed group, in group order.
enum Done {
    Events(JobResult<StoredEvent>),
    Counters(JobResult<StoredCounter>),
}

fn answer(job: Job, res: Result<Done, StoreError>, metrics: &IngestMetrics) {
    match (job, res) {
        (Job::Events { reply, .. }, Ok(Done::Events(r))) => {
            metrics.record(&r.outcomes, r.conflict);
            let _ = reply.send(Ok(r));
        }
        (Job::Counters { reply, .. }, Ok(Done::Counters(r))) => {
            metrics.record(&r.outcomes, r.conflict);
            let _ = reply.send(Ok(r));
        }
        (Job::Events { reply, .. }, Err(e)) => {
            let _ = reply.send(Err(e));
        }
        (Job::Counters { reply, .. }, Err(e)) => {
            let _ = reply.send(Err(e));
        }
        _ => unreachable!("results are produced in job order and kind"),
    }
}

async fn commit_group(store: &Store, group: &[Job]) -> Result<Vec<Done>, StoreError> {
    let events: Option<Vec<(i64, &[NewEvent])>> = group
        .iter()
        .map(|job| match job {
            Job::Events {
                service_id, events, ..
            } => Some((*service_id, events.as_slice())),
            Job::Counters { .. } => None,
        })
        .collect();
    if let Some(jobs) = events {
        if let Some(outcomes) = fast_insert(store, &jobs).await? {
            return Ok(outcomes
                .into_iter()
                .map(|outcomes| {
                    Done::Events(JobResult {
                        outcomes,
                        conflict: false,
                    })
                })
                .collect());
        }
    }
    commit_job_by_job(store, group).await
}

/// The fast path in its own transaction: committed and `Some` when no job conflicts,
/// rolled back and `None` otherwise.
async fn fast_insert(
    store: &Store,
    jobs: &[(i64, &[NewEvent])],
) -> Result<Option<Vec<Vec<ItemOutcome<StoredEvent>>>>, StoreError> {
    match store {
        Store::Sqlite(p) => {
            let mut tx = p.begin().await?;
            let r = group_insert::insert_sqlite(&mut tx, jobs).await?;
            if r.is_some() {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(r)
        }
        Store::Postgres(p) => {
            let mut tx = p.begin().await?;
            let r = group_insert::insert_postgres(&mut tx, jobs).await?;
            if r.is_some() {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(r)
        }
    }
}

/// The exact path: each job in turn, undoing a job's rows when it conflicts.
async fn commit_job_by_job(store: &Store, group: &[Job]) -> Result<Vec<Done>, StoreError> {
    let mut done = Vec::with_capacity(group.len());
    dispatch!(store, |p| {
        let mut tx = p.begin().await?;
        for job in group {
            match job {
                Job::Events {
                    service_id, events, ..
                } => {
                    let (outcomes, conflict) = insert_events_in_tx!(tx, *service_id, events)?;
                    done.push(Done::Events(JobResult { outcomes, conflict }));
                }
                Job::Counters {
                    service_id,
                    counters,
                    ..
                } => {
                    let (outcomes, conflict) = insert_counters_in_tx!(tx, *service_id, counters)?;
                    done.push(Done::Counters(JobResult { outcomes, conflict }));
                }
            }
        }
        tx.commit().await?;
    });
    Ok(done)
}

/// The raw store ceiling: inserts `events` for `service_id` in transactions of
/// `per_commit` rows through the same statements the writer's fast path uses, with no HTTP or channel
/// in between. Used by the ingest benchmark to report the gateway's share of the ceiling.
///
/// # Errors
/// Store errors.
pub async fn raw_insert(
    store: &Store,
    service_id: i64,
    events: &[NewEvent],
    per_commit: usize,
) -> Result<(), StoreError> {
    for chunk in events.chunks(per_commit.max(1)) {
        fast_insert(store, &[(service_id, chunk)]).await?;
    }
    Ok(())
}
