//! The database gate: while PostgreSQL is unreachable the worker stops fetching, so an outage
//! does not burn delivery attempts. One probe task waits for the database with a growing
//! delay (100 ms doubling to 5 s) and reopens the gate.

use std::sync::Arc;
use std::time::Duration;

use crate::db::Store;
use tokio::sync::watch;

const FIRST_PROBE_DELAY: Duration = Duration::from_millis(100);
const MAX_PROBE_DELAY: Duration = Duration::from_secs(5);

/// Shared open/closed state of the database, with a probe that reopens it.
#[derive(Clone)]
pub struct DbGate {
    open: Arc<watch::Sender<bool>>,
    store: Store,
    shutdown: watch::Receiver<bool>,
}

impl DbGate {
    /// A gate, open, for `pool`; its probe stops when `shutdown` turns true.
    pub fn new(store: Store, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            open: Arc::new(watch::channel(true).0),
            store,
            shutdown,
        }
    }

    /// Whether the database was reachable at the last check.
    pub fn is_open(&self) -> bool {
        *self.open.borrow()
    }

    /// Waits until the gate is open; returns `false` if shutdown came first.
    pub async fn wait_open(&self) -> bool {
        let mut open = self.open.subscribe();
        let mut shutdown = self.shutdown.clone();
        loop {
            if *shutdown.borrow() {
                return false;
            }
            if *open.borrow_and_update() {
                return true;
            }
            tokio::select! {
                changed = open.changed() => if changed.is_err() { return false },
                changed = shutdown.changed() => if changed.is_err() { return false },
            }
        }
    }

    /// Closes the gate after a transient database failure and starts the probe (once).
    pub fn close(&self, reason: &str) {
        let was_open = self.open.send_replace(false);
        if was_open {
            tracing::warn!(
                error = reason,
                "database unavailable: fetching paused until it answers"
            );
            let gate = self.clone();
            tokio::spawn(async move { gate.probe().await });
        }
    }

    async fn probe(self) {
        let mut delay = FIRST_PROBE_DELAY;
        let mut shutdown = self.shutdown.clone();
        let mut attempts: u64 = 0;
        // Bounded by shutdown: the worker cannot make progress without its database.
        while !*shutdown.borrow() {
            attempts += 1;
            if self.healthy().await {
                tracing::info!(attempts, "database reachable again: fetching resumes");
                self.open.send_replace(true);
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {}
            }
            delay = (delay * 2).min(MAX_PROBE_DELAY);
        }
    }

    /// One probe: a connection from the pool answers `SELECT 1`.
    pub async fn healthy(&self) -> bool {
        matches!(
            tokio::time::timeout(MAX_PROBE_DELAY, self.store.ping()).await,
            Ok(true)
        )
    }
}
