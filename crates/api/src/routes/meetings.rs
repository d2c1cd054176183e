//! Meetings (`/partnerships/{id}/meetings`, `/meetings`, `/meetings/{id}`) and their action
//! items (`/meetings/{id}/action-items`, `/action-items`, `/action-items/{id}`). Not public:
//! attendance is personal data.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::codelist::{ActionItemStatus, AttendanceStatus};
use domain::registry::{ActionItemData, Attendance, MeetingData, Record, Resolution};
use persistence::meetings::{self, ActionItem, ActionItemFilter, Filter, Meeting};
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
use service::meetings::{self as use_cases, Meetings};
use service::records;

/// One person's attendance.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub person_id: Uuid,
    pub status: AttendanceStatus,
}

/// A numbered resolution adopted at the meeting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ResolutionInput {
    /// Unique within the meeting, from 1.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub number: i32,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub text: String,
}

/// What a client sets on a meeting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// Your own stable key for idempotent imports; unique among meetings.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    /// The working group meeting, or `null` for a meeting of the whole partnership.
    #[serde(default)]
    pub working_group_id: Option<Uuid>,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "První oficiální setkání")]
    pub title: String,
    pub starts_at: DateTime<Utc>,
    /// Not before `starts_at`.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub place: Option<String>,
    /// Agenda items in order.
    #[serde(default)]
    pub agenda: Vec<String>,
    /// The minutes (zápis).
    #[validate(length(max = 100000))]
    #[schema(max_length = 100000)]
    #[serde(default)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub attendance: Vec<AttendanceInput>,
    #[validate(nested)]
    #[serde(default)]
    pub resolutions: Vec<ResolutionInput>,
}

impl MeetingInput {
    pub(crate) fn into_data(self, partnership_id: Uuid) -> ApiResult<MeetingData> {
        self.validate()?;
        Ok(MeetingData {
            external_ref: opt_text(self.external_ref),
            partnership_id,
            working_group_id: self.working_group_id,
            title: self.title.trim().to_owned(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            place: opt_text(self.place),
            agenda: self.agenda.into_iter().map(|a| a.trim().to_owned()).collect(),
            minutes: opt_text(self.minutes),
            attendance: self.attendance.into_iter().map(|a| Attendance { person_id: a.person_id, status: a.status }).collect(),
            resolutions: self.resolutions.into_iter().map(|r| Resolution { number: r.number, text: r.text.trim().to_owned() }).collect(),
        }
        .validate()?)
    }
    pub(crate) fn from_data(d: &MeetingData) -> Self {
        Self {
            external_ref: d.external_ref.clone(),
            working_group_id: d.working_group_id,
            title: d.title.clone(),
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            place: d.place.clone(),
            agenda: d.agenda.clone(),
            minutes: d.minutes.clone(),
            attendance: d.attendance.iter().map(|a| AttendanceInput { person_id: a.person_id, status: a.status }).collect(),
            resolutions: d.resolutions.iter().map(|r| ResolutionInput { number: r.number, text: r.text.clone() }).collect(),
        }
    }
}

/// A meeting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub partnership_id: Uuid,
    #[serde(flatten)]
    pub content: MeetingInput,
}

impl Resource for MeetingView {
    type Data = MeetingData;
    const NAME: &'static str = "meeting";
    const COLLECTION: &'static str = "/api/v1/meetings";
    fn of(record: &Record<MeetingData>) -> Self {
        Self::from(record)
    }
}

impl From<&Meeting> for MeetingView {
    fn from(r: &Meeting) -> Self {
        Self { meta: (&r.meta).into(), partnership_id: r.data.partnership_id, content: MeetingInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of meetings across partnerships.
    MeetingQuery {
        partnership_id: Option<Uuid>,
        working_group_id: Option<Uuid>,
        /// Meetings starting at or after this time.
        from: Option<DateTime<Utc>>,
        /// Meetings starting before this time.
        to: Option<DateTime<Utc>>,
        /// Text search in title and place; ignores case and diacritics.
        q: Option<String>,
        include_archived: Option<bool>,
    }
}

list_query! {
    /// Filters of a partnership's meetings.
    PartnershipMeetingQuery {
        working_group_id: Option<Uuid>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        q: Option<String>,
        include_archived: Option<bool>,
    }
}

/// A time window of a list: 400 when it ends before it starts.
fn check_range(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> ApiResult<()> {
    match (from, to) {
        (Some(f), Some(t)) if t < f => Err(crate::error::ApiError::bad_request("to", "before_start", "`to` is before `from`")),
        _ => Ok(()),
    }
}

/// List a partnership's meetings. Sortable by `starts_at` (default), `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_partnership_meetings", tag = "meetings", params(PartnershipMeetingQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of meetings", body = ListResponse<MeetingView>), ListErrors))]
#[get("/partnerships/{id}/meetings")]
pub async fn list_of_partnership(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<PartnershipMeetingQuery>) -> ApiResult {
    let page = query.page()?;
    service::partnerships::require_readable(state.store.conn(), &who, *id).await?;
    check_range(query.from, query.to)?;
    let q = query.into_inner();
    let filter = Filter {
        partnership_id: Some(*id),
        working_group_id: q.working_group_id,
        from: q.from,
        to: q.to,
        q: q.q,
        include_archived: q.include_archived.unwrap_or(false),
        scope: None,
    };
    let page = meetings::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| MeetingView::from(&r))))
}

/// List meetings across partnerships (a partner sees only its own partnerships').
#[utoipa::path(operation_id = "list_meetings", tag = "meetings", params(MeetingQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of meetings", body = ListResponse<MeetingView>), ListErrors))]
#[get("/meetings")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<MeetingQuery>) -> ApiResult {
    let page = query.page()?;
    check_range(query.from, query.to)?;
    let q = query.into_inner();
    let filter = Filter {
        partnership_id: q.partnership_id,
        working_group_id: q.working_group_id,
        from: q.from,
        to: q.to,
        q: q.q,
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = meetings::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| MeetingView::from(&r))))
}

create_one! {
    /// Record a meeting of a partnership (or of one of its working groups).
    create: POST "/partnerships/{id}/meetings", "create_partnership_meeting", "meetings", MeetingInput => MeetingView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<MeetingView>(&state, &who, key, &input, async |s| records::create::<Meetings, _>(s, *id, || input.clone().into_data(*id)).await).await
    }
}

get_one! {
    /// Get a meeting.
    get: GET "/meetings/{id}", "get_meeting", "meetings", MeetingView, "The meeting", Auth,
    |state, who, id| write::read::<MeetingView>(records::get::<Meetings>(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update a meeting (JSON merge patch), e.g. add the minutes and attendance afterwards.
    update: PATCH "/meetings/{id}", "update_meeting", "meetings", MeetingView, "A JSON merge patch of MeetingInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &MeetingData| merge_patch(&MeetingInput::from_data(current), patch.into_inner())?.into_data(current.partnership_id);
        write::update::<MeetingView>(&state, &who, async |s| records::update::<Meetings, _>(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a meeting.
    archive: DELETE "/meetings/{id}", "archive_meeting", "meetings", "Archived",
    |state, who, id, if_match| write::archive::<MeetingView>(&state, &who, async |s| records::archive::<Meetings>(s, *id, &if_match.0).await).await
}

// --- action items ----------------------------------------------------------------------

/// What a client sets on an action item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ActionItemInput {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub title: String,
    /// The person responsible.
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Defaults to `open`.
    #[serde(default = "open")]
    pub status: ActionItemStatus,
}

fn open() -> ActionItemStatus {
    ActionItemStatus::Open
}

impl ActionItemInput {
    fn into_data(self, meeting_id: Uuid) -> ApiResult<ActionItemData> {
        self.validate()?;
        Ok(ActionItemData { meeting_id, title: self.title.trim().to_owned(), owner_id: self.owner_id, due_on: self.due_on, status: self.status }.validate()?)
    }
    fn from_data(d: &ActionItemData) -> Self {
        Self { title: d.title.clone(), owner_id: d.owner_id, due_on: d.due_on, status: d.status }
    }
}

/// An action item (úkol) from a meeting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionItemView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub meeting_id: Uuid,
    #[serde(flatten)]
    pub content: ActionItemInput,
    /// Open and past its due date, as of today (UTC), or as of `as_of` in a list.
    pub overdue: bool,
}

impl ActionItemView {
    /// The view with `overdue` judged on `as_of`.
    fn on(r: &ActionItem, as_of: NaiveDate) -> Self {
        Self { meta: (&r.meta).into(), meeting_id: r.data.meeting_id, content: ActionItemInput::from_data(&r.data), overdue: r.data.is_overdue_on(as_of) }
    }
}

impl Resource for ActionItemView {
    type Data = ActionItemData;
    const NAME: &'static str = "action_item";
    const COLLECTION: &'static str = "/api/v1/action-items";
    fn of(record: &Record<ActionItemData>) -> Self {
        Self::from(record)
    }
}

impl From<&ActionItem> for ActionItemView {
    fn from(r: &ActionItem) -> Self {
        Self::on(r, Utc::now().date_naive())
    }
}

list_query! {
    /// Filters of action items.
    ActionItemQuery {
        partnership_id: Option<Uuid>,
        meeting_id: Option<Uuid>,
        /// Items owned by this person.
        owner_id: Option<Uuid>,
        status: Option<ActionItemStatus>,
        /// `true`: only open items past their due date.
        overdue: Option<bool>,
        /// The day `overdue` is judged on (default today, UTC).
        as_of: Option<NaiveDate>,
        include_archived: Option<bool>,
    }
}

/// List action items across partnerships. Sortable by `title`, `created_at` (default), `updated_at`.
#[utoipa::path(operation_id = "list_action_items", tag = "meetings", params(ActionItemQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of action items", body = ListResponse<ActionItemView>), ListErrors))]
#[get("/action-items")]
pub async fn list_items(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<ActionItemQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let filter = ActionItemFilter {
        partnership_id: q.partnership_id,
        meeting_id: q.meeting_id,
        owner_id: q.owner_id,
        status: q.status,
        overdue_on: q.overdue.unwrap_or(false).then_some(as_of),
        include_archived: q.include_archived.unwrap_or(false),
        scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
    };
    let page = meetings::list_items(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| ActionItemView::on(&r, as_of))))
}

create_one! {
    /// Add an action item to a meeting.
    create_item: POST "/meetings/{id}/action-items", "create_meeting_action_item", "meetings", ActionItemInput => ActionItemView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<ActionItemView>(&state, &who, key, &input, async |s| use_cases::create_item(s, *id, || input.clone().into_data(*id)).await).await
    }
}

get_one! {
    /// Get an action item.
    get_item: GET "/action-items/{id}", "get_action_item", "meetings", ActionItemView, "The action item", Auth,
    |state, who, id| write::read::<ActionItemView>(use_cases::get_item(state.store.conn(), &who, *id).await)
}

update_one! {
    /// Update an action item (JSON merge patch), e.g. `{"status": "done"}`.
    update_item: PATCH "/action-items/{id}", "update_action_item", "meetings", ActionItemView, "A JSON merge patch of ActionItemInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &ActionItemData| merge_patch(&ActionItemInput::from_data(current), patch.into_inner())?.into_data(current.meeting_id);
        write::update::<ActionItemView>(&state, &who, async |s| use_cases::update_item(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive an action item.
    archive_item: DELETE "/action-items/{id}", "archive_action_item", "meetings", "Archived",
    |state, who, id, if_match| write::archive::<ActionItemView>(&state, &who, async |s| use_cases::archive_item(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list_of_partnership)
        .service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(archive)
        .service(list_items)
        .service(create_item)
        .service(get_item)
        .service(update_item)
        .service(archive_item);
}
