//! The OpenAPI document: paths and schemas are collected as services register (see
//! `startup::configure_api`); this adds the info block, tags and the bearer scheme.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Inclusion API",
        description = "Open REST/JSON API for the local partnerships for social inclusion in Czech municipalities \
(lokální partnerství): partnerships and their members, working groups and meetings.\n\n\
Conventions: problem+json errors (RFC 9457), keyset pagination (`limit`, `cursor`), `version` + `ETag` + `If-Match` \
on every mutable resource, `Idempotency-Key` on POST, JSON merge patch (RFC 7396) on PATCH. \
Get a development token with `inclusion token --role admin`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "partnerships", description = "Local partnerships and their lifecycle"),
        (name = "memberships", description = "Member organisations and their representatives"),
        (name = "working-groups", description = "Thematic working groups"),
        (name = "meetings", description = "Meetings, attendance, resolutions and action items"),
        (name = "analyses", description = "Situational analyses and the needs they find"),
        (name = "strategic-plans", description = "Strategic plans, goals, measures, progress, fulfilment and evaluations"),
        (name = "esif", description = "Operational programmes, calls, the project pipeline and counselling"),
        (name = "reports", description = "Aggregates for the Agency and the ministry"),
        (name = "territorial-units", description = "Municipalities, unions, microregions, MAS and excluded localities"),
        (name = "organizations", description = "Member organisations"),
        (name = "people", description = "People (personal data: never public)"),
        (name = "codelists", description = "Enumerations with Czech and English labels"),
        (name = "audit", description = "Who changed what and when"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The complete document, as served at `/openapi.json` and committed under `openapi/`.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::startup::openapi()
}

/// The committed form: pretty JSON with a trailing newline.
pub fn document_json() -> Result<String, serde_json::Error> {
    document().to_pretty_json().map(|s| s + "\n")
}
