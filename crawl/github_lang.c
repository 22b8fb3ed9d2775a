/*
 * github_lang.c: language detection for repository files, in the manner of
 * GitHub Linguist (its languages.yml gives the names, extensions, file
 * names and interpreters; the table below is our own selection of the
 * common ones). Order of evidence: modeline, exact file name, shebang
 * interpreter, extension. Extensions that several languages share (.h, .m,
 * .pl, .ts, ...) go through content heuristics (github_heuristics.c)
 * first; without text they take the most common language (".h" is C, ".m"
 * Objective-C). Thread-safe: read-only tables.
 */
#include "crawl/github.h"

#include <string.h>
#include <strings.h>

typedef struct { const char *key, *lang; } pair;

static const pair EXTENSIONS[] = {
    {"c", "C"}, {"h", "C"}, {"cc", "C++"}, {"cpp", "C++"}, {"cxx", "C++"}, {"hpp", "C++"}, {"hh", "C++"},
    {"hxx", "C++"}, {"ino", "C++"}, {"cs", "C#"}, {"java", "Java"}, {"kt", "Kotlin"}, {"kts", "Kotlin"},
    {"scala", "Scala"}, {"groovy", "Groovy"}, {"gradle", "Groovy"}, {"go", "Go"}, {"rs", "Rust"},
    {"py", "Python"}, {"pyi", "Python"}, {"pyw", "Python"}, {"ipynb", "Jupyter Notebook"}, {"rb", "Ruby"},
    {"rake", "Ruby"}, {"gemspec", "Ruby"}, {"php", "PHP"}, {"pl", "Perl"}, {"pm", "Perl"}, {"t", "Perl"},
    {"js", "JavaScript"}, {"mjs", "JavaScript"}, {"cjs", "JavaScript"}, {"jsx", "JavaScript"},
    {"ts", "TypeScript"}, {"tsx", "TSX"}, {"swift", "Swift"}, {"m", "Objective-C"}, {"mm", "Objective-C++"},
    {"lua", "Lua"}, {"r", "R"}, {"jl", "Julia"}, {"hs", "Haskell"}, {"lhs", "Haskell"}, {"ml", "OCaml"},
    {"mli", "OCaml"}, {"fs", "F#"}, {"fsx", "F#"}, {"ex", "Elixir"}, {"exs", "Elixir"}, {"erl", "Erlang"},
    {"hrl", "Erlang"}, {"clj", "Clojure"}, {"cljs", "Clojure"}, {"lisp", "Common Lisp"}, {"el", "Emacs Lisp"},
    {"scm", "Scheme"}, {"rkt", "Racket"}, {"dart", "Dart"}, {"zig", "Zig"}, {"nim", "Nim"}, {"v", "Verilog"},
    {"sv", "SystemVerilog"}, {"vhd", "VHDL"}, {"vhdl", "VHDL"}, {"f90", "Fortran"}, {"f", "Fortran"},
    {"f95", "Fortran"}, {"for", "Fortran"}, {"pas", "Pascal"}, {"d", "D"}, {"cr", "Crystal"},
    {"sh", "Shell"}, {"bash", "Shell"}, {"zsh", "Shell"}, {"ksh", "Shell"}, {"fish", "fish"},
    {"ps1", "PowerShell"}, {"psm1", "PowerShell"}, {"bat", "Batchfile"}, {"cmd", "Batchfile"},
    {"sql", "SQL"}, {"html", "HTML"}, {"htm", "HTML"}, {"xhtml", "HTML"}, {"css", "CSS"}, {"scss", "SCSS"},
    {"sass", "Sass"}, {"less", "Less"}, {"vue", "Vue"}, {"svelte", "Svelte"}, {"json", "JSON"},
    {"jsonc", "JSON with Comments"}, {"yaml", "YAML"}, {"yml", "YAML"}, {"toml", "TOML"}, {"xml", "XML"},
    {"xsd", "XML"}, {"xsl", "XSLT"}, {"svg", "SVG"}, {"md", "Markdown"}, {"markdown", "Markdown"},
    {"rst", "reStructuredText"}, {"tex", "TeX"}, {"sty", "TeX"}, {"bib", "BibTeX"}, {"txt", "Text"},
    {"csv", "CSV"}, {"tsv", "TSV"}, {"ini", "INI"}, {"cfg", "INI"}, {"proto", "Protocol Buffer"},
    {"thrift", "Thrift"}, {"graphql", "GraphQL"}, {"cmake", "CMake"}, {"mk", "Makefile"},
    {"mak", "Makefile"}, {"dockerfile", "Dockerfile"}, {"tf", "HCL"}, {"hcl", "HCL"}, {"nix", "Nix"},
    {"asm", "Assembly"}, {"s", "Unix Assembly"}, {"cu", "Cuda"}, {"cuh", "Cuda"}, {"cl", "OpenCL"},
    {"glsl", "GLSL"}, {"hlsl", "HLSL"}, {"sol", "Solidity"}, {"elm", "Elm"}, {"purs", "PureScript"},
    {"coffee", "CoffeeScript"}, {"vim", "Vim Script"}, {"awk", "Awk"}, {"tcl", "Tcl"}, {"ada", "Ada"},
    {"adb", "Ada"}, {"ads", "Ada"}, {"cob", "COBOL"}, {"pro", "Prolog"}, {"raku", "Raku"}, {"rakumod", "Raku"}, {"p6", "Raku"}, {"m4", "M4"},
    {"rmd", "RMarkdown"}, {"org", "Org"}, {"adoc", "AsciiDoc"}, {"gd", "GDScript"}, {"vb", "Visual Basic .NET"},
    {NULL, NULL},
};

static const pair FILENAMES[] = {
    {"Makefile", "Makefile"}, {"GNUmakefile", "Makefile"}, {"makefile", "Makefile"},
    {"Dockerfile", "Dockerfile"}, {"CMakeLists.txt", "CMake"}, {"Rakefile", "Ruby"}, {"Gemfile", "Ruby"},
    {"Vagrantfile", "Ruby"}, {"Jenkinsfile", "Groovy"}, {"BUILD", "Starlark"}, {"BUILD.bazel", "Starlark"},
    {"WORKSPACE", "Starlark"}, {".bashrc", "Shell"}, {".zshrc", "Shell"}, {".profile", "Shell"},
    {"meson.build", "Meson"}, {"go.mod", "Go Module"}, {"Cargo.lock", "TOML"}, {"Pipfile", "TOML"},
    {".gitignore", "Ignore List"}, {".editorconfig", "EditorConfig"}, {"nginx.conf", "Nginx"},
    {NULL, NULL},
};

static const pair INTERPRETERS[] = {
    {"python", "Python"}, {"python2", "Python"}, {"python3", "Python"}, {"pypy", "Python"},
    {"sh", "Shell"}, {"bash", "Shell"}, {"dash", "Shell"}, {"zsh", "Shell"}, {"ksh", "Shell"},
    {"fish", "fish"}, {"node", "JavaScript"}, {"nodejs", "JavaScript"}, {"deno", "TypeScript"},
    {"perl", "Perl"}, {"ruby", "Ruby"}, {"php", "PHP"}, {"Rscript", "R"}, {"lua", "Lua"},
    {"tclsh", "Tcl"}, {"awk", "Awk"}, {"gawk", "Awk"}, {"make", "Makefile"}, {"julia", "Julia"},
    {"runhaskell", "Haskell"}, {"escript", "Erlang"}, {"elixir", "Elixir"}, {"pwsh", "PowerShell"},
    {"osascript", "AppleScript"}, {"scala", "Scala"}, {"swift", "Swift"},
    {NULL, NULL},
};

/* Modeline names as vim/emacs spell them, to Linguist names. */
static const pair MODES[] = {
    {"python", "Python"}, {"c", "C"}, {"cpp", "C++"}, {"c++", "C++"}, {"sh", "Shell"}, {"bash", "Shell"},
    {"perl", "Perl"}, {"ruby", "Ruby"}, {"javascript", "JavaScript"}, {"js", "JavaScript"},
    {"typescript", "TypeScript"}, {"lisp", "Common Lisp"}, {"emacs-lisp", "Emacs Lisp"},
    {"makefile", "Makefile"}, {"make", "Makefile"}, {"html", "HTML"}, {"xml", "XML"}, {"java", "Java"},
    {"go", "Go"}, {"rust", "Rust"}, {"lua", "Lua"}, {"php", "PHP"}, {"tcl", "Tcl"}, {"yaml", "YAML"},
    {"json", "JSON"}, {"markdown", "Markdown"}, {"tex", "TeX"}, {"latex", "TeX"}, {"sql", "SQL"},
    {"haskell", "Haskell"}, {"objc", "Objective-C"}, {"cmake", "CMake"}, {"vim", "Vim Script"},
    {NULL, NULL},
};

static const char *lookup(const pair *t, const char *k, size_t n, int ci)
{
    for (int i = 0; t[i].key; i++)
        if (strlen(t[i].key) == n && (ci ? !strncasecmp(t[i].key, k, n) : !strncmp(t[i].key, k, n)))
            return t[i].lang;
    return NULL;
}

static const char *modeline(const char *text, size_t n)
{
    /* vim: first and last 5 lines; we look in the first and last 1 KiB. */
    size_t spans[2][2] = {{0, n < 1024 ? n : 1024}, {n > 1024 ? n - 1024 : 0, n}};
    for (int s = 0; s < 2; s++) {
        const char *p = text + spans[s][0];
        size_t k = spans[s][1] - spans[s][0];
        const char *m = memmem(p, k, "-*-", 3);
        if (m) {
            const char *e = memmem(m + 3, k - (size_t)(m + 3 - p), "-*-", 3);
            if (e) {
                const char *q = m + 3;
                const char *mode = memmem(q, (size_t)(e - q), "mode:", 5);
                if (mode) q = mode + 5;
                while (q < e && *q == ' ') q++;
                const char *w = q;
                while (w < e && *w != ' ' && *w != ';') w++;
                const char *l = lookup(MODES, q, (size_t)(w - q), 1);
                if (l) return l;
            }
        }
        static const char *const KEYS[] = {"ft=", "filetype=", "syntax=", NULL};
        const char *vim = memmem(p, k, "vim:", 4);
        if (!vim) vim = memmem(p, k, "vi:", 3);
        if (vim) {
            size_t rest = k - (size_t)(vim - p);
            for (int i = 0; KEYS[i]; i++) {
                const char *f = memmem(vim, rest < 200 ? rest : 200, KEYS[i], strlen(KEYS[i]));
                if (!f) continue;
                f += strlen(KEYS[i]);
                const char *w = f;
                while (w < p + k && *w != ' ' && *w != ':' && *w != '\n') w++;
                const char *l = lookup(MODES, f, (size_t)(w - f), 1);
                if (l) return l;
            }
        }
    }
    return NULL;
}

const char *gh_language(const char *path, const char *text, size_t n)
{
    const char *l = text ? modeline(text, n) : NULL;
    if (l) return l;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    l = lookup(FILENAMES, base, strlen(base), 0);
    if (l) return l;
    if (text && n > 2 && text[0] == '#' && text[1] == '!') {
        const char *e = memchr(text, '\n', n < 256 ? n : 256);
        size_t ln = e ? (size_t)(e - text) : (n < 256 ? n : 256);
        const char *p = text + 2, *end = text + ln;
        while (p < end && *p == ' ') p++;
        const char *w = p;
        while (w < end && *w != ' ') w++;
        const char *prog = p;
        for (const char *q = p; q < w; q++)
            if (*q == '/') prog = q + 1;
        if ((size_t)(w - prog) == 3 && !memcmp(prog, "env", 3)) {   /* #!/usr/bin/env [-S] prog */
            p = w;
            while (p < end && *p == ' ') p++;
            if (end - p > 2 && p[0] == '-') {
                while (p < end && *p != ' ') p++;
                while (p < end && *p == ' ') p++;
            }
            prog = p;
            w = p;
            while (w < end && *w != ' ') w++;
        }
        /* python3.11 -> python3 -> python */
        size_t k = (size_t)(w - prog);
        while (k && ((prog[k - 1] >= '0' && prog[k - 1] <= '9') || prog[k - 1] == '.')) {
            l = lookup(INTERPRETERS, prog, k, 0);
            if (l) return l;
            k--;
        }
        l = lookup(INTERPRETERS, prog, k, 0);
        if (l) return l;
    }
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        if (text && gh_is_ambiguous_ext(dot + 1)) {
            l = gh_disambiguate(dot + 1, text, n);
            if (l) return l;
        }
        l = lookup(EXTENSIONS, dot + 1, strlen(dot + 1), 1);
        if (l) return l;
    }
    return NULL;
}
