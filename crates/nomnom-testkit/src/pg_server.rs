//! A private PostgreSQL server (`initdb` in a temporary folder, started on a free loopback
//! port) for tests that stop and restart the database, or that need TLS. It never touches the
//! shared server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::certs::CertFiles;
use crate::ports::free_port;

/// TLS for a private server: its certificate, the CA its clients' certificates must chain
/// to, and whether it asks for one.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The server's certificate and key.
    pub server: CertFiles,
    /// The CA file (for client certificates).
    pub ca: PathBuf,
    /// `clientcert=verify-full`: a client must show a certificate naming its user.
    pub require_client_cert: bool,
}

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
        PgServer::start_with(None).await
    }

    /// The same with TLS: TCP connections must use TLS (`hostssl`; plaintext ones are
    /// rejected), trusted once TLS is up, and with `require_client_cert` only with a client
    /// certificate for the user. The Unix socket stays plain, for the readiness check.
    pub async fn start_tls(tls: &ServerTls) -> PgServer {
        PgServer::start_with(Some(tls)).await
    }

    async fn start_with(tls: Option<&ServerTls>) -> PgServer {
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
        if let Some(tls) = tls {
            configure_tls(&dir.path().join("data"), tls);
        }
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
        // Through the Unix socket, which a TLS server leaves plain.
        let socket = format!(
            "host={} port={} user=postgres dbname=postgres",
            self.socket_dir().display(),
            self.port
        );
        crate::wait_until(
            "the private PostgreSQL to accept connections",
            Duration::from_secs(30),
            || {
                let socket = socket.clone();
                async move {
                    tokio_postgres::connect(&socket, tokio_postgres::NoTls)
                        .await
                        .ok()
                        .map(|_| ())
                }
            },
        )
        .await;
    }

    /// From now on, TCP clients must log in with `password` (SCRAM-SHA-256; over TLS, with
    /// channel binding when the client offers it): the password is set for `postgres`
    /// through the socket, `trust` becomes `scram-sha-256` in `pg_hba.conf`, and the server
    /// reloads it. Returns once new logins follow the new rules.
    pub async fn require_password(&self, password: &str) {
        let socket = format!(
            "host={} port={} user=postgres dbname=postgres",
            self.socket_dir().display(),
            self.port
        );
        let (client, connection) = tokio_postgres::connect(&socket, tokio_postgres::NoTls)
            .await
            .expect("connecting through the socket");
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "SET password_encryption = 'scram-sha-256'; ALTER USER postgres PASSWORD '{}'",
                password.replace('\'', "''")
            ))
            .await
            .expect("setting the password");
        let hba_path = self.data_dir().join("pg_hba.conf");
        let hba = std::fs::read_to_string(&hba_path).expect("pg_hba.conf");
        let hba: String = hba
            .lines()
            .map(|line| {
                if line.starts_with("host") {
                    line.replacen(" trust", " scram-sha-256", 1)
                } else {
                    line.to_owned()
                }
            })
            .map(|line| line + "\n")
            .collect();
        std::fs::write(&hba_path, hba).expect("writing pg_hba.conf");
        let loaded_before: String = client
            .query_one("SELECT pg_conf_load_time()::text", &[])
            .await
            .expect("the configuration's load time")
            .get(0);
        client
            .batch_execute("SELECT pg_reload_conf()")
            .await
            .expect("reloading the configuration");
        // A new session carries the postmaster's latest load time: once it is later, new
        // logins follow the new pg_hba.conf.
        crate::wait_until(
            "the private PostgreSQL to reload pg_hba.conf",
            Duration::from_secs(30),
            || {
                let (socket, before) = (socket.clone(), loaded_before.clone());
                async move {
                    let (client, connection) =
                        tokio_postgres::connect(&socket, tokio_postgres::NoTls)
                            .await
                            .ok()?;
                    tokio::spawn(connection);
                    let loaded: String = client
                        .query_one("SELECT pg_conf_load_time()::text", &[])
                        .await
                        .ok()?
                        .get(0);
                    (loaded != before).then_some(())
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

/// Copies the certificate, key and CA into the data folder (the key readable by its owner
/// only, as PostgreSQL demands), turns `ssl` on and lets TCP clients in only over TLS.
fn configure_tls(data: &Path, tls: &ServerTls) {
    use std::os::unix::fs::PermissionsExt;
    for (from, to) in [
        (&tls.server.cert, "server.crt"),
        (&tls.server.key, "server.key"),
        (&tls.ca, "root.crt"),
    ] {
        let target = data.join(to);
        std::fs::copy(from, &target).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))
            .expect("permissions of a TLS file");
    }
    let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).expect("postgresql.conf");
    conf.push_str(
        "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nssl_ca_file = 'root.crt'\n",
    );
    std::fs::write(data.join("postgresql.conf"), conf).expect("writing postgresql.conf");
    let client_cert = if tls.require_client_cert {
        " clientcert=verify-full"
    } else {
        ""
    };
    let hba = format!(
        "local all all trust\nhostssl all all 127.0.0.1/32 trust{client_cert}\nhostnossl all all 127.0.0.1/32 reject\n"
    );
    std::fs::write(data.join("pg_hba.conf"), hba).expect("writing pg_hba.conf");
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("-R").arg("postgres:postgres").arg(data);
                c
            },
            "chown of the TLS files",
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}
