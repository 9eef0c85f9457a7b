/* See CKernels.h. Sums over long float arrays in double: the sum of squares (gradient norms) and the regression
   losses with their gradients. Each sum keeps 16 partials, element j going to partial j mod 16, added in one fixed
   tree at the end; the AVX2 path holds them in four 4-lane double registers and performs the portable loop's
   operations in its order, without fused multiply-adds, so the bits do not depend on the CPU. A single running sum
   waits on every addition in turn (4 cycles each). */
#include "CKernels.h"
#include <immintrin.h>
#include <math.h>

#pragma clang fp contract(off)

static double tree16d(double *p) {
    for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; i++) p[i] = p[i] + p[i + width];
    return p[0];
}

/* The loss term and gradient of one difference d (see mvd_regression_loss_sum). */
static inline double loss_term(int kind, float d, float inv, float *g) {
    switch (kind) {
    case 0:  /* smooth L1, beta 1 */
        if (fabsf(d) < 1) { *g = d * inv; return (double)(0.5f * d * d); }
        *g = (d > 0 ? 1.0f : -1.0f) * inv;
        return (double)(fabsf(d) - 0.5f);
    case 1:  /* L2 */
        *g = 2 * d * inv;
        return (double)(d * d);
    default:  /* L1 */
        *g = (d > 0 ? 1.0f : (d < 0 ? -1.0f : 0.0f)) * inv;
        return (double)fabsf(d);
    }
}

static double loss_portable(int kind, const float *p, const float *t, float *g, size_t n, float inv) {
    double part[16] = {0};
    for (size_t j = 0; j < n; j++) part[j % 16] = part[j % 16] + loss_term(kind, p[j] - t[j], inv, g + j);
    return tree16d(part);
}

static double squares_portable(const float *x, size_t n) {
    double part[16] = {0};
    for (size_t j = 0; j < n; j++) part[j % 16] = part[j % 16] + (double)x[j] * (double)x[j];
    return tree16d(part);
}

/* 8 float terms added into partials [0..3] (lo) and [4..7] (hi) of one of two 8-partial halves. */
__attribute__((target("avx2")))
static inline void add8(__m256d *lo, __m256d *hi, __m256 terms) {
    *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(terms)));
    *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(terms, 1)));
}

__attribute__((target("avx2")))
static double squares_avx2(const float *x, size_t n) {
    __m256d a = _mm256_setzero_pd(), b = a, c = a, d = a;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(x + j)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 4));
        __m256d x2 = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 8)), x3 = _mm256_cvtps_pd(_mm_loadu_ps(x + j + 12));
        a = _mm256_add_pd(a, _mm256_mul_pd(x0, x0));
        b = _mm256_add_pd(b, _mm256_mul_pd(x1, x1));
        c = _mm256_add_pd(c, _mm256_mul_pd(x2, x2));
        d = _mm256_add_pd(d, _mm256_mul_pd(x3, x3));
    }
    double part[16];
    _mm256_storeu_pd(part, a);
    _mm256_storeu_pd(part + 4, b);
    _mm256_storeu_pd(part + 8, c);
    _mm256_storeu_pd(part + 12, d);
    for (; j < n; j++) part[j % 16] = part[j % 16] + (double)x[j] * (double)x[j];
    return tree16d(part);
}

/* The terms of 8 differences: smooth L1 (kind 0), L2 (1); L1 takes the portable loop. */
__attribute__((target("avx2")))
static __m256 loss8(int kind, __m256 dv, __m256 inv, __m256 *grad) {
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 ad = _mm256_andnot_ps(sign, dv);
    if (kind == 1) {
        *grad = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(2.0f), dv), inv);
        return _mm256_mul_ps(dv, dv);
    }
    __m256 small = _mm256_cmp_ps(ad, one, _CMP_LT_OQ);
    __m256 quadratic = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), dv), dv);
    __m256 linear = _mm256_sub_ps(ad, _mm256_set1_ps(0.5f));
    /* sign(d) for |d| >= 1: d > 0 gives 1, else -1 */
    __m256 unit = _mm256_blendv_ps(_mm256_set1_ps(-1.0f), one, _mm256_cmp_ps(dv, _mm256_setzero_ps(), _CMP_GT_OQ));
    *grad = _mm256_mul_ps(_mm256_blendv_ps(unit, dv, small), inv);
    return _mm256_blendv_ps(linear, quadratic, small);
}

__attribute__((target("avx2")))
static double loss_avx2(int kind, const float *p, const float *t, float *g, size_t n, float inv) {
    __m256d a = _mm256_setzero_pd(), b = a, c = a, d = a;
    const __m256 iv = _mm256_set1_ps(inv);
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256 g0, g1;
        __m256 t0 = loss8(kind, _mm256_sub_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(t + j)), iv, &g0);
        __m256 t1 = loss8(kind, _mm256_sub_ps(_mm256_loadu_ps(p + j + 8), _mm256_loadu_ps(t + j + 8)), iv, &g1);
        _mm256_storeu_ps(g + j, g0);
        _mm256_storeu_ps(g + j + 8, g1);
        add8(&a, &b, t0);
        add8(&c, &d, t1);
    }
    double part[16];
    _mm256_storeu_pd(part, a);
    _mm256_storeu_pd(part + 4, b);
    _mm256_storeu_pd(part + 8, c);
    _mm256_storeu_pd(part + 12, d);
    for (; j < n; j++) part[j % 16] = part[j % 16] + loss_term(kind, p[j] - t[j], inv, g + j);
    return tree16d(part);
}

static int use_vector(int portable) { return !portable && mvd_kernels_use_avx2(); }

double mvd_sum_of_squares(const float *x, size_t n, int portable) {
    return use_vector(portable) ? squares_avx2(x, n) : squares_portable(x, n);
}

double mvd_regression_loss_sum(int kind, const float *p, const float *t, float *g, size_t n, float inv, int portable) {
    return use_vector(portable) && kind != 2 ? loss_avx2(kind, p, t, g, n, inv) : loss_portable(kind, p, t, g, n, inv);
}
