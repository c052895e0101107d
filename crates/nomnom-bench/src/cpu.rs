//! CPU time of processes (user + system), from `/proc/<pid>/stat`: the load generator's own
//! share of the machine is part of every result on a 2-core box.

use std::sync::OnceLock;
use std::time::Duration;

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot be asked).
fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// User + system CPU time from the text of a `/proc/<pid>/stat` file.
pub fn parse_stat(stat: &str) -> Option<Duration> {
    stat_ticks(stat, 2)
}

/// As [`parse_stat`], plus the CPU time of the process's children that have ended and been
/// waited for (`cutime`, `cstime`): a child's time moves there when it is reaped, so a sum
/// over a process tree read this way loses nothing when a child ends between two readings.
pub fn parse_stat_with_children(stat: &str) -> Option<Duration> {
    stat_ticks(stat, 4)
}

/// The sum of the first `fields` of utime, stime, cutime, cstime (fields 14–17), as time.
fn stat_ticks(stat: &str, fields: usize) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    // Fields after the name start at field 3 (state), so utime (field 14) is the 12th.
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(fields)
        .map(|f| f.parse::<u64>().ok())
        .collect::<Option<Vec<u64>>>()
        .filter(|v| v.len() == fields)?
        .iter()
        .sum();
    Some(Duration::from_millis(ticks * 1000 / ticks_per_second()))
}

/// CPU time used so far by process `pid` (all its threads).
pub fn process_cpu(pid: u32) -> Option<Duration> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU time used so far by this process (the load generator).
pub fn own_cpu() -> Option<Duration> {
    parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// CPU time spent between two readings, in seconds (`None` if either is missing).
pub fn spent(before: Option<Duration>, after: Option<Duration>) -> Option<f64> {
    Some(after?.saturating_sub(before?).as_secs_f64())
}

/// CPU time used so far by every process whose command name is `name` (all NATS servers, or
/// all PostgreSQL backends and helpers, of this machine), with that of their ended children:
/// PostgreSQL's autovacuum workers come and go within a run, and each one's time is counted
/// in the postmaster's once it has ended.
pub fn processes_cpu(name: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        if let Some(cpu) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| parse_stat_with_children(&s))
        {
            total += cpu;
            found = true;
        }
    }
    found.then_some(total)
}

/// The CPU of the services the pipeline runs on, read at the start of a run.
#[derive(Debug, Clone, Copy)]
pub struct ServicesSample {
    nats: Option<Duration>,
    postgres: Option<Duration>,
}

impl ServicesSample {
    /// Reads the CPU time of `nats-server` and `postgres` processes now.
    pub fn now() -> ServicesSample {
        ServicesSample {
            nats: processes_cpu("nats-server"),
            postgres: processes_cpu("postgres"),
        }
    }

    /// What they spent since this sample (a process that ended in between is not counted).
    pub fn spent(&self) -> ServicesCpu {
        let now = ServicesSample::now();
        ServicesCpu {
            nats_cpu_seconds: spent(self.nats, now.nats),
            postgres_cpu_seconds: spent(self.postgres, now.postgres),
        }
    }
}

/// CPU seconds NATS and PostgreSQL spent during a run: with the load generator's and the
/// binary's own, where a 2-core machine's time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ServicesCpu {
    /// Every `nats-server` process.
    pub nats_cpu_seconds: Option<f64>,
    /// Every `postgres` process.
    pub postgres_cpu_seconds: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_even_with_spaces_in_the_name() {
        let ticks = ticks_per_second();
        let stat = format!(
            "1234 (tokio (worker) 1) S 1 1234 1234 0 -1 4194560 100 0 0 0 {} {} 0 0 20 0 4 0",
            2 * ticks,
            ticks / 2
        );
        assert_eq!(parse_stat(&stat), Some(Duration::from_millis(2500)));
        assert_eq!(parse_stat("garbage"), None);
        // Ended children: cutime 1 s, cstime 1 s more.
        let with_children = stat.replace(" 0 0 20 0 4 0", &format!(" {ticks} {ticks} 20 0 4 0"));
        assert_eq!(
            parse_stat(&with_children),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            parse_stat_with_children(&with_children),
            Some(Duration::from_millis(4500))
        );
        assert_eq!(parse_stat_with_children("1 (x) S 1 2 3"), None);
    }

    #[test]
    fn a_child_that_ended_is_still_counted_in_its_parent() {
        // What this process's ended children used: its reading with children less without
        // (other tests' threads burning CPU meanwhile change both alike).
        let children = || {
            let stat = std::fs::read_to_string("/proc/self/stat").expect("own stat");
            parse_stat_with_children(&stat)
                .expect("with children")
                .saturating_sub(parse_stat(&stat).expect("own"))
        };
        let before = children();
        // A child burns CPU, ends and is waited for.
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done"])
            .status()
            .expect("running sh");
        assert!(status.success());
        let child = children().saturating_sub(before);
        assert!(
            child >= Duration::from_millis(100),
            "the ended child's CPU shows in its parent: {child:?}"
        );
    }

    #[test]
    fn own_cpu_time_grows_while_burning_cpu() {
        let before = own_cpu();
        let start = std::time::Instant::now();
        let mut x: u64 = 1;
        // Burn until 0.1 s of CPU shows, or 20 s of wall time: on a machine shared with other
        // builds, how much of a fixed wall time this thread gets is anyone's guess.
        let spent = loop {
            for _ in 0..100_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            let spent = spent(before, own_cpu()).expect("reading /proc/self/stat");
            if spent >= 0.1 || start.elapsed() > Duration::from_secs(20) {
                break spent;
            }
        };
        std::hint::black_box(x);
        let wall = start.elapsed().as_secs_f64();
        assert!(spent >= 0.1, "spent {spent} s in {wall:.1} s of wall time");
        // Never more than the wall time times the cores (plus a tick of rounding).
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(
            spent <= wall * cores + 0.02,
            "spent {spent} s in {wall:.3} s"
        );
    }

    #[test]
    fn processes_are_found_by_command_name() {
        // This test's own process: its command name is the test binary's (cut to 15 bytes).
        let comm = std::fs::read_to_string("/proc/self/comm").expect("own comm");
        let before = own_cpu().expect("own cpu");
        let cpu = processes_cpu(comm.trim_end()).expect("this process is found");
        assert!(
            cpu >= before,
            "the sum includes this process: {cpu:?} < {before:?}"
        );
        assert_eq!(processes_cpu("no-such-process-name"), None);
        let sample = ServicesSample::now();
        let spent = sample.spent();
        // Whatever runs here, time never goes backwards.
        assert!(spent.nats_cpu_seconds.is_none_or(|s| s >= 0.0));
        assert!(spent.postgres_cpu_seconds.is_none_or(|s| s >= 0.0));
    }
}
