//! `/organizations`: member organisations and candidates. Public information.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::codelist::OrganizationKind;
use domain::registry::{OrganizationData, Record};
use persistence::organizations::{self, Filter, Organization};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::shapes::delete_one;
use crate::write::{self, Resource};
use service::registry::{self, Organizations};

/// What a client sets on an organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    /// Your own stable key for idempotent imports; unique among organizations.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    /// Full name, e.g. `Město Žlutice`.
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "Město Žlutice")]
    pub name: String,
    pub kind: OrganizationKind,
    /// IČO: 8 digits with a mod-11 check digit (7 digits are padded with a leading zero).
    /// Surrounding blanks are trimmed; an empty or blank value means none.
    #[schema(pattern = "^\\s*([0-9]{7,8})?\\s*$", example = "00255050")]
    #[serde(default)]
    pub ico: Option<String>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub address: Option<String>,
    /// Web site, `http://` or `https://`.
    #[validate(length(max = 500))]
    #[schema(max_length = 500, example = "https://www.zlutice.cz")]
    #[serde(default)]
    pub web: Option<String>,
}

impl OrganizationInput {
    pub(crate) fn into_data(self) -> ApiResult<OrganizationData> {
        self.validate()?;
        Ok(OrganizationData {
            external_ref: opt_text(self.external_ref),
            name: self.name.trim().to_owned(),
            kind: self.kind,
            ico: opt_text(self.ico),
            address: opt_text(self.address),
            web: opt_text(self.web),
        }
        .validate()?)
    }

    pub(crate) fn from_data(d: &OrganizationData) -> Self {
        Self { external_ref: d.external_ref.clone(), name: d.name.clone(), kind: d.kind, ico: d.ico.clone(), address: d.address.clone(), web: d.web.clone() }
    }
}

/// An organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganizationView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: OrganizationInput,
}

impl Resource for OrganizationView {
    type Data = OrganizationData;
    const NAME: &'static str = "organization";
    const COLLECTION: &'static str = "/api/v1/organizations";
    fn of(record: &Record<OrganizationData>) -> Self {
        Self::from(record)
    }
}

impl From<&Organization> for OrganizationView {
    fn from(r: &Organization) -> Self {
        Self { meta: (&r.meta).into(), content: OrganizationInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of the organization list.
    OrganizationQuery {
        /// Text search in name, IČO and address; ignores case and diacritics.
        q: Option<String>,
        kind: Option<OrganizationKind>,
        ico: Option<String>,
        /// Organizations with a membership in this partnership (needs a token that may read the partnership).
        partnership_id: Option<Uuid>,
        external_ref: Option<String>,
        /// Include archived organizations.
        include_archived: Option<bool>,
    }
}

impl From<OrganizationQuery> for Filter {
    fn from(q: OrganizationQuery) -> Self {
        Self {
            q: q.q,
            kind: q.kind,
            ico: q.ico,
            partnership_id: q.partnership_id,
            external_ref: q.external_ref,
            include_archived: q.include_archived.unwrap_or(false),
        }
    }
}

/// List organizations.
///
/// Sortable by `name`, `created_at`, `updated_at` (default `name`).
#[utoipa::path(operation_id = "list_organizations", tag = "organizations", params(OrganizationQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of organizations", body = ListResponse<OrganizationView>), ListErrors))]
#[get("/organizations")]
pub async fn list(state: web::Data<AppState>, MaybeAuth(who): MaybeAuth, query: web::Query<OrganizationQuery>) -> ApiResult {
    let page = query.page()?;
    // Which organizations belong to a partnership is membership data: not public.
    if let Some(partnership_id) = query.partnership_id {
        let who = who.as_ref().ok_or_else(|| ApiError::Unauthorized("filtering by partnership needs a bearer token".into()))?;
        registry::may_filter_by_partnership(who, partnership_id)?;
    }
    let filter = Filter::from(query.into_inner());
    let page = organizations::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| OrganizationView::from(&r))))
}

/// Create an organization.
#[utoipa::path(operation_id = "create_organization", tag = "organizations", request_body = OrganizationInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = OrganizationView, headers(("Location" = String, description = "URL of the new organization"), ("ETag" = String, description = "Current version"))), WriteErrors))]
#[post("/organizations")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, key: IdempotencyKey, body: web::Json<OrganizationInput>) -> ApiResult {
    let input = body.into_inner();
    write::create::<OrganizationView>(&state, &who, key, &input, async |s| registry::create::<Organizations, _>(s, || input.clone().into_data()).await).await
}

/// Get an organization.
#[utoipa::path(operation_id = "get_organization", tag = "organizations", security((), ("bearer" = [])),
    responses((status = 200, description = "The organization", body = OrganizationView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/organizations/{id}")]
pub async fn get(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<OrganizationView>(registry::get::<Organizations>(state.store.conn(), *id).await)
}

/// Update an organization (JSON merge patch).
#[utoipa::path(operation_id = "update_organization", tag = "organizations", request_body(content = serde_json::Value, description = "A JSON merge patch (RFC 7396) of OrganizationInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read; a stale one is refused with 412")),
    security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = OrganizationView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/organizations/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let edit = |current: &OrganizationData| merge_patch(&OrganizationInput::from_data(current), patch.into_inner())?.into_data();
    write::update::<OrganizationView>(&state, &who, async |s| registry::update::<Organizations, _>(s, *id, &if_match.0, edit).await).await
}

delete_one! {
    /// Archive an organization (kept for history, hidden from lists).
    archive: DELETE "/organizations/{id}", "archive_organization", "organizations", "Archived",
    |state, who, id, if_match| write::archive::<OrganizationView>(&state, &who, async |s| registry::archive::<Organizations>(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list).service(create).service(get).service(update).service(archive);
}
