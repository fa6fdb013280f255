/*  cx_exp_sha256 — SHA-256 (FIPS 180-4) of a buffer or a file, as the
 *  content hash that experiments record for every run's resolved scenario.
 *
 *  Why SHA-256 and not a cheaper hash: the hash is provenance a person can
 *  check by hand (`sha256sum DIR/runs/p0001-r002/scenario.resolved.yaml`
 *  gives the value stored in sweep.db), and a collision must never make two
 *  different scenarios look like one.
 *
 *  The hash itself is libsodium's crypto_hash_sha256 (already a dependency,
 *  for CurveZMQ run keys): this module only keeps the project's names and
 *  the lowercase hex form.
 *
 *  Ownership: caller storage only. Errors: cx_exp_sha256_file returns -1
 *  with errno when the file cannot be read.
 */
#ifndef CX_EXP_SHA256_H
#define CX_EXP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CX_SHA256_HEX 65 /* 64 hex digits and the NUL */

#include <sodium.h>

typedef struct {
    crypto_hash_sha256_state st; /* libsodium's incremental state */
} cx_sha256_t;

void cx_sha256_init(cx_sha256_t *s);
void cx_sha256_update(cx_sha256_t *s, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits and a NUL into hex. */
void cx_sha256_final_hex(cx_sha256_t *s, char hex[CX_SHA256_HEX]);

/* One-shot helpers. */
void cx_exp_sha256_hex(const void *data, size_t len, char hex[CX_SHA256_HEX]);
int cx_exp_sha256_file(const char *path, char hex[CX_SHA256_HEX]);

#endif
