//! Sparse synaptic matrices stored by postsynaptic row, with room for structural edits.
//!
//! [`SparseRows`] is CSR in which every row (one postsynaptic neuron) owns a slot
//! `start[i] .. start[i] + cap[i]` of one shared pool, of which the first `len[i]` entries
//! are in use, sorted by presynaptic index. Synaptic normalisation, iSTDP and the pull-style
//! drive all walk rows, so rows are the natural unit.
//!
//! Structural plasticity needs insertions and removals without O(N²) memory:
//! * removal compacts the row in place (`retain_row`), leaving slack at its end;
//! * insertion uses the slack; a full row is moved to the end of the pool with twice the
//!   capacity, and the pool is compacted when more than half of it is abandoned slots.
//!
//! Memory is therefore proportional to the number of synapses (plus bounded slack), and the
//! pool is reserved at build time so that ordinary steps do not allocate.

use serde::{Deserialize, Serialize};

/// A sparse `n_rows × n_cols` matrix of `f64` weights, stored by row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SparseRows {
    n_rows: usize,
    n_cols: usize,
    start: Vec<usize>,
    len: Vec<u32>,
    cap: Vec<u32>,
    col: Vec<u32>,
    w: Vec<f64>,
    nnz: usize,
    /// Pool entries in abandoned slots (rows that moved).
    garbage: usize,
    /// Incremented by every structural change (a position of some synapse moved or
    /// vanished); a [`ColumnIndex`] built at another generation is stale.
    generation: u64,
    /// Rows lie in the pool in index order, slot after slot (false after a row moved to the
    /// end). Row-parallel passes need this; [`SparseRows::compact`] restores it.
    ordered: bool,
}

/// Extra capacity given to each row at build time when insertions are expected, so that a few
/// insertions never move it.
fn initial_slack(len: usize) -> usize {
    (len / 4).max(2)
}

impl SparseRows {
    /// An empty matrix.
    pub fn empty(n_rows: usize, n_cols: usize) -> Self {
        Self::from_rows(n_cols, vec![Vec::new(); n_rows])
    }

    /// Build from per-row lists of `(column, weight)`, with slack for insertions. Columns
    /// are sorted here; duplicates are a caller bug (checked in debug builds).
    pub fn from_rows(n_cols: usize, rows: Vec<Vec<(u32, f64)>>) -> Self {
        Self::build(n_cols, rows, true)
    }

    /// Like [`SparseRows::from_rows`] but packed tight, for matrices that rarely or never
    /// gain synapses: less memory traffic per pass. Insertions still work (rows move).
    pub fn from_rows_packed(n_cols: usize, rows: Vec<Vec<(u32, f64)>>) -> Self {
        Self::build(n_cols, rows, false)
    }

    fn build(n_cols: usize, rows: Vec<Vec<(u32, f64)>>, slack: bool) -> Self {
        let n_rows = rows.len();
        let extra = |len: usize| if slack { initial_slack(len) } else { 0 };
        let total: usize = rows.iter().map(|r| r.len() + extra(r.len())).sum();
        let mut m = SparseRows {
            n_rows,
            n_cols,
            start: Vec::with_capacity(n_rows),
            len: Vec::with_capacity(n_rows),
            cap: Vec::with_capacity(n_rows),
            // Headroom for rows that outgrow their slot, so steps rarely reallocate.
            col: Vec::with_capacity(total + total / 2),
            w: Vec::with_capacity(total + total / 2),
            nnz: 0,
            garbage: 0,
            generation: 0,
            ordered: true,
        };
        for mut row in rows {
            row.sort_unstable_by_key(|&(c, _)| c);
            debug_assert!(row.windows(2).all(|p| p[0].0 < p[1].0), "duplicate column");
            debug_assert!(row.iter().all(|&(c, _)| (c as usize) < n_cols));
            let cap = row.len() + extra(row.len());
            m.start.push(m.col.len());
            m.len.push(row.len() as u32);
            m.cap.push(cap as u32);
            m.nnz += row.len();
            for &(c, w) in &row {
                m.col.push(c);
                m.w.push(w);
            }
            for _ in row.len()..cap {
                m.col.push(0);
                m.w.push(0.0);
            }
        }
        m
    }

    /// Number of rows (postsynaptic neurons).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns (presynaptic neurons).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored synapses.
    pub fn nnz(&self) -> usize {
        self.nnz
    }

    /// Number of synapses of row `i`.
    pub fn row_len(&self, i: usize) -> usize {
        self.len[i] as usize
    }

    /// Columns and weights of row `i`, columns ascending.
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let s = self.start[i];
        let e = s + self.len[i] as usize;
        (&self.col[s..e], &self.w[s..e])
    }

    /// Columns and mutable weights of row `i`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> (&[u32], &mut [f64]) {
        let s = self.start[i];
        let e = s + self.len[i] as usize;
        (&self.col[s..e], &mut self.w[s..e])
    }

    /// Weight of synapse `j → i`, if present.
    pub fn get(&self, i: usize, j: u32) -> Option<f64> {
        let (c, w) = self.row(i);
        c.binary_search(&j).ok().map(|k| w[k])
    }

    /// Whether synapse `j → i` exists.
    #[inline]
    pub fn contains(&self, i: usize, j: u32) -> bool {
        self.row(i).0.binary_search(&j).is_ok()
    }

    /// `out[i] = Σ_j W_ij · x_j` for every row.
    pub fn matvec(&self, x: &[f64], out: &mut [f64]) {
        debug_assert_eq!(x.len(), self.n_cols);
        debug_assert_eq!(out.len(), self.n_rows);
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.row_dot(i, x);
        }
    }

    /// `Σ_j W_ij · x_j` for row `i`.
    #[inline]
    pub fn row_dot(&self, i: usize, x: &[f64]) -> f64 {
        let (c, w) = self.row(i);
        c.iter().zip(w).map(|(&j, &w)| w * x[j as usize]).sum()
    }

    /// Keep the entries of row `i` for which `keep(col, &mut weight)` returns true; the
    /// closure may change the weight. Order is preserved.
    #[inline]
    pub fn retain_row(&mut self, i: usize, keep: impl FnMut(u32, &mut f64) -> bool) {
        let (s, cap, before) = (self.start[i], self.cap[i] as usize, self.len[i]);
        let mut row = RowMut {
            col: &mut self.col[s..s + cap],
            w: &mut self.w[s..s + cap],
            len: &mut self.len[i],
        };
        row.retain(keep);
        let removed = (before - self.len[i]) as usize;
        self.nnz -= removed;
        if removed > 0 {
            self.generation += 1;
        }
    }

    /// Insert synapse `j → i` with weight `w`. Returns false (and changes nothing) if it
    /// already exists.
    pub fn insert(&mut self, i: usize, j: u32, w: f64) -> bool {
        debug_assert!((j as usize) < self.n_cols);
        let pos = match self.row(i).0.binary_search(&j) {
            Ok(_) => return false,
            Err(p) => p,
        };
        if self.len[i] == self.cap[i] {
            self.grow_row(i);
        }
        let s = self.start[i];
        let n = self.len[i] as usize;
        self.col.copy_within(s + pos..s + n, s + pos + 1);
        self.w.copy_within(s + pos..s + n, s + pos + 1);
        self.col[s + pos] = j;
        self.w[s + pos] = w;
        self.len[i] += 1;
        self.nnz += 1;
        self.generation += 1;
        true
    }

    /// Move row `i` to the end of the pool with twice its capacity.
    fn grow_row(&mut self, i: usize) {
        if self.garbage > self.col.len() / 2 {
            self.compact();
        }
        let s = self.start[i];
        let n = self.len[i] as usize;
        let new_cap = (2 * self.cap[i] as usize).max(4);
        let new_start = self.col.len();
        self.col.extend_from_within(s..s + n);
        self.w.extend_from_within(s..s + n);
        self.col.resize(new_start + new_cap, 0);
        self.w.resize(new_start + new_cap, 0.0);
        self.garbage += self.cap[i] as usize;
        self.start[i] = new_start;
        self.cap[i] = new_cap as u32;
        self.ordered = false;
    }

    /// Rewrite the pool without abandoned slots (row order restored, slack kept).
    pub fn compact(&mut self) {
        let mut col = Vec::with_capacity(self.col.capacity());
        let mut w = Vec::with_capacity(self.w.capacity());
        for i in 0..self.n_rows {
            let s = self.start[i];
            let cap = self.cap[i] as usize;
            self.start[i] = col.len();
            col.extend_from_slice(&self.col[s..s + cap]);
            w.extend_from_slice(&self.w[s..s + cap]);
        }
        self.col = col;
        self.w = w;
        self.garbage = 0;
        self.generation += 1;
        self.ordered = true;
    }

    /// Apply `f(row index, row, out slot)` to every row. `out` has one slot per row, or is
    /// empty (then `f` gets `None`). With `parallel`, rows are split recursively across the
    /// current rayon pool in leaves of at least `leaf` rows; rows are independent, so the
    /// result is identical for any split and thread count. `f` may change weights and remove
    /// synapses, not insert them.
    pub fn update_rows<F>(&mut self, out: &mut [f64], parallel: bool, leaf: usize, f: F)
    where
        F: Fn(usize, &mut RowMut<'_>, Option<&mut f64>) + Sync,
    {
        debug_assert!(out.is_empty() || out.len() == self.n_rows);
        if !self.ordered {
            self.compact();
        }
        let rows = RowsMut {
            first: 0,
            base: 0,
            start: &self.start,
            cap: &self.cap,
            len: &mut self.len,
            col: &mut self.col,
            w: &mut self.w,
        };
        let leaf = if parallel { leaf.max(1) } else { usize::MAX };
        let removed = rows.run(out, leaf, &f);
        if removed > 0 {
            self.nnz -= removed;
            self.generation += 1;
        }
    }

    /// The structural generation (see [`ColumnIndex`]).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Weight at pool position `pos` (from a [`ColumnIndex`]).
    #[inline]
    pub fn weight_at(&self, pos: u32) -> f64 {
        self.w[pos as usize]
    }

    /// Mutable weight at pool position `pos` (from a current [`ColumnIndex`]).
    #[inline]
    pub fn weight_at_mut(&mut self, pos: u32) -> &mut f64 {
        &mut self.w[pos as usize]
    }

    /// Sum of the weights of row `i`.
    #[inline]
    pub fn row_sum(&self, i: usize) -> f64 {
        self.row(i).1.iter().sum()
    }

    /// All synapses as `(row, col, weight)` triplets in row-major order.
    pub fn triplets(&self) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        (0..self.n_rows).flat_map(move |i| {
            let (c, w) = self.row(i);
            c.iter().zip(w).map(move |(&j, &w)| (i as u32, j, w))
        })
    }

    /// Bytes held by this matrix (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        self.col.capacity() * 4
            + self.w.capacity() * 8
            + self.start.capacity() * 8
            + (self.len.capacity() + self.cap.capacity()) * 4
    }

    /// Dense copy, row-major, for tests and small exports.
    pub fn to_dense(&self) -> Vec<Vec<f64>> {
        let mut d = vec![vec![0.0; self.n_cols]; self.n_rows];
        for (i, j, w) in self.triplets() {
            d[i as usize][j as usize] = w;
        }
        d
    }

    /// Check the structural invariants (sorted unique columns in range, counts consistent).
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut nnz = 0;
        for i in 0..self.n_rows {
            if self.len[i] > self.cap[i] {
                return Err(format!("row {i}: len > cap"));
            }
            if self.start[i] + self.cap[i] as usize > self.col.len() {
                return Err(format!("row {i}: slot outside pool"));
            }
            let (c, _) = self.row(i);
            if !c.windows(2).all(|p| p[0] < p[1]) {
                return Err(format!("row {i}: columns not strictly ascending"));
            }
            if c.iter().any(|&j| j as usize >= self.n_cols) {
                return Err(format!("row {i}: column out of range"));
            }
            nnz += c.len();
        }
        if nnz != self.nnz {
            return Err(format!("nnz {} != counted {nnz}", self.nnz));
        }
        Ok(())
    }
}

/// A contiguous range of rows of an ordered [`SparseRows`], split across threads.
struct RowsMut<'a> {
    /// Index of the first row.
    first: usize,
    /// Pool offset of `col[0]` / `w[0]`.
    base: usize,
    start: &'a [usize],
    cap: &'a [u32],
    len: &'a mut [u32],
    col: &'a mut [u32],
    w: &'a mut [f64],
}

impl<'a> RowsMut<'a> {
    fn split_at(self, k: usize) -> (RowsMut<'a>, RowsMut<'a>) {
        let cut = self.start[k] - self.base;
        let (s1, s2) = self.start.split_at(k);
        let (c1, c2) = self.cap.split_at(k);
        let (l1, l2) = self.len.split_at_mut(k);
        let (col1, col2) = self.col.split_at_mut(cut);
        let (w1, w2) = self.w.split_at_mut(cut);
        (
            RowsMut {
                first: self.first,
                base: self.base,
                start: s1,
                cap: c1,
                len: l1,
                col: col1,
                w: w1,
            },
            RowsMut {
                first: self.first + k,
                base: self.base + cut,
                start: s2,
                cap: c2,
                len: l2,
                col: col2,
                w: w2,
            },
        )
    }

    /// Run `f` on every row; returns the number of synapses removed.
    fn run<F>(self, out: &mut [f64], leaf: usize, f: &F) -> usize
    where
        F: Fn(usize, &mut RowMut<'_>, Option<&mut f64>) + Sync,
    {
        let n = self.len.len();
        if n <= leaf || n < 2 {
            let mut removed = 0;
            let RowsMut {
                first,
                base,
                start,
                cap,
                len,
                col,
                w,
            } = self;
            let mut out = out.iter_mut();
            for (k, l) in len.iter_mut().enumerate() {
                let s = start[k] - base;
                let e = s + cap[k] as usize;
                let before = *l;
                let mut row = RowMut {
                    col: &mut col[s..e],
                    w: &mut w[s..e],
                    len: l,
                };
                f(first + k, &mut row, out.next());
                removed += (before - *row.len) as usize;
            }
            return removed;
        }
        let mid = n / 2;
        let (a, b) = self.split_at(mid);
        let (oa, ob) = out.split_at_mut(mid.min(out.len()));
        let (ra, rb) = rayon::join(|| a.run(oa, leaf, f), || b.run(ob, leaf, f));
        ra + rb
    }
}

/// One row of a [`SparseRows`] inside [`SparseRows::update_rows`].
pub struct RowMut<'a> {
    col: &'a mut [u32],
    w: &'a mut [f64],
    len: &'a mut u32,
}

impl RowMut<'_> {
    /// Columns and mutable weights.
    #[inline]
    pub fn weights_mut(&mut self) -> (&[u32], &mut [f64]) {
        let n = *self.len as usize;
        (&self.col[..n], &mut self.w[..n])
    }

    /// Sum of the weights (same order as [`SparseRows::row_sum`]).
    #[inline]
    pub fn sum(&self) -> f64 {
        self.w[..*self.len as usize].iter().sum()
    }

    /// `Σ_j W_ij · x_j` (same order as [`SparseRows::row_dot`]).
    #[inline]
    pub fn dot(&self, x: &[f64]) -> f64 {
        let n = *self.len as usize;
        self.col[..n]
            .iter()
            .zip(&self.w[..n])
            .map(|(&j, &w)| w * x[j as usize])
            .sum()
    }

    /// Keep the entries for which `keep(col, &mut weight)` is true, in order.
    #[inline]
    pub fn retain(&mut self, mut keep: impl FnMut(u32, &mut f64) -> bool) {
        let n = *self.len as usize;
        let mut k = 0;
        for r in 0..n {
            let c = self.col[r];
            let mut w = self.w[r];
            if keep(c, &mut w) {
                self.col[k] = c;
                self.w[k] = w;
                k += 1;
            }
        }
        *self.len = k as u32;
    }
}

/// The synapses of a [`SparseRows`] by column (presynaptic unit): for column j, the rows
/// (ascending) and pool positions of its synapses. It indexes weights in place (no copies), so
/// push-style delivery and pre-triggered plasticity visit only the synapses of active
/// presynaptic units. Valid while the matrix's structure is unchanged
/// ([`ColumnIndex::is_current`]); values may change freely.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnIndex {
    start: Vec<usize>,
    row: Vec<u32>,
    pos: Vec<u32>,
    /// Generation of the matrix this index was built from; `None` = never built.
    generation: Option<u64>,
}

impl ColumnIndex {
    /// Whether the index matches `m`'s current structure.
    #[inline]
    pub fn is_current(&self, m: &SparseRows) -> bool {
        self.generation == Some(m.generation) && self.start.len() == m.n_cols + 1
    }

    /// Rebuild for `m`, reusing this index's buffers.
    pub fn rebuild(&mut self, m: &SparseRows) {
        assert!(
            m.col.len() <= u32::MAX as usize,
            "pool exceeds u32 positions"
        );
        self.start.clear();
        self.start.resize(m.n_cols + 1, 0);
        for i in 0..m.n_rows {
            for &j in m.row(i).0 {
                self.start[j as usize + 1] += 1;
            }
        }
        for j in 0..m.n_cols {
            self.start[j + 1] += self.start[j];
        }
        self.row.clear();
        self.row.resize(m.nnz, 0);
        self.pos.clear();
        self.pos.resize(m.nnz, 0);
        let mut fill = self.start[..m.n_cols].to_vec();
        for i in 0..m.n_rows {
            let s = m.start[i];
            for (k, &j) in m.row(i).0.iter().enumerate() {
                let f = &mut fill[j as usize];
                self.row[*f] = i as u32;
                self.pos[*f] = (s + k) as u32;
                *f += 1;
            }
        }
        self.generation = Some(m.generation);
    }

    /// Rebuild if stale.
    #[inline]
    pub fn refresh(&mut self, m: &SparseRows) {
        if !self.is_current(m) {
            self.rebuild(m);
        }
    }

    /// Rows (ascending) and pool positions of column `j`'s synapses.
    #[inline]
    pub fn column(&self, j: usize) -> (&[u32], &[u32]) {
        let (s, e) = (self.start[j], self.start[j + 1]);
        (&self.row[s..e], &self.pos[s..e])
    }

    /// `out[i] += Σ_{j ∈ active} W_ij` (push delivery from active columns, in ascending j
    /// per row: the same additions, in the same order, as a pull over the row).
    pub fn push_active(&self, m: &SparseRows, active: &[u32], out: &mut [f64]) {
        debug_assert!(self.is_current(m));
        for &j in active {
            let (rows, pos) = self.column(j as usize);
            for (&i, &p) in rows.iter().zip(pos) {
                out[i as usize] += m.weight_at(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dense_matvec(d: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
        d.iter()
            .map(|r| r.iter().zip(x).map(|(a, b)| a * b).sum())
            .collect()
    }

    #[test]
    fn insert_grow_remove() {
        let mut m = SparseRows::from_rows(5, vec![vec![(3, 0.5), (1, 0.25)], vec![]]);
        assert_eq!(m.row(0).0, &[1, 3]);
        for j in [0, 2, 4] {
            assert!(m.insert(0, j, 0.1));
        }
        assert!(!m.insert(0, 2, 9.0));
        assert_eq!(m.row(0).0, &[0, 1, 2, 3, 4]);
        assert_eq!(m.get(0, 3), Some(0.5));
        m.retain_row(0, |c, _| c % 2 == 0);
        assert_eq!(m.row(0).0, &[0, 2, 4]);
        assert_eq!(m.nnz(), 3);
        m.compact();
        m.check_invariants().unwrap();
        assert_eq!(m.row(0).0, &[0, 2, 4]);
    }

    proptest! {
        /// Sparse pull propagation equals a dense matrix–vector product, also after random
        /// structural edits (insertions that move rows, removals, compaction).
        #[test]
        fn matvec_equals_dense(
            n_rows in 1usize..12, n_cols in 1usize..12,
            entries in proptest::collection::vec((0usize..12, 0usize..12, 0.0f64..1.0), 0..60),
            edits in proptest::collection::vec((0usize..12, 0usize..12, any::<bool>()), 0..60),
            x in proptest::collection::vec(prop_oneof![Just(0.0), Just(1.0), -2.0f64..2.0], 12),
        ) {
            let mut dense = vec![vec![0.0; n_cols]; n_rows];
            let mut rows = vec![Vec::new(); n_rows];
            for (i, j, w) in entries {
                let (i, j) = (i % n_rows, j % n_cols);
                if dense[i][j] == 0.0 && w > 0.0 {
                    dense[i][j] = w;
                    rows[i].push((j as u32, w));
                }
            }
            let mut m = SparseRows::from_rows(n_cols, rows);
            for (i, j, add) in edits {
                let (i, j) = (i % n_rows, j % n_cols);
                if add {
                    let inserted = m.insert(i, j as u32, 0.75);
                    prop_assert_eq!(inserted, dense[i][j] == 0.0);
                    if inserted { dense[i][j] = 0.75; }
                } else {
                    m.retain_row(i, |c, _| c as usize != j);
                    dense[i][j] = 0.0;
                }
                m.check_invariants().map_err(TestCaseError::fail)?;
            }
            let x = &x[..n_cols];
            let mut out = vec![0.0; n_rows];
            m.matvec(x, &mut out);
            let want = dense_matvec(&dense, x);
            for (a, b) in out.iter().zip(&want) {
                prop_assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
            prop_assert_eq!(m.to_dense(), dense);
            // Push from the active (x = 1) columns equals the pull, bit for bit.
            let mut idx = ColumnIndex::default();
            idx.refresh(&m);
            let binary: Vec<f64> = x.iter().map(|&v| if v == 1.0 { 1.0 } else { 0.0 }).collect();
            let active: Vec<u32> = (0..n_cols as u32).filter(|&j| binary[j as usize] == 1.0).collect();
            let mut pushed = vec![0.0; n_rows];
            idx.push_active(&m, &active, &mut pushed);
            m.matvec(&binary, &mut out);
            for (a, b) in pushed.iter().zip(&out) {
                prop_assert!(a == b, "push {a} vs pull {b}");
            }
            // Any structural edit makes the index stale.
            let g = m.generation();
            m.insert(0, (n_cols - 1) as u32, 0.5);
            m.retain_row(0, |c, _| c as usize != n_cols - 1);
            prop_assert!(m.generation() > g && !idx.is_current(&m));
        }
    }
}
