/*
 * cfg.h: YAML configuration, read with libyaml into a small tree that keeps
 * the file, line and column of every node, so that every configuration error
 * names where it is ("pipeline.yaml:12:5: unknown key 'fracton' in stage
 * 'sample' (known: fraction, seed)").
 *
 * Stage parameters are declared as param_spec tables; cfg_params_bind()
 * checks a YAML map against such a table (unknown keys, wrong types) before
 * any work starts, and the typed getters then return validated values with
 * defaults applied. Trees are immutable once loaded and safe to share
 * between threads.
 */
#ifndef CORPUSD_CORE_CFG_H
#define CORPUSD_CORE_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef enum { CFG_NULL, CFG_SCALAR, CFG_MAP, CFG_SEQ } cfg_kind;

typedef struct cfg_node cfg_node;
struct cfg_node {
    cfg_kind kind;
    const char *file;
    int line, col;          /* 1-based */
    char *value;            /* CFG_SCALAR */
    int quoted;             /* scalar was quoted: always a string */
    size_t len;             /* items in a map or sequence */
    char **keys;            /* CFG_MAP */
    cfg_node **keynodes;    /* CFG_MAP: the key scalars, for their marks */
    cfg_node **items;       /* CFG_MAP values / CFG_SEQ items */
    char *file_owned;       /* root only: the storage behind `file` */
};

/* Loads a YAML file (one document). NULL + e ("file:line:col: ...") on error. */
cfg_node *cfg_load(const char *path, cd_err *e);
cfg_node *cfg_parse(const char *text, size_t n, const char *name, cd_err *e);
void cfg_free(cfg_node *n);

/* Building trees by hand (for subcommands that take flags instead of YAML). */
cfg_node *cfg_new_map(void);
cfg_node *cfg_new_seq(void);
cfg_node *cfg_new_scalar(const char *value);
void cfg_map_put(cfg_node *map, const char *key, cfg_node *value);
void cfg_seq_push(cfg_node *seq, cfg_node *item);
cfg_node *cfg_map_get(const cfg_node *map, const char *key);

/* "file:line:col" of a node, into buf. */
const char *cfg_where(const cfg_node *n, char *buf, size_t size);
/* Fails with "file:line:col: message". */
int cfg_error(cd_err *e, const cfg_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Scalar conversions with errors that name the location. */
int cfg_to_int(const cfg_node *n, int64_t *out, cd_err *e);
int cfg_to_double(const cfg_node *n, double *out, cd_err *e);
int cfg_to_bool(const cfg_node *n, int *out, cd_err *e);
int cfg_to_size(const cfg_node *n, int64_t *out, cd_err *e);

/* Canonical text form of a tree (for hashing configurations). */
void cfg_canonical(const cfg_node *n, sbuf *out);

/* ------------------------------------------------------------ parameters */

typedef enum {
    PARAM_INT, PARAM_DOUBLE, PARAM_BOOL, PARAM_STRING, PARAM_SIZE,
    PARAM_STRLIST,   /* a sequence of strings (or one string) */
    PARAM_ANY,       /* any node; the stage validates it itself */
} param_type;

typedef struct param_spec {
    const char *name;
    param_type type;
    const char *dflt;      /* default as text; NULL = required (unless ANY) */
    const char *help;      /* says what it is and where the default comes from */
} param_spec;

typedef struct cfg_params cfg_params;

/* Checks node (a map, or NULL for "no parameters") against spec. `what`
 * names the owner in messages ("stage 'sample'"). */
cfg_params *cfg_params_bind(const param_spec *spec, const cfg_node *node, const char *what,
                            cd_err *e);
void cfg_params_free(cfg_params *p);

int64_t param_int(const cfg_params *p, const char *name);
double param_double(const cfg_params *p, const char *name);
int param_bool(const cfg_params *p, const char *name);
const char *param_str(const cfg_params *p, const char *name);      /* NULL if unset */
int64_t param_size(const cfg_params *p, const char *name);
/* Returns the count; *items points into p. */
size_t param_strlist(const cfg_params *p, const char *name, const char *const **items);
const cfg_node *param_node(const cfg_params *p, const char *name); /* NULL if unset */
/* 1 when the key was given explicitly in the config. */
int param_given(const cfg_params *p, const char *name);
const char *param_owner(const cfg_params *p);
/* Prints a spec as help text. */
void param_spec_print(const param_spec *spec, FILE *f);

#endif
