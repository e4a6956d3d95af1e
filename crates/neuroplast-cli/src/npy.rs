//! Streaming `.npy` writers: a run appends every chunk of recordings as it is drained, so
//! memory holds one chunk, never the whole run.
//!
//! [`NpyAppender`] writes a header of fixed size (128 bytes, room for any shape), appends
//! little-endian data, and rewrites the header with the final shape in
//! [`finish`](NpyAppender::finish). [`pack_npz`] turns finished `.npy` files into an
//! uncompressed `.npz` (what `numpy.savez` writes) by copying them into the archive.

use std::fs::{self, File};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Total size of the header written by [`NpyAppender`] (a multiple of 64, as numpy wants).
const HEADER_LEN: usize = 128;

/// An element type of a streamed array.
pub trait NpyElement: Copy {
    /// numpy's type string.
    const DESCR: &'static str;
    /// Append the little-endian bytes of `self`.
    fn put(self, out: &mut Vec<u8>);
}

impl NpyElement for u64 {
    const DESCR: &'static str = "<u8";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl NpyElement for u32 {
    const DESCR: &'static str = "<u4";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl NpyElement for u8 {
    const DESCR: &'static str = "|u1";
    fn put(self, out: &mut Vec<u8>) {
        out.push(self);
    }
}

impl NpyElement for f64 {
    const DESCR: &'static str = "<f8";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// A 1-D (`cols = None`) or 2-D (`rows × cols`, row-major) array written by appending.
pub struct NpyAppender<T: NpyElement> {
    path: PathBuf,
    out: BufWriter<File>,
    cols: Option<usize>,
    len: u64,
    buf: Vec<u8>,
    _t: std::marker::PhantomData<T>,
}

fn header(descr: &str, shape: &str) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(b"\x93NUMPY\x01\x00");
    h.extend_from_slice(&((HEADER_LEN - 10) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(HEADER_LEN - 1, b' ');
    h.push(b'\n');
    h
}

impl<T: NpyElement> NpyAppender<T> {
    /// Create `path` (and its directory) for a 1-D array.
    pub fn new(path: &Path) -> Result<Self> {
        Self::create(path, None)
    }

    /// Create `path` for a 2-D array of `cols` columns; rows are appended.
    pub fn with_cols(path: &Path, cols: usize) -> Result<Self> {
        Self::create(path, Some(cols))
    }

    fn create(path: &Path, cols: Option<usize>) -> Result<Self> {
        if let Some(p) = path.parent() {
            fs::create_dir_all(p)?;
        }
        let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 16, f);
        out.write_all(&header(T::DESCR, "(0,)"))?;
        Ok(NpyAppender {
            path: path.to_path_buf(),
            out,
            cols,
            len: 0,
            buf: Vec::new(),
            _t: std::marker::PhantomData,
        })
    }

    /// Append elements (for a 2-D array, whole rows).
    pub fn append(&mut self, values: &[T]) -> Result<()> {
        if let Some(c) = self.cols {
            anyhow::ensure!(
                c == 0 || values.len() % c == 0,
                "{}: {} values are not whole rows of {c}",
                self.path.display(),
                values.len()
            );
        }
        self.buf.clear();
        self.buf.reserve(std::mem::size_of_val(values));
        for &v in values {
            v.put(&mut self.buf);
        }
        self.out
            .write_all(&self.buf)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.len += values.len() as u64;
        Ok(())
    }

    /// Elements written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Write the final shape into the header and close the file.
    pub fn finish(mut self) -> Result<PathBuf> {
        let shape = match self.cols {
            None => format!("({},)", self.len),
            Some(0) => "(0, 0)".to_string(),
            Some(c) => format!("({}, {c})", self.len / c as u64),
        };
        self.out.flush()?;
        let mut f = self
            .out
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", self.path.display(), e.error()))?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&header(T::DESCR, &shape))?;
        f.sync_all().ok();
        Ok(self.path)
    }
}

/// Pack finished `.npy` files into an uncompressed `.npz` at `path` (entry `name.npy` for
/// each `(name, file)`), streaming the bytes, then delete the `.npy` files.
pub fn pack_npz(path: &Path, entries: &[(&str, PathBuf)]) -> Result<()> {
    use zip::write::SimpleFileOptions;
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut z = zip::ZipWriter::new(BufWriter::new(f));
    for (name, file) in entries {
        let size = fs::metadata(file)?.len();
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(size >= u32::MAX as u64);
        z.start_file(format!("{name}.npy"), opts)?;
        let mut src = File::open(file)?;
        std::io::copy(&mut src, &mut z)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    z.finish()?.flush()?;
    for (_, file) in entries {
        fs::remove_file(file).ok();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_arrays_read_back_with_their_shape() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.npy");
        let mut a = NpyAppender::<f64>::with_cols(&p, 3).unwrap();
        a.append(&[1.0, 2.0, 3.0]).unwrap();
        a.append(&[4.0, 5.0, 6.0, 7.0, 8.0, 9.0]).unwrap();
        assert!(a.append(&[1.0]).is_err());
        a.finish().unwrap();
        let x: ndarray::Array2<f64> = ndarray_npy::read_npy(&p).unwrap();
        assert_eq!(x.shape(), &[3, 3]);
        assert_eq!(x[[2, 1]], 8.0);

        let (s, n) = (d.path().join("s.npy"), d.path().join("n.npy"));
        let mut a = NpyAppender::<u64>::new(&s).unwrap();
        a.append(&[5, 6]).unwrap();
        a.finish().unwrap();
        let mut b = NpyAppender::<u32>::new(&n).unwrap();
        b.append(&[7, 8]).unwrap();
        b.finish().unwrap();
        let z = d.path().join("x.npz");
        pack_npz(&z, &[("step", s.clone()), ("neuron", n)]).unwrap();
        assert!(!s.exists());
        let mut r = ndarray_npy::NpzReader::new(File::open(&z).unwrap()).unwrap();
        let st: ndarray::Array1<u64> = r.by_name("step").unwrap();
        let ne: ndarray::Array1<u32> = r.by_name("neuron").unwrap();
        assert_eq!(st.to_vec(), vec![5, 6]);
        assert_eq!(ne.to_vec(), vec![7, 8]);
    }
}
