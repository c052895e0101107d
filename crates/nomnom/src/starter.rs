//! `nomnom init`: a small, valid, commented model to start from.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nomnom_spec::MODEL_FILE;

/// The starter model `nomnom init` writes, with `project: starter` replaced by the folder's
/// name (see [`starter_model`]).
pub const STARTER_MODEL: &str = r#"# nomnom model: the records your pipeline accepts and the tables they land in.
# Check it with `nomnom check .`; generate the service with `nomnom generate . --output out`.
# The language is described in docs/model-language.md of the nomnom repository.

# The generated crate's name: letters, digits, `-` and `_`.
project: starter

entities:
  # A root entity (not inside any `list<...>`): clients post these as JSON objects.
  Order:
    doc: A customer order.
    table: orders           # optional; defaults to the snake_case name (`order`)
    key: [order_id]         # natural key: re-posting the same order updates its row
    fields:
      order_id: string                                # required
      customer_email: {type: string, max_length: 254} # sizes the column: VARCHAR(254)
      status: {type: string, enum: [open, paid, shipped], default: open}
      total: {type: decimal, min: 0}                  # exact: never passes through a float
      placed_at: {type: timestamp, json: placedAt}    # read from the JSON key `placedAt`
      country: {type: string, nullable: true, json: /shipping/country}  # a JSON pointer
      note: string?                                   # `?`: may be absent or null
      lines: list<OrderLine>                          # each array element is an OrderLine

  # A child entity: its rows link to the order that contained them.
  OrderLine:
    doc: One line of an order.
    table: order_lines
    key: [order_id, line_number]
    fields:
      order_id: {type: string, from: parent.order_id}  # copied from the enclosing order
      line_number: {type: integer, min: 1}
      sku: {type: string, pattern: "[A-Z0-9-]+"}
      quantity: {type: integer, min: 1}
      unit_price: decimal
"#;

/// Why `init` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A model is already there; it is never overwritten.
    #[error("{} already exists; nomnom init never overwrites a model", .0.display())]
    Exists(PathBuf),
    /// The file system refused.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// The project name `nomnom init` gives the model in `dir`: the folder's name made a valid
/// project name (lower-case ASCII letters, digits, `-` and `_`, starting with a letter, at most
/// 64 characters; any other character becomes `-`), or `starter` when nothing is left.
pub fn project_name(dir: &Path) -> String {
    let folder = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut name = String::new();
    for c in folder.chars() {
        let c = match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '-',
        };
        let starts = name.is_empty();
        if starts && !c.is_ascii_lowercase() {
            continue;
        }
        if c == '-' && name.ends_with('-') {
            continue;
        }
        name.push(c);
    }
    name.truncate(64);
    let name = name.trim_end_matches(['-', '_']);
    if name.is_empty() {
        "starter".to_string()
    } else {
        name.to_string()
    }
}

/// [`STARTER_MODEL`] for project `name`, quoted where YAML would read it as another type.
pub fn starter_model(name: &str) -> String {
    let value = match name {
        "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" => {
            format!("\"{name}\"")
        }
        _ => name.to_string(),
    };
    STARTER_MODEL.replacen("project: starter", &format!("project: {value}"), 1)
}

/// Writes the starter model, named for its folder ([`project_name`]), to `dir/nomnom.yaml`,
/// creating `dir` when needed; returns the file's path.
pub fn init(dir: &Path) -> Result<PathBuf, InitError> {
    let path = dir.join(MODEL_FILE);
    let io_err = |source| InitError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    // `create_new` makes the existence check and the creation one atomic step.
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(InitError::Exists(path)),
        Err(e) => return Err(io_err(e)),
    };
    file.write_all(starter_model(&project_name(dir)).as_bytes())
        .map_err(io_err)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_model_is_valid_and_quiet() {
        let loaded = nomnom_spec::load_str(STARTER_MODEL, MODEL_FILE)
            .unwrap_or_else(|d| panic!("{}", d.render_plain()));
        assert!(
            loaded.warnings.items.is_empty(),
            "{}",
            loaded.warnings.render_plain()
        );
        assert_eq!(loaded.project.name, "starter");
        assert_eq!(loaded.project.roots().count(), 1);
    }

    #[test]
    fn folder_names_become_valid_project_names() {
        let name =
            |folder: &str| project_name(Path::new("/definitely/not/here").join(folder).as_path());
        assert_eq!(name("my-pipeline"), "my-pipeline");
        assert_eq!(name("My Pipeline (v2)"), "my-pipeline-v2");
        assert_eq!(name("2024_orders"), "orders");
        assert_eq!(name("données"), "donn-es");
        assert_eq!(name("42"), "starter");
        assert_eq!(name(&"a".repeat(80)).len(), 64);
    }

    #[test]
    fn every_starter_model_loads_with_its_name() {
        for name in ["my-pipeline", "null", "true", "no", "orders_2"] {
            let model = starter_model(name);
            let loaded = nomnom_spec::load_str(&model, MODEL_FILE)
                .unwrap_or_else(|d| panic!("{name}: {}", d.render_plain()));
            assert_eq!(loaded.project.name, name);
        }
    }
}
