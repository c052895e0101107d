//! What the demo posts, model by model: generated TPC-H orders as JSON to `examples/tpch`, or
//! generated ORU^R01 lab reports as HL7 v2 to `examples/hl7-lab` (half over HTTP, half over
//! MLLP), with the tables to count and the commands to try afterwards.

use std::path::Path;

use nomnom_testkit::{lab_reports, orders};

/// The model the demo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoModel {
    /// `examples/tpch`: JSON orders.
    Tpch,
    /// `examples/hl7-lab`: HL7 v2 lab reports over HTTP and MLLP.
    Hl7Lab,
}

/// How one message reaches the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /ingest/message`.
    Http,
    /// A framed message on the MLLP port, answered by an HL7 ACK.
    Mllp,
}

impl DemoModel {
    /// The model named `name` (`tpch`, `hl7-lab`).
    pub fn parse(name: &str) -> Result<DemoModel, String> {
        match name {
            "tpch" => Ok(DemoModel::Tpch),
            "hl7-lab" => Ok(DemoModel::Hl7Lab),
            other => Err(format!("unknown model {other} (tpch or hl7-lab)")),
        }
    }

    /// What one message is, in the report.
    pub fn noun(self) -> &'static str {
        match self {
            DemoModel::Tpch => "orders",
            DemoModel::Hl7Lab => "lab reports",
        }
    }

    /// The root entity.
    pub fn entity(self) -> &'static str {
        match self {
            DemoModel::Tpch => "Order",
            DemoModel::Hl7Lab => "LabReport",
        }
    }

    /// `Content-Type` of a message.
    pub fn content_type(self) -> &'static str {
        match self {
            DemoModel::Tpch => "application/json",
            DemoModel::Hl7Lab => "x-application/hl7-v2+er7",
        }
    }

    /// The tables it writes, the root's first.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            DemoModel::Tpch => &["orders", "order_line_items"],
            DemoModel::Hl7Lab => &["lab_reports", "lab_orders", "lab_results"],
        }
    }

    /// Messages `first ..` (`count` of them), deterministic for the demo's seed.
    pub fn messages(self, first: u64, count: u64) -> Vec<String> {
        match self {
            DemoModel::Tpch => orders::orders(2026, first, count)
                .into_iter()
                .map(|order| order.to_string())
                .collect(),
            DemoModel::Hl7Lab => lab_reports::reports(2026, first, count)
                .iter()
                .map(lab_reports::LabReport::to_hl7)
                .collect(),
        }
    }

    /// How message `i` reaches the API: always HTTP for JSON; for HL7, every other one over
    /// MLLP.
    pub fn route(self, i: usize) -> Route {
        match self {
            DemoModel::Hl7Lab if i % 2 == 1 => Route::Mllp,
            _ => Route::Http,
        }
    }

    /// One more message for the user to post, as its file holds it.
    pub fn sample(self, n: u64) -> Option<String> {
        match self {
            DemoModel::Tpch => orders::orders(2026, n, 1)
                .pop()
                .and_then(|order| serde_json::to_string_pretty(&order).ok())
                .map(|text| text + "\n"),
            DemoModel::Hl7Lab => self.messages(n, 1).pop(),
        }
    }

    /// The sample's file name in the demo's folder.
    pub fn sample_file_name(self) -> &'static str {
        match self {
            DemoModel::Tpch => "sample-order.json",
            DemoModel::Hl7Lab => "sample-report.hl7",
        }
    }

    /// Commands to post `sample` (a file) that work while the services run.
    pub fn post_commands(self, base: &str, sample: &Path, mllp_port: u16) -> Vec<String> {
        let entity = self.entity();
        let sample = sample.display();
        let mut commands = vec![format!(
            "curl -s -X POST '{base}/ingest/message?entity={entity}' -H 'Content-Type: {}' \
             --data-binary @{sample}",
            self.content_type()
        )];
        if self == DemoModel::Hl7Lab {
            commands.push(format!(
                "curl -s -X POST '{base}/ingest/message' -H 'Content-Type: {}' \
                 -H 'Accept: x-application/hl7-v2+er7' --data-binary @{sample} | tr '\\r' '\\n'",
                self.content_type()
            ));
            commands.push(format!(
                "python3 -c 'import socket,sys; s=socket.create_connection((\"127.0.0.1\",{mllp_port})); \
                 s.sendall(b\"\\x0b\"+open(sys.argv[1],\"rb\").read()+b\"\\x1c\\r\"); \
                 print(s.recv(65536)[1:-2].decode().replace(\"\\r\",\"\\n\"))' {sample}"
            ));
        }
        commands
    }

    /// A query to look at what landed.
    pub fn query(self) -> &'static str {
        match self {
            DemoModel::Tpch => {
                "SELECT order_key, total_price, order_date FROM orders ORDER BY _ingested_at DESC LIMIT 5"
            }
            DemoModel::Hl7Lab => {
                "SELECT r.control_id, r.patient_name, o.test_name, x.name, x.numeric_value, x.units, \
                 x.abnormal_flag FROM lab_results x JOIN lab_orders o ON o._id = x._parent_id \
                 JOIN lab_reports r ON r._id = o._parent_id ORDER BY x._ingested_at DESC LIMIT 8"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_model_makes_messages_of_its_own_form() {
        let orders = DemoModel::Tpch.messages(1, 3);
        assert!(orders[0].starts_with('{') && orders[0].contains("\"order_key\":\"O-1\""));
        let reports = DemoModel::Hl7Lab.messages(1, 3);
        assert!(reports[2].starts_with("MSH|^~\\&|LAB|") && reports[2].contains("|LAB-3|"));
        assert_eq!(DemoModel::Hl7Lab.route(0), Route::Http);
        assert_eq!(DemoModel::Hl7Lab.route(1), Route::Mllp);
        assert_eq!(DemoModel::Tpch.route(1), Route::Http);
        assert_eq!(DemoModel::parse("hl7-lab"), Ok(DemoModel::Hl7Lab));
        assert!(DemoModel::parse("x")
            .unwrap_err()
            .contains("tpch or hl7-lab"));
        let commands = DemoModel::Hl7Lab.post_commands("http://h", Path::new("s.hl7"), 2575);
        assert_eq!(commands.len(), 3);
        assert!(
            commands[2].contains("(\"127.0.0.1\",2575)"),
            "{}",
            commands[2]
        );
    }
}
