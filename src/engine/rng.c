/*
 * A seedable RNG for the engine (initial positions, atom-order shuffles, LAMMPS seeds):
 * xoshiro256** (Blackman & Vigna) seeded through splitmix64. Chosen over rand()/random()
 * because its stream is defined by the algorithm, not by the C library, so a seed gives
 * the same glass on every platform. Also the monotonic clock used for progress lines.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include "engine/engine_internal.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void engine_rng_seed(engine_rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int k = 0; k < 4; k++) r->s[k] = splitmix64(&st);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t engine_rng_next(engine_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double engine_rng_uniform(engine_rng *r)
{
    return (double)(engine_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t engine_rng_below(engine_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = engine_rng_next(r);
    while (v >= limit);
    return v % n;
}

double engine_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void engine_format_duration(double seconds, char *buf, size_t bufsz)
{
    if (!(seconds >= 0)) seconds = 0;
    const long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(buf, bufsz, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else snprintf(buf, bufsz, "%ld:%02ld", s / 60, s % 60);
}
