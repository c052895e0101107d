//! Which MySQL failures are the record's fault and which are the moment's: the same rule as
//! PostgreSQL's ([`crate::db::classify::is_rejection`]) on the SQLSTATE the server sends
//! (class 22 data exception, 23 integrity constraint, 21 cardinality); everything else —
//! connection lost, deadlock (1213, SQLSTATE 40001), lock wait timeout (1205), server
//! shutting down — is retried later.

use crate::db::classify::{is_rejection, FailureClass};

/// Classifies a `mysql_async` error.
pub fn classify(error: &mysql_async::Error) -> FailureClass {
    match error {
        mysql_async::Error::Server(server) if server.code == 1205 => FailureClass::Transient,
        mysql_async::Error::Server(server) if is_rejection(&server.state) => FailureClass::Rejected,
        _ => FailureClass::Transient,
    }
}

/// A one-line description for logs, status rows and dead-letter headers.
pub fn describe(error: &mysql_async::Error) -> String {
    match error {
        mysql_async::Error::Server(server) => {
            format!("{} ({} {})", server.message, server.code, server.state)
        }
        other => other.to_string(),
    }
}
