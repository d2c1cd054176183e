//! Records of the Agency's project counselling.

use crate::Conn;
use chrono::NaiveDate;
use domain::DomainError;
use domain::esif::CounsellingData;
use domain::registry::Record;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::json;
use crate::convert::{ensure_exist, meta, now, update_guarded};
use crate::entities::{call, counselling_record as cr, organization, partnership, project};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type Counselling = Record<CounsellingData>;

fn counselling(m: cr::Model) -> Result<Counselling, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: CounsellingData {
            partnership_id: m.partnership_id,
            consultant_id: m.consultant_id,
            organization_ids: json(m.organization_ids)?,
            held_on: m.held_on,
            duration_minutes: m.duration_minutes,
            topic: m.topic,
            call_id: m.call_id,
            project_id: m.project_id,
            notes: m.notes,
        },
    })
}

fn counselling_content(d: &CounsellingData) -> cr::ActiveModel {
    cr::ActiveModel {
        partnership_id: Set(d.partnership_id),
        consultant_id: Set(d.consultant_id),
        organization_ids: Set(serde_json::json!(d.organization_ids)),
        held_on: Set(d.held_on),
        duration_minutes: Set(d.duration_minutes),
        topic: Set(d.topic.clone()),
        call_id: Set(d.call_id),
        project_id: Set(d.project_id),
        notes: Set(d.notes.clone()),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct CounsellingFilter {
    pub partnership_id: Option<Uuid>,
    pub consultant_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub call_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub include_archived: bool,
    pub scope: Option<Vec<Uuid>>,
}

pub const COUNSELLING_SORT: &[SortField<cr::Column>] = &[
    field("held_on", cr::Column::HeldOn, SortKind::Date),
    field("created_at", cr::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", cr::Column::UpdatedAt, SortKind::Timestamp),
];

pub async fn get_counselling(conn: &impl Conn, id: Uuid) -> Result<Counselling, StoreError> {
    crate::page::by_id::<cr::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(counselling)
}

pub async fn list_counselling(conn: &impl Conn, f: &CounsellingFilter, req: &PageRequest) -> Result<Page<Counselling>, StoreError> {
    let mut select = cr::Entity::find();
    if !f.include_archived {
        select = select.filter(cr::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(cr::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.consultant_id {
        select = select.filter(cr::Column::ConsultantId.eq(id));
    }
    if let Some(id) = f.project_id {
        select = select.filter(cr::Column::ProjectId.eq(id));
    }
    if let Some(id) = f.call_id {
        select = select.filter(cr::Column::CallId.eq(id));
    }
    if let Some(d) = f.from {
        select = select.filter(cr::Column::HeldOn.gte(d));
    }
    if let Some(d) = f.to {
        select = select.filter(cr::Column::HeldOn.lte(d));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(cr::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, COUNSELLING_SORT, "held_on", cr::Column::Id, req).await?;
    let items = page.items.into_iter().map(counselling).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn check_counselling(tx: &WriteTx, d: &CounsellingData) -> Result<(), StoreError> {
    ensure_exist::<partnership::Entity, _>(tx.conn(), partnership::Column::Id, &[d.partnership_id], "partnership_id", true).await?;
    ensure_people(tx.conn(), &[d.consultant_id], "consultant_id", true).await?;
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &d.organization_ids, "organization_ids", false).await?;
    if let Some(c) = d.call_id {
        ensure_exist::<call::Entity, _>(tx.conn(), call::Column::Id, &[c], "call_id", true).await?;
    }
    if let Some(p) = d.project_id {
        let found = project::Entity::find_by_id(p).one(tx.conn()).await?;
        if found.is_none_or(|f| f.partnership_id != d.partnership_id) {
            return Err(DomainError::invalid("project_id", "not_in_partnership", "the project is not a project of this partnership").into());
        }
    }
    Ok(())
}

pub async fn create_counselling(tx: &WriteTx, d: CounsellingData) -> Result<Counselling, StoreError> {
    check_counselling(tx, &d).await?;
    let at = now();
    let m = cr::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        ..counselling_content(&d)
    }
    .insert(tx.conn())
    .await?;
    counselling(m)
}

pub async fn update_counselling(tx: &WriteTx, current: &Counselling, d: CounsellingData) -> Result<Counselling, StoreError> {
    check_counselling(tx, &d).await?;
    let m = &current.meta;
    let changes = cr::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..counselling_content(&d) };
    update_guarded(tx.conn(), changes, cr::Column::Id.eq(m.id).and(cr::Column::Version.eq(m.version))).await?;
    get_counselling(tx.conn(), m.id).await
}

pub async fn archive_counselling(tx: &WriteTx, current: &Counselling) -> Result<Counselling, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = cr::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, cr::Column::Id.eq(m.id).and(cr::Column::Version.eq(m.version))).await?;
    get_counselling(tx.conn(), m.id).await
}
