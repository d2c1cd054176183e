//! The project pipeline: intents, applications, projects, the steps they went through, and
//! the facts the submission rule needs.

use crate::Conn;
use chrono::{NaiveDate, Utc};
use domain::codelist::ProjectStatus;
pub use domain::esif::ProjectSteps;
use domain::esif::{PlanContext, ProjectBudget, ProjectData};
use domain::registry::Record;
use domain::search::search_text;
use domain::{DomainError, FieldError};
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{json, money};
use crate::convert::{code, ensure_exist, like, meta, now, update_guarded};
use crate::entities::{call, measure, organization, project, project_measure as pm, strategic_plan, working_group};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

/// A project as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub data: ProjectData,
    pub status: ProjectStatus,
    pub steps: ProjectSteps,
}

pub type ProjectRecord = Record<Project>;

fn project_record(m: project::Model) -> Result<ProjectRecord, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: Project {
            status: code(&m.status)?,
            steps: ProjectSteps {
                recommended_on: m.recommended_on,
                recommendation_resolution: m.recommendation_resolution,
                recommended_by_working_group_id: m.recommended_by_working_group_id,
                submitted_on: m.submitted_on,
                registration_number: m.registration_number,
                decided_on: m.decided_on,
                approved_minor: m.approved_minor,
                decision_note: m.decision_note,
                started_on: m.started_on,
                completed_on: m.completed_on,
                withdrawn_on: m.withdrawn_on,
                withdrawal_reason: m.withdrawal_reason,
            },
            data: ProjectData {
                external_ref: m.external_ref,
                partnership_id: m.partnership_id,
                applicant_organization_id: m.applicant_organization_id,
                call_id: m.call_id,
                title: m.title,
                summary: m.summary,
                period_from: m.period_from,
                period_to: m.period_to,
                budget: ProjectBudget {
                    total_eligible: money(m.total_eligible_minor, &m.currency),
                    requested: money(m.requested_minor, &m.currency),
                    own_financing: money(m.own_financing_minor, &m.currency),
                },
                measure_ids: m.measure_ids.0,
            },
        },
    })
}

fn project_content(d: &ProjectData) -> project::ActiveModel {
    project::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        partnership_id: Set(d.partnership_id),
        applicant_organization_id: Set(d.applicant_organization_id),
        call_id: Set(d.call_id),
        title: Set(d.title.clone()),
        summary: Set(d.summary.clone()),
        period_from: Set(d.period_from),
        period_to: Set(d.period_to),
        total_eligible_minor: Set(d.budget.total_eligible.amount_minor),
        requested_minor: Set(d.budget.requested.amount_minor),
        own_financing_minor: Set(d.budget.own_financing.amount_minor),
        currency: Set(d.budget.total_eligible.currency.clone()),
        measure_ids: Set(crate::entities::JsonOf(d.measure_ids.clone())),
        search_text: Set(search_text([d.title.as_str(), d.summary.as_deref().unwrap_or("")])),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct ProjectFilter {
    pub partnership_id: Option<Uuid>,
    pub call_id: Option<Uuid>,
    pub programme_id: Option<Uuid>,
    pub applicant_organization_id: Option<Uuid>,
    pub measure_id: Option<Uuid>,
    pub status: Option<ProjectStatus>,
    pub q: Option<String>,
    pub include_archived: bool,
    pub scope: Option<Vec<Uuid>>,
}

pub const PROJECT_SORT: &[SortField<project::Column>] = &[
    field("title", project::Column::Title, SortKind::Text),
    field("created_at", project::Column::CreatedAt, SortKind::Timestamp),
    field("updated_at", project::Column::UpdatedAt, SortKind::Timestamp),
];

pub async fn get_project(conn: &impl Conn, id: Uuid) -> Result<ProjectRecord, StoreError> {
    crate::page::by_id::<project::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(project_record)
}

pub async fn list_projects(conn: &impl Conn, f: &ProjectFilter, req: &PageRequest) -> Result<Page<ProjectRecord>, StoreError> {
    let mut select = project::Entity::find();
    if !f.include_archived {
        select = select.filter(project::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(project::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.call_id {
        select = select.filter(project::Column::CallId.eq(id));
    }
    if let Some(id) = f.programme_id {
        let calls = Query::select().column(call::Column::Id).from(call::Entity).and_where(call::Column::ProgrammeId.eq(id)).take();
        select = select.filter(project::Column::CallId.in_subquery(calls));
    }
    if let Some(id) = f.applicant_organization_id {
        select = select.filter(project::Column::ApplicantOrganizationId.eq(id));
    }
    if let Some(id) = f.measure_id {
        let linked = Query::select().column(pm::Column::ProjectId).from(pm::Entity).and_where(pm::Column::MeasureId.eq(id)).take();
        select = select.filter(project::Column::Id.in_subquery(linked));
    }
    if let Some(s) = f.status {
        select = select.filter(project::Column::Status.eq(s.to_string()));
    }
    if let Some(q) = &f.q {
        select = select.filter(like(project::Column::SearchText, q));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(project::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, PROJECT_SORT, "created_at", project::Column::Id, req).await?;
    let items = page.items.into_iter().map(project_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

/// The applicant is a current member of the partnership, the call exists, uses the budget's
/// currency and is open to the partnership, and every measure belongs to a plan of the partnership.
async fn check_project(tx: &WriteTx, d: &ProjectData) -> Result<(), StoreError> {
    let today = Utc::now().date_naive();
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &[d.applicant_organization_id], "applicant_organization_id", true).await?;
    let standing = crate::memberships::standing(tx.conn(), d.partnership_id, d.applicant_organization_id).await?;
    domain::registry::ensure_member("applicant_organization_id", &standing, today, "the applicant must be a member of the partnership")?;
    if let Some(call_id) = d.call_id {
        let found = call::Entity::find_by_id(call_id).one(tx.conn()).await?;
        match found {
            None => return Err(DomainError::invalid("call_id", "not_found", "the call does not exist").into()),
            Some(c) if c.currency != d.budget.total_eligible.currency => {
                return Err(DomainError::invalid("budget", "wrong_currency", format!("the call is in {}", c.currency)).into());
            }
            Some(c) => {
                let open_to: Vec<Uuid> = json(c.open_to)?;
                domain::esif::check_call_open_to(c.kpsvl, &open_to, d.partnership_id).map_err(|e| DomainError::Invalid(vec![e]))?;
            }
        }
    }
    if !d.measure_ids.is_empty() {
        let found = measure::Entity::find().filter(measure::Column::Id.is_in(d.measure_ids.iter().copied())).all(tx.conn()).await?;
        let mut v = domain::Violations::new();
        for (i, id) in d.measure_ids.iter().enumerate() {
            match found.iter().find(|m| m.id == *id) {
                None => v.push(FieldError::new(format!("measure_ids[{i}]"), "not_found", format!("measure {id} does not exist"))),
                Some(m) if m.partnership_id != d.partnership_id => {
                    v.push(FieldError::new(format!("measure_ids[{i}]"), "other_partnership", "the measure belongs to another partnership's plan"))
                }
                Some(_) => {}
            }
        }
        // Two versions of one measure (same key) would count the project twice for it.
        let keys: Vec<Uuid> = found.iter().map(|m| m.measure_key.unwrap_or(m.id)).collect();
        v.check(domain::esif::check_distinct_measures(&keys));
        v.into_result()?;
    }
    Ok(())
}

async fn replace_project_measures(tx: &WriteTx, id: Uuid, d: &ProjectData) -> Result<(), StoreError> {
    pm::Entity::delete_many().filter(pm::Column::ProjectId.eq(id)).exec(tx.conn()).await?;
    if !d.measure_ids.is_empty() {
        pm::Entity::insert_many(d.measure_ids.iter().map(|m| pm::ActiveModel { project_id: Set(id), measure_id: Set(*m) })).exec(tx.conn()).await?;
    }
    Ok(())
}

/// Creates a project intent.
pub async fn create_project(tx: &WriteTx, d: ProjectData) -> Result<ProjectRecord, StoreError> {
    check_project(tx, &d).await?;
    let at = now();
    let id = Uuid::now_v7();
    project::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        status: Set(ProjectStatus::Intent.to_string()),
        recommended_on: Set(None),
        recommendation_resolution: Set(None),
        recommended_by_working_group_id: Set(None),
        submitted_on: Set(None),
        registration_number: Set(None),
        decided_on: Set(None),
        approved_minor: Set(None),
        decision_note: Set(None),
        started_on: Set(None),
        completed_on: Set(None),
        withdrawn_on: Set(None),
        withdrawal_reason: Set(None),
        ..project_content(&d)
    }
    .insert(tx.conn())
    .await?;
    replace_project_measures(tx, id, &d).await?;
    get_project(tx.conn(), id).await
}

pub async fn update_project(tx: &WriteTx, current: &ProjectRecord, d: ProjectData) -> Result<ProjectRecord, StoreError> {
    check_project(tx, &d).await?;
    let m = &current.meta;
    let changes = project::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..project_content(&d) };
    update_guarded(tx.conn(), changes, project::Column::Id.eq(m.id).and(project::Column::Version.eq(m.version))).await?;
    replace_project_measures(tx, m.id, &d).await?;
    get_project(tx.conn(), m.id).await
}

/// Moves a project to `status`, recording the step (the domain decided it is legal).
pub async fn set_project_status(tx: &WriteTx, current: &ProjectRecord, status: ProjectStatus, steps: ProjectSteps) -> Result<ProjectRecord, StoreError> {
    if let Some(group) = steps.recommended_by_working_group_id {
        let found = working_group::Entity::find_by_id(group).one(tx.conn()).await?;
        if found.is_none_or(|g| g.partnership_id != current.data.data.partnership_id) {
            return Err(DomainError::invalid("working_group_id", "not_in_partnership", "the working group does not belong to the project's partnership").into());
        }
    }
    let m = &current.meta;
    let s = steps;
    let changes = project::ActiveModel {
        version: Set(m.version + 1),
        updated_at: Set(now()),
        status: Set(status.to_string()),
        recommended_on: Set(s.recommended_on),
        recommendation_resolution: Set(s.recommendation_resolution),
        recommended_by_working_group_id: Set(s.recommended_by_working_group_id),
        submitted_on: Set(s.submitted_on),
        registration_number: Set(s.registration_number),
        decided_on: Set(s.decided_on),
        approved_minor: Set(s.approved_minor),
        decision_note: Set(s.decision_note),
        started_on: Set(s.started_on),
        completed_on: Set(s.completed_on),
        withdrawn_on: Set(s.withdrawn_on),
        withdrawal_reason: Set(s.withdrawal_reason),
        ..Default::default()
    };
    update_guarded(tx.conn(), changes, project::Column::Id.eq(m.id).and(project::Column::Version.eq(m.version))).await?;
    get_project(tx.conn(), m.id).await
}

/// What the submission rule needs: the partnership's plan in force on the submission day
/// (approved, within its validity, not yet ended: [`domain::plan::Validity::in_force_on`]) and
/// how many of the project's measures belong to it.
pub async fn plan_context(conn: &impl Conn, partnership_id: Uuid, measure_ids: &[Uuid], day: NaiveDate) -> Result<PlanContext, StoreError> {
    let candidates = crate::page::models(
        conn,
        strategic_plan::Entity::find()
            .filter(strategic_plan::Column::PartnershipId.eq(partnership_id))
            .filter(strategic_plan::Column::ArchivedAt.is_null())
            .filter(strategic_plan::Column::AssemblyApprovedOn.lte(day)),
    )
    .await?;
    let mut plan = None;
    for p in candidates {
        let validity = domain::plan::Validity {
            status: crate::convert::code(&p.status)?,
            valid_from: p.valid_from,
            valid_to: p.valid_to,
            approved_on: p.assembly_approved_on,
            ended_on: p.ended_on,
        };
        // On the day a successor enters into force both count; the newer approval governs.
        if validity.in_force_on(day) && plan.as_ref().is_none_or(|(on, _): &(Option<NaiveDate>, Uuid)| p.assembly_approved_on > *on) {
            plan = Some((p.assembly_approved_on, p.id));
        }
    }
    let plan = plan.map(|(_, id)| id);
    let measures_in_plan = match (plan, measure_ids.is_empty()) {
        // By the measures' identity: a project linked to a measure of an earlier version
        // implements the same measure of the plan in force.
        (Some(p), false) => {
            let linked = crate::page::models(conn, measure::Entity::find().filter(measure::Column::Id.is_in(measure_ids.iter().copied()))).await?;
            crate::page::models(
                conn,
                measure::Entity::find()
                    .filter(measure::Column::PlanId.eq(p))
                    .filter(measure::Column::ArchivedAt.is_null())
                    .filter(measure::Column::MeasureKey.is_in(linked.iter().map(|m| m.measure_key.unwrap_or(m.id)))),
            )
            .await?
            .len()
        }
        _ => 0,
    };
    Ok(PlanContext { plan_in_force: plan, measures_in_plan })
}
