//! The project pipeline (`/projects`, `/partnerships/{id}/projects`): intents, recommended by
//! the partnership, submitted as applications, approved or rejected, realized, completed, or
//! withdrawn — each step an explicit action. Not public.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use domain::access::Principal;
use domain::codelist::ProjectStatus;
use domain::esif::{ProjectAction, ProjectBudget, ProjectData, check_registration_number, check_submission, ensure_project_editable, project_transition};
use domain::money::Money;
use domain::partnership::Activity;
use persistence::esif::{self, ProjectFilter, ProjectRecord, ProjectSteps};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, Begun, IdempotencyKey, IfMatch, ListResponse, Unit, guard_partnership_read, list_query, merge_patch, ok_versioned};
use crate::routes::partnerships::{permits, require};

/// A project's budget; `requested + own_financing` must equal `total_eligible`, in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetInput {
    /// Total eligible costs.
    pub total_eligible: Money,
    /// The grant requested (EU and state share).
    pub requested: Money,
    /// The applicant's own co-financing.
    pub own_financing: Money,
}

/// What an applicant sets on a project (until it is submitted).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    /// Your own stable key for idempotent imports; unique among projects.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    /// A member organisation of the partnership.
    pub applicant_organization_id: Uuid,
    /// The call it applies to (may be chosen later, but before submission).
    #[serde(default)]
    pub call_id: Option<Uuid>,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub period_from: Option<NaiveDate>,
    #[serde(default)]
    pub period_to: Option<NaiveDate>,
    pub budget: BudgetInput,
    /// Measures of the partnership's strategic plan that the project implements.
    #[serde(default)]
    pub measure_ids: Vec<Uuid>,
}

impl ProjectInput {
    fn into_data(self, partnership_id: Uuid) -> ApiResult<ProjectData> {
        self.validate()?;
        Ok(ProjectData {
            external_ref: opt_text(self.external_ref),
            partnership_id,
            applicant_organization_id: self.applicant_organization_id,
            call_id: self.call_id,
            title: self.title.trim().to_owned(),
            summary: opt_text(self.summary),
            period_from: self.period_from,
            period_to: self.period_to,
            budget: ProjectBudget { total_eligible: self.budget.total_eligible, requested: self.budget.requested, own_financing: self.budget.own_financing },
            measure_ids: self.measure_ids,
        }
        .validate()?)
    }
    fn from_data(d: &ProjectData) -> Self {
        Self {
            external_ref: d.external_ref.clone(),
            applicant_organization_id: d.applicant_organization_id,
            call_id: d.call_id,
            title: d.title.clone(),
            summary: d.summary.clone(),
            period_from: d.period_from,
            period_to: d.period_to,
            budget: BudgetInput {
                total_eligible: d.budget.total_eligible.clone(),
                requested: d.budget.requested.clone(),
                own_financing: d.budget.own_financing.clone(),
            },
            measure_ids: d.measure_ids.clone(),
        }
    }
}

/// The steps a project went through.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepsView {
    pub recommended_on: Option<NaiveDate>,
    /// The partnership's (or working group's) resolution recommending the intent.
    pub recommendation_resolution: Option<String>,
    pub recommended_by_working_group_id: Option<Uuid>,
    pub submitted_on: Option<NaiveDate>,
    pub registration_number: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub approved_amount: Option<Money>,
    pub decision_note: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_reason: Option<String>,
}

/// A project (intent, application or project).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub partnership_id: Uuid,
    pub status: ProjectStatus,
    #[serde(flatten)]
    pub content: ProjectInput,
    pub steps: StepsView,
}

impl From<&ProjectRecord> for ProjectView {
    fn from(r: &ProjectRecord) -> Self {
        let p = &r.data;
        let s = &p.steps;
        let currency = p.data.budget.total_eligible.currency.clone();
        Self {
            meta: (&r.meta).into(),
            partnership_id: p.data.partnership_id,
            status: p.status,
            content: ProjectInput::from_data(&p.data),
            steps: StepsView {
                recommended_on: s.recommended_on,
                recommendation_resolution: s.recommendation_resolution.clone(),
                recommended_by_working_group_id: s.recommended_by_working_group_id,
                submitted_on: s.submitted_on,
                registration_number: s.registration_number.clone(),
                decided_on: s.decided_on,
                approved_amount: s.approved_minor.map(|amount_minor| Money { amount_minor, currency: currency.clone() }),
                decision_note: s.decision_note.clone(),
                started_on: s.started_on,
                completed_on: s.completed_on,
                withdrawn_on: s.withdrawn_on,
                withdrawal_reason: s.withdrawal_reason.clone(),
            },
        }
    }
}

/// Who may write a project's content (`None`) or take a step of its pipeline: the access
/// policy's [`Principal::may_write_project`] and [`Principal::may_take_project_step`].
fn may_write(who: &Principal, partnership_id: Uuid, applicant: Uuid, action: Option<ProjectAction>) -> bool {
    match action {
        None => who.may_write_project(partnership_id, applicant),
        Some(action) => who.may_take_project_step(partnership_id, applicant, action),
    }
}

fn ensure_may_write(who: &Principal, partnership_id: Uuid, applicant: Uuid, action: Option<ProjectAction>) -> ApiResult<()> {
    guard_partnership_read(who, partnership_id)?;
    if may_write(who, partnership_id, applicant, action) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("your role does not allow this change to the project".into()))
    }
}

list_query! {
    /// Filters of projects.
    ProjectQuery {
        partnership_id: Option<Uuid>,
        call_id: Option<Uuid>,
        programme_id: Option<Uuid>,
        applicant_organization_id: Option<Uuid>,
        /// Projects implementing this measure.
        measure_id: Option<Uuid>,
        status: Option<ProjectStatus>,
        /// Text search in title and summary.
        q: Option<String>,
        include_archived: Option<bool>,
    }
}

/// List projects (a partner sees only its own partnerships'). Sortable by `title`, `created_at` (default), `updated_at`.
#[utoipa::path(operation_id = "list_projects", tag = "esif", params(ProjectQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of projects", body = ListResponse<ProjectView>), ListErrors))]
#[get("/projects")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<ProjectQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = ProjectFilter {
        partnership_id: q.partnership_id,
        call_id: q.call_id,
        programme_id: q.programme_id,
        applicant_organization_id: q.applicant_organization_id,
        measure_id: q.measure_id,
        status: q.status,
        q: q.q,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = esif::list_projects(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| ProjectView::from(&r))))
}

/// List a partnership's projects. Sortable by `title`, `created_at` (default), `updated_at`.
#[utoipa::path(operation_id = "list_partnership_projects", tag = "esif", params(ProjectQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of projects", body = ListResponse<ProjectView>), ListErrors))]
#[get("/partnerships/{id}/projects")]
pub async fn list_of_partnership(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<ProjectQuery>) -> ApiResult {
    let page = query.page()?;
    guard_partnership_read(&who, *id)?;
    require(state.store.conn(), *id).await?;
    let q = query.into_inner();
    if q.partnership_id.is_some_and(|p| p != *id) {
        return Err(ApiError::bad_request("partnership_id", "conflict", "the path already names the partnership"));
    }
    let filter = ProjectFilter {
        partnership_id: Some(*id),
        call_id: q.call_id,
        programme_id: q.programme_id,
        applicant_organization_id: q.applicant_organization_id,
        measure_id: q.measure_id,
        status: q.status,
        q: q.q,
        include_archived: q.include_archived.unwrap_or(false),
        scope: None,
    };
    let page = esif::list_projects(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| ProjectView::from(&r))))
}

/// Record a project intent of a partnership.
#[utoipa::path(operation_id = "create_partnership_project", tag = "esif", request_body = ProjectInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = ProjectView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/partnerships/{id}/projects")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<ProjectInput>) -> ApiResult {
    require(state.store.conn(), *id).await?;
    guard_partnership_read(&who, *id)?;
    let input = body.into_inner();
    if !may_write(&who, *id, input.applicant_organization_id, None) {
        return Err(ApiError::Forbidden("your role does not allow project intents in this partnership".into()));
    }
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    permits(unit.tx().conn(), *id, Activity::Projects).await?;
    let created = esif::create_project(unit.tx(), input.into_data(*id)?).await?;
    let view = ProjectView::from(&created);
    unit.created("project", created.meta.id, created.meta.version, format!("/api/v1/projects/{}", created.meta.id), &view).await
}

/// Get a project.
#[utoipa::path(operation_id = "get_project", tag = "esif", security(("bearer" = [])),
    responses((status = 200, description = "The project", body = ProjectView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/projects/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let found = esif::get_project(state.store.conn(), *id).await?;
    guard_partnership_read(&who, found.data.data.partnership_id)?;
    Ok(ok_versioned(found.meta.version, &ProjectView::from(&found)))
}

/// Update a project before its submission (JSON merge patch).
#[utoipa::path(operation_id = "update_project", tag = "esif", request_body(content = serde_json::Value, description = "A JSON merge patch of ProjectInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = ProjectView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/projects/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = esif::get_project(unit.tx().conn(), *id).await?;
    let d = &current.data.data;
    ensure_may_write(&who, d.partnership_id, d.applicant_organization_id, None)?;
    permits(unit.tx().conn(), d.partnership_id, Activity::Projects).await?;
    let data = merge_patch(&ProjectInput::from_data(d), patch.into_inner())?.into_data(d.partnership_id)?;
    if_match.check(current.meta.version)?;
    ensure_project_editable(current.data.status)?;
    // A partner may not hand its project to another organization.
    ensure_may_write(&who, data.partnership_id, data.applicant_organization_id, None)?;
    let updated = esif::update_project(unit.tx(), &current, data).await?;
    unit.changed("update", "project", current.meta.id, updated.meta.version, &ProjectView::from(&current), &ProjectView::from(&updated)).await
}

/// The body of a pipeline step.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The day of the step.
    pub date: NaiveDate,
    /// recommend: the resolution of the partnership or working group.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    #[serde(default)]
    pub resolution: Option<String>,
    /// recommend: the working group that recommended it.
    #[serde(default)]
    pub working_group_id: Option<Uuid>,
    /// submit: the registration number of the application (shape by programming period).
    #[validate(length(max = 60))]
    #[schema(max_length = 60)]
    #[serde(default)]
    pub registration_number: Option<String>,
    /// approve: the approved grant (not more than requested).
    #[serde(default)]
    pub approved_amount: Option<Money>,
    /// approve / reject / withdraw: a note or the reason.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub note: Option<String>,
}

async fn step(state: &AppState, who: &Principal, id: Uuid, key: IdempotencyKey, if_match: IfMatch, action: ProjectAction, input: StepInput) -> ApiResult {
    input.validate()?;
    let current = esif::get_project(state.store.conn(), id).await?;
    ensure_may_write(who, current.data.data.partnership_id, current.data.data.applicant_organization_id, Some(action))?;
    let unit = match Unit::begin_post(state, who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    let conn = unit.tx().conn();
    let current = esif::get_project(conn, id).await?;
    permits(conn, current.data.data.partnership_id, Activity::Projects).await?;
    if_match.check(current.meta.version)?;
    let next = project_transition(current.data.status, action)?;
    let d = &current.data.data;
    let mut steps: ProjectSteps = current.data.steps.clone();
    // Steps happen in order and not in the future.
    let today = chrono::Utc::now().date_naive();
    let last = [steps.recommended_on, steps.submitted_on, steps.decided_on, steps.started_on].into_iter().flatten().max();
    if input.date > today {
        return Err(domain::DomainError::invalid("date", "in_future", "a step is recorded on a past day or today").into());
    }
    if let Some(last) = last.filter(|l| input.date < *l) {
        return Err(domain::DomainError::invalid("date", "before_previous_step", format!("the previous step was on {last}")).into());
    }
    match action {
        ProjectAction::Recommend => {
            steps.recommended_on = Some(input.date);
            steps.recommendation_resolution = opt_text(input.resolution);
            steps.recommended_by_working_group_id = input.working_group_id;
        }
        ProjectAction::Submit => {
            let call_id = d.call_id.ok_or_else(|| ApiError::from(domain::DomainError::invalid("call_id", "required", "choose the call before submitting")))?;
            let call = esif::get_call(conn, call_id).await?;
            if call.meta.archived_at.is_some() {
                return Err(ApiError::Conflict { detail: "the call is archived".into(), errors: vec![] });
            }
            if !esif::is_member_on(conn, d.partnership_id, d.applicant_organization_id, input.date).await? {
                return Err(domain::DomainError::invalid(
                    "applicant_organization_id",
                    "not_a_member",
                    "the applicant is not a member of the partnership on the day of submission",
                )
                .into());
            }
            let number = opt_text(input.registration_number).ok_or_else(|| {
                ApiError::from(domain::DomainError::invalid("registration_number", "required", "a submitted application has a registration number"))
            })?;
            check_registration_number(esif::call_period(conn, &call).await?, &number).map_err(|e| ApiError::from(domain::DomainError::Invalid(vec![e])))?;
            let terms = domain::esif::CallTerms {
                opens_at: call.data.opens_at,
                closes_at: call.data.closes_at,
                min_project: call.data.min_project.clone(),
                max_project: call.data.max_project.clone(),
                support_rate_bp: call.data.support_rate_bp,
                kpsvl: call.data.kpsvl,
                open_to: call.data.open_to.clone(),
                period: esif::call_period(conn, &call).await?,
            };
            let plan = esif::plan_context(conn, d.partnership_id, &d.measure_ids, input.date).await?;
            check_submission(&terms, &d.budget, d.partnership_id, input.date, &plan)?;
            steps.submitted_on = Some(input.date);
            steps.registration_number = Some(number);
        }
        ProjectAction::Approve => {
            let amount = input
                .approved_amount
                .ok_or_else(|| ApiError::from(domain::DomainError::invalid("approved_amount", "required", "an approval states the approved grant")))?;
            if amount.currency != d.budget.requested.currency || amount.amount_minor < 0 || amount.amount_minor > d.budget.requested.amount_minor {
                return Err(domain::DomainError::invalid(
                    "approved_amount",
                    "above_requested",
                    "the approved grant is between 0 and the requested amount, in its currency",
                )
                .into());
            }
            steps.decided_on = Some(input.date);
            steps.approved_minor = Some(amount.amount_minor);
            steps.decision_note = opt_text(input.note);
        }
        ProjectAction::Reject => {
            steps.decided_on = Some(input.date);
            steps.decision_note = opt_text(input.note);
        }
        ProjectAction::Start => steps.started_on = Some(input.date),
        ProjectAction::Complete => steps.completed_on = Some(input.date),
        ProjectAction::Withdraw => {
            steps.withdrawn_on = Some(input.date);
            steps.withdrawal_reason = opt_text(input.note);
        }
    }
    let updated = esif::set_project_status(unit.tx(), &current, next, steps).await?;
    unit.changed(action.name(), "project", id, updated.meta.version, &ProjectView::from(&current), &ProjectView::from(&updated)).await
}

macro_rules! project_step {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(operation_id = concat!(stringify!($name), "_project"), tag = "esif", request_body = StepInput,
            params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
            security(("bearer" = [])),
            responses((status = 200, description = "The project after the step", body = ProjectView), WriteErrors))]
        #[post($path)]
        pub async fn $name(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch, body: web::Json<StepInput>) -> ApiResult {
            step(&state, &who, *id, key, if_match, $action, body.into_inner()).await
        }
    };
}

project_step!(
    recommend,
    "/projects/{id}/recommend",
    ProjectAction::Recommend,
    "The partnership (or a working group) recommends the intent: intent → recommended. Body: `date`, `resolution`, `working_group_id`."
);
project_step!(
    submit,
    "/projects/{id}/submit",
    ProjectAction::Submit,
    "Submit the application: recommended → submitted. Body: `date`, `registration_number`. Refused when the call is not open on that day (409), when a KPSVL call is not open to the partnership or it has no plan in force (409), when the project implements no measure of that plan, or the requested grant is outside the call's limits or above its support rate (422)."
);
project_step!(
    approve,
    "/projects/{id}/approve",
    ProjectAction::Approve,
    "Record the approval: submitted → approved. Body: `date`, `approved_amount` (not more than requested), `note`."
);
project_step!(reject, "/projects/{id}/reject", ProjectAction::Reject, "Record the rejection: submitted → rejected. Body: `date`, `note`.");
project_step!(start, "/projects/{id}/start", ProjectAction::Start, "Start the realization: approved → in_realization. Body: `date`.");
project_step!(complete, "/projects/{id}/complete", ProjectAction::Complete, "Complete the project: in_realization → completed. Body: `date`.");
project_step!(withdraw, "/projects/{id}/withdraw", ProjectAction::Withdraw, "Withdraw the project from any open state. Body: `date`, `note` (the reason).");

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(list_of_partnership)
        .service(create)
        .service(get)
        .service(update)
        .service(recommend)
        .service(submit)
        .service(approve)
        .service(reject)
        .service(start)
        .service(complete)
        .service(withdraw);
}
