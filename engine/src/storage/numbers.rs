//! Gap-free case numbers per region and year, e.g. `SYD-2026-0007`.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};

/// Takes the next number of `region_id` in `year`. Run it first in the transaction that creates
/// the case: the counter row stays locked until commit, and a rollback gives the number back.
///
/// # Errors
/// A database error.
pub async fn next_seq(db: &impl ConnectionTrait, region_id: i64, year: i32) -> Result<i32, DbErr> {
    let table = Alias::new("case_number_counter");
    let last_seq = Alias::new("last_seq");
    let statement = Query::insert()
        .into_table(table.clone())
        .columns([
            Alias::new("region_id"),
            Alias::new("year"),
            last_seq.clone(),
        ])
        .values_panic([region_id.into(), year.into(), 1.into()])
        .on_conflict(
            OnConflict::columns([Alias::new("region_id"), Alias::new("year")])
                .value(
                    last_seq.clone(),
                    Expr::col((table, last_seq.clone())).add(1),
                )
                .to_owned(),
        )
        .returning_col(last_seq)
        .to_owned();
    let row = db
        .query_one(&statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    row.try_get("", "last_seq")
}

/// Formats a case number: prefix, year and a sequence of at least four digits.
pub fn format_number(prefix: &str, year: i32, seq: i32) -> String {
    format!("{prefix}-{year}-{seq:04}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_zero_padded() {
        assert_eq!(super::format_number("SYD", 2026, 7), "SYD-2026-0007");
        assert_eq!(super::format_number("MID", 2027, 12345), "MID-2027-12345");
    }
}
