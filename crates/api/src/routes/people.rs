//! `/people`: personal data. Never readable without a token; a partner sees only the people
//! connected to its own partnerships; nothing here is ever logged.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::access::Principal;
use domain::registry::PersonData;
use persistence::people::{self, Filter, Person};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, Begun, IdempotencyKey, IfMatch, ListResponse, Unit, guard_registry_write, list_query, merge_patch, ok_versioned};

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
    guard_registry_write(&who)?;
    let input = body.into_inner();
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    let created = people::create(unit.tx(), input.into_data()?).await?;
    let view = PersonView::from(&created);
    unit.created("person", created.meta.id, created.meta.version, format!("/api/v1/people/{}", created.meta.id), &view).await
}

/// Get a person.
#[utoipa::path(operation_id = "get_person", tag = "people", security(("bearer" = [])),
    responses((status = 200, description = "The person", body = PersonView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/people/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let found = people::get(state.store.conn(), *id, who.readable_partnerships()).await?;
    Ok(ok_versioned(found.meta.version, &PersonView::from(&found)))
}

/// Update a person (JSON merge patch).
#[utoipa::path(operation_id = "update_person", tag = "people", request_body(content = serde_json::Value, description = "A JSON merge patch of PersonInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = PersonView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/people/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = people::get(unit.tx().conn(), *id, who.readable_partnerships()).await?;
    guard_registry_write(&who)?;
    ensure_may_edit(unit.tx().conn(), &who, current.meta.id).await?;
    let data = merge_patch(&PersonInput::from_data(&current.data), patch.into_inner())?.into_data()?;
    if_match.check(current.meta.version)?;
    let updated = people::update(unit.tx(), &current, data).await?;
    unit.changed("update", "person", current.meta.id, updated.meta.version, &PersonView::from(&current), &PersonView::from(&updated)).await
}

/// Archive a person.
#[utoipa::path(operation_id = "archive_person", tag = "people", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/people/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    let unit = Unit::begin(&state, &who).await?;
    let current = people::get(unit.tx().conn(), *id, who.readable_partnerships()).await?;
    guard_registry_write(&who)?;
    ensure_may_edit(unit.tx().conn(), &who, current.meta.id).await?;
    if_match.check(current.meta.version)?;
    let archived = people::archive(unit.tx(), &current).await?;
    unit.archived("person", current.meta.id, &PersonView::from(&current), &PersonView::from(&archived)).await
}

/// 403 unless the caller may change this person: a consultant only people its partnerships'
/// records name, or people no partnership's records name yet.
async fn ensure_may_edit(conn: &impl persistence::ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<()> {
    if who.may_edit_person(people::tie(conn, id, &who.partnerships).await?) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this person appears only in other partnerships' records; their consultants maintain them".into()))
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(get).service(update).service(archive);
}
