//! A database of its own for each test, created on a PostgreSQL server and dropped after.

use tokio_postgres::NoTls;

use crate::ports::unique_name;

/// A freshly created database, dropped (with `FORCE`, cutting leftover connections) when the
/// value is dropped.
pub struct TestDatabase {
    name: String,
    admin_url: String,
}

impl TestDatabase {
    /// Creates a database with a unique name on the server of `admin_url` (a URL of an
    /// existing database, used for `CREATE DATABASE`).
    pub async fn create(admin_url: &str) -> TestDatabase {
        let name = unique_name("nomnom_test").to_lowercase();
        let (client, conn) = tokio_postgres::connect(admin_url, NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to {admin_url}: {e}"));
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        drop(client);
        let _ = task.await;
        TestDatabase {
            name,
            admin_url: admin_url.to_string(),
        }
    }

    /// Creates a database on the machine's shared PostgreSQL.
    pub async fn create_shared() -> TestDatabase {
        TestDatabase::create(&crate::shared_database_url()).await
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

    /// A connected client (its connection task runs in the background).
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url(), NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url()));
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop cannot await, and may run inside a runtime: do the work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&admin_url, NoTls).await.ok()?;
                tokio::spawn(conn);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("note: test database {} was not dropped", self.name);
        }
    }
}
