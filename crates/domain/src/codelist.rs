//! Codelists: the closed enumerations of the domain, with Czech and English labels.
//!
//! Each enumeration travels over the API as a lower-case identifier; its labels are served
//! by `GET /api/v1/codelists/{name}`. One macro defines the enum, its identifier, its
//! parser and its labels together so that they cannot drift apart.

use serde::{Deserialize, Serialize};

/// One entry of a codelist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodelistEntry {
    pub code: &'static str,
    pub label_cs: &'static str,
    pub label_en: &'static str,
}

/// Implemented by every enumeration served as a codelist.
pub trait Coded: Sized + Copy + 'static {
    /// The codelist's name in the URL (`thematic_area`).
    const CODELIST: &'static str;
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn entry(self) -> CodelistEntry;
    /// Parses an identifier as stored or sent by a client.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
    fn entries() -> Vec<CodelistEntry> {
        Self::ALL.iter().map(|v| v.entry()).collect()
    }
}

macro_rules! codelist {
    ($(#[$meta:meta])* $name:ident = $list:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal, $cs:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant,)+
        }
        // Written by hand rather than derived: utoipa's derive does not see a `rename` that
        // arrives through a macro literal and would document the variant names instead of
        // the codes on the wire.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let labels: Vec<String> = [$(concat!("`", $code, "` ", $cs, " (", $en, ")")),+].to_vec().into_iter().map(str::to_owned).collect();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .description(Some(format!("Codelist `{}` (labels: `GET /api/v1/codelists/{}`): {}.", $list, $list, labels.join("; "))))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
        impl Coded for $name {
            const CODELIST: &'static str = $list;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }
            fn entry(self) -> CodelistEntry {
                match self { $(Self::$variant => CodelistEntry { code: $code, label_cs: $cs, label_en: $en },)+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

codelist! {
    /// A region (kraj) by its NUTS 3 code.
    Region = "region" {
        Cz010 => "CZ010", "Hlavní město Praha", "Prague";
        Cz020 => "CZ020", "Středočeský kraj", "Central Bohemian Region";
        Cz031 => "CZ031", "Jihočeský kraj", "South Bohemian Region";
        Cz032 => "CZ032", "Plzeňský kraj", "Plzeň Region";
        Cz041 => "CZ041", "Karlovarský kraj", "Karlovy Vary Region";
        Cz042 => "CZ042", "Ústecký kraj", "Ústí nad Labem Region";
        Cz051 => "CZ051", "Liberecký kraj", "Liberec Region";
        Cz052 => "CZ052", "Královéhradecký kraj", "Hradec Králové Region";
        Cz053 => "CZ053", "Pardubický kraj", "Pardubice Region";
        Cz063 => "CZ063", "Kraj Vysočina", "Vysočina Region";
        Cz064 => "CZ064", "Jihomoravský kraj", "South Moravian Region";
        Cz071 => "CZ071", "Olomoucký kraj", "Olomouc Region";
        Cz072 => "CZ072", "Zlínský kraj", "Zlín Region";
        Cz080 => "CZ080", "Moravskoslezský kraj", "Moravian-Silesian Region";
    }
}

codelist! {
    /// The kind of a territorial unit.
    TerritorialUnitKind = "territorial_unit_kind" {
        Municipality => "municipality", "obec", "municipality";
        Town => "town", "město", "town";
        UnionOfMunicipalities => "union_of_municipalities", "svazek obcí", "union of municipalities";
        Microregion => "microregion", "mikroregion", "microregion";
        LocalActionGroup => "local_action_group", "místní akční skupina (MAS)", "local action group";
    }
}

codelist! {
    /// The kind of a member organisation.
    OrganizationKind = "organization_kind" {
        Municipality => "municipality", "obec / město", "municipality";
        StateAdministration => "state_administration", "státní správa", "state administration";
        Police => "police", "policie", "police";
        School => "school", "škola", "school";
        LabourOffice => "labour_office", "úřad práce", "labour office";
        Ngo => "ngo", "nestátní nezisková organizace", "non-governmental organisation";
        Business => "business", "podnik", "business";
        Church => "church", "církev", "church";
        Health => "health", "zdravotnictví", "health care";
        Other => "other", "jiná", "other";
    }
}

codelist! {
    /// The lifecycle state of a local partnership.
    PartnershipStatus = "partnership_status" {
        Forming => "forming", "zakládá se", "forming";
        Active => "active", "aktivní", "active";
        HandedOver => "handed_over", "předáno obci", "handed over";
        Ended => "ended", "ukončeno", "ended";
    }
}

codelist! {
    /// A thematic area of analyses, working groups and plans.
    ThematicArea = "thematic_area" {
        Housing => "housing", "bydlení", "housing";
        Education => "education", "vzdělávání", "education";
        Employment => "employment", "zaměstnanost", "employment";
        Debt => "debt", "dluhy", "debt";
        Family => "family", "rodina", "family";
        Health => "health", "zdraví", "health";
        SocialServices => "social_services", "sociální služby", "social services";
        Security => "security", "bezpečnost a prevence kriminality", "security and crime prevention";
        RiskyBehaviour => "risky_behaviour", "rizikové chování", "risky behaviour";
        Coexistence => "coexistence", "soužití", "coexistence";
    }
}

codelist! {
    /// Whether a person attended a meeting.
    AttendanceStatus = "attendance_status" {
        Present => "present", "přítomen", "present";
        Excused => "excused", "omluven", "excused";
        Absent => "absent", "nepřítomen", "absent";
    }
}

codelist! {
    /// The state of an action item (úkol) from a meeting.
    ActionItemStatus = "action_item_status" {
        Open => "open", "otevřený", "open";
        Done => "done", "splněný", "done";
        Cancelled => "cancelled", "zrušený", "cancelled";
    }
}

codelist! {
    /// The state of a situational analysis.
    AnalysisStatus = "analysis_status" {
        Planned => "planned", "plánovaná", "planned";
        InProgress => "in_progress", "probíhá", "in progress";
        Completed => "completed", "dokončená", "completed";
    }
}

codelist! {
    /// The priority of a need found by an analysis.
    Priority = "priority" {
        High => "high", "vysoká", "high";
        Medium => "medium", "střední", "medium";
        Low => "low", "nízká", "low";
    }
}

codelist! {
    /// The lifecycle state of a strategic plan.
    PlanStatus = "plan_status" {
        Draft => "draft", "návrh", "draft";
        Submitted => "submitted", "předložený", "submitted";
        CouncilApproved => "council_approved", "schválený radou", "approved by the council";
        InForce => "in_force", "platný", "in force";
        Superseded => "superseded", "nahrazený", "superseded";
        Expired => "expired", "s ukončenou platností", "expired";
    }
}

codelist! {
    /// Whether a goal is a global (strategic) or a specific one.
    GoalLevel = "goal_level" {
        Global => "global", "globální cíl", "global goal";
        Specific => "specific", "specifický cíl", "specific goal";
    }
}

codelist! {
    /// A measure, or a smaller activity beneath a measure.
    MeasureKind = "measure_kind" {
        Measure => "measure", "opatření", "measure";
        Activity => "activity", "aktivita", "activity";
    }
}

codelist! {
    /// A funding source of a measure's budget.
    FundingSource = "funding_source" {
        Esif => "esif", "evropské strukturální a investiční fondy", "EU structural and investment funds";
        Municipal => "municipal", "rozpočet obce", "municipal budget";
        State => "state", "státní rozpočet", "state budget";
        Other => "other", "jiné zdroje", "other sources";
    }
}

codelist! {
    /// How an indicator is measured.
    IndicatorKind = "indicator_kind" {
        Count => "count", "počet", "count";
        Percentage => "percentage", "procento", "percentage";
        Qualitative => "qualitative", "kvalitativní", "qualitative";
    }
}

codelist! {
    /// How an indicator's values over reporting periods add up (IATI `aggregation-status`).
    IndicatorAggregation = "indicator_aggregation" {
        /// The latest value stands for the total (e.g. the number of clients so far).
        Cumulative => "cumulative", "kumulativní", "cumulative";
        /// Values of consecutive periods add up (e.g. clients served in the quarter).
        Flow => "flow", "tokový", "flow";
    }
}

codelist! {
    /// The measure of an indicator's values (IATI `IndicatorMeasure`).
    IndicatorMeasure = "indicator_measure" {
        Unit => "unit", "jednotky", "unit";
        Percentage => "percentage", "procento", "percentage";
        Nominal => "nominal", "nominální", "nominal";
        Ordinal => "ordinal", "ordinální", "ordinal";
        Qualitative => "qualitative", "kvalitativní", "qualitative";
    }
}

codelist! {
    /// The reported state of a measure.
    ProgressStatus = "progress_status" {
        NotStarted => "not_started", "nezahájeno", "not started";
        InProgress => "in_progress", "probíhá", "in progress";
        Completed => "completed", "splněno", "completed";
        Delayed => "delayed", "zpožděno", "delayed";
        Cancelled => "cancelled", "zrušeno", "cancelled";
    }
}

codelist! {
    /// An EU programming period.
    ProgrammingPeriod = "programming_period" {
        Period2007To2013 => "2007-2013", "2007–2013", "2007–2013";
        Period2014To2020 => "2014-2020", "2014–2020", "2014–2020";
        Period2021To2027 => "2021-2027", "2021–2027", "2021–2027";
    }
}

codelist! {
    /// An EU fund.
    Fund = "fund" {
        Esf => "ESF", "Evropský sociální fond", "European Social Fund";
        EsfPlus => "ESF+", "Evropský sociální fond plus", "European Social Fund Plus";
        Erdf => "ERDF", "Evropský fond pro regionální rozvoj", "European Regional Development Fund";
        Cf => "CF", "Fond soudržnosti", "Cohesion Fund";
    }
}

codelist! {
    /// The state of a call for proposals, derived from its dates.
    CallStatus = "call_status" {
        Announced => "announced", "vyhlášená", "announced";
        Open => "open", "otevřená", "open";
        Closed => "closed", "uzavřená", "closed";
    }
}

codelist! {
    /// The pipeline state of a project: intent → recommended → submitted → approved /
    /// rejected → in_realization → completed, or withdrawn.
    ProjectStatus = "project_status" {
        Intent => "intent", "projektový záměr", "project intent";
        Recommended => "recommended", "doporučený", "recommended";
        Submitted => "submitted", "podaná žádost", "submitted";
        Approved => "approved", "schválený", "approved";
        Rejected => "rejected", "zamítnutý", "rejected";
        InRealization => "in_realization", "v realizaci", "in realization";
        Completed => "completed", "ukončený", "completed";
        Withdrawn => "withdrawn", "stažený", "withdrawn";
    }
}

/// The labels of a codelist by its name, or `None` for an unknown name.
pub fn codelist(name: &str) -> Option<Vec<CodelistEntry>> {
    fn of<T: Coded>(name: &str) -> Option<Vec<CodelistEntry>> {
        (name == T::CODELIST).then(T::entries)
    }
    of::<Region>(name)
        .or_else(|| of::<TerritorialUnitKind>(name))
        .or_else(|| of::<OrganizationKind>(name))
        .or_else(|| of::<PartnershipStatus>(name))
        .or_else(|| of::<ThematicArea>(name))
        .or_else(|| of::<AttendanceStatus>(name))
        .or_else(|| of::<ActionItemStatus>(name))
        .or_else(|| of::<AnalysisStatus>(name))
        .or_else(|| of::<Priority>(name))
        .or_else(|| of::<PlanStatus>(name))
        .or_else(|| of::<GoalLevel>(name))
        .or_else(|| of::<MeasureKind>(name))
        .or_else(|| of::<FundingSource>(name))
        .or_else(|| of::<IndicatorKind>(name))
        .or_else(|| of::<IndicatorAggregation>(name))
        .or_else(|| of::<IndicatorMeasure>(name))
        .or_else(|| of::<ProgressStatus>(name))
        .or_else(|| of::<ProgrammingPeriod>(name))
        .or_else(|| of::<Fund>(name))
        .or_else(|| of::<CallStatus>(name))
        .or_else(|| of::<ProjectStatus>(name))
}

/// The names of every codelist, for discovery and for the OpenAPI enum of the path.
pub const CODELISTS: &[&str] = &[
    Region::CODELIST,
    TerritorialUnitKind::CODELIST,
    OrganizationKind::CODELIST,
    PartnershipStatus::CODELIST,
    ThematicArea::CODELIST,
    AttendanceStatus::CODELIST,
    ActionItemStatus::CODELIST,
    AnalysisStatus::CODELIST,
    Priority::CODELIST,
    PlanStatus::CODELIST,
    GoalLevel::CODELIST,
    MeasureKind::CODELIST,
    FundingSource::CODELIST,
    IndicatorKind::CODELIST,
    IndicatorAggregation::CODELIST,
    IndicatorMeasure::CODELIST,
    ProgressStatus::CODELIST,
    ProgrammingPeriod::CODELIST,
    Fund::CODELIST,
    CallStatus::CODELIST,
    ProjectStatus::CODELIST,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_codelist_resolves_and_codes_round_trip() {
        for name in CODELISTS {
            let entries = codelist(name).unwrap_or_default();
            assert!(!entries.is_empty(), "{name}");
        }
        assert_eq!(Region::from_code("CZ041"), Some(Region::Cz041));
        assert_eq!(ThematicArea::from_code("risky_behaviour"), Some(ThematicArea::RiskyBehaviour));
        assert_eq!(ThematicArea::from_code("Housing"), None);
        assert!(codelist("nonsense").is_none());
    }

    #[test]
    fn serde_uses_the_codes() {
        assert_eq!(serde_json::to_string(&Region::Cz041).ok().as_deref(), Some("\"CZ041\""));
        assert_eq!(serde_json::to_string(&PartnershipStatus::HandedOver).ok().as_deref(), Some("\"handed_over\""));
    }
}
