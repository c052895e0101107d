//! The connection to PostgreSQL and the comparison of results.

use std::fmt::{Debug, Display};

use tokio_postgres::types::{FromSqlOwned, ToSql};
use tokio_postgres::{Client, NoTls};

/// A connection to the shared server with `TimeZone = 'UTC'`.
pub struct Pg {
    client: Client,
}

impl Pg {
    /// Connects to the machine's shared PostgreSQL.
    pub async fn connect() -> Pg {
        let url = nomnom_testkit::shared_database_url();
        let (client, connection) = tokio_postgres::connect(&url, NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        tokio::spawn(connection);
        client
            .batch_execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'")
            .await
            .expect("set the time zone");
        Pg { client }
    }

    /// The one value `sql` selects, `Err` with PostgreSQL's message when it raises an error.
    pub async fn value<T: FromSqlOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<T>, String> {
        match self.client.query_one(sql, params).await {
            Ok(row) => Ok(row.get(0)),
            Err(e) => Err(e
                .as_db_error()
                .map(|db| db.message().to_string())
                .unwrap_or_else(|| panic!("{sql}: not a database error: {e}"))),
        }
    }

    /// [`Pg::value`] as text.
    pub async fn text(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<String>, String> {
        self.value(sql, params).await
    }
}

/// The comparisons of one test: every mismatch is collected, and reported together.
#[derive(Default)]
pub struct Check {
    cases: usize,
    errors_on_both_sides: usize,
    failures: Vec<String>,
}

impl Check {
    /// Records one case: equal values, or an error on both sides.
    pub fn same<T: PartialEq + Debug, E: Display>(
        &mut self,
        case: impl Display,
        ours: Result<Option<T>, E>,
        theirs: Result<Option<T>, String>,
    ) {
        self.cases += 1;
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(_), Err(_)) => self.errors_on_both_sides += 1,
            _ => self.failures.push(format!(
                "{case}: ours {:?}, PostgreSQL {:?}",
                ours.map_err(|e| e.to_string()),
                theirs
            )),
        }
    }

    /// Records a failure found by the caller.
    pub fn fail(&mut self, message: String) {
        self.cases += 1;
        self.failures.push(message);
    }

    /// Counts a case the caller compared itself.
    pub fn pass(&mut self) {
        self.cases += 1;
    }

    /// Panics with every mismatch; also when fewer than `at_least` cases were compared, or
    /// when errors were expected on both sides and none came.
    pub fn finish(self, what: &str, at_least: usize, expect_errors: bool) {
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} cases differ from PostgreSQL:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
        assert!(
            self.cases >= at_least,
            "{what}: only {} cases compared",
            self.cases
        );
        assert!(
            !expect_errors || self.errors_on_both_sides > 0,
            "{what}: no case raised an error on both sides"
        );
        eprintln!(
            "{what}: {} cases agree with PostgreSQL ({} errors on both sides)",
            self.cases, self.errors_on_both_sides
        );
    }
}

impl Pg {
    /// The first column of every row `sql` selects, as text.
    pub async fn texts(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Vec<Option<String>> {
        self.client
            .query(sql, params)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|row| row.get(0))
            .collect()
    }
}
