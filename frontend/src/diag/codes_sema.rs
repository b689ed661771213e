//! Semantic error codes, E0100–E0499, with their long explanations.
//!
//! E0100–E0199 names, items, calls and arguments; E0200–E0299 types; E0300–E0399
//! shapes; E0400–E0449 const parameters and evaluation; E0450–E0469 attributes;
//! E0470–E0499 returns and lowering limits. Every code a semantic diagnostic uses
//! (`sema/`, `lower/`) is listed here.

use super::ErrorCode;

/// The semantic error codes, in numeric order.
pub static CODES: &[ErrorCode] = &[
    ErrorCode {
        code: "E0100",
        title: "item defined more than once",
        explanation: "\
Kernels and helper functions share one namespace per file, so each name may be defined once.

Erroneous code example:

    fn scale(x) { return x * 2.0; }
    fn scale(x) { return x * 3.0; }

Fix: rename one of them:

    fn scale2(x) { return x * 2.0; }
    fn scale3(x) { return x * 3.0; }
",
    },
    ErrorCode {
        code: "E0101",
        title: "parameter declared twice",
        explanation: "\
Each parameter of a kernel or helper needs its own name.

Erroneous code example:

    kernel add(x: *f32, x: *f32, n: i32) { }

Fix: rename the second parameter:

    kernel add(x: *f32, y: *f32, n: i32) { }
",
    },
    ErrorCode {
        code: "E0102",
        title: "unknown variable",
        explanation: "\
A name was used (or assigned) that no parameter, `let` or loop variable in scope defines.
Variables declared inside a block are not visible after it. The help line suggests a
close name when there is one.

Erroneous code example:

    let cols = arange(0, BLOCK);
    let v = load(x + col);

Fix: use the name that is in scope:

    let v = load(x + cols);
",
    },
    ErrorCode {
        code: "E0103",
        title: "unknown function",
        explanation: "\
A call names neither a builtin nor a helper defined in this file.

Erroneous code example:

    let e = expp(v);

Fix: call an existing builtin or define the helper:

    let e = exp(v);
",
    },
    ErrorCode {
        code: "E0104",
        title: "helper named like a builtin",
        explanation: "\
Builtins cannot be shadowed: a helper with a builtin's name (`sum`, `load`, `exp`, …) would
be ambiguous at every call.

Erroneous code example:

    fn sum(x) { return x + 1; }

Fix: give the helper its own name:

    fn add_one(x) { return x + 1; }
",
    },
    ErrorCode {
        code: "E0105",
        title: "assignment to an immutable variable",
        explanation: "\
Only variables declared with `let mut` may be assigned after their declaration. Loop
variables are set by the loop and cannot be assigned.

Erroneous code example:

    let acc = 0.0;
    acc = acc + 1.0;

Fix: declare the variable mutable, or shadow it with a new `let`:

    let mut acc = 0.0;
    acc = acc + 1.0;
",
    },
    ErrorCode {
        code: "E0106",
        title: "assignment to a parameter",
        explanation: "\
Parameters (runtime and const) are read-only inside the function.

Erroneous code example:

    kernel k(x: *f32, n: i32) {
        n = n - 1;
    }

Fix: copy the parameter into a mutable variable:

    kernel k(x: *f32, n: i32) {
        let mut m = n;
        m = m - 1;
    }
",
    },
    ErrorCode {
        code: "E0107",
        title: "recursive helper",
        explanation: "\
Helpers are inlined at their call sites, so a helper may not call itself, directly or
through other helpers. The message shows the cycle.

Erroneous code example:

    fn f(x) { return g(x); }
    fn g(x) { return f(x); }

Fix: rewrite the recursion as a loop (`for` or `while`):

    fn f(x) { return x * 2; }
",
    },
    ErrorCode {
        code: "E0108",
        title: "call of a kernel",
        explanation: "\
Kernels are launched by the host; they cannot be called from kernels or helpers.

Erroneous code example:

    kernel inner(x: *f32) { }
    kernel outer(x: *f32) { inner(x); }

Fix: move the shared code into a helper and call it from both kernels:

    fn body(x: *f32) { store(x, 0.0); }
    kernel inner(x: *f32) { body(x); }
    kernel outer(x: *f32) { body(x); }
",
    },
    ErrorCode {
        code: "E0109",
        title: "misplaced `range`",
        explanation: "\
`range(start, end[, step])` is the iterator of a `for` loop and nothing else; a `for`
loop iterates over nothing but `range`. For a tile of indices use `arange`.

Erroneous code example:

    let idx = range(0, 16);

Fix:

    let idx = arange(0, 16);
    for i in range(0, 16) { }
",
    },
    ErrorCode {
        code: "E0110",
        title: "no such kernel",
        explanation: "\
The kernel requested (`--kernel NAME`) is not defined in the file.

Erroneous code example:

    tessera emit --stage ir softmax.tsr --kernel sofmax

Fix: name one of the file's kernels (the help line lists them):

    tessera emit --stage ir softmax.tsr --kernel softmax
",
    },
    ErrorCode {
        code: "E0111",
        title: "nesting too deep",
        explanation: "\
Helper calls nest more than 64 levels deep, or expressions, blocks and helper calls nest
more than 1000 levels in total. Helpers are inlined, so such chains cannot be compiled.

Erroneous code example:

    fn f1(x) { return f2(x); }
    fn f2(x) { return f3(x); }
    // … f65

Fix: flatten the chain of helpers, or split deep expressions with `let`:

    fn f1(x) { return x + 64; }
",
    },
    ErrorCode {
        code: "E0120",
        title: "too many arguments",
        explanation: "\
A call passes more positional arguments than the function takes. The help line shows the
signature.

Erroneous code example:

    let v = load(x + offs, mask, 0.0, 1);

Fix: pass only the arguments the signature lists:

    let v = load(x + offs, mask: mask, other: 0.0);
",
    },
    ErrorCode {
        code: "E0121",
        title: "unknown argument name",
        explanation: "\
A named argument does not match any parameter that may be passed by name. For builtins,
only `mask`, `other` and `axis` are named arguments.

Erroneous code example:

    let s = sum(x, dim: 0);

Fix: use the parameter's name:

    let s = sum(x, axis: 0);
",
    },
    ErrorCode {
        code: "E0122",
        title: "argument given twice",
        explanation: "\
The same parameter received two values, by name twice or by position and by name.

Erroneous code example:

    let v = load(p, m, mask: m);

Fix: pass each argument once:

    let v = load(p, mask: m);
",
    },
    ErrorCode {
        code: "E0123",
        title: "positional argument after a named one",
        explanation: "\
Once an argument is passed by name, the following ones must be named too.

Erroneous code example:

    store(y + offs, mask: m, v);

Fix: put positional arguments first:

    store(y + offs, v, mask: m);
",
    },
    ErrorCode {
        code: "E0124",
        title: "missing argument",
        explanation: "\
A required argument of the call is missing. The help line shows the signature.

Erroneous code example:

    let z = zeros([16]);

Fix: pass every required argument:

    let z = zeros([16], f32);
",
    },
    ErrorCode {
        code: "E0200",
        title: "mismatched types",
        explanation: "\
Operands of one operation must have one element type; there are no implicit conversions
between typed values (`i32 + i64`, `f16 * f32`). Literals adapt to the other operand,
but typed values need an explicit `as`.

Erroneous code example:

    let n64: i64 = 10;
    let m = n + n64;   // n: i32

Fix: convert one side explicitly:

    let m = n as i64 + n64;
",
    },
    ErrorCode {
        code: "E0201",
        title: "operator not defined for the operand type",
        explanation: "\
The operator does not apply to these element types: arithmetic on `bool`, bitwise
operators or shifts on floats, `&&`/`||` on non-bool values, `!` on floats, or pointer
arithmetic other than `ptr + int`, `int + ptr` and `ptr - int`.

Erroneous code example:

    let both = mask_a + mask_b;   // bool tiles

Fix: use the operator for the type, or convert first:

    let both = mask_a || mask_b;
    let count = mask_a as i32 + mask_b as i32;
",
    },
    ErrorCode {
        code: "E0202",
        title: "literal out of range",
        explanation: "\
A literal does not fit the type its context gives it (an `u8` of 300, an `f16` of 1e6).

Erroneous code example:

    let x: u8 = 300;

Fix: use a wider type or a value in range:

    let x: u16 = 300;
",
    },
    ErrorCode {
        code: "E0203",
        title: "float literal where an integer is needed",
        explanation: "\
An integer literal may become a float, but a float literal never becomes an integer.

Erroneous code example:

    let half = n / 2.0;   // n: i32

Fix: write an integer literal, or convert the other side:

    let half = n / 2;
    let halff = n as f32 / 2.0;
",
    },
    ErrorCode {
        code: "E0204",
        title: "condition is not a scalar bool",
        explanation: "\
The conditions of `if` and `while` (and `static_assert`) must be one `bool`. A tile of
bools chooses per element: use `where`, or reduce the tile to one value.

Erroneous code example:

    if x > 0.0 { … }   // x: tile<[128], f32>

Fix: select per element, or reduce:

    let y = where(x > 0.0, x, 0.0);
    if max(x, axis: 0) > 0.0 { … }
",
    },
    ErrorCode {
        code: "E0205",
        title: "assignment changes a variable's type",
        explanation: "\
A mutable variable keeps the type (shape and element type) it was declared with.

Erroneous code example:

    let mut acc = 0.0;
    acc = load(x + offs);   // a tile

Fix: declare the variable with the type it will hold:

    let mut acc = zeros([BLOCK], f32);
    acc = load(x + offs);
",
    },
    ErrorCode {
        code: "E0206",
        title: "value does not match the `let` annotation",
        explanation: "\
A scalar type annotation checks the element type (any shape); a `tile<[…], T>` annotation
checks the exact type.

Erroneous code example:

    let v: f16 = load(x + offs);   // x: *f32

Fix: convert the value or change the annotation:

    let v: f16 = load(x + offs) as f16;
",
    },
    ErrorCode {
        code: "E0207",
        title: "helper argument does not match its parameter",
        explanation: "\
A helper parameter typed `T` accepts values of element type `T` of any shape, `*T` any
pointer to `T`, and `tile<[…], T>` exactly that type; a const parameter needs a
compile-time constant of its type.

Erroneous code example:

    fn scale(x: f32) -> f32 { return x * 2.0; }
    let y = scale(n);   // n: i32

Fix: convert the argument:

    let y = scale(n as f32);
",
    },
    ErrorCode {
        code: "E0208",
        title: "pointer expected",
        explanation: "\
`load`, `store` and the atomics access memory through a pointer (a pointer parameter plus
integer offsets).

Erroneous code example:

    let v = load(offs);

Fix:

    let v = load(x + offs);
",
    },
    ErrorCode {
        code: "E0209",
        title: "builtin does not accept this element type",
        explanation: "\
The builtin is not defined for the element type: math functions need floats, reductions
and scans need integers or floats, atomics need integer or float pointees.

Erroneous code example:

    let r = sqrt(n);   // n: i32

Fix: convert first:

    let r = sqrt(n as f32);
",
    },
    ErrorCode {
        code: "E0210",
        title: "value type differs from the pointee type",
        explanation: "\
The value stored (or exchanged atomically, or the `other` of a load) must have the element
type the pointer points to.

Erroneous code example:

    store(y + offs, v);   // y: *f16, v: tile of f32

Fix: convert the value:

    store(y + offs, v as f16);
",
    },
    ErrorCode {
        code: "E0211",
        title: "mask or condition is not bool",
        explanation: "\
Masks of memory accesses and the conditions of `where` and `device_assert` are `bool`
values, usually made by comparisons.

Erroneous code example:

    let v = load(x + offs, mask: offs);

Fix:

    let v = load(x + offs, mask: offs < n);
",
    },
    ErrorCode {
        code: "E0212",
        title: "invalid cast",
        explanation: "\
`as` converts between scalar element types, elementwise; pointers cannot be cast and the
target must be a scalar type.

Erroneous code example:

    let p = x as *f16;

Fix: cast values after loading them:

    let v = load(x + offs) as f16;
",
    },
    ErrorCode {
        code: "E0213",
        title: "invalid `dot` types",
        explanation: "\
`dot` takes two operands of one element type: f16/bf16 (accumulating in f32), f32, f64,
or i8 (accumulating in i32). The accumulator has the accumulator type and shape `[M, N]`.

Erroneous code example:

    let c = dot(a, b);   // a: f32 tile, b: f16 tile

Fix: convert one operand:

    let c = dot(a, b as f32);
",
    },
    ErrorCode {
        code: "E0214",
        title: "invalid parameter declaration",
        explanation: "\
Kernel parameters are pointers (`x: *f32`), scalars (`n: i32`) or const parameters
(`const BLOCK: i32 = 128`) of integer or bool type; only const parameters take defaults,
and kernel parameters need a type.

Erroneous code example:

    kernel k(x: tile<[16], f32>, const S: f32) { }

Fix:

    kernel k(x: *f32, const S: i32) { }
",
    },
    ErrorCode {
        code: "E0215",
        title: "invalid `range` bounds",
        explanation: "\
The bounds and step of `range` are integer scalars of one type; a constant step must be
positive.

Erroneous code example:

    for i in range(0, n, -1) { }

Fix: count up and compute the index you need:

    for i in range(0, n) { let j = n - 1 - i; }
",
    },
    ErrorCode {
        code: "E0216",
        title: "expression has no value",
        explanation: "\
A call that returns nothing (`store`, a helper without `return` value, …) was used as a
value.

Erroneous code example:

    let r = store(y, v);

Fix: call it as a statement:

    store(y, v);
",
    },
    ErrorCode {
        code: "E0217",
        title: "expression statement without effect",
        explanation: "\
Only calls with an effect may stand alone as statements: `store`, the atomics, the asserts
and helper calls. A computed value that is dropped is almost always a mistake.

Erroneous code example:

    load(x + offs);

Fix: bind the value, or remove the statement:

    let v = load(x + offs);
",
    },
    ErrorCode {
        code: "E0218",
        title: "mismatched return type",
        explanation: "\
Every `return` of a helper gives one type, and it must match the declared `-> T` (an
element type accepts any shape; a tile type is exact).

Erroneous code example:

    fn f(x) -> f32 { return x > 0.0; }

Fix: return a value of the declared type:

    fn f(x) -> f32 { return where(x > 0.0, 1.0, 0.0); }
",
    },
    ErrorCode {
        code: "E0219",
        title: "invalid type",
        explanation: "\
Pointers point to scalar types and tiles hold scalars or pointers; types do not nest
further.

Erroneous code example:

    fn f(p: **f32) { }

Fix:

    fn f(p: *f32) { }
",
    },
    ErrorCode {
        code: "E0221",
        title: "not a value",
        explanation: "\
A string literal, a type name or a list appeared where a value is expected. Strings are
assert messages, types are dtype arguments (`zeros([4], f32)`), lists are shapes.

Erroneous code example:

    let t = f32;

Fix: use the construct where it belongs:

    let t = zeros([4], f32);
",
    },
    ErrorCode {
        code: "E0300",
        title: "shapes cannot be broadcast together",
        explanation: "\
Elementwise operations broadcast their operands' shapes NumPy-style: aligned on the right,
each pair of dimensions equal or one of them 1.

Erroneous code example:

    let s = rows + cols;   // [16] + [32]

Fix: add dimensions so the shapes broadcast:

    let s = rows[:, None] + cols[None, :];   // [16, 32]
",
    },
    ErrorCode {
        code: "E0301",
        title: "invalid subscript",
        explanation: "\
`x[…]` keeps each dimension with `:` and inserts a size-1 dimension with `None`; the
number of `:` must equal the rank of `x`.

Erroneous code example:

    let col = v[None];   // v: tile<[16], f32>

Fix:

    let row = v[None, :];
",
    },
    ErrorCode {
        code: "E0302",
        title: "invalid axis",
        explanation: "\
A reduction or scan axis is out of range for the operand's rank, or `cumsum` of a tile of
rank 2 or more is missing its `axis:`.

Erroneous code example:

    let s = sum(x, axis: 2);   // x: tile<[4, 8], f32>

Fix: axes count from 0 (outermost):

    let s = sum(x, axis: 1);
",
    },
    ErrorCode {
        code: "E0303",
        title: "invalid `dot` shapes",
        explanation: "\
`dot(a, b[, acc])` multiplies `a: [M, K]` by `b: [K, N]`; both are 2-D, the inner
dimensions agree, and `acc` is `[M, N]`.

Erroneous code example:

    let c = dot(a, b);   // a: [16, 32], b: [16, 32]

Fix: transpose or reshape an operand:

    let c = dot(a, trans(b));
",
    },
    ErrorCode {
        code: "E0304",
        title: "reshape changes the element count",
        explanation: "\
`reshape` keeps the number of elements.

Erroneous code example:

    let y = reshape(x, [16, 16]);   // x: tile<[128], f32>

Fix:

    let y = reshape(x, [8, 16]);
",
    },
    ErrorCode {
        code: "E0305",
        title: "invalid transpose",
        explanation: "\
`trans(x)` swaps the axes of a 2-D tile; for other ranks pass a permutation of the axes.

Erroneous code example:

    let t = trans(x);   // x: tile<[2, 3, 4], f32>

Fix:

    let t = trans(x, [2, 0, 1]);
",
    },
    ErrorCode {
        code: "E0306",
        title: "cannot broadcast to the target shape",
        explanation: "\
`broadcast_to(x, shape)` needs each dimension of `x` (aligned on the right) to equal the
target's or be 1.

Erroneous code example:

    let y = broadcast_to(x, [4, 8]);   // x: tile<[4], f32>

Fix: add the missing axis first:

    let y = broadcast_to(x[:, None], [4, 8]);
",
    },
    ErrorCode {
        code: "E0307",
        title: "invalid `arange` bounds",
        explanation: "\
`arange(start, end)` needs constant `i32` bounds with `start < end` and at most 2^20
elements.

Erroneous code example:

    let offs = arange(0, 0);

Fix:

    let offs = arange(0, BLOCK);
",
    },
    ErrorCode {
        code: "E0308",
        title: "invalid shape",
        explanation: "\
Shapes are non-empty lists of positive constant dimensions; `full` takes a scalar value.

Erroneous code example:

    let z = zeros([0, 16], f32);

Fix:

    let z = zeros([1, 16], f32);
",
    },
    ErrorCode {
        code: "E0309",
        title: "tile too large",
        explanation: "\
A tile may hold at most 2^24 elements, so a typo in a size cannot exhaust memory.

Erroneous code example:

    let z = zeros([65536, 65536], f32);

Fix: use block sizes that fit, and loop over the rest:

    let z = zeros([64, 64], f32);
",
    },
    ErrorCode {
        code: "E0310",
        title: "reduction of a scalar",
        explanation: "\
Reductions and scans work on tiles of rank 1 or more.

Erroneous code example:

    let s = sum(n);   // n: i32

Fix: reduce a tile:

    let s = sum(load(x + arange(0, 16)));
",
    },
    ErrorCode {
        code: "E0400",
        title: "const parameter without a value",
        explanation: "\
`compile` specializes each kernel for values of its const parameters; this one has no
value from `-D NAME=VALUE` and no default. (`check` falls back to the first `#[autotune]`
candidate, or checks with the value unknown.)

Erroneous code example:

    kernel k(x: *f32, const BLOCK: i32) { }
    $ tessera emit --stage ir k.tsr

Fix: pass a value, or declare a default:

    $ tessera emit --stage ir k.tsr -D BLOCK=128
    kernel k(x: *f32, const BLOCK: i32 = 128) { }
",
    },
    ErrorCode {
        code: "E0401",
        title: "value is not a compile-time constant",
        explanation: "\
Shapes, `arange` bounds, axes, `static_assert` conditions and const arguments are known at
compile time: literals, const parameters, immutable `let`s of constants, `cdiv`,
`maximum`/`minimum` and arithmetic on them. Runtime values (parameters, loads,
`program_id`) are not.

Erroneous code example:

    kernel k(x: *f32, n: i32) { let offs = arange(0, n); }

Fix: use a const parameter and mask the tail:

    kernel k(x: *f32, n: i32, const BLOCK: i32 = 128) {
        let offs = arange(0, BLOCK);
        let v = load(x + offs, mask: offs < n);
    }
",
    },
    ErrorCode {
        code: "E0402",
        title: "const value out of range",
        explanation: "\
The value given for a const parameter (by `-D`, a default, or a const argument) does not
fit its declared type.

Erroneous code example:

    kernel k(x: *f32, const SMALL: i8 = 300) { }

Fix: use a wider type or a smaller value:

    kernel k(x: *f32, const SMALL: i16 = 300) { }
",
    },
    ErrorCode {
        code: "E0403",
        title: "division by zero in a constant",
        explanation: "\
A constant expression divides (or takes a remainder) by zero.

Erroneous code example:

    let n = BLOCK / (BLOCK - BLOCK);

Fix: correct the expression.

    let n = BLOCK / 2;
",
    },
    ErrorCode {
        code: "E0404",
        title: "overflow in a constant",
        explanation: "\
Constant expressions are evaluated exactly and must fit their type (a shift amount must
be less than the type's width); they never wrap silently, because they usually become
shapes.

Erroneous code example:

    let big = BLOCK * 1_000_000_000;   // i32

Fix: use a wider type:

    let big = BLOCK as i64 * 1_000_000_000;
",
    },
    ErrorCode {
        code: "E0405",
        title: "static assertion failed",
        explanation: "\
A `static_assert` condition is false for the const values the kernel is specialized
with (the help line lists them).

Erroneous code example:

    static_assert(BLOCK % 16 == 0, \"BLOCK must be a multiple of 16\");   // BLOCK = 100

Fix: specialize with values that satisfy the assertion:

    $ tessera emit --stage ir k.tsr -D BLOCK=128
",
    },
    ErrorCode {
        code: "E0406",
        title: "grid axis out of range",
        explanation: "\
The launch grid has axes 0, 1 and 2.

Erroneous code example:

    let pid = program_id(3);

Fix:

    let pid = program_id(2);
",
    },
    ErrorCode {
        code: "E0407",
        title: "const default is not a literal",
        explanation: "\
The default of a const parameter is a literal (optionally with operators: `1 << 7`); it
cannot refer to other parameters.

Erroneous code example:

    kernel k(x: *f32, const A: i32 = 64, const B: i32 = A * 2) { }

Fix: write the value, or compute it in the body:

    kernel k(x: *f32, const A: i32 = 64) { let b = A * 2; }
",
    },
    ErrorCode {
        code: "E0450",
        title: "unknown attribute",
        explanation: "\
The only attribute is `#[autotune(...)]`.

Erroneous code example:

    #[autotun(BLOCK = [64, 128])]
    kernel k(x: *f32, const BLOCK: i32 = 64) { }

Fix:

    #[autotune(BLOCK = [64, 128])]
    kernel k(x: *f32, const BLOCK: i32 = 64) { }
",
    },
    ErrorCode {
        code: "E0451",
        title: "attribute on a helper",
        explanation: "\
Attributes belong to kernels; helpers are inlined into kernels and have no parameters of
their own to tune.

Erroneous code example:

    #[autotune(BLOCK = [64])]
    fn f(x) { return x; }

Fix: put the attribute on the kernel:

    fn f(x) { return x; }
",
    },
    ErrorCode {
        code: "E0452",
        title: "autotune names a parameter that is not const",
        explanation: "\
Each `NAME = [values]` of `#[autotune]` lists candidates for a const parameter of the
kernel.

Erroneous code example:

    #[autotune(n = [64, 128])]
    kernel k(x: *f32, n: i32, const BLOCK: i32 = 64) { }

Fix:

    #[autotune(BLOCK = [64, 128])]
    kernel k(x: *f32, n: i32, const BLOCK: i32 = 64) { }
",
    },
    ErrorCode {
        code: "E0453",
        title: "invalid autotune candidates",
        explanation: "\
Candidates are a non-empty list of integer (or bool) literals fitting the parameter's type.

Erroneous code example:

    #[autotune(BLOCK = [])]

Fix:

    #[autotune(BLOCK = [64, 128, 256])]
",
    },
    ErrorCode {
        code: "E0454",
        title: "invalid autotune key",
        explanation: "\
`key = [...]` lists runtime scalar parameters (sizes) whose values select a tuned
configuration; not pointers, not const parameters.

Erroneous code example:

    #[autotune(BLOCK = [64, 128], key = [x])]   // x: *f32

Fix:

    #[autotune(BLOCK = [64, 128], key = [n])]   // n: i32
",
    },
    ErrorCode {
        code: "E0455",
        title: "autotune argument given twice",
        explanation: "\
Each const parameter (and `key`) appears once in `#[autotune]`.

Erroneous code example:

    #[autotune(BLOCK = [64], BLOCK = [128])]

Fix: merge the lists:

    #[autotune(BLOCK = [64, 128])]
",
    },
    ErrorCode {
        code: "E0456",
        title: "more than one autotune attribute",
        explanation: "\
A kernel has at most one `#[autotune]`.

Erroneous code example:

    #[autotune(BLOCK_M = [64])]
    #[autotune(BLOCK_N = [64])]

Fix: merge them:

    #[autotune(BLOCK_M = [64], BLOCK_N = [64])]
",
    },
    ErrorCode {
        code: "E0470",
        title: "kernel returns a value",
        explanation: "\
Kernels write their results to memory; `return;` ends a kernel early.

Erroneous code example:

    kernel k(x: *f32) { return load(x); }

Fix:

    kernel k(x: *f32, y: *f32) { store(y, load(x)); }
",
    },
    ErrorCode {
        code: "E0471",
        title: "helper does not return on every path",
        explanation: "\
A helper that returns a value (it declares `-> T` or has a `return e;`) must return one
on every path.

Erroneous code example:

    fn sign(x: f32) -> f32 {
        if x < 0.0 { return -1.0; }
    }

Fix: return on the remaining paths:

    fn sign(x: f32) -> f32 {
        if x < 0.0 { return -1.0; }
        return 1.0;
    }
",
    },
    ErrorCode {
        code: "E0472",
        title: "`return` not last in its block",
        explanation: "\
A `return` ends its block; code after it would never run.

Erroneous code example:

    return;
    store(y, v);

Fix: move the code before the `return`, or put the `return` in an `if`:

    store(y, v);
    return;
",
    },
    ErrorCode {
        code: "E0473",
        title: "`return` inside a loop",
        explanation: "\
Loops run to completion: `return` may not appear in a `for` or `while` body.

Erroneous code example:

    for i in range(0, n) { if i == k { return; } }

Fix: loop with `while` and a condition that stops early:

    let mut i = 0;
    while i < n && i != k { i += 1; }
",
    },
    ErrorCode {
        code: "E0474",
        title: "unreachable code",
        explanation: "\
Every branch of the preceding `if` returns, so the code after it never runs.

Erroneous code example:

    if c { return 1.0; } else { return 2.0; }
    let unused = 3.0;

Fix: remove the unreachable code.

    if c { return 1.0; } else { return 2.0; }
",
    },
    ErrorCode {
        code: "E0475",
        title: "`return;` without a value in a helper that returns one",
        explanation: "\
A helper returns a value on every path or on none.

Erroneous code example:

    fn f(x) -> f32 {
        if x > 0.0 { return; }
        return x;
    }

Fix:

    fn f(x) -> f32 {
        if x > 0.0 { return 0.0; }
        return x;
    }
",
    },
    ErrorCode {
        code: "E0480",
        title: "function too large to lower",
        explanation: "\
Early `return`s are lowered by copying the code after an `if` into the branch that does not
return. A branch that returns on some paths but not all copies the rest of the function;
many of them in a row make the function grow exponentially, and lowering stops past
200000 statements.

Erroneous code example:

    if a { if b { return; } }
    if c { if d { return; } }
    // … many more

Fix: use `if`/`else` (or flags) instead of early returns in nested branches.

    if a && b { } else if c && d { } else { … }
",
    },
    ErrorCode {
        code: "E0499",
        title: "internal compiler error",
        explanation: "\
The front end reached a state it should not: this is a bug in Tessera, not in your kernel.

Erroneous code example:

    (any kernel)

Fix: report the bug with the kernel that triggers it.
",
    },
];
