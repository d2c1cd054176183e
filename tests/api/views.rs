//! Reports a person reads (`views`): the SVG charts carry the same figures as their JSON
//! reports, the partnership's HTML page shows the public parts to everyone and monitoring and
//! projects only to a caller who reads the partnership, and never a person's name.

use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with_demo};

/// The text of the `<text data-name="…">` (or `<tspan>`, `<dd>`, `<td>`) element of a chart or page.
pub(crate) fn figure(svg: &str, name: &str) -> Option<String> {
    let marker = format!("data-name=\"{name}\">");
    let start = svg.find(&marker)? + marker.len();
    let end = svg[start..].find('<')? + start;
    Some(svg[start..end].to_owned())
}

pub(crate) fn number(svg: &str, name: &str) -> Option<f64> {
    let text = figure(svg, name)?;
    if text == "–" {
        return None;
    }
    Some(text.trim_end_matches(" %").replace(',', ".").parse().unwrap_or_else(|_| panic!("a number in {name}: {text}")))
}

/// Minor units of a money figure written `1 425 000,00 Kč`.
fn minor(svg: &str, name: &str) -> i64 {
    let text = figure(svg, name).unwrap_or_else(|| panic!("figure {name}"));
    text.chars().filter(char::is_ascii_digit).collect::<String>().parse().expect("money")
}

pub(crate) fn body(res: &crate::helpers::Res) -> String {
    match &res.body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) async fn partnership_named(app: &TestApp, q: &str) -> String {
    let res = app.get(&format!("/api/v1/partnerships?q={q}"), None).await;
    res.body["items"][0]["id"].as_str().expect("a partnership").to_owned()
}

pub(crate) async fn first_plan(app: &TestApp, partnership: &str) -> String {
    let res = app.get(&format!("/api/v1/partnerships/{partnership}/strategic-plans"), Some(&app.admin())).await;
    res.body["items"][0]["id"].as_str().expect("a plan").to_owned()
}

#[tokio::test]
async fn the_fulfilment_chart_shows_the_figures_of_the_json_report() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let rozvodi = partnership_named(&app, "rozvodi").await;
    let plan = first_plan(&app, &rozvodi).await;
    for as_of in ["2020-06-30", "2022-12-31"] {
        let json = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of={as_of}"), Some(&admin)).await;
        assert_eq!(json.status, StatusCode::OK);
        let res = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment.svg?as_of={as_of}"), Some(&admin)).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.header("content-type").as_deref(), Some("image/svg+xml"));
        let svg = body(&res);
        assert!(svg.starts_with("<svg") && svg.contains("<title") && svg.contains("<desc"));
        for key in ["total", "completed", "overdue", "unreported"] {
            assert_eq!(number(&svg, key), json.body["counts"][key].as_f64(), "{key} on {as_of}");
        }
        assert_eq!(number(&svg, "share_completed"), json.body["share_completed"].as_f64());
        let goals = json.body["goals"].as_array().expect("goals");
        assert!(!goals.is_empty());
        for g in goals {
            let code = g["code"].as_str().expect("code");
            assert_eq!(number(&svg, &format!("goal:{code}")), g["share_completed"].as_f64(), "goal {code}");
        }
    }
}

#[tokio::test]
async fn the_pipeline_chart_shows_the_figures_of_the_json_report() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let json = app.get("/api/v1/reports/pipeline?limit=500", Some(&admin)).await;
    let res = app.get("/api/v1/reports/pipeline.svg", Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type").as_deref(), Some("image/svg+xml"));
    let svg = body(&res);
    let programmes = json.body["items"].as_array().expect("items");
    assert!(programmes.iter().any(|p| p["approved"].as_u64() > Some(0)), "the demo has an approved project");
    for p in programmes {
        let code = p["code"].as_str().expect("code");
        for key in ["intents", "submitted", "approved"] {
            assert_eq!(number(&svg, &format!("{code}:{key}")), p[key].as_f64(), "{code} {key}");
        }
        assert_eq!(Some(minor(&svg, &format!("{code}:requested"))), p["requested"]["amount_minor"].as_i64());
        assert_eq!(Some(minor(&svg, &format!("{code}:approved_amount"))), p["approved_amount"]["amount_minor"].as_i64());
    }
}

#[tokio::test]
async fn a_partner_of_another_partnership_sees_only_the_public_parts() {
    let app = spawn_app_with_demo().await;
    let rozvodi = partnership_named(&app, "rozvodi").await;
    let zluticko = partnership_named(&app, "zluticko").await;
    let plan = first_plan(&app, &rozvodi).await;
    let stranger = app.token(Role::Partner, &[&zluticko], None);
    let page = |token: Option<String>| {
        let app = &app;
        let rozvodi = rozvodi.clone();
        async move { body(&app.get(&format!("/api/v1/partnerships/{rozvodi}/report"), token.as_deref()).await) }
    };

    let admin_page = page(Some(app.admin())).await;
    assert!(admin_page.contains("<svg") && admin_page.contains("Dluhová poradna Mikroregionu Rozvodí (demo)"), "{admin_page}");
    assert!(admin_page.contains("Projekty") && admin_page.contains("Pracovní skupiny"));
    for view in [page(Some(stranger.clone())).await, page(None).await] {
        assert!(view.contains("Mikroregion") && view.contains("Strategický plán"), "the public parts");
        assert!(!view.contains("<svg"), "no monitoring");
        assert!(!view.contains("Dluhová poradna") && !view.contains("Projekty") && !view.contains("Pracovní skupiny"), "no projects, no working groups");
    }
    let res = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment.svg"), Some(&stranger)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment.svg"), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let own = app.token(Role::Partner, &[&rozvodi], None);
    assert_eq!(app.get("/api/v1/reports/pipeline.svg", Some(&own)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v1/partnerships/{}/report", uuid_like()), None).await.status, StatusCode::NOT_FOUND);
}

fn uuid_like() -> &'static str {
    "0190b0c0-0000-7000-8000-000000000000"
}

#[tokio::test]
async fn the_page_names_no_person() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Horní Dolní", "municipality", None).await;
    let p = app.partnership(&admin, "LP Horní Dolní", &[&unit]).await;
    let org = app.org(&admin, "Charita Horní Dolní", "ngo", None).await;
    let jana = app.person(&admin, "Jana Testovací", &org).await;
    app.create(
        &format!("/api/v1/partnerships/{p}/memberships"),
        &admin,
        json!({"organization_id": org, "joined_on": "2020-01-01", "representatives": [{"person_id": jana}]}),
    )
    .await;
    app.create(
        &format!("/api/v1/partnerships/{p}/working-groups"),
        &admin,
        json!({"name": "Bydlení", "thematic_area": "housing", "coordinator_id": jana, "member_ids": [jana]}),
    )
    .await;
    for token in [None, Some(admin.clone())] {
        let res = app.get(&format!("/api/v1/partnerships/{p}/report"), token.as_deref()).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.header("content-type").is_some_and(|c| c.starts_with("text/html")));
        let html = body(&res);
        assert!(html.contains("Charita Horní Dolní"), "member organisations are public");
        assert!(!html.contains("Jana") && !html.contains("Testovací"), "no person's name: {html}");
        assert!(!html.contains("<script"), "no JavaScript");
        assert!(html.contains("@media print") && html.contains("A4"));
    }
}

#[tokio::test]
async fn labels_follow_the_language() {
    let app = spawn_app_with_demo().await;
    let rozvodi = partnership_named(&app, "rozvodi").await;
    let admin = app.admin();
    let path = format!("/api/v1/partnerships/{rozvodi}/report");
    let cs = body(&app.get(&path, Some(&admin)).await);
    assert!(cs.contains("lang=\"cs\"") && cs.contains("Členské organizace") && cs.contains("<dd>aktivní</dd>"), "{cs}");
    let en = body(&app.get(&format!("{path}?lang=en"), Some(&admin)).await);
    assert!(en.contains("lang=\"en\"") && en.contains("Member organisations") && !en.contains("Členské organizace"));
    assert!(en.contains("<dd>active</dd>") && !en.contains("v realizaci") && en.contains("25 October 2018"));
    let accept = app.send(reqwest::Method::GET, &path, Some(&admin), None, &[("Accept-Language", "en-GB,en;q=0.8")]).await;
    assert!(body(&accept).contains("Member organisations"));
    // Codelist labels: the project's status.
    assert!(cs.contains("v realizaci") && cs.contains("25. 10. 2018") && cs.contains("1 425 000,00 Kč"), "codelist labels, dates and money in Czech");
    assert_eq!(app.get(&format!("{path}?lang=de"), None).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_empty_plan_draws() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Prázdná", "municipality", None).await;
    let p = app.partnership(&admin, "LP Prázdná", &[&unit]).await;
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{p}/strategic-plans"),
            &admin,
            json!({"title": "Plán <bez> cílů & opatření", "valid_from": "2024-01-01", "valid_to": "2026-12-31"}),
        )
        .await;
    let res = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment.svg?lang=en"), Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK);
    let svg = body(&res);
    assert_eq!(number(&svg, "total"), Some(0.0));
    assert_eq!(number(&svg, "share_completed"), None);
    assert!(svg.contains("Plán &lt;bez&gt; cílů &amp; opatření") && svg.contains("The plan has no goals yet."));
    let empty = app.get("/api/v1/reports/pipeline.svg", Some(&admin)).await;
    assert_eq!(empty.status, StatusCode::OK);
    let page = app.get(&format!("/api/v1/partnerships/{p}/report"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn the_literal_paths_answer_options_and_405() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/reports/pipeline.svg",
        "/api/v1/strategic-plans/0190b0c0-0000-7000-8000-000000000000/fulfilment.svg",
        "/api/v1/partnerships/0190b0c0-0000-7000-8000-000000000000/report",
    ] {
        let res = app.send(reqwest::Method::OPTIONS, path, None, None, &[]).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(res.header("allow").as_deref(), Some("GET, HEAD, OPTIONS"), "{path}");
        let res = app.send(reqwest::Method::POST, path, Some(&app.admin()), Some(&json!({})), &[]).await;
        assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}
