//! A model changed under a running pipeline, upgraded in the documented order, loses no
//! message: a pipeline runs model v1 and stores some messages; its worker stops with more v1
//! messages queued; the model changes (a wider column, a renamed field, a new nullable field,
//! a new field with a default, a new child entity, a new root, a renamed root); the project is
//! regenerated into the same folder (0001 untouched, 0002 written) and rebuilt; the migration
//! runs first (as the Helm chart's job does), then the new worker, which stores the queued v1
//! messages, then the new API, whose v2 messages are stored too. Rows stored under v1 keep
//! their values and get the default. Upgraded in the wrong order (the new API while an old
//! worker runs), the old worker leaves v2 messages to a new worker instead of storing them
//! without what v2 added. Finally a destructive change is refused and leaves the folder as it
//! was.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::wait_persisted;
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::project::{generate_and_build, target_dir};
use nomnom_testkit::wait_until;
use nomnom_testkit::{Service, TestDatabase, TestStream};
use serde_json::{json, Value};

const V1: &str = "project: evolving
entities:
  Patient:
    key: [mrn]
    fields:
      mrn: string
      name: {type: string, max_length: 10}
      phone: string?
      visits: list<Visit>
  Visit:
    fields:
      mrn: {type: string, from: parent.mrn}
      at: timestamp
      ward: string
  Note:
    fields:
      text: string
";

const V2: &str = "project: evolving
entities:
  Patient:
    key: [mrn]
    fields:
      mrn: string
      name: {type: string, max_length: 40}
      phone_number: {type: string?, renamed_from: phone}
      email: string?
      country: {type: string, default: NZ}
      visits: list<Visit>
      allergies: list<Allergy>?
  Visit:
    fields:
      mrn: {type: string, from: parent.mrn}
      at: timestamp
      ward: string
  Allergy:
    fields:
      substance: string
  Device:
    key: [serial]
    fields:
      serial: string
      model: string?
  Memo:
    renamed_from: Note
    fields:
      text: string
";

/// A v1 patient message.
fn v1_patient(mrn: &str, name: &str, phone: &str) -> Value {
    json!({
        "mrn": mrn,
        "name": name,
        "phone": phone,
        "visits": [
            {"at": "2024-03-01T09:00:00Z", "ward": "A"},
            {"at": "2024-03-02T09:00:00Z", "ward": "B"}
        ]
    })
}

async fn post(client: &HttpClient, entity: &str, body: &Value) -> String {
    let r = client
        .post_json(
            &format!("/ingest/message?entity={entity}"),
            body.to_string(),
        )
        .await
        .expect("the API answers");
    assert_eq!(r.status, 202, "{entity} {body}: {}", r.json());
    r.json()["message_id"]
        .as_str()
        .expect("a message_id")
        .to_string()
}

/// Every file of `dir` (but the build's) with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

/// The patients table, by mrn: (name, phone_number, email, country).
async fn patients(
    db: &tokio_postgres::Client,
) -> BTreeMap<String, (String, Option<String>, Option<String>, String)> {
    db.query(
        "SELECT mrn, name, phone_number, email, country FROM patient",
        &[],
    )
    .await
    .expect("reading patients")
    .iter()
    .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4))))
    .collect()
}

#[tokio::test]
async fn a_model_changed_under_a_running_pipeline_loses_no_message() {
    let project_dir = target_dir().join("nomnom-projects").join("evolution");
    // Start from v1: the folder may hold the v2 of an earlier run.
    let _ = std::fs::remove_dir_all(project_dir.join("migrations"));
    let model = tempfile::tempdir().expect("a model folder");
    std::fs::write(model.path().join("nomnom.yaml"), V1).expect("v1");
    let v1 = generate_and_build(model.path(), &project_dir, "evolution-v1", &[])
        .unwrap_or_else(|o| panic!("v1: {}", String::from_utf8_lossy(&o.stderr)));
    let initial = std::fs::read(project_dir.join("migrations/0001_initial.sql")).expect("0001");

    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    let pg = db.client().await;

    // v1 runs and stores three patients.
    let mut pipeline = Pipeline::start(&v1, env.clone()).await;
    let client = pipeline.client.clone();
    let mut stored_v1 = Vec::new();
    for (mrn, name, phone) in [
        ("M1", "Ann", "111"),
        ("M2", "Bob", "222"),
        ("M3", "Cy", "333"),
    ] {
        stored_v1.push(post(&client, "Patient", &v1_patient(mrn, name, phone)).await);
    }
    wait_persisted(&pg, &stored_v1, Duration::from_secs(60)).await;

    // Its worker stops; v1 messages queue up; then the API stops too.
    let code = pipeline.worker.terminate(Duration::from_secs(30)).await;
    assert_eq!(code, Some(0), "v1 worker: {}", pipeline.worker.log());
    let mut queued = Vec::new();
    for (mrn, name, phone) in [
        ("M4", "Di", "444"),
        ("M5", "Ed", "555"),
        ("M6", "Flo", "666"),
    ] {
        queued.push(post(&client, "Patient", &v1_patient(mrn, name, phone)).await);
    }
    // A message of a root that v2 renames.
    queued.push(
        post(
            &client,
            "Note",
            &json!({"text": "queued under its old name"}),
        )
        .await,
    );
    let code = pipeline.api.terminate(Duration::from_secs(30)).await;
    assert_eq!(code, Some(0), "v1 API: {}", pipeline.api.log());
    let accepted: i64 = pg
        .query_one(
            "SELECT count(*) FROM message_status WHERE status = 'accepted' \
             AND message_id::text = ANY($1)",
            &[&queued],
        )
        .await
        .expect("status")
        .get(0);
    assert_eq!(accepted, 4, "the v1 messages wait in the stream");

    // The model changes; the project is regenerated into the same folder and rebuilt.
    std::fs::write(model.path().join("nomnom.yaml"), V2).expect("v2");
    let v2 = generate_and_build(model.path(), &project_dir, "evolution-v2", &[])
        .unwrap_or_else(|o| panic!("v2: {}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(
        std::fs::read(project_dir.join("migrations/0001_initial.sql")).expect("0001"),
        initial,
        "0001 untouched"
    );
    let migrations: Vec<String> = std::fs::read_dir(project_dir.join("migrations"))
        .expect("migrations")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    assert_eq!(migrations.len(), 2, "{migrations:?}");
    assert!(
        migrations.iter().any(|m| m.starts_with("0002_")),
        "{migrations:?}"
    );

    // The documented order: migrate, then the workers, then the API.
    let logs = tempfile::tempdir().expect("a log folder");
    let mut migrate = Service::spawn(
        "worker migrate",
        &v2.worker_binary(),
        &["migrate"],
        &env,
        &logs.path().join("migrate.log"),
    );
    let code = migrate.wait_exit(Duration::from_secs(60)).await;
    assert_eq!(code, Some(0), "v2 migrate: {}", migrate.log());
    let applied: Vec<i64> = pg
        .query(
            "SELECT version FROM _nomnom_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("migrations")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(applied, [1, 2]);
    let mut worker = Service::spawn(
        "worker",
        &v2.worker_binary(),
        &[],
        &env,
        &logs.path().join("worker.log"),
    );
    wait_persisted(&pg, &queued, Duration::from_secs(60)).await;
    let code = worker.terminate(Duration::from_secs(30)).await;
    assert_eq!(code, Some(0), "v2 worker: {}", worker.log());
    drop(pipeline);

    // The wrong order: the new API while only a worker of the old model runs. The old worker
    // leaves the v2 message for a worker of the new model instead of storing it without
    // what v2 added.
    let api = Service::spawn(
        "ingestion-api",
        &v2.api_binary(),
        &[],
        &env,
        &logs.path().join("api.log"),
    );
    let client = HttpClient::new(format!("http://127.0.0.1:{}", env["PORT"]));
    wait_until("the v2 API to be ready", Duration::from_secs(30), || {
        let client = client.clone();
        async move { (client.get("/ready").await.ok()?.status == 200).then_some(()) }
    })
    .await;
    let mut old_worker = Service::spawn(
        "worker",
        &v1.worker_binary(),
        &[],
        &env,
        &logs.path().join("old-worker.log"),
    );
    let early = post(
        &client,
        "Patient",
        &json!({"mrn": "M8", "name": "Hal", "email": "h@example.org", "visits": []}),
    )
    .await;
    let deferred = wait_until(
        "the old worker to leave the v2 message",
        Duration::from_secs(60),
        || {
            let (pg, early) = (&pg, &early);
            async move {
                let row = pg
                    .query_opt(
                        "SELECT status, error_message FROM message_status \
                         WHERE message_id::text = $1",
                        &[early],
                    )
                    .await
                    .ok()??;
                (row.get::<_, String>(0) == "retrying")
                    .then(|| row.get::<_, Option<String>>(1))
                    .flatten()
            }
        },
    )
    .await;
    assert!(
        deferred.contains("accepted under model version 2; this worker runs model version 1"),
        "{deferred}"
    );
    let code = old_worker.terminate(Duration::from_secs(30)).await;
    assert_eq!(code, Some(0), "v1 worker: {}", old_worker.log());
    let worker = Service::spawn(
        "worker",
        &v2.worker_binary(),
        &[],
        &env,
        &logs.path().join("worker.log"),
    );

    // v2 messages, through the new API and the new worker.
    let long_name = "Bartholomew Fitzgerald-Longname";
    assert!(long_name.chars().count() > 10);
    let v2_ids = vec![
        early,
        post(
            &client,
            "Patient",
            &json!({
                "mrn": "M7",
                "name": long_name,
                "phone_number": "777",
                "email": "g@example.org",
                "country": "AU",
                "visits": [{"at": "2024-04-01T09:00:00Z", "ward": "C"}],
                "allergies": [{"substance": "penicillin"}, {"substance": "latex"}]
            }),
        )
        .await,
        post(&client, "Device", &json!({"serial": "D-1", "model": "X2"})).await,
    ];
    wait_persisted(&pg, &v2_ids, Duration::from_secs(90)).await;

    let rows = patients(&pg).await;
    let some = |s: &str| Some(s.to_string());
    let mut want = BTreeMap::new();
    for (mrn, name, phone) in [
        ("M1", "Ann", "111"),
        ("M2", "Bob", "222"),
        ("M3", "Cy", "333"),
        ("M4", "Di", "444"),
        ("M5", "Ed", "555"),
        ("M6", "Flo", "666"),
    ] {
        // Stored by v1 (M1–M3): the renamed column keeps its values, the new columns are
        // null or the default. Queued under v1, stored by v2 (M4–M6): the old key is read.
        want.insert(
            mrn.to_string(),
            (name.to_string(), some(phone), None, "NZ".to_string()),
        );
    }
    want.insert(
        "M8".to_string(),
        (
            "Hal".to_string(),
            None,
            some("h@example.org"),
            "NZ".to_string(),
        ),
    );
    want.insert(
        "M7".to_string(),
        (
            long_name.to_string(),
            some("777"),
            some("g@example.org"),
            "AU".to_string(),
        ),
    );
    assert_eq!(rows, want);

    let visits: i64 = pg
        .query_one("SELECT count(*) FROM visit", &[])
        .await
        .expect("visits")
        .get(0);
    assert_eq!(visits, 6 * 2 + 1, "every visit of every message");
    let allergies: Vec<String> = pg
        .query(
            "SELECT a.substance FROM allergy a JOIN patient p ON p._id = a._parent_id \
             WHERE p.mrn = 'M7' ORDER BY 1",
            &[],
        )
        .await
        .expect("allergies")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(allergies, ["latex", "penicillin"]);
    let device: (String, Option<String>) = pg
        .query_one("SELECT serial, model FROM device", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("the device");
    assert_eq!(device, ("D-1".to_string(), some("X2")));
    let memos: Vec<String> = pg
        .query("SELECT text FROM memo", &[])
        .await
        .expect("memos")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        memos,
        ["queued under its old name"],
        "the renamed root's table"
    );
    let failed: i64 = pg
        .query_one(
            "SELECT count(*) FROM message_status WHERE status <> 'persisted'",
            &[],
        )
        .await
        .expect("status")
        .get(0);
    assert_eq!(failed, 0, "no message failed or is left behind");
    drop(worker);
    drop(api);

    // A destructive change (a field removed) is refused, and the folder is left as it was.
    let before = files(&project_dir);
    std::fs::write(
        model.path().join("nomnom.yaml"),
        V2.replace("      email: string?\n", ""),
    )
    .expect("v3");
    let refused = generate_and_build(model.path(), &project_dir, "evolution-v3", &[])
        .expect_err("a destructive change is refused");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("field `Patient.email` removed"), "{err}");
    assert_eq!(
        files(&project_dir),
        before,
        "the project folder is untouched"
    );
}
