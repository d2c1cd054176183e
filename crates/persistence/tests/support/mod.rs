//! A database of the test's own, migrated as the application migrates it: a fresh PostgreSQL
//! database `inclusion_repo_<uuid>` on the server of `TEST_DATABASE_URL` (when it starts with
//! `postgres`), otherwise a temporary SQLite file. Dropped with the value (best effort).

use chrono::NaiveDate;
use domain::codelist::{OrganizationKind, Region, TerritorialUnitKind};
use domain::registry::{MembershipData, OrganizationData, PartnershipData, TerritorialUnitData};
use persistence::{Actor, Store, WriteTx};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

enum Cleanup {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop may run inside the test's runtime; a thread of its own gets its own runtime.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(&admin_url).await {
                            let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                            let _ = db.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A migrated store on a database of the test's own.
pub struct TestDb {
    pub store: Store,
    _cleanup: Cleanup,
}

impl TestDb {
    pub async fn new() -> Self {
        let (url, cleanup) = match std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            Some(admin_url) => {
                let name = format!("inclusion_repo_{}", Uuid::now_v7().simple());
                let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create the test database");
                admin.close().await.ok();
                let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
                (format!("{base}/{name}"), Cleanup::Postgres { admin_url, name })
            }
            None => {
                let path = std::env::temp_dir().join(format!("inclusion-repo-{}.db", Uuid::now_v7().simple()));
                (format!("sqlite://{}?mode=rwc", path.display()), Cleanup::Sqlite(path))
            }
        };
        let store = Store::connect(&url, 4).await.expect("connect");
        // As the application does at start (crates/api/src/startup.rs).
        store.migrate().await.expect("migrate");
        Self { store, _cleanup: cleanup }
    }

    pub fn is_postgres(&self) -> bool {
        self.store.backend() == sea_orm::DbBackend::Postgres
    }

    pub async fn begin(&self) -> WriteTx {
        self.store.begin(Actor { subject: "repository-test".into(), role: "admin".into(), request_id: "test".into() }).await.expect("begin")
    }
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

pub fn organization(name: &str, ico: Option<&str>, external_ref: Option<&str>) -> OrganizationData {
    OrganizationData {
        external_ref: external_ref.map(Into::into),
        name: name.into(),
        kind: OrganizationKind::Ngo,
        ico: ico.map(Into::into),
        address: None,
        web: None,
    }
}

pub fn territorial_unit(name: &str, municipality_code: Option<&str>) -> TerritorialUnitData {
    TerritorialUnitData {
        external_ref: None,
        kind: TerritorialUnitKind::Town,
        name: name.into(),
        municipality_code: municipality_code.map(Into::into),
        region: Region::Cz042,
        population: Some(1200),
    }
}

pub fn partnership(name: &str, territorial_unit_id: Uuid) -> PartnershipData {
    PartnershipData {
        external_ref: None,
        name: name.into(),
        territorial_unit_ids: vec![territorial_unit_id],
        established_on: None,
        memorandum_signed_on: None,
        founding_act: None,
        consultant_ids: vec![],
    }
}

pub fn membership(partnership_id: Uuid, organization_id: Uuid, joined_on: &str, left_on: Option<&str>) -> MembershipData {
    MembershipData { partnership_id, organization_id, joined_on: day(joined_on), left_on: left_on.map(day), representatives: vec![], note: None }
}

/// A committed partnership (over a new territorial unit) and its id.
pub async fn new_partnership(db: &TestDb, name: &str) -> Uuid {
    let tx = db.begin().await;
    let unit = persistence::territorial_units::create(&tx, territorial_unit(&format!("{name} town"), None)).await.expect("territorial unit");
    let p = persistence::partnerships::create(&tx, partnership(name, unit.meta.id)).await.expect("partnership");
    tx.commit().await.expect("commit");
    p.meta.id
}

/// A committed organization and its id.
pub async fn new_organization(db: &TestDb, name: &str) -> Uuid {
    let tx = db.begin().await;
    let o = persistence::organizations::create(&tx, organization(name, None, None)).await.expect("organization");
    tx.commit().await.expect("commit");
    o.meta.id
}
