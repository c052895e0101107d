//! `nomnom init`: a small, valid, commented model to start from.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nomnom_spec::MODEL_FILE;

/// The starter model `nomnom init` writes.
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

/// Writes [`STARTER_MODEL`] to `dir/nomnom.yaml`, creating `dir` when needed; returns the
/// file's path.
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
    file.write_all(STARTER_MODEL.as_bytes()).map_err(io_err)?;
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
}
