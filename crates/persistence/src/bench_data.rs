//! A synthetic dataset of realistic volume for `make bench`: bulk inserts, not the API, so
//! that filling 70,000 rows takes seconds. Deterministic, so runs are comparable.

use chrono::{Duration, TimeZone, Utc};
use domain::codelist::{Coded, OrganizationKind, PartnershipStatus, Region, TerritorialUnitKind, ThematicArea};
use domain::search::search_text;
use sea_orm::{EntityTrait, Set};
use uuid::Uuid;

use crate::convert::now;
use crate::entities::{meeting, membership, organization, partnership, partnership_territorial_unit as ptu, person, territorial_unit};
use crate::{Actor, Store, StoreError};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    pub partnerships: usize,
    pub organizations: usize,
    pub people: usize,
    pub meetings: usize,
}

const CHUNK: usize = 400;

async fn insert_chunks<A>(tx: &crate::WriteTx, rows: Vec<A>) -> Result<(), StoreError>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk).exec(tx.conn()).await?;
    }
    Ok(())
}

/// Fills an empty database.
pub async fn fill(store: &Store, v: Volume) -> Result<(), StoreError> {
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
                    status: Set(statuses[if i % 4 == 0 { i / 4 % statuses.len() } else { 1 }].code().into()),
                    established_on: Set(None),
                    memorandum_signed_on: Set(None),
                    founding_act: Set(None),
                    territorial_unit_ids: Set(serde_json::json!([units[2 * i].0, units[2 * i + 1].0])),
                    consultant_ids: Set(serde_json::json!([])),
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
    for p in &partnerships {
        let mut chosen = std::collections::HashSet::new();
        for _ in 0..15 {
            chosen.insert(orgs[next(orgs.len())]);
        }
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
    tx.commit().await
}
