//! Helper recursion: the call graph between helpers and its cycles.
//!
//! Helpers are inlined (instantiated per call), so a cycle of calls can never be
//! compiled. Each strongly connected component with a cycle is reported once, with the
//! shortest cycle through its first helper spelled out and each call labelled.

use super::builtins::Builtin;
use super::walk::calls_in_block;
use crate::ast::{Ast, Span};
use crate::diag::Diagnostic;
use std::collections::{HashMap, HashSet, VecDeque};

/// Finds helper call cycles; reports each once and returns the helpers on them.
pub fn find_recursion(
    ast: &Ast,
    helpers: &HashMap<String, usize>,
    diags: &mut Vec<Diagnostic>,
) -> HashSet<usize> {
    let n = ast.items.len();
    let mut edges: Vec<Vec<(usize, Span)>> = vec![Vec::new(); n];
    for &item in helpers.values() {
        let mut calls = Vec::new();
        calls_in_block(ast, &ast.items[item].decl().body, &mut calls);
        for callee in calls {
            if Builtin::from_name(&callee.name).is_some() {
                continue;
            }
            if let Some(&target) = helpers.get(&callee.name) {
                edges[item].push((target, callee.span));
            }
        }
    }
    let components = strongly_connected(&edges);
    let mut recursive = HashSet::new();
    let mut cyclic: Vec<Vec<usize>> = components
        .into_iter()
        .filter(|c| c.len() > 1 || edges[c[0]].iter().any(|(t, _)| *t == c[0]))
        .collect();
    for component in &mut cyclic {
        component.sort_unstable();
    }
    cyclic.sort();
    for component in cyclic {
        recursive.extend(component.iter().copied());
        report_cycle(ast, &edges, &component, diags);
    }
    recursive
}

fn report_cycle(
    ast: &Ast,
    edges: &[Vec<(usize, Span)>],
    component: &[usize],
    diags: &mut Vec<Diagnostic>,
) {
    let start = component[0];
    let members: HashSet<usize> = component.iter().copied().collect();
    // Breadth-first search for the shortest path from `start` back to itself.
    let mut parent: HashMap<usize, (usize, Span)> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut closing: Option<(usize, Span)> = None;
    while let Some(node) = queue.pop_front() {
        for &(target, span) in &edges[node] {
            if !members.contains(&target) {
                continue;
            }
            if target == start {
                closing = Some((node, span));
                break;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(target) {
                slot.insert((node, span));
                queue.push_back(target);
            }
        }
        if closing.is_some() {
            break;
        }
    }
    let Some((last, last_span)) = closing else { return };
    let mut path = vec![(last, last_span)];
    let mut node = last;
    while node != start {
        let Some(&(prev, span)) = parent.get(&node) else { break };
        path.push((prev, span));
        node = prev;
    }
    path.reverse();
    let name = |i: usize| ast.items[i].decl().name.name.clone();
    let mut chain: Vec<String> = path.iter().map(|(i, _)| name(*i)).collect();
    chain.push(name(start));
    let decl = ast.items[start].decl();
    let mut diag = Diagnostic::error(
        "E0107",
        format!("helper `{}` is recursive: {}", decl.name.name, chain.join(" → ")),
        decl.name.span,
        "recursive helper",
    )
    .with_help(
        "helpers are inlined, so they cannot call themselves; rewrite the recursion as a loop",
    );
    for (i, (caller, span)) in path.iter().enumerate() {
        let callee = if i + 1 < path.len() { path[i + 1].0 } else { start };
        diag = diag.with_label(*span, format!("`{}` calls `{}` here", name(*caller), name(callee)));
    }
    diags.push(diag);
}

/// Kosaraju's algorithm with explicit stacks: the strongly connected components.
fn strongly_connected(edges: &[Vec<(usize, Span)>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut visited = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.pop() {
            if let Some(&(target, _)) = edges[node].get(next) {
                stack.push((node, next + 1));
                if !visited[target] {
                    visited[target] = true;
                    stack.push((target, 0));
                }
            } else {
                order.push(node);
            }
        }
    }
    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, targets) in edges.iter().enumerate() {
        for &(to, _) in targets {
            reverse[to].push(from);
        }
    }
    let mut assigned = vec![false; n];
    let mut components = Vec::new();
    for &root in order.iter().rev() {
        if assigned[root] {
            continue;
        }
        assigned[root] = true;
        let mut component = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            component.push(node);
            for &from in &reverse[node] {
                if !assigned[from] {
                    assigned[from] = true;
                    stack.push(from);
                }
            }
        }
        components.push(component);
    }
    components
}
