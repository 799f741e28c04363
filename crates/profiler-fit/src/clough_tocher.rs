//! 2-D piecewise-cubic interpolation of scattered data, like scipy's
//! `griddata(points, values, xi, method="cubic")` (`CloughTocher2DInterpolator`): the cubic
//! Dynamo's planner and decode plots use over (KV usage, context length).
//!
//! On the Delaunay triangulation of the sites:
//!
//! 1. Gradients at the sites are estimated by a global curvature minimisation (Nielson 1983,
//!    Renka & Cline 1984): each site's gradient minimises, with its neighbours' held fixed, the
//!    summed squared second derivative along its edges of the cubic each edge carries; sweeps over
//!    the sites in order (Gauss–Seidel) repeat until no gradient moves by more than `1e-6`
//!    (relative, or absolute below 1) or 400 sweeps have run, scipy's defaults.
//! 2. Each triangle is split at its centroid into three, and a C¹ cubic Bézier patch is built
//!    from the three values and gradients (Clough–Tocher). The cross-boundary derivative on each
//!    edge is taken towards the neighbouring triangle's centroid, which keeps the interpolant
//!    affine invariant; a hull edge uses the direction towards its own triangle's centroid.
//!
//! The interpolant passes through every site value, reproduces linear functions exactly and is C¹
//! across triangles. Outside the convex hull it has no value ([`OutsideHull`] decides the fill).
//! Where the Delaunay triangulation is not unique (co-circular sites) values inside the affected
//! triangles can differ from scipy's, as for the linear method.

use spade::{DelaunayTriangulation, Point2, PositionInTriangulation, Triangulation};

use crate::error::Result;
use crate::griddata::{
    Grid, Interpolant2d, OutsideHull, Site, nearest_value, triangulate, valid_query,
};

/// Gauss–Seidel sweeps at most (scipy's `maxiter`).
const MAX_SWEEPS: usize = 400;
/// Stop when no gradient component moves by more than this, relative to max(1, |gradient|)
/// (scipy's `tol`).
const TOLERANCE: f64 = 1e-6;

/// A C¹ piecewise-cubic interpolant over scattered 2-D sites.
pub struct CubicInterpolator2d {
    triangulation: DelaunayTriangulation<Site>,
    /// `[∂f/∂x, ∂f/∂y]` per site, in site order.
    gradients: Vec<[f64; 2]>,
    converged: bool,
}

impl std::fmt::Debug for CubicInterpolator2d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CubicInterpolator2d")
            .field("sites", &self.triangulation.num_vertices())
            .field("triangles", &self.triangulation.num_inner_faces())
            .field("converged", &self.converged)
            .finish()
    }
}

impl CubicInterpolator2d {
    /// Triangulates the sites `(xs[i], ys[i])` carrying `values[i]` and estimates the gradients.
    ///
    /// The same requirements as [`LinearInterpolator2d::new`](crate::griddata::LinearInterpolator2d::new).
    pub fn new(xs: &[f64], ys: &[f64], values: &[f64]) -> Result<Self> {
        let triangulation = triangulate("2-D cubic interpolant", xs, ys, values)?;
        let (gradients, converged) = estimate_gradients(&triangulation);
        Ok(Self {
            triangulation,
            gradients,
            converged,
        })
    }

    /// Whether the gradient estimation converged within 400 sweeps (scipy warns when it does not;
    /// the interpolant is still defined).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The estimated gradient `[∂f/∂x, ∂f/∂y]` at site `i`; `None` past the end.
    pub fn gradient(&self, i: usize) -> Option<[f64; 2]> {
        self.gradients.get(i).copied()
    }

    /// The interpolant at `(x, y)`; `None` outside the convex hull or for a non-finite query.
    pub fn eval(&self, x: f64, y: f64) -> Option<f64> {
        if !valid_query(x, y) {
            return None;
        }
        let p = Point2::new(x, y);
        let face = match self.triangulation.locate(p) {
            PositionInTriangulation::OnVertex(v) => {
                return Some(self.triangulation.vertex(v).data().value);
            }
            PositionInTriangulation::OnFace(face) => self.triangulation.face(face),
            PositionInTriangulation::OnEdge(edge) => {
                let edge = self.triangulation.directed_edge(edge);
                edge.face()
                    .as_inner()
                    .or_else(|| edge.rev().face().as_inner())?
            }
            PositionInTriangulation::OutsideOfConvexHull(_)
            | PositionInTriangulation::NoTriangulation => return None,
        };
        let [v0, v1, v2] = face.vertices();
        let corners = [v0.position(), v1.position(), v2.position()];
        let b = barycentric(&corners, p)?;
        // Cross-edge direction parameter per edge, the edge opposite vertex k: v1→v2 (k = 0),
        // v2→v0 (k = 1), v0→v1 (k = 2). Towards the neighbour's centroid, expressed in this
        // triangle's barycentric coordinates c; −½ (towards our own centroid) on the hull.
        let [e0, e1, e2] = face.adjacent_edges();
        let mut g = [-0.5; 3];
        for (k, edge) in [e1, e2, e0].into_iter().enumerate() {
            let Some(neighbour) = edge.rev().face().as_inner() else {
                continue;
            };
            let [a, m, n] = neighbour.vertices().map(|v| v.position());
            let centroid = Point2::new((a.x + m.x + n.x) / 3.0, (a.y + m.y + n.y) / 3.0);
            let Some(c) = barycentric(&corners, centroid) else {
                continue;
            };
            // With (i, j) the two barycentric coordinates of the edge's end vertices taken in
            // the order below: g = (2·c_i + c_j − 1) / (2 − 3·c_i − 3·c_j).
            let (ci, cj) = match k {
                0 => (c[2], c[1]),
                1 => (c[0], c[2]),
                _ => (c[1], c[0]),
            };
            g[k] = (2.0 * ci + cj - 1.0) / (2.0 - 3.0 * ci - 3.0 * cj);
        }
        let f = [v0, v1, v2].map(|v| v.data().value);
        let df = [v0, v1, v2].map(|v| self.gradients[v.fix().index()]);
        Some(clough_tocher_patch(&corners, f, df, g, b))
    }

    /// The value of the site nearest to `(x, y)`; NaN for a non-finite query.
    pub fn nearest(&self, x: f64, y: f64) -> f64 {
        nearest_value(&self.triangulation, x, y)
    }
}

impl Interpolant2d for CubicInterpolator2d {
    fn eval(&self, x: f64, y: f64) -> Option<f64> {
        CubicInterpolator2d::eval(self, x, y)
    }

    fn nearest(&self, x: f64, y: f64) -> f64 {
        CubicInterpolator2d::nearest(self, x, y)
    }
}

/// `griddata((xs, ys), values, meshgrid(grid_x, grid_y), method="cubic")`, with the
/// [`OutsideHull`] policy for cells outside the convex hull.
pub fn griddata_cubic(
    xs: &[f64],
    ys: &[f64],
    values: &[f64],
    grid_x: &[f64],
    grid_y: &[f64],
    outside: OutsideHull,
) -> Result<Grid> {
    Ok(CubicInterpolator2d::new(xs, ys, values)?.grid(grid_x, grid_y, outside))
}

/// Barycentric coordinates of `p` in the triangle `corners`; `None` for a degenerate triangle.
fn barycentric(corners: &[Point2<f64>; 3], p: Point2<f64>) -> Option<[f64; 3]> {
    let [a, b, c] = corners;
    let det = (a.x - c.x) * (b.y - c.y) - (b.x - c.x) * (a.y - c.y);
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let (dx, dy) = (p.x - c.x, p.y - c.y);
    let l0 = ((b.y - c.y) * dx - (b.x - c.x) * dy) / det;
    let l1 = ((c.y - a.y) * dx + (a.x - c.x) * dy) / det;
    Some([l0, l1, 1.0 - l0 - l1])
}

/// Gauss–Seidel estimation of the site gradients (module docs, step 1). Returns the gradients
/// and whether the sweeps converged.
fn estimate_gradients(triangulation: &DelaunayTriangulation<Site>) -> (Vec<[f64; 2]>, bool) {
    let n = triangulation.num_vertices();
    let sites: Vec<(Point2<f64>, f64)> = triangulation
        .vertices()
        .map(|v| (v.position(), v.data().value))
        .collect();
    let neighbours: Vec<Vec<usize>> = triangulation
        .vertices()
        .map(|v| v.out_edges().map(|e| e.to().fix().index()).collect())
        .collect();
    let mut grad = vec![[0.0f64; 2]; n];
    for _ in 0..MAX_SWEEPS {
        let mut worst = 0.0f64;
        for i in 0..n {
            let (pi, fi) = sites[i];
            // Normal equations of the local problem: Q·∇f_i = −s.
            let (mut q00, mut q01, mut q11, mut s0, mut s1) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for &j in &neighbours[i] {
                let (pj, fj) = sites[j];
                let (ex, ey) = (pj.x - pi.x, pj.y - pi.y);
                let len = (ex * ex + ey * ey).sqrt();
                let l3 = len * len * len;
                // Derivative at the far end along the edge, pointing back towards site i.
                let d_far = -ex * grad[j][0] - ey * grad[j][1];
                q00 += 4.0 * ex * ex / l3;
                q01 += 4.0 * ex * ey / l3;
                q11 += 4.0 * ey * ey / l3;
                let w = (6.0 * (fi - fj) - 2.0 * d_far) / l3;
                s0 += w * ex;
                s1 += w * ey;
            }
            let det = q00 * q11 - q01 * q01;
            if det == 0.0 || !det.is_finite() {
                continue;
            }
            let r0 = (q11 * s0 - q01 * s1) / det;
            let r1 = (q00 * s1 - q01 * s0) / det;
            let moved = (grad[i][0] + r0).abs().max((grad[i][1] + r1).abs());
            grad[i] = [-r0, -r1];
            worst = worst.max(moved / r0.abs().max(r1.abs()).max(1.0));
        }
        if worst < TOLERANCE {
            return (grad, true);
        }
    }
    (grad, false)
}

/// The Clough–Tocher patch of one triangle (module docs, step 2) evaluated at barycentric
/// coordinates `b`: values `f` and gradients `df` at the corners, cross-edge parameters `g`.
fn clough_tocher_patch(
    corners: &[Point2<f64>; 3],
    f: [f64; 3],
    df: [[f64; 2]; 3],
    g: [f64; 3],
    b: [f64; 3],
) -> f64 {
    let [p1, p2, p3] = corners;
    let dot = |d: [f64; 2], ex: f64, ey: f64| d[0] * ex + d[1] * ey;
    let (e12x, e12y) = (p2.x - p1.x, p2.y - p1.y);
    let (e23x, e23y) = (p3.x - p2.x, p3.y - p2.y);
    let (e31x, e31y) = (p1.x - p3.x, p1.y - p3.y);
    // Directional derivatives along each edge, leaving each corner.
    let d12 = dot(df[0], e12x, e12y);
    let d13 = -dot(df[0], e31x, e31y);
    let d21 = -dot(df[1], e12x, e12y);
    let d23 = dot(df[1], e23x, e23y);
    let d31 = dot(df[2], e31x, e31y);
    let d32 = -dot(df[2], e23x, e23y);

    // Bézier ordinates c_ijkl, indices the powers of (b1, b2, b3, b4), b4 the centroid's weight.
    let c3000 = f[0];
    let c0300 = f[1];
    let c0030 = f[2];
    let c2100 = c3000 + d12 / 3.0;
    let c2010 = c3000 + d13 / 3.0;
    let c1200 = c0300 + d21 / 3.0;
    let c0210 = c0300 + d23 / 3.0;
    let c1020 = c0030 + d31 / 3.0;
    let c0120 = c0030 + d32 / 3.0;
    let c2001 = (c2100 + c2010 + c3000) / 3.0;
    let c0201 = (c1200 + c0300 + c0210) / 3.0;
    let c0021 = (c1020 + c0120 + c0030) / 3.0;
    // Inner ordinates next to each edge, set so the derivative across the edge (in the
    // direction chosen by g) is linear along it: this is what makes neighbours join C¹.
    let c0111 = (g[0] * (-c0300 + 3.0 * c0210 - 3.0 * c0120 + c0030)
        + (-c0300 + 2.0 * c0210 - c0120 + c0021 + c0201))
        / 2.0;
    let c1011 = (g[1] * (-c0030 + 3.0 * c1020 - 3.0 * c2010 + c3000)
        + (-c0030 + 2.0 * c1020 - c2010 + c2001 + c0021))
        / 2.0;
    let c1101 = (g[2] * (-c3000 + 3.0 * c2100 - 3.0 * c1200 + c0300)
        + (-c3000 + 2.0 * c2100 - c1200 + c2001 + c0201))
        / 2.0;
    let c1002 = (c1101 + c1011 + c2001) / 3.0;
    let c0102 = (c1101 + c0111 + c0201) / 3.0;
    let c0012 = (c1011 + c0111 + c0021) / 3.0;
    let c0003 = (c1002 + c0102 + c0012) / 3.0;

    // Coordinates in the sub-triangle holding the point: subtract the smallest barycentric
    // coordinate from all three and give three times it to the centroid (one of b1..b3 is 0).
    let m = b[0].min(b[1]).min(b[2]);
    let (b1, b2, b3, b4) = (b[0] - m, b[1] - m, b[2] - m, 3.0 * m);
    b1 * b1 * b1 * c3000
        + 3.0 * b1 * b1 * b2 * c2100
        + 3.0 * b1 * b1 * b3 * c2010
        + 3.0 * b1 * b1 * b4 * c2001
        + 3.0 * b1 * b2 * b2 * c1200
        + 6.0 * b1 * b2 * b4 * c1101
        + 3.0 * b1 * b3 * b3 * c1020
        + 6.0 * b1 * b3 * b4 * c1011
        + 3.0 * b1 * b4 * b4 * c1002
        + b2 * b2 * b2 * c0300
        + 3.0 * b2 * b2 * b3 * c0210
        + 3.0 * b2 * b2 * b4 * c0201
        + 3.0 * b2 * b3 * b3 * c0120
        + 6.0 * b2 * b3 * b4 * c0111
        + 3.0 * b2 * b4 * b4 * c0102
        + b3 * b3 * b3 * c0030
        + 3.0 * b3 * b3 * b4 * c0021
        + 3.0 * b3 * b4 * b4 * c0012
        + b4 * b4 * b4 * c0003
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use proptest::prelude::*;

    #[test]
    fn hand_checks_on_a_square() {
        // z = 2x − y + 1 on the unit square's corners and centre: exact gradients (2, −1), the
        // plane everywhere inside, the site values at the sites, None outside.
        let xs = [0.0, 1.0, 0.0, 1.0, 0.5];
        let ys = [0.0, 0.0, 1.0, 1.0, 0.5];
        let zs: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| 2.0 * x - y + 1.0).collect();
        let f = CubicInterpolator2d::new(&xs, &ys, &zs).expect("cubic");
        assert!(f.converged());
        for i in 0..xs.len() {
            let [gx, gy] = f.gradient(i).expect("site");
            assert!(
                (gx - 2.0).abs() < 1e-6 && (gy + 1.0).abs() < 1e-6,
                "site {i}: {gx}, {gy}"
            );
        }
        assert_eq!(f.gradient(5), None);
        for (x, y) in [(0.25, 0.1), (0.9, 0.8), (0.5, 0.0), (0.3, 0.3)] {
            let z = f.eval(x, y).expect("inside");
            assert!((z - (2.0 * x - y + 1.0)).abs() < 1e-6, "({x}, {y}): {z}");
        }
        assert_eq!(f.eval(1.0, 1.0), Some(2.0));
        assert_eq!(f.eval(1.5, 0.5), None);
        assert!(f.eval_with(1.5, 0.5, OutsideHull::Nan).is_nan());
        assert_eq!(f.eval_with(1.5, 0.9, OutsideHull::Nearest), 2.0);
        assert_eq!(f.eval(f64::NAN, 0.5), None);
    }

    #[test]
    fn refuses_what_the_linear_interpolant_refuses() {
        assert!(matches!(
            CubicInterpolator2d::new(&[0.0, 1.0, 2.0], &[0.0, 1.0, 2.0], &[1.0; 3]),
            Err(Error::Degenerate { .. })
        ));
        assert!(matches!(
            CubicInterpolator2d::new(&[0.0, 1.0], &[0.0, 1.0], &[1.0; 2]),
            Err(Error::TooFewPoints { .. })
        ));
    }

    fn sites() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        prop::collection::vec((0.0f64..0.9, 0.0f64..0.9), 3..40).prop_map(|jitter| {
            jitter
                .into_iter()
                .enumerate()
                .map(|(i, (jx, jy))| ((i % 6) as f64 + jx, (i / 6) as f64 + jy))
                .unzip()
        })
    }

    proptest! {
        /// Site values are reproduced, and so is a plane inside the hull.
        #[test]
        fn reproduces_sites_and_planes(
            (xs, ys) in sites(),
            (a, b, c) in (-10.0f64..10.0, -10.0f64..10.0, -50.0f64..50.0),
            queries in prop::collection::vec((0.0f64..6.0, 0.0f64..7.0), 1..30),
        ) {
            let plane = |x: f64, y: f64| a * x + b * y + c;
            let zs: Vec<f64> = xs.iter().zip(&ys).map(|(&x, &y)| plane(x, y)).collect();
            let f = match CubicInterpolator2d::new(&xs, &ys, &zs) {
                Ok(f) => f,
                Err(Error::Degenerate { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            for i in 0..xs.len() {
                let z = f.eval(xs[i], ys[i]).expect("a site is inside");
                prop_assert!((z - zs[i]).abs() <= 1e-9 * (1.0 + zs[i].abs()), "site {i}");
            }
            for (x, y) in queries {
                if let Some(z) = f.eval(x, y) {
                    // Gradients are estimated to 1e-6 (relative), so the plane comes back to
                    // about that, times the edge lengths (≤ ~8 here).
                    prop_assert!((z - plane(x, y)).abs() <= 1e-4 * (1.0 + a.abs() + b.abs()), "({x}, {y}): {z} vs {}", plane(x, y));
                }
            }
        }
    }
}
