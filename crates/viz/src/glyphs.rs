//! PNG text drawn with correct glyph placement.
//!
//! plotters 0.3.7's `ab_glyph` text backend places each glyph's pixels at the pen position
//! without the glyph's left side bearing (letters bunch up: "TTFT" reads "TTF T") and puts the
//! baseline half an em below the top of the text box (capitals stick out above it, so titles
//! touch the image edge). [`GlyphFix`] wraps a pixel backend and draws text itself with
//! ab_glyph: each glyph at its real position, capitals centred in the text box plotters lays
//! out. Everything else goes straight to the wrapped backend. SVG output is unaffected (its
//! text is `<text>` elements the viewer draws).

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, ScaleFont, point};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
    text_anchor::{HPos, VPos},
};

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn fonts() -> Option<&'static Fonts> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some(Fonts {
                regular: FontRef::try_from_slice(dejavu::sans::regular()).ok()?,
                bold: FontRef::try_from_slice(dejavu::sans::bold()).ok()?,
            })
        })
        .as_ref()
}

/// A drawing backend that forwards to `B` but draws text with correct glyph placement.
pub(crate) struct GlyphFix<B>(pub(crate) B);

impl<B: DrawingBackend> DrawingBackend for GlyphFix<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.0.estimate_text_size(text, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let Some(fonts) = fonts() else {
            // Cannot happen with the embedded font; fall back to plotters' own drawing.
            return self.0.draw_text(text, style, pos);
        };
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // The box plotters used for layout (advance widths and kerning; height size / 1.24).
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let font = match style.style() {
            FontStyle::Bold => &fonts.bold,
            _ => &fonts.regular,
        };
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);
        let cap = font
            .outline_glyph(scaled.scaled_glyph('H'))
            .map_or(size * 0.63, |g| g.px_bounds().height());
        let baseline = (height as f32 + cap) / 2.0;
        let trans = style.transform();
        let (w, h) = self.0.get_size();
        let mut pen = 0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(size, point(pen, baseline));
            pen += scaled.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|x, y, coverage| {
                pixels.push((
                    bounds.min.x as i32 + x as i32,
                    bounds.min.y as i32 + y as i32,
                    coverage,
                ));
            });
            for (x, y, coverage) in pixels {
                let (x, y) = trans.transform(x + dx, y + dy);
                let (x, y) = (pos.0 + x, pos.1 + y);
                if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 && coverage > 0.0 {
                    let c = BackendColor {
                        alpha: color.alpha * f64::from(coverage.min(1.0)),
                        rgb: color.rgb,
                    };
                    self.0.draw_pixel((x, y), c)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Kept beside the private backend it tests (it is not reachable from the public API).

    use ab_glyph::{Font, FontRef, ScaleFont};
    use plotters::prelude::*;
    use plotters_backend::DrawingBackend;

    use super::GlyphFix;

    const W: u32 = 240;
    const H: u32 = 80;
    const SIZE: f64 = 40.0;

    /// Draws `text` at (20, 10), left/top anchored, with or without the fix; returns the
    /// RGB buffer.
    fn draw(text: &str, fixed: bool) -> Vec<u8> {
        crate::render::ensure_font().expect("font");
        let mut buf = vec![255u8; (W * H * 3) as usize];
        {
            let style = (crate::render::FAMILY, SIZE).into_font().color(&BLACK);
            let bitmap = BitMapBackend::with_buffer(&mut buf, (W, H));
            if fixed {
                let mut b = GlyphFix(bitmap);
                b.draw_text(text, &style, (20, 10)).expect("draws");
                b.present().expect("present");
            } else {
                let mut b = bitmap;
                b.draw_text(text, &style, (20, 10)).expect("draws");
                b.present().expect("present");
            }
        }
        buf
    }

    fn ink(buf: &[u8], x: u32, y: u32) -> bool {
        let i = ((y * W + x) * 3) as usize;
        buf[i] < 128
    }

    /// First column (from the left) with ink, in columns `from..to`.
    fn first_ink_column(buf: &[u8], from: u32, to: u32) -> Option<u32> {
        (from..to).find(|&x| (0..H).any(|y| ink(buf, x, y)))
    }

    #[test]
    fn glyphs_keep_their_left_side_bearing() {
        // DejaVu's "F" starts about 0.1 em right of the pen; the fix must keep that gap,
        // plotters' own drawing puts the stem at the pen.
        let font = FontRef::try_from_slice(dejavu::sans::regular()).expect("font");
        let scaled = font.as_scaled(SIZE as f32);
        let bearing = scaled.h_side_bearing(scaled.glyph_id('F'));
        assert!(
            bearing > 2.0,
            "test premise: F has a visible bearing ({bearing})"
        );
        let expected = 20.0 + bearing;
        let fixed = first_ink_column(&draw("F", true), 0, W).expect("ink") as f32;
        assert!(
            (fixed - expected).abs() <= 1.0,
            "fixed: {fixed}, expected {expected}"
        );
        let plain = first_ink_column(&draw("F", false), 0, W).expect("ink") as f32;
        assert!(
            (plain - expected).abs() > 1.0,
            "plotters drew it right ({plain}); drop GlyphFix?"
        );
    }

    /// Highest row with ink.
    fn top_ink_row(buf: &[u8]) -> Option<u32> {
        (0..H).find(|&y| (0..W).any(|x| ink(buf, x, y)))
    }

    #[test]
    fn capitals_stay_inside_the_text_box() {
        // Top-anchored at y = 10: the capitals must start at or below 10 (plotters' own
        // drawing puts the baseline half an em down, so capitals poke above the box and a
        // title at the image top gets cut).
        let fixed = top_ink_row(&draw("TH", true)).expect("ink");
        assert!((10..=20).contains(&fixed), "fixed: top row {fixed}");
        let plain = top_ink_row(&draw("TH", false)).expect("ink");
        assert!(
            plain < 10,
            "plotters kept capitals in the box ({plain}); drop GlyphFix?"
        );
    }
}
