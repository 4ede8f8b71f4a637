//! Figures of the economic consequence assessment, in whole kroner.

use crate::domain::text::Label;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One line of the economic assessment: one party's figures for one year, in whole kroner.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct EconomicsLine {
    pub party_id: i64,
    pub year: i32,
    pub one_off_costs: i64,
    pub running_costs: i64,
    pub savings: i64,
}

/// Amounts above this (ten billion kroner) are refused as typing errors.
pub const MAX_AMOUNT: i64 = 10_000_000_000;

impl EconomicsLine {
    /// Net cost to the party that year: costs minus savings.
    pub fn net(&self) -> i64 {
        self.one_off_costs + self.running_costs - self.savings
    }

    /// Problems with the amounts, as `(field, message)`.
    pub fn violations(&self) -> Vec<(&'static str, Label)> {
        [
            ("one_off_costs", self.one_off_costs),
            ("running_costs", self.running_costs),
            ("savings", self.savings),
        ]
        .into_iter()
        .filter(|(_, amount)| !(0..=MAX_AMOUNT).contains(amount))
        .map(|(field, amount)| {
            (
                field,
                Label::new(
                    format!("{amount} kr. er ikke tilladt; angiv et helt beløb i kroner mellem 0 og {MAX_AMOUNT}"),
                    format!("{amount} kr. is not allowed; give a whole amount in kroner from 0 to {MAX_AMOUNT}"),
                ),
            )
        })
        .collect()
    }
}

/// A fingerprint of a set of figures: a sign-off holds for exactly the figures it was given on,
/// so any later change voids it.
pub fn figures_fingerprint(lines: &[EconomicsLine]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort();
    let mut hasher = Sha256::new();
    for line in &sorted {
        hasher.update(format!(
            "{}|{}|{}|{}|{}\n",
            line.party_id, line.year, line.one_off_costs, line.running_costs, line.savings
        ));
    }
    hex(&hasher.finalize())
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(party_id: i64, year: i32, running: i64) -> EconomicsLine {
        EconomicsLine {
            party_id,
            year,
            one_off_costs: 0,
            running_costs: running,
            savings: 0,
        }
    }

    #[test]
    fn the_fingerprint_ignores_order_but_not_amounts() {
        let a = figures_fingerprint(&[line(1, 2027, 100), line(2, 2027, 50)]);
        let b = figures_fingerprint(&[line(2, 2027, 50), line(1, 2027, 100)]);
        let c = figures_fingerprint(&[line(2, 2027, 51), line(1, 2027, 100)]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn negative_and_absurd_amounts_are_refused() {
        let bad = EconomicsLine {
            party_id: 1,
            year: 2027,
            one_off_costs: -1,
            running_costs: MAX_AMOUNT + 1,
            savings: 0,
        };
        let fields: Vec<_> = bad.violations().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["one_off_costs", "running_costs"]);
    }
}
