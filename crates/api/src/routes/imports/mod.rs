//! `/imports`: bulk imports of the registry (territorial units, organizations, people),
//! partnerships, memberships, working groups, meetings, measures of draft plans, progress
//! reports, calls and projects, from CSV or a JSON array, with a stored report of each.
//!
//! A row is written by the very use case of the single-row request (`POST` to create, the
//! merge patch of `PATCH` to update), read into the same input type and validated by the
//! same `into_data`, so that it passes exactly the checks of one request and fails with the
//! same codes. Every write is audited as the write protocol audits it (the change feed and
//! webhooks see it). A dry run is the same import, rolled back at the end. Row contents are
//! never logged (people are personal data).
//!
//! By concern: reading the body into rows ([`read`]), one row's checks, references and write
//! ([`rows`]), and the run of all rows under savepoints ([`run`]); here the endpoints and the
//! wire types of the options and the report.

mod read;
mod rows;
mod run;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::access::Principal;
use persistence::imports::ImportReport;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use service::imports;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub(crate) use self::read::{JSON_COLUMNS, LIST_COLUMNS, Target};
use self::read::{RowStream, check_declared_length, format_of};
use self::run::run;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, ListResponse, page_query};

/// The default of `INCLUSION_IMPORT_MAX_BYTES`: 50 MB.
pub const DEFAULT_MAX_BYTES: usize = 50 * 1024 * 1024;

/// The largest import body accepted (`INCLUSION_IMPORT_MAX_BYTES`), as app data.
#[derive(Debug, Clone, Copy)]
pub struct ImportLimit(pub usize);

/// How failed rows affect the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// All rows or none: one failed row rolls every row back (all rows are still checked and reported).
    Atomic,
    /// Each row on its own: failed rows are reported, the others kept.
    PerRow,
}

/// What a row may do to stored records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStrategy {
    /// Only create; a row naming an existing `external_ref` fails with `conflict`.
    Create,
    /// Only update the record the row matches; a row matching none fails with `not_found`.
    Update,
    /// Update the matching record, create when none matches.
    Upsert,
}

/// Options of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row exactly as a real import would (validation, permissions, references, in
    /// one transaction), then roll everything back. Default `false`.
    pub dry_run: Option<bool>,
    /// `atomic` (default) or `per_row`.
    pub mode: Option<ImportMode>,
    /// `upsert` (default), `create` or `update`.
    pub strategy: Option<ImportStrategy>,
}

/// Why one row was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportRowError {
    /// The data row, 1-based (for CSV the header is not a row).
    pub row: u32,
    /// The row's `external_ref`, if it has one.
    pub external_ref: Option<String>,
    /// The column, as named in the file (`ico`, `organization_ref`, `representatives[0].person_id`); `null` for the row as a whole.
    pub field: Option<String>,
    /// The code the single-row request answers with (`check_digit`, `missing`, `conflict`, `forbidden`, `not_found`, …).
    pub code: String,
    pub message: String,
}

/// The report of an import (also stored, see `GET /imports/{id}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReportView {
    pub id: Uuid,
    /// The token subject that imported.
    pub actor: String,
    /// When the import ran.
    pub created_at: DateTime<Utc>,
    /// `territorial-units`, `organizations`, `people`, `partnerships`, `memberships`,
    /// `working-groups`, `meetings`, `measures`, `progress-reports`, `calls` or `projects`.
    pub resource: String,
    pub mode: ImportMode,
    pub strategy: ImportStrategy,
    pub dry_run: bool,
    /// Whether the rows' writes were kept: never for a dry run, nor in atomic mode when a row failed.
    pub committed: bool,
    /// SHA-256 (hex) of the request body.
    pub body_sha256: String,
    /// Data rows read.
    pub rows: u32,
    pub created: u32,
    pub updated: u32,
    /// Rows equal to the stored record: nothing written, no new version, no audit entry.
    pub unchanged: u32,
    pub failed: u32,
    pub errors: Vec<ImportRowError>,
}

impl ImportReportView {
    fn of(r: &ImportReport) -> ApiResult<Self> {
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        Ok(Self {
            id: r.id,
            actor: r.actor.clone(),
            created_at: r.created_at,
            resource: r.resource.clone(),
            mode: stored_name(&r.mode)?,
            strategy: stored_name(&r.strategy)?,
            dry_run: r.dry_run,
            committed: r.committed,
            body_sha256: r.body_sha256.clone(),
            rows: count(r.rows),
            created: count(r.created),
            updated: count(r.updated),
            unchanged: count(r.unchanged),
            failed: count(r.failed),
            errors: serde_json::from_value::<Vec<StoredRowError>>(r.errors.clone())
                .map_err(|e| internal(format!("stored import errors: {e}")))?
                .into_iter()
                .map(|e| ImportRowError { row: e.row, external_ref: e.external_ref, field: e.field, code: e.code, message: e.message })
                .collect(),
        })
    }
}

fn stored_name<T: DeserializeOwned>(name: &str) -> ApiResult<T> {
    serde_json::from_value(Value::String(name.to_owned())).map_err(|e| internal(format!("a stored import option: {e}")))
}

/// A row error as kept in the database.
#[derive(Serialize, Deserialize)]
struct StoredRowError {
    row: u32,
    external_ref: Option<String>,
    field: Option<String>,
    code: String,
    message: String,
}

pub(super) fn internal(message: String) -> ApiError {
    ApiError::Internal(message.into())
}

// --- handlers ------------------------------------------------------------------------------------

/// Runs an import of `target`'s rows from the body: 200 with the report whenever it ran.
async fn import(
    state: &AppState,
    who: &Principal,
    target: Target,
    query: &ImportQuery,
    limit: Option<web::Data<ImportLimit>>,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult {
    let format = format_of(req)?;
    let limit = limit.map_or(DEFAULT_MAX_BYTES, |l| l.0);
    check_declared_length(req, limit)?;
    // The body goes to a temporary file first, so that the transaction opens only once it is
    // all here; then rows are read from the file chunk by chunk and run in batches of 256: the
    // import never holds the whole body (100,000 rows of a large file), only one batch's rows.
    let spooled = read::spool(payload, limit).await?;
    let rows = RowStream::new(target, format, read::chunks(&spooled).await?, limit);
    let report = run(state, who, target, query, rows).await?;
    tracing::info!(import = %report.id, resource = target.name(), rows = report.rows, failed = report.failed, committed = report.committed, "import ran");
    Ok(HttpResponse::Ok().insert_header((header::LOCATION, format!("/api/v1/imports/{}", report.id))).json_body(ImportReportView::of(&report)?))
}

/// One import endpoint per resource (literal paths: utoipa and actix need them, and a literal
/// `/imports/organizations` never collides with `/imports/{id}`), with the description all share.
macro_rules! import_endpoint {
    ($name:ident, $path:literal, $op:literal, $target:expr, $summary:literal, $example:literal) => {
        #[doc = $summary]
        ///
        /// Each row is written by the same use case as the single-row request (`POST` to create,
        /// a merge patch like `PATCH` to update), with the same validation, the same permission
        /// checks (a row the caller may not write fails with `forbidden` or `not_found`) and the
        /// same error codes; every write is audited (the change feed and webhooks see it).
        ///
        /// **Body.** `text/csv`: UTF-8 (a BOM is skipped), `,` or `;` between cells (whichever the
        /// header line has more of), a header row naming the columns; an empty cell is `null`,
        /// list columns (`…_ids`, `…_refs`, `open_to`) are `|`-separated, `agenda` too or a JSON
        /// array; lists of objects (`representatives`, `attendance`, `resolutions`, `budget`,
        /// `indicators`, `indicator_values`) and money (`allocation`, `min_project`,
        /// `max_project`, a project's `budget`) are JSON in the cell, as the export writes them.
        /// `application/json`: an array of objects. The columns are the single-row input's
        /// fields plus the reference columns below; an unknown column is a 400. Up to
        /// `INCLUSION_IMPORT_MAX_BYTES` (default 50 MB), 413 beyond. The body is spooled to a
        /// temporary file before the import's transaction opens (an upload silent for 60 s: 400
        /// `stalled`), then read chunk by chunk and written in batches of 256 rows; a body found
        /// malformed or too large part way answers 400 or 413 and keeps nothing.
        ///
        /// **Matching.** A row updates the record with its `external_ref` (territorial units,
        /// organizations, people, partnerships, working groups, meetings, progress reports,
        /// calls, projects; a measure: the one of its `plan_id` with it, the key being unique
        /// within a plan); a row without `external_ref` can only create. Memberships keep no
        /// `external_ref` (the column only names the row in the report): a membership row
        /// updates the membership of its organization in its partnership that started on its
        /// `joined_on`. Columns a row leaves out keep their stored value (a merge patch); a row
        /// equal to the stored record writes nothing (no new version, no audit entry) and counts
        /// as `unchanged` (lists compare as sets). A record stays in its partnership (a row
        /// naming another fails with `immutable`); a progress report is never edited (a row
        /// differing from the stored report fails with `immutable`: report a correction anew).
        ///
        /// **References** by `external_ref` instead of ids: people `organization_ref` (or
        /// `organization_id`); partnerships `territorial_unit_refs` (added to
        /// `territorial_unit_ids`) and `consultant_refs` (people, added to `consultant_ids`);
        /// memberships, working groups, meetings and projects `partnership_ref` (or
        /// `partnership_id`); memberships `organization_ref` and `representative_refs`: a list
        /// of `person_ref` or `person_ref:function` (split at the first `:`), e.g.
        /// `P-1:starosta|P-2:terénní pracovník`, added to `representatives` (JSON also: objects
        /// with `person_id` or `person_ref`, and `function`); working groups `coordinator_ref`
        /// and `member_refs` (people); meetings `working_group_ref` and `attendance_refs`
        /// (`person_ref:status`, added to `attendance`); measures `plan_id` (the draft plan; or
        /// `partnership_ref`: that partnership's one draft plan),
        /// `goal_code` and `parent_code` (an activity's measure) by their codes in that plan,
        /// `responsible_organization_ref`, `co_implementer_refs`; progress reports `measure_ref`
        /// (with `plan_id` to choose among the versions of a revised plan) and
        /// `author_person_ref`; calls `programme_code` and `open_to_refs` (partnerships);
        /// projects `applicant_organization_ref`, `call_ref` and `measure_refs` (measures of
        /// its partnership). A reference nobody has (or a record the caller may not see: people,
        /// a partnership's records) fails the row with `not_found` on that column; giving both a
        /// `…_ref` and its `…_id` fails it with `ambiguous`.
        ///
        /// **Modes.** `atomic` (default): all rows or none; every row is still checked and
        /// reported. `per_row`: each row stands alone. `dry_run=true` runs the very same import
        /// (same checks, same transaction) and rolls it back. The answer is 200 whenever the
        /// import ran, failed rows included: the report says (`committed` tells whether the
        /// writes were kept). Rows count data rows from 1 (the CSV header is not a row).
        #[utoipa::path(operation_id = $op, tag = "imports", params(ImportQuery),
                    request_body(description = "The rows: CSV with a header row, or a JSON array of objects", content(
                        (String = "text/csv", example = $example),
                        (Vec<serde_json::Map<String, serde_json::Value>> = "application/json"))),
                    security(("bearer" = [])),
                    responses((status = 200, description = "The import ran; the report counts the rows and names each refused one", body = ImportReportView,
                        headers(("Location" = String, description = "The stored report"))), WriteErrors))]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            Auth(who): Auth,
            query: web::Query<ImportQuery>,
            limit: Option<web::Data<ImportLimit>>,
            req: HttpRequest,
            payload: web::Payload,
        ) -> ApiResult {
            import(&state, &who, $target, &query, limit, &req, payload).await
        }
    };
}

import_endpoint!(
    import_territorial_units,
    "/imports/territorial-units",
    "import_territorial_units",
    Target::TerritorialUnits,
    "Import territorial units (CSV or JSON).",
    "external_ref,kind,name,municipality_code,region,population\nU-ZLU,town,Žlutice,555771,CZ041,2400\n"
);
import_endpoint!(
    import_organizations,
    "/imports/organizations",
    "import_organizations",
    Target::Organizations,
    "Import organizations (CSV or JSON).",
    "external_ref;name;kind;ico\nO-ZLU;Město Žlutice;municipality;00255050\n"
);
import_endpoint!(
    import_people,
    "/imports/people",
    "import_people",
    Target::People,
    "Import people (CSV or JSON); `organization_ref` names their organization.",
    "external_ref,name,email,organization_ref,job_title\nP-1,Jana Nováková,jana@example.cz,O-ZLU,starostka\n"
);
import_endpoint!(
    import_partnerships,
    "/imports/partnerships",
    "import_partnerships",
    Target::Partnerships,
    "Import partnerships (CSV or JSON); `territorial_unit_refs` names their units.",
    "external_ref,name,territorial_unit_refs,established_on\nLP-ZLU,Lokální partnerství Žluticko,U-ZLU|U-VAL,2024-03-01\n"
);
import_endpoint!(
    import_working_groups,
    "/imports/working-groups",
    "import_working_groups",
    Target::WorkingGroups,
    "Import working groups (CSV or JSON); `partnership_ref` names their partnership, `coordinator_ref` and `member_refs` their people.",
    "external_ref,partnership_ref,thematic_area,name,coordinator_ref,member_refs\nWG-BYD,LP-ZLU,housing,Pracovní skupina Bydlení,P-1,P-1|P-2\n"
);
import_endpoint!(
    import_meetings,
    "/imports/meetings",
    "import_meetings",
    Target::Meetings,
    "Import meetings with their attendance (CSV or JSON); `partnership_ref` names their partnership, `attendance_refs` the attendees.",
    "external_ref,partnership_ref,working_group_ref,title,starts_at,agenda,attendance_refs\nMT-1,LP-ZLU,WG-BYD,Setkání skupiny,2024-04-10T14:00:00Z,Úvod|Bydlení,P-1:present|P-2:excused\n"
);
import_endpoint!(
    import_measures,
    "/imports/measures",
    "import_measures",
    Target::Measures,
    "Import measures and activities into a draft plan (CSV or JSON); `plan_id` (or `partnership_ref`: its one draft plan) names the plan, `goal_code` and `parent_code` goals and measures by their codes in it.",
    "external_ref,plan_id,goal_code,code,title,thematic_area,responsible_organization_ref,starts_on,deadline\nM-2.1,0192f0a4-7c1e-7cc3-9b1a-3f0c2e8d4a11,2,2.1,Dluhová poradna,debt,O-ZLU,2025-01-01,2026-12-31\n"
);
import_endpoint!(
    import_progress_reports,
    "/imports/progress-reports",
    "import_progress_reports",
    Target::ProgressReports,
    "Import progress reports on measures of plans in force (CSV or JSON); `measure_ref` names the measure. A stored report is never edited.",
    "external_ref,measure_ref,reported_on,status,percent_done,comment\nPR-2025-1,M-2.1,2025-06-30,in_progress,40,Poradna otevřena.\n"
);
import_endpoint!(
    import_calls,
    "/imports/calls",
    "import_calls",
    Target::Calls,
    "Import calls for proposals (CSV or JSON; admins and importers); `programme_code` names the operational programme, `open_to_refs` the partnerships of a KPSVL call.",
    "external_ref,programme_code,number,title,opens_at,closes_at,allocation,support_rate_bp\nC-OPZ-052,OPZ,052,Podpora sociálního začleňování,2016-06-01T00:00:00Z,2016-12-31T00:00:00Z,\"{\"\"amount_minor\"\":50000000000,\"\"currency\"\":\"\"CZK\"\"}\",9500\n"
);
import_endpoint!(
    import_projects,
    "/imports/projects",
    "import_projects",
    Target::Projects,
    "Import project intents (CSV or JSON); `partnership_ref`, `applicant_organization_ref`, `call_ref` and `measure_refs` name what they belong to.",
    "external_ref,partnership_ref,applicant_organization_ref,call_ref,title,budget,measure_refs\nPRJ-1,LP-ZLU,O-ZLU,C-OPZ-052,Dluhová poradna,\"{\"\"total_eligible\"\":{\"\"amount_minor\"\":100000,\"\"currency\"\":\"\"CZK\"\"},\"\"requested\"\":{\"\"amount_minor\"\":95000,\"\"currency\"\":\"\"CZK\"\"},\"\"own_financing\"\":{\"\"amount_minor\"\":5000,\"\"currency\"\":\"\"CZK\"\"}}\",M-2.1\n"
);
import_endpoint!(
    import_memberships,
    "/imports/memberships",
    "import_memberships",
    Target::Memberships,
    "Import memberships with their representatives (CSV or JSON).",
    "partnership_ref,organization_ref,joined_on,representative_refs\nLP-ZLU,O-ZLU,2024-03-01,P-1:starostka|P-2\n"
);

page_query! {
    /// Paging of the import reports (newest first).
    ImportListQuery {}
}

/// List import reports, newest first: an admin sees all, anyone else their own.
#[utoipa::path(operation_id = "list_imports", tag = "imports", params(ImportListQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of import reports", body = ListResponse<ImportReportView>), ListErrors))]
#[get("/imports")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<ImportListQuery>) -> ApiResult {
    let page = imports::list_reports(state.store.conn(), &who, &query.page()?).await?;
    let items = page.items.iter().map(ImportReportView::of).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json_body(ListResponse { items, next_cursor: page.next_cursor, total: page.total }))
}

/// Get an import report (an admin any, anyone else their own).
#[utoipa::path(operation_id = "get_import", tag = "imports", security(("bearer" = [])),
    responses((status = 200, description = "The report", body = ImportReportView), ReadErrors))]
#[get("/imports/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let report = imports::get_report(state.store.conn(), &who, *id).await?;
    Ok(HttpResponse::Ok().json_body(ImportReportView::of(&report)?))
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(list)
        .service(get)
        .service(import_territorial_units)
        .service(import_organizations)
        .service(import_people)
        .service(import_partnerships)
        .service(import_memberships)
        .service(import_working_groups)
        .service(import_meetings)
        .service(import_measures)
        .service(import_progress_reports)
        .service(import_calls)
        .service(import_projects);
}
