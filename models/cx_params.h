/*  cx_params — the behaviour model's parameters, as data.
 *
 *  One X-macro list is the single source of every parameter: its name (also
 *  its key under `model:` in a scenario and in `--set model.NAME=V`), its
 *  default, its allowed range, its unit and a one-line meaning. The struct,
 *  the defaults, the loader's validation and the table in docs/MODEL.md all
 *  come from this list.
 *
 *  X(name, default, min, max, unit, doc)
 */
#ifndef CX_PARAMS_H
#define CX_PARAMS_H

#define CX_PARAMS_LIST(X)                                                                          \
    /* surveys and answers */                                                                      \
    X(survey_rate, 0.05, 0.0, 1.0, "share/tick", "share of active customers surveyed each tick")  \
    X(satisfied_threshold, 4.0, 1.0, 5.0, "1-5", "CSAT answer at or above which a respondent is satisfied") \
    X(ltr_offset, 3.8, -10.0, 10.0, "points", "likelihood to recommend of a customer at satisfaction 0") \
    X(ltr_slope, 0.65, 0.0, 3.0, "1", "likelihood-to-recommend points per point of satisfaction") \
    X(ltr_noise, 1.5, 0.0, 5.0, "points", "standard deviation of a likelihood-to-recommend answer") \
    X(csat_slope, 0.45, 0.0, 2.0, "1/point", "CSAT answer (1-5) points per point of satisfaction") \
    X(csat_noise, 0.5, 0.0, 5.0, "points", "standard deviation of a CSAT answer") \
    X(ces_noise, 0.8, 0.0, 5.0, "points", "standard deviation of a CES answer") \
    X(loyalty_noise, 0.8, 0.0, 5.0, "points", "standard deviation of a loyalty answer") \
    /* expectation-disconfirmation */                                                              \
    X(ede_gain_positive, 0.25, 0.0, 1.0, "1", "satisfaction gain per point of positive disconfirmation") \
    X(ede_gain_negative, 0.55, 0.0, 2.0, "1", "satisfaction loss per point of negative disconfirmation") \
    X(satisfaction_memory, 0.25, 0.01, 1.0, "1", "share of the gap to a transaction's satisfaction closed per interaction") \
    X(moment_of_truth_weight, 2.0, 1.0, 10.0, "x", "weight of a moment of truth relative to other touchpoints") \
    X(expectation_drift, 0.06, 0.0, 1.0, "1", "share of the gap between experience and expectation closed per interaction") \
    X(expectation_fall, 0.04, 0.0, 1.0, "1", "share of the gap closed per interaction when experience falls short") \
    X(effort_memory, 0.35, 0.01, 1.0, "1", "share of the gap to a transaction's effort closed per interaction") \
    X(loyalty_speed, 0.2, 0.0, 1.0, "1", "share of the gap to target loyalty closed per interaction") \
    X(loyalty_floor, 4.0, 0.0, 9.0, "points", "satisfaction at and below which target loyalty is 0") \
    X(initial_spread, 1.0, 0.0, 5.0, "points", "standard deviation of a new customer's satisfaction around expectation") \
    X(channel_effort, 2.0, 0.0, 10.0, "points", "Time-and-effort swing between a disliked and a preferred channel at maturity 1") \
    /* churn, competitors, word of mouth, spend */                                                 \
    X(churn_satisfaction, 0.25, 0.0, 5.0, "1/point", "log-hazard increase per point of satisfaction below neutral") \
    X(churn_effort, 0.35, 0.0, 5.0, "1/point", "log-hazard increase per point of effort above neutral") \
    X(churn_neutral_satisfaction, 6.5, 0.0, 10.0, "points", "satisfaction at which the churn hazard is the persona's base") \
    X(churn_neutral_effort, 4.0, 0.0, 10.0, "points", "effort at which the churn hazard is the persona's base") \
    X(competitor_pull, 0.01, 0.0, 1.0, "prob", "chance a dissatisfied customer defects at a moment of truth") \
    X(referral_rate, 0.6, 0.0, 10.0, "1/year", "referrals a promoter makes per year") \
    X(referral_conversion, 0.25, 0.0, 1.0, "prob", "share of referrals that become customers") \
    X(detractor_deterrence, 0.5, 0.0, 10.0, "1/year", "prospects a detractor deters per year") \
    X(spend_loyalty, 0.31, 0.0, 2.0, "share", "extra spend of a fully loyal customer (Invesp: +31%)") \
    X(price_elasticity, 2.0, 0.0, 10.0, "1", "purchase and acquisition elasticity to price, times price sensitivity") \
    X(price_churn, 2.0, 0.0, 10.0, "1", "churn-hazard elasticity to price, times price sensitivity") \
    X(policy_satisfaction, 3.0, 0.0, 10.0, "points", "satisfaction lost by every customer to a policy change of severity 1") \
    X(policy_churn, 0.05, 0.0, 1.0, "prob", "immediate defection chance of a dissatisfied customer at a policy change of severity 1") \
    X(clv_horizon_years, 10.0, 1.0, 50.0, "years", "cap on the expected lifetime used in CLV") \
    X(reputation_days, 60.0, 1.0, 3650.0, "days", "time constant of the reputation the market sees (smoothed NPS)") \
    X(reputation_acquisition, 1.0, 0.0, 5.0, "1", "log change of acquisition per 100 points of reputation relative to the market") \
    X(price_value, 3.0, 0.0, 20.0, "points", "experience lost at a purchase per unit of log price, times price sensitivity") \
    /* capability profile: value at maturity 1 (_low) and 5 (_high), linear between */             \
    X(quality_low, 6.2, 0.0, 10.0, "points", "mean pillar score at maturity 1") \
    X(quality_high, 8.7, 0.0, 10.0, "points", "mean pillar score at maturity 5") \
    X(spread_low, 2.0, 0.0, 5.0, "points", "standard deviation of pillar scores at maturity 1") \
    X(spread_high, 0.8, 0.0, 5.0, "points", "standard deviation of pillar scores at maturity 5") \
    X(fcr_low, 0.55, 0.0, 1.0, "prob", "first-contact resolution at maturity 1") \
    X(fcr_high, 0.92, 0.0, 1.0, "prob", "first-contact resolution at maturity 5") \
    X(handoff_low, 0.45, 0.0, 1.0, "prob", "hand-off keeps its context, lower maturity of the pair at 1") \
    X(handoff_high, 0.95, 0.0, 1.0, "prob", "hand-off keeps its context, lower maturity of the pair at 5") \
    X(data_low, 0.1, 0.0, 1.0, "0-1", "data capability at maturity 1") \
    X(data_high, 0.9, 0.0, 1.0, "0-1", "data capability at maturity 5") \
    X(personalisation_low, 3.5, 0.0, 10.0, "points", "mean Personalisation score at data capability 0") \
    X(personalisation_high, 9.0, 0.0, 10.0, "points", "mean Personalisation score at data capability 1") \
    X(service_gain, 0.10, 0.0, 0.5, "1/level", "service rate change per maturity level, relative to level 3") \
    X(cpi_low, 2.0, 0.0, 1000.0, "currency", "cost per interaction at maturity 1") \
    X(cpi_high, 0.5, 0.0, 1000.0, "currency", "cost per interaction at maturity 5") \
    X(change_speed_low, 0.6, 0.05, 5.0, "x", "speed of change (ramp speed multiplier) at maturity 1") \
    X(change_speed_high, 1.5, 0.05, 5.0, "x", "speed of change at maturity 5") \
    X(automation_low, 0.25, 0.0, 1.0, "share", "share of technology-dependent work automated at IT maturity 1") \
    X(automation_high, 0.75, 0.0, 1.0, "share", "share of technology-dependent work automated at IT maturity 5") \
    X(engagement_low, 45.0, 0.0, 100.0, "points", "target employee engagement at maturity 1") \
    X(engagement_high, 70.0, 0.0, 100.0, "points", "target employee engagement at maturity 5") \
    X(it_reach, 0.5, 0.0, 1.0, "share", "share of a touchpoint's IT dependence through which IT's maturity shapes it") \
    X(product_reach, 0.5, 0.0, 1.0, "share", "share of the Expectations pillar set by the product department's quality") \
    X(outage_failure, 0.8, 0.0, 1.0, "prob", "chance an IT-dependent interaction fails while IT is fully down, times IT dependence") \
    /* service encounter */                                                                        \
    X(pillar_correlation, 0.5, 0.0, 1.0, "1", "share of a pillar's noise variance common to all six pillars") \
    X(resolution_bonus, 1.5, 0.0, 10.0, "points", "Resolution score above quality when the case is resolved") \
    X(resolution_penalty, 3.0, 0.0, 10.0, "points", "Resolution score below quality when it is not") \
    X(wait_effort, 0.8, 0.0, 10.0, "points/day", "Time-and-effort points lost per day of waiting") \
    X(handoff_effort, 1.5, 0.0, 10.0, "points", "Time-and-effort points lost when a hand-off loses context") \
    X(handoff_empathy, 1.0, 0.0, 10.0, "points", "Empathy points lost when a hand-off loses context") \
    X(context_lost_resolution, 0.15, 0.0, 1.0, "prob", "resolution chance lost when a hand-off loses context") \
    X(handling_days, 0.5, 0.0, 30.0, "days", "time to handle a case once served, added to its waits in resolution time") \
    X(patience_days, 3.0, 0.01, 365.0, "days", "mean days a customer waits in a backlog before giving up") \
    X(abandon_penalty, 2.0, 0.0, 10.0, "points", "score below quality on four pillars when a customer gives up") \
    X(avoidable_effort, 4.0, 0.0, 10.0, "points", "Time-and-effort points lost at an avoidable contact (having to call at all)") \
    X(avoidable_expectation, 3.0, 0.0, 10.0, "points", "Expectations points lost at an avoidable contact (the defect behind it)") \
    X(employee_questions, 5.0, 1.0, 20.0, "questions", "questions of the employee engagement survey each employee answers per tick") \
    X(employee_noise, 1.5, 0.0, 5.0, "points", "standard deviation of an employee's survey answer (1-10)") \
    X(external_quality, 6.0, 0.0, 10.0, "points", "mean pillar score of an external touchpoint at reputation 0") \
    X(external_spread, 1.5, 0.0, 5.0, "points", "standard deviation of external touchpoint scores") \
    X(reputation_external, 2.0, 0.0, 10.0, "points", "external score change per 100 points of reputation") \
    /* employees (service-profit chain) */                                                         \
    X(overload_engagement, 8.0, 0.0, 100.0, "points", "engagement lost per unit of overload (demand/capacity - 1)") \
    X(change_engagement, 8.0, 0.0, 100.0, "points", "engagement lost at the deepest point of a transition") \
    X(engagement_speed, 0.02, 0.0, 1.0, "1/day", "speed at which engagement moves toward its target") \
    X(engagement_empathy, 1.5, 0.0, 10.0, "points", "Empathy points per 50 points of engagement above 50") \
    X(engagement_resolution, 0.06, 0.0, 1.0, "prob", "resolution chance per 50 points of engagement above 50") \
    /* transitions */                                                                              \
    X(jcurve_depth, 0.6, 0.0, 3.0, "levels", "maturity lost at the deepest point of a one-level transition's dip") \
    /* organisation: CX owner and governance (seed 004) */                                         \
    X(gov_ideal_centralised, 1.5, 1.0, 5.0, "level", "maturity a centralised governance fits best") \
    X(gov_ideal_hybrid, 3.0, 1.0, 5.0, "level", "maturity a hybrid governance fits best") \
    X(gov_ideal_decentralised, 4.5, 1.0, 5.0, "level", "maturity a decentralised governance fits best") \
    X(gov_fit_width, 1.5, 0.1, 10.0, "levels", "distance from the ideal maturity at which fit falls to 1/e") \
    X(gov_slowdown, 0.8, 0.0, 10.0, "share", "extra ramp duration under a fully misfitting governance") \
    X(gov_handoff, 0.3, 0.0, 1.0, "share", "share of hand-off success lost under a fully misfitting governance") \
    X(gov_quality, 0.6, 0.0, 5.0, "points", "mean pillar score lost under a fully misfitting governance") \
    X(owner_any_silo, 0.15, 0.0, 1.0, "share", "hand-off failures removed when anyone owns CX (an accountable champion)") \
    X(owner_marketing_expectation, 0.2, 0.0, 5.0, "points", "expectation lift when marketing owns CX") \
    X(owner_marketing_personalisation, 1.5, 0.0, 5.0, "points", "Personalisation lift when marketing owns CX") \
    X(owner_cs_resolution, 0.06, 0.0, 1.0, "prob", "resolution chance added when customer service owns CX") \
    X(owner_cs_effort, 0.6, 0.0, 5.0, "points", "Time-and-effort lift when customer service owns CX") \
    X(owner_product_avoid, 0.4, 0.0, 1.0, "share", "avoidable contacts removed when product owns CX") \
    X(product_avoid_maturity, 0.7, 0.0, 1.0, "share", "avoidable contacts removed at product maturity 5 (linear from 0 at 1)") \
    X(owner_cxteam_silo, 0.5, 0.0, 1.0, "share", "hand-off failures removed when a CX team owns CX") \
    X(owner_cxteam_speed, 1.3, 1.0, 5.0, "x", "speed-of-change multiplier when a CX team owns CX")

typedef struct {
#define CX_PARAM_FIELD(name, def, lo, hi, unit, doc) double name;
    CX_PARAMS_LIST(CX_PARAM_FIELD)
#undef CX_PARAM_FIELD
} cx_params_t;

/* One row of the parameter table. */
typedef struct {
    const char *name; /* key under `model:` */
    double def;       /* default */
    double lo;        /* smallest allowed value */
    double hi;        /* largest allowed value */
    const char *unit; /* unit, as documented */
    const char *doc;  /* one-line meaning */
    unsigned offset;  /* byte offset of the field in cx_params_t */
} cx_param_info_t;

/* Sets every parameter to its default. */
void cx_params_defaults(cx_params_t *p);

/* The table of parameters (static storage) and its length. */
const cx_param_info_t *cx_params_table(int *count);

/* Pointer to the field named `name`, or NULL when there is none. */
double *cx_params_field(cx_params_t *p, const char *name);

#endif
