//! Peephole clean-up of the control core's code after lowering: removes `s_op`s whose
//! register no command reads (program ids or address terms a kernel never uses; an
//! `s_op` has no effect besides its register — integer division by zero is defined and
//! a read of a CB only waits for it), removes jumps to the next command, folds a branch
//! over a jump, renumbers branch targets, and renumbers registers densely.

use std::collections::HashSet;

use super::pack::for_each_operand;
use std::collections::HashMap;

use crate::program::{Command, Op, Operand, Reg};

/// Renumbers registers densely in order of first appearance; returns the count.
pub(super) fn renumber_registers(code: &mut [Command]) -> u32 {
    let mut map: HashMap<Reg, Reg> = HashMap::new();
    let rename = |r: &mut Reg, map: &mut HashMap<Reg, Reg>| {
        let n = map.len() as u32;
        *r = *map.entry(*r).or_insert(Reg(n));
    };
    for c in code.iter_mut() {
        for_each_operand(&mut c.op, &mut |o| {
            if let Operand::Reg(r) = o {
                rename(r, &mut map);
            }
        });
        if let Op::Scalar { dst, .. } = &mut c.op {
            rename(dst, &mut map);
        }
    }
    map.len() as u32
}

/// Simplifies the command stream until nothing changes: drops unread `s_op`s, jumps
/// to the next command, and turns `brz c, L; jmp T` where `L` is right after the jump
/// into `br c, T`.
pub(super) fn simplify(mut code: Vec<Command>) -> Vec<Command> {
    loop {
        let mut read: HashSet<Reg> = HashSet::new();
        for c in &mut code {
            for_each_operand(&mut c.op, &mut |o| {
                if let Operand::Reg(r) = o {
                    read.insert(*r);
                }
            });
        }
        let mut dead: Vec<bool> = Vec::with_capacity(code.len());
        for (i, c) in code.iter().enumerate() {
            let unread = matches!(&c.op, Op::Scalar { dst, .. } if !read.contains(dst));
            let to_next = matches!(c.op, Op::Jump { target } if target as usize == i + 1);
            dead.push((unread || to_next) && c.token.is_none());
        }
        // A conditional branch over an unconditional jump.
        for i in 0..code.len().saturating_sub(1) {
            if dead[i] || dead[i + 1] || code[i].token.is_some() || code[i + 1].token.is_some() {
                continue;
            }
            if let (Op::Branch { cond, when, target }, Op::Jump { target: far }) =
                (&code[i].op, &code[i + 1].op)
            {
                if *target as usize == i + 2 {
                    let (cond, when, far) = (*cond, !*when, *far);
                    code[i].op = Op::Branch { cond, when, target: far };
                    dead[i + 1] = true;
                }
            }
        }
        if !dead.iter().any(|&d| d) {
            return code;
        }
        code = remove(code, &dead);
    }
}

/// Removes the commands marked `dead`, renumbering branch targets (a target that was
/// removed becomes the next kept command).
fn remove(code: Vec<Command>, dead: &[bool]) -> Vec<Command> {
    let mut new_index = Vec::with_capacity(code.len() + 1);
    let mut kept = 0u32;
    for &d in dead {
        new_index.push(kept);
        if !d {
            kept += 1;
        }
    }
    new_index.push(kept);
    let mut out = Vec::with_capacity(kept as usize);
    for (mut c, &d) in code.into_iter().zip(dead) {
        if d {
            continue;
        }
        if let Op::Jump { target } | Op::Branch { target, .. } = &mut c.op {
            *target = new_index.get(*target as usize).copied().unwrap_or(kept);
        }
        out.push(c);
    }
    out
}
