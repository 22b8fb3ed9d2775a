/*
 * cli.h: helpers shared by subcommands: a small flag parser and the generic
 * "run one stage alone on files" command that every stage gets.
 */
#ifndef CORPUSD_CLI_CLI_H
#define CORPUSD_CLI_CLI_H

#include <stddef.h>

#include "core/cfg.h"

/* Exit codes (README): 0 ok, 1 failures recorded, 2 usage or config error. */
enum { EXIT_OK = 0, EXIT_FAILURES = 1, EXIT_USAGE = 2 };

typedef struct cli_args {
    char **pos;              /* positional arguments */
    size_t npos;
    char **keys, **vals;     /* --key value / --key=value / --flag (val "true") */
    size_t nflags;
    int help;
} cli_args;

/* Flags listed in `bool_flags` (NULL-terminated) take no value. */
int cli_parse(int argc, char **argv, const char *const *bool_flags, cli_args *a);
void cli_free(cli_args *a);
const char *cli_get(const cli_args *a, const char *key);        /* last value or NULL */
int cli_has(const cli_args *a, const char *key);
/* Checks every flag is one of `known`; prints an error and returns -1 if not. */
int cli_check(const cli_args *a, const char *cmd, const char *const *known);

/* Runs stage `name` on the positional inputs with --PARAM value flags mapped
 * onto the stage's parameters; -o OUT, --rejects R, --format F, --seed S. */
int cli_stage_main(const char *name, int argc, char **argv);

#endif
