//! Functions nocmodl takes from NEURON's C library, written out in IR so
//! the back ends need nothing extra: `nrn_ghk(v, ci, co, z)`, the
//! Goldman-Hodgkin-Katz current density (mA/cm2 per cm/s of permeability)
//! with NEURON's CODATA 2018 constants and its `efun` near zero; and
//! `nrn_pointing(p)`, read from a per-instance flag the engine sets to 1
//! when it binds the POINTER `p` (0 until then, like an unset POINTER).

use super::layout::Context;
use crate::ir::{
    BinOp, Expr, FieldId, FieldKind, FuncId, Function, LocalId, MathFn, Place, SharedVar, Stmt,
};
use crate::units::{FARADAY, GAS_CONSTANT};

fn load(l: LocalId) -> Expr {
    Expr::Load(Place::Local(l))
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

fn c(x: f64) -> Expr {
    Expr::Const(x)
}

/// `out = efun(x)`: x/(exp(x) - 1), or 1 - x/2 when |x| < 1e-4.
fn efun(x: Expr, out: LocalId) -> Stmt {
    Stmt::If {
        cond: bin(
            BinOp::Lt,
            Expr::Math(MathFn::Fabs, vec![x.clone()]),
            c(1e-4),
        ),
        then: vec![Stmt::Assign(
            Place::Local(out),
            bin(BinOp::Sub, c(1.0), bin(BinOp::Div, x.clone(), c(2.0))),
        )],
        otherwise: vec![Stmt::Assign(
            Place::Local(out),
            bin(
                BinOp::Div,
                x.clone(),
                bin(BinOp::Sub, Expr::Math(MathFn::Exp, vec![x]), c(1.0)),
            ),
        )],
    }
}

impl Context<'_> {
    /// The field `nrn_pointing_<p>` that tells whether POINTER field `p` is
    /// bound (1) or not (0), adding it on first use.
    pub fn pointing_flag(&mut self, pointer: FieldId) -> FieldId {
        let name = format!(
            "nrn_pointing_{}",
            self.mech.field(pointer).map_or("", |f| f.name.as_str())
        );
        if let Some(id) = self.mech.field_id(&name) {
            return id;
        }
        self.add_field(&name, FieldKind::Assigned, None, 0.0, 1, false)
    }

    /// The id of the synthesized `nrn_ghk`, adding it on first use.
    pub fn synth_ghk(&mut self) -> FuncId {
        if let Some(&f) = self.funcs.get("nrn_ghk") {
            return f;
        }
        let [v, ci, co, z, temp, e1, e2, result] = [0, 1, 2, 3, 4, 5, 6, 7].map(LocalId::new);
        let locals = ["v", "ci", "co", "z", "temp", "efun_o", "efun_i", "nrn_ghk"];
        // ktf = 1000 R (celsius + 273.15) / F, in mV.
        let ktf = bin(
            BinOp::Div,
            bin(
                BinOp::Mul,
                c(1000.0 * GAS_CONSTANT),
                bin(
                    BinOp::Add,
                    Expr::Load(Place::Shared(SharedVar::Celsius)),
                    c(273.15),
                ),
            ),
            c(FARADAY),
        );
        let body = vec![
            Stmt::Assign(
                Place::Local(temp),
                bin(BinOp::Div, bin(BinOp::Mul, load(z), load(v)), ktf),
            ),
            efun(load(temp), e1),
            efun(Expr::Unary(crate::ir::UnOp::Neg, Box::new(load(temp))), e2),
            Stmt::Assign(
                Place::Local(result),
                bin(
                    BinOp::Mul,
                    bin(BinOp::Mul, bin(BinOp::Mul, c(0.001), load(z)), c(FARADAY)),
                    bin(
                        BinOp::Sub,
                        bin(BinOp::Mul, load(ci), load(e2)),
                        bin(BinOp::Mul, load(co), load(e1)),
                    ),
                ),
            ),
        ];
        let id = FuncId::new(self.mech.functions.len());
        self.mech.functions.push(Function {
            name: "nrn_ghk".into(),
            params: 4,
            locals: locals.iter().map(|s| s.to_string()).collect(),
            result,
            body,
            returns_value: true,
        });
        self.funcs.insert("nrn_ghk".into(), id);
        id
    }
}
