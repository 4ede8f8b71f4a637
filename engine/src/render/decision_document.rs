//! The decision document in the Danish agenda format — Resumé, Indstilling, Sagsfremstilling,
//! Økonomiske konsekvenser, Beslutning — as printable HTML, rendered with handlebars in strict
//! mode from `engine/templates/decision-document.hbs`.

use super::danish::{danish_date, kroner};
use crate::cases::hearings::{HearingAnswer, HearingView};
use crate::cases::meetings::MeetingView;
use crate::cases::view::{CaseKind, CaseView, JournalView};
use crate::domain::description::FIELDS;
use crate::domain::economics_summary::{Balance, Sector, TransferBalance};
use crate::error::EngineError;
use crate::journal_event::CaseEvent;
use handlebars::Handlebars;
use serde::Serialize;
use std::sync::OnceLock;

const TEMPLATE: &str = include_str!("../../templates/decision-document.hbs");

/// The decision document's sections as data, in Danish: what the printable document shows,
/// for screens that lay the sections out themselves (the steering group's and committee's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionDocument {
    pub region_name: String,
    pub number: String,
    pub title: String,
    pub kind: String,
    pub giving_party: String,
    pub receiving_party: String,
    pub state: String,
    pub meeting: Option<MeetingContext>,
    /// Resumé.
    pub summary: String,
    /// Indstilling: each line completes "Det indstilles,".
    pub recommendations: Vec<String>,
    /// Sagsfremstilling: the filled-in fields of the professional description.
    pub description: Vec<FieldText>,
    pub hearing: Option<HearingContext>,
    /// Økonomiske konsekvenser.
    pub economics: EconomicsContext,
    /// Beslutning: the bodies' decisions so far.
    pub decisions: Vec<DecisionLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeetingContext {
    pub body_name: String,
    pub title: String,
    pub held_on: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldText {
    pub label: &'static str,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HearingContext {
    pub answered: usize,
    pub parties: usize,
    pub deadline: String,
    pub agree: usize,
    pub remarks: usize,
    pub objections: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub name: String,
    pub amounts: Vec<String>,
    pub total: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EconomicsContext {
    pub years: Vec<i32>,
    pub rows: Vec<Row>,
    pub sectors: Vec<Row>,
    pub total: String,
    pub balance: String,
    /// Whether the transfer leaves neither side with a loss or a profit (the 2027 rule).
    pub transfer: Option<String>,
    pub assumptions: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionLine {
    pub date: String,
    pub label: String,
    pub meeting: Option<String>,
    pub comment: Option<String>,
}

fn registry() -> Result<&'static Handlebars<'static>, EngineError> {
    static REGISTRY: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut registry = Handlebars::new();
            registry.set_strict_mode(true);
            registry
                .register_template_string("decision", TEMPLATE)
                .map_err(|e| e.to_string())?;
            Ok(registry)
        })
        .as_ref()
        .map_err(|e| EngineError::Storage(format!("the decision document template is broken: {e}")))
}

fn sector_name(sector: Sector) -> &'static str {
    sector.danish()
}

/// Renders the decision document of `case`, optionally as an item of `meeting`.
///
/// # Errors
/// Only if the compiled-in template is broken.
pub fn render(
    case: &CaseView,
    journal: &JournalView,
    hearing: Option<&HearingView>,
    meeting: Option<&MeetingView>,
) -> Result<String, EngineError> {
    let context = document(case, journal, hearing, meeting);
    registry()?.render("decision", &context).map_err(|e| {
        EngineError::Storage(format!("the decision document could not be rendered: {e}"))
    })
}

/// The sections of the decision document of `case`, optionally as an item of `meeting`.
pub fn document(
    case: &CaseView,
    journal: &JournalView,
    hearing: Option<&HearingView>,
    meeting: Option<&MeetingView>,
) -> DecisionDocument {
    let description = case
        .description
        .as_ref()
        .map(|d| serde_json::to_value(&d.content).unwrap_or_default());
    let description: Vec<FieldText> = FIELDS
        .iter()
        .filter_map(|field| {
            let value = description.as_ref()?.get(field.key)?;
            let text = match value {
                serde_json::Value::String(text) if !text.trim().is_empty() => text.clone(),
                serde_json::Value::Number(n) => format!("{n} borgere/patienter pr. år"),
                _ => return None,
            };
            Some(FieldText {
                label: field.da,
                text,
            })
        })
        .collect();
    let task = description
        .first()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    let summary = match case.kind {
        CaseKind::Transfer => format!(
            "Opgaven «{}» foreslås overdraget fra {} til {}. {task}",
            case.title, case.giving_party.name, case.receiving_party.name
        ),
        CaseKind::NewTask => format!(
            "Den nye opgave «{}» foreslås varetaget af {} i samarbejde med {}. {task}",
            case.title, case.receiving_party.name, case.giving_party.name
        ),
    };

    let summary_economics = &case.economics.summary;
    let mut recommendations = vec![match case.kind {
        CaseKind::Transfer => format!(
            "at opgaven «{}» overdrages fra {} til {} som beskrevet i sagsfremstillingen,",
            case.title, case.giving_party.name, case.receiving_party.name
        ),
        CaseKind::NewTask => format!(
            "at {} varetager den nye opgave «{}» som beskrevet i sagsfremstillingen,",
            case.receiving_party.name, case.title
        ),
    }];
    if !summary_economics.parties.is_empty() {
        recommendations.push(format!(
            "at de økonomiske konsekvenser på netto {} kr. over {} år for parterne tilsammen tages til efterretning, og",
            kroner(summary_economics.total_net),
            summary_economics.years.len()
        ));
    }
    recommendations.push("at implementeringen følges op efter den aftalte tidsplan.".to_owned());

    let years = summary_economics.years.clone();
    let row = |name: String, per_year: Vec<i64>, total: i64| Row {
        name,
        amounts: per_year.into_iter().map(kroner).collect(),
        total: kroner(total),
    };
    let rows = summary_economics
        .parties
        .iter()
        .map(|p| {
            row(
                p.name.clone(),
                p.years.iter().map(|y| y.net).collect(),
                p.total_net,
            )
        })
        .collect();
    let sectors = summary_economics
        .sectors
        .iter()
        .map(|s| {
            row(
                sector_name(s.sector).to_owned(),
                years
                    .iter()
                    .map(|y| {
                        s.net_per_year
                            .iter()
                            .find(|(year, _)| year == y)
                            .map_or(0, |(_, n)| *n)
                    })
                    .collect(),
                s.total_net,
            )
        })
        .collect();
    let balance = match summary_economics.balance {
        Balance::Balanced => format!(
            "Merudgifter og besparelser balancerer inden for {} %.",
            summary_economics.threshold_percent
        ),
        Balance::CostsExceedSavings => format!(
            "Merudgifterne overstiger besparelserne med mere end {} %.",
            summary_economics.threshold_percent
        ),
        Balance::SavingsExceedCosts => format!(
            "Besparelserne overstiger merudgifterne med mere end {} %.",
            summary_economics.threshold_percent
        ),
        Balance::NoShift => "Der flyttes ingen udgifter mellem sektorerne.".to_owned(),
    };

    let count = |answer: HearingAnswer| {
        hearing.map_or(0, |h| {
            h.parties
                .iter()
                .filter(|p| p.answer == Some(answer))
                .count()
        })
    };
    let hearing_context = hearing.map(|h| HearingContext {
        answered: h.answered,
        parties: h.parties.len(),
        deadline: danish_date(h.deadline),
        agree: count(HearingAnswer::Agree),
        remarks: count(HearingAnswer::AgreeWithRemarks),
        objections: count(HearingAnswer::Object),
    });

    let decisions = journal
        .events
        .iter()
        .filter_map(|e| {
            // A council's recommendation is a decision line of its own, named by the council;
            // the last one is the transition that moved the case on.
            let (label, meeting, comment, council) = match e.event() {
                Ok(CaseEvent::Transition {
                    label,
                    meeting: Some(meeting),
                    comment,
                    council,
                    ..
                }) => (label, meeting, comment, council),
                Ok(CaseEvent::CouncilRecommended {
                    council,
                    label,
                    comment,
                    meeting: Some(meeting),
                    ..
                }) => (label, meeting, comment, Some(council)),
                _ => return None,
            };
            let label = label.map(|l| l.da).unwrap_or_default();
            Some(DecisionLine {
                date: danish_date(crate::domain::calendar::danish_date(e.occurred_at)),
                label: match council {
                    Some(council) => format!("{}: {label}", council.name),
                    None => label,
                },
                meeting: Some(meeting.title),
                comment,
            })
        })
        .collect();

    DecisionDocument {
        region_name: case.region_name.clone(),
        number: case.number.clone(),
        title: case.title.clone(),
        kind: case.kind.label().da.clone(),
        giving_party: case.giving_party.name.clone(),
        receiving_party: case.receiving_party.name.clone(),
        state: case.state_label.da.clone(),
        meeting: meeting.map(|m| MeetingContext {
            body_name: m.body_name.clone(),
            title: m.title.clone(),
            held_on: danish_date(m.held_on),
        }),
        summary,
        recommendations,
        description,
        hearing: hearing_context,
        economics: EconomicsContext {
            years,
            rows,
            sectors,
            total: kroner(summary_economics.total_net),
            balance,
            transfer: transfer_statement(&summary_economics.transfer),
            assumptions: case.economics.assumptions.clone(),
        },
        decisions,
    }
}

/// The decision document's sentence on the reform's rule that neither side of an agreement
/// between region and municipalities is left with a loss or a profit; none when nothing moves.
fn transfer_statement(transfer: &TransferBalance) -> Option<String> {
    if transfer.total.net_cost_moved == 0 && transfer.total.savings_released == 0 {
        return None;
    }
    if transfer.balanced {
        return Some(format!(
            "Overdragelsen er i balance: den afgivende side kompenserer hvert år den modtagende sides nettoudgift ({} kr. i alt), og ingen af siderne får tab eller gevinst.",
            kroner(transfer.total.net_cost_moved)
        ));
    }
    let off: Vec<String> = transfer
        .years
        .iter()
        .filter(|y| !y.balanced)
        .filter_map(|y| {
            let year = y.year?;
            Some(if y.remaining > 0 {
                format!("{year} en gevinst på {} kr.", kroner(y.remaining))
            } else {
                format!("{year} et tab på {} kr.", kroner(-y.remaining))
            })
        })
        .collect();
    Some(format!(
        "Overdragelsen er ikke i balance: efter kompensation af nettoudgiften har den afgivende side {}. En aftale mellem region og kommuner må ikke efterlade nogen af siderne med tab eller gevinst.",
        off.join(", i ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_compiles_in_strict_mode() {
        assert!(registry().is_ok());
    }
}
