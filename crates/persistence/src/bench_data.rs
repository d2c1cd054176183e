//! A synthetic dataset of realistic volume for `make bench`: bulk inserts, not the API, so
//! that filling 70,000 rows takes seconds. Deterministic, so runs are comparable.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use domain::codelist::{
    Coded, FundingSource, GoalLevel, IndicatorAggregation, IndicatorKind, MeasureKind, OrganizationKind, PartnershipStatus, PlanStatus, ProgressStatus,
    ProjectStatus, Region, TerritorialUnitKind, ThematicArea,
};
use domain::esif::{CallData, ProjectBudget, ProjectData, ProjectSteps};
use domain::money::Money;
use domain::plan::{Approval, BudgetLine, GoalData, Indicator, MeasureData, PlanData};
use domain::search::search_text;
use sea_orm::{EntityTrait, Set};
use uuid::Uuid;

use crate::convert::now;
use crate::entities::{
    JsonOf, meeting, membership, operational_programme, organization, partnership, partnership_territorial_unit as ptu, person, territorial_unit, working_group,
};
use crate::esif;
use crate::plans::{self, IndicatorValue, NewReport, StatusChange};
use crate::{Actor, Store, StoreError};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    pub partnerships: usize,
    pub organizations: usize,
    pub people: usize,
    pub meetings: usize,
    /// Measures in each partnership's plan in force (0: no plans, projects or calls).
    pub measures_per_plan: usize,
    /// ESIF projects, spread over the partnerships and the calls.
    pub projects: usize,
}

/// Rows per INSERT (the widest entity binds ~20 values a row).
const CHUNK: usize = 400;

async fn insert_chunks<A>(tx: &crate::WriteTx, rows: Vec<A>) -> Result<(), StoreError>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    crate::convert::insert_in_chunks(tx.conn(), rows, CHUNK).await
}

/// Fills an empty database.
pub async fn fill(store: &Store, v: Volume) -> Result<(), StoreError> {
    esif::ensure_reference_programmes(store).await?;
    let tx = store.begin(Actor { subject: "bench".into(), role: "admin".into(), request_id: "bench".into() }).await?;
    let at = now();
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        usize::try_from(seed >> 33).unwrap_or(0) % n.max(1)
    };
    let regions = Region::ALL;
    let words =
        ["Žlutice", "Valeč", "Rozvodí", "Bečov", "Toužim", "Chyše", "Ústí", "Šluknov", "Krupka", "Most", "Kadaň", "Jirkov", "Přerov", "Bruntál", "Vítkov"];

    let units: Vec<(Uuid, Region)> = (0..v.partnerships * 2).map(|i| (Uuid::now_v7(), regions[i % regions.len()])).collect();
    insert_chunks(
        &tx,
        units
            .iter()
            .enumerate()
            .map(|(i, (id, region))| {
                let name = format!("{} {}", words[i % words.len()], i);
                territorial_unit::ActiveModel {
                    id: Set(*id),
                    version: Set(1),
                    created_at: Set(at),
                    updated_at: Set(at),
                    archived_at: Set(None),
                    external_ref: Set(None),
                    kind: Set(TerritorialUnitKind::Municipality.code().into()),
                    sort_name: Set(domain::search::fold(&name)),
                    search_text: Set(search_text([name.as_str()])),
                    name: Set(name),
                    municipality_code: Set(None),
                    region: Set(region.code().into()),
                    population: Set(Some(i64::try_from(1000 + i).unwrap_or(0))),
                }
            })
            .collect(),
    )
    .await?;

    let orgs: Vec<Uuid> = (0..v.organizations).map(|_| Uuid::now_v7()).collect();
    let kinds = OrganizationKind::ALL;
    insert_chunks(
        &tx,
        orgs.iter()
            .enumerate()
            .map(|(i, id)| {
                let name = format!("Organizace {} {}", words[i % words.len()], i);
                organization::ActiveModel {
                    id: Set(*id),
                    version: Set(1),
                    created_at: Set(at),
                    updated_at: Set(at),
                    archived_at: Set(None),
                    external_ref: Set(None),
                    sort_name: Set(domain::search::fold(&name)),
                    search_text: Set(search_text([name.as_str()])),
                    name: Set(name),
                    kind: Set(kinds[i % kinds.len()].code().into()),
                    ico: Set(None),
                    address: Set(None),
                    web: Set(None),
                }
            })
            .collect(),
    )
    .await?;

    insert_chunks(
        &tx,
        (0..v.people)
            .map(|i| {
                let name = format!("Osoba {i}");
                person::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    version: Set(1),
                    created_at: Set(at),
                    updated_at: Set(at),
                    archived_at: Set(None),
                    external_ref: Set(None),
                    sort_name: Set(domain::search::fold(&name)),
                    search_text: Set(search_text([name.as_str()])),
                    name: Set(name),
                    email: Set(None),
                    phone: Set(None),
                    organization_id: Set(orgs.get(i % orgs.len().max(1)).copied()),
                    job_title: Set(None),
                }
            })
            .collect(),
    )
    .await?;

    let statuses = PartnershipStatus::ALL;
    let status_of = |i: usize| statuses[if i.is_multiple_of(4) { i / 4 % statuses.len() } else { 1 }];
    let partnerships: Vec<Uuid> = (0..v.partnerships).map(|_| Uuid::now_v7()).collect();
    insert_chunks(
        &tx,
        partnerships
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let name = format!("Lokální partnerství {} {}", words[i % words.len()], i);
                partnership::ActiveModel {
                    id: Set(*id),
                    version: Set(1),
                    created_at: Set(at),
                    updated_at: Set(at),
                    archived_at: Set(None),
                    external_ref: Set(None),
                    sort_name: Set(domain::search::fold(&name)),
                    search_text: Set(search_text([name.as_str()])),
                    name: Set(name),
                    // Mostly active, as in reality.
                    status: Set(status_of(i).code().into()),
                    established_on: Set(None),
                    memorandum_signed_on: Set(None),
                    founding_act: Set(None),
                    territorial_unit_ids: Set(JsonOf(vec![units[2 * i].0, units[2 * i + 1].0])),
                    consultant_ids: Set(JsonOf(Vec::new())),
                    regions: Set(crate::partnerships::regions_text(vec![units[2 * i].1.to_string(), units[2 * i + 1].1.to_string()])),
                }
            })
            .collect(),
    )
    .await?;
    insert_chunks(
        &tx,
        partnerships
            .iter()
            .enumerate()
            .flat_map(|(i, p)| [units[2 * i].0, units[2 * i + 1].0].map(|u| ptu::ActiveModel { partnership_id: Set(*p), territorial_unit_id: Set(u) }))
            .collect(),
    )
    .await?;

    // About fifteen members per partnership, drawn from the organizations.
    let mut members = Vec::new();
    let mut members_of: Vec<Vec<Uuid>> = Vec::with_capacity(partnerships.len());
    for p in &partnerships {
        let mut chosen = std::collections::BTreeSet::new();
        for _ in 0..15 {
            chosen.insert(orgs[next(orgs.len())]);
        }
        members_of.push(chosen.iter().copied().collect());
        for o in chosen {
            members.push(membership::ActiveModel {
                id: Set(Uuid::now_v7()),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                archived_at: Set(None),
                partnership_id: Set(*p),
                organization_id: Set(o),
                joined_on: Set(chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default()),
                left_on: Set(None),
                note: Set(None),
            });
        }
    }
    insert_chunks(&tx, members).await?;

    let start = Utc.with_ymd_and_hms(2015, 1, 1, 9, 0, 0).single().unwrap_or_else(Utc::now);
    let areas = ThematicArea::ALL;
    insert_chunks(
        &tx,
        (0..v.meetings)
            .map(|i| {
                let title = format!("Setkání {} ({})", i, areas[i % areas.len()].code());
                meeting::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    version: Set(1),
                    created_at: Set(at),
                    updated_at: Set(at),
                    archived_at: Set(None),
                    external_ref: Set(None),
                    partnership_id: Set(partnerships[i % partnerships.len().max(1)]),
                    working_group_id: Set(None),
                    search_text: Set(search_text([title.as_str()])),
                    title: Set(title),
                    starts_at: Set(start + Duration::days(i64::try_from(next(3650)).unwrap_or(0))),
                    ends_at: Set(None),
                    place: Set(Some("Obecní úřad".into())),
                    agenda: Set(serde_json::json!(["Úvod", "Pracovní skupiny", "Různé"])),
                    minutes: Set(Some("Zápis z jednání.".into())),
                    resolutions: Set(serde_json::json!([])),
                }
            })
            .collect(),
    )
    .await?;
    if v.measures_per_plan > 0 && !partnerships.is_empty() {
        let working: Vec<bool> = (0..partnerships.len()).map(|i| matches!(status_of(i), PartnershipStatus::Active | PartnershipStatus::HandedOver)).collect();
        plans_and_projects(&tx, &v, &partnerships, &working, &members_of, &mut next).await?;
    }
    tx.commit().await?;
    // A bulk load leaves PostgreSQL without statistics until autovacuum analyses the tables
    // (never, where autovacuum is off, as on the CI machine): the planner then guesses, and
    // the measures list ran at 17 req/s instead of 1,300. Analyse once, as after any bulk load.
    if store.backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::ConnectionTrait;
        store.conn().execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn czk(amount_minor: i64) -> Money {
    Money { amount_minor, currency: "CZK".into() }
}

/// Working groups, one plan per partnership (in force where the partnership is working:
/// active or handed over; a draft where it is forming or ended), each with two goal levels and
/// `measures_per_plan` measures with an indicator, a budget and progress reports (some
/// overdue), ESIF calls and projects along the pipeline. Plans, goals, calls and projects are
/// written through the repositories; measures and reports are rows built by the repositories'
/// own row builders and inserted in bulk, so every row is what the API would have written.
async fn plans_and_projects(
    tx: &crate::WriteTx,
    v: &Volume,
    partnerships: &[Uuid],
    working: &[bool],
    members_of: &[Vec<Uuid>],
    next: &mut impl FnMut(usize) -> usize,
) -> Result<(), StoreError> {
    let at = now();
    let areas = ThematicArea::ALL;
    let mut groups = Vec::new();
    for (i, p) in partnerships.iter().enumerate() {
        for g in 0..2 {
            let area = areas[(i + g) % areas.len()];
            let name = format!("Pracovní skupina {} {}", area.code(), g + 1);
            groups.push(working_group::ActiveModel {
                id: Set(Uuid::now_v7()),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                archived_at: Set(None),
                external_ref: Set(None),
                partnership_id: Set(*p),
                thematic_area: Set(area.code().into()),
                coordinator_id: Set(None),
                sort_name: Set(domain::search::fold(&name)),
                search_text: Set(search_text([name.as_str()])),
                name: Set(name),
            });
        }
    }
    insert_chunks(tx, groups).await?;

    // Measures of each plan, for the projects below. Plans and goals go through the
    // repositories; measures and their reports, 45,000 rows, are written in bulk from the rows
    // the repositories would write (one statement per row made PostgreSQL's load take minutes).
    let mut measures_of: Vec<Vec<Uuid>> = Vec::with_capacity(partnerships.len());
    let mut measure_rows = Vec::with_capacity(partnerships.len() * v.measures_per_plan);
    let mut report_rows = Vec::new();
    for (i, p) in partnerships.iter().enumerate() {
        let data = PlanData {
            partnership_id: *p,
            title: format!("Strategický plán sociálního začleňování {i}"),
            valid_from: day(2024, 1, 1),
            valid_to: day(2029, 12, 31),
            analysis_id: None,
        };
        let plan = plans::create_plan(tx, data).await?;
        let approval = |d: NaiveDate, n: &str| Some(Approval { date: d, resolution_number: format!("{n}/{i}/2023") });
        let change = StatusChange {
            submitted_on: Some(day(2023, 10, 2)),
            council: approval(day(2023, 11, 6), "RM"),
            assembly: approval(day(2023, 12, 11), "ZM"),
            ..Default::default()
        };
        let plan = if working[i] { plans::set_plan_status(tx, &plan, PlanStatus::InForce, change).await? } else { plan };
        let global = GoalData {
            code: "1".into(),
            title: "Sociální začleňování v lokalitě".into(),
            thematic_area: None,
            level: GoalLevel::Global,
            parent_goal_id: None,
            description: None,
        };
        let global = plans::create_goal(tx, plan.meta.id, global).await?;
        let mut goals = Vec::new();
        for g in 0..3 {
            let area = areas[(i + g) % areas.len()];
            let data = GoalData {
                code: format!("1.{}", g + 1),
                title: format!("Specifický cíl {} ({})", g + 1, area.code()),
                thematic_area: Some(area),
                level: GoalLevel::Specific,
                parent_goal_id: Some(global.meta.id),
                description: None,
            };
            goals.push((plans::create_goal(tx, plan.meta.id, data).await?.meta.id, area));
        }
        let members = &members_of[i];
        let mut measures = Vec::with_capacity(v.measures_per_plan);
        for m in 0..v.measures_per_plan {
            let (goal_id, area) = goals[m % goals.len()];
            // Deadlines from mid-2025 to 2029: the earlier ones are overdue unless completed.
            let deadline = day(2025, 6, 30) + Duration::days(i64::try_from((m * 97 + i * 13) % 1600).unwrap_or(0));
            let data = MeasureData {
                external_ref: None,
                goal_id,
                kind: MeasureKind::Measure,
                parent_measure_id: None,
                code: format!("1.{}.{}", m % goals.len() + 1, m / goals.len() + 1),
                title: format!("Opatření {} {}", m + 1, area.code()),
                description: Some("Popis opatření pro srovnávací data.".into()),
                thematic_area: area,
                need_ids: Vec::new(),
                responsible_organization_id: members.get(m % members.len().max(1)).copied(),
                co_implementer_ids: Vec::new(),
                starts_on: Some(day(2024, 1, 1)),
                deadline: Some(deadline),
                budget: vec![BudgetLine { source: FundingSource::Esif, amount: czk(10_000_000 * i64::try_from(1 + m % 7).unwrap_or(1)), call_reference: None }],
                predefined_activity: m == 0,
                indicators: vec![Indicator {
                    key: "clients".into(),
                    name: "Počet podpořených osob".into(),
                    unit: Some("osob".into()),
                    kind: IndicatorKind::Count,
                    ascending: true,
                    baseline_value: Some(0.0),
                    baseline_year: Some(2023),
                    target_value: Some(40.0),
                    target_text: None,
                    target_date: Some(deadline),
                    aggregation: IndicatorAggregation::Cumulative,
                    measure: None,
                }],
            };
            let id = Uuid::now_v7();
            let mut row = plans::new_measure_row(id, plan.meta.id, *p, &data, at);
            // Three in four measures of a plan in force have been reported on, once or twice,
            // in the order of their dates: the last one is the measure's current state.
            for r in 0..if working[i] { (m % 4).min(2) } else { 0 } {
                let status = [ProgressStatus::InProgress, ProgressStatus::Completed, ProgressStatus::Delayed][next(3)];
                let percent = if status == ProgressStatus::Completed { 100 } else { i32::try_from(next(90)).unwrap_or(0) };
                let reported_on = day(2024, 6, 30) + Duration::days(i64::try_from(r * 180 + next(60)).unwrap_or(0));
                let report = NewReport {
                    reported_on,
                    status,
                    percent_done: percent,
                    indicator_values: vec![IndicatorValue {
                        indicator_key: "clients".into(),
                        value: Some(f64::from(percent) * 0.4),
                        text: None,
                        period_from: None,
                        period_to: None,
                    }],
                    comment: None,
                    author_subject: "bench".into(),
                    author_person_id: None,
                    external_ref: None,
                };
                row.current_status = Set(Some(status.to_string()));
                row.current_percent = Set(Some(percent));
                row.last_reported_on = Set(Some(reported_on));
                report_rows.push(plans::report_row(id, plan.meta.id, *p, report, at));
            }
            measure_rows.push(row);
            measures.push(id);
        }
        measures_of.push(measures);
    }
    insert_chunks(tx, measure_rows).await?;
    insert_chunks(tx, report_rows).await?;

    let programmes: Vec<Uuid> = operational_programme::Entity::find().all(tx.conn()).await?.into_iter().map(|p| p.id).collect();
    let mut calls = Vec::new();
    for (i, programme) in programmes.iter().cycle().take(programmes.len().max(1) * 5).enumerate().filter(|_| !programmes.is_empty()) {
        let opens = Utc.with_ymd_and_hms(2024, 1 + u32::try_from(i % 12).unwrap_or(0), 1, 8, 0, 0).single().unwrap_or(at);
        let data = CallData {
            external_ref: None,
            programme_id: *programme,
            number: format!("{:03}", i + 1),
            title: format!("Výzva {} pro sociální začleňování", i + 1),
            specific_objective: None,
            opens_at: opens,
            closes_at: opens + Duration::days(120),
            allocation: czk(5_000_000_000),
            min_project: None,
            max_project: None,
            support_rate_bp: 9500,
            kpsvl: false,
            open_to: Vec::new(),
        };
        calls.push(esif::create_call(tx, data).await?.meta.id);
    }
    let path = [ProjectStatus::Intent, ProjectStatus::Submitted, ProjectStatus::Approved, ProjectStatus::Rejected, ProjectStatus::InRealization];
    for n in 0..v.projects {
        let i = n % partnerships.len();
        let Some(applicant) = members_of[i].first().copied() else { continue };
        let requested = i64::try_from(100_000_000 + next(9_000_000) * 100).unwrap_or(0);
        let data = ProjectData {
            external_ref: None,
            partnership_id: partnerships[i],
            applicant_organization_id: applicant,
            call_id: calls.get(n % calls.len().max(1)).copied(),
            title: format!("Projekt {n}"),
            summary: None,
            period_from: Some(day(2025, 1, 1)),
            period_to: Some(day(2027, 12, 31)),
            budget: ProjectBudget {
                total_eligible: czk(requested),
                requested: czk(requested * 95 / 100),
                own_financing: czk(requested - requested * 95 / 100),
            },
            measure_ids: measures_of[i].first().copied().into_iter().collect(),
        };
        let project = esif::create_project(tx, data).await?;
        let status = path[n % path.len()];
        if status != ProjectStatus::Intent {
            let decided = matches!(status, ProjectStatus::Approved | ProjectStatus::Rejected | ProjectStatus::InRealization);
            let steps = ProjectSteps {
                submitted_on: Some(day(2024, 5, 1)),
                registration_number: Some(format!("CZ.03.02.02/00/24_{n:03}/{n:07}")),
                decided_on: decided.then(|| day(2024, 9, 1)),
                approved_minor: (decided && status != ProjectStatus::Rejected).then_some(requested * 95 / 100),
                started_on: (status == ProjectStatus::InRealization).then(|| day(2025, 1, 1)),
                ..Default::default()
            };
            esif::set_project_status(tx, &project, status, steps).await?;
        }
    }
    Ok(())
}
