/*
 * nn_model.c: the model = input shape + layer list + one flat parameter array.
 *
 * Shape inference runs once at creation: each layer records its per-sample input and
 * output shapes and where its weights and bias sit in the flat array, so that backends,
 * the optimiser and the file format all work from the same offsets. Initialisation is
 * He/Kaiming normal (std sqrt(2/fan_in)), the usual choice in front of ReLUs, drawn from
 * a splitmix64 stream with Box-Muller so that a seed fixes every weight on every machine.
 */
#include "nn/nn_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t shape_size(sb_nn_shape s)
{
    return (size_t)s.c * (size_t)s.d * (size_t)s.h * (size_t)s.w;
}

static const char *kind_name(sb_nn_layer_kind k)
{
    switch (k) {
    case SB_NN_CONV: return "conv";
    case SB_NN_MAXPOOL: return "pool";
    case SB_NN_AVGPOOL: return "apool";
    case SB_NN_DENSE: return "dense";
    case SB_NN_RELU: return "relu";
    case SB_NN_DROPOUT: return "dropout";
    case SB_NN_FLATTEN: return "flatten";
    }
    return "?";
}

sb_status sb_nn_model_create(sb_nn_shape input, const sb_nn_layer_spec *layers, int nlayers,
                             sb_nn_model **out, sb_error *err)
{
    *out = NULL;
    if (input.c < 1 || input.d < 1 || input.h < 1 || input.w < 1)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: bad input shape %dx%dx%dx%d",
                            input.c, input.d, input.h, input.w);
    if (nlayers < 1 || !layers)
        return sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: no layers");
    sb_nn_model *m = calloc(1, sizeof *m);
    if (!m) return sb_error_set(err, SB_ERR_NOMEM, "nn model: out of memory");
    m->layers = calloc((size_t)nlayers, sizeof *m->layers);
    if (!m->layers) {
        free(m);
        return sb_error_set(err, SB_ERR_NOMEM, "nn model: out of memory");
    }
    m->input = input;
    m->nlayers = nlayers;
    m->spatial_dims = input.d == 1 ? 2 : 3;
    sb_nn_shape s = input;
    bool flat = false;
    size_t off = 0;
    sb_status st = SB_OK;
    for (int i = 0; i < nlayers && st == SB_OK; i++) {
        nn_layer *L = &m->layers[i];
        L->spec = layers[i];
        L->in = s;
        switch (L->spec.kind) {
        case SB_NN_CONV: {
            int k = L->spec.kernel;
            if (flat || L->spec.units < 1 || k < 1 || k % 2 == 0) {
                st = sb_error_set(err, SB_ERR_INVALID_ARG,
                                  "nn model: layer %d: conv needs units >= 1, an odd kernel and "
                                  "a spatial input (units %d, kernel %d)",
                                  i, L->spec.units, k);
                break;
            }
            int kd = m->spatial_dims == 3 ? k : 1;
            L->kdepth = kd;
            L->fan_in = s.c * kd * k * k;
            L->wcount = (size_t)L->spec.units * (size_t)L->fan_in;
            L->bcount = (size_t)L->spec.units;
            s.c = L->spec.units;
            break;
        }
        case SB_NN_MAXPOOL:
        case SB_NN_AVGPOOL:
            if (flat || s.h < 2 || s.w < 2 || (m->spatial_dims == 3 && s.d < 2)) {
                st = sb_error_set(err, SB_ERR_INVALID_ARG,
                                  "nn model: layer %d: %s needs a spatial input of at least 2",
                                  i, kind_name(L->spec.kind));
                break;
            }
            L->kdepth = m->spatial_dims == 3 ? 2 : 1;
            if (m->spatial_dims == 3) s.d /= 2;
            s.h /= 2;
            s.w /= 2;
            break;
        case SB_NN_DENSE:
            if (L->spec.units < 1) {
                st = sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: layer %d: dense needs units >= 1", i);
                break;
            }
            L->fan_in = (int)shape_size(s);
            L->wcount = (size_t)L->spec.units * (size_t)L->fan_in;
            L->bcount = (size_t)L->spec.units;
            s = (sb_nn_shape){L->spec.units, 1, 1, 1};
            flat = true;
            break;
        case SB_NN_RELU: break;
        case SB_NN_DROPOUT:
            if (!(L->spec.rate >= 0.0f && L->spec.rate < 1.0f))
                st = sb_error_set(err, SB_ERR_INVALID_ARG,
                                  "nn model: layer %d: dropout rate %g not in [0, 1)", i,
                                  (double)L->spec.rate);
            break;
        case SB_NN_FLATTEN:
            s = (sb_nn_shape){(int)shape_size(s), 1, 1, 1};
            flat = true;
            break;
        default:
            st = sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: layer %d: unknown kind %d", i,
                              (int)L->spec.kind);
        }
        L->out = s;
        L->in_size = shape_size(L->in);
        L->out_size = shape_size(L->out);
        L->woff = off;
        L->boff = off + L->wcount;
        off += L->wcount + L->bcount;
    }
    if (st == SB_OK) {
        const nn_layer *last = &m->layers[nlayers - 1];
        if (last->spec.kind != SB_NN_DENSE || last->spec.units != 1)
            st = sb_error_set(err, SB_ERR_INVALID_ARG,
                              "nn model: the last layer must be dense with 1 output (the logit)");
    }
    if (st == SB_OK) {
        m->nparams = off;
        m->params = calloc(off ? off : 1, sizeof *m->params);
        if (!m->params) st = sb_error_set(err, SB_ERR_NOMEM, "nn model: out of memory");
    }
    if (st != SB_OK) {
        sb_nn_model_free(m);
        return st;
    }
    *out = m;
    return SB_OK;
}

sb_status sb_nn_model_create_from_string(sb_nn_shape input, const char *arch, sb_nn_model **out,
                                         sb_error *err)
{
    *out = NULL;
    if (!arch) return sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: NULL architecture");
    enum { MAXL = 256 };
    sb_nn_layer_spec specs[MAXL];
    int n = 0;
    const char *p = arch;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p)) p++;
        if (!*p) break;
        if (n == MAXL) return sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: too many layers");
        const char *tok = p;
        while (*p && *p != ',') p++;
        char buf[64];
        size_t len = (size_t)(p - tok);
        while (len > 0 && isspace((unsigned char)tok[len - 1])) len--;
        if (len >= sizeof buf)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: layer token too long in '%s'", arch);
        memcpy(buf, tok, len);
        buf[len] = '\0';
        sb_nn_layer_spec s = {0};
        int a = 0, b = 0, used = 0;
        float r = 0;
        if (sscanf(buf, "conv%dk%d%n", &a, &b, &used) == 2 && buf[used] == '\0') {
            s.kind = SB_NN_CONV;
            s.units = a;
            s.kernel = b;
        } else if (strcmp(buf, "pool") == 0) {
            s.kind = SB_NN_MAXPOOL;
        } else if (strcmp(buf, "apool") == 0) {
            s.kind = SB_NN_AVGPOOL;
        } else if (sscanf(buf, "dense%d%n", &a, &used) == 1 && buf[used] == '\0') {
            s.kind = SB_NN_DENSE;
            s.units = a;
        } else if (strcmp(buf, "relu") == 0) {
            s.kind = SB_NN_RELU;
        } else if (sscanf(buf, "dropout%f%n", &r, &used) == 1 && buf[used] == '\0') {
            s.kind = SB_NN_DROPOUT;
            s.rate = r;
        } else if (strcmp(buf, "flatten") == 0) {
            s.kind = SB_NN_FLATTEN;
        } else {
            return sb_error_set(err, SB_ERR_INVALID_ARG,
                                "nn model: unknown layer '%s' (expected convNkK, pool, apool, "
                                "denseN, relu, dropoutR or flatten)",
                                buf);
        }
        specs[n++] = s;
    }
    return sb_nn_model_create(input, specs, n, out, err);
}

void sb_nn_model_free(sb_nn_model *m)
{
    if (!m) return;
    sb_bin_meta_free(&m->meta);
    free(m->params);
    free(m->layers);
    free(m);
}

void sb_nn_model_init(sb_nn_model *m, uint64_t seed)
{
    uint64_t s = seed ^ 0x5EEDC0DE12345678ULL;
    for (int i = 0; i < m->nlayers; i++) {
        const nn_layer *L = &m->layers[i];
        if (L->wcount == 0) continue;
        double sd = sqrt(2.0 / (double)L->fan_in);
        float *w = m->params + L->woff;
        for (size_t j = 0; j < L->wcount; j += 2) {
            /* Box-Muller: two normals from two uniforms in (0, 1]. */
            double u1 = ((double)(nn_splitmix64(&s) >> 11) + 1.0) * 0x1.0p-53;
            double u2 = (double)(nn_splitmix64(&s) >> 11) * 0x1.0p-53;
            double rad = sqrt(-2.0 * log(u1));
            w[j] = (float)(sd * rad * cos(6.283185307179586 * u2));
            if (j + 1 < L->wcount) w[j + 1] = (float)(sd * rad * sin(6.283185307179586 * u2));
        }
        memset(m->params + L->boff, 0, L->bcount * sizeof(float));
    }
}

sb_nn_shape sb_nn_model_input_shape(const sb_nn_model *m) { return m->input; }
int sb_nn_model_num_layers(const sb_nn_model *m) { return m->nlayers; }
sb_nn_layer_spec sb_nn_model_layer(const sb_nn_model *m, int i) { return m->layers[i].spec; }
sb_nn_shape sb_nn_model_layer_output(const sb_nn_model *m, int i) { return m->layers[i].out; }
size_t sb_nn_model_layer_param_offset(const sb_nn_model *m, int i) { return m->layers[i].woff; }
size_t sb_nn_model_layer_param_count(const sb_nn_model *m, int i)
{
    return m->layers[i].wcount + m->layers[i].bcount;
}
size_t sb_nn_model_num_params(const sb_nn_model *m) { return m->nparams; }
float *sb_nn_model_params(sb_nn_model *m) { return m->params; }
const float *sb_nn_model_params_const(const sb_nn_model *m) { return m->params; }

sb_status sb_nn_model_describe(const sb_nn_model *m, char *buf, size_t bufsz, sb_error *err)
{
    size_t used = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const sb_nn_layer_spec *s = &m->layers[i].spec;
        char tok[64];
        switch (s->kind) {
        case SB_NN_CONV: snprintf(tok, sizeof tok, "conv%dk%d", s->units, s->kernel); break;
        case SB_NN_DENSE: snprintf(tok, sizeof tok, "dense%d", s->units); break;
        case SB_NN_DROPOUT: snprintf(tok, sizeof tok, "dropout%g", (double)s->rate); break;
        default: snprintf(tok, sizeof tok, "%s", kind_name(s->kind));
        }
        int k = snprintf(buf + used, bufsz > used ? bufsz - used : 0, "%s%s", i ? "," : "", tok);
        if (k < 0 || used + (size_t)k >= bufsz)
            return sb_error_set(err, SB_ERR_INVALID_ARG, "nn model: describe buffer too small");
        used += (size_t)k;
    }
    return SB_OK;
}

sb_status sb_nn_model_set_meta(sb_nn_model *m, const char *key, const char *value, sb_error *err)
{
    return sb_bin_meta_set(&m->meta, key, value, "nn model", err);
}

const char *sb_nn_model_get_meta(const sb_nn_model *m, const char *key) { return sb_bin_meta_get(&m->meta, key); }

int sb_nn_model_meta_count(const sb_nn_model *m) { return m->meta.n; }

void sb_nn_model_meta_at(const sb_nn_model *m, int i, const char **key, const char **value)
{
    *key = m->meta.kv[i].key;
    *value = m->meta.kv[i].value;
}
