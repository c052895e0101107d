//! What `Entity::finish` calls for a computed field: the value its method computed is checked
//! like a value read from the message (required, then the field's constraints), and every
//! failure is recorded as a [`FieldError`] naming the computed field.
//!
//! A record's place in the posted body is a [`RecordAt`], a chain of list positions that is
//! turned into a JSON pointer only when an error is recorded, so finishing a record that
//! computes without error allocates nothing.

use std::fmt;

use crate::compute::ComputeError;
use crate::json::field::Loc;
use crate::model::FieldError;

/// Where a record sits in the posted body: the body itself (or the object at a pointer), or
/// item `index` of a list of the record above.
#[derive(Debug, Clone, Copy)]
pub enum RecordAt<'a> {
    /// The object at this JSON pointer (`""` for the body).
    Body(&'a str),
    /// Item `index` of the list at the escaped relative pointer `list` of the record `of`.
    Item {
        of: &'a RecordAt<'a>,
        list: &'static str,
        index: usize,
    },
}

impl<'a> RecordAt<'a> {
    /// The object at `pointer` (`""` for the body).
    pub const fn body(pointer: &'a str) -> Self {
        RecordAt::Body(pointer)
    }

    /// Item `index` of this record's list at `list` (an escaped relative pointer).
    pub fn item(&'a self, list: &'static str, index: usize) -> RecordAt<'a> {
        RecordAt::Item {
            of: self,
            list,
            index,
        }
    }

    /// The record's JSON pointer (`/line_items/1`).
    pub fn pointer(&self) -> String {
        self.to_string()
    }

    /// Records a failure of the field at `field` (an escaped relative pointer) of this record.
    pub fn fail(
        &self,
        errors: &mut Vec<FieldError>,
        field: &str,
        rule: &'static str,
        message: String,
    ) {
        errors.push(FieldError {
            path: format!("{self}/{field}"),
            rule,
            message,
        });
    }

    /// Runs `check` on a field of this record with a location relative to the record, then
    /// gives the errors it recorded their full path.
    fn checked<T>(
        &self,
        field: &str,
        value: T,
        errors: &mut Vec<FieldError>,
        check: impl FnOnce(T, &Loc<'_>, &mut Vec<FieldError>) -> Option<T>,
    ) -> Option<T> {
        let mut found = Vec::new();
        let checked = check(value, &Loc::new("", field), &mut found);
        if !found.is_empty() {
            let base = self.pointer();
            for mut e in found {
                e.path.insert_str(0, &base);
                errors.push(e);
            }
        }
        checked
    }
}

impl fmt::Display for RecordAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordAt::Body(pointer) => f.write_str(pointer),
            RecordAt::Item { of, list, index } => write!(f, "{of}/{list}/{index}"),
        }
    }
}

/// The check of a computed field without constraints: every value passes.
pub fn unchecked<T>(value: T, _: &Loc<'_>, _: &mut Vec<FieldError>) -> Option<T> {
    Some(value)
}

/// A required computed field: its value when it computed one that passes `check`; `None`
/// after recording why not (`compute`: its function failed; `null`: it computed null).
pub fn required<T>(
    at: &RecordAt<'_>,
    field: &str,
    computed: Result<Option<T>, ComputeError>,
    errors: &mut Vec<FieldError>,
    check: impl FnOnce(T, &Loc<'_>, &mut Vec<FieldError>) -> Option<T>,
) -> Option<T> {
    match computed {
        Ok(Some(value)) => at.checked(field, value, errors, check),
        Ok(None) => {
            at.fail(
                errors,
                field,
                "null",
                "is computed as null, and must not be null".to_string(),
            );
            None
        }
        Err(e) => {
            at.fail(errors, field, "compute", format!("cannot be computed: {e}"));
            None
        }
    }
}

/// A nullable computed field: `Some(value)` (possibly `None`) when it computed, and a value
/// passes `check`; `None` after recording why not.
pub fn nullable<T>(
    at: &RecordAt<'_>,
    field: &str,
    computed: Result<Option<T>, ComputeError>,
    errors: &mut Vec<FieldError>,
    check: impl FnOnce(T, &Loc<'_>, &mut Vec<FieldError>) -> Option<T>,
) -> Option<Option<T>> {
    match computed {
        Ok(Some(value)) => at.checked(field, value, errors, check).map(Some),
        Ok(None) => Some(None),
        Err(e) => {
            at.fail(errors, field, "compute", format!("cannot be computed: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::field;

    #[test]
    fn pointers_are_built_from_the_chain() {
        let body = RecordAt::body("");
        let line = body.item("lines", 2);
        let hit = line.item("hits", 0);
        assert_eq!(hit.pointer(), "/lines/2/hits/0");
        assert_eq!(
            RecordAt::body("/order").item("items", 1).pointer(),
            "/order/items/1"
        );
    }

    #[test]
    fn required_values_pass_their_checks_or_are_errors_on_the_field() {
        let body = RecordAt::body("");
        let line = body.item("lines", 1);
        let mut errors = Vec::new();
        let short = |v: String, loc: &Loc<'_>, e: &mut Vec<FieldError>| {
            field::max_length(&v, 3, loc, e).then_some(v)
        };
        assert_eq!(
            required(
                &line,
                "code",
                Ok(Some("AB".to_string())),
                &mut errors,
                short
            ),
            Some("AB".to_string())
        );
        assert!(errors.is_empty());
        assert_eq!(
            required(
                &line,
                "code",
                Ok(Some("ABCD".to_string())),
                &mut errors,
                short
            ),
            None
        );
        assert_eq!(
            required::<String>(&line, "code", Ok(None), &mut errors, unchecked),
            None
        );
        let failed = Err(ComputeError::new("to_integer", "\"x\" is not an integer"));
        assert_eq!(
            required::<i64>(&line, "n", failed, &mut errors, unchecked),
            None
        );
        let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.rule)).collect();
        assert_eq!(
            found,
            [
                ("/lines/1/code", "max_length"),
                ("/lines/1/code", "null"),
                ("/lines/1/n", "compute")
            ]
        );
        assert_eq!(
            errors[2].message,
            "cannot be computed: to_integer: \"x\" is not an integer"
        );
    }

    #[test]
    fn nullable_values_may_be_null() {
        let body = RecordAt::body("");
        let mut errors = Vec::new();
        assert_eq!(
            nullable::<i64>(&body, "n", Ok(None), &mut errors, unchecked),
            Some(None)
        );
        assert_eq!(
            nullable(&body, "n", Ok(Some(3i64)), &mut errors, unchecked),
            Some(Some(3))
        );
        let failed = Err(ComputeError::new("parse_date", "\"x\" is not a date"));
        assert_eq!(
            nullable::<i64>(&body, "d", failed, &mut errors, unchecked),
            None
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "/d");
    }
}
