//! Meetings of a partnership or of one of its working groups (agenda, minutes, attendance,
//! numbered resolutions) and the action items agreed at them.

use crate::Conn;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::codelist::ActionItemStatus;
use domain::registry::{ActionItemData, Attendance, MeetingData, Record, Resolution};
use domain::search::search_text;
use domain::{DomainError, FieldError};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::convert::{code, like, meta, now, update_guarded};
use crate::entities::{action_item as ai, meeting as mt, meeting_attendance as att, working_group};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type Meeting = Record<MeetingData>;
pub type ActionItem = Record<ActionItemData>;

#[derive(Debug, Default)]
pub struct Filter {
    pub partnership_id: Option<Uuid>,
    pub working_group_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub q: Option<String>,
    pub include_archived: bool,
    pub scope: Option<Vec<Uuid>>,
}

pub const SORT: &[SortField<mt::Column>] = &[
    field("starts_at", mt::Column::StartsAt, SortKind::Timestamp),
    field("created_at", mt::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", mt::Column::UpdatedAt, SortKind::Timestamp),
];

async fn attendance(conn: &impl Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Attendance>>, StoreError> {
    let mut map: HashMap<Uuid, Vec<Attendance>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    for row in
        crate::page::models(conn, att::Entity::find().filter(att::Column::MeetingId.is_in(ids.iter().copied())).order_by_asc(att::Column::Position)).await?
    {
        map.entry(row.meeting_id).or_default().push(Attendance { person_id: row.person_id, status: code(&row.status)? });
    }
    Ok(map)
}

fn json_list<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<Vec<T>, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

fn record(m: mt::Model, attendance: Vec<Attendance>) -> Result<Meeting, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: MeetingData {
            external_ref: m.external_ref,
            partnership_id: m.partnership_id,
            working_group_id: m.working_group_id,
            title: m.title,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            place: m.place,
            agenda: json_list::<String>(m.agenda)?,
            minutes: m.minutes,
            attendance,
            resolutions: json_list::<Resolution>(m.resolutions)?,
        },
    })
}

fn content(d: &MeetingData) -> mt::ActiveModel {
    mt::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        partnership_id: Set(d.partnership_id),
        working_group_id: Set(d.working_group_id),
        title: Set(d.title.clone()),
        starts_at: Set(d.starts_at),
        ends_at: Set(d.ends_at),
        place: Set(d.place.clone()),
        agenda: Set(serde_json::json!(d.agenda)),
        minutes: Set(d.minutes.clone()),
        resolutions: Set(serde_json::json!(d.resolutions)),
        search_text: Set(search_text([d.title.as_str(), d.place.as_deref().unwrap_or("")])),
        ..Default::default()
    }
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<Meeting, StoreError> {
    let model = crate::page::by_id::<mt::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)?;
    let mut a = attendance(conn, &[id]).await?;
    record(model, a.remove(&id).unwrap_or_default())
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<Meeting>, StoreError> {
    let mut select = mt::Entity::find();
    if !f.include_archived {
        select = select.filter(mt::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(mt::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.working_group_id {
        select = select.filter(mt::Column::WorkingGroupId.eq(id));
    }
    if let Some(from) = f.from {
        select = select.filter(mt::Column::StartsAt.gte(from));
    }
    if let Some(to) = f.to {
        select = select.filter(mt::Column::StartsAt.lt(to));
    }
    if let Some(q) = &f.q {
        select = select.filter(like(mt::Column::SearchText, q));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(mt::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, SORT, "starts_at", mt::Column::Id, req).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut all = attendance(conn, &ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|m| {
            let a = all.remove(&m.id).unwrap_or_default();
            record(m, a)
        })
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn check_and_store_attendance(tx: &WriteTx, id: Uuid, data: &MeetingData) -> Result<(), StoreError> {
    if let Some(group_id) = data.working_group_id {
        let group = working_group::Entity::find_by_id(group_id).one(tx.conn()).await?;
        domain::registry::ensure_group_of(data.partnership_id, group.map(|g| g.partnership_id))?;
    }
    let people: Vec<Uuid> = data.attendance.iter().map(|a| a.person_id).collect();
    ensure_people(tx.conn(), &people, "attendance", false).await.map_err(|e| match e {
        StoreError::Domain(DomainError::Invalid(errors)) => {
            StoreError::Domain(DomainError::Invalid(errors.into_iter().map(|e| FieldError { field: format!("{}.person_id", e.field), ..e }).collect()))
        }
        other => other,
    })?;
    att::Entity::delete_many().filter(att::Column::MeetingId.eq(id)).exec(tx.conn()).await?;
    if !data.attendance.is_empty() {
        let rows = data.attendance.iter().zip(0..).map(|(a, position)| att::ActiveModel {
            meeting_id: Set(id),
            person_id: Set(a.person_id),
            position: Set(position),
            status: Set(a.status.to_string()),
        });
        att::Entity::insert_many(rows).exec(tx.conn()).await?;
    }
    Ok(())
}

pub async fn create(tx: &WriteTx, data: MeetingData) -> Result<Meeting, StoreError> {
    let at = now();
    let id = Uuid::now_v7();
    mt::ActiveModel { id: Set(id), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(&data) }
        .insert(tx.conn())
        .await?;
    check_and_store_attendance(tx, id, &data).await?;
    get(tx.conn(), id).await
}

pub async fn update(tx: &WriteTx, current: &Meeting, data: MeetingData) -> Result<Meeting, StoreError> {
    let m = &current.meta;
    let changes = mt::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&data) };
    update_guarded(tx.conn(), changes, mt::Column::Id.eq(m.id).and(mt::Column::Version.eq(m.version))).await?;
    check_and_store_attendance(tx, m.id, &data).await?;
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &Meeting) -> Result<Meeting, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = mt::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, mt::Column::Id.eq(m.id).and(mt::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

// --- action items ----------------------------------------------------------------------

#[derive(Debug, Default)]
pub struct ActionItemFilter {
    pub partnership_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub status: Option<ActionItemStatus>,
    /// Only items still open after their due date, as of this day.
    pub overdue_on: Option<NaiveDate>,
    pub include_archived: bool,
    pub scope: Option<Vec<Uuid>>,
}

pub const ACTION_ITEM_SORT: &[SortField<ai::Column>] = &[
    field("title", ai::Column::Title, SortKind::Text),
    field("created_at", ai::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", ai::Column::UpdatedAt, SortKind::Timestamp),
];

fn item(m: ai::Model) -> Result<(Uuid, ActionItem), StoreError> {
    Ok((
        m.partnership_id,
        Record {
            meta: meta!(m),
            data: ActionItemData { meeting_id: m.meeting_id, title: m.title, owner_id: m.owner_id, due_on: m.due_on, status: code(&m.status)? },
        },
    ))
}

fn item_content(partnership_id: Uuid, d: &ActionItemData) -> ai::ActiveModel {
    ai::ActiveModel {
        partnership_id: Set(partnership_id),
        meeting_id: Set(d.meeting_id),
        title: Set(d.title.clone()),
        owner_id: Set(d.owner_id),
        due_on: Set(d.due_on),
        status: Set(d.status.to_string()),
        ..Default::default()
    }
}

/// An action item with the partnership it belongs to (for access checks).
pub async fn get_item(conn: &impl Conn, id: Uuid) -> Result<(Uuid, ActionItem), StoreError> {
    crate::page::by_id::<ai::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(item)
}

pub async fn list_items(conn: &impl Conn, f: &ActionItemFilter, req: &PageRequest) -> Result<Page<ActionItem>, StoreError> {
    let mut select = ai::Entity::find();
    if !f.include_archived {
        select = select.filter(ai::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(ai::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.meeting_id {
        select = select.filter(ai::Column::MeetingId.eq(id));
    }
    if let Some(id) = f.owner_id {
        select = select.filter(ai::Column::OwnerId.eq(id));
    }
    if let Some(status) = f.status {
        select = select.filter(ai::Column::Status.eq(status.to_string()));
    }
    if let Some(day) = f.overdue_on {
        select = select.filter(ai::Column::Status.eq(ActionItemStatus::Open.to_string())).filter(ai::Column::DueOn.lt(day));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(ai::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, ACTION_ITEM_SORT, "created_at", ai::Column::Id, req).await?;
    let items = page.items.into_iter().map(|m| item(m).map(|(_, r)| r)).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub async fn create_item(tx: &WriteTx, partnership_id: Uuid, data: ActionItemData) -> Result<ActionItem, StoreError> {
    let owner: Vec<Uuid> = data.owner_id.into_iter().collect();
    ensure_people(tx.conn(), &owner, "owner_id", true).await?;
    let at = now();
    let model = ai::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        ..item_content(partnership_id, &data)
    }
    .insert(tx.conn())
    .await?;
    item(model).map(|(_, r)| r)
}

pub async fn update_item(tx: &WriteTx, partnership_id: Uuid, current: &ActionItem, data: ActionItemData) -> Result<ActionItem, StoreError> {
    let owner: Vec<Uuid> = data.owner_id.into_iter().collect();
    ensure_people(tx.conn(), &owner, "owner_id", true).await?;
    let m = &current.meta;
    let changes = ai::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..item_content(partnership_id, &data) };
    update_guarded(tx.conn(), changes, ai::Column::Id.eq(m.id).and(ai::Column::Version.eq(m.version))).await?;
    get_item(tx.conn(), m.id).await.map(|(_, r)| r)
}

pub async fn archive_item(tx: &WriteTx, current: &ActionItem) -> Result<ActionItem, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = ai::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, ai::Column::Id.eq(m.id).and(ai::Column::Version.eq(m.version))).await?;
    get_item(tx.conn(), m.id).await.map(|(_, r)| r)
}
