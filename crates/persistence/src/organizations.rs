//! Organizations: the municipalities, offices, schools and NGOs that become members.

use crate::Conn;
use domain::codelist::OrganizationKind;
use domain::registry::{OrganizationData, Record};
use domain::search::search_text;
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TryIntoModel};
use uuid::Uuid;

use crate::convert::{code, like, meta, now, update_guarded};
use crate::entities::{membership, organization as org};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

pub type Organization = Record<OrganizationData>;

#[derive(Debug, Default)]
pub struct Filter {
    pub q: Option<String>,
    pub kind: Option<OrganizationKind>,
    pub ico: Option<String>,
    /// Organizations that are (or were) members of this partnership.
    pub partnership_id: Option<Uuid>,
    pub external_ref: Option<String>,
    pub include_archived: bool,
}

pub const SORT: &[SortField<org::Column>] = &[
    field("name", org::Column::SortName, SortKind::Text),
    field("created_at", org::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", org::Column::UpdatedAt, SortKind::Timestamp),
];

fn record(m: org::Model) -> Result<Organization, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: OrganizationData { external_ref: m.external_ref, name: m.name, kind: code(&m.kind)?, ico: m.ico, address: m.address, web: m.web },
    })
}

fn content(d: &OrganizationData) -> org::ActiveModel {
    org::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        name: Set(d.name.clone()),
        kind: Set(d.kind.to_string()),
        ico: Set(d.ico.clone()),
        address: Set(d.address.clone()),
        web: Set(d.web.clone()),
        sort_name: Set(domain::search::fold(&d.name)),
        search_text: Set(search_text([d.name.as_str(), d.ico.as_deref().unwrap_or(""), d.address.as_deref().unwrap_or("")])),
        ..Default::default()
    }
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<Organization, StoreError> {
    crate::page::by_id::<org::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(record)
}

/// The records with these `external_ref`s (archived ones too), for a batch of an import's rows.
pub async fn by_external_refs(conn: &impl Conn, refs: &[String]) -> Result<Vec<Organization>, StoreError> {
    if refs.is_empty() {
        return Ok(vec![]);
    }
    crate::page::models(conn, org::Entity::find().filter(org::Column::ExternalRef.is_in(refs.to_vec()))).await?.into_iter().map(record).collect()
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<Organization>, StoreError> {
    let mut select = org::Entity::find();
    if !f.include_archived {
        select = select.filter(org::Column::ArchivedAt.is_null());
    }
    if let Some(q) = &f.q {
        select = select.filter(like(org::Column::SearchText, q));
    }
    if let Some(kind) = f.kind {
        select = select.filter(org::Column::Kind.eq(kind.to_string()));
    }
    if let Some(ico) = &f.ico {
        select = select.filter(org::Column::Ico.eq(ico.clone()));
    }
    if let Some(external_ref) = &f.external_ref {
        select = select.filter(org::Column::ExternalRef.eq(external_ref.clone()));
    }
    if let Some(partnership_id) = f.partnership_id {
        let members = Query::select()
            .column(membership::Column::OrganizationId)
            .from(membership::Entity)
            .and_where(membership::Column::PartnershipId.eq(partnership_id))
            .and_where(membership::Column::ArchivedAt.is_null())
            .take();
        select = select.filter(org::Column::Id.in_subquery(members));
    }
    let page = page::fetch(conn, select, SORT, "name", org::Column::Id, req).await?;
    let items = page.items.into_iter().map(record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub async fn create(tx: &WriteTx, data: OrganizationData) -> Result<Organization, StoreError> {
    let at = now();
    let model =
        org::ActiveModel { id: Set(Uuid::now_v7()), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(&data) }
            .insert(tx.conn())
            .await?;
    record(model)
}

/// [`create`] of many rows, many to a statement (a bulk import's batch): the same rows,
/// created at the same instant, in the order given.
pub async fn create_many(tx: &WriteTx, data: Vec<OrganizationData>) -> Result<Vec<Organization>, StoreError> {
    let at = now();
    let models: Vec<org::ActiveModel> = data
        .iter()
        .map(|d| org::ActiveModel { id: Set(Uuid::now_v7()), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..content(d) })
        .collect();
    crate::convert::insert_in_chunks(tx.conn(), models.iter().cloned(), CREATE_MANY_PER_STATEMENT).await?;
    models.into_iter().map(|m| m.try_into_model().map_err(StoreError::from).and_then(record)).collect()
}

/// Rows per `INSERT` of [`create_many`] (13 values a row; SQLite takes up to 32,766).
const CREATE_MANY_PER_STATEMENT: usize = 256;

pub async fn update(tx: &WriteTx, current: &Organization, data: OrganizationData) -> Result<Organization, StoreError> {
    let m = &current.meta;
    let changes = org::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&data) };
    update_guarded(tx.conn(), changes, org::Column::Id.eq(m.id).and(org::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &Organization) -> Result<Organization, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = org::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, org::Column::Id.eq(m.id).and(org::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}
