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
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
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
    pub(crate) fn into_data(self) -> ApiResult<PersonData> {
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
    pub(crate) fn from_data(d: &PersonData) -> Self {
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
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| PersonView::from(&r))))
}

create_one! {
    /// Create a person.
    create: POST "/people", "create_person", "people", PersonInput => PersonView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create::<PersonView>(&state, &who, key, &input, async |s| registry::create::<People, _>(s, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a person.
    get: GET "/people/{id}", "get_person", "people", PersonView, "The person", Auth,
    |state, who, id| write::read::<PersonView>(registry::get_person(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a person (JSON merge patch).
    update: PATCH "/people/{id}", "update_person", "people", PersonView, "A JSON merge patch of PersonInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &PersonData| merge_patch(&PersonInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<PersonView>(&state, &who, async |s| registry::update_person(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a person.
    archive: DELETE "/people/{id}", "archive_person", "people", "Archived",
    |state, who, id, if_match| write::archive::<PersonView>(&state, &who, async |s| registry::archive_person(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list).service(create).service(get).service(update).service(archive);
}
