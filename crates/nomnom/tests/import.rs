//! `nomnom import` on the first nomnom's own TPC-H example (`tests/fixtures/first-nomnom-tpch`,
//! see its README for where it comes from): the imported model passes the checker and matches
//! its golden file; and the command's help, errors and exit codes.
//!
//! `UPDATE_SNAPSHOTS=1 cargo test -p nomnom --test import` rewrites the golden files under
//! `tests/golden/import/first-nomnom-tpch/` (the model, and the warnings as printed).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nomnom::import::import_dir;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/first-nomnom-tpch")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/import/first-nomnom-tpch")
}

fn check_golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(golden_dir()).expect("creating the golden folder");
        fs::write(&path, actual).expect("writing the golden file");
        return;
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the import (UPDATE_SNAPSHOTS=1 to accept), from line {}:\n\
             expected: {:?}\n  actual: {:?}",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn the_first_nomnoms_tpch_example_imports_and_checks() {
    let imported = import_dir(&fixture()).expect("the TPC-H example imports");
    let loaded = nomnom_spec::load_str(&imported.yaml, "nomnom.yaml").unwrap_or_else(|d| {
        panic!(
            "the imported model does not pass the checker:\n{}\n{}",
            d.render(false, 100),
            imported.yaml
        )
    });
    let p = &loaded.project;
    assert_eq!(p.name, "tpch_example");
    let roots: Vec<_> = p.roots().map(|e| e.name.as_str()).collect();
    assert_eq!(roots, ["Customer", "Order", "Product"]);
    let line = p.entity("OrderLineItem").expect("OrderLineItem");
    let link = line.parent.as_ref().expect("a child");
    assert_eq!(
        (link.entity.as_str(), link.field.as_str()),
        ("Order", "line_items")
    );
    for (entity, table, key) in [
        ("Customer", "customers", vec!["customer_key"]),
        ("Order", "orders", vec!["order_key"]),
        (
            "OrderLineItem",
            "order_line_items",
            vec!["order_key", "line_number"],
        ),
        ("Product", "products", vec!["part_key"]),
    ] {
        let e = p.entity(entity).expect(entity);
        assert_eq!(e.table, table);
        assert_eq!(e.key, key);
    }
    assert!(
        loaded.warnings.items.is_empty(),
        "the checker has nothing to say:\n{}",
        loaded.warnings.render(false, 100)
    );
    // Every field of every entity file is there.
    for file in fs::read_dir(fixture().join("entities")).expect("entities") {
        let text = fs::read_to_string(file.expect("entry").path()).expect("readable");
        let entity = text
            .lines()
            .find_map(|l| l.strip_prefix("  name: "))
            .expect("an entity name");
        let fields_part = &text[..text.find("  persistence:").unwrap_or(text.len())];
        for name in fields_part
            .lines()
            .filter_map(|l| l.strip_prefix("    - name: "))
        {
            assert!(
                p.entity(entity).and_then(|e| e.field(name)).is_some(),
                "{entity}.{name} was dropped"
            );
        }
    }

    check_golden("nomnom.yaml", &imported.yaml);
    let warnings: String = imported.warnings.iter().map(|w| format!("{w}\n")).collect();
    check_golden("warnings.txt", &warnings);
}

fn nomnom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nomnom"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the nomnom binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("import-{name}"));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_command_writes_the_model_and_prints_each_warning_at_its_line() {
    let out_dir = scratch("tpch");
    let fixture = fixture();
    let out = nomnom(&[
        "import",
        &fixture.display().to_string(),
        "--output",
        &out_dir.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("project `tpch_example`, 4 entities"),
        "{stdout}"
    );
    assert!(stdout.contains("it passes `nomnom check`"), "{stdout}");
    let stderr = text(&out.stderr);
    let expected_line = format!(
        "warning: {}: `prefix` is not carried",
        fixture.join("entities/order.yaml:8").display()
    );
    assert!(stderr.contains(&expected_line), "{stderr}");
    let written = fs::read_to_string(out_dir.join("nomnom.yaml")).expect("written");
    assert_eq!(
        written,
        import_dir(&fixture).expect("imports").yaml,
        "the command writes what the library imports"
    );
    let check = nomnom(&["check", &out_dir.display().to_string()]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
}

#[test]
fn an_existing_model_is_never_overwritten() {
    let out_dir = scratch("exists");
    fs::create_dir_all(&out_dir).expect("mkdir");
    fs::write(out_dir.join("nomnom.yaml"), "mine\n").expect("write");
    let out = nomnom(&[
        "import",
        &fixture().display().to_string(),
        "-o",
        &out_dir.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("already exists; nomnom import never overwrites a model"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(
        fs::read_to_string(out_dir.join("nomnom.yaml")).expect("read"),
        "mine\n"
    );
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    let missing = nomnom(&["import", "/definitely/not/here", "-o", "/tmp/never-written"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        text(&missing.stderr),
        "nomnom: /definitely/not/here is not a folder\n"
    );
    assert!(!Path::new("/tmp/never-written").exists());

    let empty = scratch("empty");
    fs::create_dir_all(&empty).expect("mkdir");
    let out = nomnom(&[
        "import",
        &empty.display().to_string(),
        "-o",
        &scratch("empty-out").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("holds no nomnom.yaml"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let broken = scratch("broken");
    fs::create_dir_all(broken.join("entities")).expect("mkdir");
    fs::write(broken.join("nomnom.yaml"), "project:\n  name: x\n").expect("write");
    fs::write(
        broken.join("entities/a.yaml"),
        "entity:\n  name: A\n  fields: [\n",
    )
    .expect("write");
    fs::write(broken.join("entities/b.yaml"), [0xff, 0xfe, b'\n']).expect("write");
    let out_dir = scratch("broken-out");
    let out = nomnom(&[
        "import",
        &broken.display().to_string(),
        "-o",
        &out_dir.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].contains("entities/a.yaml:") && lines[0].contains("invalid YAML"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("entities/b.yaml: cannot read: not UTF-8 text"),
        "{stderr}"
    );
    assert!(!out_dir.exists(), "nothing is written");

    let no_output = nomnom(&["import", &fixture().display().to_string()]);
    assert_eq!(no_output.status.code(), Some(2));
}

#[test]
fn help_says_what_is_mapped() {
    let out = nomnom(&["import", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for needle in [
        "Import a project of the first nomnom",
        "repeated_for",
        "json_get_*",
        "unicity_fields",
        "never overwritten",
        "--output <OUTPUT>",
    ] {
        assert!(help.contains(needle), "`{needle}` missing from:\n{help}");
    }
}
