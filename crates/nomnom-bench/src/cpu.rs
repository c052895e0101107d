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
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields after the name start at field 3 (state); utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = ticks_per_second();
    Some(Duration::from_millis((utime + stime) * 1000 / ticks))
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
    }

    #[test]
    fn own_cpu_time_grows_while_burning_cpu() {
        let before = own_cpu();
        let start = std::time::Instant::now();
        let mut x: u64 = 1;
        while start.elapsed() < Duration::from_millis(400) {
            for _ in 0..10_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
        }
        std::hint::black_box(x);
        let spent = spent(before, own_cpu()).expect("reading /proc/self/stat");
        // Busy for 400 ms of wall time: at least a quarter of it must show up as CPU time even
        // on a loaded 2-core machine, and never more than the wall time times the cores.
        assert!(spent >= 0.1, "spent {spent} s");
        assert!(spent < 5.0, "spent {spent} s");
    }
}
