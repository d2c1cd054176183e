//! Operational programmes, calls, the project pipeline, counselling records, and the
//! aggregates a ministry asks for.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::codelist::{Fund, ProgrammingPeriod, ProjectStatus};
use domain::esif::{CallData, CounsellingData, PlanContext, PriorityAxis, ProgrammeData, ProjectBudget, ProjectData};
use domain::money::Money;
use domain::registry::Record;
use domain::search::search_text;
use domain::{DomainError, FieldError};
use sea_orm::sea_query::{Condition, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::convert::{code, ensure_exist, like, meta, now, update_guarded};
use crate::entities::{
    call, call_partnership as cp, counselling_record as cr, measure, operational_programme as op, organization, partnership, project, project_measure as pm,
    strategic_plan, working_group,
};
use crate::page::{self, SortField, SortKind, field};
use crate::people::ensure_people;
use crate::{Page, PageRequest, Store, StoreError, WriteTx};

fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))
}

fn money(amount_minor: i64, currency: &str) -> Money {
    Money { amount_minor, currency: currency.to_owned() }
}

// --- programmes -------------------------------------------------------------------------------

pub type Programme = Record<ProgrammeData>;

fn programme(m: op::Model) -> Result<Programme, StoreError> {
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
];

pub async fn get_programme(conn: &impl ConnectionTrait, id: Uuid) -> Result<Programme, StoreError> {
    op::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound).and_then(programme)
}

pub async fn list_programmes(
    conn: &impl ConnectionTrait,
    period: Option<ProgrammingPeriod>,
    q: Option<&str>,
    req: &PageRequest,
) -> Result<Page<Programme>, StoreError> {
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

// --- calls ------------------------------------------------------------------------------------

pub type Call = Record<CallData>;

fn call_record(m: call::Model) -> Result<Call, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: CallData {
            external_ref: m.external_ref,
            programme_id: m.programme_id,
            number: m.number,
            title: m.title,
            specific_objective: m.specific_objective,
            opens_at: m.opens_at,
            closes_at: m.closes_at,
            allocation: money(m.allocation_minor, &m.currency),
            min_project: m.min_project_minor.map(|a| money(a, &m.currency)),
            max_project: m.max_project_minor.map(|a| money(a, &m.currency)),
            support_rate_bp: m.support_rate_bp,
            kpsvl: m.kpsvl,
            open_to: json(m.open_to)?,
        },
    })
}

fn call_content(d: &CallData) -> call::ActiveModel {
    call::ActiveModel {
        external_ref: Set(d.external_ref.clone()),
        programme_id: Set(d.programme_id),
        number: Set(d.number.clone()),
        title: Set(d.title.clone()),
        specific_objective: Set(d.specific_objective.clone()),
        opens_at: Set(d.opens_at),
        closes_at: Set(d.closes_at),
        allocation_minor: Set(d.allocation.amount_minor),
        currency: Set(d.allocation.currency.clone()),
        min_project_minor: Set(d.min_project.as_ref().map(|m| m.amount_minor)),
        max_project_minor: Set(d.max_project.as_ref().map(|m| m.amount_minor)),
        support_rate_bp: Set(d.support_rate_bp),
        kpsvl: Set(d.kpsvl),
        open_to: Set(serde_json::json!(d.open_to)),
        search_text: Set(search_text([d.number.as_str(), d.title.as_str()])),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct CallFilter {
    pub programme_id: Option<Uuid>,
    pub period: Option<ProgrammingPeriod>,
    /// Calls accepting applications on this day.
    pub open_on: Option<NaiveDate>,
    /// Calls a project of this partnership may apply to (all non-KPSVL calls, and KPSVL calls
    /// open to it).
    pub open_to: Option<Uuid>,
    pub kpsvl: Option<bool>,
    pub q: Option<String>,
    pub include_archived: bool,
}

pub const CALL_SORT: &[SortField<call::Column>] = &[
    field("number", call::Column::Number, SortKind::Text),
    field("opens_at", call::Column::OpensAt, SortKind::Timestamp),
    field("closes_at", call::Column::ClosesAt, SortKind::Timestamp),
    field("created_at", call::Column::CreatedAt, SortKind::Timestamp),
];

pub async fn get_call(conn: &impl ConnectionTrait, id: Uuid) -> Result<Call, StoreError> {
    call::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound).and_then(call_record)
}

pub async fn list_calls(conn: &impl ConnectionTrait, f: &CallFilter, req: &PageRequest) -> Result<Page<Call>, StoreError> {
    let mut select = call::Entity::find();
    if !f.include_archived {
        select = select.filter(call::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.programme_id {
        select = select.filter(call::Column::ProgrammeId.eq(id));
    }
    if let Some(p) = f.period {
        let of_period = Query::select().column(op::Column::Id).from(op::Entity).and_where(op::Column::Period.eq(p.to_string())).take();
        select = select.filter(call::Column::ProgrammeId.in_subquery(of_period));
    }
    if let Some(day) = f.open_on {
        // Open on a day: opened by its end and not closed before its start.
        let start = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let end = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
        if let (Some(start), Some(end)) = (start, end) {
            select = select.filter(call::Column::OpensAt.lt(end)).filter(call::Column::ClosesAt.gte(start));
        }
    }
    if let Some(p) = f.open_to {
        let listed = Query::select().column(cp::Column::CallId).from(cp::Entity).and_where(cp::Column::PartnershipId.eq(p)).take();
        select = select.filter(Condition::any().add(call::Column::Kpsvl.eq(false)).add(call::Column::Id.in_subquery(listed)));
    }
    if let Some(k) = f.kpsvl {
        select = select.filter(call::Column::Kpsvl.eq(k));
    }
    if let Some(q) = &f.q {
        select = select.filter(like(call::Column::SearchText, q));
    }
    let page = page::fetch(conn, select, CALL_SORT, "closes_at", call::Column::Id, req).await?;
    let items = page.items.into_iter().map(call_record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn check_call(tx: &WriteTx, d: &CallData, this: Option<Uuid>) -> Result<(), StoreError> {
    if op::Entity::find_by_id(d.programme_id).one(tx.conn()).await?.is_none() {
        return Err(DomainError::invalid("programme_id", "not_found", "the programme does not exist").into());
    }
    ensure_exist::<partnership::Entity, _>(tx.conn(), partnership::Column::Id, &d.open_to, "open_to", false).await?;
    let mut same = call::Entity::find().filter(call::Column::ProgrammeId.eq(d.programme_id)).filter(call::Column::Number.eq(d.number.clone()));
    if let Some(id) = this {
        same = same.filter(call::Column::Id.ne(id));
    }
    if same.one(tx.conn()).await?.is_some() {
        return Err(StoreError::Conflict { field: Some("number".into()), message: "the programme already has a call with this number".into() });
    }
    Ok(())
}

async fn replace_call_partnerships(tx: &WriteTx, id: Uuid, d: &CallData) -> Result<(), StoreError> {
    cp::Entity::delete_many().filter(cp::Column::CallId.eq(id)).exec(tx.conn()).await?;
    if !d.open_to.is_empty() {
        cp::Entity::insert_many(d.open_to.iter().map(|p| cp::ActiveModel { call_id: Set(id), partnership_id: Set(*p) })).exec(tx.conn()).await?;
    }
    Ok(())
}

pub async fn create_call(tx: &WriteTx, d: CallData) -> Result<Call, StoreError> {
    check_call(tx, &d, None).await?;
    let at = now();
    let id = Uuid::now_v7();
    call::ActiveModel { id: Set(id), version: Set(1), created_at: Set(at), updated_at: Set(at), archived_at: Set(None), ..call_content(&d) }
        .insert(tx.conn())
        .await?;
    replace_call_partnerships(tx, id, &d).await?;
    get_call(tx.conn(), id).await
}

pub async fn update_call(tx: &WriteTx, current: &Call, d: CallData) -> Result<Call, StoreError> {
    check_call(tx, &d, Some(current.meta.id)).await?;
    let m = &current.meta;
    let changes = call::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..call_content(&d) };
    update_guarded(tx.conn(), changes, call::Column::Id.eq(m.id).and(call::Column::Version.eq(m.version))).await?;
    replace_call_partnerships(tx, m.id, &d).await?;
    get_call(tx.conn(), m.id).await
}

pub async fn archive_call(tx: &WriteTx, current: &Call) -> Result<Call, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = call::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, call::Column::Id.eq(m.id).and(call::Column::Version.eq(m.version))).await?;
    get_call(tx.conn(), m.id).await
}

// --- projects ---------------------------------------------------------------------------------

/// The steps a project went through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectSteps {
    pub recommended_on: Option<NaiveDate>,
    pub recommendation_resolution: Option<String>,
    pub recommended_by_working_group_id: Option<Uuid>,
    pub submitted_on: Option<NaiveDate>,
    pub registration_number: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub approved_minor: Option<i64>,
    pub decision_note: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_reason: Option<String>,
}

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
                measure_ids: json(m.measure_ids)?,
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
        measure_ids: Set(serde_json::json!(d.measure_ids)),
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

pub async fn get_project(conn: &impl ConnectionTrait, id: Uuid) -> Result<ProjectRecord, StoreError> {
    project::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound).and_then(project_record)
}

pub async fn list_projects(conn: &impl ConnectionTrait, f: &ProjectFilter, req: &PageRequest) -> Result<Page<ProjectRecord>, StoreError> {
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
pub async fn plan_context(conn: &impl ConnectionTrait, partnership_id: Uuid, measure_ids: &[Uuid], day: NaiveDate) -> Result<PlanContext, StoreError> {
    let candidates = strategic_plan::Entity::find()
        .filter(strategic_plan::Column::PartnershipId.eq(partnership_id))
        .filter(strategic_plan::Column::ArchivedAt.is_null())
        .filter(strategic_plan::Column::AssemblyApprovedOn.lte(day))
        .all(conn)
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
            let linked = measure::Entity::find().filter(measure::Column::Id.is_in(measure_ids.iter().copied())).all(conn).await?;
            measure::Entity::find()
                .filter(measure::Column::PlanId.eq(p))
                .filter(measure::Column::ArchivedAt.is_null())
                .filter(measure::Column::MeasureKey.is_in(linked.iter().map(|m| m.measure_key.unwrap_or(m.id))))
                .all(conn)
                .await?
                .len()
        }
        _ => 0,
    };
    Ok(PlanContext { plan_in_force: plan, measures_in_plan })
}

/// Whether an organization is a member of a partnership on a day (an archived organization is
/// no current member of anything).
pub async fn is_member_on(conn: &impl ConnectionTrait, partnership_id: Uuid, organization_id: Uuid, day: NaiveDate) -> Result<bool, StoreError> {
    Ok(crate::memberships::standing(conn, partnership_id, organization_id).await?.is_member_on(day))
}

/// The programming period of a call (for its registration numbers).
pub async fn call_period(conn: &impl ConnectionTrait, call: &Call) -> Result<ProgrammingPeriod, StoreError> {
    Ok(get_programme(conn, call.data.programme_id).await?.data.period)
}

// --- counselling ------------------------------------------------------------------------------

pub type Counselling = Record<CounsellingData>;

fn counselling(m: cr::Model) -> Result<Counselling, StoreError> {
    Ok(Record {
        meta: meta!(m),
        data: CounsellingData {
            partnership_id: m.partnership_id,
            consultant_id: m.consultant_id,
            organization_ids: json(m.organization_ids)?,
            held_on: m.held_on,
            duration_minutes: m.duration_minutes,
            topic: m.topic,
            call_id: m.call_id,
            project_id: m.project_id,
            notes: m.notes,
        },
    })
}

fn counselling_content(d: &CounsellingData) -> cr::ActiveModel {
    cr::ActiveModel {
        partnership_id: Set(d.partnership_id),
        consultant_id: Set(d.consultant_id),
        organization_ids: Set(serde_json::json!(d.organization_ids)),
        held_on: Set(d.held_on),
        duration_minutes: Set(d.duration_minutes),
        topic: Set(d.topic.clone()),
        call_id: Set(d.call_id),
        project_id: Set(d.project_id),
        notes: Set(d.notes.clone()),
        ..Default::default()
    }
}

#[derive(Debug, Default)]
pub struct CounsellingFilter {
    pub partnership_id: Option<Uuid>,
    pub consultant_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub call_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub include_archived: bool,
    pub scope: Option<Vec<Uuid>>,
}

pub const COUNSELLING_SORT: &[SortField<cr::Column>] =
    &[field("held_on", cr::Column::HeldOn, SortKind::Date), field("created_at", cr::Column::CreatedAt, SortKind::Timestamp)];

pub async fn get_counselling(conn: &impl ConnectionTrait, id: Uuid) -> Result<Counselling, StoreError> {
    cr::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound).and_then(counselling)
}

pub async fn list_counselling(conn: &impl ConnectionTrait, f: &CounsellingFilter, req: &PageRequest) -> Result<Page<Counselling>, StoreError> {
    let mut select = cr::Entity::find();
    if !f.include_archived {
        select = select.filter(cr::Column::ArchivedAt.is_null());
    }
    if let Some(id) = f.partnership_id {
        select = select.filter(cr::Column::PartnershipId.eq(id));
    }
    if let Some(id) = f.consultant_id {
        select = select.filter(cr::Column::ConsultantId.eq(id));
    }
    if let Some(id) = f.project_id {
        select = select.filter(cr::Column::ProjectId.eq(id));
    }
    if let Some(id) = f.call_id {
        select = select.filter(cr::Column::CallId.eq(id));
    }
    if let Some(d) = f.from {
        select = select.filter(cr::Column::HeldOn.gte(d));
    }
    if let Some(d) = f.to {
        select = select.filter(cr::Column::HeldOn.lte(d));
    }
    if let Some(scope) = &f.scope {
        select = select.filter(cr::Column::PartnershipId.is_in(scope.iter().copied()));
    }
    let page = page::fetch(conn, select, COUNSELLING_SORT, "held_on", cr::Column::Id, req).await?;
    let items = page.items.into_iter().map(counselling).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

async fn check_counselling(tx: &WriteTx, d: &CounsellingData) -> Result<(), StoreError> {
    ensure_exist::<partnership::Entity, _>(tx.conn(), partnership::Column::Id, &[d.partnership_id], "partnership_id", true).await?;
    ensure_people(tx.conn(), &[d.consultant_id], "consultant_id", true).await?;
    ensure_exist::<organization::Entity, _>(tx.conn(), organization::Column::Id, &d.organization_ids, "organization_ids", false).await?;
    if let Some(c) = d.call_id {
        ensure_exist::<call::Entity, _>(tx.conn(), call::Column::Id, &[c], "call_id", true).await?;
    }
    if let Some(p) = d.project_id {
        let found = project::Entity::find_by_id(p).one(tx.conn()).await?;
        if found.is_none_or(|f| f.partnership_id != d.partnership_id) {
            return Err(DomainError::invalid("project_id", "not_in_partnership", "the project is not a project of this partnership").into());
        }
    }
    Ok(())
}

pub async fn create_counselling(tx: &WriteTx, d: CounsellingData) -> Result<Counselling, StoreError> {
    check_counselling(tx, &d).await?;
    let at = now();
    let m = cr::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        ..counselling_content(&d)
    }
    .insert(tx.conn())
    .await?;
    counselling(m)
}

pub async fn update_counselling(tx: &WriteTx, current: &Counselling, d: CounsellingData) -> Result<Counselling, StoreError> {
    check_counselling(tx, &d).await?;
    let m = &current.meta;
    let changes = cr::ActiveModel { version: Set(m.version + 1), updated_at: Set(now()), ..counselling_content(&d) };
    update_guarded(tx.conn(), changes, cr::Column::Id.eq(m.id).and(cr::Column::Version.eq(m.version))).await?;
    get_counselling(tx.conn(), m.id).await
}

pub async fn archive_counselling(tx: &WriteTx, current: &Counselling) -> Result<Counselling, StoreError> {
    let m = &current.meta;
    let at = now();
    let changes = cr::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, cr::Column::Id.eq(m.id).and(cr::Column::Version.eq(m.version))).await?;
    get_counselling(tx.conn(), m.id).await
}

// --- aggregates -------------------------------------------------------------------------------

/// Pipeline figures of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallStats {
    pub call: Call,
    pub programme_code: String,
    pub period: ProgrammingPeriod,
    pub intents: u64,
    pub submitted: u64,
    pub approved: u64,
    /// Sum requested by the submitted projects.
    pub requested_minor: i128,
    /// Sum approved.
    pub approved_minor: i128,
}

/// Per call: every project linked to it (`intents`, whatever its state), those submitted
/// (including ones decided, realized or withdrawn after submission) with the sum they request,
/// and those approved and not withdrawn (approved, in realization, completed) with the sum
/// approved — the same rule the measure funding uses. Sums are exact integers.
pub async fn call_stats(conn: &impl ConnectionTrait, programme_id: Option<Uuid>, period: Option<ProgrammingPeriod>) -> Result<Vec<CallStats>, StoreError> {
    let programmes: HashMap<Uuid, Programme> =
        op::Entity::find().all(conn).await?.into_iter().map(|m| programme(m).map(|p| (p.meta.id, p))).collect::<Result<_, _>>()?;
    let mut calls = call::Entity::find().filter(call::Column::ArchivedAt.is_null()).order_by_asc(call::Column::ProgrammeId).order_by_asc(call::Column::Number);
    if let Some(id) = programme_id {
        calls = calls.filter(call::Column::ProgrammeId.eq(id));
    }
    let calls: Vec<Call> = calls.all(conn).await?.into_iter().map(call_record).collect::<Result<_, _>>()?;
    let projects = project::Entity::find().filter(project::Column::ArchivedAt.is_null()).filter(project::Column::CallId.is_not_null()).all(conn).await?;
    let mut out = Vec::new();
    for c in calls {
        let Some(p) = programmes.get(&c.data.programme_id) else { continue };
        if period.is_some_and(|x| x != p.data.period) {
            continue;
        }
        let mut s = CallStats {
            programme_code: p.data.code.clone(),
            period: p.data.period,
            call: c,
            intents: 0,
            submitted: 0,
            approved: 0,
            requested_minor: 0,
            approved_minor: 0,
        };
        for pr in projects.iter().filter(|pr| pr.call_id == Some(s.call.meta.id)) {
            let status: ProjectStatus = code(&pr.status)?;
            s.intents += 1;
            if domain::esif::was_submitted(status) || (status == ProjectStatus::Withdrawn && pr.submitted_on.is_some()) {
                s.submitted += 1;
                s.requested_minor += i128::from(pr.requested_minor);
            }
            if domain::esif::was_approved(status) {
                s.approved += 1;
                s.approved_minor += i128::from(pr.approved_minor.unwrap_or(0));
            }
        }
        out.push(s);
    }
    Ok(out)
}

/// Funding of a measure by approved projects.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureFunding {
    pub measure_id: Uuid,
    pub code: String,
    pub title: String,
    pub budget_minor: Option<i64>,
    pub currency: Option<String>,
    pub funded_minor: i64,
    pub projects: Vec<Uuid>,
    pub coverage: domain::esif::Coverage,
}

/// Per measure of a plan: the approved projects linked to it and their approved amounts, each
/// split among the project's measures in proportion to the measures' budgets.
pub async fn measure_funding(conn: &impl ConnectionTrait, plan_id: Uuid) -> Result<Vec<MeasureFunding>, StoreError> {
    let measures = crate::plans::measures_of(conn, plan_id).await?;
    // Links follow the measure's identity: a project linked to the same measure in another
    // version of the plan funds this one too.
    let keys: Vec<Uuid> = measures.iter().map(|m| m.data.measure_key).collect();
    let ids: Vec<Uuid> = crate::monitoring::measures_with_keys(conn, &keys).await?.into_keys().chain(measures.iter().map(|m| m.meta.id)).collect();
    let links = if ids.is_empty() { vec![] } else { pm::Entity::find().filter(pm::Column::MeasureId.is_in(ids.iter().copied())).all(conn).await? };
    let project_ids: Vec<Uuid> = links.iter().map(|l| l.project_id).collect();
    let projects = if project_ids.is_empty() {
        vec![]
    } else {
        project::Entity::find().filter(project::Column::Id.is_in(project_ids)).filter(project::Column::ArchivedAt.is_null()).all(conn).await?
    };
    // Budgets of every measure any of these projects implements (possibly in other plans).
    let all_links =
        if projects.is_empty() { vec![] } else { pm::Entity::find().filter(pm::Column::ProjectId.is_in(projects.iter().map(|p| p.id))).all(conn).await? };
    let linked_measures: HashMap<Uuid, (Option<i64>, Uuid)> = if all_links.is_empty() {
        HashMap::new()
    } else {
        measure::Entity::find()
            .filter(measure::Column::Id.is_in(all_links.iter().map(|l| l.measure_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|m| (m.id, (m.budget_total_minor, m.measure_key.unwrap_or(m.id))))
            .collect()
    };
    let mut funded: HashMap<Uuid, (i64, Vec<Uuid>)> = HashMap::new();
    for p in &projects {
        let status: ProjectStatus = code(&p.status)?;
        if !domain::esif::was_approved(status) {
            continue;
        }
        // One part per measure identity: older data may link two versions of one measure, which
        // would otherwise take two parts (the latest-created version's budget counts).
        let mut mine: Vec<Uuid> = all_links.iter().filter(|l| l.project_id == p.id).map(|l| l.measure_id).collect();
        mine.sort_unstable_by(|a, b| b.cmp(a));
        let mut seen_keys = std::collections::HashSet::new();
        mine.retain(|m| seen_keys.insert(linked_measures.get(m).map_or(*m, |l| l.1)));
        let budgets: Vec<Option<i64>> = mine.iter().map(|m| linked_measures.get(m).and_then(|l| l.0)).collect();
        for (m, part) in mine.iter().zip(domain::esif::split_amount(p.approved_minor.unwrap_or(0), &budgets)) {
            let key = linked_measures.get(m).map_or(*m, |l| l.1);
            let entry = funded.entry(key).or_default();
            entry.0 = entry.0.saturating_add(part);
            entry.1.push(p.id);
        }
    }
    Ok(measures
        .into_iter()
        .map(|m| {
            let (amount, projects) = funded.get(&m.data.measure_key).cloned().unwrap_or_default();
            let total = m.data.data.budget_total();
            let budget_minor = total.as_ref().map(|t| t.amount_minor);
            MeasureFunding {
                measure_id: m.meta.id,
                code: m.data.data.code,
                title: m.data.data.title,
                budget_minor,
                currency: total.map(|t| t.currency),
                funded_minor: amount,
                coverage: domain::esif::coverage(amount, budget_minor),
                projects,
            }
        })
        .collect())
}

/// Whether a call accepts applications at a moment (for views).
pub fn call_status(call: &Call, at: DateTime<Utc>) -> domain::codelist::CallStatus {
    domain::esif::call_status(call.data.opens_at, call.data.closes_at, at)
}
