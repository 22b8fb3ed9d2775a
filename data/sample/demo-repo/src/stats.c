/* stats.c: running mean and variance with Welford's algorithm. */
#include <math.h>
#include <stddef.h>

typedef struct running_stats {
    size_t n;
    double mean, m2;
} running_stats;

void stats_push(running_stats *s, double x)
{
    s->n++;
    double delta = x - s->mean;
    s->mean += delta / (double)s->n;
    s->m2 += delta * (x - s->mean);
}

double stats_variance(const running_stats *s)
{
    return s->n > 1 ? s->m2 / (double)(s->n - 1) : 0.0;
}

double stats_stddev(const running_stats *s)
{
    return sqrt(stats_variance(s));
}
