//! A region's state machine as Mermaid text, labels in Danish.

use super::definition::Definition;
use std::fmt::Write;

fn quoted(text: &str) -> String {
    text.replace('"', "'").replace(['\n', ':', ';'], " ")
}

/// Mermaid `stateDiagram-v2` text of `def`.
pub fn mermaid(def: &Definition) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "---\ntitle: \"{} ({} v{})\"\n---",
        quoted(&def.name),
        def.region,
        def.version
    );
    out.push_str("stateDiagram-v2\n");
    for state in &def.states {
        let _ = writeln!(
            out,
            "    state \"{}\" as {}",
            quoted(&state.label.da),
            state.id
        );
    }
    let _ = writeln!(out, "    [*] --> {}", def.initial);
    for transition in &def.transitions {
        for from in &transition.from {
            let _ = writeln!(
                out,
                "    {from} --> {}: {}",
                transition.to,
                quoted(&transition.label.da)
            );
        }
    }
    for state in def.states.iter().filter(|s| s.stage.is_terminal()) {
        let _ = writeln!(out, "    {} --> [*]", state.id);
    }
    out
}
