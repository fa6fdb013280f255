/*  cx_checkpoint — a run's state after a tick, in one file.
 *
 *  The file is one msgpack array, written atomically (temporary file,
 *  fsync, rename), so a crash leaves either the previous checkpoint or the
 *  new one, never a torn one:
 *
 *    [1, "cxsim-checkpoint", version, next_tick,
 *     company (bin), kpi history (bin), output state (bin),
 *     [agent state (bin), ...]]     agents in roster order
 *
 *  The company, history and output states are the plain structs of this
 *  build: a checkpoint resumes with the cxsim version that wrote it
 *  (checked). Agent states are the model's own snapshots.
 *
 *  Ownership: cx_checkpoint_t holds malloc'ed agent states; _fini frees.
 *  Errors: -1 with a message in err.
 */
#ifndef CX_CHECKPOINT_H
#define CX_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "cx_company.h"
#include "cx_output.h"
#include "cx_tally.h"

typedef struct {
    int64_t next_tick;         /* first tick still to run */
    cx_company_t company;      /* the coordinator's company state */
    cx_kpi_history_t hist;     /* running sums for CLV */
    cx_output_state_t output;  /* where the result files stand */
    uint8_t **agent;           /* each agent's state */
    size_t *agent_len;         /* bytes of each */
    int n_agents;              /* entries */
} cx_checkpoint_t;

/* Allocates room for n agent states (all NULL). */
int cx_checkpoint_init(cx_checkpoint_t *cp, int n_agents);
void cx_checkpoint_fini(cx_checkpoint_t *cp);

int cx_checkpoint_write(const char *path, const cx_checkpoint_t *cp, char *err, size_t errlen);
/* Reads a checkpoint for a roster of n_agents. */
int cx_checkpoint_read(const char *path, int n_agents, cx_checkpoint_t *cp, char *err,
                       size_t errlen);

#endif
