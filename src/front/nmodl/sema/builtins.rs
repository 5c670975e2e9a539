//! Names NMODL code may use without declaring them: NEURON's variables,
//! the math and event functions, and the SOLVE methods with the blocks
//! each applies to.

use crate::front::nmodl::ast::SolvableKind;

/// How many arguments a built-in function takes: `min..=max`, no `max`
/// meaning any number from `min` up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    /// Fewest arguments accepted.
    pub min: usize,
    /// Most arguments accepted; `None` for variadic functions.
    pub max: Option<usize>,
}

impl Arity {
    /// Exactly `n` arguments.
    pub const fn exact(n: usize) -> Self {
        Arity {
            min: n,
            max: Some(n),
        }
    }

    /// Between `min` and `max` arguments.
    pub const fn range(min: usize, max: usize) -> Self {
        Arity {
            min,
            max: Some(max),
        }
    }

    /// At least `min` arguments.
    pub const fn at_least(min: usize) -> Self {
        Arity { min, max: None }
    }

    /// Whether `n` arguments are accepted.
    pub fn accepts(self, n: usize) -> bool {
        n >= self.min && self.max.is_none_or(|m| n <= m)
    }

    /// The fixed count, if there is exactly one.
    pub fn fixed(self) -> Option<usize> {
        match self.max {
            Some(m) if m == self.min => Some(m),
            _ => None,
        }
    }

    /// Human form: `2`, `1 or 2`, `1 to 3`, `at least 1`.
    pub fn describe(self) -> String {
        match self.max {
            Some(m) if m == self.min => m.to_string(),
            Some(m) if m == self.min + 1 => format!("{} or {}", self.min, m),
            Some(m) => format!("{} to {}", self.min, m),
            None => format!("at least {}", self.min),
        }
    }
}

/// A function available without declaration.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinFn {
    /// Its name.
    pub name: &'static str,
    /// Arguments it takes.
    pub arity: Arity,
    /// True when it returns nothing useful (an event or output procedure).
    pub procedure: bool,
}

const fn f(name: &'static str, arity: Arity) -> BuiltinFn {
    BuiltinFn {
        name,
        arity,
        procedure: false,
    }
}

const fn p(name: &'static str, arity: Arity) -> BuiltinFn {
    BuiltinFn {
        name,
        arity,
        procedure: true,
    }
}

/// Functions NMODL code may call without declaring them: C math, NEURON's
/// event and random-number functions, and the legacy SCoP library names
/// NEURON still accepts (their arities vary, so any count is accepted).
pub const FUNCTIONS: &[BuiltinFn] = &[
    // C math
    f("exp", Arity::exact(1)),
    f("log", Arity::exact(1)),
    f("log10", Arity::exact(1)),
    f("sqrt", Arity::exact(1)),
    f("fabs", Arity::exact(1)),
    f("pow", Arity::exact(2)),
    f("sin", Arity::exact(1)),
    f("cos", Arity::exact(1)),
    f("tan", Arity::exact(1)),
    f("asin", Arity::exact(1)),
    f("acos", Arity::exact(1)),
    f("atan", Arity::exact(1)),
    f("atan2", Arity::exact(2)),
    f("sinh", Arity::exact(1)),
    f("cosh", Arity::exact(1)),
    f("tanh", Arity::exact(1)),
    f("floor", Arity::exact(1)),
    f("ceil", Arity::exact(1)),
    f("fmod", Arity::exact(2)),
    f("erf", Arity::exact(1)),
    f("erfc", Arity::exact(1)),
    f("fmin", Arity::exact(2)),
    f("fmax", Arity::exact(2)),
    f("hypot", Arity::exact(2)),
    f("expm1", Arity::exact(1)),
    f("log1p", Arity::exact(1)),
    f("cbrt", Arity::exact(1)),
    f("round", Arity::exact(1)),
    // random numbers
    f("exprand", Arity::exact(1)),
    f("normrand", Arity::exact(2)),
    f("unirand", Arity::range(0, 2)),
    f("poisrand", Arity::exact(1)),
    f("scop_random", Arity::exact(0)),
    p("set_seed", Arity::exact(1)),
    p("setseed", Arity::exact(1)),
    f("random_setseq", Arity::exact(2)),
    f("random_setids", Arity::exact(4)),
    f("random_uniform", Arity::range(1, 3)),
    f("random_negexp", Arity::range(1, 2)),
    f("random_normal", Arity::range(1, 3)),
    f("random_ipick", Arity::range(1, 3)),
    f("random_dpick", Arity::exact(1)),
    f("nrn_random_play", Arity::exact(0)),
    // events and NEURON services
    p("net_send", Arity::exact(2)),
    p("net_event", Arity::exact(1)),
    p("net_move", Arity::exact(1)),
    f("at_time", Arity::exact(1)),
    p("state_discontinuity", Arity::exact(2)),
    f("nrn_ghk", Arity::exact(4)),
    f("nrn_pointing", Arity::exact(1)),
    p("printf", Arity::at_least(1)),
    f("first_time", Arity::at_least(0)),
    p("prterr", Arity::at_least(0)),
    f("factorial", Arity::exact(1)),
    // legacy SCoP library (any arity)
    f("error", Arity::at_least(0)),
    f("threshold", Arity::at_least(0)),
    f("force", Arity::at_least(0)),
    f("deflate", Arity::at_least(0)),
    f("expfit", Arity::at_least(0)),
    f("derivs", Arity::at_least(0)),
    f("spline", Arity::at_least(0)),
    f("hyperbol", Arity::at_least(0)),
    f("revhyperbol", Arity::at_least(0)),
    f("sigmoid", Arity::at_least(0)),
    f("revsigmoid", Arity::at_least(0)),
    f("harmonic", Arity::at_least(0)),
    f("squarewave", Arity::at_least(0)),
    f("sawtooth", Arity::at_least(0)),
    f("revsawtooth", Arity::at_least(0)),
    f("ramp", Arity::at_least(0)),
    f("pulse", Arity::at_least(0)),
    f("perpulse", Arity::at_least(0)),
    f("step", Arity::at_least(0)),
    f("perstep", Arity::at_least(0)),
    f("gauss", Arity::at_least(0)),
    f("poisson", Arity::at_least(0)),
    f("boundary", Arity::at_least(0)),
    f("romberg", Arity::at_least(0)),
    f("legendre", Arity::at_least(0)),
    f("invert", Arity::at_least(0)),
    f("stepforce", Arity::at_least(0)),
    f("schedule", Arity::at_least(0)),
];

/// Looks a built-in function up by name.
pub fn function(name: &str) -> Option<&'static BuiltinFn> {
    FUNCTIONS.iter().find(|b| b.name == name)
}

/// A variable NEURON provides without declaration.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinVar {
    /// Its name.
    pub name: &'static str,
    /// Its unit in NEURON.
    pub unit: &'static str,
    /// Only defined inside NET_RECEIVE (`flag`).
    pub net_receive_only: bool,
}

const fn var(name: &'static str, unit: &'static str) -> BuiltinVar {
    BuiltinVar {
        name,
        unit,
        net_receive_only: false,
    }
}

/// Variables NEURON provides to every mechanism.
pub const VARIABLES: &[BuiltinVar] = &[
    var("v", "mV"),
    var("t", "ms"),
    var("dt", "ms"),
    var("celsius", "degC"),
    var("diam", "um"),
    var("area", "um2"),
    var("pi", "1"),
    var("secondorder", "1"),
    // `f_flux`/`b_flux`: the forward/backward flux of the last reaction.
    var("f_flux", ""),
    var("b_flux", ""),
    BuiltinVar {
        name: "flag",
        unit: "1",
        net_receive_only: true,
    },
];

/// Looks a built-in variable up by name.
pub fn variable(name: &str) -> Option<&'static BuiltinVar> {
    VARIABLES.iter().find(|b| b.name == name)
}

/// The UNITS-block declaration of a physical constant that files often
/// use by its conventional name (`FARADAY`, `R`, `PI`, `e`).
pub fn physical_constant(name: &str) -> Option<&'static str> {
    match name {
        "FARADAY" => Some("FARADAY = (faraday) (coulomb)"),
        "R" => Some("R = (k-mole) (joule/degC)"),
        "PI" => Some("PI = (pi) (1)"),
        "e" => Some("e = (e) (coulomb)"),
        _ => None,
    }
}

/// A SOLVE method NEURON knows.
#[derive(Clone, Copy, Debug)]
pub struct Method {
    /// Its name.
    pub name: &'static str,
    /// The block kinds it integrates; empty for methods that apply to a
    /// PROCEDURE (`after_cvode`, `cvode_t`, `cvode_t_v`).
    pub blocks: &'static [SolvableKind],
    /// Whether nmc's solver implements it.
    pub supported: bool,
    /// Block kinds of `blocks` nmc's solver does not implement it for,
    /// though it does for the others.
    pub not_for: &'static [SolvableKind],
}

impl Method {
    /// Whether nmc implements the method for a block of `kind`.
    pub fn supports(&self, kind: Option<SolvableKind>) -> bool {
        self.supported && kind.is_none_or(|k| !self.not_for.contains(&k))
    }
}

use SolvableKind::{Derivative as D, Kinetic as K, Linear as L, NonLinear as N};

const fn m(name: &'static str, blocks: &'static [SolvableKind], supported: bool) -> Method {
    Method {
        name,
        blocks,
        supported,
        not_for: &[],
    }
}

/// Every method NEURON's translators accept.
pub const METHODS: &[Method] = &[
    m("cnexp", &[D], true),
    m("derivimplicit", &[D], true),
    m("euler", &[D, K], true),
    m("sparse", &[K], true),
    m("matexp", &[K], false),
    m("_advance", &[K], false),
    Method {
        not_for: &[K],
        ..m("runge", &[D, K], true)
    },
    m("adams", &[D, K], false),
    m("heun", &[D, K], false),
    m("gear", &[D, K], false),
    m("adrunge", &[D, K], false),
    m("adeuler", &[D, K], false),
    m("clsoda", &[D, K], false),
    m("newton", &[N], false),
    m("simplex", &[N], false),
    m("simeq", &[L], false),
    m("seidel", &[L], false),
    m("after_cvode", &[], true),
    m("cvode_t", &[], true),
    m("cvode_t_v", &[], true),
];

/// Looks a method up by name.
pub fn method(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}

/// NMODL's spelling of a block kind.
pub fn solvable_keyword(kind: SolvableKind) -> &'static str {
    match kind {
        SolvableKind::Derivative => "DERIVATIVE",
        SolvableKind::Kinetic => "KINETIC",
        SolvableKind::Linear => "LINEAR",
        SolvableKind::NonLinear => "NONLINEAR",
        SolvableKind::Discrete => "DISCRETE",
    }
}

/// Names of the methods nmc implements for `kind`, for help lines.
pub fn supported_for(kind: SolvableKind) -> Vec<&'static str> {
    METHODS
        .iter()
        .filter(|m| m.supports(Some(kind)) && m.blocks.contains(&kind))
        .map(|m| m.name)
        .collect()
}
