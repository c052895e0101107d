//! The model the `hl7_message` target reads: the `hl7-lab` example's
//! (`examples/hl7-lab/nomnom.yaml`), as `nomnom generate` states it (its snapshot:
//! `crates/nomnom-codegen/tests/golden/hl7-lab/src/entities.rs`): an ORU^R01 report, its
//! orders (OBR) and their results (the OBX after each OBR).

use nomnom_runtime::types::{DateTime, Decimal, NaiveDate, Utc};
use nomnom_runtime::Entity;
/// One ORU^R01 message, a lab's report of results for one patient.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "lab_reports", key(control_id), compute(patient_name), hl7)]
pub struct LabReport {
    /// The message control id the sender gave the message (MSH-10), unique per sender.
    #[field(hl7 = "MSH-10", max_length = 199)]
    pub control_id: String,
    #[field(hl7 = "MSH-3", max_length = 227)]
    pub sending_application: Option<String>,
    #[field(hl7 = "MSH-4", max_length = 227)]
    pub sending_facility: Option<String>,
    /// When the sender created the message; without an offset, read in HL7_TIMEZONE.
    #[field(hl7 = "MSH-7")]
    pub message_time: DateTime<Utc>,
    #[field(hl7 = "MSH-9.1", store = false, one_of("ORU"))]
    pub message_code: String,
    #[field(hl7 = "MSH-9.2", store = false, one_of("R01"))]
    pub trigger_event: String,
    /// P production, T training, D debugging (HL7 table 0103).
    #[field(hl7 = "MSH-11", one_of("P", "T", "D"))]
    pub processing_id: String,
    #[field(hl7 = "MSH-12", pattern = "2\\.[0-9](\\.[0-9])?")]
    pub hl7_version: String,
    #[field(hl7 = "PID-3.1", max_length = 20)]
    pub patient_id: String,
    /// Who assigned patient_id (the namespace of its assigning authority).
    #[field(hl7 = "PID-3.4.1")]
    pub patient_id_authority: Option<String>,
    #[field(hl7 = "PID-3.5", default = "MR")]
    pub patient_id_type: Option<String>,
    /// The patient's second identifier (PID-3 repeats), such as a national number.
    #[field(hl7 = "PID-3[2].1")]
    pub alternate_patient_id: Option<String>,
    #[field(hl7 = "PID-5.1")]
    pub family_name: Option<String>,
    #[field(hl7 = "PID-5.2")]
    pub given_name: Option<String>,
    /// Computed: `concat_ws(', ', family_name, given_name)`.
    #[field(computed)]
    pub patient_name: String,
    /// HL7 may send a year or a month only (`1980`, `198002`); it reads as its first day.
    #[field(hl7 = "PID-7")]
    pub birth_date: Option<NaiveDate>,
    #[field(hl7 = "PID-8", one_of("F", "M", "O", "U", "A", "N"))]
    pub sex: Option<String>,
    /// Null when the message has no PV1 segment (HL7 table 0004).
    #[field(hl7 = "PV1-2", one_of("E", "I", "O", "P", "R", "B", "C", "N", "U"))]
    pub patient_class: Option<String>,
    #[field(hl7 = "PV1-7.1")]
    pub attending_doctor_id: Option<String>,
    #[field(hl7 = "PV1-7.2")]
    pub attending_doctor_name: Option<String>,
    #[field(hl7 = "OBR", children)]
    pub orders: Vec<LabOrder>,
}

/// One ordered test or panel (an OBR segment).
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(
    table = "lab_orders",
    key(control_id, set_id),
    parent = LabReport,
    segment = "OBR"
)]
pub struct LabOrder {
    #[field(from_parent = control_id)]
    pub control_id: String,
    #[field(hl7 = "OBR-1", min = 1)]
    pub set_id: i64,
    #[field(hl7 = "OBR-2.1")]
    pub placer_order_number: Option<String>,
    #[field(hl7 = "OBR-3.1")]
    pub filler_order_number: Option<String>,
    #[field(hl7 = "OBR-4.1")]
    pub test_code: String,
    #[field(hl7 = "OBR-4.2")]
    pub test_name: Option<String>,
    #[field(hl7 = "OBR-4.3")]
    pub coding_system: Option<String>,
    /// When the specimen was collected (the observation date/time).
    #[field(hl7 = "OBR-7")]
    pub collected_at: Option<DateTime<Utc>>,
    #[field(hl7 = "OBR-16.1")]
    pub ordering_provider_id: Option<String>,
    #[field(hl7 = "OBR-22")]
    pub reported_at: Option<DateTime<Utc>>,
    /// The status of the order's results (HL7 table 0123; F final, P preliminary, C corrected).
    #[field(
        hl7 = "OBR-25",
        one_of("O", "I", "S", "A", "P", "C", "R", "F", "X", "Y", "Z")
    )]
    pub status: Option<String>,
    #[field(hl7 = "OBX", group_ends("OBR"), children)]
    pub results: Vec<LabResult>,
}

/// One observation of an order (an OBX segment).
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(
    table = "lab_results",
    key(control_id, order_set_id, set_id),
    parent = LabOrder,
    compute(numeric_value, reference_low, reference_high),
    segment = "OBX"
)]
pub struct LabResult {
    #[field(from_parent = control_id)]
    pub control_id: String,
    #[field(from_parent = set_id)]
    pub order_set_id: i64,
    #[field(hl7 = "OBX-1", min = 1)]
    pub set_id: i64,
    /// How OBX-5 is written (HL7 table 0125), such as NM numeric, ST string, CWE coded.
    #[field(hl7 = "OBX-2")]
    pub value_type: String,
    #[field(hl7 = "OBX-3.1")]
    pub code: String,
    #[field(hl7 = "OBX-3.2")]
    pub name: Option<String>,
    #[field(hl7 = "OBX-3.3")]
    pub coding_system: Option<String>,
    #[field(hl7 = "OBX-4")]
    pub sub_id: Option<String>,
    /// The value as sent (its first component, such as the code of a coded value).
    #[field(hl7 = "OBX-5")]
    pub value: Option<String>,
    /// The value as a number when OBX-2 says it is one (NM); null for other value types. Computed: `lookup(value_type, 'NM', to_decimal(value))`.
    #[field(computed)]
    pub numeric_value: Option<Decimal>,
    #[field(hl7 = "OBX-6.1")]
    pub units: Option<String>,
    #[field(hl7 = "OBX-7")]
    pub reference_range: Option<String>,
    /// The low end of a range written `low-high`; null for other forms (`<200`, `negative`). Computed: `to_decimal(regex_capture(reference_range, '^ *(-?[0-9]+(?:[.][0-9]+)?) *- *(-?[0-9]+(?:[.][0-9]+)?) *$', 1))`.
    #[field(computed)]
    pub reference_low: Option<Decimal>,
    /// Computed: `to_decimal(regex_capture(reference_range, '^ *(-?[0-9]+(?:[.][0-9]+)?) *- *(-?[0-9]+(?:[.][0-9]+)?) *$', 2))`.
    #[field(computed)]
    pub reference_high: Option<Decimal>,
    /// L low, H high, LL/HH critical, N normal, A abnormal... (HL7 table 0078).
    #[field(hl7 = "OBX-8")]
    pub abnormal_flag: Option<String>,
    /// The status of this result (HL7 table 0085; F final, C corrected, P preliminary).
    #[field(
        hl7 = "OBX-11",
        one_of("C", "D", "F", "I", "N", "O", "P", "R", "S", "U", "W", "X")
    )]
    pub status: String,
    #[field(hl7 = "OBX-14")]
    pub observed_at: Option<DateTime<Utc>>,
}
