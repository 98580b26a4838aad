#include "server/stage_options.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct conn_key {
    const char *key;
    const char *alias[3];
    bool secret;
};

static const struct conn_key s3_keys[] = {
    {"endpoint_url", {NULL}, false},
    {"region", {NULL}, false},
    {"access_key_id", {"aws_key_id"}, true},
    {"secret_access_key", {"aws_secret_key"}, true},
    {"session_token", {"aws_token", "security_token"}, true},
    {"master_key", {NULL}, true},
    {"enable_virtual_host_style", {NULL}, false},
    {"role_arn", {"aws_role_arn"}, false},
    {"external_id", {"aws_external_id"}, false},
    {"allow_anonymous", {NULL}, false},
    {NULL, {NULL}, false},
};

static const struct conn_key azblob_keys[] = {
    {"endpoint_url", {NULL}, false},
    {"account_name", {NULL}, false},
    {"account_key", {NULL}, true},
    {NULL, {NULL}, false},
};

static const struct conn_key gcs_keys[] = {
    {"endpoint_url", {NULL}, false},
    {"credential", {NULL}, true},
    {NULL, {NULL}, false},
};

struct scheme {
    const char *name;
    const char *alias;
    const struct conn_key *keys;
    const char *kind; /* for DESC: S3, Azblob, Gcs */
    const char *default_endpoint;
};

static const struct scheme schemes[] = {
    {"s3", "s3a", s3_keys, "S3", "https://s3.amazonaws.com"},
    {"azblob", NULL, azblob_keys, "Azblob", NULL},
    {"gcs", NULL, gcs_keys, "Gcs", "https://storage.googleapis.com"},
};

static const char *const format_types[] = {"CSV", "TSV",  "NDJSON", "PARQUET", "JSON",
                                           "ORC", "AVRO", "TEXT",   "LANCE",   NULL};
static const char *const format_keys[] = {"type",
                                          "format_name",
                                          "compression",
                                          "record_delimiter",
                                          "field_delimiter",
                                          "quote",
                                          "escape",
                                          "nan_display",
                                          "null_display",
                                          "row_tag",
                                          "skip_header",
                                          "error_on_column_count_mismatch",
                                          "output_header",
                                          "binary_format",
                                          "missing_field_as",
                                          "empty_field_as",
                                          "null_field_as",
                                          "null_if",
                                          NULL};

static struct stage_def *fail(int *code, const char **name, int c, const char *n, char *why,
                              size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static struct stage_def *fail(int *code, const char **name, int c, const char *n, char *why,
                              size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    *code = c;
    *name = n;
    return NULL;
}

static const struct scheme *scheme_of(const char *url, const char **rest)
{
    const char *sep = strstr(url, "://");
    if (!sep)
        return NULL;
    size_t n = (size_t)(sep - url);
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        const struct scheme *s = &schemes[i];
        if ((strlen(s->name) == n && !strncasecmp(url, s->name, n)) ||
            (s->alias && strlen(s->alias) == n && !strncasecmp(url, s->alias, n))) {
            *rest = sep + 3;
            return s;
        }
    }
    return NULL;
}

static const struct conn_key *find_key(const struct conn_key *keys, const char *k)
{
    for (const struct conn_key *c = keys; c->key; c++) {
        if (!strcmp(c->key, k))
            return c;
        for (int i = 0; i < 3 && c->alias[i]; i++)
            if (!strcmp(c->alias[i], k))
                return c;
    }
    return NULL;
}

static struct stage_def *check_connection(const struct stage_stmt *st, const struct scheme *sc,
                                          struct stage_def *d, char *why, size_t why_len, int *code,
                                          const char **code_name)
{
    char unknown[256] = "", expected[512] = "";
    for (const struct conn_key *k = sc->keys; k->key; k++)
        snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s%s",
                 expected[0] ? ", " : "", k->key);
    for (size_t i = 0; i < st->n_connection; i++) {
        const struct conn_key *k = find_key(sc->keys, st->connection[i].key);
        if (!k) {
            snprintf(unknown + strlen(unknown), sizeof(unknown) - strlen(unknown), "%s%s",
                     unknown[0] ? ", " : "", st->connection[i].key);
            continue;
        }
        json_object_set_new(d->connection, k->key, json_string(st->connection[i].value));
    }
    if (unknown[0]) {
        stage_def_free(d);
        return fail(code, code_name, 1006, "BadArguments", why, why_len,
                    "connection params invalid: expected [%s], got [%s]", expected, unknown);
    }
    if (!strcmp(sc->name, "azblob") && !json_object_get(d->connection, "endpoint_url")) {
        stage_def_free(d);
        return fail(code, code_name, 2002, "InvalidConfig", why, why_len,
                    "Input storage config for stage is invalid: endpoint_url is required for "
                    "azblob");
    }
    return d;
}

static struct stage_def *check_format(const struct stage_stmt *st, struct stage_def *d, char *why,
                                      size_t why_len, int *code, const char **code_name)
{
    json_object_set_new(d->file_format, "type", json_string("PARQUET"));
    for (size_t i = 0; i < st->n_file_format; i++) {
        const char *k = st->file_format[i].key, *v = st->file_format[i].value;
        bool known = false;
        for (int j = 0; format_keys[j]; j++)
            known |= !strcmp(format_keys[j], k);
        if (!known) {
            stage_def_free(d);
            return fail(code, code_name, 1005, "SyntaxException", why, why_len,
                        "unknown file format option %s", k);
        }
        if (!strcmp(k, "type")) {
            char up[16];
            size_t n = 0;
            for (; v[n] && n < sizeof(up) - 1; n++)
                up[n] = (char)toupper((unsigned char)v[n]);
            up[n] = 0;
            bool ok = false;
            for (int j = 0; format_types[j]; j++)
                ok |= !strcmp(format_types[j], up);
            if (!ok) {
                stage_def_free(d);
                return fail(code, code_name, 1005, "SyntaxException", why, why_len,
                            "unknown file format type %s", v);
            }
            json_object_set_new(d->file_format, "type", json_string(up));
            continue;
        }
        json_object_set_new(d->file_format, k, json_string(v));
    }
    return d;
}

struct stage_def *stage_options_build(const struct stage_stmt *st, char *why, size_t why_len,
                                      int *code, const char **code_name)
{
    const struct scheme *sc = NULL;
    const char *rest = NULL;
    if (st->url) {
        sc = scheme_of(st->url, &rest);
        if (!sc)
            return fail(code, code_name, 1006, "BadArguments", why, why_len,
                        "unsupported storage URL '%s': stages live in s3://, azblob:// or gcs://",
                        st->url);
        if (!*rest || *rest == '/')
            return fail(code, code_name, 2002, "InvalidConfig", why, why_len,
                        "Input storage config for stage is invalid: the URL names no bucket");
    } else if (st->n_connection > 0) {
        return fail(code, code_name, 1006, "BadArguments", why, why_len,
                    "CONNECTION needs a URL: internal stages take none");
    }
    struct stage_def *d = stage_def_new(st->name, sc ? STAGE_EXTERNAL : STAGE_INTERNAL);
    if (!d)
        return fail(code, code_name, 4000, "StorageOther", why, why_len, "out of memory");
    if (sc) {
        d->url = strdup(st->url);
        if (!(d = check_connection(st, sc, d, why, why_len, code, code_name)))
            return NULL;
    }
    if (st->comment) {
        free(d->comment);
        d->comment = strdup(st->comment);
    }
    return check_format(st, d, why, why_len, code, code_name);
}

static bool is_secret(const char *key)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        const struct conn_key *k = find_key(schemes[i].keys, key);
        if (k && k->secret)
            return true;
    }
    return false;
}

static void append(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *out, size_t len, const char *fmt, ...)
{
    size_t n = strlen(out);
    if (n >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, len - n, fmt, ap);
    va_end(ap);
}

void stage_options_render_params(const struct stage_def *d, const char *data_dir, char *out,
                                 size_t len)
{
    (void)data_dir;
    out[0] = 0;
    if (d->type == STAGE_INTERNAL) {
        snprintf(out, len,
                 "StageParams { storage: Fs(StorageFsConfig { root: \"stages/internal/%s\" }) }",
                 d->name);
        return;
    }
    const char *rest;
    const struct scheme *sc = scheme_of(d->url, &rest);
    if (!sc) {
        snprintf(out, len, "StageParams { url: \"%s\" }", d->url);
        return;
    }
    const char *slash = strchr(rest, '/');
    size_t bl = slash ? (size_t)(slash - rest) : strlen(rest);
    json_t *ep = json_object_get(d->connection, "endpoint_url");
    append(out, len,
           "StageParams { storage: %s(Storage%sConfig { endpoint_url: \"%s\", %s: \"%.*s\", "
           "root: \"%s\"",
           sc->kind, sc->kind,
           ep ? json_string_value(ep) : (sc->default_endpoint ? sc->default_endpoint : ""),
           strcmp(sc->name, "azblob") ? "bucket" : "container", (int)bl, rest, slash ? slash : "/");
    for (const struct conn_key *k = sc->keys; k->key; k++) {
        if (!strcmp(k->key, "endpoint_url"))
            continue;
        json_t *v = json_object_get(d->connection, k->key);
        const char *s = v ? json_string_value(v) : "";
        char masked[128];
        if (k->secret)
            catalog_mask_secret(s, masked, sizeof(masked));
        append(out, len, ", %s: \"%s\"", k->key, k->secret ? masked : s);
    }
    append(out, len, " }) }");
}

void stage_options_render_format(const struct stage_def *d, char *out, size_t len)
{
    static const char *const names[][2] = {
        {"CSV", "Csv"},         {"TSV", "Tsv"},   {"NDJSON", "NdJson"},
        {"PARQUET", "Parquet"}, {"JSON", "Json"}, {"ORC", "Orc"},
        {"AVRO", "Avro"},       {"TEXT", "Text"}, {"LANCE", "Lance"}};
    json_t *t = json_object_get(d->file_format, "type");
    const char *type = t ? json_string_value(t) : "PARQUET", *name = "Parquet";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i][0], type))
            name = names[i][1];
    out[0] = 0;
    append(out, len, "%s(%sFileFormatParams {", name, name);
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(d->file_format, k, v)
    {
        if (!strcmp(k, "type"))
            continue;
        append(out, len, "%s %s: \"%s\"", first ? "" : ",", k,
               is_secret(k) ? "******" : json_string_value(v));
        first = false;
    }
    append(out, len, "%s})", first ? "" : " ");
}
