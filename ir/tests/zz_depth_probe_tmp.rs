use tessera_ir::*;
fn nested_ifs(depth: usize) -> Function {
    let mut func = Function::new("deep", FunctionKind::Kernel, &[]);
    let cond_inst = func.append_inst(func.body, Op::Const { value: Constant::Bool(true) }, vec![Type::scalar(ScalarType::Bool)], Loc::default());
    let cond = func.result(cond_inst);
    let mut block = func.body;
    for _ in 0..depth {
        let (then_block, else_block) = (func.create_block(), func.create_block());
        func.append_inst(else_block, Op::Yield { values: vec![] }, vec![], Loc::default());
        func.append_inst(block, Op::If { cond, then_block, else_block }, vec![], Loc::default());
        let t = if block == func.body { Op::Return { values: vec![] } } else { Op::Yield { values: vec![] } };
        func.append_inst(block, t, vec![], Loc::default());
        block = then_block;
    }
    func.append_inst(block, Op::Yield { values: vec![] }, vec![], Loc::default());
    func
}
#[test] fn probe() {
    let d: usize = std::env::var("DEPTH").unwrap().parse().unwrap();
    let what = std::env::var("WHAT").unwrap();
    let f = nested_ifs(d);
    let text = std::thread::Builder::new().stack_size(256 << 20).spawn({ let f = f.clone(); move || print_function(&f) }).unwrap().join().unwrap();
    std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        match what.as_str() {
            "verify" => { let _ = verify_function(&f, None); }
            "print" => { let _ = print_function(&f); }
            _ => { let _ = parse_module(&text); }
        }
    }).unwrap().join().unwrap();
}
