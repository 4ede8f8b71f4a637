//! The economic assessment: replacing the figures (which voids the sign-offs given on the old
//! ones) and each side's sign-off.

use super::file::{CaseFile, Parts};
use super::view::CaseView;
use super::view::Committed;
use super::write::{Change, Mails, Written};
use super::{CaseRowChanges, Engine};
use crate::actor::Actor;
use crate::domain::economics::EconomicsLine;
use crate::domain::role::{Role, Side};
use crate::error::{EngineError, FieldError};
use crate::journal_event::{CaseEvent, TextChange};
use crate::policy::case::CaseAction;
use crate::storage::entity::{economics_line, economics_signoff, handover_case};
use crate::workflow::definition::NotifyRule;
use crate::workflow::definition::Recipient;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::BTreeSet;

/// Longest text of assumptions behind the economics.
pub const MAX_ASSUMPTIONS_CHARS: usize = 10_000;

/// The organisations whose lines differ between two sorted sets of figures.
fn parties_with_changed_figures(old: &[EconomicsLine], new: &[EconomicsLine]) -> BTreeSet<i64> {
    let of = |lines: &[EconomicsLine], party: i64| -> Vec<EconomicsLine> {
        lines
            .iter()
            .filter(|l| l.party_id == party)
            .cloned()
            .collect()
    };
    old.iter()
        .chain(new)
        .map(|l| l.party_id)
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .filter(|party| of(old, *party) != of(new, *party))
        .collect()
}

/// Problems with a set of economic lines, each naming the line and field.
fn economics_problems(lines: &[EconomicsLine], parties: &BTreeSet<i64>) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if lines.len() > 1_000 {
        problems.push(FieldError::new(
            "lines",
            "at most 1000 lines; one per party and year",
            "højst 1000 linjer; én pr. part og år",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        for (field, message) in line.violations() {
            problems.push(FieldError::new(
                format!("lines[{i}].{field}"),
                message.en,
                message.da,
            ));
        }
        if !parties.contains(&line.party_id) {
            problems.push(FieldError::new(
                format!("lines[{i}].party_id"),
                format!(
                    "organisation {} is not a party in the case's region",
                    line.party_id
                ),
                format!(
                    "organisation {} er ikke en part i sagens region",
                    line.party_id
                ),
            ));
        }
        if !(2000..=2100).contains(&line.year) {
            problems.push(FieldError::new(
                format!("lines[{i}].year"),
                format!("year {} is outside 2000–2100", line.year),
                format!("året {} ligger uden for 2000–2100", line.year),
            ));
        }
        if !seen.insert((line.party_id, line.year)) {
            problems.push(FieldError::new(
                format!("lines[{i}]"),
                format!(
                    "party {} has two lines for {}; merge them into one",
                    line.party_id, line.year
                ),
                // Pages name the row, where the party is chosen by name: no number needed.
                format!(
                    "parten har to linjer for {}; læg dem sammen til én",
                    line.year
                ),
            ));
        }
    }
    problems
}

impl Engine {
    /// Replaces the figures of the economic assessment. A change voids every sign-off given on
    /// the old figures, and the journal says so.
    ///
    /// # Errors
    /// As [`Engine::revise_description`], and [`EngineError::Invalid`] naming each bad line.
    pub async fn replace_economics(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        lines: Vec<EconomicsLine>,
        assumptions: Option<&str>,
    ) -> Result<CaseView, EngineError> {
        self.commit_economics(actor, case_id, expected_version, lines, assumptions)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::replace_economics`], answering only what was committed.
    ///
    /// # Errors
    /// As [`Engine::replace_economics`].
    pub async fn commit_economics(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        lines: Vec<EconomicsLine>,
        assumptions: Option<&str>,
    ) -> Result<Committed, EngineError> {
        let visible = self
            .permitted_at(actor, case_id, expected_version, CaseAction::EditEconomics)
            .await?;
        let case = &visible.case;
        let parties = self
            .parties_among(case.region_id, lines.iter().map(|l| l.party_id))
            .await?;
        let mut problems = economics_problems(&lines, &parties);
        if assumptions.is_some_and(|a| a.chars().count() > MAX_ASSUMPTIONS_CHARS) {
            problems.push(FieldError::new(
                "assumptions",
                format!("write the assumptions in at most {MAX_ASSUMPTIONS_CHARS} characters; attach a document for more"),
                format!("skriv forudsætningerne med højst {MAX_ASSUMPTIONS_CHARS} tegn; vedhæft et dokument, hvis der er mere"),
            ));
        }
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        let file = CaseFile::load_parts(&self.db, case.id, Parts::FIGURES_AND_SIGNOFFS).await?;
        let mut sorted = lines.clone();
        sorted.sort();
        let new_assumptions = assumptions
            .map(|a| a.trim().to_owned())
            .filter(|a| *a != case.economics_assumptions);
        if sorted == file.lines && new_assumptions.is_none() {
            return Ok(Committed::of(case));
        }
        for party_id in parties_with_changed_figures(&file.lines, &sorted) {
            self.permit(actor, &visible, CaseAction::ChangeFiguresOf { party_id })
                .await?;
        }
        if new_assumptions.is_some() {
            self.permit(actor, &visible, CaseAction::ChangeAssumptions)
                .await?;
        }
        // Sign-offs hold for figures, not for the assumptions: only new figures void them.
        let voided: Vec<String> = if sorted == file.lines {
            Vec::new()
        } else {
            file.signoffs
                .iter()
                .filter(|s| file.signoff_valid(s))
                .map(|s| s.side.clone())
                .collect()
        };
        let figures_changed = sorted != file.lines;
        let mut row = CaseRowChanges::none();
        if let Some(text) = &new_assumptions {
            row = row.set(handover_case::Column::EconomicsAssumptions, text.as_str());
        }
        let mails = if figures_changed {
            Mails::Rules(vec![NotifyRule {
                template: "signoff_needed".into(),
                to: vec![
                    Recipient::Role(Role::Economist),
                    Recipient::Party(Side::Giving),
                    Recipient::Party(Side::Receiving),
                ],
            }])
        } else {
            Mails::None
        };
        let event = CaseEvent::EconomicsChanged {
            before: file.lines.clone(),
            after: sorted.clone(),
            voided_signoffs: voided,
            assumptions: new_assumptions.as_ref().map(|new| TextChange {
                old: case.economics_assumptions.clone(),
                new: new.clone(),
            }),
        };
        let change = Change {
            row,
            ..Change::at(expected_version)
        };
        let written = Written::event(event).with_mails(mails);
        let (committed, ()) = self
            .commit_change(Some(actor.user_id), case, change, async |txn, _| {
                if !figures_changed {
                    return Ok(written);
                }
                economics_line::Entity::delete_many()
                    .filter(economics_line::Column::CaseId.eq(case.id))
                    .exec(txn)
                    .await?;
                if !sorted.is_empty() {
                    economics_line::Entity::insert_many(sorted.iter().map(|line| {
                        economics_line::ActiveModel {
                            case_id: Set(case.id),
                            party_id: Set(line.party_id),
                            year: Set(line.year),
                            one_off_costs: Set(line.one_off_costs),
                            running_costs: Set(line.running_costs),
                            savings: Set(line.savings),
                            ..Default::default()
                        }
                    }))
                    .exec_without_returning(txn)
                    .await?;
                }
                Ok(written)
            })
            .await?;
        Ok(committed)
    }

    /// Records that `side` accepts the current figures.
    ///
    /// # Errors
    /// [`EngineError::NotEditable`] when the state takes no sign-off from that side;
    /// [`EngineError::Forbidden`] unless the actor is an economist; [`EngineError::Invalid`]
    /// when there are no figures yet; [`EngineError::Conflict`] on a stale version.
    pub async fn sign_off_economics(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        side: Side,
    ) -> Result<CaseView, EngineError> {
        self.commit_signoff(actor, case_id, expected_version, side)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::sign_off_economics`], answering only what was committed.
    ///
    /// # Errors
    /// As [`Engine::sign_off_economics`].
    pub async fn commit_signoff(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        side: Side,
    ) -> Result<Committed, EngineError> {
        let visible = self
            .permitted_at(actor, case_id, expected_version, CaseAction::SignOff(side))
            .await?;
        let case = &visible.case;
        let file = CaseFile::load_parts(&self.db, case.id, Parts::FIGURES).await?;
        if file.lines.is_empty() {
            return Err(EngineError::invalid(
                "side",
                "there are no figures to sign off yet; the economic assessment must be filled in first",
                "der er endnu ingen tal at godkende; den økonomiske konsekvensvurdering skal udfyldes først",
            ));
        }
        let fingerprint = file.fingerprint();
        let event = CaseEvent::EconomicsSignedOff {
            side,
            figures: fingerprint.clone(),
        };
        let change = Change::at(expected_version);
        let (committed, ()) = self
            .commit_change(Some(actor.user_id), case, change, async |txn, now| {
                economics_signoff::Entity::delete_many()
                    .filter(economics_signoff::Column::CaseId.eq(case.id))
                    .filter(economics_signoff::Column::Side.eq(side.as_str()))
                    .exec(txn)
                    .await?;
                economics_signoff::ActiveModel {
                    case_id: Set(case.id),
                    side: Set(side.as_str().to_owned()),
                    user_id: Set(actor.user_id),
                    fingerprint: Set(fingerprint),
                    signed_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                Ok(Written::event(event))
            })
            .await?;
        Ok(committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(party_id: i64, year: i32) -> EconomicsLine {
        EconomicsLine {
            party_id,
            year,
            one_off_costs: 0,
            running_costs: 0,
            savings: 0,
        }
    }

    #[test]
    fn every_economics_problem_is_written_in_danish_and_english() {
        let lines = [
            line(7, 2027),
            line(7, 2027),
            line(8, 1999),
            EconomicsLine {
                savings: -1,
                ..line(7, 2028)
            },
        ];
        let problems = economics_problems(&lines, &BTreeSet::from([7]));
        assert_eq!(problems.len(), 4, "{problems:?}");
        for problem in &problems {
            assert!(!problem.message_in("da").is_empty(), "{problem:?}");
            assert_ne!(
                problem.message_in("da"),
                problem.message_in("en"),
                "{problem:?}"
            );
        }
        let twice = problems.iter().find(|p| p.field == "lines[1]");
        assert_eq!(
            twice.map(|p| (p.message_in("en"), p.message_in("da"))),
            Some((
                "party 7 has two lines for 2027; merge them into one",
                "parten har to linjer for 2027; læg dem sammen til én"
            ))
        );
    }
}
