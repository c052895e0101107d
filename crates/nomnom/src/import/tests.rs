//! The mapping and its warnings, on small projects written inline.

use super::{import_texts, ImportError, Imported};

const PROJECT: &str = "\
project:
  name: shop
  version: 1.0.0
transforms:
  rust:
    normalize_phone:
      doc: Digits of a phone number.
      args:
        - name: raw
          type: \"&str\"
      return_type: \"Result<Option<String>, String>\"
      code: |
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        Ok((!digits.is_empty()).then_some(digits))
    full_name:
      args:
        - name: first
          type: \"&str\"
        - name: last
          type: \"Option<&str>\"
        - name: separator
          type: \"&str\"
      return_type: String
      code: |
        match last {
            Some(l) => format!(\"{first}{separator}{l}\"),
            None => first.to_string(),
        }
    json_get_string:
      args:
        - name: obj
          type: \"&serde_json::Value\"
        - name: field
          type: \"&str\"
      return_type: \"Result<String, String>\"
      code: |
        obj.get(field).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| field.to_string())
";

const CUSTOMER: &str = "\
entity:
  name: Customer
  source_type: root
  doc: A customer.
  fields:
    - name: customer_key
      type: String
    - name: first_name
      type: String
    - name: last_name
      type: String
      nullable: true
    - name: raw_phone
      type: String
      nullable: true
      computed_from:
        transform: json_get_string
        sources: [customer]
        args:
          field: phoneNumber
    - name: phone
      type: String
      nullable: true
      computed_from:
        transform: normalize_phone
        sources:
          - source: Customer
            field: raw_phone
    - name: display_name
      type: String
      computed_from:
        transform: full_name
        sources:
          - source: Customer
            field: first_name
          - source: Customer
            field: last_name
        args:
          separator: \" \"
    - name: mobile
      type: String
      nullable: true
    - name: landline
      type: String
      nullable: true
    - name: contact
      type: String
      nullable: true
      computed_from:
        transform: coalesce
        sources: [mobile, landline]
    - name: balance
      type: Money
    - name: city
      type: String
      nullable: true
      computed_from:
        transform: extract_field
        sources: [customer]
        args:
          field_path: address.city
    - name: order_count
      type: Integer
      nullable: true
      computed_from:
        transform: count_children
        sources: []
        args:
          child_entity: Order
    - name: tags
      type: List[String]
      nullable: true
  persistence:
    database:
      conformant_table: customers
      conformant_id_column: id
      unicity_fields: [customer_key]
    field_overrides:
      - name: first_name
        type: String
        nullable: true
";

const ORDER: &str = "\
entity:
  name: Order
  source_type: root
  fields:
    - name: order_key
      type: String
    - name: placed
      type: DateTime
    - name: line_items
      type: List[Object]
  persistence:
    database:
      conformant_table: orders
      conformant_id_column: id
      unicity_fields: [order_key]
";

const LINE: &str = "\
entity:
  name: OrderLineItem
  source_type: derived
  repeated_for:
    entity: Order
    field: line_items
    each_known_as: item
  fields:
    - name: order_key
      type: String
      computed_from:
        transform: copy_field
        sources:
          - source: Order
            field: order_key
    - name: line_number
      type: Integer
      computed_from:
        transform: json_get_int
        sources: [item]
        args:
          field: lineNo
    - name: sku
      type: String
      computed_from:
        transform: json_get_string
        sources: [item]
        args:
          field: sku
    - name: note
      type: String
      nullable: true
    - name: label
      type: String
      computed_from:
        transform: full_name
        sources:
          - source: Order
            field: order_key
          - source: item
            field: sku
        args:
          separator: \"-\"
  persistence:
    database:
      conformant_table: order_line_items
      unicity_fields: [order_key, line_number]
";

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn shop() -> Imported {
    import_texts(
        PROJECT,
        &files(&[
            ("entities/customer.yaml", CUSTOMER),
            ("entities/order.yaml", ORDER),
            ("entities/orderlineitem.yaml", LINE),
        ]),
        "folder",
    )
    .expect("imports")
}

/// The 1-based line of the `nth` (0-based) line of `text` containing `needle`.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in the fixture"))
}

fn warnings(imported: &Imported) -> Vec<String> {
    imported.warnings.iter().map(ToString::to_string).collect()
}

/// The warning at `file:line`, which must contain `text`.
fn assert_warned(imported: &Imported, file: &str, line: usize, text: &str) {
    let all = warnings(imported);
    let prefix = format!("{file}:{line}: ");
    assert!(
        all.iter()
            .any(|w| w.starts_with(&prefix) && w.contains(text)),
        "no warning `{prefix}...{text}...` among:\n{}",
        all.join("\n")
    );
}

fn field<'a>(imported: &'a Imported, entity: &str, name: &str) -> &'a super::emit::Field {
    imported
        .model
        .entities
        .iter()
        .find(|e| e.name == entity)
        .unwrap_or_else(|| panic!("entity {entity}"))
        .fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("field {entity}.{name}"))
}

#[test]
fn roots_children_keys_tables_and_reads() {
    let m = shop();
    let names: Vec<_> = m.model.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["Customer", "Order", "OrderLineItem"],
        "parents first"
    );
    let order = &m.model.entities[1];
    assert_eq!(order.table.as_deref(), Some("orders"));
    assert_eq!(order.key, ["order_key"]);
    let items = field(&m, "Order", "line_items");
    assert_eq!(
        (items.ty.as_str(), items.nullable),
        ("list<OrderLineItem>", false)
    );
    let line = &m.model.entities[2];
    assert_eq!(line.key, ["order_key", "line_number"]);
    let order_key = field(&m, "OrderLineItem", "order_key");
    assert_eq!(order_key.from.as_deref(), Some("parent.order_key"));
    assert_eq!(order_key.json, None);
    let number = field(&m, "OrderLineItem", "line_number");
    assert_eq!(
        (number.ty.as_str(), number.json.as_deref()),
        ("integer", Some("lineNo")),
        "a key other than the name becomes `json:`"
    );
    assert_eq!(
        field(&m, "OrderLineItem", "sku").json,
        None,
        "same key, no `json:`"
    );
    assert_eq!(
        field(&m, "Customer", "raw_phone").json.as_deref(),
        Some("phoneNumber")
    );
    assert_eq!(
        field(&m, "Customer", "city").json.as_deref(),
        Some("/address/city"),
        "a dotted path becomes a JSON pointer"
    );
    assert_eq!(m.model.project, "shop");
}

#[test]
fn the_tpch_shaped_part_checks() {
    // Without the transforms and the fields using them, the model passes today's checker.
    let customer = "\
entity:
  name: Customer
  type: reference
  fields:
    - name: customer_key
      type: String
    - name: phone
      type: String
      nullable: true
  persistence:
    database:
      conformant_table: customers
      unicity_fields: [customer_key]
";
    let order = ORDER.replace("    - name: placed\n      type: DateTime\n", "");
    let line = LINE[..LINE.find("    - name: label").expect("label")].to_string()
        + &LINE[LINE.find("  persistence:").expect("persistence")..];
    let m = import_texts(
        "project:\n  name: tpch\n",
        &files(&[
            ("entities/customer.yaml", customer),
            ("entities/order.yaml", &order),
            ("entities/orderlineitem.yaml", &line),
        ]),
        "x",
    )
    .expect("imports");
    let loaded = nomnom_spec::load_str(&m.yaml, "nomnom.yaml")
        .unwrap_or_else(|d| panic!("{}\n{}", m.yaml, d.render(false, 100)));
    let roots: Vec<_> = loaded.project.roots().map(|e| e.name.as_str()).collect();
    assert_eq!(roots, ["Customer", "Order"], "a reference entity is a root");
    let line = loaded.project.entity("OrderLineItem").expect("child");
    assert_eq!(
        line.parent.as_ref().map(|p| p.field.as_str()),
        Some("line_items")
    );
}

#[test]
fn a_transform_is_carried_over_with_a_warning() {
    let m = shop();
    let names: Vec<_> = m.model.transforms.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["normalize_phone", "full_name"],
        "JSON reads are not carried"
    );
    let t = &m.model.transforms[0];
    assert_eq!(t.args, [("raw".to_string(), "string".to_string())]);
    assert_eq!(t.returns, "string?");
    assert!(t
        .rust
        .contains("Ok((!digits.is_empty()).then_some(digits))"));
    let full = &m.model.transforms[1];
    assert_eq!(full.returns, "string");
    assert!(
        full.rust.starts_with("Ok({\n    match last"),
        "{}",
        full.rust
    );
    assert_warned(
        &m,
        "nomnom.yaml",
        line_of(PROJECT, "normalize_phone:", 0),
        "transform `normalize_phone` is carried over as a user transform: review its signature",
    );
    assert_warned(
        &m,
        "nomnom.yaml",
        line_of(PROJECT, "full_name:", 0),
        "wrapped in `Ok(...)`",
    );
    assert_eq!(
        field(&m, "Customer", "phone").compute.as_deref(),
        Some("normalize_phone(raw_phone)")
    );
    // The YAML holds the transforms section with the body as a literal block.
    let doc = nomnom_spec::yaml::parse(&m.yaml).expect("valid YAML");
    let (_, transforms) = super::source::get(&doc, "transforms").expect("transforms");
    let (_, phone) = super::source::get(transforms, "normalize_phone").expect("carried");
    let (_, rust) = super::source::get(phone, "rust").expect("rust");
    assert_eq!(
        super::source::as_str(rust),
        Some(
            "let digits: String = raw.chars().filter(char::is_ascii_digit).collect();\n\
             Ok((!digits.is_empty()).then_some(digits))\n"
        )
    );
}

#[test]
fn an_unknown_field_type_becomes_json_with_a_warning() {
    let m = shop();
    let balance = field(&m, "Customer", "balance");
    assert_eq!((balance.ty.as_str(), balance.nullable), ("json", false));
    assert_warned(
        &m,
        "entities/customer.yaml",
        line_of(CUSTOMER, "type: Money", 0),
        "unknown field type `Money`: imported as `json`",
    );
    assert!(balance
        .comments
        .iter()
        .any(|c| c.contains("unknown field type")));
    let tags = field(&m, "Customer", "tags");
    assert_eq!(tags.ty, "json");
    assert_warned(
        &m,
        "entities/customer.yaml",
        line_of(CUSTOMER, "type: List[String]", 0),
        "no entity is `repeated_for`",
    );
    let placed = field(&m, "Order", "placed");
    assert_eq!(placed.ty, "string");
    assert_warned(
        &m,
        "entities/order.yaml",
        line_of(ORDER, "DateTime", 0),
        "DateTime",
    );
}

#[test]
fn a_field_with_no_source_is_kept_and_warned_about() {
    let m = shop();
    let count = field(&m, "Customer", "order_count");
    assert_eq!(
        (count.ty.as_str(), count.nullable, count.compute.as_deref()),
        ("integer", true, None)
    );
    assert_warned(
        &m,
        "entities/customer.yaml",
        line_of(CUSTOMER, "computed_from:", 5),
        "`order_count` is not computed: transform `count_children` (with no source)",
    );
    // A field of a derived entity without `computed_from` reads its item's key.
    let note = field(&m, "OrderLineItem", "note");
    assert_eq!((note.ty.as_str(), note.nullable), ("string", true));
    assert_warned(
        &m,
        "entities/orderlineitem.yaml",
        line_of(LINE, "name: note", 0),
        "has no `computed_from`: it is read from the key `note` of each item",
    );
}

#[test]
fn several_sources_become_the_arguments_of_a_call() {
    let m = shop();
    assert_eq!(
        field(&m, "Customer", "contact").compute.as_deref(),
        Some("coalesce(mobile, landline)")
    );
    assert_eq!(
        field(&m, "Customer", "display_name").compute.as_deref(),
        Some("full_name(first_name, last_name, ' ')")
    );
    // A parent's field and an item's key become input-only fields of the child.
    assert_eq!(
        field(&m, "OrderLineItem", "label").compute.as_deref(),
        Some("full_name(order_key, sku, '-')"),
        "fields already read are reused"
    );
}

#[test]
fn values_only_the_parent_or_the_item_holds_become_input_only_fields() {
    let line = LINE.replace(
        "          - source: Order\n            field: order_key\n          - source: item\n            field: sku\n",
        "          - source: Order\n            field: customer_key\n          - source: item\n            field: colour\n",
    );
    let order = ORDER.replace(
        "    - name: placed\n",
        "    - name: customer_key\n      type: String\n      nullable: true\n    - name: placed\n",
    );
    let m = import_texts(
        PROJECT,
        &files(&[
            ("entities/order.yaml", &order),
            ("entities/orderlineitem.yaml", &line),
        ]),
        "x",
    )
    .expect("imports");
    assert_eq!(
        field(&m, "OrderLineItem", "label").compute.as_deref(),
        Some("full_name(parent_customer_key, colour, '-')")
    );
    let parent = field(&m, "OrderLineItem", "parent_customer_key");
    assert_eq!(parent.from.as_deref(), Some("parent.customer_key"));
    assert!(parent.input_only && parent.nullable);
    let colour = field(&m, "OrderLineItem", "colour");
    assert!(colour.input_only && colour.nullable);
    assert_eq!(colour.ty, "string", "typed by the transform's parameter");
}

#[test]
fn field_overrides_are_applied_and_conflicts_warned() {
    let m = shop();
    assert!(field(&m, "Customer", "first_name").nullable);
    assert_warned(
        &m,
        "entities/customer.yaml",
        line_of(CUSTOMER, "- name: first_name", 1),
        "`field_overrides` makes `first_name` nullable, while the field says required",
    );
}

#[test]
fn no_field_is_dropped() {
    let m = shop();
    for (text, entity) in [
        (CUSTOMER, "Customer"),
        (ORDER, "Order"),
        (LINE, "OrderLineItem"),
    ] {
        let fields_part = &text[..text.find("  persistence:").unwrap_or(text.len())];
        for l in fields_part.lines() {
            if let Some(name) = l.strip_prefix("    - name: ") {
                field(&m, entity, name);
            }
        }
    }
}

#[test]
fn the_older_form_of_derived_entities() {
    let order = "\
entity:
  name: Order
  type: root
  fields:
    - name: order_key
      type: String
    - name: line_items
      type: List[Object]
      nullable: true
";
    let line = "\
entity:
  name: OrderLineItem
  type: derived
  parent: Order
  repeated_for: line_items
  fields:
    - name: order_key
      type: String
      computed_from:
        transform: copy_from_parent
        sources:
          - source: parent
            field: order_key
    - name: qty
      type: Integer
      computed_from:
        transform: extract_field
        sources:
          - source: current
            field: raw_data
        args:
          field_path: quantity
";
    let m = import_texts(
        "project:\n  name: old\n",
        &files(&[("entities/order.yaml", order), ("entities/line.yaml", line)]),
        "x",
    )
    .expect("imports");
    assert_eq!(field(&m, "Order", "line_items").ty, "list<OrderLineItem>");
    assert!(field(&m, "Order", "line_items").nullable);
    assert_eq!(
        field(&m, "OrderLineItem", "order_key").from.as_deref(),
        Some("parent.order_key")
    );
    assert_eq!(
        field(&m, "OrderLineItem", "qty").json.as_deref(),
        Some("quantity")
    );
    nomnom_spec::load_str(&m.yaml, "nomnom.yaml")
        .unwrap_or_else(|d| panic!("{}\n{}", m.yaml, d.render(false, 100)));
    assert!(
        warnings(&m)
            .iter()
            .any(|w| w.contains("did not store `Order`")),
        "{:?}",
        warnings(&m)
    );
}

#[test]
fn a_parent_field_that_is_not_declared_is_added() {
    let order = "entity:\n  name: Order\n  source_type: root\n  fields:\n    - name: id\n      type: String\n";
    let m = import_texts(
        "project:\n  name: p\n",
        &files(&[("entities/order.yaml", order), ("entities/line.yaml", LINE)]),
        "x",
    )
    .expect("imports");
    let items = field(&m, "Order", "line_items");
    assert_eq!(
        (items.ty.as_str(), items.nullable),
        ("list<OrderLineItem>", true)
    );
    assert_warned(
        &m,
        "entities/line.yaml",
        line_of(LINE, "repeated_for:", 0),
        "`Order` declares no field `line_items`",
    );
}

#[test]
fn unreadable_files_are_one_line_each() {
    let err = import_texts(
        PROJECT,
        &files(&[
            ("entities/a.yaml", "fields: []\n"),
            ("entities/b.yaml", "entity:\n  name: B\n  fields: [\n"),
        ]),
        "x",
    )
    .unwrap_err();
    let ImportError::Unreadable(lines) = err else {
        panic!("not a read error: {err}")
    };
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("entities/a.yaml:1: not an entity file"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("entities/b.yaml:"), "{lines:?}");
    assert!(lines[1].contains("invalid YAML"), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains('\n')));
}

#[test]
fn a_duplicate_entity_is_an_error() {
    let err = import_texts(
        PROJECT,
        &files(&[("entities/a.yaml", ORDER), ("entities/b.yaml", ORDER)]),
        "x",
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "entities/b.yaml:2: entity `Order` is defined again (first at entities/a.yaml:2)"
        ),
        "{err}"
    );
}

#[test]
fn warnings_are_comments_in_the_model_too() {
    let m = shop();
    assert!(
        m.yaml
            .contains("# warning: field `balance`: unknown field type `Money`"),
        "{}",
        m.yaml
    );
    assert!(m.yaml.starts_with("# Imported by `nomnom import`"));
    assert!(m.yaml.contains("  # from entities/orderlineitem.yaml (derived, repeated for Order.line_items, each known as `item`)"));
    assert!(
        m.yaml
            .lines()
            .all(|l| l.len() <= 100 || !l.trim_start().starts_with('#')),
        "comments are wrapped"
    );
}

#[test]
fn an_id_column_without_a_primary_key_is_warned_about() {
    // The line-item fixture has `conformant_id_column`-less persistence; the order has one.
    let m = shop();
    assert_warned(
        &m,
        "entities/order.yaml",
        line_of(ORDER, "conformant_id_column", 0),
        "id column `id` is not carried",
    );
    assert!(
        !warnings(&m)
            .iter()
            .any(|w| w.starts_with("entities/orderlineitem.yaml") && w.contains("id column")),
        "{:?}",
        warnings(&m)
    );
}

#[test]
fn a_key_with_a_dot_is_one_key_and_a_path_is_a_pointer() {
    let entity = "\
entity:
  name: Event
  source_type: root
  fields:
    - name: version
      type: String
      computed_from:
        transform: json_get_string
        sources: [event]
        args:
          field: app.version
    - name: city
      type: String
      computed_from:
        transform: extract_field
        sources: [event]
        args:
          field_path: address/city
    - name: odd
      type: String
      computed_from:
        transform: json_get_string
        sources: [event]
        args:
          field: /odd~key
";
    let m = import_texts(
        "project:\n  name: p\n",
        &files(&[("entities/event.yaml", entity)]),
        "x",
    )
    .expect("imports");
    assert_eq!(
        field(&m, "Event", "version").json.as_deref(),
        Some("app.version")
    );
    assert_warned(
        &m,
        "entities/event.yaml",
        line_of(entity, "field: app.version", 0),
        "reads the key `app.version` as one key",
    );
    assert_eq!(
        field(&m, "Event", "city").json.as_deref(),
        Some("/address/city")
    );
    assert_eq!(
        field(&m, "Event", "odd").json.as_deref(),
        Some("/~1odd~0key")
    );
    nomnom_spec::load_str(&m.yaml, "nomnom.yaml")
        .unwrap_or_else(|d| panic!("{}\n{}", m.yaml, d.render(false, 100)));
}
