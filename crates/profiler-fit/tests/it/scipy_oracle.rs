//! Cross-checks against scipy 1.17.1 / numpy 2.4.6 (values computed once on this machine and
//! pasted here; the script is in each test's comment): PCHIP against `PchipInterpolator`, the
//! cubic spline against `interp1d(kind="cubic")`,
//! griddata against `griddata(method="linear")` and `griddata(method="nearest")`.

use servebench_profiler_fit::clough_tocher::{CubicInterpolator2d, griddata_cubic};
use servebench_profiler_fit::griddata::{OutsideHull, griddata_linear, linspace};
use servebench_profiler_fit::interp1d::{Extrapolation, Interp1d, Method};
use servebench_profiler_fit::planner::{DecodeInterpolator, DecodeProfile, Surface};
use servebench_profiler_fit::sweeps;

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "cell {i}: {g}, scipy NaN");
        } else {
            assert!(
                (g - w).abs() <= tol * (1.0 + w.abs()),
                "cell {i}: {g} vs scipy {w}"
            );
        }
    }
}

#[test]
fn pchip_matches_scipy() {
    // x = [0, 1, 2.5, 3, 4.5, 7, 8]; y = [1, 2, 2, 5, 4, -1, 3]
    // PchipInterpolator(x, y)(q) for the q below.
    let xs = [0.0, 1.0, 2.5, 3.0, 4.5, 7.0, 8.0];
    let ys = [1.0, 2.0, 2.0, 5.0, 4.0, -1.0, 3.0];
    let q = [-0.0, 0.3, 0.9, 1.7, 2.6, 2.9, 3.5, 4.0, 5.0, 6.9, 7.5, 8.0];
    let scipy = [
        1.0,
        1.4218,
        1.9845999999999995,
        2.0,
        2.3120000000000007,
        4.687999999999999,
        4.847407407407408,
        4.4725925925925925,
        3.1728,
        -0.9803264,
        0.2857142857142857,
        3.0,
    ];
    let f = Interp1d::pchip(&xs, &ys, Extrapolation::Clamp).expect("interp");
    let got: Vec<f64> = q.iter().map(|&x| f.eval(x)).collect();
    assert_close(&got, &scipy, 1e-12);
}

#[test]
fn cubic_spline_matches_scipy_interp1d_cubic() {
    // Same samples as above; interp1d(x, y, kind="cubic")(q), the planner's prefill curve.
    let xs = [0.0, 1.0, 2.5, 3.0, 4.5, 7.0, 8.0];
    let ys = [1.0, 2.0, 2.0, 5.0, 4.0, -1.0, 3.0];
    let q = [-0.0, 0.3, 0.9, 1.7, 2.6, 2.9, 3.5, 4.0, 5.0, 6.9, 7.5, 8.0];
    let scipy = [
        1.0,
        2.08171226458429,
        2.1534687577925062,
        0.7862898790384323,
        2.5551982851018225,
        4.445613404204124,
        6.265271246047543,
        5.623952675032141,
        2.2015355338276783,
        -1.1308363015945924,
        0.34247325940022266,
        3.0,
    ];
    let f = Interp1d::new(&xs, &ys, Method::CubicSpline, Extrapolation::Clamp).expect("spline");
    let got: Vec<f64> = q.iter().map(|&x| f.eval(x)).collect();
    assert_close(&got, &scipy, 1e-12);
}

// rng = np.random.default_rng(7); sx = rng.uniform(0, 10, 12); sy = rng.uniform(0, 5, 12);
// sz = rng.uniform(-3, 3, 12); X, Y = np.meshgrid(np.linspace(0, 10, 8), np.linspace(0, 5, 6))
const SX: [f64; 12] = [
    6.2509546660466695,
    8.972138009695755,
    7.756856902451935,
    2.2520718999059186,
    3.0016628491122543,
    8.735534453962618,
    0.052653045655747244,
    8.212284183827663,
    7.9706942875204625,
    4.679349528437208,
    3.0303242681931355,
    2.7842561210077332,
];
const SY: [f64; 12] = [
    1.274347938270623,
    2.225381529413233,
    2.5227412947897667,
    2.767486760372462,
    4.977501417171963,
    3.963309596068765,
    3.110896147205813,
    4.944800738409424,
    1.0765434911779947,
    0.8010601692892227,
    3.062698021365154,
    0.21971003980691683,
];
const SZ: [f64; 12] = [
    -2.785918327358423,
    0.08933292162822148,
    -0.20276384804826542,
    2.503006639157114,
    0.7753575269460624,
    0.0847058795970832,
    -0.018759387638974445,
    -1.514910467836015,
    -2.929235846744965,
    -1.8455871360881362,
    1.1521927252910356,
    -1.7963596560780288,
];

#[test]
fn griddata_linear_matches_scipy() {
    // griddata((sx, sy), sz, (X, Y), method="linear"), row by row (NaN outside the hull).
    let scipy = [
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        -0.9889878920311248,
        -1.4940155296921154,
        -2.325317399931638,
        -2.666539286099232,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        -0.22611101946380344,
        0.22879239266544282,
        -0.6494440579572992,
        -1.2220046041782875,
        -1.2821610333193487,
        -0.651543316020666,
        f64::NAN,
        f64::NAN,
        1.4432643164094638,
        1.452120705294315,
        0.776050315655858,
        0.33364702276959424,
        -0.14997190259536278,
        0.014059372654834833,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        1.2305969388876377,
        0.5746139000344126,
        0.02349177601160296,
        -0.6085313419397878,
        -0.19317406322640596,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
    ];
    let grid = griddata_linear(
        &SX,
        &SY,
        &SZ,
        &linspace(0.0, 10.0, 8),
        &linspace(0.0, 5.0, 6),
        OutsideHull::Nan,
    )
    .expect("grid");
    assert_close(grid.values(), &scipy, 1e-12);
}

#[test]
fn griddata_nearest_fill_matches_scipy_outside_the_hull() {
    // griddata(..., method="nearest"): the planner's fill for the linear grid's NaN cells.
    let scipy_nearest = [
        -1.7963596560780288,
        -1.7963596560780288,
        -1.7963596560780288,
        -1.8455871360881362,
        -1.8455871360881362,
        -2.929235846744965,
        -2.929235846744965,
        -2.929235846744965,
        -0.018759387638974445,
        -1.7963596560780288,
        -1.7963596560780288,
        -1.8455871360881362,
        -2.785918327358423,
        -2.929235846744965,
        -2.929235846744965,
        0.08933292162822148,
        -0.018759387638974445,
        2.503006639157114,
        2.503006639157114,
        -1.8455871360881362,
        -2.785918327358423,
        -0.20276384804826542,
        0.08933292162822148,
        0.08933292162822148,
        -0.018759387638974445,
        2.503006639157114,
        1.1521927252910356,
        1.1521927252910356,
        -2.785918327358423,
        -0.20276384804826542,
        0.08933292162822148,
        0.08933292162822148,
        -0.018759387638974445,
        2.503006639157114,
        1.1521927252910356,
        1.1521927252910356,
        -0.20276384804826542,
        -1.514910467836015,
        0.0847058795970832,
        0.0847058795970832,
        -0.018759387638974445,
        0.7753575269460624,
        0.7753575269460624,
        0.7753575269460624,
        -1.514910467836015,
        -1.514910467836015,
        -1.514910467836015,
        0.0847058795970832,
    ];
    let scipy_linear = [
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        -0.9889878920311248,
        -1.4940155296921154,
        -2.325317399931638,
        -2.666539286099232,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        -0.22611101946380344,
        0.22879239266544282,
        -0.6494440579572992,
        -1.2220046041782875,
        -1.2821610333193487,
        -0.651543316020666,
        f64::NAN,
        f64::NAN,
        1.4432643164094638,
        1.452120705294315,
        0.776050315655858,
        0.33364702276959424,
        -0.14997190259536278,
        0.014059372654834833,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        1.2305969388876377,
        0.5746139000344126,
        0.02349177601160296,
        -0.6085313419397878,
        -0.19317406322640596,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
    ];
    let grid = griddata_linear(
        &SX,
        &SY,
        &SZ,
        &linspace(0.0, 10.0, 8),
        &linspace(0.0, 5.0, 6),
        OutsideHull::Nearest,
    )
    .expect("grid");
    let want: Vec<f64> = scipy_linear
        .iter()
        .zip(scipy_nearest)
        .map(|(&l, n)| if l.is_nan() { n } else { l })
        .collect();
    assert_close(grid.values(), &want, 1e-12);
    assert_eq!(grid.nan_count(), 0);
}

#[test]
fn planner_decode_grid_matches_scipy_linear_with_nearest_fill() {
    // The planner's DecodeInterpolator with method="linear" instead of "cubic", resolution 8,
    // on the decode sweep (16384, max_kv 200000, g 6) of the mocker's ITL model:
    //   xi = linspace(0, 1, 8); yi = linspace(0, max(y), 8); X, Y = meshgrid(xi, yi)
    //   g = griddata((x, y), z, (X, Y), "linear"); m = isnan(g)
    //   g[m] = griddata((x, y), z, (X, Y), "nearest")[m]        (23 of 64 cells filled)
    let scipy = [
        5.83443867125,
        11.71881024125,
        16.916425741250002,
        25.304047965000002,
        28.47308624125,
        28.47308624125,
        28.47308624125,
        28.47308624125,
        6.5435599272085,
        12.84089081411706,
        18.917448911049206,
        24.067625774772715,
        28.17082497924845,
        30.773013843501786,
        33.6026381428285,
        33.6026381428285,
        6.5435599272085,
        12.776861156921406,
        18.873642725624144,
        23.972074812142516,
        28.14131736374031,
        31.109353035069812,
        32.940896831353776,
        33.6026381428285,
        7.243663677384,
        12.772630731162927,
        18.888726503724644,
        23.945696829800077,
        28.172840561268305,
        31.115182161268304,
        32.89180007387459,
        33.714461471175994,
        7.9347499217765005,
        12.770075430173641,
        18.898890201949712,
        23.95831548727417,
        28.16800275870274,
        31.085765610125122,
        32.86928170409508,
        33.8365263197685,
        8.616818660386,
        12.779188541790498,
        18.91812788180282,
        23.999759129834715,
        28.162328563661,
        31.13912720591646,
        32.90801543195093,
        33.705116051554,
        8.616818660386,
        12.773496075198821,
        18.884406536916643,
        24.043728221828076,
        28.10582945822589,
        31.155745162671963,
        32.8955508349285,
        33.705116051554,
        9.2898698932125,
        12.812912641791069,
        18.813238279317858,
        24.097254982942854,
        28.07116596872857,
        31.041251611585718,
        32.857737373846426,
        33.823975569649996,
    ];
    let max_kv = 200_000;
    let sweep = sweeps::decode_sweep(16384, max_kv, 6, 1).expect("sweep");
    let (mut xs, mut ys, mut zs) = (Vec::new(), Vec::new(), Vec::new());
    for row in &sweep.rows {
        for &n in &row.num_requests {
            let x = sweeps::decode_kv_usage(row.isl, sweep.osl, n, max_kv);
            xs.push(x);
            ys.push(sweeps::decode_context_length(row.isl, sweep.osl));
            zs.push((-25.74 * x * x + 54.01 * x + 5.74f64).max(1.0));
        }
    }
    assert_eq!(xs.len(), 36);
    let d = DecodeInterpolator::new(&xs, &ys, &zs, &zs, max_kv as f64, 8).expect("decode");
    assert_close(d.itl_grid().values(), &scipy, 1e-12);
}

#[test]
fn clough_tocher_gradients_match_scipy() {
    // CloughTocher2DInterpolator(np.c_[sx, sy], sz).grad[:, 0, :] (tol 1e-6, maxiter 400).
    let scipy = [
        -0.21241848893684115,
        1.768850701881389,
        0.9657402874533786,
        1.1503763176717192,
        0.2454874985171584,
        0.9218749169526136,
        -1.0238406053518974,
        -0.15148463056431508,
        -0.46106825658901146,
        -0.4588484954190635,
        1.1382891319577204,
        -0.8084196237894888,
        1.5326115133607783,
        0.07278832946073509,
        -0.01403428084672875,
        -1.5823669946355432,
        0.10421135681653483,
        2.5124605155058894,
        -0.8266501681449978,
        0.7338024071228295,
        -1.7169055025929802,
        0.00786183412607362,
        -0.4248612240007527,
        1.9155983936973007,
    ];
    let f = CubicInterpolator2d::new(&SX, &SY, &SZ).expect("cubic");
    assert!(f.converged());
    let got: Vec<f64> = (0..SX.len())
        .flat_map(|i| f.gradient(i).expect("site"))
        .collect();
    assert_close(&got, &scipy, 1e-9);
}

#[test]
fn griddata_cubic_matches_scipy() {
    // griddata((sx, sy), sz, (X, Y), method="cubic"), row by row (NaN outside the hull).
    let scipy = [
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        -0.4616971524044507,
        -1.3566037426947588,
        -2.6429811250017767,
        -3.041562860574838,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        1.03102710315975,
        0.8773643702997673,
        -0.816685154773596,
        -1.5767454562365686,
        -1.19929679568079,
        -0.5845295841743267,
        f64::NAN,
        f64::NAN,
        2.2936560775480554,
        1.4700757045590427,
        -0.21563087834331468,
        -0.31294010626586816,
        0.02640368304077512,
        0.27832732582163233,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        1.307022623405608,
        0.4457393857230689,
        0.18749391206146812,
        -0.21389109919706106,
        -0.11115787388990009,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
        f64::NAN,
    ];
    let grid = griddata_cubic(
        &SX,
        &SY,
        &SZ,
        &linspace(0.0, 10.0, 8),
        &linspace(0.0, 5.0, 6),
        OutsideHull::Nan,
    )
    .expect("grid");
    assert_close(grid.values(), &scipy, 1e-9);
}

#[test]
fn planner_cubic_decode_grid_matches_scipy_closely() {
    // The planner's own recipe: griddata(method="cubic") with nearest fill, resolution 8, on the
    // decode sweep (16384, max_kv 200000, g 6) of the mocker's ITL model.
    let scipy = [
        5.83443867125,
        11.71881024125,
        16.916425741250002,
        25.304047965000002,
        28.47308624125,
        28.47308624125,
        28.47308624125,
        28.47308624125,
        6.5435599272085,
        12.9085577443811,
        19.05495908541252,
        24.122794337416053,
        28.077768872493145,
        31.07199329295704,
        33.6026381428285,
        33.6026381428285,
        6.5435599272085,
        12.854877826722571,
        19.073600537319304,
        24.15491085229788,
        28.21576354636457,
        31.21782763445539,
        33.07496761888968,
        33.6026381428285,
        7.243663677384,
        12.88334847450929,
        19.08960534371066,
        24.15170290980512,
        28.196699777878177,
        31.197011863955655,
        33.01610533984961,
        33.714461471175994,
        7.9347499217765005,
        12.859617206003277,
        19.098047880233754,
        24.150496586918138,
        28.189064364746397,
        31.198900991089683,
        33.02560475796486,
        33.8365263197685,
        8.616818660386,
        12.870915781561232,
        19.072699292967567,
        24.156994264001973,
        28.2069010780102,
        31.212481918436332,
        33.043544608795145,
        33.705116051554,
        8.616818660386,
        12.847552524297162,
        19.0539218895741,
        24.119843489683774,
        28.186841623934484,
        31.15403297424161,
        32.977875913542476,
        33.705116051554,
        9.2898698932125,
        12.886755101043931,
        19.093585076359286,
        24.155779349745764,
        28.20529927747795,
        31.205709539555237,
        33.02157231690809,
        33.823975569649996,
    ];
    let max_kv = 200_000;
    let sweep = sweeps::decode_sweep(16384, max_kv, 6, 1).expect("sweep");
    let (mut xs, mut ys, mut zs) = (Vec::new(), Vec::new(), Vec::new());
    for row in &sweep.rows {
        for &n in &row.num_requests {
            let x = sweeps::decode_kv_usage(row.isl, sweep.osl, n, max_kv);
            xs.push(x);
            ys.push(sweeps::decode_context_length(row.isl, sweep.osl));
            zs.push((-25.74 * x * x + 54.01 * x + 5.74f64).max(1.0));
        }
    }
    let y_max = ys.iter().copied().fold(0.0, f64::max);
    let grid = griddata_cubic(
        &xs,
        &ys,
        &zs,
        &linspace(0.0, 1.0, 8),
        &linspace(0.0, y_max, 8),
        OutsideHull::Nearest,
    )
    .expect("grid");
    // Not 1e-9 here: the sites of each sweep row's first concurrency lie on the line
    // x = y / max_kv up to rounding; Qhull merges them onto the hull (52 triangles) where spade's
    // exact predicates see some just inside (54 triangles). Linear values do not notice (the
    // slivers are nearly flat), the cubic's gradient estimation does, by < 2e-5 relative here.
    assert_close(grid.values(), &scipy, 1e-4);
    // The planner module's decode grid is that same recipe.
    let profile = DecodeProfile {
        x_kv_usage: &xs,
        y_context_length: &ys,
        z_itl_ms: &zs,
        z_thpt_per_gpu: &zs,
        max_kv_tokens: max_kv as f64,
    };
    let planner = DecodeInterpolator::from_profile(&profile, 8, Surface::Cubic).expect("planner");
    assert_eq!(planner.itl_grid().values(), grid.values());
}
