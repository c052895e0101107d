//! A database of its own for each test on a MySQL or MariaDB server, dropped after.

use mysql_async::prelude::Queryable;

use crate::ports::unique_name;

/// URL of the machine's shared MariaDB server, database `test`
/// (`NOMNOM_TEST_MYSQL_URL` overrides).
pub fn shared_mysql_url() -> String {
    std::env::var("NOMNOM_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// A freshly created database (utf8mb4), dropped when the value is dropped.
pub struct MysqlTestDatabase {
    name: String,
    admin_url: String,
}

async fn admin(url: &str, sql: &str) -> Result<(), mysql_async::Error> {
    let mut conn = mysql_async::Conn::from_url(url).await?;
    conn.query_drop(sql).await?;
    conn.disconnect().await
}

impl MysqlTestDatabase {
    /// Creates a database with a unique name on the server of `admin_url` (a URL of an
    /// existing database).
    pub async fn create(admin_url: &str) -> MysqlTestDatabase {
        let name = unique_name("nomnom_test").to_lowercase();
        admin(
            admin_url,
            &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        )
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {admin_url}: {e}"));
        MysqlTestDatabase {
            name,
            admin_url: admin_url.to_string(),
        }
    }

    /// Creates a database on the machine's shared MariaDB.
    pub async fn create_shared() -> MysqlTestDatabase {
        MysqlTestDatabase::create(&shared_mysql_url()).await
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection URL for this database.
    pub fn url(&self) -> String {
        match self.admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{}", self.name),
            None => format!("{}/{}", self.admin_url, self.name),
        }
    }

    /// A connection to this database.
    pub async fn conn(&self) -> mysql_async::Conn {
        mysql_async::Conn::from_url(self.url())
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url()))
    }
}

impl Drop for MysqlTestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop cannot await, and may run inside a runtime: do the work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(admin(
                &admin_url,
                &format!("DROP DATABASE IF EXISTS `{name}`"),
            ))
            .ok()
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}
