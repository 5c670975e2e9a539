//! TABLE statements, as nocmodl's `table_massage` writes them.
//!
//! For a FUNCTION or PROCEDURE `name(arg)` whose body starts with
//! `TABLE outs DEPEND deps FROM lo TO hi WITH n`, the original body becomes
//! the function `_f_name`, and `name` becomes:
//!
//! 1. the check (`_check_name`): when `usetable` is on and a DEPEND value
//!    differs from the one saved at the last build (or nothing was built
//!    yet), rebuild: `_tmin = lo; _tmax = hi; _dx = (_tmax - _tmin)/n;
//!    _mfac = 1./_dx`, then for i = 0..=n with `_x` starting at `_tmin` and
//!    growing by `_dx`, store `_f_name(_x)` (FUNCTION) or call it and store
//!    each output (PROCEDURE) in the table arrays; save the DEPEND values.
//!    NEURON runs this check once per time step; here it runs at each call,
//!    which gives the same tables unless a DEPEND value changes mid-step.
//! 2. the lookup (`_n_name`): without `usetable`, call `_f_name` directly;
//!    else `_xi = _mfac*(arg - _tmin)`; NaN propagates; `_xi <= 0` gives
//!    entry 0, `_xi >= n` entry n; otherwise with `_i = (int)_xi`,
//!    `t[_i] + (_xi - _i)*(t[_i+1] - t[_i])`.
//!
//! Each mechanism with a TABLE gets the settable global `usetable`
//! (NEURON's `usetable_<suffix>`), default 1.

use crate::diag::{Diagnostic, Span};
use crate::ir::{
    Expr, Field, FuncId, Function, Global, GlobalArray, GlobalId, LocalId, MathFn, Mechanism,
    Place, Stmt,
};

use super::construct::{
    Locals, add, branch, c, div, eq, ge, l, ld, le, lt, mul, ne, set, setl, sub, when,
};

struct TableSpec {
    outputs: Vec<Place>,
    depend: Vec<Place>,
    from: Expr,
    to: Expr,
    with: usize,
    span: Span,
}

fn take_table(body: &mut Vec<Stmt>) -> Option<TableSpec> {
    let pos = body.iter().position(|s| matches!(s, Stmt::Table { .. }))?;
    match body.remove(pos) {
        Stmt::Table {
            outputs,
            depend,
            from,
            to,
            with,
            span,
        } => Some(TableSpec {
            outputs,
            depend,
            from,
            to,
            with,
            span,
        }),
        _ => None,
    }
}

fn global(mech: &mut Mechanism, name: &str, default: f64, settable: bool) -> GlobalId {
    if let Some(i) = mech.globals.iter().position(|g| g.name == name) {
        return GlobalId::new(i);
    }
    mech.globals.push(Global {
        name: name.to_string(),
        default,
        unit: None,
        settable,
    });
    GlobalId::new(mech.globals.len() - 1)
}

fn array(mech: &mut Mechanism, name: String, len: usize) -> usize {
    mech.global_arrays.push(GlobalArray { name, len });
    mech.global_arrays.len() - 1
}

/// Expands array fields named without an index into their elements.
fn expand(outputs: &[Place], fields: &[Field]) -> Vec<Place> {
    let mut out = Vec::new();
    for p in outputs {
        match p {
            Place::Field(id, None) if fields.get(id.index()).is_some_and(|f| f.len > 1) => {
                let len = fields.get(id.index()).map_or(1, |f| f.len);
                for k in 0..len {
                    out.push(Place::Field(*id, Some(Box::new(c(k as f64)))));
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// Lowers every TABLE of `mech`'s functions.
pub fn lower(mech: &mut Mechanism, diags: &mut Vec<Diagnostic>) {
    for fi in 0..mech.functions.len() {
        let mut body = std::mem::take(&mut mech.functions[fi].body);
        let spec = take_table(&mut body);
        mech.functions[fi].body = body;
        if let Some(spec) = spec {
            lower_one(mech, FuncId::new(fi), spec, diags);
        }
    }
}

fn lower_one(mech: &mut Mechanism, fi: FuncId, spec: TableSpec, diags: &mut Vec<Diagnostic>) {
    let f = mech.functions[fi].clone();
    let is_function = f.returns_value;
    if f.params != 1 {
        diags.push(
            Diagnostic::error(
                "E0707",
                "a FUNCTION or PROCEDURE with a TABLE must have exactly one argument",
            )
            .with_primary(spec.span, "this TABLE"),
        );
        return;
    }
    if !is_function && spec.outputs.is_empty() {
        diags.push(
            Diagnostic::error(
                "E0707",
                "a TABLE in a PROCEDURE must name what it tabulates",
            )
            .with_primary(spec.span, "this TABLE")
            .with_help("write `TABLE var1, var2 FROM ... TO ... WITH ...`"),
        );
        return;
    }
    if spec.with == 0 {
        diags.push(
            Diagnostic::error("E0707", "a TABLE needs WITH at least 1")
                .with_primary(spec.span, "this TABLE"),
        );
        return;
    }
    let name = f.name.clone();
    let outputs = expand(&spec.outputs, &mech.fields);
    let n = spec.with;

    // the original body, renamed _f_name
    let direct = FuncId::new(mech.functions.len());
    mech.functions.push(Function {
        name: format!("_f_{name}"),
        ..f.clone()
    });

    let usetable = global(mech, "usetable", 1.0, true);
    let tmin = global(mech, &format!("_tmin_{name}"), 0.0, false);
    let mfac = global(mech, &format!("_mfac_{name}"), 0.0, false);
    let maktable = global(mech, &format!("_maktable_{name}"), 1.0, false);
    let saved: Vec<GlobalId> = (0..spec.depend.len())
        .map(|k| global(mech, &format!("_sav_{name}_{k}"), 0.0, false))
        .collect();
    let tables: Vec<usize> = if is_function {
        vec![array(mech, format!("_t_{name}"), n + 1)]
    } else {
        (0..outputs.len())
            .map(|k| array(mech, format!("_t_{name}_{k}"), n + 1))
            .collect()
    };

    let func = &mut mech.functions[fi];
    let mut locals = Locals::new(&mut func.locals);
    let arg = l(LocalId::new(0));
    let xi = locals.fresh("_xi");
    let ii = locals.fresh("_i");
    let theta = locals.fresh("_theta");
    let x = locals.fresh("_x");
    let dx = locals.fresh("_dx");
    let tmax = locals.fresh("_tmax");
    let g = |id: GlobalId| ld(&Place::Global(id));
    let gp = |id: GlobalId| Place::Global(id);
    let t_at = |t: usize, i: Expr| Place::GlobalArray(t, Box::new(i));

    // _check_name
    let mut build = vec![
        set(&gp(maktable), c(0.0)),
        set(&gp(tmin), spec.from.clone()),
        setl(tmax, spec.to.clone()),
        setl(dx, div(sub(l(tmax), g(tmin)), c(n as f64))),
        set(&gp(mfac), div(c(1.0), l(dx))),
        setl(ii, c(0.0)),
        setl(x, g(tmin)),
    ];
    let mut fill = Vec::new();
    if is_function {
        fill.push(set(&t_at(tables[0], l(ii)), Expr::Call(direct, vec![l(x)])));
    } else {
        fill.push(Stmt::Eval(Expr::Call(direct, vec![l(x)])));
        for (t, o) in tables.iter().zip(&outputs) {
            fill.push(set(&t_at(*t, l(ii)), ld(o)));
        }
    }
    fill.push(setl(x, add(l(x), l(dx))));
    fill.push(setl(ii, add(l(ii), c(1.0))));
    build.push(Stmt::While {
        cond: lt(l(ii), c((n + 1) as f64)),
        body: fill,
    });
    for (s, d) in saved.iter().zip(&spec.depend) {
        build.push(set(&gp(*s), ld(d)));
    }
    let mut check: Vec<Stmt> = saved
        .iter()
        .zip(&spec.depend)
        .map(|(s, d)| when(ne(g(*s), ld(d)), vec![set(&gp(maktable), c(1.0))]))
        .collect();
    check.push(when(ne(g(maktable), c(0.0)), build));
    let mut out = vec![when(ne(g(usetable), c(0.0)), check)];

    // _n_name
    let result = Place::Local(func.result);
    let assign_all = |v: &dyn Fn(usize) -> Expr| -> Vec<Stmt> {
        if is_function {
            vec![set(&result, v(tables[0]))]
        } else {
            tables
                .iter()
                .zip(&outputs)
                .map(|(t, o)| set(o, v(*t)))
                .collect()
        }
    };
    let call_direct = if is_function {
        vec![set(&result, Expr::Call(direct, vec![arg.clone()]))]
    } else {
        vec![Stmt::Eval(Expr::Call(direct, vec![arg.clone()]))]
    };
    let interpolate = {
        let mut s = vec![setl(ii, Expr::Math(MathFn::Floor, vec![l(xi)]))];
        s.push(setl(theta, sub(l(xi), l(ii))));
        s.extend(assign_all(&|t| {
            let lo = ld(&t_at(t, l(ii)));
            let hi = ld(&t_at(t, add(l(ii), c(1.0))));
            add(lo.clone(), mul(l(theta), sub(hi, lo)))
        }));
        s
    };
    let lookup = vec![
        setl(xi, mul(g(mfac), sub(arg.clone(), g(tmin)))),
        branch(
            ne(l(xi), l(xi)),
            assign_all(&|_| l(xi)),
            vec![branch(
                le(l(xi), c(0.0)),
                assign_all(&|t| ld(&t_at(t, c(0.0)))),
                vec![branch(
                    ge(l(xi), c(n as f64)),
                    assign_all(&|t| ld(&t_at(t, c(n as f64)))),
                    interpolate,
                )],
            )],
        ),
    ];
    out.push(branch(eq(g(usetable), c(0.0)), call_direct, lookup));
    func.body = out;
}
