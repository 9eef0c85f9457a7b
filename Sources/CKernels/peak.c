/* See CKernels.h: arithmetic peaks, measured by loops that do nothing else. */
#include "CKernels.h"
#include <immintrin.h>

/* 12 independent chains: enough to keep two FMA (or dot-product) pipes of 4-cycle latency busy. */
#define CHAINS 12

__attribute__((target("avx512f")))
float mvd_peak_fma_fp32(size_t iterations) {
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    const __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
    for (size_t i = 0; i < iterations; i++)
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
    return _mm512_reduce_add_ps(sum);  /* returned, so that the loop is not removed */
}

/* The same loop on 256-bit registers, the fp32 ceiling of a CPU with AVX2 and FMA but no AVX-512. */
__attribute__((target("avx2,fma")))
static float fma_fp32_avx2(size_t iterations) {
    __m256 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    const __m256 scale = _mm256_set1_ps(0.999999f), shift = _mm256_set1_ps(1e-7f);
    for (size_t i = 0; i < iterations; i++)
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
    __m256 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm256_add_ps(sum, acc[c]);
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    return lanes[0] + lanes[7];
}

float mvd_peak_fma_fp32_avx2(size_t iterations) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? fma_fp32_avx2(iterations) : 0;
}

__attribute__((target("avx512f,avx512bf16")))
static float dot_bf16(size_t iterations) {
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3380);  /* 1.0, ~6e-8 */
    for (size_t i = 0; i < iterations; i++)
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
    return _mm512_reduce_add_ps(sum);
}

float mvd_peak_dot_bf16(size_t iterations) {
    return __builtin_cpu_supports("avx512bf16") ? dot_bf16(iterations) : 0;
}

int mvd_cpu_has_avx512_bf16(void) { return __builtin_cpu_supports("avx512bf16") ? 1 : 0; }
int mvd_cpu_has_avx512(void) { return __builtin_cpu_supports("avx512f") ? 1 : 0; }
