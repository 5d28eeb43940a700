/* limits.h — every named cap on input. Hitting one rejects that record (or fails the
 * command) with a message naming the cap; nothing is truncated silently. */
#ifndef TAMIS_LIMITS_H
#define TAMIS_LIMITS_H

#define TAMIS_MAX_LINE_BYTES (64 * 1024)   /* one physical or quoted-joined record */
#define TAMIS_MAX_FIELD_BYTES 1024         /* one CSV field or JSON string value */
#define TAMIS_MAX_FIELDS 128               /* columns in a CSV header / keys in an object */
#define TAMIS_MAX_PLATFORM_BYTES 32        /* platform names: [a-z0-9_.-] */
#define TAMIS_MAX_PLATFORMS 254            /* distinct interned platforms per store */
#define TAMIS_MAX_USER_KEY_BYTES 256       /* operator's user key */
#define TAMIS_REJECT_RAW_BYTES 512         /* raw line copied into the rejects file */
#define TAMIS_MAX_JSON_DEPTH 32            /* nesting skipped inside an NDJSON value */

#endif
