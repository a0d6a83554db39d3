/* espy-sim-api-server.h: the device side of the ESPHome native API (wire
 * doc sections 5 and 6), plaintext or Noise, for each firmware generation,
 * with the reject frames, keep-alive, client limit and log streaming of a
 * real device.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-api-messages.h"
#include "espy-sim-device.h"

G_BEGIN_DECLS

#define ESPY_SIM_API_SERVER_ERROR (espy_sim_api_server_error_quark ())

typedef enum {
  ESPY_SIM_API_SERVER_ERROR_INVALID_KEY,  /* not base64 of exactly 32 bytes */
  ESPY_SIM_API_SERVER_ERROR_RUNNING,      /* start() on a running server */
} EspySimApiServerError;

GQuark espy_sim_api_server_error_quark (void);

#define ESPY_TYPE_SIM_API_SERVER (espy_sim_api_server_get_type ())
G_DECLARE_FINAL_TYPE (EspySimApiServer, espy_sim_api_server, ESPY, SIM_API_SERVER, GObject)

/* NAME: the node name (HelloResponse, DeviceInfo, the Noise server hello). */
EspySimApiServer *espy_sim_api_server_new                 (const char        *name);

/* Configuration: any thread, any time; the next answer uses it (the key,
 * the port and the generation's framing rules apply from the next start). */
void              espy_sim_api_server_set_friendly_name   (EspySimApiServer  *self,
                                                           const char        *friendly_name);
/* Any spelling of 6 bytes ("aabbccddeeff", "AA:BB:..."); NULL = derived
 * from the name like EspySimPublisher does. */
void              espy_sim_api_server_set_mac             (EspySimApiServer  *self,
                                                           const char        *mac);
/* 12 lowercase hex digits. */
const char       *espy_sim_api_server_get_mac             (EspySimApiServer  *self);
void              espy_sim_api_server_set_platform        (EspySimApiServer  *self,
                                                           const char        *platform);
/* DeviceInfo "model". */
void              espy_sim_api_server_set_board           (EspySimApiServer  *self,
                                                           const char        *board);
void              espy_sim_api_server_set_version         (EspySimApiServer  *self,
                                                           const char        *esphome_version);
void              espy_sim_api_server_set_compilation_time (EspySimApiServer *self,
                                                            const char       *compilation_time);
void              espy_sim_api_server_set_generation      (EspySimApiServer  *self,
                                                           EspySimGeneration  generation);
/* NULL name = no project. */
void              espy_sim_api_server_set_project         (EspySimApiServer  *self,
                                                           const char        *project_name,
                                                           const char        *project_version);
/* DeviceInfo webserver_port; 0 = no web server. */
void              espy_sim_api_server_set_webserver_port  (EspySimApiServer  *self,
                                                           guint16            port);
/* Base64 PSK (`api: encryption: key:`) turns on Noise; NULL turns it off.
 * An invalid key changes nothing. */
gboolean          espy_sim_api_server_set_key             (EspySimApiServer  *self,
                                                           const char        *key,
                                                           GError           **error);
gboolean          espy_sim_api_server_get_encrypted       (EspySimApiServer  *self);
/* Legacy `api: password:` (ignored by 2026.1); NULL or "" = none. */
void              espy_sim_api_server_set_password        (EspySimApiServer  *self,
                                                           const char        *password);
/* Scales the keep-alive timers (ping after 60 s of silence, drop after
 * 150 s, Hello within 60 s) by PERCENT/100. Default 100. */
void              espy_sim_api_server_set_timeout_scale   (EspySimApiServer  *self,
                                                           guint              percent);
/* 0 (default) = pick a free port on the first start; later starts keep it. */
void              espy_sim_api_server_set_port            (EspySimApiServer  *self,
                                                           guint16            port);
/* Clients served at once (default by platform: ESP32 8, others 4). */
void              espy_sim_api_server_set_max_clients     (EspySimApiServer  *self,
                                                           guint              max_clients);

/* Listens on 127.0.0.1 (and ::1 when available). Everything runs on
 * CONTEXT (NULL = the thread-default one), which some thread must iterate:
 * a blocked CONTEXT is a stalled device main loop (no answers, no pings).
 * Sources hold a reference on the server: call stop() to let it go. */
gboolean          espy_sim_api_server_start               (EspySimApiServer  *self,
                                                           GMainContext      *context,
                                                           GError           **error);
/* Closes the listeners and every connection at once (a reboot or power
 * off). Any thread. */
void              espy_sim_api_server_stop                (EspySimApiServer  *self);
gboolean          espy_sim_api_server_is_running          (EspySimApiServer  *self);
guint16           espy_sim_api_server_get_port            (EspySimApiServer  *self);
/* Connections open now, handshakes included. */
guint             espy_sim_api_server_get_client_count    (EspySimApiServer  *self);
/* Clients subscribed to logs at LEVEL or more verbose. */
guint             espy_sim_api_server_get_log_subscribers (EspySimApiServer  *self,
                                                           EspyApiLogLevel    level);
/* Log lines not sent because a client read too slowly, since start. */
guint64           espy_sim_api_server_get_dropped_lines   (EspySimApiServer  *self);

/* Any thread. One formatted log line (wire doc section 6) to every client
 * subscribed at LEVEL or above; dropped for a client whose send buffer is
 * full, never queued. */
void              espy_sim_api_server_emit_log            (EspySimApiServer  *self,
                                                           EspyApiLogLevel    level,
                                                           const char        *line);
/* Any thread. DisconnectRequest to every connected client: the device is
 * about to reboot. */
void              espy_sim_api_server_send_disconnect     (EspySimApiServer  *self);

/* The log line as the device's logger formats it (wire doc section 6):
 * LEVEL one of E W I C D V, or 'v' for VV; TASK (may be NULL) names the
 * task that logged it, when not the main loop. */
char             *espy_sim_format_log_line_task           (char               level,
                                                           const char        *tag,
                                                           guint              line,
                                                           const char        *task,
                                                           const char        *text);
/* The API log level of a level letter as above; NONE for anything else. */
EspyApiLogLevel   espy_sim_log_level_from_letter          (char               level);

G_END_DECLS
