//! What a "sign-off needed" mail says about the change that voided the earlier sign-offs: whose
//! sign-off no longer holds, and which figures changed, in the recipient's language.

use crate::domain::economics::EconomicsLine;
use crate::render::danish::kroner;
use std::collections::BTreeMap;

/// The figures of one party and year.
type Figures = (i64, i64, i64);

fn by_party_and_year(lines: &[EconomicsLine]) -> BTreeMap<(i64, i32), Figures> {
    lines
        .iter()
        .map(|l| {
            (
                (l.party_id, l.year),
                (l.one_off_costs, l.running_costs, l.savings),
            )
        })
        .collect()
}

/// The names of the three amounts, in `lang`.
fn amount_names(lang: &str) -> [&'static str; 3] {
    if lang == "en" {
        ["one-off costs", "running costs", "savings"]
    } else {
        ["engangsudgifter", "driftsudgifter", "besparelser"]
    }
}

fn amounts(figures: Figures, lang: &str) -> String {
    let [one_off, running, savings] = amount_names(lang);
    format!(
        "{one_off} {} kr., {running} {} kr., {savings} {} kr.",
        kroner(figures.0),
        kroner(figures.1),
        kroner(figures.2)
    )
}

/// One line per party and year whose figures differ between `before` and `after`, e.g.
/// "Odense Kommune, 2027: driftsudgifter 1.200.000 kr. → 1.500.000 kr.". `party_name` names
/// an organisation by its id.
pub fn figure_changes(
    before: &[EconomicsLine],
    after: &[EconomicsLine],
    party_name: impl Fn(i64) -> String,
    lang: &str,
) -> Vec<String> {
    let old = by_party_and_year(before);
    let new = by_party_and_year(after);
    let mut keys: Vec<&(i64, i32)> = old.keys().chain(new.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let (added, removed) = if lang == "en" {
        ("new line", "line removed")
    } else {
        ("ny linje", "linjen er fjernet")
    };
    keys.into_iter()
        .filter_map(|key| {
            let what = match (old.get(key), new.get(key)) {
                (Some(was), Some(is)) if was == is => return None,
                (Some(was), Some(is)) => {
                    let names = amount_names(lang);
                    [(was.0, is.0), (was.1, is.1), (was.2, is.2)]
                        .into_iter()
                        .zip(names)
                        .filter(|((a, b), _)| a != b)
                        .map(|((a, b), name)| {
                            format!("{name} {} kr. → {} kr.", kroner(a), kroner(b))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                (None, Some(is)) => format!("{added} ({})", amounts(*is, lang)),
                (Some(was), None) => format!("{removed} ({})", amounts(*was, lang)),
                (None, None) => return None,
            };
            Some(format!("{}, {}: {what}", party_name(key.0), key.1))
        })
        .collect()
}

/// Whose sign-offs the change voided, e.g. "Region Syddanmarks og Odense Kommunes
/// godkendelser"; `None` when no sign-off had been given.
pub fn voided_signoffs(
    sides: &[String],
    side_name: impl Fn(&str) -> String,
    lang: &str,
) -> Option<String> {
    let names: Vec<String> = sides.iter().map(|s| side_name(s)).collect();
    match (names.as_slice(), lang == "en") {
        ([], _) => None,
        ([one], true) => Some(format!("the sign-off of {one}")),
        ([one], false) => Some(format!("{} godkendelse", genitive(one))),
        (many, true) => Some(format!("the sign-offs of {}", many.join(" and "))),
        (many, false) => Some(format!(
            "{} godkendelser",
            many.iter()
                .map(|n| genitive(n))
                .collect::<Vec<_>>()
                .join(" og ")
        )),
    }
}

/// The Danish genitive: "Odense Kommunes", but "Lægernes Hus'" after an s, x or z.
fn genitive(name: &str) -> String {
    if name.ends_with(['s', 'x', 'z']) {
        format!("{name}'")
    } else {
        format!("{name}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(party_id: i64, year: i32, running_costs: i64) -> EconomicsLine {
        EconomicsLine {
            party_id,
            year,
            one_off_costs: 0,
            running_costs,
            savings: 0,
        }
    }

    fn name(id: i64) -> String {
        if id == 1 {
            "Region Syddanmark"
        } else {
            "Odense Kommune"
        }
        .to_owned()
    }

    #[test]
    fn each_changed_party_and_year_is_named_with_old_and_new_amounts() {
        let before = [line(1, 2027, 100), line(2, 2027, 1_200_000)];
        let after = [
            line(1, 2027, 100),
            line(2, 2027, 1_500_000),
            line(2, 2028, 7),
        ];
        assert_eq!(
            figure_changes(&before, &after, name, "da"),
            [
                "Odense Kommune, 2027: driftsudgifter 1.200.000 kr. → 1.500.000 kr.",
                "Odense Kommune, 2028: ny linje (engangsudgifter 0 kr., driftsudgifter 7 kr., besparelser 0 kr.)",
            ]
        );
        assert_eq!(
            figure_changes(&after, &before, name, "en")[1],
            "Odense Kommune, 2028: line removed (one-off costs 0 kr., running costs 7 kr., savings 0 kr.)"
        );
        assert!(figure_changes(&before, &before, name, "da").is_empty());
    }

    #[test]
    fn voided_signoffs_name_each_side_whose_sign_off_fell() {
        let side = |s: &str| if s == "giving" { name(1) } else { name(2) };
        assert_eq!(voided_signoffs(&[], side, "da"), None);
        assert_eq!(
            voided_signoffs(&["giving".into(), "receiving".into()], side, "da").as_deref(),
            Some("Region Syddanmarks og Odense Kommunes godkendelser")
        );
        assert_eq!(
            voided_signoffs(&["receiving".into()], side, "en").as_deref(),
            Some("the sign-off of Odense Kommune")
        );
    }
}
