//! Strategic plans with their goals and measures, versions and revisions, progress reports,
//! and evaluations.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::codelist::{Coded, GoalLevel, MeasureKind, PlanStatus, ProgressStatus, ThematicArea};
use domain::fulfilment::{GoalNode, LatestReport, MeasureState};
use domain::plan::{Approval, BudgetLine, GoalData, Indicator, MeasureData, PlanData};
use domain::registry::Record;
use domain::search::search_text;
use domain::{DomainError, FieldError};
use sea_orm::sea_query::{Condition, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::convert::{code, ensure_exist, meta, now, update_guarded};
use crate::entities::{evaluation, goal, measure, organization, progress_report as pr, situational_analysis, strategic_plan as sp};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

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

fn approval(date: Option<NaiveDate>, number: Option<String>) -> Option<Approval> {
    Some(Approval { date: date?, resolution_number: number? })
}

fn plan_record(m: sp::Model) -> Result<PlanRecord, StoreError> {
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

fn plan_content(d: &PlanData) -> sp::ActiveModel {
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

const PUBLIC: [PlanStatus; 3] = [PlanStatus::InForce, PlanStatus::Superseded, PlanStatus::Expired];

fn public_codes() -> impl Iterator<Item = String> {
    PUBLIC.iter().map(|s| s.to_string())
}

pub async fn get_plan(conn: &impl ConnectionTrait, id: Uuid) -> Result<PlanRecord, StoreError> {
    sp::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound).and_then(plan_record)
}

pub async fn list_plans(conn: &impl ConnectionTrait, f: &PlanFilter, req: &PageRequest) -> Result<Page<PlanRecord>, StoreError> {
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
pub async fn versions(conn: &impl ConnectionTrait, lineage_id: Uuid) -> Result<Vec<PlanRecord>, StoreError> {
    sp::Entity::find()
        .filter(sp::Column::LineageId.eq(lineage_id))
        .order_by_asc(sp::Column::VersionNumber)
        .all(conn)
        .await?
        .into_iter()
        .map(plan_record)
        .collect()
}

async fn check_plan(tx: &WriteTx, d: &PlanData) -> Result<(), StoreError> {
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

async fn write_status(tx: &WriteTx, current: &PlanRecord, status: PlanStatus, c: StatusChange) -> Result<(), StoreError> {
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

// --- goals ----------------------------------------------------------------------------------

/// A goal with the plan it belongs to.
pub type GoalRecord = Record<(Uuid, GoalData)>;

fn goal_record(m: goal::Model) -> Result<GoalRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: (
            m.plan_id,
            GoalData {
                code: m.code,
                title: m.title,
                thematic_area: m.thematic_area.as_deref().map(code::<ThematicArea>).transpose()?,
                level: code::<GoalLevel>(&m.level)?,
                parent_goal_id: m.parent_goal_id,
                description: m.description,
            },
        ),
    })
}

fn goal_content(d: &GoalData) -> goal::ActiveModel {
    goal::ActiveModel {
        code: Set(d.code.clone()),
        title: Set(d.title.clone()),
        thematic_area: Set(d.thematic_area.map(|a| a.to_string())),
        level: Set(d.level.to_string()),
        parent_goal_id: Set(d.parent_goal_id),
        description: Set(d.description.clone()),
        ..Default::default()
    }
}

pub async fn get_goal(conn: &impl ConnectionTrait, id: Uuid) -> Result<GoalRecord, StoreError> {
    goal::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound).and_then(goal_record)
}

/// All goals of a plan, by code.
pub async fn goals_of(conn: &impl ConnectionTrait, plan_id: Uuid) -> Result<Vec<GoalRecord>, StoreError> {
    goal::Entity::find()
        .filter(goal::Column::PlanId.eq(plan_id))
        .filter(goal::Column::ArchivedAt.is_null())
        .order_by_asc(goal::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(goal_record)
        .collect()
}

async fn check_goal(tx: &WriteTx, plan_id: Uuid, this: Option<Uuid>, d: &GoalData) -> Result<(), StoreError> {
    if let Some(parent) = d.parent_goal_id {
        let goals = goals_of(tx.conn(), plan_id).await?;
        if !goals.iter().any(|g| g.meta.id == parent) {
            return Err(DomainError::invalid("parent_goal_id", "not_in_plan", "the parent goal is not a goal of this plan").into());
        }
        // The parent may not be this goal or one of its descendants.
        if let Some(me) = this {
            let mut at = Some(parent);
            for _ in 0..=goals.len() {
                match at {
                    Some(g) if g == me => return Err(DomainError::invalid("parent_goal_id", "cycle", "a goal cannot sit beneath itself").into()),
                    Some(g) => at = goals.iter().find(|x| x.meta.id == g).and_then(|x| x.data.1.parent_goal_id),
                    None => break,
                }
            }
        }
    }
    Ok(())
}

pub async fn create_goal(tx: &WriteTx, plan_id: Uuid, d: GoalData) -> Result<GoalRecord, StoreError> {
    check_goal(tx, plan_id, None, &d).await?;
    let at = now();
    let m = goal::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        plan_id: Set(plan_id),
        ..goal_content(&d)
    }
    .insert(tx.conn())
    .await?;
    goal_record(m)
}

pub async fn update_goal(tx: &WriteTx, current: &GoalRecord, d: GoalData) -> Result<GoalRecord, StoreError> {
    check_goal(tx, current.data.0, Some(current.meta.id), &d).await?;
    let m = &current.meta;
    let changes = goal::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..goal_content(&d) };
    update_guarded(tx.conn(), changes, goal::Column::Id.eq(m.id).and(goal::Column::Version.eq(m.version))).await?;
    get_goal(tx.conn(), m.id).await
}

/// Deletes a goal of a draft; a goal with sub-goals or measures is a conflict.
pub async fn delete_goal(tx: &WriteTx, current: &GoalRecord) -> Result<(), StoreError> {
    let id = current.meta.id;
    let children = goal::Entity::find().filter(goal::Column::ParentGoalId.eq(id)).one(tx.conn()).await?.is_some()
        || measure::Entity::find().filter(measure::Column::GoalId.eq(id)).one(tx.conn()).await?.is_some();
    if children {
        return Err(StoreError::Conflict { field: None, message: "the goal still has sub-goals or measures; move or delete them first".into() });
    }
    goal::Entity::delete_by_id(id).exec(tx.conn()).await?;
    Ok(())
}

// --- measures -------------------------------------------------------------------------------

/// The latest reported state of a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub reported_on: NaiveDate,
}

/// A measure as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub plan_id: Uuid,
    /// Shared by the measure and its copies in other versions of the plan.
    pub measure_key: Uuid,
    pub partnership_id: Uuid,
    pub data: MeasureData,
    pub current: Option<Current>,
}

pub type MeasureRecord = Record<Measure>;

fn measure_record(m: measure::Model) -> Result<MeasureRecord, StoreError> {
    let current = match (m.current_status.as_deref(), m.current_percent, m.last_reported_on) {
        (Some(s), Some(p), Some(d)) => Some(Current { status: code(s)?, percent_done: p, reported_on: d }),
        _ => None,
    };
    Ok(Record {
        meta: meta!(m),
        data: Measure {
            measure_key: m.measure_key.unwrap_or(m.id),
            plan_id: m.plan_id,
            partnership_id: m.partnership_id,
            current,
            data: MeasureData {
                goal_id: m.goal_id,
                kind: code::<MeasureKind>(&m.kind)?,
                parent_measure_id: m.parent_measure_id,
                code: m.code,
                title: m.title,
                description: m.description,
                thematic_area: code(&m.thematic_area)?,
                need_ids: json(m.need_ids)?,
                responsible_organization_id: m.responsible_organization_id,
                co_implementer_ids: json(m.co_implementer_ids)?,
                starts_on: m.starts_on,
                deadline: m.deadline,
                budget: json::<Vec<BudgetLine>>(m.budget)?,
                predefined_activity: m.predefined_activity,
                indicators: json::<Vec<Indicator>>(m.indicators)?,
            },
        },
    })
}

fn measure_content(d: &MeasureData) -> measure::ActiveModel {
    let total = d.budget_total();
    measure::ActiveModel {
        goal_id: Set(d.goal_id),
        kind: Set(d.kind.to_string()),
        parent_measure_id: Set(d.parent_measure_id),
        code: Set(d.code.clone()),
        title: Set(d.title.clone()),
        description: Set(d.description.clone()),
        thematic_area: Set(d.thematic_area.to_string()),
        need_ids: Set(serde_json::json!(d.need_ids)),
        responsible_organization_id: Set(d.responsible_organization_id),
        co_implementer_ids: Set(serde_json::json!(d.co_implementer_ids)),
        starts_on: Set(d.starts_on),
        deadline: Set(d.deadline),
        budget: Set(serde_json::json!(d.budget)),
        budget_total_minor: Set(total.as_ref().map(|m| m.amount_minor)),
        budget_currency: Set(total.map(|m| m.currency)),
        predefined_activity: Set(d.predefined_activity),
        indicators: Set(serde_json::json!(d.indicators)),
        search_text: Set(search_text([d.code.as_str(), d.title.as_str(), d.description.as_deref().unwrap_or("")])),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct MeasureFilter {
    pub plan_id: Option<Uuid>,
    pub partnership_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    pub kind: Option<MeasureKind>,
    pub responsible_organization_id: Option<Uuid>,
    pub thematic_area: Option<ThematicArea>,
    /// The latest reported status; `None` inside means "never reported".
    pub status: Option<Option<ProgressStatus>>,
    /// Deadline passed before this day and not completed or cancelled.
    pub overdue_on: Option<NaiveDate>,
    /// Judge `status` and `overdue_on` on the reports dated up to this day (any version's)
    /// instead of the current state.
    pub as_of: Option<NaiveDate>,
    /// Only measures naming this need.
    pub need_id: Option<Uuid>,
    pub deadline_before: Option<NaiveDate>,
    pub deadline_after: Option<NaiveDate>,
    pub predefined_activity: Option<bool>,
    pub q: Option<String>,
    pub include_archived: bool,
    /// Only measures of plans in these statuses.
    pub plan_statuses: Option<Vec<PlanStatus>>,
    /// Only measures of plans in force on this day ([`in_force_on_sql`]).
    pub plans_in_force_on: Option<NaiveDate>,
    /// Which plans the caller may see: `None` all; `Some(ids)` plans of these partnerships
    /// plus approved (public) plans.
    pub scope: Option<Vec<Uuid>>,
    /// Restricts to these partnerships only (no public plans of others): used when a scoped
    /// caller filters on monitoring data it may not see for other partnerships.
    pub strict_scope: bool,
}

pub const MEASURE_SORT: &[SortField<measure::Column>] = &[
    field("code", measure::Column::Code, SortKind::Text),
    field("deadline", measure::Column::Deadline, SortKind::Date),
    field("created_at", measure::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", measure::Column::UpdatedAt, SortKind::Timestamp),
];

pub async fn get_measure(conn: &impl ConnectionTrait, id: Uuid) -> Result<MeasureRecord, StoreError> {
    measure::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound).and_then(measure_record)
}

pub async fn list_measures(conn: &impl ConnectionTrait, f: &MeasureFilter, req: &PageRequest) -> Result<Page<MeasureRecord>, StoreError> {
    let mut select = measure::Entity::find();
    if !f.include_archived {
        select = select.filter(measure::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.plan_id {
        select = select.filter(measure::Column::PlanId.eq(id));
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(measure::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.goal_id {
        select = select.filter(measure::Column::GoalId.eq(id));
    }
    if let Some(kind) = f.kind {
        select = select.filter(measure::Column::Kind.eq(kind.to_string()));
    }
    if let Some(id) = f.responsible_organization_id {
        select = select.filter(measure::Column::ResponsibleOrganizationId.eq(id));
    }
    if let Some(area) = f.thematic_area {
        select = select.filter(measure::Column::ThematicArea.eq(area.to_string()));
    }
    if let Some(day) = f.as_of {
        if let Some(status) = f.status {
            select = select.filter(crate::monitoring::status_as_of(status, day));
        }
        if let Some(day) = f.overdue_on {
            select = select.filter(crate::monitoring::overdue_as_of(day));
        }
    }
    if let Some(need) = f.need_id {
        select = select.filter(crate::monitoring::names_need(need));
    }
    match f.status.filter(|_| f.as_of.is_none()) {
        Some(Some(s)) => select = select.filter(measure::Column::CurrentStatus.eq(s.to_string())),
        Some(None) => select = select.filter(measure::Column::CurrentStatus.is_null()),
        None => {}
    }
    if let Some(day) = f.overdue_on.filter(|_| f.as_of.is_none()) {
        let finished = [ProgressStatus::Completed.to_string(), ProgressStatus::Cancelled.to_string()];
        select = select
            .filter(measure::Column::Deadline.lt(day))
            .filter(Condition::any().add(measure::Column::CurrentStatus.is_null()).add(measure::Column::CurrentStatus.is_not_in(finished)));
    }
    if let Some(day) = f.deadline_before {
        select = select.filter(measure::Column::Deadline.lt(day));
    }
    if let Some(day) = f.deadline_after {
        select = select.filter(measure::Column::Deadline.gte(day));
    }
    if let Some(p) = f.predefined_activity {
        select = select.filter(measure::Column::PredefinedActivity.eq(p));
    }
    if let Some(q) = &f.q {
        select = select.filter(crate::convert::like(measure::Column::SearchText, q));
    }
    if let Some(statuses) = &f.plan_statuses {
        let plans =
            Query::select().column(sp::Column::Id).from(sp::Entity).and_where(sp::Column::Status.is_in(statuses.iter().map(ToString::to_string))).take();
        select = select.filter(measure::Column::PlanId.in_subquery(plans));
    }
    if let Some(day) = f.plans_in_force_on {
        let plans = Query::select().column(sp::Column::Id).from(sp::Entity).cond_where(in_force_on_sql(day)).take();
        select = select.filter(measure::Column::PlanId.in_subquery(plans));
    }
    if let Some(scope) = &f.scope {
        let mine = measure::Column::PartnershipId.is_in(scope.iter().copied());
        if f.strict_scope {
            select = select.filter(mine);
        } else {
            let public = Query::select().column(sp::Column::Id).from(sp::Entity).and_where(sp::Column::Status.is_in(public_codes())).take();
            select = select.filter(Condition::any().add(mine).add(measure::Column::PlanId.in_subquery(public)));
        }
    }
    let page = page::fetch(conn, select, MEASURE_SORT, "code", measure::Column::Id, req).await?;
    let items = page.items.into_iter().map(measure_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// The rules that need other rows: goal and parent in this plan, needs from this
/// partnership's analyses, the responsible organization a current member.
async fn check_measure(tx: &WriteTx, plan: &PlanRecord, previous: Option<&MeasureRecord>, d: &MeasureData) -> Result<(), StoreError> {
    let this = previous.map(|p| p.meta.id);
    let partnership_id = plan.data.data.partnership_id;
    if let Some(me) = this
        && d.kind == MeasureKind::Activity
        && measure::Entity::find().filter(measure::Column::ParentMeasureId.eq(me)).one(tx.conn()).await?.is_some()
    {
        return Err(DomainError::invalid("kind", "has_activities", "a measure with activities cannot become an activity").into());
    }
    let goal = goal::Entity::find_by_id(d.goal_id).one(tx.conn()).await?;
    if goal.is_none_or(|g| g.plan_id != plan.meta.id) {
        return Err(DomainError::invalid("goal_id", "not_in_plan", "the goal is not a goal of this plan").into());
    }
    if let Some(parent) = d.parent_measure_id {
        let found = measure::Entity::find_by_id(parent).one(tx.conn()).await?;
        match found {
            Some(p) if p.plan_id == plan.meta.id && p.kind == MeasureKind::Measure.code() && Some(p.id) != this => {
                let placement = |goal_id, deadline| domain::plan::Placement { goal_id, deadline };
                domain::plan::ensure_activity_within(placement(d.goal_id, d.deadline), placement(p.goal_id, p.deadline))?;
            }
            _ => return Err(DomainError::invalid("parent_measure_id", "not_in_plan", "the parent is not a measure of this plan").into()),
        }
    }
    if let Some(me) = this.filter(|_| d.kind == MeasureKind::Measure) {
        let activities = measure::Entity::find().filter(measure::Column::ParentMeasureId.eq(me)).all(tx.conn()).await?;
        domain::plan::ensure_parent_covers(d.deadline, activities.iter().filter_map(|a| a.deadline).max())?;
        if let Some(p) = previous {
            domain::plan::ensure_goal_keeps_activities(p.data.data.goal_id, d.goal_id, activities.len())?;
        }
    }
    // Checked when the deadline is set or moved, so that older data stays editable.
    if previous.is_none_or(|p| p.data.data.deadline != d.deadline) {
        domain::plan::ensure_within_validity(d.deadline, plan.data.data.valid_to)?;
    }
    crate::analyses::ensure_needs_of(tx.conn(), partnership_id, &d.need_ids).await?;
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &d.co_implementer_ids, "co_implementer_ids", false).await?;
    // Membership is checked when the implementer is assigned (or changed), not on every edit:
    // a revision may keep an implementer who has left until the plan is updated.
    let unchanged = previous.is_some_and(|p| p.data.data.responsible_organization_id == d.responsible_organization_id);
    if let Some(org) = d.responsible_organization_id.filter(|_| !unchanged) {
        let today = chrono::Utc::now().date_naive();
        let standing = crate::memberships::standing(tx.conn(), partnership_id, org).await?;
        domain::registry::ensure_member(
            "responsible_organization_id",
            &standing,
            today,
            "the responsible organization must be a current member of the partnership",
        )?;
    }
    Ok(())
}

pub async fn create_measure(tx: &WriteTx, plan: &PlanRecord, d: MeasureData) -> Result<MeasureRecord, StoreError> {
    check_measure(tx, plan, None, &d).await?;
    let at = now();
    let id = Uuid::now_v7();
    let m = measure::ActiveModel {
        id: Set(id),
        measure_key: Set(Some(id)),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        plan_id: Set(plan.meta.id),
        partnership_id: Set(plan.data.data.partnership_id),
        current_status: Set(None),
        current_percent: Set(None),
        last_reported_on: Set(None),
        ..measure_content(&d)
    }
    .insert(tx.conn())
    .await?;
    measure_record(m)
}

pub async fn update_measure(tx: &WriteTx, plan: &PlanRecord, current: &MeasureRecord, d: MeasureData) -> Result<MeasureRecord, StoreError> {
    check_measure(tx, plan, Some(current), &d).await?;
    let m = &current.meta;
    let changes = measure::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..measure_content(&d) };
    update_guarded(tx.conn(), changes, measure::Column::Id.eq(m.id).and(measure::Column::Version.eq(m.version))).await?;
    get_measure(tx.conn(), m.id).await
}

/// Deletes a measure of a draft; one with activities, or one a project implements, is a conflict.
pub async fn delete_measure(tx: &WriteTx, current: &MeasureRecord) -> Result<(), StoreError> {
    use crate::entities::project_measure;
    use sea_orm::QuerySelect;
    // A project linked to any version of the measure (same key) implements this one too.
    let versions: Vec<Uuid> = measure::Entity::find()
        .select_only()
        .column(measure::Column::Id)
        .filter(measure::Column::MeasureKey.eq(current.data.measure_key))
        .into_tuple::<Uuid>()
        .all(tx.conn())
        .await?
        .into_iter()
        .chain([current.meta.id])
        .collect();
    if project_measure::Entity::find().filter(project_measure::Column::MeasureId.is_in(versions)).one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict { field: None, message: "a project implements this measure; unlink it from the project first".into() });
    }
    if measure::Entity::find().filter(measure::Column::ParentMeasureId.eq(current.meta.id)).one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict { field: None, message: "the measure still has activities; delete them first".into() });
    }
    measure::Entity::delete_by_id(current.meta.id).exec(tx.conn()).await?;
    Ok(())
}

/// Every measure of a plan (activities included), by code.
pub async fn measures_of(conn: &impl ConnectionTrait, plan_id: Uuid) -> Result<Vec<MeasureRecord>, StoreError> {
    measure::Entity::find()
        .filter(measure::Column::PlanId.eq(plan_id))
        .filter(measure::Column::ArchivedAt.is_null())
        .order_by_asc(measure::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(measure_record)
        .collect()
}

// --- progress reports -----------------------------------------------------------------------

/// An actual value of one indicator, for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValue {
    pub indicator_key: String,
    pub value: Option<f64>,
    pub text: Option<String>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
}

/// A progress report on a measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: Uuid,
    pub measure_id: Uuid,
    pub reported_on: NaiveDate,
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub indicator_values: Vec<IndicatorValue>,
    pub comment: Option<String>,
    pub author_subject: String,
    pub author_person_id: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn report(m: pr::Model) -> Result<Report, StoreError> {
    Ok(Report {
        id: m.id,
        measure_id: m.measure_id,
        reported_on: m.reported_on,
        status: code(&m.status)?,
        percent_done: m.percent_done,
        indicator_values: json(m.indicator_values)?,
        comment: m.comment,
        author_subject: m.author_subject,
        author_person_id: m.author_person_id,
        created_at: m.created_at,
    })
}

pub const REPORT_SORT: &[SortField<pr::Column>] =
    &[field("reported_on", pr::Column::ReportedOn, SortKind::Date), field("created_at", pr::Column::CreatedAt, SortKind::Timestamp)];

/// The reports of a measure's identity: posted on it or on any other version of it.
pub async fn list_reports(conn: &impl ConnectionTrait, measure: &MeasureRecord, req: &PageRequest) -> Result<Page<Report>, StoreError> {
    let ids = crate::monitoring::measures_with_keys(conn, &[measure.data.measure_key]).await?;
    let select = pr::Entity::find().filter(pr::Column::MeasureId.is_in(ids.into_keys().chain([measure.meta.id])));
    let page = page::fetch(conn, select, REPORT_SORT, "reported_on", pr::Column::Id, req).await?;
    let items = page.items.into_iter().map(report).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// What a reporter sends.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub reported_on: NaiveDate,
    pub status: ProgressStatus,
    pub percent_done: i32,
    pub indicator_values: Vec<IndicatorValue>,
    pub comment: Option<String>,
    pub author_subject: String,
    pub author_person_id: Option<Uuid>,
}

/// Appends a report and, when it is the newest, makes it the measure's current state. The
/// measure's `version` is untouched: monitoring is not an edit of the measure.
pub async fn add_report(tx: &WriteTx, measure: &MeasureRecord, r: NewReport) -> Result<Report, StoreError> {
    let keys: Vec<&str> = measure.data.data.indicators.iter().map(|i| i.key.as_str()).collect();
    let mut v = domain::Violations::new();
    for (i, value) in r.indicator_values.iter().enumerate() {
        if !keys.contains(&value.indicator_key.as_str()) {
            v.push(FieldError::new(
                format!("indicator_values[{i}].indicator_key"),
                "unknown_indicator",
                format!("the measure has no indicator `{}`", value.indicator_key),
            ));
        }
        v.check(domain::period::ensure_ordered(value.period_from, value.period_to, &format!("indicator_values[{i}].period_to"), "period_from"));
    }
    v.into_result()?;
    let author: Vec<Uuid> = r.author_person_id.into_iter().collect();
    crate::people::ensure_people(tx.conn(), &author, "author_person_id", true).await?;
    let m = pr::ActiveModel {
        id: Set(Uuid::now_v7()),
        measure_id: Set(measure.meta.id),
        plan_id: Set(measure.data.plan_id),
        partnership_id: Set(measure.data.partnership_id),
        reported_on: Set(r.reported_on),
        status: Set(r.status.to_string()),
        percent_done: Set(r.percent_done),
        indicator_values: Set(serde_json::json!(r.indicator_values)),
        comment: Set(r.comment),
        author_subject: Set(r.author_subject),
        author_person_id: Set(r.author_person_id),
        created_at: Set(now()),
    }
    .insert(tx.conn())
    .await?;
    {
        measure::Entity::update_many()
            .set(measure::ActiveModel {
                current_status: Set(Some(r.status.to_string())),
                current_percent: Set(Some(r.percent_done)),
                last_reported_on: Set(Some(r.reported_on)),
                ..Default::default()
            })
            // Every version of the measure shares the state (one identity, `measure_key`).
            .filter(Condition::any().add(measure::Column::Id.eq(measure.meta.id)).add(measure::Column::MeasureKey.eq(measure.data.measure_key)))
            // Conditional on the stored state, so that a concurrent older report never wins.
            .filter(Condition::any().add(measure::Column::LastReportedOn.is_null()).add(measure::Column::LastReportedOn.lte(r.reported_on)))
            .exec(tx.conn())
            .await?;
    }
    report(m)
}

/// The plan's goals and measures with their latest reports as of `as_of`: the input of the
/// fulfilment computation.
pub async fn fulfilment_input(conn: &impl ConnectionTrait, plan_id: Uuid, as_of: NaiveDate) -> Result<(Vec<GoalNode>, Vec<MeasureState>), StoreError> {
    let goals = goals_of(conn, plan_id)
        .await?
        .into_iter()
        .map(|g| GoalNode { id: g.meta.id, code: g.data.1.code, title: g.data.1.title, parent_id: g.data.1.parent_goal_id })
        .collect();
    let measures: Vec<MeasureRecord> = measures_of(conn, plan_id).await?.into_iter().filter(|m| m.data.data.kind == MeasureKind::Measure).collect();
    // Reports of each measure's identity, whichever version they were posted on.
    let keys: Vec<Uuid> = measures.iter().map(|m| m.data.measure_key).collect();
    let mut by_key = crate::monitoring::state_by_key(conn, &keys, Some(as_of)).await?;
    // Budgets in different currencies cannot weigh against each other: fall back to the average.
    let mut currencies: Vec<String> = measures.iter().filter_map(|m| m.data.data.budget_total().map(|b| b.currency)).collect();
    currencies.sort();
    currencies.dedup();
    let comparable = currencies.len() <= 1;
    let states = measures
        .into_iter()
        .map(|m| MeasureState {
            id: m.meta.id,
            budget_minor: m.data.data.budget_total().filter(|_| comparable).map(|b| b.amount_minor),
            code: m.data.data.code,
            title: m.data.data.title,
            goal_id: m.data.data.goal_id,
            thematic_area: m.data.data.thematic_area,
            deadline: m.data.data.deadline,
            latest: by_key.get_mut(&m.data.measure_key).and_then(|k| k.latest.take()).map(|r| LatestReport {
                status: r.status,
                percent_done: r.percent_done,
                reported_on: r.reported_on,
            }),
            indicators: m.data.data.indicators,
            actuals: by_key.remove(&m.data.measure_key).map(|k| k.actuals).unwrap_or_default(),
        })
        .collect();
    Ok((goals, states))
}

// --- evaluations ----------------------------------------------------------------------------

/// A frozen evaluation of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub as_of: NaiveDate,
    pub narrative: String,
    pub recommendations: Option<String>,
    pub fulfilment: serde_json::Value,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn evaluation_of(m: evaluation::Model) -> Evaluation {
    Evaluation {
        id: m.id,
        plan_id: m.plan_id,
        as_of: m.as_of,
        narrative: m.narrative,
        recommendations: m.recommendations,
        fulfilment: m.fulfilment,
        created_by: m.created_by,
        created_at: m.created_at,
    }
}

pub async fn add_evaluation(tx: &WriteTx, plan: &PlanRecord, e: Evaluation) -> Result<Evaluation, StoreError> {
    let m = evaluation::ActiveModel {
        id: Set(e.id),
        plan_id: Set(plan.meta.id),
        partnership_id: Set(plan.data.data.partnership_id),
        as_of: Set(e.as_of),
        narrative: Set(e.narrative),
        recommendations: Set(e.recommendations),
        fulfilment: Set(e.fulfilment),
        created_by: Set(e.created_by),
        created_at: Set(e.created_at),
    }
    .insert(tx.conn())
    .await?;
    Ok(evaluation_of(m))
}

/// An evaluation with the partnership of its plan (for access checks).
pub async fn get_evaluation(conn: &impl ConnectionTrait, id: Uuid) -> Result<(Uuid, Evaluation), StoreError> {
    let m = evaluation::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound)?;
    Ok((m.partnership_id, evaluation_of(m)))
}

pub const EVALUATION_SORT: &[SortField<evaluation::Column>] =
    &[field("as_of", evaluation::Column::AsOf, SortKind::Date), field("created_at", evaluation::Column::CreatedAt, SortKind::Timestamp)];

pub async fn list_evaluations(conn: &impl ConnectionTrait, plan_id: Uuid, req: &PageRequest) -> Result<Page<Evaluation>, StoreError> {
    let select = evaluation::Entity::find().filter(evaluation::Column::PlanId.eq(plan_id));
    Ok(page::fetch(conn, select, EVALUATION_SORT, "created_at", evaluation::Column::Id, req).await?.map(evaluation_of))
}
