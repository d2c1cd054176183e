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

use super::{MetaView, opt_text};
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::shapes::{create_one, delete_one, get_one, update_one};
use crate::write::{self, Resource};
use service::records;
use service::working_groups::WorkingGroups;

/// What a client sets on a working group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WorkingGroupInput {
    /// Your own stable key for idempotent imports; unique among working groups.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
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
    pub(crate) fn into_data(self, partnership_id: Uuid) -> ApiResult<WorkingGroupData> {
        self.validate()?;
        Ok(WorkingGroupData {
            external_ref: opt_text(self.external_ref),
            partnership_id,
            thematic_area: self.thematic_area,
            name: self.name.trim().to_owned(),
            coordinator_id: self.coordinator_id,
            member_ids: self.member_ids,
        }
        .validate()?)
    }
    pub(crate) fn from_data(d: &WorkingGroupData) -> Self {
        Self {
            external_ref: d.external_ref.clone(),
            thematic_area: d.thematic_area,
            name: d.name.clone(),
            coordinator_id: d.coordinator_id,
            member_ids: d.member_ids.clone(),
        }
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
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| WorkingGroupView::from(&r))))
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
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| WorkingGroupView::from(&r))))
}

create_one! {
    /// Create a working group in a partnership.
    create: POST "/partnerships/{id}/working-groups", "create_partnership_working_group", "working-groups", WorkingGroupInput => WorkingGroupView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<WorkingGroupView>(&state, &who, key, &input, async |s| records::create::<WorkingGroups, _>(s, *id, || input.clone().into_data(*id)).await)
            .await
    }
}

get_one! {
    /// Get a working group.
    get: GET "/working-groups/{id}", "get_working_group", "working-groups", WorkingGroupView, "The working group", Auth,
    |state, who, id| write::read::<WorkingGroupView>(records::get::<WorkingGroups>(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a working group (JSON merge patch).
    update: PATCH "/working-groups/{id}", "update_working_group", "working-groups", WorkingGroupView, "A JSON merge patch of WorkingGroupInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &WorkingGroupData| merge_patch(&WorkingGroupInput::from_data(current), patch.into_inner())?.into_data(current.partnership_id);
        write::update::<WorkingGroupView>(&state, &who, async |s| records::update::<WorkingGroups, _>(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a working group.
    archive: DELETE "/working-groups/{id}", "archive_working_group", "working-groups", "Archived",
    |state, who, id, if_match| write::archive::<WorkingGroupView>(&state, &who, async |s| records::archive::<WorkingGroups>(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_of_partnership).service(list).service(create).service(get).service(update).service(archive);
}
