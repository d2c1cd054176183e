//! The OpenAPI document: paths and schemas are collected as services register (see
//! `startup::configure_api`); this adds the info block, tags and the bearer scheme.

use serde_json::{Map, Value, json};
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
        (name = "cooperations", description = "Cooperations of the Agency with partnerships, their timeline templates and timelines"),
        (name = "recruitment", description = "Recruitment of localities: rounds with their questionnaire, criteria and predefined activities, candidacies, assessors' scores, the ranking and the decision that starts cooperations"),
        (name = "support-projects", description = "The Agency's support projects (Rozvoj systémů): supported units, descriptions of cooperation, quality criteria, documents, events and the target indicators"),
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
        (name = "webhooks", description = "Subscriptions to the changes, delivered by the Standard Webhooks specification"),
        (name = "changes", description = "The change feed: every committed write in commit order, for integrations that keep a copy in sync"),
        (name = "exports", description = "The registry, partnerships and memberships as CSV or JSON, in the columns of the imports"),
        (name = "views", description = "Reports a person reads: SVG charts and a printable HTML page"),
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

/// The committed document (`openapi/openapi.json`), compiled in: what `/openapi.json` serves
/// (the edge's table of paths is read from the same file at build time: `build.rs`). `make openapi` writes it from [`document`]; the
/// test `served_docs_match_the_committed_openapi_document` fails while they differ.
pub const COMMITTED: &str = include_str!("../../../openapi/openapi.json");

/// The complete document, as served at `/openapi.json` and committed under `openapi/`.
pub fn document() -> Result<Value, serde_json::Error> {
    refined(crate::startup::openapi())
}

/// The document of routes already collected (the server collects them once at start).
pub fn refined(collected: utoipa::openapi::OpenApi) -> Result<Value, serde_json::Error> {
    let mut doc = serde_json::to_value(collected)?;
    refine(&mut doc);
    Ok(doc)
}

/// The committed form: pretty JSON with a trailing newline.
pub fn document_json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&document()?).map(|s| s + "\n")
}

/// Sortable fields per list operation, taken from the repositories' whitelists so that the
/// document and the server cannot disagree (a test checks that every list with a `sort`
/// parameter is named here).
fn sort_whitelists() -> Vec<(&'static str, Vec<&'static str>)> {
    macro_rules! names {
        ($($op:literal => $sort:path),* $(,)?) => { vec![$(($op, $sort.iter().map(|f| f.name).collect())),*] };
    }
    names! {
        "list_partnerships" => persistence::partnerships::SORT,
        "list_recruitment_rounds" => persistence::recruitment::ROUND_SORT,
        "list_candidacies" => persistence::recruitment::CANDIDACY_SORT,
        "list_partnership_memberships" => persistence::memberships::SORT,
        "list_memberships" => persistence::memberships::SORT,
        "list_partnership_working_groups" => persistence::working_groups::SORT,
        "list_working_groups" => persistence::working_groups::SORT,
        "list_partnership_meetings" => persistence::meetings::SORT,
        "list_meetings" => persistence::meetings::SORT,
        "list_action_items" => persistence::meetings::ACTION_ITEM_SORT,
        "list_partnership_situational_analyses" => persistence::analyses::SORT,
        "list_situational_analyses" => persistence::analyses::SORT,
        "list_situational_analysis_needs" => persistence::analyses::NEED_SORT,
        "list_partnership_strategic_plans" => persistence::plans::PLAN_SORT,
        "list_strategic_plans" => persistence::plans::PLAN_SORT,
        "list_measures" => persistence::plans::MEASURE_SORT,
        "list_strategic_plan_measures" => persistence::plans::MEASURE_SORT,
        "list_measure_progress_reports" => persistence::plans::REPORT_SORT,
        "list_strategic_plan_evaluations" => persistence::plans::EVALUATION_SORT,
        "list_operational_programmes" => persistence::esif::PROGRAMME_SORT,
        "list_calls" => persistence::esif::CALL_SORT,
        "list_projects" => persistence::esif::PROJECT_SORT,
        "list_partnership_projects" => persistence::esif::PROJECT_SORT,
        "list_counselling_records" => persistence::esif::COUNSELLING_SORT,
        "list_territorial_units" => persistence::territorial_units::SORT,
        "list_territorial_unit_excluded_localities" => persistence::territorial_units::LOCALITY_SORT,
        "list_organizations" => persistence::organizations::SORT,
        "list_people" => persistence::people::SORT,
        "list_audit_entries" => persistence::audit::SORT,
    }
}

/// Rewrites the document utoipa collects into the exact description of the wire:
/// - a schema composed with `allOf` (a view = metadata + the input's fields, via
///   `#[serde(flatten)]`) becomes one object schema of its own. Inputs refuse unknown fields
///   (`additionalProperties: false`); composed, that refusal would forbid the very metadata
///   a view carries, so views state their fields without it (clients must tolerate new ones);
/// - a PATCH body is a JSON merge patch (RFC 7396) of its input: every field optional and
///   nullable (`null` removes it), nested objects merged, unknown fields refused unless `null`;
/// - the `sort` parameter of each list states its whitelist as a pattern;
/// - every operation documents 400 (malformed request line, headers or bytes) and 429.
fn refine(doc: &mut Value) {
    flatten_compositions(doc);
    pages(doc);
    merge_patch_bodies(doc);
    sort_patterns(doc);
    header_patterns(doc);
    common_responses(doc);
    public_operations(doc);
    prune_unused_schemas(doc);
    // Relative to wherever the document is served from, so generated clients and Swagger UI
    // call the server they read it from.
    doc["servers"] = json!([{ "url": "/", "description": "The server that serves this document" }]);
}

/// Operations without a `security` requirement are public: say so explicitly (`[{}]`).
fn public_operations(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for op in item.values_mut() {
            if let Some(op) = op.as_object_mut() {
                op.entry("security").or_insert_with(|| json!([{}]));
            }
        }
    }
}

/// Drops schemas nothing refers to any more (the parts that flattening inlined).
fn prune_unused_schemas(doc: &mut Value) {
    fn refs(value: &Value, out: &mut std::collections::HashSet<String>) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            Value::Object(obj) => {
                if let Some(name) = ref_name(value) {
                    out.insert(name.to_owned());
                }
                obj.values().for_each(|v| refs(v, out));
            }
            _ => {}
        }
    }
    loop {
        let mut used = std::collections::HashSet::new();
        if let Some(obj) = doc.as_object() {
            for (key, value) in obj {
                if key != "components" {
                    refs(value, &mut used);
                }
            }
        }
        if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
            for value in schemas.values() {
                refs(value, &mut used);
            }
        }
        let Some(all) = schemas(doc) else { return };
        let before = all.len();
        all.retain(|name, _| used.contains(name));
        if all.len() == before {
            return;
        }
    }
}

/// The formats of `If-Match` and `Idempotency-Key`, as their extractors enforce them.
fn header_patterns(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for op in item.values_mut() {
            for param in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                if param.get("in") != Some(&json!("header")) {
                    continue;
                }
                let pattern = match param.get("name").and_then(Value::as_str) {
                    Some("If-Match") => crate::http::IF_MATCH_PATTERN,
                    Some("Idempotency-Key") => crate::http::IDEMPOTENCY_KEY_PATTERN,
                    _ => continue,
                };
                param["schema"] = json!({ "type": "string", "pattern": pattern });
            }
        }
    }
}

fn schemas(doc: &mut Value) -> Option<&mut Map<String, Value>> {
    doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut)
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// Flattens `allOf` compositions of object schemas wherever they occur (components, and
/// the copies utoipa inlines into generic pages), innermost first.
fn flatten_compositions(doc: &mut Value) {
    // A composition may refer to another one; each pass flattens one more level.
    for _ in 0..4 {
        let components = doc.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
        flatten_in(doc, &components);
    }
}

fn flatten_in(value: &mut Value, components: &Map<String, Value>) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| flatten_in(v, components)),
        Value::Object(obj) => {
            obj.values_mut().for_each(|v| flatten_in(v, components));
            if let Some(flat) = flattened(obj, components) {
                *obj = flat;
            }
        }
        _ => {}
    }
}

/// One object schema for an `allOf` of object schemas, or `None` if the parts are not (yet) flat.
fn flattened(schema: &Map<String, Value>, components: &Map<String, Value>) -> Option<Map<String, Value>> {
    let parts = schema.get("allOf")?.as_array()?;
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for part in parts {
        let resolved = match ref_name(part) {
            Some(target) => components.get(target)?,
            None => part,
        };
        if resolved.get("allOf").is_some() {
            return None;
        }
        for (k, v) in resolved.get("properties")?.as_object()? {
            properties.insert(k.clone(), v.clone());
        }
        for r in resolved.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !required.contains(r) {
                required.push(r.clone());
            }
        }
    }
    let mut object = Map::new();
    object.insert("type".into(), json!("object"));
    if let Some(description) = schema.get("description") {
        object.insert("description".into(), description.clone());
    }
    if !required.is_empty() {
        object.insert("required".into(), Value::Array(required));
    }
    object.insert("properties".into(), Value::Object(properties));
    Some(object)
}

/// `ListResponse<T>` reaches the document as `ListResponse_TView` with `T` inlined; every
/// page becomes `TPage` whose items refer to `TView`, so all lists share one shape.
fn pages(doc: &mut Value) {
    let Some(all) = schemas(doc) else { return };
    let generic: Vec<String> = all.keys().filter(|k| k.starts_with("ListResponse_")).cloned().collect();
    let mut renames = Vec::new();
    for old in generic {
        let item = old.trim_start_matches("ListResponse_").to_owned();
        let new = format!("{}Page", item.trim_end_matches("View"));
        if let Some(mut page) = all.remove(&old) {
            if all.contains_key(&item) {
                page["properties"]["items"]["items"] = json!({ "$ref": format!("#/components/schemas/{item}") });
            }
            page["description"] = json!(format!("A page of {item}: `items`, and `next_cursor` to pass as `cursor` for the next page."));
            all.insert(new.clone(), page);
        }
        renames.push((format!("#/components/schemas/{old}"), format!("#/components/schemas/{new}")));
    }
    rename_refs(doc, &renames);
}

fn rename_refs(value: &mut Value, renames: &[(String, String)]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renames)),
        Value::Object(obj) => {
            if let Some(Value::String(r)) = obj.get_mut("$ref")
                && let Some((_, new)) = renames.iter().find(|(old, _)| old == r)
            {
                *r = new.clone();
            }
            obj.values_mut().for_each(|v| rename_refs(v, renames));
        }
        _ => {}
    }
}

/// `schema` or `null`.
fn nullable(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(obj) = s.as_object_mut() {
        if obj.contains_key("$ref") {
            return json!({ "oneOf": [{ "type": "null" }, schema] });
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
                if !list.iter().any(|v| v.get("type") == Some(&json!("null"))) {
                    list.push(json!({ "type": "null" }));
                }
                return s;
            }
        }
        match obj.get("type").cloned() {
            Some(Value::String(t)) if t != "null" => {
                obj.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(mut ts)) if !ts.contains(&json!("null")) => {
                ts.push(json!("null"));
                obj.insert("type".into(), Value::Array(ts));
            }
            _ => {}
        }
        if let Some(values) = obj.get_mut("enum").and_then(Value::as_array_mut)
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
    s
}

/// Whether a property holds an object (merged, not replaced, by a merge patch).
fn is_object(schema: &Value, all: &Map<String, Value>) -> bool {
    let resolved = |s: &Value| ref_name(s).and_then(|n| all.get(n)).cloned().unwrap_or_else(|| s.clone());
    let check = |s: &Value| {
        let s = resolved(s);
        s.get("properties").is_some() || s.get("type") == Some(&json!("object"))
    };
    if check(schema) {
        return true;
    }
    ["oneOf", "anyOf"].iter().any(|k| schema.get(*k).and_then(Value::as_array).is_some_and(|l| l.iter().any(check)))
}

/// Gives every PATCH a `…Patch` schema derived from the input it patches.
fn merge_patch_bodies(doc: &mut Value) {
    let mut wanted: Vec<(String, String, String)> = Vec::new(); // (path, input, patch)
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(body) = item.get("patch").and_then(|op| op.get("requestBody")) else { continue };
            let description = body.get("description").and_then(Value::as_str).unwrap_or_default();
            if let Some(input) = description.split(|c: char| !c.is_alphanumeric()).find(|w| w.ends_with("Input")) {
                let patch = format!("{}Patch", input.trim_end_matches("Input"));
                wanted.push((path.clone(), input.to_owned(), patch));
            }
        }
    }
    let Some(all) = schemas(doc) else { return };
    let snapshot = all.clone();
    for (_, input, patch) in &wanted {
        let Some(source) = snapshot.get(input) else { continue };
        let mut properties = Map::new();
        for (k, v) in source.get("properties").and_then(Value::as_object).into_iter().flatten() {
            let value = if is_object(v, &snapshot) {
                let mut loose = json!({ "type": ["object", "null"], "description": "A merge patch of this object (RFC 7396)" });
                if let Some(d) = v.get("description") {
                    loose["description"] = d.clone();
                }
                loose
            } else {
                nullable(v)
            };
            properties.insert(k.clone(), value);
        }
        all.insert(
            patch.clone(),
            json!({
                "type": "object",
                "description": format!("A JSON merge patch (RFC 7396) of {input}: only the fields to change; `null` removes an optional field. The result is validated exactly like a create."),
                "properties": properties,
                // Merging `"x": null` into a document without `x` changes nothing, so an
                // unknown field is refused only when it carries a value.
                "additionalProperties": { "type": "null" },
            }),
        );
    }
    for (path, _, patch) in wanted {
        let pointer = format!("/paths/{}/patch/requestBody/content/application~1merge-patch+json/schema", path.replace('~', "~0").replace('/', "~1"));
        if let Some(schema) = doc.pointer_mut(&pointer) {
            *schema = json!({ "$ref": format!("#/components/schemas/{patch}") });
        }
    }
}

/// `^-?(a|b)(,-?(a|b))*$` for the whitelisted sort fields of each list.
fn sort_patterns(doc: &mut Value) {
    let lists = sort_whitelists();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        let Some(op) = item.get_mut("get") else { continue };
        let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_owned();
        let Some((_, fields)) = lists.iter().find(|(op_id, _)| *op_id == id) else { continue };
        let alternatives = fields.join("|");
        for param in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
            if param.get("name") == Some(&json!("sort")) && param.get("in") == Some(&json!("query")) {
                param["schema"]["pattern"] = json!(format!("^-?({alternatives})(,-?({alternatives}))*$"));
                param["description"] = json!(format!("Comma-separated sort fields, `-` for descending; sortable: {}.", fields.join(", ")));
            }
        }
    }
}

/// Responses every operation can give, whatever its handler does.
fn common_responses(doc: &mut Value) {
    let problem = |description: &str| json!({ "description": description, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } });
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for op in item.values_mut() {
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            responses.entry("400").or_insert_with(|| problem("Malformed request: bytes, headers or parameters that cannot be read (e.g. a NUL character)"));
            responses.entry("414").or_insert_with(|| problem("The request line (path and query) is too long"));
            // Written by the HTTP parser before the application runs: no body (see edge/mod.rs).
            responses
                .entry("431")
                .or_insert_with(|| json!({ "description": "The request headers are too large (answered by the HTTP parser, without a body)" }));
            let mut too_many = problem("Too many requests from this client; retry after `Retry-After` seconds");
            too_many["headers"] = json!({ "Retry-After": { "description": "Seconds to wait", "schema": { "type": "integer" } } });
            responses.entry("429").or_insert(too_many);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_list_states_its_whitelist() {
        let doc = document().unwrap();
        let mut missing = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let Some(op) = item.get("get") else { continue };
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "sort" && p["schema"].get("pattern").is_none() {
                    missing.push(format!("{path} ({})", op["operationId"]));
                }
            }
        }
        assert!(missing.is_empty(), "lists without a sort whitelist in openapi::sort_whitelists: {missing:?}");
    }

    #[test]
    fn views_are_flat_and_patches_are_merge_patches() {
        let doc = document().unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert!(schemas.values().all(|s| s.get("allOf").is_none()));
        let view = &schemas["OrganizationView"];
        assert!(view["properties"].get("id").is_some() && view["properties"].get("name").is_some());
        assert!(view.get("additionalProperties").is_none());
        for (path, item) in doc["paths"].as_object().unwrap() {
            if let Some(op) = item.get("patch") {
                let schema = &op["requestBody"]["content"]["application/merge-patch+json"]["schema"];
                assert!(schema.get("$ref").is_some(), "PATCH {path} has no merge-patch schema");
            }
        }
    }
}
