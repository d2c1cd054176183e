//! `/partnerships`: local partnerships and their lifecycle actions. Partnerships are public
//! information; their members, groups and meetings are not (see those modules).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::codelist::{PartnershipStatus, Region};
use domain::partnership::PartnershipAction;
use domain::registry::{PartnershipData, Record};
use persistence::partnerships::{self, Filter, PartnershipRecord};
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
use domain::registry::Partnership;

/// What a client sets on a partnership. The status changes only through the actions
/// `activate`, `hand-over` and `end`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PartnershipInput {
    /// Your own stable key for idempotent imports; unique among partnerships.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "Lokální partnerství Žluticko")]
    pub name: String,
    /// The territorial units the partnership covers (at least one).
    #[schema(min_items = 1)]
    pub territorial_unit_ids: Vec<Uuid>,
    #[serde(serialize_with = "domain::json_date::serialize_option")]
    pub established_on: Option<NaiveDate>,
    /// When the memorandum of cooperation was signed (not after `established_on`).
    #[serde(serialize_with = "domain::json_date::serialize_option")]
    pub memorandum_signed_on: Option<NaiveDate>,
    /// The founding act, e.g. the government resolution.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000, example = "usnesení vlády č. 85 ze dne 23. ledna 2008")]
    #[serde(default)]
    pub founding_act: Option<String>,
    /// Agency consultants (people) assigned to the partnership.
    #[serde(default)]
    pub consultant_ids: Vec<Uuid>,
}

impl PartnershipInput {
    pub(crate) fn into_data(self) -> ApiResult<PartnershipData> {
        self.validate()?;
        Ok(PartnershipData {
            external_ref: opt_text(self.external_ref),
            name: self.name.trim().to_owned(),
            territorial_unit_ids: self.territorial_unit_ids,
            established_on: self.established_on,
            memorandum_signed_on: self.memorandum_signed_on,
            founding_act: opt_text(self.founding_act),
            consultant_ids: self.consultant_ids,
        }
        .validate()?)
    }
    pub(crate) fn from_data(d: &PartnershipData) -> Self {
        Self::from_owned(d.clone())
    }
    /// The input a stored partnership answers to, taking its fields (a list's rows are not
    /// needed after their views are made: no copy of each text and list).
    pub(crate) fn from_owned(d: PartnershipData) -> Self {
        Self {
            external_ref: d.external_ref,
            name: d.name,
            territorial_unit_ids: d.territorial_unit_ids,
            established_on: d.established_on,
            memorandum_signed_on: d.memorandum_signed_on,
            founding_act: d.founding_act,
            consultant_ids: d.consultant_ids,
        }
    }
}

/// A local partnership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnershipView {
    #[serde(flatten)]
    pub meta: MetaView,
    /// forming → active → handed_over → ended, changed only by actions.
    pub status: PartnershipStatus,
    #[serde(flatten)]
    pub content: PartnershipInput,
}

impl Resource for PartnershipView {
    type Data = Partnership;
    const NAME: &'static str = "partnership";
    const COLLECTION: &'static str = "/api/v1/partnerships";
    fn of(record: &Record<Partnership>) -> Self {
        Self::from(record)
    }
}

impl From<&PartnershipRecord> for PartnershipView {
    fn from(r: &PartnershipRecord) -> Self {
        Self::from(r.clone())
    }
}

impl From<PartnershipRecord> for PartnershipView {
    fn from(r: PartnershipRecord) -> Self {
        Self { meta: (&r.meta).into(), status: r.data.status, content: PartnershipInput::from_owned(r.data.data) }
    }
}

list_query! {
    /// Filters of the partnership list.
    PartnershipQuery {
        /// Text search in the name; ignores case and diacritics.
        q: Option<String>,
        status: Option<PartnershipStatus>,
        /// Partnerships covering a territorial unit in this region.
        region: Option<Region>,
        territorial_unit_id: Option<Uuid>,
        /// Partnerships this consultant (person) is assigned to.
        consultant_id: Option<Uuid>,
        external_ref: Option<String>,
        include_archived: Option<bool>,
    }
}

/// List partnerships. Sortable by `name`, `status`, `created_at`, `updated_at` (default `name`).
#[utoipa::path(operation_id = "list_partnerships", tag = "partnerships", params(PartnershipQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of partnerships", body = ListResponse<PartnershipView>), ListErrors))]
#[get("/partnerships")]
pub async fn list(state: web::Data<AppState>, _who: MaybeAuth, query: web::Query<PartnershipQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = Filter {
        q: q.q,
        status: q.status,
        region: q.region,
        territorial_unit_id: q.territorial_unit_id,
        consultant_id: q.consultant_id,
        external_ref: q.external_ref,
        include_archived: q.include_archived.unwrap_or(false),
    };
    let page = partnerships::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, PartnershipView::from)))
}

create_one! {
    /// Create a partnership (admins and importers); it starts in status `forming`.
    create: POST "/partnerships", "create_partnership", "partnerships", PartnershipInput => PartnershipView,
    |state, who, key, body| {
        let input = body.into_inner();
        write::create::<PartnershipView>(&state, &who, key, &input, async |s| service::partnerships::create(s, || input.clone().into_data()).await).await
    }
}

/// Get a partnership.
#[utoipa::path(operation_id = "get_partnership", tag = "partnerships", security((), ("bearer" = [])),
    responses((status = 200, description = "The partnership", body = PartnershipView, headers(("ETag" = String, description = "Current version"),
        ("Link" = String, description = "RFC 8288: the partnership's report page, `</api/v1/partnerships/{id}/report>; rel=\"alternate\"; type=\"text/html\"`"))), ReadErrors))]
#[get("/partnerships/{id}")]
pub async fn get(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    let res = write::read::<PartnershipView>(service::partnerships::get(state.store.conn(), *id).await)?;
    Ok(super::views::with_alternate(res, &[(&format!("/api/v1/partnerships/{id}/report"), super::views::HTML)]))
}

update_one! {
    /// Update a partnership (JSON merge patch); `status` is not patchable.
    update: PATCH "/partnerships/{id}", "update_partnership", "partnerships", PartnershipView, "A JSON merge patch of PartnershipInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &PartnershipData| merge_patch(&PartnershipInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<PartnershipView>(&state, &who, async |s| service::partnerships::update(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a partnership.
    archive: DELETE "/partnerships/{id}", "archive_partnership", "partnerships", "Archived",
    |state, who, id, if_match| write::archive::<PartnershipView>(&state, &who, async |s| service::partnerships::archive(s, *id, &if_match.0).await).await
}

/// A step of the partnership's lifecycle: 200 with the partnership after it.
async fn act(state: &AppState, who: &domain::access::Principal, id: Uuid, key: IdempotencyKey, if_match: IfMatch, action: PartnershipAction) -> ApiResult {
    let run = async |s: &service::Session<'_>| service::partnerships::take_step(s, id, &if_match.0, action).await;
    write::act::<PartnershipView>(state, who, key, action.name(), &action.name(), run).await
}

/// Activate a forming partnership (forming → active).
#[utoipa::path(operation_id = "activate_partnership", tag = "partnerships", params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The partnership, now active", body = PartnershipView), WriteErrors))]
#[post("/partnerships/{id}/activate")]
pub async fn activate(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch) -> ApiResult {
    act(&state, &who, *id, key, if_match, PartnershipAction::Activate).await
}

/// Hand the partnership over to the municipality (active → handed_over).
#[utoipa::path(operation_id = "hand_over_partnership", tag = "partnerships", params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The partnership, now handed over", body = PartnershipView), WriteErrors))]
#[post("/partnerships/{id}/hand-over")]
pub async fn hand_over(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch) -> ApiResult {
    act(&state, &who, *id, key, if_match, PartnershipAction::HandOver).await
}

/// End the partnership (from forming, active or handed_over).
#[utoipa::path(operation_id = "end_partnership", tag = "partnerships", params(("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The partnership, now ended", body = PartnershipView), WriteErrors))]
#[post("/partnerships/{id}/end")]
pub async fn end(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, if_match: IfMatch) -> ApiResult {
    act(&state, &who, *id, key, if_match, PartnershipAction::End).await
}

// The old guards below stay until every handler has moved onto the access policy
// (`service::Session::allow`); the lead removes them.

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list).service(create).service(get).service(update).service(archive).service(activate).service(hand_over).service(end);
}
