//! The contract between the runtime and the code generated from a model.
//!
//! A generated crate defines one type implementing [`Model`]; the API and the worker are
//! generic over it. Everything model-specific (entity names, validation, extraction of child
//! records, tables) sits behind this trait; everything else (NATS, HTTP, batching, retries,
//! status tracking) is the runtime's. Generated code states its model as structs with
//! attributes, and the derives (`#[derive(Entity)]`, `#[derive(Model)]`) implement
//! [`Entity`] and [`Model`] with the runtime's readers, columnar rows and statements.

use std::future::Future;

use serde::Serialize;
use uuid::Uuid;

pub mod computed;
pub mod entity;
mod root;
pub use computed::RecordAt;
pub use entity::{Child, Entity};
pub use root::read_root;

/// A generated model: validation of incoming messages and their persistence.
pub trait Model: Send + Sync + 'static {
    /// The project name from `nomnom.yaml`.
    const PROJECT: &'static str;
    /// The database the project was generated for (`nomnom generate --database`):
    /// `postgresql`, `mysql` or `mariadb`. Its migrations are in that dialect, and
    /// `DATABASE_URL` must name that kind of server.
    const DATABASE: &'static str = "postgresql";
    /// Root entities (what clients post), in model order. Each has the NATS subject
    /// `<stream lowercased>.ingest.<Entity>`.
    const ROOT_ENTITIES: &'static [&'static str];
    /// The OpenAPI 3.1 document of the ingestion API, generated from the model.
    const OPENAPI_JSON: &'static str;
    /// The PostgreSQL migrations, in version order.
    const MIGRATIONS: &'static [Migration];
    /// The model's version: its newest migration's number. The API records it in every
    /// envelope it publishes.
    const MODEL_VERSION: i64 = match Self::MIGRATIONS {
        [.., last] => last.version,
        [] => 0,
    };

    /// `true` when root `entity` is posted as HL7 v2 messages (`format: hl7v2`).
    fn is_hl7(entity: &str) -> bool;

    /// A validated root record with all its children.
    type Record: Send + Sync + 'static;
    /// Columnar buffers for every table, filled from records and written set-based.
    type Batch: RowBatch;

    /// Parses and validates a message body for the root entity `entity`.
    ///
    /// Collects *every* field error. `entity` not being a root entity is
    /// [`Rejection::UnknownEntity`].
    fn validate(entity: &str, body: &[u8]) -> Result<Self::Record, Rejection>;

    /// Appends `record` (and every child at every depth) of message `message_id` to
    /// `batch`; `version` is the order in which the API accepted the message (its envelope's
    /// [`crate::envelope::MessageEnvelope::version`]). Of two rows with one key in the same
    /// batch only the newer is kept (see [`crate::db::version`]), so a batch never upserts
    /// one key twice.
    fn add_to_batch(
        batch: &mut Self::Batch,
        message_id: Uuid,
        version: Uuid,
        record: &Self::Record,
    );

    /// The rows `record` becomes, table by table, without a database (see
    /// [`crate::preview`]).
    fn preview(record: &Self::Record) -> crate::preview::Tables;
}

/// The rows of one batch, ready to be written in one transaction.
pub trait RowBatch: Default + Send + Sync + 'static {
    /// Total number of rows over all tables.
    fn row_count(&self) -> usize;

    /// Writes every row set-based (one statement per table, arrays bound as parameters):
    /// upserts keyed entities unless a newer version of the row is stored, replaces the
    /// children of re-ingested parents, and ties keyless rows to their message so a
    /// redelivery never duplicates them. Returns the rows written and the messages whose
    /// rows were not applied because a newer version was stored (or came in this batch).
    /// The database is behind `writer` ([`crate::db::writer::RowWriter`]: one implementation
    /// per database).
    fn write<'a, W: crate::db::writer::RowWriter>(
        &'a self,
        writer: &'a mut W,
    ) -> impl Future<Output = Result<crate::db::write::BatchWrite, W::Error>> + Send + 'a;
}

/// One SQL migration, embedded in the generated crate.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Strictly increasing version number.
    pub version: i64,
    /// A short name (`initial`).
    pub name: &'static str,
    /// The SQL, applied in one transaction.
    pub sql: &'static str,
}

/// Why a message body was refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Rejection {
    /// The body is not JSON (or not a JSON object).
    Malformed(crate::json::SyntaxError),
    /// The entity named is not a root entity of the model.
    UnknownEntity,
    /// The entity reads HL7 v2 messages and the body is not one (the parser's sentence).
    NotHl7(String),
    /// The body is JSON but breaks the model; every failing field is listed.
    Invalid(Vec<FieldError>),
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON pointer to the offending value in the posted body (`/line_items/2/quantity`).
    pub path: String,
    /// The rule broken: `required`, `type`, `null`, `min`, `max`, `max_length`, `pattern`,
    /// `enum`, `format`, or `compute` (a computed field's function failed).
    pub rule: &'static str,
    /// A sentence a client can act on.
    pub message: String,
}
