//! Turning model names into identifiers: Rust (keywords escaped), SQL (quoted when needed,
//! PostgreSQL's 63-byte limit), NATS subject tokens and Kubernetes names. Every generator
//! goes through here, so one name never becomes two different identifiers.

/// PostgreSQL truncates identifiers longer than this many bytes.
pub const POSTGRES_MAX_IDENTIFIER_BYTES: usize = 63;

/// `OrderLineItem` → `order_line_item`, `order-key` → `order_key`, `HTTPStatus` → `http_status`.
/// Any character that is not an ASCII letter or digit becomes `_`; runs of `_` collapse.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// `order_line_item` / `order-line-item` → `OrderLineItem`.
pub fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in snake_case(name).split('_').filter(|w| !w.is_empty()) {
        let mut cs = word.chars();
        if let Some(first) = cs.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    out
}

/// Rust keywords (2021 edition, strict and reserved) that need a raw identifier.
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// `true` for a Rust keyword (strict, reserved, or one that cannot be a raw identifier).
pub fn is_rust_keyword(name: &str) -> bool {
    RUST_KEYWORDS.contains(&name) || RUST_NON_RAW.contains(&name)
}

/// Keywords that cannot be raw identifiers either; they get a trailing `_`.
const RUST_NON_RAW: &[&str] = &["crate", "self", "super", "Self", "_"];

/// The Rust field or function name for a model name: snake_case, keywords escaped
/// (`type` → `r#type`, `self` → `self_`), a leading digit prefixed with `_`.
pub fn rust_field(name: &str) -> String {
    let mut s = snake_case(name);
    if s.is_empty() {
        s.push('_');
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if RUST_NON_RAW.contains(&s.as_str()) {
        s.push('_');
    } else if RUST_KEYWORDS.contains(&s.as_str()) {
        s.insert_str(0, "r#");
    }
    s
}

/// The Rust type name for an entity name (PascalCase; `Self` and friends get a trailing `_`).
pub fn rust_type(name: &str) -> String {
    let mut s = pascal_case(name);
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'E');
    }
    if RUST_NON_RAW.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// SQL words that must be quoted to be used as identifiers (PostgreSQL reserved words and
/// those reserved in MySQL/MariaDB and SQLite that clash most often).
const SQL_RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
    "authorization",
    "binary",
    "collation",
    "concurrently",
    "cross",
    "current_schema",
    "freeze",
    "full",
    "ilike",
    "inner",
    "is",
    "isnull",
    "join",
    "left",
    "like",
    "natural",
    "notnull",
    "outer",
    "overlaps",
    "right",
    "similar",
    "tablesample",
    "verbose",
    "key",
    "index",
    "range",
    "rows",
    "value",
    "values",
    "status",
    "type",
];

/// A SQL identifier, double-quoted when it is reserved or not a plain lower-case name.
pub fn sql_ident(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && !SQL_RESERVED.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `true` when PostgreSQL would truncate `name`.
pub fn exceeds_postgres_limit(name: &str) -> bool {
    name.len() > POSTGRES_MAX_IDENTIFIER_BYTES
}

/// A NATS subject token for an entity name: entity names are PascalCase ASCII, so they are
/// used as they are; anything else (`.`, `*`, `>`, whitespace) would split or wildcard a
/// subject and becomes `_`.
pub fn nats_token(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A Kubernetes resource name (RFC 1123 label: lower-case alphanumerics and `-`, at most 63
/// characters, starting and ending with an alphanumeric).
pub fn k8s_name(name: &str) -> String {
    let mut s: String = snake_case(name).replace('_', "-");
    s.truncate(63);
    let trimmed = s.trim_matches('-');
    if trimmed.is_empty() {
        "nomnom".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words() {
        assert_eq!(snake_case("OrderLineItem"), "order_line_item");
        assert_eq!(snake_case("order-key"), "order_key");
        assert_eq!(snake_case("order_key"), "order_key");
        assert_eq!(snake_case("HTTPStatus"), "http_status");
        assert_eq!(snake_case("page2View"), "page2_view");
        assert_eq!(snake_case("a..b"), "a_b");
    }

    #[test]
    fn rust_names_escape_keywords() {
        assert_eq!(rust_field("type"), "r#type");
        assert_eq!(rust_field("self"), "self_");
        assert_eq!(rust_field("2nd"), "_2nd");
        assert_eq!(rust_type("order_line_item"), "OrderLineItem");
        assert_eq!(rust_type("Self"), "Self_");
    }

    #[test]
    fn sql_names_quote_when_needed() {
        assert_eq!(sql_ident("orders"), "orders");
        assert_eq!(sql_ident("order"), "\"order\"");
        assert_eq!(sql_ident("Order"), "\"Order\"");
        assert_eq!(sql_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn k8s_and_nats_names() {
        assert_eq!(k8s_name("Web_Analytics"), "web-analytics");
        assert_eq!(k8s_name("___"), "nomnom");
        assert_eq!(nats_token("Page.View*"), "Page_View_");
    }
}
