//! The demo dataset, loaded by `inclusion serve --demo` into an empty database: the
//! Žluticko partnership with its 14 members and their representatives, and the Rozvodí
//! microregion with its six working groups and first meeting (facts from DOMAIN.md).
//!
//! Rozvodí also gets its situational analysis (completed, one need per working-group area)
//! and its strategic plan 2019–2022 in force, with one goal and one measure per area and some
//! progress reported. Resolution numbers and figures are illustrative, marked as demo data.
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
    let labour_office = org(tx, "Úřad práce ČR, kontaktní pracoviště Svitavy", K::LabourOffice, None).await?;
    let membership = MembershipData {
        partnership_id: rozvodi,
        organization_id: labour_office,
        joined_on: date(2018, 10, 25)?,
        left_on: None,
        representatives: vec![],
        note: None,
    };
    let id = memberships::create(tx, membership.validate()?).await?.meta.id;
    audit(tx, "membership", id).await?;
    let debt_measure = rozvodi_plan(tx, rozvodi, microregion, labour_office, manager).await?;
    esif_demo(tx, rozvodi, microregion, debt_measure, consultant).await
}

/// A few calls (OPZ 052 under the coordinated approach, open to Rozvodí; an IROP and an OPZ+
/// call), Rozvodí's approved project implementing its debt measure, and a counselling record.
async fn esif_demo(tx: &WriteTx, partnership: Uuid, applicant: Uuid, measure: Uuid, consultant: Uuid) -> anyhow::Result<()> {
    use domain::codelist::ProjectStatus;
    use domain::esif::{CallData, CounsellingData, ProjectBudget, ProjectData};
    use domain::money::Money;
    use persistence::esif;

    let programme = |code: &'static str| async move {
        let page = esif::list_programmes(tx.conn(), None, Some(code), &PageRequest { limit: 50, ..Default::default() }).await?;
        page.items.into_iter().find(|p| p.data.code == code).map(|p| p.meta.id).ok_or_else(|| anyhow::anyhow!("reference programme {code} missing"))
    };
    let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().ok_or_else(|| anyhow::anyhow!("invalid demo time"));
    let calls = [
        CallData {
            external_ref: Some("demo-opz-052".into()),
            programme_id: programme("OPZ").await?,
            number: "052".into(),
            title: "Podpora sociálního začleňování v SVL".into(),
            specific_objective: Some("2.1".into()),
            opens_at: at(2019, 5, 1, 0)?,
            closes_at: at(2019, 9, 30, 14)?,
            allocation: Money::czk(50_000_000_000),
            min_project: Some(Money::czk(40_000_000)),
            max_project: Some(Money::czk(1_000_000_000)),
            support_rate_bp: 9500,
            kpsvl: true,
            open_to: vec![partnership],
        },
        CallData {
            external_ref: Some("demo-irop-kpsvl".into()),
            programme_id: programme("IROP").await?,
            number: "063".into(),
            title: "Sociální bydlení pro SVL (KPSVL)".into(),
            specific_objective: Some("2.1".into()),
            opens_at: at(2019, 6, 1, 0)?,
            closes_at: at(2020, 3, 31, 14)?,
            allocation: Money::czk(100_000_000_000),
            min_project: Some(Money::czk(50_000_000)),
            max_project: Some(Money::czk(3_000_000_000)),
            support_rate_bp: 9000,
            kpsvl: true,
            open_to: vec![partnership],
        },
        CallData {
            external_ref: Some("demo-opzplus-rozvoj".into()),
            programme_id: programme("OPZ+").await?,
            number: "004".into(),
            title: "Rozvoj systémů pro sociální začleňování (demo)".into(),
            specific_objective: Some("2.2".into()),
            opens_at: at(2026, 1, 15, 0)?,
            closes_at: at(2027, 6, 30, 14)?,
            allocation: Money::czk(20_000_000_000),
            min_project: None,
            max_project: None,
            support_rate_bp: 10000,
            kpsvl: false,
            open_to: vec![],
        },
    ];
    let mut opz = None;
    for call in calls {
        let id = esif::create_call(tx, call.validate()?).await?.meta.id;
        audit(tx, "call", id).await?;
        opz.get_or_insert(id);
    }
    let project = ProjectData {
        external_ref: Some("demo-rozvodi-dluhy".into()),
        partnership_id: partnership,
        applicant_organization_id: applicant,
        call_id: opz,
        title: "Dluhová poradna Mikroregionu Rozvodí (demo)".into(),
        summary: Some("Dluhové poradenství a terénní sociální práce v obcích mikroregionu.".into()),
        period_from: Some(date(2019, 11, 1)?),
        period_to: Some(date(2021, 10, 31)?),
        budget: ProjectBudget { total_eligible: Money::czk(150_000_000), requested: Money::czk(142_500_000), own_financing: Money::czk(7_500_000) },
        measure_ids: vec![measure],
    };
    let project = esif::create_project(tx, project.validate()?).await?;
    audit(tx, "project", project.meta.id).await?;
    let steps = esif::ProjectSteps {
        recommended_on: Some(date(2019, 5, 20)?),
        recommendation_resolution: Some("LP Rozvodí 2/2019 (demo)".into()),
        submitted_on: Some(date(2019, 6, 28)?),
        registration_number: Some("CZ.03.2.63/0.0/0.0/15_052/0099999".into()),
        decided_on: Some(date(2019, 10, 15)?),
        approved_minor: Some(142_500_000),
        started_on: Some(date(2019, 11, 1)?),
        ..Default::default()
    };
    esif::set_project_status(tx, &project, ProjectStatus::InRealization, steps).await?;
    let record = CounsellingData {
        partnership_id: partnership,
        consultant_id: consultant,
        organization_ids: vec![applicant],
        held_on: date(2019, 4, 10)?,
        duration_minutes: 90,
        topic: "Výběr výzvy a příprava projektového záměru".into(),
        call_id: opz,
        project_id: Some(project.meta.id),
        notes: Some("Doporučena výzva OPZ 052 (KPSVL) pro opatření 1.1.1 (demo).".into()),
    };
    let id = esif::create_counselling(tx, record.validate()?).await?.meta.id;
    audit(tx, "counselling_record", id).await?;
    Ok(())
}

/// The Rozvodí analysis and the plan in force (approved after the assembly, March/April 2019).
/// Returns the id of the plan's debt measure (for the demo project).
async fn rozvodi_plan(tx: &WriteTx, partnership: Uuid, microregion: Uuid, labour_office: Uuid, manager: Uuid) -> anyhow::Result<Uuid> {
    use domain::analysis::{AnalysisData, Finding, NeedData};
    use domain::codelist::{AnalysisStatus, FundingSource, GoalLevel, IndicatorKind, MeasureKind, PlanStatus, Priority, ProgressStatus};
    use domain::money::Money;
    use domain::plan::{Approval, BudgetLine, GoalData, Indicator, MeasureData, PlanData};
    use persistence::{analyses, plans};

    let analysis = AnalysisData {
        partnership_id: partnership,
        title: "Situační analýza Mikroregionu Rozvodí".into(),
        fieldwork_from: Some(date(2018, 6, 1)?),
        fieldwork_to: Some(date(2018, 9, 30)?),
        author_organization_ids: vec![],
        author_person_ids: vec![manager],
        findings: ROZVODI_GROUPS
            .iter()
            .map(|(area, name)| Finding { thematic_area: *area, text: format!("{name}: zjištění pracovní skupiny (demo)."), key_figures: vec![] })
            .collect(),
        supersedes_id: None,
    };
    let analysis = analyses::create(tx, analysis.validate()?).await?;
    audit(tx, "situational_analysis", analysis.meta.id).await?;
    let analysis = analyses::set_status(tx, &analysis, AnalysisStatus::InProgress).await?;
    let mut needs = Vec::new();
    for (area, name) in ROZVODI_GROUPS {
        let need = NeedData {
            thematic_area: *area,
            description: format!("{name}: potřeba zjištěná analýzou (demo)."),
            priority: Priority::High,
            people_affected: None,
            evidence: None,
        };
        let id = analyses::create_need(tx, &analysis, need.validate()?).await?.meta.id;
        audit(tx, "need", id).await?;
        needs.push(id);
    }
    let analysis = analyses::set_status(tx, &analysis, AnalysisStatus::Completed).await?;

    let plan = PlanData {
        partnership_id: partnership,
        title: "Strategický plán sociálního začleňování Mikroregionu Rozvodí 2019–2022".into(),
        valid_from: date(2019, 5, 1)?,
        valid_to: date(2022, 12, 31)?,
        analysis_id: Some(analysis.meta.id),
    };
    let plan = plans::create_plan(tx, plan.validate()?).await?;
    audit(tx, "strategic_plan", plan.meta.id).await?;
    let mut measures = Vec::new();
    for (i, ((area, name), need)) in ROZVODI_GROUPS.iter().zip(&needs).enumerate() {
        let n = i + 1;
        let goal = GoalData {
            code: n.to_string(),
            title: (*name).into(),
            thematic_area: Some(*area),
            level: GoalLevel::Global,
            parent_goal_id: None,
            description: None,
        };
        let goal = plans::create_goal(tx, plan.meta.id, goal.validate()?).await?;
        audit(tx, "goal", goal.meta.id).await?;
        let responsible = if *area == ThematicArea::Employment { labour_office } else { microregion };
        let measure = MeasureData {
            goal_id: goal.meta.id,
            kind: MeasureKind::Measure,
            parent_measure_id: None,
            code: format!("{n}.1.1"),
            title: format!("{name}: hlavní opatření (demo)"),
            description: None,
            thematic_area: *area,
            need_ids: vec![*need],
            responsible_organization_id: Some(responsible),
            co_implementer_ids: vec![],
            starts_on: Some(date(2019, 6, 1)?),
            deadline: Some(date(2020, 12, 31)?),
            budget: vec![
                BudgetLine { source: FundingSource::Esif, amount: Money::czk(150_000_000), call_reference: Some("OPZ 03_16_052".into()) },
                BudgetLine { source: FundingSource::Municipal, amount: Money::czk(15_000_000), call_reference: None },
            ],
            predefined_activity: *area == ThematicArea::Debt,
            indicators: vec![Indicator {
                key: "I1".into(),
                name: "Podpoření klienti".into(),
                unit: Some("osob".into()),
                kind: IndicatorKind::Count,
                ascending: true,
                baseline_value: Some(0.0),
                baseline_year: Some(2018),
                target_value: Some(60.0),
                target_text: None,
                target_date: Some(date(2020, 12, 31)?),
                aggregation: Default::default(),
                measure: None,
            }],
        };
        let measure = plans::create_measure(tx, &plan, measure.validate()?).await?;
        audit(tx, "measure", measure.meta.id).await?;
        measures.push(measure);
    }
    let plan =
        plans::set_plan_status(tx, &plan, PlanStatus::Submitted, plans::StatusChange { submitted_on: Some(date(2019, 3, 25)?), ..Default::default() }).await?;
    let council = Approval { date: date(2019, 4, 8)?, resolution_number: "RM 12/2019 (demo)".into() };
    let plan = plans::set_plan_status(tx, &plan, PlanStatus::CouncilApproved, plans::StatusChange { council: Some(council), ..Default::default() }).await?;
    let assembly = Approval { date: date(2019, 4, 24)?, resolution_number: "ZM 5/2019 (demo)".into() };
    plans::set_plan_status(tx, &plan, PlanStatus::InForce, plans::StatusChange { assembly: Some(assembly), ..Default::default() }).await?;
    for (measure, (status, percent, clients)) in measures.iter().zip([
        (ProgressStatus::InProgress, 60, 35.0),
        (ProgressStatus::Delayed, 20, 8.0),
        (ProgressStatus::Completed, 100, 60.0),
        (ProgressStatus::InProgress, 40, 20.0),
    ]) {
        let report = plans::NewReport {
            reported_on: date(2020, 6, 30)?,
            status,
            percent_done: percent,
            indicator_values: vec![plans::IndicatorValue {
                indicator_key: "I1".into(),
                value: Some(clients),
                text: None,
                period_from: Some(date(2019, 6, 1)?),
                period_to: Some(date(2020, 6, 30)?),
            }],
            comment: Some("Pololetní monitoring (demo).".into()),
            author_subject: "demo-loader".into(),
            author_person_id: Some(manager),
        };
        plans::add_report(tx, measure, report).await?;
    }
    measures.first().map(|m| m.meta.id).ok_or_else(|| anyhow::anyhow!("the demo plan has no measure"))
}
