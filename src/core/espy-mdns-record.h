/* espy-mdns-record.h: one resolved `_esphomelib._tcp` service, as discovery
 * reports it: where the device answers and what its TXT record says
 * (wire doc section 3). Reference counted and immutable once handed out;
 * the setters are for whoever builds it (discovery, tests).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Longest TXT value kept, in bytes (one DNS character-string). */
#define ESPY_MDNS_TXT_VALUE_MAX 255

/* The TXT keys ESPHome publishes. */
typedef enum {
  ESPY_MDNS_TXT_FRIENDLY_NAME,
  ESPY_MDNS_TXT_VERSION,
  ESPY_MDNS_TXT_MAC,
  ESPY_MDNS_TXT_PLATFORM,
  ESPY_MDNS_TXT_BOARD,
  ESPY_MDNS_TXT_NETWORK,
  ESPY_MDNS_TXT_API_ENCRYPTION,
  ESPY_MDNS_TXT_API_ENCRYPTION_SUPPORTED,
  ESPY_MDNS_TXT_PROJECT_NAME,
  ESPY_MDNS_TXT_PROJECT_VERSION,
  ESPY_MDNS_TXT_PACKAGE_IMPORT_URL,
  ESPY_MDNS_TXT_CONFIG_HASH,
} EspyMdnsTxtKey;
#define ESPY_MDNS_TXT_N_KEYS 12

/* "friendly_name", "version", ... as on the wire. */
const char *espy_mdns_txt_key_to_string (EspyMdnsTxtKey key);

/* Decodes TXT character-strings (raw bytes, "key=value", as a resolver
 * returns them; GPtrArray of GBytes, may be NULL) into a table of
 * lowercase key -> value (NULL value: the string had no '=', RFC 6763 6.4
 * boolean attribute). Never fails: values are cut to ESPY_MDNS_TXT_VALUE_MAX
 * bytes and made valid UTF-8; empty keys, keys with bytes outside printable
 * ASCII and repeated keys (the first wins) are skipped. */
GHashTable *espy_mdns_txt_decode        (GPtrArray   *strings);

/* "AC:BC:32:00:11:22", "ac-bc-32-00-11-22", "acbc32001122" -> "acbc32001122";
 * NULL for anything else. */
char       *espy_mdns_normalize_mac     (const char  *text);

typedef struct _EspyMdnsRecord EspyMdnsRecord;

#define ESPY_TYPE_MDNS_RECORD (espy_mdns_record_get_type ())
GType            espy_mdns_record_get_type          (void) G_GNUC_CONST;

EspyMdnsRecord  *espy_mdns_record_new               (const char            *name);
EspyMdnsRecord  *espy_mdns_record_ref               (EspyMdnsRecord        *self);
void             espy_mdns_record_unref             (EspyMdnsRecord        *self);
/* A deep copy with a reference count of 1, to change before handing out. */
EspyMdnsRecord  *espy_mdns_record_copy              (const EspyMdnsRecord  *self);
/* Every field equal (addresses in order). */
gboolean         espy_mdns_record_equal             (const EspyMdnsRecord  *a,
                                                     const EspyMdnsRecord  *b);

/* The service instance name: the ESPHome node name. */
const char      *espy_mdns_record_get_name          (const EspyMdnsRecord  *self);
/* NAME without a name_add_mac_suffix suffix ("-" + the MAC's last 6 hex
 * digits) when the MAC is known and the name has it; else NAME. */
char            *espy_mdns_record_dup_base_name     (const EspyMdnsRecord  *self);
/* "name.local" as the service announces it, or NULL. */
const char      *espy_mdns_record_get_host_name     (const EspyMdnsRecord  *self);
/* IPv4 first, then IPv6 (scope "%ifname" kept for link-local);
 * NULL-terminated, never NULL. */
const char * const *espy_mdns_record_get_addresses  (const EspyMdnsRecord  *self);
/* The first address, or NULL. */
const char      *espy_mdns_record_get_address       (const EspyMdnsRecord  *self);
/* The native API port of the service. */
guint16          espy_mdns_record_get_port          (const EspyMdnsRecord  *self);
/* Port of the device's `_http._tcp` service, 0 when it has none. */
guint16          espy_mdns_record_get_web_port      (const EspyMdnsRecord  *self);
/* Where this copy of the service was seen: interface index (-1 unknown)
 * and G_SOCKET_FAMILY_IPV4 / _IPV6 (_INVALID unknown). */
int              espy_mdns_record_get_interface     (const EspyMdnsRecord  *self);
GSocketFamily    espy_mdns_record_get_family        (const EspyMdnsRecord  *self);

/* A decoded TXT value, or NULL when the device did not publish it. */
const char      *espy_mdns_record_get_txt           (const EspyMdnsRecord  *self,
                                                     EspyMdnsTxtKey         key);
#define espy_mdns_record_get_friendly_name(r)      espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_FRIENDLY_NAME)
#define espy_mdns_record_get_version(r)            espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_VERSION)
/* 12 lowercase hex digits; NULL when missing or not a MAC address. */
#define espy_mdns_record_get_mac(r)                espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_MAC)
#define espy_mdns_record_get_platform(r)           espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_PLATFORM)
#define espy_mdns_record_get_board(r)              espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_BOARD)
#define espy_mdns_record_get_network(r)            espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_NETWORK)
#define espy_mdns_record_get_api_encryption(r)     espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_API_ENCRYPTION)
#define espy_mdns_record_get_api_encryption_supported(r) \
                                                   espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_API_ENCRYPTION_SUPPORTED)
#define espy_mdns_record_get_project_name(r)       espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_PROJECT_NAME)
#define espy_mdns_record_get_project_version(r)    espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_PROJECT_VERSION)
#define espy_mdns_record_get_package_import_url(r) espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_PACKAGE_IMPORT_URL)
#define espy_mdns_record_get_config_hash(r)        espy_mdns_record_get_txt ((r), ESPY_MDNS_TXT_CONFIG_HASH)

/* Builders. */
void             espy_mdns_record_set_host_name     (EspyMdnsRecord        *self,
                                                     const char            *host_name);
/* Appends ADDRESS unless it is there; IPv4 literals go before IPv6 ones. */
void             espy_mdns_record_add_address       (EspyMdnsRecord        *self,
                                                     const char            *address);
void             espy_mdns_record_clear_addresses   (EspyMdnsRecord        *self);
void             espy_mdns_record_set_port          (EspyMdnsRecord        *self,
                                                     guint16                port);
void             espy_mdns_record_set_web_port      (EspyMdnsRecord        *self,
                                                     guint16                web_port);
void             espy_mdns_record_set_interface     (EspyMdnsRecord        *self,
                                                     int                    interface,
                                                     GSocketFamily          family);
/* Sets one TXT value as decoded text (mac normalised, other values cut and
 * made valid like espy_mdns_txt_decode() does). */
void             espy_mdns_record_set_txt           (EspyMdnsRecord        *self,
                                                     EspyMdnsTxtKey         key,
                                                     const char            *value);
/* Replaces every TXT value with those of TABLE (from espy_mdns_txt_decode());
 * keys it does not have become NULL, unknown keys are ignored. */
void             espy_mdns_record_set_txt_table     (EspyMdnsRecord        *self,
                                                     GHashTable            *table);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyMdnsRecord, espy_mdns_record_unref)

G_END_DECLS
