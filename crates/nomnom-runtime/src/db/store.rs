//! The database a deployment writes to, chosen once from `DATABASE_URL` (`postgres://…` or
//! `mysql://…`): everything the worker and the API do with it besides writing rows goes
//! through [`Store`], each arm calling its database's module (`crate::db`, `crate::status`
//! for PostgreSQL, [`super::mysql`] for MySQL and MariaDB). Nothing else in the runtime asks
//! which database it has.

use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use uuid::Uuid;

use super::migrate::{MigrationError, MigrationReport};
use super::mysql;
use crate::config::{DatabaseConfig, StatusRetention};
use crate::model::Migration;
use crate::status::lookup::{LookupError, StatusRecord};
use crate::status::partitions::MaintenanceReport;
use crate::status::recorder::AcceptedMessage;
use crate::status::worker_updates::StatusUpdate;

/// A pool of connections to the deployment's database.
#[derive(Clone)]
pub enum Store {
    /// PostgreSQL.
    Postgres(deadpool_postgres::Pool),
    /// MySQL or MariaDB.
    Mysql(mysql_async::Pool),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Store::Postgres(_) => "Store::Postgres",
            Store::Mysql(_) => "Store::Mysql",
        })
    }
}

impl Store {
    /// A pool for `config`, connecting lazily (an unreachable database does not stop
    /// start-up); waiting for or opening a connection gives up after `connect_timeout`.
    pub fn connect(config: &DatabaseConfig, connect_timeout: std::time::Duration) -> Store {
        match config.mysql_options() {
            Some(opts) => Store::Mysql(mysql_async::Pool::new(opts)),
            None => Store::Postgres(config.pool(connect_timeout)),
        }
    }

    /// Applies the model's migrations, then the runtime's `message_status`.
    /// (written for the database the project was generated for: `config`'s, which
    /// [`crate::model::Model::DATABASE`] checks at start-up).
    pub async fn migrate(
        config: &DatabaseConfig,
        migrations: &[Migration],
    ) -> Result<MigrationReport, MigrationError> {
        match &config.mysql_url {
            Some(url) => mysql::migrate::apply_migrations(url, migrations).await,
            None => super::apply_migrations(&config.pg, migrations).await,
        }
    }

    /// `true` when a connection answers `SELECT 1`.
    pub async fn ping(&self) -> bool {
        match self {
            Store::Postgres(pool) => match pool.get().await {
                Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
                Err(_) => false,
            },
            Store::Mysql(pool) => match pool.get_conn().await {
                Ok(mut conn) => conn.ping().await.is_ok(),
                Err(_) => false,
            },
        }
    }

    /// Marks messages `failed` (dead-lettered).
    pub async fn mark_failed(&self, updates: &[StatusUpdate]) -> Result<(), String> {
        match self {
            Store::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                crate::status::worker_updates::mark_failed(&**client, updates)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Store::Mysql(pool) => {
                let mut conn = pool
                    .get_conn()
                    .await
                    .map_err(|e| mysql::classify::describe(&e))?;
                mysql::status::mark_failed(&mut conn, updates)
                    .await
                    .map_err(|e| mysql::classify::describe(&e))
            }
        }
    }

    /// Marks messages `retrying` (best effort).
    pub async fn mark_retrying(&self, updates: &[StatusUpdate]) -> Option<()> {
        match self {
            Store::Postgres(pool) => {
                let client = pool.get().await.ok()?;
                crate::status::worker_updates::mark_retrying(&**client, updates)
                    .await
                    .ok()
                    .map(|_| ())
            }
            Store::Mysql(pool) => {
                let mut conn = pool.get_conn().await.ok()?;
                mysql::status::mark_retrying(&mut conn, updates).await.ok()
            }
        }
    }

    /// One maintenance round of `message_status`'s partitions at `now`.
    pub async fn maintain_status(
        &self,
        policy: &StatusRetention,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceReport, String> {
        match self {
            Store::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                match crate::status::partitions::maintain(&client, policy, now).await {
                    Ok(report) => Ok(report),
                    Err(e) => {
                        // The connection may be mid-transaction or hold the round's lock.
                        drop(deadpool_postgres::Object::take(client));
                        Err(e.to_string())
                    }
                }
            }
            Store::Mysql(pool) => {
                let mut conn = pool
                    .get_conn()
                    .await
                    .map_err(|e| mysql::classify::describe(&e))?;
                // The round changes `lock_wait_timeout`: this connection goes back reset.
                conn.reset_connection(true);
                match mysql::status::maintain(&mut conn, policy, now).await {
                    Ok(report) => Ok(report),
                    Err(e) => {
                        // Never give back a connection that may hold the round's lock.
                        let _ = conn.disconnect().await;
                        Err(mysql::classify::describe(&e))
                    }
                }
            }
        }
    }

    /// Creates `message_status` when missing (the API may start before any worker).
    pub async fn ensure_status_table(&self) -> Result<(), String> {
        match self {
            Store::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                client
                    .batch_execute(crate::status::MESSAGE_STATUS_SQL)
                    .await
                    .map_err(|e| e.to_string())
            }
            Store::Mysql(pool) => {
                let mut conn = pool
                    .get_conn()
                    .await
                    .map_err(|e| mysql::classify::describe(&e))?;
                conn.query_drop(mysql::status::MESSAGE_STATUS_SQL)
                    .await
                    .map_err(|e| mysql::classify::describe(&e))
            }
        }
    }

    /// Records `accepted` rows; a state the worker already wrote is never overwritten.
    pub async fn insert_accepted(&self, batch: &[AcceptedMessage]) -> Result<(), String> {
        match self {
            Store::Postgres(pool) => {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                crate::status::recorder::insert_accepted(&client, batch)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Store::Mysql(pool) => {
                let mut conn = pool
                    .get_conn()
                    .await
                    .map_err(|e| mysql::classify::describe(&e))?;
                mysql::status::insert_accepted(&mut conn, batch)
                    .await
                    .map_err(|e| mysql::classify::describe(&e))
            }
        }
    }

    /// The latest status row of `message_id`.
    pub async fn lookup(&self, message_id: Uuid) -> Result<Option<StatusRecord>, LookupError> {
        match self {
            Store::Postgres(pool) => crate::status::lookup::lookup(pool, message_id).await,
            Store::Mysql(pool) => {
                let unavailable =
                    |e: mysql_async::Error| LookupError::Unavailable(mysql::classify::describe(&e));
                let mut conn = pool.get_conn().await.map_err(unavailable)?;
                match mysql::status::lookup(&mut conn, message_id).await {
                    Ok(record) => Ok(record),
                    // The table does not exist yet: unknown message.
                    Err(mysql_async::Error::Server(s)) if s.code == 1146 => Ok(None),
                    Err(e) => Err(unavailable(e)),
                }
            }
        }
    }
}
