/*
 * secrets.c: redaction of credentials in source files with PCRE2.
 *
 * Each kind is one pattern; when the pattern has a group named `s`, only that
 * group is replaced (so `api_key = "..."` keeps its key name), otherwise the
 * whole match. The generic assignment pattern only fires when the value's
 * Shannon entropy reaches 3.5 bits per character, so placeholders such as
 * "your-api-key-here-xxxxxxxx" survive. A secret becomes "<REDACTED:kind>".
 *
 * Patterns are compiled per cf_secrets object; one object per thread.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "codefilter/codefilter.h"

#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

typedef struct secret_kind {
    const char *name;
    const char *pattern;
    int entropy_check;
} secret_kind;

static const secret_kind KINDS[] = {
    {"private_key",
     "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", 0},
    {"aws_access_key", "\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\\b", 0},
    {"aws_secret_key",
     "(?i)aws.{0,20}?(?:secret|private).{0,20}?['\"]?\\s*[:=]\\s*['\"]?(?<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", 0},
    {"github_token", "\\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\\b", 0},
    {"slack_token", "\\bxox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\\.slack\\.com/services/[A-Za-z0-9/]{20,}", 0},
    {"google_api_key", "\\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", 0},
    {"stripe_key", "\\b[sr]k_live_[0-9a-zA-Z]{20,}\\b", 0},
    {"generic_secret",
     "(?i)(?:api[_-]?key|apikey|secret[_-]?key|client[_-]?secret|access[_-]?token|auth[_-]?token|password|passwd)"
     "['\"]?\\s*[:=]>?\\s*['\"](?<s>[^'\"\\s]{16,200})['\"]", 1},
};
#define NKINDS (sizeof KINDS / sizeof *KINDS)

struct cf_secrets {
    pcre2_code *re[NKINDS];
    pcre2_match_data *md[NKINDS];
    int group[NKINDS];
    sbuf tmp;
};

size_t cf_secrets_nkinds(void) { return NKINDS; }
const char *cf_secrets_kind(size_t i) { return i < NKINDS ? KINDS[i].name : NULL; }

void cf_secrets_free(cf_secrets *s)
{
    if (!s) return;
    for (size_t i = 0; i < NKINDS; i++) {
        if (s->md[i]) pcre2_match_data_free(s->md[i]);
        if (s->re[i]) pcre2_code_free(s->re[i]);
    }
    sbuf_free(&s->tmp);
    free(s);
}

cf_secrets *cf_secrets_new(cd_err *e)
{
    cf_secrets *s = xcalloc(1, sizeof *s);
    for (size_t i = 0; i < NKINDS; i++) {
        int err;
        PCRE2_SIZE off;
        s->re[i] = pcre2_compile((PCRE2_SPTR)KINDS[i].pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
        if (!s->re[i]) {
            cf_secrets_free(s);
            cd_fail(e, CD_EINTERNAL, "secret pattern %s does not compile at %zu", KINDS[i].name, (size_t)off);
            return NULL;
        }
        pcre2_jit_compile(s->re[i], PCRE2_JIT_COMPLETE);
        s->md[i] = pcre2_match_data_create_from_pattern(s->re[i], NULL);
        int g = pcre2_substring_number_from_name(s->re[i], (PCRE2_SPTR) "s");
        s->group[i] = g > 0 ? g : 0;
    }
    return s;
}

static double entropy(const char *p, size_t n)
{
    unsigned cnt[256] = {0};
    for (size_t i = 0; i < n; i++) cnt[(unsigned char)p[i]]++;
    double h = 0;
    for (int c = 0; c < 256; c++)
        if (cnt[c]) {
            double f = (double)cnt[c] / (double)n;
            h -= f * log2(f);
        }
    return h;
}

int cf_secrets_redact(cf_secrets *s, const char *text, size_t n, sbuf *out, uint64_t *counts)
{
    int total = 0;
    sbuf cur = SBUF_INIT;
    sbuf_append(&cur, text, n);
    for (size_t k = 0; k < NKINDS; k++) {
        sbuf_reset(&s->tmp);
        PCRE2_SIZE off = 0, copied = 0;
        int hits = 0;
        while (off <= cur.len) {
            int rc = pcre2_match(s->re[k], (PCRE2_SPTR)cur.data, cur.len, off, 0, s->md[k], NULL);
            if (rc < 0) break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md[k]);
            int g = s->group[k];
            PCRE2_SIZE a = ov[2 * g], b = ov[2 * g + 1];
            PCRE2_SIZE next = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
            if (a == PCRE2_UNSET || b <= a || a < copied ||
                (KINDS[k].entropy_check && entropy(cur.data + a, b - a) < 3.5)) {
                off = next;
                continue;
            }
            sbuf_append(&s->tmp, cur.data + copied, a - copied);
            sbuf_printf(&s->tmp, "<REDACTED:%s>", KINDS[k].name);
            copied = b;
            hits++;
            off = next;
        }
        if (hits) {
            sbuf_append(&s->tmp, cur.data + copied, cur.len - copied);
            sbuf_reset(&cur);
            sbuf_append(&cur, s->tmp.data, s->tmp.len);
            if (counts) counts[k] += (uint64_t)hits;
            total += hits;
        }
    }
    sbuf_append(out, cur.data ? cur.data : "", cur.len);
    sbuf_free(&cur);
    return total;
}
