//! `/webhooks`: subscriptions of integrations (admins, reporters, importers; each to its own)
//! to the changes of the feed, delivered by the Standard Webhooks 1.0 specification, with
//! their delivery log and redelivery. Deliveries carry the change (resource, id, action,
//! version, position), never a record's content: a receiver reads what it needs through the API.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, TimeZone, Utc};
use domain::registry::Record;
use persistence::webhooks::{Delivery, WebhookData};
use serde::{Deserialize, Serialize};
use service::webhooks::{self, Subscription};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::MetaView;
use crate::auth::Auth;
use crate::error::{ApiResult, ListErrors, ReadErrors, WriteErrors};
use crate::http::JsonBody as _;
use crate::http::{AppState, IdempotencyKey, ListResponse, page_query};
use crate::routes::shapes::get_one;
use crate::write::{self, Ran, Resource, Unit};

/// A subscription to send.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries go: `https` to a public address, or a host the operator allowed
    /// (`INCLUSION_WEBHOOK_ALLOWED_HOSTS`).
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "https://integrace.example.cz/inclusion/webhooks")]
    pub url: String,
    /// Event types `{resource}.{action}` (`project.submit`, `strategic_plan.approve_by_assembly`,
    /// `progress_report.create`), `{resource}.*`, or `*` for every change.
    #[schema(min_items = 1, max_items = 50, example = json!(["strategic_plan.*", "progress_report.create"]))]
    pub event_types: Vec<String>,
    /// The signing secret, `whsec_` + base64 of 24–64 bytes; generated when absent.
    #[serde(default)]
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$")]
    pub secret: Option<String>,
}

/// A subscription.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    #[serde(flatten)]
    pub meta: MetaView,
    pub url: String,
    pub event_types: Vec<String>,
    /// The token subject that subscribed.
    pub owner: String,
}

impl Resource for WebhookView {
    type Data = WebhookData;
    const NAME: &'static str = "webhook";
    const COLLECTION: &'static str = "/api/v1/webhooks";
    fn of(r: &Record<WebhookData>) -> Self {
        Self { meta: (&r.meta).into(), url: r.data.url.clone(), event_types: r.data.event_types.clone(), owner: r.data.owner.clone() }
    }
}

/// A new subscription, with its secret (shown this once; keep it to verify signatures).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: WebhookView,
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// One delivery of one change to one subscription.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Also the `webhook-id` header it is sent with (the same on every attempt).
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_type: String,
    /// The change's position in the feed.
    pub position: i64,
    pub resource_id: Uuid,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due (pending ones).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        let status = match d.status.as_str() {
            persistence::webhooks::DELIVERED => DeliveryStatus::Delivered,
            persistence::webhooks::FAILED => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        };
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            event_type: d.event_type,
            position: d.change_position,
            resource_id: d.resource_id,
            status,
            attempts: d.attempts,
            next_attempt_at: matches!(status, DeliveryStatus::Pending).then(|| Utc.timestamp_millis_opt(d.next_attempt_at).single()).flatten(),
            last_status: d.last_status,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

page_query! {
    /// Paging of the caller's subscriptions.
    WebhookQuery {
        include_archived: Option<bool>,
    }
}

/// Subscribe to changes. The answer holds the signing secret, this once.
#[utoipa::path(operation_id = "create_webhook", tag = "webhooks", request_body = WebhookInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 201, description = "Subscribed", body = WebhookCreated, headers(("Location" = String, description = "URL of the subscription"))), WriteErrors))]
#[post("/webhooks")]
pub async fn create(state: web::Data<AppState>, Auth(who): Auth, key: IdempotencyKey, body: web::Json<WebhookInput>) -> ApiResult {
    let input = body.into_inner();
    input.validate()?;
    let subscription = Subscription { url: input.url.clone(), event_types: input.event_types.clone(), secret: input.secret.clone() };
    let unit = Unit::open(&state, &who, key, Some(&input)).await?;
    match unit.perform_awaited(&who, async |s| webhooks::subscribe(s, subscription, &state.webhook_hosts).await).await? {
        Ran::Done((hook, secret)) => {
            let view = WebhookView::of(&hook);
            let location = format!("{}/{}", WebhookView::COLLECTION, hook.meta.id);
            unit.created_answering(WebhookView::NAME, hook.meta.id, hook.meta.version, location, &view, &WebhookCreated { webhook: view.clone(), secret }).await
        }
        Ran::Replayed(response) => Ok(response),
    }
}

/// The caller's subscriptions (an admin's: everyone's), oldest first.
#[utoipa::path(operation_id = "list_webhooks", tag = "webhooks", params(WebhookQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of subscriptions", body = ListResponse<WebhookView>), ListErrors))]
#[get("/webhooks")]
pub async fn list(state: web::Data<AppState>, Auth(who): Auth, query: web::Query<WebhookQuery>) -> ApiResult {
    let page = query.page()?;
    let found = webhooks::list(state.store.conn(), &who, query.include_archived.unwrap_or(false), &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, |r| WebhookView::of(&r))))
}

get_one! {
    /// A subscription.
    get: GET "/webhooks/{id}", "get_webhook", "webhooks", WebhookView, "The subscription", Auth,
    |state, who, id| write::read::<WebhookView>(webhooks::get(state.store.conn(), &who, *id).await)
}

/// End a subscription (deliveries already entered still go).
#[utoipa::path(operation_id = "archive_webhook", tag = "webhooks", security(("bearer" = [])), responses((status = 204, description = "Ended"), WriteErrors))]
#[delete("/webhooks/{id}")]
pub async fn archive(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult {
    write::archive::<WebhookView>(&state, &who, async |s| webhooks::unsubscribe(s, *id).await).await
}

page_query! {
    /// Paging of a subscription's deliveries.
    DeliveryQuery {}
}

/// A subscription's deliveries, oldest first: status, attempts, the last error.
#[utoipa::path(operation_id = "list_webhook_deliveries", tag = "webhooks", params(DeliveryQuery), security(("bearer" = [])),
    responses((status = 200, description = "A page of deliveries", body = ListResponse<DeliveryView>), ListErrors))]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(state: web::Data<AppState>, Auth(who): Auth, id: web::Path<Uuid>, query: web::Query<DeliveryQuery>) -> ApiResult {
    let page = query.page()?;
    let found = webhooks::deliveries(state.store.conn(), &who, *id, &page).await?;
    Ok(HttpResponse::Ok().json_body(ListResponse::from_page(found, DeliveryView::from)))
}

/// Send a delivery again, now (a failed one, or one the receiver lost).
#[utoipa::path(operation_id = "redeliver_webhook_delivery", tag = "webhooks", params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
    responses((status = 200, description = "The delivery, pending again", body = DeliveryView), WriteErrors))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(state: web::Data<AppState>, Auth(who): Auth, path: web::Path<(Uuid, Uuid)>, key: IdempotencyKey) -> ApiResult {
    let (id, delivery_id) = path.into_inner();
    let unit = Unit::open(&state, &who, key, Some(&"redeliver")).await?;
    match unit.perform(&who, async |s| webhooks::redeliver(s, id, delivery_id).await).await? {
        Ran::Done(change) => {
            let (before, after) = (DeliveryView::from(change.before), DeliveryView::from(change.after));
            unit.changed_unversioned("redeliver", "webhook_delivery", delivery_id, &before, &after).await
        }
        Ran::Replayed(response) => Ok(response),
    }
}

pub fn configure(cfg: &mut impl crate::routes::Register) {
    cfg.service(create).service(list).service(get).service(archive).service(deliveries).service(redeliver);
}
