//! Renders the generated chart with a real Helm engine and checks the manifests.

mod helm;

use serde_json::json;

#[test]
fn debug_render() {
    let chart = helm::write_chart(&helm::tpch(), "debug");
    let r = helm::render(&chart, &[], json!({}));
    for (p, t) in &r.texts { println!("## {p}\n{t}"); }
    println!("{}", r.lint);
}
