/*
 * pii.c: PII redaction (emails, public IP addresses, phone numbers) with
 * PCRE2 (JIT, UTF, UCP), and CLD2 language identification behind
 * filter_langid().
 *
 * Candidates are found by regex and then validated in C: an IPv4 candidate
 * must have four octets <= 255 and an IPv6 candidate must parse with
 * inet_pton; both must be public (not private, loopback, link-local,
 * documentation, CGNAT, multicast or reserved; see ip_public_v4/v6), or they
 * are left alone. A phone candidate needs 10 to 15 digits.
 *
 * The compiled patterns are shared read-only; match data is per thread.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter/filter.h"
#include "filter/cld2_shim.h"

#include <arpa/inet.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- langid */

int filter_langid(const char *text, size_t n, filter_lang *out)
{
    int pct = 0, rel = 0;
    char code[16];
    int rc = cld2_shim_detect(text, n, code, sizeof code, &pct, &rel);
    /* ISO 639-1 where CLD2 uses older or regional codes. */
    static const char *const MAP[][2] = {{"iw", "he"}, {"jw", "jv"}, {"zh-Hant", "zh"}, {"in", "id"},
                                         {"mo", "ro"}, {"sr-ME", "sr"}, {"xxx", "un"}};
    for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
        if (!strcmp(code, MAP[i][0])) {
            strcpy(code, MAP[i][1]);
            break;
        }
    if (!strcmp(code, "un")) pct = 0;
    memcpy(out->code, code, sizeof out->code);
    out->score = pct / 100.0;
    out->reliable = rel;
    out->script[0] = 0;
    return rc;
}

int filter_lang_unspaced(const char *code)
{
    static const char *const L[] = {"zh", "ja", "th", "lo", "km", "my", "bo"};
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++)
        if (!strcmp(code, L[i])) return 1;
    return 0;
}

/* ----------------------------------------------------------------- IPs */

static int ip_public_v4(const unsigned char a[4])
{
    uint32_t x = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];
    static const struct { uint32_t net; int bits; } PRIV[] = {
        {0x00000000, 8},  {0x0A000000, 8},  {0x64400000, 10}, {0x7F000000, 8},  {0xA9FE0000, 16},
        {0xAC100000, 12}, {0xC0000000, 24}, {0xC0000200, 24}, {0xC0A80000, 16}, {0xC6120000, 15},
        {0xC6336400, 24}, {0xCB007100, 24}, {0xE0000000, 4},  {0xF0000000, 4},
    };
    for (size_t i = 0; i < sizeof PRIV / sizeof PRIV[0]; i++) {
        uint32_t mask = PRIV[i].bits ? ~0u << (32 - PRIV[i].bits) : 0;
        if ((x & mask) == PRIV[i].net) return 0;
    }
    return 1;
}

static int ip_public_v6(const unsigned char a[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(a, mapped, 12)) return ip_public_v4(a + 12);
    /* Global unicast is 2000::/3, less documentation 2001:db8::/32. */
    if ((a[0] & 0xE0) != 0x20) return 0;
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return 0;
    return 1;
}

int filter_ip_is_public(const char *s, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    unsigned char a[16];
    if (memchr(buf, ':', n)) {
        if (inet_pton(AF_INET6, buf, a) != 1) return 0;
        return ip_public_v6(a);
    }
    /* inet_pton accepts only dotted quads with octets <= 255 and no leading zeros. */
    if (inet_pton(AF_INET, buf, a) != 1) return 0;
    return ip_public_v4(a);
}

/* ----------------------------------------------------------------- PII */

enum { PII_EMAIL, PII_IP4, PII_IP6, PII_PHONE, PII_N };

static const char *const PII_PATTERNS[PII_N] = {
    /* local@domain.tld */
    "(?<![\\w.+-])[\\w.%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}(?![\\w-])",
    /* dotted quad, not part of a longer dotted number */
    "(?<![\\d.])(?:\\d{1,3}\\.){3}\\d{1,3}(?!\\.?\\d)",
    /* IPv6 candidates (validated with inet_pton) */
    "(?<![0-9A-Fa-f:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\\d{1,3}\\.){3}\\d{1,3})?(?![0-9A-Fa-f:])",
    /* NANP (+1 (555) 555-5555) or international (+44 20 7946 0958) */
    ("(?<![\\w+])(?:(?:\\+?1[ .-]?)?\\(?[2-9]\\d{2}\\)?[ .-]?\\d{3}[ .-]\\d{4}"
     "|\\+[1-9]\\d{0,2}(?:[ .-]?\\(?\\d{1,4}\\)?){2,5})(?![\\w])"),
};

struct filter_pii {
    pcre2_code *re[PII_N];
    int on[PII_N];
    char *ph[3];
};

struct filter_pii_md {
    pcre2_match_data *md;
};

filter_pii *filter_pii_new(int emails, int ips, int phones, const char *email_ph, const char *ip_ph,
                           const char *phone_ph, cd_err *e)
{
    filter_pii *p = xcalloc(1, sizeof *p);
    p->on[PII_EMAIL] = emails;
    p->on[PII_IP4] = p->on[PII_IP6] = ips;
    p->on[PII_PHONE] = phones;
    for (int i = 0; i < PII_N; i++) {
        int ec;
        PCRE2_SIZE off;
        p->re[i] = pcre2_compile((PCRE2_SPTR)PII_PATTERNS[i], PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
        if (!p->re[i]) {
            filter_pii_free(p);
            return cd_fail(e, CD_EINTERNAL, "pii: pattern %d does not compile", i), NULL;
        }
        pcre2_jit_compile(p->re[i], PCRE2_JIT_COMPLETE);
    }
    p->ph[0] = xstrdup(email_ph ? email_ph : "|||EMAIL_ADDRESS|||");
    p->ph[1] = xstrdup(ip_ph ? ip_ph : "|||IP_ADDRESS|||");
    p->ph[2] = xstrdup(phone_ph ? phone_ph : "|||PHONE_NUMBER|||");
    return p;
}

void filter_pii_free(filter_pii *p)
{
    if (!p) return;
    for (int i = 0; i < PII_N; i++)
        if (p->re[i]) pcre2_code_free(p->re[i]);
    for (int i = 0; i < 3; i++) free(p->ph[i]);
    free(p);
}

filter_pii_md *filter_pii_md_new(const filter_pii *p)
{
    filter_pii_md *m = xcalloc(1, sizeof *m);
    m->md = pcre2_match_data_create(4, NULL);
    return m;
}

void filter_pii_md_free(filter_pii_md *m)
{
    if (!m) return;
    pcre2_match_data_free(m->md);
    free(m);
}

static int phone_ok(const char *s, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += s[i] >= '0' && s[i] <= '9';
    return d >= 10 && d <= 15;
}

/* One pass of one pattern over in -> out; returns replacements. */
static uint64_t redact_one(const filter_pii *p, filter_pii_md *m, int kind, const char *in, size_t n, sbuf *out)
{
    uint64_t count = 0;
    size_t pos = 0, copied = 0;
    sbuf_reset(out);
    while (pos <= n) {
        int rc = pcre2_match(p->re[kind], (PCRE2_SPTR)in, n, pos, 0, m->md, NULL);
        if (rc < 0) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        size_t a = ov[0], b = ov[1];
        if (b <= a) {
            pos = a + 1;
            continue;
        }
        int ok = 1;
        if (kind == PII_IP4 || kind == PII_IP6) ok = filter_ip_is_public(in + a, b - a);
        else if (kind == PII_PHONE) ok = phone_ok(in + a, b - a);
        if (ok) {
            sbuf_append(out, in + copied, a - copied);
            const char *ph = kind == PII_EMAIL ? p->ph[0] : kind == PII_PHONE ? p->ph[2] : p->ph[1];
            sbuf_puts(out, ph);
            copied = b;
            count++;
        }
        pos = b;
    }
    sbuf_append(out, in + copied, n - copied);
    return count;
}

uint64_t filter_pii_redact(const filter_pii *p, filter_pii_md *m, const char *text, size_t n, sbuf *out,
                           filter_pii_counts *counts)
{
    memset(counts, 0, sizeof *counts);
    sbuf a = SBUF_INIT, b = SBUF_INIT;
    sbuf_reset(out);
    sbuf_append(out, text, n);
    /* Cheap pre-checks skip whole passes on most documents. */
    int has_at = memchr(text, '@', n) != NULL, has_colon = memchr(text, ':', n) != NULL;
    int has_digit = 0;
    for (size_t i = 0; i < n && !has_digit; i++) has_digit = text[i] >= '0' && text[i] <= '9';
    for (int k = 0; k < PII_N; k++) {
        if (!p->on[k]) continue;
        if (k == PII_EMAIL && !has_at) continue;
        if ((k == PII_IP4 || k == PII_PHONE) && !has_digit) continue;
        if (k == PII_IP6 && !has_colon) continue;
        uint64_t c = redact_one(p, m, k, out->data, out->len, &a);
        if (!c) continue;
        if (k == PII_EMAIL) counts->email += c;
        else if (k == PII_PHONE) counts->phone += c;
        else counts->ip += c;
        sbuf tmp = *out;
        *out = a;
        a = tmp;
    }
    sbuf_free(&a);
    sbuf_free(&b);
    return counts->email + counts->ip + counts->phone;
}
