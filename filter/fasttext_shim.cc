/*
 * fasttext_shim.cc: wraps fasttext::FastText::predictLine behind
 * fasttext_shim.h. Exceptions from fastText (bad model files) are caught
 * here and become error messages; none crosses into C.
 */
#include "filter/fasttext_shim.h"

#include <stdio.h>
#include <string.h>

#ifdef HAVE_FASTTEXT
#include <fasttext/fasttext.h>

#include <exception>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

struct ft_shim {
    fasttext::FastText ft;
    int32_t nlabels;
    std::string prefix;   /* the model's label prefix (-label at training) */
};

static void ft_predict(const ft_shim *m, const char *text, size_t n, int32_t k,
                       std::vector<std::pair<fasttext::real, std::string>> &pred)
{
    std::string line(text, n);
    for (char &c : line)
        if (c == '\n' || c == '\r') c = ' ';
    line.push_back('\n');
    std::istringstream in(line);
    try {
        m->ft.predictLine(in, pred, k, 0.0);
    } catch (const std::exception &) {
        pred.clear();
    }
}

extern "C" ft_shim *ft_shim_load(const char *path, char *msg, size_t msg_size)
{
    ft_shim *m = new ft_shim();
    try {
        m->ft.loadModel(std::string(path));
        m->nlabels = m->ft.getDictionary()->nlabels();
        m->prefix = m->ft.getArgs().label;
    } catch (const std::exception &ex) {
        snprintf(msg, msg_size, "cannot load fastText model %s: %s", path, ex.what());
        delete m;
        return NULL;
    }
    if (m->nlabels < 1) {
        snprintf(msg, msg_size, "%s is not a supervised fastText model", path);
        delete m;
        return NULL;
    }
    return m;
}

extern "C" void ft_shim_free(ft_shim *m) { delete m; }

extern "C" double ft_shim_prob(const ft_shim *m, const char *text, size_t n, const char *label)
{
    std::vector<std::pair<fasttext::real, std::string>> pred;
    ft_predict(m, text, n, m->nlabels, pred);
    for (const auto &p : pred)
        if (p.second == label) return p.first;
    return 0;
}

extern "C" int ft_shim_top(const ft_shim *m, const char *text, size_t n, char *label, size_t label_size,
                           double *prob)
{
    std::vector<std::pair<fasttext::real, std::string>> pred;
    ft_predict(m, text, n, 1, pred);
    *prob = 0;
    if (label_size) label[0] = 0;
    if (pred.empty() || !label_size) return -1;
    const std::string &l = pred[0].second;
    size_t skip = l.compare(0, m->prefix.size(), m->prefix) == 0 ? m->prefix.size() : 0;
    snprintf(label, label_size, "%s", l.c_str() + skip);
    *prob = pred[0].first;
    return 0;
}

#else

extern "C" ft_shim *ft_shim_load(const char *path, char *msg, size_t msg_size)
{
    snprintf(msg, msg_size, "built without fastText: install libfasttext-dev and rebuild to load %s", path);
    return NULL;
}
extern "C" void ft_shim_free(ft_shim *m) { (void)m; }
extern "C" double ft_shim_prob(const ft_shim *m, const char *text, size_t n, const char *label)
{
    (void)m; (void)text; (void)n; (void)label;
    return 0;
}
extern "C" int ft_shim_top(const ft_shim *m, const char *text, size_t n, char *label, size_t label_size,
                           double *prob)
{
    (void)m; (void)text; (void)n;
    if (label_size) label[0] = 0;
    *prob = 0;
    return -1;
}
#endif
