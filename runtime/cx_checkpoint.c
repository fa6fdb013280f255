/*  cx_checkpoint — write and read a run's checkpoint (see cx_checkpoint.h). */
#include "cx_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cx_department.h"
#include "cx_load.h"
#include "cx_shard.h"
#include "cx_steady.h"
#include "cx_version.h"

#define S_MAGIC "CXSIMCKP"
#define S_MAGIC_LEN 8
#define S_HEAD 24                      /* magic, format, reserved, body length */
#define S_SUM crypto_generichash_BYTES /* 32: BLAKE2b-256 */
#define S_TOP (S_HEAD + S_SUM)         /* where the body starts */
#define S_FIELDS 9                     /* elements of the body array */
/* Format 1 files were a bare msgpack array holding this string. */
#define S_OLD_MAGIC "cxsim-checkpoint"
/* A checkpoint is read whole: far above any legitimate one (a shard of a
 * million customers snapshots to tens of MB). */
#define S_MAX_BYTES ((size_t)4 << 30)

_Static_assert(CX_SCENARIO_HASH_LEN == crypto_generichash_BYTES, "hash length");

int cx_checkpoint_init(cx_checkpoint_t *cp, int n_agents)
{
    memset(cp, 0, sizeof *cp);
    cp->agent = calloc((size_t)n_agents + 1, sizeof *cp->agent);
    cp->agent_len = calloc((size_t)n_agents + 1, sizeof *cp->agent_len);
    cp->n_agents = n_agents;
    return cp->agent && cp->agent_len ? 0 : -1;
}

void cx_checkpoint_fini(cx_checkpoint_t *cp)
{
    for (int i = 0; cp->agent && i < cp->n_agents; i++) {
        free(cp->agent[i]);
    }
    free(cp->agent);
    free(cp->agent_len);
    memset(cp, 0, sizeof *cp);
}

static void s_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t s_get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* The checksum of the header (bytes 0..23) and the body. */
static void s_sum(const uint8_t *head, const void *body, size_t len, uint8_t out[S_SUM])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, S_SUM);
    crypto_generichash_update(&st, head, S_HEAD);
    crypto_generichash_update(&st, body, len);
    crypto_generichash_final(&st, out, S_SUM);
}

int cx_checkpoint_scenario_hash(const cx_scenario_t *sc, int64_t next_tick,
                                uint8_t out[CX_SCENARIO_HASH_LEN])
{
    cx_scenario_t *cut = malloc(sizeof *cut);
    if (!cut) {
        return -1;
    }
    memcpy(cut, sc, sizeof *cut);
    /* Events from next_tick on have not acted yet: a live change or a fork
     * may add them. The run length may change on resume (--ticks). */
    int kept = 0;
    for (int i = 0; i < cut->n_event; i++) {
        if (cut->event[i].tick < next_tick) {
            memmove(&cut->event[kept++], &cut->event[i], sizeof cut->event[0]);
        }
    }
    memset(&cut->event[kept], 0, (size_t)(cut->n_event - kept) * sizeof cut->event[0]);
    cut->n_event = kept;
    cut->ticks = 1;
    char *text = NULL;
    size_t len = 0;
    int rc = cx_scenario_emit(cut, &text, &len);
    free(cut);
    if (rc != 0) {
        return -1;
    }
    crypto_generichash(out, CX_SCENARIO_HASH_LEN, (const unsigned char *)text, len, NULL, 0);
    free(text);
    return 0;
}

int cx_checkpoint_own(cx_checkpoint_t *cp, const cx_scenario_t *sc, const char *run_id)
{
    snprintf(cp->run, sizeof cp->run, "%s", run_id);
    cp->seed = sc->seed;
    return cx_checkpoint_scenario_hash(sc, cp->next_tick, cp->scenario);
}

int cx_checkpoint_write(const char *path, const cx_checkpoint_t *cp, char *err, size_t errlen)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    /* Room for the header, filled in once the body's length is known. */
    uint8_t top[S_TOP];
    memset(top, 0, sizeof top);
    int bad = msgpack_sbuffer_write(&sb, (const char *)top, sizeof top);
    bad |= msgpack_pack_array(&pk, S_FIELDS);
    bad |= msgpack_pack_str_with_body(&pk, CX_VERSION, strlen(CX_VERSION));
    bad |= msgpack_pack_str_with_body(&pk, cp->run, strlen(cp->run));
    bad |= msgpack_pack_uint64(&pk, cp->seed);
    bad |= msgpack_pack_bin_with_body(&pk, cp->scenario, sizeof cp->scenario);
    bad |= msgpack_pack_int64(&pk, cp->next_tick);
    bad |= msgpack_pack_bin_with_body(&pk, &cp->company, sizeof cp->company);
    bad |= msgpack_pack_bin_with_body(&pk, &cp->hist, sizeof cp->hist);
    bad |= msgpack_pack_bin_with_body(&pk, &cp->output, sizeof cp->output);
    bad |= msgpack_pack_array(&pk, (size_t)cp->n_agents);
    for (int i = 0; i < cp->n_agents; i++) {
        bad |= msgpack_pack_bin_with_body(&pk, cp->agent[i], cp->agent_len[i]);
    }
    int rc = 0;
    if (bad) {
        snprintf(err, errlen, "out of memory writing the checkpoint");
        rc = -1;
    } else {
        uint8_t *h = (uint8_t *)sb.data;
        size_t body = sb.size - S_TOP;
        memcpy(h, S_MAGIC, S_MAGIC_LEN);
        s_put_le(h + 8, CX_CHECKPOINT_FORMAT, 4);
        s_put_le(h + 12, 0, 4);
        s_put_le(h + 16, body, 8);
        s_sum(h, h + S_TOP, body, h + S_HEAD);
        if (cx_write_atomic(path, sb.data, sb.size) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static int s_bin(const msgpack_object *o, void *dst, size_t size)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != size) {
        return -1;
    }
    memcpy(dst, o->via.bin.ptr, size);
    return 0;
}

static int s_str_is(const msgpack_object *o, const char *s)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

/* Reads a regular file whole, without blocking on a FIFO or a device. */
static int s_slurp(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > S_MAX_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes, more than any checkpoint", path,
                 (long long)st.st_size);
        close(fd);
        return -1;
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *p = malloc(n + 1);
    if (!p) {
        snprintf(err, errlen, "out of memory reading %s", path);
        close(fd);
        return -1;
    }
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            snprintf(err, errlen, "cannot read %s: %s", path,
                     r < 0 ? strerror(errno) : "short read");
            free(p);
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    *data = p;
    *len = n;
    return 0;
}

/* Checks the envelope: 0 with the body's place, or -1 with why. */
static int s_envelope(const uint8_t *d, size_t n, size_t *body, char *why, size_t cap)
{
    if (n >= 1 + strlen(S_OLD_MAGIC) &&
        memmem(d, n < 64 ? n : 64, S_OLD_MAGIC, strlen(S_OLD_MAGIC)) != NULL) {
        snprintf(why, cap,
                 "written in checkpoint format 1 by an older cxsim; this cxsim reads format %d "
                 "only (run it again with this version)",
                 CX_CHECKPOINT_FORMAT);
        return -1;
    }
    if (n < S_MAGIC_LEN || memcmp(d, S_MAGIC, S_MAGIC_LEN) != 0) {
        snprintf(why, cap, "not a cxsim checkpoint");
        return -1;
    }
    if (n < S_TOP) {
        snprintf(why, cap, "truncated: %zu bytes, shorter than the checkpoint header", n);
        return -1;
    }
    uint64_t format = s_get_le(d + 8, 4);
    if (format != CX_CHECKPOINT_FORMAT) {
        snprintf(why, cap,
                 "written in checkpoint format %llu; this cxsim reads format %d only (%s)",
                 (unsigned long long)format, CX_CHECKPOINT_FORMAT,
                 format < CX_CHECKPOINT_FORMAT ? "an older format: run it again with this version"
                                               : "a newer cxsim wrote it");
        return -1;
    }
    uint64_t len = s_get_le(d + 16, 8);
    if (len != n - S_TOP) {
        snprintf(why, cap, "%s: %zu bytes, the header says %llu",
                 len > n - S_TOP ? "truncated" : "damaged (trailing bytes)", n,
                 (unsigned long long)(len + S_TOP));
        return -1;
    }
    uint8_t sum[S_SUM];
    s_sum(d, d + S_TOP, (size_t)len, sum);
    if (sodium_memcmp(sum, d + S_HEAD, S_SUM) != 0) {
        snprintf(why, cap, "damaged: its checksum does not match its contents");
        return -1;
    }
    *body = S_TOP;
    return 0;
}

int cx_checkpoint_read(const char *path, int n_agents, cx_checkpoint_t *cp, char *err,
                       size_t errlen)
{
    uint8_t *data = NULL;
    size_t n = 0;
    if (s_slurp(path, &data, &n, err, errlen) != 0) {
        return -1;
    }
    if (cx_checkpoint_init(cp, n_agents) != 0) {
        free(data);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char why[512];
    size_t body = 0;
    int rc = -1;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (s_envelope(data, n, &body, why, sizeof why) != 0) {
        goto done;
    }
    size_t off = 0;
    snprintf(why, sizeof why, "damaged: its contents are not a checkpoint's");
    if (msgpack_unpack_next(&u, (const char *)data + body, n - body, &off) !=
            MSGPACK_UNPACK_SUCCESS ||
        off != n - body || u.data.type != MSGPACK_OBJECT_ARRAY ||
        u.data.via.array.size != S_FIELDS) {
        goto done;
    }
    const msgpack_object *f = u.data.via.array.ptr;
    if (!s_str_is(&f[0], CX_VERSION)) {
        snprintf(why, sizeof why, "written by another cxsim version (this is %s)", CX_VERSION);
        goto done;
    }
    if (f[1].type != MSGPACK_OBJECT_STR || f[1].via.str.size != CX_RUN_ID_LEN ||
        f[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        s_bin(&f[3], cp->scenario, sizeof cp->scenario) != 0 ||
        f[4].type != MSGPACK_OBJECT_POSITIVE_INTEGER || f[4].via.u64 > CX_MAX_TICKS ||
        s_bin(&f[5], &cp->company, sizeof cp->company) != 0 ||
        s_bin(&f[6], &cp->hist, sizeof cp->hist) != 0 ||
        s_bin(&f[7], &cp->output, sizeof cp->output) != 0 || f[8].type != MSGPACK_OBJECT_ARRAY) {
        goto done;
    }
    if (f[8].via.array.size != (uint32_t)n_agents) {
        snprintf(why, sizeof why,
                 "it holds %u agents and this run has %d (another roster: departments or shards "
                 "changed)",
                 f[8].via.array.size, n_agents);
        goto done;
    }
    memcpy(cp->run, f[1].via.str.ptr, CX_RUN_ID_LEN);
    cp->run[CX_RUN_ID_LEN] = 0;
    cp->seed = f[2].via.u64;
    cp->next_tick = (int64_t)f[4].via.u64;
    for (int i = 0; i < n_agents; i++) {
        const msgpack_object *a = &f[8].via.array.ptr[i];
        if (a->type != MSGPACK_OBJECT_BIN) {
            goto done;
        }
        cp->agent_len[i] = a->via.bin.size;
        cp->agent[i] = malloc(a->via.bin.size + 1);
        if (!cp->agent[i]) {
            snprintf(why, sizeof why, "out of memory");
            goto done;
        }
        memcpy(cp->agent[i], a->via.bin.ptr, a->via.bin.size);
    }
    /* The run's result files, beside the checkpoint, must still hold every
     * row it counts: a file restored from an older copy cannot be resumed,
     * and that is said before any process starts or any file is cut. */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (cx_output_check_lengths(slash == path ? "/" : dir, &cp->output, why, sizeof why) != 0) {
        goto done;
    }
    rc = 0;
done:
    msgpack_unpacked_destroy(&u);
    free(data);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        cx_checkpoint_fini(cp);
    }
    return rc;
}

int cx_checkpoint_verify(const cx_checkpoint_t *cp, const cx_scenario_t *sc, const char *run_id,
                         char *err, size_t errlen)
{
    if (cp->seed != sc->seed) {
        snprintf(err, errlen, "it was made with seed %llu, this run's seed is %llu",
                 (unsigned long long)cp->seed, (unsigned long long)sc->seed);
        return -1;
    }
    uint8_t h[CX_SCENARIO_HASH_LEN];
    if (cx_checkpoint_scenario_hash(sc, cp->next_tick, h) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (memcmp(h, cp->scenario, sizeof h) != 0) {
        snprintf(err, errlen,
                 "it was made with another scenario (this run's scenario up to tick %lld differs)",
                 (long long)cp->next_tick);
        return -1;
    }
    if (strcmp(cp->run, run_id) != 0) {
        snprintf(err, errlen, "it belongs to another run (run %s, this run is %s)", cp->run,
                 run_id);
        return -1;
    }
    return 0;
}

int cx_checkpoint_check_agents(const cx_checkpoint_t *cp, const cx_scenario_t *sc, char *err,
                               size_t errlen)
{
    /* The scratch agents start from the scenario's steady state, as the
     * agents do before they restore. */
    cx_steady_t *steady = cx_steady_new(sc);
    if (!steady) {
        snprintf(err, errlen, "out of memory checking the agents' states");
        return -1;
    }
    int i = 0, rc = 0;
    for (int d = 0; d < sc->n_dept && i < cp->n_agents && rc == 0; d++, i++) {
        cx_dept_t *dept = cx_dept_new(sc, steady, d);
        int bad = !dept || cx_dept_restore(dept, cp->agent[i], cp->agent_len[i]) != 0;
        cx_dept_destroy(&dept);
        if (bad) {
            snprintf(err, errlen, "the state of department %s is damaged", sc->dept[d].id);
            rc = -1;
        }
    }
    for (int p = 0; p < sc->n_persona && rc == 0; p++) {
        int of = sc->persona[p].shards;
        for (int s = 0; s < of && i < cp->n_agents && rc == 0; s++, i++) {
            cx_shard_t *sh = cx_shard_new(sc, steady, p, s, of);
            int bad = !sh || cx_shard_restore(sh, cp->agent[i], cp->agent_len[i]) != 0;
            cx_shard_destroy(&sh);
            if (bad) {
                snprintf(err, errlen, "the state of persona %s shard %d/%d is damaged",
                         sc->persona[p].id, s, of);
                rc = -1;
            }
        }
    }
    cx_steady_destroy(&steady);
    return rc;
}

int cx_run_id_new(char id[CX_RUN_ID_LEN + 1])
{
    if (sodium_init() < 0) {
        return -1;
    }
    uint8_t raw[CX_RUN_ID_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(id, CX_RUN_ID_LEN + 1, raw, sizeof raw);
    return 0;
}

int cx_run_id_write(const char *dir, const char *id, char *err, size_t errlen)
{
    char path[4200], line[CX_RUN_ID_LEN + 2];
    snprintf(path, sizeof path, "%s/run.id", dir);
    int n = snprintf(line, sizeof line, "%s\n", id);
    if (cx_write_atomic(path, line, (size_t)n) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cx_run_id_read(const char *dir, char id[CX_RUN_ID_LEN + 1], char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/run.id", dir);
    uint8_t *data = NULL;
    size_t n = 0;
    if (s_slurp(path, &data, &n, err, errlen) != 0) {
        return -1;
    }
    int ok = n == CX_RUN_ID_LEN + 1 && data[CX_RUN_ID_LEN] == '\n';
    for (size_t i = 0; ok && i < CX_RUN_ID_LEN; i++) {
        ok = (data[i] >= '0' && data[i] <= '9') || (data[i] >= 'a' && data[i] <= 'f');
    }
    if (ok) {
        memcpy(id, data, CX_RUN_ID_LEN);
        id[CX_RUN_ID_LEN] = 0;
    } else {
        snprintf(err, errlen, "%s is damaged", path);
    }
    free(data);
    return ok ? 0 : -1;
}

/* The T of a name "checkpoint-T.msgpack", or -1 for any other name. */
static int64_t s_kept_tick(const char *name)
{
    static const char pre[] = "checkpoint-", suf[] = ".msgpack";
    size_t n = strlen(name), lp = sizeof pre - 1, ls = sizeof suf - 1;
    if (n <= lp + ls || strncmp(name, pre, lp) != 0 || strcmp(name + n - ls, suf) != 0) {
        return -1;
    }
    int64_t t = 0;
    for (size_t i = lp; i < n - ls; i++) {
        if (name[i] < '0' || name[i] > '9' || t > INT64_MAX / 10 - 10) {
            return -1;
        }
        t = t * 10 + (name[i] - '0');
    }
    return t;
}

/* The ticks of dir's kept checkpoints, ascending, in *ticks (malloc'ed,
 * the caller's): their count, or -1 (errno set). */
static int s_kept_ticks(const char *dir, int64_t **ticks)
{
    *ticks = NULL;
    DIR *d = opendir(dir);
    if (!d) {
        return -1;
    }
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t t = s_kept_tick(e->d_name);
        if (t < 0) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *grown = realloc(*ticks, (size_t)cap * sizeof *grown);
            if (!grown) {
                free(*ticks);
                *ticks = NULL;
                closedir(d);
                errno = ENOMEM;
                return -1;
            }
            *ticks = grown;
        }
        (*ticks)[n++] = t;
    }
    closedir(d);
    for (int i = 1; i < n; i++) { /* insertion sort: a handful of files */
        int64_t v = (*ticks)[i];
        int j = i;
        for (; j > 0 && (*ticks)[j - 1] > v; j--) {
            (*ticks)[j] = (*ticks)[j - 1];
        }
        (*ticks)[j] = v;
    }
    return n;
}

/* The directory part of path (".", when it has none). */
static void s_dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, cap, ".");
    } else {
        snprintf(dir, cap, "%.*s", (int)(slash - path), path);
    }
}

int cx_checkpoint_keep(const char *path, int64_t next_tick, int keep, char *err, size_t errlen)
{
    char dir[4096], kept[4200];
    s_dir_of(path, dir, sizeof dir);
    snprintf(kept, sizeof kept, "%s/checkpoint-%lld.msgpack", dir, (long long)next_tick);
    /* A resume that passes the same tick again writes it again. */
    if ((unlink(kept) != 0 && errno != ENOENT) || link(path, kept) != 0) {
        snprintf(err, errlen, "cannot keep %s as %s: %s", path, kept, strerror(errno));
        return -1;
    }
    int64_t *ticks;
    int n = s_kept_ticks(dir, &ticks);
    if (n < 0) {
        snprintf(err, errlen, "cannot list the checkpoints of %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n - keep; i++) {
        snprintf(kept, sizeof kept, "%s/checkpoint-%lld.msgpack", dir, (long long)ticks[i]);
        if (unlink(kept) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove %s: %s", kept, strerror(errno));
            rc = -1;
            break;
        }
    }
    free(ticks);
    return rc;
}

int cx_checkpoint_find(const char *dir, int64_t at, char *path, size_t cap, int64_t *next_tick,
                       char *err, size_t errlen)
{
    int64_t *ticks;
    int n = s_kept_ticks(dir, &ticks);
    if (n < 0) {
        snprintf(err, errlen, "cannot list the checkpoints of %s: %s", dir, strerror(errno));
        return -1;
    }
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (ticks[i] <= at) {
            best = i;
        }
    }
    if (best < 0) {
        char list[512] = "";
        size_t used = 0;
        for (int i = 0; i < n && used + 24 < sizeof list; i++) {
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", i ? ", " : "",
                                     (long long)ticks[i]);
        }
        snprintf(err, errlen, "no kept checkpoint of %s starts at tick %lld or before (%s%s)", dir,
                 (long long)at, n ? "kept: ticks " : "none kept: run it with --checkpoint-every N",
                 list);
        free(ticks);
        return -1;
    }
    *next_tick = ticks[best];
    snprintf(path, cap, "%s/checkpoint-%lld.msgpack", dir, (long long)ticks[best]);
    free(ticks);
    return 0;
}
