//! The reform plan and a run's report as the command line prints them: one line per case.

use overdrag_engine::cases::reform::{ReformPlan, ReformReport};
use std::fmt::Write;

pub(super) fn plan(plan: &ReformPlan) -> String {
    let mut out = format!(
        "{} takes effect on {}{}\n",
        plan.reform,
        plan.on,
        if plan.may_apply {
            ""
        } else {
            " (not yet: `reform apply` refuses until then unless --on gives a day)"
        }
    );
    for case in &plan.cases {
        let from = format!(
            "{}  {} v{}  {}",
            case.region, case.workflow.key, case.workflow.version, case.state
        );
        match (&case.destination, &case.blocked) {
            (Some(to), _) => {
                let councils: Vec<&str> = to.councils.iter().map(|c| c.name.as_str()).collect();
                let _ = write!(
                    out,
                    "{}  {from}  ->  {}  {} v{}  {}  councils: {}  told: {}",
                    case.number,
                    to.region,
                    to.workflow.key,
                    to.workflow.version,
                    to.state,
                    if councils.is_empty() {
                        "none yet".into()
                    } else {
                        councils.join(", ")
                    },
                    to.told.join(", ")
                );
                for meeting in &to.leaves_agendas {
                    let _ = write!(
                        out,
                        "  leaves the agenda of {} ({})",
                        meeting.title, meeting.held_on
                    );
                }
                if let Some(note) = &to.note {
                    let _ = write!(out, "  note: {note}");
                }
                out.push('\n');
            }
            (None, reason) => {
                let _ = writeln!(
                    out,
                    "{}  {from}  cannot go yet: {}",
                    case.number,
                    reason.as_deref().unwrap_or("unknown")
                );
            }
        }
    }
    let _ = writeln!(out, "{} open case(s) to carry", plan.cases.len());
    for count in &plan.counts {
        let _ = writeln!(out, "  {}  {}: {}", count.region, count.state, count.cases);
    }
    out
}

pub(super) fn report(report: &ReformReport) -> String {
    let mut out = String::new();
    for case in &report.carried {
        let _ = writeln!(out, "carried  {}  {}", case.number, case.outcome);
    }
    for case in &report.blocked {
        let _ = writeln!(out, "stays    {}  {}", case.number, case.outcome);
    }
    let _ = writeln!(
        out,
        "{} case(s) carried, {} could not go; {} membership(s) added, {} person(s) and {} contact address(es) moved to the new region",
        report.carried.len(),
        report.blocked.len(),
        report.memberships_added,
        report.people_moved,
        report.contacts_copied
    );
    out
}
