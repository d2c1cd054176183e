//! `/imports`: bulk imports of the registry (territorial units, organizations, people),
//! partnerships and memberships, from CSV or a JSON array, with a stored report of each.
//!
//! A row is written by the very use case of the single-row request (`POST` to create, the
//! merge patch of `PATCH` to update), read into the same input type and validated by the
//! same `into_data`, so that it passes exactly the checks of one request and fails with the
//! same codes. Every write is audited as the write protocol audits it (the change feed and
//! webhooks see it). A dry run is the same import, rolled back at the end. Row contents are
//! never logged (people are personal data).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::access::Principal;
use futures_util::StreamExt;
use persistence::imports::ImportReport;
use persistence::{Actor, WriteTx};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use service::imports::{self as imports, RefKind};
use service::memberships::Memberships;
use service::registry::{self, Organizations, People, TerritorialUnits};
use service::{Precondition, Session, records};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::memberships::{MembershipInput, MembershipView};
use super::organizations::{OrganizationInput, OrganizationView};
use super::partnerships::{PartnershipInput, PartnershipView};
use super::people::{PersonInput, PersonView};
use super::territorial_units::{TerritorialUnitInput, TerritorialUnitView};
use crate::auth::Auth;
use crate::context;
use crate::error::{ApiError, ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::{AppState, ListResponse, merge_patch, page_query};
use crate::write::Resource;

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
    /// `territorial-units`, `organizations`, `people`, `partnerships` or `memberships`.
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

fn internal(message: String) -> ApiError {
    ApiError::Internal(message.into())
}

// --- the resources and their columns ---------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    TerritorialUnits,
    Organizations,
    People,
    Partnerships,
    Memberships,
}

/// Columns whose cells are read as whole numbers.
const INTEGER_COLUMNS: &[&str] = &["population"];
/// Columns whose CSV cells are `|`-separated lists.
const LIST_COLUMNS: &[&str] = &["territorial_unit_ids", "consultant_ids", "territorial_unit_refs", "consultant_refs", "representative_refs"];

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::TerritorialUnits => "territorial-units",
            Self::Organizations => "organizations",
            Self::People => "people",
            Self::Partnerships => "partnerships",
            Self::Memberships => "memberships",
        }
    }

    /// The columns a row may have: the single-row input's fields, `external_ref`, and the
    /// reference columns.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::TerritorialUnits => &["external_ref", "kind", "name", "municipality_code", "region", "population"],
            Self::Organizations => &["external_ref", "name", "kind", "ico", "address", "web"],
            Self::People => &["external_ref", "name", "email", "phone", "organization_id", "organization_ref", "job_title"],
            Self::Partnerships => &[
                "external_ref",
                "name",
                "territorial_unit_ids",
                "territorial_unit_refs",
                "established_on",
                "memorandum_signed_on",
                "founding_act",
                "consultant_ids",
                "consultant_refs",
            ],
            Self::Memberships => &[
                "external_ref",
                "partnership_id",
                "partnership_ref",
                "organization_id",
                "organization_ref",
                "joined_on",
                "left_on",
                "representatives",
                "representative_refs",
                "note",
            ],
        }
    }

    /// The kind whose `external_ref` finds the record a row updates.
    fn kind(self) -> Option<RefKind> {
        match self {
            Self::TerritorialUnits => Some(RefKind::TerritorialUnit),
            Self::Organizations => Some(RefKind::Organization),
            Self::People => Some(RefKind::Person),
            Self::Partnerships => Some(RefKind::Partnership),
            Self::Memberships => None,
        }
    }
}

// --- reading the body ------------------------------------------------------------------------

type Row = Map<String, Value>;

fn unreadable(field: &str, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(field, code, message)
}

fn check_columns<'a>(target: Target, names: impl IntoIterator<Item = &'a str>, at: &str) -> ApiResult<()> {
    for name in names {
        if !target.columns().contains(&name) {
            return Err(unreadable(
                name,
                "unknown_field",
                format!("unknown column `{name}`{at}; the columns of {} are: {}", target.name(), target.columns().join(", ")),
            ));
        }
    }
    Ok(())
}

/// A CSV body: UTF-8 with or without a BOM, `,` or `;` between cells (whichever the header
/// line has more of), a header row naming the columns.
fn read_csv(target: Target, body: &[u8]) -> ApiResult<Vec<Row>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|e| unreadable("body", "encoding", format!("the CSV body is not UTF-8 text: {e}")))?;
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().map_err(csv_error)?.iter().map(|h| h.trim().to_owned()).collect();
    check_columns(target, headers.iter().map(String::as_str), "")?;
    if let Some(twice) = headers.iter().enumerate().find(|(i, h)| headers[..*i].contains(h)).map(|(_, h)| h) {
        return Err(unreadable(twice, "duplicate", format!("the column `{twice}` is named twice")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let mut row = Row::new();
        for (name, cell) in headers.iter().zip(record.iter()) {
            row.insert(name.clone(), cell_value(name, cell));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn csv_error(e: csv::Error) -> ApiError {
    unreadable("body", "malformed", format!("the CSV body could not be read: {e}"))
}

/// A CSV cell as the JSON value of its column: empty is `null`, a number column a number, a
/// list column an array of its `|`-separated parts.
fn cell_value(column: &str, cell: &str) -> Value {
    let cell = cell.trim();
    if cell.is_empty() {
        return if LIST_COLUMNS.contains(&column) { Value::Array(vec![]) } else { Value::Null };
    }
    if LIST_COLUMNS.contains(&column) {
        return Value::Array(cell.split('|').map(str::trim).filter(|p| !p.is_empty()).map(|p| Value::String(p.to_owned())).collect());
    }
    if INTEGER_COLUMNS.contains(&column)
        && let Ok(n) = cell.parse::<i64>()
    {
        return Value::from(n);
    }
    Value::String(cell.to_owned())
}

/// A JSON body: an array of objects, each with the columns of the resource.
fn read_json(target: Target, body: &[u8]) -> ApiResult<Vec<Row>> {
    let value: Value = serde_json::from_slice(body).map_err(|e| unreadable("body", "malformed", format!("the JSON body could not be read: {e}")))?;
    let Value::Array(items) = value else { return Err(unreadable("body", "type", "an import in JSON is an array of objects")) };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(row) => {
                check_columns(target, row.keys().map(String::as_str), &format!(" in row {}", i + 1))?;
                Ok(row)
            }
            _ => Err(unreadable(&format!("[{i}]"), "type", format!("row {} is not an object", i + 1))),
        })
        .collect()
}

/// Reads the body up to the limit (413 beyond it).
async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> ApiResult<web::Bytes> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| unreadable("body", "malformed", format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

enum Format {
    Csv,
    Json,
}

fn format_of(req: &HttpRequest) -> ApiResult<Format> {
    let mime = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<mime::Mime>().ok());
    match mime {
        Some(m) if m.type_() == mime::TEXT && m.subtype() == mime::CSV => Ok(Format::Csv),
        Some(m) if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON) => Ok(Format::Json),
        _ => Err(ApiError::UnsupportedMediaType("send the import as text/csv or application/json".into())),
    }
}

// --- one row -----------------------------------------------------------------------------------

/// What a row did.
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// A row refused, with its reasons (`field`, `code`, `message`).
struct Refused(Vec<(Option<String>, String, String)>);

impl Refused {
    fn one(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self(vec![(Some(field.to_owned()), code.to_owned(), message.into())])
    }
}

/// How a row's run ends besides success: refused, or a fault that stops the import.
enum Stop {
    Refused(Refused),
    Fault(ApiError),
}

impl From<Refused> for Stop {
    fn from(r: Refused) -> Self {
        Self::Refused(r)
    }
}

/// The answer a single-row request would give, as a row's reasons; a fault stops the import.
fn refusal(err: ApiError) -> Stop {
    let code = |c: &str| c.to_owned();
    let reasons = match err {
        ApiError::Internal(_) => return Stop::Fault(err),
        ApiError::BadRequest { detail, errors } => with_fields(detail, errors, "malformed"),
        ApiError::Conflict { detail, errors } => with_fields(detail, errors, "conflict"),
        ApiError::Unprocessable { detail, errors } => with_fields(detail, errors, "validation"),
        ApiError::Forbidden(reason) => vec![(None, code("forbidden"), reason)],
        ApiError::NotFound => vec![(None, code("not_found"), "the resource does not exist or is not visible to you".to_owned())],
        ApiError::PreconditionFailed(detail) => vec![(None, code("precondition_failed"), detail)],
        other @ (ApiError::Unauthorized(_) | ApiError::PayloadTooLarge(_) | ApiError::UnsupportedMediaType(_)) => {
            vec![(None, code("refused"), other.to_string())]
        }
    };
    Stop::Refused(Refused(reasons))
}

fn with_fields(detail: String, errors: Vec<domain::FieldError>, code: &str) -> Vec<(Option<String>, String, String)> {
    if errors.is_empty() { vec![(None, code.to_owned(), detail)] } else { errors.into_iter().map(|e| (Some(e.field), e.code, e.message)).collect() }
}

/// Raised inside a use case's edit when the row equals the stored record: the use case ends
/// before it writes anything.
#[derive(Debug, thiserror::Error)]
#[error("the row equals the stored record")]
struct Unchanged;

/// An edit's early end: the row breaks a rule, or changes nothing.
enum EditStop {
    Api(ApiError),
    Unchanged,
}

impl From<ApiError> for EditStop {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<EditStop> for service::Error {
    fn from(e: EditStop) -> Self {
        match e {
            EditStop::Api(api) => api.into(),
            EditStop::Unchanged => service::Error::Caller(Box::new(Unchanged)),
        }
    }
}

/// Arrays compared as sets (territorial units, representatives): the order a row lists them
/// in is not content.
fn canonical(v: Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(canonical).collect();
            items.sort_by_cached_key(Value::to_string);
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, canonical(v))).collect()),
        other => other,
    }
}

/// `Err(Unchanged)` when the new content is the stored one, as the API shows both.
fn changes<T: Serialize>(new: &T, current: &T) -> Result<(), EditStop> {
    let show = |t: &T| serde_json::to_value(t).map(canonical).map_err(|e| EditStop::Api(internal(e.to_string())));
    if show(new)? == show(current)? { Err(EditStop::Unchanged) } else { Ok(()) }
}

/// Reads a row into a single-row input type, answering as the single request's body reader
/// would (`missing`, `type`, `unknown_code`), but naming the column where it can.
fn input<T: DeserializeOwned>(row: &Row) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(row.clone())).map_err(|e| deserialize_error(&e.to_string(), row))
}

fn deserialize_error(message: &str, row: &Row) -> ApiError {
    let quoted = message.split('`').nth(1).unwrap_or_default().to_owned();
    let holding = |needle: &str| row.iter().find(|(_, v)| v.as_str() == Some(needle)).map(|(k, _)| k.clone());
    let (field, code) = if message.starts_with("missing field") {
        (quoted, "missing")
    } else if message.starts_with("unknown field") {
        (quoted, "unknown_field")
    } else if message.starts_with("unknown variant") {
        (holding(&quoted).unwrap_or_else(|| "body".to_owned()), "unknown_code")
    } else if message.contains("expected") || message.starts_with("invalid type") {
        ("body".to_owned(), "type")
    } else {
        ("body".to_owned(), "malformed")
    };
    ApiError::BadRequest { detail: format!("the row could not be read: {message}"), errors: vec![domain::FieldError::new(field, code, message)] }
}

/// What PostgreSQL cannot store, refused alike on both databases (as the edge refuses it in a
/// single request): a NUL character, or a date with a signed year.
fn unstorable(row: &Row) -> Option<Refused> {
    fn walk(v: &Value, path: &str) -> Option<Refused> {
        match v {
            Value::String(s) if s.contains('\0') => {
                Some(Refused::one(path, "nul_character", format!("`{path}` contains a NUL character, which cannot be stored")))
            }
            Value::String(s) if signed_year(s) => Some(Refused::one(path, "date_out_of_range", format!("`{path}` is a date outside the years 0001–9999"))),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| walk(v, &format!("{path}[{i}]"))),
            Value::Object(map) => map.iter().find_map(|(k, v)| walk(v, &format!("{path}.{k}"))),
            _ => None,
        }
    }
    row.iter().find_map(|(k, v)| walk(v, k))
}

fn signed_year(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(['-', '+']) else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after = &rest.as_bytes()[digits..];
    digits >= 4 && after.len() >= 6 && after[0] == b'-' && after[1..3].iter().all(u8::is_ascii_digit) && after[3] == b'-'
}

/// Dates are read by the input types; a malformed one is named here (the single request's
/// body reader answers `malformed` for the whole body).
fn check_dates(row: &Row) -> Result<(), Refused> {
    for column in ["joined_on", "left_on", "established_on", "memorandum_signed_on"] {
        if let Some(Value::String(s)) = row.get(column)
            && let Err(e) = s.parse::<chrono::NaiveDate>()
        {
            return Err(Refused::one(column, "malformed", format!("`{column}` is not a date (YYYY-MM-DD): {e}")));
        }
    }
    Ok(())
}

fn text_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A list column: an array of texts, or in JSON also one `|`-separated text.
fn list_of(v: Option<Value>, column: &str) -> Result<Vec<String>, Refused> {
    match v {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::String(s)) => Ok(s.split('|').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.trim().to_owned()),
                _ => Err(Refused::one(column, "type", format!("`{column}` is a list of texts"))),
            })
            .collect(),
        Some(_) => Err(Refused::one(column, "type", format!("`{column}` is a list of texts"))),
    }
}

/// The conversation of a row's references with the database.
struct Resolver<'a> {
    tx: &'a WriteTx,
    who: &'a Principal,
}

impl Resolver<'_> {
    async fn one(&self, kind: RefKind, column: &str, external_ref: &str) -> Result<Uuid, Stop> {
        match imports::resolve(self.tx.conn(), self.who, kind, external_ref).await {
            Ok(id) => Ok(id),
            Err(service::Error::Store(persistence::StoreError::NotFound)) => Err(Stop::Refused(Refused::one(
                column,
                "not_found",
                format!("`{column}`: no record with external_ref `{external_ref}` (or not visible to you)"),
            ))),
            Err(e) => Err(refusal(e.into())),
        }
    }

    /// `<x>_ref` into `<x>_id`: one of them, not both.
    async fn scalar(&self, row: &mut Row, kind: RefKind, reference: &str, id: &str) -> Result<(), Stop> {
        let Some(external_ref) = text_of(row.remove(reference).as_ref()) else { return Ok(()) };
        if row.get(id).is_some_and(|v| !v.is_null()) {
            return Err(Refused::one(reference, "ambiguous", format!("give `{reference}` or `{id}`, not both")).into());
        }
        let found = self.one(kind, reference, &external_ref).await?;
        row.insert(id.to_owned(), Value::String(found.to_string()));
        Ok(())
    }

    /// `<x>_refs` added to `<x>_ids`.
    async fn list(&self, row: &mut Row, kind: RefKind, references: &str, ids: &str) -> Result<(), Stop> {
        let present = row.contains_key(references) || row.contains_key(ids);
        let refs = list_of(row.remove(references), references)?;
        let mut all = list_of(row.remove(ids), ids)?.into_iter().map(Value::String).collect::<Vec<_>>();
        for r in refs {
            all.push(Value::String(self.one(kind, references, &r).await?.to_string()));
        }
        if present {
            row.insert(ids.to_owned(), Value::Array(all));
        }
        Ok(())
    }

    /// `representative_refs`: `person_ref` or `person_ref:function`, added to `representatives`
    /// (JSON: objects with `person_id` or `person_ref`, and `function`).
    async fn representatives(&self, row: &mut Row) -> Result<(), Stop> {
        let present = row.contains_key("representative_refs") || row.contains_key("representatives");
        let refs = list_of(row.remove("representative_refs"), "representative_refs")?;
        let mut all = match row.remove("representatives") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) => items,
            Some(_) => return Err(Refused::one("representatives", "type", "`representatives` is a list of objects").into()),
        };
        for (i, item) in all.iter_mut().enumerate() {
            if let Value::Object(obj) = item
                && let Some(external_ref) = text_of(obj.remove("person_ref").as_ref())
            {
                let column = format!("representatives[{i}].person_ref");
                obj.insert("person_id".into(), Value::String(self.one(RefKind::Person, &column, &external_ref).await?.to_string()));
            }
        }
        for r in refs {
            let (person, function) = match r.split_once(':') {
                Some((p, f)) => (p.trim().to_owned(), Some(f.trim().to_owned()).filter(|f| !f.is_empty())),
                None => (r, None),
            };
            let id = self.one(RefKind::Person, "representative_refs", &person).await?;
            all.push(serde_json::json!({"person_id": id, "function": function}));
        }
        if present {
            row.insert("representatives".into(), Value::Array(all));
        }
        Ok(())
    }
}

/// One write of a row, as the protocol audits it.
struct Written {
    action: &'static str,
    resource: &'static str,
    id: Uuid,
    before: Option<Value>,
    after: Value,
}

fn shown<V: Resource>(record: &domain::registry::Record<V::Data>) -> Value {
    serde_json::to_value(V::of(record)).unwrap_or(Value::Null)
}

fn created<V: Resource>(record: &domain::registry::Record<V::Data>) -> Written {
    Written { action: "create", resource: V::NAME, id: record.meta.id, before: None, after: shown::<V>(record) }
}

fn updated<V: Resource>(change: &service::Updated<domain::registry::Record<V::Data>>) -> Written {
    Written { action: "update", resource: V::NAME, id: change.after.meta.id, before: Some(shown::<V>(&change.before)), after: shown::<V>(&change.after) }
}

/// Runs one use case in the import's transaction, as the write protocol runs one (a use case
/// that did not ask the access policy is a fault). `Ok(None)`: the row changed nothing.
async fn perform(tx: &WriteTx, who: &Principal, run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Written>) -> Result<Option<Written>, Stop> {
    let session = Session::new(tx, who, None);
    match run(&session).await {
        Ok(_) if !session.was_authorized() => Err(Stop::Fault(internal("a use case wrote without asking the access policy".into()))),
        Ok(written) => Ok(Some(written)),
        Err(service::Error::Caller(e)) if e.is::<Unchanged>() => Ok(None),
        Err(e) => Err(refusal(e.into())),
    }
}

/// The write of one row: create, or update the record it matches.
async fn write_row(tx: &WriteTx, who: &Principal, target: Target, existing: Option<Uuid>, row: Row) -> Result<Option<Written>, Stop> {
    let none = Precondition(None);
    let patch = Value::Object(row.clone());
    macro_rules! registry_row {
        ($input:ty, $view:ty, $kind:ty, $update:expr) => {
            match existing {
                None => {
                    let input: $input = input(&row).map_err(refusal)?;
                    perform(tx, who, async |s| registry::create::<$kind, _>(s, || input.into_data()).await.map(|r| created::<$view>(&r))).await
                }
                Some(id) => {
                    let edit = |current: &<$view as Resource>::Data| -> Result<_, EditStop> {
                        let data = merge_patch(&<$input>::from_data(current), patch)?.into_data()?;
                        changes(&<$input>::from_data(&data), &<$input>::from_data(current))?;
                        Ok(data)
                    };
                    perform(tx, who, async |s| $update(s, id, &none, edit).await.map(|c| updated::<$view>(&c))).await
                }
            }
        };
    }
    match target {
        Target::TerritorialUnits => registry_row!(TerritorialUnitInput, TerritorialUnitView, TerritorialUnits, registry::update::<TerritorialUnits, _>),
        Target::Organizations => registry_row!(OrganizationInput, OrganizationView, Organizations, registry::update::<Organizations, _>),
        Target::People => registry_row!(PersonInput, PersonView, People, registry::update_person),
        Target::Partnerships => match existing {
            None => {
                let input: PartnershipInput = input(&row).map_err(refusal)?;
                perform(tx, who, async |s| service::partnerships::create(s, || input.into_data()).await.map(|r| created::<PartnershipView>(&r))).await
            }
            Some(id) => {
                let edit = |current: &domain::registry::PartnershipData| -> Result<_, EditStop> {
                    let data = merge_patch(&PartnershipInput::from_data(current), patch)?.into_data()?;
                    changes(&PartnershipInput::from_data(&data), &PartnershipInput::from_data(current))?;
                    Ok(data)
                };
                perform(tx, who, async |s| service::partnerships::update(s, id, &none, edit).await.map(|c| updated::<PartnershipView>(&c))).await
            }
        },
        Target::Memberships => match existing {
            None => {
                let mut row = row;
                let partnership_id = membership_partnership(&mut row)?;
                let input: MembershipInput = input(&row).map_err(refusal)?;
                perform(tx, who, async |s| {
                    records::create::<Memberships, _>(s, partnership_id, || input.into_data(partnership_id)).await.map(|r| created::<MembershipView>(&r))
                })
                .await
            }
            Some(id) => {
                let mut patch = row;
                patch.remove("partnership_id");
                let edit = |current: &domain::registry::MembershipData| -> Result<_, EditStop> {
                    let data = merge_patch(&MembershipInput::from_data(current), Value::Object(patch))?.into_data(current.partnership_id)?;
                    changes(&MembershipInput::from_data(&data), &MembershipInput::from_data(current))?;
                    Ok(data)
                };
                perform(tx, who, async |s| records::update::<Memberships, _>(s, id, &none, edit).await.map(|c| updated::<MembershipView>(&c))).await
            }
        },
    }
}

/// A membership row's partnership (the path of the single request), taken out of the row.
fn membership_partnership(row: &mut Row) -> Result<Uuid, Stop> {
    match row.remove("partnership_id") {
        Some(Value::String(s)) => s.trim().parse().map_err(|_| Refused::one("partnership_id", "format", "`partnership_id` is not a UUID").into()),
        None | Some(Value::Null) => Err(Refused::one("partnership_ref", "missing", "a membership needs `partnership_ref` or `partnership_id`").into()),
        Some(_) => Err(Refused::one("partnership_id", "type", "`partnership_id` is a UUID text").into()),
    }
}

fn uuid_in(row: &Row, column: &str) -> Option<Uuid> {
    row.get(column).and_then(Value::as_str).and_then(|s| s.trim().parse().ok())
}

/// Checks, resolves and writes one row (inside its savepoint).
async fn import_row(tx: &WriteTx, who: &Principal, target: Target, strategy: ImportStrategy, mut row: Row) -> Result<Outcome, Stop> {
    if let Some(refused) = unstorable(&row) {
        return Err(refused.into());
    }
    check_dates(&row)?;
    let resolver = Resolver { tx, who };
    match target {
        Target::People => resolver.scalar(&mut row, RefKind::Organization, "organization_ref", "organization_id").await?,
        Target::Partnerships => {
            resolver.list(&mut row, RefKind::TerritorialUnit, "territorial_unit_refs", "territorial_unit_ids").await?;
            resolver.list(&mut row, RefKind::Person, "consultant_refs", "consultant_ids").await?;
        }
        Target::Memberships => {
            resolver.scalar(&mut row, RefKind::Partnership, "partnership_ref", "partnership_id").await?;
            resolver.scalar(&mut row, RefKind::Organization, "organization_ref", "organization_id").await?;
            resolver.representatives(&mut row).await?;
            // Memberships keep no external_ref: it only names the row in the report.
            row.remove("external_ref");
        }
        Target::TerritorialUnits | Target::Organizations => {}
    }
    let existing = match target.kind() {
        Some(kind) => match text_of(row.get("external_ref")) {
            Some(external_ref) => imports::find(tx.conn(), kind, &external_ref).await.map_err(|e| refusal(e.into()))?,
            None => None,
        },
        None => {
            let joined_on = row.get("joined_on").and_then(Value::as_str).and_then(|s| s.parse().ok());
            match (uuid_in(&row, "partnership_id"), uuid_in(&row, "organization_id"), joined_on) {
                (Some(p), Some(o), Some(j)) => imports::find_membership(tx.conn(), p, o, j).await.map_err(|e| refusal(e.into()))?,
                _ => None,
            }
        }
    };
    let existing = match (strategy, existing) {
        (ImportStrategy::Create, _) => None,
        (ImportStrategy::Update, None) => {
            let (field, what) = if target == Target::Memberships {
                ("joined_on", "no membership of this organization in this partnership started that day")
            } else {
                ("external_ref", "no record with this external_ref")
            };
            return Err(Refused::one(field, "not_found", format!("{what}; strategy `update` only updates")).into());
        }
        (_, found) => found,
    };
    let was_update = existing.is_some();
    match write_row(tx, who, target, existing, row).await? {
        None => Ok(Outcome::Unchanged),
        Some(w) => {
            tx.audit(w.action, w.resource, w.id, w.before, Some(w.after)).await.map_err(|e| Stop::Fault(e.into()))?;
            Ok(if was_update { Outcome::Updated } else { Outcome::Created })
        }
    }
}

const SAVEPOINT: &str = "inclusion_import_row";

async fn sql(tx: &WriteTx, statement: &str) -> ApiResult<()> {
    use persistence::ConnectionTrait;
    tx.conn().execute_unprepared(statement).await.map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(())
}

/// Runs the import in one transaction, each row under a savepoint (a refused row's writes are
/// undone, and on PostgreSQL the transaction stays usable), then commits or rolls back.
async fn run(state: &AppState, who: &Principal, target: Target, query: &ImportQuery, rows: Vec<Row>, body_sha256: String) -> ApiResult<ImportReport> {
    let mode = query.mode.unwrap_or(ImportMode::Atomic);
    let strategy = query.strategy.unwrap_or(ImportStrategy::Upsert);
    let dry_run = query.dry_run.unwrap_or(false);
    let actor = Actor { subject: who.subject.clone(), role: who.role.as_str().to_owned(), request_id: context::request_id() };
    let tx = state.store.begin(actor.clone()).await?;
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    let mut errors = Vec::new();
    let mut failed = 0;
    let total = rows.len();
    for (i, row) in rows.into_iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let external_ref = text_of(row.get("external_ref"));
        sql(&tx, &format!("SAVEPOINT {SAVEPOINT}")).await?;
        match import_row(&tx, who, target, strategy, row).await {
            Ok(outcome) => {
                match outcome {
                    Outcome::Created => created += 1,
                    Outcome::Updated => updated += 1,
                    Outcome::Unchanged => unchanged += 1,
                }
                sql(&tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
            }
            Err(Stop::Fault(e)) => return Err(e),
            Err(Stop::Refused(Refused(reasons))) => {
                sql(&tx, &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
                sql(&tx, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                failed += 1;
                errors.extend(reasons.into_iter().map(|(field, code, message)| StoredRowError {
                    row: number,
                    external_ref: external_ref.clone(),
                    field,
                    code,
                    message,
                }));
            }
        }
    }
    let committed = !dry_run && (mode == ImportMode::PerRow || failed == 0);
    if committed {
        tx.commit().await?;
    } else {
        drop(tx);
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let report = ImportReport {
        id: Uuid::now_v7(),
        created_at: persistence::now(),
        actor: actor.subject.clone(),
        actor_role: actor.role.clone(),
        resource: target.name().to_owned(),
        mode: mode.name().to_owned(),
        strategy: strategy.name().to_owned(),
        dry_run,
        committed,
        body_sha256,
        rows: count(total),
        created: count(created),
        updated: count(updated),
        unchanged: count(unchanged),
        failed: count(failed),
        errors: serde_json::to_value(&errors).map_err(|e| internal(e.to_string()))?,
    };
    let store = state.store.begin(actor).await?;
    imports::store_report(&store, &report).await?;
    store.commit().await?;
    Ok(report)
}

impl ImportMode {
    /// The wire name, as stored.
    fn name(self) -> &'static str {
        match self {
            Self::Atomic => "atomic",
            Self::PerRow => "per_row",
        }
    }
}

impl ImportStrategy {
    /// The wire name, as stored.
    fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Upsert => "upsert",
        }
    }
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
    let body = read_body(req, payload, limit.map_or(DEFAULT_MAX_BYTES, |l| l.0)).await?;
    let rows = match format {
        Format::Csv => read_csv(target, &body)?,
        Format::Json => read_json(target, &body)?,
    };
    let sha = format!("{:x}", Sha256::digest(&body));
    let report = run(state, who, target, query, rows, sha).await?;
    tracing::info!(import = %report.id, resource = target.name(), rows = report.rows, failed = report.failed, committed = report.committed, "import ran");
    Ok(HttpResponse::Ok().insert_header((header::LOCATION, format!("/api/v1/imports/{}", report.id))).json(ImportReportView::of(&report)?))
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
        /// list columns (`territorial_unit_ids`, `territorial_unit_refs`, `consultant_ids`,
        /// `consultant_refs`, `representative_refs`) are `|`-separated. `application/json`: an
        /// array of objects. The columns are the single-row input's fields plus the reference
        /// columns below; an unknown column is a 400. Up to `INCLUSION_IMPORT_MAX_BYTES`
        /// (default 50 MB), 413 beyond.
        ///
        /// **Matching.** A row updates the record with its `external_ref` (territorial units,
        /// organizations, people, partnerships); a row without `external_ref` can only create.
        /// Memberships keep no `external_ref` (the column only names the row in the report): a
        /// membership row updates the membership of its organization in its partnership that
        /// started on its `joined_on`. Columns a row leaves out keep their stored value (a merge
        /// patch); a row equal to the stored record writes nothing (no new version, no audit
        /// entry) and counts as `unchanged` (lists compare as sets).
        ///
        /// **References** by `external_ref` instead of ids: people `organization_ref` (or
        /// `organization_id`); partnerships `territorial_unit_refs` (added to
        /// `territorial_unit_ids`) and `consultant_refs` (people, added to `consultant_ids`);
        /// memberships `partnership_ref` (or `partnership_id`), `organization_ref` (or
        /// `organization_id`) and `representative_refs`: a list of `person_ref` or
        /// `person_ref:function` (split at the first `:`), e.g. `P-1:starosta|P-2:terénní
        /// pracovník`, added to `representatives` (JSON also: objects with `person_id` or
        /// `person_ref`, and `function`). A reference nobody has (or a person the caller may
        /// not see) fails the row with `not_found` on that column; giving both a `…_ref` and its
        /// `…_id` fails it with `ambiguous`.
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
    Ok(HttpResponse::Ok().json(ListResponse { items, next_cursor: page.next_cursor, total: page.total }))
}

/// Get an import report (an admin any, anyone else their own).
#[utoipa::path(operation_id = "get_import", tag = "imports", security(("bearer" = [])),
    responses((status = 200, description = "The report", body = ImportReportView), ReadErrors))]
#[get("/imports/{id}")]
pub async fn get(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    let report = imports::get_report(state.store.conn(), &who, *id).await?;
    Ok(HttpResponse::Ok().json(ImportReportView::of(&report)?))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(get)
        .service(import_territorial_units)
        .service(import_organizations)
        .service(import_people)
        .service(import_partnerships)
        .service(import_memberships);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_take_their_columns_types() {
        assert_eq!(cell_value("population", " 1200 "), Value::from(1200));
        assert_eq!(cell_value("name", ""), Value::Null);
        assert_eq!(cell_value("territorial_unit_refs", "A| B |"), serde_json::json!(["A", "B"]));
        assert_eq!(cell_value("territorial_unit_refs", ""), serde_json::json!([]));
    }

    #[test]
    fn the_delimiter_and_bom_are_recognised() -> ApiResult<()> {
        let rows = read_csv(Target::Organizations, "\u{feff}external_ref;name;kind\nA;Obec, a.s.;ngo\n".as_bytes())?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["name"], "Obec, a.s.");
        assert!(read_csv(Target::Organizations, b"external_ref,nope\nA,b\n").is_err());
        Ok(())
    }

    #[test]
    fn arrays_compare_as_sets() {
        assert_eq!(canonical(serde_json::json!({"a": [2, 1]})), canonical(serde_json::json!({"a": [1, 2]})));
    }
}
