//! The machine and the service settings a run measured, written next to every figure.

use serde::Serialize;

/// What the results were measured on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Machine {
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Total memory in MiB, from `/proc/meminfo`.
    pub memory_mib: u64,
    /// Kernel release.
    pub kernel: String,
}

impl Machine {
    /// Reads this machine's description from `/proc`.
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
            memory_mib: mem_total_kib(&meminfo).unwrap_or(0) / 1024,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
        }
    }
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

fn mem_total_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The durability settings in force, stated next to every figure.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Durability {
    /// NATS server version (from the connection's INFO).
    pub nats_version: String,
    /// What a JetStream acknowledgement means on that server.
    pub jetstream: String,
    /// PostgreSQL `server_version`.
    pub postgres_version: String,
    /// PostgreSQL `fsync`.
    pub postgres_fsync: String,
    /// PostgreSQL `synchronous_commit`.
    pub postgres_synchronous_commit: String,
    /// PostgreSQL `shared_buffers` (its own page cache).
    pub postgres_shared_buffers: String,
    /// PostgreSQL `max_wal_size` (WAL between checkpoints it starts on its own).
    pub postgres_max_wal_size: String,
}

impl Durability {
    /// The JetStream default the issue asks us to state (file storage, `sync_interval` 2 min).
    pub const JETSTREAM_DEFAULT: &'static str = "file storage; a publish is acknowledged once \
        the message is in the page cache, and the server fsyncs every 2 minutes (default \
        sync_interval)";

    /// One line for the results page.
    pub fn describe(&self) -> String {
        format!(
            "NATS {} ({}); PostgreSQL {} with fsync={} and synchronous_commit={} (each commit \
             is flushed to disk before it returns), shared_buffers={}, max_wal_size={}",
            self.nats_version,
            self.jetstream,
            self.postgres_version,
            self.postgres_fsync,
            self.postgres_synchronous_commit,
            self.postgres_shared_buffers,
            self.postgres_max_wal_size
        )
    }
}

/// Reads the PostgreSQL side of [`Durability`] from a connected client.
pub async fn postgres_settings(
    client: &tokio_postgres::Client,
    durability: &mut Durability,
) -> Result<(), tokio_postgres::Error> {
    let show = |name: &'static str| async move {
        let row = client.query_one(&format!("SHOW {name}"), &[]).await?;
        Ok::<String, tokio_postgres::Error>(row.get(0))
    };
    durability.postgres_version = show("server_version").await?;
    durability.postgres_fsync = show("fsync").await?;
    durability.postgres_synchronous_commit = show("synchronous_commit").await?;
    durability.postgres_shared_buffers = show("shared_buffers").await?;
    durability.postgres_max_wal_size = show("max_wal_size").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpuinfo_and_meminfo() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Example CPU @ 2.0GHz\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("Example CPU @ 2.0GHz"));
        assert_eq!(
            mem_total_kib("MemTotal:       24684544 kB\nMemFree: 1 kB\n"),
            Some(24684544)
        );
        assert_eq!(mem_total_kib(""), None);
    }

    #[test]
    fn detects_this_machine() {
        let m = Machine::detect();
        assert!(m.cores >= 1);
        assert!(m.memory_mib > 0);
        assert!(!m.cpu_model.is_empty());
    }
}
