//! The built-in functions of computed fields (`compute: "upper(trim(raw_id))"` in a model),
//! with PostgreSQL's semantics where PostgreSQL has the function. Generated code calls them
//! directly, one Rust call per function of the expression:
//! `compute::upper(compute::trim(&record.raw_id))`.
//!
//! # Types
//!
//! A model's scalar types are Rust types here: `string` is text (see below), `integer`
//! `i64`, `float` `f64`, `decimal` [`Decimal`](rust_decimal::Decimal), `boolean` `bool`,
//! `date` [`NaiveDate`](chrono::NaiveDate), `timestamp`
//! [`DateTime<Utc>`](chrono::DateTime), `uuid` [`Uuid`](uuid::Uuid), `json`
//! [`Json`](crate::json::Json). SQL null is `None`.
//!
//! # Text in, text out
//!
//! A function of one text takes any [`IntoText`]: text borrowed (`&str`, `&String`) or owned
//! (`String`, `Cow<str>`), any other scalar (written as PostgreSQL's `::text` writes it, see
//! [`ToText`]), each also nullable (`Option<_>`, `&Option<_>`). Text results are
//! `Option<Cow<'a, str>>`, `'a` being the lifetime of the text argument: a result that is a
//! part of borrowed input is a slice of it (`trim(&field)` copies nothing), and an owned input
//! is reused (`trim(upper(&field))` trims the string `upper` made, in place). Such a result is
//! itself an [`IntoText`], so calls nest as the expression does. [`text`] turns any argument
//! into that type, the common type of text among `coalesce`, `nullif` and `lookup`
//! arguments.
//!
//! `concat` and `concat_ws` take their arguments as `&[&dyn TextArg]` (`&[&a, &"-", &b]`),
//! values of any scalar type, nullable or not, written straight into the result (booleans as
//! `t` and `f` there, as PostgreSQL's `concat` writes them, where `::text` gives `true` and
//! `false`).
//!
//! Integer arguments (`start`, `length`, `n`, `group`) are `impl Into<Option<i64>>`: `1i64`
//! or `Some(1)` or a nullable field's value.
//!
//! ```
//! use std::borrow::Cow;
//! use nomnom_runtime::compute::{self, ComputeError};
//! use nomnom_runtime::types::NaiveDate;
//!
//! struct Order {
//!     raw_id: String,
//!     shipped_raw: Option<String>,
//!     quantity: String,
//! }
//!
//! /// What generated code for three computed fields looks like.
//! fn derive(order: &Order) -> Result<(Option<String>, Option<NaiveDate>, String), ComputeError> {
//!     // id: upper(trim(raw_id))
//!     let id = compute::upper(compute::trim(&order.raw_id)).map(Cow::into_owned);
//!     // shipped: parse_date(shipped_raw, '%d/%m/%Y')
//!     let shipped = compute::parse_date(&order.shipped_raw, "%d/%m/%Y")?;
//!     // label: concat(id, ' x', to_integer(quantity), ' on ', shipped)
//!     let quantity = compute::to_integer(&order.quantity)?;
//!     let label = compute::concat(&[&id, &" x", &quantity, &" on ", &shipped]);
//!     Ok((id, shipped, label))
//! }
//!
//! let order = Order {
//!     raw_id: "  ab-12 ".into(),
//!     shipped_raw: Some("01/05/2024".into()),
//!     quantity: " 3".into(),
//! };
//! let (id, shipped, label) = derive(&order).unwrap();
//! assert_eq!(id.as_deref(), Some("AB-12"));
//! assert_eq!(shipped, NaiveDate::from_ymd_opt(2024, 5, 1));
//! assert_eq!(label, "AB-12 x3 on 2024-05-01");
//!
//! let bad = Order { shipped_raw: Some("31/02/2024".into()), ..order };
//! assert_eq!(
//!     derive(&bad).unwrap_err().to_string(),
//!     "parse_date: \"31/02/2024\" is not a date in the format %d/%m/%Y"
//! );
//! ```
//!
//! # Nulls and errors
//!
//! Every function is strict (a null argument gives null: `Ok(None)` or `None`, without
//! looking at the other arguments) except `concat` (nulls skipped, never null), `concat_ws`
//! (null values skipped; null only for a null separator), `coalesce`, `nullif` and `lookup`
//! (see [`lookup()`]).
//!
//! A function that can fail returns `Result<Option<T>, ComputeError>`: an impossible date,
//! text that is not a number, a negative `substring` length, `split_part` position 0, a
//! negative `regex_capture` group. The [`ComputeError`] says what failed in one sentence
//! (`parse_date: "31/02/2024" is not a date in the format %d/%m/%Y`); generated code turns it
//! into a 422 on the computed field.
//!
//! PostgreSQL evaluates `coalesce` and `CASE` lazily, so an argument after the chosen one
//! never fails. Generated code keeps that by computing a fallible argument only when the
//! ones before it are null; these functions receive values.
//!
//! # The functions
//!
//! | function | module | PostgreSQL |
//! |---|---|---|
//! | [`concat`], [`concat_ws`], [`trim`], [`substring`], [`split_part`], [`replace`], [`sha256`] | `text` | `concat`, `concat_ws`, `btrim(s)`, `substring(s, start, length)`, `split_part` (14+), `replace`, `encode(sha256(convert_to(s, 'UTF8')), 'hex')` |
//! | [`lower`], [`upper`] | `case` | `lower`, `upper` with a libc locale: Unicode simple case mapping |
//! | [`regex_capture`], [`compile_regex`] | `regex` | `regexp_substr(s, p, 1, 1, '', group)` (15+), with the `regex` crate's syntax |
//! | [`coalesce`], [`nullif`], [`lookup()`] | `lookup` | `coalesce`, `nullif`, `CASE key WHEN … END` (strict in `key`) |
//! | [`parse_date`], [`parse_timestamp`] | `parse` | none: chrono strftime formats |
//! | [`to_integer`], [`to_decimal`], [`to_float`] | `number` | `s::bigint`, `s::numeric`, `s::float8` (PostgreSQL 15's input rules) |
//! | [`ToText`] | `to_text` | `x::text` with `TimeZone = 'UTC'` |
//!
//! # Where they part from PostgreSQL
//!
//! Each module's documentation states its semantics in full; in short:
//!
//! - `lower`, `upper`: PostgreSQL's libc behaviour (simple case mapping), with the Unicode
//!   version of the Rust standard library: characters newer than the server's C library
//!   knows are mapped here and left as they are there. ICU collations (and PostgreSQL 18's
//!   `PG_UNICODE_FAST`) use the full mapping (`ß` → `SS`), which is not followed.
//! - `regex_capture`: the `regex` crate's syntax, and an alternation takes its first
//!   alternative that matches (PostgreSQL's the longest).
//! - `to_integer`: PostgreSQL 15's syntax (16 also reads `0x1F`, `0o17`, `0b101`, `1_000`).
//! - `to_decimal`: `NaN`, the infinities, and values beyond a decimal (28 places, 96 bits),
//!   which `numeric` holds, are errors.
//! - `to_float`: hexadecimal floats, which glibc's `strtod` reads for PostgreSQL, are errors.
//! - `lookup`: a null key gives null (`CASE` would give the default).
//! - `json` as text is `jsonb`'s text (the stored type), not `json`'s verbatim text.
//! - Timestamps keep microseconds as PostgreSQL does: finer digits are dropped by
//!   [`ToText`] and rounded by [`parse_timestamp`].
//!
//! The tests in `tests/compute_vs_postgres.rs` run every function PostgreSQL has against
//! PostgreSQL itself, and check each difference above that PostgreSQL can show.
//!
//! [`ComputeError`]: crate::compute::ComputeError
//! [`IntoText`]: crate::compute::IntoText
//! [`ToText`]: crate::compute::ToText
//! [`TextArg`]: crate::compute::TextArg
//! [`coalesce`]: crate::compute::coalesce
//! [`compile_regex`]: crate::compute::compile_regex
//! [`concat`]: crate::compute::concat
//! [`concat_ws`]: crate::compute::concat_ws
//! [`lower`]: crate::compute::lower
//! [`nullif`]: crate::compute::nullif
//! [`parse_date`]: crate::compute::parse_date
//! [`parse_timestamp`]: crate::compute::parse_timestamp
//! [`regex_capture`]: crate::compute::regex_capture
//! [`replace`]: crate::compute::replace
//! [`sha256`]: crate::compute::sha256
//! [`split_part`]: crate::compute::split_part
//! [`substring`]: crate::compute::substring
//! [`to_decimal`]: crate::compute::to_decimal
//! [`to_float`]: crate::compute::to_float
//! [`to_integer`]: crate::compute::to_integer
//! [`trim`]: crate::compute::trim
//! [`upper`]: crate::compute::upper
//! [`text`]: crate::compute::text()
//! [`lookup()`]: crate::compute::lookup()

mod case;
mod date_text;
mod error;
mod float_text;
mod jsonb;
mod lookup;
mod number;
mod parse;
mod regex;
mod text;
mod to_text;

pub use self::case::{lower, upper};
pub use self::error::ComputeError;
pub use self::lookup::{coalesce, lookup, nullif, SqlEq};
pub use self::number::{to_decimal, to_float, to_integer};
pub use self::parse::{parse_date, parse_timestamp};
pub use self::regex::{compile_regex, regex_capture};
pub use self::text::{concat, concat_ws, replace, sha256, split_part, substring, trim};
pub use self::to_text::{text, IntoText, TextArg, ToText};
