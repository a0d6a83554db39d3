/* espy-manual-devices.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-manual-devices.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define FORMAT_VERSION 1

struct _EspyManualDevices {
  GObject    parent_instance;

  char      *path;
  GPtrArray *entries;  /* EspyDeviceInfo* */
};

G_DEFINE_FINAL_TYPE (EspyManualDevices, espy_manual_devices, G_TYPE_OBJECT)
G_DEFINE_QUARK (espy-manual-devices-error-quark, espy_manual_devices_error)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
espy_manual_devices_finalize (GObject *object)
{
  EspyManualDevices *self = ESPY_MANUAL_DEVICES (object);

  g_free (self->path);
  g_ptr_array_unref (self->entries);

  G_OBJECT_CLASS (espy_manual_devices_parent_class)->finalize (object);
}

static void
espy_manual_devices_class_init (EspyManualDevicesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = espy_manual_devices_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
espy_manual_devices_init (EspyManualDevices *self)
{
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_device_info_unref);
}

EspyManualDevices *
espy_manual_devices_new (const char *path)
{
  EspyManualDevices *self = g_object_new (ESPY_TYPE_MANUAL_DEVICES, NULL);

  if (path != NULL)
    self->path = g_strdup (path);
  else
    self->path = g_build_filename (g_get_user_data_dir (), "espy", "manual-devices.json", NULL);
  return self;
}

const char *
espy_manual_devices_get_path (EspyManualDevices *self)
{
  g_return_val_if_fail (ESPY_IS_MANUAL_DEVICES (self), NULL);
  return self->path;
}

GPtrArray *
espy_manual_devices_get_entries (EspyManualDevices *self)
{
  g_return_val_if_fail (ESPY_IS_MANUAL_DEVICES (self), NULL);
  return self->entries;
}

char *
espy_manual_devices_entry_key (const EspyDeviceInfo *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  if (entry->name != NULL)
    return g_ascii_strdown (entry->name, -1);
  if (entry->host != NULL)
    return g_ascii_strdown (entry->host, -1);
  return NULL;
}

/* ESPHome names: letters, digits, '-' and '_' (hosts may also have '.',
 * and IPv6 literals ':' and '%'). */
static gboolean
is_valid_token (const char *text,
                const char *extra)
{
  if (text == NULL || *text == '\0' || strlen (text) > 253)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && strchr (extra, *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
validate_entry (const EspyDeviceInfo  *entry,
                GError               **error)
{
  if (entry->name == NULL && entry->host == NULL)
    {
      g_set_error_literal (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_INVALID,
                           _("Give the device’s name or its address"));
      return FALSE;
    }
  if (entry->name != NULL && !is_valid_token (entry->name, ""))
    {
      g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_INVALID,
                   _("“%s” is not an ESPHome device name (letters, digits and “-” only)"), entry->name);
      return FALSE;
    }
  if (entry->host != NULL && !is_valid_token (entry->host, ".:%"))
    {
      g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_INVALID,
                   _("“%s” is not a host name or an IP address"), entry->host);
      return FALSE;
    }
  return TRUE;
}

/* Only the fields a manual entry has. */
static EspyDeviceInfo *
entry_copy (const EspyDeviceInfo *entry)
{
  EspyDeviceInfo *copy = espy_device_info_new ();

  espy_device_info_set_name (copy, entry->name);
  espy_device_info_set_host (copy, entry->host);
  copy->api_port = entry->api_port;
  copy->ota_port = entry->ota_port;
  copy->web_port = entry->web_port;
  copy->ota_transport = entry->ota_transport;
  return copy;
}

/* --- JSON ----------------------------------------------------------------- */

static char *
entries_to_json (GPtrArray *entries)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, FORMAT_VERSION);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      EspyDeviceInfo *e = g_ptr_array_index (entries, i);
      const char *transport = espy_device_transport_to_nick (e->ota_transport);

      json_builder_begin_object (builder);
      if (e->name != NULL)
        {
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, e->name);
        }
      if (e->host != NULL)
        {
          json_builder_set_member_name (builder, "address");
          json_builder_add_string_value (builder, e->host);
        }
#define ADD_PORT(field) \
      if (e->field != 0) \
        { \
          json_builder_set_member_name (builder, #field); \
          json_builder_add_int_value (builder, e->field); \
        }
      ADD_PORT (api_port)
      ADD_PORT (ota_port)
      ADD_PORT (web_port)
#undef ADD_PORT
      if (transport != NULL)
        {
          json_builder_set_member_name (builder, "transport");
          json_builder_add_string_value (builder, transport);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

static gboolean
read_port (JsonObject  *object,
           const char  *member,
           guint16     *out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 value;

  *out = 0;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    goto bad;
  value = json_node_get_int (node);
  if (value < 0 || value > G_MAXUINT16)
    goto bad;
  *out = (guint16) value;
  return TRUE;

bad:
  g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_CORRUPT,
               _("“%s” is not a port number"), member);
  return FALSE;
}

static const char *
read_string (JsonObject  *object,
             const char  *member,
             gboolean    *ok)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      *ok = FALSE;
      return NULL;
    }
  return json_node_get_string (node);
}

static GPtrArray *
entries_from_json (const char  *data,
                   gsize        len,
                   GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_device_info_unref);
  JsonNode *root;
  JsonObject *object;
  JsonNode *devices;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, data, (gssize) len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  object = json_node_get_object (root);
  devices = json_object_get_member (object, "devices");
  if (devices == NULL || !JSON_NODE_HOLDS_ARRAY (devices))
    goto bad;
  array = json_node_get_array (devices);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(EspyDeviceInfo) entry = espy_device_info_new ();
      JsonObject *e;
      gboolean ok = TRUE;
      const char *transport;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        goto bad;
      e = json_node_get_object (node);
      espy_device_info_set_name (entry, read_string (e, "name", &ok));
      espy_device_info_set_host (entry, read_string (e, "address", &ok));
      transport = read_string (e, "transport", &ok);
      if (!ok)
        goto bad;
      entry->ota_transport = espy_device_transport_from_nick (transport);
      if (!read_port (e, "api_port", &entry->api_port, error) ||
          !read_port (e, "ota_port", &entry->ota_port, error) ||
          !read_port (e, "web_port", &entry->web_port, error))
        return NULL;
      if (!validate_entry (entry, error))
        return NULL;
      g_ptr_array_add (entries, g_steal_pointer (&entry));
    }
  return g_steal_pointer (&entries);

bad:
  g_set_error_literal (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_CORRUPT,
                       _("it is not a list of devices"));
  return NULL;
}

/* --- load / save ---------------------------------------------------------- */

gboolean
espy_manual_devices_load (EspyManualDevices  *self,
                          GError            **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *bad_path = NULL;
  gsize len = 0;

  g_return_val_if_fail (ESPY_IS_MANUAL_DEVICES (self), FALSE);

  if (!g_file_get_contents (self->path, &data, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_ptr_array_set_size (self->entries, 0);
          g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
          return TRUE;
        }
      g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_CORRUPT,
                   _("Could not read the manually added devices: %s"), local_error->message);
      return FALSE;
    }

  entries = entries_from_json (data, len, &local_error);
  if (entries == NULL)
    {
      /* Keep the user's bytes for inspection, out of the way of the next save. */
      bad_path = g_strconcat (self->path, ".bad", NULL);
      g_ptr_array_set_size (self->entries, 0);
      if (g_rename (self->path, bad_path) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_CORRUPT,
                       _("The list of manually added devices (%s) could not be read (%s), and could not be set aside: %s"),
                       self->path, local_error->message, g_strerror (saved_errno));
        }
      else
        g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_CORRUPT,
                     _("The list of manually added devices (%s) could not be read (%s). It was kept as %s."),
                     self->path, local_error->message, bad_path);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
      return FALSE;
    }

  g_ptr_array_unref (self->entries);
  self->entries = g_steal_pointer (&entries);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

static gboolean
save (EspyManualDevices  *self,
      GPtrArray          *entries,
      GError            **error)
{
  g_autofree char *data = entries_to_json (entries);
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autoptr(GError) local_error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_WRITE,
                   _("Could not save the manually added devices in %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* g_file_set_contents writes a temporary file and renames it over the old one. */
  if (!g_file_set_contents (self->path, data, -1, &local_error))
    {
      g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_WRITE,
                   _("Could not save the manually added devices: %s"), local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gint
find_entry (GPtrArray  *entries,
            const char *key)
{
  for (guint i = 0; i < entries->len; i++)
    {
      g_autofree char *k = espy_manual_devices_entry_key (g_ptr_array_index (entries, i));

      if (g_strcmp0 (k, key) == 0)
        return (gint) i;
    }
  return -1;
}

gboolean
espy_manual_devices_add (EspyManualDevices     *self,
                         const EspyDeviceInfo  *entry,
                         GError               **error)
{
  g_autoptr(GPtrArray) next = NULL;
  g_autofree char *key = NULL;
  gint pos;

  g_return_val_if_fail (ESPY_IS_MANUAL_DEVICES (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  if (!validate_entry (entry, error))
    return FALSE;

  /* Build the new list aside: the old one stays if saving fails. */
  next = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_device_info_unref);
  for (guint i = 0; i < self->entries->len; i++)
    g_ptr_array_add (next, espy_device_info_ref (g_ptr_array_index (self->entries, i)));
  key = espy_manual_devices_entry_key (entry);
  pos = find_entry (next, key);
  if (pos >= 0)
    {
      espy_device_info_unref (g_ptr_array_index (next, pos));
      g_ptr_array_index (next, pos) = entry_copy (entry);
    }
  else
    g_ptr_array_add (next, entry_copy (entry));

  if (!save (self, next, error))
    return FALSE;
  g_ptr_array_unref (self->entries);
  self->entries = g_steal_pointer (&next);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

gboolean
espy_manual_devices_remove (EspyManualDevices  *self,
                            const char         *key,
                            GError            **error)
{
  g_autoptr(GPtrArray) next = NULL;
  g_autofree char *lower = NULL;
  gint pos;

  g_return_val_if_fail (ESPY_IS_MANUAL_DEVICES (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  lower = g_ascii_strdown (key, -1);
  pos = find_entry (self->entries, lower);
  if (pos < 0)
    {
      g_set_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_NOT_FOUND,
                   _("No manually added device is called “%s”"), key);
      return FALSE;
    }
  next = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_device_info_unref);
  for (guint i = 0; i < self->entries->len; i++)
    if ((gint) i != pos)
      g_ptr_array_add (next, espy_device_info_ref (g_ptr_array_index (self->entries, i)));

  if (!save (self, next, error))
    return FALSE;
  g_ptr_array_unref (self->entries);
  self->entries = g_steal_pointer (&next);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}
