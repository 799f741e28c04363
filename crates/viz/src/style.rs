//! The one visual style every servebench plot shares.

use crate::VizError;

/// An opaque 8-bit RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub(crate) fn to_plotters(self) -> plotters::style::RGBColor {
        plotters::style::RGBColor(self.0, self.1, self.2)
    }
}

/// Smallest image width the layout supports, in pixels.
pub const MIN_WIDTH: u32 = 320;
/// Smallest image height the layout supports, in pixels.
pub const MIN_HEIGHT: u32 = 240;
/// Largest image width or height, in pixels.
pub const MAX_SIDE: u32 = 8192;

/// Sizes, fonts, palette and grid shared by every plot, so every tool's pictures look the same.
///
/// [`Style::default`] is the house style (1000×600 px, DejaVu Sans, the matplotlib "tab10"
/// palette that Dynamo's Python plots use). Tools should use it unchanged and only change the
/// size when a picture needs it ([`Style::with_size`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Title font size in pixels.
    pub title_size: u32,
    /// Axis title font size in pixels.
    pub axis_title_size: u32,
    /// Tick label font size in pixels.
    pub tick_size: u32,
    /// Legend and point label font size in pixels.
    pub legend_size: u32,
    /// Outer margin in pixels.
    pub margin: u32,
    /// Series colours, used in order and repeated.
    pub palette: Vec<Rgb>,
    /// Background colour.
    pub background: Rgb,
    /// Colour of text and axes.
    pub foreground: Rgb,
    /// Colour of the major grid lines.
    pub grid: Rgb,
    /// Draw the major grid.
    pub show_grid: bool,
    /// Line width of series in pixels.
    pub line_width: u32,
    /// Marker radius in pixels.
    pub marker_size: u32,
    /// Opacity of shaded bands (0 to 1).
    pub band_opacity: f64,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            width: 1000,
            height: 600,
            title_size: 24,
            axis_title_size: 18,
            tick_size: 15,
            legend_size: 15,
            margin: 14,
            palette: vec![
                Rgb(0x1f, 0x77, 0xb4),
                Rgb(0xff, 0x7f, 0x0e),
                Rgb(0x2c, 0xa0, 0x2c),
                Rgb(0xd6, 0x27, 0x28),
                Rgb(0x94, 0x67, 0xbd),
                Rgb(0x8c, 0x56, 0x4b),
                Rgb(0xe3, 0x77, 0xc2),
                Rgb(0x7f, 0x7f, 0x7f),
                Rgb(0xbc, 0xbd, 0x22),
                Rgb(0x17, 0xbe, 0xcf),
            ],
            background: Rgb(255, 255, 255),
            foreground: Rgb(0x22, 0x22, 0x22),
            grid: Rgb(0xdd, 0xdd, 0xdd),
            show_grid: true,
            line_width: 2,
            marker_size: 4,
            band_opacity: 0.22,
        }
    }
}

impl Style {
    /// The house style at another image size.
    #[must_use]
    pub fn with_size(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            ..Self::default()
        }
    }

    /// Colour of series `i` (the palette repeats).
    #[must_use]
    pub fn color(&self, i: usize) -> Rgb {
        if self.palette.is_empty() {
            self.foreground
        } else {
            self.palette[i % self.palette.len()]
        }
    }

    pub(crate) fn check(&self) -> Result<(), VizError> {
        let ok = |v: u32, min: u32| (min..=MAX_SIDE).contains(&v);
        if ok(self.width, MIN_WIDTH) && ok(self.height, MIN_HEIGHT) {
            Ok(())
        } else {
            Err(VizError::Size {
                width: self.width,
                height: self.height,
                min_w: MIN_WIDTH,
                min_h: MIN_HEIGHT,
                max: MAX_SIDE,
            })
        }
    }
}

/// Matplotlib's "viridis" colour map at nine even steps (perceptually uniform, colour-blind safe,
/// readable in grey scale); [`viridis`] interpolates between them.
const VIRIDIS: [Rgb; 9] = [
    Rgb(0x44, 0x01, 0x54),
    Rgb(0x48, 0x28, 0x78),
    Rgb(0x3e, 0x49, 0x89),
    Rgb(0x31, 0x68, 0x8e),
    Rgb(0x26, 0x82, 0x8e),
    Rgb(0x1f, 0x9e, 0x89),
    Rgb(0x35, 0xb7, 0x79),
    Rgb(0x6e, 0xce, 0x58),
    Rgb(0xfd, 0xe7, 0x25),
];

/// The heatmap colour of `t` in `[0, 1]` (values outside are clamped; NaN maps to 0).
#[must_use]
pub fn viridis(t: f64) -> Rgb {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    // `pos` is in [0, 8], so the casts below stay in range.
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}
