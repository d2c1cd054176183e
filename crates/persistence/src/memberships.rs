//! Memberships of organizations in partnerships, with their representatives. History is
//! kept: a member leaves by getting `left_on`, and rows are archived, never deleted.

use crate::Conn;
use std::collections::HashMap;

use chrono::NaiveDate;
use domain::registry::{MembershipData, Record, Representative};
use domain::{DomainError, FieldError};
use sea_orm::sea_query::{Condition, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::convert::{ensure_exist, meta, now, update_guarded};
use crate::entities::{membership as ms, membership_representative as rep, organization};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type Membership = Record<MembershipData>;

#[derive(Debug, Default)]
pub struct Filter {
    pub partnership_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    /// Only memberships in force on this day.
    pub active_on: Option<NaiveDate>,
    pub include_archived: bool,
    /// `Some(ids)`: only memberships of these partnerships (a partner's view).
    pub scope: Option<Vec<Uuid>>,
}

pub const SORT: &[SortField<ms::Column>] = &[
    field("joined_on", ms::Column::JoinedOn, SortKind::Date),
    field("created_at", ms::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", ms::Column::UpdatedAt, SortKind::Timestamp),
];

async fn representatives(conn: &impl Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Representative>>, StoreError> {
    let mut map: HashMap<Uuid, Vec<Representative>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows =
        crate::page::models(conn, rep::Entity::find().filter(rep::Column::MembershipId.is_in(ids.iter().copied())).order_by_asc(rep::Column::Position)).await?;
    for row in rows {
        map.entry(row.membership_id).or_default().push(Representative { person_id: row.person_id, function: row.function });
    }
    Ok(map)
}

fn record(m: ms::Model, representatives: Vec<Representative>) -> Membership {
    Record {
        meta: meta!(m),
        data: MembershipData {
            partnership_id: m.partnership_id,
            organization_id: m.organization_id,
            joined_on: m.joined_on,
            left_on: m.left_on,
            representatives,
            note: m.note,
        },
    }
}

fn content(d: &MembershipData) -> ms::ActiveModel {
    ms::ActiveModel {
        partnership_id: Set(d.partnership_id),
        organization_id: Set(d.organization_id),
        joined_on: Set(d.joined_on),
        left_on: Set(d.left_on),
        note: Set(d.note.clone()),
        ..Default::default()
    }
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<Membership, StoreError> {
    let model = crate::page::by_id::<ms::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)?;
    let mut reps = representatives(conn, &[id]).await?;
    Ok(record(model, reps.remove(&id).unwrap_or_default()))
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<Membership>, StoreError> {
    let mut select = ms::Entity::find();
    if !f.include_archived {
        select = select.filter(ms::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(ms::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.organization_id {
        select = select.filter(ms::Column::OrganizationId.eq(id));
    }
    if let Some(day) = f.active_on {
        select = select.filter(ms::Column::JoinedOn.lte(day)).filter(Condition::any().add(ms::Column::LeftOn.is_null()).add(ms::Column::LeftOn.gt(day)));
        // A membership of an archived organization is not current.
        let archived = sea_orm::sea_query::Query::select()
            .column(organization::Column::Id)
            .from(organization::Entity)
            .and_where(organization::Column::ArchivedAt.is_not_null())
            .take();
        select = select.filter(ms::Column::OrganizationId.not_in_subquery(archived));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(ms::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, SORT, "joined_on", ms::Column::Id, req).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut reps = representatives(conn, &ids).await?;
    Ok(page.map(|m| {
        let r = reps.remove(&m.id).unwrap_or_default();
        record(m, r)
    }))
}

/// The rules that need other rows: the organization and representatives exist, and the
/// organization has no other membership of this partnership overlapping this period.
async fn check(tx: &WriteTx, data: &MembershipData, this: Option<Uuid>, organization_changed: bool) -> Result<(), StoreError> {
    // Serialise membership writes per partnership so that two concurrent requests cannot both
    // pass the overlap check (PostgreSQL; SQLite writes are already serialised by the store).
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::QuerySelect;
        crate::entities::partnership::Entity::find_by_id(data.partnership_id).lock_exclusive().one(tx.conn()).await?;
    }
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &[data.organization_id], "organization_id", true).await?;
    // An archived organization cannot join: checked when the membership is created or moves to
    // another organization, so that memberships of organizations archived later stay editable.
    if organization_changed {
        let archived = organization::Entity::find_by_id(data.organization_id).one(tx.conn()).await?.is_some_and(|o| o.archived_at.is_some());
        domain::registry::ensure_active_organization("organization_id", archived)?;
    }
    let people: Vec<Uuid> = data.representatives.iter().map(|r| r.person_id).collect();
    ensure_people(tx.conn(), &people, "representatives", false).await.map_err(|e| match e {
        // `representatives[i]` is the element; the id inside it is what is missing.
        StoreError::Domain(DomainError::Invalid(errors)) => {
            StoreError::Domain(DomainError::Invalid(errors.into_iter().map(|e| FieldError { field: format!("{}.person_id", e.field), ..e }).collect()))
        }
        other => other,
    })?;
    let mut overlapping = ms::Entity::find()
        .filter(ms::Column::PartnershipId.eq(data.partnership_id))
        .filter(ms::Column::OrganizationId.eq(data.organization_id))
        .filter(ms::Column::ArchivedAt.is_null())
        .filter(Condition::any().add(ms::Column::LeftOn.is_null()).add(ms::Column::LeftOn.gt(data.joined_on)));
    if let Some(left_on) = data.left_on {
        overlapping = overlapping.filter(ms::Column::JoinedOn.lt(left_on));
    }
    if let Some(id) = this {
        overlapping = overlapping.filter(ms::Column::Id.ne(id));
    }
    if overlapping.one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict {
            field: Some("organization_id".into()),
            message: "the organization already has a membership in this partnership for an overlapping period".into(),
        });
    }
    Ok(())
}

async fn replace_representatives(tx: &WriteTx, id: Uuid, data: &MembershipData) -> Result<(), StoreError> {
    rep::Entity::delete_many().filter(rep::Column::MembershipId.eq(id)).exec(tx.conn()).await?;
    if !data.representatives.is_empty() {
        let rows = data.representatives.iter().zip(0..).map(|(r, position)| rep::ActiveModel {
            membership_id: Set(id),
            person_id: Set(r.person_id),
            position: Set(position),
            function: Set(r.function.clone()),
        });
        rep::Entity::insert_many(rows).exec(tx.conn()).await?;
    }
    Ok(())
}

pub async fn create(tx: &WriteTx, data: MembershipData) -> Result<Membership, StoreError> {
    check(tx, &data, None, true).await?;
    let at = now();
    let id = Uuid::now_v7();
    ms::ActiveModel { id: Set(id), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(&data) }
        .insert(tx.conn())
        .await?;
    replace_representatives(tx, id, &data).await?;
    get(tx.conn(), id).await
}

pub async fn update(tx: &WriteTx, current: &Membership, data: MembershipData) -> Result<Membership, StoreError> {
    let m = &current.meta;
    check(tx, &data, Some(m.id), current.data.organization_id != data.organization_id).await?;
    let changes = ms::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&data) };
    update_guarded(tx.conn(), changes, ms::Column::Id.eq(m.id).and(ms::Column::Version.eq(m.version))).await?;
    replace_representatives(tx, m.id, &data).await?;
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &Membership) -> Result<Membership, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = ms::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, ms::Column::Id.eq(m.id).and(ms::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

/// The facts that decide whether an organization is a member of a partnership on a day
/// (judged by [`domain::registry::Standing::is_member_on`]): whether it is archived, and its
/// memberships of the partnership that are not archived.
pub async fn standing(conn: &impl Conn, partnership_id: Uuid, organization_id: Uuid) -> Result<domain::registry::Standing, StoreError> {
    let organization_archived = crate::page::by_id::<organization::Entity, _>(conn, organization_id).await?.is_some_and(|o| o.archived_at.is_some());
    let rows = crate::page::models(
        conn,
        ms::Entity::find()
            .filter(ms::Column::PartnershipId.eq(partnership_id))
            .filter(ms::Column::OrganizationId.eq(organization_id))
            .filter(ms::Column::ArchivedAt.is_null()),
    )
    .await?;
    Ok(domain::registry::Standing { organization_archived, memberships: rows.into_iter().map(|m| record(m, vec![]).data).collect() })
}
