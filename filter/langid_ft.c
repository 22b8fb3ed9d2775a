/*
 * langid_ft.c: language identification with a user-supplied fastText model
 * (lid.176 or GlotLID) behind filter_langid_ft(), and the mapping of their
 * labels to ISO 639-1 codes (filter_lang_from_label()).
 *
 * Labels: lid.176 uses mostly ISO 639-1 already ("__label__en"; its other
 * codes are 639-3 or Wikipedia codes such as "als" = Alemannic, kept as
 * they are, with CLD2's old codes iw/in/jw/mo mapped as for CLD2). GlotLID
 * uses "__label__eng_Latn" (ISO 639-3 + ISO 15924 script): the code is
 * mapped to 639-1 through the table below for the common languages
 * (including the individual languages fastText models label instead of
 * their macrolanguage: cmn -> zh, arb -> ar, pes -> fa, ...); other codes
 * stay 639-3. The script goes to filter_lang.script.
 *
 * Invariants: the model is read-only and shared; the table is sorted by
 * 639-3 code (checked by the unit test) so it can be searched by bsearch.
 */
#include "filter/filter.h"
#include "filter/fasttext_shim.h"

#include <stdlib.h>
#include <string.h>

/* ISO 639-3 (and the individual languages GlotLID uses) -> ISO 639-1. */
static const char *const ISO3[][2] = {
    {"abk", "ab"}, {"afr", "af"}, {"aka", "ak"}, {"als", "sq"}, {"amh", "am"}, {"ara", "ar"}, {"arb", "ar"}, {"arg", "an"},
    {"asm", "as"}, {"ava", "av"}, {"aym", "ay"}, {"ayr", "ay"}, {"azb", "az"}, {"aze", "az"}, {"azj", "az"},
    {"bak", "ba"}, {"bel", "be"}, {"ben", "bn"}, {"bis", "bi"}, {"bod", "bo"}, {"bos", "bs"}, {"bre", "br"},
    {"bul", "bg"}, {"cat", "ca"}, {"ces", "cs"}, {"che", "ce"}, {"chv", "cv"}, {"cmn", "zh"}, {"cor", "kw"},
    {"cos", "co"}, {"cym", "cy"}, {"dan", "da"}, {"deu", "de"}, {"div", "dv"}, {"ekk", "et"}, {"ell", "el"},
    {"eng", "en"}, {"epo", "eo"}, {"est", "et"}, {"eus", "eu"}, {"ewe", "ee"}, {"fao", "fo"}, {"fas", "fa"},
    {"fij", "fj"}, {"fin", "fi"}, {"fra", "fr"}, {"fry", "fy"}, {"ful", "ff"}, {"gaz", "om"}, {"gla", "gd"},
    {"gle", "ga"}, {"glg", "gl"}, {"glv", "gv"}, {"grn", "gn"}, {"gug", "gn"}, {"guj", "gu"}, {"hat", "ht"},
    {"hau", "ha"}, {"hbs", "sh"}, {"heb", "he"}, {"hin", "hi"}, {"hrv", "hr"}, {"hun", "hu"}, {"hye", "hy"},
    {"ibo", "ig"}, {"ido", "io"}, {"iku", "iu"}, {"ile", "ie"}, {"ina", "ia"}, {"ind", "id"}, {"isl", "is"},
    {"ita", "it"}, {"jav", "jv"}, {"jpn", "ja"}, {"kal", "kl"}, {"kan", "kn"}, {"kas", "ks"}, {"kat", "ka"},
    {"kaz", "kk"}, {"khk", "mn"}, {"khm", "km"}, {"kin", "rw"}, {"kir", "ky"}, {"kmr", "ku"}, {"kom", "kv"},
    {"kor", "ko"}, {"kur", "ku"}, {"lao", "lo"}, {"lat", "la"}, {"lav", "lv"}, {"lim", "li"}, {"lin", "ln"},
    {"lit", "lt"}, {"ltz", "lb"}, {"lug", "lg"}, {"lvs", "lv"}, {"mal", "ml"}, {"mar", "mr"}, {"mkd", "mk"},
    {"mlg", "mg"}, {"mlt", "mt"}, {"mon", "mn"}, {"mri", "mi"}, {"msa", "ms"}, {"mya", "my"}, {"nav", "nv"},
    {"nep", "ne"}, {"nld", "nl"}, {"nno", "nn"}, {"nob", "nb"}, {"nor", "no"}, {"npi", "ne"}, {"nya", "ny"},
    {"oci", "oc"}, {"ori", "or"}, {"orm", "om"}, {"ory", "or"}, {"oss", "os"}, {"pan", "pa"}, {"pbt", "ps"},
    {"pes", "fa"}, {"plt", "mg"}, {"pol", "pl"}, {"por", "pt"}, {"prs", "fa"}, {"pus", "ps"}, {"que", "qu"},
    {"quy", "qu"}, {"roh", "rm"}, {"ron", "ro"}, {"rus", "ru"}, {"san", "sa"}, {"sin", "si"}, {"slk", "sk"},
    {"slv", "sl"}, {"sme", "se"}, {"smo", "sm"}, {"sna", "sn"}, {"snd", "sd"}, {"som", "so"}, {"sot", "st"},
    {"spa", "es"}, {"sqi", "sq"}, {"srd", "sc"}, {"srp", "sr"}, {"ssw", "ss"}, {"sun", "su"}, {"swa", "sw"},
    {"swe", "sv"}, {"swh", "sw"}, {"tam", "ta"}, {"tat", "tt"}, {"tel", "te"}, {"tgk", "tg"}, {"tgl", "tl"},
    {"tha", "th"}, {"tir", "ti"}, {"ton", "to"}, {"tsn", "tn"}, {"tso", "ts"}, {"tuk", "tk"}, {"tur", "tr"},
    {"uig", "ug"}, {"ukr", "uk"}, {"urd", "ur"}, {"uzb", "uz"}, {"uzn", "uz"}, {"ven", "ve"}, {"vie", "vi"},
    {"vol", "vo"}, {"wln", "wa"}, {"wol", "wo"}, {"xho", "xh"}, {"ydd", "yi"}, {"yid", "yi"}, {"yor", "yo"},
    {"zho", "zh"}, {"zsm", "ms"}, {"zul", "zu"},
};

size_t filter_iso3_table(const char *const (**table)[2])
{
    *table = ISO3;
    return sizeof ISO3 / sizeof ISO3[0];
}

static int cmp3(const void *k, const void *e) { return strcmp(k, (*(const char *const(*)[2])e)[0]); }

void filter_lang_from_label(const char *label, double prob, filter_lang *out)
{
    memset(out, 0, sizeof *out);
    out->score = prob;
    out->reliable = 1;
    size_t n = strlen(label);
    const char *us = strchr(label, '_');
    char code[sizeof out->code];
    size_t cn = us ? (size_t)(us - label) : n;
    if (cn >= sizeof code) cn = sizeof code - 1;
    memcpy(code, label, cn);
    code[cn] = 0;
    if (us) { /* GlotLID: 639-3 code, '_', script */
        snprintf(out->script, sizeof out->script, "%s", us + 1);
        const char *const(*hit)[2] = bsearch(code, ISO3, sizeof ISO3 / sizeof ISO3[0], sizeof ISO3[0], cmp3);
        if (hit) snprintf(code, sizeof code, "%s", (*hit)[1]);
    } else { /* lid.176: already 639-1 where one exists; CLD2-era aliases */
        static const char *const MAP[][2] = {{"iw", "he"}, {"jw", "jv"}, {"in", "id"}, {"mo", "ro"}};
        for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
            if (!strcmp(code, MAP[i][0])) snprintf(code, sizeof code, "%s", MAP[i][1]);
    }
    if (!code[0]) snprintf(code, sizeof code, "un");
    memcpy(out->code, code, sizeof out->code);
}

int filter_langid_ft(const struct ft_shim *m, const char *text, size_t n, filter_lang *out)
{
    char label[64];
    double prob;
    if (ft_shim_top(m, text, n, label, sizeof label, &prob) != 0) {
        filter_lang_from_label("un", 0, out);
        return 0;
    }
    filter_lang_from_label(label, prob, out);
    return 0;
}
