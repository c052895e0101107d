//! HL7 acknowledgments as answers: a client that posts an HL7 v2 message with
//! `Accept: x-application/hl7-v2+er7` gets an ACK (`MSA-1` `AA` once the stream holds the
//! message, `AE` naming the first failing path when the model refuses it, or when the stream
//! cannot take it) instead of JSON; the MLLP listener answers with the same ACKs.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::request::HL7_CONTENT_TYPES;
use crate::hl7::{ack, AckCode, Message, Path};
use crate::model::FieldError;

/// `true` when the request's `Accept` names an HL7 v2 content type.
pub fn wants_ack(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .any(|t| HL7_CONTENT_TYPES.contains(&t.as_str()))
}

/// The ACK of `body` (an HL7 v2 message) with `code`, the first of `errors` named in its ERR
/// segment; `None` when `body` is not a message (there is nothing to acknowledge).
pub fn ack_text(body: &[u8], code: AckCode, errors: &[FieldError]) -> Option<String> {
    let message = Message::parse_bytes(body).ok()?;
    let first = errors.first();
    let path = first.and_then(|e| Path::parse(&e.path).ok());
    let text = first.map(|e| format!("{}: {}", e.path, e.message));
    let error = match (&path, &text) {
        (Some(path), Some(text)) => Some((path, text.as_str())),
        _ => None,
    };
    Some(ack(&message, code, error))
}

/// An HTTP answer carrying an ACK.
pub fn ack_response(status: StatusCode, text: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("x-application/hl7-v2+er7"),
        )],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        b"MSH|^~\\&|LAB|CITY|EHR|CITY|20240501143000||ORU^R01|MSG1|P|2.5.1\rPID|1||123\r";

    #[test]
    fn acks_name_the_message_and_the_first_failing_path() {
        let ok = ack_text(BODY, AckCode::Accept, &[]).unwrap();
        assert!(ok.contains("\rMSA|AA|MSG1"), "{ok}");
        assert!(ok.starts_with("MSH|^~\\&|EHR|CITY|LAB|CITY|"), "{ok}");
        let errors = [FieldError {
            path: "PID-7".into(),
            rule: "format",
            message: "\"x\" is not an HL7 date".into(),
        }];
        let refused = ack_text(BODY, AckCode::Error, &errors).unwrap();
        assert!(refused.contains("\rMSA|AE|MSG1"), "{refused}");
        assert!(refused.contains("\rERR|"), "{refused}");
        assert!(refused.contains("PID"), "{refused}");
        assert_eq!(ack_text(b"{}", AckCode::Accept, &[]), None);
    }

    #[test]
    fn the_accept_header_asks_for_an_ack() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, x-application/hl7-v2+er7;q=0.9"),
        );
        assert!(wants_ack(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_ack(&headers));
    }
}
