/* See CKernels.h. The AdamW update, the optimiser's elementwise loop over every parameter: 16 lanes at a time where
   the CPU has AVX-512, 8 where it has AVX2, each lane computing exactly what the scalar loop computes, in the same order and without
   fused multiply-adds, so that the bits do not depend on the CPU. */
#include "CKernels.h"
#include <immintrin.h>
#include <math.h>

#pragma clang fp contract(off)

__attribute__((target("avx512f")))
static void adamw_avx512(float *w, float *m, float *v, const float *g, size_t n, float decay, float beta1, float beta2,
                         float step_size, float bc2_sqrt, float eps) {
    const __m512 d = _mm512_set1_ps(decay), b1 = _mm512_set1_ps(beta1), b2 = _mm512_set1_ps(beta2);
    const __m512 c1 = _mm512_set1_ps(1 - beta1), c2 = _mm512_set1_ps(1 - beta2);
    const __m512 s = _mm512_set1_ps(step_size), q = _mm512_set1_ps(bc2_sqrt), e = _mm512_set1_ps(eps);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __m512 wi = _mm512_mul_ps(_mm512_loadu_ps(w + i), d);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(c1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(v + i)), _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
        __m512 denominator = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), q), e);
        _mm512_storeu_ps(w + i, _mm512_sub_ps(wi, _mm512_div_ps(_mm512_mul_ps(s, mi), denominator)));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
    }
    mvd_adamw_update_portable(w + i, m + i, v + i, g + i, n - i, decay, beta1, beta2, step_size, bc2_sqrt, eps);
}

__attribute__((target("avx2")))
static void adamw_avx2(float *w, float *m, float *v, const float *g, size_t n, float decay, float beta1, float beta2,
                       float step_size, float bc2_sqrt, float eps) {
    const __m256 d = _mm256_set1_ps(decay), b1 = _mm256_set1_ps(beta1), b2 = _mm256_set1_ps(beta2);
    const __m256 c1 = _mm256_set1_ps(1 - beta1), c2 = _mm256_set1_ps(1 - beta2);
    const __m256 s = _mm256_set1_ps(step_size), q = _mm256_set1_ps(bc2_sqrt), e = _mm256_set1_ps(eps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 wi = _mm256_mul_ps(_mm256_loadu_ps(w + i), d);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), q), e);
        _mm256_storeu_ps(w + i, _mm256_sub_ps(wi, _mm256_div_ps(_mm256_mul_ps(s, mi), denominator)));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
    }
    mvd_adamw_update_portable(w + i, m + i, v + i, g + i, n - i, decay, beta1, beta2, step_size, bc2_sqrt, eps);
}

void mvd_adamw_update_portable(float *w, float *m, float *v, const float *g, size_t n, float decay, float beta1,
                               float beta2, float step_size, float bc2_sqrt, float eps) {
    for (size_t i = 0; i < n; i++) {
        w[i] *= decay;
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        w[i] -= step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    }
}

void mvd_adamw_update(float *w, float *m, float *v, const float *g, size_t n, float decay, float beta1, float beta2,
                      float step_size, float bc2_sqrt, float eps) {
    if (mvd_kernels_use_avx512()) adamw_avx512(w, m, v, g, n, decay, beta1, beta2, step_size, bc2_sqrt, eps);
    else if (mvd_kernels_use_avx2()) adamw_avx2(w, m, v, g, n, decay, beta1, beta2, step_size, bc2_sqrt, eps);
    else mvd_adamw_update_portable(w, m, v, g, n, decay, beta1, beta2, step_size, bc2_sqrt, eps);
}
