//! Working groups of a partnership, with their coordinator and members.

use crate::Conn;
use std::collections::HashMap;

use domain::codelist::ThematicArea;
use domain::registry::{Record, WorkingGroupData};
use domain::search::search_text;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::convert::{code, like, meta, now, update_guarded};
use crate::entities::{working_group as wg, working_group_member as wgm};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type WorkingGroup = Record<WorkingGroupData>;

#[derive(Debug, Default)]
pub struct Filter {
    pub partnership_id: Option<Uuid>,
    pub thematic_area: Option<ThematicArea>,
    pub q: Option<String>,
    pub include_archived: bool,
    pub scope: Option<Vec<Uuid>>,
}

pub const SORT: &[SortField<wg::Column>] = &[
    field("name", wg::Column::SortName, SortKind::Text),
    field("thematic_area", wg::Column::ThematicArea, SortKind::Text),
    field("created_at", wg::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", wg::Column::UpdatedAt, SortKind::Timestamp),
];

async fn members(conn: &impl Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError> {
    let mut map: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    for row in crate::page::models(conn, wgm::Entity::find().filter(wgm::Column::WorkingGroupId.is_in(ids.iter().copied())).order_by_asc(wgm::Column::Position))
        .await?
    {
        map.entry(row.working_group_id).or_default().push(row.person_id);
    }
    Ok(map)
}

fn record(m: wg::Model, member_ids: Vec<Uuid>) -> Result<WorkingGroup, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: WorkingGroupData {
            external_ref: m.external_ref,
            partnership_id: m.partnership_id,
            thematic_area: code(&m.thematic_area)?,
            name: m.name,
            coordinator_id: m.coordinator_id,
            member_ids,
        },
    })
}

fn content(d: &WorkingGroupData) -> wg::ActiveModel {
    wg::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        partnership_id: Set(d.partnership_id),
        thematic_area: Set(d.thematic_area.to_string()),
        name: Set(d.name.clone()),
        coordinator_id: Set(d.coordinator_id),
        sort_name: Set(domain::search::fold(&d.name)),
        search_text: Set(search_text([d.name.as_str()])),
        ..Default::default()
    }
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<WorkingGroup, StoreError> {
    let model = crate::page::by_id::<wg::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)?;
    let mut m = members(conn, &[id]).await?;
    record(model, m.remove(&id).unwrap_or_default())
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<WorkingGroup>, StoreError> {
    let mut select = wg::Entity::find();
    if !f.include_archived {
        select = select.filter(wg::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(wg::Column::PartnershipId.eq(id));
    }
    if let Some(area) = f.thematic_area {
        select = select.filter(wg::Column::ThematicArea.eq(area.to_string()));
    }
    if let Some(q) = &f.q {
        select = select.filter(like(wg::Column::SearchText, q));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(wg::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, SORT, "name", wg::Column::Id, req).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut all = members(conn, &ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|m| {
            let ms = all.remove(&m.id).unwrap_or_default();
            record(m, ms)
        })
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn replace_members(tx: &WriteTx, id: Uuid, data: &WorkingGroupData) -> Result<(), StoreError> {
    let coordinator: Vec<Uuid> = data.coordinator_id.into_iter().collect();
    ensure_people(tx.conn(), &coordinator, "coordinator_id", true).await?;
    ensure_people(tx.conn(), &data.member_ids, "member_ids", false).await?;
    wgm::Entity::delete_many().filter(wgm::Column::WorkingGroupId.eq(id)).exec(tx.conn()).await?;
    if !data.member_ids.is_empty() {
        let rows =
            data.member_ids.iter().zip(0..).map(|(p, position)| wgm::ActiveModel { working_group_id: Set(id), person_id: Set(*p), position: Set(position) });
        wgm::Entity::insert_many(rows).exec(tx.conn()).await?;
    }
    Ok(())
}

pub async fn create(tx: &WriteTx, data: WorkingGroupData) -> Result<WorkingGroup, StoreError> {
    let at = now();
    let id = Uuid::now_v7();
    wg::ActiveModel { id: Set(id), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(&data) }
        .insert(tx.conn())
        .await?;
    replace_members(tx, id, &data).await?;
    get(tx.conn(), id).await
}

pub async fn update(tx: &WriteTx, current: &WorkingGroup, data: WorkingGroupData) -> Result<WorkingGroup, StoreError> {
    let m = &current.meta;
    let changes = wg::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&data) };
    update_guarded(tx.conn(), changes, wg::Column::Id.eq(m.id).and(wg::Column::Version.eq(m.version))).await?;
    replace_members(tx, m.id, &data).await?;
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &WorkingGroup) -> Result<WorkingGroup, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = wg::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, wg::Column::Id.eq(m.id).and(wg::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}
