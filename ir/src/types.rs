//! IR types: scalar element types, pointers, and tiles of static shape.
//!
//! Every IR value has a [`Type`]: a static shape (empty for a scalar) and an element
//! type, which is either a [`ScalarType`] or a pointer to one. A tile of pointers is
//! what `x + offsets` produces before a `load`.
//!
//! Text forms: `f32`, `ptr<f16>`, `tile<[4, 8], f32>`, `tile<[128], ptr<f32>>`.

use std::fmt;

/// The scalar element types of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScalarType {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    BF16,
    F32,
    F64,
}

impl ScalarType {
    /// Every scalar type, in declaration order.
    pub const ALL: [ScalarType; 13] = [
        ScalarType::Bool,
        ScalarType::I8,
        ScalarType::I16,
        ScalarType::I32,
        ScalarType::I64,
        ScalarType::U8,
        ScalarType::U16,
        ScalarType::U32,
        ScalarType::U64,
        ScalarType::F16,
        ScalarType::BF16,
        ScalarType::F32,
        ScalarType::F64,
    ];

    /// The name used in source and in the IR text form.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Bool => "bool",
            ScalarType::I8 => "i8",
            ScalarType::I16 => "i16",
            ScalarType::I32 => "i32",
            ScalarType::I64 => "i64",
            ScalarType::U8 => "u8",
            ScalarType::U16 => "u16",
            ScalarType::U32 => "u32",
            ScalarType::U64 => "u64",
            ScalarType::F16 => "f16",
            ScalarType::BF16 => "bf16",
            ScalarType::F32 => "f32",
            ScalarType::F64 => "f64",
        }
    }

    /// Parses a type name (`"f32"`, `"bf16"`, …).
    pub fn from_name(name: &str) -> Option<ScalarType> {
        ScalarType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Width in bits (`bool` is 8 bits wide in memory).
    pub fn bits(self) -> u32 {
        match self {
            ScalarType::Bool | ScalarType::I8 | ScalarType::U8 => 8,
            ScalarType::I16 | ScalarType::U16 | ScalarType::F16 | ScalarType::BF16 => 16,
            ScalarType::I32 | ScalarType::U32 | ScalarType::F32 => 32,
            ScalarType::I64 | ScalarType::U64 | ScalarType::F64 => 64,
        }
    }

    /// Size in bytes of one element in memory.
    pub fn byte_size(self) -> usize {
        self.bits() as usize / 8
    }

    /// Floating-point types: f16, bf16, f32, f64.
    pub fn is_float(self) -> bool {
        matches!(self, ScalarType::F16 | ScalarType::BF16 | ScalarType::F32 | ScalarType::F64)
    }

    /// Integer types, signed or unsigned (not `bool`).
    pub fn is_int(self) -> bool {
        self.is_signed_int() || self.is_unsigned_int()
    }

    /// i8, i16, i32, i64.
    pub fn is_signed_int(self) -> bool {
        matches!(self, ScalarType::I8 | ScalarType::I16 | ScalarType::I32 | ScalarType::I64)
    }

    /// u8, u16, u32, u64.
    pub fn is_unsigned_int(self) -> bool {
        matches!(self, ScalarType::U8 | ScalarType::U16 | ScalarType::U32 | ScalarType::U64)
    }

    /// `bool`.
    pub fn is_bool(self) -> bool {
        self == ScalarType::Bool
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The element type of a value: a scalar, or a pointer to scalars in a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ElemType {
    Scalar(ScalarType),
    Ptr(ScalarType),
}

impl ElemType {
    /// The scalar type, if this is not a pointer.
    pub fn scalar(self) -> Option<ScalarType> {
        match self {
            ElemType::Scalar(s) => Some(s),
            ElemType::Ptr(_) => None,
        }
    }

    /// The pointee type, if this is a pointer.
    pub fn pointee(self) -> Option<ScalarType> {
        match self {
            ElemType::Scalar(_) => None,
            ElemType::Ptr(s) => Some(s),
        }
    }
}

impl fmt::Display for ElemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElemType::Scalar(s) => write!(f, "{s}"),
            ElemType::Ptr(s) => write!(f, "ptr<{s}>"),
        }
    }
}

/// The type of an IR value: a static shape (empty = scalar) and an element type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Type {
    pub shape: Vec<u32>,
    pub elem: ElemType,
}

impl Type {
    /// A rank-0 scalar of type `s`.
    pub fn scalar(s: ScalarType) -> Type {
        Type { shape: Vec::new(), elem: ElemType::Scalar(s) }
    }

    /// A rank-0 pointer to `s`.
    pub fn ptr(s: ScalarType) -> Type {
        Type { shape: Vec::new(), elem: ElemType::Ptr(s) }
    }

    /// A tile of scalars.
    pub fn tile(shape: Vec<u32>, s: ScalarType) -> Type {
        Type { shape, elem: ElemType::Scalar(s) }
    }

    /// The same shape with another element type.
    pub fn with_elem(&self, elem: ElemType) -> Type {
        Type { shape: self.shape.clone(), elem }
    }

    /// The same element type with another shape.
    pub fn with_shape(&self, shape: Vec<u32>) -> Type {
        Type { shape, elem: self.elem }
    }

    /// Rank (number of dimensions); 0 for scalars.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Whether this is a rank-0 value.
    pub fn is_scalar(&self) -> bool {
        self.shape.is_empty()
    }

    /// Number of elements (1 for scalars).
    pub fn num_elements(&self) -> u64 {
        self.shape.iter().map(|&d| d as u64).product()
    }

    /// The scalar element type, if not a pointer.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        self.elem.scalar()
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shape.is_empty() {
            return write!(f, "{}", self.elem);
        }
        f.write_str("tile<[")?;
        for (i, d) in self.shape.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "], {}>", self.elem)
    }
}
