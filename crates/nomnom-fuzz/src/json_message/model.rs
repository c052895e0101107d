//! The model the `json_message` target reads, stated as generated code states one: an order
//! with lines, each line with shipments (three levels), every type of the type table and every
//! field rule, and computed fields.
//!
//! ```yaml
//! entities:
//!   Order:
//!     key: [order_key]
//!     fields:
//!       raw_order_key: {type: string, json: orderKey, store: false, max_length: 40}
//!       order_key: {type: string, compute: upper(trim(raw_order_key)), pattern: "[A-Z0-9-]+"}
//!       status: {type: string, enum: [O, F, P]}
//!       total: {type: decimal, min: 0}
//!       placed_at: timestamp
//!       ship_by: date?
//!       priority: {type: integer, nullable: true, min: 0, max: 9}
//!       discount: {type: float, nullable: true, min: 0, max: 1}
//!       rush: boolean?
//!       customer_id: {type: string, json: /customer/id}
//!       customer_ref: uuid?
//!       attributes: json?
//!       comment: {type: string, nullable: true, max_length: 200}
//!       label: {type: string, compute: "concat_ws(' ', order_key, status, comment)"}
//!       lines: list<OrderLine>
//!   OrderLine:
//!     key: [order_key, line_number]
//!     fields:
//!       order_key: {type: string, from: parent.order_key}
//!       line_number: {type: integer, min: 1}
//!       sku: {type: string, pattern: "[A-Z]{3}-[0-9]+"}
//!       quantity: {type: integer, min: 1}
//!       raw_price: {type: string, json: unitPrice, store: false}
//!       unit_price: {type: decimal, compute: "to_decimal(replace(raw_price, ',', '.'))", min: 0}
//!       shipments: {type: list<Shipment>, nullable: true}
//!   Shipment:
//!     fields:
//!       order_key: {type: string, from: parent.order_key}
//!       line_number: {type: integer, from: parent.line_number}
//!       carrier: {type: string, enum: [ups, dhl, post]}
//!       shipped_at: timestamp?
//!       tracking: {type: string, nullable: true, max_length: 30}
//! ```

use nomnom_runtime::types::{DateTime, Decimal, Json, NaiveDate, Utc, Uuid};
use nomnom_runtime::Entity;

/// A customer order.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "orders", key(order_key), compute(order_key, label))]
pub struct Order {
    #[field(json = "orderKey", store = false, max_length = 40)]
    pub raw_order_key: String,
    #[field(computed, pattern = "[A-Z0-9-]+")]
    pub order_key: String,
    #[field(one_of("O", "F", "P"))]
    pub status: String,
    #[field(min = 0)]
    pub total: Decimal,
    pub placed_at: DateTime<Utc>,
    pub ship_by: Option<NaiveDate>,
    #[field(min = 0, max = 9)]
    pub priority: Option<i64>,
    #[field(min = 0, max = 1)]
    pub discount: Option<f64>,
    pub rush: Option<bool>,
    #[field(json = "/customer/id")]
    pub customer_id: String,
    pub customer_ref: Option<Uuid>,
    pub attributes: Option<Json>,
    #[field(max_length = 200)]
    pub comment: Option<String>,
    #[field(computed)]
    pub label: String,
    #[field(children)]
    pub lines: Vec<OrderLine>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(
    table = "order_lines",
    key(order_key, line_number),
    parent = Order,
    compute(unit_price)
)]
pub struct OrderLine {
    #[field(from_parent = order_key)]
    pub order_key: String,
    #[field(min = 1)]
    pub line_number: i64,
    #[field(pattern = "[A-Z]{3}-[0-9]+")]
    pub sku: String,
    #[field(min = 1)]
    pub quantity: i64,
    #[field(json = "unitPrice", store = false)]
    pub raw_price: String,
    #[field(computed, min = 0)]
    pub unit_price: Decimal,
    #[field(children, nullable)]
    pub shipments: Vec<Shipment>,
}

/// One shipment of a line.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "shipments", parent = OrderLine)]
pub struct Shipment {
    #[field(from_parent = order_key)]
    pub order_key: String,
    #[field(from_parent = line_number)]
    pub line_number: i64,
    #[field(one_of("ups", "dhl", "post"))]
    pub carrier: String,
    pub shipped_at: Option<DateTime<Utc>>,
    #[field(max_length = 30)]
    pub tracking: Option<String>,
}
