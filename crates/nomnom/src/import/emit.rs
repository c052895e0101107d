//! The imported model, and its text: a `nomnom.yaml` a person can read and review, with
//! comments saying where each entity came from and what could not be carried over.

use std::fmt::Write as _;

/// The imported model, ready to be written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Comment lines at the top of the file.
    pub header: Vec<String>,
    /// The project name.
    pub project: String,
    /// Entities, in the order they are written.
    pub entities: Vec<Entity>,
    /// User transforms carried over.
    pub transforms: Vec<Transform>,
}

/// One entity of the imported model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entity {
    /// Comment lines above the entity.
    pub comments: Vec<String>,
    /// PascalCase name.
    pub name: String,
    /// `doc`.
    pub doc: Option<String>,
    /// `table`.
    pub table: Option<String>,
    /// `key`.
    pub key: Vec<String>,
    /// `fields`, in order.
    pub fields: Vec<Field>,
}

/// One field of the imported model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Field {
    /// Comment lines above the field.
    pub comments: Vec<String>,
    /// The field name.
    pub name: String,
    /// A type name: `string`, `list<OrderLineItem>`.
    pub ty: String,
    /// `?`.
    pub nullable: bool,
    /// `doc`.
    pub doc: Option<String>,
    /// `json`: a key or a JSON pointer, when it differs from the name.
    pub json: Option<String>,
    /// `from: parent.<field>`.
    pub from: Option<String>,
    /// `compute`.
    pub compute: Option<String>,
    /// `store: false`.
    pub input_only: bool,
    /// `max_length`.
    pub max_length: Option<u64>,
}

/// A user transform carried over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transform {
    /// Comment lines above it.
    pub comments: Vec<String>,
    /// Its name.
    pub name: String,
    /// `doc`.
    pub doc: Option<String>,
    /// `args`: name and model type (with `?` when nullable).
    pub args: Vec<(String, String)>,
    /// `returns`.
    pub returns: String,
    /// `rust`: the body.
    pub rust: String,
}

impl Model {
    /// The entity named `name`.
    pub fn entity_mut(&mut self, name: &str) -> Option<&mut Entity> {
        self.entities.iter_mut().find(|e| e.name == name)
    }
}

/// The model as YAML text.
pub fn render(model: &Model) -> String {
    let mut out = String::new();
    for line in &model.header {
        comment(&mut out, 0, line);
    }
    let _ = writeln!(out, "project: {}", scalar(&model.project));
    out.push_str("entities:\n");
    for (i, e) in model.entities.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for line in &e.comments {
            comment(&mut out, 2, line);
        }
        let _ = writeln!(out, "  {}:", e.name);
        if let Some(doc) = &e.doc {
            let _ = writeln!(out, "    doc: {}", scalar(doc));
        }
        if let Some(table) = &e.table {
            let _ = writeln!(out, "    table: {}", scalar(table));
        }
        if !e.key.is_empty() {
            let key = e.key.iter().map(|k| scalar(k)).collect::<Vec<_>>();
            let _ = writeln!(out, "    key: [{}]", key.join(", "));
        }
        out.push_str("    fields:\n");
        for f in &e.fields {
            field(&mut out, f);
        }
    }
    if !model.transforms.is_empty() {
        out.push_str("\ntransforms:\n");
        for (i, t) in model.transforms.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            transform(&mut out, t);
        }
    }
    out
}

fn field(out: &mut String, f: &Field) {
    for line in &f.comments {
        comment(out, 6, line);
    }
    let ty = format!("{}{}", f.ty, if f.nullable { "?" } else { "" });
    let simple = f.doc.is_none()
        && f.json.is_none()
        && f.from.is_none()
        && f.compute.is_none()
        && !f.input_only
        && f.max_length.is_none();
    if simple {
        let _ = writeln!(out, "      {}: {}", scalar(&f.name), scalar(&ty));
        return;
    }
    let _ = writeln!(out, "      {}:", scalar(&f.name));
    let _ = writeln!(out, "        type: {}", scalar(&ty));
    if let Some(doc) = &f.doc {
        let _ = writeln!(out, "        doc: {}", scalar(doc));
    }
    if let Some(json) = &f.json {
        let _ = writeln!(out, "        json: {}", scalar(json));
    }
    if let Some(from) = &f.from {
        let _ = writeln!(out, "        from: {}", scalar(from));
    }
    if let Some(compute) = &f.compute {
        let _ = writeln!(out, "        compute: {}", quoted(compute));
    }
    if f.input_only {
        out.push_str("        store: false\n");
    }
    if let Some(n) = f.max_length {
        let _ = writeln!(out, "        max_length: {n}");
    }
}

fn transform(out: &mut String, t: &Transform) {
    for line in &t.comments {
        comment(out, 2, line);
    }
    let _ = writeln!(out, "  {}:", t.name);
    if let Some(doc) = &t.doc {
        let _ = writeln!(out, "    doc: {}", scalar(doc));
    }
    if t.args.is_empty() {
        out.push_str("    args: []\n");
    } else {
        out.push_str("    args:\n");
        for (name, ty) in &t.args {
            let _ = writeln!(out, "      - {}: {}", scalar(name), scalar(ty));
        }
    }
    let _ = writeln!(out, "    returns: {}", scalar(&t.returns));
    block(out, 4, "rust", &t.rust);
}

/// A literal block scalar (`key: |`), its lines indented two more than the key.
fn block(out: &mut String, indent: usize, key: &str, text: &str) {
    let body = text.trim_end_matches(['\n', ' ', '\t']);
    let pad = " ".repeat(indent + 2);
    // A first line starting with a space would be taken for the block's indentation.
    let indicator = if body.starts_with([' ', '\t']) {
        "2"
    } else {
        ""
    };
    let _ = writeln!(out, "{}{key}: |{indicator}", " ".repeat(indent));
    for line in body.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
}

/// Comment lines, wrapped to stay within 100 columns; a wrapped line continues indented.
fn comment(out: &mut String, indent: usize, text: &str) {
    let pad = " ".repeat(indent);
    let width = 98usize.saturating_sub(indent).max(40);
    for paragraph in text.lines() {
        let lines = wrap(paragraph, width);
        if lines.is_empty() {
            let _ = writeln!(out, "{pad}#");
        }
        for (i, line) in lines.iter().enumerate() {
            let cont = if i == 0 { "" } else { "  " };
            let _ = writeln!(out, "{pad}# {cont}{line}");
        }
    }
}

/// Splits a paragraph into lines of at most `width` characters (a word longer than that
/// stays whole).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let limit = if lines.is_empty() { width } else { width - 2 };
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > limit {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A string as a YAML scalar: plain when that reads back as the same string, double-quoted
/// otherwise.
pub fn scalar(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A double-quoted YAML scalar.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}' =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_is_safe(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    !(s.trim() != s
        || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || first.is_ascii_digit()
        || (matches!(first, '+' | '.') && s.len() > 1)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.chars().any(|c| {
            c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomnom_spec::yaml::{parse, Kind};

    fn round_trip(s: &str) -> Kind {
        let doc = parse(&format!("k: {}\n", scalar(s))).expect("valid YAML");
        let Kind::Map(entries) = doc.kind else {
            panic!("not a map")
        };
        entries[0].1.kind.clone()
    }

    #[test]
    fn scalars_read_back_as_the_same_string() {
        for s in [
            "plain text",
            "Order status (e.g., O=open, F=fulfilled, P=pending)",
            "Clerk#000001234",
            "a: b",
            "a #b",
            "yes",
            "No",
            "null",
            "~",
            "123",
            "1.5",
            "2024-01-01",
            "-x",
            "'quoted'",
            "\"dq\"",
            "tab\there",
            "line\nbreak",
            " leading",
            "trailing ",
            "back\\slash",
            "[list]",
            "{map}",
            "* star",
            "ends:",
            "",
            "é ünïcode",
        ] {
            assert_eq!(
                round_trip(s),
                Kind::Str(s.to_string()),
                "{s:?} as {}",
                scalar(s)
            );
        }
    }

    #[test]
    fn blocks_keep_the_code() {
        let mut out = String::new();
        block(&mut out, 0, "rust", "  let a = 1;\n\n  Ok(a)\n");
        let doc = parse(&out).expect("valid YAML");
        let Kind::Map(entries) = doc.kind else {
            panic!("not a map")
        };
        assert_eq!(
            entries[0].1.kind,
            Kind::Str("  let a = 1;\n\n  Ok(a)\n".into())
        );
    }
}
