//! A JSON column read straight into its Rust type.
//!
//! sea-orm reads a `Json` field as a `serde_json::Value` (on serde_json's `preserve_order`, an
//! `IndexMap` per object and a `String` per key), which the repository then turned into the
//! domain's type: every document was parsed twice, and on the measures list that was a fifth of
//! the server's time (issue 11). A field of type `JsonOf<T>` is decoded once, from the column's
//! text into `T`: by sqlx on PostgreSQL and through sea-orm's pool (sea-orm's
//! [`TryGetableFromJson`], as `#[derive(FromJsonQueryResult)]` does for one type), and by the
//! SQLite reader's own connections when they decode a page straight into models, from the text
//! they hand over as a `Value::String` (`reader.rs`). Rows the reader builds as sea-orm's mock
//! rows (joins, a write's reads on the writer) still go through a `serde_json::Value`. Written as
//! a JSON value, as a `Json` field is: the columns and their contents do not change.

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{TryGetableFromJson, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The value of a JSON column, of type `T`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonOf<T>(pub T);

impl<T: DeserializeOwned> TryGetableFromJson for JsonOf<T> {}

impl<T: Serialize> From<JsonOf<T>> for Value {
    fn from(source: JsonOf<T>) -> Self {
        // The domain's types serialize without fail (no maps with non-string keys); were one
        // not to, the write fails (a panic, its transaction rolled back) rather than store `null`.
        Value::Json(Some(Box::new(serde_json::to_value(&source.0).unwrap_or_else(|e| unreachable!("a JSON column's value does not serialize: {e}")))))
    }
}

impl<T: DeserializeOwned> ValueType for JsonOf<T> {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Json(Some(json)) => serde_json::from_value(*json).map(JsonOf).map_err(|_| ValueTypeErr),
            // The SQLite reader's decoding: the column's text, parsed here once.
            Value::String(Some(text)) => serde_json::from_str(&text).map(JsonOf).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "JsonOf".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Json
    }

    fn column_type() -> ColumnType {
        ColumnType::Json
    }
}

impl<T> Nullable for JsonOf<T> {
    fn null() -> Value {
        Value::Json(None)
    }
}

impl<T: Serialize + DeserializeOwned> sea_orm::IntoActiveValue<JsonOf<T>> for JsonOf<T> {
    fn into_active_value(self) -> sea_orm::ActiveValue<JsonOf<T>> {
        sea_orm::ActiveValue::set(self)
    }
}
