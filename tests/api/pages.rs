//! Reports a person reads, second part (issue 10): the indicator and timeline charts carry the
//! figures of their JSON, the plan's monitoring page and the portfolio page, signed links to
//! pages (they open exactly their page, for what their minter sees, until they expire), and
//! the `Link` headers from the JSON to the pages and charts.

use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with_demo};
use crate::views::{body, figure, first_plan, number, partnership_named};

/// A date of the JSON (`2018-10-25`) as a Czech page writes it (`25. 10. 2018`).
fn czech_date(iso: &str) -> String {
    let parts: Vec<u32> = iso.split('-').map(|p| p.parse().expect("a date")).collect();
    format!("{}. {}. {}", parts[2], parts[1], parts[0])
}

async fn demo_cooperation(app: &TestApp) -> String {
    let res = app.get("/api/v1/cooperations?status=running", Some(&app.admin())).await;
    res.body["items"][0]["id"].as_str().expect("the demo's cooperation").to_owned()
}

/// Mints a link; returns the answer.
async fn mint(app: &TestApp, token: &str, path: &str, ttl: Option<u64>) -> crate::helpers::Res {
    let mut request = json!({ "path": path });
    if let Some(ttl) = ttl {
        request["ttl_seconds"] = json!(ttl);
    }
    app.post("/api/v1/links", token, request).await
}

fn link_path(res: &crate::helpers::Res) -> String {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body["path"].as_str().expect("path").to_owned()
}

#[tokio::test]
async fn the_indicator_chart_shows_the_figures_of_the_json() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = crate::plans::rozvodi(&app).await;
    let (_, _, measure) = crate::indicators::plan_in_force(&app, &r).await;
    // I2 is cumulative (10 → 50); I1 a flow (0 → 100).
    let values = format!("/api/v1/measures/{measure}/indicators/I2/values");
    for (start, end, v) in [("2024-07-01", "2024-12-31", 12.0), ("2025-01-01", "2025-06-30", 30.5), ("2025-07-01", "2025-12-31", 41.0)] {
        let res = app.post(&values, &admin, json!({"period_start": start, "period_end": end, "value": v})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    for as_of in ["2025-07-15", "2026-01-31"] {
        let json = app.get(&format!("/api/v1/measures/{measure}/indicators/I2/attainment?as_of={as_of}"), Some(&admin)).await;
        assert_eq!(json.status, StatusCode::OK);
        assert_eq!(
            json.header("link").as_deref(),
            Some(format!("</api/v1/measures/{measure}/indicators/I2/chart.svg>; rel=\"alternate\"; type=\"image/svg+xml\"").as_str())
        );
        for lang in ["cs", "en"] {
            let res = app.get(&format!("/api/v1/measures/{measure}/indicators/I2/chart.svg?as_of={as_of}&lang={lang}"), Some(&admin)).await;
            assert_eq!(res.status, StatusCode::OK);
            assert_eq!(res.header("content-type").as_deref(), Some("image/svg+xml"));
            let svg = body(&res);
            assert!(svg.starts_with("<svg") && svg.contains("<title") && svg.contains("<desc") && svg.contains(&format!("lang=\"{lang}\"")));
            assert_eq!(number(&svg, "baseline"), json.body["baseline_value"].as_f64(), "{as_of}");
            assert_eq!(number(&svg, "target"), json.body["target_value"].as_f64());
            assert_eq!(number(&svg, "actual"), json.body["actual_value"].as_f64(), "{as_of} {svg}");
            assert_eq!(number(&svg, "attainment"), json.body["attainment"].as_f64());
            assert_eq!(number(&svg, "periods_counted"), json.body["periods_counted"].as_f64());
        }
    }
    // Every period's value, as the JSON list of values has it.
    let svg = body(&app.get(&format!("/api/v1/measures/{measure}/indicators/I2/chart.svg?lang=en"), Some(&admin)).await);
    let listed = app.get(&values, Some(&admin)).await;
    for v in listed.body["items"].as_array().expect("values") {
        let start = v["period_start"].as_str().expect("start");
        assert_eq!(number(&svg, &format!("value:{start}")), v["value"].as_f64(), "{start}");
        assert!(figure(&svg, &format!("actual:{start}")).is_some());
    }
    // Access as the JSON: a partner of another partnership 404, no token 401, an unknown key 404.
    let unit = app.unit(&admin, "Jinde", "municipality", None).await;
    let other = app.partnership(&admin, "LP Jinde", &[&unit]).await;
    let stranger = app.token(Role::Partner, &[&other], None);
    app.get(&format!("/api/v1/measures/{measure}/indicators/I1/chart.svg"), Some(&stranger)).await.problem(404);
    app.get(&format!("/api/v1/measures/{measure}/indicators/I1/chart.svg"), None).await.problem(401);
    app.get(&format!("/api/v1/measures/{measure}/indicators/NOPE/chart.svg"), Some(&admin)).await.problem(404);
    app.get(&format!("/api/v1/measures/{measure}/indicators/I1/chart.svg?as_of=yesterday"), Some(&admin)).await.problem(400);
}

#[tokio::test]
async fn the_timeline_chart_shows_the_figures_of_the_json() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let id = demo_cooperation(&app).await;
    for as_of in ["2019-03-01", "2020-06-30"] {
        let json = app.get(&format!("/api/v1/cooperations/{id}/timeline?as_of={as_of}"), Some(&admin)).await;
        assert_eq!(json.status, StatusCode::OK);
        assert_eq!(
            json.header("link").as_deref(),
            Some(format!("</api/v1/cooperations/{id}/timeline.svg>; rel=\"alternate\"; type=\"image/svg+xml\"").as_str())
        );
        let res = app.get(&format!("/api/v1/cooperations/{id}/timeline.svg?as_of={as_of}"), Some(&admin)).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.header("content-type").as_deref(), Some("image/svg+xml"));
        let svg = body(&res);
        assert!(svg.contains("<title") && svg.contains("<desc") && svg.contains("stroke-dasharray"), "the day's line");
        assert_eq!(figure(&svg, "as_of"), Some(czech_date(as_of)));
        assert_eq!(number(&svg, "days_late"), json.body["summary"]["days_late"].as_f64());
        let phases = json.body["phases"].as_array().expect("phases");
        assert!(!phases.is_empty());
        for p in phases {
            let code = p["phase"].as_str().expect("code");
            assert_eq!(number(&svg, &format!("phase:{code}:days_late")), p["days_late"].as_f64(), "{code} on {as_of}");
            assert_eq!(figure(&svg, &format!("phase:{code}:planned_start")), p["planned_start"].as_str().map(czech_date), "{code}");
            assert_eq!(figure(&svg, &format!("phase:{code}:planned_end")), p["planned_end"].as_str().map(czech_date), "{code}");
            assert_eq!(
                figure(&svg, &format!("phase:{code}:actual_start")),
                Some(p["actual_start"].as_str().map_or_else(|| "–".to_owned(), czech_date)),
                "{code}"
            );
            assert_eq!(figure(&svg, &format!("phase:{code}:actual_end")), Some(p["actual_end"].as_str().map_or_else(|| "–".to_owned(), czech_date)), "{code}");
            let state = figure(&svg, &format!("phase:{code}:state")).expect("state");
            let expected = match p["state"].as_str().expect("state") {
                "not_started" => "nezahájeno",
                "on_time" => "probíhá včas",
                "late" => "zpožděno",
                "done_late" => "dokončeno pozdě",
                _ => "dokončeno",
            };
            assert_eq!(state, expected, "{code} on {as_of}");
        }
    }
    // The demo's predefined measure is late by mid-2020 (see the cooperation tests): marked.
    let json = app.get(&format!("/api/v1/cooperations/{id}/timeline?as_of=2020-06-30"), Some(&admin)).await;
    assert_eq!(json.body["summary"]["late"], true, "{}", json.body);
    let en = body(&app.get(&format!("/api/v1/cooperations/{id}/timeline.svg?as_of=2020-06-30&lang=en"), Some(&admin)).await);
    assert!(en.contains("⚠") && en.contains(">late<") && en.contains("30 June 2020") && en.contains("Cooperation timeline"), "{en}");
    // Access as the JSON.
    let zluticko = partnership_named(&app, "zluticko").await;
    let stranger = app.token(Role::Partner, &[&zluticko], None);
    app.get(&format!("/api/v1/cooperations/{id}/timeline.svg"), Some(&stranger)).await.problem(404);
    app.get(&format!("/api/v1/cooperations/{id}/timeline.svg"), None).await.problem(401);
}

#[tokio::test]
async fn charts_of_a_cooperation_without_events_and_a_plan_without_budget_draw() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Prázdná", "municipality", None).await;
    let p = app.partnership(&admin, "LP <Prázdná> & spol.", &[&unit]).await;
    let coop = app.create("/api/v1/cooperations", &admin, json!({"partnership_id": p, "start_on": "2024-01-01", "template": "rozvoj_systemu_24"})).await;
    let svg = body(&app.get(&format!("/api/v1/cooperations/{coop}/timeline.svg?as_of=2023-12-01"), Some(&admin)).await);
    assert!(svg.starts_with("<svg") && svg.contains("nezahájeno"));
    assert_eq!(number(&svg, "days_late"), Some(0.0));
    let svg = body(&app.get(&format!("/api/v1/cooperations/{coop}/timeline.svg?as_of=2025-01-01&lang=en"), Some(&admin)).await);
    assert!(svg.contains(">late<"), "nothing happened, a year on");

    // A plan with a goal and a measure without budget or indicator values.
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{p}/strategic-plans"),
            &admin,
            json!({"title": "Plán bez rozpočtu", "valid_from": "2024-01-01", "valid_to": "2026-12-31"}),
        )
        .await;
    let goal = app
        .create(
            &format!("/api/v1/strategic-plans/{plan}/goals"),
            &admin,
            json!({"code": "1", "title": "Bydlení", "thematic_area": "housing", "level": "global"}),
        )
        .await;
    let measure = app
        .create(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &admin,
            json!({"goal_id": goal, "code": "1.1", "title": "Sociální byty", "thematic_area": "housing", "deadline": "2025-06-30",
                   "indicators": [{"key": "B1", "name": "Byty", "kind": "count", "ascending": true, "baseline_value": 0.0, "target_value": 10.0}]}),
        )
        .await;
    for lang in ["cs", "en"] {
        for path in [
            format!("/api/v1/strategic-plans/{plan}/fulfilment.svg?lang={lang}"),
            format!("/api/v1/strategic-plans/{plan}/report?lang={lang}&as_of=2025-12-31"),
            format!("/api/v1/measures/{measure}/indicators/B1/chart.svg?lang={lang}"),
            format!("/api/v1/partnerships/{p}/report?lang={lang}"),
            format!("/api/v1/reports/portfolio?lang={lang}"),
        ] {
            let res = app.get(&path, Some(&admin)).await;
            assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
            let text = body(&res);
            assert!(text.contains("LP &lt;Prázdná&gt; &amp; spol.") || !path.contains("portfolio"), "escaped: {path}");
        }
    }
    let svg = body(&app.get(&format!("/api/v1/measures/{measure}/indicators/B1/chart.svg"), Some(&admin)).await);
    assert!(figure(&svg, "no_values").is_some());
    assert_eq!(figure(&svg, "actual").as_deref(), Some("–"));
    // An empty plan's monitoring page.
    let empty = app
        .create(&format!("/api/v1/partnerships/{p}/strategic-plans"), &admin, json!({"title": "Prázdný", "valid_from": "2027-01-01", "valid_to": "2028-12-31"}))
        .await;
    let page = app.get(&format!("/api/v1/strategic-plans/{empty}/report"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(body(&page).contains("Plán nemá žádné cíle."));
}

#[tokio::test]
async fn the_plan_report_page_shows_the_monitoring_of_the_json() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let rozvodi = partnership_named(&app, "rozvodi").await;
    let plan = first_plan(&app, &rozvodi).await;
    let json = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2022-12-31"), Some(&admin)).await;
    assert_eq!(
        json.header("link").as_deref(),
        Some(
            format!(
                "</api/v1/strategic-plans/{plan}/fulfilment.svg>; rel=\"alternate\"; type=\"image/svg+xml\", </api/v1/strategic-plans/{plan}/report>; rel=\"alternate\"; type=\"text/html\""
            )
            .as_str()
        )
    );
    let res = app.get(&format!("/api/v1/strategic-plans/{plan}/report?as_of=2022-12-31"), Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let html = body(&res);
    assert!(html.contains("<svg") && html.contains("Monitorovací zpráva") && html.contains("31. 12. 2022") && !html.contains("<script"));
    for key in ["total", "completed", "overdue", "unreported"] {
        assert_eq!(number(&html, key), json.body["counts"][key].as_f64(), "{key}");
    }
    assert_eq!(number(&html, "share_completed"), json.body["share_completed"].as_f64());
    let overdue = json.body["overdue_measures"].as_array().expect("overdue");
    assert!(!overdue.is_empty(), "the demo has overdue measures by 2022");
    for o in overdue {
        assert!(html.contains(o["title"].as_str().expect("title")));
    }
    assert!(html.contains("zpožděno") && html.contains("20 %") && html.contains("30. 6. 2020"), "status, progress and date of the last report");
    let en = body(&app.get(&format!("/api/v1/strategic-plans/{plan}/report?as_of=2022-12-31&lang=en"), Some(&admin)).await);
    assert!(en.contains("Monitoring report") && en.contains("delayed") && en.contains("30 June 2020") && !en.contains("Monitorovací"));
    assert_eq!(number(&en, "share_completed"), json.body["share_completed"].as_f64());
    // Monitoring is not public.
    let zluticko = partnership_named(&app, "zluticko").await;
    let stranger = app.token(Role::Partner, &[&zluticko], None);
    app.get(&format!("/api/v1/strategic-plans/{plan}/report"), Some(&stranger)).await.problem(404);
    app.get(&format!("/api/v1/strategic-plans/{plan}/report"), None).await.problem(401);
    let own = app.token(Role::Partner, &[&rozvodi], None);
    assert_eq!(app.get(&format!("/api/v1/strategic-plans/{plan}/report"), Some(&own)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_portfolio_lists_what_the_caller_reads_with_its_state() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let rozvodi = partnership_named(&app, "rozvodi").await;
    let zluticko = partnership_named(&app, "zluticko").await;
    let res = app.get("/api/v1/reports/portfolio?as_of=2020-06-30", Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let html = body(&res);
    assert!(html.contains(&rozvodi) && html.contains(&zluticko) && html.contains("Lokální partnerství Rozvodí"));
    // Žluticko, Rozvodí and the two partnerships of the 2014 recruitment (handed over).
    assert_eq!(number(&html, "partnerships"), Some(4.0));
    let listed = app.get(&format!("/api/v1/cooperations?as_of=2020-06-30&partnership_id={rozvodi}"), Some(&admin)).await;
    let state = &listed.body["items"][0]["state"];
    assert_eq!(state["late"], true);
    assert_eq!(number(&html, "late"), Some(1.0));
    // Rozvodí's row carries the late days (the 2014 partnerships' rows read 0).
    assert!(html.contains(&format!("<span data-name=\"days_late\">{}</span>", state["days_late"])), "{html}");
    let fulfilment = app.get(&format!("/api/v1/strategic-plans/{}/fulfilment?as_of=2020-06-30", first_plan(&app, &rozvodi).await), Some(&admin)).await;
    assert_eq!(number(&html, "overdue"), fulfilment.body["counts"]["overdue"].as_f64());
    let en = body(&app.get("/api/v1/reports/portfolio?as_of=2020-06-30&lang=en", Some(&admin)).await);
    assert!(en.contains("Portfolio of local partnerships") && en.contains("running"));

    // A partner sees only its own partnership; nobody without a token.
    let partner = app.token(Role::Partner, &[&zluticko], None);
    let own = body(&app.get("/api/v1/reports/portfolio", Some(&partner)).await);
    assert!(own.contains(&zluticko) && !own.contains(&rozvodi) && !own.contains("Rozvodí"), "{own}");
    assert_eq!(number(&own, "partnerships"), Some(1.0));
    app.get("/api/v1/reports/portfolio", None).await.problem(401);
}

#[tokio::test]
async fn a_signed_link_opens_exactly_its_page_until_it_expires() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let rozvodi = partnership_named(&app, "rozvodi").await;
    let zluticko = partnership_named(&app, "zluticko").await;
    let plan = first_plan(&app, &rozvodi).await;
    let page = format!("/api/v1/strategic-plans/{plan}/report");

    let minted = mint(&app, &admin, &format!("{page}?lang=en&as_of=2022-12-31"), None).await;
    let path = link_path(&minted);
    let url = minted.body["url"].as_str().expect("url");
    assert!(url.starts_with(&app.base) && url.ends_with(&path) && path.starts_with(&format!("{page}?lang=en&as_of=2022-12-31&exp=")));
    assert!(!path.contains("admin-user"), "no subject in the link");
    let expires = chrono::DateTime::parse_from_rfc3339(minted.body["expires_at"].as_str().expect("expires_at")).expect("a time");
    let ttl = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!((590..=601).contains(&ttl), "10 minutes by default: {ttl}");

    // Opened without a token: the minter's view.
    let res = app.get(&path, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = body(&res);
    assert!(html.contains("Monitoring report") && html.contains("<svg"));
    assert_eq!(res.header("cache-control").as_deref(), Some("private, no-store"));
    // Its language and day may change; its path may not.
    assert!(body(&app.get(&path.replace("lang=en", "lang=cs"), None).await).contains("Monitorovací zpráva"));
    let (_, params) = path.split_once('?').expect("query");
    let sig_params = &params[params.find("exp=").expect("exp")..];
    for other in
        [format!("/api/v1/strategic-plans/{plan}/fulfilment.svg"), format!("/api/v1/partnerships/{rozvodi}/report"), "/api/v1/reports/portfolio".to_owned()]
    {
        let res = app.get(&format!("{other}?{sig_params}"), None).await;
        let problem = res.problem(401);
        assert_eq!(problem["type"], "urn:inclusion:problem:unauthorized", "{other}");
    }
    // Altered: the signature, the expiry, the grant.
    let sig = sig_params.split("sig=").nth(1).expect("sig");
    let last = if sig.ends_with('A') { "B" } else { "A" };
    let flipped = format!("{}{last}", &sig[..sig.len() - 1]);
    app.get(&path.replace(sig, &flipped), None).await.problem(401);
    let exp: u64 = sig_params.trim_start_matches("exp=").split('&').next().expect("exp").parse().expect("a number");
    app.get(&path.replace(&format!("exp={exp}"), &format!("exp={}", exp + 3000)), None).await.problem(401);
    app.get(&path.replace(&format!("exp={exp}"), &format!("exp={}", exp - 1000)), None).await.problem(401);
    let admin_grant = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"s":"x","r":"admin"}"#);
    let (_, tag) = sig.split_once('.').expect("grant.tag");
    app.get(&path.replace(sig, &format!("{admin_grant}.{tag}")), None).await.problem(401);
    app.get(&format!("{page}?exp={exp}"), None).await.problem(401);
    // Expired: minted for two seconds (`exp` is whole seconds, so a one-second link may lapse
    // before the next request when a second boundary falls between them).
    let short = link_path(&mint(&app, &admin, &page, Some(2)).await);
    assert_eq!(app.get(&short, None).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let expired = app.get(&short, None).await;
    assert!(expired.problem(401)["detail"].as_str().is_some_and(|d| d.contains("expired")));

    // Minting: only what the caller may open now, only pages, a bounded validity.
    let stranger = app.token(Role::Partner, &[&zluticko], None);
    mint(&app, &stranger, &page, None).await.problem(404);
    mint(&app, &stranger, "/api/v1/reports/pipeline.svg", None).await.problem(403);
    mint(&app, &admin, "/api/v1/partnerships", None).await.problem(422);
    mint(&app, &admin, "/api/v1/people/0190b0c0-0000-7000-8000-000000000000", None).await.problem(422);
    mint(&app, &admin, "https://evil.example/api/v1/reports/portfolio", None).await.problem(422);
    mint(&app, &admin, &page, Some(7200)).await.problem(422);
    mint(&app, &admin, &page, Some(0)).await.problem(422);
    mint(&app, &admin, &format!("{page}?lang=de"), None).await.problem(400);
    mint(&app, &admin, &format!("{page}?exp=1&sig=x"), None).await.problem(400);
    let anonymous = app.send(reqwest::Method::POST, "/api/v1/links", None, Some(&json!({"path": page})), &[]).await;
    anonymous.problem(401);
    assert!(!link_path(&mint(&app, &admin, &page, Some(3600)).await).is_empty(), "an hour at most");

    // A partner's link grants the partner's view: its own partnership's monitoring and
    // portfolio, nothing of another partnership.
    let own = app.token(Role::Partner, &[&rozvodi], None);
    let report = link_path(&mint(&app, &own, &format!("/api/v1/partnerships/{rozvodi}/report"), None).await);
    assert!(body(&app.get(&report, None).await).contains("<svg"), "the partner's monitoring");
    let portfolio = body(&app.get(&link_path(&mint(&app, &own, "/api/v1/reports/portfolio", None).await), None).await);
    assert!(portfolio.contains(&rozvodi) && !portfolio.contains(&zluticko));
    let public = link_path(&mint(&app, &stranger, &format!("/api/v1/partnerships/{rozvodi}/report"), None).await);
    let public = body(&app.get(&public, None).await);
    assert!(public.contains("Rozvodí") && !public.contains("<svg") && !public.contains("Pracovní skupiny"), "a stranger's link shows the public parts");
}

#[tokio::test]
async fn json_resources_link_to_their_pages_and_the_new_paths_answer_options() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let rozvodi = partnership_named(&app, "rozvodi").await;
    let res = app.get(&format!("/api/v1/partnerships/{rozvodi}"), None).await;
    assert_eq!(res.header("link").as_deref(), Some(format!("</api/v1/partnerships/{rozvodi}/report>; rel=\"alternate\"; type=\"text/html\"").as_str()));
    assert!(res.header("etag").is_some());
    let res = app.get("/api/v1/reports/pipeline", Some(&admin)).await;
    assert_eq!(res.header("link").as_deref(), Some("</api/v1/reports/pipeline.svg>; rel=\"alternate\"; type=\"image/svg+xml\""));
    let id = "0190b0c0-0000-7000-8000-000000000000";
    for path in [
        format!("/api/v1/strategic-plans/{id}/report"),
        "/api/v1/reports/portfolio".to_owned(),
        format!("/api/v1/cooperations/{id}/timeline.svg"),
        format!("/api/v1/measures/{id}/indicators/I1/chart.svg"),
    ] {
        let res = app.send(reqwest::Method::OPTIONS, &path, None, None, &[]).await;
        assert_eq!(res.header("allow").as_deref(), Some("GET, HEAD, OPTIONS"), "{path}");
        let res = app.send(reqwest::Method::POST, &path, Some(&admin), Some(&json!({})), &[]).await;
        assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    let res = app.send(reqwest::Method::OPTIONS, "/api/v1/links", None, None, &[]).await;
    assert_eq!(res.header("allow").as_deref(), Some("POST, OPTIONS"));
    let _: Value = app.get(&format!("/api/v1/strategic-plans/{id}/report"), Some(&admin)).await.problem(404).clone();
}

#[tokio::test]
async fn a_browser_front_end_may_read_the_link_header() {
    let app = crate::helpers::try_spawn_app_with(|s| s.cors_origins = vec!["https://app.example".into()]).await.expect("a server");
    let res = app.send(reqwest::Method::GET, "/api/v1/reports/pipeline", Some(&app.admin()), None, &[("Origin", "https://app.example")]).await;
    assert_eq!(res.status, StatusCode::OK);
    let exposed = res.header("access-control-expose-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(exposed.split(',').any(|h| h.trim() == "link"), "{exposed}");
}

#[tokio::test]
async fn the_partnership_report_shows_its_readers_recent_meetings_and_the_cooperation_never_who_attended() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Horní Dolní", "municipality", None).await;
    let p = app.partnership(&admin, "LP Horní Dolní", &[&unit]).await;
    let org = app.org(&admin, "Charita Horní Dolní", "ngo", None).await;
    let jana = app.person(&admin, "Jana Testovací", &org).await;
    app.create(
        &format!("/api/v1/partnerships/{p}/meetings"),
        &admin,
        json!({"title": "Setkání partnerů", "starts_at": "2024-03-05T13:00:00Z", "minutes": "Jana Testovací představila záměr.",
               "attendance": [{"person_id": jana, "status": "present"}],
               "resolutions": [{"number": 1, "text": "Partnerství ustavuje pracovní skupinu Bydlení."}]}),
    )
    .await;
    app.create("/api/v1/cooperations", &admin, json!({"partnership_id": p, "start_on": "2024-01-01", "template": "standard_36"})).await;
    let path = format!("/api/v1/partnerships/{p}/report?as_of=2024-06-30");
    let html = body(&app.get(&path, Some(&admin)).await);
    assert!(
        html.contains("Poslední jednání") && html.contains("5. 3. 2024") && html.contains("Setkání partnerů") && html.contains("ustavuje pracovní skupinu")
    );
    assert!(html.contains("Spolupráce s Agenturou") && html.contains("Harmonogram spolupráce"), "the cooperation's Gantt chart");
    assert!(!html.contains("Jana") && !html.contains("Testovací"), "neither attendance nor minutes: {html}");
    // Before the meeting: none yet.
    assert!(body(&app.get(&format!("/api/v1/partnerships/{p}/report?as_of=2024-03-04"), Some(&admin)).await).contains("Žádná jednání."));
    let public = body(&app.get(&path, None).await);
    assert!(!public.contains("Setkání partnerů") && !public.contains("Poslední jednání") && !public.contains("Harmonogram") && !public.contains("<svg"));
    let en = body(&app.get(&format!("{path}&lang=en"), Some(&admin)).await);
    assert!(en.contains("Recent meetings") && en.contains("5 March 2024") && en.contains("Cooperation timeline"));
}

/// The "Rozvoj systémů" chart: each of the five indicators' value, fraction, target and verdict
/// as the JSON has them (the demo's project, two days, both languages); access as the JSON.
#[tokio::test]
async fn the_support_project_chart_shows_the_five_indicators_of_the_json() {
    let app = spawn_app_with_demo().await;
    let reporter = app.token(Role::Reporter, &[], None);
    let listed = app.get("/api/v1/support-projects", Some(&reporter)).await;
    let id = listed.body["items"][0]["id"].as_str().expect("the demo's support project").to_owned();
    for as_of in ["2024-06-30", "2025-06-30"] {
        let json = app.get(&format!("/api/v1/support-projects/{id}/indicators?as_of={as_of}"), Some(&reporter)).await;
        assert_eq!(json.status, StatusCode::OK, "{}", json.body);
        assert_eq!(
            json.header("link").as_deref(),
            Some(format!("</api/v1/support-projects/{id}/indicators.svg>; rel=\"alternate\"; type=\"image/svg+xml\"").as_str())
        );
        let indicators = json.body["indicators"].as_array().expect("indicators");
        assert_eq!(indicators.len(), 5);
        for lang in ["cs", "en"] {
            let res = app.get(&format!("/api/v1/support-projects/{id}/indicators.svg?as_of={as_of}&lang={lang}"), Some(&reporter)).await;
            assert_eq!(res.status, StatusCode::OK);
            assert_eq!(res.header("content-type").as_deref(), Some("image/svg+xml"));
            let svg = body(&res);
            assert!(svg.starts_with("<svg") && svg.contains("<title") && svg.contains("<desc"), "{svg}");
            for i in indicators {
                let code = i["code"].as_str().expect("code");
                match (number(&svg, &format!("value:{code}")), i["value"].as_f64()) {
                    (Some(drawn), Some(value)) => assert!((drawn - value).abs() < 0.051, "{as_of} {code}: {drawn} vs {value}"),
                    (drawn, value) => assert_eq!(drawn, value, "{as_of} {code}"),
                }
                let fraction = match i["denominator"].as_u64() {
                    Some(d) => format!("{} / {d}", i["numerator"]),
                    None => i["numerator"].to_string(),
                };
                assert_eq!(figure(&svg, &format!("fraction:{code}")), Some(fraction), "{code}");
                let target = figure(&svg, &format!("target:{code}")).expect("target");
                assert!(target.contains(&i["target"].to_string()), "{target}");
                let verdict = figure(&svg, &format!("met:{code}")).expect("verdict");
                let met = if lang == "cs" { ["splněn", "nesplněn"] } else { ["met", "not met"] };
                assert_eq!(verdict, if i["met"] == true { met[0] } else { met[1] }, "{code}");
            }
            let met = indicators.iter().filter(|i| i["met"] == true).count();
            assert!(figure(&svg, "met_count").expect("met count").contains(&format!("{met} / 5")));
        }
    }
    // Access as the JSON: a partner 403 on both, no token 401.
    let zluticko = crate::views::partnership_named(&app, "zluticko").await;
    let partner = app.token(Role::Partner, &[&zluticko], None);
    assert_eq!(app.get(&format!("/api/v1/support-projects/{id}/indicators"), Some(&partner)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v1/support-projects/{id}/indicators.svg"), Some(&partner)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v1/support-projects/{id}/indicators.svg"), None).await.status, StatusCode::UNAUTHORIZED);
    // A signed link opens it for a browser.
    let link = mint(&app, &reporter, &format!("/api/v1/support-projects/{id}/indicators.svg"), None).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    assert_eq!(app.get(&link_path(&link), None).await.status, StatusCode::OK);
}

/// One credential per request: a signed link's parameters beside a bearer token are a 400
/// (they would go unchecked), and an `exp` beyond the documented int64 range is refused.
#[tokio::test]
async fn a_page_takes_a_token_or_a_link_not_both() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let path = "/api/v1/reports/portfolio";
    let link = mint(&app, &admin, path, None).await;
    let linked = link_path(&link);
    assert_eq!(app.get(&linked, None).await.status, StatusCode::OK);
    assert_eq!(app.get(&linked, Some(&admin)).await.error_code("sig").as_deref(), Some("both_credentials"));
    assert_eq!(app.get(&format!("{path}?exp=9223372036854775808"), Some(&admin)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&format!("{path}?exp=-1&sig=x"), None).await.status, StatusCode::UNAUTHORIZED);
}
