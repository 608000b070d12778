/* nn_testutil.h: small helpers for the nn tests (normalised errors, random fills). */
#ifndef SB_NN_TESTUTIL_H
#define SB_NN_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* ||a - b||_2 / max(||b||_2, tiny): the ggml-style normalised error. */
double nn_test_nerr(const float *a, const float *b, size_t n);
/* Uniform floats in [lo, hi) from a splitmix64 stream seeded by *state. */
void nn_test_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t *state);
/* A standard normal deviate from the same stream. */
double nn_test_normal(uint64_t *state);

#endif
