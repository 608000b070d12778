/* Our Voronoi volumes against LAMMPS's own compute voronoi/atom (which also uses voro++) on
 * the bundled glass, with Debian's lmp binary as the independent oracle. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shearband/voronoi.h"

Test(voronoi_lammps, volumes_and_face_counts_match_compute_voronoi_atom)
{
    const char *tmp = getenv("SB_TEST_TMP");
    char dir[1024], in[1200], dump[1200], cmd[4096];
    snprintf(dir, sizeof dir, "%s/voronoi_lammps", tmp ? tmp : "/tmp");
    mkdir(dir, 0777);
    snprintf(in, sizeof in, "%s/in.lmp", dir);
    snprintf(dump, sizeof dump, "%s/vor.dump", dir);
    FILE *f = fopen(in, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "units metal\natom_style atomic\nboundary p p p\n"
            "read_data %s/examples/cu50zr50_864.data\n"
            "pair_style zero 6.0\npair_coeff * *\n"
            "compute v all voronoi/atom\n"
            "dump d all custom 1 %s id type x y z c_v[1] c_v[2]\n"
            "dump_modify d format float %%.17g sort id\nrun 0\n",
            SB_SOURCE_DIR, dump);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && lmp -in in.lmp -log none -screen none", dir);
    cr_assert_eq(system(cmd), 0, "lmp failed: %s", cmd);

    /* Parse the single-frame orthogonal dump. */
    f = fopen(dump, "r");
    cr_assert_not_null(f);
    char line[512];
    size_t n = 0;
    double lo[3], hi[3];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "ITEM: NUMBER OF ATOMS", 21) == 0) cr_assert_eq(fscanf(f, "%zu", &n), 1);
        if (strncmp(line, "ITEM: BOX BOUNDS", 16) == 0)
            for (int k = 0; k < 3; k++) cr_assert_eq(fscanf(f, "%lf %lf", &lo[k], &hi[k]), 2);
        if (strncmp(line, "ITEM: ATOMS", 11) == 0) break;
    }
    cr_assert_eq(n, 864);
    sb_structure s = SB_STRUCTURE_INIT;
    cr_assert_eq(sb_structure_alloc(&s, n, 2, NULL), SB_OK);
    cr_assert_eq(sb_cell_set(&s.cell, lo, hi, 0, 0, 0, NULL), SB_OK);
    double *vol = malloc(n * sizeof *vol), *faces = malloc(n * sizeof *faces);
    for (size_t i = 0; i < n; i++) {
        long long id;
        cr_assert_eq(fscanf(f, "%lld %d %lf %lf %lf %lf %lf", &id, &s.type[i], &s.x[3 * i], &s.x[3 * i + 1],
                            &s.x[3 * i + 2], &vol[i], &faces[i]),
                     7);
        s.id[i] = id;
    }
    fclose(f);

    sb_voronoi_atom *v = calloc(n, sizeof *v);
    sb_voronoi_params p = sb_voronoi_params_default();
    p.face_area_fraction = 0.0; /* LAMMPS counts every face by default */
    cr_assert_eq(sb_voronoi_compute(&s, &p, v, NULL), SB_OK);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(v[i].volume - vol[i]) / vol[i]);
        cr_assert_eq(v[i].nfaces, (int)faces[i], "atom %lld: %d faces vs LAMMPS %g", (long long)s.id[i],
                     v[i].nfaces, faces[i]);
    }
    cr_assert(worst < 1e-10, "worst relative volume difference %g", worst);
    free(v);
    free(vol);
    free(faces);
    sb_structure_free(&s);
}
