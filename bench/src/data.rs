//! Deterministic inputs: uniformly distributed `f32`s from a seeded SplitMix64
//! generator, so every run of a benchmark sees the same data without a `rand`
//! dependency.

/// `len` values uniform in `[low, high)`, the same for the same `seed`.
pub fn uniform(seed: u64, len: usize, low: f32, high: f32) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            let bits = splitmix64(&mut state);
            // The top 24 bits give a float in [0, 1) that f32 represents exactly.
            let unit = (bits >> 40) as f32 / (1u64 << 24) as f32;
            low + (high - low) * unit
        })
        .collect()
}

/// One step of SplitMix64 (Steele, Lea and Flood's generator).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
