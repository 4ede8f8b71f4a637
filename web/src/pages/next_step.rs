//! The case page's "next step" box: the engine's [`NextStep`] in the page's language, and the
//! screen where the step is taken when there is one.

use super::error::PageError;
use super::i18n::Lang;
use super::meetings::long_date;
use super::views::Views;
use overdrag_engine::cases::next_step::NextStep;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct NextStepView {
    pub text: String,
    /// Where the step is taken: the meeting, or the meetings of the region.
    pub link: Option<Link>,
}

#[derive(Debug, Serialize)]
pub struct Link {
    pub href: String,
    pub text: String,
}

fn stage_key(stage: overdrag_engine::workflow::Stage) -> &'static str {
    use overdrag_engine::workflow::Stage;
    match stage {
        Stage::Draft => "work_draft",
        Stage::DescriptionReview => "work_description_review",
        Stage::Economics => "work_economics",
        Stage::Implementation => "work_implementation",
        Stage::FollowUp => "work_follow_up",
        _ => "work_other",
    }
}

/// The next step in words, for a case of `region`; `may_choose_councils` when the reader has
/// the form that chooses the case's councils, which the step then links to.
pub fn next_step_view(
    views: &Views,
    lang: Lang,
    region: &str,
    step: &NextStep,
    may_choose_councils: bool,
) -> Result<NextStepView, PageError> {
    let text =
        |key: &str, args: &[(&str, &str)]| views.text(lang, &format!("next_step.{key}"), args);
    let meetings = || -> Result<Option<Link>, PageError> {
        Ok(Some(Link {
            href: format!("/meetings?region={region}"),
            text: text("to_meetings", &[])?,
        }))
    };
    Ok(match step {
        NextStep::Work { by, stage } => {
            let who = views.text(lang, &format!("roles_definite.{}", by.as_str()), &[])?;
            NextStepView {
                text: text(stage_key(*stage), &[("who", &who)])?,
                link: None,
            }
        }
        NextStep::OpenHearing => NextStepView {
            text: text("open_hearing", &[])?,
            link: None,
        },
        NextStep::Hearing {
            answered,
            parties,
            deadline,
            quorum_met,
        } => NextStepView {
            text: text(
                if *quorum_met {
                    "hearing_quorum_met"
                } else {
                    "hearing"
                },
                &[
                    ("answered", &answered.to_string()),
                    ("parties", &parties.to_string()),
                    ("deadline", &long_date(lang, *deadline)),
                ],
            )?,
            link: None,
        },
        NextStep::HearingOver => NextStepView {
            text: text("hearing_over", &[])?,
            link: None,
        },
        NextStep::PlaceOnAgenda { body } => NextStepView {
            text: text("place_on_agenda", &[("body", body)])?,
            link: meetings()?,
        },
        NextStep::AtMeeting {
            body,
            meeting_id,
            held_on,
            published,
        } => NextStepView {
            text: text(
                if *published {
                    "at_meeting"
                } else {
                    "at_meeting_unpublished"
                },
                &[("body", body), ("date", &long_date(lang, *held_on))],
            )?,
            link: Some(Link {
                href: format!("/meetings/{meeting_id}"),
                text: text("to_meeting", &[])?,
            }),
        },
        NextStep::ChooseCouncils => NextStepView {
            text: text("choose_councils", &[])?,
            link: if may_choose_councils {
                Some(Link {
                    href: "#choose-councils".into(),
                    text: text("to_choose_councils", &[])?,
                })
            } else {
                None
            },
        },
        NextStep::Councils { waiting } => NextStepView {
            text: text("councils", &[("councils", &waiting.join(", "))])?,
            link: meetings()?,
        },
    })
}
