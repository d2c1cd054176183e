//! Cooperations between the Agency and partnerships ([`domain::cooperation`]), and the facts
//! their timeline is derived from: the partnership's establishment, analyses, plans and
//! evaluations.

use crate::Conn;
use chrono::NaiveDate;
use domain::codelist::{AnalysisStatus, PartnershipStatus};
use domain::cooperation::{CooperationData, CooperationStatus, Facts, Milestone, Span};
use domain::registry::Record;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::convert::{code, ensure_exist, meta, now, update_guarded};
use crate::entities::{cooperation as co, evaluation, partnership, situational_analysis as sa, strategic_plan as sp};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, StoreError, WriteTx};

/// A cooperation as stored: content, status and its dates, milestones.
#[derive(Debug, Clone, PartialEq)]
pub struct Cooperation {
    pub data: CooperationData,
    pub status: CooperationStatus,
    pub started_on: Option<NaiveDate>,
    pub handed_over_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub milestones: Vec<Milestone>,
}

pub type CooperationRecord = Record<Cooperation>;

#[derive(Debug, Default)]
pub struct Filter {
    pub partnership_id: Option<Uuid>,
    pub status: Option<CooperationStatus>,
    /// Cooperations with partnerships covering a territorial unit in this region.
    pub region: Option<domain::codelist::Region>,
    pub include_archived: bool,
    /// `Some(ids)`: only cooperations of these partnerships (a partner's view).
    pub scope: Option<Vec<Uuid>>,
}

pub const SORT: &[SortField<co::Column>] = &[
    field("start_on", co::Column::StartOn, SortKind::Date),
    field("created_at", co::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", co::Column::UpdatedAt, SortKind::Timestamp),
];

fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

fn record(m: co::Model) -> Result<CooperationRecord, StoreError> {
    let status = CooperationStatus::from_code(&m.status)
        .ok_or_else(|| StoreError::Database(sea_orm::DbErr::Type(format!("unknown cooperation status `{}` in the database", m.status))))?;
    Ok(Record {
        meta: meta!(m),
        data: Cooperation {
            status,
            started_on: m.started_on,
            handed_over_on: m.handed_over_on,
            ended_on: m.ended_on,
            end_reason: m.end_reason,
            milestones: json(m.milestones)?,
            data: CooperationData {
                partnership_id: m.partnership_id,
                start_on: m.start_on,
                months: u32::try_from(m.months).unwrap_or(0),
                template: m.template,
                predefined_activities: json(m.predefined_activities)?,
                consultant_ids: json(m.consultant_ids)?,
                note: m.note,
            },
        },
    })
}

fn content(d: &CooperationData) -> co::ActiveModel {
    co::ActiveModel {
        partnership_id: Set(d.partnership_id),
        start_on: Set(d.start_on),
        months: Set(i32::try_from(d.months).unwrap_or(i32::MAX)),
        template: Set(d.template.clone()),
        predefined_activities: Set(serde_json::json!(d.predefined_activities)),
        consultant_ids: Set(serde_json::json!(d.consultant_ids)),
        note: Set(d.note.clone()),
        ..Default::default()
    }
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<CooperationRecord, StoreError> {
    crate::page::by_id::<co::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(record)
}

pub async fn list(conn: &impl Conn, f: &Filter, req: &PageRequest) -> Result<Page<CooperationRecord>, StoreError> {
    let mut select = co::Entity::find();
    if !f.include_archived {
        select = select.filter(co::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(co::Column::PartnershipId.eq(id));
    }
    if let Some(status) = f.status {
        select = select.filter(co::Column::Status.eq(status.as_str()));
    }
    if let Some(region) = f.region {
        select = select.filter(co::Column::PartnershipId.in_subquery(crate::partnerships::covering_region(region, conn.get_database_backend())));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(co::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, SORT, "start_on", co::Column::Id, req).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        items.push(record(m)?);
    }
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn check(tx: &WriteTx, d: &CooperationData) -> Result<(), StoreError> {
    ensure_exist::<partnership::Entity, _>(tx.conn(), partnership::Column::Id, &[d.partnership_id], "partnership_id", true).await?;
    ensure_people(tx.conn(), &d.consultant_ids, "consultant_ids", false).await
}

pub async fn create(tx: &WriteTx, d: CooperationData) -> Result<CooperationRecord, StoreError> {
    check(tx, &d).await?;
    let at = now();
    let id = Uuid::now_v7();
    co::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        status: Set(CooperationStatus::Agreed.as_str().into()),
        started_on: Set(None),
        handed_over_on: Set(None),
        ended_on: Set(None),
        end_reason: Set(None),
        milestones: Set(serde_json::json!([])),
        ..content(&d)
    }
    .insert(tx.conn())
    .await?;
    get(tx.conn(), id).await
}

pub async fn update(tx: &WriteTx, current: &CooperationRecord, d: CooperationData) -> Result<CooperationRecord, StoreError> {
    check(tx, &d).await?;
    let m = &current.meta;
    let changes = co::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..content(&d) };
    update_guarded(tx.conn(), changes, co::Column::Id.eq(m.id).and(co::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

/// Writes the lifecycle fields (status, its dates, the reason of an early end) and milestones.
pub async fn set_state(tx: &WriteTx, current: &CooperationRecord, next: &Cooperation) -> Result<CooperationRecord, StoreError> {
    let m = &current.meta;
    let changes = co::ActiveModel {
        version: Set(m.version + 1),
        updated_at: Set(now()),
        status: Set(next.status.as_str().into()),
        started_on: Set(next.started_on),
        handed_over_on: Set(next.handed_over_on),
        ended_on: Set(next.ended_on),
        end_reason: Set(next.end_reason.clone()),
        milestones: Set(serde_json::json!(next.milestones)),
        ..Default::default()
    };
    update_guarded(tx.conn(), changes, co::Column::Id.eq(m.id).and(co::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

pub async fn archive(tx: &WriteTx, current: &CooperationRecord) -> Result<CooperationRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = co::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, co::Column::Id.eq(m.id).and(co::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

/// What happened in a partnership, for a cooperation's timeline ([`domain::cooperation::Facts`]):
/// - establishment: the partnership's `established_on` (or the memorandum's signature);
/// - analysis: its first analysis that was started: fieldwork from (else the day it was
///   recorded) until, once completed, fieldwork to (else the day it was last changed);
/// - plan: the first plan version's submission and assembly approval;
/// - implementation: the first approved plan's approval until the first evaluation (or its end);
/// - evaluation: the first evaluation's `as_of` until a revised version's approval;
/// - implementation after revision: the revised version's approval until its end;
/// - handover: the cooperation's hand-over date, else the day the partnership was last
///   changed when its status is `handed_over`.
pub async fn facts(conn: &impl Conn, c: &CooperationRecord) -> Result<Facts, StoreError> {
    let partnership_id = c.data.data.partnership_id;
    let mut facts = Facts::default();
    if let Some(p) = crate::page::by_id::<partnership::Entity, _>(conn, partnership_id).await? {
        let established = p.established_on.or(p.memorandum_signed_on);
        facts.establishment = Span { started_on: established, completed_on: established };
        let handed_over = c
            .data
            .handed_over_on
            .or_else(|| (code::<PartnershipStatus>(&p.status).ok() == Some(PartnershipStatus::HandedOver)).then(|| p.updated_at.date_naive()));
        facts.handover = Span { started_on: None, completed_on: handed_over };
    }
    let analyses = crate::page::models(
        conn,
        sa::Entity::find().filter(sa::Column::PartnershipId.eq(partnership_id)).filter(sa::Column::ArchivedAt.is_null()).order_by_asc(sa::Column::CreatedAt),
    )
    .await?;
    if let Some(a) = analyses.into_iter().find(|a| code::<AnalysisStatus>(&a.status).is_ok_and(|s| s != AnalysisStatus::Planned)) {
        let completed = code::<AnalysisStatus>(&a.status)? == AnalysisStatus::Completed;
        facts.analysis = Span {
            started_on: Some(a.fieldwork_from.unwrap_or(a.created_at.date_naive())),
            completed_on: completed.then(|| a.fieldwork_to.unwrap_or(a.updated_at.date_naive())),
        };
    }
    let plans = crate::page::models(
        conn,
        sp::Entity::find()
            .filter(sp::Column::PartnershipId.eq(partnership_id))
            .filter(sp::Column::ArchivedAt.is_null())
            .order_by_asc(sp::Column::CreatedAt)
            .order_by_asc(sp::Column::VersionNumber),
    )
    .await?;
    let first_evaluation = evaluation::Entity::find()
        .filter(evaluation::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(evaluation::Column::AsOf)
        .one(conn)
        .await?
        .map(|e| e.as_of);
    if let Some(first) = plans.first() {
        facts.plan = Span { started_on: first.submitted_on, completed_on: first.assembly_approved_on };
    }
    let approved: Vec<&sp::Model> = plans.iter().filter(|p| p.assembly_approved_on.is_some()).collect();
    if let Some(first) = approved.first() {
        facts.implementation = Span { started_on: first.assembly_approved_on, completed_on: first_evaluation.or(first.ended_on) };
    }
    let revision = approved.iter().find(|p| p.version_number >= 2);
    facts.evaluation = Span { started_on: first_evaluation, completed_on: revision.and_then(|p| p.assembly_approved_on) };
    if let Some(rev) = revision {
        facts.implementation_after_revision = Span { started_on: rev.assembly_approved_on, completed_on: rev.ended_on.or(facts.handover.completed_on) };
    }
    Ok(facts)
}
