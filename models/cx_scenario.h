/*  cx_scenario — the scenario as plain data: the company, its departments,
 *  personas, journeys, timeline and model parameters.
 *
 *  Ownership: a cx_scenario_t is a self-contained value (fixed-size arrays,
 *  no pointers), so it can be copied with memcpy and sent or snapshotted as
 *  is. Allocate it on the heap (it is ~200 KiB). The loader in config/ fills
 *  it from YAML; the model only reads it.
 *
 *  Errors: functions returning int give 0 on success, -1 when not found.
 *  Nothing here does I/O.
 */
#ifndef CX_SCENARIO_H
#define CX_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx_params.h"

#define CX_ID_MAX 32           /* longest id, including the terminating NUL */
#define CX_MAX_DEPTS 16        /* departments in a scenario */
#define CX_MAX_PERSONAS 16     /* personas in a scenario */
#define CX_MAX_JOURNEYS 16     /* journeys in a scenario */
#define CX_MAX_TOUCHPOINTS 32  /* touchpoints in one journey */
#define CX_MAX_HANDOFF 4       /* hand-off targets of one touchpoint */
#define CX_MAX_EVENTS 256      /* timeline events */
#define CX_PILLARS 6           /* KPMG's six pillars of experience */
#define CX_MAX_SHARDS 256      /* shards of one persona */
#define CX_MAX_TICKS 1000000   /* ticks in one run */

/* The six pillars, in the order used everywhere (files, wire, arrays). */
typedef enum {
    CX_PILLAR_INTEGRITY = 0,
    CX_PILLAR_RESOLUTION,
    CX_PILLAR_EXPECTATIONS,
    CX_PILLAR_TIME_EFFORT,
    CX_PILLAR_PERSONALISATION,
    CX_PILLAR_EMPATHY
} cx_pillar_t;

/* Who owns CX (seed 004). */
typedef enum {
    CX_OWNER_NONE = 0,
    CX_OWNER_MARKETING,
    CX_OWNER_CUSTOMER_SERVICE,
    CX_OWNER_PRODUCT,
    CX_OWNER_CX_TEAM,
    CX_OWNER_COUNT
} cx_owner_t;

/* Governance model (seed 004). */
typedef enum {
    CX_GOV_CENTRALISED = 0,
    CX_GOV_HYBRID,
    CX_GOV_DECENTRALISED,
    CX_GOV_COUNT
} cx_governance_t;

typedef enum { CX_TICK_DAY = 0, CX_TICK_WEEK, CX_TICK_MONTH, CX_TICK_UNIT_COUNT } cx_tick_unit_t;

/* What a department is; drives its role in the model (IT lifts others'
 * technology-dependent touchpoints, a CX team cuts silo losses, ...). */
typedef enum {
    CX_DEPT_OTHER = 0,
    CX_DEPT_MARKETING,
    CX_DEPT_SALES,
    CX_DEPT_CUSTOMER_SERVICE,
    CX_DEPT_PRODUCT,
    CX_DEPT_IT,
    CX_DEPT_CX_TEAM,
    CX_DEPT_LOGISTICS,
    CX_DEPT_FINANCE,
    CX_DEPT_KIND_COUNT
} cx_dept_kind_t;

typedef enum {
    CX_CHANNEL_WEB = 0,
    CX_CHANNEL_APP,
    CX_CHANNEL_PHONE,
    CX_CHANNEL_EMAIL,
    CX_CHANNEL_CHAT,
    CX_CHANNEL_STORE,
    CX_CHANNEL_MAIL,
    CX_CHANNEL_SOCIAL,
    CX_CHANNEL_FIELD,
    CX_CHANNEL_THIRD_PARTY,
    CX_CHANNEL_COUNT
} cx_channel_t;

typedef enum {
    CX_EV_MATURITY = 0, /* dept moves to `value` (1..5) over `duration` ticks, costing `cost` */
    CX_EV_CX_OWNER,     /* CX owner becomes `owner` */
    CX_EV_GOVERNANCE,   /* governance becomes `governance` */
    CX_EV_CAMPAIGN,     /* marketing campaign: acquisition x `value` for `duration` ticks, `cost` */
    CX_EV_OUTAGE,       /* dept loses `value` (0..1) of its capacity for `duration` ticks */
    CX_EV_PRICE,        /* price multiplier becomes `value` (1.0 = list price) */
    CX_EV_POLICY,       /* a policy change of `value` severity (0..1) that angers customers */
    CX_EV_STAFF,        /* dept staff becomes `value` */
    CX_EV_KIND_COUNT
} cx_event_kind_t;

typedef struct {
    char id[CX_ID_MAX];    /* unique department id, e.g. "customer_service" */
    cx_dept_kind_t kind;   /* role in the model; defaults from the id */
    double maturity;       /* starting maturity, 1.0 .. 5.0 */
    double staff;          /* full-time staff serving customers, > 0 */
    double cost_per_staff; /* currency per staff per year */
    double service_rate;   /* interactions per staff per day at maturity 3; 0 = kind default */
    double engagement;     /* starting employee engagement, 0..100 */
    int line;              /* line in the scenario file (0 = not from a file) */
} cx_dept_spec_t;

typedef struct {
    char id[CX_ID_MAX];               /* unique within the journey */
    char stage[CX_ID_MAX];            /* awareness, consideration, purchase, delivery, use, support, renewal, ... */
    int owner;                        /* department index, or -1 for an external touchpoint */
    cx_channel_t channel;             /* channel it happens on */
    bool moment_of_truth;             /* weighs more; competitors pull here */
    bool purchase;                    /* a purchase happens when the customer passes it */
    bool avoidable;                   /* a contact caused by defects: product quality removes it */
    double it_dependence;             /* 0..1 how much IT's maturity shapes it */
    double gap_days;                  /* mean days between the previous touchpoint and this one */
    double probability;               /* chance a customer visits it when reaching it, 0..1 */
    double quality;                   /* offset on its served pillar means, -10..10 (0: none) */
    bool no_pain;                     /* counterfactual: an experience below expectation here
                                         counts as meeting it (journey attribution) */
    int handoff[CX_MAX_HANDOFF];      /* departments an unresolved case is handed to */
    int n_handoff;                    /* entries used in handoff[] */
    int line;                         /* line in the scenario file */
} cx_touchpoint_spec_t;

typedef struct {
    char id[CX_ID_MAX];                           /* unique journey id */
    cx_touchpoint_spec_t tp[CX_MAX_TOUCHPOINTS];  /* touchpoints in order */
    int n_tp;                                     /* entries used in tp[] */
    int loop_to;                                  /* index the journey restarts at after the last one */
    int line;                                     /* line in the scenario file */
} cx_journey_spec_t;

typedef struct {
    char id[CX_ID_MAX];                   /* unique persona id */
    int64_t customers;                    /* customers at tick 0 */
    int shards;                           /* processes the persona is split over (--shards overrides) */
    int journey;                          /* journey index its customers travel */
    double weights[CX_PILLARS];           /* pillar weights, normalised to sum to 1 by the loader */
    double channel_pref[CX_CHANNEL_COUNT];/* channel preference 0..1 (1 = preferred); default 0.5 */
    double spend;                         /* currency per purchase at list price */
    double base_churn;                    /* yearly churn of a neutral customer, 0..1 */
    double expectation;                   /* initial expectation, 0..10 */
    double acquisition;                   /* new customers per year at baseline, share of `customers` */
    double price_sensitivity;             /* multiplier on the price elasticities, 1 = market average */
    int line;                             /* line in the scenario file */
} cx_persona_spec_t;

typedef struct {
    int tick;                 /* tick at which it starts */
    cx_event_kind_t kind;     /* what happens */
    int dept;                 /* department index, or -1 */
    double value;             /* meaning depends on kind (see cx_event_kind_t) */
    int duration;             /* ticks (ramp, campaign, outage); >= 1 */
    double cost;              /* one-off investment, currency */
    int owner;                /* cx_owner_t for CX_EV_CX_OWNER */
    int governance;           /* cx_governance_t for CX_EV_GOVERNANCE */
    int line;                 /* line in the scenario file */
} cx_event_spec_t;

typedef struct {
    char name[64];                             /* short name */
    char description[512];                     /* what question it answers */
    uint64_t seed;                             /* root of every random stream */
    int ticks;                                 /* ticks to simulate */
    cx_tick_unit_t tick_unit;                  /* what one tick is */
    cx_owner_t cx_owner;                       /* company.cx_owner */
    cx_governance_t governance;                /* company.governance */
    double budget;                             /* company.budget: yearly CX budget, currency (reporting) */
    double marketing_spend;                    /* company.marketing_spend: yearly, currency (CAC) */
    double gross_margin;                       /* company.gross_margin: gross profit / revenue, 0..1 */
    double discount_rate;                      /* company.discount_rate: yearly, for CLV */
    char industry[64];                         /* industry the scenario is calibrated to (reporting) */
    double market_share;                       /* market.share: the firm's share of its market at tick 0 */
    double market_growth;                      /* market.growth: market size change per year (0.05 = +5 %) */
    double competitor_improvement;             /* market.competitor_improvement: competitors' NPS points gained per year */
    cx_dept_spec_t dept[CX_MAX_DEPTS];         /* departments */
    int n_dept;                                /* entries used */
    cx_persona_spec_t persona[CX_MAX_PERSONAS];/* personas */
    int n_persona;                             /* entries used */
    cx_journey_spec_t journey[CX_MAX_JOURNEYS];/* journeys */
    int n_journey;                             /* entries used */
    cx_event_spec_t event[CX_MAX_EVENTS];      /* timeline, sorted by tick (stable) */
    int n_event;                               /* entries used */
    cx_params_t params;                        /* model parameters (`model:` section) */
} cx_scenario_t;

/* Sets every field to its documented default and empties the lists. */
void cx_scenario_defaults(cx_scenario_t *sc);

/* Fills the kind-dependent defaults of one department (service rate, cost,
 * engagement) for fields still at 0. Called by the loader. */
void cx_dept_spec_defaults(cx_dept_spec_t *d);

/* Days in one tick of this unit (day 1, week 7, month 30.4375). */
double cx_tick_days(cx_tick_unit_t unit);

/* Index of the department/persona/journey with this id, or -1. */
int cx_scenario_dept_index(const cx_scenario_t *sc, const char *id);
int cx_scenario_persona_index(const cx_scenario_t *sc, const char *id);
int cx_scenario_journey_index(const cx_scenario_t *sc, const char *id);
/* First department of this kind, or -1. */
int cx_scenario_dept_of_kind(const cx_scenario_t *sc, cx_dept_kind_t kind);

/* Names <-> enums, for files and messages. Names are lower case with '_'.
 * *_from_name return -1 for an unknown name. */
const char *cx_owner_name(cx_owner_t v);
int cx_owner_from_name(const char *s);
const char *cx_governance_name(cx_governance_t v);
int cx_governance_from_name(const char *s);
const char *cx_tick_unit_name(cx_tick_unit_t v);
int cx_tick_unit_from_name(const char *s);
const char *cx_dept_kind_name(cx_dept_kind_t v);
int cx_dept_kind_from_name(const char *s);
const char *cx_channel_name(cx_channel_t v);
int cx_channel_from_name(const char *s);
const char *cx_event_kind_name(cx_event_kind_t v);
int cx_event_kind_from_name(const char *s);
const char *cx_pillar_name(cx_pillar_t v);

/* Says what an event does, e.g. "it moves to maturity 4 over 6 ticks" or
 * "cx_team owns CX" (no tick). Returns what snprintf returns. */
int cx_event_describe(const cx_scenario_t *sc, const cx_event_spec_t *ev, char *buf, size_t cap);

/* Adds `ev` to the timeline after every event of its tick or earlier (the
 * order a file with it in that place would load to), so the scenario
 * emitted afterwards replays a run that took it live. ev->tick must not
 * have begun: ev->tick >= first_tick. Returns the index it took, or -1 when
 * the timeline is full or ev->tick is out of range. */
int cx_scenario_add_event(cx_scenario_t *sc, const cx_event_spec_t *ev, int first_tick);

#endif
