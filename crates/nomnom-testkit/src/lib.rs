//! The harness shared by nomnom's end-to-end tests, fault tests and benchmarks.
//!
//! Everything here talks to real services: the NATS, PostgreSQL and MariaDB servers of the machine,
//! or private ones started on free loopback ports for outage and cluster tests. Each test gets
//! its own stream names and its own database, removed when it ends.

pub mod certs;
pub mod database;
pub mod http;
pub mod lab_reports;
pub mod mariadb_server;
pub mod mllp;
pub mod mutate;
pub mod mysql_database;
pub mod nats_server;
pub mod orders;
pub mod pg_server;
pub mod pipeline;
pub mod ports;
pub mod process;
pub mod project;
pub mod stream;
pub mod wait;

pub use database::TestDatabase;
pub use mariadb_server::MariadbServer;
pub use mysql_database::{shared_mysql_url, MysqlTestDatabase};
pub use nats_server::{NatsCluster, NatsServer, DEBIAN_NATS_SERVER};
pub use pg_server::{PgServer, ServerTls};
pub use ports::{free_port, unique_name};
pub use process::Service;
pub use stream::TestStream;
pub use wait::wait_until;

/// URL of the machine's shared NATS server (`NOMNOM_TEST_NATS_URL` overrides).
pub fn shared_nats_url() -> String {
    std::env::var("NOMNOM_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// URL of the machine's shared PostgreSQL server, database `postgres`
/// (`NOMNOM_TEST_DATABASE_URL` overrides).
pub fn shared_database_url() -> String {
    std::env::var("NOMNOM_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}
