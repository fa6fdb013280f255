/*  cx_tally — integer tallies and department figures: zero, add, pack. */
#include "cx_tally.h"

#include <string.h>

/* The scalar int64 fields of cx_tally_t, in wire order. One list keeps add,
 * pack and unpack in step. */
#define S_TALLY_SCALARS(X)                                                                         \
    X(customers_start)                                                                             \
    X(customers_end)                                                                               \
    X(acquired)                                                                                    \
    X(churned)                                                                                     \
    X(respondents)                                                                                 \
    X(promoters)                                                                                   \
    X(passives)                                                                                    \
    X(detractors)                                                                                  \
    X(satisfied)                                                                                   \
    X(effort_sum)                                                                                  \
    X(loyalty_points)                                                                              \
    X(purchases)                                                                                   \
    X(referral_purchases)                                                                          \
    X(revenue_cents)                                                                               \
    X(referrals)                                                                                   \
    X(deterred)                                                                                    \
    X(interactions)                                                                                \
    X(resolved)                                                                                    \
    X(resolution_days_micro)                                                                       \
    X(handoffs)                                                                                    \
    X(failed_handoffs)                                                                             \
    X(satisfaction_micro)                                                                          \
    X(expectation_micro)                                                                           \
    X(effort_micro)                                                                                \
    X(demand)

/* The count fields of cx_tp_tally_t after experience_micro, in wire order. */
#define S_TP_COUNTS(X)                                                                             \
    X(pain)                                                                                        \
    X(delight)                                                                                     \
    X(failed_handoffs)                                                                             \
    X(waited)                                                                                      \
    X(abandoned)

/* Words before the touchpoints: the scalars, the journey and n_tp. */
#define S_ONE(f) +1
#define S_HEAD (0 S_TALLY_SCALARS(S_ONE) + 2)

void cx_tally_zero(cx_tally_t *t)
{
    memset(t, 0, sizeof *t);
    t->journey = -1;
}

void cx_tp_tally_add(cx_tp_tally_t *dst, const cx_tp_tally_t *src)
{
    dst->interactions += src->interactions;
    for (int p = 0; p < CX_PILLARS; p++) {
        dst->pillar_sum[p] += src->pillar_sum[p];
    }
    dst->experience_micro += src->experience_micro;
#define S_ADD(f) dst->f += src->f;
    S_TP_COUNTS(S_ADD)
#undef S_ADD
}

void cx_tally_add(cx_tally_t *dst, const cx_tally_t *src)
{
#define S_ADD(f) dst->f += src->f;
    S_TALLY_SCALARS(S_ADD)
#undef S_ADD
    if (src->journey < 0 || src->n_tp <= 0) {
        return;
    }
    if (dst->journey < 0 || dst->n_tp <= 0) {
        dst->journey = src->journey;
        dst->n_tp = src->n_tp;
        memset(dst->tp, 0, sizeof dst->tp);
    }
    if (dst->journey != src->journey) {
        return;
    }
    int n = src->n_tp < dst->n_tp ? src->n_tp : dst->n_tp;
    for (int i = 0; i < n; i++) {
        cx_tp_tally_add(&dst->tp[i], &src->tp[i]);
    }
}

int cx_tally_pack(const cx_tally_t *t, int64_t *out)
{
    int k = 0;
#define S_PACK(f) out[k++] = t->f;
    S_TALLY_SCALARS(S_PACK)
#undef S_PACK
    int n_tp = t->n_tp;
    if (n_tp < 0 || n_tp > CX_MAX_TOUCHPOINTS) {
        n_tp = 0;
    }
    out[k++] = t->journey;
    out[k++] = n_tp;
    for (int i = 0; i < n_tp; i++) {
        out[k++] = t->tp[i].interactions;
        for (int p = 0; p < CX_PILLARS; p++) {
            out[k++] = t->tp[i].pillar_sum[p];
        }
        out[k++] = t->tp[i].experience_micro;
#define S_PACK(f) out[k++] = t->tp[i].f;
        S_TP_COUNTS(S_PACK)
#undef S_PACK
    }
    return k;
}

int cx_tally_unpack(cx_tally_t *t, const int64_t *in, int n)
{
    _Static_assert(S_HEAD == CX_TALLY_HEAD_WORDS, "tally scalars and CX_TALLY_HEAD_WORDS agree");
    _Static_assert(2 + CX_PILLARS S_TP_COUNTS(S_ONE) == CX_TP_WORDS, "touchpoint words agree");
    if (n < S_HEAD || n > CX_TALLY_WORDS) {
        return -1;
    }
    cx_tally_zero(t);
    int k = 0;
#define S_UNPACK(f) t->f = in[k++];
    S_TALLY_SCALARS(S_UNPACK)
#undef S_UNPACK
    int64_t journey = in[k++];
    int64_t n_tp = in[k++];
    if (journey < -1 || journey >= CX_MAX_JOURNEYS || n_tp < 0 || n_tp > CX_MAX_TOUCHPOINTS ||
        n != S_HEAD + (int)n_tp * CX_TP_WORDS) {
        return -1;
    }
    t->journey = (int32_t)journey;
    t->n_tp = (int32_t)n_tp;
    for (int i = 0; i < n_tp; i++) {
        t->tp[i].interactions = in[k++];
        for (int p = 0; p < CX_PILLARS; p++) {
            t->tp[i].pillar_sum[p] = in[k++];
        }
        t->tp[i].experience_micro = in[k++];
#define S_UNPACK(f) t->tp[i].f = in[k++];
        S_TP_COUNTS(S_UNPACK)
#undef S_UNPACK
    }
    return 0;
}

void cx_dept_stats_pack(const cx_dept_stats_t *s, double *out)
{
    out[0] = s->demand;
    out[1] = s->handled;
    out[2] = s->backlog;
    out[3] = s->capacity;
    out[4] = s->avg_wait_days;
    out[5] = s->resolution_rate;
    out[6] = s->handoffs;
    out[7] = s->failed_handoffs;
    out[8] = s->cost;
    out[9] = s->engagement;
    out[10] = s->maturity;
    out[11] = s->survey_points;
    out[12] = s->survey_answers;
}

void cx_dept_stats_unpack(cx_dept_stats_t *s, const double *in)
{
    s->demand = in[0];
    s->handled = in[1];
    s->backlog = in[2];
    s->capacity = in[3];
    s->avg_wait_days = in[4];
    s->resolution_rate = in[5];
    s->handoffs = in[6];
    s->failed_handoffs = in[7];
    s->cost = in[8];
    s->engagement = in[9];
    s->maturity = in[10];
    s->survey_points = in[11];
    s->survey_answers = in[12];
}
