//! Danish working days: due dates in the workflows count these, not calendar days.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};

/// A day of the year a region keeps closed beyond the public holidays (e.g. 24 December).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosingDay {
    pub month: u32,
    pub day: u32,
}

impl ClosingDay {
    /// Parses `MM-DD`, e.g. `12-24`.
    ///
    /// # Errors
    /// When the text is not a real month and day.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let invalid = || {
            format!("closing day `{raw}` is not a month and day; write it as MM-DD, e.g. \"12-24\"")
        };
        let (month, day) = raw.split_once('-').ok_or_else(invalid)?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        let day: u32 = day.parse().map_err(|_| invalid())?;
        // 2024 is a leap year, so 29 February is accepted.
        NaiveDate::from_ymd_opt(2024, month, day).ok_or_else(invalid)?;
        Ok(Self { month, day })
    }
}

/// The last Sunday of `month` in `year`, at 01:00 UTC: when Danish summer time starts (March)
/// and ends (October).
fn last_sunday_0100_utc(year: i32, month: u32) -> NaiveDateTime {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let last = first_of_next.unwrap_or(NaiveDate::MIN) - Duration::days(1);
    let back = i64::from(last.weekday().num_days_from_sunday());
    (last - Duration::days(back))
        .and_hms_opt(1, 0, 0)
        .unwrap_or_default()
}

/// Denmark's offset from UTC at `now`: one hour (CET), two in summer (CEST).
fn danish_offset(now: DateTime<Utc>) -> Duration {
    let utc = now.naive_utc();
    let summer =
        utc >= last_sunday_0100_utc(utc.year(), 3) && utc < last_sunday_0100_utc(utc.year(), 10);
    Duration::hours(if summer { 2 } else { 1 })
}

/// The date in Denmark (CET, CEST in summer) at `now`.
pub fn danish_date(now: DateTime<Utc>) -> NaiveDate {
    (now.naive_utc() + danish_offset(now)).date()
}

/// The Danish wall-clock time at `now`, for showing when something happened.
pub fn danish_time(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    now.naive_utc() + danish_offset(now)
}

/// The latest moment at or before `now` when the Danish clock struck `hour` — when the daily
/// digest that is due now was cut off.
pub fn latest_danish_hour(now: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    let offset = danish_offset(now);
    let local = now.naive_utc() + offset;
    let today_at = local
        .date()
        .and_hms_opt(hour.min(23), 0, 0)
        .unwrap_or(local);
    let cut = if local >= today_at {
        today_at
    } else {
        today_at - Duration::days(1)
    };
    (cut - offset).and_utc()
}

/// Easter Sunday of `year` (Gregorian, anonymous algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

/// Whether `date` is a Danish public holiday (helligdag).
pub fn is_public_holiday(date: NaiveDate) -> bool {
    let fixed = matches!((date.month(), date.day()), (1, 1) | (12, 25) | (12, 26));
    let easter = easter_sunday(date.year());
    let offset = (date - easter).num_days();
    // Skærtorsdag, langfredag, påskedag, 2. påskedag, Kristi himmelfart, pinsedag, 2. pinsedag.
    let easter_based = matches!(offset, -3 | -2 | 0 | 1 | 39 | 49 | 50);
    // Store bededag (4th Friday after Easter) was abolished as a holiday from 2024.
    let store_bededag = offset == 26 && date.year() < 2024;
    fixed || easter_based || store_bededag
}

/// A working-day calendar: weekends, public holidays and a region's own closing days are off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    closing_days: Vec<ClosingDay>,
}

impl WorkingCalendar {
    pub fn new(closing_days: Vec<ClosingDay>) -> Self {
        Self { closing_days }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && !is_public_holiday(date)
            && !self
                .closing_days
                .iter()
                .any(|c| c.month == date.month() && c.day == date.day())
    }

    /// The date `days` working days after `start` (`start` itself does not count).
    pub fn add_working_days(&self, start: NaiveDate, days: u32) -> NaiveDate {
        let mut date = start;
        let mut left = days;
        while left > 0 {
            date += Duration::days(1);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }
}

/// The earliest date a user may give: anything before is a typing error.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// The latest date a user may give: anything after is a typing error.
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

/// What is wrong with a date a user gave for `field`, if anything: it must lie between
/// 2000-01-01 and 2100-12-31. Every date a user gives passes through here.
pub fn date_problem(field: &str, date: NaiveDate) -> Option<crate::error::FieldError> {
    (!(EARLIEST_DATE..=LATEST_DATE).contains(&date)).then(|| {
        crate::error::FieldError::new(
            field,
            format!(
                "{date} is outside the dates Overdrag takes; give a date from {EARLIEST_DATE} to \
                 {LATEST_DATE} (check the year)"
            ),
            {
                use crate::render::danish::danish_date;
                format!(
                    "{} ligger uden for de datoer, Overdrag tager imod; angiv en dato fra {} til \
                     {} (tjek årstallet)",
                    danish_date(date),
                    danish_date(EARLIEST_DATE),
                    danish_date(LATEST_DATE)
                )
            },
        )
    })
}

/// The problems of the dates given, each named by its field; absent dates pass.
pub fn date_problems<'a>(
    dates: impl IntoIterator<Item = (&'a str, Option<NaiveDate>)>,
) -> Vec<crate::error::FieldError> {
    dates
        .into_iter()
        .filter_map(|(field, date)| date.and_then(|d| date_problem(field, d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_2000_to_2100_are_refused_naming_the_field() {
        assert_eq!(date_problem("held_on", d(2000, 1, 1)), None);
        assert_eq!(date_problem("held_on", d(2100, 12, 31)), None);
        for bad in [d(1999, 12, 31), d(2101, 1, 1), d(1, 1, 1), d(9999, 12, 31)] {
            let problem = date_problem("held_on", bad);
            assert_eq!(
                problem.map(|p| p.field),
                Some("held_on".to_owned()),
                "{bad}"
            );
        }
        let problems = date_problems([
            ("implementation_on", Some(d(1970, 1, 1))),
            ("follow_up_on", None),
            ("deadline", Some(d(2027, 1, 1))),
        ]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "implementation_on");
        assert!(problems[0].message.contains("2100-12-31"), "{problems:?}");
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn the_digest_hour_is_danish_local_time_in_winter_and_summer() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        // 23 November: CET, 07:00 in Copenhagen is 06:00 UTC.
        assert_eq!(
            latest_danish_hour(at("2026-11-23T06:30:00Z"), 7),
            at("2026-11-23T06:00:00Z")
        );
        assert_eq!(
            latest_danish_hour(at("2026-11-23T05:59:00Z"), 7),
            at("2026-11-22T06:00:00Z")
        );
        // 1 July: CEST, 07:00 in Copenhagen is 05:00 UTC.
        assert_eq!(
            latest_danish_hour(at("2026-07-01T05:00:00Z"), 7),
            at("2026-07-01T05:00:00Z")
        );
    }

    #[test]
    fn easter_falls_on_the_published_dates() {
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2028), d(2028, 4, 16));
    }

    #[test]
    fn the_danish_holidays_of_2026_are_off() {
        for day in [
            d(2026, 1, 1),
            d(2026, 4, 2),
            d(2026, 4, 3),
            d(2026, 4, 5),
            d(2026, 4, 6),
            d(2026, 5, 14),
            d(2026, 5, 24),
            d(2026, 5, 25),
            d(2026, 12, 25),
            d(2026, 12, 26),
        ] {
            assert!(is_public_holiday(day), "{day} should be a holiday");
        }
        // Store bededag 2026 would have been 1 May; it is a working day now.
        assert!(!is_public_holiday(d(2026, 5, 1)));
        assert!(is_public_holiday(d(2023, 5, 5)));
    }

    #[test]
    fn the_danish_holidays_of_2027_and_2028_are_off() {
        // Published holidays: nytår, skærtorsdag, langfredag, påskedag, 2. påskedag,
        // Kristi himmelfart, pinsedag, 2. pinsedag, juledag, 2. juledag.
        let published = [
            [
                (1, 1),
                (3, 25),
                (3, 26),
                (3, 28),
                (3, 29),
                (5, 6),
                (5, 16),
                (5, 17),
                (12, 25),
                (12, 26),
            ],
            [
                (1, 1),
                (4, 13),
                (4, 14),
                (4, 16),
                (4, 17),
                (5, 25),
                (6, 4),
                (6, 5),
                (12, 25),
                (12, 26),
            ],
        ];
        for (year, days) in [2027, 2028].into_iter().zip(published) {
            let mut found = Vec::new();
            let mut date = d(year, 1, 1);
            while date.year() == year {
                if is_public_holiday(date) {
                    found.push((date.month(), date.day()));
                }
                date += Duration::days(1);
            }
            assert_eq!(found, days, "{year}");
        }
    }

    #[test]
    fn working_days_skip_weekends_holidays_and_closing_days() {
        let calendar = WorkingCalendar::new(vec![
            ClosingDay { month: 12, day: 24 },
            ClosingDay { month: 12, day: 31 },
        ]);
        // Wednesday 23 Dec 2026 + 1 working day: 24 closed, 25-27 off, so Monday 28.
        assert_eq!(
            calendar.add_working_days(d(2026, 12, 23), 1),
            d(2026, 12, 28)
        );
        // Easter 2027 is 28 March: 25, 26 and 29 March are off, so from Wednesday 24 March two
        // working days land on Wednesday 31 March.
        assert_eq!(calendar.add_working_days(d(2027, 3, 24), 2), d(2027, 3, 31));
        assert_eq!(
            calendar.add_working_days(d(2026, 11, 23), 0),
            d(2026, 11, 23)
        );
    }

    #[test]
    fn the_danish_date_follows_cet_and_cest() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default()
        };
        assert_eq!(danish_date(at("2026-11-23T23:30:00Z")), d(2026, 11, 24));
        assert_eq!(danish_date(at("2026-11-23T22:30:00Z")), d(2026, 11, 23));
        assert_eq!(danish_date(at("2026-07-01T22:30:00Z")), d(2026, 7, 2));
        assert_eq!(danish_date(at("2026-07-01T21:30:00Z")), d(2026, 7, 1));
    }

    #[test]
    fn closing_days_are_parsed_as_month_and_day() {
        assert_eq!(
            ClosingDay::parse("06-05"),
            Ok(ClosingDay { month: 6, day: 5 })
        );
        assert!(ClosingDay::parse("13-01").is_err());
        assert!(ClosingDay::parse("juleaften").is_err());
    }
}
