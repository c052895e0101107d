//! The database a generated project writes to (`nomnom generate --database`), chosen once:
//! it picks the migrations' dialect ([`crate::sql`] or [`crate::sql_mysql`], and the
//! evolution's [`crate::evolve::Dialect`]), what `.env.example`, docker-compose and the Helm
//! chart point at, and the `DATABASE` the generated model declares (the runtime refuses a
//! `DATABASE_URL` of another kind).

use std::fmt;

use nomnom_spec::model::Project;

use crate::error::GenerateError;

/// Where the worker writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Database {
    /// PostgreSQL (the default).
    #[default]
    Postgresql,
    /// MySQL 8.
    Mysql,
    /// MariaDB 10.6 and later (the MySQL dialect).
    Mariadb,
}

/// Where a generated project records its database (absent for PostgreSQL, the default).
pub const DATABASE_FILE: &str = "migrations/database";

impl Database {
    /// Every choice, as `--database` takes them.
    pub const ALL: [Database; 3] = [Database::Postgresql, Database::Mysql, Database::Mariadb];

    /// Reads `postgresql`, `mysql` or `mariadb` (and `postgres`).
    pub fn parse(text: &str) -> Option<Database> {
        match text.trim() {
            "postgresql" | "postgres" => Some(Database::Postgresql),
            "mysql" => Some(Database::Mysql),
            "mariadb" => Some(Database::Mariadb),
            _ => None,
        }
    }

    /// The name `--database` takes.
    pub fn name(self) -> &'static str {
        match self {
            Database::Postgresql => "postgresql",
            Database::Mysql => "mysql",
            Database::Mariadb => "mariadb",
        }
    }

    /// `true` for MySQL and MariaDB (one dialect).
    pub fn is_mysql(self) -> bool {
        !matches!(self, Database::Postgresql)
    }

    /// The first migration of `project` in this database's dialect.
    pub fn initial_migration(self, project: &Project) -> Result<String, GenerateError> {
        if self.is_mysql() {
            crate::sql_mysql::initial_migration(project)
        } else {
            crate::sql::initial_migration(project)
        }
    }

    /// The dialect of the migrations that follow the first.
    pub fn dialect(self) -> &'static dyn crate::evolve::Dialect {
        if self.is_mysql() {
            &crate::evolve::Mysql
        } else {
            &crate::evolve::Postgres
        }
    }

    /// An example `DATABASE_URL` for a local server.
    pub fn example_url(self, project: &str) -> String {
        let db = project.replace('-', "_");
        if self.is_mysql() {
            format!("mysql://root@127.0.0.1:3306/{db}")
        } else {
            "postgres://postgres@127.0.0.1:5432/postgres".to_string()
        }
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
