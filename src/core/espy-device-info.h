/* espy-device-info.h: what one source (mDNS, a YAML config, a manual entry,
 * the native API, a port probe) knows about one ESPHome device. Every field
 * is optional: NULL, 0 or ESPY_TRISTATE_UNKNOWN when the source does not know.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Where a fact about a device came from. */
typedef enum {
  ESPY_DEVICE_SOURCE_MDNS,
  ESPY_DEVICE_SOURCE_CONFIG,
  ESPY_DEVICE_SOURCE_MANUAL,
  ESPY_DEVICE_SOURCE_API,
  ESPY_DEVICE_SOURCE_PROBE,
} EspyDeviceSource;
#define ESPY_DEVICE_N_SOURCES 5

typedef enum { /*< flags >*/
  ESPY_DEVICE_SOURCES_NONE   = 0,
  ESPY_DEVICE_SOURCES_MDNS   = 1 << ESPY_DEVICE_SOURCE_MDNS,
  ESPY_DEVICE_SOURCES_CONFIG = 1 << ESPY_DEVICE_SOURCE_CONFIG,
  ESPY_DEVICE_SOURCES_MANUAL = 1 << ESPY_DEVICE_SOURCE_MANUAL,
  ESPY_DEVICE_SOURCES_API    = 1 << ESPY_DEVICE_SOURCE_API,
  ESPY_DEVICE_SOURCES_PROBE  = 1 << ESPY_DEVICE_SOURCE_PROBE,
} EspyDeviceSources;

typedef enum {
  ESPY_TRISTATE_UNKNOWN,
  ESPY_TRISTATE_NO,
  ESPY_TRISTATE_YES,
} EspyTristate;

/* How to install firmware on the device. */
typedef enum {
  ESPY_DEVICE_TRANSPORT_UNSET,
  ESPY_DEVICE_TRANSPORT_AUTO,
  ESPY_DEVICE_TRANSPORT_OTA,   /* native OTA */
  ESPY_DEVICE_TRANSPORT_WEB,   /* web_server /update */
} EspyDeviceTransport;

#define ESPY_TYPE_DEVICE_SOURCE    (espy_device_source_get_type ())
#define ESPY_TYPE_DEVICE_SOURCES   (espy_device_sources_get_type ())
#define ESPY_TYPE_TRISTATE         (espy_tristate_get_type ())
#define ESPY_TYPE_DEVICE_TRANSPORT (espy_device_transport_get_type ())
GType espy_device_source_get_type    (void) G_GNUC_CONST;
GType espy_device_sources_get_type   (void) G_GNUC_CONST;
GType espy_tristate_get_type         (void) G_GNUC_CONST;
GType espy_device_transport_get_type (void) G_GNUC_CONST;

/* "mdns", "config", "manual", "api", "probe" */
const char          *espy_device_source_to_nick       (EspyDeviceSource     source);
/* "auto", "ota", "web"; NULL for UNSET */
const char          *espy_device_transport_to_nick    (EspyDeviceTransport  transport);
/* UNSET for NULL or an unknown nick */
EspyDeviceTransport  espy_device_transport_from_nick  (const char          *nick);

/* Read the fields directly; write them through the setters below, which
 * copy, normalise and free. An info handed to the store is copied by it. */
typedef struct _EspyDeviceInfo EspyDeviceInfo;
struct _EspyDeviceInfo {
  char                *name;              /* ESPHome node name */
  char                *friendly_name;
  char                *mac;               /* 12 lowercase hex digits */
  char               **addresses;         /* IPv4 / IPv6 literals, NULL-terminated */
  char                *host;              /* a host name or address, e.g. "name.local" */
  guint16              api_port;
  guint16              ota_port;
  guint16              web_port;
  char                *platform;          /* "ESP32", "ESP8266", "BK7231N", ... */
  char                *board;
  char                *version;           /* ESPHome version running on the device */
  char                *network;           /* "wifi", "ethernet", "thread" */
  EspyTristate         api_encryption;    /* a key is set */
  EspyTristate         api_encryption_supported;
  char                *project_name;
  char                *project_version;
  char                *package_import_url;
  char                *config_hash;       /* 8 hex digits */
  char                *config_path;
  EspyDeviceTransport  ota_transport;
  char                *deployed_version;  /* ESPHome version of the last build (storage JSON) */

  /*< private >*/
  gatomicrefcount      ref_count;
};

#define ESPY_TYPE_DEVICE_INFO (espy_device_info_get_type ())
GType            espy_device_info_get_type   (void) G_GNUC_CONST;

EspyDeviceInfo  *espy_device_info_new        (void);
EspyDeviceInfo  *espy_device_info_ref        (EspyDeviceInfo       *info);
void             espy_device_info_unref      (EspyDeviceInfo       *info);
/* A deep copy with a reference count of 1. */
EspyDeviceInfo  *espy_device_info_dup        (const EspyDeviceInfo *info);
gboolean         espy_device_info_equal      (const EspyDeviceInfo *a,
                                              const EspyDeviceInfo *b);

/* "AC:BC:32:00:11:22", "ac-bc-32-00-11-22", "acbc32001122" -> "acbc32001122";
 * NULL when TEXT is not a MAC address. */
char            *espy_mac_normalize          (const char           *text);
/* "acbc32001122" -> "ac:bc:32:00:11:22" (newly allocated). */
char            *espy_mac_format             (const char           *mac);

void espy_device_info_set_name               (EspyDeviceInfo *info, const char *name);
void espy_device_info_set_friendly_name      (EspyDeviceInfo *info, const char *friendly_name);
/* FALSE (and mac left NULL) when MAC is not a MAC address. */
gboolean espy_device_info_set_mac            (EspyDeviceInfo *info, const char *mac);
void espy_device_info_set_addresses          (EspyDeviceInfo *info, const char * const *addresses);
/* Appends ADDRESS unless it is already there. */
void espy_device_info_add_address            (EspyDeviceInfo *info, const char *address);
void espy_device_info_set_host               (EspyDeviceInfo *info, const char *host);
void espy_device_info_set_platform           (EspyDeviceInfo *info, const char *platform);
void espy_device_info_set_board              (EspyDeviceInfo *info, const char *board);
void espy_device_info_set_version            (EspyDeviceInfo *info, const char *version);
void espy_device_info_set_network            (EspyDeviceInfo *info, const char *network);
void espy_device_info_set_project_name       (EspyDeviceInfo *info, const char *project_name);
void espy_device_info_set_project_version    (EspyDeviceInfo *info, const char *project_version);
void espy_device_info_set_package_import_url (EspyDeviceInfo *info, const char *url);
void espy_device_info_set_config_hash        (EspyDeviceInfo *info, const char *config_hash);
void espy_device_info_set_config_path        (EspyDeviceInfo *info, const char *config_path);
void espy_device_info_set_deployed_version   (EspyDeviceInfo *info, const char *version);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyDeviceInfo, espy_device_info_unref)

G_END_DECLS
