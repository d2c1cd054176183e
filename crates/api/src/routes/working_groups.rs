//! Working groups: `/partnerships/{id}/working-groups`, `/working-groups` (across
//! partnerships) and `/working-groups/{id}`. Not public: members are people.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::codelist::ThematicArea;
use domain::registry::{Record, WorkingGroupData};
use persistence::working_groups::{self, Filter, WorkingGroup};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::MetaView;
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::write::{self, Resource};
use service::records;
use service::working_groups::WorkingGroups;

/// What a client sets on a working group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WorkingGroupInput {
    pub thematic_area: ThematicArea,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "Pracovní skupina Bydlení")]
    pub name: String,
    /// The person who coordinates the group.
    #[serde(default)]
    pub coordinator_id: Option<Uuid>,
    /// The people in the group.
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
}

impl WorkingGroupInput {
    fn into_data(self, partnership_id: Uuid) -> ApiResult<WorkingGroupData> {
        self.validate()?;
        Ok(WorkingGroupData {
            partnership_id,
            thematic_area: self.thematic_area,
            name: self.name.trim().to_owned(),
            coordinator_id: self.coordinator_id,
            member_ids: self.member_ids,
        }
        .validate()?)
    }
    fn from_data(d: &WorkingGroupData) -> Self {
        Self { thematic_area: d.thematic_area, name: d.name.clone(), coordinator_id: d.coordinator_id, member_ids: d.member_ids.clone() }
    }
}

/// A working group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkingGroupView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub partnership_id: Uuid,
    #[serde(flatten)]
    pub content: WorkingGroupInput,
}

impl Resource for WorkingGroupView {
    type Data = WorkingGroupData;
    const NAME: &'static str = "working_group";
    const COLLECTION: &'static str = "/api/v1/working-groups";
    fn of(record: &Record<WorkingGroupData>) -> Self {
        Self::from(record)
    }
}

impl From<&WorkingGroup> for WorkingGroupView {
    fn from(r: &WorkingGroup) -> Self {
        Self { meta: (&r.meta).into(), partnership_id: r.data.partnership_id, content: WorkingGroupInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of working groups.
    WorkingGroupQuery {
        partnership_id: Option<Uuid>,
        thematic_area: Option<ThematicArea>,
        /// Text search in the name; ignores case and diacritics.
        q: Option<String>,
        include_archived: Option<bool>,
    }
}

list_query! {
    /// Filters of a partnership's working groups.
    PartnershipWorkingGroupQuery {
        thematic_area: Option<ThematicArea>,
        q: Option<String>,
        include_archived: Option<bool>,
    }
}

/// List a partnership's working groups. Sortable by `name`, `thematic_area`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_partnership_working_groups", tag = "working-groups", params(PartnershipWorkingGroupQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of working groups", body = ListResponse<WorkingGroupView>), ListErrors))]
#[get("/partnerships/{id}/working-groups")]
pub async fn list_of_partnership(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    query: web::Query<PartnershipWorkingGroupQuery>,
) -> ApiResult {
    let page = query.page()?;
    service::partnerships::require_readable(state.store.conn(), &who, *id).await?;
    let q = query.into_inner();
    let filter =
        Filter { partnership_id: Some(*id), thematic_area: q.thematic_area, q: q.q, include_archived: q.include_archived.unwrap_or(false), scope: None };
    let page = working_groups::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| WorkingGroupView::from(&r))))
}

/// List working groups across partnerships (a partner sees only its own partnerships').
#[utoipa::path(operation_id = "list_working_groups", tag = "working-groups", params(WorkingGroupQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of working groups", body = ListResponse<WorkingGroupView>), ListErrors))]
#[get("/working-groups")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<WorkingGroupQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = Filter {
        partnership_id: q.partnership_id,
        thematic_area: q.thematic_area,
        q: q.q,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = working_groups::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| WorkingGroupView::from(&r))))
}

/// Create a working group in a partnership.
#[utoipa::path(operation_id = "create_partnership_working_group", tag = "working-groups", request_body = WorkingGroupInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = WorkingGroupView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/partnerships/{id}/working-groups")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, key: IdempotencyKey, body: web::Json<WorkingGroupInput>) -> ApiResult {
    let input = body.into_inner();
    write::create::<WorkingGroupView>(&state, &who, key, &input, async |s| records::create::<WorkingGroups, _>(s, *id, || input.clone().into_data(*id)).await)
        .await
}

/// Get a working group.
#[utoipa::path(operation_id = "get_working_group", tag = "working-groups", security(("bearer" = [])),
    responses((status = 200, description = "The working group", body = WorkingGroupView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/working-groups/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<WorkingGroupView>(records::get::<WorkingGroups>(state.store.conn(), &who, *id).await)
}

/// Update a working group (JSON merge patch).
#[utoipa::path(operation_id = "update_working_group", tag = "working-groups", request_body(content = serde_json::Value, description = "A JSON merge patch of WorkingGroupInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = WorkingGroupView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/working-groups/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    let edit = |current: &WorkingGroupData| merge_patch(&WorkingGroupInput::from_data(current), patch.into_inner())?.into_data(current.partnership_id);
    write::update::<WorkingGroupView>(&state, &who, async |s| records::update::<WorkingGroups, _>(s, *id, &if_match.0, edit).await).await
}

/// Archive a working group.
#[utoipa::path(operation_id = "archive_working_group", tag = "working-groups", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/working-groups/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    write::archive::<WorkingGroupView>(&state, &who, async |s| records::archive::<WorkingGroups>(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_of_partnership).service(list).service(create).service(get).service(update).service(archive);
}
