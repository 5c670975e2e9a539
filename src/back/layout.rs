//! Where every value of a mechanism lives in the kernel ABI: column slots
//! of fields, ion variable slots and printf format ids. Both back ends use
//! the same [`Layout`], so the engine fills one argument block for either.

use crate::ir::{Expr, Field, FieldId, IdVec, IonId, Mechanism, Place, Stmt};

/// Column slots, ion slots and printf formats of one mechanism.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// First column of each field (`Mechanism::fields` order); an array
    /// field `x[n]` takes columns `slot..slot + n`.
    pub field_slot: IdVec<FieldId, usize>,
    /// Total number of columns.
    pub columns: usize,
    /// Ion variables in slot order: `(ion index, variable name)`. The ions'
    /// READ variables come first, then WRITE ones, then any other ion
    /// variable a kernel mentions (e.g. `dinadv`), in order of appearance.
    pub ion_vars: Vec<(IonId, String)>,
    /// Format strings of `printf` statements; a statement's id is the index
    /// of its format here (kernels first, then functions, in source order).
    pub formats: Vec<String>,
    /// Largest NET_RECEIVE argument index used plus one.
    pub net_args: usize,
}

impl Layout {
    /// Computes the layout of `mech`.
    pub fn of(mech: &Mechanism) -> Layout {
        let mut field_slot = IdVec::with_capacity(mech.fields.len());
        let mut columns = 0;
        for field in &mech.fields {
            field_slot.push(columns);
            columns += field.len.max(1);
        }
        let mut layout = Layout {
            field_slot,
            columns,
            ion_vars: Vec::new(),
            formats: Vec::new(),
            net_args: mech.net_receive_args.len(),
        };
        for (ion, usage) in mech.ions.iter().enumerate() {
            for name in usage.read.iter().chain(&usage.write) {
                layout.add_ion_var(IonId::new(ion), name);
            }
        }
        for kernel in &mech.kernels {
            layout.scan_body(&kernel.body);
        }
        for function in &mech.functions {
            layout.scan_body(&function.body);
        }
        for watch in &mech.watches {
            layout.scan_expr(watch);
        }
        layout
    }

    /// The slot of ion variable `name` of ion `ion`, if the layout has it.
    pub fn ion_slot(&self, ion: IonId, name: &str) -> Option<usize> {
        self.ion_vars
            .iter()
            .position(|(i, n)| *i == ion && n == name)
    }

    /// The id of a printf format string, if some statement prints it.
    pub fn format_id(&self, format: &str) -> Option<usize> {
        self.formats.iter().position(|f| f == format)
    }

    /// Column of element `index` of `field` (clamped into the array).
    pub fn column(&self, field: FieldId, fields: &[Field], index: usize) -> Option<usize> {
        let slot = *self.field_slot.get(field)?;
        let len = fields.get(field.index())?.len.max(1);
        Some(slot + index.min(len - 1))
    }

    fn add_ion_var(&mut self, ion: IonId, name: &str) {
        if self.ion_slot(ion, name).is_none() {
            self.ion_vars.push((ion, name.to_string()));
        }
    }

    fn scan_body(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.scan_stmt(stmt);
        }
    }

    fn scan_stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Assign(place, value) | Stmt::Accumulate(place, value) => {
                self.scan_place(place);
                self.scan_expr(value);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                self.scan_expr(cond);
                self.scan_body(then);
                self.scan_body(otherwise);
            }
            Stmt::While { cond, body } => {
                self.scan_expr(cond);
                self.scan_body(body);
            }
            Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => self.scan_expr(e),
            Stmt::NetSend { delay, flag } => {
                self.scan_expr(delay);
                self.scan_expr(flag);
            }
            Stmt::WatchOn { flag, .. } => self.scan_expr(flag),
            Stmt::Print { format, args } => {
                if self.format_id(format).is_none() {
                    self.formats.push(format.clone());
                }
                for arg in args {
                    self.scan_expr(arg);
                }
            }
            Stmt::Return
            | Stmt::Equation { .. }
            | Stmt::Solve { .. }
            | Stmt::Table { .. }
            | Stmt::Ode { .. }
            | Stmt::Reaction(_)
            | Stmt::Conserve { .. } => {}
        }
    }

    fn scan_place(&mut self, place: &Place) {
        match place {
            Place::Field(_, Some(index)) | Place::GlobalArray(_, index) => self.scan_expr(index),
            Place::Ion(ion, name) => self.add_ion_var(*ion, name),
            Place::NetArg(k) => self.net_args = self.net_args.max(k + 1),
            Place::Field(_, None)
            | Place::Global(_)
            | Place::Local(_)
            | Place::Node(_)
            | Place::Shared(_) => {}
        }
    }

    fn scan_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Const(_) => {}
            Expr::Load(place) => self.scan_place(place),
            Expr::Unary(_, a) => self.scan_expr(a),
            Expr::Binary(_, a, b) => {
                self.scan_expr(a);
                self.scan_expr(b);
            }
            Expr::Math(_, args)
            | Expr::Call(_, args)
            | Expr::Builtin(_, args)
            | Expr::FunctionTable(_, args) => {
                for arg in args {
                    self.scan_expr(arg);
                }
            }
        }
    }
}
