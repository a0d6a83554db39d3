/* espy-sim-web-server.h: the simulated device's web_server component:
 * POST /update (web OTA), GET /events (server-sent events) and GET /,
 * with the auth rules of each firmware flavour (wire doc sections 2, 4, 6).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-sim-device.h"

G_BEGIN_DECLS

/* Which web server stack the firmware was built with; auth, 401 and SSE
 * framing differ between them. */
typedef enum {
  ESPY_SIM_WEB_FLAVOUR_ARDUINO,  /* ESPAsyncWebServer: ESP8266, ESP32 Arduino, RP2040, LibreTiny */
  ESPY_SIM_WEB_FLAVOUR_ESP_IDF,  /* esp_http_server */
} EspySimWebFlavour;

#define ESPY_TYPE_SIM_WEB_SERVER (espy_sim_web_server_get_type ())
G_DECLARE_FINAL_TYPE (EspySimWebServer, espy_sim_web_server, ESPY, SIM_WEB_SERVER, GObject)

/* Called on the server's own thread once an /update answer has been
 * written and its connection closed. IMAGE is the uploaded file when OK,
 * else NULL. It must not block long nor call espy_sim_web_server_stop():
 * hand the reboot to another thread. */
typedef void (*EspySimWebUploadFunc) (EspySimWebServer *server,
                                      gboolean          ok,
                                      GBytes           *image,
                                      gpointer          user_data);

/* Signals go to the main context that is thread-default here. */
EspySimWebServer *espy_sim_web_server_new               (EspySimWebFlavour  flavour);

/* Configuration. Any thread, any time; a running server applies it to the
 * next request (ping interval and log rate at once). */
EspySimWebFlavour espy_sim_web_server_get_flavour       (EspySimWebServer  *self);
/* 2024.2 Arduino gives a failure reason in the body; later ones say "Update Failed!". */
void              espy_sim_web_server_set_generation    (EspySimWebServer  *self,
                                                         EspySimGeneration  generation);
/* ESP32, ESP8266 (image magic 0xE9 checked), RP2040, BK72XX (not checked). */
void              espy_sim_web_server_set_platform      (EspySimWebServer  *self,
                                                         const char        *platform);
/* "title" and "comment" of the first ping. */
void              espy_sim_web_server_set_title         (EspySimWebServer  *self,
                                                         const char        *title);
void              espy_sim_web_server_set_comment       (EspySimWebServer  *self,
                                                         const char        *comment);
/* 0 = pick a free port on the first start; later starts keep the port. */
void              espy_sim_web_server_set_port          (EspySimWebServer  *self,
                                                         guint16            port);
/* Both set = web_server: auth:. NULL = no auth. */
void              espy_sim_web_server_set_auth          (EspySimWebServer  *self,
                                                         const char        *username,
                                                         const char        *password);
/* FALSE: /update answers 404, as without ota: platform: web_server. Default TRUE. */
void              espy_sim_web_server_set_ota_enabled   (EspySimWebServer  *self,
                                                         gboolean           enabled);
/* Bytes per second of upload the "flash" takes; 0 = as fast as the socket. */
void              espy_sim_web_server_set_flash_rate    (EspySimWebServer  *self,
                                                         guint64            bytes_per_s);
/* The empty ping's period, default 10000 ms; 0 = none. */
void              espy_sim_web_server_set_ping_interval (EspySimWebServer  *self,
                                                         guint              ms);
/* Made-up log lines per second to /events; 0 (default) = none. */
void              espy_sim_web_server_set_log_rate      (EspySimWebServer  *self,
                                                         double             lines_per_s);
void              espy_sim_web_server_set_upload_func   (EspySimWebServer     *self,
                                                         EspySimWebUploadFunc  func,
                                                         gpointer              user_data,
                                                         GDestroyNotify        destroy);

/* Listens on 127.0.0.1 (and ::1 when available) from a thread of its own,
 * so it serves even while the caller's main loop does not run. stop()
 * closes every connection; start() may follow again (a "reboot"). */
gboolean          espy_sim_web_server_start             (EspySimWebServer  *self,
                                                         GError           **error);
void              espy_sim_web_server_stop              (EspySimWebServer  *self);
gboolean          espy_sim_web_server_is_running        (EspySimWebServer  *self);
guint16           espy_sim_web_server_get_port          (EspySimWebServer  *self);

/* Successful web uploads since the object was made, and the last image. */
guint             espy_sim_web_server_get_upload_count  (EspySimWebServer  *self);
GBytes           *espy_sim_web_server_dup_last_image    (EspySimWebServer  *self);
/* /events clients connected now. */
guint             espy_sim_web_server_get_event_client_count (EspySimWebServer *self);

/* Any thread. One entity's state event, also replayed to each new /events
 * client: {"id":ID,"value":VALUE_JSON,"state":STATE}. VALUE_JSON is JSON
 * text ("21.5", "true", "\"on\""); ID like "sensor-temperature". */
void              espy_sim_web_server_set_state         (EspySimWebServer  *self,
                                                         const char        *id,
                                                         const char        *value_json,
                                                         const char        *state);
/* Any thread. A `log` event: LEVEL one of E W I C D V, or 'v' for VV. */
void              espy_sim_web_server_emit_log          (EspySimWebServer  *self,
                                                         char               level,
                                                         const char        *tag,
                                                         guint              line,
                                                         const char        *text);

/* The line as the device's logger formats it (wire doc section 6):
 * "ESC[0;36m[D][tag:042]: text ESC[0m" without the spaces, no newline. */
char             *espy_sim_format_log_line              (char               level,
                                                         const char        *tag,
                                                         guint              line,
                                                         const char        *text);

/* Signals: ::upload-finished (gboolean ok, GBytes *image or NULL), after the
 * answer to an /update POST went out, on the context of _new(). */

G_END_DECLS
