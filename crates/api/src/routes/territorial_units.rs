//! `/territorial-units` and their `/excluded-localities`. Public information.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::codelist::{Region, TerritorialUnitKind};
use domain::registry::{ExcludedLocalityData, TerritorialUnitData};
use persistence::territorial_units::{self as units, ExcludedLocality, Filter, TerritorialUnit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{MetaView, opt_text};
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, Begun, IdempotencyKey, IfMatch, ListResponse, Unit, guard_registry_write, list_query, merge_patch, ok_versioned};

/// What a client sets on a territorial unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TerritorialUnitInput {
    /// Your own stable key for idempotent imports; unique among territorial units.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default)]
    pub external_ref: Option<String>,
    pub kind: TerritorialUnitKind,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "Žlutice")]
    pub name: String,
    /// The Czech Statistical Office's 6-digit code (ZÚJ); municipalities and towns only.
    #[schema(pattern = "^[0-9]{6}$", example = "555771")]
    #[serde(default)]
    pub municipality_code: Option<String>,
    /// NUTS 3 code of the region (kraj).
    pub region: Region,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    #[serde(default)]
    pub population: Option<i64>,
}

impl TerritorialUnitInput {
    fn into_data(self) -> ApiResult<TerritorialUnitData> {
        self.validate()?;
        Ok(TerritorialUnitData {
            external_ref: opt_text(self.external_ref),
            kind: self.kind,
            name: self.name.trim().to_owned(),
            municipality_code: opt_text(self.municipality_code),
            region: self.region,
            population: self.population,
        }
        .validate()?)
    }
    fn from_data(d: &TerritorialUnitData) -> Self {
        Self {
            external_ref: d.external_ref.clone(),
            kind: d.kind,
            name: d.name.clone(),
            municipality_code: d.municipality_code.clone(),
            region: d.region,
            population: d.population,
        }
    }
}

/// A territorial unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TerritorialUnitView {
    #[serde(flatten)]
    pub meta: MetaView,
    #[serde(flatten)]
    pub content: TerritorialUnitInput,
}

impl From<&TerritorialUnit> for TerritorialUnitView {
    fn from(r: &TerritorialUnit) -> Self {
        Self { meta: (&r.meta).into(), content: TerritorialUnitInput::from_data(&r.data) }
    }
}

list_query! {
    /// Filters of the territorial-unit list.
    TerritorialUnitQuery {
        /// Text search in the name and code; ignores case and diacritics.
        q: Option<String>,
        kind: Option<TerritorialUnitKind>,
        region: Option<Region>,
        include_archived: Option<bool>,
    }
}

/// List territorial units. Sortable by `name`, `region`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_territorial_units", tag = "territorial-units", params(TerritorialUnitQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of territorial units", body = ListResponse<TerritorialUnitView>), ListErrors))]
#[get("/territorial-units")]
pub async fn list(state: web::Data<AppState>, _who: MaybeAuth, query: web::Query<TerritorialUnitQuery>) -> ApiResult {
    let page = query.page()?;
    let q = query.into_inner();
    let filter = Filter { q: q.q, kind: q.kind, region: q.region, include_archived: q.include_archived.unwrap_or(false) };
    let page = units::list(state.store.conn(), &filter, &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| TerritorialUnitView::from(&r))))
}

/// Create a territorial unit.
#[utoipa::path(operation_id = "create_territorial_unit", tag = "territorial-units", request_body = TerritorialUnitInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = TerritorialUnitView, headers(("Location" = String, description = "URL of the new resource"), ("ETag" = String, description = "Current version"))), WriteErrors))]
#[post("/territorial-units")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, key: IdempotencyKey, body: web::Json<TerritorialUnitInput>) -> ApiResult {
    guard_registry_write(&who)?;
    let input = body.into_inner();
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    let created = units::create(unit.tx(), input.into_data()?).await?;
    let view = TerritorialUnitView::from(&created);
    unit.created("territorial_unit", created.meta.id, created.meta.version, format!("/api/v1/territorial-units/{}", created.meta.id), &view).await
}

/// Get a territorial unit.
#[utoipa::path(operation_id = "get_territorial_unit", tag = "territorial-units", security((), ("bearer" = [])),
    responses((status = 200, description = "The territorial unit", body = TerritorialUnitView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/territorial-units/{id}")]
pub async fn get(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    let found = units::get(state.store.conn(), *id).await?;
    Ok(ok_versioned(found.meta.version, &TerritorialUnitView::from(&found)))
}

/// Update a territorial unit (JSON merge patch).
#[utoipa::path(operation_id = "update_territorial_unit", tag = "territorial-units", request_body(content = serde_json::Value, description = "A JSON merge patch of TerritorialUnitInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = TerritorialUnitView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/territorial-units/{id}")]
pub async fn update(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch, patch: web::Json<serde_json::Value>) -> ApiResult {
    guard_registry_write(&who)?;
    let unit = Unit::begin(&state, &who).await?;
    let current = units::get(unit.tx().conn(), *id).await?;
    let data = merge_patch(&TerritorialUnitInput::from_data(&current.data), patch.into_inner())?.into_data()?;
    if_match.check(current.meta.version)?;
    let updated = units::update(unit.tx(), &current, data).await?;
    unit.changed(
        "update",
        "territorial_unit",
        current.meta.id,
        updated.meta.version,
        &TerritorialUnitView::from(&current),
        &TerritorialUnitView::from(&updated),
    )
    .await
}

/// Archive a territorial unit.
#[utoipa::path(operation_id = "archive_territorial_unit", tag = "territorial-units", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/territorial-units/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    guard_registry_write(&who)?;
    let unit = Unit::begin(&state, &who).await?;
    let current = units::get(unit.tx().conn(), *id).await?;
    if_match.check(current.meta.version)?;
    let archived = units::archive(unit.tx(), &current).await?;
    unit.archived("territorial_unit", current.meta.id, &TerritorialUnitView::from(&current), &TerritorialUnitView::from(&archived)).await
}

// --- excluded localities -----------------------------------------------------------------

/// What a client sets on an excluded locality.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ExcludedLocalityInput {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    /// Estimated number of residents.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    #[serde(default)]
    pub estimated_residents: Option<i64>,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub description: Option<String>,
}

/// A socially excluded locality (SVL).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExcludedLocalityView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub territorial_unit_id: Uuid,
    #[serde(flatten)]
    pub content: ExcludedLocalityInput,
}

impl ExcludedLocalityInput {
    fn into_data(self, territorial_unit_id: Uuid) -> ApiResult<ExcludedLocalityData> {
        self.validate()?;
        Ok(ExcludedLocalityData {
            territorial_unit_id,
            name: self.name.trim().to_owned(),
            estimated_residents: self.estimated_residents,
            description: opt_text(self.description),
        }
        .validate()?)
    }
    fn from_data(d: &ExcludedLocalityData) -> Self {
        Self { name: d.name.clone(), estimated_residents: d.estimated_residents, description: d.description.clone() }
    }
}

impl From<&ExcludedLocality> for ExcludedLocalityView {
    fn from(r: &ExcludedLocality) -> Self {
        Self { meta: (&r.meta).into(), territorial_unit_id: r.data.territorial_unit_id, content: ExcludedLocalityInput::from_data(&r.data) }
    }
}

list_query! {
    /// Paging of a unit's excluded localities.
    LocalityQuery {
        include_archived: Option<bool>,
    }
}

/// List the excluded localities of a territorial unit. Sortable by `name`, `created_at`, `updated_at`.
#[utoipa::path(operation_id = "list_territorial_unit_excluded_localities", tag = "territorial-units", params(LocalityQuery), security((), ("bearer" = [])),
    responses((status = 200, description = "A page of excluded localities", body = ListResponse<ExcludedLocalityView>), ListErrors))]
#[get("/territorial-units/{id}/excluded-localities")]
pub async fn list_localities(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>, query: web::Query<LocalityQuery>) -> ApiResult {
    let page = query.page()?;
    units::get(state.store.conn(), *id).await?;
    let page = units::list_localities(state.store.conn(), *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| ExcludedLocalityView::from(&r))))
}

/// Add an excluded locality to a territorial unit.
#[utoipa::path(operation_id = "create_territorial_unit_excluded_locality", tag = "territorial-units", request_body = ExcludedLocalityInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = ExcludedLocalityView, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
#[post("/territorial-units/{id}/excluded-localities")]
pub async fn create_locality(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: web::Json<ExcludedLocalityInput>,
) -> ApiResult {
    guard_registry_write(&who)?;
    let input = body.into_inner();
    let unit = match Unit::begin_post(&state, &who, key, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(unit) => unit,
    };
    units::get(unit.tx().conn(), *id).await?;
    let created = units::create_locality(unit.tx(), input.into_data(*id)?).await?;
    let view = ExcludedLocalityView::from(&created);
    unit.created("excluded_locality", created.meta.id, created.meta.version, format!("/api/v1/excluded-localities/{}", created.meta.id), &view).await
}

/// Get an excluded locality.
#[utoipa::path(operation_id = "get_excluded_locality", tag = "territorial-units", security((), ("bearer" = [])),
    responses((status = 200, description = "The excluded locality", body = ExcludedLocalityView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/excluded-localities/{id}")]
pub async fn get_locality(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    let found = units::get_locality(state.store.conn(), *id).await?;
    Ok(ok_versioned(found.meta.version, &ExcludedLocalityView::from(&found)))
}

/// Update an excluded locality (JSON merge patch).
#[utoipa::path(operation_id = "update_excluded_locality", tag = "territorial-units", request_body(content = serde_json::Value, description = "A JSON merge patch of ExcludedLocalityInput", content_type = "application/merge-patch+json"),
    params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = ExcludedLocalityView, headers(("ETag" = String, description = "New version"))), WriteErrors))]
#[patch("/excluded-localities/{id}")]
pub async fn update_locality(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    patch: web::Json<serde_json::Value>,
) -> ApiResult {
    guard_registry_write(&who)?;
    let unit = Unit::begin(&state, &who).await?;
    let current = units::get_locality(unit.tx().conn(), *id).await?;
    let data = merge_patch(&ExcludedLocalityInput::from_data(&current.data), patch.into_inner())?.into_data(current.data.territorial_unit_id)?;
    if_match.check(current.meta.version)?;
    let updated = units::update_locality(unit.tx(), &current, data).await?;
    unit.changed(
        "update",
        "excluded_locality",
        current.meta.id,
        updated.meta.version,
        &ExcludedLocalityView::from(&current),
        &ExcludedLocalityView::from(&updated),
    )
    .await
}

/// Archive an excluded locality.
#[utoipa::path(operation_id = "archive_excluded_locality", tag = "territorial-units", params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
    responses((status = 204, description = "Archived"), WriteErrors))]
#[delete("/excluded-localities/{id}")]
pub async fn archive_locality(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, if_match: IfMatch) -> ApiResult {
    guard_registry_write(&who)?;
    let unit = Unit::begin(&state, &who).await?;
    let current = units::get_locality(unit.tx().conn(), *id).await?;
    if_match.check(current.meta.version)?;
    let archived = units::archive_locality(unit.tx(), &current).await?;
    unit.archived("excluded_locality", current.meta.id, &ExcludedLocalityView::from(&current), &ExcludedLocalityView::from(&archived)).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get)
        .service(update)
        .service(archive)
        .service(list_localities)
        .service(create_locality)
        .service(get_locality)
        .service(update_locality)
        .service(archive_locality);
}
