//! One row: its checks, the resolution of its references, the record it matches, whether it
//! changes anything, and its write by the single-row use case.

use std::collections::HashMap;

use domain::access::Principal;
use persistence::WriteTx;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use service::imports::{self as imports, RefKind};
use service::meetings::Meetings;
use service::memberships::Memberships;
use service::registry::{self, Organizations, People, TerritorialUnits};
use service::working_groups::WorkingGroups;
use service::{Precondition, Session, records};
use uuid::Uuid;

use super::read::{JSON_COLUMNS, LIST_COLUMNS, Row, Target};
use super::{ImportStrategy, internal};
use crate::error::ApiError;
use crate::http::merge_patch;
use crate::routes::calls::{CallInput, CallView};
use crate::routes::measures::{MeasureInput, MeasureView};
use crate::routes::meetings::{MeetingInput, MeetingView};
use crate::routes::memberships::{MembershipInput, MembershipView};
use crate::routes::organizations::{OrganizationInput, OrganizationView};
use crate::routes::partnerships::{PartnershipInput, PartnershipView};
use crate::routes::people::{PersonInput, PersonView};
use crate::routes::progress_reports::{ProgressReportInput, ProgressReportView};
use crate::routes::projects::{ProjectInput, ProjectView};
use crate::routes::territorial_units::{TerritorialUnitInput, TerritorialUnitView};
use crate::routes::working_groups::{WorkingGroupInput, WorkingGroupView};
use crate::write::Resource;

/// What a row did.
pub(super) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// What a batch of rows names by `external_ref`, read in one query per batch before its rows
/// run (instead of one per row): the ids of the target's records with the batch's keys, and
/// for the public registries (territorial units, organizations) the records themselves, which
/// their update use case then takes as read (each at most once: a record a row has written is
/// read again by the next row naming it).
///
/// With `creates`, new territorial units and organizations are checked by their create use case
/// row by row, as ever, and written together, many to a statement, before any other row runs
/// (so the audit trail and the change feed keep the rows' order) and at the end of the batch.
#[derive(Default)]
pub(super) struct Known {
    /// `None` for targets matched otherwise (measures, memberships).
    ids: Option<HashMap<String, Uuid>>,
    organizations: HashMap<Uuid, persistence::organizations::Organization>,
    territorial_units: HashMap<Uuid, persistence::territorial_units::TerritorialUnit>,
    /// Checked creates waiting for their write; `None`: each row writes its own.
    creates: Option<Creates>,
}

/// Creates checked by their use case, not yet written.
#[derive(Default)]
struct Creates {
    organizations: Vec<domain::registry::OrganizationData>,
    territorial_units: Vec<domain::registry::TerritorialUnitData>,
    /// Their `external_ref`s: a later row naming one waits until they are written.
    refs: std::collections::HashSet<String>,
}

impl Known {
    /// Reads what `rows` name (in the import's transaction); `write_together`: new territorial
    /// units and organizations are written many at a time.
    pub(super) async fn read(tx: &WriteTx, target: Target, rows: &[Row], write_together: bool) -> Result<Self, ApiError> {
        let Some(kind) = target.kind() else { return Ok(Self::default()) };
        // A key PostgreSQL cannot take as a parameter (a NUL) is left out: its row is refused
        // as `nul_character` when it runs, as a row of one.
        let mut refs: Vec<String> = rows.iter().filter_map(|r| text_of(r.get("external_ref"))).filter(|r| !r.contains('\0')).collect();
        refs.sort_unstable();
        refs.dedup();
        let conn = tx.conn();
        let mut known = Self { ids: Some(imports::find_many(conn, kind, &refs).await?), ..Self::default() };
        match target {
            Target::Organizations => {
                known.organizations = imports::organizations_by_ref(conn, &refs).await?.into_iter().map(|r| (r.meta.id, r)).collect();
            }
            Target::TerritorialUnits => {
                known.territorial_units = imports::territorial_units_by_ref(conn, &refs).await?.into_iter().map(|r| (r.meta.id, r)).collect();
            }
            _ => {}
        }
        if write_together && matches!(target, Target::Organizations | Target::TerritorialUnits) {
            known.creates = Some(Creates::default());
        }
        Ok(known)
    }

    /// Writes the checked creates waiting, audits each (in the rows' order) and notes their ids.
    /// A refusal by the database (a unique key taken twice among them) is a refusal of the batch,
    /// which then runs again row by row.
    pub(super) async fn write_creates(&mut self, tx: &WriteTx) -> Result<(), Stop> {
        let Some(creates) = self.creates.as_mut() else { return Ok(()) };
        let organizations = std::mem::take(&mut creates.organizations);
        let territorial_units = std::mem::take(&mut creates.territorial_units);
        creates.refs.clear();
        let batch_refused = |e: service::Error| match ApiError::from(e) {
            ApiError::Internal(fault) => Stop::Fault(ApiError::Internal(fault)),
            refused => Stop::Refused(Refused(vec![(None, "conflict".into(), refused.to_string())])),
        };
        let mut written = Vec::new();
        if !organizations.is_empty() {
            let records = registry::insert_checked::<Organizations>(tx, organizations).await.map_err(batch_refused)?;
            written.extend(records.iter().map(|r| (r.data.external_ref.clone(), created::<OrganizationView>(r))));
        }
        if !territorial_units.is_empty() {
            let records = registry::insert_checked::<TerritorialUnits>(tx, territorial_units).await.map_err(batch_refused)?;
            written.extend(records.iter().map(|r| (r.data.external_ref.clone(), created::<TerritorialUnitView>(r))));
        }
        for (external_ref, w) in written {
            tx.audit(w.action, w.resource, w.id, w.before, Some(w.after)).await.map_err(|e| Stop::Fault(e.into()))?;
            if let (Some(external_ref), Some(ids)) = (external_ref, self.ids.as_mut()) {
                ids.insert(external_ref, w.id);
            }
        }
        Ok(())
    }

    /// Keeps a checked create of a row for [`write_creates`](Self::write_creates): `false` when
    /// rows write their own (or this target's creates are not written together).
    async fn defer_create(&mut self, tx: &WriteTx, who: &Principal, target: Target, row: &Row, external_ref: Option<String>) -> Result<bool, Stop> {
        if self.creates.is_none() {
            return Ok(false);
        }
        match target {
            Target::Organizations => {
                let input: OrganizationInput = input(row).map_err(refusal)?;
                let data = checked(tx, who, async |s| registry::check_create::<Organizations, _>(s, || input.into_data()).await).await?;
                self.creates.get_or_insert_default().organizations.push(data);
            }
            Target::TerritorialUnits => {
                let input: TerritorialUnitInput = input(row).map_err(refusal)?;
                let data = checked(tx, who, async |s| registry::check_create::<TerritorialUnits, _>(s, || input.into_data()).await).await?;
                self.creates.get_or_insert_default().territorial_units.push(data);
            }
            _ => return Ok(false),
        }
        if let Some(external_ref) = external_ref {
            self.creates.get_or_insert_default().refs.insert(external_ref);
        }
        Ok(true)
    }

    fn waiting(&self, external_ref: Option<&String>) -> bool {
        self.creates.as_ref().is_some_and(|c| external_ref.is_some_and(|r| c.refs.contains(r)))
    }
}

/// Runs a use case (or a create use case's checks) in the import's transaction, as the write
/// protocol runs one: one that did not ask the access policy is a fault.
async fn checked<T>(tx: &WriteTx, who: &Principal, run: impl AsyncFnOnce(&Session<'_>) -> service::Result<T>) -> Result<T, Stop> {
    let session = Session::new(tx, who, None);
    match run(&session).await {
        Ok(_) if !session.was_authorized() => Err(Stop::Fault(internal("a use case ran a row without asking the access policy".into()))),
        Ok(checked) => Ok(checked),
        Err(e) => Err(refusal(e.into())),
    }
}

/// A row refused, with its reasons (`field`, `code`, `message`).
pub(super) struct Refused(pub(super) Vec<(Option<String>, String, String)>);

impl Refused {
    fn one(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self(vec![(Some(field.to_owned()), code.to_owned(), message.into())])
    }
}

/// How a row's run ends besides success: refused (having written, or before writing
/// anything: declined), or a fault that stops the import.
pub(super) enum Stop {
    Refused(Refused),
    /// Refused by a check before the row wrote anything: nothing of the row is to undo.
    Declined(Refused),
    Fault(ApiError),
}

impl Stop {
    /// A refusal of a row's checks, before any write of the row.
    fn declined(self) -> Self {
        match self {
            Self::Refused(r) => Self::Declined(r),
            other => other,
        }
    }
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

/// Arrays whose order is content (a meeting's agenda, its resolutions, a measure's
/// indicators): compared in order. Every other array is a set (territorial units,
/// representatives, attendance): the order a row lists them in is not content.
const ORDERED: &[&str] = &["agenda", "resolutions", "indicators"];

pub(super) fn canonical(v: Value) -> Value {
    canonical_as(v, false)
}

fn canonical_as(v: Value, ordered: bool) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(|i| canonical_as(i, false)).collect();
            if !ordered {
                items.sort_by_cached_key(Value::to_string);
            }
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let ordered = ORDERED.contains(&k.as_str());
                    (k, canonical_as(v, ordered))
                })
                .collect(),
        ),
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
    // The column (or the place in a list of objects, `attendance[1].status`) holding a value.
    fn path_to(v: &Value, needle: &str, path: String) -> Option<String> {
        match v {
            Value::String(s) if s == needle => Some(path),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| path_to(v, needle, format!("{path}[{i}]"))),
            Value::Object(map) => map.iter().find_map(|(k, v)| path_to(v, needle, format!("{path}.{k}"))),
            _ => None,
        }
    }
    let holding = |needle: &str| row.iter().find_map(|(k, v)| path_to(v, needle, k.clone()));
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
    for column in ["joined_on", "left_on", "established_on", "memorandum_signed_on", "starts_on", "deadline", "reported_on"] {
        if let Some(Value::String(s)) = row.get(column)
            && let Err(e) = s.parse::<chrono::NaiveDate>()
        {
            return Err(Refused::one(column, "malformed", format!("`{column}` is not a date (YYYY-MM-DD): {e}")));
        }
    }
    for column in ["period_from", "period_to"] {
        if let Some(Value::String(s)) = row.get(column)
            && let Err(e) = s.parse::<chrono::NaiveDate>()
        {
            return Err(Refused::one(column, "malformed", format!("`{column}` is not a date (YYYY-MM-DD): {e}")));
        }
    }
    for column in ["starts_at", "ends_at", "opens_at", "closes_at"] {
        if let Some(Value::String(s)) = row.get(column)
            && let Err(e) = s.parse::<chrono::DateTime<chrono::Utc>>()
        {
            return Err(Refused::one(column, "malformed", format!("`{column}` is not a time (RFC 3339, e.g. 2024-03-01T10:00:00Z): {e}")));
        }
    }
    Ok(())
}

pub(super) fn text_of(v: Option<&Value>) -> Option<String> {
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

/// What a code within a plan names.
#[derive(Clone, Copy)]
enum CodeOf {
    Goal,
    Measure,
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

    /// A code within a plan (`goal_code`, `parent_code`) into the id of its goal or measure.
    async fn code(&self, row: &mut Row, plan_id: Uuid, of: CodeOf, reference: &str, id: &str) -> Result<(), Stop> {
        let Some(code) = text_of(row.remove(reference).as_ref()) else { return Ok(()) };
        if row.get(id).is_some_and(|v| !v.is_null()) {
            return Err(Refused::one(reference, "ambiguous", format!("give `{reference}` or `{id}`, not both")).into());
        }
        let found = match of {
            CodeOf::Goal => imports::goal_by_code(self.tx.conn(), self.who, plan_id, &code).await,
            CodeOf::Measure => imports::measure_by_code(self.tx.conn(), self.who, plan_id, &code).await,
        };
        match found {
            Ok(found) => {
                row.insert(id.to_owned(), Value::String(found.to_string()));
                Ok(())
            }
            Err(service::Error::Store(persistence::StoreError::NotFound)) => {
                Err(Refused::one(reference, "not_found", format!("`{reference}`: the plan has no record with code `{code}` (or is not visible to you)")).into())
            }
            Err(e) => Err(refusal(e.into())),
        }
    }

    /// A progress report's `measure_ref` (with the row's `plan_id`, when given, to tell the
    /// versions of a revised plan apart) into `measure_id`.
    async fn measure(&self, row: &mut Row) -> Result<(), Stop> {
        let plan_id = match row.remove("plan_id") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(v.as_str().and_then(|s| s.trim().parse::<Uuid>().ok()).ok_or_else(|| Refused::one("plan_id", "format", "`plan_id` is not a UUID"))?)
            }
        };
        let Some(external_ref) = text_of(row.remove("measure_ref").as_ref()) else { return Ok(()) };
        if row.get("measure_id").is_some_and(|v| !v.is_null()) {
            return Err(Refused::one("measure_ref", "ambiguous", "give `measure_ref` or `measure_id`, not both").into());
        }
        let found = imports::measures_by_ref(self.tx.conn(), self.who, &external_ref, plan_id, None).await.map_err(|e| refusal(e.into()))?;
        match found.as_slice() {
            [one] => {
                row.insert("measure_id".into(), Value::String(one.to_string()));
                Ok(())
            }
            [] => {
                Err(Refused::one("measure_ref", "not_found", format!("`measure_ref`: no measure with external_ref `{external_ref}` (or not visible to you)"))
                    .into())
            }
            _ => Err(Refused::one(
                "measure_ref",
                "ambiguous",
                format!("`measure_ref`: several measures have external_ref `{external_ref}`; give `plan_id` to choose one"),
            )
            .into()),
        }
    }

    /// A measure row's `partnership_ref` into the `plan_id` of that partnership's draft plan
    /// (the one the caller sees; none is not found, several are ambiguous).
    async fn draft_plan(&self, row: &mut Row) -> Result<(), Stop> {
        let Some(partnership_ref) = text_of(row.remove("partnership_ref").as_ref()) else { return Ok(()) };
        if row.get("plan_id").is_some_and(|v| !v.is_null()) {
            return Err(Refused::one("partnership_ref", "ambiguous", "give `partnership_ref` or `plan_id`, not both").into());
        }
        let partnership = self.one(RefKind::Partnership, "partnership_ref", &partnership_ref).await?;
        let drafts = imports::draft_plans(self.tx.conn(), self.who, partnership).await.map_err(|e| refusal(e.into()))?;
        match drafts.as_slice() {
            [one] => {
                row.insert("plan_id".into(), Value::String(one.to_string()));
                Ok(())
            }
            [] => Err(Refused::one(
                "partnership_ref",
                "not_found",
                format!("`partnership_ref`: partnership `{partnership_ref}` has no draft plan (visible to you)"),
            )
            .into()),
            _ => Err(Refused::one(
                "partnership_ref",
                "ambiguous",
                format!("`partnership_ref`: partnership `{partnership_ref}` has several draft plans; give `plan_id`"),
            )
            .into()),
        }
    }

    /// A call's `programme_code` into `programme_id`.
    async fn programme(&self, row: &mut Row) -> Result<(), Stop> {
        let Some(code) = text_of(row.remove("programme_code").as_ref()) else { return Ok(()) };
        if row.get("programme_id").is_some_and(|v| !v.is_null()) {
            return Err(Refused::one("programme_code", "ambiguous", "give `programme_code` or `programme_id`, not both").into());
        }
        match imports::programme_by_code(self.tx.conn(), &code).await {
            Ok(id) => {
                row.insert("programme_id".into(), Value::String(id.to_string()));
                Ok(())
            }
            Err(service::Error::Store(persistence::StoreError::NotFound)) => {
                Err(Refused::one("programme_code", "not_found", format!("`programme_code`: no operational programme has the code `{code}`")).into())
            }
            Err(e) => Err(refusal(e.into())),
        }
    }

    /// A project's `measure_refs` (measures of its partnership) added to `measure_ids`.
    async fn project_measures(&self, row: &mut Row) -> Result<(), Stop> {
        let present = row.contains_key("measure_refs") || row.contains_key("measure_ids");
        let refs = list_of(row.remove("measure_refs"), "measure_refs")?;
        let mut all = list_of(row.remove("measure_ids"), "measure_ids")?.into_iter().map(Value::String).collect::<Vec<_>>();
        let partnership = uuid_in(row, "partnership_id");
        for r in refs {
            let found = imports::measures_by_ref(self.tx.conn(), self.who, &r, None, partnership).await.map_err(|e| refusal(e.into()))?;
            match found.as_slice() {
                [one] => all.push(Value::String(one.to_string())),
                [] => {
                    return Err(Refused::one(
                        "measure_refs",
                        "not_found",
                        format!("`measure_refs`: no measure with external_ref `{r}` (or not visible to you)"),
                    )
                    .into());
                }
                _ => {
                    return Err(Refused::one(
                        "measure_refs",
                        "ambiguous",
                        format!("`measure_refs`: several measures have external_ref `{r}`; give `measure_ids`"),
                    )
                    .into());
                }
            }
        }
        if present {
            row.insert("measure_ids".into(), Value::Array(all));
        }
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
        self.people(row, "representatives", "representative_refs", "function", false).await
    }

    /// `attendance_refs`: `person_ref:status`, added to `attendance` (JSON: objects with
    /// `person_id` or `person_ref`, and `status`).
    async fn attendance(&self, row: &mut Row) -> Result<(), Stop> {
        self.people(row, "attendance", "attendance_refs", "status", true).await
    }

    /// A list of objects naming people (`objects`), with its ref column (`references`):
    /// `person_ref` or `person_ref:<second>` (split at the first `:`), `<second>` required or not.
    async fn people(&self, row: &mut Row, objects: &str, references: &str, second: &str, required: bool) -> Result<(), Stop> {
        let present = row.contains_key(references) || row.contains_key(objects);
        let refs = list_of(row.remove(references), references)?;
        let mut all = match row.remove(objects) {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) => items,
            Some(_) => return Err(Refused::one(objects, "type", format!("`{objects}` is a list of objects")).into()),
        };
        for (i, item) in all.iter_mut().enumerate() {
            if let Value::Object(obj) = item
                && let Some(external_ref) = text_of(obj.remove("person_ref").as_ref())
            {
                let column = format!("{objects}[{i}].person_ref");
                obj.insert("person_id".into(), Value::String(self.one(RefKind::Person, &column, &external_ref).await?.to_string()));
            }
        }
        for r in refs {
            let (person, value) = match r.split_once(':') {
                Some((p, f)) => (p.trim().to_owned(), Some(f.trim().to_owned()).filter(|f| !f.is_empty())),
                None => (r, None),
            };
            if required && value.is_none() {
                return Err(Refused::one(references, "missing", format!("`{references}`: `{person}` needs its {second}, as `{person}:<{second}>`")).into());
            }
            let id = self.one(RefKind::Person, references, &person).await?;
            let mut obj = Row::new();
            obj.insert("person_id".into(), Value::String(id.to_string()));
            obj.insert(second.to_owned(), value.map_or(Value::Null, Value::String));
            all.push(Value::Object(obj));
        }
        if present {
            row.insert(objects.to_owned(), Value::Array(all));
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
    checked(tx, who, async |s| match run(s).await {
        Ok(written) => Ok(Some(written)),
        Err(service::Error::Caller(e)) if e.is::<Unchanged>() => Ok(None),
        Err(e) => Err(e),
    })
    .await
}

/// The write of one row: create, or update the record it matches.
async fn write_row(tx: &WriteTx, who: &Principal, target: Target, existing: Option<Uuid>, known: &mut Known, row: Row) -> Result<Option<Written>, Stop> {
    let none = Precondition(None);
    let patch = Value::Object(row.clone());
    // `read`: the record as the batch read it, if it did (public registries only: people are
    // changed by their own use case, with its own access rule).
    macro_rules! registry_row {
        ($input:ty, $view:ty, $kind:ty, $update:expr $(, read: $read:expr)?) => {
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
                    $(if let Some(before) = $read(id) {
                        return perform(tx, who, async |s| registry::update_read::<$kind, _>(s, before, &none, edit).await.map(|c| updated::<$view>(&c)))
                            .await;
                    })?
                    perform(tx, who, async |s| $update(s, id, &none, edit).await.map(|c| updated::<$view>(&c))).await
                }
            }
        };
    }
    // A record kept in a partnership (working groups, meetings): created in the row's
    // partnership (the path of the single request), updated by a merge patch of the rest.
    macro_rules! partnership_row {
        ($input:ty, $view:ty, $kind:ty) => {{
            let mut row = row;
            let partnership_id = row_partnership(&mut row)?;
            match existing {
                None => {
                    let partnership_id =
                        partnership_id.ok_or_else(|| Refused::one("partnership_ref", "missing", "the row needs `partnership_ref` or `partnership_id`"))?;
                    let input: $input = input(&row).map_err(refusal)?;
                    perform(tx, who, async |s| {
                        records::create::<$kind, _>(s, partnership_id, || input.into_data(partnership_id)).await.map(|r| created::<$view>(&r))
                    })
                    .await
                }
                Some(id) => {
                    let edit = |current: &<$view as Resource>::Data| -> Result<_, EditStop> {
                        if partnership_id.is_some_and(|p| p != current.partnership_id) {
                            return Err(EditStop::Api(immutable_partnership()));
                        }
                        let data = merge_patch(&<$input>::from_data(current), Value::Object(row))?.into_data(current.partnership_id)?;
                        changes(&<$input>::from_data(&data), &<$input>::from_data(current))?;
                        Ok(data)
                    };
                    perform(tx, who, async |s| records::update::<$kind, _>(s, id, &none, edit).await.map(|c| updated::<$view>(&c))).await
                }
            }
        }};
    }
    match target {
        Target::Measures => {
            let mut row = row;
            let plan_id =
                take_uuid(&mut row, "plan_id")?.ok_or_else(|| Refused::one("plan_id", "missing", "a measure row names its draft plan (`plan_id`)"))?;
            match existing {
                None => {
                    let input: MeasureInput = input(&row).map_err(refusal)?;
                    perform(tx, who, async |s| service::measures::create(s, plan_id, || input.into_data()).await.map(|r| created::<MeasureView>(&r))).await
                }
                Some(id) => {
                    let edit = |current: &domain::plan::MeasureData| -> Result<_, EditStop> {
                        let data = merge_patch(&MeasureInput::from_data(current), Value::Object(row))?.into_data()?;
                        changes(&MeasureInput::from_data(&data), &MeasureInput::from_data(current))?;
                        Ok(data)
                    };
                    perform(tx, who, async |s| service::measures::update(s, id, &none, edit).await.map(|c| updated::<MeasureView>(&c))).await
                }
            }
        }
        Target::ProgressReports => {
            let mut row = row;
            let measure_id = take_uuid(&mut row, "measure_id")?;
            match existing {
                None => {
                    let measure_id =
                        measure_id.ok_or_else(|| Refused::one("measure_ref", "missing", "a report names its measure (`measure_ref` or `measure_id`)"))?;
                    let input: ProgressReportInput = input(&row).map_err(refusal)?;
                    let content = || -> Result<_, ApiError> {
                        validator::Validate::validate(&input)?;
                        Ok(input.into_content())
                    };
                    perform(tx, who, async |s| {
                        let (_, report) = service::monitoring::report_progress(s, measure_id, content).await?;
                        let view = ProgressReportView::from(report);
                        Ok(Written {
                            action: "create",
                            resource: "progress_report",
                            id: view.id,
                            before: None,
                            after: serde_json::to_value(&view).unwrap_or(Value::Null),
                        })
                    })
                    .await
                }
                Some(id) => same_report(tx, who, id, measure_id, row).await.map(|()| None),
            }
        }
        Target::Calls => match existing {
            None => {
                let input: CallInput = input(&row).map_err(refusal)?;
                perform(tx, who, async |s| service::calls::create_call(s, || input.into_data()).await.map(|r| created::<CallView>(&r))).await
            }
            Some(id) => {
                let edit = |current: &domain::esif::CallData| -> Result<_, EditStop> {
                    let data = merge_patch(&CallInput::from_data(current), patch)?.into_data()?;
                    changes(&CallInput::from_data(&data), &CallInput::from_data(current))?;
                    Ok(data)
                };
                perform(tx, who, async |s| service::calls::update_call(s, id, &none, edit).await.map(|c| updated::<CallView>(&c))).await
            }
        },
        Target::Projects => {
            let mut row = row;
            let partnership_id = row_partnership(&mut row)?;
            match existing {
                None => {
                    let partnership_id =
                        partnership_id.ok_or_else(|| Refused::one("partnership_ref", "missing", "the row needs `partnership_ref` or `partnership_id`"))?;
                    let input: ProjectInput = input(&row).map_err(refusal)?;
                    let applicant = input.applicant_organization_id;
                    perform(tx, who, async |s| {
                        service::projects::create(s, partnership_id, applicant, || input.into_data(partnership_id)).await.map(|r| created::<ProjectView>(&r))
                    })
                    .await
                }
                Some(id) => {
                    let edit = |current: &domain::esif::ProjectData| -> Result<_, EditStop> {
                        if partnership_id.is_some_and(|p| p != current.partnership_id) {
                            return Err(EditStop::Api(immutable_partnership()));
                        }
                        let data = merge_patch(&ProjectInput::from_data(current), Value::Object(row))?.into_data(current.partnership_id)?;
                        changes(&ProjectInput::from_data(&data), &ProjectInput::from_data(current))?;
                        Ok(data)
                    };
                    perform(tx, who, async |s| service::projects::update(s, id, &none, edit).await.map(|c| updated::<ProjectView>(&c))).await
                }
            }
        }
        Target::WorkingGroups => partnership_row!(WorkingGroupInput, WorkingGroupView, WorkingGroups),
        Target::Meetings => partnership_row!(MeetingInput, MeetingView, Meetings),
        Target::TerritorialUnits => registry_row!(
            TerritorialUnitInput,
            TerritorialUnitView,
            TerritorialUnits,
            registry::update::<TerritorialUnits, _>,
            read: |id| known.territorial_units.remove(&id)
        ),
        Target::Organizations => {
            registry_row!(OrganizationInput, OrganizationView, Organizations, registry::update::<Organizations, _>, read: |id| known.organizations.remove(&id))
        }
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

/// A report is never edited (a correction is a newer report): a row naming a stored report
/// must say what it says (`unchanged`; a row that leaves its measure out means the stored
/// one), as seen by a caller who may report on its measure.
async fn same_report(tx: &WriteTx, who: &Principal, id: Uuid, measure_id: Option<Uuid>, row: Row) -> Result<(), Stop> {
    let stored = persistence::plans::get_report(tx.conn(), id).await.map_err(|e| refusal(service::Error::from(e).into()))?;
    let measure = service::monitoring::readable(tx.conn(), who, stored.measure_id).await.map_err(|e| refusal(e.into()))?;
    who.authorize_known(domain::access::Action::ReportProgress {
        partnership: measure.data.partnership_id,
        responsible: measure.data.data.responsible_organization_id,
    })
    .map_err(|e| refusal(service::Error::from(e).into()))?;
    if measure_id.is_some_and(|m| m != stored.measure_id) {
        return Err(Refused::one("measure_ref", "immutable", "the report with this external_ref is on another measure; a report is never edited").into());
    }
    let current = ProgressReportInput::from_report(&stored);
    let mut new = merge_patch(&current, Value::Object(row)).map_err(refusal)?;
    validator::Validate::validate(&new).map_err(|e| refusal(e.into()))?;
    new.percent_done = domain::plan::reported_percent(new.status, new.percent_done);
    match changes(&new, &current) {
        Err(EditStop::Unchanged) => Ok(()),
        Err(EditStop::Api(e)) => Err(refusal(e)),
        Ok(()) => Err(Stop::Refused(Refused(vec![(
            Some("external_ref".into()),
            "immutable".into(),
            "a progress report is never edited; report the correction as a new report (another external_ref)".into(),
        )]))),
    }
}

/// A UUID column taken out of the row (`None` when absent or empty).
fn take_uuid(row: &mut Row, column: &str) -> Result<Option<Uuid>, Stop> {
    match row.remove(column) {
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| Refused::one(column, "format", format!("`{column}` is not a UUID")).into()),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(Refused::one(column, "type", format!("`{column}` is a UUID text")).into()),
    }
}

/// A row's partnership, if it names one, taken out of the row (the single request has it in
/// its path).
fn row_partnership(row: &mut Row) -> Result<Option<Uuid>, Stop> {
    take_uuid(row, "partnership_id")
}

/// A row that would move its record to another partnership.
fn immutable_partnership() -> ApiError {
    ApiError::Unprocessable {
        detail: "a record stays in its partnership".into(),
        errors: vec![domain::FieldError::new("partnership_id", "immutable", "the record belongs to another partnership; it stays there")],
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

/// Checks, resolves and writes one row (inside a savepoint). A refusal before the row writes
/// anything is [`Stop::Declined`].
pub(super) async fn import_row(tx: &WriteTx, who: &Principal, target: Target, strategy: ImportStrategy, known: &mut Known, row: Row) -> Result<Outcome, Stop> {
    let external_ref = text_of(row.get("external_ref"));
    // A row naming a record created earlier in the batch finds it once it is written.
    if known.waiting(external_ref.as_ref()) {
        known.write_creates(tx).await?;
    }
    let (row, existing) = match matched(tx, who, target, strategy, known, row).await {
        Ok(found) => found,
        Err(stop) => return Err(stop.declined()),
    };
    let was_update = existing.is_some();
    if !was_update && known.defer_create(tx, who, target, &row, external_ref.clone()).await.map_err(Stop::declined)? {
        return Ok(Outcome::Created);
    }
    // Any other row writes after the creates before it.
    known.write_creates(tx).await?;
    match write_row(tx, who, target, existing, known, row).await? {
        None => Ok(Outcome::Unchanged),
        Some(w) => {
            tx.audit(w.action, w.resource, w.id, w.before, Some(w.after)).await.map_err(|e| Stop::Fault(e.into()))?;
            // A later row of the batch with the same key updates what this one created.
            if let (false, Some(external_ref), Some(ids)) = (was_update, external_ref, known.ids.as_mut()) {
                ids.insert(external_ref, w.id);
            }
            Ok(if was_update { Outcome::Updated } else { Outcome::Created })
        }
    }
}

/// A row's checks that need no write: what it can hold, its references resolved, and the
/// record it updates (if any) under the strategy.
async fn matched(tx: &WriteTx, who: &Principal, target: Target, strategy: ImportStrategy, known: &Known, mut row: Row) -> Result<(Row, Option<Uuid>), Stop> {
    if let Some(refused) = unstorable(&row) {
        return Err(refused.into());
    }
    check_dates(&row)?;
    // An empty list is `[]`, whether a JSON row says `null` or leaves a CSV cell empty.
    for (column, value) in row.iter_mut() {
        if value.is_null() && (LIST_COLUMNS.contains(&column.as_str()) || JSON_COLUMNS.contains(&column.as_str())) {
            *value = Value::Array(vec![]);
        }
    }
    let resolver = Resolver { tx, who };
    match target {
        Target::WorkingGroups => {
            resolver.scalar(&mut row, RefKind::Partnership, "partnership_ref", "partnership_id").await?;
            resolver.scalar(&mut row, RefKind::Person, "coordinator_ref", "coordinator_id").await?;
            resolver.list(&mut row, RefKind::Person, "member_refs", "member_ids").await?;
        }
        Target::Measures => {
            resolver.draft_plan(&mut row).await?;
            let plan_id = uuid_in(&row, "plan_id").ok_or_else(|| {
                Refused::one(
                    "plan_id",
                    "missing",
                    "a measure row names its draft plan (`plan_id`, a UUID, or `partnership_ref`: its partnership's one draft plan)",
                )
            })?;
            resolver.code(&mut row, plan_id, CodeOf::Goal, "goal_code", "goal_id").await?;
            resolver.code(&mut row, plan_id, CodeOf::Measure, "parent_code", "parent_measure_id").await?;
            resolver.scalar(&mut row, RefKind::Organization, "responsible_organization_ref", "responsible_organization_id").await?;
            resolver.list(&mut row, RefKind::Organization, "co_implementer_refs", "co_implementer_ids").await?;
        }
        Target::Calls => {
            resolver.programme(&mut row).await?;
            resolver.list(&mut row, RefKind::Partnership, "open_to_refs", "open_to").await?;
        }
        Target::Projects => {
            resolver.scalar(&mut row, RefKind::Partnership, "partnership_ref", "partnership_id").await?;
            resolver.scalar(&mut row, RefKind::Organization, "applicant_organization_ref", "applicant_organization_id").await?;
            resolver.scalar(&mut row, RefKind::Call, "call_ref", "call_id").await?;
            resolver.project_measures(&mut row).await?;
        }
        Target::ProgressReports => {
            resolver.measure(&mut row).await?;
            resolver.scalar(&mut row, RefKind::Person, "author_person_ref", "author_person_id").await?;
        }
        Target::Meetings => {
            resolver.scalar(&mut row, RefKind::Partnership, "partnership_ref", "partnership_id").await?;
            resolver.scalar(&mut row, RefKind::WorkingGroup, "working_group_ref", "working_group_id").await?;
            resolver.attendance(&mut row).await?;
        }
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
    let external_ref = text_of(row.get("external_ref"));
    let existing = match target.kind() {
        Some(kind) => match (&external_ref, &known.ids) {
            (Some(external_ref), Some(ids)) => ids.get(external_ref).copied(),
            (Some(external_ref), None) => imports::find(tx.conn(), kind, external_ref).await.map_err(|e| refusal(e.into()))?,
            (None, _) => None,
        },
        None if target == Target::Measures => match (uuid_in(&row, "plan_id"), text_of(row.get("external_ref"))) {
            (Some(plan_id), Some(external_ref)) => imports::find_measure(tx.conn(), plan_id, &external_ref).await.map_err(|e| refusal(e.into()))?,
            _ => None,
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
    Ok((row, existing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_compare_as_sets() {
        assert_eq!(canonical(serde_json::json!({"a": [2, 1]})), canonical(serde_json::json!({"a": [1, 2]})));
    }
}
