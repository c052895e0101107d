//! What every generated project's checks share, written into it as `tests/support/mod.rs` by
//! nomnom-codegen's compile test: a database of its own on the local PostgreSQL with the
//! model's migrations applied, and writing a batch of rows.

#![allow(dead_code)]

use nomnom_runtime::db::writer::Postgres;
use nomnom_runtime::export::tokio;
use nomnom_runtime::export::tokio_postgres::{self, Client, NoTls};
use nomnom_runtime::model::{Model, RowBatch};

/// A database of its own on the local PostgreSQL, dropped when the guard goes.
pub struct TestDatabase {
    name: String,
}

fn admin_url(db: &str) -> String {
    let base = std::env::var("NOMNOM_TEST_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres".into());
    format!("{base} dbname={db}")
}

/// A connection to database `db`.
pub async fn connect(db: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(&admin_url(db), NoTls).await.expect("connect to PostgreSQL");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

impl TestDatabase {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let admin = connect("postgres").await;
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            });
        })
        .join();
    }
}

/// A new database named after `tag` and this process, with `M`'s migrations applied.
pub async fn fresh_database<M: Model>(tag: &str) -> (TestDatabase, Client) {
    let name = format!("nomnom_codegen_{tag}_{}", std::process::id());
    let admin = connect("postgres").await;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drop");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
    let guard = TestDatabase { name: name.clone() };
    let client = connect(&name).await;
    for migration in M::MIGRATIONS {
        client.batch_execute(migration.sql).await.expect("migration applies");
    }
    (guard, client)
}

/// Writes `batch` in one transaction; the rows written.
pub async fn write<B: RowBatch>(client: &mut Client, batch: &B) -> u64 {
    let tx = client.transaction().await.expect("begin");
    let rows = batch.write(&mut Postgres::new(&tx)).await.expect("write batch").rows;
    tx.commit().await.expect("commit");
    rows
}

/// The one number `sql` selects.
pub async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.expect(sql).get(0)
}
