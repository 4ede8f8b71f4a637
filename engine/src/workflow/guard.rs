//! The fixed vocabulary of guards. A definition combines them; it cannot invent new ones.

use crate::domain::role::Side;
use crate::domain::text::Label;
use crate::render::danish::{danish_date, english_date};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A condition a transition may require. Each variant documents what it checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// Every required field of the professional description is filled in: the task and the
    /// reason, target group, expected volume, competences, treatment responsibility, quality and
    /// patient safety, documentation and communication, and the implementation timeline.
    DescriptionComplete,
    /// The economic assessment has figures for both the giving and the receiving party.
    EconomicsComplete,
    /// Every side the current state names in `signoff` has accepted the current figures; a
    /// change to the figures after a sign-off voids it.
    SignoffComplete,
    /// The case is on the agenda of a meeting of the body that decides in the current state
    /// (the steering group or the committee), placed there after the case reached that state.
    OnAgenda,
    /// The hearing was opened, and either every heard party has answered, or the deadline has
    /// passed and the workflow's quorum (all, a majority or a number of answers) is met.
    HearingClosed,
    /// The actor gave a comment with the action (set `require_comment = true` on a
    /// transition rather than naming this guard; both mean the same).
    CommentGiven,
}

impl Guard {
    pub const ALL: [Guard; 6] = [
        Guard::DescriptionComplete,
        Guard::EconomicsComplete,
        Guard::SignoffComplete,
        Guard::OnAgenda,
        Guard::HearingClosed,
        Guard::CommentGiven,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Guard::DescriptionComplete => "description_complete",
            Guard::EconomicsComplete => "economics_complete",
            Guard::SignoffComplete => "signoff_complete",
            Guard::OnAgenda => "on_agenda",
            Guard::HearingClosed => "hearing_closed",
            Guard::CommentGiven => "comment_given",
        }
    }

    pub fn parse(raw: &str) -> Option<Guard> {
        Guard::ALL.into_iter().find(|g| g.as_str() == raw)
    }

    /// What the guard checks, in words, for documentation and the API.
    pub fn explanation(self) -> Label {
        match self {
            Guard::DescriptionComplete => Label::new(
                "Alle obligatoriske felter i den faglige beskrivelse er udfyldt.",
                "Every required field of the professional description is filled in.",
            ),
            Guard::EconomicsComplete => Label::new(
                "Den økonomiske konsekvensvurdering har tal for både afgivende og modtagende part.",
                "The economic assessment has figures for both the giving and the receiving party.",
            ),
            Guard::SignoffComplete => Label::new(
                "Parterne har godkendt de aktuelle økonomiske tal.",
                "The parties have signed off the current economic figures.",
            ),
            Guard::OnAgenda => Label::new(
                "Sagen er sat på dagsordenen for et møde i det organ, der skal beslutte.",
                "The case is on the agenda of a meeting of the deciding body.",
            ),
            Guard::HearingClosed => Label::new(
                "Høringen er afsluttet: alle har svaret, eller fristen er udløbet og nok parter har svaret.",
                "The hearing is over: everyone answered, or the deadline passed with enough answers.",
            ),
            Guard::CommentGiven => {
                Label::new("Der er skrevet en begrundelse.", "A comment is given.")
            }
        }
    }
}

/// What is known about a case when a guard is checked. Storage computes it; the machine only
/// reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// Danish and English names of the required description fields that are still empty.
    pub description_missing: Vec<Label>,
    /// The sides whose party has no figures in the economic assessment yet.
    pub economics_missing: Vec<Side>,
    /// The sides whose sign-off holds for the current figures.
    pub signed_off: BTreeSet<Side>,
    /// The bodies on whose meeting agenda the case stands since it entered its state, each
    /// with the meeting that holds the item.
    pub on_agenda: BTreeMap<crate::domain::body::Body, AgendaFacts>,
    /// The case's councils (sundhedsråd), known in the council stage.
    pub councils: Vec<i64>,
    /// The councils that have given their recommendation since the case entered its state.
    pub recommended: BTreeSet<i64>,
    /// The case's hearing, once opened.
    pub hearing: Option<HearingFacts>,
}

impl CaseFacts {
    /// The case's councils that have not recommended yet, in the council stage.
    pub fn awaited_councils(&self) -> impl Iterator<Item = i64> + '_ {
        self.councils
            .iter()
            .copied()
            .filter(|c| !self.recommended.contains(c))
    }
}

/// The meeting whose agenda holds the case's item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgendaFacts {
    pub meeting_id: i64,
    pub body: crate::domain::body::Body,
    pub held_on: chrono::NaiveDate,
    /// The secretariat has published the meeting's agenda.
    pub published: bool,
}

/// How far the case's hearing has come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HearingFacts {
    pub parties: u32,
    pub answered: u32,
    pub deadline: chrono::NaiveDate,
    pub deadline_passed: bool,
    pub quorum: crate::workflow::definition::Quorum,
}

impl HearingFacts {
    /// Whether enough parties have answered for the quorum.
    pub fn quorum_met(&self) -> bool {
        use crate::workflow::definition::Quorum;
        match self.quorum {
            Quorum::All => self.answered >= self.parties,
            Quorum::Majority => self.answered * 2 > self.parties,
            Quorum::AtLeast(n) => self.answered >= n.min(self.parties),
        }
    }

    /// The hearing is over and the case may move on.
    pub fn closed(&self) -> bool {
        self.answered >= self.parties || (self.deadline_passed && self.quorum_met())
    }
}

/// A guard that does not hold, with the reason in words a proposer understands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GuardFailure {
    pub guard: Guard,
    pub message: Label,
}

/// Checks `guard` for a case in `state`; `comment` is the comment given with the action, and
/// `deciding` the body whose meeting decides (for `on_agenda`).
pub fn check(
    guard: Guard,
    facts: &CaseFacts,
    state: &crate::workflow::State,
    comment: Option<&str>,
    deciding: Option<crate::domain::body::Body>,
) -> Option<GuardFailure> {
    let signoff_sides = state.signoff.as_slice();
    let message = match guard {
        Guard::DescriptionComplete if !facts.description_missing.is_empty() => {
            let da: Vec<&str> = facts
                .description_missing
                .iter()
                .map(|l| l.da.as_str())
                .collect();
            let en: Vec<&str> = facts
                .description_missing
                .iter()
                .map(|l| l.en.as_str())
                .collect();
            Label::new(
                format!("Den faglige beskrivelse mangler: {}.", da.join(", ")),
                format!("The professional description lacks: {}.", en.join(", ")),
            )
        }
        Guard::EconomicsComplete if !facts.economics_missing.is_empty() => {
            let da: Vec<&str> = facts.economics_missing.iter().map(|s| s.danish()).collect();
            let en: Vec<&str> = facts.economics_missing.iter().map(|s| s.as_str()).collect();
            Label::new(
                format!(
                    "Den økonomiske konsekvensvurdering mangler tal for: {}.",
                    da.join(" og ")
                ),
                format!(
                    "The economic assessment has no figures for the {} party.",
                    en.join(" and ")
                ),
            )
        }
        Guard::SignoffComplete => {
            let missing: Vec<Side> = signoff_sides
                .iter()
                .copied()
                .filter(|s| !facts.signed_off.contains(s))
                .collect();
            if missing.is_empty() {
                return None;
            }
            let da: Vec<&str> = missing.iter().map(|s| s.danish()).collect();
            let en: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            Label::new(
                format!(
                    "De økonomiske tal er ikke godkendt af: {}.",
                    da.join(" og ")
                ),
                format!(
                    "The economic figures are not signed off by the {} party.",
                    en.join(" and ")
                ),
            )
        }
        Guard::OnAgenda if !deciding.is_some_and(|b| facts.on_agenda.contains_key(&b)) => {
            use crate::domain::body::Body;
            let (da, en) = match deciding.or_else(|| Body::deciding_in(state.stage)) {
                Some(Body::Committee) => ("udvalgets", "the committee's"),
                Some(Body::Council(_)) => ("sundhedsrådets", "the council's"),
                Some(Body::RegionalCouncil) => ("regionsrådets", "the regional council's"),
                None if state.stage == crate::workflow::Stage::Council => {
                    ("sundhedsrådenes", "the councils'")
                }
                _ => ("styregruppens", "the steering group's"),
            };
            Label::new(
                format!(
                    "Sagen er ikke sat på dagsordenen for et af {da} møder; sekretariatet sætter den på."
                ),
                format!(
                    "The case is not on the agenda of one of {en} meetings; the secretariat places it there."
                ),
            )
        }
        Guard::HearingClosed if !facts.hearing.as_ref().is_some_and(HearingFacts::closed) => {
            match &facts.hearing {
                None => Label::new(
                    "Høringen er ikke sendt ud endnu; sekretariatet åbner den.",
                    "The hearing has not been opened yet; the secretariat opens it.",
                ),
                Some(h) if h.deadline_passed => Label::new(
                    format!(
                        "Høringsfristen {} er udløbet, men kun {} af {} parter har svaret; det er ikke nok.",
                        danish_date(h.deadline),
                        h.answered,
                        h.parties
                    ),
                    format!(
                        "The hearing deadline {} has passed, but only {} of {} parties answered; that is not enough.",
                        english_date(h.deadline),
                        h.answered,
                        h.parties
                    ),
                ),
                // Enough answers, but the others may still answer until the deadline.
                Some(h) if h.quorum_met() => Label::new(
                    format!(
                        "{} af {} parter har svaret, og det er nok, men de øvrige kan svare til fristen {}. Sagen kan gå videre, når fristen er udløbet, eller før, hvis alle parter har svaret.",
                        h.answered,
                        h.parties,
                        danish_date(h.deadline)
                    ),
                    format!(
                        "{} of {} parties have answered, which is enough, but the others may answer until the deadline {}. The case can go on once the deadline has passed, or earlier if every party has answered.",
                        h.answered,
                        h.parties,
                        english_date(h.deadline)
                    ),
                ),
                Some(h) => Label::new(
                    format!(
                        "Høringen løber til {}; {} af {} parter har svaret.",
                        danish_date(h.deadline),
                        h.answered,
                        h.parties
                    ),
                    format!(
                        "The hearing runs until {}; {} of {} parties have answered.",
                        english_date(h.deadline),
                        h.answered,
                        h.parties
                    ),
                ),
            }
        }
        Guard::CommentGiven if comment.is_none_or(|c| c.trim().is_empty()) => Label::new(
            "Skriv en begrundelse; den sendes til parterne.",
            "Write a comment; it is sent to the parties.",
        ),
        _ => return None,
    };
    Some(GuardFailure { guard, message })
}
