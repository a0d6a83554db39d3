/* espy-log-session.h: follows one device's logs for as long as it is open:
 * through the native API (plaintext or Noise) or the web server's /events,
 * finding the API key and the web server's credentials (YAML, keyring, the
 * user), reconnecting with backoff, following the device through an OTA
 * reboot and stepping aside while an install needs the device.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "espy-api-client.h"
#include "espy-device.h"
#include "espy-device-config.h"
#include "espy-log-line.h"

G_BEGIN_DECLS

#define ESPY_LOG_SESSION_ERROR (espy_log_session_error_quark ())

typedef enum {
  ESPY_LOG_SESSION_ERROR_NO_TRANSPORT,   /* neither an API nor a web server to read logs from */
  ESPY_LOG_SESSION_ERROR_NOT_WAITING,    /* a key was given while none was asked for */
  ESPY_LOG_SESSION_ERROR_NO_USER,        /* web server credentials without a user name */
} EspyLogSessionError;

GQuark espy_log_session_error_quark (void);

typedef enum {
  ESPY_LOG_SESSION_STATE_IDLE,          /* not started, or stopped */
  ESPY_LOG_SESSION_STATE_CONNECTING,
  ESPY_LOG_SESSION_STATE_STREAMING,
  ESPY_LOG_SESSION_STATE_RECONNECTING,  /* waiting retry-seconds before the next attempt */
  ESPY_LOG_SESSION_STATE_KEY_NEEDED,    /* ::key-needed was emitted; see provide_key() */
  ESPY_LOG_SESSION_STATE_PAUSED,        /* an install has the device */
  ESPY_LOG_SESSION_STATE_FAILED,        /* gave up: "error" says why */
} EspyLogSessionState;

typedef enum {
  ESPY_LOG_TRANSPORT_AUTO,    /* the API; /events when there is no API but a web server */
  ESPY_LOG_TRANSPORT_API,
  ESPY_LOG_TRANSPORT_EVENTS,
} EspyLogTransport;

#define ESPY_TYPE_LOG_SESSION_STATE (espy_log_session_state_get_type ())
#define ESPY_TYPE_LOG_TRANSPORT     (espy_log_transport_get_type ())
GType       espy_log_session_state_get_type (void) G_GNUC_CONST;
GType       espy_log_transport_get_type     (void) G_GNUC_CONST;
/* "idle", "connecting", "streaming", "reconnecting", "key-needed", "paused", "failed" */
const char *espy_log_session_state_to_nick  (EspyLogSessionState state);

#define ESPY_LOG_SESSION_DEFAULT_MIN_BACKOFF_MS  1000
#define ESPY_LOG_SESSION_DEFAULT_MAX_BACKOFF_MS 30000
/* Lines a session keeps for espy_log_session_dup_recent_lines(). */
#define ESPY_LOG_SESSION_RECENT_LINES 100

/* What DeviceInfoResponse and HelloResponse say, for the device page and
 * `espy-cli info`. Strings are never NULL ("" when the device left them
 * out). api_encryption_supported is UNKNOWN on firmware without the field. */
typedef struct {
  char         *name;
  char         *friendly_name;
  char         *mac;                  /* as the device writes it: "AC:BC:32:89:0E:A9" */
  char         *esphome_version;
  char         *compilation_time;
  char         *model;
  char         *manufacturer;
  char         *project_name;
  char         *project_version;
  char         *suggested_area;
  guint         webserver_port;
  gboolean      uses_password;
  gboolean      has_deep_sleep;
  EspyTristate  api_encryption_supported;
  guint         api_version_major;
  guint         api_version_minor;
  char         *server_info;
  gboolean      encrypted;            /* the connection it came over used Noise */
} EspyApiDetails;

#define ESPY_TYPE_API_DETAILS (espy_api_details_get_type ())
GType           espy_api_details_get_type (void) G_GNUC_CONST;
/* INFO from device_info_finish(); CLIENT (may be NULL) for Hello's fields. */
EspyApiDetails *espy_api_details_new      (const EspyApiDeviceInfo *info,
                                           EspyApiClient           *client);
EspyApiDetails *espy_api_details_copy     (const EspyApiDetails    *self);
void            espy_api_details_free     (EspyApiDetails          *self);
/* One object with the keys of `espy-cli info --json`. */
JsonNode       *espy_api_details_to_json  (const EspyApiDetails    *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApiDetails, espy_api_details_free)

/* Properties (all notify on change, on the main context of start()):
 *   state          EspyLogSessionState
 *   status         string: the state in words for a banner ("Connecting…",
 *                  "Reconnecting in 4 s", "Failed: …")
 *   retry-seconds  guint: seconds left before the next attempt (RECONNECTING)
 *   error          GError (boxed): why the last attempt failed, or NULL
 *   details        EspyApiDetails (boxed): from the latest API connection, or NULL
 *   transport      EspyLogTransport: what the user asked for (read/write)
 *   active-transport EspyLogTransport: what is used now (API or EVENTS; AUTO when idle)
 *   level          int (EspyLogLevel) subscribed with; default VERY_VERBOSE
 *   dump-config    gboolean: ask for the config dump on every connect; default TRUE
 *   encrypted      gboolean: the current connection uses Noise
 * Signals:
 *   ::line (EspyLogLine *line, const char *raw)   one log line (RAW with its
 *        ANSI codes); lines above "level" are not emitted
 *   ::key-needed (const char *reason)             the device wants an API key
 *        Espy does not have (REASON: why, for the prompt); answer with
 *        espy_log_session_provide_key()
 *   ::credentials-needed (const char *reason)     the web server refused the
 *        /events stream: no user name and password, or wrong ones (the state
 *        is then FAILED, see get_web_credentials_needed()); answer with
 *        espy_log_session_provide_web_credentials(). Not emitted when the
 *        credentials came from set_web_credentials(): their caller decides.
 *   ::connected ()                                 a stream started (again) */
#define ESPY_TYPE_LOG_SESSION (espy_log_session_get_type ())
G_DECLARE_FINAL_TYPE (EspyLogSession, espy_log_session, ESPY, LOG_SESSION, GObject)

/* NAME is the node name (keyring entries are stored under it); HOST and
 * API_PORT where to connect (0 = 6053). */
EspyLogSession      *espy_log_session_new                 (const char          *name,
                                                           const char          *host,
                                                           guint16              api_port);
/* Name, address, ports and the TXT's api_encryption of DEVICE. */
EspyLogSession      *espy_log_session_new_for_device      (EspyDevice          *device);

/* Configuration (before start(); a running session uses it on its next
 * connect). CONFIG: the device's YAML (API key and password, web server
 * port and credentials); NULL = none. */
void                 espy_log_session_set_config          (EspyLogSession      *self,
                                                           EspyDeviceConfig    *config);
/* What mDNS TXT says: YES makes the session ask for a key up front when
 * neither the YAML nor the keyring has one. */
void                 espy_log_session_set_api_encryption  (EspyLogSession      *self,
                                                           EspyTristate         encrypted);
/* FALSE: the device has no native API (AUTO then uses /events). */
void                 espy_log_session_set_has_api         (EspyLogSession      *self,
                                                           gboolean             has_api);
/* 0 = no web server known. */
void                 espy_log_session_set_web_port        (EspyLogSession      *self,
                                                           guint16              port);
void                 espy_log_session_set_web_credentials (EspyLogSession      *self,
                                                           const char          *user,
                                                           const char          *password);
void                 espy_log_session_set_transport       (EspyLogSession      *self,
                                                           EspyLogTransport     transport);
EspyLogTransport     espy_log_session_get_transport       (EspyLogSession      *self);
EspyLogTransport     espy_log_session_get_active_transport (EspyLogSession     *self);
void                 espy_log_session_set_level           (EspyLogSession      *self,
                                                           EspyLogLevel         level);
void                 espy_log_session_set_dump_config     (EspyLogSession      *self,
                                                           gboolean             dump_config);
/* FALSE: never read nor write the keyring (the CLI, some tests). Default TRUE. */
void                 espy_log_session_set_use_keyring     (EspyLogSession      *self,
                                                           gboolean             use_keyring);
/* A key given up front (the CLI's --key-file): used before any other. */
gboolean             espy_log_session_set_key             (EspyLogSession      *self,
                                                           const char          *key,
                                                           GError             **error);
/* Reconnect delays: MIN_MS doubling up to MAX_MS (0 keeps a value). */
void                 espy_log_session_set_backoff         (EspyLogSession      *self,
                                                           guint                min_ms,
                                                           guint                max_ms);
/* Passed to each EspyApiClient (0 keeps the default); IDLE_MS also bounds
 * /events silence. */
void                 espy_log_session_set_timeouts        (EspyLogSession      *self,
                                                           guint                connect_ms,
                                                           guint                ping_interval_ms,
                                                           guint                keepalive_timeout_ms,
                                                           guint                idle_ms);
/* Pauses while MANAGER has an install for this device (its device-busy /
 * device-free signals, when it has them). NULL detaches. */
void                 espy_log_session_set_install_manager (EspyLogSession      *self,
                                                           GObject             *manager);

/* Starts following (idempotent). Runs until stop() or a failure that a
 * retry cannot fix (FAILED). */
void                 espy_log_session_start               (EspyLogSession      *self);
/* Closes the stream and forgets pending retries; state IDLE. */
void                 espy_log_session_stop                (EspyLogSession      *self);
/* Closes the stream for now (an install needs the device; an ESP8266 has
 * too little heap for both) and keeps it closed until resume(). Nested
 * calls count. */
void                 espy_log_session_pause               (EspyLogSession      *self);
/* Reconnects at once when the last pause ends. */
void                 espy_log_session_resume              (EspyLogSession      *self);
/* Skips the wait of RECONNECTING or retries after FAILED. */
void                 espy_log_session_retry_now           (EspyLogSession      *self);

/* The answer to ::key-needed: KEY (base64 of 32 bytes) is tried at once;
 * with REMEMBER it is stored in the keyring once the device accepted it.
 * FALSE with ESPY_API_ERROR_INVALID_KEY when KEY is malformed (the session
 * keeps waiting). */
gboolean             espy_log_session_provide_key         (EspyLogSession      *self,
                                                           const char          *key,
                                                           gboolean             remember,
                                                           GError             **error);

/* The answer to ::credentials-needed: USER (not empty) and PASSWORD are
 * tried at once, before the YAML's and the keyring's; with REMEMBER both are
 * stored in the keyring once the web server accepted them. FALSE with
 * ESPY_LOG_SESSION_ERROR_NO_USER when USER is empty. */
gboolean             espy_log_session_provide_web_credentials (EspyLogSession  *self,
                                                               const char      *user,
                                                               const char      *password,
                                                               gboolean         remember,
                                                               GError         **error);
/* TRUE while the session is FAILED because the web server wants a user name
 * and password Espy does not have (or the ones tried were wrong). */
gboolean             espy_log_session_get_web_credentials_needed (EspyLogSession *self);
/* The user name of the latest /events attempt (to fill in a prompt), or
 * NULL. Never the password. */
const char          *espy_log_session_get_web_user        (EspyLogSession      *self);

const char          *espy_log_session_get_name            (EspyLogSession      *self);
const char          *espy_log_session_get_host            (EspyLogSession      *self);
EspyLogSessionState  espy_log_session_get_state           (EspyLogSession      *self);
const char          *espy_log_session_get_status          (EspyLogSession      *self);
guint                espy_log_session_get_retry_seconds   (EspyLogSession      *self);
const GError        *espy_log_session_get_error           (EspyLogSession      *self);
const EspyApiDetails *espy_log_session_get_details        (EspyLogSession      *self);
gboolean             espy_log_session_get_encrypted       (EspyLogSession      *self);
/* Connections that reached STREAMING since start(). */
guint                espy_log_session_get_n_connects      (EspyLogSession      *self);
/* The last lines ::line emitted (raw, ANSI codes and secret markers as the
 * device sent them), oldest first: at most MAX_LINES (0 = all kept, up to
 * ESPY_LOG_SESSION_RECENT_LINES). Kept across pause, stop and reconnects:
 * what an install records about the minutes before it failed. Never NULL. */
char               **espy_log_session_dup_recent_lines    (EspyLogSession      *self,
                                                           guint                max_lines);

G_END_DECLS
