//! promtool, and a private Prometheus server (Debian's `prometheus` package, installed by
//! `scripts/setup-tests.sh`) started in a temporary folder on a free port, scraping the
//! test's API and worker every second and evaluating the generated rules.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nomnom_testkit::http::HttpClient;
use nomnom_testkit::ports::free_port;
use nomnom_testkit::{wait_until, Service};
use serde_json::Value;

fn tool(name: &str) -> PathBuf {
    let path = PathBuf::from("/usr/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: scripts/setup-tests.sh installs Debian's prometheus package",
        path.display()
    );
    path
}

/// `promtool check metrics` on `text`: its findings, empty when clean.
pub fn check_metrics(text: &str) -> String {
    let mut child = Command::new(tool("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting promtool");
    child
        .stdin
        .take()
        .expect("promtool's stdin")
        .write_all(text.as_bytes())
        .expect("feeding promtool");
    let out = child.wait_with_output().expect("promtool ran");
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        findings.trim().to_string()
    } else {
        format!("promtool failed ({}): {findings}", out.status)
    }
}

/// `promtool check rules <file>`: `Ok` with its report, or its complaint.
pub fn check_rules(file: &Path) -> Result<String, String> {
    let out = Command::new(tool("promtool"))
        .args(["check", "rules"])
        .arg(file)
        .output()
        .expect("running promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// A private Prometheus server; killed when dropped.
pub struct PrivatePrometheus {
    pub client: HttpClient,
    server: Service,
    _dir: tempfile::TempDir,
}

impl PrivatePrometheus {
    /// Starts a server scraping each `(job, host:port)` every second, with `rules` loaded,
    /// and waits until it answers.
    pub async fn start(targets: &[(&str, String)], rules: &Path) -> PrivatePrometheus {
        let dir = tempfile::Builder::new()
            .prefix("nomnom-prometheus-")
            .tempdir()
            .expect("a folder for Prometheus");
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n  scrape_timeout: 1s\n",
        );
        config.push_str(&format!(
            "rule_files:\n  - {:?}\n",
            rules.display().to_string()
        ));
        config.push_str("scrape_configs:\n");
        for (job, target) in targets {
            config.push_str(&format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: [\"{target}\"]\n"
            ));
        }
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config).expect("writing prometheus.yml");
        let port = free_port();
        let server = Service::spawn(
            "prometheus",
            &tool("prometheus"),
            &[
                &format!("--config.file={}", config_file.display()),
                &format!("--storage.tsdb.path={}", dir.path().join("data").display()),
                &format!("--web.listen-address=127.0.0.1:{port}"),
                "--log.level=warn",
            ],
            &Default::default(),
            &dir.path().join("prometheus.log"),
        );
        let client = HttpClient::new(format!("http://127.0.0.1:{port}"));
        let prometheus = PrivatePrometheus {
            client,
            server,
            _dir: dir,
        };
        let ready = nomnom_testkit::wait::wait_for(Duration::from_secs(30), || {
            let client = prometheus.client.clone();
            async move { (client.get("/-/ready").await.ok()?.status == 200).then_some(()) }
        })
        .await;
        assert!(
            ready.is_some(),
            "Prometheus did not become ready:\n{}",
            prometheus.server.log()
        );
        prometheus
    }

    /// Runs an instant query; the whole answer (`status`, `data` or `error`).
    pub async fn query(&self, expr: &str) -> Value {
        let response = self
            .client
            .send(
                "POST",
                "/api/v1/query",
                &[("content-type", "application/x-www-form-urlencoded")],
                format!("query={}", form_encode(expr)),
            )
            .await
            .expect("Prometheus answers");
        response.json()
    }

    /// `GET path` of the HTTP API, as JSON.
    pub async fn get(&self, path: &str) -> Value {
        self.client
            .get(path)
            .await
            .expect("Prometheus answers")
            .json()
    }

    /// Waits until every target is up (scraped successfully).
    pub async fn wait_targets_up(&self, count: usize) {
        wait_until(
            &format!("Prometheus to scrape {count} targets"),
            Duration::from_secs(60),
            || async move {
                let targets = self.get("/api/v1/targets").await;
                let active = targets["data"]["activeTargets"].as_array()?.clone();
                (active.len() == count && active.iter().all(|t| t["health"] == "up")).then_some(())
            },
        )
        .await;
    }

    /// The server's log.
    pub fn log(&self) -> String {
        self.server.log()
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
