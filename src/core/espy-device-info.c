/* espy-device-info.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-device-info.h"

#include <string.h>

G_DEFINE_ENUM_TYPE (EspyDeviceSource, espy_device_source,
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCE_MDNS, "mdns"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCE_CONFIG, "config"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCE_MANUAL, "manual"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCE_API, "api"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCE_PROBE, "probe"))

G_DEFINE_FLAGS_TYPE (EspyDeviceSources, espy_device_sources,
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCES_NONE, "none"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCES_MDNS, "mdns"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCES_CONFIG, "config"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCES_MANUAL, "manual"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCES_API, "api"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_SOURCES_PROBE, "probe"))

G_DEFINE_ENUM_TYPE (EspyTristate, espy_tristate,
  G_DEFINE_ENUM_VALUE (ESPY_TRISTATE_UNKNOWN, "unknown"),
  G_DEFINE_ENUM_VALUE (ESPY_TRISTATE_NO, "no"),
  G_DEFINE_ENUM_VALUE (ESPY_TRISTATE_YES, "yes"))

G_DEFINE_ENUM_TYPE (EspyDeviceTransport, espy_device_transport,
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_TRANSPORT_UNSET, "unset"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_TRANSPORT_AUTO, "auto"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_TRANSPORT_OTA, "ota"),
  G_DEFINE_ENUM_VALUE (ESPY_DEVICE_TRANSPORT_WEB, "web"))

G_DEFINE_BOXED_TYPE (EspyDeviceInfo, espy_device_info, espy_device_info_ref, espy_device_info_unref)

const char *
espy_device_source_to_nick (EspyDeviceSource source)
{
  switch (source)
    {
    case ESPY_DEVICE_SOURCE_MDNS: return "mdns";
    case ESPY_DEVICE_SOURCE_CONFIG: return "config";
    case ESPY_DEVICE_SOURCE_MANUAL: return "manual";
    case ESPY_DEVICE_SOURCE_API: return "api";
    case ESPY_DEVICE_SOURCE_PROBE: return "probe";
    default: return "unknown";
    }
}

const char *
espy_device_transport_to_nick (EspyDeviceTransport transport)
{
  switch (transport)
    {
    case ESPY_DEVICE_TRANSPORT_AUTO: return "auto";
    case ESPY_DEVICE_TRANSPORT_OTA: return "ota";
    case ESPY_DEVICE_TRANSPORT_WEB: return "web";
    case ESPY_DEVICE_TRANSPORT_UNSET:
    default: return NULL;
    }
}

EspyDeviceTransport
espy_device_transport_from_nick (const char *nick)
{
  if (g_strcmp0 (nick, "auto") == 0)
    return ESPY_DEVICE_TRANSPORT_AUTO;
  if (g_strcmp0 (nick, "ota") == 0)
    return ESPY_DEVICE_TRANSPORT_OTA;
  if (g_strcmp0 (nick, "web") == 0)
    return ESPY_DEVICE_TRANSPORT_WEB;
  return ESPY_DEVICE_TRANSPORT_UNSET;
}

EspyDeviceInfo *
espy_device_info_new (void)
{
  EspyDeviceInfo *info = g_new0 (EspyDeviceInfo, 1);

  g_atomic_ref_count_init (&info->ref_count);
  return info;
}

EspyDeviceInfo *
espy_device_info_ref (EspyDeviceInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  g_atomic_ref_count_inc (&info->ref_count);
  return info;
}

static void
espy_device_info_free (EspyDeviceInfo *info)
{
  g_free (info->name);
  g_free (info->friendly_name);
  g_free (info->mac);
  g_strfreev (info->addresses);
  g_free (info->host);
  g_free (info->platform);
  g_free (info->board);
  g_free (info->version);
  g_free (info->network);
  g_free (info->project_name);
  g_free (info->project_version);
  g_free (info->package_import_url);
  g_free (info->config_hash);
  g_free (info->config_path);
  g_free (info->deployed_version);
  g_free (info);
}

void
espy_device_info_unref (EspyDeviceInfo *info)
{
  g_return_if_fail (info != NULL);

  if (g_atomic_ref_count_dec (&info->ref_count))
    espy_device_info_free (info);
}

EspyDeviceInfo *
espy_device_info_dup (const EspyDeviceInfo *info)
{
  EspyDeviceInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = espy_device_info_new ();
  copy->name = g_strdup (info->name);
  copy->friendly_name = g_strdup (info->friendly_name);
  copy->mac = g_strdup (info->mac);
  copy->addresses = g_strdupv (info->addresses);
  copy->host = g_strdup (info->host);
  copy->api_port = info->api_port;
  copy->ota_port = info->ota_port;
  copy->web_port = info->web_port;
  copy->platform = g_strdup (info->platform);
  copy->board = g_strdup (info->board);
  copy->version = g_strdup (info->version);
  copy->network = g_strdup (info->network);
  copy->api_encryption = info->api_encryption;
  copy->api_encryption_supported = info->api_encryption_supported;
  copy->project_name = g_strdup (info->project_name);
  copy->project_version = g_strdup (info->project_version);
  copy->package_import_url = g_strdup (info->package_import_url);
  copy->config_hash = g_strdup (info->config_hash);
  copy->config_path = g_strdup (info->config_path);
  copy->ota_transport = info->ota_transport;
  copy->deployed_version = g_strdup (info->deployed_version);
  return copy;
}

static gboolean
strv_equal0 (char * const *a,
             char * const *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strv_equal ((const char * const *) a, (const char * const *) b);
}

gboolean
espy_device_info_equal (const EspyDeviceInfo *a,
                        const EspyDeviceInfo *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->friendly_name, b->friendly_name) == 0 &&
         g_strcmp0 (a->mac, b->mac) == 0 &&
         strv_equal0 (a->addresses, b->addresses) &&
         g_strcmp0 (a->host, b->host) == 0 &&
         a->api_port == b->api_port &&
         a->ota_port == b->ota_port &&
         a->web_port == b->web_port &&
         g_strcmp0 (a->platform, b->platform) == 0 &&
         g_strcmp0 (a->board, b->board) == 0 &&
         g_strcmp0 (a->version, b->version) == 0 &&
         g_strcmp0 (a->network, b->network) == 0 &&
         a->api_encryption == b->api_encryption &&
         a->api_encryption_supported == b->api_encryption_supported &&
         g_strcmp0 (a->project_name, b->project_name) == 0 &&
         g_strcmp0 (a->project_version, b->project_version) == 0 &&
         g_strcmp0 (a->package_import_url, b->package_import_url) == 0 &&
         g_strcmp0 (a->config_hash, b->config_hash) == 0 &&
         g_strcmp0 (a->config_path, b->config_path) == 0 &&
         a->ota_transport == b->ota_transport &&
         g_strcmp0 (a->deployed_version, b->deployed_version) == 0;
}

char *
espy_mac_normalize (const char *text)
{
  GString *out;
  const char *p;

  if (text == NULL)
    return NULL;

  out = g_string_sized_new (12);
  for (p = text; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        {
          if (out->len == 12)
            break;
          g_string_append_c (out, g_ascii_tolower (*p));
        }
      else if (*p == ':' || *p == '-' || *p == '.')
        continue;
      else
        break;
    }
  if (*p != '\0' || out->len != 12)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

char *
espy_mac_format (const char *mac)
{
  GString *out;
  guint i;

  if (mac == NULL || strlen (mac) != 12)
    return g_strdup (mac);
  out = g_string_sized_new (17);
  for (i = 0; i < 12; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, ':');
      g_string_append_len (out, mac + i, 2);
    }
  return g_string_free (out, FALSE);
}

/* Empty strings mean "not known" too: TXT records and YAML often carry "". */
static void
set_str (char       **field,
         const char  *value)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  if (*field == value)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

#define DEFINE_STR_SETTER(field) \
  void \
  espy_device_info_set_##field (EspyDeviceInfo *info, \
                                const char     *value) \
  { \
    g_return_if_fail (info != NULL); \
    set_str (&info->field, value); \
  }

DEFINE_STR_SETTER (name)
DEFINE_STR_SETTER (friendly_name)
DEFINE_STR_SETTER (host)
DEFINE_STR_SETTER (platform)
DEFINE_STR_SETTER (board)
DEFINE_STR_SETTER (version)
DEFINE_STR_SETTER (network)
DEFINE_STR_SETTER (project_name)
DEFINE_STR_SETTER (project_version)
DEFINE_STR_SETTER (package_import_url)
DEFINE_STR_SETTER (config_hash)
DEFINE_STR_SETTER (config_path)
DEFINE_STR_SETTER (deployed_version)

gboolean
espy_device_info_set_mac (EspyDeviceInfo *info,
                          const char     *mac)
{
  g_return_val_if_fail (info != NULL, FALSE);

  g_clear_pointer (&info->mac, g_free);
  if (mac == NULL || *mac == '\0')
    return TRUE;
  info->mac = espy_mac_normalize (mac);
  return info->mac != NULL;
}

void
espy_device_info_set_addresses (EspyDeviceInfo     *info,
                                const char * const *addresses)
{
  g_return_if_fail (info != NULL);

  g_clear_pointer (&info->addresses, g_strfreev);
  if (addresses != NULL)
    for (guint i = 0; addresses[i] != NULL; i++)
      espy_device_info_add_address (info, addresses[i]);
}

void
espy_device_info_add_address (EspyDeviceInfo *info,
                              const char     *address)
{
  guint n;

  g_return_if_fail (info != NULL);

  if (address == NULL || *address == '\0')
    return;
  if (info->addresses != NULL && g_strv_contains ((const char * const *) info->addresses, address))
    return;
  n = info->addresses != NULL ? g_strv_length (info->addresses) : 0;
  info->addresses = g_renew (char *, info->addresses, n + 2);
  info->addresses[n] = g_strdup (address);
  info->addresses[n + 1] = NULL;
}
