//! Strategic plans with their goals and measures, versions and revisions, progress reports,
//! and evaluations.

use crate::Conn;
use std::collections::HashMap;

use chrono::NaiveDate;
use domain::codelist::{Coded, GoalLevel, MeasureKind, PlanStatus, ProgressStatus, ThematicArea};
use domain::fulfilment::{GoalNode, LatestReport, MeasureState};
use domain::plan::{Approval, GoalData, MeasureData, PlanData};
use domain::registry::Record;
use domain::search::search_text;
use domain::{DomainError, FieldError};
use sea_orm::sea_query::{Condition, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::convert::{code, ensure_exist, meta, now, update_guarded};
use crate::entities::{evaluation, goal, measure, organization, progress_report as pr, situational_analysis, strategic_plan as sp};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

// --- plans ----------------------------------------------------------------------------------

/// A plan as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub data: PlanData,
    pub status: PlanStatus,
    /// The id of the first version; shared by every version of the plan.
    pub lineage_id: Uuid,
    pub version_number: i32,
    pub predecessor_id: Option<Uuid>,
    pub submitted_on: Option<NaiveDate>,
    pub council_approval: Option<Approval>,
    pub assembly_approval: Option<Approval>,
    /// When it stopped being in force (superseded or expired).
    pub ended_on: Option<NaiveDate>,
}

pub type PlanRecord = Record<Plan>;

impl Plan {
    /// The facts deciding on which days the plan is in force ([`domain::plan::Validity`]).
    pub fn validity(&self) -> domain::plan::Validity {
        domain::plan::Validity {
            status: self.status,
            valid_from: self.data.valid_from,
            valid_to: self.data.valid_to,
            approved_on: self.assembly_approval.as_ref().map(|a| a.date),
            ended_on: self.ended_on,
        }
    }
}

/// SQL condition on `strategic_plans` of [`domain::plan::Validity::in_force_on`]: approved
/// (in force, superseded or expired), by the assembly on or before `day`, `day` within the
/// validity, and not ended before `day`.
pub fn in_force_on_sql(day: NaiveDate) -> Condition {
    Condition::all()
        .add(sp::Column::Status.is_in(public_codes()))
        .add(sp::Column::AssemblyApprovedOn.lte(day))
        .add(sp::Column::ValidFrom.lte(day))
        .add(sp::Column::ValidTo.gte(day))
        .add(Condition::any().add(sp::Column::EndedOn.is_null()).add(sp::Column::EndedOn.gte(day)))
}

pub(super) fn approval(date: Option<NaiveDate>, number: Option<String>) -> Option<Approval> {
    Some(Approval { date: date?, resolution_number: number? })
}

pub(super) fn plan_record(m: sp::Model) -> Result<PlanRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Plan {
            status: code(&m.status)?,
            lineage_id: m.lineage_id,
            version_number: m.version_number,
            predecessor_id: m.predecessor_id,
            submitted_on: m.submitted_on,
            council_approval: approval(m.council_approved_on, m.council_resolution),
            assembly_approval: approval(m.assembly_approved_on, m.assembly_resolution),
            ended_on: m.ended_on,
            data: PlanData { partnership_id: m.partnership_id, title: m.title, valid_from: m.valid_from, valid_to: m.valid_to, analysis_id: m.analysis_id },
        },
    })
}

pub(super) fn plan_content(d: &PlanData) -> sp::ActiveModel {
    sp::ActiveModel {
        partnership_id: Set(d.partnership_id),
        title: Set(d.title.clone()),
        valid_from: Set(d.valid_from),
        valid_to: Set(d.valid_to),
        analysis_id: Set(d.analysis_id),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct PlanFilter {
    pub partnership_id: Option<Uuid>,
    pub status: Option<PlanStatus>,
    pub include_archived: bool,
    /// `Some(ids)`: only plans of these partnerships, plus approved (public) plans of any.
    pub scope: Option<Vec<Uuid>>,
}

pub const PLAN_SORT: &[SortField<sp::Column>] = &[
    field("title", sp::Column::Title, SortKind::Text),
    field("valid_from", sp::Column::ValidFrom, SortKind::Date),
    field("created_at", sp::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", sp::Column::UpdatedAt, SortKind::Timestamp),
];

pub(super) const PUBLIC: [PlanStatus; 3] = [PlanStatus::InForce, PlanStatus::Superseded, PlanStatus::Expired];

pub(super) fn public_codes() -> impl Iterator<Item = String> {
    PUBLIC.iter().map(|s| s.to_string())
}

pub async fn get_plan(conn: &impl Conn, id: Uuid) -> Result<PlanRecord, StoreError> {
    crate::page::by_id::<sp::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(plan_record)
}

pub async fn list_plans(conn: &impl Conn, f: &PlanFilter, req: &PageRequest) -> Result<Page<PlanRecord>, StoreError> {
    let mut select = sp::Entity::find();
    if !f.include_archived {
        select = select.filter(sp::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(sp::Column::PartnershipId.eq(id));
    }
    if let Some(status) = f.status {
        select = select.filter(sp::Column::Status.eq(status.to_string()));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(Condition::any().add(sp::Column::PartnershipId.is_in(scope.iter().copied())).add(sp::Column::Status.is_in(public_codes())));
    }
    let page = page::fetch(conn, select, PLAN_SORT, "created_at", sp::Column::Id, req).await?;
    let items = page.items.into_iter().map(plan_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// Every version of the plan's lineage, oldest first.
pub async fn versions(conn: &impl Conn, lineage_id: Uuid) -> Result<Vec<PlanRecord>, StoreError> {
    crate::page::models(conn, sp::Entity::find().filter(sp::Column::LineageId.eq(lineage_id)).order_by_asc(sp::Column::VersionNumber))
        .await?
        .into_iter()
        .map(plan_record)
        .collect()
}

pub(super) async fn check_plan(tx: &WriteTx, d: &PlanData) -> Result<(), StoreError> {
    if let Some(a) = d.analysis_id {
        let found = situational_analysis::Entity::find_by_id(a).one(tx.conn()).await?;
        if found.is_none_or(|f| f.partnership_id != d.partnership_id) {
            return Err(DomainError::invalid("analysis_id", "not_found", "the analysis is not an analysis of this partnership").into());
        }
    }
    Ok(())
}

/// Creates version 1 of a new plan, as a draft.
pub async fn create_plan(tx: &WriteTx, d: PlanData) -> Result<PlanRecord, StoreError> {
    check_plan(tx, &d).await?;
    let at = now();
    let id = Uuid::now_v7();
    let m = sp::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        lineage_id: Set(id),
        version_number: Set(1),
        predecessor_id: Set(None),
        status: Set(PlanStatus::Draft.to_string()),
        submitted_on: Set(None),
        council_approved_on: Set(None),
        council_resolution: Set(None),
        assembly_approved_on: Set(None),
        assembly_resolution: Set(None),
        ended_on: Set(None),
        ..plan_content(&d)
    }
    .insert(tx.conn())
    .await?;
    plan_record(m)
}

pub async fn update_plan(tx: &WriteTx, current: &PlanRecord, d: PlanData) -> Result<PlanRecord, StoreError> {
    check_plan(tx, &d).await?;
    if d.valid_to < current.data.data.valid_to {
        let latest = measures_of(tx.conn(), current.meta.id).await?.into_iter().filter_map(|m| m.data.data.deadline).max();
        domain::plan::ensure_validity_covers(d.valid_to, latest)?;
    }
    let m = &current.meta;
    let changes = sp::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..plan_content(&d) };
    update_guarded(tx.conn(), changes, sp::Column::Id.eq(m.id).and(sp::Column::Version.eq(m.version))).await?;
    get_plan(tx.conn(), m.id).await
}

/// What a lifecycle step records besides the status.
#[derive(Debug, Default)]
pub struct StatusChange {
    pub submitted_on: Option<NaiveDate>,
    pub council: Option<Approval>,
    pub assembly: Option<Approval>,
    pub ended_on: Option<NaiveDate>,
    /// Clears the approvals (a submission withdrawn back to a draft).
    pub reset: bool,
}

pub(super) async fn write_status(tx: &WriteTx, current: &PlanRecord, status: PlanStatus, c: StatusChange) -> Result<(), StoreError> {
    let m = &current.meta;
    let mut changes = sp::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), status: Set(status.to_string()), ..Default::default() };
    if c.reset {
        changes.submitted_on = Set(None);
        changes.council_approved_on = Set(None);
        changes.council_resolution = Set(None);
    }
    if let Some(d) = c.submitted_on {
        changes.submitted_on = Set(Some(d));
    }
    if let Some(a) = c.council {
        changes.council_approved_on = Set(Some(a.date));
        changes.council_resolution = Set(Some(a.resolution_number));
    }
    if let Some(a) = c.assembly {
        changes.assembly_approved_on = Set(Some(a.date));
        changes.assembly_resolution = Set(Some(a.resolution_number));
    }
    if let Some(d) = c.ended_on {
        changes.ended_on = Set(Some(d));
    }
    update_guarded(tx.conn(), changes, sp::Column::Id.eq(m.id).and(sp::Column::Version.eq(m.version))).await
}

/// Moves the plan to `status` (the domain decided the step is legal). Entering into force
/// supersedes the predecessor; any other plan in force for the partnership is a conflict.
pub async fn set_plan_status(tx: &WriteTx, current: &PlanRecord, status: PlanStatus, change: StatusChange) -> Result<PlanRecord, StoreError> {
    if status == PlanStatus::InForce {
        let in_force = sp::Entity::find()
            .filter(sp::Column::PartnershipId.eq(current.data.data.partnership_id))
            .filter(sp::Column::Status.eq(PlanStatus::InForce.to_string()))
            .all(tx.conn())
            .await?;
        for other in in_force {
            if Some(other.id) == current.data.predecessor_id {
                let day = change.assembly.as_ref().map(|a| a.date);
                let old = plan_record(other)?;
                write_status(tx, &old, PlanStatus::Superseded, StatusChange { ended_on: day, ..Default::default() }).await?;
                tx.audit("supersede", "strategic_plan", old.meta.id, None, Some(serde_json::json!({"superseded_by": current.meta.id, "ended_on": day})))
                    .await?;
            } else {
                return Err(StoreError::Conflict {
                    field: None,
                    message: format!("the partnership already has a plan in force ({}); revise it, or let it expire first", other.id),
                });
            }
        }
    }
    write_status(tx, current, status, change).await?;
    get_plan(tx.conn(), current.meta.id).await
}

/// The actor recorded for writes no person made (the expiry job).
pub const SYSTEM_ACTOR: &str = "system";

/// Expires every plan still recorded as in force whose validity ended before `today`: status
/// `expired`, `ended_on` = its `valid_to` (the last day in force), one audit entry per plan by
/// the actor `system`. Idempotent: a second run finds nothing. Returns the expired plans.
pub async fn expire_lapsed(store: &crate::Store, today: NaiveDate) -> Result<Vec<Uuid>, StoreError> {
    let candidates =
        sp::Entity::find().filter(sp::Column::Status.eq(PlanStatus::InForce.to_string())).filter(sp::Column::ValidTo.lt(today)).all(store.conn()).await?;
    if candidates.is_empty() {
        return Ok(vec![]);
    }
    let actor = crate::Actor { subject: SYSTEM_ACTOR.into(), role: SYSTEM_ACTOR.into(), request_id: format!("plan-expiry-{today}") };
    let tx = store.begin(actor).await?;
    let mut expired = Vec::new();
    for m in candidates {
        // Read again inside the transaction: a concurrent step may have changed the plan.
        let Some(current) = sp::Entity::find_by_id(m.id).one(tx.conn()).await? else { continue };
        if let Some(done) = expire_if_lapsed(&tx, &plan_record(current)?, today).await? {
            expired.push(done.meta.id);
        }
    }
    tx.commit().await?;
    Ok(expired)
}

/// Expires the plan in `tx` if it is recorded as in force past its validity
/// ([`domain::plan::Validity::lapsed`]), audited as `expire` with the reason `validity_ended`.
/// Returns the expired plan, or `None` when it has not lapsed.
pub async fn expire_if_lapsed(tx: &WriteTx, current: &PlanRecord, today: NaiveDate) -> Result<Option<PlanRecord>, StoreError> {
    let Some(last_day) = current.data.validity().lapsed(today) else { return Ok(None) };
    write_status(tx, current, PlanStatus::Expired, StatusChange { ended_on: Some(last_day), ..Default::default() }).await?;
    tx.audit(
        "expire",
        "strategic_plan",
        current.meta.id,
        Some(serde_json::json!({"status": current.data.status, "ended_on": current.data.ended_on})),
        Some(serde_json::json!({"status": PlanStatus::Expired, "ended_on": last_day, "reason": "validity_ended"})),
    )
    .await?;
    get_plan(tx.conn(), current.meta.id).await.map(Some)
}

/// Archives a draft (and nothing else: approved plans are history).
pub async fn archive_plan(tx: &WriteTx, current: &PlanRecord) -> Result<PlanRecord, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = sp::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, sp::Column::Id.eq(m.id).and(sp::Column::Version.eq(m.version))).await?;
    get_plan(tx.conn(), m.id).await
}

/// Creates the next version of a plan in force as a draft, copying its goals and measures.
pub async fn revise(tx: &WriteTx, current: &PlanRecord) -> Result<PlanRecord, StoreError> {
    let lineage = versions(tx.conn(), current.data.lineage_id).await?;
    if let Some(open) = lineage
        .iter()
        .find(|v| matches!(v.data.status, PlanStatus::Draft | PlanStatus::Submitted | PlanStatus::CouncilApproved) && v.meta.archived_at.is_none())
    {
        return Err(StoreError::Conflict {
            field: None,
            message: format!("version {} ({}) is already being prepared; finish or archive it first", open.data.version_number, open.meta.id),
        });
    }
    let next_number = lineage.iter().map(|v| v.data.version_number).max().unwrap_or(0) + 1;
    let at = now();
    let id = Uuid::now_v7();
    sp::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        lineage_id: Set(current.data.lineage_id),
        version_number: Set(next_number),
        predecessor_id: Set(Some(current.meta.id)),
        status: Set(PlanStatus::Draft.to_string()),
        submitted_on: Set(None),
        council_approved_on: Set(None),
        council_resolution: Set(None),
        assembly_approved_on: Set(None),
        assembly_resolution: Set(None),
        ended_on: Set(None),
        ..plan_content(&current.data.data)
    }
    .insert(tx.conn())
    .await?;

    let goals = goal::Entity::find().filter(goal::Column::PlanId.eq(current.meta.id)).filter(goal::Column::ArchivedAt.is_null()).all(tx.conn()).await?;
    let goal_ids: HashMap<Uuid, Uuid> = goals.iter().map(|g| (g.id, Uuid::now_v7())).collect();
    // Parents first, so that the foreign key to the parent goal is satisfied on insert.
    let mut pending: Vec<&goal::Model> = goals.iter().collect();
    let mut inserted = std::collections::HashSet::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for g in pending {
            if g.parent_goal_id.is_none_or(|p| inserted.contains(&p) || !goal_ids.contains_key(&p)) {
                goal::ActiveModel {
                    id: Set(goal_ids[&g.id]),
                    version: Set(1),
                    created_at: Set(at),
                    updated_at: Set(at),
                    archived_at: Set(None),
                    plan_id: Set(id),
                    code: Set(g.code.clone()),
                    title: Set(g.title.clone()),
                    thematic_area: Set(g.thematic_area.clone()),
                    level: Set(g.level.clone()),
                    parent_goal_id: Set(g.parent_goal_id.and_then(|p| goal_ids.get(&p).copied())),
                    description: Set(g.description.clone()),
                }
                .insert(tx.conn())
                .await?;
                inserted.insert(g.id);
            } else {
                rest.push(g);
            }
        }
        if rest.len() == before {
            return Err(StoreError::Database(sea_orm::DbErr::Custom("cycle in the goal tree".into())));
        }
        pending = rest;
    }

    let measures =
        measure::Entity::find().filter(measure::Column::PlanId.eq(current.meta.id)).filter(measure::Column::ArchivedAt.is_null()).all(tx.conn()).await?;
    let measure_ids: HashMap<Uuid, Uuid> = measures.iter().map(|m| (m.id, Uuid::now_v7())).collect();
    // Measures before their activities.
    let mut ordered: Vec<&measure::Model> = measures.iter().filter(|m| m.parent_measure_id.is_none()).collect();
    ordered.extend(measures.iter().filter(|m| m.parent_measure_id.is_some()));
    for m in ordered {
        let Some(goal_id) = goal_ids.get(&m.goal_id).copied() else { continue };
        measure::ActiveModel {
            id: Set(measure_ids[&m.id]),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            archived_at: Set(None),
            // The client's key stays with the copy (unique within a plan).
            external_ref: Set(m.external_ref.clone()),
            plan_id: Set(id),
            partnership_id: Set(m.partnership_id),
            goal_id: Set(goal_id),
            kind: Set(m.kind.clone()),
            parent_measure_id: Set(m.parent_measure_id.and_then(|p| measure_ids.get(&p).copied())),
            code: Set(m.code.clone()),
            title: Set(m.title.clone()),
            description: Set(m.description.clone()),
            thematic_area: Set(m.thematic_area.clone()),
            need_ids: Set(m.need_ids.clone()),
            responsible_organization_id: Set(m.responsible_organization_id),
            co_implementer_ids: Set(m.co_implementer_ids.clone()),
            starts_on: Set(m.starts_on),
            deadline: Set(m.deadline),
            budget: Set(m.budget.clone()),
            budget_total_minor: Set(m.budget_total_minor),
            budget_currency: Set(m.budget_currency.clone()),
            predefined_activity: Set(m.predefined_activity),
            indicators: Set(m.indicators.clone()),
            // Monitoring continues across versions: the copy keeps its current state, and the
            // reports of the key (`measure_key`) are those of every version.
            current_status: Set(m.current_status.clone()),
            current_percent: Set(m.current_percent),
            last_reported_on: Set(m.last_reported_on),
            search_text: Set(m.search_text.clone()),
            // One identity across versions: monitoring and project links follow the key.
            measure_key: Set(Some(m.measure_key.unwrap_or(m.id))),
        }
        .insert(tx.conn())
        .await?;
    }
    // Reports are not copied: they belong to the measure's key, so that those posted on this
    // version while the next one is prepared count for the next one as well.
    get_plan(tx.conn(), id).await
}

mod evaluations;
mod goals;
mod measures;
mod reports;

pub use evaluations::*;
pub use goals::*;
pub use measures::*;
pub use reports::*;
