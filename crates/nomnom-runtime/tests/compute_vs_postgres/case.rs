//! `lower` and `upper`: on the samples, and on every character of Unicode.

use std::borrow::Cow;

use nomnom_runtime::compute;

use crate::pg::{Check, Pg};
use crate::SAMPLES;

#[tokio::test]
async fn lower_and_upper_of_the_samples_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    for s in SAMPLES.iter().copied().map(Some).chain([None]) {
        let theirs = pg.text("SELECT lower($1::text)", &[&s]).await;
        let ours = compute::lower(s).map(Cow::into_owned);
        check.same(format!("lower({s:?})"), Ok::<_, String>(ours), theirs);
        let theirs = pg.text("SELECT upper($1::text)", &[&s]).await;
        let ours = compute::upper(s).map(Cow::into_owned);
        check.same(format!("upper({s:?})"), Ok::<_, String>(ours), theirs);
    }
    check.finish("lower and upper", 50, false);
}

/// Every character from U+0001 to U+10FFFF (not surrogates), mapped by PostgreSQL in large
/// blocks and by us, character by character. The only differences allowed are characters
/// PostgreSQL leaves as they are while we map them: characters newer than the Unicode
/// version of the server's C library, which does not know them (the Rust standard library
/// follows a newer Unicode). They are listed, and bounded in number.
#[tokio::test]
async fn lower_and_upper_of_every_character_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let mut unknown_to_the_server = Vec::new();
    let chars: Vec<char> = (1..=0x10FFFFu32).filter_map(char::from_u32).collect();
    for block in chars.chunks(65_536) {
        let text: String = block.iter().collect();
        for (function, sql) in [
            ("lower", "SELECT lower($1::text)"),
            ("upper", "SELECT upper($1::text)"),
        ] {
            let theirs = pg
                .text(sql, &[&text])
                .await
                .expect("PostgreSQL maps every character")
                .expect("not null");
            let ours = match function {
                "lower" => compute::lower(text.as_str()),
                _ => compute::upper(text.as_str()),
            }
            .expect("not null");
            let theirs: Vec<char> = theirs.chars().collect();
            let ours: Vec<char> = ours.chars().collect();
            if theirs.len() != block.len() || ours.len() != block.len() {
                check.fail(format!("{function}: a block changed length"));
                continue;
            }
            for ((c, ours), theirs) in block.iter().zip(ours).zip(theirs) {
                if ours == theirs {
                    check.pass();
                } else if theirs == *c {
                    unknown_to_the_server.push(format!(
                        "{function}(U+{:04X}) = U+{:04X}",
                        *c as u32, ours as u32
                    ));
                    check.pass();
                } else {
                    check.fail(format!(
                        "{function}(U+{:04X} {c}): ours U+{:04X}, PostgreSQL U+{:04X}",
                        *c as u32, ours as u32, theirs as u32
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} mappings of characters the server's C library does not know:\n{}",
        unknown_to_the_server.len(),
        unknown_to_the_server.join("\n")
    );
    assert!(
        unknown_to_the_server.len() < 400,
        "too many characters PostgreSQL leaves unmapped: {}",
        unknown_to_the_server.len()
    );
    check.finish("lower and upper of every character", 2 * 1_100_000, false);
}
