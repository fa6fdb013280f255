/*  cx_exp_sha256 — SHA-256 of buffers and files (see cx_exp_sha256.h), on
 *  libsodium's crypto_hash_sha256.
 */
#include "cx_exp_sha256.h"

#include <stdio.h>

void cx_sha256_init(cx_sha256_t *s)
{
    crypto_hash_sha256_init(&s->st);
}

void cx_sha256_update(cx_sha256_t *s, const void *data, size_t len)
{
    crypto_hash_sha256_update(&s->st, data, len);
}

void cx_sha256_final_hex(cx_sha256_t *s, char hex[CX_SHA256_HEX])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&s->st, d);
    sodium_bin2hex(hex, CX_SHA256_HEX, d, sizeof d);
}

void cx_exp_sha256_hex(const void *data, size_t len, char hex[CX_SHA256_HEX])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(hex, CX_SHA256_HEX, d, sizeof d);
}

int cx_exp_sha256_file(const char *path, char hex[CX_SHA256_HEX])
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return -1;
    }
    cx_sha256_t s;
    cx_sha256_init(&s);
    char buf[16384];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        cx_sha256_update(&s, buf, n);
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        return -1;
    }
    cx_sha256_final_hex(&s, hex);
    return 0;
}
