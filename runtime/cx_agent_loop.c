/*  cx_agent_loop — the agents' poll loop (see cx_agent_loop.h). */
#include "cx_agent_loop.h"

#include <errno.h>
#include <zmq.h>

#include "cx_log.h"
#include "cx_proc.h"
#include "cx_proto.h"

#define S_GO 0
#define S_STOP 1 /* STOP received */
#define S_FAIL -1

/* Reads the coordinator's messages (a TICK taken ends the reading). */
static int s_coordinator(cx_agent_t *a, const cx_agent_role_t *role)
{
    int type;
    while ((type = cx_agent_recv_coord(a)) != 0) {
        int r = 0;
        if (type == CX_MSG_STOP) {
            return S_STOP;
        } else if (type == CX_MSG_TICK) {
            r = role->on_tick(role->self, a);
            if (r == 0) {
                return S_GO; /* the data plane goes first */
            }
        } else if (type == CX_MSG_CHECKPOINT) {
            r = role->on_checkpoint(role->self, a);
        } else if (type > 0 && type != CX_MSG_HEARTBEAT) {
            r = 1;
        }
        if (r < 0) {
            return S_FAIL;
        }
        if (r == 1) {
            a->dropped++;
        }
    }
    return S_GO;
}

int cx_agent_loop(cx_agent_t *a, const cx_agent_role_t *role)
{
    zmq_pollitem_t items[2] = {{a->coord, 0, ZMQ_POLLIN, 0}, {role->data, 0, ZMQ_POLLIN, 0}};
    while (!cx_agent_interrupted) {
        /* Read only the sockets the poll found readable: a receive that
         * finds nothing costs two system calls (libzmq checks its pipe). */
        if (zmq_poll(items, 2, a->heartbeat_ms / 2 + 1) < 0) {
            if (errno != EINTR) {
                cx_log_error("poll failed: %s", zmq_strerror(errno));
                return 1;
            }
            items[0].revents = items[1].revents = ZMQ_POLLIN; /* look at both */
        }
        int r = (items[0].revents & ZMQ_POLLIN) ? s_coordinator(a, role) : S_GO;
        if (r == S_STOP) {
            cx_agent_bye(a);
            return 0;
        }
        if (r == S_FAIL) {
            return 1;
        }
        if (cx_agent_coordinator_lost(a)) {
            cx_log_error("the coordinator is not answering (silent for %d ms: hung or gone); "
                         "stopping",
                         2 * a->heartbeat_ms);
            return CX_EXIT_COORD_LOST;
        }
        if ((items[1].revents & ZMQ_POLLIN) && role->on_data(role->self, a) != 0) {
            return 1;
        }
        if (role->after && role->after(role->self, a) != 0) {
            return 1;
        }
        cx_agent_tick_heartbeat(a, role->tick(role->self));
    }
    cx_log_debug("interrupted");
    return 1;
}
