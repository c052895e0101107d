//! The driver's command line.

use std::path::PathBuf;

use crate::workload::DemoModel;

/// What the driver runs against and how much it posts.
pub struct Options {
    /// The folder holding the generated `ingestion-api` and `worker` binaries.
    pub bin_dir: PathBuf,
    /// The model those binaries were generated from.
    pub model: DemoModel,
    /// How many messages (orders, or lab reports) to post.
    pub messages: u64,
    /// How many requests are in flight at once.
    pub concurrency: u64,
    /// The database the worker writes to (the demo's own).
    pub database_url: String,
    /// The NATS server.
    pub nats_url: String,
    /// The JetStream stream the services use.
    pub stream: String,
    /// The API's port.
    pub port: u16,
    /// The API's MLLP port (HL7 models).
    pub mllp_port: u16,
    /// Where the services' logs go.
    pub logs: PathBuf,
    /// Where a sample message is written for the user to post (default: in the logs' parent
    /// folder, named for the model).
    pub sample: Option<PathBuf>,
    /// Stop the services once the report is printed instead of waiting for Ctrl-C.
    pub exit_when_done: bool,
    /// The generated project (where its dashboard and alert rules are).
    pub project_dir: PathBuf,
}

/// Usage, printed with a parsing error.
pub const USAGE: &str = "usage: nomnom-demo --bin-dir DIR [--model tpch|hl7-lab] [--messages N] \
[--concurrency N] [--database-url URL] [--nats-url URL] [--stream NAME] [--port N] \
[--mllp-port N] [--logs DIR] [--sample FILE] [--project-dir DIR] [--exit-when-done]";

/// Parses the process's arguments.
pub fn parse() -> Result<Options, String> {
    parse_from(std::env::args().skip(1))
}

fn parse_from(arguments: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        bin_dir: PathBuf::new(),
        model: DemoModel::Tpch,
        messages: 5000,
        concurrency: 32,
        database_url: "postgres://postgres@127.0.0.1:5432/nomnom_demo".into(),
        nats_url: "nats://127.0.0.1:4222".into(),
        stream: "NOMNOM_DEMO".into(),
        port: 8080,
        mllp_port: 2575,
        logs: PathBuf::from("demo-output/logs"),
        sample: None,
        exit_when_done: false,
        project_dir: PathBuf::from("demo-output/tpch"),
    };
    let mut args = arguments.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bin-dir" => o.bin_dir = PathBuf::from(value()?),
            "--model" => o.model = DemoModel::parse(&value()?)?,
            // --orders: the name before the demo had other models.
            "--messages" | "--orders" => {
                o.messages = value()?.parse().map_err(|e| format!("{flag}: {e}"))?
            }
            "--concurrency" => {
                o.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--database-url" => o.database_url = value()?,
            // The database the script generated the project for; the URL says where it is.
            "--database" => {
                let database = value()?;
                if !matches!(database.as_str(), "postgresql" | "mysql" | "mariadb") {
                    return Err(format!(
                        "--database: {database} (expected postgresql, mysql or mariadb)"
                    ));
                }
            }
            "--nats-url" => o.nats_url = value()?,
            "--stream" => o.stream = value()?,
            "--port" => o.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--mllp-port" => {
                o.mllp_port = value()?.parse().map_err(|e| format!("--mllp-port: {e}"))?
            }
            "--logs" => o.logs = PathBuf::from(value()?),
            "--sample" => o.sample = Some(PathBuf::from(value()?)),
            "--project-dir" => o.project_dir = PathBuf::from(value()?),
            "--exit-when-done" => o.exit_when_done = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.bin_dir.as_os_str().is_empty() {
        return Err("--bin-dir is required (the folder holding ingestion-api and worker)".into());
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let o = parse_from(args(&["--bin-dir", "b", "--orders", "7"])).expect("valid");
        assert_eq!((o.messages, o.concurrency, o.port), (7, 32, 8080));
        assert_eq!(o.model, DemoModel::Tpch);
        assert!(!o.exit_when_done);
        let o = parse_from(args(&[
            "--bin-dir",
            "b",
            "--model",
            "hl7-lab",
            "--messages",
            "9",
        ]))
        .expect("valid");
        assert_eq!(
            (o.model, o.messages, o.mllp_port),
            (DemoModel::Hl7Lab, 9, 2575)
        );
        let o = parse_from(args(&["--exit-when-done", "--bin-dir", "b"])).expect("valid");
        assert!(o.exit_when_done);
    }

    #[test]
    fn mistakes_are_named() {
        let e = |list: &[&str]| parse_from(args(list)).err().unwrap_or_default();
        assert!(e(&[]).contains("--bin-dir is required"));
        assert_eq!(e(&["--bin-dir"]), "--bin-dir needs a value");
        assert!(e(&["--bin-dir", "b", "--orders", "x"]).starts_with("--orders:"));
        assert_eq!(e(&["--bin-dir", "b", "--nope"]), "unknown option --nope");
        assert!(e(&["--bin-dir", "b", "--model", "adt"]).starts_with("unknown model adt"));
    }
}
