/*
 * Fertile-site labels and dataset manifests (shearband/dataset.h, docs/dataset.md).
 *
 * Labels are read off the shear run's own snapshot (strain_S.dump, per-atom d2min, original
 * atom ids), so they are exactly what the run measured; the glass is identified by the
 * fingerprint the run recorded in shear.params, never by trusting a path. The label file is
 * a small text file written atomically: a magic line, "key value" lines, then the sorted
 * ids of the positive atoms.
 *
 * The manifest is text too (one case per line) so that people can read, diff and edit it.
 * Splitting is by sample: samples (distinct glasses) are sorted by name, permuted with a
 * splitmix64 stream seeded by the user and cut into test, val and train; the result depends
 * only on the seed and the set of samples, not on the order the runs were listed in.
 */
#define _XOPEN_SOURCE 700
#include "shearband/dataset.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shearband/analysis.h"
#include "shearband/fileutil.h"
#include "shearband/io.h"
#include "shearband/version.h"

static const char labels_magic[] = "shearband-labels 1";
static const char dataset_magic[] = "shearband-dataset 1";

sb_label_options sb_label_options_default(void)
{
    return (sb_label_options){.strain = 0.10, .f_thres = 0.05};
}

void sb_labels_free(sb_labels *l)
{
    if (!l) return;
    free(l->pos_ids);
    free(l->score_ids);
    free(l->d2min);
    l->pos_ids = l->score_ids = NULL;
    l->d2min = NULL;
    l->n_pos = l->n_scores = 0;
}

void sb_labels_default_name(const sb_label_options *opt, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "labels_s%.3f_f%.3f.txt", opt->strain, opt->f_thres);
}

/* ---- reading the run directory ------------------------------------------------------ */

static char *ds_slurp(const char *path, sb_error *err)
{
    char *buf[1] = {NULL};
    if (sb_read_file(path, buf, NULL, err) != SB_OK) return NULL;
    return buf[0];
}

/* Does `path` hold the glass with this fingerprint? */
static bool ds_glass_matches(const char *path, uint64_t fp)
{
    sb_structure g = SB_STRUCTURE_INIT;
    sb_error e;
    const bool ok = sb_file_exists(path) && sb_read_structure(path, &g, &e) == SB_OK &&
                    sb_glass_fingerprint(&g) == fp;
    sb_structure_free(&g);
    return ok;
}

/* Candidate glass paths: the strings of the "command_line" array of shear.json. */
static bool ds_find_glass(const char *run_dir, uint64_t fp, char *out, size_t outsz)
{
    char path[SB_PATH_MAX];
    if (sb_path_join(path, sizeof path, run_dir, "shear.json", NULL) != SB_OK) return false;
    char *text = ds_slurp(path, NULL);
    if (!text) return false;
    bool found = false;
    char *p = strstr(text, "\"command_line\"");
    char *end = p ? strchr(p, ']') : NULL;
    if (p) p += strlen("\"command_line\"");
    while (p && end && !found) {
        char *q = strchr(p, '"');
        if (!q || q > end) break;
        char *r = strchr(q + 1, '"');
        if (!r || r > end) break;
        *r = 0;
        if (q[1] != '-' && ds_glass_matches(q + 1, fp)) {
            snprintf(out, outsz, "%s", q + 1);
            found = true;
        }
        p = r + 1;
    }
    free(text);
    return found;
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* l->score_ids / d2min: every atom's id and D2min, ids ascending. */
static sb_status labels_set_scores(sb_labels *l, const sb_structure *s, const double *d2min,
                                   sb_error *err)
{
    size_t *order = NULL;
    sb_status st = sb_structure_id_order(s, &order, err);
    if (st != SB_OK) return st;
    l->score_ids = malloc((s->n ? s->n : 1) * sizeof *l->score_ids);
    l->d2min = malloc((s->n ? s->n : 1) * sizeof *l->d2min);
    if (!l->score_ids || !l->d2min) {
        free(order);
        return sb_error_set(err, SB_ERR_NOMEM, "labels: out of memory");
    }
    for (size_t k = 0; k < s->n; k++) {
        l->score_ids[k] = s->id[order[k]];
        l->d2min[k] = d2min[order[k]];
    }
    l->n_scores = s->n;
    free(order);
    return SB_OK;
}

sb_status sb_labels_make(const char *run_dir, const char *glass, const sb_label_options *opt,
                         sb_labels *out, sb_error *err)
{
    const sb_label_options o = opt ? *opt : sb_label_options_default();
    if (!(o.f_thres > 0 && o.f_thres < 1))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "--f-thres %g: use (0, 1)", o.f_thres);
    sb_labels_free(out);
    memset(out, 0, sizeof *out);
    char path[SB_PATH_MAX];
    sb_status st = sb_path_join(path, sizeof path, run_dir, "shear.params", err);
    if (st != SB_OK) return st;
    char *params = ds_slurp(path, err);
    if (!params)
        return sb_error_prefix(err, "%s is not a shear run directory: ", run_dir);
    char v[256];
    if (!sb_params_value(params, "glass_fingerprint", v, sizeof v) ||
        sscanf(v, "%" SCNx64, &out->glass_fingerprint) != 1 ||
        !sb_params_value(params, "orientation", v, sizeof v) || sscanf(v, "%d", &out->orientation) != 1 ||
        !sb_params_value(params, "shuffle", v, sizeof v) || sscanf(v, "%d", &out->shuffle) != 1 ||
        !sb_params_value(params, "shuffle_seed", v, sizeof v) ||
        sscanf(v, "%" SCNu64, &out->shuffle_seed) != 1) {
        free(params);
        return sb_error_set(err, SB_ERR_PARSE, "%s: missing glass_fingerprint, orientation or shuffle",
                            path);
    }
    free(params);
    snprintf(out->run_dir, sizeof out->run_dir, "%s", run_dir);
    if (glass) {
        if (!ds_glass_matches(glass, out->glass_fingerprint))
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "--glass %s: not the glass sheared in %s (fingerprint differs or "
                                "unreadable)", glass, run_dir);
        snprintf(out->glass, sizeof out->glass, "%s", glass);
    } else if (!ds_find_glass(run_dir, out->glass_fingerprint, out->glass, sizeof out->glass)) {
        return sb_error_set(err, SB_ERR_IO,
                            "%s: cannot find the sheared glass from shear.json's command line "
                            "(from this folder); give it with --glass", run_dir);
    }
    char name[64];
    snprintf(name, sizeof name, "strain_%.3f.dump", o.strain);
    if ((st = sb_path_join(path, sizeof path, run_dir, name, err)) != SB_OK) return st;
    if (!sb_file_exists(path))
        return sb_error_set(err, SB_ERR_IO,
                            "%s: no snapshot at the training strain %.3f (run unfinished, or "
                            "strain not saved: shear --save)", path, o.strain);
    sb_structure s = SB_STRUCTURE_INIT;
    if ((st = sb_read_structure(path, &s, err)) != SB_OK) return st;
    const sb_property *d = sb_structure_find_property(&s, "d2min");
    if (!d || d->ncomp != 1) {
        sb_structure_free(&s);
        return sb_error_set(err, SB_ERR_FORMAT, "%s: no d2min column", path);
    }
    unsigned char *mask = malloc(s.n ? s.n : 1);
    size_t ntop = 0;
    if (!mask) st = sb_error_set(err, SB_ERR_NOMEM, "labels: out of memory");
    if (st == SB_OK)
        st = sb_top_fraction_mask(d->data, s.id, s.n, o.f_thres, mask, &ntop, &out->d2min_threshold,
                                  err);
    if (st == SB_OK && !(out->pos_ids = malloc(ntop * sizeof *out->pos_ids)))
        st = sb_error_set(err, SB_ERR_NOMEM, "labels: out of memory");
    if (st == SB_OK) {
        size_t k = 0;
        for (size_t i = 0; i < s.n; i++)
            if (mask[i]) out->pos_ids[k++] = s.id[i];
        qsort(out->pos_ids, k, sizeof *out->pos_ids, cmp_i64);
        out->n_pos = k;
        st = labels_set_scores(out, &s, d->data, err);
        out->n_atoms = s.n;
        out->strain = o.strain;
        out->f_thres = o.f_thres;
    }
    free(mask);
    sb_structure_free(&s);
    return st;
}

sb_status sb_labels_write(const char *path, const sb_labels *l, int argc, char *const *argv,
                          sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    FILE *fp = af.fp;
    fprintf(fp, "%s\n", labels_magic);
    fprintf(fp, "# fertile-site labels: ids of the top f_thres of D2min at the training strain\n");
    fprintf(fp, "# tool shearband %s (commit %s)\n# command", sb_version(), sb_git_commit());
    for (int a = 0; a < argc; a++) fprintf(fp, " %s", argv[a]);
    fprintf(fp, "\nglass %s\nglass_fingerprint %016" PRIx64 "\nrun_dir %s\n", l->glass,
            l->glass_fingerprint, l->run_dir);
    fprintf(fp, "orientation %d\nshuffle %d\nshuffle_seed %" PRIu64 "\n", l->orientation, l->shuffle,
            l->shuffle_seed);
    fprintf(fp, "strain %.10g\nf_thres %.10g\nd2min_threshold %.17g\natoms %zu\npositives %zu\nids\n",
            l->strain, l->f_thres, l->d2min_threshold, l->n_atoms, l->n_pos);
    for (size_t k = 0; k < l->n_pos; k++)
        fprintf(fp, "%" PRId64 "%c", l->pos_ids[k], (k % 12 == 11 || k + 1 == l->n_pos) ? '\n' : ' ');
    if (l->n_scores) {
        /* six digits: soft targets need the rank and rough size, not round-off */
        fprintf(fp, "d2min\n");
        for (size_t k = 0; k < l->n_scores; k++)
            fprintf(fp, "%" PRId64 " %.6g\n", l->score_ids[k], l->d2min[k]);
    }
    fprintf(fp, "end\n");
    return sb_atomic_commit(&af, err);
}

sb_status sb_labels_read(const char *path, sb_labels *l, sb_error *err)
{
    sb_labels_free(l);
    memset(l, 0, sizeof *l);
    char *text = ds_slurp(path, err);
    if (!text) return err ? err->code : SB_ERR_IO;
    sb_status st = SB_OK;
    if (strncmp(text, labels_magic, strlen(labels_magic)) != 0) {
        free(text);
        return sb_error_set(err, SB_ERR_FORMAT, "%s: not a shearband label file (first line must be "
                            "'%s')", path, labels_magic);
    }
    char v[SB_PATH_MAX];
    const char *ids = strstr(text, "\nids\n");
    if (!sb_params_value(text, "glass", l->glass, sizeof l->glass) ||
        !sb_params_value(text, "glass_fingerprint", v, sizeof v) ||
        sscanf(v, "%" SCNx64, &l->glass_fingerprint) != 1 ||
        !sb_params_value(text, "orientation", v, sizeof v) || sscanf(v, "%d", &l->orientation) != 1 ||
        !sb_params_value(text, "strain", v, sizeof v) || sscanf(v, "%lf", &l->strain) != 1 ||
        !sb_params_value(text, "f_thres", v, sizeof v) || sscanf(v, "%lf", &l->f_thres) != 1 ||
        !sb_params_value(text, "atoms", v, sizeof v) || sscanf(v, "%zu", &l->n_atoms) != 1 ||
        !sb_params_value(text, "positives", v, sizeof v) || sscanf(v, "%zu", &l->n_pos) != 1 || !ids ||
        l->n_pos > l->n_atoms) {
        free(text);
        return sb_error_set(err, SB_ERR_PARSE, "%s: a required key (glass, glass_fingerprint, "
                            "orientation, strain, f_thres, atoms, positives, ids) is missing or bad",
                            path);
    }
    sb_params_value(text, "run_dir", l->run_dir, sizeof l->run_dir);
    if (sb_params_value(text, "shuffle", v, sizeof v)) sscanf(v, "%d", &l->shuffle);
    if (sb_params_value(text, "shuffle_seed", v, sizeof v)) sscanf(v, "%" SCNu64, &l->shuffle_seed);
    if (sb_params_value(text, "d2min_threshold", v, sizeof v)) sscanf(v, "%lf", &l->d2min_threshold);
    l->pos_ids = malloc((l->n_pos ? l->n_pos : 1) * sizeof *l->pos_ids);
    if (!l->pos_ids) st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
    const char *p = ids + 5;
    for (size_t k = 0; st == SB_OK && k < l->n_pos; k++) {
        char *e;
        errno = 0;
        const long long x = strtoll(p, &e, 10);
        if (e == p || errno || x <= 0)
            st = sb_error_set(err, SB_ERR_PARSE, "%s: expected %zu positive ids, found %zu", path,
                              l->n_pos, k);
        l->pos_ids[k] = x;
        p = e;
    }
    while (st == SB_OK && (*p == ' ' || *p == '\n' || *p == '\r')) p++;
    if (st == SB_OK && strncmp(p, "d2min", 5) == 0 && (p[5] == '\n' || p[5] == '\r')) {
        /* optional: every atom's "id D2min", ids ascending */
        p += 5;
        l->score_ids = malloc((l->n_atoms ? l->n_atoms : 1) * sizeof *l->score_ids);
        l->d2min = malloc((l->n_atoms ? l->n_atoms : 1) * sizeof *l->d2min);
        if (!l->score_ids || !l->d2min) st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
        for (size_t k = 0; st == SB_OK && k < l->n_atoms; k++) {
            char *e, *f;
            errno = 0;
            const long long id = strtoll(p, &e, 10);
            const double val = e != p ? strtod(e, &f) : 0;
            if (e == p || f == e || errno || id <= 0 || !(val >= 0) || !isfinite(val) ||
                (k > 0 && id <= l->score_ids[k - 1])) {
                st = sb_error_set(err, SB_ERR_PARSE, "%s: d2min entry %zu of %zu: expected 'id value' "
                                  "with ids ascending and value >= 0", path, k + 1, l->n_atoms);
                break;
            }
            l->score_ids[k] = id;
            l->d2min[k] = val;
            l->n_scores = k + 1;
            p = f;
        }
        while (st == SB_OK && (*p == ' ' || *p == '\n' || *p == '\r')) p++;
    }
    if (st == SB_OK && strncmp(p, "end", 3) != 0)
        st = sb_error_set(err, SB_ERR_PARSE, "%s: more ids than 'positives' or d2min entries than "
                          "'atoms', or no 'end' line (truncated?)", path);
    free(text);
    if (st != SB_OK) sb_labels_free(l);
    return st;
}

sb_status sb_labels_mask(const sb_labels *l, const sb_structure *s, unsigned char *mask,
                         sb_error *err)
{
    if (s->n != l->n_atoms)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "labels are for %zu atoms, the glass has %zu",
                            l->n_atoms, s->n);
    size_t *order = NULL;
    sb_status st = sb_structure_id_order(s, &order, err);
    if (st != SB_OK) return st;
    memset(mask, 0, s->n);
    for (size_t k = 0; k < l->n_pos; k++) {
        const size_t i = sb_structure_index_of(s, order, l->pos_ids[k]);
        if (i == (size_t)-1) {
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "labelled atom id %" PRId64
                              " is not in the glass", l->pos_ids[k]);
            break;
        }
        mask[i] = 1;
    }
    free(order);
    return st;
}

sb_status sb_labels_targets(const sb_labels *l, const sb_structure *s, double tau, float *t,
                            sb_error *err)
{
    if (!(tau > 0)) return sb_error_set(err, SB_ERR_INVALID_ARG, "soft-label width %g: must be > 0", tau);
    if (l->n_scores == 0)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "no per-atom D2min recorded (labelled by an older "
                            "shearband): run `shearband label` on the run again");
    if (l->n_scores != s->n)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "D2min recorded for %zu atoms, the glass has %zu",
                            l->n_scores, s->n);
    if (!(l->d2min_threshold > 0))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "d2min_threshold %g: must be > 0 for soft targets",
                            l->d2min_threshold);
    size_t *order = NULL;
    sb_status st = sb_structure_id_order(s, &order, err);
    for (size_t k = 0; st == SB_OK && k < l->n_scores; k++) {
        const size_t i = sb_structure_index_of(s, order, l->score_ids[k]);
        if (i == (size_t)-1) {
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "atom id %" PRId64 " with a D2min is not in the glass",
                              l->score_ids[k]);
            break;
        }
        const double x = l->d2min[k] > 0 ? log(l->d2min[k] / l->d2min_threshold) / tau : -INFINITY;
        const double v = 1.0 / (1.0 + exp(-x));
        /* the file's six digits can put an atom at the cut on the wrong side: keep its label's */
        const bool pos = bsearch(&l->score_ids[k], l->pos_ids, l->n_pos, sizeof *l->pos_ids, cmp_i64);
        t[i] = (float)(pos ? fmax(v, 0.5) : fmin(v, 0.5));
    }
    free(order);
    return st;
}

/* ---- manifests ----------------------------------------------------------------------- */

const char *sb_split_name(sb_split s)
{
    return s == SB_SPLIT_TRAIN ? "train" : s == SB_SPLIT_VAL ? "val" : "test";
}

void sb_dataset_free(sb_dataset *d)
{
    if (!d) return;
    free(d->cases);
    d->cases = NULL;
    d->n = 0;
}

static void ds_dirname(const char *path, char *out, size_t outsz)
{
    char tmp[SB_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, outsz, "%s", dirname(tmp));
}

static sb_status ds_resolve(const char *base, const char *rel, char *out, size_t outsz, sb_error *err)
{
    if (rel[0] == '/' || strcmp(base, ".") == 0) {
        if (strlen(rel) >= outsz) return sb_error_set(err, SB_ERR_INVALID_ARG, "path too long: %s", rel);
        snprintf(out, outsz, "%s", rel);
        return SB_OK;
    }
    return sb_path_join(out, outsz, base, rel, err);
}

sb_status sb_dataset_read(const char *path, sb_dataset *d, sb_error *err)
{
    sb_dataset_free(d);
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "%s", path);
    FILE *fp = fopen(path, "r");
    if (!fp) return sb_error_set(err, SB_ERR_IO, "%s: cannot open the dataset: %s", path, strerror(errno));
    char base[SB_PATH_MAX];
    ds_dirname(path, base, sizeof base);
    char line[3 * SB_PATH_MAX];
    size_t lineno = 0, cap = 0;
    sb_status st = SB_OK;
    bool magic = false;
    while (st == SB_OK && fgets(line, sizeof line, fp)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!magic) {
            if (strcmp(line, dataset_magic) != 0)
                st = sb_error_set(err, SB_ERR_FORMAT, "%s:1: not a shearband dataset (expected '%s')",
                                  path, dataset_magic);
            magic = true;
            continue;
        }
        const char *s = line + strspn(line, " \t");
        if (!*s || *s == '#') continue;
        char sample[64], glass[SB_PATH_MAX], labels[SB_PATH_MAX], split[16];
        int k;
        if (sscanf(s, "%63s %4095s %d %4095s %15s", sample, glass, &k, labels, split) != 5 || k < 0 ||
            k > 23) {
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: expected 'SAMPLE GLASS ORIENTATION(0-23) "
                              "LABELS SPLIT', found '%s'", path, lineno, s);
            break;
        }
        if (d->n == cap) {
            cap = cap ? 2 * cap : 16;
            sb_dataset_case *nc = realloc(d->cases, cap * sizeof *nc);
            if (!nc) {
                st = sb_error_set(err, SB_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            d->cases = nc;
        }
        sb_dataset_case *c = &d->cases[d->n];
        memset(c, 0, sizeof *c);
        snprintf(c->sample, sizeof c->sample, "%s", sample);
        c->orientation = k;
        if (!strcmp(split, "train")) c->split = SB_SPLIT_TRAIN;
        else if (!strcmp(split, "val")) c->split = SB_SPLIT_VAL;
        else if (!strcmp(split, "test")) c->split = SB_SPLIT_TEST;
        else {
            st = sb_error_set(err, SB_ERR_PARSE, "%s:%zu: split '%s': use train, val or test", path,
                              lineno, split);
            break;
        }
        if ((st = ds_resolve(base, glass, c->glass, sizeof c->glass, err)) != SB_OK) break;
        if ((st = ds_resolve(base, labels, c->labels, sizeof c->labels, err)) != SB_OK) break;
        for (size_t j = 0; j < d->n; j++)
            if (!strcmp(d->cases[j].sample, c->sample) && d->cases[j].split != c->split) {
                st = sb_error_set(err, SB_ERR_INVALID_ARG,
                                  "%s:%zu: sample %s is in two splits (%s and %s); split by sample",
                                  path, lineno, c->sample, sb_split_name(d->cases[j].split),
                                  sb_split_name(c->split));
                break;
            }
        d->n++;
    }
    fclose(fp);
    if (st == SB_OK && !magic) st = sb_error_set(err, SB_ERR_FORMAT, "%s: empty dataset file", path);
    if (st == SB_OK && d->n == 0) st = sb_error_set(err, SB_ERR_FORMAT, "%s: no cases", path);
    if (st != SB_OK) sb_dataset_free(d);
    return st;
}

/* path of `target` relative to directory `base` (both made absolute); falls back to the
 * absolute path. */
static void ds_relative(const char *base, const char *target, char *out, size_t outsz)
{
    char rb[SB_PATH_MAX], rt[SB_PATH_MAX];
    if (!realpath(base, rb) || !realpath(target, rt)) {
        snprintf(out, outsz, "%s", target);
        return;
    }
    /* common leading components: rb[0..common) is a prefix of rt ending at a '/' or end */
    const size_t lb = strlen(rb);
    size_t common = 0;
    for (size_t i = 0; i <= lb; i++) {
        if (rb[i] != rt[i] && !(rb[i] == 0 && rt[i] == '/')) break;
        if (rb[i] == '/' || rb[i] == 0) common = i;
    }
    size_t up = common < lb ? 1 : 0;
    for (size_t i = common + 1; i < lb; i++) up += rb[i] == '/';
    if (common == 0) up = 0, common = 0; /* only "/" in common: keep the absolute path */
    size_t len = 0;
    out[0] = 0;
    if (common == 0) {
        snprintf(out, outsz, "%s", rt);
        return;
    }
    for (size_t u = 0; u < up && len + 4 < outsz; u++) len += (size_t)snprintf(out + len, outsz - len, "../");
    snprintf(out + len, outsz - len, "%s", rt[common] ? rt + common + 1 : ".");
}

sb_status sb_dataset_write(const char *path, const sb_dataset *d, int argc, char *const *argv,
                           sb_error *err)
{
    sb_atomic_file af;
    sb_status st = sb_atomic_open(&af, path, err);
    if (st != SB_OK) return st;
    char base[SB_PATH_MAX], g[SB_PATH_MAX], l[SB_PATH_MAX];
    ds_dirname(path, base, sizeof base);
    fprintf(af.fp, "%s\n# shearband %s (commit %s); paths relative to this file's folder\n# command",
            dataset_magic, sb_version(), sb_git_commit());
    for (int a = 0; a < argc; a++) fprintf(af.fp, " %s", argv[a]);
    fprintf(af.fp, "\n# sample glass orientation labels split\n");
    for (size_t i = 0; i < d->n; i++) {
        const sb_dataset_case *c = &d->cases[i];
        ds_relative(base, c->glass, g, sizeof g);
        ds_relative(base, c->labels, l, sizeof l);
        fprintf(af.fp, "%s %s %d %s %s\n", c->sample, g, c->orientation, l, sb_split_name(c->split));
    }
    return sb_atomic_commit(&af, err);
}

sb_dataset_make_options sb_dataset_make_options_default(void)
{
    return (sb_dataset_make_options){.val_fraction = 0.2, .test_fraction = 0.2, .seed = 1};
}

static uint64_t ds_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_str64(const void *a, const void *b) { return strcmp(a, b); }

/* Is name one of the comma-separated words of list? */
static bool in_list(const char *list, const char *name)
{
    const size_t len = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        const size_t w = end ? (size_t)(end - p) : strlen(p);
        if (w == len && !strncmp(p, name, len)) return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* Explicit split: every listed name must be a sample, in one list only, and one sample at
 * least must stay for training. */
static sb_status assign_by_name(const sb_dataset_make_options *o, char (*names)[64], size_t ns,
                                sb_dataset *d, sb_error *err)
{
    const char *lists[2] = {o->val_samples, o->test_samples};
    const char *flag[2] = {"--val-samples", "--test-samples"};
    for (int k = 0; k < 2; k++) {
        for (const char *p = lists[k]; p && *p;) {
            const char *end = strchr(p, ',');
            const int w = end ? (int)(end - p) : (int)strlen(p);
            char nm[64];
            snprintf(nm, sizeof nm, "%.*s", w < 63 ? w : 63, p);
            bool found = false;
            for (size_t j = 0; j < ns; j++) found |= !strcmp(names[j], nm);
            if (!found)
                return sb_error_set(err, SB_ERR_INVALID_ARG, "%s: '%s' is not a sample of these labels",
                                    flag[k], nm);
            if (k == 1 && in_list(o->val_samples, nm))
                return sb_error_set(err, SB_ERR_INVALID_ARG, "sample '%s' is both val and test", nm);
            p = end ? end + 1 : NULL;
        }
    }
    size_t ntrain = 0;
    for (size_t j = 0; j < ns; j++) ntrain += !in_list(o->val_samples, names[j]) && !in_list(o->test_samples, names[j]);
    if (ntrain == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "no sample left for training");
    for (size_t i = 0; i < d->n; i++) {
        sb_dataset_case *c = &d->cases[i];
        c->split = in_list(o->test_samples, c->sample) ? SB_SPLIT_TEST
                   : in_list(o->val_samples, c->sample) ? SB_SPLIT_VAL
                                                        : SB_SPLIT_TRAIN;
    }
    return SB_OK;
}

sb_status sb_dataset_make(const char *const *label_files, size_t n,
                          const sb_dataset_make_options *opt, sb_dataset *out, sb_error *err)
{
    const sb_dataset_make_options o = opt ? *opt : sb_dataset_make_options_default();
    if (!(o.val_fraction >= 0 && o.test_fraction >= 0 && o.val_fraction + o.test_fraction < 1))
        return sb_error_set(err, SB_ERR_INVALID_ARG, "val and test fractions must be >= 0 and sum < 1");
    sb_dataset_free(out);
    memset(out, 0, sizeof *out);
    if (n == 0) return sb_error_set(err, SB_ERR_INVALID_ARG, "no label files");
    out->cases = calloc(n, sizeof *out->cases);
    char (*names)[64] = calloc(n, sizeof *names);
    uint64_t *fps = calloc(n, sizeof *fps);
    sb_status st = (out->cases && names && fps) ? SB_OK : sb_error_set(err, SB_ERR_NOMEM, "out of memory");
    sb_labels l = SB_LABELS_INIT;
    for (size_t i = 0; st == SB_OK && i < n; i++) {
        if ((st = sb_labels_read(label_files[i], &l, err)) != SB_OK) break;
        sb_dataset_case *c = &out->cases[i];
        /* label files record the glass path as seen from where `label` ran */
        snprintf(c->glass, sizeof c->glass, "%s", l.glass);
        if (!sb_file_exists(c->glass)) {
            st = sb_error_set(err, SB_ERR_IO,
                              "%s: its glass %s does not exist from here (paths in label files are "
                              "relative to where 'label' ran): run from there, or edit the manifest",
                              label_files[i], l.glass);
            break;
        }
        snprintf(c->labels, sizeof c->labels, "%s", label_files[i]);
        c->orientation = l.orientation;
        char tmp[SB_PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s", l.glass);
        char *b = basename(tmp), *dot = strrchr(b, '.');
        if (dot && dot != b) *dot = 0;
        snprintf(c->sample, sizeof c->sample, "%s", b);
        fps[i] = l.glass_fingerprint;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->cases[j].sample, c->sample) && fps[j] != fps[i])
                st = sb_error_set(err, SB_ERR_INVALID_ARG,
                                  "%s and %s: two different glasses named %s; rename one",
                                  label_files[j], label_files[i], c->sample);
        out->n++;
    }
    sb_labels_free(&l);
    size_t ns = 0;
    if (st == SB_OK) {
        for (size_t i = 0; i < n; i++) {
            bool seen = false;
            for (size_t j = 0; j < ns; j++) seen |= !strcmp(names[j], out->cases[i].sample);
            if (!seen) snprintf(names[ns++], 64, "%s", out->cases[i].sample);
        }
        qsort(names, ns, sizeof *names, cmp_str64);
    }
    if (st == SB_OK && (o.val_samples || o.test_samples)) {
        if (o.split_by_case)
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "an explicit split by sample name excludes --split-by-case");
        else
            st = assign_by_name(&o, names, ns, out, err);
        free(names);
        free(fps);
        if (st != SB_OK) sb_dataset_free(out);
        return st;
    }
    const size_t units = o.split_by_case ? n : ns;
    size_t *perm = st == SB_OK ? malloc(units * sizeof *perm) : NULL;
    if (st == SB_OK && !perm) st = sb_error_set(err, SB_ERR_NOMEM, "out of memory");
    if (st == SB_OK && units < 3 && (o.val_fraction > 0 || o.test_fraction > 0))
        st = sb_error_set(err, SB_ERR_INVALID_ARG,
                          "%zu sample(s): a split by sample needs at least 3 (one per split)%s", ns,
                          o.split_by_case ? "" : "; --split-by-case splits one sample's orientations "
                          "(smoke tests only: structure leaks between splits)");
    if (st == SB_OK) {
        uint64_t s = o.seed;
        for (size_t i = 0; i < units; i++) perm[i] = i;
        for (size_t i = units; i > 1; i--) {
            const size_t j = (size_t)(ds_splitmix(&s) % i);
            const size_t t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        size_t ntest = (size_t)llround(o.test_fraction * (double)units);
        size_t nval = (size_t)llround(o.val_fraction * (double)units);
        if (o.test_fraction > 0 && ntest == 0) ntest = 1;
        if (o.val_fraction > 0 && nval == 0) nval = 1;
        if (ntest + nval >= units) st = sb_error_set(err, SB_ERR_INVALID_ARG,
                                                     "too few samples (%zu) for the split", units);
        /* rank r of unit u: perm position; first ntest test, next nval val */
        for (size_t r = 0; st == SB_OK && r < units; r++) {
            const sb_split sp = r < ntest ? SB_SPLIT_TEST : r < ntest + nval ? SB_SPLIT_VAL : SB_SPLIT_TRAIN;
            if (o.split_by_case) {
                /* each case becomes its own "sample" (name_kNN) so that the manifest stays
                 * valid; the leak is the caller's explicit choice */
                sb_dataset_case *c = &out->cases[perm[r]];
                c->split = sp;
                char nm[64];
                snprintf(nm, sizeof nm, "%.55s_k%02d", c->sample, c->orientation);
                memcpy(c->sample, nm, sizeof nm);
            } else {
                for (size_t i = 0; i < n; i++)
                    if (!strcmp(out->cases[i].sample, names[perm[r]])) out->cases[i].split = sp;
            }
        }
    }
    free(perm);
    free(names);
    free(fps);
    if (st != SB_OK) sb_dataset_free(out);
    return st;
}
