//! Reading an import's body: CSV or a JSON array into rows of the resource's columns.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use service::imports::RefKind;

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    TerritorialUnits,
    Organizations,
    People,
    Partnerships,
    Memberships,
    WorkingGroups,
    Meetings,
    Measures,
    ProgressReports,
    Calls,
    Projects,
}

/// Columns whose cells are read as whole numbers.
pub(crate) const INTEGER_COLUMNS: &[&str] = &["population", "percent_done", "support_rate_bp"];
/// Columns whose cells are read as `true` or `false`.
pub(crate) const BOOLEAN_COLUMNS: &[&str] = &["predefined_activity", "kpsvl"];
/// Columns of one object (money: `{"amount_minor": 125000000, "currency": "CZK"}`), written in
/// a CSV cell as JSON; an empty cell is `null`.
pub(crate) const OBJECT_COLUMNS: &[&str] = &["allocation", "min_project", "max_project"];
/// Columns whose CSV cells are `|`-separated lists.
pub(crate) const LIST_COLUMNS: &[&str] = &[
    "territorial_unit_ids",
    "consultant_ids",
    "territorial_unit_refs",
    "consultant_refs",
    "representative_refs",
    "member_ids",
    "member_refs",
    "attendance_refs",
    "need_ids",
    "co_implementer_ids",
    "co_implementer_refs",
    "open_to",
    "open_to_refs",
    "measure_ids",
    "measure_refs",
];
/// Columns of lists of objects (or of texts that may hold a `|`), written in a CSV cell as a
/// JSON array; `agenda` is also read `|`-separated.
pub(crate) const JSON_COLUMNS: &[&str] = &["representatives", "attendance", "resolutions", "agenda", "budget", "indicators", "indicator_values"];

impl Target {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::TerritorialUnits => "territorial-units",
            Self::Organizations => "organizations",
            Self::People => "people",
            Self::Partnerships => "partnerships",
            Self::Memberships => "memberships",
            Self::WorkingGroups => "working-groups",
            Self::Meetings => "meetings",
            Self::Measures => "measures",
            Self::ProgressReports => "progress-reports",
            Self::Calls => "calls",
            Self::Projects => "projects",
        }
    }

    /// The columns a row may have: the single-row input's fields, `external_ref`, and the
    /// reference columns.
    pub(crate) fn columns(self) -> &'static [&'static str] {
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
            Self::WorkingGroups => &[
                "external_ref",
                "partnership_id",
                "partnership_ref",
                "thematic_area",
                "name",
                "coordinator_id",
                "coordinator_ref",
                "member_ids",
                "member_refs",
            ],
            Self::Meetings => &[
                "external_ref",
                "partnership_id",
                "partnership_ref",
                "working_group_id",
                "working_group_ref",
                "title",
                "starts_at",
                "ends_at",
                "place",
                "agenda",
                "minutes",
                "attendance",
                "attendance_refs",
                "resolutions",
            ],
            Self::Measures => &[
                "external_ref",
                "plan_id",
                "goal_id",
                "goal_code",
                "kind",
                "parent_measure_id",
                "parent_code",
                "code",
                "title",
                "description",
                "thematic_area",
                "need_ids",
                "responsible_organization_id",
                "responsible_organization_ref",
                "co_implementer_ids",
                "co_implementer_refs",
                "starts_on",
                "deadline",
                "budget",
                "predefined_activity",
                "indicators",
            ],
            Self::ProgressReports => &[
                "external_ref",
                "measure_id",
                "measure_ref",
                "plan_id",
                "reported_on",
                "status",
                "percent_done",
                "indicator_values",
                "comment",
                "author_person_id",
                "author_person_ref",
            ],
            Self::Calls => &[
                "external_ref",
                "programme_id",
                "programme_code",
                "number",
                "title",
                "specific_objective",
                "opens_at",
                "closes_at",
                "allocation",
                "min_project",
                "max_project",
                "support_rate_bp",
                "kpsvl",
                "open_to",
                "open_to_refs",
            ],
            Self::Projects => &[
                "external_ref",
                "partnership_id",
                "partnership_ref",
                "applicant_organization_id",
                "applicant_organization_ref",
                "call_id",
                "call_ref",
                "title",
                "summary",
                "period_from",
                "period_to",
                "budget",
                "measure_ids",
                "measure_refs",
            ],
        }
    }

    /// The kind whose `external_ref` finds the record a row updates.
    pub(crate) fn kind(self) -> Option<RefKind> {
        match self {
            Self::TerritorialUnits => Some(RefKind::TerritorialUnit),
            Self::Organizations => Some(RefKind::Organization),
            Self::People => Some(RefKind::Person),
            Self::Partnerships => Some(RefKind::Partnership),
            Self::WorkingGroups => Some(RefKind::WorkingGroup),
            Self::ProgressReports => Some(RefKind::ProgressReport),
            Self::Calls => Some(RefKind::Call),
            Self::Projects => Some(RefKind::Project),
            // A measure's key is unique within its plan: the row's `plan_id` and `external_ref`.
            Self::Measures => None,
            Self::Meetings => Some(RefKind::Meeting),
            Self::Memberships => None,
        }
    }
}

pub(super) type Row = Map<String, Value>;

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
pub(super) fn read_csv(target: Target, body: &[u8]) -> ApiResult<Vec<Row>> {
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
pub(super) fn cell_value(column: &str, cell: &str) -> Value {
    let cell = cell.trim();
    if cell.is_empty() {
        return if LIST_COLUMNS.contains(&column) || JSON_COLUMNS.contains(&column) { Value::Array(vec![]) } else { Value::Null };
    }
    // A list of objects in a CSV cell (`representatives`, `attendance`, `resolutions`): the
    // JSON array an export writes; `agenda` the same, or its items `|`-separated.
    if (JSON_COLUMNS.contains(&column) || OBJECT_COLUMNS.contains(&column))
        && cell.starts_with(['[', '{'])
        && let Ok(items @ (Value::Array(_) | Value::Object(_))) = serde_json::from_str::<Value>(cell)
    {
        return items;
    }
    if LIST_COLUMNS.contains(&column) || column == "agenda" {
        return Value::Array(cell.split('|').map(str::trim).filter(|p| !p.is_empty()).map(|p| Value::String(p.to_owned())).collect());
    }
    if INTEGER_COLUMNS.contains(&column)
        && let Ok(n) = cell.parse::<i64>()
    {
        return Value::from(n);
    }
    if BOOLEAN_COLUMNS.contains(&column)
        && let Ok(b) = cell.parse::<bool>()
    {
        return Value::Bool(b);
    }
    Value::String(cell.to_owned())
}

/// A JSON body: an array of objects, each with the columns of the resource.
pub(super) fn read_json(target: Target, body: &[u8]) -> ApiResult<Vec<Row>> {
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
pub(super) async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> ApiResult<web::Bytes> {
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

pub(super) enum Format {
    Csv,
    Json,
}

pub(super) fn format_of(req: &HttpRequest) -> ApiResult<Format> {
    let mime = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<mime::Mime>().ok());
    match mime {
        Some(m) if m.type_() == mime::TEXT && m.subtype() == mime::CSV => Ok(Format::Csv),
        Some(m) if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON) => Ok(Format::Json),
        _ => Err(ApiError::UnsupportedMediaType("send the import as text/csv or application/json".into())),
    }
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
        assert_eq!(cell_value("agenda", "Úvod|Bydlení"), serde_json::json!(["Úvod", "Bydlení"]));
        assert_eq!(cell_value("predefined_activity", "true"), Value::Bool(true));
        assert_eq!(cell_value("percent_done", "40"), Value::from(40));
        assert_eq!(cell_value("allocation", r#"{"amount_minor":1,"currency":"CZK"}"#), serde_json::json!({"amount_minor": 1, "currency": "CZK"}));
        assert_eq!(cell_value("min_project", ""), Value::Null);
        assert_eq!(cell_value("agenda", r#"["a|b"]"#), serde_json::json!(["a|b"]));
        assert_eq!(cell_value("resolutions", r#"[{"number":1,"text":"x"}]"#), serde_json::json!([{"number": 1, "text": "x"}]));
    }

    #[test]
    fn the_delimiter_and_bom_are_recognised() -> ApiResult<()> {
        let rows = read_csv(Target::Organizations, "\u{feff}external_ref;name;kind\nA;Obec, a.s.;ngo\n".as_bytes())?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["name"], "Obec, a.s.");
        assert!(read_csv(Target::Organizations, b"external_ref,nope\nA,b\n").is_err());
        Ok(())
    }
}
