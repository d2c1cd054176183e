//! The shapes most handlers share, written once: their OpenAPI description, their route and
//! their extractors. utoipa and actix need literal paths and operation ids on each handler,
//! so a shape is a macro a resource invokes with those literals and its one-line body (a call
//! of its use case through the write protocol). Handlers of other shapes are written out.
//!
//! Names the expansion uses (actix's `get`/`patch`/`delete`/`post` attributes, which utoipa
//! recognises by name; `web`, `AppState`, `Auth`, `MaybeAuth`, `IfMatch`,
//! `IdempotencyKey`, `Uuid`, `ApiResult`, `ReadErrors`, `WriteErrors`) resolve in the invoking
//! module, which imports them as its other handlers do.

/// `GET` of one resource by id: 200 with its ETag. `Auth` for internal records, `MaybeAuth`
/// for public ones (the OpenAPI document then lists no token as a way in).
macro_rules! get_one {
    ($(#[doc = $doc:literal])* $name:ident: GET $path:tt, $op:tt, $tag:tt, $view:ident, $described:tt, Auth, |$state:ident, $who:ident, $id:ident| $body:expr) => {
        $(#[doc = $doc])*
        #[utoipa::path(operation_id = $op, tag = $tag, security(("bearer" = [])),
            responses((status = 200, description = $described, body = $view, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
        #[get($path)]
        pub async fn $name($state: web::Data<AppState>, Auth($who): Auth, $id: web::Path<Uuid>) -> ApiResult {
            $body
        }
    };
    ($(#[doc = $doc:literal])* $name:ident: GET $path:tt, $op:tt, $tag:tt, $view:ident, $described:tt, MaybeAuth, |$state:ident, $who:ident, $id:ident| $body:expr) => {
        $(#[doc = $doc])*
        #[utoipa::path(operation_id = $op, tag = $tag, security((), ("bearer" = [])),
            responses((status = 200, description = $described, body = $view, headers(("ETag" = String, description = "Current version"))), ReadErrors))]
        #[get($path)]
        pub async fn $name($state: web::Data<AppState>, MaybeAuth($who): MaybeAuth, $id: web::Path<Uuid>) -> ApiResult {
            $body
        }
    };
}
pub(crate) use get_one;

/// `PATCH` (a JSON merge patch of the resource's input) with `If-Match`: 200 with the new ETag.
macro_rules! update_one {
    ($(#[doc = $doc:literal])* $name:ident: PATCH $path:tt, $op:tt, $tag:tt, $view:ident, $patch_of:tt, |$state:ident, $who:ident, $id:ident, $if_match:ident, $patch:ident| $body:expr) => {
        $(#[doc = $doc])*
        #[utoipa::path(operation_id = $op, tag = $tag, request_body(content = serde_json::Value, description = $patch_of, content_type = "application/merge-patch+json"),
            params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
            responses((status = 200, description = "Updated", body = $view, headers(("ETag" = String, description = "New version"))), WriteErrors))]
        #[patch($path)]
        pub async fn $name($state: web::Data<AppState>, Auth($who): Auth, $id: web::Path<Uuid>, $if_match: IfMatch, $patch: web::Json<serde_json::Value>) -> ApiResult {
            $body
        }
    };
}
pub(crate) use update_one;

/// `DELETE` with `If-Match`: 204. `$done` is the answer's description (`Archived`, `Deleted`).
macro_rules! delete_one {
    ($(#[doc = $doc:literal])* $name:ident: DELETE $path:tt, $op:tt, $tag:tt, $done:tt, |$state:ident, $who:ident, $id:ident, $if_match:ident| $body:expr) => {
        $(#[doc = $doc])*
        #[utoipa::path(operation_id = $op, tag = $tag, params(("If-Match" = Option<String>, Header, description = "The ETag you read")), security(("bearer" = [])),
            responses((status = 204, description = $done), WriteErrors))]
        #[delete($path)]
        pub async fn $name($state: web::Data<AppState>, Auth($who): Auth, $id: web::Path<Uuid>, $if_match: IfMatch) -> ApiResult {
            $body
        }
    };
}
pub(crate) use delete_one;

/// `POST` of a new resource under a parent (`/partnerships/{id}/memberships`) or at the top
/// (`/organizations`), with `Idempotency-Key`: 201 with `Location`.
macro_rules! create_one {
    ($(#[doc = $doc:literal])* $name:ident: POST $path:tt, $op:tt, $tag:tt, $input:ident => $view:ident, |$state:ident, $who:ident, $id:ident, $key:ident, $body_:ident| $body:expr) => {
        $(#[doc = $doc])*
        #[utoipa::path(operation_id = $op, tag = $tag, request_body = $input, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
            responses((status = 201, description = "Created", body = $view, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
        #[post($path)]
        pub async fn $name($state: web::Data<AppState>, Auth($who): Auth, $id: web::Path<Uuid>, $key: IdempotencyKey, $body_: web::Json<$input>) -> ApiResult {
            $body
        }
    };
    ($(#[doc = $doc:literal])* $name:ident: POST $path:tt, $op:tt, $tag:tt, $input:ident => $view:ident, |$state:ident, $who:ident, $key:ident, $body_:ident| $body:expr) => {
        $(#[doc = $doc])*
        #[utoipa::path(operation_id = $op, tag = $tag, request_body = $input, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")), security(("bearer" = [])),
            responses((status = 201, description = "Created", body = $view, headers(("Location" = String, description = "URL of the new resource"))), WriteErrors))]
        #[post($path)]
        pub async fn $name($state: web::Data<AppState>, Auth($who): Auth, $key: IdempotencyKey, $body_: web::Json<$input>) -> ApiResult {
            $body
        }
    };
}
pub(crate) use create_one;
