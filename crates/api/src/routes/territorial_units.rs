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
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, IfMatch, ListResponse, list_query, merge_patch};
use crate::routes::shapes::{create_one, delete_one, update_one};
use crate::write::{self, Resource};
use domain::registry::Record;
use service::registry::{self, ExcludedLocalities, TerritorialUnits};

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
    /// Surrounding blanks are trimmed; an empty or blank value means none (as for an IČO).
    #[schema(pattern = "^\\s*([0-9]{6})?\\s*$", example = "555771")]
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
    pub(crate) fn into_data(self) -> ApiResult<TerritorialUnitData> {
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
    pub(crate) fn from_data(d: &TerritorialUnitData) -> Self {
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

impl Resource for TerritorialUnitView {
    type Data = TerritorialUnitData;
    const NAME: &'static str = "territorial_unit";
    const COLLECTION: &'static str = "/api/v1/territorial-units";
    fn of(record: &Record<TerritorialUnitData>) -> Self {
        Self::from(record)
    }
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
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| TerritorialUnitView::from(&r))))
}

/// Create a territorial unit.
#[utoipa::path(operation_id = "create_territorial_unit", tag = "territorial-units", request_body = TerritorialUnitInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = TerritorialUnitView, headers(("Location" = String, description = "URL of the new resource"), ("ETag" = String, description = "Current version"))), WriteErrors))]
#[post("/territorial-units")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, key: IdempotencyKey, body: web::Json<TerritorialUnitInput>) -> ApiResult {
    let input = body.into_inner();
    write::create::<TerritorialUnitView>(&state, &who, key, &input, async |s| registry::create::<TerritorialUnits, _>(s, || input.clone().into_data()).await)
        .await
}

/// Get a territorial unit.
#[utoipa::path(operation_id = "get_territorial_unit", tag = "territorial-units", security((), ("bearer" = [])),
    responses((status = 200, description = "The territorial unit", body = TerritorialUnitView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/territorial-units/{id}")]
pub async fn get(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<TerritorialUnitView>(registry::get::<TerritorialUnits>(state.store.conn(), *id).await)
}

update_one! {
    /// Update a territorial unit (JSON merge patch).
    update: PATCH "/territorial-units/{id}", "update_territorial_unit", "territorial-units", TerritorialUnitView, "A JSON merge patch of TerritorialUnitInput",
    |state, who, id, if_match, patch| {
        let edit = |current: &TerritorialUnitData| merge_patch(&TerritorialUnitInput::from_data(current), patch.into_inner())?.into_data();
        write::update::<TerritorialUnitView>(&state, &who, async |s| registry::update::<TerritorialUnits, _>(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive a territorial unit.
    archive: DELETE "/territorial-units/{id}", "archive_territorial_unit", "territorial-units", "Archived",
    |state, who, id, if_match| write::archive::<TerritorialUnitView>(&state, &who, async |s| registry::archive::<TerritorialUnits>(s, *id, &if_match.0).await).await
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

impl Resource for ExcludedLocalityView {
    type Data = ExcludedLocalityData;
    const NAME: &'static str = "excluded_locality";
    const COLLECTION: &'static str = "/api/v1/excluded-localities";
    fn of(record: &Record<ExcludedLocalityData>) -> Self {
        Self::from(record)
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
    registry::require_unit(state.store.conn(), *id).await?;
    let page = units::list_localities(state.store.conn(), *id, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(page, |r| ExcludedLocalityView::from(&r))))
}

create_one! {
    /// Add an excluded locality to a territorial unit.
    create_locality: POST "/territorial-units/{id}/excluded-localities", "create_territorial_unit_excluded_locality", "territorial-units", ExcludedLocalityInput => ExcludedLocalityView,
    |state, who, id, key, body| {
        let input = body.into_inner();
        write::create::<ExcludedLocalityView>(&state, &who, key, &input, async |s| registry::create_locality(s, *id, || input.clone().into_data(*id)).await).await
    }
}

/// Get an excluded locality.
#[utoipa::path(operation_id = "get_excluded_locality", tag = "territorial-units", security((), ("bearer" = [])),
    responses((status = 200, description = "The excluded locality", body = ExcludedLocalityView, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
#[get("/excluded-localities/{id}")]
pub async fn get_locality(state: web::Data<AppState>, _who: MaybeAuth, id: web::Path<Uuid>) -> ApiResult {
    write::read::<ExcludedLocalityView>(registry::get::<ExcludedLocalities>(state.store.conn(), *id).await)
}

update_one! {
    /// Update an excluded locality (JSON merge patch).
    update_locality: PATCH "/excluded-localities/{id}", "update_excluded_locality", "territorial-units", ExcludedLocalityView, "A JSON merge patch of ExcludedLocalityInput",
    |state, who, id, if_match, patch| {
        let edit =
            |current: &ExcludedLocalityData| merge_patch(&ExcludedLocalityInput::from_data(current), patch.into_inner())?.into_data(current.territorial_unit_id);
        write::update::<ExcludedLocalityView>(&state, &who, async |s| registry::update::<ExcludedLocalities, _>(s, *id, &if_match.0, edit).await).await
    }
}

delete_one! {
    /// Archive an excluded locality.
    archive_locality: DELETE "/excluded-localities/{id}", "archive_excluded_locality", "territorial-units", "Archived",
    |state, who, id, if_match| write::archive::<ExcludedLocalityView>(&state, &who, async |s| registry::archive::<ExcludedLocalities>(s, *id, &if_match.0).await).await
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
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
