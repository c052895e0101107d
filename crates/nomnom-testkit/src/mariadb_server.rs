//! A private MariaDB server for one test (an outage test stops and starts it): a data folder
//! initialised by `mariadb-install-db` in a temporary folder, `mariadbd` on a free loopback
//! port with its socket in that folder, run as the `mysql` user when the test runs as root.
//! The machine's shared server is never touched.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::ports::free_port;

/// A running (or stopped) private MariaDB.
pub struct MariadbServer {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The server binary: `mariadbd`, or `mysqld` on older packages.
fn server_binary() -> &'static str {
    if Command::new("mariadbd").arg("--version").output().is_ok() {
        "mariadbd"
    } else {
        "mysqld"
    }
}

impl MariadbServer {
    /// Initialises a data folder and starts the server (user `root` without a password),
    /// waiting until it accepts connections.
    pub async fn start() -> MariadbServer {
        let dir = tempfile::Builder::new()
            .prefix("nomnom-mariadb-")
            .tempdir()
            .expect("creating a folder for a private MariaDB");
        let root = is_root();
        if root {
            let status = Command::new("chown")
                .arg("-R")
                .arg("mysql:mysql")
                .arg(dir.path())
                .status()
                .expect("running chown");
            assert!(status.success(), "chown of the private MariaDB folder");
        }
        let mut install = Command::new("mariadb-install-db");
        install
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if root {
            install.arg("--user=mysql");
        }
        let out = install.output().expect("running mariadb-install-db");
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut server = MariadbServer {
            dir,
            port: free_port(),
            child: None,
        };
        server.start_again().await;
        server
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the stopped server again on the same port and waits until it accepts
    /// connections.
    pub async fn start_again(&mut self) {
        if self.child.is_some() {
            return;
        }
        let mut cmd = Command::new(server_binary());
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", self.path("data").display()))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", self.path("mysqld.sock").display()))
            .arg(format!("--pid-file={}", self.path("mysqld.pid").display()))
            .arg(format!("--log-error={}", self.path("server.log").display()))
            .arg("--character-set-server=utf8mb4")
            .arg("--collation-server=utf8mb4_bin")
            .arg("--innodb-buffer-pool-size=64M")
            .arg("--max-connections=200")
            .arg("--skip-log-bin")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if is_root() {
            cmd.arg("--user=mysql");
        }
        self.child = Some(cmd.spawn().expect("starting the private MariaDB"));
        let url = self.url("mysql");
        crate::wait_until(
            "the private MariaDB to accept connections",
            Duration::from_secs(30),
            || {
                let url = url.clone();
                async move {
                    let mut conn = mysql_async::Conn::from_url(url).await.ok()?;
                    conn.query_drop("DO 1").await.ok()?;
                    conn.disconnect().await.ok()
                }
            },
        )
        .await;
    }

    /// Kills the server (SIGKILL): like a crash, connections are cut at once.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database`.
    pub fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for MariadbServer {
    fn drop(&mut self) {
        self.stop();
    }
}
