//! Territorial units (municipalities, unions, microregions, MAS) and their excluded localities.

use crate::Conn;
use domain::codelist::{Region, TerritorialUnitKind};
use domain::registry::{ExcludedLocalityData, Record, TerritorialUnitData};
use domain::search::search_text;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TryIntoModel};
use uuid::Uuid;

use crate::convert::{code, like, meta, now, update_guarded};
use crate::entities::{excluded_locality as el, territorial_unit as tu};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type TerritorialUnit = Record<TerritorialUnitData>;
pub type ExcludedLocality = Record<ExcludedLocalityData>;

/// Filters of the territorial-unit list.
#[derive(Debug, Default)]
pub struct Filter {
    pub q: Option<String>,
    pub kind: Option<TerritorialUnitKind>,
    pub region: Option<Region>,
    pub include_archived: bool,
}

pub const SORT: &[SortField<tu::Column>] = &[
    field("name", tu::Column::SortName, SortKind::Text),
    field("region", tu::Column::Region, SortKind::Text),
    field("created_at", tu::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", tu::Column::UpdatedAt, SortKind::Timestamp),
];

fn record(m: tu::Model) -> Result<TerritorialUnit, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: TerritorialUnitData {
            external_ref: m.external_ref,
            kind: code(&m.kind)?,
            name: m.name,
            municipality_code: m.municipality_code,
            region: code(&m.region)?,
            population: m.population,
        },
    })
}

fn content(d: &TerritorialUnitData) -> tu::ActiveModel {
    tu::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        kind: Set(d.kind.to_string()),
        name: Set(d.name.clone()),
        municipality_code: Set(d.municipality_code.clone()),
        region: Set(d.region.to_string()),
        population: Set(d.population),
        sort_name: Set(domain::search::fold(&d.name)),
        search_text: Set(search_text([d.name.as_str(), d.municipality_code.as_deref().unwrap_or("")])),
        ..Default::default()
    }
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<TerritorialUnit, StoreError> {
    crate::page::by_id::<tu::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(record)
}

/// The records with these `external_ref`s (archived ones too), for a batch of an import's rows.
pub async fn by_external_refs(conn: &impl Conn, refs: &[String]) -> Result<Vec<TerritorialUnit>, StoreError> {
    if refs.is_empty() {
        return Ok(vec![]);
    }
    crate::page::models(conn, tu::Entity::find().filter(tu::Column::ExternalRef.is_in(refs.to_vec()))).await?.into_iter().map(record).collect()
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<TerritorialUnit>, StoreError> {
    let mut select = tu::Entity::find();
    if !f.include_archived {
        select = select.filter(tu::Column::ArchivedAt.is_null());
    }
    if let Some(q) = &f.q {
        select = select.filter(like(tu::Column::SearchText, q));
    }
    if let Some(kind) = f.kind {
        select = select.filter(tu::Column::Kind.eq(kind.to_string()));
    }
    if let Some(region) = f.region {
        select = select.filter(tu::Column::Region.eq(region.to_string()));
    }
    let page = page::fetch(conn, select, SORT, "name", tu::Column::Id, req).await?;
    let items = page.items.into_iter().map(record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub async fn create(tx: &WriteTx, data: TerritorialUnitData) -> Result<TerritorialUnit, StoreError> {
    let at = now();
    let model =
        tu::ActiveModel { id: Set(Uuid::now_v7()), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(&data) }
            .insert(tx.conn())
            .await?;
    record(model)
}

/// [`create`] of many rows, many to a statement (a bulk import's batch): the same rows,
/// created at the same instant, in the order given.
pub async fn create_many(tx: &WriteTx, data: Vec<TerritorialUnitData>) -> Result<Vec<TerritorialUnit>, StoreError> {
    let at = now();
    let models: Vec<tu::ActiveModel> = data
        .iter()
        .map(|d| tu::ActiveModel { id: Set(Uuid::now_v7()), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(d) })
        .collect();
    crate::convert::insert_in_chunks(tx.conn(), models.iter().cloned(), CREATE_MANY_PER_STATEMENT).await?;
    models.into_iter().map(|m| m.try_into_model().map_err(StoreError::from).and_then(record)).collect()
}

/// Rows per `INSERT` of [`create_many`] (13 values a row; SQLite takes up to 32,766).
const CREATE_MANY_PER_STATEMENT: usize = 256;

pub async fn update(tx: &WriteTx, current: &TerritorialUnit, data: TerritorialUnitData) -> Result<TerritorialUnit, StoreError> {
    let m = &current.meta;
    let moved = data.region != current.data.region;
    let changes = tu::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&data) };
    update_guarded(tx.conn(), changes, tu::Column::Id.eq(m.id).and(tu::Column::Version.eq(m.version))).await?;
    if moved {
        // The partnerships covering the unit keep their regions on their rows.
        crate::partnerships::refresh_regions(tx, m.id).await?;
    }
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &TerritorialUnit) -> Result<TerritorialUnit, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = tu::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, tu::Column::Id.eq(m.id).and(tu::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

// --- excluded localities -------------------------------------------------------------

fn locality(m: el::Model) -> ExcludedLocality {
    Record {
        meta: meta!(m),
        data: ExcludedLocalityData {
            territorial_unit_id: m.territorial_unit_id,
            name: m.name,
            estimated_residents: m.estimated_residents,
            description: m.description,
        },
    }
}

fn locality_content(d: &ExcludedLocalityData) -> el::ActiveModel {
    el::ActiveModel {
        territorial_unit_id: Set(d.territorial_unit_id),
        name: Set(d.name.clone()),
        estimated_residents: Set(d.estimated_residents),
        description: Set(d.description.clone()),
        ..Default::default()
    }
}

pub const LOCALITY_SORT: &[SortField<el::Column>] = &[
    field("name", el::Column::Name, SortKind::Text),
    field("created_at", el::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", el::Column::UpdatedAt, SortKind::Timestamp),
];

pub async fn get_locality(conn: &impl Conn, id: Uuid) -> Result<ExcludedLocality, StoreError> {
    crate::page::by_id::<el::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).map(locality)
}

pub async fn list_localities(conn: &impl Conn, unit_id: Uuid, include_archived: bool, req: &PageRequest) -> Result<Page<ExcludedLocality>, StoreError> {
    let mut select = el::Entity::find().filter(el::Column::TerritorialUnitId.eq(unit_id));
    if !include_archived {
        select = select.filter(el::Column::ArchivedAt.is_null());
    }
    Ok(page::fetch(conn, select, LOCALITY_SORT, "name", el::Column::Id, req).await?.map(locality))
}

pub async fn create_locality(tx: &WriteTx, data: ExcludedLocalityData) -> Result<ExcludedLocality, StoreError> {
    let at = now();
    let model = el::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        ..locality_content(&data)
    }
    .insert(tx.conn())
    .await?;
    Ok(locality(model))
}

pub async fn update_locality(tx: &WriteTx, current: &ExcludedLocality, data: ExcludedLocalityData) -> Result<ExcludedLocality, StoreError> {
    let m = &current.meta;
    let changes = el::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..locality_content(&data) };
    update_guarded(tx.conn(), changes, el::Column::Id.eq(m.id).and(el::Column::Version.eq(m.version))).await?;
    get_locality(tx.conn(), m.id).await
}

pub async fn archive_locality(tx: &WriteTx, current: &ExcludedLocality) -> Result<ExcludedLocality, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = el::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, el::Column::Id.eq(m.id).and(el::Column::Version.eq(m.version))).await?;
    get_locality(tx.conn(), m.id).await
}
