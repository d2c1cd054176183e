//! Local partnerships with the territorial units they cover and their assigned consultants.

use crate::Conn;
use domain::codelist::{PartnershipStatus, Region};
use domain::registry::{Partnership, PartnershipData, Record};
use domain::search::search_text;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::convert::{code, ensure_exist, like, meta, now, update_guarded};
use crate::entities::{JsonOf, partnership as p, partnership_consultant as pc, partnership_territorial_unit as ptu, territorial_unit as tu};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type PartnershipRecord = Record<Partnership>;

#[derive(Debug, Default)]
pub struct Filter {
    pub q: Option<String>,
    pub status: Option<PartnershipStatus>,
    /// Partnerships covering at least one territorial unit in this region.
    pub region: Option<Region>,
    pub territorial_unit_id: Option<Uuid>,
    pub consultant_id: Option<Uuid>,
    pub external_ref: Option<String>,
    pub include_archived: bool,
}

pub const SORT: &[SortField<p::Column>] = &[
    field("name", p::Column::SortName, SortKind::Text),
    field("status", p::Column::Status, SortKind::Text),
    field("created_at", p::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", p::Column::UpdatedAt, SortKind::Timestamp),
];

fn record(m: p::Model) -> Result<PartnershipRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Partnership {
            status: code(&m.status)?,
            data: PartnershipData {
                external_ref: m.external_ref,
                name: m.name,
                territorial_unit_ids: m.territorial_unit_ids.0,
                established_on: m.established_on,
                memorandum_signed_on: m.memorandum_signed_on,
                founding_act: m.founding_act,
                consultant_ids: m.consultant_ids.0,
            },
        },
    })
}

fn content(d: &PartnershipData) -> p::ActiveModel {
    p::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        name: Set(d.name.clone()),
        established_on: Set(d.established_on),
        memorandum_signed_on: Set(d.memorandum_signed_on),
        founding_act: Set(d.founding_act.clone()),
        territorial_unit_ids: Set(JsonOf(d.territorial_unit_ids.clone())),
        consultant_ids: Set(JsonOf(d.consultant_ids.clone())),
        sort_name: Set(domain::search::fold(&d.name)),
        search_text: Set(search_text([d.name.as_str()])),
        ..Default::default()
    }
}

/// The text the `regions` column holds for these region codes (see the column): the set, each
/// enclosed in commas, empty for none; sorted here (the migration's backfill on SQLite may store
/// another order: only membership counts).
pub(crate) fn regions_text(mut codes: Vec<String>) -> String {
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() { String::new() } else { format!(",{},", codes.join(",")) }
}

/// The condition "covers at least one territorial unit in `region`" on `partnerships.regions`
/// (`,CZ041,CZ042,`): the code between commas found in it by a plain substring search, `instr`
/// on SQLite and `strpos` on PostgreSQL. `LIKE '%,CZ041,%'` matched the column character by
/// character, folding case, and was a ninth of the instructions of a list of partnerships
/// filtered by region on SQLite; on PostgreSQL `strpos` over the active rows answers the
/// registry's list ~3 times as often as the containment of the code in `string_to_array(regions,
/// ',')` did, whose GIN index PostgreSQL never chose for it (a sequential scan splitting every
/// active row's text: `m20261204_000180_drop_partnership_regions_index`), and ~1.2 times as often as
/// `LIKE` (issue 11). The codes are upper-case letters and digits, so that case and `LIKE`'s
/// wildcards change nothing.
fn covers(region: Region, backend: sea_orm::DbBackend) -> sea_orm::sea_query::SimpleExpr {
    let column = Expr::col((p::Entity, p::Column::Regions));
    let position = match backend {
        sea_orm::DbBackend::Sqlite => "instr",
        _ => "strpos",
    };
    Expr::expr(sea_orm::sea_query::Func::cust(position).arg(column).arg(format!(",{region},"))).gt(0)
}

/// The ids of the partnerships covering at least one territorial unit in `region` (a subquery).
pub(crate) fn covering_region(region: Region, backend: sea_orm::DbBackend) -> sea_orm::sea_query::SelectStatement {
    Query::select().column((p::Entity, p::Column::Id)).from(p::Entity).and_where(covers(region, backend)).take()
}

/// The ids of the partnerships covering territorial unit `unit` (a subquery).
fn covering_unit(unit: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select().column(ptu::Column::PartnershipId).from(ptu::Entity).and_where(ptu::Column::TerritorialUnitId.eq(unit)).take()
}

/// The `regions` of a partnership covering these territorial units.
async fn regions_of(conn: &impl Conn, units: &[Uuid]) -> Result<String, StoreError> {
    if units.is_empty() {
        return Ok(String::new());
    }
    // `FOR SHARE` on PostgreSQL: a unit moving to another region meanwhile waits for this write,
    // then finds its link to this partnership and recomputes the column (`refresh_regions`); one
    // that moved first is waited for and read as it moved. (SQLite writes one at a time.)
    let codes: Vec<String> =
        tu::Entity::find().select_only().column(tu::Column::Region).filter(tu::Column::Id.is_in(units.to_vec())).lock_shared().into_tuple().all(conn).await?;
    Ok(regions_text(codes))
}

/// Recomputes `regions` of the partnerships covering territorial unit `unit` (its region
/// changed). Not a change of the partnerships' representation: versions stay.
pub(crate) async fn refresh_regions(tx: &WriteTx, unit: Uuid) -> Result<(), StoreError> {
    let covering = covering_unit(unit);
    // The covering partnerships locked first (PostgreSQL), and their units' regions read after:
    // two units of one partnership moving at once then recompute its column one after the other,
    // the second with the first's region as committed, not as it was before.
    let _locked: Vec<Uuid> = p::Entity::find()
        .select_only()
        .column(p::Column::Id)
        .filter(p::Column::Id.in_subquery(covering.clone()))
        .lock_exclusive()
        .into_tuple()
        .all(tx.conn())
        .await?;
    let rows: Vec<(Uuid, String)> = ptu::Entity::find()
        .select_only()
        .column(ptu::Column::PartnershipId)
        .column_as(Expr::col((tu::Entity, tu::Column::Region)), "region")
        .join(JoinType::InnerJoin, ptu::Entity::belongs_to(tu::Entity).from(ptu::Column::TerritorialUnitId).to(tu::Column::Id).into())
        .filter(ptu::Column::PartnershipId.in_subquery(covering))
        .into_tuple()
        .all(tx.conn())
        .await?;
    let mut by_partnership: std::collections::BTreeMap<Uuid, Vec<String>> = Default::default();
    for (partnership, region) in rows {
        by_partnership.entry(partnership).or_default().push(region);
    }
    for (partnership, codes) in by_partnership {
        p::Entity::update_many().col_expr(p::Column::Regions, Expr::value(regions_text(codes))).filter(p::Column::Id.eq(partnership)).exec(tx.conn()).await?;
    }
    Ok(())
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<PartnershipRecord, StoreError> {
    crate::page::by_id::<p::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(record)
}

/// Whether a partnership exists, without loading it.
pub async fn exists(conn: &impl Conn, id: Uuid) -> Result<bool, StoreError> {
    Ok(crate::page::by_id::<p::Entity, _>(conn, id).await?.is_some())
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<PartnershipRecord>, StoreError> {
    let mut select = p::Entity::find();
    if !f.include_archived {
        select = select.filter(p::Column::ArchivedAt.is_null());
    }
    if let Some(q) = &f.q {
        select = select.filter(like(p::Column::SearchText, q));
    }
    if let Some(status) = f.status {
        select = select.filter(p::Column::Status.eq(status.to_string()));
    }
    if let Some(external_ref) = &f.external_ref {
        select = select.filter(p::Column::ExternalRef.eq(external_ref.clone()));
    }
    if let Some(region) = f.region {
        select = select.filter(covers(region, conn.get_database_backend()));
    }
    if let Some(unit) = f.territorial_unit_id {
        select = select.filter(p::Column::Id.in_subquery(covering_unit(unit)));
    }
    if let Some(consultant) = f.consultant_id {
        let assigned = Query::select().column(pc::Column::PartnershipId).from(pc::Entity).and_where(pc::Column::PersonId.eq(consultant)).take();
        select = select.filter(p::Column::Id.in_subquery(assigned));
    }
    let page = page::fetch(conn, select, SORT, "name", p::Column::Id, req).await?;
    let items = page.items.into_iter().map(record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn replace_children(tx: &WriteTx, id: Uuid, data: &PartnershipData) -> Result<(), StoreError> {
    ensure_exist::<tu::Entity, _>(tx.conn(), tu::Column::Id, &data.territorial_unit_ids, "territorial_unit_ids", false).await?;
    ensure_people(tx.conn(), &data.consultant_ids, "consultant_ids", false).await?;
    ptu::Entity::delete_many().filter(ptu::Column::PartnershipId.eq(id)).exec(tx.conn()).await?;
    pc::Entity::delete_many().filter(pc::Column::PartnershipId.eq(id)).exec(tx.conn()).await?;
    if !data.territorial_unit_ids.is_empty() {
        let rows = data.territorial_unit_ids.iter().map(|u| ptu::ActiveModel { partnership_id: Set(id), territorial_unit_id: Set(*u) });
        ptu::Entity::insert_many(rows).exec(tx.conn()).await?;
    }
    if !data.consultant_ids.is_empty() {
        let rows = data.consultant_ids.iter().map(|c| pc::ActiveModel { partnership_id: Set(id), person_id: Set(*c) });
        pc::Entity::insert_many(rows).exec(tx.conn()).await?;
    }
    Ok(())
}

/// Creates a partnership in status `forming`.
pub async fn create(tx: &WriteTx, data: PartnershipData) -> Result<PartnershipRecord, StoreError> {
    let at = now();
    let id = Uuid::now_v7();
    p::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        status: Set(PartnershipStatus::Forming.to_string()),
        regions: Set(regions_of(tx.conn(), &data.territorial_unit_ids).await?),
        ..content(&data)
    }
    .insert(tx.conn())
    .await?;
    replace_children(tx, id, &data).await?;
    get(tx.conn(), id).await
}

pub async fn update(tx: &WriteTx, current: &PartnershipRecord, data: PartnershipData) -> Result<PartnershipRecord, StoreError> {
    let m = &current.meta;
    let regions = Set(regions_of(tx.conn(), &data.territorial_unit_ids).await?);
    let changes = p::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), regions, ..content(&data) };
    update_guarded(tx.conn(), changes, p::Column::Id.eq(m.id).and(p::Column::Version.eq(m.version))).await?;
    replace_children(tx, m.id, &data).await?;
    get(tx.conn(), m.id).await
}

/// Moves the partnership to `status` (the domain decided the transition is legal).
pub async fn set_status(tx: &WriteTx, current: &PartnershipRecord, status: PartnershipStatus) -> Result<PartnershipRecord, StoreError> {
    let m = &current.meta;
    let changes = p::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), status: Set(status.to_string()), ..Default::default() };
    update_guarded(tx.conn(), changes, p::Column::Id.eq(m.id).and(p::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &PartnershipRecord) -> Result<PartnershipRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = p::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, p::Column::Id.eq(m.id).and(p::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}
