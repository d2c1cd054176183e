//! Writes to a file SQLite database on the calling thread.
//!
//! SQLite takes one write at a time, so the process queues its writes on one lock
//! ([`WriteLock`]), and a write holds it from its `BEGIN` to its `COMMIT`. On sqlx every
//! statement of a write was a message to the connection's own thread and its answer a message
//! back, awaited: in the mixed soak of `make bench` a write held the lock ~3.4 ms, of which
//! its `BEGIN` alone (a round trip through the runtime) was 1.45 ms, and the writes queued on
//! the lock were most of the soak's latency (issue 11). Here the lock's holder owns the one
//! read-write `rusqlite` connection of the process and runs each statement sea-orm built on
//! its own thread, the way `reader` runs reads: bound as sqlx binds them
//! ([`reader::parameter`]), rows decoded as sqlx decodes them ([`reader::run`], strictly: a
//! statement it cannot answer exactly is an error here, never handed to sqlx, whose
//! connections cannot join this transaction).
//!
//! The guarantees stay those of a transaction: `BEGIN IMMEDIATE` takes SQLite's write lock at
//! the start (waiting out another process's write up to [`reader::WRITER_BUSY`], as the sqlx
//! pool's connections did, without blocking its worker: [`LocalTx::begin`]); a write dropped
//! before its commit (an error, a panic, a client that went away) is rolled back on drop; a
//! connection that could not roll back is closed, and the next write opens a new one. Errors keep SQLite's extended result codes, classified
//! as sqlx's are (`error::sqlite_error`).
//!
//! The WAL is checkpointed off the request threads ([`WriteLock::checkpoint_soon`]): SQLite's
//! automatic checkpoint runs inside the `COMMIT` that fills the WAL past 1,000 pages, copying
//! them into the database file and syncing both files on the thread of whichever request
//! committed, and every request queued on that actix worker waited for it.
//!
//! PostgreSQL, and an in-memory SQLite database (one connection, the pool's), write through
//! sqlx as before ([`TxConn::Pool`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex as StdMutex, MutexGuard, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use rusqlite::types::Value as SqlValue;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, MockDatabase, MockDatabaseTrait, MockExecResult, QueryResult, Statement};
use tokio::sync::Notify;

use crate::StoreError;
use crate::error::sqlite_error;
use crate::reader::{self, Local};

/// The process's SQLite writer: the database file and, once a write opened it, its connection.
pub(crate) struct Writer {
    /// The database file; `None` for an in-memory database (written through the sqlx pool).
    path: Option<PathBuf>,
    /// The read-write connection, opened by the first write.
    conn: Option<StdMutex<Local>>,
}

impl Writer {
    pub(crate) fn new(path: Option<PathBuf>) -> Self {
        Self { path, conn: None }
    }

    /// Opens the read-write connection, which checkpoints in a commit only past
    /// [`BACKSTOP_PAGES`] ([`WriteLock::checkpoint_soon`] does it before).
    fn open(&mut self, path: &Path) -> Result<(), rusqlite::Error> {
        let local = Local::open(path, true)?;
        local.conn.pragma_update(None, "wal_autocheckpoint", BACKSTOP_PAGES)?;
        self.conn = Some(StdMutex::new(local));
        Ok(())
    }
}

/// How long after a commit the WAL is checkpointed (the commits meanwhile go with it).
const CHECKPOINT_AFTER: Duration = Duration::from_millis(200);

/// The WAL's size (pages) at which a commit checkpoints after all, as SQLite does at 1,000: a
/// bound, should the scheduled checkpoints fall behind (the write lock is not a fair queue,
/// and under a flood of writes the checkpoint's task may keep missing it).
const BACKSTOP_PAGES: i64 = 10_000;

/// The lock every write of the process takes: whoever holds it has the [`Writer`].
///
/// Not a fair queue (tokio's `Mutex` hands a released lock to the longest waiting task): a
/// waiting task is polled again only when its actix worker gets to it, after the requests
/// queued on that worker, and a lock handed to it stayed idle that long while writes ready to
/// run on the other worker waited (in the mixed soak the lock passed at a few hundred writes a
/// second, each waiting ~44 ms for ~0.5 ms of work: issue 11). Here a release wakes every
/// waiter, and the writer goes to whichever write asks first, running or woken; the others
/// wait for the next release.
///
/// A write first waits for the writer on its own thread, for [`WAIT_ON_THREAD`] at most, when
/// the holder is a write of another thread ([`Self::take_soon`]): a holder runs its statements
/// without yielding and keeps the writer ~0.5 ms, and a write that waited as a task was polled
/// again only after the requests queued on its worker, by when a write of the other worker had
/// often taken the writer again. In the mixed soak with two workers a quarter of the writes
/// waited so, 7 % of them over 10 ms, and they were the soak's p99 (every read was answered
/// within 5 ms, server side; with one worker 5 % of the writes waited, for the checkpoints).
/// Never on the holder's own thread (its holder could not go on), and never longer than
/// [`WAIT_ON_THREAD`] (a holder that awaits something else, an import's next batch or another
/// process's write, keeps the writer longer): then the write waits as a task, as before.
pub(crate) struct WriteLock {
    slot: StdMutex<Slot>,
    /// The database file (`None`: in memory), for [`Self::copy_ahead`]'s connection.
    path: Option<PathBuf>,
    /// A second read-write connection to the file that copies the WAL into the database
    /// before a checkpoint takes the lock ([`Self::copy_ahead`]); opened by its first use.
    copier: StdMutex<Option<Local>>,
    freed: Notify,
    /// Wakes the writes waiting on their threads ([`Self::take_soon`]).
    freed_here: Condvar,
    /// A checkpoint is scheduled ([`Self::checkpoint_soon`]).
    checkpoint_scheduled: AtomicBool,
    /// Checkpoints run (for tests).
    checkpoints: AtomicU64,
}

impl WriteLock {
    pub(crate) fn new(writer: Writer) -> Self {
        Self {
            path: writer.path.clone(),
            copier: StdMutex::new(None),
            slot: StdMutex::new(Slot { writer: Some(writer), holder: None }),
            freed: Notify::new(),
            freed_here: Condvar::new(),
            checkpoint_scheduled: AtomicBool::new(false),
            checkpoints: AtomicU64::new(0),
        }
    }

    /// Checkpoints the WAL [`CHECKPOINT_AFTER`] from now, unless that is already scheduled:
    /// holding the lock, so that no write of this process commits meanwhile and the checkpoint
    /// can copy every frame (it does unless a write of the sqlx pool's, which takes no lock of
    /// ours, came in between). `RESTART`: it also waits (the writer's busy timeout, 20 ms at
    /// most) for the reads of older snapshots to end, so that the next write starts the WAL
    /// afresh. A `PASSIVE` checkpoint never got there with reads always running (SQLite's
    /// "checkpoint starvation"), nor one racing the writes: the WAL grew without end (45 MB in
    /// a 90-second soak) and the server's memory with it. On the writer's connection, on a
    /// blocking thread: the copying and the fsyncs hold up no request's worker. Most of the
    /// WAL is copied before, without the lock ([`Self::copy_ahead`]), so that writes wait only
    /// for the frames committed since and the `RESTART`. (Without a tokio runtime, which every
    /// caller has, the writer's own checkpoint past [`BACKSTOP_PAGES`] bounds the WAL.)
    fn checkpoint_soon(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if self.checkpoint_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let scheduled = Scheduled(self.clone());
        runtime.spawn(async move {
            tokio::time::sleep(CHECKPOINT_AFTER).await;
            let lock = scheduled.0.clone();
            // (A panic or a failure there leaves the whole copy to the checkpoint.)
            let _ = tokio::task::spawn_blocking(move || lock.copy_ahead()).await;
            let held = scheduled.0.acquire().await;
            // The commits from here on schedule the next one.
            drop(scheduled);
            // (A panic there loses one checkpoint; the next commit schedules another.)
            let _ = tokio::task::spawn_blocking(move || held.checkpoint()).await;
        });
    }

    /// A `PASSIVE` checkpoint on a connection of its own, without the write lock: it copies
    /// the WAL's frames into the database file, as far as the oldest read's snapshot allows,
    /// and syncs the file, waiting for nobody, while writes go on; the checkpoint under the
    /// lock then copies only what was committed since (SQLite keeps how far the WAL was
    /// copied, for every connection). In the mixed soak of `make bench` a checkpoint under
    /// the lock copied ~2,600 pages (~10 MB) in a median 14.5 ms, 4.4 times a second, with
    /// every write waiting (issue 11). Answers the WAL's frames and those copied, `None` for
    /// an in-memory database or when the connection or the checkpoint failed (logged: the
    /// checkpoint under the lock then copies it all, as before).
    fn copy_ahead(&self) -> Option<(i64, i64)> {
        let path = self.path.as_deref()?;
        let mut copier = self.copier.lock().unwrap_or_else(PoisonError::into_inner);
        if copier.is_none() {
            match Local::open(path, true) {
                Ok(local) => *copier = Some(local),
                Err(e) => {
                    tracing::warn!(error = %e, "the WAL's copying connection did not open");
                    return None;
                }
            }
        }
        let local = copier.as_ref()?;
        match local.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| Ok((row.get(1)?, row.get(2)?))) {
            Ok(frames) => Some(frames),
            Err(e) => {
                tracing::warn!(error = %e, "copying the WAL ahead of its checkpoint failed");
                // Opened afresh next time.
                *copier = None;
                None
            }
        }
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The writer if it is free, taken by this thread.
    fn take(&self) -> Option<Writer> {
        self.slot().take_here()
    }

    /// The writer if it is free or freed within [`WAIT_ON_THREAD`] by a holder on another
    /// thread, waited for on this one (see [`WriteLock`]); `None` at once when this thread holds it.
    fn take_soon(&self) -> Option<Writer> {
        self.take_within(WAIT_ON_THREAD)
    }

    fn take_within(&self, wait: Duration) -> Option<Writer> {
        let here = std::thread::current().id();
        let until = Instant::now() + wait;
        let mut slot = self.slot();
        loop {
            if let Some(writer) = slot.take_here() {
                return Some(writer);
            }
            let left = until.saturating_duration_since(Instant::now());
            if slot.holder == Some(here) || left.is_zero() {
                return None;
            }
            slot = self.freed_here.wait_timeout(slot, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Closes the writer's connection (the store closes; a later write opens another).
    pub(crate) async fn close(self: &Arc<Self>) {
        let mut held = self.acquire().await;
        if let Some(writer) = held.writer.as_mut() {
            writer.conn = None;
        }
        *self.copier.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Checkpoints run so far (for tests).
    pub(crate) fn checkpoints(&self) -> u64 {
        self.checkpoints.load(Ordering::Relaxed)
    }

    /// Waits for the writer and takes it.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Held {
        if let Some(writer) = self.take_soon() {
            return Held { writer: Some(writer), lock: self.clone() };
        }
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the look, so that a release in between wakes this waiter.
            freed.as_mut().enable();
            if let Some(writer) = self.take() {
                return Held { writer: Some(writer), lock: self.clone() };
            }
            freed.await;
        }
    }
}

/// How long a write waits for the writer on its own thread before it waits as a task (a few
/// writes' time; see [`WriteLock`]).
const WAIT_ON_THREAD: Duration = Duration::from_millis(2);

/// The writer when it is free, and the thread of the write that took it.
struct Slot {
    writer: Option<Writer>,
    /// The thread that took the writer (a write moved to another thread since, as a checkpoint
    /// is, still counts as this thread's: the others wait no longer than they would anyway).
    holder: Option<ThreadId>,
}

impl Slot {
    fn take_here(&mut self) -> Option<Writer> {
        let writer = self.writer.take()?;
        self.holder = Some(std::thread::current().id());
        Some(writer)
    }
}

/// A checkpoint scheduled on a [`WriteLock`]; dropped, it lets the next commit schedule one,
/// also when its task never ran (the runtime it was spawned on shut down: a test's, or an
/// actix worker's that restarted), so that checkpoints never stop for good.
struct Scheduled(Arc<WriteLock>);

impl Drop for Scheduled {
    fn drop(&mut self) {
        self.0.checkpoint_scheduled.store(false, Ordering::Release);
    }
}

/// The writer, taken from its [`WriteLock`] and put back when dropped.
pub(crate) struct Held {
    writer: Option<Writer>,
    lock: Arc<WriteLock>,
}

impl Held {
    /// Whether writes run on this process's own connection (a file database).
    pub(crate) fn is_local(&self) -> bool {
        self.writer.as_ref().is_some_and(|w| w.path.is_some())
    }

    /// `PRAGMA wal_checkpoint(RESTART)` on the writer's connection, if it is open; counted
    /// (also one that found a reader still busy: it copied what it could; the next one goes
    /// on). A failure is logged: the next commit schedules another.
    fn checkpoint(self) {
        let Some(conn) = self.writer.as_ref().and_then(|w| w.conn.as_ref()) else { return };
        let Ok(local) = conn.lock() else { return };
        match local.conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())) {
            Ok(()) => {
                self.lock.checkpoints.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(error = %e, "the WAL checkpoint failed"),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        {
            let mut slot = self.lock.slot();
            slot.writer = self.writer.take();
            slot.holder = None;
        }
        // Every waiter (they register before they look: none misses this), so that one whose
        // worker is free takes it first; those waiting on their threads first of all.
        self.lock.freed_here.notify_all();
        self.lock.freed.notify_waiters();
    }
}

/// A write's connection: its transaction, on this process's SQLite writer or on sqlx.
pub enum TxConn {
    /// PostgreSQL, or an in-memory SQLite database.
    Pool(DatabaseTransaction),
    /// A file SQLite database: the writer's connection, lock held.
    Local(LocalTx),
}

impl TxConn {
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        match self {
            Self::Pool(tx) => tx.commit().await,
            Self::Local(tx) => tx.commit(),
        }
    }
}

/// A transaction on the writer's connection, with the writer's lock.
pub struct LocalTx {
    held: Held,
}

impl LocalTx {
    /// `BEGIN IMMEDIATE` on the writer's connection (opened first if need be). Another process
    /// (or the sqlx pool: a migration, `ANALYZE`) may hold SQLite's write lock: the connection
    /// waits [`reader::WRITER_BUSY_STEP`] at a time on this thread, and between tries this write
    /// waits without holding up its worker, [`reader::WRITER_BUSY`] in all, as the pool's
    /// connections did. (Inside the transaction nothing waits: in WAL mode the holder of the
    /// write lock needs no other.)
    pub(crate) async fn begin(mut held: Held) -> Result<Self, StoreError> {
        let writer = held.writer.as_mut().ok_or_else(|| StoreError::Database(DbErr::Custom("the SQLite writer is not held".into())))?;
        if writer.conn.is_none() {
            let path = writer.path.clone().ok_or_else(|| StoreError::Database(DbErr::Custom("an in-memory database has no local writer".into())))?;
            writer.open(&path).map_err(sqlite_error)?;
        }
        let tx = Self { held };
        let deadline = tokio::time::Instant::now() + reader::WRITER_BUSY;
        loop {
            let begun = tx.connection(|local| match local.conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => Ok(true),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy && tokio::time::Instant::now() < deadline => Ok(false),
                Err(e) => Err(sqlite_error(e)),
            })?;
            if begun {
                return Ok(tx);
            }
            tokio::time::sleep(reader::WRITER_BUSY_STEP).await;
        }
    }

    /// Runs `f` on the connection (uncontended: the lock's holder is its only user).
    fn connection<R>(&self, f: impl FnOnce(&mut Local) -> Result<R, DbErr>) -> Result<R, DbErr> {
        let conn = self.held.writer.as_ref().and_then(|w| w.conn.as_ref()).ok_or_else(|| DbErr::Custom("the SQLite writer's connection is closed".into()))?;
        let mut local = conn.lock().map_err(|_| DbErr::Custom("an earlier write on the SQLite writer's connection panicked".into()))?;
        f(&mut local)
    }

    /// Runs `f` inside this write's transaction. SQLite ends a transaction of its own accord
    /// on some errors (a full disk, an I/O error); the statements after it would then each
    /// commit alone, so they are refused instead, and the write fails whole.
    fn with<R>(&self, f: impl FnOnce(&mut Local) -> Result<R, DbErr>) -> Result<R, DbErr> {
        self.connection(|local| {
            if local.conn.is_autocommit() {
                return Err(DbErr::Custom("SQLite rolled this write back after an error; retry it".into()));
            }
            f(local)
        })
    }

    fn commit(self) -> Result<(), DbErr> {
        // A failed COMMIT leaves the transaction open: dropped, it is rolled back.
        self.with(|local| local.conn.execute_batch("COMMIT").map_err(sqlite_error))?;
        self.held.lock.checkpoint_soon();
        Ok(())
    }

    fn execute(&self, stmt: &Statement) -> Result<ExecResult, DbErr> {
        let parameters = parameters(stmt)?;
        let (rows_affected, last_insert_id) = self.with(|local| {
            let mut prepared = local.conn.prepare_cached(&stmt.sql).map_err(sqlite_error)?;
            for (i, p) in parameters.iter().enumerate() {
                prepared.raw_bind_parameter(i + 1, p).map_err(sqlite_error)?;
            }
            let changed = prepared.raw_execute().map_err(sqlite_error)?;
            Ok((changed as u64, u64::try_from(local.conn.last_insert_rowid()).unwrap_or(0)))
        })?;
        exec_result(rows_affected, last_insert_id)
    }

    fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let rows_affected = self.with(|local| {
            // The rows the statements changed (all of them, as sqlx counts): `changes()` would
            // repeat the last insert's, update's or delete's after a `SAVEPOINT`.
            let before = local.conn.total_changes();
            local.conn.execute_batch(sql).map_err(sqlite_error)?;
            Ok(local.conn.total_changes() - before)
        })?;
        exec_result(rows_affected, 0)
    }

    fn query(&self, stmt: &Statement, first: bool) -> Result<Vec<QueryResult>, DbErr> {
        let parameters = parameters(stmt)?;
        let rows = self.with(|local| reader::run(local, &stmt.sql, &parameters, first, true))?;
        // `run` answers every statement when strict (or errs): `None` does not occur.
        rows.ok_or_else(|| DbErr::Custom(format!("the SQLite writer did not read: {}", stmt.sql)))
    }
}

impl Drop for LocalTx {
    fn drop(&mut self) {
        let Some(writer) = self.held.writer.as_mut() else { return };
        let Some(conn) = writer.conn.as_mut() else { return };
        // Not committed (an error, a panic, a request given up): undone. A connection that is
        // poisoned or cannot roll back is closed; the next write opens another. (Then the
        // writer goes back to its lock: `Held`'s drop.)
        let healthy = conn.get_mut().is_ok_and(|local| local.conn.is_autocommit() || local.conn.execute_batch("ROLLBACK").is_ok());
        if !healthy {
            writer.conn = None;
        }
    }
}

/// A statement's values as sqlx binds them, or an error naming the one not bound here.
fn parameters(stmt: &Statement) -> Result<Vec<SqlValue>, DbErr> {
    let Some(values) = &stmt.values else { return Ok(Vec::new()) };
    values.0.iter().map(|value| reader::parameter(value).ok_or_else(|| DbErr::Custom(format!("the SQLite writer does not bind the value {value:?}")))).collect()
}

/// sea-orm's result of an execution: the one way to make one of a driver it does not know is
/// its mock (as `reader` does for rows).
fn exec_result(rows_affected: u64, last_insert_id: u64) -> Result<ExecResult, DbErr> {
    MockDatabase::new(DbBackend::Sqlite)
        .append_exec_results([MockExecResult { last_insert_id, rows_affected }])
        .execute(0, Statement::from_string(DbBackend::Sqlite, String::new()))
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for TxConn {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Self::Pool(tx) => tx.get_database_backend(),
            Self::Local(_) => DbBackend::Sqlite,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Self::Pool(tx) => tx.execute_raw(stmt).await,
            Self::Local(tx) => tx.execute(&stmt),
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Self::Pool(tx) => tx.execute_unprepared(sql).await,
            Self::Local(tx) => tx.execute_unprepared(sql),
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Self::Pool(tx) => tx.query_one_raw(stmt).await,
            Self::Local(tx) => Ok(tx.query(&stmt, true)?.pop()),
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Pool(tx) => tx.query_all_raw(stmt).await,
            Self::Local(tx) => tx.query(&stmt, false),
        }
    }

    fn support_returning(&self) -> bool {
        match self {
            Self::Pool(tx) => tx.support_returning(),
            // No `RETURNING`: SQLite gives its columns no origin (table and column), by which
            // `reader::run` knows their types; sea-orm then follows an insert or update with a
            // read of the row by its key (on this thread, a few microseconds).
            Self::Local(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(lock: &Arc<WriteLock>, writer: Writer) -> Held {
        Held { writer: Some(writer), lock: lock.clone() }
    }

    #[test]
    fn a_write_waits_on_its_thread_for_a_writer_another_thread_holds_and_frees() {
        let lock = Arc::new(WriteLock::new(Writer::new(None)));
        let first = held(&lock, lock.take_within(Duration::ZERO).expect("a free writer is taken at once"));
        let waiter = {
            let lock = lock.clone();
            std::thread::spawn(move || {
                let start = Instant::now();
                let writer = lock.take_within(Duration::from_secs(60));
                let holder = lock.slot().holder;
                // (Not a speed check: without the release's wake-up it would wait out the minute.)
                (writer.map(|w| held(&lock, w)).is_some(), holder == Some(std::thread::current().id()), start.elapsed() < Duration::from_secs(30))
            })
        };
        // Released once the other thread is (almost surely) waiting: a thread that did not wait
        // would have given up by then.
        std::thread::sleep(Duration::from_millis(200));
        drop(first);
        assert_eq!(waiter.join().expect("the waiting thread"), (true, true, true), "the release wakes the thread waiting for the writer, which takes it");
        assert!(lock.slot().writer.is_some(), "and puts it back");
    }

    /// A database file in WAL mode with a table, removed when dropped.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new() -> Self {
            let path = std::env::temp_dir().join(format!("inclusion-wal-{}.sqlite", uuid::Uuid::new_v4()));
            let conn = rusqlite::Connection::open(&path).expect("a new database file");
            conn.pragma_update(None, "journal_mode", "WAL").expect("WAL");
            conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)").expect("a table");
            Self(path)
        }

        fn connection(&self) -> rusqlite::Connection {
            let conn = rusqlite::Connection::open(&self.0).expect("a connection");
            conn.pragma_update(None, "wal_autocheckpoint", 0).expect("no automatic checkpoint");
            conn
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    fn insert(conn: &rusqlite::Connection, rows: usize) {
        for _ in 0..rows {
            conn.execute("INSERT INTO t (v) VALUES (?1)", [&"x".repeat(500)]).expect("an insert");
        }
    }

    #[test]
    fn the_wal_is_copied_ahead_without_the_lock_as_far_as_reads_allow_and_waiting_for_none() {
        let db = TempDb::new();
        let lock = Arc::new(WriteLock::new(Writer::new(Some(db.0.clone()))));
        let writes = db.connection();
        insert(&writes, 50);
        // A read of this snapshot, under way while more is written.
        let reader = db.connection();
        reader.execute_batch("BEGIN").expect("a read");
        let seen: i64 = reader.query_row("SELECT count(*) FROM t", [], |row| row.get(0)).expect("a count");
        let (read_frames, _) = lock.copy_ahead().expect("copied");
        insert(&writes, 50);
        // Held by a write meanwhile: copying ahead does not need the lock.
        let _held = held(&lock, lock.take().expect("a free writer"));
        let start = Instant::now();
        let (frames, copied) = lock.copy_ahead().expect("copied");
        assert!(read_frames >= 10 && frames > read_frames, "the WAL grew: {read_frames} → {frames} frames");
        assert_eq!(copied, read_frames, "the read's snapshot holds the copy back there");
        // (Not a speed check: a copy that waited for the read would wait until it ended, never.)
        assert!(start.elapsed() < Duration::from_secs(30), "and it did not wait for the read");
        assert_eq!(seen, 50);
        reader.execute_batch("COMMIT").expect("the read ends");
        assert_eq!(lock.copy_ahead().expect("copied"), (frames, frames), "with no read under way, every frame is copied");
        let count: i64 = db.connection().query_row("SELECT count(*) FROM t", [], |row| row.get(0)).expect("a count");
        assert_eq!(count, 100, "what was copied reads as written");

        // In memory there is nothing to copy.
        assert!(Arc::new(WriteLock::new(Writer::new(None))).copy_ahead().is_none());
    }

    #[test]
    fn a_write_never_waits_on_the_thread_of_the_holder_and_waits_no_longer_than_told() {
        let lock = Arc::new(WriteLock::new(Writer::new(None)));
        let _first = held(&lock, lock.take().expect("a free writer"));
        let start = Instant::now();
        assert!(lock.take_within(Duration::from_secs(60)).is_none());
        // (Not a speed check: waiting here would wait out the minute, and the holder, on this
        // same thread, could never free the writer meanwhile.)
        assert!(start.elapsed() < Duration::from_secs(30), "it did not wait for its own thread");
        let other = {
            let lock = lock.clone();
            std::thread::spawn(move || lock.take_within(Duration::from_millis(20)).is_none())
        };
        assert!(other.join().expect("the other thread"), "a writer held past the wait is not taken on the thread");
    }
}
