//! Operational programmes, calls, the project pipeline, counselling records, and the
//! aggregates a ministry asks for.

use domain::money::Money;

use crate::StoreError;

pub(super) fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

pub(super) fn money(amount_minor: i64, currency: &str) -> Money {
    Money { amount_minor, currency: currency.to_owned() }
}

mod aggregates;
mod calls;
mod counselling;
mod programmes;
mod projects;

pub use aggregates::*;
pub use calls::*;
pub use counselling::*;
pub use programmes::*;
pub use projects::*;
