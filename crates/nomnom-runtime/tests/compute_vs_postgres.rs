//! The built-in functions of computed fields against PostgreSQL itself: every function
//! PostgreSQL has, on many cases each (Unicode, empty text, nulls, positions out of range,
//! values at the edges of each type), gives the same value, and fails exactly when
//! PostgreSQL raises an error. Only `SELECT`s, on the machine's shared server
//! (`NOMNOM_TEST_DATABASE_URL` overrides), with `TimeZone = 'UTC'`.
//!
//! Where the functions part from PostgreSQL on purpose (documented in `src/compute/`), the
//! test states the difference and checks that it is exactly that.

#[path = "compute_vs_postgres/case.rs"]
mod case;
#[path = "compute_vs_postgres/choose.rs"]
mod choose;
#[path = "compute_vs_postgres/numbers.rs"]
mod numbers;
#[path = "compute_vs_postgres/pg.rs"]
mod pg;
#[path = "compute_vs_postgres/regex.rs"]
mod regex;
#[path = "compute_vs_postgres/text.rs"]
mod text;
#[path = "compute_vs_postgres/to_text.rs"]
mod to_text;

/// Texts every function of text is tried on: ASCII, accents, scripts without case, letters
/// whose case mapping is special (`ß`, `İ`, `ǅ`, ligatures, Greek with ypogegrammeni),
/// emoji with modifiers, whitespace other than spaces, separators, repeated patterns.
pub const SAMPLES: &[&str] = &[
    "",
    " ",
    "   ",
    "x",
    "hello",
    "  padded  ",
    "Hello, World!",
    "a,b,,c",
    ",lead,trail,",
    "aaaa",
    "héllo wörld",
    "ÀÉÎÕÜ àéîõü",
    "straße STRASSE ẞ",
    "İstanbul ıi",
    "ΣΊΣΥΦΟΣ σίσυφος",
    "ǅungla ǈ ǋ ǆ",
    "ﬁne ﬂow ŉ ǰ",
    "ᾳ ᾀ ᾼ ᾈ",
    "日本語のテキスト",
    "emoji 😀👍🏽 ok",
    "tab\there",
    "line\nbreak\r\n",
    "\u{a0}nbsp\u{a0}",
    "a→b→c",
    "ℌ𝔢𝔩𝔩𝔬 Ⅻ ⓐ",
    "12-345 and 67-890",
    "x@example.com",
];
