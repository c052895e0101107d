//! A model's examples: `examples/<name>.json` (or `<name>.hl7`, an HL7 v2 message) beside the
//! model, each with the rows it must become in `examples/<name>.rows.json` (or the errors it must be refused with), and the root
//! entity it is a message of.

use std::path::{Path, PathBuf};

use nomnom_spec::model::Project;
use nomnom_spec::names;

/// One example message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Its name (`order-with-two-lines`).
    pub name: String,
    /// The message.
    pub message: PathBuf,
    /// What it must become; absent when not written yet.
    pub expected: Option<PathBuf>,
    /// The root entity it is posted as; `Err` says why it could not be told.
    pub entity: Result<String, String>,
}

/// The examples in `dir` (`examples/` beside the model), by name.
pub fn find(dir: &Path, project: &Project) -> Result<Vec<Example>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .path();
        // Cargo runs the preview in the work folder: the path must not be relative.
        let path = std::path::absolute(&path).unwrap_or(path);
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        // A JSON message, or an HL7 v2 one for a model of HL7 roots.
        let Some(name) = file
            .strip_suffix(".json")
            .or_else(|| file.strip_suffix(".hl7"))
        else {
            continue;
        };
        if name.ends_with(".rows") {
            continue;
        }
        let expected = dir.join(format!("{name}.rows.json"));
        out.push(Example {
            name: name.to_string(),
            entity: root_for(name, project),
            expected: expected.is_file().then_some(expected),
            message: path,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The root entity an example is a message of: the only root, or the root its name starts
/// with (`Order.json`, `order-late.json`, `line_item_bad.json`), the longest one when several
/// do.
pub fn root_for(name: &str, project: &Project) -> Result<String, String> {
    let roots: Vec<&str> = project.roots().map(|e| e.name.as_str()).collect();
    if let [only] = roots.as_slice() {
        return Ok(only.to_string());
    }
    let lower = name.to_ascii_lowercase();
    let starts = |prefix: &str| {
        lower
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-', '_']))
    };
    roots
        .iter()
        .filter(|root| starts(&root.to_ascii_lowercase()) || starts(&names::snake_case(root)))
        .max_by_key(|root| root.len())
        .map(|root| root.to_string())
        .ok_or_else(|| {
            format!(
                "cannot tell which root entity it is a message of: start its name with one of {} \
                 (`{}-{name}.json`)",
                roots.join(", "),
                roots.first().copied().unwrap_or("Entity")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        nomnom_spec::load_str(
            "project: p\nentities:\n  Order:\n    fields: {id: string}\n  OrderLine:\n    fields: {id: string}\n  Customer:\n    fields: {id: string}\n",
            "nomnom.yaml",
        )
        .unwrap()
        .project
    }

    #[test]
    fn the_root_is_told_by_the_name() {
        let p = project();
        assert_eq!(root_for("Order", &p).unwrap(), "Order");
        assert_eq!(root_for("order-late", &p).unwrap(), "Order");
        assert_eq!(root_for("order_line_bad", &p).unwrap(), "OrderLine");
        assert_eq!(root_for("orderline.big", &p).unwrap(), "OrderLine");
        assert_eq!(root_for("customer", &p).unwrap(), "Customer");
        let e = root_for("orders", &p).unwrap_err();
        assert!(e.contains("Order, OrderLine, Customer"), "{e}");
    }

    #[test]
    fn a_single_root_takes_every_example() {
        let p = nomnom_spec::load_str(
            "project: p\nentities:\n  Visit:\n    fields: {id: string}\n",
            "m",
        )
        .unwrap()
        .project;
        assert_eq!(root_for("anything", &p).unwrap(), "Visit");
    }
}
