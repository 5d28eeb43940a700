/* contact_record.h — the stored contact of a user and its encoding
 * (src/store/contact_record.c). One record per user in the `users` database.
 *
 * A tamis_contact owns every string and array it points to; free it with
 * tamis_contact_free(). Tags are kept sorted and unique, attributes sorted by key,
 * identities sorted by (platform, id). */
#ifndef TAMIS_CONTACT_RECORD_H
#define TAMIS_CONTACT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"

typedef struct tamis_kv {
    char *key;
    char *value;
} tamis_kv;

typedef struct tamis_identity {
    uint8_t platform; /* interned platform id */
    bool learned;     /* known from events only (a learned or placeholder identity), not
                         from a contacts file: it carries no date, so the model counts
                         the user present on the platform from its events alone */
    char *id;
} tamis_identity;

typedef struct tamis_contact {
    char *key;            /* the operator's user key */
    bool auto_created;    /* created from an unknown <platform>:<id>, not from contacts */
    char *phone_e164;     /* NULL when no phone */
    bool phone_valid;
    uint8_t phone_type;   /* tamis_phone_type */
    char phone_region[3];
    char country[3];      /* "" when unknown */
    char *tz;             /* NULL when unknown */
    char *name;           /* NULL when unknown */
    char **tags; size_t n_tags;
    tamis_kv *attrs; size_t n_attrs;
    tamis_identity *ids; size_t n_ids;
} tamis_contact;

void tamis_contact_init(tamis_contact *c);
void tamis_contact_free(tamis_contact *c);

/* Replaces *slot (freeing the old string) with a copy of s (len bytes), or NULL when
 * len is 0. */
void tamis_contact_set_str(char **slot, const char *s, size_t len);
/* Adds a tag if absent. */
void tamis_contact_add_tag(tamis_contact *c, const char *tag, size_t len);
/* Sets an attribute, replacing an older value. */
void tamis_contact_set_attr(tamis_contact *c, const char *key, size_t key_len, const char *value,
                            size_t value_len);
/* Adds an identity if absent; returns true when it was added. learned: it comes from
 * events, not from a contacts file (an identity present both ways is not learned). */
bool tamis_contact_add_identity(tamis_contact *c, uint8_t platform, const char *id, size_t len, bool learned);
/* Removes an identity if present. */
void tamis_contact_remove_identity(tamis_contact *c, uint8_t platform, const char *id, size_t len);

/* Encodes into *buf (grown with tamis_realloc; caller owns it). */
void tamis_contact_encode(const tamis_contact *c, uint8_t **buf, size_t *cap, size_t *len);
/* Decodes into c (initialised by the call). TAMIS_ECORRUPT on malformed bytes. */
int tamis_contact_decode(tamis_contact *c, const void *buf, size_t len, tamis_error *err) TAMIS_WUR;

#endif
