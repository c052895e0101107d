//! Generated laboratory reports for `examples/hl7-lab`: ORU^R01 messages with 1–3 ordered
//! tests (OBR), each with 1–6 results (OBX), optional fields sometimes empty, sometimes the
//! explicit null `""`, text with HL7 escapes now and then. The same report can be written as
//! HL7 v2 (ER7) or as the JSON document `crates/nomnom-bench/models/lab-json` reads, and both
//! become the same rows. Deterministic for a seed, like [`crate::orders`].

use serde_json::{json, Map, Value};

use crate::orders::Rng;

/// A value that may be missing: absent (an empty HL7 field, a missing JSON key), the explicit
/// null (`""` in HL7, `null` in JSON), or set.
#[derive(Debug, Clone, PartialEq)]
pub enum Opt {
    /// Not sent.
    Absent,
    /// Sent as null.
    Null,
    /// Sent.
    Text(String),
}

impl Opt {
    /// Absent one time in ten, null one in ten, else the text `make` draws.
    fn draw(rng: &mut Rng, make: impl FnOnce(&mut Rng) -> String) -> Opt {
        match rng.range(0, 9) {
            0 => Opt::Absent,
            1 => Opt::Null,
            _ => Opt::Text(make(rng)),
        }
    }

    /// As an HL7 field: empty, `""`, or the (already escaped) text.
    fn hl7(&self) -> &str {
        match self {
            Opt::Absent => "",
            Opt::Null => "\"\"",
            Opt::Text(t) => t,
        }
    }

    /// Into a JSON object under `key`, decoding HL7 escapes in the text.
    fn json(&self, object: &mut Map<String, Value>, key: &str) {
        match self {
            Opt::Absent => {}
            Opt::Null => {
                object.insert(key.into(), Value::Null);
            }
            Opt::Text(t) => {
                object.insert(key.into(), Value::String(unescape(t)));
            }
        }
    }
}

/// Decodes the escapes this generator writes (`\T\`, `\S\`, `\F\`, `\E\`).
fn unescape(text: &str) -> String {
    text.replace("\\T\\", "&")
        .replace("\\S\\", "^")
        .replace("\\F\\", "|")
        .replace("\\E\\", "\\")
}

/// A timestamp as HL7 writes it (`20240501143000+0200`) and as RFC 3339.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    /// `YYYYMMDDHHMMSS+HHMM`.
    pub hl7: String,
    /// `YYYY-MM-DDTHH:MM:SS+HH:MM`.
    pub rfc3339: String,
}

impl Stamp {
    fn draw(rng: &mut Rng) -> Stamp {
        let (y, mo, d) = (rng.range(2023, 2026), rng.range(1, 12), rng.range(1, 28));
        let (h, mi, s) = (rng.range(0, 23), rng.range(0, 59), rng.range(0, 59));
        let offset: i32 = [0, 100, 200, -500][rng.range(0, 3) as usize];
        let sign = if offset < 0 { '-' } else { '+' };
        let (oh, om) = (offset.abs() / 100, offset.abs() % 100);
        Stamp {
            hl7: format!("{y}{mo:02}{d:02}{h:02}{mi:02}{s:02}{sign}{oh:02}{om:02}"),
            rfc3339: format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{oh:02}:{om:02}"),
        }
    }
}

/// One OBX segment.
#[derive(Debug, Clone, PartialEq)]
pub struct LabResult {
    /// OBX-2: NM or ST.
    pub value_type: &'static str,
    /// OBX-3.1 and OBX-3.2.
    pub code: &'static str,
    /// OBX-3.2.
    pub name: &'static str,
    /// OBX-5.
    pub value: String,
    /// OBX-6.1.
    pub units: Opt,
    /// OBX-7.
    pub reference_range: Opt,
    /// OBX-8.
    pub abnormal_flag: Opt,
    /// OBX-11.
    pub status: &'static str,
    /// OBX-14.
    pub observed_at: Option<Stamp>,
}

/// One OBR segment and its results.
#[derive(Debug, Clone, PartialEq)]
pub struct LabOrder {
    /// OBR-2.1.
    pub placer: String,
    /// OBR-3.1.
    pub filler: Opt,
    /// OBR-4.1.
    pub test_code: &'static str,
    /// OBR-4.2.
    pub test_name: &'static str,
    /// OBR-7.
    pub collected_at: Stamp,
    /// OBR-16.1.
    pub ordering_provider: Opt,
    /// OBR-25.
    pub status: &'static str,
    /// The OBX segments after this OBR.
    pub results: Vec<LabResult>,
}

/// One ORU^R01 message.
#[derive(Debug, Clone, PartialEq)]
pub struct LabReport {
    /// MSH-10, `LAB-<n>`.
    pub control_id: String,
    /// MSH-7.
    pub message_time: Stamp,
    /// PID-3.1.
    pub patient_id: String,
    /// PID-3[2].1.
    pub alternate_patient_id: Opt,
    /// PID-5.1.
    pub family_name: Opt,
    /// PID-5.2.
    pub given_name: Opt,
    /// PID-7, `YYYYMMDD`.
    pub birth_date: Option<(u64, u64, u64)>,
    /// PID-8.
    pub sex: Opt,
    /// PV1-2; `None`: no PV1 segment.
    pub patient_class: Option<&'static str>,
    /// The OBR groups.
    pub orders: Vec<LabOrder>,
}

const TESTS: [(&str, &str); 4] = [
    ("24323-8", "Comprehensive metabolic panel"),
    ("58410-2", "CBC panel - Blood by Automated count"),
    ("57698-3", "Lipid panel with direct LDL"),
    ("24362-6", "Renal function panel"),
];

const ANALYTES: [(&str, &str, &str, &str); 6] = [
    ("2345-7", "Glucose", "mmol/L", "3.9-5.5"),
    ("2823-3", "Potassium", "mmol/L", "3.5-5.1"),
    ("718-7", "Hemoglobin", "g/dL", "12.0-16.0"),
    ("2093-3", "Cholesterol", "mmol/L", "<5.2"),
    ("2160-0", "Creatinine", "umol/L", "45-90"),
    ("777-3", "Platelets", "10*3/uL", "150-400"),
];

const FAMILIES: [&str; 6] = ["Doe", "Smith", "O'Brien", "Nguyen", "García", "Müller"];
const GIVEN: [&str; 5] = ["Jane", "John", "Aoife", "Minh", "José"];
const COMMENTS: [&str; 3] = [
    "Sample slightly haemolysed",
    "Potassium \\T\\ sodium: repeat advised",
    "See note \\S\\ call ward",
];

fn result(rng: &mut Rng) -> LabResult {
    if rng.chance(15) {
        return LabResult {
            value_type: "ST",
            code: "8251-1",
            name: "Service comment",
            value: COMMENTS[rng.range(0, 2) as usize].to_string(),
            units: Opt::Absent,
            reference_range: Opt::Absent,
            abnormal_flag: Opt::Absent,
            status: "F",
            observed_at: None,
        };
    }
    let (code, name, units, range) = ANALYTES[rng.range(0, 5) as usize];
    let value = format!("{}.{}", rng.range(1, 400), rng.range(0, 9));
    LabResult {
        value_type: "NM",
        code,
        name,
        value,
        units: Opt::draw(rng, |_| units.to_string()),
        reference_range: Opt::draw(rng, |_| range.to_string()),
        abnormal_flag: Opt::draw(rng, |rng| {
            ["N", "H", "L", "HH"][rng.range(0, 3) as usize].into()
        }),
        status: ["F", "F", "F", "P", "C"][rng.range(0, 4) as usize],
        observed_at: rng.chance(70).then(|| Stamp::draw(rng)),
    }
}

/// Report number `n` (its control id is `LAB-<n>`), its content drawn from `rng`.
pub fn report(rng: &mut Rng, n: u64) -> LabReport {
    let orders = (1..=rng.range(1, 3))
        .map(|k| {
            let (test_code, test_name) = TESTS[rng.range(0, 3) as usize];
            LabOrder {
                placer: format!("ORD-{n}-{k}"),
                filler: Opt::draw(rng, |rng| format!("F-{}", rng.range(1000, 99999))),
                test_code,
                test_name,
                collected_at: Stamp::draw(rng),
                ordering_provider: Opt::draw(rng, |rng| rng.range(1000, 9999).to_string()),
                status: ["F", "F", "P", "C"][rng.range(0, 3) as usize],
                results: (0..rng.range(1, 6)).map(|_| result(rng)).collect(),
            }
        })
        .collect();
    LabReport {
        control_id: format!("LAB-{n}"),
        message_time: Stamp::draw(rng),
        patient_id: format!("P{:07}", rng.range(1, 9_999_999)),
        alternate_patient_id: Opt::draw(rng, |rng| format!("{:010}", rng.range(1, 9_999_999_999))),
        family_name: Opt::draw(rng, |rng| FAMILIES[rng.range(0, 5) as usize].into()),
        given_name: Opt::draw(rng, |rng| GIVEN[rng.range(0, 4) as usize].into()),
        birth_date: rng
            .chance(90)
            .then(|| (rng.range(1930, 2020), rng.range(1, 12), rng.range(1, 28))),
        sex: Opt::draw(rng, |rng| ["F", "M", "U"][rng.range(0, 2) as usize].into()),
        patient_class: rng
            .chance(80)
            .then(|| ["O", "I", "E"][rng.range(0, 2) as usize]),
        orders,
    }
}

/// Reports `first ..= first + count - 1` from `seed`.
pub fn reports(seed: u64, first: u64, count: u64) -> Vec<LabReport> {
    let mut rng = Rng::new(seed ^ first.wrapping_mul(0x2545_F491_4F6C_DD1D));
    (first..first + count)
        .map(|n| report(&mut rng, n))
        .collect()
}

impl LabReport {
    /// The message as HL7 v2 (ER7): segments ended by `\r`.
    pub fn to_hl7(&self) -> String {
        let mut out = String::with_capacity(1024);
        let mut segment = |fields: &[&str]| {
            out.push_str(&fields.join("|"));
            out.push('\r');
        };
        segment(&[
            "MSH",
            "^~\\&",
            "LAB",
            "CITYHOSP",
            "EHR",
            "CITYHOSP",
            &self.message_time.hl7,
            "",
            "ORU^R01^ORU_R01",
            &self.control_id,
            "P",
            "2.5.1",
        ]);
        let alternate = match &self.alternate_patient_id {
            Opt::Text(id) => format!("~{id}^^^NHS^NH"),
            _ => String::new(),
        };
        let name = match (&self.family_name, &self.given_name) {
            (Opt::Absent, Opt::Absent) => String::new(),
            (f, g) => format!("{}^{}", f.hl7(), g.hl7()),
        };
        let birth = self
            .birth_date
            .map(|(y, m, d)| format!("{y}{m:02}{d:02}"))
            .unwrap_or_default();
        segment(&[
            "PID",
            "1",
            "",
            &format!("{}^^^CITYHOSP^MR{alternate}", self.patient_id),
            "",
            &name,
            "",
            &birth,
            self.sex.hl7(),
        ]);
        if let Some(class) = self.patient_class {
            segment(&[
                "PV1",
                "1",
                class,
                "CLINIC^12^1",
                "",
                "",
                "",
                "1234^Welby^Marcus",
            ]);
        }
        for (k, order) in self.orders.iter().enumerate() {
            let set_id = (k + 1).to_string();
            let test = format!("{}^{}^LN", order.test_code, order.test_name);
            let mut obr = vec![
                "OBR",
                &set_id,
                &order.placer,
                order.filler.hl7(),
                &test,
                "",
                "",
                &order.collected_at.hl7,
            ];
            obr.resize(17, "");
            obr[16] = order.ordering_provider.hl7();
            obr.resize(26, "");
            obr[22] = &order.collected_at.hl7;
            obr[25] = order.status;
            segment(&obr);
            for (j, r) in order.results.iter().enumerate() {
                let set_id = (j + 1).to_string();
                let code = format!("{}^{}^LN", r.code, r.name);
                let observed = r.observed_at.as_ref().map_or("", |s| s.hl7.as_str());
                segment(&[
                    "OBX",
                    &set_id,
                    r.value_type,
                    &code,
                    "",
                    &r.value,
                    r.units.hl7(),
                    r.reference_range.hl7(),
                    r.abnormal_flag.hl7(),
                    "",
                    "",
                    r.status,
                    "",
                    "",
                    observed,
                ]);
            }
        }
        out
    }

    /// The same report as the JSON document `crates/nomnom-bench/models/lab-json` reads.
    pub fn to_json(&self) -> Value {
        let mut report = Map::new();
        report.insert("control_id".into(), json!(self.control_id));
        report.insert("sending_application".into(), json!("LAB"));
        report.insert("sending_facility".into(), json!("CITYHOSP"));
        report.insert("message_time".into(), json!(self.message_time.rfc3339));
        report.insert("message_code".into(), json!("ORU"));
        report.insert("trigger_event".into(), json!("R01"));
        report.insert("processing_id".into(), json!("P"));
        report.insert("hl7_version".into(), json!("2.5.1"));
        report.insert("patient_id".into(), json!(self.patient_id));
        report.insert("patient_id_authority".into(), json!("CITYHOSP"));
        report.insert("patient_id_type".into(), json!("MR"));
        // HL7 has no way to send a second identifier as null: it is there or it is not.
        if let Opt::Text(id) = &self.alternate_patient_id {
            report.insert("alternate_patient_id".into(), json!(id));
        }
        self.family_name.json(&mut report, "family_name");
        self.given_name.json(&mut report, "given_name");
        if let Some((y, m, d)) = self.birth_date {
            report.insert("birth_date".into(), json!(format!("{y}-{m:02}-{d:02}")));
        }
        self.sex.json(&mut report, "sex");
        if let Some(class) = self.patient_class {
            report.insert("patient_class".into(), json!(class));
            report.insert("attending_doctor_id".into(), json!("1234"));
            report.insert("attending_doctor_name".into(), json!("Welby"));
        }
        let orders: Vec<Value> = self
            .orders
            .iter()
            .enumerate()
            .map(|(k, o)| {
                let mut order = Map::new();
                order.insert("set_id".into(), json!(k + 1));
                order.insert("placer_order_number".into(), json!(o.placer));
                o.filler.json(&mut order, "filler_order_number");
                order.insert("test_code".into(), json!(o.test_code));
                order.insert("test_name".into(), json!(o.test_name));
                order.insert("coding_system".into(), json!("LN"));
                order.insert("collected_at".into(), json!(o.collected_at.rfc3339));
                o.ordering_provider.json(&mut order, "ordering_provider_id");
                order.insert("reported_at".into(), json!(o.collected_at.rfc3339));
                order.insert("status".into(), json!(o.status));
                let results: Vec<Value> = o
                    .results
                    .iter()
                    .enumerate()
                    .map(|(j, r)| {
                        let mut result = Map::new();
                        result.insert("set_id".into(), json!(j + 1));
                        result.insert("value_type".into(), json!(r.value_type));
                        result.insert("code".into(), json!(r.code));
                        result.insert("name".into(), json!(r.name));
                        result.insert("coding_system".into(), json!("LN"));
                        result.insert("value".into(), json!(unescape(&r.value)));
                        r.units.json(&mut result, "units");
                        r.reference_range.json(&mut result, "reference_range");
                        r.abnormal_flag.json(&mut result, "abnormal_flag");
                        result.insert("status".into(), json!(r.status));
                        if let Some(at) = &r.observed_at {
                            result.insert("observed_at".into(), json!(at.rfc3339));
                        }
                        Value::Object(result)
                    })
                    .collect();
                order.insert("results".into(), Value::Array(results));
                Value::Object(order)
            })
            .collect();
        report.insert("orders".into(), Value::Array(orders));
        Value::Object(report)
    }

    /// Rows this report becomes: the report, its orders and their results.
    pub fn rows(&self) -> u64 {
        1 + self
            .orders
            .iter()
            .map(|o| 1 + o.results.len() as u64)
            .sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_deterministic_and_numbered() {
        let a = reports(7, 10, 20);
        assert_eq!(a, reports(7, 10, 20));
        assert_eq!(a[0].control_id, "LAB-10");
        assert_eq!(a[19].control_id, "LAB-29");
        assert_ne!(reports(8, 10, 20), a);
    }

    #[test]
    fn the_hl7_form_has_a_segment_per_group_and_result() {
        for r in reports(1, 1, 50) {
            let hl7 = r.to_hl7();
            let segments: Vec<&str> = hl7.split_terminator('\r').collect();
            assert!(segments[0].starts_with("MSH|^~\\&|LAB|"));
            assert_eq!(segments[0].split('|').nth(9), Some(r.control_id.as_str()));
            let count = |id: &str| segments.iter().filter(|s| s.starts_with(id)).count();
            assert_eq!(count("OBR|"), r.orders.len());
            let results: usize = r.orders.iter().map(|o| o.results.len()).sum();
            assert_eq!(count("OBX|"), results);
            assert_eq!(count("PV1|"), usize::from(r.patient_class.is_some()));
            // OBR-25 is the status: 25 separators before it.
            let obr = segments.iter().find(|s| s.starts_with("OBR|")).unwrap();
            assert_eq!(obr.split('|').nth(25), Some(r.orders[0].status));
        }
    }

    #[test]
    fn the_json_form_decodes_escapes_and_keeps_nulls_apart_from_absent_values() {
        let all = reports(3, 1, 200);
        let comment = all
            .iter()
            .flat_map(|r| r.orders.iter().flat_map(|o| &o.results))
            .find(|r| r.value.contains("\\T\\"))
            .expect("an escaped comment in 200 reports");
        assert!(comment.value.contains("\\T\\"));
        let report = all
            .iter()
            .find(|r| {
                r.orders
                    .iter()
                    .flat_map(|o| &o.results)
                    .any(|x| x == comment)
            })
            .unwrap();
        let text = report.to_json().to_string();
        assert!(text.contains("Potassium & sodium"));
        let nulls = all
            .iter()
            .find(|r| r.family_name == Opt::Null)
            .expect("a null family name");
        assert_eq!(nulls.to_json()["family_name"], Value::Null);
        let absent = all
            .iter()
            .find(|r| r.family_name == Opt::Absent)
            .expect("an absent family name");
        assert!(absent.to_json().get("family_name").is_none());
        assert_eq!(
            report.rows(),
            1 + report
                .orders
                .iter()
                .map(|o| 1 + o.results.len() as u64)
                .sum::<u64>()
        );
    }
}
