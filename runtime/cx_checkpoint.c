/*  cx_checkpoint — write and read a run's checkpoint (see cx_checkpoint.h). */
#include "cx_checkpoint.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_version.h"

#define S_MAGIC "cxsim-checkpoint"

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

int cx_checkpoint_write(const char *path, const cx_checkpoint_t *cp, char *err, size_t errlen)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int bad = 0;
    bad |= msgpack_pack_array(&pk, 8);
    bad |= msgpack_pack_int(&pk, 1);
    bad |= msgpack_pack_str_with_body(&pk, S_MAGIC, strlen(S_MAGIC));
    bad |= msgpack_pack_str_with_body(&pk, CX_VERSION, strlen(CX_VERSION));
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
    } else if (cx_write_atomic(path, sb.data, sb.size) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
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

int cx_checkpoint_read(const char *path, int n_agents, cx_checkpoint_t *cp, char *err,
                       size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *data = n > 0 ? malloc((size_t)n) : NULL;
    if (!data || fread(data, 1, (size_t)n, fp) != (size_t)n) {
        snprintf(err, errlen, "cannot read %s", path);
        fclose(fp);
        free(data);
        return -1;
    }
    fclose(fp);
    if (cx_checkpoint_init(cp, n_agents) != 0) {
        free(data);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = -1;
    const char *why = "not a cxsim checkpoint";
    if (msgpack_unpack_next(&u, data, (size_t)n, &off) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 8) {
        const msgpack_object *f = u.data.via.array.ptr;
        if (f[1].type == MSGPACK_OBJECT_STR && f[1].via.str.size == strlen(S_MAGIC) &&
            memcmp(f[1].via.str.ptr, S_MAGIC, strlen(S_MAGIC)) == 0) {
            why = "written by another cxsim version";
            if (f[2].type == MSGPACK_OBJECT_STR && f[2].via.str.size == strlen(CX_VERSION) &&
                memcmp(f[2].via.str.ptr, CX_VERSION, strlen(CX_VERSION)) == 0) {
                why = "damaged or for another scenario";
                if (f[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                    s_bin(&f[4], &cp->company, sizeof cp->company) == 0 &&
                    s_bin(&f[5], &cp->hist, sizeof cp->hist) == 0 &&
                    s_bin(&f[6], &cp->output, sizeof cp->output) == 0 &&
                    f[7].type == MSGPACK_OBJECT_ARRAY &&
                    f[7].via.array.size == (uint32_t)n_agents) {
                    cp->next_tick = (int64_t)f[3].via.u64;
                    rc = 0;
                    for (int i = 0; i < n_agents && rc == 0; i++) {
                        const msgpack_object *a = &f[7].via.array.ptr[i];
                        if (a->type != MSGPACK_OBJECT_BIN) {
                            rc = -1;
                            break;
                        }
                        cp->agent_len[i] = a->via.bin.size;
                        cp->agent[i] = malloc(a->via.bin.size + 1);
                        if (!cp->agent[i]) {
                            rc = -1;
                            break;
                        }
                        memcpy(cp->agent[i], a->via.bin.ptr, a->via.bin.size);
                    }
                }
            }
        }
    }
    msgpack_unpacked_destroy(&u);
    free(data);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        cx_checkpoint_fini(cp);
    }
    return rc;
}
