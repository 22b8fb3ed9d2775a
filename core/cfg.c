/*
 * cfg.c: libyaml front end and parameter validation. See cfg.h.
 *
 * Anchors and aliases are rejected: configurations are small and explicit,
 * and aliases are how YAML "billion laughs" bombs are built.
 */
#include "core/cfg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_DEPTH 64

static cfg_node *node_new(cfg_kind k, const char *file, int line, int col)
{
    cfg_node *n = xcalloc(1, sizeof *n);
    n->kind = k;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

cfg_node *cfg_new_map(void) { return node_new(CFG_MAP, "<flags>", 0, 0); }
cfg_node *cfg_new_seq(void) { return node_new(CFG_SEQ, "<flags>", 0, 0); }

cfg_node *cfg_new_scalar(const char *value)
{
    cfg_node *n = node_new(CFG_SCALAR, "<flags>", 0, 0);
    n->value = xstrdup(value);
    return n;
}

static void push_item(cfg_node *n, cfg_node *item)
{
    n->items = xrealloc(n->items, (n->len + 1) * sizeof *n->items);
    n->items[n->len++] = item;
}

void cfg_seq_push(cfg_node *seq, cfg_node *item) { push_item(seq, item); }

void cfg_map_put(cfg_node *map, const char *key, cfg_node *value)
{
    for (size_t i = 0; i < map->len; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            cfg_free(map->items[i]);
            map->items[i] = value;
            return;
        }
    }
    map->keys = xrealloc(map->keys, (map->len + 1) * sizeof *map->keys);
    map->keynodes = xrealloc(map->keynodes, (map->len + 1) * sizeof *map->keynodes);
    map->keys[map->len] = xstrdup(key);
    map->keynodes[map->len] = NULL;
    push_item(map, value);
}

cfg_node *cfg_map_get(const cfg_node *map, const char *key)
{
    if (!map || map->kind != CFG_MAP) return NULL;
    for (size_t i = 0; i < map->len; i++)
        if (strcmp(map->keys[i], key) == 0) return map->items[i];
    return NULL;
}

void cfg_free(cfg_node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->len; i++) {
        cfg_free(n->items[i]);
        if (n->keys) free(n->keys[i]);
        if (n->keynodes) cfg_free(n->keynodes[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->keynodes);
    free(n->value);
    free(n->file_owned);
    free(n);
}

const char *cfg_where(const cfg_node *n, char *buf, size_t size)
{
    if (!n) snprintf(buf, size, "<config>");
    else if (n->line) snprintf(buf, size, "%s:%d:%d", n->file, n->line, n->col);
    else snprintf(buf, size, "%s", n->file);
    return buf;
}

int cfg_error(cd_err *e, const cfg_node *n, const char *fmt, ...)
{
    char where[512], msg[CD_ERR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cd_fail(e, CD_ECONFIG, "%s: %s", cfg_where(n, where, sizeof where), msg);
}

/* --------------------------------------------------------------- loading */

typedef struct loader {
    yaml_parser_t parser;
    const char *file;
    cd_err *e;
} loader;

static int yerr(loader *ld, const yaml_mark_t *m, const char *msg)
{
    return cd_fail(ld->e, CD_ECONFIG, "%s:%zu:%zu: %s", ld->file, m->line + 1, m->column + 1, msg);
}

static int next_event(loader *ld, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ld->parser, ev)) {
        const yaml_mark_t *m = &ld->parser.problem_mark;
        char msg[600];
        snprintf(msg, sizeof msg, "YAML syntax error: %s%s%s",
                 ld->parser.problem ? ld->parser.problem : "unknown",
                 ld->parser.context ? " " : "", ld->parser.context ? ld->parser.context : "");
        return yerr(ld, m, msg);
    }
    return 0;
}

/* Parses the node whose first event is *ev (already read). */
static cfg_node *parse_node(loader *ld, yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    if (depth > CFG_MAX_DEPTH) {
        yerr(ld, &ev->start_mark, "configuration nested too deeply");
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        yerr(ld, &ev->start_mark, "YAML aliases are not supported in corpusd configs");
        return NULL;
    case YAML_SCALAR_EVENT: {
        if (ev->data.scalar.anchor) {
            yerr(ld, &ev->start_mark, "YAML anchors are not supported in corpusd configs");
            return NULL;
        }
        const char *v = (const char *)ev->data.scalar.value;
        int quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                     ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
                     ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                     ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
        if (!quoted && (strcmp(v, "") == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0))
            return node_new(CFG_NULL, ld->file, line, col);
        cfg_node *n = node_new(CFG_SCALAR, ld->file, line, col);
        n->value = xstrndup(v, ev->data.scalar.length);
        n->quoted = quoted;
        return n;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        if ((is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor)) {
            yerr(ld, &ev->start_mark, "YAML anchors are not supported in corpusd configs");
            return NULL;
        }
        cfg_node *n = node_new(is_map ? CFG_MAP : CFG_SEQ, ld->file, line, col);
        for (;;) {
            yaml_event_t child;
            if (next_event(ld, &child)) goto fail;
            if (child.type == YAML_SEQUENCE_END_EVENT || child.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&child);
                return n;
            }
            if (is_map) {
                if (child.type != YAML_SCALAR_EVENT) {
                    yerr(ld, &child.start_mark, "mapping keys must be plain scalars");
                    yaml_event_delete(&child);
                    goto fail;
                }
                cfg_node *key = parse_node(ld, &child, depth + 1);
                yaml_event_delete(&child);
                if (!key) goto fail;
                const char *kstr = key->value ? key->value : "";
                for (size_t i = 0; i < n->len; i++) {
                    if (strcmp(n->keys[i], kstr) == 0) {
                        cfg_error(ld->e, key, "duplicate key '%s'", kstr);
                        cfg_free(key);
                        goto fail;
                    }
                }
                yaml_event_t vev;
                if (next_event(ld, &vev)) {
                    cfg_free(key);
                    goto fail;
                }
                cfg_node *val = parse_node(ld, &vev, depth + 1);
                yaml_event_delete(&vev);
                if (!val) {
                    cfg_free(key);
                    goto fail;
                }
                n->keys = xrealloc(n->keys, (n->len + 1) * sizeof *n->keys);
                n->keynodes = xrealloc(n->keynodes, (n->len + 1) * sizeof *n->keynodes);
                n->keys[n->len] = xstrdup(kstr);
                n->keynodes[n->len] = key;
                push_item(n, val);
            } else {
                cfg_node *item = parse_node(ld, &child, depth + 1);
                yaml_event_delete(&child);
                if (!item) goto fail;
                push_item(n, item);
            }
        }
    fail:
        cfg_free(n);
        return NULL;
    }
    default:
        yerr(ld, &ev->start_mark, "unexpected YAML event");
        return NULL;
    }
}

cfg_node *cfg_parse(const char *text, size_t n, const char *name, cd_err *e)
{
    loader ld;
    memset(&ld, 0, sizeof ld);
    ld.file = name;
    ld.e = e;
    if (!yaml_parser_initialize(&ld.parser)) cd_die("yaml_parser_initialize failed");
    yaml_parser_set_input_string(&ld.parser, (const unsigned char *)text, n);
    cfg_node *root = NULL;
    yaml_event_t ev;
    int state = 0; /* 0 before doc, 1 got root */
    for (;;) {
        if (next_event(&ld, &ev)) goto out;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            if (state) {
                yerr(&ld, &ev.start_mark, "only one YAML document per config file");
                yaml_event_delete(&ev);
                cfg_free(root);
                root = NULL;
                goto out;
            }
            yaml_event_delete(&ev);
            continue;
        }
        root = parse_node(&ld, &ev, 0);
        yaml_event_delete(&ev);
        if (!root) goto out;
        state = 1;
    }
    if (!root) root = node_new(CFG_NULL, name, 1, 1);
out:
    yaml_parser_delete(&ld.parser);
    return root;
}

cfg_node *cfg_load(const char *path, cd_err *e)
{
    size_t n;
    char *text = cd_read_file(path, &n, e);
    if (!text) return NULL;
    /* The tree keeps a pointer to the file name: give it a stable copy. */
    char *name = xstrdup(path);
    cfg_node *root = cfg_parse(text, n, name, e);
    free(text);
    if (!root) {
        free(name);
        return NULL;
    }
    root->file_owned = name;   /* every node's file points here */
    return root;
}

/* ----------------------------------------------------------- conversions */

int cfg_to_int(const cfg_node *n, int64_t *out, cd_err *e)
{
    if (!n || n->kind != CFG_SCALAR) return cfg_error(e, n, "expected an integer");
    char *end;
    errno = 0;
    long long v = strtoll(n->value, &end, 0);
    if (errno || end == n->value || *end) return cfg_error(e, n, "expected an integer, got '%s'", n->value);
    *out = v;
    return 0;
}

int cfg_to_double(const cfg_node *n, double *out, cd_err *e)
{
    if (!n || n->kind != CFG_SCALAR) return cfg_error(e, n, "expected a number");
    char *end;
    errno = 0;
    double v = strtod(n->value, &end);
    if (errno || end == n->value || *end || !isfinite(v))
        return cfg_error(e, n, "expected a number, got '%s'", n->value);
    *out = v;
    return 0;
}

int cfg_to_bool(const cfg_node *n, int *out, cd_err *e)
{
    if (n && n->kind == CFG_SCALAR && !n->quoted) {
        const char *v = n->value;
        if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "True")) {
            *out = 1;
            return 0;
        }
        if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "False")) {
            *out = 0;
            return 0;
        }
    }
    return cfg_error(e, n, "expected true or false%s%s%s", n && n->value ? ", got '" : "",
                     n && n->value ? n->value : "", n && n->value ? "'" : "");
}

int cfg_to_size(const cfg_node *n, int64_t *out, cd_err *e)
{
    if (!n || n->kind != CFG_SCALAR) return cfg_error(e, n, "expected a size such as 4G");
    int64_t v = cd_parse_size(n->value);
    if (v < 0) return cfg_error(e, n, "expected a size such as 4G or 512M, got '%s'", n->value);
    *out = v;
    return 0;
}

void cfg_canonical(const cfg_node *n, sbuf *out)
{
    if (!n) {
        sbuf_puts(out, "~");
        return;
    }
    switch (n->kind) {
    case CFG_NULL: sbuf_puts(out, "~"); break;
    case CFG_SCALAR:
        sbuf_printf(out, "%zu:", strlen(n->value));
        sbuf_puts(out, n->value);
        break;
    case CFG_SEQ:
        sbuf_putc(out, '[');
        for (size_t i = 0; i < n->len; i++) {
            cfg_canonical(n->items[i], out);
            sbuf_putc(out, ',');
        }
        sbuf_putc(out, ']');
        break;
    case CFG_MAP: {
        /* Keys sorted, so that reordering keys does not change the hash. */
        size_t *idx = xmalloc(n->len * sizeof *idx + 1);
        for (size_t i = 0; i < n->len; i++) idx[i] = i;
        for (size_t i = 1; i < n->len; i++)
            for (size_t j = i; j > 0 && strcmp(n->keys[idx[j - 1]], n->keys[idx[j]]) > 0; j--) {
                size_t t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        sbuf_putc(out, '{');
        for (size_t i = 0; i < n->len; i++) {
            sbuf_printf(out, "%zu:%s=", strlen(n->keys[idx[i]]), n->keys[idx[i]]);
            cfg_canonical(n->items[idx[i]], out);
            sbuf_putc(out, ',');
        }
        sbuf_putc(out, '}');
        free(idx);
        break;
    }
    }
}

/* ------------------------------------------------------------ parameters */

typedef struct bound {
    const param_spec *spec;
    const cfg_node *node;     /* NULL when defaulted */
    int given;
    int64_t i;
    double d;
    char *s;
    char **list;
    size_t nlist;
} bound;

struct cfg_params {
    char *owner;
    bound *b;
    size_t n;
};

static int convert(bound *b, const cfg_node *n, const char *dflt, const char *what, cd_err *e)
{
    const param_spec *sp = b->spec;
    cfg_node tmp;
    if (!n) {
        if (!dflt) return 0;
        memset(&tmp, 0, sizeof tmp);
        tmp.kind = CFG_SCALAR;
        tmp.value = (char *)dflt;
        tmp.file = "<default>";
        n = &tmp;
    }
    cd_err sub;
    cd_err_clear(&sub);
    int rc = 0;
    switch (sp->type) {
    case PARAM_INT: rc = cfg_to_int(n, &b->i, &sub); b->d = (double)b->i; break;
    case PARAM_SIZE: rc = cfg_to_size(n, &b->i, &sub); b->d = (double)b->i; break;
    case PARAM_DOUBLE: rc = cfg_to_double(n, &b->d, &sub); break;
    case PARAM_BOOL: {
        int v = 0;
        rc = cfg_to_bool(n, &v, &sub);
        b->i = v;
        break;
    }
    case PARAM_STRING:
        if (n->kind != CFG_SCALAR) rc = cfg_error(&sub, n, "expected a string");
        else b->s = xstrdup(n->value);
        break;
    case PARAM_STRLIST:
        if (n->kind == CFG_SCALAR) {
            b->list = xmalloc(sizeof *b->list);
            b->list[0] = xstrdup(n->value);
            b->nlist = 1;
        } else if (n->kind == CFG_SEQ) {
            b->list = xmalloc((n->len + 1) * sizeof *b->list);
            for (size_t i = 0; i < n->len; i++) {
                if (n->items[i]->kind != CFG_SCALAR) {
                    rc = cfg_error(&sub, n->items[i], "expected a list of strings");
                    break;
                }
                b->list[b->nlist++] = xstrdup(n->items[i]->value);
            }
        } else if (n->kind != CFG_NULL) {
            rc = cfg_error(&sub, n, "expected a list of strings");
        }
        break;
    case PARAM_ANY: break;
    }
    if (rc) {
        if (n->file && strcmp(n->file, "<default>") == 0)
            return cd_fail(e, CD_EINTERNAL, "%s: bad built-in default for '%s': %s", what, sp->name, sub.msg);
        /* sub.msg is "where: expected ..."; add the parameter and owner. */
        return cd_fail(e, CD_ECONFIG, "%s (parameter '%s' of %s)", sub.msg, sp->name, what);
    }
    return 0;
}

cfg_params *cfg_params_bind(const param_spec *spec, const cfg_node *node, const char *what, cd_err *e)
{
    if (node && node->kind != CFG_MAP && node->kind != CFG_NULL) {
        cfg_error(e, node, "parameters of %s must be a mapping", what);
        return NULL;
    }
    cfg_params *p = xcalloc(1, sizeof *p);
    p->owner = xstrdup(what);
    size_t n = 0;
    while (spec && spec[n].name) n++;
    p->n = n;
    p->b = xcalloc(n + 1, sizeof *p->b);
    /* Unknown keys first: a misspelled key is the most common mistake. */
    if (node && node->kind == CFG_MAP) {
        for (size_t k = 0; k < node->len; k++) {
            size_t i;
            for (i = 0; i < n; i++)
                if (strcmp(spec[i].name, node->keys[k]) == 0) break;
            if (i == n) {
                sbuf known = SBUF_INIT;
                for (size_t j = 0; j < n; j++) {
                    if (j) sbuf_puts(&known, ", ");
                    sbuf_puts(&known, spec[j].name);
                }
                cfg_error(e, node->keynodes && node->keynodes[k] ? node->keynodes[k] : node,
                          "unknown key '%s' in %s (known: %s)", node->keys[k], what,
                          known.len ? known.data : "none");
                sbuf_free(&known);
                cfg_params_free(p);
                return NULL;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        bound *b = &p->b[i];
        b->spec = &spec[i];
        const cfg_node *v = node ? cfg_map_get(node, spec[i].name) : NULL;
        if (v && v->kind == CFG_NULL && spec[i].type != PARAM_ANY) v = NULL;
        b->node = v;
        b->given = v != NULL;
        if (!v && !spec[i].dflt && spec[i].type != PARAM_ANY && spec[i].type != PARAM_STRLIST &&
            spec[i].type != PARAM_STRING) {
            cfg_error(e, node, "%s needs parameter '%s' (%s)", what, spec[i].name,
                      spec[i].help ? spec[i].help : "");
            cfg_params_free(p);
            return NULL;
        }
        if (convert(b, v, spec[i].dflt, what, e)) {
            cfg_params_free(p);
            return NULL;
        }
    }
    return p;
}

void cfg_params_free(cfg_params *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->b[i].s);
        for (size_t j = 0; j < p->b[i].nlist; j++) free(p->b[i].list[j]);
        free(p->b[i].list);
    }
    free(p->b);
    free(p->owner);
    free(p);
}

static const bound *find(const cfg_params *p, const char *name, param_type t)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->b[i].spec->name, name) == 0) {
            if (p->b[i].spec->type != t &&
                !(t == PARAM_INT && p->b[i].spec->type == PARAM_SIZE))
                cd_die("parameter '%s' of %s read with the wrong type", name, p->owner);
            return &p->b[i];
        }
    }
    cd_die("parameter '%s' is not declared by %s", name, p->owner);
}

int64_t param_int(const cfg_params *p, const char *name) { return find(p, name, PARAM_INT)->i; }
double param_double(const cfg_params *p, const char *name) { return find(p, name, PARAM_DOUBLE)->d; }
int param_bool(const cfg_params *p, const char *name) { return (int)find(p, name, PARAM_BOOL)->i; }
const char *param_str(const cfg_params *p, const char *name) { return find(p, name, PARAM_STRING)->s; }
int64_t param_size(const cfg_params *p, const char *name) { return find(p, name, PARAM_SIZE)->i; }

size_t param_strlist(const cfg_params *p, const char *name, const char *const **items)
{
    const bound *b = find(p, name, PARAM_STRLIST);
    if (!b->given && b->spec->dflt && !b->list) {
        *items = NULL;
        return 0;
    }
    *items = (const char *const *)b->list;
    return b->nlist;
}

const cfg_node *param_node(const cfg_params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->b[i].spec->name, name) == 0) return p->b[i].node;
    cd_die("parameter '%s' is not declared by %s", name, p->owner);
}

int param_given(const cfg_params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->b[i].spec->name, name) == 0) return p->b[i].given;
    return 0;
}

const char *param_owner(const cfg_params *p) { return p->owner; }

void param_spec_print(const param_spec *spec, FILE *f)
{
    static const char *tn[] = {"int", "number", "bool", "string", "size", "list", "any"};
    for (size_t i = 0; spec && spec[i].name; i++) {
        fprintf(f, "    %-22s %-7s %s", spec[i].name, tn[spec[i].type], spec[i].help ? spec[i].help : "");
        if (spec[i].dflt) fprintf(f, " [default: %s]", spec[i].dflt);
        fputc('\n', f);
    }
}
