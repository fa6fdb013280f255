/*  cx_log — stderr diagnostics (see cx_log.h). */
#include "cx_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_who[128] = "cxsim";
static int s_debug = -1;

void cx_log_init(const char *who)
{
    snprintf(s_who, sizeof s_who, "%s", who);
    const char *v = getenv("CXSIM_LOG");
    s_debug = v && strcmp(v, "debug") == 0;
}

static void s_log(const char *level, const char *fmt, va_list ap)
{
    char line[2048];
    /* On a terminal, a message takes the place of the launcher's progress
     * line (drawn without a newline, redrawn at the next tick) instead of
     * being glued to its end. */
    int n = snprintf(line, sizeof line, "%s%s: %s", isatty(2) ? "\r\033[K" : "", s_who, level);
    if (n < 0 || (size_t)n >= sizeof line) {
        n = 0;
    }
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    /* One write per line, so lines of several processes never interleave. */
    fprintf(stderr, "%s\n", line);
}

void cx_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_log("error: ", fmt, ap);
    va_end(ap);
}

void cx_log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_log("warning: ", fmt, ap);
    va_end(ap);
}

void cx_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_log("", fmt, ap);
    va_end(ap);
}

void cx_log_debug(const char *fmt, ...)
{
    if (s_debug <= 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    s_log("", fmt, ap);
    va_end(ap);
}
