//! The four pictures of `nmc analyze`, drawn with plotters: the spike
//! raster with the population-rate histogram under it, the population
//! rates (raw and smoothed), the per-cell rate distribution of each group
//! and the power spectrum of each group's rate.
//!
//! Text is drawn with DejaVu Sans, embedded in the binary
//! (`assets/fonts/`), so no system font library is needed at run time.
//! Bitmaps are rendered in memory, encoded as PNG (with a palette when
//! they have at most 256 colours, as these drawings do) and written atomically;
//! SVG is built as a string and written the same way.

use super::Settings;
use super::data::Dataset;
use super::rate;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Image width in pixels.
pub const WIDTH: u32 = 1200;
/// Image height in pixels.
pub const HEIGHT: u32 = 800;
/// Width of the legend strip on the right of every picture.
const LEGEND_W: u32 = 200;

const TITLE: u32 = 28;
const AXIS: u32 = 22;
const TICKS: u32 = 18;

/// The file format of the pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG bitmaps.
    Png,
    /// SVG vector drawings.
    Svg,
}

impl ImageFormat {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }
}

/// Which picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plot {
    /// Node id against time, coloured by group.
    Raster,
    /// Population rate against time, raw and smoothed.
    Rates,
    /// Per-cell rates of each group (violin with a box).
    RateDistribution,
    /// Power spectrum of each group's population rate.
    Spectrum,
}

impl Plot {
    /// All four, in the order they are written.
    pub const ALL: [Plot; 4] = [
        Plot::Raster,
        Plot::Rates,
        Plot::RateDistribution,
        Plot::Spectrum,
    ];

    /// File name without extension.
    pub fn stem(self) -> &'static str {
        match self {
            Plot::Raster => "raster",
            Plot::Rates => "rates",
            Plot::RateDistribution => "rate_distribution",
            Plot::Spectrum => "spectrum",
        }
    }
}

/// Matplotlib's "tab10" colours, so groups look as they do in bmtool's
/// notebook.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// The colour of group `i`.
pub fn colour(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font as plotters' sans-serif (once).
pub fn ensure_font() -> Result<(), String> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "the embedded font cannot be read".to_string())
    })
    .clone()
}

/// A tick label with no needless decimals (`250`, `12.5`).
fn tick(v: &f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() {
        format!("{r:.0}")
    } else {
        let s = format!("{r:.2}");
        s.trim_end_matches('0').to_string()
    }
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("drawing failed: {e:?}")
}

/// Draws `plot` of `ds` on `root`; `bitmap` says whether the backend is a
/// bitmap (the raster is then drawn pixel by pixel).
pub fn draw<DB: DrawingBackend>(
    plot: Plot,
    root: &DrawingArea<DB, Shift>,
    ds: &Dataset,
    settings: &Settings,
    bitmap: bool,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    ensure_font()?;
    root.fill(&WHITE).map_err(err)?;
    let (w, _) = root.dim_in_pixel();
    let (main, legend) = root.split_horizontally(w.saturating_sub(LEGEND_W));
    match plot {
        Plot::Raster => {
            let (_, h) = main.dim_in_pixel();
            let (top, bottom) = main.split_vertically(h * 7 / 10);
            raster(&top, ds, bitmap)?;
            rate_histogram(&bottom, ds, settings)?;
        }
        Plot::Rates => rates(&main, ds, settings)?,
        Plot::RateDistribution => distribution(&main, ds)?,
        Plot::Spectrum => spectrum(&main, ds)?,
    }
    let entries: Vec<String> = ds
        .groups
        .iter()
        .map(|g| format!("{} ({})", g.name, g.cells()))
        .collect();
    draw_legend(&legend, &format!("{} (cells)", ds.group_by), &entries)?;
    root.present().map_err(err)
}

/// A legend in its own strip: a title, then one coloured square and one
/// line of text per group.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[String],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let font = ("sans-serif", 20).into_font();
    area.draw(&Text::new(title.to_string(), (8, 70), font.clone()))
        .map_err(err)?;
    for (i, e) in entries.iter().enumerate() {
        let y = 105 + 32 * i as i32;
        area.draw(&Rectangle::new([(10, y), (28, y + 18)], colour(i).filled()))
            .map_err(err)?;
        area.draw(&Text::new(e.clone(), (36, y), font.clone()))
            .map_err(err)?;
    }
    Ok(())
}

fn raster<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ds: &Dataset,
    bitmap: bool,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let ymax = ds
        .groups
        .iter()
        .flat_map(|g| g.rows.iter().copied())
        .max()
        .map_or(1, |m| m + 1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption("Spike raster", ("sans-serif", TITLE))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(ds.tstart..ds.tstop.max(ds.tstart + 1.0), -0.5..ymax - 0.5)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("node id")
        .axis_desc_style(("sans-serif", AXIS))
        .label_style(("sans-serif", TICKS))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(220, 220, 220))
        .draw()
        .map_err(err)?;
    let plot = chart.plotting_area();
    let (bx, by) = plot.get_base_pixel();
    let flat = plot.strip_coord_spec();
    let (pw, ph) = flat.dim_in_pixel();
    let (pw, ph) = (pw as i32, ph as i32);
    // Each spike is a 3 x 3 pixel dot centred on its pixel; many spikes
    // share a pixel, so dots are collected first and drawn once (later
    // groups on top).
    let mut cover = vec![0u16; (pw.max(1) * ph.max(1)) as usize];
    let mut centres: Vec<(i32, i32, usize)> = Vec::new();
    for (gi, g) in ds.groups.iter().enumerate() {
        let mark = (gi % PALETTE.len()) as u16 + 1;
        for (row, train) in g.rows.iter().zip(&g.trains) {
            for &t in train {
                let (x, y) = plot.map_coordinate(&(t, *row as f64));
                let (x, y) = (x - bx, y - by);
                if x < 0 || y < 0 || x >= pw || y >= ph {
                    continue;
                }
                if bitmap {
                    for yy in (y - 1).max(0)..=(y + 1).min(ph - 1) {
                        for xx in (x - 1).max(0)..=(x + 1).min(pw - 1) {
                            cover[(yy * pw + xx) as usize] = mark;
                        }
                    }
                } else {
                    let k = (y * pw + x) as usize;
                    if cover[k] != mark {
                        cover[k] = mark;
                        centres.push((x, y, gi));
                    }
                }
            }
        }
    }
    if bitmap {
        for (k, &m) in cover.iter().enumerate() {
            if m > 0 {
                let (x, y) = (k as i32 % pw, k as i32 / pw);
                flat.draw_pixel((x, y), &colour(m as usize - 1))
                    .map_err(err)?;
            }
        }
    } else {
        for (x, y, gi) in centres {
            flat.draw(&Rectangle::new(
                [(x - 1, y - 1), (x + 1, y + 1)],
                colour(gi).filled(),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

/// The population rate of each group (Hz per cell in `settings.bin`
/// bins) as a step histogram, on the raster's time axis.
fn rate_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ds: &Dataset,
    settings: &Settings,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let n = rate::bin_count(ds.tstart, ds.tstop, settings.bin);
    let series: Vec<Vec<f64>> = ds
        .groups
        .iter()
        .map(|g| rate::population_rate(&g.all_times(), g.cells(), ds.tstart, settings.bin, n))
        .collect();
    let top = series
        .iter()
        .flat_map(|r| r.iter().copied())
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.08 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .margin_left(20)
        .margin_right(20)
        .margin_bottom(10)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(ds.tstart..ds.tstop.max(ds.tstart + 1.0), 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(format!(
            "time (ms); population rate in {} ms bins",
            crate::units::format_number(settings.bin)
        ))
        .y_desc("rate (Hz)")
        .axis_desc_style(("sans-serif", AXIS - 2))
        .label_style(("sans-serif", TICKS))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .y_labels(4)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(220, 220, 220))
        .draw()
        .map_err(err)?;
    for (gi, r) in series.iter().enumerate() {
        let mut pts = Vec::with_capacity(2 * r.len() + 2);
        pts.push((ds.tstart, 0.0));
        for (k, v) in r.iter().enumerate() {
            let x0 = (ds.tstart + k as f64 * settings.bin).min(ds.tstop);
            let x1 = (ds.tstart + (k + 1) as f64 * settings.bin).min(ds.tstop);
            pts.push((x0, *v));
            pts.push((x1, *v));
        }
        pts.push((ds.tstop, 0.0));
        chart
            .draw_series(LineSeries::new(pts, colour(gi).stroke_width(2)))
            .map_err(err)?;
    }
    Ok(())
}

/// Highest frequency shown by the spectrum picture (Hz): beta and gamma
/// bands with room above.
const SPECTRUM_MAX_HZ: f64 = 200.0;

/// The power spectrum of each group's population rate (as
/// [`super::spectrum::rate_spectrum`] computes it for the peak frequency),
/// each scaled to its own maximum below `SPECTRUM_MAX_HZ`.
fn spectrum<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, ds: &Dataset) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Power spectrum of the population rate (each group scaled to its peak)",
            ("sans-serif", TITLE - 4),
        )
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..SPECTRUM_MAX_HZ, 0.0..1.05)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("frequency (Hz)")
        .y_desc("relative power")
        .axis_desc_style(("sans-serif", AXIS))
        .label_style(("sans-serif", TICKS))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(220, 220, 220))
        .draw()
        .map_err(err)?;
    for (gi, g) in ds.groups.iter().enumerate() {
        let times = g.all_times();
        if times.is_empty() {
            continue;
        }
        let spec: Vec<(f64, f64)> =
            super::spectrum::rate_spectrum(&times, g.cells(), ds.tstart, ds.tstop)
                .into_iter()
                .filter(|(f, _)| *f <= SPECTRUM_MAX_HZ)
                .collect();
        let peak = spec.iter().map(|p| p.1).fold(0.0, f64::max);
        if peak <= 0.0 {
            continue;
        }
        chart
            .draw_series(LineSeries::new(
                spec.into_iter().map(|(f, p)| (f, p / peak)),
                colour(gi).stroke_width(2),
            ))
            .map_err(err)?;
    }
    Ok(())
}

fn rates<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ds: &Dataset,
    settings: &Settings,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let panels = area.split_evenly((2, 1));
    let n = rate::bin_count(ds.tstart, ds.tstop, settings.bin);
    let raw: Vec<Vec<f64>> = ds
        .groups
        .iter()
        .map(|g| rate::population_rate(&g.all_times(), g.cells(), ds.tstart, settings.bin, n))
        .collect();
    let smooth: Vec<Vec<f64>> = raw
        .iter()
        .map(|r| rate::gaussian_smooth(r, settings.bin, settings.smooth))
        .collect();
    let titles = [
        format!(
            "Population rate, raw ({} ms bins)",
            crate::units::format_number(settings.bin)
        ),
        format!(
            "Population rate, Gaussian-smoothed (σ = {} ms)",
            crate::units::format_number(settings.smooth)
        ),
    ];
    for ((panel, series), title) in panels.iter().zip([&raw, &smooth]).zip(titles) {
        let top = series
            .iter()
            .flat_map(|r| r.iter().copied())
            .fold(0.0, f64::max);
        let top = if top > 0.0 { top * 1.08 } else { 1.0 };
        let mut chart = ChartBuilder::on(panel)
            .caption(title, ("sans-serif", TITLE - 2))
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(90)
            .build_cartesian_2d(ds.tstart..ds.tstop.max(ds.tstart + 1.0), 0.0..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time (ms)")
            .y_desc("rate (Hz)")
            .axis_desc_style(("sans-serif", AXIS))
            .label_style(("sans-serif", TICKS))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(220, 220, 220))
            .draw()
            .map_err(err)?;
        for (gi, r) in series.iter().enumerate() {
            let pts = r
                .iter()
                .enumerate()
                .map(|(k, v)| (ds.tstart + (k as f64 + 0.5) * settings.bin, *v));
            chart
                .draw_series(LineSeries::new(pts, colour(gi).stroke_width(2)))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Gaussian kernel density of `x` at `y` with bandwidth `h`.
fn kde(x: &[f64], y: f64, h: f64) -> f64 {
    x.iter()
        .map(|v| {
            let d = (y - v) / h;
            (-0.5 * d * d).exp()
        })
        .sum::<f64>()
}

/// The `q` quantile of sorted `x` (linear interpolation).
fn quantile(x: &[f64], q: f64) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let p = q * (x.len() - 1) as f64;
    let (lo, hi) = (p.floor() as usize, p.ceil() as usize);
    x[lo] + (x[hi] - x[lo]) * (p - lo as f64)
}

fn distribution<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ds: &Dataset,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let secs = ds.seconds();
    let per_cell: Vec<Vec<f64>> = ds
        .groups
        .iter()
        .map(|g| {
            let mut r: Vec<f64> = g
                .trains
                .iter()
                .map(|t| {
                    if secs > 0.0 {
                        t.len() as f64 / secs
                    } else {
                        0.0
                    }
                })
                .collect();
            r.sort_unstable_by(f64::total_cmp);
            r
        })
        .collect();
    let top = per_cell
        .iter()
        .flat_map(|r| r.last().copied())
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let ng = ds.groups.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption("Firing rate of individual cells", ("sans-serif", TITLE))
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5..ng as f64 - 0.5, 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(ds.group_by.clone())
        .y_desc("firing rate (Hz)")
        .axis_desc_style(("sans-serif", AXIS))
        .label_style(("sans-serif", TICKS))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .x_labels(0)
        .disable_x_mesh()
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(220, 220, 220))
        .draw()
        .map_err(err)?;
    // Group names under their violins (plotters places numeric ticks only).
    let plot = chart.plotting_area();
    let (ax, ay) = area.get_base_pixel();
    let bottom = plot.get_base_pixel().1 + plot.dim_in_pixel().1 as i32;
    let font: TextStyle = ("sans-serif", TICKS + 2).into_text_style(area);
    for (i, g) in ds.groups.iter().enumerate() {
        let (x, _) = plot.map_coordinate(&(i as f64, 0.0));
        let (tw, _) = area.estimate_text_size(&g.name, &font).map_err(err)?;
        area.draw(&Text::new(
            g.name.clone(),
            (x - ax - tw as i32 / 2, bottom - ay + 8),
            font.clone(),
        ))
        .map_err(err)?;
    }
    let dark = RGBColor(40, 40, 40);
    for (gi, r) in per_cell.iter().enumerate() {
        if r.is_empty() {
            continue;
        }
        let x0 = gi as f64;
        let (lo, hi) = (r[0], r[r.len() - 1]);
        if hi - lo <= 1e-9 * hi.abs().max(1.0) {
            // Every cell fires at the same rate: a line, as seaborn draws it.
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x0 - 0.4, lo), (x0 + 0.4, lo)],
                    colour(gi).stroke_width(4),
                )))
                .map_err(err)?;
            continue;
        }
        let n = r.len() as f64;
        let mean = r.iter().sum::<f64>() / n;
        let sd = (r.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        // Silverman's rule of thumb.
        let h = (1.06 * sd * n.powf(-0.2)).max((hi - lo) * 1e-3);
        let ys: Vec<f64> = (0..=100)
            .map(|k| lo + (hi - lo) * k as f64 / 100.0)
            .collect();
        let dens: Vec<f64> = ys.iter().map(|&y| kde(r, y, h)).collect();
        let dmax = dens
            .iter()
            .copied()
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        let mut outline: Vec<(f64, f64)> = ys
            .iter()
            .zip(&dens)
            .map(|(&y, &d)| (x0 + 0.4 * d / dmax, y))
            .collect();
        outline.extend(
            ys.iter()
                .zip(&dens)
                .rev()
                .map(|(&y, &d)| (x0 - 0.4 * d / dmax, y)),
        );
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline.clone(),
                colour(gi).mix(0.75).filled(),
            )))
            .map_err(err)?;
        outline.push(outline[0]);
        chart
            .draw_series(std::iter::once(PathElement::new(
                outline,
                dark.stroke_width(1),
            )))
            .map_err(err)?;
        // Inner box: whiskers over the whole range, box Q1..Q3, white median.
        let (q1, q2, q3) = (quantile(r, 0.25), quantile(r, 0.5), quantile(r, 0.75));
        chart
            .draw_series([
                PathElement::new(vec![(x0, lo), (x0, hi)], dark.stroke_width(2)),
                PathElement::new(vec![(x0, q1), (x0, q3)], dark.stroke_width(10)),
            ])
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Circle::new((x0, q2), 4, WHITE.filled())))
            .map_err(err)?;
    }
    Ok(())
}

/// Renders `plot` into an RGB buffer of `WIDTH` x `HEIGHT` pixels.
pub fn render_rgb(plot: Plot, ds: &Dataset, settings: &Settings) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        draw(plot, &root, ds, settings, true)?;
    }
    Ok(buf)
}

/// Renders `plot` as an SVG document.
pub fn render_svg(plot: Plot, ds: &Dataset, settings: &Settings) -> Result<String, String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (WIDTH, HEIGHT)).into_drawing_area();
        draw(plot, &root, ds, settings, false)?;
    }
    Ok(s)
}

/// The palette of an RGB buffer and each pixel's index in it, or `None`
/// when it has more than 256 colours.
fn palette_of(rgb: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut index: std::collections::HashMap<[u8; 3], u8> = std::collections::HashMap::new();
    let mut palette = Vec::new();
    let mut pixels = Vec::with_capacity(rgb.len() / 3);
    for px in rgb.chunks_exact(3) {
        let key = [px[0], px[1], px[2]];
        let i = match index.get(&key) {
            Some(&i) => i,
            None => {
                let i = u8::try_from(index.len()).ok()?;
                index.insert(key, i);
                palette.extend_from_slice(&key);
                i
            }
        };
        pixels.push(i);
    }
    Some((palette, pixels))
}

/// Encodes an RGB buffer as PNG: indexed (8-bit palette) when it has at
/// most 256 colours, which keeps plots small (the seed's raster: tens of
/// KB instead of hundreds), else 24-bit RGB; the pixels are the same.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        let indexed = palette_of(rgb);
        match &indexed {
            Some((palette, _)) => {
                enc.set_color(png::ColorType::Indexed);
                enc.set_palette(palette.clone());
            }
            None => enc.set_color(png::ColorType::Rgb),
        }
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        let data = indexed.as_ref().map_or(rgb, |(_, px)| px.as_slice());
        w.write_image_data(data).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Draws the four pictures into `dir` and returns their paths.
pub fn write_all(
    ds: &Dataset,
    settings: &Settings,
    dir: &Path,
    format: ImageFormat,
) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for plot in Plot::ALL {
        let path = dir.join(format!("{}.{}", plot.stem(), format.ext()));
        let bytes = match format {
            ImageFormat::Png => encode_png(&render_rgb(plot, ds, settings)?, WIDTH, HEIGHT)?,
            ImageFormat::Svg => render_svg(plot, ds, settings)?.into_bytes(),
        };
        crate::io::write_atomic(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        out.push(path);
    }
    Ok(out)
}
