//! Which database failures are the record's fault and which are the moment's.

/// What a failed write means for the messages in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// PostgreSQL refused the data: SQLSTATE class 22 "data exception", 23 "integrity
    /// constraint violation", 21 "cardinality violation" (one message upserting a key twice)
    /// or 54 "program limit exceeded" (a row or statement too large). Retrying the same rows
    /// can never succeed, but a smaller batch may: the writer splits and isolates them.
    Rejected,
    /// Anything else (connection lost, timeouts, serialization failure 40001, deadlock
    /// 40P01, admin shutdown 57P01, class 08, ...): try again later.
    Transient,
}

/// Classifies a `tokio-postgres` error.
pub fn classify(error: &tokio_postgres::Error) -> FailureClass {
    match error.code().map(|state| state.code()) {
        Some(code) if is_rejection(code) => FailureClass::Rejected,
        _ => FailureClass::Transient,
    }
}

/// Whether SQLSTATE `code` means the data itself is refused.
pub fn is_rejection(code: &str) -> bool {
    ["21", "22", "23", "54"]
        .iter()
        .any(|class| code.starts_with(class))
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

#[cfg(test)]
mod tests {
    use super::is_rejection;

    #[test]
    fn data_errors_are_rejections_and_the_rest_is_transient() {
        for code in ["23505", "23514", "22003", "22P02", "21000", "54000"] {
            assert!(is_rejection(code), "{code}");
        }
        for code in [
            "40001", "40P01", "57P01", "08006", "53300", "42P01", "55P03",
        ] {
            assert!(!is_rejection(code), "{code}");
        }
    }
}
