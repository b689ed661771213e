//! The Tessera tile IR.
//!
//! Owns the IR data structures ([`types`], [`ops`], [`function`]), the [`verifier`], the
//! text form ([`printer`] and [`text`] parser), and the reference interpreter
//! ([`interp`]) that defines what every program means. Depends on nothing else of
//! Tessera's.

pub mod entity;
pub mod function;
pub mod interp;
pub mod ops;
pub mod printer;
pub mod text;
pub mod types;
pub mod verifier;

pub use function::{
    Block, BlockData, Function, FunctionKind, Inst, InstData, Loc, Module, Value, ValueData,
    ValueDef,
};
pub use ops::{AtomicOp, BinaryOp, CmpPred, Constant, Op, ReduceOp, ScanOp, UnaryOp};
pub use printer::{print_function, print_module};
pub use text::{parse_module, TextError};
pub use types::{ElemType, ScalarType, Type};
pub use verifier::{verify_function, verify_module, VerifierError};
