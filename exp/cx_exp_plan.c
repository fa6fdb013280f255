/*  cx_exp_plan — experiments: points, replicates, resume (see
 *  cx_exp_plan.h).
 */
#include "cx_exp_plan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cx_exp_sha256.h"
#include "cx_exp_util.h"
#include "cx_load.h"
#include "cx_output.h"

int cx_exp_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void cx_exp_default_dir(char *buf, size_t cap, const char *prefix, const char *name,
                        const char *definition)
{
    char hex[CX_SHA256_HEX];
    cx_exp_sha256_hex(definition, strlen(definition), hex);
    snprintf(buf, cap, "%s/%s-%.8s", prefix, name, hex);
}

void cx_exp_default_dir_for(char *buf, size_t cap, const char *prefix, const char *scenario,
                            const char *definition)
{
    const char *base = strrchr(scenario, '/');
    char name[128];
    snprintf(name, sizeof name, "%s", base ? base + 1 : scenario);
    char *dot = strrchr(name, '.');
    if (dot && dot != name) {
        *dot = '\0';
    }
    cx_exp_default_dir(buf, cap, prefix, name, definition);
}

int cx_exp_plan_init(cx_exp_plan_t *pl, const char *root, const char *db_name, char *err,
                     size_t errlen)
{
    memset(pl, 0, sizeof *pl);
    pl->cache_pi = -1;
    pl->lock_fd = -1;
    if (cx_mkdirs(root) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", root, strerror(errno));
        return -1;
    }
    char real[PATH_MAX];
    if (!realpath(root, real)) {
        snprintf(err, errlen, "cannot resolve %s: %s", root, strerror(errno));
        return -1;
    }
    snprintf(pl->root, sizeof pl->root, "%s", real);
    ssize_t n = readlink("/proc/self/exe", pl->exe, sizeof pl->exe - 1);
    if (n <= 0) {
        snprintf(err, errlen, "cannot find my own executable: %s", strerror(errno));
        return -1;
    }
    pl->exe[n] = '\0';
    snprintf(pl->db_path, sizeof pl->db_path, "%s/%s", pl->root, db_name);
    pl->db = cx_exp_db_open(pl->db_path, err, errlen);
    return pl->db ? 0 : -1;
}

static void s_point_fini(cx_exp_ppoint_t *p)
{
    free(p->key);
    free(p->label);
    free(p->scenario);
    free(p->params_json);
    for (int i = 0; i < p->n_sets; i++) {
        free(p->sets[i]);
    }
    free(p->sets);
    memset(p, 0, sizeof *p);
}

void cx_exp_plan_fini(cx_exp_plan_t *pl)
{
    for (int i = 0; i < pl->n_point; i++) {
        s_point_fini(&pl->point[i]);
    }
    free(pl->point);
    cx_exp_db_close(&pl->db);
    free(pl->cache);
    if (pl->lock_fd >= 0) {
        close(pl->lock_fd); /* releases the lock */
    }
    memset(pl, 0, sizeof *pl);
    pl->cache_pi = -1;
    pl->lock_fd = -1;
}

int cx_exp_plan_lock(cx_exp_plan_t *pl, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", pl->root);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen,
                 "another sweep or comparison is running in %s (it holds %s); wait for it or "
                 "use another --out",
                 pl->root, path);
        close(fd);
        return -1;
    }
    pl->lock_fd = fd;
    return 0;
}

int cx_exp_plan_find(const cx_exp_plan_t *pl, long long point_id)
{
    for (int i = 0; i < pl->n_point; i++) {
        if (pl->point[i].id == point_id) {
            return i;
        }
    }
    return -1;
}

/* The overrides a point's scenario is loaded with: its sets, then --seed,
 * as cxsim run applies them (--ticks is applied after loading, see
 * s_load). Pointers into p and sbuf. */
static int s_load_sets(const cx_exp_plan_t *pl, const cx_exp_ppoint_t *p, const char **sets,
                       char sbuf[64])
{
    int n = 0;
    for (int i = 0; i < p->n_sets; i++) {
        sets[n++] = p->sets[i];
    }
    if (pl->seed) {
        snprintf(sbuf, 64, "seed=%s", pl->seed);
        sets[n++] = sbuf;
    }
    return n;
}

/* Loads point pi's scenario into the cache (so that planning the
 * replicates of one point loads its file once). Returns 0, 2 (invalid,
 * diagnostics printed) or -1. */
static int s_load(cx_exp_plan_t *pl, int pi, char *err, size_t errlen)
{
    if (pl->cache && pl->cache_pi == pi) {
        return 0;
    }
    if (!pl->cache) {
        pl->cache = malloc(sizeof *pl->cache);
        if (!pl->cache) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    pl->cache_pi = -1;
    const cx_exp_ppoint_t *p = &pl->point[pi];
    const char *sets[CX_EXP_MAX_AXES * 2 + 4];
    char sbuf[64];
    int n = s_load_sets(pl, p, sets, sbuf);
    cx_diags_t d;
    cx_diags_init(&d);
    if (cx_scenario_load_file(p->scenario, sets, n, pl->cache, &d) != 0) {
        cx_diags_print(stderr, &d);
        snprintf(err, errlen, "%d error%s in %s%s%s", d.n, d.n == 1 ? "" : "s", p->scenario,
                 p->n_sets ? " with " : "", p->n_sets ? p->sets[0] : "");
        if (p->n_sets > 1) {
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " (and %d more --set)", p->n_sets - 1);
        }
        cx_diags_fini(&d);
        return 2;
    }
    cx_diags_fini(&d);
    /* Exactly as cxsim run --ticks does: the resolved scenario, and so its
     * hash, must be the one the run will write. */
    if (pl->ticks && cx_scenario_set_ticks(pl->cache, atoi(pl->ticks)) < 0) {
        snprintf(err, errlen, "--ticks %s is out of range", pl->ticks);
        return 2;
    }
    pl->cache_pi = pi;
    return 0;
}

const cx_scenario_t *cx_exp_plan_scenario(cx_exp_plan_t *pl, int pi, char *err, size_t errlen)
{
    if (pi < 0 || pi >= pl->n_point) {
        snprintf(err, errlen, "no point %d", pi);
        return NULL;
    }
    return s_load(pl, pi, err, errlen) == 0 ? pl->cache : NULL;
}

int cx_exp_plan_point_add(cx_exp_plan_t *pl, const char *scenario, const char *label,
                          const char *key, char *const *sets, int n_sets, const char *params_json,
                          char *err, size_t errlen)
{
    if (pl->n_point == pl->cap_point) {
        int cap = pl->cap_point ? pl->cap_point * 2 : 16;
        cx_exp_ppoint_t *p = realloc(pl->point, (size_t)cap * sizeof *p);
        if (!p) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        pl->point = p;
        pl->cap_point = cap;
    }
    char real[PATH_MAX];
    if (!realpath(scenario, real)) {
        snprintf(err, errlen, "cannot read %s: %s", scenario, strerror(errno));
        return -2;
    }
    cx_exp_ppoint_t *p = &pl->point[pl->n_point];
    memset(p, 0, sizeof *p);
    p->key = strdup(key);
    p->label = strdup(label ? label : "");
    p->scenario = strdup(real);
    p->params_json = strdup(params_json);
    p->sets = calloc((size_t)(n_sets > 0 ? n_sets : 1), sizeof *p->sets);
    bool oom = !p->key || !p->label || !p->scenario || !p->params_json || !p->sets;
    for (int i = 0; !oom && i < n_sets; i++) {
        p->sets[i] = strdup(sets[i]);
        oom = !p->sets[i];
        p->n_sets += !oom;
    }
    if (oom) {
        s_point_fini(p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int pi = pl->n_point++;
    int rc = s_load(pl, pi, err, errlen);
    if (rc != 0) {
        s_point_fini(p);
        pl->n_point--;
        return rc == 2 ? -2 : -1;
    }
    p->base_seed = pl->cache->seed;
    p->id = cx_exp_db_point(pl->db, p->key, p->label, p->scenario, p->params_json, err, errlen);
    if (p->id < 0) {
        s_point_fini(p);
        pl->n_point--;
        return -1;
    }
    return pi;
}

int cx_exp_plan_build_run(cx_exp_plan_t *pl, int pi, int r, cx_exp_run_t *run, char *err,
                          size_t errlen)
{
    memset(run, 0, sizeof *run);
    int rc = s_load(pl, pi, err, errlen);
    if (rc != 0) {
        return -1;
    }
    const cx_exp_ppoint_t *p = &pl->point[pi];
    uint64_t seed = cx_exp_seed(p->base_seed, pl->crn ? NULL : p->key, r);
    uint64_t keep = pl->cache->seed;
    pl->cache->seed = seed;
    char *yaml = NULL;
    size_t len = 0;
    rc = cx_scenario_emit(pl->cache, &yaml, &len);
    pl->cache->seed = keep;
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    cx_exp_sha256_hex(yaml, len, run->sha);
    free(yaml);
    run->point = p->id;
    run->replicate = r;
    run->seed = seed;
    snprintf(run->dir, sizeof run->dir, "runs/p%06lld-r%04d", p->id, r);
    cx_buf_t sets;
    cx_buf_init(&sets);
    cx_buf_printf(&sets, "[");
    for (int i = 0; i < p->n_sets; i++) {
        cx_buf_printf(&sets, "%s", i ? ", " : "");
        cx_json_text(&sets, p->sets[i]);
    }
    cx_buf_printf(&sets, "]");
    char seedbuf[32];
    snprintf(seedbuf, sizeof seedbuf, "%llu", (unsigned long long)seed);
    const char *args[CX_EXP_MAX_ARGS];
    int n = 0;
    args[n++] = p->scenario;
    args[n++] = "--seed";
    args[n++] = seedbuf;
    if (pl->ticks) {
        args[n++] = "--ticks";
        args[n++] = pl->ticks;
    }
    for (int i = 0; i < p->n_sets && n + 2 <= CX_EXP_MAX_ARGS; i++) {
        args[n++] = "--set";
        args[n++] = p->sets[i];
    }
    bool oom = sets.oom;
    run->point_key = strdup(p->key);
    run->label = strdup(p->label);
    run->params_json = strdup(p->params_json);
    run->scenario = strdup(p->scenario);
    run->sets_json = strdup(cx_buf_str(&sets));
    cx_buf_fini(&sets);
    oom |= !run->point_key || !run->label || !run->params_json || !run->scenario || !run->sets_json;
    for (int i = 0; i < n && !oom; i++) {
        run->arg[i] = strdup(args[i]);
        oom = !run->arg[i];
        run->n_arg += !oom;
    }
    if (oom) {
        cx_exp_run_fini(run);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int cx_exp_plan_queue(cx_exp_plan_t *pl, int pi, int from, int to, cx_exp_exec_t *ex, int *todo,
                      char *err, size_t errlen)
{
    int queued = 0;
    cx_exp_ppoint_t *p = &pl->point[pi];
    for (int r = from; r < to; r++) {
        cx_exp_run_t run;
        if (cx_exp_plan_build_run(pl, pi, r, &run, err, errlen) != 0) {
            return -1;
        }
        char sha[65];
        int done = cx_exp_db_run_done(pl->db, p->id, r, sha);
        if (done == 0) {
            /* Finished but not recorded (killed in between, or a worker's)? */
            char dir[4700], path[4800];
            snprintf(dir, sizeof dir, "%s/%s", pl->root, run.dir);
            snprintf(path, sizeof path, "%s/run.json", dir);
            if (access(path, F_OK) == 0) {
                char why[1024];
                int rc = cx_exp_db_import(pl->db, dir, run.dir, why, sizeof why);
                if (rc == 1) {
                    pl->recovered++;
                    done = cx_exp_db_run_done(pl->db, p->id, r, sha);
                }
            }
        }
        if (done < 0) {
            snprintf(err, errlen, "cannot read %s", pl->db_path);
            cx_exp_run_fini(&run);
            return -1;
        }
        if (done == 1) {
            if (strcmp(sha, run.sha) != 0) {
                snprintf(err, errlen,
                         "%s holds a different experiment: replicate %d of point %lld was run "
                         "with a scenario whose resolved form differs (sha256 %.12s, now "
                         "%.12s): the scenario file, --ticks, --seed or the model's defaults "
                         "changed. Use another --out directory",
                         pl->root, r, p->id, sha, run.sha);
                cx_exp_run_fini(&run);
                return 2;
            }
            pl->skipped++;
            cx_exp_run_fini(&run);
            continue;
        }
        if (ex && cx_exp_exec_add(ex, &run) != 0) {
            snprintf(err, errlen, "out of memory");
            cx_exp_run_fini(&run);
            return -1;
        }
        p->outstanding += ex ? 1 : 0;
        queued++;
        cx_exp_run_fini(&run);
    }
    if (to > p->planned) {
        p->planned = to;
    }
    if (todo) {
        *todo = queued;
    }
    return 0;
}

static int s_name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int cx_exp_plan_collect_dir(cx_exp_db_t *db, const char *root, int *added, int *failed,
                            int *already, char *err, size_t errlen)
{
    int n_add = 0, n_fail = 0, n_already = 0;
    char runs[4200];
    snprintf(runs, sizeof runs, "%s/runs", root);
    struct dirent **names = NULL;
    int n = scandir(runs, &names, NULL, s_name_cmp);
    if (n < 0) {
        if (errno == ENOENT) {
            n = 0;
        } else {
            snprintf(err, errlen, "cannot read %s: %s", runs, strerror(errno));
            return -1;
        }
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        if (rc == 0 && nm[0] != '.') {
            char dir[4600], path[4700], rel[600];
            snprintf(dir, sizeof dir, "%s/%s", runs, nm);
            snprintf(path, sizeof path, "%s/run.json", dir);
            snprintf(rel, sizeof rel, "runs/%s", nm);
            if (access(path, F_OK) == 0) {
                char why[1024];
                int r = cx_exp_db_import(db, dir, rel, why, sizeof why);
                if (r == 1) {
                    n_add++;
                } else if (r == 0) {
                    n_fail++;
                } else if (r == 2) {
                    n_already++;
                } else {
                    snprintf(err, errlen, "%s", why);
                    rc = -1;
                }
            }
        }
        free(names[i]);
    }
    free(names);
    if (added) {
        *added = n_add;
    }
    if (failed) {
        *failed = n_fail;
    }
    if (already) {
        *already = n_already;
    }
    return rc;
}

/* ---- plan lines for workers ---------------------------------------------- */

void cx_exp_run_to_json(cx_buf_t *b, const cx_exp_run_t *run)
{
    cx_buf_printf(b, "{\"dir\": ");
    cx_json_text(b, run->dir);
    cx_buf_printf(b, ", \"point\": %lld, \"replicate\": %d, \"seed\": %llu, \"sha\": \"%s\"",
                      run->point, run->replicate, (unsigned long long)run->seed, run->sha);
    cx_buf_printf(b, ", \"point_key\": ");
    cx_json_text(b, run->point_key ? run->point_key : "");
    cx_buf_printf(b, ", \"label\": ");
    cx_json_text(b, run->label ? run->label : "");
    cx_buf_printf(b, ", \"params\": %s", run->params_json ? run->params_json : "{}");
    cx_buf_printf(b, ", \"scenario\": ");
    cx_json_text(b, run->scenario ? run->scenario : "");
    cx_buf_printf(b, ", \"sets\": %s, \"args\": [", run->sets_json ? run->sets_json : "[]");
    for (int i = 0; i < run->n_arg; i++) {
        cx_buf_printf(b, "%s", i ? ", " : "");
        cx_json_text(b, run->arg[i]);
    }
    cx_buf_printf(b, "]}");
}

int cx_exp_run_from_json(const char *line, cx_exp_run_t *run, char *err, size_t errlen)
{
    memset(run, 0, sizeof *run);
    json_error_t je;
    json_t *doc = json_loads(line, 0, &je);
    const json_t *dir = json_object_get(doc, "dir"), *args = json_object_get(doc, "args");
    if (!json_is_object(doc) || !json_is_string(dir) ||
        !json_is_integer(json_object_get(doc, "seed")) || !json_is_array(args) ||
        json_array_size(args) < 1 || json_array_size(args) > CX_EXP_MAX_ARGS) {
        snprintf(err, errlen, "not a plan line");
        json_decref(doc);
        return -1;
    }
    const char *d = json_string_value(dir);
    /* The directory must stay inside the experiment directory. */
    if (strncmp(d, "runs/", 5) != 0 || strstr(d, "..") || strlen(d) >= sizeof run->dir) {
        snprintf(err, errlen, "bad run directory '%s' in the plan", d);
        json_decref(doc);
        return -1;
    }
    snprintf(run->dir, sizeof run->dir, "%s", d);
    run->point = cx_json_int(json_object_get(doc, "point"));
    run->replicate = (int)cx_json_int(json_object_get(doc, "replicate"));
    run->seed = (uint64_t)cx_json_int(json_object_get(doc, "seed"));
    char *sha = cx_json_value_dup(json_object_get(doc, "sha"));
    snprintf(run->sha, sizeof run->sha, "%s", sha ? sha : "");
    free(sha);
    run->point_key = cx_json_value_dup(json_object_get(doc, "point_key"));
    run->label = cx_json_value_dup(json_object_get(doc, "label"));
    run->scenario = cx_json_value_dup(json_object_get(doc, "scenario"));
    const json_t *params = json_object_get(doc, "params"), *sets = json_object_get(doc, "sets");
    run->params_json = cx_json_value_dup(params);
    run->sets_json = cx_json_value_dup(sets);
    bool oom =
        !run->point_key || !run->label || !run->params_json || !run->scenario || !run->sets_json;
    if (!oom && !run->params_json[0]) {
        free(run->params_json);
        oom = !(run->params_json = strdup("{}"));
    }
    if (!oom && !run->sets_json[0]) {
        free(run->sets_json);
        oom = !(run->sets_json = strdup("[]"));
    }
    for (size_t i = 0; !oom && i < json_array_size(args); i++) {
        run->arg[run->n_arg] = cx_json_value_dup(json_array_get(args, i));
        oom = !run->arg[run->n_arg];
        run->n_arg += !oom;
    }
    json_decref(doc);
    if (oom) {
        snprintf(err, errlen, "out of memory");
        cx_exp_run_fini(run);
        return -1;
    }
    return 0;
}
