/*
 * main.c: corpusd's entry point. It only dispatches: every subcommand
 * registers itself (CORPUSD_COMMAND) next to the code it wraps.
 */
#include "cli/cli.h"
#include "core/stage.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "corpusd %s: a pretraining-data curation pipeline\n\n"
            "usage: corpusd COMMAND [ARGS]   (corpusd COMMAND --help for each)\n\n"
            "commands:\n",
            CORPUSD_VERSION);
    for (size_t i = 0; registry_command_at(i); i++) {
        const command *c = registry_command_at(i);
        fprintf(f, "  %-12s %s\n", c->name, c->summary);
    }
    fprintf(f, "\nstages (usable in a pipeline's `stages:`):\n");
    for (size_t i = 0; registry_stage_at(i); i++)
        fprintf(f, "  %-18s %s\n", registry_stage_at(i)->name, registry_stage_at(i)->summary);
    fprintf(f, "\ninput formats:\n");
    for (size_t i = 0; registry_reader_at(i); i++)
        fprintf(f, "  %-18s %s\n", registry_reader_at(i)->name, registry_reader_at(i)->summary);
    fprintf(f, "\noutput formats:\n");
    for (size_t i = 0; registry_writer_at(i); i++)
        fprintf(f, "  %-18s %s\n", registry_writer_at(i)->name, registry_writer_at(i)->summary);
    fprintf(f, "\nexit codes: 0 ok, 1 failures recorded, 2 usage or config error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2 && registry_command(argv[2])) {
            char *args[] = {argv[2], "--help", NULL};
            return registry_command(argv[2])->main(2, args);
        }
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("corpusd %s\n", CORPUSD_VERSION);
        return EXIT_OK;
    }
    const command *c = registry_command(cmd);
    if (!c) {
        fprintf(stderr, "corpusd: unknown command '%s'\n\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
    }
    return c->main(argc - 1, argv + 1);
}
