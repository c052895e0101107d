//! A batch's rows as `LOAD DATA LOCAL INFILE` reads them: tab-separated, one row per line,
//! `\N` for NULL, backslash escapes in text, the `BINARY(16)` ids as hex turned back into
//! bytes by `UNHEX` in the statement's `SET`.

use std::fmt::Write as _;

use mysql_async::Value as SqlValue;
use nomnom_runtime::db::mysql::value::MysqlValue;
use nomnom_runtime::db::table::ColumnKind;

use super::rows::TableRows;

impl TableRows {
    /// Row `i`'s values as the runtime binds them: the hidden columns, then the model's.
    fn row(&self, i: usize) -> Vec<SqlValue> {
        let mut row = vec![
            self.hidden.ids()[i].to_mysql(),
            self.hidden.message_ids()[i].to_mysql(),
        ];
        if self.table.is_keyed() {
            row.push(self.hidden.versions()[i].to_mysql());
        }
        if self.table.has_parent {
            row.push(self.hidden.parent_ids()[i].to_mysql());
        }
        row.extend(self.columns.iter().map(|c| c.values().mysql(i)));
        row
    }

    /// The `LOAD DATA` statement for these rows from the local file `file` into `into` (this
    /// table, or a staging table with its columns): tab-separated, `\N` for NULL, the
    /// `BINARY(16)` ids as hex turned back into bytes by `UNHEX`.
    pub fn load_statement(&self, file: &str, into: &str) -> String {
        let mut targets = Vec::new();
        let mut sets = Vec::new();
        for name in self.hidden_names() {
            targets.push(format!("@{name}"));
            sets.push(format!("{name} = UNHEX(@{name})"));
        }
        for column in self.table.columns {
            let quoted = nomnom_runtime::db::mysql::quoted(column.name);
            if column.kind == ColumnKind::Uuid {
                targets.push(format!("@v_{}", column.name));
                sets.push(format!("{quoted} = UNHEX(@v_{})", column.name));
            } else {
                targets.push(quoted);
            }
        }
        format!(
            "LOAD DATA LOCAL INFILE '{file}' INTO TABLE {into} CHARACTER SET utf8mb4 \
             FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({}) SET {}",
            targets.join(", "),
            sets.join(", ")
        )
    }

    /// The rows as `LOAD DATA` text ([`TableRows::load_statement`]).
    pub fn load_text(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.len() * 256);
        let hidden = self.hidden_names().len();
        for i in 0..self.len() {
            for (k, value) in self.row(i).iter().enumerate() {
                if k > 0 {
                    out.push('\t');
                }
                let binary = k < hidden || self.table.columns[k - hidden].kind == ColumnKind::Uuid;
                field(&mut out, value, binary);
            }
            out.push('\n');
        }
        out.into_bytes()
    }
}

/// One value as a `LOAD DATA` field.
fn field(out: &mut String, value: &SqlValue, binary: bool) {
    match value {
        SqlValue::NULL => out.push_str("\\N"),
        SqlValue::Bytes(bytes) if binary => {
            for b in bytes {
                let _ = write!(out, "{b:02x}");
            }
        }
        SqlValue::Bytes(bytes) => {
            for c in String::from_utf8_lossy(bytes).chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\0' => out.push_str("\\0"),
                    c => out.push(c),
                }
            }
        }
        SqlValue::Int(n) => {
            let _ = write!(out, "{n}");
        }
        SqlValue::UInt(n) => {
            let _ = write!(out, "{n}");
        }
        // Rust prints the shortest text that reads back as the same double.
        SqlValue::Double(x) => {
            let _ = write!(out, "{x:?}");
        }
        SqlValue::Float(x) => {
            let _ = write!(out, "{x:?}");
        }
        SqlValue::Date(y, m, d, 0, 0, 0, 0) => {
            let _ = write!(out, "{y:04}-{m:02}-{d:02}");
        }
        SqlValue::Date(y, m, d, h, mi, s, us) => {
            let _ = write!(out, "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}");
        }
        SqlValue::Time(..) => out.push_str("\\N"),
    }
}
