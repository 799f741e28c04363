//! Every plot kind renders to a valid PNG of the style's size and to a well-formed SVG that
//! carries its title, axis titles and series labels as text.

use servebench_viz::{Axis, LinePlot, Plot, Series, Style};

use crate::fixtures;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Decodes the PNG and returns its width, height and pixels (RGB).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(bytes[..8], PNG_SIGNATURE, "PNG signature");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let info = reader.info();
    let (w, h) = (info.width, info.height);
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    reader.next_frame(&mut buf).expect("PNG data decodes");
    (w, h, buf)
}

fn check_png(plot: &impl Plot) {
    let style = Style::with_size(640, 400);
    let bytes = plot.to_png(&style).expect("renders");
    let (w, h, pixels) = decode(&bytes);
    assert_eq!((w, h), (640, 400));
    // Something besides the white background was drawn, and some of it is dark (text, axes).
    assert!(
        pixels.chunks(3).any(|p| p.iter().all(|&c| c < 80)),
        "no dark pixels"
    );
    assert!(
        pixels.chunks(3).any(|p| p != [255, 255, 255]),
        "blank image"
    );
}

/// Parses the SVG (panicking on malformed XML) and returns all text content, one per element.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| n.text().unwrap_or("").trim().to_owned())
        .collect()
}

fn check_svg(plot: &impl Plot, expected: &[&str]) {
    let svg = plot.to_svg(&Style::default()).expect("renders");
    let texts = svg_texts(&svg);
    for want in expected {
        assert!(
            texts.iter().any(|t| t == want),
            "no <text> `{want}` in the SVG; texts: {texts:?}"
        );
    }
}

#[test]
fn line_plot_renders() {
    let p = fixtures::line();
    check_png(&p);
    check_svg(
        &p,
        &[
            "Latency vs load",
            "Concurrency",
            "TTFT p50 (ms)",
            "alpha-series",
            "beta-series",
        ],
    );
}

#[test]
fn scatter_plot_renders_with_point_labels() {
    let p = fixtures::scatter();
    check_png(&p);
    check_svg(
        &p,
        &[
            "Per user vs per GPU",
            "Throughput per user (tokens/s/user)",
            "Throughput per GPU (tokens/s/GPU)",
            "config-a",
            "config-b",
            "c=1",
            "c=16",
        ],
    );
}

#[test]
fn pareto_plot_renders_with_frontier_legend() {
    let p = fixtures::pareto();
    check_png(&p);
    check_svg(
        &p,
        &[
            "Pareto chart",
            "config-a",
            "config-b",
            "c=8",
            "Pareto frontier",
        ],
    );
}

#[test]
fn band_plot_renders_with_band_legend() {
    let p = fixtures::band();
    check_png(&p);
    check_svg(
        &p,
        &[
            "TTFT vs prefix ratio",
            "Prefix ratio",
            "TTFT (ms)",
            "kv-router",
            "p25–p75",
        ],
    );
}

#[test]
fn heatmap_renders_with_colour_bar_title() {
    let p = fixtures::heatmap();
    check_png(&p);
    check_svg(
        &p,
        &[
            "ITL surface",
            "KV usage",
            "Context length (tokens)",
            "ITL (ms)",
        ],
    );
}

#[test]
fn heatmap_cells_take_the_colour_map_ends() {
    // The highest z cell is drawn in the last colour of the map (the colour bar stops one
    // step short of it), and the lowest in the first.
    let style = Style::with_size(640, 400);
    let (w, _, pixels) = decode(&fixtures::heatmap().to_png(&style).expect("renders"));
    let has = |rgb: servebench_viz::Rgb| pixels.chunks(3).any(|p| p == [rgb.0, rgb.1, rgb.2]);
    assert!(w > 0);
    assert!(
        has(servebench_viz::viridis(0.0)),
        "no cell in the low colour"
    );
    assert!(
        has(servebench_viz::viridis(1.0)),
        "no cell in the high colour"
    );
}

#[test]
fn text_is_escaped_in_svg() {
    let mut p = fixtures::line();
    p.title = "a < b & c".to_owned();
    p.series[0].label = "<tp2>".to_owned();
    check_svg(&p, &["a < b & c", "<tp2>"]);
}

#[test]
fn files_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("p.png");
    let svg = dir.path().join("p.svg");
    let p = fixtures::band();
    p.save_png(&Style::default(), &png).expect("png written");
    p.save_svg(&Style::default(), &svg).expect("svg written");
    let (w, h, _) = decode(&std::fs::read(&png).expect("read png"));
    assert_eq!((w, h), (Style::default().width, Style::default().height));
    let text = std::fs::read_to_string(&svg).expect("read svg");
    assert!(svg_texts(&text).iter().any(|t| t == "kv-router"));
}

/// Writes one PNG of each kind into `$SERVEBENCH_VIZ_OUT` when it is set (to look at them);
/// otherwise does nothing. `SERVEBENCH_VIZ_OUT=/tmp/viz cargo nextest run -p servebench-viz`.
#[test]
fn write_samples_when_asked() {
    let Some(dir) = std::env::var_os("SERVEBENCH_VIZ_OUT") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create output dir");
    let style = Style::default();
    fixtures::line()
        .save_png(&style, &dir.join("line.png"))
        .expect("line");
    fixtures::scatter()
        .save_png(&style, &dir.join("scatter.png"))
        .expect("scatter");
    fixtures::pareto()
        .save_png(&style, &dir.join("pareto.png"))
        .expect("pareto");
    fixtures::band()
        .save_png(&style, &dir.join("band.png"))
        .expect("band");
    fixtures::heatmap()
        .save_png(&style, &dir.join("heatmap.png"))
        .expect("heatmap");
}

fn texts_of(plot: &impl Plot) -> Vec<String> {
    svg_texts(&plot.to_svg(&Style::default()).expect("renders"))
}

#[test]
fn base_10_log_axis_labels_only_1_2_5_multiples() {
    // x from 1 to 16 on a log axis: grid lines at 1..9, 10, but labels only 1, 2, 5, 10.
    // y from 15 to 90 (within one decade): the axis starts at 10 so it gets ticks 20 and 50.
    let texts = texts_of(&fixtures::line());
    for want in ["1", "2", "5", "10", "20", "50"] {
        assert!(
            texts.iter().any(|t| t == want),
            "no tick `{want}`: {texts:?}"
        );
    }
    for unwanted in ["3", "4", "6", "7", "8", "9"] {
        assert!(
            !texts.iter().any(|t| t == unwanted),
            "tick `{unwanted}` labelled: {texts:?}"
        );
    }
}

#[test]
fn base_2_log_axis_ticks_at_powers_of_two() {
    let conc = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
    let p = LinePlot::new(
        "Sweep",
        Axis::unitless("Concurrency").log2(),
        Axis::new("Throughput", "tokens/s").from_zero(),
        vec![Series::new(
            "agg",
            conc.iter().map(|&c| (c, 1000.0 + 100.0 * c)).collect(),
        )],
    );
    let texts = texts_of(&p);
    for want in ["1", "2", "4", "8", "16", "32"] {
        assert!(
            texts.iter().any(|t| t == want),
            "no tick `{want}`: {texts:?}"
        );
    }
}

#[test]
fn figure_renders_every_panel() {
    let fig = servebench_viz::Figure::new(
        "All kinds",
        3,
        vec![
            fixtures::line().into(),
            fixtures::scatter().into(),
            fixtures::pareto().into(),
            fixtures::band().into(),
            fixtures::heatmap().into(),
        ],
    );
    let style = Style::with_size(1800, 900);
    let (w, h, _) = decode(&fig.to_png(&style).expect("renders"));
    assert_eq!((w, h), (1800, 900));
    let texts = svg_texts(&fig.to_svg(&style).expect("renders"));
    for want in [
        "All kinds",
        "Latency vs load",
        "Per user vs per GPU",
        "Pareto chart",
        "TTFT vs prefix ratio",
        "ITL surface",
    ] {
        assert!(texts.iter().any(|t| t == want), "no `{want}`: {texts:?}");
    }
}

#[test]
fn tick_labels_are_short_and_exact() {
    use servebench_viz::format_tick;
    let cases = [
        (0.0, "0"),
        (0.1 + 0.2, "0.3"),
        (-0.25, "-0.25"),
        (1234.56, "1235"),
        (12345.0, "12345"),
        (2e6, "2e6"),
        (1.5e-4, "1.5e-4"),
        (0.012_34, "0.01234"),
    ];
    for (v, want) in cases {
        assert_eq!(format_tick(v), want, "format_tick({v})");
    }
}

#[test]
fn crowded_legends_and_long_titles_are_shortened_not_cut() {
    let long = "a label far too long to fit beside such a small plot";
    let series = (0..30)
        .map(|i| Series::new(format!("{long} {i}"), vec![(0.0, f64::from(i)), (1.0, 1.0)]))
        .collect();
    let p = LinePlot::new(long, Axis::unitless("x"), Axis::unitless("y"), series);
    let texts = svg_texts(&p.to_svg(&Style::with_size(480, 320)).expect("renders"));
    // Some rows shown, the rest counted in a last row.
    let more = texts
        .iter()
        .find(|t| t.starts_with('+') && t.ends_with(" more"))
        .unwrap_or_else(|| panic!("no `+N more` row: {texts:?}"));
    let hidden: usize = more[1..more.len() - 5].parse().expect("count");
    let shown = texts
        .iter()
        .filter(|t| t.starts_with("a label") && t.ends_with('…'))
        .count();
    // Title and the 'shown' legend rows are shortened with an ellipsis.
    assert!(shown >= 2, "{texts:?}");
    assert_eq!(
        shown - 1 + hidden,
        30,
        "title + shown rows, hidden: {texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t == long),
        "the title was not shortened"
    );
}
