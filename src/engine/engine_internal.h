/*
 * Private helpers of the engine module (src/engine/): shared between the LAMMPS bridge,
 * the job runner, quench and AQS. Not installed.
 */
#ifndef SB_ENGINE_INTERNAL_H
#define SB_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "shearband/engine.h"
#include "shearband/structure.h"

/* lammps_version() of the first instance opened in this process (0 before). */
int engine_cached_version(void);
/* Pointer to MPI_COMM_WORLD, as an opaque communicator for sb_engine_options.mpi_comm. */
const void *engine_world_comm(void);
/* Replace the element names remembered for types 1..ntypes (after read_restart). */
sb_status engine_set_type_names(sb_engine *e, int ntypes, const char *const *names);

/* Mirror the engine's current call ("run 1000", "lammps_get_thermo(pe)") into buf, a
 * buffer shared with the parent of a forked job (NULL to stop). */
void engine_set_shared_call_buffer(char *buf, size_t size);

/* Small, seedable, platform-independent RNG (splitmix64 seeding xoshiro256**), so that
 * "same seed -> same glass / same shuffle" holds everywhere. */
typedef struct engine_rng {
    uint64_t s[4];
} engine_rng;
void engine_rng_seed(engine_rng *r, uint64_t seed);
uint64_t engine_rng_next(engine_rng *r);
double engine_rng_uniform(engine_rng *r);          /* [0, 1) */
uint64_t engine_rng_below(engine_rng *r, uint64_t n); /* [0, n), unbiased */

/* What every LAMMPS job needs before it starts: a readable potential file, a pair style the
 * engine drives (eam/fs, eam/alloy) and, when glass is given, an element name and a mass
 * for every atom type (pair_coeff maps types to the potential's elements by name). */
sb_status engine_check_potential(const char *potential, const char *pair_style, const sb_structure *glass,
                                 sb_error *err);

/* Seconds from a monotonic clock. */
double engine_now(void);
/* "1:02:03" / "2:03" into buf. */
void engine_format_duration(double seconds, char *buf, size_t bufsz);

#endif
