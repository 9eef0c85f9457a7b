/* See CKernels.h. exp: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-7 polynomial, 2^n in the exponent bits.
   erf: the Numerical Recipes erfc Chebyshev fit (fractional error < 1.2e-7). */
#include "CKernels.h"
#include "lanes.h"
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static float exp_scalar(float x) {
    if (x < -87.0f) x = -87.0f;
    if (x > 88.0f) x = 88.0f;
    float n = nearbyintf(x * 1.442695040888963f);
    float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720; p = p * r + 1.0f / 120; p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6; p = p * r + 0.5f; p = p * r + 1; p = p * r + 1;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale; memcpy(&scale, &bits, 4);
    return p * scale;
}

static float erf_scalar(float x) {
    float z = fabsf(x), t = 1.0f / (1.0f + 0.5f * z);
    float poly = 0.17087277f;
    poly = poly * t - 0.82215223f; poly = poly * t + 1.48851587f; poly = poly * t - 1.13520398f;
    poly = poly * t + 0.27886807f; poly = poly * t - 0.18628806f; poly = poly * t + 0.09678418f;
    poly = poly * t + 0.37409196f; poly = poly * t + 1.00002368f; poly = poly * t - 1.26551223f;
    float m = 1.0f - t * exp_scalar(-z * z + poly);
    return x < 0 ? -m : m;
}

__attribute__((target("avx512f")))
static __m512 exp16(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-87.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.442695040888963f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

__attribute__((target("avx512f")))
static __m512 erf16(__m512 x) {
    __m512 z = _mm512_abs_ps(x);
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
    static const float c[] = {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f,
                              0.37409196f, 1.00002368f, -1.26551223f};
    __m512 poly = _mm512_set1_ps(0.17087277f);
    for (int i = 0; i < 9; i++) poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(c[i]));
    __m512 e = exp16(_mm512_fmadd_ps(_mm512_sub_ps(_mm512_setzero_ps(), z), z, poly));
    __m512 m = _mm512_fnmadd_ps(t, e, _mm512_set1_ps(1.0f));
    __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_sub_ps(m, negative, _mm512_setzero_ps(), m);
}

__attribute__((target("avx512f")))
static float exp_shifted_avx512(float *row, size_t cols) {
    size_t full = cols & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (cols - full)) - 1);
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (size_t j = 0; j < full; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(row + j));
    if (tail) mx = _mm512_mask_max_ps(mx, tail, mx, _mm512_maskz_loadu_ps(tail, row + full));
    __m512 shift = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(row + j), shift));
        _mm512_storeu_ps(row + j, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (tail) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, row + full), shift));
        _mm512_mask_storeu_ps(row + full, tail, e);
        sum = _mm512_mask_add_ps(sum, tail, sum, e);
    }
    return 1.0f / _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx512f")))
static void softmax_avx512(float *p, size_t rows, size_t cols) {
    size_t full = cols & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (cols - full)) - 1);
    for (size_t r = 0; r < rows; r++) {
        float *row = p + r * cols;
        __m512 inv = _mm512_set1_ps(exp_shifted_avx512(row, cols));
        for (size_t j = 0; j < full; j += 16) _mm512_storeu_ps(row + j, _mm512_mul_ps(_mm512_loadu_ps(row + j), inv));
        if (tail) _mm512_mask_storeu_ps(row + full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, row + full), inv));
    }
}

/* The same softmax, its last pass also rounding to bf16 into `out` (the instruction `to_bf16` uses, so the bits are
   those of softmax then rounding); `keep` stores the fp32 values too. */
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void softmax_bf16_avx512(float *p, size_t rows, size_t cols, uint16_t *out, int keep) {
    size_t full = cols & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (cols - full)) - 1);
    for (size_t r = 0; r < rows; r++) {
        float *row = p + r * cols;
        uint16_t *dst = out + r * cols;
        __m512 inv = _mm512_set1_ps(exp_shifted_avx512(row, cols));
        for (size_t j = 0; j < full; j += 16) {
            __m512 y = _mm512_mul_ps(_mm512_loadu_ps(row + j), inv);
            if (keep) _mm512_storeu_ps(row + j, y);
            _mm256_storeu_si256((__m256i *)(dst + j), (__m256i)_mm512_cvtneps_pbh(y));
        }
        if (tail) {
            __m512 y = _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, row + full), inv);
            if (keep) _mm512_mask_storeu_ps(row + full, tail, y);
            _mm256_mask_storeu_epi16(dst + full, tail, (__m256i)_mm512_cvtneps_pbh(y));
        }
    }
}

__attribute__((target("avx512f")))
static void gelu_forward_avx512(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 cdf = _mm512_fmadd_ps(erf16(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f))), _mm512_set1_ps(0.5f), _mm512_set1_ps(0.5f));
        _mm512_storeu_ps(y + i, _mm512_mul_ps(v, cdf));
    }
    for (; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf_scalar(x[i] * 0.70710678118654752f));
}

__attribute__((target("avx512f")))
static void gelu_backward_avx512(const float *x, const float *dy, float *dx, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 cdf = _mm512_fmadd_ps(erf16(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f))), _mm512_set1_ps(0.5f), _mm512_set1_ps(0.5f));
        __m512 pdf = _mm512_mul_ps(_mm512_set1_ps(0.3989422804014327f), exp16(_mm512_mul_ps(_mm512_set1_ps(-0.5f), _mm512_mul_ps(v, v))));
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(_mm512_loadu_ps(dy + i), _mm512_fmadd_ps(v, pdf, cdf)));
    }
    for (; i < n; i++) {
        float v = x[i], cdf = 0.5f * (1.0f + erf_scalar(v * 0.70710678118654752f));
        dx[i] = dy[i] * (cdf + v * 0.3989422804014327f * exp_scalar(-0.5f * v * v));
    }
}

/* The AVX2 + FMA paths: the AVX-512 paths' operations on two 8-lane halves (lanes 0-7 and 8-15 of a 16-lane step),
   for CPUs without AVX-512. exp and erf are lane for lane the same operations, so GELU gives the AVX-512 path's bits;
   the softmax row sums keep 16 partials, added in a fixed tree. */
__attribute__((target("avx2,fma")))
static __m256 exp8(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.442695040888963f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma")))
static __m256 erf8(__m256 x) {
    __m256 z = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
    static const float c[] = {-0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f,
                              0.37409196f, 1.00002368f, -1.26551223f};
    __m256 poly = _mm256_set1_ps(0.17087277f);
    for (int i = 0; i < 9; i++) poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(c[i]));
    __m256 e = exp8(_mm256_fmadd_ps(_mm256_sub_ps(_mm256_setzero_ps(), z), z, poly));
    __m256 m = _mm256_fnmadd_ps(t, e, _mm256_set1_ps(1.0f));
    __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(m, _mm256_sub_ps(_mm256_setzero_ps(), m), negative);
}

/* The 16 partials (lo: 0-7, hi: 8-15) added in a fixed tree: i + 8, then i + 4, i + 2, i + 1. */
__attribute__((target("avx2")))
static float tree16_avx2(__m256 lo, __m256 hi) {
    __m256 s8 = _mm256_add_ps(lo, hi);
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

/* exp(row − max) in place; returns 1 / Σ. */
__attribute__((target("avx2,fma")))
static float exp_shifted_avx2(float *row, size_t cols) {
    size_t full = cols & ~(size_t)15;
    long rest = (long)(cols - full);
    __m256i k0 = mvd_lanes8(rest), k1 = mvd_lanes8(rest - 8);
    __m256 mx = _mm256_set1_ps(-INFINITY);
    for (size_t j = 0; j < full; j += 16)
        mx = _mm256_max_ps(mx, _mm256_max_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(row + j + 8)));
    float m8[8];
    _mm256_storeu_ps(m8, mx);
    float top = -INFINITY;
    for (int i = 0; i < 8; i++) top = m8[i] > top ? m8[i] : top;
    for (size_t j = full; j < cols; j++) top = row[j] > top ? row[j] : top;
    __m256 shift = _mm256_set1_ps(top);
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (size_t j = 0; j < full; j += 16) {
        __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), shift));
        __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j + 8), shift));
        _mm256_storeu_ps(row + j, e0);
        _mm256_storeu_ps(row + j + 8, e1);
        lo = _mm256_add_ps(lo, e0);
        hi = _mm256_add_ps(hi, e1);
    }
    if (rest) {
        __m256 e0 = exp8(_mm256_sub_ps(_mm256_maskload_ps(row + full, k0), shift));
        __m256 e1 = exp8(_mm256_sub_ps(_mm256_maskload_ps(row + full + 8, k1), shift));
        _mm256_maskstore_ps(row + full, k0, e0);
        _mm256_maskstore_ps(row + full + 8, k1, e1);
        lo = _mm256_blendv_ps(lo, _mm256_add_ps(lo, e0), _mm256_castsi256_ps(k0));
        hi = _mm256_blendv_ps(hi, _mm256_add_ps(hi, e1), _mm256_castsi256_ps(k1));
    }
    return 1.0f / tree16_avx2(lo, hi);
}

__attribute__((target("avx2,fma")))
static void softmax_avx2(float *p, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        float *row = p + r * cols;
        float inv = exp_shifted_avx2(row, cols);
        __m256 s = _mm256_set1_ps(inv);
        size_t j = 0;
        for (; j + 8 <= cols; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), s));
        for (; j < cols; j++) row[j] = row[j] * inv;
    }
}

/* Σ g·p over one row in 16 lanes of fused sums, then the fixed tree. */
__attribute__((target("avx2,fma")))
static float row_dot_avx2(const float *g, const float *p, size_t cols) {
    size_t full = cols & ~(size_t)15;
    long rest = (long)(cols - full);
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (size_t j = 0; j < full; j += 16) {
        lo = _mm256_fmadd_ps(_mm256_loadu_ps(g + j), _mm256_loadu_ps(p + j), lo);
        hi = _mm256_fmadd_ps(_mm256_loadu_ps(g + j + 8), _mm256_loadu_ps(p + j + 8), hi);
    }
    if (rest) {
        __m256i k0 = mvd_lanes8(rest), k1 = mvd_lanes8(rest - 8);
        lo = _mm256_fmadd_ps(_mm256_maskload_ps(g + full, k0), _mm256_maskload_ps(p + full, k0), lo);
        hi = _mm256_fmadd_ps(_mm256_maskload_ps(g + full + 8, k1), _mm256_maskload_ps(p + full + 8, k1), hi);
    }
    return tree16_avx2(lo, hi);
}

__attribute__((target("avx2,fma")))
static void softmax_backward_avx2(float *g, const float *p, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        float *gr = g + r * cols;
        const float *pr = p + r * cols;
        float d = row_dot_avx2(gr, pr, cols);
        __m256 dot = _mm256_set1_ps(d);
        size_t j = 0;
        for (; j + 8 <= cols; j += 8)
            _mm256_storeu_ps(gr + j, _mm256_mul_ps(_mm256_loadu_ps(pr + j), _mm256_sub_ps(_mm256_loadu_ps(gr + j), dot)));
        for (; j < cols; j++) gr[j] = pr[j] * (gr[j] - d);
    }
}

/* 16 values a step, as the AVX-512 path, and the same scalar tail. */
__attribute__((target("avx2,fma")))
static void gelu_forward_avx2(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (size_t h = 0; h < 16; h += 8) {
            __m256 v = _mm256_loadu_ps(x + i + h);
            __m256 cdf = _mm256_fmadd_ps(erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f))), _mm256_set1_ps(0.5f), _mm256_set1_ps(0.5f));
            _mm256_storeu_ps(y + i + h, _mm256_mul_ps(v, cdf));
        }
    }
    for (; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf_scalar(x[i] * 0.70710678118654752f));
}

__attribute__((target("avx2,fma")))
static void gelu_backward_avx2(const float *x, const float *dy, float *dx, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (size_t h = 0; h < 16; h += 8) {
            __m256 v = _mm256_loadu_ps(x + i + h);
            __m256 cdf = _mm256_fmadd_ps(erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f))), _mm256_set1_ps(0.5f), _mm256_set1_ps(0.5f));
            __m256 pdf = _mm256_mul_ps(_mm256_set1_ps(0.3989422804014327f), exp8(_mm256_mul_ps(_mm256_set1_ps(-0.5f), _mm256_mul_ps(v, v))));
            _mm256_storeu_ps(dx + i + h, _mm256_mul_ps(_mm256_loadu_ps(dy + i + h), _mm256_fmadd_ps(v, pdf, cdf)));
        }
    }
    for (; i < n; i++) {
        float v = x[i], cdf = 0.5f * (1.0f + erf_scalar(v * 0.70710678118654752f));
        dx[i] = dy[i] * (cdf + v * 0.3989422804014327f * exp_scalar(-0.5f * v * v));
    }
}

static int use_avx512 = -1;

int mvd_kernels_use_avx512(void) {
    if (use_avx512 < 0) use_avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return use_avx512;
}

static int use_avx2 = -1;

int mvd_kernels_use_avx2(void) {
    if (use_avx2 < 0) use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    return use_avx2;
}

static uint16_t round_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);  /* quiet NaN stays NaN */
    u += 0x7fffu + ((u >> 16) & 1u);                                            /* round to nearest even */
    return (uint16_t)(u >> 16);
}

static int use_avx512bf16 = -1;

void mvd_softmax_rows_bf16(float *p, size_t rows, size_t cols, uint16_t *out, int keep) {
    if (use_avx512bf16 < 0) use_avx512bf16 = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
    if (use_avx512bf16 && mvd_kernels_use_avx512()) { softmax_bf16_avx512(p, rows, cols, out, keep); return; }
    mvd_softmax_rows(p, rows, cols);
    for (size_t i = 0; i < rows * cols; i++) out[i] = round_bf16(p[i]);
}

/* Σ g·p over one row: 16 lanes of fused sums, then lanes added in a fixed order. */
__attribute__((target("avx512f")))
static float row_dot_avx512(const float *g, const float *p, size_t cols) {
    size_t full = cols & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (cols - full)) - 1);
    __m512 acc = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(g + j), _mm512_loadu_ps(p + j), acc);
    if (tail) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, g + full), _mm512_maskz_loadu_ps(tail, p + full), acc);
    return _mm512_reduce_add_ps(acc);
}

/* dS = P ⊙ (G − rowsum(G ⊙ P)) per row, in place in `g`. */
__attribute__((target("avx512f")))
static void softmax_backward_avx512(float *g, const float *p, size_t rows, size_t cols) {
    size_t full = cols & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (cols - full)) - 1);
    for (size_t r = 0; r < rows; r++) {
        float *gr = g + r * cols;
        const float *pr = p + r * cols;
        __m512 dot = _mm512_set1_ps(row_dot_avx512(gr, pr, cols));
        for (size_t j = 0; j < full; j += 16)
            _mm512_storeu_ps(gr + j, _mm512_mul_ps(_mm512_loadu_ps(pr + j), _mm512_sub_ps(_mm512_loadu_ps(gr + j), dot)));
        if (tail)
            _mm512_mask_storeu_ps(gr + full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, pr + full),
                                                                 _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, gr + full), dot)));
    }
}

/* The same dS, rounded to bf16 into `out`; `g` is left as it was. */
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void softmax_backward_bf16_avx512(const float *g, const float *p, size_t rows, size_t cols, uint16_t *out) {
    size_t full = cols & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (cols - full)) - 1);
    for (size_t r = 0; r < rows; r++) {
        const float *gr = g + r * cols, *pr = p + r * cols;
        uint16_t *dst = out + r * cols;
        __m512 dot = _mm512_set1_ps(row_dot_avx512(gr, pr, cols));
        for (size_t j = 0; j < full; j += 16) {
            __m512 y = _mm512_mul_ps(_mm512_loadu_ps(pr + j), _mm512_sub_ps(_mm512_loadu_ps(gr + j), dot));
            _mm256_storeu_si256((__m256i *)(dst + j), (__m256i)_mm512_cvtneps_pbh(y));
        }
        if (tail) {
            __m512 y = _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, pr + full), _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, gr + full), dot));
            _mm256_mask_storeu_epi16(dst + full, tail, (__m256i)_mm512_cvtneps_pbh(y));
        }
    }
}

void mvd_softmax_backward_rows_bf16(const float *g, const float *p, size_t rows, size_t cols, uint16_t *out) {
    if (use_avx512bf16 < 0) use_avx512bf16 = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
    if (use_avx512bf16 && mvd_kernels_use_avx512()) { softmax_backward_bf16_avx512(g, p, rows, cols, out); return; }
    for (size_t r = 0; r < rows; r++) {
        const float *gr = g + r * cols, *pr = p + r * cols;
        float dot = 0;
        for (size_t j = 0; j < cols; j++) dot += gr[j] * pr[j];
        for (size_t j = 0; j < cols; j++) out[r * cols + j] = round_bf16(pr[j] * (gr[j] - dot));
    }
}

void mvd_softmax_backward_rows(float *g, const float *p, size_t rows, size_t cols) {
    if (mvd_kernels_use_avx512()) { softmax_backward_avx512(g, p, rows, cols); return; }
    if (mvd_kernels_use_avx2()) { softmax_backward_avx2(g, p, rows, cols); return; }
    mvd_softmax_backward_rows_portable(g, p, rows, cols);
}

void mvd_softmax_backward_rows_portable(float *g, const float *p, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        float *gr = g + r * cols;
        const float *pr = p + r * cols;
        float dot = 0;
        for (size_t j = 0; j < cols; j++) dot += gr[j] * pr[j];
        for (size_t j = 0; j < cols; j++) gr[j] = pr[j] * (gr[j] - dot);
    }
}

void mvd_softmax_rows(float *p, size_t rows, size_t cols) {
    if (mvd_kernels_use_avx512()) { softmax_avx512(p, rows, cols); return; }
    if (mvd_kernels_use_avx2()) { softmax_avx2(p, rows, cols); return; }
    mvd_softmax_rows_portable(p, rows, cols);
}

void mvd_softmax_rows_portable(float *p, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        float *row = p + r * cols, mx = -INFINITY, sum = 0;
        for (size_t j = 0; j < cols; j++) mx = row[j] > mx ? row[j] : mx;
        for (size_t j = 0; j < cols; j++) { row[j] = exp_scalar(row[j] - mx); sum += row[j]; }
        float inv = 1.0f / sum;
        for (size_t j = 0; j < cols; j++) row[j] *= inv;
    }
}

void mvd_gelu_forward(const float *x, float *y, size_t n) {
    if (mvd_kernels_use_avx512()) { gelu_forward_avx512(x, y, n); return; }
    if (mvd_kernels_use_avx2()) { gelu_forward_avx2(x, y, n); return; }
    mvd_gelu_forward_portable(x, y, n);
}

void mvd_gelu_forward_portable(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf_scalar(x[i] * 0.70710678118654752f));
}

void mvd_gelu_backward(const float *x, const float *dy, float *dx, size_t n) {
    if (mvd_kernels_use_avx512()) { gelu_backward_avx512(x, dy, dx, n); return; }
    if (mvd_kernels_use_avx2()) { gelu_backward_avx2(x, dy, dx, n); return; }
    mvd_gelu_backward_portable(x, dy, dx, n);
}

void mvd_gelu_backward_portable(const float *x, const float *dy, float *dx, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i], cdf = 0.5f * (1.0f + erf_scalar(v * 0.70710678118654752f));
        dx[i] = dy[i] * (cdf + v * 0.3989422804014327f * exp_scalar(-0.5f * v * v));
    }
}
