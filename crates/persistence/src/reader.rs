//! Reads of a file SQLite database on the calling thread.
//!
//! sqlx runs every SQLite connection on a thread of its own: each statement is a message to
//! that thread and each row a message back, so a list of 50 rows cost a dozen thread
//! hand-offs (futex wake-ups, kernel scheduling) before any SQL ran, and the hand-offs, not
//! SQLite, were most of a read's time (issue 11's profile). A read here takes an idle
//! connection of its own small pool of read-only `rusqlite` connections to the same file,
//! runs the statement sea-orm built on the thread that asked, and hands sea-orm rows it
//! decodes exactly as it decodes sqlx's. Anything this module does not decode exactly stays on
//! sqlx ([`Reader`] delegates it). Writes run on a connection of the same kind (`local_write`),
//! through [`run`] in its strict mode: there a statement not decoded exactly is an error.
//!
//! Consistency: SQLite in WAL mode gives every statement the last committed state when it
//! starts, on any connection, so a read here sees every write committed before it, as a read
//! on a pooled sqlx connection did. A read blocks its thread while SQLite works: micro- to a
//! few milliseconds for a page (at most 500 rows), more for the reports that read a whole
//! table's column (the pipeline's projects). A read that finds the database busy waits at
//! most [`BUSY`], then is handed to sqlx, whose own thread waits out the pool's timeout.
//!
//! Rows: sea-orm offers one public way to hand it rows it did not read itself, its
//! [`MockDatabase`] (the `mock` feature; the `proxy` feature's rows do not compile in
//! sea-orm 2.0.4), so each result is passed through one; nothing else of it is used.
//! A page of a list (`page::fetch`) skips even that: [`Reader::models`] sets each row's values
//! on the entity's active model and turns it into the model, where the statement reads exactly
//! the entity's columns; the mock rows (a map per row, built twice, every value cloned out of it)
//! were a quarter of a list's time in issue 11's profile.
//!
//! Exactness: sea-orm's rows of this kind (`MockRow`) hold values keyed by column name, and
//! sea-orm decodes a value only from the one variant of its Rust type (`i32` from `Int`, `i64`
//! from `BigInt`). The type of every column of every table is therefore taken from the
//! entities (`tables`), by the column's origin (table and column, SQLite's column metadata).
//! A computed column has no such type: only the ones in [`COMPUTED`] (integers read as `i64`)
//! are read here, any other sends its statement to sqlx. A mock row answers positional reads
//! (`into_tuple`) in the order of its names, so a statement whose columns are neither one
//! whole entity (read by name: never `into_tuple` without `select_only`) nor in the order of
//! their names goes to sqlx. A value that does not decode as its column's type (which sqlx
//! would refuse or read otherwise) also sends its statement to sqlx, so that its answer,
//! error included, is sqlx's (inside a write: an error, see above). Only `SELECT`s and `WITH`s
//! are run here (not PRAGMAs, transactions' statements or anything else SQLite calls
//! read-only).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long a read here waits for a busy database before handing its statement to sqlx.
pub const BUSY: Duration = Duration::from_millis(200);

/// The computed columns read here (as `i64`): sea-orm's `COUNT(*)` of a paginator
/// (`num_items`) and the change feed's last position (`changes::last_position`).
pub const COMPUTED: &[&str] = &["num_items", "last"];

use crate::error::sqlite_error;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::OpenFlags;
use rusqlite::types::{Value as SqlValue, ValueRef};
use sea_orm::sea_query::{ColumnType, Value};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, MockDatabase, MockDatabaseTrait, QueryResult, Statement};

/// The read connection of the API: the sqlx pool, or for a file SQLite database the pool
/// with reads on the calling thread.
#[derive(Clone)]
pub struct Reader {
    pool: DatabaseConnection,
    local: Option<Arc<SqliteReader>>,
}

impl Reader {
    pub(crate) fn new(pool: DatabaseConnection, local: Option<SqliteReader>) -> Self {
        Self { pool, local: local.map(Arc::new) }
    }

    /// The sqlx pool behind this reader.
    pub fn pool(&self) -> &DatabaseConnection {
        &self.pool
    }

    /// How many statements ran on the reader's own connections (not on sqlx) so far.
    pub fn local_reads(&self) -> u64 {
        self.local.as_ref().map_or(0, |l| l.reads.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The models of `select`, decoded straight from a row of this reader's own connections
    /// into each model (no sea-orm row between them: issue 11's profile found building and
    /// reading those a quarter of a list's time); `None` where sea-orm must read it
    /// (`select.all`), by the rules of [`run`]: not a file database, a parameter or a value
    /// not decoded exactly here, or columns that are not exactly the entity's.
    pub(crate) fn models<E>(&self, select: &sea_orm::Select<E>) -> Option<Result<Vec<E::Model>, DbErr>>
    where
        E: sea_orm::EntityTrait,
        E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
    {
        let local = self.local.as_ref()?;
        local.models::<E>(&sea_orm::QueryTrait::build(select, DbBackend::Sqlite)).transpose()
    }

    /// [`Reader::models`] of a statement already built (`page::by_id`).
    pub(crate) fn models_of<E>(&self, stmt: &Statement) -> Option<Result<Vec<E::Model>, DbErr>>
    where
        E: sea_orm::EntityTrait,
        E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
    {
        self.local.as_ref()?.models::<E>(stmt).transpose()
    }

    /// How many of those statements' rows were decoded straight into models ([`Reader::models`]).
    pub fn local_model_reads(&self) -> u64 {
        self.local.as_ref().map_or(0, |l| l.model_reads.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Closes the reader's own connections and the pool (the store closes).
    pub(crate) async fn close(self) {
        if let Some(local) = &self.local {
            local.close();
        }
        let _ = self.pool.close().await;
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.pool.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if let Some(local) = &self.local
            && let Some(mut rows) = local.query(&stmt, true)?
        {
            return Ok(rows.pop());
        }
        self.pool.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if let Some(local) = &self.local
            && let Some(rows) = local.query(&stmt, false)?
        {
            return Ok(rows);
        }
        self.pool.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.pool.support_returning()
    }
}

/// How a column's values become sea-orm values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Uuid,
    Json,
    Timestamp,
    Date,
    Bool,
    Int,
    BigInt,
    Double,
    Text,
    Bytes,
    /// A computed column of [`COMPUTED`]: an integer, read as `i64`.
    Computed,
}

impl Kind {
    /// The kind of an entity column; `None` for a type this module does not decode.
    fn of(column_type: &ColumnType) -> Option<Self> {
        Some(match column_type {
            ColumnType::Uuid => Self::Uuid,
            ColumnType::Json | ColumnType::JsonBinary => Self::Json,
            ColumnType::TimestampWithTimeZone => Self::Timestamp,
            ColumnType::Date => Self::Date,
            ColumnType::Boolean => Self::Bool,
            ColumnType::Integer => Self::Int,
            ColumnType::BigInteger => Self::BigInt,
            ColumnType::Double => Self::Double,
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => Self::Text,
            ColumnType::Blob | ColumnType::Binary(_) | ColumnType::VarBinary(_) => Self::Bytes,
            _ => return None,
        })
    }

    fn null(self) -> Value {
        match self {
            Self::Uuid => Value::Uuid(None),
            Self::Json => Value::Json(None),
            Self::Timestamp => Value::ChronoDateTimeUtc(None),
            Self::Date => Value::ChronoDate(None),
            Self::Bool => Value::Bool(None),
            Self::Int => Value::Int(None),
            Self::BigInt | Self::Computed => Value::BigInt(None),
            Self::Double => Value::Double(None),
            Self::Text => Value::String(None),
            Self::Bytes => Value::Bytes(None),
        }
    }

    /// The value sqlx would have decoded from `raw` for a column of this kind.
    fn decode(self, raw: ValueRef<'_>) -> Result<Value, String> {
        Ok(match (self, raw) {
            (_, ValueRef::Null) => self.null(),
            (Self::Uuid, ValueRef::Blob(b)) => Value::from(uuid::Uuid::from_slice(b).map_err(|e| e.to_string())?),
            (Self::Json, ValueRef::Text(t)) => Value::Json(Some(Box::new(serde_json::from_slice(t).map_err(|e| e.to_string())?))),
            (Self::Timestamp, ValueRef::Text(t)) => {
                Value::from(timestamp(utf8(t)?).ok_or_else(|| format!("invalid datetime: {}", String::from_utf8_lossy(t)))?)
            }
            // (sqlx also reads a real as a Julian day: such a value goes to sqlx.)
            (Self::Timestamp, ValueRef::Integer(i)) => Value::from(DateTime::<Utc>::from_timestamp(i, 0).ok_or("invalid unix time")?),
            (Self::Date, ValueRef::Text(t)) => Value::from(date(utf8(t)?)?),
            (Self::Bool, ValueRef::Integer(i)) => Value::from(i != 0),
            (Self::Int, ValueRef::Integer(i)) => Value::from(i32::try_from(i).map_err(|e| e.to_string())?),
            (Self::BigInt | Self::Computed, ValueRef::Integer(i)) => Value::from(i),
            (Self::Double, ValueRef::Real(f)) => Value::from(f),
            (Self::Text, ValueRef::Text(t)) => Value::from(utf8(t)?.to_owned()),
            (Self::Bytes, ValueRef::Blob(b)) => Value::Bytes(Some(b.to_vec())),
            (kind, raw) => return Err(format!("a {:?} value in a column of kind {kind:?}", raw.data_type())),
        })
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| e.to_string())
}

/// sqlx's reading of a date stored as text (`%F`), with the form this API writes (`YYYY-MM-DD`)
/// read without chrono's format interpreter, which was a tenth of the decoding of a page of
/// measures (issue 11).
fn date(text: &str) -> Result<NaiveDate, String> {
    match domain::json_date::parse_canonical(text) {
        Some(date) => Ok(date),
        None => NaiveDate::parse_from_str(text, "%F").map_err(|e| e.to_string()),
    }
}

/// What sqlx writes for a UTC timestamp (`YYYY-MM-DDTHH:MM:SS`, a fraction of 1–9 digits or
/// none, `+00:00`), read without chrono's RFC 3339 parser (two per row, 1.5 % of a page of
/// measures); `None` for any other text, which [`timestamp`] reads as sqlx does.
fn canonical_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let rest = b.get(19..)?.strip_suffix(b"+00:00")?;
    if b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let number = domain::json_date::ascii_number;
    let nanos = match rest {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => number(digits)? * 10u32.pow(9 - u32::try_from(digits.len()).ok()?),
        _ => return None,
    };
    let day = domain::json_date::parse_canonical(text.get(..10)?)?;
    let (hour, minute, second) = (number(&b[11..13])?, number(&b[14..16])?, number(&b[17..19])?);
    // (A leap second, 60, is left to chrono.)
    if second > 59 {
        return None;
    }
    Some(day.and_hms_nano_opt(hour, minute, second, nanos)?.and_utc())
}

/// sqlx's reading of a timestamp stored as text: RFC 3339 (what it writes), then SQLite's own
/// formats, without an offset meaning UTC; what sqlx writes is read first, without chrono.
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    canonical_timestamp(text).or_else(|| sqlx_timestamp(text))
}

/// [`timestamp`] without its fast path: sqlx's own reading.
fn sqlx_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%F %R%:z", "%F %T%.f%:z", "%FT%R%:z", "%FT%T%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = text.strip_suffix('Z').unwrap_or(text);
    ["%F %T%.f", "%F %R", "%FT%T%.f", "%FT%R"].iter().find_map(|format| NaiveDateTime::parse_from_str(naive, format).ok()).map(|t| t.and_utc())
}

/// A parameter as sqlx binds it on SQLite (sea-query-sqlx and sqlx-sqlite's encoders):
/// `None` for a value this module does not bind exactly (the statement then goes to sqlx).
pub(crate) fn parameter(value: &Value) -> Option<SqlValue> {
    Some(match value {
        Value::Bool(v) => v.map_or(SqlValue::Null, |b| SqlValue::Integer(b.into())),
        Value::TinyInt(v) => v.map_or(SqlValue::Null, |i| SqlValue::Integer(i.into())),
        Value::SmallInt(v) => v.map_or(SqlValue::Null, |i| SqlValue::Integer(i.into())),
        Value::Int(v) => v.map_or(SqlValue::Null, |i| SqlValue::Integer(i.into())),
        Value::BigInt(v) => v.map_or(SqlValue::Null, SqlValue::Integer),
        Value::TinyUnsigned(v) => v.map_or(SqlValue::Null, |i| SqlValue::Integer(i.into())),
        Value::SmallUnsigned(v) => v.map_or(SqlValue::Null, |i| SqlValue::Integer(i.into())),
        Value::Unsigned(v) => v.map_or(SqlValue::Null, |i| SqlValue::Integer(i.into())),
        // `LIMIT ?`: sqlx binds it as an i64 (and panics past i64::MAX; here sqlx gets it).
        Value::BigUnsigned(v) => match v {
            Some(i) => SqlValue::Integer(i64::try_from(*i).ok()?),
            None => SqlValue::Null,
        },
        Value::Double(v) => v.map_or(SqlValue::Null, SqlValue::Real),
        Value::Float(v) => v.map_or(SqlValue::Null, |f| SqlValue::Real(f.into())),
        Value::String(v) => v.as_ref().map_or(SqlValue::Null, |s| SqlValue::Text(s.clone())),
        Value::Char(v) => v.map_or(SqlValue::Null, |c| SqlValue::Text(c.to_string())),
        Value::Bytes(v) => v.as_ref().map_or(SqlValue::Null, |b| SqlValue::Blob(b.clone())),
        Value::Uuid(v) => v.map_or(SqlValue::Null, |u| SqlValue::Blob(u.as_bytes().to_vec())),
        Value::ChronoDate(v) => v.map_or(SqlValue::Null, |d| SqlValue::Text(d.format("%F").to_string())),
        Value::ChronoDateTimeUtc(v) => v.map_or(SqlValue::Null, |t| SqlValue::Text(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))),
        Value::Json(v) => v.as_ref().map_or(SqlValue::Null, |j| SqlValue::Text(j.to_string())),
        _ => return None,
    })
}

/// A table as its entity describes it: its columns in the entity's order, each with its kind
/// (`None`: a type not decoded here).
#[derive(Default)]
struct Table {
    order: Vec<&'static str>,
    kinds: HashMap<&'static str, Option<Kind>>,
    /// For each JSON column, what its model field takes ([`JsonField`]), learnt from its first
    /// value read into a model.
    json_fields: HashMap<&'static str, JsonField>,
}

/// What a JSON column's model field takes: a `serde_json::Value` (`Value::Json`), or the
/// column's text to parse into its own type (`Value::String`: an `entities::JsonOf<T>`, which
/// then parses the document once). The entity's column type does not tell them apart (both
/// are `Json`); the first value tells, and the answer is kept (an atomic: connections on any
/// thread share it).
#[derive(Default)]
struct JsonField(std::sync::atomic::AtomicU8);

impl JsonField {
    // (0: not known yet.)
    const TEXT: u8 = 1;
    const VALUE: u8 = 2;

    /// Sets the column's value from its text on `model`; `false` if the field takes neither form.
    fn set<A: sea_orm::ActiveModelTrait>(&self, model: &mut A, column: <A::Entity as sea_orm::EntityTrait>::Column, text: &[u8]) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let Ok(text) = utf8(text) else { return false };
        let as_value =
            |model: &mut A| serde_json::from_str::<serde_json::Value>(text).is_ok_and(|json| model.try_set(column, Value::Json(Some(Box::new(json)))).is_ok());
        match self.0.load(Relaxed) {
            Self::TEXT => model.try_set(column, Value::String(Some(text.to_owned()))).is_ok(),
            Self::VALUE => as_value(model),
            _ => {
                // A field refuses a form without changing the model; a document its type does
                // not read is refused in both forms, and teaches nothing.
                if model.try_set(column, Value::String(Some(text.to_owned()))).is_ok() {
                    self.0.store(Self::TEXT, Relaxed);
                    true
                } else if as_value(model) {
                    self.0.store(Self::VALUE, Relaxed);
                    true
                } else {
                    false
                }
            }
        }
    }
}

/// The tables of the entities, by name.
type Tables = HashMap<&'static str, Table>;

fn register<E: sea_orm::EntityTrait>(tables: &mut Tables) {
    use sea_orm::{ColumnTrait, IdenStatic, Iterable};
    let table = tables.entry(E::default().table_name()).or_default();
    for column in E::Column::iter() {
        let kind = Kind::of(column.def().get_column_type());
        if kind == Some(Kind::Json) {
            table.json_fields.insert(column.as_str(), JsonField::default());
        }
        table.kinds.insert(column.as_str(), kind);
        table.order.push(column.as_str());
    }
}

macro_rules! schema_of {
    ($($entity:ident),* $(,)?) => {
        fn tables() -> &'static Tables {
            static TABLES: OnceLock<Tables> = OnceLock::new();
            TABLES.get_or_init(|| {
                let mut tables = Tables::new();
                $(register::<crate::entities::$entity::Entity>(&mut tables);)*
                tables
            })
        }

        /// The tables whose rows (every row of the table, on PostgreSQL) [`pg_models`] does not
        /// decode exactly as sea-orm's derived readers do: left to them, or decoded otherwise
        /// (for the test that it never falls back and never differs).
        pub async fn pg_models_differ(pool: &DatabaseConnection) -> Result<Vec<&'static str>, DbErr> {
            use sea_orm::{EntityTrait, QueryTrait};
            let mut differ = Vec::new();
            $(
                let select = crate::entities::$entity::Entity::find();
                let rows = pool.query_all_raw(select.clone().build(DbBackend::Postgres)).await?;
                let ours = pg_models::<crate::entities::$entity::Entity>(&rows).map(|m| format!("{m:?}"));
                if ours != Some(format!("{:?}", select.all(pool).await?)) {
                    differ.push(stringify!($entity));
                }
            )*
            Ok(differ)
        }
    };
}

schema_of!(
    action_item,
    analytical_finding,
    audit_entry,
    call,
    call_partnership,
    candidacy,
    change,
    cooperation,
    counselling_record,
    evaluation,
    excluded_locality,
    goal,
    good_practice_event,
    idempotency_key,
    import_report,
    indicator_value,
    measure,
    meeting,
    meeting_attendance,
    membership,
    membership_representative,
    need,
    operational_programme,
    organization,
    participatory_procedure,
    partnership,
    partnership_consultant,
    partnership_territorial_unit,
    person,
    progress_report,
    project,
    project_measure,
    quality_criterion,
    recruitment_round,
    situational_analysis,
    strategic_plan,
    support_project,
    support_project_document,
    supported_unit,
    territorial_unit,
    timeline_template,
    webhook,
    webhook_delivery,
    working_group,
    working_group_member,
);

/// Every `(table, column)` the entities describe, sorted (for the test that every column of
/// the migrated schema has its type here).
pub fn described_columns() -> Vec<(&'static str, &'static str)> {
    let mut columns: Vec<_> = tables().iter().flat_map(|(name, t)| t.order.iter().map(|c| (*name, *c))).collect();
    columns.sort_unstable();
    columns
}

/// The columns of a statement's result (position, name, kind) in the order of their names;
/// `None`: the statement goes to sqlx.
type Shape = Option<Arc<[(usize, Arc<str>, Kind)]>>;

fn shape_of(stmt: &rusqlite::Statement<'_>) -> Shape {
    if !stmt.readonly() || stmt.column_count() == 0 {
        return None;
    }
    let t = tables();
    let mut columns = Vec::with_capacity(stmt.column_count());
    let mut whole = None::<&'static str>;
    let mut from_one_table = true;
    for c in stmt.columns_with_metadata() {
        let kind = match (c.table_name(), c.origin_name()) {
            (Some(table), Some(origin)) => {
                let (&table, described) = t.get_key_value(table)?;
                let kind = (*described.kinds.get(origin)?)?;
                if origin != c.name() || whole.is_some_and(|w| w != table) {
                    from_one_table = false;
                }
                whole = Some(table);
                kind
            }
            _ if COMPUTED.contains(&c.name()) => {
                from_one_table = false;
                Kind::Computed
            }
            _ => return None,
        };
        columns.push((Arc::<str>::from(c.name()), kind));
    }
    // Positional reads must find the columns in the order of their names (see the module's
    // docs): fine for one whole entity (read by name) and for names already in order.
    let whole_entity = from_one_table
        && whole.and_then(|w| t.get(w)).is_some_and(|all| all.order.len() == columns.len() && all.order.iter().zip(&columns).all(|(a, (b, _))| *a == &**b));
    let in_order = columns.windows(2).all(|w| w[0].0 < w[1].0);
    if !(whole_entity || in_order) {
        return None;
    }
    // The columns in the order of their names, with their positions: a row's map is then
    // built in one pass (`BTreeMap::from_iter` on sorted entries) instead of by insertions.
    let mut sorted: Vec<(usize, Arc<str>, Kind)> = columns.into_iter().enumerate().map(|(i, (name, kind))| (i, name, kind)).collect();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    if sorted.windows(2).any(|w| w[0].1 == w[1].1) {
        return None;
    }
    Some(sorted.into())
}

/// A connection of this crate's own (read-only here; the writer's: `local_write`) with the
/// shapes of the statements it prepared.
pub(crate) struct Local {
    pub(crate) conn: rusqlite::Connection,
    shapes: HashMap<Box<str>, Remembered>,
}

/// What a connection remembers of a statement it prepared: its shape, and the table whose
/// columns, every one under its own name, it was found to read ([`run_models`]: checked once
/// per statement, not on every read; SQLite's column metadata were 6 % of an item read's
/// instructions, issue 11).
struct Remembered {
    shape: Shape,
    entity: Option<&'static str>,
}

/// How long a write waits for SQLite's write lock when another connection holds it (as the
/// sqlx pool's connections: `store.rs`): another process, a migration, a write on the pool.
pub(crate) const WRITER_BUSY: Duration = Duration::from_secs(10);

/// How long the writer's connection waits for a lock at a time, on the thread of its write
/// (`local_write::LocalTx::begin` tries again, awaited, until [`WRITER_BUSY`]).
pub(crate) const WRITER_BUSY_STEP: Duration = Duration::from_millis(20);

impl Local {
    /// Opens a connection to the file at `path`: read-only, or the writer's (read-write, foreign
    /// keys enforced and `synchronous=NORMAL`, as the pool's connections: `store.rs`).
    pub(crate) fn open(path: &Path, writer: bool) -> Result<Self, rusqlite::Error> {
        let access = if writer { OpenFlags::SQLITE_OPEN_READ_WRITE } else { OpenFlags::SQLITE_OPEN_READ_ONLY };
        let conn = rusqlite::Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(if writer { WRITER_BUSY_STEP } else { BUSY })?;
        // As the pool's connections (store.rs): a large sort's temporary b-tree, a savepoint's
        // statement journal, in memory.
        conn.pragma_update(None, "temp_store", "memory")?;
        if writer {
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // Writes touch few pages, mostly the last of each table and index, and run few
            // distinct statements: half of SQLite's default page cache (2 MB) and 64 prepared
            // statements, of the resident memory issue 11 bounds.
            conn.pragma_update(None, "cache_size", -1024)?;
        } else {
            // A quarter of SQLite's default page cache (2 MB). In `make bench`'s soak the SQLite
            // server's heap grew to 23.8 MB against the PostgreSQL server's flat 14.5, three
            // readers' caches and the writer's being most of the difference; with 512 KiB the
            // heap ended at 17.8 MB, flat, and no endpoint read slower (issue 11). The pages a
            // read misses come from the operating system's cache of the file, and a write by
            // another connection empties a reader's cache anyway (WAL: SQLite then resets it).
            conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
        }
        // The query planner's stability guarantee: without it SQLite compiles a statement anew
        // at its first step after every new value of `LIMIT ?` (it plans with the bound
        // value), which was 4-6 % of a read's time; the plan does not depend on the limit here.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(if writer { WRITER_STATEMENTS } else { SHAPES });
        Ok(Self { conn, shapes: HashMap::new() })
    }
}

/// Read-only `rusqlite` connections to one SQLite file, taken by the thread that reads.
pub(crate) struct SqliteReader {
    path: PathBuf,
    idle: Mutex<Vec<Local>>,
    /// Connections kept when idle (more are opened when more threads read at once).
    keep: usize,
    /// Statements answered here.
    reads: std::sync::atomic::AtomicU64,
    /// Of those, the ones decoded straight into models.
    model_reads: std::sync::atomic::AtomicU64,
}

/// The page cache of a reader's connection, in KiB.
const READER_CACHE_KIB: i64 = 512;

/// Prepared statements the writer's connection keeps (least recently used go first).
const WRITER_STATEMENTS: usize = 64;

/// Distinct statements remembered per connection (lists with `IN (…)` of varying length
/// make new ones); past this the memo starts again.
const SHAPES: usize = 512;

impl SqliteReader {
    pub(crate) fn new(path: &Path, keep: usize) -> Self {
        Self { path: path.to_owned(), idle: Mutex::new(Vec::new()), keep, reads: Default::default(), model_reads: Default::default() }
    }

    fn open(&self) -> Result<Local, rusqlite::Error> {
        Local::open(&self.path, false)
    }

    /// An idle connection or a new one; `None` when none opens (sqlx then reads, and answers).
    fn take(&self) -> Option<Local> {
        let idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        match idle {
            Some(local) => Some(local),
            None => match self.open() {
                Ok(local) => Some(local),
                Err(e) => {
                    tracing::warn!(error = %e, "an SQLite read connection did not open; reading through the pool");
                    None
                }
            },
        }
    }

    /// Closes the idle connections (the store closes); a read after this opens a new one.
    pub(crate) fn close(&self) {
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    fn put(&self, local: Local) {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < self.keep {
            idle.push(local);
        }
    }

    /// The rows of `stmt` (`first`: at most one), or `None` when sqlx must run it.
    fn query(&self, stmt: &Statement, first: bool) -> Result<Option<Vec<QueryResult>>, DbErr> {
        self.with_connection(stmt, |local, parameters| run(local, &stmt.sql, parameters, first, false))
    }

    /// The models of `stmt` (an entity's `SELECT`), or `None` when sea-orm must read them.
    fn models<E>(&self, stmt: &Statement) -> Result<Option<Vec<E::Model>>, DbErr>
    where
        E: sea_orm::EntityTrait,
        E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
    {
        let models = self.with_connection(stmt, |local, parameters| run_models::<E>(local, &stmt.sql, parameters))?;
        if models.is_some() {
            self.model_reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(models)
    }

    /// `read` on an idle connection with the statement's parameters bound as sqlx binds them;
    /// `None` when a parameter is not bound exactly here or no connection opens.
    fn with_connection<T>(&self, stmt: &Statement, read: impl FnOnce(&mut Local, &[SqlValue]) -> Result<Option<T>, DbErr>) -> Result<Option<T>, DbErr> {
        let parameters = match &stmt.values {
            Some(values) => match values.0.iter().map(parameter).collect::<Option<Vec<_>>>() {
                Some(p) => p,
                None => return Ok(None),
            },
            None => Vec::new(),
        };
        let Some(mut local) = self.take() else { return Ok(None) };
        let result = read(&mut local, &parameters);
        // A connection that failed, or was left inside a transaction, is dropped, not reused.
        if result.is_ok() && local.conn.is_autocommit() {
            self.put(local);
        }
        if matches!(result, Ok(Some(_))) {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        result
    }
}

/// The shape of `sql`, prepared as `prepared`, remembered per connection.
fn remembered_shape(shapes: &mut HashMap<Box<str>, Remembered>, sql: &str, prepared: &rusqlite::Statement<'_>) -> Shape {
    if let Some(remembered) = shapes.get(sql) {
        return remembered.shape.clone();
    }
    let shape = shape_of(prepared);
    if shapes.len() >= SHAPES {
        shapes.clear();
    }
    shapes.insert(sql.into(), Remembered { shape: shape.clone(), entity: None });
    shape
}

/// Whether `sql` is a query (what else SQLite calls read-only, PRAGMAs and transactions'
/// statements, goes to sqlx).
fn is_query(sql: &str) -> bool {
    let head = sql.trim_start().get(..6).unwrap_or_default();
    head.eq_ignore_ascii_case("select") || head.get(..4).is_some_and(|h| h.eq_ignore_ascii_case("with"))
}

/// The rows of `sql` on `local`, or `None` where sqlx must run it; `strict` (the writer's
/// connection, whose transaction sqlx cannot join): an error instead of `None`, naming why.
pub(crate) fn run(local: &mut Local, sql: &str, parameters: &[SqlValue], first: bool, strict: bool) -> Result<Option<Vec<QueryResult>>, DbErr> {
    let elsewhere = |why: &str| {
        if strict { Err(DbErr::Query(sea_orm::RuntimeErr::Internal(format!("the SQLite writer cannot read this statement ({why}): {sql}")))) } else { Ok(None) }
    };
    if !is_query(sql) {
        return elsewhere("not a query");
    }
    // A statement SQLite does not take (several statements, a table not there yet) is sqlx's
    // to answer, with its own error.
    let mut prepared = match local.conn.prepare_cached(sql) {
        Ok(prepared) => prepared,
        Err(e) if strict => return Err(sqlite_error(e)),
        Err(_) => return Ok(None),
    };
    let shape = remembered_shape(&mut local.shapes, sql, &prepared);
    let Some(shape) = shape else { return elsewhere("its columns are not read here") };
    for (i, p) in parameters.iter().enumerate() {
        prepared.raw_bind_parameter(i + 1, p).map_err(sqlite_error)?;
    }
    let mut rows = prepared.raw_query();
    let mut out: Vec<BTreeMap<String, Value>> = Vec::new();
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            // Busy past `BUSY`: sqlx waits longer, on its own thread.
            Err(rusqlite::Error::SqliteFailure(e, _))
                if !strict && matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(sqlite_error(e)),
        };
        let mut values = Vec::with_capacity(shape.len());
        for (i, name, kind) in shape.iter() {
            let raw = row.get_ref(*i).map_err(sqlite_error)?;
            // A value sqlx would refuse or read otherwise: sqlx answers.
            let value = match kind.decode(raw) {
                Ok(value) => value,
                Err(why) => return elsewhere(&format!("{name}: {why}")),
            };
            // `String::from`, not `to_string`: the formatter's padding logic was a tenth of
            // the pipeline report's instructions (issue 11).
            values.push((String::from(&**name), value));
        }
        out.push(BTreeMap::from_iter(values));
        if first {
            break;
        }
    }
    let mut rows = MockDatabase::new(DbBackend::Sqlite).append_query_results([out]);
    rows.query(0, Statement::from_string(DbBackend::Sqlite, String::new())).map(Some)
}

/// The models of `sql` (a `SELECT` of one entity's columns, all of them) on `local`, each
/// decoded from its row by the kinds [`run`] uses and set on the entity's active model; `None`
/// where [`run`] would hand the statement to sqlx, or where the columns are not exactly the
/// entity's (another table's, computed, missing or renamed), which sea-orm then reads.
fn run_models<E>(local: &mut Local, sql: &str, parameters: &[SqlValue]) -> Result<Option<Vec<E::Model>>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
{
    use sea_orm::{ActiveModelTrait, IdenStatic, Iterable, TryIntoModel};
    if !is_query(sql) {
        return Ok(None);
    }
    let Ok(mut prepared) = local.conn.prepare_cached(sql) else { return Ok(None) };
    let shape = remembered_shape(&mut local.shapes, sql, &prepared);
    let Some(shape) = shape else { return Ok(None) };
    // Every column of the entity, once, each from the entity's own table under its own name.
    let table = E::default().table_name();
    let Some(json_fields) = tables().get(table).map(|t| &t.json_fields) else { return Ok(None) };
    let all: Vec<E::Column> = E::Column::iter().collect();
    if shape.len() != all.len() {
        return Ok(None);
    }
    let checked = local.shapes.get(sql).is_some_and(|r| r.entity == Some(table));
    let origins = (!checked).then(|| prepared.columns_with_metadata());
    let mut columns = Vec::with_capacity(shape.len());
    for (i, name, kind) in shape.iter() {
        let Some(column) = all.iter().find(|c| c.as_str() == &**name) else { return Ok(None) };
        if let Some(origin) = origins.as_ref().map(|o| &o[*i])
            && (origin.table_name() != Some(table) || origin.origin_name() != Some(&**name))
        {
            return Ok(None);
        }
        columns.push((*i, *column, *kind, json_fields.get(&**name)));
    }
    if origins.is_some()
        && let Some(remembered) = local.shapes.get_mut(sql)
    {
        remembered.entity = Some(table);
    }
    for (i, p) in parameters.iter().enumerate() {
        prepared.raw_bind_parameter(i + 1, p).map_err(sqlite_error)?;
    }
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            // Busy past `BUSY`: sqlx waits longer, on its own thread.
            Err(rusqlite::Error::SqliteFailure(e, _)) if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                return Ok(None);
            }
            Err(e) => return Err(sqlite_error(e)),
        };
        let mut model = <E::ActiveModel as ActiveModelTrait>::default();
        for (i, column, kind, json_field) in &columns {
            let raw = row.get_ref(*i).map_err(sqlite_error)?;
            // A value sqlx would refuse or read otherwise, or one the model's field does not
            // take: sea-orm reads the statement, and answers.
            if let (Kind::Json, ValueRef::Text(text)) = (kind, raw) {
                if !json_field.is_some_and(|field| field.set(&mut model, *column, text)) {
                    return Ok(None);
                }
                continue;
            }
            let Ok(value) = kind.decode(raw) else { return Ok(None) };
            if model.try_set(*column, value).is_err() {
                return Ok(None);
            }
        }
        match model.try_into_model() {
            Ok(model) => out.push(model),
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// The models of `rows` (the answer of an entity's `SELECT` on PostgreSQL), decoded column by
/// column from sqlx's rows into each model; `None` where sea-orm must decode them (a column or
/// a value not decoded exactly here: the caller then reads the statement with `select.all`).
///
/// Why (issue 11's profile of the partnerships list on PostgreSQL): sea-orm 2.0.4 reads an
/// `Option<T>` field by reading a `T` and turning the "null" error into `None`, and that error
/// formats the column's name (`format!("{idx:?}")`) first; a page of 50 partnerships has five
/// null columns a row, and those 250 formatted strings were a tenth of the server's CPU. Here a
/// nullable value is read as sqlx's `Option<T>`, which costs nothing when it is null.
pub(crate) fn pg_models<E>(rows: &[QueryResult]) -> Option<Vec<E::Model>>
where
    E: sea_orm::EntityTrait,
    E::ActiveModel: sea_orm::TryIntoModel<E::Model>,
{
    use sea_orm::sqlx::{Row, TypeInfo, ValueRef as _};
    use sea_orm::{ActiveModelTrait, IdenStatic, Iterable, TryIntoModel};
    let table = tables().get(E::default().table_name())?;
    let columns: Vec<(E::Column, Kind, Option<&JsonField>)> =
        E::Column::iter().map(|c| Some((c, (*table.kinds.get(c.as_str())?)?, table.json_fields.get(c.as_str())))).collect::<Option<_>>()?;
    // Exactly the entity's columns, in its order (what `Entity::find()` selects); every row of
    // one statement has the same columns, so the first row's are checked once.
    if let Some(first) = rows.first() {
        let names = first.try_as_pg_row()?.columns();
        if names.len() != columns.len() || names.iter().zip(&columns).any(|(name, (column, ..))| sea_orm::sqlx::Column::name(name) != column.as_str()) {
            return None;
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let row = row.try_as_pg_row()?;
        let mut model = <E::ActiveModel as ActiveModelTrait>::default();
        for (i, (column, kind, json_field)) in columns.iter().enumerate() {
            let value = match kind {
                Kind::Json => {
                    let raw = row.try_get_raw(i).ok()?;
                    if raw.is_null() {
                        Value::Json(None)
                    } else {
                        // sqlx reads results in the binary format: `json` is the document's text,
                        // `jsonb` the same after a version byte (1).
                        let text = match raw.type_info().name() {
                            "JSON" => raw.as_bytes().ok()?,
                            "JSONB" => raw.as_bytes().ok()?.strip_prefix(&[1u8])?,
                            _ => return None,
                        };
                        if !json_field.is_some_and(|field| field.set(&mut model, *column, text)) {
                            return None;
                        }
                        continue;
                    }
                }
                Kind::Uuid => Value::Uuid(row.try_get::<Option<uuid::Uuid>, _>(i).ok()?),
                Kind::Timestamp => Value::ChronoDateTimeUtc(row.try_get::<Option<DateTime<Utc>>, _>(i).ok()?),
                Kind::Date => Value::ChronoDate(row.try_get::<Option<NaiveDate>, _>(i).ok()?),
                Kind::Bool => Value::Bool(row.try_get::<Option<bool>, _>(i).ok()?),
                Kind::Int => Value::Int(row.try_get::<Option<i32>, _>(i).ok()?),
                Kind::BigInt => Value::BigInt(row.try_get::<Option<i64>, _>(i).ok()?),
                Kind::Double => Value::Double(row.try_get::<Option<f64>, _>(i).ok()?),
                Kind::Text => Value::String(row.try_get::<Option<String>, _>(i).ok()?),
                Kind::Bytes => Value::Bytes(row.try_get::<Option<Vec<u8>>, _>(i).ok()?),
                Kind::Computed => return None,
            };
            model.try_set(*column, value).ok()?;
        }
        out.push(model.try_into_model().ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_sqlx_reads_them() {
        for text in [
            "2026-12-01",
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "2024-02-29",
            "2026-1-5",
            "+12026-01-05",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "2026-10-00",
            "2026-12-1x",
            "20261201",
            "2026/12/01",
            "",
            "2026-12-01 ",
        ] {
            assert_eq!(date(text).ok(), NaiveDate::parse_from_str(text, "%F").ok(), "{text:?}");
        }
        assert_eq!(date("2026-12-01"), Ok(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
    }

    #[test]
    fn timestamps_read_as_sqlx_writes_and_reads_them() {
        let t: DateTime<Utc> = "2026-12-01T10:11:12.123456Z".parse().unwrap();
        let written = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        assert_eq!(timestamp(&written), Some(t));
        assert_eq!(timestamp("2026-12-01 10:11:12.123456"), Some(t));
        assert_eq!(timestamp("2026-12-01T10:11:12.123456+00:00"), Some(t));
        assert_eq!(timestamp("2026-12-01 12:11:12.123456+02:00"), Some(t));
        assert_eq!(timestamp("yesterday"), None);
        // The canonical form read without chrono: as chrono reads it, at every precision; any
        // other text left to chrono.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let secs = i64::try_from(next() % 253_402_300_800).unwrap();
            let nanos = u32::try_from(next() % 1_000_000_000).unwrap();
            let nanos = [0, nanos / 1_000_000 * 1_000_000, nanos / 1_000 * 1_000, nanos, nanos / 10 * 10][usize::try_from(next() % 5).unwrap()];
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            for text in [t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false), t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false)] {
                assert_eq!(canonical_timestamp(&text), Some(t), "{text}");
                assert_eq!(canonical_timestamp(&text), DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc)), "{text}");
            }
        }
        // Fractions of every length, years before 1970 and the range's edges: read here, as chrono reads them.
        for text in [
            "2026-12-01T10:11:12.1+00:00",
            "2026-12-01T10:11:12.12+00:00",
            "2026-12-01T10:11:12.1234+00:00",
            "2026-12-01T10:11:12.12345+00:00",
            "2026-12-01T10:11:12.1234567+00:00",
            "2026-12-01T10:11:12.12345678+00:00",
            "1969-12-31T23:59:59.999999999+00:00",
            "0000-01-01T00:00:00+00:00",
            "1890-02-28T07:08:09.05+00:00",
            "9999-12-31T23:59:59.999+00:00",
        ] {
            assert!(canonical_timestamp(text).is_some(), "{text}");
            assert_eq!(canonical_timestamp(text), DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc)), "{text}");
        }
        for text in [
            "2026-12-01T10:11:12+00:00",
            "2026-12-01T10:11:12.1+00:00",
            "2026-12-01T23:59:60+00:00",
            "2026-12-01T24:00:00+00:00",
            "2026-12-01T10:61:12+00:00",
            "2026-02-30T10:11:12+00:00",
            "2026-12-01T10:11:12.+00:00",
            "2026-12-01T10:11:12.1234567890+00:00",
            "2026-12-01T10:11:12Z",
            "2026-12-01 10:11:12+00:00",
            "2026-12-01T10:11:12+01:00",
            "2026-12-01T1a:11:12+00:00",
            "+00:00",
            "",
        ] {
            if let Some(t) = canonical_timestamp(text) {
                assert_eq!(Some(t), DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc)), "{text}");
            }
            assert_eq!(timestamp(text), sqlx_timestamp(text), "{text}");
        }
    }

    #[test]
    fn every_entity_column_is_decoded_here() {
        for (name, table) in tables() {
            for (column, kind) in &table.kinds {
                assert!(kind.is_some(), "{name}.{column}: a column type the SQLite reader does not decode");
            }
        }
    }

    #[test]
    fn values_decode_by_kind_and_refuse_what_sqlx_would_refuse() {
        assert!(is_query("SELECT 1") && is_query("  with x AS (SELECT 1) SELECT * FROM x"));
        assert!(!is_query("PRAGMA foreign_keys") && !is_query("BEGIN") && !is_query("SEL"));
        let id = uuid::Uuid::now_v7();
        assert_eq!(Kind::Uuid.decode(ValueRef::Blob(id.as_bytes())).unwrap(), Value::from(id));
        assert_eq!(Kind::Int.decode(ValueRef::Integer(7)).unwrap(), Value::Int(Some(7)));
        assert_eq!(Kind::BigInt.decode(ValueRef::Integer(7)).unwrap(), Value::BigInt(Some(7)));
        assert_eq!(Kind::Bool.decode(ValueRef::Integer(1)).unwrap(), Value::Bool(Some(true)));
        assert_eq!(Kind::Json.decode(ValueRef::Text(b"[1]")).unwrap(), Value::Json(Some(Box::new(serde_json::json!([1])))));
        assert_eq!(Kind::Date.decode(ValueRef::Text(b"2026-12-01")).unwrap(), Value::from(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
        assert_eq!(Kind::Text.decode(ValueRef::Null).unwrap(), Value::String(None));
        assert!(Kind::Int.decode(ValueRef::Integer(i64::MAX)).is_err());
        assert!(Kind::Text.decode(ValueRef::Integer(1)).is_err());
        // sqlx reads a UUID from 16 bytes only, JSON from text only, an f64 from a real only.
        assert!(Kind::Uuid.decode(ValueRef::Text(id.to_string().as_bytes())).is_err());
        assert!(Kind::Json.decode(ValueRef::Blob(b"[1]")).is_err());
        assert!(Kind::Double.decode(ValueRef::Integer(1)).is_err());
        assert_eq!(Kind::Computed.decode(ValueRef::Integer(3)).unwrap(), Value::BigInt(Some(3)));
        assert!(Kind::Computed.decode(ValueRef::Text(b"3")).is_err());
        assert_eq!(parameter(&Value::from(id)), Some(SqlValue::Blob(id.as_bytes().to_vec())));
        assert_eq!(parameter(&Value::from(true)), Some(SqlValue::Integer(1)));
        assert_eq!(parameter(&Value::from(51_u64)), Some(SqlValue::Integer(51)));
    }
}
