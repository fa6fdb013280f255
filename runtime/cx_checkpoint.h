/*  cx_checkpoint — a run's state after a tick, in one file.
 *
 *  The file is an envelope around one msgpack array, written atomically
 *  (temporary file, fsync, rename), so a crash leaves either the previous
 *  checkpoint or the new one, never a torn one:
 *
 *    offset  size  field
 *         0     8  magic "CXSIMCKP"
 *         8     4  format (u32 little-endian): CX_CHECKPOINT_FORMAT
 *        12     4  reserved, 0
 *        16     8  body length in bytes (u64 little-endian)
 *        24    32  BLAKE2b-256 (libsodium crypto_generichash) of bytes 0..23
 *                  followed by the body
 *        56     -  body: [cxsim version, run id, seed, scenario hash, next_tick,
 *                         company (bin), kpi history (bin), output state (bin),
 *                         [agent state (bin), ...]]     agents in roster order
 *
 *  What the checkpoint belongs to travels in the body and is checked before
 *  a resume or a fork starts anything (cx_checkpoint_verify): the run
 *  identity (OUT/run.id, written when a run starts fresh), the seed, and a
 *  hash of the scenario as far as it shaped the state (its resolved text with
 *  the timeline cut at next_tick, so that changes made from that tick on by
 *  `cxsim ctl` or `cxsim fork` keep it valid).
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
#include "cx_scenario.h"
#include "cx_tally.h"

/* The checkpoint file format. Bump it whenever the layout of what a
 * checkpoint holds changes: the envelope, the body, the company, history or
 * output structs, or the model's shard and department snapshots (the
 * behaviour model is being reworked: a change of its state layout must bump
 * this). A file of another format is refused, never half-read. Format 1 was
 * the bare msgpack array without envelope, identity or checksum. */
#define CX_CHECKPOINT_FORMAT 2

/* Checkpoints kept beside a run's checkpoint.msgpack (cx_checkpoint_keep):
 * by default the last 3, so that `cxsim fork --at T` can branch earlier
 * than the very last one. */
#define CX_CHECKPOINT_KEEP_DEFAULT 3
#define CX_CHECKPOINT_KEEP_MAX 1000

#define CX_RUN_ID_LEN 32        /* hex digits of a run identity */
#define CX_SCENARIO_HASH_LEN 32 /* bytes of a scenario hash (BLAKE2b-256) */

typedef struct {
    int64_t next_tick;                      /* first tick still to run */
    char run[CX_RUN_ID_LEN + 1];            /* identity of the run it belongs to */
    uint64_t seed;                          /* the scenario's seed */
    uint8_t scenario[CX_SCENARIO_HASH_LEN]; /* cx_checkpoint_scenario_hash at next_tick */
    cx_company_t company;                   /* the coordinator's company state */
    cx_kpi_history_t hist;                  /* running sums for CLV */
    cx_output_state_t output;               /* where the result files stand */
    uint8_t **agent;                        /* each agent's state */
    size_t *agent_len;                      /* bytes of each */
    int n_agents;                           /* entries */
} cx_checkpoint_t;

/* Allocates room for n agent states (all NULL). */
int cx_checkpoint_init(cx_checkpoint_t *cp, int n_agents);
void cx_checkpoint_fini(cx_checkpoint_t *cp);

/* Writes cp (its run, seed and scenario hash must be set) atomically. */
int cx_checkpoint_write(const char *path, const cx_checkpoint_t *cp, char *err, size_t errlen);
/* Keeps the checkpoint just written at `path` (DIR/checkpoint.msgpack) as
 * DIR/checkpoint-T.msgpack, T its next_tick (the first tick a resume or a
 * fork from it runs), a hard link to the same file, and removes the
 * numbered ones of DIR beyond the `keep` of highest T. checkpoint.msgpack
 * itself stays the latest: `cxsim resume` reads it. 0, or -1 with err. */
int cx_checkpoint_keep(const char *path, int64_t next_tick, int keep, char *err, size_t errlen);
/* The kept checkpoint of run directory dir to branch at tick `at`: the
 * DIR/checkpoint-T.msgpack of highest T <= at. Writes its path and T.
 * 0, or -1 with err naming the ticks kept (none: the run kept none). */
int cx_checkpoint_find(const char *dir, int64_t at, char *path, size_t cap, int64_t *next_tick,
                       char *err, size_t errlen);
/* Reads a checkpoint for a roster of n_agents: refuses a file that is not a
 * regular file, of another format, truncated, damaged (checksum) or of
 * another roster, or whose run's result files (beside it) are shorter than
 * it says. Says nothing about whom it belongs to: see _verify. */
int cx_checkpoint_read(const char *path, int n_agents, cx_checkpoint_t *cp, char *err,
                       size_t errlen);
/* Checks that cp belongs to the run `run_id` of scenario sc: 0, or -1 with
 * what differs (another run, another seed, another scenario). */
int cx_checkpoint_verify(const cx_checkpoint_t *cp, const cx_scenario_t *sc, const char *run_id,
                         char *err, size_t errlen);
/* Sets cp's run, seed and scenario hash for scenario sc (cp->next_tick set). */
int cx_checkpoint_own(cx_checkpoint_t *cp, const cx_scenario_t *sc, const char *run_id);
/* The hash of what of sc shaped a run's state before tick next_tick: its
 * resolved text with the timeline cut at next_tick and the run length
 * left out. 0, or -1 when out of memory. */
int cx_checkpoint_scenario_hash(const cx_scenario_t *sc, int64_t next_tick,
                                uint8_t out[CX_SCENARIO_HASH_LEN]);
/* Checks each agent state of cp by restoring it into a scratch shard or
 * department of scenario sc (roster order: departments, then every persona
 * shard): 0, or -1 naming the first agent whose state is damaged. */
int cx_checkpoint_check_agents(const cx_checkpoint_t *cp, const cx_scenario_t *sc, char *err,
                               size_t errlen);

/* Run identity: OUT/run.id holds CX_RUN_ID_LEN random hex digits and a newline,
 * written when a run starts fresh (or a fork is made), read by resume. */
int cx_run_id_new(char id[CX_RUN_ID_LEN + 1]);
int cx_run_id_write(const char *dir, const char *id, char *err, size_t errlen);
int cx_run_id_read(const char *dir, char id[CX_RUN_ID_LEN + 1], char *err, size_t errlen);

#endif
