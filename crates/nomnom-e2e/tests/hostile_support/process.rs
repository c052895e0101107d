//! What the hostile suite reads about a process from `/proc`, and the open-file limit it needs.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the most ever resident.
    pub peak_kib: u64,
}

/// The memory of process `pid`; panics when it is gone or a zombie (it died).
pub fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("process {pid} is gone: {e}"));
    let field = |name: &str| -> Option<&str> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let state = field("State:").unwrap_or("?");
    assert!(
        !state.starts_with('Z') && !state.starts_with('X'),
        "process {pid} has died (state {state})"
    );
    let kib = |name: &str| -> u64 {
        field(name)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    Memory {
        rss_kib: kib("VmRSS:"),
        peak_kib: kib("VmHWM:"),
    }
}

/// The soft limit of open files of process `pid` (`None`: unlimited).
pub fn open_file_limit(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits"))
        .unwrap_or_else(|e| panic!("reading the limits of process {pid}: {e}"));
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()
        .expect("a soft limit");
    soft.parse().ok()
}

/// Raises this process's soft limit of open files to at least `needed` (within the hard
/// limit), so the processes it starts inherit it: the suite opens thousands of sockets, and
/// a low default (1,024 on many systems) must not be what fails.
pub fn ensure_open_file_limit(needed: u64) {
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|soft| soft >= needed) {
        return;
    }
    assert!(
        limit.maximum.is_none_or(|hard| hard >= needed),
        "the hard limit of open files ({:?}) is below the {needed} this test needs",
        limit.maximum
    );
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(needed),
            maximum: limit.maximum,
        },
    )
    .expect("raising the soft limit of open files");
}
