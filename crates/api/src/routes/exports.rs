//! `/exports`: the registry (territorial units, organizations, people), partnerships,
//! memberships, working groups, meetings, measures, progress reports, calls and projects as CSV
//! or a JSON array, in exactly the columns of the imports, so that an export imports back
//! unchanged.
//!
//! The body is streamed: the rows are read page by page with the lists' keyset paging (500 a
//! page) and written as they come, never built in memory. Visibility is the lists': people,
//! memberships, working groups, meetings, progress reports and projects need a token and a
//! partner gets only its partnerships' rows; measures without a token are those of approved
//! plans. References are written as refs (the referenced record's `external_ref`, a goal's or
//! measure's code, a programme's code) where the record has one and the import could resolve
//! it for the caller; otherwise as the `…_id` column with the UUID (a project's measures always:
//! it links one version of each). Row contents are never logged (people are personal data).

use persistence::Conn;
use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::access::Principal;
use domain::codelist::{OrganizationKind, PartnershipStatus, PlanStatus, ProgrammingPeriod, ProjectStatus, Region, TerritorialUnitKind, ThematicArea};
use persistence::{PageRequest, esif, meetings, memberships, organizations, partnerships, people, plans, territorial_units, working_groups};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::calls::CallInput;
use super::imports::{JSON_COLUMNS, LIST_COLUMNS, Target};
use super::measures::MeasureInput;
use super::meetings::MeetingInput;
use super::memberships::MembershipInput;
use super::organizations::OrganizationInput;
use super::partnerships::PartnershipInput;
use super::people::PersonInput;
use super::progress_reports::ProgressReportInput;
use super::projects::ProjectInput;
use super::territorial_units::TerritorialUnitInput;
use super::working_groups::WorkingGroupInput;
use crate::auth::{Auth, MaybeAuth};
use crate::error::{ApiError, ApiResult, ListErrors};
use crate::http::{AppState, MAX_LIMIT, page_request};

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Json,
}

/// Declares an export's query parameters: the format ones, `updated_since`, and the list's filters.
macro_rules! export_query {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// `csv` or `json`; without it `Accept: text/csv` chooses CSV, anything else JSON.
            #[param(inline)]
            pub format: Option<ExportFormat>,
            /// CSV for a spreadsheet: `;` between cells and a UTF-8 BOM (Excel with Czech
            /// settings opens it as is). Default `false`: `,` and no BOM.
            pub excel: Option<bool>,
            /// Only rows changed at or after this time (RFC 3339); with `include_archived=true`
            /// archived rows come too.
            pub updated_since: Option<DateTime<Utc>>,
            /// Include archived rows.
            pub include_archived: Option<bool>,
            $($(#[$fm])* pub $field: $ty,)*
        }
    };
}

export_query! {
    /// Filters of the territorial-unit export.
    TerritorialUnitExportQuery {
        /// Text search in the name and code; ignores case and diacritics.
        q: Option<String>,
        kind: Option<TerritorialUnitKind>,
        region: Option<Region>,
    }
}

export_query! {
    /// Filters of the organization export.
    OrganizationExportQuery {
        /// Text search in name, IČO and address; ignores case and diacritics.
        q: Option<String>,
        kind: Option<OrganizationKind>,
        ico: Option<String>,
        /// Organizations with a membership in this partnership (needs a token that may read the partnership).
        partnership_id: Option<Uuid>,
    }
}

export_query! {
    /// Filters of the people export.
    PersonExportQuery {
        /// Text search in name, e-mail and job title; ignores case and diacritics.
        q: Option<String>,
        organization_id: Option<Uuid>,
    }
}

export_query! {
    /// Filters of the partnership export.
    PartnershipExportQuery {
        /// Text search in the name; ignores case and diacritics.
        q: Option<String>,
        status: Option<PartnershipStatus>,
        /// Partnerships covering a territorial unit in this region.
        region: Option<Region>,
        territorial_unit_id: Option<Uuid>,
        /// Partnerships this consultant (person) is assigned to.
        consultant_id: Option<Uuid>,
    }
}

export_query! {
    /// Filters of the membership export.
    MembershipExportQuery {
        partnership_id: Option<Uuid>,
        organization_id: Option<Uuid>,
        /// Only memberships in force on this day.
        active_on: Option<NaiveDate>,
    }
}

export_query! {
    /// Filters of the working-group export.
    WorkingGroupExportQuery {
        partnership_id: Option<Uuid>,
        thematic_area: Option<ThematicArea>,
        /// Text search in the name; ignores case and diacritics.
        q: Option<String>,
    }
}

export_query! {
    /// Filters of the meeting export.
    MeetingExportQuery {
        partnership_id: Option<Uuid>,
        working_group_id: Option<Uuid>,
        /// Meetings starting at or after this time.
        from: Option<DateTime<Utc>>,
        /// Meetings starting before this time.
        to: Option<DateTime<Utc>>,
        /// Text search in title and place; ignores case and diacritics.
        q: Option<String>,
    }
}

export_query! {
    /// Filters of the measure export.
    MeasureExportQuery {
        plan_id: Option<Uuid>,
        partnership_id: Option<Uuid>,
        goal_id: Option<Uuid>,
        /// Only measures of plans in this status (default: every plan the caller sees).
        plan_status: Option<PlanStatus>,
        /// Text search in code, title and description; ignores case and diacritics.
        q: Option<String>,
    }
}

export_query! {
    /// Filters of the progress-report export.
    ProgressReportExportQuery {
        partnership_id: Option<Uuid>,
        plan_id: Option<Uuid>,
        measure_id: Option<Uuid>,
    }
}

export_query! {
    /// Filters of the call export.
    CallExportQuery {
        programme_id: Option<Uuid>,
        period: Option<ProgrammingPeriod>,
        /// Calls accepting applications on this day.
        open_on: Option<NaiveDate>,
        /// Calls a project of this partnership may apply to (every non-KPSVL call, and KPSVL calls open to it).
        open_to_partnership_id: Option<Uuid>,
        kpsvl: Option<bool>,
        /// Text search in number and title.
        q: Option<String>,
    }
}

export_query! {
    /// Filters of the project export.
    ProjectExportQuery {
        partnership_id: Option<Uuid>,
        call_id: Option<Uuid>,
        programme_id: Option<Uuid>,
        applicant_organization_id: Option<Uuid>,
        /// Projects implementing this measure.
        measure_id: Option<Uuid>,
        status: Option<ProjectStatus>,
        /// Text search in title and summary.
        q: Option<String>,
    }
}

// --- the rows ------------------------------------------------------------------------------------

/// The list an export reads, with its filter.
enum Source {
    TerritorialUnits(territorial_units::Filter),
    Organizations(organizations::Filter),
    People(people::Filter),
    Partnerships(partnerships::Filter),
    Memberships(memberships::Filter),
    WorkingGroups(working_groups::Filter),
    Meetings(meetings::Filter),
    Measures(plans::MeasureFilter),
    ProgressReports(plans::ReportFilter),
    Calls(esif::CallFilter),
    Projects(esif::ProjectFilter),
}

impl Source {
    fn target(&self) -> Target {
        match self {
            Self::TerritorialUnits(_) => Target::TerritorialUnits,
            Self::Organizations(_) => Target::Organizations,
            Self::People(_) => Target::People,
            Self::Partnerships(_) => Target::Partnerships,
            Self::Memberships(_) => Target::Memberships,
            Self::WorkingGroups(_) => Target::WorkingGroups,
            Self::Meetings(_) => Target::Meetings,
            Self::Measures(_) => Target::Measures,
            Self::ProgressReports(_) => Target::ProgressReports,
            Self::Calls(_) => Target::Calls,
            Self::Projects(_) => Target::Projects,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum RefOf {
    TerritorialUnit,
    Organization,
    Person,
    Partnership,
    WorkingGroup,
    Measure,
    /// A goal's code (in its plan), for `goal_code`.
    GoalCode,
    /// A measure's code (in its plan), for `parent_code`.
    MeasureCode,
    Call,
    /// An operational programme's code, for `programme_code`.
    ProgrammeCode,
}

/// The `external_ref`s of referenced records, as the import resolves them for the caller
/// (people only when the caller may see them), remembered over the export.
struct Refs {
    who: Option<Principal>,
    known: HashMap<(RefOf, Uuid), Option<String>>,
}

impl Refs {
    async fn of(&mut self, conn: &impl Conn, kind: RefOf, id: Uuid) -> ApiResult<Option<String>> {
        if let Some(known) = self.known.get(&(kind, id)) {
            return Ok(known.clone());
        }
        let found = match kind {
            RefOf::TerritorialUnit => absent_is_none(territorial_units::get(conn, id).await)?.and_then(|r| r.data.external_ref),
            RefOf::Organization => absent_is_none(organizations::get(conn, id).await)?.and_then(|r| r.data.external_ref),
            RefOf::Partnership => absent_is_none(partnerships::get(conn, id).await)?.and_then(|r| r.data.data.external_ref),
            // The working group of a meeting the caller reads: in the same partnership.
            RefOf::WorkingGroup => absent_is_none(working_groups::get(conn, id).await)?.and_then(|r| r.data.external_ref),
            // The measure of a report the caller reads: in the same partnership.
            RefOf::Measure => absent_is_none(plans::get_measure(conn, id).await)?.and_then(|r| r.data.data.external_ref),
            RefOf::Call => absent_is_none(esif::get_call(conn, id).await)?.and_then(|r| r.data.external_ref),
            RefOf::ProgrammeCode => absent_is_none(esif::get_programme(conn, id).await)?.map(|r| r.data.code),
            RefOf::GoalCode => absent_is_none(plans::get_goal(conn, id).await)?.map(|r| r.data.1.code),
            RefOf::MeasureCode => absent_is_none(plans::get_measure(conn, id).await)?.map(|r| r.data.data.code),
            RefOf::Person => match &self.who {
                None => None,
                Some(who) => absent_is_none(people::get(conn, id, who.readable_partnerships()).await)?.and_then(|r| r.data.external_ref),
            },
        };
        self.known.insert((kind, id), found.clone());
        Ok(found)
    }

    /// `<x>_id` into `<x>_ref` when the record has an `external_ref`.
    async fn scalar(&mut self, conn: &impl Conn, row: &mut Map<String, Value>, kind: RefOf, id: &str, reference: &str) -> ApiResult<()> {
        if let Some(uuid) = row.get(id).and_then(Value::as_str).and_then(|s| s.parse::<Uuid>().ok())
            && let Some(external_ref) = self.of(conn, kind, uuid).await?
        {
            row.insert(id.to_owned(), Value::Null);
            row.insert(reference.to_owned(), Value::String(external_ref));
        }
        Ok(())
    }

    /// `<x>_ids` split into `<x>_refs` (the records with an `external_ref`) and the rest.
    async fn list(&mut self, conn: &impl Conn, row: &mut Map<String, Value>, kind: RefOf, ids: &str, references: &str) -> ApiResult<()> {
        let (mut kept, mut refs) = (Vec::new(), Vec::new());
        if let Some(Value::Array(items)) = row.remove(ids) {
            for item in items {
                match item.as_str().and_then(|s| s.parse::<Uuid>().ok()) {
                    Some(uuid) => match self.of(conn, kind, uuid).await? {
                        Some(external_ref) => refs.push(Value::String(external_ref)),
                        None => kept.push(item),
                    },
                    None => kept.push(item),
                }
            }
        }
        row.insert(ids.to_owned(), Value::Array(kept));
        row.insert(references.to_owned(), Value::Array(refs));
        Ok(())
    }

    /// `representatives` split into `representative_refs` (`person_ref` or
    /// `person_ref:function`) and the rest (objects with `person_id` and `function`).
    async fn representatives(&mut self, conn: &impl Conn, row: &mut Map<String, Value>) -> ApiResult<()> {
        self.people(conn, row, "representatives", "representative_refs", "function").await
    }

    /// A list of objects naming people (`objects`, each with `person_id` and `second`) split
    /// into its ref column (`person_ref` or `person_ref:<second>`) and the rest.
    async fn people(&mut self, conn: &impl Conn, row: &mut Map<String, Value>, objects: &str, references: &str, second: &str) -> ApiResult<()> {
        let (mut kept, mut refs) = (Vec::new(), Vec::new());
        if let Some(Value::Array(items)) = row.remove(objects) {
            for item in items {
                let person = item.get("person_id").and_then(Value::as_str).and_then(|s| s.parse::<Uuid>().ok());
                let function = item.get(second).and_then(Value::as_str).filter(|f| !f.is_empty()).map(str::to_owned);
                let external_ref = match person {
                    Some(uuid) => self.of(conn, RefOf::Person, uuid).await?,
                    None => None,
                };
                // A ref holding `:` or `|` (or a function holding `|`) would not read back from a list cell.
                match external_ref.filter(|r| !r.contains([':', '|']) && !function.as_deref().is_some_and(|f| f.contains('|'))) {
                    Some(r) => refs.push(Value::String(match function {
                        Some(f) => format!("{r}:{f}"),
                        None => r,
                    })),
                    None => kept.push(item),
                }
            }
        }
        row.insert(objects.to_owned(), Value::Array(kept));
        row.insert(references.to_owned(), Value::Array(refs));
        Ok(())
    }
}

fn absent_is_none<T>(found: Result<T, persistence::StoreError>) -> ApiResult<Option<T>> {
    match found {
        Ok(t) => Ok(Some(t)),
        Err(persistence::StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn object<T: serde::Serialize>(input: &T) -> ApiResult<Map<String, Value>> {
    match serde_json::to_value(input) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::Internal("an input type is not an object".into())),
        Err(e) => Err(ApiError::Internal(Box::new(e))),
    }
}

/// Reads one page of the source and turns it into rows of the import's columns (in order).
async fn page_rows(conn: &impl Conn, source: &Source, refs: &mut Refs, req: &PageRequest) -> ApiResult<(Vec<Vec<Value>>, Option<String>)> {
    let mut maps = Vec::new();
    let next = match source {
        Source::TerritorialUnits(filter) => {
            let page = territorial_units::list(conn, filter, req).await?;
            for r in &page.items {
                maps.push(object(&TerritorialUnitInput::from_data(&r.data))?);
            }
            page.next_cursor
        }
        Source::Organizations(filter) => {
            let page = organizations::list(conn, filter, req).await?;
            for r in &page.items {
                maps.push(object(&OrganizationInput::from_data(&r.data))?);
            }
            page.next_cursor
        }
        Source::People(filter) => {
            let page = people::list(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&PersonInput::from_data(&r.data))?;
                refs.scalar(conn, &mut row, RefOf::Organization, "organization_id", "organization_ref").await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::Partnerships(filter) => {
            let page = partnerships::list(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&PartnershipInput::from_data(&r.data.data))?;
                refs.list(conn, &mut row, RefOf::TerritorialUnit, "territorial_unit_ids", "territorial_unit_refs").await?;
                refs.list(conn, &mut row, RefOf::Person, "consultant_ids", "consultant_refs").await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::Memberships(filter) => {
            let page = memberships::list(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&MembershipInput::from_data(&r.data))?;
                row.insert("partnership_id".into(), Value::String(r.data.partnership_id.to_string()));
                refs.scalar(conn, &mut row, RefOf::Partnership, "partnership_id", "partnership_ref").await?;
                refs.scalar(conn, &mut row, RefOf::Organization, "organization_id", "organization_ref").await?;
                refs.representatives(conn, &mut row).await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::WorkingGroups(filter) => {
            let page = working_groups::list(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&WorkingGroupInput::from_data(&r.data))?;
                row.insert("partnership_id".into(), Value::String(r.data.partnership_id.to_string()));
                refs.scalar(conn, &mut row, RefOf::Partnership, "partnership_id", "partnership_ref").await?;
                refs.scalar(conn, &mut row, RefOf::Person, "coordinator_id", "coordinator_ref").await?;
                refs.list(conn, &mut row, RefOf::Person, "member_ids", "member_refs").await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::Meetings(filter) => {
            let page = meetings::list(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&MeetingInput::from_data(&r.data))?;
                row.insert("partnership_id".into(), Value::String(r.data.partnership_id.to_string()));
                refs.scalar(conn, &mut row, RefOf::Partnership, "partnership_id", "partnership_ref").await?;
                refs.scalar(conn, &mut row, RefOf::WorkingGroup, "working_group_id", "working_group_ref").await?;
                refs.people(conn, &mut row, "attendance", "attendance_refs", "status").await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::Measures(filter) => {
            let page = plans::list_measures(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&MeasureInput::from_data(&r.data.data))?;
                row.insert("plan_id".into(), Value::String(r.data.plan_id.to_string()));
                refs.scalar(conn, &mut row, RefOf::GoalCode, "goal_id", "goal_code").await?;
                refs.scalar(conn, &mut row, RefOf::MeasureCode, "parent_measure_id", "parent_code").await?;
                refs.scalar(conn, &mut row, RefOf::Organization, "responsible_organization_id", "responsible_organization_ref").await?;
                refs.list(conn, &mut row, RefOf::Organization, "co_implementer_ids", "co_implementer_refs").await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::ProgressReports(filter) => {
            let page = plans::list_all_reports(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&ProgressReportInput::from_report(r))?;
                row.insert("measure_id".into(), Value::String(r.measure_id.to_string()));
                refs.scalar(conn, &mut row, RefOf::Measure, "measure_id", "measure_ref").await?;
                // The plan tells the versions of a revised plan's measure apart.
                if row.get("measure_ref").is_some_and(|v| !v.is_null()) {
                    row.insert("plan_id".into(), Value::String(r.plan_id.to_string()));
                }
                refs.scalar(conn, &mut row, RefOf::Person, "author_person_id", "author_person_ref").await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::Calls(filter) => {
            let page = esif::list_calls(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&CallInput::from_data(&r.data))?;
                refs.scalar(conn, &mut row, RefOf::ProgrammeCode, "programme_id", "programme_code").await?;
                refs.list(conn, &mut row, RefOf::Partnership, "open_to", "open_to_refs").await?;
                maps.push(row);
            }
            page.next_cursor
        }
        Source::Projects(filter) => {
            let page = esif::list_projects(conn, filter, req).await?;
            for r in &page.items {
                let mut row = object(&ProjectInput::from_data(&r.data.data))?;
                row.insert("partnership_id".into(), Value::String(r.data.data.partnership_id.to_string()));
                refs.scalar(conn, &mut row, RefOf::Partnership, "partnership_id", "partnership_ref").await?;
                refs.scalar(conn, &mut row, RefOf::Organization, "applicant_organization_id", "applicant_organization_ref").await?;
                refs.scalar(conn, &mut row, RefOf::Call, "call_id", "call_ref").await?;
                // Measures stay ids: a project links one version of a measure, and a ref would
                // name the version in force when read back.
                maps.push(row);
            }
            page.next_cursor
        }
    };
    let columns = source.target().columns();
    let rows = maps
        .into_iter()
        .map(|mut map| {
            columns
                .iter()
                .map(|c| match map.remove(*c) {
                    Some(v) => v,
                    None if LIST_COLUMNS.contains(c) || JSON_COLUMNS.contains(c) => Value::Array(vec![]),
                    None => Value::Null,
                })
                .collect()
        })
        .collect();
    Ok((rows, next))
}

// --- writing ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Output {
    Csv { delimiter: u8 },
    Json,
}

/// A CSV cell: empty for `null`, list columns `|`-separated, lists of objects (and `agenda`,
/// whose items may hold a `|`) as JSON text.
fn cell(column: &str, value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => String::new(),
        Value::Array(_) if JSON_COLUMNS.contains(&column) => value.to_string(),
        Value::Array(items) if LIST_COLUMNS.contains(&column) => {
            items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned)).collect::<Vec<_>>().join("|")
        }
        other => other.to_string(),
    }
}

fn csv_lines(columns: &[&str], rows: &[Vec<Value>], delimiter: u8, header: bool) -> ApiResult<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new().delimiter(delimiter).has_headers(false).from_writer(Vec::new());
    let fault = |e: csv::Error| ApiError::Internal(Box::new(e));
    if header {
        writer.write_record(columns).map_err(fault)?;
    }
    for row in rows {
        writer.write_record(columns.iter().zip(row).map(|(c, v)| cell(c, v))).map_err(fault)?;
    }
    writer.into_inner().map_err(|e| ApiError::Internal(e.to_string().into()))
}

fn json_items(columns: &[&str], rows: &[Vec<Value>], first: bool) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        let object: Map<String, Value> = columns.iter().map(|c| (*c).to_owned()).zip(row.iter().cloned()).collect();
        serde_json::to_writer(&mut out, &object).map_err(|e| ApiError::Internal(Box::new(e)))?;
    }
    Ok(out)
}

/// Where the stream is.
struct Export {
    state: web::Data<AppState>,
    source: Source,
    refs: Refs,
    request: PageRequest,
    output: Output,
    /// Rows written so far (JSON: whether a `,` comes before the next).
    written: usize,
    /// The rows of the first page (read before the answer starts, so that its errors are problems).
    first: Option<(Vec<Vec<Value>>, Option<String>)>,
    done: bool,
}

impl Export {
    /// The next chunk of the body, `None` after the last.
    async fn next(&mut self) -> ApiResult<Option<web::Bytes>> {
        if self.done {
            return Ok(None);
        }
        let columns = self.source.target().columns();
        let (rows, next) = match self.first.take() {
            Some(first) => first,
            None => page_rows(self.state.store.conn(), &self.source, &mut self.refs, &self.request).await?,
        };
        let start = self.written == 0 && self.request.cursor.is_none();
        let mut chunk = Vec::new();
        match self.output {
            Output::Csv { delimiter } => {
                if start && delimiter == b';' {
                    chunk.extend_from_slice(b"\xEF\xBB\xBF");
                }
                chunk.extend(csv_lines(columns, &rows, delimiter, start)?);
            }
            Output::Json => {
                if start {
                    chunk.push(b'[');
                }
                chunk.extend(json_items(columns, &rows, self.written == 0)?);
            }
        }
        self.written += rows.len();
        match next {
            Some(cursor) => self.request.cursor = Some(cursor),
            None => {
                self.done = true;
                if matches!(self.output, Output::Json) {
                    chunk.push(b']');
                }
            }
        }
        Ok(Some(web::Bytes::from(chunk)))
    }
}

fn output_of(req: &HttpRequest, format: Option<ExportFormat>, excel: Option<bool>) -> Output {
    let csv = match format {
        Some(f) => f == ExportFormat::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.split(',').any(|part| part.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv")))),
    };
    if csv { Output::Csv { delimiter: if excel.unwrap_or(false) { b';' } else { b',' } } } else { Output::Json }
}

/// Reads the first page (its errors answer as problems), then streams the rest.
async fn export(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    who: Option<Principal>,
    source: Source,
    format: Option<ExportFormat>,
    excel: Option<bool>,
    updated_since: Option<DateTime<Utc>>,
) -> ApiResult {
    let output = output_of(req, format, excel);
    let request = page_request(Some(MAX_LIMIT), &None, &None, Some(false), updated_since)?;
    let mut refs = Refs { who, known: HashMap::new() };
    let first = page_rows(state.store.conn(), &source, &mut refs, &request).await?;
    let name = source.target().name();
    let export = Export { state: state.clone(), source, refs, request, output, written: 0, first: Some(first), done: false };
    let body = futures_util::stream::unfold(export, |mut export| async move {
        match export.next().await {
            Ok(Some(chunk)) => Some((Ok::<_, ApiError>(chunk), export)),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "an export stopped");
                export.done = true;
                Some((Err(e), export))
            }
        }
    });
    let mut response = HttpResponse::Ok();
    match output {
        Output::Csv { .. } => {
            response
                .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
                .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")));
        }
        Output::Json => {
            response.insert_header((header::CONTENT_TYPE, "application/json"));
        }
    }
    Ok(response.insert_header((header::VARY, "Accept")).streaming(body))
}

// --- handlers --------------------------------------------------------------------------------------

/// One export endpoint per resource (literal paths, as the imports), with the description all share.
macro_rules! export_endpoint {
    ($name:ident, $path:literal, $op:literal, $summary:literal, $query:ident, security($($sec:tt)*), $auth:pat = $auth_ty:ty, |$state:ident, $req:ident, $q:ident| $body:expr) => {
        #[doc = $summary]
        ///
        /// In exactly the columns of the import of the same resource (`POST /imports/…`), so that
        /// an export imports back with every row `unchanged`. References are written as refs (the
        /// referenced record's `external_ref`) where it has one (people: where the caller may see
        /// them), otherwise as the `…_id` column with the UUID.
        ///
        /// **CSV** (`format=csv`, or `Accept: text/csv` without `format`): a header row, `,`
        /// between cells (`excel=true`: `;` and a UTF-8 BOM, for a spreadsheet with Czech
        /// settings), an empty cell for `null`, list columns `|`-separated, `representatives` as
        /// JSON text. **JSON** (the default): an array of objects with every column.
        ///
        /// The body is streamed page by page (the list's order); visibility is the list's.
        #[utoipa::path(operation_id = $op, tag = "exports", params($query), security($($sec)*),
            responses((status = 200, description = "The rows, streamed",
                content((String = "text/csv"), (Vec<Map<String, Value>> = "application/json"))), ListErrors))]
        #[get($path)]
        pub async fn $name($state: web::Data<AppState>, $auth: $auth_ty, $req: HttpRequest, query: web::Query<$query>) -> ApiResult {
            let $q = query.into_inner();
            $body
        }
    };
}

export_endpoint!(
    export_territorial_units,
    "/exports/territorial-units",
    "export_territorial_units",
    "Export territorial units (CSV or JSON), filtered like the list.",
    TerritorialUnitExportQuery,
    security((), ("bearer" = [])),
    MaybeAuth(who) = MaybeAuth,
    |state, req, q| {
        let filter = territorial_units::Filter { q: q.q, kind: q.kind, region: q.region, include_archived: q.include_archived.unwrap_or(false) };
        export(&state, &req, who, Source::TerritorialUnits(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_organizations,
    "/exports/organizations",
    "export_organizations",
    "Export organizations (CSV or JSON), filtered like the list.",
    OrganizationExportQuery,
    security((), ("bearer" = [])),
    MaybeAuth(who) = MaybeAuth,
    |state, req, q| {
        // Which organizations belong to a partnership is membership data: not public.
        if let Some(partnership_id) = q.partnership_id {
            let who = who.as_ref().ok_or_else(|| ApiError::Unauthorized("filtering by partnership needs a bearer token".into()))?;
            service::registry::may_filter_by_partnership(who, partnership_id)?;
        }
        let filter = organizations::Filter {
            q: q.q,
            kind: q.kind,
            ico: q.ico,
            partnership_id: q.partnership_id,
            external_ref: None,
            include_archived: q.include_archived.unwrap_or(false),
        };
        export(&state, &req, who, Source::Organizations(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_people,
    "/exports/people",
    "export_people",
    "Export people (CSV or JSON; a partner gets the people of its partnerships).",
    PersonExportQuery,
    security(("bearer" = [])),
    Auth(who) = Auth,
    |state, req, q| {
        let filter = people::Filter {
            q: q.q,
            organization_id: q.organization_id,
            external_ref: None,
            include_archived: q.include_archived.unwrap_or(false),
            scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
        };
        export(&state, &req, Some(who), Source::People(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_partnerships,
    "/exports/partnerships",
    "export_partnerships",
    "Export partnerships (CSV or JSON), filtered like the list.",
    PartnershipExportQuery,
    security((), ("bearer" = [])),
    MaybeAuth(who) = MaybeAuth,
    |state, req, q| {
        let filter = partnerships::Filter {
            q: q.q,
            status: q.status,
            region: q.region,
            territorial_unit_id: q.territorial_unit_id,
            consultant_id: q.consultant_id,
            external_ref: None,
            include_archived: q.include_archived.unwrap_or(false),
        };
        export(&state, &req, who, Source::Partnerships(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_memberships,
    "/exports/memberships",
    "export_memberships",
    "Export memberships with their representatives (CSV or JSON; a partner gets its partnerships').",
    MembershipExportQuery,
    security(("bearer" = [])),
    Auth(who) = Auth,
    |state, req, q| {
        let filter = memberships::Filter {
            partnership_id: q.partnership_id,
            organization_id: q.organization_id,
            active_on: q.active_on,
            include_archived: q.include_archived.unwrap_or(false),
            scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
        };
        export(&state, &req, Some(who), Source::Memberships(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_working_groups,
    "/exports/working-groups",
    "export_working_groups",
    "Export working groups (CSV or JSON; a partner gets its partnerships').",
    WorkingGroupExportQuery,
    security(("bearer" = [])),
    Auth(who) = Auth,
    |state, req, q| {
        let filter = working_groups::Filter {
            partnership_id: q.partnership_id,
            thematic_area: q.thematic_area,
            q: q.q,
            include_archived: q.include_archived.unwrap_or(false),
            scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
        };
        export(&state, &req, Some(who), Source::WorkingGroups(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_meetings,
    "/exports/meetings",
    "export_meetings",
    "Export meetings with their attendance (CSV or JSON; a partner gets its partnerships').",
    MeetingExportQuery,
    security(("bearer" = [])),
    Auth(who) = Auth,
    |state, req, q| {
        if let (Some(from), Some(to)) = (q.from, q.to)
            && to < from
        {
            return Err(ApiError::bad_request("to", "before_start", "`to` is before `from`"));
        }
        let filter = meetings::Filter {
            partnership_id: q.partnership_id,
            working_group_id: q.working_group_id,
            from: q.from,
            to: q.to,
            q: q.q,
            include_archived: q.include_archived.unwrap_or(false),
            scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
        };
        export(&state, &req, Some(who), Source::Meetings(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_measures,
    "/exports/measures",
    "export_measures",
    "Export measures and activities (CSV or JSON); without a token those of approved plans.",
    MeasureExportQuery,
    security((), ("bearer" = [])),
    MaybeAuth(who) = MaybeAuth,
    |state, req, q| {
        let filter = plans::MeasureFilter {
            plan_id: q.plan_id,
            partnership_id: q.partnership_id,
            goal_id: q.goal_id,
            plan_statuses: q.plan_status.map(|s| vec![s]),
            q: q.q,
            include_archived: q.include_archived.unwrap_or(false),
            // As the list: a caller sees its partnerships' plans and the approved (public) ones.
            scope: match &who {
                None => Some(Vec::new()),
                Some(w) => w.readable_partnerships().map(<[Uuid]>::to_vec),
            },
            ..Default::default()
        };
        export(&state, &req, who, Source::Measures(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_progress_reports,
    "/exports/progress-reports",
    "export_progress_reports",
    "Export progress reports (CSV or JSON; a partner gets its partnerships').",
    ProgressReportExportQuery,
    security(("bearer" = [])),
    Auth(who) = Auth,
    |state, req, q| {
        let filter = plans::ReportFilter {
            partnership_id: q.partnership_id,
            plan_id: q.plan_id,
            measure_id: q.measure_id,
            scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
        };
        // Reports are never archived: `include_archived` changes nothing.
        export(&state, &req, Some(who), Source::ProgressReports(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_calls,
    "/exports/calls",
    "export_calls",
    "Export calls for proposals (CSV or JSON), filtered like the list. Public.",
    CallExportQuery,
    security((), ("bearer" = [])),
    MaybeAuth(who) = MaybeAuth,
    |state, req, q| {
        let filter = esif::CallFilter {
            programme_id: q.programme_id,
            period: q.period,
            open_on: q.open_on,
            open_to: q.open_to_partnership_id,
            kpsvl: q.kpsvl,
            q: q.q,
            include_archived: q.include_archived.unwrap_or(false),
        };
        export(&state, &req, who, Source::Calls(filter), q.format, q.excel, q.updated_since).await
    }
);

export_endpoint!(
    export_projects,
    "/exports/projects",
    "export_projects",
    "Export projects (CSV or JSON; a partner gets its partnerships'). The content a project intent is imported with; its pipeline steps are actions, not columns.",
    ProjectExportQuery,
    security(("bearer" = [])),
    Auth(who) = Auth,
    |state, req, q| {
        let filter = esif::ProjectFilter {
            partnership_id: q.partnership_id,
            call_id: q.call_id,
            programme_id: q.programme_id,
            applicant_organization_id: q.applicant_organization_id,
            measure_id: q.measure_id,
            status: q.status,
            q: q.q,
            include_archived: q.include_archived.unwrap_or(false),
            scope: who.readable_partnerships().map(<[Uuid]>::to_vec),
        };
        export(&state, &req, Some(who), Source::Projects(filter), q.format, q.excel, q.updated_since).await
    }
);

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(export_territorial_units)
        .service(export_organizations)
        .service(export_people)
        .service(export_partnerships)
        .service(export_memberships)
        .service(export_working_groups)
        .service(export_meetings)
        .service(export_measures)
        .service(export_progress_reports)
        .service(export_calls)
        .service(export_projects);
}
