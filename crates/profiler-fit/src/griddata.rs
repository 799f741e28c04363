//! 2-D scattered-data interpolation onto a regular grid, like scipy's
//! `griddata(points, values, (X, Y), method="linear")`: a Delaunay triangulation of the sites
//! and barycentric (piecewise linear) interpolation inside each triangle.
//!
//! Outside the sites' convex hull scipy returns NaN; the planner then fills those cells with
//! `griddata(..., method="nearest")`, the value of the nearest site by Euclidean distance in the
//! raw coordinates. [`OutsideHull`] picks either behaviour.
//!
//! Like scipy (with its default `rescale=False`) the coordinates are used as given; the decode
//! profile mixes KV usage in `[0, 1]` with context lengths in the thousands, so its triangles are
//! long and thin, exactly as upstream's are. Where several Delaunay triangulations exist (four
//! or more co-circular sites, as on a regular sweep grid), the triangle chosen may differ from
//! Qhull's, and so may values strictly inside such a cell; values at the sites, and anything
//! that is linear in x and y, do not depend on that choice.
//!
//! The triangulation comes from the `spade` crate (exact geometric predicates).

use spade::{DelaunayTriangulation, FloatTriangulation, HasPosition, Point2, Triangulation};

use crate::error::{Error, Result, check_finite, check_same_len};

/// What a grid cell outside the sites' convex hull gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutsideHull {
    /// NaN, like `griddata(method="linear")` with its default `fill_value`.
    Nan,
    /// The value of the nearest site, like the planner's second `griddata(method="nearest")`.
    Nearest,
}

/// One site of the triangulation: its position and its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site {
    pub(crate) position: Point2<f64>,
    pub(crate) value: f64,
}

impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.position
    }
}

/// A piecewise-linear interpolant over scattered 2-D sites.
pub struct LinearInterpolator2d {
    triangulation: DelaunayTriangulation<Site>,
}

impl std::fmt::Debug for LinearInterpolator2d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearInterpolator2d")
            .field("sites", &self.triangulation.num_vertices())
            .field("triangles", &self.triangulation.num_inner_faces())
            .finish()
    }
}

impl LinearInterpolator2d {
    /// Triangulates the sites `(xs[i], ys[i])` carrying `values[i]`.
    ///
    /// Needs at least three sites, not all on one line, no site repeated, every number finite
    /// (and within the range spade accepts: magnitudes between about 1.8e-43 and 3.2e60, or 0).
    pub fn new(xs: &[f64], ys: &[f64], values: &[f64]) -> Result<Self> {
        Ok(Self {
            triangulation: triangulate("2-D linear interpolant", xs, ys, values)?,
        })
    }

    /// Number of triangles of the Delaunay triangulation.
    pub fn num_triangles(&self) -> usize {
        self.triangulation.num_inner_faces()
    }

    /// The barycentric interpolant at `(x, y)`; `None` outside the convex hull (or for a
    /// non-finite query). Points on the hull's boundary are inside.
    pub fn eval(&self, x: f64, y: f64) -> Option<f64> {
        if !valid_query(x, y) {
            return None;
        }
        self.triangulation
            .barycentric()
            .interpolate(|v| v.data().value, Point2::new(x, y))
    }

    /// The value of the site nearest to `(x, y)` (Euclidean distance); NaN for a non-finite query.
    pub fn nearest(&self, x: f64, y: f64) -> f64 {
        nearest_value(&self.triangulation, x, y)
    }
}

impl Interpolant2d for LinearInterpolator2d {
    fn eval(&self, x: f64, y: f64) -> Option<f64> {
        LinearInterpolator2d::eval(self, x, y)
    }

    fn nearest(&self, x: f64, y: f64) -> f64 {
        LinearInterpolator2d::nearest(self, x, y)
    }
}

/// An interpolant of scattered 2-D samples: its value inside the samples' convex hull, the
/// nearest sample's value anywhere, and from those two the [`OutsideHull`] policy and whole grids.
pub trait Interpolant2d {
    /// The interpolant at `(x, y)`; `None` outside the convex hull or for a non-finite query.
    fn eval(&self, x: f64, y: f64) -> Option<f64>;

    /// The value of the site nearest to `(x, y)`; NaN for a non-finite query.
    fn nearest(&self, x: f64, y: f64) -> f64;

    /// [`eval`](Self::eval) inside the hull, then the [`OutsideHull`] policy outside it.
    fn eval_with(&self, x: f64, y: f64, outside: OutsideHull) -> f64 {
        match (self.eval(x, y), outside) {
            (Some(v), _) => v,
            (None, OutsideHull::Nan) => f64::NAN,
            (None, OutsideHull::Nearest) => self.nearest(x, y),
        }
    }

    /// The interpolant on the regular grid `grid_x × grid_y`.
    fn grid(&self, grid_x: &[f64], grid_y: &[f64], outside: OutsideHull) -> Grid {
        Grid::from_fn(grid_x, grid_y, |x, y| self.eval_with(x, y, outside))
    }
}

/// Whether spade can locate `(x, y)`: both finite and within its coordinate range.
pub(crate) fn valid_query(x: f64, y: f64) -> bool {
    x.is_finite()
        && y.is_finite()
        && spade::validate_coordinate(x).is_ok()
        && spade::validate_coordinate(y).is_ok()
}

/// The value of the site nearest to `(x, y)`; NaN for a query spade cannot locate.
pub(crate) fn nearest_value(triangulation: &DelaunayTriangulation<Site>, x: f64, y: f64) -> f64 {
    if !valid_query(x, y) {
        return f64::NAN;
    }
    triangulation
        .nearest_neighbor(Point2::new(x, y))
        .map_or(f64::NAN, |v| v.data().value)
}

/// Checks the sites and builds their Delaunay triangulation; vertex `i` is site `i`.
pub(crate) fn triangulate(
    what: &'static str,
    xs: &[f64],
    ys: &[f64],
    values: &[f64],
) -> Result<DelaunayTriangulation<Site>> {
    check_same_len("xs", xs.len(), "ys", ys.len())?;
    check_same_len("xs", xs.len(), "values", values.len())?;
    if xs.len() < 3 {
        return Err(Error::TooFewPoints {
            what,
            needed: 3,
            got: xs.len(),
        });
    }
    check_finite("xs", xs)?;
    check_finite("ys", ys)?;
    check_finite("values", values)?;
    for (field, coords) in [("xs", xs), ("ys", ys)] {
        if let Some(index) = coords
            .iter()
            .position(|&c| spade::validate_coordinate(c).is_err())
        {
            return Err(Error::InvalidParameter {
                name: field,
                value: format!("{} at index {index}", coords[index]),
                reason: "magnitude outside the triangulation's range (1.8e-43 ..= 3.2e60, or 0)",
            });
        }
    }
    check_no_duplicate_sites(xs, ys)?;
    let sites: Vec<Site> = xs
        .iter()
        .zip(ys)
        .zip(values)
        .map(|((&x, &y), &value)| Site {
            position: Point2::new(x, y),
            value,
        })
        .collect();
    let triangulation =
        DelaunayTriangulation::<Site>::bulk_load_stable(sites).map_err(|e| Error::Degenerate {
            what,
            reason: format!("triangulation failed: {e:?}"),
        })?;
    if triangulation.num_inner_faces() == 0 {
        return Err(Error::Degenerate {
            what,
            reason: "all sites lie on one line; the convex hull has no area".to_owned(),
        });
    }
    Ok(triangulation)
}

/// Values on a regular grid, stored row by row: one row per `y`, as numpy's
/// `meshgrid(xi, yi)` lays them out (shape `[len(yi), len(xi)]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    xs: Vec<f64>,
    ys: Vec<f64>,
    values: Vec<f64>,
}

impl Grid {
    /// `f(x, y)` at every point of `grid_x × grid_y`, row by row.
    pub(crate) fn from_fn(
        grid_x: &[f64],
        grid_y: &[f64],
        mut f: impl FnMut(f64, f64) -> f64,
    ) -> Self {
        let mut values = Vec::with_capacity(grid_x.len() * grid_y.len());
        for &y in grid_y {
            for &x in grid_x {
                values.push(f(x, y));
            }
        }
        Self {
            xs: grid_x.to_vec(),
            ys: grid_y.to_vec(),
            values,
        }
    }

    /// The grid's x coordinates (columns).
    pub fn xs(&self) -> &[f64] {
        &self.xs
    }

    /// The grid's y coordinates (rows).
    pub fn ys(&self) -> &[f64] {
        &self.ys
    }

    /// The value at column `ix`, row `iy`; `None` past either end.
    pub fn get(&self, ix: usize, iy: usize) -> Option<f64> {
        if ix < self.xs.len() && iy < self.ys.len() {
            self.values.get(iy * self.xs.len() + ix).copied()
        } else {
            None
        }
    }

    /// Row `iy` (all x at one y); `None` past the end.
    pub fn row(&self, iy: usize) -> Option<&[f64]> {
        let nx = self.xs.len();
        (iy < self.ys.len()).then(|| &self.values[iy * nx..(iy + 1) * nx])
    }

    /// Every value, row by row (`[iy][ix]` flattened).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Every value column by column (`[ix][iy]` flattened): the transposed layout the mocker's
    /// `perf_data.npz` stores `decode_itl` in.
    pub fn values_transposed(&self) -> Vec<f64> {
        let (nx, ny) = (self.xs.len(), self.ys.len());
        let mut out = Vec::with_capacity(nx * ny);
        for ix in 0..nx {
            for iy in 0..ny {
                out.push(self.values[iy * nx + ix]);
            }
        }
        out
    }

    /// Number of NaN cells (outside the hull under [`OutsideHull::Nan`]).
    pub fn nan_count(&self) -> usize {
        self.values.iter().filter(|v| v.is_nan()).count()
    }
}

/// `griddata((xs, ys), values, meshgrid(grid_x, grid_y), method="linear")`, with the
/// [`OutsideHull`] policy for cells outside the convex hull.
///
/// ```
/// use servebench_profiler_fit::griddata::{griddata_linear, linspace, OutsideHull};
/// // z = x + 2y sampled at the corners of the unit square.
/// let (xs, ys) = ([0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]);
/// let zs: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| x + 2.0 * y).collect();
/// let grid = griddata_linear(&xs, &ys, &zs, &linspace(0.0, 1.0, 3), &[0.5, 2.0], OutsideHull::Nearest)?;
/// // Inside the hull: (0.5, 0.5) → 0.5 + 1.0.
/// assert!((grid.get(1, 0).unwrap() - 1.5).abs() < 1e-12);
/// // Outside: (0.0, 2.0) takes the nearest site (0, 1), value 2.
/// assert_eq!(grid.get(0, 1), Some(2.0));
/// # Ok::<(), servebench_profiler_fit::Error>(())
/// ```
pub fn griddata_linear(
    xs: &[f64],
    ys: &[f64],
    values: &[f64],
    grid_x: &[f64],
    grid_y: &[f64],
    outside: OutsideHull,
) -> Result<Grid> {
    Ok(LinearInterpolator2d::new(xs, ys, values)?.grid(grid_x, grid_y, outside))
}

/// `numpy.linspace(start, stop, num)`: `num` evenly spaced values, both ends included, the last
/// exactly `stop`; `[start]` for `num == 1`, empty for `num == 0`.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => Vec::new(),
        1 => vec![start],
        _ => {
            let step = (stop - start) / (num - 1) as f64;
            let mut v: Vec<f64> = (0..num).map(|i| start + i as f64 * step).collect();
            v[num - 1] = stop;
            v
        }
    }
}

/// Fails with [`Error::Duplicate`] if two sites share a position.
fn check_no_duplicate_sites(xs: &[f64], ys: &[f64]) -> Result<()> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    // -0.0 and 0.0 are the same position but sort apart under total_cmp: sort on +0.0.
    let canon = |v: f64| if v == 0.0 { 0.0 } else { v };
    order.sort_by(|&a, &b| {
        canon(xs[a])
            .total_cmp(&canon(xs[b]))
            .then(canon(ys[a]).total_cmp(&canon(ys[b])))
    });
    for pair in order.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if xs[a] == xs[b] && ys[a] == ys[b] {
            return Err(Error::Duplicate {
                field: "sites (xs, ys)",
                first: a.min(b),
                second: a.max(b),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_triangle() {
        // Values 0, 3, 6 at (0,0), (3,0), (0,3): the plane z = x + 2y.
        let f = LinearInterpolator2d::new(&[0.0, 3.0, 0.0], &[0.0, 0.0, 3.0], &[0.0, 3.0, 6.0])
            .expect("interp");
        assert_eq!(f.num_triangles(), 1);
        assert!((f.eval(1.0, 1.0).expect("inside") - 3.0).abs() < 1e-12);
        // On the hull's hypotenuse: (1.5, 1.5) → 1.5 + 3.
        assert!((f.eval(1.5, 1.5).expect("on the edge") - 4.5).abs() < 1e-12);
        assert_eq!(f.eval(2.0, 2.0), None);
        assert!(f.eval_with(2.0, 2.0, OutsideHull::Nan).is_nan());
        // Nearest site to (10, 1) is (3, 0), value 3.
        assert_eq!(f.eval_with(10.0, 1.0, OutsideHull::Nearest), 3.0);
        assert_eq!(f.eval(f64::NAN, 0.0), None);
        assert!(f.nearest(f64::INFINITY, 0.0).is_nan());
    }

    #[test]
    fn grid_layout_rows_are_y() {
        let xs = [0.0, 1.0, 0.0, 1.0];
        let ys = [0.0, 0.0, 1.0, 1.0];
        let zs = [0.0, 1.0, 10.0, 11.0]; // z = x + 10y
        let g = griddata_linear(
            &xs,
            &ys,
            &zs,
            &[0.0, 0.5, 1.0],
            &[0.0, 1.0],
            OutsideHull::Nan,
        )
        .expect("grid");
        assert_eq!(g.xs().len(), 3);
        assert_eq!(g.ys().len(), 2);
        let row1 = g.row(1).expect("row");
        assert!((row1[1] - 10.5).abs() < 1e-12);
        assert!((g.get(2, 0).expect("cell") - 1.0).abs() < 1e-12);
        assert_eq!(g.get(3, 0), None);
        assert_eq!(g.row(2), None);
        let t = g.values_transposed();
        // [ix][iy]: (ix=1, iy=1) sits at 1·2 + 1.
        assert!((t[3] - 10.5).abs() < 1e-12);
        assert_eq!(g.nan_count(), 0);
    }

    #[test]
    fn linspace_matches_numpy() {
        assert_eq!(linspace(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(linspace(2.0, 3.0, 1), vec![2.0]);
        assert!(linspace(2.0, 3.0, 0).is_empty());
        assert_eq!(*linspace(0.0, 0.3, 4).last().expect("last"), 0.3);
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            LinearInterpolator2d::new(&[0.0, 1.0], &[0.0, 1.0], &[0.0, 1.0]),
            Err(Error::TooFewPoints { got: 2, .. })
        ));
        assert!(matches!(
            LinearInterpolator2d::new(&[0.0, 1.0, 2.0], &[0.0, 1.0, 2.0], &[0.0, 1.0, 2.0]),
            Err(Error::Degenerate { .. })
        ));
        assert_eq!(
            LinearInterpolator2d::new(&[0.0, 1.0, -0.0, 0.0], &[0.0, 0.0, 0.0, 1.0], &[1.0; 4])
                .map(|_| ()),
            Err(Error::Duplicate {
                field: "sites (xs, ys)",
                first: 0,
                second: 2
            })
        );
        assert!(matches!(
            LinearInterpolator2d::new(&[0.0, 1.0, 0.0], &[0.0, 0.0, 1.0], &[0.0, f64::NAN, 1.0]),
            Err(Error::NonFinite {
                field: "values",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            LinearInterpolator2d::new(&[0.0, 1e100, 0.0], &[0.0, 0.0, 1.0], &[0.0, 1.0, 1.0]),
            Err(Error::InvalidParameter { name: "xs", .. })
        ));
        assert!(matches!(
            LinearInterpolator2d::new(&[0.0, 1.0, 0.0], &[0.0, 0.0], &[0.0, 1.0, 1.0]),
            Err(Error::LengthMismatch { .. })
        ));
    }

    /// Distinct sites on a jittered lattice (so there are never duplicates), with scales like
    /// the decode profile's (x in [0, 1], y in the thousands) or like each other.
    fn sites() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        (
            prop::collection::vec((0.0f64..0.9, 0.0f64..0.9), 3..60),
            prop::bool::ANY,
        )
            .prop_map(|(jitter, decode_scale)| {
                let (sx, sy) = if decode_scale {
                    (0.1, 1500.0)
                } else {
                    (1.0, 1.0)
                };
                let mut xs = Vec::new();
                let mut ys = Vec::new();
                for (i, (jx, jy)) in jitter.into_iter().enumerate() {
                    let (col, row) = ((i % 8) as f64, (i / 8) as f64);
                    xs.push((col + jx) * sx);
                    ys.push((row + jy) * sy + 100.0);
                }
                (xs, ys)
            })
    }

    proptest! {
        /// The interpolant reproduces each sample at its site.
        #[test]
        fn reproduces_samples_at_sites((xs, ys) in sites(), seed in 0u64..1000) {
            let zs: Vec<f64> = (0..xs.len()).map(|i| ((i as u64 * 7919 + seed) % 101) as f64 - 50.0).collect();
            let f = match LinearInterpolator2d::new(&xs, &ys, &zs) {
                Ok(f) => f,
                // Three jittered sites can still be collinear only with probability ~0; skip it.
                Err(Error::Degenerate { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            for i in 0..xs.len() {
                let v = f.eval(xs[i], ys[i]).expect("a site is inside its own hull");
                prop_assert!((v - zs[i]).abs() <= 1e-9, "site {i}: {v} vs {}", zs[i]);
                prop_assert_eq!(f.nearest(xs[i], ys[i]), zs[i]);
            }
        }

        /// Inside the hull every value is a convex combination of site values: never outside
        /// their range.
        #[test]
        fn stays_within_the_sample_range(
            (xs, ys) in sites(),
            zs_seed in prop::collection::vec(-1000.0f64..1000.0, 60),
            queries in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 1..40),
        ) {
            let zs = &zs_seed[..xs.len()];
            let f = match LinearInterpolator2d::new(&xs, &ys, zs) {
                Ok(f) => f,
                Err(Error::Degenerate { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            let (z_lo, z_hi) = zs.iter().fold((f64::MAX, f64::MIN), |(l, h), &z| (l.min(z), h.max(z)));
            let (x_hi, y_hi) = (xs.iter().copied().fold(f64::MIN, f64::max), ys.iter().copied().fold(f64::MIN, f64::max));
            for (u, v) in queries {
                let (x, y) = (u * x_hi, 100.0 + v * (y_hi - 100.0));
                let z = f.eval_with(x, y, OutsideHull::Nearest);
                prop_assert!(z >= z_lo - 1e-9 && z <= z_hi + 1e-9, "{z} outside [{z_lo}, {z_hi}]");
            }
        }

        /// A plane is reproduced exactly inside the hull, whatever the triangulation.
        #[test]
        fn reproduces_a_plane_inside_the_hull(
            (xs, ys) in sites(),
            (a, b, c) in (-10.0f64..10.0, -10.0f64..10.0, -100.0f64..100.0),
            queries in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 1..40),
        ) {
            let plane = |x: f64, y: f64| a * x + b * y + c;
            let zs: Vec<f64> = xs.iter().zip(&ys).map(|(&x, &y)| plane(x, y)).collect();
            let f = match LinearInterpolator2d::new(&xs, &ys, &zs) {
                Ok(f) => f,
                Err(Error::Degenerate { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            let (x_lo, x_hi) = xs.iter().fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
            let (y_lo, y_hi) = ys.iter().fold((f64::MAX, f64::MIN), |(l, h), &y| (l.min(y), h.max(y)));
            let scale = zs.iter().fold(1.0f64, |m, z| m.max(z.abs())) + (a.abs() * x_hi.abs().max(x_lo.abs())) + (b.abs() * y_hi.abs().max(y_lo.abs()));
            for (u, v) in queries {
                let (x, y) = (x_lo + u * (x_hi - x_lo), y_lo + v * (y_hi - y_lo));
                if let Some(z) = f.eval(x, y) {
                    prop_assert!((z - plane(x, y)).abs() <= 1e-9 * scale, "at ({x}, {y}): {z} vs {}", plane(x, y));
                }
            }
            // Centroid of the sites is always inside the hull.
            let n = xs.len() as f64;
            let (cx, cy) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
            let z = f.eval(cx, cy).expect("the centroid is inside the hull");
            prop_assert!((z - plane(cx, cy)).abs() <= 1e-9 * scale);
        }
    }
}
