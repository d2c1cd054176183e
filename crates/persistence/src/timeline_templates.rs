//! Timeline templates admins define ([`domain::cooperation::Template`]); the built-in ones are
//! the domain's and never stored. The phases are a JSON list on the row. Cooperations and
//! recruitment rounds name a template by its code, which stays unique once archived.

use crate::Conn;
use domain::cooperation::{Template, TemplateUses};
use domain::registry::Record;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::convert::{meta, now, update_guarded};
use crate::entities::{cooperation, recruitment_round, timeline_template as tt};
use crate::{StoreError, WriteTx};

pub type TemplateRecord = Record<Template>;

fn record(m: tt::Model) -> Result<TemplateRecord, StoreError> {
    let phases = serde_json::from_value(m.phases).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))?;
    Ok(Record {
        meta: meta!(m),
        data: Template {
            code: m.code.into(),
            name: m.name.into(),
            months: u32::try_from(m.months).unwrap_or(0),
            description: m.description.into(),
            phases: std::borrow::Cow::Owned(phases),
        },
    })
}

fn content(t: &Template) -> tt::ActiveModel {
    tt::ActiveModel {
        code: Set(t.code.to_string()),
        name: Set(t.name.to_string()),
        months: Set(i32::try_from(t.months).unwrap_or(i32::MAX)),
        description: Set(t.description.to_string()),
        phases: Set(serde_json::json!(t.phases)),
        ..Default::default()
    }
}

/// A stored template by code, archived or not: 404 when there is none.
pub async fn get(conn: &impl Conn, code: &str) -> Result<TemplateRecord, StoreError> {
    tt::Entity::find().filter(tt::Column::Code.eq(code)).one(conn).await?.ok_or(StoreError::NotFound).and_then(record)
}

/// The stored template a cooperation or round may name now: one not archived. Inside a write
/// on PostgreSQL its row stays share-locked until the write commits, so a concurrent change of
/// the template ([`lock`], then [`uses`]) either waits for this write and sees the template in
/// use, or commits first and this write reads the template as changed. (SQLite writes one at
/// a time.)
pub async fn usable(conn: &impl Conn, code: &str) -> Result<Option<Template>, StoreError> {
    let mut select = tt::Entity::find().filter(tt::Column::Code.eq(code)).filter(tt::Column::ArchivedAt.is_null());
    if conn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_shared();
    }
    select.one(conn).await?.map(record).transpose().map(|r| r.map(|r| r.data))
}

/// Every stored template (with `include_archived`, the archived ones too), by code.
pub async fn all(conn: &impl Conn, include_archived: bool) -> Result<Vec<TemplateRecord>, StoreError> {
    let mut select = tt::Entity::find();
    if !include_archived {
        select = select.filter(tt::Column::ArchivedAt.is_null());
    }
    crate::page::models(conn, select.order_by_asc(tt::Column::Code)).await?.into_iter().map(record).collect()
}

/// The codes of the stored templates not archived, for the answer to an unknown one.
pub async fn usable_codes(conn: &impl Conn) -> Result<Vec<String>, StoreError> {
    Ok(tt::Entity::find()
        .select_only()
        .column(tt::Column::Code)
        .filter(tt::Column::ArchivedAt.is_null())
        .order_by_asc(tt::Column::Code)
        .into_tuple()
        .all(conn)
        .await?)
}

/// How many cooperations and recruitment rounds, not archived, name the template `code`.
pub async fn uses(conn: &impl Conn, code: &str) -> Result<TemplateUses, StoreError> {
    let cooperations =
        cooperation::Entity::find().filter(cooperation::Column::Template.eq(code)).filter(cooperation::Column::ArchivedAt.is_null()).count(conn).await?;
    let rounds = recruitment_round::Entity::find()
        .filter(recruitment_round::Column::Template.eq(code))
        .filter(recruitment_round::Column::ArchivedAt.is_null())
        .count(conn)
        .await?;
    Ok(TemplateUses { cooperations, rounds })
}

/// Locks a template's row for a change or archive, before its uses are counted (PostgreSQL;
/// see [`usable`]).
pub async fn lock(tx: &WriteTx, current: &TemplateRecord) -> Result<(), StoreError> {
    if tx.conn().get_database_backend() == DbBackend::Postgres {
        tt::Entity::find_by_id(current.meta.id).lock_exclusive().one(tx.conn()).await?;
    }
    Ok(())
}

/// Stores a new template (409 `code` when the code is taken, also by an archived one).
pub async fn create(tx: &WriteTx, t: Template) -> Result<TemplateRecord, StoreError> {
    let at = now();
    let m = tt::ActiveModel { id: Set(Uuid::now_v7()), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(&t) }
        .insert(tx.conn())
        .await?;
    record(m)
}

pub async fn update(tx: &WriteTx, current: &TemplateRecord, t: Template) -> Result<TemplateRecord, StoreError> {
    let m = &current.meta;
    let changes = tt::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&t) };
    update_guarded(tx.conn(), changes, tt::Column::Id.eq(m.id).and(tt::Column::Version.eq(m.version))).await?;
    get(tx.conn(), &t.code).await
}

pub async fn archive(tx: &WriteTx, current: &TemplateRecord) -> Result<TemplateRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = tt::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, tt::Column::Id.eq(m.id).and(tt::Column::Version.eq(m.version))).await?;
    get(tx.conn(), &current.data.code).await
}
