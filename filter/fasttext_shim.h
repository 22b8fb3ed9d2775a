/*
 * fasttext_shim.h: a C interface to a user-supplied fastText classifier
 * (Debian libfasttext-dev), for the quality_classifier stage and the
 * fastText backend of langid. Private to filter/. A loaded model is
 * read-only; prediction is thread-safe.
 */
#ifndef CORPUSD_FILTER_FASTTEXT_SHIM_H
#define CORPUSD_FILTER_FASTTEXT_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ft_shim ft_shim;

/* NULL with msg filled when the model cannot be loaded or fastText is not
 * built in. */
ft_shim *ft_shim_load(const char *path, char *msg, size_t msg_size);
void ft_shim_free(ft_shim *m);
/* Probability of `label` for one document (newlines are treated as spaces,
 * as fastText's predict reads one line). 0 when the label is not predicted. */
double ft_shim_prob(const ft_shim *m, const char *text, size_t n, const char *label);
/* The most probable label (the model's label prefix, normally "__label__",
 * removed; truncated to label_size - 1 bytes) and its probability, as
 * `fasttext predict-prob MODEL - 1` prints them. Newlines become spaces.
 * Returns 0, or -1 when the model predicts nothing (label "", prob 0). */
int ft_shim_top(const ft_shim *m, const char *text, size_t n, char *label, size_t label_size, double *prob);

#ifdef __cplusplus
}
#endif
#endif
