//! Money and dates written the Danish way, for documents, mails and pages (and the English
//! date beside the Danish one).

use chrono::{Datelike, NaiveDate};

/// Whole kroner with Danish thousands separators: `-1.234.567`.
pub fn kroner(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if amount < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A date the Danish way: `23. november 2026`.
pub fn danish_date(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ];
    format!(
        "{}. {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// A date the English way: `23 November 2026`.
pub fn english_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kroner_are_grouped_the_danish_way() {
        assert_eq!(kroner(0), "0");
        assert_eq!(kroner(999), "999");
        assert_eq!(kroner(1_000), "1.000");
        assert_eq!(kroner(-2_400_000), "-2.400.000");
        assert_eq!(kroner(15_600_000), "15.600.000");
    }

    #[test]
    fn dates_are_written_the_danish_way() {
        assert_eq!(
            danish_date(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()),
            "23. november 2026"
        );
    }
}
