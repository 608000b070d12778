/* Streaming JSON writer (shearband/json.h). */
#define _POSIX_C_SOURCE 200809L
#include "shearband/json.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shearband/version.h"

static void indent(sb_json *j)
{
    fputc('\n', j->fp);
    for (int d = 0; d < j->depth; d++) fputs("  ", j->fp);
}

/* Comma, newline, indentation and "key": for the next value. */
static void begin_value(sb_json *j, const char *key)
{
    if (j->depth > 0) {
        if (!j->first[j->depth]) fputc(',', j->fp);
        j->first[j->depth] = false;
        indent(j);
        if (!j->in_array[j->depth] && key) {
            fputc('"', j->fp);
            fputs(key, j->fp);
            fputs("\": ", j->fp);
        }
    }
}

static void write_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\t': fputs("\\t", fp); break;
        case '\r': fputs("\\r", fp); break;
        default:
            if (*p < 0x20) fprintf(fp, "\\u%04x", *p);
            else fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

void sb_json_start(sb_json *j, FILE *fp)
{
    j->fp = fp;
    j->depth = 0;
}

static void open_container(sb_json *j, const char *key, bool array)
{
    begin_value(j, key);
    fputc(array ? '[' : '{', j->fp);
    if (j->depth + 1 < SB_JSON_MAX_DEPTH) j->depth++;
    j->first[j->depth] = true;
    j->in_array[j->depth] = array;
}

void sb_json_object(sb_json *j, const char *key) { open_container(j, key, false); }
void sb_json_array(sb_json *j, const char *key) { open_container(j, key, true); }

void sb_json_end(sb_json *j)
{
    if (j->depth == 0) return;
    const bool array = j->in_array[j->depth];
    const bool empty = j->first[j->depth];
    j->depth--;
    if (!empty) indent(j);
    fputc(array ? ']' : '}', j->fp);
}

void sb_json_finish(sb_json *j)
{
    while (j->depth > 0) sb_json_end(j);
    fputc('\n', j->fp);
}

void sb_json_str(sb_json *j, const char *key, const char *value)
{
    begin_value(j, key);
    if (value) write_string(j->fp, value);
    else fputs("null", j->fp);
}

void sb_json_num(sb_json *j, const char *key, double value)
{
    begin_value(j, key);
    if (isfinite(value)) fprintf(j->fp, "%.17g", value);
    else fputs("null", j->fp);
}

void sb_json_int(sb_json *j, const char *key, int64_t value)
{
    begin_value(j, key);
    fprintf(j->fp, "%lld", (long long)value);
}

void sb_json_bool(sb_json *j, const char *key, bool value)
{
    begin_value(j, key);
    fputs(value ? "true" : "false", j->fp);
}

void sb_json_null(sb_json *j, const char *key)
{
    begin_value(j, key);
    fputs("null", j->fp);
}

void sb_json_provenance(sb_json *j, int argc, char *const *argv)
{
    sb_json_object(j, "provenance");
    sb_json_str(j, "tool", "shearband");
    sb_json_str(j, "version", sb_version());
    sb_json_str(j, "commit", sb_git_commit());
    sb_json_str(j, "compiler", sb_compiler());
    sb_json_str(j, "features", sb_features());
    char stamp[32];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sb_json_str(j, "time_utc", stamp);
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    sb_json_str(j, "host", host);
    sb_json_array(j, "command_line");
    for (int a = 0; a < argc; a++) sb_json_str(j, NULL, argv[a]);
    sb_json_end(j);
    sb_json_end(j);
}

bool sb_json_scalar(const char *text, const char *key, char *val, size_t valsz)
{
    const size_t kl = strlen(key);
    for (const char *p = text ? strchr(text, '"') : NULL; p; p = strchr(p + 1, '"')) {
        if (strncmp(p + 1, key, kl) != 0 || p[kl + 1] != '"') continue;
        const char *v = p + kl + 2;
        while (*v == ' ' || *v == '\t') v++;
        if (*v != ':') continue;
        v++;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') v++;
        const char *e;
        if (*v == '"') e = strchr(++v, '"');
        else if (*v == '{' || *v == '[') return false; /* not a scalar */
        else e = v + strcspn(v, ",}] \t\r\n");
        if (!e) return false;
        size_t n = (size_t)(e - v);
        if (valsz == 0) return true;
        if (n >= valsz) n = valsz - 1;
        memcpy(val, v, n);
        val[n] = 0;
        return true;
    }
    return false;
}
