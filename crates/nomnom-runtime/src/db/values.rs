//! A column of a batch as each database binds it: PostgreSQL takes the whole column as one
//! array parameter, MySQL takes one value per row. Generated code hands its columns over as
//! [`ColumnValues`] and never knows which database it writes to.

use tokio_postgres::types::ToSql;

use super::mysql::value::MysqlValue;
use super::rows::Column;

/// One column's values, in row order.
pub trait ColumnValues: Sync {
    /// The values as one PostgreSQL array parameter.
    fn pg(&self) -> &(dyn ToSql + Sync);
    /// The value of row `row` as MySQL binds it.
    fn mysql(&self, row: usize) -> mysql_async::Value;
}

impl<T: ToSql + Sync + MysqlValue> ColumnValues for Column<T> {
    fn pg(&self) -> &(dyn ToSql + Sync) {
        self.as_param()
    }

    fn mysql(&self, row: usize) -> mysql_async::Value {
        self.values()[row].to_mysql()
    }
}
