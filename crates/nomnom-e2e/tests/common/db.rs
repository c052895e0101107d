//! The database side of the end-to-end suites, for PostgreSQL and MariaDB alike: a test
//! database of its own ([`Db`]), and a client ([`DbClient`]) that answers the questions the
//! suites ask (statuses, the rows of a table as JSON) in each server's SQL.

use std::collections::BTreeMap;

use mysql_async::prelude::Queryable;
use nomnom_testkit::{MysqlTestDatabase, TestDatabase};
use serde_json::Value;

/// The database a suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgresql,
    Mariadb,
}

impl Backend {
    /// The name `nomnom generate --database` takes.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgresql => "postgresql",
            Backend::Mariadb => "mariadb",
        }
    }
}

/// A test database of its own, dropped after.
pub enum Db {
    Pg(TestDatabase),
    My(MysqlTestDatabase),
}

impl Db {
    /// Creates one on the machine's shared server.
    pub async fn create_shared(backend: Backend) -> Db {
        match backend {
            Backend::Postgresql => Db::Pg(TestDatabase::create_shared().await),
            Backend::Mariadb => Db::My(MysqlTestDatabase::create_shared().await),
        }
    }

    /// Its URL, for `DATABASE_URL`.
    pub fn url(&self) -> String {
        match self {
            Db::Pg(db) => db.url(),
            Db::My(db) => db.url(),
        }
    }

    /// A client.
    pub async fn client(&self) -> DbClient {
        match self {
            Db::Pg(db) => DbClient::Pg(db.client().await),
            Db::My(db) => DbClient::My(mysql_async::Pool::new(
                mysql_async::Opts::from_url(&db.url()).expect("a mysql URL"),
            )),
        }
    }
}

/// A connected client.
pub enum DbClient {
    Pg(tokio_postgres::Client),
    My(mysql_async::Pool),
}

/// Reads a JSON column that MariaDB may answer as text.
fn json(value: Option<String>) -> Value {
    value
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// A client of either database, borrowed.
#[derive(Clone, Copy)]
pub enum DbRef<'a> {
    Pg(&'a tokio_postgres::Client),
    My(&'a mysql_async::Pool),
}

/// What the shared checks take: a [`DbClient`] or a plain PostgreSQL client.
pub trait AsDb {
    fn db(&self) -> DbRef<'_>;
}

impl AsDb for DbClient {
    fn db(&self) -> DbRef<'_> {
        match self {
            DbClient::Pg(client) => DbRef::Pg(client),
            DbClient::My(pool) => DbRef::My(pool),
        }
    }
}

impl<T: AsDb + ?Sized> AsDb for &T {
    fn db(&self) -> DbRef<'_> {
        (**self).db()
    }
}

impl AsDb for tokio_postgres::Client {
    fn db(&self) -> DbRef<'_> {
        DbRef::Pg(self)
    }
}

impl DbClient {
    /// The PostgreSQL client, for the suites that run on PostgreSQL only.
    pub fn pg(&self) -> &tokio_postgres::Client {
        match self {
            DbClient::Pg(client) => client,
            DbClient::My(_) => panic!("this check runs on PostgreSQL only"),
        }
    }

    /// Runs `sql` (written in the SQL both servers take).
    pub async fn batch_execute(&self, sql: &str) -> Result<(), String> {
        match self {
            DbClient::Pg(db) => db.batch_execute(sql).await.map_err(|e| e.to_string()),
            DbClient::My(pool) => {
                let mut conn = pool.get_conn().await.map_err(|e| e.to_string())?;
                conn.query_drop(sql).await.map_err(|e| e.to_string())
            }
        }
    }

    /// The same questions as [`DbRef`]'s.
    pub fn r(&self) -> DbRef<'_> {
        self.db()
    }

    /// See [`DbRef::decimal_text`].
    pub async fn decimal_text(&self, table: &str, column: &str) -> String {
        self.r().decimal_text(table, column).await
    }
}

impl DbRef<'_> {
    /// `message_status` rows per status for `ids`.
    pub async fn status_counts(self, ids: &[String]) -> BTreeMap<String, i64> {
        match self {
            DbRef::Pg(db) => db
                .query(
                    "SELECT status, count(*) FROM message_status \
                     WHERE message_id::text = ANY($1) GROUP BY status",
                    &[&ids],
                )
                .await
                .expect("querying message_status")
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
            DbRef::My(pool) => {
                let mut out = BTreeMap::new();
                let mut conn = pool.get_conn().await.expect("a connection");
                for chunk in ids.chunks(500) {
                    let list: Vec<String> = chunk
                        .iter()
                        .map(|id| format!("UNHEX('{}')", id.replace(['-', '\''], "")))
                        .collect();
                    let rows: Vec<(String, i64)> = conn
                        .query(format!(
                            "SELECT status, COUNT(*) FROM message_status \
                             WHERE message_id IN ({}) GROUP BY status",
                            list.join(", ")
                        ))
                        .await
                        .expect("querying message_status");
                    for (status, n) in rows {
                        *out.entry(status).or_insert(0) += n;
                    }
                }
                out
            }
        }
    }

    /// Messages persisted so far, in the whole database.
    pub async fn persisted(self) -> i64 {
        self.scalar(
            "SELECT count(*) FROM message_status WHERE status = 'persisted'",
            "SELECT COUNT(*) FROM message_status WHERE status = 'persisted'",
        )
        .await
        .unwrap_or(0)
    }

    async fn scalar(self, pg: &str, my: &str) -> Option<i64> {
        match self {
            DbRef::Pg(db) => db.query_one(pg, &[]).await.ok().map(|r| r.get(0)),
            DbRef::My(pool) => {
                let mut conn = pool.get_conn().await.ok()?;
                conn.query_first::<i64, _>(my).await.ok().flatten()
            }
        }
    }

    /// Status rows beyond one per message (0 when no message was recorded twice).
    pub async fn duplicate_statuses(self) -> i64 {
        const SQL: &str = "SELECT count(*) - count(DISTINCT message_id) FROM message_status";
        self.scalar(SQL, SQL).await.expect("counting status rows")
    }

    /// The most retries of any message.
    pub async fn max_retries(self) -> i64 {
        self.scalar(
            "SELECT max(retry_count)::bigint FROM message_status",
            "SELECT MAX(retry_count) FROM message_status",
        )
        .await
        .unwrap_or(0)
    }

    /// Message `id`'s status and error, when it has a row.
    pub async fn status_of(self, id: &str) -> Option<(String, Option<String>)> {
        match self {
            DbRef::Pg(db) => db
                .query_opt(
                    "SELECT status, error_message FROM message_status WHERE message_id::text = $1",
                    &[&id],
                )
                .await
                .ok()?
                .map(|row| (row.get(0), row.get(1))),
            DbRef::My(pool) => {
                let mut conn = pool.get_conn().await.ok()?;
                conn.query_first(format!(
                    "SELECT status, error_message FROM message_status WHERE message_id = UNHEX('{}')",
                    id.replace(['-', '\''], "")
                ))
                .await
                .ok()?
            }
        }
    }

    /// Every row of `table` as a JSON object of `columns`.
    pub async fn rows(self, table: &str, columns: &[&str]) -> Vec<Value> {
        match self {
            DbRef::Pg(db) => db
                .query(&format!("SELECT to_jsonb(t) FROM {table} t"), &[])
                .await
                .unwrap_or_else(|e| panic!("reading {table}: {e}"))
                .iter()
                .map(|r| r.get(0))
                .collect(),
            DbRef::My(pool) => {
                let pairs: Vec<String> = columns.iter().map(|c| format!("'{c}', `{c}`")).collect();
                let mut conn = pool.get_conn().await.expect("a connection");
                let rows: Vec<Option<String>> = conn
                    .query(format!(
                        "SELECT JSON_OBJECT({}) FROM `{table}`",
                        pairs.join(", ")
                    ))
                    .await
                    .unwrap_or_else(|e| panic!("reading {table}: {e}"));
                rows.into_iter().map(json).collect()
            }
        }
    }

    /// A decimal column of the single row of `table`, as text without trailing zeros
    /// (MySQL's `DECIMAL(65,28)` pads the scale; PostgreSQL's `NUMERIC` keeps the one sent).
    pub async fn decimal_text(self, table: &str, column: &str) -> String {
        let text: String = match self {
            DbRef::Pg(db) => db
                .query_one(&format!("SELECT {column}::text FROM {table}"), &[])
                .await
                .expect("select")
                .get(0),
            DbRef::My(pool) => {
                let mut conn = pool.get_conn().await.expect("a connection");
                conn.query_first(format!("SELECT CAST(`{column}` AS CHAR) FROM `{table}`"))
                    .await
                    .expect("select")
                    .expect("a row")
            }
        };
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    }
}
