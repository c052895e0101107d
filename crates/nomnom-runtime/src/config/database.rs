//! `DatabaseConfig`: the PostgreSQL URL, its TLS settings and pool size, and the pool built
//! from them.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};

use tokio_postgres_rustls_improved::MakeRustlsConnect;

use super::database_tls::{split_tls_params, DatabaseTls};
use super::env::{ConfigError, Env};
use super::status::StatusRetention;

/// PostgreSQL settings (`DATABASE_URL`, its TLS files `DATABASE_CA_FILE`,
/// `DATABASE_CERT_FILE`, `DATABASE_KEY_FILE`, `DATABASE_MAX_CONNECTIONS`, and how long
/// statuses are kept there: `STATUS_RETENTION`, `STATUS_PARTITION_INTERVAL`).
#[derive(Clone)]
pub struct DatabaseConfig {
    /// The parsed connection settings (TLS negotiation set from `sslmode`).
    pub pg: tokio_postgres::Config,
    /// The TLS settings.
    pub tls: DatabaseTls,
    /// Their connector, built (and its files read) once at start-up.
    connector: MakeRustlsConnect,
    /// Pool size.
    pub max_connections: usize,
    /// How long `message_status` keeps rows.
    pub status: StatusRetention,
    /// `DATABASE_URL` when it names MySQL or MariaDB (`mysql://` or `mariadb://`); `pg` is
    /// then unused.
    pub mysql_url: Option<String>,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: show only where it points.
        f.debug_struct("DatabaseConfig")
            .field("hosts", &self.pg.get_hosts())
            .field("dbname", &self.pg.get_dbname())
            .field("tls", &self.tls)
            .field("max_connections", &self.max_connections)
            .field("status", &self.status)
            .field("mysql", &self.mysql_url.as_ref().map(|_| "yes"))
            .finish()
    }
}

impl DatabaseConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from(&Env::process())
    }

    /// Reads `env`.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let mut tls_params = Vec::new();
        let mysql_url = env.parse_with("DATABASE_URL", |url| match crate::db::mysql::url(url) {
            Some(Ok(url)) => Ok(Some(url)),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        })?;
        if let Some(url) = mysql_url {
            let tls = DatabaseTls::from(env, &[])?;
            return Ok(Self {
                pg: tokio_postgres::Config::new(),
                connector: crate::db::tls::connector(&tls)
                    .map_err(|e| ConfigError::new(e.variable, &env.get(e.variable), e.reason))?,
                tls,
                max_connections: max_connections(env)?,
                status: StatusRetention::from(env)?,
                mysql_url: Some(url),
            });
        }
        let mut pg = env.parse_with("DATABASE_URL", |url| {
            let (url, params) = split_tls_params(url);
            tls_params = params;
            url.parse::<tokio_postgres::Config>()
                .map_err(|_| "expected postgres://user[:password]@host[:port]/database".to_owned())
        })?;
        let tls = DatabaseTls::from(env, &tls_params)?;
        pg.ssl_mode(tls.mode.negotiation());
        let connector = crate::db::tls::connector(&tls)
            .map_err(|e| ConfigError::new(e.variable, &env.get(e.variable), e.reason))?;
        Ok(Self {
            pg,
            tls,
            connector,
            max_connections: max_connections(env)?,
            status: StatusRetention::from(env)?,
            mysql_url: None,
        })
    }

    /// Refuses a `DATABASE_URL` of another kind of server than `database`, the one the
    /// project was generated for (its migrations are in that dialect).
    pub fn check_for(&self, database: &str) -> Result<(), ConfigError> {
        let mysql = matches!(database, "mysql" | "mariadb");
        match (mysql, self.mysql_url.is_some()) {
            (true, false) => Err(ConfigError::new(
                "DATABASE_URL",
                "",
                format!("this project was generated for {database}: expected mysql://user[:password]@host[:port]/database"),
            )),
            (false, true) => Err(ConfigError::new(
                "DATABASE_URL",
                "",
                format!("this project was generated for {database}: expected postgres://user[:password]@host[:port]/database"),
            )),
            _ => Ok(()),
        }
    }

    /// For MySQL and MariaDB: the pool's connection options (`None` for PostgreSQL).
    pub fn mysql_options(&self) -> Option<mysql_async::Opts> {
        let opts = crate::db::mysql::options(self.mysql_url.as_deref()?).ok()?;
        let constraints = mysql_async::PoolConstraints::new(1, self.max_connections.max(1))?;
        Some(
            mysql_async::OptsBuilder::from_opts(opts)
                .pool_opts(mysql_async::PoolOpts::default().with_constraints(constraints))
                .conn_ttl(Some(Duration::from_secs(300)))
                .wait_timeout(None)
                .stmt_cache_size(Some(64))
                .tcp_keepalive(Some(Duration::from_secs(10)))
                .into(),
        )
    }

    /// A pool that connects lazily, so an unreachable database does not stop start-up.
    /// Waiting for or opening a connection gives up after `connect_timeout`.
    pub fn pool(&self, connect_timeout: Duration) -> Pool {
        let mut pg = self.pg.clone();
        pg.connect_timeout(connect_timeout);
        let manager = Manager::from_config(
            pg,
            self.connector.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let timeouts = Timeouts {
            wait: Some(connect_timeout),
            create: Some(connect_timeout),
            recycle: Some(connect_timeout),
        };
        match Pool::builder(manager)
            .max_size(self.max_connections)
            .runtime(Runtime::Tokio1)
            .timeouts(timeouts)
            .build()
        {
            Ok(pool) => pool,
            // Only possible without a runtime when timeouts are set; Runtime::Tokio1 is set.
            Err(err) => unreachable!("pool configuration is static: {err}"),
        }
    }
}

fn max_connections(env: &Env) -> Result<usize, ConfigError> {
    env.parse_with("DATABASE_MAX_CONNECTIONS", |t| match t.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a whole number greater than zero".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = DatabaseConfig::from(&Env::from_pairs::<&str, &str>([])).expect("defaults");
        assert_eq!(c.max_connections, 8);
        assert_eq!(c.pg.get_dbname(), Some("postgres"));
        let err = DatabaseConfig::from(&Env::from_pairs([(
            "DATABASE_URL",
            "postgres://u:secret@h:notaport/db",
        )]))
        .expect_err("bad port");
        assert_eq!(err.name, "DATABASE_URL");
        assert!(
            !err.to_string().contains("secret"),
            "the URL is a secret: {err}"
        );
        let debug = format!("{c:?}");
        assert!(debug.contains("max_connections"));
    }
}
