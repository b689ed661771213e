//! The per-function lowering state and its emitting primitives: instructions with
//! source locations, constants, and explicit broadcasting.

use crate::ast::{Ast, ExprId, Span};
use crate::diag::Diagnostic;
use crate::sema::consts::{to_ir_constant, ConstVal, Cv};
use crate::sema::scope::BindingId;
use crate::sema::ty::Elem;
use crate::sema::typed::{Instance, InstanceId, InstanceKind, Program};
use tessera_ir::{Block, Function, FunctionKind, Inst, Loc, Op, ScalarType, Type, Value};

/// Maps byte offsets to 1-based line and column (in characters).
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let starts =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// The location of byte `offset`.
    pub fn loc(&self, offset: u32) -> Loc {
        let offset = (offset as usize).min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        Loc { line: line as u32, col: col as u32 + 1 }
    }
}

/// Lowering state of one function instance.
pub struct FnLower<'a> {
    pub ast: &'a Ast,
    lines: &'a LineIndex<'a>,
    pub program: &'a Program,
    pub inst: &'a Instance,
    pub func: Function,
    /// The block instructions are appended to.
    pub block: Block,
    /// The current SSA value of each binding (`None` for constants, which are emitted
    /// where they are used).
    pub values: Vec<Option<Value>>,
    /// Statements that may still be lowered (early returns duplicate code).
    pub budget: usize,
    pub diags: Vec<Diagnostic>,
}

/// How many statements one function may lower to, counting the copies early returns
/// make, before lowering gives up with an error.
pub const STATEMENT_BUDGET: usize = 200_000;

impl<'a> FnLower<'a> {
    /// Prepares to lower instance `id`.
    pub fn new(
        ast: &'a Ast,
        lines: &'a LineIndex<'a>,
        program: &'a Program,
        id: InstanceId,
    ) -> FnLower<'a> {
        let inst = program.instance(id);
        let kind = match inst.kind {
            InstanceKind::Kernel => FunctionKind::Kernel,
            InstanceKind::Helper => FunctionKind::Helper,
        };
        let params: Vec<(String, Type)> = inst
            .runtime_params
            .iter()
            .map(|b| {
                let binding = &inst.bindings[b.0 as usize];
                let ty = binding.ty.to_ir().unwrap_or_else(|| Type::scalar(ScalarType::I32));
                (binding.name.clone(), ty)
            })
            .collect();
        let mut func = Function::new(&inst.name, kind, &params);
        func.specialization = inst.specialization.clone();
        func.result_types = inst.result.iter().filter_map(|t| t.to_ir()).collect();
        let mut values = vec![None; inst.bindings.len()];
        for (b, &param) in inst.runtime_params.iter().zip(func.params()) {
            values[b.0 as usize] = Some(param);
        }
        let block = func.body;
        FnLower {
            ast,
            lines,
            program,
            inst,
            func,
            block,
            values,
            budget: STATEMENT_BUDGET,
            diags: Vec::new(),
        }
    }

    /// Lowers the whole body.
    pub fn lower(mut self) -> Result<Function, Vec<Diagnostic>> {
        let decl = self.ast.items[self.inst.item].decl();
        let results = self.tail(vec![&decl.body.stmts[..]]);
        let end = Span { start: decl.body.span.end.saturating_sub(1), end: decl.body.span.end };
        self.emit(Op::Return { values: results }, Vec::new(), end);
        if self.diags.is_empty() {
            Ok(self.func)
        } else {
            Err(self.diags)
        }
    }

    /// The source location of `span`.
    pub fn loc(&self, span: Span) -> Loc {
        self.lines.loc(span.start)
    }

    /// The source text of `span`, on one line.
    pub fn source(&self, span: Span) -> String {
        let text = self.lines.text.get(span.range()).unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Appends an instruction to the current block.
    pub fn emit(&mut self, op: Op, result_types: Vec<Type>, span: Span) -> Inst {
        let loc = self.loc(span);
        self.func.append_inst(self.block, op, result_types, loc)
    }

    /// Appends an instruction with one result and returns it.
    pub fn emit1(&mut self, op: Op, ty: Type, span: Span) -> Value {
        let inst = self.emit(op, vec![ty], span);
        self.func.insts[inst].results[0]
    }

    /// The IR type of a value.
    pub fn ty(&self, value: Value) -> Type {
        self.func.value_type(value).clone()
    }

    /// The IR type the checker gave `expr`.
    pub fn expr_type(&mut self, expr: ExprId) -> Type {
        match self.inst.val(expr).ty.to_ir() {
            Some(ty) => ty,
            None => {
                let span = self.ast.expr_span(expr);
                self.internal(span, "an expression without a concrete type reached lowering");
                Type::scalar(ScalarType::I32)
            }
        }
    }

    /// A scalar constant.
    pub fn constant(&mut self, value: ConstVal, ty: ScalarType, span: Span) -> Value {
        self.emit1(Op::Const { value: to_ir_constant(value, ty) }, Type::scalar(ty), span)
    }

    /// The constant value of `expr`, if the checker found one.
    pub fn const_of(&self, expr: ExprId) -> Option<ConstVal> {
        match self.inst.exprs.get(&expr).and_then(|v| v.cv) {
            Some(Cv::Known(v)) => Some(v),
            Some(Cv::Unknown) | None => None,
        }
    }

    /// Emits the constant `expr` with the type its context gave it.
    pub fn const_expr(&mut self, expr: ExprId, value: ConstVal) -> Value {
        let span = self.ast.expr_span(expr);
        let ty = match self.inst.val(expr).ty.elem {
            Elem::Scalar(s) => s,
            Elem::IntLit => self.inst.coerced.get(&expr).copied().unwrap_or(ScalarType::I32),
            Elem::FloatLit => self.inst.coerced.get(&expr).copied().unwrap_or(ScalarType::F32),
            Elem::Ptr(_) | Elem::Void | Elem::Error => {
                self.internal(span, "a constant of non-scalar type reached lowering");
                ScalarType::I32
            }
        };
        self.constant(value, ty, span)
    }

    /// Broadcasts `value` to `shape`: `splat` for scalars, leading `expand_dims` for
    /// lower ranks, then `broadcast` for size-1 dimensions.
    pub fn broadcast(&mut self, value: Value, shape: &[u32], span: Span) -> Value {
        let ty = self.ty(value);
        if ty.shape == shape {
            return value;
        }
        if ty.shape.is_empty() {
            return self.emit1(Op::Splat { value }, ty.with_shape(shape.to_vec()), span);
        }
        let mut current = value;
        let mut current_shape = ty.shape.clone();
        while current_shape.len() < shape.len() {
            current_shape.insert(0, 1);
            current = self.emit1(
                Op::ExpandDims { arg: current, axis: 0 },
                ty.with_shape(current_shape.clone()),
                span,
            );
        }
        if current_shape != shape {
            current =
                self.emit1(Op::Broadcast { arg: current }, ty.with_shape(shape.to_vec()), span);
        }
        current
    }

    /// The current value of a binding.
    pub fn binding_value(&mut self, binding: BindingId, span: Span) -> Value {
        match self.values.get(binding.0 as usize).copied().flatten() {
            Some(v) => v,
            None => {
                self.internal(span, "a variable without a value reached lowering");
                self.constant(ConstVal::Int(0), ScalarType::I32, span)
            }
        }
    }

    /// Records a compiler bug as a diagnostic (lowering never panics).
    pub fn internal(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::error(
                "E0499",
                format!("internal compiler error: {what}"),
                span,
                "while lowering this",
            )
            .with_help("this is a bug in the Tessera front end; please report it with this file"),
        );
    }
}

/// The NumPy broadcast of IR shapes already known to be compatible.
pub fn broadcast_ir_shapes(shapes: &[&[u32]]) -> Vec<u32> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1u32; rank];
    for shape in shapes {
        let offset = rank - shape.len();
        for (i, &d) in shape.iter().enumerate() {
            if d != 1 {
                out[offset + i] = d;
            }
        }
    }
    out
}
