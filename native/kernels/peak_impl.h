// One FMA-loop body for every ISA level: included by peak_<level>.cc with VEC, FMA, SET1,
// ADD and LANES defined for that level's registers. Enough independent chains to cover
// FMA latency x issue ports on current x86 cores (4 cycles x 2 ports).
static float fma_loop_impl(int64_t iterations, int64_t* flops) {
  constexpr int kChains = 12;
  VEC acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = SET1(0.001f * static_cast<float>(c));
  const VEC a = SET1(0.999999f), b = SET1(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = FMA(acc[c], a, b);
  }
  VEC sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = ADD(sum, acc[c]);
  float lanes[LANES];
  STORE(lanes, sum);
  float total = 0;
  for (int l = 0; l < LANES; ++l) total += lanes[l];
  *flops = iterations * kChains * LANES * 2;
  return total;
}
