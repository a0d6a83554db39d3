/* espy-sim-device.h: one simulated ESPHome device on loopback. It plays the
 * device side of the native OTA protocol for each firmware generation,
 * byte for byte as the wire doc describes, with faults on demand.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Firmware generations whose OTA rules differ (wire doc section 1). */
typedef enum {
  ESPY_SIM_GENERATION_2024_2,   /* MD5 auth only; 1 s per handshake read, 0xFF on timeout */
  ESPY_SIM_GENERATION_2025_10,  /* SHA256 if the client offers 0x02, else MD5; 20 s deadline */
  ESPY_SIM_GENERATION_2026_1,   /* SHA256 only: 0x82 to a client without 0x02 */
} EspySimGeneration;

typedef enum {
  ESPY_SIM_STATE_RUNNING,
  ESPY_SIM_STATE_UPDATING,    /* an OTA session is past the handshake */
  ESPY_SIM_STATE_REBOOTING,   /* ports closed for boot-seconds */
  ESPY_SIM_STATE_STOPPED,
} EspySimState;

/* Where a fault fires: the point where the device would answer that step. */
typedef enum {
  ESPY_SIM_STEP_MAGIC,     /* instead of 00 + version */
  ESPY_SIM_STEP_FEATURES,  /* instead of the feature answer 0x40/0x46 */
  ESPY_SIM_STEP_AUTH,      /* instead of the auth byte / the auth result */
  ESPY_SIM_STEP_PREPARE,   /* instead of 0x42 after the size */
  ESPY_SIM_STEP_MD5,       /* instead of 0x43 */
  ESPY_SIM_STEP_DATA,      /* instead of the ack of the block in the middle of the image */
  ESPY_SIM_STEP_RECEIVE,   /* instead of 0x44 */
  ESPY_SIM_STEP_END,       /* instead of 0x45 */
} EspySimStep;

typedef enum {
  ESPY_SIM_FAULT_CLOSE,    /* close without a byte */
  ESPY_SIM_FAULT_ERROR,    /* send the error byte, then close */
  ESPY_SIM_FAULT_STALL,    /* send nothing, read nothing, keep the socket open */
  ESPY_SIM_FAULT_GARBAGE,  /* send a byte the protocol does not allow here, then close */
} EspySimFaultKind;

/* Parses "STEP:KIND" as --fault takes it: STEP one of magic, features, auth,
 * prepare, md5, data, receive, end; KIND one of close, stall, garbage,
 * error:0xNN (or error:NN in decimal). */
gboolean espy_sim_fault_parse (const char        *text,
                               EspySimStep       *step,
                               EspySimFaultKind  *kind,
                               guint8            *error_byte,
                               GError           **error);

/* The marker a simulated firmware image carries so the simulator can report
 * what it "runs" after an upload:
 *   "ESPY-SIM-FW:version=<esphome version>;compilation_time=<text>;\n"
 * anywhere in the (decompressed) image. Images without it keep the version and
 * get a fresh compilation time. */
#define ESPY_SIM_IMAGE_MARKER "ESPY-SIM-FW:"

/* Makes a valid-looking ESP app image of SIZE bytes (0xE9 header, marker,
 * pseudo-random filler seeded by SEED) for tests, demo mode and benchmarks. */
GBytes  *espy_sim_make_image  (gsize        size,
                               const char  *version,
                               const char  *compilation_time,
                               guint32      seed);

/* Finds the marker in IMAGE (already decompressed) and returns its fields;
 * COMPILATION_TIME is NULL when the marker has none. FALSE without a marker
 * or without a version in it. Either out pointer may be NULL. */
gboolean espy_sim_image_parse_marker (GBytes      *image,
                                      char       **version,
                                      char       **compilation_time);

/* The OTA password a build carries, as the esphome stand-in writes it
 * (tests/esphome-standin), so that a device "runs" the password it was built
 * with after an update:
 *   "ESPY-SIM-OTA:password_hex=<hex of the UTF-8 password>;" or
 *   "ESPY-SIM-OTA:password=none;"
 * TRUE when the image has the marker; *PASSWORD is NULL for "none". */
#define ESPY_SIM_OTA_MARKER "ESPY-SIM-OTA:"
gboolean espy_sim_image_parse_ota_marker (GBytes      *image,
                                          char       **password);

#define ESPY_TYPE_SIM_DEVICE (espy_sim_device_get_type ())
G_DECLARE_FINAL_TYPE (EspySimDevice, espy_sim_device, ESPY, SIM_DEVICE, GObject)

EspySimDevice    *espy_sim_device_new                  (const char        *name);

/* Configuration: call before espy_sim_device_start(). */
void              espy_sim_device_set_friendly_name    (EspySimDevice     *self,
                                                        const char        *friendly_name);
/* ESP32, ESP8266, RP2040, BK72XX. ESP8266 accepts compression (0x46). */
void              espy_sim_device_set_platform         (EspySimDevice     *self,
                                                        const char        *platform);
void              espy_sim_device_set_board            (EspySimDevice     *self,
                                                        const char        *board);
void              espy_sim_device_set_version          (EspySimDevice     *self,
                                                        const char        *esphome_version);
void              espy_sim_device_set_compilation_time (EspySimDevice     *self,
                                                        const char        *compilation_time);
void              espy_sim_device_set_generation       (EspySimDevice     *self,
                                                        EspySimGeneration  generation);
void              espy_sim_device_set_ota_version      (EspySimDevice     *self,
                                                        guint              version);
void              espy_sim_device_set_password         (EspySimDevice     *self,
                                                        const char        *password);
/* 0 = pick a free port on start. */
void              espy_sim_device_set_ota_port         (EspySimDevice     *self,
                                                        guint16            port);
/* Bytes per second the "flash" accepts; 0 = as fast as the socket. */
void              espy_sim_device_set_flash_rate       (EspySimDevice     *self,
                                                        guint64            bytes_per_s);
/* Erase time at prepare, per MiB of announced size (default 0 ms). */
void              espy_sim_device_set_erase_ms_per_mib (EspySimDevice     *self,
                                                        guint              ms);
void              espy_sim_device_set_boot_ms          (EspySimDevice     *self,
                                                        guint              ms);
/* Scales every device-side timeout (1 s, 20 s, 90 s) by PERCENT/100 so
 * tests of the device's own timeouts finish quickly. Default 100. */
void              espy_sim_device_set_timeout_scale    (EspySimDevice     *self,
                                                        guint              percent);
/* Largest image the "OTA partition" accepts; bigger sizes get the
 * platform's not-enough-space code at prepare. 0 = no limit. */
void              espy_sim_device_set_max_image_size   (EspySimDevice     *self,
                                                        gsize              size);
void              espy_sim_device_add_fault            (EspySimDevice     *self,
                                                        EspySimStep        step,
                                                        EspySimFaultKind   kind,
                                                        guint8             error_byte);
void              espy_sim_device_clear_faults         (EspySimDevice     *self);

/* Native API (wire doc section 5). No API unless a port is set; 0 = pick
 * a free port on start (kept across reboots). */
void              espy_sim_device_set_api_port         (EspySimDevice     *self,
                                                        guint16            port);
/* `api: encryption: key:` (base64 of 32 bytes) turns on Noise; NULL = plaintext.
 * FALSE (ESPY_API_ERROR_INVALID_KEY) for a malformed key, which changes nothing. */
gboolean          espy_sim_device_set_api_key          (EspySimDevice     *self,
                                                        const char        *key,
                                                        GError           **error);
/* Legacy `api: password:` (2026.1 ignores it); NULL or "" = none. */
void              espy_sim_device_set_api_password     (EspySimDevice     *self,
                                                        const char        *password);
/* Any spelling of 12 hex digits ("AC:BC:32:89:0E:A9", "acbc32890ea9");
 * NULL = the default, derived from the name as EspySimPublisher does. */
gboolean          espy_sim_device_set_mac              (EspySimDevice     *self,
                                                        const char        *mac,
                                                        GError           **error);
/* Made-up log lines per second to API clients and /events (0 = none,
 * the default). Any time, also while running. */
void              espy_sim_device_set_log_rate         (EspySimDevice     *self,
                                                        double             lines_per_s);
/* `esphome: project:`; NULL name = none. */
void              espy_sim_device_set_project          (EspySimDevice     *self,
                                                        const char        *project_name,
                                                        const char        *project_version);
/* web_server (EspySimWebServer): none unless a port is set; 0 = free port. */
void              espy_sim_device_set_web_port         (EspySimDevice     *self,
                                                        guint16            port);
/* `web_server: auth:` (NULL user = none) and the stack the firmware was
 * built with, an EspySimWebFlavour (default ESPY_SIM_WEB_FLAVOUR_ARDUINO). */
void              espy_sim_device_set_web_auth         (EspySimDevice     *self,
                                                        const char        *username,
                                                        const char        *password,
                                                        guint              flavour);
/* FALSE: no `ota: platform: web_server`, /update answers 404. Default TRUE. */
void              espy_sim_device_set_web_ota          (EspySimDevice     *self,
                                                        gboolean           enabled);

/* Listens on 127.0.0.1 (and ::1 when available). */
gboolean          espy_sim_device_start                (EspySimDevice     *self,
                                                        GError           **error);
void              espy_sim_device_stop                 (EspySimDevice     *self);

const char       *espy_sim_device_get_name             (EspySimDevice     *self);
const char       *espy_sim_device_get_friendly_name    (EspySimDevice     *self);
const char       *espy_sim_device_get_platform         (EspySimDevice     *self);
const char       *espy_sim_device_get_board            (EspySimDevice     *self);
guint16           espy_sim_device_get_ota_port         (EspySimDevice     *self);
/* The ports in use while running; 0 without that service (or stopped). */
guint16           espy_sim_device_get_api_port         (EspySimDevice     *self);
guint16           espy_sim_device_get_web_port         (EspySimDevice     *self);
gboolean          espy_sim_device_get_api_encrypted    (EspySimDevice     *self);
/* 12 lowercase hex digits, as in the mDNS TXT `mac`. */
const char       *espy_sim_device_get_mac              (EspySimDevice     *self);
const char       *espy_sim_device_get_project_name     (EspySimDevice     *self);
const char       *espy_sim_device_get_project_version  (EspySimDevice     *self);
EspySimState      espy_sim_device_get_state            (EspySimDevice     *self);
const char       *espy_sim_device_get_version          (EspySimDevice     *self);
const char       *espy_sim_device_get_compilation_time (EspySimDevice     *self);
/* Successful uploads since start. */
guint             espy_sim_device_get_upload_count     (EspySimDevice     *self);
/* The image of the last successful upload, decompressed (transfer none; it
 * stays valid at least until the next successful upload ends). */
GBytes           *espy_sim_device_get_last_image       (EspySimDevice     *self);
/* Connections accepted, including silent second clients. */
guint             espy_sim_device_get_connection_count (EspySimDevice     *self);

/* Any thread: one line from the device's logger to its API clients and
 * /events. LEVEL one of E W I C D V, or 'v' for VV. */
void              espy_sim_device_log                  (EspySimDevice     *self,
                                                        char               level,
                                                        const char        *tag,
                                                        guint              line,
                                                        const char        *text);

/* Signals: ::state-changed (EspySimState), ::upload-finished (gboolean ok, guint8 code).
 * Both are emitted on the main context that was thread-default when
 * espy_sim_device_start() was called, in the order things happened on the
 * wire; the getters above are up to date even before the signal arrives.
 * ::upload-finished fires once per served session that received at least
 * one byte: ok TRUE with 0x45, or FALSE with the last byte the device sent
 * (its error code; 0x00 when it closed without one, or sent 0x00); and
 * with (TRUE, 0x45) for a successful web_server /update (failed web
 * uploads are the web server's own ::upload-finished).
 * Before the reboot that follows a successful upload, every API client
 * gets DisconnectRequest; while rebooting, the API and the web server are
 * closed; they come back with the new version and compilation time. */

G_END_DECLS
