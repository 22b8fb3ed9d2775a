/*
 * small_tokenizer.h: builds a small byte-level BPE tokenizer.json in memory
 * for the unit tests and the fuzz targets (no file, no network).
 *
 * Vocab: the 256 single bytes (id = byte value, written in GPT-2's ByteLevel
 * alphabet as real tokenizer.json files do), then one token per merge in
 * order, then the added tokens <|endoftext|> and <|bos|>. The pre-tokenizer
 * is Llama-3's split regex followed by ByteLevel, the normalizer NFC, and the
 * post-processor a TemplateProcessing that prepends <|bos|>.
 */
#ifndef CORPUSD_TESTS_SMALL_TOKENIZER_H
#define CORPUSD_TESTS_SMALL_TOKENIZER_H

#include "core/json.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* GPT-2 bytes_to_unicode: the code point that shows byte b. */
static unsigned small_tok_byte_cp(unsigned b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)) return b;
    unsigned n = 0;
    for (unsigned x = 0; x < b; x++)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) n++;
    return 256 + n;
}

static void small_tok_bl(sbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) utf8_put(out, small_tok_byte_cp((unsigned char)s[i]));
}

/* merges: pairs of raw strings, NULL-terminated (left, right, left, right, ..., NULL).
 * pair_form: write merges as ["a","b"] instead of "a b". */
static char *small_tokenizer_json(const char *const *merges, int pair_form, const char *normalizer)
{
    sbuf j = SBUF_INIT, k = SBUF_INIT;
    sbuf_puts(&j, "{\"version\":\"1.0\",\"added_tokens\":[");
    size_t nm = 0;
    while (merges && merges[2 * nm]) nm++;
    sbuf_printf(&j, "{\"id\":%zu,\"content\":\"<|endoftext|>\",\"special\":true,\"normalized\":false},", 256 + nm);
    sbuf_printf(&j, "{\"id\":%zu,\"content\":\"<|bos|>\",\"special\":true,\"normalized\":false}],", 257 + nm);
    sbuf_printf(&j, "\"normalizer\":%s,", normalizer ? normalizer : "{\"type\":\"NFC\"}");
    sbuf_puts(&j, "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
                  "\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|"
                  "\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"},\"behavior\":\"Isolated\",\"invert\":false},"
                  "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]},");
    sbuf_puts(&j, "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<|bos|>\","
                  "\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"special_tokens\":{\"<|bos|>\":{\"id\":\"<|bos|>\","
                  "\"ids\":[");
    sbuf_printf(&j, "%zu", 257 + nm);
    sbuf_puts(&j, "],\"tokens\":[\"<|bos|>\"]}}},\"decoder\":{\"type\":\"ByteLevel\"},");
    sbuf_puts(&j, "\"model\":{\"type\":\"BPE\",\"vocab\":{");
    for (unsigned b = 0; b < 256; b++) {
        sbuf_reset(&k);
        char c = (char)b;
        small_tok_bl(&k, &c, 1);
        json_write_string(&j, k.data, k.len);
        sbuf_printf(&j, ":%u,", b);
    }
    for (size_t i = 0; i < nm; i++) {
        sbuf_reset(&k);
        small_tok_bl(&k, merges[2 * i], strlen(merges[2 * i]));
        small_tok_bl(&k, merges[2 * i + 1], strlen(merges[2 * i + 1]));
        json_write_string(&j, k.data, k.len);
        sbuf_printf(&j, ":%zu,", 256 + i);
    }
    j.len--; /* trailing comma */
    sbuf_puts(&j, "},\"merges\":[");
    for (size_t i = 0; i < nm; i++) {
        sbuf_reset(&k);
        if (pair_form) {
            sbuf_putc(&j, '[');
            small_tok_bl(&k, merges[2 * i], strlen(merges[2 * i]));
            json_write_string(&j, k.data, k.len);
            sbuf_putc(&j, ',');
            sbuf_reset(&k);
            small_tok_bl(&k, merges[2 * i + 1], strlen(merges[2 * i + 1]));
            json_write_string(&j, k.data, k.len);
            sbuf_putc(&j, ']');
        } else {
            small_tok_bl(&k, merges[2 * i], strlen(merges[2 * i]));
            sbuf_putc(&k, ' ');
            small_tok_bl(&k, merges[2 * i + 1], strlen(merges[2 * i + 1]));
            json_write_string(&j, k.data, k.len);
        }
        if (i + 1 < nm) sbuf_putc(&j, ',');
    }
    sbuf_puts(&j, "]}}");
    sbuf_free(&k);
    size_t len;
    return sbuf_detach(&j, &len);
}

/* A default merge list: English-ish pieces, enough to exercise the loop. */
static const char *const SMALL_TOK_MERGES[] = {
    "t", "h", "th", "e", " ", "th", "i", "n", "in", "g", "a", "n", "an", "d", "e", "r", "o", "n",
    "l", "l", "h", "e", "he", "ll", "hell", "o", "a", "a", "aa", "aa", "aaaa", "aaaa", "1", "2", "12", "3",
    "\xc3", "\xa9", NULL,
};

#endif
