/*
 * LAMMPS data files, atom_style atomic (read and write).
 *
 * Layout (LAMMPS read_data documentation): the first line is a free comment; a header of
 * "value keyword" lines follows (N atoms, N atom types, xlo xhi, ylo yhi, zlo zhi, xy xz yz,
 * and counts of bonds etc. that must be zero for atom_style atomic); then sections, each a
 * title line ("Atoms # atomic"), a blank line and one line per atom or per type. '#' starts
 * a comment anywhere; blank lines are skipped. Sections may come in any order LAMMPS
 * accepts: Masses, Atoms, then Velocities (which needs the Atoms first). "Atom Type Labels"
 * (LAMMPS 2022 and later) names the types, and those names may then stand for type numbers
 * in Masses and Atoms, as LAMMPS allows. Pair Coeffs and PairIJ Coeffs are skipped (force
 * field, not structure); any other section is an error naming it, because silently
 * dropping Bonds or per-atom charges would change the system.
 *
 * Atoms lines are "id type x y z" optionally followed by the image flags "ix iy iz"; the
 * first line fixes which, and every line must agree. Velocities are kept as the 3-component
 * property "velocity" and written back as a Velocities section, so read(write(s)) keeps
 * them. Species names come from the type labels, else from the first word of the Masses
 * comments ("1 63.546 # Cu", as our writer and many converters produce); without either the
 * element is guessed from the mass within 0.01 g/mol, and stays "" if none matches.
 *
 * The writer follows write_data's layout and prints every double with 16 significant
 * digits when those read back to the same bits, else 17 (always enough), so
 * read(write(s)) == s exactly for positions, bounds, tilts, masses and velocities.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lineparse.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/version.h"

/* Tolerance (g/mol) for guessing an element from a mass without a comment. */
#define DATA_ELEMENT_MASS_TOL 0.01

typedef struct data_header {
    int64_t natoms;
    int ntypes;
    double lo[3], hi[3];
    double xy, xz, yz;
    bool have_atoms, have_types;
} data_header;

/* Header keywords whose value must be zero in an atomic file. */
static const char *const zero_counts[] = {"bonds", "angles", "dihedrals", "impropers",
                                          "ellipsoids", "lines", "triangles", "bodies"};
static const char *const zero_type_counts[] = {"bond", "angle", "dihedral", "improper"};

static bool tok_is(const lp_reader *r, size_t k, const char *word)
{
    return k < r->ntok && strcmp(r->tok[k], word) == 0;
}

/* One header line; *is_header false when the line starts a section instead. */
static sb_status parse_header_line(lp_reader *r, data_header *h, bool *is_header, sb_error *err)
{
    const char c0 = r->tok[0][0];
    *is_header = (c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.';
    if (!*is_header) return SB_OK;
    const char *const what_header =
        "a header line (N atoms, N atom types, xlo xhi, ylo yhi, zlo zhi, xy xz yz)";
    if (r->ntok == 2 && tok_is(r, 1, "atoms")) {
        if (!lp_int64(r->tok[0], &h->natoms) || h->natoms < 0)
            return lp_expected(r, SB_ERR_PARSE, "a non-negative atom count", r->tok[0], err);
        h->have_atoms = true;
        return SB_OK;
    }
    if (r->ntok == 3 && tok_is(r, 1, "atom") && tok_is(r, 2, "types")) {
        if (!lp_int(r->tok[0], &h->ntypes) || h->ntypes < 1)
            return lp_expected(r, SB_ERR_PARSE, "a positive number of atom types", r->tok[0], err);
        h->have_types = true;
        return SB_OK;
    }
    for (int k = 0; k < 3; k++) {
        static const char *const lo_kw[3] = {"xlo", "ylo", "zlo"}, *const hi_kw[3] = {"xhi", "yhi", "zhi"};
        if (r->ntok == 4 && tok_is(r, 2, lo_kw[k]) && tok_is(r, 3, hi_kw[k])) {
            sb_status st = lp_get_double(r, r->tok[0], lo_kw[k], &h->lo[k], err);
            if (st == SB_OK) st = lp_get_double(r, r->tok[1], hi_kw[k], &h->hi[k], err);
            if (st != SB_OK) return st;
            if (!(h->hi[k] > h->lo[k])) {
                char what[96];
                snprintf(what, sizeof what, "%s > %s (a cell of positive volume)", hi_kw[k], lo_kw[k]);
                return lp_expected(r, SB_ERR_GEOMETRY, what, r->tok[1], err);
            }
            return SB_OK;
        }
    }
    if (r->ntok == 6 && tok_is(r, 3, "xy") && tok_is(r, 4, "xz") && tok_is(r, 5, "yz")) {
        sb_status st = lp_get_double(r, r->tok[0], "xy", &h->xy, err);
        if (st == SB_OK) st = lp_get_double(r, r->tok[1], "xz", &h->xz, err);
        if (st == SB_OK) st = lp_get_double(r, r->tok[2], "yz", &h->yz, err);
        return st;
    }
    /* Counts that must be zero, and counts that do not matter for atomic. */
    int64_t count;
    if (r->ntok >= 2 && lp_int64(r->tok[0], &count)) {
        bool zero_needed = false;
        for (size_t k = 0; k < sizeof zero_counts / sizeof *zero_counts; k++)
            zero_needed |= r->ntok == 2 && tok_is(r, 1, zero_counts[k]);
        for (size_t k = 0; k < sizeof zero_type_counts / sizeof *zero_type_counts; k++)
            zero_needed |= r->ntok == 3 && tok_is(r, 1, zero_type_counts[k]) && tok_is(r, 2, "types");
        if (zero_needed) {
            if (count != 0) {
                char what[96];
                snprintf(what, sizeof what, "0 %s%s (atom_style atomic has none)", r->tok[1],
                         r->ntok == 3 ? " types" : "");
                return lp_expected(r, SB_ERR_FORMAT, what, r->tok[0], err);
            }
            return SB_OK;
        }
        if (r->ntok == 5 && tok_is(r, 1, "extra") && tok_is(r, 3, "per") && tok_is(r, 4, "atom"))
            return SB_OK;
    }
    return lp_expected(r, SB_ERR_PARSE, what_header, r->ntok > 1 ? r->tok[1] : r->tok[0], err);
}

/* Join the tokens of a section title ("Pair Coeffs"). */
static void section_name(const lp_reader *r, char *name, size_t size)
{
    name[0] = '\0';
    size_t used = 0;
    for (size_t k = 0; k < r->ntok && used + 1 < size; k++) {
        int w = snprintf(name + used, size - used, "%s%s", k ? " " : "", r->tok[k]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* Type labels (LAMMPS 2022+, "Atom Type Labels" section): names usable in place of type
 * numbers. We keep them as the species names; *labelled says whether the section was read. */
static bool type_from_label(const sb_structure *s, const char *tok, int *t)
{
    for (int k = 0; k < s->ntypes; k++)
        if (s->type_name[k][0] && strcmp(s->type_name[k], tok) == 0) return *t = k + 1, true;
    return false;
}

/* A type number 1..ntypes, or a type label when the file has defined labels. */
static sb_status parse_type(const lp_reader *r, const sb_structure *s, bool labelled, const char *tok,
                            int *t, sb_error *err)
{
    if (lp_int(tok, t) && *t >= 1 && *t <= s->ntypes) return SB_OK;
    if (labelled && type_from_label(s, tok, t)) return SB_OK;
    char what[96];
    snprintf(what, sizeof what, "an atom type in 1..%d%s", s->ntypes, labelled ? " or a type label" : "");
    return lp_expected(r, SB_ERR_PARSE, what, tok, err);
}

/* Next line of a section of `count` lines, the i-th (0-based). */
static sb_status section_line(lp_reader *r, const char *section, int64_t i, int64_t count,
                              const char *layout, const sb_structure *labels, sb_error *err)
{
    bool eof;
    sb_status st = lp_next_nonblank(r, true, &eof, err);
    if (st != SB_OK) return st;
    if (eof)
        return sb_error_set(err, SB_ERR_PARSE,
                            "%s:%zu: expected %lld more line(s) of the %s section (%lld declared), "
                            "found end of file",
                            r->path, r->lineno, (long long)(count - i), section, (long long)count);
    double v;
    int t;
    if (!lp_double(r->tok[0], &v) && !(labels && type_from_label(labels, r->tok[0], &t))) {
        char what[160];
        snprintf(what, sizeof what, "line %lld of %lld of the %s section (%s)", (long long)i + 1,
                 (long long)count, section, layout);
        return lp_expected(r, SB_ERR_PARSE, what, r->tok[0], err);
    }
    return SB_OK;
}

static sb_status read_labels(lp_reader *r, sb_structure *s, sb_error *err)
{
    for (int i = 0; i < s->ntypes; i++) {
        sb_status st = section_line(r, "Atom Type Labels", i, s->ntypes, "type label", NULL, err);
        if (st != SB_OK) return st;
        int t;
        if (r->ntok != 2)
            return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected 2 fields (type label), found %zu fields",
                                r->path, r->lineno, r->ntok);
        st = parse_type(r, s, false, r->tok[0], &t, err);
        if (st != SB_OK) return st;
        if (strlen(r->tok[1]) >= SB_ELEMENT_LEN)
            return lp_expected(r, SB_ERR_PARSE, "a type label of at most 7 characters", r->tok[1], err);
        strcpy(s->type_name[t - 1], r->tok[1]);
    }
    return SB_OK;
}

static sb_status read_masses(lp_reader *r, sb_structure *s, bool *mass_set, bool labelled,
                             sb_error *err)
{
    const char *layout = "type mass [# element]";
    for (int i = 0; i < s->ntypes; i++) {
        sb_status st = section_line(r, "Masses", i, s->ntypes, layout, labelled ? s : NULL, err);
        if (st != SB_OK) return st;
        if (r->ntok != 2)
            return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected 2 fields (%s), found %zu fields",
                                r->path, r->lineno, layout, r->ntok);
        int t;
        double m;
        st = parse_type(r, s, labelled, r->tok[0], &t, err);
        if (st != SB_OK) return st;
        if (mass_set[t - 1]) {
            char what[64];
            snprintf(what, sizeof what, "each type once in Masses (type %d repeated)", t);
            return lp_expected(r, SB_ERR_PARSE, what, r->tok[0], err);
        }
        st = lp_get_double(r, r->tok[1], "mass", &m, err);
        if (st != SB_OK) return st;
        if (!(m > 0.0)) return lp_expected(r, SB_ERR_PARSE, "a positive mass", r->tok[1], err);
        s->mass[t - 1] = m;
        mass_set[t - 1] = true;
        /* The first word of the comment names the species; otherwise guess from the mass. */
        char name[SB_ELEMENT_LEN] = "";
        if (r->comment && *r->comment) {
            size_t len = strcspn(r->comment, " \t");
            if (len < SB_ELEMENT_LEN) memcpy(name, r->comment, len), name[len] = '\0';
        }
        if (labelled) memcpy(name, s->type_name[t - 1], sizeof name); /* labels win */
        if (!name[0]) {
            const char *el = sb_element_from_mass(m, DATA_ELEMENT_MASS_TOL);
            if (el) snprintf(name, sizeof name, "%s", el);
        }
        memcpy(s->type_name[t - 1], name, sizeof name);
    }
    return SB_OK;
}

static sb_status read_atoms(lp_reader *r, sb_structure *s, size_t *lines, bool labelled,
                            sb_error *err)
{
    const char *layout = "id type x y z [ix iy iz]";
    size_t nfields = 0, first_line = 0;
    for (size_t i = 0; i < s->n; i++) {
        sb_status st = section_line(r, "Atoms", (int64_t)i, (int64_t)s->n, layout, NULL, err);
        if (st != SB_OK) return st;
        if (i == 0) {
            if (r->ntok != 5 && r->ntok != 8)
                return sb_error_set(err, SB_ERR_PARSE,
                                    "%s:%zu: expected 5 or 8 fields (%s, atom_style atomic), "
                                    "found %zu fields",
                                    r->path, r->lineno, layout, r->ntok);
            nfields = r->ntok;
            first_line = r->lineno;
            if (nfields == 8) {
                st = sb_structure_ensure_images(s, err);
                if (st != SB_OK) return st;
            }
        } else if (r->ntok != nfields) {
            return sb_error_set(err, SB_ERR_PARSE,
                                "%s:%zu: expected %zu fields like line %zu (%s), found %zu fields",
                                r->path, r->lineno, nfields, first_line, layout, r->ntok);
        }
        int64_t id;
        int type;
        if (!lp_int64(r->tok[0], &id) || id < 1)
            return lp_expected(r, SB_ERR_PARSE, "a positive integer atom id", r->tok[0], err);
        st = parse_type(r, s, labelled, r->tok[1], &type, err);
        if (st != SB_OK) return st;
        double *x = &s->x[3 * i];
        for (int k = 0; k < 3; k++) {
            static const char *const coord[3] = {"x", "y", "z"};
            st = lp_get_double(r, r->tok[2 + k], coord[k], &x[k], err);
            if (st != SB_OK) return st;
        }
        if (nfields == 8) {
            for (int k = 0; k < 3; k++) {
                static const char *const flag[3] = {"image flag ix", "image flag iy", "image flag iz"};
                st = lp_get_int(r, r->tok[5 + k], flag[k], &s->image[3 * i + k], err);
                if (st != SB_OK) return st;
            }
        }
        st = lp_check_inside(r->path, r->lineno, &s->cell, x, err);
        if (st != SB_OK) return st;
        s->id[i] = id;
        s->type[i] = type;
        lines[i] = r->lineno;
    }
    return SB_OK;
}

static sb_status read_velocities(lp_reader *r, sb_structure *s, const size_t *order, sb_error *err)
{
    const char *layout = "id vx vy vz";
    double *v;
    sb_status st = sb_structure_add_property(s, "velocity", 3, &v, err);
    if (st != SB_OK) return st;
    size_t *seen_on = calloc(s->n ? s->n : 1, sizeof *seen_on); /* line of each atom's velocity */
    if (!seen_on) return sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < s->n && st == SB_OK; i++) {
        st = section_line(r, "Velocities", (int64_t)i, (int64_t)s->n, layout, NULL, err);
        if (st != SB_OK) break;
        if (r->ntok != 4) {
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected 4 fields (%s), found %zu fields",
                              r->path, r->lineno, layout, r->ntok);
            break;
        }
        int64_t id;
        if (!lp_int64(r->tok[0], &id)) {
            st = lp_expected(r, SB_ERR_PARSE, "an integer atom id", r->tok[0], err);
            break;
        }
        const size_t a = sb_structure_index_of(s, order, id);
        if (a == (size_t)-1) {
            st = lp_expected(r, SB_ERR_PARSE, "the id of an atom in the Atoms section", r->tok[0], err);
            break;
        }
        if (seen_on[a]) {
            st = sb_error_set(err, SB_ERR_PARSE,
                              "%s:%zu: expected each atom once in Velocities, found id '%s' again "
                              "(already on line %zu)",
                              r->path, r->lineno, r->tok[0], seen_on[a]);
            break;
        }
        seen_on[a] = r->lineno;
        for (int k = 0; k < 3 && st == SB_OK; k++) {
            static const char *const comp[3] = {"vx", "vy", "vz"};
            st = lp_get_double(r, r->tok[1 + k], comp[k], &v[3 * a + k], err);
        }
    }
    free(seen_on);
    return st;
}

static sb_status skip_lines(lp_reader *r, const char *section, int64_t count, sb_error *err)
{
    for (int64_t i = 0; i < count; i++) {
        sb_status st = section_line(r, section, i, count, "numbers", NULL, err);
        if (st != SB_OK) return st;
    }
    return SB_OK;
}

static sb_status read_data(lp_reader *r, sb_structure *s, sb_error *err)
{
    bool eof;
    sb_status st = lp_next(r, &eof, err); /* line 1: free comment */
    if (st != SB_OK) return st;
    if (eof) return sb_error_set(err, SB_ERR_PARSE, "%s:1: expected a LAMMPS data file, found an empty file", r->path);
    int64_t timestep = 0;
    const char *ts = strstr(r->buf, "timestep =");
    if (ts && !lp_int64(ts + 10 + strspn(ts + 10, " "), &timestep)) timestep = 0;

    data_header h = {.lo = {-0.5, -0.5, -0.5}, .hi = {0.5, 0.5, 0.5}};
    bool is_header = true;
    for (;;) {
        st = lp_next_nonblank(r, true, &eof, err);
        if (st != SB_OK) return st;
        if (eof) break;
        st = parse_header_line(r, &h, &is_header, err);
        if (st != SB_OK) return st;
        if (!is_header) break;
    }
    if (!h.have_atoms)
        return sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected an 'N atoms' header line, found %s",
                            r->path, r->lineno, eof ? "end of file" : "a section first");
    if (!h.have_types)
        return sb_error_set(err, SB_ERR_PARSE,
                            "%s:%zu: expected an 'N atom types' header line, found %s", r->path,
                            r->lineno, eof ? "end of file" : "a section first");
    if ((uint64_t)h.natoms > SIZE_MAX / (3 * sizeof(double)))
        return sb_error_set(err, SB_ERR_PARSE, "%s: %lld atoms is too many", r->path, (long long)h.natoms);
    st = sb_structure_alloc(s, (size_t)h.natoms, h.ntypes, err);
    if (st != SB_OK) return sb_error_prefix(err, "%s: ", r->path);
    s->timestep = timestep;
    st = sb_cell_set(&s->cell, h.lo, h.hi, h.xy, h.xz, h.yz, err);
    if (st != SB_OK) return sb_error_prefix(err, "%s: ", r->path);

    size_t *lines = malloc((s->n ? s->n : 1) * sizeof *lines);
    bool *mass_set = calloc((size_t)h.ntypes, sizeof *mass_set);
    size_t *order = NULL;
    bool have_atoms = false, have_masses = false, have_vel = false, have_labels = false;
    if (!lines || !mass_set) {
        st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", r->path);
        goto done;
    }
    while (!eof) {
        char name[128];
        section_name(r, name, sizeof name);
        bool *seen = NULL;
        if (strcmp(name, "Masses") == 0) {
            seen = &have_masses;
            if (!*seen) st = read_masses(r, s, mass_set, have_labels, err);
        } else if (strcmp(name, "Atom Type Labels") == 0) {
            seen = &have_labels;
            if (!*seen) st = read_labels(r, s, err);
        } else if (strcmp(name, "Atoms") == 0) {
            seen = &have_atoms;
            if (r->comment && *r->comment) {
                const size_t len = strcspn(r->comment, " \t");
                if (len != 6 || strncmp(r->comment, "atomic", 6) != 0) {
                    st = lp_expected(r, SB_ERR_FORMAT, "atom_style atomic ('Atoms # atomic')",
                                     r->comment, err);
                    goto done;
                }
            }
            if (!*seen) {
                st = read_atoms(r, s, lines, have_labels, err);
                if (st == SB_OK) st = lp_check_unique_ids(r->path, s->id, lines, s->n, err);
                if (st == SB_OK) st = sb_structure_id_order(s, &order, err);
            }
        } else if (strcmp(name, "Velocities") == 0) {
            seen = &have_vel;
            if (!have_atoms) {
                st = lp_expected(r, SB_ERR_PARSE, "the Atoms section before Velocities", r->tok[0], err);
                goto done;
            }
            if (!*seen) st = read_velocities(r, s, order, err);
        } else if (strcmp(name, "Pair Coeffs") == 0) {
            st = skip_lines(r, name, h.ntypes, err);
        } else if (strcmp(name, "PairIJ Coeffs") == 0) {
            st = skip_lines(r, name, (int64_t)h.ntypes * (h.ntypes + 1) / 2, err);
        } else if ((name[0] >= '0' && name[0] <= '9') || name[0] == '-') {
            st = sb_error_set(err, SB_ERR_PARSE,
                              "%s:%zu: expected a section title (more lines than the counts in "
                              "the header declare?), found '%s'",
                              r->path, r->lineno, r->tok[0]);
            goto done;
        } else {
            st = lp_expected(r, SB_ERR_FORMAT,
                             "a section of an atom_style atomic data file (Masses, Atoms, "
                             "Velocities, Atom Type Labels, Pair Coeffs, PairIJ Coeffs)",
                             name, err);
            goto done;
        }
        if (seen && *seen && st == SB_OK) {
            char what[200];
            snprintf(what, sizeof what, "each section once (%s already read)", name);
            st = lp_expected(r, SB_ERR_PARSE, what, name, err);
        }
        if (st != SB_OK) goto done;
        if (seen) *seen = true;
        st = lp_next_nonblank(r, true, &eof, err);
        if (st != SB_OK) goto done;
    }
    if (!have_atoms && s->n > 0) {
        st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected an Atoms section (%zu atoms declared), found end of file",
                          r->path, r->lineno, s->n);
        goto done;
    }
    /* Every type that atoms use needs a mass (LAMMPS would refuse to run without it). */
    for (size_t i = 0; i < s->n; i++) {
        if (!mass_set[s->type[i] - 1]) {
            st = sb_error_set(err, SB_ERR_PARSE,
                              "%s:%zu: expected a mass for atom type %d in a Masses section, "
                              "found none (type used here)",
                              r->path, lines[i], s->type[i]);
            goto done;
        }
    }
done:
    free(lines);
    free(mass_set);
    free(order);
    return st;
}

sb_status sb_read_lammps_data(const char *path, sb_structure *s, sb_error *err)
{
    lp_reader r;
    sb_status st = lp_open(&r, path, err);
    if (st != SB_OK) return st;
    sb_structure tmp = SB_STRUCTURE_INIT;
    st = read_data(&r, &tmp, err);
    lp_close(&r);
    if (st != SB_OK) {
        sb_structure_free(&tmp);
        return st;
    }
    sb_structure_free(s);
    *s = tmp;
    return SB_OK;
}

/* Masses for writing: the stored one, else the element's, else an error. */
static sb_status write_mass(const sb_structure *s, int t, double *m, const char *path, sb_error *err)
{
    *m = s->mass[t];
    if (isnan(*m) && s->type_name[t][0]) *m = sb_element_mass(s->type_name[t]);
    if (!(*m > 0.0) || !isfinite(*m))
        return sb_error_set(err, SB_ERR_INVALID_ARG,
                            "%s: cannot write a data file: atom type %d has no mass (and no known element)",
                            path, t + 1);
    return SB_OK;
}

sb_status sb_write_lammps_data(const char *path, const sb_structure *s, const char *comment,
                               sb_error *err)
{
    for (int t = 0; t < s->ntypes; t++) {
        double m;
        sb_status st = write_mass(s, t, &m, path, err);
        if (st != SB_OK) return st;
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->type[i] < 1 || s->type[i] > s->ntypes)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: atom %lld has type %d outside 1..%d",
                                path, (long long)s->id[i], s->type[i], s->ntypes);
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    FILE *fp = af.fp;
    if (comment) {
        for (const char *c = comment; *c && *c != '\n' && *c != '\r'; c++) fputc(*c, fp);
        fputc('\n', fp);
    } else {
        fprintf(fp, "LAMMPS data file written by shearband %s, timestep = %lld\n", sb_version(),
                (long long)s->timestep);
    }
    fprintf(fp, "\n%zu atoms\n%d atom types\n\n", s->n, s->ntypes);
    static const char *const bounds[3] = {"xlo xhi", "ylo yhi", "zlo zhi"};
    for (int k = 0; k < 3; k++) {
        lp_put_double(fp, s->cell.lo[k]);
        fputc(' ', fp);
        lp_put_double(fp, s->cell.hi[k]);
        fprintf(fp, " %s\n", bounds[k]);
    }
    if (sb_cell_is_triclinic(&s->cell)) {
        lp_put_double(fp, s->cell.xy);
        fputc(' ', fp);
        lp_put_double(fp, s->cell.xz);
        fputc(' ', fp);
        lp_put_double(fp, s->cell.yz);
        fputs(" xy xz yz\n", fp);
    }
    fputs("\nMasses\n\n", fp);
    for (int t = 0; t < s->ntypes; t++) {
        double m;
        write_mass(s, t, &m, path, NULL);
        fprintf(fp, "%d ", t + 1);
        lp_put_double(fp, m);
        if (s->type_name[t][0]) fprintf(fp, " # %s", s->type_name[t]);
        fputc('\n', fp);
    }
    fputs("\nAtoms # atomic\n\n", fp);
    for (size_t i = 0; i < s->n; i++) {
        const double *x = &s->x[3 * i];
        fprintf(fp, "%lld %d ", (long long)s->id[i], s->type[i]);
        lp_put_double(fp, x[0]);
        fputc(' ', fp);
        lp_put_double(fp, x[1]);
        fputc(' ', fp);
        lp_put_double(fp, x[2]);
        if (s->image)
            fprintf(fp, " %d %d %d", s->image[3 * i], s->image[3 * i + 1], s->image[3 * i + 2]);
        fputc('\n', fp);
    }
    const sb_property *vel = sb_structure_find_property(s, "velocity");
    if (vel && vel->ncomp == 3) {
        fputs("\nVelocities\n\n", fp);
        for (size_t i = 0; i < s->n; i++) {
            const double *v = &vel->data[3 * i];
            fprintf(fp, "%lld ", (long long)s->id[i]);
            lp_put_double(fp, v[0]);
            fputc(' ', fp);
            lp_put_double(fp, v[1]);
            fputc(' ', fp);
            lp_put_double(fp, v[2]);
            fputc('\n', fp);
        }
    }
    return sb_atomic_commit(&af, err);
}
