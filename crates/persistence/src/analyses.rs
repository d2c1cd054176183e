//! Situational analyses and the needs they find.

use crate::Conn;
use domain::analysis::{AnalysisData, Finding, NeedData, SupersedeRefusal, Superseded, check_supersedes};
use domain::codelist::{AnalysisStatus, ThematicArea};
use domain::registry::Record;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::convert::{code, ensure_exist, meta, now, update_guarded};
use crate::entities::{need, organization, situational_analysis as sa};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

/// An analysis as stored: content, status, and the newer analysis that corrects it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub data: AnalysisData,
    pub status: AnalysisStatus,
    pub superseded_by_id: Option<Uuid>,
}

pub type AnalysisRecord = Record<Analysis>;
/// A need with the analysis (and partnership) it belongs to.
pub type NeedRecord = Record<(Uuid, Uuid, NeedData)>;

#[derive(Debug, Default)]
pub struct Filter {
    pub partnership_id: Option<Uuid>,
    pub status: Option<AnalysisStatus>,
    pub include_archived: bool,
    pub scope: Option<Vec<Uuid>>,
}

pub const SORT: &[SortField<sa::Column>] = &[
    field("title", sa::Column::Title, SortKind::Text),
    field("created_at", sa::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", sa::Column::UpdatedAt, SortKind::Timestamp),
];

fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

async fn record(conn: &impl Conn, m: sa::Model) -> Result<AnalysisRecord, StoreError> {
    let superseded_by_id = sa::Entity::find().filter(sa::Column::SupersedesId.eq(m.id)).filter(sa::Column::ArchivedAt.is_null()).one(conn).await?.map(|s| s.id);
    Ok(Record {
        meta: meta!(m),
        data: Analysis {
            status: code(&m.status)?,
            superseded_by_id,
            data: AnalysisData {
                partnership_id: m.partnership_id,
                title: m.title,
                fieldwork_from: m.fieldwork_from,
                fieldwork_to: m.fieldwork_to,
                author_organization_ids: json(m.author_organization_ids)?,
                author_person_ids: json(m.author_person_ids)?,
                findings: json::<Vec<Finding>>(m.findings)?,
                supersedes_id: m.supersedes_id,
            },
        },
    })
}

fn content(d: &AnalysisData) -> sa::ActiveModel {
    sa::ActiveModel {
        partnership_id: Set(d.partnership_id),
        title: Set(d.title.clone()),
        fieldwork_from: Set(d.fieldwork_from),
        fieldwork_to: Set(d.fieldwork_to),
        author_organization_ids: Set(serde_json::json!(d.author_organization_ids)),
        author_person_ids: Set(serde_json::json!(d.author_person_ids)),
        findings: Set(serde_json::json!(d.findings)),
        supersedes_id: Set(d.supersedes_id),
        ..Default::default()
    }
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<AnalysisRecord, StoreError> {
    let m = crate::page::by_id::<sa::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)?;
    record(conn, m).await
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<AnalysisRecord>, StoreError> {
    let mut select = sa::Entity::find();
    if !f.include_archived {
        select = select.filter(sa::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(sa::Column::PartnershipId.eq(id));
    }
    if let Some(status) = f.status {
        select = select.filter(sa::Column::Status.eq(status.to_string()));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(sa::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, SORT, "created_at", sa::Column::Id, req).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        items.push(record(conn, m).await?);
    }
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// Authors exist; the analysis superseded is one this one may correct
/// ([`domain::analysis::check_supersedes`]).
async fn check(tx: &WriteTx, d: &AnalysisData, this: Option<Uuid>) -> Result<(), StoreError> {
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &d.author_organization_ids, "author_organization_ids", false).await?;
    ensure_people(tx.conn(), &d.author_person_ids, "author_person_ids", false).await?;
    let Some(old) = d.supersedes_id else { return Ok(()) };
    check_supersedes(d.partnership_id, superseded(tx.conn(), old, this).await?).map_err(|refusal| match refusal {
        SupersedeRefusal::Invalid(e) => StoreError::Domain(e),
        SupersedeRefusal::Taken(message) => StoreError::Conflict { field: Some("supersedes_id".into()), message: message.into() },
    })
}

/// The facts of the analysis `old` that `this` (`None`: a new one) names in `supersedes_id`.
async fn superseded(conn: &impl Conn, old: Uuid, this: Option<Uuid>) -> Result<Option<Superseded>, StoreError> {
    let Some(found) = crate::page::by_id::<sa::Entity, _>(conn, old).await? else { return Ok(None) };
    let mut other = sa::Entity::find().filter(sa::Column::SupersedesId.eq(old)).filter(sa::Column::ArchivedAt.is_null());
    if let Some(id) = this {
        other = other.filter(sa::Column::Id.ne(id));
    }
    let corrected_by_another = other.one(conn).await?.is_some();
    Ok(Some(Superseded { partnership_id: found.partnership_id, status: code(&found.status)?, corrected_by_another }))
}

pub async fn create(tx: &WriteTx, d: AnalysisData) -> Result<AnalysisRecord, StoreError> {
    check(tx, &d, None).await?;
    let at = now();
    let m = sa::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        status: Set(AnalysisStatus::Planned.to_string()),
        ..content(&d)
    }
    .insert(tx.conn())
    .await?;
    record(tx.conn(), m).await
}

pub async fn update(tx: &WriteTx, current: &AnalysisRecord, d: AnalysisData) -> Result<AnalysisRecord, StoreError> {
    check(tx, &d, Some(current.meta.id)).await?;
    let m = &current.meta;
    let changes = sa::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&d) };
    update_guarded(tx.conn(), changes, sa::Column::Id.eq(m.id).and(sa::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

pub async fn set_status(tx: &WriteTx, current: &AnalysisRecord, status: AnalysisStatus) -> Result<AnalysisRecord, StoreError> {
    let m = &current.meta;
    let changes = sa::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), status: Set(status.to_string()), ..Default::default() };
    update_guarded(tx.conn(), changes, sa::Column::Id.eq(m.id).and(sa::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &AnalysisRecord) -> Result<AnalysisRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = sa::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, sa::Column::Id.eq(m.id).and(sa::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

// --- needs ----------------------------------------------------------------------------------

pub const NEED_SORT: &[SortField<need::Column>] = &[
    field("priority", need::Column::Priority, SortKind::Text),
    field("created_at", need::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", need::Column::UpdatedAt, SortKind::Timestamp),
];

fn need_record(m: need::Model) -> Result<NeedRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: (
            m.analysis_id,
            m.partnership_id,
            NeedData {
                thematic_area: code(&m.thematic_area)?,
                description: m.description,
                priority: code(&m.priority)?,
                people_affected: m.people_affected,
                evidence: m.evidence,
            },
        ),
    })
}

fn need_content(d: &NeedData) -> need::ActiveModel {
    need::ActiveModel {
        thematic_area: Set(d.thematic_area.to_string()),
        description: Set(d.description.clone()),
        priority: Set(d.priority.to_string()),
        people_affected: Set(d.people_affected),
        evidence: Set(d.evidence.clone()),
        ..Default::default()
    }
}

pub async fn get_need(conn: &impl Conn, id: Uuid) -> Result<NeedRecord, StoreError> {
    crate::page::by_id::<need::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(need_record)
}

pub async fn list_needs(
    conn: &impl Conn,
    analysis_id: Uuid,
    area: Option<ThematicArea>,
    include_archived: bool,
    addressed: Option<(bool, std::collections::HashSet<Uuid>)>,
    req: &PageRequest,
) -> Result<Page<NeedRecord>, StoreError> {
    let mut select = need::Entity::find().filter(need::Column::AnalysisId.eq(analysis_id));
    // `(true, ids)`: only the needs among `ids` (addressed by a measure); `(false, ids)`: the others.
    match addressed {
        Some((true, ids)) => select = select.filter(need::Column::Id.is_in(ids)),
        Some((false, ids)) => select = select.filter(need::Column::Id.is_not_in(ids)),
        None => {}
    }
    if !include_archived {
        select = select.filter(need::Column::ArchivedAt.is_null());
    }
    if let Some(area) = area {
        select = select.filter(need::Column::ThematicArea.eq(area.to_string()));
    }
    let page = page::fetch(conn, select, NEED_SORT, "created_at", need::Column::Id, req).await?;
    let items = page.items.into_iter().map(need_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub async fn create_need(tx: &WriteTx, analysis: &AnalysisRecord, d: NeedData) -> Result<NeedRecord, StoreError> {
    let at = now();
    let m = need::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        analysis_id: Set(analysis.meta.id),
        partnership_id: Set(analysis.data.data.partnership_id),
        ..need_content(&d)
    }
    .insert(tx.conn())
    .await?;
    need_record(m)
}

pub async fn update_need(tx: &WriteTx, current: &NeedRecord, d: NeedData) -> Result<NeedRecord, StoreError> {
    let m = &current.meta;
    let changes = need::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..need_content(&d) };
    update_guarded(tx.conn(), changes, need::Column::Id.eq(m.id).and(need::Column::Version.eq(m.version))).await?;
    get_need(tx.conn(), m.id).await
}

pub async fn archive_need(tx: &WriteTx, current: &NeedRecord) -> Result<NeedRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = need::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, need::Column::Id.eq(m.id).and(need::Column::Version.eq(m.version))).await?;
    get_need(tx.conn(), m.id).await
}

/// Checks that every need belongs to an analysis of `partnership_id` (`need_ids[i]` on error).
pub async fn ensure_needs_of(conn: &impl Conn, partnership_id: Uuid, ids: &[Uuid]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: Vec<need::Model> = crate::page::models(conn, need::Entity::find().filter(need::Column::Id.is_in(ids.iter().copied()))).await?;
    let mut v = domain::Violations::new();
    for (i, id) in ids.iter().enumerate() {
        match found.iter().find(|n| n.id == *id) {
            None => v.push(domain::FieldError::new(format!("need_ids[{i}]"), "not_found", format!("need {id} does not exist"))),
            Some(n) if n.partnership_id != partnership_id => {
                v.push(domain::FieldError::new(format!("need_ids[{i}]"), "other_partnership", "the need comes from another partnership's analysis"))
            }
            Some(_) => {}
        }
    }
    v.into_result().map_err(StoreError::Domain)
}
