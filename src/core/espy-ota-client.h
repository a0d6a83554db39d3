/* espy-ota-client.h: an ESPHome native OTA client (protocol versions 1 and 2,
 * MD5 and SHA256 auth, compression, pipelined data phase).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-firmware-image.h"

G_BEGIN_DECLS

typedef enum {
  ESPY_OTA_STAGE_IDLE,
  ESPY_OTA_STAGE_CONNECT,    /* resolving and connecting */
  ESPY_OTA_STAGE_HANDSHAKE,  /* magic, version, features */
  ESPY_OTA_STAGE_AUTH,       /* challenge / response */
  ESPY_OTA_STAGE_PREPARE,    /* size sent, device erasing flash; MD5 */
  ESPY_OTA_STAGE_UPLOAD,     /* data blocks */
  ESPY_OTA_STAGE_VERIFY,     /* waiting for receive OK / update end OK */
  ESPY_OTA_STAGE_REBOOT,     /* end acknowledged: the device is rebooting */
  ESPY_OTA_STAGE_DONE,
} EspyOtaStage;

#define ESPY_OTA_DEFAULT_WINDOW 16
#define ESPY_OTA_DEFAULT_HANDSHAKE_TIMEOUT_MS 20000
#define ESPY_OTA_DEFAULT_DATA_TIMEOUT_MS      90000
#define ESPY_OTA_DEFAULT_RETRIES              2
#define ESPY_OTA_DEFAULT_RETRY_DELAY_MS       5000

/* "connect", "handshake", ... as the CLI's JSON writes them. */
const char *espy_ota_stage_to_nick   (EspyOtaStage stage);
/* "Connecting", "Checking the password", ...: for progress UIs. */
const char *espy_ota_stage_describe  (EspyOtaStage stage);

/* Signals:
 *   ::stage-changed (EspyOtaStage stage)       as each stage starts
 *   ::progress (guint64 sent, guint64 acked, guint64 total)
 *        during the data phase; acked = bytes the device acknowledged (v2)
 *        or written to the socket (v1, which has no acks). */
#define ESPY_TYPE_OTA_CLIENT (espy_ota_client_get_type ())
G_DECLARE_FINAL_TYPE (EspyOtaClient, espy_ota_client, ESPY, OTA_CLIENT, GObject)

EspyOtaClient *espy_ota_client_new                  (const char           *host,
                                                     guint16               port);

/* NULL or "" = no password (as every device treats an empty one). */
void           espy_ota_client_set_password         (EspyOtaClient        *self,
                                                     const char           *password);
/* Blocks in flight in the data phase; 1 = the reference client's stop-and-wait. */
void           espy_ota_client_set_window           (EspyOtaClient        *self,
                                                     guint                 blocks);
void           espy_ota_client_set_timeouts         (EspyOtaClient        *self,
                                                     guint                 handshake_ms,
                                                     guint                 data_ms);
void           espy_ota_client_set_retries          (EspyOtaClient        *self,
                                                     guint                 retries,
                                                     guint                 delay_ms);
/* Feature flags sent in step 3; ESPY_OTA_CLIENT_FEATURES unless a test
 * plays an older client. */
void           espy_ota_client_set_features         (EspyOtaClient        *self,
                                                     guint8                features);

/* The whole upload. Emits ::stage-changed and ::progress on the thread-default
 * main context of the caller. Cancellable at any point. */
void           espy_ota_client_upload_async         (EspyOtaClient        *self,
                                                     EspyFirmwareImage    *image,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       espy_ota_client_upload_finish        (EspyOtaClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Handshake and authentication only, then close: "does this password work?"
 * (the device answers the next session normally). */
void           espy_ota_client_check_async          (EspyOtaClient        *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       espy_ota_client_check_finish         (EspyOtaClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

EspyOtaStage   espy_ota_client_get_stage            (EspyOtaClient        *self);
/* The stage in which the last operation failed (IDLE if it did not). */
EspyOtaStage   espy_ota_client_get_failed_stage     (EspyOtaClient        *self);
/* The device's error byte of the last failure, or -1. */
int            espy_ota_client_get_device_code      (EspyOtaClient        *self);
guint          espy_ota_client_get_protocol_version (EspyOtaClient        *self);
gboolean       espy_ota_client_get_compressed       (EspyOtaClient        *self);
/* Hash the device asked for (valid once past AUTH): "md5", "sha256" or NULL. */
const char    *espy_ota_client_get_auth_method      (EspyOtaClient        *self);
guint64        espy_ota_client_get_bytes_sent       (EspyOtaClient        *self);
guint64        espy_ota_client_get_bytes_acked      (EspyOtaClient        *self);
/* Bytes of the payload on the wire (the gzip size when compressed). */
guint64        espy_ota_client_get_total            (EspyOtaClient        *self);
/* Bytes per second over the data phase so far. */
double         espy_ota_client_get_rate             (EspyOtaClient        *self);

G_END_DECLS
