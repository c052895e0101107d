//! The computed fields of the `json_message` model, written as generated code writes them
//! (a method per field, with `nomnom_runtime::compute`'s functions).

use std::borrow::Cow;

use nomnom_runtime::compute::{self, ComputeError};
use nomnom_runtime::types::Decimal;

use super::model::{Order, OrderLine};

impl Order {
    /// `order_key: upper(trim(raw_order_key))`
    pub(crate) fn compute_order_key(&self) -> Result<Option<String>, ComputeError> {
        Ok(compute::upper(compute::trim(compute::text(&self.raw_order_key))).map(Cow::into_owned))
    }

    /// `label: concat_ws(' ', order_key, status, comment)`
    pub(crate) fn compute_label(&self) -> Result<Option<String>, ComputeError> {
        Ok(compute::concat_ws(
            compute::text(" "),
            &[
                &compute::text(&self.order_key),
                &compute::text(&self.status),
                &compute::text(&self.comment),
            ],
        ))
    }
}

impl OrderLine {
    /// `unit_price: to_decimal(replace(raw_price, ',', '.'))`
    pub(crate) fn compute_unit_price(&self) -> Result<Option<Decimal>, ComputeError> {
        compute::to_decimal(compute::replace(
            compute::text(&self.raw_price),
            compute::text(","),
            compute::text("."),
        ))
    }
}
