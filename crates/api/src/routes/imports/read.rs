//! Reading an import's body as it arrives: CSV or a JSON array into rows of the resource's
//! columns, a chunk at a time.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use std::collections::VecDeque;

use futures_util::StreamExt;
use serde_json::{Map, Value};
use service::imports::RefKind;
use sha2::{Digest, Sha256};

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
                "partnership_ref",
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

/// The rows of a body as it arrives: chunks are fed in, complete rows come out, so that an
/// import holds one chunk's rows at a time, never the whole body. A malformed body is a 400
/// naming where (`body`, or the unknown column), as soon as it is seen.
pub(super) trait RowParser {
    /// Reads `bytes` (the next part of the body), appending the rows they complete to `rows`.
    fn feed(&mut self, bytes: &[u8], rows: &mut VecDeque<Row>) -> ApiResult<()>;
    /// The body ended: the last rows, or a 400 for a body cut short.
    fn finish(&mut self, rows: &mut VecDeque<Row>) -> ApiResult<()>;
}

/// A CSV body: UTF-8 with or without a BOM, `,` or `;` between cells (whichever the header
/// line has more of), a header row naming the columns.
pub(super) struct CsvRows {
    target: Target,
    /// The body until the end of the header line (the delimiter is decided on it).
    start: Vec<u8>,
    reader: Option<csv_core::Reader>,
    headers: Option<Vec<String>>,
    /// The current record's cells and their ends, kept over chunk boundaries.
    cells: Vec<u8>,
    cells_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Data rows read so far.
    count: usize,
}

impl CsvRows {
    pub(super) fn new(target: Target) -> Self {
        Self { target, start: Vec::new(), reader: None, headers: None, cells: vec![0; 4096], cells_len: 0, ends: vec![0; 64], ends_len: 0, count: 0 }
    }

    /// Reads `input` (empty: the end of the body) with the reader.
    fn read(&mut self, mut input: &[u8], rows: &mut VecDeque<Row>) -> ApiResult<()> {
        let at_end = input.is_empty();
        loop {
            let Some(reader) = self.reader.as_mut() else { return Ok(()) };
            let (result, read, written, ended) = reader.read_record(input, &mut self.cells[self.cells_len..], &mut self.ends[self.ends_len..]);
            input = &input[read..];
            self.cells_len += written;
            self.ends_len += ended;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {
                    if !at_end {
                        return Ok(());
                    }
                }
                csv_core::ReadRecordResult::OutputFull => self.cells.resize(self.cells.len() * 2, 0),
                csv_core::ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                csv_core::ReadRecordResult::Record => {
                    let record = self.record()?;
                    self.cells_len = 0;
                    self.ends_len = 0;
                    self.take(record, rows)?;
                }
                csv_core::ReadRecordResult::End => return Ok(()),
            }
        }
    }

    /// The cells of the record just read, as text.
    fn record(&self) -> ApiResult<Vec<String>> {
        let mut from = 0;
        self.ends[..self.ends_len]
            .iter()
            .map(|&end| {
                let cell = std::str::from_utf8(&self.cells[from..end])
                    .map_err(|e| unreadable("body", "encoding", format!("the CSV body is not UTF-8 text: {e}")))?
                    .to_owned();
                from = end;
                Ok(cell)
            })
            .collect()
    }

    /// The header (checked: known columns, each once), then each row under it.
    fn take(&mut self, record: Vec<String>, rows: &mut VecDeque<Row>) -> ApiResult<()> {
        let Some(headers) = &self.headers else {
            let headers: Vec<String> = record.iter().map(|h| h.trim().to_owned()).collect();
            check_columns(self.target, headers.iter().map(String::as_str), "")?;
            if let Some(twice) = headers.iter().enumerate().find(|(i, h)| headers[..*i].contains(h)).map(|(_, h)| h) {
                return Err(unreadable(twice, "duplicate", format!("the column `{twice}` is named twice")));
            }
            self.headers = Some(headers);
            return Ok(());
        };
        self.count += 1;
        if record.len() != headers.len() {
            return Err(unreadable(
                "body",
                "malformed",
                format!("the CSV body could not be read: row {} has {} cells, the header {}", self.count, record.len(), headers.len()),
            ));
        }
        rows.push_back(headers.iter().zip(&record).map(|(name, cell)| (name.clone(), cell_value(name, cell))).collect());
        Ok(())
    }

    /// Starts the reader once the header line is known (or the body ended before its end).
    fn begin(&mut self, rows: &mut VecDeque<Row>) -> ApiResult<()> {
        let start = std::mem::take(&mut self.start);
        let body = start.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&start);
        let header_line = body.split(|b| *b == b'\n').next().unwrap_or_default();
        let count = |c: u8| header_line.iter().filter(|b| **b == c).count();
        let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
        self.reader = Some(csv_core::ReaderBuilder::new().delimiter(delimiter).build());
        if body.is_empty() { Ok(()) } else { self.read(body, rows) }
    }
}

impl RowParser for CsvRows {
    fn feed(&mut self, bytes: &[u8], rows: &mut VecDeque<Row>) -> ApiResult<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.reader.is_some() {
            return self.read(bytes, rows);
        }
        self.start.extend_from_slice(bytes);
        // Only the new bytes are searched for the header's end (a long first line arriving in
        // many chunks is scanned once, not once per chunk).
        if bytes.contains(&b'\n') { self.begin(rows) } else { Ok(()) }
    }

    fn finish(&mut self, rows: &mut VecDeque<Row>) -> ApiResult<()> {
        if self.reader.is_none() {
            self.begin(rows)?;
        }
        self.read(&[], rows)?;
        if self.headers.is_none() {
            return Err(unreadable("body", "malformed", "the CSV body has no header row"));
        }
        Ok(())
    }
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

/// A JSON body: an array of objects, each with the columns of the resource. Each element is
/// cut out of the stream (strings, escapes and nesting followed) and read on its own.
pub(super) struct JsonRows {
    target: Target,
    state: JsonState,
    /// The element being read.
    element: Vec<u8>,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Elements read so far.
    count: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonState {
    /// Before the `[`.
    Start,
    /// After `[`: an element or `]`.
    First,
    /// Inside an element.
    Element,
    /// After an element: `,` or `]`.
    Next,
    /// After `,`: an element.
    AfterComma,
    /// After the `]`: only blanks.
    Done,
}

impl JsonRows {
    pub(super) fn new(target: Target) -> Self {
        Self { target, state: JsonState::Start, element: Vec::new(), depth: 0, in_string: false, escaped: false, count: 0 }
    }

    fn malformed(&self, what: &str) -> ApiError {
        unreadable("body", "malformed", format!("the JSON body could not be read: {what} (after {} rows)", self.count))
    }

    /// The element just cut out, as a row.
    fn row(&mut self) -> ApiResult<Row> {
        let i = self.count;
        let value: Value = serde_json::from_slice(&self.element).map_err(|e| self.malformed(&e.to_string()))?;
        self.count += 1;
        self.element.clear();
        match value {
            Value::Object(row) => {
                check_columns(self.target, row.keys().map(String::as_str), &format!(" in row {}", i + 1))?;
                Ok(row)
            }
            _ => Err(unreadable(&format!("[{i}]"), "type", format!("row {} is not an object", i + 1))),
        }
    }
}

impl RowParser for JsonRows {
    fn feed(&mut self, bytes: &[u8], rows: &mut VecDeque<Row>) -> ApiResult<()> {
        for &b in bytes {
            match self.state {
                JsonState::Element => {
                    self.element.push(b);
                    if self.in_string {
                        match (self.escaped, b) {
                            (true, _) => self.escaped = false,
                            (false, b'\\') => self.escaped = true,
                            (false, b'"') => self.in_string = false,
                            _ => {}
                        }
                        continue;
                    }
                    match b {
                        b'"' => self.in_string = true,
                        b'{' | b'[' => self.depth += 1,
                        b'}' | b']' => {
                            self.depth = self.depth.saturating_sub(1);
                            if self.depth == 0 {
                                rows.push_back(self.row()?);
                                self.state = JsonState::Next;
                            }
                        }
                        _ => {}
                    }
                }
                _ if b.is_ascii_whitespace() => {}
                JsonState::Start if b == b'[' => self.state = JsonState::First,
                JsonState::Start => return Err(unreadable("body", "type", "an import in JSON is an array of objects")),
                JsonState::First | JsonState::Next if b == b']' => self.state = JsonState::Done,
                JsonState::Next if b == b',' => self.state = JsonState::AfterComma,
                JsonState::First | JsonState::AfterComma if b == b'{' => {
                    self.element.push(b);
                    self.depth = 1;
                    self.state = JsonState::Element;
                }
                JsonState::First | JsonState::AfterComma => {
                    let i = self.count;
                    return Err(unreadable(&format!("[{i}]"), "type", format!("row {} is not an object", i + 1)));
                }
                JsonState::Next | JsonState::Done => return Err(self.malformed(&format!("unexpected `{}`", char::from(b)))),
            }
        }
        Ok(())
    }

    fn finish(&mut self, _rows: &mut VecDeque<Row>) -> ApiResult<()> {
        match self.state {
            JsonState::Done => Ok(()),
            JsonState::Start => Err(unreadable("body", "malformed", "the JSON body could not be read: it is empty")),
            _ => Err(self.malformed("the body ends inside the array")),
        }
    }
}

/// The rows of the body, read as it arrives (up to `limit` bytes, 413 beyond), with the
/// SHA-256 of the body so far. It holds the rows of one chunk at most.
pub(super) struct RowStream<S> {
    payload: S,
    parser: Box<dyn RowParser>,
    limit: usize,
    read: usize,
    sha: Sha256,
    rows: VecDeque<Row>,
    ended: bool,
}

impl<S, E> RowStream<S>
where
    S: futures_util::Stream<Item = Result<web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    pub(super) fn new(target: Target, format: Format, payload: S, limit: usize) -> Self {
        let parser: Box<dyn RowParser> = match format {
            Format::Csv => Box::new(CsvRows::new(target)),
            Format::Json => Box::new(JsonRows::new(target)),
        };
        Self { payload, parser, limit, read: 0, sha: Sha256::new(), rows: VecDeque::new(), ended: false }
    }

    /// The next row, reading more of the body when none is complete; `None` after the last.
    pub(super) async fn next(&mut self) -> ApiResult<Option<Row>> {
        loop {
            if let Some(row) = self.rows.pop_front() {
                return Ok(Some(row));
            }
            if self.ended {
                return Ok(None);
            }
            match self.payload.next().await {
                Some(chunk) => {
                    let chunk = chunk.map_err(|e| unreadable("body", "malformed", format!("the body could not be read: {e}")))?;
                    self.read += chunk.len();
                    if self.read > self.limit {
                        return Err(ApiError::PayloadTooLarge(self.limit));
                    }
                    self.sha.update(&chunk);
                    self.parser.feed(&chunk, &mut self.rows)?;
                }
                None => {
                    self.ended = true;
                    self.parser.finish(&mut self.rows)?;
                }
            }
        }
    }

    /// The SHA-256 (hex) of the body read (all of it once `next` answered `None`).
    pub(super) fn sha256(&self) -> String {
        format!("{:x}", self.sha.clone().finalize())
    }
}

/// The body of an import, written to a temporary file as it arrives, before the import's
/// transaction opens: a slow upload never holds the database's write lock (SQLite) or a pooled
/// connection in a transaction (PostgreSQL), and memory holds one chunk at a time. The file is
/// removed when this is dropped.
pub(super) struct Spooled {
    path: std::path::PathBuf,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// How long an upload may send nothing before it is refused.
const STALL: std::time::Duration = std::time::Duration::from_secs(60);

fn spool_fault(e: std::io::Error) -> ApiError {
    ApiError::Internal(Box::new(e))
}

/// Writes the body to a temporary file: 413 beyond `limit` bytes, 400 when it stalls for a
/// minute or cannot be read.
pub(super) async fn spool(mut payload: web::Payload, limit: usize) -> ApiResult<Spooled> {
    use tokio::io::AsyncWriteExt;
    let spooled = Spooled { path: std::env::temp_dir().join(format!("inclusion-import-{}.body", uuid::Uuid::now_v7())) };
    let mut file = tokio::fs::File::create(&spooled.path).await.map_err(spool_fault)?;
    let mut read = 0usize;
    loop {
        let next = tokio::time::timeout(STALL, payload.next())
            .await
            .map_err(|_| unreadable("body", "stalled", format!("the body sent nothing for {} s", STALL.as_secs())))?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| unreadable("body", "malformed", format!("the body could not be read: {e}")))?;
        read += chunk.len();
        if read > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        file.write_all(&chunk).await.map_err(spool_fault)?;
    }
    file.flush().await.map_err(spool_fault)?;
    Ok(spooled)
}

/// The spooled body as a stream of chunks (64 KiB), for [`RowStream`].
pub(super) async fn chunks(spooled: &Spooled) -> ApiResult<impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> + Unpin + use<>> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(&spooled.path).await.map_err(spool_fault)?;
    Ok(Box::pin(futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(web::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })))
}

/// 413 at once when the declared length is above the limit.
pub(super) fn check_declared_length(req: &HttpRequest, limit: usize) -> ApiResult<()> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) { Err(ApiError::PayloadTooLarge(limit)) } else { Ok(()) }
}

#[derive(Clone, Copy)]
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

    /// The rows of `body` fed in chunks of `size` bytes.
    fn read_in(mut parser: impl RowParser, body: &[u8], size: usize) -> ApiResult<Vec<Row>> {
        let mut rows = VecDeque::new();
        for chunk in body.chunks(size) {
            parser.feed(chunk, &mut rows)?;
        }
        parser.finish(&mut rows)?;
        Ok(rows.into())
    }

    fn read_csv(target: Target, body: &[u8]) -> ApiResult<Vec<Row>> {
        read_in(CsvRows::new(target), body, body.len().max(1))
    }

    fn read_json(target: Target, body: &[u8]) -> ApiResult<Vec<Row>> {
        read_in(JsonRows::new(target), body, body.len().max(1))
    }

    /// The problem's field and code.
    fn refusal<T: std::fmt::Debug>(result: ApiResult<T>) -> (String, String) {
        match result {
            Err(ApiError::BadRequest { errors, .. }) => errors.first().map(|e| (e.field.clone(), e.code.clone())).unwrap_or_default(),
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn the_delimiter_and_bom_are_recognised() -> ApiResult<()> {
        let rows = read_csv(Target::Organizations, "\u{feff}external_ref;name;kind\nA;Obec, a.s.;ngo\n".as_bytes())?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["name"], "Obec, a.s.");
        assert!(read_csv(Target::Organizations, b"external_ref,nope\nA,b\n").is_err());
        // Without a final line end, and with blank lines between rows.
        let rows = read_csv(Target::Organizations, b"external_ref,name,kind\r\nA,x,ngo\r\n\r\nB,y,ngo")?;
        assert_eq!(rows.iter().map(|r| r["external_ref"].clone()).collect::<Vec<_>>(), [Value::from("A"), Value::from("B")]);
        Ok(())
    }

    const CSV: &str = "\u{feff}external_ref;name;kind;address\nO-1;\"Obec; \"\"Žlutice\"\"\";municipality;\"Velké náměstí 1\nŽlutice\"\nO-2;Spolek Ůčko;ngo;\n";
    const JSON: &str = r#" [ {"external_ref": "O-1", "name": "Obec \"[Žlutice]\" {x}", "kind": "municipality", "address": "a\\"},
        {"external_ref":"O-2","name":"Spolek Ůčko","kind":"ngo","address":null} ] "#;

    #[test]
    fn every_split_of_a_body_reads_the_same_rows() -> ApiResult<()> {
        let whole = read_csv(Target::Organizations, CSV.as_bytes())?;
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0]["name"], "Obec; \"Žlutice\"");
        assert_eq!(whole[0]["address"], "Velké náměstí 1\nŽlutice");
        for size in 1..CSV.len() {
            assert_eq!(read_in(CsvRows::new(Target::Organizations), CSV.as_bytes(), size)?, whole, "CSV in chunks of {size}");
        }
        let whole = read_json(Target::Organizations, JSON.as_bytes())?;
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0]["name"], "Obec \"[Žlutice]\" {x}");
        assert_eq!(whole[0]["address"], "a\\");
        for size in 1..JSON.len() {
            assert_eq!(read_in(JsonRows::new(Target::Organizations), JSON.as_bytes(), size)?, whole, "JSON in chunks of {size}");
        }
        Ok(())
    }

    #[test]
    fn a_malformed_body_is_named() {
        let csv = |body: &[u8]| refusal(read_in(CsvRows::new(Target::Organizations), body, 3));
        assert_eq!(csv(b"external_ref,name,kind,nickname\n"), ("nickname".into(), "unknown_field".into()));
        assert_eq!(csv(b"name,name\n"), ("name".into(), "duplicate".into()));
        assert_eq!(csv(b"name,kind\nA,ngo,extra\n"), ("body".into(), "malformed".into()));
        assert_eq!(csv(b"name,kind\n\xff\xfe,ngo\n"), ("body".into(), "encoding".into()));
        assert_eq!(csv(b""), ("body".into(), "malformed".into()));
        let json = |body: &str| refusal(read_in(JsonRows::new(Target::Organizations), body.as_bytes(), 2));
        assert_eq!(json(r#"{"not": "an array"}"#), ("body".into(), "type".into()));
        assert_eq!(json(r#"[{"name": "a"}, 5]"#), ("[1]".into(), "type".into()));
        assert_eq!(json(r#"[{"nickname": "a"}]"#), ("nickname".into(), "unknown_field".into()));
        assert_eq!(json(r#"[{"name": "a"}"#), ("body".into(), "malformed".into()));
        assert_eq!(json(r#"[{"name": "a"}] x"#), ("body".into(), "malformed".into()));
        assert_eq!(json(r#"[{"name": "a"},]"#), ("[1]".into(), "type".into()));
        assert_eq!(json(r#"[{"name": a}]"#), ("body".into(), "malformed".into()));
        assert_eq!(json(""), ("body".into(), "malformed".into()));
    }

    /// A body arriving chunk by chunk through a channel the test feeds.
    fn channel() -> (tokio::sync::mpsc::UnboundedSender<web::Bytes>, impl futures_util::Stream<Item = Result<web::Bytes, String>> + Unpin) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<web::Bytes>();
        let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (Ok(chunk), rx)) });
        (tx, Box::pin(stream))
    }

    #[tokio::test]
    async fn rows_come_out_as_the_body_arrives_not_after_it() -> Result<(), Box<dyn std::error::Error>> {
        let (tx, body) = channel();
        let mut rows = RowStream::new(Target::Organizations, Format::Csv, body, 1024);
        tx.send(web::Bytes::from_static(b"external_ref,name,kind\nO-1,Obec,munici"))?;
        tx.send(web::Bytes::from_static(b"pality\nO-2,Spo"))?;
        // The first row is answered while the body is still open (a reader that waited for the
        // whole body would not answer).
        let first = tokio::time::timeout(std::time::Duration::from_secs(5), rows.next()).await??;
        assert_eq!(first.map(|r| r["kind"].clone()), Some(Value::from("municipality")));
        tx.send(web::Bytes::from_static(b"lek,ngo"))?;
        drop(tx);
        let second = rows.next().await?;
        assert_eq!(second.map(|r| r["name"].clone()), Some(Value::from("Spolek")));
        assert!(rows.next().await?.is_none());
        assert_eq!(rows.sha256(), format!("{:x}", Sha256::digest(b"external_ref,name,kind\nO-1,Obec,municipality\nO-2,Spolek,ngo")));
        Ok(())
    }

    #[tokio::test]
    async fn a_body_above_the_limit_stops_at_the_limit() -> Result<(), Box<dyn std::error::Error>> {
        let (tx, body) = channel();
        let mut rows = RowStream::new(Target::Organizations, Format::Json, body, 40);
        tx.send(web::Bytes::from_static(br#"[{"name": "a", "kind": "ngo"},"#))?;
        tx.send(web::Bytes::from_static(br#" {"name": "b", "kind": "ngo"}]"#))?;
        drop(tx);
        assert!(rows.next().await?.is_some());
        assert!(matches!(rows.next().await, Err(ApiError::PayloadTooLarge(40))));
        Ok(())
    }
}
