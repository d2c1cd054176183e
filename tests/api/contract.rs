//! The contract as a generic client meets it: every collection in the OpenAPI document answers
//! one envelope (`items`, `next_cursor`, `total` on request), pages through with a cursor to
//! the same total, and honours the documented `limit` bounds and `sort` whitelist.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::helpers::spawn_app_with_demo;

/// The first item's id of a top-level list.
async fn first_id(app: &crate::helpers::TestApp, token: &str, path: &str) -> String {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status, 200, "{path}: {}", res.body);
    res.body["items"][0]["id"].as_str().unwrap_or_else(|| panic!("{path} has no items: {}", res.body)).to_owned()
}

/// The sort fields a list documents, read back from its `sort` pattern.
fn sortable(op: &Value) -> Vec<String> {
    let Some(param) = op["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == "sort")) else { return vec![] };
    let pattern = param["schema"]["pattern"].as_str().expect("sort has a pattern");
    let inner = pattern.trim_start_matches("^-?(").split(')').next().expect("alternatives");
    inner.split('|').map(str::to_owned).collect()
}

#[tokio::test]
async fn every_collection_pages_through_one_envelope() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let doc = app.get("/openapi.json", None).await.body;

    // An id for each parent a nested list hangs under, from the demo data.
    let rozvodi = {
        let res = app.get("/api/v1/partnerships?q=rozvodi", None).await;
        res.body["items"][0]["id"].as_str().expect("Rozvodí").to_owned()
    };
    let plan = first_id(&app, &admin, &format!("/api/v1/partnerships/{rozvodi}/strategic-plans")).await;
    let mut parents: BTreeMap<&str, String> = BTreeMap::new();
    parents.insert("partnerships", rozvodi.clone());
    parents.insert("strategic-plans", plan.clone());
    parents.insert("situational-analyses", first_id(&app, &admin, &format!("/api/v1/partnerships/{rozvodi}/situational-analyses")).await);
    parents.insert("measures", first_id(&app, &admin, &format!("/api/v1/strategic-plans/{plan}/measures")).await);
    parents.insert("territorial-units", first_id(&app, &admin, "/api/v1/territorial-units").await);
    parents.insert("meetings", first_id(&app, &admin, &format!("/api/v1/partnerships/{rozvodi}/meetings")).await);
    let support_project = first_id(&app, &admin, "/api/v1/support-projects").await;
    parents.insert("supported-units", first_id(&app, &admin, &format!("/api/v1/support-projects/{support_project}/units")).await);
    parents.insert("support-projects", support_project);
    // A subscription with a delivery or two in its log (the receiver need not exist).
    let hook = app.post("/api/v1/webhooks", &admin, serde_json::json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]})).await;
    parents.insert("webhooks", hook.body["id"].as_str().expect("a webhook").to_owned());
    app.org(&admin, "Organizace pro webhook", "ngo", None).await;

    let mut walked = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
        let Some(name) = schema["$ref"].as_str().filter(|r| r.ends_with("Page")) else {
            // Not a collection: it must not be a bare array either. Exports are the exception:
            // a streamed file in the imports' shape (an array of rows), not a paged list.
            if template.starts_with("/api/v1/exports/") {
                continue;
            }
            assert_ne!(schema["type"], "array", "{template} answers a bare array");
            continue;
        };
        assert!(name.starts_with("#/components/schemas/"), "{template}");
        // `/api/v1/<parent>/{id}/…` and `/api/v1/reports/<parent>/{id}/…`.
        let segments: Vec<&str> = template.trim_start_matches("/api/v1/").split('/').collect();
        let path = match segments.iter().position(|s| *s == "{id}") {
            Some(at) => {
                let parent = segments[at - 1];
                let id = parents.get(parent).unwrap_or_else(|| panic!("no demo id for the parent of {template}"));
                template.replace("{id}", id)
            }
            None => template.clone(),
        };
        // An indicator's values: the demo measure's indicator `I1`.
        let path = path.replace("{key}", "I1");

        // The whole list at once, counted.
        let all = app.get(&format!("{path}?count=true&limit=500"), Some(&admin)).await;
        assert_eq!(all.status, 200, "{path}: {}", all.body);
        let total = all.body["total"].as_u64().unwrap_or_else(|| panic!("{path}: no total with count=true: {}", all.body));
        assert!(all.body["items"].is_array() && all.body.get("next_cursor").is_some(), "{path}: {}", all.body);

        // The same list one row at a time, by cursor: every row once, in the same order.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..=total {
            let url = match &cursor {
                Some(c) => format!("{path}?limit=1&cursor={c}"),
                None => format!("{path}?limit=1"),
            };
            let page = app.get(&url, Some(&admin)).await;
            assert_eq!(page.status, 200, "{url}: {}", page.body);
            let items = page.body["items"].as_array().expect("items");
            assert!(items.len() <= 1, "{url}");
            seen.extend(items.iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len() as u64, total, "{path}: paging one by one gave another number of rows than total");
        assert_eq!(&Value::Array(seen.clone()), &all.body["items"], "{path}: paging changed the order or the rows");
        let ids: HashSet<String> = seen.iter().filter_map(|i| i["id"].as_str().map(str::to_owned)).collect();
        assert!(ids.is_empty() || ids.len() == seen.len(), "{path}: a row came twice");

        // The documented bounds and whitelist, as the server enforces them.
        app.get(&format!("{path}?limit=0"), Some(&admin)).await.problem(400);
        app.get(&format!("{path}?limit=501"), Some(&admin)).await.problem(400);
        for field in sortable(op) {
            for sort in [field.clone(), format!("-{field}")] {
                let res = app.get(&format!("{path}?sort={sort}"), Some(&admin)).await;
                assert_eq!(res.status, 200, "{path}?sort={sort}: {}", res.body);
            }
        }
        let res = app.get(&format!("{path}?sort=no_such_field"), Some(&admin)).await;
        assert_eq!(res.problem(400)["errors"][0]["field"], "sort", "{path}");
        walked += 1;
    }
    assert!(walked >= 33, "only {walked} collections found in the document");
}

#[tokio::test]
async fn views_carry_their_metadata_and_codes_as_the_document_spells_them() {
    let app = spawn_app_with_demo().await;
    let doc = app.get("/openapi.json", None).await.body;
    let schemas = &doc["components"]["schemas"];
    // A view documents the metadata it carries and does not forbid it.
    let view = &schemas["TerritorialUnitView"];
    for field in ["id", "version", "created_at", "updated_at", "name", "region"] {
        assert!(view["properties"].get(field).is_some(), "TerritorialUnitView lacks {field}");
    }
    assert!(view.get("additionalProperties").is_none());
    // The region codes in the document are those on the wire.
    let regions: Vec<&str> = schemas["Region"]["enum"].as_array().expect("enum").iter().filter_map(Value::as_str).collect();
    let units = app.get("/api/v1/territorial-units", None).await;
    for unit in units.body["items"].as_array().expect("items") {
        if let Some(region) = unit["region"].as_str() {
            assert!(regions.contains(&region), "{region} is not in {regions:?}");
        }
    }
    // operationIds are unique.
    let mut ids = HashSet::new();
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        }
    }
}
