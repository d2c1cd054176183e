//! Operational programmes: reference data, maintained by admins.

use crate::Conn;
use domain::codelist::{Fund, ProgrammingPeriod};
use domain::esif::{PriorityAxis, ProgrammeData};
use domain::registry::Record;
use domain::search::search_text;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::json;
use crate::convert::{code, like, meta, now, update_guarded};
use crate::entities::operational_programme as op;
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, Store, StoreError, WriteTx};

pub type Programme = Record<ProgrammeData>;

pub(super) fn programme(m: op::Model) -> Result<Programme, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: ProgrammeData {
            code: m.code,
            name_cs: m.name_cs,
            name_en: m.name_en,
            period: code(&m.period)?,
            funds: json::<Vec<Fund>>(m.funds)?,
            priority_axes: json::<Vec<PriorityAxis>>(m.priority_axes)?,
        },
    })
}

fn programme_content(d: &ProgrammeData) -> op::ActiveModel {
    op::ActiveModel {
        code: Set(d.code.clone()),
        name_cs: Set(d.name_cs.clone()),
        name_en: Set(d.name_en.clone()),
        period: Set(d.period.to_string()),
        funds: Set(serde_json::json!(d.funds)),
        priority_axes: Set(serde_json::json!(d.priority_axes)),
        search_text: Set(search_text([d.code.as_str(), d.name_cs.as_str(), d.name_en.as_str()])),
        ..Default::default()
    }
}

pub const PROGRAMME_SORT: &[SortField<op::Column>] = &[
    field("code", op::Column::Code, SortKind::Text),
    field("period", op::Column::Period, SortKind::Text),
    field("created_at", op::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", op::Column::UpdatedAt, SortKind::Timestamp),
];

pub async fn get_programme(conn: &impl Conn, id: Uuid) -> Result<Programme, StoreError> {
    crate::page::by_id::<op::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(programme)
}

pub async fn list_programmes(conn: &impl Conn, period: Option<ProgrammingPeriod>, q: Option<&str>, req: &PageRequest) -> Result<Page<Programme>, StoreError> {
    let mut select = op::Entity::find().filter(op::Column::ArchivedAt.is_null());
    if let Some(p) = period {
        select = select.filter(op::Column::Period.eq(p.to_string()));
    }
    if let Some(q) = q {
        select = select.filter(like(op::Column::SearchText, q));
    }
    let page = page::fetch(conn, select, PROGRAMME_SORT, "code", op::Column::Id, req).await?;
    let items = page.items.into_iter().map(programme).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub async fn create_programme(tx: &WriteTx, d: ProgrammeData) -> Result<Programme, StoreError> {
    if op::Entity::find().filter(op::Column::Code.eq(d.code.clone())).one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict { field: Some("code".into()), message: "another programme already has this code".into() });
    }
    let at = now();
    let m =
        op::ActiveModel { id: Set(Uuid::now_v7()), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..programme_content(&d) }
            .insert(tx.conn())
            .await?;
    programme(m)
}

pub async fn update_programme(tx: &WriteTx, current: &Programme, d: ProgrammeData) -> Result<Programme, StoreError> {
    let m = &current.meta;
    let changes = op::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..programme_content(&d) };
    update_guarded(tx.conn(), changes, op::Column::Id.eq(m.id).and(op::Column::Version.eq(m.version))).await?;
    get_programme(tx.conn(), m.id).await
}

/// Inserts the reference programmes that are missing (by code); existing ones are left as
/// they are, so that local corrections survive restarts.
pub async fn ensure_reference_programmes(store: &Store) -> Result<usize, StoreError> {
    let tx = store.begin(crate::Actor { subject: "reference-data".into(), role: "admin".into(), request_id: "startup".into() }).await?;
    let mut added = 0;
    for d in domain::esif::reference_programmes() {
        if op::Entity::find().filter(op::Column::Code.eq(d.code.clone())).one(tx.conn()).await?.is_none() {
            let p = create_programme(&tx, d).await?;
            tx.audit("create", "operational_programme", p.meta.id, None, None).await?;
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}
