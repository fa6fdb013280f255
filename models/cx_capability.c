/*  cx_capability — maturity to capability profile, and the organisational
 *  modifiers (seed 000 for levels, seed 004 for owner and governance). */
#include "cx_capability.h"

#include <math.h>

/* x limited to lo..hi. */
static double s_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

double cx_capability_lerp(double lo, double hi, double m)
{
    double x = (s_clamp(m, 1.0, 5.0) - 1.0) / 4.0;
    return lo + (hi - lo) * x;
}

void cx_capability_of(const cx_params_t *p, double m, cx_capability_t *cap)
{
    m = s_clamp(m, 1.0, 5.0);
    cap->maturity = m;
    cap->quality = cx_capability_lerp(p->quality_low, p->quality_high, m);
    cap->spread = cx_capability_lerp(p->spread_low, p->spread_high, m);
    cap->fcr = cx_capability_lerp(p->fcr_low, p->fcr_high, m);
    cap->handoff_success = cx_capability_lerp(p->handoff_low, p->handoff_high, m);
    cap->data = cx_capability_lerp(p->data_low, p->data_high, m);
    cap->personalisation =
        p->personalisation_low + (p->personalisation_high - p->personalisation_low) * cap->data;
    /* Service rate is anchored at level 3 because the scenario's
     * service_rate is given at level 3. */
    cap->service_mult = 1.0 + p->service_gain * (m - 3.0);
    cap->cost_per_interaction = cx_capability_lerp(p->cpi_low, p->cpi_high, m);
    cap->change_speed = cx_capability_lerp(p->change_speed_low, p->change_speed_high, m);
    cap->automation = cx_capability_lerp(p->automation_low, p->automation_high, m);
    cap->engagement = cx_capability_lerp(p->engagement_low, p->engagement_high, m);
}

double cx_capability_touchpoint_maturity(const cx_params_t *p, double m_dept, double m_it,
                                         double itd)
{
    double w = s_clamp(itd, 0.0, 1.0) * s_clamp(p->it_reach, 0.0, 1.0);
    return (1.0 - w) * m_dept + w * m_it;
}

double cx_capability_it_maturity(double m_it, double outage)
{
    return m_it - s_clamp(outage, 0.0, 1.0) * (s_clamp(m_it, 1.0, 5.0) - 1.0);
}

double cx_governance_fit(const cx_params_t *p, int g, double m)
{
    double ideal = p->gov_ideal_hybrid;
    if (g == CX_GOV_CENTRALISED) {
        ideal = p->gov_ideal_centralised;
    } else if (g == CX_GOV_DECENTRALISED) {
        ideal = p->gov_ideal_decentralised;
    }
    double z = (m - ideal) / p->gov_fit_width;
    return exp(-z * z);
}

double cx_change_speed(const cx_params_t *p, double m, int owner, int governance,
                       double mean_maturity)
{
    double speed = cx_capability_lerp(p->change_speed_low, p->change_speed_high, m);
    double misfit = 1.0 - cx_governance_fit(p, governance, mean_maturity);
    speed /= 1.0 + p->gov_slowdown * misfit;
    if (owner == CX_OWNER_CX_TEAM) {
        speed *= p->owner_cxteam_speed;
    }
    return speed;
}
