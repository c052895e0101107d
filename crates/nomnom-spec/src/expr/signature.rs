//! How a built-in function is called, as data: its parameters (variadic and paired ones
//! included), which arguments must be literals, its return type rule and how nulls flow.
//! [`functions`](super::functions) holds the table itself.

use crate::model::ScalarType;

/// A type variable: every parameter marked with the same one takes one common type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeVar {
    /// The values compared or chosen among (`coalesce`, `nullif`, the key of `lookup`).
    T,
    /// The results of `lookup`.
    V,
}

/// What type an argument must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Text. A value of any other scalar type is converted to text first, as PostgreSQL's
    /// `::text` does.
    Text,
    /// A 64-bit integer.
    Integer,
    /// Shares one type with the other parameters marked with the same variable.
    Var(TypeVar),
}

/// What a parameter that must be a string literal holds; checked when the model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralKind {
    /// A regular expression in Rust `regex` syntax.
    Regex,
    /// A chrono strftime format that reads a date.
    DateFormat,
    /// A chrono strftime format that reads a timestamp (UTC when it has no zone).
    TimestampFormat,
}

/// A rule on an integer argument, checked when the argument is a literal (a field's value
/// can only be checked when the function runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstantRule {
    /// Negative values are an error (`substring`'s length).
    NotNegative,
    /// Zero is an error (`split_part`'s field number).
    NotZero,
    /// A group number of the pattern before it: 0 (the whole match) up to its group count.
    CaptureGroup,
}

/// One parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Its name in signatures and messages.
    pub name: &'static str,
    /// The type its argument must have.
    pub ty: ParamType,
    /// Set when the argument must be a string literal holding this.
    pub literal: Option<LiteralKind>,
    /// Checked on a literal argument.
    pub constant: Option<ConstantRule>,
}

/// The arguments after the fixed parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// None: the fixed parameters are all.
    None,
    /// This parameter repeated, at least `min` times.
    Repeat { param: Param, min: usize },
    /// At least one `(key, value)` pair, then optionally a `default` (`lookup`): an odd
    /// number of arguments after the fixed ones means the last is the default.
    Pairs {
        key: Param,
        value: Param,
        default: Param,
    },
}

/// The type a function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// Always this type.
    Type(ScalarType),
    /// The common type of the parameters marked with this variable.
    Var(TypeVar),
}

/// How nulls flow through a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// Strict: null when any argument is null, never null otherwise.
    Strict,
    /// Strict, and also null when the pattern does not match or the group took no part.
    StrictOrNoMatch,
    /// Null arguments are skipped; never null (`concat` of nothing but nulls is `''`).
    SkipNulls,
    /// Null when the first argument is; later null arguments are skipped (`concat_ws`).
    SkipNullsAfterFirst,
    /// The first non-null argument; null only when every argument is (`coalesce`).
    FirstNonNull,
    /// Null when the first argument is null or equals the second; the first otherwise
    /// (`nullif`; a null second argument equals nothing).
    NullIfEqual,
    /// Null when the key is null, or when no value matches and there is no default; a
    /// matching result or the default otherwise (a null value to match matches nothing).
    Lookup,
}

impl Nulls {
    /// `true` when a null argument always gives a null result.
    pub fn is_strict(self) -> bool {
        matches!(self, Nulls::Strict | Nulls::StrictOrNoMatch)
    }
}

/// One built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Its name in expressions.
    pub name: &'static str,
    /// One line: what it does.
    pub doc: &'static str,
    /// The parameters every call has, in order.
    pub params: &'static [Param],
    /// What may follow them.
    pub rest: Rest,
    /// Its return type.
    pub returns: Returns,
    /// How nulls flow through it.
    pub nulls: Nulls,
}

/// How many arguments a call may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arity {
    /// The fewest.
    pub min: usize,
    /// The most; `None`: no limit.
    pub max: Option<usize>,
}

impl Arity {
    /// `true` when `n` arguments are allowed.
    pub fn allows(self, n: usize) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }

    /// "exactly 2 arguments", "at least 1 argument", "1 to 3 arguments".
    pub fn describe(self) -> String {
        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
        match self.max {
            Some(max) if max == self.min => format!("exactly {max} {}", plural(max)),
            Some(max) => format!("{} to {max} arguments", self.min),
            None => format!("at least {} {}", self.min, plural(self.min)),
        }
    }
}

impl Function {
    /// How many arguments a call may have.
    pub fn arity(&self) -> Arity {
        let fixed = self.params.len();
        match self.rest {
            Rest::None => Arity {
                min: fixed,
                max: Some(fixed),
            },
            Rest::Repeat { min, .. } => Arity {
                min: fixed + min,
                max: None,
            },
            Rest::Pairs { .. } => Arity {
                min: fixed + 2,
                max: None,
            },
        }
    }

    /// The parameter argument `index` of a call with `count` arguments binds to; `None`
    /// beyond the arity.
    pub fn param(&self, index: usize, count: usize) -> Option<&Param> {
        if let Some(p) = self.params.get(index) {
            return Some(p);
        }
        let fixed = self.params.len();
        match &self.rest {
            Rest::None => None,
            Rest::Repeat { param, .. } => Some(param),
            Rest::Pairs {
                key,
                value,
                default,
            } => {
                let after = index - fixed;
                if self.default_given(count) && index == count - 1 {
                    Some(default)
                } else if after.is_multiple_of(2) {
                    Some(key)
                } else {
                    Some(value)
                }
            }
        }
    }

    /// `true` when a call with `count` arguments ends with the optional default of
    /// [`Rest::Pairs`] (an odd number of arguments after the fixed ones).
    pub fn default_given(&self, count: usize) -> bool {
        matches!(self.rest, Rest::Pairs { .. })
            && count
                .checked_sub(self.params.len())
                .is_some_and(|after| after % 2 == 1)
    }

    /// How it is called: `substring(s, start, length)`, `concat(a, …)`,
    /// `lookup(key, k1, v1, …[, default])`.
    pub fn signature(&self) -> String {
        let mut parts: Vec<String> = self.params.iter().map(|p| p.name.to_string()).collect();
        let mut tail = "";
        match &self.rest {
            Rest::None => {}
            Rest::Repeat { param, .. } => {
                parts.push(param.name.to_string());
                parts.push("…".to_string());
            }
            Rest::Pairs {
                key,
                value,
                default,
            } => {
                parts.push(format!("{}1", key.name));
                parts.push(format!("{}1", value.name));
                parts.push("…".to_string());
                tail = default.name;
            }
        }
        let mut s = format!("{}({}", self.name, parts.join(", "));
        if !tail.is_empty() {
            s.push_str(&format!("[, {tail}]"));
        }
        s.push(')');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::functions::builtin;

    #[test]
    fn signatures_and_arities() {
        let sig = |n: &str| builtin(n).unwrap().signature();
        let arity = |n: &str| builtin(n).unwrap().arity().describe();
        assert_eq!(sig("concat"), "concat(a, …)");
        assert_eq!(sig("concat_ws"), "concat_ws(sep, a, …)");
        assert_eq!(sig("substring"), "substring(s, start, length)");
        assert_eq!(sig("lookup"), "lookup(key, k1, v1, …[, default])");
        assert_eq!(sig("sha256"), "sha256(s)");
        assert_eq!(arity("concat"), "at least 1 argument");
        assert_eq!(arity("concat_ws"), "at least 2 arguments");
        assert_eq!(arity("coalesce"), "at least 1 argument");
        assert_eq!(arity("nullif"), "exactly 2 arguments");
        assert_eq!(arity("lookup"), "at least 3 arguments");
        assert_eq!(arity("regex_capture"), "exactly 3 arguments");
        assert_eq!(arity("upper"), "exactly 1 argument");
        assert_eq!(
            Arity {
                min: 1,
                max: Some(3)
            }
            .describe(),
            "1 to 3 arguments"
        );
        assert!(builtin("lookup").unwrap().arity().allows(7));
        assert!(!builtin("nullif").unwrap().arity().allows(3));
        assert!(builtin("nosuch").is_none());
    }

    #[test]
    fn binds_arguments_to_parameters() {
        let lookup = builtin("lookup").unwrap();
        let names = |count: usize| -> Vec<&str> {
            (0..count)
                .map(|i| lookup.param(i, count).unwrap().name)
                .collect()
        };
        assert_eq!(names(3), ["key", "k", "v"]);
        assert_eq!(names(4), ["key", "k", "v", "default"]);
        assert_eq!(names(5), ["key", "k", "v", "k", "v"]);
        assert_eq!(names(6), ["key", "k", "v", "k", "v", "default"]);
        assert!(lookup.default_given(4) && !lookup.default_given(5));
        assert!(!builtin("concat").unwrap().default_given(2));
        let ws = builtin("concat_ws").unwrap();
        assert_eq!(ws.param(0, 4).unwrap().name, "sep");
        assert_eq!(ws.param(3, 4).unwrap().name, "a");
        assert!(builtin("trim").unwrap().param(1, 2).is_none());
        let rc = builtin("regex_capture").unwrap();
        assert_eq!(rc.param(1, 3).unwrap().literal, Some(LiteralKind::Regex));
        assert_eq!(
            rc.param(2, 3).unwrap().constant,
            Some(ConstantRule::CaptureGroup)
        );
    }
}
