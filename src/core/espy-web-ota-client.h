/* espy-web-ota-client.h: firmware upload through the device web server
 * (POST /update, multipart/form-data), for devices with
 * `ota: - platform: web_server` or the older `web_server: ota: true`.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "espy-firmware-image.h"
#include "espy-ota-client.h"

G_BEGIN_DECLS

#define ESPY_WEB_OTA_ERROR (espy_web_ota_error_quark ())

typedef enum {
  ESPY_WEB_OTA_ERROR_CONNECT,             /* could not connect to the web server */
  ESPY_WEB_OTA_ERROR_TIMEOUT,             /* no progress / no answer in time */
  ESPY_WEB_OTA_ERROR_AUTH_REQUIRED,       /* 401 and we had no user name */
  ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS,   /* 401 after sending credentials */
  ESPY_WEB_OTA_ERROR_NO_WEB_OTA,          /* 404: the web server has no /update */
  ESPY_WEB_OTA_ERROR_UPDATE_FAILED,       /* the device answered "Update Failed..." */
  ESPY_WEB_OTA_ERROR_UNEXPECTED_RESPONSE, /* any other status or body */
  ESPY_WEB_OTA_ERROR_CLOSED,              /* connection dropped before an answer */
} EspyWebOtaError;

#define ESPY_WEB_OTA_DEFAULT_PORT               80
#define ESPY_WEB_OTA_DEFAULT_CONNECT_TIMEOUT_MS 20000
#define ESPY_WEB_OTA_DEFAULT_READ_TIMEOUT_MS    120000

GQuark      espy_web_ota_error_quark (void);
/* "connect", "timeout", "wrong-credentials", ...: the CLI's JSON "code". */
const char *espy_web_ota_error_to_nick (EspyWebOtaError code);

/* Signals:
 *   ::stage-changed (EspyOtaStage stage)  CONNECT, UPLOAD, VERIFY (waiting
 *        for the answer), REBOOT (success answer read), DONE
 *   ::progress (guint64 sent, guint64 total)  image bytes handed to the
 *        socket, never decreasing within one UPLOAD stage. A Digest retry
 *        sends the image again: it starts with a new ::stage-changed UPLOAD
 *        and progress from 0. */
#define ESPY_TYPE_WEB_OTA_CLIENT (espy_web_ota_client_get_type ())
G_DECLARE_FINAL_TYPE (EspyWebOtaClient, espy_web_ota_client, ESPY, WEB_OTA_CLIENT, GObject)

/* PORT 0 = ESPY_WEB_OTA_DEFAULT_PORT. */
EspyWebOtaClient *espy_web_ota_client_new              (const char          *host,
                                                        guint16              port);

/* USER NULL or "" = no authentication. Sent as preemptive Basic (both device
 * flavours accept it); a Digest challenge is answered once. */
void              espy_web_ota_client_set_credentials  (EspyWebOtaClient    *self,
                                                        const char          *user,
                                                        const char          *password);
/* Connect: until the TCP connection is up. Read: the longest silence while
 * sending or while waiting for the answer (the device erases and verifies
 * flash before answering). */
void              espy_web_ota_client_set_timeouts     (EspyWebOtaClient    *self,
                                                        guint                connect_ms,
                                                        guint                read_ms);
/* The filename in the multipart part; "firmware.bin" by default. */
void              espy_web_ota_client_set_filename     (EspyWebOtaClient    *self,
                                                        const char          *filename);

/* Uploads IMAGE (already checked by EspyFirmwareImage). Signals are emitted
 * on the caller's thread-default main context. */
void              espy_web_ota_client_upload_async     (EspyWebOtaClient    *self,
                                                        EspyFirmwareImage   *image,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Loads and checks FILE first (ESPY_FIRMWARE_ERROR on a bad or factory
 * image, before any connection), then uploads it. */
void              espy_web_ota_client_upload_file_async (EspyWebOtaClient   *self,
                                                        GFile               *file,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Finishes either upload. */
gboolean          espy_web_ota_client_upload_finish    (EspyWebOtaClient    *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

EspyOtaStage      espy_web_ota_client_get_stage        (EspyWebOtaClient    *self);
/* The stage in which the last upload failed (IDLE if it did not). */
EspyOtaStage      espy_web_ota_client_get_failed_stage (EspyWebOtaClient    *self);
/* HTTP status of the last answer, 0 if none. */
guint             espy_web_ota_client_get_http_status  (EspyWebOtaClient    *self);
/* The device's answer text of the last upload (trimmed), or NULL. */
const char       *espy_web_ota_client_get_response     (EspyWebOtaClient    *self);
guint64           espy_web_ota_client_get_bytes_sent   (EspyWebOtaClient    *self);
guint64           espy_web_ota_client_get_total        (EspyWebOtaClient    *self);

/* Shared with EspyEventStream: device web servers want the same things.
 * A session with no proxy, no automatic auth handling (we answer 401s
 * ourselves, so a request body is never resent by libsoup) and no
 * connection reuse. */
SoupSession      *espy_web_session_new                 (void);
/* "Basic dXNlcjpwYXNz". */
char             *espy_web_basic_authorization         (const char          *user,
                                                        const char          *password);
/* The answer to the Digest challenge of CHALLENGED (a 401 response) for the
 * request NEXT, with parameters separated by ", " as Arduino devices need;
 * NULL when CHALLENGED carries no usable Digest challenge. */
char             *espy_web_digest_authorization        (SoupMessage         *challenged,
                                                        SoupMessage         *next,
                                                        const char          *user,
                                                        const char          *password);
/* The challenge schemes of a 401, for messages: TRUE when one is Digest. */
gboolean          espy_web_has_digest_challenge        (SoupMessage         *challenged);

G_END_DECLS
