//! Project counselling records (`/counselling-records`): consultants and admins write;
//! partners read their own partnerships' records.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use domain::esif::CounsellingData;
use domain::registry::Record;
use persistence::esif::{self, Counselling, CounsellingFilter};
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
use service::counselling as uc;

/// What a consultant records.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CounsellingInput {
    pub partnership_id: Uuid,
    /// The consultant (a person).
    pub consultant_id: Uuid,
    /// The organizations counselled.
    #[serde(default)]
    pub organization_ids: Vec<Uuid>,
    pub held_on: NaiveDate,
    /// 1–1440.
    #[schema(minimum = 1, maximum = 1440)]
    pub duration_minutes: i32,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub topic: String,
    #[serde(default)]
    pub call_id: Option<Uuid>,
    #[serde(default)]
    pub project_id: Option<Uuid>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    #[serde(default)]
    pub notes: Option<String>,
}

impl CounsellingInput {
    /// The record the input describes; the use case judges it
    /// ([`CounsellingData::validate_on`]).
    fn into_data(self) -> ApiResult<CounsellingData> {
        self.validate()?;
        Ok(CounsellingData {
            partnership_id: self.partnership_id,
            consultant_id: self.consultant_id,
            organization_ids: self.organization_ids,
            held_on: self.held_on,
            duration_minutes: self.duration_minutes,
            topic: self.topic.trim().to_owned(),
            call_id: self.call_id,
            project_id: self.project_id,
            notes: opt_text(self.notes),
        })
    }
    fn from_data(d: &CounsellingData) -> Self {
        Self {
            partnership_id: d.partnership_id,
            consultant_id: d.consultant_id,
            organization_ids: d.organization_ids.clone(),
            held_on: d.held_on,
            duration_minutes: d.duration_minutes,
            topic: d.topic.clone(),
            call_id: d.call_id,
            project_id: d.project_id,
            notes: d.notes.clone(),
        }
    }
}

/// A counselling record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CounsellingView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: CounsellingInput,
}

impl Resource for CounsellingView {
    type Data = CounsellingData;
    const NAME: &'static str = "counselling_record";
    const COLLECTION: &'static str = "/api/v1/counselling-records";
    fn of(record: &Record<CounsellingData>) -> Self {
        Self::from(record)
    }
}

impl From<&Counselling> for CounsellingView {
    fn from(r: &Counselling) -> Self {
        Self { meta: (&r.meta).into(), content: CounsellingInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of counselling records.
    CounsellingQuery {
        partnership_id: Option<Uuid>,
        consultant_id: Option<Uuid>,
        project_id: Option<Uuid>,
        call_id: Option<Uuid>,
        /// Held on or after.
        from: Option<NaiveDate>,
        /// Held on or before.
        to: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

/// List counselling records (a partner sees only its own partnerships'). Sortable by `held_on` (default), `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_counselling_records", tag = "esif", params(CounsellingQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of records", body = ListResponse<CounsellingView>), ListErrors))]
#[get("/counselling-records")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<CounsellingQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = CounsellingFilter {
        partnership_id: q.partnership_id,
        consultant_id: q.consultant_id,
        project_id: q.project_id,
        call_id: q.call_id,
        from: q.from,
        to: q.to,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = esif::list_counselling(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| CounsellingView::from(&r))))
}

create_one! {
    /// Record a counselling session.
    create: POST "/counselling-records", "create_counselling_record", "esif", CounsellingInput => CounsellingView,
    |state, who, key, body| {
        let input = body.into_inner();
        let partnership = input.partnership_id;
        write::create::<CounsellingView>(&state, &who, key, &input, async |s| uc::create(s, partnership, || input.clone().into_data()).await).await
    }
}

get_one! {
    /// Get a counselling record.
    get: GET "/counselling-records/{id}", "get_counselling_record", "esif", CounsellingView, "The record", Auth,
    |state, who, id| write::read::<CounsellingView>(uc::get(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a counselling record (JSON merge patch).
    update: PATCH "/counselling-records/{id}", "update_counselling_record", "esif", CounsellingView, "A JSON merge patch of CounsellingInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &CounsellingData| merge_patch(&CounsellingInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<CounsellingView>(&state, &who, async |s| uc::update(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a counselling record.
    archive: DELETE "/counselling-records/{id}", "archive_counselling_record", "esif", "Archived",
    |state, who, id, if_match| write::archive::<CounsellingView>(&state, &who, async |s| uc::archive(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list).service(create).service(get).service(update).service(archive);
}
