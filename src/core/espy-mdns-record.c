/* espy-mdns-record.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-mdns-record.h"

#include <string.h>

struct _EspyMdnsRecord {
  gatomicrefcount  ref_count;
  char            *name;
  char            *host_name;
  GPtrArray       *addresses;   /* char *, NULL-terminated */
  guint16          port;
  guint16          web_port;
  int              interface;
  GSocketFamily    family;
  char            *txt[ESPY_MDNS_TXT_N_KEYS];
};

G_DEFINE_BOXED_TYPE (EspyMdnsRecord, espy_mdns_record, espy_mdns_record_ref, espy_mdns_record_unref)

static const char * const txt_keys[ESPY_MDNS_TXT_N_KEYS] = {
  [ESPY_MDNS_TXT_FRIENDLY_NAME] = "friendly_name",
  [ESPY_MDNS_TXT_VERSION] = "version",
  [ESPY_MDNS_TXT_MAC] = "mac",
  [ESPY_MDNS_TXT_PLATFORM] = "platform",
  [ESPY_MDNS_TXT_BOARD] = "board",
  [ESPY_MDNS_TXT_NETWORK] = "network",
  [ESPY_MDNS_TXT_API_ENCRYPTION] = "api_encryption",
  [ESPY_MDNS_TXT_API_ENCRYPTION_SUPPORTED] = "api_encryption_supported",
  [ESPY_MDNS_TXT_PROJECT_NAME] = "project_name",
  [ESPY_MDNS_TXT_PROJECT_VERSION] = "project_version",
  [ESPY_MDNS_TXT_PACKAGE_IMPORT_URL] = "package_import_url",
  [ESPY_MDNS_TXT_CONFIG_HASH] = "config_hash",
};

const char *
espy_mdns_txt_key_to_string (EspyMdnsTxtKey key)
{
  g_return_val_if_fail ((guint) key < ESPY_MDNS_TXT_N_KEYS, NULL);
  return txt_keys[key];
}

/* Cuts at MAX bytes (but not inside a UTF-8 sequence that was valid) and
 * replaces invalid bytes, NULs included, with U+FFFD. */
static char *
make_text (const char *data,
           gsize       len)
{
  if (len > ESPY_MDNS_TXT_VALUE_MAX)
    {
      gsize cut = ESPY_MDNS_TXT_VALUE_MAX;

      /* The first dropped byte continues a character: drop all of it. */
      while (cut > ESPY_MDNS_TXT_VALUE_MAX - 3 && ((guchar) data[cut] & 0xC0) == 0x80)
        cut--;
      len = cut;
    }
  return g_utf8_make_valid (data, len);
}

GHashTable *
espy_mdns_txt_decode (GPtrArray *strings)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; strings != NULL && i < strings->len; i++)
    {
      GBytes *bytes = g_ptr_array_index (strings, i);
      const char *data;
      const char *eq;
      gsize len = 0;
      gsize key_len;
      gboolean key_ok = TRUE;
      g_autofree char *key = NULL;

      if (bytes == NULL)
        continue;
      data = g_bytes_get_data (bytes, &len);
      if (data == NULL || len == 0)
        continue;

      eq = memchr (data, '=', len);
      key_len = eq != NULL ? (gsize) (eq - data) : len;
      /* RFC 6763 6.4: printable US-ASCII, at least one character. */
      if (key_len == 0)
        continue;
      for (gsize k = 0; k < key_len; k++)
        if (data[k] < 0x20 || data[k] > 0x7E)
          key_ok = FALSE;
      if (!key_ok)
        continue;

      key = g_ascii_strdown (data, key_len);
      if (g_hash_table_contains (table, key))
        continue;   /* 6.4: only the first occurrence counts */

      g_hash_table_insert (table, g_steal_pointer (&key),
                           eq != NULL ? make_text (eq + 1, len - key_len - 1) : NULL);
    }
  return table;
}

char *
espy_mdns_normalize_mac (const char *text)
{
  char out[13];
  guint n = 0;
  char sep = 0;

  if (text == NULL)
    return NULL;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        {
          if (n == 12)
            return NULL;
          out[n++] = g_ascii_tolower (*p);
        }
      else if ((*p == ':' || *p == '-') && n > 0 && n % 2 == 0 && (sep == 0 || sep == *p)
               && p[1] != '\0')
        sep = *p;   /* one separator kind, between byte pairs only */
      else
        return NULL;
    }
  if (n != 12)
    return NULL;
  out[12] = '\0';
  return g_strdup (out);
}

EspyMdnsRecord *
espy_mdns_record_new (const char *name)
{
  EspyMdnsRecord *self = g_new0 (EspyMdnsRecord, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->name = g_strdup (name != NULL ? name : "");
  self->addresses = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->addresses, NULL);
  self->interface = -1;
  self->family = G_SOCKET_FAMILY_INVALID;
  return self;
}

EspyMdnsRecord *
espy_mdns_record_ref (EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
espy_mdns_record_unref (EspyMdnsRecord *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->name);
  g_free (self->host_name);
  g_ptr_array_unref (self->addresses);
  for (guint i = 0; i < ESPY_MDNS_TXT_N_KEYS; i++)
    g_free (self->txt[i]);
  g_free (self);
}

EspyMdnsRecord *
espy_mdns_record_copy (const EspyMdnsRecord *self)
{
  EspyMdnsRecord *copy;

  g_return_val_if_fail (self != NULL, NULL);
  copy = espy_mdns_record_new (self->name);
  copy->host_name = g_strdup (self->host_name);
  for (guint i = 0; i + 1 < self->addresses->len; i++)
    espy_mdns_record_add_address (copy, g_ptr_array_index (self->addresses, i));
  copy->port = self->port;
  copy->web_port = self->web_port;
  copy->interface = self->interface;
  copy->family = self->family;
  for (guint i = 0; i < ESPY_MDNS_TXT_N_KEYS; i++)
    copy->txt[i] = g_strdup (self->txt[i]);
  return copy;
}

gboolean
espy_mdns_record_equal (const EspyMdnsRecord *a,
                        const EspyMdnsRecord *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  if (g_strcmp0 (a->name, b->name) != 0
      || g_strcmp0 (a->host_name, b->host_name) != 0
      || a->port != b->port || a->web_port != b->web_port
      || a->interface != b->interface || a->family != b->family
      || a->addresses->len != b->addresses->len)
    return FALSE;
  for (guint i = 0; i + 1 < a->addresses->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a->addresses, i), g_ptr_array_index (b->addresses, i)) != 0)
      return FALSE;
  for (guint i = 0; i < ESPY_MDNS_TXT_N_KEYS; i++)
    if (g_strcmp0 (a->txt[i], b->txt[i]) != 0)
      return FALSE;
  return TRUE;
}

const char *
espy_mdns_record_get_name (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

char *
espy_mdns_record_dup_base_name (const EspyMdnsRecord *self)
{
  const char *mac;
  gsize len;

  g_return_val_if_fail (self != NULL, NULL);
  mac = self->txt[ESPY_MDNS_TXT_MAC];
  len = strlen (self->name);
  /* name_add_mac_suffix: "<name>-" + the last 3 MAC bytes, any case. */
  if (mac != NULL && len > 7 && self->name[len - 7] == '-'
      && g_ascii_strcasecmp (self->name + len - 6, mac + 6) == 0)
    return g_strndup (self->name, len - 7);
  return g_strdup (self->name);
}

const char *
espy_mdns_record_get_host_name (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->host_name;
}

const char * const *
espy_mdns_record_get_addresses (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->addresses->pdata;
}

const char *
espy_mdns_record_get_address (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_ptr_array_index (self->addresses, 0);
}

guint16
espy_mdns_record_get_port (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->port;
}

guint16
espy_mdns_record_get_web_port (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->web_port;
}

int
espy_mdns_record_get_interface (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->interface;
}

GSocketFamily
espy_mdns_record_get_family (const EspyMdnsRecord *self)
{
  g_return_val_if_fail (self != NULL, G_SOCKET_FAMILY_INVALID);
  return self->family;
}

const char *
espy_mdns_record_get_txt (const EspyMdnsRecord *self,
                          EspyMdnsTxtKey        key)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail ((guint) key < ESPY_MDNS_TXT_N_KEYS, NULL);
  return self->txt[key];
}

void
espy_mdns_record_set_host_name (EspyMdnsRecord *self,
                                const char     *host_name)
{
  g_return_if_fail (self != NULL);
  g_free (self->host_name);
  self->host_name = g_strdup (host_name);
}

void
espy_mdns_record_add_address (EspyMdnsRecord *self,
                              const char     *address)
{
  gboolean is_v4;
  guint pos;

  g_return_if_fail (self != NULL);
  if (address == NULL || *address == '\0')
    return;
  for (guint i = 0; i + 1 < self->addresses->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->addresses, i), address) == 0)
      return;

  /* Stable order: every IPv4 address before the first IPv6 one. */
  is_v4 = strchr (address, ':') == NULL;
  pos = self->addresses->len - 1;
  if (is_v4)
    for (guint i = 0; i + 1 < self->addresses->len; i++)
      if (strchr (g_ptr_array_index (self->addresses, i), ':') != NULL)
        {
          pos = i;
          break;
        }
  g_ptr_array_insert (self->addresses, (int) pos, g_strdup (address));
}

void
espy_mdns_record_clear_addresses (EspyMdnsRecord *self)
{
  g_return_if_fail (self != NULL);
  g_ptr_array_set_size (self->addresses, 0);
  g_ptr_array_add (self->addresses, NULL);
}

void
espy_mdns_record_set_port (EspyMdnsRecord *self,
                           guint16         port)
{
  g_return_if_fail (self != NULL);
  self->port = port;
}

void
espy_mdns_record_set_web_port (EspyMdnsRecord *self,
                               guint16         web_port)
{
  g_return_if_fail (self != NULL);
  self->web_port = web_port;
}

void
espy_mdns_record_set_interface (EspyMdnsRecord *self,
                                int             interface,
                                GSocketFamily   family)
{
  g_return_if_fail (self != NULL);
  self->interface = interface;
  self->family = family;
}

void
espy_mdns_record_set_txt (EspyMdnsRecord *self,
                          EspyMdnsTxtKey  key,
                          const char     *value)
{
  char *text = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail ((guint) key < ESPY_MDNS_TXT_N_KEYS);

  if (value != NULL && key == ESPY_MDNS_TXT_MAC)
    text = espy_mdns_normalize_mac (value);
  else if (value != NULL)
    text = make_text (value, strlen (value));
  g_free (self->txt[key]);
  self->txt[key] = text;
}

void
espy_mdns_record_set_txt_table (EspyMdnsRecord *self,
                                GHashTable     *table)
{
  g_return_if_fail (self != NULL);
  for (guint i = 0; i < ESPY_MDNS_TXT_N_KEYS; i++)
    espy_mdns_record_set_txt (self, i, table != NULL ? g_hash_table_lookup (table, txt_keys[i]) : NULL);
}
