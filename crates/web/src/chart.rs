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
