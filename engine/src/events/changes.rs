//! Tells the open connections pages, in every process, that a workspace's accounts changed (a
//! refresh, a health check, a connect, a disconnect), so they look again instead of polling.
//!
//! On SQLite there is one process, and the news goes straight to its pages. On PostgreSQL it
//! goes through `NOTIFY`, which every process `LISTEN`s to (the one that announced included), so
//! a change made by one process's worker reaches a page served by another.

use crate::storage::db::Backend;
use crate::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL channel the processes announce on; the payload is the workspace's id.
pub const CHANNEL: &str = "plugboard_account_changes";
/// How many announcements a slow page may fall behind before it is told to look anyway.
const BACKLOG: usize = 1024;

/// This process's side: the pages listening, each for its workspace.
#[derive(Debug)]
pub struct Changes {
    sender: broadcast::Sender<Arc<str>>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Changes {
    /// Every workspace's announcements from now on (a page keeps only its own).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.sender.subscribe()
    }

    fn deliver(&self, workspace_id: &str) {
        // No page open: nobody to tell.
        let _ = self.sender.send(workspace_id.into());
    }
}

/// Says that `workspace_id`'s accounts changed. Never fails the work that changed them: a page
/// that misses it still sees the change on its next look.
pub async fn announce(app: &AppState, workspace_id: &str) {
    match app.db.backend() {
        Backend::Sqlite => app.changes.deliver(workspace_id),
        Backend::Postgres => {
            let notified = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(workspace_id)
                .execute(app.db.pool())
                .await;
            if let Err(err) = notified {
                tracing::warn!(error = %err, "could not announce a change to other processes");
                app.changes.deliver(workspace_id);
            }
        }
    }
}

/// On PostgreSQL, hands every process's announcements to this process's pages until the
/// process stops, reconnecting when the connection drops. Nothing to do on SQLite.
pub fn listen(app: &AppState) {
    if app.db.backend() != Backend::Postgres {
        return;
    }
    let app = app.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = relay(&app) => {}
            () = app.lifecycle.stopping() => {}
        }
    });
}

async fn relay(app: &AppState) {
    loop {
        match sqlx::postgres::PgListener::connect(&app.config.database_url).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(notification) => app.changes.deliver(notification.payload()),
                        Err(err) => {
                            tracing::warn!(error = %err, "lost the change announcements; listening again");
                            break;
                        }
                    }
                },
                Err(err) => tracing::warn!(error = %err, "cannot listen for change announcements"),
            },
            Err(err) => {
                tracing::warn!(error = %err, "cannot connect to listen for change announcements")
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
