//! The demo dataset, loaded by `inclusion serve --demo` into an empty database: the
//! Žluticko partnership with its 14 members and their representatives, and the Rozvodí
//! microregion with its six working groups and first meeting (facts from DOMAIN.md).
//!
//! Representatives are named by their function ("starosta, Město Žlutice"): the demo holds
//! no real person's name. Everything goes through the repositories in one transaction, with
//! an audit entry per record, exactly like writes through the API.

use chrono::{NaiveDate, TimeZone, Utc};
use domain::codelist::{AttendanceStatus, OrganizationKind as K, PartnershipStatus, Region, TerritorialUnitKind, ThematicArea};
use domain::registry::{
    Attendance, MeetingData, MembershipData, OrganizationData, PartnershipData, PersonData, Representative, Resolution, TerritorialUnitData, WorkingGroupData,
};
use persistence::{Actor, PageRequest, Store, WriteTx, meetings, memberships, organizations, partnerships, people, territorial_units, working_groups};
use uuid::Uuid;

/// Members of the Žluticko partnership and the functions of their representatives.
const ZLUTICKO: &[(&str, K, &[&str])] = &[
    ("Město Žlutice", K::Municipality, &["starosta", "tajemník", "terénní pracovník"]),
    ("Obec Valeč", K::Municipality, &["starosta", "zastupitel"]),
    ("Technické služby Žlutice, s.r.o.", K::Business, &["jednatel"]),
    ("Lesy Žlutice, s.r.o.", K::Business, &["ředitel", "zástupce ředitele"]),
    ("Policie České republiky", K::Police, &["koordinátor prevence kriminality", "vedoucí obvodního oddělení Žlutice", "preventista"]),
    ("Základní škola a Základní umělecká škola Žlutice", K::School, &["ředitel", "zástupce ředitele", "výchovný poradce", "speciální pedagog"]),
    ("Mateřská škola Žlutice", K::School, &["ředitelka"]),
    ("Výchovný ústav Žlutice", K::School, &["ředitel"]),
    ("Úřad práce ČR, kontaktní pracoviště Karlovy Vary", K::LabourOffice, &["vedoucí pobočky", "manažer"]),
    ("Člověk v tísni, o.p.s., pobočka Karlovy Vary", K::Ngo, &["ředitel pobočky", "terénní pracovník"]),
    ("Světlo, o.s.", K::Ngo, &["ředitel", "terénní pracovník"]),
    ("Český západ, o.s.", K::Ngo, &["ředitel", "terénní pracovník"]),
    ("Pomoc v nouzi, o.p.s.", K::Ngo, &["Intervenční centrum Sokolov"]),
    ("Tranquillite, o.s.", K::Ngo, &["zástupce organizace"]),
];

const ROZVODI_GROUPS: &[(ThematicArea, &str)] = &[
    (ThematicArea::Debt, "Dluhy"),
    (ThematicArea::Housing, "Bydlení"),
    (ThematicArea::Education, "Vzdělávání"),
    (ThematicArea::Family, "Stabilita rodiny"),
    (ThematicArea::Employment, "Nezaměstnanost"),
    (ThematicArea::RiskyBehaviour, "Prevence rizikového chování"),
];

fn date(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("invalid demo date"))
}

async fn audit(tx: &WriteTx, resource: &str, id: Uuid) -> anyhow::Result<()> {
    tx.audit("create", resource, id, None, None).await?;
    Ok(())
}

async fn org(tx: &WriteTx, name: &str, kind: K, ico: Option<&str>) -> anyhow::Result<Uuid> {
    let data = OrganizationData { external_ref: None, name: name.into(), kind, ico: ico.map(Into::into), address: None, web: None }.validate()?;
    let id = organizations::create(tx, data).await?.meta.id;
    audit(tx, "organization", id).await?;
    Ok(id)
}

async fn person(tx: &WriteTx, function: &str, organization: &str, organization_id: Uuid) -> anyhow::Result<Uuid> {
    let data = PersonData {
        external_ref: None,
        name: format!("{function}, {organization}"),
        email: None,
        phone: None,
        organization_id: Some(organization_id),
        job_title: Some(function.into()),
    }
    .validate()?;
    let id = people::create(tx, data).await?.meta.id;
    audit(tx, "person", id).await?;
    Ok(id)
}

async fn unit(tx: &WriteTx, name: &str, kind: TerritorialUnitKind, region: Region) -> anyhow::Result<Uuid> {
    let data = TerritorialUnitData { external_ref: None, kind, name: name.into(), municipality_code: None, region, population: None }.validate()?;
    let id = territorial_units::create(tx, data).await?.meta.id;
    audit(tx, "territorial_unit", id).await?;
    Ok(id)
}

async fn partnership(tx: &WriteTx, data: PartnershipData) -> anyhow::Result<Uuid> {
    let created = partnerships::create(tx, data.validate()?).await?;
    let active = partnerships::set_status(tx, &created, PartnershipStatus::Active).await?;
    audit(tx, "partnership", active.meta.id).await?;
    Ok(active.meta.id)
}

/// Loads the demo dataset when the database holds no partnership yet.
pub async fn load_if_empty(store: &Store) -> anyhow::Result<()> {
    let probe = PageRequest { limit: 1, ..Default::default() };
    let filter = partnerships::Filter { include_archived: true, ..Default::default() };
    if !partnerships::list(store.conn(), &filter, &probe).await?.items.is_empty() {
        tracing::info!("the database already holds data: demo dataset not loaded");
        return Ok(());
    }
    let tx = store.begin(Actor { subject: "demo-loader".into(), role: "admin".into(), request_id: "demo".into() }).await?;
    load(&tx).await?;
    tx.commit().await?;
    tracing::info!("demo dataset loaded: Žluticko (14 members) and Rozvodí (6 working groups)");
    Ok(())
}

async fn load(tx: &WriteTx) -> anyhow::Result<()> {
    let agency = org(tx, "Agentura pro sociální začleňování", K::StateAdministration, None).await?;
    let consultant = person(tx, "lokální konzultant", "Agentura pro sociální začleňování", agency).await?;

    // Žluticko (Karlovarský kraj), founded under government resolution no. 85 of 23 January 2008.
    let zlutice = unit(tx, "Žlutice", TerritorialUnitKind::Town, Region::Cz041).await?;
    let valec = unit(tx, "Valeč", TerritorialUnitKind::Municipality, Region::Cz041).await?;
    let zluticko = partnership(
        tx,
        PartnershipData {
            external_ref: Some("demo-zluticko".into()),
            name: "Lokální partnerství Žluticko".into(),
            territorial_unit_ids: vec![zlutice, valec],
            established_on: Some(date(2008, 6, 1)?),
            memorandum_signed_on: Some(date(2008, 5, 1)?),
            founding_act: Some("Memorandum o spolupráci mezi Agenturou, městem Žlutice a obcí Valeč podle usnesení vlády č. 85 ze dne 23. ledna 2008".into()),
            consultant_ids: vec![consultant],
        },
    )
    .await?;
    for (name, kind, functions) in ZLUTICKO {
        let organization = org(tx, name, *kind, None).await?;
        let mut representatives = Vec::new();
        for function in *functions {
            representatives.push(Representative { person_id: person(tx, function, name, organization).await?, function: Some((*function).into()) });
        }
        let membership = MembershipData {
            partnership_id: zluticko,
            organization_id: organization,
            joined_on: date(2008, 6, 1)?,
            left_on: None,
            representatives,
            note: None,
        };
        let id = memberships::create(tx, membership.validate()?).await?.meta.id;
        audit(tx, "membership", id).await?;
    }

    // Rozvodí microregion: working groups since mid-October 2018, first meeting on 25 October 2018.
    let region = unit(tx, "Mikroregion Rozvodí", TerritorialUnitKind::Microregion, Region::Cz053).await?;
    let microregion = org(tx, "Mikroregion Rozvodí, svazek obcí", K::Municipality, None).await?;
    let chair = person(tx, "předseda svazku", "Mikroregion Rozvodí", microregion).await?;
    let manager = person(tx, "manažer sociálního začleňování", "Mikroregion Rozvodí", microregion).await?;
    let rozvodi = partnership(
        tx,
        PartnershipData {
            external_ref: Some("demo-rozvodi".into()),
            name: "Lokální partnerství Rozvodí".into(),
            territorial_unit_ids: vec![region],
            established_on: Some(date(2018, 10, 25)?),
            memorandum_signed_on: Some(date(2018, 9, 1)?),
            founding_act: Some("Memorandum o spolupráci mezi Agenturou a Mikroregionem Rozvodí".into()),
            consultant_ids: vec![consultant],
        },
    )
    .await?;
    let membership = MembershipData {
        partnership_id: rozvodi,
        organization_id: microregion,
        joined_on: date(2018, 10, 25)?,
        left_on: None,
        representatives: vec![
            Representative { person_id: chair, function: Some("předseda".into()) },
            Representative { person_id: manager, function: Some("manažer".into()) },
        ],
        note: None,
    };
    let id = memberships::create(tx, membership.validate()?).await?.meta.id;
    audit(tx, "membership", id).await?;
    for (area, name) in ROZVODI_GROUPS {
        let group = WorkingGroupData {
            partnership_id: rozvodi,
            thematic_area: *area,
            name: format!("Pracovní skupina {name}"),
            coordinator_id: Some(manager),
            member_ids: vec![manager],
        };
        let id = working_groups::create(tx, group.validate()?).await?.meta.id;
        audit(tx, "working_group", id).await?;
    }
    let starts_at = Utc.with_ymd_and_hms(2018, 10, 25, 13, 0, 0).single().ok_or_else(|| anyhow::anyhow!("invalid demo time"))?;
    let meeting = MeetingData {
        partnership_id: rozvodi,
        working_group_id: None,
        title: "První oficiální setkání obcí, Agentury a partnerů".into(),
        starts_at,
        ends_at: Some(starts_at + chrono::Duration::hours(3)),
        place: Some("Mikroregion Rozvodí".into()),
        agenda: vec!["Představení spolupráce s Agenturou".into(), "Pracovní skupiny a jejich témata".into(), "Harmonogram strategického plánu".into()],
        minutes: Some("Pracovní skupiny zahájily činnost v polovině října 2018; nejprve analyzují příčiny, poté hledají řešení. Strategický plán má být hotov v březnu/dubnu 2019.".into()),
        attendance: vec![Attendance { person_id: chair, status: AttendanceStatus::Present }, Attendance { person_id: manager, status: AttendanceStatus::Present }, Attendance { person_id: consultant, status: AttendanceStatus::Present }],
        resolutions: vec![Resolution { number: 1, text: "Partnerství ustavuje šest pracovních skupin: dluhy, bydlení, vzdělávání, stabilita rodiny, nezaměstnanost, prevence rizikového chování.".into() }],
    };
    let id = meetings::create(tx, meeting.validate()?).await?.meta.id;
    audit(tx, "meeting", id).await?;
    Ok(())
}
