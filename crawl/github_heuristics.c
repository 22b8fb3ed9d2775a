/*
 * github_heuristics.c: content rules for extensions that several languages
 * share, in the manner of GitHub Linguist's heuristics.yml (our own rules
 * and regular expressions, written from its documented behaviour: the first
 * rule whose pattern matches decides, the last one is the default):
 *
 *   .h    Objective-C (@interface/@implementation/@protocol/@end/@property,
 *         #import "x.h"), C++ (C++ standard headers, templates, namespaces,
 *         classes, access specifiers, std::), else C;
 *   .m    Objective-C (same markers), MATLAB (% comments, function ... =,
 *         end-terminated scripts), Mercury (:- module), else Objective-C;
 *   .pl   Prolog (":-" clauses), Perl (use strict/warnings/v5, my $x,
 *         sub name {), Raku (use v6, unit module), else Perl;
 *   .ts   XML (Qt Linguist's <TS> translations), else TypeScript;
 *   .pro  QMake (SOURCES/HEADERS/TARGET/CONFIG/QT +=), IDL (pro name,
 *         end), else Prolog;
 *   .v    Coq (Require/Theorem/Lemma/Proof./Qed.), else Verilog;
 *   .fs   GLSL (#version, gl_FragColor, uniform/varying), F# otherwise;
 *   .cl   Common Lisp ((defun / (defmacro / (in-package), else OpenCL;
 *   .d    Makefile dependency lists ("x.o: a.c b.h \"), else D.
 *
 * Only the first 64 KiB are read. Patterns are PCRE2 (multiline), compiled
 * once (pthread_once) and matched with per-call match data: thread-safe.
 * A pattern that fails to compile is skipped (never fatal).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "crawl/github.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct rule {
    const char *lang;      /* language when pat matches (NULL pat: default) */
    const char *pat;
} rule;

typedef struct heur {
    const char *ext;
    rule rules[5];
} heur;

#define OBJC "^\\s*(?:@(?:interface|class|protocol|property|end|synchronized|selector|implementation)\\b|#import\\s+[\"<].+\\.h[\">])"

static const heur HEURISTICS[] = {
    {"h",
     {{"Objective-C", OBJC},
      {"C++",
       "^\\s*#\\s*include\\s*<(?:cstdint|cstdio|cstdlib|cstring|string|vector|map|set|list|array|bitset|deque|queue|"
       "stack|forward_list|unordered_map|unordered_set|memory|functional|algorithm|utility|tuple|optional|variant|"
       "thread|mutex|atomic|chrono|iostream|istream|ostream|sstream|fstream)>|^\\s*template\\s*<|^\\s*(?:class|struct)"
       "\\s+\\w+\\s*(?::\\s*(?:public|private|protected)\\b|final\\b)|^\\s*namespace\\s+[\\w:]+\\s*\\{|^\\s*using\\s+"
       "namespace\\b|^\\s*(?:public|private|protected)\\s*:|\\bstd::\\w+|^\\s*(?:constexpr|virtual)\\b|\\boperator\\s*"
       "(?:==|\\(\\)|\\[\\]|<<)"},
      {"C", NULL}}},
    {"m",
     {{"Objective-C", OBJC},
      {"Mercury", "^\\s*:-\\s*module\\s+\\w+\\s*\\.\\s*$"},
      {"MATLAB",
       "^\\s*%|^\\s*function\\s+(?:\\[[^\\]]*\\]|\\w+)\\s*=\\s*\\w+|^\\s*function\\s+\\w+\\s*\\(|^\\s*end\\s*$|"
       "^\\s*(?:disp|fprintf|plot|figure|zeros|ones)\\s*\\("},
      {"Objective-C", NULL}}},
    {"pl",
     {{"Prolog", "^[^#\\n]*:-|^[a-z]\\w*\\([^)]*\\)\\s*\\.\\s*$"},
      {"Raku", "^\\s*(?:use\\s+v6\\b|unit\\s+(?:module|class)\\b)"},
      {"Perl", NULL}}},
    {"ts", {{"XML", "<TS\\b|<!DOCTYPE\\s+TS\\b"}, {"TypeScript", NULL}}},
    {"pro",
     {{"QMake", "^\\s*(?:SOURCES|HEADERS|TARGET|TEMPLATE|CONFIG|QT|FORMS|INCLUDEPATH)\\s*[+\\-]?="},
      {"IDL", "^\\s*(?:pro|function)\\s+\\w+\\s*,|^\\s*end\\s*$"},
      {"Prolog", NULL}}},
    {"v",
     {{"Coq", "^\\s*(?:Require\\s+(?:Import|Export)|Theorem|Lemma|Definition|Inductive|Fixpoint)\\b|^\\s*(?:Proof|Qed)\\."},
      {"Verilog", NULL}}},
    {"fs",
     {{"GLSL", "^\\s*#version\\s+\\d+|\\bgl_Frag(?:Color|Coord|Data)\\b|^\\s*(?:uniform|varying|attribute)\\s+\\w+"},
      {"F#", NULL}}},
    {"cl", {{"Common Lisp", "^\\s*\\((?:defun|defmacro|defpackage|in-package|defvar|defparameter)\\b"}, {"OpenCL", NULL}}},
    {"d", {{"Makefile", "^[\\w./-]+\\.o\\s*:\\s"}, {"D", NULL}}},
};
#define NHEUR (sizeof HEURISTICS / sizeof *HEURISTICS)

static pcre2_code *g_code[NHEUR][5];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void heur_free(void)
{
    for (size_t i = 0; i < NHEUR; i++)
        for (int k = 0; k < 5; k++) pcre2_code_free(g_code[i][k]);
}

static void heur_build(void)
{
    for (size_t i = 0; i < NHEUR; i++)
        for (int k = 0; k < 5 && HEURISTICS[i].rules[k].lang; k++) {
            const char *p = HEURISTICS[i].rules[k].pat;
            if (!p) continue;
            int err;
            PCRE2_SIZE off;
            g_code[i][k] = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                         &err, &off, NULL);
            if (g_code[i][k]) pcre2_jit_compile(g_code[i][k], PCRE2_JIT_COMPLETE);
        }
    atexit(heur_free);
}

int gh_is_ambiguous_ext(const char *ext)
{
    for (size_t i = 0; i < NHEUR; i++)
        if (!strcasecmp(ext, HEURISTICS[i].ext)) return 1;
    return 0;
}

const char *gh_disambiguate(const char *ext, const char *text, size_t n)
{
    size_t h = NHEUR;
    for (size_t i = 0; i < NHEUR; i++)
        if (!strcasecmp(ext, HEURISTICS[i].ext)) h = i;
    if (h == NHEUR) return NULL;
    pthread_once(&g_once, heur_build);
    if (n > 65536) n = 65536;
    for (int k = 0; k < 5 && HEURISTICS[h].rules[k].lang; k++) {
        const rule *r = &HEURISTICS[h].rules[k];
        if (!r->pat) return r->lang;
        pcre2_code *c = g_code[h][k];
        if (!c || !text) continue;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(c, NULL);
        int rc = pcre2_match(c, (PCRE2_SPTR)text, n, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        if (rc >= 0) return r->lang;
    }
    return NULL;
}
