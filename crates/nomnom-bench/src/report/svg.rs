//! Hand-written SVG charts for the results page: lines over categories (throughput and p99
//! latency against concurrency) and horizontal bars (worker rates against the COPY limit).

use std::fmt::Write as _;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 210.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

/// Escapes text for SVG content and attributes.
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

/// A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_ceiling(max: f64) -> f64 {
    if max.is_nan() || max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// A number for an axis label: `12k`, `1.5M`, `0.25`.
pub fn short_number(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if v.abs() >= 1e6 {
        format!("{}M", trim(format!("{:.1}", v / 1e6)))
    } else if v.abs() >= 1e3 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if v.abs() >= 10.0 || v == 0.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.2}"))
    }
}

/// One named line: a value (or a gap) per category.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One value per category of the chart; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
}

fn header(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
        WIDTH / 2.0,
        escape(title)
    );
}

fn y_axis(out: &mut String, top_value: f64, label: &str) {
    let plot_h = HEIGHT - TOP - BOTTOM;
    for i in 0..=4 {
        let v = top_value * f64::from(i) / 4.0;
        let y = HEIGHT - BOTTOM - plot_h * f64::from(i) / 4.0;
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            short_number(v)
        );
    }
    let _ = writeln!(
        out,
        "<text transform=\"translate(18 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        TOP + plot_h / 2.0,
        escape(label)
    );
}

fn legend(out: &mut String, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let y = TOP + 10.0 + 20.0 * i as f64;
        let x = WIDTH - RIGHT + 12.0;
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\">{}</text>",
            y - 10.0,
            COLOURS[i % COLOURS.len()],
            x + 18.0,
            escape(name)
        );
    }
}

/// A line chart over categories (`x_labels`, evenly spaced), y from zero.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    x_labels: &[String],
    series: &[Series],
) -> String {
    let mut out = String::new();
    header(&mut out, title);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |m, &v| m.max(v));
    let top_value = nice_ceiling(max);
    y_axis(&mut out, top_value, y_label);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = x_labels.len().max(1);
    let x_at = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + 20.0 + (plot_w - 40.0) * i as f64 / (n - 1) as f64
        }
    };
    let y_at = |v: f64| HEIGHT - BOTTOM - plot_h * (v / top_value).clamp(0.0, 1.0);
    for (i, label) in x_labels.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x_at(i),
            HEIGHT - BOTTOM + 18.0,
            escape(label)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0,
        escape(x_label)
    );
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"black\"/>",
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM
    );
    for (s, line) in series.iter().enumerate() {
        let colour = COLOURS[s % COLOURS.len()];
        // Consecutive present values form one polyline; a gap starts a new one.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let mut segments = Vec::new();
        for (i, v) in line.values.iter().enumerate().take(n) {
            match v {
                Some(v) => segment.push((x_at(i), y_at(*v))),
                None => segments.push(std::mem::take(&mut segment)),
            }
        }
        segments.push(segment);
        for seg in segments.iter().filter(|s| !s.is_empty()) {
            let points: Vec<String> = seg.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = writeln!(
                out,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                points.join(" ")
            );
            for (x, y) in seg {
                let _ = writeln!(
                    out,
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>"
                );
            }
        }
    }
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    legend(&mut out, &names);
    out.push_str("</svg>\n");
    out
}

/// A horizontal bar chart, one bar per `(label, value)`, from zero.
pub fn bar_chart(title: &str, unit: &str, bars: &[(String, f64)]) -> String {
    let mut out = String::new();
    header(&mut out, title);
    let max = bars.iter().fold(0.0f64, |m, (_, v)| m.max(*v));
    let top_value = nice_ceiling(max);
    let left = 190.0;
    let plot_w = WIDTH - left - 110.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_h / bars.len().max(1) as f64;
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = TOP + slot * i as f64 + slot * 0.15;
        let w = plot_w * (value / top_value).clamp(0.0, 1.0);
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{left}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            left - 6.0,
            y + slot * 0.4,
            escape(label),
            slot * 0.7,
            COLOURS[i % COLOURS.len()],
            left + w + 4.0,
            y + slot * 0.4,
            escape(&format!("{} {unit}", short_number(*value)))
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{left}\" y1=\"{TOP}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"black\"/>",
        HEIGHT - BOTTOM
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        left + plot_w / 2.0,
        HEIGHT - 10.0,
        escape(&format!("{unit} (axis up to {})", short_number(top_value)))
    );
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers_in(attr: &str, svg: &str) -> Vec<f64> {
        svg.split(&format!("{attr}=\""))
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn axis_helpers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(13_000.0), 20_000.0);
        assert_eq!(nice_ceiling(450.0), 500.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(short_number(12_500.0), "12.5k");
        assert_eq!(short_number(2_000_000.0), "2M");
        assert_eq!(short_number(250.0), "250");
        assert_eq!(short_number(12.5), "12.5");
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn line_chart_draws_each_series_inside_the_view_box() {
        let labels: Vec<String> = ["1", "16", "64", "256"].map(String::from).to_vec();
        let svg = line_chart(
            "Throughput <by> concurrency",
            "requests in flight",
            "msgs/s",
            &labels,
            &[
                Series {
                    name: "publish limit".into(),
                    values: vec![Some(1e3), Some(9e3), Some(2e4), Some(2.2e4)],
                },
                Series {
                    name: "API".into(),
                    values: vec![Some(800.0), None, Some(1.2e4), Some(1.3e4)],
                },
            ],
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Throughput &lt;by&gt; concurrency"));
        // One polyline for the full series, two for the one with a gap.
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert_eq!(svg.matches("<circle").count(), 7);
        for x in numbers_in("cx", &svg) {
            assert!((0.0..=WIDTH).contains(&x));
        }
        for y in numbers_in("cy", &svg) {
            assert!((TOP..=HEIGHT - BOTTOM).contains(&y));
        }
        // The highest point (22k) sits under the top of a 50k axis... or exactly on a nice one.
        assert!(svg.contains(">50k<") || svg.contains(">25k<"), "{svg}");
        assert_eq!(svg.matches("<text").count() - 1, 5 + 4 + 1 + 1 + 2);
    }

    #[test]
    fn bar_chart_scales_bars_to_the_largest() {
        let svg = bar_chart(
            "Worker vs COPY",
            "msgs/s",
            &[
                ("COPY limit".into(), 10_000.0),
                ("worker x1".into(), 5_000.0),
                ("legacy".into(), 90.0),
            ],
        );
        let widths = numbers_in("width", &svg);
        // [view box width, rect 100%... skipped as non-numeric], then the three bars.
        let bars: Vec<f64> = widths.into_iter().skip(1).collect();
        assert_eq!(bars.len(), 3, "{svg}");
        assert!((bars[0] / bars[1] - 2.0).abs() < 0.01);
        assert!(bars[2] < bars[1] / 50.0);
        assert!(svg.contains(">10k msgs/s<"));
    }
}
