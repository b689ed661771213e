//! Reading and writing NumPy `.npy` files, the format ML users exchange arrays in.
//!
//! Every scalar type maps to its NumPy dtype, except `bf16`, which NumPy lacks: a bf16
//! buffer is written as float32 (exactly), and a float32 file may feed a bf16
//! parameter (rounded to nearest-even; see [`crate::args`]). Fortran-ordered files are
//! rejected with an error rather than silently transposed.

use crate::args::ShapedBuffer;
use npyz::WriterBuilder;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;
use tessera_ir::interp::Buffer;
use tessera_ir::ScalarType;

/// A `.npy` read or write failure, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

/// Reads a C-ordered `.npy` file of a supported dtype.
pub fn read_npy(path: &Path) -> Result<ShapedBuffer, NpyError> {
    let fail = |message: String| NpyError::Read { path: path.display().to_string(), message };
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    let npy = npyz::NpyFile::new(BufReader::new(file)).map_err(|e| fail(e.to_string()))?;
    if npy.order() == npyz::Order::Fortran {
        return Err(fail("Fortran-ordered arrays are not supported; save with order='C'".into()));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let type_str = match npy.dtype() {
        npyz::DType::Plain(ts) => ts.to_string(),
        other => return Err(fail(format!("unsupported dtype {other:?}"))),
    };
    let read = |e: std::io::Error| fail(e.to_string());
    // '|' and '<' are the byte orders this little-endian host reads natively; npyz
    // converts '>' data itself.
    let kind = type_str.trim_start_matches(['<', '>', '|', '=']);
    let buffer = match kind {
        "b1" => Buffer::Bool(npy.into_vec::<bool>().map_err(read)?),
        "i1" => Buffer::I8(npy.into_vec::<i8>().map_err(read)?),
        "i2" => Buffer::I16(npy.into_vec::<i16>().map_err(read)?),
        "i4" => Buffer::I32(npy.into_vec::<i32>().map_err(read)?),
        "i8" => Buffer::I64(npy.into_vec::<i64>().map_err(read)?),
        "u1" => Buffer::U8(npy.into_vec::<u8>().map_err(read)?),
        "u2" => Buffer::U16(npy.into_vec::<u16>().map_err(read)?),
        "u4" => Buffer::U32(npy.into_vec::<u32>().map_err(read)?),
        "u8" => Buffer::U64(npy.into_vec::<u64>().map_err(read)?),
        "f2" => Buffer::F16(npy.into_vec::<half::f16>().map_err(read)?),
        "f4" => Buffer::F32(npy.into_vec::<f32>().map_err(read)?),
        "f8" => Buffer::F64(npy.into_vec::<f64>().map_err(read)?),
        _ => return Err(fail(format!("unsupported dtype '{type_str}'"))),
    };
    Ok(ShapedBuffer { shape, buffer })
}

/// Writes `array` as a C-ordered little-endian `.npy` file.
pub fn write_npy(path: &Path, array: &ShapedBuffer) -> Result<(), NpyError> {
    let fail = |message: String| NpyError::Write { path: path.display().to_string(), message };
    let shape: Vec<u64> = array.shape.iter().map(|&d| d as u64).collect();
    let file = File::create(path).map_err(|e| fail(e.to_string()))?;
    let writer = BufWriter::new(file);
    let result = match &array.buffer {
        Buffer::Bool(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::I8(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::I16(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::I32(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::I64(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::U8(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::U16(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::U32(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::U64(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::F16(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::BF16(v) => write_all(writer, &shape, v.iter().map(|x| x.to_f32())),
        Buffer::F32(v) => write_all(writer, &shape, v.iter().copied()),
        Buffer::F64(v) => write_all(writer, &shape, v.iter().copied()),
    };
    result.map_err(|e| fail(e.to_string()))
}

fn write_all<T, W>(out: W, shape: &[u64], values: impl Iterator<Item = T>) -> std::io::Result<()>
where
    T: npyz::Serialize + npyz::AutoSerialize,
    W: std::io::Write,
{
    let mut writer =
        npyz::WriteOptions::new().default_dtype().shape(shape).writer(out).begin_nd()?;
    writer.extend(values)?;
    writer.finish()
}

/// The scalar type a `.npy` of `buffer` declares (bf16 is stored as f32).
pub fn stored_dtype(buffer: &Buffer) -> ScalarType {
    match buffer.dtype() {
        ScalarType::BF16 => ScalarType::F32,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(buffer: Buffer, shape: Vec<usize>) -> ShapedBuffer {
        let dir = std::env::temp_dir().join(format!("tessera-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:?}.npy", buffer.dtype()));
        write_npy(&path, &ShapedBuffer { shape, buffer }).unwrap();
        read_npy(&path).unwrap()
    }

    #[test]
    fn every_dtype_round_trips() {
        let cases = vec![
            Buffer::Bool(vec![true, false, true, true, false, false]),
            Buffer::I8(vec![-128, 0, 1, 2, 3, 127]),
            Buffer::I16(vec![-1, 0, 1, 2, 3, i16::MAX]),
            Buffer::I32(vec![i32::MIN, 0, 1, 2, 3, 4]),
            Buffer::I64(vec![i64::MIN, 0, 1, 2, 3, i64::MAX]),
            Buffer::U8(vec![0, 1, 2, 3, 4, 255]),
            Buffer::U16(vec![0, 1, 2, 3, 4, 65535]),
            Buffer::U32(vec![0, 1, 2, 3, 4, u32::MAX]),
            Buffer::U64(vec![0, 1, 2, 3, 4, u64::MAX]),
            Buffer::F16(vec![half::f16::from_f32(0.5); 6]),
            Buffer::F32(vec![-0.0, 1.5, f32::INFINITY, 1e-40, -3.0, 7.0]),
            Buffer::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, f64::MIN_POSITIVE]),
        ];
        for buffer in cases {
            let back = round_trip(buffer.clone(), vec![2, 3]);
            assert_eq!(back.shape, vec![2, 3]);
            assert_eq!(back.buffer, buffer);
        }
    }

    #[test]
    fn bf16_is_stored_as_f32() {
        let buffer = Buffer::BF16(vec![half::bf16::from_f32(1.5), half::bf16::from_f32(-2.0)]);
        let back = round_trip(buffer, vec![2]);
        assert_eq!(back.buffer, Buffer::F32(vec![1.5, -2.0]));
    }

    #[test]
    fn garbage_is_an_error() {
        let path = std::env::temp_dir().join(format!("tessera-bad-{}.npy", std::process::id()));
        std::fs::write(&path, b"\x93NUMPY garbage").unwrap();
        let message = read_npy(&path).unwrap_err().to_string();
        assert!(message.starts_with("cannot read"), "{message}");
    }
}
