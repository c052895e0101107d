//! `openapi.json`: the OpenAPI 3.1 document of the generated ingestion API, built from the
//! model (every root entity's schema with its constraints, every route, every error as
//! `application/problem+json`). Also compiled into the crate as `Model::OPENAPI_JSON`.

use nomnom_spec::model::{Entity, Field, FieldSource, FieldType, Project};
use serde_json::{json, Map, Value};

use crate::literal::to_json;
use crate::types;

/// The schema of one field's value, constraints included.
fn field_schema(field: &Field) -> Value {
    let mut schema = match &field.ty {
        FieldType::List(child) => {
            json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{child}")}})
        }
        FieldType::Scalar(ty) => types::openapi_schema(*ty),
    };
    let Value::Object(obj) = &mut schema else {
        return schema;
    };
    if let Some(doc) = &field.doc {
        obj.insert("description".into(), Value::String(doc.clone()));
    }
    if let Some(n) = field.max_length {
        obj.insert("maxLength".into(), json!(n));
    }
    for (bound, key) in [(&field.min, "minimum"), (&field.max, "maximum")] {
        if let Some(b) = bound {
            obj.insert(key.into(), to_json(b));
        }
    }
    if let Some(p) = &field.pattern {
        obj.insert("pattern".into(), Value::String(format!("^(?:{p})$")));
    }
    if let Some(values) = &field.enum_values {
        obj.insert(
            "enum".into(),
            Value::Array(values.iter().map(to_json).collect()),
        );
    }
    if let Some(d) = &field.default {
        obj.insert("default".into(), to_json(d));
    }
    if field.nullable {
        // JSON Schema 2020-12: a nullable value is "this or null".
        schema = json!({"anyOf": [schema, {"type": "null"}]});
    }
    schema
}

/// Inserts `schema` at `tokens` under an object schema, creating nested objects.
fn insert_at(target: &mut Map<String, Value>, tokens: &[String], schema: Value, required: bool) {
    let Some((first, rest)) = tokens.split_first() else {
        return;
    };
    if required {
        if let Value::Array(req) = target.entry("required").or_insert_with(|| json!([])) {
            if !req.iter().any(|r| r == first.as_str()) {
                req.push(Value::String(first.clone()));
            }
        }
    }
    let Value::Object(props) = target.entry("properties").or_insert_with(|| json!({})) else {
        return;
    };
    if rest.is_empty() {
        props.insert(first.clone(), schema);
    } else if let Value::Object(inner) = props
        .entry(first.clone())
        .or_insert_with(|| json!({"type": "object"}))
    {
        insert_at(inner, rest, schema, required);
    }
}

fn entity_schema(entity: &Entity) -> Value {
    let mut obj = Map::new();
    obj.insert("type".into(), json!("object"));
    let description = [entity.doc.clone(), newest_wins(entity)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    if !description.is_empty() {
        obj.insert("description".into(), Value::String(description));
    }
    for field in &entity.fields {
        let tokens = match &field.source {
            FieldSource::Key(k) => vec![k.clone()],
            FieldSource::Pointer(t) => t.clone(),
            // Not a key of a JSON body.
            FieldSource::Parent(_)
            | FieldSource::Compute(_)
            | FieldSource::Hl7(_)
            | FieldSource::Hl7Segment(_) => continue,
        };
        let required = !field.nullable && field.default.is_none();
        insert_at(&mut obj, &tokens, field_schema(field), required);
    }
    Value::Object(obj)
}

/// What a keyed entity's clients should know of versions: an older message never overwrites
/// a newer row.
fn newest_wins(entity: &Entity) -> Option<String> {
    if !entity.is_keyed() {
        return None;
    }
    let key = entity
        .key
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(match &entity.version {
        Some(field) => format!(
            "Newest wins: of two messages with one {key}, the one with the greater `{field}` \
             is kept (on equal values, the one accepted later); an older one is still \
             `persisted`, with a `note` in its status saying it was not applied."
        ),
        None => format!(
            "Newest wins: of two messages with one {key}, the one the API accepted later is \
             kept, whatever order the workers write them in; an older one is still \
             `persisted`, with a `note` in its status saying it was not applied."
        ),
    })
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

fn retry_problem(description: &str) -> Value {
    let mut p = problem(description);
    p["headers"] = json!({"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}});
    p
}

/// The whole document, pretty-printed.
pub fn document(project: &Project) -> String {
    let roots: Vec<&Entity> = project.roots().collect();
    let root_names: Vec<Value> = roots.iter().map(|e| json!(e.name)).collect();
    let mut schemas = Map::new();
    for e in &project.entities {
        schemas.insert(e.name.clone(), entity_schema(e));
    }
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "description": "An error (RFC 9457 problem details). Validation failures list every failing field.",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
            }
        }),
    );
    schemas.insert(
        "FieldError".into(),
        json!({
            "type": "object",
            "required": ["path", "rule", "message"],
            "properties": {
                "path": {"type": "string", "description": "JSON pointer to the offending value."},
                "rule": {"type": "string", "enum": ["required", "type", "null", "min", "max", "max_length", "pattern", "enum", "format"]},
                "message": {"type": "string"}
            }
        }),
    );
    schemas.insert(
        "Accepted".into(),
        json!({
            "type": "object",
            "required": ["message_id", "status", "timestamp"],
            "properties": {
                "message_id": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "const": "accepted"},
                "timestamp": {"type": "string", "format": "date-time"}
            }
        }),
    );
    schemas.insert(
        "BatchAccepted".into(),
        json!({
            "type": "object",
            "required": ["accepted", "rejected", "results"],
            "properties": {
                "accepted": {"type": "integer"},
                "rejected": {"type": "integer"},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["line"],
                    "properties": {
                        "line": {"type": "integer", "description": "1-based line number."},
                        "message_id": {"type": "string", "format": "uuid"},
                        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
                    }
                }}
            }
        }),
    );
    schemas.insert(
        "MessageStatus".into(),
        json!({
            "type": "object",
            "required": ["message_id", "status", "entity_type", "received_at", "retry_count"],
            "properties": {
                "message_id": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "enum": ["accepted", "retrying", "persisted", "failed"]},
                "entity_type": {"type": "string", "enum": root_names},
                "received_at": {"type": "string", "format": "date-time"},
                "processed_at": {"type": ["string", "null"], "format": "date-time"},
                "error_message": {"type": ["string", "null"]},
                "note": {"type": ["string", "null"], "description": "When persisted: the message's rows that were not applied because a newer version of them was already stored."},
                "retry_count": {"type": "integer"},
                "trace_id": {"type": ["string", "null"], "pattern": "^[0-9a-f]{32}$", "description": "The W3C trace id of the request that sent the message: its `traceparent`'s, or the new trace the API started."}
            }
        }),
    );
    let body_refs: Vec<Value> = roots
        .iter()
        .map(|e| json!({"$ref": format!("#/components/schemas/{}", e.name)}))
        .collect();
    let entity_param = json!({
        "name": "entity", "in": "query", "required": roots.len() != 1,
        "description": "The root entity posted (else the X-Entity-Type header, else the only root entity).",
        "schema": {"type": "string", "enum": root_names}
    });
    let common_headers = json!([
        {"name": "X-Entity-Type", "in": "header", "required": false, "schema": {"type": "string", "enum": root_names}},
        {"name": "X-Source", "in": "header", "required": false, "description": "Recorded as the message's source.", "schema": {"type": "string"}},
        {"name": "traceparent", "in": "header", "required": false, "description": "W3C Trace Context: the request's span is its child, the worker's span joins the trace, and the status shows its trace id. Without a valid one the request starts a new trace.", "schema": {"type": "string", "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"}}
    ]);
    let errors = |extra: &[(&str, Value)]| {
        let mut r = Map::new();
        r.insert(
            "400".into(),
            problem("Malformed JSON, or a missing or unknown entity (the valid ones are named)."),
        );
        r.insert(
            "408".into(),
            problem(
                "The body did not arrive within `API_BODY_TIMEOUT` of the header (`body-timeout`).",
            ),
        );
        r.insert("413".into(), problem("Body too large."));
        r.insert("415".into(), problem("Wrong content type."));
        r.insert(
            "503".into(),
            retry_problem(
                "NATS unreachable, acknowledgement timed out, the stream full, or the API \
                 publishing as many messages as it allows at once (`overloaded`).",
            ),
        );
        for (k, v) in extra {
            r.insert((*k).to_string(), v.clone());
        }
        r
    };
    // With API_KEYS_FILE set, these routes need a key with their scope (and a rate limit may
    // apply); without it the API is open, which the empty requirement `{}` allows.
    let access_responses = |scope: &str| {
        json!({
            "401": problem("No valid API key (the API has keys): `WWW-Authenticate: Bearer`."),
            "403": problem(&format!("The API key lacks the scope `{scope}`.")),
            "429": json!({"description": "Over the rate limit of this key (or client address): problem+json with `Retry-After` and the `RateLimit-Policy` and `RateLimit` fields.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
        })
    };
    let with_access = |mut responses: Map<String, Value>, scope: &str| {
        if let Value::Object(extra) = access_responses(scope) {
            responses.extend(extra);
        }
        responses
    };
    let security = json!([{"bearerAuth": []}, {"apiKeyHeader": []}, {}]);
    let mut message_params = vec![entity_param.clone()];
    message_params.extend(common_headers.as_array().cloned().unwrap_or_default());
    message_params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
        "description": "A retry with the same key within the duplicate window returns the same message_id.",
        "schema": {"type": "string"}}));
    let mut message_responses = errors(&[(
        "422",
        problem("The body breaks the model: every failing field is listed in `errors`."),
    )]);
    message_responses.insert(
        "202".into(),
        json!({"description": "Stored durably in the stream.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}),
    );
    let mut batch_params = vec![entity_param];
    batch_params.extend(common_headers.as_array().cloned().unwrap_or_default());
    let mut batch_responses = errors(&[]);
    batch_responses.insert(
        "202".into(),
        json!({"description": "Per-line results: accepted lines were stored durably.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchAccepted"}}}}),
    );
    // HL7 roots take their messages as ER7 text, one message or a batch.
    let hl7_roots: Vec<&str> = project
        .roots()
        .filter(|e| e.is_hl7())
        .map(|e| e.name.as_str())
        .collect();
    let mut message_body = serde_json::Map::new();
    let mut batch_body = serde_json::Map::new();
    if project.roots().any(|e| !e.is_hl7()) {
        message_body.insert(
            "application/json".into(),
            json!({"schema": {"oneOf": body_refs}}),
        );
        batch_body.insert(
            "application/x-ndjson".into(),
            json!({"schema": {"type": "string"}}),
        );
    }
    if !hl7_roots.is_empty() {
        let roots = hl7_roots.join(", ");
        for media in ["x-application/hl7-v2+er7", "application/hl7-v2"] {
            message_body.insert(media.into(), json!({"schema": {"type": "string",
                "description": format!("One HL7 v2 message (ER7: segments ended by \\r) of {roots}; with `Accept: x-application/hl7-v2+er7` the answer is its HL7 ACK.")}}));
            batch_body.insert(media.into(), json!({"schema": {"type": "string",
                "description": format!("An HL7 v2 batch (FHS/BHS … BTS/FTS, or consecutive messages) of {roots}: a result per message.")}}));
        }
    }
    let doc = json!({
        "openapi": "3.1.0",
        "x-generated-by": format!("nomnom ({}), do not edit", crate::emit::HEADER),
        "info": {
            "title": format!("{} ingestion API", project.name),
            "version": "0.1.0",
            "description": format!("Accepts `{}` messages, stores them durably in NATS JetStream and answers 202; a worker writes them to PostgreSQL.", project.name)
        },
        "paths": {
            "/ingest/message": {"post": {
                "operationId": "ingestMessage",
                "summary": "Ingest one message",
                "parameters": message_params,
                "requestBody": {"required": true, "content": message_body},
                "security": security,
                "responses": with_access(message_responses, "ingest")
            }},
            "/ingest/batch": {"post": {
                "operationId": "ingestBatch",
                "summary": "Ingest newline-delimited messages, one per line",
                "parameters": batch_params,
                "requestBody": {"required": true, "content": batch_body},
                "security": security,
                "responses": with_access(batch_responses, "ingest")
            }},
            "/ingest/status/{message_id}": {"get": {
                "operationId": "messageStatus",
                "summary": "The lifecycle of one message",
                "parameters": [{"name": "message_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "security": security,
                "responses": {
                    "401": problem("No valid API key (the API has keys): `WWW-Authenticate: Bearer`."),
                    "403": problem("The API key lacks the scope `status`."),
                    "429": retry_problem("Over the rate limit of this key (or client address)."),
                    "200": {"description": "The message's status.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MessageStatus"}}}},
                    "400": problem("Malformed message id."),
                    "404": problem("No status for this id. Problem type `status-expired`: the message was accepted longer ago than `STATUS_RETENTION` (default 7 days) and its status is no longer kept (told from the time in the id; an id derived from an `Idempotency-Key` carries none and is answered as unknown). Problem type `unknown-message`: the id was never seen, or is so new that its `accepted` row is not written yet (within a few tens of milliseconds of the 202, later while PostgreSQL is slow or down)."),
                    "503": retry_problem("The status store is unreachable.")
                }
            }},
            "/health": {"get": {"operationId": "health", "summary": "The process is alive", "responses": {"200": {"description": "Alive."}}}},
            "/ready": {"get": {"operationId": "ready", "summary": "NATS is connected and the stream exists", "responses": {
                "200": {"description": "Ready."},
                "503": retry_problem("Not ready.")
            }}},
            "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "responses": {"200": {"description": "The metrics in the Prometheus text format.", "content": {"text/plain": {}}}}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}}}}
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key from the service's API_KEYS_FILE (`nomnom key <name>` makes one), as `Authorization: Bearer <key>`. Required on /ingest/* when the service has keys; scopes: `ingest` for POST /ingest/message and /ingest/batch, `status` for GET /ingest/status/{message_id}."},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The same key in `X-API-Key` instead of `Authorization`."}
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
