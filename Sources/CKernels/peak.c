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
