/*
 * shearband/version.h: version and build provenance, recorded in every output.
 */
#ifndef SHEARBAND_VERSION_H
#define SHEARBAND_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define SHEARBAND_VERSION_MAJOR 0
#define SHEARBAND_VERSION_MINOR 1
#define SHEARBAND_VERSION_PATCH 0

const char *sb_version(void);      /* "0.1.0" */
const char *sb_git_commit(void);   /* short hash of the source tree, or "unknown" */
const char *sb_compiler(void);     /* e.g. "gcc 12.2.0" */
const char *sb_features(void);     /* space-separated: "lammps mpi blas dnnl voro++ openmp" */
const char *sb_build_type(void);   /* CMake build type */

#ifdef __cplusplus
}
#endif
#endif
