//! Webhook subscriptions and their outbox. Deliveries are entered by [`enqueue`] inside the
//! transaction of the change they announce ([`crate::WriteTx::commit`]); the dispatcher claims
//! the due ones with a lease ([`claim_due`]) so that each is sent by one instance at a time,
//! and one that stopped mid-send is taken over when its lease runs out.

use crate::Conn;
use chrono::Utc;
use domain::registry::{Meta, Record};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set, Statement};
use uuid::Uuid;

use crate::convert::{meta, now, update_guarded};
use crate::entities::{change, webhook as wh, webhook_delivery as wd};
use crate::page::{self, SortField, SortKind, field};
use crate::{Page, PageRequest, StoreError, WriteTx};

/// A subscription (its secret is read apart, by the dispatcher only).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookData {
    pub url: String,
    pub event_types: Vec<String>,
    /// The token subject that subscribed, and its role.
    pub owner: String,
    pub owner_role: String,
}

pub type Webhook = Record<WebhookData>;

pub type Delivery = wd::Model;

pub const SORT: &[SortField<wh::Column>] = &[field("created_at", wh::Column::CreatedAt, SortKind::Timestamp)];
pub const DELIVERY_SORT: &[SortField<wd::Column>] = &[field("created_at", wd::Column::CreatedAt, SortKind::Timestamp)];

/// Delivery states.
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

fn record(m: wh::Model) -> Result<Webhook, StoreError> {
    let event_types = serde_json::from_value(m.event_types.clone()).map_err(|e| StoreError::Database(sea_orm::DbErr::Json(e.to_string())))?;
    Ok(Record { meta: meta!(m), data: WebhookData { url: m.url, event_types, owner: m.owner, owner_role: m.owner_role } })
}

pub async fn get(conn: &impl Conn, id: Uuid) -> Result<Webhook, StoreError> {
    crate::page::by_id::<wh::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound).and_then(record)
}

/// Subscriptions, all or one owner's, oldest first.
pub async fn list(conn: &impl Conn, owner: Option<&str>, include_archived: bool, req: &PageRequest) -> Result<Page<Webhook>, StoreError> {
    let mut select = wh::Entity::find();
    if let Some(owner) = owner {
        select = select.filter(wh::Column::Owner.eq(owner));
    }
    if !include_archived {
        select = select.filter(wh::Column::ArchivedAt.is_null());
    }
    let page = page::fetch(conn, select, SORT, "created_at", wh::Column::Id, req).await?;
    let items = page.items.into_iter().map(record).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor, total: page.total })
}

pub async fn create(tx: &WriteTx, data: WebhookData, secret: &str) -> Result<Webhook, StoreError> {
    let at = now();
    let id = Uuid::now_v7();
    wh::ActiveModel {
        id: Set(id),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        archived_at: Set(None),
        url: Set(data.url),
        event_types: Set(serde_json::json!(data.event_types)),
        secret: Set(secret.to_owned()),
        owner: Set(data.owner),
        owner_role: Set(data.owner_role),
    }
    .insert(tx.conn())
    .await?;
    get(tx.conn(), id).await
}

/// Ends a subscription: no more deliveries are entered for it (those pending still go).
pub async fn archive(tx: &WriteTx, current: &Webhook) -> Result<Webhook, StoreError> {
    let m: &Meta = &current.meta;
    let at = now();
    let changes = wh::ActiveModel { version: Set(m.version + 1), updated_at: Set(at), archived_at: Set(Some(at)), ..Default::default() };
    update_guarded(tx.conn(), changes, wh::Column::Id.eq(m.id).and(wh::Column::Version.eq(m.version))).await?;
    get(tx.conn(), m.id).await
}

/// The active subscriptions, which [`enqueue`] enters deliveries for.
pub(crate) async fn active(conn: &impl Conn) -> Result<Vec<Webhook>, StoreError> {
    crate::page::models(conn, wh::Entity::find().filter(wh::Column::ArchivedAt.is_null())).await?.into_iter().map(record).collect()
}

/// Enters a delivery for every one of `hooks` (the active subscriptions) that receives one of
/// `changes` (called at commit, with their positions assigned, a chunk of changes at a time).
pub(crate) async fn enqueue(conn: &impl Conn, hooks: &[Webhook], changes: &[change::Model]) -> Result<(), StoreError> {
    if hooks.is_empty() {
        return Ok(());
    }
    let at = now();
    let mut rows = Vec::new();
    // Subscriptions and their deliveries are not announced (no echo of the webhooks' own log).
    for c in changes.iter().filter(|c| !c.resource_type.starts_with("webhook")) {
        let event = domain::webhook::event_type(&c.resource_type, &c.action);
        let payload = serde_json::json!({
            "type": event,
            "timestamp": c.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": {
                "position": c.position, "resource": c.resource_type, "id": c.resource_id, "action": c.action,
                "version": c.version, "partnership_id": c.partnership_id,
            },
        })
        .to_string();
        for hook in hooks.iter().filter(|h| domain::webhook::subscribed(&h.data.event_types, &event)) {
            rows.push(wd::ActiveModel {
                id: Set(Uuid::now_v7()),
                webhook_id: Set(hook.meta.id),
                change_position: Set(c.position),
                resource_id: Set(c.resource_id),
                event_type: Set(event.clone()),
                payload: Set(payload.clone()),
                status: Set(PENDING.to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(at.timestamp_millis()),
                claimed_until: Set(None),
                last_status: Set(None),
                last_error: Set(None),
                delivered_at: Set(None),
                created_at: Set(at),
            });
        }
    }
    // Up to a chunk of changes times the subscriptions (14 values a row).
    crate::convert::insert_in_chunks(conn, rows, 1000).await
}

/// A subscription's deliveries, oldest first.
pub async fn deliveries(conn: &impl Conn, webhook_id: Uuid, req: &PageRequest) -> Result<Page<Delivery>, StoreError> {
    page::fetch(conn, wd::Entity::find().filter(wd::Column::WebhookId.eq(webhook_id)), DELIVERY_SORT, "created_at", wd::Column::Id, req).await
}

pub async fn get_delivery(conn: &impl Conn, id: Uuid) -> Result<Delivery, StoreError> {
    crate::page::by_id::<wd::Entity, _>(conn, id).await?.ok_or(StoreError::NotFound)
}

/// Sends a delivery again (delivered or failed): it is pending and due now.
pub async fn redeliver(tx: &WriteTx, delivery: &Delivery) -> Result<Delivery, StoreError> {
    wd::ActiveModel {
        id: Set(delivery.id),
        status: Set(PENDING.to_owned()),
        next_attempt_at: Set(Utc::now().timestamp_millis()),
        claimed_until: Set(None),
        ..Default::default()
    }
    .update(tx.conn())
    .await?;
    get_delivery(tx.conn(), delivery.id).await
}

/// A delivery claimed for sending, with where it goes and the key it is signed with.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// Claims up to `limit` due deliveries for `lease_ms`: pending, due, not leased by another
/// instance, and the first pending one of their subscription and resource (so that a
/// receiver gets a resource's events in order). On PostgreSQL rows another instance is
/// claiming are skipped (`FOR UPDATE SKIP LOCKED`); SQLite writes one at a time.
pub async fn claim_due(store: &crate::Store, now_ms: i64, lease_ms: i64, limit: u64) -> Result<Vec<Claimed>, StoreError> {
    let conn = store.conn();
    // A read first, so that an idle outbox costs no write transaction (SQLite has one writer).
    let due = wd::Entity::find().filter(wd::Column::Status.eq(PENDING)).filter(wd::Column::NextAttemptAt.lte(now_ms)).one(conn).await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let (p, lock) = match backend {
        DbBackend::Postgres => (["$1", "$2"], " FOR UPDATE SKIP LOCKED"),
        _ => (["?", "?"], ""),
    };
    // The due rows, then their lease, in one transaction (on PostgreSQL the rows stay locked
    // until it commits). Not one `UPDATE … RETURNING`: SQLite gives a returned column no origin,
    // by which its type is known on the process's own connection (`local_write`).
    let sql = format!(
        "SELECT d.id FROM webhook_deliveries d \
         WHERE d.status = 'pending' AND d.next_attempt_at <= {now} AND (d.claimed_until IS NULL OR d.claimed_until < {now2}) \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id AND e.resource_id = d.resource_id \
                           AND e.status = 'pending' AND e.change_position < d.change_position) \
         ORDER BY d.change_position LIMIT {limit}{lock}",
        now = p[0],
        now2 = p[1],
    );
    let tx = store.begin_system().await?;
    let rows = tx.conn().query_all_raw(Statement::from_sql_and_values(backend, sql, [now_ms.into(), now_ms.into()])).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.try_get::<Uuid>("", "id")).collect::<Result<_, _>>()?;
    if !ids.is_empty() {
        wd::Entity::update_many()
            .col_expr(wd::Column::ClaimedUntil, sea_orm::sea_query::Expr::value(now_ms + lease_ms))
            .filter(wd::Column::Id.is_in(ids.clone()))
            .exec(tx.conn())
            .await?;
    }
    let mut claimed = Vec::new();
    for id in ids {
        let delivery = get_delivery(tx.conn(), id).await?;
        let hook = wh::Entity::find_by_id(delivery.webhook_id).one(tx.conn()).await?.ok_or(StoreError::NotFound)?;
        claimed.push(Claimed { delivery, url: hook.url, secret: hook.secret });
    }
    tx.commit().await?;
    Ok(claimed)
}

/// What one attempt to send a delivery came to.
#[derive(Debug, Clone)]
pub enum Attempt {
    Delivered {
        status: u16,
    },
    /// Failed; try again at `retry_at_ms`, or give up (`None`).
    Failed {
        status: Option<u16>,
        error: String,
        retry_at_ms: Option<i64>,
    },
}

/// Records an attempt and releases the lease.
pub async fn record_attempt(store: &crate::Store, delivery: &Delivery, attempt: Attempt) -> Result<(), StoreError> {
    let tx = store.begin_system().await?;
    let mut row = wd::ActiveModel { id: Set(delivery.id), attempts: Set(delivery.attempts + 1), claimed_until: Set(None), ..Default::default() };
    match attempt {
        Attempt::Delivered { status } => {
            row.status = Set(DELIVERED.to_owned());
            row.last_status = Set(Some(i32::from(status)));
            row.last_error = Set(None);
            row.delivered_at = Set(Some(Utc::now()));
        }
        Attempt::Failed { status, error, retry_at_ms } => {
            row.status = Set(if retry_at_ms.is_some() { PENDING } else { FAILED }.to_owned());
            row.last_status = Set(status.map(i32::from));
            row.last_error = Set(Some(error));
            if let Some(at) = retry_at_ms {
                row.next_attempt_at = Set(at);
            }
        }
    }
    row.update(tx.conn()).await?;
    tx.commit().await
}
