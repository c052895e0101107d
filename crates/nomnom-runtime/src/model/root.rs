//! Reading a root entity from a message body, in the format the model gives it.

use super::{Entity, Rejection};

/// A root record of `E` from `body`: an HL7 v2 message for an HL7 entity, a JSON object
/// otherwise; every failing field listed.
pub fn read_root<E: Entity>(body: &[u8]) -> Result<E, Rejection> {
    if E::HL7 {
        crate::hl7::field::read_root(body, |message, errors| E::read_hl7(message, None, errors))
    } else {
        crate::json::field::read_root(body, |object, errors| E::read(object, "", errors))
    }
}
