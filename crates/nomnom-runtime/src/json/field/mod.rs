//! What the generated validation calls: read a field's slot (absent, `null`, or a value),
//! convert the value to its Rust type, check the model's constraints, and record every
//! failure as a [`FieldError`] with the JSON pointer of the offending value.
//!
//! Every function appends to `errors` instead of stopping, so one pass over a body reports
//! every failing field.

use super::value::{Object, Value};
use crate::model::{FieldError, Rejection};

mod convert;
mod rules;

pub use convert::*;
pub use rules::*;

/// Where a value sits: the pointer of its enclosing object (`""` for the body, `/items/0`)
/// and its already-escaped relative pointer there (`price`, `customer/id`). The full path
/// is only built when an error is recorded.
///
/// A value of an HL7 message is located by its HL7 path instead ([`Loc::hl7`]).
#[derive(Debug, Clone, Copy)]
pub struct Loc<'a> {
    base: &'a str,
    rel: &'a str,
    /// `rel` is an HL7 path, the whole location.
    hl7: bool,
}

impl<'a> Loc<'a> {
    /// A location `rel` inside the object at `base`.
    pub const fn new(base: &'a str, rel: &'a str) -> Self {
        Loc {
            base,
            rel,
            hl7: false,
        }
    }

    /// The value at the HL7 path `path` (`PID-3.1`).
    pub const fn hl7(path: &'a str) -> Self {
        Loc {
            base: "",
            rel: path,
            hl7: true,
        }
    }

    /// The JSON pointer (`/items/0/price`), or the HL7 path.
    pub fn path(&self) -> String {
        if self.hl7 {
            return self.rel.to_string();
        }
        format!("{}/{}", self.base, self.rel)
    }

    /// Records a broken `rule` here.
    pub fn fail(&self, errors: &mut Vec<FieldError>, rule: &'static str, message: String) {
        errors.push(FieldError {
            path: self.path(),
            rule,
            message,
        });
    }
}

/// A value converter: appends its error and returns `None` when the value does not fit.
pub trait Read<T>: FnOnce(&Value<'_>, &Loc<'_>, &mut Vec<FieldError>) -> Option<T> {}
impl<T, F: FnOnce(&Value<'_>, &Loc<'_>, &mut Vec<FieldError>) -> Option<T>> Read<T> for F {}

/// A required, non-nullable field: absent is `required`, `null` is `null`.
pub fn required<T>(
    slot: Option<&Value<'_>>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
    read: impl Read<T>,
) -> Option<T> {
    match slot {
        None => {
            loc.fail(errors, "required", "is required".to_string());
            None
        }
        Some(Value::Null) => {
            loc.fail(errors, "null", "must not be null".to_string());
            None
        }
        Some(value) => read(value, loc, errors),
    }
}

/// A nullable field: absent and `null` are both `Some(None)`; `None` means it failed.
pub fn nullable<T>(
    slot: Option<&Value<'_>>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
    read: impl Read<T>,
) -> Option<Option<T>> {
    match slot {
        None | Some(Value::Null) => Some(None),
        Some(value) => read(value, loc, errors).map(Some),
    }
}

/// A `list<Entity>` field: every element must be an object and is read by `read_item` with
/// its own pointer (`/line_items/3`). A nullable list that is absent or `null` is empty.
/// Returns `None` when anything failed (the errors are recorded).
pub fn list<T>(
    slot: Option<&Value<'_>>,
    loc: &Loc<'_>,
    nullable: bool,
    errors: &mut Vec<FieldError>,
    mut read_item: impl FnMut(&Object<'_>, &str, &mut Vec<FieldError>) -> Option<T>,
) -> Option<Vec<T>> {
    let items = match slot {
        None | Some(Value::Null) if nullable => return Some(Vec::new()),
        None => {
            loc.fail(errors, "required", "is required".to_string());
            return None;
        }
        Some(Value::Null) => {
            loc.fail(errors, "null", "must not be null".to_string());
            return None;
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            loc.fail(
                errors,
                "type",
                format!("expected an array, found {}", other.kind()),
            );
            return None;
        }
    };
    // One buffer for every element's pointer: `<list>/0`, `<list>/1`, …
    let mut item_path = loc.path();
    let base_len = item_path.len();
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        item_path.truncate(base_len);
        item_path.push('/');
        item_path.push_str(itoa_usize(i).as_str());
        match item {
            Value::Object(obj) => match read_item(obj, &item_path, errors) {
                Some(v) => out.push(v),
                None => ok = false,
            },
            other => {
                ok = false;
                errors.push(FieldError {
                    path: item_path.clone(),
                    rule: "type",
                    message: format!("expected an object, found {}", other.kind()),
                });
            }
        }
    }
    ok.then_some(out)
}

/// The decimal digits of `n`, without allocating.
fn itoa_usize(mut n: usize) -> Digits {
    let mut digits = Digits {
        bytes: [0; 20],
        start: 20,
    };
    loop {
        digits.start -= 1;
        digits.bytes[digits.start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return digits;
        }
    }
}

/// Up to 20 decimal digits (any `usize`), written right-aligned.
struct Digits {
    bytes: [u8; 20],
    start: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[self.start..]).unwrap_or("0")
    }
}

/// Parses `body` and reads it as a root record with `read`; the body must be a JSON object.
pub fn read_root<T>(
    body: &[u8],
    read: impl FnOnce(&Object<'_>, &mut Vec<FieldError>) -> Option<T>,
) -> Result<T, Rejection> {
    let value = super::parse(body).map_err(Rejection::Malformed)?;
    let Value::Object(obj) = value else {
        return Err(Rejection::Invalid(vec![FieldError {
            path: String::new(),
            rule: "type",
            message: format!("expected an object, found {}", value.kind()),
        }]));
    };
    let mut errors = Vec::new();
    match read(&obj, &mut errors) {
        Some(record) if errors.is_empty() => Ok(record),
        _ => Err(Rejection::Invalid(errors)),
    }
}

/// What the tests of every part of this module share.
#[cfg(test)]
mod test_support {
    use super::{Loc, Read};
    use crate::json::parse;
    use crate::model::FieldError;

    /// Reads `body` with `read`, at `/a/b`.
    pub fn run<T>(body: &str, read: impl Read<T>) -> (Option<T>, Vec<FieldError>) {
        let value = parse(body.as_bytes()).expect("valid JSON");
        let mut errors = Vec::new();
        let out = read(&value, &Loc::new("/a", "b"), &mut errors);
        (out, errors)
    }

    /// Each error's path and rule.
    pub fn rules(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors.iter().map(|e| (e.path.as_str(), e.rule)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::rules;
    use super::*;
    use crate::json::parse;

    #[test]
    fn slots_distinguish_absent_null_and_present() {
        let mut errors = Vec::new();
        let loc = Loc::new("", "x");
        assert_eq!(required(None, &loc, &mut errors, integer), None);
        assert_eq!(
            required(Some(&Value::Null), &loc, &mut errors, integer),
            None
        );
        assert_eq!(nullable(None, &loc, &mut errors, integer), Some(None));
        assert_eq!(
            nullable(Some(&Value::Null), &loc, &mut errors, integer),
            Some(None)
        );
        assert_eq!(
            nullable(Some(&Value::Number("3".into())), &loc, &mut errors, integer),
            Some(Some(3))
        );
        assert_eq!(rules(&errors), [("/x", "required"), ("/x", "null")]);
    }

    #[test]
    fn lists_read_every_item_and_report_bad_ones() {
        let value = parse(br#"[{"n": 1}, 5, {"n": "x"}, {"n": 2}]"#).expect("valid");
        let mut errors = Vec::new();
        let loc = Loc::new("/order", "items");
        let out = list(
            Some(&value),
            &loc,
            false,
            &mut errors,
            |obj, path, errors| required(obj.get("n"), &Loc::new(path, "n"), errors, integer),
        );
        assert!(out.is_none());
        assert_eq!(
            rules(&errors),
            [("/order/items/1", "type"), ("/order/items/2/n", "type")]
        );

        let mut errors = Vec::new();
        let ok = list(
            Some(&parse(b"[{\"n\":1},{\"n\":2}]").expect("valid")),
            &loc,
            false,
            &mut errors,
            |obj, path, errors| required(obj.get("n"), &Loc::new(path, "n"), errors, integer),
        );
        assert_eq!(ok, Some(vec![1, 2]));
        let none: Option<Vec<i64>> = list(None, &loc, true, &mut errors, |_, _, _| None);
        assert_eq!(none, Some(vec![]));
        let none: Option<Vec<i64>> = list(None, &loc, false, &mut errors, |_, _, _| None);
        assert_eq!(none, None);
        assert_eq!(rules(&errors), [("/order/items", "required")]);
    }

    #[test]
    fn roots_must_be_objects() {
        let read = |obj: &Object<'_>, errors: &mut Vec<FieldError>| {
            required(obj.get("n"), &Loc::new("", "n"), errors, integer)
        };
        assert_eq!(read_root(b"{\"n\": 3}", read), Ok(3));
        assert!(matches!(
            read_root(b"{\"n\": ", read),
            Err(Rejection::Malformed(_))
        ));
        let Err(Rejection::Invalid(errors)) = read_root(b"[1]", read) else {
            panic!("invalid")
        };
        assert_eq!(rules(&errors), [("", "type")]);
        let Err(Rejection::Invalid(errors)) = read_root(b"{}", read) else {
            panic!("invalid")
        };
        assert_eq!(rules(&errors), [("/n", "required")]);
    }
}
