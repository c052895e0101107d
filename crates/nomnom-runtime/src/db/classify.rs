//! Which database failures are the record's fault and which are the moment's.

/// What a failed write means for the messages in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// PostgreSQL refused the data (SQLSTATE class 22 "data exception" or 23 "integrity
    /// constraint violation"): retrying the same record can never succeed.
    Rejected,
    /// Anything else (connection lost, timeouts, serialization failure 40001, deadlock
    /// 40P01, admin shutdown 57P01, class 08, ...): try again later.
    Transient,
}

/// Classifies a `tokio-postgres` error.
pub fn classify(error: &tokio_postgres::Error) -> FailureClass {
    match error.code().map(|state| state.code()) {
        Some(code) if code.starts_with("22") || code.starts_with("23") => FailureClass::Rejected,
        _ => FailureClass::Transient,
    }
}

/// A one-line description of a database error for logs, status rows and dead-letter headers:
/// the SQLSTATE and PostgreSQL's message (and detail) when the server sent one.
pub fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({}): {}", db.message(), db.code().code(), detail),
            None => format!("{} ({})", db.message(), db.code().code()),
        },
        None => error.to_string(),
    }
}
