/* espy-secrets.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing here logs a secret: debug messages name the device and the kind,
 * never the value.
 */
#include "espy-secrets.h"

#include <glib/gi18n-lib.h>

G_DEFINE_QUARK (espy-secrets-error-quark, espy_secrets_error)

static const SecretSchema device_secret_schema = {
  "io.github.espy.Espy.DeviceSecret",
  SECRET_SCHEMA_NONE,
  {
    { "device", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  /* reserved */
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static const char * const kind_nicks[] = {
  [ESPY_SECRET_KIND_OTA_PASSWORD] = "ota-password",
  [ESPY_SECRET_KIND_API_KEY] = "api-key",
  [ESPY_SECRET_KIND_WEB_USER] = "web-user",
  [ESPY_SECRET_KIND_WEB_PASSWORD] = "web-password",
};

const SecretSchema *
espy_secrets_get_schema (void)
{
  return &device_secret_schema;
}

const char *
espy_secret_kind_to_nick (EspySecretKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (kind_nicks), NULL);
  return kind_nicks[kind];
}

gboolean
espy_secret_kind_from_nick (const char     *nick,
                            EspySecretKind *kind)
{
  g_return_val_if_fail (nick != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (kind_nicks); i++)
    if (g_str_equal (nick, kind_nicks[i]))
      {
        if (kind != NULL)
          *kind = (EspySecretKind) i;
        return TRUE;
      }
  return FALSE;
}

char *
espy_secrets_make_label (const char     *device,
                         EspySecretKind  kind)
{
  g_return_val_if_fail (device != NULL, NULL);

  switch (kind)
    {
    case ESPY_SECRET_KIND_OTA_PASSWORD:
      return g_strdup_printf (_("Espy: OTA password for %s"), device);
    case ESPY_SECRET_KIND_API_KEY:
      return g_strdup_printf (_("Espy: API encryption key for %s"), device);
    case ESPY_SECRET_KIND_WEB_USER:
      return g_strdup_printf (_("Espy: web server user name for %s"), device);
    case ESPY_SECRET_KIND_WEB_PASSWORD:
      return g_strdup_printf (_("Espy: web server password for %s"), device);
    default:
      g_return_val_if_reached (NULL);
    }
}

void
espy_secret_free (char *secret)
{
  /* Wipes before freeing; also right for strings that g_malloc made. */
  secret_password_free (secret);
}

/* libsecret reports a missing service as D-Bus or I/O errors of many kinds;
 * the user only needs to know that nothing can be remembered. */
static GError *
translate_error (GError     *error,
                 const char *what)
{
  GError *out;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  g_debug ("Keyring %s failed: %s (%s %d)", what, error->message,
           g_quark_to_string (error->domain), error->code);
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    out = g_error_new_literal (ESPY_SECRETS_ERROR, ESPY_SECRETS_ERROR_LOCKED,
                               _("The keyring is locked: unlock it so Espy can remember the password."));
  else if (error->domain == G_DBUS_ERROR || error->domain == G_IO_ERROR
           || g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT))
    out = g_error_new_literal (ESPY_SECRETS_ERROR, ESPY_SECRETS_ERROR_NO_KEYRING,
                               _("No keyring is available: Espy can't remember the password."));
  else
    out = g_error_new (ESPY_SECRETS_ERROR, ESPY_SECRETS_ERROR_FAILED,
                       _("The keyring refused the request: %s"), error->message);
  g_error_free (error);
  return out;
}

static gboolean
check_device (GTask      *task,
              const char *device)
{
  if (device != NULL && *device != '\0')
    return TRUE;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A secret needs the name of its device."));
  return FALSE;
}

/* store ------------------------------------------------------------------ */

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, translate_error (error, "store"));
  else
    g_task_return_boolean (task, TRUE);
}

void
espy_secrets_store_async (const char          *device,
                          EspySecretKind       kind,
                          const char          *secret,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail ((guint) kind < G_N_ELEMENTS (kind_nicks));
  g_return_if_fail (secret != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_secrets_store_async);
  if (!check_device (task, device))
    return;

  g_debug ("Storing the %s of %s in the keyring", kind_nicks[kind], device);
  label = espy_secrets_make_label (device, kind);
  secret_password_store (&device_secret_schema, SECRET_COLLECTION_DEFAULT, label, secret,
                         cancellable, on_stored, g_steal_pointer (&task),
                         "device", device, "kind", kind_nicks[kind], NULL);
}

gboolean
espy_secrets_store_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_secrets_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* lookup ----------------------------------------------------------------- */

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, translate_error (error, "lookup"));
  else
    g_task_return_pointer (task, secret, (GDestroyNotify) espy_secret_free);
}

void
espy_secrets_lookup_async (const char          *device,
                           EspySecretKind       kind,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail ((guint) kind < G_N_ELEMENTS (kind_nicks));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_secrets_lookup_async);
  if (!check_device (task, device))
    return;

  secret_password_lookup (&device_secret_schema, cancellable, on_looked_up, g_steal_pointer (&task),
                          "device", device, "kind", kind_nicks[kind], NULL);
}

char *
espy_secrets_lookup_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_secrets_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* clear ------------------------------------------------------------------ */

static void
on_cleared (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean removed = secret_password_clear_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, translate_error (error, "clear"));
  else
    g_task_return_int (task, removed);
}

void
espy_secrets_clear_async (const char          *device,
                          EspySecretKind       kind,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail ((guint) kind < G_N_ELEMENTS (kind_nicks));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_secrets_clear_async);
  if (!check_device (task, device))
    return;

  g_debug ("Removing the %s of %s from the keyring", kind_nicks[kind], device);
  secret_password_clear (&device_secret_schema, cancellable, on_cleared, g_steal_pointer (&task),
                         "device", device, "kind", kind_nicks[kind], NULL);
}

gboolean
espy_secrets_clear_finish (GAsyncResult  *result,
                           gboolean      *removed,
                           GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_secrets_clear_async, FALSE);

  value = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (removed != NULL)
    *removed = value != 0;
  return TRUE;
}

/* the lookup order ---------------------------------------------------------- */

const char *
espy_secrets_from_config (EspyDeviceConfig *config,
                          EspySecretKind    kind)
{
  const char *value = NULL;

  if (config == NULL)
    return NULL;
  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (config), NULL);

  switch (kind)
    {
    case ESPY_SECRET_KIND_OTA_PASSWORD:
      {
        const EspyConfigOta *ota = espy_device_config_find_ota (config, "esphome");

        value = ota != NULL ? ota->password : NULL;
      }
      break;
    case ESPY_SECRET_KIND_API_KEY:
      value = espy_device_config_get_api_encryption_key (config);
      break;
    case ESPY_SECRET_KIND_WEB_USER:
      value = espy_device_config_get_web_server_username (config);
      break;
    case ESPY_SECRET_KIND_WEB_PASSWORD:
      value = espy_device_config_get_web_server_password (config);
      break;
    default:
      g_return_val_if_reached (NULL);
    }
  /* An empty value in the YAML means "not set" for every kind. */
  return value != NULL && *value != '\0' ? value : NULL;
}

static void
on_resolve_lookup (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *secret = espy_secrets_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* No keyring is the same as an empty one here: the user will be asked. */
  if (error != NULL)
    g_debug ("No keyring answer, asking instead: %s", error->message);
  g_task_set_task_data (task, GINT_TO_POINTER (secret != NULL ? ESPY_SECRET_SOURCE_KEYRING
                                                              : ESPY_SECRET_SOURCE_NONE), NULL);
  g_task_return_pointer (task, secret, (GDestroyNotify) espy_secret_free);
}

void
espy_secrets_resolve_async (EspyDeviceConfig    *config,
                            const char          *device,
                            EspySecretKind       kind,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *from_config;

  g_return_if_fail (config == NULL || ESPY_IS_DEVICE_CONFIG (config));
  g_return_if_fail ((guint) kind < G_N_ELEMENTS (kind_nicks));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_secrets_resolve_async);
  g_task_set_task_data (task, GINT_TO_POINTER (ESPY_SECRET_SOURCE_NONE), NULL);

  from_config = espy_secrets_from_config (config, kind);
  if (from_config != NULL)
    {
      g_task_set_task_data (task, GINT_TO_POINTER (ESPY_SECRET_SOURCE_CONFIG), NULL);
      g_task_return_pointer (task, g_strdup (from_config), (GDestroyNotify) espy_secret_free);
      return;
    }

  if (device == NULL && config != NULL)
    device = espy_device_config_get_name (config);
  if (device == NULL || *device == '\0')
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  espy_secrets_lookup_async (device, kind, cancellable, on_resolve_lookup, g_steal_pointer (&task));
}

char *
espy_secrets_resolve_finish (GAsyncResult      *result,
                             EspySecretSource  *source,
                             GError           **error)
{
  char *secret;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_secrets_resolve_async, NULL);

  secret = g_task_propagate_pointer (G_TASK (result), error);
  if (source != NULL)
    *source = secret != NULL ? (EspySecretSource) GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)))
                             : ESPY_SECRET_SOURCE_NONE;
  return secret;
}
