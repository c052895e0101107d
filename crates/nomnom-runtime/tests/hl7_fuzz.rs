//! The HL7 parser never panics and keeps its invariants: thousands of mutated sample messages
//! and random bytes (a seed printed, so a failure reproduces) go through `Message::parse`, every
//! accessor, the batch splitter, the ACK writer, `Path::parse`, the escapes and the
//! conversions. Each test stops after its count or its time budget, whichever comes first
//! (`NOMNOM_FUZZ_CASES`, `NOMNOM_FUZZ_SECONDS`), and prints its seed (`NOMNOM_FUZZ_SEED`
//! replays it): see `nomnom_testkit::mutate`. The `hl7_message` fuzz target
//! (`tests/fuzz_corpora.rs`) reads messages as the model's records.

use std::borrow::Cow;
use std::time::Instant;

use nomnom_runtime::hl7::{
    ack_with, escape, split_batch, split_batch_bytes, to_date, to_decimal, to_float, to_integer,
    to_timestamp, AckCode, AckError, Encoding, ErrorCode, Message, Path, SegmentId, Tz, Value,
};
use nomnom_testkit::mutate::{seed_from_env, Budget, Mutate, Mutator, RecordMutator, Rng};

fn samples() -> Vec<String> {
    let dir = format!("{}/tests/hl7-samples", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for sub in ["python-hl7", "hapi"] {
        let mut names: Vec<_> = std::fs::read_dir(format!("{dir}/{sub}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for name in names {
            out.push(std::fs::read_to_string(name).unwrap());
        }
    }
    out.push(
        "MSH|^~\\&#|LAB|ACME|EHR|CLINIC|20240815081500+0200||ORU^R01^ORU_R01|MSG1|P|2.7\r\
         PID|1||1^^^A&1.2&ISO~2||Müller\\T\\Söhne^日本\\S\\語^\\XC3A9\\||20240229\r\
         OBR|1|||A^b\\F\\c\r\
         OBX|1|NM|x||-1.50|\"\"|\\H\\hi\\N\\|\\Xff\\|#trunc\r"
            .to_string(),
    );
    out.push("MSH$%~\\&$A$B\nPID$$$1%2~3$$X\r\n".to_string());
    out
}

/// Every invariant of a parsed message, and every accessor run over it.
fn check_message(text: &str, m: &Message<'_>, rng: &mut Rng) {
    assert!(m.segment_count() >= 1);
    assert_eq!(m.msh().id(), SegmentId::MSH);
    let enc = *m.encoding();
    let delimiters = [
        enc.field(),
        enc.component(),
        enc.repetition(),
        enc.escape(),
        enc.subcomponent(),
    ];
    for (i, a) in delimiters.iter().enumerate() {
        assert!(a.is_ascii_punctuation());
        assert!(!delimiters[..i].contains(a));
    }
    let mut last_end = 0;
    for (i, s) in m.segments().enumerate() {
        assert_eq!(s.index(), i);
        assert!(s.offset() >= last_end);
        last_end = s.offset() + s.text().len();
        assert_eq!(&text[s.offset()..last_end], s.text());
        assert!(!s.text().contains(['\r', '\n']));
        assert!(s.text().starts_with(s.id().as_str()));
        assert!(SegmentId::parse(s.id().as_str()) == Some(s.id()));
        assert!(i == 0 || s.id() != SegmentId::MSH);
        let count = s.field_count();
        if count > 0 {
            assert!(s.raw_field(count).is_some());
        }
        assert!(s.raw_field(count + 1).is_none());
        assert!(s.raw_field(0).is_none());
        for field in 1..=(count + 1).min(40) {
            let reps = s.repetition_count(field);
            assert!(reps <= s.raw_field(field).map_or(0, |r| r.len() + 1));
            for rep in 1..=2 {
                for component in 1..=3 {
                    for sub in 1..=2 {
                        match s.field(field, rep, component, sub) {
                            Value::Text(t) => assert!(!t.is_empty()),
                            Value::Absent | Value::Null => {}
                        }
                    }
                }
            }
        }
    }
    // Paths at the message level agree with the segment they name.
    let ids: Vec<SegmentId> = m.segments().map(|s| s.id()).collect();
    for _ in 0..8 {
        let id = ids[rng.below(ids.len())];
        let occurrence = 1 + rng.below(3);
        let field = 1 + rng.below(12);
        let text = if id == SegmentId::MSH && field <= 2 {
            format!("{id}[{occurrence}]-{field}")
        } else {
            format!(
                "{id}[{occurrence}]-{field}[{}].{}.{}",
                1 + rng.below(2),
                1 + rng.below(3),
                1 + rng.below(2)
            )
        };
        let path = Path::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let expected = m
            .segments_of(id)
            .nth(occurrence - 1)
            .map_or(Value::Absent, |s| s.get(&path));
        assert_eq!(m.get(&path), expected, "{text}");
        let row = m.segment(rng.below(m.segment_count())).unwrap();
        let _ = m.get_in(Some(&row), &path);
    }
    // Groups.
    let member = ids[rng.below(ids.len())];
    let until = ids[rng.below(ids.len())];
    assert_eq!(
        m.segments_of(member).count(),
        ids.iter().filter(|&&i| i == member).count()
    );
    let after = m.segment(rng.below(m.segment_count())).unwrap();
    for s in m.segments_after(&after, member, &[until]) {
        assert!(s.index() > after.index());
        assert_eq!(s.id(), member);
        assert!(
            !ids[after.index() + 1..s.index()].contains(&until),
            "went past {until}"
        );
    }
    // The ACK always parses and echoes the control ID; its error text decodes back.
    let error_text: String = text
        .chars()
        .skip(rng.below(text.len() + 1))
        .take(30)
        .collect();
    let path = Path::parse("PID-3[2].1").unwrap();
    let ack = ack_with(
        m,
        AckCode::Error,
        Some(&AckError {
            path: Some(&path),
            text: &error_text,
            code: ErrorCode::DataType,
        }),
        chrono::Utc::now(),
        "ID|^~\\&",
    );
    let parsed = Message::parse(&ack).unwrap_or_else(|e| panic!("{e}: {ack:?}"));
    assert_eq!(
        parsed
            .segments_of(SegmentId::parse("MSA").unwrap())
            .next()
            .unwrap()
            .raw_field(2),
        Some(m.msh().raw_field(10).unwrap_or(""))
    );
    assert_eq!(
        parsed.get(&Path::parse("MSH-10").unwrap()).text(),
        Some("ID|^~\\&")
    );
    let err_text = match parsed.get(&Path::parse("ERR-8").unwrap()) {
        Value::Text(t) => t.into_owned(),
        Value::Null => "\"\"".to_string(),
        Value::Absent => String::new(),
    };
    let old = parsed.get(&Path::parse("MSA-3").unwrap());
    let old_text = old.text().unwrap_or("");
    assert!(
        err_text == error_text || old_text == error_text || (error_text == "\"\"" && old.is_null()),
        "{error_text:?} came back as {err_text:?} / {old:?}"
    );
}

fn check_input(bytes: &[u8], rng: &mut Rng) {
    let parsed = Message::parse_bytes(bytes);
    let text = std::str::from_utf8(bytes).ok();
    match (&parsed, text) {
        (Ok(m), Some(text)) => {
            check_message(text, m, rng);
            // A message is a batch of one.
            let parts = split_batch(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parts.len(), 1);
            let again = Message::parse(parts[0].text).unwrap();
            let ids = |m: &Message<'_>| m.segments().map(|s| s.id()).collect::<Vec<_>>();
            assert_eq!(ids(&again), ids(m));
        }
        (Ok(_), None) => panic!("bytes that are not UTF-8 parsed"),
        (Err(e), _) => {
            assert!(e.offset() <= bytes.len(), "{e:?}");
            assert!(!e.message().is_empty());
        }
    }
    match split_batch_bytes(bytes) {
        Ok(parts) => {
            let text = text.expect("a batch that is not UTF-8 split");
            let mut last_end = 0;
            for part in &parts {
                assert!(part.range.start >= last_end);
                assert!(part.range.start < part.range.end);
                last_end = part.range.end;
                assert_eq!(&text[part.range.clone()], part.text);
                assert!(part.text.starts_with("MSH"));
                if let Ok(m) = Message::parse(part.text) {
                    check_message(part.text, &m, rng);
                }
            }
        }
        Err(e) => assert!(e.offset() <= bytes.len(), "{e:?}"),
    }
}

#[test]
fn messages_and_batches_survive_mutated_samples_and_random_bytes() {
    let seeds = samples();
    let mut rng = Rng::new(seed_from_env("hl7 messages"));
    let bytes = Mutator::new(nomnom_fuzz::hl7_message::TOKENS, b"\r\n");
    let fields = RecordMutator::new(b"\r\n", b'|', nomnom_fuzz::hl7_message::TOKENS);
    let mutators: [&dyn Mutate; 2] = [&bytes, &fields];
    let others: Vec<&[u8]> = seeds.iter().map(|s| s.as_bytes()).collect();
    // Enough inputs for the share parsed to mean something, however slow the machine.
    let budget = Budget::from_env().at_least(2_000);
    let started = Instant::now();
    let mut ran = 0;
    let mut parsed = 0;
    while budget.allows(ran, started) {
        let input = if ran % 5 == 4 {
            let n = rng.below(300);
            rng.bytes(n)
        } else {
            let seed = seeds[rng.below(seeds.len())].as_bytes();
            mutators[rng.below(2)].mutate(&mut rng, seed, &others)
        };
        if Message::parse_bytes(&input).is_ok() {
            parsed += 1;
        }
        check_input(&input, &mut rng);
        ran += 1;
    }
    // The samples themselves, unmutated.
    for seed in &seeds {
        check_input(seed.as_bytes(), &mut rng);
    }
    // Mutations keep enough messages valid to exercise the accessors (about one in five:
    // some seeds are batches, and a mutation often breaks a header).
    assert!(parsed * 10 >= ran, "only {parsed} of {ran} inputs parsed");
}

const PATH_SEEDS: &[&str] = &[
    "MSH-10",
    "PID-3.1",
    "PID-3[2].1",
    "OBX[2]-5",
    "PID-5.1.2",
    "ZP1[3]-12[4].5.6",
    "MSH-1",
    "MSH-2",
];

#[test]
fn paths_survive_random_text() {
    let mut rng = Rng::new(seed_from_env("hl7 paths"));
    // Enough inputs for the counts below, however slow the machine.
    let budget = Budget::from_env().at_least(20_000);
    let mut ran = 0;
    let tokens = [
        "[", "]", "-", ".", "0", "1", "9", "99999", "PID", "pid", "é", " ", "MSH", "[2]", ".3",
    ];
    let started = Instant::now();
    let mut ok = 0;
    while budget.allows(ran, started) {
        let i = ran;
        ran += 1;
        let mut text = rng.pick(PATH_SEEDS).to_string();
        for _ in 0..1 + rng.below(3) {
            let mut chars: Vec<char> = text.chars().collect();
            let at = rng.below(chars.len() + 1);
            match rng.below(3) {
                0 => {
                    let token: Vec<char> = rng.pick(&tokens).chars().collect();
                    chars.splice(at..at, token);
                }
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.insert(
                    at,
                    char::from_u32(rng.next_u64() as u32 % 0x3000).unwrap_or('x'),
                ),
            }
            text = chars.into_iter().collect();
        }
        if i % 7 == 0 {
            text = (0..rng.below(12))
                .map(|_| char::from_u32(32 + rng.next_u64() as u32 % 95).unwrap())
                .collect();
        }
        match Path::parse(&text) {
            Ok(path) => {
                ok += 1;
                let printed = path.to_string();
                assert_eq!(Path::parse(&printed), Ok(path), "{text:?}");
                assert_eq!(printed, text, "a path prints as it was written");
            }
            Err(e) => {
                assert_eq!(e.path(), text);
                assert!(e.offset() <= text.len());
                assert!(text.is_char_boundary(e.offset()));
                assert!(!e.message().is_empty());
            }
        }
    }
    assert!(ok > 100, "only {ok} paths parsed");
}

#[test]
fn escapes_round_trip_and_conversions_survive_random_text() {
    let mut rng = Rng::new(seed_from_env("hl7 escapes"));
    // Enough inputs for the counts below, however slow the machine.
    let budget = Budget::from_env().at_least(20_000);
    let mut ran = 0;
    let pieces = [
        "|",
        "^",
        "~",
        "\\",
        "&",
        "#",
        "$",
        "%",
        "\r",
        "\n",
        "\"\"",
        "X",
        "XC3",
        "A9",
        "F",
        "é",
        "日",
        "0",
        "1",
        "2",
        "9",
        "+",
        "-",
        ".",
        " ",
        "2024",
        "0229",
        "1230",
        "59",
        "+0100",
        "\0",
        "\u{10ffff}",
    ];
    let encodings = [
        Encoding::default(),
        Message::parse("MSH$%~\\&$").unwrap().encoding().to_owned(),
        Message::parse("MSH|^~\\&#|").unwrap().encoding().to_owned(),
        Message::parse(&format!("MSH|^~\\&{}8859/1", "|".repeat(16)))
            .unwrap()
            .encoding()
            .to_owned(),
    ];
    let zones: [Tz; 3] = [
        Tz::UTC,
        "Europe/Berlin".parse().unwrap(),
        "America/New_York".parse().unwrap(),
    ];
    let started = Instant::now();
    let mut dates = 0;
    let mut numbers = 0;
    while budget.allows(ran, started) {
        ran += 1;
        let text: String = (0..rng.below(10)).map(|_| rng.pick(&pieces)).collect();
        for enc in &encodings {
            let encoded = escape::encode(&text, enc);
            assert!(!encoded.contains(['\r', '\n', enc.field()]));
            assert_eq!(escape::decode(&encoded, enc), text, "{text:?}");
            // Decoding arbitrary text never panics, and text without escapes is borrowed.
            let decoded = escape::decode(&text, enc);
            if !text.contains(enc.escape()) {
                assert!(matches!(decoded, Cow::Borrowed(_)));
            }
        }
        let date = to_date(&text);
        let zone = zones[rng.below(zones.len())];
        let stamp = to_timestamp(&text, zone);
        assert_eq!(date.is_ok(), stamp.is_ok(), "{text:?}");
        if let (Ok(d), Ok(_)) = (&date, &stamp) {
            dates += 1;
            let utc = to_timestamp(&text, Tz::UTC).unwrap();
            if !text.contains(['+', '-']) {
                assert_eq!(utc.date_naive(), *d, "{text:?}");
            }
        }
        if let Ok(n) = to_integer(&text) {
            numbers += 1;
            assert_eq!(to_decimal(&text).unwrap(), rust_decimal::Decimal::from(n));
        }
        if let Ok(d) = to_decimal(&text) {
            let f = to_float(&text).unwrap();
            let back: f64 = d.to_string().parse().unwrap();
            assert!((f - back).abs() <= f.abs() * 1e-12, "{text:?}");
        } else {
            let _ = to_float(&text);
        }
    }
    assert!(
        dates > 10 && numbers > 10,
        "dates {dates}, numbers {numbers}"
    );
}
