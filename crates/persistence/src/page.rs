//! Keyset pagination with a whitelisted, multi-field sort.
//!
//! A page is fetched with `ORDER BY <sort keys>, id` and a `WHERE` that starts strictly after
//! the last row of the previous page, so inserts between two requests never shift a page.
//! The cursor is opaque to clients: base64url of the sort it belongs to and the last row's
//! key values, followed by an HMAC-SHA256 tag over that payload and the list it was issued
//! by ([`PageRequest::list`]), so a forged, edited or borrowed cursor is refused (400 `cursor`).
//! Only non-null columns are sortable, which keeps the comparison exact.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use domain::FieldError;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Condition, Value};
use sea_orm::{ColumnTrait, EntityTrait, ModelTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::StoreError;

/// The models of an entity's `SELECT` (all of the entity's columns), decoded without
/// sea-orm's row readers where that is exact: on the reader's own SQLite connections the rows
/// become models directly ([`crate::Reader`]'s `models`); on PostgreSQL they are decoded by
/// `reader::pg_models`, and a row not decoded exactly there is read again by sea-orm, which
/// answers. Everywhere else (a transaction, an in-memory database) sea-orm reads them.
pub async fn models<E, C>(conn: &C, select: Select<E>) -> Result<Vec<E::Model>, sea_orm::DbErr>
where
    E: EntityTrait,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
    C: crate::Conn,
{
    let local = (conn as &dyn std::any::Any).downcast_ref::<crate::Reader>().and_then(|reader| reader.models(&select));
    match local {
        Some(rows) => rows,
        None if conn.get_database_backend() == sea_orm::DbBackend::Postgres => {
            let rows = conn.query_all_raw(sea_orm::QueryTrait::build(&select, sea_orm::DbBackend::Postgres)).await?;
            match crate::reader::pg_models::<E>(&rows) {
                Some(models) => Ok(models),
                None => select.all(conn).await,
            }
        }
        None => select.all(conn).await,
    }
}

/// The model of the entity's row with the key `id`, read as [`models`] reads a list's rows (an
/// item read costs what a row of a list costs: sea-orm's reading of one row through its mock
/// rows was a tenth of an item read's instructions; issue 11), with the statement built once
/// per entity and database and bound to `id` (building `find_by_id`'s `SELECT` and its SQL was
/// another seventh).
pub async fn by_id<E, C>(conn: &C, id: Uuid) -> Result<Option<E::Model>, sea_orm::DbErr>
where
    E: EntityTrait,
    E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = Uuid>,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
    C: crate::Conn,
{
    let backend = conn.get_database_backend();
    if let Some(stmt) = by_id_statement::<E>(backend, id) {
        if let Some(rows) = (conn as &dyn std::any::Any).downcast_ref::<crate::Reader>().and_then(|reader| reader.models_of::<E>(&stmt)) {
            return Ok(rows?.into_iter().next());
        }
        if backend == sea_orm::DbBackend::Postgres
            && let Some(models) = crate::reader::pg_models::<E>(&conn.query_all_raw(stmt).await?)
        {
            return Ok(models.into_iter().next());
        }
    }
    E::find_by_id(id).one(conn).await
}

/// `E::find_by_id(id).limit(1)` built for `backend`: the statement is built once per entity and
/// backend with a placeholder key, and `id` takes the placeholder's place among its values
/// (`None` when the placeholder is not exactly one of them: then it is built as usual).
fn by_id_statement<E>(backend: sea_orm::DbBackend, id: Uuid) -> Option<sea_orm::Statement>
where
    E: EntityTrait,
    E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = Uuid>,
{
    type Built = std::collections::HashMap<(std::any::TypeId, bool), Option<(sea_orm::Statement, usize)>>;
    static BUILT: std::sync::OnceLock<std::sync::Mutex<Built>> = std::sync::OnceLock::new();
    let key = (std::any::TypeId::of::<E>(), backend == sea_orm::DbBackend::Postgres);
    let mut built = BUILT.get_or_init(Default::default).lock().ok()?;
    let (template, at) = built
        .entry(key)
        .or_insert_with(|| {
            let stmt = sea_orm::QueryTrait::build(&E::find_by_id(Uuid::nil()).limit(1), backend);
            let placeholder = Value::from(Uuid::nil());
            let values = &stmt.values.as_ref()?.0;
            let mut at = values.iter().enumerate().filter(|(_, v)| **v == placeholder).map(|(i, _)| i);
            match (at.next(), at.next()) {
                (Some(i), None) => Some((stmt, i)),
                _ => None,
            }
        })
        .as_ref()?;
    let mut stmt = template.clone();
    stmt.values.as_mut()?.0[*at] = Value::from(id);
    Some(stmt)
}

/// What a client asked for: page size, position and order.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Rows per page (already bounded by the API: 1–500).
    pub limit: u64,
    pub cursor: Option<String>,
    /// The raw `sort` parameter (`name,-updated_at`); `None` for the resource's default.
    pub sort: Option<String>,
    /// Whether to count all matching rows.
    pub count: bool,
    /// The list the page belongs to (the API sets the request path); bound into its cursors.
    pub list: String,
    /// Signs and checks the cursors.
    pub cursor_key: CursorKey,
    /// Only rows changed at or after this time (incremental pulls).
    pub updated_since: Option<DateTime<Utc>>,
}

/// The HMAC-SHA256 key that signs cursors. Derived from a server secret, so that every
/// instance of a deployment accepts the cursors of the others. The default (all zeros) is for
/// in-process callers whose cursors never reach a client (the demo loader).
#[derive(Clone, Copy, Default)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    /// `HMAC-SHA256(secret, "inclusion cursor v1")`: a key of its own, not the secret itself.
    pub fn derive(secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"inclusion cursor v1");
        Self(mac.finalize().into_bytes().into())
    }

    fn mac(&self, list: &str, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(list.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey([redacted])")
    }
}

impl PageRequest {
    /// `base64url(payload) "." base64url(tag)`.
    fn sign_cursor(&self, payload: &serde_json::Value) -> String {
        let payload = payload.to_string();
        let tag = self.cursor_key.mac(&self.list, payload.as_bytes()).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The payload of the request's cursor, if this list issued it (checked in constant time).
    fn open_cursor(&self, cursor: &str) -> Result<serde_json::Value, StoreError> {
        let (payload, tag) = cursor.split_once('.').ok_or_else(bad_cursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad_cursor())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad_cursor())?;
        self.cursor_key.mac(&self.list, &payload).verify_slice(&tag).map_err(|_| bad_cursor())?;
        serde_json::from_slice(&payload).map_err(|_| bad_cursor())
    }
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub total: Option<u64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor, total: self.total }
    }
}

/// How a sortable column's values are typed, to decode them from a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    Text,
    Date,
    Timestamp,
}

/// A column a client may sort by, under its API name.
#[derive(Debug, Clone, Copy)]
pub struct SortField<C> {
    pub name: &'static str,
    pub column: C,
    pub kind: SortKind,
}

pub const fn field<C>(name: &'static str, column: C, kind: SortKind) -> SortField<C> {
    SortField { name, column, kind }
}

/// A parsed sort: its normalised text (bound into cursors) and its keys, `true` = descending.
type ParsedSort<C> = (String, Vec<(SortField<C>, bool)>);

/// Parses `sort` against the whitelist; `default` is used when the client gave none.
fn parse_sort<C: Copy>(raw: Option<&str>, fields: &[SortField<C>], default: &str) -> Result<ParsedSort<C>, StoreError> {
    // Exactly the documented grammar (`name,-other`): no blanks, no empty parts, so that the
    // pattern in the OpenAPI document and the server agree.
    let raw = raw.unwrap_or(default);
    let mut keys = Vec::new();
    for part in raw.split(',') {
        let (desc, name) = match part.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, part),
        };
        let Some(field) = fields.iter().find(|f| f.name == name) else {
            let allowed: Vec<&str> = fields.iter().map(|f| f.name).collect();
            return Err(StoreError::InvalidQuery(FieldError::new(
                "sort",
                "unknown_field",
                format!("cannot sort by `{name}`; sortable fields: {}", allowed.join(", ")),
            )));
        };
        if keys.iter().any(|(f, _): &(SortField<C>, bool)| f.name == name) {
            return Err(StoreError::InvalidQuery(FieldError::new("sort", "duplicate", format!("`{name}` is sorted twice"))));
        }
        keys.push((*field, desc));
    }
    Ok((raw.to_owned(), keys))
}

fn bad_cursor() -> StoreError {
    StoreError::InvalidQuery(FieldError::new("cursor", "invalid", "the cursor is not one this list issued for this sort; start again without it"))
}

fn value_to_json(value: Value) -> serde_json::Value {
    match value {
        Value::String(Some(s)) => json!(s),
        Value::ChronoDate(Some(d)) => json!(d.to_string()),
        Value::ChronoDateTimeUtc(Some(t)) => {
            json!(t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
        }
        Value::Uuid(Some(u)) => json!(u.to_string()),
        Value::Int(Some(i)) => json!(i),
        Value::BigInt(Some(i)) => json!(i),
        _ => serde_json::Value::Null,
    }
}

fn json_to_value(kind: SortKind, value: &serde_json::Value) -> Option<Value> {
    let s = value.as_str()?;
    Some(match kind {
        SortKind::Text => Value::from(s.to_owned()),
        SortKind::Date => Value::from(s.parse::<NaiveDate>().ok()?),
        SortKind::Timestamp => Value::from(s.parse::<DateTime<Utc>>().ok()?),
    })
}

/// Fetches one page of `select`, ordered by the client's sort and then by `id`.
pub async fn fetch<E, C>(
    conn: &C,
    select: Select<E>,
    fields: &[SortField<E::Column>],
    default_sort: &str,
    id: E::Column,
    request: &PageRequest,
) -> Result<Page<E::Model>, StoreError>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E> + Sync,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
    C: crate::Conn,
{
    let (sort_text, keys) = parse_sort(request.sort.as_deref(), fields, default_sort)?;
    let mut select = select;
    if let Some(since) = request.updated_since {
        // A row's last change: `updated_at`; for rows never changed once written (reports,
        // evaluations, audit entries) when they were written.
        let changed = ["updated_at", "created_at", "occurred_at"]
            .iter()
            .find_map(|name| fields.iter().find(|f| f.name == *name && f.kind == SortKind::Timestamp))
            .ok_or_else(|| StoreError::InvalidQuery(FieldError::new("updated_since", "unsupported", "this list does not record when its rows change")))?;
        select = select.filter(changed.column.gte(since));
    }
    let total = if request.count { Some(select.clone().count(conn).await?) } else { None };

    if let Some(cursor) = &request.cursor {
        let decoded = request.open_cursor(cursor)?;
        if decoded.get("s").and_then(|s| s.as_str()) != Some(sort_text.as_str()) {
            return Err(bad_cursor());
        }
        let values = decoded.get("v").and_then(|v| v.as_array()).ok_or_else(bad_cursor)?;
        if values.len() != keys.len() + 1 {
            return Err(bad_cursor());
        }
        let mut after = Vec::with_capacity(values.len());
        for ((field, desc), value) in keys.iter().zip(values) {
            after.push((field.column, *desc, json_to_value(field.kind, value).ok_or_else(bad_cursor)?));
        }
        let last_id: Uuid = values.last().and_then(|v| v.as_str()).and_then(|s| s.parse().ok()).ok_or_else(bad_cursor)?;
        after.push((id, false, Value::from(last_id)));
        // (k1 > v1) OR (k1 = v1 AND k2 > v2) OR … with `<` for descending keys.
        let mut any = Condition::any();
        for i in 0..after.len() {
            let mut all = Condition::all();
            for (column, _, value) in &after[..i] {
                all = all.add(column.eq(value.clone()));
            }
            let (column, desc, value) = &after[i];
            all = all.add(if *desc { column.lt(value.clone()) } else { column.gt(value.clone()) });
            any = any.add(all);
        }
        select = select.filter(any);
        // The same bound on the first key alone, which the planners (SQLite's above all) use to
        // seek into the sort index instead of scanning it from the start on every page: without
        // it, reading page n cost n pages of index, and a 100,000-row export was quadratic.
        if let (Some((column, desc, value)), Some(first)) = (after.first(), values.first())
            && !first.is_null()
        {
            select = select.filter(if *desc { column.lte(value.clone()) } else { column.gte(value.clone()) });
        }
    }
    for (field, desc) in &keys {
        select = select.order_by(field.column, if *desc { Order::Desc } else { Order::Asc });
    }
    let select = select.order_by(id, Order::Asc).limit(request.limit + 1);
    let mut rows = models(conn, select).await?;

    let next_cursor = if rows.len() as u64 > request.limit {
        rows.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));
        rows.last().map(|last| {
            let mut values: Vec<serde_json::Value> = keys.iter().map(|(f, _)| value_to_json(last.get(f.column))).collect();
            values.push(value_to_json(last.get(id)));
            request.sign_cursor(&json!({"s": sort_text, "v": values}))
        })
    } else {
        None
    };
    Ok(Page { items: rows, next_cursor, total })
}

/// One page of rows computed in memory (reports, codelists, a plan's goals or versions):
/// ordered by a unique text key, and resumed after the last key handed out, so that the
/// order is stable and rows added meanwhile are not skipped or repeated.
pub fn in_memory<T>(mut rows: Vec<T>, list: &str, key: impl Fn(&T) -> String, request: &PageRequest) -> Result<Page<T>, StoreError> {
    if request.sort.is_some() {
        return Err(StoreError::InvalidQuery(FieldError::new("sort", "unknown_field", "this list has one fixed order and takes no `sort`")));
    }
    if request.updated_since.is_some() {
        return Err(StoreError::InvalidQuery(FieldError::new("updated_since", "unsupported", "this list is computed; it takes no `updated_since`")));
    }
    rows.sort_by_key(|r| key(r));
    let total = request.count.then_some(rows.len() as u64);
    if let Some(cursor) = &request.cursor {
        let decoded = request.open_cursor(cursor)?;
        if decoded.get("s").and_then(|s| s.as_str()) != Some(list) {
            return Err(bad_cursor());
        }
        let after = decoded.get("k").and_then(|k| k.as_str()).ok_or_else(bad_cursor)?;
        rows.retain(|r| key(r).as_str() > after);
    }
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|last| request.sign_cursor(&json!({"s": list, "k": key(last)})))
    } else {
        None
    };
    Ok(Page { items: rows, next_cursor, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_by_id_is_the_one_find_by_id_builds() {
        use crate::entities::{measure, partnership};
        for backend in [sea_orm::DbBackend::Sqlite, sea_orm::DbBackend::Postgres] {
            for id in [Uuid::from_u128(1), Uuid::now_v7(), Uuid::nil(), Uuid::max()] {
                let fresh = sea_orm::QueryTrait::build(&partnership::Entity::find_by_id(id).limit(1), backend);
                assert_eq!(by_id_statement::<partnership::Entity>(backend, id), Some(fresh), "{backend:?} {id}");
                let fresh = sea_orm::QueryTrait::build(&measure::Entity::find_by_id(id).limit(1), backend);
                assert_eq!(by_id_statement::<measure::Entity>(backend, id), Some(fresh), "{backend:?} {id}");
            }
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Col {
        Name,
        Updated,
    }
    const FIELDS: &[SortField<Col>] = &[field("name", Col::Name, SortKind::Text), field("updated_at", Col::Updated, SortKind::Timestamp)];

    #[test]
    fn sort_is_parsed_against_the_whitelist() {
        let (text, keys) = parse_sort(Some("name,-updated_at"), FIELDS, "name").unwrap();
        assert_eq!(text, "name,-updated_at");
        assert_eq!(keys.iter().map(|(f, d)| (f.column, *d)).collect::<Vec<_>>(), vec![(Col::Name, false), (Col::Updated, true)]);
        assert!(matches!(parse_sort(Some("password"), FIELDS, "name"), Err(StoreError::InvalidQuery(e)) if e.code == "unknown_field"));
        assert!(matches!(parse_sort(Some("name,name"), FIELDS, "name"), Err(StoreError::InvalidQuery(e)) if e.code == "duplicate"));
        assert_eq!(parse_sort(None, FIELDS, "-updated_at").unwrap().0, "-updated_at");
    }

    #[test]
    fn cursors_are_bound_to_their_list_and_key() {
        let key = CursorKey::derive(b"a server secret");
        let request = |list: &str, key: CursorKey| PageRequest { limit: 10, list: list.into(), cursor_key: key, ..Default::default() };
        let issued = request("/api/v1/partnerships", key).sign_cursor(&json!({"s": "name", "v": ["a"]}));
        assert_eq!(request("/api/v1/partnerships", key).open_cursor(&issued).unwrap(), json!({"s": "name", "v": ["a"]}));
        let refused = |r: Result<serde_json::Value, StoreError>| matches!(r, Err(StoreError::InvalidQuery(e)) if e.field == "cursor");
        assert!(refused(request("/api/v1/organizations", key).open_cursor(&issued)), "another list");
        assert!(refused(request("/api/v1/partnerships", CursorKey::derive(b"another secret")).open_cursor(&issued)), "another key");
        let (_, tag) = issued.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(json!({"s": "name", "v": ["b"]}).to_string()));
        assert!(refused(request("/api/v1/partnerships", key).open_cursor(&forged)), "edited payload");
        assert!(refused(request("/api/v1/partnerships", key).open_cursor(&URL_SAFE_NO_PAD.encode(r#"{"s":"name","v":["a"]}"#))), "unsigned");
    }

    #[test]
    fn cursor_values_round_trip() {
        let t: DateTime<Utc> = "2026-11-23T10:00:00.123456789Z".parse().unwrap();
        let json = value_to_json(Value::from(t));
        assert_eq!(json_to_value(SortKind::Timestamp, &json), Some(Value::from(t)));
        let d: NaiveDate = "2024-05-01".parse().unwrap();
        assert_eq!(json_to_value(SortKind::Date, &value_to_json(Value::from(d))), Some(Value::from(d)));
    }
}
