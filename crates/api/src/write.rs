//! The write protocol, once for every use case: the transaction, the `Idempotency-Key` (a
//! retry gets the first answer, only after the use case authorized it), the audit entry with
//! the resource before and after as the API shows it, the commit, and the answer (`201` with
//! `Location` and `ETag`, `200` with `ETag`, `204`).
//!
//! A handler names its resource's wire view (a [`Resource`]) and runs one use case of the
//! `service` crate inside one of [`create`], [`act`], [`update`], [`archive`] or [`delete`].

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use domain::access::Principal;
use domain::registry::Record;
use persistence::{Actor, StoredResponse, WriteTx};
use serde::Serialize;
use service::{Retry, Session, Updated};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::context;
use crate::error::{ApiError, ApiResult};
use crate::http::{AppState, IdempotencyKey};

/// A resource as the API shows it: the view of a stored record.
pub trait Resource: Serialize + Sized {
    type Data;
    /// Its name in the audit trail (`membership`).
    const NAME: &'static str;
    /// Where one is found: `{COLLECTION}/{id}` (the `Location` of a created one).
    const COLLECTION: &'static str;
    fn of(record: &Record<Self::Data>) -> Self;
}

/// A resource's answer where its view needs more than its record (a measure's monitoring
/// state) or it is found elsewhere than `{COLLECTION}/{id}`.
pub struct Shown<V> {
    pub id: Uuid,
    pub version: i32,
    /// The `Location` of a created one.
    pub location: String,
    pub view: V,
}

impl<V: Resource> Shown<V> {
    pub fn of(record: &Record<V::Data>) -> Self {
        Self { id: record.meta.id, version: record.meta.version, location: format!("{}/{}", V::COLLECTION, record.meta.id), view: V::of(record) }
    }
}

/// `POST` of a new resource shown by the use case's closure: 201 with `Location`, `ETag`.
pub async fn create_shown<V: Serialize>(
    state: &AppState,
    who: &Principal,
    key: IdempotencyKey,
    request: &impl Serialize,
    name: &str,
    run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Shown<V>>,
) -> ApiResult {
    let unit = Unit::open(state, who, key, Some(request)).await?;
    match unit.perform(who, run).await? {
        Ran::Done(created) => unit.created(name, created.id, created.version, created.location, &created.view).await,
        Ran::Replayed(response) => Ok(response),
    }
}

/// `PATCH` of a resource shown by the use case's closure: 200 with `ETag` and the body.
pub async fn update_shown<V: Serialize>(
    state: &AppState,
    who: &Principal,
    name: &str,
    run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Updated<Shown<V>>>,
) -> ApiResult {
    let unit = Unit::open(state, who, IdempotencyKey(None), None::<&()>).await?;
    match unit.perform(who, run).await? {
        Ran::Done(change) => unit.changed("update", name, change.before.id, change.after.version, &change.before.view, &change.after.view).await,
        Ran::Replayed(response) => Ok(response),
    }
}

/// `GET` of one resource: 200 with the body and its ETag.
pub fn read<V: Resource>(found: service::Result<Record<V::Data>>) -> ApiResult {
    let found = found?;
    Ok(crate::http::ok_versioned(found.meta.version, &V::of(&found)))
}

/// `POST` of a new resource: 201 with `Location`, `ETag` and the body.
pub async fn create<V: Resource>(
    state: &AppState,
    who: &Principal,
    key: IdempotencyKey,
    request: &impl Serialize,
    run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Record<V::Data>>,
) -> ApiResult {
    create_shown(state, who, key, request, V::NAME, async |s| run(s).await.map(|r| Shown::<V>::of(&r))).await
}

/// `POST` of an action on a resource (a lifecycle step): 200 with `ETag` and the body.
pub async fn act<V: Resource>(
    state: &AppState,
    who: &Principal,
    key: IdempotencyKey,
    action: &str,
    request: &impl Serialize,
    run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Updated<Record<V::Data>>>,
) -> ApiResult {
    let unit = Unit::open(state, who, key, Some(request)).await?;
    match unit.perform(who, run).await? {
        Ran::Done(change) => {
            unit.changed(action, V::NAME, change.before.meta.id, change.after.meta.version, &V::of(&change.before), &V::of(&change.after)).await
        }
        Ran::Replayed(response) => Ok(response),
    }
}

/// `PATCH`: 200 with `ETag` and the body.
pub async fn update<V: Resource>(
    state: &AppState,
    who: &Principal,
    run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Updated<Record<V::Data>>>,
) -> ApiResult {
    let unit = Unit::open(state, who, IdempotencyKey(None), None::<&()>).await?;
    match unit.perform(who, run).await? {
        Ran::Done(change) => {
            unit.changed("update", V::NAME, change.before.meta.id, change.after.meta.version, &V::of(&change.before), &V::of(&change.after)).await
        }
        Ran::Replayed(response) => Ok(response),
    }
}

/// `DELETE` of a kept resource (archived, listed with `include_archived=true`): 204.
pub async fn archive<V: Resource>(
    state: &AppState,
    who: &Principal,
    run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Updated<Record<V::Data>>>,
) -> ApiResult {
    let unit = Unit::open(state, who, IdempotencyKey(None), None::<&()>).await?;
    match unit.perform(who, run).await? {
        Ran::Done(change) => unit.archived(V::NAME, change.before.meta.id, &V::of(&change.before), &V::of(&change.after)).await,
        Ran::Replayed(response) => Ok(response),
    }
}

/// `DELETE` of draft content (removed; the audit trail keeps it): 204.
pub async fn delete<V: Resource>(state: &AppState, who: &Principal, run: impl AsyncFnOnce(&Session<'_>) -> service::Result<Record<V::Data>>) -> ApiResult {
    let unit = Unit::open(state, who, IdempotencyKey(None), None::<&()>).await?;
    match unit.perform(who, run).await? {
        Ran::Done(before) => unit.deleted(V::NAME, before.meta.id, &V::of(&before)).await,
        Ran::Replayed(response) => Ok(response),
    }
}

/// What running a use case in a unit gave: its result, or the stored answer to a retry.
pub enum Ran<T> {
    Done(T),
    Replayed(HttpResponse),
}

/// A write in progress: one transaction for the change, its audit entry and, for a POST
/// with an `Idempotency-Key`, the stored response.
pub struct Unit {
    tx: WriteTx,
    idempotency: Option<Retry>,
}

fn actor(who: &Principal) -> Actor {
    Actor { subject: who.subject.clone(), role: who.role.as_str().to_owned(), request_id: context::request_id() }
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Internal(Box::new(e))
}

impl Unit {
    /// Starts a write. With an `Idempotency-Key` (a POST), the request is hashed (path, the
    /// caller's scope and body) so that a retry can be recognised once it is authorized.
    pub async fn open(state: &AppState, who: &Principal, key: IdempotencyKey, request: Option<&impl Serialize>) -> ApiResult<Self> {
        let tx = state.store.begin(actor(who)).await?;
        let idempotency = match (key.0, request) {
            (Some(key), Some(body)) => Some(Retry { key, request_hash: request_hash(who, body)? }),
            _ => None,
        };
        Ok(Self { tx, idempotency })
    }

    /// Runs a use case in this unit's transaction. A use case that never asked the access
    /// policy is a fault, and nothing it did is committed.
    pub async fn perform<T>(&self, who: &Principal, run: impl AsyncFnOnce(&Session<'_>) -> service::Result<T>) -> ApiResult<Ran<T>> {
        self.perform_driven(who, run, true).await
    }

    /// [`Unit::perform`] for a use case that waits on something outside the database (a
    /// webhook subscription resolves its URL's host): awaited, never [`drive`]n, so that its
    /// worker serves other requests while it waits.
    pub async fn perform_awaited<T>(&self, who: &Principal, run: impl AsyncFnOnce(&Session<'_>) -> service::Result<T>) -> ApiResult<Ran<T>> {
        self.perform_driven(who, run, false).await
    }

    async fn perform_driven<T>(&self, who: &Principal, run: impl AsyncFnOnce(&Session<'_>) -> service::Result<T>, driven: bool) -> ApiResult<Ran<T>> {
        let session = Session::new(&self.tx, who, self.idempotency.clone());
        match drive(driven && self.tx.holds_sqlite_lock(), run(&session)).await {
            Ok(value) if session.was_authorized() => Ok(Ran::Done(value)),
            Ok(_) => Err(ApiError::Internal("a use case wrote without asking the access policy".into())),
            Err(service::Error::Replayed(stored)) => Ok(Ran::Replayed(replay(stored))),
            Err(e) => Err(e.into()),
        }
    }

    pub fn tx(&self) -> &WriteTx {
        &self.tx
    }

    async fn finish(self, response: StoredResponse, version: Option<i32>) -> ApiResult {
        let Self { tx, idempotency } = self;
        let store = async {
            if let Some(retry) = &idempotency {
                tx.remember(&retry.key, &retry.request_hash, &response).await?;
            }
            Ok::<_, persistence::StoreError>(())
        };
        drive(tx.holds_sqlite_lock(), store).await?;
        commit(tx).await?;
        let mut builder = HttpResponse::build(StatusCode::from_u16(response.status).map_err(internal)?);
        if let Some(location) = &response.location {
            builder.insert_header((header::LOCATION, location.as_str()));
        }
        if let Some(version) = version {
            builder.insert_header((header::ETAG, format!("\"{version}\"")));
        }
        Ok(builder.content_type("application/json").body(response.body))
    }

    /// Audits a creation, commits, and answers 201 with `Location` and the body.
    pub async fn created<T: Serialize>(self, resource: &str, id: Uuid, version: i32, location: String, view: &T) -> ApiResult {
        self.created_answering(resource, id, version, location, view, view).await
    }

    /// [`Unit::created`] where the answer shows more than the audit trail may keep (a
    /// webhook's secret, shown to its subscriber once).
    pub async fn created_answering<A: Serialize, T: Serialize>(
        self,
        resource: &str,
        id: Uuid,
        version: i32,
        location: String,
        audited: &A,
        answer: &T,
    ) -> ApiResult {
        let after = serde_json::to_value(audited).map_err(internal)?;
        self.tx.audit("create", resource, id, None, Some(after)).await?;
        let body = serde_json::to_string(answer).map_err(internal)?;
        self.finish(StoredResponse { status: 201, location: Some(location), body }, Some(version)).await
    }

    /// Audits a change (`update`, an action name, `archive`), commits, answers 200 + ETag.
    pub async fn changed<T: Serialize>(self, action: &str, resource: &str, id: Uuid, version: i32, before: &T, after: &T) -> ApiResult {
        let before = serde_json::to_value(before).map_err(internal)?;
        let after = serde_json::to_value(after).map_err(internal)?;
        self.tx.audit(action, resource, id, Some(before), Some(after.clone())).await?;
        self.finish(StoredResponse { status: 200, location: None, body: after.to_string() }, Some(version)).await
    }

    /// [`Unit::changed`] for something without versions (a webhook delivery): no ETag.
    pub async fn changed_unversioned<T: Serialize>(self, action: &str, resource: &str, id: Uuid, before: &T, after: &T) -> ApiResult {
        let before = serde_json::to_value(before).map_err(internal)?;
        let after = serde_json::to_value(after).map_err(internal)?;
        self.tx.audit(action, resource, id, Some(before), Some(after.clone())).await?;
        self.finish(StoredResponse { status: 200, location: None, body: after.to_string() }, None).await
    }

    /// Audits a deletion (of draft content) and commits; answers 204.
    pub async fn deleted<T: Serialize>(self, resource: &str, id: Uuid, before: &T) -> ApiResult {
        let before = serde_json::to_value(before).map_err(internal)?;
        self.tx.audit("delete", resource, id, Some(before), None).await?;
        commit(self.tx).await?;
        Ok(HttpResponse::NoContent().finish())
    }

    /// Audits an archive and commits; answers 204.
    pub async fn archived<T: Serialize>(self, resource: &str, id: Uuid, before: &T, after: &T) -> ApiResult {
        let before = serde_json::to_value(before).map_err(internal)?;
        let after = serde_json::to_value(after).map_err(internal)?;
        self.tx.audit("archive", resource, id, Some(before), Some(after)).await?;
        commit(self.tx).await?;
        Ok(HttpResponse::NoContent().finish())
    }
}

/// Commits `tx`, [`drive`]n as its use case was.
async fn commit(tx: WriteTx) -> Result<(), persistence::StoreError> {
    drive(tx.holds_sqlite_lock(), tx.commit()).await
}

/// Runs a step of a write (the use case, the commit) to its end before this thread does
/// anything else where `in_place` (the write holds SQLite's write lock: [`WriteTx::holds_sqlite_lock`]);
/// else (PostgreSQL) awaits it.
///
/// Why: an actix worker runs many requests on one thread, and SQLite reads run on it
/// synchronously (`persistence::reader`). A write that awaited its statements was polled again
/// only after the reads queued on its worker ran, while it held the one write lock that every
/// other write waits for: in the mixed soak of `make bench` writes passed the lock at 193/s
/// (5.2 ms each; 651/s, 1.5 ms, with writes alone), and every connection ended up queued
/// behind them (issue 11). On a file database a write's statements now run on this thread
/// (`persistence::local_write`) and its futures never wait; on an in-memory database (tests,
/// `--demo` without a file) they are messages to sqlx-sqlite's thread, and run to their end
/// here the worker waits for them as it waits for a read.
///
/// It cannot deadlock: the lock and the write's transaction are taken before, awaited where
/// they wait ([`Unit::open`]: the lock; another process's write lock between tries of
/// `BEGIN`); inside, the use case reaches the database only through the write's own
/// transaction (a [`Session`] gives it nothing else), whose statements run on this thread or
/// are answered by sqlx-sqlite's connection thread without this runtime (sqlx-sqlite 0.9 uses
/// no runtime at all, sea-orm 2.0's transaction a runtime-free mutex: look again when
/// upgrading either). A use case that awaits anything else is [`Unit::perform_awaited`].
/// PostgreSQL's driver needs this runtime's I/O, so its writes are awaited as before.
async fn drive<F: std::future::Future>(in_place: bool, step: F) -> F::Output {
    if in_place { futures_executor::block_on(step) } else { step.await }
}

/// The hash a retry must match: the path, the caller's scope (a token with other rights that
/// reuses a subject and key gets a 422, never another scope's stored answer) and the body.
fn request_hash(who: &Principal, body: &impl Serialize) -> ApiResult<String> {
    let mut hasher = Sha256::new();
    hasher.update(context::request_path().unwrap_or_default().as_bytes());
    hasher.update([0]);
    hasher.update(format!("{}|{:?}|{:?}", who.role.as_str(), who.partnerships, who.organization_id).as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(body).map_err(internal)?);
    Ok(format!("{:x}", hasher.finalize()))
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    builder.insert_header(("Idempotency-Replayed", HeaderValue::from_static("true")));
    if let Some(location) = &stored.location {
        builder.insert_header((header::LOCATION, location.as_str()));
    }
    if let Some(version) = serde_json::from_str::<serde_json::Value>(&stored.body).ok().and_then(|v| v.get("version").and_then(serde_json::Value::as_i64)) {
        builder.insert_header((header::ETAG, format!("\"{version}\"")));
    }
    builder.content_type("application/json").body(stored.body)
}
