//! The SWC format: one point per line, `id type x y z radius parent`
//! (`#` starts a comment line), read as NEURON's `Import3d_SWC_read`
//! reads it: the seven numbers in single precision, the radius doubled to
//! a diameter in double precision, points sorted by id. Every problem is
//! a diagnostic at its line: a line that is not seven numbers, a
//! duplicate id, a parent that is no point of the file (an orphan), a
//! cycle, a parent listed after its child, a type nmc does not know, a
//! soma of zero size, a file with no point or more than one root.

use crate::diag::{Diagnostic, FileId, Span};

/// One point of an SWC file.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Its id (first column).
    pub id: i64,
    /// Its structure type: 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite.
    pub kind: i64,
    /// Coordinates (um), single precision widened to double.
    pub x: f64,
    /// See `x`.
    pub y: f64,
    /// See `x`.
    pub z: f64,
    /// Diameter (um): twice the single-precision radius, in double.
    pub diam: f64,
    /// The parent's id, negative for a root.
    pub parent: i64,
    /// The line it was read from.
    pub span: Span,
}

/// The points of an SWC file, sorted by id, with every parent present
/// and listed before its children, one root.
#[derive(Clone, Debug, PartialEq)]
pub struct Swc {
    /// The points in id order.
    pub points: Vec<Point>,
    /// Per point: the index of its parent in `points`, `None` for the root.
    pub parent: Vec<Option<usize>>,
}

/// The structure types nmc reads, and their section names.
pub const KINDS: [(i64, &str); 4] = [(1, "soma"), (2, "axon"), (3, "dend"), (4, "apic")];

/// Reads SWC `text` (file `file` of a source map): the points, or every
/// problem found.
pub fn parse(file: FileId, text: &str) -> Result<Swc, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut points = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = body.len() - body.trim_start().len();
        let span = Span::new(file, start + lead, start + lead + trimmed.len());
        match point(trimmed, span) {
            Ok(p) => points.push(p),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if points.is_empty() {
        return Err(vec![
            Diagnostic::error("E1701", "the SWC file has no points")
                .with_primary(
                    Span::new(file, 0, 0),
                    "no line of `id type x y z radius parent`",
                )
                .with_help("an SWC file lists one point per line: id type x y z radius parent"),
        ]);
    }
    // NEURON sorts the points by id when they are not in order.
    points.sort_by_key(|p| p.id);
    let swc = link(points)?;
    check_soma(&swc)?;
    Ok(swc)
}

/// One point line: seven numbers, integral id, type and parent.
fn point(line: &str, span: Span) -> Result<Point, Diagnostic> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let bad = |msg: String, label: &str| {
        Diagnostic::error("E1701", msg)
            .with_primary(span, label)
            .with_help("an SWC point line is seven numbers: id type x y z radius parent")
    };
    if words.len() < 7 {
        return Err(bad(
            format!(
                "an SWC point needs 7 numbers, this line has {}",
                words.len()
            ),
            "expected `id type x y z radius parent`",
        ));
    }
    let mut v = [0f32; 7];
    for (k, w) in words[..7].iter().enumerate() {
        match w.parse::<f32>() {
            Ok(x) if x.is_finite() => v[k] = x,
            _ => {
                return Err(bad(
                    format!("`{w}` is not a finite number"),
                    "column of this line is not a number",
                ));
            }
        }
    }
    let whole = |k: usize, what: &str| -> Result<i64, Diagnostic> {
        let x = v[k];
        if x.fract() != 0.0 {
            return Err(bad(
                format!("the {what} `{}` is not a whole number", words[k]),
                "ids, types and parents are integers",
            ));
        }
        Ok(x as i64)
    };
    let id = whole(0, "id")?;
    let kind = whole(1, "type")?;
    let parent = whole(6, "parent id")?;
    if !KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(
            Diagnostic::error("E1702", format!("unknown SWC point type {kind}"))
                .with_primary(span, "type (second column) is not 1, 2, 3 or 4")
                .with_help(
                    "nmc reads the types 1 soma, 2 axon, 3 basal dendrite and 4 apical dendrite; \
                 give the point one of them",
                ),
        );
    }
    if v[5] < 0.0 {
        return Err(bad(
            format!("the radius {} is negative", words[5]),
            "radius (sixth column) must not be negative",
        ));
    }
    Ok(Point {
        id,
        kind,
        x: f64::from(v[2]),
        y: f64::from(v[3]),
        z: f64::from(v[4]),
        diam: f64::from(v[5]) * 2.0,
        parent,
        span,
    })
}

/// Parents by index: no duplicate ids, every parent present, no cycle,
/// every parent before its child, one root.
fn link(points: Vec<Point>) -> Result<Swc, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let index = |id: i64| points.binary_search_by_key(&id, |p| p.id).ok();
    for w in points.windows(2) {
        if w[0].id == w[1].id {
            errors.push(
                Diagnostic::error("E1703", format!("point id {} is used twice", w[1].id))
                    .with_primary(w[1].span, "second point with this id")
                    .with_secondary(w[0].span, "first point with this id")
                    .with_help("give every point its own id"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut parent = Vec::with_capacity(points.len());
    for p in &points {
        if p.parent < 0 {
            parent.push(None);
            continue;
        }
        match index(p.parent) {
            Some(i) => parent.push(Some(i)),
            None => {
                parent.push(None);
                errors.push(
                    Diagnostic::error(
                        "E1704",
                        format!(
                            "point {} has parent {}, which is no point of the file",
                            p.id, p.parent
                        ),
                    )
                    .with_primary(
                        p.span,
                        "orphan point: its parent id (last column) is unknown",
                    )
                    .with_help("give the id of a point of this file, or -1 for the root"),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Cycles: follow parents from each point; a walk longer than the file
    // went round.
    let mut state = vec![0u8; points.len()]; // 0 unknown, 1 on the walk, 2 reaches a root
    for start in 0..points.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                2 => break,
                1 => {
                    let cycle: Vec<usize> =
                        walk[walk.iter().position(|&k| k == i).unwrap_or(0)..].to_vec();
                    let ids: Vec<String> =
                        cycle.iter().map(|&k| points[k].id.to_string()).collect();
                    let mut d = Diagnostic::error(
                        "E1705",
                        format!("the parents of points {} form a cycle", ids.join(" -> ")),
                    )
                    .with_primary(points[i].span, "this point is its own ancestor");
                    for &k in cycle.iter().filter(|&&k| k != i) {
                        d = d.with_secondary(points[k].span, "in the cycle");
                    }
                    errors.push(d.with_help(
                        "a morphology is a tree: follow parents up to the root (parent -1)",
                    ));
                    for &k in &walk {
                        state[k] = 2;
                    }
                    break;
                }
                _ => {
                    state[i] = 1;
                    walk.push(i);
                    at = parent[i];
                }
            }
        }
        for &k in &walk {
            state[k] = 2;
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (i, p) in points.iter().enumerate() {
        if let Some(q) = parent[i]
            && points[q].id >= p.id
        {
            errors.push(
                Diagnostic::error(
                    "E1706",
                    format!("point {} has parent {}, which does not come before it", p.id, points[q].id),
                )
                .with_primary(p.span, "parent id must be smaller than the point's id")
                .with_secondary(points[q].span, "the parent")
                .with_help("number the points so that every parent has a smaller id than its children, as NEURON requires"),
            );
        }
    }
    let roots: Vec<usize> = (0..points.len()).filter(|&i| parent[i].is_none()).collect();
    if roots.len() > 1 {
        let mut d = Diagnostic::error(
            "E1707",
            format!(
                "the SWC file holds {} trees; a cell is one tree",
                roots.len()
            ),
        )
        .with_primary(points[roots[1]].span, "a second root (parent -1)")
        .with_secondary(points[roots[0]].span, "the first root");
        d = d.with_help("connect every point to the cell's tree, or put each cell in its own file");
        errors.push(d);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Swc { points, parent })
}

/// The soma must have a size: a one-point soma a positive radius, a soma
/// of several points a positive length.
fn check_soma(swc: &Swc) -> Result<(), Vec<Diagnostic>> {
    let soma: Vec<&Point> = swc.points.iter().filter(|p| p.kind == 1).collect();
    let Some(first) = soma.first() else {
        return Ok(());
    };
    if soma.len() == 1 {
        if first.diam > 0.0 {
            return Ok(());
        }
        return Err(vec![
            Diagnostic::error("E1708", "the soma is one point of radius 0")
                .with_primary(first.span, "a one-point soma is a sphere of this radius")
                .with_help("give the soma point its radius (sixth column)"),
        ]);
    }
    let same = soma
        .iter()
        .all(|p| p.x == first.x && p.y == first.y && p.z == first.z);
    let zero_diam = soma.iter().all(|p| p.diam == 0.0);
    if same || zero_diam {
        let what = if same { "length" } else { "diameter" };
        return Err(vec![
            Diagnostic::error("E1708", format!("the soma has zero {what}"))
                .with_primary(
                    first.span,
                    format!("all {} soma points have zero {what}", soma.len()),
                )
                .with_help("soma points must trace a body of positive length and radius"),
        ]);
    }
    Ok(())
}
