//! Computed fields that depend on each other: the fields an expression reads, and the cycles
//! among computed fields (each must be computable from values read before it).

use std::collections::HashMap;
use std::ops::Range;

use super::ast::{Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::yaml::Span;

/// A field named in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The field's name.
    pub name: String,
    /// Where it is written within the expression text.
    pub range: Range<usize>,
}

/// Every field `expr` reads, in the order written (a field named twice appears twice).
pub fn references(expr: &Expr) -> Vec<Reference> {
    let mut out = Vec::new();
    expr.walk(&mut |e| {
        if let ExprKind::Field(name) = &e.kind {
            out.push(Reference {
                name: name.clone(),
                range: e.range.clone(),
            });
        }
    });
    out
}

/// The cycles among computed fields. `deps` lists each computed field (in the model's order)
/// with the fields its expression reads; names it does not list (fields read from the
/// message) end a path. Each cycle is a path that starts and ends with the same field
/// (`[a, b, a]`; `[a, a]` for a field reading itself), starting where a depth-first walk over
/// `deps`, in order, entered it; each cycle that walk closes is returned once.
pub fn find_cycles(deps: &[(String, Vec<String>)]) -> Vec<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        OnPath,
        Done,
    }
    struct Walk<'d> {
        deps: HashMap<&'d str, &'d [String]>,
        state: HashMap<&'d str, State>,
        path: Vec<&'d str>,
        cycles: Vec<Vec<String>>,
    }
    impl<'d> Walk<'d> {
        fn visit(&mut self, field: &'d str) {
            self.state.insert(field, State::OnPath);
            self.path.push(field);
            let nexts = self.deps.get(field).copied().unwrap_or_default();
            for name in nexts {
                if !self.deps.contains_key(name.as_str()) {
                    continue;
                }
                match self.state.get(name.as_str()) {
                    None => self.visit(name),
                    Some(State::OnPath) => {
                        let from = self.path.iter().position(|f| f == name).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            self.path[from..].iter().map(|f| f.to_string()).collect();
                        cycle.push(name.clone());
                        self.cycles.push(cycle);
                    }
                    Some(State::Done) => {}
                }
            }
            self.path.pop();
            self.state.insert(field, State::Done);
        }
    }
    let mut walk = Walk {
        deps: deps
            .iter()
            .map(|(f, reads)| (f.as_str(), reads.as_slice()))
            .collect(),
        state: HashMap::new(),
        path: Vec::new(),
        cycles: Vec::new(),
    };
    for (field, _) in deps {
        if !walk.state.contains_key(field.as_str()) {
            walk.visit(field);
        }
    }
    walk.cycles
}

/// The diagnostic for `cycle` (as [`find_cycles`] returns it), at `at`: where the first
/// field's expression reads the second.
pub fn cycle_diagnostic(cycle: &[String], at: Span) -> Diagnostic {
    let path = cycle
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(" → ");
    let (message, label) = if cycle.len() <= 2 {
        (
            format!("computed field `{}` reads itself", cycle[0]),
            "reads itself".to_string(),
        )
    } else {
        (
            format!("computed fields depend on each other: {path}"),
            format!("`{}` reads `{}`", cycle[0], cycle[1]),
        )
    };
    Diagnostic::error("nomnom::compute_cycle", at, message)
        .label(label)
        .help("compute each field from fields read from the message, or from computed fields that do not read it back")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse::parse;

    fn graph(edges: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        edges
            .iter()
            .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
            .collect()
    }

    #[test]
    fn references_in_written_order() {
        let text = "concat(b, lower(a), 'a', b)";
        let refs = references(&parse(text).unwrap());
        let found: Vec<(&str, &str)> = refs
            .iter()
            .map(|r| (r.name.as_str(), &text[r.range.clone()]))
            .collect();
        assert_eq!(found, [("b", "b"), ("a", "a"), ("b", "b")]);
        assert!(references(&parse("'x'").unwrap()).is_empty());
    }

    #[test]
    fn no_cycle_in_a_chain() {
        let g = graph(&[("a", &["b", "raw"]), ("b", &["c"]), ("c", &["raw"])]);
        assert!(find_cycles(&g).is_empty());
        // A diamond is not a cycle.
        let g = graph(&[("a", &["b", "c"]), ("b", &["d"]), ("c", &["d"]), ("d", &[])]);
        assert!(find_cycles(&g).is_empty());
    }

    #[test]
    fn finds_cycles_with_their_path() {
        assert_eq!(find_cycles(&graph(&[("a", &["a"])])), [["a", "a"]]);
        let g = graph(&[
            ("a", &["raw", "b"]),
            ("b", &["c"]),
            ("c", &["a"]),
            ("d", &["a"]),
        ]);
        assert_eq!(find_cycles(&g), [["a", "b", "c", "a"]]);
        // Entered from a field outside it, the cycle still starts at its own first field.
        let g = graph(&[("a", &["x"]), ("x", &["y"]), ("y", &["x"])]);
        assert_eq!(find_cycles(&g), [["x", "y", "x"]]);
        // The walk follows the model's order.
        let g = graph(&[("z", &["y"]), ("y", &["z"])]);
        assert_eq!(find_cycles(&g), [["z", "y", "z"]]);
        // Two cycles through one field are both reported.
        let g = graph(&[("a", &["b", "c"]), ("b", &["a"]), ("c", &["a"])]);
        assert_eq!(find_cycles(&g), [["a", "b", "a"], ["a", "c", "a"]]);
    }

    #[test]
    fn cycle_diagnostics() {
        let cycle: Vec<String> = ["a", "b", "a"].iter().map(|s| s.to_string()).collect();
        let d = cycle_diagnostic(&cycle, Span { offset: 3, len: 1 });
        assert_eq!(d.code, "nomnom::compute_cycle");
        assert_eq!(
            d.message,
            "computed fields depend on each other: `a` → `b` → `a`"
        );
        assert_eq!(d.label, "`a` reads `b`");
        let d = cycle_diagnostic(&["a".to_string(), "a".to_string()], Span::default());
        assert_eq!(d.message, "computed field `a` reads itself");
    }
}
