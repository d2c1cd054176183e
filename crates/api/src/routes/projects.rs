//! The project pipeline (`/projects`, `/partnerships/{id}/projects`): intents, recommended by
//! the partnership, submitted as applications, approved or rejected, realized, completed, or
//! withdrawn — each step an explicit action. Not public.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use domain::codelist::ProjectStatus;
use domain::esif::{ProjectAction, ProjectBudget, ProjectData, ProjectStep};
use domain::money::Money;
use domain::registry::Record;
use persistence::esif::{self, Project, ProjectFilter, ProjectRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::shapes::{create_one, get_one, update_one};
use crate::write::{self, Resource};
use service::projects as uc;

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
    pub(crate) fn into_data(self, partnership_id: Uuid) -> ApiResult<ProjectData> {
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
    pub(crate) fn from_data(d: &ProjectData) -> Self {
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

impl Resource for ProjectView {
    type Data = Project;
    const NAME: &'static str = "project";
    const COLLECTION: &'static str = "/api/v1/projects";
    fn of(record: &Record<Project>) -> Self {
        Self::from(record)
    }
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

impl ProjectQuery {
    /// The repository's filter: of one partnership (or the query's), within the caller's scope.
    fn filter(self, partnership_id: Option<Uuid>, scope: Option<Vec<Uuid>>) -> ProjectFilter {
        ProjectFilter {
            partnership_id,
            call_id: self.call_id,
            programme_id: self.programme_id,
            applicant_organization_id: self.applicant_organization_id,
            measure_id: self.measure_id,
            status: self.status,
            q: self.q,
            include_archived: self.include_archived.unwrap_or(false),
            scope,
        }
    }
}

/// List projects (a partner sees only its own partnerships'). Sortable by `title`, `created_at` (default), `updated_at`.
#[utoipa::path(operation_id = "list_projects", tag = "esif", params(ProjectQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of projects", body = ListResponse<ProjectView>), ListErrors))]
#[get("/projects")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<ProjectQuery>) -> ApiResult {
    let page = query.page()?;
    let partnership_id = query.partnership_id;
    let filter = query.into_inner().filter(partnership_id, who.readable_partnerships().map(<[Uuid]>::to_vec));
    let page = esif::list_projects(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| ProjectView::from(&r))))
}

/// List a partnership's projects. Sortable by `title`, `created_at` (default), `updated_at`.
#[utoipa::path(operation_id = "list_partnership_projects", tag = "esif", params(ProjectQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of projects", body = ListResponse<ProjectView>), ListErrors))]
#[get("/partnerships/{id}/projects")]
pub async fn list_of_partnership(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<ProjectQuery>) -> ApiResult {
    let page = query.page()?;
    service::partnerships::require_readable(state.store.conn(), &who, *id).await?;
    if query.partnership_id.is_some_and(|p| p != *id) {
        return Err(ApiError::bad_request("partnership_id", "conflict", "the path already names the partnership"));
    }
    let page = esif::list_projects(state.store.conn(), &query.into_inner().filter(Some(*id), None), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| ProjectView::from(&r))))
}

create_one! {
    /// Record a project intent of a partnership.
    create: POST "/partnerships/{id}/projects", "create_partnership_project", "esif", ProjectInput => ProjectView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        let applicant = input.applicant_organization_id;
        write::create::<ProjectView>(&state, &who, key, &input, async |s| uc::create(s, *id, applicant, || input.clone().into_data(*id)).await).await
    }
}

get_one! {
    /// Get a project.
    get: GET "/projects/{id}", "get_project", "esif", ProjectView, "The project", Auth,
    |state, who, id| write::read::<ProjectView>(uc::get(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a project before its submission (JSON merge patch).
    update: PATCH "/projects/{id}", "update_project", "esif", ProjectView, "A JSON merge patch of ProjectInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &ProjectData| merge_patch(&ProjectInput::from_data(current), patch.into_inner())?.into_data(current.partnership_id);
        write::update::<ProjectView>(&state, &who, async |s| uc::update(s, *id, &if_match.0, edit).await).await
    }
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

impl StepInput {
    fn into_step(self, action: ProjectAction) -> ApiResult<ProjectStep> {
        self.validate()?;
        Ok(ProjectStep {
            action,
            date: self.date,
            resolution: opt_text(self.resolution),
            working_group_id: self.working_group_id,
            registration_number: opt_text(self.registration_number),
            approved_amount: self.approved_amount,
            note: opt_text(self.note),
        })
    }
}

/// A step of the pipeline: the body is read (400 on its lengths) before anything else.
async fn step(
    state: &AppState,
    who: &domain::access::Principal,
    id: Uuid,
    key: IdempotencyKey,
    if_match: IfMatch,
    action: ProjectAction,
    input: StepInput,
) -> ApiResult {
    let step = input.clone().into_step(action)?;
    write::act::<ProjectView>(state, who, key, action.name(), &input, async |s| uc::take_step(s, id, &if_match.0, step).await).await
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

pub fn configure(cfg: &mut impl crate::routes::Register) {
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
