//! The constraints of a scalar field (`max_length`, `min`, `max`, `pattern`, `enum`) and its
//! `default`, each checked against the field's type and against each other.

use std::collections::BTreeSet;

use regex::Regex;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::literal::{self, compare_numbers, literal_for, show};
use crate::model::{Field, Literal, ScalarType};
use crate::raw::{Entry, RawField};
use crate::yaml::Kind;

use super::{text_entry, MAX_VARCHAR_LENGTH};

/// `max_length`, `min`, `max`, `pattern`, `enum` and `default` of a scalar field.
pub(super) fn constraints(
    field: &mut Field,
    ty: ScalarType,
    raw: &RawField,
    source: &str,
    diags: &mut Diagnostics,
) {
    let name = raw.name.clone();
    let tn = ty.name();
    let numeric = matches!(
        ty,
        ScalarType::Integer | ScalarType::Float | ScalarType::Decimal
    );

    if let Some(e) = raw.entries.get("max_length") {
        if ty != ScalarType::String {
            diags.push(
                Diagnostic::error(
                    "nomnom::not_applicable",
                    e.key,
                    format!("`max_length` applies to string fields; `{name}` is {tn}"),
                )
                .label(format!("not for {tn} fields"))
                .help(if numeric {
                    "bound numbers with `min` and `max`"
                } else {
                    "remove `max_length`"
                }),
            );
        } else {
            let text = literal::number_text(&e.value, source);
            match text.parse::<u64>() {
                Ok(n) if (1..=MAX_VARCHAR_LENGTH).contains(&n) && matches!(e.value.kind, Kind::Number(_)) => {
                    field.max_length = u32::try_from(n).ok();
                }
                _ => diags.push(
                    Diagnostic::error(
                        "nomnom::invalid_value",
                        e.value.span,
                        format!(
                            "`max_length` must be a whole number from 1 to {MAX_VARCHAR_LENGTH}, found {}",
                            literal::describe(&e.value, source)
                        ),
                    )
                    .label("not a valid length")
                    .help("write the maximum number of characters, for example `max_length: 200`"),
                ),
            }
        }
    }

    for key in ["min", "max"] {
        let Some(e) = raw.entries.get(key) else {
            continue;
        };
        if !numeric {
            let help = if ty == ScalarType::String {
                "limit the length of strings with `max_length`"
            } else {
                "`min` and `max` apply to integer, float and decimal fields"
            };
            diags.push(
                Diagnostic::error(
                    "nomnom::not_applicable",
                    e.key,
                    format!("`{key}` applies to numeric fields; `{name}` is {tn}"),
                )
                .label(format!("not for {tn} fields"))
                .help(help),
            );
            continue;
        }
        match literal_for(&e.value, ty, source) {
            Ok(lit) => {
                if key == "min" {
                    field.min = Some(lit);
                } else {
                    field.max = Some(lit);
                }
            }
            Err(m) => diags.push(
                Diagnostic::error(
                    "nomnom::value_type_mismatch",
                    e.value.span,
                    format!("`{key}` of field `{name}`: {}", m.message),
                )
                .label(format!("does not fit {tn}"))
                .help(m.help),
            ),
        }
    }
    if let (Some(Literal::Number(lo)), Some(Literal::Number(hi))) = (&field.min, &field.max) {
        if compare_numbers(lo, hi) == Some(std::cmp::Ordering::Greater) {
            diags.push(
                Diagnostic::error(
                    "nomnom::empty_range",
                    raw.entries["min"].value.span,
                    format!("field `{name}` has `min: {lo}` greater than `max: {hi}`"),
                )
                .label("greater than `max`")
                .help("no value could pass; swap the bounds"),
            );
        }
    }

    if let Some(e) = raw.entries.get("pattern") {
        if ty != ScalarType::String {
            diags.push(
                Diagnostic::error(
                    "nomnom::not_applicable",
                    e.key,
                    format!("`pattern` applies to string fields; `{name}` is {tn}"),
                )
                .label(format!("not for {tn} fields"))
                .help("remove `pattern`, or make the field a string"),
            );
        } else if let Some(p) = text_entry(Some(e), "pattern", diags) {
            match Regex::new(&p) {
                Ok(_) => field.pattern = Some(p),
                Err(err) => {
                    let msg = err.to_string();
                    let reason = msg
                        .lines()
                        .rev()
                        .find_map(|l| l.trim().strip_prefix("error: "))
                        .unwrap_or("invalid regular expression")
                        .to_string();
                    diags.push(
                        Diagnostic::error(
                            "nomnom::invalid_pattern",
                            e.value.span,
                            format!("`pattern` of field `{name}` is not a valid regular expression: {reason}"),
                        )
                        .label("invalid regular expression")
                        .help("patterns use Rust `regex` syntax and must match the whole value; escape literal characters with `\\`"),
                    );
                }
            }
        }
    }

    if let Some(e) = raw.entries.get("enum") {
        if ty == ScalarType::Json {
            diags.push(
                Diagnostic::error(
                    "nomnom::not_applicable",
                    e.key,
                    format!("`enum` does not apply to the json field `{name}`"),
                )
                .label("`enum` on a json field")
                .help("enumerate values of a string, number, date or uuid field"),
            );
        } else {
            field.enum_values = enum_values(field, ty, e, source, diags);
        }
    }

    if let Some(e) = raw.entries.get("default") {
        if matches!(e.value.kind, Kind::Null) && ty != ScalarType::Json {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_default",
                    if e.value.span.len == 0 {
                        e.key
                    } else {
                        e.value.span
                    },
                    format!("`default` of field `{name}` is null"),
                )
                .label("null default")
                .help(if field.nullable {
                    "a nullable field is already null when absent: remove `default`"
                } else {
                    "give a value of the field's type, or make the field nullable"
                }),
            );
        } else {
            match literal_for(&e.value, ty, source) {
                Ok(lit) => match violation(&lit, field) {
                    None => field.default = Some(lit),
                    Some(why) => diags.push(
                        Diagnostic::error(
                            "nomnom::invalid_default",
                            e.value.span,
                            format!("`default` of field `{name}` would fail validation: {why}"),
                        )
                        .label("invalid default")
                        .help("the default must satisfy the field's own constraints"),
                    ),
                },
                Err(m) => diags.push(
                    Diagnostic::error(
                        "nomnom::value_type_mismatch",
                        e.value.span,
                        format!("`default` of field `{name}`: {}", m.message),
                    )
                    .label(format!("does not fit {tn}"))
                    .help(m.help),
                ),
            }
        }
    }
}

fn enum_values(
    field: &Field,
    ty: ScalarType,
    e: &Entry,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<Literal>> {
    let name = &field.name;
    let Kind::Seq(items) = &e.value.kind else {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_value",
                if e.value.span.len == 0 {
                    e.key
                } else {
                    e.value.span
                },
                format!("`enum` of field `{name}` must be a list of values"),
            )
            .label("expected a list")
            .help("write `enum: [A, B, C]`"),
        );
        return None;
    };
    if items.is_empty() {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_value",
                e.value.span,
                format!("`enum` of field `{name}` is empty"),
            )
            .label("no value could pass")
            .help("list the allowed values, or remove `enum`"),
        );
        return None;
    }
    let mut values: Vec<Literal> = Vec::new();
    let mut ok = true;
    let mut seen = BTreeSet::new();
    for item in items {
        match literal_for(item, ty, source) {
            Ok(lit) => {
                if values.iter().any(|v| literal::same_value(v, &lit)) || !seen.insert(show(&lit)) {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::duplicate_enum_value",
                            item.span,
                            format!("`enum` of field `{name}` lists {} twice", show(&lit)),
                        )
                        .label("repeated value")
                        .help("remove the repetition"),
                    );
                    ok = false;
                } else if let Some(why) = violation(&lit, field) {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::invalid_value",
                            item.span,
                            format!("`enum` of field `{name}` lists an impossible value: {why}"),
                        )
                        .label("can never pass validation")
                        .help("every enum value must satisfy the field's other constraints"),
                    );
                    ok = false;
                } else {
                    values.push(lit);
                }
            }
            Err(m) => {
                diags.push(
                    Diagnostic::error(
                        "nomnom::value_type_mismatch",
                        item.span,
                        format!("`enum` value of field `{name}`: {}", m.message),
                    )
                    .label(format!("does not fit {}", ty.name()))
                    .help(m.help),
                );
                ok = false;
            }
        }
    }
    ok.then_some(values)
}

/// Why `lit` would fail the field's constraints, if it would.
fn violation(lit: &Literal, field: &Field) -> Option<String> {
    if let Some(values) = &field.enum_values {
        if !values.iter().any(|v| literal::same_value(v, lit)) {
            return Some(format!("{} is not one of its `enum` values", show(lit)));
        }
    }
    if let Literal::Number(n) = lit {
        if let Some(Literal::Number(lo)) = &field.min {
            if compare_numbers(n, lo) == Some(std::cmp::Ordering::Less) {
                return Some(format!("{n} is below `min: {lo}`"));
            }
        }
        if let Some(Literal::Number(hi)) = &field.max {
            if compare_numbers(n, hi) == Some(std::cmp::Ordering::Greater) {
                return Some(format!("{n} is above `max: {hi}`"));
            }
        }
    }
    if let Literal::String(s) = lit {
        if let Some(max) = field.max_length {
            let n = s.chars().count();
            if n > max as usize {
                return Some(format!(
                    "{s:?} has {n} characters, more than `max_length: {max}`"
                ));
            }
        }
        if let Some(p) = &field.pattern {
            if let Ok(re) = Regex::new(&format!("^(?:{p})$")) {
                if !re.is_match(s) {
                    return Some(format!("{s:?} does not match `pattern`"));
                }
            }
        }
    }
    None
}
