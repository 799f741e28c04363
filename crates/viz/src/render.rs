//! Output (PNG bytes, SVG text, files) and the layout shared by every plot: title, axes with
//! titles and ticks, grid, and a legend beside the plotting area so it never covers data.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::VizError;
use crate::data::{Axis, Scale, format_tick};
use crate::error::draw_err;
use crate::style::{Rgb, Style};

/// Font family name the embedded DejaVu Sans is registered under.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the embedded DejaVu Sans (regular and bold) with plotters, once per process.
pub(crate) fn ensure_font() -> Result<(), VizError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok { Ok(()) } else { Err(VizError::Font) }
}

pub(crate) mod sealed {
    use plotters::coord::Shift;
    use plotters::prelude::{DrawingArea, DrawingBackend};

    use crate::{Style, VizError};

    /// The drawing half of [`crate::Plot`], kept private so plotters stays an implementation
    /// detail.
    pub trait Draw {
        /// Checks the data; called before anything is drawn.
        fn validate(&self) -> Result<(), VizError>;
        /// Draws onto a cleared area of the style's size.
        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, Shift>,
            style: &Style,
        ) -> Result<(), VizError>;
    }
}

/// Rendering, implemented by every plot kind of this crate ([`crate::LinePlot`],
/// [`crate::ScatterPlot`], [`crate::ParetoPlot`], [`crate::BandPlot`], [`crate::Heatmap`]).
///
/// The data are checked first; a problem is an error and nothing is written.
pub trait Plot: sealed::Draw {
    /// Checks the data without drawing (the same checks every render method makes first).
    fn check(&self) -> Result<(), VizError> {
        self.validate()
    }

    /// Renders to an SVG document (text drawn as `<text>` elements, so it can be inlined in an
    /// HTML page and stays searchable).
    fn to_svg(&self, style: &Style) -> Result<String, VizError> {
        style.check()?;
        self.validate()?;
        ensure_font()?;
        let mut out = String::new();
        {
            let root =
                SVGBackend::with_string(&mut out, (style.width, style.height)).into_drawing_area();
            root.fill(&style.background.to_plotters())
                .map_err(draw_err)?;
            self.draw(&root, style)?;
            root.present().map_err(draw_err)?;
        }
        Ok(out)
    }

    /// Renders to the bytes of an 8-bit RGB PNG image of the style's size.
    fn to_png(&self, style: &Style) -> Result<Vec<u8>, VizError> {
        style.check()?;
        self.validate()?;
        ensure_font()?;
        let (w, h) = (style.width, style.height);
        let mut rgb = vec![0u8; w as usize * h as usize * 3];
        {
            let root = crate::glyphs::GlyphFix(BitMapBackend::with_buffer(&mut rgb, (w, h)))
                .into_drawing_area();
            root.fill(&style.background.to_plotters())
                .map_err(draw_err)?;
            self.draw(&root, style)?;
            root.present().map_err(draw_err)?;
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(VizError::Png)?;
            writer.write_image_data(&rgb).map_err(VizError::Png)?;
            writer.finish().map_err(VizError::Png)?;
        }
        Ok(out)
    }

    /// Renders a PNG image and writes it to `path`.
    fn save_png(&self, style: &Style, path: &Path) -> Result<(), VizError> {
        let bytes = self.to_png(style)?;
        write_file(path, &bytes)
    }

    /// Renders an SVG document and writes it to `path`.
    fn save_svg(&self, style: &Style, path: &Path) -> Result<(), VizError> {
        let text = self.to_svg(style)?;
        write_file(path, text.as_bytes())
    }
}

impl<T: sealed::Draw> Plot for T {}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), VizError> {
    std::fs::write(path, bytes).map_err(|source| VizError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn font(style: &Style, size: u32) -> TextStyle<'static> {
    (FAMILY, size)
        .into_font()
        .color(&style.foreground.to_plotters())
}

/// Draws the title and returns the area below it.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    style: &Style,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, VizError> {
    if title.is_empty() {
        return Ok(root.clone());
    }
    let font = (FAMILY, style.title_size)
        .into_font()
        .style(FontStyle::Bold)
        .color(&style.foreground.to_plotters());
    let (w, _) = root.dim_in_pixel();
    let max = w as i32 - 2 * style.margin as i32;
    let (title, _) = fit_text(root, &font, title, max)?;
    root.titled(&title, font).map_err(draw_err)
}

/// How a legend entry's sample is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sample {
    /// A line with a marker of the given shape in the middle.
    LineMarker(usize),
    /// A marker alone.
    Marker(usize),
    /// A shaded box.
    Band,
    /// A dashed-looking thin line (the Pareto frontier).
    Line,
}

/// One legend row.
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    pub(crate) label: String,
    pub(crate) color: Rgb,
    pub(crate) sample: Sample,
}

const SAMPLE_W: i32 = 34;

/// Splits `area` into the plotting area and a legend column on the right (only when some entry
/// has a label), draws the legend, and returns the plotting area.
pub(crate) fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: &Style,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, VizError> {
    let entries: Vec<&LegendEntry> = entries.iter().filter(|e| !e.label.is_empty()).collect();
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let font = font(style, style.legend_size);
    let (area_w, area_h) = area.dim_in_pixel();
    let row = (style.legend_size as f64 * 1.7).round() as i32;
    let top = style.margin as i32 + row / 2;
    // Rows that fit in the column; when some do not, the last visible row says how many are left.
    let fit_rows = ((area_h as i32 - top) / row).max(1) as usize;
    let (shown, hidden) = if entries.len() > fit_rows {
        (fit_rows - 1, entries.len() + 1 - fit_rows)
    } else {
        (entries.len(), 0)
    };
    let more = (hidden > 0).then(|| format!("+{hidden} more"));
    let max_text = area_w as i32 * 3 / 10;
    let mut labels = Vec::with_capacity(shown);
    let mut widest = 0;
    for e in &entries[..shown] {
        let (label, w) = fit_text(area, &font, &e.label, max_text)?;
        widest = widest.max(w);
        labels.push(label);
    }
    if let Some(more) = &more {
        let (w, _) = area.estimate_text_size(more, &font).map_err(draw_err)?;
        widest = widest.max(w as i32);
    }
    let legend_w = SAMPLE_W + 8 + widest + 2 * style.margin as i32;
    let (plot, legend) = area.split_horizontally(area_w as i32 - legend_w);
    let text_at = |text: String, y: i32| {
        Text::new(
            text,
            (SAMPLE_W + 8, y),
            font.pos(Pos::new(HPos::Left, VPos::Center)),
        )
    };
    for (i, (e, label)) in entries.iter().zip(labels).enumerate() {
        let y = top + i as i32 * row;
        draw_sample(&legend, style, e, (4, y))?;
        legend.draw(&text_at(label, y)).map_err(draw_err)?;
    }
    if let Some(more) = more {
        let y = top + shown as i32 * row;
        legend.draw(&text_at(more, y)).map_err(draw_err)?;
    }
    Ok(plot)
}

/// `text`, shortened with an ellipsis until it fits `max` pixels, and its width.
fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    font: &TextStyle<'_>,
    text: &str,
    max: i32,
) -> Result<(String, i32), VizError> {
    let mut chars: Vec<char> = text.chars().collect();
    let mut candidate = text.to_owned();
    loop {
        let (w, _) = area
            .estimate_text_size(&candidate, font)
            .map_err(draw_err)?;
        if w as i32 <= max || chars.len() <= 1 {
            return Ok((candidate, w as i32));
        }
        chars.pop();
        candidate = chars.iter().collect::<String>() + "…";
    }
}

fn draw_sample<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: &Style,
    e: &LegendEntry,
    (x, y): (i32, i32),
) -> Result<(), VizError> {
    let c = e.color.to_plotters();
    let line = |w: u32| PathElement::new(vec![(x, y), (x + SAMPLE_W - 6, y)], c.stroke_width(w));
    let mid = (x + (SAMPLE_W - 6) / 2, y);
    match e.sample {
        Sample::LineMarker(shape) => {
            area.draw(&line(style.line_width)).map_err(draw_err)?;
            draw_marker_px(area, mid, shape, c, style.marker_size)?;
        }
        Sample::Marker(shape) => draw_marker_px(area, mid, shape, c, style.marker_size + 1)?,
        Sample::Line => area.draw(&line(style.line_width)).map_err(draw_err)?,
        Sample::Band => {
            let half = style.legend_size as i32 / 2;
            area.draw(&Rectangle::new(
                [(x, y - half), (x + SAMPLE_W - 6, y + half)],
                c.mix(style.band_opacity).filled(),
            ))
            .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// A marker in pixel coordinates (legend samples).
fn draw_marker_px<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: (i32, i32),
    shape: usize,
    c: RGBColor,
    size: u32,
) -> Result<(), VizError> {
    let s = size as i32;
    match shape % 3 {
        0 => area.draw(&Circle::new(p, size, c.filled())),
        1 => area.draw(&TriangleMarker::new(p, s + 2, c.filled())),
        _ => area.draw(&Rectangle::new(
            [(p.0 - s, p.1 - s), (p.0 + s, p.1 + s)],
            c.filled(),
        )),
    }
    .map_err(draw_err)
}

/// Markers of one series in data coordinates; the shape cycles circle, triangle, square so
/// series stay apart in grey scale.
pub(crate) fn draw_markers<
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    points: &[(f64, f64)],
    shape: usize,
    c: RGBColor,
    size: u32,
) -> Result<(), VizError> {
    let s = size as i32;
    let pts = points.iter().copied();
    match shape % 3 {
        0 => chart
            .draw_series(pts.map(|p| Circle::new(p, size, c.filled())))
            .map(|_| ()),
        1 => chart
            .draw_series(pts.map(|p| TriangleMarker::new(p, s + 2, c.filled())))
            .map(|_| ()),
        _ => chart
            .draw_series(
                pts.map(|p| EmptyElement::at(p) + Rectangle::new([(-s, -s), (s, s)], c.filled())),
            )
            .map(|_| ()),
    }
    .map_err(draw_err)
}

/// Positions `n` sample values spread over an axis range, to estimate the widest tick label.
fn sample_ticks(range: (f64, f64), scale: Scale) -> Vec<f64> {
    let n = 12;
    (0..=n)
        .map(|i| {
            let t = f64::from(i) / f64::from(n);
            match scale {
                Scale::Linear => range.0 + (range.1 - range.0) * t,
                Scale::Log | Scale::Log2 => {
                    10f64.powf(range.0.log10() + (range.1.log10() - range.0.log10()) * t)
                }
            }
        })
        .collect()
}

/// Pixel sizes of the label areas below and left of the plot, from the fonts and the widest
/// plausible tick label, so tick labels and axis titles never overlap or get cut.
pub(crate) fn label_areas<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: &Style,
    y_range: (f64, f64),
    y: &Axis,
) -> Result<(u32, u32), VizError> {
    let tick_font = font(style, style.tick_size);
    let mut widest = 0;
    for v in sample_ticks(y_range, y.scale) {
        // One extra digit of slack: the real ticks may be rounder or longer than the samples.
        let text = format!("{}0", format_tick(v));
        let (w, _) = area
            .estimate_text_size(&text, &tick_font)
            .map_err(draw_err)?;
        widest = widest.max(w);
    }
    let x_area = style.tick_size + style.axis_title_size + 22;
    let y_area = widest + style.axis_title_size + 22;
    Ok((x_area, y_area))
}

fn tick_label(v: &f64) -> String {
    format_tick(*v)
}

/// Tick labels of a log axis: only values whose leading digit is 1, 2 or 5 are labelled (the
/// others keep their grid line), so 8, 9 and 10 never run into each other.
fn log_tick_label(v: &f64) -> String {
    if *v <= 0.0 {
        return String::new();
    }
    let mantissa = *v / 10f64.powf(v.log10().floor());
    let near = |m: f64| (mantissa - m).abs() < 1e-6 * m || (mantissa - 10.0 * m).abs() < 1e-5;
    if near(1.0) || near(2.0) || near(5.0) {
        format_tick(*v)
    } else {
        String::new()
    }
}

fn formatter(axis: &Axis) -> &'static dyn Fn(&f64) -> String {
    match axis.scale {
        Scale::Linear | Scale::Log2 => &tick_label,
        Scale::Log => &log_tick_label,
    }
}

/// The chart type [`build_chart`] returns for the range specs `XS`, `YS`.
pub(crate) type XyChart<'a, DB, XS, YS> = ChartContext<
    'a,
    DB,
    Cartesian2d<<XS as AsRangedCoord>::CoordDescType, <YS as AsRangedCoord>::CoordDescType>,
>;

/// Builds a Cartesian chart on `area` with the house axes, ticks and grid drawn.
pub(crate) fn build_chart<'a, DB, XS, YS>(
    area: &'a DrawingArea<DB, Shift>,
    style: &Style,
    (x, y): (&Axis, &Axis),
    (xs, ys): (XS, YS),
    y_range: (f64, f64),
) -> Result<XyChart<'a, DB, XS, YS>, VizError>
where
    DB: DrawingBackend,
    XS: AsRangedCoord<Value = f64>,
    YS: AsRangedCoord<Value = f64>,
    XS::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    YS::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (x_area, y_area) = label_areas(area, style, y_range, y)?;
    let mut chart = ChartBuilder::on(area)
        .margin(style.margin)
        .margin_right(style.margin * 2)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xs, ys)
        .map_err(draw_err)?;
    let fg = style.foreground.to_plotters();
    let grid = style.grid.to_plotters();
    let minor = RGBColor(
        mid(style.grid.0, style.background.0),
        mid(style.grid.1, style.background.1),
        mid(style.grid.2, style.background.2),
    );
    // About one x label per 90 px and one y label per 50 px of plotting area, so small
    // images do not run tick labels together.
    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    // A base-10 log axis needs room for 10 key points to get its 2..9 lines at all (only 1, 2
    // and 5 are labelled, see `log_tick_label`).
    let count = |axis: &Axis, by_size: usize| {
        if axis.scale == Scale::Log {
            10
        } else {
            by_size
        }
    };
    let x_labels = count(x, (pw as usize / 90).clamp(2, 10));
    let y_labels = count(y, (ph as usize / 50).clamp(2, 8));
    // Axis titles longer than their axis are shortened rather than cut at the image edge.
    let title_font = font(style, style.axis_title_size);
    let (aw, ah) = area.dim_in_pixel();
    let (x_title, _) = fit_text(area, &title_font, &x.title, aw as i32)?;
    let (y_title, _) = fit_text(area, &title_font, &y.title, ah as i32)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_title)
        .y_desc(y_title)
        .axis_desc_style(font(style, style.axis_title_size))
        .label_style(font(style, style.tick_size))
        .x_label_formatter(formatter(x))
        .y_label_formatter(formatter(y))
        .x_labels(x_labels)
        .y_labels(y_labels)
        .axis_style(fg.stroke_width(1))
        .bold_line_style(grid.stroke_width(1))
        .light_line_style(minor.stroke_width(1))
        .max_light_lines(4);
    if !style.show_grid {
        mesh.disable_mesh();
    }
    mesh.draw().map_err(draw_err)?;
    Ok(chart)
}

fn mid(a: u8, b: u8) -> u8 {
    ((u16::from(a) + u16::from(b)) / 2) as u8
}

/// Runs `$body` with `$chart` bound to a chart built for the axes' scales (linear or log on
/// each axis: four chart types, one body).
macro_rules! with_chart {
    ($area:expr, $style:expr, $x:expr, $y:expr, $xr:expr, $yr:expr, |$chart:ident| $body:block) => {{
        use plotters::prelude::IntoLogRange as _;
        let (x_axis, y_axis): (&$crate::Axis, &$crate::Axis) = ($x, $y);
        let (xr, yr): ((f64, f64), (f64, f64)) = ($xr, $yr);
        match (x_axis.scale.is_log(), y_axis.scale.is_log()) {
            (false, false) => {
                #[allow(unused_mut)]
                let mut $chart = $crate::render::build_chart(
                    $area,
                    $style,
                    (x_axis, y_axis),
                    (xr.0..xr.1, yr.0..yr.1),
                    yr,
                )?;
                $body
            }
            (true, false) => {
                #[allow(unused_mut)]
                let mut $chart = $crate::render::build_chart(
                    $area,
                    $style,
                    (x_axis, y_axis),
                    (
                        (xr.0..xr.1).log_scale().base(x_axis.scale.base()),
                        yr.0..yr.1,
                    ),
                    yr,
                )?;
                $body
            }
            (false, true) => {
                #[allow(unused_mut)]
                let mut $chart = $crate::render::build_chart(
                    $area,
                    $style,
                    (x_axis, y_axis),
                    (
                        xr.0..xr.1,
                        (yr.0..yr.1).log_scale().base(y_axis.scale.base()),
                    ),
                    yr,
                )?;
                $body
            }
            (true, true) => {
                #[allow(unused_mut)]
                let mut $chart = $crate::render::build_chart(
                    $area,
                    $style,
                    (x_axis, y_axis),
                    (
                        (xr.0..xr.1).log_scale().base(x_axis.scale.base()),
                        (yr.0..yr.1).log_scale().base(y_axis.scale.base()),
                    ),
                    yr,
                )?;
                $body
            }
        }
    }};
}
pub(crate) use with_chart;
