//! Kernel launch arguments written as text: what `tessera run --arg SPEC` accepts.
//!
//! A buffer argument is one of
//! - `rand:SHAPE[:DTYPE][:SEED]`: seeded pseudo-random values (floats uniform in
//!   [-1, 1), signed ints in [-50, 50), unsigned ints in [0, 100), bools 50/50);
//! - `zeros:SHAPE[:DTYPE]`, `ones:SHAPE[:DTYPE]`, `arange:SHAPE[:DTYPE]` (0, 1, 2, …);
//! - `full:SHAPE:VALUE[:DTYPE]`;
//! - a path ending in `.npy` (NumPy's format).
//!
//! `SHAPE` is `1024` or `64x128`; `DTYPE` defaults to the pointee type of the parameter.
//! A scalar argument is a literal (`42`, `-1.5e-3`, `true`, `inf`) read as the
//! parameter's type. Errors are one line naming the parameter and the problem.

use crate::npy;
use std::path::Path;
use tessera_ir::interp::{Buffer, KernelArg, Scalar};
use tessera_ir::{ElemType, ScalarType, Type};

/// A buffer argument with the shape it was given (for summaries and .npy output).
#[derive(Clone, Debug, PartialEq)]
pub struct ShapedBuffer {
    pub shape: Vec<usize>,
    pub buffer: Buffer,
}

/// One parsed launch argument.
#[derive(Clone, Debug, PartialEq)]
pub enum HostArg {
    Buffer(ShapedBuffer),
    Scalar(Scalar),
}

impl HostArg {
    /// The interpreter's form of the argument.
    pub fn to_kernel_arg(&self) -> KernelArg {
        match self {
            HostArg::Buffer(b) => KernelArg::Buffer(b.buffer.clone()),
            HostArg::Scalar(s) => KernelArg::Scalar(*s),
        }
    }
}

/// A bad argument spec.
#[derive(Debug, thiserror::Error)]
#[error("argument '{param}': {message}")]
pub struct ArgError {
    pub param: String,
    pub message: String,
}

/// Parses `spec` as the value of parameter `param` of type `ty`; `.npy` paths are read
/// relative to the working directory.
pub fn parse_arg(param: &str, ty: &Type, spec: &str) -> Result<HostArg, ArgError> {
    let err = |message: String| ArgError { param: param.to_string(), message };
    if !ty.is_scalar() {
        return Err(err(format!("parameters of type {ty} cannot be passed from the command line")));
    }
    match ty.elem {
        ElemType::Ptr(pointee) => parse_buffer(pointee, spec).map(HostArg::Buffer).map_err(err),
        ElemType::Scalar(scalar) => parse_scalar(scalar, spec).map(HostArg::Scalar).map_err(err),
    }
}

/// Parses a scalar literal as type `ty`.
pub fn parse_scalar(ty: ScalarType, text: &str) -> Result<Scalar, String> {
    let text = text.trim();
    if ty.is_bool() {
        return match text {
            "true" | "1" => Ok(Scalar::Bool(true)),
            "false" | "0" => Ok(Scalar::Bool(false)),
            _ => Err(format!("expected a bool (true or false), found '{text}'")),
        };
    }
    if ty.is_float() {
        let value =
            parse_float(text).ok_or_else(|| format!("expected a {ty} number, found '{text}'"))?;
        return Ok(Scalar::from_f64(ty, value));
    }
    let value = parse_int(text)
        .ok_or_else(|| format!("expected an integer of type {ty}, found '{text}'"))?;
    int_scalar(ty, value).ok_or_else(|| format!("{value} does not fit in {ty}"))
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => text.parse::<f64>().ok(),
    }
}

fn parse_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let digits = digits.replace('_', "");
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else {
        digits.parse::<i128>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn int_scalar(ty: ScalarType, value: i128) -> Option<Scalar> {
    Some(match ty {
        ScalarType::I8 => Scalar::I8(i8::try_from(value).ok()?),
        ScalarType::I16 => Scalar::I16(i16::try_from(value).ok()?),
        ScalarType::I32 => Scalar::I32(i32::try_from(value).ok()?),
        ScalarType::I64 => Scalar::I64(i64::try_from(value).ok()?),
        ScalarType::U8 => Scalar::U8(u8::try_from(value).ok()?),
        ScalarType::U16 => Scalar::U16(u16::try_from(value).ok()?),
        ScalarType::U32 => Scalar::U32(u32::try_from(value).ok()?),
        ScalarType::U64 => Scalar::U64(u64::try_from(value).ok()?),
        ScalarType::Bool
        | ScalarType::F16
        | ScalarType::BF16
        | ScalarType::F32
        | ScalarType::F64 => return None,
    })
}

/// Largest buffer the command line will create (2^31 elements).
const MAX_ELEMENTS: usize = 1 << 31;

fn parse_buffer(pointee: ScalarType, spec: &str) -> Result<ShapedBuffer, String> {
    if spec.ends_with(".npy") {
        return read_npy_arg(pointee, Path::new(spec));
    }
    let mut parts = spec.split(':');
    let kind = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let usage = "expected rand:SHAPE[:DTYPE][:SEED], zeros:SHAPE[:DTYPE], ones:SHAPE[:DTYPE], \
                 arange:SHAPE[:DTYPE], full:SHAPE:VALUE[:DTYPE] or a .npy file";
    let Some(shape_text) = rest.first() else {
        return Err(format!("'{spec}': {usage}"));
    };
    let shape = parse_shape(shape_text)?;
    let len =
        shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).filter(|&n| n <= MAX_ELEMENTS);
    let len = len.ok_or_else(|| format!("shape {shape_text} has more than 2^31 elements"))?;
    let (value, extra) = match kind {
        "full" => {
            let v = rest
                .get(1)
                .ok_or_else(|| format!("'{spec}': full needs a value: full:SHAPE:VALUE"))?;
            (Some(*v), &rest[2..])
        }
        _ => (None, &rest[1..]),
    };
    let (dtype, seed) = parse_dtype_and_seed(pointee, extra)?;
    if dtype != pointee {
        return Err(format!("the parameter points to {pointee} but the argument is {dtype}"));
    }
    let buffer = match kind {
        "rand" => random_buffer(dtype, len, seed.unwrap_or(0)),
        "zeros" => no_seed(seed, Buffer::zeros(dtype, len))?,
        "ones" => no_seed(seed, filled(dtype, len, 1.0))?,
        "arange" => no_seed(seed, arange_buffer(dtype, len))?,
        "full" => {
            let scalar = parse_scalar(dtype, value.unwrap_or_default())?;
            no_seed(seed, Buffer::from_f64(dtype, &vec![scalar.to_f64(); len]))?
        }
        _ => return Err(format!("unknown argument kind '{kind}': {usage}")),
    };
    Ok(ShapedBuffer { shape, buffer })
}

fn no_seed(seed: Option<u64>, buffer: Buffer) -> Result<Buffer, String> {
    match seed {
        Some(_) => Err("only rand: takes a seed".to_string()),
        None => Ok(buffer),
    }
}

fn parse_shape(text: &str) -> Result<Vec<usize>, String> {
    text.split('x')
        .map(|d| match d.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("bad shape '{text}': expected positive sizes like 1024 or 64x128")),
        })
        .collect()
}

fn parse_dtype_and_seed(
    pointee: ScalarType,
    parts: &[&str],
) -> Result<(ScalarType, Option<u64>), String> {
    let mut dtype = pointee;
    let mut seed = None;
    for (i, part) in parts.iter().enumerate() {
        if let Some(ty) = ScalarType::from_name(part) {
            if i != 0 {
                return Err(format!("the dtype '{part}' must come before the seed"));
            }
            dtype = ty;
        } else if let Ok(s) = part.parse::<u64>() {
            if seed.replace(s).is_some() {
                return Err("more than one seed".to_string());
            }
        } else {
            return Err(format!("'{part}' is neither a dtype (f32, i32, …) nor a seed"));
        }
    }
    Ok((dtype, seed))
}

/// splitmix64: a small, well-mixed deterministic generator.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A buffer of seeded pseudo-random values (see the module doc for the ranges).
pub fn random_buffer(dtype: ScalarType, len: usize, seed: u64) -> Buffer {
    let mut rng = SplitMix(seed);
    let values: Vec<f64> = (0..len)
        .map(|_| {
            let u = rng.unit();
            if dtype.is_float() {
                u * 2.0 - 1.0
            } else if dtype.is_bool() {
                (u < 0.5) as u8 as f64
            } else if dtype.is_signed_int() {
                (u * 100.0).floor() - 50.0
            } else {
                (u * 100.0).floor()
            }
        })
        .collect();
    Buffer::from_f64(dtype, &values)
}

fn filled(dtype: ScalarType, len: usize, value: f64) -> Buffer {
    Buffer::from_f64(dtype, &vec![value; len])
}

fn arange_buffer(dtype: ScalarType, len: usize) -> Buffer {
    Buffer::from_f64(dtype, &(0..len).map(|i| i as f64).collect::<Vec<_>>())
}

fn read_npy_arg(pointee: ScalarType, path: &Path) -> Result<ShapedBuffer, String> {
    let array = npy::read_npy(path).map_err(|e| e.to_string())?;
    let dtype = array.buffer.dtype();
    // NumPy has no bfloat16; a bf16 parameter takes float32 data rounded to nearest-even.
    if pointee == ScalarType::BF16 && dtype == ScalarType::F32 {
        let values = array.buffer.to_f64_vec();
        return Ok(ShapedBuffer { shape: array.shape, buffer: Buffer::from_f64(pointee, &values) });
    }
    if dtype != pointee {
        return Err(format!(
            "{} holds {dtype} but the parameter points to {pointee}",
            path.display()
        ));
    }
    Ok(array)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32_ptr() -> Type {
        Type::ptr(ScalarType::F32)
    }

    #[test]
    fn rand_spec_is_seeded_and_in_range() {
        let a = parse_arg("x", &f32_ptr(), "rand:4x8:f32:7").unwrap();
        let b = parse_arg("x", &f32_ptr(), "rand:4x8:7").unwrap();
        assert_eq!(a, b);
        let HostArg::Buffer(buf) = a else { panic!("expected a buffer") };
        assert_eq!(buf.shape, vec![4, 8]);
        let values = buf.buffer.to_f64_vec();
        assert_eq!(values.len(), 32);
        assert!(values.iter().all(|v| (-1.0..1.0).contains(v)));
        let c = parse_arg("x", &f32_ptr(), "rand:4x8:8").unwrap();
        assert_ne!(HostArg::Buffer(buf), c);
    }

    #[test]
    fn scalars_parse_by_parameter_type() {
        let i = parse_arg("n", &Type::scalar(ScalarType::I32), "-12").unwrap();
        assert_eq!(i, HostArg::Scalar(Scalar::I32(-12)));
        let f = parse_arg("eps", &Type::scalar(ScalarType::F32), "1e-5").unwrap();
        assert_eq!(f, HostArg::Scalar(Scalar::F32(1e-5)));
        let e = parse_arg("n", &Type::scalar(ScalarType::U8), "300").unwrap_err();
        assert_eq!(e.to_string(), "argument 'n': 300 does not fit in u8");
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let cases = [
            ("rand", "argument 'x': 'rand': expected"),
            ("rand:0x4", "argument 'x': bad shape '0x4'"),
            ("rand:4:i32", "argument 'x': the parameter points to f32 but the argument is i32"),
            ("bogus:4", "argument 'x': unknown argument kind 'bogus'"),
            ("zeros:4:3", "argument 'x': only rand: takes a seed"),
            ("rand:4:xyz", "argument 'x': 'xyz' is neither a dtype"),
            ("missing.npy", "argument 'x': cannot read missing.npy"),
            ("rand:100000x100000", "argument 'x': shape 100000x100000 has more than 2^31 elements"),
        ];
        for (spec, expected) in cases {
            let message = parse_arg("x", &f32_ptr(), spec).unwrap_err().to_string();
            assert!(message.starts_with(expected), "{spec}: {message}");
        }
    }

    #[test]
    fn arange_and_full_fill_values() {
        let HostArg::Buffer(a) = parse_arg("x", &f32_ptr(), "arange:5").unwrap() else {
            panic!("expected a buffer")
        };
        assert_eq!(a.buffer.to_f64_vec(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        let HostArg::Buffer(f) = parse_arg("x", &f32_ptr(), "full:3:2.5").unwrap() else {
            panic!("expected a buffer")
        };
        assert_eq!(f.buffer.to_f64_vec(), vec![2.5; 3]);
    }
}
