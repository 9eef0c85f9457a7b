/* See CKernels.h. Layer norm's forward rows. Each of the row's two sums (values, squared deviations) is kept in 16
   partial sums, element j going to partial j mod 16, and the partials are added in one fixed tree; the AVX-512 path,
   the AVX2 path (the 16 partials in two 8-lane registers) and the portable path perform the same operations in the
   same order, without fused multiply-adds, so the bits do not depend on the CPU. A single running sum (the scalar loop's) waits on every addition in turn. */
#include "CKernels.h"
#include "lanes.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

#pragma clang fp contract(off)

/* The 16 partials added pairwise: lanes i and i + 8, then i + 4, i + 2, i + 1. */
static float tree16(float *p) {
    for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; i++) p[i] = p[i] + p[i + width];
    return p[0];
}

static void normalize_row_portable(const float *x, float *y, size_t c, const float *w, const float *b, float eps,
                                   float *mean, float *rstd) {
    float part[16] = {0};
    for (size_t j = 0; j < c; j++) part[j % 16] = part[j % 16] + x[j];
    float mu = tree16(part) / (float)c;
    memset(part, 0, sizeof part);
    for (size_t j = 0; j < c; j++) {
        float d = x[j] - mu;
        part[j % 16] = part[j % 16] + d * d;
    }
    float inv = 1.0f / sqrtf(tree16(part) / (float)c + eps);
    *mean = mu;
    *rstd = inv;
    if (w && b) for (size_t j = 0; j < c; j++) y[j] = (x[j] - mu) * inv * w[j] + b[j];
    else for (size_t j = 0; j < c; j++) y[j] = (x[j] - mu) * inv;
}

__attribute__((target("avx512f")))
static void normalize_row_avx512(const float *x, float *y, size_t c, const float *w, const float *b, float eps,
                                 float *mean, float *rstd) {
    size_t full = c & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (c - full)) - 1);
    float part[16];
    __m512 acc = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(x + j));
    acc = _mm512_mask_add_ps(acc, tail, acc, _mm512_maskz_loadu_ps(tail, x + full));
    _mm512_storeu_ps(part, acc);
    float mu = tree16(part) / (float)c;
    __m512 m = _mm512_set1_ps(mu);
    acc = _mm512_setzero_ps();
    for (size_t j = 0; j < full; j += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + j), m);
        acc = _mm512_add_ps(acc, _mm512_mul_ps(d, d));
    }
    __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + full), m);
    acc = _mm512_mask_add_ps(acc, tail, acc, _mm512_mul_ps(d, d));
    _mm512_storeu_ps(part, acc);
    float inv = 1.0f / sqrtf(tree16(part) / (float)c + eps);
    *mean = mu;
    *rstd = inv;
    __m512 s = _mm512_set1_ps(inv);
    for (size_t j = 0; j < c; j += 16) {
        __mmask16 k = j + 16 <= c ? (__mmask16)0xffff : tail;
        __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), m), s);
        if (w && b) v = _mm512_add_ps(_mm512_mul_ps(v, _mm512_maskz_loadu_ps(k, w + j)), _mm512_maskz_loadu_ps(k, b + j));
        _mm512_mask_storeu_ps(y + j, k, v);
    }
}

/* acc + v where `k` is set; acc elsewhere (a masked-off lane is not even added a zero, as in the portable loop). */
__attribute__((target("avx2")))
static __m256 add_where(__m256 acc, __m256 v, __m256i k) {
    return _mm256_blendv_ps(acc, _mm256_add_ps(acc, v), _mm256_castsi256_ps(k));
}

__attribute__((target("avx2")))
static void normalize_row_avx2(const float *x, float *y, size_t c, const float *w, const float *b, float eps,
                               float *mean, float *rstd) {
    size_t full = c & ~(size_t)15;
    long rest = (long)(c - full);
    __m256i k0 = mvd_lanes8(rest), k1 = mvd_lanes8(rest - 8);
    float part[16];
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (size_t j = 0; j < full; j += 16) {
        lo = _mm256_add_ps(lo, _mm256_loadu_ps(x + j));
        hi = _mm256_add_ps(hi, _mm256_loadu_ps(x + j + 8));
    }
    lo = add_where(lo, _mm256_maskload_ps(x + full, k0), k0);
    hi = add_where(hi, _mm256_maskload_ps(x + full + 8, k1), k1);
    _mm256_storeu_ps(part, lo);
    _mm256_storeu_ps(part + 8, hi);
    float mu = tree16(part) / (float)c;
    __m256 m = _mm256_set1_ps(mu);
    lo = _mm256_setzero_ps();
    hi = _mm256_setzero_ps();
    for (size_t j = 0; j < full; j += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), m), d1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), m);
        lo = _mm256_add_ps(lo, _mm256_mul_ps(d0, d0));
        hi = _mm256_add_ps(hi, _mm256_mul_ps(d1, d1));
    }
    __m256 d0 = _mm256_sub_ps(_mm256_maskload_ps(x + full, k0), m), d1 = _mm256_sub_ps(_mm256_maskload_ps(x + full + 8, k1), m);
    lo = add_where(lo, _mm256_mul_ps(d0, d0), k0);
    hi = add_where(hi, _mm256_mul_ps(d1, d1), k1);
    _mm256_storeu_ps(part, lo);
    _mm256_storeu_ps(part + 8, hi);
    float inv = 1.0f / sqrtf(tree16(part) / (float)c + eps);
    *mean = mu;
    *rstd = inv;
    __m256 s = _mm256_set1_ps(inv);
    for (size_t j = 0; j < c; j += 8) {
        __m256i k = mvd_lanes8((long)(c - j));
        __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(x + j, k), m), s);
        if (w && b) v = _mm256_add_ps(_mm256_mul_ps(v, _mm256_maskload_ps(w + j, k)), _mm256_maskload_ps(b + j, k));
        _mm256_maskstore_ps(y + j, k, v);
    }
}

void mvd_layer_norm_rows(const float *x, float *y, size_t rows, size_t c, const float *w, const float *b, float eps,
                         float *mean, float *rstd, int portable) {
    int avx512 = !portable && mvd_kernels_use_avx512(), avx2 = !portable && !avx512 && mvd_kernels_use_avx2();
    for (size_t r = 0; r < rows; r++) {
        if (avx512) normalize_row_avx512(x + r * c, y + r * c, c, w, b, eps, mean + r, rstd + r);
        else if (avx2) normalize_row_avx2(x + r * c, y + r * c, c, w, b, eps, mean + r, rstd + r);
        else normalize_row_portable(x + r * c, y + r * c, c, w, b, eps, mean + r, rstd + r);
    }
}
