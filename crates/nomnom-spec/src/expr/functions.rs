//! The built-in functions of `compute:`, as data (see [`signature`](super::signature) for
//! what each entry says). Names and arities are a public interface shared with the runtime
//! that implements them.

use crate::model::ScalarType;

pub use super::signature::{
    Arity, ConstantRule, Function, LiteralKind, Nulls, Param, ParamType, Rest, Returns, TypeVar,
};

const fn param(name: &'static str, ty: ParamType) -> Param {
    Param {
        name,
        ty,
        literal: None,
        constant: None,
    }
}

const fn literal(name: &'static str, kind: LiteralKind) -> Param {
    Param {
        literal: Some(kind),
        ..param(name, ParamType::Text)
    }
}

const fn constant(name: &'static str, rule: ConstantRule) -> Param {
    Param {
        constant: Some(rule),
        ..param(name, ParamType::Integer)
    }
}

const S: &str = "s";
const TEXT: ParamType = ParamType::Text;
const INT: ParamType = ParamType::Integer;
const T: ParamType = ParamType::Var(TypeVar::T);
const V: ParamType = ParamType::Var(TypeVar::V);
const STRING: Returns = Returns::Type(ScalarType::String);

/// The one parameter of the functions of one text.
const ONE_TEXT: &[Param] = &[param(S, TEXT)];

const fn text_to_text(name: &'static str, doc: &'static str) -> Function {
    Function {
        name,
        doc,
        params: ONE_TEXT,
        rest: Rest::None,
        returns: STRING,
        nulls: Nulls::Strict,
    }
}

const fn parse_text(name: &'static str, doc: &'static str, ty: ScalarType) -> Function {
    Function {
        returns: Returns::Type(ty),
        ..text_to_text(name, doc)
    }
}

/// Every built-in function.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "concat",
        doc: "The text of every argument, joined; null arguments are skipped.",
        params: &[],
        rest: Rest::Repeat { param: param("a", TEXT), min: 1 },
        returns: STRING,
        nulls: Nulls::SkipNulls,
    },
    Function {
        name: "concat_ws",
        doc: "The text of every argument after the first, joined by the first; null arguments are skipped.",
        params: &[param("sep", TEXT)],
        rest: Rest::Repeat { param: param("a", TEXT), min: 1 },
        returns: STRING,
        nulls: Nulls::SkipNullsAfterFirst,
    },
    text_to_text("lower", "The text in lower case (Unicode case mapping)."),
    text_to_text("upper", "The text in upper case (Unicode case mapping)."),
    text_to_text("trim", "The text without leading and trailing spaces (only ' ', as PostgreSQL's `btrim(s)`)."),
    Function {
        name: "substring",
        doc: "`length` characters from the 1-based character position `start` (a start before 1 eats into the length).",
        params: &[param(S, TEXT), param("start", INT), constant("length", ConstantRule::NotNegative)],
        rest: Rest::None,
        returns: STRING,
        nulls: Nulls::Strict,
    },
    Function {
        name: "split_part",
        doc: "Field `n` of the text split at `sep` (1-based; negative counts from the end; '' beyond the fields).",
        params: &[param(S, TEXT), param("sep", TEXT), constant("n", ConstantRule::NotZero)],
        rest: Rest::None,
        returns: STRING,
        nulls: Nulls::Strict,
    },
    Function {
        name: "replace",
        doc: "The text with every occurrence of `from` replaced by `to` (an empty `from` changes nothing).",
        params: &[param(S, TEXT), param("from", TEXT), param("to", TEXT)],
        rest: Rest::None,
        returns: STRING,
        nulls: Nulls::Strict,
    },
    Function {
        name: "regex_capture",
        doc: "Group `group` of the first match of `pattern` (0: the whole match); null when there is none.",
        params: &[
            param(S, TEXT),
            literal("pattern", LiteralKind::Regex),
            constant("group", ConstantRule::CaptureGroup),
        ],
        rest: Rest::None,
        returns: STRING,
        nulls: Nulls::StrictOrNoMatch,
    },
    Function {
        name: "coalesce",
        doc: "The first argument that is not null.",
        params: &[],
        rest: Rest::Repeat { param: param("a", T), min: 1 },
        returns: Returns::Var(TypeVar::T),
        nulls: Nulls::FirstNonNull,
    },
    Function {
        name: "nullif",
        doc: "Null when `a` equals `b`, `a` otherwise.",
        params: &[param("a", T), param("b", T)],
        rest: Rest::None,
        returns: Returns::Var(TypeVar::T),
        nulls: Nulls::NullIfEqual,
    },
    Function {
        name: "lookup",
        doc: "The result paired with the first value equal to `key`, else the default (or null).",
        params: &[param("key", T)],
        rest: Rest::Pairs {
            key: param("k", T),
            value: param("v", V),
            default: param("default", V),
        },
        returns: Returns::Var(TypeVar::V),
        nulls: Nulls::Lookup,
    },
    Function {
        name: "parse_date",
        doc: "The date the text holds, read with a chrono strftime format.",
        params: &[param(S, TEXT), literal("format", LiteralKind::DateFormat)],
        rest: Rest::None,
        returns: Returns::Type(ScalarType::Date),
        nulls: Nulls::Strict,
    },
    Function {
        name: "parse_timestamp",
        doc: "The timestamp the text holds, read with a chrono strftime format (UTC when it has no zone).",
        params: &[param(S, TEXT), literal("format", LiteralKind::TimestampFormat)],
        rest: Rest::None,
        returns: Returns::Type(ScalarType::Timestamp),
        nulls: Nulls::Strict,
    },
    parse_text("to_integer", "The integer the text holds (surrounding spaces allowed).", ScalarType::Integer),
    parse_text("to_decimal", "The decimal the text holds (surrounding spaces allowed).", ScalarType::Decimal),
    parse_text("to_float", "The float the text holds (surrounding spaces allowed).", ScalarType::Float),
    text_to_text("sha256", "The SHA-256 of the text's UTF-8 bytes, in lower-case hex."),
];

/// Looks a built-in function up by name.
pub fn builtin(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_the_agreed_functions() {
        let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "concat",
                "concat_ws",
                "lower",
                "upper",
                "trim",
                "substring",
                "split_part",
                "replace",
                "regex_capture",
                "coalesce",
                "nullif",
                "lookup",
                "parse_date",
                "parse_timestamp",
                "to_integer",
                "to_decimal",
                "to_float",
                "sha256"
            ]
        );
        let strict: Vec<&str> = FUNCTIONS
            .iter()
            .filter(|f| !f.nulls.is_strict())
            .map(|f| f.name)
            .collect();
        assert_eq!(
            strict,
            ["concat", "concat_ws", "coalesce", "nullif", "lookup"]
        );
        for f in FUNCTIONS {
            assert!(f
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()));
            assert!(f.doc.ends_with('.'), "{}", f.name);
        }
    }
}
