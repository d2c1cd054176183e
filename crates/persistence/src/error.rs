//! What the store can answer besides a result.

use domain::{DomainError, FieldError};
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The resource does not exist (or is outside the caller's scope).
    #[error("not found")]
    NotFound,
    /// The caller's `If-Match` names a version that is no longer current.
    #[error("version {expected} is stale; the current version is {current}")]
    PreconditionFailed { expected: i32, current: i32 },
    /// A unique constraint or a concurrent write: the request conflicts with stored state.
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    /// An `Idempotency-Key` was reused with a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyMismatch,
    /// A list query was malformed (unknown sort field, foreign cursor).
    #[error("invalid query: {}", .0.message)]
    InvalidQuery(FieldError),
    /// A business rule checked against stored rows was broken.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Anything else: a bug or an outage.
    #[error("database error")]
    Database(#[source] DbErr),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                let field = unique_field(&message);
                let message = match &field {
                    Some(f) => format!("another record already has this {f}"),
                    None => "the record conflicts with an existing one".to_owned(),
                };
                Self::Conflict { field, message }
            }
            // A row refers to one that does not exist (an id in the body that names nothing):
            // the request is invalid, not the server. Handlers check the references they know
            // of first and name the field; this is the floor for the ones they do not.
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::Domain(DomainError::Invalid(vec![FieldError::new("body", "reference_not_found", "the request refers to a record that does not exist")]))
            }
            _ => Self::Database(err),
        }
    }
}

/// The column behind a unique violation: SQLite says `UNIQUE constraint failed: table.col`,
/// PostgreSQL names the index, which the migrations call `ix_<table>_<col>`.
fn unique_field(message: &str) -> Option<String> {
    const FIELDS: &[&str] = &["external_ref", "municipality_code", "ico"];
    if let Some(rest) = message.split("failed: ").nth(1) {
        let column = rest.split(',').next()?.split('.').nth(1)?.trim();
        return Some(column.to_owned());
    }
    FIELDS.iter().find(|f| message.contains(&format!("_{f}\""))).map(|f| (*f).to_owned())
}

#[cfg(test)]
mod tests {
    use super::unique_field;

    #[test]
    fn finds_the_field_of_a_unique_violation() {
        assert_eq!(unique_field("UNIQUE constraint failed: organizations.ico").as_deref(), Some("ico"));
        assert_eq!(unique_field("duplicate key value violates unique constraint \"ix_organizations_external_ref\"").as_deref(), Some("external_ref"));
        assert_eq!(unique_field("something else"), None);
    }
}
