/* espy-device-config.h: what one device YAML of the configuration folder
 * says (name, platform, OTA, API, web server, network), with !secret,
 * !include, packages: and substitutions: resolved as ESPHome does, plus
 * the build data ESPHome left in .esphome/storage/.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-yaml.h"

G_BEGIN_DECLS

/* Where a value was written, so an editor can change exactly that scalar.
 * @path is absolute; line and column are 1-based and point at the value
 * (for "password: !secret ota_pw", at the "!secret ota_pw" node). */
typedef struct {
  char    *path;
  guint    line;
  guint    column;
  /* Set when the value is "!secret NAME": the definition in secrets.yaml. */
  char    *secret_name;
  char    *secret_path;
  guint    secret_line;
  guint    secret_column;
  /* Set when the value is exactly "${NAME}": path/line/column are then those
   * of the substitution's value. */
  char    *substitution;
  /* The value was assembled from several pieces ("${a}-x"): not one scalar
   * that can be edited in place. */
  gboolean derived;
} EspyConfigLocation;

/* One entry of ota:. Strings are NULL when not set. */
typedef struct {
  char               *platform;   /* "esphome", "web_server", "http_request", ... */
  char               *id;
  guint16             port;       /* 0 = not set (see espy_device_config_get_ota_port) */
  guint               version;    /* 0 = not set (ESPHome's default is 2) */
  char               *password;   /* a secret: never print it */
  EspyConfigLocation *password_location; /* NULL when there is no password */
} EspyConfigOta;

#define ESPY_TYPE_CONFIG_OTA (espy_config_ota_get_type ())
GType          espy_config_ota_get_type  (void) G_GNUC_CONST;
EspyConfigOta *espy_config_ota_copy      (const EspyConfigOta *ota);
void           espy_config_ota_free      (EspyConfigOta       *ota);

#define ESPY_TYPE_CONFIG_LOCATION (espy_config_location_get_type ())
GType               espy_config_location_get_type (void) G_GNUC_CONST;
EspyConfigLocation *espy_config_location_copy     (const EspyConfigLocation *location);
void                espy_config_location_free     (EspyConfigLocation       *location);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyConfigOta, espy_config_ota_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyConfigLocation, espy_config_location_free)

#define ESPY_DEVICE_CONFIG_DEFAULT_API_PORT 6053
#define ESPY_DEVICE_CONFIG_DEFAULT_WEB_PORT 80

/* Read-only properties: "file" (GFile), "name", "friendly-name", "comment",
 * "platform", "board", "deployed-version". No property holds a secret.
 * Immutable once loaded, so it may be read from any thread. */
#define ESPY_TYPE_DEVICE_CONFIG (espy_device_config_get_type ())
G_DECLARE_FINAL_TYPE (EspyDeviceConfig, espy_device_config, ESPY, DEVICE_CONFIG, GObject)

/* Reads @file, a device YAML; the folder is its parent directory (for
 * secrets.yaml, !include and .esphome/storage). Blocking: call it from a
 * thread (EspyConfigFolder does). Errors are ESPY_CONFIG_ERROR and name the
 * file, line and column. */
EspyDeviceConfig *espy_device_config_new_for_file       (GFile            *file,
                                                         GCancellable     *cancellable,
                                                         GError          **error);

GFile            *espy_device_config_get_file           (EspyDeviceConfig *self);
/* "kitchen.yaml" */
const char       *espy_device_config_get_file_name      (EspyDeviceConfig *self);

/* esphome: */
const char       *espy_device_config_get_name           (EspyDeviceConfig *self);
const char       *espy_device_config_get_friendly_name  (EspyDeviceConfig *self);
const char       *espy_device_config_get_comment        (EspyDeviceConfig *self);
gboolean          espy_device_config_get_name_add_mac_suffix (EspyDeviceConfig *self);
/* TRUE when @node_name is this device: its name or, with
 * name_add_mac_suffix, its name followed by "-" and 6 hex digits. */
gboolean          espy_device_config_matches_name       (EspyDeviceConfig *self,
                                                         const char       *node_name);

/* "ESP32", "ESP8266", "RP2040", "BK72XX", "RTL87XX", "LN882X", "LIBRETINY",
 * "host"; NULL when the config has no platform block. */
const char       *espy_device_config_get_platform       (EspyDeviceConfig *self);
const char       *espy_device_config_get_board          (EspyDeviceConfig *self);

/* ota: in file order (packages first, as ESPHome merges them). */
guint                espy_device_config_get_n_ota       (EspyDeviceConfig *self);
const EspyConfigOta *espy_device_config_get_ota         (EspyDeviceConfig *self,
                                                         guint             index);
/* The first entry of @platform ("esphome", ...), or NULL. */
const EspyConfigOta *espy_device_config_find_ota        (EspyDeviceConfig *self,
                                                         const char       *platform);
/* The native OTA port: the esphome entry's port or ESPHome's default for the
 * platform (3232 ESP32, 8266 ESP8266, 2040 RP2040, 8892 BK72XX/RTL87XX,
 * 8820 LN882X, 8082 host); 0 without an esphome OTA entry. */
guint16           espy_device_config_get_ota_port       (EspyDeviceConfig *self);

/* api: */
gboolean          espy_device_config_has_api            (EspyDeviceConfig *self);
guint16           espy_device_config_get_api_port       (EspyDeviceConfig *self);
/* Secrets: the base64 Noise PSK and the legacy API password; NULL if unset. */
const char       *espy_device_config_get_api_encryption_key (EspyDeviceConfig *self);
const char       *espy_device_config_get_api_password   (EspyDeviceConfig *self);

/* web_server: */
gboolean          espy_device_config_has_web_server     (EspyDeviceConfig *self);
guint16           espy_device_config_get_web_server_port (EspyDeviceConfig *self);
const char       *espy_device_config_get_web_server_username (EspyDeviceConfig *self);
/* A secret. */
const char       *espy_device_config_get_web_server_password (EspyDeviceConfig *self);
/* web_server: ota: (TRUE unless set to false). */
gboolean          espy_device_config_get_web_server_ota (EspyDeviceConfig *self);

/* wifi:/ethernet: use_address and manual_ip: static_ip (wifi first). */
const char       *espy_device_config_get_use_address    (EspyDeviceConfig *self);
const char       *espy_device_config_get_static_ip      (EspyDeviceConfig *self);
/* Where ESPHome would connect: use_address, else static_ip, else
 * "<name>.local". Never NULL. */
const char       *espy_device_config_get_address        (EspyDeviceConfig *self);

gboolean          espy_device_config_has_safe_mode      (EspyDeviceConfig *self);

/* Remote packages (github://, url:) are not fetched; one description each. */
const char * const *espy_device_config_get_remote_packages (EspyDeviceConfig *self);
/* Files read besides the device file (includes, secrets.yaml), absolute. */
const char * const *espy_device_config_get_included_files  (EspyDeviceConfig *self);
/* Things worth knowing that did not stop the load (unknown substitution, ...). */
const char * const *espy_device_config_get_warnings     (EspyDeviceConfig *self);

/* .esphome/storage/<file>.json; FALSE / NULL / 0 when absent. */
gboolean          espy_device_config_has_storage        (EspyDeviceConfig *self);
const char       *espy_device_config_get_deployed_version (EspyDeviceConfig *self);
const char       *espy_device_config_get_firmware_bin_path (EspyDeviceConfig *self);
const char       *espy_device_config_get_storage_address (EspyDeviceConfig *self);
guint16           espy_device_config_get_storage_web_port (EspyDeviceConfig *self);
const char       *espy_device_config_get_storage_name   (EspyDeviceConfig *self);
const char * const *espy_device_config_get_loaded_integrations (EspyDeviceConfig *self);

/* A digest of every byte read for this config: equal digests, equal configs. */
const char       *espy_device_config_get_digest         (EspyDeviceConfig *self);

/* Multi-line description for debugging; secrets appear as "(set)". */
char             *espy_device_config_to_string          (EspyDeviceConfig *self);

G_END_DECLS
