//! A private PostgreSQL server (`initdb` in a temporary folder, started on a free loopback
//! port) for tests that stop and restart the database. It never touches the shared server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::ports::free_port;

/// Folder holding `initdb`, `pg_ctl` and `postgres`: `NOMNOM_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
pub fn pg_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("NOMNOM_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, p)| p)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

/// A private PostgreSQL server. Stopped (immediately) and deleted when dropped.
pub struct PgServer {
    dir: TempDir,
    port: u16,
    running: bool,
}

fn is_root() -> bool {
    // The effective uid is what initdb checks; `id -u` avoids a libc dependency.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root).
fn pg_command(tool: &str) -> Command {
    let path = pg_bin_dir().join(tool);
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.arg("-u").arg("postgres").arg("--").arg(path);
        cmd
    } else {
        Command::new(path)
    }
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PgServer {
    /// Initialises a cluster in a new temporary folder and starts it (trust auth, user
    /// `postgres`), waiting until it accepts connections.
    pub async fn start() -> PgServer {
        let dir = tempfile::Builder::new()
            .prefix("nomnom-pg-")
            .tempdir()
            .expect("creating a folder for a private PostgreSQL");
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("-R").arg("postgres:postgres").arg(dir.path());
                    c
                },
                "chown of the private PostgreSQL folder",
            );
        }
        let mut init = pg_command("initdb");
        init.arg("-D")
            .arg(dir.path().join("data"))
            .arg("-U")
            .arg("postgres")
            .arg("--auth=trust")
            .arg("--no-sync")
            .stdout(Stdio::null());
        run(init, "initdb");
        let mut server = PgServer {
            dir,
            port: free_port(),
            running: false,
        };
        server.start_again().await;
        server
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts the stopped server again on the same port and waits until it accepts
    /// connections.
    pub async fn start_again(&mut self) {
        let mut ctl = pg_command("pg_ctl");
        ctl.arg("start")
            .arg("-w")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
                self.port,
                self.socket_dir().display()
            ));
        run(ctl, "pg_ctl start");
        self.running = true;
        let url = self.url("postgres");
        crate::wait_until(
            "the private PostgreSQL to accept connections",
            Duration::from_secs(30),
            || {
                let url = url.clone();
                async move {
                    tokio_postgres::connect(&url, tokio_postgres::NoTls)
                        .await
                        .ok()
                        .map(|_| ())
                }
            },
        )
        .await;
    }

    /// Stops the server in `immediate` mode: like a crash, connections are cut at once.
    pub fn stop(&mut self) {
        if self.running {
            let mut ctl = pg_command("pg_ctl");
            ctl.arg("stop")
                .arg("-m")
                .arg("immediate")
                .arg("-w")
                .arg("-D")
                .arg(self.data_dir())
                .stdout(Stdio::null());
            run(ctl, "pg_ctl stop");
            self.running = false;
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}
