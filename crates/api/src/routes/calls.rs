//! Operational programmes (`/operational-programmes`) and calls for proposals (`/calls`):
//! public reference information, written by admins (and importers, for calls).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::codelist::{CallStatus, Fund, ProgrammingPeriod};
use domain::esif::{CallData, PriorityAxis, ProgrammeData};
use domain::money::Money;
use domain::registry::Record;
use persistence::esif::{self, Call, CallFilter, Programme};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::shapes::{create_one, delete_one, update_one};
use crate::write::{self, Resource};
use service::calls as uc;

/// What an admin sets on an operational programme.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeInput {
    /// e.g. `OPZ`, `IROP`, `OPZ+`; unique.
    #[validate(length(min = 1, max = 30))]
    #[schema(min_length = 1, max_length = 30)]
    pub code: String,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub name_cs: String,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub name_en: String,
    pub period: ProgrammingPeriod,
    pub funds: Vec<Fund>,
    /// Priority axes or specific objectives (e.g. IOP `3.1b`).
    #[serde(default)]
    pub priority_axes: Vec<PriorityAxis>,
}

impl ProgrammeInput {
    fn into_data(self) -> ApiResult<ProgrammeData> {
        self.validate()?;
        Ok(ProgrammeData {
            code: self.code.trim().to_owned(),
            name_cs: self.name_cs,
            name_en: self.name_en,
            period: self.period,
            funds: self.funds,
            priority_axes: self.priority_axes,
        }
        .validate()?)
    }
    fn from_data(d: &ProgrammeData) -> Self {
        Self {
            code: d.code.clone(),
            name_cs: d.name_cs.clone(),
            name_en: d.name_en.clone(),
            period: d.period,
            funds: d.funds.clone(),
            priority_axes: d.priority_axes.clone(),
        }
    }
}

/// An operational programme.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: ProgrammeInput,
}

impl Resource for ProgrammeView {
    type Data = ProgrammeData;
    const NAME: &'static str = "operational_programme";
    const COLLECTION: &'static str = "/api/v1/operational-programmes";
    fn of(record: &Record<ProgrammeData>) -> Self {
        Self::from(record)
    }
}

impl From<&Programme> for ProgrammeView {
    fn from(r: &Programme) -> Self {
        Self { meta: (&r.meta).into(), content: ProgrammeInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of programmes.
    ProgrammeQuery {
        period: Option<ProgrammingPeriod>,
        /// Text search in code and names.
        q: Option<String>,
    }
}

/// List operational programmes (the reference programmes ship with the API). Sortable by `code` (default), `period`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_operational_programmes", tag = "esif", params(ProgrammeQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of programmes", body = ListResponse<ProgrammeView>), ListErrors))]
#[get("/operational-programmes")]
pub async fn list_programmes(state: web::Data<AppState>, _who: MaybeAuth, query: web::Query<ProgrammeQuery>) -> ApiResult {
    let page = query.page()?;
    let page = esif::list_programmes(state.store.conn(), query.period, query.q.as_deref(), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| ProgrammeView::from(&r))))
}

create_one! {
    /// Add an operational programme (admins).
    create_programme: POST "/operational-programmes", "create_operational_programme", "esif", ProgrammeInput => ProgrammeView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create::<ProgrammeView>(&state, &who, key, &input, async |s| uc::create_programme(s, || input.clone().into_data()).await).await
    }
}

/// Get an operational programme.
#[utoipa::path(operation_id = "get_operational_programme", tag = "esif", security((), ("bearer" = [])),
    responses((status = 200, description = "The programme", body = ProgrammeView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/operational-programmes/{id}")]
pub async fn get_programme(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<ProgrammeView>(uc::get_programme(state.store.conn(), *id).await)
}

update_one! {
    /// Update an operational programme (admins; JSON merge patch).
    update_programme: PATCH "/operational-programmes/{id}", "update_operational_programme", "esif", ProgrammeView, "A JSON merge patch of ProgrammeInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &ProgrammeData| merge_patch(&ProgrammeInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<ProgrammeView>(&state, &who, async |s| uc::update_programme(s, *id, &if_match.0, edit).await).await
    }
}

// --- calls ---------------------------------------------------------------------------------

/// What is set on a call for proposals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CallInput {
    /// Your own stable key for idempotent imports; unique among calls.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    pub programme_id: Uuid,
    /// The call's number in its programme, e.g. `052`.
    #[validate(length(min = 1, max = 30))]
    #[schema(min_length = 1, max_length = 30, example = "052")]
    pub number: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500, example = "Podpora sociálního začleňování v SVL")]
    pub title: String,
    /// The specific objective or priority axis code.
    #[validate(length(max = 30))]
    #[schema(max_length = 30)]
    #[serde(default)]
    pub specific_objective: Option<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub allocation: Money,
    /// The smallest requested grant the call accepts.
    #[serde(default)]
    pub min_project: Option<Money>,
    /// The largest requested grant the call accepts.
    #[serde(default)]
    pub max_project: Option<Money>,
    /// The highest share of eligible costs the grant may cover, in basis points (9500 = 95 %).
    #[schema(minimum = 1, maximum = 10000, example = 9500)]
    pub support_rate_bp: i32,
    /// A coordinated-approach (KPSVL) call: only for the partnerships in `open_to`, with a plan in force.
    #[serde(default)]
    pub kpsvl: bool,
    #[serde(default)]
    pub open_to: Vec<Uuid>,
}

impl CallInput {
    pub(crate) fn into_data(self) -> ApiResult<CallData> {
        self.validate()?;
        Ok(CallData {
            external_ref: opt_text(self.external_ref),
            programme_id: self.programme_id,
            number: self.number.trim().to_owned(),
            title: self.title.trim().to_owned(),
            specific_objective: opt_text(self.specific_objective),
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            allocation: self.allocation,
            min_project: self.min_project,
            max_project: self.max_project,
            support_rate_bp: self.support_rate_bp,
            kpsvl: self.kpsvl,
            open_to: self.open_to,
        }
        .validate()?)
    }
    pub(crate) fn from_data(d: &CallData) -> Self {
        Self {
            external_ref: d.external_ref.clone(),
            programme_id: d.programme_id,
            number: d.number.clone(),
            title: d.title.clone(),
            specific_objective: d.specific_objective.clone(),
            opens_at: d.opens_at,
            closes_at: d.closes_at,
            allocation: d.allocation.clone(),
            min_project: d.min_project.clone(),
            max_project: d.max_project.clone(),
            support_rate_bp: d.support_rate_bp,
            kpsvl: d.kpsvl,
            open_to: d.open_to.clone(),
        }
    }
}

/// A call for proposals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    #[serde(flatten)]
    pub meta: MetaView,
    /// Derived from the dates, now: announced, open or closed.
    pub status: CallStatus,
    #[serde(flatten)]
    pub content: CallInput,
}

impl Resource for CallView {
    type Data = CallData;
    const NAME: &'static str = "call";
    const COLLECTION: &'static str = "/api/v1/calls";
    fn of(record: &Record<CallData>) -> Self {
        Self::from(record)
    }
}

impl From<&Call> for CallView {
    fn from(r: &Call) -> Self {
        Self { meta: (&r.meta).into(), status: esif::call_status(r, Utc::now()), content: CallInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of calls.
    CallQuery {
        programme_id: Option<Uuid>,
        period: Option<ProgrammingPeriod>,
        /// Calls accepting applications on this day.
        open_on: Option<NaiveDate>,
        /// Calls a project of this partnership may apply to (every non-KPSVL call, and KPSVL calls open to it).
        open_to_partnership_id: Option<Uuid>,
        kpsvl: Option<bool>,
        /// Text search in number and title.
        q: Option<String>,
        include_archived: Option<bool>,
    }
}

/// List calls. Sortable by `number`, `opens_at`, `closes_at` (default), `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_calls", tag = "esif", params(CallQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of calls", body = ListResponse<CallView>), ListErrors))]
#[get("/calls")]
pub async fn list_calls(state: web::Data<AppState>, _who: MaybeAuth, query: web::Query<CallQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = CallFilter {
        programme_id: q.programme_id,
        period: q.period,
        open_on: q.open_on,
        open_to: q.open_to_partnership_id,
        kpsvl: q.kpsvl,
        q: q.q,
        include_archived: q.include_archived.unwrap_or(false),
    };
    let page = esif::list_calls(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| CallView::from(&r))))
}

create_one! {
    /// Announce a call (admins and importers).
    create_call: POST "/calls", "create_call", "esif", CallInput => CallView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create::<CallView>(&state, &who, key, &input, async |s| uc::create_call(s, || input.clone().into_data()).await).await
    }
}

/// Get a call.
#[utoipa::path(operation_id = "get_call", tag = "esif", security((), ("bearer" = [])),
    responses((status = 200, description = "The call", body = CallView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/calls/{id}")]
pub async fn get_call(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<CallView>(uc::get_call(state.store.conn(), *id).await)
}

update_one! {
    /// Update a call (JSON merge patch).
    update_call: PATCH "/calls/{id}", "update_call", "esif", CallView, "A JSON merge patch of CallInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &CallData| merge_patch(&CallInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<CallView>(&state, &who, async |s| uc::update_call(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a call.
    archive_call: DELETE "/calls/{id}", "archive_call", "esif", "Archived",
    |state, who, id, if_match| write::archive::<CallView>(&state, &who, async |s| uc::archive_call(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_programmes)
        .service(create_programme)
        .service(get_programme)
        .service(update_programme)
        .service(list_calls)
        .service(create_call)
        .service(get_call)
        .service(update_call)
        .service(archive_call);
}
