//! Small translations shared by the repositories: stored codes to domain enums, and the
//! version-guarded update every mutable row goes through.

use domain::codelist::Coded;
use sea_orm::sea_query::IntoCondition;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::StoreError;

/// Reads a code stored by this application back into its enum. A code the enum does not
/// know means the database was changed behind the application's back: an internal error.
pub(crate) fn code<T: Coded>(stored: &str) -> Result<T, StoreError> {
    T::from_code(stored).ok_or_else(|| StoreError::Database(sea_orm::DbErr::Type(format!("unknown {} code `{stored}` in the database", T::CODELIST))))
}

/// Builds [`domain::registry::Meta`] from a model with the standard resource columns.
macro_rules! meta {
    ($m:expr) => {
        domain::registry::Meta { id: $m.id, version: $m.version, created_at: $m.created_at, updated_at: $m.updated_at, archived_at: $m.archived_at }
    };
}
pub(crate) use meta;

/// Writes `changes` to the row matched by `filter` (its id and the version that was read).
/// Zero rows means another transaction changed the row in between: a conflict, never a
/// silently lost update.
pub(crate) async fn update_guarded<A, C>(conn: &C, changes: A, filter: impl IntoCondition) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let result = <A::Entity as EntityTrait>::update_many().set(changes).filter(filter).exec(conn).await?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict {
            field: None,
            message: "the resource was changed by another request at the same time; read it again and retry".into(),
        });
    }
    Ok(())
}

/// Now, at the precision both databases store (microseconds), so that what a write returns
/// equals what a later read returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Checks that every id in `ids` names a row of `E` (via its `id` column); each missing one is
/// reported under `field[i]` (or `field` for a single reference).
pub(crate) async fn ensure_exist<E, C>(conn: &C, id_column: E::Column, ids: &[uuid::Uuid], field: &str, single: bool) -> Result<(), StoreError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    use sea_orm::{ColumnTrait, QuerySelect};
    if ids.is_empty() {
        return Ok(());
    }
    let found: Vec<uuid::Uuid> = E::find().select_only().column(id_column).filter(id_column.is_in(ids.iter().copied())).into_tuple().all(conn).await?;
    let mut v = domain::Violations::new();
    for (i, id) in ids.iter().enumerate() {
        if !found.contains(id) {
            let name = if single { field.to_owned() } else { format!("{field}[{i}]") };
            v.push(domain::FieldError::new(name, "not_found", format!("{id} does not exist")));
        }
    }
    v.into_result().map_err(StoreError::Domain)
}

/// A `LIKE` pattern matching `q` (folded) anywhere, with LIKE's wildcards escaped.
pub(crate) fn contains_pattern(q: &str) -> String {
    let folded = domain::search::fold(q.trim());
    let escaped = folded.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// `column LIKE pattern ESCAPE '\'`, the same on SQLite and PostgreSQL.
pub(crate) fn like<Col: sea_orm::ColumnTrait>(column: Col, q: &str) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    Expr::col(column.as_column_ref()).like(LikeExpr::new(contains_pattern(q)).escape('\\'))
}

/// Inserts `rows` with multi-row INSERTs of at most `per_statement` rows each: one statement
/// binds at most 32,766 values on SQLite (65,535 on PostgreSQL), and bulk writes (an import's
/// change feed and webhook outbox, the bench data) hold far more rows than that.
pub(crate) async fn insert_in_chunks<A, C>(conn: &C, rows: impl IntoIterator<Item = A>, per_statement: usize) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement.max(1)).collect();
        A::Entity::insert_many(chunk).exec(conn).await?;
    }
    Ok(())
}
