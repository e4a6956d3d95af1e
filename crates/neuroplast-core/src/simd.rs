//! Run-time choice of the widest vector instructions for the neuron updates.
//!
//! The workspace is built for x86-64-v3 (AVX2 + FMA, 4 doubles per instruction; see
//! `.cargo/config.toml`). A neuron update that is worth it also gets a copy compiled with
//! AVX-512 (8 doubles per instruction), chosen per call when the CPU has AVX-512F/DQ/VL/BW.
//! Both copies come from the same `#[inline(always)]` body, and Rust never fuses or reorders
//! floating-point operations on its own, so they give bit-identical results (asserted in the
//! models' tests): a seed's spike hash does not depend on the CPU.
//!
//! `NEUROPLAST_NO_AVX512=1` in the environment keeps the AVX2 copy (to compare speeds in one
//! session).

/// Whether the AVX-512 copies run: the CPU has AVX-512F/DQ/VL/BW and
/// `NEUROPLAST_NO_AVX512` is not set. Decided once per process.
pub fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| {
            std::env::var_os("NEUROPLAST_NO_AVX512").is_none()
                && std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::arch::is_x86_feature_detected!("avx512bw")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `f`, as a copy compiled with AVX-512 when [`avx512`] says so. For the copy to be
/// vectorised with AVX-512, `f` must be inlined into it: pass a closure marked
/// `#[inline(always)]` that calls an `#[inline(always)]` body.
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if avx512() {
        #[allow(unsafe_code)]
        // SAFETY: `avx512()` checked at run time that this CPU has every feature
        // `with_avx512` is compiled for.
        return unsafe { with_avx512(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The indices of the `true` entries of `fired`, appended to `spikes` in increasing order.
/// Reads eight flags at a time: in most steps almost no neuron fires.
pub fn push_fired(fired: &[bool], spikes: &mut Vec<u32>) {
    let mut chunks = fired.chunks_exact(8);
    let mut base = 0u32;
    for c in &mut chunks {
        // a bool is one byte, 0 or 1: eight of them are one u64 (written out, so that every
        // build compiles it to one load; `array::from_fn` was not, in some)
        let c: &[bool; 8] = c.try_into().expect("chunks of 8");
        let word = u64::from_ne_bytes([
            u8::from(c[0]),
            u8::from(c[1]),
            u8::from(c[2]),
            u8::from(c[3]),
            u8::from(c[4]),
            u8::from(c[5]),
            u8::from(c[6]),
            u8::from(c[7]),
        ]);
        if word != 0 {
            for (k, &f) in c.iter().enumerate() {
                if f {
                    spikes.push(base + k as u32);
                }
            }
        }
        base += 8;
    }
    for (k, &f) in chunks.remainder().iter().enumerate() {
        if f {
            spikes.push(base + k as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_fired_lists_every_true_index_in_order() {
        for n in [0usize, 1, 7, 8, 9, 63, 64, 100] {
            let fired: Vec<bool> = (0..n).map(|i| i % 3 == 1 || i == n - 1).collect();
            let mut got = vec![99];
            push_fired(&fired, &mut got);
            let want: Vec<u32> = std::iter::once(99)
                .chain((0..n as u32).filter(|&i| fired[i as usize]))
                .collect();
            assert_eq!(got, want, "n = {n}");
        }
    }
}
