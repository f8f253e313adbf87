//! Server-rendered SVG charts: they work offline, print, and need no script.

use wuye_domain::coverage::Ratio;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One bar: label, link for drill-down, and the value.
pub struct Bar {
    pub label: String,
    pub href: Option<String>,
    pub value: Ratio,
    /// Text after the percentage, e.g. "(12/20)".
    pub note: String,
}

/// A horizontal bar chart of percentages (0–100%) with a dashed target line.
/// Bars at or above the target are green, below it amber; each bar links to its region.
pub fn coverage_bars(bars: &[Bar], target: Ratio, target_label: &str, title: &str) -> String {
    let label_w = 150.0;
    let plot_w = 520.0;
    let right_w = 130.0;
    let row_h = 26.0;
    let top = 28.0;
    let width = label_w + plot_w + right_w;
    let height = top + row_h * bars.len().max(1) as f64 + 24.0;
    let x_of = |permille: i64| label_w + plot_w * (permille.clamp(0, 1000) as f64) / 1000.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    s.push_str(&format!("<title>{}</title>", esc(title)));
    // Grid at 0, 25, 50, 75, 100%.
    for p in [0, 250, 500, 750, 1000] {
        let x = x_of(p);
        s.push_str(&format!(
            "<line class=\"axis\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}%</text>",
            top - 6.0,
            height - 20.0,
            height - 6.0,
            p / 10
        ));
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let pm = b.value.permille();
        let ok = b.value.at_least(target);
        let w = x_of(pm) - label_w;
        let class = if b.value.den == 0 { "bar" } else if ok { "bar ok" } else { "bar low" };
        let status = if b.value.den == 0 { "" } else if ok { " ✓" } else { " !" };
        // Long bars carry their figure inside, so it never runs off the right edge.
        let inside = pm >= 750;
        let (tx, anchor, fill) = if inside { (label_w + w - 6.0, "end", " class=\"in\"") } else { (label_w + w + 6.0, "start", "") };
        let body = format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"{class}\" x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" rx=\"2\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\"{fill}>{}{}{}</text>",
            label_w - 8.0,
            y + row_h * 0.62,
            esc(&b.label),
            y + 4.0,
            row_h - 8.0,
            y + row_h * 0.62,
            if b.value.den == 0 { "—".to_string() } else { b.value.percent_text() },
            status,
            if b.note.is_empty() { String::new() } else { format!(" {}", esc(&b.note)) }
        );
        match &b.href {
            Some(h) => s.push_str(&format!("<a href=\"{}\">{body}</a>", esc(h))),
            None => s.push_str(&body),
        }
    }
    let tx = x_of(target.permille());
    s.push_str(&format!(
        "<line class=\"target\" x1=\"{tx:.1}\" y1=\"{:.1}\" x2=\"{tx:.1}\" y2=\"{:.1}\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#c62828\">{}</text>",
        top - 10.0,
        height - 20.0,
        top - 14.0,
        esc(target_label)
    ));
    s.push_str("</svg>");
    s
}

// credit-public: BEGIN
/// One point of a score history: the day, the score in tenths of a point (`None`: unrated
/// from that day) and the grade label shown beside it.
pub struct ScorePoint {
    pub day: chrono::NaiveDate,
    pub score_tenths: Option<i64>,
    pub label: String,
}

/// A step chart of a score over time: each point holds until the next one, the last until
/// `until`. The y axis runs from 0 to the highest score rounded up to 20 points (at least
/// 100); an unrated stretch is a gap. Every point carries a `<title>` with day, score and
/// grade. An empty history draws an axis with a note.
pub fn score_history(points: &[ScorePoint], until: chrono::NaiveDate, title: &str, empty_note: &str) -> String {
    let (left, right, top, bottom) = (48.0, 16.0, 16.0, 28.0);
    let (width, height) = (720.0, 240.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max_t = points.iter().filter_map(|p| p.score_tenths).max().unwrap_or(0).max(1000);
    let y_max = ((max_t + 199) / 200) * 200;
    let first = points.first().map(|p| p.day).unwrap_or(until);
    let last = until.max(points.last().map(|p| p.day).unwrap_or(until));
    let span = ((last - first).num_days()).max(1) as f64;
    let x_of = |d: chrono::NaiveDate| left + plot_w * ((d - first).num_days() as f64) / span;
    let y_of = |t: i64| top + plot_h * (1.0 - (t.clamp(0, y_max) as f64) / (y_max as f64));
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart score-history\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    let mut v = 0;
    while v <= y_max {
        let y = y_of(v);
        s.push_str(&format!(
            "<line class=\"axis\" x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            width - right,
            left - 6.0,
            y + 4.0,
            v / 10
        ));
        v += 200;
    }
    s.push_str(&format!(
        "<text x=\"{left}\" y=\"{:.1}\" text-anchor=\"start\">{first}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{last}</text>",
        height - 8.0,
        width - right,
        height - 8.0
    ));
    if points.is_empty() {
        s.push_str(&format!("<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></svg>", left + plot_w / 2.0, top + plot_h / 2.0, esc(empty_note)));
        return s;
    }
    // The steps: a vertical move where the score changes, a gap where it is unrated.
    let mut d = String::new();
    for (i, p) in points.iter().enumerate() {
        let next = points.get(i + 1).map(|n| n.day).unwrap_or(last);
        if let Some(t) = p.score_tenths {
            let (x0, x1, y) = (x_of(p.day), x_of(next), y_of(t));
            if i > 0 && points[i - 1].score_tenths.is_some() {
                d.push_str(&format!(" V{y:.1} H{x1:.1}"));
            } else {
                d.push_str(&format!(" M{x0:.1} {y:.1} H{x1:.1}"));
            }
        }
    }
    s.push_str(&format!("<path class=\"line\" d=\"{}\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"/>", d.trim()));
    for p in points {
        if let Some(t) = p.score_tenths {
            let (x, y) = (x_of(p.day), y_of(t));
            s.push_str(&format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"#1565c0\"><title>{} · {}.{} · {}</title></circle>",
                p.day,
                t / 10,
                t % 10,
                esc(&p.label)
            ));
        }
    }
    if let Some(p) = points.iter().rev().find(|p| p.score_tenths.is_some()) {
        let t = p.score_tenths.unwrap_or(0);
        s.push_str(&format!("<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}.{} {}</text>", width - right, y_of(t) - 6.0, t / 10, t % 10, esc(&p.label)));
    }
    s.push_str("</svg>");
    s
}

/// One month of a two-series bar chart: label, first (good) and second (bad) counts.
pub struct MonthPair {
    pub label: String,
    pub first: i64,
    pub second: i64,
}

/// A grouped vertical bar chart of two counts per month (green first, red second), with a
/// legend of the two series names and every bar's count in a `<title>`.
pub fn month_pairs(months: &[MonthPair], first_name: &str, second_name: &str, title: &str) -> String {
    let (left, right, top, bottom) = (36.0, 12.0, 24.0, 28.0);
    let (width, height) = (720.0, 200.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = months.iter().map(|m| m.first.max(m.second)).max().unwrap_or(0).max(1);
    let slot = plot_w / months.len().max(1) as f64;
    let bar_w = (slot * 0.36).min(20.0);
    let y_of = |n: i64| top + plot_h * (1.0 - n as f64 / max as f64);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart month-pairs\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    s.push_str(&format!(
        "<line class=\"axis\" x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{max}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">0</text>",
        top + plot_h,
        width - right,
        top + plot_h,
        left - 6.0,
        top + 4.0,
        left - 6.0,
        top + plot_h
    ));
    s.push_str(&format!(
        "<rect x=\"{left}\" y=\"4\" width=\"10\" height=\"10\" fill=\"#2e7d32\"/><text x=\"{:.1}\" y=\"13\">{}</text><rect x=\"{:.1}\" y=\"4\" width=\"10\" height=\"10\" fill=\"#c62828\"/><text x=\"{:.1}\" y=\"13\">{}</text>",
        left + 14.0,
        esc(first_name),
        left + 120.0,
        left + 134.0,
        esc(second_name)
    ));
    for (i, m) in months.iter().enumerate() {
        let x = left + slot * i as f64 + slot / 2.0;
        for (j, (n, fill, name)) in [(m.first, "#2e7d32", first_name), (m.second, "#c62828", second_name)].into_iter().enumerate() {
            let bx = if j == 0 { x - bar_w - 1.0 } else { x + 1.0 };
            let y = y_of(n);
            s.push_str(&format!(
                "<rect x=\"{bx:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>{} {}: {n}</title></rect>",
                top + plot_h - y,
                esc(&m.label),
                esc(name)
            ));
        }
        s.push_str(&format!("<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", height - 8.0, esc(&m.label)));
    }
    s.push_str("</svg>");
    s
}
// credit-public: END

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_target_line() {
        let bars = vec![
            Bar { label: "银川市".into(), href: Some("/?region=640100000000".into()), value: Ratio::new(3, 4), note: String::new() },
            Bar { label: "固原<市>".into(), href: None, value: Ratio::new(1, 4), note: "(1/4)".into() },
            Bar { label: "空".into(), href: None, value: Ratio::new(0, 0), note: String::new() },
        ];
        let svg = coverage_bars(&bars, Ratio::new(70, 100), "目标 70%", "覆盖率");
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("class=\"bar ok\""));
        assert!(svg.contains("class=\"bar low\""));
        assert!(svg.contains("75.0% ✓"));
        assert!(svg.contains("25.0% ! (1/4)"));
        assert!(svg.contains("固原&lt;市&gt;"));
        assert!(svg.contains("href=\"/?region=640100000000\""));
        // The target line sits at 70% of the plot: 150 + 520 × 0.7 = 514.
        assert!(svg.contains("x1=\"514.0\""));
    }
}
