//! The connection pool, migrations, and the start of a write.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use crate::StoreError;
use crate::local_write::{LocalTx, TxConn, WriteLock, Writer};
use crate::reader::{Reader, SqliteReader};
use crate::write::{Actor, WriteTx};

/// The sqlx pool's size on an SQLite file: one connection, for the migrations, the readiness
/// check and the rare read the reader hands over (writes run on the process's own connection:
/// `local_write`). Each connection keeps its own page cache (up to 2 MB): with eight, the pool
/// held ~5 MB more in the soak of `make bench` for no gain (issue 11).
const SQLITE_POOL: u32 = 1;

/// How long a PostgreSQL connection may sit idle in the pool before it is pinged on its next use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// The database behind the API.
#[derive(Clone)]
pub struct Store {
    /// How the pool was made (PostgreSQL only): [`Store::for_worker`] makes each HTTP worker's
    /// own pool with the same options.
    pg_options: Option<ConnectOptions>,
    /// The sqlx pool (`reader.pool()`: writes, migrations) and, on SQLite files, reads on the
    /// calling thread (`reader`'s docs).
    reader: Reader,
    /// SQLite allows one writer at a time; a transaction that reads and then writes fails
    /// with `SQLITE_BUSY` instead of waiting when another writer got there first. Writes are
    /// therefore queued here, in the process, before they touch the database, and on a file
    /// the lock's holder writes on the process's own connection (`local_write`). PostgreSQL
    /// needs no such queue.
    sqlite_writer: Option<Arc<WriteLock>>,
}

impl Store {
    /// Connects to `url` (`sqlite://…?mode=rwc`, `sqlite::memory:` or `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let sqlite_url = url.starts_with("sqlite:");
        // An in-memory SQLite database exists once per connection: keep exactly one. An SQLite
        // file is read on the reader's own connections (`max_connections` of them kept) and
        // written on the writer's (`local_write`); the pool serves the rest.
        let pool_size = if in_memory {
            1
        } else if sqlite_url {
            SQLITE_POOL
        } else {
            max_connections
        };
        options.sqlx_logging(false).acquire_timeout(Duration::from_secs(10)).max_connections(pool_size).min_connections(1);
        if sqlite_url {
            // A connection to a file on this machine does not go stale as a network one may:
            // no ping before each use (on SQLite a round trip to the connection's thread).
            options.test_before_acquire(false);
        } else {
            // A ping before every use was a second round trip for each statement. A connection
            // in use is alive; one idle for a while may have been dropped by the server, a
            // proxy or a firewall, and is pinged (and replaced if dead) before it is handed out.
            // The price: right after a restart of PostgreSQL, each connection used within the
            // last 5 s fails its next statement once (an error answer) before it is replaced.
            options.test_before_acquire_if_idle_for(PING_AFTER_IDLE);
        }
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Savepoints (a bulk import's batches) journal the pages they change in a
                // statement journal: kept in memory, not in a temporary file.
                .pragma("temp_store", "memory")
                .create_if_missing(true)
        });
        let pg_options = (!sqlite_url).then(|| options.clone());
        let db = Database::connect(options).await.map_err(StoreError::Database)?;
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        let file = if sqlite && !in_memory {
            let options =
                SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string()))))?;
            Some(options.get_filename().to_owned())
        } else {
            None
        };
        let local = file.as_deref().map(|path| SqliteReader::new(path, max_connections as usize));
        let sqlite_writer = sqlite.then(|| Arc::new(WriteLock::new(Writer::new(file))));
        let reader = Reader::new(db, local);
        Ok(Self { pg_options, reader, sqlite_writer })
    }

    /// The store one HTTP worker serves its requests with: on PostgreSQL a pool of its own, of
    /// at most `connections`, each opened on first use on the worker's own thread (the caller's,
    /// which must be inside the worker's runtime); elsewhere this store itself.
    ///
    /// Why (issue 11): a connection's socket is registered with the runtime it was opened on,
    /// and readiness on it is delivered by that runtime. With one pool for every worker, a
    /// statement's answer on a connection opened at start (on the main runtime, by the
    /// migrations) woke a thread of the main runtime first, which woke the worker, and one
    /// opened by the other worker waited for that worker to poll its events between its own
    /// requests: on the 2-core machine, with PostgreSQL's backends and the load generator on the
    /// same cores, the two workers sat idle a quarter of the time (vmstat) while the main runtime's
    /// threads switched in and out ~2,400 times a second. Each worker's own connections are
    /// polled by the worker itself. The store's own pool (`Store::connect`) stays for the work
    /// outside requests: migrations, jobs, webhook deliveries.
    pub fn for_worker(&self, connections: u32) -> Result<Self, StoreError> {
        let Some(options) = &self.pg_options else { return Ok(self.clone()) };
        let mut options = options.clone();
        options.max_connections(connections.max(1)).min_connections(0).connect_lazy(true);
        // A lazy connect opens nothing and never waits: its future is ready at its first poll.
        let mut connect = std::pin::pin!(Database::connect(options));
        let db = match connect.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(db) => db.map_err(StoreError::Database)?,
            std::task::Poll::Pending => {
                return Err(StoreError::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal("a lazy PostgreSQL pool waited to be made".into()))));
            }
        };
        Ok(Self { pg_options: None, reader: Reader::new(db, None), sqlite_writer: None })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(self.reader.pool(), None).await.map_err(StoreError::Database)
    }

    /// Deletes idempotency records older than a day (run at start).
    pub async fn purge_idempotency_keys(&self) -> Result<u64, StoreError> {
        use crate::entities::idempotency_key as ik;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let cutoff = chrono::Utc::now() - chrono::Duration::hours(crate::write::IDEMPOTENCY_HOURS);
        Ok(ik::Entity::delete_many().filter(ik::Column::CreatedAt.lt(cutoff)).exec(self.reader.pool()).await?.rows_affected)
    }

    /// WAL checkpoints run off the request threads by the SQLite writer's checkpointer (always
    /// 0 on PostgreSQL and in memory).
    pub fn sqlite_checkpoints(&self) -> u64 {
        self.sqlite_writer.as_ref().map_or(0, |w| w.checkpoints())
    }

    /// The connection for reads (outside a write's transaction).
    pub fn conn(&self) -> &Reader {
        &self.reader
    }

    pub fn backend(&self) -> DbBackend {
        self.reader.pool().get_database_backend()
    }

    /// Checks that the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.reader.pool().execute_unprepared("SELECT 1").await.map(|_| ()).map_err(StoreError::Database)
    }

    /// Starts a write: one transaction for the change, its audit entry and idempotency record.
    /// Starts a write of the server's own (a background job), audited as `system`.
    pub async fn begin_system(&self) -> Result<WriteTx, StoreError> {
        self.begin(Actor { subject: "system".into(), role: "system".into(), request_id: String::new() }).await
    }

    pub async fn begin(&self, actor: Actor) -> Result<WriteTx, StoreError> {
        let guard = match &self.sqlite_writer {
            Some(lock) => Some(lock.acquire().await),
            None => None,
        };
        let guard = match guard {
            Some(writer) if writer.is_local() => return Ok(WriteTx::new(TxConn::Local(LocalTx::begin(writer).await?), None, actor)),
            other => other,
        };
        // `BEGIN IMMEDIATE` on SQLite: the write lock is taken at the start, waiting out the
        // busy timeout, instead of being upgraded at the first write, where SQLite answers
        // `database is locked` at once when another connection holds a lock briefly (a new
        // pool connection setting its pragmas, a checkpoint).
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: self.sqlite_writer.is_some().then_some(SqliteTransactionMode::Immediate),
        };
        let tx = self.reader.pool().begin_with_options(options).await.map_err(StoreError::Database)?;
        Ok(WriteTx::new(TxConn::Pool(tx), guard, actor))
    }

    pub async fn close(self) {
        if let Some(writer) = &self.sqlite_writer {
            writer.close().await;
        }
        self.reader.close().await;
    }
}
