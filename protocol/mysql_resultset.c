#include "protocol/mysql_resultset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/mysql_packet.h"

static void put_str(struct buf *b, const char *s)
{
    if (!s)
        s = "";
    mysql_put_lenenc_str(b, s, strlen(s));
}

void mysql_build_column_def(struct buf *b, const struct mysql_column *c, bool field_list)
{
    put_str(b, "def");
    put_str(b, c->schema);
    put_str(b, c->table);
    put_str(b, c->table);
    put_str(b, c->name);
    put_str(b, c->org_name ? c->org_name : c->name);
    buf_put_u8(b, 0x0c);
    buf_put_u16le(b, c->charset);
    buf_put_u32le(b, c->length);
    buf_put_u8(b, c->type);
    buf_put_u16le(b, c->flags);
    buf_put_u8(b, c->decimals);
    buf_put_u16le(b, 0);
    if (field_list)
        buf_put_u8(b, 0xFB);
}

void mysql_build_text_row(struct buf *b, const struct mysql_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].null)
            buf_put_u8(b, 0xFB);
        else
            mysql_put_lenenc_str(b, v[i].s, v[i].len);
    }
}

static int parse_i64(const struct mysql_value *v, int64_t *out, bool is_unsigned)
{
    char tmp[32];
    if (v->len == 0 || v->len >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, v->s, v->len);
    tmp[v->len] = 0;
    char *end;
    errno = 0;
    if (is_unsigned)
        *out = (int64_t)strtoull(tmp, &end, 10);
    else
        *out = strtoll(tmp, &end, 10);
    return (*end || errno) ? -EINVAL : 0;
}

static int put_binary_datetime(struct buf *b, const struct mysql_value *v, bool date_only)
{
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, us = 0;
    char tmp[40];
    if (v->len >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, v->s, v->len);
    tmp[v->len] = 0;
    int n = sscanf(tmp, "%4u-%2u-%2u %2u:%2u:%2u.%6u", &y, &mo, &d, &h, &mi, &s, &us);
    if (n < 3)
        return -EINVAL;
    if (date_only || (h == 0 && mi == 0 && s == 0 && us == 0)) {
        buf_put_u8(b, 4);
    } else {
        buf_put_u8(b, us ? 11 : 7);
    }
    buf_put_u16le(b, (uint16_t)y);
    buf_put_u8(b, (uint8_t)mo);
    buf_put_u8(b, (uint8_t)d);
    if (date_only || (h == 0 && mi == 0 && s == 0 && us == 0))
        return 0;
    buf_put_u8(b, (uint8_t)h);
    buf_put_u8(b, (uint8_t)mi);
    buf_put_u8(b, (uint8_t)s);
    if (us)
        buf_put_u32le(b, us);
    return 0;
}

static int put_binary_time(struct buf *b, const struct mysql_value *v)
{
    char tmp[40];
    unsigned h = 0, mi = 0, s = 0, us = 0;
    if (v->len >= sizeof(tmp) || v->len == 0)
        return -EINVAL;
    memcpy(tmp, v->s, v->len);
    tmp[v->len] = 0;
    bool neg = tmp[0] == '-';
    if (sscanf(tmp + neg, "%u:%2u:%2u.%6u", &h, &mi, &s, &us) < 3)
        return -EINVAL;
    if (h == 0 && mi == 0 && s == 0 && us == 0) {
        buf_put_u8(b, 0);
        return 0;
    }
    buf_put_u8(b, us ? 12 : 8);
    buf_put_u8(b, neg);
    buf_put_u32le(b, h / 24);
    buf_put_u8(b, (uint8_t)(h % 24));
    buf_put_u8(b, (uint8_t)mi);
    buf_put_u8(b, (uint8_t)s);
    if (us)
        buf_put_u32le(b, us);
    return 0;
}

static int put_binary_value(struct buf *b, const struct mysql_column *c,
                            const struct mysql_value *v)
{
    int64_t i;
    bool u = c->flags & MYSQL_FLAG_UNSIGNED;
    switch (c->type) {
    case MYSQL_TYPE_LONGLONG:
        if (parse_i64(v, &i, u) < 0)
            return -EINVAL;
        buf_put_u64le(b, (uint64_t)i);
        return 0;
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
        if (parse_i64(v, &i, u) < 0)
            return -EINVAL;
        buf_put_u32le(b, (uint32_t)i);
        return 0;
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_YEAR:
        if (parse_i64(v, &i, u) < 0)
            return -EINVAL;
        buf_put_u16le(b, (uint16_t)i);
        return 0;
    case MYSQL_TYPE_TINY:
        if (parse_i64(v, &i, u) < 0)
            return -EINVAL;
        buf_put_u8(b, (uint8_t)i);
        return 0;
    case MYSQL_TYPE_DOUBLE: {
        char tmp[64];
        if (v->len >= sizeof(tmp))
            return -EINVAL;
        memcpy(tmp, v->s, v->len);
        tmp[v->len] = 0;
        double d = strtod(tmp, NULL);
        uint64_t bits;
        memcpy(&bits, &d, 8);
        buf_put_u64le(b, bits);
        return 0;
    }
    case MYSQL_TYPE_DATE:
        return put_binary_datetime(b, v, true);
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        return put_binary_datetime(b, v, false);
    case MYSQL_TYPE_TIME:
        return put_binary_time(b, v);
    default:
        mysql_put_lenenc_str(b, v->s, v->len);
        return 0;
    }
}

int mysql_build_binary_row(struct buf *b, const struct mysql_column *cols,
                           const struct mysql_value *v, size_t n)
{
    size_t bitmap_len = (n + 7 + 2) / 8;
    buf_put_u8(b, 0x00);
    size_t bitmap_at = b->len;
    buf_put_zeros(b, bitmap_len);
    for (size_t i = 0; i < n; i++) {
        if (v[i].null) {
            if (!b->oom)
                b->data[bitmap_at + (i + 2) / 8] |= (uint8_t)(1u << ((i + 2) % 8));
            continue;
        }
        if (put_binary_value(b, &cols[i], &v[i]) < 0)
            return -EINVAL;
    }
    return 0;
}

void mysql_build_prepare_ok(struct buf *b, uint32_t stmt_id, uint16_t columns, uint16_t params)
{
    buf_put_u8(b, 0x00);
    buf_put_u32le(b, stmt_id);
    buf_put_u16le(b, columns);
    buf_put_u16le(b, params);
    buf_put_u8(b, 0x00);
    buf_put_u16le(b, 0);
}

static int param_set(struct mysql_param *out, const char *fmtbuf, bool is_string)
{
    out->text = strndup(fmtbuf, strlen(fmtbuf));
    out->len = strlen(fmtbuf);
    out->is_string = is_string;
    return out->text ? 0 : -ENOMEM;
}

static int decode_temporal(struct mysql_rd *r, uint16_t type, struct mysql_param *out)
{
    char tmp[64];
    uint8_t n = mysql_rd_u8(r);
    if (type == MYSQL_TYPE_TIME) {
        uint8_t neg = 0, h = 0, mi = 0, s = 0;
        uint32_t days = 0, us = 0;
        if (n != 0 && n != 8 && n != 12)
            return -EINVAL;
        if (n >= 8) {
            neg = mysql_rd_u8(r);
            days = mysql_rd_u32(r);
            h = mysql_rd_u8(r);
            mi = mysql_rd_u8(r);
            s = mysql_rd_u8(r);
        }
        if (n == 12)
            us = mysql_rd_u32(r);
        snprintf(tmp, sizeof(tmp), "%s%02" PRIu32 ":%02u:%02u.%06" PRIu32, neg ? "-" : "",
                 days * 24 + h, mi, s, us);
    } else {
        uint16_t y = 0;
        uint8_t mo = 0, d = 0, h = 0, mi = 0, s = 0;
        uint32_t us = 0;
        if (n != 0 && n != 4 && n != 7 && n != 11)
            return -EINVAL;
        if (n >= 4) {
            y = mysql_rd_u16(r);
            mo = mysql_rd_u8(r);
            d = mysql_rd_u8(r);
        }
        if (n >= 7) {
            h = mysql_rd_u8(r);
            mi = mysql_rd_u8(r);
            s = mysql_rd_u8(r);
        }
        if (n == 11)
            us = mysql_rd_u32(r);
        snprintf(tmp, sizeof(tmp), "%04u-%02u-%02u %02u:%02u:%02u.%06" PRIu32, y, mo, d, h, mi, s,
                 us);
    }
    return r->err ? -EINVAL : param_set(out, tmp, true);
}

static int decode_param(struct mysql_rd *r, uint16_t type, struct mysql_param *out)
{
    char tmp[64];
    bool u = type & 0x8000;
    uint8_t t = (uint8_t)type;
    out->type = type;
    switch (t) {
    case MYSQL_TYPE_TINY: {
        uint8_t v = mysql_rd_u8(r);
        snprintf(tmp, sizeof(tmp), u ? "%u" : "%d", u ? (int)v : (int)(int8_t)v);
        break;
    }
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_YEAR: {
        uint16_t v = mysql_rd_u16(r);
        snprintf(tmp, sizeof(tmp), "%d", u ? (int)v : (int)(int16_t)v);
        break;
    }
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24: {
        uint32_t v = mysql_rd_u32(r);
        if (u)
            snprintf(tmp, sizeof(tmp), "%" PRIu32, v);
        else
            snprintf(tmp, sizeof(tmp), "%" PRId32, (int32_t)v);
        break;
    }
    case MYSQL_TYPE_LONGLONG: {
        uint64_t v = mysql_rd_u64(r);
        if (u)
            snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
        else
            snprintf(tmp, sizeof(tmp), "%" PRId64, (int64_t)v);
        break;
    }
    case MYSQL_TYPE_FLOAT: {
        uint32_t bits = mysql_rd_u32(r);
        float f;
        memcpy(&f, &bits, 4);
        snprintf(tmp, sizeof(tmp), "%.9g", (double)f);
        break;
    }
    case MYSQL_TYPE_DOUBLE: {
        uint64_t bits = mysql_rd_u64(r);
        double d;
        memcpy(&d, &bits, 8);
        snprintf(tmp, sizeof(tmp), "%.17g", d);
        break;
    }
    case MYSQL_TYPE_NULL:
        out->null = true;
        return 0;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIME:
        return decode_temporal(r, t, out);
    default: {
        size_t len;
        const uint8_t *s = mysql_rd_lenenc_str(r, &len);
        if (r->err)
            return -EINVAL;
        out->text = strndup((const char *)s, len);
        out->len = len;
        out->is_string = true;
        return out->text ? 0 : -ENOMEM;
    }
    }
    return r->err ? -EINVAL : param_set(out, tmp, false);
}

int mysql_parse_execute_params(const uint8_t *p, size_t len, uint16_t nparams, uint16_t *types,
                               const struct buf *long_data, struct mysql_param *out)
{
    struct mysql_rd r;
    mysql_rd_init(&r, p, len);
    if (nparams == 0)
        return 0;
    memset(out, 0, sizeof(*out) * nparams);
    const uint8_t *nulls = mysql_rd_bytes(&r, (nparams + 7u) / 8u);
    uint8_t bound = mysql_rd_u8(&r);
    if (r.err)
        return -EINVAL;
    if (bound) {
        for (uint16_t i = 0; i < nparams; i++)
            types[i] = mysql_rd_u16(&r);
    }
    if (r.err)
        return -EINVAL;
    for (uint16_t i = 0; i < nparams; i++) {
        int rc;
        if (nulls[i / 8] & (1u << (i % 8))) {
            out[i].null = true;
            continue;
        }
        if (long_data && long_data[i].len > 0) {
            out[i].text = strndup((const char *)long_data[i].data, long_data[i].len);
            out[i].len = long_data[i].len;
            out[i].is_string = true;
            rc = out[i].text ? 0 : -ENOMEM;
        } else {
            rc = decode_param(&r, types[i], &out[i]);
        }
        if (rc < 0) {
            mysql_params_free(out, nparams);
            return rc;
        }
    }
    return 0;
}

void mysql_params_free(struct mysql_param *params, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        free(params[i].text);
        params[i].text = NULL;
    }
}
