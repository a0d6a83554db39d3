/* espy-api-client.h: an ESPHome native API client (TCP 6053), plaintext or
 * Noise-encrypted, for device information and live logs.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-api-messages.h"

G_BEGIN_DECLS

#define ESPY_API_ERROR (espy_api_error_quark ())

/* One code per failure of the wire doc's section 5. Cancellation stays
 * G_IO_ERROR_CANCELLED, as everywhere in GIO. */
typedef enum {
  ESPY_API_ERROR_WRONG_KEY,            /* device: "Handshake MAC failure" */
  ESPY_API_ERROR_KEY_REQUIRED,         /* plaintext client, encrypted device */
  ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED, /* key given, plaintext device */
  ESPY_API_ERROR_INVALID_KEY,          /* not base64 of exactly 32 bytes */
  ESPY_API_ERROR_WRONG_PASSWORD,       /* ConnectResponse invalid_password */
  ESPY_API_ERROR_HANDSHAKE_REJECTED,   /* any other handshake reject reason */
  ESPY_API_ERROR_CLOSED,               /* the device closed the connection */
  ESPY_API_ERROR_TIMEOUT,              /* no answer in time (connect or keep-alive) */
  ESPY_API_ERROR_FRAME_TOO_LARGE,      /* a frame above 65535 bytes */
  ESPY_API_ERROR_PROTOCOL,             /* bytes the protocol does not allow */
  ESPY_API_ERROR_CONNECT_FAILED,       /* name not found, refused, unreachable */
  ESPY_API_ERROR_NOT_CONNECTED,        /* a request without a connection */
} EspyApiError;

GQuark      espy_api_error_quark    (void);
/* Stable machine-readable name, e.g. "wrong-key" (CLI --json "code"). */
const char *espy_api_error_to_nick  (EspyApiError code);

#define ESPY_API_DEFAULT_PORT                 6053
#define ESPY_API_DEFAULT_CONNECT_TIMEOUT_MS   60000
#define ESPY_API_DEFAULT_PING_INTERVAL_MS     20000
#define ESPY_API_DEFAULT_KEEPALIVE_TIMEOUT_MS 90000
#define ESPY_API_DEFAULT_REQUEST_TIMEOUT_MS   30000

/* Checks a YAML `api: encryption: key:` value: base64 of exactly 32 bytes.
 * KEY (32 bytes) may be NULL to only check. The message never repeats the text. */
gboolean espy_api_parse_key (const char  *text,
                             guint8      *key,
                             GError     **error);

/* Signals:
 *   ::log-message (guint level, const char *message)
 *        one SubscribeLogsResponse; MESSAGE is the line with its ANSI
 *        colours, decoded leniently (invalid UTF-8 becomes U+FFFD).
 *   ::disconnected (const char *reason, GError *error)
 *        the connection ended after connect_async() succeeded. REASON is
 *        "rebooting" (the device sent DisconnectRequest; ERROR is NULL),
 *        "requested" (disconnect_async() or close(); ERROR is NULL),
 *        "closed", "timeout" or "error" (ERROR says what happened). */
#define ESPY_TYPE_API_CLIENT (espy_api_client_get_type ())
G_DECLARE_FINAL_TYPE (EspyApiClient, espy_api_client, ESPY, API_CLIENT, GObject)

EspyApiClient     *espy_api_client_new                  (const char          *host,
                                                         guint16              port);

/* A base64 PSK turns on Noise; NULL turns it off. An invalid key is
 * refused here (INVALID_KEY) and makes connect_async() fail the same way. */
gboolean           espy_api_client_set_encryption_key   (EspyApiClient       *self,
                                                         const char          *key,
                                                         GError             **error);
/* The API password of firmware up to 2025.x (NULL = none). */
void               espy_api_client_set_password         (EspyApiClient       *self,
                                                         const char          *password);
/* HelloRequest client_info; defaults to "Espy <version>". */
void               espy_api_client_set_client_info      (EspyApiClient       *self,
                                                         const char          *client_info);
/* For tests and special links; 0 keeps the current value. CONNECT_MS
 * covers TCP connect, the Noise handshake and Hello/Connect. */
void               espy_api_client_set_timeouts         (EspyApiClient       *self,
                                                         guint                connect_ms,
                                                         guint                ping_interval_ms,
                                                         guint                keepalive_timeout_ms,
                                                         guint                request_ms);

/* TCP connect, Noise handshake when a key is set, Hello + Connect. */
void               espy_api_client_connect_async        (EspyApiClient       *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           espy_api_client_connect_finish       (EspyApiClient       *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

void               espy_api_client_device_info_async    (EspyApiClient       *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
/* Free with espy_api_message_free() or g_autoptr(EspyApiDeviceInfo). */
EspyApiDeviceInfo *espy_api_client_device_info_finish   (EspyApiClient       *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* Starts ::log-message. FALSE (NOT_CONNECTED) without a connection. */
gboolean           espy_api_client_subscribe_logs       (EspyApiClient       *self,
                                                         EspyApiLogLevel      level,
                                                         gboolean             dump_config,
                                                         GError             **error);

/* Gives the device a new encryption key (NoiseEncryptionSetKeyRequest);
 * TRUE when it accepted it. The device uses it after its next reboot. */
void               espy_api_client_set_device_key_async (EspyApiClient       *self,
                                                         const char          *key,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           espy_api_client_set_device_key_finish (EspyApiClient      *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

/* DisconnectRequest, wait briefly for DisconnectResponse, close. Emits
 * ::disconnected with "requested". */
void               espy_api_client_disconnect_async     (EspyApiClient       *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           espy_api_client_disconnect_finish    (EspyApiClient       *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
/* Closes at once (no goodbye); pending requests fail with CANCELLED. */
void               espy_api_client_close                (EspyApiClient       *self);

gboolean           espy_api_client_is_connected         (EspyApiClient       *self);
gboolean           espy_api_client_get_encrypted        (EspyApiClient       *self);
/* From HelloResponse (valid once connected). */
void               espy_api_client_get_api_version      (EspyApiClient       *self,
                                                         guint               *major,
                                                         guint               *minor);
const char        *espy_api_client_get_server_info      (EspyApiClient       *self);
const char        *espy_api_client_get_name             (EspyApiClient       *self);
/* From the Noise server hello: node name and MAC (12 hex digits, 2025.4+);
 * NULL when not sent. */
const char        *espy_api_client_get_noise_name       (EspyApiClient       *self);
const char        *espy_api_client_get_noise_mac        (EspyApiClient       *self);

G_END_DECLS
