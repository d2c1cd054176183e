//! What the store can answer besides a result.

use domain::{DomainError, FieldError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};

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

/// What starts the text of an error of this crate's own SQLite connections (`reader`,
/// `local_write`: rusqlite, not sqlx); SQLite's extended result code follows, then its message,
/// so that [`StoreError::from`] classifies them as sea-orm classifies sqlx's.
const LOCAL_SQLITE: &str = "SQLite error ";

/// An error of a `rusqlite` connection as a [`DbErr`] ([`LOCAL_SQLITE`]).
pub(crate) fn sqlite_error(e: rusqlite::Error) -> DbErr {
    let text = match &e {
        rusqlite::Error::SqliteFailure(failure, message) => {
            format!("{LOCAL_SQLITE}{}: {}", failure.extended_code, message.clone().unwrap_or_else(|| failure.to_string()))
        }
        other => format!("SQLite: {other}"),
    };
    DbErr::Exec(RuntimeErr::Internal(text))
}

/// The extended result code and message of an error made by [`sqlite_error`].
fn local_sqlite(err: &DbErr) -> Option<(i32, &str)> {
    let (DbErr::Exec(RuntimeErr::Internal(text)) | DbErr::Query(RuntimeErr::Internal(text))) = err else { return None };
    let (code, message) = text.strip_prefix(LOCAL_SQLITE)?.split_once(": ")?;
    Some((code.parse().ok()?, message))
}

/// sea-orm's classification of sqlx's errors ([`DbErr::sql_err`]), extended to the errors of
/// the crate's own SQLite connections (the same extended codes sea-orm reads from sqlx-sqlite).
fn classify(err: &DbErr) -> Option<SqlErr> {
    err.sql_err().or_else(|| match local_sqlite(err)? {
        (1555 | 2067, message) => Some(SqlErr::UniqueConstraintViolation(message.to_owned())),
        (787, message) => Some(SqlErr::ForeignKeyConstraintViolation(message.to_owned())),
        _ => None,
    })
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match classify(&err) {
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
            Some(SqlErr::ForeignKeyConstraintViolation(message)) => foreign_key(&message),
            // SQLite enforces an ON DELETE RESTRICT key with a trigger-class error (extended code
            // 1811) that sea-orm does not classify: removing a row still referred to.
            _ if format!("{err:?}").contains("code: 1811") || local_sqlite(&err).is_some_and(|(code, _)| code == 1811) => {
                Self::Conflict { field: None, message: "the record is still referred to by another record; archive it instead".into() }
            }
            _ => Self::Database(err),
        }
    }
}

/// Each unique index: its name (PostgreSQL reports it), its table and columns (SQLite lists
/// them as `table.a, table.b`), and the field a client should change. For an index scoped to a
/// parent (a goal's code within its plan) that is the last column, never the parent.
const UNIQUE_INDEXES: &[(&str, &str, &[&str], &str)] = &[
    ("ix_territorial_units_external_ref", "territorial_units", &["external_ref"], "external_ref"),
    ("ix_territorial_units_municipality_code", "territorial_units", &["municipality_code"], "municipality_code"),
    ("ix_organizations_external_ref", "organizations", &["external_ref"], "external_ref"),
    ("ix_organizations_ico", "organizations", &["ico"], "ico"),
    ("ix_people_external_ref", "people", &["external_ref"], "external_ref"),
    ("ix_partnerships_external_ref", "partnerships", &["external_ref"], "external_ref"),
    ("ix_strategic_plans_lineage", "strategic_plans", &["lineage_id", "version_number"], "version_number"),
    ("ix_goals_code", "goals", &["plan_id", "code"], "code"),
    ("ix_measures_code", "measures", &["plan_id", "code"], "code"),
    ("ix_operational_programmes_code", "operational_programmes", &["code"], "code"),
    ("ix_calls_number", "calls", &["programme_id", "number"], "number"),
    ("ix_calls_external_ref", "calls", &["external_ref"], "external_ref"),
    ("ix_projects_external_ref", "projects", &["external_ref"], "external_ref"),
    ("ix_projects_registration_number", "projects", &["registration_number"], "registration_number"),
    ("ix_candidacies_round_unit", "candidacies", &["round_id", "territorial_unit_id"], "territorial_unit_id"),
    ("ix_working_groups_external_ref", "working_groups", &["external_ref"], "external_ref"),
    ("ix_meetings_external_ref", "meetings", &["external_ref"], "external_ref"),
    ("ix_measures_external_ref", "measures", &["plan_id", "external_ref"], "external_ref"),
    ("ix_progress_reports_external_ref", "progress_reports", &["external_ref"], "external_ref"),
    ("ix_timeline_templates_code", "timeline_templates", &["code"], "code"),
];

/// The field behind a unique violation, from [`UNIQUE_INDEXES`]; for an index not listed, the
/// last column SQLite names.
fn unique_field(message: &str) -> Option<String> {
    if let Some(rest) = message.split("failed: ").nth(1) {
        let columns: Vec<(&str, &str)> = rest.split(',').filter_map(|c| c.trim().split_once('.')).collect();
        let table = columns.first()?.0;
        let names: Vec<&str> = columns.iter().map(|(_, c)| *c).collect();
        let known = UNIQUE_INDEXES.iter().find(|(_, t, cols, _)| *t == table && *cols == names.as_slice());
        return known.map(|(.., field)| (*field).to_owned()).or_else(|| names.last().map(|c| (*c).to_owned()));
    }
    UNIQUE_INDEXES.iter().find(|(name, ..)| message.contains(&format!("\"{name}\""))).map(|(.., field)| (*field).to_owned())
}

/// A foreign-key violation, named from the constraint where the database names it
/// (PostgreSQL: `fk_{table}_{column}`, the migrations' convention; SQLite names nothing, so the
/// field is `body`). Writing a reference to a row that does not exist is a 422
/// `reference_not_found` on the column; removing a row others still refer to is a 409.
fn foreign_key(message: &str) -> StoreError {
    let quoted: Vec<&str> = message.split('"').skip(1).step_by(2).collect();
    let constraint = quoted.iter().find(|q| q.starts_with("fk_")).copied();
    if message.starts_with("update or delete") {
        let referrer = quoted.last().copied().unwrap_or("another record");
        return StoreError::Conflict { field: None, message: format!("the record is still referred to by {referrer}; archive it instead") };
    }
    let field = match (constraint, quoted.first()) {
        (Some(c), Some(table)) => c.strip_prefix(&format!("fk_{table}_")).unwrap_or("body"),
        _ => "body",
    };
    StoreError::Domain(DomainError::Invalid(vec![FieldError::new(field, "reference_not_found", "the request refers to a record that does not exist")]))
}

#[cfg(test)]
mod tests {
    use super::{StoreError, foreign_key, sqlite_error, unique_field};
    use domain::DomainError;

    /// The errors of the crate's own SQLite connections (rusqlite) are classified as sqlx's.
    #[test]
    fn classifies_the_errors_of_the_local_sqlite_connections() {
        let failure = |code: i32, message: &str| sqlite_error(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message.to_owned())));
        let unique = StoreError::from(failure(2067, "UNIQUE constraint failed: organizations.ico"));
        assert!(matches!(&unique, StoreError::Conflict { field: Some(f), .. } if f == "ico"), "{unique:?}");
        let key = StoreError::from(failure(1555, "UNIQUE constraint failed: organizations.id"));
        assert!(matches!(&key, StoreError::Conflict { field: Some(f), .. } if f == "id"), "{key:?}");
        let reference = StoreError::from(failure(787, "FOREIGN KEY constraint failed"));
        assert!(matches!(&reference, StoreError::Domain(DomainError::Invalid(e)) if e[0].field == "body"), "{reference:?}");
        let restrict = StoreError::from(failure(1811, "FOREIGN KEY constraint failed"));
        assert!(matches!(&restrict, StoreError::Conflict { field: None, .. }), "{restrict:?}");
        // Anything else stays a database error (a 500), message and all.
        let busy = StoreError::from(failure(5, "database is locked"));
        assert!(matches!(&busy, StoreError::Database(e) if e.to_string().contains("database is locked")), "{busy:?}");
    }

    #[test]
    fn names_the_field_of_a_foreign_key_violation() {
        let field = |e: StoreError| match e {
            StoreError::Domain(DomainError::Invalid(errors)) => format!("{}:{}", errors[0].field, errors[0].code),
            StoreError::Conflict { .. } => "409".to_owned(),
            other => format!("{other:?}"),
        };
        let cases = [
            (
                "insert or update on table \"memberships\" violates foreign key constraint \"fk_memberships_organization_id\"",
                "organization_id:reference_not_found",
            ),
            (
                "insert or update on table \"working_group_members\" violates foreign key constraint \"fk_working_group_members_person_id\"",
                "person_id:reference_not_found",
            ),
            ("update or delete on table \"organizations\" violates foreign key constraint \"fk_memberships_organization_id\" on table \"memberships\"", "409"),
            ("FOREIGN KEY constraint failed", "body:reference_not_found"),
        ];
        for (message, expected) in cases {
            assert_eq!(field(foreign_key(message)), expected, "{message}");
        }
    }

    #[test]
    fn finds_the_field_of_a_unique_violation() {
        assert_eq!(unique_field("UNIQUE constraint failed: organizations.ico").as_deref(), Some("ico"));
        assert_eq!(unique_field("duplicate key value violates unique constraint \"ix_organizations_external_ref\"").as_deref(), Some("external_ref"));
        assert_eq!(unique_field("something else"), None);
        // A code is unique within its plan: the client changes the code, not the plan.
        for table in ["goals", "measures"] {
            assert_eq!(unique_field(&format!("UNIQUE constraint failed: {table}.plan_id, {table}.code")).as_deref(), Some("code"));
            assert_eq!(unique_field(&format!("duplicate key value violates unique constraint \"ix_{table}_code\"")).as_deref(), Some("code"));
        }
        assert_eq!(unique_field("UNIQUE constraint failed: calls.programme_id, calls.number").as_deref(), Some("number"));
        assert_eq!(unique_field("duplicate key value violates unique constraint \"ix_calls_number\"").as_deref(), Some("number"));
        assert_eq!(unique_field("UNIQUE constraint failed: things.owner_id, things.label").as_deref(), Some("label"));
    }
}
