/* Helpers shared by the AVX2 paths of the kernels (not part of the module's interface). */
#ifndef MVD_CKERNELS_LANES_H
#define MVD_CKERNELS_LANES_H
#include <immintrin.h>

/* Lanes 0 ..< count of 8 set (count clamped to 0...8), as a load/store/blend mask. */
__attribute__((target("avx2")))
static inline __m256i mvd_lanes8(long count) {
    if (count < 0) count = 0;
    if (count > 8) count = 8;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif
