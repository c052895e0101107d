//! The computed fields of the `hl7_message` model, as `nomnom generate` writes them for the
//! `hl7-lab` example.

use std::sync::LazyLock;

use nomnom_runtime::compute::{self, ComputeError};
use nomnom_runtime::export::regex::Regex;
use nomnom_runtime::types::Decimal;

use super::model::{LabReport, LabResult};

impl LabReport {
    /// `patient_name: concat_ws(', ', family_name, given_name)`
    pub(crate) fn compute_patient_name(&self) -> Result<Option<String>, ComputeError> {
        Ok(
            compute::concat_ws(
                compute::text(", "),
                &[&compute::text(&self.family_name), &compute::text(&self.given_name)],
            ),
        )
    }
}

impl LabResult {
    /// `numeric_value: lookup(value_type, 'NM', to_decimal(value))`
    pub(crate) fn compute_numeric_value(&self) -> Result<Option<Decimal>, ComputeError> {
        Ok(
            match compute::text(&self.value_type) {
                Some(key) => {
                    if compute::text("NM")
                        .is_some_and(|k| compute::SqlEq::sql_eq(&k, &key))
                    {
                        compute::to_decimal(compute::text(&self.value))?
                    } else {
                        None
                    }
                }
                None => None,
            },
        )
    }

    /// `reference_low: to_decimal(regex_capture(reference_range, '^ *(-?[0-9]+(?:[.][0-9]+)?) *- *(-?[0-9]+(?:[.][0-9]+)?) *$', 1))`
    pub(crate) fn compute_reference_low(&self) -> Result<Option<Decimal>, ComputeError> {
        compute::to_decimal({
            static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
                compute::compile_regex(
                        "^ *(-?[0-9]+(?:[.][0-9]+)?) *- *(-?[0-9]+(?:[.][0-9]+)?) *$",
                    )
                    .expect("checked by nomnom check")
            });
            compute::regex_capture(
                compute::text(&self.reference_range),
                &PATTERN,
                Some(1i64),
            )?
        })
    }

    /// `reference_high: to_decimal(regex_capture(reference_range, '^ *(-?[0-9]+(?:[.][0-9]+)?) *- *(-?[0-9]+(?:[.][0-9]+)?) *$', 2))`
    pub(crate) fn compute_reference_high(
        &self,
    ) -> Result<Option<Decimal>, ComputeError> {
        compute::to_decimal({
            static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
                compute::compile_regex(
                        "^ *(-?[0-9]+(?:[.][0-9]+)?) *- *(-?[0-9]+(?:[.][0-9]+)?) *$",
                    )
                    .expect("checked by nomnom check")
            });
            compute::regex_capture(
                compute::text(&self.reference_range),
                &PATTERN,
                Some(2i64),
            )?
        })
    }
}
