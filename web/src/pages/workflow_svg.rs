//! A workflow's state machine drawn as inline SVG on the server: no script, no external
//! service, no inline styles (the pages' content security policy forbids them), only SVG
//! presentation attributes and classes from `overdrag.css`.
//!
//! Layout: the main path runs top to bottom, one row per stage in the order of the health
//! agreements' model (states of the same stage side by side); terminal states off the main
//! path (withdrawn, rejected) stand in a column on the right. A transition to the next row is
//! a straight arrow down; one that skips rows or goes back curves round the left side, each in
//! its own lane; one into the right column is a straight line. Labels are moved down until
//! they overlap no other label or box. The view box is fitted to everything drawn.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A state as the diagram shows it.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub label: String,
    /// E.g. "3 sager".
    pub count_text: String,
    /// The order of the state's stage in the model: the row it is drawn in.
    pub rank: usize,
    pub terminal: bool,
    /// Drawn in the right-hand column, off the main path (withdrawn, rejected).
    pub aside: bool,
}

/// One arrow: a transition from one state to another.
#[derive(Clone, Debug)]
pub struct Edge {
    pub transition: String,
    pub from: String,
    pub to: String,
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct Diagram {
    /// The SVG's accessible name.
    pub title: String,
    pub initial: String,
    /// The words marking a terminal state, e.g. "slut".
    pub terminal_text: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

const CHAR_W: f64 = 7.2;
const LABEL_CHAR_W: f64 = 6.2;
const BOX_H: f64 = 56.0;
const ROW_PITCH: f64 = 112.0;
const COL_GAP: f64 = 60.0;
const ASIDE_GAP: f64 = 300.0;
const LANE: f64 = 30.0;
const LABEL_H: f64 = 15.0;
const FONT: &str = "IBM Plex Sans, Arial, sans-serif";

/// Text for SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, Debug)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
    fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// Keeps the extent of everything drawn, for the view box.
#[derive(Debug)]
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

impl Bounds {
    fn new() -> Self {
        Self {
            min_x: f64::MAX,
            min_y: f64::MAX,
            max_x: f64::MIN,
            max_y: f64::MIN,
        }
    }
    fn point(&mut self, x: f64, y: f64) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
    }
    fn rect(&mut self, r: &Rect) {
        self.point(r.x, r.y);
        self.point(r.x + r.w, r.y + r.h);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// Places labels so they overlap neither boxes nor each other.
struct Labels {
    taken: Vec<Rect>,
    out: String,
}

impl Labels {
    fn place(&mut self, bounds: &mut Bounds, text: &str, x: f64, y: f64, anchor: Anchor) {
        #[allow(clippy::cast_precision_loss)]
        let w = text.chars().count() as f64 * LABEL_CHAR_W + 6.0;
        let left = match anchor {
            Anchor::Start => x - 3.0,
            Anchor::Middle => x - w / 2.0,
            Anchor::End => x - w + 3.0,
        };
        let mut rect = Rect {
            x: left,
            y: y - LABEL_H + 3.0,
            w,
            h: LABEL_H,
        };
        for _ in 0..40 {
            if !self.taken.iter().any(|t| t.overlaps(&rect)) {
                break;
            }
            rect.y += LABEL_H;
        }
        self.taken.push(rect);
        bounds.rect(&rect);
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = write!(
            self.out,
            r##"<rect class="od-wf-label-bg" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#ffffff" fill-opacity="0.9"/><text class="od-wf-label" x="{x:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11" fill="#1a1a1a">{}</text>"##,
            rect.x,
            rect.y,
            rect.w,
            rect.h,
            rect.y + LABEL_H - 3.0,
            escape(text)
        );
    }
}

/// The diagram as an `<svg>` element.
pub fn render(diagram: &Diagram) -> String {
    #[allow(clippy::cast_precision_loss)]
    let longest = diagram
        .nodes
        .iter()
        .map(|n| n.label.chars().count().max(n.count_text.chars().count()))
        .max()
        .unwrap_or(10) as f64;
    let box_w = (longest * CHAR_W + 28.0).max(180.0);

    // Rows of the main path, by stage order; the right-hand column.
    let mut ranks: Vec<usize> = diagram
        .nodes
        .iter()
        .filter(|n| !n.aside)
        .map(|n| n.rank)
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let mut boxes: BTreeMap<&str, (Rect, Option<usize>)> = BTreeMap::new();
    let mut per_row: BTreeMap<usize, usize> = BTreeMap::new();
    for node in diagram.nodes.iter().filter(|n| !n.aside) {
        let row = ranks.iter().position(|r| *r == node.rank).unwrap_or(0);
        let col = per_row.entry(row).or_insert(0);
        #[allow(clippy::cast_precision_loss)]
        let rect = Rect {
            x: *col as f64 * (box_w + COL_GAP),
            y: row as f64 * ROW_PITCH,
            w: box_w,
            h: BOX_H,
        };
        *col += 1;
        boxes.entry(node.id.as_str()).or_insert((rect, Some(row)));
    }
    let main_right = boxes.values().map(|(r, _)| r.x + r.w).fold(box_w, f64::max);
    #[allow(clippy::cast_precision_loss)]
    let main_height = (ranks.len().max(1) as f64 - 1.0) * ROW_PITCH + BOX_H;
    let aside: Vec<&Node> = diagram.nodes.iter().filter(|n| n.aside).collect();
    for (k, node) in aside.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let centre = (k as f64 + 1.0) * main_height / (aside.len() as f64 + 1.0);
        let rect = Rect {
            x: main_right + ASIDE_GAP,
            y: (centre - BOX_H / 2.0).max(0.0),
            w: box_w,
            h: BOX_H,
        };
        boxes.entry(node.id.as_str()).or_insert((rect, None));
    }

    let mut bounds = Bounds::new();
    for (rect, _) in boxes.values() {
        bounds.rect(rect);
    }
    let mut labels = Labels {
        taken: boxes.values().map(|(r, _)| *r).collect(),
        out: String::new(),
    };

    // Arrows. Curved ones round the left get lanes, shortest span innermost.
    let mut left: Vec<(&Edge, Rect, Rect, usize)> = Vec::new();
    let mut to_aside_from: BTreeMap<&str, usize> = BTreeMap::new();
    let mut paths = String::new();
    for edge in &diagram.edges {
        let (Some((from, from_row)), Some((to, to_row))) =
            (boxes.get(edge.from.as_str()), boxes.get(edge.to.as_str()))
        else {
            continue;
        };
        let (from, to) = (*from, *to);
        let mut path = |d: String, points: &[(f64, f64)]| {
            for (x, y) in points {
                bounds.point(*x, *y);
            }
            let _ = write!(
                paths,
                r##"<path class="od-wf-edge" data-transition="{}" d="{d}" fill="none" stroke="#454545" stroke-width="1.5" marker-end="url(#od-wf-arrow)"/>"##,
                escape(&edge.transition)
            );
        };
        match (from_row, to_row) {
            _ if edge.from == edge.to => {
                let (x, y) = (from.x + from.w - 30.0, from.y);
                path(
                    format!(
                        "M{x:.1},{y:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                        x,
                        y - 40.0,
                        x + 50.0,
                        y - 40.0,
                        from.x + from.w,
                        y + 12.0
                    ),
                    &[(x, y - 40.0), (x + 50.0, y - 40.0)],
                );
                labels.place(&mut bounds, &edge.label, x + 25.0, y - 34.0, Anchor::Middle);
            }
            (Some(a), Some(b)) if a == b => {
                let (start, end) = if from.x < to.x {
                    (from.x + from.w, to.x)
                } else {
                    (from.x, to.x + to.w)
                };
                let y = from.cy();
                path(format!("M{start:.1},{y:.1} L{end:.1},{y:.1}"), &[]);
                labels.place(
                    &mut bounds,
                    &edge.label,
                    f64::midpoint(start, end),
                    y - 6.0,
                    Anchor::Middle,
                );
            }
            (Some(a), Some(b)) if *b == a + 1 => {
                let (sx, sy, ex, ey) = (from.cx(), from.y + from.h, to.cx(), to.y);
                path(format!("M{sx:.1},{sy:.1} L{ex:.1},{ey:.1}"), &[]);
                labels.place(
                    &mut bounds,
                    &edge.label,
                    f64::midpoint(sx, ex) + 8.0,
                    f64::midpoint(sy, ey) + 4.0,
                    Anchor::Start,
                );
            }
            (Some(a), Some(b)) => left.push((edge, from, to, a.abs_diff(*b))),
            (Some(_), None) => {
                let k = to_aside_from.entry(edge.from.as_str()).or_insert(0);
                #[allow(clippy::cast_precision_loss)]
                let sy = from.y + 12.0 + (*k as f64 * 10.0).min(from.h - 16.0);
                *k += 1;
                let (sx, ex, ey) = (from.x + from.w, to.x, to.cy());
                path(format!("M{sx:.1},{sy:.1} L{ex:.1},{ey:.1}"), &[]);
                labels.place(&mut bounds, &edge.label, sx + 8.0, sy - 3.0, Anchor::Start);
            }
            (None, _) => {
                let (sx, sy, ex, ey) = (from.x, from.cy(), to.x + to.w, to.cy());
                path(format!("M{sx:.1},{sy:.1} L{ex:.1},{ey:.1}"), &[]);
                labels.place(
                    &mut bounds,
                    &edge.label,
                    f64::midpoint(sx, ex),
                    f64::midpoint(sy, ey) - 4.0,
                    Anchor::Middle,
                );
            }
        }
    }
    left.sort_by_key(|(_, _, _, span)| *span);
    let mut leaving: BTreeMap<&str, usize> = BTreeMap::new();
    let mut arriving: BTreeMap<&str, usize> = BTreeMap::new();
    for (lane, (edge, from, to, _)) in left.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let offset = 40.0 + lane as f64 * LANE;
        let out_k = leaving.entry(edge.from.as_str()).or_insert(0);
        let in_k = arriving.entry(edge.to.as_str()).or_insert(0);
        #[allow(clippy::cast_precision_loss)]
        let sy = from.cy() - 8.0 + (*out_k as f64 * 8.0).min(from.h / 2.0);
        #[allow(clippy::cast_precision_loss)]
        let ey = to.cy() + 8.0 - (*in_k as f64 * 8.0).min(to.h / 2.0);
        *out_k += 1;
        *in_k += 1;
        let (sx, ex) = (from.x, to.x);
        let far = sx.min(ex) - offset;
        bounds.point(far, sy);
        let _ = write!(
            paths,
            r##"<path class="od-wf-edge od-wf-edge-round" data-transition="{}" d="M{sx:.1},{sy:.1} C{far:.1},{sy:.1} {far:.1},{ey:.1} {ex:.1},{ey:.1}" fill="none" stroke="#454545" stroke-width="1.5" stroke-dasharray="5 3" marker-end="url(#od-wf-arrow)"/>"##,
            escape(&edge.transition)
        );
        labels.place(
            &mut bounds,
            &edge.label,
            far + offset * 0.25 - 6.0,
            f64::midpoint(sy, ey) + 4.0,
            Anchor::End,
        );
    }

    // The states, drawn after the arrows so boxes sit on top of lines.
    let mut states = String::new();
    for node in &diagram.nodes {
        let Some((r, _)) = boxes.get(node.id.as_str()) else {
            continue;
        };
        let class = if node.terminal {
            "od-wf-state od-wf-terminal"
        } else {
            "od-wf-state"
        };
        let _ = write!(
            states,
            r##"<g class="{class}" id="state-{id}"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6" fill="#ffffff" stroke="#1a1a1a" stroke-width="{}"/>"##,
            r.x,
            r.y,
            r.w,
            r.h,
            if node.terminal { "3" } else { "1.5" },
            id = escape(&node.id),
        );
        if node.terminal {
            let _ = write!(
                states,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="4" fill="none" stroke="#1a1a1a" stroke-width="1"/>"##,
                r.x + 5.0,
                r.y + 5.0,
                r.w - 10.0,
                r.h - 10.0
            );
        }
        let count = if node.terminal {
            format!("{} ({})", node.count_text, diagram.terminal_text)
        } else {
            node.count_text.clone()
        };
        let _ = write!(
            states,
            r##"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="13" font-weight="600" fill="#1a1a1a">{}</text><text class="od-wf-count" x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="#1a1a1a">{}</text></g>"##,
            r.y + 23.0,
            escape(&node.label),
            r.y + 42.0,
            escape(&count),
            cx = r.cx(),
        );
    }
    // The start: a dot with an arrow into the initial state.
    if let Some((r, _)) = boxes.get(diagram.initial.as_str()) {
        let (x, y) = (r.cx(), r.y);
        bounds.point(x, y - 40.0);
        let _ = write!(
            states,
            r##"<circle class="od-wf-start" cx="{x:.1}" cy="{:.1}" r="7" fill="#1a1a1a"/><path d="M{x:.1},{:.1} L{x:.1},{y:.1}" fill="none" stroke="#454545" stroke-width="1.5" marker-end="url(#od-wf-arrow)"/>"##,
            y - 34.0,
            y - 27.0
        );
    }

    let (x0, y0) = (bounds.min_x - 12.0, bounds.min_y - 12.0);
    let (w, h) = (
        bounds.max_x - bounds.min_x + 24.0,
        bounds.max_y - bounds.min_y + 24.0,
    );
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="od-workflow-svg" role="img" aria-labelledby="od-wf-title" viewBox="{x0:.1} {y0:.1} {w:.1} {h:.1}" width="{w:.0}" height="{h:.0}" font-family="{FONT}"><title id="od-wf-title">{}</title><defs><marker id="od-wf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#454545"/></marker></defs><g class="od-wf-edges">{paths}</g><g class="od-wf-labels">{}</g><g class="od-wf-states">{states}</g></svg>"##,
        escape(&diagram.title),
        labels.out,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn node(id: &str, rank: usize, terminal: bool, aside: bool) -> Node {
        Node {
            id: id.into(),
            label: format!("Label {id}"),
            count_text: "2 sager".into(),
            rank,
            terminal,
            aside,
        }
    }

    fn edge(id: &str, from: &str, to: &str) -> Edge {
        Edge {
            transition: id.into(),
            from: from.into(),
            to: to.into(),
            label: format!("Go {id}"),
        }
    }

    fn sample() -> Diagram {
        Diagram {
            title: "Flow".into(),
            initial: "draft".into(),
            terminal_text: "slut".into(),
            nodes: vec![
                node("draft", 0, false, false),
                node("review", 1, false, false),
                node("committee", 2, false, false),
                node("closed", 3, true, false),
                node("withdrawn", 4, true, true),
            ],
            edges: vec![
                edge("submit", "draft", "review"),
                edge("approve", "review", "committee"),
                edge("return", "committee", "draft"),
                edge("fast", "draft", "committee"),
                edge("close", "committee", "closed"),
                edge("withdraw", "draft", "withdrawn"),
                edge("withdraw", "review", "withdrawn"),
            ],
        }
    }

    #[test]
    fn every_state_is_drawn_once() {
        let svg = render(&sample());
        for id in ["draft", "review", "committee", "closed", "withdrawn"] {
            assert_eq!(
                svg.matches(&format!("id=\"state-{id}\"")).count(),
                1,
                "{id}"
            );
            assert_eq!(svg.matches(&format!(">Label {id}<")).count(), 1, "{id}");
        }
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn every_transition_is_drawn_with_its_label() {
        let diagram = sample();
        let svg = render(&diagram);
        assert_eq!(
            svg.matches("<path class=\"od-wf-edge").count(),
            diagram.edges.len()
        );
        for e in &diagram.edges {
            assert!(
                svg.contains(&format!("data-transition=\"{}\"", e.transition)),
                "{}",
                e.transition
            );
            assert!(svg.contains(&format!(">{}<", e.label)), "{}", e.label);
        }
    }

    #[test]
    fn terminal_states_are_marked_and_counts_shown() {
        let svg = render(&sample());
        assert_eq!(svg.matches("od-wf-state od-wf-terminal").count(), 2);
        assert!(svg.contains(">2 sager (slut)<"));
        assert!(svg.contains(">2 sager<"));
    }

    #[test]
    fn text_is_escaped() {
        let mut diagram = sample();
        diagram.nodes[0].label = "<script>alert(\"x\")</script> & 'co'".into();
        diagram.edges[0].label = "a < b & c > d".into();
        diagram.title = "\"Flow\" <b>".into();
        let svg = render(&diagram);
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<b>"));
        assert!(
            svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;")
        );
        assert!(svg.contains("a &lt; b &amp; c &gt; d"));
    }

    #[test]
    fn labels_do_not_overlap() {
        let svg = render(&sample());
        let mut rects = Vec::new();
        for part in svg.split("<rect class=\"od-wf-label-bg\"").skip(1) {
            let num = |name: &str| -> f64 {
                let start = part.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                let end = part[start..].find('"').unwrap();
                part[start..start + end].parse().unwrap()
            };
            rects.push(Rect {
                x: num("x"),
                y: num("y"),
                w: num("width"),
                h: num("height"),
            });
        }
        assert_eq!(rects.len(), sample().edges.len());
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn the_view_box_holds_numbers_only() {
        let svg = render(&sample());
        let start = svg.find("viewBox=\"").unwrap() + 9;
        let end = svg[start..].find('"').unwrap();
        let numbers: Vec<f64> = svg[start..start + end]
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(numbers.len(), 4);
        assert!(numbers.iter().all(|n| n.is_finite()));
        assert!(numbers[2] > 0.0 && numbers[3] > 0.0);
    }
}
