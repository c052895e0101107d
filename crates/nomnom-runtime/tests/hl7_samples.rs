//! The public sample messages other HL7 parsers test with (python-hl7's and HAPI's, see
//! `tests/hl7-samples/README.md`), read at several paths each. The expected values were read
//! off the messages by hand (field numbers counted with a plain split on `|`).

use chrono::{DateTime, NaiveDate, Utc};
use nomnom_runtime::hl7::{
    ack_with, split_batch, to_date, to_decimal, to_float, to_integer, to_timestamp, AckCode,
    HexCharset, Message, Path, SegmentId, Tz, Value,
};

fn sample(name: &str) -> String {
    let path = format!("{}/tests/hl7-samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn path(text: &str) -> Path {
    Path::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// The text at `p`, `None` when absent, `Some("<null>")` for an explicit null.
fn at(m: &Message<'_>, p: &str) -> Option<String> {
    match m.get(&path(p)) {
        Value::Absent => None,
        Value::Null => Some("<null>".to_string()),
        Value::Text(t) => Some(t.into_owned()),
    }
}

/// Asserts every `(path, expected)` pair.
fn expect(m: &Message<'_>, pairs: &[(&str, Option<&str>)]) {
    for (p, want) in pairs {
        assert_eq!(at(m, p).as_deref(), *want, "at {p}");
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn id(text: &str) -> SegmentId {
    SegmentId::parse(text).unwrap()
}

/// The ACK of `m` parses and echoes the header as the standard asks.
fn check_ack(m: &Message<'_>) {
    let now = utc("2024-03-15T13:42:59Z");
    let ack = ack_with(m, AckCode::Accept, None, now, "ACK1");
    let a = Message::parse(&ack).unwrap_or_else(|e| panic!("{e}: {ack:?}"));
    let raw = |m: &Message<'_>, n: usize| m.msh().raw_field(n).unwrap_or("").to_string();
    assert_eq!(raw(&a, 3), raw(m, 5));
    assert_eq!(raw(&a, 4), raw(m, 6));
    assert_eq!(raw(&a, 5), raw(m, 3));
    assert_eq!(raw(&a, 6), raw(m, 4));
    assert_eq!(raw(&a, 11), raw(m, 11));
    assert_eq!(raw(&a, 12), raw(m, 12));
    assert_eq!(at(&a, "MSH-9").as_deref(), Some("ACK"));
    assert_eq!(at(&a, "MSH-9.2"), at(m, "MSH-9.2"));
    assert_eq!(at(&a, "MSH-10").as_deref(), Some("ACK1"));
    assert_eq!(at(&a, "MSA-1").as_deref(), Some("AA"));
    assert_eq!(
        a.segments_of(id("MSA")).next().unwrap().raw_field(2),
        m.msh().raw_field(10)
    );
    assert_eq!(a.segment_count(), 2);
}

#[test]
fn python_hl7_sample_hl7_an_oru_with_results() {
    let text = sample("python-hl7/sample_hl7.hl7");
    let m = Message::parse(&text).unwrap();
    assert_eq!(m.segment_count(), 5);
    expect(
        &m,
        &[
            ("MSH-1", Some("|")),
            ("MSH-2", Some("^~\\&")),
            ("MSH-3", Some("GHH LAB")),
            ("MSH-4", Some("ELAB-3")),
            ("MSH-5", Some("GHH OE")),
            ("MSH-9", Some("ORU")),
            ("MSH-9.2", Some("R01")),
            ("MSH-10", Some("CNTRL-3456")),
            ("MSH-12", Some("2.4")),
            ("PID-3", Some("555-44-4444")),
            ("PID-5", Some("EVERYWOMAN")),
            ("PID-5.2", Some("EVE")),
            ("PID-5.7", Some("L")),
            ("PID-5.8", None),
            ("PID-6", Some("JONES")),
            ("PID-11.3", Some("STATESVILLE")),
            ("PID-18", Some("AC555444444")),
            ("OBR-4", Some("1554-5")),
            ("OBR-4.2", Some("GLUCOSE")),
            ("OBR-15.9", Some("LEVEL SEVEN HEALTHCARE, INC.")),
            ("OBX-3.3", Some("POST 12H CFST:MCNC:PT:SER/PLAS:QN")),
            ("OBX-5", None),
            ("OBX-5.2", Some("182")),
            ("OBX[2]-2", Some("FN")),
            ("OBX[2]-3", Some("1553-5")),
            ("OBX-6", Some("mg/dl")),
            ("OBX-7", Some("70_105")),
            ("OBX[3]-1", None),
        ],
    );
    let msh7 = at(&m, "MSH-7").unwrap();
    assert_eq!(
        to_timestamp(&msh7, Tz::UTC).unwrap(),
        utc("2002-02-15T09:30:00Z")
    );
    assert_eq!(to_integer(&at(&m, "PID-11.5").unwrap()).unwrap(), 35292);
    assert_eq!(to_integer(&at(&m, "OBX-5.2").unwrap()).unwrap(), 182);
    // PID-7 is `196203520`: nine digits, not a DTM.
    let err = to_date(&at(&m, "PID-7").unwrap()).unwrap_err();
    assert!(err.message().contains("is not an HL7 date"), "{err}");
    assert_eq!(
        err.at(&path("PID-7")).to_string(),
        format!("PID-7: {}", err.message())
    );
    let obr = m.segments_of(id("OBR")).next().unwrap();
    let results: Vec<_> = m
        .segments_after(&obr, id("OBX"), &[id("OBR")])
        .map(|s| s.index())
        .collect();
    assert_eq!(results, [3, 4]);
    check_ack(&m);
}

#[test]
fn python_hl7_rep_sample_components_subcomponents_repetitions() {
    let text = sample("python-hl7/rep_sample_hl7.hl7");
    let m = Message::parse(&text).unwrap();
    expect(
        &m,
        &[
            ("PID-1", Some("Field1")),
            ("PID-2", Some("Component1")),
            ("PID-2.2", Some("Component2")),
            ("PID-3", Some("Component1")),
            ("PID-3.2", Some("Sub-Component1")),
            ("PID-3.2.1", Some("Sub-Component1")),
            ("PID-3.2.2", Some("Sub-Component2")),
            ("PID-3.2.3", None),
            ("PID-3.3", Some("Component3")),
            ("PID-3.4", None),
            ("PID-4", Some("Repeat1")),
            ("PID-4[1]", Some("Repeat1")),
            ("PID-4[2]", Some("Repeat2")),
            ("PID-4[2].1", Some("Repeat2")),
            ("PID-4[3]", None),
            ("MSH-20", None),
        ],
    );
    let pid = m.segment(1).unwrap();
    assert_eq!(pid.repetition_count(4), 2);
    assert_eq!(pid.field_count(), 4);
    // python-hl7's test_empty_initial_repetition: `|~Repeat2|`.
    let emptied = text.replace("Repeat1", "");
    let m = Message::parse(&emptied).unwrap();
    expect(&m, &[("PID-4", None), ("PID-4[2]", Some("Repeat2"))]);
}

#[test]
fn python_hl7_sample_msh_nulls_and_repeated_segments() {
    let text = sample("python-hl7/sample_msh.hl7");
    let m = Message::parse(&text).unwrap();
    expect(
        &m,
        &[
            ("MSH-3", Some("HNAM_PM")),
            ("MSH-9", Some("ADT")),
            ("MSH-9.2", Some("A01")),
            ("MSH-10", Some("Q150084616T145947960")),
            ("MSH-12", Some("2.3")),
            ("PID-2", Some("2148790")),
            ("PID-3[2]", Some("162840")),
            ("PID-3[2].4", Some("MSH_EMPI")),
            ("PID-4[2].5", Some("DONOR ")),
            ("PID-4[3]", Some("Q2147670")),
            ("PID-5.7", Some("CURRENT")),
            ("PID-11.3", Some("BRONX")),
            ("PID-13[2]", Some("(000)000-0000")),
            ("PID-13[2].2", Some("ALTERNATE")),
            ("PID-15", Some("ENGLISH")),
            ("PID-18.4", Some("MSH_FIN_NBR")),
            ("PV1-5", Some(" 863968")),
            ("PV1-6", None),
            ("PV1-8.2", Some("FARP")),
            ("PV1-9", Some("<null>")),
            ("PV1-10", Some("NUR")),
            ("PV1-20[2]", Some("SLF")),
            ("PV1-45", Some("<null>")),
            ("DG1-3.2", Some("ATHEROSCLEROSIS W/INT CLAUDCTN")),
            ("DG1-5", Some("<null>")),
            ("IN1-2", Some("A10A")),
            ("IN1-5", Some("PO BOX 223")),
            ("IN1-5.2", Some("<null>")),
            ("IN1-5.3", Some("NEW YORK")),
            ("IN1-5.9", Some("<null>")),
            ("IN1-5.10", None),
            ("IN1-14", Some("25892261")),
            ("IN1-14.2", Some("<null>")),
            ("IN1[2]-2", Some("GMED")),
            ("IN1[2]-3", Some("<null>")),
            ("IN1[3]-4", Some("SELF-PAY")),
            ("IN1[4]-1", None),
            ("IN2[2]-2", Some("062420044")),
        ],
    );
    assert_eq!(
        to_date(&at(&m, "PID-7").unwrap()).unwrap(),
        NaiveDate::from_ymd_opt(1952, 11, 29).unwrap()
    );
    assert_eq!(
        to_timestamp(
            &at(&m, "PV1-44").unwrap(),
            "America/New_York".parse().unwrap()
        )
        .unwrap(),
        utc("2014-02-11T03:53:00Z")
    );
    let dg1_13 = at(&m, "DG1-13").unwrap();
    assert_eq!(to_decimal(&dg1_13).unwrap().to_string(), "0.00");
    assert_eq!(to_float(&dg1_13).unwrap(), 0.0);
    assert_eq!(to_integer(&at(&m, "PV1-1").unwrap()).unwrap(), 1);
    assert_eq!(m.segments_of(id("IN1")).count(), 3);
    // Each insurance's IN2 follows it, up to the next IN1.
    let in1: Vec<_> = m.segments_of(id("IN1")).collect();
    let in2_counts: Vec<_> = in1
        .iter()
        .map(|s| m.segments_after(s, id("IN2"), &[id("IN1")]).count())
        .collect();
    assert_eq!(in2_counts, [1, 1, 0]);
    // `MSH_MRN` inside values does not start a message (python-hl7 issue 39).
    let parts = split_batch(&text).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].text, text);
    check_ack(&m);
}

#[test]
fn python_hl7_plain_consecutive_messages_split() {
    let text = sample("python-hl7/sample_batch2.hl7");
    let parts = split_batch(&text).unwrap();
    assert_eq!(parts.len(), 2);
    let ids: Vec<_> = parts
        .iter()
        .map(|p| {
            assert_eq!(&text[p.range.clone()], p.text);
            let m = Message::parse(p.text).unwrap();
            assert_eq!(m.segment_count(), 6);
            expect(
                &m,
                &[
                    ("MSH-9.3", Some("ADT_A01")),
                    ("PID-3.5", Some("A")),
                    ("PID-5.7", Some("S")),
                    ("PV1-6.6", Some("1")),
                    ("MSH-17", Some("AU")),
                    ("MSH-18", Some("ASCII")),
                ],
            );
            assert_eq!(
                to_date(&at(&m, "PID-7").unwrap()).unwrap(),
                NaiveDate::from_ymd_opt(1013, 11, 13).unwrap()
            );
            assert_eq!(
                to_timestamp(&at(&m, "EVN-2").unwrap(), Tz::UTC).unwrap(),
                utc("2006-07-05T00:00:00Z")
            );
            at(&m, "MSH-10").unwrap()
        })
        .collect();
    assert_eq!(ids, ["12334456778890", "12334456778891"]);
    assert_eq!(parts[0].range.start, 0);
    assert_eq!(parts[0].range.end, parts[1].range.start);
    assert_eq!(parts[1].range.end, text.len());
}

#[test]
fn python_hl7_file_with_two_batches_splits_into_three_messages() {
    let text = sample("python-hl7/sample_file1.hl7");
    let parts = split_batch(&text).unwrap();
    assert_eq!(parts.len(), 3);
    let mut last_end = 0;
    for p in &parts {
        assert!(p.range.start >= last_end);
        last_end = p.range.end;
        assert!(p.text.starts_with("MSH|"));
        for envelope in ["FHS", "BHS", "BTS", "FTS"] {
            assert!(!p.text.contains(envelope), "{envelope} in {:?}", p.text);
        }
        let m = Message::parse(p.text).unwrap();
        assert_eq!(at(&m, "PV1-2").as_deref(), Some("O"));
    }
    let ids: Vec<_> = parts
        .iter()
        .map(|p| at(&Message::parse(p.text).unwrap(), "MSH-10").unwrap())
        .collect();
    assert_eq!(ids, ["12334456778890", "12334456778891", "12334456778890"]);
    // The whole file is not one message.
    let err = Message::parse(&text).unwrap_err();
    assert!(err.message().contains("FHS"), "{err}");
}

#[test]
fn python_hl7_bad_batch_is_refused_at_the_second_bhs() {
    let text = sample("python-hl7/sample_bad_batch1.hl7");
    let err = split_batch(&text).unwrap_err();
    assert!(err.message().contains("second BHS"), "{err}");
    assert!(text[err.offset()..].starts_with("BHS|^~\\&||ABCHS||AUSDHSV|20070101123402"));
}

#[test]
fn hapi_cv04_chemistry_response_with_newlines_and_an_offset() {
    let text = sample("hapi/cv.04_001_chem.hl7");
    assert!(text.contains('\n') && !text.contains('\r'));
    let m = Message::parse(&text).unwrap();
    assert_eq!(m.segment_count(), 7);
    assert_eq!(m.encoding().hex_charset(), HexCharset::Latin1);
    expect(
        &m,
        &[
            ("MSH-3", None),
            ("MSH-3.2", Some("OLIS")),
            ("MSH-3.3", Some("X500")),
            ("MSH-5.2", Some("2.16.840.1.113883.3.59.3:0947")),
            ("MSH-9.3", Some("ERP_R09")),
            ("MSH-10", Some("bf3dd577-2108-47ad-abd2-4f06284f3b55")),
            ("MSH-11", Some("T")),
            ("MSH-12", Some("2.3.1")),
            ("MSH-18", Some("8859/1")),
            ("MSA-1", Some("AA")),
            ("MSA-2", Some("212137")),
            ("QAK-2", Some("OK")),
            ("ERQ-2", Some("R09")),
            ("ERQ-3", Some("@PID.3.1")),
            ("ERQ-3[8]", Some("@PID.7")),
            ("ERQ-3[8].2", Some("19740209")),
            ("ERQ-3[17]", Some("@ORC.4.4")),
            ("ERQ-3[18]", None),
            ("PID-3", Some("1011848460")),
            ("PID-3.5", Some("JHN")),
            ("PID-3.9", Some("ON")),
            ("PID-3.9.2", Some("ONTARIO")),
            ("PID-3.9.3", Some("HL70347")),
            ("PID-5", Some("WXSSXY")),
            ("PID-5.3", Some("RHONDA")),
            ("PID-11[2]", Some("10 Mailing Address Ave")),
            ("PID-11[2].3", Some("Toronto")),
            ("PID-13[3].4", Some("email@address.com")),
            ("PID-14[2].3", Some("FX")),
            ("NTE-4.2", Some("REMARK")),
            ("ZNT-1.2", Some("2.16.840.1.113883.3.59.1:4006")),
        ],
    );
    assert_eq!(m.segment(3).unwrap().repetition_count(3), 17);
    assert_eq!(
        to_timestamp(&at(&m, "MSH-7").unwrap(), Tz::UTC).unwrap(),
        utc("2013-09-26T19:04:34Z")
    );
    assert_eq!(
        to_date(&at(&m, "PID-7").unwrap()).unwrap(),
        NaiveDate::from_ymd_opt(1974, 2, 9).unwrap()
    );
    check_ack(&m);
}

#[test]
fn hapi_omd_o03_repetitions_and_subcomponents() {
    let text = sample("hapi/omd_o03_rep.hl7");
    assert!(!text.ends_with('\n'));
    let m = Message::parse(&text).unwrap();
    assert_eq!(m.segment_count(), 9);
    expect(
        &m,
        &[
            ("MSH-4", Some("1")),
            ("MSH-4.2", Some("DOMINION")),
            ("MSH-15", Some("ER")),
            ("MSH-16", Some("AL")),
            ("PID-3", Some("CIPNUM")),
            ("PID-3.4", Some("CAEX")),
            ("PID-3.9", Some("EX")),
            ("PID-3.9.2", None),
            ("PID-3.9.3", Some("ES-EX")),
            ("PID-3[2]", Some("CIPTWO")),
            ("PID-5.2", Some("VICTOR HUGO")),
            ("PID-32", Some("A")),
            ("PID-32[2]", Some("B")),
            ("PV1-3.3", Some("51C302-1")),
            ("PV1-3.10.3", Some("UH TERCERA 1 HSPA")),
            ("PV1-19.10.2", Some("APARATO DIGESTIVO")),
            ("ORC-10.3", Some("HERNAME")),
            ("ODS-1", Some("D")),
            ("ODS[4]-3.2", Some("DIABETICO")),
            ("ODS[5]-1", None),
        ],
    );
    assert_eq!(m.segments_of(id("ODS")).count(), 4);
    assert_eq!(
        to_date(&at(&m, "PID-7").unwrap()).unwrap(),
        NaiveDate::from_ymd_opt(1974, 3, 25).unwrap()
    );
    assert_eq!(
        to_timestamp(&at(&m, "TQ1-7").unwrap(), "Europe/Madrid".parse().unwrap()).unwrap(),
        utc("2010-11-16T23:00:00Z")
    );
    check_ack(&m);
}

#[test]
fn hapi_escape_test_message_decodes_field_escapes_and_keeps_formatting() {
    let text = sample("hapi/escape_formatting_oru.hl7");
    let m = Message::parse(&text).unwrap();
    expect(
        &m,
        &[
            ("MSH-9", Some("ORU")),
            ("MSH-9.2", None),
            ("MSH-10", Some("5951")),
            ("PID-5.3", Some("DIAMOND")),
            ("OBR-4.2", Some("CHOLESTEROL (SERUM)")),
            ("OBR-4.3", Some("HL79901 literal")),
            ("OBX-3.2", Some("Cholesterol-serum")),
            ("OBX-6", Some("mmol/L")),
            ("OBX[2]-2", Some("FT")),
            ("OBX[2]-5", Some("Lab STP")),
        ],
    );
    let note = at(&m, "NTE-3").unwrap();
    assert!(note.starts_with(
        "\\.br\\                  Lipid - Target Levels for Treatment \\.br\\\\.br\\"
    ));
    assert!(
        note.contains("\\.br\\  |  Risk   |                  |"),
        "{note}"
    );
    assert!(note.contains("|High*    |      >=20%       | Primary:   LDL-C    <2.0 mmol/L |"));
    assert!(note.ends_with("Ref:  McPherson R et al. Can J Cardiol. 2006 Sep;22(11):913-27"));
    assert!(!note.contains("\\F\\"));
    assert_eq!(
        to_decimal(&at(&m, "OBX-5").unwrap()).unwrap().to_string(),
        "2.30"
    );
    assert_eq!(
        to_timestamp(
            &at(&m, "OBX-14").unwrap(),
            "America/Toronto".parse().unwrap()
        )
        .unwrap(),
        utc("2009-11-23T20:08:00Z")
    );
    let ack = ack_with(&m, AckCode::Accept, None, utc("2024-01-01T00:00:00Z"), "9");
    assert!(ack.contains("|ACK^^ACK|9|T|2.3\r"), "{ack}");
    check_ack(&m);
}

#[test]
fn hapi_siu_nested_groups_read_as_child_rows() {
    let text = sample("hapi/siu_s12_nested_groups.hl7");
    let m = Message::parse(&text).unwrap();
    expect(
        &m,
        &[
            ("MSH-3", Some("ORSOS")),
            ("MSH-5", Some("PRECASE")),
            ("MSH-5.2", Some("SCHEDULING")),
            ("MSH-9.2", Some("S14")),
            ("MSH-10", Some(" 38762")),
            ("SCH-10.2", Some("MINUTES")),
            ("RGS[4]-1", Some("4")),
            (
                "AIS[2]-3.2",
                Some("BYPASS AORTOCORONARY USING RADIAL ARTERY"),
            ),
        ],
    );
    assert_eq!(to_integer(&at(&m, "MSH-10").unwrap()).unwrap(), 38762);
    assert_eq!(
        to_timestamp(&at(&m, "SCH-11.4").unwrap(), Tz::UTC).unwrap(),
        utc("2010-04-07T16:10:00Z")
    );
    let (rgs, ais, aip) = (id("RGS"), id("AIS"), id("AIP"));
    let resources: Vec<_> = m.segments_of(rgs).collect();
    assert_eq!(resources.len(), 4);
    let set_id = path("RGS-1");
    let aip_person = path("AIP-3.2");
    for (i, r) in resources.iter().enumerate() {
        assert_eq!(r.get(&set_id).text(), Some((i + 1).to_string().as_str()));
        assert_eq!(m.segments_after(r, ais, &[rgs]).count(), 1);
        let people: Vec<_> = m
            .segments_after(r, aip, &[rgs])
            .map(|s| {
                m.get_in(Some(&s), &aip_person)
                    .into_text()
                    .unwrap()
                    .into_owned()
            })
            .collect();
        assert_eq!(people.len(), 1);
        assert_eq!(people[0], ["ALRADI", "AUNE", "ANGELINI", "ASTA"][i]);
    }
    check_ack(&m);
}

#[test]
fn hapi_two_pids_are_two_occurrences() {
    let text = sample("hapi/adt_a17_two_pid.hl7");
    let m = Message::parse(&text).unwrap();
    expect(
        &m,
        &[
            ("PID-1", Some("1")),
            ("PID[1]-1", Some("1")),
            ("PID[2]-1", Some("2")),
            ("PID-3[2]", Some("9635915532")),
            ("PID-3[2].2", Some("vp")),
            ("PID-3[3]", None),
            ("PID[2]-5", Some("Lex")),
            ("PID[2]-5.12", Some("200905030044")),
            ("PID[2]-11.3", Some("Toronto")),
            ("PID[2]-15.2", Some(" English")),
            ("PID[3]-1", None),
            ("PV1-3.12", Some("185 2 16")),
            ("EVN-7.2", Some("4265")),
            ("BLG-3", Some("MOHLTC")),
        ],
    );
    let first_pid = m.segments_of(id("PID")).next().unwrap();
    assert_eq!(first_pid.repetition_count(3), 3);
    let second_pid = m.segments_of(id("PID")).nth(1).unwrap();
    assert_eq!(
        m.get_in(Some(&second_pid), &path("PID-5")).text(),
        Some("Lex")
    );
    assert_eq!(
        m.get_in(Some(&second_pid), &path("PV1-44")).text(),
        Some("200905030022")
    );
    check_ack(&m);
}

#[test]
fn hapi_repeating_obx_with_fractional_time_and_offset() {
    let text = sample("hapi/oru_r01_repeating_obx.hl7");
    let m = Message::parse(&text).unwrap();
    expect(
        &m,
        &[
            ("MSH-3", None),
            ("MSH-3.2", Some("QueryServices")),
            ("MSH-11", Some("D")),
            ("ORC-1", None),
            ("OBX-1", Some("1")),
            ("OBX[3]-1", Some("3")),
            ("NTE-3", Some("test")),
        ],
    );
    assert_eq!(
        to_timestamp(&at(&m, "MSH-7").unwrap(), Tz::UTC).unwrap(),
        utc("2002-10-11T21:17:56.297Z")
    );
    assert_eq!(m.segment(1).unwrap().field_count(), 1);
    let orc = m.segments_of(id("ORC")).next().unwrap();
    assert_eq!(m.segments_after(&orc, id("OBX"), &[id("ORC")]).count(), 3);
    check_ack(&m);
}
