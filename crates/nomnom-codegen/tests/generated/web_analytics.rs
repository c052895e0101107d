//! Checks of the generated `web-analytics` project, written into it as `tests/checks.rs` by
//! nomnom-codegen's compile test: renamed keys, JSON pointers, defaults, keyword field names,
//! a grandchild, keyless entities; then the generated SQL against the local PostgreSQL.

use nomnom_runtime::db::writer::Postgres;
use nomnom_runtime::export::tokio_postgres::Client;
use nomnom_runtime::export::{tokio, uuid::{self, Uuid}};
use nomnom_runtime::model::{Model, Rejection, RowBatch};
use web_analytics::{Record, WebAnalyticsModel};

mod support;
use support::{count, fresh_database, write};

/// The generated model's batch of rows.
type Batch = <WebAnalyticsModel as Model>::Batch;

const VIEW: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";
const SESSION: &str = "0d6f2c1e-8a4b-4c6d-9e2f-3a1b5c7d9e0f";

fn errors(entity: &str, body: &str) -> Vec<(String, &'static str, String)> {
    match WebAnalyticsModel::validate(entity, body.as_bytes()) {
        Err(Rejection::Invalid(errors)) => errors.into_iter().map(|e| (e.path, e.rule, e.message)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn page_view(interactions: usize, hits: usize) -> String {
    let hit = r##"{"selector": "#buy", "x": 10, "y": 20, "order": 1}"##;
    let hits = vec![hit; hits].join(", ");
    let interaction = format!(r#"{{"kind": "click", "at": "2024-05-01T12:00:01Z", "hits": [{hits}]}}"#);
    let interactions = vec![interaction.as_str(); interactions].join(", ");
    format!(
        r#"{{"view_id": "{VIEW}", "sessionId": "{SESSION}", "url": "https://example.com/a",
            "viewed_at": "2024-05-01T12:00:00+02:00",
            "client": {{"user_agent": "UA/1", "screen": {{"width": 1280}}}},
            "properties": {{"ab": [1, 2.5, "x", 12345678901234567890.123456789]}}, "order": 3, "select": "menu", "score": "99.5",
            "interactions": [{interactions}]}}"#
    )
}

#[test]
fn renames_pointers_defaults_and_grandchildren_are_read() {
    let Ok(Record::PageView(view)) = WebAnalyticsModel::validate("PageView", page_view(2, 1).as_bytes()) else {
        panic!("valid page view refused")
    };
    assert_eq!(view.view_id.to_string(), VIEW);
    assert_eq!(view.session_id.to_string(), SESSION, "read from `sessionId`");
    assert!(!view.is_bot, "default false");
    assert_eq!(view.r#type, "page", "default of a keyword-named field");
    assert_eq!(view.order, Some(3));
    assert_eq!(view.select.as_deref(), Some("menu"));
    assert_eq!(view.user_agent.as_deref(), Some("UA/1"), "from /client/user_agent");
    assert_eq!(view.screen_width, Some(1280), "from /client/screen/width");
    assert_eq!(view.viewed_at.to_rfc3339(), "2024-05-01T10:00:00+00:00");
    assert_eq!(view.score.map(|d| d.to_string()).as_deref(), Some("99.5"));
    assert_eq!(
        view.properties.as_ref().map(|json| json.as_str()),
        Some(r#"{"ab":[1,2.5,"x",12345678901234567890.123456789]}"#),
        "json kept exactly"
    );
    assert_eq!(view.interactions.len(), 2);
    assert_eq!(view.interactions[1].view_id, view.view_id, "copied from the parent");
    assert_eq!(view.interactions[1].hits[0].view_id, view.view_id, "copied through two levels");
    assert_eq!(view.interactions[1].hits[0].order, Some(1));

    let session = format!(r#"{{"id": "{SESSION}", "started_at": "2024-05-01T12:00:00Z", "bounced": true}}"#);
    let Ok(Record::Session(session)) = WebAnalyticsModel::validate("Session", session.as_bytes()) else {
        panic!("valid session refused")
    };
    assert_eq!(session.attributes.as_str(), r#"{"source":"direct"}"#);
    assert_eq!(session.country, None);
}

#[test]
fn every_field_error_is_reported_at_every_depth() {
    let long = "t".repeat(101);
    let body = format!(
        r##"{{"view_id": "not-a-uuid", "url": "ftp://x", "isBot": "yes", "viewed_at": "yesterday",
            "client": {{"screen": {{"width": 0}}}}, "type": "app", "score": 101,
            "interactions": [{{"kind": "hover", "at": "2024-05-01T12:00:01Z", "target": "{long}",
                "hits": [{{"selector": "#a", "x": "1", "y": 2}}, {{"x": 1, "y": 2}}]}}]}}"##
    );
    let expected: Vec<(&str, &str, &str)> = vec![
        ("/view_id", "format", "expected a UUID (8-4-4-4-12 hex digits)"),
        ("/sessionId", "required", "is required"),
        ("/url", "pattern", "must match the pattern https?://[^ ]+"),
        ("/isBot", "type", "expected a boolean, found a string"),
        ("/viewed_at", "format", "expected an RFC 3339 timestamp with an offset"),
        ("/client/screen/width", "min", "must be at least 1"),
        ("/type", "enum", "must be one of page, screen"),
        ("/score", "max", "must be at most 100.5"),
        ("/interactions/0/kind", "enum", "must be one of click, scroll, input"),
        ("/interactions/0/target", "max_length", "must be at most 100 characters long"),
        ("/interactions/0/hits/0/x", "type", "expected an integer, found a string"),
        ("/interactions/0/hits/1/selector", "required", "is required"),
    ];
    let got = errors("PageView", &body);
    let got: Vec<(&str, &str, &str)> = got.iter().map(|(p, r, m)| (p.as_str(), *r, m.as_str())).collect();
    assert_eq!(got, expected);

    // Two rules broken by one value are both reported; an explicit null does not take the default.
    let session = format!(r#"{{"id": "{SESSION}", "started_at": "2024-05-01T12:00:00Z", "bounced": 1, "country": "usa", "attributes": null}}"#);
    let got = errors("Session", &session);
    let got: Vec<(&str, &str)> = got.iter().map(|(p, r, _)| (p.as_str(), *r)).collect();
    assert_eq!(
        got,
        [("/country", "max_length"), ("/country", "pattern"), ("/bounced", "type"), ("/attributes", "null")]
    );

    // What PostgreSQL would refuse is refused here, at the offending value.
    let session = format!(
        r#"{{"id": "{SESSION}", "started_at": "2024-05-01T12:00:00Z", "bounced": true, "country": "U\u0000", "attributes": {{"n": 1e999999}}}}"#
    );
    let got = errors("Session", &session);
    let got: Vec<(&str, &str)> = got.iter().map(|(p, r, _)| (p.as_str(), *r)).collect();
    assert_eq!(got, [("/country", "format"), ("/attributes/n", "format")]);
}

fn add(batch: &mut Batch, entity: &str, message_id: Uuid, body: &str) {
    let record = WebAnalyticsModel::validate(entity, body.as_bytes()).expect("valid");
    WebAnalyticsModel::add_to_batch(batch, message_id, message_id, &record);
}

#[test]
fn keyless_rows_never_duplicate_and_keyed_parents_replace_grandchildren() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<WebAnalyticsModel>("web").await;

        // A keyless root written twice for the same message: one row.
        let error = r#"{"message": "TypeError: x is undefined", "occurred_at": "2024-05-01T12:00:00Z"}"#;
        let m1 = Uuid::now_v7();
        let mut batch = Batch::default();
        add(&mut batch, "ClientError", m1, error);
        assert_eq!(write(&mut client, &batch).await, 1);
        assert_eq!(write(&mut client, &batch).await, 0, "a redelivery writes nothing");
        let mut same_message_twice = Batch::default();
        add(&mut same_message_twice, "ClientError", m1, error);
        add(&mut same_message_twice, "ClientError", m1, error);
        assert_eq!(same_message_twice.row_count(), 1);
        write(&mut client, &same_message_twice).await;
        assert_eq!(count(&client, "SELECT count(*) FROM client_errors").await, 1);
        // The same content in another message is another row.
        let mut other = Batch::default();
        add(&mut other, "ClientError", Uuid::now_v7(), error);
        write(&mut client, &other).await;
        assert_eq!(count(&client, "SELECT count(*) FROM client_errors").await, 2);

        // A keyed root with keyless children and grandchildren.
        let m2 = Uuid::now_v7();
        let mut views = Batch::default();
        add(&mut views, "PageView", m2, &page_view(2, 2));
        assert_eq!(write(&mut client, &views).await, 1 + 2 + 4);
        write(&mut client, &views).await;
        assert_eq!(count(&client, "SELECT count(*) FROM page_views").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM interactions").await, 2);
        assert_eq!(count(&client, "SELECT count(*) FROM element_hits").await, 4);
        let row = client
            .query_one(r#"SELECT "type", "order", "select", is_bot, properties->'ab'->>2, score::text, screen_width, properties->'ab'->>3 FROM page_views"#, &[])
            .await
            .expect("page view");
        assert_eq!(row.get::<_, String>(0), "page");
        assert_eq!(row.get::<_, Option<i64>>(1), Some(3));
        assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("menu"));
        assert!(!row.get::<_, bool>(3));
        assert_eq!(row.get::<_, Option<String>>(4).as_deref(), Some("x"));
        assert_eq!(row.get::<_, Option<String>>(5).as_deref(), Some("99.5"));
        assert_eq!(row.get::<_, Option<i64>>(6), Some(1280));
        assert_eq!(
            row.get::<_, Option<String>>(7).as_deref(),
            Some("12345678901234567890.123456789"),
            "a json number stored digit for digit"
        );

        // Re-ingested in a new message with fewer children: the old ones (and theirs) are gone.
        let mut again = Batch::default();
        add(&mut again, "PageView", Uuid::now_v7(), &page_view(1, 1));
        write(&mut client, &again).await;
        assert_eq!(count(&client, "SELECT count(*) FROM page_views").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM interactions").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM element_hits").await, 1);

        // JSON defaults land in JSONB.
        let session = format!(r#"{{"id": "{SESSION}", "started_at": "2024-05-01T12:00:00Z", "bounced": false, "revenue": 0.1}}"#);
        let mut sessions = Batch::default();
        add(&mut sessions, "Session", Uuid::now_v7(), &session);
        write(&mut client, &sessions).await;
        let row = client
            .query_one("SELECT attributes->>'source', revenue::text FROM sessions", &[])
            .await
            .expect("session");
        assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("direct"));
        assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("0.1"));
    });
}

/// Writes `batch` in one transaction; returns the messages whose rows were not applied.
async fn superseded(client: &mut Client, batch: &Batch) -> Vec<Uuid> {
    let tx = client.transaction().await.expect("begin");
    let written = batch.write(&mut Postgres::new(&tx)).await.expect("write batch");
    tx.commit().await.expect("commit");
    written.superseded.iter().map(|s| s.message_id).collect()
}

#[test]
fn an_older_page_view_leaves_the_newer_one_and_all_below_it() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<WebAnalyticsModel>("web_newest").await;
        let (older, newer) = (Uuid::now_v7(), Uuid::now_v7());
        let mut batch = Batch::default();
        add(&mut batch, "PageView", newer, &page_view(1, 3));
        write(&mut client, &batch).await;
        // The older version, with other interactions and hits, arrives after it.
        let mut batch = Batch::default();
        add(&mut batch, "PageView", older, &page_view(2, 2));
        assert_eq!(superseded(&mut client, &batch).await, [older]);
        assert_eq!(count(&client, "SELECT count(*) FROM interactions").await, 1, "its children are not written");
        assert_eq!(count(&client, "SELECT count(*) FROM element_hits").await, 3, "nor its grandchildren");
        let kept: Uuid = client.query_one("SELECT _message_id FROM page_views", &[]).await.expect("view").get(0);
        assert_eq!(kept, newer);
    });
}

/// The stored session's revision and country.
async fn stored_session(client: &Client) -> (i64, String) {
    let row = client
        .query_one("SELECT revision, country FROM sessions", &[])
        .await
        .expect("the session");
    (row.get(0), row.get::<_, Option<String>>(1).unwrap_or_default())
}

#[test]
fn a_session_keeps_its_highest_revision_whatever_order_they_come_in() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<WebAnalyticsModel>("web_revision").await;
        let session = |revision: Option<i64>, country: &str| {
            let revision = revision.map(|r| format!(r#", "revision": {r}"#)).unwrap_or_default();
            format!(r#"{{"id": "{SESSION}", "started_at": "2024-05-01T12:00:00Z", "bounced": false, "country": "{country}"{revision}}}"#)
        };
        // Revision 3 is accepted first; revisions 1 and 2, accepted later, come after it.
        let mut batch = Batch::default();
        add(&mut batch, "Session", Uuid::now_v7(), &session(Some(3), "NZ"));
        write(&mut client, &batch).await;
        let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
        let mut batch = Batch::default();
        add(&mut batch, "Session", two, &session(Some(2), "FR"));
        add(&mut batch, "Session", one, &session(Some(1), "AU"));
        let mut late = superseded(&mut client, &batch).await;
        late.sort();
        assert_eq!(late, [one, two], "2 beat 1 in the batch, and 3 beat 2 in the table");
        assert_eq!(stored_session(&client).await, (3, "NZ".to_string()));

        // An equal revision accepted later wins; a message without one counts as revision 0.
        let mut batch = Batch::default();
        add(&mut batch, "Session", Uuid::now_v7(), &session(Some(3), "DE"));
        add(&mut batch, "Session", Uuid::now_v7(), &session(None, "US"));
        assert_eq!(superseded(&mut client, &batch).await.len(), 1);
        assert_eq!(stored_session(&client).await, (3, "DE".to_string()));

        // A higher revision accepted earlier than the stored row still replaces it.
        let accepted_long_ago = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_600_000_000, 0));
        let mut batch = Batch::default();
        add(&mut batch, "Session", accepted_long_ago, &session(Some(4), "JP"));
        assert!(superseded(&mut client, &batch).await.is_empty());
        assert_eq!(stored_session(&client).await, (4, "JP".to_string()));
    });
}
