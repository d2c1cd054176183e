//! Memberships: `/partnerships/{id}/memberships` to add and list a partnership's members,
//! `/memberships` for reporting across partnerships (e.g. by organization), and
//! `/memberships/{id}`. Not public: representatives are personal data.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::registry::{MembershipData, Record, Representative};
use persistence::memberships::{self, Filter, Membership};
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
use service::memberships::Memberships;
use service::records;

/// A person representing the member organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeInput {
    pub person_id: Uuid,
    /// Their function in the partnership, e.g. `starosta`, `terénní pracovník`.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    #[serde(default)]
    pub function: Option<String>,
}

/// What a client sets on a membership.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct MembershipInput {
    pub organization_id: Uuid,
    pub joined_on: NaiveDate,
    /// Set when the organization leaves; not before `joined_on`. History is kept.
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
    #[validate(nested)]
    #[serde(default)]
    pub representatives: Vec<RepresentativeInput>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

impl MembershipInput {
    pub(crate) fn into_data(self, partnership_id: Uuid) -> ApiResult<MembershipData> {
        self.validate()?;
        Ok(MembershipData {
            partnership_id,
            organization_id: self.organization_id,
            joined_on: self.joined_on,
            left_on: self.left_on,
            representatives: self.representatives.into_iter().map(|r| Representative { person_id: r.person_id, function: opt_text(r.function) }).collect(),
            note: opt_text(self.note),
        }
        .validate()?)
    }
    pub(crate) fn from_data(d: &MembershipData) -> Self {
        Self {
            organization_id: d.organization_id,
            joined_on: d.joined_on,
            left_on: d.left_on,
            representatives: d.representatives.iter().map(|r| RepresentativeInput { person_id: r.person_id, function: r.function.clone() }).collect(),
            note: d.note.clone(),
        }
    }
}

/// An organization's membership in a partnership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub partnership_id: Uuid,
    #[serde(flatten)]
    pub content: MembershipInput,
}

impl Resource for MembershipView {
    type Data = MembershipData;
    const NAME: &'static str = "membership";
    const COLLECTION: &'static str = "/api/v1/memberships";
    fn of(record: &Record<MembershipData>) -> Self {
        Self::from(record)
    }
}

impl From<&Membership> for MembershipView {
    fn from(r: &Membership) -> Self {
        Self { meta: (&r.meta).into(), partnership_id: r.data.partnership_id, content: MembershipInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of a partnership's memberships.
    PartnershipMembershipQuery {
        organization_id: Option<Uuid>,
        /// Only memberships in force on this day.
        active_on: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

list_query! {
    /// Filters of memberships across partnerships.
    MembershipQuery {
        partnership_id: Option<Uuid>,
        organization_id: Option<Uuid>,
        /// Only memberships in force on this day.
        active_on: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

/// List a partnership's memberships. Sortable by `joined_on`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_partnership_memberships", tag = "memberships", params(PartnershipMembershipQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of memberships", body = ListResponse<MembershipView>), ListErrors))]
#[get("/partnerships/{id}/memberships")]
pub async fn list_of_partnership(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<PartnershipMembershipQuery>) -> ApiResult {
    let page = query.page()?;
    service::partnerships::require_readable(state.store.conn(), &who, *id).await?;
    let q = query.into_inner();
    let filter = Filter {
        partnership_id: Some(*id),
        organization_id: q.organization_id,
        active_on: q.active_on,
        include_archived: q.include_archived.unwrap_or(false),
        scope: None,
    };
    let page = memberships::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| MembershipView::from(&r))))
}

/// List memberships across partnerships (a partner sees only its own partnerships').
#[utoipa::path(operation_id = "list_memberships", tag = "memberships", params(MembershipQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of memberships", body = ListResponse<MembershipView>), ListErrors))]
#[get("/memberships")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<MembershipQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = Filter {
        partnership_id: q.partnership_id,
        organization_id: q.organization_id,
        active_on: q.active_on,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = memberships::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| MembershipView::from(&r))))
}

create_one! {
    /// Add a member organisation to a partnership.
    create: POST "/partnerships/{id}/memberships", "create_partnership_membership", "memberships", MembershipInput => MembershipView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<MembershipView>(&state, &who, key, &input, async |s| records::create::<Memberships, _>(s, *id, || input.clone().into_data(*id)).await).await
    }
}

get_one! {
    /// Get a membership.
    get: GET "/memberships/{id}", "get_membership", "memberships", MembershipView, "The membership", Auth,
    |state, who, id| write::read::<MembershipView>(records::get::<Memberships>(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a membership (JSON merge patch), e.g. set `left_on` when a member leaves.
    update: PATCH "/memberships/{id}", "update_membership", "memberships", MembershipView, "A JSON merge patch of MembershipInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &MembershipData| merge_patch(&MembershipInput::from_data(current), patch.into_inner())?.into_data(current.partnership_id);
        write::update::<MembershipView>(&state, &who, async |s| records::update::<Memberships, _>(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a membership entered by mistake (a member that leaves gets `left_on` instead).
    archive: DELETE "/memberships/{id}", "archive_membership", "memberships", "Archived",
    |state, who, id, if_match| write::archive::<MembershipView>(&state, &who, async |s| records::archive::<Memberships>(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_of_partnership).service(list).service(create).service(get).service(update).service(archive);
}
