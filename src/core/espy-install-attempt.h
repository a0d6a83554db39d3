/* espy-install-attempt.h: the record of one install attempt (stages with
 * timestamps, bytes, rate samples, device error code, transport, image,
 * result, post-reboot check), as EspyInstallJob::finished hands it to the
 * history. Never holds a secret: no password, key or credential is ever
 * put in it, so it can be stored and shown as is.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One state the job passed ("building", "preparing", "connecting", ...). */
typedef struct {
  char   *name;      /* the state's nick */
  gint64  started;   /* wall-clock µs */
  gint64  finished;  /* wall-clock µs; 0 while running */
} EspyInstallAttemptStage;

/* Progress of the upload, one sample about every 250 ms. */
typedef struct {
  guint   elapsed_ms;  /* since the upload stage started */
  guint64 sent;        /* bytes handed to the socket */
  guint64 acked;       /* bytes the device acknowledged */
} EspyInstallRateSample;

/* Read the fields directly. Strings are NULL when unknown. */
typedef struct {
  int      version;             /* of this record's format: 1 */
  char    *device_name;
  gint64   started;             /* wall-clock µs */
  gint64   finished;
  char    *result;              /* "succeeded", "failed", "cancelled" */
  char    *failed_state;        /* the state that failed, or NULL */
  char    *error_domain;        /* "ota", "web-ota", "install", "build", "firmware", "io", ... */
  char    *error_code;          /* a stable nick ("password-rejected", "old-firmware", ...) */
  char    *error_message;       /* the user-facing message */
  int      device_code;         /* the device's OTA error byte, or -1 */
  char    *transport;           /* "ota" or "web" (what was used) */
  char    *transport_reason;    /* why, one line */
  gboolean built;               /* the job ran the compiler first */
  char    *image_name;
  guint64  image_size;
  char    *image_md5;
  gboolean compressed;
  guint64  bytes_sent;
  guint64  bytes_acked;
  guint64  bytes_total;         /* on the wire (gzip size when compressed) */
  char    *old_version;
  char    *new_version;
  char    *expected_version;
  char    *old_compilation_time;
  char    *new_compilation_time;
  /* "new-build", "old-build", "back" (up, no API to ask), "not-back",
   * "not-checked" */
  char    *verify;
  GArray  *stages;              /* EspyInstallAttemptStage */
  GArray  *rate_samples;        /* EspyInstallRateSample */

  /*< private >*/
  gatomicrefcount ref_count;
} EspyInstallAttempt;

#define ESPY_INSTALL_ATTEMPT_FORMAT_VERSION 1

#define ESPY_TYPE_INSTALL_ATTEMPT (espy_install_attempt_get_type ())
GType               espy_install_attempt_get_type    (void) G_GNUC_CONST;
EspyInstallAttempt *espy_install_attempt_new         (void);
EspyInstallAttempt *espy_install_attempt_ref         (EspyInstallAttempt       *attempt);
void                espy_install_attempt_unref       (EspyInstallAttempt       *attempt);

/* Ends the open stage (if any) at NOW and opens NAME. NAME NULL only closes. */
void                espy_install_attempt_enter_stage (EspyInstallAttempt       *attempt,
                                                      const char               *name,
                                                      gint64                    now);
void                espy_install_attempt_add_sample  (EspyInstallAttempt       *attempt,
                                                      guint                     elapsed_ms,
                                                      guint64                   sent,
                                                      guint64                   acked);
/* Replaces the string field at FIELD (one of the char * members). */
void                espy_install_attempt_set_string  (EspyInstallAttempt       *attempt,
                                                      char                    **field,
                                                      const char               *value);

/* A JSON object with every field (members in snake_case, stages and
 * rate_samples as arrays). */
JsonNode           *espy_install_attempt_to_json     (const EspyInstallAttempt *attempt);
char               *espy_install_attempt_to_string   (const EspyInstallAttempt *attempt);
/* The reverse; unknown members are ignored, missing ones stay unset.
 * NULL with G_IO_ERROR_INVALID_DATA when NODE is no object or a member has
 * the wrong type. */
EspyInstallAttempt *espy_install_attempt_from_json   (JsonNode                 *node,
                                                      GError                  **error);
EspyInstallAttempt *espy_install_attempt_from_string (const char               *text,
                                                      GError                  **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyInstallAttempt, espy_install_attempt_unref)

G_END_DECLS
