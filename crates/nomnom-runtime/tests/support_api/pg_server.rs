//! A private PostgreSQL 15 (`initdb` + `pg_ctl`, run as the `postgres` user) on a free
//! loopback port, for database outage tests.

use std::path::PathBuf;
use std::process::{Command, Stdio};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A private server; stopped and its folder removed on drop.
pub struct PgServer {
    port: u16,
    dir: PathBuf,
    running: bool,
}

impl PgServer {
    /// Creates a cluster in a fresh folder and starts it.
    pub fn start() -> Self {
        let dir =
            std::env::temp_dir().join(format!("nomnom-api-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create the PostgreSQL folder");
        run(
            Command::new("chown").arg("postgres:postgres").arg(&dir),
            "chown",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let server = Self {
            port,
            dir,
            running: false,
        };
        run(
            as_postgres("initdb").arg("-D").arg(server.data()).args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ]),
            "initdb",
        );
        let mut server = server;
        server.restart();
        server
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A URL for database `postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops it at once (`pg_ctl stop -m immediate`).
    pub fn stop(&mut self) {
        if self.running {
            run(
                as_postgres("pg_ctl")
                    .args(["stop", "-w", "-m", "immediate", "-D"])
                    .arg(self.data()),
                "pg_ctl stop",
            );
            self.running = false;
        }
    }

    /// Starts it (again) on the same port and data, waiting until it accepts connections.
    pub fn restart(&mut self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        run(
            as_postgres("pg_ctl")
                .args(["start", "-w", "-t", "30", "-D"])
                .arg(self.data())
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-o", &options]),
            "pg_ctl start",
        );
        self.running = true;
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn as_postgres(tool: &str) -> Command {
    let mut command = Command::new("runuser");
    command
        .args(["-u", "postgres", "--"])
        .arg(format!("{PG_BIN}/{tool}"));
    command
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
