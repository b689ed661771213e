//! Inlining of helper calls ([`inline_helpers`]) and removal of helpers no kernel
//! calls any more ([`drop_unused_helpers`]).
//!
//! # Contract
//! - Every `call` in the function whose callee is a helper of `callees` is replaced by
//!   a copy of the callee's body: parameters become the call's arguments, the final
//!   `return`'s values replace the call's results. Calls inside the copied body are
//!   inlined in turn, so after the pass the function has no calls left (unless the
//!   size budget [`MAX_INLINED_INSTS`] runs out; then the remaining calls stay, which
//!   is still valid IR).
//! - Bit-exact by construction: the interpreter runs a call as exactly this sequence of
//!   instructions (see `ir/src/interp/control.rs`), and copied instructions keep the
//!   helper's source locations, so a runtime error names the same line as before.
//! - Relies on verifier invariant S4: a `return` only ends a function body, so a
//!   helper's only `return` is its last instruction (the front end turns early
//!   `return`s inside `if`s into `yield`s of the `if`'s results). A helper breaking
//!   this shape is not inlined.
//! - Helpers are non-recursive (verifier M2), so inlining terminates.

use std::collections::HashMap;

use tessera_ir::{Block, BlockData, Function, FunctionKind, Inst, Module, Op, Value};

use super::util::{count_ops, placed_insts, remap_blocks, Substitution};

/// Most instructions inlining may add to one function; beyond it calls are kept, so a
/// chain of helpers each calling the next twice cannot grow a kernel exponentially.
pub const MAX_INLINED_INSTS: usize = 1 << 20;

/// Inlines every helper call of `func` (see the module docs); `callees` holds the
/// helpers (usually the module `func` belongs to, before optimization). Returns the
/// number of calls inlined.
pub fn inline_helpers(func: &mut Function, callees: &Module) -> usize {
    let mut subst = Substitution::default();
    let mut budget = MAX_INLINED_INSTS;
    let mut inlined = 0;
    let mut stack = vec![func.body];
    while let Some(block) = stack.pop() {
        let mut index = 0;
        while index < func.blocks[block].insts.len() {
            let inst = func.blocks[block].insts[index];
            if let Some(helper) = inlinable_callee(func, inst, callees) {
                let size = count_ops(helper);
                if let Some(body) =
                    (size <= budget).then(|| copy_body(func, inst, helper, &mut subst)).flatten()
                {
                    budget -= size;
                    func.blocks[block].insts.splice(index..=index, body);
                    inlined += 1;
                    // Re-examine the first copied instruction: it may be a call too.
                    continue;
                }
            }
            stack.extend(func.insts[inst].op.blocks());
            index += 1;
        }
    }
    subst.apply(func);
    inlined
}

/// Removes the helpers of `module` that no kernel reaches through calls. Returns how
/// many were removed. A module without kernels keeps its helpers.
pub fn drop_unused_helpers(module: &mut Module) -> usize {
    if module.kernels().next().is_none() {
        return 0;
    }
    let mut reached: Vec<String> = Vec::new();
    let mut stack: Vec<&Function> = module.kernels().collect();
    while let Some(func) = stack.pop() {
        for inst in placed_insts(func) {
            let Op::Call { callee, .. } = &func.insts[inst].op else { continue };
            if reached.contains(callee) {
                continue;
            }
            reached.push(callee.clone());
            stack.extend(module.function(callee));
        }
    }
    let before = module.functions.len();
    module.functions.retain(|f| f.kind == FunctionKind::Kernel || reached.contains(&f.name));
    before - module.functions.len()
}

/// The helper `inst` calls, when it is a call of a helper of `callees` with the shape
/// inlining relies on (one `return`, ending the body, with the call's result count).
fn inlinable_callee<'m>(func: &Function, inst: Inst, callees: &'m Module) -> Option<&'m Function> {
    let Op::Call { callee, args } = &func.insts[inst].op else { return None };
    let helper = callees.function(callee).filter(|f| f.kind == FunctionKind::Helper)?;
    let body = &helper.blocks[helper.body];
    let last = *body.insts.last()?;
    let Op::Return { values } = &helper.insts[last].op else { return None };
    let returns = placed_insts(helper)
        .into_iter()
        .filter(|&i| matches!(helper.insts[i].op, Op::Return { .. }))
        .count();
    let shape_ok = returns == 1
        && values.len() == func.insts[inst].results.len()
        && body.args.len() == args.len();
    shape_ok.then_some(helper)
}

/// Copies the body of `helper` into `func` for the call `call` and returns the copied
/// top-level instructions (without the `return`), recording in `subst` that the call's
/// results are the returned values. `None` when the shapes do not fit (never after
/// [`inlinable_callee`]).
fn copy_body(
    func: &mut Function,
    call: Inst,
    helper: &Function,
    subst: &mut Substitution,
) -> Option<Vec<Inst>> {
    let Op::Call { args, .. } = &func.insts[call].op else { return None };
    let args = args.clone();
    let results = func.insts[call].results.clone();
    let (last, rest) = helper.blocks[helper.body].insts.split_last()?;
    let Op::Return { values: returned } = &helper.insts[*last].op else { return None };
    let mut copier = Copier { helper, func, values: HashMap::new() };
    for (&param, &arg) in helper.blocks[helper.body].args.iter().zip(&args) {
        copier.values.insert(param, subst.resolve(arg));
    }
    let copied: Vec<Inst> = rest.iter().map(|&inst| copier.copy_inst(inst)).collect();
    for (result, &value) in results.into_iter().zip(returned) {
        subst.insert(result, copier.map(value));
    }
    Some(copied)
}

/// Helper-to-caller value mapping while one call is copied.
struct Copier<'a> {
    helper: &'a Function,
    func: &'a mut Function,
    values: HashMap<Value, Value>,
}

impl Copier<'_> {
    fn map(&self, value: Value) -> Value {
        self.values.get(&value).copied().unwrap_or(value)
    }

    /// Copies one helper instruction (and the blocks it owns) into `func`, unplaced.
    fn copy_inst(&mut self, inst: Inst) -> Inst {
        let data = &self.helper.insts[inst];
        let mut op = data.op.clone();
        op.map_operands(|value| self.map(value));
        let owned: Vec<(Block, Block)> =
            op.blocks().into_iter().map(|old| (old, self.copy_block_args(old))).collect();
        remap_blocks(&mut op, &owned);
        let types = data.results.iter().map(|&r| self.helper.value_type(r).clone()).collect();
        let new_inst = self.func.create_inst(op, types, self.helper.loc(inst));
        for (&old, &new) in data.results.iter().zip(&self.func.insts[new_inst].results) {
            self.values.insert(old, new);
        }
        for (old, new) in owned {
            let insts: Vec<Inst> =
                self.helper.blocks[old].insts.iter().map(|&i| self.copy_inst(i)).collect();
            self.func.blocks[new].insts = insts;
        }
        new_inst
    }

    /// A new block of `func` with copies of the arguments of the helper's `old`.
    fn copy_block_args(&mut self, old: Block) -> Block {
        let block = self.func.blocks.push(BlockData::default());
        for &arg in &self.helper.blocks[old].args {
            let new_arg = self.func.append_block_arg(block, self.helper.value_type(arg).clone());
            self.values.insert(arg, new_arg);
        }
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::testing::{assert_pass_output, check_pass_on_corpus};
    use tessera_ir::{parse_module, print_module, verify_module};

    const NESTED: &str = "kernel @k(%0 \"x\": ptr<f32>, %1 \"c\": i32) {
  %2 = load %0 : f32 @18:13
  %3 = call @pick(%2, %1) : f32
  store %0, %3 @19:5
  call @early(%0, %1)
  return
}

fn @pick(%0 \"x\": f32, %1 \"c\": i32) -> (f32) {
  %2 = const 0 : i32
  %3 = cmp gt %1, %2 : bool
  %4 = if %3 {
    %5 = call @twice(%0) : f32
    yield %5
  } else {
    yield %0
  } : f32
  return %4
}

fn @twice(%0 \"x\": f32) -> (f32) {
  %1 = add %0, %0 : f32
  return %1
}

fn @early(%0 \"p\": ptr<f32>, %1 \"c\": i32) -> () {
  %2 = const 0 : i32
  %3 = cmp gt %1, %2 : bool
  if %3 {
    yield
  } else {
    %4 = const 1.0 : f32
    store %0, %4 @15:5
    yield
  }
  return
}
";

    #[test]
    fn inlines_nested_calls_and_drops_the_helpers() {
        let mut module = parse_module(NESTED).expect("parses");
        let callees = module.clone();
        let inlined = inline_helpers(&mut module.functions[0], &callees);
        assert_eq!(inlined, 3);
        assert_eq!(drop_unused_helpers(&mut module), 3);
        verify_module(&module).expect("verifies");
        let expected = "kernel @k(%0 \"x\": ptr<f32>, %1 \"c\": i32) {
  %2 = load %0 : f32 @18:13
  %3 = const 0 : i32
  %4 = cmp gt %1, %3 : bool
  %5 = if %4 {
    %6 = add %2, %2 : f32
    yield %6
  } else {
    yield %2
  } : f32
  store %0, %5 @19:5
  %7 = const 0 : i32
  %8 = cmp gt %1, %7 : bool
  if %8 {
    yield
  } else {
    %9 = const 1.0 : f32
    store %0, %9 @15:5
    yield
  }
  return
}
";
        assert_eq!(print_module(&module), expected);
    }

    #[test]
    fn keeps_helpers_of_a_module_without_kernels() {
        let text = "fn @id(%0 \"x\": f32) -> (f32) {\n  return %0\n}\n";
        let mut module = parse_module(text).expect("parses");
        assert_eq!(drop_unused_helpers(&mut module), 0);
        assert_eq!(module.functions.len(), 1);
    }

    #[test]
    fn a_helper_returning_its_parameter_forwards_the_argument() {
        let text = "kernel @k(%0 \"x\": ptr<f32>) {
  %1 = load %0 : f32 @1:1
  %2 = call @id(%1) : f32
  store %0, %2 @2:1
  return
}

fn @id(%0 \"x\": f32) -> (f32) {
  return %0
}
";
        let expected = "kernel @k(%0 \"x\": ptr<f32>) {
  %1 = load %0 : f32 @1:1
  store %0, %1 @2:1
  return
}
";
        assert_pass_output(text, expected, |func, callees| {
            inline_helpers(func, callees);
        });
    }

    #[test]
    fn inlining_preserves_every_corpus_kernel() {
        check_pass_on_corpus("inline", |func, callees| {
            inline_helpers(func, callees);
            let calls = placed_insts(func)
                .into_iter()
                .filter(|&i| matches!(func.insts[i].op, Op::Call { .. }))
                .count();
            assert_eq!(calls, 0, "{}: calls left after inlining", func.name);
        });
    }
}
