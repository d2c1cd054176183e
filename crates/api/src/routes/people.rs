//! `/people`: personal data. Never readable without a token; a partner sees only the people
//! connected to its own partnerships; nothing here is ever logged.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::registry::{PersonData, Record};
use persistence::people::{self, Filter, Person};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::write::{self, Resource};
use service::registry::{self, People};

/// What a client sets on a person.
#[derive(Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Your own stable key for idempotent imports; unique among people.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    #[serde(default)]
    pub email: Option<String>,
    /// At least 9 digits; digits, spaces and `+ - ( ) /` only.
    #[validate(length(max = 40))]
    #[schema(max_length = 40)]
    #[serde(default)]
    pub phone: Option<String>,
    /// The organization the person works for.
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    #[serde(default)]
    pub job_title: Option<String>,
}

// Personal data: Debug shows nothing but that it is hidden, so that it never reaches a log.
impl std::fmt::Debug for PersonInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonInput { .. }")
    }
}

impl PersonInput {
    fn into_data(self) -> ApiResult<PersonData> {
        self.validate()?;
        Ok(PersonData {
            external_ref: opt_text(self.external_ref),
            name: self.name.trim().to_owned(),
            email: opt_text(self.email),
            phone: opt_text(self.phone),
            organization_id: self.organization_id,
            job_title: opt_text(self.job_title),
        }
        .validate()?)
    }
    fn from_data(d: &PersonData) -> Self {
        Self {
            external_ref: d.external_ref.clone(),
            name: d.name.clone(),
            email: d.email.clone(),
            phone: d.phone.clone(),
            organization_id: d.organization_id,
            job_title: d.job_title.clone(),
        }
    }
}

/// A person.
#[derive(Clone, Serialize, ToSchema)]
pub struct PersonView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: PersonInput,
}

impl Resource for PersonView {
    type Data = PersonData;
    const NAME: &'static str = "person";
    const COLLECTION: &'static str = "/api/v1/people";
    fn of(record: &Record<PersonData>) -> Self {
        Self::from(record)
    }
}

impl From<&Person> for PersonView {
    fn from(r: &Person) -> Self {
        Self { meta: (&r.meta).into(), content: PersonInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of the people list.
    PersonQuery {
        /// Text search in name, e-mail and job title; ignores case and diacritics.
        q: Option<String>,
        organization_id: Option<Uuid>,
        external_ref: Option<String>,
        include_archived: Option<bool>,
    }
}

/// List people (a partner sees only people of its partnerships). Sortable by `name`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_people", tag = "people", params(PersonQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of people", body = ListResponse<PersonView>), ListErrors))]
#[get("/people")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<PersonQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = Filter {
        q: q.q,
        organization_id: q.organization_id,
        external_ref: q.external_ref,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = people::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| PersonView::from(&r))))
}

/// Create a person.
#[utoipa::path(operation_id = "create_person", tag = "people", request_body = PersonInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PersonView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/people")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, key: IdempotencyKey, body: web::Json<PersonInput>) -> ApiResult {
    let input = body.into_inner();
    write::create::<PersonView>(&state, &who, key, &input, async |s| registry::create::<People, _>(s, || input.clone().into_data()).await).await
}

/// Get a person.
#[utoipa::path(operation_id = "get_person", tag = "people", security(("bearer" = [])),
    responses((status = 200, description = "The person", body = PersonView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/people/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<PersonView>(registry::get_person(state.store.conn(), &who, *id).await)
}

/// Update a person (JSON merge patch).
#[utoipa::path(operation_id = "update_person", tag = "people", request_body(content = serde_json::Value, description = "A JSON merge patch of PersonInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = PersonView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/people/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let edit = |current: &PersonData| merge_patch(&PersonInput::from_data(current), patch.into_inner())?.into_data();
    write::update::<PersonView>(&state, &who, async |s| registry::update_person(s, *id, &if_match.0, edit).await).await
}

/// Archive a person.
#[utoipa::path(operation_id = "archive_person", tag = "people", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/people/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    write::archive::<PersonView>(&state, &who, async |s| registry::archive_person(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(get).service(update).service(archive);
}
